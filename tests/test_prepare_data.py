"""prepare_data.py end to end on tiny fixtures in each dataset's real archive and split format, served from
127.0.0.1 (``--mirror``; Drive ids go through gdown) or given with ``--source`` (docs/datasets.md)."""
import io
import os
import subprocess
import zipfile
from pathlib import Path

import pytest

import zygote
from generate_helpers import ROOT
from http_fixture import FileServer
from src.prepare_data.download import DownloadError, http_download
from src.prepare_data.synthetic import load_table, split_labelled
from src.prepare_data.workspace import PrepareError
from video_fixtures import ramp_frames, write


@pytest.fixture(scope="session")
def clip_bytes(tmp_path_factory) -> dict[str, bytes]:
    """One real tiny video per extension; fixtures reuse its bytes under many names."""
    folder = tmp_path_factory.mktemp("clips")
    return {"avi": write(folder / "c.avi", ramp_frames(6), "xvid").read_bytes(),
            "mp4": write(folder / "c.mp4", ramp_frames(6), "h264").read_bytes()}


def make_zip(path: Path, members: dict[str, bytes]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def prepare(*args, env=None) -> subprocess.CompletedProcess:
    return zygote.run([ROOT / "prepare_data.py", *args], env=env)


def tree(folder: Path, extension: str = "*") -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob(f"*.{extension}"))


def one_error_line(done: subprocess.CompletedProcess, message: str) -> None:
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if "error:" in line]
    assert len(lines) == 1 and message in lines[0], done.stderr


# --- UCF101: flat video zip + split lists; HandStandPushups name fix; interrupted download resumes -------------

def ucf101_fixture(served: Path, avi: bytes) -> None:
    names = ["v_ApplyEyeMakeup_g01_c01", "v_ApplyEyeMakeup_g08_c01", "v_HandstandPushups_g01_c01",
             "v_HandstandPushups_g08_c01", "v_Archery_g01_c01", "v_Archery_g08_c01"]
    make_zip(served / "UCF101_videos.zip", {f"UCF101/{n}.avi": avi for n in names})
    train = "ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi 1\nHandstandPushups/v_HandStandPushups_g08_c01.avi 37\n" \
            "Archery/v_Archery_g08_c01.avi 3\n"
    test = "ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi\nHandstandPushups/v_HandStandPushups_g01_c01.avi\n" \
           "Archery/v_Archery_g01_c01.avi\n"
    make_zip(served / "UCF101TrainTestSplits-RecognitionTask.zip",
             {"ucfTrainTestlist/trainlist01.txt": train.encode(), "ucfTrainTestlist/testlist01.txt": test.encode(),
              "ucfTrainTestlist/classInd.txt": b"1 ApplyEyeMakeup\n"})


@pytest.mark.slow
def test_ucf101_official_split_with_resumed_download(tmp_path, clip_bytes):
    served = tmp_path / "served"
    ucf101_fixture(served, clip_bytes["avi"])
    with FileServer(served) as server:
        server.cut_once["UCF101_videos.zip"] = True  # the connection drops halfway through
        done = prepare("--dataset", "UCF101", "--root", tmp_path / "data", "--mirror", server.url)
    assert done.returncode == 0, done.stderr
    assert ("/UCF101_videos.zip", None) in server.requests
    assert any(path == "/UCF101_videos.zip" and rng and rng != "bytes=0-" for path, rng in server.requests)
    root = tmp_path / "data" / "ucf101"
    assert tree(root, "avi") == ["train/ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi",
                                 "train/Archery/v_Archery_g08_c01.avi",
                                 "train/HandstandPushups/v_HandstandPushups_g08_c01.avi",
                                 "val/ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi",
                                 "val/Archery/v_Archery_g01_c01.avi",
                                 "val/HandstandPushups/v_HandstandPushups_g01_c01.avi"]
    assert "3 train, 3 val" in done.stdout
    assert not (root / ".work").exists()
    again = prepare("--dataset", "ucf101", "--root", tmp_path / "data", "--mirror", "http://127.0.0.1:9")
    assert again.returncode == 0 and "already prepared" in again.stdout


@pytest.mark.slow
def test_a_run_stopped_by_a_missing_file_continues_without_downloading_again(tmp_path, clip_bytes):
    served = tmp_path / "served"
    ucf101_fixture(served, clip_bytes["avi"])
    splits = served / "UCF101TrainTestSplits-RecognitionTask.zip"
    splits.rename(tmp_path / "later.zip")
    with FileServer(served) as server:
        first = prepare("--dataset", "ucf101", "--root", tmp_path / "data", "--mirror", server.url)
        one_error_line(first, "HTTP 404")
        assert not (tmp_path / "data" / "ucf101" / "train").exists()
        (tmp_path / "later.zip").rename(splits)
        server.requests.clear()
        second = prepare("--dataset", "ucf101", "--root", tmp_path / "data", "--mirror", server.url)
    assert second.returncode == 0, second.stderr
    assert [p for p, _ in server.requests] == ["/UCF101TrainTestSplits-RecognitionTask.zip"]


# --- HMDB51: RAR of class RARs; from extracted folders with --source; a clear line when no RAR tool -------------

@pytest.mark.slow
def test_hmdb51_from_extracted_sources(tmp_path, clip_bytes):
    source = tmp_path / "source"
    for cls, videos in {"brush_hair": ["a.avi", "b.avi", "c.avi"], "cartwheel": ["d.avi", "e.avi"]}.items():
        for v in videos:
            (source / "hmdb51_org" / cls).mkdir(parents=True, exist_ok=True)
            (source / "hmdb51_org" / cls / v).write_bytes(clip_bytes["avi"])
    splits = source / "test_train_splits" / "testTrainMulti_7030_splits"
    splits.mkdir(parents=True)
    (splits / "brush_hair_test_split1.txt").write_text("a.avi 1 \nb.avi 2 \nc.avi 0 \n")
    (splits / "cartwheel_test_split1.txt").write_text("d.avi 1 \ne.avi 2 \n")
    (splits / "brush_hair_test_split2.txt").write_text("a.avi 2 \n")  # other splits are ignored
    done = prepare("--dataset", "hmdb51", "--root", tmp_path / "data", "--source", source)
    assert done.returncode == 0, done.stderr
    root = tmp_path / "data" / "hmdb51"
    assert tree(root, "avi") == ["train/brush_hair/a.avi", "train/cartwheel/d.avi",
                                 "val/brush_hair/b.avi", "val/cartwheel/e.avi"]
    assert (root / "train.csv").read_text().split("\n")[:2] == ["train/brush_hair/a.avi 0", "train/cartwheel/d.avi 1"]


def test_hmdb51_download_names_the_rar_tool_to_install(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    for name in ("hmdb51_org.rar", "test_train_splits.rar"):
        (served / name).write_bytes(b"Rar!\x1a\x07\x00" + b"\0" * 64)
    empty_path = tmp_path / "bin"
    empty_path.mkdir()
    with FileServer(served) as server:
        done = prepare("--dataset", "hmdb51", "--root", tmp_path / "data", "--mirror", server.url,
                       env={**os.environ, "PATH": str(empty_path)})
    one_error_line(done, "needs a RAR extractor: install unrar")


# --- Drive mirrors already in train/val(/test) layout -----------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("name,drive_id,splits", [
    ("diving48", "1685eDcMitF4-jNXAn7Y_rpYH_LHkdFk7", ("train", "val")),
    ("egtea", "1pYBAE0azrM7EqFtcm44MpyRalBAyyq44", ("train", "val")),
    ("volleyball", "1--7js69pPQ7jh7g3_dcI5aSfCbuuoeK9", ("train", "val", "test")),
])
def test_drive_mirrors(tmp_path, clip_bytes, name, drive_id, splits):
    members = {f"{name}/{s}/{c}/{s}-{c}-{i}.mp4": clip_bytes["mp4"] for s in splits for c in ("0", "7") for i in (1, 2)}
    make_zip(tmp_path / "served" / drive_id, members)  # Drive files are served by id
    with FileServer(tmp_path / "served") as server:
        done = prepare("--dataset", name, "--root", tmp_path / "data", "--mirror", server.url)
    assert done.returncode == 0, done.stderr
    assert tree(tmp_path / "data" / name, "mp4") == sorted(m.split("/", 1)[1] for m in members)
    assert f"{4 * len(splits)} videos in all" in done.stdout


# --- Dynamic scenes (YUP++) -------------------------------------------------------------------------------------

@pytest.mark.slow
def test_scenes_split_file(tmp_path, clip_bytes):
    members = {}
    for motion, folder in (("static", "camera_stationary"), ("moving", "camera_moving")):
        for cls in ("Beach", "Fountain"):
            for i in (1, 2):
                members[f"YUP++/{folder}/{cls}/{cls}_{motion}_cam_{i}.mp4"] = clip_bytes["mp4"]
    split = "".join(f"{cls}_{m}_cam_{i} {m}_{'train' if i == 1 else 'test'}\n"
                    for cls in ("Beach", "Fountain") for m in ("static", "moving") for i in (1, 2))
    members["YUP++/10_90_randsplit_1.txt"] = split.encode()
    make_zip(tmp_path / "served" / "YUP++.zip", members)
    with FileServer(tmp_path / "served") as server:
        done = prepare("--dataset", "scenes", "--root", tmp_path / "data", "--mirror", server.url)
    assert done.returncode == 0, done.stderr
    files = tree(tmp_path / "data" / "scenes", "mp4")
    assert len(files) == 8 and "train/Beach/Beach_moving_cam_1.mp4" in files and "val/Fountain/Fountain_static_cam_2.mp4" in files


# --- Synthetic sets of the paper (every name in the table) -----------------------------------------------------

SYNTHETIC = load_table()


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SYNTHETIC))
def test_synthetic_sets(tmp_path, clip_bytes, name):
    spec = SYNTHETIC[name]
    for n, drive_id in enumerate(spec.drive_ids, start=1):
        if spec.labelled:  # class folders as written by the generator; 5 videos per class per archive
            members = {f"{cls}/{n}{i}.mp4": clip_bytes["mp4"] for cls in ("10-4", "2-0", "1-17") for i in range(5)}
        else:
            members = {f"{n}{i}-4.mp4": clip_bytes["mp4"] for i in range(3)}
        make_zip(tmp_path / "served" / drive_id, members)
    with FileServer(tmp_path / "served") as server:
        done = prepare("--dataset", name, "--root", tmp_path / "data", "--mirror", server.url)
    assert done.returncode == 0, done.stderr
    root = tmp_path / "data" / name
    files = tree(root, "mp4")
    n_archives = len(spec.drive_ids)
    if spec.labelled:
        val = [f for f in files if f.startswith("val/")]
        assert len(val) == 10 * 3  # 10 per class
        assert sum(f.startswith("train/") for f in files) == 15 * n_archives - 30
        assert all(len(f.split("/")) == 4 for f in files)  # train|val/<archive n>/<class>/<file>
        assert {f.split("/")[1] for f in val} == {"1", "2"}  # val takes the first 10 of each class
    else:
        assert len(files) == 3 * n_archives and {f.split("/")[0] for f in files} == {str(n + 1) for n in range(n_archives)}


def test_sup_split_rule_interleaves_classes_and_caps_counts():
    files = [f"{n}/{c}/{i}.mp4" for n in (1, 2) for c in ("2-0", "10-4", "1-3") for i in range(3)]
    val, train = split_labelled(files, n_train=5, n_classes=2, val_per_class=2)
    assert val == ["1/1-3/0.mp4", "1/2-0/0.mp4", "1/1-3/1.mp4", "1/2-0/1.mp4"]  # first C classes, natural order
    assert train == ["1/1-3/2.mp4", "1/2-0/2.mp4", "2/1-3/0.mp4", "2/2-0/0.mp4", "2/1-3/1.mp4"]


def test_sup_split_rule_needs_enough_videos_per_class():
    with pytest.raises(PrepareError, match="class 2-0 has 3 videos"):
        split_labelled([f"1/2-0/{i}.mp4" for i in range(3)], None, None, 10)


@pytest.mark.slow
def test_split_a_generated_labelled_set(tmp_path, clip_bytes):
    generated = tmp_path / "generated"
    for cls in ("1", "2"):
        for step in range(12):
            (generated / cls).mkdir(parents=True, exist_ok=True)
            (generated / cls / f"{step}.mp4").write_bytes(clip_bytes["mp4"])
    done = prepare("--dataset", "sup-mine", "--root", tmp_path / "data", "--from", generated)
    assert done.returncode == 0, done.stderr
    files = tree(tmp_path / "data" / "sup-mine", "mp4")
    assert sum(f.startswith("val/1/") for f in files) == 10 and sum(f.startswith("train/") for f in files) == 4
    assert (generated / "1" / "0.mp4").exists()  # the generated set is left in place


# --- Safety -----------------------------------------------------------------------------------------------------

def test_a_split_that_leaves_a_class_without_training_videos_is_refused(tmp_path, clip_bytes):
    for cls in ("a", "b", "c"):
        for i in range(8):
            (tmp_path / "gen" / cls).mkdir(parents=True, exist_ok=True)
            (tmp_path / "gen" / cls / f"{i}.mp4").write_bytes(clip_bytes["mp4"])
    done = prepare("--dataset", "mine", "--root", tmp_path / "data", "--from", tmp_path / "gen")
    one_error_line(done, "has 8 videos: --val_per_class 10 leaves none for training; lower --val_per_class")
    assert not (tmp_path / "data" / "mine" / "train").exists()
    done = prepare("--dataset", "mine", "--root", tmp_path / "data", "--from", tmp_path / "gen", "--val_per_class", 5)
    assert done.returncode == 0 and "warning: 15 validation and only 9 training videos" in done.stderr


def test_corrupt_archive_exits_2_and_leaves_no_train_folder(tmp_path, clip_bytes):
    good = io.BytesIO()
    with zipfile.ZipFile(good, "w") as z:
        z.writestr("YUP++/camera_stationary/Beach/Beach_static_cam_1.mp4", clip_bytes["mp4"] * 20)
    (tmp_path / "served").mkdir()
    (tmp_path / "served" / "YUP++.zip").write_bytes(good.getvalue()[:-200])  # truncated: no central directory
    with FileServer(tmp_path / "served") as server:
        done = prepare("--dataset", "scenes", "--root", tmp_path / "data", "--mirror", server.url)
    one_error_line(done, "YUP++.zip")
    assert "corrupt" in done.stderr and "run again" in done.stderr
    assert not (tmp_path / "data" / "scenes" / "train").exists()
    assert not (tmp_path / "data" / "scenes" / ".work" / "downloads" / "YUP++.zip").exists()


def test_zip_slip_member_is_refused(tmp_path, clip_bytes):
    drive_id = "1685eDcMitF4-jNXAn7Y_rpYH_LHkdFk7"
    make_zip(tmp_path / "served" / drive_id, {"train/0/a.mp4": clip_bytes["mp4"], "../../evil.mp4": b"x"})
    with FileServer(tmp_path / "served") as server:
        done = prepare("--dataset", "diving48", "--root", tmp_path / "data", "--mirror", server.url)
    one_error_line(done, "escaping the target folder ('../../evil.mp4'); refused")
    assert not list(tmp_path.rglob("evil.mp4")) and not (tmp_path / "data" / "diving48" / "train").exists()
    assert not (tmp_path / "data" / "diving48" / ".work" / "extracted").exists()  # no empty folders left


def test_checksum_mismatch_keeps_nothing(tmp_path):
    (tmp_path / "served").mkdir()
    (tmp_path / "served" / "f.bin").write_bytes(b"data" * 1000)
    with FileServer(tmp_path / "served") as server:
        with pytest.raises(DownloadError, match="checksum mismatch"):
            http_download(f"{server.url}/f.bin", tmp_path / "out" / "f.bin", md5="0" * 32)
    assert not list((tmp_path / "out").iterdir())


@pytest.mark.parametrize("args,message", [
    (["--dataset", "kinetics"], "unknown dataset 'kinetics'"),
    (["--dataset", "sup-fractal", "--from", "."], "published one"),
    (["--dataset", "mine", "--from", "nowhere"], "is not a folder"),
    (["--dataset", "hmdb51", "--source", "nowhere"], "--source nowhere does not exist"),
    (["--dataset", "hmdb51", "--root", "/proc/fractal-video-test"], "--root /proc/fractal-video-test is not writable"),
])
def test_bad_arguments_exit_2_with_one_line(tmp_path, args, message):
    done = prepare("--root", tmp_path / "data", *args)  # a later --root wins
    one_error_line(done, message)
    assert not (tmp_path / "data").exists()


def test_an_unresolvable_host_fails_at_once_naming_source_and_mirror(tmp_path):
    import time

    from src.prepare_data.download import DownloadError, http_download
    start = time.time()
    with pytest.raises(DownloadError, match="cannot resolve no-such-host.invalid.*--source.*--mirror"):
        http_download("http://no-such-host.invalid/archive.zip", tmp_path / "archive.zip")
    assert time.time() - start < 5 and not list(tmp_path.iterdir())  # no retries for a name that cannot resolve

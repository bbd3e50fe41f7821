"""A tool overwrites or deletes a file whose name it chose only if it recorded the file as its own: a user's file
of the same name is refused before anything is written, and kept byte for byte."""
import contextlib
import os
import subprocess
from pathlib import Path

import pytest

import zygote
from generate_helpers import ROOT, generate
from src.utils import owned_files
from src.utils.folder_lock import LOCK_NAME
from train_helpers import TINY, evaluation_opts, make_dataset, run_in_process, run_script

USER = b"a user's own file\n"


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return make_dataset(tmp_path_factory.mktemp("data"), n_train=3, n_val=1)


def users_file(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(USER)
    return path


def test_the_ledger_lists_what_was_recorded_and_ignores_a_line_cut_short(tmp_path):
    owned_files.record(tmp_path, "a.csv", "tb")
    owned_files.record(tmp_path, "a.csv")  # once is enough
    owned_files.forget(tmp_path, "tb")
    with open(tmp_path / owned_files.LEDGER, "a") as f:
        f.write("half-writ")  # a writer killed mid-line
    assert owned_files.owned(tmp_path) == {"a.csv"}
    users_file(tmp_path / "b.csv")
    users_file(tmp_path / "a.csv")
    assert owned_files.foreign(tmp_path, ("a.csv", "b.csv", "c.csv")) == ["b.csv"]
    owned_files.record(tmp_path, "../escape", "/abs")
    assert owned_files.owned(tmp_path) == {"a.csv"}  # names outside the folder are never the tool's


@pytest.mark.parametrize("script,name,extra", [
    ("train_sup.py", "curves.png", []),
    ("train_sup.py", "tb", []),
    ("probe.py", "probe.csv", []),
])
def test_a_users_file_of_a_run_files_name_is_refused_and_kept(data, tmp_path, script, name, extra):
    out = tmp_path / "out"
    mine = users_file(out / name) if name != "tb" else users_file(out / "tb" / "events.mine")
    done = run_in_process(script, "DATA.ROOT", data, "DATA.DATASET", "toy", *TINY, "TRAIN.OUTPUT", out,
                          "TRAIN.EPOCHS", 1, *extra) if script == "train_sup.py" else \
        run_in_process(script, "DATA.ROOT", data, "DATA.DATASET", "toy", *evaluation_opts(TINY, "probe"), "TRAIN.OUTPUT",
                       out)
    assert done.returncode == 2 and "not written by this toolkit" in done.stderr and name in done.stderr
    assert mine.read_bytes() == USER
    assert sorted(p.name for p in out.iterdir()) == [name]  # nothing else was written


@pytest.mark.slow
def test_val_sup_keeps_a_users_predictions_and_pruning_keeps_a_users_backup(data, tmp_path):
    common = ["DATA.ROOT", data, "DATA.DATASET", "toy", *TINY, "TRAIN.EPOCHS_SAVE", 1, "TRAIN.N_CHECK", 1]
    done = run_script("train_sup.py", *common, "TRAIN.EPOCHS", 2, "TRAIN.OUTPUT", tmp_path / "run")
    assert done.returncode == 0, done.stderr[-2000:]
    run = tmp_path / "run"
    (run / "ckpt_epoch_1_keep.pth").write_bytes((run / "ckpt_epoch_1.pth").read_bytes())  # the user's backup
    done = run_script("train_sup.py", *common, "TRAIN.EPOCHS", 3, "TRAIN.OUTPUT", run,
                      "MODEL.RESUME", run / "ckpt_last.pth")
    assert done.returncode == 0, done.stderr[-2000:]
    assert sorted(p.name for p in run.glob("ckpt_epoch_*")) == ["ckpt_epoch_1_keep.pth", "ckpt_epoch_2.pth"]

    users_file(tmp_path / "val" / "pred_test.csv")
    done = run_in_process("val_sup.py", "DATA.ROOT", data, "DATA.DATASET", "toy", *evaluation_opts(TINY),
                          "MODEL.RESUME", run / "ckpt_last.pth", "TRAIN.OUTPUT", tmp_path / "val")
    assert done.returncode == 2 and "pred_test.csv, not written by this toolkit" in done.stderr
    assert (tmp_path / "val" / "pred_test.csv").read_bytes() == USER
    assert sorted(p.name for p in (tmp_path / "val").iterdir()) == ["pred_test.csv"]


def test_generation_refuses_a_users_preview_before_writing(tmp_path):
    users_file(tmp_path / "out" / "preview.png")
    done = generate("--samples", 2, "--res", 32, "--iter", 400, "--iter_b", 300, "--dir_out", tmp_path / "out",
                    "--preview", check=False)
    assert done.returncode == 2 and "preview.png, not written by this toolkit" in done.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["preview.png"]
    assert (tmp_path / "out" / "preview.png").read_bytes() == USER


def test_prepare_data_refuses_a_users_work_folder(tmp_path):
    source = make_dataset(tmp_path / "src", n_train=2, n_val=1) / "toy" / "train"
    mine = users_file(tmp_path / "root" / "mine" / ".work" / "notes.txt")
    done = zygote.run([str(ROOT / "prepare_data.py"), "--dataset", "mine", "--root",
                      tmp_path / "root", "--from", source, "--val_per_class", "1"])
    assert done.returncode == 2 and ".work" in done.stderr and "did not make" in done.stderr
    assert mine.read_bytes() == USER and sorted(os.listdir(tmp_path / "root" / "mine")) == [".work"]


def test_the_lock_has_the_toolkits_own_name():
    assert LOCK_NAME == ".fractal-video.lock"


@contextlib.contextmanager
def full_disk(folder: Path, size: str):
    """A real tmpfs of ``size`` mounted on ``folder``: writes past it fail as on a full disk."""
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], check=True)
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


@pytest.mark.slow
def test_a_full_disk_during_a_checkpoint_save_is_one_line_and_the_folder_restarts(data, tmp_path):
    with full_disk(tmp_path / "disk", "2m") as disk:
        common = ["DATA.ROOT", data, "DATA.DATASET", "toy", *TINY, "TRAIN.EPOCHS", 1, "TRAIN.OUTPUT", disk / "run"]
        done = run_script("train_sup.py", *common)
        assert done.returncode == 2, done.stderr[-2000:]
        errors = [line for line in done.stderr.splitlines() if "error:" in line]
        assert len(errors) == 1 and "No space left on device" in errors[0] and "Traceback" not in done.stderr
        assert not (disk / "run" / "ckpt_last.pth").exists()
        # space freed: the folder holds only the leftovers of a run of ours that never saved, so it starts afresh
        subprocess.run(["mount", "-o", "remount,size=400m", str(disk)], check=True)
        done = run_script("train_sup.py", *common)
        assert done.returncode == 0, done.stderr[-2000:]
        assert (disk / "run" / "ckpt_last.pth").is_file() and not list((disk / "run").glob(".*partial*"))


def test_opencv_on_a_full_disk_is_an_error_not_a_finished_empty_video(tmp_path):
    with full_disk(tmp_path / "disk", "64k") as disk:
        done = generate("--samples", 4, "--res", 128, "--iter", 400, "--iter_b", 300, "--lib_save", "cv2",
                        "--workers", 1, "--dir_out", disk / "out", check=False)
        assert done.returncode == 2 and "no space left on device" in done.stderr.lower(), done.stderr[-1500:]
        assert "Traceback" not in done.stderr
        from src.synthetic.outputs import scan
        finished, _ = scan(disk / "out", img=False, gen_param=False)
        for step in finished:  # what the ledger calls finished decodes to whole videos
            from src.synthetic.video_writer import read_video
            video = next((disk / "out").glob(f"{step}-*.mp4"))
            assert len(read_video(video)) >= 18


@pytest.mark.parametrize("layout", ["unlabelled", "one class"])
def test_prepare_from_refuses_what_is_not_a_labelled_set_and_leaves_nothing(tmp_path, layout):
    source = make_dataset(tmp_path / "src", n_train=3, n_val=1) / "toy" / "train"
    if layout == "unlabelled":
        for video in list(source.rglob("*.mp4")):
            video.rename(source / f"{video.parent.name}-{video.name}")
    else:
        for name in ("c1", "c2"):
            for video in (source / name).glob("*.mp4"):
                video.unlink()
    done = zygote.run([str(ROOT / "prepare_data.py"), "--dataset", "mine", "--root",
                      tmp_path / "root", "--from", source, "--val_per_class", "1"])
    assert done.returncode == 2 and "is not a labelled set" in done.stderr, done.stderr[-1000:]
    assert not (tmp_path / "root" / "mine").exists()


def test_prepare_with_a_mirror_that_is_not_a_url_leaves_nothing(tmp_path):
    done = zygote.run([str(ROOT / "prepare_data.py"), "--dataset", "hmdb51", "--root",
                      tmp_path / "root", "--mirror", "notaurl"])
    assert done.returncode == 2 and "--mirror notaurl is not a URL" in done.stderr
    assert not (tmp_path / "root" / "hmdb51").exists()


@pytest.mark.slow
def test_a_run_of_a_version_without_the_ledger_resumes_in_its_own_folder(data, tmp_path):
    common = ["DATA.ROOT", data, "DATA.DATASET", "toy", *TINY, "TRAIN.OUTPUT", tmp_path / "run"]
    done = run_script("train_sup.py", *common, "TRAIN.EPOCHS", 1)
    assert done.returncode == 0, done.stderr[-2000:]
    (tmp_path / "run" / owned_files.LEDGER).unlink()  # as an older version left it
    done = run_script("train_sup.py", *common, "TRAIN.EPOCHS", 2, "MODEL.RESUME", tmp_path / "run" / "ckpt_last.pth")
    assert done.returncode == 0, done.stderr[-2000:]
    assert {"config.yaml", "metrics.csv", "ckpt_epoch_0.pth", "ckpt_epoch_1.pth"} <= owned_files.owned(tmp_path / "run")

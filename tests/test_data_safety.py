"""What the tools do to folders that already hold something: nothing they did not write is deleted or replaced,
concurrent runs do not destroy each other's files, and every configuration key is read or refused."""
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import zygote
from generate_helpers import ROOT, generate
from train_helpers import TINY, make_dataset, run_in_process, run_script
from src.utils.atomic import atomic_path, remove_stale_temps
from src.utils.cli import UserError
from src.utils.folder_lock import LOCK_NAME, folder_lock


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return make_dataset(tmp_path_factory.mktemp("data"))


def test_a_temp_of_a_running_writer_survives_another_runs_cleanup(tmp_path):
    with atomic_path(tmp_path / "a.mp4") as tmp:
        tmp.write_bytes(b"in flight")
        remove_stale_temps(tmp_path)  # what a second shard does when it starts
        assert tmp.exists()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    from src.utils.atomic import host
    stale = tmp_path / f".b.partial-{host()}-{dead.stdout.strip()}-abcd1234.mp4"
    stale.write_bytes(b"left by a killed run")
    remove_stale_temps(tmp_path)
    assert not stale.exists() and (tmp_path / "a.mp4").read_bytes() == b"in flight"


def test_a_folder_lock_refuses_a_second_holder_and_dies_with_its_process(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; sys.path.insert(0, sys.argv[1]);"
                               "from src.utils.folder_lock import folder_lock; from pathlib import Path\n"
                               "with folder_lock(Path(sys.argv[2]), 'X'):\n print('held', flush=True); time.sleep(60)",
                               str(ROOT), str(tmp_path / "out")], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    with pytest.raises(UserError, match=r"X .*out is in use by another run \(pid \d+ on .*\); wait for it"):
        with folder_lock(tmp_path / "out", "X"):
            pass
    holder.kill()
    holder.wait()
    with folder_lock(tmp_path / "out", "X"):  # a killed holder's lock is gone with it
        pass


@pytest.mark.slow
def test_a_new_training_run_refuses_a_folder_that_holds_another_run(data, tmp_path):
    common = ["DATA.ROOT", data, "DATA.DATASET", "toy", *TINY, "TRAIN.EPOCHS", 1, "TRAIN.OUTPUT", tmp_path / "run"]
    assert run_script("train_sup.py", *common).returncode == 0
    before = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "run").iterdir()}
    done = run_in_process("train_sup.py", *common)
    assert done.returncode == 2 and "holds another run" in done.stderr
    assert f"MODEL.RESUME {tmp_path / 'run' / 'ckpt_last.pth'}" in done.stderr
    assert {p.name: p.stat().st_mtime_ns for p in (tmp_path / "run").iterdir()} == before


@pytest.mark.slow
def test_two_trainings_into_one_folder_the_second_is_refused(data, tmp_path):
    common = ["DATA.ROOT", data, "DATA.DATASET", "toy", *TINY, "TRAIN.EPOCHS", 1, "TRAIN.OUTPUT", tmp_path / "run"]
    with folder_lock(tmp_path / "run", "TRAIN.OUTPUT"):  # a run in progress (this process holds the lock)
        done = run_in_process("train_sup.py", *common)
        assert sorted(p.name for p in (tmp_path / "run").iterdir()) == [LOCK_NAME]
    assert done.returncode == 2 and "is in use by another run" in done.stderr


def test_prepare_from_refuses_a_dataset_folder_it_did_not_make(tmp_path):
    videos = tmp_path / "gen"
    generate("--res", 32, "--dir_out", tmp_path / "params", "--gen_param", 2, "--workers", 1)
    generate("--samples", 8, "--res", 32, "--dir_in", tmp_path / "params", "--dir_out", videos, "--workers", 1,
             "--iter", 400, "--iter_b", 300)
    mine = tmp_path / "data" / "mine" / "train" / "precious.txt"
    mine.parent.mkdir(parents=True)
    mine.write_text("the user's own")
    cmd = [sys.executable, str(ROOT / "prepare_data.py"), "--dataset", "mine", "--root", tmp_path / "data",
           "--from", videos, "--val_per_class", 1]
    done = zygote.run(cmd[1:])
    assert done.returncode == 2 and "which prepare_data.py did not make" in done.stderr
    assert mine.read_text() == "the user's own"
    same = zygote.run([*cmd[1:3], "gen", "--root", tmp_path, "--from", videos])
    assert same.returncode == 2 and "overlap" in same.stderr


def test_an_os_error_while_extracting_keeps_the_download(tmp_path, monkeypatch):
    import zipfile

    from src.prepare_data.workspace import Workspace
    ws = Workspace("x", tmp_path)
    archive = ws.work / "downloads" / "x.zip"
    archive.parent.mkdir(parents=True)
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("a/1.mp4", b"video")

    def full(*_, **__):
        raise OSError(28, "No space left on device", str(tmp_path / "x"))
    monkeypatch.setattr(zipfile.ZipFile, "extract", full)
    with pytest.raises(OSError) as caught:
        ws.unpack(archive, downloaded=True)
    assert caught.value.errno == 28 and archive.exists()


def test_a_replaced_archive_is_extracted_anew(tmp_path):
    import zipfile

    from src.prepare_data.workspace import Workspace
    ws, archive = Workspace("x", tmp_path), tmp_path / "mine.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("old.mp4", b"old")
    assert [p.name for p in ws.unpack(archive).iterdir()] == ["old.mp4"]
    time.sleep(0.01)
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("new.mp4", b"new")
    assert [p.name for p in ws.unpack(archive).iterdir()] == ["new.mp4"]


@pytest.mark.parametrize("script,opts,message", [
    ("train_sup.py", ["TRAIN.LR_SCHEDULER.EPOCHS_DECAY", 3], "only the step schedule"),
    ("train_sup.py", ["TRAIN.OPTIMIZER.NAME", "sgd", "TRAIN.OPTIMIZER.EPS", 1e-6], "adam and adamw"),
    ("train_sup.py", ["MOCO.K", 64], "only train_ssl.py with TRAIN.SSL_SCHEME moco"),
    ("train_ssl.py", ["DATA.VAL_MAX_SEGS", 2], "train_ssl.py does not validate"),
    ("train_ssl.py", ["TRAIN.INIT_SUP", ROOT / "README.md"], "train_ssl.py starts from scratch"),
])
def test_a_key_the_run_would_not_read_is_refused(tmp_path, script, opts, message):
    done = run_in_process(script, "TRAIN.OUTPUT", tmp_path / "out", *opts)
    assert done.returncode == 2 and message in done.stderr and "does not read it" in done.stderr
    assert not (tmp_path / "out").exists()


def test_the_shipped_configurations_set_only_keys_their_runs_read():
    from src.train.config import check_every_key_read, merge
    for path in sorted(p for p in (ROOT / "cfg").rglob("*.yaml") if p.parent.name != "study"):  # studies: test_study
        check_every_key_read(merge([path], None, []), "contrastive" if "pretrain_ssl" in str(path)
                             else "supervised", set())


def test_ssl_honours_flip_and_blur():
    from src.train.augment import contrastive_transform
    from src.train.config import merge
    cfg = merge([], None, ["AUG.HOR_FLIP", "False", "AUG.PROB_BLUR", "0.0"])
    t = contrastive_transform(cfg, 1)
    assert (t.augment_q.settings.hor_flip, t.augment_q.settings.prob_blur) == (False, 0.0)
    assert (t.augment_k.settings.hor_flip, t.augment_k.settings.prob_blur) == (False, 0.0)


def test_a_damaged_frame_count_entry_is_recounted(tmp_path):
    import json

    import numpy as np

    from src.data.frame_index import INDEX_NAME, frame_counts
    from video_fixtures import write
    write(tmp_path / "a.mp4", np.zeros((5, 16, 16, 3), np.uint8), "h264")
    (tmp_path / INDEX_NAME).write_text(json.dumps({"a.mp4": 7, "b.mp4": ["x"]}))
    assert frame_counts(tmp_path, [tmp_path / "a.mp4"], workers=1) == [5]


def test_a_bad_time_suggests_a_time_that_is_accepted():
    from src.utils.time_string import parse_time
    with pytest.raises(ValueError) as caught:
        parse_time("soon")
    suggested = caught.value.args[0].split("like ")[1].split(" (")[0].replace(" or", ",").split(", ")
    assert all(parse_time(t) > 0 for t in suggested)


def test_shard_flag_contradicting_the_slurm_array_task_is_refused(tmp_path):
    env = {**os.environ, "SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "4"}
    done = generate("--samples", 2, "--dir_out", tmp_path / "out", "--shard", "0/2", check=False, env=env)
    assert done.returncode == 2 and "contradicts this SLURM array task (1/4)" in done.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_shards_started_together_into_one_folder_all_finish_and_equal_one_run(tmp_path):
    from generate_helpers import files
    common = ["--samples", 12, "--res", 32, "--iter", 400, "--iter_b", 300, "--workers", 1]
    cmd = [sys.executable, str(ROOT / "generate_synthetic.py"), "--type", "fractal", *map(str, common)]
    shards = [subprocess.Popen(cmd + ["--dir_out", str(tmp_path / "shared"), "--shard", f"{k}/4"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=ROOT)
              for k in range(4)]
    errors = [p.communicate()[1] for p in shards]
    assert [p.returncode for p in shards] == [0] * 4, errors
    generate(*common, "--dir_out", tmp_path / "single")
    assert files(tmp_path / "shared") == files(tmp_path / "single")


def _children(pid: int) -> list[int]:
    """Live (not zombie) processes whose parent is ``pid``."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def children_after_killing(main: subprocess.Popen, at_least: int = 1, seconds: float = 20) -> list[int]:
    """Wait (up to a minute) for ``at_least`` children of ``main``, kill ``main``, then give the children up to
    ``seconds`` to end; returns the children's pids."""
    deadline = time.time() + 60
    while len(children := _children(main.pid)) < at_least and time.time() < deadline:
        time.sleep(0.1)
    main.kill()
    main.wait()
    deadline = time.time() + seconds
    while any(map(_alive, children)) and time.time() < deadline:
        time.sleep(0.1)
    return children


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table from /proc")
def test_generator_workers_end_when_the_main_process_is_killed(tmp_path):
    main = subprocess.Popen([sys.executable, str(ROOT / "generate_synthetic.py"), "--type", "fractal", "--samples",
                             "500", "--res", "256", "--dir_out", str(tmp_path / "out"), "--workers", "2"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers = children_after_killing(main, at_least=2, seconds=20)
    assert len(workers) >= 2
    assert not any(map(_alive, workers))


def test_two_class_files_of_one_name_are_refused(tmp_path):
    for sub in ("a", "b"):
        generate("--gen_param", 1, "--res", 32, "--dir_out", tmp_path / "classes" / sub, "--workers", 1,
                 "--iter", 400, "--iter_b", 300, "--var", 0)
    done = generate("--samples", 2, "--dir_in", tmp_path / "classes", "--dir_out", tmp_path / "out", check=False)
    assert done.returncode == 2 and "share the name '1-0'" in done.stderr and not (tmp_path / "out").exists()
    from src.data.fractal_source import FractalSource
    from src.data.video_files import DatasetError
    with pytest.raises(DatasetError, match="share the name '1-0', so they would be one class"):
        FractalSource.load_classes(tmp_path / "classes")


def _broken(params: dict, how: str) -> dict:
    import numpy as np
    params = dict(params)
    if how == "nan":
        params["bias"] = params["bias"].copy()
        params["bias"][0, 0, 0] = np.nan
    elif how == "shape":
        params["angle"] = params["angle"][:, :2]
    elif how == "var":
        params["var"] = np.int64(99)
    elif how == "image":
        from src.synthetic.fractal_params import sample_image_params
        params = sample_image_params(np.random.default_rng(0), [0])
    elif how == "zeros":
        params = {k: np.zeros_like(v) if np.asarray(v).dtype.kind == "f" else v for k, v in params.items()}
    elif how == "maps x1000":
        params["sigma"] = params["sigma"] * 1000
    elif how == "timing x1e30":
        params["interp"] = params["interp"] * 1e30
    return params


@pytest.mark.parametrize("how,message", [
    ("nan", "bias holds NaN or infinite values"),
    ("shape", "angle has shape (2, 2, 2), expected [2, "),
    ("var", "var 99 is not a known variation id"),
    ("image", "was made for --img, not videos"),
    ("zeros", "holds all-zero maps"),
    ("maps x1000", "draws no usable"),
    ("timing x1e30", "draws no usable"),
])
def test_a_broken_fractal_class_file_is_named_before_anything_is_written(tmp_path, how, message):
    import numpy as np

    from src.synthetic.class_files import save_class
    from src.synthetic.fractal_params import sample_video_params
    good = sample_video_params(np.random.default_rng(0), [0])
    save_class(tmp_path / "classes" / "1-0.npz", good)
    save_class(tmp_path / "classes" / "2-0.npz", _broken(good, how))
    done = generate("--samples", 2, "--dir_in", tmp_path / "classes", "--dir_out", tmp_path / "out", check=False)
    assert done.returncode == 2 and message in done.stderr and "2-0.npz" in done.stderr, done.stderr
    assert not (tmp_path / "out").exists()
    done = run_in_process("train_sup.py", "DATA.SOURCE", "fractal", "DATA.CLASS_PARAMS", tmp_path / "classes",
                      "TRAIN.OUTPUT", tmp_path / "run")
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert not (tmp_path / "run").exists()


SMALL = ["--res", 32, "--iter", 400, "--iter_b", 300, "--workers", 1]


def test_a_rerun_with_other_settings_is_refused(tmp_path):
    generate("--samples", 2, "--dir_out", tmp_path / "out", *SMALL)
    before = files_and_times(tmp_path / "out")
    done = generate("--samples", 4, "--dir_out", tmp_path / "out", *SMALL, "--seed", 2, check=False)
    assert done.returncode == 2 and "made with other settings: seed 1 (now 2)" in done.stderr
    done = generate("--samples", 4, "--dir_out", tmp_path / "out", *SMALL, "--codec", "libx265", check=False)
    assert done.returncode == 2 and 'codec "libx264" (now "libx265")' in done.stderr
    assert files_and_times(tmp_path / "out") == before
    generate("--samples", 4, "--dir_out", tmp_path / "out", *SMALL)  # same settings: resumes
    assert len(list((tmp_path / "out").glob("*.mp4"))) == 4


def test_a_file_named_like_an_output_is_not_taken_for_a_finished_one(tmp_path):
    generate("--samples", 2, "--dir_out", tmp_path / "out", *SMALL)
    (tmp_path / "out" / "3-0.mp4").write_bytes(b"")
    done = generate("--samples", 3, "--dir_out", tmp_path / "out", *SMALL, check=False)
    assert done.returncode == 2 and "did not write (e.g. 3-0.mp4)" in done.stderr
    assert (tmp_path / "out" / "3-0.mp4").read_bytes() == b""
    (tmp_path / "fresh").mkdir()
    (tmp_path / "fresh" / "1-4.mp4").write_bytes(b"someone else's")
    done = generate("--samples", 1, "--dir_out", tmp_path / "fresh", *SMALL, check=False)
    assert done.returncode == 2 and "did not write (e.g. 1-4.mp4)" in done.stderr
    assert [p.name for p in (tmp_path / "fresh").iterdir()] == ["1-4.mp4"]


def files_and_times(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*")}


COUNT_SLOWLY = """
import sys, time
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from src.data import frame_index
from src.utils.cli import run_cli
def slow_count(path):
    time.sleep(0.5)
    return 1
frame_index._count = slow_count
root = Path(sys.argv[2])
print("counting", flush=True)
sys.exit(run_cli("count", lambda: frame_index.frame_counts(root, sorted(root.glob("*.mp4")), workers=2), "again"))
"""


def test_ctrl_c_while_counting_frames_stops_the_run(tmp_path):
    import signal
    for i in range(200):
        (tmp_path / f"{i}.mp4").write_bytes(b"")
    run = subprocess.Popen([sys.executable, "-c", COUNT_SLOWLY, str(ROOT), str(tmp_path)], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, start_new_session=True,
                           preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert run.stdout.readline().strip() == "counting"
    time.sleep(1.5)
    os.killpg(run.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole process group
    stopped = time.time()
    _, err = run.communicate(timeout=30)
    assert run.returncode == 130 and "Interrupted: again" in err
    assert time.time() - stopped < 5  # not after the 50 s of counting left

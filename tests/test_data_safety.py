"""What the tools do to folders that already hold something: nothing they did not write is deleted or replaced,
concurrent runs do not destroy each other's files, and every configuration key is read or refused."""
import os
import subprocess
import sys
import time

import pytest

from generate_helpers import ROOT, generate
from train_helpers import TINY, make_dataset, run_script
from src.utils.atomic import atomic_path, remove_stale_temps
from src.utils.cli import UserError
from src.utils.folder_lock import folder_lock


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
    done = run_script("train_sup.py", *common)
    assert done.returncode == 2 and "holds another run" in done.stderr
    assert f"MODEL.RESUME {tmp_path / 'run' / 'ckpt_last.pth'}" in done.stderr
    assert {p.name: p.stat().st_mtime_ns for p in (tmp_path / "run").iterdir()} == before


@pytest.mark.slow
def test_two_trainings_into_one_folder_the_second_is_refused(data, tmp_path):
    common = ["DATA.ROOT", data, "DATA.DATASET", "toy", *TINY, "TRAIN.EPOCHS", 1, "TRAIN.OUTPUT", tmp_path / "run"]
    with folder_lock(tmp_path / "run", "TRAIN.OUTPUT"):  # a run in progress
        done = run_script("train_sup.py", *common)
        assert sorted(p.name for p in (tmp_path / "run").iterdir()) == [".lock"]
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
    done = subprocess.run(list(map(str, cmd)), capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 2 and "which prepare_data.py did not make" in done.stderr
    assert mine.read_text() == "the user's own"
    same = subprocess.run(list(map(str, cmd[:3] + ["gen", "--root", tmp_path, "--from", videos])),
                          capture_output=True, text=True, cwd=ROOT)
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
    done = run_script(script, "TRAIN.OUTPUT", tmp_path / "out", *opts)
    assert done.returncode == 2 and message in done.stderr and "does not read it" in done.stderr
    assert not (tmp_path / "out").exists()


def test_the_shipped_configurations_set_only_keys_their_runs_read():
    from src.train.config import check_every_key_read, merge
    for path in sorted((ROOT / "cfg").rglob("*.yaml")):
        check_every_key_read(merge([path], None, []), "contrastive" if "pretrain_ssl" in str(path)
                             else "supervised", set())


def test_ssl_honours_flip_and_blur():
    from src.train.config import merge
    from src.transform.contrastive import ContrastiveTransform
    cfg = merge([], None, ["AUG.HOR_FLIP", "False", "AUG.PROB_BLUR", "0.0"])
    t = ContrastiveTransform(cfg.AUG, 32, 1)
    assert (t.outer_q.cfg.hor_flip, t.outer_q.cfg.prob_blur) == (False, 0.0)
    assert (t.outer_k.cfg.hor_flip, t.outer_k.cfg.prob_blur) == (False, 0.0)


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

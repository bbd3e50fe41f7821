"""A reported figure is a fact about this computation: cached features, a cell's folder, a resumed run or a
generated set is used only after checking it belongs to exactly these weights, videos and settings; damaged
state is recomputed or named in one line."""
import csv
import json
import os
import shutil

import numpy as np
import pytest
import torch

import zygote
from generate_helpers import ROOT, files, generate
from src.compare.report import table_rows
from src.probe.knn import knn_scores
from train_helpers import TINY, evaluation_opts, make_dataset, run_in_process, run_script
from video_fixtures import write

PROBE = evaluation_opts(["DATA.DATASET", "toy", *TINY, "DATA.VAL_MAX_SEGS", 1], "probe")
TINY_GEN = ["--res", 32, "--iter", 400, "--iter_b", 300, "--workers", 1]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return make_dataset(tmp_path_factory.mktemp("data"), n_train=3, n_val=2)


@pytest.fixture(scope="module")
def run(data, tmp_path_factory):
    """A finished 1-epoch training (resumable to more epochs)."""
    out = tmp_path_factory.mktemp("run") / "run"
    done = run_script("train_sup.py", "DATA.ROOT", data, "DATA.DATASET", "toy", *TINY, "TRAIN.EPOCHS", 1,
                      "TRAIN.OUTPUT", out)
    assert done.returncode == 0, done.stderr[-2000:]
    return out


def rows_of(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def one_error(done) -> str:
    errors = [line for line in done.stderr.splitlines() if "error:" in line]
    assert done.returncode == 2 and len(errors) == 1 and "Traceback" not in done.stderr, done.stderr[-1500:]
    return errors[0]


def test_cached_features_follow_the_videos_and_the_weights_not_their_names(data, tmp_path):
    root = tmp_path / "data"
    shutil.copytree(data, root)
    probe = ["DATA.ROOT", root, *PROBE, "TRAIN.OUTPUT", tmp_path / "probe"]
    first = run_in_process("probe.py", *probe)
    assert first.returncode == 0, first.stderr[-2000:]
    (cache,) = (tmp_path / "probe" / "features").glob("*.npz")

    # other videos under the same names and frame counts: encoded again, not read from the cache
    for video in sorted((root / "toy" / "val").rglob("*.mp4")):
        write(video, np.full((12, 32, 32, 3), 90, np.uint8), "h264")
    again = run_in_process("probe.py", *probe)
    assert again.returncode == 0 and "reused" not in again.stdout and "encoding" in again.stdout

    # another init's features put under this run's key are not this run's: recomputed, same rows as before
    other = run_in_process("probe.py", "DATA.ROOT", root, *PROBE, "SEED", 2, "TRAIN.OUTPUT", tmp_path / "other")
    assert other.returncode == 0, other.stderr[-2000:]
    rows = [r for r in rows_of(tmp_path / "probe" / "probe.csv")]
    (other_cache,) = (tmp_path / "other" / "features").glob("*.npz")
    caches = list((tmp_path / "probe" / "features").glob("*.npz"))
    for c in caches:
        shutil.copyfile(other_cache, c)
    third = run_in_process("probe.py", *probe)
    assert third.returncode == 0 and "is not used: it was computed for other weights" in third.stdout
    assert rows_of(tmp_path / "probe" / "probe.csv") == rows

    for c in (tmp_path / "probe" / "features").glob("*.npz"):
        c.write_bytes(b"truncated")  # a damaged cache is recomputed too
    fourth = run_in_process("probe.py", *probe)
    assert fourth.returncode == 0 and "cannot be read" in fourth.stdout
    assert rows_of(tmp_path / "probe" / "probe.csv") == rows


def test_unreadable_probe_videos_are_skipped_counted_and_never_cached(data, tmp_path):
    root = tmp_path / "data"
    shutil.copytree(data, root)
    ok = run_in_process("probe.py", "DATA.ROOT", root, *PROBE, "TRAIN.OUTPUT", tmp_path / "first")
    assert ok.returncode == 0  # the frame counts are cached now
    video = root / "toy" / "train" / "c0" / "0.mp4"
    stat = video.stat()
    video.write_bytes(b"\0" * stat.st_size)  # counted before, no longer decodes (same size and time)
    os.utime(video, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    done = run_in_process("probe.py", "DATA.ROOT", root, *PROBE, "TRAIN.OUTPUT", tmp_path / "probe")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "1 videos could not be decoded" in done.stdout + done.stderr
    assert {r["skipped_videos"] for r in rows_of(tmp_path / "probe" / "probe.csv")} == {"1"}
    assert {r["train_videos"] for r in rows_of(tmp_path / "probe" / "probe.csv")} == {"8"}
    assert not list((tmp_path / "probe" / "features").glob("*.npz"))


def test_a_probe_that_cannot_measure_anything_is_refused(data, tmp_path):
    one_class = tmp_path / "one"
    for split in ("train", "val"):
        shutil.copytree(data / "toy" / split / "c0", one_class / "toy" / split / "c0")
    done = run_in_process("probe.py", "DATA.ROOT", one_class, *PROBE, "TRAIN.OUTPUT", tmp_path / "a")
    assert "needs two or more classes" in one_error(done) and not (tmp_path / "a").exists()
    done = run_in_process("probe.py", "DATA.ROOT", data, *PROBE, "PROBE.MAX_VIDEOS", 2, "TRAIN.OUTPUT", tmp_path / "b")
    assert "leaves 1 of 3 classes without training videos" in one_error(done) and not (tmp_path / "b").exists()


def test_knn_votes_stay_finite_however_small_the_temperature():
    bank = torch.tensor([[1.0, 0], [0.9, 0.1], [0, 1], [0.1, 0.9]])
    labels = torch.tensor([0, 0, 1, 1])
    scores = knn_scores(bank, labels, torch.tensor([[1.0, 0.05], [0.05, 1.0]]), 2, k=4, temperature=1e-6)
    assert torch.isfinite(scores).all() and scores.argmax(1).tolist() == [0, 1]


def test_paired_intervals_stay_within_a_hundred_points():
    results = {"a": {1: {"x": 0.0}, 2: {"x": 100.0}}, "b": {1: {"x": 100.0}, 2: {"x": 0.0}}}
    (_, row), = [(r["init"], r) for r in table_rows(results, ("x",)) if r["init"] == "b"]
    assert -100 <= row["diff_low"] <= row["diff_high"] <= 100


def compare(*args, opts=()):
    return zygote.run([str(ROOT / "compare.py"), *map(str, args), "--opts", *map(str, opts)])


@pytest.mark.slow
def test_a_users_results_in_a_cell_folder_never_enter_the_table(data, tmp_path):
    out = tmp_path / "cmp"
    cell = out / "scratch" / "seed1"
    cell.mkdir(parents=True)
    with open(cell / "probe.csv", "w") as f:  # looks finished, but compare.py did not run it
        f.write("init,seed,method,top1\nx,1,knn,99.0\nx,1,linear,99.0\n")
    mine = (cell / "probe.csv").read_bytes()
    done = compare("--init", "scratch", "--seeds", 1, "--mode", "probe", "--out", out,
                   opts=["DATA.ROOT", data, *PROBE])
    assert "finished earlier" not in done.stdout and done.returncode == 2
    assert "probe.csv, not written by this toolkit" in done.stderr and (cell / "probe.csv").read_bytes() == mine
    assert not (out / "compare.csv").exists()


def test_compare_reads_every_init_before_the_first_cell(data, tmp_path):
    junk = tmp_path / "junk.pth"
    junk.write_bytes(os.urandom(4096))
    done = compare("--init", "scratch", "--init", f"junk={junk}", "--seeds", 1, "--out", tmp_path / "cmp",
                   opts=["DATA.ROOT", data, "DATA.DATASET", "toy", *TINY])
    assert "neither a checkpoint of train_sup.py/train_ssl.py" in one_error(done)
    assert not (tmp_path / "cmp").exists()


@pytest.mark.parametrize("text", ["{}", "[]", "null"])
def test_a_damaged_comparison_record_is_named(tmp_path, text):
    (tmp_path / "cmp").mkdir()
    (tmp_path / "cmp" / "compare.json").write_text(text)
    done = compare("--report", "--out", tmp_path / "cmp")
    assert "compare.json cannot be read as compare.py's record" in one_error(done)


@pytest.mark.slow
@pytest.mark.parametrize("change,named", [
    (["TRAIN.LR_BASE", 0.01], "TRAIN.LR_BASE"),
    (["TRAIN.OPTIMIZER.NAME", "sgd"], "TRAIN.OPTIMIZER.NAME"),
    (["DATA.IMG_SIZE", 48], "DATA.IMG_SIZE"),
])
def test_a_resume_with_other_settings_is_refused_naming_them(data, run, change, named):
    before = {p.name: p.stat().st_mtime_ns for p in run.iterdir()}
    done = run_in_process("train_sup.py", "DATA.ROOT", data, "DATA.DATASET", "toy", *TINY, "TRAIN.EPOCHS", 2,
                          "TRAIN.OUTPUT", run, "MODEL.RESUME", run / "ckpt_last.pth", *change)
    line = one_error(done)
    assert "was trained with other settings" in line and named in line
    assert {p.name: p.stat().st_mtime_ns for p in run.iterdir()} == before


@pytest.mark.slow
def test_a_resume_with_other_class_files_of_the_same_names_is_refused(tmp_path):
    generate("--gen_param", 2, *TINY_GEN, "--dir_out", tmp_path / "params")
    common = ["DATA.SOURCE", "fractal", "DATA.SAMPLES_PER_EPOCH", 8, "DATA.VAL_SAMPLES", 3, *TINY[2:],
              "TRAIN.OUTPUT", tmp_path / "run"]
    done = run_script("train_sup.py", "DATA.CLASS_PARAMS", tmp_path / "params", *common, "TRAIN.EPOCHS", 1)
    assert done.returncode == 0, done.stderr[-2000:]
    for f in (tmp_path / "params").glob("*.npz"):  # same names, other classes
        with np.load(f) as stored:
            params = {k: stored[k] * 0.95 if stored[k].dtype.kind == "f" else stored[k] for k in stored.files}
        np.savez(f, **params)
    done = run_in_process("train_sup.py", "DATA.CLASS_PARAMS", tmp_path / "params", *common, "TRAIN.EPOCHS", 2,
                          "MODEL.RESUME", tmp_path / "run" / "ckpt_last.pth")
    assert "trained on other class files" in one_error(done)


def test_a_damaged_metrics_table_stops_a_resume_with_one_line(data, run, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    (copy / "metrics.csv").write_text("lr,loss\n0.1,2\n")
    done = run_in_process("train_sup.py", "DATA.ROOT", data, "DATA.DATASET", "toy", *TINY, "TRAIN.EPOCHS", 2,
                          "TRAIN.OUTPUT", copy, "MODEL.RESUME", copy / "ckpt_last.pth")
    assert "metrics.csv is damaged" in one_error(done)


def test_a_truncated_output_is_made_again_identical(tmp_path):
    out = tmp_path / "out"
    generate("--samples", 3, *TINY_GEN, "--dir_out", out)
    made = files(out)
    victim = out / sorted(made)[0]
    victim.write_bytes(victim.read_bytes()[:100])
    done = generate("--samples", 3, *TINY_GEN, "--dir_out", out)
    assert "2 of this run's outputs already present" in done.stdout and files(out) == made


def test_a_folder_whose_settings_record_is_gone_or_damaged_is_refused(tmp_path):
    out = tmp_path / "out"
    generate("--samples", 2, *TINY_GEN, "--dir_out", out)
    (out / ".generate.json").unlink()
    done = generate("--samples", 2, *TINY_GEN, "--seed", 5, "--dir_out", out, check=False)
    assert "settings record .generate.json is missing" in one_error(done)
    for text in ("[1, 2]", "null"):
        (out / ".generate.json").write_text(text)
        done = generate("--samples", 2, *TINY_GEN, "--dir_out", out, check=False)
        assert ".generate.json is unreadable" in one_error(done)


def test_impossible_frame_counts_are_recounted(tmp_path):
    from src.data.frame_index import INDEX_NAME, frame_counts
    write(tmp_path / "a.mp4", np.zeros((5, 16, 16, 3), np.uint8), "h264")
    write(tmp_path / "b.mp4", np.zeros((6, 16, 16, 3), np.uint8), "h264")
    sig = {n: [(tmp_path / n).stat().st_size, (tmp_path / n).stat().st_mtime_ns] for n in ("a.mp4", "b.mp4")}
    (tmp_path / INDEX_NAME).write_text(json.dumps({"a.mp4": sig["a.mp4"] + [-6], "b.mp4": sig["b.mp4"] + [10**6]}))
    assert frame_counts(tmp_path, [tmp_path / "a.mp4", tmp_path / "b.mp4"], workers=1) == [5, 6]


def test_a_damaged_prepared_record_is_named(tmp_path):
    folder = tmp_path / "root" / "mine"
    folder.mkdir(parents=True)
    (folder / ".prepared.json").write_text("{}")
    done = zygote.run([str(ROOT / "prepare_data.py"), "--dataset", "mine", "--root",
                      tmp_path / "root", "--from", ROOT / "assets"])
    assert ".prepared.json is damaged" in one_error(done)


@pytest.mark.parametrize("opts,message", [
    (["TRAIN.LR_BASE", 0.1], "TRAIN.LR_BASE is set but val_sup.py does not read it"),
    (["PROBE.KNN_K", 5], "PROBE.KNN_K is set but this run does not read it: only probe.py"),
])
def test_val_sup_refuses_keys_it_does_not_read(data, run, tmp_path, opts, message):
    done = run_in_process("val_sup.py", "DATA.ROOT", data, "DATA.DATASET", "toy", *evaluation_opts(TINY),
                          "MODEL.RESUME", run / "ckpt_last.pth", "TRAIN.OUTPUT", tmp_path / "val", *opts)
    assert message in one_error(done) and not (tmp_path / "val").exists()


@pytest.mark.parametrize("opts,message", [
    (["TRAIN.TIME_LIMIT", "0s"], "TRAIN.TIME_LIMIT 0s leaves no time to train"),
    (["AUG.PROB_CLONE", 0.5], "only the background mixup (AUG.TYPE_MIXUP back) does"),
    (["TRAIN.SYNC_BN", True], "TRAIN.SYNC_BN synchronises BatchNorm across the processes of a DDP run"),
])
def test_training_keys_that_would_do_nothing_are_refused(data, tmp_path, opts, message):
    done = run_in_process("train_sup.py", "DATA.ROOT", data, "DATA.DATASET", "toy", *TINY,
                          "TRAIN.OUTPUT", tmp_path / "out", *opts)
    assert message in one_error(done) and not (tmp_path / "out").exists()

"""compare.py: every (initialisation, seed) cell is an ordinary run in its own folder, shards split the cells,
finished cells are kept on a rerun, and the table reports what the runs measured."""
import csv

import pytest

from train_helpers import TINY, evaluation_opts, make_dataset, run_in_process, run_script

CELL = ["DATA.DATASET", "toy", *TINY, "TRAIN.EPOCHS", 1, "TRAIN.EPOCHS_WARMUP", 0]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return make_dataset(tmp_path_factory.mktemp("data"))


def compare(*args, opts=(), in_process=False):
    run = run_in_process if in_process else run_script
    return run("compare.py", *opts, args=args)


def table(out):
    with open(out / "compare.csv") as f:
        return {(r["init"], r["figure"]): r for r in csv.DictReader(f)}


def best_val(folder):
    with open(folder / "metrics.csv") as f:
        return max(float(r["acc1_val"]) for r in csv.DictReader(f) if r["acc1_val"])


@pytest.mark.slow
def test_two_inits_two_seeds_in_shards_then_a_rerun_keeps_every_cell(data, tmp_path):
    done = run_script("train_sup.py", "DATA.ROOT", data, *CELL, "TRAIN.OUTPUT", tmp_path / "pre")
    assert done.returncode == 0, done.stderr[-2000:]
    out = tmp_path / "cmp"
    args = ["--init", "scratch", "--init", f"toy={tmp_path / 'pre' / 'ckpt_last.pth'}", "--seeds", "2", "--out", out]
    opts = ["DATA.ROOT", data, *CELL]

    first = compare(*args, "--shard", "0/2", opts=opts)  # cells 0 and 2: scratch seed 1, toy seed 1
    assert first.returncode == 0, first.stderr[-2000:]
    assert sorted(p.parent.name + "/" + p.name for p in out.glob("*/seed*")) == ["scratch/seed1", "toy/seed1"]
    assert "2 of 4 cells have not finished" in first.stdout
    assert "initialised from supervised checkpoint" in (out / "toy" / "seed1" / "log_rank0.txt").read_text()

    second = compare(*args, "--shard", "1/2", opts=opts)
    assert second.returncode == 0, second.stderr[-2000:]
    rows = table(out)
    for init in ("scratch", "toy"):
        values = {seed: best_val(out / init / f"seed{seed}") for seed in (1, 2)}
        assert rows[init, "best top-1"]["per_seed"] == " ".join(f"{s}:{v:.2f}" for s, v in values.items())
        assert float(rows[init, "best top-1"]["mean"]) == pytest.approx(sum(values.values()) / 2, abs=1e-3)
        assert rows[init, "best top-1"]["seeds"] == "2"
    diffs = [best_val(out / "toy" / f"seed{s}") - best_val(out / "scratch" / f"seed{s}") for s in (1, 2)]
    assert float(rows["toy", "best top-1"]["diff"]) == pytest.approx(sum(diffs) / 2, abs=1e-3)
    assert rows["scratch", "best top-1"]["diff"] == ""
    assert (out / "compare.png").read_bytes()[:4] == b"\x89PNG"

    before = {p: p.stat().st_mtime_ns for p in out.glob("*/seed*/ckpt_last.pth")}
    again = compare(*args, opts=opts, in_process=True)
    assert again.returncode == 0 and again.stdout.count("finished earlier, kept") == 4, again.stderr[-2000:]
    assert {p: p.stat().st_mtime_ns for p in out.glob("*/seed*/ckpt_last.pth")} == before
    report = run_in_process("compare.py", args=["--out", out, "--report"])
    assert report.returncode == 0 and "vs scratch [paired 95% CI]" in report.stdout


@pytest.mark.slow
def test_probe_cells_of_a_checkpoint_encode_once_for_every_seed(data, tmp_path):
    from cfg.defaults import defaults
    from src.models.tsm import TSM
    from src.train import checkpoint
    path = checkpoint.save(tmp_path, 0, defaults(), TSM(3, 4, "resnet18"),
                           {"task": "supervised", "arch": "tsm", "base": "resnet18", "n_classes": 3})
    out = tmp_path / "cmp"
    done = compare("--init", f"ck={path}", "--seeds", "2", "--mode", "probe", "--out", out,
                   opts=evaluation_opts(["DATA.ROOT", data, *CELL[:-4], "DATA.VAL_MAX_SEGS", 1, "PROBE.MAX_VIDEOS", 6], "probe"))
    assert done.returncode == 0, done.stderr[-2000:]
    assert "reused from" in (out / "ck" / "seed2" / "log_rank0.txt").read_text()
    rows = table(out)
    assert set(rows) == {("ck", "k-NN top-1"), ("ck", "linear top-1")} and rows["ck", "k-NN top-1"]["seeds"] == "2"


def test_a_folder_with_a_report_compare_did_not_write_is_refused(data, tmp_path):
    (tmp_path / "cmp").mkdir()
    (tmp_path / "cmp" / "compare.csv").write_text("mine")
    done = run_in_process("compare.py", "DATA.ROOT", data, *CELL, args=["--init", "scratch", "--out", tmp_path / "cmp"])
    assert done.returncode == 2 and "holds compare.csv but no compare.json" in done.stderr, done.stderr[-800:]
    assert sorted(p.name for p in (tmp_path / "cmp").iterdir()) == ["compare.csv"]
    assert (tmp_path / "cmp" / "compare.csv").read_text() == "mine"


@pytest.mark.parametrize("args,opts,message", [
    (["--init", "scratch"], ["SEED", 3], "compare.py sets SEED for each cell"),
    (["--init", "scratch", "--init", "scratch"], [], "--init names must differ"),
    (["--init", "x=nothere.pth"], [], "nothere.pth is not a file"),
    (["--init", "nothere.pth"], [], "give scratch or NAME=CHECKPOINT"),
    (["--init", "scratch"], ["DATA.DATASET", "missing"], "does not exist; prepare it with"),
    (["--report"], [], "holds no comparison"),
    (["--init", "x={x3d}"], [], "holds a X3D-XS; set MODEL.ARCH x3d MODEL.X3D_SIZE XS"),
    (["--seeds", "0", "--init", "scratch"], [], "--seeds: expected a whole number >= 1"),
])
def test_bad_input_exits_2_with_one_line_before_writing(data, tmp_path, args, opts, message):
    if "x={x3d}" in args:  # a checkpoint of another model than the cells train
        from cfg.defaults import defaults
        from src.models.x3d import X3D
        from src.train import checkpoint
        path = checkpoint.save(tmp_path, 0, defaults(), X3D(3, "XS"),
                               {"task": "supervised", "arch": "x3d", "base": "XS", "n_classes": 3})
        args = [a.format(x3d=path) for a in args]
    done = run_in_process("compare.py", "DATA.ROOT", data, *CELL, *opts, args=[*args, "--out", tmp_path / "cmp"])
    errors = [line for line in done.stderr.splitlines() if "error:" in line]
    assert done.returncode == 2 and len(errors) == 1 and message in errors[0], done.stderr[-800:]
    assert not (tmp_path / "cmp").exists()


@pytest.mark.slow
def test_a_killed_compare_leaves_no_cell_running(data, tmp_path):
    import subprocess
    import sys

    from generate_helpers import ROOT
    from test_data_safety import _alive, children_after_killing
    main = subprocess.Popen([sys.executable, str(ROOT / "compare.py"), "--init", "scratch", "--seeds", "1",
                             "--out", str(tmp_path / "cmp"), "--opts", "DATA.ROOT", str(data),
                             *map(str, CELL[:-4]), "TRAIN.EPOCHS", "200"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cells = children_after_killing(main, seconds=30)
    assert cells, "the cell's train_sup.py did not start"
    assert not any(map(_alive, cells))

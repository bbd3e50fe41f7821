"""Bad input gives one line naming the problem and the fix, exit code 2, and nothing written; an interruption
loses nothing. One table per script."""
import csv
import pickle

import pytest
import torch

from generate_helpers import generate
from train_helpers import TINY, make_dataset, run_in_process, run_script

UNWRITABLE = "/proc/fractal-video-test/out"  # mkdir fails there, even for root


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return make_dataset(tmp_path_factory.mktemp("data"))


class Payload:
    """A pickled object whose unpickling would run code."""

    def __reduce__(self):
        return (print, ("payload ran",))


def _files(tmp_path):
    (tmp_path / "syntax.yaml").write_text("DATA:\n  BATCH_SIZE: [8\n")
    (tmp_path / "list.yaml").write_text("- DATA\n- TRAIN\n")
    (tmp_path / "type.yaml").write_text("DATA:\n  BATCH_SIZE: many\n")
    (tmp_path / "section.yaml").write_text("DATA: 3\n")
    (tmp_path / "empty.pth").write_bytes(b"")
    (tmp_path / "garbage.pth").write_bytes(b"\x00garbage" * 100)
    with open(tmp_path / "pickled.pth", "wb") as f:
        pickle.dump({"model": Payload()}, f, protocol=2)  # 4 and 5 are refused before any global is read
    torch.save({"weights": {}}, tmp_path / "foreign.pth")


TRAIN_BAD = [
    (["--cfg", "{tmp}/syntax.yaml"], [], "syntax.yaml is not valid YAML at line"),
    (["--cfg", "{tmp}/list.yaml"], [], "holds a list at the top level; a mapping of sections"),
    (["--cfg", "{tmp}/type.yaml"], [], "type.yaml: DATA.BATCH_SIZE expects an int, got 'many'"),
    (["--cfg", "{tmp}/section.yaml"], [], "DATA is a section; set its keys"),
    ([], ["DATA.BATCH_SIZE", "many"], "--opts: DATA.BATCH_SIZE expects an int, got 'many'"),
    ([], ["AUG.HOR_FLIP", "maybe"], "AUG.HOR_FLIP expects True or False"),
    ([], ["DATA.IMG_SIZE", "-5"], "DATA.IMG_SIZE -5 is out of range; it must be ≥ 8"),
    ([], ["TRAIN.EPOCHS", "0"], "TRAIN.EPOCHS 0 is out of range"),
    ([], ["AUG.PROB_BLUR", "1.5"], "AUG.PROB_BLUR 1.5 is out of range; it must be ≥ 0 and ≤ 1"),
    ([], ["TRAIN.OPTIMIZER.NAME", "lion"], "TRAIN.OPTIMIZER.NAME 'lion' is not one of adamw, sgd, adam"),
    ([], ["TRAIN.OUTPUT", UNWRITABLE], "is not writable (read-only or no permission); choose another folder"),
    ([], ["MODEL.RESUME", "{tmp}/empty.pth"], "MODEL.RESUME {tmp}/empty.pth is empty; give a checkpoint"),
    ([], ["MODEL.RESUME", "{tmp}/garbage.pth"], "cannot be read as a checkpoint: it is not a PyTorch file"),
    ([], ["MODEL.RESUME", "{tmp}/pickled.pth"], "cannot be read as a checkpoint: it holds objects other "
                                                "than tensors, which are never unpickled"),
    ([], ["MODEL.RESUME", "{tmp}/foreign.pth"], "is not a checkpoint of this project (no 'model' weights)"),
    ([], ["TRAIN.INIT_SUP", "{tmp}/garbage.pth"], "TRAIN.INIT_SUP {tmp}/garbage.pth cannot be read"),
    ([], ["TRAIN.INIT_SSL", "{tmp}/pickled.pth"], "TRAIN.INIT_SSL {tmp}/pickled.pth cannot be read"),
    ([], ["MODEL.KINETICS", "{tmp}/garbage.pth"], "MODEL.KINETICS {tmp}/garbage.pth cannot be read"),
    ([], ["MODEL.KINETICS", "{tmp}/foreign.pth"], "has no 'state_dict'"),
]


@pytest.mark.parametrize("args,opts,message", TRAIN_BAD)
def test_train_sup_bad_input(data, tmp_path, args, opts, message):
    _files(tmp_path)
    fill = lambda xs: [x.format(tmp=tmp_path) for x in xs]  # noqa: E731
    done = run_in_process("train_sup.py", "DATA.ROOT", data, "DATA.DATASET", "toy", *TINY, "TRAIN.OUTPUT",
                          tmp_path / "out", *fill(opts), args=fill(args))
    errors = [line for line in done.stderr.splitlines() if "error:" in line]
    assert done.returncode == 2 and len(errors) == 1, done.stderr[-1500:]
    assert message.format(tmp=tmp_path) in errors[0]
    assert not (tmp_path / "out").exists() and "payload ran" not in done.stdout + done.stderr


@pytest.mark.parametrize("script", ["train_ssl.py", "val_sup.py"])
def test_other_training_scripts_check_the_same_way(data, tmp_path, script):
    _files(tmp_path)
    done = run_in_process(script, "DATA.ROOT", data, "DATA.DATASET", "toy", *TINY, "TRAIN.OUTPUT", tmp_path / "out",
                          "MODEL.RESUME", tmp_path / "garbage.pth", args=("--cfg", tmp_path / "syntax.yaml"))
    assert done.returncode == 2 and "syntax.yaml is not valid YAML" in done.stderr
    assert not (tmp_path / "out").exists()


GENERATE_BAD = [
    (["--seed", "-1"], "--seed: must be >= 0, got -1"),
    (["--res", "2"], "--res 2 / --res_b 128 are too small to draw on; use at least 16"),
    (["--samples", "x"], "--samples: expected an integer, got 'x'"),
    (["--dir_out", UNWRITABLE], "is not writable; choose another folder"),
]


@pytest.mark.parametrize("args,message", GENERATE_BAD)
def test_generate_bad_input(tmp_path, args, message):
    base = {"--samples": "2", "--dir_out": str(tmp_path / "out")}
    for flag, value in zip(args[::2], args[1::2]):
        base[flag] = value
    done = generate(*[x for kv in base.items() for x in kv], check=False)
    errors = [line for line in done.stderr.splitlines() if "error:" in line]
    assert done.returncode == 2 and len(errors) == 1 and message in errors[0], done.stderr[-1000:]
    assert not (tmp_path / "out").exists()


def test_preview_ignores_other_files_in_dir_out(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "myclip.mp4").write_bytes(b"someone else's video")
    done = generate("--samples", 2, "--res", 64, "--dir_out", tmp_path / "out", "--preview", "--workers", 1)
    assert done.returncode == 0 and (tmp_path / "out" / "preview.png").exists()


@pytest.mark.slow
def test_an_interrupted_epoch_keeps_every_metrics_row_and_no_partial_save(data, tmp_path):
    """Killed after epoch 1's metrics row but before its checkpoint, with a half-written save on disk: the
    resume from epoch 0 redoes epoch 1, replaces its row, keeps epoch 0's, and removes the partial file."""
    common = ["DATA.ROOT", data, "DATA.DATASET", "toy", *TINY, "TRAIN.EPOCHS_SAVE", 1, "TRAIN.OUTPUT", tmp_path]
    done = run_script("train_sup.py", *common, "TRAIN.EPOCHS", 2)
    assert done.returncode == 0, done.stderr[-1500:]
    with open(tmp_path / "metrics.csv") as f:
        first = list(csv.DictReader(f))
    (tmp_path / "ckpt_epoch_1.pth").unlink()
    (tmp_path / "ckpt_last.pth").unlink()
    (tmp_path / ".ckpt_epoch_1.partial-x1y2.pth").write_bytes(b"\x00" * 1000)
    done = run_script("train_sup.py", *common, "TRAIN.EPOCHS", 3, "MODEL.RESUME", tmp_path / "ckpt_epoch_0.pth")
    assert done.returncode == 0, done.stderr[-1500:]
    with open(tmp_path / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    assert [r["epoch"] for r in rows] == ["0", "1", "2"] and rows[0] == first[0]
    assert not list(tmp_path.glob(".*partial*")) and (tmp_path / "ckpt_last.pth").samefile(tmp_path / "ckpt_epoch_2.pth")

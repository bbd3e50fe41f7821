"""train_sup.py and val_sup.py end to end on a tiny generated 3-class dataset (CPU, ResNet-18 base, 32 px)."""
import csv
import shutil

import cv2

import pytest
import torch

from src.train.checkpoint import load
from train_helpers import TINY, make_dataset, run_in_process, run_script


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return make_dataset(tmp_path_factory.mktemp("data"))


def train(data, out, *extra):
    done = run_script("train_sup.py", "DATA.ROOT", data, "DATA.DATASET", "toy", *TINY, "TRAIN.OUTPUT", out, *extra)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def rows(out):
    with open(out / "metrics.csv") as f:
        return list(csv.DictReader(f))


@pytest.mark.slow
def test_loss_falls_and_accuracy_beats_chance(data, tmp_path):
    train(data, tmp_path, "TRAIN.EPOCHS", 4, "TRAIN.EPOCHS_WARMUP", 0, "TRAIN.LR_BASE", 4e-3, "TRAIN.EPOCHS_EVAL", 2,
          "TRAIN.EPOCHS_SAVE", 2, "AUG.AUTO_AUGMENT_M", 0, "AUG.PROB_BLUR", 0)
    r = rows(tmp_path)
    assert float(r[-1]["train_loss"]) < float(r[0]["train_loss"])
    assert float(r[-1]["train_acc1"]) > 60 and float(r[-1]["acc1_val"]) > 34  # chance: 33.3 %
    assert (tmp_path / "curves.png").stat().st_size > 0 and list((tmp_path / "tb").iterdir())
    assert "EPOCH [3/4]" in (tmp_path / "log_rank0.txt").read_text()


@pytest.mark.slow
def test_resume_continues_bit_for_bit(data, tmp_path):
    """Every augmentation on, and the online probe: resuming from epoch 0 ends with exactly the weights of the
    uninterrupted run."""
    heavy = ["TRAIN.EPOCHS", 3, "TRAIN.EPOCHS_WARMUP", 1, "TRAIN.EPOCHS_SAVE", 1, "TRAIN.EPOCHS_EVAL", 3,
             "PROBE.DATASET", "toy", "PROBE.EXTENSION", "mp4", "PROBE.EVERY", 1, "PROBE.MAX_VIDEOS", 6,
             "AUG.TYPE_MIXUP", "back", "AUG.PROB_SCALE", 0.5, "AUG.PROB_SHIFT", 0.5, "AUG.PROB_CLONE", 0.5,
             "AUG.PROB_PERSPECTIVE", 0.5, "AUG.PROB_ZOOM", 0.5, "AUG.PROB_SHAKE", 0.5, "AUG.EPOCHS_CURRICULUM", 1,
             "DATA.TORCH_N_WORKERS", 1]
    train(data, tmp_path / "full", *heavy)
    train(data, tmp_path / "resumed", *heavy, "MODEL.RESUME", tmp_path / "full" / "ckpt_epoch_0.pth")
    full, resumed = load(tmp_path / "full" / "ckpt_epoch_2.pth"), load(tmp_path / "resumed" / "ckpt_epoch_2.pth")
    assert all(torch.equal(full["model"][k], resumed["model"][k]) for k in full["model"])
    assert [r["train_loss"] for r in rows(tmp_path / "full")[1:]] == [r["train_loss"] for r in rows(tmp_path / "resumed")]
    probed = [float(r["probe_knn_acc1"]) for r in rows(tmp_path / "full")]
    assert len(probed) == 3 and all(0 <= p <= 100 for p in probed)
    assert [r["probe_knn_acc1"] for r in rows(tmp_path / "resumed")] == [r["probe_knn_acc1"]
                                                                         for r in rows(tmp_path / "full")[1:]]
    assert "RESUME: ''" in (tmp_path / "resumed" / "config.yaml").read_text()  # --cfg it: the whole run again


@pytest.mark.slow
def test_two_process_ddp_on_cpu(data, tmp_path):
    """Each rank encodes half of the online probe's videos; rank 0 gets them all and votes."""
    done = run_script("train_sup.py", "DATA.ROOT", data, "DATA.DATASET", "toy", *TINY, "DATA.BATCH_SIZE", 4,
                      "TRAIN.OUTPUT", tmp_path, "TRAIN.EPOCHS", 1, "TRAIN.EPOCHS_WARMUP", 0, "PROBE.DATASET", "toy",
                      "PROBE.EXTENSION", "mp4",
                      prefix=("-m", "torch.distributed.run", "--nproc_per_node", "2"))
    assert done.returncode == 0, done.stderr[-2000:]
    assert len(rows(tmp_path)) == 1 and (tmp_path / "ckpt_epoch_0.pth").exists()
    assert rows(tmp_path)[0]["probe_knn_acc1"] != ""
    assert "among 24 training videos" in (tmp_path / "log_rank0.txt").read_text()
    assert not (tmp_path / "log_rank1.txt").exists()


BAD = [
    (["DATA.DATASET", "missing"], "does not exist; prepare it with: python prepare_data.py --dataset missing"),
    (["TRAIN.NOPE", "1"], "--opts: unknown key TRAIN.NOPE"),
    (["DATA.BATCH_SIZE", "many"], "DATA.BATCH_SIZE"),
    (["MODEL.RESUME", "{ckpt}", "TRAIN.INIT_SUP", "{ckpt}"], "MODEL.RESUME and TRAIN.INIT_SUP are both set"),
    (["MODEL.RESUME", "{junk}"], "cannot be read as a checkpoint"),
    (["TRAIN.INIT_SUP", "nowhere.pth"], "TRAIN.INIT_SUP nowhere.pth is not a file"),
    (["TRAIN.TIME_LIMIT", "90m"], "minutes must be < 60"),
    (["DATA.BATCH_SIZE", "64"], "fewer than one batch"),
]


@pytest.mark.parametrize("extra,message", BAD)
def test_bad_input_exits_2_with_one_line(data, tmp_path, extra, message):
    (tmp_path / "junk.pth").write_bytes(b"not a checkpoint")
    (tmp_path / "ckpt.pth").write_bytes(b"x")
    extra = [e.format(ckpt=tmp_path / "ckpt.pth", junk=tmp_path / "junk.pth") for e in extra]
    done = run_in_process("train_sup.py", "DATA.ROOT", data, "DATA.DATASET", "toy", *TINY, "TRAIN.OUTPUT",
                          tmp_path / "out", *extra)
    assert done.returncode == 2, done.stderr[-2000:]
    errors = [line for line in done.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and message in errors[0], done.stderr[-1000:]
    assert not (tmp_path / "out").exists()  # nothing written: the problem is found before the output folder


def test_validation_class_missing_from_training_is_an_error(data, tmp_path):
    shutil.copytree(data / "toy", tmp_path / "toy")
    shutil.copytree(tmp_path / "toy" / "val" / "c0", tmp_path / "toy" / "val" / "zebra")
    done = run_in_process("train_sup.py", "DATA.ROOT", tmp_path, "DATA.DATASET", "toy", *TINY, "TRAIN.OUTPUT",
                          tmp_path / "out")
    assert done.returncode == 2 and "absent from training: zebra" in done.stderr



@pytest.mark.slow
def test_preview_of_augmented_clips(data, tmp_path):
    done = run_script("train_sup.py", "DATA.ROOT", data, "DATA.DATASET", "toy", *TINY, "TRAIN.OUTPUT", tmp_path,
                      "AUG.TYPE_MIXUP", "back", "AUG.PROB_SCALE", 1.0, args=("--preview-aug", "2"))
    assert done.returncode == 0, done.stderr[-1000:]
    sheet = cv2.imread(str(tmp_path / "augment_preview.png"))
    rows, columns = 2 * 3, 4  # 2 clips x (loaded, step 0, curriculum end), 4 frames, zoomed 3x to 96 px
    assert sheet.shape[0] > rows * 96 and sheet.shape[1] > columns * 96

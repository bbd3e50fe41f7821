"""On-the-fly fractal clips (DATA.SOURCE fractal): shapes, class identity, determinism, training, errors."""
import csv

import numpy as np
import pytest
import torch

from cfg.defaults import defaults
from generate_helpers import generate
from src.data.datasets import ClipSpec, TrainClips
from src.data.fractal_source import FractalSource
from src.data.loaders import make_loader
from src.synthetic.generator import Settings
from src.train.contrastive import contrastive_pairs
from src.train.data import labelled_datasets
from src.transform.crops import TrainCrop
from train_helpers import run_in_process, run_script

SPEC = ClipSpec(clip_length=4, stride=2, val_min_steps=2, val_max_segs=2)
SMALL = Settings(res=40, bs_point=32, iters=600, iter_b=300, iter_skip=50, res_b=32)


@pytest.fixture(scope="module")
def class_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("classes")
    generate("--gen_param", 3, "--dir_out", folder)
    return folder


def _cfg(class_dir):
    cfg = defaults()
    cfg.DATA.SOURCE, cfg.DATA.CLASS_PARAMS, cfg.DATA.IMG_SIZE = "fractal", str(class_dir), 32
    cfg.DATA.SAMPLES_PER_EPOCH, cfg.DATA.VAL_SAMPLES = 12, 6
    cfg.DATA.CLIP_LENGTH, cfg.DATA.STRIDE, cfg.DATA.VAL_MIN_STEPS, cfg.DATA.VAL_MAX_SEGS = 4, 2, 2, 2
    cfg.AUG.MIN_SCALE = 0.5
    return cfg


def test_items_have_the_configured_shapes_and_range(class_dir):
    train, val, names, _ = labelled_datasets(_cfg(class_dir))
    assert train.source.settings.res == 36  # IMG_SIZE·256/224, made even
    clip, label = train[(0, 11)]
    assert clip.shape == (3, 4, 32, 32) and clip.dtype == torch.float32 and 0 <= clip.min() and clip.max() <= 1
    assert torch.equal(clip[0], clip[1])  # gray fractal on three channels
    segments, labels, ids = val[2]
    assert segments.shape[1:] == (3, 4, 32, 32) and 1 <= len(segments) <= 2 and ids.tolist() == [2] * len(segments)
    pairs, _ = contrastive_pairs(_cfg(class_dir))
    views, index = pairs[(5, 1)]
    assert views.shape == (2, 3, 4, 32, 32) and index == 5


def test_class_identity_is_stable(class_dir):
    params, names = FractalSource.load_classes(class_dir)
    assert list(names) == [p.stem for p in sorted(class_dir.rglob("*.npz"))]  # index = position in sorted files
    source = FractalSource(9, SMALL, params)
    assert source.labels[:6] == [0, 1, 2, 0, 1, 2]  # balanced round robin
    again, _ = FractalSource.load_classes(class_dir)
    assert all(np.array_equal(a["angle"], b["angle"]) for a, b in zip(params, again))  # same class → same parameters


def test_same_seed_same_clips_whatever_the_workers(class_dir):
    data = TrainClips(FractalSource(8, SMALL, FractalSource.load_classes(class_dir)[0], seed=3), SPEC, TrainCrop(32, 0.5))
    assert torch.equal(data[(1, 42)][0], data[(1, 42)][0])
    assert not torch.equal(data[(1, 42)][0], data[(1, 43)][0])
    runs = [[c for c, _ in make_loader(data, 4, workers=w, shuffle=True, seed=5)] for w in (0, 2)]
    assert all(torch.equal(a, b) for a, b in zip(*runs))


def test_samples_of_a_class_share_the_fractal(class_dir):
    """Mutated samples of one class are closer to each other than to samples of other classes (raw frames)."""
    data = TrainClips(FractalSource(9, SMALL, FractalSource.load_classes(class_dir)[0]), ClipSpec(4, 2), lambda c: c.float())
    clips = [data[(i, 100 + i)][0].mean(dim=(0, 1)) for i in range(9)]  # mean frame of each clip
    d = lambda a, b: (a - b).abs().mean().item()  # noqa: E731
    within = np.mean([d(clips[i], clips[j]) for i in range(9) for j in range(i + 1, 9) if i % 3 == j % 3])
    between = np.mean([d(clips[i], clips[j]) for i in range(9) for j in range(i + 1, 9) if i % 3 != j % 3])
    assert within < between


@pytest.mark.slow
def test_tiny_supervised_run_on_rendered_clips_learns(class_dir, tmp_path):
    done = run_script("train_sup.py", "DATA.SOURCE", "fractal", "DATA.CLASS_PARAMS", class_dir,
                      "DATA.SAMPLES_PER_EPOCH", 48, "DATA.VAL_SAMPLES", 12, "DATA.IMG_SIZE", 32, "DATA.CLIP_LENGTH", 4,
                      "DATA.STRIDE", 2, "DATA.BATCH_SIZE", 8, "DATA.TORCH_N_WORKERS", 2, "DATA.VAL_MAX_SEGS", 1,
                      "MODEL.TSM_BASE", "resnet18", "TRAIN.EPOCHS", 4, "TRAIN.EPOCHS_WARMUP", 0,
                      "TRAIN.EPOCHS_EVAL", 4, "TRAIN.LR_BASE", 4e-3, "AUG.AUTO_AUGMENT_M", 0, "AUG.PROB_BLUR", 0,
                      "TRAIN.OUTPUT", tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    with open(tmp_path / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    assert float(rows[-1]["train_loss"]) < float(rows[0]["train_loss"])
    assert float(rows[-1]["train_acc1"]) > 40  # chance: 33.3 %


@pytest.mark.parametrize("opts,message", [
    (["DATA.CLASS_PARAMS", "nowhere"], "DATA.CLASS_PARAMS nowhere is not a folder"),
    ([], "needs DATA.CLASS_PARAMS"),
    (["DATA.CLASS_PARAMS", "{empty}"], "holds no class files"),
    (["DATA.RENDER_DEVICE", "gpu"], "DATA.RENDER_DEVICE 'gpu' is not one of"),
])
def test_bad_class_params_exit_2_with_one_line(tmp_path, opts, message):
    (tmp_path / "empty").mkdir()
    opts = [o.format(empty=tmp_path / "empty") for o in opts]
    done = run_in_process("train_sup.py", "DATA.SOURCE", "fractal", *opts, "TRAIN.OUTPUT", tmp_path / "out")
    assert done.returncode == 2
    errors = [line for line in done.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and message in errors[0], done.stderr[-1000:]

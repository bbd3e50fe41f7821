"""Clips rendered where the model trains (DATA.RENDER_DEVICE cuda / torch-cpu): the CUDA path traced without a
GPU, the same path run for real on the CPU, reproducibility, and the settings that are refused."""
import csv
from unittest import mock

import pytest
import torch
from torch._subclasses.fake_tensor import FakeTensorDeviceMismatchError, FakeTensorMode
from torch.utils.data import default_collate

from generate_helpers import generate
from src.data.datasets import ClipSpec
from src.data.device_render import FractalParams, RenderedBatches, fill_from_spares
from src.data.fractal_source import FractalSource, load_classes
from src.data.loaders import make_loader
from src.models.tsm import TSM
from src.synthetic.chaos_torch import Budget
from src.synthetic.generator import Settings
from train_helpers import run_in_process, run_script

SPEC = ClipSpec(clip_length=4, stride=2)
SMALL = Budget(points=128, iters=40, border_points=128, border_iters=60, res_b=32)


@pytest.fixture(scope="module")
def class_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("classes")
    generate("--gen_param", 3, "--dir_out", folder)
    return folder


def _batch(class_dir, views=1, n=4):
    source = FractalSource(8, Settings(res=40), load_classes(class_dir)[0], seed=1)
    items = FractalParams(source, SPEC, 32, 0.5, views)
    return default_collate([items[(i, 100 + i)] for i in range(n)])


def test_a_rendered_batch_and_a_forward_pass_trace_on_fake_cuda(class_dir):
    """Under FakeTensorMode with device cuda (no GPU needed): every tensor of the render, the crops, the
    channels-last model and float16 autocast stays on the GPU, and nothing waits on it — a device mismatch or a
    data-dependent host sync (.item(), nonzero, a branch on a value) would raise. Backward, GradScaler and the
    optimiser step need a CUDA runtime for autograd's device threads: bench/cuda_check.sh runs them on a GPU."""
    batch = _batch(class_dir)
    host = batch["var"].tolist()  # read on the host, as the batch iterator does
    model = TSM(3, 4, "resnet18")
    weights = {k: v.detach() for k, v in model.state_dict().items()}
    mode = FakeTensorMode()
    with mode, mock.patch("torch.cuda.is_available", lambda: True):  # autocast checks for a driver
        batch = {k: mode.from_tensor(v) for k, v in batch.items()}  # the loader's CPU batch, traced
        rendered = RenderedBatches(None, torch.device("cuda"), 40, 32, 4, SMALL, seeded=False)
        clips, labels = rendered.render(batch, host, seed=0)
        assert clips.shape == (4, 3, 4, 32, 32) and clips.device.type == "cuda" and labels.device.type == "cuda"
        state = {k: mode.from_tensor(v).to("cuda") for k, v in weights.items()}
        state = {k: v.contiguous(memory_format=torch.channels_last) if v.dim() == 4 else v for k, v in state.items()}
        with torch.autocast("cuda", dtype=torch.float16):
            logits = torch.func.functional_call(model, state, (clips,))
            loss = torch.nn.functional.cross_entropy(logits, labels)
        assert logits.dtype == torch.float16 and loss.device.type == "cuda"
        with pytest.raises(FakeTensorDeviceMismatchError):
            clips + torch.zeros(1, 3, 4, 32, 32)  # a CPU tensor in the GPU path is caught


def test_degenerate_clips_are_replaced_by_valid_spares_in_order():
    valid = torch.tensor([True, False, True, False, False])
    spare_valid = torch.tensor([False, True])
    source, ok = fill_from_spares(torch.zeros(5), valid, torch.zeros(2), spare_valid)
    assert source.tolist() == [0, 6, 2, 3, 4] and ok.tolist() == [True, True, True, False, False]


def test_rendered_batches_are_a_function_of_seed_and_epoch(class_dir):
    source = FractalSource(16, Settings(res=40), load_classes(class_dir)[0], seed=1)
    items = FractalParams(source, SPEC, 32, 0.5, views=2)
    batches = RenderedBatches(make_loader(items, 4, 0, shuffle=True, seed=3), torch.device("cpu"), 40, 32, 4, SMALL,
                              views=2)
    first = [views for views, _ in batches]
    again = [views for views, _ in batches]
    batches.set_epoch(1)
    other = [views for views, _ in batches]
    assert first[0].shape == (4, 2, 3, 4, 32, 32) and 0 <= first[0].min() and first[0].max() <= 1
    assert all(torch.equal(a, b) for a, b in zip(first, again)) and not torch.equal(first[0], other[0])


@pytest.mark.slow
def test_training_on_clips_rendered_by_the_torch_renderer_learns(class_dir, tmp_path):
    done = run_script("train_sup.py", "DATA.SOURCE", "fractal", "DATA.RENDER_DEVICE", "torch-cpu",
                      "DATA.CLASS_PARAMS", class_dir, "DATA.SAMPLES_PER_EPOCH", 48, "DATA.VAL_SAMPLES", 12,
                      "DATA.IMG_SIZE", 32, "DATA.CLIP_LENGTH", 4, "DATA.STRIDE", 2, "DATA.BATCH_SIZE", 8,
                      "DATA.TORCH_N_WORKERS", 1, "DATA.VAL_MAX_SEGS", 1, "MODEL.TSM_BASE", "resnet18",
                      "TRAIN.EPOCHS", 4, "TRAIN.EPOCHS_WARMUP", 0, "TRAIN.EPOCHS_EVAL", 4, "TRAIN.LR_BASE", 4e-3,
                      "AUG.AUTO_AUGMENT_M", 0, "AUG.PROB_BLUR", 0, "TRAIN.OUTPUT", tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "rendered on cpu by the torch renderer" in (tmp_path / "log_rank0.txt").read_text()
    with open(tmp_path / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    assert float(rows[-1]["train_loss"]) < float(rows[0]["train_loss"]) and float(rows[-1]["train_acc1"]) > 40


@pytest.mark.parametrize("opts,message", [
    (["DATA.SOURCE", "fractal", "DATA.RENDER_DEVICE", "cuda"], "DATA.RENDER_DEVICE cuda needs a CUDA GPU and none "
                                                               "is visible"),
    (["DATA.RENDER_DEVICE", "torch-cpu"], "renders fractal clips; it needs DATA.SOURCE fractal"),
    (["DATA.SOURCE", "fractal", "DATA.RENDER_DEVICE", "tpu"], "DATA.RENDER_DEVICE 'tpu' is not one of cpu, cuda"),
])
def test_render_settings_that_cannot_work_exit_2_before_writing(tmp_path, opts, message):
    if torch.cuda.is_available() and "cuda" in opts:
        pytest.skip("a GPU is visible here")
    done = run_in_process("train_sup.py", *opts, "TRAIN.OUTPUT", tmp_path / "out")
    errors = [line for line in done.stderr.splitlines() if "error:" in line]
    assert done.returncode == 2 and len(errors) == 1 and message in errors[0], done.stderr[-800:]
    assert not (tmp_path / "out").exists()

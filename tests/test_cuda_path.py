"""Clips rendered where the model trains (DATA.RENDER_DEVICE cuda / triton-cpu): the CUDA path audited without
a GPU, the same path run for real on the CPU, reproducibility, and the settings that are refused."""
import csv
import os
import subprocess
from unittest import mock

import pytest
import torch
from torch._subclasses.fake_tensor import FakeTensorDeviceMismatchError, FakeTensorMode
from torch.utils.data import default_collate

import zygote
from device_audit import DEVICE, Audit, unwrap
from generate_helpers import ROOT, generate
from src.data.datasets import ClipSpec
from src.data.device_render import FractalParams, RenderedBatches, fill_from_spares
from src.data.fractal_source import FractalSource
from src.data.loaders import make_loader
from src.models.tsm import TSM
from src.synthetic import chaos_kernel
from src.synthetic.batch_render import Budget
from src.synthetic.generator import Settings
from train_helpers import run_in_process, run_script

SPEC = ClipSpec(clip_length=4, stride=2)
SMALL = Budget(points=128, iters=30, skip=10)


@pytest.fixture(scope="module")
def class_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("classes")
    generate("--gen_param", 3, "--dir_out", folder)
    return folder


def _batch(class_dir, views=1, n=4):
    source = FractalSource(8, Settings(res=40), FractalSource.load_classes(class_dir)[0], seed=1)
    items = FractalParams(source, SPEC, 32, 0.5, views)
    return default_collate([items[(i, 100 + i)] for i in range(n)])


def _audited_render(batch: dict, budget: Budget, views: int = 1) -> tuple[Audit, torch.Tensor]:
    """Render a collated batch as on a GPU, under the audit: the kernel runs for real, counted as one launch."""
    audit = Audit()
    real_launch = chaos_kernel.launch

    def counted(grid, *args, **kwargs):
        audit.launches += 1
        with torch.utils._python_dispatch._disable_current_modes():
            real_launch(grid, *map(unwrap, args), **kwargs)
    rendered = RenderedBatches(None, DEVICE, 40, 32, 4, budget, views)
    with mock.patch.object(chaos_kernel, "launch", counted), audit:
        clips, labels = rendered.render(batch)  # the loader's batch is on the host, as it arrives
        assert clips.device == labels.device == DEVICE
    return audit, unwrap(clips)


def test_rendering_a_batch_waits_on_nothing_and_its_launches_do_not_grow_with_the_points(class_dir):
    """On a GPU the render is a fixed handful of launches around one kernel launch, whatever the point budget,
    never waits on the device (no sync) and never mixes in a CPU tensor."""
    batch = _batch(class_dir)
    small, clips = _audited_render(batch, SMALL)
    large, _ = _audited_render(batch, Budget(points=256, iters=60, skip=10))
    assert small.syncs == [] and small.mismatches == [], small.report()
    assert small.launches == large.launches == 1 and small.ops == large.ops <= 100, (small.report(), large.report())
    assert clips.shape == (4, 3, 4, 32, 32) and 0 <= clips.min() and clips.max() <= 1


def test_a_forward_pass_traces_on_fake_cuda():
    """Under FakeTensorMode with device cuda: the channels-last model and float16 autocast stay on the GPU; a CPU
    tensor in the GPU path is caught. Backward, GradScaler and the optimiser step need a CUDA runtime for
    autograd's device threads: bench/cuda_check.sh runs them on a GPU."""
    model = TSM(3, 4, "resnet18")
    weights = {k: v.detach() for k, v in model.state_dict().items()}
    mode = FakeTensorMode()
    with mode, mock.patch("torch.cuda.is_available", lambda: True):  # autocast checks for a driver
        clips = torch.rand(4, 3, 4, 32, 32, device="cuda")
        labels = torch.zeros(4, dtype=torch.long, device="cuda")
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
    source = FractalSource(8, Settings(res=40), FractalSource.load_classes(class_dir)[0], seed=1)
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
def test_training_on_clips_rendered_by_the_kernel_runs_end_to_end(class_dir, tmp_path):
    """The GPU path of train_sup.py, the kernel run by Triton's interpreter (slow: a tiny run; that training on
    rendered clips learns is tested with the numba source, and the two renderers draw alike)."""
    done = run_script("train_sup.py", "DATA.SOURCE", "fractal", "DATA.RENDER_DEVICE", "triton-cpu",
                      "DATA.CLASS_PARAMS", class_dir, "DATA.SAMPLES_PER_EPOCH", 8, "DATA.VAL_SAMPLES", 3,
                      "DATA.RENDER_SPLATS", 1000, "DATA.IMG_SIZE", 32, "DATA.CLIP_LENGTH", 4, "DATA.STRIDE", 2,
                      "DATA.BATCH_SIZE", 4, "DATA.TORCH_N_WORKERS", 1, "DATA.VAL_MAX_SEGS", 1,
                      "MODEL.TSM_BASE", "resnet18", "TRAIN.EPOCHS", 1, "TRAIN.OUTPUT", tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "rendered on cpu by the chaos-game kernel" in (tmp_path / "log_rank0.txt").read_text()
    with open(tmp_path / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 1 and float(rows[0]["train_loss"]) > 0


@pytest.mark.parametrize("opts,message", [
    (["DATA.SOURCE", "fractal", "DATA.RENDER_DEVICE", "cuda"], "DATA.RENDER_DEVICE cuda needs a CUDA GPU and none "
                                                               "is visible"),
    (["DATA.RENDER_DEVICE", "triton-cpu"], "renders fractal clips; it needs DATA.SOURCE fractal"),
    (["DATA.SOURCE", "fractal", "DATA.RENDER_DEVICE", "tpu"], "DATA.RENDER_DEVICE 'tpu' is not one of cpu, cuda"),
])
def test_render_settings_that_cannot_work_exit_2_before_writing(tmp_path, opts, message):
    if torch.cuda.is_available() and "cuda" in opts:
        pytest.skip("a GPU is visible here")
    done = run_in_process("train_sup.py", *opts, "TRAIN.OUTPUT", tmp_path / "out")
    errors = [line for line in done.stderr.splitlines() if "error:" in line]
    assert done.returncode == 2 and len(errors) == 1 and message in errors[0], done.stderr[-800:]
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_the_gpu_check_script_dry_runs_on_the_cpu(tmp_path):
    """bench/cuda_check.sh's QUICK pass with the kernel in Triton's interpreter: every step runs and the table
    has its headline rows (the GPU figures themselves need a GPU)."""
    env = {**os.environ, "RENDER": "triton-cpu", "BASE": "resnet18", "SIZE": "16", "BATCH": "2", "SAMPLES": "16", "CLASSES": "2",
           "STEPS": "1", "QUICK": "1", "PYTHON": str(zygote.shim_folder() / "python")}
    done = subprocess.run(["bash", str(ROOT / "bench" / "cuda_check.sh"), str(tmp_path)], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    table = (tmp_path / "table.md").read_text()
    for row in ("| render | ok", "| train | ok", "| train_rendered_no_sync | ok", "rendering / training = "):
        assert row in table, table

"""Training speed: clips/s of forward + backward + AdamW step, on random clips or from a real loader.

python -m bench.bench_train [--arch tsm] [--base resnet50] [--batch 32] [--size 112] [--frames 8] [--steps 20] [--compile]
python -m bench.bench_train --data fractal --base resnet18 --batch 8 --workers 2   # on-the-fly fractal clips
python -m bench.bench_train --data files --base resnet18 --batch 8 --workers 2     # mp4 files through the loader

With ``--data files|fractal`` the figure includes decoding or rendering, the loader-side crop and the device-side
augmentations, and it is printed twice: with the project's thread budget (idle OpenMP threads sleep) and with
torch's default threading (one intra-op thread per core in the main process, next to the loader workers, spinning
while idle). CUDA: float16 autocast + GradScaler, channels-last. CPU: float32 (bfloat16 with --bf16).
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if "triton-cpu" in sys.argv:  # the kernel in Triton's interpreter, which is chosen before Triton loads
    os.environ["TRITON_INTERPRET"] = "1"

import torch  # noqa: E402

from src.models.registry import MODELS, build_model, describe  # noqa: E402
from src.train.engine import place  # noqa: E402
from src.utils.threads import openmp_waits_passively  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def random_batches(a, device):
    clips = torch.randn(a.batch, 3, a.frames, a.size, a.size, device=device)
    labels = torch.randint(0, 400, (a.batch,), device=device)
    while True:
        yield clips, labels


def loader_batches(a, device, tmp: Path):
    """Batches from the training loader over generated files or rendered fractals, augmented as in training."""
    from cfg.defaults import defaults
    from src.data.loaders import make_loader
    from src.train.augment import augmentations
    from src.train.data import labelled_datasets
    cfg = defaults()
    cfg.DATA.IMG_SIZE, cfg.DATA.CLIP_LENGTH, cfg.DATA.STRIDE, cfg.DATA.BATCH_SIZE = a.size, a.frames, 2, a.batch
    cfg.DATA.TORCH_N_WORKERS, cfg.AUG.MIN_SCALE = a.workers, 0.9
    n_videos = a.batch * (a.steps + 4)
    generate = [sys.executable, str(ROOT / "generate_synthetic.py"), "--type", "fractal"]
    subprocess.run([*generate, "--gen_param", "10", "--dir_out", str(tmp / "params")], check=True, capture_output=True)
    if a.data == "fractal":
        cfg.DATA.SOURCE, cfg.DATA.CLASS_PARAMS, cfg.DATA.SAMPLES_PER_EPOCH = "fractal", str(tmp / "params"), n_videos
        cfg.DATA.RENDER_DEVICE = a.render_device
    else:
        for split, n in (("train", n_videos), ("val", 10)):
            subprocess.run([*generate, "--samples", str(n), "--dir_in", str(tmp / "params"), "--res", "128",
                            "--codec", "libx264", "--dir_out", str(tmp / "set" / split), "--seed", str(len(split))],
                           check=True, capture_output=True)
        cfg.DATA.ROOT, cfg.DATA.DATASET, cfg.DATA.EXTENSION = str(tmp), "set", "mp4"
    train, _, _, _ = labelled_datasets(cfg)
    augment, mixup = augmentations(cfg, len(train) // a.batch)
    if cfg.DATA.RENDER_DEVICE == "cpu":
        batches = make_loader(train, a.batch, a.workers, shuffle=True, drop_last=True)
    else:  # the workers draw parameters, the device renders
        from src.train.data import device_batches
        render_on = device if cfg.DATA.RENDER_DEVICE == "cuda" else torch.device("cpu")
        batches = device_batches(cfg, train.source, render_on)
    for step, (clips, labels) in enumerate(batches):
        yield augment(clips.to(device, non_blocking=True), step), labels.to(device, non_blocking=True)


def measure(a) -> str:
    cuda = torch.cuda.is_available()
    device = torch.device("cuda" if cuda else "cpu")
    if a.threads == "budget":
        from src.utils.threads import apply_main_budget
        apply_main_budget(a.workers if a.data != "random" else 0, device.type)
    model = place(build_model(a.arch, 400, a.frames, base=a.base, x3d_size=a.x3d_size), device, channels_last=cuda)
    step_model = torch.compile(model) if a.compile else model
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, fused=cuda)  # fused: GradScaler reads nothing back
    dtype = torch.float16 if cuda else (torch.bfloat16 if a.bf16 else None)
    scaler = torch.amp.GradScaler(device.type, enabled=dtype == torch.float16)
    with tempfile.TemporaryDirectory() as tmp:
        batches = random_batches(a, device) if a.data == "random" else loader_batches(a, device, Path(tmp))
        t0, clips = None, 0
        for i, (x, y) in enumerate(batches):
            if i == 3:  # start-up, compilation and the first loader batches are not counted
                if cuda:
                    torch.cuda.synchronize()
                    torch.cuda.reset_peak_memory_stats()
                    if a.sync_debug:  # from here on, any host sync in a step is an error with its line
                        torch.cuda.set_sync_debug_mode("error")
                t0 = time.perf_counter()
            optimizer.zero_grad(set_to_none=True)
            with torch.autocast(device.type, dtype=dtype, enabled=dtype is not None):
                loss = torch.nn.functional.cross_entropy(step_model(x), y)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            clips += len(y) if i >= 3 else 0
            if i == a.steps + 2:
                break
        if cuda:
            torch.cuda.set_sync_debug_mode("default")
            torch.cuda.synchronize()
        dt = time.perf_counter() - t0
    peak = f", peak memory {torch.cuda.max_memory_allocated() / 2 ** 30:.1f} GiB" if cuda else ""
    name = torch.cuda.get_device_name() if cuda else (f"cpu, {torch.get_num_threads()} threads in the main process, "
                                                      f"OMP_WAIT_POLICY {os.environ.get('OMP_WAIT_POLICY', 'unset')}")
    variant = {"tsm": a.base, "x3d": a.x3d_size}.get(a.arch, "")
    return (f"{name}: {describe(a.arch, variant)}, {a.frames} frames, {a.size} px, batch {a.batch}, data {a.data}, "
            f"AMP {dtype}, compile {a.compile}: {clips / dt:.1f} clips/s{peak}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].replace("\n", " "))
    p.add_argument("--arch", choices=tuple(MODELS), default="tsm")
    p.add_argument("--base", default="resnet50", help="TSM base")
    p.add_argument("--x3d_size", default="M", help="X3D size")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--size", type=int, default=112)
    p.add_argument("--frames", type=int, default=8)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--compile", action="store_true")
    p.add_argument("--bf16", action="store_true", help="CPU: bfloat16 autocast")
    p.add_argument("--data", choices=("random", "files", "fractal"), default="random")
    p.add_argument("--workers", type=int, default=2, help="loader workers with --data files|fractal")
    p.add_argument("--render_device", choices=("cpu", "cuda", "triton-cpu"), default="cpu",
                   help="with --data fractal: DATA.RENDER_DEVICE (cpu: numba in the workers; cuda: the kernel)")
    p.add_argument("--sync_debug", action="store_true",
                   help="CUDA: fail on any host sync in a timed step (torch.cuda.set_sync_debug_mode)")
    p.add_argument("--threads", choices=("budget", "default", "both"), default="both",
                   help="the project's thread budget, torch's default, or both side by side")
    a = p.parse_args()
    if a.data == "random" or a.threads != "both":
        print(measure(a if a.threads != "both" else argparse.Namespace(**{**vars(a), "threads": "budget"})))
        return
    for threads in ("budget", "default"):  # separate processes: thread settings are per process
        argv = [a for a in sys.argv[1:]] + ["--threads", threads]
        env = dict(os.environ)
        if threads == "budget":  # as the training scripts do before torch loads its OpenMP runtime
            openmp_waits_passively(env)
        done = subprocess.run([sys.executable, "-m", "bench.bench_train", *argv], capture_output=True, text=True,
                              cwd=ROOT, env=env)
        print(f"{threads:>7} threads: {done.stdout.strip() or done.stderr.strip()[-500:]}")


if __name__ == "__main__":
    main()

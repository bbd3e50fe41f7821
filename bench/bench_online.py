"""On-the-fly clips (DATA.SOURCE fractal, perlin, octopus, dead_leaves): clips/s a rendered source delivers to
training, next to the file loader (bench.bench_data) and to what training consumes (bench.bench_train).

python -m bench.bench_online [--source fractal|perlin|octopus|dead_leaves] [--device cpu|triton-cpu|cuda]
                             [--workers 2] [--batch 32] [--batches 10] [--size 112]

cpu: the numba renderer in the loader workers; cuda: the workers draw parameters and frame each video, the
chaos-game kernel draws whole batches on the GPU (what DATA.RENDER_DEVICE selects in training); triton-cpu: that
kernel in Triton's interpreter (a check of the path, not a speed).
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

from cfg.defaults import defaults  # noqa: E402
from src.data.loaders import make_loader  # noqa: E402
from src.train.data import device_batches, labelled_datasets  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].replace("\n", " "))
    p.add_argument("--source", choices=("fractal", "perlin", "octopus", "dead_leaves"), default="fractal")
    p.add_argument("--device", choices=("cpu", "triton-cpu", "cuda"), default="cpu",
                   help="where fractals render (the other families render in the loader workers)")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--batches", type=int, default=10)
    p.add_argument("--size", type=int, default=112)
    p.add_argument("--classes", type=int, default=50)
    p.add_argument("--splats", type=int, default=0, help="DATA.RENDER_SPLATS (0: the default for the side)")
    a = p.parse_args()
    if a.device != "cpu" and a.source != "fractal":
        p.error(f"--device {a.device} renders fractals; --source {a.source} renders in the loader workers")
    with tempfile.TemporaryDirectory() as tmp:
        cfg = defaults()
        if a.source != "perlin":  # perlin has its own 256 frequency classes
            subprocess.run([sys.executable, str(ROOT / "generate_synthetic.py"), "--type", a.source, "--gen_param",
                            str(a.classes), "--dir_out", tmp], check=True, capture_output=True)
            cfg.DATA.CLASS_PARAMS = tmp
        cfg.DATA.SOURCE, cfg.DATA.IMG_SIZE = a.source, a.size
        cfg.DATA.SAMPLES_PER_EPOCH, cfg.DATA.RENDER_SPLATS = a.batch * (a.batches + 1), a.splats
        cfg.DATA.CLIP_LENGTH, cfg.DATA.STRIDE, cfg.DATA.VAL_MIN_STEPS, cfg.DATA.VAL_MAX_SEGS = 8, 2, 2, 1
        cfg.DATA.BATCH_SIZE, cfg.DATA.TORCH_N_WORKERS, cfg.AUG.MIN_SCALE = a.batch, a.workers, 0.9
        train, _, _, _ = labelled_datasets(cfg)
        if a.device == "cpu":
            batches = make_loader(train, a.batch, a.workers, shuffle=True, drop_last=True, seed=0)
        else:
            device = torch.device("cuda" if a.device == "cuda" else "cpu")
            batches = device_batches(cfg, train.source, device)  # the bench's batch and workers, set above
        clips, t0 = 0, None
        for i, (x, _) in enumerate(batches):
            if i == 0:  # the first batch includes worker start-up (and CUDA initialisation)
                if x.is_cuda:
                    torch.cuda.synchronize()
                t0 = time.perf_counter()
                continue
            clips += len(x)
        if a.device == "cuda":
            torch.cuda.synchronize()
        dt = time.perf_counter() - t0
    name = torch.cuda.get_device_name() if a.device == "cuda" else f"{a.device}, {a.workers} loader workers"
    print(f"online {a.source} source ({name}): {clips / dt:.1f} clips/s (8 frames rendered at "
          f"{train.source.settings.res} px, cropped to {a.size} px, batches of {a.batch})")


if __name__ == "__main__":
    main()

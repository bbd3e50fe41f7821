"""On-the-fly fractal clips (DATA.SOURCE fractal): clips/s the online source delivers, next to the file loader
(bench/bench_data.py) and to what TSM training consumes (bench/bench_train.py).

python bench/bench_online.py [--workers 2] [--batch 32] [--batches 10] [--size 112] [--classes 50]
"""
import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cfg.defaults import defaults  # noqa: E402
from src.data.datasets import ClipSpec  # noqa: E402
from src.data.loaders import make_loader  # noqa: E402
from src.data.online import online_labelled  # noqa: E402
from src.transform.inner import TrainCrop, ValResizeCrop  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--batches", type=int, default=10)
    p.add_argument("--size", type=int, default=112)
    p.add_argument("--classes", type=int, default=50)
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, str(ROOT / "generate_synthetic.py"), "--type", "fractal", "--gen_param",
                        str(a.classes), "--dir_out", tmp], check=True, capture_output=True)
        cfg = defaults()
        cfg.DATA.CLASS_PARAMS, cfg.DATA.IMG_SIZE = tmp, a.size
        cfg.DATA.SAMPLES_PER_EPOCH = a.batch * (a.batches + 1)
        spec = ClipSpec(clip_length=8, stride=2, val_min_steps=2, val_max_segs=1)
        train, _, _ = online_labelled(cfg, spec, TrainCrop(a.size, 0.9), ValResizeCrop(a.size))
        loader = make_loader(train, a.batch, a.workers, shuffle=True, drop_last=True, seed=0)
        clips, t0 = 0, None
        for i, (x, _) in enumerate(loader):
            if i == 0:
                t0 = time.perf_counter()  # the first batch includes worker start-up
                continue
            clips += len(x)
        dt = time.perf_counter() - t0
    print(f"online fractal source, cpu, {a.workers} workers: {clips / dt:.1f} clips/s "
          f"(8 frames rendered at {train.settings.res} px, cropped to {a.size} px)")


if __name__ == "__main__":
    main()

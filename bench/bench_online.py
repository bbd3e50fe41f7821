"""On-the-fly fractal clips (DATA.SOURCE fractal): clips/s the online source delivers, next to the file loader
(bench/bench_data.py) and to what TSM training consumes (bench/bench_train.py).

python -m bench.bench_online [--workers 2] [--batch 32] [--batches 10] [--size 112] [--classes 50]
"""
import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

from cfg.defaults import defaults
from src.data.loaders import make_loader
from src.train.supervised import labelled_datasets


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
        cfg.DATA.SOURCE, cfg.DATA.CLASS_PARAMS, cfg.DATA.IMG_SIZE = "fractal", tmp, a.size
        cfg.DATA.SAMPLES_PER_EPOCH = a.batch * (a.batches + 1)
        cfg.DATA.CLIP_LENGTH, cfg.DATA.STRIDE, cfg.DATA.VAL_MIN_STEPS, cfg.DATA.VAL_MAX_SEGS = 8, 2, 2, 1
        cfg.AUG.MIN_SCALE = 0.9
        train, _, _, _ = labelled_datasets(cfg)
        loader = make_loader(train, a.batch, a.workers, shuffle=True, drop_last=True, seed=0)
        clips, t0 = 0, None
        for i, (x, _) in enumerate(loader):
            if i == 0:
                t0 = time.perf_counter()  # the first batch includes worker start-up
                continue
            clips += len(x)
        dt = time.perf_counter() - t0
    print(f"online fractal source, cpu, {a.workers} workers: {clips / dt:.1f} clips/s "
          f"(8 frames rendered at {train.source.settings.res} px, cropped to {a.size} px)")


if __name__ == "__main__":
    main()

"""Training-loader speed: clips/s of random 8-frame clips (stride 2) cropped to 112 px from fractal mp4s.

python -m bench.bench_data [--videos 200] [--workers 2] [--batch 32] [--epochs 3] [--codec libx265] [--dir DIR]
Generates the videos with generate_synthetic.py (256 px) unless --dir holds a train/ folder already.
"""
import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

import numpy as np
import torch

from src.data.clip_sampling import random_clip
from src.data.dataset_folders import labelled_sets
from src.data.decode import read_frames
from src.data.datasets import ClipSpec
from src.data.loaders import make_loader
from src.transform.crops import TrainCrop, ValResizeCrop


def make_videos(folder: Path, n: int, codec: str) -> None:
    for split in ("train", "val"):
        subprocess.run([sys.executable, str(ROOT / "generate_synthetic.py"), "--type", "fractal", "--samples",
                        str(n if split == "train" else 2), "--dir_out", str(folder / split / "fractal"),
                        "--codec", codec, "--seed", str(1 if split == "train" else 2)], check=True,
                       capture_output=True)


def stages(train, n: int = 60) -> None:
    """Decoding and cropping on one core, the two costs a worker pays per clip."""
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    t_decode = t_crop = 0.0
    for i in range(n):
        k = i % len(train)
        t0 = time.perf_counter()
        videos = train.source
        frames = read_frames(videos.files[k], random_clip(videos.counts[k], 8, 2, rng).tolist())
        t1 = time.perf_counter()
        train.transform(torch.from_numpy(frames).permute(3, 0, 1, 2))
        t_decode, t_crop = t_decode + t1 - t0, t_crop + time.perf_counter() - t1
    print(f"one core: decode {1000 * t_decode / n:.1f} ms/clip, crop + resize {1000 * t_crop / n:.1f} ms/clip")


def measure(folder: Path, workers: int, batch: int, epochs: int) -> None:
    spec = ClipSpec(clip_length=8, stride=2, val_min_steps=2, val_max_segs=1)
    t0 = time.perf_counter()
    train, _, _ = labelled_sets(folder, "mp4", spec, TrainCrop(112, 0.2), ValResizeCrop(112))
    print(f"dataset of {len(train)} videos ready in {time.perf_counter() - t0:.2f} s")
    stages(train)
    loader = make_loader(train, batch, workers, shuffle=True, drop_last=True, seed=0)
    for epoch in range(epochs + 1):  # epoch 0 starts the workers
        t0, clips = time.perf_counter(), 0
        for x, _ in loader:
            clips += len(x)
        if epoch:
            dt = time.perf_counter() - t0
            print(f"epoch {epoch}: {clips / dt:6.0f} clips/s  ({workers} workers, batch {batch}, "
                  f"clip {tuple(x.shape[1:])})")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].replace("\n", " "))
    p.add_argument("--videos", type=int, default=200)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--codec", default="libx265")
    p.add_argument("--dir", type=Path)
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = a.dir or Path(tmp)
        if not (folder / "train").is_dir():
            print(f"generating {a.videos} fractal videos ({a.codec}) ...")
            make_videos(folder, a.videos, a.codec)
        measure(folder, a.workers, a.batch, a.epochs)


if __name__ == "__main__":
    main()

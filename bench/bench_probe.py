"""The probes' cost: encoding videos with a frozen encoder (clips/s, with their mean per video), then the k-NN and
linear probes on features of HMDB51's size (3,570 training and 1,530 validation videos, 51 classes).

python -m bench.bench_probe [--base resnet50] [--size 112] [--frames 8] [--batch 16] [--batches 4]
"""
import argparse
import time

import torch

from src.models.registry import build_model
from src.probe.features import encode_videos
from src.probe.knn import knn_scores
from src.probe.linear import linear_probe


def encoding(base: str, size: int, frames: int, batch: int, batches: int, segments: int) -> float:
    """Clips/s of the encoder (eval mode, no grad) over validation-style batches of ``segments`` clips a video."""
    model = build_model("tsm", 400, frames, base=base)
    clips = torch.randn(batch, 3, frames, size, size)
    ids = torch.arange(batch).div(segments, rounding_mode="floor")
    encode_videos(model, [(clips, None, ids)], torch.device("cpu"))  # warm-up
    t0 = time.perf_counter()
    encode_videos(model, [(clips, None, ids)] * batches, torch.device("cpu"))
    return batch * batches / (time.perf_counter() - t0)


def probes(train: int, val: int, classes: int, dim: int) -> tuple[float, float]:
    """Seconds of the k-NN and of the linear probe (weight-decay search and refit) on random features."""
    g = torch.Generator().manual_seed(0)
    train_y = torch.arange(train) % classes
    centres = torch.randn(classes, dim, generator=g)
    train_x = centres[train_y] + 2 * torch.randn(train, dim, generator=g)
    val_x = centres[torch.arange(val) % classes] + 2 * torch.randn(val, dim, generator=g)
    t0 = time.perf_counter()
    knn_scores(train_x, train_y, val_x, classes)
    t1 = time.perf_counter()
    linear_probe(train_x, train_y, val_x, classes, seed=0)
    return t1 - t0, time.perf_counter() - t1


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--base", default="resnet50")
    p.add_argument("--size", type=int, default=112)
    p.add_argument("--frames", type=int, default=8)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--batches", type=int, default=4)
    p.add_argument("--segments", type=int, default=4, help="clips per video in a batch")
    p.add_argument("--videos", type=int, nargs=2, default=[3570, 1530], metavar=("TRAIN", "VAL"))
    p.add_argument("--classes", type=int, default=51)
    a = p.parse_args()
    rate = encoding(a.base, a.size, a.frames, a.batch, a.batches, a.segments)
    print(f"TSM-{a.base} encoding, {a.frames} x {a.size} px, batch {a.batch}: {rate:.1f} clips/s "
          f"({torch.get_num_threads()} threads)")
    dim = build_model("tsm", 1, a.frames, base=a.base).feature_dim
    knn, linear = probes(*a.videos, a.classes, dim)
    print(f"probes on {a.videos[0]} + {a.videos[1]} videos x {dim} features, {a.classes} classes: k-NN {knn:.2f} s, "
          f"linear {linear:.1f} s (6 weight decays on a held-out fifth, then the refit)")


if __name__ == "__main__":
    main()

"""The model table of the README: parameters, GFLOPs per clip (forward, counted by torch's FlopCounterMode on the
meta device) and CPU training clips/s (bench.bench_train's step, float32), each at the clip size it is
configured for.

python -m bench.bench_models [--batch 2] [--steps 2] [--arches tsm x3d ...]
"""
import argparse
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from src.models.registry import MODELS, build_model, describe

# arch (variant) → (frames, pixels) of its configuration in cfg/: TSM and the 3-D CNNs at the pre-training size,
# X3D and the models with a fixed geometry at theirs
CONFIGURED = {("tsm", "resnet50"): (8, 112), ("tsm", "resnet18"): (8, 112), ("x3d", "S"): (13, 160),
              ("x3d", "M"): (16, 224), ("r3d_18", ""): (8, 112), ("mc3_18", ""): (8, 112),
              ("r2plus1d_18", ""): (8, 112), ("s3d", ""): (16, 224), ("mvit_v1_b", ""): (16, 224),
              ("mvit_v2_s", ""): (16, 224), ("swin3d_t", ""): (16, 224), ("swin3d_s", ""): (16, 224),
              ("swin3d_b", ""): (16, 224)}


def gflops(arch: str, variant: str, frames: int, size: int) -> float:
    with torch.device("meta"):
        model = build_model(arch, 400, frames, base=variant, x3d_size=variant)
        with FlopCounterMode(display=False) as counter:
            model(torch.empty(1, 3, frames, size, size))
    return counter.get_total_flops() / 2e9  # multiply-adds, as papers count them


def clips_per_second(arch: str, variant: str, frames: int, size: int, batch: int, steps: int) -> float:
    model = build_model(arch, 400, frames, base=variant, x3d_size=variant)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    x, y = torch.randn(batch, 3, frames, size, size), torch.randint(0, 400, (batch,))
    for i in range(steps + 1):
        if i == 1:
            t0 = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    return batch * steps / (time.perf_counter() - t0)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].replace("\n", " "))
    p.add_argument("--batch", type=int, default=2)
    p.add_argument("--steps", type=int, default=2)
    p.add_argument("--arches", nargs="+", choices=tuple(MODELS), default=list(MODELS))
    a = p.parse_args()
    print(f"CPU: {torch.get_num_threads()} threads, batch {a.batch}, float32")
    print("| model | clip | parameters | GFLOPs per clip | CPU clips/s (train) |")
    print("|---|---|---|---|---|")
    for (arch, variant), (frames, size) in CONFIGURED.items():
        if arch not in a.arches:
            continue
        params = sum(p.numel() for p in build_model(arch, 400, frames, base=variant, x3d_size=variant).parameters())
        print(f"| {describe(arch, variant)} | {frames} × {size} px | {params / 1e6:.1f} M | "
              f"{gflops(arch, variant, frames, size):.1f} | "
              f"{clips_per_second(arch, variant, frames, size, a.batch, a.steps):.2f} |", flush=True)


if __name__ == "__main__":
    main()

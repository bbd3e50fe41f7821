"""Frames of a batch of fractal clips on the training device, in a fixed handful of launches whatever the point
budget: the chaos-game kernel (``chaos_kernel.py``), the 3×3 splat as an integer box filter, the rejection rules
as a per-clip validity mask, and 8-bit log density scaled by each clip's maximum. Nothing here waits on the
device: no ``.item()``, no ``nonzero``, no Python branch on a tensor value.

The inputs are what the numba renderer takes (``chaos_game.py``), prepared per clip by the loader workers: the
maps of the frames to draw, their selection thresholds and the pixel transform of the clip's window (framed there
with the numba border render, exactly as the file generator frames a video). ``tests/test_chaos_kernel.py``
checks that both renderers give statistically the same images for every variation.
"""
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as nnf

from .chaos_kernel import splat_counts
from .fractal import MAX_OCCUPANCY, MIN_OCCUPANCY, lit_level

SPLATS_AT_256 = 128 * (7500 - 200)  # the file generator's splats per frame at 256 px


def default_splats(res: int) -> int:
    """Splats per frame that give the file generator's density (splats per pixel) at side ``res``."""
    return max(1, round(SPLATS_AT_256 * (res / 256) ** 2))


@dataclass(frozen=True)
class Budget:
    """How a frame's splats are spent: ``points`` walkers for ``iters`` iterations, the first ``skip`` unseen.
    Many walkers and few iterations fill a GPU; the attractor is reached after a few dozen iterations."""

    points: int = 4096
    iters: int = 249  # 4096 × (249 − 20) ≈ the file generator's 934,400 splats per frame at 256 px
    skip: int = 20

    @classmethod
    def for_splats(cls, splats: int, points: int = 4096) -> "Budget":
        return cls(points=points, iters=cls.skip + math.ceil(splats / points))

    @property
    def splats(self) -> int:
        return self.points * (self.iters - self.skip)


def box3(counts: torch.Tensor) -> torch.Tensor:
    """3×3 sums with zero padding of integer images [..., R, R]: each splat lights its neighbourhood. Integer
    adds, so the result is exact (a convolution through cuDNN may turn an exact 0 into ±ε)."""
    padded = nnf.pad(counts, (1, 1, 1, 1))
    rows = padded[..., :-2] + padded[..., 1:-1] + padded[..., 2:]
    return rows[..., :-2, :] + rows[..., 1:-1, :] + rows[..., 2:, :]


def render_clips(coef: torch.Tensor, cuts: torch.Tensor, scale: torch.Tensor, variations: torch.Tensor,
                 seeds: torch.Tensor, res: int, budget: Budget = Budget()) -> tuple[torch.Tensor, torch.Tensor]:
    """Gray uint8 frames [C, T, res, res] and a validity mask [C] of C clips of T frames.

    coef [C, T, 8, 6] the maps of each frame (rows a..f, zero rows after the clip's own maps); cuts [C, T, 7]
    their selection thresholds; scale [C, T, 4] the pixel transform of the clip's window; variations, seeds [C].
    A clip with a near-empty or near-full frame is invalid (the caller replaces it)."""
    counts = box3(splat_counts(coef, cuts, scale, variations, seeds, res, budget.points, budget.iters, budget.skip))
    lit = (counts >= lit_level(budget.splats, res)).float().mean((2, 3))
    valid = (lit.amin(1) >= MIN_OCCUPANCY) & (lit.amax(1) <= MAX_OCCUPANCY)
    density = torch.log1p(counts.float())
    top = density.amax((1, 2, 3), keepdim=True).clamp(min=1.0)
    return torch.floor(255 * (density / top).clamp(0, 1)).to(torch.uint8), valid

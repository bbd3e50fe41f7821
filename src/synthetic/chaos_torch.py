"""The chaos game in torch, batched over clips × frames × points, for rendering where the model trains.

The same generative model as the numba renderer (``chaos_game.py`` + ``fractal.py``): maps chosen with
probability ∝ |det A|, the same random numbers for every frame of a clip, 3×3 splats, one framing window from
the first and the last frame (the same greedy peel, vectorised), log density scaled by the clip's maximum, and
the same rejection rules, applied as a per-clip validity mask. Nothing in here waits on the device: no
``.item()``, no ``nonzero``, no Python branch on a tensor value; which variation a clip uses is host data.

``tests/test_chaos_torch.py`` checks that both renderers give statistically the same images for every variation.
"""
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as nnf

from .fractal import MAX_OCCUPANCY, MIN_OCCUPANCY, lit_level
from .framing import BORDER_EXTENT
from .variations import USES_COEFFICIENTS, USES_RANDOM
from .variations_torch import VARIATIONS

MAX_MAPS = 8
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
    border_points: int = 4096
    border_iters: int = 108  # 4096 × (108 − 20) ≈ the file generator's 128 × (3000 − 200) border splats
    res_b: int = 128
    keep: float = 0.9

    @classmethod
    def for_splats(cls, splats: int, points: int = 4096) -> "Budget":
        return cls(points=points, iters=cls.skip + math.ceil(splats / points))


def pad_maps(weights: torch.Tensor) -> torch.Tensor:
    """[..., N, 6] → [..., 8, 6] with zero maps after the N real ones."""
    return nnf.pad(weights, (0, 0, 0, MAX_MAPS - weights.shape[-2]))


def selection_thresholds(coef: torch.Tensor, n_maps: torch.Tensor) -> torch.Tensor:
    """Cumulative map probabilities ∝ |det A| [B, F, 7]; thresholds past a clip's last map are 2 (unreachable).
    Frames whose determinants are all zero choose among their maps uniformly."""
    det = (coef[..., 0] * coef[..., 4] - coef[..., 1] * coef[..., 3]).abs()  # [B, F, 8]
    real = torch.arange(MAX_MAPS, device=coef.device) < n_maps[:, None, None]
    det = torch.where(real, det, 0.0)
    total = det.sum(-1, keepdim=True)
    uniform = real / n_maps[:, None, None]
    prob = torch.where(total > 0, det / torch.where(total > 0, total, 1.0), uniform)
    cuts = prob.cumsum(-1)[..., :-1]
    return torch.where(torch.arange(MAX_MAPS - 1, device=coef.device) < n_maps[:, None, None] - 1, cuts, 2.0)


def chaos_game(coef: torch.Tensor, n_maps: torch.Tensor, windows: torch.Tensor, res: int, points: int, iters: int,
               skip: int, variations: list[int], generator: torch.Generator | None = None) -> torch.Tensor:
    """Splat counts [B, F, res, res] (float32) of every frame of every clip.

    coef [B, F, 8, 6] rows (a, b, c, d, e, f) of x' = a x + b y + c, y' = d x + e y + f; n_maps [B]; windows
    [B, F, 4] real (h1, h2, w1, w2), x to rows; ``variations`` the id of each clip (host list).
    """
    b, f = coef.shape[:2]
    device, dtype = coef.device, torch.float32
    cuts = selection_thresholds(coef, n_maps)[:, :, None, :]  # [B, F, 1, 7]
    h1, h2, w1, w2 = windows.to(dtype).unbind(-1)
    s_h, s_w = (res - 1) / (h2 - h1), (res - 1) / (w2 - w1)
    o_h, o_w = (-h1 * s_h)[..., None], (-w1 * s_w)[..., None]
    s_h, s_w = s_h[..., None], s_w[..., None]
    start = torch.rand(2, b, 1, points, generator=generator, device=device, dtype=dtype) * 2 - 1
    x, y = start[0].expand(b, f, points).clone(), start[1].expand(b, f, points).clone()
    groups = _variation_groups(variations, device)
    random_needed = any(v in USES_RANDOM for v in variations)
    coefs_needed = any(v in USES_COEFFICIENTS for v in variations)
    counts = torch.zeros(b * f * res * res + 1, device=device, dtype=dtype)  # the last cell takes misses
    base = (torch.arange(b * f, device=device) * (res * res)).view(b, f, 1)
    ones = torch.ones(b * f * points, device=device, dtype=dtype)
    for it in range(iters):
        u = torch.rand(b, 1, points, 1, generator=generator, device=device, dtype=dtype)  # shared by the frames
        k = (u >= cuts).sum(-1, keepdim=True)  # [B, F, P, 1]
        g = torch.gather(coef, 2, k.expand(b, f, points, 6))
        ca, cb, cc, cd, ce, cf = g.unbind(-1)
        x, y = ca * x + cb * y + cc, cd * x + ce * y + cf
        if groups:
            u12 = torch.rand(2, b, 1, points, generator=generator, device=device, dtype=dtype) if random_needed \
                else torch.zeros(2, 1, 1, 1, device=device, dtype=dtype)
            x, y = _apply(groups, x, y, (cb, cc, ce, cf) if coefs_needed else (None,) * 4, u12)
        if it >= skip:
            row, col = x * s_h + o_h, y * s_w + o_w
            inside = (row >= 0) & (row < res) & (col >= 0) & (col < res)  # NaN and inf fall outside
            cell = base + torch.where(inside, row, 0.0).long() * res + torch.where(inside, col, 0.0).long()
            counts.index_add_(0, torch.where(inside, cell, counts.numel() - 1).view(-1), ones)
    counts = counts[:-1].view(b * f, 1, res, res)
    box = torch.ones(1, 1, 3, 3, device=device, dtype=dtype)
    return nnf.conv2d(counts, box, padding=1).view(b, f, res, res)  # each splat lights its 3×3 neighbourhood


def _variation_groups(variations: list[int], device) -> list[tuple[int, torch.Tensor | None]]:
    """(id, clip indices or None for all) of the nonlinear variations in the batch, built once on the host."""
    ids = sorted(set(variations) - {0})
    if len(set(variations)) == 1:  # every clip the same: no indexing
        return [(v, None) for v in ids]
    return [(v, torch.tensor([i for i, w in enumerate(variations) if w == v], device=device)) for v in ids]


def _apply(groups, x, y, coefs, u12):
    for v, clips in groups:
        fn = VARIATIONS[v]
        if clips is None:
            return fn(x, y, *coefs, u12[0], u12[1])
        pick = (lambda t: t if t is None or t.shape[0] == 1 else t.index_select(0, clips))
        nx, ny = fn(pick(x), pick(y), *(pick(c) for c in coefs), pick(u12[0]), pick(u12[1]))
        x, y = x.index_copy(0, clips, nx), y.index_copy(0, clips, ny)
    return x, y


def keep_boxes(masks: torch.Tensor, keep: float) -> torch.Tensor:
    """Pixel boxes [M, 4] (top, bottom, left, right) holding at least ``keep`` of each mask's set pixels: empty
    border lines trimmed, then the edge line with the fewest set pixels peeled (ties: top, bottom, left, right)
    while more than floor(keep · n) remain. The numba path's ``framing.keep_box``, for all masks at once."""
    m, r = masks.shape[0], masks.shape[-1]
    device = masks.device
    total = masks.sum((1, 2))
    target = torch.floor(keep * total.double()).long()
    rows, cols = masks.any(2), masks.any(1)
    idx = torch.arange(r, device=device)
    top = torch.where(rows, idx, r).amin(1).clamp(max=r - 1)
    bottom = torch.where(rows, idx, -1).amax(1).clamp(min=0)
    left = torch.where(cols, idx, r).amin(1).clamp(max=r - 1)
    right = torch.where(cols, idx, -1).amax(1).clamp(min=0)
    integral = nnf.pad(masks.long().cumsum(1).cumsum(2), (1, 0, 1, 0)).view(m, -1)

    def count(t, b_, lf, rt):
        at = lambda i, j: integral.gather(1, (i * (r + 1) + j)[:, None]).squeeze(1)  # noqa: E731
        return at(b_ + 1, rt + 1) - at(t, rt + 1) - at(b_ + 1, lf) + at(t, lf)

    inside = total.clone()
    for _ in range(2 * r):  # a box loses at most 2r lines
        active = inside > target
        edges = torch.stack([count(top, top, left, right), count(bottom, bottom, left, right),
                             count(top, bottom, left, left), count(top, bottom, right, right)], 1)
        side = edges.argmin(1)
        inside = torch.where(active, inside - edges.gather(1, side[:, None]).squeeze(1), inside)
        top = torch.where(active & (side == 0), top + 1, top)
        bottom = torch.where(active & (side == 1), bottom - 1, bottom)
        left = torch.where(active & (side == 2), left + 1, left)
        right = torch.where(active & (side == 3), right - 1, right)
    full = (target == 0) | (keep >= 1)
    boxes = torch.stack([top, bottom, left, right], 1)
    return torch.where(full[:, None], torch.tensor([0, r - 1, 0, r - 1], device=device), boxes)


def windows_of(boxes: torch.Tensor, res: int) -> torch.Tensor:
    """Union of each clip's two boxes [B, 2, 4] + a 10 % margin (half to even), clamped → real windows [B, 4]."""
    top, bottom = boxes[:, :, 0].amin(1), boxes[:, :, 1].amax(1)
    left, right = boxes[:, :, 2].amin(1), boxes[:, :, 3].amax(1)
    m_h, m_w = torch.round(0.1 * (bottom - top).double()).long(), torch.round(0.1 * (right - left).double()).long()
    box = torch.stack([(top - m_h).clamp(min=0), (bottom + m_h).clamp(max=res - 1),
                       (left - m_w).clamp(min=0), (right + m_w).clamp(max=res - 1)], 1)
    return BORDER_EXTENT * (2 * box.double() / (res - 1) - 1)


def render_clips(frames: torch.Tensor, probes: torch.Tensor, n_maps: torch.Tensor, variations: list[int], res: int,
                 budget: Budget = Budget(), generator: torch.Generator | None = None
                 ) -> tuple[torch.Tensor, torch.Tensor]:
    """Gray uint8 frames [B, T, res, res] and a validity mask [B].

    frames [B, T, 8, 6]: the maps of the frames to draw; probes [B, 2, 8, 6]: the clip's first and last frame,
    which frame it (as for a whole video). A clip is invalid when its border render is near-empty, its window is
    empty, or a drawn frame is near-empty or near-full: the caller replaces it.
    """
    b = frames.shape[0]
    border = torch.tensor([-BORDER_EXTENT, BORDER_EXTENT, -BORDER_EXTENT, BORDER_EXTENT], device=frames.device)
    masks = chaos_game(probes, n_maps, border.expand(b, 2, 4), budget.res_b, budget.border_points,
                       budget.border_iters, budget.skip, variations, generator) > 0
    border_ok = (masks.float().mean((2, 3)) >= MIN_OCCUPANCY / 10).all(1)
    boxes = keep_boxes(masks.view(b * 2, budget.res_b, budget.res_b), budget.keep).view(b, 2, 4)
    windows = windows_of(boxes, budget.res_b)
    window_ok = (windows[:, 1] > windows[:, 0]) & (windows[:, 3] > windows[:, 2])
    counts = chaos_game(frames, n_maps, windows[:, None].expand(b, frames.shape[1], 4), res, budget.points,
                        budget.iters, budget.skip, variations, generator)
    lit = (counts >= lit_level(budget.points * (budget.iters - budget.skip), res)).float().mean((2, 3))
    valid = border_ok & window_ok & (lit.amin(1) >= MIN_OCCUPANCY) & (lit.amax(1) <= MAX_OCCUPANCY)
    density = torch.log1p(counts)
    scale = density.amax((1, 2, 3), keepdim=True).clamp(min=1.0)
    return torch.floor(255 * (density / scale).clamp(0, 1)).to(torch.uint8), valid

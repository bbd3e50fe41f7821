"""Background mixup (docs/augmentations.md): each clip is blended with a background cut from the batch itself,
after the foreground may have been shrunk, cloned and moved. Clips are [B, C, T, H, W] floats in [0, 1]."""
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as nnf
from torchvision.transforms import v2
from torchvision.transforms.v2 import functional as F

from .camera import _apply_to, _integer, apply_to, chosen_samples, pan, pan_windows
from .warp import affine_grid, upload, warp_clips

P_DYNAMIC = 0.2
P_MAX_BLEND = 0.05
BACKGROUND_WEIGHT = (0.25, 0.55)
GAMMA = (0.6, 1.0)
PRE_GAMMA = 0.75
STATIC_CROP = v2.RandomResizedCrop(1, scale=(0.6, 1.0), ratio=(3 / 4, 4 / 3))


def _walk(n_frames: int) -> torch.Tensor:
    """Random-walk time indices of a dynamic background (batch-shared): steps in {−1, 0, 1} inside a short window."""
    length = _integer(2, max(2, math.floor(0.25 * n_frames)))
    start = _integer(0, n_frames - length)
    steps = torch.randint(-1, 2, (n_frames,))
    steps[0] = 0
    return steps.cumsum(0).clamp(0, length - 1) + start


def _in_time(clips: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """Frames of each clip [n, C, T, H, W] re-ordered by its own time index [n, T'] (host)."""
    n, c, _, h, w = clips.shape
    index = upload(index, clips.device).view(n, 1, -1, 1, 1).expand(n, c, -1, h, w)
    return torch.gather(clips, 2, index)


def _still_pan(stills: torch.Tensor, n_frames: int, step: int, n_steps: int) -> torch.Tensor:
    """Image form of the pan: cut L windows of the enlarged still (batch-shared), then pad in time by repetition
    from a start of each still's own."""
    n, c, h, w = stills.shape
    tops, lefts, d = pan_windows(n_frames, h, step, n_steps)
    big = nnf.interpolate(stills, size=(h + d, w + d), mode="bicubic", align_corners=False).clamp(0, 1)
    windows = torch.stack([big[:, :, t:t + h, lf:lf + w] for t, lf in zip(tops.tolist(), lefts.tolist())], dim=2)
    length = windows.shape[2]
    if length == n_frames:
        return windows
    starts = torch.randint(0, n_frames - length, (n, 1))
    return _in_time(windows, (torch.arange(n_frames) - starts).clamp(0, length - 1))


def _paste(scale_h: torch.Tensor, scale_w: torch.Tensor, top: torch.Tensor, left: torch.Tensor, h: int, w: int,
           flip: torch.Tensor | None = None, angle: torch.Tensor | None = None) -> torch.Tensor:
    """Inverse affine matrices [n, 2, 3] (torchvision's convention: pixels from the image centre) that shrink each
    clip to (scale_h·h, scale_w·w), optionally mirror and turn it about its own centre, and place its top-left
    corner at (top, left); the rest of the canvas samples outside the clip, so it is black."""
    nh, nw = torch.floor(h * scale_h).clamp(min=1), torch.floor(w * scale_w).clamp(min=1)
    cy, cx = top + nh / 2 - h / 2, left + nw / 2 - w / 2
    theta = torch.deg2rad(angle) if angle is not None else torch.zeros_like(cx)
    cos, sin = torch.cos(theta), torch.sin(theta)
    mirror = torch.where(flip, -1.0, 1.0) if flip is not None else torch.ones_like(cx)
    sx, sy = mirror * w / nw, h / nh
    # input = diag(sx, sy) · R(θ) · (output − centre)
    a, b, c_, d = sx * cos, sx * sin, -sy * sin, sy * cos
    return torch.stack([torch.stack([a, b, -(a * cx + b * cy)], -1),
                        torch.stack([c_, d, -(c_ * cx + d * cy)], -1)], 1).float()


@dataclass
class BackgroundMixup:
    img_size: int
    curriculum_steps: int
    prob_scale: float = 0.0
    prob_shift: float = 0.0
    prob_clone: float = 0.0

    def backgrounds(self, v: torch.Tensor, step: int) -> torch.Tensor:
        """One background per sample, drawn from the batch before it changes."""
        b, c, t, h, w = v.shape
        dynamic = torch.rand(b) < P_DYNAMIC
        n_dyn, n_sta = int(dynamic.sum()), int((~dynamic).sum())
        parts = []
        if n_sta:
            frames = v.transpose(1, 2).reshape(b * t, c, h, w)
            picks = [frames.index_select(0, upload(torch.randint(0, b, (n_sta,)) * t + torch.randint(0, t, (n_sta,)),
                                                   v.device)) for _ in range(2)]
            stills = torch.maximum(*picks)
            top, left, ch, cw = STATIC_CROP.make_params([stills]).values()
            stills = F.resized_crop(stills, top, left, ch, cw, [self.img_size, self.img_size],
                                    interpolation=v2.InterpolationMode.BICUBIC, antialias=True)
            static = stills[:, :, None].expand(-1, -1, t, -1, -1)
            parts.append(apply_to(static, chosen_samples(n_sta, self.prob_shift),
                                  lambda x: _still_pan(x[:, :, 0], t, step, self.curriculum_steps)))
        if n_dyn:
            chosen = v.index_select(0, upload(torch.randint(0, b, (n_dyn,)), v.device))
            parts.append(chosen.index_select(2, upload(_walk(t), v.device)))
        background = torch.cat(parts)
        return background.index_select(0, upload(torch.randperm(b), v.device)) if len(parts) == 2 else background

    def scale(self, v: torch.Tensor, step: int) -> torch.Tensor:
        """Foreground scale and clones on samples chosen with ``prob_scale``: each shrunk clip lands at a random
        place on a black canvas; after the curriculum, a clone (shrunk, maybe mirrored, turned by up to 60°,
        shifted in time) may join it, the brighter of the two winning where they overlap."""
        chosen = chosen_samples(len(v), self.prob_scale)
        return apply_to(v, chosen, lambda x: self._scale(x, step))

    def _scale(self, v: torch.Tensor, step: int) -> torch.Tensor:
        n, _, t, h, w = v.shape
        curriculum = step < self.curriculum_steps
        s_min = 1 - 0.7 * step / self.curriculum_steps
        clone = (torch.rand(n) < self.prob_clone) & (not curriculum)
        lo = torch.where(clone, 0.2, 0.3) if not curriculum else torch.full((n,), s_min)
        hi = torch.where(clone, 0.7, 1.0) if not curriculum else torch.ones(n)
        factors = lo[:, None] + (hi - lo)[:, None] * torch.rand(n, 2)  # (height, width) per clip
        nh, nw = torch.floor(h * factors[:, 0]).clamp(min=1), torch.floor(w * factors[:, 1]).clamp(min=1)
        top, left = torch.floor(torch.rand(n) * (h - nh + 1)), torch.floor(torch.rand(n) * (w - nw + 1))
        out = warp_clips(v, affine_grid(_paste(factors[:, 0], factors[:, 1], top, left, h, w), h, w, v.device),
                         mode="bicubic")
        clones = torch.nonzero(clone).flatten()
        if len(clones):
            k = len(clones)
            f = factors[clones]
            top2 = torch.floor(torch.rand(k) * (h - nh[clones] + 1))
            left2 = torch.floor(torch.rand(k) * (w - nw[clones] + 1))
            matrices = _paste(f[:, 0], f[:, 1], top2, left2, h, w, flip=torch.rand(k) < 0.5,
                              angle=-60 + 120 * torch.rand(k))
            offsets = torch.floor(torch.rand(k, 1) * (max(1, math.floor(0.25 * t)) + 1)).long()
            sign = torch.where(torch.rand(k, 1) < 0.5, -1, 1)
            shifted = _in_time(v.index_select(0, upload(clones, v.device)),
                               (torch.arange(t) + sign * offsets).clamp(0, t - 1))
            copies = warp_clips(shifted, affine_grid(matrices, h, w, v.device), mode="bilinear")
            index = upload(clones, v.device)
            out = out.index_copy(0, index, torch.maximum(out.index_select(0, index), copies))
        return out

    def __call__(self, v: torch.Tensor, step: int) -> torch.Tensor:
        b = len(v)
        background = self.backgrounds(v, step).clamp(0, 1)
        if self.prob_scale > 0:
            v = self.scale(v, step)
        if self.prob_shift > 0:
            v = _apply_to(v, self.prob_shift, lambda x: pan(x, step, self.curriculum_steps))
        v = v.clamp(0, 1)
        n_max = int((torch.rand(b) < P_MAX_BLEND).sum())
        shape = (b - n_max, 1, 1, 1, 1)
        beta = torch.empty(shape, device=v.device).uniform_(*BACKGROUND_WEIGHT)
        gamma = torch.empty(shape, device=v.device).uniform_(*GAMMA)
        head = (1 - beta) * v[:b - n_max] ** PRE_GAMMA + beta * background[:b - n_max] ** PRE_GAMMA
        head = head.clamp(0, 1) ** gamma
        return torch.cat([head, torch.maximum(v[b - n_max:], background[b - n_max:])])

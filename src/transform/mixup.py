"""Background mixup (docs/augmentations.md): each clip is blended with a background cut from the batch itself,
after the foreground may have been shrunk, cloned and moved. Clips are [B, C, T, H, W] floats in [0, 1]."""
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as nnf
from torchvision.transforms import v2
from torchvision.transforms.v2 import functional as F

from .camera import _apply_to, _integer, _uniform, pan, pan_windows

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


def _still_pan(stills: torch.Tensor, n_frames: int, step: int, n_steps: int) -> torch.Tensor:
    """Image form of the pan: cut L windows of the enlarged still, pad in time by repetition."""
    n, c, h, w = stills.shape
    tops, lefts, d = pan_windows(n_frames, h, step, n_steps)
    big = nnf.interpolate(stills, size=(h + d, w + d), mode="bicubic", align_corners=False).clamp(0, 1)
    windows = torch.stack([big[:, :, t:t + h, lf:lf + w] for t, lf in zip(tops.tolist(), lefts.tolist())], dim=2)
    length = windows.shape[2]
    if length == n_frames:
        return windows
    out = []
    for sample in windows:
        left = _integer(0, n_frames - length - 1)
        index = (torch.arange(n_frames) - left).clamp(0, length - 1)
        out.append(sample[:, index])
    return torch.stack(out)


def _shift_in_time(clip: torch.Tensor, offset: int) -> torch.Tensor:
    """Delay (frame 0 repeated) or advance (last frame repeated) a clip [C, T, H, W] by ``offset`` frames."""
    t = clip.shape[1]
    index = torch.arange(t) - offset if torch.rand(1).item() < 0.5 else torch.arange(t) + offset
    return clip[:, index.clamp(0, t - 1)]


@dataclass
class BackgroundMixup:
    img_size: int
    curriculum_steps: int
    prob_scale: float = 0.0
    prob_shift: float = 0.0
    prob_clone: float = 0.0

    @classmethod
    def from_cfg(cls, aug, img_size: int, curriculum_steps: int, easy: bool = False) -> "BackgroundMixup":
        """``easy``: the contrastive k view (scale only: no shift, no clones)."""
        if easy:
            return cls(img_size, curriculum_steps, aug.PROB_SCALE)
        return cls(img_size, curriculum_steps, aug.PROB_SCALE, aug.PROB_SHIFT, aug.PROB_CLONE)

    def backgrounds(self, v: torch.Tensor, step: int) -> torch.Tensor:
        """One background per sample, drawn from the batch before it changes."""
        b, c, t, h, w = v.shape
        dynamic = torch.rand(b) < P_DYNAMIC
        n_dyn, n_sta = int(dynamic.sum()), int((~dynamic).sum())
        parts = []
        if n_sta:
            picks = [v[torch.randint(0, b, (n_sta,)), :, torch.randint(0, t, (n_sta,))] for _ in range(2)]
            stills = torch.maximum(*picks)
            top, left, ch, cw = STATIC_CROP.make_params([stills]).values()
            stills = F.resized_crop(stills, top, left, ch, cw, [self.img_size, self.img_size],
                                    interpolation=v2.InterpolationMode.BICUBIC, antialias=True)
            static = stills[:, :, None].expand(-1, -1, t, -1, -1).clone()
            if self.prob_shift > 0:
                active = torch.rand(n_sta) < self.prob_shift
                if active.any():
                    static[active.to(v.device)] = _still_pan(stills[active.to(v.device)], t, step,
                                                             self.curriculum_steps)
            parts.append(static)
        if n_dyn:
            parts.append(v[torch.randint(0, b, (n_dyn,))][:, :, _walk(t)])
        background = torch.cat(parts)
        return background[torch.randperm(b)] if len(parts) == 2 else background

    def _scale_one(self, clip: torch.Tensor, factors: tuple[float, float], clone: bool,
                   clone_factors: tuple[float, float]) -> torch.Tensor:
        c, t, h, w = clip.shape
        out = torch.zeros_like(clip)
        frames = clip.transpose(0, 1)
        nh, nw = max(1, math.floor(h * factors[0])), max(1, math.floor(w * factors[1]))
        small = nnf.interpolate(frames, size=(nh, nw), mode="bicubic", align_corners=False).transpose(0, 1)
        top, left = _integer(0, h - nh), _integer(0, w - nw)
        out[:, :, top:top + nh, left:left + nw] = small
        if clone:
            ch, cw = max(1, math.floor(h * clone_factors[0])), max(1, math.floor(w * clone_factors[1]))
            copy = nnf.interpolate(frames, size=(ch, cw), mode="bicubic", align_corners=False)
            if torch.rand(1).item() < 0.5:
                copy = copy.flip(-1)
            copy = F.rotate(copy, _uniform(-60, 60), interpolation=v2.InterpolationMode.BILINEAR, fill=0.0)
            copy = _shift_in_time(copy.transpose(0, 1), _integer(0, max(1, math.floor(0.25 * t))))
            top, left = _integer(0, h - ch), _integer(0, w - cw)
            region = out[:, :, top:top + ch, left:left + cw]
            out[:, :, top:top + ch, left:left + cw] = torch.maximum(region, copy)
        return out

    def scale(self, v: torch.Tensor, step: int) -> torch.Tensor:
        """Foreground scale and clones on samples chosen with ``prob_scale``."""
        out = v.clone()
        curriculum = step < self.curriculum_steps
        s_min = 1 - 0.7 * step / self.curriculum_steps
        for i in torch.nonzero(torch.rand(len(v)) < self.prob_scale).flatten().tolist():
            clone = not curriculum and torch.rand(1).item() < self.prob_clone
            lo, hi = (s_min, 1.0) if curriculum else ((0.2, 0.7) if clone else (0.3, 1.0))
            factors = (_uniform(lo, hi), _uniform(lo, hi))
            out[i] = self._scale_one(v[i], factors, clone, factors)
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

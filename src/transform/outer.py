"""Batch transforms on the training device (docs/augmentations.md): perspective, camera motion, then per sample
flip, RandAugment, blur and ImageNet normalisation. Clips are [B, C, T, H, W] floats in [0, 1]."""
from dataclasses import dataclass

import torch
from torchvision.transforms.v2 import functional as F

from .camera import camera_motion, perspective
from .inner import MEAN, STD
from .randaugment import rand_augment


@dataclass
class OuterConfig:
    hor_flip: bool = True
    auto_augment_m: float = 7
    auto_augment_n: int = 2
    prob_blur: float = 0.5
    prob_perspective: float = 0.0
    prob_shift: float = 0.0
    prob_zoom: float = 0.0
    prob_shake: float = 0.0
    curriculum_steps: int = 1

    @classmethod
    def from_cfg(cls, aug, curriculum_steps: int) -> "OuterConfig":
        return cls(aug.HOR_FLIP, aug.AUTO_AUGMENT_M, aug.AUTO_AUGMENT_N, aug.PROB_BLUR, aug.PROB_PERSPECTIVE,
                   aug.PROB_SHIFT, aug.PROB_ZOOM, aug.PROB_SHAKE, curriculum_steps)


def normalise(clips: torch.Tensor) -> torch.Tensor:
    """ImageNet mean/std over the channel axis of [B, C, T, H, W]."""
    mean = torch.tensor(MEAN, device=clips.device, dtype=clips.dtype).view(1, 3, 1, 1, 1)
    std = torch.tensor(STD, device=clips.device, dtype=clips.dtype).view(1, 3, 1, 1, 1)
    return (clips - mean) / std


def per_sample(clip: torch.Tensor, cfg: OuterConfig) -> torch.Tensor:
    """Flip (p 0.5), RandAugment, Gaussian blur 3×3 with σ ~ U[0.1, 2) (p ``prob_blur``); same for all frames."""
    frames = clip.transpose(0, 1)  # [T, C, H, W]
    if cfg.hor_flip and torch.rand(1).item() < 0.5:
        frames = frames.flip(-1)
    if cfg.auto_augment_m > 0:
        frames = rand_augment(frames, cfg.auto_augment_m, cfg.auto_augment_n)
    if cfg.prob_blur > 0 and torch.rand(1).item() < cfg.prob_blur:
        sigma = 0.1 + 1.9 * torch.rand(1).item()
        frames = F.gaussian_blur(frames, [3, 3], [sigma, sigma])
    return frames.transpose(0, 1)


class OuterTransform:
    """The supervised outer transform; ``step`` drives the curriculum of the camera motion."""

    def __init__(self, cfg: OuterConfig):
        self.cfg = cfg

    def __call__(self, clips: torch.Tensor, step: int) -> torch.Tensor:
        c = self.cfg
        if c.prob_perspective > 0:
            clips = perspective(clips, c.prob_perspective)
        if max(c.prob_shift, c.prob_zoom, c.prob_shake) > 0:
            clips = camera_motion(clips, step, c.curriculum_steps, c.prob_shift, c.prob_zoom, c.prob_shake)
        clips = torch.stack([per_sample(clip, c) for clip in clips])
        return normalise(clips)

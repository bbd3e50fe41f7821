"""Batch transforms on the training device (docs/augmentations.md): perspective, camera motion, then per clip
flip, RandAugment, blur and ImageNet normalisation. Clips are [B, C, T, H, W] floats in [0, 1]. Random draws are
made on the host and each transform runs once on the clips that drew it: no host sync, no loop over clips."""
from dataclasses import dataclass

import torch
import torch.nn.functional as nnf

from .camera import apply_to, camera_motion, chosen_samples, perspective
from .crops import MEAN, STD
from .randaugment import rand_augment
from .warp import upload


@dataclass
class AugmentSettings:
    hor_flip: bool = True
    auto_augment_m: float = 7
    auto_augment_n: int = 2
    prob_blur: float = 0.5
    prob_perspective: float = 0.0
    prob_shift: float = 0.0
    prob_zoom: float = 0.0
    prob_shake: float = 0.0
    curriculum_steps: int = 1


def normalise(clips: torch.Tensor) -> torch.Tensor:
    """ImageNet mean/std over the channel axis of [B, C, T, H, W]."""
    mean = upload(torch.tensor(MEAN, dtype=clips.dtype), clips.device).view(1, 3, 1, 1, 1)
    std = upload(torch.tensor(STD, dtype=clips.dtype), clips.device).view(1, 3, 1, 1, 1)
    return (clips - mean) / std


def gaussian_blur(clips: torch.Tensor, sigmas: torch.Tensor) -> torch.Tensor:
    """3×3 Gaussian blur of clips [n, C, T, H, W], one σ per clip (host), reflected borders: torchvision's
    ``gaussian_blur`` kernel and padding, with one kernel per clip (it takes one σ per call)."""
    n, c, t, h, w = clips.shape
    x = torch.tensor([-1.0, 0.0, 1.0])
    pdf = torch.exp(-0.5 * (x[None, :] / sigmas[:, None]) ** 2)
    pdf = pdf / pdf.sum(1, keepdim=True)
    kernels = upload(pdf[:, :, None] * pdf[:, None, :], clips.device)  # [n, 3, 3]
    weight = kernels.repeat_interleave(c * t, dim=0)[:, None]  # one kernel per clip channel and frame
    frames = nnf.pad(clips.reshape(1, n * c * t, h, w), (1, 1, 1, 1), mode="reflect")
    return nnf.conv2d(frames, weight, groups=n * c * t).view(n, c, t, h, w)


def per_clip(clips: torch.Tensor, settings: AugmentSettings) -> torch.Tensor:
    """Flip (p 0.5), RandAugment, Gaussian blur 3×3 with σ ~ U[0.1, 2) (p ``prob_blur``); each clip draws its
    own, the same for all its frames."""
    n = len(clips)
    if settings.hor_flip:
        clips = apply_to(clips, chosen_samples(n, 0.5), lambda x: x.flip(-1))
    if settings.auto_augment_m > 0:
        clips = rand_augment(clips, settings.auto_augment_m, settings.auto_augment_n)
    chosen = chosen_samples(n, settings.prob_blur)
    if chosen is not None:
        sigmas = 0.1 + 1.9 * torch.rand(len(chosen))
        clips = apply_to(clips, chosen, lambda x: gaussian_blur(x, sigmas))
    return clips


class BatchAugment:
    """The batch augmentation of supervised training; ``step`` drives the curriculum of the camera motion."""

    def __init__(self, settings: AugmentSettings):
        self.settings = settings

    def __call__(self, clips: torch.Tensor, step: int) -> torch.Tensor:
        c = self.settings
        if c.prob_perspective > 0:
            clips = perspective(clips, c.prob_perspective)
        if max(c.prob_shift, c.prob_zoom, c.prob_shake) > 0:
            clips = camera_motion(clips, step, c.curriculum_steps, c.prob_shift, c.prob_zoom, c.prob_shake)
        return normalise(per_clip(clips, c))

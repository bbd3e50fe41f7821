"""RandAugment for video clips (docs/augmentations.md): the same operation and parameters for every frame,
N distinct ops per clip each applied with probability 0.5, magnitude ~ Normal(M, 0.5) clipped to [0, 10],
geometric ops filling with black. Built on torchvision's ``transforms.v2.functional``."""
import math

import torch
from torchvision.transforms.v2 import functional as F


def _signed(value: float, generator: torch.Generator | None) -> float:
    return value if torch.rand(1, generator=generator).item() < 0.5 else -value


def _posterize(x: torch.Tensor, level: float, g) -> torch.Tensor:
    bits = max(0, 4 - int(4 * level))
    return F.posterize((x * 255).round().clamp(0, 255).to(torch.uint8), bits).float() / 255


def _shear(x: torch.Tensor, level: float, g, axis: int) -> torch.Tensor:
    angle = math.degrees(math.atan(_signed(0.3 * level, g)))
    shear = [angle, 0.0] if axis == 0 else [0.0, angle]
    return F.affine(x, angle=0.0, translate=[0, 0], scale=1.0, shear=shear, fill=0.0)


def _translate(x: torch.Tensor, level: float, g, axis: int) -> torch.Tensor:
    size = x.shape[-1] if axis == 0 else x.shape[-2]
    offset = round(_signed(0.45 * level, g) * size)
    translate = [offset, 0] if axis == 0 else [0, offset]
    return F.affine(x, angle=0.0, translate=translate, scale=1.0, shear=[0.0, 0.0], fill=0.0)


OPS = {
    "brightness": lambda x, m, g: F.adjust_brightness(x, 1 + _signed(0.9 * m, g)),
    "contrast": lambda x, m, g: F.adjust_contrast(x, 1 + _signed(0.9 * m, g)),
    "saturation": lambda x, m, g: F.adjust_saturation(x, 1 + _signed(0.9 * m, g)),
    "sharpness": lambda x, m, g: F.adjust_sharpness(x, 1 + _signed(0.9 * m, g)),
    "auto_contrast": lambda x, m, g: F.autocontrast(x),
    "equalize": lambda x, m, g: F.equalize(x),
    "invert": lambda x, m, g: F.invert(x),
    "rotate": lambda x, m, g: F.rotate(x, _signed(30 * m, g), fill=0.0),
    "posterize": _posterize,
    "solarize": lambda x, m, g: F.solarize(x, 1 - m),
    "shear_x": lambda x, m, g: _shear(x, m, g, 0),
    "shear_y": lambda x, m, g: _shear(x, m, g, 1),
    "translate_x": lambda x, m, g: _translate(x, m, g, 0),
    "translate_y": lambda x, m, g: _translate(x, m, g, 1),
}


def rand_augment(frames: torch.Tensor, magnitude: float, n_ops: int,
                 generator: torch.Generator | None = None) -> torch.Tensor:
    """``frames`` [T, C, H, W] floats in [0, 1] → augmented frames, values kept in [0, 1]."""
    names = list(OPS)
    chosen = torch.randperm(len(names), generator=generator)[:n_ops].tolist()
    for i in chosen:
        if torch.rand(1, generator=generator).item() < 0.5:
            m = float(torch.normal(float(magnitude), 0.5, (1,), generator=generator).clamp(0, 10)) / 10
            frames = OPS[names[i]](frames.clamp(0, 1), m, generator)
    return frames

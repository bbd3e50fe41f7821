"""RandAugment for batches of video clips (docs/augmentations.md): per clip, N distinct operations, each applied
with probability 0.5 at a magnitude ~ Normal(M, 0.5) clipped to [0, 10], with the same parameters for every frame;
geometric operations fill with black.

Every choice is drawn on the host; then, slot by slot, each operation runs once on the clips that drew it, with
one parameter per clip, so a batch costs a bounded number of launches and no host sync. The operations are
torchvision's (``transforms.v2.functional``) where one call serves the whole subset; the ones with a parameter
per clip are its formulas written for a batch (same blends and matrices; the geometric ones through
``warp.py``), since its functions take one parameter per call.
"""
from dataclasses import dataclass

import torch
import torch.nn.functional as nnf
from torchvision.transforms.v2 import functional as F

from .warp import affine_grid, inverse_affine, upload, warp_clips

SHARPEN = torch.tensor([[1.0, 1.0, 1.0], [1.0, 5.0, 1.0], [1.0, 1.0, 1.0]]) / 13  # torchvision's adjust_sharpness


def _per_clip(values: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """Host values [n] → device tensor [n, 1, 1, 1, 1] that broadcasts over clips [n, C, T, H, W]."""
    return upload(values.float(), like.device).view(-1, 1, 1, 1, 1)


def _blend(x: torch.Tensor, other: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    return (factor * x + (1 - factor) * other).clamp(0, 1)


def _gray(x: torch.Tensor) -> torch.Tensor:
    """ITU-R 601-2 luma of clips [n, 3, T, H, W] → [n, 1, T, H, W] (torchvision's rgb_to_grayscale)."""
    r, g, b = x.unbind(1)
    return (0.2989 * r + 0.587 * g + 0.114 * b).unsqueeze(1)


def _frames(x: torch.Tensor) -> torch.Tensor:
    n, c, t, h, w = x.shape
    return x.transpose(1, 2).reshape(n * t, c, h, w)


def _clips(frames: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    n, c, t, h, w = like.shape
    return frames.view(n, t, c, h, w).transpose(1, 2)


def brightness(x, level, sign):
    return _blend(x, torch.zeros_like(x), _per_clip(1 + sign * 0.9 * level, x))


def contrast(x, level, sign):
    return _blend(x, _gray(x).mean(dim=(1, 3, 4), keepdim=True), _per_clip(1 + sign * 0.9 * level, x))


def saturation(x, level, sign):
    return _blend(x, _gray(x), _per_clip(1 + sign * 0.9 * level, x))


def sharpness(x, level, sign):
    frames = _frames(x)
    c = frames.shape[1]
    kernel = upload(SHARPEN, x.device).expand(c, 1, 3, 3)
    blurred = frames.clone()
    blurred[..., 1:-1, 1:-1] = nnf.conv2d(frames, kernel, groups=c)  # the border keeps its pixels
    return _blend(x, _clips(blurred, x), _per_clip(1 + sign * 0.9 * level, x))


def auto_contrast(x, level, sign):
    """Each frame's channels stretched to [0, 1] (torchvision's autocontrast, whose boolean-mask assignment
    would be a host sync on a GPU: written with ``torch.where``)."""
    low, high = x.amin(dim=(3, 4), keepdim=True), x.amax(dim=(3, 4), keepdim=True)
    flat = high == low
    scale = torch.where(flat, 1.0, high - low)
    return ((x - torch.where(flat, 0.0, low)) / scale).clamp(0, 1)


def equalize(x, level, sign):
    return _clips(F.equalize(_frames(x)), x)


def invert(x, level, sign):
    return 1.0 - x


def posterize(x, level, sign):
    bits = (4 - (4 * level).long()).clamp(min=0)
    masks = ((0xFF << (8 - bits)) & 0xFF).to(torch.uint8)
    quantised = (x * 255).round().clamp(0, 255).to(torch.uint8)
    return (quantised & upload(masks, x.device).view(-1, 1, 1, 1, 1)).float() / 255


def solarize(x, level, sign):
    return torch.where(x >= _per_clip(1 - level, x), 1.0 - x, x)


def _geometric(x, angles, translations, shears):
    h, w = x.shape[-2:]
    grids = affine_grid(inverse_affine(angles, translations, shears), h, w, x.device)
    return warp_clips(x, grids, mode="nearest")


def rotate(x, level, sign):
    zeros = torch.zeros(len(level), 2)
    return _geometric(x, -sign * 30 * level, zeros, zeros)  # F.rotate turns by the opposite of F.affine's angle


def _shear(x, level, sign, axis):
    degrees = torch.rad2deg(torch.atan(sign * 0.3 * level))
    shears = torch.zeros(len(level), 2)
    shears[:, axis] = degrees
    return _geometric(x, torch.zeros(len(level)), torch.zeros(len(level), 2), shears)


def _translate(x, level, sign, axis):
    size = x.shape[-1] if axis == 0 else x.shape[-2]
    offsets = torch.zeros(len(level), 2)
    offsets[:, axis] = torch.round(sign * 0.45 * level * size)
    return _geometric(x, torch.zeros(len(level)), offsets, torch.zeros(len(level), 2))


OPS = {
    "brightness": brightness, "contrast": contrast, "saturation": saturation, "sharpness": sharpness,
    "auto_contrast": auto_contrast, "equalize": equalize, "invert": invert,
    "rotate": rotate, "posterize": posterize, "solarize": solarize,
    "shear_x": lambda x, level, sign: _shear(x, level, sign, 0),
    "shear_y": lambda x, level, sign: _shear(x, level, sign, 1),
    "translate_x": lambda x, level, sign: _translate(x, level, sign, 0),
    "translate_y": lambda x, level, sign: _translate(x, level, sign, 1),
}
NAMES = tuple(OPS)


@dataclass
class Draws:
    """Per clip and slot (host tensors [n, N]): the operation, whether it applies, its level in [0, 1], its sign."""

    ops: torch.Tensor
    apply: torch.Tensor
    level: torch.Tensor
    sign: torch.Tensor


def draw(n_clips: int, magnitude: float, n_ops: int, generator: torch.Generator | None = None) -> Draws:
    n_ops = min(n_ops, len(NAMES))
    ops = torch.stack([torch.randperm(len(NAMES), generator=generator)[:n_ops] for _ in range(n_clips)]) \
        if n_clips else torch.empty(0, n_ops, dtype=torch.long)
    apply = torch.rand(n_clips, n_ops, generator=generator) < 0.5
    level = torch.normal(float(magnitude), 0.5, (n_clips, n_ops), generator=generator).clamp(0, 10) / 10
    sign = torch.where(torch.rand(n_clips, n_ops, generator=generator) < 0.5, 1.0, -1.0)
    return Draws(ops, apply, level, sign)


def rand_augment(clips: torch.Tensor, magnitude: float, n_ops: int,
                 generator: torch.Generator | None = None) -> torch.Tensor:
    """Clips [B, C, T, H, W] floats in [0, 1] → augmented clips, values kept in [0, 1]."""
    d = draw(len(clips), magnitude, n_ops, generator)
    for slot in range(d.ops.shape[1]):
        for k, name in enumerate(NAMES):
            chosen = torch.nonzero((d.ops[:, slot] == k) & d.apply[:, slot]).flatten()
            if len(chosen):
                index = upload(chosen, clips.device)
                out = OPS[name](clips.index_select(0, index).clamp(0, 1), d.level[chosen, slot],
                                d.sign[chosen, slot])
                clips = clips.index_copy(0, index, out)
    return clips

"""Per-sample transforms run in the loader workers (docs/augmentations.md): crops, resizing, normalisation.

Clips are [3, T, H, W] uint8 in and float out. Cropping and resizing run on the uint8 frames (torchvision's
vectorised antialiased uint8 kernels, faster than on floats) and the result is converted to [0, 1] floats, so
bicubic overshoot is clipped and values are multiples of 1/255.
"""
import torch
from torchvision import tv_tensors
from torchvision.transforms import v2
from torchvision.transforms.v2 import functional as F

MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
VAL_CROP_RATIO = 256 / 224
INTERPOLATION = {"bicubic": v2.InterpolationMode.BICUBIC, "bilinear": v2.InterpolationMode.BILINEAR,
                 "nearest": v2.InterpolationMode.NEAREST}
INTERPOLATIONS = (*INTERPOLATION, "area")


def _as_video(clip: torch.Tensor) -> tv_tensors.Video:
    """[3, T, H, W] → torchvision's video layout [T, 3, H, W]."""
    return tv_tensors.Video(clip.permute(1, 0, 2, 3))


def _resize_to_float(video: torch.Tensor, size: list[int], interp: str) -> torch.Tensor:
    """Resize [T, 3, H, W] uint8 frames and return floats in [0, 1]; 'area' averages pixel blocks."""
    video = video.as_subclass(torch.Tensor)
    if interp == "area":
        return torch.nn.functional.interpolate(video.float().div_(255), size=size, mode="area")
    video = video.contiguous(memory_format=torch.channels_last)
    return F.resize(video, size, interpolation=INTERPOLATION[interp], antialias=True).float().div_(255)


class TrainCrop:
    """Random resized crop shared by all frames (area U[min_scale, 1), log-uniform ratio in [3/4, 4/3])."""

    def __init__(self, size: int, min_scale: float, interp: str = "bicubic"):
        self.size, self.interp = size, interp
        self.crop = v2.RandomResizedCrop(size, scale=(min_scale, 1.0), ratio=(3 / 4, 4 / 3))

    def __call__(self, clip: torch.Tensor) -> torch.Tensor:
        video = _as_video(clip)
        p = self.crop.make_params([video])
        cut = video[..., p["top"]:p["top"] + p["height"], p["left"]:p["left"] + p["width"]]
        out = _resize_to_float(cut, [self.size, self.size], self.interp)
        return out.permute(1, 0, 2, 3).contiguous()


class ValResizeCrop:
    """Short side to S (= IMG_SIZE·256/224 with crop_val, else IMG_SIZE), centre crop, ImageNet normalisation."""

    def __init__(self, size: int, crop_val: bool = True, interp: str = "bicubic"):
        self.size, self.interp = size, interp
        self.short = int(VAL_CROP_RATIO * size) if crop_val else size

    def __call__(self, clip: torch.Tensor) -> torch.Tensor:
        video = _as_video(clip)
        h, w = video.shape[-2:]
        scale = self.short / min(h, w)
        new = [self.short, int(w * scale)] if h <= w else [int(h * scale), self.short]
        video = F.center_crop(_resize_to_float(video, new, self.interp), [self.size, self.size])
        video = F.normalize(video, MEAN, STD)
        return video.permute(1, 0, 2, 3).contiguous()

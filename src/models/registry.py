"""Backbones by name. Every model maps clips [B, C, T, H, W] to [B, n_classes], exposes ``feature_dim``,
``replace_head(n_classes, mlp=False)`` and ``swap_head(module)``, and names the memory format its weights prefer
on CUDA (``memory_format``, None for none), so supervised training, fine-tuning and the self-supervised wrappers
treat all of them alike. Adding a backbone is one ``@register`` function."""
from contextlib import contextmanager
from typing import Callable, Iterator

import torch
from torch import nn

from .tsm import BASES, DROPOUT, TSM
from .video3d import TORCHVISION, TorchvisionVideo
from .x3d import X3D

MODELS: dict[str, Callable[..., nn.Module]] = {}

# what a model needs of its input, for the one-line error when a clip does not fit
INPUT_NEEDS = {"s3d": "at least 16 frames of 224 px (its pooling is fixed)",
               "mvit_v1_b": "16 frames of 224 px (its positional embedding is fixed)",
               "mvit_v2_s": "16 frames of 224 px (its positional embedding is fixed)"}


def register(name: str):
    def add(factory: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
        MODELS[name] = factory
        return factory
    return add


@register("tsm")
def tsm(n_classes: int, clip_length: int, base: str = "resnet50", mlp_head: bool = False,
        dropout: float = DROPOUT, **_) -> TSM:
    return TSM(n_classes, clip_length, base, mlp_head, dropout)


@register("x3d")
def x3d(n_classes: int, clip_length: int, x3d_size: str = "M", mlp_head: bool = False, **_) -> X3D:
    return X3D(n_classes, x3d_size, mlp_head)


def _torchvision(name: str):
    def factory(n_classes: int, clip_length: int, mlp_head: bool = False, **_) -> TorchvisionVideo:
        return TorchvisionVideo(name, n_classes, mlp_head)
    return factory


for _name in TORCHVISION:
    register(_name)(_torchvision(_name))


def build_model(arch: str, n_classes: int, clip_length: int, **options) -> nn.Module:
    """A randomly initialised ``arch`` for clips of ``clip_length`` frames; ``options`` go to its factory."""
    if arch not in MODELS:
        raise ValueError(f"unknown MODEL.ARCH {arch!r}; choose one of {', '.join(MODELS)}")
    return MODELS[arch](n_classes, clip_length, **options)


def input_problem(arch: str, clip_length: int, size: int, **options) -> str | None:
    """Why ``arch`` cannot take clips of ``clip_length`` frames of ``size`` px, or None: a forward pass on the
    meta device (shapes only, no memory, no compute)."""
    with torch.device("meta"):
        model = build_model(arch, 2, clip_length, **options)
        try:
            model(torch.empty(1, 3, clip_length, size, size))
        except (RuntimeError, ValueError, AssertionError, IndexError) as e:
            reason = str(e).strip().splitlines()[0][:120] if str(e).strip() else type(e).__name__
            return f"{INPUT_NEEDS.get(arch, 'another clip size')} ({reason})"
    return None


def memory_format_of(model: nn.Module):
    """The memory format the backbone inside ``model`` (possibly wrapped by MoCo, BYOL, SimCLR) prefers."""
    formats = {m.memory_format for m in model.modules() if hasattr(m, "memory_format")}
    return formats.pop() if len(formats) == 1 else None


@contextmanager
def headless(model: nn.Module) -> Iterator[nn.Module]:
    """``model`` with its classifier (or projector) swapped for the identity inside the block, so it outputs its
    pooled features [B, feature_dim]; the same classifier module is back afterwards."""
    head = model.swap_head(nn.Identity())
    try:
        yield model
    finally:
        model.swap_head(head)


def describe(arch: str, base: str) -> str:
    """A model's name for the log and for errors: TSM-resnet50, X3D-M, r3d_18, ..."""
    if arch == "tsm":
        return f"TSM-{base}"
    return f"X3D-{base}" if arch == "x3d" else arch


__all__ = ["BASES", "MODELS", "build_model", "describe", "headless", "input_problem", "memory_format_of", "register"]

"""Backbones by name. Every model maps clips [B, C, T, H, W] to [B, n_classes], exposes ``feature_dim`` and
``replace_head(n_classes, mlp=False)``, so supervised training, fine-tuning and the self-supervised wrappers
treat all of them alike. Adding a backbone is one ``@register`` function."""
from typing import Callable

from torch import nn

from .tsm import BASES, DROPOUT, TSM

MODELS: dict[str, Callable[..., nn.Module]] = {}


def register(name: str):
    def add(factory: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
        MODELS[name] = factory
        return factory
    return add


@register("tsm")
def tsm(n_classes: int, clip_length: int, base: str = "resnet50", mlp_head: bool = False,
        dropout: float = DROPOUT) -> TSM:
    return TSM(n_classes, clip_length, base, mlp_head, dropout)


def build_model(arch: str, n_classes: int, clip_length: int, **options) -> nn.Module:
    """A randomly initialised ``arch`` for clips of ``clip_length`` frames; ``options`` go to its factory."""
    if arch not in MODELS:
        raise ValueError(f"unknown MODEL.ARCH {arch!r}; choose one of {', '.join(MODELS)}")
    return MODELS[arch](n_classes, clip_length, **options)


def describe(arch: str, base: str) -> str:
    return f"TSM-{base}" if arch == "tsm" else arch


__all__ = ["BASES", "MODELS", "build_model", "describe", "register"]

"""The interface every video generator implements: sample parameters → render frames; the runner writes them."""
import argparse
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .class_files import load_class


MAX_ATTEMPTS = 50


class Degenerate(Exception):
    """A sample that does not make a usable video (empty, filled or non-finite); the runner draws again."""


def until_valid(make):
    """Call ``make()`` until it does not raise Degenerate; returns (its result, number of rejected draws)."""
    for attempt in range(MAX_ATTEMPTS):
        try:
            return make(), attempt
        except Degenerate:
            continue
    raise RuntimeError(f"no usable sample after {MAX_ATTEMPTS} attempts; check the parameters (--var, class files)")


@dataclass
class Sample:
    """Rendered frames: [F, H, W] gray or [F, H, W, 3] RGB uint8 (fractal --img: [16, H, W] images).

    ``tag`` is appended to unlabelled file names (the fractal variation id) and None elsewhere.
    """

    frames: np.ndarray
    tag: int | None = None


class Generator:
    """Base of the four generators. Class references are class-file paths unless ``fixed_classes`` says else."""

    class_keys: tuple[str, ...] = ()

    def fixed_classes(self) -> list[str] | None:
        """Labels of a generator that is always labelled (perlin), else None."""
        return None

    def label(self, ref: Path | str) -> str:
        return ref.stem if isinstance(ref, Path) else ref

    def class_params(self, ref: Path | str) -> dict:
        """Parameters of one class: the arrays of its class file (raises ClassFileError)."""
        return load_class(ref, self.class_keys)

    def sample_class(self, args: argparse.Namespace, rng: np.random.Generator) -> tuple[dict, int | None]:
        """Parameters of a new class, and the tag of its file name; may raise Degenerate."""
        raise NotImplementedError

    def render(self, args: argparse.Namespace, rng: np.random.Generator, params: dict | None) -> Sample:
        """One output: a sample of class ``params``, or of fresh parameters when None; may raise Degenerate."""
        raise NotImplementedError

"""The interface every video generator implements: sample parameters → render frames; the runner writes them."""
import argparse
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Callable

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


@dataclass(frozen=True)
class Settings:
    """What a generator needs to know: frame side, fractal mode and chaos-game settings (the CLI's defaults)."""

    res: int = 256
    img: bool = False  # fractal: 16 still images per sample instead of a video
    var: tuple[int, ...] = (-1,)  # fractal: allowed variation ids; (-1,) is the default mixture
    linear_motion: bool = False  # fractal: linear timing for every map
    bs_point: int = 128  # chaos-game points per frame
    iters: int = 7500  # chaos-game iterations
    iter_b: int = 3000  # iterations of the border-detection render
    iter_skip: int = 200  # first iterations not drawn
    thres_b: float = 0.9  # share of lit pixels the framing window keeps
    res_b: int = 128  # border-detection resolution

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> "Settings":
        names = {f.name for f in fields(cls)} - {"iters", "var"}
        return cls(iters=args.iter, var=tuple(args.var), **{n: getattr(args, n) for n in names})


@dataclass
class Sample:
    """Rendered frames: [F, H, W] gray or [F, H, W, 3] RGB uint8 (fractal --img: [16, H, W] images).

    ``tag`` is appended to unlabelled file names (the fractal variation id) and None elsewhere.
    """

    frames: np.ndarray
    tag: int | None = None


Pick = Callable[[int], np.ndarray]  # n_frames -> the indices of the frames wanted, an array of any shape


def frames_needed(frames: Pick | None, n_frames: int) -> tuple[np.ndarray, np.ndarray | None]:
    """The sorted distinct frame indices to render, and how to index them to get ``frames(n_frames)``'s shape
    (None: every frame, in order)."""
    if frames is None:
        return np.arange(n_frames), None
    picked = np.asarray(frames(n_frames))
    if picked.dtype.kind not in "iu" or picked.size and (picked.min() < 0 or picked.max() >= n_frames):
        raise ValueError(f"frame indices must be integers in [0, {n_frames}), got {picked.ravel()[:8].tolist()}")
    needed, inverse = np.unique(picked, return_inverse=True)
    return needed, inverse.reshape(picked.shape)


def picked(video: np.ndarray, inverse: np.ndarray | None) -> np.ndarray:
    """The rendered frames arranged as asked (``frames_needed``)."""
    return video if inverse is None else video[inverse]


TRIAL = {"res": 32, "res_b": 32, "bs_point": 32, "iters": 600, "iter_b": 400, "iter_skip": 100}


def draws_something(generator: "Generator", params: dict, settings: Settings) -> bool:
    """A class file's trial: does it give a usable sample at a tiny size within MAX_ATTEMPTS draws (a finite but
    degenerate class, maps scaled by 1000, never does)? Milliseconds a class, so every class is tried up front."""
    tiny = replace(settings, **TRIAL)
    rng = np.random.default_rng(0)
    try:
        with np.errstate(all="ignore"):  # a degenerate class overflows: that is what the trial finds out
            until_valid(lambda: generator.render(tiny, rng, params))
    except (RuntimeError, FloatingPointError, OverflowError, ValueError):
        return False
    return True


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

    def sample_class(self, settings: Settings, rng: np.random.Generator) -> tuple[dict, int | None]:
        """Parameters of a new class, and the tag of its file name; may raise Degenerate."""
        raise NotImplementedError

    def render(self, settings: Settings, rng: np.random.Generator, params: dict | None,
               frames: Pick | None = None) -> Sample:
        """One output: a sample of class ``params``, or of fresh parameters when None; may raise Degenerate. With
        ``frames`` only the frames at ``frames(n_frames)`` (an index array of any shape), in that shape: the same
        pixels as those frames of the whole video drawn from the same ``rng`` (fractals: framed as the whole
        video, their brightness scaled to the brightest frame drawn)."""
        raise NotImplementedError

"""Perlin-noise videos (docs/generators.md): 3-D gradient noise, one class per (row, column) frequency pair.

The noise is linear in the time coordinate inside its single time cell, so a clip is four [H, W] planes mixed
per frame: the volume costs O(H·W) work plus one multiply-add per voxel, with no per-pixel Python loop.
"""
import numpy as np

from .generator import Generator, Sample, frames_needed, picked

FREQUENCIES = (1, 2, 3, 5, 6, 8, 10, 12, 16, 20, 30, 40, 60, 80, 120, 240)  # the divisors of 240
SIZE = 240


def fade(q: np.ndarray) -> np.ndarray:
    """Quintic fade 6q⁵ − 15q⁴ + 10q³."""
    return q * q * q * (q * (q * 6 - 15) + 10)


def sample_gradients(rng: np.random.Generator, f_rows: int, f_cols: int) -> np.ndarray:
    """Lattice gradients [f_rows+1, f_cols+1, 2, 3] = (sin φ cos θ, sin φ sin θ, cos φ), θ, φ ~ U[0, 2π)."""
    shape = (f_rows + 1, f_cols + 1, 2)
    theta, phi = rng.uniform(0, 2 * np.pi, shape), rng.uniform(0, 2 * np.pi, shape)
    return np.stack([np.sin(phi) * np.cos(theta), np.sin(phi) * np.sin(theta), np.cos(phi)], axis=-1)


def _cells(size: int, freq: int) -> tuple[np.ndarray, np.ndarray]:
    """Cell index and fractional position of each of ``size`` pixels for ``freq`` cells across."""
    pos = np.arange(size) * freq
    return pos // size, (pos % size) / size


def perlin_volume(gradients: np.ndarray, n_frames: int, size: int = SIZE, at: np.ndarray | None = None) -> np.ndarray:
    """Noise (n + 1) / 2 as float32 [F, size, size] (only the frames ``at``, when given); one lattice cell spans the
    clip in time."""
    f_rows, f_cols = gradients.shape[0] - 1, gradients.shape[1] - 1
    ci, u = _cells(size, f_rows)
    cj, v = _cells(size, f_cols)
    wu, wv = fade(u), fade(v)
    planes = []  # per time corner c: A_c (rows/columns terms) and B_c (the time gradient), both [size, size]
    for c in (0, 1):
        a_plane = b_plane = 0.0
        for a in (0, 1):
            for b in (0, 1):
                g = gradients[ci[:, None] + a, cj[None, :] + b, c]
                weight = (wu if a else 1 - wu)[:, None] * (wv if b else 1 - wv)[None, :]
                a_plane = a_plane + weight * (g[..., 0] * (u - a)[:, None] + g[..., 1] * (v - b)[None, :])
                b_plane = b_plane + weight * g[..., 2]
        planes.append((a_plane, b_plane))
    w = (np.arange(n_frames) if at is None else np.asarray(at)) / n_frames
    ww = fade(w)[:, None, None]
    w = w[:, None, None]
    (a0, b0), (a1, b1) = planes
    noise = (1 - ww) * (a0 + w * b0) + ww * (a1 + (w - 1) * b1)
    return ((noise + 1) / 2).astype(np.float32)


def class_label(f_rows: int, f_cols: int) -> str:
    return f"{f_rows}-{f_cols}-1"


class PerlinGenerator(Generator):
    """--type perlin: gray noise videos, always labelled by the (row, column) lattice frequency."""

    def fixed_classes(self) -> list[str]:
        return [class_label(fr, fc) for fr in FREQUENCIES for fc in FREQUENCIES]

    def class_params(self, ref: str) -> dict:
        f_rows, f_cols, _ = map(int, ref.split("-"))
        return {"f_rows": f_rows, "f_cols": f_cols}

    def render(self, settings, rng, params, frames=None):
        if params is None:
            raise ValueError("perlin videos are always labelled by frequency")
        n_frames = int(rng.integers(18, 21))
        needed, inverse = frames_needed(frames, n_frames)
        volume = perlin_volume(sample_gradients(rng, params["f_rows"], params["f_cols"]), n_frames, settings.res,
                               needed)
        return Sample(picked(np.floor(255 * np.clip(volume, 0, 1)).astype(np.uint8), inverse))

"""Octopus videos (docs/generators.md): thick coloured limbs bending smoothly around a common joint.

Class files hold the control points of the 4L limb profiles (not pickled spline objects); the splines are
rebuilt on load.
"""
import cv2
import numpy as np

from .class_files import ClassFileError
from .generator import Generator, Sample, frames_needed, picked
from .motion import interpolate, multiplicative_curve, quadratic_spline, sample_timing
from .shapes import draw_shape, sample_shapes

POINTS = 512  # points per limb curve
MAX_KNOTS = 5
MUTATION = 0.03  # strength of the per-limb, per-axis multiplicative curve of labelled samples
CLASS_KEYS = ("n_limbs", "profile_values", "profile_knots", "interp")


def sample_params(rng: np.random.Generator) -> dict:
    """L ~ U{3..5} limbs, 4L profiles (3..5 control values in U[0.85, 1.15)) and timing M(L).

    ``profile_values`` is [4L, 5], NaN-padded after each profile's ``profile_knots`` values.
    """
    n_limbs = int(rng.integers(3, 6))
    knots = rng.integers(3, MAX_KNOTS + 1, 4 * n_limbs)
    values = np.full((4 * n_limbs, MAX_KNOTS), np.nan)
    for k, n in enumerate(knots):
        values[k, :n] = rng.uniform(0.85, 1.15, n)
    return {"n_limbs": np.int64(n_limbs), "profile_values": values, "profile_knots": knots.astype(np.int64),
            "interp": sample_timing(rng, n_limbs)}


def check_params(params: dict, source) -> None:
    """Raise ClassFileError unless the arrays fit together (a hand-edited or foreign file)."""
    values, knots, interp = params["profile_values"], params["profile_knots"], params["interp"]
    numeric = all(np.asarray(a).dtype.kind in "iuf" for a in (params["n_limbs"], values, knots, interp))
    if not numeric or np.ndim(params["n_limbs"]) != 0:
        raise ClassFileError(f"class file {source}: octopus parameters must be numbers (n_limbs one integer); "
                             "regenerate it with --gen_param")
    n_limbs = int(params["n_limbs"])
    ok = (n_limbs >= 1 and values.shape == (4 * n_limbs, MAX_KNOTS) and knots.shape == (4 * n_limbs,)
          and ((knots >= 3) & (knots <= MAX_KNOTS)).all() and interp.ndim == 2 and interp.shape[1] == n_limbs
          and interp.shape[0] >= 2 and np.isfinite(interp).all()
          and all(np.isfinite(v[:k]).all() for v, k in zip(values, knots)))
    if not ok:
        raise ClassFileError(f"class file {source}: inconsistent octopus parameters; regenerate it with --gen_param")


def profile(values: np.ndarray, n_knots: int, at: np.ndarray) -> np.ndarray:
    """Quadratic spline through ``n_knots`` values at linspace(0, 1, n_knots), evaluated at ``at``."""
    return quadratic_spline(np.linspace(0, 1, n_knots), values[:n_knots], at)


def _profile_range(rng: np.random.Generator) -> np.ndarray:
    return np.linspace(rng.uniform(0, 0.1), rng.uniform(0.4, 0.6), POINTS)


def compose(rng: np.random.Generator, params: dict, labelled: bool) -> np.ndarray:
    """Limb points [F, L, 512, 2] as (row, column): curve 2l morphs into curve 2l+1 with the class timing."""
    values, knots = params["profile_values"], params["profile_knots"]
    curves = np.stack([np.stack([profile(values[2 * j], knots[2 * j], _profile_range(rng)),
                                 profile(values[2 * j + 1], knots[2 * j + 1], _profile_range(rng))], axis=1)
                       for j in range(2 * int(params["n_limbs"]))])
    timing = params["interp"].astype(np.float64)
    limbs = interpolate(curves[0::2], curves[1::2], timing)
    if labelled:
        n_frames, n_limbs = timing.shape
        factors = np.stack([np.stack([multiplicative_curve(rng, n_frames, MUTATION) for _ in range(2)], axis=1)
                            for _ in range(n_limbs)], axis=1)
        limbs = limbs * factors[:, :, None, :]
    return limbs


def join(rng: np.random.Generator, limbs: np.ndarray) -> np.ndarray:
    """Translate every limb so that its joint point meets the centre limb's joint point; [F, 512L, 2]."""
    n_frames, n_limbs = limbs.shape[:2]
    centre = int(rng.integers(0, n_limbs))
    joints = np.clip(rng.uniform(0, 0.15, n_limbs) * POINTS, 0, POINTS - 1).astype(np.int64)
    anchor = limbs[:, centre, joints[centre]]  # [F, 2]
    shift = anchor[:, None, :] - limbs[:, np.arange(n_limbs), joints]  # [F, L, 2]
    return (limbs + shift[:, :, None, :]).reshape(n_frames, n_limbs * POINTS, 2)


def to_pixels(points: np.ndarray, res: int) -> np.ndarray:
    """Per axis over all frames and points: widen [min, max] by 1 % of their magnitude, scale to [0, res)."""
    lo, hi = points.min(axis=(0, 1)), points.max(axis=(0, 1))
    lo, hi = lo - 0.01 * np.abs(lo), hi + 0.01 * np.abs(hi)
    scaled = (points - lo) * res / np.where(hi > lo, hi - lo, 1)
    return np.clip(np.trunc(scaled), 0, res - 1).astype(np.int64)


def _thresholds(rng: np.random.Generator, n_frames: int) -> np.ndarray:
    if rng.random() < 0.3:
        return np.round(np.linspace(rng.integers(3, 10), rng.integers(3, 10), n_frames))
    return np.full(n_frames, rng.integers(3, 10))


def thick_limbs(rng: np.random.Generator, pixels: np.ndarray, res: int, at: np.ndarray) -> tuple[np.ndarray, tuple]:
    """Blur the point canvas, threshold it and colour the strokes of the frames ``at`` of the video whose points
    are ``pixels`` [F, P, 2]; returns [len(at), res, res, 3] and the colour."""
    colour = tuple(int(c) for c in rng.integers(0, 256, 3))
    sigma_x, sigma_y = (int(s) for s in rng.integers(3, 9, 2))
    thresholds = _thresholds(rng, len(pixels))[at]
    pixels = pixels[at]
    frames = np.zeros((len(pixels), res, res, 3), np.uint8)
    closing = np.ones((2, 2), np.uint8)
    paint = np.array(colour, np.uint8)
    for frame, points, tau in zip(frames, pixels, thresholds):
        canvas = np.zeros((res, res), np.float32)
        canvas[points[:, 0], points[:, 1]] = 255
        blur = cv2.GaussianBlur(canvas, (0, 0), sigmaX=sigma_x, sigmaY=sigma_y, borderType=cv2.BORDER_REFLECT_101)
        frame[:] = cv2.morphologyEx((blur > tau).view(np.uint8)[..., None] * paint, cv2.MORPH_CLOSE, closing)
    return frames, colour


def add_joint_blobs(rng: np.random.Generator, frames: np.ndarray, pixels: np.ndarray, colour: tuple) -> None:
    """With probability 0.8: 1..3 filled shapes in the limb colour riding on random limb points."""
    if rng.random() >= 0.8:
        return
    res = frames.shape[1]
    n = int(rng.integers(1, 4))
    shapes = sample_shapes(rng, n, sides=(2, 7), radius=(18, 27), radius_scale=res / 256, colour=colour)
    anchors = rng.integers(0, pixels.shape[1], n)
    for frame, points in zip(frames, pixels):
        for shape, a in zip(shapes, anchors):
            draw_shape(frame, (points[a, 1], points[a, 0]), shape)


def _lit(image: np.ndarray) -> np.ndarray:
    """Pixels of an RGB image with any non-zero channel."""
    return (image[..., 0] | image[..., 1] | image[..., 2]) > 0


def add_colour_patches(rng: np.random.Generator, frames: np.ndarray, pixels: np.ndarray) -> None:
    """With probability 0.8: 2..5 coloured shapes that recolour the limbs where they overlap them."""
    if rng.random() >= 0.8:
        return
    res = frames.shape[1]
    n = int(rng.integers(2, 6))
    shapes = sample_shapes(rng, n, sides=(2, 7), radius=(18, 31), radius_scale=res / 256)
    anchors = rng.integers(0, pixels.shape[1], n)
    for frame, points in zip(frames, pixels):
        patch = np.zeros_like(frame)
        for shape, a in zip(shapes, anchors):
            draw_shape(patch, (points[a, 1], points[a, 0]), shape)
        overlap = (_lit(patch) & _lit(frame))[..., None]
        np.copyto(frame, patch, where=overlap)


def _kernel_sizes(rng: np.random.Generator, n_frames: int) -> np.ndarray:
    """[F, 2] (height, width) of the outline kernel: per-frame ramps with probability 0.3, else constant."""
    if rng.random() < 0.3:
        return np.stack([np.round(np.linspace(rng.integers(2, 7), rng.integers(2, 7), n_frames))
                         for _ in range(2)], axis=1).astype(np.int64)
    return np.repeat(rng.integers(2, 7, (1, 2)), n_frames, axis=0)


def outline(rng: np.random.Generator, frames: np.ndarray, n_frames: int, at: np.ndarray) -> None:
    """With probability 0.4: keep only the outline (morphological gradient) of every frame; ``frames`` are the
    frames ``at`` of a video of ``n_frames``."""
    if rng.random() >= 0.4:
        return
    for frame, (k_h, k_w) in zip(frames, _kernel_sizes(rng, n_frames)[at]):
        frame[:] = cv2.morphologyEx(frame, cv2.MORPH_GRADIENT, np.ones((k_h, k_w), np.uint8))


def render(rng: np.random.Generator, limbs: np.ndarray, res: int, at: np.ndarray | None = None) -> np.ndarray:
    """RGB frames [F, res, res, 3] of composed limbs (only the frames ``at``, when given)."""
    pixels = to_pixels(join(rng, limbs), res)  # placed over the whole video
    at = np.arange(len(pixels)) if at is None else at
    frames, colour = thick_limbs(rng, pixels, res, at)
    add_joint_blobs(rng, frames, pixels[at], colour)
    add_colour_patches(rng, frames, pixels[at])
    outline(rng, frames, len(pixels), at)
    return frames


class OctopusGenerator(Generator):
    """--type octopus: RGB videos of 3..5 joined limbs."""

    class_keys = CLASS_KEYS

    def class_params(self, ref):
        params = super().class_params(ref)
        check_params(params, ref)
        return params

    def sample_class(self, settings, rng):
        return sample_params(rng), None

    def render(self, settings, rng, params, frames=None):
        labelled = params is not None
        limbs = compose(rng, params if labelled else sample_params(rng), labelled)
        needed, inverse = frames_needed(frames, len(limbs))
        return Sample(picked(render(rng, limbs, settings.res, needed), inverse))

"""Dead-leaves videos (docs/generators.md): flat-coloured polygons on smooth trajectories, occluding each other."""
import numpy as np

from .class_files import ClassFileError
from .generator import Generator, Sample, frames_needed, picked
from .motion import multiplicative_curve, sample_timing
from .shapes import draw_shape, sample_shapes

DROP = 0.2  # labelled samples drop each polygon with this probability
MUTATION = 0.2  # strength of the per-trajectory multiplicative curve
JITTER = 0.08  # per-polygon offset, as a fraction of the coordinate range


def _normalised(values: np.ndarray) -> np.ndarray:
    span = values.max() - values.min()
    return (values - values.min()) / span if span > 0 else np.zeros_like(values)


def sample_trajectory(rng: np.random.Generator, n_frames: int) -> np.ndarray:
    """[F, 2]: per axis a timing curve normalised to [0, 1], scaled by ±U[1, 2), shifted by U[-2, 2), maybe
    reversed in time."""
    axes = []
    for _ in range(2):
        curve = _normalised(sample_timing(rng, 1, n_frames)[:, 0])
        sign = 1 if rng.random() < 0.5 else -1
        curve = curve * rng.uniform(1, 2) * sign + rng.uniform(-2, 2)
        axes.append(curve[::-1] if rng.random() < 0.5 else curve)
    return np.stack(axes, axis=1)


def sample_coords(rng: np.random.Generator) -> np.ndarray:
    """Class parameters: trajectories [F, P, 2] with F ~ U{18..20}, P ~ U{15..30}."""
    n_frames, n_polygons = int(rng.integers(18, 21)), int(rng.integers(15, 31))
    return np.stack([sample_trajectory(rng, n_frames) for _ in range(n_polygons)], axis=1)


def mutate(rng: np.random.Generator, coords: np.ndarray) -> np.ndarray:
    """A labelled sample of a class: drop, reorder, bend and shift the polygons."""
    n_frames, n_polygons, _ = coords.shape
    keep = np.flatnonzero(rng.random(n_polygons) >= DROP)
    if len(keep) == 0:
        keep = rng.integers(0, n_polygons, 1)
    order = rng.permutation(keep)
    factors = np.stack([np.stack([multiplicative_curve(rng, n_frames, MUTATION) for _ in range(2)], axis=1)
                        for _ in range(len(keep))], axis=1)
    out = coords[:, order] * factors
    span = out.max(axis=(0, 1)) - out.min(axis=(0, 1))
    return out + rng.uniform(-1, 1, (len(keep), 2)) * span * JITTER


def to_pixels(coords: np.ndarray, res: int) -> np.ndarray:
    """Per axis min-max over frames and polygons to [0, 1], times res, rounded, clipped to [0, res-1]."""
    lo, hi = coords.min(axis=(0, 1)), coords.max(axis=(0, 1))
    unit = (coords - lo) / np.where(hi > lo, hi - lo, 1)
    return np.clip(np.round(unit * res), 0, res - 1).astype(np.int64)


def draw(pixels: np.ndarray, shapes: list, res: int) -> np.ndarray:
    """Frames [F, res, res, 3]: every polygon at its (row, column) per frame, later polygons on top."""
    frames = np.zeros((len(pixels), res, res, 3), np.uint8)
    for frame, centres in zip(frames, pixels):
        for (row, col), shape in zip(centres, shapes):
            draw_shape(frame, (col, row), shape)
    return frames


def render(rng: np.random.Generator, coords: np.ndarray, res: int, labelled: bool,
           at: np.ndarray | None = None) -> np.ndarray:
    """One video of the trajectories ``coords`` (only the frames ``at``, when given), mutated first for labelled
    samples; appearance is fresh."""
    if labelled:
        coords = mutate(rng, coords)
    shapes = sample_shapes(rng, coords.shape[1], sides=(1, 8), radius=(12, 32))
    pixels = to_pixels(coords, res)  # placed over the whole video
    return draw(pixels if at is None else pixels[at], shapes, res)


class DeadLeavesGenerator(Generator):
    """--type dead_leaves: RGB videos of moving occluding polygons."""

    class_keys = ("coords",)

    def class_params(self, ref):
        params = super().class_params(ref)
        coords = params["coords"]
        if coords.ndim != 3 or coords.shape[0] < 2 or coords.shape[1] < 1 or coords.shape[2] != 2 \
                or coords.dtype.kind not in "iuf" or not np.isfinite(coords).all():
            raise ClassFileError(f"class file {ref}: coords must be finite numbers [frames >= 2, polygons >= 1, 2], "
                                 f"got shape {coords.shape}; regenerate it with --gen_param")
        return params

    def sample_class(self, settings, rng):
        return {"coords": sample_coords(rng)}, None

    def render(self, settings, rng, params, frames=None):
        coords = sample_coords(rng) if params is None else params["coords"].astype(np.float64)
        needed, inverse = frames_needed(frames, len(coords))
        return Sample(picked(render(rng, coords, settings.res, params is not None, needed), inverse))

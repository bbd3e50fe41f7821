"""Fractal videos and images: weights → framing → chaos game → 8-bit frames, rejecting degenerate samples."""
import numpy as np

from .chaos_game import render_counts
from .fractal_params import (VIDEO_KEYS, load_params, mutate, params_weights, sample_image_params,
                             sample_video_params)
from .framing import BORDER_EXTENT, frame_windows
from .generator import Degenerate, Generator, Pick, Sample, Settings, frames_needed, picked

MIN_OCCUPANCY = 0.005  # a frame with fewer lit pixels is near-empty
MAX_OCCUPANCY = 0.90  # a frame with more lit pixels is a filled canvas, not a fractal
REFERENCE_DENSITY = 128 * (7500 - 200) / 256 ** 2  # splats per pixel of the default settings (256 px)


def find_windows(weights: np.ndarray, var: int, settings: Settings, rng: np.random.Generator,
                 per_frame: bool) -> np.ndarray:
    """Real-coordinate windows [F, 4]: video mode frames the first and last frame with one shared window;
    image mode (``per_frame``) frames every image on its own."""
    probe = weights if per_frame else weights[[0, -1]]
    full = np.tile([-BORDER_EXTENT, BORDER_EXTENT, -BORDER_EXTENT, BORDER_EXTENT], (len(probe), 1))
    masks = render_counts(probe, full, settings.res_b, settings.bs_point, settings.iter_b, settings.iter_skip, var,
                          rng) > 0
    if (masks.mean(axis=(1, 2)) < MIN_OCCUPANCY / 10).any():
        raise Degenerate("empty border render")
    windows = frame_windows(masks, settings.thres_b, union=not per_frame)
    if ((windows[:, 1] <= windows[:, 0]) | (windows[:, 3] <= windows[:, 2])).any():
        raise Degenerate("zero-size window")
    return windows if per_frame else np.repeat(windows, len(weights), axis=0)


def to_uint8(counts: np.ndarray, per_frame: bool) -> np.ndarray:
    """floor(255 · ln(1+count) / max(1, max ln(1+count))), the max taken per image or over the whole video."""
    density = np.log1p(counts.astype(np.float32))
    axes = (1, 2) if per_frame else None
    scale = np.maximum(1.0, density.max(axis=axes, keepdims=True))
    return np.floor(255 * np.clip(density / scale, 0, 1)).astype(np.uint8)


def lit_level(splats: int, res: int) -> int:
    """Counts a pixel needs to be lit for the occupancy check, for ``splats`` per frame at side ``res``: 1 at the
    default density, more where more splats fall on each pixel (a smaller --res, more points), so the check sees
    what the default density would light.
    Counting every touched pixel instead rejected most mutations of diffuse classes at 64 px, where each pixel
    gets 16x the splats: they lit the whole window."""
    return max(1, round(splats / res ** 2 / REFERENCE_DENSITY))


def check_occupancy(counts: np.ndarray, level: int = 1) -> None:
    occupancy = (counts >= level).mean(axis=(1, 2))
    if occupancy.min() < MIN_OCCUPANCY:
        raise Degenerate(f"near-empty frame ({occupancy.min():.4f} of pixels lit)")
    if occupancy.max() > MAX_OCCUPANCY:
        raise Degenerate(f"near-full frame ({occupancy.max():.3f} of pixels lit)")


def render_fractal(weights: np.ndarray, var: int, settings: Settings, rng: np.random.Generator,
                   per_frame: bool = False, frames: np.ndarray | None = None) -> np.ndarray:
    """Frames [F, res, res] uint8 of one sample (only ``frames``, framed as the whole video, when given);
    raises Degenerate for unusable samples."""
    windows = find_windows(weights, var, settings, rng, per_frame)
    if frames is not None:
        weights, windows = weights[frames], windows[frames]
    counts = render_counts(weights, windows, settings.res, settings.bs_point, settings.iters, settings.iter_skip, var,
                           rng)
    check_occupancy(counts, lit_level(settings.bs_point * (settings.iters - settings.iter_skip), settings.res))
    return to_uint8(counts, per_frame)


class FractalGenerator(Generator):
    """--type fractal: videos (or 16 still images with --img) of one IFS with moving maps."""

    class_keys = VIDEO_KEYS

    def class_params(self, ref) -> dict:
        return load_params(ref)

    def _sample(self, settings: Settings, rng: np.random.Generator) -> dict:
        return (sample_image_params if settings.img else sample_video_params)(rng, list(settings.var))

    def sample_class(self, settings, rng):
        params = self._sample(settings, rng)
        render_fractal(params_weights(params, settings.linear_motion), int(params["var"]), settings, rng,
                       settings.img)
        return params, int(params["var"])

    def draw(self, settings: Settings, rng: np.random.Generator, params: dict | None) -> tuple[np.ndarray, int]:
        """Per-frame maps [F, N, 6] and the variation of one sample: a mutation of class ``params``, or fresh."""
        if params is None:
            params = self._sample(settings, rng)
            return params_weights(params, settings.linear_motion), int(params["var"])
        return mutate(rng, params_weights(params, settings.linear_motion)), int(params["var"])

    def render(self, settings, rng, params, frames: Pick | None = None):
        """A sample of class ``params`` (a mutation) or of fresh parameters; picked frames are framed as the whole
        video."""
        weights, var = self.draw(settings, rng, params)
        if frames is None:
            return Sample(render_fractal(weights, var, settings, rng, settings.img), var)
        needed, inverse = frames_needed(frames, len(weights))
        return Sample(picked(render_fractal(weights, var, settings, rng, frames=needed), inverse), var)

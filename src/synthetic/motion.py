"""Motion timing curves shared by the generators (docs/generators.md)."""
import numpy as np
from scipy.interpolate import make_interp_spline

FAMILY_WEIGHTS = {"sharp": 0.2, "curve": 0.55, "periodic": 0.25}


def quadratic_spline(x: np.ndarray, y: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Interpolating quadratic B-spline through (x, y), evaluated at ``at`` (SciPy's interp1d 'quadratic')."""
    return make_interp_spline(x, y, k=2)(at)


def linear_ramp(n_frames: int) -> np.ndarray:
    return np.linspace(0.0, 1.0, n_frames)


def sharp_curve(rng: np.random.Generator, n_frames: int) -> np.ndarray:
    """Zeros, a short ramp of 4..8 frames, then ones (at least 4 of each)."""
    n_ramp = rng.integers(4, 9)
    n_zero = rng.integers(4, n_frames - n_ramp - 4 + 1)
    return np.concatenate([np.zeros(n_zero), np.linspace(0, 1, n_ramp), np.ones(n_frames - n_zero - n_ramp)])


def smooth_curve(rng: np.random.Generator, n_frames: int) -> np.ndarray:
    """Quadratic spline through 5..9 random values; redrawn (up to 6 draws) until it moves enough."""
    n_knots = rng.integers(5, 10)
    for _ in range(6):
        y = rng.random(n_knots)
        if np.abs(np.diff(y)).mean() > 0.45:
            break
    return quadratic_spline(np.linspace(0, 1, n_knots), y, np.linspace(0, 1, n_frames))


def random_sine(rng: np.random.Generator, period: int, n_periods: int) -> np.ndarray:
    """Sine-like waveform with a randomly varying speed and amplitude (at least period * n_periods samples)."""
    knots = np.arange(2 * n_periods + 2) * np.pi
    speed = rng.uniform(0.15, 1.7, len(knots))
    amp = rng.uniform(0.6, 1.0, len(knots))
    grid = np.arange(0.0, 2 * np.pi * n_periods, 0.01)
    grid = grid[grid < 2 * np.pi * n_periods]
    phase = np.cumsum(0.01 * quadratic_spline(knots, speed, grid))
    wave = (quadratic_spline(knots, amp, grid) * np.sin(phase - np.pi / 2) + 1) / 2
    stride = len(wave) // (period * n_periods)
    return wave[::stride]


def periodic_curve(rng: np.random.Generator, n_frames: int) -> np.ndarray:
    """A small oscillation near the start value: amplitude A = U[1.5, 4) * p / 100 for a period p of 5..15."""
    period = rng.integers(5, 16)
    n_periods = int(np.ceil(n_frames / period))
    amplitude = rng.uniform(1.5, 4.0) * period / 100
    return amplitude * random_sine(rng, period, n_periods)[:n_frames]


FAMILIES = {"sharp": sharp_curve, "curve": smooth_curve, "periodic": periodic_curve}


def _family(rng: np.random.Generator, n_frames: int) -> np.ndarray:
    name = rng.choice(list(FAMILY_WEIGHTS), p=list(FAMILY_WEIGHTS.values()))
    return FAMILIES[name](rng, n_frames)


def sample_timing(rng: np.random.Generator, n_elements: int, n_frames: int | None = None) -> np.ndarray:
    """Timing curves λ[F, N] for N independently moving elements; F ~ U{18..20} if not given."""
    if n_frames is None:
        n_frames = int(rng.integers(18, 21))
    if rng.random() < 0.2:
        return np.repeat(linear_ramp(n_frames)[:, None], n_elements, axis=1)
    if rng.random() < 0.4:
        return np.repeat(_family(rng, n_frames)[:, None], n_elements, axis=1)
    n_families = min(n_elements, int(rng.integers(1, 3)))
    pool = [_family(rng, n_frames) for _ in range(n_families)] + [linear_ramp(n_frames)]
    return np.stack([pool[i] for i in rng.integers(0, len(pool), n_elements)], axis=1)


def multiplicative_curve(rng: np.random.Generator, n_frames: int, strength: float) -> np.ndarray:
    """Smooth random factor around 1: quadratic spline through 4..7 values in U[1-ε, 1+ε)."""
    n_knots = rng.integers(4, 8)
    values = rng.uniform(1 - strength, 1 + strength, n_knots)
    return quadratic_spline(np.linspace(0, 1, n_knots), values, np.linspace(0, 1, n_frames))


def interpolate(start: np.ndarray, end: np.ndarray, timing: np.ndarray) -> np.ndarray:
    """X_t = (1 - λ_t) S + λ_t E with λ[F, N] broadcast over the trailing axes of each element."""
    lam = timing.reshape(timing.shape + (1,) * (start.ndim - 1))
    return (1 - lam) * start + lam * end

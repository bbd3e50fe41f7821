"""Fractal (IFS) parameters: sampling, composition into per-frame affine maps, class files, mutation.

See docs/generators.md. Weights are float32 arrays ``[frames, maps, 6]`` with rows (a, b, c, d, e, f):
x' = a x + b y + c, y' = d x + e y + f.
"""
from pathlib import Path

import numpy as np

from .class_files import ClassFileError, load_class, require
from .motion import interpolate, linear_ramp, multiplicative_curve, sample_timing
from .variations import DEFAULT_NONLINEAR, IDS

IMAGES_PER_SAMPLE = 16
MUTATION_AC = 0.4  # multiplicative strength
MUTATION_DC = 0.2  # additive strength
VIDEO_KEYS = ("var", "interp", "angle", "sigma", "delta", "bias", "is_constant")
IMAGE_KEYS = ("var", "weights")


def sample_variation(rng: np.random.Generator, allowed: list[int]) -> int:
    """[-1]: affine with probability 0.5, else one of the default nonlinear set; otherwise uniform over ``allowed``."""
    if list(allowed) == [-1]:
        return 0 if rng.random() < 0.5 else int(rng.choice(DEFAULT_NONLINEAR))
    return int(rng.choice(allowed))


def sample_sigmas(rng: np.random.Generator, n_maps: int) -> np.ndarray:
    """Singular values [N, 2] with σ1 >= σ2 >= 0, σ1 <= 1 and Σ(σ1 + 2σ2) = α ~ U[(5+N)/2, (6+N)/2).

    Maps are ordered by decreasing σ1·σ2.
    """
    alpha = rng.uniform((5 + n_maps) / 2, (6 + n_maps) / 2)
    lo, hi = alpha - 3 * n_maps + 3, alpha
    sigma = np.zeros((n_maps, 2))
    for i in range(n_maps - 1):
        s1 = rng.uniform(max(0, lo / 3), min(1, hi))
        lo, hi = lo - s1, hi - s1
        s2 = rng.uniform(max(0, lo / 2), min(s1, hi / 2))
        lo, hi = lo - 2 * s2 + 3, hi - 2 * s2
        sigma[i] = s1, s2
    s2 = rng.uniform(max(0, (hi - 1) / 2), hi / 3)
    sigma[-1] = hi - 2 * s2, s2
    return sigma[np.argsort(-sigma.prod(axis=1), kind="stable")]


def _rotation(angle: np.ndarray) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.stack([np.stack([c, -s], -1), np.stack([s, c], -1)], -2)


def _random_flips(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Diagonal sign matrices of the given leading shape, each entry ±1 with probability ½."""
    signs = np.where(rng.random(shape + (2,)) < 0.5, -1.0, 1.0)
    return signs[..., :, None] * np.eye(2)


def compose(theta, phi, sigma, flip1, flip2, bias) -> np.ndarray:
    """A = R(θ)·D1·diag(σ)·R(φ)·D2 and bias b → rows (a, b, c, d, e, f); leading axes broadcast."""
    mat = _rotation(theta) @ flip1 @ (sigma[..., :, None] * np.eye(2)) @ _rotation(phi) @ flip2
    return np.stack([mat[..., 0, 0], mat[..., 0, 1], bias[..., 0],
                     mat[..., 1, 0], mat[..., 1, 1], bias[..., 1]], axis=-1).astype(np.float32)


def sample_video_params(rng: np.random.Generator, allowed_vars: list[int]) -> dict:
    """One video's start/end map configuration and timing, in the class-file layout."""
    var = sample_variation(rng, allowed_vars)
    n_maps = int(rng.integers(3, 9))
    interp = sample_timing(rng, n_maps)
    start = rng.uniform(0, 2 * np.pi, (n_maps, 2))
    angle = np.stack([start, start + rng.uniform(-np.pi, np.pi, (n_maps, 2))])
    sigma = np.stack([sample_sigmas(rng, n_maps), sample_sigmas(rng, n_maps)])
    delta = np.stack([_random_flips(rng, (n_maps,)), _random_flips(rng, (n_maps,))])
    is_constant = bool(rng.random() < 0.2)
    bias = np.repeat(rng.uniform(-1, 1, (1, n_maps, 2)), 2, axis=0) if is_constant else rng.uniform(-1, 1, (2, n_maps, 2))
    return {"var": np.int64(var), "interp": interp.astype(np.float32), "angle": angle.astype(np.float32),
            "sigma": (sigma[..., :, None] * np.eye(2)).astype(np.float32), "delta": delta.astype(np.float32),
            "bias": bias.astype(np.float32), "is_constant": np.bool_(is_constant)}


def video_weights(params: dict, linear_motion: bool = False) -> np.ndarray:
    """Per-frame affine maps W[F, N, 6] from video parameters."""
    timing = params["interp"].astype(np.float64)
    if linear_motion:
        timing = np.repeat(linear_ramp(len(timing))[:, None], timing.shape[1], axis=1)
    angle = interpolate(params["angle"][0], params["angle"][1], timing)
    sigma = interpolate(np.diagonal(params["sigma"][0], axis1=-2, axis2=-1),
                        np.diagonal(params["sigma"][1], axis1=-2, axis2=-1), timing)
    bias = interpolate(params["bias"][0], params["bias"][1], timing)
    return compose(angle[..., 0], angle[..., 1], sigma, params["delta"][0], params["delta"][1], bias)


def sample_image_params(rng: np.random.Generator, allowed_vars: list[int]) -> dict:
    """16 independent still IFSs sharing N and the variation."""
    var = sample_variation(rng, allowed_vars)
    n_maps = int(rng.integers(3, 9))
    shape = (IMAGES_PER_SAMPLE, n_maps)
    theta, phi = rng.uniform(0, 2 * np.pi, shape), rng.uniform(0, 2 * np.pi, shape)
    sigma = np.stack([sample_sigmas(rng, n_maps) for _ in range(IMAGES_PER_SAMPLE)])
    flip1, flip2 = _random_flips(rng, shape), _random_flips(rng, shape)
    bias = rng.uniform(-1, 1, shape + (2,))
    return {"var": np.int64(var), "weights": compose(theta, phi, sigma, flip1, flip2, bias)}


def params_weights(params: dict, linear_motion: bool = False) -> np.ndarray:
    """Weights of either kind of parameter set (image sets store them directly)."""
    if "weights" in params:
        return params["weights"].astype(np.float32)
    return video_weights(params, linear_motion)


def mutate(rng: np.random.Generator, weights: np.ndarray, ac: float = MUTATION_AC,
           dc: float = MUTATION_DC) -> np.ndarray:
    """Per-sample variation of a class: W·m_j(t) with m_j = C(F, ac) per coefficient, then + U[-dc, dc) per map."""
    out = weights.astype(np.float64)
    n_frames, n_maps, n_coef = out.shape
    if ac > 0:
        out *= np.stack([multiplicative_curve(rng, n_frames, ac) for _ in range(n_coef)], axis=1)[:, None, :]
    if dc > 0:
        out += rng.uniform(-dc, dc, (n_maps, n_coef))
    return out.astype(np.float32)


def _shape_problem(params: dict) -> str | None:
    """What makes ``params`` unusable (shapes, dtypes, non-finite values), or None."""
    if "weights" in params:
        w = params["weights"]
        if w.ndim != 3 or w.shape[0] != IMAGES_PER_SAMPLE or w.shape[1] < 1 or w.shape[2] != 6:
            return f"weights has shape {w.shape}, expected [{IMAGES_PER_SAMPLE}, maps, 6]"
        arrays = {"weights": w}
    else:
        interp = params["interp"]
        if interp.ndim != 2 or interp.shape[0] < 2 or interp.shape[1] < 1:
            return f"interp has shape {interp.shape}, expected [frames >= 2, maps]"
        n = interp.shape[1]
        expected = {"angle": (2, n, 2), "sigma": (2, n, 2, 2), "delta": (2, n, 2, 2), "bias": (2, n, 2),
                    "is_constant": ()}
        for key, shape in expected.items():
            if params[key].shape != shape:
                return f"{key} has shape {params[key].shape}, expected {list(shape)} for {n} maps"
        arrays = {k: params[k] for k in ("interp", "angle", "sigma", "delta", "bias")}
    for key, value in arrays.items():
        if value.dtype.kind not in "fiu":
            return f"{key} holds {value.dtype} values, expected numbers"
        if not np.isfinite(value).all():
            return f"{key} holds NaN or infinite values"
    return None


def load_params(path: Path) -> dict:
    """Load a fractal class file (video or image kind), checked for shapes, finite values and a known variation;
    raises ClassFileError naming the file."""
    params = load_class(path, ("var",))
    require(path, params, IMAGE_KEYS if "weights" in params else VIDEO_KEYS)
    var = params["var"]
    if var.shape != () or var.dtype.kind not in "iu" or int(var) not in IDS:
        raise ClassFileError(f"class file {path}: var {var.tolist()!r} is not a known variation id "
                             f"{list(IDS)}; regenerate it with --gen_param")
    problem = _shape_problem(params)
    if problem:
        raise ClassFileError(f"class file {path}: {problem}; regenerate it with --gen_param")
    maps = [np.asarray(v) for k, v in params.items() if k in ("sigma", "bias", "weights")]
    if not any(np.any(m) for m in maps):  # its videos would be the mutation noise alone
        raise ClassFileError(f"class file {path} holds all-zero maps, so it draws no fractal of its own; regenerate "
                             "it with --gen_param")
    params["var"] = int(var)
    return params


def check_kind(path: Path, params: dict, img: bool) -> None:
    """Raise ClassFileError unless the class file is of the kind the run makes (images with --img, else videos)."""
    if img != ("weights" in params):
        made, wanted = ("--img", "videos") if "weights" in params else ("videos", "--img")
        raise ClassFileError(f"class file {path} was made for {made}, not {wanted}; sample classes with the same "
                             "mode (--gen_param with or without --img)")

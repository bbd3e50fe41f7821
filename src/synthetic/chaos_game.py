"""The chaos game: render IFS attractors from per-frame affine coefficients into count images.

``render_counts`` is the one renderer used by the CLI and by anything that renders fractals on the fly.
Every frame is drawn with the same random stream (initial points and map-choice uniforms), so consecutive frames
of a video stay coherent and the random numbers are drawn once per video rather than once per frame.
"""
import numpy as np

from .jit import announce_compiles, kernel
from .variations import USES_COEFFICIENTS, USES_RANDOM, apply_variation

MAX_MAPS = 8
COMPILE_S = 20  # a cold compile of both kernels on the 2-core machine (README, Quickstart)


def selection_thresholds(weights: np.ndarray) -> np.ndarray:
    """Cumulative map probabilities p_i ∝ |det A_i| per frame, padded to ``MAX_MAPS - 1`` thresholds.

    A point picks map k = #{j : u >= threshold_j} for u ~ U[0, 1); padding with 2 makes padded maps unreachable.
    Frames whose determinants are all zero choose maps uniformly.
    """
    n_frames, n_maps, _ = weights.shape
    det = np.abs(weights[..., 0].astype(np.float64) * weights[..., 4] - weights[..., 1] * weights[..., 3])
    total = det.sum(axis=1, keepdims=True)
    prob = np.where(total > 0, det / np.where(total > 0, total, 1), 1.0 / n_maps)
    cuts = np.full((n_frames, MAX_MAPS - 1), 2.0, np.float32)
    cuts[:, : n_maps - 1] = np.cumsum(prob, axis=1)[:, :-1]
    return cuts


def pixel_transform(windows: np.ndarray, res: int) -> np.ndarray:
    """Per-frame (s_h, o_h, s_w, o_w) mapping real coordinates in [h1,h2]x[w1,w2] to pixels 0..res-1."""
    h1, h2, w1, w2 = np.asarray(windows, np.float64).T
    s_h = (res - 1) / (h2 - h1)
    s_w = (res - 1) / (w2 - w1)
    return np.stack([s_h, -h1 * s_h, s_w, -w1 * s_w], axis=1).astype(np.float32)


@kernel(inline="always")
def _pick(u, cuts, values):
    out = values[0]
    for j in range(MAX_MAPS - 1):
        out = values[j + 1] if u >= cuts[j] else out
    return out


@kernel(inline="always")
def _row8(a):
    return (a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7])


@kernel
def _chaos_game(coef, cuts, scale, x0, y0, uniforms, var_uniforms, n_skip, v, keep_coefs, hist):
    """Fill ``hist[F, R*R + 1]`` with the centre pixel of every drawn point (the 3x3 splat is a later box filter);
    the last slot of each frame takes the points outside the window.

    coef: [F, 6, MAX_MAPS] float32; cuts: [F, MAX_MAPS-1]; scale: [F, 4]; uniforms: [I, P];
    var_uniforms: [I, 2, P] (or [1, 2, P] when the variation draws no random numbers).
    """
    n_frames = coef.shape[0]
    n_iter, n_points = uniforms.shape
    res = int(np.sqrt(hist.shape[1] - 1))
    outside = res * res
    side = np.float32(res)
    xs = np.empty(n_points, np.float32)
    ys = np.empty(n_points, np.float32)
    bs = np.zeros(n_points, np.float32)
    cs = np.zeros(n_points, np.float32)
    es = np.zeros(n_points, np.float32)
    fs = np.zeros(n_points, np.float32)
    cells = np.empty(n_points, np.int32)
    n_var_uniforms = var_uniforms.shape[0]
    for t in range(n_frames):
        t_cuts = (cuts[t, 0], cuts[t, 1], cuts[t, 2], cuts[t, 3], cuts[t, 4], cuts[t, 5], cuts[t, 6])
        ca, cb, cc = _row8(coef[t, 0]), _row8(coef[t, 1]), _row8(coef[t, 2])
        cd, ce, cf = _row8(coef[t, 3]), _row8(coef[t, 4]), _row8(coef[t, 5])
        s_h, o_h, s_w, o_w = scale[t, 0], scale[t, 1], scale[t, 2], scale[t, 3]
        frame = hist[t]
        xs[:] = x0
        ys[:] = y0
        for it in range(n_iter):
            u = uniforms[it]
            if keep_coefs:
                for p in range(n_points):
                    bs[p] = _pick(u[p], t_cuts, cb)
                    cs[p] = _pick(u[p], t_cuts, cc)
                    es[p] = _pick(u[p], t_cuts, ce)
                    fs[p] = _pick(u[p], t_cuts, cf)
            for p in range(n_points):
                up = u[p]
                x = xs[p]
                y = ys[p]
                xs[p] = _pick(up, t_cuts, ca) * x + _pick(up, t_cuts, cb) * y + _pick(up, t_cuts, cc)
                ys[p] = _pick(up, t_cuts, cd) * x + _pick(up, t_cuts, ce) * y + _pick(up, t_cuts, cf)
            if v != 0:
                vu = var_uniforms[it % n_var_uniforms]
                apply_variation(v, xs, ys, bs, cs, es, fs, vu[0], vu[1])
            if it >= n_skip:
                # pixel indices in a branch-free (vectorised) loop, a point outside (or NaN) to the spare slot,
                # then the increments alone: 25 % faster than testing each point before its increment
                for p in range(n_points):
                    row = xs[p] * s_h + o_h
                    col = ys[p] * s_w + o_w
                    inside = (row >= 0) & (row < side) & (col >= 0) & (col < side)
                    cells[p] = np.int32(row if inside else 0) * res + np.int32(col if inside else 0) \
                        if inside else outside
                for p in range(n_points):
                    frame[cells[p]] += 1


@kernel
def _box3(hist, res):
    """3x3 sum (zero padding) of each frame's first res*res slots: every point adds 1 to its 3x3 neighbourhood
    inside the canvas."""
    n_frames = hist.shape[0]
    out = np.empty((n_frames, res, res), np.uint32)
    rows = np.empty((res, res), np.uint32)
    for t in range(n_frames):
        img = hist[t, :res * res].reshape(res, res)
        for i in range(res):
            for j in range(res):
                s = img[i, j]
                if j > 0:
                    s += img[i, j - 1]
                if j < res - 1:
                    s += img[i, j + 1]
                rows[i, j] = s
        for i in range(res):
            for j in range(res):
                s = rows[i, j]
                if i > 0:
                    s += rows[i - 1, j]
                if i < res - 1:
                    s += rows[i + 1, j]
                out[t, i, j] = s
    return out


def render_counts(weights: np.ndarray, windows: np.ndarray, res: int, n_points: int, n_iter: int,
                  n_skip: int, variation: int, rng: np.random.Generator) -> np.ndarray:
    """Run the chaos game for every frame of ``weights`` and return splat counts ``[F, res, res]`` (uint32).

    weights: [F, N, 6] rows (a, b, c, d, e, f) meaning x' = a x + b y + c, y' = d x + e y + f (N <= 8).
    windows: [F, 4] real-coordinate windows (h1, h2, w1, w2); x maps to rows, y to columns.
    Each frame receives ``n_points * (n_iter - n_skip)`` splats; each splat adds 1 to the 3x3 neighbourhood of
    its pixel. Points outside the window or non-finite are not drawn.
    """
    weights = np.asarray(weights, np.float32)
    n_frames, n_maps, _ = weights.shape
    if not 1 <= n_maps <= MAX_MAPS:
        raise ValueError(f"the chaos game supports 1 to {MAX_MAPS} maps, got {n_maps}")
    coef = np.zeros((n_frames, 6, MAX_MAPS), np.float32)
    coef[:, :, :n_maps] = weights.transpose(0, 2, 1)
    start = rng.random((2, n_points), dtype=np.float32) * 2 - 1
    uniforms = rng.random((n_iter, n_points), dtype=np.float32)
    var_uniforms = rng.random((n_iter if variation in USES_RANDOM else 1, 2, n_points), dtype=np.float32)
    hist = np.zeros((n_frames, res * res + 1), np.uint32)
    _chaos_game(coef, selection_thresholds(weights), pixel_transform(windows, res), start[0], start[1],
                uniforms, var_uniforms, n_skip, int(variation), variation in USES_COEFFICIENTS, hist)
    return _box3(hist, res)


def compile_kernels() -> None:
    """Compile the kernels in this process, or load them from numba's on-disk cache, before worker processes
    start: forked workers then inherit them (spawned ones load the cache) instead of each compiling its own copy.
    A compile (the first run after installing or changing the code) takes a while, so it is announced; a cache
    load, however slow, is not."""
    with announce_compiles(f"compiling the chaos-game kernels once (about {COMPILE_S} s); they are cached for "
                           "later runs"):
        tiny = np.tile(np.array([[0.5, 0, 0, 0, 0.5, 0]], np.float32), (1, 2, 1))
        render_counts(tiny, np.array([[-1.0, 1.0, -1.0, 1.0]]), 16, 4, 3, 1, 0, np.random.default_rng(0))

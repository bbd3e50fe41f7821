"""The chaos-game kernel against the numba renderer: the same variations, statistically the same images for every
variation id; each clip a function of its seed alone; and a kernel that compiles for the GPU it is meant for."""
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
import triton
import triton.language as tl

from generate_helpers import ROOT
from src.synthetic.batch_render import Budget, box3, render_clips
from src.synthetic.chaos_game import MAX_MAPS, pixel_transform, render_counts, selection_thresholds
from src.synthetic.fractal import check_occupancy, find_windows, to_uint8
from src.synthetic.fractal_params import params_weights, sample_video_params
from src.synthetic.generator import Degenerate, Settings
from src.synthetic.variations import IDS, VARIATIONS, apply_variation as numba_variation
from src.synthetic.variations_triton import IDS as KERNEL_IDS, apply_variation

RES = 32
POINTS, ITERS, SKIP = 512, 25, 10  # 7,680 splats per frame (half the file generator's density at 32 px)
NUMBA = Settings(res=RES, bs_point=128, iters=200 + POINTS * (ITERS - SKIP) // 128)  # the same splats per frame


@triton.jit
def _apply(v, x_ptr, y_ptr, b_ptr, c_ptr, e_ptr, f_ptr, u1_ptr, u2_ptr, n, BLOCK: tl.constexpr):
    i = tl.arange(0, BLOCK)
    live = i < n
    args = [tl.load(p + i, mask=live) for p in (x_ptr, y_ptr, b_ptr, c_ptr, e_ptr, f_ptr, u1_ptr, u2_ptr)]
    x, y = apply_variation(v, args[0], args[1], args[2], args[3], args[4], args[5], args[6], args[7])
    tl.store(x_ptr + i, x, mask=live)
    tl.store(y_ptr + i, y, mask=live)


def test_both_renderers_have_the_same_variations():
    assert KERNEL_IDS == IDS and tuple(sorted(VARIATIONS)) == IDS


@pytest.mark.parametrize("v", IDS)
def test_each_variation_matches_the_numba_one_point_by_point(v):
    rng = np.random.default_rng(v)
    x, y = (rng.uniform(-1.5, 1.5, 512).astype(np.float32) for _ in range(2))
    b, c, e, f = (rng.uniform(0.3, 1.0, 512).astype(np.float32) for _ in range(4))
    u1, u2 = (rng.random(512, dtype=np.float32) for _ in range(2))
    xs, ys = x.copy(), y.copy()
    numba_variation(v, xs, ys, b, c, e, f, u1, u2)
    tensors = [torch.from_numpy(a.copy()) for a in (x, y, b, c, e, f, u1, u2)]
    _apply[(1,)](v, *tensors, 512, BLOCK=512)
    for ref, got in ((xs, tensors[0].numpy()), (ys, tensors[1].numpy())):
        ok = np.isfinite(ref) & (np.abs(ref) < 1e3)  # away from the poles of tan and 1/r
        close = np.isclose(got[ok], ref[ok], rtol=1e-4, atol=1e-4)
        assert ok.mean() > 0.9 and close.mean() > 0.98  # sin(tan(·)) near tan's poles amplifies rounding


def _inputs(weights: np.ndarray, windows: np.ndarray, frames) -> dict:
    coef = np.zeros((len(frames), MAX_MAPS, 6), np.float32)
    coef[:, : weights.shape[1]] = weights[frames]
    return {"coef": coef, "cuts": selection_thresholds(weights[frames]), "scale": pixel_transform(windows[frames], RES)}


def _kernel(draws: list[dict], variations, seeds) -> tuple[torch.Tensor, torch.Tensor]:
    stack = lambda k: torch.from_numpy(np.stack([d[k] for d in draws]))  # noqa: E731
    return render_clips(stack("coef"), stack("cuts"), stack("scale"), torch.tensor(variations), torch.tensor(seeds),
                        RES, Budget(POINTS, ITERS, SKIP))


def _pairs(cases: list[tuple[int, int]]):
    """Per (variation, seed): a framed parameter set drawn by both renderers, first and last frame, as log
    densities (numba, kernel), and whether the kernel's clip came out valid."""
    draws, numba, variations = [], [], []
    for v, seed in cases:
        rng = np.random.default_rng(seed)
        for trial in range(50):
            weights = params_weights(sample_video_params(rng, [v]))
            try:
                windows = find_windows(weights, v, NUMBA, np.random.default_rng(trial), per_frame=False)
                counts = render_counts(weights[[0, -1]], windows[[0, -1]], RES, NUMBA.bs_point, NUMBA.iters,
                                       NUMBA.iter_skip, v, np.random.default_rng(trial))
                check_occupancy(counts)
            except Degenerate:
                continue
            numba.append(np.log1p(to_uint8(counts, per_frame=False).astype(np.float32)))
            draws.append(_inputs(weights, windows, [0, len(weights) - 1]))
            variations.append(v)
            break
        else:
            raise AssertionError(f"no usable sample of variation {v}")
    frames, valid = _kernel(draws, variations, list(range(len(draws))))
    return [(a, np.log1p(b.numpy().astype(np.float32)), bool(ok)) for a, b, ok in zip(numba, frames, valid)]


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Mean over frames of the Pearson correlation of two log-density images."""
    return float(np.nanmean([np.corrcoef(p.ravel(), q.ravel())[0, 1] for p, q in zip(a, b)]))


@pytest.mark.slow
def test_both_renderers_draw_the_same_fractal_for_every_variation():
    """Same parameters and window, independent random streams: for every variation the log densities correlate
    at ≥ 0.6 (two different fractals: about 0.4, see the control below) and the share of lit pixels differs by
    ≤ 0.1; the kernel accepts what the numba renderer accepts, for all but one variation at most."""
    pairs = _pairs([(v, 100 * v) for v in IDS])
    correlations = {v: _correlation(a, b) for v, (a, b, _) in zip(IDS, pairs)}
    assert min(correlations.values()) >= 0.6, correlations
    assert all(abs((a > 0).mean() - (b > 0).mean()) <= 0.1 for a, b, _ in pairs)
    assert sum(ok for _, _, ok in pairs) >= len(IDS) - 1


def test_the_measure_tells_two_fractals_apart():
    """The control for the threshold above: over 5 affine parameter sets, the two renderers of the same set
    correlate far more than two different sets framed alike."""
    same = _pairs([(0, s) for s in range(1, 6)])
    other = _pairs([(0, s + 10) for s in range(1, 6)])
    assert np.mean([_correlation(a, b) for a, b, _ in same]) > 0.8
    assert np.mean([_correlation(a, c) for (a, _, _), (c, _, _) in zip(same, other)]) < 0.55


def test_a_clip_is_a_function_of_its_seed_alone():
    """Bit-identical run to run, alone or among other clips in any order; another seed draws another clip."""
    rng = np.random.default_rng(3)
    draws, variations = [], []
    for v in (0, 4, 16):
        weights = params_weights(sample_video_params(rng, [v]))
        windows = np.tile([-1.5, 1.5, -1.5, 1.5], (len(weights), 1))
        draws.append(_inputs(weights, windows, [0, 1, 2]))
        variations.append(v)
    batch, _ = _kernel(draws, variations, [11, 12, 13])
    again, _ = _kernel(draws, variations, [11, 12, 13])
    alone, _ = _kernel(draws[1:2], variations[1:2], [12])
    reordered, _ = _kernel(draws[::-1], variations[::-1], [13, 12, 11])
    other, _ = _kernel(draws[1:2], variations[1:2], [99])
    assert batch.shape == (3, 3, RES, RES) and batch.dtype == torch.uint8
    assert torch.equal(batch, again) and torch.equal(batch[1], alone[0]) and torch.equal(batch, reordered.flip(0))
    assert not torch.equal(alone, other)


def test_the_splat_is_an_exact_integer_box_filter():
    counts = torch.zeros(1, 1, 5, 5, dtype=torch.int32)
    counts[0, 0, 0, 0], counts[0, 0, 2, 2] = 1, 7
    out = box3(counts)[0, 0]
    assert out.dtype == torch.int32 and out[1, 1] == 8 and out[0, 0] == 1 and out[4, 4] == 0 and out.sum() == 4 + 63


COMPILE = """
import triton
from triton.backends.compiler import GPUTarget
from triton.compiler import ASTSource
from src.synthetic.chaos_kernel import _chaos_game
signature = {"coef_ptr": "*fp32", "cuts_ptr": "*fp32", "scale_ptr": "*fp32", "var_ptr": "*i32", "seed_ptr": "*i64",
             "counts_ptr": "*i32", "n_frames": "i32", "res": "i32", "points": "i32", "iters": "i32", "skip": "i32",
             "FRAMES": "constexpr", "WALKERS": "constexpr"}
compiled = triton.compile(ASTSource(fn=_chaos_game, signature=signature, constexprs={"FRAMES": 8, "WALKERS": 64}),
                          target=GPUTarget("cuda", 90, 32))
print(len(compiled.asm["cubin"]), "atom.global" in compiled.asm["ptx"])
"""


@pytest.mark.slow
def test_the_kernel_compiles_for_the_gpus_it_is_meant_for():
    """What the interpreter does not check (globals, types, the branches over variations): Triton compiles the
    kernel to a cubin for Hopper (H100/H200, sm_90), here without a GPU (in a process of its own: this one runs
    Triton's interpreter)."""
    env = {**os.environ, "TRITON_INTERPRET": "0"}
    done = subprocess.run([sys.executable, "-c", COMPILE], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    size, atomics = done.stdout.split()
    assert int(size) > 0 and atomics == "True"

"""The batched torch renderer against the numba one: same variations, same framing, statistically the same images
for every variation id, reproducible from its generator's seed."""
import numpy as np
import pytest
import torch

from src.synthetic.chaos_torch import Budget, default_splats, keep_boxes, pad_maps, render_clips
from src.synthetic.fractal import render_fractal
from src.synthetic.fractal_params import params_weights, sample_video_params
from src.synthetic.framing import keep_box
from src.synthetic.generator import Degenerate, Settings
from src.synthetic.variations import IDS, apply_variation
from src.synthetic.variations_torch import VARIATIONS

RES = 64
SPLATS = default_splats(RES)
NUMBA = Settings(res=RES, bs_point=128, iters=200 + SPLATS // 128)  # the same splats per frame
TORCH = Budget.for_splats(SPLATS)


def test_both_backends_have_the_same_variations():
    assert tuple(sorted(VARIATIONS)) == IDS


@pytest.mark.parametrize("v", IDS)
def test_each_variation_matches_the_numba_one_point_by_point(v):
    rng = np.random.default_rng(v)
    x, y = (rng.uniform(-1.5, 1.5, 512).astype(np.float32) for _ in range(2))
    b, c, e, f = (rng.uniform(0.3, 1.0, 512).astype(np.float32) for _ in range(4))
    u1, u2 = (rng.random(512, dtype=np.float32) for _ in range(2))
    xs, ys = x.copy(), y.copy()
    apply_variation(v, xs, ys, b, c, e, f, u1, u2)
    tx, ty = VARIATIONS[v](*map(torch.from_numpy, (x, y, b, c, e, f, u1, u2)))
    for ref, got in ((xs, tx.numpy()), (ys, ty.numpy())):
        ok = np.isfinite(ref) & (np.abs(ref) < 1e3)  # away from the poles of tan and 1/r
        close = np.isclose(got[ok], ref[ok], rtol=1e-4, atol=1e-4)
        assert ok.mean() > 0.9 and close.mean() > 0.98  # sin(tan(·)) near tan's poles amplifies rounding


def test_the_batched_peel_finds_the_numba_path_boxes():
    rng = np.random.default_rng(0)
    masks = np.stack([rng.random((32, 32)) < p for p in (0.01, 0.05, 0.3, 0.9)] +
                     [np.pad(rng.random((10, 14)) < 0.5, ((5, 17), (12, 6)))])
    for keep in (0.9, 0.5, 1.0):
        assert keep_boxes(torch.from_numpy(masks), keep).tolist() == [list(keep_box(m, keep)) for m in masks]


def _pair(v: int, seed: int):
    """A non-degenerate parameter set of variation ``v`` rendered by both backends (log densities)."""
    rng = np.random.default_rng(seed)
    for trial in range(50):
        weights = params_weights(sample_video_params(rng, [v]))
        try:
            ref = render_fractal(weights, v, NUMBA, np.random.default_rng(trial))
        except Degenerate:
            continue
        t = pad_maps(torch.from_numpy(weights))[None]
        out, valid = render_clips(t, t[:, [0, -1]], torch.tensor([weights.shape[1]]), [v], RES, TORCH,
                                  torch.Generator().manual_seed(trial))
        return np.log1p(ref.astype(np.float32)), np.log1p(out[0].numpy().astype(np.float32)), bool(valid)
    raise AssertionError(f"no usable sample of variation {v}")


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Mean over frames of the Pearson correlation of two log-density images."""
    return float(np.nanmean([np.corrcoef(p.ravel(), q.ravel())[0, 1] for p, q in zip(a, b)]))


@pytest.mark.slow
@pytest.mark.parametrize("v", IDS)
def test_both_renderers_draw_the_same_fractal(v):
    """Same parameters, independent random streams: per variation, over 3 parameter sets, the log densities
    correlate at ≥ 0.6 on average (measured 0.6-1.0; two different fractals: 0.3-0.5, see the control below) and the share of lit
    pixels differs by ≤ 0.1 (measured ≤ 0.07). The torch renderer accepts what the numba one accepts."""
    pairs = [_pair(v, 100 * v + s) for s in range(3)]
    assert np.mean([_correlation(a, b) for a, b, _ in pairs]) >= 0.6
    assert np.mean([abs((a > 0).mean() - (b > 0).mean()) for a, b, _ in pairs]) <= 0.1
    assert sum(ok for _, _, ok in pairs) >= 2


def test_the_measure_tells_two_fractals_apart():
    """The control for the threshold above: over 5 affine parameter sets, the two renderers of the same set
    correlate far more (measured 0.93 on average) than two different sets framed alike (0.41)."""
    same, different = [], []
    for s in range(1, 6):
        (a, b, _), (c, _, _) = _pair(0, s), _pair(0, s + 10)
        n = min(len(a), len(c))
        same.append(_correlation(a, b))
        different.append(_correlation(a[:n], c[:n]))
    assert np.mean(different) < 0.55 and np.mean(same) > np.mean(different) + 0.3


def test_a_batch_is_a_function_of_its_generator_seed():
    rng = np.random.default_rng(3)
    weights = [params_weights(sample_video_params(rng, [-1])) for _ in range(3)]
    n = torch.tensor([w.shape[1] for w in weights])
    frames = torch.stack([pad_maps(torch.from_numpy(w[:8])) for w in weights])
    probes = torch.stack([pad_maps(torch.from_numpy(w[[0, -1]])) for w in weights])
    variations = [int(v) for v in rng.choice([0, 4, 16], 3)]
    small = Budget(points=256, iters=60, border_points=256, border_iters=100)
    run = lambda seed: render_clips(frames, probes, n, variations, 32, small, torch.Generator().manual_seed(seed))  # noqa: E731
    (a, va), (b, vb), (c, _) = run(1), run(1), run(2)
    assert a.shape == (3, 8, 32, 32) and a.dtype == torch.uint8 and va.shape == (3,)
    assert torch.equal(a, b) and torch.equal(va, vb) and not torch.equal(a, c)

"""The renderer on known IFSs, framing, and post-processing (docs/generators.md)."""
import numpy as np
import pytest

from src.synthetic.chaos_game import render_counts, selection_thresholds
from src.synthetic.fractal import find_windows, render_fractal, to_uint8
from src.synthetic.generator import Settings
from src.synthetic.framing import keep_box

# Sierpinski triangle with corners (0,0), (1,0), (0,1) in (x=row, y=col) coordinates
SIERPINSKI = np.array([[0.5, 0, 0, 0, 0.5, 0], [0.5, 0, 0.5, 0, 0.5, 0], [0.5, 0, 0, 0, 0.5, 0.5]], np.float32)
RES = 64


def render_sierpinski(n_frames=1, seed=0, **kw):
    kw.setdefault("res", RES)
    weights = np.repeat(SIERPINSKI[None], n_frames, axis=0)
    windows = np.tile([0.0, 1.0, 0.0, 1.0], (n_frames, 1))
    args = dict(n_points=64, n_iter=400, n_skip=20, variation=0) | kw
    return render_counts(weights, windows, rng=np.random.default_rng(seed), **args)


def test_each_frame_gets_points_times_drawn_iterations_splats():
    counts = render_sierpinski(n_frames=2)
    assert counts.dtype == np.uint32 and counts.shape == (2, RES, RES)
    # every drawn point adds 1 to each cell of its 3x3 neighbourhood inside the canvas
    interior = 64 * (400 - 20) * 9
    assert 0.9 * interior <= counts[0].sum() <= interior


def test_sierpinski_mass_lies_inside_the_triangle():
    counts = render_sierpinski(n_iter=2000).astype(np.float64)[0]
    rows, cols = np.indices(counts.shape)
    outside = (rows + cols) > (RES - 1) + 2  # beyond the hypotenuse, allowing the 3x3 splat
    assert counts[outside].sum() == 0
    assert counts[(rows < RES // 2) & (cols < RES // 2)].sum() > 0


def test_sierpinski_corners_are_self_similar():
    # at 65 px the half-size copies are shifted by exactly 32 px; compare them away from the seams
    counts = render_sierpinski(res=65, n_iter=4000).astype(np.float64)[0]
    corners = [counts[:30, :30], counts[32:62, :30], counts[:30, 32:62]]
    masses = np.array([c.sum() for c in corners])
    np.testing.assert_allclose(masses / masses.mean(), 1, atol=0.05)  # each map has probability 1/3
    assert np.corrcoef(corners[0].ravel(), corners[1].ravel())[0, 1] > 0.9
    assert counts[34:, 34:].sum() == 0  # the fourth quadrant is empty


def test_map_choice_follows_absolute_determinants():
    weights = np.zeros((1, 3, 6), np.float32)
    weights[0, :, 0] = [1, 2, 1]
    weights[0, :, 4] = [1, 1, -1]
    cuts = selection_thresholds(weights)
    np.testing.assert_allclose(cuts[0, :2], [0.25, 0.75])
    assert (cuts[0, 2:] > 1).all()
    assert (selection_thresholds(np.zeros((1, 3, 6), np.float32))[0, :2] == np.float32([1 / 3, 2 / 3])).all()


def test_frames_share_the_random_stream():
    counts = render_sierpinski(n_frames=3)
    assert (counts[0] == counts[1]).all() and (counts[1] == counts[2]).all()


def test_same_seed_same_counts():
    assert (render_sierpinski(seed=4) == render_sierpinski(seed=4)).all()
    assert (render_sierpinski(seed=4) != render_sierpinski(seed=5)).any()


def test_non_finite_points_are_never_drawn():
    weights = np.array([[[np.nan, 0, 0, 0, 1, 0]]], np.float32)  # every point becomes NaN at the first step
    counts = render_counts(weights, np.array([[-1, 1, -1, 1]]), RES, 16, 50, 5, 0, np.random.default_rng(0))
    assert counts.sum() == 0


def test_keep_box_keeps_the_requested_fraction():
    rng = np.random.default_rng(0)
    mask = np.zeros((128, 128), bool)
    mask[30:90, 40:100] = rng.random((60, 60)) < 0.5
    mask[5, 5] = mask[120, 120] = True  # outliers get peeled off
    for keep in (0.5, 0.9, 0.99):
        top, bottom, left, right = keep_box(mask, keep)
        inside = mask[top:bottom + 1, left:right + 1].sum()
        target = np.floor(keep * mask.sum())  # peel while more than τ pixels remain
        assert target - 128 < inside <= target
    assert keep_box(np.zeros((8, 8), bool), 0.9) == (0, 7, 0, 7)


def test_framing_keeps_the_requested_fraction_of_mass():
    cfg = Settings(res=64, bs_point=64, iters=600, iter_b=600, iter_skip=20, thres_b=0.9, res_b=128)
    weights = np.repeat(SIERPINSKI[None], 2, axis=0)
    windows = find_windows(weights, 0, cfg, np.random.default_rng(0), per_frame=False)
    wide = np.tile([-6.0, 6.0, -6.0, 6.0], (1, 1))
    rng = np.random.default_rng(1)
    big = render_counts(weights[:1], wide, 512, 64, 600, 20, 0, rng)[0] > 0
    h1, h2, w1, w2 = windows[0]
    rows = -6 + 12 * (np.arange(512) / 511)
    inside = big[(rows >= h1) & (rows <= h2)][:, (rows >= w1) & (rows <= w2)].sum()
    assert inside >= 0.9 * big.sum()


def test_uint8_frames_use_one_global_scale_per_video():
    counts = np.zeros((2, 4, 4), np.uint32)
    counts[0, 0, 0], counts[1, 0, 0] = 100, 10
    frames = to_uint8(counts, per_frame=False)
    assert frames[0, 0, 0] == 255 and frames[1, 0, 0] == int(255 * np.log1p(10) / np.log1p(100))
    assert (to_uint8(counts, per_frame=True)[:, 0, 0] == 255).all()


def test_render_fractal_gives_uint8_frames():
    cfg = Settings(res=64, bs_point=64, iters=500, iter_b=400, iter_skip=20)
    weights = np.repeat(SIERPINSKI[None], 3, axis=0)
    frames = render_fractal(weights, 0, cfg, np.random.default_rng(0))
    assert frames.shape == (3, 64, 64) and frames.dtype == np.uint8 and frames.max() == 255


def test_occupancy_is_judged_at_the_default_density_whatever_the_size():
    """At 64 px every pixel gets 16x the splats of 256 px, so a diffuse attractor touches every pixel; it is
    near-full only if it would light more than 90 % of the canvas at the default density."""
    from src.synthetic.fractal import check_occupancy, lit_level
    from src.synthetic.generator import Degenerate, Settings
    splats = 128 * (7500 - 200)
    assert lit_level(splats, 256) == 1 and lit_level(splats, 64) == 16 and lit_level(splats // 16, 64) == 1
    diffuse = np.full((2, 64, 64), 3, np.uint32)  # faint everywhere
    diffuse[:, :20] = 500  # bright in a third of the canvas
    check_occupancy(diffuse, lit_level(splats, 64))
    with pytest.raises(Degenerate, match="near-full"):
        check_occupancy(diffuse, lit_level(splats, 256))
    with pytest.raises(Degenerate, match="near-full"):
        check_occupancy(np.full((2, 64, 64), 500, np.uint32), lit_level(splats, 64))
    assert Settings().res == 256 and Settings().bs_point * (Settings().iters - Settings().iter_skip) == splats


ONE_KERNEL = """
from src.synthetic.jit import announce_compiles, kernel

@kernel
def twice(x):
    return 2 * x

with announce_compiles("compiling once"):
    print(twice(21))
"""


def test_a_compile_is_announced_and_a_cache_load_is_not(tmp_path):
    """The notice says a compile is on its way, not that the start-up was slow: the second process finds the
    kernel in numba's on-disk cache and prints only its result."""
    import os
    import subprocess
    import sys
    from generate_helpers import ROOT
    (tmp_path / "one_kernel.py").write_text(ONE_KERNEL)
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(ROOT)}
    said = [subprocess.run([sys.executable, str(tmp_path / "one_kernel.py")], env=env, capture_output=True,
                           text=True, check=True).stdout for _ in range(2)]
    assert said == ["compiling once\n42\n", "42\n"]

"""Timing curves (docs/generators.md)."""
import numpy as np
import pytest

from src.synthetic.motion import (interpolate, linear_ramp, multiplicative_curve, periodic_curve, sample_timing,
                                  sharp_curve, smooth_curve)


@pytest.mark.parametrize("n_frames", [18, 19, 20])
def test_sharp_curve_holds_zero_then_ramps_then_holds_one(n_frames):
    rng = np.random.default_rng(n_frames)
    for _ in range(50):
        c = sharp_curve(rng, n_frames)
        assert len(c) == n_frames
        assert (c[:4] == 0).all() and (c[-4:] == 1).all()  # spec: ≥ 4 frames at each end
        assert (np.diff(c) >= 0).all()


def test_smooth_curve_stays_near_unit_range():
    rng = np.random.default_rng(0)
    curves = np.stack([smooth_curve(rng, 20) for _ in range(300)])
    assert curves.shape == (300, 20)
    assert curves.min() > -0.5 and curves.max() < 1.5  # spec: observed ≈ −0.15…1.15


def test_periodic_curve_is_a_small_oscillation():
    rng = np.random.default_rng(0)
    for _ in range(100):
        c = periodic_curve(rng, 19)
        assert len(c) == 19
        assert c.min() >= 0 and c.max() <= 0.6  # spec: values in [0, A] ⊂ [0, 0.6]


def test_linear_ramp():
    np.testing.assert_allclose(linear_ramp(5), [0, 0.25, 0.5, 0.75, 1])


def test_timing_shape_and_frame_count():
    rng = np.random.default_rng(1)
    frames = set()
    for _ in range(200):
        lam = sample_timing(rng, 5)
        frames.add(lam.shape[0])
        assert lam.shape[1] == 5
    assert frames == {18, 19, 20}
    assert sample_timing(rng, 3, n_frames=20).shape == (20, 3)


def test_all_linear_timing_one_fifth_of_the_time():
    rng = np.random.default_rng(2)
    linear = [np.allclose(l, linear_ramp(len(l))[:, None]) for l in (sample_timing(rng, 4) for _ in range(2000))]
    assert 0.17 < np.mean(linear) < 0.24  # probability 0.2 (other branches are rarely exactly linear)


def test_multiplicative_curve_range():
    c = multiplicative_curve(np.random.default_rng(0), 20, 0.4)
    assert len(c) == 20 and 0.4 < c.min() and c.max() < 1.6


def test_interpolation_broadcasts_over_trailing_axes():
    start, end = np.zeros((3, 2)), np.ones((3, 2))
    lam = np.tile(np.linspace(0, 1, 4)[:, None], (1, 3))
    out = interpolate(start, end, lam)
    assert out.shape == (4, 3, 2)
    np.testing.assert_allclose(out[:, 0, 1], [0, 1 / 3, 2 / 3, 1])

"""Fractal parameter sampling and composition (docs/generators.md)."""
import numpy as np
import pytest

from src.synthetic.class_files import ClassFileError, save_class
from src.synthetic.fractal_params import (compose, load_params, mutate, sample_image_params,
                                          sample_sigmas, sample_variation, sample_video_params,
                                          video_weights)
from src.synthetic.variations import DEFAULT_NONLINEAR


@pytest.mark.parametrize("n_maps", range(3, 9))
def test_sigma_factor_sums_to_alpha_within_its_range(n_maps):
    rng = np.random.default_rng(n_maps)
    for _ in range(200):
        sigma = sample_sigmas(rng, n_maps)
        alpha = (sigma[:, 0] + 2 * sigma[:, 1]).sum()
        # α ~ U[(5+N)/2, (6+N)/2), σ1 >= σ2 >= 0, σ1 <= 1
        assert (5 + n_maps) / 2 - 1e-9 <= alpha < (6 + n_maps) / 2 + 1e-9
        assert (sigma[:, 0] >= sigma[:, 1] - 1e-12).all() and (sigma >= -1e-12).all()
        assert (sigma[:, 0] <= 1 + 1e-9).all()
        products = sigma.prod(axis=1)
        assert (np.diff(products) <= 1e-12).all()  # sorted by decreasing σ1·σ2


def test_default_variation_is_affine_half_the_time():
    rng = np.random.default_rng(0)
    draws = np.array([sample_variation(rng, [-1]) for _ in range(4000)])
    assert abs((draws == 0).mean() - 0.5) < 0.03  # probability 0.5
    assert set(draws[draws != 0]) == set(DEFAULT_NONLINEAR)
    assert set(sample_variation(rng, [1, 2]) for _ in range(100)) == {1, 2}


def test_video_params_have_the_class_file_layout():
    params = sample_video_params(np.random.default_rng(3), [-1])
    n_frames, n_maps = params["interp"].shape
    assert 18 <= n_frames <= 20 and 3 <= n_maps <= 8
    assert params["angle"].shape == (2, n_maps, 2)
    assert params["sigma"].shape == params["delta"].shape == (2, n_maps, 2, 2)
    assert params["bias"].shape == (2, n_maps, 2)
    assert set(np.abs(np.diagonal(params["delta"], axis1=-2, axis2=-1)).ravel()) == {1.0}
    assert video_weights(params).shape == (n_frames, n_maps, 6)


def test_constant_bias_in_a_fifth_of_videos():
    rng = np.random.default_rng(1)
    flags = [bool(sample_video_params(rng, [-1])["is_constant"]) for _ in range(1000)]
    assert abs(np.mean(flags) - 0.2) < 0.04  # probability 0.2


def test_composition_matches_the_matrix_product():
    theta, phi, sigma = np.array(0.3), np.array(1.1), np.array([0.8, 0.4])
    flip1, flip2 = np.diag([1.0, -1.0]), np.diag([-1.0, 1.0])
    rot = lambda a: np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    expected = rot(0.3) @ flip1 @ np.diag(sigma) @ rot(1.1) @ flip2
    w = compose(theta, phi, sigma, flip1, flip2, np.array([0.5, -0.25]))
    np.testing.assert_allclose(w, [expected[0, 0], expected[0, 1], 0.5, expected[1, 0], expected[1, 1], -0.25],
                               rtol=1e-6)


def test_linear_motion_moves_every_map_on_the_ramp():
    params = sample_video_params(np.random.default_rng(5), [-1])
    w = video_weights(params, linear_motion=True)
    lam = np.linspace(0, 1, len(w))[:, None]
    expected_bias = (1 - lam) * params["bias"][0][None, :, 0] + lam * params["bias"][1][None, :, 0]
    np.testing.assert_allclose(w[:, :, 2], expected_bias, atol=1e-5)  # c = b₀ follows the ramp exactly


def test_sampling_is_determined_by_the_seed():
    a = sample_video_params(np.random.default_rng(7), [-1])
    b = sample_video_params(np.random.default_rng(7), [-1])
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])


def test_image_params_hold_sixteen_weight_sets():
    params = sample_image_params(np.random.default_rng(2), [4])
    assert params["weights"].shape[0] == 16 and params["var"] == 4


def test_mutation_is_multiplicative_then_additive():
    weights = np.ones((19, 4, 6), np.float32)
    out = mutate(np.random.default_rng(0), weights)
    assert out.shape == weights.shape
    assert not np.allclose(out, weights)
    assert (out > 1 - 0.4 * 1.2 - 0.2).all() and (out < 1 + 0.4 * 1.2 + 0.2).all()
    np.testing.assert_array_equal(mutate(np.random.default_rng(0), weights, ac=0, dc=0), weights)


def test_class_files_round_trip_without_pickle(tmp_path):
    params = sample_video_params(np.random.default_rng(0), [-1])
    save_class(tmp_path / "1-0.npz", params)
    loaded = load_params(tmp_path / "1-0.npz")
    assert isinstance(loaded["var"], int)
    np.testing.assert_array_equal(video_weights(loaded), video_weights(params))
    assert [p.name for p in tmp_path.iterdir()] == ["1-0.npz"]


def test_corrupt_class_file_is_named(tmp_path):
    bad = tmp_path / "3-4.npz"
    bad.write_bytes(b"not an archive")
    with pytest.raises(ClassFileError, match="3-4.npz"):
        load_params(bad)
    pickled = tmp_path / "5-0.npz"
    np.savez(pickled, var=np.array([object()], dtype=object))
    with pytest.raises(ClassFileError, match="5-0.npz"):
        load_params(pickled)

"""Octopus videos (docs/generators.md)."""
import argparse

import numpy as np
import pytest

from src.synthetic.class_files import ClassFileError, save_class
from src.synthetic.octopus import POINTS, OctopusGenerator, compose, join, render, sample_params, to_pixels


def test_class_parameters_follow_the_documented_ranges():
    for seed in range(20):
        p = sample_params(np.random.default_rng(seed))
        n_limbs = int(p["n_limbs"])
        assert 3 <= n_limbs <= 5
        assert p["profile_values"].shape == (4 * n_limbs, 5) and p["interp"].shape[1] == n_limbs
        assert 18 <= len(p["interp"]) <= 20
        for values, k in zip(p["profile_values"], p["profile_knots"]):
            assert 3 <= k <= 5 and ((values[:k] >= 0.85) & (values[:k] < 1.15)).all() and np.isnan(values[k:]).all()


def test_limbs_morph_between_two_curves_with_the_class_timing():
    rng = np.random.default_rng(0)
    p = sample_params(rng)
    p["interp"][:] = np.linspace(0, 1, len(p["interp"]))[:, None]
    limbs = compose(rng, p, labelled=False)
    assert limbs.shape == (len(p["interp"]), int(p["n_limbs"]), POINTS, 2)
    middle = len(limbs) // 2
    lam = p["interp"][middle, 0]
    assert np.allclose(limbs[middle], (1 - lam) * limbs[0] + lam * limbs[-1])  # linear timing: a straight blend


def test_joined_limbs_share_one_point_per_frame():
    rng = np.random.default_rng(1)
    limbs = compose(rng, sample_params(rng), labelled=True)
    points = join(np.random.default_rng(2), limbs).reshape(limbs.shape)
    r = np.random.default_rng(2)
    centre = r.integers(0, limbs.shape[1])
    joints = np.clip(r.uniform(0, 0.15, limbs.shape[1]) * POINTS, 0, POINTS - 1).astype(int)
    meeting = points[:, np.arange(limbs.shape[1]), joints]  # [F, L, 2]
    assert np.allclose(meeting, points[:, centre, joints[centre]][:, None])
    assert joints.max() < 0.15 * POINTS


def test_pixels_stay_inside_the_frame():
    rng = np.random.default_rng(3)
    pixels = to_pixels(join(rng, compose(rng, sample_params(rng), labelled=False)), 40)
    assert pixels.min() >= 0 and pixels.max() <= 39 and pixels.max() >= 38  # 1 % margin on each side


def test_two_hundred_parameter_sets_render_without_error():
    rng = np.random.default_rng(4)
    for i in range(200):
        frames = render(rng, compose(rng, sample_params(rng), labelled=bool(i % 2)), 32)
        assert frames.shape[1:] == (32, 32, 3) and frames.dtype == np.uint8
        assert frames.any()


def test_video_is_rgb_with_a_visible_limb():
    gen, args = OctopusGenerator(), argparse.Namespace(res=96)
    frames = gen.render(args, np.random.default_rng(5), None).frames
    assert frames.ndim == 4 and frames.shape[1:] == (96, 96, 3) and 18 <= len(frames) <= 20
    assert 0.002 < (frames.max(axis=-1) > 0).mean() < 0.9


def test_same_seed_same_video():
    gen, args = OctopusGenerator(), argparse.Namespace(res=64)
    a = gen.render(args, np.random.default_rng(6), None).frames
    assert np.array_equal(a, gen.render(args, np.random.default_rng(6), None).frames)


def _shape(limbs: np.ndarray) -> np.ndarray:
    """Limb curves centred per frame and limb, so only their shape and motion remain."""
    return limbs - limbs.mean(axis=2, keepdims=True)


def test_samples_of_a_class_are_closer_to_each_other_than_to_other_classes():
    rng = np.random.default_rng(7)
    classes = []
    while len(classes) < 3:
        p = sample_params(rng)
        if int(p["n_limbs"]) == 4 and len(p["interp"]) == 19:  # comparable arrays
            classes.append(p)
    samples = [[_shape(compose(rng, p, labelled=True)) for _ in range(3)] for p in classes]

    def dist(a, b):
        return np.abs(a - b).mean()
    within = np.mean([dist(a, b) for s in samples for i, a in enumerate(s) for b in s[i + 1:]])
    between = np.mean([dist(a, b) for i, s in enumerate(samples) for t in samples[i + 1:] for a in s for b in t])
    assert within < 0.5 * between  # about 0.25 over seeds 0-5


def test_class_file_round_trip_rebuilds_the_profiles(tmp_path):
    gen, args = OctopusGenerator(), argparse.Namespace(res=32)
    params, tag = gen.sample_class(args, np.random.default_rng(8))
    assert tag is None
    save_class(tmp_path / "1.npz", params)
    loaded = gen.class_params(tmp_path / "1.npz")  # plain arrays: loads with allow_pickle=False
    assert np.array_equal(compose(np.random.default_rng(0), loaded, True), compose(np.random.default_rng(0), params, True))


def test_inconsistent_class_file_is_refused(tmp_path):
    params = sample_params(np.random.default_rng(9))
    params["n_limbs"] = np.int64(int(params["n_limbs"]) + 1)
    save_class(tmp_path / "3.npz", params)
    with pytest.raises(ClassFileError, match="3.npz"):
        OctopusGenerator().class_params(tmp_path / "3.npz")

"""Dead-leaves videos (docs/generators.md) and the shapes they are drawn with."""
import argparse

import numpy as np
import pytest

from src.synthetic.class_files import ClassFileError, save_class
from src.synthetic.dead_leaves import DeadLeavesGenerator, mutate, render, sample_coords, to_pixels
from src.synthetic.shapes import Shape, draw_shape


def test_disc_and_square_have_their_areas():
    canvas = np.zeros((200, 200, 3), np.uint8)
    draw_shape(canvas, (100, 100), Shape(sides=2, rotation=0, radius=40, colour=(10, 20, 30)))  # sides <= 2: disc
    assert abs((canvas[..., 0] == 10).sum() / (np.pi * 40 ** 2) - 1) < 0.03
    canvas[:] = 0
    draw_shape(canvas, (100, 100), Shape(sides=4, rotation=45, radius=40, colour=(1, 2, 3)))
    assert abs((canvas[..., 2] == 3).sum() / (2 * 40 ** 2) - 1) < 0.05  # square inscribed in the circle


def test_class_coords_follow_the_documented_ranges():
    for seed in range(20):
        coords = sample_coords(np.random.default_rng(seed))
        n_frames, n_polygons, axes = coords.shape
        assert 18 <= n_frames <= 20 and 15 <= n_polygons <= 30 and axes == 2
        span = np.ptp(coords, axis=0)  # each axis: a [0, 1] curve scaled by U[1, 2)
        assert ((span >= 1 - 1e-9) & (span < 2)).all()
        assert (np.abs(coords) < 4).all()  # |scale| < 2 plus |offset| < 2


def test_mutation_drops_about_a_fifth_of_the_polygons():
    rng = np.random.default_rng(0)
    coords = sample_coords(rng)
    kept = [mutate(rng, coords).shape[1] / coords.shape[1] for _ in range(400)]
    assert abs(np.mean(kept) - 0.8) < 0.02
    assert mutate(rng, coords).shape[0] == coords.shape[0]


def test_pixels_fill_the_frame_and_stay_inside():
    coords = sample_coords(np.random.default_rng(3))
    pixels = to_pixels(coords, 64)
    assert pixels.min() == 0 and pixels.max() == 63


def test_video_is_rgb_and_uses_only_polygon_colours():
    rng = np.random.default_rng(4)
    coords = sample_coords(rng)
    frames = render(rng, coords, 64, labelled=False)
    assert frames.shape == (len(coords), 64, 64, 3) and frames.dtype == np.uint8
    colours = np.unique(frames.reshape(-1, 3), axis=0)
    assert 2 <= len(colours) <= coords.shape[1] + 1  # flat polygons on black


def _chamfer(a: np.ndarray, b: np.ndarray) -> float:
    """Mean distance from each trajectory of ``a`` to the nearest trajectory of ``b`` (both [F, P, 2])."""
    n = min(len(a), len(b))
    a, b = a[:n].transpose(1, 0, 2), b[:n].transpose(1, 0, 2)
    d = np.linalg.norm(a[:, None] - b[None, :], axis=-1).mean(axis=-1)
    return (d.min(axis=1).mean() + d.min(axis=0).mean()) / 2


def test_samples_of_a_class_are_closer_to_each_other_than_to_other_classes():
    rng = np.random.default_rng(5)
    classes = [sample_coords(rng) for _ in range(4)]
    samples = [[to_pixels(mutate(rng, c), 256) for _ in range(3)] for c in classes]
    within = np.mean([_chamfer(a, b) for s in samples for i, a in enumerate(s) for b in s[i + 1:]])
    between = np.mean([_chamfer(a, b) for i, s in enumerate(samples) for t in samples[i + 1:] for a in s for b in t])
    assert within < 0.9 * between  # the mutation is strong: about 0.75 over seeds 0-7


def test_generator_is_deterministic_and_reads_class_files(tmp_path):
    gen, args = DeadLeavesGenerator(), argparse.Namespace(res=48)
    params, tag = gen.sample_class(args, np.random.default_rng(0))
    assert tag is None
    save_class(tmp_path / "1.npz", params)
    loaded = gen.class_params(tmp_path / "1.npz")
    assert np.array_equal(loaded["coords"], params["coords"])
    a = gen.render(args, np.random.default_rng(9), loaded).frames
    assert np.array_equal(a, gen.render(args, np.random.default_rng(9), loaded).frames)
    assert a.shape[1:] == (48, 48, 3)


def test_malformed_class_file_is_refused(tmp_path):
    save_class(tmp_path / "2.npz", {"coords": np.zeros((20, 3))})
    with pytest.raises(ClassFileError, match="2.npz"):
        DeadLeavesGenerator().class_params(tmp_path / "2.npz")

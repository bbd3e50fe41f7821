"""Perlin-noise videos (docs/generators.md)."""
import argparse

import numpy as np

from src.synthetic.perlin import FREQUENCIES, PerlinGenerator, fade, perlin_volume, sample_gradients


def reference_noise(g: np.ndarray, f_rows: int, f_cols: int, size: int, n_frames: int, i: int, j: int, t: int):
    """The voxel formula of docs/generators.md, written out for one voxel: 8 corner dot products blended rows → columns → time."""
    pu, pv, pw = i * f_rows / size, j * f_cols / size, t / n_frames
    ci, cj = int(pu), int(pv)
    u, v, w = pu - ci, pv - cj, pw

    def dot(a, b, c):
        return g[ci + a, cj + b, c] @ np.array([u - a, v - b, w - c])

    def lerp(x, y, q):
        return x * (1 - fade(q)) + y * fade(q)
    rows = {(b, c): lerp(dot(0, b, c), dot(1, b, c), u) for b in (0, 1) for c in (0, 1)}
    cols = {c: lerp(rows[0, c], rows[1, c], v) for c in (0, 1)}
    return (lerp(cols[0], cols[1], w) + 1) / 2


def test_volume_matches_the_voxel_formula():
    rng = np.random.default_rng(0)
    g = sample_gradients(rng, 3, 5)
    volume = perlin_volume(g, n_frames=7, size=30)
    assert volume.shape == (7, 30, 30) and volume.dtype == np.float32
    for t, i, j in rng.integers(0, [7, 30, 30], (200, 3)):
        assert abs(volume[t, i, j] - reference_noise(g, 3, 5, 30, 7, i, j, t)) < 1e-6


def test_gradients_are_unit_vectors_on_the_lattice():
    g = sample_gradients(np.random.default_rng(1), 4, 6)
    assert g.shape == (5, 7, 2, 3)  # (f_h + 1) x (f_w + 1) x 2 lattice points
    assert np.allclose(np.linalg.norm(g, axis=-1), 1)


def test_fade_is_the_quintic_smoothstep():
    assert fade(np.array([0.0, 0.5, 1.0])).tolist() == [0.0, 0.5, 1.0]


def test_lattice_points_are_mid_gray():
    """At a lattice point every corner offset is zero, so the noise is 0 and the value (0 + 1) / 2."""
    volume = perlin_volume(sample_gradients(np.random.default_rng(2), 8, 4), 19)
    assert np.allclose(volume[0, ::30, ::60], 0.5)  # cells are 240/8 rows and 240/4 columns


def test_256_classes_named_fh_fw_1():
    labels = PerlinGenerator().fixed_classes()
    assert len(labels) == 256 == len(set(labels))
    assert "1-240-1" in labels and "30-5-1" in labels
    assert all(240 % f == 0 for f in FREQUENCIES)


def _render(label: str, seed: int, res: int = 240) -> np.ndarray:
    gen = PerlinGenerator()
    return gen.render(argparse.Namespace(res=res), np.random.default_rng(seed), gen.class_params(label)).frames


def test_rendered_video_is_gray_uint8_with_18_to_20_frames():
    for seed in range(5):
        frames = _render("5-8-1", seed)
        assert frames.dtype == np.uint8 and frames.ndim == 3 and frames.shape[1:] == (240, 240)
        assert 18 <= len(frames) <= 20
        assert 0 < frames.min() and frames.max() < 255  # |noise| <= √3/2 keeps (n+1)/2 inside (0, 1)


def test_same_seed_same_video():
    assert np.array_equal(_render("3-3-1", 7), _render("3-3-1", 7))
    assert not np.array_equal(_render("3-3-1", 7), _render("3-3-1", 8))


def _roughness(frames: np.ndarray) -> np.ndarray:
    """Mean absolute change between neighbouring pixels along rows and along columns."""
    f = frames.astype(float)
    return np.array([np.abs(np.diff(f, axis=1)).mean(), np.abs(np.diff(f, axis=2)).mean()])


def test_samples_of_a_class_are_closer_to_each_other_than_to_other_classes():
    classes = ["2-30-1", "30-2-1", "12-12-1"]
    features = {c: [_roughness(_render(c, seed)) for seed in range(4)] for c in classes}
    for c in classes:
        within = max(np.linalg.norm(a - b) for a in features[c] for b in features[c])
        between = min(np.linalg.norm(a - b) for o in classes if o != c for a in features[c] for b in features[o])
        assert within < between

"""Which frames a clip takes (docs/datasets.md)."""
import numpy as np

from src.data.clip_sampling import contrastive_clips, padded_clip, random_clip, span, validation_clips, validation_starts


def test_span_of_the_default_clip_is_43_frames():
    assert span(8, 6) == 43  # spec: T = 8, r = 6 → ℓ = 43
    assert span(8, 2) == 15  # pre-training stride 2


def test_training_clip_of_a_long_video_starts_anywhere_it_fits():
    rng = np.random.default_rng(0)
    starts = set()
    for _ in range(500):
        clip = random_clip(50, 8, 6, rng)
        assert (np.diff(clip) == 6).all() and clip[-1] <= 49
        starts.add(int(clip[0]))
    assert starts == set(range(0, 50 - 43 + 1))  # a ~ U{0..n−ℓ}, both ends included


def test_short_video_is_padded_with_its_last_frame():
    assert padded_clip(20, 8, 6).tolist() == [0, 6, 12, 18, 19, 19, 19, 19]
    assert random_clip(20, 8, 6, np.random.default_rng(0)).tolist() == [0, 6, 12, 18, 19, 19, 19, 19]


def test_contrastive_pair_has_two_independent_starts():
    rng = np.random.default_rng(1)
    pairs = [contrastive_clips(60, 8, 2, rng) for _ in range(200)]
    assert all(p.shape == (2, 8) and p.max() < 60 for p in pairs)
    assert any(p[0, 0] != p[1, 0] for p in pairs)
    short = contrastive_clips(10, 8, 2, rng)
    assert (short[0] == short[1]).all() and short[0].tolist() == [0, 2, 4, 6, 8, 9, 9, 9]


def test_validation_segment_count_formula():
    # defaults T = 8, r = 6, m = 1, max 10: ≥ 52 frames → 10 evenly spaced clips, shorter → one per start
    assert validation_starts(52, 8, 6, 1, 10) == list(range(10))
    assert validation_starts(47, 8, 6, 1, 10) == [0, 1, 2, 3, 4]  # k = floor((47−43)/1) + 1
    assert validation_starts(100, 8, 6, 1, 10) == [i * 6 for i in range(10)]  # q = floor(57/9) = 6
    assert validation_starts(60, 8, 2, 2, 1) == [0]  # VAL_MAX_SEGS = 1: one clip from frame 0
    assert validation_starts(30, 8, 2, 4, 10) == [0, 4, 8, 12]  # k = floor(15/4) + 1
    assert validation_clips(20, 8, 6, 1, 10).tolist() == [[0, 6, 12, 18, 19, 19, 19, 19]]
    clips = validation_clips(52, 8, 6, 1, 10)
    assert clips.shape == (10, 8) and clips[-1, -1] == 51

"""Fractal motion measured as the original generator's videos were: the jump share (consecutive frames whose lit
masks overlap with IoU < 0.5) must not drift from the original's 0.29 (2434 of its videos, README)."""
import pytest

from bench.bench_motion import folder_statistics, video_statistics
from generate_helpers import generate

ORIGINAL_JUMP_SHARE = 0.29  # 0.292 ± 0.006 over 2434 videos of the original generator, default settings, mp4
VIDEOS = 100
TOLERANCE = 0.09  # 3 standard errors of a 100-video mean: per-video jump shares spread with sd ≈ 0.31


def test_the_statistic_on_known_frames():
    import numpy as np
    still = np.zeros((4, 8, 8), np.uint8)
    still[:, 2:6, 2:6] = 200
    assert video_statistics(still) == (0.0, 0.0, 0.25)
    jumping = still.copy()
    jumping[1::2] = np.roll(still[1::2], 4, axis=2)  # every other frame elsewhere: no overlap
    assert video_statistics(jumping)[1] == 1.0


@pytest.mark.slow
def test_fractal_jump_share_stays_near_the_originals(tmp_path):
    generate("--samples", VIDEOS, "--dir_out", tmp_path)  # default settings, as the original was measured
    stats = folder_statistics(tmp_path, VIDEOS)
    assert stats["videos"] == VIDEOS
    assert abs(stats["jump share"] - ORIGINAL_JUMP_SHARE) <= TOLERANCE, stats


def test_unlabelled_fractal_file_names_give_the_variation():
    from pathlib import Path
    from bench.bench_motion import variation_of
    assert variation_of(Path("out/12-4.mp4")) == 4
    assert variation_of(Path("out/17-4/12.mp4")) is None  # labelled: class folder, step only
    assert variation_of(Path("out/1-2-3.mp4")) is None

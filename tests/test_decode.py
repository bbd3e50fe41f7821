"""Decoding real-world video formats and the cached frame-count index (docs/datasets.md)."""
import json

import numpy as np
import pytest

from src.data import frame_index as index_module
from src.data.decode import DecodeError, count_frames, read_frames
from src.data.frame_index import INDEX_NAME, frame_counts
from video_fixtures import FORMATS, frame_index, ramp_frames, write


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_decodes_exact_frames(tmp_path, fmt):
    path = write(tmp_path / f"v.{FORMATS[fmt][0]}", ramp_frames(23), fmt)
    assert count_frames(path) == 23
    frames = read_frames(path, [5, 0, 5, 22])
    assert frames.shape == (4, 48, 64, 3) and frames.dtype == np.uint8
    assert frame_index(frames).tolist() == [5, 0, 5, 22]  # any order, repeats allowed


def test_gray_video_gives_three_equal_channels(tmp_path):
    path = write(tmp_path / "g.mp4", ramp_frames(10, gray=True), "h264")
    frames = read_frames(path, [3])
    assert frames.shape == (1, 48, 64, 3)
    assert np.abs(frames[..., 0].astype(int) - frames[..., 2]).max() <= 1


def test_odd_and_large_sizes(tmp_path):
    odd = write(tmp_path / "odd.avi", ramp_frames(4, height=37, width=51), "xvid")
    assert read_frames(odd, [0]).shape == (1, 37, 51, 3)
    big = write(tmp_path / "big.mp4", ramp_frames(3, height=720, width=1280), "h264")
    assert read_frames(big, [2]).shape == (1, 720, 1280, 3)


def test_reading_past_the_end_or_garbage_raises(tmp_path):
    path = write(tmp_path / "v.mp4", ramp_frames(6), "h264")
    with pytest.raises(DecodeError, match="ends at frame 6"):
        read_frames(path, [7])
    (tmp_path / "bad.mp4").write_bytes(b"not a video" * 100)
    with pytest.raises(DecodeError):
        count_frames(tmp_path / "bad.mp4")


def test_frame_counts_are_cached_and_refreshed_when_a_file_changes(tmp_path, monkeypatch):
    files = [write(tmp_path / "train" / "a" / f"{i}.mp4", ramp_frames(5 + i), "h264") for i in range(3)]
    (tmp_path / "train" / "a" / "bad.mp4").write_bytes(b"junk")
    files.append(tmp_path / "train" / "a" / "bad.mp4")
    assert frame_counts(tmp_path, files, workers=1) == [5, 6, 7, 0]  # 0: unreadable
    cached = json.loads((tmp_path / INDEX_NAME).read_text())
    assert cached["train/a/1.mp4"][2] == 6

    counted = []
    monkeypatch.setattr(index_module, "_count", lambda p: counted.append(p) or 99)
    monkeypatch.setattr(index_module, "worker_pool", _InProcess)
    assert frame_counts(tmp_path, files, workers=1) == [5, 6, 7, 0]
    assert counted == []  # nothing decoded the second time
    write(files[1], ramp_frames(12), "h264")  # the file changes: only it is recounted
    assert frame_counts(tmp_path, files, workers=1) == [5, 99, 7, 0]
    assert counted == [str(files[1])]


class _InProcess:
    """``worker_pool`` stand-in that runs in this process, so a monkeypatched counter is seen."""

    def __init__(self, workers):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def map(self, fn, items, chunksize=1):
        return map(fn, items)

"""Which frames a clip takes (docs/datasets.md): T frames every r-th, padded with the last frame when short."""
import numpy as np


def span(clip_length: int, stride: int) -> int:
    """Frames covered by one clip: (T - 1)·r + 1."""
    return (clip_length - 1) * stride + 1


def clip_at(start: int, clip_length: int, stride: int) -> np.ndarray:
    return start + stride * np.arange(clip_length)


def padded_clip(n_frames: int, clip_length: int, stride: int) -> np.ndarray:
    """For a video shorter than a clip: frames 0, r, 2r, … < n, then n−1 repeated up to T frames."""
    idx = np.arange(0, n_frames, stride)[:clip_length]
    return np.concatenate([idx, np.full(clip_length - len(idx), n_frames - 1)])


def random_clip(n_frames: int, clip_length: int, stride: int, rng: np.random.Generator) -> np.ndarray:
    """Training clip: a uniform start in {0..n−ℓ}, or the padded clip when n < ℓ."""
    ell = span(clip_length, stride)
    if n_frames < ell:
        return padded_clip(n_frames, clip_length, stride)
    return clip_at(int(rng.integers(0, n_frames - ell + 1)), clip_length, stride)


def contrastive_clips(n_frames: int, clip_length: int, stride: int, rng: np.random.Generator) -> np.ndarray:
    """Two clips [2, T] with independent starts; a short video gives its padded clip twice."""
    ell = span(clip_length, stride)
    if n_frames < ell:
        return np.stack([padded_clip(n_frames, clip_length, stride)] * 2)
    starts = rng.integers(0, n_frames - ell + 1, 2)
    return np.stack([clip_at(int(a), clip_length, stride) for a in starts])


def validation_starts(n_frames: int, clip_length: int, stride: int, min_steps: int, max_segs: int) -> list[int]:
    """Segment starts of a video that is at least one clip long."""
    room = n_frames - span(clip_length, stride)
    if max_segs == 1:
        return [0]
    k = room // min_steps + 1
    if k <= max_segs:
        return [i * min_steps for i in range(k)]
    step = room // (max_segs - 1)
    return [i * step for i in range(max_segs)]


def validation_clips(n_frames: int, clip_length: int, stride: int, min_steps: int, max_segs: int) -> np.ndarray:
    """Frame indices [S, T] of every validation segment of a video."""
    if n_frames < span(clip_length, stride):
        return padded_clip(n_frames, clip_length, stride)[None]
    return np.stack([clip_at(a, clip_length, stride)
                     for a in validation_starts(n_frames, clip_length, stride, min_steps, max_segs)])

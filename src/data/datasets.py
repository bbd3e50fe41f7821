"""Clip datasets (spec/datasets.md §5): random training clips, multi-clip validation, contrastive pairs.

A video that fails to decode mid-epoch does not crash the epoch: the item comes back as ``Unreadable`` and the
loader (``loaders.py``) drops it from the batch, reports its path once and counts it.
"""
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import contextlib

import numpy as np
import torch
from torch.utils.data import Dataset

from .clip_sampling import contrastive_clips, random_clip, span, validation_clips
from .decode import DecodeError, read_frames

Transform = Callable[[torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class ClipSpec:
    """T frames taken every ``stride``-th; validation segments at least ``val_min_steps`` apart, at most
    ``val_max_segs`` per video."""

    clip_length: int = 8
    stride: int = 6
    val_min_steps: int = 1
    val_max_segs: int = 10

    @property
    def span(self) -> int:
        return span(self.clip_length, self.stride)


@dataclass(frozen=True)
class Unreadable:
    path: str
    reason: str


def _key(key) -> tuple[int, int | None]:
    """Items are addressed by index or by (index, seed) from ``EpochSampler``."""
    return key if isinstance(key, tuple) else (key, None)


@contextlib.contextmanager
def item_randomness(seed: int | None):
    """Yields the NumPy stream of one item; inside, torch's RNG (used by the random crop) is seeded with ``seed``
    and restored afterwards, so an item's randomness depends on its seed only, not on the loading worker."""
    if seed is None:
        yield np.random.default_rng(torch.randint(0, 2 ** 62, (1,)).item())
        return
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield np.random.default_rng(seed)


def _load(path: Path, indices: np.ndarray) -> torch.Tensor:
    """Frames as [3, T, H, W] uint8."""
    return torch.from_numpy(read_frames(path, indices.tolist())).permute(3, 0, 1, 2)


class VideoDataset(Dataset):
    """Videos with their frame counts (and class labels for labelled sets)."""

    def __init__(self, files: list[Path], counts: list[int], spec: ClipSpec, transform: Transform,
                 labels: list[int] | None = None):
        self.files, self.counts, self.spec, self.transform = files, counts, spec, transform
        self.labels = labels if labels is not None else list(range(len(files)))

    def __len__(self) -> int:
        return len(self.files)

    def short_videos(self) -> int:
        """How many videos are shorter than one clip (they are padded with their last frame)."""
        return sum(n < self.spec.span for n in self.counts)


class TrainClips(VideoDataset):
    """One random clip per video: (clip [3, T, S, S], class index)."""

    def __getitem__(self, key):
        (i, seed), s = _key(key), self.spec
        with item_randomness(seed) as rng:
            try:
                clip = _load(self.files[i], random_clip(self.counts[i], s.clip_length, s.stride, rng))
            except DecodeError as e:
                return Unreadable(str(self.files[i]), str(e))
            return self.transform(clip), self.labels[i]


class ContrastivePairs(VideoDataset):
    """Two independently placed and cropped clips of one video: ([2, 3, T, S, S], file index)."""

    def __getitem__(self, key):
        (i, seed), s = _key(key), self.spec
        with item_randomness(seed) as rng:
            clips = contrastive_clips(self.counts[i], s.clip_length, s.stride, rng)
            try:
                frames = _load(self.files[i], clips.reshape(-1))
            except DecodeError as e:
                return Unreadable(str(self.files[i]), str(e))
            views = frames.reshape(3, 2, s.clip_length, *frames.shape[2:]).transpose(0, 1)
            return torch.stack([self.transform(v) for v in views]), i


class ValidationClips(VideoDataset):
    """Every validation segment of a video, transformed together: (clips [S, 3, T, H, W], labels [S], ids [S])."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        s = self.spec
        self.segments = [validation_clips(n, s.clip_length, s.stride, s.val_min_steps, s.val_max_segs)
                         for n in self.counts]
        if self.counts and all(n < s.span for n in self.counts):
            raise ValueError(f"every validation video is shorter than one clip ({s.span} frames); "
                             "lower DATA.STRIDE or DATA.CLIP_LENGTH")

    def __getitem__(self, key):
        i, _ = _key(key)
        segments = self.segments[i]
        n_segs, length = segments.shape
        try:
            frames = _load(self.files[i], segments.reshape(-1))
        except DecodeError as e:
            return Unreadable(str(self.files[i]), str(e))
        clips = self.transform(frames)  # [3, S·T, H, W]: one spatial transform for all segments
        clips = clips.reshape(clips.shape[0], n_segs, length, *clips.shape[2:]).transpose(0, 1)
        return clips, torch.full((n_segs,), self.labels[i]), torch.full((n_segs,), i)

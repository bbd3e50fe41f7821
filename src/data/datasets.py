"""Clip datasets over a frame source (``sources.py``): random training clips, multi-clip validation, contrastive
pairs. The clip rules are in docs/datasets.md.

A video that fails mid-epoch does not crash the epoch: the item comes back as ``Unreadable`` and the loader
(``loaders.py``) drops it from the batch, reports it once and counts it.
"""
import contextlib
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from torch.utils.data import Dataset

from .clip_sampling import contrastive_clips, random_clip, span, validation_clips
from .sources import FrameSource, Pick, SourceError

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


class ClipDataset(Dataset):
    """Items addressed by index or by (index, seed) from ``EpochSampler``."""

    def __init__(self, source: FrameSource, spec: ClipSpec, transform: Transform):
        self.source, self.spec, self.transform = source, spec, transform

    @property
    def labels(self) -> list[int]:
        return self.source.labels

    def __len__(self) -> int:
        return len(self.source)

    def short_videos(self) -> int:
        return self.source.short_videos(self.spec.span)

    def __getitem__(self, key):
        i, seed = key if isinstance(key, tuple) else (key, None)
        with item_randomness(seed) as rng:
            try:
                return self.item(i, rng)
            except SourceError as e:
                return Unreadable(self.source.name(i), str(e))

    def frames(self, i: int, pick: Pick, rng: np.random.Generator) -> torch.Tensor:
        return self.source.frames(i, pick, rng)

    def item(self, i: int, rng: np.random.Generator):
        raise NotImplementedError


class TrainClips(ClipDataset):
    """One random clip per video: (clip [3, T, S, S], label)."""

    def item(self, i, rng):
        s = self.spec
        clip = self.frames(i, lambda n: random_clip(n, s.clip_length, s.stride, rng), rng)
        return self.transform(clip), self.labels[i]


class ContrastivePairs(ClipDataset):
    """Two independently placed and cropped clips of one video: ([2, 3, T, S, S], video index)."""

    def item(self, i, rng):
        s = self.spec
        views = self.frames(i, lambda n: contrastive_clips(n, s.clip_length, s.stride, rng), rng).transpose(0, 1)
        return torch.stack([self.transform(v) for v in views]), i


def video_means(values: torch.Tensor, video_ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``values`` [S, D] of validation segments averaged over the consecutive segments of each video → ([V, D] on
    ``values``' device, [V] ids where ``video_ids`` are); host ids leave nothing for the device to wait on."""
    ids, counts = torch.unique_consecutive(video_ids, return_counts=True)
    groups = torch.repeat_interleave(torch.arange(len(ids), device=ids.device), counts)
    sums = torch.zeros(len(ids), values.shape[1], device=values.device, dtype=values.dtype)
    sums.index_add_(0, groups.to(values.device, non_blocking=True), values)
    return sums / counts.to(values.device, non_blocking=True)[:, None], ids


class ValidationClips(ClipDataset):
    """Every validation segment of a video, transformed together: (clips [S, 3, T, H, W], labels [S], ids [S])."""

    def __init__(self, source: FrameSource, spec: ClipSpec, transform: Transform):
        super().__init__(source, spec, transform)
        if len(source) and source.short_videos(spec.span) == len(source):
            raise ValueError(f"every validation video is shorter than one clip ({spec.span} frames); "
                             "lower DATA.STRIDE or DATA.CLIP_LENGTH")

    def item(self, i, rng):
        s = self.spec
        segments = self.frames(i, lambda n: validation_clips(n, s.clip_length, s.stride, s.val_min_steps,
                                                             s.val_max_segs), rng)  # [3, S, T, H, W]
        n_segs = segments.shape[1]
        clips = self.transform(segments.reshape(3, -1, *segments.shape[3:]))  # one spatial transform for all
        clips = clips.reshape(clips.shape[0], n_segs, s.clip_length, *clips.shape[2:]).transpose(0, 1)
        return clips, torch.full((n_segs,), self.labels[i]), torch.full((n_segs,), i)

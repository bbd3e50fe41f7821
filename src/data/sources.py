"""Frame sources: where a clip dataset's frames come from. A source holds N videos with labels and returns the
frames a clip needs; ``VideoFiles`` decodes them from disk, the rendered sources (``rendered_source.py``, one per
family: ``families.py``) draw them.

``frames(i, pick, rng)`` calls ``pick(n_frames)`` for the frame indices (an array of any shape: one clip, two
views, validation segments) and returns uint8 frames [3, *indices.shape, H, W]; ``rng`` is the item's stream.
"""
from pathlib import Path
from typing import Protocol

import numpy as np
import torch

from ..synthetic.generator import Pick
from .decode import DecodeError, read_frames


class SourceError(Exception):
    """One video could not be produced (a file that fails to decode); the loader skips it."""


class FrameSource(Protocol):
    labels: list[int]

    def __len__(self) -> int: ...

    def name(self, i: int) -> str: ...

    def frames(self, i: int, pick: Pick, rng: np.random.Generator) -> torch.Tensor: ...

    def short_videos(self, span: int) -> int: ...


class VideoFiles:
    """Video files with their exact frame counts (``frame_index.py``) and labels (file index when unlabelled)."""

    def __init__(self, files: list[Path], counts: list[int], labels: list[int] | None = None):
        self.files, self.counts = files, counts
        self.labels = labels if labels is not None else list(range(len(files)))

    def __len__(self) -> int:
        return len(self.files)

    def subset(self, indices: list[int]) -> "VideoFiles":
        return VideoFiles([self.files[i] for i in indices], [self.counts[i] for i in indices],
                          [self.labels[i] for i in indices])

    def name(self, i: int) -> str:
        return str(self.files[i])

    def short_videos(self, span: int) -> int:
        """How many videos are shorter than one clip (their clips repeat the last frame)."""
        return sum(n < span for n in self.counts)

    def frames(self, i: int, pick: Pick, rng: np.random.Generator) -> torch.Tensor:
        indices = np.asarray(pick(self.counts[i]))
        try:
            video = torch.from_numpy(read_frames(self.files[i], indices.reshape(-1).tolist()))  # [N, H, W, 3]
        except DecodeError as e:
            raise SourceError(str(e)) from None
        return video.permute(3, 0, 1, 2).reshape(3, *indices.shape, *video.shape[1:3])

"""DataLoaders over the clip datasets: batches without the videos that failed to decode, each reported once."""
import functools
import sys
from typing import Iterator

import torch
from torch.utils.data import DataLoader, Dataset, default_collate

from .datasets import Unreadable


def collate_readable(items: list, concatenate: bool = False):
    """(batch or None, unreadable items). ``concatenate`` joins variable-length items (validation segments)."""
    bad = [x for x in items if isinstance(x, Unreadable)]
    good = [x for x in items if not isinstance(x, Unreadable)]
    if not good:
        return None, bad
    batch = tuple(torch.cat(parts) for parts in zip(*good)) if concatenate else default_collate(good)
    return batch, bad


class Batches:
    """Iterates a DataLoader built with ``collate_readable``; counts skipped videos in ``skipped``."""

    def __init__(self, loader: DataLoader):
        self.loader, self.skipped, self._reported = loader, 0, set()

    def __len__(self) -> int:
        return len(self.loader)

    def __iter__(self) -> Iterator:
        for batch, bad in self.loader:
            for item in bad:
                self.skipped += 1
                if item.path not in self._reported:
                    self._reported.add(item.path)
                    print(f"warning: skipping unreadable video {item.path} ({item.reason})", file=sys.stderr)
            if batch is not None:
                yield batch


def make_loader(dataset: Dataset, batch_size: int, workers: int, shuffle: bool, drop_last: bool = False,
                seed: int | None = None, concatenate: bool = False) -> Batches:
    """A DataLoader with persistent workers and pinned memory on CUDA; ``seed`` fixes order and clips."""
    generator = torch.Generator().manual_seed(seed) if seed is not None else None
    return Batches(DataLoader(
        dataset, batch_size=batch_size, shuffle=shuffle, drop_last=drop_last, num_workers=workers,
        collate_fn=functools.partial(collate_readable, concatenate=concatenate), generator=generator,
        pin_memory=torch.cuda.is_available(), persistent_workers=workers > 0,
        prefetch_factor=4 if workers > 0 else None))

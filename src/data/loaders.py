"""DataLoaders over the clip datasets: batches without the videos that failed to decode, each reported once."""
import functools
import math
import sys
from typing import Iterator

import torch
from torch.utils.data import DataLoader, Dataset, Sampler, default_collate

from ..utils.threads import before_workers, single_threaded_worker
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
    """Iterates a DataLoader built with ``collate_readable``; counts skipped videos in ``skipped``.

    A batch whose every video failed comes out as None (with ``complete_only``: any failed video), so that a
    distributed training loop can skip the step on every rank together.
    """

    may_skip = True  # a batch can come out as None: the ranks agree on skipping it, each step

    def __init__(self, loader: DataLoader, complete_only: bool = False):
        self.loader, self.skipped, self._reported, self.complete_only = loader, 0, set(), complete_only

    def set_epoch(self, epoch: int) -> None:
        self.loader.sampler.set_epoch(epoch)

    def __len__(self) -> int:
        return len(self.loader)

    def __iter__(self) -> Iterator:
        for batch, bad in self.loader:
            for item in bad:
                self.skipped += 1
                if item.path not in self._reported:
                    self._reported.add(item.path)
                    print(f"warning: skipping unreadable video {item.path} ({item.reason})", file=sys.stderr)
            yield None if self.complete_only and bad else batch


class EpochSampler(Sampler):
    """Yields (index, seed) pairs: the order and every item's randomness are a function of (seed, epoch) only,
    whatever the number of workers, so a resumed run sees the same clips. With ``world`` > 1 each rank takes
    its share of the order (padded by wrapping, as DistributedSampler)."""

    def __init__(self, n: int, shuffle: bool, seed: int = 0, rank: int = 0, world: int = 1):
        self.n, self.shuffle, self.seed, self.rank, self.world, self.epoch = n, shuffle, seed, rank, world, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return math.ceil(self.n / self.world)

    def __iter__(self) -> Iterator[tuple[int, int]]:
        g = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch)
        order = torch.randperm(self.n, generator=g) if self.shuffle else torch.arange(self.n)
        seeds = torch.randint(0, 2 ** 62, (self.n,), generator=g)
        order = torch.cat([order, order[: len(self) * self.world - self.n]])[self.rank::self.world]
        return ((int(i), int(seeds[i])) for i in order)


def make_loader(dataset: Dataset, batch_size: int, workers: int, shuffle: bool, drop_last: bool = False,
                seed: int = 0, concatenate: bool = False, rank: int = 0, world: int = 1,
                complete_only: bool = False) -> Batches:
    """A DataLoader over an ``EpochSampler``, with persistent workers and pinned memory on CUDA."""
    sampler = EpochSampler(len(dataset), shuffle, seed, rank, world)
    if workers > 0:
        before_workers()
    generator = torch.Generator().manual_seed(seed)  # the loader's own seed draws leave the global RNG alone
    return Batches(DataLoader(
        dataset, batch_size=batch_size, sampler=sampler, drop_last=drop_last, num_workers=workers, generator=generator,
        collate_fn=functools.partial(collate_readable, concatenate=concatenate),
        pin_memory=torch.cuda.is_available(), persistent_workers=workers > 0,
        prefetch_factor=4 if workers > 0 else None, worker_init_fn=single_threaded_worker), complete_only)

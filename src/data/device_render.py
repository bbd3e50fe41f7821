"""Fractal clips rendered on the training device (``DATA.RENDER_DEVICE cuda``, or ``triton-cpu`` to run the same
kernel through Triton's interpreter on the CPU).

Loader workers draw everything a clip needs but the chaos game itself: the maps of the frames its clip(s) take,
the video's framing window (the numba border render, as the file generator frames a video; an empty border or a
zero-size window is redrawn there), the crop box of each view, a seed for the kernel, and a spare draw. The main
process renders whole batches with one kernel launch (``synthetic/batch_render.py``), replaces degenerate clips by
spares, and crops and resizes on the device, so clips never leave it and nothing waits on it. Every clip is a
function of (seed, epoch, index), as with the CPU source, and does not depend on its batch mates.
"""
import math

import numpy as np
import torch
from torch.utils.data import Dataset
from torchvision.ops import roi_align
from torchvision.transforms import RandomResizedCrop

from ..synthetic.batch_render import Budget, default_splats, render_clips
from ..synthetic.chaos_game import MAX_MAPS, pixel_transform, selection_thresholds
from ..synthetic.fractal import find_windows
from ..synthetic.generator import until_valid
from .clip_sampling import contrastive_clips, random_clip
from .datasets import ClipSpec, item_randomness
from .fractal_source import FractalSource

SPARE_SHARE = 0.25  # spare clips rendered per batch, as a share of the batch; they replace degenerate ones
RATIO = (3 / 4, 4 / 3)
DRAW_KEYS = ("coef", "cuts", "scale", "var", "seed")


class FractalParams(Dataset):
    """Items of parameters for ``views`` clips (1: training, 2: contrastive pair) of a rendered video, plus a spare
    draw of the same class; collated into a batch that ``RenderedBatches`` renders."""

    def __init__(self, source: FractalSource, spec: ClipSpec, crop_size: int, min_scale: float, views: int = 1):
        self.source, self.spec, self.crop_size, self.min_scale, self.views = source, spec, crop_size, min_scale, views

    def __len__(self) -> int:
        return len(self.source)

    @property
    def labels(self) -> list[int]:
        return self.source.labels

    def short_videos(self) -> int:
        return 0

    def _draw(self, i: int, rng: np.random.Generator) -> dict:
        """The kernel's inputs for the frames of this item's clip(s), framed as the whole video."""
        s, settings = self.spec, self.source.settings
        params = self.source.classes[self.labels[i]] if self.source.classes else None

        def framed():
            weights, var = self.source.generator.draw(settings, rng, params)
            return weights, var, find_windows(weights, var, settings, rng, per_frame=False)
        (weights, var, windows), _ = until_valid(framed)
        n = len(weights)
        picks = random_clip(n, s.clip_length, s.stride, rng)[None] if self.views == 1 else \
            contrastive_clips(n, s.clip_length, s.stride, rng)
        picks = picks.reshape(-1)
        coef = np.zeros((len(picks), MAX_MAPS, 6), np.float32)
        coef[:, : weights.shape[1]] = weights[picks]
        return {"coef": coef, "cuts": selection_thresholds(weights[picks]),
                "scale": pixel_transform(windows[picks], settings.res), "var": np.int32(var),
                "seed": np.int64(rng.integers(0, 2 ** 62))}

    def __getitem__(self, key):
        i, seed = key if isinstance(key, tuple) else (key, None)
        with item_randomness(seed) as rng:
            draws = [self._draw(i, rng) for _ in range(2)]  # the clip, and its spare
            res = self.source.settings.res
            canvas = torch.empty(1, res, res)
            crops = [[RandomResizedCrop.get_params(canvas, [self.min_scale, 1.0], list(RATIO))
                      for _ in range(self.views)] for _ in range(2)]
            item = {k: torch.from_numpy(np.stack([d[k] for d in draws])) for k in DRAW_KEYS}
            return {**item, "crops": torch.tensor(crops, dtype=torch.float32), "label": self.labels[i], "index": i}


def fill_from_spares(primary: torch.Tensor, valid: torch.Tensor, spares: torch.Tensor,
                     spare_valid: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """For the k-th invalid primary, the k-th valid spare (if there is one): returns the index into
    ``cat([primary, spares])`` of each slot's source, and whether the slot ends up valid. No host sync."""
    n, s = len(primary), len(spares)
    order = torch.argsort((~spare_valid).to(torch.int8), stable=True)  # valid spares first
    rank = torch.cumsum((~valid).long(), 0) - 1
    take = ~valid & (rank < spare_valid.sum())
    source = torch.where(take, n + order[rank.clamp(0, max(s - 1, 0))], torch.arange(n, device=valid.device))
    return source, valid | take


class RenderedBatches:
    """Batches of ``FractalParams`` items rendered on ``device``: (clips [B, 3, T, S, S], labels) for training,
    (views [B, 2, 3, T, S, S], indices) for contrastive pairs, float in [0, 1] like the CPU source."""

    may_skip = False  # rendering cannot fail like a video file: no batch is None

    def __init__(self, batches, device: torch.device, res: int, crop_size: int, clip_length: int, budget: Budget,
                 views: int = 1):
        self.batches, self.device, self.res, self.crop_size = batches, device, res, crop_size
        self.clip_length, self.budget, self.views = clip_length, budget, views
        self.skipped = 0

    def set_epoch(self, epoch: int) -> None:
        self.batches.set_epoch(epoch)

    def __len__(self) -> int:
        return len(self.batches)

    def __iter__(self):
        for batch in self.batches:
            yield None if batch is None else self.render(batch)

    def render(self, batch: dict) -> tuple[torch.Tensor, torch.Tensor]:
        """Render a collated batch: each item's clip, and the first items' spares to replace degenerate clips."""
        b = len(batch["label"])
        s = min(b, math.ceil(SPARE_SHARE * b))
        to = lambda t: t.to(self.device, non_blocking=True)  # noqa: E731
        draws = {k: to(torch.cat([batch[k][:, 0], batch[k][:s, 1]])) for k in DRAW_KEYS}
        video, valid = render_clips(draws["coef"], draws["cuts"], draws["scale"], draws["var"], draws["seed"],
                                    self.res, self.budget)
        source, _ = fill_from_spares(video[:b], valid[:b], video[b:], valid[b:])
        video = video[source]
        crops = to(batch["crops"])
        crops = torch.cat([crops[:, 0], crops[:s, 1]])[source]
        labels = to(batch["label"] if self.views == 1 else batch["index"])
        labels = torch.cat([labels, labels[:s]])[source] if self.views == 1 else labels
        clips = torch.stack([self.crop(video[:, v * self.clip_length:(v + 1) * self.clip_length], crops[:, v])
                             for v in range(self.views)], 1)
        return (clips[:, 0] if self.views == 1 else clips), labels

    def crop(self, frames: torch.Tensor, boxes: torch.Tensor) -> torch.Tensor:
        """[B, T, R, R] uint8 → random resized crops [B, 3, T, S, S] in [0, 1] (bilinear, one kernel for the batch)."""
        top, left, h, w = boxes.unbind(1)
        rois = torch.stack([torch.arange(len(frames), device=frames.device, dtype=torch.float32),
                            left, top, left + w, top + h], 1)
        out = roi_align(frames.float(), rois, (self.crop_size, self.crop_size), spatial_scale=1.0,
                        sampling_ratio=2, aligned=True) / 255
        return out.clamp(0, 1)[:, None].expand(-1, 3, -1, -1, -1)


def rendered_batches(source: FractalSource, spec: ClipSpec, crop_size: int, min_scale: float, batch_size: int,
                     workers: int, seed: int, splats: int, device: torch.device, rank: int = 0, world: int = 1,
                     views: int = 1) -> RenderedBatches:
    """Training batches of ``source`` rendered on ``device`` (``splats`` per frame, 0: the file generator's
    density); the loader workers only draw parameters."""
    from .loaders import make_loader
    items = FractalParams(source, spec, crop_size, min_scale, views)
    batches = make_loader(items, batch_size, workers, shuffle=True, drop_last=True, seed=seed, rank=rank,
                          world=world)
    return RenderedBatches(batches, device, source.settings.res, crop_size, spec.clip_length,
                           render_budget(splats, source.settings.res), views)


def render_budget(splats: int, res: int) -> Budget:
    """``splats`` per frame; 0: the file generator's density at ``res``."""
    return Budget.for_splats(splats or default_splats(res))

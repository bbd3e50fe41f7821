"""Frozen features of whole videos: the encoder's pooled output (its classifier or projector swapped for the
identity) averaged over each video's validation clips. Under DDP each rank encodes its share of the videos and
every rank receives them all."""
import contextlib
from typing import Callable, Iterable

import torch
import torch.distributed as dist
from torch import nn

from ..data.datasets import video_means
from ..models.registry import headless


@torch.no_grad()
def encode_videos(encoder: nn.Module, batches: Iterable, device: torch.device,
                  autocast: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext,
                  ) -> tuple[torch.Tensor, torch.Tensor]:
    """(video indices [V], features [V, feature_dim] float32 on the CPU) of the videos ``batches`` yields
    (validation batches: clips, labels, video ids); videos that failed to decode are absent. The encoder is in
    eval mode inside and back in its former mode afterwards."""
    was_training = encoder.training
    encoder.eval()
    ids, features = [], []
    try:
        with headless(encoder):
            for batch in batches:
                if batch is None:
                    continue
                clips, _, video_ids = batch
                with autocast():
                    out = encoder(clips.to(device, non_blocking=True)).float()
                means, unique = video_means(out, video_ids)  # ids stay on the host
                features.append(means)
                ids.append(unique)
    finally:
        encoder.train(was_training)
    if not features:
        return torch.zeros(0, dtype=torch.long), torch.zeros(0, 0)
    return torch.cat(ids), torch.cat(features).cpu()  # one copy to the host, at the end


def gather_videos(ids: torch.Tensor, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Every rank's (ids, features), merged in id order (a video encoded by two ranks, as the sampler pads the
    last shard, counts once); the identity without a process group."""
    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        parts: list = [None] * dist.get_world_size()
        dist.all_gather_object(parts, (ids, features))
        parts = [p for p in parts if len(p[0])] or parts[:1]  # a rank whose videos all failed sends nothing
        ids, features = torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts])
    order = torch.argsort(ids, stable=True)
    ids, features = ids[order], features[order]
    first = torch.ones(len(ids), dtype=torch.bool)
    first[1:] = ids[1:] != ids[:-1]
    return ids[first], features[first]

"""Pieces shared by the self-supervised methods: EMA copies, batch shuffling for BatchNorm, DDP gathering."""
import copy

import torch
import torch.distributed as dist
from torch import nn


def frozen_copy(module: nn.Module) -> nn.Module:
    """A copy that gradients never reach (MoCo key encoder, BYOL target)."""
    twin = copy.deepcopy(module)
    for p in twin.parameters():
        p.requires_grad_(False)
    return twin


@torch.no_grad()
def ema_update(target: nn.Module, online: nn.Module, momentum: float) -> None:
    """θ_t ← m·θ_t + (1 − m)·θ_o for every parameter (BatchNorm buffers are not averaged)."""
    for t, o in zip(target.parameters(), online.parameters()):
        t.mul_(momentum).add_(o.detach(), alpha=1 - momentum)


def distributed() -> bool:
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


@torch.no_grad()
def gather(x: torch.Tensor) -> torch.Tensor:
    """Concatenate ``x`` from every rank (itself when not distributed)."""
    if not distributed():
        return x
    parts = [torch.empty_like(x) for _ in range(dist.get_world_size())]
    dist.all_gather(parts, x.contiguous())
    return torch.cat(parts)


@torch.no_grad()
def encode_shuffled(encoder: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Run ``encoder`` on a shuffled batch and restore the order, so BatchNorm statistics do not leak which
    samples are positives (within this process)."""
    order = torch.randperm(len(x), device=x.device)
    out = encoder(x[order])
    return out[torch.argsort(order)]

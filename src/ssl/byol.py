"""BYOL: online encoder + predictor against an EMA target with a cosine schedule."""
import math

import torch
import torch.nn.functional as nnf
from torch import nn

from .common import ema_update, encode_shuffled, frozen_copy


def target_momentum(step: int, total_steps: int, base: float) -> float:
    """τ(s) = 1 − (1 − τ_base)·(cos(π s / s_total) + 1)/2: τ_base at the start, 1 at the end."""
    return 1 - (1 - base) * (math.cos(math.pi * step / total_steps) + 1) / 2


class BYOL(nn.Module):
    def __init__(self, encoder: nn.Module, d_output: int = 256, d_hidden: int = 1024, base_momentum: float = 0.997,
                 total_steps: int = 1):
        super().__init__()
        self.online, self.target = encoder, frozen_copy(encoder)
        self.predictor = nn.Sequential(nn.Linear(d_output, d_hidden), nn.BatchNorm1d(d_hidden), nn.ReLU(inplace=True),
                                       nn.Linear(d_hidden, d_output))
        self.base_momentum, self.total_steps = base_momentum, total_steps

    def forward(self, q: torch.Tensor, k: torch.Tensor, ids: torch.Tensor, step: int):
        """(predictions [2B, d], targets [2B, d]): q's prediction faces k's target and vice versa."""
        predictions = nnf.normalize(torch.cat([self.predictor(self.online(q)), self.predictor(self.online(k))]), dim=1)
        ema_update(self.target, self.online, target_momentum(step, self.total_steps, self.base_momentum))
        with torch.no_grad():
            targets = torch.cat([encode_shuffled(self.target, k), encode_shuffled(self.target, q)])
        return predictions, nnf.normalize(targets, dim=1).to(predictions.dtype)


def byol_loss(predictions: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """2·(1 − mean cosine similarity) of unit vectors."""
    return 2 * (1 - (predictions * targets).sum(dim=1).mean())

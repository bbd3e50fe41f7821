"""Temporal shift (TSM): part of the channels exchange information with the neighbouring frames."""
import torch
from torch import nn


def temporal_shift(x: torch.Tensor, n_segment: int, fold_div: int = 8) -> torch.Tensor:
    """[B·T, C, h, w] → same shape: channels [0, C/8) take frame t+1, [C/8, 2C/8) take frame t−1 (zeros at the
    ends), the rest stay; not in place."""
    nt, c, h, w = x.shape
    x = x.view(nt // n_segment, n_segment, c, h, w)
    fold = c // fold_div
    out = torch.zeros_like(x)
    out[:, :-1, :fold] = x[:, 1:, :fold]
    out[:, 1:, fold:2 * fold] = x[:, :-1, fold:2 * fold]
    out[:, :, 2 * fold:] = x[:, :, 2 * fold:]
    return out.view(nt, c, h, w)


class TemporalShift(nn.Module):
    """Shift the input of ``net`` in time (the official TSM layout: the wrapped layer is ``.net``)."""

    def __init__(self, net: nn.Module, n_segment: int, fold_div: int = 8):
        super().__init__()
        self.net, self.n_segment, self.fold_div = net, n_segment, fold_div

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(temporal_shift(x, self.n_segment, self.fold_div))

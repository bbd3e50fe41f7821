"""Which memory format a backbone's weights are in: the input follows, so ``model.to(memory_format=...)`` is the
one switch (TSM: channels-last for its 2-D convolutions; 3-D CNNs: channels-last-3d)."""
import torch
from torch import nn


def weights_in(module: nn.Module, memory_format: torch.memory_format | None) -> bool:
    """True when ``module``'s first weight was moved to ``memory_format`` (None: never)."""
    first = next(module.parameters())
    rank = {torch.channels_last: 4, torch.channels_last_3d: 5}.get(memory_format)
    return rank == first.dim() and not first.is_contiguous() and first.is_contiguous(memory_format=memory_format)

"""Deterministic weights and input shared by the X3D golden test and the script that recorded pytorchvideo's
outputs (tests/fixtures/x3d/record.py): every value follows from the state_dict's keys, so no weights are stored."""
import hashlib
import math

import torch

CLIP = (2, 3, 4, 64, 64)  # two clips of 4 frames, 64 px
N_CLASSES = 10


def key_digest(model: torch.nn.Module) -> str:
    listing = "\n".join(f"{k} {tuple(v.shape)}" for k, v in sorted(model.state_dict().items()))
    return hashlib.sha256(listing.encode()).hexdigest()


@torch.no_grad()
def fill(model: torch.nn.Module) -> None:
    """Weights of unit-scale activations: sines scaled by 1/sqrt(fan in), BatchNorm around the identity."""
    for i, (name, t) in enumerate(sorted(model.state_dict().items())):
        if not t.is_floating_point():
            continue
        wave = torch.sin(torch.arange(t.numel(), dtype=torch.float64) * 0.731 + i * 1.37).view(t.shape)
        if name.endswith("running_var"):
            values = 1 + 0.5 * wave.abs()
        elif name.endswith("running_mean") or name.endswith("bias"):
            values = 0.1 * wave
        elif t.dim() == 1:  # BatchNorm scale
            values = 1 + 0.2 * wave
        else:
            values = wave / math.sqrt(t[0].numel())
        t.copy_(values.to(t.dtype))


def clip() -> torch.Tensor:
    return torch.sin(torch.arange(math.prod(CLIP), dtype=torch.float64) * 0.013).view(CLIP).float()

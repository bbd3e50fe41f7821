"""TSM: a 2-D torchvision backbone run on every frame, temporal shift in every residual block, mean consensus
(docs/training.md, "Models"). The module layout follows the official TSM code (``base_model``, ``new_fc``,
``conv1.net``) so its Kinetics checkpoints load by name."""
import torch
from torch import nn
from torchvision import models

from .memory_format import weights_in
from .temporal_shift import TemporalShift

DROPOUT = 0.8
MLP_HIDDEN = 512
KINETICS_CLASSES = 400


def _shift_resnet(net: nn.Module, n_segment: int) -> None:
    """Shift the input of the first convolution of every block's residual branch (placement "blockres")."""
    for stage in (net.layer1, net.layer2, net.layer3, net.layer4):
        for block in stage:
            block.conv1 = TemporalShift(block.conv1, n_segment)


def _shift_mobilenet(net: nn.Module, n_segment: int) -> None:
    """Shift before the expansion convolution of every inverted-residual block with a residual connection."""
    for block in net.features:
        if isinstance(block, models.mobilenetv2.InvertedResidual) and block.use_res_connect and len(block.conv) == 4:
            block.conv[0] = TemporalShift(block.conv[0], n_segment)


BASES = ("resnet50", "resnet18", "mobilenetv2")


def build_backbone(name: str, n_segment: int, dropout: float = DROPOUT) -> tuple[nn.Module, int]:
    """Randomly initialised backbone with its classifier replaced by dropout; returns it and its feature size."""
    if name not in BASES:
        raise ValueError(f"unknown TSM base {name!r}; choose one of {', '.join(BASES)}")
    if name == "mobilenetv2":
        net = models.mobilenet_v2(weights=None)
        _shift_mobilenet(net, n_segment)
        dim = net.classifier[-1].in_features
        net.classifier = nn.Dropout(dropout)
        return net, dim
    net = {"resnet50": models.resnet50, "resnet18": models.resnet18}[name](weights=None)
    _shift_resnet(net, n_segment)
    dim = net.fc.in_features
    net.fc = nn.Dropout(dropout)
    return net, dim


def make_head(dim: int, n_classes: int, mlp: bool) -> nn.Module:
    """Linear(dim, n), or Linear(dim, 512) → SiLU → Linear(512, n); PyTorch's default initialisation."""
    if mlp:
        return nn.Sequential(nn.Linear(dim, MLP_HIDDEN), nn.SiLU(), nn.Linear(MLP_HIDDEN, n_classes))
    return nn.Linear(dim, n_classes)


class TSM(nn.Module):
    """[B, C, T, H, W] clips → [B, n_classes] logits (mean of the per-frame logits)."""

    memory_format = torch.channels_last  # of the 2-D backbone's weights on CUDA

    def __init__(self, n_classes: int, n_segment: int = 8, base: str = "resnet50", mlp_head: bool = False,
                 dropout: float = DROPOUT):
        super().__init__()
        self.n_segment = n_segment
        self.base_model, self.feature_dim = build_backbone(base, n_segment, dropout)
        self.new_fc = make_head(self.feature_dim, n_classes, mlp_head)

    @property
    def channels_last(self) -> bool:
        """True once the model was moved with ``.to(memory_format=torch.channels_last)``: frames follow."""
        return weights_in(self.base_model, self.memory_format)

    def replace_head(self, n_classes: int, mlp: bool = False) -> None:
        self.new_fc = make_head(self.feature_dim, n_classes, mlp)

    def swap_head(self, head: nn.Module) -> nn.Module:
        """Put ``head`` in the classifier's place; returns the classifier it replaced."""
        old, self.new_fc = self.new_fc, head
        return old

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, t, h, w = x.shape
        if t != self.n_segment:
            raise ValueError(f"TSM built for {self.n_segment} frames got clips of {t}")
        frames = x.transpose(1, 2).reshape(b * t, c, h, w)
        if self.channels_last:
            frames = frames.contiguous(memory_format=torch.channels_last)
        logits = self.new_fc(self.base_model(frames))
        return logits.view(b, t, -1).mean(dim=1)

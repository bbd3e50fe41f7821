"""X3D (Feichtenhofer, "X3D: Expanding Architectures for Efficient Video Recognition", 2020), written here with
the module names of pytorchvideo's ``create_x3d``, so its model-zoo weights (``X3D_XS.pyth`` … ``X3D_L.pyth``,
under ``model_state``) load by name and ``tests/test_x3d.py`` checks the forward pass against pytorchvideo's.

Two differences, neither with weights: the head pools globally (pytorchvideo's fixed pooling kernel equals it at
the configured clip size, and this one takes any size), and the output is logits (pytorchvideo applies softmax).
"""
import math

import torch
from torch import nn

from .memory_format import weights_in

# size → (depth factor, clip length and crop size it was designed for); width 2.0, bottleneck 2.25 for all.
# XS-L follow SlowFast; XL is the original fractal-pre-training project's own (depth 8.0).
SIZES = {"XS": (2.2, 4, 160), "S": (2.2, 13, 160), "M": (2.2, 16, 224), "L": (5.0, 16, 312), "XL": (8.0, 16, 312)}
STAGE_DEPTHS = (1, 2, 5, 3)
WIDTH, BOTTLENECK, STEM_DIM, HEAD_DIM, SE_RATIO, DROPOUT = 2.0, 2.25, 12, 2048, 0.0625, 0.5


def round_width(width: float, multiplier: float, divisor: int = 8) -> int:
    """The channel rounding of X3D (and pytorchvideo): to a multiple of ``divisor``, never below 90 %."""
    width *= multiplier
    out = max(divisor, int(width + divisor / 2) // divisor * divisor)
    return int(out + divisor if out < 0.9 * width else out)


def _bn(c: int) -> nn.BatchNorm3d:
    return nn.BatchNorm3d(c, eps=1e-5, momentum=0.1)


class Swish(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(x)


class SqueezeExcitation(nn.Module):
    def __init__(self, channels: int, reduced: int):
        super().__init__()
        self.block = nn.Sequential(nn.Conv3d(channels, reduced, 1), nn.ReLU(), nn.Conv3d(reduced, channels, 1),
                                   nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.block(x.mean(dim=(2, 3, 4), keepdim=True))


class Conv2plus1d(nn.Module):
    """The stem's factorised convolution. pytorchvideo names the spatial (1×3×3) one ``conv_t`` and the temporal
    depthwise (5×1×1) one ``conv_xy``; the names are kept so its checkpoints load."""

    def __init__(self, dim_in: int, dim_out: int):
        super().__init__()
        self.conv_t = nn.Conv3d(dim_in, dim_out, (1, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1), bias=False)
        self.conv_xy = nn.Conv3d(dim_out, dim_out, (5, 1, 1), padding=(2, 0, 0), groups=dim_out, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv_xy(self.conv_t(x))


class Stem(nn.Module):
    def __init__(self, dim_out: int):
        super().__init__()
        self.conv, self.norm, self.activation = Conv2plus1d(3, dim_out), _bn(dim_out), nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.activation(self.norm(self.conv(x)))


class Bottleneck(nn.Module):
    """1×1×1 → depthwise 3×3×3 (+ SE) with Swish → 1×1×1."""

    def __init__(self, dim_in: int, dim_inner: int, dim_out: int, stride: int, se: bool):
        super().__init__()
        self.conv_a, self.norm_a, self.act_a = nn.Conv3d(dim_in, dim_inner, 1, bias=False), _bn(dim_inner), nn.ReLU()
        self.conv_b = nn.Conv3d(dim_inner, dim_inner, 3, stride=(1, stride, stride), padding=1, groups=dim_inner,
                                bias=False)
        self.norm_b = nn.Sequential(_bn(dim_inner), SqueezeExcitation(dim_inner, round_width(dim_inner, SE_RATIO))
                                    if se else nn.Identity())
        self.act_b = Swish()
        self.conv_c, self.norm_c = nn.Conv3d(dim_inner, dim_out, 1, bias=False), _bn(dim_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act_a(self.norm_a(self.conv_a(x)))
        x = self.act_b(self.norm_b(self.conv_b(x)))
        return self.norm_c(self.conv_c(x))


class ResBlock(nn.Module):
    def __init__(self, dim_in: int, dim_inner: int, dim_out: int, stride: int, se: bool):
        super().__init__()
        if dim_in != dim_out or stride > 1:
            self.branch1_conv = nn.Conv3d(dim_in, dim_out, 1, stride=(1, stride, stride), bias=False)
        if dim_in != dim_out:
            self.branch1_norm = _bn(dim_out)
        self.branch2, self.activation = Bottleneck(dim_in, dim_inner, dim_out, stride, se), nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x
        if hasattr(self, "branch1_conv"):
            shortcut = self.branch1_conv(x)
        if hasattr(self, "branch1_norm"):
            shortcut = self.branch1_norm(shortcut)
        return self.activation(shortcut + self.branch2(x))


class ResStage(nn.Module):
    def __init__(self, blocks: list[ResBlock]):
        super().__init__()
        self.res_blocks = nn.ModuleList(blocks)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.res_blocks:
            x = block(x)
        return x


class ProjectedPool(nn.Module):
    def __init__(self, dim_in: int, dim_inner: int, dim_out: int):
        super().__init__()
        self.pre_conv, self.pre_norm, self.pre_act = nn.Conv3d(dim_in, dim_inner, 1, bias=False), _bn(dim_inner), \
            nn.ReLU()
        self.pool = nn.AdaptiveAvgPool3d(1)
        self.post_conv, self.post_act = nn.Conv3d(dim_inner, dim_out, 1, bias=False), nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(self.pre_act(self.pre_norm(self.pre_conv(x))))
        return self.post_act(self.post_conv(x))


class Head(nn.Module):
    def __init__(self, dim_in: int, dim_inner: int, n_classes: int, dropout: float):
        super().__init__()
        self.pool = ProjectedPool(dim_in, dim_inner, HEAD_DIM)
        self.dropout = nn.Dropout(dropout)
        self.proj = nn.Linear(HEAD_DIM, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(self.dropout(self.pool(x).flatten(1)))


class X3D(nn.Module):
    """[B, 3, T, H, W] → [B, n_classes] logits; ``blocks`` = stem, four stages, head (pytorchvideo's layout)."""

    memory_format = torch.channels_last_3d

    def __init__(self, n_classes: int, size: str = "M", mlp_head: bool = False, dropout: float = DROPOUT):
        super().__init__()
        if size not in SIZES:
            raise ValueError(f"unknown X3D size {size!r}; choose one of {', '.join(SIZES)}")
        depth_factor = SIZES[size][0]
        dim_in = round_width(STEM_DIM, WIDTH)
        blocks: list[nn.Module] = [Stem(dim_in)]
        stage_dim = STEM_DIM
        for i, depth in enumerate(STAGE_DEPTHS):
            if i:
                stage_dim = round_width(stage_dim, 2.0)
            dim_out = round_width(stage_dim, WIDTH)
            dim_inner = int(BOTTLENECK * dim_out)
            n_blocks = int(math.ceil(depth_factor * depth))
            blocks.append(ResStage([ResBlock(dim_in if b == 0 else dim_out, dim_inner, dim_out, 2 if b == 0 else 1,
                                             se=(b + 1) % 2 == 1) for b in range(n_blocks)]))
            dim_in = dim_out
        self.feature_dim, self.dropout = HEAD_DIM, dropout
        blocks.append(Head(dim_in, dim_inner, n_classes, dropout))
        self.blocks = nn.ModuleList(blocks)
        self.replace_head(n_classes, mlp_head)

    def replace_head(self, n_classes: int, mlp: bool = False) -> None:
        from .tsm import make_head
        self.blocks[-1].proj = make_head(HEAD_DIM, n_classes, mlp)

    def swap_head(self, head: nn.Module) -> nn.Module:
        """Put ``head`` in the classifier's place; returns the classifier it replaced."""
        old, self.blocks[-1].proj = self.blocks[-1].proj, head
        return old

    @property
    def channels_last(self) -> bool:
        return weights_in(self, self.memory_format)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.channels_last:
            x = x.contiguous(memory_format=self.memory_format)
        for block in self.blocks:
            x = block(x)
        return x

"""torchvision's video models (3-D CNNs and video transformers) behind the registry's interface: clips
[B, C, T, H, W] → logits, ``feature_dim``, ``replace_head``. Their Kinetics-400 weights are torchvision
``state_dict`` files, whose keys are these models' keys under ``net.``."""
import torch
from torch import nn
from torchvision.models import video

from .memory_format import weights_in
from .tsm import MLP_HIDDEN

# name → (attribute path of the classifier, preferred memory format of the weights on CUDA)
TORCHVISION = {
    "r3d_18": ("fc", torch.channels_last_3d),
    "mc3_18": ("fc", torch.channels_last_3d),
    "r2plus1d_18": ("fc", torch.channels_last_3d),
    "s3d": ("classifier.1", torch.channels_last_3d),
    "mvit_v1_b": ("head.1", None),
    "mvit_v2_s": ("head.1", None),
    "swin3d_t": ("head", None),
    "swin3d_s": ("head", None),
    "swin3d_b": ("head", None),
}
KINETICS_PREFIX = "net."


def _head(dim: int, n_classes: int, mlp: bool, conv: bool) -> nn.Module:
    """Linear (or 1×1×1 convolution, for S3D's convolutional classifier) to ``n_classes``; with ``mlp`` a
    hidden layer of 512 and SiLU first, as TSM's projection head."""
    layer = (lambda i, o: nn.Conv3d(i, o, 1)) if conv else nn.Linear
    if mlp:
        return nn.Sequential(layer(dim, MLP_HIDDEN), nn.SiLU(), layer(MLP_HIDDEN, n_classes))
    return layer(dim, n_classes)


class TorchvisionVideo(nn.Module):
    def __init__(self, name: str, n_classes: int, mlp_head: bool = False):
        super().__init__()
        self.name = name
        self.net = getattr(video, name)(weights=None)
        self.head_path, self.memory_format = TORCHVISION[name]
        old = self.net.get_submodule(self.head_path)
        self.conv_head = isinstance(old, nn.Conv3d)
        self.feature_dim = old.in_channels if self.conv_head else old.in_features
        self.replace_head(n_classes, mlp_head)

    def replace_head(self, n_classes: int, mlp: bool = False) -> None:
        self.swap_head(_head(self.feature_dim, n_classes, mlp, self.conv_head))

    def swap_head(self, head: nn.Module) -> nn.Module:
        """Put ``head`` in the classifier's place; returns the classifier it replaced."""
        parent, _, name = self.head_path.rpartition(".")
        owner = self.net.get_submodule(parent) if parent else self.net
        old = getattr(owner, name)
        setattr(owner, name, head)
        return old

    @property
    def channels_last(self) -> bool:
        return weights_in(self.net, self.memory_format)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.channels_last:
            x = x.contiguous(memory_format=self.memory_format)
        return self.net(x)

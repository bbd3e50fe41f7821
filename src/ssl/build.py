"""The encoder inside a self-supervised model, and the encoder a fine-tuning starts from (docs/training.md,
"Self-supervised pre-training")."""
import copy

from torch import nn


def encoder_of(model: nn.Module) -> nn.Module:
    """The encoder a fine-tuning starts from: MoCo's query encoder, BYOL's online encoder, SimCLR's encoder."""
    for name in ("encoder_q", "online", "encoder"):
        if hasattr(model, name):
            return getattr(model, name)
    raise TypeError(f"{type(model).__name__} is not a self-supervised model")


def fine_tuning_encoder(model: nn.Module, n_classes: int) -> nn.Module:
    """A trainable copy of the encoder with the projector replaced by Linear(feature_dim, n_classes)."""
    encoder = copy.deepcopy(encoder_of(model))
    encoder.replace_head(n_classes)
    for p in encoder.parameters():
        p.requires_grad_(True)
    return encoder

"""Self-supervised models around an encoder, and the encoder a fine-tuning starts from (docs/training.md,
"Self-supervised pre-training")."""
import copy
from typing import Callable

from torch import nn
from yacs.config import CfgNode

from .byol import BYOL
from .moco import MoCo
from .simclr import SimCLR

# make_encoder(output dimension, MLP projection head?) -> a backbone from the model registry
EncoderFactory = Callable[[int, bool], nn.Module]


def ssl_model(cfg: CfgNode, make_encoder: EncoderFactory, total_steps: int) -> nn.Module:
    """MoCo, BYOL or SimCLR (``cfg.TRAIN.SSL_SCHEME``, head sizes from its section) around ``make_encoder``."""
    scheme = cfg.TRAIN.SSL_SCHEME
    if scheme == "moco":
        m = cfg.MOCO
        return MoCo(make_encoder(m.DIM, m.MLP_HEAD), m.DIM, m.K, m.M, m.T)
    if scheme == "byol":
        b = cfg.BYOL
        return BYOL(make_encoder(b.D_OUTPUT, True), b.D_OUTPUT, b.D_HIDDEN, b.EMA_WEIGHT, total_steps)
    if scheme == "simclr":
        s = cfg.SIMCLR
        return SimCLR(make_encoder(s.DIM, s.MLP_HEAD), s.T)
    raise ValueError(f"unknown TRAIN.SSL_SCHEME {scheme!r}; choose moco, byol or simclr")


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

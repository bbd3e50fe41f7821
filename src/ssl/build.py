"""Self-supervised models from a configuration, and their encoders for fine-tuning (spec/training.md §10, §11)."""
import copy

import torch
import torch.nn.functional as nnf
from torch import nn
from yacs.config import CfgNode

from ..models.tsm import TSM
from ..train.metrics import topk_correct
from .byol import BYOL, byol_loss
from .moco import MoCo
from .simclr import SimCLR


def ssl_model(cfg: CfgNode, total_steps: int, base: str | None = None, clip_length: int | None = None) -> nn.Module:
    """MoCo, BYOL or SimCLR around a TSM encoder with an MLP (or linear) projection head."""
    base, clip_length = base or cfg.MODEL.TSM_BASE, clip_length or cfg.DATA.CLIP_LENGTH
    scheme = cfg.TRAIN.SSL_SCHEME.lower()
    if scheme == "moco":
        m = cfg.MOCO
        return MoCo(TSM(m.DIM, clip_length, base, m.MLP_HEAD), m.DIM, m.K, m.M, m.T)
    if scheme == "byol":
        b = cfg.BYOL
        return BYOL(TSM(b.D_OUTPUT, clip_length, base, mlp_head=True), b.D_OUTPUT, b.D_HIDDEN, b.EMA_WEIGHT,
                    total_steps)
    s = cfg.SIMCLR
    return SimCLR(TSM(s.DIM, clip_length, base, s.MLP_HEAD), s.T)


def encoder_of(model: nn.Module) -> TSM:
    """The encoder a fine-tuning starts from: MoCo's query encoder, BYOL's online encoder, SimCLR's encoder."""
    for name in ("encoder_q", "online", "encoder"):
        if hasattr(model, name):
            return getattr(model, name)
    raise TypeError(f"{type(model).__name__} is not a self-supervised model")


def fine_tuning_encoder(model: nn.Module, n_classes: int) -> TSM:
    """A trainable copy of the encoder with the projector replaced by Linear(feature_dim, n_classes)."""
    encoder = copy.deepcopy(encoder_of(model))
    encoder.replace_head(n_classes)
    for p in encoder.parameters():
        p.requires_grad_(True)
    return encoder


def ssl_loss(scheme: str, outputs: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, dict[str, int]]:
    """Loss and, for MoCo and SimCLR, top-1/top-5 hits of the instance discrimination."""
    if scheme == "byol":
        return byol_loss(outputs, targets), {}
    acc1, acc5 = topk_correct(outputs.detach().float(), targets)
    return nnf.cross_entropy(outputs.float(), targets), {"acc1": acc1, "acc5": acc5}

"""Optimisers without weight decay on 1-D parameters, and the warm-up + cosine/step/linear schedules
(spec/training.md §5, §6) as a torch LambdaLR evaluated per optimisation step."""
import math

import torch
from torch import nn
from torch.optim.lr_scheduler import LambdaLR
from yacs.config import CfgNode


def param_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """Trainable parameters: 1-D ones and biases without decay, the rest with ``weight_decay``."""
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if p.requires_grad:
            (no_decay if p.ndim <= 1 or name.endswith(".bias") else decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def build_optimizer(cfg: CfgNode, model: nn.Module) -> torch.optim.Optimizer:
    groups, t = param_groups(model, cfg.TRAIN.WEIGHT_DECAY), cfg.TRAIN
    if t.OPTIMIZER.NAME == "sgd":
        return torch.optim.SGD(groups, lr=t.LR_BASE, momentum=t.OPTIMIZER.MOMENTUM, nesterov=True)
    if t.OPTIMIZER.NAME == "adam":
        return torch.optim.Adam(groups, lr=t.LR_BASE)
    return torch.optim.AdamW(groups, lr=t.LR_BASE, betas=tuple(t.OPTIMIZER.BETAS), eps=t.OPTIMIZER.EPS)


def learning_rate(cfg: CfgNode, steps_per_epoch: int, t: int) -> float:
    """The learning rate of global step ``t``."""
    tr = cfg.TRAIN
    eta, eta_w, eta_min = tr.LR_BASE, tr.LR_WARMUP, tr.LR_MIN
    t_total = math.floor(tr.EPOCHS * steps_per_epoch)
    t_warm = math.floor(tr.EPOCHS_WARMUP * steps_per_epoch)
    if t < t_warm:
        return eta_w + t * (eta - eta_w) / t_warm
    name = tr.LR_SCHEDULER.NAME
    if name == "step":
        t_decay = max(1, math.floor(tr.LR_SCHEDULER.EPOCHS_DECAY * steps_per_epoch))
        return eta * tr.LR_SCHEDULER.DECAY_RATE ** (t // t_decay)
    if name == "linear":
        return eta - 0.99 * eta * (t - t_warm) / max(1, t_total - t_warm)
    if t >= t_total:
        return eta_min
    return eta_min + 0.5 * (eta - eta_min) * (1 + math.cos(math.pi * t / t_total))


def build_scheduler(cfg: CfgNode, optimizer: torch.optim.Optimizer, steps_per_epoch: int) -> LambdaLR:
    """Step s trains with the rate of t = s (the original lagged one step behind, spec §15)."""
    for group in optimizer.param_groups:
        group["lr"] = group["initial_lr"] = cfg.TRAIN.LR_BASE
    return LambdaLR(optimizer, lambda t: learning_rate(cfg, steps_per_epoch, t) / cfg.TRAIN.LR_BASE)

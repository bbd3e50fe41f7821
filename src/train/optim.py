"""Optimisers without weight decay on 1-D parameters, and the warm-up + cosine/step/linear schedules
(docs/training.md, "Schedules") as a torch LambdaLR evaluated per optimisation step."""
import math

import torch
from torch import nn
from torch.optim.lr_scheduler import LambdaLR
from yacs.config import CfgNode

from .plan import Plan


def param_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """Trainable parameters: 1-D ones and biases without decay, the rest with ``weight_decay``."""
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if p.requires_grad:
            (no_decay if p.ndim <= 1 or name.endswith(".bias") else decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def build_optimizer(cfg: CfgNode, plan: Plan, model: nn.Module, fused: bool = False) -> torch.optim.Optimizer:
    """``fused`` (on CUDA): one kernel per step, and a GradScaler hands it the inf check instead of reading it on
    the host every step."""
    groups, t = param_groups(model, cfg.TRAIN.WEIGHT_DECAY), cfg.TRAIN
    if t.OPTIMIZER.NAME == "sgd":
        return torch.optim.SGD(groups, lr=plan.lr_base, momentum=t.OPTIMIZER.MOMENTUM, nesterov=True, fused=fused)
    if t.OPTIMIZER.NAME == "adam":
        return torch.optim.Adam(groups, lr=plan.lr_base, betas=tuple(t.OPTIMIZER.BETAS), eps=t.OPTIMIZER.EPS,
                                fused=fused)
    return torch.optim.AdamW(groups, lr=plan.lr_base, betas=tuple(t.OPTIMIZER.BETAS), eps=t.OPTIMIZER.EPS,
                             fused=fused)


def learning_rate(cfg: CfgNode, plan: Plan, steps_per_epoch: int, t: int) -> float:
    """The learning rate of global step ``t``."""
    tr = cfg.TRAIN
    eta, eta_w, eta_min = plan.lr_base, plan.lr_warmup, plan.lr_min
    t_total = math.floor(tr.EPOCHS * steps_per_epoch)
    t_warm = math.floor(plan.warmup_epochs * steps_per_epoch)
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


def build_scheduler(cfg: CfgNode, plan: Plan, optimizer: torch.optim.Optimizer, steps_per_epoch: int) -> LambdaLR:
    """Step s trains with the rate of t = s."""
    for group in optimizer.param_groups:
        group["lr"] = group["initial_lr"] = plan.lr_base
    return LambdaLR(optimizer, lambda t: learning_rate(cfg, plan, steps_per_epoch, t) / plan.lr_base)

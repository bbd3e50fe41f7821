"""Files as the original fractal pre-training project writes them: a real yacs CfgNode in a real torch.save."""
from collections import OrderedDict

import torch
from torch import nn
from yacs.config import CfgNode


def original_config(mode="supervised", arch="tsm", base="resnet50", x3d_size="L", n_classes=3, scheme="moco",
                    clip_length=4) -> CfgNode:
    """A configuration as the original's scripts store it: its sections, the keys its scripts add, frozen."""
    cfg = CfgNode(new_allowed=True)
    cfg.DATA = CfgNode({"IMG_SIZE": 112, "CLIP_LENGTH": clip_length, "N_CHANNELS": 3, "ROOT": "data",
                        "DATASET": "fractal", "EXTENSION": "mp4", "BATCH_SIZE": 32})
    cfg.TRAIN = CfgNode({"OUTPUT": "out", "MODE": mode, "SSL_SCHEME": scheme, "EPOCHS": 100, "TIME_LIMIT": None,
                         "INIT_SSL": None, "INIT_SUP": None, "AMP": True,
                         "OPTIMIZER": CfgNode({"NAME": "adamw", "BETAS": (0.9, 0.999), "EPS": 1e-8})})
    cfg.MODEL = CfgNode({"RESUME": None, "ARCH": arch, "KINETICS": None, "X3D_SIZE": x3d_size, "TSM_BASE": base,
                         "N_CLASSES": n_classes})
    cfg.MOCO = CfgNode({"DIM": 16, "K": 32, "M": 0.999, "T": 0.07, "MLP_HEAD": True})
    cfg.SIMCLR = CfgNode({"DIM": 16, "T": 0.1, "MLP_HEAD": True})
    cfg.BYOL = CfgNode({"D_OUTPUT": 16, "D_HIDDEN": 32, "EMA_WEIGHT": 0.997})
    cfg.STEPS_PER_EPOCH = 10
    cfg.freeze()
    return cfg


def write_original(path, weights: dict, config: CfgNode, epoch: int = 99):
    """A file as the original's save_checkpoint writes it (timm's scheduler state is a dict of plain values)."""
    params = [nn.Parameter(torch.randn(3))]
    optimizer = torch.optim.AdamW(params, lr=1e-3)
    params[0].grad = torch.ones(3)
    optimizer.step()
    torch.save({"model": OrderedDict(weights), "optimizer": optimizer.state_dict(),
                "lr_scheduler": {"t_initial": 1000, "lr_min": 1e-5, "warmup_t": 100, "base_values": [1e-3],
                                 "noise_range_t": None, "t_in_epochs": False},
                "epoch": epoch, "config": config,
                "scaler": {"scale": 65536.0, "growth_factor": 2.0, "backoff_factor": 0.5, "growth_interval": 2000,
                           "_growth_tracker": 0}}, path)
    return path

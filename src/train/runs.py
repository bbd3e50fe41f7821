"""Start of a training run shared by the scripts: output folder, log and config dump; model placement."""
from pathlib import Path

import torch
from torch.nn.parallel import DistributedDataParallel
from yacs.config import CfgNode

from .logs import make_logger
from .runtime import Runtime


def prepare_output(cfg: CfgNode, rt: Runtime, config_name: str = "config.yaml"):
    """Create TRAIN.OUTPUT, open the log, write the configuration as YAML."""
    output = Path(cfg.TRAIN.OUTPUT)
    output.mkdir(parents=True, exist_ok=True)
    logger = make_logger(output, rt.main)
    logger.info(f"device {rt.device} (world size {rt.world}, AMP {rt.amp_dtype})")
    if rt.main:
        (output / config_name).write_text(cfg.dump())
        logger.info(f"config written to {output / config_name}:\n{cfg.dump()}")
    return logger


def wrap(model: torch.nn.Module, cfg: CfgNode, rt: Runtime) -> torch.nn.Module:
    """Move to the device (channels-last on CUDA), SyncBN and DDP when distributed, torch.compile when asked."""
    if rt.world > 1 and cfg.TRAIN.SYNC_BN:
        if rt.device.type != "cuda":
            raise ValueError("TRAIN.SYNC_BN needs CUDA devices (PyTorch's SyncBatchNorm); drop it for CPU runs")
        model = torch.nn.SyncBatchNorm.convert_sync_batchnorm(model)
    model = model.to(rt.device)
    if rt.device.type == "cuda" and cfg.TRAIN.CHANNELS_LAST:
        model = model.to(memory_format=torch.channels_last)
        model.channels_last = True
    if rt.world > 1:
        model = DistributedDataParallel(model, device_ids=[rt.device.index] if rt.device.type == "cuda" else None)
    if cfg.TRAIN.COMPILE:
        model = torch.compile(model)
    return model

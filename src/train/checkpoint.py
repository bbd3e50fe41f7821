"""Checkpoints of plain tensors and the configuration as YAML text: ``torch.load(weights_only=True)`` reads them
(spec/training.md §9; the original pickled the config object)."""
from pathlib import Path

import torch
from yacs.config import CfgNode

from ..utils.atomic import atomic_path

PATTERN = "ckpt_epoch_*.pth"


class CheckpointError(ValueError):
    """A file that is not a usable checkpoint."""


def save(output: Path, epoch: int, cfg: CfgNode, model: torch.nn.Module, optimizer=None, scheduler=None,
         scaler=None, keep: int | None = None) -> Path:
    """Write ``OUTPUT/ckpt_epoch_<epoch>.pth`` atomically; keep only the ``keep`` newest checkpoints."""
    state = {"model": model.state_dict(), "epoch": epoch, "config": cfg.dump()}
    if optimizer is not None:
        state["optimizer"] = optimizer.state_dict()
    if scheduler is not None:
        state["scheduler"] = scheduler.state_dict()
    if scaler is not None and scaler.is_enabled():
        state["scaler"] = scaler.state_dict()
    path = output / f"ckpt_epoch_{epoch}.pth"
    with atomic_path(path) as tmp:
        torch.save(state, tmp)
    if keep and keep > 0:
        for old in sorted(output.glob(PATTERN), key=lambda p: p.stat().st_mtime)[:-keep]:
            old.unlink()
    return path


def load(path: str | Path) -> dict:
    """Read a checkpoint with ``weights_only=True``; CheckpointError if it is not one of ours."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:
        raise CheckpointError(f"{path} cannot be read as a checkpoint ({type(e).__name__}: "
                              f"{str(e).splitlines()[0][:120] if str(e) else ''})") from None
    if not isinstance(state, dict) or "model" not in state:
        raise CheckpointError(f"{path} is not a checkpoint of this project (no 'model' entry)")
    return state


def stored_config(state: dict) -> CfgNode:
    return CfgNode.load_cfg(state["config"])

"""Values derived from the configuration and the data. They are never written back into the configuration, so
``OUTPUT/config.yaml`` stays what the user asked for."""
import os
from dataclasses import dataclass

from yacs.config import CfgNode

from .config import time_limit_seconds

BATCH_REFERENCE = 32  # LR_BASE, LR_WARMUP and LR_MIN are given for this batch size
WARMUP_SHARE = 0.2  # a warm-up longer than this share of the run is shortened to it


@dataclass
class Plan:
    lr_base: float
    lr_warmup: float
    lr_min: float
    warmup_epochs: float
    time_limit: int  # seconds; 0: none
    start_epoch: int
    n_classes: int = 0
    steps_per_epoch: int = 0

    def notes(self, cfg: CfgNode) -> list[str]:
        """What the log should say about the derived values."""
        world = int(os.environ.get("WORLD_SIZE", "1"))
        out = [f"learning rates scaled by DATA.BATCH_SIZE/{BATCH_REFERENCE}: base {self.lr_base:.3g}, "
               f"warm-up {self.lr_warmup:.3g}, min {self.lr_min:.3g}"
               + (f" (the per-process batch, as the original does; the global batch is "
                  f"{cfg.DATA.BATCH_SIZE} x {world} = {cfg.DATA.BATCH_SIZE * world})" if world > 1 else "")]
        if self.warmup_epochs < cfg.TRAIN.EPOCHS_WARMUP:
            out.append(f"warm-up shortened from TRAIN.EPOCHS_WARMUP {cfg.TRAIN.EPOCHS_WARMUP} to "
                       f"{self.warmup_epochs:g} epochs ({WARMUP_SHARE:.0%} of TRAIN.EPOCHS {cfg.TRAIN.EPOCHS}) so "
                       "the learning rate reaches its base")
        return out


def derive(cfg: CfgNode) -> Plan:
    scale = cfg.DATA.BATCH_SIZE / BATCH_REFERENCE
    warmup = min(float(cfg.TRAIN.EPOCHS_WARMUP), WARMUP_SHARE * cfg.TRAIN.EPOCHS)
    return Plan(cfg.TRAIN.LR_BASE * scale, cfg.TRAIN.LR_WARMUP * scale, cfg.TRAIN.LR_MIN * scale, warmup,
                time_limit_seconds(cfg), cfg.TRAIN.EPOCH_START)

"""The training engine shared by supervised and self-supervised training (spec/training.md §7, §9, §11):
epochs of optimisation steps with AMP and gradient clipping, checkpoints, resume, time limit, logs."""
import time
from dataclasses import dataclass
from logging import Logger
from pathlib import Path
from typing import Callable

import torch
from tqdm import tqdm
from yacs.config import CfgNode

from . import checkpoint
from .logs import Metrics
from .metrics import Mean
from .runtime import Runtime, all_reduce_sum

# step_fn(batch, step) -> (loss, batch size, {name: number of hits}) ; evaluate() -> {name: value}
StepFn = Callable[[tuple, int], tuple[torch.Tensor, int, dict[str, int]]]


@dataclass
class Session:
    cfg: CfgNode
    rt: Runtime
    model: torch.nn.Module  # the module being optimised (DDP-wrapped when distributed)
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    scaler: torch.amp.GradScaler
    logger: Logger

    @property
    def output(self) -> Path:
        return Path(self.cfg.TRAIN.OUTPUT)

    @property
    def bare_model(self) -> torch.nn.Module:
        return getattr(self.model, "module", self.model)


def resume(s: Session, state: dict, path: str) -> None:
    """Load model, optimiser, scheduler and scaler states (``state``, read from ``path`` with ``checkpoint.load``
    before anything was written); the run continues after the saved epoch."""
    result = s.bare_model.load_state_dict(state["model"], strict=False)
    s.logger.info(f"resumed model from {path}: {result}")
    if "optimizer" in state and "scheduler" in state:
        s.optimizer.load_state_dict(state["optimizer"])
        s.scheduler.load_state_dict(state["scheduler"])
        s.cfg.defrost()
        s.cfg.TRAIN.EPOCH_START = int(state["epoch"]) + 1
        s.cfg.freeze()
    if "scaler" in state and s.scaler.is_enabled():
        s.scaler.load_state_dict(state["scaler"])


def train_epoch(s: Session, batches, step_fn: StepFn, epoch: int, steps_per_epoch: int) -> dict[str, float]:
    """One epoch; returns the loss and hit rates (percent) averaged over every sample of every rank."""
    cfg, model = s.cfg, s.model
    model.train()
    batches.set_epoch(epoch)
    torch.manual_seed(cfg.SEED * 1_000_003 + epoch * 1009 + s.rt.rank)  # augmentation randomness of this epoch
    loss_mean, hits, seen = Mean(), {}, 0
    bar = tqdm(batches, total=steps_per_epoch, desc=f"epoch {epoch}", disable=not s.rt.main, dynamic_ncols=True,
               leave=False)
    for i, batch in enumerate(bar):
        step = epoch * steps_per_epoch + i
        s.optimizer.zero_grad(set_to_none=True)
        loss, n, batch_hits = step_fn(batch, step)
        s.scaler.scale(loss).backward()
        if cfg.TRAIN.CLIP_GRAD:
            s.scaler.unscale_(s.optimizer)
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.TRAIN.CLIP_GRAD)
        s.scaler.step(s.optimizer)
        s.scaler.update()
        s.scheduler.step()
        loss_mean.add(loss.item(), n)
        seen += n
        for k, v in batch_hits.items():
            hits[k] = hits.get(k, 0) + v
        bar.set_postfix(loss=f"{loss_mean.value:.4f}", lr=f"{s.optimizer.param_groups[0]['lr']:.2e}")
    keys = sorted(hits)
    totals = all_reduce_sum([loss_mean.total, float(seen)] + [float(hits[k]) for k in keys], s.rt)
    out = {"loss": totals[0] / max(1, totals[1])}
    out.update({k: 100 * v / max(1, totals[1]) for k, v in zip(keys, totals[2:])})
    return out


def fit(s: Session, batches, step_fn: StepFn, evaluate: Callable[[], dict] | None = None) -> None:
    """Train from TRAIN.EPOCH_START to TRAIN.EPOCHS (or the time limit), checkpointing and validating on schedule."""
    cfg, log = s.cfg, s.logger
    steps_per_epoch = len(batches)
    metrics = Metrics(s.output, cfg.TRAIN.EPOCH_START) if s.rt.main else None
    log.info(f"training epochs {cfg.TRAIN.EPOCH_START}..{cfg.TRAIN.EPOCHS - 1}, {steps_per_epoch} steps per epoch")
    start, durations = time.time(), []
    for epoch in range(cfg.TRAIN.EPOCH_START, cfg.TRAIN.EPOCHS):
        t0 = time.time()
        stats = train_epoch(s, batches, step_fn, epoch, steps_per_epoch)
        durations.append(time.time() - t0)
        lr = s.optimizer.param_groups[0]["lr"]
        log.info("-" * 40)
        log.info(f"EPOCH [{epoch}/{cfg.TRAIN.EPOCHS}] " + " ".join(f"{k.upper()} {v:.4f}" for k, v in stats.items())
                 + f" TIME {durations[-1]:.1f}s LR {lr:.3e}")
        last = epoch == cfg.TRAIN.EPOCHS - 1 or bool(cfg.TRAIN.TIME_LIMIT and time.time() - start >= cfg.TRAIN.TIME_LIMIT)
        if s.rt.main and ((epoch + 1) % cfg.TRAIN.EPOCHS_SAVE == 0 or last):
            path = checkpoint.save(s.output, epoch, cfg, s.bare_model, s.optimizer, s.scheduler, s.scaler,
                                   keep=cfg.TRAIN.N_CHECK)
            log.info(f"saved {path}")
        val = {}
        if evaluate is not None and ((epoch + 1) % cfg.TRAIN.EPOCHS_EVAL == 0 or last):
            val = evaluate()
            log.info(" ".join(f"{k.upper()} {v:.2f}" for k, v in val.items()))
        if metrics is not None:
            metrics.add(epoch, {"lr": lr, **{f"train_{k}": v for k, v in stats.items()}, **val,
                                "seconds": round(durations[-1], 1)}, (epoch + 1) * steps_per_epoch)
        remaining = cfg.TRAIN.EPOCHS - epoch - 1
        log.info(f"elapsed {time.time() - start:.0f}s, ETA {sum(durations) / len(durations) * remaining:.0f}s")
        if last:
            break
    if metrics is not None:
        log.info(f"curves: {metrics.plot()}")
        metrics.close()
    log.info(f"training took {time.time() - start:.0f}s")


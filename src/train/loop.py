"""Epochs of optimisation steps with AMP and gradient clipping; validation, metrics and checkpoints on schedule;
the time limit. Every rank takes the same decisions (skip a batch, stop), so DDP never waits on a missing rank."""
import time
from dataclasses import dataclass
from logging import Logger
from pathlib import Path
from typing import Callable

import torch
from yacs.config import CfgNode

from ..data.video_files import DatasetError
from . import checkpoint
from ..utils.progress import progress
from .logs import Metrics
from .plan import Plan
from .runtime import Runtime, all_ranks, any_rank, all_reduce_sum

# {name: (hits, rows)}: how many of ``rows`` predictions were right (a device tensor: counting never syncs)
Hits = dict[str, tuple[torch.Tensor, int]]
# step_fn(batch, step) -> (loss, batch size, hits)
StepFn = Callable[[tuple, int], tuple[torch.Tensor, int, Hits]]


@dataclass
class Session:
    cfg: CfgNode
    plan: Plan
    rt: Runtime
    model: torch.nn.Module  # the module being optimised (DDP- or compile-wrapped when asked)
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    scaler: torch.amp.GradScaler
    logger: Logger
    meta: dict  # what the checkpoints say about the weights (task, arch, classes)

    @property
    def output(self) -> Path:
        return Path(self.cfg.TRAIN.OUTPUT)

    def restore(self, state: dict) -> None:
        """Optimiser, scheduler and scaler states of a checkpoint (its weights are already loaded)."""
        if "optimizer" in state and "scheduler" in state:
            self.optimizer.load_state_dict(state["optimizer"])
            self.scheduler.load_state_dict(state["scheduler"])
        if "scaler" in state and self.scaler.is_enabled():
            self.scaler.load_state_dict(state["scaler"])

    def save(self, epoch: int) -> Path:
        return checkpoint.save(self.output, epoch, self.cfg, self.model, self.meta, self.optimizer, self.scheduler,
                               self.scaler, keep=self.cfg.TRAIN.N_CHECK)


def train_epoch(s: Session, batches, step_fn: StepFn, epoch: int) -> dict[str, float]:
    """One epoch; returns the loss and hit rates (percent) averaged over every sample of every rank."""
    cfg, model, steps_per_epoch = s.cfg, s.model, s.plan.steps_per_epoch
    model.train()
    batches.set_epoch(epoch)
    torch.manual_seed(cfg.SEED * 1_000_003 + epoch * 1009 + s.rt.rank)  # augmentation randomness of this epoch
    loss_sum, seen = torch.zeros((), dtype=torch.float64, device=s.rt.device), 0
    hits: dict[str, torch.Tensor] = {}
    rows: dict[str, int] = {}
    bar = progress(batches, steps_per_epoch, desc=f"epoch {epoch}", disable=not s.rt.main, leave=False)
    for i, batch in enumerate(bar):
        if batches.may_skip and not all_ranks(batch is not None, s.rt):  # every video failed, on any rank
            continue
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
        loss_sum += loss.detach().double() * n
        seen += n
        for k, (h, r) in batch_hits.items():
            hits[k], rows[k] = hits.get(k, 0) + h, rows.get(k, 0) + r
        if s.rt.main and (i + 1) % cfg.TRAIN.PRINT_FREQ == 0:
            bar.set_postfix(loss=f"{loss_sum.item() / seen:.4f}", lr=f"{s.optimizer.param_groups[0]['lr']:.2e}")
    keys = sorted(hits)
    totals = all_reduce_sum([loss_sum.item(), float(seen)] + [v for k in keys for v in (float(hits[k]), rows[k])],
                            s.rt)
    if totals[1] == 0:  # every rank's batches failed: an epoch of nothing is no result
        raise DatasetError(f"epoch {epoch} trained on no clip: every training video failed to decode (see the "
                           "warnings above); repair or re-prepare the dataset")
    out = {"loss": totals[0] / max(1, totals[1])}
    out.update({k: 100 * h / max(1, r) for k, h, r in zip(keys, totals[2::2], totals[3::2])})
    return out


def fit(s: Session, batches, step_fn: StepFn, evaluate: Callable[[], dict] | None = None,
        probe: Callable[[], dict] | None = None) -> None:
    """Train from the plan's start epoch to TRAIN.EPOCHS (or the time limit); validate every TRAIN.EPOCHS_EVAL
    epochs, run the online ``probe`` (every rank) every PROBE.EVERY. Each epoch's metrics row is written before
    its checkpoint, so an interruption never loses a row that a resume would not redo."""
    cfg, plan, log = s.cfg, s.plan, s.logger
    metrics = Metrics(s.output, plan.start_epoch) if s.rt.main else None
    log.info(f"training epochs {plan.start_epoch}..{cfg.TRAIN.EPOCHS - 1}, {plan.steps_per_epoch} steps per epoch")
    start, durations, whole = time.time(), [], []  # training seconds; whole epochs (validation, probe, save)
    for epoch in range(plan.start_epoch, cfg.TRAIN.EPOCHS):
        t0 = t_epoch = time.time()
        stats = train_epoch(s, batches, step_fn, epoch)
        durations.append(time.time() - t0)
        lr = s.optimizer.param_groups[0]["lr"]
        log.info("-" * 40)
        log.info(f"EPOCH [{epoch}/{cfg.TRAIN.EPOCHS}] " + " ".join(f"{k.upper()} {v:.4f}" for k, v in stats.items())
                 + f" TIME {durations[-1]:.1f}s LR {lr:.3e}")
        out_of_time = bool(plan.time_limit) and time.time() - start >= plan.time_limit
        last = epoch == cfg.TRAIN.EPOCHS - 1 or any_rank(out_of_time, s.rt)  # rank 0's clock is not the others'
        if last and epoch < cfg.TRAIN.EPOCHS - 1:
            log.info(f"TRAIN.TIME_LIMIT reached after epoch {epoch}")
        val = {}
        if evaluate is not None and ((epoch + 1) % cfg.TRAIN.EPOCHS_EVAL == 0 or last):
            val = evaluate()
            log.info(" ".join(f"{k.upper()} {v:.2f}" for k, v in val.items()))
        if probe is not None and ((epoch + 1) % cfg.PROBE.EVERY == 0 or last):
            t0 = time.time()
            probed = probe()
            val.update(probed)
            log.info(" ".join(f"{k.upper()} {v:.2f}" for k, v in probed.items()) + f" ({time.time() - t0:.1f}s)")
        if metrics is not None:
            metrics.add(epoch, {"lr": lr, **{f"train_{k}": v for k, v in stats.items()}, **val,
                                "seconds": round(durations[-1], 1)}, (epoch + 1) * plan.steps_per_epoch)
        if s.rt.main and ((epoch + 1) % cfg.TRAIN.EPOCHS_SAVE == 0 or last):
            log.info(f"saved {s.save(epoch)}")
        remaining = cfg.TRAIN.EPOCHS - epoch - 1
        whole.append(time.time() - t_epoch)
        log.info(f"elapsed {time.time() - start:.0f}s, ETA {sum(whole) / len(whole) * remaining:.0f}s")
        if last:
            break
    if metrics is not None:
        log.info(f"curves: {metrics.plot()}")
        metrics.close()
    log.info(f"training took {time.time() - start:.0f}s")

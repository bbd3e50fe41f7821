"""Supervised classification: the task that ``train_sup.py`` runs on the engine."""
import torch.nn.functional as nnf
from yacs.config import CfgNode

from ..data.rendered_source import RenderedSource, classes_digest
from ..data.loaders import make_loader
from ..data.video_files import DatasetError
from ..utils.threads import loader_workers
from . import checkpoint
from .augment import augmentations
from .data import class_names, device_batches, labelled_datasets, render_device, validation_batches
from .engine import TaskData
from .evaluation import evaluate
from .init_weights import supervised_model
from .metrics import topk_correct
from .plan import Plan
from .runtime import Runtime


def class_digest(source) -> str:
    """What rendered classes are (their parameters), so a resume with other class files is refused; '' for files."""
    return classes_digest(source.classes) if isinstance(source, RenderedSource) else ""


class SupervisedTask:
    name = "supervised"

    def data(self, cfg: CfgNode, rt: Runtime) -> TaskData:
        train, val, classes, where = labelled_datasets(cfg)
        if len(train) < cfg.DATA.BATCH_SIZE * rt.world:
            raise DatasetError(f"{where} gives {len(train)} training videos, fewer than one batch "
                               f"(DATA.BATCH_SIZE {cfg.DATA.BATCH_SIZE} x {rt.world} processes); lower DATA.BATCH_SIZE")
        self.val_batches, self.labels = validation_batches(cfg, val), val.labels
        notes = [f"{len(classes)} classes from {where}: {len(train)} training and {len(val)} validation videos, "
                 f"{train.short_videos()} shorter than one clip"]
        if cfg.DATA.RENDER_DEVICE != "cpu":
            device = render_device(cfg, rt)
            notes.append(f"training clips rendered on {device} by the chaos-game kernel; validation clips by the "
                         "loader workers")
            return TaskData(device_batches(cfg, train.source, device, rt.rank, rt.world),
                            class_names(classes), notes, class_digest(train.source))
        batches = make_loader(train, cfg.DATA.BATCH_SIZE, loader_workers(cfg.DATA.TORCH_N_WORKERS), shuffle=True,
                              drop_last=True, seed=cfg.SEED, rank=rt.rank, world=rt.world)
        return TaskData(batches, class_names(classes), notes, class_digest(train.source))

    def model(self, cfg: CfgNode, plan: Plan):
        return supervised_model(cfg, plan.n_classes)

    def step(self, model, cfg: CfgNode, plan: Plan, rt: Runtime):
        augment, mixup = augmentations(cfg, plan.steps_per_epoch)

        def step_fn(batch, step):
            clips, labels = (t.to(rt.device, non_blocking=True) for t in batch)
            if mixup is not None:
                clips = mixup(clips, step)
            clips = augment(clips, step)
            with rt.autocast():
                logits = model(clips)
                loss = nnf.cross_entropy(logits, labels)
            acc1, acc5 = topk_correct(logits.detach(), labels)
            return loss, len(labels), {"acc1": (acc1, len(labels)), "acc5": (acc5, len(labels))}
        return step_fn

    def evaluator(self, model, rt: Runtime):
        if not rt.main:
            return None
        bare = checkpoint.unwrap(model)  # rank 0 alone: no DDP collectives
        return lambda: evaluate(bare, self.val_batches, self.labels, rt)

    def encoder(self, model):
        return checkpoint.unwrap(model)

"""Contrastive pre-training (MoCo, BYOL, SimCLR): the task that ``train_ssl.py`` runs on the engine."""
from pathlib import Path

import torch
import torch.nn.functional as nnf
from yacs.config import CfgNode

from ..data.dataset_folders import unlabelled_set
from ..data.datasets import ContrastivePairs
from ..data.families import SOURCES, classes_for
from ..data.loaders import make_loader
from ..data.video_files import DatasetError
from ..ssl.build import encoder_of
from ..ssl.byol import byol_loss
from ..transform.crops import TrainCrop
from ..utils.threads import loader_workers
from . import checkpoint
from .engine import TaskData
from .init_weights import encoder_factory, ssl_model
from .loop import Hits
from .metrics import topk_correct
from .plan import Plan
from .runtime import Runtime
from .augment import contrastive_transform
from .data import clip_spec, device_batches, render_device, render_settings


def ssl_loss(scheme: str, outputs: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, Hits]:
    """Loss and, for MoCo and SimCLR, top-1/top-5 hits of the instance discrimination, counted over the rows of
    the logits (SimCLR has two per clip pair, one per view)."""
    if scheme == "byol":
        return byol_loss(outputs, targets), {}
    acc1, acc5 = topk_correct(outputs.detach().float(), targets)
    rows = len(targets)
    return nnf.cross_entropy(outputs.float(), targets), {"acc1": (acc1, rows), "acc5": (acc5, rows)}


def contrastive_pairs(cfg: CfgNode) -> tuple[ContrastivePairs, str]:
    """Two views of every video below ROOT/DATASET, or of rendered videos of DATA.SOURCE (fresh samples, or of
    DATA.CLASS_PARAMS)."""
    crop = TrainCrop(cfg.DATA.IMG_SIZE, cfg.AUG.MIN_SCALE, cfg.AUG.INTERP)
    if cfg.DATA.SOURCE != "files":
        classes, _, where = classes_for(cfg.DATA.SOURCE, cfg.DATA.CLASS_PARAMS, labelled=False)
        settings = render_settings(cfg)
        source = SOURCES[cfg.DATA.SOURCE](cfg.DATA.SAMPLES_PER_EPOCH, settings, classes, cfg.SEED,
                                          instances=cfg.DATA.INSTANCES)
        return ContrastivePairs(source, clip_spec(cfg), crop), f"{where}, rendered at {settings.res} px"
    folder = Path(cfg.DATA.ROOT) / cfg.DATA.DATASET
    return unlabelled_set(folder, cfg.DATA.EXTENSION, clip_spec(cfg), crop,
                          workers=loader_workers(cfg.DATA.TORCH_N_WORKERS) or None), str(folder)


class ContrastiveTask:
    name = "contrastive"

    def data(self, cfg: CfgNode, rt: Runtime) -> TaskData:
        pairs, where = contrastive_pairs(cfg)
        global_batch = cfg.DATA.BATCH_SIZE * rt.world
        if len(pairs) < global_batch:
            raise DatasetError(f"{where} has {len(pairs)} videos, fewer than one batch ({global_batch}); "
                               "lower DATA.BATCH_SIZE")
        if cfg.TRAIN.SSL_SCHEME == "moco" and cfg.MOCO.K % global_batch:
            raise DatasetError(f"MOCO.K ({cfg.MOCO.K}) must be a multiple of the batch size ({global_batch} = "
                               f"DATA.BATCH_SIZE x {rt.world} processes)")
        notes = [f"{len(pairs)} videos from {where}, {pairs.short_videos()} shorter than one clip"]
        if cfg.DATA.RENDER_DEVICE != "cpu":
            device = render_device(cfg, rt)
            notes.append(f"clip pairs rendered on {device} by the chaos-game kernel")
            return TaskData(device_batches(cfg, pairs.source, device, rt.rank, rt.world, views=2),
                            [], notes)
        batches = make_loader(pairs, cfg.DATA.BATCH_SIZE, loader_workers(cfg.DATA.TORCH_N_WORKERS), shuffle=True,
                              drop_last=True, seed=cfg.SEED, rank=rt.rank, world=rt.world,
                              complete_only=rt.world > 1)  # MoCo gathers equal-sized key batches across ranks
        return TaskData(batches, [], notes)

    def model(self, cfg: CfgNode, plan: Plan):
        model = ssl_model(cfg, encoder_factory(cfg), max(1, cfg.TRAIN.EPOCHS * plan.steps_per_epoch))
        return model, f"{cfg.TRAIN.SSL_SCHEME} from scratch"

    def step(self, model, cfg: CfgNode, plan: Plan, rt: Runtime):
        transform = contrastive_transform(cfg, plan.steps_per_epoch)
        scheme = cfg.TRAIN.SSL_SCHEME

        def step_fn(batch, step):
            clips, ids = (t.to(rt.device, non_blocking=True) for t in batch[:2])
            q, k = transform(clips, step)
            with rt.autocast():
                outputs, targets = model(q, k, ids, step)
            loss, hits = ssl_loss(scheme, outputs, targets)
            return loss, len(ids), hits
        return step_fn

    def evaluator(self, model, rt: Runtime):
        return None

    def encoder(self, model):
        return encoder_of(checkpoint.unwrap(model))

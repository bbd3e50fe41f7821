"""Supervised training and evaluation (spec/training.md §7, §8): train_sup.py and val_sup.py call into here."""
from pathlib import Path

import torch
import torch.nn.functional as nnf
from yacs.config import CfgNode

from ..data.dataset_folders import labelled_sets
from ..data.datasets import ClipSpec
from ..data.loaders import make_loader
from ..data.online import online_labelled
from ..models.build import supervised_model
from ..models.tsm import TSM
from ..transform.inner import MEAN, STD, TrainCrop, ValResizeCrop
from ..transform.mixup import BackgroundMixup
from ..transform.outer import OuterConfig, OuterTransform
from . import checkpoint, optim
from .loop import Session, fit, resume
from .metrics import topk_correct, video_probabilities
from .runs import prepare_output, wrap
from .runtime import Runtime, setup


def clip_spec(cfg: CfgNode) -> ClipSpec:
    d = cfg.DATA
    return ClipSpec(d.CLIP_LENGTH, d.STRIDE, d.VAL_MIN_STEPS, d.VAL_MAX_SEGS)


def curriculum_steps(cfg: CfgNode, steps_per_epoch: int) -> int:
    return max(1, cfg.AUG.EPOCHS_CURRICULUM * steps_per_epoch)


def labelled_data(cfg: CfgNode, rt: Runtime, need_train_batch: bool = True):
    """Training and validation batches of ROOT/DATASET and the class dictionary."""
    folder = Path(cfg.DATA.ROOT) / cfg.DATA.DATASET
    train_tf = TrainCrop(cfg.DATA.IMG_SIZE, cfg.AUG.MIN_SCALE, cfg.AUG.INTERP)
    val_tf = ValResizeCrop(cfg.DATA.IMG_SIZE, cfg.AUG.CROP_VAL, cfg.AUG.INTERP)
    if cfg.DATA.SOURCE == "fractal":
        folder = Path(cfg.DATA.CLASS_PARAMS or ".")
        train, val, classes = online_labelled(cfg, clip_spec(cfg), train_tf, val_tf)
    else:
        train, val, classes = labelled_sets(folder, cfg.DATA.EXTENSION, clip_spec(cfg), train_tf, val_tf,
                                            workers=cfg.DATA.TORCH_N_WORKERS or None)
    if need_train_batch and len(train) < cfg.DATA.BATCH_SIZE * rt.world:
        raise ValueError(f"{folder} gives {len(train)} training videos, fewer than one batch "
                         f"(DATA.BATCH_SIZE {cfg.DATA.BATCH_SIZE} x {rt.world} processes); lower DATA.BATCH_SIZE")
    workers = cfg.DATA.TORCH_N_WORKERS
    train_batches = make_loader(train, cfg.DATA.BATCH_SIZE, workers, shuffle=True, drop_last=True, seed=cfg.SEED,
                                rank=rt.rank, world=rt.world)
    val_batches = make_loader(val, cfg.DATA.BATCH_SIZE_VAL, min(workers, 2), shuffle=False, concatenate=True)
    return train_batches, val_batches, classes, train


@torch.no_grad()
def evaluate(model: torch.nn.Module, batches, labels: list[int], rt: Runtime, keep: bool = False):
    """Top-1/top-5 over videos (segment softmax averaged per video); with ``keep`` also per-video top-3 rows."""
    model.eval()
    hits1 = hits5 = videos = 0
    rows = []
    for clips, _, ids in batches:
        with rt.autocast():
            logits = model(clips.to(rt.device, non_blocking=True))
        probs, video_ids = video_probabilities(logits, ids.to(rt.device))
        truth = torch.tensor([labels[i] for i in video_ids.tolist()], device=probs.device)
        h1, h5 = topk_correct(probs, truth)
        hits1, hits5, videos = hits1 + h1, hits5 + h5, videos + len(video_ids)
        if keep:
            top3 = probs.topk(min(3, probs.shape[1]), dim=1).indices.tolist()
            rows += [(i, t, *p) for i, t, p in zip(video_ids.tolist(), truth.tolist(), top3)]
    result = {"acc1_val": 100 * hits1 / max(1, videos), "acc5_val": 100 * hits5 / max(1, videos)}
    return (result, rows) if keep else result


def supervised_step(model, outer: OuterTransform, mixup: BackgroundMixup | None, rt: Runtime):
    def step_fn(batch, step):
        clips, labels = (t.to(rt.device, non_blocking=True) for t in batch)
        if mixup is not None:
            clips = mixup(clips, step)
        clips = outer(clips, step)
        with rt.autocast():
            logits = model(clips)
            loss = nnf.cross_entropy(logits, labels)
        acc1, acc5 = topk_correct(logits.detach(), labels)
        return loss, len(labels), {"acc1": acc1, "acc5": acc5}
    return step_fn


def train(cfg: CfgNode) -> None:
    """train_sup.py: set-up order of spec §7, then the shared training loop."""
    rt = setup(cfg)
    train_batches, val_batches, classes, train_set = labelled_data(cfg, rt)
    resume_state = checkpoint.load(cfg.MODEL.RESUME) if cfg.MODEL.RESUME else None
    logger = prepare_output(cfg, rt)  # only once the data and the checkpoint are known to be usable
    logger.info(f"{len(classes)} classes, {len(train_set)} training and {len(val_batches.loader.dataset)} "
                f"validation videos, {train_set.short_videos()} shorter than one clip")
    cfg.defrost()
    cfg.MODEL.N_CLASSES = len(classes)
    cfg.STEPS_PER_EPOCH = len(train_batches)
    cfg.freeze()
    n_steps = curriculum_steps(cfg, len(train_batches))
    outer = OuterTransform(OuterConfig.from_cfg(cfg.AUG, n_steps))
    mixup = BackgroundMixup.from_cfg(cfg.AUG, cfg.DATA.IMG_SIZE, n_steps) if cfg.AUG.TYPE_MIXUP == "back" else None
    model = supervised_model(cfg, len(classes), logger)
    logger.info(f"TSM-{cfg.MODEL.TSM_BASE}: {sum(p.numel() for p in model.parameters()):,} parameters")
    model = wrap(model, cfg, rt)
    optimizer = optim.build_optimizer(cfg, model)
    scheduler = optim.build_scheduler(cfg, optimizer, len(train_batches))
    session = Session(cfg, rt, model, optimizer, scheduler, rt.scaler(), logger)
    bare = session.bare_model
    labels = val_batches.loader.dataset.labels
    if resume_state is not None:
        resume(session, resume_state, cfg.MODEL.RESUME)
        if rt.main:
            logger.info(" ".join(f"{k.upper()} {v:.2f}" for k, v in evaluate(bare, val_batches, labels, rt).items()))
    fit(session, train_batches, supervised_step(model, outer, mixup, rt),
        (lambda: evaluate(bare, val_batches, labels, rt)) if rt.main else None)
    if train_batches.skipped:
        logger.warning(f"{train_batches.skipped} unreadable training videos were skipped")


def validate_checkpoint(cfg: CfgNode) -> dict:
    """val_sup.py (spec §14): evaluate MODEL.RESUME on ROOT/DATASET/val and write OUTPUT/pred_test.csv."""
    if not cfg.MODEL.RESUME:
        raise ValueError("val_sup.py needs MODEL.RESUME <checkpoint>")
    rt = setup(cfg)
    _, val_batches, classes, _ = labelled_data(cfg, rt, need_train_batch=False)
    state = checkpoint.load(cfg.MODEL.RESUME)
    logger = prepare_output(cfg, rt, "config_test.yaml")
    stored = checkpoint.stored_config(state)
    model = TSM(stored.MODEL.N_CLASSES, cfg.DATA.CLIP_LENGTH, cfg.MODEL.TSM_BASE)
    logger.info(f"loaded {cfg.MODEL.RESUME}: {model.load_state_dict(state['model'], strict=False)}")
    logger.info(f"{sum(p.numel() for p in model.parameters()):,} parameters")
    model = wrap(model, cfg, rt)
    dataset = val_batches.loader.dataset
    result, rows = evaluate(model, val_batches, dataset.labels, rt, keep=True)
    root = Path(cfg.DATA.ROOT) / cfg.DATA.DATASET
    names = {i: n for n, i in classes.items()}
    lines = ["path label pred1 pred2 pred3"] + [
        " ".join([dataset.files[i].relative_to(root).as_posix(), *(names[c] for c in (label, *preds))])
        for i, label, *preds in rows]
    (Path(cfg.TRAIN.OUTPUT) / "pred_test.csv").write_text("\n".join(lines) + "\n")
    logger.info(f"ACC1-VAL {result['acc1_val']:.2f} ACC5-VAL {result['acc5_val']:.2f}; "
                f"predictions in {Path(cfg.TRAIN.OUTPUT) / 'pred_test.csv'}")
    return result


def preview_augmentations(cfg: CfgNode, n: int) -> Path:
    """PNG grid: per clip a row of its frames as loaded, then rows after mixup + outer transform at the start
    and at the end of the curriculum."""
    import cv2
    import numpy as np

    rt = setup(cfg)
    batches, _, _, train_set = labelled_data(cfg, rt, need_train_batch=False)
    clips = torch.stack([train_set[(i, cfg.SEED + i)][0] for i in range(min(n, len(train_set)))])
    n_steps = curriculum_steps(cfg, len(batches) or 1)
    outer = OuterTransform(OuterConfig.from_cfg(cfg.AUG, n_steps))
    mixup = BackgroundMixup.from_cfg(cfg.AUG, cfg.DATA.IMG_SIZE, n_steps) if cfg.AUG.TYPE_MIXUP == "back" else None
    mean, std = torch.tensor(MEAN).view(1, 3, 1, 1, 1), torch.tensor(STD).view(1, 3, 1, 1, 1)
    views = [clips]
    for step in (0, n_steps):
        x = mixup(clips, step) if mixup is not None else clips
        views.append((outer(x, step) * std + mean).clamp(0, 1))
    rows = [torch.cat(list(v[i].permute(1, 2, 3, 0)), dim=1) for i in range(len(clips)) for v in views]
    sheet = (torch.cat(rows, dim=0).numpy() * 255).astype(np.uint8)
    out = Path(cfg.TRAIN.OUTPUT) / "augment_preview.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(out), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
    return out

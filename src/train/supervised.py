"""Supervised classification: the task that ``train_sup.py`` runs on the engine, and ``val_sup.py``'s evaluation."""
import csv
from pathlib import Path

import torch
import torch.nn.functional as nnf
from yacs.config import CfgNode

from ..data.dataset_folders import labelled_sets
from ..data.datasets import TrainClips, ValidationClips
from ..data.device_render import rendered_batches
from ..data.fractal_source import FractalSource, load_classes, render_settings
from ..data.loaders import Batches, make_loader
from ..data.video_files import DatasetError
from ..transform.inner import TrainCrop, ValResizeCrop
from ..transform.mixup import BackgroundMixup
from ..transform.outer import OuterConfig, OuterTransform
from ..utils.atomic import atomic_path
from ..utils.picture import labelled_grid
from ..utils.threads import loader_workers
from . import checkpoint
from .data import clip_spec
from .engine import TaskData, place, prepare_output
from .init_weights import backbone, check_architecture, supervised_model
from .metrics import topk_correct, video_probabilities
from .output_folder import claimed_output
from .plan import Plan
from .runtime import Runtime, setup

PREVIEW_TILE = 96  # --preview_aug draws frames at least this large (whole-number zoom)


def curriculum_steps(cfg: CfgNode, steps_per_epoch: int) -> int:
    return max(1, cfg.AUG.EPOCHS_CURRICULUM * steps_per_epoch)


def labelled_datasets(cfg: CfgNode) -> tuple[TrainClips, ValidationClips, dict[str, int], str]:
    """Training and validation clips (files under ROOT/DATASET, or rendered from DATA.CLASS_PARAMS), the class
    dictionary and where they come from."""
    train_tf = TrainCrop(cfg.DATA.IMG_SIZE, cfg.AUG.MIN_SCALE, cfg.AUG.INTERP)
    val_tf = ValResizeCrop(cfg.DATA.IMG_SIZE, cfg.AUG.CROP_VAL, cfg.AUG.INTERP)
    spec = clip_spec(cfg)
    if cfg.DATA.SOURCE == "fractal":
        if not cfg.DATA.CLASS_PARAMS:
            raise DatasetError("DATA.SOURCE fractal with labels needs DATA.CLASS_PARAMS <folder of class files>")
        classes, names = load_classes(Path(cfg.DATA.CLASS_PARAMS))
        settings = render_settings(cfg)
        train = TrainClips(FractalSource(cfg.DATA.SAMPLES_PER_EPOCH, settings, classes, cfg.SEED), spec, train_tf)
        val = ValidationClips(FractalSource(cfg.DATA.VAL_SAMPLES, settings, classes, cfg.SEED, fixed=True), spec,
                              val_tf)
        return train, val, names, f"fractal classes in {cfg.DATA.CLASS_PARAMS}, rendered at {settings.res} px"
    folder = Path(cfg.DATA.ROOT) / cfg.DATA.DATASET
    train, val, names = labelled_sets(folder, cfg.DATA.EXTENSION, spec, train_tf, val_tf,
                                      workers=loader_workers(cfg.DATA.TORCH_N_WORKERS) or None)
    return train, val, names, str(folder)


def render_device(cfg: CfgNode, rt: Runtime) -> torch.device:
    """Where DATA.RENDER_DEVICE cuda / triton-cpu renders: the training GPU, or the CPU."""
    return rt.device if cfg.DATA.RENDER_DEVICE == "cuda" else torch.device("cpu")


def validation_batches(cfg: CfgNode, val: ValidationClips) -> Batches:
    return make_loader(val, cfg.DATA.BATCH_SIZE_VAL, min(loader_workers(cfg.DATA.TORCH_N_WORKERS), 2),
                       shuffle=False, concatenate=True)


@torch.no_grad()
def evaluate(model: torch.nn.Module, batches: Batches, labels: list[int], rt: Runtime, keep: bool = False):
    """Top-1/top-5 over videos (segment softmax averaged per video); with ``keep`` also per-video top-k rows."""
    model.eval()
    hits1 = hits5 = videos = 0
    rows = []
    for batch in batches:
        if batch is None:
            continue
        clips, _, ids = batch
        with rt.autocast():
            logits = model(clips.to(rt.device, non_blocking=True))
        probs, video_ids = video_probabilities(logits, ids.to(rt.device))
        truth = torch.tensor([labels[i] for i in video_ids.tolist()], device=probs.device)
        h1, h5 = topk_correct(probs, truth).tolist()
        hits1, hits5, videos = hits1 + h1, hits5 + h5, videos + len(video_ids)
        if keep:
            top = probs.topk(min(3, probs.shape[1]), dim=1).indices.tolist()
            rows += [(i, t, *p) for i, t, p in zip(video_ids.tolist(), truth.tolist(), top)]
    result = {"acc1_val": 100 * hits1 / max(1, videos), "acc5_val": 100 * hits5 / max(1, videos)}
    return (result, rows) if keep else result


def augmentations(cfg: CfgNode, steps_per_epoch: int) -> tuple[OuterTransform, BackgroundMixup | None]:
    """The outer transform and the background mixup, with the camera-motion curriculum in steps."""
    n_steps = curriculum_steps(cfg, steps_per_epoch)
    mixup = BackgroundMixup.from_cfg(cfg.AUG, cfg.DATA.IMG_SIZE, n_steps) if cfg.AUG.TYPE_MIXUP == "back" else None
    return OuterTransform(OuterConfig.from_cfg(cfg.AUG, n_steps)), mixup


def class_names(classes: dict[str, int]) -> list[str]:
    """Names in label order."""
    return sorted(classes, key=classes.get)


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
            return TaskData(rendered_batches(train.source, clip_spec(cfg), cfg, device, rt.rank, rt.world),
                            class_names(classes), notes)
        batches = make_loader(train, cfg.DATA.BATCH_SIZE, loader_workers(cfg.DATA.TORCH_N_WORKERS), shuffle=True,
                              drop_last=True, seed=cfg.SEED, rank=rt.rank, world=rt.world)
        return TaskData(batches, class_names(classes), notes)

    def model(self, cfg: CfgNode, plan: Plan):
        return supervised_model(cfg, plan.n_classes)

    def step(self, model, cfg: CfgNode, plan: Plan, rt: Runtime):
        outer, mixup = augmentations(cfg, plan.steps_per_epoch)

        def step_fn(batch, step):
            clips, labels = (t.to(rt.device, non_blocking=True) for t in batch)
            if mixup is not None:
                clips = mixup(clips, step)
            clips = outer(clips, step)
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


def validate_checkpoint(cfg: CfgNode, changes: str) -> dict:
    """val_sup.py: evaluate MODEL.RESUME on the validation set and write OUTPUT/pred_test.csv."""
    if not cfg.MODEL.RESUME:
        raise ValueError("val_sup.py needs MODEL.RESUME <checkpoint>; e.g. --opts MODEL.RESUME out/ckpt_last.pth")
    rt = setup(cfg)
    state = checkpoint.load(cfg.MODEL.RESUME, "MODEL.RESUME")  # before the data: a wrong checkpoint is said at once
    meta = checkpoint.meta_of(state)
    if meta["task"] != "supervised":
        raise checkpoint.CheckpointError(f"MODEL.RESUME {cfg.MODEL.RESUME} was written by train_ssl.py; fine-tune "
                                         "it first with train_sup.py --opts TRAIN.INIT_SSL <it>")
    check_architecture(meta, cfg, f"MODEL.RESUME {cfg.MODEL.RESUME}")
    _, val, classes, where = labelled_datasets(cfg)
    if meta["n_classes"] != len(classes):
        raise checkpoint.CheckpointError(f"MODEL.RESUME {cfg.MODEL.RESUME} classifies {meta['n_classes']} classes "
                                         f"but {where} has {len(classes)}; evaluate it on the dataset it was "
                                         "trained on")
    checkpoint.check_classes(meta, class_names(classes), f"MODEL.RESUME {cfg.MODEL.RESUME}", "evaluate it")
    model = backbone(cfg, meta["n_classes"])
    checkpoint.load_weights(model, state["model"], f"MODEL.RESUME {cfg.MODEL.RESUME}")
    with claimed_output(cfg, rt, new_run=False):
        return _evaluate_into_output(cfg, rt, model, state, val, classes, where, changes)


def _evaluate_into_output(cfg: CfgNode, rt: Runtime, model, state: dict, val: ValidationClips,
                          classes: dict[str, int], where: str, changes: str) -> dict:
    logger = prepare_output(cfg, rt, changes, "config_test.yaml")
    logger.info(f"loaded every weight of {cfg.MODEL.RESUME} (epoch {state['epoch']})")
    model = place(model, rt.device, rt.device.type == "cuda" and cfg.TRAIN.CHANNELS_LAST)
    result, rows = evaluate(model, validation_batches(cfg, val), val.labels, rt, keep=True)
    path = Path(cfg.TRAIN.OUTPUT) / "pred_test.csv"
    write_predictions(path, rows, val, classes, where)
    logger.info(f"ACC1_VAL {result['acc1_val']:.2f} ACC5_VAL {result['acc5_val']:.2f}; predictions in {path}")
    return result


def write_predictions(path: Path, rows: list[tuple], val: ValidationClips, classes: dict[str, int],
                      where: str) -> None:
    """CSV: video, true label, then the top predictions (as many columns as there are, at most 3)."""
    names = {i: n for n, i in classes.items()}
    k = max((len(r) - 2 for r in rows), default=min(3, len(classes)))
    root = Path(where)
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["path", "label"] + [f"pred{j + 1}" for j in range(k)])
        for i, label, *preds in rows:
            name = val.source.name(i)
            try:
                name = Path(name).relative_to(root).as_posix()
            except ValueError:
                pass
            out.writerow([name, names[label], *(names[c] for c in preds)])


def preview_augmentations(cfg: CfgNode, n: int) -> Path:
    """PNG grid: per clip a row of its frames as loaded, then rows after mixup + outer transform at the start
    and at the end of the curriculum."""
    import cv2
    import numpy as np

    from ..transform.inner import MEAN, STD

    setup(cfg)
    train, _, _, _ = labelled_datasets(cfg)
    clips = torch.stack([train[(i, cfg.SEED + i)][0] for i in range(min(n, len(train)))])
    steps_per_epoch = max(1, len(train) // cfg.DATA.BATCH_SIZE)
    outer, mixup = augmentations(cfg, steps_per_epoch)
    n_steps = curriculum_steps(cfg, steps_per_epoch)
    mean, std = torch.tensor(MEAN).view(1, 3, 1, 1, 1), torch.tensor(STD).view(1, 3, 1, 1, 1)
    views = [clips]  # the loader's crops are in [0, 1]; the outer transform normalises
    for step in (0, n_steps):
        x = mixup(clips, step) if mixup is not None else clips
        views.append((outer(x, step) * std + mean).clamp(0, 1))
    zoom = max(1, PREVIEW_TILE // cfg.DATA.IMG_SIZE)
    tiles = [[np.kron((frame * 255).to(torch.uint8).numpy(), np.ones((zoom, zoom, 1), np.uint8))
              for frame in v[i].permute(1, 2, 3, 0)] for i in range(len(clips)) for v in views]
    names = ("as loaded", "augmented at step 0", f"augmented at step {n_steps} (curriculum end)")
    labels = [f"clip {i}: {name}" for i in range(len(clips)) for name in names]
    sheet = labelled_grid(tiles, labels, [f"frame {t}" for t in range(clips.shape[2])], gap=2)
    out = Path(cfg.TRAIN.OUTPUT) / "augment_preview.png"
    with atomic_path(out) as tmp:
        cv2.imwrite(str(tmp), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
    return out

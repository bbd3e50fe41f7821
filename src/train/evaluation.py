"""Evaluation of a supervised model: top-1/top-5 over whole videos (train_sup.py's validation), and val_sup.py:
a checkpoint evaluated into OUTPUT/pred_test.csv."""
import csv
from pathlib import Path

import torch
from yacs.config import CfgNode

from ..data.datasets import ValidationClips
from ..data.loaders import Batches
from ..utils.atomic import atomic_path
from . import checkpoint, original_checkpoint
from .data import class_names, labelled_datasets, validation_batches
from .engine import place, prepare_output
from .init_weights import backbone, check_architecture
from .metrics import topk_correct, video_probabilities
from .output_folder import claimed_output
from .runtime import Runtime, setup


@torch.no_grad()
def evaluate(model: torch.nn.Module, batches: Batches, labels: list[int], rt: Runtime, with_rows: bool = False):
    """Top-1/top-5 over videos (segment softmax averaged per video); with ``with_rows`` also per-video top-k rows."""
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
        if with_rows:
            top = probs.topk(min(3, probs.shape[1]), dim=1).indices.tolist()
            rows += [(i, t, *p) for i, t, p in zip(video_ids.tolist(), truth.tolist(), top)]
    result = {"acc1_val": 100 * hits1 / max(1, videos), "acc5_val": 100 * hits5 / max(1, videos)}
    return (result, rows) if with_rows else result


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
    what = original_checkpoint.summary(state) if state.get("origin") == "original" else f"epoch {state['epoch']}"
    logger.info(f"loaded every weight of {cfg.MODEL.RESUME} ({what})")
    model = place(model, rt.device, rt.device.type == "cuda" and cfg.TRAIN.CHANNELS_LAST)
    result, rows = evaluate(model, validation_batches(cfg, val), val.labels, rt, with_rows=True)
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

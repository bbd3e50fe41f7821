"""Frozen-feature probes (docs/probes.md): the videos a probe encodes, how they are encoded (split over the
ranks), and the k-NN and linear probes scored with bootstrap intervals."""
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from yacs.config import CfgNode

from ..data.dataset_folders import labelled_sets
from ..data.datasets import ValidationClips
from ..data.loaders import Batches, make_loader
from ..data.sources import VideoFiles
from ..probe.features import encode_videos, gather_videos
from ..probe.knn import knn_scores
from ..probe.linear import linear_probe
from ..transform.crops import ValResizeCrop
from ..utils.intervals import bootstrap_percent
from ..utils.cli import UserError
from ..utils.threads import loader_workers
from .data import clip_spec
from .metrics import topk_correct, topk_hits
from .runtime import Runtime

@dataclass
class ProbeSets:
    """The training and validation videos of a probe, each as validation clips (no augmentation)."""
    train: ValidationClips
    val: ValidationClips
    classes: dict[str, int]
    where: str

    @property
    def class_count(self) -> int:
        return len(self.classes)


def evenly_spread(n: int, cap: int) -> list[int]:
    """``cap`` indices spread evenly over range(n) (all of them when cap is 0 or ≥ n): the sorted video list
    runs class by class, so every class keeps its share."""
    if cap <= 0 or cap >= n:
        return list(range(n))
    return sorted({int(i) for i in np.linspace(0, n - 1, cap).round()})


def probe_sets(cfg: CfgNode, dataset: str, extension: str, extension_key: str = "DATA.EXTENSION") -> ProbeSets:
    """``DATA.ROOT/dataset``'s train and val ``*.extension`` videos (at most PROBE.MAX_VIDEOS of each), as
    validation clips."""
    folder = Path(cfg.DATA.ROOT) / dataset
    view = ValResizeCrop(cfg.DATA.IMG_SIZE, cfg.AUG.CROP_VAL, cfg.AUG.INTERP)
    spec = clip_spec(cfg)
    train, val, classes = labelled_sets(folder, extension, spec, view, view,
                                        workers=loader_workers(cfg.DATA.TORCH_N_WORKERS) or None, extension_key=extension_key)
    cap = cfg.PROBE.MAX_VIDEOS

    def capped(source: VideoFiles) -> ValidationClips:
        return ValidationClips(source.subset(evenly_spread(len(source), cap)), spec, view)
    return ProbeSets(capped(train.source), capped(val.source), classes, str(folder))


def check_measurable(sets: ProbeSets, key: str) -> None:
    """UserError if a probe of ``sets`` could not measure anything: one class (every guess is right), a class
    without training videos (its videos can never be recognised), or no validation videos."""
    if sets.class_count < 2:
        raise UserError(f"{key} {sets.where} has {sets.class_count} class: a probe needs two or more classes to "
                        "measure anything; give a labelled dataset of several classes")
    names = {i: n for n, i in sets.classes.items()}
    absent = sorted(set(names) - set(sets.train.labels))
    if absent:
        shown = ", ".join(names[i] for i in absent[:3]) + (", ..." if len(absent) > 3 else "")
        cap = "PROBE.MAX_VIDEOS"
        raise UserError(f"{cap} {len(sets.train)} leaves {len(absent)} of {sets.class_count} classes without "
                        f"training videos ({shown})"
                        f"; raise {cap} to {sets.class_count} or more (0: every video)")
    if not len(sets.val):
        raise UserError(f"{key} {sets.where}/val holds no videos to score; prepare its val split")


def check_measurable_features(features: dict, sets: ProbeSets) -> None:
    """UserError if too few videos could be decoded for the probes to mean anything."""
    kept_classes = len(set(features["train_y"].tolist()))
    if kept_classes < 2 or not len(features["val_y"]):
        raise UserError(f"only {len(features['train_y'])} of {len(sets.train)} training and {len(features['val_y'])}"
                        f" of {len(sets.val)} validation videos of {sets.where} could be decoded ({kept_classes} "
                        "classes left); repair or re-prepare the dataset")


def skipped_videos(features: dict, sets: ProbeSets) -> int:
    """How many of the probe's videos have no features (they failed to decode)."""
    return len(sets.train) + len(sets.val) - len(features["train_y"]) - len(features["val_y"])


def probe_batches(cfg: CfgNode, clips: ValidationClips, rank: int = 0, world: int = 1) -> Batches:
    """This rank's share of the videos, in order, every validation segment of a video in one batch."""
    return make_loader(clips, cfg.DATA.BATCH_SIZE_VAL, min(loader_workers(cfg.DATA.TORCH_N_WORKERS), 2),
                       shuffle=False, concatenate=True, rank=rank, world=world)


def encode_split(encoder: torch.nn.Module, cfg: CfgNode, clips: ValidationClips, rt: Runtime,
                 batches: Batches | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(features [V, D], labels [V]) of the readable videos of ``clips`` (``batches``: this rank's share of them,
    ``probe_batches`` when None); each rank encodes its share."""
    batches = batches if batches is not None else probe_batches(cfg, clips, rt.rank, rt.world)
    ids, features = encode_videos(encoder, batches, rt.device, rt.autocast)
    ids, features = gather_videos(ids, features)
    return features, torch.tensor(clips.labels, dtype=torch.long)[ids]


def score(scores: torch.Tensor, labels: torch.Tensor, seed: int) -> dict[str, float]:
    """Top-1/top-5 (percent) of class scores, each with a 95 % bootstrap interval over the videos."""
    hits = topk_hits(scores, labels).numpy().astype(bool)
    out = {}
    for k, correct in zip((1, 5), hits.T):
        low, high = bootstrap_percent(correct, seed)
        out.update({f"top{k}": 100 * float(correct.mean()), f"top{k}_low": low, f"top{k}_high": high})
    return out


def knn_accuracy(train: tuple[torch.Tensor, torch.Tensor], val: tuple[torch.Tensor, torch.Tensor],
                 n_classes: int, cfg: CfgNode) -> float:
    """The k-NN probe's top-1 (percent), the online probe's figure."""
    scores = knn_scores(train[0], train[1], val[0], n_classes, cfg.PROBE.KNN_K, cfg.PROBE.KNN_T)
    return 100 * float(topk_correct(scores, val[1], (1,))[0]) / max(1, len(val[1]))


def run_probes(train: tuple[torch.Tensor, torch.Tensor], val: tuple[torch.Tensor, torch.Tensor], n_classes: int,
               cfg: CfgNode) -> list[dict]:
    """One row per probe (k-NN, linear) with its scores and intervals."""
    knn = knn_scores(train[0], train[1], val[0], n_classes, cfg.PROBE.KNN_K, cfg.PROBE.KNN_T)
    linear, decay = linear_probe(train[0], train[1], val[0], n_classes, cfg.SEED)
    return [{"method": "knn", **score(knn, val[1], cfg.SEED), "weight_decay": ""},
            {"method": "linear", **score(linear, val[1], cfg.SEED), "weight_decay": decay}]

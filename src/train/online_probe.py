"""The online probe (docs/probes.md): every PROBE.EVERY epochs, the k-NN top-1 of the encoder being trained on a
labelled dataset (PROBE.DATASET), so a pre-training run shows whether its features help on real videos.

It leaves the training untouched: the encoder is probed in eval mode, its classifier swapped out and back, and
every random stream is restored afterwards. Under DDP every rank encodes its share of the probe's videos (the
work is split, not waited for); rank 0 alone then runs the k-NN vote, a matrix product of seconds, while the
others wait at the next step's gradient all-reduce, far inside the process group's timeout."""
import contextlib
import logging
import random

import numpy as np
import torch
from torch import nn
from yacs.config import CfgNode

from ..utils.cli import UserError
from .probing import (check_measurable, check_measurable_features, encode_split, knn_accuracy, probe_batches,
                      probe_sets, skipped_videos)
from .runtime import Runtime

METRIC = "probe_knn_acc1"


@contextlib.contextmanager
def preserved_randomness(device: torch.device):
    """Python's, NumPy's and torch's (CPU and ``device``) random states as they were before the block."""
    python_state, numpy_state = random.getstate(), np.random.get_state()
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        yield
    random.setstate(python_state)
    np.random.set_state(numpy_state)


class OnlineProbe:
    def __init__(self, cfg: CfgNode, rt: Runtime):
        self.cfg, self.rt = cfg, rt
        self.sets = probe_sets(cfg, cfg.PROBE.DATASET, cfg.PROBE.EXTENSION, "PROBE.EXTENSION")
        check_measurable(self.sets, "PROBE.DATASET")
        self.batches = [probe_batches(cfg, clips, rt.rank, rt.world) for clips in (self.sets.train, self.sets.val)]

    def describe(self) -> str:
        return (f"online probe every {self.cfg.PROBE.EVERY} epochs: k-NN (k {self.cfg.PROBE.KNN_K}) of "
                f"{len(self.sets.val)} validation videos of {self.sets.where} among {len(self.sets.train)} training "
                "videos")

    def __call__(self, encoder: nn.Module) -> dict[str, float]:
        """{METRIC: k-NN top-1 in percent} on rank 0; {} on the other ranks, and where too few probe videos
        could be decoded to measure anything (a warning says so: the probe never ends the training)."""
        with preserved_randomness(self.rt.device):
            train, val = (encode_split(encoder, self.cfg, clips, self.rt, batches)
                          for clips, batches in zip((self.sets.train, self.sets.val), self.batches))
        if not self.rt.main:
            return {}
        features = {"train_x": train[0], "train_y": train[1], "val_x": val[0], "val_y": val[1]}
        try:
            check_measurable_features(features, self.sets)
        except UserError as e:
            logging.getLogger("fractal-video").warning(f"online probe skipped: {e}")
            return {}
        skipped = skipped_videos(features, self.sets)
        if skipped:
            logging.getLogger("fractal-video").warning(f"online probe: {skipped} videos could not be decoded and "
                                                       "are left out")
        return {METRIC: knn_accuracy(train, val, self.sets.class_count, self.cfg)}

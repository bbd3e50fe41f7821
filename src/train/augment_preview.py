"""--preview_aug: a picture of what the training augmentations do to a few clips, before training."""
from pathlib import Path

import torch
from yacs.config import CfgNode

from ..utils.atomic import atomic_path
from ..utils.picture import labelled_grid
from .augment import augmentations, curriculum_steps
from .data import labelled_datasets
from .runtime import setup

PREVIEW_TILE = 96  # --preview_aug draws frames at least this large (whole-number zoom)


def preview_augmentations(cfg: CfgNode, n: int) -> Path:
    """PNG grid: per clip a row of its frames as loaded, then rows after mixup + batch augmentation at the start
    and at the end of the curriculum."""
    import cv2
    import numpy as np

    from ..transform.crops import MEAN, STD

    setup(cfg)
    train, _, _, _ = labelled_datasets(cfg)
    clips = torch.stack([train[(i, cfg.SEED + i)][0] for i in range(min(n, len(train)))])
    steps_per_epoch = max(1, len(train) // cfg.DATA.BATCH_SIZE)
    augment, mixup = augmentations(cfg, steps_per_epoch)
    n_steps = curriculum_steps(cfg, steps_per_epoch)
    mean, std = torch.tensor(MEAN).view(1, 3, 1, 1, 1), torch.tensor(STD).view(1, 3, 1, 1, 1)
    views = [clips]  # the loader's crops are in [0, 1]; the batch augmentation normalises
    for step in (0, n_steps):
        x = mixup(clips, step) if mixup is not None else clips
        views.append((augment(x, step) * std + mean).clamp(0, 1))
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

"""The one mapping from the AUG section to the augmentation settings, for both tasks: the batch augmentation and
the background mixup of supervised training, and the two views of contrastive training (docs/augmentations.md)."""
from yacs.config import CfgNode

from ..transform.contrastive import ContrastiveTransform
from ..transform.mixup import BackgroundMixup
from ..transform.batch_augment import AugmentSettings, BatchAugment


def curriculum_steps(cfg: CfgNode, steps_per_epoch: int) -> int:
    """The camera-motion curriculum (AUG.EPOCHS_CURRICULUM) in optimisation steps."""
    return max(1, cfg.AUG.EPOCHS_CURRICULUM * steps_per_epoch)


def augment_settings(aug: CfgNode, n_steps: int, easy: bool = False) -> AugmentSettings:
    """``easy``: the contrastive key view, without perspective, shift, zoom or camera shake."""
    moves = (0.0, 0.0, 0.0, 0.0) if easy else (aug.PROB_PERSPECTIVE, aug.PROB_SHIFT, aug.PROB_ZOOM, aug.PROB_SHAKE)
    return AugmentSettings(aug.HOR_FLIP, aug.AUTO_AUGMENT_M, aug.AUTO_AUGMENT_N, aug.PROB_BLUR, *moves, n_steps)


def background_mixup(aug: CfgNode, img_size: int, n_steps: int, easy: bool = False) -> BackgroundMixup | None:
    """None unless AUG.TYPE_MIXUP back; ``easy``: the contrastive key view (scale only: no shift, no clones)."""
    if aug.TYPE_MIXUP != "back":
        return None
    if easy:
        return BackgroundMixup(img_size, n_steps, aug.PROB_SCALE)
    return BackgroundMixup(img_size, n_steps, aug.PROB_SCALE, aug.PROB_SHIFT, aug.PROB_CLONE)


def augmentations(cfg: CfgNode, steps_per_epoch: int) -> tuple[BatchAugment, BackgroundMixup | None]:
    """Supervised training: the batch augmentation and the background mixup."""
    n_steps = curriculum_steps(cfg, steps_per_epoch)
    return BatchAugment(augment_settings(cfg.AUG, n_steps)), background_mixup(cfg.AUG, cfg.DATA.IMG_SIZE, n_steps)


def contrastive_transform(cfg: CfgNode, steps_per_epoch: int) -> ContrastiveTransform:
    """Contrastive training: the query view as supervised training augments, the key view easier with
    AUG.SSL_EASY_K."""
    n_steps, aug, easy = curriculum_steps(cfg, steps_per_epoch), cfg.AUG, cfg.AUG.SSL_EASY_K
    return ContrastiveTransform(BatchAugment(augment_settings(aug, n_steps)),
                                BatchAugment(augment_settings(aug, n_steps, easy)),
                                background_mixup(aug, cfg.DATA.IMG_SIZE, n_steps),
                                background_mixup(aug, cfg.DATA.IMG_SIZE, n_steps, easy))

"""The two-view transform of self-supervised training (docs/augmentations.md)."""
import torch

from .mixup import BackgroundMixup
from .outer import OuterConfig, OuterTransform


class ContrastiveTransform:
    """[B, 2, C, T, H, W] → (q, k): one temporal-reversal coin per batch, then mixup and the outer transform per
    view; with AUG.SSL_EASY_K the k view gets no shift/clones/perspective/camera motion."""

    def __init__(self, aug, img_size: int, curriculum_steps: int):
        q_cfg = OuterConfig.from_cfg(aug, curriculum_steps)
        k_cfg = OuterConfig(aug.HOR_FLIP, aug.AUTO_AUGMENT_M, aug.AUTO_AUGMENT_N, aug.PROB_BLUR,
                            curriculum_steps=curriculum_steps) if aug.SSL_EASY_K else q_cfg
        self.outer_q, self.outer_k = OuterTransform(q_cfg), OuterTransform(k_cfg)
        self.mixup_q = self.mixup_k = None
        if aug.TYPE_MIXUP == "back":
            self.mixup_q = BackgroundMixup.from_cfg(aug, img_size, curriculum_steps)
            self.mixup_k = BackgroundMixup.from_cfg(aug, img_size, curriculum_steps, easy=aug.SSL_EASY_K)

    def __call__(self, clips: torch.Tensor, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        if torch.rand(1).item() < 0.5:
            clips = clips.flip(3)  # time axis of [B, 2, C, T, H, W]
        q, k = clips[:, 0], clips[:, 1]
        if self.mixup_q is not None:
            q, k = self.mixup_q(q, step), self.mixup_k(k, step)
        return self.outer_q(q, step), self.outer_k(k, step)

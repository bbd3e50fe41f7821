"""The two-view transform of self-supervised training (docs/augmentations.md)."""
import torch

from .mixup import BackgroundMixup
from .batch_augment import BatchAugment


class ContrastiveTransform:
    """[B, 2, C, T, H, W] → (q, k): one temporal-reversal coin per batch, then mixup (when given) and the batch
    augmentation of each view."""

    def __init__(self, augment_q: BatchAugment, augment_k: BatchAugment, mixup_q: BackgroundMixup | None = None,
                 mixup_k: BackgroundMixup | None = None):
        self.augment_q, self.augment_k, self.mixup_q, self.mixup_k = augment_q, augment_k, mixup_q, mixup_k

    def __call__(self, clips: torch.Tensor, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        if torch.rand(1).item() < 0.5:
            clips = clips.flip(3)  # time axis of [B, 2, C, T, H, W]
        q, k = clips[:, 0], clips[:, 1]
        if self.mixup_q is not None:
            q, k = self.mixup_q(q, step), self.mixup_k(k, step)
        return self.augment_q(q, step), self.augment_k(k, step)

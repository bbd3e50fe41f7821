"""Accuracy and the per-video averaging of validation segments (docs/training.md)."""
import torch

from ..data.datasets import video_means


def topk_hits(logits: torch.Tensor, labels: torch.Tensor, ks: tuple[int, ...] = (1, 5)) -> torch.Tensor:
    """Per row and k, 1 where the label is among the k highest scores (k capped at the class count): [N, len(ks)]
    on the logits' device."""
    top = logits.topk(min(max(ks), logits.shape[1]), dim=1).indices
    hit = (top == labels[:, None]).cumsum(dim=1).clamp_(max=1)  # column j: label among the j+1 highest
    return torch.stack([hit[:, min(k, top.shape[1]) - 1] for k in ks], dim=1)  # int columns: no index upload


def topk_correct(logits: torch.Tensor, labels: torch.Tensor, ks: tuple[int, ...] = (1, 5)) -> torch.Tensor:
    """How many rows have their label among the k highest scores, for each k: a tensor [len(ks)] on the logits'
    device, so counting never waits for the device."""
    return topk_hits(logits, labels, ks).sum(dim=0)


def video_probabilities(logits: torch.Tensor, video_ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Softmax per segment, averaged over consecutive segments of the same video → ([V, classes], [V] ids)."""
    return video_means(logits.float().softmax(dim=1), video_ids)


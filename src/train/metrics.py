"""Accuracy and the per-video averaging of validation segments (docs/training.md)."""
import torch


def topk_correct(logits: torch.Tensor, labels: torch.Tensor, ks: tuple[int, ...] = (1, 5)) -> list[int]:
    """How many rows have their label among the k highest scores, for each k (k capped at the class count)."""
    top = logits.topk(min(max(ks), logits.shape[1]), dim=1).indices
    hit = top == labels[:, None]
    return [int(hit[:, :k].any(dim=1).sum()) for k in ks]


def video_probabilities(logits: torch.Tensor, video_ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Softmax per segment, averaged over consecutive segments of the same video → ([V, classes], [V] ids)."""
    probs = logits.float().softmax(dim=1)
    ids, counts = torch.unique_consecutive(video_ids, return_counts=True)
    groups = torch.repeat_interleave(torch.arange(len(ids), device=probs.device), counts.to(probs.device))
    sums = torch.zeros(len(ids), probs.shape[1], device=probs.device).index_add_(0, groups, probs)
    return sums / counts.to(probs.device)[:, None], ids


class Mean:
    """Running mean weighted by counts."""

    def __init__(self):
        self.total, self.count = 0.0, 0

    def add(self, value: float, n: int = 1) -> None:
        self.total += value * n
        self.count += n

    @property
    def value(self) -> float:
        return self.total / max(1, self.count)

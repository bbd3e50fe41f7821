"""Accuracy and the per-video averaging of validation segments (docs/training.md)."""
import torch


def topk_correct(logits: torch.Tensor, labels: torch.Tensor, ks: tuple[int, ...] = (1, 5)) -> torch.Tensor:
    """How many rows have their label among the k highest scores, for each k (k capped at the class count): a
    tensor [len(ks)] on the logits' device, so counting never waits for the device."""
    top = logits.topk(min(max(ks), logits.shape[1]), dim=1).indices
    hit = (top == labels[:, None]).cumsum(dim=1).clamp_(max=1)  # column j: label among the j+1 highest
    return torch.stack([hit[:, min(k, top.shape[1]) - 1] for k in ks]).sum(dim=1)  # int columns: no index upload


def video_probabilities(logits: torch.Tensor, video_ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Softmax per segment, averaged over consecutive segments of the same video → ([V, classes], [V] ids)."""
    probs = logits.float().softmax(dim=1)
    ids, counts = torch.unique_consecutive(video_ids, return_counts=True)
    groups = torch.repeat_interleave(torch.arange(len(ids), device=probs.device), counts.to(probs.device))
    sums = torch.zeros(len(ids), probs.shape[1], device=probs.device).index_add_(0, groups, probs)
    return sums / counts.to(probs.device)[:, None], ids


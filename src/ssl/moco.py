"""MoCo: momentum key encoder, queue of negatives with same-video masking."""
import torch
import torch.nn.functional as nnf
from torch import nn

from .common import ema_update, encode_shuffled, frozen_copy, gather


class MoCo(nn.Module):
    def __init__(self, encoder: nn.Module, dim: int = 128, queue: int = 16384, momentum: float = 0.999,
                 temperature: float = 0.07):
        super().__init__()
        self.encoder_q, self.encoder_k = encoder, frozen_copy(encoder)
        self.momentum, self.temperature = momentum, temperature
        self.register_buffer("queue", nnf.normalize(torch.randn(queue, dim), dim=1))
        self.register_buffer("queue_ids", torch.full((queue,), -1, dtype=torch.long))
        self.register_buffer("queue_ptr", torch.zeros((), dtype=torch.long))  # saved with checkpoints
        self._ptr: int | None = 0  # the host's copy of queue_ptr (None after loading a checkpoint: read it once)

    @torch.no_grad()
    def enqueue(self, keys: torch.Tensor, ids: torch.Tensor) -> None:
        keys, ids = gather(keys), gather(ids)
        if self._ptr is None:
            self._ptr = int(self.queue_ptr)
        ptr, n = self._ptr, len(keys)
        self.queue[ptr:ptr + n] = keys
        self.queue_ids[ptr:ptr + n] = ids
        self._ptr = (ptr + n) % len(self.queue)
        self.queue_ptr.fill_(self._ptr)  # a host value: the device never waits on the host's copy

    def _load_from_state_dict(self, *args, **kwargs):
        super()._load_from_state_dict(*args, **kwargs)
        self._ptr = None  # a loaded checkpoint's pointer is read again

    def logits(self, q: torch.Tensor, k: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        """[B, 1 + K]: the positive, then the queue; negatives from the query's own video are −∞."""
        positive = (q * k).sum(dim=1, keepdim=True)
        negative = q @ self.queue.clone().T  # the queue changes in place after this step
        negative = negative.masked_fill(self.queue_ids[None, :] == ids[:, None], float("-inf"))
        return torch.cat([positive, negative], dim=1) / self.temperature

    def forward(self, q: torch.Tensor, k: torch.Tensor, ids: torch.Tensor, step: int):
        q = nnf.normalize(self.encoder_q(q), dim=1)
        ema_update(self.encoder_k, self.encoder_q, self.momentum)
        with torch.no_grad():
            k = nnf.normalize(encode_shuffled(self.encoder_k, k), dim=1)
        logits = self.logits(q, k.to(q.dtype), ids)
        self.enqueue(k.float(), ids)
        return logits, torch.zeros(len(q), dtype=torch.long, device=q.device)

"""SimCLR: one encoder, the other view of the same clip is the positive."""
import torch
import torch.nn.functional as nnf
from torch import nn



def simclr_targets(batch: int, device=None) -> torch.Tensor:
    """Column of each row's positive once the diagonal is removed: row i < B → B−1+i, row B+i → i."""
    i = torch.arange(batch, device=device)
    return torch.cat([batch - 1 + i, i])


class SimCLR(nn.Module):
    def __init__(self, encoder: nn.Module, temperature: float = 0.1):
        super().__init__()
        self.encoder, self.temperature = encoder, temperature

    def forward(self, q: torch.Tensor, k: torch.Tensor, ids: torch.Tensor, step: int):
        """(logits [2B, 2B−1], targets [2B])."""
        z_q = self.encoder(q)
        order = torch.randperm(len(k), device=k.device)
        z_k = self.encoder(k[order])[torch.argsort(order)]
        z = nnf.normalize(torch.cat([z_q, z_k]), dim=1)
        sim = z @ z.T / self.temperature
        n = len(z)
        off_diagonal = sim.flatten()[1:].view(n - 1, n + 1)[:, :-1].reshape(n, n - 1)  # no boolean mask: no sync
        return off_diagonal, simclr_targets(len(q), z.device)

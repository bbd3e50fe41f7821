"""The linear probe (docs/probes.md): multinomial logistic regression on standardised frozen features, fitted
full-batch with L-BFGS; the weight decay is the one that scores best on a held-out part of the training videos,
then the probe is refitted on all of them."""
import torch
import torch.nn.functional as nnf

WEIGHT_DECAYS = (1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1)
HELD_OUT = 0.2  # share of each class's training videos that picks the weight decay
MAX_ITER = 300


def standardise(train_x: torch.Tensor, *others: torch.Tensor) -> list[torch.Tensor]:
    """Every feature to zero mean and unit variance over the training videos (constant features stay 0)."""
    mean, std = train_x.mean(dim=0), train_x.std(dim=0, unbiased=False)
    std = torch.where(std > 1e-8, std, torch.ones_like(std))
    return [(x - mean) / std for x in (train_x, *others)]


def fit_logistic(x: torch.Tensor, y: torch.Tensor, n_classes: int, weight_decay: float) -> torch.nn.Linear:
    """Minimise mean cross-entropy + weight_decay / 2 · ||W||² from zero weights (a convex problem: one optimum)."""
    layer = torch.nn.Linear(x.shape[1], n_classes, dtype=x.dtype, device=x.device)
    torch.nn.init.zeros_(layer.weight)
    torch.nn.init.zeros_(layer.bias)
    optimizer = torch.optim.LBFGS(layer.parameters(), lr=1, max_iter=MAX_ITER, history_size=20,
                                  tolerance_grad=1e-6, tolerance_change=1e-9, line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        loss = nnf.cross_entropy(layer(x), y) + weight_decay / 2 * layer.weight.pow(2).sum()
        loss.backward()
        return loss
    optimizer.step(closure)
    return layer.requires_grad_(False)


def held_out_split(y: torch.Tensor, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(fit, held-out) indices: HELD_OUT of each class's videos held out, at least one kept for fitting."""
    g = torch.Generator().manual_seed(seed)
    fit, held = [], []
    for c in y.unique().tolist():
        members = (y == c).nonzero().flatten()
        members = members[torch.randperm(len(members), generator=g)]
        n_held = min(len(members) - 1, round(HELD_OUT * len(members)))
        held.append(members[:n_held])
        fit.append(members[n_held:])
    return torch.cat(fit), torch.cat(held)


def linear_probe(train_x: torch.Tensor, train_y: torch.Tensor, val_x: torch.Tensor, n_classes: int,
                 seed: int) -> tuple[torch.Tensor, float]:
    """Class scores [V, n_classes] of the validation videos, and the weight decay chosen."""
    train_x, val_x = standardise(train_x.double(), val_x.double())
    fit, held = held_out_split(train_y, seed)
    best = WEIGHT_DECAYS[0]
    if len(held):
        accuracy = {wd: (fit_logistic(train_x[fit], train_y[fit], n_classes, wd)(train_x[held]).argmax(1)
                         == train_y[held]).double().mean().item() for wd in WEIGHT_DECAYS}
        best = max(WEIGHT_DECAYS, key=lambda wd: (accuracy[wd], wd))  # ties: the stronger decay
    return fit_logistic(train_x, train_y, n_classes, best)(val_x).float(), best

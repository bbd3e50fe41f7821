"""The k-nearest-neighbour probe that self-supervised methods report (docs/probes.md): cosine similarity to the
training videos' features, the k most similar vote for their class with weight exp(similarity / T)."""
import torch
import torch.nn.functional as nnf

K = 20
TEMPERATURE = 0.07
QUERY_CHUNK = 1024  # validation videos scored at once: bounds the similarity matrix


def knn_scores(train_x: torch.Tensor, train_y: torch.Tensor, query_x: torch.Tensor, n_classes: int, k: int = K,
               temperature: float = TEMPERATURE) -> torch.Tensor:
    """Class scores [Q, n_classes] of each query: the summed vote weights of its k nearest training videos
    (relative to the nearest one's)."""
    bank = nnf.normalize(train_x.float(), dim=1)
    k = min(k, len(bank))
    scores = []
    for queries in nnf.normalize(query_x.float(), dim=1).split(QUERY_CHUNK):
        similarity, nearest = (queries @ bank.T).topk(k, dim=1)
        # exp((s - s_max) / T): the same votes up to one factor per query, so the ranking is unchanged, and no
        # vote overflows to inf however small T is (the nearest neighbour's weight is 1)
        weights = ((similarity - similarity[:, :1]) / temperature).exp()
        votes = torch.zeros(len(queries), n_classes, dtype=torch.float32, device=bank.device)
        scores.append(votes.scatter_add_(1, train_y[nearest], weights))
    return torch.cat(scores) if scores else torch.zeros(0, n_classes)

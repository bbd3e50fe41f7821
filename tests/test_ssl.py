"""Self-supervised training (docs/training.md): MoCo, BYOL, SimCLR and train_ssl.py end to end."""
import csv

import pytest
import torch
from torch import nn

from src.data.dataset_folders import unlabelled_set
from src.data.datasets import ClipSpec
from src.ssl.byol import BYOL, target_momentum
from src.ssl.moco import MoCo
from src.ssl.simclr import SimCLR, simclr_targets
from src.models.tsm import TSM
from src.train.contrastive import ssl_loss
from src.train.optim import param_groups
from src.transform.crops import TrainCrop
from train_helpers import TINY, make_dataset, run_in_process, run_script


def tiny_encoder(dim: int = 8) -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(3 * 2 * 4 * 4, dim))


def test_moco_queue_pointer_wraps_and_same_video_keys_are_masked():
    moco = MoCo(tiny_encoder(), dim=8, queue=8, momentum=0.9, temperature=0.5)
    x = torch.randn(4, 3, 2, 4, 4)
    moco(x, x, torch.tensor([0, 1, 2, 3]), 0)
    assert int(moco.queue_ptr) == 4 and moco.queue_ids[:4].tolist() == [0, 1, 2, 3]
    moco(x, x, torch.tensor([4, 5, 6, 7]), 1)
    assert int(moco.queue_ptr) == 0  # 8 keys in a queue of 8: back to the start
    logits = moco.logits(torch.nn.functional.normalize(torch.randn(2, 8), dim=1),
                         torch.nn.functional.normalize(torch.randn(2, 8), dim=1), torch.tensor([5, 9]))
    assert logits.shape == (2, 9)
    assert torch.isinf(logits[0, 1 + 5]) and torch.isfinite(logits[0, 1:]).sum() == 7  # video 5's key is masked
    assert torch.isfinite(logits[1]).all()


def test_key_encoder_moves_by_exactly_one_minus_m_toward_the_query_encoder():
    moco = MoCo(tiny_encoder(), dim=8, queue=8, momentum=0.9, temperature=0.5)
    with torch.no_grad():
        for p in moco.encoder_q.parameters():
            p.add_(1.0)  # make the two encoders differ
    before_k = [p.clone() for p in moco.encoder_k.parameters()]
    before_q = [p.clone() for p in moco.encoder_q.parameters()]
    x = torch.randn(4, 3, 2, 4, 4)
    moco(x, x, torch.arange(4), 0)
    for k_new, k_old, q in zip(moco.encoder_k.parameters(), before_k, before_q):
        assert torch.allclose(k_new, 0.9 * k_old + 0.1 * q, atol=1e-6)
    assert not any(p.requires_grad for p in moco.encoder_k.parameters())


def test_byol_target_follows_the_cosine_schedule():
    assert target_momentum(0, 100, 0.997) == pytest.approx(0.997)
    assert target_momentum(50, 100, 0.997) == pytest.approx(1 - 0.003 / 2)
    assert target_momentum(100, 100, 0.997) == pytest.approx(1.0)
    byol = BYOL(tiny_encoder(16), d_output=16, d_hidden=32, base_momentum=0.9, total_steps=10)
    with torch.no_grad():
        for p in byol.online.parameters():
            p.add_(1.0)
    t_old, o = [p.clone() for p in byol.target.parameters()], [p.clone() for p in byol.online.parameters()]
    x = torch.randn(4, 3, 2, 4, 4)
    byol(x, x, torch.arange(4), 5)
    tau = target_momentum(5, 10, 0.9)
    assert all(torch.allclose(t, tau * a + (1 - tau) * b, atol=1e-6)
               for t, a, b in zip(byol.target.parameters(), t_old, o))


def test_simclr_positive_sits_where_the_targets_say():
    assert simclr_targets(3).tolist() == [2, 3, 4, 0, 1, 2]
    model = SimCLR(tiny_encoder(), temperature=0.5)
    q, k = torch.randn(3, 3, 2, 4, 4), torch.randn(3, 3, 2, 4, 4)
    with torch.no_grad():
        logits, targets = model(q, k, torch.arange(3), 0)
        z_q = torch.nn.functional.normalize(model.encoder(q), dim=1)
        z_k = torch.nn.functional.normalize(model.encoder(k), dim=1)
    assert logits.shape == (6, 5)
    for i in range(3):
        assert logits[i, targets[i]] == pytest.approx(float(z_q[i] @ z_k[i]) / 0.5, abs=1e-5)
        assert logits[3 + i, targets[3 + i]] == pytest.approx(float(z_k[i] @ z_q[i]) / 0.5, abs=1e-5)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return make_dataset(tmp_path_factory.mktemp("data"))


@pytest.mark.parametrize("scheme", ["moco", "byol", "simclr"])
def test_loss_is_finite_and_falls_on_a_repeated_batch(data, scheme):
    pairs = unlabelled_set(data / "toy", "mp4", ClipSpec(4, 2), TrainCrop(32, 0.5), workers=1)
    views, ids = zip(*(pairs[(i, i)] for i in range(8)))
    views, ids = torch.stack(views), torch.tensor(ids)
    q, k = views[:, 0], views[:, 1]
    torch.manual_seed(0)
    model = {"moco": lambda: MoCo(TSM(16, 4, "resnet18", mlp_head=True), 16, 32, 0.99, 0.2),
             "byol": lambda: BYOL(TSM(16, 4, "resnet18", mlp_head=True), 16, 32, 0.99, 10),
             "simclr": lambda: SimCLR(TSM(16, 4, "resnet18", mlp_head=True), 0.2)}[scheme]()
    opt = torch.optim.AdamW(param_groups(model, 0.0), lr=1e-3)
    losses = []
    for step in range(12):
        opt.zero_grad()
        loss, hits = ssl_loss(scheme, *model(q, k, ids, step))
        loss.backward()
        opt.step()
        losses.append(loss.item())
        assert (scheme == "byol") == (hits == {})  # BYOL logs the loss only
    # MoCo's queue (32 entries) holds only this batch's keys from step 4 on: compare from there
    assert all(torch.isfinite(torch.tensor(losses))) and losses[-1] < losses[4]


@pytest.mark.slow
def test_byol_logs_the_loss_only(data, tmp_path):
    done = run_script("train_ssl.py", "DATA.ROOT", data, "DATA.DATASET", "toy", *TINY, "TRAIN.EPOCHS", 1,
                      "TRAIN.SSL_SCHEME", "BYOL", "TRAIN.OUTPUT", tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    with open(tmp_path / "metrics.csv") as f:
        assert "train_acc1" not in next(csv.DictReader(f))


def test_queue_length_must_be_a_multiple_of_the_batch(data, tmp_path):
    done = run_in_process("train_ssl.py", "DATA.ROOT", data, "DATA.DATASET", "toy", *TINY, "MOCO.K", 100,
                      "TRAIN.OUTPUT", tmp_path)
    assert done.returncode == 2
    assert [line for line in done.stderr.splitlines() if "error" in line] == [
        "train_ssl.py: error: MOCO.K (100) must be a multiple of the batch size (8 = DATA.BATCH_SIZE x 1 processes)"]
    assert not list(tmp_path.iterdir())  # nothing written


def test_simclr_accuracy_counts_both_views_of_every_pair():
    """B = 2 pairs → 4 rows of 3 logits. Rows 0, 1 and 3 rank their positive first; row 2 ranks it last but
    within the top 5 (only 3 columns): top-1 = 3 of 4 rows, top-5 = 4 of 4, never above 100 %."""
    targets = simclr_targets(2)  # [1, 2, 0, 1]
    logits = torch.tensor([[0.1, 0.9, 0.0], [0.0, 0.2, 0.8], [0.1, 0.5, 0.9], [0.3, 0.7, 0.1]])
    _, hits = ssl_loss("simclr", logits, targets)
    assert {k: (int(h), n) for k, (h, n) in hits.items()} == {"acc1": (3, 4), "acc5": (4, 4)}


def test_moco_accuracy_counts_one_row_per_query():
    """The positive is column 0 of [B, 1 + K]; 1 of 2 queries ranks it first."""
    logits = torch.tensor([[0.9] + [0.1] * 6, [0.1, 0.9, 0.8, 0.7, 0.6, 0.5, 0.0]])
    _, hits = ssl_loss("moco", logits, torch.zeros(2, dtype=torch.long))
    assert {k: (int(h), n) for k, (h, n) in hits.items()} == {"acc1": (1, 2), "acc5": (1, 2)}


def test_the_epoch_accuracy_is_hits_over_rows():
    """What train_epoch logs: 100 · Σ hits / Σ rows, for rows that are not the batch size (SimCLR: 2B)."""
    from types import SimpleNamespace

    from src.train.loop import train_epoch
    model = nn.Linear(1, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.0)

    class Batches(list):
        may_skip = False

        def set_epoch(self, epoch):
            pass
    s = SimpleNamespace(cfg=SimpleNamespace(SEED=0, TRAIN=SimpleNamespace(CLIP_GRAD=0, PRINT_FREQ=20)),
                        plan=SimpleNamespace(steps_per_epoch=2), model=model, optimizer=opt,
                        scheduler=torch.optim.lr_scheduler.LambdaLR(opt, lambda _: 1.0),
                        scaler=torch.amp.GradScaler("cpu", enabled=False),
                        rt=SimpleNamespace(device=torch.device("cpu"), rank=0, world=1, main=True))
    loss = lambda: model(torch.ones(1)).sum() * 0 + 2.0  # noqa: E731 - a constant loss with a graph
    steps = iter([(loss(), 4, {"acc1": (torch.tensor(7), 8)}), (loss(), 4, {"acc1": (torch.tensor(8), 8)})])
    stats = train_epoch(s, Batches([0, 1]), lambda batch, step: next(steps), epoch=0)
    assert stats == {"loss": 2.0, "acc1": 100 * 15 / 16}

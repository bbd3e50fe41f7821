"""Frozen-feature probes: the k-NN and linear probes, probe.py end to end (an encoder trained on a dataset's
classes probes far better than a random one; features are cached and reused), and its bad input."""
import csv

import numpy as np
import pytest
import torch

from torch import nn
from torch.func import functional_call

from device_audit import DEVICE, Audit, to_device
from src.models.tsm import TSM
from src.probe.features import encode_videos, gather_videos
from src.probe.knn import knn_scores
from src.probe.linear import held_out_split, linear_probe
from src.train.probing import evenly_spread
from src.utils.intervals import bootstrap_percent, mean_interval
from train_helpers import TINY, evaluation_opts, make_dataset, make_fade_dataset, run_in_process, run_script

FADE = ["DATA.DATASET", "fade", *TINY, "DATA.STRIDE", 3, "DATA.VAL_MAX_SEGS", 2]
# a short supervised training that learns the fade classes
LEARN = ["DATA.BATCH_SIZE", 6, "TRAIN.EPOCHS", 5, "TRAIN.EPOCHS_WARMUP", 0, "TRAIN.LR_BASE", 4e-3,
         "TRAIN.EPOCHS_EVAL", 5, "MODEL.DROPOUT", 0, "AUG.HOR_FLIP", False, "AUG.AUTO_AUGMENT_N", 0,
         "AUG.PROB_BLUR", 0, "AUG.MIN_SCALE", 1.0]


def test_knn_votes_with_the_similarity_of_the_k_nearest():
    bank = torch.tensor([[1.0, 0], [0.9, 0.1], [0, 1], [0.1, 0.9], [0.2, 0.8]])
    labels = torch.tensor([0, 0, 1, 1, 1])
    scores = knn_scores(bank, labels, torch.tensor([[1.0, 0.05]]), 2, k=2, temperature=0.1)
    assert scores.argmax(1).item() == 0 and scores[0, 1] == 0  # the three class-1 videos are farther
    scores = knn_scores(bank, labels, torch.tensor([[1.0, 0.05]]), 2, k=5, temperature=0.1)
    assert scores.argmax(1).item() == 0 and scores[0, 1] > 0  # outvoted: closer neighbours weigh more


def test_linear_probe_separates_a_linearly_separable_set_and_holds_out_every_class():
    g = torch.Generator().manual_seed(0)
    y = torch.arange(4).repeat(30)
    x = torch.randn(120, 16, generator=g) * 0.3 + torch.nn.functional.one_hot(y, 16) * 3
    scores, decay = linear_probe(x[:80], y[:80], x[80:], 4, seed=0)
    assert (scores.argmax(1) == y[80:]).all() and decay > 0
    fit, held = held_out_split(y[:80], seed=0)
    assert sorted(torch.cat([fit, held]).tolist()) == list(range(80))
    assert set(y[held].tolist()) == {0, 1, 2, 3} and len(held) == 16


def test_videos_encoded_by_two_ranks_count_once_in_id_order():
    ids, features = gather_videos(torch.tensor([2, 0, 1, 2]), torch.tensor([[2.0], [0.0], [1.0], [2.0]]))
    assert ids.tolist() == [0, 1, 2] and features.flatten().tolist() == [0.0, 1.0, 2.0]


class OnDeviceEncoder(nn.Module):
    """``model`` run with device-tagged weights and buffers; its classifier swaps as the probes swap it."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def swap_head(self, head: nn.Module) -> nn.Module:
        return self.model.swap_head(head)

    def forward(self, x):
        state = {k: to_device(v.detach()) for k, v in {**dict(self.model.named_parameters()),
                                                        **dict(self.model.named_buffers())}.items()}
        return functional_call(self.model, state, (x,))


def test_encoding_on_a_gpu_waits_only_for_the_features_at_the_end():
    """Audited as on a GPU: no device mismatch, one copy to the host (all the features, after the last batch);
    the per-video means are those of the plain CPU run."""
    torch.manual_seed(0)
    model = TSM(3, 4, "resnet18")
    batches = [(torch.rand(6, 3, 4, 32, 32), None, torch.tensor([0, 0, 0, 1, 1, 2])),
               (torch.rand(4, 3, 4, 32, 32), None, torch.tensor([3, 3, 4, 4]))]
    audit = Audit()
    with audit:
        ids, features = encode_videos(OnDeviceEncoder(model), batches, DEVICE)
    assert audit.mismatches == [] and len(audit.syncs) == 1 and "copy to the host" in audit.syncs[0], audit.report()
    plain_ids, plain = encode_videos(model, batches, torch.device("cpu"))
    assert ids.tolist() == plain_ids.tolist() == [0, 1, 2, 3, 4] and torch.allclose(features, plain, atol=1e-5)
    assert isinstance(model.new_fc, nn.Linear) and model.training  # the classifier and the mode are back


def test_a_cap_keeps_videos_spread_over_the_sorted_list():
    assert evenly_spread(10, 0) == list(range(10)) and evenly_spread(4, 9) == [0, 1, 2, 3]
    assert evenly_spread(100, 5) == [0, 25, 50, 74, 99]


def test_intervals_contain_their_estimate():
    correct = np.random.default_rng(0).random(300) < 0.7
    low, high = bootstrap_percent(correct, seed=0)
    assert low < 100 * correct.mean() < high and high - low < 15
    assert bootstrap_percent(np.ones(5, bool), 0) == (100.0, 100.0)
    mean, low, high = mean_interval([50.0, 52.0, 54.0])
    assert mean == 52.0 and low < 50 and high > 54  # t with 2 degrees of freedom: wider than the spread
    assert np.isnan(mean_interval([3.0])[1])


@pytest.fixture(scope="module")
def fade(tmp_path_factory):
    return make_fade_dataset(tmp_path_factory.mktemp("fade"))


def probe_rows(out):
    with open(out / "probe.csv") as f:
        return {(r["init"].split()[0], r["method"]): r for r in csv.DictReader(f)}


@pytest.mark.slow
def test_an_encoder_trained_on_the_classes_probes_far_better_than_a_random_one(fade, tmp_path):
    common = evaluation_opts(["DATA.ROOT", fade, *FADE, "TRAIN.OUTPUT", tmp_path / "probe"], "probe")
    done = run_script("probe.py", *common)
    assert done.returncode == 0, done.stderr[-2000:]
    done = run_script("train_sup.py", "DATA.ROOT", fade, *FADE, *LEARN, "TRAIN.OUTPUT", tmp_path / "trained")
    assert done.returncode == 0, done.stderr[-2000:]
    done = run_script("probe.py", *common, "TRAIN.INIT_SUP", tmp_path / "trained" / "ckpt_last.pth")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "initialised from supervised checkpoint" in done.stdout and "cached in" in done.stdout
    rows = probe_rows(tmp_path / "probe")
    for method in ("knn", "linear"):
        trained, random = float(rows["TRAIN.INIT_SUP", method]["top1"]), float(rows["random", method]["top1"])
        assert trained >= 90 and trained - random >= 30, (method, trained, random)
        low, high = float(rows["random", method]["top1_low"]), float(rows["random", method]["top1_high"])
        assert low <= random <= high and rows["random", method]["val_videos"] == "24"
    assert len(list((tmp_path / "probe" / "features").glob("*.npz"))) == 2

    again = run_script("probe.py", *common)  # same weights, same videos: the features are read back
    assert again.returncode == 0 and "reused from" in again.stdout, again.stderr[-2000:]
    assert probe_rows(tmp_path / "probe") == rows  # the rerun's rows replace its own, identical
    assert len(list((tmp_path / "probe" / "features").glob("*.npz"))) == 2


def test_a_random_init_probe_of_any_architecture_writes_both_rows(tmp_path):
    data = make_dataset(tmp_path / "data", n_train=3, n_val=2)
    done = run_in_process("probe.py", "DATA.ROOT", data, "DATA.DATASET", "toy", *evaluation_opts(TINY[:-2], "probe"),
                          "MODEL.ARCH", "r3d_18",
                          "PROBE.MAX_VIDEOS", 4, "TRAIN.OUTPUT", tmp_path / "out")
    assert done.returncode == 0, done.stderr[-2000:]
    rows = probe_rows(tmp_path / "out")
    assert set(rows) == {("random", "knn"), ("random", "linear")}
    assert rows["random", "knn"]["train_videos"] == "4" and rows["random", "knn"]["val_videos"] == "4"


BAD = [
    (["MODEL.RESUME", "{ckpt}"], "only the training scripts (probe.py starts from TRAIN.INIT_SUP"),
    (["PROBE.DATASET", "toy"], "probe.py probes DATA.DATASET"),
    (["DATA.SOURCE", "fractal"], "probe.py encodes the videos under DATA.ROOT/DATA.DATASET"),
    (["TRAIN.INIT_SUP", "{ckpt}", "TRAIN.INIT_SSL", "{ckpt}"], "TRAIN.INIT_SSL and TRAIN.INIT_SUP are both set"),
    (["TRAIN.INIT_SSL", "{junk}"], "cannot be read as a checkpoint"),
    (["PROBE.KNN_T", 0], "PROBE.KNN_T 0.0 is out of range"),
    (["DATA.DATASET", "missing"], "does not exist; prepare it with"),
]


@pytest.mark.parametrize("extra,message", BAD)
def test_bad_probe_input_exits_2_with_one_line_before_writing(tmp_path, extra, message):
    data = make_dataset(tmp_path / "data", n_train=1, n_val=1)
    (tmp_path / "junk.pth").write_bytes(b"not a checkpoint")
    extra = [str(e).format(ckpt=tmp_path / "junk.pth", junk=tmp_path / "junk.pth") for e in extra]
    done = run_in_process("probe.py", "DATA.ROOT", data, "DATA.DATASET", "toy", *evaluation_opts(TINY, "probe"), *extra,
                          "TRAIN.OUTPUT", tmp_path / "out")
    errors = [line for line in done.stderr.splitlines() if "error:" in line]
    assert done.returncode == 2 and len(errors) == 1 and message in errors[0], done.stderr[-800:]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("extra,message", [
    (["PROBE.EVERY", 2], "PROBE.EVERY is set but this run does not read it: only the online probe"),
    (["PROBE.DATASET", "nothere"], "dataset folder"),
])
def test_online_probe_settings_are_checked_before_training(tmp_path, extra, message):
    data = make_dataset(tmp_path / "data", n_train=1, n_val=1)
    done = run_in_process("train_ssl.py", "DATA.ROOT", data, "DATA.DATASET", "toy", *TINY, *extra,
                          "TRAIN.OUTPUT", tmp_path / "out")
    assert done.returncode == 2 and message in done.stderr, done.stderr[-800:]
    assert not (tmp_path / "out").exists()

"""Configuration, schedules, optimiser groups, checkpoints and validation averaging."""
import glob
import math

import pytest
import torch

from cfg.defaults import defaults
from src.models.tsm import TSM
from src.train import checkpoint, optim
from src.train.config import check, check_model_input, merge
from src.train.plan import derive
from src.train.metrics import topk_correct, video_probabilities


@pytest.mark.parametrize("path", sorted(p for p in glob.glob("cfg/*/*.yaml") if not p.startswith("cfg/study/")))
def test_every_provided_yaml_merges(path):
    from pathlib import Path
    cfg = merge([Path(path)], None, [])
    check(cfg, "supervised")
    check_model_input(cfg)
    assert cfg.DATA.DATASET


def test_learning_rates_scale_with_the_batch_and_follow_the_opts():
    cfg = merge([], 3, ["DATA.BATCH_SIZE", "64", "AUG.PROB_BLUR", "0"])
    assert derive(cfg).lr_base == pytest.approx(1.6e-3) and cfg.DEVICE == 3 and cfg.AUG.PROB_BLUR == 0.0
    assert cfg.TRAIN.LR_BASE == pytest.approx(8e-4)  # the configuration keeps what the user gave


def _cfg(name: str, epochs=10, warmup=2):
    cfg = defaults()
    cfg.TRAIN.EPOCHS, cfg.TRAIN.EPOCHS_WARMUP, cfg.TRAIN.LR_SCHEDULER.NAME = epochs, warmup, name
    cfg.TRAIN.LR_SCHEDULER.EPOCHS_DECAY = 3
    return cfg


def _lr(cfg, s, t):
    return optim.learning_rate(cfg, derive(cfg), s, t)


def test_schedules():
    s = 10  # steps per epoch: t_total 100, t_warm 20
    cos = _cfg("cosine")
    assert _lr(cos, s, 0) == pytest.approx(1e-6)
    assert _lr(cos, s, 10) == pytest.approx(1e-6 + 10 * (8e-4 - 1e-6) / 20)
    assert _lr(cos, s, 50) == pytest.approx(1e-5 + 0.5 * (8e-4 - 1e-5))  # t not shifted by warm-up
    assert _lr(cos, s, 100) == pytest.approx(1e-5)
    assert _lr(_cfg("step"), s, 65) == pytest.approx(8e-4 * 0.1 ** 2)
    assert _lr(_cfg("linear"), s, 100) == pytest.approx(0.01 * 8e-4)


def test_a_warm_up_longer_than_a_fifth_of_the_run_is_shortened_and_said():
    cfg = _cfg("cosine", epochs=2, warmup=10)  # the quickstart's short run with the default warm-up
    plan = derive(cfg)
    assert plan.warmup_epochs == pytest.approx(0.4)
    assert _lr(cfg, 10, 4) == pytest.approx(1e-5 + 0.5 * (8e-4 - 1e-5) * (1 + math.cos(math.pi * 4 / 20)))  # past it
    assert any("warm-up shortened from TRAIN.EPOCHS_WARMUP 10 to 0.4 epochs" in n for n in plan.notes(cfg))
    assert len(derive(_cfg("cosine", epochs=100, warmup=10)).notes(cfg)) == 1  # a long run keeps its warm-up


def test_step_s_trains_with_the_rate_of_t_equals_s():
    cfg = _cfg("cosine")
    model = torch.nn.Linear(2, 2)
    plan = derive(cfg)
    opt = optim.build_optimizer(cfg, plan, model)
    sched = optim.build_scheduler(cfg, plan, opt, 10)
    seen = []
    for _ in range(25):
        seen.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert seen == pytest.approx([_lr(cfg, 10, t) for t in range(25)])


def test_no_weight_decay_on_1d_parameters_and_biases():
    groups = optim.param_groups(TSM(3, 4, "resnet18"), 0.01)
    assert all(p.ndim > 1 for p in groups[0]["params"]) and groups[0]["weight_decay"] == 0.01
    assert all(p.ndim == 1 for p in groups[1]["params"]) and groups[1]["weight_decay"] == 0.0


def test_checkpoint_round_trip_under_weights_only(tmp_path):
    cfg = defaults()
    model = TSM(3, 4, "resnet18")
    plan = derive(cfg)
    opt = optim.build_optimizer(cfg, plan, model)
    for epoch in range(7):
        checkpoint.save(tmp_path, epoch, cfg, model, {"task": "supervised"}, opt,
                        optim.build_scheduler(cfg, plan, opt, 5), keep=5)
    assert sorted(p.name for p in tmp_path.glob("ckpt_epoch_*.pth")) == [f"ckpt_epoch_{e}.pth" for e in range(2, 7)]
    assert (tmp_path / "ckpt_last.pth").samefile(tmp_path / "ckpt_epoch_6.pth")  # a stable name, no extra disk
    state = checkpoint.load(tmp_path / "ckpt_epoch_6.pth")
    assert checkpoint.stored_config(state).TRAIN.LR_BASE == cfg.TRAIN.LR_BASE
    assert all(torch.equal(state["model"][k], v) for k, v in model.state_dict().items())


def test_validation_averages_softmax_per_video():
    """Video 7 has two segments: one confident for class 0, one mildly for class 1 → class 0 wins on average."""
    logits = torch.tensor([[4.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 2.0]])
    probs, ids = video_probabilities(logits, torch.tensor([7, 7, 9]))
    assert ids.tolist() == [7, 9]
    expected = (logits[0].softmax(0) + logits[1].softmax(0)) / 2
    assert torch.allclose(probs[0], expected) and probs[0].argmax() == 0
    assert topk_correct(probs, torch.tensor([1, 2]), ks=(1, 2)).tolist() == [1, 2]  # video 7: class 1 is second

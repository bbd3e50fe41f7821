"""A training step on a GPU never waits for the GPU: the real augmentation, forward pass and loss of every task
run under the device audit (tests/device_audit.py) with no host sync and no CPU tensor, and backward, gradient
clipping, loss scaling and the optimiser step read nothing back until the epoch's figures are printed."""
from types import SimpleNamespace

import pytest
import torch
from torch.func import functional_call

from device_audit import DEVICE, Audit, to_device
from src.models.tsm import TSM
from src.train.config import merge
from src.train.contrastive import ContrastiveTask
from src.train.loop import train_epoch
from src.train.optim import build_optimizer, build_scheduler
from src.train.plan import derive
from src.train.runtime import Runtime
from src.train.supervised import SupervisedTask
from src.train.init_weights import encoder_factory, ssl_model

EVERY_AUGMENTATION = ["AUG.TYPE_MIXUP", "back", "AUG.PROB_SCALE", "0.7", "AUG.PROB_SHIFT", "0.7", "AUG.PROB_CLONE",
                      "0.7", "AUG.PROB_PERSPECTIVE", "0.7", "AUG.PROB_ZOOM", "0.7", "AUG.PROB_SHAKE", "0.7",
                      "AUG.EPOCHS_CURRICULUM", "1"]
TINY = ["DATA.IMG_SIZE", "32", "DATA.CLIP_LENGTH", "4", "DATA.BATCH_SIZE", "8", "MODEL.TSM_BASE", "resnet18"]


def _on_device(module: torch.nn.Module):
    """``module`` as a function of device-tagged clips, with device-tagged weights and buffers."""
    state = {k: to_device(v.detach()) for k, v in {**dict(module.named_parameters()),
                                                     **dict(module.named_buffers())}.items()}
    return lambda *args: functional_call(module, state, args)


def _plan(cfg, steps_per_epoch=10, n_classes=3):
    plan = derive(cfg)
    plan.steps_per_epoch, plan.n_classes = steps_per_epoch, n_classes
    return plan


@pytest.mark.parametrize("step", [0, 1000])  # the start and the end of the augmentation curriculum
def test_a_supervised_step_waits_on_nothing(step):
    cfg = merge([], None, TINY + EVERY_AUGMENTATION)
    task = SupervisedTask()
    step_fn = task.step(_on_device(TSM(3, 4, "resnet18")), cfg, _plan(cfg), Runtime(DEVICE))
    batch = (torch.rand(8, 3, 4, 32, 32), torch.randint(0, 3, (8,)))  # the loader's batch, on the host
    audit = Audit()
    with audit:
        loss, n, hits = step_fn(batch, step)
    assert audit.syncs == [] and audit.mismatches == [], audit.report()
    assert loss.device == DEVICE and n == 8 and set(hits) == {"acc1", "acc5"}


@pytest.mark.parametrize("scheme", ["moco", "byol", "simclr"])
def test_a_contrastive_step_waits_on_nothing(scheme):
    cfg = merge([], None, TINY + EVERY_AUGMENTATION + ["TRAIN.SSL_SCHEME", scheme, "MOCO.K", "16"])
    model = ssl_model(cfg, encoder_factory(cfg), 100)
    step_fn = ContrastiveTask().step(_on_device(model), cfg, _plan(cfg), Runtime(DEVICE))
    batch = (torch.rand(8, 2, 3, 4, 32, 32), torch.arange(8))
    audit = Audit()
    with audit:
        for step in (0, 1):
            loss, n, hits = step_fn(batch, step)
    assert audit.syncs == [] and audit.mismatches == [], audit.report()
    assert loss.device == DEVICE and n == 8


def test_backward_clipping_loss_scaling_and_the_step_read_nothing_until_the_epoch_ends():
    """On plain CPU tensors (autograd needs a device runtime for tagged ones), where only op names tell a read
    apart, so without the augmentations (their host-side draws are audited above): loss scaling and a fused
    optimiser as on CUDA; the only reads are the epoch's totals."""
    plain = ["AUG.HOR_FLIP", "False", "AUG.AUTO_AUGMENT_M", "0", "AUG.PROB_BLUR", "0"]
    cfg = merge([], None, TINY + plain + ["TRAIN.PRINT_FREQ", "100"])
    model = TSM(3, 4, "resnet18")
    plan = _plan(cfg, steps_per_epoch=3)
    optimizer = build_optimizer(cfg, plan, model, fused=True)
    rt = Runtime(torch.device("cpu"))
    session = SimpleNamespace(cfg=cfg, plan=plan, rt=rt, model=model, optimizer=optimizer,
                              scheduler=build_scheduler(cfg, plan, optimizer, 3),
                              scaler=torch.amp.GradScaler("cpu", init_scale=2.0 ** 8), logger=None)

    class Batches(list):
        may_skip = True  # the check runs on one process without communication

        def set_epoch(self, epoch):
            pass
    batches = Batches((torch.rand(8, 3, 4, 32, 32), torch.randint(0, 3, (8,))) for _ in range(3))
    audit = Audit(tag=False)
    with audit:
        stats = train_epoch(session, batches, SupervisedTask().step(model, cfg, plan, rt), epoch=0)
    assert stats["loss"] > 0 and {"acc1", "acc5"} <= set(stats)
    assert audit.syncs and all("src/train/loop.py" in s for s in audit.syncs), audit.report()
    assert len(audit.syncs) == 3  # the loss total and the two hit counts, once, at the epoch's end

"""The original fractal pre-training project's checkpoints (a ``torch.save`` of its model's state_dict, optimiser,
scheduler, epoch and its yacs configuration object) start fine-tuning, probes, compare.py and val_sup.py here;
no pickled code ever runs. The tests write such files themselves: a real CfgNode in a real torch.save."""
import pickle
import re

import pytest
import torch
from torch import nn
from yacs.config import CfgNode

from cfg.defaults import defaults
from src.compare.cells import parse_init
from src.models.temporal_shift import TemporalShift
from src.models.tsm import TSM
from src.models.x3d import X3D
from src.train import checkpoint
from src.train.checkpoint import CheckpointError
from src.train.engine import read_resume
from src.train.init_weights import load_kinetics, supervised_model
from src.train.supervised import SupervisedTask
from original_files import original_config, write_original
from train_helpers import TINY, evaluation_opts, make_dataset, run_in_process, run_script

MOBILENET_SETTINGS = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                      (6, 320, 1, 1)]


def fine_tuning_cfg(**opts) -> CfgNode:
    cfg = defaults()
    cfg.DATA.CLIP_LENGTH = 4
    for key, value in opts.items():
        section, name = key.split("__")
        cfg[section][name] = value
    return cfg


def randomised(model: nn.Module) -> nn.Module:
    """``model`` with random BatchNorm statistics too, in eval mode: outputs depend on every buffer."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.BatchNorm2d, nn.BatchNorm3d)):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
    return model.eval()


def test_a_supervised_tsm_resnet50_checkpoint_loads_every_weight_and_says_what_it_is(tmp_path):
    original = randomised(TSM(101, 4, "resnet50"))
    path = write_original(tmp_path / "ckpt_epoch_99.pth", original.state_dict(), original_config(n_classes=101))
    model, note = supervised_model(fine_tuning_cfg(TRAIN__INIT_SUP=str(path)), 51)
    assert "the original project's supervised TSM-resnet50 checkpoint (101 classes, epoch 99, 4-frame clips at " \
           "112 px)" in note and "all 320 weights of its encoder loaded, classifier new (51 classes)" in note
    own = model.state_dict()
    for key, value in original.state_dict().items():
        if not key.startswith("new_fc."):
            assert torch.equal(own[key], value), key
    assert own["new_fc.weight"].shape == (51, 2048)


def authors_mobilenet_tsm(n_classes: int, n_segment: int) -> nn.Module:
    """TSM MobileNetV2 with its authors' layer names: each inverted-residual block is one flat Sequential
    (conv, BN, ReLU6, ...), the shift wraps the expansion conv alone."""

    def conv_bn(c_in, c_out, k, stride, groups=1):
        return [nn.Conv2d(c_in, c_out, k, stride, k // 2, groups=groups, bias=False), nn.BatchNorm2d(c_out)]

    class Block(nn.Module):
        def __init__(self, c_in, c_out, stride, t):
            super().__init__()
            hidden, self.residual = c_in * t, stride == 1 and c_in == c_out
            layers = ([*conv_bn(c_in, hidden, 1, 1), nn.ReLU6()] if t != 1 else []) + \
                [*conv_bn(hidden, hidden, 3, stride, hidden), nn.ReLU6(), *conv_bn(hidden, c_out, 1, 1)]
            if t != 1 and self.residual:
                layers[0] = TemporalShift(layers[0], n_segment)
            self.conv = nn.Sequential(*layers)

        def forward(self, x):
            return x + self.conv(x) if self.residual else self.conv(x)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            features, c_in = [nn.Sequential(*conv_bn(3, 32, 3, 2), nn.ReLU6())], 32
            for t, c, n, s in MOBILENET_SETTINGS:
                for i in range(n):
                    features.append(Block(c_in, c, s if i == 0 else 1, t))
                    c_in = c
            features.append(nn.Sequential(*conv_bn(c_in, 1280, 1, 1), nn.ReLU6()))
            self.base_model = nn.Module()
            self.base_model.features = nn.Sequential(*features)
            self.new_fc = nn.Linear(1280, n_classes)

        def forward(self, x):
            b, c, t, h, w = x.shape
            frames = self.base_model.features(x.transpose(1, 2).reshape(b * t, c, h, w)).mean((2, 3))
            return self.new_fc(frames).view(b, t, -1).mean(1)

    return randomised(Net())


def test_mobilenetv2_in_its_authors_layout_lands_where_it_computes_the_same_output(tmp_path):
    authors = authors_mobilenet_tsm(7, 4)
    weights = authors.state_dict()
    assert len(weights) == 314 and "base_model.features.1.conv.0.weight" in weights
    path = write_original(tmp_path / "mobilenet.pth", weights, original_config(base="mobilenetv2", n_classes=7))
    state = checkpoint.load(path, "TRAIN.INIT_SUP")
    ours = TSM(7, 4, "mobilenetv2").eval()
    checkpoint.load_weights(ours, state["model"], "TRAIN.INIT_SUP")  # strict: every name and shape
    clips = torch.randn(2, 3, 4, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(ours(clips), authors(clips), rtol=1e-4, atol=1e-5)


def test_the_tsm_authors_mobilenetv2_kinetics_file_loads_every_backbone_weight(tmp_path):
    authors = authors_mobilenet_tsm(400, 4)
    path = tmp_path / "TSM_kinetics_RGB_mobilenetv2.pth"
    torch.save({"epoch": 100, "state_dict": {f"module.{k}": v for k, v in authors.state_dict().items()}}, path)
    ours = TSM(400, 4, "mobilenetv2")
    assert "every backbone weight loaded" in load_kinetics(ours, str(path))
    clips = torch.randn(1, 3, 4, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(ours.eval()(clips), authors(clips), rtol=1e-4, atol=1e-5)


def test_a_supervised_x3d_checkpoint_fine_tunes(tmp_path):
    original = X3D(5, "XS")
    path = write_original(tmp_path / "x3d.pth", original.state_dict(), original_config(arch="x3d", x3d_size="XS",
                                                                                       n_classes=5))
    cfg = fine_tuning_cfg(MODEL__ARCH="x3d", MODEL__X3D_SIZE="XS", TRAIN__INIT_SUP=str(path))
    model, note = supervised_model(cfg, 3)
    assert "supervised X3D-XS checkpoint (5 classes" in note
    assert torch.equal(model.state_dict()["blocks.0.conv.conv_t.weight"],
                       original.state_dict()["blocks.0.conv.conv_t.weight"])


def original_ssl_weights(scheme: str, encoder_weights: dict, queue: int = 32) -> dict:
    """The state_dict of the original's MoCo, BYOL or SimCLR around an encoder with ``encoder_weights``."""
    if scheme == "moco":
        return {**{f"encoder_q.{k}": v for k, v in encoder_weights.items()},
                **{f"encoder_k.{k}": v + 1 for k, v in encoder_weights.items()},
                "queue": torch.randn(queue, 16), "queue_file": torch.full((1, queue), -1, dtype=torch.int32)}
    if scheme == "byol":
        mlp = nn.Sequential(nn.Linear(16, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Linear(32, 16))
        return {**{f"online_encoder.{k}": v for k, v in encoder_weights.items()},
                **{f"target_encoder.{k}": v + 1 for k, v in encoder_weights.items()},
                **{f"mlp.{k}": v for k, v in mlp.state_dict().items()}}
    return {f"encoder.{k}": v for k, v in encoder_weights.items()}


@pytest.mark.parametrize("scheme", ["moco", "byol", "simclr"])
def test_each_ssl_scheme_gives_its_online_encoder_to_fine_tuning(tmp_path, scheme):
    encoder = TSM(16, 4, "resnet18", mlp_head=True)
    path = write_original(tmp_path / f"{scheme}.pth", original_ssl_weights(scheme, encoder.state_dict()),
                          original_config(mode="contrastive", base="resnet18", scheme=scheme))
    cfg = fine_tuning_cfg(MODEL__TSM_BASE="resnet18", TRAIN__INIT_SSL=str(path))
    model, note = supervised_model(cfg, 3)
    assert f"the original project's {scheme} TSM-resnet18 checkpoint (16 outputs, epoch 99" in note
    own = model.state_dict()
    for key, value in encoder.state_dict().items():
        if not key.startswith("new_fc."):
            assert torch.equal(own[key], value), key  # the online encoder's, not the momentum copy's
    assert own["new_fc.weight"].shape == (3, 512)
    assert parse_init(f"{scheme}={path}", cfg).key == "TRAIN.INIT_SSL"


def test_an_x3d_ssl_checkpoint_gives_its_online_encoder(tmp_path):
    encoder = X3D(16, "XS", mlp_head=True)
    path = write_original(tmp_path / "byol-x3d.pth", original_ssl_weights("byol", encoder.state_dict()),
                          original_config(mode="contrastive", arch="x3d", x3d_size="XS", scheme="byol"))
    model, note = supervised_model(fine_tuning_cfg(MODEL__ARCH="x3d", MODEL__X3D_SIZE="XS",
                                                   TRAIN__INIT_SSL=str(path)), 3)
    assert "the original project's byol X3D-XS checkpoint (16 outputs" in note
    own = model.state_dict()
    assert all(torch.equal(own[k], v) for k, v in encoder.state_dict().items() if ".proj." not in k)


def test_an_original_checkpoint_given_as_the_wrong_init_or_model_is_one_line(tmp_path):
    path = write_original(tmp_path / "sup.pth", TSM(3, 4, "resnet18").state_dict(), original_config(base="resnet18"))
    with pytest.raises(CheckpointError, match="was written by train_sup.py; use TRAIN.INIT_SUP"):
        supervised_model(fine_tuning_cfg(MODEL__TSM_BASE="resnet18", TRAIN__INIT_SSL=str(path)), 3)
    with pytest.raises(CheckpointError, match="holds a TSM-resnet18; set MODEL.TSM_BASE resnet18"):
        supervised_model(fine_tuning_cfg(TRAIN__INIT_SUP=str(path)), 3)
    assert parse_init(f"fractal={path}", fine_tuning_cfg(MODEL__TSM_BASE="resnet18")).key == "TRAIN.INIT_SUP"


def test_resuming_an_original_checkpoint_says_to_start_from_its_weights(tmp_path):
    path = write_original(tmp_path / "sup.pth", TSM(3, 4, "resnet18").state_dict(), original_config(base="resnet18"))
    cfg = fine_tuning_cfg(MODEL__TSM_BASE="resnet18", MODEL__RESUME=str(path))
    with pytest.raises(CheckpointError) as e:
        read_resume(cfg, SupervisedTask())
    assert str(e.value) == (f"MODEL.RESUME {path} is the original project's supervised TSM-resnet18 checkpoint (3 "
                            "classes, epoch 99, 4-frame clips at 112 px), whose optimiser state is not continued "
                            f"here; start from its weights with TRAIN.INIT_SUP {path}")


class RunsCode:
    """Unpickling this calls ``os.system``: it must never happen."""

    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        import os
        return os.system, (f"touch {self.target}",)


class DisguisedAsConfig(dict):
    """Pickles as ``yacs.config.CfgNode`` (the one extra name admitted) but carries code in its items."""

    def __reduce__(self):
        return CfgNode, (), None, None, iter(self.items())


def malicious_files(tmp_path) -> dict[str, object]:
    target = tmp_path / "ran"
    weights = {"w": torch.ones(2)}
    node = CfgNode()
    dict.__setitem__(node, "X", RunsCode(target))  # CfgNode(...) would deep-copy, i.e. run, the payload now
    return {
        "a global in the config": {"model": weights, "epoch": 1, "config": node},
        "a global in the optimiser": {"model": weights, "config": original_config(), "optimizer": RunsCode(target)},
        "a disguised config node": {"model": weights, "config": DisguisedAsConfig(x=RunsCode(target))},
        "the whole file": RunsCode(target),
        "another yacs name": {"model": weights, "config": CfgNode.load_cfg},
    }


@pytest.mark.parametrize("case", ["a global in the config", "a global in the optimiser", "a disguised config node",
                                  "the whole file", "another yacs name"])
@pytest.mark.parametrize("protocol", [2, 3, pickle.HIGHEST_PROTOCOL])
def test_a_pickle_that_would_run_code_is_refused_in_one_line_and_nothing_runs(tmp_path, case, protocol):
    path = tmp_path / "evil.pth"
    torch.save(malicious_files(tmp_path)[case], path, pickle_protocol=protocol)
    with pytest.raises(CheckpointError) as e:
        checkpoint.load(path, "TRAIN.INIT_SUP")
    reason = "it holds objects other than tensors, which are never unpickled" if protocol < 4 else \
        "it was pickled with protocol 4 or 5, which PyTorch's weights-only reader does not read"  # even tensors
    assert f"cannot be read as a checkpoint: {reason}" in str(e.value) and "\n" not in str(e.value)
    assert not (tmp_path / "ran").exists()


def files_that_are_not_models(tmp_path) -> dict[str, object]:
    """Files a hostile or careless hand could make: each must be a one-line refusal or load as data."""
    nested = {"v": 1}
    for _ in range(40):  # 2^40 leaves if expanded: read as a tree, it would never finish
        nested = {"a": nested, "b": nested}
    weights = {"new_fc.weight": torch.zeros(3, 4)}
    return {
        "a config that nests without end": ({"model": weights, "config": {"MODEL": {}, "X": nested}}, None),
        "a weight not named by a string": ({"model": {1: torch.ones(1)}, "config": {}}, "a weight named 1"),
        "a number for a weight": ({"model": {"new_fc.weight": 5}, "config": {}}, "is not a dense tensor"),
        "a classifier that is not a matrix": ({"model": {"new_fc.weight": torch.tensor(1.0)}, "config": {}},
                                              "is not a matrix"),
        "a tensor larger than its storage": (
            {"model": {"new_fc.weight": torch.zeros(1, 512).expand(10 ** 12, 512)}, "config": {}},
            "claims more elements than its storage holds"),
        "a meta tensor": ({"model": {"new_fc.weight": torch.zeros(3, 4, device="meta")}, "config": {}},
                          "is not a dense tensor"),
        "our format without a configuration": ({"model": weights, "epoch": 1}, "does not read (KeyError)"),
        "our format with a number for a configuration": ({"model": weights, "config": 5, "epoch": 1},
                                                         "does not read (AssertionError)"),
    }


@pytest.mark.parametrize("case", ["a config that nests without end", "a weight not named by a string",
                                  "a number for a weight", "a classifier that is not a matrix",
                                  "a tensor larger than its storage", "a meta tensor",
                                  "our format without a configuration", "our format with a number for a configuration"])
def test_a_file_that_is_not_a_model_is_refused_in_one_line_or_read_as_data(tmp_path, case):
    contents, message = files_that_are_not_models(tmp_path)[case]
    torch.save(contents, tmp_path / "odd.pth")
    if message is None:  # read at once: only a few settings are taken from its configuration
        assert checkpoint.load(tmp_path / "odd.pth", "TRAIN.INIT_SUP")["arch"] == "tsm"
        return
    with pytest.raises(CheckpointError, match=re.escape(message)) as e:
        checkpoint.load(tmp_path / "odd.pth", "TRAIN.INIT_SUP")
    assert "\n" not in str(e.value)


def test_a_file_of_ours_that_claims_to_be_the_originals_is_read_as_ours(tmp_path):
    state = {"model": TSM(3, 4, "resnet18").state_dict(), "config": "MODEL:\n  TSM_BASE: resnet18\n", "epoch": 0,
             "task": "supervised", "arch": "tsm", "base": "resnet18", "n_classes": 3, "origin": "original"}
    torch.save(state, tmp_path / "ours.pth")
    model, note = supervised_model(fine_tuning_cfg(MODEL__TSM_BASE="resnet18",
                                                   TRAIN__INIT_SUP=str(tmp_path / "ours.pth")), 5)
    assert note.startswith("initialised from supervised checkpoint")


def test_the_scripts_fine_tune_evaluate_and_probe_from_original_checkpoints(tmp_path):
    data = make_dataset(tmp_path / "data", n_train=2, n_val=1)
    common = ["DATA.ROOT", data, "DATA.DATASET", "toy", *TINY, "DATA.BATCH_SIZE", 3, "TRAIN.EPOCHS", 1,
              "TRAIN.EPOCHS_WARMUP", 0]
    fine_tuned = write_original(tmp_path / "hmdb.pth", TSM(3, 4, "resnet18").state_dict(),
                                original_config(base="resnet18"))
    done = run_script("train_sup.py", *common, "TRAIN.INIT_SUP", fine_tuned, "TRAIN.OUTPUT", tmp_path / "ft")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "initialised from the original project's supervised TSM-resnet18 checkpoint (3 classes, epoch 99" \
        in (tmp_path / "ft" / "log_rank0.txt").read_text()

    done = run_in_process("val_sup.py", *evaluation_opts(common), "MODEL.RESUME", fine_tuned,
                          "TRAIN.OUTPUT", tmp_path / "val")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "(the original project's supervised TSM-resnet18 checkpoint" in (tmp_path / "val" / "log_rank0.txt") \
        .read_text() and (tmp_path / "val" / "pred_test.csv").is_file()

    moco = write_original(tmp_path / "moco.pth",
                          original_ssl_weights("moco", TSM(16, 4, "resnet18", mlp_head=True).state_dict()),
                          original_config(mode="contrastive", base="resnet18"))
    done = run_in_process("probe.py", *evaluation_opts(common, "probe"), "TRAIN.INIT_SSL", moco,
                          "TRAIN.OUTPUT", tmp_path / "probe")
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "probe" / "probe.csv").is_file()

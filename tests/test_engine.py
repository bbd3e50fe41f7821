"""The shared trainer: wrappers never leak into checkpoints, config.yaml reproduces a run, evaluation and resume
load strictly, channels-last reaches the backbone, DDP ranks stay in lock-step."""
import json
import sys

import pytest
import torch

from cfg.defaults import defaults
import zygote
from generate_helpers import ROOT
from src.models.tsm import TSM
from src.train import checkpoint
from src.train.engine import place, wrap
from src.train.init_weights import encoder_factory, ssl_model
from src.train.runtime import Runtime
from train_helpers import TINY, evaluation_opts, make_dataset, run_in_process, run_script
from video_fixtures import ramp_frames, write


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return make_dataset(tmp_path_factory.mktemp("data"))


def train(data, out, *extra, script="train_sup.py", args=()):
    done = run_script(script, "DATA.ROOT", data, "DATA.DATASET", "toy", *TINY, "TRAIN.OUTPUT", out, *extra,
                      args=args)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def one_error_line(done) -> str:
    errors = [line for line in done.stderr.splitlines() if "error:" in line]
    assert done.returncode == 2 and len(errors) == 1, done.stderr[-1500:]
    return errors[0]


def test_a_compiled_model_is_saved_without_wrapper_prefixes(tmp_path):
    cfg = defaults()
    cfg.TRAIN.COMPILE = True
    model = TSM(3, 4, "resnet18")
    compiled = wrap(model, cfg, Runtime(torch.device("cpu")))
    assert next(iter(compiled.state_dict())).startswith("_orig_mod.")  # what used to reach the checkpoint
    path = checkpoint.save(tmp_path, 0, cfg, compiled, {"task": "supervised", "n_classes": 3})
    fresh = TSM(3, 4, "resnet18")
    checkpoint.load_weights(fresh, checkpoint.load(path)["model"], "test")  # strict: every key
    assert all(torch.equal(a, b) for a, b in zip(fresh.state_dict().values(), model.state_dict().values()))


def test_checkpoints_of_older_versions_with_prefixed_keys_still_load(tmp_path):
    model = TSM(3, 4, "resnet18")
    torch.save({"model": {"_orig_mod." + k: v for k, v in model.state_dict().items()}, "epoch": 0,
                "config": "MODEL:\n  N_CLASSES: 3\n  TSM_BASE: resnet18\nTRAIN:\n  MODE: supervised\n"},
               tmp_path / "old.pth")
    state = checkpoint.load(tmp_path / "old.pth")
    checkpoint.load_weights(TSM(3, 4, "resnet18"), state["model"], "test")
    assert checkpoint.meta_of(state) == {"task": "supervised", "arch": "tsm", "base": "resnet18", "n_classes": 3,
                                          "classes": []}


def test_a_checkpoint_that_does_not_fit_is_refused_naming_the_keys():
    weights = TSM(3, 4, "resnet18").state_dict()
    weights["bogus.weight"] = torch.zeros(1)
    del weights["new_fc.bias"]
    with pytest.raises(checkpoint.CheckpointError, match=r"1 missing \(new_fc.bias\); 1 unexpected \(bogus.weight\)"):
        checkpoint.load_weights(TSM(3, 4, "resnet18"), weights, "MODEL.RESUME x.pth")


def test_channels_last_reaches_the_backbone_under_ssl():
    """The flag used to land on the MoCo wrapper; now the backbone follows its own weights' memory format."""
    cfg = defaults()
    cfg.MODEL.TSM_BASE, cfg.DATA.CLIP_LENGTH, cfg.MOCO.K = "resnet18", 4, 8
    model = place(ssl_model(cfg, encoder_factory(cfg), 1), torch.device("cpu"), channels_last=True)
    seen = []
    conv = model.encoder_q.base_model.conv1  # the module the query forward pass runs
    conv.register_forward_pre_hook(lambda m, args: seen.append(args[0]))
    x = torch.randn(2, 3, 4, 32, 32)
    model(x, x, torch.arange(2), 0)
    assert model.encoder_q.channels_last and model.encoder_k.channels_last
    assert seen and seen[0].is_contiguous(memory_format=torch.channels_last) and not seen[0].is_contiguous()


@pytest.mark.slow
def test_config_yaml_reproduces_the_run(data, tmp_path):
    """Batch 4 and a time limit: the written config.yaml, fed back, gives the same learning rates and limit."""
    opts = ("DATA.BATCH_SIZE", 4, "TRAIN.TIME_LIMIT", "1h", "TRAIN.EPOCHS", 1, "TRAIN.LR_BASE", 2e-3)
    train(data, tmp_path / "a", *opts)
    written = (tmp_path / "a" / "config.yaml").read_text()
    assert "LR_BASE: 0.002" in written and "TIME_LIMIT: 1h" in written  # what was asked, not derived values
    again = run_script("train_sup.py", "TRAIN.OUTPUT", tmp_path / "b", args=("--cfg", tmp_path / "a" / "config.yaml"))
    assert again.returncode == 0, again.stderr[-2000:]
    assert "\r" not in again.stderr  # redirected: progress as plain lines, no carriage returns
    assert (tmp_path / "b" / "config.yaml").read_text() == written.replace(str(tmp_path / "a"), str(tmp_path / "b"))
    lines = [[line.split("] ", 1)[1] for line in (tmp_path / run / "log_rank0.txt").read_text().splitlines()
              if "learning rates scaled" in line] for run in "ab"]
    assert lines[0] == lines[1] and "base 0.00025" in lines[0][0]  # 2e-3 · 4/32, once


@pytest.mark.slow
def test_val_sup_with_a_checkpoint_of_another_base_exits_2(data, tmp_path):
    train(data, tmp_path / "r18", "TRAIN.EPOCHS", 1)
    other_base = ["DATA.ROOT", data, "DATA.DATASET", "toy", *TINY, "MODEL.TSM_BASE", "mobilenetv2"]
    done = run_in_process("val_sup.py", *evaluation_opts(other_base), "MODEL.RESUME", tmp_path / "r18" / "ckpt_last.pth",
                          "TRAIN.OUTPUT", tmp_path / "val")
    assert "holds a TSM-resnet18; set MODEL.TSM_BASE resnet18" in one_error_line(done)
    assert not (tmp_path / "val").exists()
    done = run_in_process("train_sup.py", *other_base, "MODEL.RESUME", tmp_path / "r18" / "ckpt_last.pth",
                          "TRAIN.EPOCHS", 2, "TRAIN.OUTPUT", tmp_path / "resumed")
    assert "holds a TSM-resnet18; set MODEL.TSM_BASE resnet18" in one_error_line(done)  # before the data is read
    assert not (tmp_path / "resumed").exists()


@pytest.mark.slow
def test_resume_and_evaluation_refuse_weights_that_do_not_fit(data, tmp_path):
    bogus = {"model": {"bogus.weight": torch.zeros(1)}, "epoch": 0,
             "config": "MODEL:\n  N_CLASSES: 3\n  TSM_BASE: resnet18\n"}
    torch.save(bogus, tmp_path / "bogus.pth")
    for script in ("train_sup.py", "val_sup.py"):
        opts = ["DATA.ROOT", data, "DATA.DATASET", "toy", *TINY, "TRAIN.EPOCHS", 2]
        done = run_in_process(script, *(opts if script == "train_sup.py" else evaluation_opts(opts)), "MODEL.RESUME",
                              tmp_path / "bogus.pth", "TRAIN.OUTPUT", tmp_path / script)
        assert "unexpected (bogus.weight)" in one_error_line(done) and not (tmp_path / script).exists()


def _shrink_after_counting(root):
    """One class's training videos shrink to 2 frames while the frame-count cache still says 12: they fail
    mid-epoch (a batch of them fails on its rank; an epoch keeps the batches that every rank could read)."""
    index = root / "toy" / ".frame_counts.json"
    counts = json.loads(index.read_text())
    for rel in list(counts):
        if rel.startswith("train/c1/"):
            write(root / "toy" / rel, ramp_frames(2), "h264")
            st = (root / "toy" / rel).stat()
            counts[rel] = [st.st_size, st.st_mtime_ns, 12]
    index.write_text(json.dumps(counts))


@pytest.mark.slow
def test_ddp_ranks_skip_failed_batches_and_stop_on_time_together(tmp_path):
    """Two gloo processes: batches whose every video fails on one rank only, and a time limit that stops both."""
    root = make_dataset(tmp_path / "data")
    train(root, tmp_path / "count", "TRAIN.EPOCHS", 1)  # fills the frame-count cache
    _shrink_after_counting(root)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", str(ROOT / "train_sup.py"),
           "--opts", "DATA.ROOT", str(root), "DATA.DATASET", "toy", *TINY, "DATA.BATCH_SIZE", "2",
           "TRAIN.EPOCHS", "50", "TRAIN.EPOCHS_SAVE", "100", "TRAIN.TIME_LIMIT", "1s",
           "TRAIN.OUTPUT", str(tmp_path / "ddp")]
    done = zygote.run(cmd[1:], timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "skipping unreadable video" in done.stderr
    log = (tmp_path / "ddp" / "log_rank0.txt").read_text()
    stopped = int(log.split("TRAIN.TIME_LIMIT reached after epoch ")[1].split()[0])
    assert stopped < 49 and (tmp_path / "ddp" / f"ckpt_epoch_{stopped}.pth").exists()  # saved at the stop

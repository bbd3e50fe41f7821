"""Every command line the README shows runs as written, in order, at a tiny size: only sizes are substituted
(sample and epoch counts, frame sides, clip lengths, batch sizes), nothing else of the command changes. A
rename or a refused option can no longer break a documented command silently.

The lines run in a scratch folder that holds what the README's readers fetch themselves: small stand-ins for
the downloadable datasets, the Kinetics weight files and the original project's checkpoints, with the layouts of
the real ones."""
import csv
import itertools
import os
import re
import shlex
import subprocess
import time
from pathlib import Path

import pytest
import torch

import zygote
from generate_helpers import ROOT
from original_files import original_config, write_original
from train_helpers import make_dataset

README = ROOT / "README.md"
SCRIPTS = ("generate_synthetic.py", "prepare_data.py", "train_sup.py", "val_sup.py", "train_ssl.py", "probe.py",
           "compare.py")

# Lines no test can run here, with the reason; every other line must run.
CANNOT_RUN = {
    "python -m pytest": "is this test suite",
    "prepare_data.py --dataset hmdb51 --root data": "downloads HMDB51 (tests/test_prepare_data.py serves archives)",
    "prepare_data.py --dataset sup-fractal --root data": "downloads from Google Drive",
    "prepare_data.py --dataset ucf101 --root data --source": "needs the UCF101 archives on disk",
    "prepare_data.py --dataset uns-fractal-diversity": "downloads from Google Drive",
    "TRAIN.SYNC_BN True": "SyncBatchNorm needs CUDA GPUs",
    "gdown ": "downloads from Google Drive",
    "--study cfg/study/families.yaml": "a cluster-sized study (tests/test_study.py checks its recipes)",
    "--study cfg/study/ablations.yaml": "a cluster-sized study on class files made first (tests/test_study.py)",
}

# The sizes every line runs at: (pattern, replacement)
SIZES = [
    (r"--samples \d+", "--samples 6"),
    (r"--gen_param \d+", "--gen_param 3"),
    (r"--time \S+", "--time 2s"),
    (r"--res \d+", "--res 32"),
    (r"--preview_aug \d+", "--preview_aug 2"),
    (r"DATA\.SAMPLES_PER_EPOCH \d+", "DATA.SAMPLES_PER_EPOCH 16"),
    (r"DATA\.VAL_SAMPLES \d+", "DATA.VAL_SAMPLES 6"),
    (r"DATA\.BATCH_SIZE \d+", "DATA.BATCH_SIZE 4"),
    (r"TRAIN\.EPOCHS \d+", "TRAIN.EPOCHS 1"),
    (r"--seeds \d+", "--seeds 1"),
    (r"--val_per_class \d+", "--val_per_class 1"),
    (r"PROBE\.MAX_VIDEOS \d+", "PROBE.MAX_VIDEOS 6"),
    (r"DATA\.IMG_SIZE \d+", "DATA.IMG_SIZE 32"),
    (r"ckpt_epoch_24\.pth", "ckpt_last.pth"),  # pre-trained for one epoch here
]
TINY_FRACTAL = "--res 32 --iter 400 --iter_b 300"
# a study's pre-trainings (the README's: MoCo on rendered clips) where --pretrain_opts does not set them
TINY_PRETRAINING = {"DATA.IMG_SIZE": 32, "DATA.CLIP_LENGTH": 4, "DATA.STRIDE": 2, "DATA.TORCH_N_WORKERS": 0}
TINY_CLIPS = {"DATA.IMG_SIZE": 32, "DATA.CLIP_LENGTH": 4, "DATA.STRIDE": 2, "DATA.BATCH_SIZE": 4,
              "DATA.TORCH_N_WORKERS": 0, "TRAIN.EPOCHS": 1}


def readme_commands() -> list[str]:
    """The command lines of the README's bash blocks, in order (comments and `pip install ... &&` dropped)."""
    lines, in_block = [], False
    for raw in README.read_text().splitlines():
        line = raw.strip()
        if line.startswith("```"):
            in_block = line == "```bash"
            continue
        line = line.split(" #", 1)[0].strip()
        if in_block and line and not line.startswith("#"):
            lines.append(line.split(" && ", 1)[-1] if line.startswith("pip install") else line)
    return lines


def tiny_training_opts(script: str, argv: list[str], cwd: Path) -> list[str]:
    """KEY VALUE pairs that make a training line tiny; only keys the run reads (others are refused)."""
    from src.train.config import build_parser, merge
    args = build_parser("", preview=True).parse_args(argv)
    cfg = merge([cwd / p for p in args.cfg], None, args.opts)
    opts = dict(TINY_CLIPS)
    if cfg.MODEL.ARCH == "tsm":
        opts["MODEL.TSM_BASE"] = "resnet18"
    if script != "train_ssl.py" or cfg.PROBE.DATASET:
        opts["DATA.VAL_MAX_SEGS"] = 1
    if cfg.DATA.SOURCE == "fractal":
        opts["DATA.SAMPLES_PER_EPOCH"] = 16
        if script == "train_sup.py":
            opts["DATA.VAL_SAMPLES"] = 6
    if script == "train_ssl.py" and cfg.TRAIN.SSL_SCHEME == "moco":
        opts["MOCO.K"] = 12  # 8 steps of 4 keys leave the queue pointer at 32 mod 12 = 8
    if cfg.MODEL.RESUME and script != "val_sup.py":
        opts["TRAIN.EPOCHS"] = 2  # one more epoch than the run it continues
    if script in ("val_sup.py", "probe.py"):  # they refuse the keys they do not read
        from src.train.config import READS
        opts = {k: v for k, v in opts.items() if k in READS["evaluation" if script == "val_sup.py" else "probe"]}
    return [str(x) for kv in opts.items() for x in kv]


def at_tiny_size(line: str, cwd: Path) -> str:
    """``line`` with the sizes of SIZES, and tiny settings added where the line does not set them (a training
    line's configuration is read from ``cwd``, where it runs)."""
    for pattern, replacement in SIZES:
        line = re.sub(pattern, replacement, line)
    if "generate_synthetic.py" in line:
        words = (TINY_FRACTAL if "--type fractal" in line else "--res 32").split()
        extra = " ".join(f"{f} {v}" for f, v in zip(words[::2], words[1::2]) if f" {f} " not in f" {line} ")
        return re.sub(r"(--type \w+)", rf"\1 {extra}", line)
    if "prepare_data.py" in line and "--from" in line and "--val_per_class" not in line:
        return line + " --val_per_class 1"  # 2 videos per class here
    script = next((s for s in ("train_sup.py", "val_sup.py", "train_ssl.py", "probe.py", "compare.py") if s in line),
                  None)
    if script == "compare.py" and "--pretrain_opts " in line:
        own = line.split("--pretrain_opts ", 1)[1].split(" --", 1)[0].split()[::2]
        extra = " ".join(f"{k} {v}" for k, v in TINY_PRETRAINING.items() if k not in own)
        line = line.replace("--pretrain_opts ", f"--pretrain_opts {extra} ", 1)
    if script:
        if "--opts" not in line:
            line += " --opts "  # compare.py without options: the tiny ones go here
        words = shlex.split(line)
        argv = words[words.index(script) + 1:]
        at = argv.index("--opts")
        if script == "compare.py":  # its cells run train_sup.py (or probe.py with --mode probe)
            start = argv.index("--cfg") + 1 if "--cfg" in argv else len(argv)
            cfg_files = list(itertools.takewhile(lambda w: not w.startswith("--"), argv[start:]))
            script = "probe.py" if "--mode probe" in line else "train_sup.py"
            argv = ["--cfg", *cfg_files, *argv[at:]] if cfg_files else argv[at:]
            at = argv.index("--opts")
        tiny = tiny_training_opts(script, argv, cwd)
        given = set(argv[at + 1::2])
        if "TRAIN.EPOCHS" in given and tiny[tiny.index("TRAIN.EPOCHS") + 1] == "2":
            line = line.replace("TRAIN.EPOCHS 1", "TRAIN.EPOCHS 2")
        keep = [x for k, v in zip(tiny[::2], tiny[1::2]) if k not in given for x in (k, v)]
        line = line.replace("--opts ", "--opts " + " ".join(keep) + " ", 1)
    return line


def _stand_ins(folder: Path) -> None:
    """What a reader downloads: the datasets (toy videos in their formats), the Kinetics weight files and the
    original project's checkpoints (random weights in the published layouts, for the tiny variants the lines run
    at)."""
    from src.models.tsm import TSM
    from src.models.x3d import X3D
    from torchvision.models.video import r2plus1d_18
    for name in ("hmdb51", "ucf101"):  # 4 training and 2 validation videos per class: 3 steps of the tiny batch
        make_dataset(folder / "data", n_train=4, n_val=2, name=name, fmt="xvid")
    make_dataset(folder / "data", n_train=4, n_val=2, name="sup-fractal")
    for name in ("uns-fractal-diversity", "uns-octopus"):
        make_dataset(folder / "data", name=name)
    tsm = TSM(400, 4, "resnet18").state_dict()
    torch.save({"state_dict": {"module." + k: v for k, v in tsm.items()}},
               folder / "TSM_kinetics_RGB_resnet50_shift8_blockres_avg_segment8_e100_dense.pth")
    torch.save({"model_state": X3D(400, "M").state_dict()}, folder / "X3D_M.pyth")
    torch.save(r2plus1d_18().state_dict(), folder / "r2plus1d_18-91a641e6.pth")
    for size in (112, 224):  # the original project's released checkpoints, in its format
        write_original(folder / f"fractal-sup-{size}.pth", TSM(3, 4, "resnet18").state_dict(),
                       original_config(base="resnet18"))
    for name in (*SCRIPTS, "src", "cfg"):
        (folder / name).symlink_to(ROOT / name)


def test_the_readme_shows_the_commands_this_test_runs():
    lines = readme_commands()
    assert len(lines) > 30 and all(any(s in line for s in SCRIPTS + ("pytest", "gdown")) for line in lines), lines
    for marker in CANNOT_RUN:
        assert any(marker in line for line in lines), f"{marker!r} is gone from the README: drop it here"


@pytest.mark.slow
def test_every_readme_command_runs_at_a_tiny_size(tmp_path):
    _stand_ins(tmp_path)
    env = {**os.environ, "SLURM_CPUS_PER_TASK": "1", "PYTHONPATH": str(ROOT),
           "PATH": f"{zygote.shim_folder()}{os.pathsep}{os.environ['PATH']}"}  # `python` forks tests/zygote.py's
    ran = []
    for line in readme_commands():
        if any(marker in line for marker in CANNOT_RUN):
            continue
        command = at_tiny_size(line, tmp_path)
        t0 = time.time()
        done = subprocess.run(["bash", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True)
        print(f"{time.time() - t0:5.1f} s  {line}")  # shown with the failure report
        assert done.returncode == 0, f"README line failed: {line}\nran: {command}\n{done.stderr[-2500:]}"
        ran.append(line)
    assert len(ran) >= 30
    out = tmp_path / "out"
    assert (tmp_path / "demo" / "preview.png").exists() and (tmp_path / "demo" / "train" / "curves.png").exists()
    # supervised pre-training → fine-tuning → evaluation
    state = torch.load(out / "fractal" / "ckpt_epoch_0.pth", weights_only=True)  # plain tensors and YAML text
    assert state["epoch"] == 0 and state["n_classes"] == 3 and state["task"] == "supervised" and "optimizer" in state
    assert "N_CLASSES" not in state["config"]  # the configuration is what the user gave
    assert "initialised from supervised checkpoint" in (out / "hmdb51-ft" / "log_rank0.txt").read_text()
    with open(out / "hmdb51-val" / "pred_test.csv", newline="") as f:
        table = list(csv.reader(f))
    assert table[0] == ["path", "label", "pred1", "pred2", "pred3"] and len(table) == 1 + 6
    assert table[1][:2] == ["val/c0/0.avi", "c0"] and all(len(r) == 5 for r in table)
    # self-supervised pre-training → fine-tuning: the MoCo queue pointer is checkpointed, the projector replaced
    assert int(torch.load(out / "moco" / "ckpt_epoch_0.pth", weights_only=True)["model"]["queue_ptr"]) == 8
    assert "initialised from moco checkpoint" in (out / "hmdb51-moco" / "log_rank0.txt").read_text()
    head = torch.load(out / "hmdb51-moco" / "ckpt_epoch_0.pth", weights_only=True)["model"]["new_fc.weight"]
    assert head.shape == (3, 512)  # Linear(feature_dim, 3 classes)
    # the laptop study: each recipe pre-trained once, then probed like an init
    with open(tmp_path / "demo" / "study" / "compare.csv", newline="") as f:
        rows = {(r["init"], r["figure"]): r for r in csv.DictReader(f)}
    assert [rows[i, "k-NN top-1"]["status"] for i in ("scratch", "fractal", "perlin", "dead-leaves")] == \
        ["", "pre-trained", "pre-trained", "pre-trained"]
    # the original project's released checkpoints fine-tune
    assert "initialised from the original project's supervised" in \
        (out / "hmdb51-paper112" / "log_rank0.txt").read_text()

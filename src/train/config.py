"""Command line and configuration of the training scripts.

The configuration is user input only: defaults ← YAML files ← ``--device`` ← ``--opts``, checked and then frozen.
``OUTPUT/config.yaml`` is that configuration, so ``--cfg OUTPUT/config.yaml`` reproduces a run. Values derived
from it (batch-scaled learning rates, the time limit in seconds, ...) live in ``Plan`` (``plan.py``).
"""
import argparse
import difflib
import math
import os
import re
import sys
from pathlib import Path

import yaml
from yacs.config import CfgNode

from cfg.defaults import defaults
from ..data.video_files import near_datasets
from ..models.kinetics_urls import kinetics_url
from ..utils.atomic import writable_folder
from ..utils.cli import OneLineParser, UserError
from ..utils.time_string import parse_time

CHOICES = {
    "TRAIN.SSL_SCHEME": ("moco", "byol", "simclr"),
    "TRAIN.OPTIMIZER.NAME": ("adamw", "sgd", "adam"),
    "TRAIN.LR_SCHEDULER.NAME": ("cosine", "step", "linear"),
    "MODEL.TSM_BASE": ("resnet50", "resnet18", "mobilenetv2"),
    "MODEL.X3D_SIZE": ("XS", "S", "M", "L", "XL"),
    "AUG.TYPE_MIXUP": ("none", "back"),
    "AUG.INTERP": ("bicubic", "bilinear", "nearest", "area"),
    "DATA.SOURCE": ("files", "fractal", "perlin", "octopus", "dead_leaves"),
    "DATA.RENDER_DEVICE": ("cpu", "cuda", "triton-cpu"),
}

# (low, high, low inclusive, high inclusive); None: unbounded
RANGES = {
    "SEED": (0, None, True, None), "DEVICE": (0, None, True, None),
    "DATA.IMG_SIZE": (8, None, True, None), "DATA.CLIP_LENGTH": (1, None, True, None),
    "DATA.BATCH_SIZE": (1, None, True, None), "DATA.BATCH_SIZE_VAL": (1, None, True, None),
    "DATA.STRIDE": (1, None, True, None), "DATA.VAL_MIN_STEPS": (1, None, True, None),
    "DATA.VAL_MAX_SEGS": (1, None, True, None), "DATA.TORCH_N_WORKERS": (-1, None, True, None),
    "DATA.SAMPLES_PER_EPOCH": (1, None, True, None), "DATA.VAL_SAMPLES": (1, None, True, None),
    "DATA.RENDER_RES": (0, None, True, None), "DATA.RENDER_SPLATS": (0, None, True, None),
    "DATA.INSTANCES": (0, None, True, None),
    "TRAIN.EPOCH_START": (0, None, True, None), "TRAIN.EPOCHS": (1, None, True, None),
    "TRAIN.EPOCHS_WARMUP": (0, None, True, None), "TRAIN.EPOCHS_SAVE": (1, None, True, None),
    "TRAIN.EPOCHS_EVAL": (1, None, True, None), "TRAIN.WEIGHT_DECAY": (0, None, True, None),
    "TRAIN.LR_BASE": (0, None, False, None), "TRAIN.LR_WARMUP": (0, None, True, None),
    "TRAIN.LR_MIN": (0, None, True, None), "TRAIN.CLIP_GRAD": (0, None, True, None),
    "TRAIN.N_CHECK": (0, None, True, None), "TRAIN.PRINT_FREQ": (1, None, True, None),
    "TRAIN.LR_SCHEDULER.EPOCHS_DECAY": (0, None, False, None), "TRAIN.LR_SCHEDULER.DECAY_RATE": (0, None, False, None),
    "TRAIN.OPTIMIZER.EPS": (0, None, False, None), "TRAIN.OPTIMIZER.MOMENTUM": (0, 1, True, False),
    "MODEL.DROPOUT": (0, 1, True, False),
    "MOCO.DIM": (1, None, True, None), "MOCO.K": (1, None, True, None), "MOCO.M": (0, 1, True, True),
    "MOCO.T": (0, None, False, None), "SIMCLR.DIM": (1, None, True, None), "SIMCLR.T": (0, None, False, None),
    "BYOL.D_OUTPUT": (1, None, True, None), "BYOL.D_HIDDEN": (1, None, True, None),
    "BYOL.EMA_WEIGHT": (0, 1, True, True),
    "PROBE.EVERY": (1, None, True, None), "PROBE.MAX_VIDEOS": (0, None, True, None),
    "PROBE.KNN_K": (1, None, True, None), "PROBE.KNN_T": (0, None, False, None),
    "AUG.MIN_SCALE": (0, 1, False, True), "AUG.AUTO_AUGMENT_M": (0, 30, True, True),
    "AUG.AUTO_AUGMENT_N": (0, None, True, None), "AUG.EPOCHS_CURRICULUM": (0, None, True, None),
    **{f"AUG.{k}": (0, 1, True, True) for k in ("PROB_BLUR", "PROB_SCALE", "PROB_SHIFT", "PROB_SHAKE", "PROB_ZOOM",
                                                 "PROB_PERSPECTIVE", "PROB_CLONE")},
}

FILE_KEYS = ("MODEL.RESUME", "TRAIN.INIT_SSL", "TRAIN.INIT_SUP", "MODEL.KINETICS")

SSL_SCHEMES = ("MOCO", "SIMCLR", "BYOL")
# (keys or sections, when a training run reads them, what reads them): a key set where it is not read is refused
READ_WHEN = [
    (("TRAIN.LR_SCHEDULER.EPOCHS_DECAY", "TRAIN.LR_SCHEDULER.DECAY_RATE"),
     lambda c, task: c.TRAIN.LR_SCHEDULER.NAME == "step", "the step schedule (TRAIN.LR_SCHEDULER.NAME step)"),
    (("TRAIN.LR_MIN",), lambda c, task: c.TRAIN.LR_SCHEDULER.NAME == "cosine", "the cosine schedule"),
    (("TRAIN.OPTIMIZER.EPS", "TRAIN.OPTIMIZER.BETAS"), lambda c, task: c.TRAIN.OPTIMIZER.NAME in ("adam", "adamw"),
     "TRAIN.OPTIMIZER.NAME adam and adamw"),
    (("TRAIN.OPTIMIZER.MOMENTUM",), lambda c, task: c.TRAIN.OPTIMIZER.NAME == "sgd", "TRAIN.OPTIMIZER.NAME sgd"),
    (("TRAIN.SSL_SCHEME", "AUG.SSL_EASY_K"), lambda c, task: task == "contrastive", "train_ssl.py"),
    *(((name,), lambda c, task, n=name: task == "contrastive" and c.TRAIN.SSL_SCHEME == n.lower(),
       f"train_ssl.py with TRAIN.SSL_SCHEME {name.lower()}") for name in SSL_SCHEMES),
    (("TRAIN.EPOCHS_EVAL",), lambda c, task: task == "supervised",
     "the validation of train_sup.py (train_ssl.py does not validate)"),
    (("DATA.BATCH_SIZE_VAL", "DATA.VAL_MIN_STEPS", "DATA.VAL_MAX_SEGS", "AUG.CROP_VAL"),
     lambda c, task: task != "contrastive" or bool(c.PROBE.DATASET),
     "the validation clips of train_sup.py, probe.py and the online probe (PROBE.DATASET; train_ssl.py does not "
     "validate)"),
    (("TRAIN.INIT_SSL", "TRAIN.INIT_SUP", "MODEL.KINETICS"), lambda c, task: task in ("supervised", "probe"),
     "train_sup.py and probe.py (train_ssl.py starts from scratch)"),
    (("MODEL.RESUME",), lambda c, task: task != "probe",
     "the training scripts (probe.py starts from TRAIN.INIT_SUP, TRAIN.INIT_SSL or MODEL.KINETICS)"),
    (("PROBE.DATASET",), lambda c, task: task != "probe",
     "the online probe of train_sup.py and train_ssl.py (probe.py probes DATA.DATASET)"),
    (("PROBE.EVERY", "PROBE.EXTENSION"), lambda c, task: task != "probe" and bool(c.PROBE.DATASET),
     "the online probe (set PROBE.DATASET)"),
    (("PROBE.MAX_VIDEOS", "PROBE.KNN_K", "PROBE.KNN_T"), lambda c, task: task == "probe" or bool(c.PROBE.DATASET),
     "probe.py and the online probe (PROBE.DATASET)"),
    (("MODEL.TSM_BASE", "MODEL.DROPOUT"), lambda c, task: c.MODEL.ARCH == "tsm", "MODEL.ARCH tsm"),
    (("MODEL.X3D_SIZE",), lambda c, task: c.MODEL.ARCH == "x3d", "MODEL.ARCH x3d"),
    (("AUG.PROB_SCALE", "AUG.PROB_SHIFT", "AUG.PROB_CLONE"), lambda c, task: c.AUG.TYPE_MIXUP == "back",
     "the background mixup (AUG.TYPE_MIXUP back)"),
]
# What val_sup.py and probe.py read (their --opts are checked against it; their YAML is a fine-tuning one, whose
# training keys they leave): the model, the validation clips, the data, where to write
EVALUATION_READS = ("SEED", "DEVICE", "DATA.IMG_SIZE", "DATA.CLIP_LENGTH", "DATA.ROOT", "DATA.DATASET",
                    "DATA.EXTENSION", "DATA.BATCH_SIZE_VAL", "DATA.STRIDE", "DATA.VAL_MIN_STEPS", "DATA.VAL_MAX_SEGS",
                    "DATA.TORCH_N_WORKERS", "TRAIN.OUTPUT", "TRAIN.AMP", "TRAIN.AMP_CPU_BF16", "TRAIN.CHANNELS_LAST",
                    "MODEL.ARCH", "MODEL.TSM_BASE", "MODEL.X3D_SIZE", "MODEL.DROPOUT", "AUG.CROP_VAL", "AUG.INTERP")
READS = {"evaluation": EVALUATION_READS + ("MODEL.RESUME", "DATA.SOURCE", "DATA.CLASS_PARAMS",
                                           "DATA.VAL_SAMPLES", "DATA.RENDER_RES", "DATA.RENDER_SPLATS"),
         "probe": EVALUATION_READS + ("TRAIN.INIT_SUP", "TRAIN.INIT_SSL", "MODEL.KINETICS", "PROBE.MAX_VIDEOS",
                                      "PROBE.KNN_K", "PROBE.KNN_T")}
SCRIPT_OF = {"evaluation": "val_sup.py", "probe": "probe.py"}
# Where the clips come from: checked for --opts only, since one pre-training YAML serves both sources
READ_WHEN_SOURCE = [
    (("DATA.DATASET",), lambda c, task: c.DATA.SOURCE == "files",
     "DATA.SOURCE files (the other sources render their clips)"),
    (("DATA.EXTENSION",), lambda c, task: c.DATA.SOURCE == "files",
     "DATA.SOURCE files (the other sources render their clips; the online probe reads PROBE.EXTENSION)"),
    (("DATA.ROOT",), lambda c, task: c.DATA.SOURCE == "files" or bool(c.PROBE.DATASET),
     "DATA.SOURCE files and the online probe (the other sources render their clips)"),
    (("DATA.SAMPLES_PER_EPOCH", "DATA.RENDER_RES"), lambda c, task: c.DATA.SOURCE != "files",
     "a rendered DATA.SOURCE (fractal, perlin, octopus, dead_leaves)"),
    (("DATA.CLASS_PARAMS",), lambda c, task: c.DATA.SOURCE in ("fractal", "octopus", "dead_leaves"),
     "a DATA.SOURCE with class files (fractal, octopus, dead_leaves; perlin has its own 256 classes)"),
    (("DATA.RENDER_SPLATS", "DATA.LINEAR_MOTION"), lambda c, task: c.DATA.SOURCE == "fractal", "DATA.SOURCE fractal"),
    (("DATA.RENDER_VAR",), lambda c, task: c.DATA.SOURCE == "fractal" and task == "contrastive"
     and not c.DATA.CLASS_PARAMS, "train_ssl.py with DATA.SOURCE fractal and fresh samples (class files keep their "
     "variation)"),
    (("DATA.INSTANCES",), lambda c, task: c.DATA.SOURCE != "files" and (task == "supervised" or bool(c.DATA.CLASS_PARAMS)),
     "a rendered DATA.SOURCE with classes (class files, or Perlin noise's frequencies in train_sup.py)"),
    (("DATA.VAL_SAMPLES",), lambda c, task: c.DATA.SOURCE != "files" and task == "supervised",
     "train_sup.py with a rendered DATA.SOURCE"),
]
PLACEHOLDER = "SPECIFY_WITH_CMD"  # what the pre-training YAMLs leave for the user to set


def build_parser(description: str, preview: bool = False) -> argparse.ArgumentParser:
    p = OneLineParser(description=description)
    if preview:
        p.add_argument("--preview_aug", type=int, default=0, metavar="N",
                       help="write OUTPUT/augment_preview.png with N augmented training clips, then stop")
    p.add_argument("--cfg", "-c", nargs="+", default=[], type=Path, help="YAML files, merged in order")
    p.add_argument("--device", "-d", type=int, help="CUDA device index (CPU when CUDA is absent)")
    p.add_argument("--opts", "-o", nargs=argparse.REMAINDER, default=[],
                   help="KEY VALUE pairs overriding the files, e.g. TRAIN.OUTPUT out/x; must come last")
    return p


def _article(name: str) -> str:
    return f"an {name}" if name[0] in "aeiou" else f"a {name}"


def _coerce(key: str, default, value, source: str):
    """``value`` as the type of ``default``; UserError naming the key, the expected type and the value given."""
    def wrong(expected: str):
        return UserError(f"{source}: {key} expects {expected}, got {value!r}")
    if default is None or value is None:
        if value is None or isinstance(value, (str, int)) and not isinstance(value, bool):
            return value
        raise wrong("a path or text")
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        raise wrong("True or False")
    if isinstance(default, int):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise wrong(_article("int"))
    if isinstance(default, float):
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            return float(value)
        raise wrong("a number")
    if isinstance(default, tuple):
        if isinstance(value, (list, tuple)) and len(value) == len(default) and all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            return tuple(float(v) for v in value)
        raise wrong(f"{len(default)} numbers, e.g. {list(default)}")
    if isinstance(default, list):  # of integers (DATA.RENDER_VAR)
        if isinstance(value, (list, tuple)) and value and all(
                isinstance(v, int) and not isinstance(v, bool) for v in value):
            return list(value)
        raise wrong("a list of integers, e.g. [3, 5]")
    if isinstance(default, str):
        if isinstance(value, str):
            return value
        raise wrong("text")
    raise wrong(type(default).__name__)


def _set(cfg: CfgNode, key: str, value, source: str) -> None:
    node, parts = cfg, key.split(".")
    for i, part in enumerate(parts):
        if not isinstance(node, CfgNode) or part not in node:
            if cfg.key_is_deprecated(key):
                return  # a key of older configurations that nothing reads any more
            close = difflib.get_close_matches(key, [k for k, _ in _flatten(cfg)], n=1)
            raise UserError(f"{source}: unknown key {key}; " + (f"did you mean {close[0]}? " if close else "")
                            + "see cfg/defaults.py for the keys")
        if i < len(parts) - 1:
            node = node[part]
    if isinstance(node[parts[-1]], CfgNode):
        raise UserError(f"{source}: {key} is a section; set its keys, e.g. {key}.{next(iter(node[parts[-1]]))}")
    value = _coerce(key, node[parts[-1]], value, source)
    if key in CHOICES and isinstance(value, str):  # one spelling
        value = value.upper() if key == "MODEL.X3D_SIZE" else value.lower()
    node[parts[-1]] = value


def _flatten(data: dict, prefix: str = "") -> list[tuple[str, object]]:
    items = []
    for k, v in data.items():
        if isinstance(v, dict):
            items += _flatten(v, f"{prefix}{k}.")
        else:
            items.append((f"{prefix}{k}", v))
    return items


def merge_file(cfg: CfgNode, path: Path) -> None:
    if not path.is_file():
        if re.fullmatch(r"[A-Z0-9_]+(\.[A-Z0-9_]+)+", str(path)):
            raise UserError(f"--cfg {path} does not exist; it looks like a key: put --opts before the KEY VALUE pairs")
        raise UserError(f"--cfg {path} does not exist")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as e:
        where = getattr(e, "problem_mark", None)
        line = f" at line {where.line + 1}" if where is not None else ""
        raise UserError(f"--cfg {path} is not valid YAML{line} ({getattr(e, 'problem', None) or 'syntax error'}); "
                        "fix the file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise UserError(f"--cfg {path} cannot be read ({e}); give a YAML text file") from None
    if data is None:
        return
    if not isinstance(data, dict):
        raise UserError(f"--cfg {path} holds a {type(data).__name__} at the top level; a mapping of sections "
                        "(DATA:, TRAIN:, ...) is expected")
    for key, value in _flatten(data):
        _set(cfg, key, value, str(path))


def merge_opts(cfg: CfgNode, opts: list[str]) -> None:
    if len(opts) % 2:
        raise UserError(f"--opts needs KEY VALUE pairs; {opts[-1]!r} has no value")
    for key, text in zip(opts[::2], opts[1::2]):
        _set(cfg, key, CfgNode._decode_cfg_value(text), "--opts")


def check(cfg: CfgNode, task: str) -> None:
    """Every value in its range and among its choices, one weight source, every named file present."""
    for key, (low, high, low_in, high_in) in RANGES.items():
        value = value_of(cfg, key)
        bad = (low is not None and (value < low if low_in else value <= low)) or \
              (high is not None and (value > high if high_in else value >= high))
        if bad:
            lo = "" if low is None else f"{'≥' if low_in else '>'} {low}"
            hi = "" if high is None else f"{'≤' if high_in else '<'} {high}"
            raise UserError(f"{key} {value} is out of range; it must be {' and '.join(x for x in (lo, hi) if x)}")
    for key, allowed in CHOICES.items():
        value = value_of(cfg, key)
        if value not in allowed:
            hint = {"DATA.RENDER_DEVICE": " (cpu: numba in the loader workers; cuda: the chaos-game kernel on the "
                                          "training GPU; triton-cpu: that kernel in Triton's interpreter, on the "
                                          "CPU, to check the GPU path)"}.get(key, "")
            raise UserError(f"{key} {value!r} is not one of {', '.join(allowed)}{hint}")
    if cfg.DATA.SOURCE == "fractal":
        from ..data.families import variations_problem  # here: the generators load numba, which others need not
        problem = variations_problem(list(cfg.DATA.RENDER_VAR))
        if problem:
            raise UserError(problem)
    if cfg.DATA.RENDER_DEVICE != "cpu" and cfg.DATA.SOURCE != "fractal":
        raise UserError(f"DATA.RENDER_DEVICE {cfg.DATA.RENDER_DEVICE} renders fractal clips; it needs "
                        "DATA.SOURCE fractal")
    if task == "probe" and cfg.DATA.SOURCE != "files":
        raise UserError("probe.py encodes the videos under DATA.ROOT/DATA.DATASET; drop DATA.SOURCE "
                        f"{cfg.DATA.SOURCE} (rendered clips are new every epoch: there is nothing fixed to probe)")
    if cfg.TRAIN.EPOCH_START >= cfg.TRAIN.EPOCHS:
        raise UserError(f"TRAIN.EPOCH_START {cfg.TRAIN.EPOCH_START} leaves nothing to train "
                        f"(TRAIN.EPOCHS {cfg.TRAIN.EPOCHS}); raise TRAIN.EPOCHS")
    if task in ("supervised", "probe"):
        given = [k for k in ("MODEL.RESUME", "TRAIN.INIT_SSL", "TRAIN.INIT_SUP") if value_of(cfg, k)]
        if len(given) > 1:
            raise UserError(f"{' and '.join(given)} are both set; give at most one of MODEL.RESUME, "
                            "TRAIN.INIT_SSL, TRAIN.INIT_SUP")
    for key in FILE_KEYS:
        value = value_of(cfg, key)
        if value and not Path(str(value)).is_file():
            raise UserError(f"{key} {value} is not a file" + (kinetics_hint(cfg) if key == "MODEL.KINETICS" else ""))
    time_limit_seconds(cfg)
    if cfg.TRAIN.SYNC_BN and int(os.environ.get("WORLD_SIZE", "1")) < 2:
        raise UserError("TRAIN.SYNC_BN synchronises BatchNorm across the processes of a DDP run; this is one "
                        "process: drop it, or start the run with torchrun --nproc_per_node N")
    if not writable_folder(Path(cfg.TRAIN.OUTPUT)):
        raise UserError(f"TRAIN.OUTPUT {cfg.TRAIN.OUTPUT} is not writable (read-only or no permission); "
                        "choose another folder")


def kinetics_hint(cfg: CfgNode) -> str:
    """Where to download the Kinetics-400 weights of the configured model (nothing downloads by itself)."""
    variant = {"tsm": cfg.MODEL.TSM_BASE, "x3d": cfg.MODEL.X3D_SIZE}.get(cfg.MODEL.ARCH, "")
    url = kinetics_url(cfg.MODEL.ARCH, variant)
    if url is None:
        return f"; no Kinetics-400 weights are published for {cfg.MODEL.ARCH} {variant}".rstrip()
    return f"; download the Kinetics-400 weights of {cfg.MODEL.ARCH} {variant}".rstrip() + f" from {url}"


def check_dataset_folder(cfg: CfgNode, task: str) -> None:
    """DATA.DATASET (and PROBE.DATASET) is set and its folders exist (before PyTorch loads and the videos are
    counted)."""
    if cfg.PROBE.DATASET and task != "probe":
        _require_folders(cfg, cfg.PROBE.DATASET, ("train", "val"))
    if cfg.DATA.SOURCE != "files":
        return
    if cfg.DATA.DATASET == PLACEHOLDER:
        raise UserError("DATA.DATASET is not set; give the dataset folder under DATA.ROOT, e.g. --opts "
                        "DATA.DATASET sup-fractal (or render clips with DATA.SOURCE fractal)")
    _require_folders(cfg, cfg.DATA.DATASET, ("",) if task == "contrastive" else ("train", "val"))


def _require_folders(cfg: CfgNode, dataset: str, subs: tuple[str, ...]) -> None:
    root = Path(cfg.DATA.ROOT)
    folder = root / dataset
    for sub in subs:
        if (folder / sub).is_dir():
            continue
        present, close = near_datasets(root, dataset)
        if close and not folder.is_dir():
            raise UserError(f"dataset folder {folder} does not exist; did you mean {' or '.join(close)}? (datasets "
                            f"under {root}: {', '.join(present[:8])})")
        raise UserError(f"dataset folder {folder / sub} does not exist; prepare it with: python prepare_data.py "
                        f"--dataset {dataset} --root {cfg.DATA.ROOT} (a published set), or --from <your videos> "
                        "for one of your own")


def check_model_input(cfg: CfgNode) -> None:
    """The model can take the configured clips, and a GPU asked for is there (these load PyTorch)."""
    from ..models.registry import MODELS, input_problem
    if cfg.MODEL.ARCH not in MODELS:
        raise UserError(f"MODEL.ARCH {cfg.MODEL.ARCH!r} is not one of {', '.join(MODELS)}")
    problem = input_problem(cfg.MODEL.ARCH, cfg.DATA.CLIP_LENGTH, cfg.DATA.IMG_SIZE, base=cfg.MODEL.TSM_BASE,
                            x3d_size=cfg.MODEL.X3D_SIZE)
    if problem:
        raise UserError(f"MODEL.ARCH {cfg.MODEL.ARCH} cannot take clips of {cfg.DATA.CLIP_LENGTH} frames of "
                        f"{cfg.DATA.IMG_SIZE} px: it needs {problem}; set DATA.CLIP_LENGTH / DATA.IMG_SIZE")
    if cfg.TRAIN.SYNC_BN:
        import torch
        if not torch.cuda.is_available():
            raise UserError("TRAIN.SYNC_BN needs CUDA GPUs (PyTorch's SyncBatchNorm) and none is visible; drop it "
                            "for CPU runs")
    if cfg.DATA.RENDER_DEVICE == "cuda":
        import torch
        if not torch.cuda.is_available():
            raise UserError("DATA.RENDER_DEVICE cuda needs a CUDA GPU and none is visible; use DATA.RENDER_DEVICE "
                            "cpu (or triton-cpu to check the GPU path on the CPU)")


def check_every_key_read(cfg: CfgNode, task: str, opts_keys: set[str]) -> None:
    """UserError for the first key the user changed that this run would not read (``opts_keys``: set by --opts).
    probe.py and val_sup.py check --opts only, against what they read (READS): they take a fine-tuning YAML for
    its data settings and leave the training keys."""
    changed = [k for k, v in changed_keys(cfg).items() if v != PLACEHOLDER and (task not in READS or k in opts_keys)]
    rules = [(r, False) for r in READ_WHEN] + [(r, True) for r in READ_WHEN_SOURCE]
    for (keys, reads, reader), opts_only in rules:
        for key in changed:
            if opts_only and key not in opts_keys:
                continue
            if any(key == k or key.startswith(k + ".") for k in keys) and not reads(cfg, task):
                raise UserError(f"{key} is set but this run does not read it: only {reader} does; drop it "
                                "(or set what makes it apply)")
    if task in READS:
        for key in opts_keys:
            if key not in READS[task]:
                raise UserError(f"{key} is set but {SCRIPT_OF[task]} does not read it (it trains nothing); drop it")


def time_limit_seconds(cfg: CfgNode) -> int:
    """TRAIN.TIME_LIMIT in seconds (0: none); ``2h30m`` or a number of seconds."""
    value = cfg.TRAIN.TIME_LIMIT
    if value is None or value == "" or value == 0:
        return 0
    if isinstance(value, int):
        if value < 0:
            raise UserError(f"TRAIN.TIME_LIMIT {value} is negative; give e.g. 2h30m")
        return value
    try:
        seconds = parse_time(str(value))
    except ValueError as e:
        raise UserError(f"TRAIN.TIME_LIMIT: {e}") from None
    if seconds == 0:
        raise UserError(f"TRAIN.TIME_LIMIT {value} leaves no time to train; give e.g. 2h30m, or leave it unset for "
                        "no limit")
    return seconds


def value_of(cfg: CfgNode, key: str):
    node = cfg
    for part in key.split("."):
        node = node[part]
    return node


def merge(cfg_files: list[Path], device: int | None, opts: list[str]) -> CfgNode:
    """Defaults ← each YAML file ← --device ← --opts; unknown keys and wrong types raise UserError."""
    cfg = defaults()
    for path in cfg_files:
        merge_file(cfg, path)
    if device is not None:
        cfg.DEVICE = device
    merge_opts(cfg, opts)
    return cfg


def flat_values(cfg: CfgNode) -> dict[str, object]:
    """KEY.PATH → value of every key of ``cfg``, sequences as lists (a YAML round trip turns tuples into lists), so
    a configuration read back from a file compares equal to the one it was written from."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in _flatten(cfg)}


def merged_onto_defaults(stored: CfgNode) -> dict[str, object]:
    """A stored configuration (a checkpoint's, perhaps of an older version) as ``flat_values`` over the defaults:
    keys it lacks take their default, keys nothing reads any more are dropped."""
    values = flat_values(defaults())
    values.update({k: v for k, v in flat_values(stored).items() if k in values})
    return values


def changed_keys(cfg: CfgNode, base: CfgNode | None = None) -> dict[str, object]:
    """The keys whose values differ from ``base`` (the defaults when None)."""
    base_values = dict(_flatten(defaults() if base is None else base))
    return {k: v for k, v in _flatten(cfg) if base_values.get(k) != v}


def describe_changes(cfg_files: list[Path], cfg: CfgNode) -> str:
    """What the user changed, for the log: each key given on the command line, and how many each YAML set."""
    from_files, parts = defaults(), []
    for path in cfg_files:
        before = from_files.clone()
        merge_file(from_files, path)
        parts.append(f"{len(changed_keys(from_files, before))} keys by {path}")
    given = changed_keys(cfg, from_files)
    if given:
        parts.insert(0, "on the command line " + ", ".join(f"{k} {v}" for k, v in given.items()))
    return "; ".join(parts) or "nothing"


def load(argv: list[str] | None, task: str, description: str,
         preview: bool = False) -> tuple[CfgNode, argparse.Namespace]:
    """Parse, merge and check the configuration; prints a first line once the checks that need no PyTorch pass.
    ``args.changes`` says what the user changed (for the log)."""
    args = build_parser(description, preview).parse_args(argv)
    cfg = merge(args.cfg, args.device, args.opts)
    check(cfg, task)
    check_every_key_read(cfg, task, set(args.opts[::2]))
    if cfg.DATA.RENDER_DEVICE == "triton-cpu":
        os.environ["TRITON_INTERPRET"] = "1"  # read when Triton first loads, which is below
    print(f"{Path(sys.argv[0]).name}: configuration checked; loading PyTorch and the data", flush=True)
    check_model_input(cfg)
    check_dataset_folder(cfg, task)
    args.changes = describe_changes(args.cfg, cfg)
    cfg.freeze()
    return cfg, args

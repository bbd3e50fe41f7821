"""Command line and configuration of the training scripts (spec/training.md §1, §3)."""
import argparse
from pathlib import Path

from yacs.config import CfgNode

from cfg.defaults import defaults
from ..synthetic.args import OneLineParser
from ..utils.time_string import parse_time

BATCH_REFERENCE = 32  # LR_BASE, LR_WARMUP and LR_MIN are given for this batch size


def build_parser(description: str, preview: bool = False) -> argparse.ArgumentParser:
    p = OneLineParser(description=description)
    if preview:
        p.add_argument("--preview-aug", type=int, default=0, metavar="N",
                       help="write OUTPUT/augment_preview.png with N augmented training clips, then stop")
    p.add_argument("--cfg", "-c", nargs="+", default=[], type=Path, help="YAML files, merged in order")
    p.add_argument("--device", "-d", type=int, help="CUDA device index (CPU when CUDA is absent)")
    p.add_argument("--opts", "-o", nargs=argparse.REMAINDER, default=[],
                   help="KEY VALUE pairs overriding the files, e.g. TRAIN.OUTPUT out/x; must come last")
    return p


def merge(cfg_files: list[Path], device: int | None, opts: list[str], mode: str) -> CfgNode:
    """Defaults ← each YAML file ← --device ← --opts ← mode; unknown keys and wrong types raise ValueError."""
    cfg = defaults()
    for path in cfg_files:
        if not path.is_file():
            raise ValueError(f"--cfg {path} does not exist")
        try:
            cfg.merge_from_file(str(path))
        except KeyError as e:
            raise ValueError(f"{path}: unknown key {e.args[0].split(':')[-1].strip()}") from None
    if device is not None:
        cfg.DEVICE = device
    if len(opts) % 2:
        raise ValueError(f"--opts needs KEY VALUE pairs; {opts[-1]!r} has no value")
    try:
        cfg.merge_from_list(_floats_where_expected(cfg, opts))
    except (KeyError, AssertionError) as e:
        raise ValueError(f"--opts: unknown key {str(e.args[0]).split(':')[-1].strip()}") from None
    cfg.TRAIN.MODE = mode
    return cfg


def _floats_where_expected(cfg: CfgNode, opts: list[str]) -> list[str]:
    """``AUG.PROB_BLUR 0`` means 0.0: integer literals given for float keys become floats."""
    out = list(opts)
    for i in range(0, len(out) - 1, 2):
        node = cfg
        for part in out[i].split("."):
            node = node.get(part) if isinstance(node, CfgNode) else None
        if isinstance(node, float) and out[i + 1].lstrip("-").isdigit():
            out[i + 1] = str(float(out[i + 1]))
    return out


def derive(cfg: CfgNode) -> CfgNode:
    """Checks and derived values (§3): one init source, the time limit in seconds, batch-scaled learning rates."""
    if cfg.TRAIN.MODE == "supervised":
        given = [k for k, v in (("MODEL.RESUME", cfg.MODEL.RESUME), ("TRAIN.INIT_SSL", cfg.TRAIN.INIT_SSL),
                                ("TRAIN.INIT_SUP", cfg.TRAIN.INIT_SUP)) if v]
        if len(given) > 1:
            raise ValueError(f"{' and '.join(given)} are both set; give at most one of MODEL.RESUME, "
                             "TRAIN.INIT_SSL, TRAIN.INIT_SUP")
    for key in ("MODEL.RESUME", "TRAIN.INIT_SSL", "TRAIN.INIT_SUP", "MODEL.KINETICS"):
        section, name = key.split(".")
        value = cfg[section][name]
        if value and not Path(value).is_file():
            raise ValueError(f"{key} {value} is not a file")
    if cfg.TRAIN.TIME_LIMIT:
        cfg.TRAIN.TIME_LIMIT = parse_time(str(cfg.TRAIN.TIME_LIMIT))  # invalid strings raise (intended, §15)
    else:
        cfg.TRAIN.TIME_LIMIT = 0
    scale = cfg.DATA.BATCH_SIZE / BATCH_REFERENCE
    cfg.TRAIN.LR_BASE *= scale
    cfg.TRAIN.LR_WARMUP *= scale
    cfg.TRAIN.LR_MIN *= scale
    cfg.TRAIN.SSL_SCHEME = cfg.TRAIN.SSL_SCHEME.lower()
    cfg.TRAIN.OPTIMIZER.NAME = cfg.TRAIN.OPTIMIZER.NAME.lower()
    _check_choices(cfg)
    return cfg


def _check_choices(cfg: CfgNode) -> None:
    choices = {"TRAIN.SSL_SCHEME": ("moco", "byol", "simclr"), "TRAIN.OPTIMIZER.NAME": ("adamw", "sgd", "adam"),
               "TRAIN.LR_SCHEDULER.NAME": ("cosine", "step", "linear"), "MODEL.ARCH": ("tsm",),
               "MODEL.TSM_BASE": ("resnet50", "resnet18", "mobilenetv2"), "AUG.TYPE_MIXUP": ("none", "back"),
               "AUG.INTERP": ("bicubic", "bilinear", "nearest", "area"), "DATA.SOURCE": ("files", "fractal"),
               "DATA.RENDER_DEVICE": ("cpu",)}
    for key, allowed in choices.items():
        node = cfg
        for part in key.split("."):
            node = node[part]
        if node not in allowed:
            hint = {"MODEL.ARCH": " (X3D needs pytorchvideo, which is not a dependency)",
                    "DATA.RENDER_DEVICE": " (GPU rendering is not implemented: the chaos game is a numba CPU "
                                          "kernel; render in DATA.TORCH_N_WORKERS loader workers)"}.get(key, "")
            raise ValueError(f"{key} {node!r} is not one of {', '.join(allowed)}{hint}")


def load(argv: list[str] | None, mode: str, description: str,
         preview: bool = False) -> tuple[CfgNode, argparse.Namespace]:
    args = build_parser(description, preview).parse_args(argv)
    return derive(merge(args.cfg, args.device, args.opts, mode)), args

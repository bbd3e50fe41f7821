"""The cells of a comparison: one initialisation × one seed, each an ordinary train_sup.py (``finetune``) or
probe.py (``probe``) run in ``OUT/<init>/seed<k>``; whether a cell has finished, and what it measured."""
import csv
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from yacs.config import CfgNode

from ..train import checkpoint
from ..train.checkpoint import CheckpointError
from ..models.tsm import KINETICS_CLASSES
from ..train.init_weights import backbone, check_architecture, load_kinetics
from ..train.config import flat_values, merge
from ..utils import owned_files
from ..utils.cli import UserError

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = {"finetune": "train_sup.py", "probe": "probe.py"}
# the figures a cell reports, per mode (``result`` reads them from the cell's folder)
METRICS = {"finetune": ("best top-1", "last top-1"), "probe": ("k-NN top-1", "linear top-1")}
SET_BY_COMPARE = ("TRAIN.OUTPUT", "SEED", "MODEL.RESUME", "TRAIN.INIT_SUP", "TRAIN.INIT_SSL", "MODEL.KINETICS")
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


@dataclass(frozen=True)
class Init:
    name: str
    key: str | None = None  # TRAIN.INIT_SUP, TRAIN.INIT_SSL or MODEL.KINETICS; None: from scratch
    path: str | None = None

    def opts(self) -> list[str]:
        return [self.key, self.path] if self.key else []


def parse_init(text: str, cfg: CfgNode) -> Init:
    """``scratch`` (random initialisation) or ``NAME=FILE``: a train_sup.py checkpoint (TRAIN.INIT_SUP), a
    train_ssl.py one (TRAIN.INIT_SSL), or Kinetics-400 weights (MODEL.KINETICS), told apart by their contents; a
    checkpoint must hold the model ``cfg`` configures."""
    name, eq, path = text.partition("=")
    if not eq:
        if text != "scratch":
            raise UserError(f"--init {text}: give scratch or NAME=CHECKPOINT, e.g. fractal=out/fractal/ckpt_last.pth")
        return Init("scratch")
    if not NAME.fullmatch(name):
        raise UserError(f"--init {text}: the name {name!r} becomes a folder; use letters, digits, '.', '_', '-'")
    if not Path(path).is_file():
        raise UserError(f"--init {text}: {path} is not a file")
    try:
        meta = checkpoint.meta_of(checkpoint.load(path, f"--init {name}"))
    except CheckpointError as not_ours:
        try:  # read now as Kinetics weights, not when its first cell starts
            load_kinetics(backbone(cfg, KINETICS_CLASSES), path)
        except CheckpointError as e:
            raise UserError(f"--init {text}: {path} is neither a checkpoint of train_sup.py/train_ssl.py "
                            f"({str(not_ours).split(': ', 1)[-1].split(';')[0]}) nor Kinetics-400 weights of the "
                            f"configured model ({str(e).removeprefix(f'MODEL.KINETICS {path} ')}); give one of "
                            "those") from None
        return Init(name, "MODEL.KINETICS", path)
    check_architecture(meta, cfg, f"--init {text}")  # now, not when its first cell starts
    return Init(name, "TRAIN.INIT_SUP" if meta["task"] == "supervised" else "TRAIN.INIT_SSL", path)


@dataclass(frozen=True)
class Cell:
    init: Init
    seed: int
    out: Path

    @property
    def folder(self) -> Path:
        return self.out / self.init.name / f"seed{self.seed}"

    def __str__(self) -> str:
        return f"{self.init.name} seed {self.seed}"


def command(cell: Cell, mode: str, cfg_files: list[Path], opts: list[str], resume: bool) -> list[str]:
    """The script run of a cell; ``resume``: continue its interrupted training."""
    extra = ["MODEL.RESUME", str(cell.folder / checkpoint.LAST)] if resume else cell.init.opts()
    return [sys.executable, str(ROOT / SCRIPTS[mode]), *(["--cfg", *map(str, cfg_files)] if cfg_files else []),
            "--opts", *opts, "TRAIN.OUTPUT", str(cell.folder), "SEED", str(cell.seed), *extra]


def _rows(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    try:
        with open(path, newline="") as f:
            return list(csv.DictReader(f))
    except (OSError, UnicodeDecodeError, csv.Error):
        return []  # damaged: the cell has not finished, and its script says what is wrong when it runs


RUN_RECORDS = {"finetune": ("config.yaml", "metrics.csv"), "probe": ("config_probe.yaml", "probe.csv")}


def _flat(cfg: CfgNode) -> dict:
    flat = flat_values(cfg)
    flat.pop("MODEL.RESUME", None)  # how a process started, not what the run is
    return flat


def planned_config(cell: Cell, plan: dict) -> dict:
    """The configuration the cell's script runs with, flattened."""
    opts = [*plan["opts"], "TRAIN.OUTPUT", str(cell.folder), "SEED", str(cell.seed), *cell.init.opts()]
    return _flat(merge([Path(p) for p in plan["cfg"]], None, opts))


def ran_by_compare(cell: Cell, plan: dict) -> bool:
    """The cell's folder holds the run compare.py started for it: its record and table were written by this
    toolkit, and its configuration is the plan's for this cell (a user's own run there is not the cell's)."""
    config_name, table = RUN_RECORDS[plan["mode"]]
    if not cell.folder.is_dir() or not {config_name, table} <= owned_files.owned(cell.folder):
        return False
    try:
        stored = CfgNode.load_cfg((cell.folder / config_name).read_text())
    except Exception:  # unreadable or not a configuration: not this cell's run
        return False
    return _flat(stored) == planned_config(cell, plan)


def result(cell: Cell, plan: dict) -> dict[str, float] | None:
    """The cell's figures (``METRICS[mode]``), or None while it has not finished (or what its folder holds is
    not the run compare.py planned for it)."""
    mode = plan["mode"]
    if not ran_by_compare(cell, plan):
        return None
    if mode == "probe":
        rows = {r.get("method"): r.get("top1") for r in _rows(cell.folder / "probe.csv")
                if r.get("seed") == str(cell.seed)}
        if {"knn", "linear"} <= set(rows):
            return _numbers(dict(zip(METRICS[mode], (rows["knn"], rows["linear"]))))
        return None
    rows = _rows(cell.folder / "metrics.csv")
    if not rows or not str(rows[-1].get("epoch", "")).isdigit() or int(rows[-1]["epoch"]) != plan["epochs"] - 1:
        return None
    val = [r["acc1_val"] for r in rows if r.get("acc1_val", "") not in ("", None)]
    return _numbers(dict(zip(METRICS[mode], (max(val, key=float), val[-1])))) if val else None


def _numbers(figures: dict[str, str]) -> dict[str, float] | None:
    try:
        return {k: float(v) for k, v in figures.items()}
    except (TypeError, ValueError):
        return None


def started(cell: Cell) -> bool:
    """A training that was interrupted: it left a checkpoint to resume from."""
    return (cell.folder / checkpoint.LAST).is_file()

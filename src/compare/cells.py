"""The cells of a comparison: one initialisation × one seed, each an ordinary train_sup.py (``finetune``) or
probe.py (``probe``) run in ``OUT/<init>/seed<k>``, and a study's pre-trainings, each a train_sup.py or
train_ssl.py run in ``OUT/pretrain/<recipe>`` (``/seed<k>`` when each seed pre-trains); whether each has
finished, and what a cell measured."""
import csv
import json
import os
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from yacs.config import CfgNode

from ..train import checkpoint
from ..train.checkpoint import CheckpointError
from ..models.tsm import KINETICS_CLASSES
from ..train.init_weights import backbone, check_architecture, load_kinetics
from ..train.config import flat_values, merge
from ..train.probe_job import file_digest
from ..utils import owned_files
from ..utils.atomic import atomic_path
from ..utils.cli import UserError
from .study import Recipe, name_problem, recipe_config

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = {"finetune": "train_sup.py", "probe": "probe.py"}
# the figures a cell reports, per mode (``result`` reads them from the cell's folder)
METRICS = {"finetune": ("best top-1", "last top-1"), "probe": ("k-NN top-1", "linear top-1")}
SET_BY_COMPARE = ("TRAIN.OUTPUT", "SEED", "MODEL.RESUME", "TRAIN.INIT_SUP", "TRAIN.INIT_SSL", "MODEL.KINETICS")


@dataclass(frozen=True)
class Init:
    name: str
    key: str | None = None  # TRAIN.INIT_SUP, TRAIN.INIT_SSL or MODEL.KINETICS; None: from scratch
    path: str | None = None


def parse_init(text: str, cfg: CfgNode) -> Init:
    """``scratch`` (random initialisation) or ``NAME=FILE``: a train_sup.py checkpoint (TRAIN.INIT_SUP), a
    train_ssl.py one (TRAIN.INIT_SSL), or Kinetics-400 weights (MODEL.KINETICS), told apart by their contents; a
    checkpoint must hold the model ``cfg`` configures."""
    name, eq, path = text.partition("=")
    if not eq:
        if text != "scratch":
            raise UserError(f"--init {text}: give scratch or NAME=CHECKPOINT, e.g. fractal=out/fractal/ckpt_last.pth")
        return Init("scratch")
    if name_problem(name):
        raise UserError(f"--init {text}: {name_problem(name)}")
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
class Pretraining:
    """A study recipe's pre-training: once (SEED 1), or once per seed with ``each_seed``."""
    recipe: Recipe
    seed: int
    out: Path
    each_seed: bool

    @property
    def folder(self) -> Path:
        base = self.out / "pretrain" / self.recipe.name
        return base / f"seed{self.seed}" if self.each_seed else base

    @property
    def checkpoint(self) -> Path:
        return self.folder / checkpoint.LAST

    @property
    def claim(self) -> str:
        return f"pretrain-{self.recipe.name}" + (f"-seed{self.seed}" if self.each_seed else "")

    def __str__(self) -> str:
        return f"pre-training {self.recipe.name}" + (f" seed {self.seed}" if self.each_seed else "")


@dataclass(frozen=True)
class Cell:
    init: Init
    seed: int
    out: Path
    pretraining: Pretraining | None = None  # the study recipe's pre-training this cell starts from

    @property
    def folder(self) -> Path:
        return self.out / self.init.name / f"seed{self.seed}"

    @property
    def claim(self) -> str:
        return f"{self.init.name}-seed{self.seed}"

    @property
    def init_file(self) -> str | None:
        return str(self.pretraining.checkpoint) if self.pretraining else self.init.path

    def init_opts(self) -> list[str]:
        return [self.init.key, self.init_file] if self.init.key else []

    def __str__(self) -> str:
        return f"{self.init.name} seed {self.seed}"


def command(cell: Cell, mode: str, cfg_files: list[Path], opts: list[str], resume: bool) -> list[str]:
    """The script run of a cell; ``resume``: continue its interrupted training."""
    extra = ["MODEL.RESUME", str(cell.folder / checkpoint.LAST)] if resume else cell.init_opts()
    return [sys.executable, str(ROOT / SCRIPTS[mode]), *(["--cfg", *map(str, cfg_files)] if cfg_files else []),
            "--opts", *opts, "TRAIN.OUTPUT", str(cell.folder), "SEED", str(cell.seed), *extra]


def pretraining_command(job: Pretraining, launcher: str, resume: bool) -> list[str]:
    """The recipe's script run (through ``launcher``, e.g. ``torchrun --nproc_per_node 8``, when given)."""
    start = shlex.split(launcher) if launcher else [sys.executable]
    recipe = job.recipe
    return [*start, str(ROOT / recipe.script), *(["--cfg", *recipe.cfg] if recipe.cfg else []),
            "--opts", *recipe.opts, "TRAIN.OUTPUT", str(job.folder), "SEED", str(job.seed),
            *(["MODEL.RESUME", str(job.checkpoint)] if resume else [])]


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
    opts = [*plan["opts"], "TRAIN.OUTPUT", str(cell.folder), "SEED", str(cell.seed), *cell.init_opts()]
    return _flat(merge([Path(p) for p in plan["cfg"]], None, opts))


def _stored_config(folder: Path, name: str) -> dict | None:
    """The flattened configuration of the run in ``folder``, if this toolkit wrote it there (its ledger lists it)
    and it reads as one; else None."""
    if name not in owned_files.owned(folder) or not (folder / name).is_file():
        return None
    try:
        return _flat(CfgNode.load_cfg((folder / name).read_text()))
    except Exception:  # unreadable or not a configuration: not this run
        return None


def _ran_with(folder: Path, config_name: str, table: str, planned: dict) -> bool:
    """``folder`` holds a run this toolkit wrote (its record and table are in the folder's ledger) with exactly
    the ``planned`` configuration (a user's own run there is not compare.py's)."""
    return table in owned_files.owned(folder) and _stored_config(folder, config_name) == planned


INIT_RECORD = ".compare_init.json"  # the digest of the file a cell started from, written before it starts


def record_init(cell: Cell) -> None:
    """Note which weights the cell starts from (the contents of its init file), so a file replaced under the
    same name later never passes the old cell's figures for its own."""
    if cell.init_file is None:
        return
    owned_files.refuse_foreign(cell.folder, (INIT_RECORD,), f"cell {cell}'s folder")
    owned_files.record(cell.folder, INIT_RECORD)
    with atomic_path(cell.folder / INIT_RECORD) as tmp:
        tmp.write_text(json.dumps({"file": cell.init_file, "sha256": _digest(cell.init_file)}))


_digests: dict[tuple, str] = {}


def _digest(path: str) -> str:
    stat = Path(path).stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns, stat.st_ino)
    if key not in _digests:
        _digests[key] = file_digest(path)
    return _digests[key]


def started_from_its_init(cell: Cell) -> bool:
    """The cell ran from the weights its init file holds now (scratch: nothing to check)."""
    if cell.init_file is None:
        return True
    if INIT_RECORD not in owned_files.owned(cell.folder) or not Path(cell.init_file).is_file():
        return False
    try:
        stored = json.loads((cell.folder / INIT_RECORD).read_text())
        return stored == {"file": cell.init_file, "sha256": _digest(cell.init_file)}
    except (OSError, ValueError):
        return False


def ran_by_compare(cell: Cell, plan: dict) -> bool:
    """The cell's folder holds the run compare.py started for it, from the weights its init holds now."""
    config_name, table = RUN_RECORDS[plan["mode"]]
    return _ran_with(cell.folder, config_name, table, planned_config(cell, plan)) and started_from_its_init(cell)


def pretrained(job: Pretraining) -> bool:
    """The recipe's pre-training ran to its last epoch with the planned configuration: its last checkpoint is
    the one to start from (never a partial one: the metrics row of an epoch is written before its checkpoint)."""
    cfg = recipe_config(job.recipe, job.folder, job.seed)
    if not _ran_with(job.folder, "config.yaml", "metrics.csv", _flat(cfg)):
        return False
    rows = _rows(job.folder / "metrics.csv")
    last = str(rows[-1].get("epoch", "")) if rows else ""
    final = f"ckpt_epoch_{cfg.TRAIN.EPOCHS - 1}.pth"
    if not (last.isdigit() and int(last) == cfg.TRAIN.EPOCHS - 1
            and {checkpoint.LAST, final} <= owned_files.owned(job.folder)):
        return False
    try:
        return os.path.samefile(job.checkpoint, job.folder / final)  # ckpt_last.pth is that epoch's, linked
    except OSError:
        return False


def stored_settings_differ(job: Pretraining) -> list[str]:
    """The keys in which the pre-training the folder holds (written by this toolkit) differs from the plan's:
    the recipe's YAML was edited since it ran; empty when they agree or the folder holds none."""
    stored = _stored_config(job.folder, "config.yaml")
    if stored is None:
        return []  # none, or unreadable: the script says what is wrong when it runs
    planned = _flat(recipe_config(job.recipe, job.folder, job.seed))
    return sorted(k for k in set(stored) | set(planned) if stored.get(k) != planned.get(k))


def result(cell: Cell, plan: dict) -> dict[str, float] | None:
    """The cell's figures (``METRICS[mode]``), or None while it has not finished (or what its folder holds is
    not the run compare.py planned for it, or its pre-training is not the finished one planned)."""
    mode = plan["mode"]
    if cell.pretraining and not pretrained(cell.pretraining):
        return None
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


def started(folder: Path) -> bool:
    """A training that was interrupted: it left a checkpoint to resume from (its own, not a user's file of that
    name)."""
    return (folder / checkpoint.LAST).is_file() and checkpoint.LAST in owned_files.owned(folder)

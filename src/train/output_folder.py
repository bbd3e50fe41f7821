"""TRAIN.OUTPUT of a run: one run at a time, and never another run's folder unless resuming that run."""
from contextlib import ExitStack, contextmanager
from pathlib import Path

from yacs.config import CfgNode

from ..utils.cli import UserError
from ..utils import owned_files
from ..utils.folder_lock import folder_lock
from .checkpoint import LAST, PATTERN
from .runtime import Runtime, all_ranks

RUN_FILES = (LAST, PATTERN, "config.yaml", "metrics.csv", "log_rank0.txt")


def run_files(output: Path) -> list[str]:
    """The names of files in ``output`` that a training run writes."""
    return sorted({p.name for pattern in RUN_FILES for p in output.glob(pattern)})


def never_saved(output: Path, found: list[str]) -> bool:
    """``found`` (run files in ``output``) are all this toolkit's, of a run that saved no checkpoint."""
    return not any(n == LAST or n.startswith("ckpt_") for n in found) and set(found) <= owned_files.owned(output)


def check_not_another_run(cfg: CfgNode) -> None:
    """UserError if TRAIN.OUTPUT holds a run that MODEL.RESUME does not continue (a new run would overwrite its
    checkpoints, configuration and metrics)."""
    output = Path(cfg.TRAIN.OUTPUT)
    found = run_files(output) if output.is_dir() else []
    if not found:
        return
    resume = Path(cfg.MODEL.RESUME).resolve() if cfg.MODEL.RESUME else None
    if resume is not None and resume.parent == output.resolve():
        return
    if never_saved(output, found):
        return  # the leftovers of a run of ours that ended before its first checkpoint: start it afresh
    shown = ", ".join(found[:3]) + (", ..." if len(found) > 3 else "")
    foreign = [n for n in found if n not in owned_files.owned(output)]
    if foreign:
        raise UserError(f"TRAIN.OUTPUT {output} holds {', '.join(foreign[:3])}, not written by this toolkit; a new run "
                        "would overwrite it: move it away or choose another TRAIN.OUTPUT")
    if (output / LAST).is_file():
        raise UserError(f"TRAIN.OUTPUT {output} holds another run ({shown}); continue it with MODEL.RESUME "
                        f"{output / LAST}, or choose another TRAIN.OUTPUT")
    raise UserError(f"TRAIN.OUTPUT {output} holds a run of this toolkit without its {LAST} ({shown}); continue it "
                    "from one of its epoch checkpoints with MODEL.RESUME, or choose another TRAIN.OUTPUT")


@contextmanager
def claimed_output(cfg: CfgNode, rt: Runtime, new_run: bool = True):
    """Hold TRAIN.OUTPUT's lock for the block (rank 0; every rank fails together if it cannot); with ``new_run``
    also refuse a folder that holds another run."""
    if not rt.main:
        if not all_ranks(True, rt):
            raise UserError("rank 0 could not claim TRAIN.OUTPUT; see its error")
        yield
        return
    with ExitStack() as stack:
        try:
            stack.enter_context(folder_lock(Path(cfg.TRAIN.OUTPUT), "TRAIN.OUTPUT"))
            if new_run:
                check_not_another_run(cfg)
        except UserError:
            all_ranks(False, rt)  # the other ranks wait for this answer
            raise
        all_ranks(True, rt)
        yield

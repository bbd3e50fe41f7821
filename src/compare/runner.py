"""compare.py: run every (initialisation, seed) cell of this shard that has not finished, then report."""
import argparse
import ctypes
import json
import os
import signal
import subprocess
from contextlib import ExitStack
from pathlib import Path

from ..train.config import check, check_dataset_folder, check_every_key_read, merge
from ..utils import owned_files
from ..utils.atomic import atomic_path
from ..utils.cli import UserError
from ..utils.folder_lock import folder_lock
from ..utils.shard import resolve_shard
from .cells import METRICS, SCRIPTS, SET_BY_COMPARE, Cell, Init, command, parse_init, result, started
from .report import draw, format_table, table_rows, write_csv

PR_SET_PDEATHSIG = 1  # prctl option (linux/prctl.h)
PLAN = "compare.json"  # what OUT compares: a rerun with other settings is refused
REPORT_FILES = ("compare.csv", "compare.png")


def checked_plan(args: argparse.Namespace) -> dict:
    """Every input checked before anything is written: the inits, the configuration each cell will run with."""
    for key in args.opts[::2]:
        if key in SET_BY_COMPARE:
            raise UserError(f"--opts {key}: compare.py sets {key} for each cell; drop it (the initialisations go "
                            "in --init, the cells' folders under --out)")
    task = "supervised" if args.mode == "finetune" else "probe"
    cfg = merge(args.cfg, None, [*args.opts, "TRAIN.OUTPUT", str(args.out)])
    check(cfg, task)
    check_every_key_read(cfg, task, set(args.opts[::2]))
    check_dataset_folder(cfg, task)
    inits = [parse_init(text, cfg) for text in args.init]
    names = [i.name for i in inits]
    if len(set(names)) < len(names):
        raise UserError(f"--init names must differ; {', '.join(n for n in names if names.count(n) > 1)} repeats")
    plan = {"mode": args.mode, "cfg": [str(p) for p in args.cfg], "opts": args.opts, "seeds": args.seeds,
            "inits": [[i.name, i.key, i.path] for i in inits], "epochs": cfg.TRAIN.EPOCHS}
    stored = read_plan(args.out)
    foreign = [n for n in REPORT_FILES if (args.out / n).exists()] if stored is None else []
    if foreign:  # not written by compare.py (it writes PLAN first): never overwrite them
        raise UserError(f"--out {args.out} holds {', '.join(foreign)} but no {PLAN}, so compare.py did not write "
                        "them; choose another --out")
    if stored is not None:
        differs = [k for k in ("mode", "cfg", "opts") if stored[k] != plan[k]]
        if differs:  # more seeds or another --init may join; the report covers the latest run's
            raise UserError(f"--out {args.out} holds a comparison with another {', '.join(differs)}; run it with "
                            "the same --mode, --cfg and --opts (or --report), or choose another --out")
    return plan


def read_plan(out: Path) -> dict | None:
    path = out / PLAN
    if not path.is_file():
        return None
    try:
        plan = json.loads(path.read_text())
    except (ValueError, OSError, UnicodeDecodeError):
        plan = None
    if not plan_is_whole(plan):
        raise UserError(f"{path} cannot be read as compare.py's record of that comparison (damaged); restore it "
                        "or choose another --out") from None
    return plan


def plan_is_whole(plan) -> bool:
    """``plan`` has every field compare.py writes, of the right type."""
    types = {"mode": str, "cfg": list, "opts": list, "seeds": int, "inits": list, "epochs": int}
    return (isinstance(plan, dict) and all(isinstance(plan.get(k), t) for k, t in types.items())
            and plan["mode"] in SCRIPTS and plan["seeds"] >= 1 and plan["epochs"] >= 1
            and all(isinstance(i, list) and len(i) == 3 and isinstance(i[0], str) for i in plan["inits"]))


def cells_of(plan: dict, out: Path) -> list[Cell]:
    return [Cell(Init(*init), seed, out) for init in plan["inits"] for seed in range(1, plan["seeds"] + 1)]


def run_cell(cell: Cell, plan: dict, position: str) -> None:
    mode = plan["mode"]
    resume = mode == "finetune" and started(cell)  # stopped before its first checkpoint: train_sup.py restarts it
    if mode == "probe":
        share_features(cell, plan)
    verb = "resuming" if resume else ("fine-tuning" if mode == "finetune" else "probing")
    print(f"compare.py: {position} {cell}: {verb} with {SCRIPTS[mode]} in {cell.folder}", flush=True)
    done = subprocess.run(command(cell, mode, [Path(p) for p in plan["cfg"]], plan["opts"], resume),
                          preexec_fn=ended_with_parent)
    if done.returncode == 130:
        raise KeyboardInterrupt
    if done.returncode != 0:
        raise UserError(f"cell {cell}: {SCRIPTS[mode]} exited with code {done.returncode} (its error is above); "
                        "fix it and run compare.py again: finished cells are kept")


def ended_with_parent() -> None:
    """In the cell's process before it starts: the kernel sends it SIGTERM when compare.py ends, however it ends
    (a killed compare.py leaves no training running on its own)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def share_features(cell: Cell, plan: dict) -> None:
    """Link the cached features of the init's other seeds into this cell: probe.py reuses those whose key fits
    (a checkpoint's features do not depend on the seed; a random init's do, and their keys differ)."""
    target = cell.folder / "features"
    for other in cells_of(plan, cell.out):
        if other.init != cell.init or other == cell:
            continue
        for cached in (other.folder / "features").glob("*.npz"):
            if not target.is_dir():
                owned_files.refuse_foreign(cell.folder, ("features",), f"cell {cell}'s folder")
                target.mkdir(parents=True)
                owned_files.record(cell.folder, "features")  # probe.py's cache folder, made for it
            if not (target / cached.name).exists():
                os.link(cached, target / cached.name)


def run(args: argparse.Namespace) -> None:
    if args.report:
        plan = read_plan(args.out)
        if plan is None:
            raise UserError(f"--out {args.out} holds no comparison ({PLAN} is missing); run compare.py with --init "
                            "first")
    else:
        if not args.init:
            raise UserError("give at least one --init (scratch, or NAME=CHECKPOINT), or --report")
        shard = resolve_shard(args.shard)
        plan = checked_plan(args)
        args.out.mkdir(parents=True, exist_ok=True)
        with atomic_path(args.out / PLAN) as tmp:
            tmp.write_text(json.dumps(plan, indent=1))
        run_shard(plan, args.out, shard)
    report(plan, args.out)


def run_shard(plan: dict, out: Path, shard: tuple[int, int]) -> None:
    """This shard's cells in order; a cell that has finished is skipped, one another process holds is left to
    it, an interrupted fine-tuning resumes."""
    cells = cells_of(plan, out)
    mine = [c for i, c in enumerate(cells) if i % shard[1] == shard[0]]
    for n, cell in enumerate(mine, 1):
        position = f"cell {n}/{len(mine)}" + (f" of shard {shard[0]}/{shard[1]}" if shard[1] > 1 else "")
        if result(cell, plan) is not None:
            print(f"compare.py: {position} {cell}: finished earlier, kept", flush=True)
            continue
        with ExitStack() as claim:
            try:
                claim.enter_context(folder_lock(out / ".claims" / f"{cell.init.name}-seed{cell.seed}", "cell"))
            except UserError:
                print(f"compare.py: {position} {cell}: another compare.py is running it; left to it", flush=True)
                continue
            if result(cell, plan) is None:  # it may have finished while we waited
                run_cell(cell, plan, position)


def report(plan: dict, out: Path) -> None:
    figures = METRICS[plan["mode"]]
    results: dict[str, dict[int, dict[str, float]]] = {}
    missing = 0
    for cell in cells_of(plan, out):
        measured = result(cell, plan)
        results.setdefault(cell.init.name, {})
        if measured is None:
            missing += 1
        else:
            results[cell.init.name][cell.seed] = measured
    total = len(cells_of(plan, out))
    if missing == total:
        print(f"compare.py: no cell has finished yet ({total} to run); the report comes once they have")
        return
    rows = table_rows(results, figures)
    first = plan["inits"][0][0]
    print(format_table(rows, first))
    table, chart = (out / name for name in REPORT_FILES)
    write_csv(table, rows)
    what = "fine-tuned" if plan["mode"] == "finetune" else "frozen-feature probes"
    draw(chart, rows, figures, f"{what}, {plan['seeds']} seeds; 95 % t intervals")
    note = f"; {missing} of {total} cells have not finished" if missing else ""
    print(f"compare.py: table in {table}, chart in {chart}{note}")

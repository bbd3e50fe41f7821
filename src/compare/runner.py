"""compare.py: run every pre-training and (initialisation, seed) cell of this shard that has not finished, then
report."""
import argparse
import ctypes
import json
import os
import shlex
import shutil
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
from .cells import (METRICS, SCRIPTS, SET_BY_COMPARE, Cell, Init, Pretraining, command, parse_init,
                    pretrained, pretraining_command, record_init, result, started, stored_settings_differ)
from .report import draw, format_table, table_rows, write_csv
from .study import Recipe, TASK_OF, check_recipes, read_study

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
    recipes = read_study(args.study, args.pretrain_opts) if args.study else []
    clash = [r.name for r in recipes if r.name in names]
    if clash:
        raise UserError(f"recipe {clash[0]} of --study {args.study} has the name of an --init; rename one: it "
                        "names the cells' folder and the report's row")
    check_recipes(recipes, cfg, args.out / "pretrain")
    check_launcher(args.launcher)
    plan = {"mode": args.mode, "cfg": [str(p) for p in args.cfg], "opts": args.opts, "seeds": args.seeds,
            "inits": [[i.name, i.key, i.path] for i in inits] + [[r.name, INIT_KEY[r.task], None] for r in recipes],
            "epochs": cfg.TRAIN.EPOCHS, "recipes": [r.as_plan() for r in recipes],
            "pretrain_each_seed": args.pretrain_each_seed}
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
        if (stored.get("recipes", []), stored.get("pretrain_each_seed", False)) != \
                (plan["recipes"], plan["pretrain_each_seed"]):
            raise UserError(f"--out {args.out} holds another study (other recipes, their --pretrain_opts or "
                            "--pretrain_each_seed); run it with the same --study and pre-training flags (or "
                            "--report), or choose another --out")
    for job in dict.fromkeys(pretrainings_of(plan, args.out).values()):
        differ = stored_settings_differ(job)
        if differ:
            raise UserError(f"{job.folder} holds {job} with other settings ({', '.join(differ[:3])}"
                            f"{', ...' if len(differ) > 3 else ''}): its YAML changed since it ran; restore it, or "
                            "choose another --out")
    return plan


INIT_KEY = {"supervised": "TRAIN.INIT_SUP", "contrastive": "TRAIN.INIT_SSL"}


def check_launcher(launcher: str | None) -> None:
    """--launcher splits into words and its command exists (checked before anything is written)."""
    if not launcher:
        return
    try:
        words = shlex.split(launcher)
    except ValueError as e:
        raise UserError(f"--launcher {launcher!r} cannot be split into words ({e})") from None
    if not words or shutil.which(words[0]) is None:
        raise UserError(f"--launcher {launcher!r}: {words[0] if words else 'the command'} is not a command on "
                        "PATH; give e.g. 'torchrun --nproc_per_node 8'")


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
            and all(isinstance(i, list) and len(i) == 3 and isinstance(i[0], str) for i in plan["inits"])
            and isinstance(plan.get("recipes", []), list) and isinstance(plan.get("pretrain_each_seed", False), bool)
            and all(isinstance(r, list) and len(r) == 4 and r[1] in TASK_OF and isinstance(r[2], list)
                    and isinstance(r[3], list) for r in plan.get("recipes", [])))


def pretrainings_of(plan: dict, out: Path) -> dict[tuple[str, int], Pretraining]:
    """(recipe, cell seed) → the pre-training that cell starts from."""
    each = plan.get("pretrain_each_seed", False)
    jobs = {}
    for name, script, cfg, opts in plan.get("recipes", []):
        recipe = Recipe(name, script, tuple(cfg), tuple(opts))
        for seed in range(1, plan["seeds"] + 1):
            jobs[name, seed] = Pretraining(recipe, seed if each else 1, out, each)
    return jobs


def cells_of(plan: dict, out: Path) -> list[Cell]:
    jobs = pretrainings_of(plan, out)
    return [Cell(Init(*init), seed, out, jobs.get((init[0], seed)))
            for init in plan["inits"] for seed in range(1, plan["seeds"] + 1)]


def work_of(plan: dict, out: Path) -> list[Pretraining | Cell]:
    """Every pre-training, then every cell: the order the shards number them in."""
    return [*dict.fromkeys(pretrainings_of(plan, out).values()), *cells_of(plan, out)]


def run_cell(cell: Cell, plan: dict, position: str) -> None:
    mode = plan["mode"]
    resume = mode == "finetune" and started(cell.folder)  # stopped before its first checkpoint: train_sup.py restarts it
    if mode == "probe":
        share_features(cell, plan)
    if not resume:
        record_init(cell)
    verb = "resuming" if resume else ("fine-tuning" if mode == "finetune" else "probing")
    print(f"compare.py: {position} {cell}: {verb} with {SCRIPTS[mode]} in {cell.folder}", flush=True)
    done = subprocess.run(command(cell, mode, [Path(p) for p in plan["cfg"]], plan["opts"], resume),
                          preexec_fn=ended_with_parent)
    if done.returncode == 130:
        raise KeyboardInterrupt
    if done.returncode != 0:
        raise UserError(f"cell {cell}: {SCRIPTS[mode]} exited with code {done.returncode} (its error is above); "
                        "fix it and run compare.py again: finished cells are kept")


def run_pretraining(job: Pretraining, position: str, launcher: str) -> bool:
    """The recipe's pre-training (resumed if interrupted); False if it failed, which is recorded for the report
    and stops only this recipe's cells."""
    resume = started(job.folder)
    script = job.recipe.script
    print(f"compare.py: {position} {job}: {'resuming' if resume else 'running'} {script} in {job.folder}",
          flush=True)
    forget_failure(job)
    done = subprocess.run(pretraining_command(job, launcher, resume), preexec_fn=ended_with_parent)
    if done.returncode == 130:
        raise KeyboardInterrupt
    if done.returncode != 0:
        record_failure(job, f"{script} exited with code {done.returncode}; its log: {job.folder / 'log_rank0.txt'}")
        print(f"compare.py: {job} failed (exit code {done.returncode}, its error is above); its cells do not run, "
              "the other recipes' do", flush=True)
        return False
    if not pretrained(job):  # ended well but short of its last epoch (TRAIN.TIME_LIMIT), or not what was planned
        record_failure(job, f"{script} ended (exit code 0) before its last epoch, e.g. at TRAIN.TIME_LIMIT; run "
                            "compare.py again to continue it")
        print(f"compare.py: {job} stopped before its last epoch; its cells do not run yet, the other recipes' do",
              flush=True)
        return False
    return True


FAILED = ".failed"  # OUT/.failed/<claim>.txt: why a pre-training failed, until it is run again


def _failure_name(job: Pretraining) -> str:
    return f"{FAILED}/{job.claim}.txt"


def record_failure(job: Pretraining, why: str) -> None:
    owned_files.refuse_foreign(job.out, (_failure_name(job),), "--out")  # a user's file of that name stays
    owned_files.record(job.out, _failure_name(job))
    (job.out / FAILED).mkdir(exist_ok=True)
    with atomic_path(job.out / _failure_name(job)) as tmp:
        tmp.write_text(why)


def forget_failure(job: Pretraining) -> None:
    path = job.out / _failure_name(job)
    if _failure_name(job) in owned_files.owned(job.out) and path.is_file():
        path.unlink()
        owned_files.forget(job.out, _failure_name(job))


def failure_of(job: Pretraining) -> str | None:
    """Why the pre-training failed when it last ran, or None."""
    path = job.out / _failure_name(job)
    if _failure_name(job) not in owned_files.owned(job.out) or not path.is_file():
        return None
    try:
        return path.read_text()
    except (OSError, UnicodeDecodeError):
        return "its failure record cannot be read"


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
    failed: list[str] = []
    if args.report:
        plan = read_plan(args.out)
        if plan is None:
            raise UserError(f"--out {args.out} holds no comparison ({PLAN} is missing); run compare.py with --init "
                            "first")
    else:
        given = [flag for flag, value in (("--pretrain_opts", args.pretrain_opts), ("--launcher", args.launcher),
                                          ("--pretrain_each_seed", args.pretrain_each_seed)) if value]
        if given and not args.study:
            raise UserError(f"{given[0]} applies to a study's pre-trainings; give --study FILE (or drop it)")
        if not args.init and not args.study:
            raise UserError("give at least one --init (scratch, or NAME=CHECKPOINT) or a --study, or --report")
        shard = resolve_shard(args.shard)
        plan = checked_plan(args)
        args.out.mkdir(parents=True, exist_ok=True)
        with atomic_path(args.out / PLAN) as tmp:
            tmp.write_text(json.dumps(plan, indent=1))
        failed = run_shard(plan, args.out, shard, args.launcher or "")
    report(plan, args.out)
    if failed:
        raise UserError(f"the pre-training of {', '.join(failed)} failed (its error is above); the other cells ran. "
                        "Fix it and run compare.py again: finished cells are kept")


def run_shard(plan: dict, out: Path, shard: tuple[int, int], launcher: str) -> list[str]:
    """This shard's pre-trainings and cells in order; what has finished is skipped, what another process holds
    is left to it, an interrupted training resumes, a cell whose pre-training has not finished waits (it is
    tried again at the end, else left for a later run). Returns the recipes whose pre-training failed."""
    work = work_of(plan, out)
    mine = [w for i, w in enumerate(work) if i % shard[1] == shard[0]]
    failed, waiting = [], []
    for n, item in enumerate(mine, 1):
        position = f"{n}/{len(mine)}" + (f" of shard {shard[0]}/{shard[1]}" if shard[1] > 1 else "")
        status = attempt(item, plan, position, launcher)
        if status == "failed":
            failed.append(item.recipe.name)
        elif status == "waiting":
            waiting.append((position, item))
    for position, cell in waiting:  # their pre-training may have finished since, here or in another shard
        if pretrained(cell.pretraining):
            attempt(cell, plan, position, launcher)
        else:
            print(f"compare.py: {position} {cell}: left for a later run: {cell.pretraining} has not finished "
                  "(another shard's, or still running)", flush=True)
    return failed


def attempt(item: Pretraining | Cell, plan: dict, position: str, launcher: str) -> str:
    """Run one pre-training or cell unless it has finished or waits on something: kept, held, waiting,
    blocked, failed or done."""
    def done_already() -> bool:
        return pretrained(item) if isinstance(item, Pretraining) else result(item, plan) is not None

    if done_already():
        print(f"compare.py: {position} {item}: finished earlier, kept", flush=True)
        return "kept"
    if isinstance(item, Cell) and item.pretraining and not pretrained(item.pretraining):
        why = failure_of(item.pretraining)
        if why:
            print(f"compare.py: {position} {item}: not run: {item.pretraining} failed ({why})", flush=True)
            return "blocked"
        print(f"compare.py: {position} {item}: waits for {item.pretraining}, which has not finished", flush=True)
        return "waiting"
    with ExitStack() as claim:
        try:
            claim.enter_context(folder_lock(item.out / ".claims" / item.claim, "cell"))
        except UserError:
            print(f"compare.py: {position} {item}: another compare.py is running it; left to it", flush=True)
            return "held"
        if done_already():  # it may have finished while we waited
            return "kept"
        if isinstance(item, Pretraining):
            return "done" if run_pretraining(item, position, launcher) else "failed"
        run_cell(item, plan, position)
        return "done"


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
    states = recipe_states(plan, out)
    recipes = "".join(f"\n  {name}: {line}" for name, (_, line) in states.items())
    if missing == total:
        print(f"compare.py: no cell has finished yet ({total} to run); the report comes once they have{recipes}")
        return
    rows = table_rows(results, figures)
    for row in rows:
        row["status"] = states.get(row["init"], ("", ""))[0]
    first = plan["inits"][0][0]
    print(format_table(rows, first) + recipes)
    table, chart = (out / name for name in REPORT_FILES)
    write_csv(table, rows)
    what = "fine-tuned" if plan["mode"] == "finetune" else "frozen-feature probes"
    draw(chart, rows, figures, f"{what}, {plan['seeds']} seeds; 95 % t intervals")
    note = f"; {missing} of {total} cells have not finished" if missing else ""
    print(f"compare.py: table in {table}, chart in {chart}{note}")


def recipe_states(plan: dict, out: Path) -> dict[str, tuple[str, str]]:
    """Per recipe: its pre-training's state for the csv (pre-trained, failed, not finished) and a line saying
    what it is and where it stands."""
    jobs: dict[str, list[Pretraining]] = {}
    for job in dict.fromkeys(pretrainings_of(plan, out).values()):
        jobs.setdefault(job.recipe.name, []).append(job)
    states = {}
    for name, mine in jobs.items():
        recipe = mine[0].recipe
        what = " ".join([recipe.script, *recipe.cfg, *recipe.opts])
        done = [pretrained(job) for job in mine]
        failures = [(job, why) for job, ok in zip(mine, done) if not ok and (why := failure_of(job))]
        if failures:
            states[name] = ("pre-training failed", f"{what}; pre-training failed: " +
                            "; ".join(f"{job}: {why}" for job, why in failures))
        elif all(done):
            where = mine[0].folder.parent if len(mine) > 1 else mine[0].folder
            states[name] = ("pre-trained", f"{what}; pre-trained in {where}")
        else:
            states[name] = ("pre-training not finished", f"{what}; pre-training not finished")
    return states

"""Output file names (docs/generators.md) and what makes a folder resumable: the run's settings
(``.generate.json``) and the ledger of outputs this tool finished (``.finished/``).

Every writer process appends the name of each output to its own ledger file (``.finished/<host>-<pid>``) just
before renaming the output into place, so writers never share a file (SLURM arrays write one folder from many
hosts) and an output is finished only if it is on disk and in a ledger: a file of a matching name that no writer
recorded (a zero-byte leftover, someone else's video) is never taken for a finished output.
"""
import argparse
import json
import os
import re
from pathlib import Path

from ..utils.atomic import create_once, host
from .fractal_params import IMAGES_PER_SAMPLE

SETTINGS_NAME = ".generate.json"
LEDGER_DIR = ".finished"
_CONTENT_KEYS = ("type", "seed", "res", "fps", "lib_save", "codec", "preset")
_FRACTAL_KEYS = ("img", "bs_point", "iter", "iter_b", "iter_skip", "thres_b", "res_b", "var", "linear_motion")


def _stem(step: int, tag: int | None) -> str:
    return f"{step}" if tag is None else f"{step}-{tag}"


def video_path(dir_out: Path, step: int, tag: int | None, label: str | None) -> Path:
    """Labelled: <dir_out>/<label>/<step>.mp4; unlabelled: <dir_out>/<step>[-<tag>].mp4."""
    return dir_out / label / f"{step}.mp4" if label else dir_out / f"{_stem(step, tag)}.mp4"


def image_paths(dir_out: Path, step: int, tag: int | None, label: str | None) -> list[Path]:
    if label:
        return [dir_out / label / f"{step}-{j}.jpg" for j in range(IMAGES_PER_SAMPLE)]
    return [dir_out / f"{_stem(step, tag)}-{j}.jpg" for j in range(IMAGES_PER_SAMPLE)]


def class_path(dir_out: Path, index: int, tag: int | None) -> Path:
    return dir_out / f"{_stem(index, tag)}.npz"


def run_settings(args: argparse.Namespace) -> dict:
    """The options that decide what the outputs hold (not how many, how fast or where)."""
    keys = _CONTENT_KEYS + (_FRACTAL_KEYS if args.type == "fractal" else ())
    settings = {k: getattr(args, k) for k in keys}
    settings["outputs"] = "class files" if args.gen_param else "images" if args.img else "videos"
    settings["classes"] = [Path(c).stem if isinstance(c, Path) else c for c in args.classes]
    return json.loads(json.dumps(settings))  # tuples as lists, as they read back


def record_finished(dir_out: Path, path: Path, size: int) -> None:
    """Append ``path`` and its size to this process's ledger (one write of one line, so a kill never leaves half
    a name); an output whose size differs later (truncated, replaced) is no longer finished."""
    ledger = dir_out / LEDGER_DIR / f"{host()}-{os.getpid()}"
    ledger.parent.mkdir(exist_ok=True)
    fd = os.open(ledger, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        os.write(fd, f"{path.relative_to(dir_out).as_posix()}\t{size}\n".encode())
    finally:
        os.close(fd)


def _ledger(dir_out: Path) -> dict[str, int | None]:
    """Recorded outputs → their size when finished (None in ledgers of older versions, which kept names only)."""
    sizes: dict[str, int | None] = {}
    for f in (dir_out / LEDGER_DIR).glob("*"):
        text = f.read_text(errors="replace")
        for line in text.split("\n")[:-1]:  # a line without its newline was cut short: not recorded
            name, tab, size = line.partition("\t")
            sizes[name] = int(size) if tab and size.isdigit() else None
    return sizes


def recorded_in_ledger(dir_out: Path) -> bool:
    """True if some writer of this tool recorded an output in ``dir_out``."""
    return any(f.stat().st_size for f in (dir_out / LEDGER_DIR).glob("*"))


def _outputs(dir_out: Path, img: bool, gen_param: bool) -> dict[str, int]:
    """Files named like this run's outputs → their step."""
    if gen_param:
        pattern, files = re.compile(r"(\d+)(?:-\d+)?\.npz"), dir_out.glob("*.npz")
    elif img:
        pattern, files = re.compile(r"(\d+)(?:-\d+)?-\d+\.jpg"), dir_out.rglob("*.jpg")
    else:
        pattern, files = re.compile(r"(\d+)(?:-\d+)?\.mp4"), dir_out.rglob("*.mp4")
    found = {}
    for f in files:
        m = pattern.fullmatch(f.name)
        if m:
            found[f.relative_to(dir_out).as_posix()] = int(m.group(1))
    return found


def scan(dir_out: Path, img: bool, gen_param: bool) -> tuple[set[int], list[str]]:
    """Steps whose outputs are all finished, and files named like outputs that no writer of this tool finished."""
    outputs = _outputs(dir_out, img, gen_param)
    recorded = _ledger(dir_out)  # read after listing: an output renamed before the listing is already recorded
    counts: dict[int, int] = {}
    for name, step in outputs.items():
        if name in recorded and recorded[name] in (None, _size(dir_out / name)):  # a truncated one is redone
            counts[step] = counts.get(step, 0) + 1
    need = IMAGES_PER_SAMPLE if img and not gen_param else 1
    return {step for step, n in counts.items() if n >= need}, sorted(set(outputs) - set(recorded))


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return None


def claim_folder(args: argparse.Namespace) -> None:
    """Make --dir_out this run's, or raise ValueError before anything is written: a folder of another run's
    settings, or holding files named like outputs that this tool did not finish, is refused."""
    dir_out, settings = args.dir_out, run_settings(args)
    saved_path = dir_out / SETTINGS_NAME
    if saved_path.is_file():
        _check_same(saved_path, settings)
    elif dir_out.is_dir() and recorded_in_ledger(dir_out):
        raise ValueError(f"--dir_out {dir_out} holds outputs of this tool but its settings record {SETTINGS_NAME} is "
                         "missing, so a rerun could mix two sets; restore the file, or choose another --dir_out")
    if dir_out.is_dir():
        foreign = scan(dir_out, args.img, bool(args.gen_param))[1]
        if foreign:
            raise ValueError(f"--dir_out {dir_out} holds {len(foreign)} file(s) named like outputs that "
                             f"generate_synthetic.py did not write (e.g. {foreign[0]}); choose an empty --dir_out")
    dir_out.mkdir(parents=True, exist_ok=True)
    if not create_once(saved_path, json.dumps(settings, indent=1) + "\n"):
        _check_same(saved_path, settings)  # another shard created it meanwhile


def _check_same(saved_path: Path, settings: dict) -> None:
    try:
        saved = json.loads(saved_path.read_text())
        if not isinstance(saved, dict):
            raise ValueError("not a mapping")
    except (OSError, ValueError):
        raise ValueError(f"{saved_path} is unreadable, so the outputs beside it cannot be resumed; choose an "
                         "empty --dir_out") from None
    differ = [k for k in sorted(set(saved) | set(settings)) if saved.get(k) != settings.get(k)]
    if differ:
        what = ", ".join(f"{k} {_short(saved.get(k))} (now {_short(settings.get(k))})" for k in differ[:4])
        raise ValueError(f"--dir_out {saved_path.parent} holds a run made with other settings: {what}; rerun with "
                         "those settings to resume it, or choose another --dir_out")


def _short(value) -> str:
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."

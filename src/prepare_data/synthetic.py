"""Synthetic datasets: the Google Drive archives of the paper (docs/datasets.md) and sets generated here.

Archive folders and class names are ordered naturally (``2`` before ``10``, ``17-4`` before ``100-0``); the
original sorted them as strings, which decided which files and classes were kept.
"""
import csv
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from ..data.video_files import list_videos
from .workspace import PrepareError, Source, Workspace

TABLE = Path(__file__).with_name("synthetic_gdrive.tsv")


@dataclass(frozen=True)
class SyntheticSet:
    name: str
    n_train: int
    n_classes: int | None
    val_per_class: int | None
    extension: str
    drive_ids: tuple[str, ...]

    @property
    def labelled(self) -> bool:
        return self.name.startswith("sup")


def load_table(path: Path = TABLE) -> dict[str, SyntheticSet]:
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return {r["dataset"]: SyntheticSet(r["dataset"], int(r["n_train"]), int(r["n_classes"]) if r["n_classes"] else None,
                                       int(r["n_val_per_class"]) if r["n_val_per_class"] else None, r["ext"],
                                       tuple(r["drive_file_ids"].split(","))) for r in rows}


def natural_key(text: str) -> list:
    """Sort key that orders digit runs as numbers."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", text)]


def split_labelled(files: list[str], n_train: int | None, n_classes: int | None,
                   val_per_class: int) -> tuple[list[str], list[str]]:
    """The sup-* rule: first classes, round-robin interleave, the first ``val_per_class``·C files to val, the next
    ``n_train`` to train. ``files`` are relative paths whose parent folder is the class."""
    by_class: dict[str, list[str]] = {}
    for f in sorted(files, key=natural_key):
        by_class.setdefault(Path(f).parent.name, []).append(f)
    names = sorted(by_class, key=natural_key)[:n_classes]
    short = [c for c in names if len(by_class[c]) < val_per_class]
    if short:
        raise PrepareError(f"class {short[0]} has {len(by_class[short[0]])} videos; every class needs at least "
                           f"{val_per_class} for validation")
    longest = max(len(by_class[c]) for c in names)
    sequence = [by_class[c][i] for i in range(longest) for c in names if i < len(by_class[c])]
    n_val = val_per_class * len(names)
    end = None if n_train is None else n_val + n_train
    val, train = sequence[:n_val], sequence[n_val:end]
    if len(val) > len(train):
        print(f"warning: {len(val)} validation and only {len(train)} training videos (--val_per_class "
              f"{val_per_class} of {len(sequence)} videos in {len(names)} classes); lower --val_per_class to "
              "train on more", file=sys.stderr)
    return val, train


def print_statistics(split: str, files: list[str]) -> None:
    per_class: dict[str, int] = {}
    for f in files:
        per_class[Path(f).parent.name] = per_class.get(Path(f).parent.name, 0) + 1
    counts = list(per_class.values()) or [0]
    print(f"{split}: {len(per_class)} classes, {len(files)} videos, per class mean {sum(counts) / len(counts):.1f} "
          f"min {min(counts)} max {max(counts)}")


def _downloaded(ws: Workspace, spec: SyntheticSet) -> dict[str, Path]:
    """Relative path ``<n>/<path in archive n>`` → file, for every archive of the set."""
    files = {}
    for n, file_id in enumerate(spec.drive_ids, start=1):
        folder = ws.contents(Source.drive(file_id))
        found = list_videos(folder, spec.extension)
        print(f"archive {n}/{len(spec.drive_ids)} ({file_id}): {len(found)} *.{spec.extension} files", file=sys.stderr)
        files.update({f"{n}/{f.relative_to(folder).as_posix()}": f for f in found})
    return files


def place_split(ws: Workspace, files: dict[str, Path], n_train: int | None, n_classes: int | None,
                val_per_class: int) -> None:
    val, train = split_labelled(list(files), n_train, n_classes, val_per_class)
    for split, chosen in (("val", val), ("train", train)):
        for relative in chosen:
            ws.place(files[relative], f"{split}/{relative}")
        print_statistics(split, chosen)


def prepare(ws: Workspace, spec: SyntheticSet) -> None:
    files = _downloaded(ws, spec)
    if spec.labelled:
        place_split(ws, files, spec.n_train, spec.n_classes, spec.val_per_class or 10)
    else:
        for relative in sorted(files, key=natural_key)[:spec.n_train]:
            ws.place(files[relative], relative)


def prepare_generated(ws: Workspace, folder: Path, extension: str, val_per_class: int) -> None:
    """Split a labelled set made by ``generate_synthetic.py --dir_in`` (``<class>/<step>.mp4``) into train/val."""
    found = list_videos(folder, extension)
    if not found:
        raise PrepareError(f"--from {folder} holds no *.{extension} videos; generate them with "
                           "generate_synthetic.py --dir_in CLASSES --dir_out DIR")
    sizes: dict[str, int] = {}
    for f in found:
        sizes[f.parent.name] = sizes.get(f.parent.name, 0) + 1
    loose = any(f.parent == folder for f in found)
    if len(sizes) < 2 or loose:
        raise PrepareError(f"--from {folder} is not a labelled set: it needs two or more <class>/ folders of videos "
                           f"(found {len(sizes) - loose}{' and videos outside any class folder' if loose else ''}); "
                           "generate one with generate_synthetic.py --dir_in CLASSES, or pre-train on unlabelled "
                           "videos with train_ssl.py")
    starved = sorted(c for c, n in sizes.items() if n <= val_per_class)
    if starved:
        raise PrepareError(f"class {starved[0]} of --from {folder} has {sizes[starved[0]]} videos: --val_per_class "
                           f"{val_per_class} leaves none for training; lower --val_per_class or generate more videos")
    place_split(ws, {f.relative_to(folder).as_posix(): f for f in found}, None, None, val_per_class)

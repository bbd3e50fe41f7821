"""Command line of prepare_data.py (docs/datasets.md) and its validation."""
import argparse
from pathlib import Path
from urllib.parse import urlparse

from ..utils.atomic import writable_folder
from ..utils.cli import OneLineParser
from .synthetic import load_table

REAL = ("hmdb51", "ucf101", "diving48", "egtea", "volleyball", "scenes")


def build_parser() -> argparse.ArgumentParser:
    p = OneLineParser(description="Download and lay out a dataset as ROOT/DATASET/{train,val}/<class>/<video>.")
    p.add_argument("--dataset", "-d", required=True, type=str.lower,
                   help=f"{', '.join(REAL)}, a synthetic set (sup-*, uns-*) or, with --from, a name of yours")
    p.add_argument("--root", "-r", type=Path, default=Path("data"), help="parent folder of the dataset")
    p.add_argument("--source", type=Path, help="use these archives (or their extracted folders) instead of downloading")
    p.add_argument("--from", dest="from_dir", type=Path,
                   help="split a labelled set made by generate_synthetic.py --dir_in into train/val (sup-* rule)")
    p.add_argument("--val_per_class", type=int, default=10, help="with --from: validation videos per class")
    p.add_argument("--extension", default="mp4", help="with --from: video file extension")
    p.add_argument("--mirror", help="base URL serving every archive by file name (Drive files by id)")
    return p


def validate(args: argparse.Namespace) -> argparse.Namespace:
    """Raises ValueError with one line naming the problem and the fix."""
    table = load_table()
    args.extension = args.extension.lstrip(".").lower()
    if not args.extension:
        raise ValueError("--extension is empty; give the video extension, e.g. mp4")
    if args.from_dir is not None:
        if args.dataset in REAL or args.dataset in table:
            raise ValueError(f"--from makes a dataset of your own; {args.dataset} is a published one, pick another name")
        if args.source is not None:
            raise ValueError("--from and --source exclude each other")
        if not args.from_dir.is_dir():
            raise ValueError(f"--from {args.from_dir} is not a folder")
        target, source = (args.root / args.dataset).resolve(), args.from_dir.resolve()
        if target == source or target.is_relative_to(source) or source.is_relative_to(target):
            raise ValueError(f"--from {args.from_dir} and the dataset folder {args.root / args.dataset} overlap; "
                             "--from is only read, so choose a --root or --dataset outside it")
        if args.val_per_class < 1:
            raise ValueError(f"--val_per_class must be >= 1, got {args.val_per_class}")
    elif args.dataset not in REAL and args.dataset not in table:
        raise ValueError(f"unknown dataset {args.dataset!r}; choose one of {', '.join(REAL + tuple(table))}, "
                         "or give --from DIR for a generated set")
    if args.source is not None and not args.source.exists():
        raise ValueError(f"--source {args.source} does not exist")
    mirror = urlparse(args.mirror) if args.mirror is not None else None
    if mirror is not None and (mirror.scheme not in ("http", "https", "file") or
                               mirror.scheme != "file" and not mirror.netloc):
        raise ValueError(f"--mirror {args.mirror} is not a URL; give a base URL such as http://host/datasets")
    if not writable_folder(args.root):
        raise ValueError(f"--root {args.root} is not writable (read-only or no permission); choose another folder")
    return args

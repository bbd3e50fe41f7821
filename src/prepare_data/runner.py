"""prepare_data.py: fetch, extract and lay out one dataset, resumably; a finished dataset is left alone."""
import argparse

from . import hmdb51, mirrored, scenes, synthetic, ucf101
from ..utils.folder_lock import folder_lock
from .workspace import PrepareError, Workspace

EXTENSIONS = {"hmdb51": "avi", "ucf101": "avi", "scenes": "mp4", **{n: m[2] for n, m in mirrored.MIRRORS.items()}}


def _build(ws: Workspace, args: argparse.Namespace) -> str:
    """Stage the dataset in ``ws.out``; returns the video extension."""
    if args.from_dir is not None:
        synthetic.prepare_generated(ws, args.from_dir, args.extension, args.val_per_class)
        return args.extension
    table = synthetic.load_table()
    if args.dataset in table:
        synthetic.prepare(ws, table[args.dataset])
        return table[args.dataset].extension
    module = {"hmdb51": hmdb51, "ucf101": ucf101, "scenes": scenes}.get(args.dataset, mirrored)
    module.prepare(ws)
    return EXTENSIONS[args.dataset]


def _report(ws: Workspace, summary: dict) -> str:
    splits = ", ".join(f"{summary[s]} {s}" for s in ("train", "val", "test") if s in summary)
    return f"{ws.folder}: {splits or str(summary['total']) + ' videos'} ({summary['total']} videos in all)"


def run(args: argparse.Namespace) -> None:
    ws = Workspace(args.dataset, args.root, args.source, args.mirror)
    done = ws.finished()
    if done is not None:
        print(f"already prepared, left as it is: {_report(ws, done)}; delete the folder to prepare it again")
        return
    foreign = ws.foreign_entries()
    if foreign:
        raise PrepareError(f"{ws.folder} already holds {', '.join(foreign[:3])}{', ...' if len(foreign) > 3 else ''}"
                           ", which prepare_data.py did not make; move it away, or choose another --root or "
                           "--dataset")
    with folder_lock(ws.folder, "dataset folder"):
        if ws.finished() is None:  # another copy may have finished it since the check above
            ws.claim_work()
            try:
                extension = _build(ws, args)
            finally:
                ws.release_if_unused()
            summary = ws.publish(extension)
            print(f"prepared {_report(ws, summary)} in {summary['seconds']:.0f} s")

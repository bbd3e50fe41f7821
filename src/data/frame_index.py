"""Exact frame counts of a dataset's videos, cached in ``<dataset>/.frame_counts.json``.

Counting decodes every video once (with a progress bar and a process pool); later runs only stat the files and
recount the ones whose size or modification time changed, so start-up on 100k videos takes seconds.
"""
import json
import os
import sys
from pathlib import Path

from ..utils.atomic import atomic_path
from ..utils.progress import progress
from ..utils.pool import worker_pool
from ..utils.threads import usable_cores
from .decode import DecodeError, count_frames

INDEX_NAME = ".frame_counts.json"
UNREADABLE = 0


def _count(path: str) -> int:
    try:
        return count_frames(Path(path))
    except DecodeError:
        return UNREADABLE


def _signature(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns]


def _entry_ok(entry) -> bool:
    """[size, mtime_ns, frames], all integers, the count between 0 and the file's size in bytes (no frame takes less
    than a byte); a damaged or impossible entry is recounted."""
    return (isinstance(entry, list) and len(entry) == 3 and all(type(v) is int for v in entry)
            and 0 <= entry[2] <= max(entry[0], 0))


def _load(index_path: Path) -> dict:
    try:
        with open(index_path) as f:
            data = json.load(f)
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in data.items() if _entry_ok(v)} if isinstance(data, dict) else {}


def frame_counts(root: Path, files: list[Path], workers: int | None = None) -> list[int]:
    """Frame count of each of ``files`` (all below ``root``); 0 marks an unreadable video."""
    index_path = root / INDEX_NAME
    cached = _load(index_path)
    keys = [os.path.relpath(f, root) for f in files]
    signatures = [_signature(f) for f in files]
    todo = [i for i, (k, sig) in enumerate(zip(keys, signatures)) if cached.get(k, [None])[:2] != sig]
    if todo:
        workers = workers or usable_cores()
        paths = [str(files[i]) for i in todo]
        with worker_pool(workers) as pool:
            counts = list(progress(pool.map(_count, paths, chunksize=16), len(paths), unit="video",
                                   desc=f"counting frames in {root}"))
        for i, n in zip(todo, counts):
            cached[keys[i]] = signatures[i] + [n]
        current = set(keys)
        cached = {k: v for k, v in cached.items() if k in current or (root / k).exists()}
        try:
            with atomic_path(index_path) as tmp:
                tmp.write_text(json.dumps(cached))
        except OSError as e:
            print(f"note: cannot cache frame counts in {index_path} ({e.strerror}); they will be recounted",
                  file=sys.stderr)
    return [cached[k][2] for k in keys]

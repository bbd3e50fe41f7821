"""Atomic file writes: a temp name in the target folder, renamed onto the target only when complete."""
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

TEMP_MARK = ".partial-"


@contextmanager
def atomic_path(path: Path):
    """Yield a temp path next to ``path``; rename it onto ``path`` only if the block succeeds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}{TEMP_MARK}", suffix=path.suffix)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def remove_stale_temps(folder: Path) -> None:
    """Delete temp files that an interrupted run left behind."""
    for f in folder.rglob(f".*{TEMP_MARK}*"):
        f.unlink(missing_ok=True)

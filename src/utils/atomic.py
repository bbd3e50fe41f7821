"""Atomic file writes: a temp name in the target folder, renamed onto the target only when complete, with the
permissions a plain ``open()`` would give (the user's umask), not the 0600 of a temp file."""
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

TEMP_MARK = ".partial-"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(path: Path):
    """Yield a temp path next to ``path``; rename it onto ``path`` only if the block succeeds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}{TEMP_MARK}", suffix=path.suffix)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def atomic_link(source: Path, path: Path) -> None:
    """Make ``path`` name the same file as ``source`` (a copy where hard links are not possible), atomically."""
    with atomic_path(path) as tmp:
        tmp.unlink()
        try:
            os.link(source, tmp)
        except OSError:
            shutil.copyfile(source, tmp)


def remove_stale_temps(folder: Path, recursive: bool = True) -> None:
    """Delete temp files that an interrupted run left behind."""
    for f in (folder.rglob if recursive else folder.glob)(f".*{TEMP_MARK}*"):
        f.unlink(missing_ok=True)


def writable_folder(path: Path) -> bool:
    """True if ``path`` is, or could be created as, a folder this process can write in. Checked by making and
    removing a temp folder in its nearest existing ancestor (permission bits alone miss read-only mounts, /proc
    and root's privileges); leaves nothing behind."""
    probe = Path(path).absolute()
    while not probe.exists():
        if probe.parent == probe:
            return False
        probe = probe.parent
    if not probe.is_dir():
        return False
    try:
        Path(tempfile.mkdtemp(dir=probe, prefix=".write-probe-")).rmdir()
    except OSError:
        return False
    return True

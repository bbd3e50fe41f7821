"""Atomic file writes: a temp name in the target folder, renamed onto the target only when complete, with the
permissions a plain ``open()`` would give (the user's umask), not the 0600 of a temp file.

A temp name carries its writer (``.<stem>.partial-<host>-<pid>-<random><suffix>``), so a run that cleans up
after a killed one removes only temps whose writer is gone, never those of a run still writing into the folder.
"""
import os
import re
import shutil
import socket
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable

TEMP_MARK = ".partial-"
FOREIGN_TEMP_AGE = 24 * 3600  # seconds: a temp of another host (or of no known writer) older than this is stale
_WRITER = re.compile(r"(?P<host>.+)-(?P<pid>\d+)-[^-]+$")


def user_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def host() -> str:
    return socket.gethostname() or "localhost"


@contextmanager
def atomic_path(path: Path, before_rename: Callable[[Path], None] | None = None):
    """Yield a temp path next to ``path``, named after its writer; rename it onto ``path`` only if the block
    succeeds, calling ``before_rename(temp)`` (if given) once the temp is complete."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}{TEMP_MARK}{host()}-{os.getpid()}-",
                                suffix=path.suffix)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~user_umask())
        if before_rename is not None:
            before_rename(tmp)
        os.replace(tmp, path)
    except OSError as e:  # name the file the user asked for, not a temp name or nothing
        if e.filename is None or str(e.filename) == str(tmp):
            e.filename = str(path)
        raise
    finally:
        tmp.unlink(missing_ok=True)


def create_once(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` unless it exists, atomically even against another process doing the same: True
    if this call created it."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}{TEMP_MARK}{host()}-{os.getpid()}-",
                                suffix=path.suffix)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.chmod(name, 0o666 & ~user_umask())
        try:
            os.link(name, path)  # fails if ``path`` exists, where a rename would replace it
        except FileExistsError:
            return False
        return True
    finally:
        os.unlink(name)


def atomic_link(source: Path, path: Path) -> None:
    """Make ``path`` name the same file as ``source`` (a copy where hard links are not possible), atomically."""
    with atomic_path(path) as tmp:
        tmp.unlink()
        try:
            os.link(source, tmp)
        except OSError:
            shutil.copyfile(source, tmp)


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, another user's
    return True


def writer_gone(temp: Path) -> bool:
    """True if the process that named ``temp`` has ended: on this host, its pid is not running; elsewhere (or a
    name without a writer), the file has not changed for a day."""
    rest = temp.name.split(TEMP_MARK, 1)[-1]
    match = _WRITER.match(rest.removesuffix(temp.suffix))
    if match and match["host"] == host():
        return not process_alive(int(match["pid"]))
    try:
        return time.time() - temp.stat().st_mtime > FOREIGN_TEMP_AGE
    except FileNotFoundError:
        return False  # its writer renamed or removed it meanwhile


def remove_stale_temps(folder: Path, recursive: bool = True, everyone: bool = False) -> None:
    """Delete temp files that interrupted runs left behind: those whose writer is gone, or all of them when the
    caller holds the folder's lock (``everyone``)."""
    for f in (folder.rglob if recursive else folder.glob)(f".*{TEMP_MARK}*"):
        if everyone or writer_gone(f):
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

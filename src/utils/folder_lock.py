"""One run at a time in a folder: ``<folder>/.fractal-video.lock`` (a name no other tool uses), held with ``flock``
for the life of the run. The kernel drops the lock when its process ends, however it ends, so a killed run never blocks the next one."""
import fcntl
import os
from contextlib import contextmanager
from pathlib import Path

from .atomic import host
from .cli import UserError

LOCK_NAME = ".fractal-video.lock"


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except FileNotFoundError:
        return False


@contextmanager
def folder_lock(folder: Path, what: str):
    """Hold ``folder``'s lock (creating the folder if needed); UserError naming the holder if another process has
    it. On leaving, the lock file goes, and so does the folder if this call created it and it is still empty."""
    folder = Path(folder)
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK_NAME
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 200).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise UserError(f"{what} {folder} is in use by another run ({holder}); wait for it to end or choose "
                            f"another {what}") from None
        if _same_file(fd, path):
            break
        os.close(fd)  # its last holder removed this lock file after we opened it: lock the current one
    os.ftruncate(fd, 0)
    os.write(fd, f"pid {os.getpid()} on {host()}".encode())
    try:
        yield
    finally:
        path.unlink(missing_ok=True)  # while still held, so a waiting opener sees it is stale
        os.close(fd)
        if created:
            try:
                folder.rmdir()
            except OSError:
                pass  # the run wrote something: keep it

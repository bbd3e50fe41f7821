"""Which files in a folder this toolkit wrote: ``<folder>/.fractal-video-files``, one name (relative to the
folder) a line. A tool overwrites or deletes a file whose name it chose only if the ledger lists it, so a user's
``curves.png`` or ``probe.csv`` that happens to have the same name is never touched.

Lines are appended with O_APPEND (one write each, atomic on local file systems), so copies of a tool writing into
one folder at once never lose each other's entries; ``-name`` withdraws a name. Each line ends with a tab, so a
line cut short by a crash (no tab) is ignored, and the next append starts on a line of its own.
"""
import os
from pathlib import Path

from .cli import UserError

LEDGER = ".fractal-video-files"


def _lines(folder: Path) -> list[str]:
    path = Path(folder) / LEDGER
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    except OSError as e:
        raise UserError(f"{path} cannot be read ({e.strerror}); it lists the files this toolkit wrote there: "
                        "restore its permissions") from None
    text = data.decode("utf-8", errors="replace")
    lines = [line[:-1] for line in text.split("\n") if line.endswith("\t")]  # whole entries only
    return [line for line in lines if line and _safe(line.removeprefix("-"))]


def _safe(name: str) -> bool:
    parts = Path(name).parts
    return bool(parts) and not Path(name).is_absolute() and ".." not in parts


def owned(folder: Path) -> set[str]:
    """The names this toolkit wrote in ``folder`` and has not withdrawn."""
    names: set[str] = set()
    for line in _lines(folder):
        if line.startswith("-"):
            names.discard(line[1:])
        else:
            names.add(line)
    return names


def _append(folder: Path, lines: list[str]) -> None:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / LEDGER, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        size = os.fstat(fd).st_size
        cut = size and os.pread(fd, 1, size - 1) != b"\n"  # a writer killed mid-line: start a fresh line
        os.write(fd, ("\n" if cut else "").encode() + "".join(f"{line}\t\n" for line in lines).encode())
    finally:
        os.close(fd)


def record(folder: Path, *names: str) -> None:
    """Note that this toolkit wrote ``names`` (relative to ``folder``)."""
    mine = owned(folder)
    new = [n for n in names if n not in mine]
    if new:
        _append(folder, new)


def forget(folder: Path, *names: str) -> None:
    """Withdraw ``names`` (their files were deleted by the tool that wrote them)."""
    mine = owned(folder)
    gone = [f"-{n}" for n in names if n in mine]
    if gone:
        _append(folder, gone)


def foreign(folder: Path, names: list[str] | tuple[str, ...]) -> list[str]:
    """Those of ``names`` that exist in ``folder`` but were not written by this toolkit."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    mine = owned(folder)
    return [n for n in names if (os.path.lexists(folder / n)) and n not in mine]


def refuse_foreign(folder: Path, names: list[str] | tuple[str, ...], what: str) -> None:
    """UserError (before anything is written) if one of ``names`` in ``folder`` is a file this toolkit did not
    write: it would be overwritten."""
    found = foreign(folder, names)
    if found:
        shown = ", ".join(found[:3]) + (", ..." if len(found) > 3 else "")
        raise UserError(f"{what} {folder} holds {shown}, not written by this toolkit, which would overwrite "
                        f"{'them' if len(found) > 1 else 'it'}; move {'them' if len(found) > 1 else 'it'} away or "
                        f"choose another {what}")

"""Archive extraction (zip, tar, tar.gz, rar) that refuses members escaping the target folder."""
import os
import shutil
import subprocess
import tarfile
import zipfile
import zlib
from pathlib import Path

from ..utils.progress import progress

RAR_MAGIC = b"Rar!\x1a\x07"
RAR_TOOLS = ("unrar", "7z", "7zz", "bsdtar")


class ArchiveError(ValueError):
    """An archive that is corrupt, unsafe, or needs a tool that is missing."""


def check_member(dest: Path, name: str, archive: Path) -> None:
    """Refuse absolute names and names that resolve outside ``dest`` (zip-slip)."""
    root = dest.resolve()
    target = (root / name).resolve()
    if Path(name).is_absolute() or name.startswith(("/", "\\")) or not target.is_relative_to(root):
        raise ArchiveError(f"archive {archive} has a member escaping the target folder ({name!r}); refused")


def _extract_checked(archive: Path, dest: Path, members: list, name_of, extract_one) -> None:
    """Check every member name first, then extract them one by one with a progress bar."""
    for m in members:
        check_member(dest, name_of(m), archive)
    for m in progress(members, len(members), unit="file", desc=f"extracting {archive.name}"):
        extract_one(m)


def _system_error(e: Exception) -> bool:
    """An OSError with an errno is the system's (no space, permissions, I/O), not the archive's content;
    decompressors report bad data as OSErrors without one (gzip.BadGzipFile)."""
    return isinstance(e, OSError) and e.errno is not None


def _zip(archive: Path, dest: Path) -> None:
    try:
        with zipfile.ZipFile(archive) as z:
            _extract_checked(archive, dest, z.infolist(), lambda m: m.filename, lambda m: z.extract(m, dest))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, zlib.error, OSError) as e:
        if _system_error(e):
            raise
        raise ArchiveError(f"archive {archive} is corrupt or truncated ({e})") from None


def _tar(archive: Path, dest: Path) -> None:
    try:
        with tarfile.open(archive) as t:
            _extract_checked(archive, dest, t.getmembers(), lambda m: m.name,
                             lambda m: t.extract(m, dest, filter="data"))
    except (tarfile.TarError, EOFError, zlib.error, OSError) as e:
        if _system_error(e):
            raise
        raise ArchiveError(f"archive {archive} is corrupt, truncated or unsafe ({e})") from None


def _rar_commands(tool: str, archive: Path, dest: Path) -> tuple[list[str], list[str]]:
    """(list member names, extract) commands of an external RAR tool."""
    if tool == "unrar":
        return [tool, "lb", str(archive)], [tool, "x", "-o+", "-idq", str(archive), str(dest) + os.sep]
    if tool == "bsdtar":
        return [tool, "-tf", str(archive)], [tool, "-xf", str(archive), "-C", str(dest)]
    return [tool, "l", "-ba", "-slt", str(archive)], [tool, "x", "-y", f"-o{dest}", str(archive)]


def _rar(archive: Path, dest: Path) -> None:
    tool = next((t for t in RAR_TOOLS if shutil.which(t)), None)
    if tool is None:
        raise ArchiveError(f"extracting {archive.name} needs a RAR extractor: install unrar "
                           "(apt install unrar / brew install rar), 7-Zip (apt install p7zip-full) or bsdtar "
                           "(apt install libarchive-tools), then run again")
    list_cmd, extract_cmd = _rar_commands(tool, archive, dest)
    listing = subprocess.run(list_cmd, capture_output=True, text=True)
    if listing.returncode:
        raise ArchiveError(f"archive {archive} is corrupt ({tool}: {listing.stderr.strip()[-200:]})")
    names = listing.stdout.splitlines()
    if tool.startswith("7z"):
        names = [n.removeprefix("Path = ") for n in names if n.startswith("Path = ")]
    for name in names:
        check_member(dest, name, archive)
    if subprocess.run(extract_cmd, capture_output=True).returncode:
        raise ArchiveError(f"archive {archive} could not be extracted with {tool}; it may be corrupt")


def archive_kind(path: Path) -> str:
    """'zip', 'tar' or 'rar', decided by the file's content (names from Drive are not reliable)."""
    with open(path, "rb") as f:
        head = f.read(8)
    if head.startswith(RAR_MAGIC):
        return "rar"
    if zipfile.is_zipfile(path) or head.startswith(b"PK"):
        return "zip"
    if tarfile.is_tarfile(path):
        return "tar"
    raise ArchiveError(f"{path} is not a zip, tar or rar archive (or is corrupt)")


def extract(archive: Path, dest: Path) -> Path:
    """Extract ``archive`` into ``dest`` (created); every member is checked before anything is written."""
    dest.mkdir(parents=True, exist_ok=True)
    {"zip": _zip, "tar": _tar, "rar": _rar}[archive_kind(archive)](archive, dest)
    return dest

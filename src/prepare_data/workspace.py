"""Where a dataset is prepared: downloads, extracted archives and the staged output, all resumable.

``<root>/<name>/.work/`` holds ``downloads/`` (complete files only, ``*.part`` while in flight), ``extracted/``
(one folder per archive, marked done when whole) and ``out/`` (the final layout, built with hard links).
Nothing appears in ``<root>/<name>/train`` until the whole dataset is built; then ``out/*`` is renamed into
place and ``.prepared.json`` marks the dataset finished. A dataset folder that holds anything else (files the
tool did not make) is refused before the first download, and nothing in it is ever deleted or replaced.
"""
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from ..data.video_files import list_videos
from ..utils import owned_files
from ..utils.atomic import atomic_path
from ..utils.folder_lock import LOCK_NAME
from .download import drive_download, http_download
from .extract import ArchiveError, extract

DONE_MARK = ".prepared.json"
SPLITS = ("train", "val", "test")
ALWAYS_OWN = (LOCK_NAME, owned_files.LEDGER)  # other entries are the tool's only if its ledger lists them


class PrepareError(ValueError):
    """A problem the user can fix (the message says how)."""


@dataclass(frozen=True)
class Source:
    """One archive of a dataset: an HTTP URL or a Google Drive id, stored under ``name``."""

    name: str
    url: str | None = None
    drive_id: str | None = None
    md5: str | None = None
    verify_tls: bool = True

    @classmethod
    def http(cls, url: str, **kw) -> "Source":
        return cls(Path(urlparse(url).path).name, url=url, **kw)

    @classmethod
    def drive(cls, file_id: str, name: str | None = None) -> "Source":
        return cls(name or f"{file_id}.zip", drive_id=file_id)


@dataclass
class Workspace:
    name: str
    root: Path
    source: Path | None = None  # --source: a folder of archives/extracted folders, or one archive
    mirror: str | None = None  # --mirror: base URL serving every archive by name (Drive files by id)
    started: float = field(default_factory=time.time)

    @property
    def folder(self) -> Path:
        return self.root / self.name

    @property
    def work(self) -> Path:
        return self.folder / ".work"

    @property
    def out(self) -> Path:
        return self.work / "out"

    def _archive(self, src: Source) -> Path | None:
        """The archive file of ``src``: the user's (--source), else downloaded; None if --source has it extracted."""
        if self.source is not None:
            if self.source.is_file():
                return self.source
            if (self.source / src.name).is_file():
                return self.source / src.name
            if (self.source / _stem(src.name)).is_dir():
                return None
            raise PrepareError(f"--source {self.source} has neither {src.name} nor its extracted folder "
                               f"{_stem(src.name)}/")
        target = self.work / "downloads" / src.name
        if src.drive_id:
            return drive_download(src.drive_id, target, self.mirror)
        url = f"{self.mirror.rstrip('/')}/{src.name}" if self.mirror else src.url
        return http_download(url, target, src.md5, src.verify_tls)

    def contents(self, src: Source) -> Path:
        """A folder with the archive's contents: the user's extracted folder, or the archive extracted once."""
        archive = self._archive(src)
        if archive is None:
            return self.source / _stem(src.name)
        return self.unpack(archive, downloaded=archive.is_relative_to(self.work))

    def foreign_entries(self) -> list[str]:
        """Names in the dataset folder that this tool did not make (a dataset of the user's, say)."""
        if not self.folder.is_dir():
            return []
        own = owned_files.owned(self.folder) | set(ALWAYS_OWN)
        return sorted(p.name for p in self.folder.iterdir() if p.name not in own)

    def release_if_unused(self) -> None:
        """After a failed run: drop the ledger if the folder holds nothing else of ours, so an empty dataset folder
        is not left behind (the lock removes the folder it made)."""
        if self.folder.is_dir() and not self.work.exists() and \
                set(os.listdir(self.folder)) <= {owned_files.LEDGER, LOCK_NAME}:
            (self.folder / owned_files.LEDGER).unlink(missing_ok=True)

    def claim_work(self) -> None:
        """Record the work folder as the tool's before it is made (it is deleted once the dataset is built)."""
        owned_files.record(self.folder, ".work")

    def unpack(self, archive: Path, downloaded: bool = False) -> Path:
        """Extract ``archive`` into ``extracted/<stem>`` unless this very file was extracted before (a replaced
        archive is extracted anew); a corrupt download is deleted, never one that the disk failed to take."""
        dest = self.work / "extracted" / _stem(archive.name)
        done = dest.with_name(dest.name + ".done")
        identity = _identity(archive)
        if done.exists() and done.read_text() == identity:
            return dest
        done.unlink(missing_ok=True)
        shutil.rmtree(dest, ignore_errors=True)
        try:
            extract(archive, dest)
        except ArchiveError as e:
            shutil.rmtree(dest, ignore_errors=True)
            _remove_empty_parents(dest.parent, self.folder.parent)
            if downloaded:
                archive.unlink(missing_ok=True)
                raise ArchiveError(f"{e}; deleted the download, run again to fetch it anew") from None
            raise
        except OSError:  # the disk or the system failed (no space, permissions): the archive is fine, keep it
            shutil.rmtree(dest, ignore_errors=True)
            raise
        with atomic_path(done) as tmp:
            tmp.write_text(identity)
        return dest

    def place(self, file: Path, relative: str | Path) -> Path:
        """Put ``file`` at ``out/<relative>`` (hard link, copy across devices); existing targets are kept."""
        target = self.out / relative
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(file, target)
            except OSError:
                shutil.copy2(file, target)
        return target

    def finished(self) -> dict | None:
        mark = self.folder / DONE_MARK
        if not mark.exists():
            return None
        try:
            summary = json.loads(mark.read_text())
        except (OSError, ValueError):
            summary = None
        if not isinstance(summary, dict) or type(summary.get("total")) is not int:
            raise PrepareError(f"{mark} is damaged (it records a finished dataset and its video counts); delete "
                               f"{self.folder} and run the same command again to prepare it anew")
        return summary

    def publish(self, extension: str) -> dict:
        """Rename the staged layout into the dataset folder, mark it finished, drop the work folder. Nothing in
        the dataset folder is replaced: an entry that appeared there meanwhile is an error."""
        if not self.out.is_dir() or not list_videos(self.out, extension):
            raise PrepareError(f"no *.{extension} videos were found in the sources of {self.name}")
        for entry in sorted(self.out.iterdir()):
            target = self.folder / entry.name
            if target.exists():
                _refuse_replacing(target)
            owned_files.record(self.folder, entry.name)
            os.rename(entry, target)
        owned_files.record(self.folder, DONE_MARK)
        summary = {split: count_files(self.folder / split, extension) for split in SPLITS
                   if (self.folder / split).is_dir()}
        summary["total"] = count_files(self.folder, extension)
        summary["seconds"] = round(time.time() - self.started, 1)
        with atomic_path(self.folder / DONE_MARK) as tmp:
            tmp.write_text(json.dumps(summary))
        shutil.rmtree(self.work, ignore_errors=True)
        return summary


def _refuse_replacing(target: Path) -> None:
    raise PrepareError(f"{target} appeared while the dataset was being prepared and is not the tool's; move it "
                       "away and run the same command again (the staged dataset in .work is kept)")


def _identity(archive: Path) -> str:
    """What tells a replaced archive from the one extracted before: its path, size and modification time."""
    st = archive.stat()
    return json.dumps({"archive": str(archive.resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns})


def _remove_empty_parents(folder: Path, stop: Path) -> None:
    """Remove ``folder`` and its parents below ``stop`` while they are empty (what a refused archive left)."""
    while folder != stop and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


def _stem(name: str) -> str:
    for suffix in (".tar.gz", ".tgz", ".tar", ".zip", ".rar"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def count_files(folder: Path, extension: str) -> int:
    return sum(1 for p in list_videos(folder, extension) if ".work" not in p.relative_to(folder).parts)

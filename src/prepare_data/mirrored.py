"""Datasets whose Google Drive mirror is already in train/val(/test) layout (docs/datasets.md)."""
from pathlib import Path

from .workspace import SPLITS, PrepareError, Source, Workspace

MIRRORS = {  # name: (Drive id, archive name, extension)
    "diving48": ("1685eDcMitF4-jNXAn7Y_rpYH_LHkdFk7", "diving48-256.zip", "mp4"),
    "egtea": ("1pYBAE0azrM7EqFtcm44MpyRalBAyyq44", "egtea-256.zip", "mp4"),
    "volleyball": ("1--7js69pPQ7jh7g3_dcI5aSfCbuuoeK9", "volleyball-512.zip", "mp4"),
}


def _layout_root(folder: Path) -> Path:
    """The folder holding ``train/``: the archive's top level or one folder below it."""
    for candidate in [folder, *sorted(p for p in folder.iterdir() if p.is_dir())]:
        if (candidate / "train").is_dir():
            return candidate
    raise PrepareError(f"{folder} has no train/ folder; is this the right archive?")


def prepare(ws: Workspace) -> None:
    file_id, archive, extension = MIRRORS[ws.name]
    root = _layout_root(ws.contents(Source.drive(file_id, archive)))
    for split in SPLITS:
        for f in sorted((root / split).rglob(f"*.{extension}")) if (root / split).is_dir() else []:
            ws.place(f, f.relative_to(root))

"""Finding videos on disk (docs/datasets.md): recursive by extension, sorted by path, class = parent folder."""
import difflib
import os
from pathlib import Path


class DatasetError(ValueError):
    """A dataset folder that cannot be used as it is (the message names the folder and the fix)."""


def list_videos(folder: Path, extension: str) -> list[Path]:
    """Every ``*.<extension>`` file below ``folder``, at any depth, sorted by full path string."""
    suffix = "." + extension.lstrip(".").lower()
    found = []
    for dirpath, _, names in os.walk(folder):
        found.extend(os.path.join(dirpath, n) for n in names if n.lower().endswith(suffix) and not n.startswith("."))
    return [Path(p) for p in sorted(found)]


def near_datasets(root: Path, name: str) -> tuple[list[str], list[str]]:
    """(dataset folders under ``root``, those whose names are close to ``name``): a typo's did-you-mean."""
    present = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")) \
        if root.is_dir() else []
    return present, difflib.get_close_matches(name, present, n=3)


def class_name(path: Path) -> str:
    return path.parent.name


def require_videos(folder: Path, extension: str, hint: str, extension_key: str = "DATA.EXTENSION") -> list[Path]:
    """The videos of ``folder``; DatasetError if the folder is missing or holds none."""
    if not folder.is_dir():
        raise DatasetError(f"dataset folder {folder} does not exist; {hint}")
    files = list_videos(folder, extension)
    if not files:
        raise DatasetError(f"no *.{extension} videos under {folder}; check {extension_key} or {hint}")
    return files


def labelled_split(root: Path, split: str, extension: str, classes: dict[str, int] | None = None,
                   hint: str = "", extension_key: str = "DATA.EXTENSION",
                   ) -> tuple[list[Path], list[int], dict[str, int]]:
    """Files, class indices and the class dictionary of ``root/split``.

    Without ``classes`` the dictionary is built from these files (sorted names → 0..C−1); with it (validation),
    a class missing from the dictionary is an error.
    """
    files = require_videos(root / split, extension, hint, extension_key)
    if classes is None:
        classes = {name: i for i, name in enumerate(sorted({class_name(f) for f in files}))}
    unknown = sorted({class_name(f) for f in files} - set(classes))
    if unknown:
        raise DatasetError(f"{root / split} has classes absent from training: {', '.join(unknown[:5])}; "
                           "every validation class needs training videos")
    return files, [classes[class_name(f)] for f in files], classes

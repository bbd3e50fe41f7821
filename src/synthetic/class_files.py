"""Class parameter files: plain arrays in an .npz, written atomically and read without pickle."""
from pathlib import Path
from typing import Callable

import numpy as np

from ..utils.atomic import atomic_path


class ClassFileError(ValueError):
    """A class parameter file that cannot be used."""


def find_class_files(folder: Path) -> list[Path]:
    """Class files (*.npz) anywhere below ``folder``, sorted; a class is named by its file's stem, so two files of
    one name in different subfolders are a ClassFileError (they would silently become one class)."""
    files = sorted(folder.rglob("*.npz"))
    seen: dict[str, Path] = {}
    for f in files:
        if f.stem in seen:
            raise ClassFileError(f"class files {seen[f.stem]} and {f} share the name {f.stem!r}, so they would be "
                                 "one class; rename or remove one")
        seen[f.stem] = f
    return files


def save_class(path: Path, params: dict, before_rename: Callable[[Path], None] | None = None) -> None:
    """Write a class file atomically."""
    with atomic_path(path, before_rename) as tmp:
        np.savez(tmp, **params)


def load_class(path: Path, keys: tuple[str, ...]) -> dict:
    """Load a class file as plain arrays (never pickle); raises ClassFileError naming the file."""
    try:
        with np.load(path, allow_pickle=False) as data:
            params = {k: data[k] for k in data.files}
    except Exception as e:
        raise ClassFileError(f"class file {path} is not a readable parameter file ({type(e).__name__}); "
                             "regenerate it with --gen_param") from None
    require(path, params, keys)
    return params


def require(path: Path, params: dict, keys: tuple[str, ...]) -> None:
    """Raise ClassFileError if ``params`` (loaded from ``path``) lacks any of ``keys``."""
    missing = [k for k in keys if k not in params]
    if missing:
        raise ClassFileError(f"class file {path} lacks {', '.join(missing)}; it was not made by --gen_param "
                             "for this --type")

"""Class parameter files: plain arrays in an .npz, written atomically and read without pickle."""
from pathlib import Path

import numpy as np

from ..utils.atomic import atomic_path


class ClassFileError(ValueError):
    """A class parameter file that cannot be used."""


def save_class(path: Path, params: dict) -> None:
    """Write a class file atomically."""
    with atomic_path(path) as tmp:
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

"""Contact sheet of generated outputs: one row per video (or image set), evenly spaced frames as columns, each
row labelled with its file and each column with its frame."""
from pathlib import Path

import cv2
import numpy as np

from ..utils.atomic import atomic_path
from ..utils.picture import labelled_grid
from .video_writer import read_video

TILE = 128


def _frames(files: list[Path]) -> np.ndarray:
    if len(files) == 1 and files[0].suffix == ".mp4":
        return read_video(files[0])
    return np.stack([cv2.cvtColor(cv2.imread(str(f)), cv2.COLOR_BGR2RGB) for f in files])


def write_contact_sheet(rows: list[list[Path]], out: Path, n_cols: int = 8) -> Path:
    """``rows``: per row either one video file or a list of image files; writes a PNG at ``out``."""
    tiles, labels, columns = [], [], []
    for files in rows:
        frames = _frames(files)
        if not len(frames):
            continue
        idx = np.linspace(0, len(frames) - 1, min(n_cols, len(frames))).round().astype(int)
        tiles.append([cv2.resize(frames[i], (TILE, TILE), interpolation=cv2.INTER_AREA) for i in idx])
        name = files[0].relative_to(out.parent).as_posix()
        labels.append(name if len(files) == 1 else name.rsplit("-", 1)[0] + "-*.jpg")
        if len(idx) > len(columns):
            columns = [("image " if len(files) > 1 else "frame ") + str(i) for i in idx]
    if not tiles:
        raise ValueError("nothing to preview")
    with atomic_path(out) as tmp:
        cv2.imwrite(str(tmp), cv2.cvtColor(labelled_grid(tiles, labels, columns, gap=2), cv2.COLOR_RGB2BGR))
    return out

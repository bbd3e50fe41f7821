"""Contact sheet of generated outputs: one row per video (or image set), evenly spaced frames as columns."""
from pathlib import Path

import cv2
import numpy as np

from ..utils.atomic import atomic_path
from .video_writer import read_video

TILE = 96


def _row(frames: np.ndarray, n_cols: int) -> np.ndarray:
    idx = np.linspace(0, len(frames) - 1, n_cols).round().astype(int)
    tiles = [cv2.resize(frames[i], (TILE, TILE), interpolation=cv2.INTER_AREA) for i in idx]
    return np.concatenate(tiles, axis=1)


def write_contact_sheet(rows: list[list[Path]], out: Path, n_cols: int = 8) -> Path:
    """``rows``: per row either one video file or a list of image files; writes a PNG at ``out``."""
    sheet = []
    for files in rows:
        if len(files) == 1 and files[0].suffix == ".mp4":
            frames = read_video(files[0])
        else:
            frames = np.stack([cv2.cvtColor(cv2.imread(str(f)), cv2.COLOR_BGR2RGB) for f in files])
        if len(frames):
            sheet.append(_row(frames, min(n_cols, len(frames))))
    if not sheet:
        raise ValueError("nothing to preview")
    width = max(r.shape[1] for r in sheet)
    sheet = [np.pad(r, ((0, 2), (0, width - r.shape[1]), (0, 0))) for r in sheet]
    with atomic_path(out) as tmp:
        cv2.imwrite(str(tmp), cv2.cvtColor(np.concatenate(sheet), cv2.COLOR_RGB2BGR))
    return out

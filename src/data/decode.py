"""Decoding video files (avi: Xvid/DivX, mp4: H.264/HEVC; gray or colour) to RGB uint8 frames with OpenCV."""
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np


class DecodeError(Exception):
    """A video that cannot be opened or holds fewer frames than asked for."""


def _open(path: Path) -> cv2.VideoCapture:
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG, [cv2.CAP_PROP_N_THREADS, 1])
    if not cap.isOpened():
        raise DecodeError(f"cannot open {path}")
    return cap


def count_frames(path: Path) -> int:
    """Exact number of decodable frames (the container's count can be wrong for avi files)."""
    cap = _open(path)
    n = 0
    while cap.grab():
        n += 1
    cap.release()
    if n == 0:
        raise DecodeError(f"no decodable frame in {path}")
    return n


def read_frames(path: Path, indices: Sequence[int]) -> np.ndarray:
    """Frames at ``indices`` (any order, repeats allowed) as [len(indices), H, W, 3] RGB uint8.

    Decodes sequentially up to the last index, converting only the frames asked for: exact with every codec,
    unlike seeking. Gray videos come back with three identical channels.
    """
    wanted = set(indices)
    last = max(wanted)
    cap = _open(path)
    frames: dict[int, np.ndarray] = {}
    try:
        for i in range(last + 1):
            if not cap.grab():
                raise DecodeError(f"{path} ends at frame {i}, frame {last} was asked for")
            if i in wanted:
                ok, frame = cap.retrieve()
                if not ok:
                    raise DecodeError(f"cannot decode frame {i} of {path}")
                frames[i] = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
    finally:
        cap.release()
    return np.stack([frames[i] for i in indices])

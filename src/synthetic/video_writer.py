"""Write frames to video or image files, atomically (temp name in the target folder, then rename)."""
import errno
import os
import shutil
import subprocess
from pathlib import Path
from typing import Callable

import cv2
import ffmpeg
import imageio_ffmpeg
import numpy as np

from ..utils.atomic import atomic_path

CRF = 24


def to_uint8(frames: np.ndarray) -> np.ndarray:
    """Float frames in [0, 1] are scaled by 255 and truncated; uint8 frames pass through (no in-place change)."""
    if frames.dtype == np.uint8:
        return frames
    return (np.clip(frames, 0, 1) * 255).astype(np.uint8)


def ffmpeg_command(path: Path, width: int, height: int, colour: bool, fps: int, codec: str,
                   preset: str = "medium") -> list[str]:
    """ffmpeg arguments: raw frames on stdin (gray or rgb24) → yuv420p video at CRF 24, one encoder thread."""
    params = {"pix_fmt": "yuv420p", "crf": CRF, "preset": preset, "threads": 1}
    if codec == "libx265":
        params["x265-params"] = "log-level=error:pools=none:frame-threads=1"
    stream = ffmpeg.input("pipe:", format="rawvideo", pix_fmt="rgb24" if colour else "gray",
                          s=f"{width}x{height}", r=fps)
    stream = ffmpeg.output(stream, str(path), vcodec=codec, format="mp4", **params).global_args("-loglevel", "error")
    return ffmpeg.compile(stream, cmd=imageio_ffmpeg.get_ffmpeg_exe(), overwrite_output=True)


def ffmpeg_failure(path: Path, stderr: bytes) -> OSError:
    """ffmpeg's error as an OSError on ``path``, with the system's errno when ffmpeg reports one (no space...)."""
    message = " ".join(stderr.decode(errors="replace").split()) or "ffmpeg exited with an error"
    code = next((c for c in errno.errorcode if os.strerror(c) in message), errno.EIO)
    return OSError(code, f"ffmpeg could not write the video ({message[-300:]})", str(path))


def write_video(path: Path, frames: np.ndarray, fps: int, lib: str = "ffmpeg", codec: str = "libx264",
                preset: str = "medium", before_rename: Callable[[Path], None] | None = None) -> None:
    """Write [F, H, W] (gray) or [F, H, W, 3] (RGB) frames as a video file at ``path``."""
    frames = to_uint8(frames)
    n_frames, height, width = frames.shape[:3]
    colour = frames.ndim == 4
    with atomic_path(path, before_rename) as tmp:
        if lib == "ffmpeg":
            if height % 2 or width % 2:
                raise ValueError(f"ffmpeg needs even frame sizes, got {width}x{height}")
            cmd = ffmpeg_command(tmp, width, height, colour, fps, codec, preset)
            done = subprocess.run(cmd, input=np.ascontiguousarray(frames).tobytes(), capture_output=True)
            if done.returncode:
                raise ffmpeg_failure(path, done.stderr)
        else:
            writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height), colour)
            for frame in frames:
                writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR) if colour else frame)
            writer.release()
            check_written(tmp, path, n_frames)  # OpenCV reports no write error (a full disk gives 0 frames)


def check_written(tmp: Path, path: Path, n_frames: int) -> None:
    """OSError on ``path`` unless ``tmp`` decodes to ``n_frames`` frames (ENOSPC when the disk is full)."""
    cap = cv2.VideoCapture(str(tmp))
    got = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) if cap.isOpened() else 0
    cap.release()
    if got != n_frames:
        full = shutil.disk_usage(tmp.parent).free < (1 << 20)
        code = errno.ENOSPC if full else errno.EIO
        raise OSError(code, f"OpenCV wrote {got} of {n_frames} frames" + (" (no space left on device)" if full else ""),
                      str(path))


def write_image(path: Path, image: np.ndarray, before_rename: Callable[[Path], None] | None = None) -> None:
    """8-bit grayscale JPEG."""
    with atomic_path(path, before_rename) as tmp:
        if not cv2.imwrite(str(tmp), to_uint8(image), [cv2.IMWRITE_JPEG_QUALITY, 95]):
            raise OSError(errno.EIO, "OpenCV could not write the image", str(path))


def read_video(path: Path) -> np.ndarray:
    """All frames of a video as [F, H, W, 3] RGB uint8 (for checks and previews)."""
    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    cap.release()
    return np.stack(frames) if frames else np.zeros((0, 0, 0, 3), np.uint8)

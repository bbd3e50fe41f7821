"""Small test videos written with ffmpeg in the formats real datasets use; frame i has brightness 8·i + 16."""
import subprocess
from pathlib import Path

import ffmpeg
import imageio_ffmpeg
import numpy as np

FORMATS = {  # name: (extension, ffmpeg output options)
    "xvid": ("avi", {"vcodec": "mpeg4", "vtag": "XVID", "q:v": 2}),
    "divx": ("avi", {"vcodec": "mpeg4", "vtag": "DIVX", "q:v": 2}),
    "h264": ("mp4", {"vcodec": "libx264", "crf": 10, "preset": "ultrafast", "pix_fmt": "yuv420p"}),
    "hevc": ("mp4", {"vcodec": "libx265", "crf": 10, "preset": "ultrafast", "pix_fmt": "yuv420p",
                     "x265-params": "log-level=error"}),
}


def ramp_frames(n_frames: int, height: int = 48, width: int = 64, gray: bool = False) -> np.ndarray:
    """Frames whose brightness tells their index: frame i is 8·i + 16 everywhere (i < 30)."""
    values = (16 + 8 * np.arange(n_frames)).astype(np.uint8)
    frames = np.broadcast_to(values[:, None, None], (n_frames, height, width))
    return np.ascontiguousarray(frames if gray else np.stack([frames] * 3, axis=-1))


def write(path: Path, frames: np.ndarray, fmt: str = "h264", fps: int = 12) -> Path:
    """Encode ``frames`` ([F, H, W] gray or [F, H, W, 3] RGB uint8) at ``path`` in one of FORMATS."""
    path.parent.mkdir(parents=True, exist_ok=True)
    height, width = frames.shape[1:3]
    stream = ffmpeg.input("pipe:", format="rawvideo", pix_fmt="gray" if frames.ndim == 3 else "rgb24",
                          s=f"{width}x{height}", r=fps)
    cmd = ffmpeg.compile(ffmpeg.output(stream, str(path), **FORMATS[fmt][1]), cmd=imageio_ffmpeg.get_ffmpeg_exe(),
                         overwrite_output=True)
    subprocess.run(cmd, input=frames.tobytes(), check=True, capture_output=True)
    return path


def frame_index(frames: np.ndarray) -> np.ndarray:
    """Recover each decoded frame's index from its mean brightness."""
    return np.round((frames.reshape(len(frames), -1).mean(axis=1) - 16) / 8).astype(int)

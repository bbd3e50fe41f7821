"""A tiny 3-class video dataset and runners for the training scripts."""
import subprocess
import sys
from pathlib import Path

import numpy as np

from generate_helpers import ROOT
from video_fixtures import write

TINY_CLIPS = ["DATA.EXTENSION", "mp4", "DATA.IMG_SIZE", "32", "DATA.CLIP_LENGTH", "4", "DATA.STRIDE", "2",
              "DATA.BATCH_SIZE", "8", "DATA.TORCH_N_WORKERS", "0"]
TINY = [*TINY_CLIPS, "MODEL.TSM_BASE", "resnet18"]  # MODEL.TSM_BASE is refused for other MODEL.ARCH: use TINY_CLIPS


def make_dataset(root: Path, n_train: int = 8, n_val: int = 3) -> Path:
    """``root/toy/{train,val}/c0..c2``: bright, dark and striped 12-frame 32 px videos."""
    rng = np.random.default_rng(0)
    for split, n in (("train", n_train), ("val", n_val)):
        for c in range(3):
            for i in range(n):
                frames = np.zeros((12, 32, 32, 3), np.uint8)
                if c == 0:
                    frames[:] = 200 + rng.integers(0, 40)
                elif c == 1:
                    frames[:] = 30 + rng.integers(0, 40)
                else:
                    frames[:, :, ::4] = 255
                write(root / "toy" / split / f"c{c}" / f"{i}.mp4", frames, "h264")
    return root


def run_script(script: str, *opts, env=None, prefix=(), args=()) -> subprocess.CompletedProcess:
    cmd = [sys.executable, *prefix, str(ROOT / script), *args, "--opts", *map(str, opts)]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env)

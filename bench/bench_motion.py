"""How abruptly videos move: per video, on the gray channel,
diff = mean |frame t+1 − frame t| / mean intensity, jump share = share of consecutive frame pairs whose lit
masks (value > 20) overlap with IoU < 0.5, lit fraction = share of pixels > 10; printed as means over the videos.

python -m bench.bench_motion DIR [--limit 300]      # any folder of mp4 files, e.g. generate_synthetic.py output

Reference, default settings, mp4 decoded: the original generator's fractals have diff 0.53, jump share 0.24
(20 % of videos above 0.5) and lit fraction 0.24.
"""
import argparse
from pathlib import Path

import numpy as np

from src.data.decode import read_frames, count_frames

LIT_JUMP, LIT_FRACTION, IOU_JUMP = 20, 10, 0.5


def video_statistics(frames: np.ndarray) -> tuple[float, float, float]:
    """(diff, jump share, lit fraction) of gray frames [F, H, W] uint8."""
    f = frames.astype(np.float32)
    diff = np.abs(np.diff(f, axis=0)).mean() / max(f.mean(), 1e-6)
    lit = frames > LIT_JUMP
    inter = (lit[1:] & lit[:-1]).sum((1, 2))
    union = (lit[1:] | lit[:-1]).sum((1, 2))
    iou = np.where(union > 0, inter / np.maximum(union, 1), 1.0)
    return float(diff), float((iou < IOU_JUMP).mean()), float((frames > LIT_FRACTION).mean())


def folder_statistics(folder: Path, limit: int) -> dict[str, float]:
    videos = sorted(folder.rglob("*.mp4"))[:limit]
    stats = np.array([video_statistics(read_frames(v, range(count_frames(v)))[..., 0]) for v in videos])
    return {"videos": len(videos), "diff": stats[:, 0].mean(), "jump share": stats[:, 1].mean(),
            "videos with jump share > 0.5": (stats[:, 1] > 0.5).mean(), "lit fraction": stats[:, 2].mean()}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("dir", type=Path)
    p.add_argument("--limit", type=int, default=300)
    a = p.parse_args()
    s = folder_statistics(a.dir, a.limit)
    print(f"{a.dir}: {s['videos']} videos, diff {s['diff']:.2f}, jump share {s['jump share']:.2f} "
          f"({s['videos with jump share > 0.5']:.0%} of videos above 0.5), lit fraction {s['lit fraction']:.2f}")


if __name__ == "__main__":
    main()

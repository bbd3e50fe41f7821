"""How abruptly videos move: per video, on the gray channel,
diff = mean |frame t+1 − frame t| / mean intensity, jump share = share of consecutive frame pairs whose lit
masks (value > 20) overlap with IoU < 0.5, lit fraction = share of pixels > 10; printed as means over the videos.

python -m bench.bench_motion DIR [--limit 300]      # any folder of mp4 files, e.g. generate_synthetic.py output

Means come with their standard error (per-video jump shares spread widely, sd ≈ 0.31, so a 150-video mean is
only good to ±0.025). Unlabelled fractal files (``<step>-<variation>.mp4``) are also broken down by variation.

Reference, default settings, mp4 decoded: the original generator's fractals have a jump share of 0.292 ± 0.006
(2434 videos; 26 % of videos above 0.5), diff 0.577 (median 0.551) and lit fraction 0.21.
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


def summary(stats: np.ndarray) -> dict[str, float]:
    """Means over videos of per-video (diff, jump share, lit fraction) rows, with standard errors."""
    n = len(stats)
    sem = stats.std(axis=0, ddof=1) / np.sqrt(n) if n > 1 else np.full(3, np.nan)
    return {"videos": n, "diff": stats[:, 0].mean(), "diff sem": sem[0], "jump share": stats[:, 1].mean(),
            "jump share sem": sem[1], "videos with jump share > 0.5": (stats[:, 1] > 0.5).mean(),
            "lit fraction": stats[:, 2].mean()}


def variation_of(video: Path) -> int | None:
    """The variation id in an unlabelled fractal file name ``<step>-<variation>.mp4``, else None."""
    parts = video.stem.split("-")
    return int(parts[1]) if len(parts) == 2 and all(p.isdigit() for p in parts) else None


def folder_statistics(folder: Path, limit: int) -> dict:
    """Summary of the first ``limit`` videos under ``folder``, and one per variation where names carry it."""
    videos = sorted(folder.rglob("*.mp4"))[:limit]
    stats = np.array([video_statistics(read_frames(v, range(count_frames(v)))[..., 0]) for v in videos])
    tags = np.array([variation_of(v) for v in videos], dtype=object)
    by_variation = {int(v): summary(stats[tags == v]) for v in sorted(set(tags) - {None})}
    return summary(stats) | {"by variation": by_variation}


def describe(s: dict) -> str:
    def spread(key: str) -> str:  # one video has no standard error
        return "" if s["videos"] < 2 else f" ± {s[key + ' sem']:.2f}"
    return (f"{s['videos']} video{'s' if s['videos'] != 1 else ''}, diff {s['diff']:.2f}{spread('diff')}, jump share "
            f"{s['jump share']:.2f}{spread('jump share')} ({s['videos with jump share > 0.5']:.0%} of videos above "
            f"0.5), lit fraction {s['lit fraction']:.2f}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].replace("\n", " "))
    p.add_argument("dir", type=Path)
    p.add_argument("--limit", type=int, default=300)
    a = p.parse_args()
    s = folder_statistics(a.dir, a.limit)
    print(f"{a.dir}: {describe(s)}")
    for variation, v in s["by variation"].items():
        print(f"  variation {variation:2d}: {describe(v)}")


if __name__ == "__main__":
    main()

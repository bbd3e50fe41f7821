"""What each generator draws, as numbers a reader can check: a change that alters a generator's output shows up
here. Per type, over its videos (means ± standard errors): motion (diff and jump share, as bench_motion measures
them), how much of the frame is lit (gray) or coloured (RGB), and for perlin how often the noise crosses mid-gray
along rows and columns against the class's (f_h, f_w) cells.

python -m bench.bench_statistics [--videos 200] [--types fractal perlin octopus dead_leaves] [--res 256]
                                 [--workers 2] [--dir DIR]

Videos are generated with generate_synthetic.py at default settings (perlin: --res 240, its default size) into
DIR/<type> (a temporary folder without --dir; an existing DIR/<type> is measured as it is).
"""
import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from bench.bench_motion import LIT_FRACTION, video_statistics
from src.data.decode import count_frames, read_frames

ROOT = Path(__file__).resolve().parents[1]
TYPES = ("fractal", "perlin", "octopus", "dead_leaves")


def crossings(frames: np.ndarray) -> tuple[float, float]:
    """How often the noise crosses its middle (gray 127.5) per line, down the rows and along the columns of gray
    frames [F, H, W]: gradient noise is zero at its lattice points, so this counts about one crossing per cell
    (at most one per two pixels)."""
    sign = np.sign(frames.astype(np.float32) - 127.5)
    down = (sign[:, 1:, :] != sign[:, :-1, :]).sum(axis=1).mean()
    across = (sign[:, :, 1:] != sign[:, :, :-1]).sum(axis=2).mean()
    return float(down), float(across)


def mean_sem(values) -> str:
    v = np.asarray(values, np.float64)
    sem = v.std(ddof=1) / np.sqrt(len(v)) if len(v) > 1 else float("nan")
    return f"{v.mean():.3f} ± {sem:.3f}"


def measure(folder: Path, kind: str, limit: int) -> list[str]:
    """Lines of figures for the videos under ``folder``."""
    videos = sorted(folder.rglob("*.mp4"))[:limit]
    motion, covered, cells = [], [], {}
    for path in videos:
        rgb = read_frames(path, range(count_frames(path)))  # [F, H, W, 3]
        gray = rgb.mean(axis=3).astype(np.uint8) if kind in ("octopus", "dead_leaves") else rgb[..., 0]
        motion.append(video_statistics(gray)[:2])
        covered.append(float((rgb.max(axis=3) > LIT_FRACTION).mean()))
        if kind == "perlin":
            cells.setdefault(path.parent.name, []).append(crossings(gray))
    motion = np.array(motion)
    what = "coloured fraction" if kind in ("octopus", "dead_leaves") else "lit fraction"
    lines = [f"{kind:<12} {len(videos)} videos: diff {mean_sem(motion[:, 0])}, jump share {mean_sem(motion[:, 1])}, "
             f"{what} {mean_sem(covered)}"]
    if cells:
        lines.append(f"{'':<12} perlin: mid-gray crossings per line / the class's cells (down rows, along columns):")
        ratios = []
        for label in sorted(cells, key=lambda s: tuple(map(int, s.split("-")))):
            f_h, f_w = map(int, label.split("-")[:2])
            got = np.array(cells[label]).mean(axis=0)
            ratios += [got[0] / f_h, got[1] / f_w]
            lines.append(f"{'':<14} {label:<10} {got[0]:6.1f} / {f_h:<4} {got[1]:6.1f} / {f_w:<4} "
                         f"({len(cells[label])} videos)")
        low, high = np.percentile(ratios, [10, 90])
        lines.append(f"{'':<12} crossings per cell over {len(cells)} classes: median {np.median(ratios):.2f} "
                     f"(10-90 %: {low:.2f}-{high:.2f}; a cell of one pixel allows at most 0.5)")
    return lines


def generate(kind: str, folder: Path, n: int, res: int | None, workers: int) -> None:
    size = ["--res", str(res)] if res and kind != "perlin" else []
    subprocess.run([sys.executable, str(ROOT / "generate_synthetic.py"), "--type", kind, "--samples", str(n),
                    "--dir_out", str(folder), "--workers", str(workers), *size], check=True, capture_output=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].replace("\n", " "))
    p.add_argument("--videos", type=int, default=200)
    p.add_argument("--types", nargs="+", choices=TYPES, default=list(TYPES))
    p.add_argument("--res", type=int, help="frame side of the non-perlin types (default: the generator's 256)")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--dir", type=Path)
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = a.dir or Path(tmp)
        for kind in a.types:
            folder = base / kind
            if not folder.is_dir():
                generate(kind, folder, a.videos, a.res, a.workers)
            print("\n".join(measure(folder, kind, a.videos)), flush=True)


if __name__ == "__main__":
    main()

"""What each generator draws, as numbers a reader can check: a change that alters a generator's output shows up
here. Per type, over its videos (means ± standard errors): motion (diff and jump share, as bench_motion measures
them), how much of the frame is lit (gray) or coloured (RGB), and for perlin how often the noise crosses mid-gray
along rows and columns against the class's (f_h, f_w) cells.

python -m bench.bench_statistics [--videos 200] [--types fractal perlin octopus dead_leaves] [--res 256]
                                 [--workers 2] [--dir DIR] [--rendered]

Videos are generated with generate_synthetic.py at default settings (perlin: --res 240, its default size) into
DIR/<type> (a temporary folder without --dir; an existing DIR/<type> is measured as it is). --rendered measures
as many videos of each type rendered as DATA.SOURCE TYPE renders them while training, at the same settings, as
they are and after the file generator's writer (x264, whose artefacts light a few more pixels).
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


def figures(videos, kind: str) -> dict:
    """Per video: (diff, jump share), the lit or coloured fraction and, for perlin, the mid-gray crossings by
    class; ``videos`` yields (RGB frames [F, H, W, 3] uint8, class label)."""
    motion, covered, cells = [], [], {}
    for rgb, label in videos:
        gray = rgb.mean(axis=3).astype(np.uint8) if kind in ("octopus", "dead_leaves") else rgb[..., 0]
        motion.append(video_statistics(gray)[:2])
        covered.append(float((rgb.max(axis=3) > LIT_FRACTION).mean()))
        if kind == "perlin":
            cells.setdefault(label, []).append(crossings(gray))
    return {"motion": np.array(motion), "covered": np.array(covered), "cells": cells}


def file_videos(folder: Path, limit: int):
    for path in sorted(folder.rglob("*.mp4"))[:limit]:
        yield read_frames(path, range(count_frames(path))), path.parent.name


def rendered_videos(kind: str, n: int, res: int | None):
    """Whole videos of DATA.SOURCE ``kind`` as training renders them, at the file generator's settings: fresh
    samples as generate_synthetic.py draws them without --dir_in (perlin: its classes round robin)."""
    from src.data.families import SOURCES
    from src.synthetic.generator import Settings
    source = SOURCES[kind]
    classes, names = source.own_classes() if kind == "perlin" else (None, {})
    source = source(n, Settings(res=res or (240 if kind == "perlin" else 256)), classes, seed=0)
    labels = {i: name for name, i in names.items()}
    for i in range(n):
        rng = np.random.default_rng(np.random.SeedSequence(0, spawn_key=(i,)))
        frames = source.frames(i, lambda count: np.arange(count), rng)
        yield frames.permute(1, 2, 3, 0).numpy(), labels.get(source.labels[i], "")


def through_the_writer(videos, folder: Path):
    """``videos`` written as generate_synthetic.py writes them (x264 mp4) and read back: what its files add."""
    from src.synthetic.video_writer import write_video
    folder.mkdir(parents=True, exist_ok=True)
    for k, (rgb, label) in enumerate(videos):
        path = folder / f"{k}.mp4"
        gray = (rgb[..., 0] == rgb[..., 1]).all() and (rgb[..., 1] == rgb[..., 2]).all()
        write_video(path, rgb[..., 0] if gray else rgb, 12)
        yield read_frames(path, range(count_frames(path))), label


def report(found: dict, kind: str, what_videos: str) -> list[str]:
    motion, covered, cells = found["motion"], found["covered"], found["cells"]
    what = "coloured fraction" if kind in ("octopus", "dead_leaves") else "lit fraction"
    lines = [f"{kind:<12} {len(covered)} {what_videos}: diff {mean_sem(motion[:, 0])}, jump share "
             f"{mean_sem(motion[:, 1])}, {what} {mean_sem(covered)}"]
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
    p.add_argument("--rendered", action="store_true",
                   help="also measure as many videos rendered the way training renders them (DATA.SOURCE TYPE)")
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = a.dir or Path(tmp)
        for kind in a.types:
            folder = base / kind
            if not folder.is_dir():
                generate(kind, folder, a.videos, a.res, a.workers)
            print("\n".join(report(figures(file_videos(folder, a.videos), kind), kind, "videos")), flush=True)
            if a.rendered:
                found = figures(rendered_videos(kind, a.videos, a.res), kind)
                print("\n".join(report(found, kind, "rendered")), flush=True)
                written = through_the_writer(rendered_videos(kind, a.videos, a.res), Path(tmp) / f"{kind}-rendered")
                print("\n".join(report(figures(written, kind), kind, "rendered, then written as files")),
                      flush=True)


if __name__ == "__main__":
    main()

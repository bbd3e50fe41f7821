"""Generation speed of every --type: per stage on one core, and end to end through the CLI with --workers.

python -m bench.bench_generate [--types fractal perlin octopus dead_leaves] [--videos 40] [--workers 2]
                               [--codec libx264] [--preset medium]
"""
import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

from src.synthetic.args import TYPES, build_parser, validate
from src.synthetic.generator import Degenerate, Settings
from src.synthetic.registry import get_generator
from src.synthetic.video_writer import write_video


def _cli(kind: str, *extra: str) -> list[str]:
    return [sys.executable, str(ROOT / "generate_synthetic.py"), "--type", kind, *extra]


def stages(kind: str, n: int, codec: str, preset: str) -> None:
    """Sampling + rendering, then encoding, timed separately in this process."""
    with tempfile.TemporaryDirectory() as tmp:
        args = validate(build_parser().parse_args(["--type", kind, "--samples", "1", "--dir_out", tmp]))
        settings, gen = Settings.from_args(args), get_generator(kind)
        labels = gen.fixed_classes()
        draw = (lambda r: gen.class_params(labels[r.integers(len(labels))])) if labels else (lambda r: None)
        rng = np.random.default_rng(0)
        gen.render(settings, rng, draw(rng))  # load the compiled kernels
        t_render = t_encode = 0.0
        done = 0
        for i in range(n):
            rng = np.random.default_rng(i)
            t0 = time.perf_counter()
            try:
                frames = gen.render(settings, rng, draw(rng)).frames
            except Degenerate:
                continue
            t1 = time.perf_counter()
            write_video(Path(tmp) / f"{i}.mp4", frames, 12, codec=codec, preset=preset)
            t_render, t_encode, done = t_render + t1 - t0, t_encode + time.perf_counter() - t1, done + 1
    for name, t in (("sample + render", t_render), (f"encode {codec} {preset}", t_encode),
                    ("total", t_render + t_encode)):
        print(f"{kind:<12} one core  {name:<24} {1000 * t / done:7.1f} ms/video  {done / t:7.1f} videos/s")


def end_to_end(kind: str, n: int, workers: int, codec: str, preset: str) -> None:
    """Wall time of the command a user runs, and of start-up plus one video."""
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        subprocess.run(_cli(kind, "--samples", "1", "--dir_out", f"{tmp}/warm", "--workers", "1"),
                       check=True, capture_output=True)
        start_up = time.perf_counter() - t0
        t0 = time.perf_counter()
        subprocess.run(_cli(kind, "--samples", str(n), "--dir_out", f"{tmp}/run", "--workers", str(workers),
                            "--codec", codec, "--preset", preset), check=True, capture_output=True)
        dt = time.perf_counter() - t0
    print(f"{kind:<12} CLI, start-up + 1 video {start_up:5.2f} s")
    print(f"{kind:<12} CLI end to end, {workers} workers, {codec} {preset}: {n / dt:5.1f} videos/s "
          f"({1000 * dt / n:.0f} ms/video; {n} videos in {dt:.1f} s)")


def main() -> None:
    p = argparse.ArgumentParser(description="Generation speed per stage (one core) and through the CLI.")
    p.add_argument("--types", nargs="+", choices=TYPES, default=list(TYPES), help="generator types to time")
    p.add_argument("--videos", type=int, default=40, help="videos per type end to end (half as many per stage)")
    p.add_argument("--workers", type=int, default=2, help="worker processes of the CLI run")
    p.add_argument("--codec", default="libx264", help="encoder, as generate_synthetic.py's --codec (its default)")
    p.add_argument("--preset", default="medium", help="encoder preset")
    a = p.parse_args()
    print("device: cpu (numba chaos game; numpy noise; OpenCV drawing; ffmpeg encoding)")
    for kind in a.types:
        stages(kind, a.videos // 2, a.codec, a.preset)
        end_to_end(kind, a.videos, a.workers, a.codec, a.preset)


if __name__ == "__main__":
    main()

"""Fractal generation speed: per stage on one core, and end to end through the CLI with --workers.

python bench/bench_generate.py [--videos 40] [--workers 2] [--codec libx265] [--preset medium]
"""
import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from src.synthetic.fractal import Degenerate, RenderSettings, render_fractal  # noqa: E402
from src.synthetic.fractal_params import sample_video_params, video_weights  # noqa: E402
from src.synthetic.video_writer import write_video  # noqa: E402


def stages(n: int, codec: str, preset: str) -> None:
    cfg = RenderSettings()
    render_fractal(video_weights(sample_video_params(np.random.default_rng(0), [4])), 4, cfg,
                   np.random.default_rng(0))  # load the compiled kernels
    t_sample = t_render = t_encode = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(n):
            rng = np.random.default_rng(i)
            t0 = time.perf_counter()
            params = sample_video_params(rng, [-1])
            weights = video_weights(params)
            t1 = time.perf_counter()
            try:
                frames = render_fractal(weights, int(params["var"]), cfg, rng)
            except Degenerate:
                continue
            t2 = time.perf_counter()
            write_video(Path(tmp) / f"{i}.mp4", frames, 12, codec=codec, preset=preset)
            t3 = time.perf_counter()
            t_sample, t_render, t_encode = t_sample + t1 - t0, t_render + t2 - t1, t_encode + t3 - t2
    for name, t in (("sampling", t_sample), ("render", t_render), (f"encode {codec} {preset}", t_encode)):
        print(f"one core  {name:<24} {1000 * t / n:7.1f} ms/video  {n / t:7.1f} videos/s")
    total = t_sample + t_render + t_encode
    print(f"one core  {'total':<24} {1000 * total / n:7.1f} ms/video  {n / total:7.1f} videos/s")


def end_to_end(n: int, workers: int, codec: str, preset: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, str(ROOT / "generate_synthetic.py"), "--type", "fractal", "--samples", "1",
                        "--dir_out", f"{tmp}/warm", "--workers", "1"], check=True, capture_output=True)
        start_up = time.perf_counter() - t0
        t0 = time.perf_counter()
        subprocess.run([sys.executable, str(ROOT / "generate_synthetic.py"), "--type", "fractal", "--samples", str(n),
                        "--dir_out", f"{tmp}/run", "--workers", str(workers), "--codec", codec, "--preset", preset],
                       check=True, capture_output=True)
        dt = time.perf_counter() - t0
    print(f"CLI, 1 video (start-up + 1 sample)        {start_up:5.2f} s")
    print(f"CLI end to end, {workers} workers, {codec} {preset}: {n / dt:5.1f} videos/s ({n} videos in {dt:.1f} s)")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--videos", type=int, default=40)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--codec", default="libx265")
    p.add_argument("--preset", default="medium")
    a = p.parse_args()
    print("device: cpu (the fractal renderer is a numba CPU kernel)")
    stages(a.videos // 2, a.codec, a.preset)
    end_to_end(a.videos, a.workers, a.codec, a.preset)


if __name__ == "__main__":
    main()

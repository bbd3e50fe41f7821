"""What the codec costs: encode and decode time, file size, and how far decoded frames are from the rendered
ones (absolute error on the 0-255 scale, mean and max per video), for x264 and x265 at CRF 24.

python -m bench.bench_codec [--videos 30] [--type fractal]
"""
import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from src.data.decode import count_frames, read_frames
from src.synthetic.generator import Settings, until_valid
from src.synthetic.registry import get_generator
from src.synthetic.video_writer import write_video


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].replace("\n", " "))
    p.add_argument("--videos", type=int, default=30)
    p.add_argument("--type", default="fractal")
    a = p.parse_args()
    gen, settings = get_generator(a.type), Settings(res=240 if a.type == "perlin" else 256)
    rngs = [np.random.default_rng(i) for i in range(a.videos)]
    videos = [until_valid(lambda: gen.render(settings, rng, None))[0].frames for rng in rngs]
    print(f"{a.videos} {a.type} videos, {settings.res} px, CRF 24, preset medium, one core")
    print("| codec | encode ms/video | decode ms/video | kB/video | mean abs error | max abs error (mean over videos) |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for codec in ("libx264", "libx265"):
            paths = [Path(tmp) / f"{codec}-{i}.mp4" for i in range(a.videos)]
            t0 = time.perf_counter()
            for path, frames in zip(paths, videos):
                write_video(path, frames, 12, codec=codec)
            encode = (time.perf_counter() - t0) / a.videos
            t0 = time.perf_counter()
            decoded = [read_frames(path, range(count_frames(path))) for path in paths]
            decode = (time.perf_counter() - t0) / a.videos
            errors = [np.abs(d[..., 0].astype(np.int16) - v.astype(np.int16)) if v.ndim == 3 else
                      np.abs(d.astype(np.int16) - v.astype(np.int16)) for d, v in zip(decoded, videos)]
            size = np.mean([path.stat().st_size for path in paths]) / 1024
            print(f"| {codec} | {1000 * encode:.0f} | {1000 * decode:.0f} | {size:.0f} | "
                  f"{np.mean([e.mean() for e in errors]):.2f} | {np.mean([e.max() for e in errors]):.0f} |")


if __name__ == "__main__":
    main()

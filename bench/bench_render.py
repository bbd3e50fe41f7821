"""The numba chaos game alone: nanoseconds per drawn splat, one core, on the fractals the generator samples.

python -m bench.bench_render [--videos 6] [--sweep]

Per variation group (the default mixture; affine only; trigonometric; drawing random numbers) at the file generator's defaults (256 px,
128 points x 7,300 drawn iterations) and at the on-the-fly settings for 112 px clips (128 px, the same density);
with --sweep, how the cost grows with the frame side (64-512 px), the splats per frame and the frame count. The
framing (the border render) is done once per video beforehand and is not timed.
"""
import argparse
import time

import numpy as np

from src.data.fractal_source import render_settings
from src.synthetic.chaos_game import render_counts
from src.synthetic.fractal import find_windows
from src.synthetic.fractal_params import sample_video_params, video_weights
from src.synthetic.generator import Degenerate, Settings

# the default mixture (half affine, half DEFAULT_NONLINEAR), then its parts: affine maps only, the default set's
# trigonometric variations (popcorn, cosine, cylinder; sinusoidal), and the variations that draw random numbers
GROUPS = {"default mixture": [-1], "affine": [0], "trigonometric": [1, 17, 20, 29],
          "random-drawing": [13, 31, 44, 45]}


def videos(group: list[int], n: int, seed: int) -> list[tuple[np.ndarray, int, np.ndarray]]:
    """``n`` framed videos (weights, variation, windows) whose variation is one of ``group``."""
    rng = np.random.default_rng(seed)
    out = []
    while len(out) < n:
        params = sample_video_params(rng, group)
        weights, var = video_weights(params), int(params["var"])
        try:
            out.append((weights, var, find_windows(weights, var, Settings(), rng, per_frame=False)))
        except Degenerate:
            continue
    return out


def ns_per_splat(samples, res: int, points: int, iters: int, skip: int, frames: int | None = None) -> float:
    """Median over the videos of rendering time / drawn splats (frames x points x (iters - skip))."""
    times = []
    for weights, var, windows in samples:
        if frames is not None:  # more or fewer frames: the video's maps repeated or cut
            take = np.arange(frames) % len(weights)
            weights, windows = weights[take], windows[take]
        rng = np.random.default_rng(0)
        t0 = time.perf_counter()
        render_counts(weights, windows, res, points, iters, skip, var, rng)
        times.append((time.perf_counter() - t0) * 1e9 / (len(weights) * points * (iters - skip)))
    return float(np.median(times))


def main() -> None:
    p = argparse.ArgumentParser(description="ns per splat of the numba chaos game on one core, per variation "
                                            "group, at the file generator's and the on-the-fly settings")
    p.add_argument("--videos", type=int, default=6, help="videos per group (the median is printed)")
    p.add_argument("--sweep", action="store_true", help="also the cost against frame side, splats and frames")
    p.add_argument("--seed", type=int, default=0, help="seed of the sampled videos")
    args = p.parse_args()
    base = Settings()
    online = render_settings(112)
    samples = {name: videos(ids, args.videos, args.seed) for name, ids in GROUPS.items()}
    for name, group in samples.items():  # every variation's kernel compiled or loaded before timing
        for weights, var, windows in group:
            render_counts(weights[:1], windows[:1], 16, 4, 3, 1, var, np.random.default_rng(0))
    print(f"{'settings':<34} {'group':<15} ns/splat")
    for label, s in ((f"files: {base.res} px, {base.bs_point} x {base.iters - base.iter_skip}", base),
                     (f"on the fly 112 px: {online.res} px, {online.bs_point} x {online.iters - online.iter_skip}",
                      online)):
        for name, group in samples.items():
            print(f"{label:<34} {name:<15} {ns_per_splat(group, s.res, s.bs_point, s.iters, s.iter_skip):8.2f}")
    if not args.sweep:
        return
    group = samples["affine"] + samples["trigonometric"]
    print("\naffine + trigonometric videos, the default settings but for the one that varies:")
    for res in (64, 128, 256, 512):
        print(f"  side {res:>4} px                  {ns_per_splat(group, res, base.bs_point, base.iters, base.iter_skip):8.2f}")
    for points in (32, 128, 512):
        print(f"  {points:>4} points per frame         {ns_per_splat(group, base.res, points, base.iters, base.iter_skip):8.2f}")
    for iters in (1000, 7500, 30000):
        print(f"  {iters:>5} iterations per frame    {ns_per_splat(group, base.res, base.bs_point, iters, base.iter_skip):8.2f}")
    for frames in (1, 8, 19, 64):
        print(f"  {frames:>4} frames                   {ns_per_splat(group, base.res, base.bs_point, base.iters, base.iter_skip, frames):8.2f}")


if __name__ == "__main__":
    main()

"""The chaos game as one Triton kernel: each walker runs every iteration in registers (map choice, affine map,
variation, pixel transform) and splats with an integer atomic add, the standard design of GPU IFS and flame
renderers. One launch draws every frame of every clip of a batch.

A program draws a block of walkers of one clip through all the clip's frames at once. The frames share the same
random numbers, drawn from a counter-based Philox stream keyed by the clip's seed and counted by (iteration, walker), so
consecutive frames stay coherent (as in the numba renderer) and a clip is a function of its parameters and seed
alone: not of its batch mates, the batch size or the GPU. Integer counts make the result identical run to run.

Triton compiles the kernel for the GPU. With ``TRITON_INTERPRET=1`` in the environment when Triton is first
imported, its interpreter runs the same source on the CPU instead (slowly: for tests and dry runs;
``DATA.RENDER_DEVICE triton-cpu`` sets it).
"""
import torch
import triton
import triton.language as tl

from .chaos_game import MAX_MAPS
from .variations_triton import apply_variation

MAPS = tl.constexpr(MAX_MAPS)  # kernels read globals only as constexpr
GPU_BLOCK = 512  # frames × walkers per program on a GPU; the interpreter takes all of a clip's walkers at once


@triton.jit
def _chaos_game(coef_ptr, cuts_ptr, scale_ptr, var_ptr, seed_ptr, counts_ptr, n_frames, res, points, iters, skip,
                FRAMES: tl.constexpr, WALKERS: tl.constexpr):
    """coef [C, F, 8, 6] rows (a, b, c, d, e, f); cuts [C, F, 7] map thresholds; scale [C, F, 4] (s_h, o_h, s_w,
    o_w); var, seed [C]; counts [C, F, res·res] int32, += 1 at each drawn point's pixel (the 3×3 splat is a box
    filter afterwards). Grid: (C, ceil(points / WALKERS)); a program holds a [FRAMES, WALKERS] block: every
    frame of its clip (FRAMES ≥ F) for its walkers, all drawing the same random numbers."""
    clip = tl.program_id(0)
    frame = tl.arange(0, FRAMES)[:, None]
    walker = tl.program_id(1) * WALKERS + tl.arange(0, WALKERS)[None, :]
    frames = frame < n_frames
    live = frames & (walker < points)
    var = tl.load(var_ptr + clip)
    seed = tl.load(seed_ptr + clip)
    row_of = clip * n_frames + frame
    cuts = cuts_ptr + row_of * (MAPS - 1)
    c0, c1 = tl.load(cuts, mask=frames, other=2.0), tl.load(cuts + 1, mask=frames, other=2.0)
    c2, c3 = tl.load(cuts + 2, mask=frames, other=2.0), tl.load(cuts + 3, mask=frames, other=2.0)
    c4, c5 = tl.load(cuts + 4, mask=frames, other=2.0), tl.load(cuts + 5, mask=frames, other=2.0)
    c6 = tl.load(cuts + 6, mask=frames, other=2.0)
    scale = scale_ptr + row_of * 4
    s_h, o_h = tl.load(scale, mask=frames, other=0.0), tl.load(scale + 1, mask=frames, other=0.0)
    s_w, o_w = tl.load(scale + 2, mask=frames, other=0.0), tl.load(scale + 3, mask=frames, other=0.0)
    coefs = coef_ptr + row_of * (MAPS * 6)
    frame_counts = counts_ptr + row_of * res * res
    x0, y0, _, _ = tl.rand4x(seed, iters * points + walker)  # the start, past every iteration's counters
    zero = tl.zeros([FRAMES, WALKERS], dtype=tl.float32)
    x, y = zero + (2.0 * x0 - 1.0), zero + (2.0 * y0 - 1.0)
    for it in range(iters):
        u, u1, u2, _ = tl.rand4x(seed, it * points + walker)  # one draw per walker, shared by the frames
        k = ((u >= c0).to(tl.int32) + (u >= c1).to(tl.int32) + (u >= c2).to(tl.int32) + (u >= c3).to(tl.int32)
             + (u >= c4).to(tl.int32) + (u >= c5).to(tl.int32) + (u >= c6).to(tl.int32))
        m = coefs + k * 6
        a, b, c = tl.load(m, mask=live, other=0.0), tl.load(m + 1, mask=live, other=0.0), \
            tl.load(m + 2, mask=live, other=0.0)
        d, e, f = tl.load(m + 3, mask=live, other=0.0), tl.load(m + 4, mask=live, other=0.0), \
            tl.load(m + 5, mask=live, other=0.0)
        x, y = a * x + b * y + c, d * x + e * y + f
        x, y = apply_variation(var, x, y, b, c, e, f, u1, u2)
        row, col = x * s_h + o_h, y * s_w + o_w
        inside = live & (row >= 0) & (row < res) & (col >= 0) & (col < res) & (it >= skip)  # NaN is outside
        pixel = tl.where(inside, row, 0.0).to(tl.int32) * res + tl.where(inside, col, 0.0).to(tl.int32)
        tl.atomic_add(frame_counts + pixel, 1, mask=inside)


def interpreted() -> bool:
    """True where the kernel runs in Triton's interpreter (on the CPU)."""
    return not isinstance(_chaos_game, triton.runtime.JITFunction)


def splat_counts(coef: torch.Tensor, cuts: torch.Tensor, scale: torch.Tensor, variations: torch.Tensor,
                 seeds: torch.Tensor, res: int, points: int, iters: int, skip: int) -> torch.Tensor:
    """Centre-pixel counts [C, F, res, res] int32 of ``points`` walkers × (``iters`` − ``skip``) drawn
    iterations per frame; every input lives on the device the counts are made on (one kernel launch)."""
    if not coef.is_cuda and not interpreted():
        raise RuntimeError("the chaos-game kernel runs on the CPU only in Triton's interpreter: start with "
                           "TRITON_INTERPRET=1 (DATA.RENDER_DEVICE triton-cpu sets it)")
    n_clips, n_frames = coef.shape[:2]
    counts = torch.zeros(n_clips, n_frames, res * res, dtype=torch.int32, device=coef.device)
    frames = triton.next_power_of_2(n_frames)
    walkers = triton.next_power_of_2(points) if interpreted() else max(32, GPU_BLOCK // frames)
    launch((n_clips, triton.cdiv(points, walkers)), coef.contiguous(), cuts.contiguous(), scale.contiguous(),
           variations.to(torch.int32), seeds, counts, n_frames, res, points, iters, skip, FRAMES=frames,
           WALKERS=walkers)
    return counts.view(n_clips, n_frames, res, res)


def launch(grid: tuple[int, int], *args, **kwargs) -> None:
    """The one kernel launch (tests wrap it to count launches)."""
    _chaos_game[grid](*args, **kwargs)

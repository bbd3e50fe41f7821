"""Camera-like motion on the training device (docs/augmentations.md): perspective, pan, zoom, shake.

Random parameters are drawn once per call and shared by the samples a call modifies (the reference
distribution); whether a sample is modified is decided per sample. Clips are [B, C, T, H, W], square frames.
Every random draw is made on the host, so nothing here waits on the device.
"""
import math

import torch
import torch.nn.functional as nnf

from .warp import perspective_grid, upload, warp_clips

PERSPECTIVE_DISTORTION = 0.7
PERSPECTIVE_ZOOM = 1.4


def ramp(lo: float, hi: float, step: int, n_steps: int) -> float:
    """Curriculum value: ``lo`` at step 0, ``hi`` from ``n_steps`` on."""
    return lo + (hi - lo) * step / n_steps if step < n_steps else hi


def _uniform(lo: float, hi: float) -> float:
    return lo + (hi - lo) * torch.rand(1).item() if hi > lo else lo


def _integer(lo: int, hi: int) -> int:
    """U{lo..hi}, both ends included."""
    return int(torch.randint(lo, hi + 1, (1,)).item()) if hi > lo else lo


def _resize_frames(clips: torch.Tensor, size: tuple[int, int], mode: str = "bilinear") -> torch.Tensor:
    b, c, t, h, w = clips.shape
    frames = clips.transpose(1, 2).reshape(b * t, c, h, w)
    frames = nnf.interpolate(frames, size=size, mode=mode, align_corners=False)
    return frames.view(b, t, c, *size).transpose(1, 2)


def _centre_crop(frames: torch.Tensor, h: int, w: int) -> torch.Tensor:
    top, left = (frames.shape[-2] - h) // 2, (frames.shape[-1] - w) // 2
    return frames[..., top:top + h, left:left + w]


def pan_windows(n_frames: int, size: int, step: int, n_steps: int) -> tuple[torch.Tensor, torch.Tensor, int]:
    """The linear pan: top-left corners [L] (rows, columns) of the windows and the enlargement D."""
    v_hi = max(1.0, ramp(0.2, 1.0, step, n_steps) * size / n_frames)
    v_lo = max(1.0, 0.2 * size / n_frames)
    speed = _uniform(v_lo, max(v_lo, v_hi))
    l_hi = min(n_frames, max(2, math.floor(ramp(0.1, 1.0, step, n_steps) * n_frames)))
    l_lo = min(n_frames, max(2, math.floor(0.1 * n_frames)))
    length = _integer(l_lo, l_hi)
    alpha = _uniform(0, 2 * math.pi)
    k = torch.arange(length, dtype=torch.float64)
    dh = torch.trunc(k * speed * math.sin(alpha)).long()
    dw = torch.trunc(k * speed * math.cos(alpha)).long()
    e_h, e_w = int(dh[-1]), int(dw[-1])
    d_h, d_w = abs(e_h) + 1, abs(e_w) + 1
    d = max(d_h, d_w)
    return dh - min(0, e_h) + (d - d_h) // 2, dw - min(0, e_w) + (d - d_w) // 2, d


def _hold(n_frames: int, length: int) -> torch.Tensor:
    """Window index of each frame: 0 before a random start, then 0..L−1, then L−1."""
    start = _integer(0, n_frames - length)
    return (torch.arange(n_frames) - start).clamp(0, length - 1)


def pan(clips: torch.Tensor, step: int, n_steps: int) -> torch.Tensor:
    """Video form of the pan: enlarge bilinearly by D (no clamping) and slide an H×W window."""
    _, _, t, h, w = clips.shape
    tops, lefts, d = pan_windows(t, h, step, n_steps)
    big = _resize_frames(clips, (h + d, w + d))
    index = _hold(t, len(tops))
    return torch.stack([big[:, :, f, tops[i]:tops[i] + h, lefts[i]:lefts[i] + w]
                        for f, i in enumerate(index.tolist())], dim=2)


def zoom(clips: torch.Tensor, step: int, n_steps: int) -> torch.Tensor:
    """Zoom in (or out, p 0.5) at rate z ~ U[0.3/T, ramp(0.3, 1)/T) over a random stretch of frames."""
    _, _, t, h, w = clips.shape
    rate = _uniform(0.3 / t, max(0.3 / t, ramp(0.3, 1.0, step, n_steps) / t))
    l_hi = min(t, max(2, math.floor(ramp(0.1, 1.0, step, n_steps) * t)))
    length = _integer(min(t, max(2, math.floor(0.1 * t))), l_hi)
    factors = 1 + torch.arange(length) * rate
    if torch.rand(1).item() < 0.5:
        factors = factors.flip(0)
    frames = []
    for f, i in enumerate(_hold(t, length).tolist()):
        size = (math.floor(h * factors[i].item()), math.floor(w * factors[i].item()))
        frame = nnf.interpolate(clips[:, :, f], size=size, mode="bilinear", align_corners=False)
        frames.append(_centre_crop(frame, h, w))
    return torch.stack(frames, dim=2)


def _shake_offsets(n_frames: int, amplitude: float, size: int) -> torch.Tensor:
    n = _integer(2, 5)
    omega = 0.1 + 1.1 * torch.rand(n, dtype=torch.float64)
    phase = _uniform(0, 2 * math.pi)
    t = torch.arange(n_frames, dtype=torch.float64)
    k = torch.arange(1, n + 1, dtype=torch.float64)
    r = (torch.sin(omega[:, None] * t + phase) / k[:, None]).sum(0) + (torch.rand(n_frames, dtype=torch.float64) * 0.6 - 0.3)
    return torch.round(r * amplitude / r.std() * size / 112).long()


def shake(clips: torch.Tensor, step: int, n_steps: int) -> torch.Tensor:
    """Hand-held shake: per axis a sum of 2..5 sinusoids plus noise, amplitude A ~ U[ramp(1,2), ramp(2,4))."""
    _, _, t, h, w = clips.shape
    amplitude = _uniform(ramp(1, 2, step, n_steps), ramp(2, 4, step, n_steps))
    s_h, s_w = _shake_offsets(t, amplitude, h), _shake_offsets(t, amplitude, h)
    d_h, d_w = int(s_h.max() - s_h.min()) + 1, int(s_w.max() - s_w.min()) + 1
    d = max(d_h, d_w)
    big = _resize_frames(clips, (h + d, w + d)).clamp(0, 1)
    tops = s_h - s_h.min() + (d - d_h) // 2
    lefts = s_w - s_w.min() + (d - d_w) // 2
    return torch.stack([big[:, :, f, tops[f]:tops[f] + h, lefts[f]:lefts[f] + w] for f in range(t)], dim=2)


def chosen_samples(n: int, prob: float) -> torch.Tensor | None:
    """Host indices of the samples a transform of probability ``prob`` touches (None: none)."""
    chosen = torch.nonzero(torch.rand(n) < prob).flatten() if prob > 0 else torch.empty(0, dtype=torch.long)
    return chosen if len(chosen) else None


def apply_to(clips: torch.Tensor, chosen: torch.Tensor | None, fn) -> torch.Tensor:
    """``fn`` applied to the ``chosen`` samples (host indices), the others unchanged."""
    if chosen is None:
        return clips
    index = upload(chosen, clips.device)
    return clips.index_copy(0, index, fn(clips.index_select(0, index)))


def _apply_to(clips: torch.Tensor, prob: float, fn) -> torch.Tensor:
    """Apply ``fn`` (batch-shared parameters) to the samples chosen with probability ``prob``."""
    return apply_to(clips, chosen_samples(len(clips), prob), fn)


def camera_motion(clips: torch.Tensor, step: int, n_steps: int, p_shift: float, p_zoom: float,
                  p_shake: float) -> torch.Tensor:
    """Shift, then zoom, then shake, each on its own random subset of the batch."""
    clips = _apply_to(clips, p_shift, lambda x: pan(x, step, n_steps))
    clips = _apply_to(clips, p_zoom, lambda x: zoom(x, step, n_steps))
    return _apply_to(clips, p_shake, lambda x: shake(x, step, n_steps))


def perspective_corners(h: int, w: int) -> list[list[int]]:
    """Batch-shared destination corners for the source corners TL, TR, BR, BL as (x, y)."""
    a, b = math.floor(PERSPECTIVE_DISTORTION * (h // 2)), math.floor(PERSPECTIVE_DISTORTION * (w // 2))
    a2, b2 = h - a - 1, w - b - 1
    return [[_integer(0, b), _integer(0, a)], [_integer(b2, w - 1), _integer(0, a)],
            [_integer(b2, w - 1), _integer(a2, h - 1)], [_integer(0, b), _integer(a2, h - 1)]]


def perspective(clips: torch.Tensor, prob: float) -> torch.Tensor:
    """Warp the chosen samples with one random homography, then zoom by 1.4 and crop back to H×W."""
    _, _, t, h, w = clips.shape
    start = [[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]]
    end = perspective_corners(h, w)

    def warp(x: torch.Tensor) -> torch.Tensor:
        warped = warp_clips(x, perspective_grid(start, end, h, w, x.device), as_torchvision=True)
        size = (math.floor(h * PERSPECTIVE_ZOOM), math.floor(w * PERSPECTIVE_ZOOM))
        return _centre_crop(_resize_frames(warped, size), h, w)
    return _apply_to(clips, prob, warp)

"""Geometric warps of whole batches of clips with one parameter set per clip, in one ``grid_sample`` and without
waiting on the device: the parameters are host data, uploaded without blocking.

torchvision's functional ops take one parameter set per call and build their sampling grid with a blocking
upload (``torch.tensor(..., device=...)``), so on a GPU a per-clip call is a host sync and a launch series per
clip. The matrices here are torchvision's own (``_get_inverse_affine_matrix``, ``_get_perspective_coeffs``) and
the grids follow its ``_affine_grid`` / ``_perspective_grid``, batched; a test checks them against
``F.affine``, ``F.rotate`` and ``F.perspective``.
"""
import torch
import torch.nn.functional as nnf
from torchvision.transforms.functional import _get_inverse_affine_matrix, _get_perspective_coeffs


def upload(t: torch.Tensor, device: torch.device) -> torch.Tensor:
    """Host data to the device without waiting for the work queued there."""
    return t.to(device, non_blocking=True)


def inverse_affine(angles: torch.Tensor, translations: torch.Tensor, shears: torch.Tensor,
                   scales: torch.Tensor | None = None) -> torch.Tensor:
    """Per clip, torchvision's inverse affine matrix [n, 2, 3] (output pixel → input pixel, image centre at the
    origin): angle in degrees (counter-clockwise as in ``F.affine``), translation (x, y) in pixels, shear (x, y)
    in degrees, scale."""
    scales = torch.ones(len(angles)) if scales is None else scales
    rows = [_get_inverse_affine_matrix([0.0, 0.0], float(a), [float(t) for t in tr], float(s),
                                       [float(v) for v in sh])
            for a, tr, sh, s in zip(angles, translations, shears, scales)]
    return torch.tensor(rows, dtype=torch.float32).view(-1, 2, 3)


def _base_grid(h: int, w: int, device: torch.device, centred: bool) -> torch.Tensor:
    """Pixel centres [1, h·w, 3] as (x, y, 1), from the image centre (affine) or the corner (perspective)."""
    shift_x, shift_y = ((1.0 - w) * 0.5, (1.0 - h) * 0.5) if centred else (0.5, 0.5)
    ys, xs = torch.meshgrid(torch.arange(h, device=device, dtype=torch.float32) + shift_y,
                            torch.arange(w, device=device, dtype=torch.float32) + shift_x, indexing="ij")
    return torch.stack([xs, ys, torch.ones_like(xs)], -1).view(1, h * w, 3)


def affine_grid(matrices: torch.Tensor, h: int, w: int, device: torch.device) -> torch.Tensor:
    """``grid_sample`` grids [n, h, w, 2] of inverse affine matrices [n, 2, 3] (host)."""
    theta = matrices / torch.tensor([0.5 * w, 0.5 * h]).view(1, 2, 1)
    grid = _base_grid(h, w, device, centred=True) @ upload(theta, device).transpose(1, 2)
    return grid.view(-1, h, w, 2)


def perspective_grid(startpoints: list, endpoints: list, h: int, w: int, device: torch.device) -> torch.Tensor:
    """The ``grid_sample`` grid [1, h, w, 2] of the homography taking ``startpoints`` to ``endpoints``."""
    c = _get_perspective_coeffs(startpoints, endpoints)
    top = torch.tensor([[c[0], c[1], c[2]], [c[3], c[4], c[5]]], dtype=torch.float32)
    top = top / torch.tensor([0.5 * w, 0.5 * h]).view(2, 1)
    bottom = torch.tensor([[c[6], c[7], 1.0], [c[6], c[7], 1.0]], dtype=torch.float32)
    base = _base_grid(h, w, device, centred=False)
    grid = (base @ upload(top, device).T) / (base @ upload(bottom, device).T) - 1.0
    return grid.view(1, h, w, 2)


def warp_clips(clips: torch.Tensor, grids: torch.Tensor, mode: str = "bilinear",
               as_torchvision: bool = False) -> torch.Tensor:
    """Sample every frame of each clip [n, C, T, H, W] through its grid [n or 1, H', W', 2]; zeros outside.
    ``as_torchvision``: also fade pixels near the edge by the share of the kernel that fell inside, as
    torchvision's warps with fill 0 do (the same as plain zero padding for ``nearest``)."""
    n, c, t, h, w = clips.shape
    frames = clips.transpose(1, 2).reshape(n * t, c, h, w)
    if as_torchvision:
        frames = torch.cat([frames, torch.ones_like(frames[:, :1])], 1)
    grids = grids.expand(n, -1, -1, -1).repeat_interleave(t, dim=0)
    out = nnf.grid_sample(frames, grids, mode=mode, padding_mode="zeros", align_corners=False)
    if as_torchvision:
        out = out[:, :c] * out[:, c:]
    return out.view(n, t, c, *out.shape[-2:]).transpose(1, 2)

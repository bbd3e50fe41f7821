"""Find the window that frames an attractor: greedy peel of a binary render (docs/generators.md)."""
import numpy as np

BORDER_EXTENT = 6.0  # the border-detection canvas covers [-6, 6] x [-6, 6]


def keep_box(mask: np.ndarray, share: float) -> tuple[int, int, int, int]:
    """Pixel box (top, bottom, left, right), inclusive, holding at least ``share`` of the set pixels.

    Empty border lines are trimmed first, then the edge line with the fewest set pixels is peeled off (ties: top,
    bottom, left, right) while more than floor(share · n) pixels remain inside.
    """
    h, w = mask.shape
    top, bottom, left, right = 0, h - 1, 0, w - 1
    total = int(mask.sum())
    target = int(np.floor(share * total))
    if share >= 1 or target == 0:
        return top, bottom, left, right
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    top, bottom, left, right = rows[0], rows[-1], cols[0], cols[-1]
    integral = np.zeros((h + 1, w + 1), np.int64)
    integral[1:, 1:] = mask.astype(np.int64).cumsum(0).cumsum(1)

    def count(t, b, l, r):
        return integral[b + 1, r + 1] - integral[t, r + 1] - integral[b + 1, l] + integral[t, l]

    inside = total
    while inside > target:
        edges = (count(top, top, left, right), count(bottom, bottom, left, right),
                 count(top, bottom, left, left), count(top, bottom, right, right))
        side = int(np.argmin(edges))
        inside -= edges[side]
        if side == 0:
            top += 1
        elif side == 1:
            bottom -= 1
        elif side == 2:
            left += 1
        else:
            right -= 1
    return int(top), int(bottom), int(left), int(right)


def expand(box: tuple[int, int, int, int], res: int) -> tuple[int, int, int, int]:
    """Add a 10% margin per axis (round half to even) and clamp to the canvas."""
    top, bottom, left, right = box
    m_h, m_w = round(0.1 * (bottom - top)), round(0.1 * (right - left))
    return max(0, top - m_h), min(res - 1, bottom + m_h), max(0, left - m_w), min(res - 1, right + m_w)


def to_window(box: tuple[int, int, int, int], res: int) -> tuple[float, float, float, float]:
    """Pixel bounds on the border canvas → real window (h1, h2, w1, w2)."""
    return tuple(BORDER_EXTENT * (2 * u / (res - 1) - 1) for u in box)


def frame_windows(masks: np.ndarray, share: float, union: bool) -> np.ndarray:
    """Real windows [len(masks), 4] from binary renders; ``union`` merges all boxes into one shared window."""
    res = masks.shape[-1]
    boxes = np.array([keep_box(m, share) for m in masks])
    if union:
        boxes = np.array([[boxes[:, 0].min(), boxes[:, 1].max(), boxes[:, 2].min(), boxes[:, 3].max()]])
    return np.array([to_window(expand(tuple(b), res), res) for b in boxes])

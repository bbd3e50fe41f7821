"""Labelled grids of tiles for the pictures the tools write (previews, the README gallery)."""
import cv2
import numpy as np

FONT, SCALE, THICKNESS = cv2.FONT_HERSHEY_SIMPLEX, 0.45, 1
PAD = 6  # pixels around a label


def _text_size(text: str) -> tuple[int, int]:
    (w, h), base = cv2.getTextSize(text, FONT, SCALE, THICKNESS)
    return w, h + base


def labelled_grid(rows: list[list[np.ndarray]], row_labels: list[str] | None = None,
                  col_labels: list[str] | None = None, gap: int = 4) -> np.ndarray:
    """Tiles [..., H, W, 3] uint8 of one shape (a leading frame axis makes a video) laid out in rows on black,
    each row's label at its left and each column's label above it, in white."""
    lead, (h, w) = rows[0][0].shape[:-3], rows[0][0].shape[-3:-1]
    n_cols = max(len(r) for r in rows)
    left = max((_text_size(t)[0] for t in row_labels), default=0) + 2 * PAD if row_labels else 0
    top = max((_text_size(t)[1] for t in col_labels), default=0) + 2 * PAD if col_labels else 0
    height, width = top + len(rows) * (h + gap) - gap, left + n_cols * (w + gap) - gap
    canvas = np.zeros(lead + (height, width, 3), np.uint8)
    for i, row in enumerate(rows):
        for j, tile in enumerate(row):
            y, x = top + i * (h + gap), left + j * (w + gap)
            canvas[..., y:y + h, x:x + w, :] = tile
    labels = np.zeros((height, width, 3), np.uint8)
    for i, text in enumerate(row_labels or []):
        y = top + i * (h + gap) + (h + _text_size(text)[1]) // 2
        cv2.putText(labels, text, (PAD, y), FONT, SCALE, (255, 255, 255), THICKNESS, cv2.LINE_AA)
    for j, text in enumerate(col_labels or []):
        x = left + j * (w + gap) + max(0, (w - _text_size(text)[0]) // 2)
        cv2.putText(labels, text, (x, top - PAD), FONT, SCALE, (255, 255, 255), THICKNESS, cv2.LINE_AA)
    return np.maximum(canvas, labels)  # the labels lie in the black margins

"""Filled discs and regular polygons drawn with OpenCV (shared by the octopus and dead-leaves generators)."""
from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class Shape:
    """A disc (``sides`` <= 2) or a regular ``sides``-gon inscribed in the circle of ``radius`` pixels."""

    sides: int
    rotation: float  # degrees
    radius: int
    colour: tuple[int, int, int]


def polygon_vertices(center: tuple[float, float], radius: float, sides: int, rotation: float) -> np.ndarray:
    """Vertices [sides, 2] as (x, y) = (column, row) pixels, the first at ``rotation`` degrees."""
    angle = np.deg2rad(rotation) + 2 * np.pi * np.arange(sides) / sides
    return np.stack([center[0] + radius * np.cos(angle), center[1] + radius * np.sin(angle)], axis=1)


def draw_shape(canvas: np.ndarray, center: tuple[float, float], shape: Shape) -> None:
    """Fill ``shape`` centred at (x, y) = (column, row) on an RGB uint8 canvas, in place (no anti-aliasing)."""
    colour = tuple(int(c) for c in shape.colour)
    if shape.sides <= 2:
        cv2.circle(canvas, (int(round(center[0])), int(round(center[1]))), int(shape.radius), colour, -1)
    else:
        points = np.round(polygon_vertices(center, shape.radius, shape.sides, shape.rotation)).astype(np.int32)
        cv2.fillPoly(canvas, [points], colour)


def sample_shapes(rng: np.random.Generator, n: int, sides: tuple[int, int], radius: tuple[int, int],
                  radius_scale: float = 1.0, colour: tuple[int, int, int] | None = None) -> list[Shape]:
    """``n`` shapes: sides U{lo..hi}, rotation U{0..359}, radius round(U{lo..hi}·scale) >= 1, colour U{0..255}³
    unless one colour is given."""
    shapes = []
    for _ in range(n):
        n_sides = int(rng.integers(sides[0], sides[1] + 1))
        rotation = int(rng.integers(0, 360))
        r = max(1, int(round(int(rng.integers(radius[0], radius[1] + 1)) * radius_scale)))
        c = colour if colour is not None else tuple(int(x) for x in rng.integers(0, 256, 3))
        shapes.append(Shape(n_sides, rotation, r, c))
    return shapes

"""Variations against hand-computed values (docs/generators.md)."""
import math

import numpy as np
import pytest

from src.synthetic import variations as V
from src.synthetic.fastmath import fcos, fsin, ftan, ftanh

X, Y = 0.6, -0.8  # r = 1, θ = atan2(-0.8, 0.6)
R, T = 1.0, math.atan2(-0.8, 0.6)
B, C, E, F = 0.5, 0.7, -0.3, 0.9
U1, U2 = 0.25, 0.75

EXPECTED = {
    0: (X, Y),
    1: (math.sin(X), math.sin(Y)),
    2: (X / (1 + 1e-7), Y / (1 + 1e-7)),
    3: (X * math.sin(1) - Y * math.cos(1), X * math.cos(1) + Y * math.sin(1)),
    4: ((X - Y) * (X + Y), 2 * X * Y),
    5: (T / math.pi, 0.0),
    6: (math.sin(T + 1), math.cos(T - 1)),
    7: (math.sin(T), -math.cos(T)),
    8: (T / math.pi * math.sin(math.pi), T / math.pi * math.cos(math.pi)),
    9: (math.cos(T) + math.sin(1), math.sin(T) - math.cos(1)),
    10: (math.sin(T), math.cos(T)),
    11: (math.sin(T) * math.cos(1), math.cos(T) * math.sin(1)),
    12: (math.sin(T + 1) ** 3 + math.cos(T - 1) ** 3, math.sin(T + 1) ** 3 - math.cos(T - 1) ** 3),
    13: (math.cos(T / 2 + math.pi), math.sin(T / 2 + math.pi)),  # u1 < 0.5 → Ω = π
    14: (X, Y / 2),
    15: (X + B * math.sin(Y / C ** 2), Y + E * math.sin(X / F ** 2)),
    16: (Y, X),  # 2/(r+1) = 1, components swapped
    17: (X + C * math.sin(math.tan(3 * Y)), Y + F * math.sin(math.tan(3 * X))),
    18: (math.exp(X - 1) * math.cos(math.pi * Y), math.exp(X - 1) * math.sin(math.pi * Y)),
    19: (R ** math.sin(T) * math.cos(T), R ** math.sin(T) * math.sin(T)),
    20: (math.tanh(Y) * math.cos(math.pi * X), -math.tanh(Y) * math.sin(math.pi * X)),
    21: (((1 + 0.49) % 0.98 - 0.49 + 0.51) * math.cos(T), ((1 + 0.49) % 0.98 - 0.49 + 0.51) * math.sin(T)),
    22: (math.cos(T - math.pi * 0.49 / 2), math.sin(T - math.pi * 0.49 / 2)),  # ((θ+f) mod 2t) = 1.51 > t
    27: (X, Y),
    28: (0.8 * X, 0.8 * Y),
    29: (math.sin(X), Y),
    31: (U1 * X * math.cos(2 * math.pi * U2), U1 * Y * math.sin(2 * math.pi * U2)),
    42: (math.sin(X) / math.cos(Y), math.tan(Y)),
    44: (math.tan(math.pi * U1) / (1 + 1e-7) * math.cos(X), math.tan(math.pi * U1) / (1 + 1e-7) * math.sin(Y)),
    45: (X * (math.cos(U1) + math.sin(U1)), X * (math.cos(U1) - math.sin(U1))),
    48: (X / (0.28 + 1e-7), Y / (0.28 + 1e-7)),
}


def test_every_listed_id_has_a_hand_computed_value():
    # available ids {0,1,…,22,27,28,29,31,42,44,45,48}
    assert set(EXPECTED) == set(V.IDS) == set(range(23)) | {27, 28, 29, 31, 42, 44, 45, 48}


@pytest.mark.parametrize("var", sorted(EXPECTED))
def test_variation_matches_formula(var):
    xs, ys = np.array([X], np.float32), np.array([Y], np.float32)
    coef = [np.array([v], np.float32) for v in (B, C, E, F)]
    V.apply_variation(var, xs, ys, *coef, np.array([U1], np.float32), np.array([U2], np.float32))
    np.testing.assert_allclose([xs[0], ys[0]], EXPECTED[var], rtol=2e-5, atol=2e-6)


def test_fast_math_agrees_with_libm():
    for x in np.linspace(-40, 40, 4001):
        assert abs(fsin(x) - math.sin(x)) < 1e-8 and abs(fcos(x) - math.cos(x)) < 1e-8
        assert abs(ftanh(x) - math.tanh(x)) < 1e-7
    for x in np.linspace(-1.5, 1.5, 301):
        assert abs(ftan(x) - math.tan(x)) < 1e-7 * max(1, abs(math.tan(x)))
    assert math.isnan(fsin(math.inf)) and math.isnan(ftanh(math.nan))

"""Branch-free float approximations of sin, cos, tan and tanh that LLVM can vectorise.

numba lowers ``math.sin`` & co. to scalar libm calls, which stop the chaos-game loops from using SIMD.
These polynomial versions (Cephes coefficients, float64 range reduction) are accurate to ~1e-7 relative,
which is far below what a chaotic iteration can notice.
"""
import math

from .jit import kernel

_TWO_OVER_PI = 2.0 / math.pi
_PI_2_HI = 1.5707963267341256  # pi/2 split in two parts for an exact-enough reduction
_PI_2_LO = 6.077100506506192e-11


@kernel(inline="always")
def _reduce(x):
    """Return (r, q): x = r + q*pi/2 with |r| <= pi/4 and q the quadrant (0..3)."""
    k = math.floor(x * _TWO_OVER_PI + 0.5)
    r = (x - k * _PI_2_HI) - k * _PI_2_LO
    q = int(k - 4.0 * math.floor(k * 0.25))
    return r, q


@kernel(inline="always")
def _sin_poly(r):
    z = r * r
    return r + r * z * (-1.6666666666666632e-01 + z * (8.3333333332248946e-03 + z * (
        -1.9841269834414642e-04 + z * (2.7557315973773299e-06 + z * -2.5051132049748e-08))))


@kernel(inline="always")
def _cos_poly(r):
    z = r * r
    return 1.0 - 0.5 * z + z * z * (4.1666666666666602e-02 + z * (-1.3888888888874107e-03 + z * (
        2.4801587289476729e-05 + z * (-2.7557314351390663e-07 + z * 2.0875723212981748e-09))))


@kernel(inline="always")
def sincos(x):
    """(sin x, cos x); non-finite x gives NaN like libm."""
    r, q = _reduce(x)
    s = _sin_poly(r)
    c = _cos_poly(r)
    sin_x = s if q == 0 else (c if q == 1 else (-s if q == 2 else -c))
    cos_x = c if q == 0 else (-s if q == 1 else (-c if q == 2 else s))
    return sin_x, cos_x


@kernel(inline="always")
def fsin(x):
    return sincos(x)[0]


@kernel(inline="always")
def fcos(x):
    return sincos(x)[1]


@kernel(inline="always")
def ftan(x):
    s, c = sincos(x)
    return s / c


@kernel(inline="always")
def ftanh(x):
    """tanh through exp(2|x|) = (exp(2|x|/32))**32, with a Taylor series near 0."""
    a = min(abs(x), 10.0)  # tanh(10) == 1 in float32
    y = a * (2.0 / 32.0)
    e = 1.0 + y * (1.0 + y * (0.5 + y * (1.0 / 6 + y * (1.0 / 24 + y * (1.0 / 120 + y * (
        1.0 / 720 + y * (1.0 / 5040 + y * (1.0 / 40320))))))))
    for _ in range(5):
        e = e * e
    big = 1.0 - 2.0 / (e + 1.0)
    z = a * a
    small = a * (1.0 + z * (-1.0 / 3 + z * (2.0 / 15 + z * (-17.0 / 315 + z * (62.0 / 2835)))))
    t = small if a < 0.1 else big
    t = t if x == x else x  # keep NaN
    return -t if x < 0 else t

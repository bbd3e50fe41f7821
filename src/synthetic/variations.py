"""Nonlinear IFS variations (flam3 numbering), applied to every point after its affine map.

Every variation takes ``(x, y, b, c, e, f, u1, u2)`` and returns the new point: x is the row axis, ``b, c, e, f``
are coefficients of the affine map just applied (waves, popcorn, rings, fan use them) and ``u1, u2`` are per-point
uniforms in [0, 1) (julia, noise, rays, blade use them). Formulas: docs/generators.md.
"""
import math

from .fastmath import fcos, fsin, ftan, ftanh, sincos
from .jit import kernel

EPS = 1e-7
DEFAULT_NONLINEAR = (4, 14, 16, 17, 20, 27, 29)
USES_COEFFICIENTS = (15, 17, 21, 22)
USES_RANDOM = (13, 31, 44, 45)


@kernel(inline="always")
def _polar(x, y):
    return math.sqrt(x * x + y * y), math.atan2(y, x)


@kernel(inline="always")
def _floor_mod(a, b):
    return a - b * math.floor(a / b)


@kernel(inline="always")
def linear(x, y, b, c, e, f, u1, u2):
    return x, y


@kernel(inline="always")
def sinusoidal(x, y, b, c, e, f, u1, u2):
    return fsin(x), fsin(y)


@kernel(inline="always")
def spherical(x, y, b, c, e, f, u1, u2):
    k = 1.0 / (x * x + y * y + EPS)
    return k * x, k * y


@kernel(inline="always")
def swirl(x, y, b, c, e, f, u1, u2):
    s, co = sincos(x * x + y * y)
    return x * s - y * co, x * co + y * s


@kernel(inline="always")
def horseshoe(x, y, b, c, e, f, u1, u2):
    k = 1.0 / (math.sqrt(x * x + y * y) + EPS)
    return k * (x - y) * (x + y), k * 2.0 * x * y


@kernel(inline="always")
def polar(x, y, b, c, e, f, u1, u2):
    r, theta = _polar(x, y)
    return theta / math.pi, r - 1.0


@kernel(inline="always")
def handkerchief(x, y, b, c, e, f, u1, u2):
    r, theta = _polar(x, y)
    return r * fsin(theta + r), r * fcos(theta - r)


@kernel(inline="always")
def heart(x, y, b, c, e, f, u1, u2):
    r, theta = _polar(x, y)
    s, co = sincos(theta * r)
    return r * s, -r * co


@kernel(inline="always")
def disc(x, y, b, c, e, f, u1, u2):
    r, theta = _polar(x, y)
    s, co = sincos(math.pi * r)
    k = theta / math.pi
    return k * s, k * co


@kernel(inline="always")
def spiral(x, y, b, c, e, f, u1, u2):
    r, theta = _polar(x, y)
    s, co = sincos(r)
    st, ct = sincos(theta)
    k = 1.0 / (r + EPS)
    return k * (ct + s), k * (st - co)


@kernel(inline="always")
def hyperbolic(x, y, b, c, e, f, u1, u2):
    r, theta = _polar(x, y)
    st, ct = sincos(theta)
    return st / (r + EPS), r * ct


@kernel(inline="always")
def diamond(x, y, b, c, e, f, u1, u2):
    r, theta = _polar(x, y)
    s, co = sincos(r)
    st, ct = sincos(theta)
    return st * co, ct * s


@kernel(inline="always")
def ex(x, y, b, c, e, f, u1, u2):
    r, theta = _polar(x, y)
    p0 = fsin(theta + r) ** 3
    p1 = fcos(theta - r) ** 3
    return r * (p0 + p1), r * (p0 - p1)


@kernel(inline="always")
def julia(x, y, b, c, e, f, u1, u2):
    r, theta = _polar(x, y)
    s, co = sincos(0.5 * theta + (math.pi if u1 < 0.5 else 0.0))
    k = math.sqrt(r)
    return k * co, k * s


@kernel(inline="always")
def bent(x, y, b, c, e, f, u1, u2):
    return (2.0 * x if x < 0 else x), (0.5 * y if y < 0 else y)


@kernel(inline="always")
def waves(x, y, b, c, e, f, u1, u2):
    return x + b * fsin(y / (c * c)), y + e * fsin(x / (f * f))


@kernel(inline="always")
def fisheye(x, y, b, c, e, f, u1, u2):
    k = 2.0 / (math.sqrt(x * x + y * y) + 1.0)
    return k * y, k * x


@kernel(inline="always")
def popcorn(x, y, b, c, e, f, u1, u2):
    return x + c * fsin(ftan(3.0 * y)), y + f * fsin(ftan(3.0 * x))


@kernel(inline="always")
def exponential(x, y, b, c, e, f, u1, u2):
    k = math.exp(x - 1.0)
    s, co = sincos(math.pi * y)
    return k * co, k * s


@kernel(inline="always")
def power(x, y, b, c, e, f, u1, u2):
    r, theta = _polar(x, y)
    st, ct = sincos(theta)
    k = r ** st
    return k * ct, k * st


@kernel(inline="always")
def cosine(x, y, b, c, e, f, u1, u2):
    s, co = sincos(math.pi * x)
    t = ftanh(y)
    return t * co, -t * s


@kernel(inline="always")
def rings(x, y, b, c, e, f, u1, u2):
    r, theta = _polar(x, y)
    st, ct = sincos(theta)
    q = c * c
    m = _floor_mod(r + q, 2.0 * q) - q + r * (1.0 - q)
    return m * ct, m * st


@kernel(inline="always")
def fan(x, y, b, c, e, f, u1, u2):
    r, theta = _polar(x, y)
    t = 0.5 * math.pi * c * c
    th = theta - t if _floor_mod(theta + f, 2.0 * t) > t else theta + t
    s, co = sincos(th)
    return r * co, r * s


@kernel(inline="always")
def eyefish(x, y, b, c, e, f, u1, u2):
    k = 2.0 / (math.sqrt(x * x + y * y) + 1.0)
    return k * x, k * y


@kernel(inline="always")
def bubble(x, y, b, c, e, f, u1, u2):
    k = 4.0 / (x * x + y * y + 4.0)
    return k * x, k * y


@kernel(inline="always")
def cylinder(x, y, b, c, e, f, u1, u2):
    return fsin(x), y


@kernel(inline="always")
def noise(x, y, b, c, e, f, u1, u2):
    s, co = sincos(2.0 * math.pi * u2)
    return u1 * x * co, u1 * y * s


@kernel(inline="always")
def tangent(x, y, b, c, e, f, u1, u2):
    s, co = sincos(y)
    return fsin(x) / co, s / co


@kernel(inline="always")
def rays(x, y, b, c, e, f, u1, u2):
    k = ftan(math.pi * u1) / (x * x + y * y + EPS)
    return k * fcos(x), k * fsin(y)


@kernel(inline="always")
def blade(x, y, b, c, e, f, u1, u2):
    s, co = sincos(u1 * math.sqrt(x * x + y * y))
    return x * (co + s), x * (co - s)


@kernel(inline="always")
def cross(x, y, b, c, e, f, u1, u2):
    k = 1.0 / (abs(x * x - y * y) + EPS)
    return k * x, k * y


VARIATIONS = {
    0: linear,
    1: sinusoidal,
    2: spherical,
    3: swirl,
    4: horseshoe,
    5: polar,
    6: handkerchief,
    7: heart,
    8: disc,
    9: spiral,
    10: hyperbolic,
    11: diamond,
    12: ex,
    13: julia,
    14: bent,
    15: waves,
    16: fisheye,
    17: popcorn,
    18: exponential,
    19: power,
    20: cosine,
    21: rings,
    22: fan,
    27: eyefish,
    28: bubble,
    29: cylinder,
    31: noise,
    42: tangent,
    44: rays,
    45: blade,
    48: cross,
}
IDS = tuple(sorted(VARIATIONS))
NAMES = {i: fn.__name__ for i, fn in VARIATIONS.items()}


def variation_problem(ids: list[int]) -> str | None:
    """What is wrong with a list of allowed variation ids (--var, DATA.RENDER_VAR), or None."""
    if len(set(ids)) != len(ids):
        return f"has duplicates: {ids}"
    if -1 in ids and len(ids) > 1:
        return "-1 (the default mixture) must be given alone"
    unknown = sorted(set(ids) - set(IDS) - {-1})
    return f"unknown ids {unknown}; available: {list(IDS)}" if unknown else None


@kernel
def apply_variation(v, xs, ys, bs, cs, es, fs, u1, u2):
    """Apply variation ``v`` to all points in place.

    One loop per id so that each loop body is specialised and vectorised by LLVM.
    """
    n = xs.shape[0]
    if v == 1:
        for p in range(n):
            xs[p], ys[p] = sinusoidal(xs[p], ys[p], bs[p], cs[p], es[p], fs[p], u1[p], u2[p])
    elif v == 2:
        for p in range(n):
            xs[p], ys[p] = spherical(xs[p], ys[p], bs[p], cs[p], es[p], fs[p], u1[p], u2[p])
    elif v == 3:
        for p in range(n):
            xs[p], ys[p] = swirl(xs[p], ys[p], bs[p], cs[p], es[p], fs[p], u1[p], u2[p])
    elif v == 4:
        for p in range(n):
            xs[p], ys[p] = horseshoe(xs[p], ys[p], bs[p], cs[p], es[p], fs[p], u1[p], u2[p])
    elif v == 5:
        for p in range(n):
            xs[p], ys[p] = polar(xs[p], ys[p], bs[p], cs[p], es[p], fs[p], u1[p], u2[p])
    elif v == 6:
        for p in range(n):
            xs[p], ys[p] = handkerchief(xs[p], ys[p], bs[p], cs[p], es[p], fs[p], u1[p], u2[p])
    elif v == 7:
        for p in range(n):
            xs[p], ys[p] = heart(xs[p], ys[p], bs[p], cs[p], es[p], fs[p], u1[p], u2[p])
    elif v == 8:
        for p in range(n):
            xs[p], ys[p] = disc(xs[p], ys[p], bs[p], cs[p], es[p], fs[p], u1[p], u2[p])
    elif v == 9:
        for p in range(n):
            xs[p], ys[p] = spiral(xs[p], ys[p], bs[p], cs[p], es[p], fs[p], u1[p], u2[p])
    elif v == 10:
        for p in range(n):
            xs[p], ys[p] = hyperbolic(xs[p], ys[p], bs[p], cs[p], es[p], fs[p], u1[p], u2[p])
    elif v == 11:
        for p in range(n):
            xs[p], ys[p] = diamond(xs[p], ys[p], bs[p], cs[p], es[p], fs[p], u1[p], u2[p])
    elif v == 12:
        for p in range(n):
            xs[p], ys[p] = ex(xs[p], ys[p], bs[p], cs[p], es[p], fs[p], u1[p], u2[p])
    elif v == 13:
        for p in range(n):
            xs[p], ys[p] = julia(xs[p], ys[p], bs[p], cs[p], es[p], fs[p], u1[p], u2[p])
    elif v == 14:
        for p in range(n):
            xs[p], ys[p] = bent(xs[p], ys[p], bs[p], cs[p], es[p], fs[p], u1[p], u2[p])
    elif v == 15:
        for p in range(n):
            xs[p], ys[p] = waves(xs[p], ys[p], bs[p], cs[p], es[p], fs[p], u1[p], u2[p])
    elif v == 16:
        for p in range(n):
            xs[p], ys[p] = fisheye(xs[p], ys[p], bs[p], cs[p], es[p], fs[p], u1[p], u2[p])
    elif v == 17:
        for p in range(n):
            xs[p], ys[p] = popcorn(xs[p], ys[p], bs[p], cs[p], es[p], fs[p], u1[p], u2[p])
    elif v == 18:
        for p in range(n):
            xs[p], ys[p] = exponential(xs[p], ys[p], bs[p], cs[p], es[p], fs[p], u1[p], u2[p])
    elif v == 19:
        for p in range(n):
            xs[p], ys[p] = power(xs[p], ys[p], bs[p], cs[p], es[p], fs[p], u1[p], u2[p])
    elif v == 20:
        for p in range(n):
            xs[p], ys[p] = cosine(xs[p], ys[p], bs[p], cs[p], es[p], fs[p], u1[p], u2[p])
    elif v == 21:
        for p in range(n):
            xs[p], ys[p] = rings(xs[p], ys[p], bs[p], cs[p], es[p], fs[p], u1[p], u2[p])
    elif v == 22:
        for p in range(n):
            xs[p], ys[p] = fan(xs[p], ys[p], bs[p], cs[p], es[p], fs[p], u1[p], u2[p])
    elif v == 27:
        for p in range(n):
            xs[p], ys[p] = eyefish(xs[p], ys[p], bs[p], cs[p], es[p], fs[p], u1[p], u2[p])
    elif v == 28:
        for p in range(n):
            xs[p], ys[p] = bubble(xs[p], ys[p], bs[p], cs[p], es[p], fs[p], u1[p], u2[p])
    elif v == 29:
        for p in range(n):
            xs[p], ys[p] = cylinder(xs[p], ys[p], bs[p], cs[p], es[p], fs[p], u1[p], u2[p])
    elif v == 31:
        for p in range(n):
            xs[p], ys[p] = noise(xs[p], ys[p], bs[p], cs[p], es[p], fs[p], u1[p], u2[p])
    elif v == 42:
        for p in range(n):
            xs[p], ys[p] = tangent(xs[p], ys[p], bs[p], cs[p], es[p], fs[p], u1[p], u2[p])
    elif v == 44:
        for p in range(n):
            xs[p], ys[p] = rays(xs[p], ys[p], bs[p], cs[p], es[p], fs[p], u1[p], u2[p])
    elif v == 45:
        for p in range(n):
            xs[p], ys[p] = blade(xs[p], ys[p], bs[p], cs[p], es[p], fs[p], u1[p], u2[p])
    elif v == 48:
        for p in range(n):
            xs[p], ys[p] = cross(xs[p], ys[p], bs[p], cs[p], es[p], fs[p], u1[p], u2[p])

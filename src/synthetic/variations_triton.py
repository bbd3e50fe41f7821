"""The nonlinear variations of ``variations.py`` as Triton device functions, for the chaos-game kernel
(``chaos_kernel.py``).

Same ids, same formulas (docs/generators.md), on blocks of walkers: a Python ``if`` on a point's value becomes a
``tl.where``. Only ``tl`` primitives are used (sin, cos, sqrt, exp, log, floor), so Triton's interpreter runs
them on the CPU as well; atan2, tan and tanh are built from them. ``tests/test_chaos_kernel.py`` checks that
both tables hold the same ids and that every variation agrees with the numba one on the same points.
"""
import triton
import triton.language as tl

EPS = tl.constexpr(1e-7)  # kernels read globals only as constexpr; π is written out (3.141592653589793)


@triton.jit
def _atan2(y, x):
    """atan2 from a degree-11 odd minimax polynomial of atan on [0, 1] (error below 1e-6 rad)."""
    ax, ay = tl.abs(x), tl.abs(y)
    hi = tl.maximum(ax, ay)
    a = tl.minimum(ax, ay) / tl.where(hi == 0, 1.0, hi)
    s = a * a
    r = a * (0.99997726 + s * (-0.33262347 + s * (0.19354346 + s * (-0.11643287 + s * (0.05265332
                                                                                       + s * -0.01172120)))))
    r = tl.where(ay > ax, 1.5707963267948966 - r, r)
    r = tl.where(x < 0, 3.141592653589793 - r, r)
    return tl.where(y < 0, -r, r)


@triton.jit
def _tan(x):
    return tl.sin(x) / tl.cos(x)


@triton.jit
def _tanh(x):
    return 1.0 - 2.0 / (tl.exp(2.0 * x) + 1.0)


@triton.jit
def _floor_mod(a, b):
    return a - b * tl.floor(a / b)


@triton.jit
def _radius(x, y):
    return tl.sqrt(x * x + y * y)


@triton.jit
def sinusoidal(x, y, b, c, e, f, u1, u2):
    return tl.sin(x), tl.sin(y)


@triton.jit
def spherical(x, y, b, c, e, f, u1, u2):
    k = 1.0 / (x * x + y * y + EPS)
    return k * x, k * y


@triton.jit
def swirl(x, y, b, c, e, f, u1, u2):
    q = x * x + y * y
    s, co = tl.sin(q), tl.cos(q)
    return x * s - y * co, x * co + y * s


@triton.jit
def horseshoe(x, y, b, c, e, f, u1, u2):
    k = 1.0 / (_radius(x, y) + EPS)
    return k * (x - y) * (x + y), k * 2.0 * x * y


@triton.jit
def polar(x, y, b, c, e, f, u1, u2):
    return _atan2(y, x) / 3.141592653589793, _radius(x, y) - 1.0


@triton.jit
def handkerchief(x, y, b, c, e, f, u1, u2):
    r, theta = _radius(x, y), _atan2(y, x)
    return r * tl.sin(theta + r), r * tl.cos(theta - r)


@triton.jit
def heart(x, y, b, c, e, f, u1, u2):
    r, theta = _radius(x, y), _atan2(y, x)
    return r * tl.sin(theta * r), -r * tl.cos(theta * r)


@triton.jit
def disc(x, y, b, c, e, f, u1, u2):
    r, theta = _radius(x, y), _atan2(y, x)
    k = theta / 3.141592653589793
    return k * tl.sin(3.141592653589793 * r), k * tl.cos(3.141592653589793 * r)


@triton.jit
def spiral(x, y, b, c, e, f, u1, u2):
    r, theta = _radius(x, y), _atan2(y, x)
    k = 1.0 / (r + EPS)
    return k * (tl.cos(theta) + tl.sin(r)), k * (tl.sin(theta) - tl.cos(r))


@triton.jit
def hyperbolic(x, y, b, c, e, f, u1, u2):
    r, theta = _radius(x, y), _atan2(y, x)
    return tl.sin(theta) / (r + EPS), r * tl.cos(theta)


@triton.jit
def diamond(x, y, b, c, e, f, u1, u2):
    r, theta = _radius(x, y), _atan2(y, x)
    return tl.sin(theta) * tl.cos(r), tl.cos(theta) * tl.sin(r)


@triton.jit
def ex(x, y, b, c, e, f, u1, u2):
    r, theta = _radius(x, y), _atan2(y, x)
    s0, c1 = tl.sin(theta + r), tl.cos(theta - r)
    p0, p1 = s0 * s0 * s0, c1 * c1 * c1
    return r * (p0 + p1), r * (p0 - p1)


@triton.jit
def julia(x, y, b, c, e, f, u1, u2):
    r, theta = _radius(x, y), _atan2(y, x)
    a = 0.5 * theta + tl.where(u1 < 0.5, 3.141592653589793, 0.0)
    k = tl.sqrt(r)
    return k * tl.cos(a), k * tl.sin(a)


@triton.jit
def bent(x, y, b, c, e, f, u1, u2):
    return tl.where(x < 0, 2.0 * x, x), tl.where(y < 0, 0.5 * y, y)


@triton.jit
def waves(x, y, b, c, e, f, u1, u2):
    return x + b * tl.sin(y / (c * c)), y + e * tl.sin(x / (f * f))


@triton.jit
def fisheye(x, y, b, c, e, f, u1, u2):
    k = 2.0 / (_radius(x, y) + 1.0)
    return k * y, k * x


@triton.jit
def popcorn(x, y, b, c, e, f, u1, u2):
    return x + c * tl.sin(_tan(3.0 * y)), y + f * tl.sin(_tan(3.0 * x))


@triton.jit
def exponential(x, y, b, c, e, f, u1, u2):
    k = tl.exp(x - 1.0)
    return k * tl.cos(3.141592653589793 * y), k * tl.sin(3.141592653589793 * y)


@triton.jit
def power(x, y, b, c, e, f, u1, u2):
    r, theta = _radius(x, y), _atan2(y, x)
    st, ct = tl.sin(theta), tl.cos(theta)
    k = tl.exp(st * tl.log(r))  # r ** sin(theta), r >= 0
    return k * ct, k * st


@triton.jit
def cosine(x, y, b, c, e, f, u1, u2):
    t = _tanh(y)
    return t * tl.cos(3.141592653589793 * x), -t * tl.sin(3.141592653589793 * x)


@triton.jit
def rings(x, y, b, c, e, f, u1, u2):
    r, theta = _radius(x, y), _atan2(y, x)
    q = c * c
    m = _floor_mod(r + q, 2.0 * q) - q + r * (1.0 - q)
    return m * tl.cos(theta), m * tl.sin(theta)


@triton.jit
def fan(x, y, b, c, e, f, u1, u2):
    r, theta = _radius(x, y), _atan2(y, x)
    t = 0.5 * 3.141592653589793 * c * c
    th = tl.where(_floor_mod(theta + f, 2.0 * t) > t, theta - t, theta + t)
    return r * tl.cos(th), r * tl.sin(th)


@triton.jit
def eyefish(x, y, b, c, e, f, u1, u2):
    k = 2.0 / (_radius(x, y) + 1.0)
    return k * x, k * y


@triton.jit
def bubble(x, y, b, c, e, f, u1, u2):
    k = 4.0 / (x * x + y * y + 4.0)
    return k * x, k * y


@triton.jit
def cylinder(x, y, b, c, e, f, u1, u2):
    return tl.sin(x), y


@triton.jit
def noise(x, y, b, c, e, f, u1, u2):
    a = 2.0 * 3.141592653589793 * u2
    return u1 * x * tl.cos(a), u1 * y * tl.sin(a)


@triton.jit
def tangent(x, y, b, c, e, f, u1, u2):
    co = tl.cos(y)
    return tl.sin(x) / co, tl.sin(y) / co


@triton.jit
def rays(x, y, b, c, e, f, u1, u2):
    k = _tan(3.141592653589793 * u1) / (x * x + y * y + EPS)
    return k * tl.cos(x), k * tl.sin(y)


@triton.jit
def blade(x, y, b, c, e, f, u1, u2):
    a = u1 * _radius(x, y)
    s, co = tl.sin(a), tl.cos(a)
    return x * (co + s), x * (co - s)


@triton.jit
def cross(x, y, b, c, e, f, u1, u2):
    k = 1.0 / (tl.abs(x * x - y * y) + EPS)
    return k * x, k * y


@triton.jit
def apply_variation(v, x, y, b, c, e, f, u1, u2):
    """Variation ``v`` (a scalar: one per clip, so the branch is uniform across a program) of the points."""
    nx, ny = x, y
    if v == 1:
        nx, ny = sinusoidal(x, y, b, c, e, f, u1, u2)
    elif v == 2:
        nx, ny = spherical(x, y, b, c, e, f, u1, u2)
    elif v == 3:
        nx, ny = swirl(x, y, b, c, e, f, u1, u2)
    elif v == 4:
        nx, ny = horseshoe(x, y, b, c, e, f, u1, u2)
    elif v == 5:
        nx, ny = polar(x, y, b, c, e, f, u1, u2)
    elif v == 6:
        nx, ny = handkerchief(x, y, b, c, e, f, u1, u2)
    elif v == 7:
        nx, ny = heart(x, y, b, c, e, f, u1, u2)
    elif v == 8:
        nx, ny = disc(x, y, b, c, e, f, u1, u2)
    elif v == 9:
        nx, ny = spiral(x, y, b, c, e, f, u1, u2)
    elif v == 10:
        nx, ny = hyperbolic(x, y, b, c, e, f, u1, u2)
    elif v == 11:
        nx, ny = diamond(x, y, b, c, e, f, u1, u2)
    elif v == 12:
        nx, ny = ex(x, y, b, c, e, f, u1, u2)
    elif v == 13:
        nx, ny = julia(x, y, b, c, e, f, u1, u2)
    elif v == 14:
        nx, ny = bent(x, y, b, c, e, f, u1, u2)
    elif v == 15:
        nx, ny = waves(x, y, b, c, e, f, u1, u2)
    elif v == 16:
        nx, ny = fisheye(x, y, b, c, e, f, u1, u2)
    elif v == 17:
        nx, ny = popcorn(x, y, b, c, e, f, u1, u2)
    elif v == 18:
        nx, ny = exponential(x, y, b, c, e, f, u1, u2)
    elif v == 19:
        nx, ny = power(x, y, b, c, e, f, u1, u2)
    elif v == 20:
        nx, ny = cosine(x, y, b, c, e, f, u1, u2)
    elif v == 21:
        nx, ny = rings(x, y, b, c, e, f, u1, u2)
    elif v == 22:
        nx, ny = fan(x, y, b, c, e, f, u1, u2)
    elif v == 27:
        nx, ny = eyefish(x, y, b, c, e, f, u1, u2)
    elif v == 28:
        nx, ny = bubble(x, y, b, c, e, f, u1, u2)
    elif v == 29:
        nx, ny = cylinder(x, y, b, c, e, f, u1, u2)
    elif v == 31:
        nx, ny = noise(x, y, b, c, e, f, u1, u2)
    elif v == 42:
        nx, ny = tangent(x, y, b, c, e, f, u1, u2)
    elif v == 44:
        nx, ny = rays(x, y, b, c, e, f, u1, u2)
    elif v == 45:
        nx, ny = blade(x, y, b, c, e, f, u1, u2)
    elif v == 48:
        nx, ny = cross(x, y, b, c, e, f, u1, u2)
    return nx, ny


IDS = (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 27, 28, 29, 31, 42, 44, 45,
       48)  # the ids apply_variation handles (0: affine only); a test keeps them equal to variations.IDS

"""The nonlinear variations of ``variations.py`` in torch, for the batched renderer (``chaos_torch.py``).

Same ids, same formulas (docs/generators.md): ``tests/test_chaos_torch.py`` checks that both tables hold the same
ids and that every variation agrees with the numba one on the same points.
"""
import math

import torch

EPS = 1e-7


def _polar(x, y):
    return torch.sqrt(x * x + y * y), torch.atan2(y, x)


def _floor_mod(a, b):
    return a - b * torch.floor(a / b)


def linear(x, y, b, c, e, f, u1, u2):
    return x, y


def sinusoidal(x, y, b, c, e, f, u1, u2):
    return torch.sin(x), torch.sin(y)


def spherical(x, y, b, c, e, f, u1, u2):
    k = 1.0 / (x * x + y * y + EPS)
    return k * x, k * y


def swirl(x, y, b, c, e, f, u1, u2):
    q = x * x + y * y
    s, co = torch.sin(q), torch.cos(q)
    return x * s - y * co, x * co + y * s


def horseshoe(x, y, b, c, e, f, u1, u2):
    k = 1.0 / (torch.sqrt(x * x + y * y) + EPS)
    return k * (x - y) * (x + y), k * 2.0 * x * y


def polar(x, y, b, c, e, f, u1, u2):
    r, theta = _polar(x, y)
    return theta / math.pi, r - 1.0


def handkerchief(x, y, b, c, e, f, u1, u2):
    r, theta = _polar(x, y)
    return r * torch.sin(theta + r), r * torch.cos(theta - r)


def heart(x, y, b, c, e, f, u1, u2):
    r, theta = _polar(x, y)
    return r * torch.sin(theta * r), -r * torch.cos(theta * r)


def disc(x, y, b, c, e, f, u1, u2):
    r, theta = _polar(x, y)
    k = theta / math.pi
    return k * torch.sin(math.pi * r), k * torch.cos(math.pi * r)


def spiral(x, y, b, c, e, f, u1, u2):
    r, theta = _polar(x, y)
    k = 1.0 / (r + EPS)
    return k * (torch.cos(theta) + torch.sin(r)), k * (torch.sin(theta) - torch.cos(r))


def hyperbolic(x, y, b, c, e, f, u1, u2):
    r, theta = _polar(x, y)
    return torch.sin(theta) / (r + EPS), r * torch.cos(theta)


def diamond(x, y, b, c, e, f, u1, u2):
    r, theta = _polar(x, y)
    return torch.sin(theta) * torch.cos(r), torch.cos(theta) * torch.sin(r)


def ex(x, y, b, c, e, f, u1, u2):
    r, theta = _polar(x, y)
    p0, p1 = torch.sin(theta + r) ** 3, torch.cos(theta - r) ** 3
    return r * (p0 + p1), r * (p0 - p1)


def julia(x, y, b, c, e, f, u1, u2):
    r, theta = _polar(x, y)
    angle = 0.5 * theta + torch.where(u1 < 0.5, math.pi, 0.0)
    k = torch.sqrt(r)
    return k * torch.cos(angle), k * torch.sin(angle)


def bent(x, y, b, c, e, f, u1, u2):
    return torch.where(x < 0, 2.0 * x, x), torch.where(y < 0, 0.5 * y, y)


def waves(x, y, b, c, e, f, u1, u2):
    return x + b * torch.sin(y / (c * c)), y + e * torch.sin(x / (f * f))


def fisheye(x, y, b, c, e, f, u1, u2):
    k = 2.0 / (torch.sqrt(x * x + y * y) + 1.0)
    return k * y, k * x


def popcorn(x, y, b, c, e, f, u1, u2):
    return x + c * torch.sin(torch.tan(3.0 * y)), y + f * torch.sin(torch.tan(3.0 * x))


def exponential(x, y, b, c, e, f, u1, u2):
    k = torch.exp(x - 1.0)
    return k * torch.cos(math.pi * y), k * torch.sin(math.pi * y)


def power(x, y, b, c, e, f, u1, u2):
    r, theta = _polar(x, y)
    st = torch.sin(theta)
    k = r ** st
    return k * torch.cos(theta), k * st


def cosine(x, y, b, c, e, f, u1, u2):
    t = torch.tanh(y)
    return t * torch.cos(math.pi * x), -t * torch.sin(math.pi * x)


def rings(x, y, b, c, e, f, u1, u2):
    r, theta = _polar(x, y)
    q = c * c
    m = _floor_mod(r + q, 2.0 * q) - q + r * (1.0 - q)
    return m * torch.cos(theta), m * torch.sin(theta)


def fan(x, y, b, c, e, f, u1, u2):
    r, theta = _polar(x, y)
    t = 0.5 * math.pi * c * c
    th = torch.where(_floor_mod(theta + f, 2.0 * t) > t, theta - t, theta + t)
    return r * torch.cos(th), r * torch.sin(th)


def eyefish(x, y, b, c, e, f, u1, u2):
    k = 2.0 / (torch.sqrt(x * x + y * y) + 1.0)
    return k * x, k * y


def bubble(x, y, b, c, e, f, u1, u2):
    k = 4.0 / (x * x + y * y + 4.0)
    return k * x, k * y


def cylinder(x, y, b, c, e, f, u1, u2):
    return torch.sin(x), y


def noise(x, y, b, c, e, f, u1, u2):
    return u1 * x * torch.cos(2.0 * math.pi * u2), u1 * y * torch.sin(2.0 * math.pi * u2)


def tangent(x, y, b, c, e, f, u1, u2):
    co = torch.cos(y)
    return torch.sin(x) / co, torch.sin(y) / co


def rays(x, y, b, c, e, f, u1, u2):
    k = torch.tan(math.pi * u1) / (x * x + y * y + EPS)
    return k * torch.cos(x), k * torch.sin(y)


def blade(x, y, b, c, e, f, u1, u2):
    a = u1 * torch.sqrt(x * x + y * y)
    s, co = torch.sin(a), torch.cos(a)
    return x * (co + s), x * (co - s)


def cross(x, y, b, c, e, f, u1, u2):
    k = 1.0 / (torch.abs(x * x - y * y) + EPS)
    return k * x, k * y


VARIATIONS = {0: linear, 1: sinusoidal, 2: spherical, 3: swirl, 4: horseshoe, 5: polar, 6: handkerchief,
              7: heart, 8: disc, 9: spiral, 10: hyperbolic, 11: diamond, 12: ex, 13: julia, 14: bent, 15: waves,
              16: fisheye, 17: popcorn, 18: exponential, 19: power, 20: cosine, 21: rings, 22: fan, 27: eyefish,
              28: bubble, 29: cylinder, 31: noise, 42: tangent, 44: rays, 45: blade, 48: cross}

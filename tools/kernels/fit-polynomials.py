#!/usr/bin/env python3
"""
The minimax polynomials of assembly/common.ts that are not Cephes': fitted in float64 by iteratively reweighted
least squares on Chebyshev nodes (a Remez-like equioscillation), rounded to f32, then checked in f32 Horner
arithmetic as the kernels evaluate them. Prints each set of coefficients and its worst error in ulp.

  /work/venv/bin/python tools/kernels/fit-polynomials.py      (numpy only; deterministic)

- R (softplus' log1p): log1p(t) = 2s + 2s·z·R(z), s = t / (2 + t), z = s², t in [0, 1] (z in [0, 1/9]); degree 3.
- Q (the scan's exp2): 2^r = 1 + r·Q(r), r in [-1/2, 1/2]; degree 5.
"""
import numpy as np

F32 = np.float32


def fit(x, f, basis_weight, degree, rounds=40):
    """Coefficients c (increasing powers) minimizing max |basis_weight · (V c − f)| / |f| (IRLS)."""
    w = np.ones_like(x)
    for _ in range(rounds):
        v = np.vander(x, degree + 1, increasing=True)
        c, *_ = np.linalg.lstsq(v * (w * basis_weight)[:, None], f * w * basis_weight, rcond=None)
        err = (v @ c - f) * basis_weight / f
        w = w * (1 + np.abs(err) / np.abs(err).max())
    return c.astype(F32)


def horner(c, x):
    p = F32(c[-1])
    for k in range(len(c) - 2, -1, -1):
        p = (p * x + c[k]).astype(F32)
    return p


def ulps(got, want):
    return float((np.abs(got.astype(np.float64) - want) / np.spacing(want.astype(F32)).astype(np.float64)).max())


def fit_log1p():
    n = 4000
    z = (1 - np.cos(np.pi * (np.arange(n) + 0.5) / n)) / 2 / 9
    s = np.sqrt(z)
    c = fit(z, (np.arctanh(s) / s - 1) / z, np.ones_like(z), 3)
    t = np.concatenate([np.logspace(-30, 0, 100000), np.linspace(0, 1, 100001)[1:]]).astype(F32)
    s = (t / (F32(2) + t)).astype(F32)
    z = (s * s).astype(F32)
    s2 = (s + s).astype(F32)
    got = (s2 + ((s2 * z).astype(F32) * horner(c, z)).astype(F32)).astype(F32)
    return c, ulps(got, np.log1p(t.astype(np.float64)))


def fit_exp2():
    n = 4000
    r = np.cos(np.pi * (np.arange(n) + 0.5) / n) / 2
    # fit Q with 2^r = 1 + r·Q(r), error relative to 2^r: weight r / 2^r on Q's residual
    c = fit(r, (2 ** r - 1) / r, r / 2 ** r, 5)
    rr = np.linspace(-0.5, 0.5, 400001).astype(F32)
    got = (F32(1) + (rr * horner(c, rr)).astype(F32)).astype(F32)
    return c, ulps(got, 2.0 ** rr.astype(np.float64))


for name, (c, u) in (('R (log1p)', fit_log1p()), ('Q (exp2)', fit_exp2())):
    print(f'{name}: worst {u:.2f} ulp')
    for i, v in enumerate(c):
        print(f'  {name[0]}{i} = {float(v)!r}')

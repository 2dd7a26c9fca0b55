#!/usr/bin/env python3
"""Derives the float erf coefficients used by neuroscan.engine.cpu.VectorMath (run: python3 fit_erf.py).

erf(x) for |x| < 1:   x * P(x^2), P of degree 6. The near-minimax fit below reproduces the
                      coefficients of Cephes' erff (S. L. Moshier, Cephes Math Library 2.x) to ~1e-9.
erf(x) for |x| >= 1:  1 - exp(S(|x|) - x^2), S(t) = log(erfc t) + t^2 of degree 8 in (t - 2.5) on [1, 4]
                      (erf rounds to 1 in float beyond 3.92). Errors in S become *relative* errors of
                      erfc, so the absolute error of erf stays at float rounding (~6e-8).
The fit is Lawson's iteratively reweighted least squares on Chebyshev nodes, which converges to the
minimax (equioscillating) polynomial. Needs numpy and scipy.
"""
import numpy as np
from scipy.special import erf, erfc


def cheb_nodes(a, b, n):
    k = np.arange(n)
    return (a + b) / 2 + (b - a) / 2 * np.cos((2 * k + 1) * np.pi / (2 * n))


def lawson(f, a, b, basis, weight, n=4000, iters=40):
    x = cheb_nodes(a, b, n)
    A = np.stack([bf(x) for bf in basis], 1)
    y, w = f(x), weight(x)
    lam = np.ones(n) / n
    for _ in range(iters):
        s = np.sqrt(lam)
        c, *_ = np.linalg.lstsq(A * (w * s)[:, None], y * w * s, rcond=None)
        err = np.abs((A @ c - y) * w)
        lam = lam * err
        lam /= lam.sum()
    return c, err.max()


def show(name, c, err):
    print(f"{name}: max weighted error {err:.3g}")
    for v in c:
        print(f"    {float(v)!r}f,")


def p_small(z):
    r = np.sqrt(np.maximum(z, 1e-300))
    return np.where(z > 0, erf(r) / r, 2 / np.sqrt(np.pi))


c, e = lawson(p_small, 0, 1, [lambda z, k=k: z ** k for k in range(7)], lambda z: 1 / p_small(z))
show("P (|x| < 1), relative error, ascending powers of x^2", c, e)
c, e = lawson(lambda t: np.log(erfc(t)) + t * t, 1, 4, [lambda t, k=k: (t - 2.5) ** k for k in range(9)],
              lambda t: np.ones_like(t))
show("S (1 <= |x| < 4), absolute error, ascending powers of (|x| - 2.5)", c, e)

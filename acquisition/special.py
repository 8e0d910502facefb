"""The scaled complementary error function erfcx(x) = exp(x²) erfc(x), for Numba loops.

Numba has `math.erfc` but no `scipy.special.erfcx`; LogEI's middle branch
(`acquisition.logei_kernel`) needs erfcx at arguments up to ~7.6e3, where
exp(x²) overflows and erfc(x) underflows. Three ranges, each to a few ulp:

    x ≥ 26        asymptotic series (Abramowitz & Stegun 7.1.23):
                  erfcx(x) = 1/(x √π) · Σ_k (−1)^k (2k − 1)!! / (2x²)^k,
                  eight terms; the first omitted one is below 2e-19 at x = 26
    0 ≤ x < 26    erfc(x) · exp(x²), x² split exactly into hi + lo (Dekker 1971),
                  exp(x²) = exp(hi) · exp(lo) with exp(lo) = 1 + lo (|lo| < 2e-13),
                  so rounding x² costs nothing; erfc(26) ≈ 5.7e-296 is still normal
    x < 0         erfcx(x) = 2 exp(x²) − erfcx(−x) (A&S 7.1.2), no cancellation
                  (2 exp(x²) ≥ 2 > 1 ≥ erfcx(−x)); +inf once 2 exp(x²) overflows

`math.erfc` is the C library's (glibc: below 2 ulp), in Numba and in Python
alike, so the same source runs with NUMBA_DISABLE_JIT=1.
"""

from __future__ import annotations

import math

from numba import njit

_ASYMPTOTIC_FROM = 26.0
_INV_SQRT_PI = 1.0 / math.sqrt(math.pi)
# exp(x²) overflows below −√709.78 (log of the largest double: 709.7827); 2 exp(x²)
# a little earlier, at −√709.09, which the product rounds to +inf by itself
_OVERFLOW_BELOW = -math.sqrt(709.78)
_SPLITTER = 134217729.0  # 2**27 + 1: Veltkamp's split of a double into two 26-bit halves


@njit(cache=True, inline="always")
def _square_split(x: float) -> tuple[float, float]:
    """(hi, lo) with hi = fl(x²) and hi + lo = x² exactly (Dekker 1971, mul12)."""
    c = _SPLITTER * x
    x_hi = c - (c - x)
    x_lo = x - x_hi
    hi = x * x
    lo = ((x_hi * x_hi - hi) + 2.0 * x_hi * x_lo) + x_lo * x_lo
    return hi, lo


@njit(cache=True, inline="always")
def _exp_square(x: float) -> float:
    """exp(x²) to the rounding of exp, for |x| ≤ ~26.6 (beyond: +inf)."""
    hi, lo = _square_split(x)
    return math.exp(hi) * (1.0 + lo)


@njit(cache=True, inline="always")
def _erfcx_asymptotic(x: float) -> float:
    """A&S 7.1.23 in t = 1/(2x²), Horner form, for x ≥ 26."""
    t = 0.5 / (x * x)
    series = 1.0 - t * (1.0 - t * (3.0 - t * (15.0 - t * (105.0 - t * (
        945.0 - t * (10395.0 - t * 135135.0))))))
    return _INV_SQRT_PI / x * series


@njit(cache=True, inline="always")
def _erfcx_nonnegative(x: float) -> float:
    """erfcx(x) for x ≥ 0."""
    if x >= _ASYMPTOTIC_FROM:
        return _erfcx_asymptotic(x)
    return math.erfc(x) * _exp_square(x)


@njit(cache=True)
def erfcx(x: float) -> float:
    """exp(x²) erfc(x) for a float x; NaN for NaN, 0 at +inf, +inf below about −26.6."""
    if x >= 0.0:
        return _erfcx_nonnegative(x)
    if x < _OVERFLOW_BELOW:
        return math.inf
    if x < 0.0:
        return 2.0 * _exp_square(x) - _erfcx_nonnegative(-x)
    return x  # NaN

"""LogEI and its gradient with respect to (mean, std) in one Numba loop over a batch.

Notation (as in `acquisition.functions`; we minimize):

    mean, std : (m,)  posterior mean and standard deviation, std ≥ STD_FLOOR (the caller,
                      `acquisition.functions._as_mean_std`, clamps it)
    z         : (m,)  (best_f − mean) / std
    log_h(z)  = log(phi(z) + z Phi(z))  (Ament et al. 2023, arXiv:2310.20708, Eq. 9)
    slope     = d log_h / dz = Phi(z) / h(z)
    LogEI     = log_h(z) + log(std)
    ∂/∂mean   = −slope / std
    ∂/∂std    = (1 − z slope) / std, and phi(z) / h(z) / std = exp(log phi − log_h) / std
                for z > 0, where 1 − z slope cancels

Each point takes the branch of Eq. (9) that `acquisition.functions._log_h_and_slope`
(the plain-numpy twin, which the tests compare against) takes, with the same
expressions: z > −1 directly; −1.08e4 ≤ z ≤ −1 through erfcx and log1mexp
(Maechler 2012); below, the asymptotic tail. Phi(z) = erfc(−z/√2)/2 and erfcx
(`acquisition.special`) come from the C library's erfc, numpy's exp and log from
its SIMD routines, so the two differ by a few ulp, not bit for bit.

One call replaces ~35 numpy calls on a handful of points (the acquisition
optimizer's polish evaluates 8 points ~57 times per ask).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from acquisition.special import erfcx

STD_FLOOR = 1e-12  # std below it is taken as it, so that nothing returns NaN
LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)  # c1 in Eq. (9)
LOG_SQRT_PI_DIV_2 = 0.5 * math.log(math.pi / 2.0)  # c2 in Eq. (9)
INV_SQRT_2 = 1.0 / math.sqrt(2.0)
LOG_2 = math.log(2.0)
# Beyond this |z|, z**2 overflows float64 and log phi(z) is -inf.
SQRT_FLOAT_MAX = math.sqrt(np.finfo(np.float64).max)

# Branch points of log_h (Eq. 9). Above Z_UPPER the direct formula is exact enough.
Z_UPPER = -1.0
# Below Z_TAIL the asymptotic branch is used. Eq. (9) switches at -1/sqrt(eps)
# (~ -6.7e7), but there |z| m(z) = 1 - 1/z**2 rounds to 1 in float64, so the middle
# branch has already lost every digit of log(1 - |z| m(z)) (and gives NaN a little
# further out). The middle branch's rounding error grows like eps * z**2; the
# asymptotic branch's truncation error is 3 / z**2; they balance at
# |z| = (3 / eps)**(1/4) ~ 1.08e4, where both are ~3e-8.
Z_TAIL = -((3.0 / np.finfo(np.float64).eps) ** 0.25)


@njit(cache=True, inline="always")
def _log_phi(z: float) -> float:
    """log phi(z) = −z²/2 − log(2π)/2; −inf where z² overflows."""
    if abs(z) < SQRT_FLOAT_MAX:
        return -0.5 * (z * z) - LOG_SQRT_2PI
    return -math.inf


@njit(cache=True, inline="always")
def _log1mexp(x: float) -> float:
    """log(1 − exp(x)) for x < 0 (Maechler 2012; Eq. 9)."""
    if x > -LOG_2:
        return math.log(-math.expm1(x))
    return math.log1p(-math.exp(x))


@njit(cache=True, inline="always")
def _log_h_and_slope(z: float) -> tuple[float, float, float]:
    """(log_h(z), slope, log phi(z)) by the branches of Eq. (9); NaN for NaN."""
    if z > Z_UPPER:  # h ≥ h(−1) ≈ 0.083: directly
        log_pdf = _log_phi(z)
        cdf = 0.5 * math.erfc(-z * INV_SQRT_2)
        h = math.exp(log_pdf) + z * cdf
        return math.log(h), cdf / h, log_pdf
    if z >= Z_TAIL:  # h = phi (1 − |z| m), |z| m = erfcx(−z/√2) |z| √(π/2)
        scaled = erfcx(-z * INV_SQRT_2)
        log1m = _log1mexp(math.log(scaled * abs(z)) + LOG_SQRT_PI_DIV_2)
        slope = math.exp((math.log(scaled) + LOG_SQRT_PI_DIV_2) - log1m)
        return _log_phi(z) + log1m, slope, math.nan
    if z < Z_TAIL:  # 1 − |z| m ≈ 1/z²
        return _log_phi(z) - 2.0 * math.log(abs(z)), abs(z) + 2.0 / abs(z), math.nan
    return math.nan, math.nan, math.nan


@njit(cache=True, inline="always")
def _logei_point(mean: float, std: float, best_f: float) -> tuple[float, float, float]:
    """(LogEI, ∂/∂mean, ∂/∂std) at one point."""
    z = (best_f - mean) / std
    log_h, slope, log_pdf = _log_h_and_slope(z)
    if z > 0.0:
        d_std = math.exp(log_pdf - log_h) / std
    else:
        d_std = (1.0 - z * slope) / std
    return log_h + math.log(std), -slope / std, d_std


@njit(cache=True)
def logei_value_and_grad(
    mean: np.ndarray, std: np.ndarray, best_f: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(LogEI, ∂/∂mean, ∂/∂std), each (m,), for mean, std: (m,) float64."""
    m = mean.shape[0]
    value, d_mean, d_std = np.empty(m), np.empty(m), np.empty(m)
    for i in range(m):
        value[i], d_mean[i], d_std[i] = _logei_point(mean[i], std[i], best_f)
    return value, d_mean, d_std


@njit(cache=True)
def logei_value_and_x_grad(
    mean: np.ndarray, std: np.ndarray, mean_grad: np.ndarray, std_grad: np.ndarray,
    best_f: float,
) -> tuple[np.ndarray, np.ndarray]:
    """(LogEI (m,), its gradient in x (m, d)) from the posterior's: mean, std (m,), and
    their gradients in x, mean_grad, std_grad (m, d). The chain rule
    ∂a/∂x_j = ∂a/∂mean · ∂mean/∂x_j + ∂a/∂std · ∂std/∂x_j, each product rounded, then
    the sum (as numpy evaluates `da_dmean[:, None] * mean_grad + da_dstd[:, None] *
    std_grad`)."""
    m, d = mean_grad.shape
    value, grad = np.empty(m), np.empty((m, d))
    for i in range(m):
        value[i], da_dmean, da_dstd = _logei_point(mean[i], std[i], best_f)
        for j in range(d):
            grad[i, j] = da_dmean * mean_grad[i, j] + da_dstd * std_grad[i, j]
    return value, grad


@njit(cache=True)
def logei_value(mean: np.ndarray, std: np.ndarray, best_f: float) -> np.ndarray:
    """LogEI: (m,) for mean, std: (m,) float64 (the value of `logei_value_and_grad`)."""
    m = mean.shape[0]
    value = np.empty(m)
    for i in range(m):
        s = std[i]
        value[i] = _log_h_and_slope((best_f - mean[i]) / s)[0] + math.log(s)
    return value

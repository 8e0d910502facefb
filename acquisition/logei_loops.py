"""LogEI's value and gradient on its upper branch, the arithmetic in Numba loops.

    mean, std : (m,) posterior mean and standard deviation (std already floored)
    z = (best_f − mean) / std,   log φ(z) = −z²/2 − log √(2π),   Φ(z) = ndtr(z)
    h(z) = φ(z) + z Φ(z),        log EI = log h(z) + log std       (z > −1 for every row)

Ament et al. (2023), Eq. 9, upper branch, exactly as `acquisition.functions.
LogExpectedImprovement` computes it with numpy — the same operations on the same
numbers in the same order: the loops below do the additions, multiplications and
divisions (IEEE, no fastmath, so nothing is fused or reassociated), and numpy and scipy
still do every exp, log and ndtr (`upper_value_and_grad`), since numpy's exp and log are
not the C library's bit for bit (bench/results/small_n_step2.md). The result is
bit-identical to the numpy code, which stays as the twin and as the path of every batch
with a row off the upper branch (tests/test_acquisition_functions.py).
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from kernels.jit import cached_njit


@cached_njit()
def _z_and_log_pdf(
    best_f: float, mean: np.ndarray, std: np.ndarray, z_upper: float, abs_max: float,
    log_sqrt_2pi: float,
) -> tuple[np.ndarray, np.ndarray, bool]:
    """z, log φ(z) = −0.5·z² − log √(2π) (m,), and whether every z > z_upper with |z| < abs_max
    (log φ is not read otherwise)."""
    m = mean.shape[0]
    z, log_pdf = np.empty(m), np.empty(m)
    upper = True
    for i in range(m):
        zi = (best_f - mean[i]) / std[i]
        z[i] = zi
        if zi > z_upper and abs(zi) < abs_max:
            log_pdf[i] = -0.5 * (zi * zi) - log_sqrt_2pi
        else:  # numpy's code takes the batch (z² may overflow: not computed here)
            upper = False
            log_pdf[i] = 0.0
    return z, log_pdf, upper


@cached_njit()
def _h(z: np.ndarray, pdf: np.ndarray, cdf: np.ndarray) -> np.ndarray:
    """h = φ + z·Φ: (m,)."""
    h = np.empty(z.shape[0])
    for i in range(z.shape[0]):
        h[i] = pdf[i] + z[i] * cdf[i]
    return h


@cached_njit()
def _value_and_slopes(
    z: np.ndarray, cdf: np.ndarray, h: np.ndarray, log_h: np.ndarray, log_std: np.ndarray,
    log_pdf: np.ndarray, std: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """log EI, ∂/∂mean = −(Φ/h)/std, 1 − z·Φ/h (m,), and log φ − log h of the rows with z > 0
    in row order, whose exp replaces 1 − z·Φ/h there (it cancels as z grows)."""
    m = z.shape[0]
    value, d_mean, d_std = np.empty(m), np.empty(m), np.empty(m)
    count = 0
    for i in range(m):
        if z[i] > 0.0:
            count += 1
    ratio_log = np.empty(count)
    k = 0
    for i in range(m):
        value[i] = log_h[i] + log_std[i]
        slope = cdf[i] / h[i]
        d_mean[i] = -slope / std[i]
        d_std[i] = 1.0 - z[i] * slope
        if z[i] > 0.0:
            ratio_log[k] = log_pdf[i] - log_h[i]
            k += 1
    return value, d_mean, d_std, ratio_log


@cached_njit()
def _std_slope(z: np.ndarray, d_std: np.ndarray, ratio: np.ndarray, std: np.ndarray) -> np.ndarray:
    """∂/∂std = (φ/h where z > 0, else 1 − z·Φ/h) / std, in d_std's place: (m,)."""
    k = 0
    for i in range(z.shape[0]):
        if z[i] > 0.0:
            d_std[i] = ratio[k]
            k += 1
        d_std[i] = d_std[i] / std[i]
    return d_std


def upper_value_and_grad(
    best_f: float, mean: np.ndarray, std: np.ndarray, z_upper: float, abs_max: float,
    log_sqrt_2pi: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(log EI, ∂/∂mean, ∂/∂std): (m,) each, when every z > z_upper and |z| < abs_max (the
    masks of `acquisition.functions._log_h_and_slope` and `_log_phi` all true); None
    otherwise, for the numpy code to take. mean, std: (m,) float64, std floored."""
    if not (mean.dtype == std.dtype == np.float64 and mean.ndim == 1
            and mean.shape == std.shape):
        raise ValueError(f"mean and std must be float64 arrays of one shape (m,), got "
                         f"{mean.dtype} {mean.shape} and {std.dtype} {std.shape}")
    z, log_pdf, upper = _z_and_log_pdf(best_f, mean, std, z_upper, abs_max, log_sqrt_2pi)
    if not upper:
        return None
    cdf = ndtr(z)
    h = _h(z, np.exp(log_pdf), cdf)
    log_h = np.log(h)
    value, d_mean, d_std, ratio_log = _value_and_slopes(z, cdf, h, log_h, np.log(std),
                                                        log_pdf, std)
    return value, d_mean, _std_slope(z, d_std, np.exp(ratio_log), std)

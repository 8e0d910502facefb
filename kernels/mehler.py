"""Mehler's series of the covariance of g(F), summed pair by pair in one Numba loop.

    rho : (m, m)  correlations ρ_ij of the latent F (clipped to [−1, 1])
    c   : (m, K)  Hermite coefficients c_ik = E[g(μ_i + s_i X) h_k(X)], k = 1 … K
    out : (m, m)  Σ_{k=1..K} ρ_ij^k c_ik c_jk   (Mehler's formula; `bayesopt.joint`)
    power : (m, m)  ρ_ij^K, the last power, from which the caller bounds the terms left out

The same operations on the same numbers in the same order as the numpy twin
(`kernels.reference.mehler_series`: K passes over (m, m) matrices, power ← power·ρ,
out ← out + power·(c_ik·c_jk)), IEEE and without fastmath, so nothing is fused or
reassociated; here the K terms of row i are taken while its row of `power` and `out`
stays in cache, instead of K sweeps of three m×m arrays. One difference: a power below
POWER_FLUSH is taken as 0 (as `kernels.stationary.EXP_FLUSH` flushes the kernel's exp),
so ρ^k for |ρ| < 1 never runs through the subnormal numbers, on which every
multiplication is a slow microcode path (bench/results/subnormals.md). The terms dropped
are each below POWER_FLUSH·|c_ik c_jk|, K of them, far under the rounding of any sum
they enter; where no power falls below POWER_FLUSH the result is the twin's bit for bit
(tests/test_kernels.py).
"""

from __future__ import annotations

import numpy as np
from numba import prange

from kernels.jit import serial_and_parallel

POWER_FLUSH = 1e-300  # |ρ^k| below this is taken as 0: no subnormal numbers


@serial_and_parallel()
def mehler_series(rho: np.ndarray, coefficients: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """out_ij = Σ_k ρ_ij^k c_ik c_jk and power_ij = ρ_ij^K: (m, m) each (module docstring)."""
    m, terms = coefficients.shape
    ct = np.ascontiguousarray(coefficients.T)  # (K, m): row k is c_·k
    out, power = np.zeros((m, m)), np.ones((m, m))
    for i in prange(m):
        for k in range(terms):
            cik = ct[k, i]
            for j in range(m):
                p = power[i, j] * rho[i, j]
                p = 0.0 if abs(p) < POWER_FLUSH else p  # a NaN stays NaN, as in the twin
                power[i, j] = p
                out[i, j] += p * (cik * ct[k, j])
    return out, power

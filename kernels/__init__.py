"""Covariance functions for the Gaussian-process surrogate.

Numba kernel matrices and their gradients (`kernels.stationary`), plain-numpy
twins used as test references (`kernels.reference`), the `Kernel` value type
holding log-space hyperparameters (`kernels.kernel`), the Cholesky factor with
jitter escalation and in-place block append (`kernels.cholesky`), and scipy's LAPACK
and the C library's exp called from compiled code (`kernels.lapack`, `kernels.libm`).
Nothing is compiled at import time; the first call compiles (or loads from
Numba's on-disk cache).
"""

from kernels.cholesky import (
    CholeskyError,
    CholeskyFactor,
    cholesky_with_jitter,
    inverse_from_factor,
)
from kernels.kernel import KERNEL_KINDS, Kernel

__all__ = [
    "KERNEL_KINDS",
    "CholeskyError",
    "CholeskyFactor",
    "Kernel",
    "cholesky_with_jitter",
    "inverse_from_factor",
]

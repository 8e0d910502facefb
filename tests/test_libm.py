"""kernels.libm.exp against Numba's own math.exp, bit for bit.

Compiled, `exp` is the C library's default exponential called directly, `math.exp` goes
through Numba's helper and glibc's compatibility wrapper: every result must have the
same bits, over the range the kernels use (x ≤ 0 down to the flush at 1e-300 and past
it into subnormals and 0), the rest of the float range, and the edges (overflow to inf,
underflow to 0, ±0, ±inf, NaN). With NUMBA_DISABLE_JIT=1 `exp` is `math.exp` itself.
"""

from __future__ import annotations

import math
import platform

import numba
import numpy as np
from numba import njit, types

from kernels import libm


@njit(cache=True)
def _via_libm(x: np.ndarray, out: np.ndarray) -> None:
    for i in range(x.shape[0]):
        out[i] = libm.exp(x[i])


@njit(cache=True)
def _via_math(x: np.ndarray, out: np.ndarray) -> None:
    for i in range(x.shape[0]):
        out[i] = math.exp(x[i])


def _inputs() -> np.ndarray:
    rng = np.random.default_rng(0)
    edges = [0.0, -0.0, np.inf, -np.inf, np.nan, 709.78, 709.79, 710.0, -708.39, -708.4,
             -745.13, -745.14, -746.0, 1e-300, -1e-300, 5e-324, -5e-324, 1.0, -1.0,
             math.log(1e-300), np.nextafter(math.log(1e-300), 0.0)]
    return np.concatenate([
        -np.abs(rng.standard_normal(400_000)) * 40.0,  # −√5·r, −r, −r²/2 of the kernels
        -rng.exponential(3.0, 400_000),
        rng.uniform(-750.0, 710.0, 400_000),
        rng.uniform(-1.0, 1.0, 200_000) * 2.0 ** rng.integers(-60, 10, 200_000),
        np.array(edges),
    ])


def test_exp_has_the_bits_of_numbas_math_exp() -> None:
    x = _inputs()
    if numba.config.DISABLE_JIT:  # the loops run as Python, whose math.exp raises on overflow
        x = x[~(x > 709.0)]
    got, expected = np.empty_like(x), np.empty_like(x)
    _via_libm(x, got)
    _via_math(x, expected)
    assert got.tobytes() == expected.tobytes()


def test_exp_is_the_c_librarys_where_it_can_be_and_math_exp_elsewhere() -> None:
    compiled_glibc = (not numba.config.DISABLE_JIT and platform.system() == "Linux"
                      and platform.libc_ver()[0] == "glibc")
    if compiled_glibc:
        assert isinstance(libm.exp, types.ExternalFunction)
    else:
        assert libm.exp is math.exp

"""The C library's exp, called from inside a Numba loop without Numba's helper.

    exp(x) : float → float, the C library's exponential, the routine `math.exp` reaches
             in compiled code

Numba compiles ``math.exp(x)`` to a call of its helper `numba_exp`
(numba/_helperlib), which calls the C library's `exp` as it was linked when Numba's
wheel was built. On glibc that is the symbol of glibc 2.2.5, ``exp@GLIBC_2.2.5``: a
compatibility wrapper (math/w_exp_compat.c, SVID error handling) around the
exponential itself (`__ieee754_exp`); the default `exp` of glibc ≥ 2.29 is a thinner
wrapper (math/w_exp_template.c, errno only) around the same routine. Neither wrapper
changes a result (the compatibility one rewrites an overflow or underflow with the value
it already has, inf or 0), so calling the default `exp` directly gives the same bits
with one call fewer per value (bench/results/small_n_step3.md; tests/test_libm.py holds
it to Numba's ``math.exp`` bit for bit on 1.4 M inputs, edges included).

`exp` is a Numba external function resolved by name — the address registered at import
(`llvmlite.binding.add_symbol`), as `kernels.lapack` does, so the loops calling it are
cached on disk. Only on glibc: elsewhere (macOS, Windows, musl) which routine Numba's
helper ends in is not checked here, so `exp` is `math.exp` itself, as it is with
``NUMBA_DISABLE_JIT=1`` (Python's `math.exp`, which ends in the same exponential).
"""

from __future__ import annotations

import ctypes
import math
import platform
from collections.abc import Callable
from typing import cast

import llvmlite.binding
import numba
from numba import types

_SYMBOL = "bayesopt_libm_exp"


def _c_library_exp() -> int | None:
    """The address of glibc's default `exp`, or None off glibc. glibc's libm is libm.so.6
    (opened by that name: `ctypes.util.find_library` would run ldconfig at import)."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    return ctypes.cast(ctypes.CDLL("libm.so.6").exp, ctypes.c_void_p).value


def _declare() -> Callable[[float], float]:
    address = None if numba.config.DISABLE_JIT else _c_library_exp()  # type: ignore[attr-defined]
    if address is None:
        return math.exp
    llvmlite.binding.add_symbol(_SYMBOL, address)
    return cast(Callable[[float], float],
                types.ExternalFunction(_SYMBOL, types.float64(types.float64)))


exp = _declare()

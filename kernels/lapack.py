"""scipy's own LAPACK routines, callable from inside a Numba loop.

    A : (n, n) symmetric positive definite, held in a C-ordered buffer whose Fortran
        view is Aᵀ = A; LAPACK works on that view's upper triangle (C's lower one)
    L : lower Cholesky factor (C order),  L Lᵀ = A;  U = Lᵀ (its Fortran view)

`potrf`, `potrs` and `potri` are the routines of `scipy.linalg.cython_lapack` — the
same LAPACK that `scipy.linalg.lapack`'s Python wrappers call — with the C signatures
of scipy/linalg/cython_lapack.pxd: every argument a pointer (``char *uplo``, ``int
*n``, ``d *a``, ...; C ``int`` is 32 bits in every scipy build), no Fortran string
lengths. The same routine on the same arguments gives the same numbers as the Python
wrapper (tests/test_lapack.py holds each call to it bit for bit); what goes is the
wrapper's per-call cost, and the Python between calls.

Inside compiled code the routines are Numba external functions resolved by symbol
name: each process registers scipy's address under that name at import
(`llvmlite.binding.add_symbol`), so a loop calling them is cached on disk like any
other (a ctypes pointer would be baked into the compiled code, and Numba refuses to
cache that). With ``NUMBA_DISABLE_JIT=1`` the loops run as Python and the same
routines are ctypes functions, called with the arrays' `.ctypes` pointers.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from typing import cast

import llvmlite.binding
import numba
from numba import types
from numba.extending import get_cython_function_address

# (routine, number of pointer arguments) as declared in cython_lapack.pxd:
# dpotrf(uplo, n, a, lda, info); dpotri(uplo, n, a, lda, info);
# dpotrs(uplo, n, nrhs, a, lda, b, ldb, info)
_ROUTINES = {"dpotrf": 5, "dpotri": 5, "dpotrs": 8}
_PREFIX = "bayesopt_scipy_lapack_"


def _declare(name: str, arity: int) -> Callable[..., None]:
    """scipy's `name`, taking `arity` pointers: a Numba external function, or a ctypes one
    when the loops run as Python."""
    address = get_cython_function_address("scipy.linalg.cython_lapack", name)
    if numba.config.DISABLE_JIT:  # type: ignore[attr-defined]
        return cast(Callable[..., None], ctypes.CFUNCTYPE(None, *[ctypes.c_void_p] * arity)(address))
    llvmlite.binding.add_symbol(_PREFIX + name, address)
    return cast(Callable[..., None],
                types.ExternalFunction(_PREFIX + name, types.void(*[types.voidptr] * arity)))


potrf = _declare("dpotrf", _ROUTINES["dpotrf"])  # Cholesky factor, in place
potri = _declare("dpotri", _ROUTINES["dpotri"])  # A⁻¹ from the factor, in place
potrs = _declare("dpotrs", _ROUTINES["dpotrs"])  # A⁻¹B from the factor, B in place

UPPER = 85  # ord("U"): LAPACK's uplo argument, one byte
LOWER = 76  # ord("L")

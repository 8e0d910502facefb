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
import numpy as np
from numba import types
from numba.extending import get_cython_function_address

from kernels.jit import cached_njit

# (routine, number of pointer arguments) as declared in cython_lapack.pxd:
# dpotrf(uplo, n, a, lda, info); dpotri(uplo, n, a, lda, info);
# dpotrs(uplo, n, nrhs, a, lda, b, ldb, info)
_ROUTINES = {"dpotrf": 5, "dpotri": 5, "dpotrs": 8}
_PREFIX = "bayesopt_scipy_lapack_"


def scipy_lapack_address(name: str) -> int:
    """The address of the routine `name` (``"dpotrf"``) of `scipy.linalg.cython_lapack`,
    whose C signature is the one scipy/linalg/cython_lapack.pxd declares (module
    docstring): the one place this package looks scipy's LAPACK up (`kernels.cholesky`
    calls its dtrtrs through ctypes)."""
    return int(get_cython_function_address("scipy.linalg.cython_lapack", name))


def _declare(name: str, arity: int) -> Callable[..., None]:
    """scipy's `name`, taking `arity` pointers: a Numba external function, or a ctypes one
    when the loops run as Python."""
    address = scipy_lapack_address(name)
    if numba.config.DISABLE_JIT:  # type: ignore[attr-defined]
        prototype = ctypes.CFUNCTYPE(None, *[ctypes.c_void_p] * arity)
        return cast(Callable[..., None], prototype(address))
    llvmlite.binding.add_symbol(_PREFIX + name, address)
    return cast(Callable[..., None],
                types.ExternalFunction(_PREFIX + name, types.void(*[types.voidptr] * arity)))


potrf = _declare("dpotrf", _ROUTINES["dpotrf"])  # Cholesky factor, in place
potri = _declare("dpotri", _ROUTINES["dpotri"])  # A⁻¹ from the factor, in place
potrs = _declare("dpotrs", _ROUTINES["dpotrs"])  # A⁻¹B from the factor, B in place

# LAPACK's uplo arguments, one byte each: "U" then "L" (read only)
UPLO = np.frombuffer(b"UL", dtype=np.uint8)


def workspace(n: int) -> np.ndarray:
    """The integer arguments of `factor_solve_invert` for an n×n matrix: (n, nrhs = 1, info),
    C int (int32). Reused call after call: LAPACK writes info on every call."""
    return np.array([n, 1, 0], dtype=np.int32)


def factor_solve_invert(
    K: np.ndarray, y: np.ndarray, ints: np.ndarray
) -> tuple[int, int, np.ndarray, np.ndarray]:
    """`_factor_solve_invert` on arrays checked first: LAPACK gets bare pointers, and an
    array of another layout, type or size would be read or written out of bounds."""
    n = K.shape[0]
    if not (K.dtype == np.float64 and K.shape == (n, n) and K.flags.c_contiguous
            and K.flags.writeable and y.dtype == np.float64 and y.shape == (n,)
            and y.flags.c_contiguous and ints.dtype == np.int32 and ints.shape == (3,)
            and ints[0] == n and ints[1] == 1):
        raise ValueError(
            f"factor_solve_invert needs a writeable C-contiguous float64 K: (n, n), a "
            f"C-contiguous float64 y: (n,) and ints = workspace(n); got K {K.dtype} "
            f"{K.shape}, y {y.dtype} {y.shape}, ints {ints!r}")
    return _factor_solve_invert(K, y, ints, UPLO)


@cached_njit()
def _factor_solve_invert(
    K: np.ndarray, y: np.ndarray, ints: np.ndarray, uplo: np.ndarray
) -> tuple[int, int, np.ndarray, np.ndarray]:
    """L = chol(K), alpha = K⁻¹y and K⁻¹ in K's place, as the MAP objective called them
    through scipy's wrappers (`bayesopt.fitting.NegativeLogPosterior`): potrf on the
    Fortran view's upper triangle (`kernels.cholesky.cholesky_lower`); potrs('L') on a
    Fortran copy of L and a copy of y (what `scipy.linalg.lapack.dpotrs` passes LAPACK for
    a C-ordered L; R&W Alg. 2.1, line 3); potri on the factor in place
    (`kernels.cholesky.inverse_from_factor`). K: (n, n) C-contiguous, symmetric;
    y: (n,); ints: `workspace(n)`; uplo: `UPLO`.

    Returns (stage, info, alpha (n,), diag L (n,)): stage 0 when every routine succeeded
    (K then holds K⁻¹ in its lower triangle), else the routine that failed (1 potrf: K is
    not positive definite; 2 potrs; 3 potri) with LAPACK's info, and arrays not to read.
    """
    n = K.shape[0]
    size, rhs, info = ints[0:1].ctypes, ints[1:2].ctypes, ints[2:3].ctypes
    potrf(uplo[0:1].ctypes, size, K.ctypes, size, info)
    if ints[2] != 0:
        return 1, ints[2], y, y
    LF = np.empty((n, n))  # C view of the Fortran copy: LF[j, i] = L[i, j]; lower part read
    diagonal = np.empty(n)
    for i in range(n):
        diagonal[i] = K[i, i]
        for j in range(i + 1):
            LF[j, i] = K[i, j]
    alpha = y.copy()
    potrs(uplo[1:2].ctypes, size, rhs, LF.ctypes, size, alpha.ctypes, size, info)
    if ints[2] != 0:
        return 2, ints[2], y, y
    potri(uplo[0:1].ctypes, size, K.ctypes, size, info)
    return (0 if ints[2] == 0 else 3), ints[2], alpha, diagonal

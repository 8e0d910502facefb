"""Cholesky factor of a kernel matrix, grown in place as rows arrive.

Notation:

    A  : (n, n) symmetric positive definite (a kernel matrix plus noise)
    L  : (n, n) lower triangular, L Lᵀ = A + jitter·I
    B  : (n, k) cross block A[old, new],  C : (k, k) new block A[new, new]

Block append (Golub & Van Loan, *Matrix Computations*, 4th ed., §4.2.9,
applied to a bordered matrix). For

    A' = [[A,  B],        L' = [[L,  0],
          [Bᵀ, C]]              [Sᵀ, M]]

L' L'ᵀ = A' gives L Sᵀ... written out: L S = B and Sᵀ S + M Mᵀ = C, so

    S = L⁻¹ B                 (one triangular solve with k right-hand sides, O(n²k))
    M = chol(C − Sᵀ S)        (the Schur complement, a k×k factorization, O(nk² + k³))

and the old factor is untouched. The factor lives in the top-left corner of
a row-major buffer with spare capacity, so appending writes k new rows and
dropping them again (for fantasized observations) is free.

A factorization that fails is retried with jitter added to the diagonal in
growing steps (1e-10 … 1e-1 of the mean diagonal); `CholeskyError` is raised
only if even that fails, which for a finite kernel matrix does not happen.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import math
from collections.abc import Callable
from typing import cast

import numpy as np
from scipy.linalg import lapack, solve_triangular

from kernels.jit import cached_njit
from kernels.lapack import scipy_lapack_address
from kernels.threads import one_blas_thread

JITTER_STEPS = tuple(10.0**p for p in range(-10, 0))  # relative to the mean diagonal
# Up to this many right-hand sides the Numba loops on the buffer beat copying L for
# BLAS. The choice depends on the shape only, never on the call history, so the same
# sequence of appends and solves rounds the same way in every run (resume relies on it).
_FEW_RHS = 16
# From this many rows on, L (8·n² bytes) no longer stays in cache and the Numba loops,
# which sweep it once per block of right-hand sides, are bound by memory: LAPACK's
# blocked trsm is then faster for 2 to 16 right-hand sides too (`python -m
# bench.profile_step`, bench/results/profile_step.md, n = 2000). One right-hand side (a
# tell's append) keeps the loops.
_LAPACK_MIN_N = 1000
# Right-hand sides the Numba solves sweep together over each row of L: a few, so that a
# row is read once per block while it is in cache rather than once per right-hand side,
# and their running sums stay in registers. Fixed, like _FEW_RHS, so that a solve rounds
# the same way in every run (each right-hand side sees the same operations in any block).
_RHS_BLOCK = 4
# Up to this many rows OpenBLAS's trsm (scipy's build, Haswell kernels) solves each of 2
# or more right-hand sides by the same operations however many there are; above it, its
# blocking rounds a column differently with other column counts when n % 8 ≠ 0
# (`CholeskyFactor.solves_alike`).
_ALIKE_MAX_N = 384
# The column groups `_lapack_column_group` tries: a trsm kernel sweeps the right-hand
# sides in groups of its unroll width and a remainder narrower than it by another code
# path (on SkylakeX every column alike, group 1; on AMD EPYC, Haswell kernels, an odd
# column out rounds otherwise with one BLAS thread and a column out of a pair with two:
# group 4).
_COLUMN_GROUPS = (1, 2, 4, 8)
_PROBE_ROWS = (40,)


class CholeskyError(RuntimeError):
    """The matrix could not be factorized even with the largest jitter."""


def cholesky_lower(A: np.ndarray, overwrite: bool = False) -> np.ndarray | None:
    """Lower factor of a C-contiguous SPD matrix via LAPACK potrf, or None if not PD.

    The matrix is copied once (`overwrite`: not at all, A's buffer becomes L, for a
    C-contiguous float64 A no one reads again); potrf runs on the transposed (Fortran)
    view so the result is a C-contiguous lower factor without a second copy.
    """
    work = _own_buffer(A) if overwrite else np.array(A, dtype=np.float64, order="C", copy=True)
    # potrf(upper) on the Fortran view Aᵀ = A writes U with UᵀU = A; in C order that is L = Uᵀ.
    _, info = lapack.dpotrf(work.T, lower=0, clean=1, overwrite_a=1)
    return work if info == 0 else None


def cholesky_with_jitter(
    A: np.ndarray, jitter: float = 0.0, scale: float | None = None, overwrite: bool = False,
) -> tuple[np.ndarray, float]:
    """Factor A + jitter·I, escalating the jitter until it succeeds. Returns (L, jitter).

    The escalation steps are relative to `scale` (default: the mean diagonal of A).
    `overwrite`: A's buffer becomes L and no n×n copy is made, for a symmetric
    C-contiguous float64 A that no one reads again (a kernel matrix built for the
    factor: its loops write each entry to both triangles). potrf reads and writes only
    A's lower triangle, so after a failed attempt the lower triangle is put back from
    the untouched upper one and the saved diagonal, and the next jitter is added to the
    diagonal in place: the same numbers as A + jitter·I, so the same L.
    """
    if not np.all(np.isfinite(A)):
        raise CholeskyError("matrix has non-finite entries; check the inputs and hyperparameters")
    if scale is None:
        scale = float(np.mean(np.diag(A)))
    scale = max(scale, np.finfo(float).tiny)
    candidates = (jitter,) + tuple(step * scale for step in JITTER_STEPS if step * scale > jitter)
    factor = _InPlaceAttempts(A) if overwrite else None
    for trial in candidates:
        if factor is not None:
            L = factor.attempt(trial)
        else:
            L = cholesky_lower(A + trial * np.eye(A.shape[0]) if trial > 0 else A)
        if L is not None:
            return L, trial
    raise CholeskyError(
        f"matrix of size {A.shape[0]} is not positive definite even with jitter "
        f"{candidates[-1]:.3g}; the inputs may be degenerate"
    )


class _InPlaceAttempts:
    """Factor attempts of A + trial·I in A's own buffer (`cholesky_with_jitter(overwrite=True)`).

    A: (n, n) symmetric; potrf on the Fortran view's upper triangle reads and writes
    only C's lower one (diagonal included), so `_restore` rebuilds A from the strict
    upper triangle (A's, by symmetry) and the diagonal saved at the start.
    """

    def __init__(self, A: np.ndarray) -> None:
        self.A = _own_buffer(A)
        self.diagonal = A.diagonal().copy()  # (n,)
        self.spoiled = False  # whether a failed potrf left part of L in the lower triangle

    def attempt(self, trial: float) -> np.ndarray | None:
        A = self.A
        if self.spoiled:
            self._restore()
        if trial > 0:  # a + trial·1 on the diagonal, a + trial·0 = a off it: A + trial·I
            np.fill_diagonal(A, self.diagonal + trial)
        # clean=0: a failure must leave the upper triangle for `_restore`
        _, info = lapack.dpotrf(A.T, lower=0, clean=0, overwrite_a=1)
        if info != 0:
            self.spoiled = True
            return None
        for i in range(A.shape[0] - 1):  # L is lower: clear what remains of A above it
            A[i, i + 1:] = 0.0
        return A

    def _restore(self) -> None:
        A = self.A
        for i in range(1, A.shape[0]):
            A[i, :i] = A[:i, i]
        np.fill_diagonal(A, self.diagonal)


def inverse_from_factor(L: np.ndarray, overwrite: bool = False) -> np.ndarray:
    """A⁻¹ from L (LAPACK potri). Only the lower triangle of the result is valid.

    `overwrite`: L's buffer becomes A⁻¹ (no copy), for a C-contiguous float64 L that
    nothing reads again."""
    work = _own_buffer(L) if overwrite else np.array(L, order="C", copy=True)
    _, info = lapack.dpotri(work.T, lower=0, overwrite_c=1)  # upper of Fortran view = lower in C
    check_info("potri", info)
    return work


@functools.lru_cache(maxsize=1)
def _trtrs() -> Callable[..., None]:
    """LAPACK dtrtrs of scipy's own LAPACK (`scipy.linalg.cython_lapack`, the routine
    `solve_triangular` calls), taking a leading dimension, so that L is read where it
    lies in the factor's buffer.

    The prototype is the Cython wrapper's C signature in scipy/linalg/cython_lapack.pxd,
    ``void dtrtrs(char *uplo, char *trans, char *diag, int *n, int *nrhs, d *a, int *lda,
    d *b, int *ldb, int *info)``: C ``int`` (LP64 in every scipy build, ctypes.c_int),
    no Fortran string lengths (passing them to LAPACK is the wrapper's business);
    tests/test_cholesky.py reads the installed .pxd to hold this to it."""
    int_p, double_p = ctypes.POINTER(ctypes.c_int), ctypes.c_void_p
    prototype = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p,
                                 int_p, int_p, double_p, int_p, double_p, int_p, int_p)
    return cast(Callable[..., None], prototype(scipy_lapack_address("dtrtrs")))


def _trtrs_in_buffer(buffer: np.ndarray, n: int, columns: np.ndarray, lower: bool) -> np.ndarray:
    """L⁻¹B (`lower`) or L⁻ᵀB for B = columns: (n, k), L the leading n×n of the C-ordered
    (capacity, capacity) buffer.

    The buffer's Fortran view is Lᵀ, upper triangular with leading dimension capacity:
    trtrs('U', 'T') on it solves L X = B, trtrs('U', 'N') Lᵀ X = B — the calls
    `solve_triangular(L, B, lower=True, trans=0 or 1)` makes on a C-contiguous copy of L,
    with the same operations (trtrs reads a matrix through its leading dimension), and
    without the n×n copy."""
    # ctypes hands LAPACK a bare pointer: a buffer of another layout would be read out of bounds
    if not (buffer.flags.c_contiguous and buffer.dtype == np.float64
            and buffer.ndim == 2 and buffer.shape[0] == buffer.shape[1]):
        raise ValueError(f"buffer: need a square C-contiguous float64 array, got dtype "
                         f"{buffer.dtype} shape {buffer.shape}")
    if not 0 <= n <= buffer.shape[0] or columns.ndim != 2 or columns.shape[0] != n:
        raise ValueError(f"n={n}, columns of shape {columns.shape}: need 0 <= n <= "
                         f"{buffer.shape[0]} and (n, k) columns")
    out = np.array(columns, dtype=np.float64, order="F", copy=True)  # solved in place
    info = ctypes.c_int(0)
    size, n_rhs = ctypes.c_int(n), ctypes.c_int(out.shape[1])
    lda, ldb = ctypes.c_int(buffer.shape[0]), ctypes.c_int(max(1, n))
    _trtrs()(b"U", b"T" if lower else b"N", b"N", ctypes.byref(size), ctypes.byref(n_rhs),
             buffer.ctypes.data, ctypes.byref(lda), out.ctypes.data, ctypes.byref(ldb),
             ctypes.byref(info))
    check_info("trtrs", info.value)
    return out


@functools.lru_cache(maxsize=1)
def _lapack_column_group() -> int:
    """The smallest g of `_COLUMN_GROUPS` for which this machine's trtrs solves any k
    columns of a batch, padded with copies of the last to a multiple of g (and to at least
    2), bit for bit as within the batch; 0 if none does.

    A property of the LAPACK build and the CPU (which kernels OpenBLAS picks), so it is
    probed once per process, on a fixed SPD matrix of 40 rows, every k ≤ 9 of a
    batch of 64, with one BLAS thread and with the default ones."""
    batch = 64
    alike = dict.fromkeys(_COLUMN_GROUPS, True)
    for n in _PROBE_ROWS:
        x = np.linspace(0.0, 1.0, n)[:, None]  # (n, 1)
        L = cholesky_lower(np.exp(-0.5 * ((x - x.T) / 0.3) ** 2) + 1e-2 * np.eye(n))
        assert L is not None, "the probe's matrix is positive definite"
        buffer = np.ascontiguousarray(L)
        B = np.sin(np.arange(n * batch, dtype=np.float64).reshape(n, batch) * 0.37)
        for context in (one_blas_thread, contextlib.nullcontext):
            with context():
                inside = _trtrs_in_buffer(buffer, n, B, True)
                for k in range(1, 10):
                    taken = np.arange(k) * 7 % batch  # (k,) columns spread over the batch
                    for group in _COLUMN_GROUPS:
                        if alike[group]:
                            out = _trtrs_in_buffer(buffer, n, _padded(B[:, taken], group), True)
                            alike[group] = np.array_equal(out[:, :k], inside[:, taken])
    return next((group for group in _COLUMN_GROUPS if alike[group]), 0)


def _padded(columns: np.ndarray, group: int) -> np.ndarray:
    """columns: (n, k) followed by copies of the last, to a multiple of `group` and at
    least 2 (trtrs's one-column path rounds otherwise than its many-column one)."""
    k = columns.shape[1]
    width = max(2, -(-k // max(1, group)) * max(1, group))
    if width == k:
        return columns
    return np.concatenate([columns, np.repeat(columns[:, -1:], width - k, axis=1)], axis=1)


def check_info(routine: str, info: int) -> None:
    """LAPACK's `info` of potrs, potri or trtrs on a factor (LAPACK Users' Guide, §4.6):
    < 0, an illegal argument — none from this library's calls; > 0, L[info−1, info−1] = 0
    — none in a factor of potrf or `CholeskyFactor.append` (its diagonal is the square
    root of a positive pivot), only in one handed to `CholeskyFactor(L)`. Raised, not
    asserted: under ``python -O`` an assert would let a wrong solution through."""
    if info != 0:
        raise CholeskyError(f"LAPACK {routine} failed with info={info}: "
                            + ("an illegal argument" if info < 0 else
                               f"the factor's diagonal entry {info - 1} is zero"))


def _own_buffer(A: np.ndarray) -> np.ndarray:
    """A itself, for LAPACK to overwrite: its Fortran view must be what LAPACK works on."""
    # raised, not asserted: under python -O LAPACK would work on a copy and A would be
    # returned unfactored
    if not (A.dtype == np.float64 and A.flags.c_contiguous and A.flags.writeable):
        raise ValueError(f"overwrite=True needs a writeable C-contiguous float64 matrix, got "
                         f"dtype {A.dtype}, c_contiguous={A.flags.c_contiguous}, "
                         f"writeable={A.flags.writeable}")
    return A


@cached_njit(fastmath=True)
def _forward_substitution(L: np.ndarray, Bt: np.ndarray) -> None:
    """Solve L X = B in place, B given transposed as Bt: (k, n); L: the leading n×n of a C buffer.

    Passing the whole C-contiguous buffer (not a view of its corner) lets Numba
    assume unit stride along rows and vectorize the inner dot product. The
    right-hand sides go in blocks of `_RHS_BLOCK`, each row of L swept once
    per block while it is in cache rather than once per right-hand side;
    every right-hand side sees the same operations in the same order as when
    solved alone. Serial: at the sizes where threads would run (n ≥ 500) the
    blocked sweep costs less CPU than a thread per right-hand side.
    """
    k, n = Bt.shape
    for first in range(0, k, _RHS_BLOCK):
        for i in range(n):
            for c in range(first, min(k, first + _RHS_BLOCK)):
                acc = Bt[c, i]
                for j in range(i):
                    acc -= L[i, j] * Bt[c, j]
                Bt[c, i] = acc / L[i, i]


@cached_njit(fastmath=True)
def _backward_substitution(L: np.ndarray, Bt: np.ndarray) -> None:
    """Solve Lᵀ X = B in place (column sweep, reading rows of L), Bt: (k, n); L as above,
    right-hand sides in blocks as in `_forward_substitution`."""
    k, n = Bt.shape
    for first in range(0, k, _RHS_BLOCK):
        for i in range(n - 1, -1, -1):
            for c in range(first, min(k, first + _RHS_BLOCK)):
                x = Bt[c, i] / L[i, i]
                Bt[c, i] = x
                for j in range(i):
                    Bt[c, j] -= L[i, j] * x


def _uses_lapack(n: int, n_rhs: int) -> bool:
    """Whether a solve with n rows and n_rhs right-hand sides goes to LAPACK (else the Numba
    loops): many right-hand sides, or a factor too large for the cache and more than one."""
    return n_rhs > _FEW_RHS or (n >= _LAPACK_MIN_N and n_rhs > 1)


class CholeskyFactor:
    """Lower Cholesky factor with in-place block append and free truncation."""

    def __init__(self, L: np.ndarray, jitter: float = 0.0, capacity: int | None = None,
                 lower: bool = False) -> None:
        """The factor L: (n, n), of which the lower triangle is read (`lower`: L is zero
        above its diagonal already, copied as it is without a temporary np.tril(L))."""
        n = L.shape[0]
        capacity = max(capacity or 0, n, 8)
        self._buffer = np.zeros((capacity, capacity))
        self._buffer[:n, :n] = L if lower else np.tril(L)
        self._n: int = n
        self.jitter = jitter  # added to the diagonal of the first factorization

    @classmethod
    def factorize(cls, A: np.ndarray, jitter: float = 0.0, capacity: int | None = None,
                  overwrite: bool = False) -> CholeskyFactor:
        """The factor of A + jitter·I (more jitter if needed, `cholesky_with_jitter`).

        `overwrite`: A is factored in its own buffer (`cholesky_with_jitter`), so besides
        the factor's buffer no n×n matrix is made; A must be symmetric and unread after."""
        L, used = cholesky_with_jitter(A, jitter, overwrite=overwrite)
        return cls(L, used, capacity, lower=True)

    @property
    def n(self) -> int:
        return self._n

    @property
    def L(self) -> np.ndarray:
        """The factor as a (strided) view into the buffer; do not write to it."""
        return self._buffer[: self._n, : self._n]

    def log_determinant(self) -> float:
        """log det(A) = 2 Σ log L_ii."""
        return 2.0 * float(np.sum(np.log(np.diag(self.L))))

    def solve_lower(self, B: np.ndarray, batch: int | None = None) -> np.ndarray:
        """L⁻¹ B for B: (n,) or (n, k).

        `batch`: solve the k columns as they are solved within a batch of that many
        (default k): the path (Numba loops or LAPACK) and its threads are the batch's.
        Where `solves_alike(batch)`, columns taken out of a batch then round exactly as
        inside it.
        """
        return self._solve(B, lower=True, batch=batch)

    def solves_alike(self, batch: int) -> bool:
        """Whether `solve_lower(B, batch)` of any columns of a batch equals, bit for bit,
        those columns of the batch solved at once: the Numba loops solve each column by
        the same operations whatever the others are, OpenBLAS's trsm does up to
        `_ALIKE_MAX_N` rows for a batch that is a multiple of the machine's column group
        (`_lapack_column_group`; tests/test_cholesky.py checks both)."""
        if not _uses_lapack(self._n, batch):
            return True
        group = _lapack_column_group()
        return self._n <= _ALIKE_MAX_N and group > 0 and batch % group == 0

    def solve_upper(self, B: np.ndarray) -> np.ndarray:
        """L⁻ᵀ B for B: (n,) or (n, k)."""
        return self._solve(B, lower=False)

    def solve(self, B: np.ndarray) -> np.ndarray:
        """A⁻¹ B = L⁻ᵀ (L⁻¹ B)  (R&W Alg. 2.1, line 3)."""
        return self.solve_upper(self.solve_lower(B))

    def _solve(self, B: np.ndarray, lower: bool, batch: int | None = None) -> np.ndarray:
        B = np.asarray(B, dtype=np.float64)
        assert B.shape[0] == self._n, f"right-hand side has {B.shape[0]} rows, factor has {self._n}"
        columns = B.reshape(self._n, -1)
        width = columns.shape[1] if batch is None else batch
        assert width >= columns.shape[1], f"batch={batch} < {columns.shape[1]} columns"
        if _uses_lapack(self._n, width):
            # a few right-hand sides are too little work to share: a second BLAS thread
            # would only spin (kernels.threads)
            with one_blas_thread() if width <= _FEW_RHS else contextlib.nullcontext():
                out = self._lapack_solve(columns, lower, taken=columns.shape[1] < width)
        else:
            Bt = np.array(columns.T, order="C", copy=True)  # solved in place; never touch B
            (_forward_substitution if lower else _backward_substitution)(self._buffer, Bt)
            out = Bt.T
        return cast(np.ndarray, out.reshape(B.shape))

    def _lapack_solve(self, columns: np.ndarray, lower: bool, taken: bool) -> np.ndarray:
        """LAPACK trtrs on L where it lies in the buffer (`_trtrs_in_buffer`); `taken`:
        columns of a larger batch, padded as `_lapack_column_group` found they round as
        within it (one column at least to two: LAPACK's one-column path rounds
        differently from its many-column one)."""
        k = columns.shape[1]
        if taken:  # beyond _ALIKE_MAX_N rows no group makes them alike: only the one-column rule
            columns = _padded(columns, _lapack_column_group() if self._n <= _ALIKE_MAX_N else 1)
        out = _trtrs_in_buffer(self._buffer, self._n, columns, lower)
        return out[:, :k] if out.shape[1] != k else out

    def forward_tail(self, z_head: np.ndarray, b_tail: np.ndarray) -> np.ndarray:
        """Finish a forward substitution: given z = L⁻¹b on the first h rows, the rest of it.

        z_head: (h,), b_tail: (n − h,) → (n − h,). Forward substitution
        never revisits earlier rows, so after appending k rows the cached
        L⁻¹b extends in O(nk): z_tail = M⁻¹(b_tail − L[h:, :h] z_head).
        """
        h = z_head.shape[0]
        assert h + b_tail.shape[0] == self._n, "z_head and b_tail must cover the factor's rows"
        rhs = b_tail - self._buffer[h : self._n, :h] @ z_head
        return cast(np.ndarray, solve_triangular(self._buffer[h : self._n, h : self._n], rhs,
                                                 lower=True, check_finite=False))

    def append(self, cross: np.ndarray, block: np.ndarray) -> float:
        """Grow the factor by k rows: cross = A[old, new] (n, k), block = A[new, new] (k, k).

        Returns the jitter that had to be added to the new diagonal block (0.0
        normally; larger when the new rows nearly duplicate old ones).
        """
        n, k = self._n, block.shape[0]
        assert cross.shape == (n, k), f"cross block has shape {cross.shape}, expected {(n, k)}"
        self._reserve(n + k)
        S = self.solve_lower(cross) if n else np.empty((0, k))  # (n, k): L S = B
        schur = block - S.T @ S + self.jitter * np.eye(k)
        # a Schur complement near 0 (new rows ≈ old ones) needs jitter on the scale of A,
        # not of itself
        M, extra = cholesky_with_jitter(0.5 * (schur + schur.T),
                                        scale=float(np.mean(np.diag(block))))
        self._buffer[n : n + k, :n] = S.T
        self._buffer[n : n + k, n : n + k] = M
        self._n = n + k
        return extra

    def truncate(self, n: int) -> None:
        """Drop every row after the first n (the leading block of L is L of the leading block
        of A)."""
        assert 0 <= n <= self._n, f"cannot truncate a factor of size {self._n} to {n}"
        if n != self._n:
            self._n = n

    def _reserve(self, size: int) -> None:
        capacity = self._buffer.shape[0]
        if size <= capacity:
            return
        grown = np.zeros((max(size, math.ceil(1.5 * capacity)),) * 2)
        grown[: self._n, : self._n] = self.L
        self._buffer = grown

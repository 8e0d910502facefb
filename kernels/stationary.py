"""Numba kernels for stationary ARD covariance functions.

Notation (R&W 2006, ch. 4):

    X  : (n, d) inputs,  X* : (m, d) query inputs
    l  : (d,)  lengthscales,  s2 : signal variance
    Z  = X / l (inputs pre-scaled by the lengthscales)
    r² = Σ_j (x_j - y_j)² / l_j² = |z_x - z_y|²
    k(x, y) = s2 · κ(r)              κ one of the radial profiles below
    g(r)   = κ'(r) / r               finite at r = 0 for every profile but Matérn-1/2

Derivatives used here (chain rule through r):

    ∂k/∂x_j       =  s2 · g(r) · (x_j - y_j) / l_j²
    ∂k/∂log l_j   = -s2 · g(r) · (x_j - y_j)² / l_j²
    ∂k/∂log s2    =  k

Every function takes a `kind` code (MATERN52, MATERN32, MATERN12, RBF) so a
single compiled loop serves all kernels. Loops over pairs of rows are
parallel over *balanced* row pairs (row t with row n-1-t), because row a of a
triangular loop does a units of work. `kernels.reference` holds a plain-numpy
twin of each function, which the tests compare against.

What a machine's first run compiles (bench/results/cold_start.md) is kept
small: the loops index arrays element by element and use no array expression
(`out[:d] = v`, `grad += row`, `grad * s2`), each of which Numba compiles
through its broadcasting machinery; and every distinct `np.zeros` or
`np.empty` call signature (rank, dtype argument) compiles an implementation
of its own, so the loops share a few (the gradient contraction zeroes
`np.empty` arrays by loop rather than adding two `np.zeros` signatures; Zᵀ is
copied by loop, `_transposed`, rather than by `np.ascontiguousarray`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numba import prange

from kernels.jit import cached_njit, serial_and_parallel
from kernels.libm import exp

MATERN52 = 0
MATERN32 = 1
MATERN12 = 2
RBF = 3

_SQRT3 = math.sqrt(3.0)
_SQRT5 = math.sqrt(5.0)
# exp(−x) below this is taken as 0, so that κ and κ'/r are either 0 or normal numbers:
# subnormal operands take a slow path in the floating-point units (a triangular solve
# whose right-hand sides are candidates far from every observation: measured in
# bench/results/subnormals.md), and a covariance this small changes no sum it enters.
EXP_FLUSH = 1e-300


@cached_njit(inline="always")
def radial_profile(kind: int, r2: float) -> tuple[float, float]:
    """Return (κ(r), κ'(r)/r) for r² = r2 (R&W Eq. 4.14, 4.17 for Matérn; 4.9 for RBF).
    The exponential is the C library's, called directly (`kernels.libm.exp`), and flushed
    to 0 below `EXP_FLUSH` — written out in each branch: every loop inlines this function,
    and Numba's inliner would inline a helper for the flush four times per loop, re-reading
    its bytecode each time (a machine's first run compiles that; bench/results/cold_start.md)."""
    if kind == RBF:
        k = exp(-0.5 * r2)
        k = k if k >= EXP_FLUSH else 0.0
        return k, -k
    r = math.sqrt(r2)
    if kind == MATERN52:
        e = exp(-_SQRT5 * r)
        e = e if e >= EXP_FLUSH else 0.0
        return (1.0 + _SQRT5 * r + (5.0 / 3.0) * r2) * e, -(5.0 / 3.0) * (1.0 + _SQRT5 * r) * e
    if kind == MATERN32:
        e = exp(-_SQRT3 * r)
        e = e if e >= EXP_FLUSH else 0.0
        return (1.0 + _SQRT3 * r) * e, -3.0 * e
    e = exp(-r)  # Matérn-1/2: not differentiable at r = 0; zero subgradient there
    e = e if e >= EXP_FLUSH else 0.0
    return e, (-e / r if r > 0.0 else 0.0)


@cached_njit(inline="always")
def _squared_distance(a: np.ndarray, b: np.ndarray) -> float:
    acc = 0.0
    for j in range(a.shape[0]):
        diff = a[j] - b[j]
        acc += diff * diff
    return acc


@cached_njit(inline="always")
def _squared_distances(
    Zq: np.ndarray, i: int, ZT: np.ndarray, count: int, out: np.ndarray
) -> None:
    """out[b] = |zq_i − z_b|² for b < count; ZT = Zᵀ: (d, n), C-contiguous.

    The sums of `_squared_distance` (over j in order, from 0.0) for all b at once, with
    the loop over b innermost so that the compiler runs it in SIMD lanes (the small-n
    step it speeds up: bench/results/small_n_step.md): the same operations on each pair
    in the same order, hence the same bits (these loops are compiled without fastmath,
    so nothing is reassociated or fused).
    """
    for b in range(count):
        out[b] = 0.0
    for j in range(ZT.shape[0]):
        q = Zq[i, j]
        for b in range(count):
            diff = q - ZT[j, b]
            out[b] += diff * diff


@cached_njit(inline="always")
def _transposed(Z: np.ndarray) -> np.ndarray:
    """Zᵀ: (d, n) C-contiguous, for Z: (n, d) — what `np.ascontiguousarray(Z.T)` returns,
    without compiling Numba's implementation of it (its own compilation unit)."""
    n, d = Z.shape
    ZT = np.empty((d, n))
    for j in range(d):
        for b in range(n):
            ZT[j, b] = Z[b, j]
    return ZT


@cached_njit(inline="always")
def _balanced_row(t: int, half: int, n: int) -> int:
    """Row t (half 0) or its partner n-1-t (half 1; -1 if that is t itself).

    Rows t and n-1-t together do n+1 units of a triangular loop, so a prange
    over t hands every thread the same amount of work.
    """
    row: int = np.int64(t)  # a prange index is unsigned; keep the arithmetic signed
    if half == 0:
        return row
    partner: int = np.int64(n) - 1 - row
    return partner if partner != row else np.int64(-1)


@cached_njit(inline="always")
def _kernel_row(
    kind: int, Z: np.ndarray, ZT: np.ndarray, s2: float, diag_add: float, a: int,
    K: np.ndarray, P: np.ndarray, with_profile: bool,
) -> None:
    """Row a of K (and its mirror column); with_profile also (κ, g) of each pair (a, b < a)
    into P at the packed index a(a − 1)/2 + b. ZT = Zᵀ: (d, n) C-contiguous; row a's r²
    are first written where its kernel values go (K[a, :a], read by no other row)."""
    base = a * (a - 1) // 2
    _squared_distances(Z, a, ZT, a, K[a])
    for b in range(a):
        k, g = radial_profile(kind, K[a, b])
        K[a, b] = s2 * k
        K[b, a] = s2 * k
        if with_profile:
            P[base + b, 0] = k
            P[base + b, 1] = g
    K[a, a] = s2 + diag_add


@serial_and_parallel()
def kernel_matrix(kind: int, Z: np.ndarray, s2: float, diag_add: float) -> np.ndarray:
    """K_ab = s2·κ(|z_a - z_b|) + diag_add·[a == b];  Z: (n, d) → K: (n, n)."""
    n = Z.shape[0]
    ZT = _transposed(Z)
    K = np.empty((n, n))
    P = np.empty((0, 2))
    for t in prange((n + 1) // 2):
        for half in range(2):
            a = _balanced_row(t, half, n)
            if a >= 0:
                _kernel_row(kind, Z, ZT, s2, diag_add, a, K, P, False)
    return K


@serial_and_parallel()
def kernel_matrix_with_profile(
    kind: int, Z: np.ndarray, s2: float, diag_add: float
) -> tuple[np.ndarray, np.ndarray]:
    """`kernel_matrix`, and P: (n(n − 1)/2, 2), the (κ(r), g(r)) of each pair (a, b < a)
    row by row (packed index a(a − 1)/2 + b), which `lml_gradient_contraction` reads
    instead of evaluating the profile (a square root and an exponential) a second time.
    Packed, P is written and read in order, which keeps it cheap where K leaves the cache."""
    n = Z.shape[0]
    ZT = _transposed(Z)
    K = np.empty((n, n))
    P = np.empty((n * (n - 1) // 2, 2))
    for t in prange((n + 1) // 2):
        for half in range(2):
            a = _balanced_row(t, half, n)
            if a >= 0:
                _kernel_row(kind, Z, ZT, s2, diag_add, a, K, P, True)
    return K, P


@serial_and_parallel()
def cross_kernel_and_profile(
    kind: int, Zq: np.ndarray, Z: np.ndarray, s2: float, with_profile: bool
) -> tuple[np.ndarray, np.ndarray]:
    """K*_ib = s2·κ(|zq_i - z_b|): (m, n), and G: (m, n), g(r) = κ'(r)/r of each pair, when
    with_profile (else G is (0, 0));  Zq: (m, d), Z: (n, d). Each row's r² is first written
    where its kernel values go (`_squared_distances`).

    `cross_kernel` and `cross_kernel_with_profile` are this one compiled loop (a machine's
    first run compiles it once, not once per flag value: the flag is a runtime argument
    tested once per row, outside the loop over pairs)."""
    ZT = _transposed(Z)
    m, n = Zq.shape[0], Z.shape[0]
    out = np.empty((m, n))
    G = np.empty((m, n) if with_profile else (0, 0))
    for i in prange(m):
        _squared_distances(Zq, i, ZT, n, out[i])
        if with_profile:
            for b in range(n):
                k, g = radial_profile(kind, out[i, b])
                out[i, b] = s2 * k
                G[i, b] = g
        else:
            for b in range(n):
                out[i, b] = s2 * radial_profile(kind, out[i, b])[0]
    return out, G


def cross_kernel(kind: int, Zq: np.ndarray, Z: np.ndarray, s2: float) -> np.ndarray:
    """K*_ib = s2·κ(|zq_i - z_b|);  Zq: (m, d), Z: (n, d) → (m, n)."""
    return cross_kernel_and_profile(kind, Zq, Z, s2, False)[0]


def cross_kernel_with_profile(
    kind: int, Zq: np.ndarray, Z: np.ndarray, s2: float
) -> tuple[np.ndarray, np.ndarray]:
    """`cross_kernel`, and G: (m, n), g(r) = κ'(r)/r of each pair, which
    `cross_gradient_from_profile` reads instead of evaluating the profile (a square root
    and an exponential) a second time."""
    return cross_kernel_and_profile(kind, Zq, Z, s2, True)


def _give_builds(fixed: Callable[..., Any], with_profile: bool) -> None:
    """`fixed`'s `serial` and `parallel` builds (as `kernels.jit.serial_and_parallel` gives
    them): those of `cross_kernel_and_profile`, with the flag fixed."""
    for name in ("serial", "parallel"):
        build = getattr(cross_kernel_and_profile, name)
        if with_profile:
            setattr(fixed, name, lambda kind, Zq, Z, s2, build=build: build(kind, Zq, Z, s2, True))
        else:
            setattr(fixed, name,
                    lambda kind, Zq, Z, s2, build=build: build(kind, Zq, Z, s2, False)[0])


_give_builds(cross_kernel, False)
_give_builds(cross_kernel_with_profile, True)


@cached_njit()
def kernel_of_squared_distances(kind: int, R2: np.ndarray, s2: float) -> np.ndarray:
    """s2·κ(r) for each r² of R2: (m, n) → (m, n), as `cross_kernel` takes each pair's r²
    (for squared distances computed otherwise: `kernels.kernel.Kernel.cross_switching_scaled`)."""
    m, n = R2.shape
    out = np.empty((m, n))
    for i in range(m):
        for b in range(n):
            out[i, b] = s2 * radial_profile(kind, R2[i, b])[0]
    return out


@cached_njit(inline="always")
def _contract_row(
    Z: np.ndarray, alpha: np.ndarray, K_inv: np.ndarray, P: np.ndarray, a: int, out: np.ndarray
) -> None:
    """Row a's share of the contraction: pairs (a, b < a) twice (2·½) and (a, a) once,
    summed into out: (d + 1,), zero on entry."""
    d = Z.shape[1]
    base = a * (a - 1) // 2
    by_variance = 0.5 * (alpha[a] * alpha[a] - K_inv[a, a])  # ∂K_aa/∂log s2 = s2
    for b in range(a):
        w = alpha[a] * alpha[b] - K_inv[a, b]
        k, g = P[base + b, 0], P[base + b, 1]
        wg = w * g
        for j in range(d):
            diff = Z[a, j] - Z[b, j]
            out[j] -= wg * diff * diff
        by_variance += w * k
    out[d] = by_variance


@serial_and_parallel()
def lml_gradient_contraction(
    Z: np.ndarray, s2: float, alpha: np.ndarray, K_inv: np.ndarray, P: np.ndarray
) -> np.ndarray:
    """½·Σ_ab W_ab ∂K_ab/∂θ with W = ααᵀ − K⁻¹ (R&W Eq. 5.9), θ = (log l_1..l_d, log s2).

    Z: (n, d), alpha: (n,), K_inv: (n, n) of which only the lower triangle is
    read (LAPACK potri fills one triangle), P: the pairs' profile from
    `kernel_matrix_with_profile`. Returns (d + 1,). W is formed one entry at a
    time, so no (n, n, d) tensor and no second n×n matrix exist.
    """
    n, d = Z.shape
    partial = np.empty((n, d + 1))  # per-row sums, reduced in a fixed order below
    for a in range(n):
        for j in range(d + 1):
            partial[a, j] = 0.0
    for t in prange((n + 1) // 2):
        for half in range(2):
            a = _balanced_row(t, half, n)
            if a >= 0:
                _contract_row(Z, alpha, K_inv, P, a, partial[a])
    grad = np.empty(d + 1)
    for j in range(d + 1):
        grad[j] = 0.0
    for a in range(n):
        for j in range(d + 1):
            grad[j] += partial[a, j]
    for j in range(d + 1):
        grad[j] *= s2
    return grad


@cached_njit(inline="always")
def _add_pair_gradient(
    Zq: np.ndarray, Z: np.ndarray, inv_lengthscales: np.ndarray, s2: float, W: np.ndarray,
    i: int, b: int, g: float, out: np.ndarray,
) -> None:
    """Add pair (i, b)'s W_cib · ∂k(x*_i, x_b)/∂x*_ij, with g = g(r) of the pair, to out."""
    for c in range(W.shape[0]):
        scale = W[c, i, b] * g * s2
        for j in range(Zq.shape[1]):
            out[c, i, j] += scale * (Zq[i, j] - Z[b, j]) * inv_lengthscales[j]


@serial_and_parallel()
def cross_gradient_contraction(
    kind: int, Zq: np.ndarray, Z: np.ndarray, inv_lengthscales: np.ndarray, s2: float,
    W: np.ndarray,
) -> np.ndarray:
    """Σ_b W_cib · ∂k(x*_i, x_b)/∂x*_ij;  Zq: (m, d), Z: (n, d), W: (c, m, n) → (c, m, d).

    With W_0 = α (each row) this is ∂μ/∂x*; with W_1 = K⁻¹k* it gives ∂σ²/∂x*
    up to the factor −2. The (m, n, d) kernel Jacobian is never stored.
    """
    m, d = Zq.shape
    out = np.zeros((W.shape[0], m, d))
    for i in prange(m):
        for b in range(Z.shape[0]):
            _, g = radial_profile(kind, _squared_distance(Zq[i], Z[b]))
            _add_pair_gradient(Zq, Z, inv_lengthscales, s2, W, i, b, g, out)
    return out


@serial_and_parallel()
def cross_gradient_from_profile(
    Zq: np.ndarray, Z: np.ndarray, inv_lengthscales: np.ndarray, s2: float, W: np.ndarray,
    G: np.ndarray,
) -> np.ndarray:
    """`cross_gradient_contraction` with each pair's g(r) read from G: (m, n), as
    `cross_kernel_with_profile` returns it for these Zq and Z: the same operations on
    the same numbers, without the profile's square root and exponential.

    Each entry's sum over b runs in a local accumulator (the pairs in the same order,
    each term W_cib·g·s2·(z*_ij − z_bj)·(1/l_j) rounded as `_add_pair_gradient` rounds it), so
    the loop does not load and store `out` once per pair."""
    m, d = Zq.shape
    out = np.empty((W.shape[0], m, d))
    for i in prange(m):
        for c in range(W.shape[0]):
            for j in range(d):
                acc = 0.0
                for b in range(Z.shape[0]):
                    acc += W[c, i, b] * G[i, b] * s2 * (Zq[i, j] - Z[b, j]) * inv_lengthscales[j]
                out[c, i, j] = acc
    return out

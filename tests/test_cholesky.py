"""Tests for kernels.cholesky: factorization, block append, solves, jitter, inverse.

Notation as in `kernels.cholesky`:

    A : (n, n) SPD,  L : lower factor with L Lᵀ = A + jitter·I
    B : (n, k) cross block A[old, new],  C : (k, k) new block A[new, new]

References are numpy / scipy (np.linalg.cholesky, np.linalg.solve,
scipy.linalg.solve_triangular, np.linalg.inv, np.linalg.slogdet).
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.linalg import solve_triangular

from kernels import CholeskyError, CholeskyFactor, Kernel, cholesky_with_jitter, inverse_from_factor
from kernels.cholesky import (
    _ALIKE_MAX_N,
    _COLUMN_GROUPS,
    _FEW_RHS,
    _LAPACK_MIN_N,
    JITTER_STEPS,
    _lapack_column_group,
    _padded,
    _trtrs_in_buffer,
    cholesky_lower,
)

TIGHT = {"rtol": 1e-10, "atol": 1e-12}


def _spd(n: int, seed: int) -> np.ndarray:
    """A well-conditioned SPD matrix like the GP's: Matérn-5/2 kernel matrix + 0.1·I, (n, n)."""
    X = np.random.default_rng(seed).uniform(size=(n, 3))
    return Kernel("matern52", 3, np.log([0.4, 0.6, 0.5, 1.5])).matrix(X, 0.1)


def _grown_factor(A: np.ndarray, n0: int, k: int) -> CholeskyFactor:
    """Factor of A built from its leading n0 × n0 block and then appended k rows at a time."""
    factor = CholeskyFactor.factorize(A[:n0, :n0])
    n = n0
    while n < A.shape[0]:
        m = min(n + k, A.shape[0])
        factor.append(A[:n, n:m], A[n:m, n:m])
        n = m
    return factor


# ----------------------------------------------------------- factorize


@pytest.mark.parametrize("n", (1, 2, 9, 40))
@pytest.mark.parametrize("capacity", (None, 64))
def test_factorize_matches_numpy(n: int, capacity: int | None) -> None:
    A = _spd(n, n)
    factor = CholeskyFactor.factorize(A, capacity=capacity)
    assert factor.n == n
    assert factor.jitter == 0.0
    assert_allclose(factor.L, np.linalg.cholesky(A), **TIGHT)
    assert_array_equal(np.triu(factor.L, 1), 0.0)


def test_factorize_does_not_modify_input() -> None:
    A = _spd(7, 1)
    before = A.copy()
    CholeskyFactor.factorize(A)
    assert_array_equal(A, before)


# ----------------------------------------------------------- block append


@pytest.mark.parametrize("k", (1, 3, 20))
@pytest.mark.parametrize("n0", (1, 5))
def test_block_append_matches_full_factorization(k: int, n0: int) -> None:
    """Appending k rows at a time, past several capacity growths (8 → 12 → 18 → …)."""
    A = _spd(70, k)
    factor = CholeskyFactor.factorize(A[:n0, :n0])
    n = n0
    while n < A.shape[0]:
        m = min(n + k, A.shape[0])
        extra = factor.append(A[:n, n:m], A[n:m, n:m])
        n = m
        assert extra == 0.0
        assert factor.n == n
        assert_allclose(factor.L, np.linalg.cholesky(A[:n, :n]), **TIGHT)
    assert_array_equal(np.triu(factor.L, 1), 0.0)
    assert_allclose(factor.L, np.linalg.cholesky(A), **TIGHT)


def test_append_keeps_the_old_rows_bit_for_bit() -> None:
    A = _spd(30, 2)
    factor = CholeskyFactor.factorize(A[:10, :10])
    old = factor.L.copy()
    factor.append(A[:10, 10:], A[10:, 10:])  # grows the buffer
    assert_array_equal(factor.L[:10, :10], old)


def test_append_does_not_modify_its_inputs() -> None:
    A = _spd(12, 3)
    factor = CholeskyFactor.factorize(A[:8, :8])
    cross, block = A[:8, 8:].copy(), A[8:, 8:].copy()
    factor.append(cross, block)
    assert_array_equal(cross, A[:8, 8:])
    assert_array_equal(block, A[8:, 8:])


def test_append_after_jittered_factorization_factors_the_jittered_matrix() -> None:
    """Jitter of the first factorization applies to the whole diagonal, appended rows included."""
    X = np.random.default_rng(4).uniform(size=(12, 2))
    X[1] = X[0]
    A = Kernel("rbf", 2, np.log([0.5, 0.5, 1.0])).matrix(X)  # singular: duplicate rows, no noise
    factor = CholeskyFactor.factorize(A[:6, :6])
    assert factor.jitter > 0.0
    A_jittered = A + factor.jitter * np.eye(12)
    factor.append(A[:6, 6:], A[6:, 6:])
    assert_allclose(factor.L @ factor.L.T, A_jittered, rtol=0, atol=1e-10)


# ----------------------------------------------------------- solves


def _factor_under_test(n: int, built_by: str) -> tuple[CholeskyFactor, np.ndarray]:
    A = _spd(n, 11)
    if built_by == "factorize":
        return CholeskyFactor.factorize(
            A, capacity=n + 5
        ), A  # L is a strided view into a larger buffer
    return _grown_factor(A, n // 2, 3), A


RHS_SHAPES = [(), (1,), (4,), (6,), (_FEW_RHS,), (_FEW_RHS + 1,), (40,)]  # ≤ 16: Numba loops; > 16: BLAS
rhs_param = pytest.mark.parametrize("rhs", RHS_SHAPES, ids=lambda s: f"rhs{s}")
built_param = pytest.mark.parametrize("built_by", ("factorize", "append"))


@rhs_param
@built_param
def test_solve_matches_numpy(rhs: tuple[int, ...], built_by: str) -> None:
    factor, A = _factor_under_test(25, built_by)
    B = np.random.default_rng(1).standard_normal((25, *rhs))
    got = factor.solve(B)
    assert got.shape == B.shape
    assert_allclose(got, np.linalg.solve(A, B), **TIGHT)


@rhs_param
@built_param
@pytest.mark.parametrize("lower", (True, False))
def test_triangular_solves_match_scipy(rhs: tuple[int, ...], built_by: str, lower: bool) -> None:
    factor, A = _factor_under_test(25, built_by)
    L = np.linalg.cholesky(A)
    B = np.random.default_rng(2).standard_normal((25, *rhs))
    got = factor.solve_lower(B) if lower else factor.solve_upper(B)
    expected = solve_triangular(L, B, lower=True, trans=0 if lower else 1)
    assert got.shape == B.shape
    assert_allclose(got, expected, **TIGHT)


@rhs_param
@pytest.mark.parametrize("method", ("solve", "solve_lower", "solve_upper"))
@pytest.mark.parametrize("order", ("C", "F"))
def test_solves_never_modify_their_input(rhs: tuple[int, ...], method: str, order: str) -> None:
    factor, _ = _factor_under_test(25, "append")
    B = np.asarray(np.random.default_rng(3).standard_normal((25, *rhs)), order=order)
    before = B.copy()
    L_before = factor.L.copy()
    getattr(factor, method)(B)
    assert_array_equal(B, before)
    assert_array_equal(factor.L, L_before)


def test_solve_accepts_a_list() -> None:
    A = _spd(3, 5)
    factor = CholeskyFactor.factorize(A)
    assert_allclose(factor.solve([1.0, 2.0, 3.0]), np.linalg.solve(A, [1.0, 2.0, 3.0]), **TIGHT)


# ----------------------------------------------------------- truncate


@pytest.mark.parametrize("k", (1, 3, 20))
def test_truncate_then_append_again(k: int) -> None:
    A = _spd(50, 6)
    factor = _grown_factor(A[:30, :30], 5, k)
    factor.truncate(12)
    assert factor.n == 12
    assert_allclose(factor.L, np.linalg.cholesky(A[:12, :12]), **TIGHT)
    assert_allclose(factor.solve(np.ones(12)), np.linalg.solve(A[:12, :12], np.ones(12)), **TIGHT)
    # append different rows than before: those of A[30:50] after the first 12
    rows = np.r_[0:12, 30:50]
    A2 = A[np.ix_(rows, rows)]
    n = 12
    while n < A2.shape[0]:
        m = min(n + k, A2.shape[0])
        factor.append(A2[:n, n:m], A2[n:m, n:m])
        n = m
    assert_allclose(factor.L, np.linalg.cholesky(A2), **TIGHT)
    assert_allclose(factor.solve(np.arange(32.0)), np.linalg.solve(A2, np.arange(32.0)), **TIGHT)


def test_truncate_to_same_size_is_a_no_op() -> None:
    A = _spd(6, 7)
    factor = CholeskyFactor.factorize(A)
    L = factor.L.copy()
    factor.truncate(6)
    assert_array_equal(factor.L, L)
    assert_allclose(factor.solve(np.ones(6)), np.linalg.solve(A, np.ones(6)), **TIGHT)


def test_truncate_to_zero_then_append() -> None:
    """truncate(0) is allowed (0 <= n), so the empty factor must accept an append."""
    A = _spd(6, 7)
    factor = CholeskyFactor.factorize(A)
    factor.truncate(0)
    assert factor.n == 0
    factor.append(np.empty((0, 6)), A)
    assert_allclose(factor.L, np.linalg.cholesky(A), **TIGHT)


def test_lapack_solves_after_truncate_read_only_the_kept_rows() -> None:
    A = _spd(10, 8)
    factor = CholeskyFactor.factorize(A)
    factor.truncate(4)
    B = np.ones((4, _FEW_RHS + 3))  # LAPACK path, on the buffer's leading 4×4
    assert_allclose(factor.solve(B), np.linalg.solve(A[:4, :4], B), **TIGHT)


@pytest.mark.parametrize("n_rhs", (2, 8, _FEW_RHS, _FEW_RHS + 1, 70))
@pytest.mark.parametrize("lower", (True, False))
@pytest.mark.parametrize("n", (_LAPACK_MIN_N, _LAPACK_MIN_N + 3))
def test_large_factor_solves_by_lapack_in_the_buffer(n_rhs: int, lower: bool, n: int) -> None:
    """From _LAPACK_MIN_N rows on, 2 to 16 right-hand sides take LAPACK's trtrs (the Numba
    loops are bound by memory there), and more do at any size; trtrs reads L where it
    lies in the factor's buffer (capacity > n, a factor grown and then truncated): bit
    for bit what scipy's solve_triangular gives on a contiguous copy of the same factor."""
    factor = _grown_factor(_spd(n + 2, 12), n - 3, 3)
    factor.truncate(n)
    B = np.random.default_rng(13).standard_normal((n, n_rhs))
    got = factor.solve_lower(B) if lower else factor.solve_upper(B)
    expected = solve_triangular(np.ascontiguousarray(factor.L), B, lower=True,
                                trans=0 if lower else 1, check_finite=False)
    assert_array_equal(got, expected)


# ----------------------------------------------------------- jitter and failures


def _duplicate_rows_matrix() -> np.ndarray:
    X = np.random.default_rng(9).uniform(size=(8, 2))
    X[5] = X[2]
    X[7] = X[2]
    return Kernel("matern52", 2, np.log([0.3, 0.3, 2.0])).matrix(X)  # rank-deficient, PSD


def test_singular_psd_matrix_factorizes_with_jitter() -> None:
    A = _duplicate_rows_matrix()
    assert np.linalg.matrix_rank(A) < A.shape[0]
    factor = CholeskyFactor.factorize(A)
    assert factor.jitter > 0.0
    assert factor.jitter <= 0.1 * np.mean(np.diag(A))
    assert np.all(np.isfinite(factor.L))
    assert_allclose(factor.L @ factor.L.T, A + factor.jitter * np.eye(8), rtol=0, atol=1e-12)


def _needs_jitter(n: int, shift: float) -> np.ndarray:
    """An exactly symmetric (n, n) matrix with eigenvalues down to about −shift·mean diagonal:
    a rank-3 PSD matrix minus shift·I, so the jitter ladder climbs past `shift`."""
    B = np.random.default_rng(n).standard_normal((n, 3))
    A = B @ B.T
    A = 0.5 * (A + A.T)
    A -= shift * np.mean(np.diag(A)) * np.eye(n)
    return A


@pytest.mark.parametrize(("n", "shift", "failures"), (
    (6, 0.0, 0), (6, 5e-11, 1), (40, 5e-10, 2), (40, 5e-9, 3), (6, 3e-9, 3), (40, 2e-6, 6),
    (300, 3e-4, 8), (40, 5e-3, 9)))
def test_factorize_in_place_gives_the_copying_factor_bit_for_bit(
        n: int, shift: float, failures: int) -> None:
    """overwrite=True factors A in its own buffer, restoring A between failed attempts:
    the same jitter, the same L to the last bit (bytes, so the sign of a zero too), and A's
    buffer is the factor — after 0, 1, 2, 3 and more failed attempts (`failures`: the
    attempt without jitter and the ladder's steps below the one that succeeds)."""
    A = _needs_jitter(n, shift) if shift else _spd(n, n)
    expected, expected_jitter = cholesky_with_jitter(A)
    scale = float(np.mean(np.diag(A)))
    ladder = [0.0] + [step * scale for step in JITTER_STEPS]
    assert ladder.index(expected_jitter) == failures
    work = A.copy()
    L, used = cholesky_with_jitter(work, overwrite=True)
    assert used == expected_jitter
    assert L.tobytes() == expected.tobytes()
    assert np.shares_memory(L, work)
    factor = CholeskyFactor.factorize(A.copy(), capacity=n + 5, overwrite=True)
    assert factor.jitter == expected_jitter
    assert factor.L.tobytes() == expected.tobytes()


def test_cholesky_with_jitter_keeps_a_sufficient_start() -> None:
    A = _spd(5, 10)
    L, used = cholesky_with_jitter(A, 1e-3)
    assert used == 1e-3
    assert_allclose(L, np.linalg.cholesky(A + 1e-3 * np.eye(5)), **TIGHT)


@pytest.mark.parametrize("k", (1, 3))
def test_append_of_a_singular_block_adds_jitter_on_the_matrix_scale(k: int) -> None:
    """A = 11ᵀ built by appending: the Schur complement is exactly 0, so the append must jitter.

    Factorizing A at once adds ≥ 1e-10 of its mean diagonal; appending the same
    rows must do the same, or the new pivots are ~1e-159 and every solve is inf/NaN.
    """
    A = np.ones((1 + k, 1 + k))
    factor = CholeskyFactor.factorize(A[:1, :1])
    extra = factor.append(A[:1, 1:], A[1:, 1:])
    assert extra > 0.0
    assert_allclose(factor.L @ factor.L.T, A + np.diag([0.0] + [extra] * k), rtol=0, atol=1e-12)
    assert extra >= 1e-10 * np.mean(np.diag(A[1:, 1:]))
    assert np.all(np.isfinite(factor.solve(np.arange(1.0 + k))))


def test_append_of_a_row_duplicating_an_old_one() -> None:
    A = _duplicate_rows_matrix()
    factor = CholeskyFactor.factorize(A[:5, :5])
    assert factor.jitter == 0.0
    extra = factor.append(A[:5, 5:6], A[5:6, 5:6])  # row 5 duplicates row 2
    assert extra >= 0.0
    assert np.all(np.isfinite(factor.L))
    expected = A[:6, :6] + np.diag([0.0] * 5 + [extra])
    assert_allclose(factor.L @ factor.L.T, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("bad", (np.nan, np.inf))
def test_non_finite_matrix_raises_cholesky_error(bad: float) -> None:
    A = _spd(4, 12)
    A[1, 2] = A[2, 1] = bad
    with pytest.raises(CholeskyError, match="non-finite") as info:
        CholeskyFactor.factorize(A)
    assert not isinstance(info.value, np.linalg.LinAlgError)


def test_non_finite_append_raises_cholesky_error_and_keeps_the_factor() -> None:
    A = _spd(6, 13)
    factor = CholeskyFactor.factorize(A[:4, :4])
    L = factor.L.copy()
    cross = A[:4, 4:].copy()
    cross[0, 0] = np.nan
    with pytest.raises(CholeskyError):
        factor.append(cross, A[4:, 4:])
    assert factor.n == 4
    assert_array_equal(factor.L, L)


def test_indefinite_matrix_raises_cholesky_error() -> None:
    A = np.array([[1.0, 0.0], [0.0, -5.0]])
    with pytest.raises(CholeskyError, match="not positive definite even with jitter"):
        CholeskyFactor.factorize(A)


# ----------------------------------------------------------- inverse, determinant


@pytest.mark.parametrize("n", (1, 3, 30))
@built_param
def test_inverse_from_factor_lower_triangle(n: int, built_by: str) -> None:
    A = _spd(n, 14)
    factor = (
        CholeskyFactor.factorize(A)
        if built_by == "factorize"
        else _grown_factor(A, max(1, n // 3), 4)
    )
    got = inverse_from_factor(factor.L)
    assert_allclose(np.tril(got), np.tril(np.linalg.inv(A)), rtol=1e-9, atol=1e-11)


def test_inverse_from_factor_does_not_modify_the_factor() -> None:
    factor = CholeskyFactor.factorize(_spd(5, 15))
    L = factor.L.copy()
    inverse_from_factor(factor.L)
    assert_array_equal(factor.L, L)


@pytest.mark.parametrize("n", (1, 7, 60))
def test_overwrite_factors_and_inverts_in_the_matrix_itself_with_the_same_bits(n: int) -> None:
    A = _spd(n, 16)
    L = cholesky_lower(A)
    work = A.copy()
    L_in_place = cholesky_lower(work, overwrite=True)
    assert L is not None and L_in_place is not None and np.shares_memory(L_in_place, work)
    assert_array_equal(L_in_place, L)
    inverse = inverse_from_factor(L)
    inverse_in_place = inverse_from_factor(L_in_place, overwrite=True)
    assert np.shares_memory(inverse_in_place, work)
    assert_array_equal(inverse_in_place, inverse)


@pytest.mark.parametrize(("n", "k"), ((0, 3), (5, 0), (7, 5), (7, 20)))
@pytest.mark.parametrize("lower", (True, False))
def test_trtrs_in_the_buffer_takes_empty_and_strided_shapes(n: int, k: int, lower: bool) -> None:
    """LAPACK trtrs through ctypes on a buffer larger than the factor (capacity 20, its
    leading dimension), right-hand sides given as a strided view: what solve_triangular
    gives on a contiguous copy of L, bit for bit; n = 0 or k = 0 give an empty (n, k)."""
    L = np.linalg.cholesky(_spd(n, n)) if n else np.zeros((0, 0))
    buffer = np.zeros((20, 20))
    buffer[:n, :n] = L
    wide = np.random.default_rng(3).standard_normal((n, 2 * k))
    columns = wide[:, ::2]  # neither C- nor F-contiguous
    out = _trtrs_in_buffer(buffer, n, columns, lower)
    assert out.shape == (n, k)
    if n and k:
        expected = solve_triangular(np.ascontiguousarray(L), columns, lower=True,
                                    trans=0 if lower else 1, check_finite=False)
        assert out.tobytes() == np.asfortranarray(expected).tobytes()
    assert_array_equal(wide[:, ::2], columns)  # the input is left alone


def test_the_ctypes_prototype_of_trtrs_is_scipys_cython_signature() -> None:
    """kernels.cholesky._trtrs calls scipy's cython_lapack dtrtrs through ctypes with three
    char pointers, C ints and double pointers: the signature the installed scipy declares."""
    import re
    from pathlib import Path

    import scipy.linalg

    pxd = Path(scipy.linalg.__file__).parent / "cython_lapack.pxd"
    declared = re.search(r"cdef void dtrtrs\(([^)]*)\)", pxd.read_text())
    assert declared is not None, f"no dtrtrs in {pxd}"
    kinds = [" ".join(arg.split()[:-1]) + arg.split()[-1].count("*") * " *"
             for arg in declared.group(1).split(",")]
    assert kinds == ["char *"] * 3 + ["int *"] * 2 + ["d *", "int *", "d *", "int *", "int *"]


def test_trtrs_refuses_a_buffer_it_would_read_out_of_bounds() -> None:
    with pytest.raises(ValueError, match="buffer: need a square C-contiguous float64"):
        _trtrs_in_buffer(np.zeros((20, 20), order="F")[:, :10], 5, np.ones((5, 2)), True)
    with pytest.raises(ValueError, match=r"n=21, columns of shape \(21, 2\)"):
        _trtrs_in_buffer(np.zeros((20, 20)), 21, np.ones((21, 2)), True)


def test_a_zero_on_the_factors_diagonal_raises_cholesky_error_not_inf() -> None:
    """trtrs's info > 0 (a zero pivot; only a factor handed to CholeskyFactor(L) has one)
    is raised, as is potri's, rather than asserted (an assert vanishes under python -O)."""
    L = np.linalg.cholesky(_spd(6, 6))
    L[2, 2] = 0.0
    factor = CholeskyFactor(L)
    with pytest.raises(CholeskyError, match="trtrs failed with info=3: the factor's diagonal "
                                            "entry 2 is zero"):
        factor.solve_lower(np.ones((6, _FEW_RHS + 1)))
    with pytest.raises(CholeskyError, match="potri failed with info=3"):
        inverse_from_factor(L)


def test_overwrite_refuses_a_matrix_it_cannot_factor_in_place() -> None:
    with pytest.raises(ValueError, match="c_contiguous=False"):
        cholesky_lower(np.asfortranarray(_spd(4, 4)), overwrite=True)
    with pytest.raises(ValueError, match="dtype float32"):
        cholesky_with_jitter(_spd(4, 4).astype(np.float32), overwrite=True)


def test_overwrite_returns_none_for_a_matrix_that_is_not_positive_definite() -> None:
    assert cholesky_lower(-np.eye(3), overwrite=True) is None


@pytest.mark.parametrize("n", (1, 4, 30))
@built_param
def test_log_determinant_matches_slogdet(n: int, built_by: str) -> None:
    A = _spd(n, 16) * 3.0
    factor = (
        CholeskyFactor.factorize(A)
        if built_by == "factorize"
        else _grown_factor(A, max(1, n // 3), 4)
    )
    sign, logdet = np.linalg.slogdet(A)
    assert sign == 1.0
    assert factor.log_determinant() == pytest.approx(logdet, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("n, batch", [(40, _FEW_RHS), (_ALIKE_MAX_N + 9, _FEW_RHS), (40, 300),
                                      (333, 2560), (_ALIKE_MAX_N, 700)])
@pytest.mark.parametrize("k", [1, 2, 3, 5, 17, 120])
def test_columns_taken_out_of_a_batch_solve_bit_for_bit_as_inside_it(
        n: int, batch: int, k: int) -> None:
    factor = CholeskyFactor.factorize(_spd(n, 5))
    assert factor.solves_alike(batch)
    B = np.random.default_rng(n + k).standard_normal((n, batch))
    rows = np.random.default_rng(k).choice(batch, size=min(k, batch), replace=False)  # any order
    assert_array_equal(factor.solve_lower(B[:, rows], batch=batch), factor.solve_lower(B)[:, rows])


def _taken_alike(factor: CholeskyFactor, batch: int, group: int, ks: range) -> bool:
    """Whether k columns of a batch, padded to the group as `solve_lower` pads them, are
    solved bit for bit as within the batch, for every k of ks (columns spread, any order)."""
    B = np.random.default_rng(batch).standard_normal((factor.n, batch))
    inside = _trtrs_in_buffer(factor._buffer, factor.n, B, True)
    for k in ks:
        taken = np.random.default_rng(k).choice(batch, size=k, replace=False)
        out = _trtrs_in_buffer(factor._buffer, factor.n, _padded(B[:, taken], group), True)
        if not np.array_equal(out[:, :k], inside[:, taken]):
            return False
    return True


@pytest.mark.parametrize("n", (40, 200, _ALIKE_MAX_N))
def test_the_column_group_is_the_smallest_that_solves_columns_of_a_batch_alike(n: int) -> None:
    """The probe's group pads columns taken out of a batch so that they round as inside it
    on larger factors and batches than its own, and no smaller group does (on SkylakeX
    every column is alike, group 1; on AMD EPYC, odd columns out differ)."""
    group = _lapack_column_group()
    assert group in _COLUMN_GROUPS, f"no column group solves alike on this LAPACK ({group})"
    factor = CholeskyFactor.factorize(_spd(n, 5))
    assert _taken_alike(factor, 512, group, range(1, 34))
    if group > 1:
        smaller = _COLUMN_GROUPS[_COLUMN_GROUPS.index(group) - 1]
        assert not _taken_alike(factor, 512, smaller, range(1, 34))


@pytest.mark.parametrize("batch", (_FEW_RHS + 1, 63, 64, 301, 302, 2048))
def test_solves_alike_is_never_wrong(batch: int) -> None:
    """Where `solves_alike(batch)` says so, any columns of a batch of that size solve as
    inside it (odd batches too: their last column may take the kernel's remainder path)."""
    factor = CholeskyFactor.factorize(_spd(60, 3))
    B = np.random.default_rng(batch).standard_normal((60, batch))
    whole = factor.solve_lower(B)
    for k in (1, 2, 3, 5, 8, 13, _FEW_RHS + 1):
        for taken in (np.arange(k), np.arange(batch - k, batch),
                      np.random.default_rng(k).choice(batch, size=k, replace=False)):
            same = np.array_equal(factor.solve_lower(B[:, taken], batch=batch), whole[:, taken])
            assert same or not factor.solves_alike(batch), (k, taken)


def test_solves_alike_only_where_checked() -> None:
    """Beyond _ALIKE_MAX_N rows LAPACK's trsm may round a column by the company it keeps."""
    factor = CholeskyFactor.factorize(_spd(_ALIKE_MAX_N + 1, 5))
    assert factor.solves_alike(_FEW_RHS)  # the Numba loops
    assert not factor.solves_alike(_FEW_RHS + 1)

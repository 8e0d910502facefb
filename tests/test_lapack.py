"""The MAP objective's terms in one compiled call against the separate calls it replaces.

Notation as in `bayesopt.fitting` and `kernels.stationary`:

    Z = φ(X) / l: (n, d),  K = s2·κ + σ²I: (n, n),  L = chol(K),  alpha = K⁻¹y

`NegativeLogPosterior._compiled_terms` calls scipy's potrf / potrs / potri in one
compiled function (`kernels.lapack.factor_solve_invert`, from `scipy.linalg.cython_lapack`);
`NegativeLogPosterior._separate_terms` calls them through `scipy.linalg.lapack`'s
wrappers. Every result must be bit for bit the
same (np.array_equal), and under NUMBA_DISABLE_JIT=1, where the routines are called
through ctypes.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numba
import numpy as np
import pytest
import scipy.linalg
from numpy.testing import assert_array_equal

from bayesopt.fitting import FitOptions, NegativeLogPosterior, fit_map, parameter_bounds
from bayesopt.priors import HyperparameterPriors
from bayesopt.warping import KumaraswamyWarping
from kernels import CholeskyError, inverse_from_factor, lapack, stationary
from kernels.cholesky import cholesky_lower
from kernels.jit import declared_threads

KINDS = ("matern52", "matern32", "matern12", "rbf")


def _pair(kernel: str, X: np.ndarray, y: np.ndarray, **options: object
          ) -> tuple[NegativeLogPosterior, NegativeLogPosterior]:
    """The objective on the compiled terms and the same on the separate calls."""
    compiled = NegativeLogPosterior(kernel, X, y, **options)  # type: ignore[arg-type]
    compiled._terms = compiled._compiled_terms
    separate = NegativeLogPosterior(kernel, X, y, **options)  # type: ignore[arg-type]
    separate._terms = separate._separate_terms
    return compiled, separate


@pytest.mark.parametrize("kernel", KINDS)
@pytest.mark.parametrize("n", [1, 2, 9, 40])
def test_the_objective_is_bit_for_bit_the_separate_calls(kernel: str, n: int) -> None:
    rng = np.random.default_rng(n)
    X, y = rng.uniform(size=(n, 3)), rng.normal(size=n)
    compiled, separate = _pair(kernel, X, y, priors=HyperparameterPriors.default(3))
    for _ in range(4):
        params = rng.normal(scale=1.5, size=5)
        value, grad = compiled(params)
        expected_value, expected_grad = separate(params)
        assert math.isfinite(value)
        assert value == expected_value
        assert_array_equal(grad, expected_grad)


def test_factor_solve_invert_is_scipys_wrappers_bit_for_bit() -> None:
    """kernels.lapack.factor_solve_invert against cholesky_lower, scipy.linalg.lapack.dpotrs
    and inverse_from_factor, what the objective called before, on kernel matrices of
    several sizes (the lower triangle of K⁻¹ is what potri fills)."""
    rng = np.random.default_rng(5)
    for n in (1, 2, 3, 17, 64, 130):
        Z = rng.uniform(size=(n, 3)) * 2.0
        K, _ = stationary.kernel_matrix_with_profile(stationary.MATERN52, Z, 1.3, 0.01)
        y = rng.normal(size=n)
        L = cholesky_lower(K.copy())
        assert L is not None
        expected_alpha, info = scipy.linalg.lapack.dpotrs(L, y, lower=1)
        assert info == 0
        expected_diagonal = L.diagonal().copy()
        expected_inverse = inverse_from_factor(L)
        work = K.copy()
        stage, info, alpha, diagonal = lapack.factor_solve_invert(work, y, lapack.workspace(n))
        assert (stage, info) == (0, 0)
        assert_array_equal(alpha, expected_alpha)
        assert_array_equal(diagonal, expected_diagonal)
        assert_array_equal(np.tril(work), np.tril(expected_inverse))


def test_on_two_numba_threads_the_objective_is_the_same() -> None:
    """The kernel loops' parallel builds around the compiled LAPACK call: the same bits."""
    rng = np.random.default_rng(8)
    X, y = rng.uniform(size=(40, 3)), rng.normal(size=40)
    params = rng.normal(scale=0.5, size=5)
    with declared_threads(1):
        expected = NegativeLogPosterior("matern52", X, y, None)(params)
    previous = numba.get_num_threads()
    numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
    try:
        with declared_threads(2):
            got = NegativeLogPosterior("matern52", X, y, None)(params)
    finally:
        numba.set_num_threads(previous)
    assert got[0] == expected[0]
    assert_array_equal(got[1], expected[1])


def test_with_warping_the_objective_is_the_separate_calls() -> None:
    rng = np.random.default_rng(2)
    X, y = rng.uniform(size=(12, 2)), rng.normal(size=12)
    warping = KumaraswamyWarping(dim=2, columns=(0, 1))
    compiled, separate = _pair("matern52", X, y, priors=HyperparameterPriors.default(2),
                               warping=warping)
    params = np.concatenate([rng.normal(scale=0.5, size=4), rng.normal(scale=0.3, size=4)])
    value, grad = compiled(params)
    expected_value, expected_grad = separate(params)
    assert value == expected_value
    assert_array_equal(grad, expected_grad)


def test_a_matrix_that_is_not_positive_definite_gives_inf_and_a_zero_gradient() -> None:
    """Two equal inputs without noise make K singular: potrf fails, as before (+inf, 0)."""
    X = np.array([[0.2, 0.4], [0.2, 0.4], [0.9, 0.1]])
    y = np.array([0.1, -0.3, 0.5])
    compiled, separate = _pair("rbf", X, y, priors=None)
    params = np.array([0.0, 0.0, 0.0, -800.0])  # σ² = e⁻⁸⁰⁰ = 0
    assert separate(params)[0] == math.inf
    value, grad = compiled(params)
    assert value == math.inf
    assert_array_equal(grad, np.zeros(4))


def test_a_failed_solve_raises_what_the_separate_calls_raise(monkeypatch) -> None:
    """A potrs or potri failure (none in practice: their factor comes from potrf) raises
    CholeskyError naming the routine, as `kernels.cholesky.check_info` does for the
    wrappers — never a LinAlgError, never a silent value."""
    X, y = np.random.default_rng(0).uniform(size=(4, 2)), np.arange(4.0)
    objective = NegativeLogPosterior("matern52", X, y, None)
    objective._terms = objective._compiled_terms
    failing = lapack.factor_solve_invert
    for stage, routine in ((2, "potrs"), (3, "potri")):
        monkeypatch.setattr(lapack, "factor_solve_invert",
                            lambda *args, s=stage: (s, 2) + failing(*args)[2:])
        with pytest.raises(CholeskyError, match=f"LAPACK {routine} failed with info=2"):
            objective(np.zeros(4))


def test_a_fit_is_bit_for_bit_the_fit_on_the_separate_calls(monkeypatch) -> None:
    rng = np.random.default_rng(11)
    X, y = rng.uniform(size=(25, 3)), rng.normal(size=25)
    priors, options = HyperparameterPriors.default(3), FitOptions()
    starts = [np.zeros(5), rng.normal(size=5)]
    fitted = fit_map("matern52", X, y, priors, starts, options)
    monkeypatch.setattr(NegativeLogPosterior, "_compiled_terms",
                        NegativeLogPosterior._separate_terms)
    expected = fit_map("matern52", X, y, priors, starts, options)
    assert len(parameter_bounds(3, options)) == 5
    assert_array_equal(fitted.params, expected.params)
    assert fitted.value == expected.value
    assert fitted.n_evaluations == expected.n_evaluations


@pytest.mark.parametrize("routine, arity", [("dpotrf", 5), ("dpotri", 5), ("dpotrs", 8)])
def test_the_declared_routines_are_scipys_cython_signatures(routine: str, arity: int) -> None:
    """`kernels.lapack` declares every argument a pointer (chars, C ints, doubles): what
    the installed scipy's cython_lapack.pxd says."""
    pxd = Path(scipy.linalg.__file__).parent / "cython_lapack.pxd"
    declared = re.search(rf"cdef void {routine}\(([^)]*)\)", pxd.read_text())
    assert declared is not None, f"no {routine} in {pxd}"
    arguments = [arg.split() for arg in declared.group(1).split(",")]
    assert len(arguments) == arity
    assert all(name.startswith("*") for _, name in arguments)
    kinds = [kind for kind, _ in arguments]
    assert kinds[0] == "char" and kinds.count("d") == (1 if arity == 5 else 2)
    assert set(kinds[1:]) == {"int", "d"}


def test_a_stationary_kernel_takes_the_compiled_call(monkeypatch) -> None:
    calls = []
    original = lapack.factor_solve_invert
    monkeypatch.setattr(lapack, "factor_solve_invert",
                        lambda *args: calls.append(1) or original(*args))
    X = np.random.default_rng(1).uniform(size=(6, 2))
    NegativeLogPosterior("matern32", X, np.arange(6.0), None)(np.zeros(4))
    assert calls == [1]


@pytest.mark.parametrize("case", ["fortran", "float32", "short y", "ints of another n",
                                  "ints int64", "read-only"])
def test_factor_solve_invert_refuses_arrays_lapack_would_misread(case: str) -> None:
    K = stationary.kernel_matrix(stationary.RBF, np.random.default_rng(0).uniform(size=(5, 2)),
                                 1.0, 0.1)
    y, ints = np.ones(5), lapack.workspace(5)
    if case == "fortran":
        K = np.asfortranarray(K)
    elif case == "float32":
        K = K.astype(np.float32)
    elif case == "short y":
        y = np.ones(4)
    elif case == "ints of another n":
        ints = lapack.workspace(6)
    elif case == "ints int64":
        ints = ints.astype(np.int64)
    else:
        K.flags.writeable = False
    with pytest.raises(ValueError, match="factor_solve_invert needs a writeable C-contiguous"):
        lapack.factor_solve_invert(K, y, ints)

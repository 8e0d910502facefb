"""The MAP objective's terms in one compiled call against the separate calls it replaces.

Notation as in `bayesopt.fitting` and `kernels.stationary`:

    Z = φ(X) / l: (n, d),  K = s2·κ + σ²I: (n, n),  L = chol(K),  alpha = K⁻¹y

`kernels.stationary.lml_terms` runs the kernel-matrix and contraction loops and
scipy's potrf / potrs / potri (`kernels.lapack`, from `scipy.linalg.cython_lapack`);
`NegativeLogPosterior._separate_terms` runs the same loops as separate Numba calls and
LAPACK through `scipy.linalg.lapack`'s wrappers. Every result must be bit for bit the
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
from kernels import CholeskyError, stationary
from kernels.jit import declared_threads
from kernels.kernel import positive_parameters, scaled_inputs

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


def test_each_term_is_the_separate_calls() -> None:
    rng = np.random.default_rng(5)
    n, d = 30, 4
    X, y = rng.uniform(size=(n, d)), rng.normal(size=n)
    objective = NegativeLogPosterior("matern52", X, y, None)
    theta = rng.normal(scale=0.5, size=d + 1)
    lengthscales, s2 = positive_parameters(theta)
    Z = scaled_inputs(objective.imputed, lengthscales)
    stage, info, alpha, diagonal, K_inv, contraction = stationary.lml_terms(
        stationary.MATERN52, Z, s2, 0.01, y)
    assert (stage, info) == (0, 0)
    expected = objective._separate_terms(theta, objective.imputed, 0.01)
    assert expected is not None
    assert_array_equal(alpha, expected[0])
    assert_array_equal(diagonal, expected[1])
    assert_array_equal(np.tril(K_inv), np.tril(expected[2]))  # potri fills the lower triangle
    assert_array_equal(contraction, expected[3])


@pytest.mark.parametrize("threads, compiled_calls", [(1, 1), (2, 0)])
def test_one_numba_thread_takes_the_compiled_terms_more_take_the_parallel_loops(
        monkeypatch, threads: int, compiled_calls: int) -> None:
    """The choice of `NegativeLogPosterior._terms`, and the same numbers either way (the
    parallel loops on two threads give the serial loops' bits)."""
    rng = np.random.default_rng(8)
    X, y = rng.uniform(size=(20, 3)), rng.normal(size=20)
    calls = []
    original = stationary.lml_terms
    monkeypatch.setattr(stationary, "lml_terms", lambda *args: calls.append(1) or original(*args))
    params = rng.normal(scale=0.5, size=5)
    with declared_threads(1):
        expected = NegativeLogPosterior("matern52", X, y, None)(params)
    calls.clear()
    previous = numba.get_num_threads()
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    try:
        with declared_threads(threads):
            got = NegativeLogPosterior("matern52", X, y, None)(params)
    finally:
        numba.set_num_threads(previous)
    assert len(calls) == compiled_calls
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
    failing = stationary.lml_terms
    for stage, routine in ((2, "potrs"), (3, "potri")):
        monkeypatch.setattr(stationary, "lml_terms",
                            lambda *args, s=stage: (s, 2) + failing(*args)[2:])
        with pytest.raises(CholeskyError, match=f"LAPACK {routine} failed with info=2"):
            objective(np.zeros(4))


def test_a_fit_is_bit_for_bit_the_fit_on_the_separate_calls(monkeypatch) -> None:
    rng = np.random.default_rng(11)
    X, y = rng.uniform(size=(25, 3)), rng.normal(size=25)
    priors, options = HyperparameterPriors.default(3), FitOptions()
    starts = [np.zeros(5), rng.normal(size=5)]
    with declared_threads(1):  # the compiled terms (one Numba thread)
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

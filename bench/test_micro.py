"""Micro-benchmarks: each group compares implementations on the same work.

    pytest bench/test_micro.py --benchmark-only [--benchmark-group-by=group]

Groups:
- kernel matrix at n ∈ {250, 1000, 2000}, d ∈ {2, 8}: Numba (1 thread, 2
  threads) vs the numpy reference (`kernels.reference`);
- gradient contraction ½·Σ W_ab ∂K_ab/∂θ, same sizes: Numba (1, 2 threads)
  vs the numpy dense-tensor reference (an (n, n, d + 1) array);
- appending k rows to a Cholesky factor vs refactorizing from scratch;
- one acquisition optimization (LogEI, 8 batched L-BFGS-B restarts) at n ∈ {100, 1000}.

Correctness of each result is checked against the reference and recorded in
`benchmark.extra_info`. Setup (kernel matrices, factors, fitted GPs) happens
outside the timed body. BLAS is limited to one thread throughout.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numba
import numpy as np
import pytest
import scipy.linalg
from threadpoolctl import threadpool_limits

from acquisition.functions import LogExpectedImprovement
from acquisition.optimizer import AcquisitionObjective, Domain, Proposal, optimize_acquisition
from bayesopt.model import ModelOptions, SurrogateModel
from bayesopt.space import Real, Space
from bayesopt.test_functions import Hartmann6
from kernels import CholeskyFactor, reference, stationary
from kernels.cholesky import cholesky_lower, inverse_from_factor

SIZES = [(250, 2), (1000, 2), (2000, 2), (250, 8), (1000, 8), (2000, 8)]
MATERN52 = stationary.MATERN52
Benchmark = Any  # pytest-benchmark's fixture (BenchmarkFixture; its `pedantic` is untyped)


@pytest.fixture(autouse=True)
def one_blas_thread() -> Iterator[None]:
    with threadpool_limits(1, user_api="blas"):
        yield


def _build(function: Any, threads: int) -> Callable[..., Any]:
    """The parallel (threads > 1) or serial build of a `kernels.jit.serial_and_parallel`
    loop (attributes the decorator adds, which its type does not declare)."""
    return function.parallel if threads > 1 else function.serial  # type: ignore[no-any-return]


def _with_threads(function: Callable[..., Any], threads: int) -> Callable[..., Any]:
    def run(*args: Any) -> Any:
        previous = numba.get_num_threads()
        most: int = numba.config.NUMBA_NUM_THREADS  # type: ignore[attr-defined]  # set at import
        numba.set_num_threads(min(threads, most))
        try:
            return _build(function, threads)(*args)
        finally:
            numba.set_num_threads(previous)

    return run


IMPLEMENTATIONS: dict[str, Callable[[Callable[..., Any]], Callable[..., Any]]] = {
    "numba-1-thread": lambda f: _with_threads(f, 1),
    "numba-2-threads": lambda f: _with_threads(f, 2),
}


def _inputs(n: int, d: int) -> np.ndarray:
    return np.random.default_rng(n + d).random((n, d)) / 0.3  # Z = X / l


@pytest.mark.parametrize("impl", ["numpy", *IMPLEMENTATIONS])
@pytest.mark.parametrize("n, d", SIZES)
def test_kernel_matrix(benchmark: Benchmark, n: int, d: int, impl: str) -> None:
    benchmark.group = f"kernel matrix n={n} d={d}"
    Z = _inputs(n, d)
    run = (reference.kernel_matrix if impl == "numpy"
           else IMPLEMENTATIONS[impl](stationary.kernel_matrix))
    K = benchmark(run, MATERN52, Z, 1.0, 1e-4)
    expected = reference.kernel_matrix(MATERN52, Z[:200], 1.0, 1e-4)
    benchmark.extra_info["max_abs_error_first_200"] = float(np.max(np.abs(K[:200, :200] - expected)))
    assert np.allclose(K[:200, :200], expected, rtol=1e-12, atol=1e-14)


def _contraction_inputs(n: int, d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    Z = _inputs(n, d)
    K = _build(stationary.kernel_matrix, 1)(MATERN52, Z, 1.0, 1e-2)
    L = cholesky_lower(K)
    assert L is not None, "K is positive definite (1e-2 on its diagonal)"
    y = np.sin(Z.sum(axis=1))
    alpha = scipy.linalg.cho_solve((L, True), y)
    return Z, alpha, inverse_from_factor(L)


@pytest.mark.parametrize("impl", ["numpy-dense-tensor", *IMPLEMENTATIONS])
@pytest.mark.parametrize("n, d", SIZES)
def test_gradient_contraction(benchmark: Benchmark, n: int, d: int, impl: str) -> None:
    benchmark.group = f"gradient contraction n={n} d={d}"
    Z, alpha, K_inv_lower = _contraction_inputs(n, d)
    if impl == "numpy-dense-tensor":
        K_inv = np.tril(K_inv_lower) + np.tril(K_inv_lower, -1).T
        grad = benchmark.pedantic(reference.lml_gradient_contraction,
                                  args=(MATERN52, Z, 1.0, alpha, K_inv), rounds=2, iterations=1)
        benchmark.extra_info["peak_array_bytes"] = int(n * n * (d + 1) * 8)
    else:
        # the pairs' radial profile comes with the kernel matrix the objective builds anyway
        profile = _build(stationary.kernel_matrix_with_profile, 1)(MATERN52, Z, 1.0, 1e-2)[1]
        run = IMPLEMENTATIONS[impl](stationary.lml_gradient_contraction)
        grad = benchmark(run, Z, 1.0, alpha, K_inv_lower, profile)
        benchmark.extra_info["peak_array_bytes"] = int(n * (d + 1) * 8 + profile.nbytes)
    if n <= 1000:
        K_inv = np.tril(K_inv_lower) + np.tril(K_inv_lower, -1).T
        expected = reference.lml_gradient_contraction(MATERN52, Z, 1.0, alpha, K_inv)
        assert np.allclose(grad, expected, rtol=1e-8, atol=1e-8 * np.abs(expected).max())


@pytest.mark.parametrize("impl", ["block-append", "full-refactor"])
@pytest.mark.parametrize("n, k", [(1000, 1), (2000, 1), (2000, 10)])
def test_cholesky_update(benchmark: Benchmark, n: int, k: int, impl: str) -> None:
    benchmark.group = f"cholesky: add {k} rows to n={n}"
    Z = _inputs(n + k, 6)
    A = _build(stationary.kernel_matrix, 1)(MATERN52, Z, 1.0, 1e-4)
    if impl == "full-refactor":
        L = benchmark(cholesky_lower, A)
    else:
        def setup() -> tuple[tuple[CholeskyFactor, np.ndarray, np.ndarray], dict[str, Any]]:
            # with room for the new rows, as the GP keeps it (growth is amortized)
            factor = CholeskyFactor.factorize(A[:n, :n], capacity=n + k)
            return (factor, A[:n, n:], A[n:, n:]), {}

        def append(factor: CholeskyFactor, cross: np.ndarray,
                   block: np.ndarray) -> CholeskyFactor:
            factor.append(cross, block)
            return factor

        factor = benchmark.pedantic(append, setup=setup, rounds=20, iterations=1)
        L = factor.L
    benchmark.extra_info["max_abs_error"] = float(np.max(np.abs(L @ L.T - A)))
    assert np.allclose(L @ L.T, A, atol=1e-10)


@pytest.mark.parametrize("n", [100, 1000])
def test_acquisition_optimization(benchmark: Benchmark, n: int) -> None:
    benchmark.group = f"acquisition optimization n={n} d=6"
    space = Space({f"x{i}": Real(0.0, 1.0) for i in range(6)})
    X = np.random.default_rng(0).random((n, 6))
    y = np.asarray(Hartmann6()(X))
    model = SurrogateModel(6, ModelOptions(), np.random.default_rng(0))
    model.update(X, y)
    domain = Domain(6, space.sobol, space.project)
    objective = AcquisitionObjective(LogExpectedImprovement(model.incumbent), model)
    incumbents = X[np.argsort(y)[:5]]

    def optimize() -> Proposal | None:
        return optimize_acquisition(objective, domain, np.random.default_rng(1), incumbents, X)

    proposal = benchmark.pedantic(optimize, rounds=5, iterations=1)
    benchmark.extra_info["acquisition_value"] = proposal.value
    assert proposal is not None and np.all((proposal.x >= 0) & (proposal.x <= 1))

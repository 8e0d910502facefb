"""acquisition.memo.ValueAndGradient against scipy's own ``jac=True`` (MemoizeJac).

    f(x) -> (value, gradient): x (p,), gradient (p,)

The minimizer must see the same numbers at the same points, so the results are equal
bit for bit (np.array_equal), with the same counts of evaluations; f runs once per
point scipy evaluates.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from scipy.optimize import Bounds, minimize

from acquisition.memo import ValueAndGradient


def _problem(p: int, seed: int):
    """A smooth nonconvex function of p variables with its gradient, and a call counter."""
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(p, p))
    A = A @ A.T / p + np.eye(p)
    b, c = rng.normal(size=p), rng.normal(size=p)
    calls = []

    def f(x: np.ndarray) -> tuple[float, np.ndarray]:
        calls.append(x.copy())
        value = 0.5 * x @ A @ x - b @ x + np.sin(c @ x)
        return float(value), A @ x - b + np.cos(c @ x) * c

    return f, calls


@pytest.mark.parametrize("method", ["L-BFGS-B", "SLSQP"])
@pytest.mark.parametrize("p, seed", [(1, 0), (6, 1), (48, 2)])
def test_minimize_takes_the_steps_it_takes_with_jac_true(method: str, p: int, seed: int) -> None:
    f, calls = _problem(p, seed)
    x0 = np.full(p, 0.3)
    bounds = Bounds(np.full(p, -0.5), np.full(p, 0.7))
    expected = minimize(f, x0, jac=True, method=method, bounds=bounds)
    expected_calls = [x.copy() for x in calls]
    calls.clear()
    memo = ValueAndGradient(f)
    got = minimize(memo.value, x0, jac=memo.gradient, method=method, bounds=bounds)
    assert_array_equal(got.x, expected.x)
    assert got.fun == expected.fun
    assert (got.nfev, got.nit) == (expected.nfev, expected.nit)
    assert len(calls) == len(expected_calls)  # one evaluation of f per point, as before
    for x, y in zip(calls, expected_calls):
        assert_array_equal(x, y)


def test_a_gradient_at_another_point_evaluates_there() -> None:
    f, calls = _problem(3, 4)
    memo = ValueAndGradient(f)
    x, y = np.array([0.1, 0.2, 0.3]), np.array([0.1, 0.2, 0.4])
    assert memo.value(x) == f(x)[0]
    assert_array_equal(memo.gradient(x.copy()), f(x)[1])
    calls.clear()
    memo.gradient(x.copy())
    assert calls == []  # the same bytes: the kept gradient
    assert_array_equal(memo.gradient(y), f(y)[1])
    assert len(calls) == 2  # evaluated at y (and once more by the check)


def test_a_gradient_before_any_value_evaluates() -> None:
    f, _ = _problem(2, 5)
    x = np.array([0.5, -0.1])
    assert_array_equal(ValueAndGradient(f).gradient(x), f(x)[1])

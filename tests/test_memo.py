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

from acquisition.memo import ValueAndGradient, lbfgsb


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


def _minimize_as_before(f, x0, lower, upper, maxiter, ftol):
    """What the callers ran before `lbfgsb`: minimize through ValueAndGradient."""
    memo = ValueAndGradient(f)
    options = {"maxiter": maxiter} if ftol is None else {"maxiter": maxiter, "ftol": ftol}
    return minimize(memo.value, x0, jac=memo.gradient, method="L-BFGS-B",
                    bounds=Bounds(lower, upper), options=options)


@pytest.mark.parametrize("ftol", [None, 1e-9, 1e-6, 0.1, 1e-300, 1e300])
@pytest.mark.parametrize("p, seed, maxiter", [(1, 0, 100), (8, 1, 200), (48, 2, 100), (48, 3, 3)])
def test_lbfgsb_evaluates_the_points_minimize_evaluates(
        ftol: float | None, p: int, seed: int, maxiter: int) -> None:
    """The same points in the same order, the same result, bit for bit, with box bounds,
    some variables fixed (lower == upper), one side unbounded, and tolerances from tiny
    to beyond the float range once divided by eps."""
    f, calls = _problem(p, seed)
    rng = np.random.default_rng(seed)
    lower, upper = rng.uniform(-0.9, -0.1, p), rng.uniform(0.1, 0.9, p)
    if p > 1:
        upper[0] = lower[0]  # a fixed variable
        lower[-1] = -np.inf
    x0 = rng.uniform(-1.0, 1.0, p)  # partly outside the box: both clip it
    with np.errstate(over="ignore"):  # ftol=1e300: the solver's ftol / eps overflows, in both
        expected = _minimize_as_before(f, x0, lower, upper, maxiter, ftol)
        expected_calls = [x.copy() for x in calls]
        calls.clear()
        got = lbfgsb(f, x0, lower, upper, maxiter, ftol)
    assert got.x.tobytes() == expected.x.tobytes()
    assert got.fun == expected.fun and isinstance(got.fun, float)
    assert got.nfev == expected.nfev
    assert len(calls) == len(expected_calls) >= 1
    for x, y in zip(calls, expected_calls):
        assert x.tobytes() == y.tobytes()


def test_lbfgsb_with_every_variable_fixed_answers_as_minimize() -> None:
    f, _ = _problem(3, 7)
    bound = np.array([0.1, -0.2, 0.3])
    expected = _minimize_as_before(f, np.zeros(3), bound, bound.copy(), 50, None)
    got = lbfgsb(f, np.zeros(3), bound, bound.copy(), 50)
    assert got.x.tobytes() == expected.x.tobytes()
    assert (got.fun, got.nfev) == (expected.fun, expected.nfev)


def test_lbfgsb_gets_minimizes_tolerance_exactly() -> None:
    """factr = ftol / eps, multiplied back by eps in fmin_l_bfgs_b and divided again in the
    solver, is the factr minimize's solver computes (ftol / eps) for any positive ftol."""
    eps = np.finfo(float).eps
    rng = np.random.default_rng(0)
    with np.errstate(over="ignore"):  # above ~4e292 both sides overflow to inf
        for ftol in np.concatenate([10.0 ** rng.uniform(-320, 308, 5000), [5e-324, 1.0]]):
            assert (ftol / eps * eps) / eps == ftol / eps
    assert 1e7 * eps == 2.2204460492503131e-09  # fmin_l_bfgs_b's default factr: minimize's ftol

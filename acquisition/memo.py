"""One function returning (value, gradient), handed to `scipy.optimize.minimize` as `fun`
and `jac`.

    x : (p,) the point scipy evaluates,  f(x) -> (value: float, gradient: (p,))

`minimize(f, x0, jac=True)` wraps f in scipy's `MemoizeJac`, which compares each point
with the last by ``np.all(x == last)`` twice per evaluation (once for the value, once
for the gradient) and copies it. `ValueAndGradient` gives scipy the value and the
gradient as two functions of one evaluation, keyed by the point's bytes: scipy asks for
the gradient at a copy of the point whose value it has just asked for, so every
gradient is the one computed with that value, and f runs once per point, as under
`MemoizeJac`. The minimizer sees the same numbers at the same points, so it takes the
same steps and returns the same result (tests/test_memo.py), without MemoizeJac's
comparisons and copies (bench/results/small_n_step2.md).

`lbfgsb` runs L-BFGS-B on such an f as ``minimize(method="L-BFGS-B")`` does, through
scipy's public `fmin_l_bfgs_b`, which hands the same solver the same arguments without
`minimize`'s front end (bench/results/small_n_step3.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, fmin_l_bfgs_b, minimize

Objective = Callable[[np.ndarray], tuple[float, np.ndarray]]
_EPS = float(np.finfo(float).eps)  # 2**-52


class ValueAndGradient:
    """`value` and `gradient` of one objective f, for `minimize(value, x0, jac=gradient)`."""

    def __init__(self, objective: Objective) -> None:
        self.objective = objective
        self._point: bytes | None = None  # the bytes of the last point evaluated
        self._gradient: np.ndarray | None = None

    def value(self, x: np.ndarray) -> float:
        """f(x)'s value; its gradient is kept for `gradient` at the same point."""
        value, self._gradient = self.objective(x)
        self._point = x.tobytes()
        return value

    def gradient(self, x: np.ndarray) -> np.ndarray:
        """f(x)'s gradient: the one kept by `value` at these very bytes, else f is evaluated."""
        if self._gradient is None or x.tobytes() != self._point:
            self.value(x)
        assert self._gradient is not None
        return self._gradient


@dataclass(frozen=True)
class Minimum:
    """Where L-BFGS-B stopped: its last point x (p,), f's value there, and f's evaluations."""

    x: np.ndarray
    fun: float
    nfev: int


def lbfgsb(objective: Objective, x0: np.ndarray, lower: np.ndarray, upper: np.ndarray,
           maxiter: int, ftol: float | None = None,
           callback: Callable[[np.ndarray], None] | None = None,
           scale: np.ndarray | None = None) -> Minimum:
    """L-BFGS-B on f from x0 (p,) within [lower, upper] (p,): what ``minimize(value, x0,
    jac=gradient, method="L-BFGS-B", bounds=Bounds(lower, upper), options={"maxiter":
    maxiter, "ftol": ftol}, callback=callback)`` returns (ftol None: scipy's default), f
    evaluated through `ValueAndGradient`. `callback(x)` runs after each iteration; raising
    StopIteration there ends the run at x (scipy's halting callback).

    With `scale` (p,) > 0 the solver runs over u, x = x₀ + s ∘ u, from u = 0 within the
    bounds mapped alike, on u ↦ (f(x), s ∘ ∇f(x)): a diagonal change of variables (Nocedal
    & Wright 2006, §2.2), which changes the solver's path and not the problem. f, the
    callback and the result see x, computed as x₀ + s ∘ u every time (so a callback's
    point is, bit for bit, the point f was last evaluated at); x may round an ulp past a
    bound that u is on.

    `minimize` checks its arguments, turns the bounds into a `Bounds`, then into a list
    of pairs, which `_minimize_lbfgsb` turns back into arrays, and looks for fixed
    variables (it removes them only where it takes finite differences, never with a
    gradient); `fmin_l_bfgs_b` calls the same `_minimize_lbfgsb` with the pairs. Its
    tolerance is factr = ftol / eps, which it multiplies back by eps and the solver divides
    by eps again: eps is a power of 2, so the solver gets the factr `minimize` gives it
    (exactly, for any positive ftol: both overflow to inf alike). Same solver, same
    arguments: the same points evaluated, the same result (tests/test_memo.py), ~50 µs
    less a call. Where every variable is fixed, `minimize` answers without running the
    solver: that case is left to it.
    """
    if scale is not None:
        return _scaled(objective, x0, lower, upper, maxiter, ftol, callback, scale)
    memo = ValueAndGradient(objective)
    if bool(np.all(lower == upper)):
        options = {"maxiter": maxiter} if ftol is None else {"maxiter": maxiter, "ftol": ftol}
        result = minimize(memo.value, x0, jac=memo.gradient, method="L-BFGS-B",
                          bounds=Bounds(lower, upper), options=options, callback=callback)
        return Minimum(result.x, float(result.fun), int(result.nfev))
    factr = 1e7 if ftol is None else ftol / _EPS  # fmin_l_bfgs_b's default is minimize's
    x, fun, info = fmin_l_bfgs_b(memo.value, x0, fprime=memo.gradient,
                                 bounds=list(zip(lower.tolist(), upper.tolist())),
                                 maxiter=maxiter, factr=factr, callback=callback)
    return Minimum(x, float(fun), int(info["funcalls"]))


def over_u(objective: Objective, x0: np.ndarray, scale: np.ndarray) -> Objective:
    """f in the scaled variables u of x = x₀ + s ∘ u: u ↦ (f(x), s ∘ ∇f(x)), x computed as
    x₀ + s ∘ u every time (`lbfgsb`'s `scale`; the SLSQP search under linear constraints)."""
    def scaled(u: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad = objective(x0 + scale * u)
        return value, grad * scale

    return scaled


def _scaled(objective: Objective, x0: np.ndarray, lower: np.ndarray, upper: np.ndarray,
            maxiter: int, ftol: float | None, callback: Callable[[np.ndarray], None] | None,
            scale: np.ndarray) -> Minimum:
    """`lbfgsb` with `scale`: the unscaled run over u (its docstring)."""
    after = None if callback is None else (lambda u: callback(x0 + scale * u))
    result = lbfgsb(over_u(objective, x0, scale), np.zeros_like(x0), (lower - x0) / scale,
                    (upper - x0) / scale, maxiter, ftol, after)
    return Minimum(x0 + scale * result.x, result.fun, result.nfev)

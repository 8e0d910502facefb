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
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Objective = Callable[[np.ndarray], tuple[float, np.ndarray]]


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

"""Integer- and category-aware inputs: the GP's kernel on rounded points.

    X    : (m, c [+ 1]) encoded points (`bayesopt.space`; a budget-level column last
           when the budget is an input, left as it is)
    T(X) : (m, c [+ 1]) X with each Integer column rounded to the encoding of its
           nearest value and each one-hot group set to 1 at its largest column and
           0 elsewhere (`Space.project`)
    k_T  : k_T(x, x') = k(T(x), T(x'))

Garrido-Merchán & Hernández-Lobato (2020), "Dealing with categorical and
integer-valued variables in Bayesian optimization with Gaussian processes"
(Neurocomputing 380; arXiv:1805.03463, extending arXiv:1706.03673 on
integers to categoricals): with k_T the GP is constant
over each integer's bin and each one-hot group's argmax region, so the
acquisition sees a plateau where the objective has one, not a slope between
two evaluated values. k_T is a valid kernel (k on a deterministic map).

The training inputs are encodings of valid points, which T leaves unchanged
bit for bit (`project` is encode ∘ decode), so the kernel matrix, the
hyperparameter fit and the factor are those of the relaxed model: T changes
the posterior only at points off the lattice, where `predict` now returns the
value of the lattice point T(x) (∂T/∂x = 0 on the discrete columns).

The acquisition optimizer therefore cannot move integer columns by gradient:
with `ModelOptions(integer_kernel="round")` they are held fixed in L-BFGS-B,
as one-hot columns always are, and searched on their lattice instead
(`acquisition.optimizer.IntegerLattice`: coordinate-wise steps of ±1, ±2,
±4, … values, alternating with the continuous polish and the categorical
enumeration). With "relax" (the default) nothing here is used: integers are
optimized relaxed and rounded before the final re-scoring.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from bayesopt.space import Space

# values of ModelOptions.integer_kernel → whether the kernel sees T(x) (this module)
INTEGER_KERNELS: dict[str, bool] = {"relax": False, "round": True}


@dataclass(frozen=True)
class InputRounding:
    """T of the module docstring on the first `width` columns of the model's inputs."""

    project: Callable[[np.ndarray], np.ndarray]  # (m, width) → (m, width): `Space.project`
    width: int  # the encoding's columns (a budget-level column after them is left as is)
    columns: np.ndarray  # (k,) the discrete columns, where ∂T/∂x = 0

    def __call__(self, X: np.ndarray) -> np.ndarray:
        """T(X): (m, d) → (m, d)."""
        out = np.array(X, dtype=np.float64)
        out[:, : self.width] = self.project(out[:, : self.width])
        return out

    def chain(self, gradient: np.ndarray) -> np.ndarray:
        """∂g(T(x))/∂x from ∂g/∂T: (..., m, d), zero on the discrete columns."""
        out = np.array(gradient, dtype=np.float64)
        out[..., self.columns] = 0.0
        return out


def input_rounding(space: Space, integer_kernel: str) -> InputRounding | None:
    """T of `space` for `ModelOptions.integer_kernel` (None: the relaxed inputs)."""
    if not INTEGER_KERNELS[integer_kernel]:
        return None
    return InputRounding(space.project, space.n_columns, space.discrete_columns)

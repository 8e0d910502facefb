"""Stationary ARD kernels with hyperparameters in log space.

    θ = (log l_1, …, log l_d, log s2)        shape (d + 1,)
    X : (n, d) inputs in the unit cube,  X* : (m, d)

A `Kernel` is a small immutable value: its name, input dimension and θ. The
numeric work is done by the Numba loops in `kernels.stationary`; this class
only scales the inputs by the lengthscales and forwards the call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

import numpy as np

from kernels import stationary

KERNEL_KINDS: dict[str, int] = {
    "matern52": stationary.MATERN52,
    "matern32": stationary.MATERN32,
    "matern12": stationary.MATERN12,
    "exponential": stationary.MATERN12,
    "rbf": stationary.RBF,
}


@dataclass(frozen=True)
class Kernel:
    """s2 · κ(r) with r² = Σ_j (x_j − y_j)² / l_j²; see `kernels.stationary` for κ."""

    name: str
    dim: int
    theta: np.ndarray = field(repr=False)  # (dim + 1,)

    def __post_init__(self) -> None:
        if self.name not in KERNEL_KINDS:
            raise ValueError(f"kernel={self.name!r} is not one of {sorted(KERNEL_KINDS)}")
        if not isinstance(self.dim, (int, np.integer)) or self.dim < 1:
            raise ValueError(f"kernel dim={self.dim!r} must be a positive integer")
        theta = np.asarray(self.theta, dtype=np.float64)
        if theta.shape != (self.dim + 1,) or not np.all(np.isfinite(theta)):
            raise ValueError(f"kernel theta must be {self.dim + 1} finite log-parameters, got {theta!r}")
        object.__setattr__(self, "theta", theta)

    @classmethod
    def default(cls, name: str, dim: int) -> Kernel:
        """Unit signal variance and unit lengthscales (θ = 0)."""
        theta = np.zeros(dim + 1)
        return cls(name, dim, theta)

    @property
    def kind(self) -> int:
        return KERNEL_KINDS[self.name]

    @property
    def lengthscales(self) -> np.ndarray:
        return cast(np.ndarray, np.exp(self.theta[:-1]))

    @property
    def variance(self) -> float:
        return float(np.exp(self.theta[-1]))

    def with_theta(self, theta: np.ndarray) -> Kernel:
        return Kernel(self.name, self.dim, theta)

    def _scaled(self, X: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(X / self.lengthscales)

    def matrix(self, X: np.ndarray, diag_add: float = 0.0) -> np.ndarray:
        """K(X, X) + diag_add·I: (n, n)."""
        return stationary.kernel_matrix(self.kind, self._scaled(X), self.variance, diag_add)

    def cross(self, Xq: np.ndarray, X: np.ndarray) -> np.ndarray:
        """K(X*, X): (m, n)."""
        return stationary.cross_kernel(self.kind, self._scaled(Xq), self._scaled(X), self.variance)

    def theta_gradient(self, X: np.ndarray, alpha: np.ndarray, K_inv: np.ndarray) -> np.ndarray:
        """½·tr((ααᵀ − K⁻¹)·∂K/∂θ): (d + 1,). K_inv: lower triangle read."""
        return stationary.lml_gradient_contraction(
            self.kind, self._scaled(X), self.variance, alpha, K_inv
        )

    def cross_gradient(self, Xq: np.ndarray, X: np.ndarray, W: np.ndarray) -> np.ndarray:
        """Σ_b W_cib ∂k(x*_i, x_b)/∂x*_ij for W: (c, m, n) → (c, m, d)."""
        return stationary.cross_gradient_contraction(
            self.kind, self._scaled(Xq), self._scaled(X), 1.0 / self.lengthscales,
            self.variance, np.ascontiguousarray(W),
        )

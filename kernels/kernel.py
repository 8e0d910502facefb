"""Stationary ARD kernels with hyperparameters in log space.

    θ = (log l_1, …, log l_d, log s2)        shape (d + 1,)
    X : (n, d) inputs in the unit cube,  X* : (m, d)

A `Kernel` is a small immutable value: its name, input dimension and θ. The
numeric work is done by the Numba loops in `kernels.stationary`; this class
only scales the inputs by the lengthscales and forwards the call.

Conditional inputs (`gates`). Column j with gates[j] = g ≥ 0 is *active* at
a point x when x_g > ½ (column g is that point's activity indicator, 0 or 1),
otherwise inactive. Before anything is computed every inactive coordinate
is imputed to INACTIVE_VALUE:

    φ(x)_j = x_j if gates[j] < 0 or x_g > ½,  else INACTIVE_VALUE
    k_gated(x, y) = k(φ(x), φ(y))

This is the imputation of Lévesque, Durand, Gagné & Sabourin (2017),
"Bayesian optimization for conditional hyperparameter spaces" (IJCNN), done
inside the kernel so an inactive coordinate never changes k; the indicator
columns are ordinary inputs with their own lengthscales, so
|x_g − y_g| / l_g adds a learned penalty whenever two points differ in
whether j is active (a soft version of SMAC's zero covariance between
activity patterns, which l_g → 0 recovers). k_gated is a stationary kernel
of the embedding φ, hence positive semi-definite. φ is piecewise constant
in the indicators, so ∂k_gated/∂x_j = [j active at x]·∂k/∂x_j, and the
θ-gradient is the ungated one at φ(X).

Budget basis (`budget_power=p`). The last column is a budget level z ∈ [0, 1]
(a Fidelity's, `bayesopt.fidelity.budget_level`), modelled by the basis
(1, (1 − z)^p) instead of a lengthscale: k = s2·κ(r_x)·(1 + τ²(1 − z)^p(1 − z′)^p)
with r_x over the other columns (p = 2: FABOLAS's), and θ's slot of the last
lengthscale holds log τ² (`kernels.fidelity`, whose functions the methods below
forward to). With `budget_lengthscale=True` z is also a stationary input:
k = s2·κ(√(r_x² + (z − z′)²/l_z²))·(1 + τ²(1 − z)^p(1 − z′)^p), and θ has one slot
more, θ = (log l_1 … log l_d, log τ², log s2) (shape (d + 2,); l_d = l_z).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import cast

import numpy as np
from scipy.spatial.distance import cdist

from kernels import fidelity, stationary

INACTIVE_VALUE = 0.5  # the imputed value of an inactive coordinate (the unit interval's centre)
# `Kernel.matrix_scaled` takes K for fewer rows than this from the pass that also writes the
# pairs' profile, n(n − 1) floats it then drops (under 2 MB here), a cost paid once per
# factorization, not per marginal-likelihood evaluation (bench/results/cold_start.md); from
# this size on, where that memory matters, `kernel_matrix` builds K alone.
MATRIX_FROM_PROFILE_PASS_BELOW = 500

KERNEL_KINDS: dict[str, int] = {
    "matern52": stationary.MATERN52,
    "matern32": stationary.MATERN32,
    "matern12": stationary.MATERN12,
    "exponential": stationary.MATERN12,
    "rbf": stationary.RBF,
}


def positive_parameters(theta: np.ndarray) -> tuple[np.ndarray, float]:
    """(l, s2) = (exp θ[:-1], exp θ[-1]): the lengthscales (d,) and the signal variance of
    θ: (d + 1,). `Kernel` and the MAP objective (`bayesopt.fitting`) both take them here."""
    return cast(np.ndarray, np.exp(theta[:-1])), float(np.exp(theta[-1]))


def scaled_inputs(imputed: np.ndarray, lengthscales: np.ndarray) -> np.ndarray:
    """Z = φ(X) / l: (n, d), C-contiguous — what the Numba loops take, from the imputed
    inputs φ(X): (n, d) (`Kernel.impute`) and the lengthscales l: (d,)."""
    return np.ascontiguousarray(imputed / lengthscales)


@dataclass(frozen=True)
class Kernel:
    """s2 · κ(r) with r² = Σ_j (x_j − y_j)² / l_j²; see `kernels.stationary` for κ."""

    name: str
    dim: int
    theta: np.ndarray = field(repr=False)  # (dim + 1,)
    gates: tuple[int, ...] | None = None  # (dim,) activity column of each column, −1: always
    budget_power: int | None = None  # p: the last column a budget level in the basis (1, (1 − z)^p)
    budget_lengthscale: bool = False  # with budget_power: z a stationary input of its own too

    def __post_init__(self) -> None:
        if self.name not in KERNEL_KINDS:
            raise ValueError(f"kernel={self.name!r} is not one of {sorted(KERNEL_KINDS)}")
        if not isinstance(self.dim, (int, np.integer)) or self.dim < 1:
            raise ValueError(f"kernel dim={self.dim!r} must be a positive integer")
        self._check_budget()
        theta = np.asarray(self.theta, dtype=np.float64)
        size = self.n_theta
        if theta.shape != (size,) or not np.all(np.isfinite(theta)):
            raise ValueError(f"kernel theta must be {size} finite log-parameters, got {theta!r}")
        object.__setattr__(self, "theta", theta)
        if self.gates is not None:
            gates = tuple(int(g) for g in self.gates)
            if len(gates) != self.dim or any(not -1 <= g < self.dim or g == j
                                             for j, g in enumerate(gates)):
                raise ValueError(f"kernel gates={self.gates!r} must give each of the {self.dim} "
                                 "columns another column's index or -1")
            object.__setattr__(self, "gates", gates)

    def _check_budget(self) -> None:
        """budget_power: None or p ≥ 1 with a configuration column besides the budget;
        budget_lengthscale: a bool, True only with a budget_power."""
        power = self.budget_power
        if power is not None and (isinstance(power, bool) or not isinstance(power, int)
                                  or power < 1 or self.dim < 2):
            raise ValueError(f"kernel budget_power={power!r} must be None or an integer ≥ 1, "
                             f"with a configuration column besides the budget (dim={self.dim})")
        if not isinstance(self.budget_lengthscale, bool) or (
                self.budget_lengthscale and power is None):
            raise ValueError(f"kernel budget_lengthscale={self.budget_lengthscale!r} must be a "
                             "bool, True only with a budget_power")

    @property
    def scaled_columns(self) -> int:
        """Columns of Z = scale(X): dim, one more with `budget_lengthscale` (z / l_z and v)."""
        return self.dim + self.budget_lengthscale

    @property
    def n_theta(self) -> int:
        """Size of θ: dim + 1, one more with `budget_lengthscale` (the slot of log τ²)."""
        return self.dim + 1 + self.budget_lengthscale

    @classmethod
    def default(cls, name: str, dim: int) -> Kernel:
        """Unit signal variance and unit lengthscales (θ = 0)."""
        theta = np.zeros(dim + 1)
        return cls(name, dim, theta)

    @property
    def kind(self) -> int:
        return KERNEL_KINDS[self.name]

    @functools.cached_property
    def _positive(self) -> tuple[np.ndarray, float]:
        return positive_parameters(self.theta)

    @functools.cached_property
    def lengthscales(self) -> np.ndarray:
        return self._positive[0]

    @functools.cached_property
    def variance(self) -> float:
        return self._positive[1]

    @functools.cached_property
    def _inverse_lengthscales(self) -> np.ndarray:
        return cast(np.ndarray, 1.0 / self.lengthscales)

    def with_theta(self, theta: np.ndarray) -> Kernel:
        return Kernel(self.name, self.dim, theta, self.gates, self.budget_power,
                      self.budget_lengthscale)

    def active(self, X: np.ndarray) -> np.ndarray:
        """Which coordinates of X: (n, dim) are active: (n, dim) bool (all True without gates)."""
        if self.gates is None:
            return np.ones(X.shape, dtype=bool)
        gates = np.asarray(self.gates)
        gated = gates >= 0
        active = np.ones(X.shape, dtype=bool)
        active[:, gated] = X[:, gates[gated]] > 0.5
        return active

    def impute(self, X: np.ndarray) -> np.ndarray:
        """φ(X): inactive coordinates set to INACTIVE_VALUE; X itself without gates."""
        if self.gates is None:
            return X
        return np.where(self.active(X), X, INACTIVE_VALUE)

    def scale(self, X: np.ndarray) -> np.ndarray:
        """Z = φ(X) / l: (n, dim), C-contiguous — what the Numba loops take. Row i of Z
        depends on row i of X only, so the Z of appended rows can be appended; the
        `*_scaled` methods take Z of the training inputs instead of X. With the budget
        basis the last column of Z is v = τ(1 − z)^p (`kernels.fidelity`), after the
        configuration's scaled columns (and z / l_z with `budget_lengthscale`): (n, k + 1)."""
        if self.budget_power is None:
            return scaled_inputs(self.impute(X), self.lengthscales)
        imputed = self.impute(X)
        k = self.n_theta - 2  # the stationary part's columns
        Z = np.empty((X.shape[0], k + 1))
        Z[:, :k] = imputed[:, :k] / self.lengthscales[:k]
        Z[:, k] = fidelity.budget_weight(imputed[:, -1], self._tau, self.budget_power)
        return Z

    @functools.cached_property
    def _tau(self) -> float:
        """τ of the budget basis: θ's last lengthscale slot is log τ²."""
        return float(np.exp(0.5 * self.theta[-2]))

    def diagonal(self, Xq: np.ndarray) -> np.ndarray:
        """k(x*, x*) at each row of Xq: (m, dim) → (m,): s2, or s2·(1 + v²) with the budget
        basis."""
        if self.budget_power is None:
            return np.full(Xq.shape[0], self.variance)
        weight = fidelity.budget_weight(Xq[:, -1], self._tau, self.budget_power)
        return self.variance * (1.0 + weight**2)

    def diagonal_gradient(self, Xq: np.ndarray) -> np.ndarray | None:
        """∂k(x*, x*)/∂x*: (m, dim), None where it is 0 (a stationary kernel)."""
        if self.budget_power is None:
            return None
        return fidelity.diagonal_gradient(Xq, self.variance, self._tau, self.budget_power)

    def matrix(self, X: np.ndarray, diag_add: float = 0.0) -> np.ndarray:
        """K(X, X) + diag_add·I: (n, n)."""
        return self.matrix_scaled(self.scale(X), diag_add)

    def matrix_scaled(self, Z: np.ndarray, diag_add: float = 0.0) -> np.ndarray:
        """`matrix` of Z = scale(X).

        Below `MATRIX_FROM_PROFILE_PASS_BELOW` rows K comes from the pass that also writes
        the pairs' profile (`stationary.kernel_matrix_with_profile`, the same K bit for bit:
        tests/test_kernels.py), its profile dropped: the marginal likelihood compiles that
        loop anyway, so a first run on a machine compiles one loop fewer
        (bench/results/cold_start.md)."""
        if self.budget_power is not None:
            return fidelity.matrix(self.kind, Z, self.variance, diag_add, False)[0]
        if Z.shape[0] < MATRIX_FROM_PROFILE_PASS_BELOW:
            return stationary.kernel_matrix_with_profile(self.kind, Z, self.variance, diag_add)[0]
        return stationary.kernel_matrix(self.kind, Z, self.variance, diag_add)

    def matrix_and_profile_scaled(
        self, Z: np.ndarray, diag_add: float = 0.0
    ) -> tuple[np.ndarray, np.ndarray]:
        """`matrix_scaled`, and the profile (κ, g) of each pair below the diagonal,
        (n(n − 1)/2, 2), that `theta_gradient_scaled` takes (`kernels.stationary`;
        with the budget basis, that of the configuration's columns)."""
        if self.budget_power is not None:
            K, P = fidelity.matrix(self.kind, Z, self.variance, diag_add, True)
            assert P is not None
            return K, P
        return stationary.kernel_matrix_with_profile(self.kind, Z, self.variance, diag_add)

    def cross(self, Xq: np.ndarray, X: np.ndarray) -> np.ndarray:
        """K(X*, X): (m, n)."""
        return self.cross_scaled(Xq, self.scale(X))

    def cross_scaled(self, Xq: np.ndarray, Z: np.ndarray) -> np.ndarray:
        """`cross` with the training inputs given as Z = scale(X)."""
        return self.cross_both_scaled(self.scale(Xq), Z)

    def cross_both_scaled(self, Zq: np.ndarray, Z: np.ndarray) -> np.ndarray:
        """`cross` with the queries given as Zq = scale(X*) too (so a caller that also
        takes the gradient at X* scales them once)."""
        if self.budget_power is not None:
            return fidelity.cross(self.kind, Zq, Z, self.variance)
        return stationary.cross_kernel(self.kind, Zq, Z, self.variance)

    @property
    def switches_by_distance(self) -> bool:
        """Whether `cross_switching_scaled` serves this kernel at any rows: a stationary
        kernel of every column, without gates (an activity column changes φ) or a budget
        basis. With gates it serves the rows where the group is active (`switches_at`)."""
        return self.gates is None and self.budget_power is None

    def switches_at(self, Xq: np.ndarray, group: np.ndarray) -> bool:
        """Whether `cross_switching_scaled` serves the trials of Xq: (r, dim) switching the
        one-hot columns `group` (k,): `switches_by_distance`, or with gates (and no budget
        basis) when the group's columns share one gate, active at every row of Xq, and none
        of them is a gate: then φ(trial) is φ(row) with the group set to e_c."""
        if self.budget_power is not None:
            return False
        if self.gates is None:
            return True
        gates = np.asarray(self.gates)
        gate = int(gates[group[0]])
        if np.any(gates[group] != gate) or np.isin(group, gates).any():
            return False
        return gate < 0 or bool(np.all(Xq[:, gate] > 0.5))

    def cross_switching_scaled(self, Xq: np.ndarray, Z: np.ndarray,
                               group: np.ndarray) -> np.ndarray:
        """K(trials, X): (r·k, n) for the r·k trials of Xq: (r, dim), row i·k + c being row
        i with its one-hot columns `group` (k,) set to the unit vector e_c, Z = scale(X):
        (n, dim).

        Only the group's term of r² depends on c, so each trial's r² is the start's
        over the other columns plus that term, with z_b = Z[b] and S_b = Σ_{j∈group} z_bj²:

            r²(x^(c), x_b) = Σ_{j∉group} (x_j/l_j − z_bj)² + Σ_{j∈group} (δ_jc/l_j − z_bj)²
                           = r²_rest(x, x_b) + S_b − z_bc² + (1/l_c − z_bc)²

        O(r·n·(dim + k)) instead of the O(r·k·n·dim) of `cross` on r·k full rows. The sums
        are taken in another order than `cross`'s (column by column), so the values agree
        with its to rounding, not bit for bit. With gates (`switches_at`) the other columns
        are φ(x)'s, the group active in every trial."""
        assert self.switches_at(Xq, group), "trials whose φ is not the row's with e_c"
        R2 = switch_squared_distances(self.impute(Xq) / self.lengthscales, Z, group,
                                      1.0 / self.lengthscales[group]).reshape(-1, Z.shape[0])
        return stationary.kernel_of_squared_distances(self.kind, np.maximum(R2, 0.0),
                                                      self.variance)

    def cross_and_profile_scaled(
        self, Zq: np.ndarray, Z: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """`cross_both_scaled`, and the pairs' g(r) = κ'(r)/r: (m, n) that
        `cross_gradient_both_scaled` takes as `profile` (`stationary.
        cross_kernel_with_profile`); None with the budget basis, whose gradient
        evaluates its own."""
        if self.budget_power is not None:
            return self.cross_both_scaled(Zq, Z), None
        return stationary.cross_kernel_with_profile(self.kind, Zq, Z, self.variance)

    def theta_gradient(self, X: np.ndarray, alpha: np.ndarray, K_inv: np.ndarray) -> np.ndarray:
        """½·tr((ααᵀ − K⁻¹)·∂K/∂θ): (d + 1,). K_inv: lower triangle read."""
        return self.theta_gradient_scaled(self.scale(X), alpha, K_inv)

    def theta_gradient_scaled(self, Z: np.ndarray, alpha: np.ndarray, K_inv: np.ndarray,
                              profile: np.ndarray | None = None) -> np.ndarray:
        """`theta_gradient` of Z = scale(X); `profile` as `matrix_and_profile_scaled` returns
        it for these Z (computed here when None)."""
        if profile is None:
            profile = self.matrix_and_profile_scaled(Z)[1]
        if self.budget_power is not None:
            return fidelity.theta_gradient(Z, self.variance, alpha, K_inv, profile)
        return stationary.lml_gradient_contraction(Z, self.variance, alpha, K_inv, profile)

    def cross_gradient(self, Xq: np.ndarray, X: np.ndarray, W: np.ndarray) -> np.ndarray:
        """Σ_b W_cib ∂k(x*_i, x_b)/∂x*_ij for W: (c, m, n) → (c, m, d); 0 where x*_ij is
        inactive."""
        return self.cross_gradient_scaled(Xq, self.scale(X), W)

    def cross_gradient_scaled(self, Xq: np.ndarray, Z: np.ndarray, W: np.ndarray) -> np.ndarray:
        """`cross_gradient` with the training inputs given as Z = scale(X)."""
        return self.cross_gradient_both_scaled(Xq, self.scale(Xq), Z, W)

    def cross_gradient_both_scaled(self, Xq: np.ndarray, Zq: np.ndarray, Z: np.ndarray,
                                   W: np.ndarray, profile: np.ndarray | None = None) -> np.ndarray:
        """`cross_gradient_scaled` with Zq = scale(Xq) given too (Xq: (m, dim) is still read,
        for the activity of its coordinates and its budget level); `profile`: the pairs'
        g(r) as `cross_and_profile_scaled` returns it for these Zq and Z (the same result,
        without evaluating the profile again), None with the budget basis."""
        if profile is not None:
            assert self.budget_power is None, "the budget basis takes no profile"
            grad: np.ndarray = stationary.cross_gradient_from_profile(
                Zq, Z, self._inverse_lengthscales, self.variance, np.ascontiguousarray(W),
                profile)
        elif self.budget_power is not None:
            grad = fidelity.cross_gradient(
                self.kind, Zq, Z, self._inverse_lengthscales[:-1], self.variance,
                self._tau, self.budget_power, Xq[:, -1], np.ascontiguousarray(W),
                self.budget_lengthscale)
        else:
            grad = stationary.cross_gradient_contraction(
                self.kind, Zq, Z, self._inverse_lengthscales,
                self.variance, np.ascontiguousarray(W))
        if self.gates is not None:
            grad *= self.active(Xq)[None]
        return grad


def switch_squared_distances(X: np.ndarray, P: np.ndarray, group: np.ndarray,
                             ones: np.ndarray) -> np.ndarray:
    """‖trial − p_j‖²: (r, k, p) for the trials of X: (r, d) whose columns `group` (k,) are
    set to `ones` · e_c (the unit vector, scaled as X is), and points P: (p, d):

        ‖x^(c) − p_j‖² = Σ_{l∉group} (x_l − p_jl)² + Σ_{l∈group} p_jl² − p_jc² + (u_c − p_jc)²

    the first term one `cdist` over the other columns (r·p·d, not r·k·p·d), the group's
    with Σ − p_jc² taken first: 0 exactly where p_j is one-hot at c. Summed in another
    order than the trial rows', so equal to theirs to rounding. `Kernel.
    cross_switching_scaled` takes it on inputs scaled by the lengthscales (u = 1/l), the
    local and failure penalties (`acquisition.penalty`) on theirs."""
    rest = np.ones(X.shape[1], dtype=bool)
    rest[group] = False
    r2_rest = cdist(X[:, rest], P[:, rest], "sqeuclidean")  # (r, p)
    Pg = P[:, group].T  # (k, p)
    term = (np.sum(Pg * Pg, axis=0) - Pg * Pg) + (ones[:, None] - Pg) ** 2  # (k, p)
    return cast(np.ndarray, r2_rest[:, None, :] + term[None])

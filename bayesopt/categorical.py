"""A Hamming kernel term per categorical: the lengthscales of its one-hot columns tied.

    θ : (d + 2 [+ 2w],) the GP's log-parameters (log l_1 … log l_d, log s2, log σ² [, θ_w])
    φ : (r + 2 [+ 2w],) what the fit optimizes: one log-lengthscale per group, then the same
        log s2, log σ² [, θ_w]; a group is one categorical's one-hot columns, or one other
        column on its own (r = d − Σ_c (k_c − 1) for categoricals of k_c choices)
    g : (d,) the group of each column;  θ = E φ:  θ_j = φ_{g(j)} (j < d), the rest copied

A categorical of k choices is k one-hot columns (`bayesopt.space`). With their k
lengthscales tied to one ℓ_c, two one-hot vectors a, b of the group are at the
squared scaled distance Σ_j (a_j − b_j)²/ℓ_c² = 2·[a ≠ b]/ℓ_c² (distinct choices
differ in exactly two columns), so the kernel is

    k(x, x') = s2 · κ(√(Σ_cont (x_j − x'_j)²/ℓ_j² + Σ_cat 2·[a_c ≠ b_c]/ℓ_c²)),

κ the radial profile of the Matérn/RBF kind: a Hamming distance per categorical
with one lengthscale each, the categorical distance of Optuna's GPSampler
(`optuna/_gp/gp.py`: [a ≠ b]/ℓ², so ℓ_Optuna = ℓ_c/√2). SMAC's GP uses the
Hamming distance too (as a separate kernel factor). Tying gives that kernel
without a second kernel code path: every point the GP is evaluated at is an
exact one-hot vector (training points are encodings; the acquisition optimizer
holds one-hot columns fixed in L-BFGS-B and enumerates the categories), so the
Numba kernels, the rounding T of `bayesopt.rounding`, the conditional gates and
the acquisition optimizer are unchanged. What changes is the fit: k − 1 fewer
hyperparameters per categorical to learn from a few dozen points.

Gradient (chain rule through E): ∂/∂φ_g = Σ_{j: g(j) = g} ∂/∂θ_j, i.e. Eᵀ ∇θ.

Prior: each group's log ℓ_c gets the lengthscale prior of one column
(`bayesopt.priors`, the dimension d counting encoded columns as for the
one-hot model). At the prior's mode every column has the same lengthscale, tied
or not, so the tied model starts where the one-hot one does and its prior
centre is the same kernel; counting the column prior once per tied column would
instead narrow it by √k. Optuna also puts one and the same prior on every
parameter's lengthscale, categorical or not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from bayesopt.fitting import (
    FitOptions,
    FitResult,
    NegativeLogPosterior,
    log_prior,
    minimize_from_starts,
    parameter_bounds,
    preconditioning,
)
from bayesopt.priors import BlockwisePriors, HyperparameterPriors, StackedPriors
from bayesopt.warping import KumaraswamyWarping

if TYPE_CHECKING:
    from bayesopt.space import Space

# values of ModelOptions.categorical_kernel → whether a categorical's lengthscales are tied
CATEGORICAL_KERNELS: dict[str, bool] = {"onehot": False, "hamming": True}


@dataclass(frozen=True)
class LengthscaleTying:
    """E of the module docstring: `group` (d,) is g, `first` (r,) each group's first column."""

    group: np.ndarray  # (d,) ints 0 … r − 1, in column order
    first: np.ndarray  # (r,)

    @classmethod
    def of(cls, dim: int, groups: Sequence[np.ndarray]) -> LengthscaleTying:
        """The tying of `dim` columns where each of `groups` (column indices) shares one
        lengthscale and every other column keeps its own."""
        label = np.arange(dim)
        for columns in groups:
            label[np.asarray(columns, dtype=int)] = int(np.min(columns))
        first, group = np.unique(label, return_inverse=True)
        return cls(group.astype(int), first.astype(int))

    @property
    def dim(self) -> int:
        return int(self.group.shape[0])

    @property
    def n_groups(self) -> int:
        return int(self.first.shape[0])

    def expand(self, phi: np.ndarray) -> np.ndarray:
        """θ = E φ: (r + q,) → (d + q,)."""
        return np.concatenate([phi[self.group], phi[self.n_groups:]])

    def reduce(self, theta: np.ndarray) -> np.ndarray:
        """φ from θ, each group's lengthscale read at its first column: (d + q,) → (r + q,)
        (E's left inverse on tied θ)."""
        return np.concatenate([theta[self.first], theta[self.dim:]])

    def gradient(self, grad_theta: np.ndarray) -> np.ndarray:
        """Eᵀ ∇θ: the tied columns' gradients summed, (d + q,) → (r + q,)."""
        tied = np.bincount(self.group, weights=grad_theta[: self.dim], minlength=self.n_groups)
        return np.concatenate([tied, grad_theta[self.dim:]])


class TiedNegativeLogPosterior:
    """φ ↦ −log p(y | E φ) − log p(φ) and its gradient: the MAP objective of the tied model
    (`bayesopt.fitting.NegativeLogPosterior` on θ = E φ, the prior on φ; module docstring).
    `priors=None` drops the log prior (maximum likelihood)."""

    def __init__(self, tying: LengthscaleTying, likelihood: NegativeLogPosterior,
                 priors: HyperparameterPriors | None,
                 warping: KumaraswamyWarping | None) -> None:
        self.tying, self.likelihood, self.warping = tying, likelihood, warping
        # the groups' slots, and the budget lengthscale's τ² slot past the columns if any
        self.slots = tying.n_groups + likelihood.slots - tying.dim
        self.prior: StackedPriors | BlockwisePriors | None = (
            None if priors is None else priors.stacked(self.slots))

    def __call__(self, phi: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad_theta = self.likelihood(self.tying.expand(phi))
        grad = self.tying.gradient(grad_theta)
        if self.prior is None:
            return value, grad
        prior_value, prior_grad = log_prior(phi, self.slots, self.prior, self.warping)
        return value - prior_value, grad - prior_grad


def fit_tied(
    tying: LengthscaleTying, kernel_name: str, X: np.ndarray, y: np.ndarray,
    priors: HyperparameterPriors | None, starts: list[np.ndarray], options: FitOptions,
    warping: KumaraswamyWarping | None = None, gates: tuple[int, ...] | None = None,
    budget_power: int | None = None, budget_lengthscale: bool = False,
    curvature: np.ndarray | None = None,
) -> FitResult:
    """`bayesopt.fitting.fit_map` over φ: L-BFGS-B from each start (θ, reduced to φ), the
    best optimum returned as θ = E φ; `curvature` and the result's are θ's (a group's
    value at each of its columns), read and written as the parameters are."""
    bounds = parameter_bounds(X.shape[1] + budget_lengthscale, options, warping, gates)
    tied_bounds = [bounds[j] for j in tying.first] + bounds[tying.dim:]
    likelihood = NegativeLogPosterior(kernel_name, X, y, None, warping, gates, budget_power,
                                      budget_lengthscale)
    objective = TiedNegativeLogPosterior(tying, likelihood, priors, warping)
    reduced = None if curvature is None else tying.reduce(curvature)
    result = minimize_from_starts(objective, tied_bounds, [tying.reduce(s) for s in starts],
                                  options.maxiter, options.ftol,
                                  *preconditioning(options, reduced))
    expanded = None if result.curvature is None else tying.expand(result.curvature)
    return replace(result, params=tying.expand(result.params), curvature=expanded)


def lengthscale_tying(space: Space, categorical_kernel: str, dim: int) -> LengthscaleTying | None:
    """The tying of `ModelOptions.categorical_kernel` for a model of `dim` columns, the
    encoding of `space` first (None: one lengthscale per column)."""
    if not CATEGORICAL_KERNELS[categorical_kernel]:
        return None
    return LengthscaleTying.of(dim, space.categorical_groups)

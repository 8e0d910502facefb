"""Priors on the GP hyperparameters, all placed on log-parameters.

    params = (log l_1 … log l_d, log s2, log σ²)          shape (d + 2,)

Each prior is a normal density on one log-parameter, i.e. a log-normal on the
parameter itself. Because the MAP fit optimizes the log-parameters, this is
the density the optimizer sees (no Jacobian term is needed).

Defaults:
- lengthscales: LogNormal(½·log d − 1, 1) — the dimension scaling of
  Hvarfner, Hellsten & Nardi (2024), "Vanilla Bayesian Optimization Performs
  Great in High Dimensions", arXiv:2402.02229, Sec. 4 (the prior median grows
  as √d, so the model does not assume more structure than d points can
  reveal), re-centred and narrowed for the budgets this library is used at:
  their LogNormal(√2 + ½·log d, √3) puts the median lengthscale at 10 for
  d = 6, a nearly linear model of the unit cube (the evidence for the change
  is in docs/choosing-defaults.md, "Kernel");
- signal variance: LogNormal(0, 1.5) — weak, centred on the unit variance of
  standardized targets;
- noise variance: LogNormal(−8, 2) — weak and low, so that a deterministic
  objective is not smoothed over near its optimum, and two log-units wide, so
  that a noisy objective still fits its noise (the comparison with BoTorch's
  LogNormal(−4, 1) is in docs/choosing-defaults.md, "Noise").

With a budget basis (`kernels.fidelity`) the last lengthscale slot holds log τ², the
bias variance relative to s2; it takes the lengthscale prior unless `budget_bias` is
set (`ModelOptions(fidelity_kernel="basis-small-bias")`, `bayesopt.model.BudgetBasis`).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LogNormalPrior:
    """log p ~ Normal(loc, scale²) on a log-parameter."""

    loc: float
    scale: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.loc) and math.isfinite(self.scale) and self.scale > 0):
            raise ValueError(f"prior needs finite loc and scale > 0, got loc={self.loc}, "
                             f"scale={self.scale}")

    def log_density(self, log_value: np.ndarray) -> tuple[float, np.ndarray]:
        """Σ log N(log_value; loc, scale²) and its gradient, up to a constant."""
        z = (np.asarray(log_value) - self.loc) / self.scale
        return -0.5 * float(np.sum(z**2)), -z / self.scale

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.normal(self.loc, self.scale, size)


@dataclass(frozen=True)
class StackedPriors:
    """The blocks of `HyperparameterPriors` as one (loc, scale) per log-parameter: one
    numpy pass per evaluation instead of one per block (the MAP objective's inner loop)."""

    loc: np.ndarray  # (d + 2,)
    scale: np.ndarray  # (d + 2,)

    def log_density(self, params: np.ndarray) -> tuple[float, np.ndarray]:
        """`LogNormalPrior.log_density` of the lengthscale, variance and noise blocks, summed,
        and the gradient: (d + 2,). Bit for bit the three blocks': z and the gradient are
        elementwise, and the value adds the lengthscales' sum, then the variance's term, then
        the noise's, in that order (a one-element sum is the element itself)."""
        z = (params - self.loc) / self.scale
        squares = z**2
        value = (-0.5 * float(np.sum(squares[:-2])) + -0.5 * float(squares[-2])
                 + -0.5 * float(squares[-1]))
        return value, -z / self.scale


# name → lengthscale prior for dimension d: the √d scaling of Hvarfner et al. (2024) at
# different centres ("recentred": the default; "hvarfner": their published prior;
# "shifted": median lengthscale 0.61·√d, between the two)
LENGTHSCALE_PRIORS = {
    "recentred": lambda dim: LogNormalPrior(0.5 * math.log(dim) - 1.0, 1.0),
    "hvarfner": lambda dim: LogNormalPrior(math.sqrt(2.0) + 0.5 * math.log(dim), math.sqrt(3.0)),
    "shifted": lambda dim: LogNormalPrior(0.5 * math.log(dim) - 0.5, 1.0),
}
# name → noise-variance prior ("low": the default; "botorch": BoTorch's)
NOISE_PRIORS = {"low": LogNormalPrior(-8.0, 2.0), "botorch": LogNormalPrior(-4.0, 1.0)}


@dataclass(frozen=True)
class HyperparameterPriors:
    """Independent priors on each block of the parameter vector."""

    lengthscale: LogNormalPrior
    variance: LogNormalPrior
    noise: LogNormalPrior
    budget_bias: LogNormalPrior | None = None  # the last lengthscale slot's (log τ²), if set

    @classmethod
    def default(
        cls, dim: int, lengthscale: str = "recentred", noise: str = "low"
    ) -> HyperparameterPriors:
        """The defaults above; the other entries of `LENGTHSCALE_PRIORS` and `NOISE_PRIORS`
        (the published Hvarfner and BoTorch priors among them) are there for ablations."""
        return cls(
            lengthscale=LENGTHSCALE_PRIORS[lengthscale](dim),
            variance=LogNormalPrior(0.0, 1.5),
            noise=NOISE_PRIORS[noise],
        )

    def log_density(self, params: np.ndarray) -> tuple[float, np.ndarray]:
        """Joint log prior of (log l, log s2, log σ²) and its gradient: (d + 2,)."""
        return self.stacked(params.shape[0] - 2).log_density(params)

    def stacked(self, dim: int) -> StackedPriors:
        """These priors for `dim` lengthscales as vectors over the whole parameter vector."""
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) or dim < 1:
            raise ValueError(f"dim={dim!r} must be a positive integer")
        return _stacked(self, int(dim))

    def sample(self, rng: np.random.Generator, dim: int) -> np.ndarray:
        if self.budget_bias is not None:
            return np.concatenate([self.lengthscale.sample(rng, dim - 1),
                                   self.budget_bias.sample(rng, 1),
                                   self.variance.sample(rng, 1), self.noise.sample(rng, 1)])
        return np.concatenate([
            self.lengthscale.sample(rng, dim),
            self.variance.sample(rng, 1),
            self.noise.sample(rng, 1),
        ])

    def mode(self, dim: int) -> np.ndarray:
        return np.array(_stacked(self, dim).loc)  # (dim + 2,)


@functools.lru_cache(maxsize=64)
def _stacked(priors: HyperparameterPriors, dim: int) -> StackedPriors:
    """`HyperparameterPriors.stacked`, built once per (priors, dim): the slice sampler's
    `log_posterior` asks for it at every evaluation. Read-only, since it is shared."""
    blocks = [priors.lengthscale] * dim + [priors.variance, priors.noise]
    if priors.budget_bias is not None:
        blocks[dim - 1] = priors.budget_bias
    loc = np.array([p.loc for p in blocks])
    scale = np.array([p.scale for p in blocks])
    loc.flags.writeable = scale.flags.writeable = False
    return StackedPriors(loc, scale)

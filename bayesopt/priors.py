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

Optuna's GPSampler priors (`lengthscale_prior="optuna"`, `variance_prior="optuna"`,
`noise_prior="optuna"`; optuna's `optuna/_gp/prior.py`, `default_log_prior`), each a
`PowerGammaPrior` on q = exp(k·u) for the log-parameter u, log p(q) = (α − 1)·log q − β·q − γ/q:
- on each inverse squared lengthscale λ = l⁻² (k = −2): −(0.1/λ + 0.1·λ) (α = 1, β = γ = 0.1);
- on the signal variance s2 (k = 1): Gamma(2, rate 1);
- on the noise variance σ² (k = 1): Gamma(1.1, rate 30).
GPSampler adds these log-densities, as functions of λ, s2 and σ², to its log-likelihood while
L-BFGS-B moves their logarithms, with no Jacobian; so do the "optuna" entries, and our MAP
over u has GPSampler's maximizer. They are then not densities on u: with
`hyperparameters="mcmc"` the sampler would draw from exp(objective) over u, not from the
prior's posterior. The "optuna-jacobian" entries are the densities on u, the change of
variables' factor |dq/du| = |k|·q included (2λ for λ = exp(−2u)): α becomes α + 1, which
moves the modes (l = 1 → 0.315, s2 = 1 → 2, σ² = 0.0033 → 0.037).

With a budget basis (`kernels.fidelity`) the last lengthscale slot holds log τ², the
bias variance relative to s2; it takes the lengthscale prior unless `budget_bias` is
set (`ModelOptions(fidelity_kernel="basis-small-bias")`, `bayesopt.model.BudgetBasis`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import numpy as np
from scipy import special

from acquisition.checks import shown


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

    @property
    def mode(self) -> float:
        return self.loc

    def normalized_log_density(self, log_value: np.ndarray) -> float:
        """Σ log N(log_value; loc, scale²), normalized (the evidence's log p(θ))."""
        z = (np.asarray(log_value) - self.loc) / self.scale
        return float(np.sum(-0.5 * z**2 - math.log(self.scale) - 0.5 * math.log(2.0 * math.pi)))

    def describe(self) -> dict[str, float | str]:
        return {"distribution": "lognormal", "loc": self.loc, "scale": self.scale}

    def text(self) -> str:
        return f"LogNormal({self.loc:.6g}, {self.scale:g})"


@dataclass(frozen=True)
class PowerGammaPrior:
    """log p(q) = (α − 1)·log q − β·q − γ/q on q = exp(power·u), u the log-parameter.

    γ = 0 is Gamma(α, rate β); γ > 0 a generalized inverse Gaussian. `jacobian=False`:
    `log_density` is that function of q, as GPSampler adds it to its objective (module
    docstring); `jacobian=True`: the density on u, log|dq/du| = log|power| + power·u added.
    Either way d/du = power·(α − 1 + J − β·q + γ/q), J = 1 with the Jacobian.
    """

    power: float
    shape: float  # α
    rate: float  # β
    inverse_rate: float = 0.0  # γ
    jacobian: bool = False

    def __post_init__(self) -> None:
        values = {"power": self.power, "shape": self.shape, "rate": self.rate,
                  "inverse_rate": self.inverse_rate}
        for key, value in values.items():
            if not math.isfinite(value):
                raise ValueError(f"prior needs finite parameters, got {key}={shown(value)}")
        if self.power == 0 or self.shape <= 0 or self.rate <= 0 or self.inverse_rate < 0:
            raise ValueError(f"prior needs power != 0, shape > 0, rate > 0, inverse_rate >= 0, "
                             f"got {values}")

    @property
    def exponent(self) -> float:
        """The coefficient of log q in the log-density on u: α − 1, plus 1 with the Jacobian."""
        return self.shape - 1.0 + float(self.jacobian)

    def log_density(self, log_value: np.ndarray) -> tuple[float, np.ndarray]:
        """Σ (α − 1 + J)·k·u − β·q − γ/q over the elements, and its gradient, up to a constant."""
        u = np.asarray(log_value, dtype=float)
        q = np.exp(self.power * u)
        inverse = np.exp(-self.power * u)  # 1/q without the division
        value = float(np.sum(self.exponent * self.power * u - self.rate * q
                             - self.inverse_rate * inverse))
        grad = self.power * (self.exponent - self.rate * q + self.inverse_rate * inverse)
        return value, grad

    @property
    def mode(self) -> float:
        """argmax over u of `log_density`: β·q² − (α − 1 + J)·q − γ = 0 at q > 0."""
        a = self.exponent
        if a <= 0 and self.inverse_rate == 0:  # the density falls from q = 0: no interior mode
            raise ValueError(f"prior with shape={shown(self.shape)}, inverse_rate=0 and "
                             f"jacobian={shown(self.jacobian)} has no mode at q > 0")
        q = (a + math.sqrt(a * a + 4.0 * self.rate * self.inverse_rate)) / (2.0 * self.rate)
        return math.log(q) / self.power

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """u = log(q)/power for q drawn from the prior on q (the distribution of q, whichever
        `jacobian`): Gamma(α, rate β), or GIG(α, 2√(βγ)) scaled by √(γ/β)."""
        if self.inverse_rate == 0:
            q = rng.gamma(self.shape, 1.0 / self.rate, size)
        else:
            scale = math.sqrt(self.inverse_rate / self.rate)
            b = 2.0 * math.sqrt(self.rate * self.inverse_rate)
            from scipy import stats  # here: scipy.stats is not imported with bayesopt

            q = scale * stats.geninvgauss.rvs(self.shape, b, size=size, random_state=rng)
        return np.log(q) / self.power

    def normalized_log_density(self, log_value: np.ndarray) -> float:
        """Σ log p(u), the proper density on u of q's distribution (with the Jacobian, whichever
        `jacobian`: the evidence's log p(θ)). ∫ q^(α−1)·e^(−βq − γ/q) dq is Γ(α)/β^α, or
        2·(γ/β)^(α/2)·K_α(2√(βγ)) for γ > 0."""
        u = np.asarray(log_value, dtype=float)
        alpha, beta, gamma_ = self.shape, self.rate, self.inverse_rate
        if gamma_ == 0:
            log_norm = special.gammaln(alpha) - alpha * math.log(beta)
        else:
            root = 2.0 * math.sqrt(beta * gamma_)
            # kve(α, x) = K_α(x)·e^x, finite where K_α underflows
            log_norm = (math.log(2.0) + 0.5 * alpha * math.log(gamma_ / beta)
                        + math.log(special.kve(alpha, root)) - root)
        q_log = self.power * u
        terms = (alpha * q_log - beta * np.exp(q_log) - gamma_ * np.exp(-q_log)
                 + math.log(abs(self.power)) - log_norm)
        return float(np.sum(terms))

    def describe(self) -> dict[str, float | str | bool]:
        return {"distribution": "power-gamma", "power": self.power, "shape": self.shape,
                "rate": self.rate, "inverse_rate": self.inverse_rate, "jacobian": self.jacobian}

    def text(self) -> str:
        q = {-2.0: "l⁻²", 1.0: "the parameter"}.get(float(self.power), f"value^{self.power:g}")
        return (f"log p = ({self.shape:g} − 1)·log q − {self.rate:g}·q − {self.inverse_rate:g}/q "
                f"on q = {q}{' (with the Jacobian on log q)' if self.jacobian else ''}")


BlockPrior = LogNormalPrior | PowerGammaPrior  # a prior on one block of log-parameters


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

    @property
    def modes(self) -> np.ndarray:
        return self.loc

    def normalized_log_density(self, params: np.ndarray, fitted: np.ndarray) -> float:
        """Σ log N(params_i; loc_i, scale_i²) over the slots `fitted` (bool, like params),
        normalized: the evidence's log p(θ)."""
        z = (params[fitted] - self.loc[fitted]) / self.scale[fitted]
        return float(np.sum(-0.5 * z**2 - np.log(self.scale[fitted])
                            - 0.5 * math.log(2.0 * math.pi)))


@dataclass(frozen=True)
class BlockwisePriors:
    """`StackedPriors`' methods for blocks that are not all LogNormal: each distinct block's
    `log_density` on the slots it holds (`slots[i]`: the indices of `blocks[i]`)."""

    blocks: tuple[BlockPrior, ...]
    slots: tuple[np.ndarray, ...]
    size: int  # d + 2

    def log_density(self, params: np.ndarray) -> tuple[float, np.ndarray]:
        """Σ over the blocks of their log densities at their slots, and the gradient: (d + 2,)."""
        value, grad = 0.0, np.empty(self.size)
        for block, index in zip(self.blocks, self.slots):
            block_value, grad[index] = block.log_density(params[index])
            value += block_value
        return value, grad

    @property
    def modes(self) -> np.ndarray:
        modes = np.empty(self.size)
        for block, index in zip(self.blocks, self.slots):
            modes[index] = block.mode
        return modes

    def normalized_log_density(self, params: np.ndarray, fitted: np.ndarray) -> float:
        """Σ over the slots `fitted` of each block's normalized log density on its log-parameter."""
        return sum(block.normalized_log_density(params[index[fitted[index]]])
                   for block, index in zip(self.blocks, self.slots))


# name → lengthscale prior for dimension d: the √d scaling of Hvarfner et al. (2024) at
# different centres ("recentred": the default; "hvarfner": their published prior;
# "shifted": median lengthscale 0.61·√d, between the two)
LENGTHSCALE_PRIORS: dict[str, Callable[[int], BlockPrior]] = {
    "recentred": lambda dim: LogNormalPrior(0.5 * math.log(dim) - 1.0, 1.0),
    "hvarfner": lambda dim: LogNormalPrior(math.sqrt(2.0) + 0.5 * math.log(dim), math.sqrt(3.0)),
    "shifted": lambda dim: LogNormalPrior(0.5 * math.log(dim) - 0.5, 1.0),
    # Optuna's GPSampler's, on λ = l⁻² (module docstring), as its objective and as a density on u
    "optuna": lambda dim: PowerGammaPrior(-2.0, 1.0, 0.1, 0.1),
    "optuna-jacobian": lambda dim: PowerGammaPrior(-2.0, 1.0, 0.1, 0.1, jacobian=True),
}
# name → noise-variance prior ("low": the default; "botorch": BoTorch's; "optuna" and
# "optuna-jacobian": GPSampler's Gamma(1.1, 30), module docstring)
NOISE_PRIORS: dict[str, BlockPrior] = {
    "low": LogNormalPrior(-8.0, 2.0), "botorch": LogNormalPrior(-4.0, 1.0),
    "optuna": PowerGammaPrior(1.0, 1.1, 30.0),
    "optuna-jacobian": PowerGammaPrior(1.0, 1.1, 30.0, jacobian=True)}
# name → signal-variance prior ("default"; "optuna" and "optuna-jacobian": GPSampler's
# Gamma(2, 1) on its kernel scale, module docstring)
VARIANCE_PRIORS: dict[str, BlockPrior] = {
    "default": LogNormalPrior(0.0, 1.5), "optuna": PowerGammaPrior(1.0, 2.0, 1.0),
    "optuna-jacobian": PowerGammaPrior(1.0, 2.0, 1.0, jacobian=True)}


@dataclass(frozen=True)
class HyperparameterPriors:
    """Independent priors on each block of the parameter vector."""

    lengthscale: BlockPrior
    variance: BlockPrior
    noise: BlockPrior
    budget_bias: BlockPrior | None = None  # the last lengthscale slot's (log τ²), if set

    @classmethod
    def default(
        cls, dim: int, lengthscale: str = "recentred", noise: str = "low",
        variance: str = "default",
    ) -> HyperparameterPriors:
        """The defaults above; the other entries of `LENGTHSCALE_PRIORS`, `NOISE_PRIORS` and
        `VARIANCE_PRIORS` (the published Hvarfner, BoTorch and Optuna priors among them) are
        there for ablations."""
        return cls(
            lengthscale=LENGTHSCALE_PRIORS[lengthscale](dim),
            variance=VARIANCE_PRIORS[variance],
            noise=NOISE_PRIORS[noise],
        )

    def log_density(self, params: np.ndarray) -> tuple[float, np.ndarray]:
        """Joint log prior of (log l, log s2, log σ²) and its gradient: (d + 2,)."""
        return self.stacked(params.shape[0] - 2).log_density(params)

    def stacked(self, dim: int) -> StackedPriors | BlockwisePriors:
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
        return np.array(_stacked(self, dim).modes)  # (dim + 2,)


@functools.lru_cache(maxsize=64)
def _stacked(priors: HyperparameterPriors, dim: int) -> StackedPriors | BlockwisePriors:
    """`HyperparameterPriors.stacked`, built once per (priors, dim): the slice sampler's
    `log_posterior` asks for it at every evaluation. Read-only, since it is shared. All
    LogNormal: one (loc, scale) per slot; else `BlockwisePriors`."""
    blocks = [priors.lengthscale] * dim + [priors.variance, priors.noise]
    if priors.budget_bias is not None:
        blocks[dim - 1] = priors.budget_bias
    if not all(isinstance(p, LogNormalPrior) for p in blocks):
        distinct = list(dict.fromkeys(blocks))
        slots = tuple(np.array([i for i, p in enumerate(blocks) if p == block])
                      for block in distinct)
        for index in slots:
            index.flags.writeable = False
        return BlockwisePriors(tuple(distinct), slots, len(blocks))
    normals = cast(list[LogNormalPrior], blocks)
    loc = np.array([p.loc for p in normals])
    scale = np.array([p.scale for p in normals])
    loc.flags.writeable = scale.flags.writeable = False
    return StackedPriors(loc, scale)

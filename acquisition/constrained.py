"""Outcome constraints and evaluation cost as log-space terms of the acquisition.

Notation (minimization; every model works on its own standardized scale):

    X      : (m, d)  points of the unit cube
    μ_i, σ_i : (m,)  posterior mean and std of constraint i's GP at X
    t_i    : float   where c_i = 0 lies on that GP's standardized scale
    k      : number of constraints; c_i(x) ≤ 0 means constraint i is satisfied

Constrained expected improvement (Gardner, Kusner, Xu, Weinberger & Cunningham
2014, "Bayesian Optimization with Inequality Constraints", ICML, Eq. 5;
Gelbart, Snoek & Adams 2014, UAI, Sec. 3) weighs EI by the probability that
every constraint holds, the constraints modelled by independent GPs:

    cEI(x) = EI(x) · Π_i P(c_i(x) ≤ 0),    P(c_i(x) ≤ 0) = Φ((t_i − μ_i) / σ_i).

In log space (Ament et al. 2023, arXiv:2310.20708, Sec. 4.2, "constrained
LogEI") the product is a sum of log Φ terms, each computed by `log_ndtr`
with its slope the inverse Mills ratio φ/Φ through `erfcx` — finite with
a nonzero gradient far into both tails, exactly like log PI:

    log cEI(x) = LogEI(x) + Σ_i log Φ((t_i − μ_i) / σ_i).

EI's incumbent is the best *feasible* observation. While no observation is
feasible there is no incumbent, and the acquisition is the feasibility term
alone: maximize Σ_i log P(c_i ≤ 0) (Gelbart et al. 2014, Sec. 4; the
`Feasibility` acquisition contributes log 1 = 0).

Cost (Snoek, Larochelle & Adams 2012, Sec. 3.2, "EI per second"; Lee, Perrone,
Archambeau & Seeger 2020, arXiv:2003.10870, CArBO's "cost-cooling"): with log ĉ(x) the
posterior mean of a GP on log cost,

    log(EI(x) / ĉ(x)^α) = LogEI(x) − α · log ĉ(x),   α ∈ [0, 1],

where α = 1 is EI per unit cost and α = 0 plain EI. Cost-cooling (Lee et al.
2020) lowers α as a budget τ is spent, from 1 once the
initial design (which cost τ_init) is done to 0 when τ is spent (τ_k: spent
before step k):

    α_k = (τ − τ_k) / (τ − τ_init),   clipped to [0, 1] (`cost_cooling`).

`FeasibilityTerm` and `CostTerm` have the signature of an
`acquisition.optimizer.Penalty` (X ↦ a log-space term and its gradient), so
`AcquisitionObjective` adds them to a log-space acquisition. Where only values
are scored (candidates, a categorical's trial rows, lattice steps) they give them
without the (m, d) gradients (`log_values`: the surrogates' `predict`, bit for bit
the call's first part), and at a big categorical's switches from each start's
squared distances (`switch_log_values`: the surrogates' `predict_switches`, the
trial rows' values to rounding), as the objective's own GP does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from acquisition.functions import LogExpectedImprovement, ProbabilityOfImprovement, as_mean_std
from acquisition.optimizer import Surrogate, SwitchingSurrogate, switch_trials


def log_feasibility(
    mean: np.ndarray, std: np.ndarray, thresholds: Sequence[float]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Σ_i log Φ((t_i − μ_i) / σ_i) and its partial derivatives.

    mean, std: (m, k) constraint posteriors; thresholds: (k,). Returns the
    value (m,) and d value / d mean, d value / d std, each (m, k). Each term
    is log PI with incumbent t_i (`ProbabilityOfImprovement`).
    """
    mean, std = np.asarray(mean, dtype=float), np.asarray(std, dtype=float)
    if mean.ndim != 2 or mean.shape != std.shape or mean.shape[1] != len(thresholds):
        raise ValueError(f"mean and std must have shape (m, {len(thresholds)}), got "
                         f"{mean.shape} and {std.shape}")
    value = np.zeros(mean.shape[0])
    d_mean, d_std = np.empty_like(mean), np.empty_like(std)
    for i, threshold in enumerate(thresholds):
        log_p, d_mean[:, i], d_std[:, i] = ProbabilityOfImprovement(threshold).value_and_grad(
            mean[:, i], std[:, i])
        value += log_p
    return value, d_mean, d_std


@dataclass(frozen=True)
class ConstrainedLogEI:
    """log cEI = LogEI(μ, σ; best_f) + Σ_i log P(c_i ≤ 0); with best_f None, the sum alone.

    `value_and_grad(mean, std, c_mean, c_std)` returns the value (m,) and its
    partial derivatives with respect to mean (m,), std (m,), c_mean (m, k)
    and c_std (m, k).
    """

    best_f: float | None
    thresholds: tuple[float, ...]
    # LogEI of best_f, built (and best_f checked) once; None without an incumbent
    _log_ei: LogExpectedImprovement | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        log_ei = None if self.best_f is None else LogExpectedImprovement(self.best_f)
        object.__setattr__(self, "_log_ei", log_ei)

    def value_and_grad(
        self, mean: np.ndarray, std: np.ndarray, c_mean: np.ndarray, c_std: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        mean, std = as_mean_std(mean, std)
        feasible, d_c_mean, d_c_std = log_feasibility(c_mean, c_std, self.thresholds)
        if d_c_mean.shape[0] != mean.shape[0]:
            raise ValueError(f"c_mean and c_std of shape {d_c_mean.shape} must have one row per "
                             f"point of mean and std, of shape {mean.shape}")
        if self._log_ei is None:
            zero = np.zeros_like(mean)
            return feasible, zero, zero.copy(), d_c_mean, d_c_std
        # the public entry point: `as_mean_std` again is the identity on checked inputs
        log_ei, d_mean, d_std = self._log_ei.value_and_grad(mean, std)
        return log_ei + feasible, d_mean, d_std, d_c_mean, d_c_std


@dataclass(frozen=True)
class FeasibilityTerm:
    """X ↦ Σ_i log P(c_i(x) ≤ 0) and its gradient (m, d), one surrogate per constraint."""

    models: tuple[Surrogate, ...]
    thresholds: tuple[float, ...]

    def __post_init__(self) -> None:
        assert len(self.models) == len(self.thresholds) > 0, "one threshold per constraint model"

    def believed_feasible(self, X: np.ndarray) -> np.ndarray:
        """Whether each row of X: (m, d) satisfies every constraint at the models'
        posterior mean, μ_i ≤ t_i: (m,) bool — P(c_i ≤ 0) ≥ ½ for each i. A pending point
        fantasized by the kriging believer (Ginsbourger et al. 2010) takes those means as
        its constraint values, so this is its fantasy's feasibility (`bayesopt.propose`)."""
        held = np.ones(X.shape[0], dtype=bool)
        for model, threshold in zip(self.models, self.thresholds):
            held &= model.predict(X)[0] <= threshold
        return held

    def log_values(self, X: np.ndarray) -> np.ndarray:
        """X: (m, d) → Σ_i log P(c_i ≤ 0): (m,) without the gradient
        (`acquisition.optimizer.ValuedPenalty`): the call's first part bit for bit, from
        each model's `predict` (the mean and std of its `predict_with_gradient`)."""
        value = np.zeros(X.shape[0])
        for model, threshold in zip(self.models, self.thresholds):
            value += ProbabilityOfImprovement(threshold)(*model.predict(X))
        return value

    def switch_log_values(self, X: np.ndarray, group: np.ndarray) -> np.ndarray:
        """Σ_i log P(c_i ≤ 0) (r, k) at the trials of X: (r, d) with the one-hot columns
        `group` (k,) set to each e_c (`acquisition.optimizer.SwitchingPenalty`): each
        model's `switch_moments`; `log_values` of the trial rows to rounding."""
        value = np.zeros((X.shape[0], group.shape[0]))
        for model, threshold in zip(self.models, self.thresholds):
            mean, std = switch_moments(model, X, group)
            value += ProbabilityOfImprovement(threshold)(mean.ravel(), std.ravel()).reshape(
                value.shape)
        return value

    def __call__(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        value, grad = np.zeros(X.shape[0]), np.zeros(X.shape)
        for model, threshold in zip(self.models, self.thresholds):
            mean, std, d_mean, d_std = model.predict_with_gradient(X)
            log_p, da_dmean, da_dstd = ProbabilityOfImprovement(threshold).value_and_grad(
                mean, std)
            value += log_p
            # std is clamped to a floor inside value_and_grad; its gradient there is that of σ
            grad += da_dmean[:, None] * d_mean + da_dstd[:, None] * d_std
        return value, grad


def switch_moments(model: Surrogate, X: np.ndarray,
                   group: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std (r, k) of `model` at the r·k trials of X: (r, d) with the one-hot
    columns `group` (k,) set to each e_c: from the starts where the model can
    (`SwitchingSurrogate.predict_switches`, `predict`'s numbers to rounding), else
    `predict` of the trial rows (`switch_trials`)."""
    if isinstance(model, SwitchingSurrogate):
        moments = model.predict_switches(X, group)
        if moments is not None:
            return moments
    mean, std = model.predict(switch_trials(X, group))
    shape = (X.shape[0], group.shape[0])
    return mean.reshape(shape), std.reshape(shape)


def cost_cooling(budget: float, spent: float, design_spent: float) -> float:
    """α of cost-cooling (Lee et al. 2020): (budget − spent) / (budget − design_spent)
    clipped to [0, 1]; 0 once the initial design alone has spent the budget."""
    assert budget > 0.0 and design_spent >= 0.0, f"budget={budget}, design_spent={design_spent}"
    if design_spent >= budget:
        return 0.0
    return min(1.0, max(0.0, (budget - spent) / (budget - design_spent)))


@dataclass(frozen=True)
class CostTerm:
    """X ↦ −α · log ĉ(x) and its gradient, log ĉ = offset + scale · μ(x) from a GP on log cost.

    `offset` and `scale` map the cost GP's standardized mean back to log
    cost (the GP is fitted without a power transform, so that map is affine).
    """

    model: Surrogate
    offset: float
    scale: float
    alpha: float

    def __post_init__(self) -> None:
        assert 0.0 <= self.alpha <= 1.0, f"alpha={self.alpha} must be in [0, 1]"
        assert self.scale > 0.0, f"scale={self.scale} must be > 0"

    def log_cost(self, X: np.ndarray) -> np.ndarray:
        """Predicted log cost at X: (m, d) → (m,)."""
        return self._log_cost(self.model.predict(X)[0])

    def _log_cost(self, mean: np.ndarray) -> np.ndarray:
        """log ĉ from the cost GP's (standardized) mean."""
        return self.offset + self.scale * mean

    def log_values(self, X: np.ndarray) -> np.ndarray:
        """X: (m, d) → −α · log ĉ(X): (m,) without the gradient
        (`acquisition.optimizer.ValuedPenalty`): the call's first part bit for bit, from
        the model's `predict` (the mean of its `predict_with_gradient`)."""
        return -self.alpha * self.log_cost(X)

    def switch_log_values(self, X: np.ndarray, group: np.ndarray) -> np.ndarray:
        """−α · log ĉ (r, k) at the trials of X: (r, d) with the one-hot columns `group` (k,)
        set to each e_c (`acquisition.optimizer.SwitchingPenalty`), from `switch_moments`;
        `log_values` of the trial rows to rounding."""
        return -self.alpha * self._log_cost(switch_moments(self.model, X, group)[0])

    def __call__(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mean, _, d_mean, _ = self.model.predict_with_gradient(X)
        weight = self.alpha * self.scale
        return -self.alpha * self._log_cost(mean), -weight * d_mean

"""GPs of what an evaluation reports besides its value: outcome constraints and cost.

    X_c : (n_c, d)  encoded points whose tells carried constraint values
    C   : (n_c, k)  their constraint values, c_i ≤ 0 satisfied
    X_t : (n_t, d)  encoded points whose tells carried a cost
    log_t : (n_t,)  log of those costs (seconds, or any unit > 0)

One `SurrogateModel` per constraint and one on log cost, each with its own
standardization and the same kernel, priors and refit schedule as the
objective's GP, fitted by MAP even when the objective's is sampled. No power transform: the acquisition needs P(c_i ≤ 0) and
log ĉ on the GP's scale, and an affine standardization keeps the level c = 0
and log cost exactly representable there (a Yeo–Johnson map would have to
be refit with the data and moves the threshold). Costs are modelled on the
log scale, where a field varying over decades is smooth (Snoek et al. 2012,
Sec. 3.2).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import fields, replace
from typing import Any

import numpy as np

from acquisition.constrained import CostTerm, FeasibilityTerm
from bayesopt.model import ModelOptions, SurrogateModel

# (model, X, y, its journaled states) → the model as the run had it
Rebuild = Callable[[SurrogateModel, np.ndarray, np.ndarray, list[dict[str, Any]]], None]


class OutcomeModels:
    """Constraint GPs and a cost GP that follow the optimizer's growing data."""

    def __init__(self, dim: int, options: ModelOptions, rng: np.random.Generator,
                 n_constraints: int | None, warp_columns: tuple[int, ...] | None = None) -> None:
        self.dim = dim
        self.options = _outcome_options(options)
        self.warp_columns = warp_columns
        self.rng = rng
        self.n_constraints = n_constraints
        self.X_c = np.empty((0, dim))
        self.C = np.empty((0, 0 if n_constraints is None else n_constraints))
        self.X_t = np.empty((0, dim))
        self.log_t = np.empty(0)
        self._constraint_models: list[SurrogateModel] = []
        self._cost_model: SurrogateModel | None = None

    def add_constraints(self, X: np.ndarray, C: np.ndarray) -> None:
        """Rows X: (n, d) with constraint values C: (n, k); k fixed by the first call if unset."""
        if self.n_constraints is None:
            self.n_constraints = C.shape[1]
            self.C = np.empty((0, C.shape[1]))
        assert C.shape[1] == self.n_constraints, "checked at the boundary"
        self.X_c = np.concatenate([self.X_c, X])
        self.C = np.concatenate([self.C, C])

    def add_costs(self, X: np.ndarray, costs: np.ndarray) -> None:
        """Rows X: (n, d) with costs (n,) > 0."""
        self.X_t = np.concatenate([self.X_t, X])
        self.log_t = np.concatenate([self.log_t, np.log(costs)])

    def _new_model(self) -> SurrogateModel:
        return SurrogateModel(self.dim, self.options, self.rng, self.warp_columns)

    def state(self) -> dict[str, Any] | None:
        """The models' `SurrogateModel.state()` (JSON-able), None while there is no model."""
        if not self._constraint_models and self._cost_model is None:
            return None
        return {"constraints": [m.state() for m in self._constraint_models],
                "cost": None if self._cost_model is None else self._cost_model.state()}

    def restore(self, states: Sequence[dict[str, Any] | None], rebuild: Rebuild) -> None:
        """Rebuild the models from the states journaled after each event (`state()`), with
        `rebuild(model, X, y, that model's states)` — the same operations as the run's."""
        journaled = [s for s in states if s is not None]
        if not journaled:
            return
        k = len(journaled[-1]["constraints"])
        self._constraint_models = [self._new_model()
                                   for _ in range(k)]
        for i, model in enumerate(self._constraint_models):
            rebuild(model, self.X_c, self.C[:, i],
                    [s["constraints"][i] for s in journaled if len(s["constraints"]) > i])
        costs = [s["cost"] for s in journaled if s["cost"] is not None]
        if costs:
            self._cost_model = self._new_model()
            rebuild(self._cost_model, self.X_t, self.log_t, costs)

    @property
    def constrained(self) -> bool:
        return bool(self.n_constraints)

    def feasibility_term(self) -> FeasibilityTerm | None:
        """Σ_i log P(c_i(x) ≤ 0) from the constraint GPs (None before any constraint value)."""
        if not self.constrained or self.C.shape[0] == 0:
            return None
        while len(self._constraint_models) < self.C.shape[1]:
            self._constraint_models.append(self._new_model())
        thresholds = []
        for i, model in enumerate(self._constraint_models):
            _follow(model, self.X_c, self.C[:, i])
            thresholds.append(float(model.to_latent(np.zeros(1))[0]))
        return FeasibilityTerm(tuple(self._constraint_models), tuple(thresholds))

    def cost_term(self, alpha: float) -> CostTerm | None:
        """−α · log ĉ(x) from the GP on log cost (None before any cost is known)."""
        if self.log_t.shape[0] == 0:
            return None
        if self._cost_model is None:
            self._cost_model = self._new_model()
        _follow(self._cost_model, self.X_t, self.log_t)
        # latent = a + s·log c  ⇔  log c = −a/s + latent/s
        a = float(self._cost_model.to_latent(np.zeros(1))[0])
        s = float(self._cost_model.to_latent(np.ones(1))[0]) - a
        return CostTerm(self._cost_model, offset=-a / s, scale=1.0 / s, alpha=alpha)


def _outcome_options(options: ModelOptions) -> ModelOptions:
    """The objective's model options without a power transform and with MAP hyperparameters
    (the feasibility and cost terms use one posterior, not a mixture over samples)."""
    mcmc_defaults: dict[str, Any] = {
        f.name: f.default for f in fields(ModelOptions) if f.name.startswith("mcmc_")}
    return replace(options, output_transform="none", hyperparameters="map", **mcmc_defaults)


def _follow(model: SurrogateModel, X: np.ndarray, y: np.ndarray) -> None:
    """Condition `model` on (X, y) if it has grown since the last call."""
    if model.gp is None or model.n_observed != y.shape[0]:
        model.update(X, y)

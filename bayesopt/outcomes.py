"""GPs of what an evaluation reports besides its value: outcome constraints and cost.

    X_c : (n_c, d)  encoded points whose tells carried constraint values
    C   : (n_c, k)  their constraint values, c_i ≤ 0 satisfied
    X_t : (n_t, d)  encoded points whose tells carried a cost
    log_t : (n_t,)  log of those costs (seconds, or any unit > 0)

One `SurrogateModel` per constraint and one on log cost, each with its own
standardization and the same kernel, priors and inputs as the objective's GP — in a
conditional space its gates (`bayesopt.state.model_gates`), so that a prediction
ignores an inactive dimension's column wherever the acquisition's search moves it,
and ``FitOptions(activity_lengthscale=)`` pins the activity columns' lengthscales —
fitted by MAP (even when the objective's is sampled) anew at each ask that needs
them, once for all the points of the ask (`AskOutcomes`), with that ask's generator,
each fitting its own noise (a fixed
``noise_variance=`` is in the objective's units). With ``kernel_average=True``
a constraint GP selects its kernel among the candidates by the evidence
instead of averaging them (the warps below are compared by the evidence of
one GP). No power transform: the acquisition needs P(c_i ≤ 0) and log ĉ on
the GP's scale, and an affine standardization keeps the level c = 0 and log
cost exactly representable there.

Constraint warps. Feasibility depends only on the sign of c, so each
constraint GP may model g(c) for any increasing g with g(0) = 0 and keep the
threshold exact. Two are fitted at every ask, and the one with the larger
evidence for the values as told is kept: the identity, and the bilog
g(c) = sign(c)·log(1 + |c|) of SCBO (Eriksson & Poloczek 2021, AISTATS),
which keeps c near 0 and damps large violations (a model 8× over a size
limit) that otherwise set the scale of the GP. The evidence of c is that of
the GP's targets t(c) by the change of variables, as Box & Cox (1964) chose
their transform by likelihood:

    log p(c) = log p(t | θ) + Σ_i log |dt/dc|(c_i),
    dt/dc = g'(c) · (slope of the affine standardization),  g'(c) = 1/(1 + |c|) (bilog).

A constraint told with a value past ±1e150 is modelled by the bilog alone,
as squares of such values overflow. How often each warp is chosen on the
constrained bench is in bench/results/constraint_warps.md.

Pending points. Each constraint GP is conditioned on the ask's pending
points as fantasies valued at its posterior mean (kriging believer,
Ginsbourger et al. 2010), whatever the objective's `fantasy` option: the mean
is unchanged and the variance shrinks around them, so the points of a batch
do not all chase one uncertain stretch of a constraint's boundary; a pending
point whose means satisfy every constraint is a feasible fantasy, counted by the
acquisition's incumbent (`FeasibilityTerm.believed_feasible`, `bayesopt.propose`). The cost
GP needs none: its term uses the mean only, which a believer fantasy leaves
unchanged.

Costs are modelled on the log scale, where a field varying over decades is
smooth (Snoek et al. 2012, Sec. 3.2). The cost GP sees the costs of successful
evaluations only. A failed evaluation's cost (`tell_failure(..., cost=)`)
counts in the summed cost (`Optimizer.total_cost`, cost-cooling's τ_k) — the
time was spent — but is no sample of ĉ(x): a run that crashes after a second
would teach the GP that its region is cheap and draw cost-weighted asks to it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from acquisition.constrained import CostTerm, FeasibilityTerm
from bayesopt.categorical import LengthscaleTying
from bayesopt.gp import GaussianProcess
from bayesopt.growth import appended
from bayesopt.model import ModelOptions, SurrogateModel, TopBudget
from bayesopt.result import satisfied


class OutcomeModels:
    """The data of the constraint and cost GPs, and the GPs fitted on it at each ask.

    The GPs are fitted anew (MAP from the prior's default start, with the
    generator of the ask) whenever an ask needs them: an ask then depends only
    on the data and the ask's generator, so a replayed log asks what the live
    optimizer asked (`bayesopt.state`) without journaling these models.
    """

    def __init__(self, dim: int, options: ModelOptions, n_constraints: int | None,
                 warp_columns: tuple[int, ...] | None = None,
                 tying: LengthscaleTying | None = None,
                 gates: tuple[int, ...] | None = None) -> None:
        self.dim = dim
        self.tying = tying  # the objective's lengthscale tying (bayesopt.categorical)
        self.gates = gates  # the objective's gates (a conditional space's; kernels.Kernel)
        self.options = _outcome_options(options)
        self.constraint_options = _one_kernel(self.options)
        self.warp_columns = warp_columns
        self.n_constraints = n_constraints
        self.X_c = np.empty((0, dim))
        self.C = np.empty((0, 0 if n_constraints is None else n_constraints))
        self.X_t = np.empty((0, dim))
        self.log_t = np.empty(0)
        self.spent = 0.0  # summed cost told so far
        self._buffers: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # `appended`'s

    def __getstate__(self) -> dict[str, Any]:
        """All but the growth buffers: a pickle or a deep copy holds plain arrays."""
        return {name: value for name, value in self.__dict__.items() if name != "_buffers"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._buffers = {}

    def add(self, X: np.ndarray, constraints: Sequence[Sequence[float]] | None,
            costs: Sequence[float | None], ok: np.ndarray) -> np.ndarray:
        """Record told rows X: (n_ok, d) (the successful ones of a tell whose mask is `ok`)
        with their constraint values and costs; return which of them are feasible.

        Every cost counts in `spent`; only those of the rows in `ok` enter the cost GP
        (module docstring: a failure's cost is not the cost of evaluating its point)."""
        if constraints is not None:
            C = np.array(constraints, dtype=float).reshape(len(constraints), -1)[ok]
            if self.n_constraints is None:
                self.n_constraints = C.shape[1]
                self.C = np.empty((0, C.shape[1]))
            self.X_c = appended(self._buffers, "X_c", self.X_c, X)  # amortized linear
            self.C = appended(self._buffers, "C", self.C, C)
            feasible = np.array([satisfied(row) for row in C], dtype=bool)
        else:
            feasible = np.ones(X.shape[0], dtype=bool)
        told = [(i, c) for i, c in enumerate(c for c, good in zip(costs, ok) if good)
                if c is not None]
        if told:
            rows = [i for i, _ in told]
            values = np.array([c for _, c in told], dtype=float)
            self.X_t = appended(self._buffers, "X_t", self.X_t, X[rows])
            self.log_t = appended(self._buffers, "log_t", self.log_t, np.log(values))
        self.spent += float(sum(c for c in costs if c is not None))
        return feasible

    @property
    def constrained(self) -> bool:
        return bool(self.n_constraints)

    def _fit(self, X: np.ndarray, y: np.ndarray, rng: np.random.Generator,
             options: ModelOptions | None = None) -> SurrogateModel:
        model = SurrogateModel(self.dim, options or self.options, rng, self.warp_columns,
                               gates=self.gates, tying=self.tying)
        model.update(X, y)
        return model

    def _fit_constraint(self, X: np.ndarray, c: np.ndarray,
                        rng: np.random.Generator) -> SurrogateModel:
        """The GP of g(c) over X (n, d) with the largest evidence of c among
        `CONSTRAINT_WARPS` (module docstring); c: (n,) one constraint's values."""
        best: tuple[float, SurrogateModel] | None = None
        for warp in CONSTRAINT_WARPS:
            t = warp.forward(c)
            if float(np.max(np.abs(t))) > _LARGEST_MODELLED:
                continue  # the bilog's never are (|t| ≤ 710)
            model = self._fit(X, t, rng, self.constraint_options)
            evidence = _log_evidence(model, warp.log_slope(c))
            if best is None or evidence > best[0]:
                best = (evidence, model)
        assert best is not None
        return best[1]

    def constraint_models(self, rng: np.random.Generator,
                          rows: np.ndarray | None = None) -> list[SurrogateModel] | None:
        """One GP per constraint (`_fit_constraint`), fitted with `rng` on the rows (n_c,)
        where `rows` is True (all when None: with a Fidelity, the rows the objective's GP
        takes), without fantasies; None before any constraint value."""
        if not self.constrained:
            return None
        assert rows is None or rows.shape == (self.X_c.shape[0],), "one flag per constraint row"
        X_c, C = (self.X_c, self.C) if rows is None else (self.X_c[rows], self.C[rows])
        if C.shape[0] == 0:
            return None
        return [self._fit_constraint(X_c, C[:, i], rng) for i in range(C.shape[1])]

    def feasibility_term(self, rng: np.random.Generator, X_pending: np.ndarray | None = None,
                         rows: np.ndarray | None = None,
                         top: bool = False) -> FeasibilityTerm | None:
        """Σ_i log P(c_i(x) ≤ 0) from the constraint GPs (`constraint_models` on `rows`; None
        before any constraint value), each conditioned on the pending points X_pending:
        (p, d) as fantasies (`conditioned_feasibility`). `top`: the inputs' last column is
        the budget level (X_pending's too), and the term is that of the highest budget
        (`TopBudget`)."""
        models = self.constraint_models(rng, rows)
        return None if models is None else conditioned_feasibility(models, X_pending, top)

    def cost_model(self, rng: np.random.Generator) -> SurrogateModel | None:
        """The GP on log cost, fitted with `rng` (None before any cost is known)."""
        return None if self.log_t.shape[0] == 0 else self._fit(self.X_t, self.log_t, rng)

    def cost_term(self, alpha: float, rng: np.random.Generator,
                  top: bool = False) -> CostTerm | None:
        """−α · log ĉ(x) from the GP on log cost (`cost_model`; None before any cost is
        known); `top` as in `feasibility_term`."""
        model = self.cost_model(rng)
        return None if model is None else weighed_cost(model, alpha, top)


def conditioned_feasibility(models: Sequence[SurrogateModel], X_pending: np.ndarray | None,
                            top: bool) -> FeasibilityTerm:
    """The feasibility term of fitted constraint GPs, each conditioned on exactly the pending
    points X_pending: (p, d) as fantasies (the fantasies of an earlier call cleared, the
    new ones appended to the factor: `SurrogateModel.add_fantasies`); `top` as in
    `OutcomeModels.feasibility_term`."""
    for model in models:
        model.clear_fantasies()
        if X_pending is not None:
            model.add_fantasies(X_pending)
    thresholds = tuple(float(m.to_latent(np.zeros(1))[0]) for m in models)
    return FeasibilityTerm(tuple(TopBudget(m) if top else m for m in models), thresholds)


def weighed_cost(model: SurrogateModel, alpha: float, top: bool) -> CostTerm:
    """−α · log ĉ(x) of the fitted GP on log cost `model`; `top` as in
    `OutcomeModels.feasibility_term`."""
    # latent = a + s·log c  ⇔  log c = −a/s + latent/s
    a = float(model.to_latent(np.zeros(1))[0])
    s = float(model.to_latent(np.ones(1))[0]) - a
    return CostTerm(TopBudget(model) if top else model, offset=-a / s, scale=1.0 / s,
                    alpha=alpha)


class AskOutcomes:
    """One ask's constraint and cost GPs: fitted at the first point of the ask that needs
    them, with the ask's generator (as `OutcomeModels.feasibility_term` and `cost_term`
    fit them), and kept for the ask's later points. The data do not change within an ask —
    its points are pending, not told — so a refit would only draw another fit of the same
    data; each point instead conditions the kept constraint GPs on the pending points as
    fantasies (`conditioned_feasibility`), as the objective's model is conditioned on them
    (`SurrogateModel.add_fantasies`, a Cholesky append). The cost term needs no fantasy
    (module docstring)."""

    def __init__(self, outcomes: OutcomeModels, rows: np.ndarray | None, top: bool) -> None:
        """`rows` (n_c,) and `top` as in `OutcomeModels.feasibility_term`."""
        self.outcomes, self.rows, self.top = outcomes, rows, top
        self._constraints: list[SurrogateModel] | None = None
        self._cost: SurrogateModel | None = None

    def feasibility_term(self, rng: np.random.Generator,
                         X_pending: np.ndarray) -> FeasibilityTerm | None:
        """`OutcomeModels.feasibility_term(rng, X_pending, rows, top)`, `rng` drawn from at
        the ask's first call only."""
        if self._constraints is None:
            self._constraints = self.outcomes.constraint_models(rng, self.rows)
            if self._constraints is None:
                return None
        return conditioned_feasibility(self._constraints, X_pending, self.top)

    def cost_term(self, alpha: float, rng: np.random.Generator) -> CostTerm | None:
        """`OutcomeModels.cost_term(alpha, rng, top)`, `rng` drawn from at the ask's first
        call only."""
        if self._cost is None:
            self._cost = self.outcomes.cost_model(rng)
            if self._cost is None:
                return None
        return weighed_cost(self._cost, alpha, self.top)


# Constraint values a GP models as they are: past ~1e154 their squares overflow (the
# standardization's variance; log P(c ≤ 0)'s slope, ~z², of a constant constraint), so
# larger ones are modelled by the bilog alone.
_LARGEST_MODELLED = 1e150


@dataclass(frozen=True)
class ConstraintWarp:
    """An increasing map g of constraint values with g(0) = 0, and log g'."""

    name: str
    forward: Callable[[np.ndarray], np.ndarray]
    log_slope: Callable[[np.ndarray], np.ndarray]


CONSTRAINT_WARPS: tuple[ConstraintWarp, ...] = (
    ConstraintWarp("identity", lambda c: c, np.zeros_like),
    ConstraintWarp("bilog", lambda c: np.sign(c) * np.log1p(np.abs(c)),
                   lambda c: -np.log1p(np.abs(c))),
)


def _log_evidence(model: SurrogateModel, log_slope: np.ndarray) -> float:
    """log p(c) of the values a constraint GP was fitted on, with log g'(c) = `log_slope`:
    log p(t | θ) plus the log Jacobian of c ↦ t (module docstring)."""
    gp = model.gp
    assert isinstance(gp, GaussianProcess) and model.transform.lmbda is None, "one MAP GP, affine"
    # the slope of the affine t = (c − m)/(s·s'), as logs: the difference to_latent(1) −
    # to_latent(0) rounds to 0 at |c| ~ 1e300 and overflows for subnormal c
    log_scale = -(math.log(model.transform.scale) + math.log(model.y_scale))
    return float(gp.log_marginal_likelihood() + log_slope.shape[0] * log_scale
                 + np.sum(log_slope))


def _one_kernel(options: ModelOptions) -> ModelOptions:
    """A constraint GP's options: with ``kernel_average=True`` the kernel the evidence
    selects among the candidates, not their mixture, since the warp is chosen by the
    evidence of one GP (`_log_evidence`; R&W 2006, Sec. 5.4, as `kernel_candidates`
    selects)."""
    return replace(options, kernel_average=False) if options.kernel_average else options


def _outcome_options(options: ModelOptions) -> ModelOptions:
    """The objective's model options without a power transform and with MAP hyperparameters
    (the feasibility and cost terms use one posterior, not a mixture over samples), pending
    points fantasized at their posterior mean (the best value told is no lie for a
    constraint), and the noise fitted: ``noise_variance=`` is in the objective's units,
    not a constraint's or log cost's."""
    mcmc_defaults: dict[str, Any] = {
        f.name: f.default for f in fields(ModelOptions) if f.name.startswith("mcmc_")}
    return replace(options, output_transform="none", hyperparameters="map",
                   fantasy="believer", noise_variance=None, **mcmc_defaults)


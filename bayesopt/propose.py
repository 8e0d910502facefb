"""Computing an ask: the next points, from a state and a copy of its random generator.

    state    : `bayesopt.state.OptimizerState` — read, never written here
    rng      : a fork of the state's generator (`OptimizerState.fork_rng`); its final
               state goes into the ask event's checkpoint
    pending  : the state's pending points not timed out at the ask's time, plus the
               points of the batch proposed so far

The first `n_initial` points come from the state's scrambled-Sobol design
(under input constraints, its admitted points, further along the sequence as needed);
afterwards each point maximizes the acquisition function of the GP
conditioned on the successful observations and, as fantasies (kriging
believer), on the pending points — except, with `OptimizerOptions.random_interleave`
= k, a point whose number among the study's asked points is a multiple of k, which is
uniformly random (SMAC's interleaving). Failed evaluations damp the acquisition
around them (`acquisition.penalty`), and so do, beside a Fidelity, the runs `report`
stopped, which the GP leaves out. Only the surrogate (a cache of the
state's model record) and the forked generator change while computing.

With a `Fidelity` in the space each point is the Hyperband schedule's next job
(`bayesopt.fidelity`, on a copy of the state's trials): a promotion repeats an
observed configuration at a larger budget; a new configuration comes from the
design or the GP of the state's `model_data` as above. When that GP takes the
budget level z as its last input, the acquisition is that of the slice z = 1
(`TopBudget`: the highest budget), with incumbent the best posterior mean there
over the observed configurations, and pending points are fantasized at z = 1.
A promotion is never a fantasy: its configuration is already observed.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from acquisition.constrained import cost_cooling
from acquisition.functions import (
    AcquisitionFunction,
    ExpectedImprovement,
    Feasibility,
    LogAugmentedExpectedImprovement,
    LogExpectedImprovement,
    ProbabilityOfImprovement,
    UpperConfidenceBound,
    gp_ucb_beta,
)
from acquisition.optimizer import (
    AcquisitionObjective,
    AcquisitionOptimizerOptions,
    Domain,
    IntegerLattice,
    Penalty,
    Surrogate,
    candidate_pool,
    optimize_acquisition,
)
from bayesopt.cost_design import nearest_squared_distance, survivor
from bayesopt.failures import caller_level
from bayesopt.feasibility import REJECTION_BUDGET, InfeasibleSpaceError, InputConstraints
from bayesopt.fidelity import Hyperband
from bayesopt.hedge import HedgeRecord, choose, credit
from bayesopt.mace import MACE_MEMBERS, distinct_rows, non_dominated
from bayesopt.model import SurrogateModel, TopBudget
from bayesopt.options import OptimizerOptions
from bayesopt.outcomes import AskOutcomes
from bayesopt.result import best_observation
from bayesopt.space import Space
from bayesopt.state import ModelData, OptimizerState, config_key
from bayesopt.trust_region import TrustRegionOptions, box, side_length
from kernels.threads import one_blas_thread

if TYPE_CHECKING:  # the penalties are imported where one is built (pending points, failures)
    from acquisition.penalty import FailurePenalty, LocalPenalty

N_INCUMBENTS = 5  # best observations the acquisition optimizer searches around
_ENUMERATION_LIMIT = 100_000  # finite spaces up to this size are enumerated when nearly exhausted
MAX_FAILURE_WIDTH = 0.1  # widest hole a failed evaluation digs into the acquisition (unit cube)
_REJECTION_BATCH = 256  # random points drawn at once when input constraints reject some
N_LIPSCHITZ_SAMPLE = 512  # Sobol points (plus the data) on which local penalization estimates L


@dataclass(frozen=True)
class AcquisitionKind:
    """An acquisition the optimizer can maximize: how a proposal builds it from the
    incumbent, whether it reads that incumbent (`ModelOptions.incumbent`'s), whether a
    log P(c ≤ 0) term of outcome constraints fits it, and whether it weighs by the
    modelled cost (LogEI − α·log ĉ, `bayesopt.outcomes`)."""

    build: Callable[[Proposal, float], AcquisitionFunction]
    incumbent: bool = True  # False: UCB has none, noisy EI one per sample of f(X)
    constrained: bool = True
    per_cost: bool = False
    portfolio: bool = False  # GP-Hedge over `OptimizerOptions.hedge.members` (bayesopt.hedge)
    ensemble: tuple[str, ...] = ()  # MACE: the Pareto front of these kinds (bayesopt.mace)
    noisy: bool = False  # averaged over samples of f at the observed points (bayesopt.noisy)


def _sample_log_ei() -> AcquisitionFunction:
    """noisy EI's acquisition (`bayesopt.noisy.SampleLogEI`), its module imported by the
    first lognei ask."""
    from bayesopt.noisy import SampleLogEI

    return SampleLogEI()


ACQUISITION_KINDS: dict[str, AcquisitionKind] = {
    "logei": AcquisitionKind(lambda proposal, best_f: LogExpectedImprovement(best_f)),
    "ei": AcquisitionKind(lambda proposal, best_f: ExpectedImprovement(best_f)),
    "pi": AcquisitionKind(lambda proposal, best_f: ProbabilityOfImprovement(best_f)),
    "ucb": AcquisitionKind(lambda proposal, best_f: UpperConfidenceBound(proposal.ucb_beta()),
                           incumbent=False, constrained=False),
    "logei_per_cost": AcquisitionKind(lambda proposal, best_f: LogExpectedImprovement(best_f),
                                      per_cost=True),
    # GP-Hedge: each point is one member's nominee; as a single function (a snapshot's
    # `acquisition_objective`) the portfolio is its most probable member
    "hedge": AcquisitionKind(lambda proposal, best_f: proposal.hedge_favourite(best_f),
                             constrained=False, portfolio=True),
    # MACE (HEBO): each point drawn from the Pareto front of LogEI, log PI and UCB; as a
    # single function (a snapshot's `acquisition_objective`) the ensemble is its first member
    "mace": AcquisitionKind(lambda proposal, best_f: LogExpectedImprovement(best_f),
                            constrained=False, ensemble=MACE_MEMBERS),
    # noisy EI (Letham et al. 2019) in log space: LogEI of each sample's noise-free posterior,
    # shifted by its own incumbent, so incumbent 0 (bayesopt.noisy); no single incumbent
    "lognei": AcquisitionKind(lambda proposal, best_f: _sample_log_ei(),
                              incumbent=False, constrained=False, noisy=True),
    # augmented EI (Huang et al. 2006): LogEI discounted where the spread is mostly noise
    "logaei": AcquisitionKind(lambda proposal, best_f: LogAugmentedExpectedImprovement(
        best_f, math.sqrt(proposal.model.observation_noise))),
}


@dataclass(frozen=True)
class _Conditioned:
    """An ask's surrogate with the pending points as fantasies, and what every acquisition
    built on it shares: the EI incumbent (None: no feasible observation or fantasy yet,
    or the model's own), the penalty, and whether outcome constraints weigh it."""

    surrogate: Surrogate
    incumbent: float | None
    penalty: Penalty | None
    constrained: bool


def admitted_count(space: Space, feasible: InputConstraints | None) -> int | None:
    """Distinct points of a finite space that the input constraints admit (all of them
    without constraints), counted when its grid of combinations holds at most
    `_ENUMERATION_LIMIT` points (`admitted_points`); None for a larger or continuous space."""
    points = admitted_points(space, feasible)
    return None if points is None else int(points.shape[0])


def admitted_points(space: Space, feasible: InputConstraints | None) -> np.ndarray | None:
    """The distinct encoded points (configurations, with a Fidelity, which encodes to no
    column) of a finite space that the input constraints admit, when its grid of
    combinations holds at most `_ENUMERATION_LIMIT` points (every one decoded and checked;
    a conditional space decodes several to one); None for a larger or continuous space."""
    cards = [d.cardinality for d in space.dimensions]
    sizes = [int(k) for k in cards if k is not None]
    if len(sizes) < len(cards) or math.prod(sizes) > _ENUMERATION_LIMIT:
        return None
    points = np.unique(grid_points(space), axis=0)
    return points if feasible is None else points[feasible.mask(points)]


def exhausted(space: Space, admitted: Callable[[], np.ndarray | None], seen: np.ndarray,
              constrained: bool) -> bool:
    """Whether every point of a finite space that the input constraints admit is among the
    encoded points `seen` (`is_near`, as an ask judges them): a next ask would repeat one
    (`Proposal._repeat_point`). `admitted` gives those points (`admitted_points`, None for a
    grid of more than `_ENUMERATION_LIMIT` points or a continuous space: False); it is
    called only when `seen` can cover them: without input constraints (`constrained`
    False) once `seen` holds as many points as the space. With a Fidelity the points are
    configurations, and `seen` those run at one budget (`Optimizer._exhausted`)."""
    if too_few(space, seen.shape[0], constrained):
        return False
    points = admitted()
    if points is None:
        return False
    return seen.shape[0] >= points.shape[0] and all(is_near(x, seen) for x in points)


def too_few(space: Space, n_seen: int, constrained: bool) -> bool:
    """The cheap bound of `exhausted`: without input constraints, fewer points seen than
    the finite space holds cannot cover it."""
    return not constrained and n_seen < int(space.cardinality or 0)


def grid_points(space: Space) -> np.ndarray:
    """Every combination of a finite space's values, encoded, in `meshgrid`'s "ij" order:
    each dimension at the centres (i + ½)/k of its k cells of the unit cube (a conditional
    space decodes several combinations to one point). The caller bounds the size."""
    cards = np.array([d.cardinality for d in space.dimensions], dtype=float)
    grids = [np.arange(d.cardinality) for d in space.dimensions]  # type: ignore[arg-type]
    index = np.stack(np.meshgrid(*grids, indexing="ij"), axis=-1).reshape(-1, len(grids))
    return space.from_unit((index + 0.5) / cards)


class SpaceExhaustedWarning(UserWarning):
    """Every point of a finite space has been observed or is pending."""


@dataclass(frozen=True)
class AskSettings:
    """What, besides the state, decides the asked points (the optimizer's settings)."""

    acquisition: str
    n_initial: int
    ucb_beta: float | None
    options: OptimizerOptions
    feasible: InputConstraints | None = None  # input constraints every ask satisfies
    cost_budget: float | None = None  # logei_per_cost cools α over it (None: α = 1)
    # the admitted points of a finite space (`admitted_points`), as the optimizer keeps them
    grid: Callable[[], np.ndarray | None] | None = None


class Proposal:
    """One ask of `count` points (see the module docstring)."""

    def __init__(self, state: OptimizerState, settings: AskSettings, rng: np.random.Generator,
                 now: float | None, defer_refit: bool = False, with_pending: bool = True) -> None:
        self.state, self.settings, self.rng = state, settings, rng
        self.defer_refit = defer_refit  # observations are block-appended, never refit here
        self.space: Space = state.space
        self.design_used = state.design_used
        self.pending = ([p.x for p in state.active_pending(now) if state.source(p) is None]
                        if with_pending else [])
        self.data: ModelData = state.model_data()
        self.model: SurrogateModel = state.synced_model(rng)
        # the constraint and cost GPs, fitted once for the ask's points (`AskOutcomes`)
        self.outcomes = AskOutcomes(state.outcomes, self.data.rows, self.data.budget_input)
        self.hyperband: Hyperband | None = state.hyperband_at(now)
        self.now = now
        self.budget: float | None = None  # with a Fidelity, the budget being asked
        self.started: list[dict[str, Any]] = []  # with a Fidelity, this ask's points so far
        # acquisition="hedge": the gains this ask's choices use (credited at its first
        # model point), every member's nominee of each model point and the member chosen
        self.hedge_gains: np.ndarray | None = None
        self.hedge_nominees: list[np.ndarray] = []
        self.hedge_chosen: list[int] = []
        # acquisition="mace": the front's points not yet asked in this ask (None: none built)
        self.mace_front: np.ndarray | None = None
        self.index = 0  # the position in this ask of the point being proposed
        # model points replaced by a random new point because no candidate was farther than
        # a min_distance above the repeat tolerance from the observed and pending points
        self.spread_out = 0
        self.interleaved: list[int] = []  # positions drawn at random (random_interleave)

    def points(self, count: int) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        try:
            for _ in range(count):
                self.index = len(out)
                params = self._job_point() if self.hyperband is not None else self._new_pending()
                out.append(params)
        finally:
            self.model.clear_fantasies()
        return out

    def _new_pending(self) -> dict[str, Any]:
        params, x = self._new_point()
        self.pending.append(x)
        return params

    def _job_point(self) -> dict[str, Any]:
        """The schedule's next job: a promotion of an observed configuration to a larger
        budget, or a new configuration at its bracket's base budget."""
        hyperband, fidelity = self.hyperband, self.space.fidelity
        assert hyperband is not None and fidelity is not None
        finite = self.space.cardinality is not None
        job = hyperband.next_job(self._has_unrun if finite else None)
        self.budget = job.budget
        if job.continues is None:
            params = self._new_pending()
        else:
            source = hyperband.trials[job.continues].observation
            assert source is not None, "only finished trials are promoted"
            params = dict(self.state.history[source].params)
        params[fidelity.name] = job.budget  # type: ignore[index]
        hyperband.start(job, config_key(self.space, params))
        self.started.append(params)
        return params

    def _new_point(self) -> tuple[dict[str, Any], np.ndarray]:
        """The next point and its canonical encoding.

        Proposals are checked against observed and pending points before
        decoding; decoding can still land on one of them (a Real narrow next
        to its magnitude has few floats), so the canonical encoding is checked
        again and a random new point taken instead. When a finite space has
        no new point left, this warns once and repeats the best observation —
        with a Fidelity, once no configuration is left without a run at the
        asked budget either (`_unrun_configuration`).
        """
        x = self._propose()
        for _ in range(8):
            if x is None:
                break
            params = self.space.decode(x)[0]
            canonical = self.space.encode_valid([params])[0]
            if not is_near(canonical, self._avoid()) and self._admits(params):
                return params, canonical
            x = self._random_new_point(self._avoid())
        unrun = self._unrun_configuration()
        if unrun is not None:
            params = self.space.decode(unrun[None, :])[0]
            return params, self.space.encode_valid([params])[0]
        return self._repeat_point()

    def _unrun_configuration(self) -> np.ndarray | None:
        """With a Fidelity, once every configuration of a finite space is observed or pending
        at some budget: a configuration without a run (observed, pending, or asked in this
        ask) at the budget of the new configuration being asked, uniformly at random among
        those the input constraints admit — Hyperband's brackets each sample their own
        configurations (Li et al., JMLR 2018, Alg. 1), so each bracket may run every one
        at its base budget — or None when there is none (or no Fidelity, or a space too
        large to enumerate)."""
        fidelity = self.space.fidelity
        if fidelity is None or fidelity.name is None or self.budget is None:
            return None
        points = self._admitted_points()
        if points is None:
            return None
        runs = runs_at(self.state, fidelity.name, self.budget, self.now, self.started)
        seen = self.space.encode_valid(runs) if runs else np.zeros((0, self.space.n_columns))
        fresh = points[[not is_near(x, seen) for x in points]]
        return cast(np.ndarray, fresh[self.rng.integers(fresh.shape[0])]) if fresh.size else None

    def _has_unrun(self, budget: float) -> bool:
        """Whether some admitted configuration of a finite space has no run at `budget`
        (observed, pending, or asked in this ask: `has_unrun`)."""
        grid = self._admitted_points
        return has_unrun(self.state, grid, self.settings.feasible is not None, budget,
                         self.now, self.started)

    def _admitted_points(self) -> np.ndarray | None:
        """`admitted_points` of the space, as the optimizer keeps them (`AskSettings.grid`)."""
        if self.settings.grid is not None:
            return self.settings.grid()
        return admitted_points(self.space, self.settings.feasible)

    def _propose(self) -> np.ndarray | None:
        n_ok = self.data.y.shape[0]
        if n_ok + len(self.pending) < self.settings.n_initial or n_ok == 0:
            return self._design_point()
        if self._interleaves():
            self.interleaved.append(self.index)
            return self._random_new_point(self._avoid())
        return self._model_point()

    def _interleaves(self) -> bool:
        """Whether this point is SMAC's interleaved random one: its number among every
        point asked in the study (1-based) is a multiple of `random_interleave`."""
        k = self.settings.options.random_interleave
        return k is not None and (self.state.n_asked + self.index + 1) % k == 0

    def _avoid(self) -> np.ndarray:
        pending = np.reshape(self.pending, (-1, self.space.n_columns))
        return np.concatenate([self.state.X_all, pending])

    def _design_point(self) -> np.ndarray | None:
        avoid, design = self._avoid(), self.state.design
        cheap = self._cost_effective_point(avoid)
        if cheap is not None:
            return cheap
        while True:
            while self.design_used >= design.shape[0]:  # (a resumed state starts short)
                # with input constraints the design goes on along its Sobol sequence
                # (`OptimizerState.extend_design`); without, it is n_initial points
                if self.settings.feasible is None or not self.state.extend_design():
                    return self._random_new_point(avoid)
                design = self.state.design
            x: np.ndarray = design[self.design_used]
            self.design_used += 1
            if not is_near(x, avoid) and self._admits(self.space.decode(x)[0]):
                return x

    def _cost_effective_point(self, avoid: np.ndarray) -> np.ndarray | None:
        """The next point of CArBO's cost-effective design (`bayesopt.cost_design`): None
        without that option, before its Sobol points are asked, while no cost is told, or
        when no candidate is new and admitted (the Sobol design then goes on). The cost GP
        is the ask's (`AskOutcomes`): fitted at its first point that needs it, kept for
        the others, design or model points (the told costs do not change within an ask)."""
        options = self.settings.options.cost_design
        if options is None or avoid.shape[0] < options.n_space_filling:
            return None
        cost = self.outcomes.cost_term(1.0, self.rng)  # fitted once per ask (`AskOutcomes`)
        if cost is None:
            return None
        C = self.space.candidates(options.n_candidates, self.rng)
        squared = nearest_squared_distance(C, avoid)
        keep = squared > NEAR
        if self.settings.feasible is not None:
            keep &= self.settings.feasible.mask(C)
        if not keep.any():
            return None
        C = C[keep]
        return cast(np.ndarray, C[survivor(cost.log_cost(C), squared[keep])])

    def _admits(self, params: dict[str, Any]) -> bool:
        """Whether the input constraints (`feasible=`) admit `params`."""
        return self.settings.feasible is None or self.settings.feasible(params)

    def _random_admitted_point(self, avoid: np.ndarray) -> np.ndarray | None:
        """A random point the input constraints admit, not in `avoid`, by rejection; after
        `REJECTION_BUDGET` draws without one, `_enumerated_admitted_point` (None: every
        admitted point of a small finite space is observed or pending)."""
        feasible = self.settings.feasible
        assert feasible is not None
        if self._admits_none_new(avoid):
            # no draw can be admitted and new: the draws are made, not judged, so that the
            # generator, and every later ask, goes on as if each had been refused
            for _ in range(REJECTION_BUDGET // _REJECTION_BATCH):
                self.rng.random((_REJECTION_BATCH, self.space.n_dims))
            return self._enumerated_admitted_point(avoid)
        for _ in range(REJECTION_BUDGET // _REJECTION_BATCH):
            X = self.space.from_unit(self.rng.random((_REJECTION_BATCH, self.space.n_dims)))
            for x in X[feasible.mask(X)]:
                if not is_near(x, avoid):
                    return cast(np.ndarray, x)
        return self._enumerated_admitted_point(avoid)

    def _admits_none_new(self, avoid: np.ndarray) -> bool:
        """Whether a finite space small enough to enumerate has no admitted point outside
        `avoid` (`_admitted_points`, kept by the optimizer): a random draw of such a space
        is one of its grid points, so rejection would then refuse all of its draws."""
        points = self._admitted_points()
        return points is not None and all(is_near(x, avoid) for x in points)

    def _enumerated_admitted_point(self, avoid: np.ndarray) -> np.ndarray | None:
        """After `REJECTION_BUDGET` draws found no new admitted point: in a finite space of
        at most `_ENUMERATION_LIMIT` points, a random one of the new admitted points, or None
        when every admitted point is observed or pending (exhausted, as a finite space
        without constraints: `_repeat_point`). Otherwise InfeasibleSpaceError."""
        feasible = self.settings.feasible
        assert feasible is not None
        fresh = self._unobserved_points(avoid)
        if fresh is not None:
            fresh = fresh[feasible.mask(fresh)]
            if fresh.shape[0]:
                return cast(np.ndarray, fresh[self.rng.integers(fresh.shape[0])])
            if self._admitted_count():
                return None
        raise InfeasibleSpaceError(
            f"no new point admitted by feasible= among {REJECTION_BUDGET} random draws: the "
            "feasible region is too small, or every point of it is observed or pending")

    def _admitted_count(self) -> int | None:
        points = self._admitted_points()
        return None if points is None else int(points.shape[0])

    def _random_new_point(self, avoid: np.ndarray) -> np.ndarray | None:
        """A uniformly random point not in `avoid`, or None if a finite space has none left."""
        if self.settings.feasible is not None:
            return self._random_admitted_point(avoid)
        for _ in range(64):
            x: np.ndarray = self.space.from_unit(self.rng.random((1, self.space.n_dims)))[0]
            if not is_near(x, avoid):
                return x
        fresh = self._unobserved_points(avoid)
        if fresh is None:  # a large or continuous space: 64 misses are bad luck, not exhaustion
            x = self.space.from_unit(self.rng.random((1, self.space.n_dims)))[0]
            return x
        return fresh[self.rng.integers(fresh.shape[0])] if fresh.shape[0] else None

    def _repeat_point(self) -> tuple[dict[str, Any], np.ndarray]:
        """Warn that no new point is left, and repeat the best observation the input
        constraints admit (a random admitted observed or pending point if none is best)."""
        size = self.space.cardinality
        admitted = self._admitted_count() if self.settings.feasible is not None else None
        if admitted is not None:
            found = f"all {admitted} points feasible= admits (of {size}) are observed or pending"
        elif size is not None:
            found = f"all {size} points are observed or pending"
        else:
            found = ("no new point: every point tried (a Real whose range holds few floats?) "
                     "is observed or pending")
        warnings.warn(f"search space exhausted: {found}; proposing a repeat of an observed point",
                      SpaceExhaustedWarning, stacklevel=caller_level())
        history = self.state.history
        if self.settings.feasible is not None:
            history = [o for o in history if self._admits(o.params)]
        best = best_observation(history, self.state.maximize, self.space)
        if best is not None:
            params = dict(best.params)
        else:
            avoid = self._avoid()
            if self.settings.feasible is not None:
                avoid = avoid[self.settings.feasible.mask(avoid)]
            params = self.space.decode(avoid[self.rng.integers(len(avoid))])[0]
        return dict(params), self.space.encode_valid([params])[0]

    def _unobserved_points(self, avoid: np.ndarray) -> np.ndarray | None:
        """All encoded points of a small finite space that are not in `avoid`."""
        size = self.space.cardinality
        if size is None or size > _ENUMERATION_LIMIT:
            return None
        points = grid_points(self.space)
        keep = [not is_near(x, avoid) for x in points]
        return points[keep]

    def _model_point(self) -> np.ndarray | None:
        if ACQUISITION_KINDS[self.settings.acquisition].portfolio:
            return self._hedge_point()
        if ACQUISITION_KINDS[self.settings.acquisition].ensemble:
            return self._mace_point()
        return self._maximize(self.acquisition_objective())

    def _maximize(self, objective: AcquisitionObjective) -> np.ndarray | None:
        """The maximizer of `objective` among new points (a random new point if the search
        finds none; None when a finite space has no new point left)."""
        avoid = self._avoid()
        options = self.settings.options.acquisition_optimizer
        proposal = optimize_acquisition(
            objective, self._domain(), self.rng, self._incumbents(), avoid,
            options.for_data_size(self.data.y.shape[0]), self._warm_start(),
            self._search_lengthscales(options),
        )
        if proposal is not None:
            return proposal.x
        x = self._random_new_point(avoid)
        if x is not None and options.min_distance**2 > NEAR:
            self.spread_out += 1  # min_distance, not mere repeats, emptied the search
        return x

    def _search_lengthscales(self, options: AcquisitionOptimizerOptions) -> np.ndarray | None:
        """The objective model's lengthscale of each of the space's columns (the posterior
        samples' mean θ with mcmc; the budget level's column left out), which the local
        search is scaled by under `options.scale_by_lengthscales`; else None."""
        if not options.scale_by_lengthscales or self.model.params is None:
            return None
        return self.model.lengthscales[: self.space.n_columns]

    def _hedge_point(self) -> np.ndarray | None:
        """GP-Hedge (`bayesopt.hedge`): every member's nominee, then one of them drawn by
        the softmax of the gains with this proposal's generator."""
        hedge = self.settings.options.hedge
        conditioned = self._conditioned()
        nominees = []
        for member in hedge.members:
            x = self._maximize(self._objective(conditioned, member))
            if x is None:
                return None
            nominees.append(x)
        assert self.hedge_gains is not None, "credited by _conditioned"
        chosen = choose(self.hedge_gains, hedge.eta, self.rng)
        self.hedge_nominees.append(np.array(nominees))
        self.hedge_chosen.append(chosen)
        return nominees[chosen]

    def _mace_point(self) -> np.ndarray | None:
        """MACE (`bayesopt.mace`): a point drawn uniformly, with this proposal's generator, from
        the front's points still new; the front is built at the ask's first model point and
        again, with the batch so far fantasized, only when none of its points is left."""
        tol = self.settings.options.acquisition_optimizer.min_distance
        front = self.mace_front
        if front is not None:
            front = front[distinct_rows(front, self._avoid(), tol)]
        if front is None or not len(front):
            front = self._mace_front()
            if front is None:
                return None
        chosen = int(self.rng.integers(front.shape[0]))
        self.mace_front = np.delete(front, chosen, axis=0)
        return cast(np.ndarray, front[chosen])

    def _mace_front(self) -> np.ndarray | None:
        """The Pareto front (f, c) of the ensemble's members over `_mace_pool`, its points
        at least `min_distance` apart (None: a finite space has no new point left)."""
        scored = self._mace_pool()
        if scored is None:
            return None
        pool, scores = scored
        front = pool[non_dominated(scores)]
        tol = self.settings.options.acquisition_optimizer.min_distance
        return cast(np.ndarray, front[distinct_rows(front, pool[:0], tol)])

    def _mace_pool(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The points (m, c) MACE scores — each member's maximizer, then a candidate pool
        without points within `min_distance` of observed or pending ones — and their
        scores (m, K), one column per member (None: a finite space has no new point left)."""
        conditioned = self._conditioned()
        objectives = [self._objective(conditioned, member)
                      for member in ACQUISITION_KINDS[self.settings.acquisition].ensemble]
        maximizers = []
        for objective in objectives:
            x = self._maximize(objective)
            if x is None:
                return None
            maximizers.append(x)
        options = self.settings.options.acquisition_optimizer
        pool = np.concatenate([np.array(maximizers), candidate_pool(
            self._domain(), self.rng, self._incumbents(),
            options.for_data_size(self.data.y.shape[0]))])
        nearest = np.full(pool.shape[0], np.inf)  # squared distance to the nearest avoided
        for row in self._avoid():
            np.minimum(nearest, np.sum((pool - row) ** 2, axis=1), out=nearest)
        keep = nearest > options.min_distance**2
        # the maximizers are kept whatever their distance: each is the point its member
        # alone would ask (`_maximize`, a random new point when no candidate is far enough),
        # so the front is never empty
        keep[: len(maximizers)] = True
        pool = pool[keep]
        return pool, np.column_stack([objective.values(pool) for objective in objectives])

    def hedge_record(self) -> HedgeRecord | None:
        """What the portfolio did in this ask (None: not a hedge ask, or no model point)."""
        if self.hedge_gains is None or not self.hedge_chosen:
            return None
        return HedgeRecord(tuple(float(g) for g in self.hedge_gains),
                           tuple(self.hedge_nominees), tuple(self.hedge_chosen))

    def hedge_favourite(self, best_f: float) -> AcquisitionFunction:
        """The acquisition of the portfolio's most probable member (the first of ties)."""
        assert self.hedge_gains is not None, "credited by _conditioned"
        member = self.settings.options.hedge.members[int(np.argmax(self.hedge_gains))]
        return ACQUISITION_KINDS[member].build(self, best_f)

    def acquisition_objective(self) -> AcquisitionObjective:
        """What the next ask maximizes: the acquisition of the model conditioned on the
        pending points (fantasies or local penalties), damped around failures."""
        return self._objective(self._conditioned(), self.settings.acquisition)

    def _conditioned(self) -> _Conditioned:
        """The surrogate conditioned on the pending points, the incumbent, the penalty and
        the feasibility term; a portfolio's gains are credited before any fantasy."""
        data = self.data
        if (self.model.n_observed != data.y.shape[0] or self.model.gp is None
                or self.model.budget != data.budget):
            self.model.update(data.X, data.y, defer_refit=self.defer_refit, budget=data.budget)
        self.model.clear_fantasies()
        top = self.data.budget_input
        surrogate: Surrogate = TopBudget(self.model) if top else self.model
        if ACQUISITION_KINDS[self.settings.acquisition].portfolio and self.hedge_gains is None:
            self.hedge_gains = credit(self.state.hedge, len(self.settings.options.hedge.members),
                                      lambda X: surrogate.predict(X)[0])
        pending = np.reshape(self.pending, (-1, self.space.n_columns))
        feasibility = self.outcomes.feasibility_term(
            self.rng, TopBudget.lift(pending) if top else pending)
        rows = self._feasible_rows()
        # which pending points' fantasies are feasible (`_incumbent`); none without a
        # constraint model to judge them
        believed = None
        if rows is not None:
            believed = (feasibility.believed_feasible(pending)
                        if feasibility is not None and pending.shape[0]
                        else np.zeros(pending.shape[0], dtype=bool))
        incumbent = self._incumbent(surrogate, pending, rows, believed)
        # the liar's value and the penalty's best need one even while no observation is
        # feasible: then over every one (the acquisition, `Feasibility`, reads no objective)
        best_rows = None if rows is None or not rows.any() else rows
        if self.model.options.fantasy == "penalize":
            local = self._local_penalty(surrogate, pending, best_rows)
            penalty = self._penalty(local, feasibility)
        else:
            self.model.add_fantasies(TopBudget.lift(pending) if top else pending, rows,
                                     believed)
            if rows is not None and not top and pending.shape[0]:
                # the feasible rows' best and the believed-feasible fantasies' (`_incumbent`)
                counted = self.model.incumbent
                incumbent = None if math.isinf(counted) else counted
            penalty = self._penalty(None, feasibility)
        return _Conditioned(surrogate, incumbent, penalty, feasibility is not None)

    def _objective(self, conditioned: _Conditioned, acquisition: str) -> AcquisitionObjective:
        """The objective of acquisition kind `acquisition` on the conditioned surrogate."""
        incumbent = conditioned.incumbent
        if not conditioned.constrained:
            function = self._acquisition_function(acquisition, incumbent)
        else:
            function = (Feasibility() if incumbent is None
                        else self._acquisition_function(acquisition, incumbent))
        if ACQUISITION_KINDS[acquisition].noisy:  # over noise-free samples of f(X)
            from acquisition.averaging import AveragedAcquisitionObjective
            from bayesopt.noisy import NoisyImprovementSurrogate

            assert not self.model.sampled and conditioned.surrogate is self.model, (
                "lognei refuses hyperparameter samples and a Fidelity (bayesopt.settings)")
            surrogate = NoisyImprovementSurrogate.draw(self.model, self.rng)
            return AveragedAcquisitionObjective(function, surrogate, conditioned.penalty,
                                                local_search_context=one_blas_thread)
        if self.model.sampled:  # hyperparameters="mcmc": averaged over the posterior samples
            from acquisition.averaging import AveragedAcquisitionObjective

            return AveragedAcquisitionObjective(function, conditioned.surrogate,
                                                conditioned.penalty,
                                                local_search_context=one_blas_thread)
        return AcquisitionObjective(function, conditioned.surrogate, conditioned.penalty,
                                    local_search_context=one_blas_thread)

    def _feasible_rows(self) -> np.ndarray | None:
        """The model's observed rows (n_observed,) that are feasible under outcome
        constraints — every constraint value c_i ≤ 0 (`bayesopt.result.satisfied`, the
        rule of `best`) — or None without outcome constraints (every row counts).
        Constrained EI's incumbent is the best *feasible* value (Gardner et al. 2014,
        Sec. 3; Gelbart, Snoek & Adams 2014, Sec. 4), and so is everything ranked by value
        here: the acquisition's incumbent (`_incumbent`), the constant liar's value, the
        fantasy incumbent and the local penalty's best (`_conditioned`), the trust
        region's centre and length (`_trust_region`) and the search's incumbents
        (`_incumbents`) all take these rows."""
        return self.data.of(self.state.feasible_ok) if self.state.outcomes.constrained else None

    def _incumbent(self, surrogate: Surrogate, pending: np.ndarray, rows: np.ndarray | None,
                   believed: np.ndarray | None) -> float | None:
        """The EI incumbent (standardized) before the fantasies are added: None where the
        model's own counts (with its fantasies: no constraints, no budget input). With
        the budget as an input: the best posterior mean at the highest budget over the
        observed configurations and the pending ones, whose believed values are those
        means.

        Under outcome constraints, the best over the feasible observed `rows`
        (`_feasible_rows`) and the pending points whose fantasy is feasible (`believed`
        (p,), `FeasibilityTerm.believed_feasible`): the kriging believer fantasizes every
        model at its posterior mean, the constraints' too (`bayesopt.outcomes`), and a
        fantasy then counts as an observation does, the best feasible one being cEI's
        incumbent (Gardner et al. 2014, Sec. 3; Gelbart, Snoek & Adams 2014, Sec. 4) —
        the believer's value of the Monte Carlo rule of constrained qLogEI (Ament et al.
        2023, Sec. 4.2; BoTorch's `qLogExpectedImprovement(constraints=...)` with
        `X_pending`), where a pending point's improvement counts in the samples where it
        is feasible. Without a budget input the fantasies' values join in `_conditioned`,
        once added (with `fantasy="penalize"` there are none, as without constraints).
        None while neither an observed row nor a fantasy is feasible (the acquisition is
        then feasibility alone)."""
        if rows is None:
            if not self.data.budget_input:
                return None
            X = self.data.X[:, : self.space.n_columns]
            return float(np.min(surrogate.predict(np.concatenate([X, pending]))[0]))
        assert believed is not None, "a verdict on every pending point under constraints"
        if not self.data.budget_input:
            return self.model.incumbent_among(rows) if rows.any() else None
        candidates = np.concatenate([self.data.X[rows, : self.space.n_columns],
                                     pending[believed]])
        if candidates.shape[0] == 0:
            return None
        return float(np.min(surrogate.predict(candidates)[0]))

    def _cost_alpha(self) -> float:
        """α of logei_per_cost: 1 without a budget; with one, cost-cooling from the end of the
        initial design (`acquisition.constrained.cost_cooling`), whose cost is that told
        with the first `n_initial` evaluations."""
        budget = self.settings.cost_budget
        if budget is None:
            return 1.0
        design = self.state.history[: self.settings.n_initial]
        design_spent = sum(o.cost for o in design if o.cost is not None)
        return cost_cooling(budget, self.state.outcomes.spent, design_spent)

    def _acquisition_function(self, acquisition: str,
                              best_f: float | None = None) -> AcquisitionFunction:
        best_f = self.model.incumbent if best_f is None else best_f
        return ACQUISITION_KINDS[acquisition].build(self, best_f)

    def ucb_beta(self) -> float:
        """UCB's β: the given one, else the GP-UCB schedule (Srinivas et al. 2010) scaled."""
        if self.settings.ucb_beta is not None:
            return self.settings.ucb_beta
        options = self.settings.options
        t = max(1, self.model.n_observed - self.settings.n_initial + 1)
        return options.ucb_beta_scale * gp_ucb_beta(t, self.space.n_columns, options.ucb_delta)

    def _penalty(self, local: LocalPenalty | None,
                 feasibility: Penalty | None) -> Penalty | None:
        per_cost = ACQUISITION_KINDS[self.settings.acquisition].per_cost
        cost = self.outcomes.cost_term(self._cost_alpha(), self.rng) if per_cost else None
        if per_cost and cost is None:
            warnings.warn("acquisition='logei_per_cost' has no cost of a successful evaluation "
                          "told yet (tell(..., cost=); a failed one's, tell_failure(..., cost=), "
                          "counts in total_cost but is not modelled), so this ask maximizes "
                          "plain LogEI", UserWarning, stacklevel=caller_level())
        parts = [p for p in (self._failure_penalty(), local, feasibility, cost) if p is not None]
        if len(parts) <= 1:
            return parts[0] if parts else None
        from acquisition.penalty import CombinedPenalty

        return CombinedPenalty(tuple(parts))

    def _failure_penalty(self) -> FailurePenalty | None:
        X_failed = self.state.X_failed
        if X_failed.shape[0] == 0:
            return None
        widths = np.minimum(self.model.lengthscales[: self.space.n_columns], MAX_FAILURE_WIDTH)
        from acquisition.penalty import FailurePenalty

        return FailurePenalty(X_failed, widths)

    def _local_penalty(self, surrogate: Surrogate, pending: np.ndarray,
                       rows: np.ndarray | None) -> LocalPenalty | None:
        """Local penalization of the pending points (González et al. 2016; acquisition.penalty),
        its best M taken over the observed `rows` (n_observed,; None: all)."""
        if pending.shape[0] == 0:
            return None
        from acquisition.penalty import LocalPenalty, lipschitz_estimate

        observed = self.data.X[:, : self.space.n_columns]
        sample = np.concatenate([self.space.sobol(N_LIPSCHITZ_SAMPLE, self.rng), observed])
        lipschitz = lipschitz_estimate(surrogate.predict_with_gradient(sample)[2])
        mean, std = surrogate.predict(pending)
        if self.data.budget_input:
            best = float(np.min(surrogate.predict(observed if rows is None else observed[rows])[0]))
        else:
            best = (self.model.observed_incumbent if rows is None
                    else self.model.incumbent_among(rows))
        return LocalPenalty(pending, mean, std, best, lipschitz)

    def _domain(self) -> Domain:
        space = self.space
        domain = Domain(
            dim=space.n_columns,
            sample=lambda n, rng: space.candidates(n, rng),
            project=space.project,
            categorical_groups=space.categorical_groups,
            admits=None if self.settings.feasible is None else self.settings.feasible.mask,
            linear=None if self.settings.feasible is None else self.settings.feasible.system,
            fixed_columns=space.activity_columns,
            group_gates=space.categorical_gates if space.conditional else (),
        )
        region = self.settings.options.trust_region
        if region is not None:
            domain = replace(domain, box=self._trust_region(region, domain.continuous_mask))
        if self.model.rounding is None or not space.integer_columns:  # integers relaxed
            return domain
        columns, sizes = zip(*space.integer_columns)
        return replace(domain, lattice=IntegerLattice(columns, sizes, space.shift_integer))

    def _trust_region(self, options: TrustRegionOptions,
                      continuous: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The TuRBO-1 box around the observation with the best posterior mean (the EI
        incumbent's row), narrowing the `continuous` (d,) columns (`bayesopt.trust_region`).

        Under outcome constraints, as SCBO (Eriksson & Poloczek 2021, Sec. 3): the box is
        centred on the best *feasible* observation (`_feasible_rows`), an infeasible one
        counts as a failure (its value never improves the best), and while none is
        feasible the box is the whole cube (the acquisition then seeks feasibility alone).
        A point told outside the input constraints (`feasible=`) is also left out here,
        for the box's own reason: a box around it may hold no point an ask could return
        (the incumbent and `best` still count it: it was observed)."""
        y, rows = self.data.y, self._feasible_rows()
        if self.settings.feasible is not None:
            admitted = self.settings.feasible.mask(self.data.X[:, : self.space.n_columns])
            rows = admitted if rows is None else rows & admitted
        if rows is not None:
            if not rows.any():
                return np.zeros(continuous.shape), np.ones(continuous.shape)
            y = np.where(rows, y, np.inf)
        length = side_length(y, self.settings.n_initial, int(continuous.sum()), options)
        centre = self.data.X[self.model.incumbent_index(rows)]
        return box(centre, self.model.lengthscales, length, continuous)

    def _warm_start(self) -> np.ndarray | None:
        """Where `AcquisitionOptimizerOptions.incumbent_start` starts one more local search:
        the observed point of the incumbent rule (`ModelOptions.incumbent`,
        `SurrogateModel.incumbent_index`; the trust region's centre), among the feasible
        rows under outcome constraints (`_feasible_rows`). None when the option is off or
        no observed row is feasible."""
        if not self.settings.options.acquisition_optimizer.incumbent_start:
            return None
        rows = self._feasible_rows()
        if rows is not None and not rows.any():
            return None
        return self.data.X[self.model.incumbent_index(rows), : self.space.n_columns]

    def _incumbents(self) -> np.ndarray:
        """The best observations to search around; the feasible ones (`_feasible_rows`) first
        under outcome constraints."""
        X, y = self.data.X[:, : self.space.n_columns], self.data.y
        rows = self._feasible_rows()
        if rows is not None:
            return X[np.lexsort((y, ~rows))[:N_INCUMBENTS]]
        return X[np.argsort(y, kind="stable")[:N_INCUMBENTS]]


def fitted_after_tell(model: SurrogateModel, data: ModelData, n_initial: int) -> bool:
    """Whether the model is fitted after `update_after_tell(model, data, n_initial)`: it
    was, or there are observations and at least n_initial of them."""
    n = data.y.shape[0]
    return model.gp is not None or (n > 0 and n >= n_initial)


def update_after_tell(model: SurrogateModel, data: ModelData, n_initial: int) -> None:
    """Extend the model to the data after a tell (block append or scheduled refit), once
    it is in use: `data` is the state's `model_data` with the told points."""
    if not fitted_after_tell(model, data, n_initial):
        return
    unchanged = model.n_observed == data.y.shape[0] and model.budget == data.budget
    if data.budget is not None and unchanged:  # told runs at budgets the model leaves out
        return
    if data.y.shape[0]:
        model.update(data.X, data.y, budget=data.budget)


_loaded: set[tuple[Any, ...]] = set()  # the model settings load_kernels has run in this process


def load_kernels(state: OptimizerState) -> None:
    """Fit and query a throwaway surrogate with the state's model settings on random data,
    once per process and settings, so that Numba loads the compiled kernels its first fit
    needs (0.1–0.3 s, once). A shared study's ask does this before taking the study's
    lock; the state and its generator are not touched."""
    model = state.model
    key = (model.dim, model.options, model.gates,
           None if model.warping is None else model.warping.columns, model.budget_basis)
    if key in _loaded:
        return
    throwaway = SurrogateModel(model.dim, model.options, np.random.default_rng(0),
                               warp_columns=key[3], gates=model.gates,
                               budget_basis=model.budget_basis)
    rng = np.random.default_rng(0)
    X = rng.random((4, model.dim))
    throwaway.update(X, rng.standard_normal(4))
    throwaway.predict(X)
    _loaded.add(key)


NEAR = 1e-12  # squared distance (unit cube) within which a point repeats another


def runs_at(state: OptimizerState, name: str, budget: float, now: float | None,
            more: Sequence[Mapping[str, Any]] = ()) -> list[Mapping[str, Any]]:
    """The params of the runs at the Fidelity `name`'s `budget`: observed, pending at `now`
    (not timed out), and in `more` (an ask's points so far)."""
    pending = [p.params for p in state.active_pending(now)]
    return [p for group in ([o.params for o in state.history], pending, more)
            for p in group if p[name] == budget]


def has_unrun(state: OptimizerState, grid: Callable[[], np.ndarray | None], constrained: bool,
              budget: float, now: float | None,
              more: Sequence[Mapping[str, Any]] = ()) -> bool:
    """Whether some configuration of a finite space with a Fidelity that the input
    constraints admit (`grid`, `constrained`: as for `exhausted`) has no run at `budget`
    (`runs_at`, with `more`)."""
    space = state.space
    assert space.fidelity is not None and space.fidelity.name is not None
    runs = runs_at(state, space.fidelity.name, budget, now, more)
    if too_few(space, len(runs), constrained):  # before encoding them
        return True
    seen = space.encode_valid(runs) if runs else np.zeros((0, space.n_columns))
    return not exhausted(space, grid, seen, constrained)


def is_near(x: np.ndarray, points: np.ndarray, tol: float = NEAR) -> bool:
    return bool(points.shape[0]) and bool(np.min(np.sum((points - x) ** 2, axis=1)) <= tol)

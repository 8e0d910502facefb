"""The optimizer's state, and the one function that changes it: `OptimizerState.apply`.

    history    : [Observation]  every told evaluation, in the order applied
    pending    : [PendingPoint] asked (or `add_pending`) and not yet told or cancelled
    X_all      : (n, c)  encoded history, failures included (c = space.n_columns)
    X_ok, y_ok : (m, c), (m,)  encoded successful observations, their minimization targets
    X_failed   : (f, c)  encoded evaluations the acquisition is damped around: the failed
                 ones and, with a Fidelity, the runs `report` stopped (left out of the GP)
    rng        : the only random generator; design, design_used: the Sobol initial design
                 and how much of it was used
    model      : the surrogate; a cache of `trace` (the record of its last refit and the
                 block appends since), rebuilt from the record when it does not match it
    hyperband  : with a `Fidelity` in the space, the trial records of asynchronous
                 Hyperband (`bayesopt.fidelity`); an ask starts one trial per point (the
                 schedule's next job, a pure function of the trials), a tell finishes it,
                 a cancel or a timeout releases it (its job is due again)
    budgets_ok : (m,)  the Fidelity budget of each successful observation
    hedge      : acquisition="hedge": the portfolio record of the last ask that made one
                 (`bayesopt.hedge`); the next ask credits its nominees
    n_asked    : the points of every ask event applied; with
                 `OptimizerOptions.random_interleave` = k, the model's proposal for a
                 point whose number (1-based) is a multiple of k is a uniformly random one
    n_runs     : the run ids given: a pending point's `PendingPoint.run` is its place among
                 the points of every ask event and, since 0.8.0, every `add_pending`
                 (`Pending.numbered`), 0-based — the id ``bayesopt run`` names it by; a point
                 of a pending event written before has none, and does not count
    pruning    : the successive-halving rungs of `Optimizer.report` (`bayesopt.fidelity`):
                 a report event records its values there, a tell of a stopped run is
                 "pruned" (its value is data for the GP of a plain space; with a
                 Fidelity only its rung counts, as the worst there, and it is in X_failed),
                 unless the tell marks it complete (`Tell.complete`: reported past its stop)
    model_data : the surrogate's data — every success; with a Fidelity every success with
                 its budget level z (`bayesopt.fidelity.budget_level`) as a last input
                 column (ModelOptions.fidelity_model), or the successes at BOHB's budget
                 (`bayesopt.fidelity.model_budget`, Falkner et al. 2018) without it;
                 the outcome-constraint and cost GPs take the same inputs and rows

State as a fold over events (see docs/event-fold.md): every change goes through
`apply(event)`, which looks up the applier registered for the event's class
(`APPLIERS`; a new event kind registers its own) and then, for an event of this
state's own worker that carries a `Checkpoint`, adopts the generator state,
design position and surrogate record the event was computed with. Asks and
hyperparameter fits are computed beforehand on a copy of the generator
(`fork_rng`) and their outcome is part of the event, so a live optimizer and
a replay of its log reach the same state by the same function.

Matching a told point to its pending ask (`nearest_match`): categorical and
integer entries must be equal; a real entry may differ from the asked value by
`MATCH_RTOL` = 0.5 % of its magnitude, which covers rounding to 3 significant
digits (an error of at most half a unit in the third digit, ≤ 0.5 % of any
number with that leading digit) and is relative, so it treats log-scaled
dimensions alike across decades. Among several matches the nearest in the unit
cube wins. A pending point stops being pending when an event stamped more than
`pending_timeout` seconds after its last sign of life is applied — its ask (or
`add_pending`), or else the latest heartbeat or report that matched it — by the
times stored in the events, never by the wall clock of the reader, so every
replay agrees. A heartbeat or report of a point that is no longer pending (told,
cancelled or timed out before it, in storage order, or never asked) is not refused:
in a shared study a worker's heartbeat may land after another worker cancelled its
point, and refusing it would make the whole study unreadable for every worker. Such
a heartbeat changes nothing. Such a report moves no expiry and changes no pending
point or observation, but its values are still recorded at the successive-halving
rungs its steps reach (`bayesopt.fidelity.Pruning.report`), under the params as
reported, as a run of its own (no promotion's source, so from the first rung), and
later reports are judged against them. Journals and studies hold such reports, and
their replays go through this rule, so it stays as it is. A point made pending again
(an ask, or `add_pending`) is a new run whose reports start over: the steps and stop an
earlier run of the same params left, or such a late report, are forgotten.

Each run has its own reports' running state (last step, stop; `Pruning`), kept under a key
(`run_key`): a run made pending while no run of its params is pending takes its params' key
(`point_key`), as every run did before; one made pending while another run of its params
is — a replicate: ``add_pending(repeat=True)``, an exhausted space's ask repeating a
pending point — takes one of its own, its params' key and its claim (`RunKey`), so the
replicates' learning curves are not one, and its tell is recorded with its own stop. Which
key is a function of the events (the pending points when its ask or pending event is
applied), so every replay agrees; a study without replicates folds as before. Before this,
replicates shared their params' key: a study of a replicate's reports folds into the
replicates' own curves now (a second replicate's first report, refused then, is accepted).
A run that starts while no run of its params is pending forgets every earlier run's state
of those params, a replicate's too (`_forget_runs`).

Every point made pending (by an ask or a pending event) gets a claim, its place among all
of them (`n_claimed`, 0-based; a function of the events, so every replay agrees), and a
report written since 0.6.0 names the claim of the run it reported on (`Report.claims`). It
is applied to that run, whatever else matches its params; once that run is no longer
pending (told, cancelled or timed out before the report was stored: another worker's event
landed between the report's build and its append) the report is applied to nothing — no
rung value, no step, no sign of life. Matched by params it would count as the report of
whichever run holds them now: a new run of the same params would find a step it never
reported (`Optimizer.report` raises for the late report instead, saying it was not
recorded). Reports without a claim (0.5.0 and earlier) keep the rule above.

Tells, failures and heartbeats name their run's claim too (since 0.6.0). The run a worker's
tell or heartbeat is of (`OptimizerState.runs_of`) is, among the points its params match,
the nearest of that worker's own pending ones, else of its own timed-out ones, else of its
own runs another worker cancelled (`cancelled`), else, as before, of every pending point,
then every timed-out one. Only the state's own worker looks its cancelled runs up, so a
state keeps only its own worker's there, each until that worker's tell (or failure) names
it: a worker's fold never holds another's, so a dead worker's cancelled runs are in no live
fold. A live worker's stay as long as it does not tell them: no event shows that it never
will (a cancel does not stop an evaluation, and its tell may come at any time, which must
then name its run rather than release a new run of its params). They play no part in
applying events (a stored event names its claims), so the folds of two workers, which
differ in them, apply every event alike. A tell releases the run its claim names (pending
or timed out); once that run is neither, its value is recorded as an observation of its
params outside any run (as a late tell of a timed-out point is: no trial finished, no
report state closed, so not "pruned") and releases nothing — another run of the same
params, claimed after a cancel or a timeout, stays pending and keeps its reports. A tell of
a timed-out run whose params a new run holds releases the timed-out run but leaves the
params' reports (their last step, their stop) to the new run: it is not recorded "pruned"
at the new run's stop, nor does it clear it. A heartbeat is a sign of life of the run its
claim names while pending, else nothing. Tells, failures and heartbeats without claims
(written before) are matched by their params.

Cancels name their run's claim too (since 0.7.0), chosen as a tell's (`runs_of`: the
worker's own run first, else any pending point its params match — a coordinator cancels
another worker's straggler). A cancel drops the run its claim names while it is pending or
timed out, and nothing once it is neither (another worker told or cancelled it before the
cancel was stored, and may have claimed its params again: that new run stays pending);
`lost_claims` lists those runs. Cancels without claims (written before) are matched by their
params, as their writers folded them.
"""

from __future__ import annotations

import copy
import math
import weakref
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol, TypeVar

import numpy as np

from bayesopt.categorical import LengthscaleTying, lengthscale_tying
from bayesopt.events import (
    Ask,
    Cancel,
    Checkpoint,
    Event,
    Failure,
    Heartbeat,
    Pending,
    Report,
    Tell,
)
from bayesopt.fidelity import (
    MODEL_MIN_FACTOR,
    Hyperband,
    Pruning,
    SuccessiveHalving,
    budget_level,
    model_budget,
)
from bayesopt.growth import appended
from bayesopt.hedge import HedgeRecord
from bayesopt.journal import JournalError
from bayesopt.model import FIDELITY_KERNELS, BudgetBasis, ModelOptions, SurrogateModel
from bayesopt.outcomes import OutcomeModels
from bayesopt.result import Observation, Status, modelled, status_modelled
from bayesopt.rounding import input_rounding
from bayesopt.space import Categorical, Integer, Space, sobol_seed

__all__ = ["APPLIERS", "MATCH_RTOL", "ModelData", "ModelTrace", "OptimizerState", "PendingPoint",
           "PendingStatus", "TimedOut", "applier", "nearest_match"]

MATCH_RTOL = 5e-3  # a told real value within 0.5 % of the asked one matches it
MAX_DESIGN = 2**16  # Sobol design points an input-constrained design may go through

E = TypeVar("E", bound=Event)
APPLIERS: dict[type[Event], Callable[[OptimizerState, Any], None]] = {}


def applier(kind: type[E]) -> Callable[[Callable[[OptimizerState, E], None]],
                                        Callable[[OptimizerState, E], None]]:
    """Register the function that applies events of class `kind` (one per class)."""
    def register(
            function: Callable[[OptimizerState, E], None]) -> Callable[[OptimizerState, E], None]:
        assert kind not in APPLIERS, f"an applier for {kind.__name__} exists"
        APPLIERS[kind] = function
        return function
    return register


@dataclass(frozen=True)
class PendingPoint:
    """A point being evaluated: its parameters, encoding, the event that made it pending,
    and the time of the latest heartbeat or report that matched it (None before any)."""

    params: dict[str, Any]
    x: np.ndarray  # (c,) canonical encoding
    time: float | None
    worker: str | None
    alive: float | None = None
    run: int | None = None  # its run id, its place among the points numbered (n_runs), 0-based
    claim: int | None = None  # its place among all points made pending (n_claimed), 0-based
    # made pending while another run of its params was (a replicate): its reports are its own
    # (`run_key`), where the first run's are its params'
    replicate: bool = False
    # in `OptimizerState.cancelled`: the last step reported of the run when it was cancelled
    # (a `tell(pruned=True)` of it is recorded there), or None
    reported: float | None = None

    @property
    def last_seen(self) -> float | None:
        """Its last sign of life: the later of its pending time and `alive` (None: unknown)."""
        times = [t for t in (self.time, self.alive) if t is not None]
        return max(times) if times else None


@dataclass(frozen=True)
class TimedOut:
    """A point that was claimed (asked, or `add_pending`) and has timed out: no sign of
    life from `worker` for more than ``pending_timeout`` seconds since `last_seen` (its
    ask, or its latest heartbeat or report; seconds since the epoch). `worker_timeout`:
    that worker's own ``pending_timeout`` as its latest ask recorded it (None: none
    recorded — it had none, or its asks were written before the field existed)."""

    params: dict[str, Any]
    last_seen: float
    worker: str | None
    worker_timeout: float | None = None  # the pending_timeout `worker`'s latest ask recorded


@dataclass(frozen=True)
class PendingStatus:
    """The claimed points as an ask at `now` counts them: `running`, still pending (an
    ask fantasizes them and never proposes them again), and `timed_out`, which the ask
    does not count — those a later event released, then those silent for more than
    ``pending_timeout`` by `now` (`OptimizerState.is_expired`). A late tell of a timed-out
    point is still recorded."""

    now: float | None
    running: tuple[dict[str, Any], ...]
    timed_out: tuple[TimedOut, ...]


@dataclass(frozen=True)
class ReportStatus:
    """What a run in flight has reported (`Optimizer.report_status`): `last_step`, the last
    step `report` recorded for it (None before its first report), and `stopped_at`, the
    step at which the pruning rule said stop (None while it has not)."""

    last_step: float | None
    stopped_at: float | None


@dataclass(frozen=True)
class ModelData:
    """What the surrogate is conditioned on: X (m, c), minimization targets y (m,), the
    Fidelity budget they were observed at (None without a Fidelity), and which of the
    successful observations (`X_ok`'s rows, then any added points) they are: rows (n,)
    boolean, None when all of them."""

    X: np.ndarray
    y: np.ndarray
    budget: float | None = None
    rows: np.ndarray | None = None
    budget_input: bool = False  # X's last column is the budget level (ModelOptions.fidelity_model)

    def of(self, values: np.ndarray) -> np.ndarray:
        """The entries of `values` (n,), one per successful observation, for these rows."""
        assert self.rows is None or self.rows.shape == values.shape, "one entry per success"
        return values if self.rows is None else values[self.rows]


class ModelTrace:
    """The surrogate's record since its last refit: that refit's state and the sizes
    reached by block appends after it (what `SurrogateModel.restore` replays)."""

    def __init__(self) -> None:
        self.refit: dict[str, Any] | None = None
        self.chunk_ends: list[int] = []
        self.last: dict[str, Any] | None = None  # the state recorded last

    def record(self, state: Mapping[str, Any]) -> None:
        """Take the surrogate's state after an event: a refit when anything but its size
        `n` differs from the last refit's (a block append changes only `n`; a refit on as
        many observations as the last one keeps `fit_n` but not θ), else a block append
        when it grew."""
        self.last = dict(state)
        if self.refit is None or _fit_of(state) != _fit_of(self.refit):
            self.refit, self.chunk_ends = dict(state), []
        elif state["n"] > max([self.refit["fit_n"], *self.chunk_ends]):
            self.chunk_ends.append(int(state["n"]))

    @property
    def fitted(self) -> bool:
        return self.refit is not None and self.refit["params"] is not None and self.refit["n"] > 0


def _fit_of(state: Mapping[str, Any]) -> dict[str, Any]:
    """What a surrogate's state (`SurrogateModel.state`) holds of its last refit: all but `n`."""
    return {key: value for key, value in state.items() if key != "n"}


class Watcher(Protocol):
    """What `OptimizerState.watch` calls before the state next changes."""

    def freeze(self) -> None: ...


# Attributes of a state that a pickle or a deep copy does not carry, each with the value
# the copy starts with: the watchers are the original's (`OptimizerState.watch`).
# The growth buffers of `appended` (`bayesopt.growth`) are the state's own too: a copy's
# arrays are plain ones.
_TRANSIENT: dict[str, Callable[[], Any]] = {"_watchers": list, "_buffers": dict,
                                             "_expired_index": lambda: None}


class OptimizerState:
    """See the module docstring. Fields are read freely; only `apply` changes them (and
    `synced_model` and `extend_design`, which rebuild or extend what the events define)."""

    def __init__(self, space: Space, *, seed: int, n_initial: int, maximize: bool,
                 model_options: ModelOptions, worker: str,
                 pending_timeout: float | None = None, n_constraints: int | None = None,
                 pruner: SuccessiveHalving | None = None) -> None:
        self.space, self.maximize, self.worker = space, maximize, worker
        self.n_initial = n_initial
        self.pending_timeout = pending_timeout
        self.rng = np.random.default_rng(seed)
        # the draw `space.sobol` makes, kept to extend the sequence (`extend_design`)
        self.design_seed = sobol_seed(self.rng) if n_initial > 0 else None
        self.design = (space.sobol_seeded(n_initial, self.design_seed)
                       if self.design_seed is not None else space.sobol(0, self.rng))
        self.design_used = 0
        self.model = SurrogateModel(model_columns(space, model_options), model_options, self.rng,
                                    warp_columns=warp_columns(space),
                                    gates=model_gates(space, model_options),
                                    rounding=input_rounding(space, model_options.integer_kernel),
                                    budget_basis=budget_basis(space, model_options),
                                    tying=model_tying(space, model_options))
        self.trace = ModelTrace()
        self.model_stale = False  # the model does not match `trace` (after a replay)
        self.history: list[Observation] = []
        self.pending: list[PendingPoint] = []
        # timed out, still matched by a late tell: by claim (`expired_point`), in the order
        # they timed out (`expired`)
        self._expired: dict[int, PendingPoint] = {}
        self.cancelled: list[PendingPoint] = []  # own runs another worker cancelled, not told
        self.timeouts: dict[str, float | None] = {}  # worker -> its latest ask's pending_timeout
        c = space.n_columns
        self.X_all, self.X_ok, self.X_failed = np.empty((0, c)), np.empty((0, c)), np.empty((0, c))
        self.y_ok = np.empty(0)
        self.hyperband = None if space.fidelity is None else Hyperband(space.fidelity)
        self.budgets_ok = np.empty(0)
        self.pruning = Pruning(SuccessiveHalving.rule_of(pruner, space.fidelity))
        # outcome constraints and costs (bayesopt.outcomes): their data, and which
        # successful observations are feasible
        self.outcomes = OutcomeModels(model_columns(space, model_options), model_options,
                                      n_constraints,
                                      warp_columns(space), model_tying(space, model_options),
                                      model_gates(space, model_options))
        self.feasible_ok = np.empty(0, dtype=bool)
        # the last ask's portfolio record (acquisition="hedge")
        self.hedge: HedgeRecord | None = None
        # points of every ask event, every worker's (random_interleave counts them)
        self.n_asked = 0
        # run ids given: every ask's points and, since 0.8.0, add_pending's (`Pending.numbered`)
        self.n_runs = 0
        self.n_claimed = 0  # points of every ask and pending event (a report names its run's claim)
        self.lost_claims: tuple[int, ...] = ()  # of the last tell, failure or cancel: runs gone
        self.clock = -math.inf  # the latest event time applied
        self.n_applied = 0
        self._watchers: list[weakref.ref[Watcher]] = []
        self._buffers: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # `appended`'s
        self._expired_index: _ExpiredIndex | None = None  # of `_expired`, built when first used

    def __getstate__(self) -> dict[str, Any]:
        return {name: value for name, value in self.__dict__.items() if name not in _TRANSIENT}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        for name, fresh in _TRANSIENT.items():
            setattr(self, name, fresh())

    def watch(self, watcher: Watcher) -> None:
        """Call ``watcher.freeze()`` once, just before this state next changes (an event
        applied, the surrogate handed out to be changed, the design extended), unless the
        watcher is gone by then: the state holds it by a weak reference. `Optimizer.result`
        copies the optimizer this way only when it must."""
        self._watchers.append(weakref.ref(watcher))

    def _changing(self) -> None:
        """Freeze the watchers (`watch`) before a change."""
        if not self._watchers:
            return
        watchers, self._watchers = self._watchers, []
        for ref in watchers:
            watcher = ref()
            if watcher is not None:
                watcher.freeze()

    def extend_design(self) -> bool:
        """Double the Sobol design (the same sequence, so its points so far keep their
        places), up to `MAX_DESIGN` points; False when it cannot grow. Under input
        constraints the design skips the points they refuse and goes on along the
        sequence, which keeps the points it admits spread out (a scrambled-Sobol sequence
        restricted to a region fills it more evenly than random points) where the first
        n_initial points would leave most of a small feasible region to random draws.
        Only the design's length changes: it is a function of `design_seed`."""
        n = self.design.shape[0]
        if self.design_seed is None or n >= MAX_DESIGN:
            return False
        self._changing()
        self.design = self.space.sobol_seeded(min(2 * n, MAX_DESIGN), self.design_seed)
        return True

    # ------------------------------------------------------------ the fold
    def apply(self, event: Event) -> None:
        """Apply one event: its kind's applier, pending expiry, and its checkpoint if ours."""
        self._changing()
        if event.time is not None:
            self._expire(event.time)
        APPLIERS[type(event)](self, event)
        if event.checkpoint is not None and event.worker == self.worker:
            self._adopt(event.checkpoint)
        self.n_applied += 1

    def _adopt(self, checkpoint: Checkpoint) -> None:
        self.rng.bit_generator.state = checkpoint.rng
        self.design_used = checkpoint.design_used
        self.trace.record(checkpoint.model)
        if self.model.state() != checkpoint.model:
            self.model_stale = True

    def _expire(self, now: float) -> None:
        self.clock = max(self.clock, now)
        expired = [self.is_expired(p, now) for p in self.pending]  # once per point and event
        keep = [p for p, out in zip(self.pending, expired) if not out]
        gone = [p for p, out in zip(self.pending, expired) if out]
        if self.hyperband is not None:
            release_trials(self, self.hyperband, gone)
        self._expired.update((_claim_of(p), p) for p in gone)
        index = self._expired_runs()
        for point in gone:
            index.add(point)
        self.pending = keep

    def _expired_runs(self) -> _ExpiredIndex:
        """The index of `_expired` (`_ExpiredIndex`), built from it on first use (after a
        copy or an unpickling too: it is not pickled)."""
        if self._expired_index is None:
            self._expired_index = _ExpiredIndex(self.space, self._expired.values())
        return self._expired_index

    # ------------------------------------------------------------ queries
    @property
    def expired(self) -> list[PendingPoint]:
        """The points that timed out (released by an event) and were neither told nor
        cancelled since, in the order they timed out (a copy)."""
        return list(self._expired.values())

    def expired_point(self, claim: int) -> PendingPoint | None:
        """The timed-out point made pending with `claim`, or None: one dict lookup, however
        many points a long study has left timed out."""
        return self._expired.get(claim)

    def expired_matching(self, params: Mapping[str, Any]) -> list[PendingPoint]:
        """The timed-out points the valid point `params` may match: every one it matches
        (`nearest_match`) and maybe a few more, in the order they timed out, so that
        `nearest_match` among them finds what it finds among `expired`. A few dict lookups
        (`_ExpiredIndex`), however many points a long study has left timed out."""
        claims = self._expired_runs().matching(params)
        return self.expired if claims is None else [self._expired[c] for c in claims]

    def expired_replicates(self, key: Hashable) -> list[PendingPoint]:
        """The timed-out replicates (`PendingPoint.replicate`) of the params `key`
        (`point_key`), in the order they timed out."""
        return [self._expired[c] for c in self._expired_runs().replicates.get(key, ())]

    def is_expired(self, point: PendingPoint, now: float) -> bool:
        """Whether `point` has timed out at `now`: more than `pending_timeout` seconds after
        its last sign of life (module docstring)."""
        timeout, seen = self.pending_timeout, point.last_seen
        return timeout is not None and seen is not None and now - seen > timeout

    def active_pending(self, now: float | None) -> list[PendingPoint]:
        """The pending points that have not timed out at `now` (all of them for None)."""
        return [p for p in self.pending if now is None or not self.is_expired(p, now)]

    def timed_out(self, now: float | None) -> list[PendingPoint]:
        """The points that timed out: released by an event, then those still listed as
        pending that have timed out by `now` (none of them for None)."""
        return self.expired + [p for p in self.pending
                               if now is not None and self.is_expired(p, now)]

    def pending_status(self, now: float | None) -> PendingStatus:
        """`PendingStatus` at `now`."""
        timed_out = tuple(TimedOut(dict(p.params), p.last_seen,  # type: ignore[arg-type]
                                   p.worker, self.timeouts.get(p.worker))  # type: ignore[arg-type]
                          for p in self.timed_out(now))  # a point times out only with a time
        return PendingStatus(now, tuple(dict(p.params) for p in self.active_pending(now)),
                             timed_out)

    def was_asked(self, params: Mapping[str, Any]) -> bool:
        """True if `params` matches a pending point or one that timed out (whether
        `nearest_match` finds one: which is nearest needs no encoding here)."""
        return any(_matches(self.space, params, point.params)
                   for points in (self.pending, self.expired_matching(params))
                   for point in points)

    def model_data(self, points: Sequence[Mapping[str, Any]] = (),
                   values: Sequence[float] = ()) -> ModelData:
        """The surrogate's data (module docstring), with the valid `points` (`Space.validate`)
        told `values` added."""
        X, y = self.X_ok, self.y_ok
        if points:
            targets = np.asarray(values, dtype=float)
            X = np.concatenate([X, self.space.encode_valid(points)])
            y = np.concatenate([y, -targets if self.maximize else targets])
        fidelity = self.space.fidelity
        if fidelity is None:
            return ModelData(X, y)
        budgets = np.concatenate([self.budgets_ok, [float(p[fidelity.name]) for p in points]])  # type: ignore[index]
        if budget_input(self.space, self.model.options):
            return ModelData(np.column_stack([X, budget_level(fidelity, budgets)]), y,
                             budget_input=True)
        budget = model_budget(budgets, MODEL_MIN_FACTOR * self.n_initial)
        keep = budgets == budget
        return ModelData(X[keep], y[keep], budget, keep)

    def told_model_data(self, points: Sequence[Mapping[str, Any]], values: Sequence[float],
                        claims: Sequence[int | None] = (),
                        pruned: Sequence[float | None] = (),
                        complete: Sequence[bool] = ()) -> ModelData | None:
        """`model_data` with the told `points` (valid, `Space.validate`) that their tell will
        add to it, as `_observe` decides (`_told_runs`, `result.status_modelled`): with a
        Fidelity, not a run `report` stopped (or told `pruned`), which the tell records
        "pruned" and leaves out, unless it is `complete`; None when the tell adds none (the
        surrogate has nothing new, as after `tell_failure`)."""
        told = _told_runs(self, points, None, tuple(claims), tuple(pruned), tuple(complete))
        kept = [(p, v) for p, v, run in zip(points, values, told)
                if status_modelled(_told_status(v, run.step), self.space)]
        if not kept:
            return None
        return self.model_data([p for p, _ in kept], [v for _, v in kept])

    def reported_steps(self, points: Sequence[Mapping[str, Any]],
                       claims: Sequence[int | None] = ()) -> list[tuple[float | None,
                                                                        float | None]]:
        """For each point of a tell of the valid `points` (`claims`: the runs it names), the
        step its run was stopped at by `report` and the last step reported of it — of the
        reports its tell closes (`_told_runs`), so (None, None) for a run that has none;
        for this worker's own run another worker cancelled, the last step it had reported
        (`PendingPoint.reported`), whose reports the cancel closed."""
        steps, closed = [], set()
        for run, claim in zip(_told_runs(self, points, None, tuple(claims)),
                              tuple(claims) or (None,) * len(points)):
            last = None if run.closes in closed else self.pruning.last_step.get(run.closes)
            if run.released is None and claim is not None:  # over: this worker's cancelled?
                last = next((p.reported for p in self.cancelled if p.claim == claim), None)
            closed.add(run.closes)
            steps.append((run.step, last))
        return steps

    def source(self, point: PendingPoint | None) -> int | None:
        """For a pending promotion, the history index of the run it continues, else None."""
        trial = None if point is None else self.pending_trial(point)
        if trial is None:
            return None
        assert self.hyperband is not None
        source = self.hyperband.trials[trial].continues
        return None if source is None else self.hyperband.trials[source].observation

    def pending_trial(self, point: PendingPoint, hyperband: Hyperband | None = None) -> int | None:
        """The pending Hyperband trial of the pending (or timed-out) `point` (in `hyperband`,
        default the state's), or None: the trial its ask started, whose index is the
        point's run (each asked point starts one trial), if not finished or released. Not
        the first pending trial of its configuration and budget: in an exhausted space
        several pending points share their params, and a timeout, cancel or tell of one
        of them is that point's trial's (`tests/test_fidelity.py::
        test_a_timed_out_copy_of_pending_params_releases_its_own_trial`)."""
        fidelity = self.space.fidelity
        hyperband = self.hyperband if hyperband is None else hyperband
        if hyperband is None or fidelity is None:
            return None
        if point.run is None:  # a point of a pending event without run ids, never made
            # with a Fidelity: there every run id (an asked point's, or an added one's) is
            # its trial's index (`_apply_pending`)
            budget = point.params[fidelity.name]  # type: ignore[index]
            return hyperband.pending_trial(config_key(self.space, point.params), budget)
        trial = hyperband.trials[point.run]
        return None if trial.loss is not None or trial.released else point.run

    def hyperband_at(self, now: float | None, read_only: bool = False) -> Hyperband | None:
        """A copy of the Hyperband trials as an event at `now` finds them: the trials of
        pending points timed out by then released (what `apply` does before an ask).
        `read_only`: the state's own trials when none is to be released, for a caller
        that only reads them (a copy of a thousand trials takes ~12 ms)."""
        if self.hyperband is None:
            return None
        gone = [] if now is None else [p for p in self.pending if self.is_expired(p, now)]
        if read_only and not gone:
            return self.hyperband
        hyperband = copy.deepcopy(self.hyperband)
        release_trials(self, hyperband, gone)
        return hyperband

    def asked(self, params: Mapping[str, Any]) -> dict[str, Any] | None:
        """The pending point `params` matches (the rule of a tell), as asked; or None."""
        point = self.pending_point(params)
        return None if point is None else point.params

    def pending_point(self, params: Mapping[str, Any]) -> PendingPoint | None:
        """The pending point `params` matches (the rule of a tell), or None."""
        index = nearest_match(self.space, params, self.pending)
        return None if index is None else self.pending[index]

    def runs_of(self, points: Sequence[Mapping[str, Any]]) -> list[PendingPoint | None]:
        """The run a tell, heartbeat, report or cancel of each of the valid `points` by this
        state's worker is of (module docstring), each run named once: the nearest that the
        point matches of the worker's own pending points, else of its own timed-out ones,
        else of its own that another worker cancelled, else of every pending point, else of
        every timed-out one; None when it matches none."""
        own = self.worker
        mine = [p for p in self.pending if p.worker == own]
        cancelled = [p for p in self.cancelled if p.worker == own]
        runs: list[PendingPoint | None] = []
        for params in points:
            expired = self.expired_matching(params)  # holds every timed-out run it matches
            groups = [mine, [p for p in expired if p.worker == own], cancelled, self.pending,
                      expired]
            run = None
            for group in groups:
                free = [p for p in group if all(p is not r for r in runs)]
                index = nearest_match(self.space, params, free)
                if index is not None:
                    run = free[index]
                    break
            runs.append(run)
        return runs

    def claimed(self, claim: int) -> bool:
        """Whether the point made pending with this claim (`PendingPoint.claim`) still is."""
        return _claim_index(self.pending, claim) is not None

    def run_ids(self, params: Mapping[str, Any]) -> tuple[int | None, int | None]:
        """(run, continues) of the pending point `params` matches (the rule of a tell): its
        place among every point asked (`PendingPoint.run`, 0-based), and for a Hyperband
        promotion that of the run it continues, else None. Both are functions of the
        ask events, so every replay of the journal or study gives the same ids. With a
        Fidelity each asked point starts one trial, so a trial's index is its run's id
        and a promotion's source trial is the id of the run it continues."""
        index = nearest_match(self.space, params, self.pending)
        if index is None:
            return None, None
        return self.ids_of(self.pending[index])

    def ids_of(self, point: PendingPoint) -> tuple[int | None, int | None]:
        """(run, continues) of the asked point `point` (`run_ids`)."""
        trial = self.pending_trial(point)
        if trial is None:
            return point.run, None
        assert trial == point.run, f"trial {trial} of the asked point {point.run}"
        assert self.hyperband is not None
        return point.run, self.hyperband.trials[trial].continues

    def fork_rng(self) -> np.random.Generator:
        """A generator in the state's generator's state, for computing an event: a bit
        generator of the same kind built from the state's own seed sequence (building one
        without a seed would read OS entropy only to discard it), then set to its state."""
        bits, seed = self.rng.bit_generator, self.rng.bit_generator.seed_seq
        assert isinstance(seed, np.random.SeedSequence), "the state's generator is seeded"
        fork = type(bits)(seed)
        fork.state = bits.state
        return np.random.Generator(fork)

    def checkpoint(self, rng: np.random.Generator, design_used: int) -> Checkpoint:
        """The checkpoint of a computation that used `rng` and reached `design_used`
        (the surrogate's record as it stands if the computation did not touch it)."""
        stale = self.model_stale and self.trace.last is not None
        model = self.trace.last if stale else self.model.state()
        return Checkpoint(rng.bit_generator.state, design_used, model)  # type: ignore[arg-type]

    def model_fitted(self) -> bool:
        """Whether `synced_model` returns a fitted surrogate (its `gp` is not None), told
        without rebuilding it."""
        return self.trace.fitted if self.model_stale else self.model.gp is not None

    def synced_model(self, rng: np.random.Generator) -> SurrogateModel:
        """The surrogate, rebuilt from `trace` first if it does not match it (a replay).
        The caller may change it (a tell's refit, an ask's fantasies): the watchers are
        frozen first (`watch`)."""
        self._changing()
        if self.model_stale:
            options = self.model.options
            model = SurrogateModel(model_columns(self.space, options), options, rng,
                                   warp_columns=warp_columns(self.space),
                                   gates=model_gates(self.space, options),
                                   rounding=input_rounding(self.space, options.integer_kernel),
                                   budget_basis=budget_basis(self.space, options),
                                   tying=model_tying(self.space, options))
            if self.trace.fitted:
                assert self.trace.refit is not None
                data = self.model_data()
                phantoms = (0 if self.space.fidelity is None
                            else sum(o.status == "pruned" for o in self.history))
                model.restore(data.X, data.y, self.trace.refit, self.trace.chunk_ends, phantoms)
            self.model, self.model_stale = model, False
        self.model.rng = rng
        return self.model


def budget_input(space: Space, options: ModelOptions) -> bool:
    """Whether the surrogates take the budget level as their last input
    (`ModelOptions.fidelity_model`, with a Fidelity in the space)."""
    return space.fidelity is not None and options.fidelity_model == "budget-input"


def budget_basis(space: Space, options: ModelOptions) -> BudgetBasis | None:
    """The basis the objective's kernel takes the budget level in (`ModelOptions.
    fidelity_kernel`), None for a stationary input; ValueError when the space has no
    Fidelity to model."""
    basis = FIDELITY_KERNELS[options.fidelity_kernel]
    if basis is not None and not budget_input(space, options):
        raise ValueError(f"fidelity_kernel={options.fidelity_kernel!r} models a Fidelity's "
                         "budget, and the space has no Fidelity")
    return basis


def model_columns(space: Space, options: ModelOptions) -> int:
    """Input columns of the surrogates: the encoding's, and the budget level's if an input."""
    return space.n_columns + budget_input(space, options)


def model_tying(space: Space, options: ModelOptions) -> LengthscaleTying | None:
    """The surrogates' lengthscale tying (`bayesopt.categorical`, categorical_kernel)."""
    return lengthscale_tying(space, options.categorical_kernel, model_columns(space, options))


def model_gates(space: Space, options: ModelOptions) -> tuple[int, ...] | None:
    """The kernel's gates (a conditional space's, `kernels.Kernel`): the budget level,
    if an input, is never inactive."""
    gates = space.gates
    return gates if gates is None or not budget_input(space, options) else (*gates, -1)


def model_inputs(space: Space, options: ModelOptions, X: np.ndarray,
                 points: Sequence[Mapping[str, Any]]) -> np.ndarray:
    """Encoded points X (n, c) as the surrogates' inputs: with the budget level appended
    (n, c + 1) when it is an input."""
    fidelity = space.fidelity
    if fidelity is None or not budget_input(space, options):
        return X
    budgets = [float(p[fidelity.name]) for p in points]  # type: ignore[index]
    return np.column_stack([X, budget_level(fidelity, np.array(budgets))])


def config_key(space: Space, params: Mapping[str, Any]) -> Hashable:
    """A configuration: the (name, value) of every active dimension but the Fidelity."""
    return tuple((name, params[name]) for name in space.names
                 if name in params and space[name] is not space.fidelity)


def point_key(space: Space, params: Mapping[str, Any]) -> Hashable:
    """A run: the (name, value) of every active dimension, the budget included."""
    return tuple((name, params[name]) for name in space.names if name in params)


@dataclass(frozen=True)
class RunKey:
    """The key of a replicate's reports (`PendingPoint.replicate`): its params' key and
    its claim."""

    point: Hashable
    claim: int | None


def run_key(space: Space, point: PendingPoint) -> Hashable:
    """The key of a run's reports (`Pruning`): its params' key (`point_key`), or for a
    replicate, made pending while another run of its params was, one of its own."""
    key = point_key(space, point.params)
    return RunKey(key, point.claim) if point.replicate else key


def warp_columns(space: Space) -> tuple[int, ...]:
    """The encoded columns input warping applies to: all but the categoricals' one-hot ones
    and a conditional space's activity columns (both 0/1 indicators)."""
    binary = {int(j) for group in space.categorical_groups for j in group}
    binary |= {int(j) for j in space.activity_columns}
    return tuple(j for j in range(space.n_columns) if j not in binary)


# ---------------------------------------------------------------- appliers
@applier(Ask)
def _apply_ask(state: OptimizerState, event: Ask) -> None:
    _start_runs(state, event.points)  # (a timed-out run asked again has its params)
    _add_pending(state, event)
    state.n_asked += len(event.points)
    if event.worker is not None:
        state.timeouts[event.worker] = event.pending_timeout
    if event.hedge is not None:
        widths = {n.shape[1] for n in event.hedge.nominees}
        if widths - {state.space.n_columns}:
            raise JournalError(f"ask event's hedge nominees have {sorted(widths)} columns, "
                               f"the space encodes {state.space.n_columns}")
        state.hedge = event.hedge
    if state.hyperband is not None:
        _start_trials(state, state.hyperband, event)


def _start_trials(state: OptimizerState, hyperband: Hyperband, event: Ask) -> None:
    """Start each asked point's Hyperband trial: the schedule's next job, whose budget
    the point carries (the ask was computed from the same trials), or for a new
    configuration at another bracket's base budget that bracket's (an exhausted finite
    space's: `bayesopt.fidelity.Hyperband.skip_to`)."""
    fidelity = state.space.fidelity
    assert fidelity is not None
    for params in event.points:
        due = hyperband.next_job()
        budget = params[fidelity.name]  # type: ignore[index]
        job = due if budget == due.budget else hyperband.skip_to(due, budget)
        if job is None:
            raise JournalError(f"ask of {params} does not follow the Hyperband schedule "
                               f"(next budget {fidelity.name}={due.budget!r})")
        hyperband.start(job, config_key(state.space, params))


@applier(Pending)
def _apply_pending(state: OptimizerState, event: Pending) -> None:
    """Make the points pending, each a new run whose reports start over (as an ask's):
    the running state a cancelled, timed-out or told run of the same params left — or a
    report that landed after it (module docstring) — is forgotten, unless a run of the
    same params is still pending (an ``add_pending(repeat=True)`` replicate, whose reports
    share its params). Values recorded at rungs stay there. With a Fidelity each point
    also starts its Hyperband trial (`bayesopt.fidelity.Hyperband.add`), so that, as for
    an asked point, its run's id is its trial's index."""
    _start_runs(state, event.points)
    _add_pending(state, event)
    hyperband, fidelity = state.hyperband, state.space.fidelity
    if event.scheduled != (fidelity is not None):
        raise JournalError(
            "a pending event of a space with a Fidelity without \"scheduled\": true (no "
            "bayesopt wrote one: add_pending took a Fidelity in 0.9.0, which marks them)"
            if fidelity is not None else
            "a pending event with \"scheduled\": true in a space without a Fidelity")
    if event.scheduled and not event.numbered:
        raise JournalError("a pending event with \"scheduled\": true without run ids "
                           "(\"numbered\"), which no bayesopt wrote")
    if hyperband is not None and fidelity is not None:
        for params in event.points:
            hyperband.add(config_key(state.space, params), params[fidelity.name])  # type: ignore[index]


def _start_runs(state: OptimizerState, points: Sequence[Mapping[str, Any]]) -> None:
    """Each point made pending (an ask, `add_pending`) is a new run whose reports start
    over. A point whose params no pending run holds takes its params' key (`run_key`):
    the running state (last step, stop) their earlier runs left is forgotten. A point
    whose params a pending run holds — an ``add_pending(repeat=True)`` replicate, or an
    exhausted space's repeat of a pending point — is a replicate with a key of its own
    (`_add_pending`), and the running run keeps its reports (forgetting them recorded a
    stopped run "ok" at its tell:
    `tests/test_fidelity.py::test_an_ask_repeating_a_pending_point_leaves_its_stop`)."""
    running = {point_key(state.space, p.params) for p in state.pending}
    for params in points:
        key = point_key(state.space, params)
        if key not in running:
            _forget_runs(state, key)


def _forget_runs(state: OptimizerState, key: Hashable) -> None:
    """Forget the running state of every run of the params `key` (none of them pending):
    their key's, and each timed-out replicate's (`RunKey`; a replicate told, cancelled or
    superseded closed its own)."""
    state.pruning.close(key)
    for point in state.expired_replicates(key):
        state.pruning.close(run_key(state.space, point))


@applier(Cancel)
def _apply_cancel(state: OptimizerState, event: Cancel) -> None:
    """Drop each cancelled point — the run its claim names while pending (or timed out),
    and nothing once it is neither (`lost_claims`); without a claim (written before 0.7.0)
    the one its params match — release its Hyperband trial, and forget its reports'
    running state (last step, stop): a released promotion is asked again with the same
    params, a new run whose reports start over. Values it recorded at rungs stay there.
    A run of this state's own worker that another worker cancelled is kept in `cancelled`
    (module docstring)."""
    claims = event.claims or (None,) * len(event.points)
    lost = []
    for params, claim in zip(event.points, claims):
        released = _release(state, params) if claim is None else _release_claim(state, claim)
        if released is None:
            if claim is not None:
                lost.append(claim)
            continue
        key = run_key(state.space, released)
        if released.worker is not None and released.worker == state.worker != event.worker:
            # its late tell names it (`runs_of`), pruned=True at its last step
            state.cancelled.append(replace(released, reported=state.pruning.last_step.get(key)))
        state.pruning.close(key)
        if state.hyperband is not None:
            release_trials(state, state.hyperband, [released])
    state.lost_claims = tuple(lost)


def release_trials(state: OptimizerState, hyperband: Hyperband,
                   points: Sequence[PendingPoint]) -> None:
    """Release the Hyperband trials of pending points that will bring no result
    (cancelled or timed out): each job is due again (`Hyperband.release`). A late
    tell of a timed-out point is then an observation outside the schedule."""
    for point in points:
        trial = state.pending_trial(point, hyperband)
        if trial is not None:
            hyperband.release(trial)


@applier(Tell)
def _apply_tell(state: OptimizerState, event: Tell) -> None:
    _observe(state, event, list(event.values), [None] * len(event.points), event.durations,
             event.constraints, event.costs, event.claims, event.pruned, event.complete)


@applier(Failure)
def _apply_failure(state: OptimizerState, event: Failure) -> None:
    _observe(state, event, [None] * len(event.points), list(event.errors), event.durations,
             costs=event.costs, claims=event.claims)


@applier(Heartbeat)
def _apply_heartbeat(state: OptimizerState, event: Heartbeat) -> None:
    """A sign of life of each point's run: the run its claim names while pending, and
    nothing once it is not (module docstring); without a claim (written before 0.6.0)
    the pending point its params match."""
    claims = event.claims or (None,) * len(event.points)
    for params, claim in zip(event.points, claims):
        _seen_alive(state, _reported(state, params, claim)[0], event.time)


def _seen_alive(state: OptimizerState, index: int | None, time: float | None) -> None:
    """A sign of life at `time` of the pending point at `index` (a heartbeat's, a report's
    match): its expiry counts from then. Nothing for a point not pending (index None,
    module docstring) or an event without a time."""
    if index is None or time is None:
        return
    point = state.pending[index]
    state.pending[index] = replace(point, alive=time if point.alive is None
                                   else max(point.alive, time))


def _claim_index(points: Sequence[PendingPoint], claim: int) -> int | None:
    """The index in `points` of the point made pending with `claim`, or None."""
    return next((i for i, p in enumerate(points) if p.claim == claim), None)


def _reported(state: OptimizerState, params: Mapping[str, Any],
              claim: int | None) -> tuple[int | None, bool]:
    """(index of the pending point a report or heartbeat of `params` is of, or None;
    whether to apply it): by its claim, and not at all once that run is no longer pending
    (told, cancelled or timed out before the event was stored; module docstring); an event
    without a claim (written before 0.6.0) by its params, the rule of a tell."""
    if claim is None:
        return nearest_match(state.space, params, state.pending), True
    index = _claim_index(state.pending, claim)
    return index, index is not None


@applier(Report)
def _apply_report(state: OptimizerState, event: Report) -> None:
    claims = event.claims or (None,) * len(event.points)
    matches = [_reported(state, params, claim) for params, claim in zip(event.points, claims)]
    for index, _ in matches:
        _seen_alive(state, index, event.time)
    for params, step, value, (index, applies) in zip(event.points, event.steps, event.values,
                                                     matches):
        if not applies:
            continue
        point = None if index is None else state.pending[index]
        asked = params if point is None else point.params
        # the step from which the run is at its budget, and its source's budget (a promotion)
        budget = continued_from = None
        if state.space.fidelity is not None:
            name = state.space.fidelity.name
            assert name is not None, "a space's dimensions are named"
            # the run reached its budget from a step within a tell's matching tolerance
            # below it on (a data fraction trained on a rounded count of samples)
            budget = float(asked[name]) * (1 - MATCH_RTOL)
            source = state.source(point)
            continued_from = None if source is None else float(
                state.history[source].params[name])
        key = point_key(state.space, asked) if point is None else run_key(state.space, point)
        state.pruning.report(key, step,
                             -value if state.maximize else value, continued_from, budget)


def _add_pending(state: OptimizerState, event: Event) -> None:
    """Make the event's points pending, claimed from `n_claimed` on; an ask's, and a
    numbered pending event's (`Pending.numbered`, since 0.8.0), are also numbered (run ids)
    from `n_runs` on."""
    X = state.space.encode_valid(event.points)
    numbered = isinstance(event, Ask) or (isinstance(event, Pending) and event.numbered)
    first = state.n_runs if numbered else None
    held = {point_key(state.space, p.params) for p in state.pending}
    for i, (p, x) in enumerate(zip(event.points, X)):
        key = point_key(state.space, p)
        state.pending.append(PendingPoint(dict(p), x, event.time, event.worker,
                                          run=None if first is None else first + i,
                                          claim=state.n_claimed + i, replicate=key in held))
        held.add(key)
    state.n_claimed += len(event.points)
    if numbered:
        state.n_runs += len(event.points)


class _Runs(Protocol):
    """The pending and timed-out points a told or cancelled point is matched among."""

    @property
    def space(self) -> Space: ...
    @property
    def pending(self) -> list[PendingPoint]: ...
    def expired_matching(self, params: Mapping[str, Any]) -> list[PendingPoint]: ...

    def expired_point(self, claim: int) -> PendingPoint | None: ...


class _Unreleased:
    """The state's pending and timed-out points less those its tell's earlier points
    release (`released`, by identity): what its next point is matched among
    (`_told_runs`), the state itself left as it is."""

    def __init__(self, state: OptimizerState) -> None:
        self.space = state.space
        self._state = state
        self.released: list[PendingPoint] = []

    @property
    def pending(self) -> list[PendingPoint]:
        return self._less(self._state.pending)

    def expired_matching(self, params: Mapping[str, Any]) -> list[PendingPoint]:
        return self._less(self._state.expired_matching(params))

    def expired_point(self, claim: int) -> PendingPoint | None:
        point = self._state.expired_point(claim)
        return None if point is None or any(point is r for r in self.released) else point

    def _less(self, points: list[PendingPoint]) -> list[PendingPoint]:
        if not self.released:
            return points
        return [p for p in points if not any(p is r for r in self.released)]


def _matched_point(runs: _Runs, params: Mapping[str, Any],
                   x: np.ndarray | None = None) -> PendingPoint | None:
    """The pending (else timed-out) point `params` matches (`nearest_match`), or None.
    `x`: `params` encoded, when the caller has it."""
    for points in (runs.pending, runs.expired_matching(params)):
        index = nearest_match(runs.space, params, points, x)
        if index is not None:
            return points[index]
    return None


def _claimed_point(runs: _Runs, claim: int) -> PendingPoint | None:
    """The pending (or timed-out) point made pending with `claim`, or None."""
    index = _claim_index(runs.pending, claim)
    return runs.pending[index] if index is not None else runs.expired_point(claim)


def _drop(state: OptimizerState, point: PendingPoint) -> None:
    """Remove `point` (by identity) from the pending or timed-out points."""
    for index, held in enumerate(state.pending):
        if held is point:
            del state.pending[index]
            return
    if point.claim is not None and state.expired_point(point.claim) is point:
        del state._expired[point.claim]
        state._expired_runs().remove(point)
        return
    raise AssertionError("a released point is pending or timed out")


def _claim_of(point: PendingPoint) -> int:
    """The claim of a point made pending by an event (`_add_pending` gives every one)."""
    if point.claim is None:
        raise AssertionError(f"a pending point without a claim: {point.params!r}")
    return point.claim


def _release(state: OptimizerState, params: Mapping[str, Any]) -> PendingPoint | None:
    """Drop the pending (or timed-out) point `params` matches, if any, and return it."""
    point = _matched_point(state, params)
    if point is not None:
        _drop(state, point)
    return point


def _release_claim(state: OptimizerState, claim: int) -> PendingPoint | None:
    """Drop the pending (or timed-out) point made pending with `claim`, if any, and return it."""
    point = _claimed_point(state, claim)
    if point is not None:
        _drop(state, point)
    return point


def _superseded(state: _Runs, point: PendingPoint) -> bool:
    """Whether the pending or timed-out `point` (`_claimed_point`'s: in exactly one of the
    two lists) timed out and its params are pending again (a new run, asked or added after
    the timeout): the reports' running state of its params is then that run's, which a
    late tell of `point` leaves alone. Timed out is not pending: the few pending points
    are scanned, not the timed-out ones, which a long study piles up."""
    if any(p is point for p in state.pending):
        return False
    key = point_key(state.space, point.params)
    return any(point_key(state.space, p.params) == key for p in state.pending)


def _forget_cancelled(state: OptimizerState, params: Mapping[str, Any],
                      worker: str | None) -> None:
    """Drop `worker`'s cancelled run (`OptimizerState.cancelled`) that `params` matches."""
    own = [p for p in state.cancelled if p.worker == worker]
    index = nearest_match(state.space, params, own)
    if index is not None:
        state.cancelled = [p for p in state.cancelled if p is not own[index]]


def _observe(state: OptimizerState, event: Event, values: list[float | None],
             errors: list[str | None], durations: tuple[float | None, ...],
             constraints: tuple[tuple[float, ...], ...] | None = None,
             costs: tuple[float | None, ...] = (), claims: tuple[int | None, ...] = (),
             pruned: tuple[float | None, ...] = (), complete: tuple[bool, ...] = ()) -> None:
    """Append observations (value None = failed), stamped with the event's time, and
    release their pending entries: each the run its claim names, and none once that run
    is neither pending nor timed out (its params' reports are left to the run that holds
    them now); without a claim the one its params match (module docstring). `pruned`: the
    steps a tell's points were told pruned at (`Tell.pruned`); `complete`: which of them
    are complete runs whatever their stop (`Tell.complete`)."""
    points = event.points
    X = state.space.encode_valid(points)
    seconds = durations or (None,) * len(points)
    fidelity = state.space.fidelity
    data = []
    lost = []
    rows: tuple[tuple[float, ...] | None, ...] = constraints or (None,) * len(points)
    told = _told_runs(state, points, X, claims, pruned, complete)
    for params, value, error, duration, row, cost, claim, run in zip(
            points, values, errors, seconds, rows, costs or (None,) * len(points),
            claims or (None,) * len(points), told):
        if claim is None:  # written before claims: its worker's cancelled run is told
            _forget_cancelled(state, params, event.worker)  # (it names none to match later)
        if run.released is not None:
            _drop(state, run.released)
        elif claim is not None:  # the run it was of is over
            state.cancelled = [p for p in state.cancelled if p.claim != claim]
            lost.append(claim)
        if run.closes is not None:
            state.pruning.close(run.closes)
        status = _told_status(value, run.step)
        continues = _finish_trial(state, run.released, None if status == "pruned" else value)
        state.history.append(Observation(len(state.history), dict(params), value, status, error,
                                         timestamp=event.time, duration=duration,
                                         constraints=row, cost=cost, continues=continues,
                                         step=None if value is None else run.step,
                                         run=None if run.released is None
                                         else run.released.run))
        data.append(modelled(state.history[-1], state.space))
    state.lost_claims = tuple(lost)
    ok = np.array(data, dtype=bool)
    inputs = model_inputs(state.space, state.model.options, X[ok],
                          [p for p, keep in zip(points, ok) if keep])
    grown = state._buffers  # each array grown in amortized linear time (`appended`)
    state.feasible_ok = appended(grown, "feasible_ok", state.feasible_ok,
                                 state.outcomes.add(inputs, constraints, costs, ok))
    targets = np.array([v for v, keep in zip(values, data) if keep], dtype=float)
    state.X_all = appended(grown, "X_all", state.X_all, X)
    state.X_ok = appended(grown, "X_ok", state.X_ok, X[ok])
    state.y_ok = appended(grown, "y_ok", state.y_ok, -targets if state.maximize else targets)
    # failed, or pruned beside a Fidelity
    state.X_failed = appended(grown, "X_failed", state.X_failed, X[~ok])
    if fidelity is not None:
        budgets = [float(p[fidelity.name]) for p, keep in zip(points, data) if keep]  # type: ignore[index]
        state.budgets_ok = appended(grown, "budgets_ok", state.budgets_ok, budgets)


@dataclass(frozen=True)
class _ToldRun:
    """What a tell does to the run of one of its points (`_told_runs`)."""

    released: PendingPoint | None  # the pending or timed-out point it releases, if any
    closes: Hashable | None  # the reports' running state it closes (`Pruning.close`), if any
    step: float | None  # the step report stopped its run at (recorded "pruned"), or None


def _told_runs(state: OptimizerState, points: Sequence[Mapping[str, Any]],
              X: np.ndarray | None = None, claims: Sequence[int | None] = (),
              pruned: Sequence[float | None] = (),
              complete: Sequence[bool] = ()) -> list[_ToldRun]:
    """For each told point in turn (the valid `points`, `X` their encodings if known), what
    its tell does to its run, the state left as it is (`_observe` applies it,
    `OptimizerState.told_model_data` reads it): it releases the run its claim names while
    that run is pending or timed out, and none once it is neither; without a claim the one
    its params match (module docstring). A run timed out and its params pending again
    (`_superseded`) leaves its params' reports to the new run; else the tell closes them
    (the run's own, `run_key`; the params' where no run is released), and the step report
    stopped them at makes it "pruned" — else, or where it is later than that stop (the run
    reported on past it, and another rule stopped it there), the step it was told pruned at
    (`pruned`, `Tell.pruned`: stopped by another rule than this optimizer's), whatever its
    run. A tell written while the stop came first carries a step only where no stop was
    known as it was written, so a stop applied with it came from a later report and still
    wins: such a study folds as it did. A point its tell marks `complete` (since 0.10.0,
    `Tell.complete`: its run reported past its stop, told without ``pruned=True``) has no
    step, a complete run: its value was taken after the stop, not at it."""
    runs = _Unreleased(state)
    closed: set[Hashable] = set()  # a second close of the same reports finds none
    told = []
    forced = pruned or (None,) * len(points)
    finished = complete or (False,) * len(points)
    for i, (params, claim) in enumerate(zip(points, claims or (None,) * len(points))):
        superseded = False
        if claim is None:
            released = _matched_point(runs, params, None if X is None else X[i])
        else:
            released = _claimed_point(runs, claim)
            superseded = released is not None and _superseded(runs, released)
        closes: Hashable | None = None
        if released is None and claim is not None:
            pass  # the run it was of is over: nothing of its params' reports is its
        elif superseded:  # its params' reports are the new run's; a replicate's its own
            if released is not None and released.replicate:
                closes = run_key(state.space, released)
        else:
            closes = (point_key(state.space, params) if released is None
                      else run_key(state.space, released))
        step = None
        if closes is not None and not superseded and closes not in closed:
            step = state.pruning.stopped.get(closes)
        told_step = forced[i]
        if told_step is not None and (step is None or told_step > step):
            step = told_step
        if finished[i]:
            step = None
        if closes is not None:
            closed.add(closes)
        if released is not None:
            runs.released.append(released)
        told.append(_ToldRun(released, closes, step))
    return told


def _told_status(value: float | None, step: float | None) -> Status:
    """A told point's status: "failed" without a value, "pruned" where report stopped its
    run (`_ToldRun.step`), else "ok"."""
    return "failed" if value is None else "ok" if step is None else "pruned"


def _finish_trial(state: OptimizerState, released: PendingPoint | None,
                  value: float | None) -> int | None:
    """Finish the Hyperband trial of the told point's pending (or timed-out) point
    `released` (a failure ranks last); the history index of the run it continues, or None
    (also when it was never asked)."""
    trial = None if released is None else state.pending_trial(released)
    if trial is None:
        return None
    assert state.hyperband is not None
    loss = math.inf if value is None else (-value if state.maximize else value)
    continues = state.source(released)
    state.hyperband.finish(trial, loss, len(state.history))
    return continues


def nearest_match(space: Space, params: Mapping[str, Any], points: list[PendingPoint],
                  x: np.ndarray | None = None) -> int | None:
    """Index of the nearest point of `points` that the valid point `params` (`Space.validate`)
    matches (module docstring); `x`: `params` encoded, if the caller has it (encoded here
    when needed otherwise)."""
    best, best_distance = None, math.inf
    for index, point in enumerate(points):
        if not _matches(space, params, point.params):
            continue
        if x is None:
            x = space.encode_valid([params])[0]
        distance = float(np.sum((point.x - x) ** 2))
        if distance < best_distance:
            best, best_distance = index, distance
    return best


def _matches(space: Space, told: Mapping[str, Any], asked: Mapping[str, Any]) -> bool:
    if told.keys() != asked.keys():  # a conditional space: different active dimensions
        return False
    for dim in space.dimensions:
        if dim.name not in told:
            continue  # inactive in both
        a, b = told[dim.name], asked[dim.name]  # type: ignore[index]
        if isinstance(dim, Categorical):
            if dim.validate(a) is not dim.validate(b):  # the choices themselves: nan is nan
                return False
        elif isinstance(dim, Integer):
            if a != b:
                return False
        elif abs(a - b) > MATCH_RTOL * abs(b):
            return False
    return True


# a real value's match bucket: floor(log |value| / _BUCKET_WIDTH); a value matches only values
# whose log magnitudes lie in an interval log(1 + MATCH_RTOL) - log(1 - MATCH_RTOL) wide
_BUCKET_WIDTH = 0.01
_BUCKETED_REALS = 3  # the first few other values bucketed: at most 4³ keys a lookup
_LOG_SLACK = 1e-9  # ≫ the rounding of a log (|log| < 745 for every positive float)


class _ExpiredIndex:
    """The timed-out runs (`OptimizerState._expired`) by what a match (`_matches`) needs:

        buckets     : (active names, each categorical's choice by identity, each integer,
                       the magnitude buckets of the first `_BUCKETED_REALS` other values)
                       -> claims
        unbucketed  : claims of runs with a non-finite such value (`Real.validate` refuses
                      them; they match anything, so every lookup takes them)
        replicates  : `point_key` -> claims of the timed-out replicates of those params
        order       : claim -> place in the order they timed out

    Told params `a` match a stored real `b` only when |a - b| <= MATCH_RTOL |b|: same sign
    and log |b| in [log |a| - log(1 + MATCH_RTOL), log |a| - log(1 - MATCH_RTOL)] (or both
    0); the lookup takes the buckets of that interval, widened by `_LOG_SLACK` (the
    rounding of the logs), for each bucketed value: 2 or 3 each. Derived from `_expired`,
    not pickled."""

    def __init__(self, space: Space, points: Iterable[PendingPoint]) -> None:
        self.space = space
        self.buckets: dict[Hashable, dict[int, None]] = {}
        self.unbucketed: dict[int, None] = {}
        self.replicates: dict[Hashable, dict[int, None]] = {}
        self.order: dict[int, int] = {}
        self._count = 0
        for point in points:
            self.add(point)

    def add(self, point: PendingPoint) -> None:
        claim = _claim_of(point)
        self.order[claim] = self._count
        self._count += 1
        key = self._key(point.params)
        if key is None:
            self.unbucketed[claim] = None
        else:
            self.buckets.setdefault(key, {})[claim] = None
        if point.replicate:
            self.replicates.setdefault(point_key(self.space, point.params), {})[claim] = None

    def remove(self, point: PendingPoint) -> None:
        claim = _claim_of(point)
        del self.order[claim]
        key = self._key(point.params)
        if key is None:
            del self.unbucketed[claim]
        else:
            _discard(self.buckets, key, claim)
        if point.replicate:
            _discard(self.replicates, point_key(self.space, point.params), claim)

    def _key(self, params: Mapping[str, Any]) -> Hashable | None:
        """A stored run's bucket key, None with a non-finite bucketed value."""
        head, values = _match_head(self.space, params)
        buckets = []
        for value in values:
            v = float(value)
            if not math.isfinite(v):
                return None
            buckets.append(0 if v == 0.0 else (v > 0, math.floor(math.log(abs(v))
                                                                 / _BUCKET_WIDTH)))
        return head, tuple(buckets)

    def matching(self, params: Mapping[str, Any]) -> list[int] | None:
        """The claims of the timed-out runs `params` may match, in the order they timed
        out (a superset of its matches); None: any of them (a non-finite value)."""
        head, values = _match_head(self.space, params)
        keys: list[tuple[Hashable, ...]] = [()]
        for value in values:
            a = float(value)
            if not math.isfinite(a):
                return None
            if a == 0.0:
                options: list[Hashable] = [0]
            else:
                log = math.log(abs(a))
                low = math.floor((log - math.log1p(MATCH_RTOL) - _LOG_SLACK) / _BUCKET_WIDTH)
                high = math.floor((log - math.log1p(-MATCH_RTOL) + _LOG_SLACK) / _BUCKET_WIDTH)
                options = [(a > 0, q) for q in range(low, high + 1)]
            keys = [key + (option,) for key in keys for option in options]
        claims = [c for key in keys for c in self.buckets.get((head, key), ())]
        claims += self.unbucketed
        return sorted(claims, key=self.order.__getitem__)


def _match_head(space: Space, params: Mapping[str, Any]) -> tuple[Hashable, list[Any]]:
    """(what two matching points have equal: their active names, each categorical's choice
    by identity, each integer; the values of their first `_BUCKETED_REALS` other active
    dimensions)."""
    head: list[Hashable] = [frozenset(params)]
    values: list[Any] = []
    for dim in space.dimensions:
        if dim.name not in params:
            continue
        v = params[dim.name]  # type: ignore[index]
        if isinstance(dim, Categorical):
            head.append(id(dim.validate(v)))  # `_matches`: the same choice object
        elif isinstance(dim, Integer):
            head.append(v)
        elif len(values) < _BUCKETED_REALS:
            values.append(v)
    return tuple(head), values


def _discard(buckets: dict[Hashable, dict[int, None]], key: Hashable, claim: int) -> None:
    bucket = buckets[key]
    del bucket[claim]
    if not bucket:
        del buckets[key]

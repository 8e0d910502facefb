"""An Optuna sampler whose relative search space is sampled by a bayesopt `Optimizer`.

    study = optuna.create_study(sampler=BayesoptSampler(seed=0))
    study.optimize(objective, n_trials=50)

Relative search space (`bayesopt.integrations._optuna_structure`), read from the
COMPLETE trials:

    shared       the parameters every completed trial has, each with one distribution
                 (Optuna's `IntersectionSearchSpace`), less those with a single value
    conditional  a parameter p that some trials lack, with one distribution wherever it
                 appears, is modelled as `when={c: S}` if, in every completed trial,
                 p is present ⇔ the categorical c of the space is present and in S;
                 c may itself be conditional (nested), and the shared parents are tried
                 before the conditional ones, each in name order

so a define-by-run branch (`if trial.suggest_categorical("model", ...) == "svm":
trial.suggest_float("C", ...)`) is one conditional space for the GP, which handles the
inactive dimensions itself (README, Conditional spaces). A conditional parameter
whose parent a wrapper (`PartialFixedSampler`) took out of the space leaves with it.
The other parameters — a distribution that changed between trials, a presence no single
categorical explains (it follows a float, or two parents at once) — are sampled by a
`RandomSampler`, with one `IndependentSamplingWarning` per parameter name. Until the
trials show a branch, its parameters are of this kind.

The optimizer is kept in step with the study, trial by trial (each trial is
read once, at the first `sample_relative` after it changes state):

    COMPLETE   tell(params, value, cost=its wall time), the cost modelled by
               acquisition="logei_per_cost"; a non-finite value (Optuna allows
               ±inf) is told as a failure, since the GP needs finite targets. A trial
               whose objective returned after `should_prune()` said True is COMPLETE
               too, and "ok" here (its intermediate values are not told)
    FAIL       tell_failure(params, cost=its wall time): counted in the
               optimizer's total cost, not in its cost GP (`bayesopt.outcomes`)
    PRUNED     a pruned run, as this library's own are (README, Multi-fidelity and early
               stopping): add_pending(params) unless the optimizer holds it pending
               already (its own ask, or a RUNNING trial at an earlier sync), then
               report(params, steps, values) of its intermediate values, then
               tell(params, its last intermediate value, pruned=True, cost=its wall
               time), so it is recorded "pruned" at its last step k and the GP models
               that value, as it models a plain space's pruned runs: a pruned region
               reads as no better than its curve was where the pruner stopped it (a
               failure, before, said nothing of how bad). Without a curve to tell —
               pruned before any report (no step, no value: the pruner's verdict
               alone), or with a non-finite intermediate value (the GP needs finite
               targets) — tell_failure(params, "pruned ...", cost=its wall time): not
               proposed again, the acquisition damped around it. The optimizer's own
               successive-halving rule (`Optimizer.report`'s) judges these reports
               too, but Optuna's pruner decides: the tell records step k wherever
               that rule would have stopped the run
    RUNNING    add_pending(params) once all its active relative parameters are known:
               another worker's point is fantasized, never proposed again, until the
               trial ends (a worker killed outright leaves it RUNNING, hence pending,
               unless the storage's heartbeat, `RDBStorage(heartbeat_interval=...)`,
               marks it FAIL); known are the parameters the trial has set, and before
               that the point its sampler drew for it, which `sample_relative` stores
               in the trial's system attributes as soon as it is asked (key
               "bayesopt:relative_params:<i>", JSON in chunks of 2,045 characters, the
               limit of RDBStorage; Optuna's GPSampler and TPESampler(constant_liar=True)
               share their relative samples the same way), so two processes on one
               storage do not draw the same point while the first one's objective has
               not yet suggested it. A trial whose sampler is still fitting is unknown
               to the others, so two workers sampling at once can draw the same point:
               before storing its point a sampler reads the RUNNING trials again, and
               if another holds that point it cancels its ask and asks again with that
               one pending (up to 3 times), which leaves two workers a window of one
               storage read and write, not of a fit. The point stored for a trial
               `enqueue_trial` fixed parameters of holds the fixed values (when their
               distributions hold them; else none is stored, and the trial is pending
               once it has set them, as it is told, or never: Optuna refuses a choice its
               distribution lacks)
    WAITING    nothing yet (an enqueued trial whose fixed parameters cover the
               whole relative space is not asked for at all)

Outcome constraints (c ≤ 0 feasible) come from the trials, under Optuna's key: with
``constraints_func=f`` the sampler's `after_trial` evaluates f for COMPLETE and PRUNED
trials and stores the values in ``trial.system_attrs["constraints"]``, exactly as
Optuna's own samplers do (`optuna.samplers._base._process_constraints_after_trial`: a NaN
stores None and raises ValueError, a value that is not a list or tuple warns), so
`Study.best_trial` and `optuna.visualization` see them. With or without f, the optimizer
models the constraints the study's trials carry (`FrozenTrial.constraints`: that key, or
`Trial.set_constraint`'s), so a sampler attached to a constrained study, or a second
process on the same storage, models them too:

    constrained  a study is, from its first COMPLETE trial (by number) that carries
                 constraint values; their names fix n_constraints (sorted, as
                 GPSampler sorts them), and the acquisition becomes constrained LogEI
    COMPLETE     tell(params, value, constraints=its values in that order)
    without      a COMPLETE trial with no values (added before the constraints, or whose
                 f returned NaN) or with other names is left out of the optimizer, with
                 one `MissingConstraintsWarning` per trial; f returning other names than
                 the first trial's raises ValueError naming both, before storing them
    infinite     a COMPLETE trial with a ±inf constraint value (Optuna refuses only NaN)
                 is told as a failure, as one with a ±inf objective value is
    PRUNED       told as a pruned run (above) with constraints=its values, which
                 `constraints_func` stores for PRUNED trials too; one without them (or
                 with other names, or a non-finite one) as a failure, named
    FAIL         told as failures (a failure has no value for the constraint GPs)

A trial holding a value its distribution does not (outside [low, high] or off the step
grid: Optuna lets an enqueued trial have one, with a warning) is left out of the
optimizer, whose space cannot encode it, with one `TrialOutsideSpaceWarning` per trial.
A stepped float's value goes to Optuna as the nearest float that Optuna's own test of
a relative value (`FloatDistribution._contains`) accepts and the grid reads as it; far
from 0 some grid values have none (at low = 1e8, step = 0.3, 40 of 101): Optuna then
asks `sample_independent`, which returns the optimizer's value unchanged (no random
one), with one `StepResolutionWarning` per parameter.
A RUNNING trial's stored point (above) that cannot be read, or holds a value that its
own distribution does not (in Optuna's internal representation: a choice index past the
end, a fractional int, a text; this sampler stores none, so another program wrote or
damaged it) is a ValueError naming the trial, the parameter and the value, as Optuna
refuses a trial holding a value its distribution does not contain (`FrozenTrial._validate`).
A trial that lacks an active parameter of the space or holds an inactive one (a failed
trial stopped early; a completed one that broke the pattern since the space was inferred)
is left out too, as one lacking a shared parameter always was.

A trial whose stored parameters differ from what was asked for it (the user
enqueued part of its parameters, or it ended before suggesting them all)
leaves an ask that can never be told; the optimizer is then rebuilt from the
study, which is also what happens when the relative space changes. Up to four
spaces keep their optimizers, so a study alternating between spaces (as
`PartialFixedSampler` does) is not replayed from scratch each time.

Unsupported: multi-objective studies and the Optimizer arguments `n_constraints` (the
trials' constraints set it) and `feasible` (a ValueError says so).

A sampler given another study (Optuna's samplers may be reused, e.g. one per loop of fresh
studies) serves it from its trials alone: the study it serves is its storage object and its
study id (not its name, which a new in-memory study or one created again may share), and on
a change the optimizers, the inferred space and the warnings given are dropped, as if the
sampler were new; its random generators go on.

Optuna's non-public names used, each where Optuna has no public API for it (checked
against Optuna 5.1; its own samplers use the same ones), and nowhere else:

    Study._storage, Study._study_id      `_storage_of`: what tells one stored study from
                                         another (a Study exposes neither; its name is not
                                         unique), and the storage a trial's sampled point
                                         is written to
    FrozenTrial._trial_id                `_publish`: `sample_relative` gets a FrozenTrial,
                                         and Optuna 5's Trial has no `set_system_attr`;
                                         `_hand_over`: what tells a trial from another
                                         across studies (its number does not)
    FloatDistribution._contains          `_optuna_space`: the test Optuna puts a relative
                                         value to (`Trial._is_relative_param`), exactly
    samplers._base._process_constraints_after_trial
                                         `after_trial`: stores constraints_func's values
                                         exactly as Optuna's samplers do
    system_attrs["fixed_params"]         `sample_relative`: the values `enqueue_trial` fixed

The trials themselves are read with the public `Study.get_trials(deepcopy=False)`.
"""

from __future__ import annotations

import bisect
import json
import threading
import warnings
import weakref
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict

try:
    from optuna.distributions import (
        BaseDistribution,
        distribution_to_json,
        json_to_distribution,
    )
    from optuna.samplers import BaseSampler, RandomSampler
    from optuna.samplers._base import _process_constraints_after_trial
    from optuna.storages import BaseStorage
    from optuna.study import Study, StudyDirection
    from optuna.trial import FrozenTrial, TrialState
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError(
        "bayesopt.integrations.optuna needs Optuna: pip install 'bayesopt[optuna]'"
    ) from error

import numpy as np

from bayesopt.integrations._optuna_space import SpaceMap, holds_internal, uncontained
from bayesopt.integrations._optuna_structure import Structure, infer_structure
from bayesopt.optimizer import Optimizer, UnmatchedTellWarning
from bayesopt.space import Real
from bayesopt.storage import codec
from bayesopt.validation import check_count, keyword_only, shown, unknown_keywords

if TYPE_CHECKING:
    from typing_extensions import Unpack  # typing's from Python 3.11

    from bayesopt.choices import AcquisitionName, KernelName
    from bayesopt.options import OptimizerOptions

    class _SamplerKeywords(TypedDict, total=False):
        """`BayesoptSampler`'s ``**optimizer_kwargs`` as a type checker sees them: the
        `Optimizer` keywords it passes on (not those it sets or refuses, `_RESERVED` and
        `_UNSUPPORTED`; tests/test_typing.py keeps the lists in step), so a misspelt or
        mistyped one is reported before the sampler raises."""

        acquisition: AcquisitionName
        kernel: KernelName | None
        n_initial: int | None
        ucb_beta: float | None
        options: OptimizerOptions | None
        cost_budget: float | None
        threads: int | None

__all__ = ["BayesoptSampler", "IndependentSamplingWarning", "MissingConstraintsWarning",
           "StepResolutionWarning", "TrialOutsideSpaceWarning"]

_MAX_SPACES = 4  # relative search spaces whose optimizers are kept
_SAMPLED_KEY = "bayesopt:relative_params"  # a RUNNING trial's sampled point, in its system_attrs
_ATTR_LENGTH = 2045  # the longest system attribute value RDBStorage stores
_CLASH_RETRIES = 3  # asks again for a trial whose point another worker stored meanwhile
_RESERVED = {  # Optimizer arguments the sampler sets itself
    "space": "the study's relative search space sets it",
    "maximize": "the study's direction sets it",
    "journal": "the Optuna storage records the study, and the optimizer is rebuilt from it",
    "storage": "the Optuna storage records the study (create_study(storage=...)), and the "
               "optimizer is rebuilt from it",
    "study": "the Optuna storage records the study (create_study(study_name=...)), and the "
             "optimizer is rebuilt from it",
    "pruner": "Optuna's pruner prunes the trials (create_study(pruner=...)); the "
              "sampler's optimizer is told a PRUNED trial's intermediate values once it "
              "ended, and records it pruned at its last step",
    "pending_timeout": "the sampler sends no heartbeats, so it would expire trials still "
                       "running; Optuna's storage expires a dead worker's trials: "
                       "RDBStorage(url, heartbeat_interval=..., grace_period=...) marks them "
                       "FAIL, and the sampler tells them as failures",
}
_UNSUPPORTED = {  # Optimizer arguments a study cannot feed
    "n_constraints": "the trials' constraint values set it: pass constraints_func= (or "
                     "call Trial.set_constraint in the objective)",
    "feasible": "the relative search space changes during the study and parameters outside "
                "it are sampled at random, so input constraints could not hold for every trial",
}


_GP_SAMPLER = {  # optuna.samplers.GPSampler's arguments that have no counterpart here
    "deterministic_objective": "the GP fits its observation noise from the trials (small for "
                               "a deterministic objective); to fix it instead, pass "
                               "options=OptimizerOptions(model=ModelOptions(noise_variance=v, "
                               "output_transform='none')), v in the objective's units squared",
    "independent_sampler": "the parameters outside the relative search space are sampled by "
                           "Optuna's RandomSampler, seeded by seed=",
    "warn_independent_sampling": "silence the warning with warnings.filterwarnings('ignore', "
                                 "category=bayesopt.integrations.optuna."
                                 "IndependentSamplingWarning)",
}


class IndependentSamplingWarning(UserWarning):
    """A parameter outside the relative search space is sampled at random."""


class TrialOutsideSpaceWarning(UserWarning):
    """A trial holds a value its distribution does not (an enqueued one): it is not told."""


class MissingConstraintsWarning(UserWarning):
    """A COMPLETE trial of a constrained study lacks its constraint values: it is not told."""


class StepResolutionWarning(UserWarning):
    """A stepped float's grid value has no float that Optuna's `FloatDistribution._contains`
    accepts: the value is handed to Optuna through `sample_independent`, unchanged."""


@dataclass
class _Batch:
    """The tells, failures and pending points of one sync, applied in one call each."""

    points: list[dict[str, Any]] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    constraints: list[list[float]] = field(default_factory=list)
    costs: list[float | None] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str | None] = field(default_factory=list)
    failed_costs: list[float | None] = field(default_factory=list)
    running: list[dict[str, Any]] = field(default_factory=list)
    pruned: list[_Pruned] = field(default_factory=list)

    def add_finished(self, trial: FrozenTrial, point: dict[str, Any],
                     constraints: list[float] | None) -> None:
        """`constraints`: the trial's values in the follower's order (None: unconstrained)."""
        value = _finite_value(trial)
        if value is not None:
            self.points.append(point)
            self.values.append(value)
            if constraints is not None:
                self.constraints.append(constraints)
            self.costs.append(_seconds(trial))
        else:
            self.add_failure(trial, point, _failure_message(trial))

    def add_failure(self, trial: FrozenTrial, point: dict[str, Any], error: str) -> None:
        self.failed.append(point)
        self.errors.append(error)
        self.failed_costs.append(_seconds(trial))

    def apply(self, optimizer: Optimizer) -> None:
        # the study's trials include ones this optimizer never asked (enqueued, sampled by
        # another sampler): telling them while its own asks are pending is expected
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UnmatchedTellWarning)
            for trial in self.pruned:  # first: a tell by params of a trial never pending
                trial.apply(optimizer)  # here (a copy of the point) cannot take its run
            if self.failed:
                optimizer.tell_failure(self.failed, self.errors, cost=self.failed_costs)
            if self.points:
                assert not self.constraints or len(self.constraints) == len(self.points)
                optimizer.tell(self.points, self.values, cost=self.costs,
                               constraints=self.constraints or None)
        if self.running:  # each trial its own evaluation, two of one point included
            optimizer.add_pending(self.running, repeat=True)


@dataclass(frozen=True)
class _Pruned:
    """A PRUNED trial told as pruned (module docstring): its point, its intermediate values
    (steps increasing), its constraint values in the follower's order (None: unconstrained),
    its cost, and whether the optimizer holds its point as pending (the sampler asked it,
    or it was RUNNING at a sync) — if not, its run is added first."""

    point: dict[str, Any]
    steps: tuple[int, ...]
    values: tuple[float, ...]
    constraints: list[float] | None
    cost: float | None
    pending: bool

    def apply(self, optimizer: Optimizer) -> None:
        """add_pending (unless pending), report the curve, tell pruned=True: one run's events,
        the report and the tell of the same run (by its id, or else by its params: of the
        optimizer's earliest pending run of them, interchangeable with any other)."""
        run = None if self.pending else optimizer.add_pending(self.point, repeat=True)
        optimizer.report(self.point, self.steps, self.values, run=run)
        optimizer.tell(self.point, self.values[-1], pruned=True, cost=self.cost, run=run,
                       constraints=self.constraints)


def _warn_once(warned: set[int], number: int, category: type[Warning], what: str) -> None:
    """Warn that trial `number` (what it holds) is left out, unless already warned."""
    if number not in warned:
        warned.add(number)
        warnings.warn(f"BayesoptSampler: trial {number} {what}: the optimizer leaves it out",
                      category, stacklevel=3)


def _finite_value(trial: FrozenTrial) -> float | None:
    """A COMPLETE trial's value, if finite; None for any other (told as a failure)."""
    value = trial.value if trial.state == TrialState.COMPLETE else None
    return float(value) if value is not None and np.isfinite(value) else None


def _finite(values: list[Any]) -> list[float] | None:
    """The values as floats, or None if one is not a finite real number."""
    try:
        floats = [float(v) for v in values]
    except (TypeError, ValueError):
        return None
    return floats if all(np.isfinite(floats)) else None


def _seconds(trial: FrozenTrial) -> float | None:
    """The trial's wall time, told as its cost (None when Optuna has no positive one)."""
    duration = trial.duration
    seconds = None if duration is None else duration.total_seconds()
    return seconds if seconds is not None and seconds > 0 else None


def _curve(trial: FrozenTrial) -> tuple[tuple[int, ...], tuple[float, ...]] | None:
    """A PRUNED trial's intermediate values (steps increasing), if it has any and all are
    finite; None for any other trial (told as a failure: module docstring)."""
    if trial.state != TrialState.PRUNED or not trial.intermediate_values:
        return None
    steps, values = zip(*sorted(trial.intermediate_values.items()))
    floats = _finite(list(values))
    return None if floats is None else (tuple(steps), tuple(floats))


def _failure_message(trial: FrozenTrial) -> str:
    if trial.state == TrialState.PRUNED:  # without a curve to tell (`_curve`)
        if not trial.intermediate_values:
            return f"trial {trial.number} pruned before any report"
        return (f"trial {trial.number} pruned at step {trial.last_step}, with a "
                "non-finite intermediate value")
    if trial.state == TrialState.COMPLETE:
        return f"trial {trial.number} returned the non-finite value {trial.value}"
    return f"trial {trial.number} failed"


class _Follower:
    """One `Optimizer` kept in step with a study's trials, for one relative search space.

    Trials numbered below `cursor` are all settled (told, or unusable);
    `settled` holds the settled ones at or above it; `pending` maps a trial
    number to the point the optimizer holds as pending for it.
    """

    def __init__(self, space_map: SpaceMap, optimizer: Optimizer, refused: set[int],
                 constraint_keys: tuple[str, ...] | None, unconstrained: set[int]) -> None:
        self.map = space_map
        self.optimizer = optimizer
        self.refused = refused  # trials warned about as outside the space (the sampler's)
        self.constraint_keys = constraint_keys  # the study's constraint names, in told order
        self.unconstrained = unconstrained  # trials warned about by MissingConstraintsWarning
        self.cursor = 0
        self.settled: set[int] = set()
        self.pending: dict[int, dict[str, Any]] = {}
        self.stale = False  # an ask can no longer be told: rebuild from the study

    def sync(self, trials: Sequence[FrozenTrial]) -> None:
        """Tell the optimizer every trial that changed state since the last sync."""
        batch = _Batch()
        start = bisect.bisect_left(trials, self.cursor, key=lambda t: t.number)
        for trial in trials[start:]:
            if trial.number in self.settled:
                continue
            if trial.state.is_finished():
                self._settle(trial, batch)
            elif trial.state == TrialState.RUNNING and trial.number not in self.pending:
                point = self._point(trial, *_known_params(trial))
                if point is not None:
                    self.pending[trial.number] = point
                    batch.running.append(point)
        batch.apply(self.optimizer)
        while self.cursor in self.settled:
            self.settled.remove(self.cursor)
            self.cursor += 1

    def _point(self, trial: FrozenTrial, params: Mapping[str, Any] | None = None,
               distributions: Mapping[str, BaseDistribution] | None = None,
               ) -> dict[str, Any] | None:
        """The trial's point in the space (of `params`, by default its own); None if it lacks
        a parameter of it or holds a value the space does not (told, it would raise in every
        later trial)."""
        if params is None or distributions is None:
            params, distributions = trial.params, trial.distributions
        point = self.map.to_optimizer(params, distributions)
        outside = None if point is None else self.map.outside(params)
        if not outside:
            return point
        _warn_once(self.refused, trial.number, TrialOutsideSpaceWarning,
                   f"has {outside}, outside the range or step of "
                   f"{[self.map.distributions[name] for name in outside]} (Optuna lets an "
                   "enqueued trial have such values)")
        return None

    def _settle(self, trial: FrozenTrial, batch: _Batch) -> None:
        point = self._point(trial)
        asked = self.pending.pop(trial.number, None)
        self.settled.add(trial.number)
        if asked is not None and point != asked:
            self.stale = True
        if point is None:
            return
        curve = _curve(trial)
        if curve is not None:
            self._add_pruned(trial, point, curve, asked == point, batch)
        elif self.constraint_keys is None or _finite_value(trial) is None:
            batch.add_finished(trial, point, None)
        else:
            self._add_constrained(trial, point, self.constraint_keys, batch)

    def _add_pruned(self, trial: FrozenTrial, point: dict[str, Any],
                    curve: tuple[tuple[int, ...], tuple[float, ...]], pending: bool,
                    batch: _Batch) -> None:
        """A PRUNED trial with finite intermediate values (module docstring): told pruned at
        its last step; in a constrained study only with its constraint values (finite,
        the study's names), else as a failure."""
        values = None
        if self.constraint_keys is not None:
            stored = trial.constraints
            if sorted(stored) == list(self.constraint_keys):
                values = _finite([stored[k] for k in self.constraint_keys])
            if values is None:
                batch.add_failure(trial, point, f"trial {trial.number} pruned at step "
                                  f"{trial.last_step}, without finite values of the study's "
                                  f"constraints {list(self.constraint_keys)}")
                return
        batch.pruned.append(_Pruned(point, *curve, values, _seconds(trial), pending))

    def _add_constrained(self, trial: FrozenTrial, point: dict[str, Any],
                         keys: tuple[str, ...], batch: _Batch) -> None:
        """A COMPLETE trial of finite value in a constrained study (module docstring)."""
        constraints = trial.constraints
        if sorted(constraints) != list(keys):
            hint = ("" if constraints else
                    "; a trial stored before constraints_func was given has none, as f runs "
                    "on new trials only: to model such trials, copy them into a new study "
                    "with their values (README, 'Bringing a history in')")
            _warn_once(self.unconstrained, trial.number, MissingConstraintsWarning,
                       f"is COMPLETE with constraint values {constraints} but the study's "
                       f"constraints are {list(keys)} (those of its first COMPLETE trial "
                       f"that has any){hint}")
            return
        values = _finite([constraints[k] for k in keys])
        if values is not None:
            batch.add_finished(trial, point, values)
        else:  # Optuna stores ±inf (it refuses NaN only): a failure, as a ±inf value is
            batch.add_failure(trial, point, f"trial {trial.number} has the non-finite "
                              f"constraint values {constraints}")

    def clashes(self, number: int, running: Sequence[FrozenTrial]) -> bool:
        """Whether another of the `running` trials, not pending here, holds the point asked
        for trial `number` (its worker sampled it while this one did)."""
        asked = self.pending[number]
        return any(t.number != number and t.number not in self.pending
                   and self._point(t, *_known_params(t)) == asked for t in running)

    def withdraw(self, number: int) -> None:
        """Cancel the point asked for trial `number`."""
        self.optimizer.cancel(self.pending.pop(number))

    def ask(self, number: int) -> dict[str, Any]:
        """The optimizer's next point for trial `number` (the same one if asked again)."""
        point = self.pending.get(number)
        if point is None:
            point = self.optimizer.ask()
            self.pending[number] = point
        return self.map.to_optuna(point)


class BayesoptSampler(BaseSampler):
    """Optuna sampler backed by a bayesopt `Optimizer` (GP with LogEI by default).

    Parameters
    ----------
    seed : int, optional
        0 ≤ seed < 2**32, as Optuna's samplers take. Seeds the optimizers
        (each takes its seed from a generator seeded with this) and the `RandomSampler`
        of independent parameters: the same seed and the same trials give the same
        suggestions. A sampler started on a study that already has trials (a restarted
        process, a second worker on the same storage) tells them all at once, with one
        refit, and so can suggest slightly differently (in the last digits of the hyperparameters'
        fit) from the sampler that made them, which refitted after each trial;
        any two samplers started on the same trials with the same seed agree.
    constraints_func : callable, optional
        ``constraints_func(trial) -> Sequence[float]``, each value ≤ 0 when
        satisfied, evaluated in `after_trial` for COMPLETE and PRUNED trials and
        stored under Optuna's key, as Optuna's samplers do (module docstring:
        Outcome constraints). Its first values fix their number; another number
        raises ValueError. Trials that carry constraint values are modelled
        with or without it.
    **optimizer_kwargs
        Passed to every `Optimizer` (``acquisition``, ``kernel``,
        ``n_initial``, ``ucb_beta``, ``options``); ``maximize`` comes from the
        study's direction; ``journal``, ``storage`` and ``study`` are refused (the
        Optuna storage keeps the study), and so are ``pruner`` (Optuna's pruner sees
        the reports) and ``pending_timeout`` (no heartbeats reach the optimizer; Optuna's
        storage heartbeat fails a dead worker's trials), each with TypeError, and
        ``n_constraints`` and ``feasible`` with ValueError. A
        completed trial's cost is its wall time (``acquisition="logei_per_cost"``).

    See the module docstring for how trials of each state are told.
    """

    def __init__(self, seed: int | None = None, *,
                 constraints_func: Callable[[FrozenTrial], Sequence[float]] | None = None,
                 **optimizer_kwargs: Unpack[_SamplerKeywords]) -> None:
        if constraints_func is not None and not callable(constraints_func):
            raise TypeError("constraints_func must be a callable FrozenTrial -> Sequence[float];"
                            f" got constraints_func={constraints_func!r}")
        _check_optimizer_kwargs(optimizer_kwargs, constrained=constraints_func is not None)
        self._constraints_func = constraints_func
        self._optimizer_kwargs: dict[str, Any] = dict(optimizer_kwargs)
        seed = None if seed is None else check_count("seed", seed)
        if seed is not None and seed >= 2**32:  # numpy's RandomState said "Seed must be ..."
            raise ValueError(f"seed={seed} must be below 2**32: Optuna's RandomSampler, which "
                             "samples the parameters outside the relative search space, takes "
                             "32-bit seeds")
        self._seeds = np.random.default_rng(seed)
        self._independent_sampler = RandomSampler(seed=seed)
        self._followers: OrderedDict[tuple[Any, ...], _Follower] = OrderedDict()
        self._latest: _Follower | None = None
        self._last_structure: tuple[tuple[int, ...], Structure] | None = None
        self._warned: set[str] = set()
        self._refused: set[int] = set()  # trials warned about by TrialOutsideSpaceWarning
        self._unconstrained: set[int] = set()  # trials warned about by MissingConstraintsWarning
        # (trial id, parameter) → (distribution, value): a relative value Optuna refuses
        # (`uncontained`), for `sample_independent` to return; parameters warned about
        self._handed: dict[tuple[int, str], tuple[BaseDistribution, Any]] = {}
        self._unresolved: set[str] = set()
        self._served: tuple[Any, ...] | None = None  # `_study_key` of the study served
        self._lock = threading.Lock()

    @property
    def optimizer(self) -> Optimizer | None:
        """The optimizer of the last relative search space sampled, or None before any."""
        return None if self._latest is None else self._latest.optimizer

    # ------------------------------------------------------ BaseSampler API
    def infer_relative_search_space(self, study: Study,
                                    trial: FrozenTrial) -> dict[str, BaseDistribution]:
        self._check_study(study)
        return dict(self._structure(study.get_trials(deepcopy=False)).distributions)

    def sample_relative(self, study: Study, trial: FrozenTrial,
                        search_space: dict[str, BaseDistribution]) -> dict[str, Any]:
        self._check_study(study)
        fixed = trial.system_attrs.get("fixed_params", {})  # set by Study.enqueue_trial
        if not search_space or all(name in fixed for name in search_space):
            return {}
        with self._lock:
            self._serve(study)  # another thread's study may have been served since
            trials = study.get_trials(deepcopy=False)
            structure = self._structure(trials).restricted(search_space)
            if not structure.distributions or structure.covered_by(fixed):
                return {}  # e.g. an enqueued {"model": "rf", "depth": 4}: C is inactive
            follower = self._follower(study, structure, trials)
            self._latest = follower
            sampled = follower.ask(trial.number)
            for _ in range(_CLASH_RETRIES):
                running = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
                if not follower.clashes(trial.number, running):
                    break
                follower.withdraw(trial.number)
                follower.sync(running)  # the other trial's point is pending now
                sampled = follower.ask(trial.number)
            # the trial's point: what `enqueue_trial` fixed, the drawn values elsewhere
            point = {name: fixed.get(name, value) for name, value in sampled.items()}
            if not follower.map.outside(point):  # else pending once set, as it is told
                _publish(study, trial, point, structure.distributions)
            refused = self._hand_over(trial, sampled, fixed, structure.distributions)
        for name, value in refused.items():
            warnings.warn(
                f"BayesoptSampler: parameter {name!r} value {value!r} of "
                f"{structure.distributions[name]!r}: no float64 number at this grid value "
                "passes Optuna's FloatDistribution._contains ((value - low) / step within "
                "1e-8 of an integer, finer than float64's spacing at this magnitude), so "
                "Optuna samples it with sample_independent, which returns this value "
                "unchanged; Optuna's own trial check (study.add_trial, create_trial) refuses "
                "a trial holding such a value; warned once per parameter",
                StepResolutionWarning, stacklevel=2)
        return sampled

    def _hand_over(self, trial: FrozenTrial, sampled: Mapping[str, Any],
                   fixed: Mapping[str, Any], distributions: Mapping[str, BaseDistribution],
                   ) -> dict[str, Any]:
        """Keep the sampled values Optuna will refuse as relative ones (a stepped float's
        grid value with no float `_contains` accepts: `_optuna_space` docstring) for
        `sample_independent` to return; those of parameters not warned about yet, by name.
        Under `_lock`."""
        refused = {name: value for name, value in sampled.items()
                   if name not in fixed and uncontained(distributions[name], value)}
        for name, value in refused.items():
            self._handed[(trial._trial_id, name)] = (distributions[name], value)
        new = {name: value for name, value in refused.items() if name not in self._unresolved}
        self._unresolved |= set(refused)
        return new

    def sample_independent(self, study: Study, trial: FrozenTrial, param_name: str,
                           param_distribution: BaseDistribution) -> Any:
        self._check_study(study)
        with self._lock:
            handed = self._handed.pop((trial._trial_id, param_name), None)
            if handed is not None and handed[0] == param_distribution:
                return handed[1]  # the optimizer's value, which `_contains` refused
            warn = param_name not in self._warned and _has_completed(study)
            if warn:
                self._warned.add(param_name)
        if warn:
            warnings.warn(
                f"BayesoptSampler: parameter {param_name!r} ({param_distribution!r}) is not in "
                "the relative search space (the parameters every completed trial has, each "
                "with one distribution, and those present exactly when a categorical one takes "
                "some values), so it is sampled by RandomSampler; warned once per parameter",
                IndependentSamplingWarning, stacklevel=2)
        return self._independent_sampler.sample_independent(
            study, trial, param_name, param_distribution)

    def after_trial(self, study: Study, trial: FrozenTrial, state: TrialState,
                    values: Sequence[float] | None) -> None:
        """Evaluate and store `constraints_func` as Optuna's samplers do (module docstring);
        the optimizer is told at the next `sample_relative`, from the study."""
        with self._lock:  # values handed over for its parameters Optuna did not ask for
            for key in [key for key in self._handed if key[0] == trial._trial_id]:
                del self._handed[key]
        if self._constraints_func is not None:
            func = self._constraints_func
            keys = _constraint_keys(study.get_trials(deepcopy=False,
                                                     states=(TrialState.COMPLETE,)))

            def checked(frozen: FrozenTrial) -> Sequence[float]:
                values = func(frozen)
                if isinstance(values, (str, bytes)) or np.ndim(values) != 1:
                    raise TypeError(
                        f"constraints_func returned {shown(values)} for trial {frozen.number}: it "
                        "must return a sequence of numbers, one per constraint (each ≤ 0 when "
                        "satisfied): [c] for one")
                returned = tuple(sorted(str(i) for i in range(len(values))))  # Optuna's names
                if keys is not None and returned != keys[1]:
                    raise ValueError(
                        f"constraints_func returned {len(values)} value(s) for trial "
                        f"{frozen.number} (Optuna names them {list(returned)}), but the "
                        "study's constraints are the "
                        f"{len(keys[1])} of trial {keys[0]} ({list(keys[1])}): it must "
                        "return as many values for every trial")
                return values

            _process_constraints_after_trial(checked, study, trial, state)
        self._independent_sampler.after_trial(study, trial, state, values)

    def reseed_rng(self) -> None:
        """Fresh random seeds; the optimizers are rebuilt from the study with new ones."""
        with self._lock:
            self._seeds = np.random.default_rng()
            self._independent_sampler.reseed_rng()
            self._followers.clear()
            self._latest = None

    # ------------------------------------------------------------ helpers
    def _check_study(self, study: Study) -> None:
        if len(study.directions) > 1:
            raise ValueError(
                "BayesoptSampler supports single-objective studies only; this study has "
                f"directions {[d.name.lower() for d in study.directions]}")
        if not _is_study(self._served, study):
            with self._lock:
                self._serve(study)

    def _serve(self, study: Study) -> None:
        """Serve `study` from its trials alone (module docstring), unless it is the study
        served; under `_lock`."""
        if _is_study(self._served, study):
            return
        self._served = _study_key(study)
        self._followers.clear()
        self._latest = None
        self._last_structure = None
        self._warned = set()
        self._refused = set()
        self._unconstrained = set()
        self._handed = {}
        self._unresolved = set()

    def _structure(self, trials: Sequence[FrozenTrial]) -> Structure:
        """`_infer` of the trials, kept while the set of COMPLETE trials is the same (a
        completed trial never changes): a trial's two calls infer once."""
        key = tuple(t.number for t in trials if t.state == TrialState.COMPLETE)
        cached = self._last_structure
        if cached is not None and cached[0] == key:
            return cached[1]
        structure = self._infer(trials)
        self._last_structure = (key, structure)
        return structure

    @staticmethod
    def _infer(trials: Sequence[FrozenTrial]) -> Structure:
        """The relative search space of these trials and its conditions (module docstring)."""
        return infer_structure(trials)

    def _follower(self, study: Study, structure: Structure,
                  trials: Sequence[FrozenTrial]) -> _Follower:
        """The follower of this space, in step with the study (built or rebuilt as needed)."""
        key = structure.key()
        first = _constraint_keys(trials)
        constraint_keys = None if first is None else first[1]
        follower = self._followers.get(key)
        seed = None
        if follower is not None and follower.constraint_keys != constraint_keys:
            seed = follower.optimizer.seed  # the study became constrained: replay, same seed
            follower = None
        if follower is not None:
            follower.sync(trials)
        if follower is None or follower.stale:
            follower = self._new_follower(study, structure, constraint_keys, seed)
            follower.sync(trials)
            self._followers[key] = follower
        self._followers.move_to_end(key)
        while len(self._followers) > _MAX_SPACES:
            self._followers.popitem(last=False)
        return follower

    def _new_follower(self, study: Study, structure: Structure,
                      constraint_keys: tuple[str, ...] | None, seed: int | None) -> _Follower:
        space_map = SpaceMap.from_distributions(
            structure.distributions,
            {name: (c.parent, c.allowed) for name, c in structure.conditions.items()})
        optimizer = Optimizer(
            space_map.space, seed=int(self._seeds.integers(2**32)) if seed is None else seed,
            maximize=study.direction == StudyDirection.MAXIMIZE,
            n_constraints=None if constraint_keys is None else len(constraint_keys),
            **self._optimizer_kwargs)
        return _Follower(space_map, optimizer, self._refused, constraint_keys,
                         self._unconstrained)

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without the lock, the optimizers and the inferred space, which are rebuilt
        from the study."""
        state = dict(self.__dict__)
        del state["_lock"]
        state["_followers"] = OrderedDict()
        state["_latest"] = None
        state["_last_structure"] = None
        state["_served"] = None  # holds a weak reference; the copy serves the next study given
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state.pop("_intersection", None)  # pickled before conditions were inferred
        state.setdefault("_last_structure", None)
        state.setdefault("_constraints_func", None)  # pickled before constraints_func
        state.setdefault("_unconstrained", set())
        state.pop("_study_name", None)  # pickled before samplers could be reused
        state.setdefault("_served", None)
        self.__dict__.update(state)
        self._lock = threading.Lock()


def _publish(study: Study, trial: FrozenTrial, point: Mapping[str, Any],
             distributions: Mapping[str, BaseDistribution]) -> None:
    """Store `trial`'s point (the values its sampler drew, and those `enqueue_trial` fixed,
    each held by its distribution) in its system attributes for the other workers (module
    docstring, RUNNING); once per trial.

    Optuna has no public way for a sampler to write a trial's attributes (module docstring,
    non-public names): this writes to the study's storage by `FrozenTrial._trial_id`, as
    GPSampler and TPESampler do."""
    if f"{_SAMPLED_KEY}:0" in trial.system_attrs:
        return
    try:
        text = json.dumps({name: [distribution_to_json(distributions[name]),
                                  distributions[name].to_internal_repr(value)]
                           for name, value in point.items()})
    except ValueError:  # an enqueued choice its distribution lacks: Optuna raises at its suggest
        return
    storage, _ = _storage_of(study)
    for i in range(0, len(text), _ATTR_LENGTH):
        storage.set_trial_system_attr(trial._trial_id, f"{_SAMPLED_KEY}:{i // _ATTR_LENGTH}",
                                      text[i:i + _ATTR_LENGTH])


def _known_params(trial: FrozenTrial) -> tuple[dict[str, Any], dict[str, BaseDistribution]]:
    """A RUNNING trial's parameters and their distributions: those it has set, over the
    point its sampler stored (`_publish`), if any."""
    chunks: list[str] = []
    while (chunk := trial.system_attrs.get(f"{_SAMPLED_KEY}:{len(chunks)}")) is not None:
        chunks.append(chunk)
    params: dict[str, Any] = {}
    distributions: dict[str, BaseDistribution] = {}
    try:  # the storage is shared: text another program wrote or damaged is refused, named
        stored = codec.loads("".join(chunks) or "{}")
        for name, (text, internal) in stored.items():
            distributions[name] = json_to_distribution(text)
            if not holds_internal(distributions[name], internal):  # `_publish` stores none
                raise ValueError(f"its parameter {name!r} holds {internal!r}, which is no "
                                 f"value of {distributions[name]!r} (Optuna's internal "
                                 "representation)")
            params[name] = distributions[name].to_external_repr(internal)
    except (AttributeError, TypeError, ValueError) as error:
        raise ValueError(f"trial {trial.number}: the point this sampler stored in its system "
                         f"attributes {_SAMPLED_KEY!r}:0... cannot be read ({error}); another "
                         "program wrote or damaged it") from None
    return {**params, **trial.params}, {**distributions, **trial.distributions}


def _constraint_keys(trials: Sequence[FrozenTrial]) -> tuple[int, tuple[str, ...]] | None:
    """The number and sorted constraint names of the first COMPLETE trial that has any."""
    for trial in trials:
        if trial.state == TrialState.COMPLETE:
            constraints = trial.constraints
            if constraints:
                return trial.number, tuple(sorted(constraints))
    return None


def _storage_of(study: Study) -> tuple[BaseStorage, int]:
    """The study's storage and its id there: Optuna has no public accessor for either
    (module docstring, non-public names)."""
    return study._storage, study._study_id


def _study_key(study: Study) -> tuple[Any, ...]:
    """What tells a study from another: its storage object (weakly held where it can be)
    and its id in it, and its name."""
    storage, study_id = _storage_of(study)
    try:
        ref: Callable[[], Any] = weakref.ref(storage)
    except TypeError:  # pragma: no cover - Optuna's storages take weak references

        def ref() -> Any:
            return storage

    return ref, study_id, study.study_name


def _is_study(key: tuple[Any, ...] | None, study: Study) -> bool:
    if key is None:
        return False
    storage, study_id = _storage_of(study)
    return key[0]() is storage and key[1] == study_id and key[2] == study.study_name


def _has_completed(study: Study) -> bool:
    return bool(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))


def _check_optimizer_kwargs(kwargs: Mapping[str, Any], *, constrained: bool) -> None:
    """Refuse the arguments the sampler sets; let `Optimizer` validate the others."""
    accepted = set(keyword_only(Optimizer.__init__))
    unknown_keywords([key for key in kwargs if key not in _UNSUPPORTED and key not in _RESERVED],
                     accepted - set(_UNSUPPORTED) - set(_RESERVED) | {"constraints_func"},
                     "BayesoptSampler", _GP_SAMPLER)
    for key in kwargs:
        if key in _UNSUPPORTED:
            raise ValueError(f"BayesoptSampler does not support {key}={shown(kwargs[key])}: "
                             f"{_UNSUPPORTED[key]}")
        if key in _RESERVED:
            raise TypeError(f"BayesoptSampler got {key}={shown(kwargs[key])}: {_RESERVED[key]}")
    Optimizer({"x": Real(0.0, 1.0)}, seed=0, n_constraints=1 if constrained else None,
              **kwargs)


"""`minimize`: the ask/evaluate/tell loop for a plain Python callable.

The module is named `loop`, not `minimize`: a submodule named like a public name
would replace `bayesopt.minimize` (the function) once imported.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import math
import os
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeAlias, TypedDict, TypeVar, cast

import numpy as np

from acquisition.checks import check_fields, integer, optional, real, rule
from bayesopt.failures import DEFAULT_MAX_CONSECUTIVE_FAILURES, FailureGuard, caller_level
from bayesopt.fidelity import base_budgets
from bayesopt.heartbeats import Heartbeats
from bayesopt.journal import JournalError, check_journal_path, holds_a_run
from bayesopt.optimizer import (
    Optimizer,
    SpaceExhaustedWarning,
    claim_journal,
    continue_journal,
    pending_runs,
    space_exhausted,
)
from bayesopt.options import OptimizerOptions
from bayesopt.parallel import (
    AsyncLoop,
    AttachedObjective,
    Budget,
    Dispatch,
    Objective,
    Outcome,
    Report,
    check_own_pool,
    check_picklable,
    evaluate_in_worker,
    next_point,
    resolve_executor,
    start_warm,
)
from bayesopt.propose import admitted_count
from bayesopt.result import Observation, OptimizeResult, recorded_n_constraints, stopped_by
from bayesopt.runs import RunObjective, RunObjectiveFunction, check_in_process
from bayesopt.space import Dimension, Space
from bayesopt.storage import Storage
from bayesopt.tables import frame_points, is_frame
from bayesopt.validation import (
    ARRAY_HINT,
    Number,
    as_array,
    check_bool,
    check_constraint_row,
    check_count,
    check_value,
    history_hint,
    is_real,
    keyword_only,
    shown,
    unknown_keywords,
)
from kernels.threads import check_threads, single_threaded

if TYPE_CHECKING:
    from tqdm import tqdm
    from typing_extensions import Unpack  # typing's from Python 3.11

    from bayesopt.choices import AcquisitionName, KernelName
    from bayesopt.feasibility import FeasibleArgument
    from bayesopt.fidelity import SuccessiveHalving

    class _OptimizerKeywords(TypedDict, total=False):
        """`minimize`'s ``**optimizer_options`` as a type checker sees them: `Optimizer`'s
        keyword arguments that `minimize` does not take itself, so that a misspelt or
        mistyped one is reported before the run raises (tests/test_typing.py keeps the
        two lists equal)."""

        acquisition: AcquisitionName
        kernel: KernelName | None
        n_initial: int | None
        maximize: bool
        ucb_beta: float | None
        options: OptimizerOptions | None
        pending_timeout: float | None
        n_constraints: int | None
        feasible: FeasibleArgument | None
        cost_budget: float | None
        pruner: SuccessiveHalving | None
        threads: int | None

Points = Mapping[str, Any] | Sequence[Mapping[str, Any]]  # x0: one point or a list of points
Values: TypeAlias = "Number | Sequence[Number] | np.ndarray"  # y0: one value or one per point


class ResumeSettingsWarning(UserWarning):
    """`minimize` resumed a journal and ignored settings that differ from the journal's."""


class TopBudgetWarning(UserWarning):
    """`minimize` with a `Fidelity` ended before any successful run at its top budget,
    where the best is judged: the result has no best point yet."""


Callback = Callable[[Observation, Optimizer], Any]
_P = ParamSpec("_P")
_R = TypeVar("_R")


def _hint_hyperopt_fn(function: Callable[_P, _R]) -> Callable[_P, _R]:
    """`function` with hyperopt's ``fmin(fn=..., space=...)`` refused by the same hint as
    hyperopt's other keywords (`unknown_keywords`), not by Python's missing-argument error,
    which comes before the body runs. `inspect.signature` sees `function`'s own
    (functools.wraps sets ``__wrapped__``)."""
    @functools.wraps(function)
    def hinted(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        if not args and "fn" in kwargs and "func" not in kwargs:
            unknown_keywords(["fn"], _ACCEPTED, "minimize", _PEER_REASONS)
        return function(*args, **kwargs)
    return hinted


@_hint_hyperopt_fn
def minimize(
    func: Objective | RunObjectiveFunction,
    space: Mapping[str, Dimension] | Sequence[Dimension] | Space,
    n_calls: int = 50, *, x0: Points | None = None, y0: Values | None = None,
    seed: int | None = None, progress: bool = True, callback: Callback | None = None,
    journal: str | os.PathLike[str] | None = None, n_workers: int = 1,
    executor: Executor | Any | None = None, timeout: float | None = None,
    max_consecutive_failures: int | None = DEFAULT_MAX_CONSECUTIVE_FAILURES,
    max_cost: float | None = None,
    storage: str | os.PathLike[str] | Storage | None = None, study: str | None = None,
    pass_run: bool = False, **optimizer_options: Unpack[_OptimizerKeywords],
) -> OptimizeResult:
    """Minimize `func(params)` over `space` with Bayesian optimization.

    Parameters
    ----------
    func : callable
        Called with one dict of parameters (with ``pass_run=True``, with the dict and a
        `bayesopt.Run`: see `pass_run`); returns a number, or a pair
        ``(value, [c1, ..., ck])`` with the values of k outcome constraints
        (each satisfied when ≤ 0; see `Optimizer.tell`). What a failure
        is and which failures stop the run: see `max_consecutive_failures`.
        Any other return (not a number, another shape, constraint values the
        run does not have) stops the run with TypeError or ValueError naming
        it and saying what to return; nothing is told, so a journal keeps the
        point pending for a corrected resume. hyperopt's result dict
        ``{"loss": x, "status": ...}`` is not read: the error says to return
        ``x`` itself.
    space : dict or list
        The search space, as for `Optimizer`.
    n_calls : int
        Number of evaluations of `func` (failed ones included). With a
        journal that already holds a run, the total number of evaluations.
        With a `Fidelity` every run counts once, whatever its budget, and the
        best is judged at the top budget only: a run too short to reach it
        returns no best point, with a `TopBudgetWarning`. A finite space (only
        Integer and Categorical dimensions) with fewer points than
        `n_calls` (those ``feasible=`` admits) is evaluated once at each point
        and the run stops there, with one `SpaceExhaustedWarning` and
        ``result.stop_reason == "space_exhausted"``, as Optuna's GridSampler stops
        its study and BayesSearchCV stops here (scikit-optimize evaluates the
        best point again, once per remaining call): a repeat is no new
        information about a deterministic objective. For replicates of a noisy
        one, ask and tell an `Optimizer`, whose ask then repeats the best point
        with a `SpaceExhaustedWarning` each time. With a Fidelity in a finite space
        each configuration runs at most once at each budget a bracket starts at
        (`high` included; each bracket samples its own configurations, Hyperband's
        Alg. 1), and promotions as the schedule makes them; the run stops the same
        way once no promotion is due and every configuration has run at every such
        budget (docs/multi-fidelity.md).
    x0 : dict or list of dicts (or a pandas DataFrame's rows, as `Optimizer.tell` reads
        them), optional
        Warm start (scikit-optimize's names and semantics): known points. Without
        `y0` they are evaluated first, before any point is asked, and count
        toward `n_calls` (which must be at least their number); under input
        constraints (``feasible=``) each must satisfy them, as every ask does, or
        ValueError names its index, its values and the constraint, before
        anything is evaluated.
    y0 : float or list of floats (a numpy array or pandas Series too), optional
        The objective values at `x0` (one per point; a number for a single
        dict). They are told without calling `func` and do not count toward
        `n_calls`, whatever ``feasible=`` says of them (told values are data).
        Points of `x0` already in a resumed journal are skipped.
        With outcome constraints (``n_constraints``) y0 raises: x0 is evaluated.
    seed : int, optional
        Seed for a reproducible run.
    progress : bool
        Show a tqdm progress bar with the best value so far.
    callback : callable, optional
        ``callback(observation, optimizer)`` after every evaluation; return
        True to stop early (evaluations already running are still told). One
        that cannot take these two arguments (scikit-optimize's
        ``callback(result)``: ``optimizer.result()`` here) raises TypeError
        before the first evaluation.
    journal : str or path, optional
        Append every event to this file. If it already holds a run, that run
        is resumed — with a `ResumeWarning` giving the count, and the progress
        bar starting there: completed evaluations are kept (never re-run),
        points that were being evaluated when it stopped are evaluated first
        (those still `Optimizer.pending`: not those timed out under the run's
        ``pending_timeout``, which are abandoned), and the run continues until
        `n_calls` evaluations exist in total.
    n_workers : int
        Evaluations kept in flight at once. With n_workers > 1 and no
        executor, a process pool (spawn start method) runs them; the
        objective must then be picklable and importable by the workers (defined at
        module level in a file: one defined in a notebook or the REPL is refused, TypeError
        before any evaluation, `bayesopt.parallel.check_picklable`), a script must start
        the run under ``if __name__ == "__main__":`` (the workers run the script again;
        RuntimeError before any evaluation otherwise), and the
        caller not a daemonic process such as a `multiprocessing.Pool`'s worker,
        which may not start one (ValueError before any evaluation).
    executor : concurrent.futures.Executor or dask.distributed.Client, optional
        Where to run the evaluations (`n_workers` of them at once, whatever the
        executor's size: with the default 1, one at a time, and a UserWarning saying to
        pass ``n_workers=k``; the signature cannot tell ``n_workers=1`` given from the
        default, so an explicit 1 warns too), e.g. a `ThreadPoolExecutor`, a
        `ProcessPoolExecutor` (which, like the default pool, needs a picklable
        objective: TypeError before any evaluation) or a Dask client connected to
        a cluster (waited
        for on Dask's own futures, `bayesopt.dask_futures`; pass the client,
        not its `get_executor()`, whose futures a killed worker can leave
        unresolved: that one runs, with a `DaskExecutorWarning`).
    timeout : float, optional
        Seconds after which no new evaluation is started (measured from this
        call); evaluations already running are finished and told.
    max_consecutive_failures : int or None
        Stop rule for a broken objective (`bayesopt.failures`). An exception
        raised by `func` is an *error*: it is recorded as a failed evaluation,
        the first one of the run is reported at once with its traceback (`EvaluationFailedWarning`
        and a log record), and this many errors in a row — from the start or
        since the last success — stop the run with `TooManyFailuresError`
        carrying the first traceback (default 5; None never stops). A failure
        that is part of the problem — `func` raises `bayesopt.EvaluationFailed`
        or returns NaN or ±inf — is recorded as failed and does not count.
    max_cost : float, optional
        Stop once the summed cost of the evaluations reaches it (a resumed
        journal or a study whose told costs reach it evaluates nothing). Each
        evaluation's cost is its wall time in seconds (`Observation.cost`,
        `Optimizer.total_cost`), a failed one's included. With
        ``n_workers > 1`` the evaluations in flight when it is reached are
        finished and told (`bayesopt.parallel.AsyncLoop.run`), so the total
        may pass it by their cost. It does not cool ``logei_per_cost``'s α
        (docs/choosing-defaults.md, "Cost", says why); pass ``cost_budget=`` (an
        `Optimizer` option) for the cooling.
    storage, study : optional
        A shared study (`Optimizer`'s ``storage=`` and ``study=``): the same
        call in several processes or machines cooperates on one study.
        `n_calls` then counts the study's evaluations, every worker's: a
        worker asks only while the study's evaluations told and running are
        fewer (`Optimizer.ask_within`, under the study's lock), so together
        the workers start exactly `n_calls` evaluations. A run stopped by an
        exception (Ctrl-C) cancels the points it was evaluating; a killed
        worker's point counts until ``pending_timeout`` expires it. A storage
        given as a path or URL is closed when `minimize` returns or raises; a
        `Storage` object stays the caller's, open.
    pass_run : bool
        False (the default): ``func(params)``. True: ``func(params, run)``, `run` a
        `bayesopt.Run` (`bayesopt.runs`) of this evaluation: ``run.id`` and
        ``run.continues`` (`Optimizer.run_ids`: ids to save and load checkpoints by, the
        same after a resume; ``continues`` names the run a Hyperband promotion trains on
        from, None for a new configuration), ``run.budget`` (the `Fidelity` value, or
        None) and ``run.report(step, value)``, `Optimizer.report` of this run: True means
        stop now, and ``pruner=`` is then accepted. The value `func` returns is told as
        `Optimizer.tell` tells it: "pruned" at the step of a last report that said stop,
        a complete run if it reported past it. A run a resumed journal keeps pending keeps
        its interrupted attempt's reports: evaluated again, its steps up to the last
        recorded one are not reported again (the step the rule stopped it at stops it
        again). The objective runs in this process: in the calling thread, or with
        ``executor=`` a `concurrent.futures.ThreadPoolExecutor` (`Optimizer` takes the
        reports of several threads under its lock); ``n_workers > 1`` without one (a
        process pool), another executor or a Dask client, which would run it where the
        optimizer is not, raise ValueError before any evaluation. Not a bool: TypeError.
    pending_timeout : float, optional
        An `Optimizer` option (seconds, > 0 here): a pending point expires this
        long after its last sign of life. While an evaluation runs, a background
        thread sends its heartbeats (`Optimizer.heartbeat`) every third of the
        timeout (`bayesopt.heartbeats` says why), so a slow evaluation stays
        pending however long it runs and a killed worker's point expires about
        the timeout after its last heartbeat. The thread stops when the
        evaluation ends and is joined before `minimize` returns or raises.
        Without a timeout no heartbeat is sent. In a shared study give every
        worker the same timeout: each beats by its own.
    **optimizer_options
        Passed to `Optimizer` (acquisition, kernel, n_initial, maximize, ...;
        ``pruner=`` only with ``pass_run=True``, since only `Optimizer.report` consults
        it: ValueError otherwise). Another
        name raises TypeError naming it and, for the peers' names (scikit-optimize's
        ``n_initial_points``, ``random_state``, …: `bayesopt.validation.PEER_NAMES`),
        the name here — also when a journal is resumed;
        ignored when a journal is resumed (its own settings apply, and a
        `ResumeSettingsWarning` names those that differ), except ``feasible=``,
        which must match the journal's input constraints
        (`Optimizer.resume`), and ``n_constraints=``, which must match the
        journal's number of outcome constraints (ValueError naming both).

    Returns
    -------
    OptimizeResult
        Its ``stop_reason`` says why the run stopped (`STOP_REASONS`).

    Raises
    ------
    TooManyFailuresError
        The stop rule ended the run; its ``result`` holds what was evaluated
        (``stop_reason`` "max_consecutive_failures").
    """
    if not callable(func):
        raise TypeError(f"func={func!r} must be callable")
    _check_callback(callback)
    progress = check_bool("progress", progress)
    pass_run = check_bool("pass_run", pass_run)
    unknown_keywords(optimizer_options, _ACCEPTED, "minimize", _PEER_REASONS)
    if optimizer_options.get("pruner") is not None and not pass_run:
        raise ValueError(f"pruner={optimizer_options['pruner']!r}: minimize never reports "
                         "without pass_run=True (it calls func(params) once per point), so "
                         "no run would be stopped; pass pass_run=True and call "
                         "run.report(step, value) in func(params, run), or put a Fidelity "
                         "in the space for Hyperband's budgets")
    limits = RunLimits(n_calls, timeout, max_consecutive_failures, max_cost)
    n_workers = check_count("n_workers", n_workers, minimum=1)
    parallel = n_workers > 1 or executor is not None
    if pass_run:
        check_in_process(n_workers, executor)
    if executor is not None and n_workers == 1:
        _warn_one_at_a_time(executor)
    if parallel and executor is None:
        check_own_pool(n_workers)
    if parallel and (executor is None or isinstance(executor, ProcessPoolExecutor)):
        check_picklable(func, executor)  # a caller's process pool pickles it as our own does
    if isinstance(space, Optimizer):
        raise TypeError(
            f"space={space!r} is an Optimizer, and minimize builds its own: pass its space "
            "(minimize(func, opt.space, ...)) for a new run; to go on with this optimizer, ask "
            "and tell it in a loop, or give minimize the past evaluations as x0= and y0= "
            "(a run started with journal= is continued by the same call)")
    space = space if isinstance(space, Space) else Space(space)
    warm = WarmStart.parse(x0, y0, space, n_calls)
    if optimizer_options.get("pending_timeout") == 0:
        raise ValueError("pending_timeout=0 expires a running point at the next event, which "
                         "no heartbeat can prevent; give the seconds a worker may stay silent")
    opt = _optimizer(space, seed, journal, storage, study, optimizer_options)
    guard = FailureGuard(limits.max_consecutive_failures)
    said = _StopSaid()
    objective = (RunObjective(cast(RunObjectiveFunction, func)) if pass_run
                 else cast(Objective, func))
    attached = objective if isinstance(objective, AttachedObjective) else None
    try:
        if attached is not None:
            attached.attach(opt)
        # interrupted points, then x0 to evaluate (in a shared study, the pending points
        # are other workers' and are left to them)
        first = ([] if opt.shared else [Dispatch(*run) for run in pending_runs(opt)]) + [
            Dispatch(point, None, warm=True) for point in warm.start(opt)]
        budget = limits.budget(warm.n_told)
        # no bar object at all without progress: tqdm's first bar creates a multiprocessing
        # lock, whose semaphores a Pool's terminated workers leave to resource_tracker
        bar_context = (
            _progress_bar(total=budget.total, initial=min(len(opt.history), budget.total))
            if progress else contextlib.nullcontext())
        with bar_context as bar:
            report = _reporter(opt, bar, callback, guard, limits, said)
            with Heartbeats(opt, opt.pending_timeout or None) as beats:
                if limits.cost_spent(opt.total_cost):
                    pass  # resumed (or attached) with max_cost already spent: start nothing
                elif parallel:
                    _run_parallel(opt, objective, n_workers, executor, budget, first, report,
                                  beats)
                else:
                    _run(opt, objective, budget, first, report, beats)
    except KeyboardInterrupt as stop:
        _keep_on_interrupt(stop, opt, journal)
        raise
    finally:
        if attached is not None:
            attached.attach(None)
        opt.close()
    if guard.tripped:
        error = guard.error()
        error.result = stopped_by(opt.result(), "max_consecutive_failures")
        raise error
    reason = said.reason or _stop_reason(opt, budget, limits)
    if reason == "space_exhausted":
        _warn_exhausted(opt, n_calls)
    result = stopped_by(opt.result(), reason)
    _warn_without_top_budget(result, space)
    return result


STOP_REASONS = {  # OptimizeResult.stop_reason: why minimize stopped
    "n_calls": "n_calls evaluations were started (in a shared study, every worker's)",
    "space_exhausted": "every point of a finite space was evaluated or running (with a "
                       "Fidelity: every configuration at every budget a bracket starts at, "
                       "and no promotion due): another would repeat one "
                       "(`bayesopt.optimizer.space_exhausted`)",
    "callback": "the callback returned True",
    "timeout": "timeout= seconds passed",
    "max_cost": "the summed cost reached max_cost",
    "max_consecutive_failures": "the stop rule for a broken objective (TooManyFailuresError)",
}


@dataclass
class _StopSaid:
    """The stop reason a report gave (the callback's or max_cost's), None while none did."""

    reason: str | None = None


def _stop_reason(opt: Optimizer, budget: Budget, limits: RunLimits) -> str:
    """Why a run that no report stopped ended (a key of `STOP_REASONS`)."""
    if limits.cost_spent(opt.total_cost):  # resumed with max_cost already spent
        return "max_cost"
    if len(opt.history) < budget.total and space_exhausted(opt):
        return "space_exhausted"
    if budget.deadline is not None and time.monotonic() >= budget.deadline:
        return "timeout"
    return "n_calls"  # a shared study's: its evaluations told and running


def _warn_exhausted(opt: Optimizer, n_calls: int) -> None:
    """The one warning of a run that stopped on an exhausted finite space."""
    size = admitted_count(opt.space, opt.feasible)
    fidelity = opt.space.fidelity
    if fidelity is None:
        done = f"every one of its {size} points has been evaluated (or is running)"
    else:
        bases = sorted(base_budgets(fidelity))
        done = (f"every one of its {size} configurations has been run (or is running) at "
                f"every budget a Hyperband bracket starts at ({fidelity.name} in "
                f"{bases}), and no promotion is due")
    warnings.warn(
        f"search space exhausted: {done}, so "
        f"minimize stopped with {len(opt.history)} evaluations, before n_calls={n_calls} "
        "(result.stop_reason == 'space_exhausted'): another evaluation would repeat a "
        "point; for replicates of a noisy objective, ask and tell an Optimizer",
        SpaceExhaustedWarning, stacklevel=caller_level())


def _warn_one_at_a_time(executor: Any) -> None:
    """An executor with ``n_workers=1`` runs one evaluation at a time: `n_workers`, not the
    executor's size, is how many are in flight (`bayesopt.parallel.AsyncLoop`)."""
    warnings.warn(
        f"n_workers=1 with executor={executor!r}: minimize keeps n_workers evaluations in "
        "flight, not the executor's size, so they run one at a time; pass n_workers=k to "
        "run k at once", UserWarning, stacklevel=caller_level())


def _keep_on_interrupt(stop: KeyboardInterrupt, opt: Optimizer,
                       journal: str | os.PathLike[str] | None) -> None:
    """Ctrl-C (a notebook's stop button) or the objective's own KeyboardInterrupt: the
    interrupt goes on, carrying what was evaluated as ``stop.result`` (as
    `TooManyFailuresError.result`), since `minimize` returns nothing and, without a journal
    or a study, nothing else keeps it; a note (Python 3.11+, shown under the traceback) says
    where it is and how the run continues."""
    stop.result = opt.result()  # type: ignore[attr-defined]
    if sys.version_info < (3, 11):
        return
    kept = "in this exception's .result (in Jupyter or IPython: sys.last_value.result)"
    if journal is not None or opt.shared:
        where = "the same minimize call continues the run (its journal or study keeps them)"
    else:
        where = ("nothing else keeps them: pass journal='run.jsonl' to keep a run on disk and "
                 "continue it with the same call")
    stop.add_note(f"bayesopt.minimize was interrupted after {len(opt.history)} evaluation(s); "
                  f"they are {kept}; {where}")


def _warn_without_top_budget(result: OptimizeResult, space: Space) -> None:
    """Warn when a Fidelity run has successes but none at `high`: every run counts toward
    `n_calls` whatever its budget, and the best is judged at `high` only (Hyperband's
    first bracket starts η^s_max runs at the lowest budget; Li et al. 2018, Alg. 1)."""
    fidelity = space.fidelity
    if fidelity is None:
        return
    name = space.names[space.dimensions.index(fidelity)]
    budgets = [o.params[name] for o in result.history if o.ok]
    if not budgets or fidelity.high in budgets:
        return
    ran = ", ".join(f"{budget!r}: {budgets.count(budget)}" for budget in sorted(set(budgets)))
    warnings.warn(
        f"none of the {len(result.history)} evaluations ran at the top budget "
        f"{name}={fidelity.high!r} ({name} of the successful ones: "
        f"{{{ran}}}), so there is no best point yet (best_params is None): n_calls counts "
        "runs at every budget, and Hyperband's first bracket starts many runs at the "
        f"lowest budget before its survivors reach {fidelity.high!r}; raise n_calls (with "
        "journal=, the same call continues the run)", TopBudgetWarning, stacklevel=caller_level())


def _check_callback(callback: Any) -> None:
    """A callable that takes (observation, optimizer), checked before the first evaluation
    (scikit-optimize's callbacks take the result, and it takes a list of them)."""
    if callback is None:
        return
    if not callable(callback):
        raise TypeError(f"callback={callback!r} must be callable (one function; call several "
                        "from it)")
    try:
        signature = inspect.signature(callback)
    except (TypeError, ValueError):  # no signature to read (some builtins): called as is
        return
    try:
        signature.bind(None, None)
    except TypeError:
        raise TypeError(f"callback={callback!r} must take two arguments, "
                        f"callback(observation, optimizer); it takes {signature} "
                        "(scikit-optimize's callback(result) reads optimizer.result() "
                        "here)") from None


_OPTIMIZER_ARGUMENTS = keyword_only(Optimizer.__init__)
_ACCEPTED = set(_OPTIMIZER_ARGUMENTS) | set(keyword_only(minimize)) | {"n_calls"}
_PEER_REASONS = {  # hyperopt's fmin and Talos' Scan keywords without a counterpart here
    "fn": "hyperopt's fn= is func here, minimize's first argument: minimize(func, space, "
          "n_calls=...)",
    "trials": "hyperopt's Trials has no counterpart; the evaluations are the returned "
              "result's: result.history (trials.results), result.best (trials.best_trial), "
              "and journal= keeps them on disk",
    "algo": "there is one algorithm, a GP whose acquisition function acquisition= chooses "
            "(hyperopt's tpe.suggest or rand.suggest has no counterpart)",
    "early_stop_fn": "return True from callback(observation, optimizer) to stop early",
    "loss_threshold": "stop at a value with callback=lambda o, opt: o.ok and o.value <= "
                      "threshold",
    # Talos' Scan (its round_limit is n_calls: PEER_NAMES)
    "fraction_limit": "Talos' fraction of a grid has no counterpart, as the space is no grid: "
                      "n_calls= counts the evaluations (a grid's size times the fraction)",
    "time_limit": "Talos' time_limit (a date and time to stop at) is timeout= here, in "
                  "seconds from the start",
    "reduction_method": "Talos' reduction of a grid has no counterpart: the GP chooses each "
                        "point from every earlier evaluation",
}


@dataclass(frozen=True)
class RunLimits:
    """When `minimize` stops asking (checked; see `minimize` for each field)."""

    n_calls: int = field(metadata=rule(integer(minimum=1)))
    timeout: float | None = field(default=None, metadata=rule(optional(real(0.0, low_open=True))))
    max_consecutive_failures: int | None = field(
        default=DEFAULT_MAX_CONSECUTIVE_FAILURES, metadata=rule(optional(integer(minimum=1))))
    max_cost: float | None = field(default=None, metadata=rule(optional(real(0.0, low_open=True))))

    def __post_init__(self) -> None:
        check_fields(self)

    def cost_spent(self, total_cost: float) -> bool:
        """Whether the summed cost told so far has reached `max_cost`."""
        return self.max_cost is not None and total_cost >= self.max_cost

    def budget(self, n_told: int) -> Budget:
        """The budget of a run that starts now; `n_told` warm-start values come for free."""
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        return Budget(self.n_calls + n_told, deadline)


@dataclass(frozen=True)
class WarmStart:
    """scikit-optimize's ``x0`` / ``y0``, validated against the space.

    Attributes
    ----------
    points : tuple of dict
        The points of ``x0`` in canonical form.
    values : tuple of float or None
        Their values (``y0``), or None when the points are to be evaluated.
    """

    points: tuple[dict[str, Any], ...] = ()
    values: tuple[float, ...] | None = None

    @classmethod
    def parse(cls, x0: Points | None, y0: Values | None, space: Space, n_calls: int) -> WarmStart:
        """Check ``x0`` and ``y0``; raise naming the bad entry."""
        if x0 is None:
            if y0 is not None:
                raise ValueError(f"y0={shown(y0)} was given without x0")
            return cls()
        points = _warm_points(x0, space)
        if y0 is None:
            if len(points) > n_calls:
                raise ValueError(f"x0 has {len(points)} points to evaluate but n_calls={n_calls}; "
                                 "give their values as y0, or raise n_calls")
            return cls(points)
        return cls(points, _warm_values(y0, len(points), single=isinstance(x0, Mapping)))

    @property
    def n_told(self) -> int:
        """Points told with their values (free of `n_calls`)."""
        return 0 if self.values is None else len(self.points)

    def start(self, opt: Optimizer) -> list[dict[str, Any]]:
        """Tell the known values; return the points still to evaluate (skipping observed
        ones, and pending ones: a resumed journal's, evaluated first, or another worker's)."""
        observed = [o.params for o in opt.history]
        new = [i for i, p in enumerate(self.points) if p not in observed]
        if self.values is None:
            pending = opt.pending
            new = [i for i in new if self.points[i] not in pending]
            self._check_feasible(opt, new)
            return [dict(self.points[i]) for i in new]
        if opt.n_constraints:
            raise ValueError(f"y0={list(self.values)!r} gives no values of the "
                             f"{opt.n_constraints} outcome constraint(s) (n_constraints); "
                             "leave y0 out and x0 is evaluated")
        if new:
            opt.tell([self.points[i] for i in new], [self.values[i] for i in new])
        return []

    def _check_feasible(self, opt: Optimizer, indices: list[int]) -> None:
        """Points of x0 to evaluate satisfy the input constraints, as every ask does;
        ValueError naming the first that does not (told values, y0, are data: accepted)."""
        if opt.feasible is None:
            return
        for i in indices:
            broken = opt.feasible.violation(self.points[i])
            if broken is not None:
                raise ValueError(
                    f"x0[{i}]={self.points[i]!r} violates {broken}: minimize evaluates only "
                    "points that satisfy feasible=, as every ask does; to record a value "
                    "known there, give it as y0 (or opt.tell it): told data are accepted")


def _as_named(values: Any, space: Space) -> str:
    """For scikit-optimize's point (a list of values in the order of the dimensions, or
    one value of a one-dimensional space), the dict it is here, as a hint; else ""."""
    names = space.names
    if isinstance(values, (str, bytes)) or not isinstance(values, (Sequence, np.ndarray)):
        values = [values]
    if len(values) != len(names) or space.conditional:
        return ""
    return f" (scikit-optimize's list of values is {shown(dict(zip(names, values)))} here)"


def _warm_points(x0: Points, space: Space) -> tuple[dict[str, Any], ...]:
    if isinstance(x0, Mapping):
        items: list[Any] = [x0]
    elif is_frame(x0):  # a DataFrame's rows, as tell reads them (`bayesopt.tables`)
        items = frame_points(space, x0)
    elif isinstance(x0, Sequence) and not isinstance(x0, (str, bytes)):
        items = list(x0)
    else:
        raise TypeError(f"x0={shown(x0)} must be a dict or a list of dicts")
    points = []
    for i, point in enumerate(items):
        if not isinstance(point, Mapping):
            whole = "" if any(isinstance(item, (Sequence, Mapping)) and not isinstance(
                item, str) for item in items) else _as_named(items, space)  # one flat point
            raise TypeError(f"x0[{i}]={shown(point)} must be a dict of parameters"
                            + (_as_named(point, space) or whole))
        try:
            points.append(space.validate(point))
        except (TypeError, ValueError) as error:
            raise type(error)(f"x0[{i}]: {error}") from None
    return tuple(points)


def _warm_values(y0: Values, n_points: int, single: bool) -> tuple[float, ...]:
    values: list[Any]
    y0 = as_array(y0)  # a pandas Series: its numpy array
    if (isinstance(y0, Sequence) and not isinstance(y0, (str, bytes))
            or isinstance(y0, np.ndarray) and y0.ndim == 1):
        values = list(y0)
    elif single:
        values = [y0]
    else:
        raise TypeError(f"y0={shown(y0)} must be a list of {n_points} numbers, one per point of x0")
    if len(values) != n_points:
        raise ValueError(f"y0 has {len(values)} value(s) for the {n_points} point(s) of x0")
    out = []
    for i, value in enumerate(values):
        try:
            out.append(check_value(value))
        except (TypeError, ValueError) as error:
            raise type(error)(f"y0[{i}]: {error}") from None
    return tuple(out)


def _optimizer(
    space: Mapping[str, Dimension] | Sequence[Dimension] | Space, seed: int | None,
    journal: str | os.PathLike[str] | None, storage: str | os.PathLike[str] | Storage | None,
    study: str | None, options: _OptimizerKeywords,
) -> Optimizer:
    if storage is not None or study is not None:  # a shared study (Optimizer checks both)
        return Optimizer(space, seed=seed, journal=journal, storage=storage, study=study,
                         **options)
    if journal is None or not holds_a_run(check_journal_path(journal)):
        return Optimizer(space, seed=seed, journal=journal, **options)
    opt = _replayed(journal, options.get("threads"))
    if opt is None:  # warns with the count (ResumeWarning); feasible= must match the record
        opt = Optimizer.resume(journal, space, feasible=options.get("feasible"),
                               threads=options.get("threads"))
    try:
        # this run writes: refused now, not after evaluating the interrupted points again,
        # while another process (the same script started twice) writes the journal
        claim_journal(opt)
        if "n_constraints" in options:
            _check_resumed_constraints(opt, options["n_constraints"], journal)
    except ValueError:  # JournalError among them
        opt.close()
        raise
    # the pruner as the optimizer holds it (its config has a dict): compared with the one given
    recorded = {**opt.config, "kernel": opt.options.model.kernel, "pruner": opt.pruner}
    given: dict[str, Any] = {key: value for key, value in options.items()
                             if key not in ("feasible", "threads")}
    given.update({} if seed is None else {"seed": seed})
    if isinstance(given.get("options"), OptimizerOptions):  # compared as the journal keeps them
        given["options"] = given["options"].to_dict()
    # a setting the journal's header leaves out (cost_budget, pruner, …) has its default
    ignored = sorted(key for key, value in given.items()
                     if recorded.get(key, _OPTIMIZER_ARGUMENTS[key].default) != value)
    if ignored:
        warnings.warn(
            f"resuming journal {str(journal)!r} with its own settings; ignoring {ignored}",
            ResumeSettingsWarning, stacklevel=caller_level(),
        )
    return opt


# `replayed_journal`'s: the journal's path and its read-only replay, until minimize takes it
_REPLAYED: ContextVar[list[tuple[Path, Optimizer]]] = ContextVar("bayesopt_replayed")


@contextlib.contextmanager
def replayed_journal(journal: str | os.PathLike[str], replay: Optimizer) -> Iterator[None]:
    """Within the block (this thread or task), a `minimize` that continues `journal` takes
    `replay` — ``Optimizer.resume(journal, space, append=False)`` with the space minimize
    is given and no ``feasible=``, made by the caller to look at the journal before the
    run (``bayesopt run``) — and journals to it, instead of reading the journal again.
    Taken once; the events appended since the replay are applied at its first catch-up."""
    token = _REPLAYED.set([(Path(journal).resolve(), replay)])
    try:
        yield
    finally:
        _REPLAYED.reset(token)


def _replayed(journal: str | os.PathLike[str], threads: int | None) -> Optimizer | None:
    """The replay of `journal` handed over by `replayed_journal`, linked to the journal to
    append to it (with ``threads=``, as `Optimizer.resume` takes them), or None."""
    held = _REPLAYED.get(None)
    if not held or held[0][0] != Path(journal).resolve():
        return None
    replay = held.pop()[1]
    replay.threads = None if threads is None else check_threads(threads)
    continue_journal(replay, journal)
    return replay


def _check_resumed_constraints(opt: Optimizer, given: Any,
                               journal: str | os.PathLike[str]) -> None:
    """Raise unless ``n_constraints=given`` is the number of outcome constraints of the
    resumed run: declared in its header, or else that of the values its tells carried
    (None: none). The objective returns that many values, so another number would
    fail at the first tell, after an evaluation."""
    recorded = recorded_n_constraints(opt.n_constraints, opt.history)
    if (given or None) != recorded:
        raise ValueError(
            f"n_constraints={shown(given)}, but journal {str(journal)!r} was recorded with "
            f"n_constraints={recorded!r}: pass n_constraints={recorded!r} (and an objective "
            "returning that many constraint values) to resume it, or use a new journal file")


def _progress_bar(total: int, initial: int) -> tqdm:
    """tqdm's bar for the notebook or the terminal (`tqdm.auto`), imported only when a run
    shows one: in a notebook without ipywidgets importing `tqdm.auto` warns, which a run
    with ``progress=False`` must not."""
    from tqdm.auto import tqdm as auto_tqdm

    bar: tqdm = auto_tqdm(total=total, initial=initial, desc="bayesopt", unit="eval")
    return bar


def _reporter(opt: Optimizer, bar: tqdm | None, callback: Callback | None,
              guard: FailureGuard, limits: RunLimits, said: _StopSaid) -> Report:
    """Tell one outcome, advance the progress bar, run the callback; True means stop
    (also once the summed cost reaches `limits.max_cost`), with the reason in `said`."""

    def report(dispatch: Dispatch, outcome: Outcome) -> bool:
        params = dispatch.params
        status, error = _tell_outcome(opt, params, outcome, dispatch.run)
        if bar is not None:
            bar.update(1)
            if opt.best is not None:
                bar.set_postfix(best=f"{opt.best.value:.6g}", refresh=False)
        stop = guard.observe(status, params, error)
        if limits.cost_spent(opt.total_cost):
            stop, said.reason = True, "max_cost"
        if callback is not None and callback(opt.history[-1], opt):
            stop, said.reason = True, "callback"
        return stop

    return report


def _run(opt: Optimizer, func: Objective, budget: Budget, first: list[Dispatch],
         report: Report, beats: Heartbeats) -> None:
    queue = list(first)
    while budget.allows(len(opt.history), 0):
        if queue:
            dispatch = start_warm(opt, queue.pop(0))
            if dispatch is None:  # another worker of the study evaluates it
                continue
        else:
            dispatch = next_point(opt, budget)
            if dispatch is None:
                break
        try:
            with beats.evaluating(dispatch):
                outcome = evaluate_in_worker(func, dispatch.params, dispatch.run)
            if report(dispatch, outcome):
                break
        except BaseException as error:
            _release(opt, [dispatch], error)
            raise


def _run_parallel(opt: Optimizer, func: Objective, n_workers: int, executor: Any,
                  budget: Budget, first: list[Dispatch], report: Report,
                  beats: Heartbeats) -> None:
    resolved, owned = resolve_executor(executor, n_workers)
    loop = AsyncLoop(opt, func, resolved, owned, n_workers, budget, report, beats)
    try:
        with single_threaded():  # the workers hold the cores
            loop.run(first=first)
    except BaseException as error:
        beats.finish_all()  # no heartbeat may follow a cancel
        _release(opt, list(loop.in_flight.values()), error)
        raise
    finally:
        loop.close()


def _release(opt: Optimizer, running: list[Dispatch], error: BaseException) -> None:
    """A run stopped by `error` (Ctrl-C) in a shared study: cancel the points it was
    evaluating and will never tell, which would otherwise count as running for every
    worker (`Optimizer.ask_within`) until `pending_timeout`, or forever. A journal keeps
    them pending: resuming it evaluates them first (unless they timed out by then).
    A refused tell (`_unrecorded`) gets its advice here, once it is known whether its
    point is still pending (`_advice`)."""
    cancelled: list[dict[str, Any]] = []
    for dispatch in running if opt.shared else ():
        try:
            opt.cancel(dispatch.params, run=dispatch.run)
        except ValueError:  # told before the exception, cancelled by another worker, or
            continue  # refused as the tell was (JournalError): the point stays pending
        cancelled.append(dispatch.params)
    if isinstance(error, JournalError) and error.params is not None:
        error.args = (f"{error} — {_advice(error, cancelled=error.params in cancelled)}",)


def _tell_outcome(opt: Optimizer, params: dict[str, Any], outcome: Outcome,
                  run: int | None = None) -> tuple[str, str | None]:
    """Tell one outcome of the run `run` (its id, None for a point told by its params:
    `Dispatch`) with its duration, which is also its cost; return its status ("ok",
    "failed", or "error" for an exception the objective raised) and error text.

    The objective returns a value or a pair (value, constraints). NaN or ±inf is a
    failure that is part of the problem (`bayesopt.failures`). Any other return — not a
    number, another shape, constraint values the run does not have — is a bug in the
    objective, not a failed evaluation: TypeError or ValueError naming the return, raised
    before anything is told (the point stays pending in a journal, so a corrected resume
    evaluates it), where recording it would spend the budget on a broken objective.
    """
    status, payload, duration = outcome
    cost = duration if duration is not None and duration > 0 else None
    if status != "ok":
        with _unrecorded(opt, params, failure=payload, run=run):
            opt.tell_failure(params, payload, duration=duration, cost=cost, run=run)
        return status, payload
    returned = _numbers(payload)
    if returned is None:
        raise TypeError(
            f"objective returned {shown(payload)}, not a number (or a number and constraints): "
            "return a number, or a tuple (value, [c1, ..., ck]) with the outcome "
            "constraints' values" + (_history_hint(payload) or _hyperopt_hint(payload)
                                     or _outputs_hint(payload) or _shape_hint(payload)))
    number, values = returned
    if not math.isfinite(number) or not all(math.isfinite(c) for c in values or []):
        _check_failures_constraints(opt, payload, values)
        message = f"objective returned {shown(number)}" + (
            "" if values is None else f" with constraints {values!r}")
        with _unrecorded(opt, params, number, values, failure=message, run=run):
            opt.tell_failure(params, message, duration=duration, cost=cost, run=run)
        return "failed", message
    try:
        with _unrecorded(opt, params, number, values, run=run):
            opt.tell(params, number, duration=duration, constraints=values, cost=cost,
                     run=run)
    except JournalError:  # the storage refused the write: `_unrecorded` said what it was
        raise
    except (TypeError, ValueError) as error:  # the constraint values do not fit the run
        raise type(error)(f"objective returned {shown(payload)}: {error}") from error
    return "ok", None


@contextlib.contextmanager
def _unrecorded(opt: Optimizer, params: dict[str, Any], value: float | None = None,
                constraints: list[float] | None = None, *,
                failure: str | None = None, run: int | None = None) -> Iterator[None]:
    """A tell that the journal or study refused to record (a `JournalError`: a full disk, a
    file size limit, a deleted study) is raised with what was not recorded — the point,
    its run id (`run`, the one the tell named, else `Optimizer.run_ids`), its value and
    constraints, or its failure's text — in its message and as its attributes
    (`JournalError.params`, …), so that the user can tell it by hand once the storage is
    fixed (`_release`, which every run's stop passes, adds how); the error is otherwise
    the storage's."""
    try:
        yield
    except JournalError as error:
        try:
            run = opt.run_ids(params)[0] if run is None else run
        except JournalError:  # the storage cannot be read either (a deleted study)
            run = None
        error.params, error.run, error.value = dict(params), run, value
        error.constraints, error.failure = constraints, failure
        error.args = (f"{error}; not recorded: the evaluation of params={params!r}"
                      + ("" if run is None else f" (run {run})"),)  # `_release` adds the advice
        raise


def _advice(error: JournalError, *, cancelled: bool) -> str:
    """What records a refused tell's evaluation by hand. Still pending (the point's cancel
    was refused too, or not tried), the tell releases its pending point as the run's would.
    Cancelled (the storage came back between the refused tell and `_release`'s cancel),
    the point is pending no more: a tell of it is recorded as of a point never asked
    (`Optimizer.tell`: no run id, and an UnmatchedTellWarning while others are pending).
    Unknown (`JournalError.unknown`: the connection dropped after the COMMIT was sent),
    the tell may be stored already: the study says, and telling it again would tell twice."""
    told = ("tell_failure(error.params, error.failure)" if error.failure is not None
            else f"tell(error.params, {error.value!r}" + (
                "" if error.constraints is None else f", constraints={error.constraints!r}")
            + ")")
    if error.unknown:
        return ("whether the tell was stored is unknown (the connection dropped after its "
                "COMMIT was sent): once the storage is reachable, look the point up in the "
                "study (`bayesopt show`, or `history` of an optimizer attached to it); if it "
                f"is not there, {told} records it")
    if not cancelled:
        return f"once the storage is fixed, {told} records it"
    return (f"the point was then cancelled in the study (the storage took that write), so "
            f"it is no longer pending: {told} records the evaluation as a point never "
            "asked (no run id; an UnmatchedTellWarning while other points are pending)")


def _check_failures_constraints(opt: Optimizer, payload: Any,
                                values: list[float] | None) -> None:
    """A failure's constraint values (None: the value alone, which any run takes) pass the
    check `Optimizer.tell` makes of a success's (`check_constraint_row`), non-finite
    ones allowed, with its message after the return's."""
    if values is None:
        return
    try:
        check_constraint_row(values, recorded_n_constraints(opt.n_constraints, opt.history),
                             finite=False)
    except (TypeError, ValueError) as error:
        raise type(error)(f"objective returned {shown(payload)}: {error}") from error


def _history_hint(payload: Any) -> str:
    """How to return one number from a training history (`history_hint`; "" for any other
    return): a Keras History, its dict of per-epoch lists, Talos' (history, model)."""
    hint = history_hint(payload, "return")
    return hint and "; " + hint


def _hyperopt_hint(payload: Any) -> str:
    """How to return hyperopt's result dict here ("" for any other return).

    A dict is refused rather than read: its other keys would have no place in
    the history, and nothing a user returns is dropped silently.
    """
    if not isinstance(payload, Mapping) or not {"loss", "status"} & set(payload):
        return ""
    return ("; hyperopt's result dict is not read here: return the loss itself "
            "(return result['loss']), raise bayesopt.EvaluationFailed for "
            "status 'fail', and keep any other keys yourself")


def _outputs_hint(payload: Any) -> str:
    """How to return a dict of named numbers, Spearmint's ``main(job_id, params)`` result
    ``{task: value}`` (its objective and its constraints), here ("" for any other return).
    Spearmint's constraints are met at ≥ 0, outcome constraints here at ≤ 0."""
    if (not isinstance(payload, Mapping) or not payload
            or not all(is_real(v) for v in payload.values())):
        return ""
    return (f"; a dict of named outputs (keys {list(payload)!r}; Spearmint's main returns "
            "{task: value}) is not read here: return (out[objective], [c1, ...]), each "
            "constraint satisfied when <= 0 (Spearmint's when >= 0: negate those, "
            "-out[constraint]), with n_constraints= set, and keep any other keys yourself")


def _shape_hint(payload: Any) -> str:
    """What is wrong with the shape of a tuple or list return ("" for any other return)."""
    if isinstance(payload, np.ndarray) and payload.size == 1:
        return "; " + ARRAY_HINT
    if len(scores := _scores(payload)) > 0:  # Keras' model.evaluate: [loss, *metrics]
        return ("; a list of numbers is not one value (Keras' model.evaluate returns [loss, "
                "*metrics]): return the one to minimize, e.g. scores[0] (maximize=True for "
                "an accuracy)" if len(scores) > 1 else
                "; a list of one number is not a number: return its item, scores[0]")
    if isinstance(payload, list) and len(payload) == 2:
        return "; a tuple, not a list: return value, [c1, ..., ck]"
    if not isinstance(payload, tuple):
        return ""
    if len(payload) == 3:
        return ("; no cost can be returned: minimize tells each evaluation's wall time as its "
                "cost (tell another cost with Optimizer.tell(..., cost=) in an ask/tell loop)")
    second: Any = payload[1] if len(payload) == 2 else None
    if is_real(second) or (isinstance(second, np.ndarray) and second.ndim == 0
                            and second.dtype.kind in "iuf"):
        return (f"; the constraint values are a list: (value, [{float(second)!r}]) for one "
                "outcome constraint, feasible where <= 0 (a metric returned beside the value, "
                "an accuracy, is no constraint: return the value alone)")
    if isinstance(second, (list, tuple)) and any(
            isinstance(c, np.ndarray) and c.size == 1 for c in second):
        return "; " + ARRAY_HINT
    return ""


def _scores(payload: Any) -> list[Any]:
    """The numbers of a list or 1-D numeric array of numbers, else []."""
    if isinstance(payload, np.ndarray):
        return payload.tolist() if payload.ndim == 1 and payload.dtype.kind in "iuf" else []
    return payload if isinstance(payload, list) and all(is_real(v) for v in payload) else []


def _numbers(payload: Any) -> tuple[float, list[float] | None] | None:
    """An objective's return as (value, constraint values or None); None unless each is a
    number by the rule of `Optimizer.tell` (`is_real`: a string or a bool is not)."""
    value, constraints = payload if isinstance(payload, tuple) and len(payload) == 2 else (
        payload, None)
    if constraints is not None and (isinstance(constraints, (str, bytes)) or not isinstance(
            constraints, (Sequence, np.ndarray)) or np.ndim(constraints) == 0):
        return None
    values = None if constraints is None else list(constraints)
    if not is_real(value) or not all(is_real(c) for c in values or []):
        return None
    return float(value), None if values is None else [float(c) for c in values]

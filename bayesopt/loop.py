"""`minimize`: the ask/evaluate/tell loop for a plain Python callable.

The module is named `loop`, not `minimize`: a submodule named like a public name
would replace `bayesopt.minimize` (the function) once imported.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from typing import Any

from tqdm.auto import tqdm

from bayesopt.journal import holds_a_run
from bayesopt.optimizer import Optimizer
from bayesopt.parallel import (
    AsyncLoop,
    Objective,
    Outcome,
    Report,
    check_picklable,
    evaluate_in_worker,
    resolve_executor,
)
from bayesopt.result import Observation, OptimizeResult
from bayesopt.space import Dimension, Space
from bayesopt.validation import check_count, check_real
from kernels.threads import single_threaded


class ResumeSettingsWarning(UserWarning):
    """`minimize` resumed a journal and ignored settings that differ from the journal's."""

Callback = Callable[[Observation, Optimizer], Any]


def minimize(
    func: Objective, space: Mapping[str, Dimension] | Sequence[Dimension] | Space,
    n_calls: int = 50, *, seed: int | None = None, progress: bool = True,
    callback: Callback | None = None, journal: str | os.PathLike[str] | None = None,
    n_workers: int = 1, executor: Executor | Any | None = None, max_cost: float | None = None,
    **optimizer_options: Any,
) -> OptimizeResult:
    """Minimize `func(params)` over `space` with Bayesian optimization.

    Parameters
    ----------
    func : callable
        Called with one dict of parameters; returns a number, or a pair
        ``(value, [c1, ..., ck])`` with the values of k outcome constraints
        (each satisfied when ≤ 0; see `Optimizer.tell`). An exception
        (other than KeyboardInterrupt) or a non-finite return value is recorded
        as a failed evaluation with its traceback, and the run goes on.
    space : dict or list
        The search space, as for `Optimizer`.
    n_calls : int
        Total number of evaluations (failed ones included).
    seed : int, optional
        Seed for a reproducible run.
    progress : bool
        Show a tqdm progress bar with the best value so far.
    callback : callable, optional
        ``callback(observation, optimizer)`` after every evaluation; return
        True to stop early (evaluations already running are still told).
    journal : str or path, optional
        Append every event to this file. If it already holds a run, that run
        is resumed: completed evaluations are kept (never re-run), points that
        were being evaluated when it stopped are evaluated first, and the run
        continues until `n_calls` evaluations exist in total.
    n_workers : int
        Evaluations kept in flight at once. With n_workers > 1 and no
        executor, a process pool (spawn start method) runs them; the
        objective must then be picklable (defined at module level).
    executor : concurrent.futures.Executor or dask.distributed.Client, optional
        Where to run the evaluations, e.g. a `ThreadPoolExecutor`, a
        `ProcessPoolExecutor` or a Dask client connected to a cluster.
    max_cost : float, optional
        Stop once the summed cost of the evaluations reaches it. Each
        evaluation's cost is its wall time in seconds (`Observation.cost`);
        with ``acquisition="logei_per_cost"`` it also sets the optimizer's cost
        cooling (`Optimizer(max_cost=)`).
    **optimizer_options
        Passed to `Optimizer` (acquisition, kernel, n_initial, maximize, ...);
        ignored when a journal is resumed (its own settings apply).

    Returns
    -------
    OptimizeResult
    """
    if not callable(func):
        raise TypeError(f"func={func!r} must be callable")
    if isinstance(n_calls, bool) or not isinstance(n_calls, int) or n_calls < 1:
        raise ValueError(f"n_calls={n_calls!r} must be a positive integer")
    if callback is not None and not callable(callback):
        raise TypeError(f"callback={callback!r} must be callable")
    n_workers = check_count("n_workers", n_workers, minimum=1)
    if max_cost is not None:
        max_cost = check_real("max_cost", max_cost, low=0.0, low_open=True)
        if optimizer_options.get("acquisition") == "logei_per_cost":
            optimizer_options = {**optimizer_options, "max_cost": max_cost}
    parallel = n_workers > 1 or executor is not None
    if parallel and executor is None:
        check_picklable(func)
    opt = _optimizer(space, seed, journal, optimizer_options)
    try:
        with tqdm(total=n_calls, initial=min(len(opt.history), n_calls), disable=not progress,
                  desc="bayesopt", unit="eval") as bar:
            report = _reporter(opt, bar, callback, max_cost)
            if parallel:
                _run_parallel(opt, func, n_calls, n_workers, executor, report)
            else:
                _run(opt, func, n_calls, report)
    finally:
        opt.close()
    return opt.result()


def _optimizer(
    space: Mapping[str, Dimension] | Sequence[Dimension] | Space, seed: int | None,
    journal: str | os.PathLike[str] | None, options: dict[str, Any],
) -> Optimizer:
    if journal is None or not holds_a_run(journal):
        return Optimizer(space, seed=seed, journal=journal, **options)
    opt = Optimizer.resume(journal, space)
    recorded = {**opt.config, "kernel": opt.options.model.kernel}
    given = {**options, **({} if seed is None else {"seed": seed})}
    ignored = sorted(key for key, value in given.items() if recorded.get(key, value) != value)
    if ignored:
        warnings.warn(
            f"resuming journal {str(journal)!r} with its own settings; ignoring {ignored}",
            ResumeSettingsWarning, stacklevel=3,
        )
    return opt


def _reporter(opt: Optimizer, bar: tqdm, callback: Callback | None,
              max_cost: float | None = None) -> Report:
    """Tell one outcome, advance the progress bar, run the callback; True means stop
    (also once the summed cost reaches `max_cost`)."""

    def report(params: dict[str, Any], outcome: Outcome) -> bool:
        if outcome.status == "ok":
            tell_result(opt, params, outcome.payload, outcome.duration)
        else:
            opt.tell_failure(params, outcome.payload, duration=outcome.duration)
        bar.update(1)
        if opt.best is not None:
            bar.set_postfix(best=f"{opt.best.value:.6g}", refresh=False)
        if max_cost is not None and opt.total_cost >= max_cost:
            return True
        return bool(callback is not None and callback(opt.history[-1], opt))

    return report


def _run(opt: Optimizer, func: Objective, n_calls: int, report: Report) -> None:
    in_flight = opt.pending  # asked before an interruption, never told: evaluate them first
    while len(opt.history) < n_calls:
        params = in_flight.pop(0) if in_flight else opt.ask()
        if report(params, evaluate_in_worker(func, params)):
            break


def _run_parallel(opt: Optimizer, func: Objective, n_calls: int, n_workers: int,
                  executor: Any, report: Report) -> None:
    resolved, owned = resolve_executor(executor, n_workers)
    loop = AsyncLoop(opt, func, resolved, owned, n_workers, n_calls, report)
    try:
        with single_threaded():  # the workers hold the cores
            loop.run(first=opt.pending)
    finally:
        loop.close()


def tell_result(opt: Optimizer, params: dict[str, Any], value: Any,
                duration: float | None = None) -> None:
    """Tell a returned value (or a pair (value, constraints)), its wall time as its cost; a
    non-number or non-finite value or constraint is a failed evaluation."""
    value, constraints = value if isinstance(value, tuple) and len(value) == 2 else (value, None)
    try:
        number = float(value)
        values = None if constraints is None else [float(c) for c in constraints]
    except (TypeError, ValueError):
        opt.tell_failure(params, f"objective returned {value!r} with constraints "
                         f"{constraints!r}: not numbers", duration=duration)
        return
    if not math.isfinite(number) or not all(math.isfinite(c) for c in values or []):
        opt.tell_failure(params, f"objective returned {number!r} with constraints {values!r}",
                         duration=duration)
        return
    cost = duration if duration is not None and duration > 0 else None
    opt.tell(params, number, duration=duration, constraints=values, cost=cost)

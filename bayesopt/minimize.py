"""`minimize`: the ask/evaluate/tell loop for a plain Python callable."""

from __future__ import annotations

import math
import traceback
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from tqdm.auto import tqdm

from bayesopt.optimizer import Optimizer
from bayesopt.result import Observation, OptimizeResult
from bayesopt.space import Dimension, Space

Objective = Callable[[dict[str, Any]], float]
Callback = Callable[[Observation, Optimizer], Any]


def minimize(
    func: Objective, space: Mapping[str, Dimension] | Sequence[Dimension] | Space,
    n_calls: int = 50, *, seed: int | None = None, progress: bool = True,
    callback: Callback | None = None, **optimizer_options: Any,
) -> OptimizeResult:
    """Minimize `func(params)` over `space` with Bayesian optimization.

    Parameters
    ----------
    func : callable
        Called with one dict of parameters; returns a number. An exception
        (other than KeyboardInterrupt) or a non-finite return value is recorded
        as a failed evaluation with its traceback, and the run goes on.
    space : dict or list
        The search space, as for `Optimizer`.
    n_calls : int
        Number of evaluations (failed ones included).
    seed : int, optional
        Seed for a reproducible run.
    progress : bool
        Show a tqdm progress bar with the best value so far.
    callback : callable, optional
        ``callback(observation, optimizer)`` after every evaluation; return
        True to stop early.
    **optimizer_options
        Passed to `Optimizer` (acquisition, kernel, n_initial, maximize, ...).

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
    opt = Optimizer(space, seed=seed, **optimizer_options)
    with tqdm(total=n_calls, disable=not progress, desc="bayesopt", unit="eval") as bar:
        for _ in range(n_calls):
            params = opt.ask()
            _evaluate_and_tell(opt, func, params)
            observation = opt.history[-1]
            bar.update(1)
            if opt.best is not None:
                bar.set_postfix(best=f"{opt.best.value:.6g}", refresh=False)
            if callback is not None and callback(observation, opt):
                break
    return opt.result()


def _evaluate_and_tell(opt: Optimizer, func: Objective, params: dict[str, Any]) -> None:
    try:
        value = func(dict(params))
    except Exception:  # noqa: BLE001 - a failing evaluation must not end the run
        opt.tell_failure(params, traceback.format_exc())
        return
    try:
        number = float(value)
    except (TypeError, ValueError):
        opt.tell_failure(params, f"objective returned {value!r}, not a number")
        return
    if not math.isfinite(number):
        opt.tell_failure(params, f"objective returned {number!r}")
        return
    opt.tell(params, number)

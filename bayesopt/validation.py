"""Checks at the public boundary: each raises naming the argument, the value and the rule."""

from __future__ import annotations

import difflib
import inspect
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any, TypeAlias

import numpy as np

from acquisition.checks import (  # re-exported: one check in one place
    check_bool,
    check_choice,
    check_count,
    check_nonnegative,
    check_real,
    is_real,
    shown,
)

__all__ = ["ARRAY_HINT", "Number", "as_array", "as_batch", "check_bool", "check_choice",
           "check_constraint_row", "check_constraint_values", "check_costs", "check_count",
           "check_durations", "check_flags", "check_nonnegative", "check_not_zero_d",
           "check_real", "check_value",
           "history_hint", "is_real", "key_names", "key_problems", "keyword_only",
           "metrics_history", "reported_curve", "shown", "unknown_keywords"]

# One number a user tells or an objective returns, as `is_real` accepts it
# (`acquisition.checks`): a Python or numpy int or float, or a fractions.Fraction (a
# bool is refused at run time, which no static type can say: bool is an int). numpy's own
# scalars are not subclasses of float in its stubs, except float64.
Number: TypeAlias = "float | Fraction | np.floating[Any] | np.integer[Any]"

# What users of the peers write for an argument, and its name here (scikit-optimize's
# gp_minimize/Optimizer, hyperopt's fmin, Optuna's samplers, create_study and
# study.optimize, Keras Tuner's max_trials, scikit-learn's random_state, Talos'
# round_limit).
PEER_NAMES = {
    "n_initial_points": "n_initial", "n_random_starts": "n_initial",
    "n_startup_trials": "n_initial", "random_state": "seed", "rstate": "seed",
    "acq_func": "acquisition", "verbose": "progress", "max_evals": "n_calls",
    "n_trials": "n_calls", "max_trials": "n_calls", "n_jobs": "n_workers",
    "direction": "maximize", "points_to_evaluate": "x0", "round_limit": "n_calls",
}


def as_array(value: Any) -> Any:
    """`value` itself, or, for an array-like that is not a number nor a numpy array (a
    pandas Series or Index: any object with numpy's ``__array__`` protocol), its
    numpy array, which the checks of a list of values read as they read an array."""
    if isinstance(value, np.ndarray) or is_real(value) or not hasattr(value, "__array__"):
        return value
    return np.asarray(value)


def as_batch(params: Any, value: Any) -> tuple[list[Mapping[str, Any]], list[Any]]:
    """One point and one value, or equal-length lists of each (a list, tuple, numpy
    array or array-like: `as_array`), as two lists."""
    if isinstance(params, Mapping):
        return [params], [value]
    if not isinstance(params, Sequence) or isinstance(params, (str, bytes)):
        raise TypeError(f"params must be a dict or a list of dicts, got {shown(params)}")
    points = list(params)
    for position, point in enumerate(points):
        if not isinstance(point, Mapping):
            raise TypeError(f"params must be a dict or a list of dicts, got {shown(point)} at "
                            f"position {position}")
    if value is None:
        return points, [None] * len(points)
    value = as_array(value)
    if isinstance(value, (str, bytes)) or not isinstance(value, (Sequence, np.ndarray)):
        raise TypeError(
            f"a list of {len(points)} params needs a list of values, got {shown(value)}")
    values = list(value)
    if len(values) != len(points):
        raise ValueError(f"got {len(points)} params but {len(values)} values")
    return points, values


def key_problems(*groups: tuple[str, Sequence[str]]) -> str:
    """The non-empty groups of wrong keys, in order: e.g. ``("missing", [...]), ("unknown",
    [...])`` → "missing key(s) ['a'], unknown key(s) ['b']" (an empty group is left out)."""
    return ", ".join(f"{what} key(s) {list(keys)}" for what, keys in groups if keys)


def key_names(function: Callable[..., Any]) -> set[str]:
    """The names `function` takes by keyword (``self``, ``cls`` and ``**kwargs`` left out)."""
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return {name for name, p in inspect.signature(function).parameters.items()
            if p.kind in kinds and name not in ("self", "cls")}


def keyword_only(function: Callable[..., Any]) -> dict[str, inspect.Parameter]:
    """The keyword-only parameters of `function`, by name (with their defaults)."""
    return {name: p for name, p in inspect.signature(function).parameters.items()
            if p.kind is p.KEYWORD_ONLY}


def unknown_keywords(given: Iterable[str], accepted: Iterable[str], where: str,
                     reasons: Mapping[str, str] | None = None) -> None:
    """Raise TypeError naming the first of `given` not in `accepted`, with the peers'
    name for it (`PEER_NAMES`) or else the closest accepted name (difflib), if any;
    `reasons` says, for a keyword that `where` has no counterpart of, why."""
    names = sorted(accepted)
    for key in given:
        if key in names:
            continue
        peer = PEER_NAMES.get(key)
        close = difflib.get_close_matches(key, names, n=1)
        hint = (f": {reasons[key]}" if reasons and key in reasons
                else f"; write {peer}= (the name of {key}= here)" if peer in names
                else f"; did you mean {close[0]}=?" if close else "")
        raise TypeError(f"{where} got the unknown keyword argument {key}={hint}; it "
                        f"accepts {names}")


ARRAY_HINT = ("a one-number numpy array is not read as a number: give float(value) "
              "(a torch or jax scalar tensor: value.item())")


def metrics_history(value: Any) -> Mapping[str, Any] | None:
    """The per-epoch metrics of a Keras-style training history, or None: a Keras
    ``History`` (its ``.history``), a ``(history, model)`` pair (what a Talos model
    function returns), or a dict whose values are all lists or 1-D arrays of numbers
    (``History.history``, ``{"loss": [0.9, 0.6], "val_loss": [1.0, 0.8]}``)."""
    if isinstance(value, tuple) and len(value) == 2:
        value = value[0]
    value = getattr(value, "history", value)
    if not isinstance(value, Mapping) or not value:
        return None
    for series in value.values():
        if isinstance(series, (str, bytes)) or not isinstance(series, (Sequence, np.ndarray)):
            return None
        if np.ndim(series) != 1 or not all(is_real(v) for v in series):
            return None
    return value


def history_hint(value: Any, verb: str) -> str:
    """The hint for a training history returned or told (`metrics_history`): one number
    from it, which `verb` ("return" or "tell") names; "" for any other value."""
    metrics = metrics_history(value)
    if metrics is None:
        return ""
    key = next((k for k in ("val_loss", "loss") if k in metrics), next(iter(metrics)))
    where = "history" if isinstance(value, Mapping) else "history.history"
    return (f"a training history (per-epoch metrics {sorted(metrics)}, a Keras History's "
            f"or a Talos model's) is not read here: {verb} one number from it, e.g. "
            f"{where}[{key!r}][-1] (with maximize=True for an accuracy), and keep the "
            "model yourself")


def check_value(value: Any, position: int | None = None) -> float:
    """A finite objective value; NaN and ±inf point the caller to `tell_failure`."""
    where = "" if position is None else f" at position {position}"
    if not is_real(value):
        hint = f" ({ARRAY_HINT})" if isinstance(value, np.ndarray) and value.size == 1 else ""
        if isinstance(value, Mapping) and {"loss", "status"} & set(value):
            hint = (" (hyperopt's result dict is not read here: tell result['loss'], and "
                    "tell_failure(params, error) for status 'fail')")
        if metrics_history(value) is not None:
            hint = f" ({history_hint(value, 'tell')})"
        raise TypeError(f"objective value{where} must be a real number, got {shown(value)}{hint}")
    try:
        number = float(value)
    except OverflowError:  # an int beyond float range
        number = math.inf
    if not math.isfinite(number):
        raise ValueError(
            f"objective value{where} is {number!r}; report a failed evaluation with "
            "tell_failure(params, error) instead of a non-finite value"
        )
    return number


def check_not_zero_d(name: str, value: Any) -> None:
    """Raise TypeError naming `name` for a 0-d numpy array, which is neither one number
    (`is_real`) nor a sequence (``len`` and iteration raise numpy's own errors)."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        raise TypeError(f"{name}={value!r} is a 0-d numpy array: give float({name}) for one "
                        "number, or a list")


def check_durations(duration: Any, n_points: int) -> list[float | None]:
    """Seconds per evaluated point: None, one number for every point, or a list of one per point."""
    duration = as_array(duration)
    check_not_zero_d("duration", duration)
    if isinstance(duration, (list, tuple, np.ndarray)):
        durations = list(duration)
        if len(durations) != n_points:
            raise ValueError(f"got {len(durations)} durations for {n_points} point(s)")
    else:
        durations = [duration] * n_points
    return [None if d is None else check_nonnegative("duration", d) for d in durations]


def check_flags(key: str, flags: Any, n_points: int) -> list[bool]:
    """True or False for every point, or a list (array, Series) of one per point."""
    flags = as_array(flags)
    if isinstance(flags, (bool, np.bool_)):
        return [bool(flags)] * n_points
    if not isinstance(flags, (list, tuple, np.ndarray)):
        raise TypeError(f"{key}={shown(flags)} must be True or False, or a list of one per point")
    check_not_zero_d(key, flags)
    items = list(flags)
    if len(items) != n_points:
        raise ValueError(f"{key}: got {len(items)} flags for {n_points} point(s)")
    return [check_bool(f"{key}[{i}]", f) for i, f in enumerate(items)]


def check_constraint_values(constraints: Any, n_points: int,
                            expected: int | None) -> list[tuple[float, ...]] | None:
    """Outcome-constraint values: None, one sequence of k numbers (one point), or one per point.

    `expected` is the optimizer's number of constraints (None: not fixed yet);
    every point must carry the same number, each finite (c ≤ 0 is satisfied).
    """
    if constraints is None:
        if expected:
            raise ValueError(f"constraints=None, but this optimizer has {expected} outcome "
                             "constraint(s): tell their values with every value")
        return None
    constraints = as_array(constraints)
    check_not_zero_d("constraints", constraints)
    if is_real(constraints):
        raise ValueError(f"constraints={shown(constraints)} is one number: give a list "
                         "with one value per outcome constraint, "
                         f"constraints=[{float(constraints)!r}] for one (and "
                         "one such list per told point for a batch)")
    rows = [constraints] if n_points == 1 and _is_flat(constraints) else constraints
    if not isinstance(rows, (list, tuple, np.ndarray)) or len(rows) != n_points:
        raise ValueError(f"constraints={shown(constraints)}: give one list of constraint values "
                         f"per told point ({n_points})")
    checked = []
    for position, row in enumerate(rows):
        try:
            values = check_constraint_row(row, expected)
        except (TypeError, ValueError) as error:
            if n_points == 1:
                raise
            raise type(error)(f"constraints at position {position}: {error}") from None
        expected = len(values)
        checked.append(values)
    return checked


def check_constraint_row(row: Any, expected: int | None, *,
                         finite: bool = True) -> tuple[float, ...]:
    """One point's outcome-constraint values: a non-empty list of numbers, `expected` of
    them (None: any number). With ``finite=False`` a value may be NaN or ±inf (those an
    objective returned with a failed evaluation, which `minimize` records as text)."""
    if not _is_flat(row) or len(row) == 0:
        raise TypeError(f"constraints: {shown(row)} must be a non-empty list of numbers")
    values = tuple(check_real("constraint value", v) if finite else float(v) for v in row)
    if expected is not None and len(values) != expected:
        raise ValueError(f"constraints={list(values)} has {len(values)} value(s); this "
                         f"optimizer has {expected} outcome constraint(s)")
    return values


def check_costs(cost: Any, n_points: int) -> list[float | None]:
    """Costs per told point (None, one number for every point, or one per point), each > 0."""
    cost = as_array(cost)
    check_not_zero_d("cost", cost)
    costs = list(cost) if isinstance(cost, (list, tuple, np.ndarray)) else [cost] * n_points
    if len(costs) != n_points:
        raise ValueError(f"got {len(costs)} costs for {n_points} point(s)")
    checked: list[float | None] = []
    for c in costs:
        checked.append(None if c is None else check_real("cost", c, low=0.0, low_open=True))
    return checked


def _is_flat(value: Any) -> bool:
    """A list, tuple or 1-D array of scalars (not of lists)."""
    if isinstance(value, np.ndarray):
        return value.ndim == 1
    return isinstance(value, (list, tuple)) and not any(
        isinstance(v, (list, tuple, np.ndarray)) for v in value)


def reported_curve(step: Any, value: Any,
                   ) -> tuple[tuple[float, ...], tuple[float, ...], tuple[Any, ...]]:
    """The steps (≥ 0, increasing) and finite values of a `report` (`Optimizer.report`,
    `bayesopt.Run.report`), and the steps as given (for messages): one number each, or
    equal-length lists of them (`as_array`: arrays and Series too)."""
    step, value = as_array(step), as_array(value)
    if not isinstance(step, (list, tuple, np.ndarray)):  # one step: its value one number
        return (check_real("step", step, 0.0),), (_check_reported(value, step),), (step,)
    if not isinstance(value, (list, tuple, np.ndarray)):
        raise TypeError(f"report: step={shown(step)} and value={shown(value)}: give one number "
                        "each, or two equal-length lists (a learning curve)")
    check_not_zero_d("step", step)
    check_not_zero_d("value", value)
    # an array's entries as Python numbers, so that a message shows 3 and inf, not
    # np.int64(3) and np.float64(inf)
    steps, values = (x.tolist() if isinstance(x, np.ndarray) else list(x) for x in (step, value))
    if len(steps) != len(values) or not steps:
        raise ValueError(f"report: {len(steps)} step(s) for {len(values)} value(s): give "
                         "one value per step, and at least one")
    numbers = tuple(check_real(f"step[{i}]", s, 0.0) for i, s in enumerate(steps))
    for i in range(1, len(numbers)):
        if numbers[i] <= numbers[i - 1]:
            raise ValueError(f"report: step[{i}]={shown(steps[i])} must be after "
                             f"step[{i - 1}]={shown(steps[i - 1])} (steps increase)")
    return numbers, tuple(_check_reported(v, s) for v, s in zip(values, steps)), tuple(steps)


def _check_reported(value: Any, step: Any) -> float:
    """A finite reported value; a NaN or infinite loss (a diverged run) points to tell_failure."""
    try:
        return check_value(value)
    except TypeError as error:  # the message names report's argument, not a tell's
        raise TypeError(f"report: value={shown(value)} at step={shown(step)} must be a real "
                        "number" + str(error).partition(shown(value))[2]) from None
    except ValueError:
        raise ValueError(f"report: value={shown(value)} at step={shown(step)} is not finite "
                         "(a diverged run?): stop training it and tell it with "
                         "tell_failure(params, error)") from None

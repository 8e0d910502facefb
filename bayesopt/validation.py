"""Checks at the public boundary: each raises naming the argument, the value and the rule."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from acquisition.checks import (  # re-exported: one check in one place
    check_bool,
    check_choice,
    check_count,
    check_nonnegative,
    check_real,
)

__all__ = ["as_batch", "check_bool", "check_choice", "check_count", "check_durations",
           "check_nonnegative", "check_real", "check_value"]


def as_batch(params: Any, value: Any) -> tuple[list[Mapping[str, Any]], list[Any]]:
    """One point and one value, or equal-length lists of each, as two lists."""
    if isinstance(params, Mapping):
        return [params], [value]
    if not isinstance(params, Sequence) or isinstance(params, (str, bytes)):
        raise TypeError(f"params must be a dict or a list of dicts, got {params!r}")
    points = list(params)
    if value is None:
        return points, [None] * len(points)
    if isinstance(value, (str, bytes)) or not isinstance(value, (Sequence, np.ndarray)):
        raise TypeError(f"a list of {len(points)} params needs a list of values, got {value!r}")
    values = list(value)
    if len(values) != len(points):
        raise ValueError(f"got {len(points)} params but {len(values)} values")
    return points, values


def check_value(value: Any, position: int | None = None) -> float:
    """A finite objective value; NaN and ±inf point the caller to `tell_failure`."""
    where = "" if position is None else f" at position {position}"
    if isinstance(value, (bool, np.bool_)) or not isinstance(
        value, (int, float, np.integer, np.floating)
    ):
        raise TypeError(f"objective value{where} must be a real number, got {value!r}")
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


def check_durations(duration: Any, n_points: int) -> list[float | None]:
    """Seconds per evaluated point: None, one number for every point, or a list of one per point."""
    if isinstance(duration, (list, tuple, np.ndarray)):
        durations = list(duration)
        if len(durations) != n_points:
            raise ValueError(f"got {len(durations)} durations for {n_points} point(s)")
    else:
        durations = [duration] * n_points
    return [None if d is None else check_nonnegative("duration", d) for d in durations]

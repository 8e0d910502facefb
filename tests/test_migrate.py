"""Bringing a history in: bulk tells from pandas tables, and the errors of a bad row.

    history(n) : n evaluated points of `SPACE` and their values, as a user holds them
    frame      : the same as a pandas DataFrame (one column per dimension, then "value")

A user arriving from Optuna, scikit-optimize, hyperopt or a spreadsheet tells her
evaluated trials at once; pandas is real here, never mocked.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from bayesopt import Categorical, Integer, Optimizer, Real

pd = pytest.importorskip("pandas")

SPACE = {
    "lr": Real(1e-5, 1e-1, log=True),
    "layers": Integer(1, 8),
    "batch": Categorical([16, 32, 64]),
}


def history(n: int) -> tuple[list[dict[str, Any]], list[float]]:
    rng = np.random.default_rng(0)
    points = [{"lr": float(10 ** rng.uniform(-5, -1)), "layers": int(rng.integers(1, 9)),
               "batch": [16, 32, 64][int(rng.integers(3))]} for _ in range(n)]
    values = [(math.log10(p["lr"]) + 3) ** 2 + p["layers"] / 10 for p in points]
    return points, values


def told(opt: Optimizer) -> list[tuple[dict[str, Any], float | None, float | None, float | None]]:
    return [(o.params, o.value, o.duration, o.cost) for o in opt.history]


def test_a_pandas_series_of_values_durations_and_costs_is_told_as_a_list_is() -> None:
    points, values = history(6)
    seconds = [1.0 + i for i in range(6)]
    frame = pd.DataFrame({"value": values, "seconds": seconds}, index=range(10, 16))
    by_list, by_series = Optimizer(SPACE, seed=0), Optimizer(SPACE, seed=0)
    by_list.tell(points, values, duration=seconds, cost=seconds)
    by_series.tell(points, frame["value"], duration=frame["seconds"], cost=frame["seconds"])
    assert told(by_series) == told(by_list)
    by_list.tell_failure(points[:2], duration=seconds[:2], cost=seconds[:2])
    by_series.tell_failure(points[:2], duration=frame["seconds"][:2], cost=frame["seconds"][:2])
    assert told(by_series) == told(by_list)
    assert by_series.ask() == by_list.ask()


def test_a_series_of_constraint_values_per_point_is_told_as_their_table() -> None:
    points, values = history(4)
    table = pd.DataFrame({"c0": [-1.0, 0.5, -0.2, 1.0], "c1": [0.0, -1.0, -2.0, -3.0]})
    by_list = Optimizer(SPACE, seed=0, n_constraints=2)
    by_frame = Optimizer(SPACE, seed=0, n_constraints=2)
    by_list.tell(points, values, constraints=table.to_numpy().tolist())
    by_frame.tell(points, pd.Series(values), constraints=table)
    assert [o.constraints for o in by_frame.history] == [o.constraints for o in by_list.history]


@pytest.mark.parametrize("column, error, match", [
    (pd.Series([1.0, math.nan, 2.0]), ValueError, "position 1 is nan.*tell_failure"),
    (pd.Series([1.0, None, 2.0], dtype=object), TypeError, "position 1 must be a real number, got None"),
    (pd.Series([1.0, pd.NA, 2.0], dtype="Float64"), ValueError, "position 1 is nan.*tell_failure"),
    (pd.Series([1.0, 2.0]), ValueError, "3 params but 2 values"),
])
def test_a_series_of_values_with_an_empty_cell_raises_naming_its_position(
        column: Any, error: type[Exception], match: str) -> None:
    points, _ = history(3)
    opt = Optimizer(SPACE, seed=0)
    with pytest.raises(error, match=match):
        opt.tell(points, column)
    assert opt.history == []

"""Rows of a pandas DataFrame as points of a space: a history told at once.

    frame : pandas.DataFrame, one row per point (in order; its index is not read) and
            one column per dimension, named as the dimension — or every column named
            ``params_`` + a dimension (`PARAMS_PREFIX`: `OptimizeResult.to_pandas`'s
            prefixed columns, Optuna's `trials_dataframe`'s), read as that dimension
    point : dict {name: value} of one row's non-empty cells

An empty cell — None, a float NaN, pandas.NA or NaT, as pandas writes a missing value
and `OptimizeResult.to_pandas` an inactive dimension — is an absent key, except in the
column of a Categorical that has that value among its choices (a None or NaN choice,
which to_pandas keeps as itself). So the empty cells of a conditional dimension where it
is inactive leave it out, and an empty cell where a dimension is active raises as a
missing key does (`Space.validate_points`, naming it and the row's position). A column
that names no dimension raises there too: nothing in the frame is ignored.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from bayesopt.space import Categorical, Space

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["PARAMS_PREFIX", "frame_points", "is_frame"]

PARAMS_PREFIX = "params_"  # Optuna's `trials_dataframe` prefix; no table's own column has it


def is_frame(value: Any) -> bool:
    """Whether `value` is a pandas DataFrame (pandas is not imported for this: a value can
    be one only once pandas is)."""
    pandas = sys.modules.get("pandas")
    return pandas is not None and isinstance(value, pandas.DataFrame)


def frame_points(space: Space, frame: pd.DataFrame) -> list[dict[Any, Any]]:
    """The rows of `frame` as points, their empty cells left out (module docstring)."""
    if not frame.columns.is_unique:
        repeated = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
        raise ValueError(f"params: the DataFrame's column(s) {repeated} appear more than once")
    columns = _dimension_names(space, list(frame.columns))
    choosable = [isinstance(space.dimensions[space.names.index(c)], Categorical)
                 if c in space.names else False for c in columns]
    empty = frame.isna().to_numpy()
    points = []
    for row, blanks in zip(frame.itertuples(index=False, name=None), empty):
        points.append({c: v for c, v, blank, choice in zip(columns, row, blanks, choosable)
                       if not blank or (choice and _is_choice(space[c], v))})
    return points


def _dimension_names(space: Space, columns: list[Any]) -> list[Any]:
    """The dimension each column stands for: its own name; or, when every column is
    `PARAMS_PREFIX` + a dimension's name and either none names a dimension itself or the
    space's own table prefixes its columns (`bayesopt.export.prefixes_parameters`: a
    dimension named like a table column, so ``{"value", "params_value"}`` is written
    ``params_value``, ``params_params_value``), that name. Any other frame's columns as
    they are (`Space.validate_points` names those that name none)."""
    from bayesopt.export import prefixes_parameters

    stripped = [c[len(PARAMS_PREFIX):] if isinstance(c, str) and c.startswith(PARAMS_PREFIX)
                else None for c in columns]
    if (columns and all(name in space.names for name in stripped)
            and (not any(c in space.names for c in columns)
                 or prefixes_parameters(space.names))):
        return stripped
    return columns


def _is_choice(dim: Any, value: Any) -> bool:
    """Whether the empty `value` is one of the Categorical `dim`'s choices."""
    try:
        dim.validate(value)
    except ValueError:
        return False
    return True

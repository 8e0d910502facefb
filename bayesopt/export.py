"""Export an `OptimizeResult`: a pandas table, and JSON that loads back losslessly.

Table (`OptimizeResult.to_pandas`): one row per evaluation, indexed by the
observation's `index`; one column per dimension, named as the dimension — or, when a
dimension is named like one of the table's own columns below (or ``index``), every one
prefixed ``params_`` as Optuna's `trials_dataframe` does, whatever the history
(`parameter_columns`; a `params_prefix` given is used as given). A dimension's cells
are empty where it is inactive: NaN for a Real, <NA> for an Integer (then pandas'
nullable Int64) and for a Categorical (then dtype object, each choice as itself, as is a
Categorical with a None choice: None stays None). Then

    value      float, NaN for a failed evaluation
    status     "ok", "failed" or "pruned"
    error      the error text of a failed evaluation, else None
    timestamp  when the tell happened, datetime64 in UTC (NaT if unknown)
    duration   seconds the evaluation took, float (NaN if unknown)
    cost       the evaluation's cost as told, float (NaN if unknown)
    continues  with a Fidelity: the index of the run a promotion continues, nullable
               integer (only if some observation has one; <NA> where absent)
    step       the step of the report that stopped a pruned run, float (only if
               some run was pruned; NaN where absent)
    constraint_0, constraint_1, ...   outcome-constraint values (only if any
               observation has them; NaN where absent)

JSON (`OptimizeResult.to_json` / `OptimizeResult.from_json`), format version 2:

    {"format": "bayesopt-result", "version": 2, "library": "0.16.0",
     "space": {name: Dimension.to_dict(), ...}, "maximize": false,
     "seed": 12345, "fingerprint": "…16 hex…",
     "inexact_choices": [names of categorical dimensions JSON cannot carry],
     "history": [{"index": 0, "point": [...], "value": 0.25, "status": "ok",
                  "error": null, "timestamp": 1.7e9, "duration": 0.5,
                  "constraints": [-0.1], "cost": 0.5}, ...]}

("constraints" and "cost" are written only for observations that have them.)

with "continues" (a promotion's source index) and "step" (where a pruned run
stopped) in the entries that have them.

A point is a list in the space's order, as in the journal
(`bayesopt.journal.encode_point`): numbers as they are, a category by the
index of its choice — so the history round-trips exactly for any hashable
choice. The space's choices are written as the journal writes them
(`bayesopt.journal.space_to_json`): strings, numbers, booleans and None as they
are, a NaN or infinite float as ``{"float": "nan"}``, tuples of them as
``{"tuple": [...]}``; a choice JSON cannot carry exactly
(a class, an enum member, a numpy scalar) is written as its repr, and its
dimension is listed in "inexact_choices": loading such a file then needs the
space passed in, which is checked against the stored one. Version 1 (read,
no longer written) stored tuples as lists and listed their dimensions as
inexact. The surrogate is not exported; a loaded
result has `model=None`, and best point and value are recomputed from the
history.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from bayesopt.journal import (
    JournalError,
    decode_point,
    encode_point,
    first_difference,
    space_from_json,
    space_to_json,
)
from bayesopt.result import Observation, OptimizeResult
from bayesopt.space import Categorical, Dimension, Integer, Space
from bayesopt.storage import codec
from bayesopt.tables import PARAMS_PREFIX
from bayesopt.validation import (
    check_constraint_values,
    check_costs,
    check_count,
    check_nonnegative,
    check_value,
)

if TYPE_CHECKING:
    import pandas as pd

RESULT_FORMAT = "bayesopt-result"
RESULT_VERSION = 2
READABLE_RESULT_VERSIONS = (1, 2)
RESULT_COLUMNS = ("value", "status", "error", "timestamp", "duration", "cost")
LINK_COLUMNS = ("continues", "step")  # written only when some observation has one
_CONSTRAINT_COLUMN = re.compile(r"constraint_\d+")

SpaceLike = Mapping[str, Dimension] | Sequence[Dimension] | Space


# --------------------------------------------------------------------- pandas
def result_to_pandas(result: OptimizeResult, params_prefix: str | None = None) -> pd.DataFrame:
    """The history as a DataFrame (columns in the module docstring)."""
    names = parameter_columns(result.space.names, _table_column, params_prefix)
    pd = _import_pandas()
    history = result.history
    index = pd.Index([o.index for o in history], name="index")
    columns: dict[str, Any] = {  # empty where a conditional dimension is inactive
        column: _parameter_column(pd, dim, name, history, index)
        for column, name, dim in zip(names, result.space.names, result.space.dimensions)
    }
    linked = [key for key in LINK_COLUMNS if any(getattr(o, key) is not None for o in history)]
    columns["value"] = [math.nan if o.value is None else o.value for o in history]
    columns["status"] = [o.status for o in history]
    columns["error"] = [o.error for o in history]
    columns["timestamp"] = pd.to_datetime([o.timestamp for o in history], unit="s", utc=True)
    columns["duration"] = [math.nan if o.duration is None else o.duration for o in history]
    columns["cost"] = [math.nan if o.cost is None else o.cost for o in history]
    if "continues" in linked:
        columns["continues"] = pd.array([o.continues for o in history], dtype="Int64")
    if "step" in linked:
        columns["step"] = [math.nan if o.step is None else o.step for o in history]
    k = max((len(o.constraints) for o in history if o.constraints is not None), default=0)
    for i in range(k):
        columns[f"constraint_{i}"] = [math.nan if o.constraints is None else o.constraints[i]
                                      for o in history]
    frame = pd.DataFrame(columns, index=index)
    frame.attrs.update(seed=result.seed, fingerprint=result.fingerprint, maximize=result.maximize)
    return frame


def parameter_columns(names: Sequence[str], taken: Callable[[str], bool],
                      params_prefix: str | None = None) -> list[str]:
    """The column of each dimension of `names` in a table whose own columns are those
    `taken` says: ``params_prefix + name``. None (the default) prefixes none, unless a
    dimension is named like one of the table's own columns: then `PARAMS_PREFIX` prefixes
    every one, so a space's columns never depend on its history and nothing is overwritten.
    A given prefix is used as given; ValueError naming it if a column it makes is taken."""
    if params_prefix is None:
        params_prefix = PARAMS_PREFIX if any(map(taken, names)) else ""
    elif not isinstance(params_prefix, str):
        raise TypeError(f"params_prefix={params_prefix!r} must be a string (or None)")
    columns = [params_prefix + name for name in names]
    clash = [column for column in columns if taken(column)]
    if clash:
        raise ValueError(f"params_prefix={params_prefix!r} names dimension column(s) {clash} "
                         "like the table's own columns; leave params_prefix out (every "
                         f"dimension column is then prefixed {PARAMS_PREFIX!r}) or pass another")
    return columns


def prefixes_parameters(names: Sequence[str]) -> bool:
    """Whether `to_pandas` (its default `params_prefix`) prefixes the dimension columns of
    a space of dimensions `names`: one is named like a column of the table's own."""
    return any(map(_table_column, names))


def _table_column(name: str) -> bool:
    """Whether `to_pandas` may write a column, or name its index, `name` (a dimension's
    column must not be one, whatever the history)."""
    return (name in ("index", *RESULT_COLUMNS, *LINK_COLUMNS)
            or _CONSTRAINT_COLUMN.fullmatch(name) is not None)


def _parameter_column(pd: Any, dim: Dimension, name: str, history: Sequence[Observation],
                      index: Any) -> Any:
    """A dimension's values, keeping their types where pandas' inference would not (it
    turns [None, 3] into [NaN, 3.0]): an Integer inactive somewhere as nullable Int64
    (<NA> where inactive) instead of floats around NaN; a Categorical inactive somewhere
    or with a None choice as dtype object holding each choice itself (3 stays 3, None
    stays None), pd.NA where inactive."""
    values = [o.params.get(name) for o in history]
    always = all(name in o.params for o in history)
    if isinstance(dim, Categorical) and not (always and None not in dim.choices):
        return pd.Series([o.params.get(name, pd.NA) for o in history],
                         index=index, dtype=object)
    if isinstance(dim, Integer) and not always:
        return pd.array(values, dtype="Int64")
    return values  # a Real: NaN where inactive


def _import_pandas() -> Any:
    try:
        import pandas
    except ImportError as error:
        raise ImportError(
            "OptimizeResult.to_pandas needs pandas, an optional dependency: "
            "pip install 'bayesopt[pandas]'"
        ) from error
    return pandas


# ----------------------------------------------------------------------- JSON
def result_to_json(result: OptimizeResult) -> str:
    """The result as one JSON document (format in the module docstring)."""
    from bayesopt import __version__

    document = {
        "format": RESULT_FORMAT, "version": RESULT_VERSION, "library": __version__,
        "space": space_to_json(result.space), "maximize": result.maximize,
        "seed": result.seed, "fingerprint": result.fingerprint,
        "inexact_choices": inexact_choices(result.space),
        "history": [_observation_to_dict(result.space, o) for o in result.history],
    }
    return json.dumps(document, allow_nan=False, default=repr)


def _observation_to_dict(space: Space, obs: Observation) -> dict[str, Any]:
    entry = {
        "index": obs.index, "point": encode_point(space, obs.params), "value": obs.value,
        "status": obs.status, "error": obs.error, "timestamp": obs.timestamp,
        "duration": obs.duration,
        **{key: getattr(obs, key) for key in ("continues", "step")
           if getattr(obs, key) is not None},
    }
    if obs.constraints is not None:
        entry["constraints"] = list(obs.constraints)
    if obs.cost is not None:
        entry["cost"] = obs.cost
    return entry


def inexact_choices(space: Space) -> list[str]:
    """Names of the categorical dimensions with a choice that JSON does not carry exactly."""
    return [d.name for d in space.dimensions  # type: ignore[misc]
            if isinstance(d, Categorical) and not all(map(_choice_exact, d.choices))]


def _choice_exact(value: object) -> bool:
    """Whether `space_to_json` stores the choice so that it reads back equal and of its type."""
    if type(value) is tuple:
        return all(map(_choice_exact, value))
    if type(value) is float and not math.isfinite(value):  # stored as {"float": "nan"}
        return True
    return _json_exact(value)


def _json_exact(value: object) -> bool:
    try:
        back = json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError):
        return False
    return type(back) is type(value) and back == value


def result_from_json(text: str, space: SpaceLike | None = None) -> OptimizeResult:
    """The inverse of `result_to_json`; `space` is required when choices are inexact."""
    if not isinstance(text, (str, bytes)):
        raise TypeError(f"text must be the JSON string written by to_json, got {type(text)}")
    try:
        document = codec.loads(text)
    except ValueError as error:
        raise ValueError(f"not valid JSON: {error}") from None
    _check_document(document)
    result_space = _space(document, space)
    history = document["history"]
    if not isinstance(history, list):
        raise TypeError(f"'history' must be a list, got {history!r}")
    observations = [_observation(result_space, entry, i) for i, entry in enumerate(history)]
    maximize = document["maximize"]
    if not isinstance(maximize, bool):
        raise TypeError(f"'maximize' must be true or false, got {maximize!r}")
    seed, fingerprint = _identity(document)
    return OptimizeResult.from_history(observations, result_space, maximize, seed=seed,
                                       fingerprint=fingerprint)


def _identity(document: dict[str, Any]) -> tuple[int | None, str | None]:
    """The run's seed and fingerprint (version 2; None where absent)."""
    seed, fingerprint = document.get("seed"), document.get("fingerprint")
    if not (fingerprint is None or isinstance(fingerprint, str)):
        raise TypeError(f"'fingerprint' must be text or null, got {fingerprint!r}")
    return None if seed is None else check_count("seed", seed), fingerprint


def _check_document(document: Any) -> None:
    if not isinstance(document, dict) or document.get("format") != RESULT_FORMAT:
        raise ValueError("not a bayesopt result (written by OptimizeResult.to_json)")
    if document.get("version") not in READABLE_RESULT_VERSIONS:
        raise ValueError(f"result format version {document.get('version')!r}; this library "
                         f"reads versions {list(READABLE_RESULT_VERSIONS)}")
    missing = [key for key in ("space", "maximize", "inexact_choices", "history")
               if key not in document]
    if missing:
        raise ValueError(f"the result lacks the key(s) {missing}")


def _space(document: dict[str, Any], given: SpaceLike | None) -> Space:
    stored, version = document["space"], document["version"]
    if given is None:
        if document["inexact_choices"]:
            raise ValueError(
                f"the choices of dimension(s) {document['inexact_choices']} did not survive "
                "JSON (stored as their repr); pass the space: OptimizeResult.from_json(text, "
                "space=...)")
        if version == 1:
            return Space.from_dict(stored)
        try:
            return space_from_json(stored)
        except JournalError as error:
            raise ValueError(f"the result's space: {error}; pass the space: "
                             "OptimizeResult.from_json(text, space=...)") from None
    space = given if isinstance(given, Space) else Space(given)
    difference = first_difference(stored if isinstance(stored, dict) else {}, space,
                                  version=version, holder="the result")
    if difference is not None:
        raise ValueError(f"space= differs from the result's space: {difference}")
    return space


def _observation(space: Space, entry: Any, position: int) -> Observation:
    where = f"history[{position}]"
    if not isinstance(entry, dict):
        raise TypeError(f"{where} must be an object, got {entry!r}")
    try:
        params = decode_point(space, entry.get("point"))
    except JournalError as error:
        raise ValueError(f"{where}: {error}") from None
    status, value, message = entry.get("status"), entry.get("value"), entry.get("error")
    if status not in ("ok", "failed", "pruned") or (status == "failed") != (value is None):
        raise ValueError(f"{where}: status={status!r} with value={value!r}")
    if not (message is None or isinstance(message, str)):
        raise TypeError(f"{where}: error={message!r} must be text or null")
    index = entry.get("index")
    if isinstance(index, bool) or not isinstance(index, int):
        raise TypeError(f"{where}: index={index!r} must be an integer")
    constraints = entry.get("constraints")
    checked = None if constraints is None else check_constraint_values(constraints, 1, None)
    cost = entry.get("cost")
    return Observation(
        index, params, None if value is None else check_value(value, position), status, message,
        timestamp=_optional_number(entry.get("timestamp"), f"{where}.timestamp"),
        duration=_optional_number(entry.get("duration"), f"{where}.duration"),
        continues=_optional_index(entry.get("continues"), f"{where}.continues"),
        step=_optional_number(entry.get("step"), f"{where}.step"),
        constraints=None if checked is None else checked[0],
        cost=None if cost is None else check_costs(cost, 1)[0],
    )


def _optional_index(value: Any, key: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise TypeError(f"{key}={value!r} must be a history index (an integer >= 0) or null")
    return value


def _optional_number(value: Any, key: str) -> float | None:
    return None if value is None else check_nonnegative(key, value)

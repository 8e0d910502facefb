"""Results out of the library: timing per observation, `to_pandas`, JSON and back, `repr`.

    mixed_run(maximize) : `minimize` on a mixed space (log real, log integer, a
                          categorical with str/None/int/float choices) whose
                          objective raises for one category, so the history
                          holds failures; 9 evaluations
    CHOICES             : that categorical's choices, all carried exactly by JSON
"""

from __future__ import annotations

import io
import json
import math
import re
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd
import pytest

from acquisition.optimizer import AcquisitionOptimizerOptions
from bayesopt import Categorical, Integer, Optimizer, OptimizeResult, Real, minimize
from bayesopt.failures import EvaluationFailedWarning
from bayesopt.fitting import FitOptions
from bayesopt.model import ModelOptions
from bayesopt.options import OptimizerOptions

FAST = OptimizerOptions(
    model=ModelOptions(n_restarts=0, fit=FitOptions(maxiter=50)),
    acquisition_optimizer=AcquisitionOptimizerOptions(
        n_candidates=256, n_local_candidates=64, n_restarts=2, maxiter=30
    ),
)
CHOICES = ["relu", None, 3, 0.5, "gelu"]
SPACE = {
    "lr": Real(1e-4, 1e-1, log=True),
    "batch": Integer(16, 256, log=True),
    "act": Categorical(CHOICES),
}


def objective(params: dict[str, Any]) -> float:
    if params["act"] == "gelu":
        raise RuntimeError("diverged")
    return (math.log10(params["lr"]) + 2) ** 2 + 1e-4 * (params["batch"] - 64) ** 2


def mixed_run(maximize: bool = False) -> OptimizeResult:
    with pytest.warns(EvaluationFailedWarning, match="diverged"):  # the 'gelu' points
        result = minimize(objective, SPACE, n_calls=9, seed=1, progress=False, n_initial=6,
                          maximize=maximize, options=FAST)
    assert result.n_failed > 0 and result.best_params is not None, "the run must mix outcomes"
    return result


def assert_same_timing(a: OptimizeResult, b: OptimizeResult) -> None:
    assert [o.timestamp for o in a.history] == [o.timestamp for o in b.history]
    assert [o.duration for o in a.history] == [o.duration for o in b.history]


# --------------------------------------------------------------------- timing
def test_minimize_records_when_and_how_long() -> None:
    start = time.time()
    result = mixed_run()
    stamps = [o.timestamp for o in result.history]
    assert all(s is not None and start <= s <= time.time() for s in stamps)
    assert stamps == sorted(stamps)  # type: ignore[type-var]
    assert all(o.duration is not None and 0 <= o.duration < 5 for o in result.history)


def test_parallel_minimize_records_each_evaluations_duration() -> None:
    with ThreadPoolExecutor(2) as pool, pytest.warns(EvaluationFailedWarning, match="diverged"):
        result = minimize(objective, SPACE, n_calls=6, seed=2, progress=False, n_initial=6,
                          executor=pool, n_workers=2, options=FAST)
    assert len(result.history) == 6
    assert all(o.duration is not None and o.duration >= 0 for o in result.history)
    assert all(o.timestamp is not None for o in result.history)


def test_tell_takes_a_duration_and_stamps_the_time() -> None:
    opt = Optimizer(SPACE, seed=0, options=FAST)
    first, second = opt.ask(2)
    opt.tell(first, 1.0, duration=2.5)
    opt.tell_failure(second, "oom")
    one, two = opt.history
    assert one.duration == 2.5 and two.duration is None
    assert one.timestamp is not None and two.timestamp is not None
    batch = opt.ask(2)
    opt.tell(batch, [1.0, 2.0], duration=[1.0, None])
    assert [o.duration for o in opt.history[2:]] == [1.0, None]


@pytest.mark.parametrize(("duration", "error", "match"), [
    (-1.0, ValueError, r"duration=-1\.0 must be finite and >= 0"),
    (math.nan, ValueError, r"duration=nan must be finite"),
    ("2s", TypeError, r"duration='2s' must be a number"),
    ([1.0, 2.0], ValueError, r"got 2 durations for 1 point"),
])
def test_a_bad_duration_is_refused(duration: Any, error: type[Exception], match: str) -> None:
    opt = Optimizer(SPACE, seed=0, options=FAST)
    params = opt.ask()
    with pytest.raises(error, match=match):
        opt.tell(params, 1.0, duration=duration)
    with pytest.raises(error, match=match):
        opt.tell_failure(params, "x", duration=duration)
    assert opt.history == [] and opt.pending == [params]


def test_timing_is_not_part_of_an_observations_identity(tmp_path: Any) -> None:
    """A resumed history equals the original, and the journal (format 2) carries timing."""
    opt = Optimizer(SPACE, seed=0, options=FAST, journal=tmp_path / "run.jsonl")
    params = opt.ask()
    opt.tell(params, 1.0, duration=3.0)
    opt.close()
    resumed = Optimizer.resume(tmp_path / "run.jsonl", append=False)
    assert resumed.history == opt.history
    restored, original = resumed.history[0], opt.history[0]
    assert (restored.timestamp, restored.duration) == (original.timestamp, 3.0)


# --------------------------------------------------------------------- pandas
def test_to_pandas_has_one_row_per_evaluation() -> None:
    result = mixed_run()
    table = result.to_pandas()
    assert list(table.columns) == [*SPACE, "value", "status", "error", "timestamp", "duration",
                                   "cost"]
    assert list(table.index) == [o.index for o in result.history]
    for (_, row), obs in zip(table.iterrows(), result.history):
        for name in SPACE:  # pandas shows the choice None as missing
            value = obs.params[name]
            assert pd.isna(row[name]) if value is None else row[name] == value
        assert row["status"] == obs.status
        if obs.ok:
            assert row["value"] == obs.value and pd.isna(row["error"])
        else:
            assert math.isnan(row["value"]) and "diverged" in row["error"]
        assert row["timestamp"] == pd.Timestamp(obs.timestamp, unit="s", tz="UTC")
        assert row["duration"] == obs.duration
        assert pd.isna(row["cost"]) if obs.cost is None else row["cost"] == obs.cost
    assert table["batch"].dtype == np.int64 and table["lr"].dtype == np.float64
    assert str(table["timestamp"].dtype) == "datetime64[ns, UTC]"


@pytest.mark.parametrize("choices", [[None, 5, 10], [None, "balanced"]])
def test_to_pandas_keeps_a_none_choice_and_the_others_types(choices) -> None:
    """scikit-learn's max_depth=[None, 5, 10] was shown as [NaN, 5.0, 10.0] (float64), and
    class_weight=[None, "balanced"] as NaN in a string column: None read as missing."""
    opt = Optimizer({"c": Categorical(choices), "x": Real(0, 1)}, seed=0)
    for i, choice in enumerate(choices):
        opt.tell({"c": choice, "x": 0.1 * i}, float(i))
    column = opt.result().to_pandas()["c"]
    assert column.dtype == object
    assert [(type(v), v) for v in column] == [(type(c), c) for c in choices]


def test_to_pandas_attrs_carry_what_identifies_the_run() -> None:
    """A notebook user keeps the run's seed and fingerprint (what `to_json` keeps) with
    the table: ``DataFrame.attrs``."""
    opt = Optimizer({"x": Real(0, 1)}, seed=11, options=FAST, maximize=True)
    opt.tell({"x": 0.5}, 1.0)
    result = opt.result()
    table = result.to_pandas()
    stored = json.loads(result.to_json())
    assert table.attrs == {"seed": 11, "fingerprint": opt.fingerprint, "maximize": True}
    assert {key: stored[key] for key in table.attrs} == table.attrs
    assert Optimizer({"x": Real(0, 1)}, seed=3).result().to_pandas().attrs["seed"] == 3


def test_to_pandas_marks_unknown_timing_as_missing() -> None:
    opt = Optimizer({"x": Real(0, 1)}, seed=0, options=FAST)
    opt.tell({"x": 0.5}, 1.0)
    table = opt.result().to_pandas()
    assert table["duration"].isna().all() and table["timestamp"].notna().all()
    assert table["cost"].isna().all()
    empty = Optimizer({"x": Real(0, 1)}, seed=0).result().to_pandas()
    assert list(empty.columns) == ["x", "value", "status", "error", "timestamp", "duration",
                                   "cost"]
    assert len(empty) == 0


TABLE_COLUMNS = ("value", "status", "error", "timestamp", "duration", "cost", "step",
                 "continues", "constraint_0", "index")


@pytest.mark.parametrize("name", TABLE_COLUMNS)
def test_a_dimension_named_like_a_table_column_prefixes_every_dimension_column(
        name: str) -> None:
    """A hyperparameter named like one of to_pandas' own columns (a scheduler's `step`, a
    warm-up `duration`, `constraint_0`, the index's name) gets every dimension column
    prefixed params_ (Optuna's trials_dataframe prefix): nothing is overwritten (the
    constraint column overwrote the dimension's), the frame is made without an argument
    (it raised), and reset_index and to_csv keep one column per name."""
    opt = Optimizer({name: Real(0, 1), "x": Integer(0, 9)}, seed=0, options=FAST,
                    n_constraints=1)
    points = [{name: 0.25, "x": 3}, {name: 0.75, "x": 7}]
    opt.tell(points, [1.0, 2.0], constraints=[[-1.0], [0.5]])
    table = opt.result().to_pandas()
    assert list(table.columns[:2]) == [f"params_{name}", "params_x"]
    assert table[f"params_{name}"].tolist() == [0.25, 0.75]
    assert table["params_x"].tolist() == [3, 7]
    assert table["value"].tolist() == [1.0, 2.0] and table["status"].tolist() == ["ok"] * 2
    assert table["constraint_0"].tolist() == [-1.0, 0.5]
    assert table.columns.is_unique and table.reset_index().columns.is_unique
    assert pd.read_csv(io.StringIO(table.to_csv())).columns.is_unique


def test_a_space_s_columns_do_not_change_when_a_run_is_first_pruned() -> None:
    """A dimension named step: its column was `step` until a run was pruned, then to_pandas
    raised (the pruned runs' step column); it is params_step from the start."""
    opt = Optimizer({"step": Integer(1, 100), "x": Real(0, 1)}, seed=0, options=FAST)
    opt.tell({"step": 10, "x": 0.5}, 1.0)
    before = opt.result().to_pandas()
    point = {"step": 20, "x": 0.25}
    opt.add_pending(point)
    opt.report(point, 1, 0.5)
    opt.tell(point, 0.5, pruned=True)
    after = opt.result().to_pandas()
    assert list(after.columns) == [*before.columns, "step"]
    assert after["params_step"].tolist() == [10, 20] and after["step"].isna().tolist() == [
        True, False]


def test_a_plain_space_keeps_its_columns_and_a_given_prefix_is_used_as_given() -> None:
    opt = Optimizer({"lr": Real(0, 1), "run": Integer(0, 3)}, seed=0, options=FAST)
    opt.tell({"lr": 0.5, "run": 2}, 1.0)
    assert list(opt.result().to_pandas().columns[:3]) == ["lr", "run", "value"]
    assert list(opt.result().to_pandas(params_prefix="p.").columns[:2]) == ["p.lr", "p.run"]
    clashing = Optimizer({"value": Real(0, 1), "status": Integer(0, 3)}, seed=0, options=FAST)
    clashing.tell({"value": 0.5, "status": 2}, 1.0)
    with pytest.raises(ValueError, match=r"params_prefix='' names dimension column\(s\) "
                                         r"\['value', 'status'\] like the table's own"):
        clashing.result().to_pandas(params_prefix="")
    table = clashing.result().to_pandas(params_prefix="param_")
    assert table["param_value"].tolist() == [0.5] and table["value"].tolist() == [1.0]
    with pytest.raises(TypeError, match="params_prefix=1 must be a string"):
        clashing.result().to_pandas(params_prefix=1)  # type: ignore[arg-type]


def test_a_prefixed_table_is_told_back_as_the_dimensions_it_names() -> None:
    """to_pandas' params_ columns (and Optuna's trials_dataframe's) are read as the
    dimensions they name when every column is so prefixed: a history round-trips through
    its table (it raised, the columns naming no dimension); a column's own name wins, and a
    frame mixing both is refused naming the column."""
    space = {"value": Real(0, 1), "n": Integer(1, 9)}
    opt = Optimizer(space, seed=0, options=FAST)
    opt.tell([{"value": 0.25, "n": 3}, {"value": 0.5, "n": 8}], [1.0, 2.0])
    table = opt.result().to_pandas()
    again = Optimizer(space, seed=0, options=FAST)
    again.tell(table.filter(regex="^params_"), table["value"])
    assert [(o.params, o.value) for o in again.history] == [
        (o.params, o.value) for o in opt.history]
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) \['params_n'\]"):
        again.tell(pd.DataFrame({"value": [0.1], "params_n": [2]}), [3.0])
    named = Optimizer({"x": Real(0, 1), "params_x": Real(0, 1)}, seed=0, options=FAST)
    named.tell(pd.DataFrame({"params_x": [0.25], "x": [0.75]}), [1.0])
    assert named.history[0].params == {"x": 0.75, "params_x": 0.25}


def test_a_prefixed_table_of_a_dimension_named_params_something_is_told_back() -> None:
    """A space {"value", "params_value"} is written params_value, params_params_value
    (`value` is a table column, so every dimension is prefixed); told back, the column
    params_value was read as the dimension params_value, since it names one, and
    params_params_value refused as unknown (review43): the export did not round-trip,
    and a frame of the params_value column alone was read as the wrong dimension."""
    space = {"value": Real(0, 1), "params_value": Real(0, 1)}
    opt = Optimizer(space, seed=0, options=FAST)
    opt.tell([{"value": 0.25, "params_value": 0.75}, {"value": 0.5, "params_value": 0.125}],
             [1.0, 2.0])
    table = opt.result().to_pandas()
    assert list(table.filter(regex="^params_").columns) == ["params_value",
                                                            "params_params_value"]
    again = Optimizer(space, seed=0, options=FAST)
    again.tell(table.filter(regex="^params_"), table["value"])
    assert [(o.params, o.value) for o in again.history] == [
        (o.params, o.value) for o in opt.history]
    with pytest.raises(ValueError, match=r"missing .*'params_value'"):
        again.tell(table[["params_value"]].iloc[:1], [3.0])  # the dimension `value` alone


def test_show_and_the_notebook_table_name_a_dimension_apart_from_their_columns(
        tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """`bayesopt show` and a result's HTML table had two `value` headers (the objective's,
    the dimension's) for a dimension named value: every dimension header is prefixed
    params_ then, as in to_pandas."""
    from bayesopt.cli import main

    journal = tmp_path / "run.jsonl"
    opt = Optimizer({"value": Real(0, 1), "rank": Integer(1, 5)}, seed=0, options=FAST,
                    journal=journal)
    opt.tell({"value": 0.25, "rank": 2}, 7.0)
    opt.close()
    assert main(["show", str(journal)]) == 0
    header = capsys.readouterr().out.splitlines()[1].split()
    assert header == ["rank", "value", "params_value", "params_rank", "index", "run"]
    html = opt.result()._repr_html_()
    assert re.findall(r"<th>(.*?)</th>", html) == ["index", "value", "params_value",
                                                   "params_rank"]
    plain = Optimizer({"lr": Real(0, 1)}, seed=0, options=FAST)
    plain.tell({"lr": 0.5}, 1.0)
    assert re.findall(r"<th>(.*?)</th>", plain.result()._repr_html_()) == [
        "index", "value", "lr"]


def test_to_pandas_without_pandas_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)  # what an environment without pandas does
    result = Optimizer({"x": Real(0, 1)}, seed=0).result()
    with pytest.raises(ImportError, match=r"pip install 'bayesopt\[pandas\]'"):
        result.to_pandas()


# ----------------------------------------------------------------------- repr
def test_repr_is_short() -> None:
    result = mixed_run()
    text = repr(result)
    assert text.startswith("OptimizeResult(best_value=") and "Observation" not in text
    assert f"n_evaluations={len(result.history)}" in text
    assert f"n_failed={result.n_failed}" in text and repr(result.best_params) in text
    assert repr(Optimizer({"x": Real(0, 1)}).result()) == (
        "OptimizeResult(best_value=nan, best_params=None, n_evaluations=0, n_failed=0, "
        "maximize=False)")


def test_the_repr_counts_the_runs_stopped_early() -> None:
    """A Keras Tuner style run whose reports stopped most runs printed n_failed=0 and
    nothing else about them: n_pruned is shown once a run is pruned."""
    opt = Optimizer({"x": Real(0, 1)}, seed=0)
    first, second = opt.ask(2)
    opt.report(first, 1, 0.1)
    opt.tell(first, 0.1)
    assert opt.report(second, 1, 0.9) is True  # worse than the rung's other run: stop
    opt.tell(second, 0.9)
    result = opt.result()
    assert result.n_pruned == 1
    assert repr(result).endswith("n_evaluations=2, n_failed=0, n_pruned=1, maximize=False)")


def test_every_name_the_repr_shows_is_an_attribute_with_that_value() -> None:
    """A user reads `n_evaluations=7` in the repr and types result.n_evaluations: it was
    an AttributeError."""
    result = mixed_run()
    shown = re.findall(r"(\w+)=", repr(result).removeprefix("OptimizeResult("))
    assert "n_evaluations" in shown
    for name in shown:
        assert f"{name}={getattr(result, name)!r}" in repr(result), name
    assert result.n_evaluations == len(result.history) == len(result)


# ----------------------------------------------------------------------- JSON
@pytest.mark.parametrize("maximize", [False, True])
def test_json_round_trip_is_lossless(maximize: bool) -> None:
    result = mixed_run(maximize)
    loaded = OptimizeResult.from_json(result.to_json())
    assert loaded == result  # history, best point and value, space, maximize
    assert loaded.maximize is maximize and loaded.model is None
    assert_same_timing(loaded, result)
    for a, b in zip(loaded.history, result.history):
        assert [type(v) for v in a.params.values()] == [type(v) for v in b.params.values()]
        assert a.error == b.error


def test_a_result_carries_its_seed_and_fingerprint_through_json() -> None:
    """A run without a seed can be repeated from its result; a paper can cite its settings."""
    def f(p: dict[str, Any]) -> float:
        return (p["x"] - 0.3) ** 2

    result = minimize(f, {"x": Real(0, 1)}, n_calls=7, progress=False, options=FAST)
    assert isinstance(result.seed, int)
    assert result.fingerprint == Optimizer({"x": Real(0, 1)}, options=FAST).fingerprint
    again = minimize(f, {"x": Real(0, 1)}, n_calls=7, seed=result.seed, progress=False,
                     options=FAST)
    assert [o.params for o in again.history] == [o.params for o in result.history]
    loaded = OptimizeResult.from_json(result.to_json())
    assert (loaded.seed, loaded.fingerprint) == (result.seed, result.fingerprint)


def test_json_round_trip_when_every_evaluation_failed() -> None:
    opt = Optimizer(SPACE, seed=0, options=FAST)
    for params in opt.ask(3):
        opt.tell_failure(params, ValueError("nope"))
    loaded = OptimizeResult.from_json(opt.result().to_json())
    assert loaded.history == opt.result().history and loaded.best_params is None
    assert math.isnan(loaded.best_value)


class Adam:
    """A choice that JSON cannot carry (a class)."""


def test_choices_json_cannot_carry_round_trip_by_index_with_the_space() -> None:
    space = {"opt": Categorical([Adam, "sgd"]), "shape": Categorical([(1, 2), (3, 4)]),
             "x": Real(0, 1)}
    opt = Optimizer(space, seed=0, options=FAST)
    for params in opt.ask(4):
        opt.tell(params, params["x"])
    text = opt.result().to_json()
    with pytest.raises(ValueError, match=r"\['opt'\] did not survive JSON.*space="):
        OptimizeResult.from_json(text)
    loaded = OptimizeResult.from_json(text, space=space)
    assert loaded == opt.result()
    assert {p["opt"] for p in (o.params for o in loaded.history)} <= {Adam, "sgd"}
    other = {**space, "shape": Categorical([(1, 2), (5, 6)])}
    with pytest.raises(ValueError, match=r"dimension 1 is 'shape': .* in the result, not 'shape': .*5, 6"):
        OptimizeResult.from_json(text, space=other)


def test_tuple_choices_round_trip_without_the_space() -> None:
    """As in the journal: a tuple (of JSON values, nested too) is stored tagged, not as a list."""
    space = {"layers": Categorical([(64,), (64, 32), ("a", (1, None))]), "x": Real(0, 1)}
    opt = Optimizer(space, seed=0, options=FAST)
    for params in opt.ask(4):
        opt.tell(params, params["x"])
    loaded = OptimizeResult.from_json(opt.result().to_json())
    assert loaded == opt.result() and loaded.space == opt.result().space
    assert loaded.space["layers"].choices == ((64,), (64, 32), ("a", (1, None)))
    assert {type(o.params["layers"]) for o in loaded.history} == {tuple}


def test_a_version_1_result_still_loads() -> None:
    """Version 1 stored tuples as lists and listed them as inexact: it loads with space=."""
    space = {"shape": Categorical([(1, 2), (3, 4)]), "x": Real(0, 1)}
    opt = Optimizer(space, seed=0, options=FAST)
    for params in opt.ask(3):
        opt.tell(params, params["x"])
    document = json.loads(opt.result().to_json())
    document.update(version=1, inexact_choices=["shape"],
                    space=json.loads(json.dumps(opt.space.to_dict())))  # tuples as lists
    text = json.dumps(document)
    with pytest.raises(ValueError, match=r"\['shape'\] did not survive JSON"):
        OptimizeResult.from_json(text)
    assert OptimizeResult.from_json(text, space=space) == opt.result()


def edit(text: str, change: Any) -> str:
    document = json.loads(text)
    change(document)
    return json.dumps(document)


@pytest.mark.parametrize(("change", "error", "match"), [
    (lambda d: d.update(format="other"), ValueError, "not a bayesopt result"),
    (lambda d: d.update(version=99), ValueError, "version 99"),
    (lambda d: d.pop("history"), ValueError, r"lacks the key\(s\) \['history'\]"),
    (lambda d: d["history"][0].update(point=[0.5]), ValueError, r"history\[0\].*3 entries"),
    (lambda d: d["history"][0].update(point=[0.5, 16, 9]), ValueError,
     r"history\[0\].*'act': 9 is not a category index"),
    (lambda d: d["history"][1].update(value=None), ValueError, r"history\[1\]: status='ok'"),
    (lambda d: d["history"][1].update(duration=-2), ValueError, r"history\[1\]\.duration=-2"),
    (lambda d: d.update(maximize="yes"), TypeError, "'maximize' must be true or false"),
    (lambda d: d.update(seed=-3), ValueError, "seed=-3 must be >= 0"),
    (lambda d: d.update(fingerprint=7), TypeError, "'fingerprint' must be text or null"),
])
def test_a_damaged_json_result_is_refused(change: Any, error: type[Exception], match: str) -> None:
    opt = Optimizer(SPACE, seed=0, options=FAST)
    opt.tell([{"lr": 0.01, "batch": 32, "act": "relu"}, {"lr": 0.02, "batch": 64, "act": 3}],
             [1.0, 2.0])
    with pytest.raises(error, match=match):
        OptimizeResult.from_json(edit(opt.result().to_json(), change))


def test_from_json_needs_json() -> None:
    with pytest.raises(ValueError, match="not valid JSON"):
        OptimizeResult.from_json("{")
    # nested deeper than json's decoder recurses: was a RecursionError
    with pytest.raises(ValueError, match="not valid JSON: arrays or objects nested too deeply"):
        OptimizeResult.from_json("[" * 100_000 + "]" * 100_000)
    with pytest.raises(TypeError, match="must be the JSON string"):
        OptimizeResult.from_json(42)  # type: ignore[arg-type]


@pytest.mark.parametrize("name, hint", [
    ("x", r"scikit-optimize's x \(a list\) is best_params here"),
    ("fun", "fun is best_value here"),
    ("x_iters", r"\[o.params for o in history\]"),
    ("func_vals", "func_vals is values here"),
    ("best_trial", "Optuna's best_trial is best here"),
    ("trials", "trials is history here"),
    ("results", r"hyperopt's trials\.results is history here"),
    ("losses", r"hyperopt's trials\.losses\(\) is values here"),
    ("argmin", "hyperopt's argmin is best_params here"),
])
def test_a_peers_result_attribute_says_what_to_read_here(name: str, hint: str) -> None:
    import copy
    import pickle

    result = mixed_run()
    with pytest.raises(AttributeError, match=f"no attribute '{name}'; .*{hint}"):
        getattr(result, name)
    assert not hasattr(result, name)
    with pytest.raises(AttributeError, match=r"no attribute 'nonsense'$"):
        result.nonsense  # noqa: B018 - the lookup is the test
    assert pickle.loads(pickle.dumps(result)) == result == copy.deepcopy(result)


def test_a_nan_choice_round_trips_through_json_without_the_space() -> None:
    """A NaN choice (missing_values=np.nan) is written as {"float": "nan"} and read back:
    from_json needs no space= for it (it was listed among the inexact choices)."""
    opt = Optimizer({"missing": Categorical([np.nan, 0.0]), "x": Real(0, 1)}, seed=0)
    for _ in range(4):
        params = opt.ask()
        opt.tell(params, params["x"])
    result = opt.result()
    text = result.to_json()
    assert json.loads(text)["inexact_choices"] == []
    back = OptimizeResult.from_json(text)
    assert [repr(o.params) for o in back.history] == [repr(o.params) for o in result.history]

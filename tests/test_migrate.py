"""Bringing a history in: bulk tells from pandas tables, and the errors of a bad row.

    history(n) : n evaluated points of `SPACE` and their values, as a user holds them
    frame      : the same as a pandas DataFrame (one column per dimension, then "value")

A user arriving from Optuna, scikit-optimize, hyperopt or a spreadsheet tells her
evaluated trials at once; pandas is real here, never mocked.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import hyperopt
import numpy as np
import optuna
import pandas as pd
import pytest
from hyperopt import hp

from bayesopt import Categorical, Integer, Optimizer, Real, SuccessiveHalving, minimize

DATA = Path(__file__).with_name("data")
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


@pytest.mark.parametrize("row, error, match", [
    ({"lr": 0.5, "layers": 2, "batch": 32}, ValueError,
     r"params at position 3: dimension 'lr': value 0.5 is outside"),
    ({"lr": 0.01, "layers": 2, "batch": "32"}, ValueError,
     r"position 3: dimension 'batch': value '32' is not one of \[16, 32, 64\] \(the text of "
     + r"the choice 32, of type int: convert values read as text"),
    ({"lr": "0.01", "layers": 2, "batch": 32}, TypeError,
     r"position 3: dimension 'lr': value '0.01' must be a number in .* \(a string: convert "
     + r".* pandas.to_numeric\)"),
    ({"lr": 0.01, "layers": 2, "batch": 32, "seed": 7}, ValueError,
     r"params at position 3: unknown parameter\(s\) \['seed'\]"),
])
def test_a_bad_row_of_a_bulk_tell_is_named_by_its_position(
        row: dict[str, Any], error: type[Exception], match: str) -> None:
    points, values = history(5)
    points[3] = row
    opt = Optimizer(SPACE, seed=0)
    for verb in (lambda: opt.tell(points, values), lambda: opt.tell_failure(points),
                 lambda: opt.add_pending(points)):
        with pytest.raises(error, match=match):
            verb()
    assert opt.history == [] and opt.pending == []


CONDITIONAL = {"model": Categorical({
    "svm": {"C": Real(1e-3, 1e3, log=True)},
    "knn": {"k": Integer(1, 50)},
    "none": None,
})}


def test_a_dataframe_is_told_row_by_row_as_its_records_are() -> None:
    points, values = history(40)
    frame = pd.DataFrame(points, index=range(100, 140))
    frame["layers"] = frame["layers"].astype(float)  # ints stored as floats: 3.0
    by_dicts, by_frame = Optimizer(SPACE, seed=0), Optimizer(SPACE, seed=0)
    by_dicts.tell(points[:30], values[:30])
    by_dicts.tell_failure(points[30:], "diverged")
    by_frame.tell(frame.iloc[:30], pd.Series(values[:30]))
    by_frame.tell_failure(frame.iloc[30:], "diverged")
    assert told(by_frame) == told(by_dicts)
    assert [type(o.params["layers"]) for o in by_frame.history] == [int] * 40
    assert by_frame.ask() == by_dicts.ask()


def test_a_conditional_frame_reads_empty_cells_as_inactive_and_raises_where_active() -> None:
    rows = [{"model": "svm", "C": 0.1}, {"model": "knn", "k": 3}, {"model": "none"},
            {"model": "knn", "k": 7}]
    frame = pd.DataFrame(rows)  # k: floats around NaN; C: NaN where inactive
    assert frame["k"].dtype == float
    opt = Optimizer(CONDITIONAL, seed=0)
    opt.tell(frame, [0.3, 0.2, 0.5, 0.1])
    assert [o.params for o in opt.history] == rows
    exported = opt.result().to_pandas()[["model", "C", "k"]]  # <NA> for k where inactive
    again = Optimizer(CONDITIONAL, seed=0)
    again.tell(exported, opt.result().to_pandas()["value"])
    assert told(again)[:4] == [(p, v, None, None) for p, v in
                               zip(rows, [0.3, 0.2, 0.5, 0.1])]
    frame.loc[1, "k"] = math.nan  # an active dimension left empty
    with pytest.raises(ValueError, match=r"position 1: missing parameter\(s\) \['k'\]"):
        opt.tell(frame, [0.3, 0.2, 0.5, 0.1])
    assert len(opt.history) == 4


def test_a_none_or_nan_choice_in_a_frame_is_that_choice_not_an_empty_cell() -> None:
    space = {"impute": Categorical([None, math.nan, "mean"]), "x": Real(0.0, 1.0)}
    frame = pd.DataFrame({"impute": pd.Series([None, math.nan, "mean"], dtype=object),
                          "x": [0.1, 0.2, 0.3]})
    opt = Optimizer(space, seed=0)
    opt.tell(frame, [1.0, 2.0, 3.0])
    got = [o.params["impute"] for o in opt.history]
    assert got[0] is None and isinstance(got[1], float) and math.isnan(got[1])
    assert got[2] == "mean"


@pytest.mark.parametrize("change, error, match", [
    (lambda f: f.assign(value=1.0), ValueError, r"position 0: unknown parameter\(s\) \['value'\]"),
    (lambda f: pd.concat([f, f["lr"]], axis=1), ValueError,
     r"column\(s\) \['lr'\] appear more than once"),
    (lambda f: f.drop(columns="batch"), ValueError, r"position 0: missing parameter\(s\) \['batch'\]"),
    (lambda f: f.assign(lr=f["lr"].where(f.index != 2)), ValueError,
     r"position 2: missing parameter\(s\) \['lr'\]"),
])
def test_a_frame_with_a_column_too_many_or_too_few_raises_naming_it(
        change: Any, error: type[Exception], match: str) -> None:
    points, values = history(4)
    opt = Optimizer(SPACE, seed=0)
    with pytest.raises(error, match=match):
        opt.tell(change(pd.DataFrame(points)), values)
    assert opt.history == []


def test_a_bad_constraint_value_of_a_bulk_tell_is_named_by_its_position() -> None:
    points, values = history(3)
    table = pd.DataFrame({"c": [-1.0, math.nan, 0.5]})  # a run whose constraint was not kept
    opt = Optimizer(SPACE, seed=0, n_constraints=1)
    with pytest.raises(ValueError, match=r"constraints at position 1: constraint value=.*nan"):
        opt.tell(points, values, constraints=table)
    assert opt.history == []


def test_minimize_warm_starts_from_skopts_numpy_values_and_from_a_frame() -> None:
    points, values = history(6)
    frame = pd.DataFrame(points)

    def objective(p: dict[str, Any]) -> float:
        return (math.log10(p["lr"]) + 3) ** 2 + p["layers"] / 10

    runs = [minimize(objective, SPACE, n_calls=2, x0=x0, y0=y0, seed=0, progress=False)
            for x0, y0 in [(points, values), (points, np.array(values)),  # res.func_vals
                           (frame, pd.Series(values))]]
    histories = [[(o.params, o.value) for o in r.history] for r in runs]
    assert len(histories[0]) == 8
    assert histories[1] == histories[0] and histories[2] == histories[0]


def test_an_hp_choice_index_from_hyperopts_misc_vals_points_to_space_eval() -> None:
    hspace = {"batch": hp.choice("batch", [16, 32, 64]),
              "lr": hp.loguniform("lr", math.log(1e-5), math.log(1e-1))}
    trials = hyperopt.Trials()
    hyperopt.fmin(lambda p: (math.log10(p["lr"]) + 3) ** 2 + p["batch"] / 100, hspace,
                  algo=hyperopt.rand.suggest, max_evals=4, trials=trials,
                  rstate=np.random.default_rng(0), show_progressbar=False)
    raw = [{k: v[0] for k, v in t["misc"]["vals"].items() if v} for t in trials.trials]
    losses = [t["result"]["loss"] for t in trials.trials]
    opt = Optimizer({"lr": Real(1e-5, 1e-1, log=True), "batch": Categorical([16, 32, 64])},
                    seed=0)
    index = raw[0]["batch"]
    with pytest.raises(ValueError, match=(
            rf"'batch': value {int(index)} is not one of \[16, 32, 64\] \(an index\? it is choice "
            rf"{[16, 32, 64][index]}: hyperopt's misc.vals holds an hp.choice's index, "
            r"hyperopt.space_eval\(space, vals\) its value\)")):
        opt.tell(raw, losses)
    assert not opt.history  # nothing told
    opt.tell([hyperopt.space_eval(hspace, r) for r in raw], losses)
    assert [o.value for o in opt.history] == losses


@pytest.mark.parametrize("choices, value", [
    (["relu", "tanh"], 2),  # no choice at that index
    (["relu", "tanh"], -1),
    ([16, 32, 64], True),  # a bool is no index
    ([16, 32, 64], 1.0),
])
def test_a_value_that_cannot_be_an_index_gets_no_index_hint(choices: list[Any],
                                                            value: Any) -> None:
    with pytest.raises(ValueError, match="is not one of") as error:
        Categorical(choices, name="c").validate(value)
    assert "index" not in str(error.value)


def _import_curves(opt: Optimizer, trials: list[Any]) -> dict[int, int | None]:
    """The README's import of Optuna trials with their intermediate values (Bringing a
    history in); for each trial, the step this optimizer's reports stopped it at."""
    state = optuna.trial.TrialState
    stopped_at: dict[int, int | None] = {}
    for t in trials:
        opt.add_pending(t.params)
        stops = [step for step, v in sorted(t.intermediate_values.items())
                 if opt.report(t.params, step, v)]
        stopped_at[t.number] = stops[0] if stops else None
        if t.state == state.COMPLETE:
            opt.tell(t.params, t.value)
        elif t.state == state.PRUNED and stops:
            opt.tell(t.params, t.intermediate_values[t.last_step])
        else:
            opt.tell_failure(t.params, f"trial {t.number}: {t.state.name}")
    return stopped_at


def _curve(x: float, step: int) -> float:
    return (x - 0.3) ** 2 + 1.0 / (step + 1)


def _curve_objective(trial: optuna.Trial) -> float:
    """`_curve` of a suggested x reported at steps 0..9, pruned when the study's pruner says."""
    x = trial.suggest_float("x", 0.0, 1.0)
    for step in range(10):
        trial.report(_curve(x, step), step)
        if trial.should_prune():
            raise optuna.TrialPruned()
    return _curve(x, 9)


def test_an_optuna_study_s_intermediate_values_are_brought_in_as_reports(
        optuna_sqlite: Any) -> None:
    """Optuna's SuccessiveHalvingPruner and `SuccessiveHalving` with the same fields follow
    one rule: the trials of a study on SQLite, imported with their intermediate values, are
    stopped at the steps Optuna pruned them, recorded "pruned", and a new curve is then
    stopped where Optuna's pruner stops it on that study."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    fields = {"min_resource": 1, "reduction_factor": 3, "min_early_stopping_rate": 0,
              "bootstrap_count": 0}
    study = optuna.create_study(storage=optuna_sqlite(),
                                sampler=optuna.samplers.RandomSampler(seed=0),
                                pruner=optuna.pruners.SuccessiveHalvingPruner(**fields))

    study.optimize(_curve_objective, n_trials=15)
    pruned = {t.number: t.last_step for t in study.trials
              if t.state == optuna.trial.TrialState.PRUNED}
    assert 0 < len(pruned) < 15
    opt = Optimizer({"x": Real(0.0, 1.0)}, seed=0, pruner=SuccessiveHalving(**fields))
    stopped_at = _import_curves(opt, study.trials)
    assert {n: s for n, s in stopped_at.items() if s is not None} == pruned
    assert [o.status for o in opt.history] == [
        "pruned" if t.number in pruned else "ok" for t in study.trials]
    ended = []
    for x in (0.95, 0.31, 0.6):  # new runs, judged against the imported rungs
        study.enqueue_trial({"x": x})
        trial = study.ask()
        trial.suggest_float("x", 0.0, 1.0)
        opt.add_pending({"x": x})
        for step in range(10):
            trial.report(_curve(x, step), step)
            optuna_stops = trial.should_prune()
            assert opt.report({"x": x}, step, _curve(x, step)) == optuna_stops, (x, step)
            if optuna_stops:
                break
        study.tell(trial, state=optuna.trial.TrialState.PRUNED) if optuna_stops else (
            study.tell(trial, _curve(x, 9)))
        opt.tell({"x": x}, _curve(x, step))
        ended.append(optuna_stops)
    assert ended == [True, False, True]
    assert [o.status for o in opt.history[-3:]] == ["pruned", "ok", "pruned"]


def _median_pruned_study(storage: Any, n_trials: int = 20) -> optuna.Study:
    """A study on SQLite whose trials Optuna's MedianPruner pruned (a rule this library
    does not have): each trial reports `_curve` at steps 0..9 and is pruned by Optuna."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(storage=storage,
                                sampler=optuna.samplers.RandomSampler(seed=1),
                                pruner=optuna.pruners.MedianPruner(n_startup_trials=3))

    study.optimize(_curve_objective, n_trials=n_trials)
    return study


def _import_pruned(opt: Optimizer, trials: list[Any]) -> None:
    """The README's import of an Optuna study's trials with their intermediate values,
    PRUNED ones told pruned (Bringing a history in)."""
    State = optuna.trial.TrialState
    for t in trials:
        opt.add_pending(t.params)
        steps, values = zip(*sorted(t.intermediate_values.items()))
        opt.report(t.params, steps, values)  # one event for the whole curve
        if t.state == State.COMPLETE:
            opt.tell(t.params, t.value)
        elif t.state == State.PRUNED:
            opt.tell(t.params, t.intermediate_values[t.last_step], pruned=True)
        else:
            opt.tell_failure(t.params, f"trial {t.number}: {t.state.name}")


def test_an_optuna_study_s_pruned_trials_are_brought_in_as_pruned(
        tmp_path: Any, optuna_sqlite: Any) -> None:
    """Trials Optuna's MedianPruner pruned were told as failures unless this library's own
    rule stopped them too (the pruner below never stops a run in 10 steps): with
    tell(pruned=True) each is recorded "pruned" at its last step with its last value, the
    GP models it, and a resumed journal holds the same history and asks the same."""
    study = _median_pruned_study(optuna_sqlite())
    trials = study.trials
    pruned = {t.number: t.last_step for t in trials if t.state == optuna.trial.TrialState.PRUNED}
    assert 3 <= len(pruned) <= 17
    journal = tmp_path / "import.jsonl"
    never = SuccessiveHalving(min_resource=100)  # no rung within the trials' 10 steps
    opt = Optimizer({"x": Real(0.0, 1.0)}, seed=0, journal=journal, pruner=never)
    _import_pruned(opt, trials)
    assert [(o.status, o.step, o.value) for o in opt.history] == [
        ("pruned", pruned[t.number], t.intermediate_values[t.last_step]) if t.number in pruned
        else ("ok", None, t.value) for t in trials]
    assert len(opt._state.y_ok) == len(trials)  # a plain space's GP models pruned values
    resumed = Optimizer.resume(journal, append=False)
    assert [(o.params, o.value, o.status, o.step) for o in resumed.history] == [
        (o.params, o.value, o.status, o.step) for o in opt.history]
    assert resumed.ask() == opt.ask()


def test_a_run_told_pruned_is_used_as_a_run_report_stopped() -> None:
    """The same reports and value: a run this library's rule stopped, and one another rule
    stopped told pruned=True, are recorded alike and the next asks are equal."""
    space = {"x": Real(0.0, 1.0), "y": Real(0.0, 1.0)}
    stops = Optimizer(space, seed=3, pruner=SuccessiveHalving(min_resource=1))
    told = Optimizer(space, seed=3, pruner=SuccessiveHalving(min_resource=100))
    for opt in (stops, told):
        opt.tell([{"x": 0.2, "y": 0.2}, {"x": 0.8, "y": 0.4}], [0.3, 0.9])
        for x, curve in ((0.5, [0.2, 0.1]), (0.6, [0.9, 0.8])):
            opt.add_pending({"x": x, "y": 0.5})
            stopped = opt.report({"x": x, "y": 0.5}, [0.5, 1], curve)  # rung 0 at step 1
            opt.tell({"x": x, "y": 0.5}, curve[-1], pruned=opt is told and x == 0.6)
        assert stopped == (opt is stops)
    assert [(o.status, o.step, o.value) for o in told.history] == [
        (o.status, o.step, o.value) for o in stops.history]
    assert told.history[-1].status == "pruned" and told.history[-1].step == 1.0
    assert told.ask() == stops.ask()


def test_reports_after_the_rule_said_stop_are_accepted_and_a_tell_pruned_is_at_the_last(
        tmp_path: Any) -> None:
    """The rule stops x=0.6 at step 1 (worse than x=0.5 at rung 0). As Optuna's trial.report
    after should_prune() said True, later reports are accepted: each returns True again and
    records no rung value. Told plainly, the run trained on past the stop: a complete run,
    "ok" (README, early stopping; 0.9.0 recorded it "pruned" at step 1, the value of step 3);
    told pruned=True after reports past it (its advice ignored until another rule, Optuna's
    pruner, stopped it at step 3), it is "pruned" at step 3, the step of the value told,
    where it was recorded at step 1. A journal reads both back."""
    journal = tmp_path / "j.jsonl"
    opt = Optimizer({"x": Real(0.0, 1.0)}, seed=0, pruner=SuccessiveHalving(min_resource=1),
                    journal=journal)
    opt.add_pending([{"x": 0.5}, {"x": 0.6}, {"x": 0.7}])
    assert not opt.report({"x": 0.5}, 1, 0.2)
    for x, flag in ((0.6, True), (0.7, False)):
        assert opt.report({"x": x}, 1, 0.9)  # the rule says stop at rung 0
        assert opt.report({"x": x}, 2, 0.8) and opt.report({"x": x}, [2.5, 3], [0.75, 0.7])
        opt.tell({"x": x}, 0.7, pruned=flag)
    opt.tell({"x": 0.5}, 0.1)
    assert opt._state.pruning.rungs == {0: [0.2, 0.9, 0.9]}  # no value recorded after a stop
    expected = [(0.6, "pruned", 3.0, 0.7), (0.7, "ok", None, 0.7), (0.5, "ok", None, 0.1)]
    for folded in (opt, Optimizer.resume(journal, append=False)):
        assert [(o.params["x"], o.status, o.step, o.value) for o in folded.history] == expected


def test_a_report_of_a_curve_is_the_reports_of_its_steps_in_turn(tmp_path: Any) -> None:
    """report(params, steps, values) records what a report per step records — rung values,
    stop, last step — in one event, and a journal reads it back alike."""
    pruner = SuccessiveHalving(min_resource=1, reduction_factor=2)
    one_by_one = Optimizer({"x": Real(0.0, 1.0)}, seed=0, pruner=pruner)
    at_once = Optimizer({"x": Real(0.0, 1.0)}, seed=0, pruner=pruner, journal=tmp_path / "j.jsonl")
    curves = {0.1: [0.5, 0.4, 0.3, 0.2, 0.1], 0.9: [0.9, 0.9, 0.8, 0.8, 0.7]}
    for x, curve in curves.items():
        for opt in (one_by_one, at_once):
            opt.add_pending({"x": x})
        said = [one_by_one.report({"x": x}, step, v) for step, v in enumerate(curve, 1)]
        assert at_once.report({"x": x}, np.arange(1, 6), pd.Series(curve)) == said[-1]
        for opt in (one_by_one, at_once):
            opt.tell({"x": x}, curve[-1])
    # 0.9 was stopped at step 1 and reported on to step 5: told plainly, a complete run
    assert one_by_one._state.pruning.rungs == {0: [0.5, 0.9], 1: [0.4], 2: [0.2]}
    assert [o.status for o in at_once.history] == ["ok", "ok"]
    resumed = Optimizer.resume(tmp_path / "j.jsonl", append=False)
    for opt in (at_once, resumed):
        assert opt._state.pruning == one_by_one._state.pruning
        assert [(o.status, o.step) for o in opt.history] == [
            (o.status, o.step) for o in one_by_one.history]
    lines = (tmp_path / "j.jsonl").read_text().splitlines()
    assert sum('"event":"report"' in line for line in lines) == 2


@pytest.mark.parametrize("steps, values, error, match", [
    ([1, 2], [0.5], ValueError, r"2 step\(s\) for 1 value"),
    ([], [], ValueError, r"at least one"),
    ([1, 3, 3], [0.5, 0.4, 0.3], ValueError, r"step\[2\]=3 must be after step\[1\]=3"),
    ([1, -2], [0.5, 0.4], ValueError, r"step\[1\]"),
    ([1, 2], [0.5, math.nan], ValueError, r"value=nan at step=2 is not finite"),
    # an array's entries named as numbers, not as np.int64(3) and np.float64(inf)
    (np.array([1, 3]), np.array([0.5, np.inf]), ValueError, r"value=inf at step=3 is not finite"),
    (np.array([1, 3, 3]), np.array([0.5, 0.4, 0.3]), ValueError,
     r"step\[2\]=3 must be after step\[1\]=3"),
    ([1, 2], 0.5, TypeError, r"give one number each, or two equal-length lists"),
    (1, [0.5], TypeError, r"value=\[0.5\] at step=1 must be a real number"),
])
def test_a_bad_curve_raises_naming_the_entry_and_records_nothing(
        steps: Any, values: Any, error: type[Exception], match: str) -> None:
    opt = Optimizer({"x": Real(0.0, 1.0)}, seed=0)
    opt.add_pending({"x": 0.5})
    with pytest.raises(error, match=match):
        opt.report({"x": 0.5}, steps, values)
    assert opt._state.pruning.last_step == {}
    assert opt.report({"x": 0.5}, 1, 0.5) is False


@pytest.mark.parametrize("pruned, error, match", [
    ("yes", TypeError, r"pruned='yes' must be True or False"),
    ([True], ValueError, r"pruned: got 1 flags for 2 point\(s\)"),
    ([True, 1], TypeError, r"pruned\[1\]=1 must be True or False"),
    ([False, True], ValueError, r"pruned=True for \{'x': 0.7\}, whose run has no report"),
])
def test_a_bad_pruned_flag_raises_and_records_nothing(
        pruned: Any, error: type[Exception], match: str) -> None:
    opt = Optimizer({"x": Real(0.0, 1.0)}, seed=0)
    opt.add_pending([{"x": 0.5}, {"x": 0.7}])
    opt.report({"x": 0.5}, 1, 0.4)
    with pytest.raises(error, match=match):
        opt.tell([{"x": 0.5}, {"x": 0.7}], [0.4, 0.6], pruned=pruned)
    assert opt.history == [] and len(opt.pending) == 2
    opt.tell([{"x": 0.5}, {"x": 0.7}], [0.4, 0.6], pruned=[True, False])
    assert [(o.status, o.step) for o in opt.history] == [("pruned", 1.0), ("ok", None)]


def test_a_journal_written_by_0_7_0_is_read_and_continued_with_a_tell_pruned(
        tmp_path: Any) -> None:
    """tests/data/journal-0.7.0-pruned.jsonl (written by main at 4458f8ad, 0.7.0): reports,
    a run its rule stopped, tells and an ask; 0.8.0 reads it as 0.7.0 folded it, and
    continues it with a tell of the new field."""
    journal = tmp_path / "journal.jsonl"
    journal.write_bytes((DATA / "journal-0.7.0-pruned.jsonl").read_bytes())
    with pytest.warns(UserWarning, match="resumed journal"):
        opt = Optimizer.resume(journal)
    assert [(o.params["x"], o.value, o.status, o.step) for o in opt.history] == [
        (0.1, 0.3, "ok", None), (0.5, 0.6, "pruned", 3.0), (0.9, 1.5, "pruned", 1.0),
        (0.3, 0.45, "ok", None)]
    assert opt.pending == [{"x": 0.23205068800598383, "y": 0.9360692827031016}]
    assert opt.run_ids(opt.pending[0]) == (0, None)  # its three pending events: no ids
    assert opt.add_pending({"x": 0.7, "y": 0.5}) == 1  # numbered since 0.8.0
    opt.report({"x": 0.7, "y": 0.5}, [1, 2], [0.5, 0.45])
    opt.tell({"x": 0.7, "y": 0.5}, 0.45, pruned=True)
    opt.close()
    again = Optimizer.resume(journal, append=False)
    assert [(o.status, o.step) for o in again.history][-1] == ("pruned", 2.0)
    assert [o.value for o in again.history] == [o.value for o in opt.history]

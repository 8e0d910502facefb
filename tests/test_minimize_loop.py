"""`minimize`'s loop: the failure stop rule, warm start (x0, y0) and the time budget.

Counts, never elapsed times, are asserted: a timeout test sleeps in the
objective and checks how many evaluations started, with wide margins.
"""

from __future__ import annotations

import errno
import inspect
import logging
import math
import re
import sys
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest

from acquisition.optimizer import AcquisitionOptimizerOptions
from bayesopt import (
    Categorical,
    EvaluationFailed,
    EvaluationFailedWarning,
    Fidelity,
    Integer,
    Optimizer,
    Real,
    ResumeSettingsWarning,
    ResumeWarning,
    SpaceExhaustedWarning,
    TooManyFailuresError,
    minimize,
)
from bayesopt.fitting import FitOptions
from bayesopt.journal import JournalError
from bayesopt.model import ModelOptions
from bayesopt.optimizer import UnmatchedTellWarning
from bayesopt.options import OptimizerOptions
from bayesopt.storage.jsonl import JSONLStorage
from parallel_objectives import diverges_on_the_right, misspelt_key, sleepy_sphere, sphere

FAST = OptimizerOptions(
    model=ModelOptions(n_restarts=0, fit=FitOptions(maxiter=50)),
    acquisition_optimizer=AcquisitionOptimizerOptions(
        n_candidates=256, n_local_candidates=64, n_restarts=2, maxiter=30
    ),
)
SPACE = {"x": Real(0.0, 1.0), "y": Real(0.0, 1.0)}
LR_SPACE = {"lr": Real(1e-5, 1e-1, log=True)}


def run(func: Any, space: Any = SPACE, n_calls: int = 8, **kwargs: Any) -> Any:
    return minimize(func, space, n_calls=n_calls, seed=0, progress=False, options=FAST,
                    n_initial=4, **kwargs)


class FillingDisk(JSONLStorage):
    """A JSON-lines storage whose appends fail as a full disk's do (EFBIG) once `full`."""

    full = False

    def append(self, study: str, events: Any, **kwargs: Any) -> int:
        if self.full:
            raise OSError(errno.EFBIG, "File too large")
        return super().append(study, events, **kwargs)


@pytest.mark.parametrize("returns", ["value", "nan", "error"])
def test_a_tell_the_storage_refuses_stops_the_run_naming_the_point_to_tell_by_hand(
        tmp_path, returns):
    """minimize stopped by a tell its storage refused (a full disk) raises the storage's
    error naming what was not recorded — the point, its run id, the value (or the
    failure) — in its message and attributes; told by hand once the disk has room, it is
    recorded as the run would have recorded it."""
    storage = FillingDisk(tmp_path / "study.jsonl")
    evaluated: list[dict[str, Any]] = []

    def objective(params: dict[str, Any]) -> float:
        evaluated.append(params)
        storage.full = len(evaluated) == 3
        if storage.full and returns == "error":
            raise RuntimeError("out of memory")
        return math.nan if storage.full and returns == "nan" else params["x"] + params["y"]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EvaluationFailedWarning)
        with pytest.raises(JournalError, match="File too large; not recorded") as info:
            run(objective, storage=storage, study="s")
    storage.close()  # the caller's: minimize leaves a Storage object open
    error, point = info.value, evaluated[-1]
    assert len(evaluated) == 3 and error.params == point and error.run == 2
    assert f"the evaluation of params={point!r} (run 2)" in str(error)
    if returns == "value":
        assert error.value == point["x"] + point["y"] and error.failure is None
        assert f"tell(error.params, {error.value!r}) records it" in str(error)
    else:
        assert (error.failure == "objective returned nan" if returns == "nan"
                else error.failure.endswith("RuntimeError: out of memory\n"))
        assert "tell_failure(error.params, error.failure) records it" in str(error)
    # the disk has room again (the user opens the study again)
    opt = Optimizer(SPACE, seed=0, options=FAST, n_initial=4, storage=tmp_path / "study.jsonl",
                    study="s")
    if error.failure is None:
        opt.tell(error.params, error.value)
    else:
        opt.tell_failure(error.params, error.failure)
    assert opt.history[-1].params == point and len(opt.history) == 3
    opt.close()


class FailingOnce(JSONLStorage):
    """A JSON-lines storage whose next append fails as a full disk's does once `full`, and
    whose later appends go through (the disk had room again before the cancel)."""

    full = False

    def append(self, study: str, events: Any, **kwargs: Any) -> int:
        if self.full:
            self.full = False
            raise OSError(errno.EFBIG, "File too large")
        return super().append(study, events, **kwargs)


@pytest.mark.parametrize("cancel", ["refused", "taken"])
def test_a_refused_tell_says_whether_its_point_is_still_pending_or_was_cancelled(
        tmp_path, cancel):
    """minimize in a shared study stopped by a refused tell cancels the point. If the
    storage refuses the cancel too, the point is still pending and the error says to tell
    it, which records it as its run; if the cancel goes through, the error says the point
    was cancelled, and telling it records it as a point never asked (no run id)."""
    storage = (FillingDisk if cancel == "refused" else FailingOnce)(tmp_path / "study.jsonl")
    evaluated: list[dict[str, Any]] = []

    def objective(params: dict[str, Any]) -> float:
        evaluated.append(params)
        storage.full = len(evaluated) == 3
        return params["x"] + params["y"]

    with pytest.raises(JournalError, match="File too large; not recorded") as info:
        run(objective, storage=storage, study="s")
    storage.close()  # the caller's: minimize leaves a Storage object open
    error, point = info.value, evaluated[-1]
    assert error.params == point and error.run == 2 and error.value == point["x"] + point["y"]
    told = f"tell(error.params, {error.value!r})"
    if cancel == "refused":
        assert str(error).endswith(f" (run 2) — once the storage is fixed, {told} records it")
    else:
        assert str(error).endswith(
            f" (run 2) — the point was then cancelled in the study (the storage took that "
            f"write), so it is no longer pending: {told} records the evaluation as a point "
            "never asked (no run id; an UnmatchedTellWarning while other points are pending)")
    opt = Optimizer(SPACE, seed=0, options=FAST, n_initial=4, storage=tmp_path / "study.jsonl",
                    study="s")
    assert (point in opt.pending) == (cancel == "refused")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing else is pending: no UnmatchedTellWarning
        opt.tell(error.params, error.value)
    told_point = opt.history[-1]
    assert told_point.params == point and len(opt.history) == 3 and opt.pending == []
    assert told_point.run == (2 if cancel == "refused" else None)
    opt.close()


# ------------------------------------------------------------ failure stop rule
def test_broken_objective_warns_at_once_and_stops_with_the_first_traceback(caplog):
    seen_at_first_callback: list[int] = []
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING):
        warnings.simplefilter("always")

        def callback(obs: Any, opt: Any) -> None:
            if obs.index == 0:
                seen_at_first_callback.append(
                    sum(issubclass(w.category, EvaluationFailedWarning) for w in caught))

        with pytest.raises(TooManyFailuresError, match="5 failed evaluations in a row") as info:
            run(lambda p: p["learning_rate"], LR_SPACE, n_calls=30, callback=callback)
    assert seen_at_first_callback == [1]  # visible after the first evaluation, not at the end
    assert sum(issubclass(w.category, EvaluationFailedWarning) for w in caught) == 1
    assert "KeyError: 'learning_rate'" in str(caught[0].message)
    assert any("KeyError: 'learning_rate'" in r.getMessage() for r in caplog.records)
    error = info.value
    assert "KeyError: 'learning_rate'" in error.first_error and "Traceback" in error.first_error
    assert error.n_failures == 5 and len(error.result) == 5 and error.result.n_failed == 5


def test_a_streak_after_successes_stops_at_the_configured_length():
    calls = []

    def objective(params: dict[str, float]) -> float:
        calls.append(params)
        if len(calls) > 4:
            raise RuntimeError("CUDA error: device lost")
        return sphere(params)

    with pytest.warns(EvaluationFailedWarning), pytest.raises(TooManyFailuresError) as info:
        run(objective, n_calls=30, max_consecutive_failures=3)
    assert len(calls) == 7 and len(info.value.result) == 7
    assert "device lost" in info.value.first_error


def test_successes_reset_the_streak():
    calls = []

    def objective(params: dict[str, float]) -> float:
        calls.append(params)
        if len(calls) % 3:  # two errors, one success, two errors, ...
            raise RuntimeError("flaky")
        return sphere(params)

    with pytest.warns(EvaluationFailedWarning):
        result = run(objective, n_calls=12, max_consecutive_failures=3)
    assert len(result) == 12 and result.n_failed == 8


def test_none_disables_the_stop_rule_but_still_warns():
    with pytest.warns(EvaluationFailedWarning, match="learning_rate"):
        result = run(lambda p: p["learning_rate"], LR_SPACE, max_consecutive_failures=None)
    assert len(result) == 8 and result.n_failed == 8 and result.best_params is None


def counted(returned: Any, calls: list[dict[str, Any]]) -> Any:
    """An objective returning `returned` and recording its calls."""
    def objective(params: dict[str, Any]) -> Any:
        calls.append(params)
        return returned
    return objective


def test_a_return_value_that_is_not_a_number_stops_the_run_at_once():
    """A return that is not a number is a bug in the objective, not a failed evaluation:
    the first one raises (with any stop rule, None included) and nothing is told."""
    calls: list[dict[str, Any]] = []
    with pytest.raises(TypeError, match=r"objective returned '0.5 maybe', not a number"):
        run(counted("0.5 maybe", calls), n_calls=10, max_consecutive_failures=None)
    assert len(calls) == 1


@pytest.mark.parametrize("returned", [
    {"loss": 0.5, "status": "ok"}, {"loss": 0.5, "status": "ok", "model": "kept by hyperopt"},
    {"status": "fail"}])
def test_hyperopt_result_dict_is_refused_with_how_to_return_it_here(returned):
    """hyperopt's {"loss": x, "status": STATUS_OK} is an error whose message says what to
    return instead (the README's minimize section says the same)."""
    with pytest.raises(TypeError, match=r"return result\['loss'\]\), raise "
                                        r"bayesopt.EvaluationFailed"):
        run(lambda p: returned, n_calls=6)


@pytest.mark.parametrize("n_constraints", [None, 2])
def test_spearmint_s_dict_of_task_values_is_refused_with_how_to_return_it_here(n_constraints):
    """Spearmint's main(job_id, params) returns {task: value} for the objective and its
    constraints, each met at >= 0; the message said only "return a number, or a tuple"."""
    returned = {"branin": 0.5, "y_at_least_x": 1.0, "y_at_most_10": -2.0}
    with pytest.raises(TypeError, match=(
            r"a dict of named outputs \(keys \['branin', 'y_at_least_x', 'y_at_most_10'\]; "
            r"Spearmint's main returns \{task: value\}\) is not read here: return "
            r"\(out\[objective\], \[c1, \.\.\.\]\), each constraint satisfied when <= 0 "
            r"\(Spearmint's when >= 0: negate those, -out\[constraint\]\)")):
        run(lambda p: returned, n_calls=6, n_constraints=n_constraints)


class History:
    """What Keras' model.fit returns: per-epoch metrics in `.history` (no TensorFlow here)."""

    def __init__(self) -> None:
        self.history = {"loss": [0.9, 0.6], "val_loss": [1.0, 0.8], "val_accuracy": [0.5, 0.7]}


@pytest.mark.parametrize("returned, where", [
    (History().history, "history"),  # was pointed at hyperopt's result['loss'], a list here
    ({"loss": np.array([0.9, 0.6])}, "history"),
    (History(), "history.history"),
    ((History(), "a model"), "history.history"),  # a Talos model function's (history, model)
])
def test_a_training_history_is_refused_with_how_to_return_one_number(returned, where):
    """A Keras History, its dict of per-epoch lists, or Talos' (history, model) got the
    generic message, and the dict hyperopt's `return result['loss']`, whose 'loss' is the
    list of training losses."""
    key = "val_loss" if "val_loss" in getattr(returned[0] if isinstance(returned, tuple)
                                               else returned, "history", returned) else "loss"
    with pytest.raises(TypeError, match=(
            r"a training history \(per-epoch metrics \[.*\], a Keras History's or a Talos "
            rf"model's\) is not read here: return one number from it, e\.g\. "
            rf"{re.escape(where)}\['{key}'\]\[-1\]")) as caught:
        run(lambda p: returned, n_calls=6)
    assert "hyperopt" not in str(caught.value)


@pytest.mark.parametrize("returned", [
    "0.5", b"0.5", True, (0.5, ["-1"]), (0.5, [True])])
def test_a_return_that_tell_would_refuse_is_not_read_as_a_number(returned):
    """minimize reads the objective's return by the rule of `Optimizer.tell`: a string or a
    bool is not a number (float() would read "0.5" as 0.5 and True as 1.0), in the value
    or among the constraints."""
    with pytest.raises(TypeError, match="not a number"):
        run(lambda p: returned, n_calls=6)


@pytest.mark.parametrize("returned, n_constraints, error, hint", [
    ((0.5, -1.0), 1, TypeError, r"the constraint values are a list: \(value, \[-1\.0\]\) for one"),
    ((0.5, [-1.0], 2.5), 1, TypeError,
     r"no cost can be returned: minimize tells each evaluation's wall time"),
    ([0.5, [-1.0]], 1, TypeError, r"a tuple, not a list: return value, \[c1, \.\.\., ck\]"),
    # Keras' model.evaluate, [loss, *metrics]: was told to return a tuple, whose second
    # number the next message made a constraint
    ([0.35, 0.88], None, TypeError,
     (r"a list of numbers is not one value \(Keras' model\.evaluate returns \[loss, "
      r"\*metrics\]\): return the one to minimize, e\.g\. scores\[0\] \(maximize=True for "
      r"an accuracy\)$")),
    (np.array([0.35, 0.88, 0.1]), None, TypeError, r"a list of numbers is not one value"),
    ([0.35], None, TypeError, r"a list of one number is not a number: return its item"),
    ((0.35, 0.88), None, TypeError,
     (r"\(value, \[0\.88\]\) for one outcome constraint, feasible where <= 0 \(a metric "
      r"returned beside the value, an accuracy, is no constraint: return the value alone\)$")),
    ({"value": 0.5, "constraints": [-1.0]}, 1, TypeError,
     r"not a number .or a number and constraints.: return a number, or a tuple \(value, \[c1"),
    # numpy's 0-d result (np.array(...).mean(keepdims=...), a loss turned .numpy())
    (np.array(0.5), 1, TypeError,
     r"one-number numpy array is not read as a number: give float\(value\)"),
    (np.array([0.5]), 1, TypeError, r"torch or jax scalar tensor: value\.item\(\)"),
    # a 0-d array as the constraints, or among them (numpy's 'iteration over a 0-d array'
    # escaped for the first; the second named no fix)
    ((0.5, np.array(-1.0)), 1, TypeError,
     r"the constraint values are a list: \(value, \[-1\.0\]\) for one"),
    ((0.5, [np.array(-1.0)]), 1, TypeError, r"one-number numpy array is not read as a number"),
    # constraint values that do not fit the run: stopped the same way (they raised from
    # tell with a message that did not name the return)
    ((0.5, []), 1, TypeError, r"\[\] must be a non-empty list of numbers"),
    ((0.5, []), None, TypeError, r"\[\] must be a non-empty list of numbers"),
    ((0.5, [-1.0, 2.0]), 1, ValueError, r"has 2 value\(s\); this optimizer has 1 outcome"),
    (0.5, 2, ValueError, r"constraints=None, but this optimizer has 2 outcome constraint"),
    # a failure of the problem (NaN) with constraint values that do not fit the run
    # (the same check as a success's, in the same words: check_constraint_row)
    ((math.nan, []), 1, TypeError, r"\[\] must be a non-empty list of numbers"),
    ((math.nan, [-1.0, 2.0]), 1, ValueError, r"has 2 value\(s\); this optimizer has 1 outcome"),
    ((0.5, [math.inf, 2.0]), 1, ValueError, r"has 2 value\(s\); this optimizer has 1 outcome"),
])
def test_a_return_of_the_wrong_shape_stops_the_run_naming_it(returned, n_constraints, error,
                                                            hint):
    """An objective returning a scalar constraint, a cost, a list, a dict, an empty list of
    constraints or another number of them than the run has stops the run at its first
    return with an error naming the return and the shapes minimize reads, whatever the stop
    rule: nothing is recorded, where a recorded error would spend the budget on the bug."""
    calls: list[dict[str, Any]] = []
    kwargs = {} if n_constraints is None else {"n_constraints": n_constraints}
    with pytest.raises(error, match=hint) as info:
        run(counted(returned, calls), n_calls=6, max_consecutive_failures=None, **kwargs)
    assert str(info.value).startswith(f"objective returned {returned!r}")
    assert len(calls) == 1


def test_a_wrong_return_in_a_journal_leaves_its_point_pending_for_a_corrected_resume(tmp_path):
    """Nothing of a wrong return is recorded: the journal keeps the point pending, and the
    corrected objective resumed on it evaluates that point first."""
    path = tmp_path / "run.jsonl"
    calls: list[dict[str, Any]] = []
    with pytest.raises(TypeError, match=r"the constraint values are a list"):
        run(counted((0.5, -1.0), calls), n_calls=6, journal=path, n_constraints=1)
    fixed: list[dict[str, Any]] = []

    def objective(params: dict[str, Any]) -> Any:
        fixed.append(params)
        return sphere(params), [-1.0]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ResumeWarning: the journal holds a pending point
        result = run(objective, n_calls=3, journal=path, n_constraints=1)
    assert fixed[0] == calls[0] and len(result.history) == 3 and result.n_failed == 0


def test_constraint_values_after_successes_told_without_them_stop_the_run():
    """An objective that starts returning constraints after successes without any
    (n_constraints=None) has changed shape: the run stops naming the return."""
    calls: list[int] = []

    def objective(params: dict[str, float]) -> Any:
        calls.append(1)
        return sphere(params) if len(calls) <= 2 else (sphere(params), [-1.0])

    with pytest.raises(ValueError, match=r"objective returned \(.*, \[-1.0\]\): 1 constraint "
                                         r"value\(s\) told after 2 successful observation"):
        run(objective, n_calls=8)
    assert len(calls) == 3


def test_a_nan_value_alone_in_a_constrained_run_is_a_failure_of_the_problem():
    """A diverged run returning nan with no constraint values fails like any nan: it does
    not count toward max_consecutive_failures."""
    result = run(lambda p: math.nan, n_calls=4, max_consecutive_failures=1, n_constraints=2)
    assert result.n_failed == 4 and all(o.error == "objective returned nan" for o in result.history)


@pytest.mark.parametrize("objective", [
    pytest.param(lambda p: math.nan, id="nan"),
    pytest.param(lambda p: -math.inf, id="inf"),
    pytest.param(lambda p: (_ for _ in ()).throw(EvaluationFailed("loss diverged")),
                 id="EvaluationFailed"),
])
def test_failures_that_are_part_of_the_problem_never_stop_the_run(objective):
    with warnings.catch_warnings():
        warnings.simplefilter("error", EvaluationFailedWarning)
        result = run(objective, n_calls=9, max_consecutive_failures=2)
    assert len(result) == 9 and result.n_failed == 9
    assert all(o.error for o in result.history)


def test_a_one_argument_callback_raises_before_any_evaluation():
    """scikit-optimize's callback(result): it raised Python's 'takes 1 positional argument
    but 2 were given' after the first evaluation, ending the run."""
    calls: list[dict[str, Any]] = []
    with pytest.raises(TypeError, match=r"callback=.* must take two arguments, "
                                        r"callback\(observation, optimizer\); it takes \(res\)"):
        run(lambda p: calls.append(p) or 0.0, callback=lambda res: None)
    assert calls == []
    with pytest.raises(TypeError, match="must be callable .one function"):
        run(sphere, callback=[lambda obs, opt: None])

    class Stop:
        def __call__(self, obs: Any, opt: Any, *rest: Any) -> bool:
            return len(opt.history) >= 3

    assert len(run(sphere, callback=Stop())) == 3
    assert len(run(sphere, n_calls=2, callback=lambda *seen: None)) == 2


@pytest.mark.parametrize("returned, n_constraints, error", [
    (math.nan, None, "objective returned nan"),  # was "... nan with constraints None"
    ((0.5, [math.inf]), 1, "objective returned 0.5 with constraints [inf]"),
])
def test_a_non_finite_return_is_recorded_as_it_was_returned(returned, n_constraints, error):
    result = run(lambda p: returned, n_calls=5, n_constraints=n_constraints)
    assert [o.error for o in result.history] == [error] * 5


def test_evaluation_failed_records_its_message_without_a_traceback():
    result = run(diverges_on_the_right, n_calls=10, max_consecutive_failures=1)
    failed = [o for o in result.history if not o.ok]
    assert failed and all(o.error.startswith("loss diverged at x=") for o in failed)


def test_process_pool_stops_a_broken_objective_and_tells_what_was_in_flight():
    with pytest.warns(EvaluationFailedWarning), pytest.raises(TooManyFailuresError) as info:
        minimize(misspelt_key, SPACE, n_calls=30, seed=0, n_workers=2, progress=False,
                 max_consecutive_failures=4)
    result = info.value.result
    assert 4 <= len(result) <= 5 and result.n_failed == len(result)  # at most one in flight
    assert "KeyError: 'learning_rate'" in info.value.first_error


def test_thread_pool_counts_evaluation_failed_as_part_of_the_problem():
    with warnings.catch_warnings():
        warnings.simplefilter("error", EvaluationFailedWarning)
        result = minimize(diverges_on_the_right, SPACE, n_calls=12, seed=1, n_workers=3,
                          executor=ThreadPoolExecutor(3), progress=False,
                          max_consecutive_failures=1, options=FAST)
    assert len(result) == 12


def test_an_executor_with_one_worker_warns_once_that_it_runs_one_at_a_time():
    with ThreadPoolExecutor(4) as pool, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = minimize(sphere, SPACE, n_calls=4, seed=0, executor=pool, progress=False,
                          options=FAST)
    said = [str(w.message) for w in caught if w.category is UserWarning]
    assert len(result) == 4 and len(said) == 1, said
    assert "n_workers=1" in said[0] and "executor=" in said[0] and "n_workers=k" in said[0]


def test_an_executor_with_several_workers_does_not_warn():
    with ThreadPoolExecutor(2) as pool, warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        result = minimize(sphere, SPACE, n_calls=4, seed=0, executor=pool, n_workers=2,
                          progress=False, options=FAST)
    assert len(result) == 4


@pytest.mark.parametrize("value, error", [
    (0, ValueError), (-1, ValueError), (2.5, TypeError), ("5", TypeError), (True, TypeError),
])
def test_max_consecutive_failures_is_validated(value, error):
    with pytest.raises(error, match="max_consecutive_failures=.* must be"):
        run(sphere, max_consecutive_failures=value)


# ------------------------------------------------------------------- warm start
def test_x0_with_y0_is_told_without_calling_the_objective():
    calls = []
    x0 = [{"x": 0.1, "y": 0.2}, {"x": 0.9, "y": 0.4}]
    result = run(lambda p: calls.append(p) or sphere(p), x0=x0, y0=[3.0, 4.0], n_calls=6)
    assert len(calls) == 6 and len(result) == 8  # y0 is free, as in scikit-optimize
    assert [o.params for o in result.history[:2]] == x0
    assert [o.value for o in result.history[:2]] == [3.0, 4.0]
    assert x0[0] not in calls and x0[1] not in calls


def test_x0_without_y0_is_evaluated_first_and_counts_toward_n_calls():
    calls = []
    x0 = [{"x": 0.1, "y": 0.2}, {"x": 0.9, "y": 0.4}, {"x": 0.5, "y": 0.5}]
    result = run(lambda p: calls.append(p) or sphere(p), x0=x0, n_calls=7)
    assert len(result) == 7 and calls[:3] == x0
    assert [o.value for o in result.history[:3]] == [sphere(p) for p in x0]


def test_a_single_point_and_a_single_value():
    result = run(sphere, x0={"x": 0.3, "y": 0.7}, y0=0.0, n_calls=3)
    assert result.history[0].params == {"x": 0.3, "y": 0.7} and result.best_value == 0.0


def test_x0_in_parallel_is_evaluated_first():
    x0 = [{"x": 0.1, "y": 0.2}, {"x": 0.9, "y": 0.4}]
    result = minimize(sphere, SPACE, n_calls=6, seed=0, n_workers=2, progress=False,
                      executor=ThreadPoolExecutor(2), x0=x0, options=FAST)
    assert len(result) == 6 and all(p in [o.params for o in result.history] for p in x0)


def test_x0_in_parallel_is_pending_while_evaluated_and_warns_nothing():
    """Three x0 points on two workers: the third is evaluated while an asked point is
    pending. It used to be evaluated unmarked, so asks did not count it and its tell matched
    no pending point (an UnmatchedTellWarning the user could do nothing about); it is now
    pending from its dispatch to its tell, like an asked point."""
    x0 = [{"x": 0.1, "y": 0.2}, {"x": 0.9, "y": 0.4}, {"x": 0.5, "y": 0.5}]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = minimize(sleepy_sphere, SPACE, n_calls=6, seed=0, n_workers=2,
                          progress=False, executor=ThreadPoolExecutor(2), x0=x0,
                          options=FAST, n_initial=4)
    assert [w for w in caught if w.category.__name__ == "UnmatchedTellWarning"] == []
    assert len(result) == 6 and [o.params for o in result.history].count(x0[2]) == 1
    assert all(p in [o.params for o in result.history] for p in x0)


def test_resuming_a_journal_does_not_tell_y0_twice(tmp_path):
    journal = tmp_path / "run.jsonl"
    x0, y0 = [{"x": 0.1, "y": 0.2}], [3.0]
    run(sphere, x0=x0, y0=y0, n_calls=4, journal=journal)
    with pytest.warns(ResumeWarning, match="5 evaluations and 0 pending points"):
        result = run(sphere, x0=x0, y0=y0, n_calls=6, journal=journal)
    assert len(result) == 7 and [o.params for o in result.history].count(x0[0]) == 1


def test_resuming_with_the_same_settings_does_not_warn_about_settings(tmp_path):
    """The options given again (an OptimizerOptions; the journal keeps them as a dict)
    are the journal's own: no ResumeSettingsWarning, only the ResumeWarning with the count."""
    journal = tmp_path / "run.jsonl"
    run(sphere, n_calls=4, journal=journal)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = run(sphere, n_calls=6, journal=journal)
    assert len(result) == 6
    kinds = [type(w.message).__name__ for w in caught]
    assert "ResumeWarning" in kinds and "ResumeSettingsWarning" not in kinds, kinds
    # the caller's minimize line (here in `run`), not bayesopt/loop.py
    assert {w.filename for w in caught} == {__file__}


def test_resuming_with_other_settings_warns_naming_them(tmp_path):
    journal = tmp_path / "run.jsonl"
    run(sphere, n_calls=4, journal=journal)
    other = OptimizerOptions(model=ModelOptions(fit=FitOptions(maxiter=7)))
    with (pytest.warns(ResumeWarning, match="4 evaluations and 0 pending points"),
          pytest.warns(ResumeSettingsWarning, match=r"ignoring \['options', 'seed'\]")):
        minimize(sphere, SPACE, n_calls=6, seed=1, progress=False, options=other, n_initial=4,
                 journal=journal)


def test_resuming_with_a_setting_the_header_leaves_out_warns_naming_it(tmp_path):
    """cost_budget= is not in the header of a journal recorded without it: it was ignored
    without a word when given on resume."""
    journal = tmp_path / "run.jsonl"
    run(sphere, n_calls=4, journal=journal)
    with (pytest.warns(ResumeWarning, match="4 evaluations and 0 pending points"),
          pytest.warns(ResumeSettingsWarning, match=r"ignoring \['cost_budget'\]")):
        run(sphere, n_calls=5, journal=journal, cost_budget=3.0)


@pytest.mark.parametrize("resume", [False, True])
@pytest.mark.parametrize("keyword, match", [
    ("n_initial_points", "n_initial_points=; write n_initial= "),  # scikit-optimize
    ("n_random_starts", "n_random_starts=; write n_initial= "),
    ("random_state", "random_state=; write seed= "),
    ("verbose", "verbose=; write progress= "),
    ("max_evals", "max_evals=; write n_calls= "),  # hyperopt
    ("points_to_evaluate", "points_to_evaluate=; write x0= "),  # hyperopt's fmin
    ("trials", r"trials=: hyperopt's Trials .* result\.history"),  # was "did you mean threads="
    ("algo", r"algo=: .*acquisition="),
    ("early_stop_fn", r"early_stop_fn=: .*callback"),
    ("loss_threshold", r"loss_threshold=: .*callback"),
    ("n_trials", "n_trials=; write n_calls= "),  # Optuna
    ("direction", "direction=; write maximize= "),  # Optuna's direction="maximize"
    ("max_trials", "max_trials=; write n_calls= "),  # Keras Tuner
    ("n_jobs", "n_jobs=; write n_workers= "),  # scikit-optimize
    ("round_limit", "round_limit=; write n_calls= "),  # Talos' Scan
    ("fraction_limit", r"fraction_limit=: Talos' fraction of a grid .* n_calls= counts"),
    ("time_limit", r"time_limit=: Talos' time_limit .* is timeout= here"),
    ("reduction_method", r"reduction_method=: Talos' reduction of a grid has no counterpart"),
    ("n_inital", "n_inital=; did you mean n_initial="),
    ("bogus", r"bogus=; it accepts \['acquisition'"),
])
def test_an_unknown_keyword_raises_naming_it_and_the_name_here(tmp_path, resume, keyword, match):
    """A fresh run raised Python's bare TypeError from Optimizer.__init__; a resumed
    journal ignored the keyword without a word."""
    journal = tmp_path / "run.jsonl"
    if resume:
        run(sphere, n_calls=3, journal=journal)
    with pytest.raises(TypeError, match=f"minimize got the unknown keyword argument {match}"):
        run(sphere, n_calls=5, journal=journal, **{keyword: 2})
    if resume:
        assert len(Optimizer.resume(journal, append=False).history) == 3


@pytest.mark.parametrize("call", [
    lambda: minimize(fn=sphere, space=SPACE, max_evals=5),  # hyperopt's fmin, keywords only
    lambda: minimize(space=SPACE, fn=sphere, n_calls=5),
    lambda: minimize(sphere, SPACE, 5, fn=sphere, progress=False),  # both: fn= is unknown
])
def test_hyperopts_fn_keyword_gets_the_hint_not_pythons_missing_argument(call):
    """minimize(fn=f, space=s) raised "missing 1 required positional argument: 'func'"
    before the hyperopt hints (max_evals=, trials=, ...) could run."""
    with pytest.raises(TypeError, match=r"minimize got the unknown keyword argument fn=: "
                                        r"hyperopt's fn= is func here"):
        call()


def test_the_signature_of_minimize_is_its_own_not_the_hints_wrapper():
    parameters = inspect.signature(minimize).parameters
    assert list(parameters)[:3] == ["func", "space", "n_calls"] and "fn" not in parameters
    assert parameters["func"].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert parameters["func"].default is inspect.Parameter.empty
    assert parameters["n_workers"].default == 1 and parameters["executor"].default is None


@pytest.mark.parametrize("x0, y0, error, match", [
    (None, [1.0], ValueError, "without x0"),
    ([{"x": 0.1, "y": 0.2}], [1.0, 2.0], ValueError, "2 value"),
    ([{"x": 0.1, "y": 0.2}, {"x": 0.2, "y": 0.2}], 1.0, TypeError, "y0="),
    ("x=0.1", None, TypeError, "x0="),
    ([[0.1, 0.2]], None, TypeError, (r"x0\[0\]=\[0.1, 0.2\] must be a dict of parameters "
                                    r"\(scikit-optimize's list of values is \{'x': 0.1, 'y': 0.2\} here")),
    ([0.1, 0.2], [1.0], TypeError, r"x0\[0\]=0.1 .*list of values is \{'x': 0.1, 'y': 0.2\}"),
    ([[0.1, 0.2, 0.3]], None, TypeError, r"x0\[0\]=\[0.1, 0.2, 0.3\] must be a dict of parameters$"),
    ([{"x": 0.1, "y": 0.2}, {"x": 1.5, "y": 0.2}], None, ValueError, r"x0\[1\].*x"),
    ([{"x": 0.1, "y": 0.2}, {"x": 0.2}], None, ValueError, r"x0\[1\].*y"),
    ([{"x": 0.1, "y": 0.2}], [math.nan], ValueError, r"y0\[0\]"),
    ([{"x": 0.1, "y": 0.2}], ["low"], TypeError, r"y0\[0\]"),
    ([{"x": i / 10, "y": 0.2} for i in range(9)], None, ValueError, "n_calls=8"),
])
def test_warm_start_is_validated_before_anything_runs(x0, y0, error, match, tmp_path):
    journal = tmp_path / "run.jsonl"
    with pytest.raises(error, match=match):
        run(sphere, x0=x0, y0=y0, journal=journal)
    assert not journal.exists()


def test_tell_of_points_never_asked_is_supported():
    opt = Optimizer(SPACE, seed=0, n_initial=3, options=FAST)
    pending = opt.ask()
    with pytest.warns(UnmatchedTellWarning, match="matches none of the 1 pending points"):
        opt.tell([{"x": 0.1, "y": 0.1}, {"x": 0.2, "y": 0.9}, {"x": 0.7, "y": 0.3}],
                 [1.0, 2.0, 0.5])
    assert opt.pending == [pending] and len(opt.history) == 3
    opt.tell(pending, sphere(pending))
    assert opt.pending == [] and opt.best.value == min(o.value for o in opt.history)
    assert opt.ask() not in [o.params for o in opt.history]


# ------------------------------------------------------------------ time budget
def test_timeout_stops_asking_sequentially():
    result = minimize(sleepy_sphere, SPACE, n_calls=200, seed=0, progress=False, n_initial=4,
                      options=FAST, timeout=1.0)
    # 0.2 s per evaluation and a 1 s budget: about 5 start; 200 would take 40 s
    assert 1 <= len(result) <= 60 and all(o.ok for o in result.history)
    assert result.stop_reason == "timeout"


def test_timeout_lets_evaluations_in_flight_finish():
    started = []
    lock = threading.Lock()

    def objective(params: dict[str, float]) -> float:
        with lock:
            started.append(params)
        return sleepy_sphere(params)

    with ThreadPoolExecutor(3) as pool:
        opt_result = minimize(objective, SPACE, n_calls=300, seed=0, progress=False,
                              n_workers=3, executor=pool, n_initial=4, options=FAST, timeout=1.0)
    assert 1 <= len(opt_result) <= 90
    assert len(opt_result) == len(started)  # every started evaluation was told
    assert all(o.ok for o in opt_result.history)
    assert opt_result.stop_reason == "timeout"


@pytest.mark.parametrize("value, error", [
    (0, ValueError), (-2.0, ValueError), (math.nan, ValueError), (math.inf, ValueError),
    ("60", TypeError), (True, TypeError),
])
def test_timeout_is_validated(value, error):
    with pytest.raises(error, match="timeout=.* must be"):
        run(sphere, timeout=value)




SEMAPHORES = """
import multiprocessing.synchronize as synchronize
import numba
from bayesopt import Real, minimize
numba.get_num_threads()  # Numba's own lock (its threading layer's), made once, not counted
made = []
original = synchronize.SemLock.__init__
def counted(self, *args, **kwargs):
    made.append(args)
    original(self, *args, **kwargs)
synchronize.SemLock.__init__ = counted
minimize(lambda p: p["x"], {"x": Real(0.0, 1.0)}, n_calls=3, seed=0, progress=False)
print(len(made))
"""


def test_a_run_without_progress_bar_makes_no_multiprocessing_semaphore():
    """progress=False built a disabled tqdm bar anyway, and tqdm's first bar creates a
    multiprocessing lock. In the workers of a spawn-started Pool, ended by its `with`
    block, its semaphores were never unlinked: a script running minimize in two such
    pools ended with resource_tracker's "There appear to be N leaked semaphore objects to
    clean up at shutdown" on stderr in 4 of 4 runs before the fix, none of 4 after.
    Counted in a fresh interpreter (tqdm makes its lock once per process)."""
    import os
    import pathlib
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(pathlib.Path(__file__).resolve().parents[1])}
    done = subprocess.run([sys.executable, "-c", SEMAPHORES], env=env, capture_output=True,
                          text=True, timeout=300, check=True)
    assert done.stdout.split() == ["0"], done.stdout + done.stderr


NO_BAR = """
import sys
from bayesopt import Real, minimize
minimize(lambda p: p["x"], {"x": Real(0.0, 1.0)}, n_calls=3, seed=0, progress=False)
print("tqdm.auto" in sys.modules)
"""


def test_a_run_without_progress_bar_does_not_import_tqdm_auto():
    """In a notebook without ipywidgets, importing `tqdm.auto` warns ("IProgress not
    found"): imported with bayesopt's run loop, the warning appeared under every cell that
    imported `minimize`, progress=False or not (review32). Checked in a fresh interpreter."""
    import os
    import pathlib
    import subprocess

    env = {**os.environ, "PYTHONPATH": str(pathlib.Path(__file__).resolve().parents[1])}
    done = subprocess.run([sys.executable, "-c", NO_BAR], env=env, capture_output=True,
                          text=True, timeout=300, check=True)
    assert done.stdout.split() == ["False"], done.stdout + done.stderr


@pytest.mark.parametrize("journaled", [False, True])
def test_an_interrupted_run_carries_what_it_evaluated(tmp_path, journaled):
    """Ctrl-C in a notebook (the objective's KeyboardInterrupt, at the 5th call) stops
    minimize, which returns nothing: the interrupt carries the evaluations told before it as
    ``.result``, and (Python 3.11+) a note says where they are and how the run goes on."""
    calls: list[dict[str, Any]] = []

    def interrupted_at_the_fifth(params: dict[str, Any]) -> float:
        calls.append(params)
        if len(calls) == 5:
            raise KeyboardInterrupt
        return sphere(params)

    journal = tmp_path / "run.jsonl" if journaled else None
    with pytest.raises(KeyboardInterrupt) as stop:
        run(interrupted_at_the_fifth, n_calls=8, journal=journal)
    result = stop.value.result
    assert [o.params for o in result.history] == calls[:4]
    assert [o.value for o in result.history] == [sphere(p) for p in calls[:4]]
    if sys.version_info >= (3, 11):
        (note,) = stop.value.__notes__
        assert "interrupted after 4 evaluation(s)" in note and "sys.last_value.result" in note
        assert ("same minimize call continues" if journaled else "pass journal=") in note


def test_a_ctrl_c_inside_the_objective_s_compiled_code_stops_the_run():
    """A Ctrl-C inside the objective's compiled code (Numba's dispatcher) comes back as a
    SystemError from the KeyboardInterrupt: it stops minimize as the interrupt itself does
    (with .result), instead of being recorded as the evaluation's error."""
    calls: list[dict[str, Any]] = []

    def interrupted_at_the_fifth(params: dict[str, Any]) -> float:
        calls.append(params)
        if len(calls) == 5:
            try:
                raise KeyboardInterrupt
            except KeyboardInterrupt as stop:
                raise SystemError("CPUDispatcher(<function loss>) returned a result with an "
                                  "exception set") from stop
        return sphere(params)

    with pytest.raises(KeyboardInterrupt) as stop:
        run(interrupted_at_the_fifth, n_calls=8)
    assert [o.params for o in stop.value.result.history] == calls[:4]


def test_an_optimizer_passed_as_the_space_says_how_to_go_on_with_it():
    """Re-running a cell as minimize(func, opt): the error says minimize builds its own
    optimizer and how to go on with this one's evaluations, not only that it is no space."""
    opt = Optimizer(SPACE, seed=0)
    with pytest.raises(TypeError, match=r"is an Optimizer, and minimize builds its own: pass "
                                        r"its space \(minimize\(func, opt.space.*x0= and y0="):
        run(sphere, space=opt)


# ------------------------------------------------------- an exhausted finite space
def grid_objective(params: dict[str, Any]) -> float:
    return (params["act"] == "tanh") + 0.1 * params["n"]


GRID = {"act": Categorical(["relu", "tanh"]), "n": Integer(1, 4)}  # 8 points


def exhausting_run(objective: Any, space: Any, n_calls: int, n_workers: int,
                   ) -> tuple[Any, list[warnings.WarningMessage]]:
    """minimize's result on a finite space, and the SpaceExhaustedWarnings it gave."""
    executor = ThreadPoolExecutor(n_workers) if n_workers > 1 else None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = minimize(objective, space, n_calls=n_calls, seed=0, progress=False,
                          n_workers=n_workers, executor=executor, options=FAST)
    return result, [w for w in caught if w.category is SpaceExhaustedWarning]


@pytest.mark.parametrize("n_workers", [1, 3])
def test_minimize_stops_once_every_point_of_a_finite_space_is_evaluated(n_workers: int) -> None:
    """n_calls=20 on 8 points evaluated the 8, then the best one 12 times more with a
    SpaceExhaustedWarning each; it now stops at 8, warns once, and says why."""
    result, exhausted = exhausting_run(grid_objective, GRID, 20, n_workers)
    assert len(exhausted) == 1 and exhausted[0].filename == __file__
    assert "every one of its 8 points" in str(exhausted[0].message)
    assert "before n_calls=20" in str(exhausted[0].message)
    assert len({tuple(sorted(o.params.items())) for o in result.history}) == len(result) == 8
    assert result.stop_reason == "space_exhausted"


def test_minimize_on_a_finite_space_runs_its_n_calls_and_says_so() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", SpaceExhaustedWarning)
        result = minimize(grid_objective, GRID, n_calls=8, seed=0, progress=False, options=FAST)
    assert len(result) == 8 and result.stop_reason == "n_calls"


def test_minimize_stops_on_the_admitted_points_of_a_constrained_finite_space() -> None:
    with pytest.warns(SpaceExhaustedWarning, match="every one of its 6 points"):
        result = minimize(grid_objective, GRID, n_calls=20, seed=0, progress=False,
                          options=FAST, feasible=lambda p: p["n"] != 4)
    assert len(result) == 6 and result.stop_reason == "space_exhausted"


def test_a_resumed_exhausted_run_evaluates_nothing_more(tmp_path: Any) -> None:
    journal = tmp_path / "run.jsonl"
    with pytest.warns(SpaceExhaustedWarning):
        minimize(grid_objective, GRID, n_calls=20, seed=0, progress=False, options=FAST,
                 journal=journal)
    calls: list[dict[str, Any]] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        again = minimize(lambda p: calls.append(p) or 0.0, GRID, n_calls=30, seed=0,
                         progress=False, options=FAST, journal=journal)
    assert [w.category for w in caught] == [ResumeWarning, SpaceExhaustedWarning]
    assert calls == [] and len(again) == 8 and again.stop_reason == "space_exhausted"


def fidelity_grid_objective(params: dict[str, Any]) -> float:
    return grid_objective(params) + 1.0 / params["epochs"]


@pytest.mark.parametrize("n_workers", [1, 3])
def test_minimize_on_a_finite_fidelity_space_runs_each_configuration_once_at_each_base_budget(
        n_workers: int) -> None:
    """With a Fidelity an exhausted finite space's asks repeated the best observed
    configuration at the base budget of the bracket due (n_calls=60 on 8 configurations:
    12 distinct runs of 60, with 35 SpaceExhaustedWarnings). Now each bracket takes
    configurations without a run at its base budget (bracket 2 of Fidelity(1, 9), 9
    configurations, more than the space has, gives its place to the next), and the run
    stops once none is left and no promotion is due."""
    space = {**GRID, "epochs": Fidelity(1, 9)}  # brackets start at 9, 3 and 1
    result, exhausted = exhausting_run(fidelity_grid_objective, space, 60, n_workers)
    assert len(exhausted) == 1 and exhausted[0].filename == __file__
    assert ("every one of its 8 configurations has been run (or is running) at every budget "
            "a Hyperband bracket starts at (epochs in [1, 3, 9])") in str(exhausted[0].message)
    runs = [tuple(sorted(o.params.items())) for o in result.history]
    assert len(set(runs)) == len(runs) == 24  # each configuration once at each of 1, 3, 9
    assert result.stop_reason == "space_exhausted"
    assert result.best_params == {"act": "relu", "n": 1, "epochs": 9}


def test_a_finite_fidelity_space_asked_past_its_base_budgets_still_repeats_with_a_warning(
        ) -> None:
    """Ask and tell keep asking once every configuration has run at every base budget:
    a repeat, with the warning, as without a Fidelity."""
    opt = Optimizer({"c": Categorical(["a", "b"]), "epochs": Fidelity(1, 3)}, seed=0)
    runs = []
    for _ in range(4):  # bracket 1 (at 1: a, b), bracket 0 (at 3: the two again)
        p = opt.ask()
        runs.append((p["c"], p["epochs"]))
        opt.tell(p, 1.0 if p["c"] == "a" else 2.0)
    assert sorted(runs) == [("a", 1), ("a", 3), ("b", 1), ("b", 3)]
    with pytest.warns(SpaceExhaustedWarning, match="search space exhausted"):
        opt.ask()


def test_the_exhaustion_check_is_made_again_under_the_study_s_lock(tmp_path: Any) -> None:
    """Another worker of a study could take the last new point between a worker's
    exhaustion check and its ask, whose ask then repeated a point with a
    SpaceExhaustedWarning (warnings are errors here): the check is made again under the
    study's lock, after reading the other workers' events, and the worker stops."""
    from bayesopt.parallel import Budget, next_point

    url = f"sqlite:///{tmp_path / 'study.db'}"
    space = {"c": Categorical(["a", "b", "c"])}
    a = Optimizer(space, seed=0, storage=url, study="s", options=FAST)
    b = Optimizer(space, seed=1, storage=url, study="s", options=FAST)
    for _ in range(2):
        p = a.ask()
        a.tell(p, 1.0)
    prefit = a._prefit

    def others_ask_first() -> Any:  # runs after a's first check, before its locked ask
        b.ask()  # the last new point
        return prefit()

    a._prefit = others_ask_first  # type: ignore[method-assign]
    assert next_point(a, Budget(total=10)) is None
    assert len(a.pending) == 1 and len(a.history) == 2  # b's point; a asked nothing
    for opt in (a, b):
        opt.close()


@pytest.mark.parametrize(("keywords", "reason"), [
    ({"callback": lambda observation, opt: len(opt.history) == 2}, "callback"),
    ({"max_cost": 1e-12}, "max_cost"),
    ({}, "n_calls"),
])
def test_the_result_says_why_minimize_stopped(keywords: dict[str, Any], reason: str) -> None:
    result = minimize(sphere, {"x": Real(-1.0, 1.0), "y": Real(0.0, 1.0)}, n_calls=4, seed=0,
                      progress=False,
                      options=FAST, **keywords)
    assert result.stop_reason == reason
    assert len(result) == {"callback": 2, "max_cost": 1, "n_calls": 4}[reason]


def test_the_failure_stop_rule_names_itself_in_the_result() -> None:
    def broken(params: dict[str, Any]) -> float:
        raise RuntimeError("no GPU")

    with pytest.raises(TooManyFailuresError) as stopped, warnings.catch_warnings():
        warnings.simplefilter("ignore", EvaluationFailedWarning)
        minimize(broken, {"x": Real(0.0, 1.0)}, n_calls=5, seed=0, progress=False,
                 max_consecutive_failures=2)
    assert stopped.value.result.stop_reason == "max_consecutive_failures"


def test_a_streak_of_lost_evaluations_stops_naming_the_executor_and_a_mixed_one_the_objective():
    """Evaluations the executor lost (Dask: no worker, or KilledWorker) count toward the stop
    rule, but only a streak of nothing else says the cluster lost them; one error raised by
    the objective in the streak keeps the message about the objective."""
    from bayesopt.failures import FailureGuard

    def stop(statuses: list[str]) -> str:
        guard = FailureGuard(len(statuses))
        with pytest.warns(EvaluationFailedWarning, match="at x=0.5"):  # one per failure
            observed = [guard.observe(status, {"x": 0.5}, f"{status} at x=0.5")
                        for status in statuses]
        assert observed and guard.tripped
        return str(guard.error())

    lost = stop(["lost", "lost"])
    assert "lost by the executor" in lost and "looks broken" not in lost and "lost at x" in lost
    for mixed in (["lost", "error"], ["error", "lost"]):
        assert "looks broken" in stop(mixed)

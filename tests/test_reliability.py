"""Reliability of the ask/tell Optimizer: bad input, awkward data, failures, threads.

    opt      : an Optimizer, driven by the tests through ask / tell / tell_failure
    key(p)   : a point as a hashable tuple in the space's order (for "already seen?")
    FAST     : optimizer options with a small acquisition optimizer and a short fit,
               so that every test here runs in well under a second or two

What is checked, by section:

- bad input to `tell`/`tell_failure` raises an error naming the key, the value and
  what was expected, and changes nothing (history, pending, random state, model,
  journal);
- awkward data (one observation, constant, huge and tiny values, noisy repeats,
  hundreds of near-duplicates, 1 and 50 dimensions, all-integer and all-categorical
  spaces, a fixed integer, an oversized initial design, an exhausted finite space):
  no exception, and every `ask` returns a valid point that is new;
- failed evaluations: kept in the history, excluded from the GP's targets, never
  re-proposed, and their neighbourhood damped (`acquisition.penalty.FailurePenalty`);
- a failing hyperparameter fit or a singular kernel matrix never raises out of
  `ask`/`tell`: previous hyperparameters, then defaults, with `ModelFitWarning`;
- a hypothesis property: random spaces and random sequences of operations, every
  `ask` valid and new unless the finite space is exhausted (which warns);
- 8 threads asking and telling one optimizer: no tell lost, no point handed out twice.
"""

from __future__ import annotations

import math
import sys
import tempfile
import threading
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bayesopt.fitting
import bayesopt.model
from acquisition.functions import ExpectedImprovement, LogExpectedImprovement, gp_ucb_beta
from acquisition.optimizer import AcquisitionObjective, AcquisitionOptimizerOptions
from acquisition.penalty import FailurePenalty
from bayesopt import (
    Categorical,
    EvaluationFailedWarning,
    Fidelity,
    Integer,
    LinearConstraint,
    Optimizer,
    Real,
    ResumeWarning,
    Run,
    SpaceExhaustedWarning,
    minimize,
)
from bayesopt.fitting import FitOptions, FitResult
from bayesopt.gp import GaussianProcess
from bayesopt.model import ModelFitWarning, ModelOptions
from bayesopt.options import OptimizerOptions
from bayesopt.priors import PowerGammaPrior
from bayesopt.surrogate import Surrogate
from bayesopt.test_functions import Ackley, Branin
from bayesopt.validation import shown
from kernels import Kernel

FAST = OptimizerOptions(
    model=ModelOptions(n_restarts=0, fit=FitOptions(maxiter=50)),
    acquisition_optimizer=AcquisitionOptimizerOptions(
        n_candidates=256, n_local_candidates=64, n_restarts=2, maxiter=30
    ),
)


def key(opt: Optimizer, params: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(params[name] for name in opt.space.names)


def taken_keys(opt: Optimizer) -> set[tuple[Any, ...]]:
    """Points observed (failures included) or pending."""
    return {key(opt, o.params) for o in opt.history} | {key(opt, p) for p in opt.pending}


def assert_valid(opt: Optimizer, params: dict[str, Any]) -> None:
    """A canonical point of the space that survives encode → decode."""
    canonical = opt.space.validate(params)
    assert canonical == params
    assert [type(v) for v in canonical.values()] == [type(v) for v in params.values()]
    assert list(params) == list(opt.space.names)
    round_trip = opt.space.decode(opt.space.encode([params]))[0]
    for name, value in params.items():
        if isinstance(value, float):
            assert round_trip[name] == pytest.approx(value, rel=1e-12, abs=1e-300)
        else:
            assert round_trip[name] == value


def ask_new(opt: Optimizer) -> dict[str, Any]:
    """Ask once; the point must be valid and neither observed nor pending."""
    before = taken_keys(opt)
    params = opt.ask()
    assert_valid(opt, params)
    assert key(opt, params) not in before, f"{params} was already observed or pending"
    return params


def sphere(params: dict[str, Any]) -> float:
    return float(sum((v - 0.3) ** 2 for v in params.values() if not isinstance(v, str)))


# ================================================================= bad input


def mixed_space() -> dict[str, Any]:
    return {
        "lr": Real(1e-5, 1e-1, log=True),
        "layers": Integer(1, 8),
        "activation": Categorical(["relu", "tanh", "gelu"]),
    }


GOOD = {"lr": 1e-3, "layers": 2, "activation": "relu"}


def snapshot(opt: Optimizer, journal) -> tuple[Any, ...]:
    return (
        opt.history, opt.pending, opt.rng.bit_generator.state, opt._model.state(),
        opt._state.X_all.tolist(), opt._state.y_ok.tolist(), opt._state.X_failed.tolist(), journal.read_bytes(),
    )


def bad(id_, call, params, value, error, match):
    return pytest.param(call, params, value, error, match, id=id_)


# (call, params, value, error type, regex on the message: key, value, expectation)
BAD_TELLS = [
    bad("params a list of numbers", "tell", [0.001, 2, "relu"], [1.0, 1.0, 1.0], TypeError,
        r"params must be a dict.*got 0\.001"),
    bad("params a string", "tell", "lr=0.001", 1.0, TypeError,
        r"params must be a dict.*'lr=0\.001'"),
    bad("Real is None", "tell", {**GOOD, "lr": None}, 1.0, TypeError,
        r"'lr'.*None.*must be a number"),
    bad("Real is nan", "tell", {**GOOD, "lr": math.nan}, 1.0, ValueError,
        r"'lr'.*nan.*outside \[1e-05, 0\.1\]"),
    bad("Real below a log low", "tell", {**GOOD, "lr": 0.0}, 1.0, ValueError,
        r"'lr'.*0\.0.*outside \[1e-05, 0\.1\]"),
    bad("Real as a string", "tell", {**GOOD, "lr": "0.001"}, 1.0, TypeError,
        r"'lr'.*'0\.001'.*must be a number in \[1e-05, 0\.1\]"),
    bad("Integer 2.5", "tell", {**GOOD, "layers": 2.5}, 1.0, ValueError,
        r"'layers'.*2\.5.*must be an integer in \[1, 8\]"),
    bad("category not in the choices", "tell", {**GOOD, "activation": "elu"}, 1.0, ValueError,
        r"'activation'.*'elu'.*not one of \['relu', 'tanh', 'gelu'\]"),
    bad("value +inf", "tell", GOOD, math.inf, ValueError, r"value is inf.*tell_failure"),
    bad("Integer as a string", "tell", {**GOOD, "layers": "3"}, 1.0, TypeError,
        r"'layers'.*'3'.*number in \[1, 8\]"),
    bad("Integer above high", "tell", {**GOOD, "layers": 9}, 1.0, ValueError,
        r"'layers'.*9.*outside \[1, 8\]"),
    bad("Integer is a bool", "tell", {**GOOD, "layers": True}, 1.0, TypeError,
        r"'layers'.*True.*must be a number"),
    bad("category unhashable", "tell", {**GOOD, "activation": ["relu"]}, 1.0, ValueError,
        r"'activation'.*\['relu'\].*not one of \['relu', 'tanh', 'gelu'\]"),
    bad("category None", "tell", {**GOOD, "activation": None}, 1.0, ValueError,
        r"'activation'.*None.*not one of"),
    bad("misspelt key", "tell", {"LR": 1e-3, "layers": 2, "activation": "relu"}, 1.0, ValueError,
        r"unknown parameter\(s\) \['LR'\].*\['lr', 'layers', 'activation'\]"),
    bad("two missing keys", "tell", {"layers": 2}, 1.0, ValueError,
        r"missing parameter\(s\) \['lr', 'activation'\]"),
    bad("value None", "tell", GOOD, None, TypeError,
        r"objective value must be a real number, got None"),
    bad("value hyperopt's result dict", "tell", GOOD, {"loss": 0.3, "status": "ok"}, TypeError,
        r"got \{'loss': 0\.3, 'status': 'ok'\} \(hyperopt's result dict is not read here: "
        r"tell result\['loss'\].*tell_failure\(params, error\) for status 'fail'"),
    bad("value a Keras History's dict", "tell", GOOD, {"loss": [0.9, 0.6]}, TypeError,
        r"got \{'loss': \[0\.9, 0\.6\]\} \(a training history .* is not read here: tell one "
        r"number from it, e\.g\. history\['loss'\]\[-1\]"),
    bad("value a bool", "tell", GOOD, True, TypeError,
        r"objective value must be a real number, got True"),
    bad("value a list for one point", "tell", GOOD, [1.0], TypeError,
        r"objective value must be a real number, got \[1\.0\]"),
    bad("value numpy nan", "tell", GOOD, np.float64("nan"), ValueError, r"nan.*tell_failure"),
    bad("value -inf", "tell", GOOD, -math.inf, ValueError, r"-inf.*tell_failure"),
    bad("value an int beyond float range", "tell", GOOD, 10**400, ValueError,
        r"value is inf.*tell_failure"),
    bad("batch with one nan value", "tell", [GOOD, GOOD], [1.0, math.nan], ValueError,
        r"position 1.*nan.*tell_failure"),
    bad("batch with a string value", "tell", [GOOD, GOOD], [1.0, "2.0"], TypeError,
        r"position 1.*'2\.0'"),
    bad("batch with a scalar value", "tell", [GOOD, GOOD], 1.0, TypeError,
        r"a list of 2 params needs a list of values, got 1\.0"),
    bad("batch with a string of values", "tell", [GOOD, GOOD], "12", TypeError,
        r"needs a list of values, got '12'"),
    bad("batch of 3 points, 2 values", "tell", [GOOD, GOOD, GOOD], [1.0, 2.0], ValueError,
        r"3 params but 2 values"),
    bad("batch with one point outside", "tell", [GOOD, {**GOOD, "layers": 0}], [1.0, 2.0],
        ValueError, r"'layers'.*0.*outside"),
    bad("failure outside the space", "tell_failure", {**GOOD, "lr": 2.0}, "boom", ValueError,
        r"'lr'.*2\.0.*outside"),
    bad("failure batch with a bad category", "tell_failure", [GOOD, {**GOOD, "activation": "elu"}],
        "boom", ValueError, r"'activation'.*'elu'.*not one of"),
    bad("failure batch with fewer errors than points", "tell_failure", [GOOD, GOOD], ["boom"],
        ValueError, r"got 1 errors for 2 failed point\(s\)"),
    bad("failure error of a wrong type", "tell_failure", GOOD, 42, TypeError,
        r"error must be a string, an exception or None, got 42"),
    bad("failure params an int", "tell_failure", 42, "boom", TypeError,
        r"params must be a dict or a list of dicts, got 42"),
    # numpy scalars (a value computed with numpy) are shown as the numbers they are, not
    # in numpy 2's repr ("value np.float64(2.0) is outside" before)
    bad("numpy float outside", "tell", {**GOOD, "lr": np.float64(2.0)}, 1.0, ValueError,
        r"'lr': value 2\.0 is outside"),
    bad("numpy int above high", "tell", {**GOOD, "layers": np.int64(9)}, 1.0, ValueError,
        r"'layers': value 9 is outside \[1, 8\]"),
    bad("numpy float for an Integer", "tell", {**GOOD, "layers": np.float64(2.5)}, 1.0,
        ValueError, r"'layers': value 2\.5 must be an integer"),
    bad("numpy string not a category", "tell", {**GOOD, "activation": np.str_("elu")}, 1.0,
        ValueError, r"'activation': value 'elu' is not one of \['relu', 'tanh', 'gelu'\]"),
]


@pytest.mark.parametrize("call, params, value, error, match", BAD_TELLS)
def test_bad_tell_names_the_problem_and_changes_nothing(
    tmp_path, call, params, value, error, match
):
    journal = tmp_path / "run.jsonl"
    opt = Optimizer(mixed_space(), seed=0, n_initial=3, journal=journal, options=FAST)
    for _ in range(4):  # past the initial design, so the model is in use
        p = opt.ask()
        opt.tell(p, float(p["layers"]))
    opt.ask(2)
    before = snapshot(opt, journal)
    with pytest.raises(error, match=match):
        getattr(opt, call)(params, value)
    assert snapshot(opt, journal) == before
    ask_new(opt)  # and the optimizer still works


# ============================================================= awkward data


def tell_points(opt: Optimizer, points: list[dict[str, Any]], values) -> None:
    opt.tell(points, [float(v) for v in values])


def random_points(opt: Optimizer, n: int, seed: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    return opt.space.decode(opt.space.from_unit(rng.random((n, opt.space.n_dims))))


def case_single_observation():
    opt = Optimizer({"x": Real(0, 1), "y": Real(-5, 5)}, seed=0, n_initial=1, options=FAST)
    opt.tell({"x": 0.5, "y": 0.0}, 1.0)
    return opt


def case_all_values_equal():
    opt = Optimizer({"x": Real(0, 1), "y": Real(0, 1)}, seed=0, n_initial=4, options=FAST)
    tell_points(opt, random_points(opt, 8, 1), [3.0] * 8)
    return opt


def _scaled_values(scale: float, offset: float = 0.0):
    def build():
        opt = Optimizer({"x": Real(0, 1), "y": Real(0, 1)}, seed=0, n_initial=4, options=FAST)
        points = random_points(opt, 8, 2)
        tell_points(opt, points, [offset + scale * sphere(p) for p in points])
        return opt
    return build


def case_mixed_magnitudes():
    opt = Optimizer({"x": Real(0, 1)}, seed=0, n_initial=3, options=FAST)
    points = [{"x": x} for x in (0.1, 0.3, 0.5, 0.7, 0.9, 0.2)]
    tell_points(opt, points, [1e12, -1e12, 1e-12, 0.0, -1e-12, 1e12])
    return opt


def case_noisy_repeats():
    opt = Optimizer({"x": Real(0, 1), "y": Real(0, 1)}, seed=0, n_initial=3, options=FAST)
    rng = np.random.default_rng(3)
    same = {"x": 0.25, "y": 0.75}
    tell_points(opt, [same] * 25, 1.0 + 0.1 * rng.standard_normal(25))
    tell_points(opt, [same] * 5, [1.0] * 5)  # exact repeats too
    tell_points(opt, random_points(opt, 3, 4), [2.0, 0.5, 1.5])
    return opt


def case_near_duplicates():
    opt = Optimizer({"x": Real(0, 1), "y": Real(0, 1)}, seed=0, n_initial=5, options=FAST)
    points = [{"x": 0.5 + 1e-9 * i, "y": 0.5 - 1e-9 * i} for i in range(300)]
    rng = np.random.default_rng(5)
    tell_points(opt, points, 1.0 + 1e-3 * rng.standard_normal(300))
    return opt


def case_one_dimension():
    opt = Optimizer({"x": Real(-3, 3)}, seed=0, n_initial=3, options=FAST)
    points = random_points(opt, 10, 6)
    tell_points(opt, points, [math.sin(3 * p["x"]) for p in points])
    return opt


def case_fifty_dimensions():
    space = {f"x{i:02d}": Real(0, 1) for i in range(50)}
    opt = Optimizer(space, seed=0, n_initial=4, options=FAST)
    points = random_points(opt, 6, 7)
    tell_points(opt, points, [sphere(p) for p in points])
    return opt


def case_all_integer():
    space = {"a": Integer(0, 6), "b": Integer(1, 64, log=True), "c": Integer(-2, 2)}
    opt = Optimizer(space, seed=0, n_initial=4, options=FAST)
    points = random_points(opt, 8, 8)
    tell_points(opt, points, [sphere(p) for p in points])
    return opt


def case_all_categorical():
    space = {"a": Categorical(["x", "y", "z"]), "b": Categorical([1, 2, 3, 4])}
    opt = Optimizer(space, seed=0, n_initial=3, options=FAST)
    points = [{"a": a, "b": b} for a, b in [("x", 1), ("y", 2), ("z", 3), ("x", 4), ("y", 1)]]
    tell_points(opt, points, [float(p["b"]) + (p["a"] == "y") for p in points])
    return opt


def case_integer_low_equals_high():
    opt = Optimizer({"k": Integer(3, 3), "x": Real(0, 1)}, seed=0, n_initial=3, options=FAST)
    points = random_points(opt, 5, 9)
    assert all(p["k"] == 3 for p in points)
    tell_points(opt, points, [p["x"] for p in points])
    return opt


AWKWARD = {
    "single observation": case_single_observation,
    "all values equal": case_all_values_equal,
    "values ~1e12": _scaled_values(1e12),
    "values ~-1e12": _scaled_values(-1e12),
    "values ~1e-12": _scaled_values(1e-12),
    "1e12 offset, differences 1e-3": _scaled_values(1e-3, offset=1e12),
    "mixed 1e12, -1e12, 1e-12": case_mixed_magnitudes,
    "noisy repeats of one point": case_noisy_repeats,
    "300 near-duplicates 1e-9 apart": case_near_duplicates,
    "one dimension": case_one_dimension,
    "fifty dimensions": case_fifty_dimensions,
    "all integer": case_all_integer,
    "all categorical": case_all_categorical,
    "integer with low == high": case_integer_low_equals_high,
}


@pytest.mark.parametrize("build", list(AWKWARD.values()), ids=list(AWKWARD))
def test_awkward_data_keeps_the_model_working(build):
    opt = build()
    for i in range(3):
        params = ask_new(opt)
        if i < 2:
            opt.tell(params, sphere(params))
    batch = opt.ask(2)
    for params in batch:
        assert_valid(opt, params)
    assert key(opt, batch[0]) != key(opt, batch[1])
    assert opt._model.gp is not None  # the asks came from the model, not the design
    assert np.all(np.isfinite(opt._model.predict(opt._state.X_ok)[0]))


def test_initial_design_larger_than_the_budget_never_needs_the_model():
    opt = Optimizer({"x": Real(0, 1), "k": Integer(0, 9)}, seed=0, n_initial=50, options=FAST)
    for _ in range(12):
        params = ask_new(opt)
        opt.tell(params, sphere(params))
    assert opt._model.gp is None and len(opt.history) == 12
    result = minimize(sphere, {"x": Real(0, 1)}, n_calls=6, seed=0, n_initial=40, progress=False)
    assert len(result) == 6 and len({o.params["x"] for o in result.history}) == 6


def test_categorical_space_smaller_than_the_asks_warns_that_it_is_exhausted():
    opt = Optimizer({"c": Categorical(["a", "b", "c"])}, seed=0, options=FAST)
    with pytest.warns(SpaceExhaustedWarning) as record:
        batch = opt.ask(5)  # all pending: nothing told yet
    exhausted = [w for w in record if issubclass(w.category, SpaceExhaustedWarning)]
    assert sorted(p["c"] for p in batch[:3]) == ["a", "b", "c"]
    assert len(exhausted) == 2  # one for each point beyond the third
    assert "search space exhausted: all 3 points are observed or pending" in str(
        exhausted[0].message)
    for params in batch:
        assert_valid(opt, params)
    opt.tell(batch[:3], [1.0, 0.0, 2.0])
    with pytest.warns(SpaceExhaustedWarning, match="exhausted"):
        again = opt.ask()
    assert_valid(opt, again)


def test_finite_space_is_enumerated_before_it_is_exhausted():
    opt = Optimizer({"a": Integer(0, 2), "b": Categorical(["u", "v"])}, seed=0, n_initial=2,
                    options=FAST)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SpaceExhaustedWarning)  # must not warn before the end
        for _ in range(6):
            params = ask_new(opt)
            opt.tell(params, float(params["a"]) + (params["b"] == "v"))
    assert len(taken_keys(opt)) == 6


def test_real_with_a_width_beyond_float_range_is_rejected():
    """Finite bounds whose difference overflows float64 (high − low = inf)."""
    with pytest.raises(ValueError, match=r"1e\+308.*overflows"):
        Real(-1e308, 1e308)


def test_real_narrow_at_its_magnitude_still_gets_new_points():
    """A timestamp within a millisecond: 4000 representable values, yet distinct encodings
    may round to the same float when decoded."""
    opt = Optimizer({"t": Real(1.7e9, 1.7e9 + 1e-3)}, seed=0, n_initial=3, options=FAST)
    for _ in range(12):
        params = ask_new(opt)
        opt.tell(params, (params["t"] - 1.7e9) * 1e3)


# ================================================================= failures


def test_failures_are_kept_with_status_and_error_and_left_out_of_the_gp():
    opt = Optimizer({"x": Real(0, 1), "y": Real(0, 1)}, seed=0, n_initial=3, options=FAST)
    n_ok = 0
    for i in range(12):
        params = opt.ask()
        if i % 3 == 1:
            opt.tell_failure(params, RuntimeError(f"diverged at step {i}") if i % 2 else "nan loss")
        else:
            opt.tell(params, sphere(params))
            n_ok += 1
    opt.tell_failure(opt.ask(2))  # a batch, no error text
    failed = [o for o in opt.history if not o.ok]
    assert len(opt.history) == 14 and len(failed) == 6
    assert all(o.status == "failed" and o.value is None for o in failed)
    assert [o.error for o in failed] == [
        "RuntimeError('diverged at step 1')", "nan loss", "RuntimeError('diverged at step 7')",
        "nan loss", None, None,
    ]
    ask_new(opt)  # conditions the model on everything told so far
    assert opt._model.n_observed == n_ok == opt._model.gp.n
    ok_points = [o.params for o in opt.history if o.ok]
    np.testing.assert_array_equal(opt._model.gp.X, opt.space.encode(ok_points))
    np.testing.assert_array_equal(opt._state.y_ok, [o.value for o in opt.history if o.ok])
    assert opt.result().n_failed == 6


def test_minimize_keeps_objective_exceptions_out_of_the_gp():
    def objective(params):
        if params["x"] > 0.6:
            raise MemoryError("CUDA out of memory")
        return (params["x"] - 0.4) ** 2

    with pytest.warns(EvaluationFailedWarning, match="CUDA out of memory"):
        result = minimize(objective, {"x": Real(0, 1)}, n_calls=10, seed=0, n_initial=4,
                          options=FAST, progress=False)
    failed = [o for o in result.history if not o.ok]
    assert failed and all("CUDA out of memory" in o.error for o in failed)
    assert result.model.n_observed == len(result.history) - len(failed)


def test_failed_optimum_of_a_discrete_space_is_never_reproposed():
    opt = Optimizer({"k": Integer(0, 20)}, seed=0, n_initial=3, options=FAST)
    for _ in range(12):
        params = ask_new(opt)
        if params["k"] in (9, 10, 11):
            opt.tell_failure(params, "crashed")
        else:
            opt.tell(params, (params["k"] - 10) ** 2)
    asked = [o.params["k"] for o in opt.history]
    assert len(asked) == len(set(asked)) == 12


def test_failure_penalty_is_a_hole_of_documented_depth():
    """log m = Σ log(1 − exp(−½ r²)): ≈ −0.9 at one width, > −0.012 at three, →0 far away."""
    failure = np.array([[0.5, 0.5]])
    widths = np.array([0.1, 0.05])
    penalty = FailurePenalty(failure, widths)
    along_x = 0.5 + np.array([0.0, 0.05, 0.1, 0.2, 0.3, 0.5])  # 0, ½, 1, 2, 3, 5 widths
    X = np.column_stack([np.minimum(along_x, 1.0), np.full(6, 0.5)])
    X[-1, 0] = 1.0  # 5 widths, inside the box
    log_m, grad = penalty(X)
    assert np.all(np.isfinite(log_m)) and np.all(np.isfinite(grad))
    assert log_m[0] < -20  # at the failed point itself: finite but enormous
    assert log_m[2] == pytest.approx(math.log(1 - math.exp(-0.5)), rel=1e-12)  # −0.93
    assert log_m[4] > -0.012 and log_m[5] > -1e-5
    assert np.all(np.diff(log_m) > 0)  # monotone: farther is always better
    assert np.all(grad[1:, 0] > 0) and np.allclose(grad[:, 1], 0.0)  # pushes away from it
    # widths are per dimension: the same offset along the narrower y is penalized less
    along_y = penalty(np.array([[0.5, 0.6]]))[0]
    assert along_y[0] > log_m[2]


@pytest.mark.filterwarnings("error")  # np.expm1's overflow reached the user's ask
def test_failure_penalty_far_beyond_its_width_is_exactly_zero_without_a_warning():
    """Beyond ½ r² ≈ 709.8 (here 40 widths of 0.001) e^{½r²} − 1 overflows: the gradient's
    weight 1/(e^{½r²} − 1) is 0 there, and numpy's 'overflow encountered in expm1' was
    shown by an ask after a failure once a lengthscale was small (fuzz finding, review 30)."""
    penalty = FailurePenalty(np.array([[0.5]]), np.array([1e-3]))
    X = np.array([[0.5005], [0.54], [1.0]])  # ½ r² = 0.125, 800, 125000
    log_m, grad = penalty(X)
    assert np.all(np.isfinite(log_m)) and np.all(np.isfinite(grad))
    assert grad[0, 0] > 0 and grad[1, 0] == 0.0 and grad[2, 0] == 0.0
    assert log_m[1] == 0.0 and log_m[2] == 0.0


@pytest.mark.parametrize("acquisition", [LogExpectedImprovement, ExpectedImprovement])
def test_acquisition_is_damped_near_a_failure_and_untouched_far_away(acquisition):
    opt = Optimizer({"x": Real(0, 1), "y": Real(0, 1)}, seed=0, n_initial=4, options=FAST)
    points = random_points(opt, 8, 10)
    tell_points(opt, points, [sphere(p) for p in points])
    failed = opt.space.encode([{"x": 0.3, "y": 0.3}])
    penalty = FailurePenalty(failed, np.minimum(opt._model.lengthscales, 0.1))
    plain = AcquisitionObjective(acquisition(opt._model.incumbent), opt._model)
    damped = AcquisitionObjective(acquisition(opt._model.incumbent), opt._model, penalty)
    near = failed + np.array([[0.02, -0.01], [0.0, 0.03], [-0.01, 0.0]])
    far = np.array([[0.95, 0.95], [0.9, 0.05]])
    assert np.all(damped.values(near) < plain.values(near))
    np.testing.assert_allclose(damped.values(far), plain.values(far), rtol=1e-9)
    log_m = penalty(near)[0]
    if acquisition is LogExpectedImprovement:  # log-space: the penalty is added
        np.testing.assert_allclose(damped.values(near), plain.values(near) + log_m)
    else:  # EI is multiplied by m
        np.testing.assert_allclose(damped.values(near), plain.values(near) * np.exp(log_m))


@pytest.mark.parametrize("seed", [0, 1, 2, 5])
def test_next_ask_moves_away_from_a_failure_where_it_would_have_gone(seed):
    """Twin optimizers with identical tells and random state; only one is told that the point
    the other asks next failed. That one must ask at least half a hole width away from it."""
    space = {"x": Real(0, 1), "y": Real(0, 1)}
    a = Optimizer(space, seed=seed, n_initial=5, options=FAST)
    for _ in range(8):
        p = a.ask()
        a.tell(p, (p["x"] - 0.3) ** 2 + (p["y"] - 0.6) ** 2)
    b = Optimizer(space, seed=seed, n_initial=5, options=FAST)
    for observation in a.history:
        b.ask()
        b.tell(observation.params, observation.value)
    assert b.rng.bit_generator.state == a.rng.bit_generator.state
    would_go = a.ask()
    b.tell_failure(would_go, "crashed")
    goes = b.ask()
    widths = np.minimum(b._model.lengthscales, 0.1)
    offset = (b.space.encode([goes]) - b.space.encode([would_go]))[0]
    assert np.sqrt(np.sum((offset / widths) ** 2)) > 0.5


# ======================================================= model fit failures


def _failed_fit(kernel_name, X, y, priors, starts, *args, **kwargs):
    return FitResult(np.asarray(starts[0]), math.inf, False, 0)


def _run_some(opt: Optimizer, n: int) -> None:
    for _ in range(n):
        params = ask_new(opt)
        opt.tell(params, sphere(params))


def test_fit_failure_without_previous_fit_uses_the_defaults(monkeypatch):
    monkeypatch.setattr(bayesopt.model, "fit_map", _failed_fit)
    opt = Optimizer({"x": Real(0, 1), "y": Real(0, 1)}, seed=0, n_initial=3, options=FAST)
    with pytest.warns(ModelFitWarning) as caught:
        _run_some(opt, 6)
    # the first fit falls back to the prior's defaults, each later one keeps them
    assert "prior's default hyperparameters" in str(caught[0].message)
    assert all("keeping the previous hyperparameters" in str(w.message) for w in caught[1:])
    np.testing.assert_array_equal(opt._model.params, opt._model._default_params())



def test_a_ctrl_c_inside_the_compiled_fit_stops_the_tell(monkeypatch):
    """A Ctrl-C that lands inside a Numba loop of the hyperparameter fit comes back as
    SystemError("... returned a result with an exception set") from the KeyboardInterrupt;
    the fit's handler took it for a failed fit, warned, and the run went on to its end. It
    is the user's stop: the tell raises KeyboardInterrupt."""
    def interrupted_fit(*args, **kwargs):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as stop:
            raise SystemError("CPUDispatcher(<function lml>) returned a result with an "
                              "exception set") from stop

    opt = Optimizer({"x": Real(0, 1), "y": Real(0, 1)}, seed=0, n_initial=3, options=FAST)
    points = [opt.ask() for _ in range(3)]
    monkeypatch.setattr(bayesopt.model, "fit_map", interrupted_fit)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ModelFitWarning)
        with pytest.raises(KeyboardInterrupt):
            opt.tell(points, [sphere(p) for p in points])


def test_a_fit_failure_is_attributed_to_the_callers_tell(monkeypatch):
    """The ModelFitWarning was shown at bayesopt/optimizer.py (a fixed stacklevel that
    fell short of the user's frame); it names the caller's opt.tell line, for one tell or
    a list."""
    monkeypatch.setattr(bayesopt.model, "fit_map", _failed_fit)
    opt = Optimizer({"x": Real(0, 1), "y": Real(0, 1)}, seed=0, n_initial=3, options=FAST)
    points = [opt.ask() for _ in range(3)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        opt.tell(points, [sphere(p) for p in points])
        line = sys._getframe().f_lineno - 1
        params = opt.ask()
        opt.tell(params, sphere(params))
    fits = [w for w in caught if issubclass(w.category, ModelFitWarning)]
    assert len(fits) == 2
    assert {(w.filename, w.lineno) for w in fits} == {(__file__, line), (__file__, line + 3)}


def test_fit_failure_after_a_good_fit_keeps_the_previous_hyperparameters(monkeypatch):
    opt = Optimizer({"x": Real(0, 1), "y": Real(0, 1)}, seed=0, n_initial=3, options=FAST)
    _run_some(opt, 5)
    good = opt._model.params.copy()
    monkeypatch.setattr(bayesopt.model, "fit_map", _failed_fit)
    with pytest.warns(ModelFitWarning, match="keeping the previous hyperparameters"):
        _run_some(opt, 3)
    np.testing.assert_array_equal(opt._model.params, good)


def _nan_objective(self, params):
    return math.nan, np.full_like(params, math.nan)


def _raising_objective(self, params):
    raise np.linalg.LinAlgError("not positive definite")


@pytest.mark.parametrize("objective", [_nan_objective, _raising_objective], ids=["nan", "raises"])
def test_marginal_likelihood_failures_fall_back_with_a_warning(monkeypatch, objective):
    monkeypatch.setattr(bayesopt.fitting.NegativeLogPosterior, "__call__", objective)
    opt = Optimizer({"x": Real(0, 1), "y": Real(0, 1)}, seed=0, n_initial=3, options=FAST)
    with pytest.warns(ModelFitWarning):
        _run_some(opt, 6)
    np.testing.assert_array_equal(opt._model.params, opt._model._default_params())


def test_fit_returning_non_finite_hyperparameters_falls_back_to_the_defaults(monkeypatch):
    def nan_fit(kernel_name, X, y, priors, starts, *args, **kwargs):
        return FitResult(np.full(X.shape[1] + 2, math.nan), 0.0, True, 1)

    monkeypatch.setattr(bayesopt.model, "fit_map", nan_fit)
    opt = Optimizer({"x": Real(0, 1), "y": Real(0, 1)}, seed=0, n_initial=3, options=FAST)
    with pytest.warns(ModelFitWarning):
        _run_some(opt, 6)
    assert np.all(np.isfinite(opt._model.params))


def test_fit_that_raises_falls_back_instead_of_escaping_ask_and_tell(monkeypatch):
    def raising_fit(kernel_name, X, y, priors, starts, *args, **kwargs):
        raise RuntimeError("L-BFGS-B: ABNORMAL_TERMINATION_IN_LNSRCH")

    monkeypatch.setattr(bayesopt.model, "fit_map", raising_fit)
    opt = Optimizer({"x": Real(0, 1), "y": Real(0, 1)}, seed=0, n_initial=3, options=FAST)
    with pytest.warns(ModelFitWarning):
        _run_some(opt, 6)


# ============================================================ singular kernels


def test_duplicate_points_with_negligible_noise_escalate_the_jitter():
    X = np.repeat([[0.2, 0.4], [0.7, 0.1]], 10, axis=0)  # rank 2, n = 20
    kernel = Kernel("matern52", 2, np.log([0.3, 0.3, 1.0]))
    gp = GaussianProcess(kernel, 1e-300, X, np.arange(20.0))
    assert gp.jitter > 0
    gp.append(X[:3], np.ones(3))  # block append of exact duplicates: the Schur complement is 0
    mean, var = gp.predict(np.array([[0.2, 0.4], [0.5, 0.5]]))
    assert np.all(np.isfinite(mean)) and np.all(var > 0)


def test_optimizer_with_negligible_noise_survives_repeated_points():
    options = OptimizerOptions(
        model=ModelOptions(n_restarts=0, fit=FitOptions(maxiter=30, noise_bounds=(1e-300, 1e-300))),
        acquisition_optimizer=FAST.acquisition_optimizer,
    )
    opt = Optimizer({"x": Real(0, 1), "y": Real(0, 1)}, seed=0, n_initial=3, options=options)
    same = {"x": 0.4, "y": 0.6}
    # a noise variance fixed at 1e-300 makes the fit of six values at one point fail: the
    # model warns, keeps usable hyperparameters and goes on
    def run() -> None:
        opt.tell([same] * 6 + random_points(opt, 3, 11),
                 [1.0, 1.1, 0.9, 1.0, 1.0, 1.05, 2.0, 0.5, 3.0])
        assert opt._model.gp.jitter > 0
        for _ in range(3):
            params = ask_new(opt)
            opt.tell([params, params], [sphere(params), sphere(params) + 0.01])  # twice

    with pytest.warns(ModelFitWarning, match="hyperparameter fit failed"):
        run()


# ========================================================== property test


@st.composite
def dimensions(draw):
    kind = draw(st.sampled_from(["real", "log real", "integer", "categorical"]))
    if kind == "real":  # widths far above float resolution at the bounds' magnitude
        low = draw(st.sampled_from([-1e6, -1.0, 0.0, 3.0]))
        return Real(low, low + draw(st.sampled_from([1e-6, 1.0, 1e6])) * max(1.0, abs(low)))
    if kind == "log real":
        low = draw(st.sampled_from([1e-8, 1e-3, 1.0]))
        return Real(low, low * draw(st.sampled_from([10.0, 1e8])), log=True)
    if kind == "integer":
        low = draw(st.integers(1, 5))
        return Integer(low, low + draw(st.integers(0, 4)), log=draw(st.booleans()))
    return Categorical(draw(st.lists(st.sampled_from("abcdef"), min_size=1, max_size=4,
                                     unique=True)))


VALUES = st.one_of(
    st.floats(-10, 10, allow_nan=False),
    st.sampled_from([1e12, -1e12, 1e-12, -1e-12, 0.0, 7.0]),
)
OPERATIONS = st.one_of(
    st.tuples(st.just("ask"), st.integers(1, 3)),
    st.tuples(st.just("tell"), st.integers(0, 5), VALUES),
    st.tuples(st.just("tell repeat"), st.integers(0, 5)),
    st.tuples(st.just("tell_failure"), st.integers(0, 5)),
    st.tuples(st.just("tell user point"), st.floats(0, 1), VALUES),
)


def check_ask(opt: Optimizer, n: int) -> list[dict[str, Any]]:
    """ask(n): valid points; new ones while the space has any left, then warnings."""
    before = taken_keys(opt)
    size = opt.space.cardinality
    left = math.inf if size is None else size - len(before)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        points = opt.ask() if n == 1 else opt.ask(n)
    points = [points] if n == 1 else points
    exhausted = [w for w in caught if issubclass(w.category, SpaceExhaustedWarning)]
    assert len(exhausted) == max(0, n - left)
    fresh = points[: min(n, left)] if left < math.inf else points
    for params in points:
        assert_valid(opt, params)
    keys = [key(opt, p) for p in fresh]
    assert len(set(keys)) == len(keys) and not set(keys) & before
    return points


# a "tell user point" while points are pending warns UnmatchedTellWarning, as it should
@pytest.mark.filterwarnings("ignore::bayesopt.optimizer.UnmatchedTellWarning")
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_ask_is_valid_and_new_whatever_was_told(data):
    dims = data.draw(st.lists(dimensions(), min_size=1, max_size=4), label="dimensions")
    space = {f"x{i}": dim for i, dim in enumerate(dims)}
    opt = Optimizer(space, seed=data.draw(st.integers(0, 2**16), label="seed"),
                    n_initial=data.draw(st.integers(1, 4), label="n_initial"), options=FAST)
    last_value = 1.0
    for op in data.draw(st.lists(OPERATIONS, min_size=4, max_size=20), label="operations"):
        pending = opt.pending
        if op[0] == "ask":
            check_ask(opt, op[1])
        elif op[0] == "tell user point":
            u = np.full((1, opt.space.n_dims), min(op[1], 0.999))
            opt.tell(opt.space.decode(opt.space.from_unit(u))[0], op[2])
            last_value = op[2]
        elif pending:
            params = pending[op[1] % len(pending)]
            if op[0] == "tell_failure":
                opt.tell_failure(params, "failed")
            else:
                last_value = op[2] if op[0] == "tell" else last_value
                opt.tell(params, last_value)
    check_ask(opt, 1)
    check_ask(opt, 2)


# ================================================================== threads


def test_eight_threads_asking_and_telling_lose_nothing(tmp_path):
    journal = tmp_path / "threads.jsonl"
    opt = Optimizer({"x": Real(0, 1), "y": Real(0, 1)}, seed=0, n_initial=4, options=FAST,
                    journal=journal)
    asked: list[dict[str, Any]] = []
    told: list[tuple[dict[str, Any], float | None]] = []
    errors: list[BaseException] = []
    record = threading.Lock()
    start = threading.Barrier(8)

    def worker(index: int) -> None:
        try:
            start.wait()
            for step in range(5):
                points = opt.ask(2) if (index + step) % 3 == 0 else [opt.ask()]
                with record:
                    asked.extend(points)
                for params in points:
                    if (index + step) % 4 == 1:
                        opt.tell_failure(params, "failed")
                        value = None
                    else:
                        value = sphere(params)
                        opt.tell(params, value)
                    with record:
                        told.append((params, value))
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    keys = [key(opt, p) for p in asked]
    assert len(set(keys)) == len(keys), "a point was handed out twice"
    history = opt.history
    assert len(history) == len(told) == len(asked)
    assert sorted((key(opt, o.params), o.value) for o in history if o.ok) == sorted(
        (key(opt, p), v) for p, v in told if v is not None
    )
    assert sum(not o.ok for o in history) == sum(v is None for _, v in told)
    assert [o.index for o in history] == list(range(len(history)))
    assert opt.pending == []
    assert opt._model.n_observed == sum(o.ok for o in history)
    opt.close()
    with pytest.warns(ResumeWarning, match=f"{len(history)} evaluations and 0 pending points"):
        resumed = Optimizer.resume(journal)  # concurrent journal writes interleave whole lines
    assert resumed.history == history
    assert resumed.pending == []


def test_a_failed_batch_keeps_one_error_per_point_across_a_resume(tmp_path):
    journal = tmp_path / "run.jsonl"
    opt = Optimizer(mixed_space(), seed=0, n_initial=3, journal=journal, options=FAST)
    points = opt.ask(3)
    opt.tell_failure(points, ["out of memory", ValueError("diverged"), None])
    expected = ["out of memory", "ValueError('diverged')", None]
    assert [o.error for o in opt.history] == expected
    assert [o.status for o in opt.history] == ["failed"] * 3
    opt.close()
    with pytest.warns(ResumeWarning, match="3 evaluations and 0 pending points"):
        assert [o.error for o in Optimizer.resume(journal).history] == expected


X01 = {"x": Real(0, 1)}


def _asked(**kwargs: Any) -> tuple[Optimizer, dict[str, Any]]:
    opt = Optimizer(dict(X01), seed=0, **kwargs)
    return opt, opt.ask()


def _told_two(**kwargs: Any) -> None:
    opt = Optimizer(dict(X01), seed=0)
    opt.tell(opt.ask(2), [1.0, 2.0], **kwargs)


def _report_twice() -> None:
    opt, point = _asked()
    opt.report(point, 3, 0.5)
    opt.report(point, np.int64(2), 0.4)


def _report_beyond_budget() -> None:
    opt = Optimizer({"x": Real(0, 1), "b": Fidelity(1, 9)}, seed=0)
    opt.report(opt.ask(), np.float64(100.0), 0.5)


def _fitted() -> Surrogate:
    opt = Optimizer(dict(X01), seed=0, n_initial=3, options=FAST)
    for x in (0.1, 0.5, 0.9):
        opt.tell({"x": x}, x)
    return opt.surrogate()


def _fidelity_surrogate() -> Surrogate:
    opt = Optimizer({"x": Real(0, 1), "b": Fidelity(1, 9)}, seed=0, options=FAST)
    for _ in range(6):
        point = opt.ask()
        opt.tell(point, point["x"])
    return opt.surrogate()


def _resumed_with_constraints() -> None:
    with tempfile.TemporaryDirectory() as directory:
        journal = Path(directory) / "run.jsonl"
        minimize(lambda p: p["x"], dict(X01), n_calls=1, journal=journal, progress=False)
        with pytest.warns(ResumeWarning, match="1 evaluations"):
            minimize(lambda p: (p["x"], [0.0]), dict(X01), n_calls=2, journal=journal,
                     progress=False, n_constraints=np.int64(1))


def _run_report() -> None:
    refused: list[Exception] = []

    def train(params: dict[str, Any], run: Run) -> float:
        try:
            run.report(1, np.True_)
        except TypeError as error:
            refused.append(error)
        return 1.0

    minimize(train, dict(X01), n_calls=1, seed=0, progress=False, pass_run=True)
    raise refused[0]


_CONDITIONAL = {"k": Categorical([1, 2]), "y": Real(0, 1, when={"k": 2})}


@pytest.mark.parametrize("call, message", [
    (lambda: Optimizer({"x": Real(0, 1)}, seed=np.float64(1.5)), r"^seed=1\.5 must be an integer"),
    (lambda: Optimizer({"x": Real(0, 1)}, n_initial=np.int64(-1)), r"^n_initial=-1 must be >= 0"),
    (lambda: Optimizer({"x": Real(0, 1)}).ask(np.int64(0)), r"^n=0 must be >= 1"),
    (lambda: Real(np.float64(math.nan), 1.0), r"low=nan must be finite"),
    (lambda: Categorical([np.int64(1), np.int64(1)]), r"choice 1 appears more than once"),
    (lambda: Optimizer({"x": Real(0, 1)}, seed=0).tell({"x": 0.5}, 1.0, cost=np.float64(-1)),
     r"^cost=-1\.0 must be finite and > 0"),
    (lambda: Optimizer({"x": Real(0, 1)}, seed=0).report({"x": 0.5}, 1, np.float64(math.inf)),
     r"^report: value=inf at step=1 is not finite"),
    (lambda: minimize(lambda p: (np.float64(1.0), np.float64(2.0)), {"x": Real(0, 1)},
                      n_calls=1, progress=False),
     r"^objective returned \(1\.0, 2\.0\), not a number"),
    # tell, tell_failure and report: their params, values, flags, constraints, steps, runs
    (lambda: _asked()[0].tell(np.float64(1.0), 1.0),
     r"^params must be a dict or a list of dicts, got 1\.0$"),
    (lambda: _asked()[0].tell([{"x": 0.5}, np.int64(3)], [1.0, 2.0]),
     r"^params must be a dict or a list of dicts, got 3 at position 1$"),
    (lambda: _asked()[0].tell([{"x": 0.5}, {"x": 0.6}], np.float64(1.0)),
     r"^a list of 2 params needs a list of values, got 1\.0$"),
    (lambda: _asked()[0].tell({"x": 0.5}, 1.0, pruned=np.int64(1)),
     r"^pruned=1 must be True or False"),
    (lambda: _asked(n_constraints=1)[0].tell([{"x": 0.5}, {"x": 0.6}], [1.0, 2.0],
                                             constraints=[np.float64(1.0)]),
     r"^constraints=\[1\.0\]: give one list of constraint values per told point \(2\)"),
    (lambda: _asked(n_constraints=1)[0].tell([{"x": 0.5}, {"x": 0.6}], [1.0, 2.0],
                                             constraints=[[[np.float64(1.0)]], [2.0]]),
     r"constraints: \[\[1\.0\]\] must be a non-empty list of numbers"),
    (lambda: _asked()[0].tell_failure({"x": 0.5}, np.float64(1.5)),
     r"^error must be a string, an exception or None, got 1\.5$"),
    (lambda: _asked()[0].report(_asked()[1], [np.int64(1), np.int64(2)], np.float64(0.5)),
     r"^report: step=\[1, 2\] and value=0\.5: give one number each"),
    (lambda: _asked()[0].report(_asked()[1], [np.int64(1), np.int64(1)], [0.5, 0.4]),
     r"^report: step\[1\]=1 must be after step\[0\]=1 \(steps increase\)"),
    (_report_twice, r"^report: step=2 must be after the last reported step 3\.0"),
    (_report_beyond_budget, r"^report: step=100\.0 is beyond the budget b=1 "),
    (lambda: _told_two(run=[np.int64(1)]), r"^run=\[1\]: 1 run id\(s\) for 2 params"),
    (lambda: _told_two(run=[np.int64(1), np.int64(1)]), r"^run=\[1, 1\] names a run twice"),
    (lambda: _told_two(run=np.float64(1.0)),
     r"^run=1\.0: a list of 2 params takes a list of 2 run ids"),
    (_run_report, r"^run\.report: value=True must be a number"),
    # the space: a point's params as a dict of numbers, log=, the hints of a refused value
    (lambda: Optimizer(dict(X01)).space.validate(np.float64(0.5)),
     r"^params must be a dict of \['x'\], got 0\.5$"),
    (lambda: Optimizer({"x": Real(0, 1), "y": Real(0, 1)}).tell({"x": np.float64(0.5)}, 1.0),
     r"^missing parameter\(s\) \['y'\] in \{'x': 0\.5\}$"),
    (lambda: Optimizer(_CONDITIONAL).tell({"k": np.int64(2)}, 1.0),
     r"^missing parameter\(s\) \['y'\] in \{'k': 2\}: they are active"),
    (lambda: Optimizer(_CONDITIONAL).tell({"k": np.int64(1), "y": np.float64(0.5)}, 1.0),
     r"are inactive at \{'k': 1, 'y': 0\.5\}; leave them out"),
    (lambda: Real(1, 2, log=np.int64(1)), r"log=1 must be True or False"),
    (lambda: Categorical([np.float64(0.5), np.float64(1.5)]).validate(np.int64(1)),
     r"\(an index\? it is choice 1\.5: hyperopt"),
    (lambda: Categorical([np.int64(3), np.int64(4)]).validate("3"),
     r"\(the text of the choice 3, of type int64: convert"),
    (lambda: Optimizer({"x": (np.float64(0.01), np.float64(1.0), "log-uniform")}),
     (r"^dimension 'x': \(0\.01, 1\.0, 'log-uniform'\) is not a Real.*; scikit-optimize's "
      r"\(0\.01, 1\.0, 'log-uniform'\) is Real\(0\.01, 1\.0, log=True\) here$")),
    (lambda: Optimizer({"x": (np.int64(0), np.int64(10), np.int64(5))}),
     r"Talos' \(min, max, steps\) \(0, 10, 5\) is Integer\(0, 8, step=2\)"),
    (lambda: Optimizer({"x": [np.float64(0.1), np.float64(0.2)]}),
     r"^dimension 'x': \[0\.1, 0\.2\] is not a Real.* is Categorical\(\[0\.1, 0\.2\]\) here"),
    # minimize's x0, y0 and n_constraints (resuming a journal)
    (lambda: minimize(lambda p: 1.0, dict(X01), n_calls=1, y0=np.float64(1.0), progress=False),
     r"^y0=1\.0 was given without x0"),
    (lambda: minimize(lambda p: 1.0, dict(X01), n_calls=1, x0=np.float64(0.5), progress=False),
     r"^x0=0\.5 must be a dict or a list of dicts"),
    (lambda: minimize(lambda p: 1.0, {"x": Real(0, 1), "y": Real(0, 1)}, n_calls=1,
                      x0=[np.float64(0.5), np.float64(0.25)], progress=False),
     (r"^x0\[0\]=0\.5 must be a dict of parameters \(scikit-optimize's list of values is "
      r"\{'x': 0\.5, 'y': 0\.25\} here\)")),
    (lambda: minimize(lambda p: 1.0, dict(X01), n_calls=3, x0=[{"x": 0.5}, {"x": 0.6}],
                      y0=np.float64(1.0), progress=False),
     r"^y0=1\.0 must be a list of 2 numbers"),
    (_resumed_with_constraints, r"^n_constraints=1, but journal"),
    # the surrogate, feasible=, linear constraints, options, priors, test functions, threads
    (lambda: _fitted().sample({"x": 0.5}, 2, seed=np.float64(1.5)),
     r"^seed=1\.5 must be an int, a numpy Generator or None"),
    (lambda: _fitted().predict({"x": 0.5}, level=np.float64(1.5)), r"^level=1\.5 must be in"),
    (lambda: _fitted().predict({"x": 0.5}, level=np.True_), r"^level=True must be a number"),
    (lambda: Optimizer(dict(X01), seed=0, feasible=lambda p: np.float64(1.0)).ask(),
     r"returned 1\.0 for \{'x': "),
    (lambda: LinearConstraint(np.float64(1.0), "<=", 1.0), r"^coefficients=1\.0 must be"),
    (lambda: Optimizer(dict(X01), acquisition="logei", cost_budget=np.float64(3.0)),
     r"^cost_budget=3\.0 sets the cost cooling"),
    (lambda: FitOptions(noise_bounds=[np.float64(1e-6), np.float64(1.0)]),
     r"^noise_bounds=\[1e-06, 1\.0\] must be a tuple"),
    (lambda: FitOptions(noise_bounds=(np.float64(1.0),)), r"^noise_bounds=\(1\.0,\) must have 2"),
    (lambda: FitOptions(noise_bounds=(np.float64(1.0), np.float64(1e-6))),
     r"^noise_bounds=\(1\.0, 1e-06\) must satisfy low <= high"),
    (lambda: OptimizerOptions(model=np.float64(1.0)), r"^model=1\.0 must be a ModelOptions"),
    (lambda: PowerGammaPrior(power=np.float64(math.inf), shape=1.0, rate=1.0),
     r"^prior needs finite parameters, got power=inf$"),
    (lambda: PowerGammaPrior(power=1.0, shape=np.float64(0.5), rate=1.0, jacobian=np.False_).mode,
     r"^prior with shape=0\.5, inverse_rate=0 and jacobian=False has no mode"),
    (lambda: _fidelity_surrogate().acquisition({"x": 0.5, "b": np.float64(3.0)}),
     r"^b=3\.0: the acquisition is that of the highest budget b=9"),
    (lambda: ExpectedImprovement(best_f=np.True_), r"^best_f must be a real number, got True "),
    (lambda: gp_ucb_beta(np.float64(2.0), 1), r"^t must be an integer, got 2\.0 \(float64\)"),
    (lambda: Branin(noise_std=np.float64(-1.0)), r"^noise_std must be finite and >= 0, got -1\.0"),
    (lambda: Ackley(dim=np.int64(0)), r"^dim must be >= 1, got 0$"),
    (lambda: Ackley(dim=np.float64(2.0)), r"^dim must be an integer, got 2\.0$"),
    (lambda: Branin()({"x0": np.True_, "x1": 0.0}), r"^branin: x0=True must be a real number"),
    (lambda: Optimizer(dict(X01), threads=np.int64(0)), r"^threads=0 must be from 1 to"),
])
def test_numpy_scalars_are_shown_as_the_numbers_they_are(call: Any, message: str) -> None:
    """Arguments computed with numpy are named by their value ("seed=np.float64(1.5)"
    before); a float32 keeps numpy's repr (tests/test_space.py), its Python float is not
    what was given."""
    with pytest.raises((TypeError, ValueError), match=message):
        call()


def test_shown_writes_a_dict_s_keys_and_values_as_numbers() -> None:
    """A point's params in a message ("missing parameter(s) ['y'] in {'x': 0.5}"); a dict
    of Python values is its repr."""
    given = {np.str_("x"): np.float64(0.5), "n": [np.int64(2)], "f": np.float32(0.1), "e": {}}
    assert shown(given) == "{'x': 0.5, 'n': [2], 'f': np.float32(0.1), 'e': {}}"
    plain = {"x": 0.5, "k": (1,), "s": "a", 2: None}
    assert shown(plain) == repr(plain)

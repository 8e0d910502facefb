"""The ask/tell Optimizer and minimize(): API contract, validation, pending points, determinism."""

from __future__ import annotations

import inspect
import math
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest

from bayesopt import Categorical, Integer, Observation, Optimizer, Real, minimize
from bayesopt.failures import EvaluationFailedWarning
from bayesopt.optimizer import ResumeWarning
from bayesopt.test_functions import Branin
from kernels.cholesky import CholeskyFactor

# Resuming a journal or study that holds evaluations warns (ResumeWarning), and so does an
# evaluation that raises in minimize (EvaluationFailedWarning): a test that does either says
# so with pytest.warns, and any other such warning fails it.
pytestmark = [pytest.mark.filterwarnings("error::bayesopt.optimizer.ResumeWarning"),
              pytest.mark.filterwarnings("error::bayesopt.failures.EvaluationFailedWarning")]


def mixed_space():
    return {
        "lr": Real(1e-5, 1e-1, log=True),
        "layers": Integer(1, 8),
        "activation": Categorical(["relu", "tanh", "gelu"]),
    }


def quadratic(params):
    penalty = {"relu": 0.0, "tanh": 0.3, "gelu": 0.1}[params["activation"]]
    return (math.log10(params["lr"]) + 3) ** 2 + (params["layers"] - 4) ** 2 / 10 + penalty


def run(opt, func, n):
    for _ in range(n):
        params = opt.ask()
        opt.tell(params, func(params))
    return opt


def test_ask_returns_valid_point_in_user_units():
    opt = Optimizer(mixed_space(), seed=0)
    params = opt.ask()
    assert set(params) == {"lr", "layers", "activation"}
    assert 1e-5 <= params["lr"] <= 1e-1 and isinstance(params["lr"], float)
    assert params["layers"] in range(1, 9) and isinstance(params["layers"], int)
    assert params["activation"] in ("relu", "tanh", "gelu")


def test_list_space_with_named_dimensions():
    space = [Real(0, 1, name="x"), Integer(0, 3, name="k")]
    opt = Optimizer(space, seed=0)
    assert set(opt.ask()) == {"x", "k"}


@pytest.mark.parametrize("acquisition", ["logei", "ei", "pi", "ucb"])
@pytest.mark.parametrize("kernel", ["matern52", "matern32", "matern12", "rbf"])
def test_every_acquisition_and_kernel_improves_on_the_initial_design(acquisition, kernel):
    opt = Optimizer(mixed_space(), seed=0, acquisition=acquisition, kernel=kernel, n_initial=6)
    run(opt, quadratic, 30)
    initial_best = min(o.value for o in opt.history[:6])
    assert opt.best.value < initial_best


@pytest.mark.parametrize("acquisition", ["logei", "ei", "ucb"])
@pytest.mark.parametrize("kernel", ["matern52", "matern32", "rbf"])
def test_smooth_kernels_find_the_optimum_of_a_mixed_quadratic(acquisition, kernel):
    opt = Optimizer(mixed_space(), seed=0, acquisition=acquisition, kernel=kernel, n_initial=6)
    run(opt, quadratic, 30)
    assert opt.best.value < 0.05  # the optimum is 0 at lr=1e-3, layers=4, relu


def test_model_based_asks_are_new_points():
    opt = run(Optimizer(mixed_space(), seed=2, n_initial=5), quadratic, 25)
    seen = [tuple(sorted(o.params.items())) for o in opt.history]
    assert len(set(seen)) == len(seen)


def test_pending_points_are_distinct_and_not_reproposed():
    opt = run(Optimizer({"x": Real(0, 1), "y": Real(0, 1)}, seed=0, n_initial=4),
              lambda p: (p["x"] - 0.3) ** 2 + (p["y"] - 0.7) ** 2, 8)
    first = [opt.ask() for _ in range(3)]
    batch = opt.ask(4)
    points = np.array([[p["x"], p["y"]] for p in first + batch])
    distances = np.linalg.norm(points[:, None] - points[None], axis=-1)[np.triu_indices(7, 1)]
    assert distances.min() > 1e-3
    assert len(opt.pending) == 7
    opt.tell(first[0], 0.5)
    assert len(opt.pending) == 6
    assert len(opt.history) == 9


def test_tell_lists_of_points():
    opt = Optimizer(mixed_space(), seed=0)
    batch = opt.ask(3)
    opt.tell(batch, [quadratic(p) for p in batch])
    assert [o.params for o in opt.history] == batch
    assert opt.pending == []


def test_maximize_flips_the_objective():
    opt = Optimizer({"x": Real(-2, 2)}, seed=0, maximize=True, n_initial=4)
    run(opt, lambda p: -(p["x"] - 1.0) ** 2, 15)
    assert abs(opt.best.params["x"] - 1.0) < 0.05
    assert opt.best.value == max(o.value for o in opt.history)


def test_same_seed_same_asks():
    def sequence(seed):
        opt = Optimizer(mixed_space(), seed=seed, n_initial=4)
        run(opt, quadratic, 12)
        return [o.params for o in opt.history]

    assert sequence(7) == sequence(7)
    assert sequence(7) != sequence(8)


def test_minimize_asks_what_the_same_hand_written_loop_asks():
    """The README's determinism promise: minimize is the ask/tell loop, bit for bit."""
    from bayesopt import minimize

    opt = Optimizer(mixed_space(), seed=5, n_initial=4)
    run(opt, quadratic, 12)
    result = minimize(quadratic, mixed_space(), n_calls=12, seed=5, n_initial=4, progress=False)
    assert [o.params for o in result.history] == [o.params for o in opt.history]
    assert [o.value for o in result.history] == [o.value for o in opt.history]


def test_failures_are_recorded_and_not_reproposed():
    opt = Optimizer({"x": Integer(0, 5), "c": Categorical(["a", "b"])}, seed=0, n_initial=3)
    for _ in range(12):
        params = opt.ask()
        if params["x"] == 2:
            opt.tell_failure(params, "diverged")
        else:
            opt.tell(params, float(params["x"]))
    failed = [o for o in opt.history if not o.ok]
    assert all(o.error == "diverged" and o.value is None for o in failed)
    keys = [tuple(sorted(o.params.items())) for o in opt.history]
    assert len(set(keys)) == len(keys) == 12  # the whole 12-point space, each once


def test_exhausted_finite_space_warns_and_still_answers():
    from bayesopt import SpaceExhaustedWarning

    opt = Optimizer({"c": Categorical(["a", "b", "c"])}, seed=0)
    run(opt, lambda p: {"a": 1.0, "b": 0.0, "c": 2.0}[p["c"]], 3)
    with pytest.warns(SpaceExhaustedWarning, match="exhausted"):
        params = opt.ask()
    assert params["c"] in ("a", "b", "c")
    with pytest.warns(SpaceExhaustedWarning, match=r"all 3 points are observed or pending"):
        opt.ask()


def test_a_real_with_few_floats_warns_without_a_count_of_none():
    """Real(1, 1 + 1e-15) holds five floats: once they are all asked the warning says so,
    not 'all None points are observed' (its cardinality is None: a continuum)."""
    from bayesopt import SpaceExhaustedWarning

    opt = Optimizer({"x": Real(1.0, 1.0 + 1e-15)}, seed=0, n_initial=2)
    with pytest.warns(SpaceExhaustedWarning) as caught:
        run(opt, lambda p: p["x"] - 1.0, 8)
    message = str(caught[0].message)
    assert "None" not in message
    assert re.search(r"no new point: every point tried .* is observed or pending", message)


def test_result_holds_history_and_best():
    opt = run(Optimizer(mixed_space(), seed=3, n_initial=4), quadratic, 10)
    opt.tell_failure(opt.ask(), RuntimeError("boom"))
    result = opt.result()
    assert len(result) == 11 and result.n_failed == 1
    assert result.best_value == min(v for v in result.values if not np.isnan(v))
    assert result.best_params == opt.best.params
    assert np.all(np.diff(result.best_so_far[~np.isnan(result.best_so_far)]) <= 0)
    assert result.model is not None


# ------------------------------------------------------------------ validation
@pytest.mark.parametrize(
    "params, value, error, match",
    [
        ({"lr": 1e-3, "layers": 2}, 1.0, ValueError, "missing.*activation"),
        ({"lr": 1e-3, "layers": 2, "activation": "relu", "dropout": 0.1}, 1.0, ValueError, "unknown.*dropout"),
        ({"lr": 1.0, "layers": 2, "activation": "relu"}, 1.0, ValueError, "'lr'.*outside"),
        ({"lr": "fast", "layers": 2, "activation": "relu"}, 1.0, TypeError, "'lr'.*'fast'"),
        ({"lr": 1e-3, "layers": 2.5, "activation": "relu"}, 1.0, ValueError, "'layers'.*2.5.*integer"),
        ({"lr": 1e-3, "layers": 2, "activation": "elu"}, 1.0, ValueError, "'activation'.*'elu'"),
        ({"lr": 1e-3, "layers": 2, "activation": "relu"}, float("nan"), ValueError, "tell_failure"),
        ({"lr": 1e-3, "layers": 2, "activation": "relu"}, float("inf"), ValueError, "tell_failure"),
        ({"lr": 1e-3, "layers": 2, "activation": "relu"}, "0.5", TypeError, "real number"),
        ({"lr": 1e-3, "layers": 2, "activation": "relu"}, np.array(0.5), TypeError,
         r"real number, got array\(0\.5\) \(a one-number numpy array .* float\(value\)"),
        ([{"lr": 1e-3, "layers": 2, "activation": "relu"}], [1.0, 2.0], ValueError, "1 params but 2 values"),
    ],
)
def test_invalid_tell_raises_and_changes_nothing(params, value, error, match):
    opt = Optimizer(mixed_space(), seed=0)
    run(opt, quadratic, 2)
    pending = opt.ask()
    with pytest.raises(error, match=match):
        opt.tell(params, value)
    assert len(opt.history) == 2 and opt.pending == [pending]


def test_batch_tell_with_one_bad_point_records_nothing():
    opt = Optimizer(mixed_space(), seed=0)
    batch = opt.ask(3)
    batch[2] = {**batch[2], "layers": 99}
    with pytest.raises(ValueError, match="layers"):
        opt.tell(batch, [1.0, 2.0, 3.0])
    assert opt.history == [] and len(opt.pending) == 3


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"acquisition": "qei"}, ValueError, "acquisition='qei'"),
        ({"kernel": "linear"}, ValueError, "kernel='linear'"),
        ({"n_initial": -1}, ValueError, "n_initial=-1"),
        ({"n_initial": 2.5}, TypeError, "n_initial=2.5"),
        ({"maximize": "yes"}, TypeError, "maximize='yes'"),
        ({"ucb_beta": -1.0}, ValueError, "ucb_beta=-1.0"),
    ],
)
def test_invalid_optimizer_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        Optimizer(mixed_space(), **kwargs)


PEER_KEYWORDS = [  # (keyword, what the error says), the peers' names as minimize maps them
    ("n_initial_points", "n_initial_points=; write n_initial= "),  # scikit-optimize
    ("random_state", "random_state=; write seed= "),
    ("acq_func", "acq_func=; write acquisition= "),
    ("n_startup_trials", "n_startup_trials=; write n_initial= "),  # Optuna
    ("n_inital", "n_inital=; did you mean n_initial="),
    ("bogus", r"bogus=; it accepts \['acquisition'"),
]


@pytest.mark.parametrize("keyword, match", PEER_KEYWORDS)
def test_an_unknown_keyword_raises_naming_it_and_the_name_here(tmp_path, keyword, match):
    """Optimizer raised Python's bare "unexpected keyword argument" TypeError."""
    journal = tmp_path / "run.jsonl"
    with pytest.raises(TypeError, match=f"^Optimizer got the unknown keyword argument {match}"):
        Optimizer(mixed_space(), journal=journal, **{keyword: 10})
    assert not journal.exists()  # refused before anything is created


@pytest.mark.parametrize("keyword, match", [
    ("executor", "executor=: executor= is minimize's"),
    ("n_workers", "n_workers=: n_workers= is minimize's"),
    ("n_jobs", "n_jobs=: n_jobs= is minimize's n_workers="),
])
def test_minimizes_parallel_keywords_say_they_are_minimizes_and_how_to_ask_in_parallel(
        tmp_path, keyword, match):
    """Optimizer(space, executor=pool) raised the bare unknown-keyword error (n_jobs=, a
    peer's n_workers=, not even a hint): they are minimize's, and an Optimizer runs in
    parallel by ask(k)."""
    journal = tmp_path / "run.jsonl"
    with ThreadPoolExecutor(2) as pool, pytest.raises(
            TypeError, match=f"^Optimizer got the unknown keyword argument {match}"
                             r".*ask\(k\) returns k distinct points to evaluate at once"):
        Optimizer(mixed_space(), journal=journal, **{keyword: pool if keyword == "executor" else 2})
    assert not journal.exists()


@pytest.mark.parametrize("keyword, match", [
    ("random_state", r"random_state=; it accepts \['append', 'feasible', 'journal', 'space', 'threads'\]"),
    ("apend", "apend=; did you mean append="),
])
def test_resume_refuses_an_unknown_keyword_naming_it(tmp_path, keyword, match):
    journal = tmp_path / "run.jsonl"
    run(Optimizer(mixed_space(), seed=0, journal=journal), quadratic, 3).close()
    before = journal.read_bytes()
    with pytest.raises(TypeError, match=f"^Optimizer.resume got the unknown keyword argument "
                                        f"{match}"):
        Optimizer.resume(journal, **{keyword: 0})
    assert journal.read_bytes() == before
    assert len(Optimizer.resume(journal, append=False).history) == 3


def test_the_signature_still_lists_every_parameter():
    """The catch-all for unknown keywords hides none of the real ones from IDEs."""
    parameters = inspect.signature(Optimizer).parameters
    assert list(parameters)[:3] == ["space", "acquisition", "kernel"]
    assert {"n_initial", "seed", "maximize", "journal", "options", "storage", "study",
            "pruner"} <= set(parameters)
    assert all(p.kind is p.KEYWORD_ONLY for name, p in parameters.items()
               if name not in ("space", "unknown"))
    assert parameters["unknown"].kind is inspect.Parameter.VAR_KEYWORD
    resume = inspect.signature(Optimizer.resume).parameters
    assert list(resume) == ["journal", "space", "append", "feasible", "threads", "unknown"]


@pytest.mark.parametrize("n, error", [(0, ValueError), (-2, ValueError), (1.5, TypeError)])
def test_invalid_ask_count(n, error):
    with pytest.raises(error, match="n="):
        Optimizer(mixed_space()).ask(n)


# ------------------------------------------------------------------- minimize
def test_minimize_records_exceptions_and_keeps_going():
    def flaky(params):
        if params["layers"] == 3:
            raise RuntimeError("out of memory")
        if params["layers"] == 5:
            return float("nan")
        return quadratic(params)

    with pytest.warns(EvaluationFailedWarning, match="out of memory"):
        result = minimize(flaky, mixed_space(), n_calls=20, seed=0, progress=False)
    assert len(result) == 20
    failed = [o for o in result.history if not o.ok]
    assert all(o.params["layers"] in (3, 5) for o in failed)
    assert all("out of memory" in o.error or "nan" in o.error for o in failed)
    assert result.best_value < 1.0


def test_minimize_callback_sees_every_observation_and_can_stop():
    seen = []

    def callback(observation, optimizer):
        seen.append(observation.index)
        return len(seen) == 7

    result = minimize(quadratic, mixed_space(), n_calls=20, seed=0, progress=False, callback=callback)
    assert seen == list(range(7)) and len(result) == 7


def test_minimize_progress_bar_writes_to_stderr(capsys):
    f = Branin()
    minimize(lambda p: f(np.array([p["x0"], p["x1"]])), f.search_space(), n_calls=6, seed=0,
             progress=True)
    assert "6/6" in capsys.readouterr().err


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"n_calls": 0}, ValueError, "n_calls=0"),
        ({"callback": 3}, TypeError, "callback=3"),
        ({"progress": "no"}, TypeError, "progress='no' must be True or False"),
    ],
)
def test_minimize_validates_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        minimize(quadratic, mixed_space(), **{"progress": False, **kwargs})


def test_add_pending_points_are_avoided_fantasized_and_told_like_asks(tmp_path):
    journal = tmp_path / "run.jsonl"
    opt = run(Optimizer({"x": Real(0, 1), "y": Real(0, 1)}, seed=0, n_initial=4,
                        journal=journal), lambda p: (p["x"] - 0.3) ** 2 + (p["y"] - 0.7) ** 2, 6)
    elsewhere = [{"x": 0.3, "y": 0.7}, {"x": 0.31, "y": 0.69}]
    opt.add_pending(elsewhere)
    assert opt.pending == elsewhere
    batch = opt.ask(3)
    points = np.array([[p["x"], p["y"]] for p in batch + elsewhere])
    distances = np.linalg.norm(points[:, None] - points[None], axis=-1)[np.triu_indices(5, 1)]
    assert distances.min() > 1e-3
    opt.tell(elsewhere[0], 0.0)
    opt.tell_failure(elsewhere[1], "diverged")
    assert opt.pending == batch
    twin = tmp_path / "twin.jsonl"  # one writer per journal: the resumed run writes a copy
    shutil.copy(journal, twin)
    with pytest.warns(ResumeWarning, match=": 8 evaluations and 3 pending points"):
        resumed = Optimizer.resume(twin)
    assert resumed.pending == batch and resumed.ask() == opt.ask()


@pytest.mark.parametrize("params, error, match", [
    ({"x": 2.0}, ValueError, "'x'"),
    ({"z": 0.5}, ValueError, "unknown parameter"),
    ("x", TypeError, "params must be"),
])
def test_add_pending_validates_and_changes_nothing(params, error, match):
    opt = Optimizer({"x": Real(0, 1)}, seed=0)
    with pytest.raises(error, match=match):
        opt.add_pending(params)
    assert opt.pending == []


def test_add_pending_of_a_point_already_pending_raises_naming_it_and_adds_nothing():
    """A second entry would outlive the point's tell (a tell releases one entry) and count
    its fantasy twice."""
    opt = Optimizer({"k": Integer(0, 4), "x": Real(0, 1)}, seed=0, n_initial=3)
    opt.add_pending({"k": 1, "x": 0.5})
    with pytest.raises(ValueError, match=r"add_pending: \{'k': 1, 'x': 0.5\} is pending already"):
        opt.add_pending({"k": 1, "x": 0.5})
    with pytest.raises(ValueError, match="is pending already"):  # a tell would match it
        opt.add_pending([{"k": 2, "x": 0.25}, {"k": 1, "x": 0.5 * (1 + 1e-12)}])
    asked = opt.ask()
    with pytest.raises(ValueError, match="is pending already"):
        opt.add_pending(asked)
    with pytest.raises(ValueError, match=r"\{'k': 3, 'x': 0.75\} is named twice"):
        opt.add_pending([{"k": 3, "x": 0.75}, {"k": 3, "x": 0.75}])
    assert opt.pending == [{"k": 1, "x": 0.5}, asked]
    opt.tell({"k": 1, "x": 0.5}, 1.0)
    opt.add_pending({"k": 1, "x": 0.5})  # told, so no longer pending: a new evaluation
    assert opt.pending == [asked, {"k": 1, "x": 0.5}]


def test_add_pending_with_repeat_adds_a_second_evaluation_each_tell_releases_one():
    opt = Optimizer({"x": Real(0, 1)}, seed=0, n_initial=3)
    opt.add_pending({"x": 0.5})
    opt.add_pending([{"x": 0.5}, {"x": 0.5}], repeat=True)
    assert opt.pending == [{"x": 0.5}] * 3
    opt.tell({"x": 0.5}, 1.0)
    opt.tell({"x": 0.5}, 1.1)
    assert opt.pending == [{"x": 0.5}]
    with pytest.raises(TypeError, match="repeat"):
        opt.add_pending({"x": 0.25}, repeat="yes")
    assert opt.pending == [{"x": 0.5}]


def test_ask_of_more_points_than_a_tiny_space_holds_still_repeats_them():
    """add_pending's check is its own: an ask on an exhausted space repeats points (with a
    SpaceExhaustedWarning) and each tell releases one of them."""
    from bayesopt import SpaceExhaustedWarning

    opt = Optimizer({"k": Integer(0, 2)}, seed=5, n_initial=3)
    with pytest.warns(SpaceExhaustedWarning):
        batch = opt.ask(5)
    assert sorted(p["k"] for p in batch) == [0, 1, 1, 2, 2]
    for params in batch:
        opt.tell(params, float(params["k"]))
    assert opt.pending == []


def test_acquisition_local_search_runs_with_one_blas_thread() -> None:
    """L-BFGS-B's tiny BLAS calls on a wide BLAS pool cost ~3 ms each on a busy machine."""
    import threadpoolctl

    from kernels.threads import one_blas_thread

    opt = Optimizer({"x": Real(0.0, 1.0), "y": Real(0.0, 1.0)}, seed=0, n_initial=3)
    for _ in range(3):
        p = opt.ask()
        opt.tell(p, (p["x"] - 0.3) ** 2 + p["y"])
    objective = opt._snapshot_objective(pending=True)
    assert objective.local_search_context is one_blas_thread
    with objective.local_search_context():
        blas = threadpoolctl.threadpool_info()
        assert all(lib["num_threads"] == 1 for lib in blas if lib["user_api"] == "blas")


def test_a_nan_choice_is_told_released_and_reproposed_never():
    """scikit-learn's missing_values=np.nan is a choice users give: a tell of it with a NaN
    object other than the one asked (as any computation makes) is that choice and releases
    its pending ask, and a second NaN is a duplicate choice (before: nan != nan, so each
    tell warned UnmatchedTellWarning and left its ask pending, and [nan, nan] passed)."""
    import warnings

    from bayesopt import UnmatchedTellWarning

    opt = Optimizer({"missing": Categorical([np.nan, 0.0, -1.0]), "x": Real(0.0, 1.0)},
                    seed=0, n_initial=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnmatchedTellWarning)
        for _ in range(8):
            params = opt.ask()
            told = dict(params, missing=float(str(params["missing"])))  # a new NaN object
            opt.tell(told, params["x"] + (params["missing"] == 0.0))
    assert opt.pending == []
    assert sum(math.isnan(o.params["missing"]) for o in opt.history) >= 2
    with pytest.raises(ValueError, match=r"choice nan appears more than once"):
        Categorical([np.nan, 0.0, float("nan")])


def test_a_real_with_fraction_or_numpy_bounds_asks_points_it_accepts():
    """Real(Fraction(1, 3), 1) was accepted, then its own ask of the low end, the float
    0.333..., was refused by the tell as outside [1/3, 1]. Its bounds are now the floats
    the asks are made of (numpy scalars too), so every ask is told back."""
    from fractions import Fraction

    dim = Real(Fraction(1, 3), Fraction(2, 3))
    assert (dim.low, dim.high) == (float(Fraction(1, 3)), float(Fraction(2, 3)))
    assert type(Real(np.float32(0.5), 1).low) is float
    opt = Optimizer({"x": dim, "y": Real(np.float32(0.1), np.float64(0.9))}, seed=0,
                    n_initial=2)
    for _ in range(10):
        params = opt.ask()
        opt.tell(params, params["x"] + params["y"])  # minimum at both low ends
    assert opt.best.params["x"] == dim.low


def test_an_observations_params_cannot_be_changed_behind_the_optimizers_back():
    """cfg = opt.best.params; cfg["x"] = ... (building a final config from the best) wrote
    into the optimizer's own record: opt.best, opt.history and opt.result() then showed a
    point never evaluated. An observation's params now refuse changes, naming the copy
    to make, and stay a dict for everything else (json, dict(), pickle, deepcopy)."""
    import copy
    import json
    import pickle

    opt = Optimizer({"x": Real(0.0, 1.0), "k": Integer(1, 4)}, seed=0)
    for _ in range(3):
        params = opt.ask()
        opt.tell(params, params["x"])
    best = opt.best.params
    before = dict(best)
    for change in (lambda p: p.__setitem__("x", 0.5), lambda p: p.update(epochs=100),
                   lambda p: p.pop("k"), lambda p: p.setdefault("epochs", 1),
                   lambda p: p.__delitem__("x"), lambda p: p.clear(), lambda p: p.popitem()):
        with pytest.raises(TypeError, match=r"read-only.*dict\(observation\.params\)"):
            change(best)
    with pytest.raises(TypeError, match="read-only"):
        opt.history[0].params["x"] = 0.5
    assert opt.best.params == before and opt.result().best_params == before
    assert isinstance(best, dict) and json.loads(json.dumps(best)) == before
    for mine in (dict(best), best.copy(), copy.copy(best)):
        mine["epochs"] = 100
        assert type(mine) is dict and {**best, "epochs": 100} == mine
    assert pickle.loads(pickle.dumps(opt)).best.params == before
    assert copy.deepcopy(opt.history)[0].params == opt.history[0].params
    result = opt.result()
    result.best_params["x"] = 0.5  # the result's best_params is the caller's own copy
    assert opt.best.params == before


def _branin_asks(min_distance: float | None, n: int = 10) -> list[dict]:
    from acquisition.optimizer import AcquisitionOptimizerOptions
    from bayesopt import OptimizerOptions

    f = Branin()
    options = None if min_distance is None else OptimizerOptions(
        acquisition_optimizer=AcquisitionOptimizerOptions(min_distance=min_distance))
    opt = Optimizer(f.space, seed=0, n_initial=5, options=options)
    asked = []
    for _ in range(n):
        params = opt.ask()
        asked.append(params)
        opt.tell(params, float(f(params)))
    return asked


def test_a_min_distance_that_empties_the_search_is_warned_once_per_run():
    """min_distance=0.5 on Branin: after the design no candidate is 0.5 from every
    observation, so each model point is a uniformly random new point; that was silent. It
    is now one SpaceExhaustedWarning naming min_distance and its value, for the whole run;
    at the default min_distance none."""
    from bayesopt import SpaceExhaustedWarning

    with pytest.warns(SpaceExhaustedWarning) as caught:
        _branin_asks(0.5)
    messages = [str(w.message) for w in caught if issubclass(w.category, SpaceExhaustedWarning)]
    assert len(messages) == 1, messages  # five model asks, one warning
    # at the caller's line (opt.ask in _branin_asks), not bayesopt/optimizer.py's
    assert [w.filename for w in caught if issubclass(w.category, SpaceExhaustedWarning)] == [
        __file__]
    assert messages[0].startswith("AcquisitionOptimizerOptions(min_distance=0.5): no candidate")
    assert "replaced by uniformly random new points" in messages[0]
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", SpaceExhaustedWarning)
        _branin_asks(None)


def test_repr_shows_what_a_notebook_user_looks_for(tmp_path):
    """``opt`` in a notebook cell: the space's names, acquisition and seed, the counts of
    evaluations, failures and pending points, the best value and the journal; reading it
    changes no ask."""
    space = {"lr": Real(1e-5, 1e-1, log=True), "layers": Integer(1, 8)}
    opt = Optimizer(space, seed=3, journal=tmp_path / "run.jsonl")
    twin = Optimizer(space, seed=3)
    assert repr(opt) == ("<Optimizer over ['lr', 'layers'] (logei, seed=3): 0 evaluations "
                         "(0 failed), 0 pending, no best yet; journal "
                         f"{str(tmp_path / 'run.jsonl')!r}>")
    for i, value in enumerate([4.0, None, 2.5, 3.0, 7.0, 1.25]):
        p, q = opt.ask(), twin.ask()
        assert p == q
        if value is None:
            opt.tell_failure(p, "diverged")
            twin.tell_failure(q, "diverged")
        else:
            opt.tell(p, value)
            twin.tell(q, value)
        repr(opt)
    opt.ask()
    twin.ask()
    assert repr(opt).startswith("<Optimizer over ['lr', 'layers'] (logei, seed=3): "
                                "6 evaluations (1 failed), 1 pending, best value 1.25 at index 5")
    assert opt.ask() == twin.ask()
    opt.close()
    flipped = Optimizer(space, seed=0, maximize=True, acquisition="ucb")
    assert repr(flipped).startswith("<Optimizer over ['lr', 'layers'] (ucb, seed=0, maximizing)")
    assert repr(flipped).endswith("no best yet>")  # no journal, no study
    flipped.tell({"lr": 1e-3, "layers": 2}, 0.5)
    assert ": 1 evaluation (0 failed), 0 pending, best value 0.5 at index 0>" in repr(flipped)


def test_surrogate_repr_is_one_line_naming_kernel_fit_n_and_d():
    """``opt.surrogate()`` in a notebook showed ``<bayesopt.surrogate.Surrogate object at
    0x...>``: now the kernel, how it was fitted, n and d (and the encoded columns)."""
    from bayesopt import OptimizerOptions
    from bayesopt.model import ModelOptions

    space = {"lr": Real(1e-5, 1e-1, log=True), "layers": Integer(1, 8),
             "act": Categorical(["relu", "tanh"])}
    shown = []
    for model in (ModelOptions(), ModelOptions(priors=False), ModelOptions(kernel="rbf"),
                  ModelOptions(kernel_candidates=("rbf",), kernel_average=True)):
        opt = Optimizer(space, seed=0, n_initial=4, options=OptimizerOptions(model=model))
        for _ in range(5):
            params = opt.ask()
            opt.tell(params, params["lr"] * 10 + params["layers"])
        shown.append(repr(opt.surrogate()))
    tail = "fit on n=5 observations, d=3 (4 encoded columns)>"
    assert shown[:3] == [f"<Surrogate: matern52 GP, MAP {tail}",
                         f"<Surrogate: matern52 GP, maximum-likelihood {tail}",
                         f"<Surrogate: rbf GP, MAP {tail}"]
    assert re.fullmatch(r"<Surrogate: (matern52|rbf) GP \(heaviest of 2 averaged kernels\), "
                        rf"MAP {re.escape(tail)}", shown[3]), shown[3]
    one = Optimizer({"x": Real(0, 1)}, seed=0, n_initial=1)
    one.tell({"x": 0.5}, 1.0)
    assert repr(one.surrogate()) == "<Surrogate: matern52 GP, MAP fit on n=1 observation, d=1>"


def test_result_html_shows_the_best_few_escaped_and_needs_no_pandas(monkeypatch):
    """A notebook showed an OptimizeResult as its repr, one long line; `to_pandas()`
    needs pandas, an optional extra. `_repr_html_`: the best value and where, the counts
    by status, and a table of the best 5 judged evaluations, every text escaped."""
    import html
    import sys

    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas fails
    space = {"x": Real(0, 1), "act": Categorical(["relu", "<b>&tanh"])}
    opt = Optimizer(space, seed=0, maximize=True)
    assert opt.result()._repr_html_() == (
        "<div><p><b>OptimizeResult</b> (maximizing): 0 evaluations (0 ok, 0 failed); "
        "no best yet (no judged evaluation)</p></div>")
    values = [0.5, None, 2.0, 0.25, 3.0, 1.0, 2.0, 0.75]
    for i, value in enumerate(values):
        params = {"x": i / 10, "act": "<b>&tanh" if i % 2 else "relu"}
        if value is None:
            opt.tell_failure(params, "<boom>")
        else:
            opt.tell(params, value)
    page = opt.result()._repr_html_()
    assert page.startswith("<div><p><b>OptimizeResult</b> (maximizing): 8 evaluations (7 ok, "
                           "1 failed); best value <b>3</b> at index 4; best 5 of 7 judged</p>")
    rows = re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>",
                      page)
    assert rows == [("4", "3", "0.4", "relu"), ("2", "2", "0.2", "relu"),
                    ("6", "2", "0.6", "relu"), ("5", "1", "0.5", html.escape("<b>&tanh")),
                    ("7", "0.75", "0.7", html.escape("<b>&tanh"))]
    assert "<th>act</th>" in page and "<b>&tanh" not in page and "boom" not in page


def test_observation_repr_shows_its_identity_without_defaults_or_timing():
    """``opt.best`` in a notebook: the point, its value and what is particular to it (a
    failure's status and error, constraints, cost), not eleven fields of which most are
    None; timing, which is not identity, is left to the attributes. The repr still
    rebuilds an equal observation."""
    plain = Observation(7, {"lr": 0.01, "layers": 3}, 0.25, timestamp=1.7e9, duration=2.0)
    assert repr(plain) == "Observation(index=7, params={'lr': 0.01, 'layers': 3}, value=0.25)"
    failed = Observation(2, {"lr": 0.1, "layers": 8}, None, status="failed", error="boom",
                         timestamp=1.7e9, constraints=None, cost=3.5)
    assert repr(failed) == ("Observation(index=2, params={'lr': 0.1, 'layers': 8}, value=None, "
                            "status='failed', error='boom', cost=3.5)")
    pruned = Observation(4, {"lr": 0.1, "epochs": 9}, 0.5, status="pruned", continues=1, step=3.0,
                         constraints=(-1.0, 0.5))
    for observation in (plain, failed, pruned):
        assert eval(repr(observation), {"Observation": Observation}) == observation


def test_an_ask_interrupted_inside_the_gp_asks_next_what_an_uninterrupted_one_asks(monkeypatch):
    """Ctrl-C in a notebook during opt.ask(3), inside the block append of its fantasies
    (after the Cholesky factor grew): the optimizer stays whole, and its next asks are
    those of a twin never interrupted; before, every later ask failed an assertion."""
    space = mixed_space()
    opt, twin = Optimizer(space, seed=5), Optimizer(space, seed=5)
    for _ in range(8):
        p, q = opt.ask(), twin.ask()
        opt.tell(p, quadratic(p))
        twin.tell(q, quadratic(q))
    forward_tail = CholeskyFactor.forward_tail

    def interrupted(self, *args):
        raise KeyboardInterrupt

    monkeypatch.setattr(CholeskyFactor, "forward_tail", interrupted)
    with pytest.raises(KeyboardInterrupt):
        opt.ask(3)
    monkeypatch.setattr(CholeskyFactor, "forward_tail", forward_tail)
    assert opt.pending == []  # the interrupted ask asked nothing
    for _ in range(3):
        batch = opt.ask(3)
        assert batch == twin.ask(3)
        opt.tell(batch, [quadratic(p) for p in batch])
        twin.tell(batch, [quadratic(p) for p in batch])


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda o, p, q: o.tell(p, 1.0, run="0"), TypeError, r"run='0' must be an integer"),
    (lambda o, p, q: o.tell(p, 1.0, run=True), TypeError, r"run=True must be an integer"),
    (lambda o, p, q: o.tell(p, 1.0, run=-1), ValueError, r"run=-1 must be >= 0"),
    (lambda o, p, q: o.tell(p, 1.0, run=7), ValueError,
     r"tell: run=7 is not a run in flight \(never asked, already told or cancelled\)"),
    (lambda o, p, q: o.tell(p, 1.0, run=1), ValueError, r"tell: run=1 is the run of .*, not of"),
    (lambda o, p, q: o.tell([p, q], [1.0, 2.0], run=0), TypeError,
     r"run=0: a list of 2 params takes a list of 2 run ids"),
    (lambda o, p, q: o.tell([p, q], [1.0, 2.0], run=[0]), ValueError,
     r"run=\[0\]: 1 run id\(s\) for 2 params"),
    (lambda o, p, q: o.tell([p, p], [1.0, 2.0], run=[0, 0]), ValueError,
     r"run=\[0, 0\] names a run twice"),
    (lambda o, p, q: o.tell([p, q], [1.0, 2.0], run=[0, "1"]), TypeError,
     r"run\[1\]='1' must be an integer"),
    (lambda o, p, q: o.tell_failure(p, "x", run=7), ValueError, r"tell_failure: run=7 is not"),
    (lambda o, p, q: o.report(p, 1, 0.5, run=1), ValueError, r"report: run=1 is the run of"),
    (lambda o, p, q: o.report(p, 1, 0.5, run=[0]), TypeError, r"run=\[0\] must be an integer"),
    (lambda o, p, q: o.heartbeat(p, run=7), ValueError, r"heartbeat: run=7 is not a run"),
    (lambda o, p, q: o.cancel(p, run=1), ValueError, r"cancel: run=1 is the run of"),
    (lambda o, p, q: o.run_ids(p, run="0"), TypeError, r"run='0' must be an integer"),
    (lambda o, p, q: o.run_ids(p, run=7), ValueError, r"run_ids: run=7 is not a run in flight"),
    (lambda o, p, q: o.run_ids(p, run=1), ValueError, r"run_ids: run=1 is the run of .*, not of"),
])
def test_a_run_named_that_is_not_the_params_run_in_flight_is_refused_and_nothing_is_stored(
        call: Any, error: type[Exception], message: str) -> None:
    opt = Optimizer({"x": Real(0, 1)}, seed=0)
    p, q = opt.ask(2)
    before = opt._state.n_applied
    with pytest.raises(error, match=message):
        call(opt, p, q)
    assert opt._state.n_applied == before and opt.pending == [p, q] and opt.history == []


def test_run_ids_of_a_named_run_are_that_runs() -> None:
    """run_ids(params, run=r): the ids of run r of params (what `bayesopt run` names the
    command it dispatched by), equal to the by-params ids when r is its only run."""
    opt = Optimizer({"x": Real(0, 1)}, seed=0)
    p, q = opt.ask(2)
    assert opt.run_ids(p, run=0) == opt.run_ids(p) == (0, None)
    assert opt.run_ids(q, run=1) == (1, None)

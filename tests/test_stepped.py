"""Stepped dimensions: `Integer(low, high, step=k)` and `Real(low, high, step=s)`.

The values are low + i·step, i = 0..n (a Real's as decimal arithmetic writes them); the
model sees the index i exactly as it sees `Integer(0, n)`'s values, so the two ask the
same points; a step goes wherever a space goes (its dict, a space file, a journal and its
resume check).
"""

from __future__ import annotations

import copy
import decimal
import json
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bayesopt import Categorical, Integer, Optimizer, Real
from bayesopt.cli import load_space
from bayesopt.journal import JournalError
from bayesopt.optimizer import ResumeWarning
from bayesopt.options import ModelOptions, OptimizerOptions
from bayesopt.space import Space, dimension_from_dict

STEPS = (0.1, 0.05, 1e-3, 0.25)


def _decimals(x: float) -> int:
    """The number of decimals of x's shortest repr."""
    return max(0, -decimal.Decimal(repr(x)).as_tuple().exponent)  # type: ignore[operator]


@settings(max_examples=200, deadline=None)
@given(step=st.sampled_from(STEPS), start=st.integers(-2000, 2000), n=st.integers(1, 3000),
       seed=st.integers(0, 2**32 - 1))
def test_a_real_grid_s_asked_values_are_written_in_the_step_s_decimals(
        step: float, start: int, n: int, seed: int) -> None:
    low = float(f"{start * step:.3f}")
    high = float(decimal.Decimal(repr(low)) + n * decimal.Decimal(repr(step)))
    dim = Real(low, high, step=step)
    places = max(_decimals(step), _decimals(low))
    u = np.random.default_rng(seed).random((64, 1))
    for value in dim.decode(u) + dim.decode(np.array([[0.0], [1.0]])):
        assert type(value) is float and low <= value <= high
        assert _decimals(value) <= places, (value, low, step)  # never 0.30000000000000004
        i = round((value - low) / step)
        assert value == float(decimal.Decimal(repr(low)) + i * decimal.Decimal(repr(step)))
        assert dim.validate(value) == value
        assert dim.decode(dim.encode([value])) == [value]
    assert dim.decode(np.array([[0.0], [1.0]])) == [low, high]
    assert dim.cardinality == n + 1


def test_a_value_float_arithmetic_put_beside_the_grid_is_its_grid_value() -> None:
    dim = Real(0.0, 1.0, step=0.1)
    assert 0.1 * 3 == 0.30000000000000004
    assert dim.validate(0.1 * 3) == 0.3
    assert dim.validate(np.float32(0.3)) == 0.3  # float32(0.3) is 0.30000001192...
    ends = Real(0.0, 0.7, step=0.1)  # the same noise just beyond an end is the end
    assert 7 * 0.1 == 0.7000000000000001 and ends.validate(7 * 0.1) == 0.7
    assert Real(0.1, 0.7, step=0.1).validate(0.1 - 1e-17) == 0.1
    for outside in (0.8, 0.7 + 1e-6, -0.1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match=rf"value {outside!r} is outside \[0\.0, 0\.7\]"):
            ends.validate(outside)
    with pytest.raises(TypeError, match=r"value '0\.3' must be a number in \[0\.0, 0\.7\]"):
        ends.validate("0.3")


@pytest.mark.parametrize("dim, value", [
    (Integer(32, 512, step=32), 40),
    (Integer(32, 512, step=32), 33),
    (Real(0.0, 0.5, step=0.05), 0.12),
    (Real(0.0, 0.5, step=0.05), 0.3000001),
    (Real(0.1, 0.9, step=0.2), 0.2),  # on 0.2's multiples, not on the grid from 0.1
])
def test_a_value_off_the_grid_is_refused_naming_the_dimension_and_value(
        dim: Any, value: Any) -> None:
    with pytest.raises(ValueError, match=rf"'k': value {value!r} is not on the grid"):
        Space({"k": dim}).validate({"k": value})


def test_an_off_grid_tell_is_refused_naming_key_and_value() -> None:
    opt = Optimizer({"units": Integer(32, 512, step=32)}, seed=0)
    with pytest.raises(ValueError, match=r"'units': value 100 is not on the grid \[32, 64, "):
        opt.tell({"units": 100}, 1.0)
    opt.tell({"units": 96}, 1.0)
    assert opt.result().best_params == {"units": 96}


@pytest.mark.parametrize("build, error, match", [
    (lambda: Integer(32, 512, step=0), ValueError, r"step=0 must be positive and finite"),
    (lambda: Integer(32, 512, step=-32), ValueError, r"step=-32 must be positive"),
    (lambda: Real(0.0, 1.0, step=float("inf")), ValueError, r"step=inf must be positive and fi"),
    (lambda: Real(0.0, 1.0, step=float("nan")), ValueError, r"step=nan must be positive and fi"),
    (lambda: Real(0.0, 1.0, step="0.1"), TypeError, r"step='0\.1' must be a positive real"),
    (lambda: Integer(0, 8, step=True), TypeError, r"step=True must be a positive integer"),
    (lambda: Integer(0, 8, step=2.5), ValueError,
     r"step=2\.5 must be an integer .*Real\(0, 8, step=2\.5\)"),
    (lambda: Integer(32, 500, step=32), ValueError,
     r"high=500 is not on the grid .* low=32, step=32 .*give high=480 or high=512"),
    (lambda: Real(0.0, 0.52, step=0.05), ValueError,
     r"high=0\.52 is not on the grid .*give high=0\.5 or high=0\.55"),
    (lambda: Integer(0, 8, step=16), ValueError, r"step=16 is larger than high - low"),
    (lambda: Integer(1, 1024, log=True, step=2), ValueError, r"step=2 with log=True"),
    (lambda: Real(0.01, 1.0, log=True, step=0.01), ValueError, r"step=0\.01 with log=True"),
])
def test_invalid_steps_raise_naming_key_and_value(build: Any, error: type[Exception],
                                                  match: str) -> None:
    with pytest.raises(error, match=match):
        Space({"units": build()})


def test_step_one_is_the_plain_integer_and_other_steps_are_other_spaces() -> None:
    assert Integer(0, 10, step=1) == Integer(0, 10)
    assert Integer(1, 1024, log=True, step=1) == Integer(1, 1024, log=True)  # Optuna's log int
    assert Integer(0, 10, step=1).to_dict() == Integer(0, 10).to_dict()
    assert "step" not in Integer(0, 10).to_dict() and "step" not in Real(0, 1).to_dict()
    assert Space({"k": Integer(0, 10, step=2)}) != Space({"k": Integer(0, 10)})
    assert Space({"k": Real(0, 1, step=0.5)}) != Space({"k": Real(0, 1)})
    assert Integer(0, 8, step=np.int64(2)).step == 2 and type(Integer(0, 8, step=2.0).step) is int
    assert Real(0, 1, step=np.float32(0.5)).to_dict()["step"] == 0.5


def _asks(space: dict[str, Any], objective: Any, model: dict[str, Any], n: int = 12) -> list[Any]:
    opt = Optimizer(space, seed=5, options=OptimizerOptions(model=ModelOptions(**model)))
    points = []
    for _ in range(n):
        point = opt.ask()
        points.append(point)
        opt.tell(point, objective(point))
    return points


@pytest.mark.parametrize("model", [{}, {"integer_kernel": "round"}], ids=["relax", "round"])
def test_a_stepped_dimension_asks_what_integer_0_n_asks(model: dict[str, Any]) -> None:
    def f(i: int, x: float) -> float:
        return (i - 11) ** 2 / 40 + (x - 0.2) ** 2

    plain = _asks({"i": Integer(0, 15), "x": Real(-1, 1)},
                  lambda p: f(p["i"], p["x"]), model)
    ints = _asks({"i": Integer(32, 512, step=32), "x": Real(-1, 1)},
                 lambda p: f((p["i"] - 32) // 32, p["x"]), model)
    reals = _asks({"i": Real(0.1, 0.85, step=0.05), "x": Real(-1, 1)},
                  lambda p: f(round((p["i"] - 0.1) / 0.05), p["x"]), model)
    assert [p["x"] for p in ints] == [p["x"] for p in plain] == [p["x"] for p in reals]
    assert [32 + 32 * p["i"] for p in plain] == [p["i"] for p in ints]
    expected = [float(decimal.Decimal("0.1") + p["i"] * decimal.Decimal("0.05")) for p in plain]
    assert [p["i"] for p in reals] == expected
    assert len({p["i"] for p in plain}) > 5  # the asks moved over the grid


def test_the_dict_a_space_file_and_a_journal_keep_the_step(tmp_path: Any) -> None:
    space = Space({"units": Integer(32, 512, step=32), "drop": Real(0.0, 0.5, step=0.05),
                   "lr": Real(1e-4, 1e-1, log=True)})
    assert space.to_dict()["units"] == {"type": "integer", "low": 32, "high": 512,
                                        "log": False, "step": 32}
    assert Space.from_dict(json.loads(json.dumps(space.to_dict()))) == space
    (tmp_path / "space.toml").write_text(
        '[units]\ntype = "integer"\nlow = 32\nhigh = 512\nstep = 32\n'
        '[drop]\ntype = "real"\nlow = 0.0\nhigh = 0.5\nstep = 0.05\n'
        '[lr]\ntype = "real"\nlow = 1e-4\nhigh = 1e-1\nlog = true\n')
    assert load_space(tmp_path / "space.toml") == space
    assert dimension_from_dict("u", {"type": "integer", "low": 0, "high": 9, "step": 3}) == \
        Integer(0, 9, step=3, name="u")

    journal = tmp_path / "run.jsonl"
    opt = Optimizer(space, seed=1, journal=journal)
    for _ in range(4):
        point = opt.ask()
        opt.tell(point, point["units"] / 512 + point["drop"])
    following = opt.ask()
    opt.close()
    header = json.loads(journal.read_text().splitlines()[0])
    assert header["space"]["drop"]["step"] == 0.05
    with pytest.warns(ResumeWarning, match=r"4 evaluations and 1 pending points are kept"):
        resumed = Optimizer.resume(journal)
    assert resumed.space == space
    assert resumed.pending == [following]  # the interrupted ask, as it was asked
    resumed.close()
    changed = Space({**dict(zip(space.names, space.dimensions)),
                     "units": Integer(32, 512, step=16, name="units")})
    with pytest.raises(JournalError, match=r"another space: dimension 0 is 'units': .*'step': 32"
                                           r".* not 'units': .*'step': 16"):
        Optimizer.resume(journal, space=changed)


def test_a_stepped_child_of_a_conditional_space() -> None:
    space = {"model": Categorical({"mlp": {"units": Integer(32, 512, step=32)},
                                   "ridge": {"alpha": Real(0.0, 1.0, step=0.1)}})}
    opt = Optimizer(space, seed=2)
    for _ in range(10):
        point = opt.ask()
        value = point.get("units", 0) / 512 + point.get("alpha", 0.0)
        assert point.get("units", 32) % 32 == 0
        assert _decimals(point.get("alpha", 0.0)) <= 1
        opt.tell(point, value)
    assert set(opt.result().best_params) in ({"model", "units"}, {"model", "alpha"})


@pytest.fixture(scope="module")
def stepped_result() -> Any:
    """A result over Integer(32, 256, step=32) and Real(0.0, 0.5, step=0.1), 14 evaluations."""
    opt = Optimizer({"units": Integer(32, 256, step=32), "drop": Real(0.0, 0.5, step=0.1)},
                    seed=0)
    for _ in range(14):
        point = opt.ask()
        opt.tell(point, (point["units"] - 160) ** 2 / 1e4 + (point["drop"] - 0.2) ** 2)
    return opt.result()


def test_partial_dependence_of_a_stepped_dimension_is_on_its_grid(stepped_result: Any) -> None:
    from bayesopt import plots

    values, pd = plots.partial_dependence_1d(stepped_result, "units", n_points=40)
    assert values == [32, 64, 96, 128, 160, 192, 224, 256] and pd.shape == (8,)
    values, _ = plots.partial_dependence_1d(stepped_result, "drop", n_points=40)
    assert values == [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]
    values, _ = plots.partial_dependence_1d(stepped_result, "units", n_points=3)
    assert set(values) <= set(range(32, 257, 32))


def test_plots_of_a_stepped_space_centre_a_bar_on_each_value(stepped_result: Any) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from bayesopt import plots

    _, grid = plots.evaluations(stepped_result, bins=10)
    axes = grid[0, 0]  # the histogram of "units"
    assert axes.get_xlim() == (16.0, 272.0)  # half a step beyond each end
    centres = sorted({round(p.get_x() + p.get_width() / 2) for p in axes.patches
                      if p.get_height() > 0})
    assert set(centres) <= set(range(32, 257, 32)), centres
    plots.objective(stepped_result, n_points=8, n_samples=30)
    import matplotlib.pyplot as plt

    plt.close("all")


def test_result_export_and_json_keep_the_grid_values(stepped_result: Any) -> None:
    from bayesopt import OptimizeResult

    table = stepped_result.to_pandas()
    assert set(table["units"]) <= set(range(32, 257, 32)) and table["units"].dtype.kind == "i"
    assert set(table["drop"]) <= {0.0, 0.1, 0.2, 0.3, 0.4, 0.5}
    back = OptimizeResult.from_json(stepped_result.to_json())
    assert back.space == stepped_result.space
    assert [o.params for o in back.history] == [o.params for o in stepped_result.history]
    assert json.loads(stepped_result.to_json())["space"]["units"]["step"] == 32


def test_bayes_search_cv_searches_a_stepped_dimension() -> None:
    from sklearn.datasets import load_iris
    from sklearn.tree import DecisionTreeClassifier

    from bayesopt.sklearn import BayesSearchCV

    X, y = load_iris(return_X_y=True)
    search = BayesSearchCV(DecisionTreeClassifier(random_state=0),
                           {"max_depth": Integer(2, 12, step=2),
                            "min_impurity_decrease": Real(0.0, 0.1, step=0.02)},
                           n_iter=8, cv=3, random_state=0).fit(X, y)
    depths = search.cv_results_["param_max_depth"]
    assert set(depths) <= {2, 4, 6, 8, 10, 12}
    decreases = search.cv_results_["param_min_impurity_decrease"]
    assert set(decreases) <= {0.0, 0.02, 0.04, 0.06, 0.08, 0.1}
    assert search.best_params_["max_depth"] in {2, 4, 6, 8, 10, 12}


def test_a_stepped_integer_parent_s_patterns_hold_its_grid_values_only() -> None:
    """The candidates spread over a conditional space's activity patterns draw each
    pattern's parent values from its classes: an Integer parent's were range(low, high + 1),
    off a stepped parent's grid (65 encodes as 64, the other pattern's value)."""
    space = Space({"units": Integer(32, 128, step=32),
                   "drop": Real(0.0, 0.5, when={"units": [64]})})
    patterns = space._patterns
    assert patterns is not None
    values = sorted(v for pattern in patterns for v in pattern["units"])
    assert values == [32, 64, 96, 128]
    U = space.candidates(64, np.random.default_rng(0))
    for point in space.decode(U):
        assert ("drop" in point) == (point["units"] == 64)


def test_bayesopt_run_with_a_stepped_space_file(tmp_path: Any) -> None:
    """The command line, as a user runs it: a TOML space file with steps, the values the
    command receives are grid values written as the step writes them."""
    import subprocess
    import sys

    (tmp_path / "space.toml").write_text(
        'units = {type = "integer", low = 32, high = 512, step = 32}\n'
        'drop = {type = "real", low = 0.0, high = 0.5, step = 0.05}\n')
    (tmp_path / "objective.py").write_text(
        "import sys\n"
        "units, drop = sys.argv[1], sys.argv[2]\n"
        "open('args.log', 'a').write(f'{units} {drop}\\n')\n"
        "print(f'objective: {(int(units) - 256) ** 2 / 1e5 + (float(drop) - 0.15) ** 2}')\n")
    done = subprocess.run(
        [sys.executable, "-m", "bayesopt", "run", "--space", "space.toml", "--n-calls", "6",
         "--journal", "tune.jsonl", "--seed", "0", "--no-progress", "--",
         sys.executable, "objective.py", "{units}", "{drop}"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    args = [line.split() for line in (tmp_path / "args.log").read_text().splitlines()]
    assert len(args) == 6
    for units, drop in args:
        assert int(units) in range(32, 513, 32)
        assert drop == repr(float(drop)) and _decimals(float(drop)) <= 2, drop  # never 0.35000000000000003
        assert round(float(drop) / 0.05) * 0.05 == pytest.approx(float(drop)), drop
    header = json.loads((tmp_path / "tune.jsonl").read_text().splitlines()[0])
    assert header["space"]["units"]["step"] == 32 and header["space"]["drop"]["step"] == 0.05


def test_an_equality_over_stepped_reals_is_searched_on_their_grid() -> None:
    """a + b = 0.5 over two Real(0, 1, step=0.1) holds at 6 grid points: it is bounded
    from both sides as over Integers (by rejection), not refused as an equality that
    leaves no volume, as it is over continuous Reals."""
    from bayesopt import LinearConstraint

    opt = Optimizer({"a": Real(0.0, 1.0, step=0.1), "b": Real(0.0, 1.0, step=0.1)}, seed=0,
                    feasible=[LinearConstraint({"a": 1, "b": 1}, "<=", 0.5),
                              LinearConstraint({"a": 1, "b": 1}, ">=", 0.5)])
    for _ in range(5):
        point = opt.ask()
        assert point["a"] + point["b"] == 0.5, point
        opt.tell(point, (point["a"] - 0.3) ** 2)


def test_a_shared_sqlite_study_keeps_the_step(tmp_path: Any) -> None:
    space = {"units": Integer(32, 512, step=32), "drop": Real(0.0, 0.5, step=0.05)}
    url = f"sqlite:///{tmp_path / 'study.db'}"
    first = Optimizer(space, storage=url, study="s", seed=0)
    point = first.ask()
    first.tell(point, 1.0)
    first.close()
    second = Optimizer(space, storage=url, study="s", seed=0)  # another worker joins
    assert [o.params for o in second.history] == [point]
    second.close()
    with pytest.raises(JournalError, match=r"another space: .*'step': 32.* not .*'step': 64"):
        Optimizer({**space, "units": Integer(32, 480, step=64)}, storage=url, study="s")


STEPPED_PARENT = {"lr": Real(0.0, 0.5, step=0.1),
                  "warmup": Integer(0, 100, when={"lr": [0.1, 0.30000000000000004]}),
                  "decay": Real(0.0, 1.0, when={"lr": 0.5})}


def test_a_stepped_real_is_a_condition_s_parent_as_an_integer_is(tmp_path: Any) -> None:
    """A stepped Real has finitely many values: a when= on it is allowed, its values read
    as grid values (0.30000000000000004 is 0.3); asks carry exactly the active keys; a
    journal round-trips and its resume asks what the original asks."""
    journal = tmp_path / "run.jsonl"
    opt = Optimizer(STEPPED_PARENT, seed=0, journal=journal)
    seen = set()
    for point in [opt.ask() for _ in range(4)] + opt.ask(3):
        expected = {"lr", *(["warmup"] if point["lr"] in (0.1, 0.3) else []),
                    *(["decay"] if point["lr"] == 0.5 else [])}
        assert set(point) == expected, point
        seen.add(point["lr"])
        opt.tell(point, point["lr"] + point.get("warmup", 0) / 100 + point.get("decay", 0.0))
    assert len(seen) > 2
    with pytest.raises(ValueError, match=r"missing parameter\(s\) \['decay'\]"):
        opt.tell({"lr": 0.5}, 1.0)
    with pytest.raises(ValueError, match=r"'warmup' \(needs .*\) are inactive"):
        opt.tell({"lr": 0.2, "warmup": 3}, 1.0)
    twin = copy.deepcopy(opt)  # detached from the journal
    opt.close()
    with pytest.warns(ResumeWarning, match="7 evaluations"):
        back = Optimizer.resume(journal)
    assert [o.params for o in back.history] == [o.params for o in opt.history]
    assert back.ask() == twin.ask()


def test_a_stepped_real_parent_s_condition_off_its_grid_is_refused_naming_it() -> None:
    with pytest.raises(ValueError, match=r"'w': when=\{'lr': 0.15\} is a value 'lr' cannot "
                                         r"take .*not on the grid"):
        Space({"lr": Real(0.0, 0.5, step=0.1), "w": Integer(0, 9, when={"lr": 0.15})})


def test_a_stepped_real_parent_s_patterns_hold_its_grid_values() -> None:
    space = Space(STEPPED_PARENT)
    patterns = space._patterns
    assert patterns is not None and len(patterns) == 3
    assert sorted(v for pattern in patterns for v in pattern["lr"]) == [
        0.0, 0.1, 0.2, 0.3, 0.4, 0.5]
    for point in space.decode(space.candidates(64, np.random.default_rng(0))):
        assert ("warmup" in point) == (point["lr"] in (0.1, 0.3)), point
        assert ("decay" in point) == (point["lr"] == 0.5), point


def _shown_ticks(ax: Any, which: str) -> list[float]:
    """The major tick values inside an axis's view limits."""
    axis = ax.xaxis if which == "x" else ax.yaxis
    low, high = sorted(ax.get_xlim() if which == "x" else ax.get_ylim())
    return [float(t) for t in axis.get_majorticklocs() if low <= t <= high]


def test_a_stepped_dimension_s_ticks_are_on_its_grid(stepped_result: Any) -> None:
    """Every tick of a stepped Integer's or Real's axis is one of its values (matplotlib's
    default put Integer(32, 256, step=32)'s at 50, 100, ...); a grid of 1,000 values gets
    a few of them."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from bayesopt import OptimizeResult, plots

    units, drop = set(range(32, 257, 32)), {0.0, 0.1, 0.2, 0.3, 0.4, 0.5}
    _, grid = plots.evaluations(stepped_result)
    _, surfaces = plots.objective(stepped_result, n_points=8, n_samples=30)
    for axes in (grid, surfaces):  # rows and columns: units, drop
        for ax, which, values in [(axes[1, 0], "x", units), (axes[1, 1], "x", drop),
                                  (axes[1, 0], "y", drop)]:
            ticks = _shown_ticks(ax, which)
            assert len(ticks) >= 3 and set(ticks) <= values, (which, ticks)
    assert _shown_ticks(grid[1, 0], "x") == [64, 128, 192, 256]
    space = {"n": Integer(3, 3000, step=3), "x": Real(0, 1)}
    opt = Optimizer(space, seed=0)
    opt.tell([{"n": 3 * k, "x": k / 1000} for k in (1, 300, 999)], [1.0, 2.0, 3.0])
    _, many = plots.evaluations(OptimizeResult.from_history(opt.history, opt.space, False))
    ticks = _shown_ticks(many[1, 0], "x")
    assert 3 <= len(ticks) <= 7 and all(t % 3 == 0 and 3 <= t <= 3000 for t in ticks), ticks
    plt.close("all")


def test_a_grid_is_made_in_its_own_decimal_context_not_the_callers() -> None:
    """The grid's decimal arithmetic ran in the caller's context (review43): with a
    precision of 4 `Real(1000.5, 1010.5, step=0.001)`'s second value was 1001.0, not
    1000.501, and with Inexact trapped `Real(0, 1, step=1/3)` raised decimal.Inexact."""
    with decimal.localcontext() as context:
        context.prec, context.rounding = 4, decimal.ROUND_FLOOR
        context.traps[decimal.Inexact] = True
        fine = Real(1000.5, 1010.5, step=0.001)
        assert fine.cardinality == 10_001
        assert fine.decode(fine.encode([1000.501])) == [1000.501]
        assert fine.validate(1000.501) == 1000.501
        assert Real(0, 1, step=1 / 3).grid_values() == [0.0, 1 / 3, 2 / 3, 1.0]
        assert Integer(0, 999_999_999_999, step=7).cardinality == 142_857_142_858


@pytest.mark.parametrize("low, step, i", [
    (0.0, 0.1, 9_999_999_999),  # 999999999.9000001
    (100_000_000.1, 0.3, 72),  # Optuna's TPE wrote 100000021.69999999
    (12_345_678.9, 0.07, 2),  # and 12345679.040000001
    (-1e9, 0.5, 3_999_999_999),
])
def test_a_value_computed_as_low_plus_i_steps_at_a_large_magnitude_is_on_the_grid(
        low: float, step: float, i: int) -> None:
    """A value low + i·step computed in float64 is off its decimal grid value by an ulp
    or so of the grid's magnitude; at 1e8 that is 1e-7 of a step 0.1, which the tolerance
    of 1e-9 of a step refused (review43) — and Optuna's own samplers compute their values
    so, making a study that began with TPE unusable by BayesoptSampler."""
    dim = Real(low, float(decimal.Decimal(repr(low)) + (i + 5) * decimal.Decimal(repr(step))),
               step=step)
    computed = low + i * step
    expected = float(decimal.Decimal(repr(low)) + i * decimal.Decimal(repr(step)))
    assert dim.validate(computed) == expected
    assert dim.validate(np.float64(computed)) == expected
    with pytest.raises(ValueError, match="is not on the grid"):
        dim.validate(computed + step / 1000)  # a value beside the grid is still refused


def test_a_value_within_optunas_tolerance_of_the_grid_is_its_grid_value() -> None:
    """Optuna holds a stepped float to 1e-8 of a step (`FloatDistribution._contains`);
    the grid held it to 1e-9 and refused 0.3 + 5e-10 on a 0.1 grid (review43)."""
    dim = Real(0.0, 1.0, step=0.1)
    assert dim.validate(0.3 + 5e-10) == 0.3 and dim.validate(0.3 - 9e-10) == 0.3
    with pytest.raises(ValueError, match=r"value 0\.300000002 is not on the grid"):
        dim.validate(0.300000002)  # 2e-8 of a step


def test_a_float32_value_held_in_a_python_float_is_read_as_the_numpy_float32() -> None:
    """`validate(np.float32(0.3))` was 0.3, but the same number as a Python float
    (0.30000001192092896: a float32 DataFrame column's cells, `tensor.item()`) was refused
    as off the grid (review43)."""
    dim = Real(0.0, 1.0, step=0.1)
    for value in (0.3, 0.7, 0.1, 1.0):
        single = np.float32(value)
        assert dim.validate(float(single)) == dim.validate(single) == value
    with pytest.raises(ValueError, match=r"value 0\.30000001 is not on the grid"):
        dim.validate(0.30000001)  # not a float32: read as written
    fine = Real(1.0, 1.00001, step=1e-8)  # finer than float32 resolves at 1: read as written
    with pytest.raises(ValueError, match=r"value 1\.0000001192092896 is not on the grid"):
        fine.validate(float(np.nextafter(np.float32(1.0), np.float32(2.0))))
    import pandas as pd  # the test extra installs it: never skipped
    opt = Optimizer({"x": Real(0.0, 1.0, step=0.1), "n": Integer(32, 512, step=32)}, seed=0)
    frame = pd.DataFrame({"x": np.array([0.3, 0.7], dtype=np.float32),
                          "n": np.array([64, 96], dtype=np.float32)})
    opt.tell(frame, [1.0, 2.0])
    assert [o.params for o in opt.result().history] == [{"x": 0.3, "n": 64}, {"x": 0.7, "n": 96}]


def test_a_step_finer_than_float64_at_the_bounds_is_refused_naming_it() -> None:
    """`Real(1e15, 1e15 + 1, step=0.0625)` was accepted though float64 numbers there are
    0.125 apart: neighbouring grid values were one number, and a grid value the dimension
    itself asked (1000000000000000.1) was refused when told back (review43)."""
    with pytest.raises(ValueError, match=r"dimension 'x': step=0\.0625 is finer than float64 "
                                         r"resolves .* 0\.125 apart.* at least 0\.25"):
        Real(1e15, 1e15 + 1, step=0.0625, name="x")
    with pytest.raises(ValueError, match=r"step=1\.0 is finer than float64"):
        Real(1e20, 1e20 + 1e6, step=1.0)
    coarse = Real(1e15, 1e15 + 1, step=0.25)  # two ulps: every value its own number
    values = coarse.grid_values()
    assert len(set(values)) == 5 and [coarse.validate(v) for v in values] == values
    assert coarse.decode(coarse.encode(values)) == values


def test_a_high_off_the_grid_by_a_little_says_how_many_steps_exactly() -> None:
    """The refusal wrote the steps high - low makes with 6 digits: a float32 step 0.1
    (0.10000000149011612) over [0, 1] said "(high - low is 10 steps)" while refusing
    high=1 as off the grid (review43); it now writes the number."""
    with pytest.raises(ValueError, match=r"step=0\.10000000149011612 \(high - low is "
                                         r"9\.99999985\d* steps\)"):
        Real(0.0, 1.0, step=float(np.float32(0.1)))  # a float32's value in a Python float


def _seven_asks(space: dict[str, Any]) -> list[dict[str, Any]]:
    """Seven asks of `space` at seed 3, each told x + y (a float32 value told as one)."""
    opt = Optimizer(space, seed=3)
    points = []
    for _ in range(7):
        point = opt.ask()
        points.append(point)
        opt.tell(point, float(point["x"]) + float(point["y"]))
    return points


def test_float32_bounds_and_steps_are_the_numbers_their_reprs_write() -> None:
    """`Real(0, 1, step=np.float32(0.1))` was refused: its step read as 0.10000000149011612,
    whose grid does not reach 1, while a float32 told value was read as its repr (review44).
    A numpy float32 or float16 bound, step or told value is now the number its repr writes:
    the same grid, asks and tells as its float64 twin's."""
    f32, f16 = np.float32, np.float16
    assert Real(0, 1, step=f32(0.1)) == Real(0, 1, step=0.1)
    assert Real(f32(0.1), f32(0.7), step=f16(0.2)) == Real(0.1, 0.7, step=0.2)
    assert Real(f32(-0.3), f32(2.7)) == Real(-0.3, 2.7)  # a plain Real's bounds too
    assert Real(0, f32(0.1)).validate(f32(0.1)) == 0.1  # was 0.10000000149011612: outside
    single = Real(f32(0.1), f32(0.9), step=f32(0.1)).grid_values()
    assert single == Real(0.1, 0.9, step=0.1).grid_values()
    twins = _seven_asks({"x": Real(0.1, 0.9, step=0.1), "y": Real(-0.3, 2.7)})
    assert _seven_asks({"x": Real(f32(0.1), f32(0.9), step=f32(0.1)),
                        "y": Real(f32(-0.3), f32(2.7))}) == twins
    dim = Real(0, 1, step=f32(0.1), name="x")
    assert dim.validate(f32(0.3)) == 0.3 and dim.to_dict()["step"] == 0.1


def test_a_float32_that_is_not_its_decimal_s_twin_is_refused_naming_its_repr() -> None:
    """A float32 next to 0.1 (repr 0.10000001) is that number: a step that does not reach
    high, a value off the grid — refused naming it, not rounded to 0.1."""
    near = np.nextafter(np.float32(0.1), np.float32(1))
    with pytest.raises(ValueError, match=r"'x': high=1 is not on the grid .* step=0\.10000001 "
                                         r"\(high - low is 9\.9999990000001 steps\)"):
        Real(0, 1, step=near, name="x")
    with pytest.raises(ValueError, match=r"'x': value np\.float32\(0\.10000001\) is not on the grid"):
        Real(0, 1, step=np.float32(0.1), name="x").validate(near)
    assert Real(0, 1, name="x").validate(near) == 0.10000001


def test_a_grid_has_no_more_values_than_its_encoding_tells_apart() -> None:
    """`Integer(-2**53, 2**53, step=2)` (2**53 + 1 values) was accepted, the limit being
    2**53 + 1 values, but its indices encoded in [0, 1] do not decode back: 2 became 4,
    and about a quarter of its values another (review43). At most 2**52 + 1 values now,
    which round-trip."""
    with pytest.raises(ValueError, match=r"'k': step=2 makes 9007199254740992 \+ 1 values, "
                                         r"beyond 2\*\*52 \+ 1"):
        Integer(-(2**53), 2**53, step=2, name="k")
    with pytest.raises(ValueError, match=r"beyond 2\*\*52 \+ 1"):
        Integer(-(2**52 + 2**50), 2**52 + 2**50, step=2)  # decoded wrong 1 in 6 before
    n = 2**52
    dim = Integer(-n, n, step=2)
    i = np.concatenate([np.arange(0, 1000), np.arange(n // 2 - 1000, n // 2 + 1000),
                        np.arange(n - 1000, n + 1),
                        np.random.default_rng(0).integers(0, n, 100_000, endpoint=True)])
    values = (-n + 2 * i).tolist()
    assert dim.decode(dim.encode(values)) == values

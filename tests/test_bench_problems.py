"""The quality suite's problems, its bayesopt and random-search adapters, and its judging.

Only bayesopt, numpy, scipy and scikit-learn are needed: the peers (the
`bench` extra) are never imported here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `bench` is not installed: import it from the repository
    sys.path.insert(0, str(ROOT))

from bayesopt.space import Categorical, Integer, Real, Space
from bench.adapters import OPTIMIZERS, missing_reason, run
from bench.problems import (
    LARGE_BUDGET,
    ML,
    NOISE_STD,
    NOISY,
    PROBLEM_NAMES,
    SECOND_ROUND,
    SMALL_BUDGET,
    SYNTHETIC,
    SyntheticProblem,
    make_problem,
    noise_seed,
)
from bench.quality import parse_seeds, ranks, score_curve

PEERS = ("optuna", "botorch", "torch", "gpytorch", "skopt", "bayes_opt", "hyperopt")


def _center(space: dict) -> dict:
    """The point at the middle of every dimension's own scale."""
    s = Space(space)
    return s.decode(s.from_unit(np.full((1, s.n_dims), 0.5)))[0]


# ------------------------------------------------------------------ problems
def test_the_suite_has_the_problems_of_the_protocol() -> None:
    assert len(SYNTHETIC) == 13 and len(NOISY) == 3 and len(ML) >= 6
    assert len(set(PROBLEM_NAMES)) == len(PROBLEM_NAMES)
    dims = [d for name in ML for d in make_problem(name).space.values()]
    assert any(isinstance(d, Real) and d.log for d in dims), "an ML problem with log-scaled reals"
    assert any(isinstance(d, Integer) for d in dims), "an ML problem with integers"
    assert any(isinstance(d, Categorical) for d in dims), "an ML problem with categoricals"


@pytest.mark.parametrize("name", PROBLEM_NAMES)
def test_every_problem_is_well_formed(name: str) -> None:
    problem = make_problem(name, seed=0)
    assert problem.name == name
    assert problem.minimize is True
    space = Space(problem.space)  # raises on an invalid space
    assert problem.budget == (SMALL_BUDGET if space.n_dims <= 6 else LARGE_BUDGET)
    assert problem.kind == ("ml" if name in ML else "noisy" if name in NOISY else "synthetic")
    assert (problem.optimum is None) == (name in ML)


@pytest.mark.parametrize("name", SYNTHETIC + NOISY)
def test_true_value_at_every_known_minimizer_is_the_optimum(name: str) -> None:
    problem = make_problem(name, seed=3)
    assert isinstance(problem, SyntheticProblem)
    for x_star in problem.minimizers():
        Space(problem.space).validate(x_star)  # x* lies in the space
        assert problem.true_value(x_star) == pytest.approx(problem.optimum, abs=1e-12)


@pytest.mark.parametrize("name", ML)
def test_ml_problem_scores_a_default_point_as_an_error_rate(name: str) -> None:
    problem = make_problem(name)
    point = _center(problem.space)
    value = problem.evaluate(point)
    assert 0.0 <= value <= 1.0
    assert problem.true_value(point) == value  # deterministic: fixed folds and model seeds


@pytest.mark.parametrize("name", NOISY)
def test_noise_is_reproducible_per_seed_and_true_value_is_noiseless(name: str) -> None:
    points = [_center(make_problem(name).space)] * 200

    def observed(seed: int) -> np.ndarray:
        problem = make_problem(name, seed)
        return np.array([problem.evaluate(p) for p in points])

    first, again, other = observed(1), observed(1), observed(2)
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)
    problem = make_problem(name, 1)
    truth = problem.true_value(points[0])
    assert truth == problem.true_value(points[0])
    assert truth == problem.function.evaluate_true(np.array(list(points[0].values())))
    noise = first - truth
    std = NOISE_STD[name.removesuffix("_noisy")]
    assert abs(np.mean(noise)) < 4 * std / np.sqrt(len(noise))
    assert 0.7 * std < np.std(noise) < 1.3 * std


def test_noise_seeds_differ_between_problems_and_seeds() -> None:
    seeds = {noise_seed(name, seed) for name in NOISY for seed in range(5)}
    assert len(seeds) == len(NOISY) * 5


def _dims(name: str) -> list[object]:
    return list(make_problem(name).space.values())


def test_the_problems_outside_the_second_round_are_the_first_rounds() -> None:
    """The first round's 15 problems, the ones the suite's first committed runs covered."""
    assert set(PROBLEM_NAMES) - set(SECOND_ROUND) == {
        "branin", "six_hump_camel", "hartmann3", "hartmann6", "ackley5", "rosenbrock4",
        "michalewicz5", "styblinski_tang8", "levy10", "branin_noisy", "hartmann6_noisy",
        "svc_cancer", "hgb_cancer", "mlp_digits", "sgd_cancer"}


def test_the_second_round_covers_the_weak_families() -> None:
    """Issue 17: an integer-dominated and a categorical-heavy ML problem, two more
    multimodal functions, two more d = 10 problems and one more noisy problem."""
    assert set(SECOND_ROUND) <= set(PROBLEM_NAMES)
    integer_only = [p for p in ML if all(isinstance(d, Integer) for d in _dims(p))]
    assert "forest_cancer" in integer_only and len(_dims("forest_cancer")) == 4
    assert "tree_digits" in integer_only and len(_dims("tree_digits")) == 5
    assert sum(isinstance(d, Categorical) for d in _dims("mlp_cancer")) == 3
    assert "sgd_digits" in SECOND_ROUND  # the categorical family's, added last
    assert sum(isinstance(d, Categorical) for d in _dims("sgd_digits")) == 3
    assert {"rastrigin5", "schwefel5"} <= set(SYNTHETIC)
    assert [p for p in SYNTHETIC if len(make_problem(p).space) == 10] == [
        "levy10", "ackley10", "rosenbrock10"]
    assert make_problem("hartmann3_noisy").kind == "noisy"
    assert all(make_problem(p).budget == LARGE_BUDGET for p in ("ackley10", "rosenbrock10"))


@pytest.mark.parametrize("name", ["rastrigin5", "schwefel5"])
def test_multimodal_problems_have_their_optimum_only_at_x_star(name: str) -> None:
    """x* is the best of many random points and of the local minima next to it."""
    problem = make_problem(name)
    assert isinstance(problem, SyntheticProblem)
    f = problem.function
    low, high = np.array(f.bounds).T
    X = low + (high - low) * np.random.default_rng(0).random((20000, f.dim))
    assert np.min(f.evaluate_true(X)) > problem.optimum + 1.0
    x_star = np.array(f.optimizers[0])
    step = 1.0 if name == "rastrigin5" else 0.3 * (high[0] - low[0]) / 2  # a neighbouring basin
    neighbours = np.clip(x_star + step * np.eye(f.dim), low, high)
    assert np.all(f.evaluate_true(neighbours) > problem.optimum + 0.5)


# ------------------------------------------------------------------ adapters
@pytest.mark.parametrize("optimizer", ["random", "bayesopt"])
def test_adapter_runs_and_records_every_step(optimizer: str) -> None:
    problem = make_problem("hartmann6_noisy", seed=0)
    record = run(problem, optimizer, seed=0, budget=5)
    assert record["budget"] == 5 and len(record["steps"]) == 5
    for step in record["steps"]:
        Space(problem.space).validate(step["params"])
        assert step["overhead"] >= 0 and step["eval_seconds"] >= 0
        assert step["true_value"] == problem.true_value(step["params"])
        assert step["value"] != step["true_value"]  # the optimizer saw the noisy value
    again = run(make_problem("hartmann6_noisy", seed=0), optimizer, seed=0, budget=5)
    assert [s["params"] for s in again["steps"]] == [s["params"] for s in record["steps"]]
    assert [s["value"] for s in again["steps"]] == [s["value"] for s in record["steps"]]


def test_bayesopt_adapter_recommends_an_evaluated_point() -> None:
    problem = make_problem("branin")
    record = run(problem, "bayesopt", seed=0, budget=8)
    assert record["recommended"] in [s["params"] for s in record["steps"]]
    assert record["recommended_true_value"] == problem.true_value(record["recommended"])


def test_random_search_draws_log_dimensions_log_uniformly() -> None:
    problem = make_problem("svc_cancer")
    from bench.adapters import RandomSearch

    adapter = RandomSearch(problem.space, seed=0, n_initial=5)
    C = np.array([adapter.ask()["C"] for _ in range(2000)])
    assert np.all((1e-3 <= C) & (C <= 1e3))
    assert 0.4 < np.mean(C < 1.0) < 0.6  # the log-midpoint splits the draws evenly


def test_unknown_optimizer_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown optimizer"):
        missing_reason("nelder-mead")
    assert set(OPTIMIZERS) >= {"bayesopt", "random", "optuna-gp", "botorch", "skopt"}


def test_the_suite_imports_without_the_peers() -> None:
    code = ("import sys, bench.adapters, bench.problems, bench.quality; "
            f"print(sorted(m for m in {PEERS!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "[]"


# ------------------------------------------------------------------- judging
def test_score_curve_judges_the_best_observed_point_by_its_true_value() -> None:
    record = {"steps": [{"value": 3.0, "true_value": 2.5},
                        {"value": 1.0, "true_value": 1.6},  # a lucky draw...
                        {"value": 1.2, "true_value": 1.1}]}  # ...beats a better point
    np.testing.assert_allclose(score_curve(record, optimum=1.0), [1.5, 0.6, 0.6])
    np.testing.assert_allclose(score_curve(record, optimum=None), [2.5, 1.6, 1.6])


def test_ranks_share_ties_by_median() -> None:
    class Cell:
        def __init__(self, values: list[float]) -> None:
            self.final = np.array(values)

        def median(self, which: str = "final") -> float:
            return float(np.median(getattr(self, which)))

    cells = {("p", "a"): Cell([1, 2, 3]), ("p", "b"): Cell([2, 2, 9]), ("p", "c"): Cell([0, 5])}
    assert ranks(cells, ["p"], ["a", "b", "c"]) == {"p": {"a": 1.5, "b": 1.5, "c": 3.0}}


def test_seed_selection() -> None:
    assert parse_seeds("3") == [0, 1, 2]
    assert parse_seeds("5-7") == [5, 6, 7]
    assert parse_seeds("0,4,2-3") == [0, 2, 3, 4]


def test_a_categorical_heavy_problem_with_many_choices() -> None:
    """Issue 17's categorical family: sgd_digits has three categoricals of 5, 3 and 4
    choices beside two log-scaled reals, and its categoricals change the error a lot."""
    space = make_problem("sgd_digits").space
    sizes = [len(d.choices) for d in space.values() if isinstance(d, Categorical)]
    assert sizes == [5, 3, 4]
    assert [d.log for d in space.values() if isinstance(d, Real)] == [True, True]
    problem = make_problem("sgd_digits")
    good = {"loss": "modified_huber", "penalty": "l1", "schedule": "constant",
            "alpha": 1e-3, "eta0": 5e-3}
    assert problem.evaluate(good) < 0.05 < problem.evaluate({**good, "schedule": "invscaling",
                                                              "alpha": 0.4})

"""CArBO's cost-effective initial design (`OptimizerOptions.cost_design`, issue 16)."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

from bayesopt import (
    CostDesignOptions,
    LinearConstraint,
    Optimizer,
    OptimizerOptions,
    Real,
)
from bayesopt.card import resolved_config
from bayesopt.cost_design import nearest_squared_distance, survivor

UNIT2 = {"x": Real(0, 1), "y": Real(0, 1)}
DESIGN = OptimizerOptions(cost_design=CostDesignOptions())


def _cost(params):
    """Cost rises a hundredfold from x = 0 to x = 1."""
    return float(np.exp(math.log(100.0) * params["x"]))


def _objective(params):
    return (params["x"] - 0.7) ** 2 + (params["y"] - 0.2) ** 2


def _run(opt, steps):
    for _ in range(steps):
        params = opt.ask()
        opt.tell(params, _objective(params), cost=_cost(params))
    return opt


def _reference_survivor(log_cost, distance):
    """Lee et al. (2020), Algorithm 1's inner loop as written: a set of candidates, remove
    the most expensive (ties: the nearer), then the nearest (ties: the more expensive),
    until one is left."""
    left = set(range(len(log_cost)))
    keys = ((lambda i: (-log_cost[i], distance[i], i)), (lambda i: (distance[i], -log_cost[i], i)))
    turn = 0
    while len(left) > 1:
        left.remove(min(left, key=keys[turn]))
        turn = 1 - turn
    return left.pop()


# ------------------------------------------------------------ the elimination
@pytest.mark.parametrize("seed", range(20))
def test_survivor_equals_the_set_based_elimination(seed):
    rng = np.random.default_rng(seed)
    m = int(rng.integers(1, 60))
    log_cost, distance = rng.normal(size=m), rng.random(m)
    if seed % 3 == 0:  # ties in both
        log_cost, distance = np.round(log_cost), np.round(distance, 1)
    assert survivor(log_cost, distance) == _reference_survivor(log_cost, distance)


def test_with_a_constant_cost_the_survivor_is_the_farthest_candidate():
    distance = np.random.default_rng(0).random(101)
    assert survivor(np.zeros(101), distance) == int(np.argmax(distance))


def test_the_survivor_is_neither_among_the_most_expensive_nor_the_nearest():
    rng = np.random.default_rng(1)
    log_cost, distance = rng.normal(size=100), rng.random(100)
    chosen = survivor(log_cost, distance)
    assert chosen not in np.argsort(-log_cost)[:40]
    assert chosen not in np.argsort(distance)[:40]


def test_nearest_squared_distance_matches_the_pairwise_minimum():
    rng = np.random.default_rng(2)
    C, X = rng.random((7, 3)), rng.random((4, 3))
    expected = [min(float(np.sum((c - x) ** 2)) for x in X) for c in C]
    np.testing.assert_allclose(nearest_squared_distance(C, X), expected)
    assert np.all(np.isinf(nearest_squared_distance(C, np.empty((0, 3)))))


# ------------------------------------------------------------ the option
@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"n_space_filling": 0}, ValueError, "n_space_filling=0 must be >= 1"),
    ({"n_space_filling": 1.5}, TypeError, "n_space_filling=1.5 must be an integer"),
    ({"n_candidates": 1}, ValueError, "n_candidates=1 must be >= 2"),
    ({"n_candidates": True}, TypeError, "n_candidates=True must be an integer"),
])
def test_invalid_options_raise_naming_the_field(kwargs, error, match):
    with pytest.raises(error, match=match):
        CostDesignOptions(**kwargs)


def test_options_field_takes_only_cost_design_options():
    with pytest.raises(TypeError, match="cost_design"):
        OptimizerOptions(cost_design={"n_space_filling": 2})


@pytest.mark.parametrize("acquisition", ["logei", "ei", "ucb", "hedge"])
def test_the_design_needs_logei_per_cost(acquisition):
    """Without the cost GP of logei_per_cost nothing would rank the candidates by cost."""
    with pytest.raises(ValueError, match=r"options.cost_design=.*not used with "
                                         f"acquisition='{acquisition}'"):
        Optimizer(UNIT2, acquisition=acquisition, options=DESIGN)


def test_the_design_needs_points_of_its_own():
    with pytest.raises(ValueError, match="n_space_filling=2 must be < n_initial=2"):
        Optimizer(UNIT2, acquisition="logei_per_cost", n_initial=2, options=DESIGN)


def test_the_card_names_the_design_and_the_default_config_is_unchanged():
    opt = Optimizer(UNIT2, acquisition="logei_per_cost", options=DESIGN)
    plain = Optimizer(UNIT2, acquisition="logei_per_cost")
    assert opt.resolved_config["initial_design"] == {
        "kind": "cost-effective (CArBO)", "n_initial": 5, "n_space_filling": 2,
        "n_candidates": 1024}
    assert plain.resolved_config == resolved_config(
        plain.space, "logei_per_cost", 5, False, None, OptimizerOptions())
    assert plain.resolved_config["initial_design"] == {"kind": "scrambled-sobol", "n_initial": 5}
    assert opt.fingerprint != plain.fingerprint


# ------------------------------------------------------------ the asks
def test_after_its_sobol_points_the_design_asks_cheap_points():
    """The first n_space_filling asks are the Sobol design's; the rest cost less than the
    Sobol design's own, and spread out (no two closer than the Sobol points are)."""
    sobol = _run(Optimizer(UNIT2, seed=3, acquisition="logei_per_cost", n_initial=8), 8)
    cheap = _run(Optimizer(UNIT2, seed=3, acquisition="logei_per_cost", n_initial=8,
                           options=DESIGN), 8)
    assert [o.params for o in cheap.history[:2]] == [o.params for o in sobol.history[:2]]
    later = [o.cost for o in cheap.history[2:]]
    assert sum(later) < 0.5 * sum(o.cost for o in sobol.history[2:])
    X = cheap.space.encode([o.params for o in cheap.history])
    gaps = [nearest_squared_distance(X[i:i + 1], np.delete(X, i, axis=0))[0] for i in range(8)]
    assert min(gaps) > 0.05 ** 2


def test_without_a_cost_told_the_design_stays_sobol():
    sobol = Optimizer(UNIT2, seed=4, acquisition="logei_per_cost", n_initial=6)
    cheap = Optimizer(UNIT2, seed=4, acquisition="logei_per_cost", n_initial=6, options=DESIGN)
    for opt in (sobol, cheap):
        for _ in range(4):
            params = opt.ask()
            opt.tell(params, _objective(params))  # no cost=
    assert [o.params for o in cheap.history] == [o.params for o in sobol.history]


def test_design_points_satisfy_the_input_constraints():
    def away_from_the_cheap_edge(params):
        return params["x"] >= 0.2

    feasible = [LinearConstraint({"x": 1, "y": 1}, "<=", 1.2), away_from_the_cheap_edge]
    opt = Optimizer(UNIT2, seed=5, acquisition="logei_per_cost", n_initial=10,
                    options=DESIGN, feasible=feasible)
    _run(opt, 8)
    batch = opt.ask(2)
    design = [o.params for o in opt.history] + batch
    for params in design:
        assert params["x"] + params["y"] <= 1.2 and away_from_the_cheap_edge(params)
    # the cheapest region (x < 0.2) is refused, so the design crowds the edge x = 0.2
    assert np.median([p["x"] for p in design[2:]]) < 0.4


def test_a_batch_in_the_design_spreads_its_cheap_points():
    opt = _run(Optimizer(UNIT2, seed=6, acquisition="logei_per_cost", n_initial=8,
                         options=DESIGN), 2)
    asked = opt.ask(4)
    assert np.median([p["x"] for p in asked]) < 0.4  # cheap (the Sobol batch's: 0.52)
    batch = opt.space.encode(asked)
    others = [nearest_squared_distance(batch[i:i + 1], np.delete(batch, i, axis=0))[0]
              for i in range(4)]
    assert min(others) > 0.05 ** 2  # and apart


@pytest.mark.parametrize("n_initial", [8, 4])
def test_a_design_batch_fits_the_cost_gp_once(outcome_fits, n_initial):
    """ask(4) two tells into the design: one fit of the cost GP for the whole batch, the
    batch's later design points, and its model points when the design ends inside it
    (n_initial 4: two of each), reading the kept GP (`AskOutcomes`). Before, each design
    point of the batch fitted it again (n_initial 8: 4 fits; 4: 2 fits, then one more
    for the model points)."""
    opt = _run(Optimizer(UNIT2, seed=6, acquisition="logei_per_cost", n_initial=n_initial,
                         options=DESIGN), 2)
    outcome_fits.clear()  # the fits before the batch are not counted
    assert len(opt.ask(4)) == 4
    assert outcome_fits == [2]


def test_a_design_batch_first_point_is_the_sequential_ask():
    """The first point of a batch of the cost-effective design is the point a one-point
    ask asks from the same state (the cost GP fitted with the same draws)."""
    opt = _run(Optimizer(UNIT2, seed=6, acquisition="logei_per_cost", n_initial=8,
                         options=DESIGN), 2)
    twin = copy.deepcopy(opt)
    assert opt.ask(3)[0] == twin.ask()


def _sobol_run(seed, n_initial, steps, **kwargs):
    """The asks of the same run with the Sobol design."""
    opt = _run(Optimizer(UNIT2, seed=seed, acquisition="logei_per_cost", n_initial=n_initial,
                         **kwargs), steps)
    return [o.params for o in opt.history]


def test_same_seed_same_asks():
    runs = [_run(Optimizer(UNIT2, seed=7, acquisition="logei_per_cost", n_initial=6,
                           options=DESIGN), 9) for _ in range(2)]
    assert [o.params for o in runs[0].history] == [o.params for o in runs[1].history]
    assert runs[0].ask(2) == runs[1].ask(2)
    assert [o.params for o in runs[0].history] != _sobol_run(7, 6, 9)  # the design acted


@pytest.mark.parametrize("stop", [1, 3, 6])
def test_a_resumed_journal_asks_what_the_original_would(tmp_path, stop):
    """Stopped before, inside and after the design: the rest of the run is the same."""
    path = tmp_path / "run.jsonl"
    original = _run(Optimizer(UNIT2, seed=8, acquisition="logei_per_cost", n_initial=6,
                              options=DESIGN, cost_budget=200.0, journal=path), stop)
    resumed = Optimizer.resume(path, append=False)
    assert resumed.options.cost_design == CostDesignOptions()
    assert resumed.fingerprint == original.fingerprint
    _run(original, 8 - stop)
    _run(resumed, 8 - stop)
    assert [o.params for o in resumed.history] == [o.params for o in original.history]
    assert [o.params for o in original.history] != _sobol_run(8, 6, 8, cost_budget=200.0)

"""The constraint and cost GPs an ask builds (`bayesopt.outcomes`): a conditional space's
gates, one fit per ask for every point of a batch, and the model's incumbent counting
fantasies under outcome constraints."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

from acquisition.constrained import CostTerm, FeasibilityTerm
from acquisition.penalty import CombinedPenalty
from bayesopt import Categorical, Optimizer, OptimizerOptions, Real
from bayesopt.fitting import FitOptions
from bayesopt.model import ModelOptions
from bayesopt.outcomes import AskOutcomes

# c reads only the branch's active dimension: x under model=a, y under model=b
SPACE = {"model": Categorical(["a", "b"]), "x": Real(0, 1, when={"model": "a"}),
         "y": Real(0, 1, when={"model": "b"}), "z": Real(0, 1)}


def _evaluate(params):
    """(value, constraint, cost) of a point of SPACE."""
    active = params["x"] if params["model"] == "a" else params["y"]
    return ((active - 0.7) ** 2 + 0.3 * params["z"], active - 0.6,
            math.exp(2.0 * params["z"]) * (1.5 if params["model"] == "a" else 1.0))


def _told(n=12, seed=0, options=None):
    """An optimizer on SPACE with one outcome constraint, weighing by cost, told n points."""
    opt = Optimizer(SPACE, seed=seed, n_initial=6, n_constraints=1,
                    acquisition="logei_per_cost", options=options)
    for params in opt.ask(n):
        value, c, cost = _evaluate(params)
        opt.tell(params, value, constraints=[c], cost=cost)
    return opt


def _terms(opt):
    """The feasibility and cost terms of the acquisition the next ask maximizes."""
    penalty = opt._snapshot_objective(pending=False).penalty
    parts = penalty.parts if isinstance(penalty, CombinedPenalty) else (penalty,)
    (feasibility,) = [p for p in parts if isinstance(p, FeasibilityTerm)]
    (cost,) = [p for p in parts if isinstance(p, CostTerm)]
    return feasibility, cost


def _inactive_moved(opt):
    """Encoded points of both branches, the same with their inactive column moved off the
    filler ½ (as the acquisition's local search moves it), and which columns are inactive."""
    points = [{"model": "a", "x": 0.3, "z": 0.2}, {"model": "a", "x": 0.8, "z": 0.7},
              {"model": "b", "y": 0.4, "z": 0.5}, {"model": "b", "y": 0.9, "z": 0.1}]
    X = opt.space.encode(points)
    gates = np.array(opt.space.gates)
    inactive = np.zeros(X.shape, dtype=bool)
    inactive[:, gates >= 0] = X[:, gates[gates >= 0]] < 0.5
    assert inactive.sum() == 4 and np.all(X[inactive] == 0.5)
    moved = X.copy()
    moved[inactive] = [0.05, 0.95, 0.1, 0.9]
    return X, moved, inactive


def test_the_constraint_and_cost_gps_ignore_an_inactive_dimension():
    """In a conditional space the constraint and cost GPs take the objective's gates: an
    inactive dimension's column changes neither term's value nor moves its gradient, as
    for the objective's GP. Before, they saw the column as data: moving it changed the
    feasibility and the cost the acquisition's local search optimized, and pulled on it."""
    opt = _told()
    X, moved, inactive = _inactive_moved(opt)
    for term in _terms(opt):
        np.testing.assert_array_equal(term.log_values(moved), term.log_values(X))
        value, grad = term(moved)
        np.testing.assert_array_equal(value, term.log_values(X))
        assert np.all(grad[inactive] == 0.0)
        assert np.any(grad[~inactive] != 0.0)


def test_the_activity_lengthscale_option_pins_the_constraint_and_cost_gps_too():
    """``FitOptions(activity_lengthscale=)`` pins the activity columns' lengthscales of every
    GP of the space, the constraint and cost GPs' too. Before, theirs were fitted: the
    option was silently ignored there."""
    options = OptimizerOptions(model=ModelOptions(fit=FitOptions(activity_lengthscale=0.05)))
    opt = _told(options=options)
    activity = list(opt.space.activity_columns)
    assert activity
    for term in _terms(opt):
        models = term.models if isinstance(term, FeasibilityTerm) else (term.model,)
        for model in models:
            np.testing.assert_allclose(np.exp(model.params[activity]), 0.05, rtol=1e-12)


def test_a_batch_fits_the_constraint_and_cost_gps_once(outcome_fits):
    """ask(4) after the initial design: one fit of the constraint GP (each of its two warps)
    and one of the cost GP for the whole batch, the later points conditioning the kept GPs
    on the pending ones. Before, every point of the batch refitted them from scratch
    (4 × 3 fits)."""
    opt = _told(n=10)
    outcome_fits.clear()  # the fits before the batch are not counted
    batch = opt.ask(4)
    assert len(batch) == 4
    assert outcome_fits == [10, 10, 10]  # the constraint's identity and bilog warps, then the cost


def test_a_batch_first_point_is_the_sequential_ask():
    """The first point of a constrained, cost-weighted batch is the point a one-point ask
    asks from the same state (the GPs are fitted with the same draws)."""
    opt = _told(n=10)
    twin = copy.deepcopy(opt)
    assert opt.ask(3)[0] == twin.ask()


def test_kept_constraint_gps_conditioned_on_pending_points_match_a_fresh_fit():
    """`AskOutcomes` against the reference, `OutcomeModels.feasibility_term` fitted from
    scratch with the same generator state and the same pending points: the same
    hyperparameters and predictions; and each call is conditioned on exactly the pending
    points it is given (an earlier call's fantasies cleared)."""
    opt = _told(n=10)
    outcomes = opt._state.outcomes
    rng = np.random.default_rng(3)
    pending = opt.space.encode([{"model": "a", "x": 0.55, "z": 0.3},
                                {"model": "b", "y": 0.2, "z": 0.8}])
    X, moved, _ = _inactive_moved(opt)
    ask = AskOutcomes(outcomes, None, False)
    first = ask.feasibility_term(copy.deepcopy(rng), pending[:0])
    assert first is not None and first.models[0].gp.n == 10
    kept = ask.feasibility_term(np.random.default_rng(99), pending)  # no new fit: rng unused
    fresh = outcomes.feasibility_term(copy.deepcopy(rng), pending)
    assert fresh is not None and kept is not None
    for mine, reference in zip(kept.models, fresh.models):
        np.testing.assert_array_equal(mine.params, reference.params)
        assert mine.gp.n == reference.gp.n == 12
        for a, b in zip(mine.predict(np.vstack([X, moved])),
                        reference.predict(np.vstack([X, moved]))):
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    assert kept.thresholds == fresh.thresholds
    fewer = ask.feasibility_term(np.random.default_rng(99), pending[:1])
    assert fewer is not None and fewer.models[0].gp.n == 11


def _line(x_pending, feasible_observed=True):
    """f = x with c = 0.3 − x (feasible for x ≥ 0.3; with `feasible_observed` False, c = 1
    at every told point), six points told, x_pending pending: the next ask's objective."""
    opt = Optimizer({"x": Real(0, 1)}, seed=0, n_initial=5, n_constraints=1)
    xs = [0.05, 0.15, 0.45, 0.6, 0.8, 0.95]
    opt.tell([{"x": v} for v in xs], xs,
             constraints=[[0.3 - v if feasible_observed else 1.0] for v in xs])
    opt.add_pending({"x": x_pending})
    return opt._snapshot_objective(pending=True)


@pytest.mark.parametrize("x_pending", [0.12, 0.35])
def test_the_model_incumbent_is_the_constrained_incumbent(x_pending):
    """Under outcome constraints the model's incumbent with fantasies
    (`SurrogateModel.incumbent`) counts the fantasies believed feasible only, as the
    constrained acquisition's incumbent does: x = 0.12 pending (believed infeasible, its
    fantasy below every feasible value) leaves it the best feasible observation's; x = 0.35
    (believed feasible) lowers it to its fantasy. Before, every fantasy counted: at 0.12
    the model's incumbent was the infeasible fantasy's value."""
    objective = _line(x_pending)
    model = objective.surrogate
    assert model.gp.n == 7
    assert model.incumbent == objective.acquisition.best_f


def test_the_model_incumbent_is_infinite_with_nothing_feasible():
    """No observation feasible, the pending point believed infeasible: the constrained
    acquisition is feasibility alone (no incumbent), and the model's incumbent is +inf.
    Before, the best over every (infeasible) observation and fantasy."""
    from acquisition.functions import Feasibility

    objective = _line(0.12, feasible_observed=False)
    assert isinstance(objective.acquisition, Feasibility)
    assert objective.surrogate.gp.n == 7
    assert objective.surrogate.incumbent == math.inf

"""The constraint and cost GPs an ask builds (`bayesopt.outcomes`): a conditional space's
gates."""

from __future__ import annotations

import math

import numpy as np

from acquisition.constrained import CostTerm, FeasibilityTerm
from acquisition.penalty import CombinedPenalty
from bayesopt import Categorical, Optimizer, OptimizerOptions, Real
from bayesopt.fitting import FitOptions
from bayesopt.model import ModelOptions

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

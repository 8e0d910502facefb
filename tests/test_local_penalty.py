"""Local penalization of pending points (González et al. 2016): the penalty's value
against its formula, its gradient against central differences, how it composes
with the failure penalty, and what `fantasy="penalize"` does to a batch."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from scipy.stats import norm

from acquisition.functions import ExpectedImprovement, LogExpectedImprovement
from acquisition.optimizer import (
    AcquisitionObjective,
    penalty_log_values,
    penalty_switch_log_values,
    switch_trials,
)
from acquisition.penalty import CombinedPenalty, FailurePenalty, LocalPenalty, lipschitz_estimate
from bayesopt import Optimizer, OptimizerOptions, Real
from bayesopt.model import FANTASIES, ModelOptions

RNG = np.random.default_rng(7)
PENDING = np.array([[0.2, 0.3, 0.4], [0.7, 0.6, 0.1]])
PENALTY = LocalPenalty(PENDING, mean=np.array([0.1, 1.5]), std=np.array([0.05, 0.3]),
                       best=0.0, lipschitz=4.0)


def test_value_is_the_sum_of_log_normal_cdfs_of_the_documented_argument():
    X = RNG.random((20, 3))
    distance = np.linalg.norm(X[:, None] - PENDING[None], axis=-1)
    z = (PENALTY.best + PENALTY.lipschitz * distance - PENALTY.mean) / PENALTY.std
    np.testing.assert_allclose(PENALTY(X)[0], norm.logcdf(z).sum(axis=1), rtol=1e-12)


def test_gradient_matches_central_differences():
    X = RNG.random((15, 3))
    _, grad = PENALTY(X)
    eps = 1e-6
    for j in range(3):
        step = np.zeros(3)
        step[j] = eps
        numeric = (PENALTY(X + step)[0] - PENALTY(X - step)[0]) / (2 * eps)
        np.testing.assert_allclose(grad[:, j], numeric, rtol=1e-6, atol=1e-8)


def test_finite_at_and_far_from_a_pending_point():
    far_away = np.array([[5.0, 5.0, 5.0]])
    log_m, grad = PENALTY(np.concatenate([PENDING, far_away]))
    assert np.all(np.isfinite(log_m)) and np.all(np.isfinite(grad))
    assert log_m[-1] > -1e-12  # no damping far from every pending point


def test_ball_shrinks_as_the_pending_point_is_expected_to_be_as_good_as_the_incumbent():
    """r = (μ − M) / L: a pending point at the incumbent's level barely excludes anything."""
    offset = np.array([[0.05, 0.0]])
    centre = np.array([[0.5, 0.5]])
    damping = [
        LocalPenalty(centre, np.array([mean]), np.array([0.01]), 0.0, 2.0)(centre + offset)[0][0]
        for mean in (0.0, 0.1, 0.5)
    ]
    assert damping[0] > np.log(0.99) and damping[0] > damping[1] > damping[2]
    assert damping[2] < -100  # 0.05 is deep inside a ball of radius 0.25


def test_combined_penalty_adds_the_logs_and_gradients():
    failure = FailurePenalty(np.array([[0.5, 0.5, 0.5]]), np.array([0.1, 0.1, 0.1]))
    combined = CombinedPenalty((failure, PENALTY))
    X = RNG.random((10, 3))
    for got, a, b in zip(combined(X), failure(X), PENALTY(X)):
        np.testing.assert_allclose(got, a + b, rtol=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_log_values_without_the_gradient_are_the_calls_values_bit_for_bit(seed: int) -> None:
    """`log_values` (what scoring rows needs: candidates, the trial rows of a categorical's
    switches) leaves the gradient out and nothing else: the local penalty, the failure
    penalty (points on a failure, far from every one), and a combination with a part that
    has no `log_values` of its own, on random rows and the one-hot trial rows of a big
    categorical."""
    rng = np.random.default_rng(seed)
    d, p = 40, 3
    pending = rng.random((p, d))
    local = LocalPenalty(pending, mean=rng.normal(size=p), std=rng.random(p) * 0.5,
                         best=float(rng.normal()), lipschitz=float(rng.random() * 10))
    failures = FailurePenalty(rng.random((4, d)), rng.random(d) * 0.2 + 0.01)
    plain = CombinedPenalty((failures, lambda X: local(X)))  # the lambda: no log_values
    group = np.arange(5, 5 + 30)
    rows = rng.random((25, d))
    rows[:3] = failures.failures[:3]
    rows[3] = 50.0
    for X in (rows, switch_trials(rows, group)):
        for penalty in (local, failures, plain, CombinedPenalty((local, failures))):
            assert np.array_equal(penalty_log_values(penalty, X), penalty(X)[0])
        mean, std = X.sum(axis=1) / d, 0.05 + X[:, 0]
        log_mask = plain(X)[0]
        objective = AcquisitionObjective(LogExpectedImprovement(0.3), _Posterior(), plain)
        assert np.array_equal(objective.values(X),
                              LogExpectedImprovement(0.3)(mean, std) + log_mask)
        objective = AcquisitionObjective(ExpectedImprovement(0.3), _Posterior(), plain)
        assert np.array_equal(objective.values(X),
                              ExpectedImprovement(0.3)(mean, std) * np.exp(log_mask))
        assert np.array_equal(objective.log_values(X),
                              ExpectedImprovement(0.3).log_value(mean, std) + log_mask)


@pytest.mark.parametrize("seed", range(4))
def test_switch_log_values_equal_the_trial_rows_to_rounding(seed: int) -> None:
    """A categorical's switches scored from the starts (`switch_log_values`) against
    `log_values` of the r·k trial rows: pending and failed points one-hot in the group
    (as encoded points are) or not, a start on a pending point and on a failure (distance
    0 at one switch: exact, the group's term is 0 there), far rows."""
    rng = np.random.default_rng(seed)
    d, k = 50, 37
    group = np.arange(6, 6 + k)
    points = rng.random((5, d))
    points[:3, group] = np.eye(k)[rng.integers(k, size=3)]  # one-hot, as encoded
    local = LocalPenalty(points[:3], mean=rng.normal(size=3), std=rng.random(3) * 0.5 + 0.01,
                         best=float(rng.normal()), lipschitz=float(rng.random() * 10 + 0.1))
    failures = FailurePenalty(points[2:], rng.random(d) * 0.2 + 0.01)
    X = rng.random((9, d))
    X[0], X[1] = points[0], points[3]
    X[2] = 3.0
    for penalty in (local, failures, CombinedPenalty((local, failures)),
                    CombinedPenalty((failures, lambda X: local(X)))):
        fast = penalty_switch_log_values(penalty, X, group)
        slow = penalty_log_values(penalty, switch_trials(X, group)).reshape(9, k)
        np.testing.assert_allclose(fast, slow, rtol=1e-9, atol=1e-13)  # (ties: no argmax)
    c = int(np.argmax(points[0, group]))  # the start on a pending point, switched to its c
    assert local.switch_log_values(X[:1], group)[0, c] == local.log_values(X[:1])[0]


class _Posterior:
    """A surrogate whose mean is a row's average and whose std grows with its first entry."""

    def predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return X.sum(axis=1) / X.shape[1], 0.05 + X[:, 0]

    def predict_with_gradient(self, X: np.ndarray) -> tuple[np.ndarray, ...]:
        raise NotImplementedError


def test_lipschitz_estimate_is_the_largest_gradient_norm_and_never_zero():
    assert lipschitz_estimate(np.array([[3.0, 4.0], [1.0, 0.0]])) == pytest.approx(5.0)
    assert lipschitz_estimate(np.zeros((4, 2))) > 0
    assert lipschitz_estimate(np.empty((0, 2))) > 0


def penalizing_optimizer(seed: int) -> Optimizer:
    options = OptimizerOptions(model=ModelOptions(fantasy="penalize"))
    opt = Optimizer({"x": Real(0.0, 1.0), "y": Real(0.0, 1.0)}, seed=seed, n_initial=6,
                    options=options)
    for _ in range(10):
        params = opt.ask()
        opt.tell(params, (params["x"] - 0.3) ** 2 + (params["y"] - 0.6) ** 2)
    return opt


def test_penalized_batch_is_distinct_new_and_leaves_the_model_unfantasized():
    opt = penalizing_optimizer(0)
    n_before = opt._model.gp.n
    batch = np.array([[p["x"], p["y"]] for p in opt.ask(5)])
    observed = np.array([[o.params["x"], o.params["y"]] for o in opt.history])
    assert len({tuple(x) for x in batch}) == 5
    assert np.linalg.norm(batch[:, None] - observed[None], axis=-1).min() > 1e-6
    assert opt._model.gp.n == n_before  # pending points never enter the GP


def test_penalized_batch_is_deterministic_for_a_seed():
    assert penalizing_optimizer(3).ask(4) == penalizing_optimizer(3).ask(4)


def test_unknown_fantasy_is_rejected_with_its_value():
    with pytest.raises(ValueError, match=r"fantasy='kriging'.*penalize"):
        ModelOptions(fantasy="kriging")
    assert set(FANTASIES) == {"liar", "believer", "penalize"}
    assert replace(ModelOptions(), fantasy="penalize").fantasy == "penalize"

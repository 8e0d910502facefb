"""Multi-fidelity: Hyperband bracket arithmetic, the ASHA promotion rule, the
successive-halving pruner (against Optuna's), the Fidelity dimension, and the
Optimizer's refusal of a Fidelity space until the integration is ported."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from bayesopt import Integer, Optimizer, Real, Space
from bayesopt.fidelity import (
    Hyperband,
    Job,
    Pruning,
    SuccessiveHalving,
    bracket_sizes,
    max_bracket,
    model_budget,
    rung_budgets,
)
from bayesopt.space import Fidelity


# ------------------------------------------------------------ bracket arithmetic
def test_hyperband_brackets_for_81_and_eta_3() -> None:
    fidelity = Fidelity(1, 81, eta=3)
    s_max = max_bracket(1, 81, 3)
    assert s_max == 4
    sizes = bracket_sizes(s_max, 3)
    assert [sizes[s] for s in range(4, -1, -1)] == [81, 34, 15, 8, 5]
    assert sum(sizes) == 143
    assert [rung_budgets(fidelity, s)[0] for s in range(4, -1, -1)] == [1, 3, 9, 27, 81]
    assert rung_budgets(fidelity, 4) == (1, 3, 9, 27, 81)


def test_max_bracket_is_exact_where_a_float_log_is_not() -> None:
    assert math.floor(math.log(243) / math.log(3)) == 4  # the trap: 4.999…
    assert max_bracket(1, 243, 3) == 5
    assert max_bracket(0.1, 1.0, 10) == 1
    assert max_bracket(1, 80, 3) == 3


def test_rung_budgets_round_for_an_integer_fidelity_and_not_for_a_real_one() -> None:
    assert rung_budgets(Fidelity(1, 100, eta=3), 4) == (1, 4, 11, 33, 100)
    budgets = rung_budgets(Fidelity(0.01, 1.0, eta=10), 2)
    assert budgets == pytest.approx((0.01, 0.1, 1.0))
    assert all(isinstance(b, float) for b in budgets)


# ------------------------------------------------------------ ASHA promotion rule
def _finish(hb: Hyperband, job: Job, losses: list[float]) -> list[int]:
    """Start one run of `job` per loss (new configurations) and finish them in order."""
    indices = []
    for loss in losses:
        hb.start(job, object())
        indices.append(len(hb.trials) - 1)
        hb.finish(indices[-1], loss, indices[-1])
    return indices


def test_promotion_rule_on_hand_worked_values() -> None:
    hb = Hyperband(Fidelity(1, 9, eta=3))  # s_max 2: brackets of 9, 5, 3 at budgets 1, 3, 9
    base = Job(bracket=2, rung=0, budget=1)
    _finish(hb, base, [5.0, 1.0])  # ⌊2/3⌋ = 0 promotable: a new configuration
    assert hb.next_job() == base
    _finish(hb, base, [3.0])  # ⌊3/3⌋ = 1: trial 1 (loss 1) is the best third
    assert hb.next_job() == Job(bracket=2, rung=1, budget=3, continues=1)
    hb.start(hb.next_job(), "promoted-1")  # pending: trial 1 is not promoted twice
    assert hb.next_job() == base
    _finish(hb, base, [0.5, 4.0, 2.0])  # rung 0: 5, 1, 3, 0.5, 4, 2 → best two: trials 4, 1
    assert hb.next_job() == Job(bracket=2, rung=1, budget=3, continues=4)


def test_promotion_prefers_the_highest_budget() -> None:
    hb = Hyperband(Fidelity(1, 9, eta=3))
    _finish(hb, Job(2, 0, 1), [0.1 * i for i in range(1, 10)])  # trials 0–8
    for source, loss in zip(range(3), [3.0, 1.0, 2.0]):  # the best three, promoted: 9–11
        _finish(hb, Job(2, 1, 3, continues=source), [loss])
    _finish(hb, Job(2, 0, 1), [0.95, 0.96, 0.97])  # rung 0: 12 results, trial 3 promotable
    assert hb.next_job() == Job(bracket=2, rung=2, budget=9, continues=10)


def test_asynchronous_promotion_never_waits_for_a_full_rung() -> None:
    hb = Hyperband(Fidelity(1, 27, eta=3))  # bracket 3 starts 27 configurations
    for _ in range(5):  # five workers busy: every ask still gets a job at once
        hb.start(hb.next_job(), object())
    assert all(t.loss is None for t in hb.trials)
    assert hb.next_job() == Job(bracket=3, rung=0, budget=1)
    for i, loss in enumerate([3.0, 1.0, 2.0]):  # 3 of 27 finished: promote the best already
        hb.finish(i, loss, i)
    assert hb.next_job() == Job(bracket=3, rung=1, budget=3, continues=1)


def test_failed_and_pruned_runs_count_in_their_rung_and_are_never_promoted() -> None:
    base = Job(bracket=2, rung=0, budget=1)
    hb = Hyperband(Fidelity(1, 9, eta=3))
    _finish(hb, base, [math.inf, math.inf, 2.0])  # three results, the best third is trial 2
    assert hb.next_job().continues == 2
    hb2 = Hyperband(Fidelity(1, 9, eta=3))
    _finish(hb2, base, [math.inf, math.inf, math.inf])
    assert hb2.next_job() == base


def test_new_configurations_follow_the_hyperband_cycle() -> None:
    hb = Hyperband(Fidelity(1, 9, eta=3))
    brackets = []
    for _ in range(9 + 5 + 3 + 1):  # nothing finishes: only new configurations
        job = hb.next_job()
        brackets.append(job.bracket)
        hb.start(job, object())
    assert brackets == [2] * 9 + [1] * 5 + [0] * 3 + [2]


def test_model_budget_is_the_largest_with_enough_observations() -> None:
    assert model_budget([1, 1, 1, 3, 3, 9], 2) == 3.0
    assert model_budget([1, 1, 1, 3, 3, 9], 1) == 9.0
    assert model_budget([1, 3], 2) is None


# ------------------------------------------------------------ successive halving
def test_pruning_rule_on_hand_worked_values() -> None:
    pruning = Pruning(SuccessiveHalving(min_resource=1, reduction_factor=3))
    assert not pruning.report("a", 1, 0.5)  # rung 0: [0.5], keep the best max(1, 0) = 1
    assert pruning.report("b", 1, 0.7)  # [0.5, 0.7]: 0.7 is not the best
    assert not pruning.report("c", 1, 0.4)
    assert not pruning.report("c", 2, 0.3)  # no rung at step 2
    assert not pruning.report("c", 3, 0.2)  # rung 1 (step 3): alone, the best
    assert pruning.report("b", 2, 0.1)  # stopped stays stopped
    assert pruning.close("b") == 1 and pruning.close("c") is None


def _optuna_decisions(curves: list[list[float]], min_resource: int, reduction_factor: int,
                      rate: int) -> list[int | None]:
    """The step at which Optuna's SuccessiveHalvingPruner stops each curve (None: never)."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    pruner = optuna.pruners.SuccessiveHalvingPruner(
        min_resource=min_resource, reduction_factor=reduction_factor,
        min_early_stopping_rate=rate)
    study = optuna.create_study(pruner=pruner)
    stops: list[int | None] = []
    for curve in curves:
        trial = study.ask()
        stop = None
        for step, value in enumerate(curve, start=1):
            trial.report(value, step)
            if trial.should_prune():
                stop = step
                break
        study.tell(trial, curve[-1] if stop is None else None,
                   state=optuna.trial.TrialState.COMPLETE if stop is None
                   else optuna.trial.TrialState.PRUNED)
        stops.append(stop)
    return stops


@pytest.mark.parametrize(("min_resource", "reduction_factor", "rate"), [(1, 3, 0), (2, 2, 1)])
def test_pruning_agrees_with_optunas_successive_halving_pruner(
        min_resource: int, reduction_factor: int, rate: int) -> None:
    rng = np.random.default_rng(0)
    curves = [list(rng.uniform(0.2, 1) * np.exp(-rng.uniform(0, 0.3) * np.arange(1, 28))
                   + rng.normal(0, 0.01, 27)) for _ in range(30)]
    expected = _optuna_decisions(curves, min_resource, reduction_factor, rate)
    pruning = Pruning(SuccessiveHalving(min_resource, reduction_factor, rate))
    stops: list[int | None] = []
    for i, curve in enumerate(curves):
        stop = next((step for step, value in enumerate(curve, start=1)
                     if pruning.report(i, step, value)), None)
        stops.append(stop)
        pruning.close(i)
    assert stops == expected
    assert any(s is not None for s in stops) and any(s is None for s in stops)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"min_resource": 0}, "min_resource"), ({"reduction_factor": 1}, "reduction_factor"),
    ({"min_early_stopping_rate": -1}, "min_early_stopping_rate"),
    ({"bootstrap_count": 1.5}, "bootstrap_count"),
])
def test_successive_halving_validates_its_fields(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises((TypeError, ValueError), match=match):
        SuccessiveHalving(**kwargs)


# ------------------------------------------------------------ the Fidelity dimension
@pytest.mark.parametrize(("args", "match"), [
    ((0, 81), "low=0"), ((1, 1), "low=1 must be < high=1"), ((1, 2), "high=2 must be >= eta"),
    ((1, 81, 1), "eta=1 must be >= 2"), ((1, 81, 2.5), "eta=2.5 must be an integer"),
    ((1, math.inf), "high=inf"), (("1", 81), "low='1'"),
])
def test_fidelity_rejects_bad_definitions(args: tuple[Any, ...], match: str) -> None:
    with pytest.raises((TypeError, ValueError), match=match):
        Fidelity(*args, name="epochs")


def test_a_space_has_at_most_one_fidelity() -> None:
    with pytest.raises(ValueError, match="at most one budget"):
        Space({"a": Fidelity(1, 9), "b": Fidelity(1, 27), "x": Real(0, 1)})


def test_fidelity_is_not_encoded_and_round_trips_through_a_dict() -> None:
    space = Space({"x": Real(0, 1), "epochs": Fidelity(1, 81), "frac": Integer(1, 3)})
    assert space.n_columns == 2 and space.fidelity is not None
    assert space.validate({"x": 0.5, "epochs": 3.0, "frac": 2})["epochs"] == 3
    with pytest.raises(ValueError, match="'epochs'.*must be an integer"):
        space.validate({"x": 0.5, "epochs": 2.5, "frac": 2})
    with pytest.raises(ValueError, match="'epochs'.*outside"):
        space.validate({"x": 0.5, "epochs": 82, "frac": 2})
    assert Space.from_dict(space.to_dict()) == space


# ------------------------------------------------------------ the Optimizer
@pytest.mark.parametrize("space", [
    {"x": Real(0, 1), "epochs": Fidelity(1, 9)},
    Space({"x": Real(0, 1), "epochs": Fidelity(1, 9)}),
])
def test_optimizer_refuses_a_fidelity_space_until_multi_fidelity_is_supported(space: Any) -> None:
    with pytest.raises(ValueError, match="'epochs'.*Fidelity.*not yet supported"):
        Optimizer(space, seed=0)

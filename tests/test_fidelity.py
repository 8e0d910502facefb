"""Multi-fidelity: Hyperband bracket arithmetic, the ASHA promotion rule, the
successive-halving pruner (against Optuna's), the Fidelity dimension, and the
Optimizer that asks budgets (the fold: bayesopt.state, bayesopt.propose)."""

from __future__ import annotations

import copy
import math
import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bayesopt import (
    Categorical,
    Integer,
    Optimizer,
    OptimizeResult,
    OptimizerOptions,
    Real,
    ResumeWarning,
    Space,
    SpaceExhaustedWarning,
    minimize,
)
from bayesopt.fidelity import (
    OUTSIDE,
    Hyperband,
    Job,
    Pruning,
    SuccessiveHalving,
    bracket_sizes,
    max_bracket,
    model_budget,
    rung_budgets,
)
from bayesopt.model import ModelOptions, SurrogateModel, TopBudget
from bayesopt.space import Fidelity
from bayesopt.study import ClockSkewWarning
from lapack_rounding import as_pinned

EVERY_REFIT = as_pinned(OptimizerOptions(model=ModelOptions(restart_every=1)))  # before 0.3.0


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


def test_a_released_trial_gives_its_job_back() -> None:
    hb = Hyperband(Fidelity(1, 9, eta=3))
    base = hb.next_job()
    _finish(hb, base, [1.0, 0.5, 2.0])
    promotion = hb.next_job()
    assert promotion.continues == 1
    hb.start(promotion, "b")
    assert hb.next_job().continues is None  # promoted already
    hb.release(len(hb.trials) - 1)  # cancelled: the promotion is due again
    assert hb.next_job() == promotion
    fresh = Hyperband(Fidelity(1, 9, eta=3))
    for _ in range(9):  # bracket 2's nine new configurations, the last one released
        fresh.start(fresh.next_job(), object())
    fresh.release(8)
    assert fresh.next_job().bracket == 2  # its place in the cycle is free again
    assert fresh.pending_trial(fresh.trials[8].config, 1) is None


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


@pytest.mark.parametrize("rule", [
    SuccessiveHalving(),  # η^646 ≈ 1.5e308 is its last rung below the largest double
    SuccessiveHalving(reduction_factor=10**400),  # its rung 1 is past it
    SuccessiveHalving(min_early_stopping_rate=1000),  # its rung 0 is past it
    SuccessiveHalving(min_early_stopping_rate=10**8),  # 3**(10**8): a minute to compute
], ids=["step 1.7e308", "eta 1e400", "rate 1000", "rate 1e8"])
def test_a_rung_past_the_largest_double_is_never_reached_and_a_journal_keeps_the_report(
        rule: SuccessiveHalving, tmp_path: Path) -> None:
    """A report at any finite step, up to 1.7e308, under a rule whose rungs go past the
    float range: the rungs there are inf, never reached (the rung's float raised
    OverflowError after the report was journaled, which left the journal unreadable, and
    η^(10**8) took a minute). The rungs inside the range are the exact ones still."""
    assert rule.rung_step(700) == math.inf
    assert SuccessiveHalving().rung_step(646) == float(3**646)
    assert SuccessiveHalving(min_resource=0.1).rung_step(1) == 0.3
    opt = Optimizer({"x": Real(0.0, 1.0)}, seed=0, n_initial=3, pruner=rule,
                    journal=tmp_path / "run.jsonl")
    params = opt.ask()
    assert opt.report(params, [1.0, 1e300, 1.7e308], [0.5, 0.4, 0.3]) is False
    assert opt.report_status(params).last_step == 1.7e308
    opt.tell(params, 0.3)
    again = Optimizer.resume(tmp_path / "run.jsonl", append=False)
    assert again.history == opt.history


def _sorting_rule(rule: SuccessiveHalving, rungs: dict[int, list[float]], passed: dict[Any, int],
                  trial: Any, step: float, loss: float) -> bool:
    """The rule as written before rungs were kept ranked: sort the rung at each report."""
    k = passed.get(trial, 0)
    while step >= rule.rung_step(k):
        values = rungs.setdefault(k, [])
        values.append(loss)
        passed[trial] = k = k + 1
        keep = max(1, len(values) // rule.reduction_factor)
        if len(values) <= rule.bootstrap_count or loss > sorted(values)[keep - 1]:
            return True
    return False


@pytest.mark.parametrize("bootstrap", [0, 4])
def test_pruning_with_ranked_rungs_decides_as_sorting_each_rung(bootstrap: int) -> None:
    """Ties and repeated losses included (losses rounded to 0.05), over 600 runs of 9
    steps: every decision, and every rung's values in the order recorded, are those of
    sorting the rung at each report."""
    rule = SuccessiveHalving(min_resource=1, reduction_factor=3, bootstrap_count=bootstrap)
    pruning = Pruning(rule)
    rungs: dict[int, list[float]] = {}
    passed: dict[Any, int] = {}
    rng = np.random.default_rng(bootstrap)
    decisions = []
    for run in range(600):
        stopped = False
        for step in range(1, 10):
            loss = round(float(rng.uniform(0, 1)) * 20) / 20 / step
            expected = stopped or _sorting_rule(rule, rungs, passed, run, step, loss)
            stopped = pruning.report(run, step, loss)
            assert stopped == expected, (run, step)
            decisions.append(stopped)
            if stopped:
                break
        pruning.close(run)
        passed.pop(run, None)
    assert pruning.rungs == rungs and len(rungs) == 3
    assert any(decisions) and not all(decisions)


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


@pytest.mark.parametrize(("losses", "expected"), [
    # η = 3, one report each at step 1 (rung 0). Worked by hand: the m-th report survives
    # when its loss is ≤ the max(1, ⌊m/3⌋)-th least of the m losses, its own included:
    # m=1..3 keep 1 → 0.5, 0.5 (equal to the best), 0.2 survive; m=4, 5 keep 1 (0.2) →
    # 0.5 and 1.0 stop; m=6 keeps 2, the 2nd least is 0.5 → the last 0.5 survives, tied
    # with the four 0.5s at ranks 2–5.
    ([0.5, 0.5, 0.2, 0.5, 1.0, 0.5], [None, None, None, 1, 1, None]),
    ([1.0] * 7, [None] * 7),  # all equal: each is ≤ the kept quantile, so none stops
], ids=["ties at the cut", "all equal"])
def test_a_report_tied_with_the_kept_quantile_survives_as_in_optuna(
        losses: list[float], expected: list[int | None]) -> None:
    pruning = Pruning(SuccessiveHalving(min_resource=1, reduction_factor=3))
    stops = []
    for i, loss in enumerate(losses):
        stops.append(1 if pruning.report(i, 1, loss) else None)
        pruning.close(i)
    assert stops == expected
    assert _optuna_decisions([[loss] for loss in losses], 1, 3, 0) == expected


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"min_resource": 0}, "min_resource"), ({"reduction_factor": 1}, "reduction_factor"),
    ({"min_early_stopping_rate": -1}, "min_early_stopping_rate"),
    ({"bootstrap_count": 1.5}, "bootstrap_count"),
])
def test_successive_halving_validates_its_fields(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises((TypeError, ValueError), match=match):
        SuccessiveHalving(**kwargs)


def test_report_rungs_are_the_budgets_only_when_high_over_low_is_a_power_of_eta() -> None:
    """As README and docs/multi-fidelity.md say: the default pruner's rungs are low·η^k."""
    def steps(fidelity: Fidelity) -> list[float]:
        rule = SuccessiveHalving.of(fidelity)
        return [rule.rung_step(k) for k in range(max_bracket(fidelity.low, fidelity.high,
                                                             fidelity.eta) + 1)]

    assert steps(Fidelity(1, 27)) == list(rung_budgets(Fidelity(1, 27), 3)) == [1, 3, 9, 27]
    assert rung_budgets(Fidelity(1, 100), 4) == (1, 4, 11, 33, 100)
    assert steps(Fidelity(1, 100)) == [1, 3, 9, 27, 81]


# ------------------------------------------------------------ the Fidelity dimension
@pytest.mark.parametrize(("args", "match"), [
    ((0, 81), "low=0"), ((1, 1), "low=1 must be < high=1"), ((1, 2), "high=2 must be >= eta.*; eta=2 fits these bounds"),
    ((1, 1.5), r"; even eta=2 needs high >= 2$"), ((0.1, 0.25), r"eta \* low = 0.3 \(one"),
    ((1, 8, 9), "eta=8 fits these bounds"),
    ((1, 81, 1), "eta=1 must be >= 2"), ((1, 81, 2.5), "eta=2.5 must be an integer"),
    ((1, math.inf), "high=inf"), (("1", 81), "low='1'"),
    ((1, 1e300), r"low=1, high=1e\+300, eta=3: high/low ≥ eta\^628.* starts 4.29e\+299 conf"),
    ((1e-300, 1.0), r"low=1e-300, high=1.0, eta=3: .*s_max=628"),
    ((1, 2**20, 2), r"high=1048576, eta=2: .*s_max=20\) starts 1.05e\+06 configurations"),
])
def test_fidelity_rejects_bad_definitions(args: tuple[Any, ...], match: str) -> None:
    with pytest.raises((TypeError, ValueError), match=match):
        Fidelity(*args, name="epochs")


def test_fidelity_refuses_log_saying_its_budgets_are_already_geometric() -> None:
    """log= (which Real and Integer take) used to raise Python's bare 'unexpected keyword
    argument'; it names the key and why, and other unknown keywords get the usual hint."""
    with pytest.raises(TypeError, match=r"Fidelity got the unknown keyword argument log=: "
                                        r"a Fidelity's budgets are already spaced geometric"):
        Fidelity(1, 27, log=True)
    with pytest.raises(TypeError, match=r"argument lgo=; did you mean low=\?"):
        Fidelity(1, 27, lgo=True)
    assert Fidelity(1, 27, eta=3, name="epochs") == Fidelity(low=1, high=27, name="epochs")


def test_the_largest_accepted_first_bracket_starts_a_million_configurations() -> None:
    """The rule's edge: η^s_max ≤ 10⁶ is accepted, the next halving is not."""
    assert max_bracket(1, 2**19, 2) == 19 and Fidelity(1, 2**19, 2).high == 2**19
    with pytest.raises(ValueError, match=r"at most 1e\+06"):
        Fidelity(1, 2**20, 2)
    assert Fidelity(1, 3**12).high == 3**12  # 531 441 configurations
    with pytest.raises(ValueError, match="s_max=13"):
        Fidelity(1, 3**13)


def test_numpy_bounds_are_plain_numbers_so_the_journal_and_brackets_take_them(
        tmp_path: Any) -> None:
    integer = Fidelity(np.int64(1), np.int64(9), eta=np.int64(3))
    real = Fidelity(np.float32(0.25), np.float64(1.0))
    assert [type(v) for v in (integer.low, integer.high, real.low, real.high)] == \
        [int, int, float, float]
    path = tmp_path / "run.jsonl"
    opt = Optimizer({"x": Real(0, 1), "epochs": integer}, seed=0, journal=path)
    opt.tell(opt.ask(), 1.0)
    assert Optimizer.resume(path, append=False).ask() == opt.ask()
    assert Optimizer({"x": Real(0, 1), "fraction": real}, seed=0).ask()["fraction"] == 1 / 3


def test_a_space_has_at_most_one_fidelity() -> None:
    with pytest.raises(ValueError, match="at most one budget"):
        Space({"a": Fidelity(1, 9), "b": Fidelity(1, 27), "x": Real(0, 1)})


def test_a_space_of_a_fidelity_alone_raises_naming_it() -> None:
    with pytest.raises(ValueError, match="dimension 'epochs' is a Fidelity and the space has "
                                         "no other dimension"):
        Optimizer({"epochs": Fidelity(1, 9)})


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
def _loss(p: dict[str, Any]) -> float:
    return (p["x"] - 0.3) ** 2 + (p["y"] - 0.7) ** 2 + 1.0 / p["epochs"]


def _fidelity_space() -> dict[str, Any]:
    return {"x": Real(0, 1), "y": Real(0, 1), "epochs": Fidelity(1, 9, eta=3)}


def _fidelity_run(steps: int, **model: str) -> Optimizer:
    """`steps` asks and tells of `_loss` with ModelOptions(**model)."""
    options = OptimizerOptions(model=ModelOptions(**model))  # type: ignore[arg-type]
    opt = Optimizer(_fidelity_space(), seed=0, n_initial=3, options=options)
    for _ in range(steps):
        p = opt.ask()
        opt.tell(p, _loss(p))
    return opt


def test_asks_carry_budgets_and_promotions_say_what_they_continue() -> None:
    opt = Optimizer(_fidelity_space(), seed=0, n_initial=3)
    first = [opt.ask() for _ in range(3)]
    assert [p["epochs"] for p in first] == [1, 1, 1]
    assert all(opt.continues(p) is None for p in first)
    opt.tell(first, [1.0, 0.5, 2.0])
    promoted = opt.ask()
    assert promoted == {**first[1], "epochs": 3}
    assert opt.continues(promoted) == 1
    opt.tell(promoted, 0.4)
    assert opt.history[-1].continues == 1 and opt.history[0].continues is None


def test_continues_matches_a_rounded_promotion_as_its_tell_does() -> None:
    def rounded(p: dict[str, Any]) -> dict[str, Any]:
        return {name: float(f"{value:.3g}") for name, value in p.items()}

    opt = Optimizer({"lr": Real(1e-4, 1e-1, log=True), "fraction": Fidelity(0.1, 1.0)}, seed=0)
    first = opt.ask(3)
    opt.tell([rounded(p) for p in first], [0.5, 0.2, 0.9])
    promoted = opt.ask()
    assert promoted["fraction"] == pytest.approx(1 / 3) and opt.continues(promoted) == 1
    assert opt.continues(rounded(promoted)) == 1  # fraction 0.333: the rule of a tell
    opt.tell(rounded(promoted), 0.1)
    assert opt.history[-1].continues == 1


def test_best_and_result_judge_the_highest_budget_only() -> None:
    opt = Optimizer(_fidelity_space(), seed=0)
    low = {"x": 0.1, "y": 0.1, "epochs": 1}
    high = {"x": 0.5, "y": 0.5, "epochs": 9}
    opt.tell(low, 0.0)
    assert opt.best is None
    opt.tell(high, 1.0)
    assert opt.best is not None and opt.best.params == high
    result = opt.result()
    assert result.best_params == high and result.best_value == 1.0
    assert list(result.best_so_far) == [pytest.approx(math.nan, nan_ok=True), 1.0]


def test_a_bracket_runs_to_the_top_budget_with_failures_inside() -> None:
    opt = Optimizer(_fidelity_space(), seed=1, n_initial=3)
    for i in range(30):
        p = opt.ask()
        if i % 7 == 3:
            opt.tell_failure(p, "diverged")
        else:
            opt.tell(p, _loss(p))
    budgets = [o.params["epochs"] for o in opt.history]
    assert set(budgets) == {1, 3, 9}
    assert not any(o.continues is not None and not opt.history[o.continues].ok
                   for o in opt.history), "a failed run was promoted"
    assert opt.best is not None and opt.best.params["epochs"] == 9


def test_a_batch_ask_with_a_fidelity_gives_distinct_runs() -> None:
    opt = Optimizer(_fidelity_space(), seed=2, n_initial=3)
    for _ in range(6):
        p = opt.ask()
        opt.tell(p, _loss(p))
    batch = opt.ask(4)
    keys = {tuple(sorted(p.items())) for p in batch}
    assert len(keys) == 4
    sources = [opt.continues(p) for p in batch]
    promoted = [s for s in sources if s is not None]
    assert len(promoted) == len(set(promoted))
    opt.tell(batch, [_loss(p) for p in batch])
    assert opt.pending == []


def test_resume_mid_bracket_asks_the_same(tmp_path: Any) -> None:
    path = tmp_path / "run.jsonl"
    opt = Optimizer(_fidelity_space(), seed=4, n_initial=3, journal=path)
    for _ in range(14):
        p = opt.ask()
        opt.tell(p, _loss(p))
    mid = opt.ask(2)  # in flight when the process stops
    resumed = Optimizer.resume(path, append=False)
    assert resumed.pending == mid
    assert [resumed.continues(p) for p in mid] == [opt.continues(p) for p in mid]
    for twin in (opt, resumed):
        twin.tell(mid, [_loss(p) for p in mid])
    assert [opt.ask() for _ in range(4)] == [resumed.ask() for _ in range(4)]


def _promotion_due(opt: Optimizer) -> dict[str, Any]:
    """Ask three base runs and tell them so that the second is due for promotion."""
    first = [opt.ask() for _ in range(3)]
    opt.tell(first, [1.0, 0.5, 2.0])
    return {**first[1], "epochs": 3}


def test_a_cancelled_promotion_is_asked_again_and_resume_agrees(tmp_path: Any) -> None:
    path = tmp_path / "run.jsonl"
    opt = Optimizer(_fidelity_space(), seed=0, n_initial=3, journal=path)
    due = _promotion_due(opt)
    assert opt.ask() == due
    opt.cancel(due)
    again = opt.ask()
    assert again == due and opt.continues(again) == 1  # the promotion, not a new configuration
    fresh = opt.ask()
    opt.cancel(fresh)  # a new configuration's place in its bracket is free again
    resumed = Optimizer.resume(path, append=False)
    assert resumed.pending == opt.pending == [due]
    assert resumed.continues(due) == 1
    for twin in (opt, resumed):
        twin.tell(due, 0.4)
    assert [opt.ask() for _ in range(4)] == [resumed.ask() for _ in range(4)]
    assert opt.history[-1].continues == 1


def test_a_timed_out_promotion_is_asked_again_by_every_replay(tmp_path: Any) -> None:
    from bayesopt.storage import open_storage

    url = str(tmp_path / "study.jsonl")
    live = Optimizer(_fidelity_space(), storage=url, study="s", seed=0, n_initial=3,
                     pending_timeout=60.0)
    due = _promotion_due(live)
    storage = open_storage(url)  # a worker asked for the promotion an hour ago and died
    storage.append("s", [{"event": "ask", "points": [[due["x"], due["y"], 3]],
                          "time": time.time() - 3600.0, "worker": "dead", "state": None}])
    storage.close()
    with pytest.warns(ClockSkewWarning, match="stamped 3600 s before"):  # the hour-old ask
        asked = live.ask()  # the dead worker's run times out: its promotion is due again
    assert asked == due and live.continues(asked) == 1
    replay = Optimizer(_fidelity_space(), storage=url, study="s", pending_timeout=60.0)
    assert replay.pending == live.pending == [due]
    assert replay.continues(due) == 1
    live.tell(due, 0.4)
    assert live.history[-1].continues == 1
    for opt in (live, replay):
        opt.close()


def test_minimize_passes_the_budget_to_the_objective() -> None:
    seen: list[int] = []

    def objective(params: dict[str, Any]) -> float:
        seen.append(params["epochs"])
        return (params["x"] - 0.3) ** 2 + 1.0 / params["epochs"]

    result = minimize(objective, {"x": Real(0, 1), "epochs": Fidelity(1, 9)}, n_calls=20,
                      seed=0, progress=False)
    assert set(seen) == {1, 3, 9} and seen[0] == 1
    assert result.best_params is not None and result.best_params["epochs"] == 9


def test_minimize_too_short_to_reach_the_top_budget_warns_that_there_is_no_best() -> None:
    import warnings

    from bayesopt import TopBudgetWarning

    space = {"x": Real(0, 1), "epochs": Fidelity(1, 27)}  # first bracket: 27 runs at 1
    with pytest.warns(TopBudgetWarning, match=r"none of the 12 evaluations ran at the top "
                      r"budget epochs=27 \(epochs of the successful ones: \{1: \d+, 3: "
                      r"\d+(, 9: \d+)?\}\).*n_calls counts runs at every budget"):
        short = minimize(lambda p: p["x"], space, n_calls=12, seed=0, progress=False)
    assert short.best_params is None
    with warnings.catch_warnings():  # one run at 9 is enough: no warning
        warnings.simplefilter("error", TopBudgetWarning)
        done = minimize(lambda p: p["x"], {"x": Real(0, 1), "epochs": Fidelity(1, 9)},
                        n_calls=12, seed=0, progress=False)
    assert done.best_params is not None


def test_minimize_refuses_a_pruner_it_would_never_consult() -> None:
    with pytest.raises(ValueError, match=r"pruner=SuccessiveHalving\(.*\): minimize never "
                                         "reports"):
        minimize(lambda p: p["x"], {"x": Real(0, 1)}, n_calls=3, progress=False,
                 pruner=SuccessiveHalving())


def test_a_point_added_with_a_fidelity_is_a_new_configuration_of_the_bracket_at_its_budget(
        ) -> None:
    # add_pending raised with a Fidelity: a configuration at a budget is a run of the
    # schedule, a new configuration of the bracket starting there (budget 3: bracket 1),
    # beside the cycle; its result ranks in that rung and is promoted from it.
    opt = Optimizer(_fidelity_space(), seed=0, n_initial=3)
    extra = {"x": 0.5, "y": 0.5, "epochs": 3}
    assert opt.add_pending(extra) == 0
    assert opt.run_ids(extra) == (0, None) and opt.continues(extra) is None
    trial = opt._state.hyperband.trials[0]
    assert (trial.bracket, trial.rung, trial.budget, trial.added) == (1, 0, 3, True)
    asked = opt.ask(3)  # the cycle goes on as without it: bracket 2 (budget 1) first
    assert [p["epochs"] for p in asked] == [1, 1, 1]
    assert all((p["x"], p["y"]) != (0.5, 0.5) for p in asked)  # never asked again
    assert [opt.run_ids(p)[0] for p in asked] == [1, 2, 3]
    opt.tell(extra, 0.2, run=0)
    assert opt.history[0].run == 0 and opt._state.hyperband.trials[0].loss == 0.2
    # in the schedule's terms: an added run takes no place in the cycle, and ranks in the
    # base rung of its bracket, from which it is promoted
    hyperband = Hyperband(Fidelity(1, 9, eta=3))
    hyperband.add("added", 3)
    assert hyperband.next_job() == Job(2, 0, 1)
    for config in ("b", "c"):
        hyperband.start(Job(1, 0, 3), config)
    for trial, loss in enumerate([0.2, 0.5, 0.9]):
        hyperband.finish(trial, loss, trial)
    assert hyperband.next_job() == Job(1, 1, 9, continues=0)


def test_a_point_added_with_a_fidelity_at_a_due_promotion_is_that_promotion() -> None:
    # The configuration whose run is due for promotion to the added budget: the added run
    # is that promotion (continues its run), and no ask promotes it a second time.
    opt = Optimizer(_fidelity_space(), seed=0, n_initial=3)
    first = opt.ask(3)
    opt.tell(first, [1.0, 0.5, 2.0])  # first[1] is due for promotion to 3
    due = {**first[1], "epochs": 3}
    run = opt.add_pending(due)
    assert opt.run_ids(due) == (run, 1) == (3, 1) and opt.continues(due) == 1
    asked = opt.ask()
    assert asked["epochs"] == 1 and opt.continues(asked) is None  # not promoted twice
    opt.tell(due, 0.4, run=run)
    assert opt.history[-1].continues == 1 and opt.history[-1].run == 3


def test_a_point_added_with_a_fidelity_at_a_budget_no_bracket_starts_at_is_outside() -> None:
    opt = Optimizer(_fidelity_space(), seed=0, n_initial=3)
    odd = {"x": 0.5, "y": 0.5, "epochs": 5}  # brackets start at 1, 3 and 9
    opt.add_pending(odd)
    assert opt._state.hyperband.trials[0].bracket == OUTSIDE
    first = opt.ask(3)
    opt.tell(odd, 0.1)  # the best value, in no rung: never promoted
    opt.tell(first, [1.0, 0.5, 2.0])
    promoted = opt.ask()
    assert promoted == {**first[1], "epochs": 3} and opt.continues(promoted) == 2
    assert opt.history[0].run == 0 and opt._state.hyperband.trials[0].loss == 0.1


def test_points_added_with_a_fidelity_are_journaled_and_resumed_as_live(tmp_path: Any
                                                                        ) -> None:
    path = tmp_path / "run.jsonl"
    live = Optimizer(_fidelity_space(), seed=0, n_initial=3, journal=path)
    first = live.ask(3)
    live.tell(first, [1.0, 0.5, 2.0])
    due = {**first[1], "epochs": 3}
    added = [due, {"x": 0.25, "y": 0.75, "epochs": 9}]
    assert live.add_pending(added) == [3, 4]
    live.tell(added[1], 0.3)
    resumed = Optimizer.resume(path, append=False)
    assert resumed.pending == live.pending == [due]
    assert resumed.run_ids(due) == live.run_ids(due) == (3, 1)
    assert resumed._state.hyperband == live._state.hyperband
    for twin in (live, resumed):
        twin.tell(due, 0.4)
    assert [live.ask() for _ in range(4)] == [resumed.ask() for _ in range(4)]
    live.close()


def test_a_fidelity_pending_event_is_marked_scheduled_and_read_only_so(tmp_path: Any) -> None:
    """Since 0.9.0 a pending event of a Fidelity space carries "scheduled": true (its
    points start Hyperband trials), which a reader before 0.9.0 refuses saying to upgrade
    instead of folding the points without trials; a reader refuses a Fidelity pending
    event without it, and the field in a space without a Fidelity."""
    import json

    from bayesopt import JournalError

    path = tmp_path / "run.jsonl"
    opt = Optimizer(_fidelity_space(), seed=0, n_initial=3, journal=path)
    opt.add_pending({"x": 0.5, "y": 0.5, "epochs": 1})
    opt.close()
    lines = path.read_text().splitlines()
    event = json.loads(lines[-1])
    assert event["event"] == "pending" and event["scheduled"] is True and event["numbered"]
    for edit, message in ((lambda e: e.pop("scheduled"), "without \"scheduled\""),
                          (lambda e: e.pop("numbered"), "without run ids"),
                          (lambda e: e.update(scheduled=1), "scheduled=1")):
        damaged = dict(event)
        edit(damaged)
        path.write_text("\n".join([*lines[:-1], json.dumps(damaged)]) + "\n")
        with pytest.raises(JournalError, match=message):
            Optimizer.resume(path, append=False)
    plain = tmp_path / "plain.jsonl"
    opt = Optimizer({"x": Real(0, 1)}, seed=0, journal=plain)
    opt.add_pending({"x": 0.5})
    opt.close()
    lines = plain.read_text().splitlines()
    assert "scheduled" not in json.loads(lines[-1])
    plain.write_text("\n".join([*lines[:-1], json.dumps({**json.loads(lines[-1]),
                                                           "scheduled": True})]) + "\n")
    with pytest.raises(JournalError, match="without a Fidelity"):
        Optimizer.resume(plain, append=False)


def test_a_point_added_with_a_fidelity_is_pending_for_every_worker_of_a_study(
        tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'study.db'}"
    a = Optimizer(_fidelity_space(), storage=url, study="s", seed=0, n_initial=3)
    b = Optimizer(_fidelity_space(), storage=url, study="s", seed=1, n_initial=3)
    point = {"x": 0.5, "y": 0.5, "epochs": 1}
    run = a.add_pending(point)
    assert b.pending == [point] and b.run_ids(point) == (run, None)
    with pytest.raises(ValueError, match="is pending already"):
        b.add_pending(point)
    asked = b.ask(3)
    assert [b.run_ids(p)[0] for p in asked] == [1, 2, 3]
    assert all((p["x"], p["y"]) != (0.5, 0.5) for p in asked)
    b.tell(point, 0.2, run=run)  # b tells a's run: its trial is finished for both
    a.tell(asked, [1.0, 2.0, 3.0])
    for opt in (a, b):
        assert opt._state.hyperband.trials[run].loss == 0.2 and opt.pending == []
    assert a.ask() == {**point, "epochs": 3} and a.continues({**point, "epochs": 3}) == 0
    for opt in (a, b):
        opt.close()


@pytest.mark.parametrize("workers", [1, 3])
def test_minimize_with_x0_on_a_fidelity_space_evaluates_each_run_once_and_warns_nothing(
        workers: int) -> None:
    # x0 points were evaluated unmarked with a Fidelity (add_pending raised): another
    # worker could be asked the same configuration, and their tells warned
    # UnmatchedTellWarning while asked points were pending (warnings are errors here).
    from concurrent.futures import ThreadPoolExecutor

    x0 = [{"x": 0.5, "y": 0.5, "epochs": 1}, {"x": 0.2, "y": 0.1, "epochs": 9},
          {"x": 0.7, "y": 0.2, "epochs": 3}]

    def objective(p: dict[str, Any]) -> float:
        time.sleep(0.02)  # the asks of the other workers come while x0 runs
        return float(_loss(p))

    with ThreadPoolExecutor(workers) as pool:
        result = minimize(objective, _fidelity_space(), n_calls=20, x0=x0, seed=0,
                          progress=False, n_workers=workers,
                          executor=pool if workers > 1 else None)
    runs = [(o.params["x"], o.params["y"], o.params["epochs"]) for o in result.history]
    assert len(runs) == len(set(runs)) == 20  # no configuration twice at one budget
    told = {(p["x"], p["y"], p["epochs"]): o.run for p in x0 for o in result.history
            if o.params == p}
    assert len(told) == 3 and None not in told.values()  # each x0 point a run of its own


# ------------------------------------------------------------ no Fidelity: unchanged
def test_a_space_without_a_fidelity_asks_the_points_pinned_before_multi_fidelity() -> None:
    """Asks recorded on main before bayesopt.fidelity existed (same platform class)."""
    space = {"lr": Real(1e-4, 1e-1, log=True), "width": Integer(16, 512, log=True),
             "act": Categorical(["relu", "tanh"])}
    # pinned with the prior restarts at every refit (restart_every=1, the default until 0.3.0)
    opt = Optimizer(space, seed=3, n_initial=4, options=EVERY_REFIT)
    asks = []
    for i in range(7):
        p = opt.ask()
        asks.append(p)
        if i == 2:
            opt.tell_failure(p, "boom")
        else:
            opt.tell(p, (p["lr"] * 100 - 1.0) ** 2 + (p["width"] / 100 - 1.5) ** 2
                     + (p["act"] == "tanh"))
    asks += opt.ask(2)
    pinned = [
        (0.063806266671505, 328, "relu"), (0.000270469358673125, 39, "tanh"),
        (0.0009713255085040957, 196, "relu"), (0.007454612221651486, 26, "tanh"),
        (0.0005133712219686929, 256, "tanh"), (0.1, 512, "tanh"),
        (0.0018740958996338046, 16, "tanh"), (0.0001, 199, "tanh"), (0.0001, 43, "relu"),
    ]
    assert [(p["lr"], p["width"], p["act"]) for p in asks] == [
        (pytest.approx(lr, rel=1e-9), w, a) for lr, w, a in pinned]


# ------------------------------------------------------------ report and pruning
def test_report_stops_a_bad_run_and_tell_records_it_pruned() -> None:
    opt = Optimizer({"x": Real(0, 1)}, seed=0, pruner=SuccessiveHalving(1, 3))
    good, bad = opt.ask(2)
    assert not opt.report(good, 1, 0.2)
    assert opt.report(bad, 1, 0.9)  # worse than the best third of [0.2, 0.9]
    opt.tell(bad, 0.9)
    assert not opt.report(good, 3, 0.1)
    opt.tell(good, 0.05)
    assert [(o.status, o.step) for o in opt.history] == [("pruned", 1), ("ok", None)]
    assert opt.best is not None and opt.best.params == good


def test_a_stopped_run_not_yet_told_stays_pending_silently_until_its_tell() -> None:
    """`report`'s docstring: after True and before the tell (a forgotten tell, or a run
    still finishing in another thread: the optimizer cannot tell which), the point stays
    pending, the next asks never propose it, nothing warns, and the tell records it pruned."""
    import warnings

    opt = Optimizer({"x": Real(0, 1)}, seed=0, pruner=SuccessiveHalving(1, 3))
    good, bad = opt.ask(2)
    assert not opt.report(good, 1, 0.2)
    assert opt.report(bad, 1, 0.9)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        later = [opt.ask() for _ in range(3)]
    assert bad not in later and opt.pending == [good, bad, *later]
    opt.tell(bad, 0.9)
    assert (opt.history[-1].status, opt.history[-1].step) == ("pruned", 1)


def test_a_surrogate_and_result_of_a_plain_space_condition_on_its_pruned_runs() -> None:
    opt = Optimizer({"x": Real(0, 1)}, seed=0, n_initial=3, pruner=SuccessiveHalving(1, 3))
    points = opt.ask(4)
    for p, value in zip(points, [0.2, 0.3, 0.4, 0.9]):
        opt.report(p, 1, value)
    opt.tell(points, [0.2, 0.3, 0.4, 0.9])
    assert [o.status for o in opt.history] == ["ok", "pruned", "pruned", "pruned"]
    surrogate = opt.surrogate()  # the pruned runs' last values are the GP's data
    assert [o.index for o in surrogate.observed] == [0, 1, 2, 3]
    result = opt.result()
    assert result.surrogate is not None
    assert result.recommend().index in (0, 1, 2, 3)


def test_report_with_maximize_keeps_the_largest() -> None:
    opt = Optimizer({"x": Real(0, 1)}, seed=0, maximize=True)
    a, b = opt.ask(2)
    assert not opt.report(a, 1, 0.9)
    assert opt.report(b, 1, 0.2)


def test_a_step_counts_units_completed_so_the_first_rung_is_step_1() -> None:
    """The rule the README and `report` state for loops counting epochs from 0 (Keras):
    step 0 is no rung, and the first rung records the value reported at step 1."""
    opt = Optimizer({"x": Real(0, 1)}, seed=0)
    good, bad = opt.ask(2)
    assert not opt.report(good, 0, 0.2) and not opt.report(bad, 0, 0.9)  # no rung at 0
    assert not opt.report(good, 1, 0.2)
    assert opt.report(bad, 1, 0.9)  # first rung: the best third of [0.2, 0.9] goes on


def test_report_rungs_default_to_the_fidelity() -> None:
    opt = Optimizer({"x": Real(0, 1), "epochs": Fidelity(2, 18, eta=3)}, seed=0)
    a, b, c = opt.ask(3)
    assert [p["epochs"] for p in (a, b, c)] == [2, 2, 2]
    assert not opt.report(a, 1, 0.1) and not opt.report(b, 1, 0.9)  # first rung: step 2
    assert not opt.report(a, 2, 0.1)
    assert not opt.report(b, 2, 0.9)  # rung 0 holds [0.1, 0.9], but b ends at step 2
    opt.tell([a, b, c], [0.1, 0.9, 0.5])
    promoted = opt.ask()  # a to epochs=6, trained again from the start
    assert opt.continues(promoted) == 0 and promoted["epochs"] == 6
    assert not opt.report(promoted, 1, 5.0)  # no rung at step 1
    assert not opt.report(promoted, 2, 5.0)  # rung 0 (step 2) was passed by a


def test_a_run_that_reports_its_last_step_finishes_ok_and_is_modelled() -> None:
    # A Keras Tuner loop: each run reports every epoch up to the budget it was asked
    # with. At its budget the run has finished: report says go on, and the tell is
    # "ok" (ranked by the schedule, data for the GP), even when rung 0 would stop it.
    opt = Optimizer(_fidelity_space(), seed=0, n_initial=3)
    runs = opt.ask(3)
    assert [p["epochs"] for p in runs] == [1, 1, 1]
    assert [opt.report(p, 1, v) for p, v in zip(runs, [1.0, 0.5, 2.0])] == [False] * 3
    opt.tell(runs, [1.0, 0.5, 2.0])
    assert [o.status for o in opt.history] == ["ok", "ok", "ok"]
    assert [o.index for o in opt.surrogate().observed] == [0, 1, 2]


def test_a_promotion_continued_from_its_checkpoint_leaves_the_lower_rungs_alone() -> None:
    # Rungs every power of 3 from step 1, budgets 2, 6 and 18. A promotion that trains
    # on from its source's checkpoint (reports from step 3) was judged at rung 0 by its
    # source; its later, better values must not raise the bar there for new runs.
    opt = Optimizer({"x": Real(0, 1), "y": Real(0, 1), "epochs": Fidelity(2, 18, eta=3)},
                    seed=0, n_initial=3, pruner=SuccessiveHalving(1, 3))
    a, b, c = opt.ask(3)
    for p, value in zip((a, b, c), [1.0, 0.5, 0.4]):
        assert not opt.report(p, 1, value)  # rung 0 (step 1): each the best so far
        assert not opt.report(p, 2, value)
    opt.tell([a, b, c], [1.0, 0.5, 0.4])
    promoted = opt.ask()
    assert opt.continues(promoted) == 2 and promoted["epochs"] == 6
    for step in range(3, 7):  # from c's checkpoint at step 2
        assert not opt.report(promoted, step, 0.1)  # rung 1 (step 3): alone
    fresh = opt.ask()
    assert opt.continues(fresh) is None and fresh["epochs"] == 2
    # rung 0 holds [1.0, 0.5, 0.4, 0.3] (not the promotion's 0.1): 0.3 is the best
    assert not opt.report(fresh, 1, 0.3)


def test_a_promotion_trained_again_from_the_start_is_not_judged_again_where_its_source_passed(
) -> None:
    # A Keras Tuner loop without checkpoints: a promotion retrains from epoch 1 and
    # reports every epoch. The rungs up to its source's budget were passed by the
    # source (the schedule promoted it); judging it there again, among runs the schedule
    # has already picked, stopped most promotions (0-1 runs at the top budget in 80,
    # against 7-9 with checkpoints; the report of review19). Rungs at steps 1, 3, 9;
    # budgets 2, 6, 18.
    opt = Optimizer({"x": Real(0, 1), "y": Real(0, 1), "epochs": Fidelity(2, 18, eta=3)},
                    seed=0, n_initial=3, pruner=SuccessiveHalving(1, 3))
    a, b, c = opt.ask(3)
    for p, value in zip((a, b, c), [1.0, 0.5, 0.4]):
        assert not opt.report(p, 1, value)  # rung 0 (step 1): each the best so far
    opt.tell([a, b, c], [1.0, 0.5, 0.4])
    promoted = opt.ask()
    assert opt.continues(promoted) == 2 and promoted["epochs"] == 6
    fresh = opt.ask()
    assert opt.continues(fresh) is None and fresh["epochs"] == 2
    assert not opt.report(fresh, 1, 0.2)  # rung 0: [1.0, 0.5, 0.4, 0.2]
    assert not opt.report(promoted, 1, 0.4)  # c's value again: rung 0 was passed by c
    assert not opt.report(promoted, 3, 0.35)  # rung 1: alone
    opt.tell(promoted, 0.3)
    assert opt.history[-1].status == "ok"
    new = opt.ask()
    assert opt.continues(new) is None and new["epochs"] == 2
    # rung 0 holds [1.0, 0.5, 0.4, 0.2], not the promotion's 0.4 as well: 0.3 stops
    assert opt.report(new, 1, 0.3)


def test_report_on_a_point_never_asked_or_already_told_raises() -> None:
    opt = Optimizer({"x": Real(0, 1)}, seed=0)
    with pytest.raises(ValueError, match="not pending"):
        opt.report({"x": 0.5}, 1, 0.3)
    p = opt.ask()
    opt.report(p, 1, 0.3)
    with pytest.raises(ValueError, match="step=1 must be after the last reported step 1"):
        opt.report(p, 1, 0.2)
    with pytest.raises(ValueError, match=r"report: value=nan at step=2 is not finite \(a "
                       r"diverged run\?\): stop training it and tell it with tell_failure"):
        opt.report(p, 2, math.nan)
    with pytest.raises(ValueError, match=r"value=-inf at step=2.5 is not finite"):
        opt.report(p, 2.5, -math.inf)
    opt.tell_failure(p, "diverged")  # what the message says works after reports
    assert opt.history[-1].status == "failed"
    p = opt.ask()
    with pytest.raises(TypeError, match="step='2'"):
        opt.report(p, "2", 0.3)  # type: ignore[arg-type]
    opt.tell(p, 0.3)
    with pytest.raises(ValueError, match="not pending"):
        opt.report(p, 3, 0.3)


@pytest.mark.parametrize("value", ["0.3", None, [0.3]])
def test_a_report_of_a_value_that_is_no_number_names_reports_value(value: Any) -> None:
    # It said "objective value must be a real number", a tell's words, not report's.
    opt = Optimizer({"x": Real(0, 1)}, seed=0)
    p = opt.ask()
    with pytest.raises(TypeError, match=r"^report: value=.* at step=1 must be a real number"):
        opt.report(p, 1, value)


def test_a_report_of_a_timed_out_point_says_that_it_timed_out(monkeypatch: Any) -> None:
    # It said "not pending (never asked, or already told)", as for a point never asked;
    # heartbeat says why, and so does report now.
    opt = Optimizer(_fidelity_space(), seed=0, pending_timeout=60)
    p = opt.ask()
    later = time.time() + 120
    monkeypatch.setattr(time, "time", lambda: later)  # a slow worker, no heartbeat
    opt.ask()  # an event after the timeout: p is no longer pending
    with pytest.raises(ValueError, match=r"is not pending \(it timed out: pending_timeout=60.0 "
                       r"seconds passed without a sign of life"):
        opt.report(p, 1, 0.5)
    with pytest.raises(ValueError, match=r"is not pending \(never asked, already told or "
                       r"cancelled\); report only points asked"):
        opt.report({**p, "x": 0.5}, 1, 0.5)


def test_a_report_of_a_point_timed_out_by_the_clock_is_refused_and_records_nothing(
        monkeypatch: Any) -> None:
    # With no event since the timeout the point was still listed as pending: report took
    # it, the event expired it and recorded its value at rung 0 all the same (heartbeat
    # refuses such a point). The value raised the bar for every later run.
    opt = Optimizer({"x": Real(0, 1)}, seed=0, pending_timeout=60)
    p = opt.ask()
    later = time.time() + 120
    monkeypatch.setattr(time, "time", lambda: later)
    with pytest.raises(ValueError, match=r"is not pending \(it timed out"):
        opt.report(p, 1, 0.5)
    q = opt.ask()
    assert not opt.report(q, 1, 0.9)  # rung 0 holds [0.9], not [0.5, 0.9]


def test_pruner_must_be_a_successive_halving() -> None:
    with pytest.raises(TypeError, match="pruner="):
        Optimizer({"x": Real(0, 1)}, pruner={"min_resource": 1})  # type: ignore[arg-type]


def _a_pruned_promotion() -> Optimizer:
    """Three runs at epochs=1, then the promotion of the second to 3, pruned at step 2
    (rungs at 2, 6, …: one between its source's budget and its own; the first value
    at a rung stops under bootstrap_count=1)."""
    opt = Optimizer(_fidelity_space(), seed=0, n_initial=3,
                    pruner=SuccessiveHalving(min_resource=2, reduction_factor=3,
                                             bootstrap_count=1))
    first = opt.ask(3)
    assert opt.report(first[2], 1, 2.0) is False  # no rung at step 1
    opt.tell(first, [1.0, 0.5, 2.0])
    promoted = opt.ask()
    assert opt.report(promoted, 2, 5.0) is True  # rung 0 (step 2): [5.0], bootstrapping
    opt.tell(promoted, 5.0)
    return opt


def test_pruned_runs_and_promotions_survive_the_json_export() -> None:
    result = _a_pruned_promotion().result()
    loaded = OptimizeResult.from_json(result.to_json())
    assert loaded.history[-1].status == "pruned" and loaded.history[-1].step == 2
    assert loaded.history[-1].continues == 1


def test_pruned_runs_are_not_counted_or_shown_as_failed(tmp_path: Any, capsys: Any) -> None:
    from bayesopt.cli import main

    path = tmp_path / "run.jsonl"
    opt = Optimizer({"x": Real(0, 1)}, seed=0, journal=path, pruner=SuccessiveHalving(1, 3))
    points = opt.ask(4)
    for p, value in zip(points[:3], [0.2, 0.8, 0.9]):
        opt.report(p, 1, value)
    opt.tell(points[:3], [0.2, 0.8, 0.9])
    opt.tell_failure(points[3], "out of memory")
    assert [o.status for o in opt.history] == ["ok", "pruned", "pruned", "failed"]
    assert opt.result().n_failed == 1
    assert main(["show", "--failed", str(path)]) == 0
    shown = capsys.readouterr().out
    assert "4 evaluations (1 ok, 2 pruned, 1 failed)" in shown
    assert shown.split("failed evaluations:")[1].strip() == "[3] run 3 x=" + \
        f"{points[3]['x']:.6g}: out of memory"


def test_the_pandas_table_says_what_each_run_continues_and_where_it_was_pruned() -> None:
    import pandas as pd

    table = _a_pruned_promotion().result().to_pandas()
    assert table["continues"].tolist() == [pd.NA, pd.NA, pd.NA, 1]
    assert table["step"].tolist()[3] == 2 and table["step"].isna().tolist() == [True] * 3 + [False]
    plain = Optimizer({"step": Real(0, 1)}, seed=0, pruner=SuccessiveHalving(1, 3))
    a, b = plain.ask(2)
    plain.report(a, 1, 0.1)
    plain.report(b, 1, 0.9)
    plain.tell([a, b], [0.1, 0.9])
    both = plain.result().to_pandas()  # a dimension named step: params_step beside step
    assert both["params_step"].tolist() == [a["step"], b["step"]]
    assert both["step"].isna().tolist() == [True, False]


def test_reports_are_journaled_and_resume_keeps_the_stop(tmp_path: Any) -> None:
    path = tmp_path / "run.jsonl"
    opt = Optimizer({"x": Real(0, 1)}, seed=0, journal=path, pruner=SuccessiveHalving(2, 2))
    a, b = opt.ask(2)
    assert not opt.report(a, 2, 0.1)
    assert opt.report(b, 2, 0.9)
    resumed = Optimizer.resume(path, append=False)
    assert resumed.pruner == SuccessiveHalving(2, 2)
    c = resumed.ask()
    assert resumed.report(c, 2, 0.5)  # rung at step 2 holds 0.1 and 0.9 from before
    resumed.tell([a, b], [0.1, 0.9])
    assert [o.status for o in resumed.history] == ["ok", "pruned"]


def _keras_tuner_run(opt: Optimizer, p: dict[str, Any]) -> None:
    """Run the asked `p` as a Keras Tuner loop does: report every epoch, from the epochs
    of the run a promotion continues + 1 up to its own; tell the last value."""
    source = opt.continues(p)
    start = 0 if source is None else opt.history[source].params["epochs"]
    for epoch in range(start + 1, p["epochs"] + 1):
        value = ((p["x"] - 0.3) ** 2 + (p["y"] - 0.6) ** 2 + 1.0 / epoch
                 + 0.3 * math.sin(7 * p["x"]) / epoch)
        if opt.report(p, epoch, value):
            break
    opt.tell(p, value)


def test_a_pruned_run_beside_a_fidelity_leaves_the_surrogate_as_it_was() -> None:
    # With a Fidelity a run report stopped is left out of the GP (only its rung counts).
    # Its tell fed the live GP its value at the budget it was asked with all the same, a
    # row the state's data (and a replay of the journal) leave out: the GP was refitted
    # to it, and the next success was not appended. Here runs 41-45 are pruned.
    opt = Optimizer({"x": Real(0, 1), "y": Real(0, 1), "epochs": Fidelity(1, 27)}, seed=0)
    points = [{"x": 0.1, "y": 0.2, "epochs": 27}, {"x": 0.5, "y": 0.5, "epochs": 1}]
    pruned = 0
    for _ in range(45):
        p = opt.ask()
        before = opt.surrogate() if len(opt.history) >= 40 else None
        _keras_tuner_run(opt, p)
        if before is not None and opt.history[-1].status == "pruned":
            after = opt.surrogate()
            assert after.hyperparameters() == before.hyperparameters()
            np.testing.assert_array_equal(after.predict(points).mean,
                                          before.predict(points).mean)
            pruned += 1
    assert pruned == 5


def test_a_pruning_loop_beside_a_fidelity_asks_no_near_copy_of_a_pruned_run() -> None:
    # A run report stopped is left out of the GP (only its rung counts), so the GP did
    # not know it and asked its configuration again (within 1e-3 in the unit cube) as a
    # new one, which report stopped again: 13 of the 60 runs of this loop. The
    # acquisition is now damped around it as around a failure.
    opt = Optimizer({"x": Real(0, 1), "y": Real(0, 1), "epochs": Fidelity(1, 27)}, seed=0)
    for _ in range(60):
        _keras_tuner_run(opt, opt.ask())
    X = opt.space.encode([o.params for o in opt.history])
    pruned = [o.index for o in opt.history if o.status == "pruned"]
    assert len(pruned) >= 10
    copies = [(o.index, j) for o in opt.history for j in pruned if j < o.index
              and o.continues is None and np.sum((X[o.index] - X[j]) ** 2) < 1e-6]
    assert copies == []


def test_a_cancelled_promotion_asked_again_reports_and_is_told_as_a_new_run() -> None:
    # A cancelled promotion is asked again with the same params (its job is due again),
    # but the reports of the cancelled attempt stayed with those params: the new
    # attempt's first report raised "step=2 must be after the last reported step 2.0",
    # and its tell was recorded "pruned" at the cancelled attempt's stop.
    opt = Optimizer(_fidelity_space(), seed=0, n_initial=3,
                    pruner=SuccessiveHalving(min_resource=2, reduction_factor=3,
                                             bootstrap_count=1))
    first = opt.ask(3)
    opt.tell(first, [1.0, 0.5, 2.0])
    promoted = opt.ask()
    assert opt.report(promoted, 2, 5.0)  # rung 0 (step 2): [5.0], bootstrapping: stop
    opt.cancel(promoted)
    again = opt.ask()
    assert again == promoted and opt.continues(again) == 1
    assert not opt.report(again, 2, 0.1)  # rung 0: [5.0, 0.1], 0.1 the best
    opt.tell(again, 0.1)
    assert opt.history[-1].status == "ok" and opt.history[-1].step is None


def test_a_timed_out_promotion_asked_again_reports_from_its_first_step(monkeypatch: Any
                                                                        ) -> None:
    # A promotion that timed out is asked again with the same params; the reports of the
    # timed-out attempt stayed with them, so the new attempt could not report before
    # the old one's last step ("step=1 must be after the last reported step 2.0").
    opt = Optimizer(_fidelity_space(), seed=0, n_initial=3, pending_timeout=60)
    first = opt.ask(3)
    opt.tell(first, [1.0, 0.5, 2.0])
    promoted = opt.ask()
    assert not opt.report(promoted, 2, 0.4)
    later = time.time() + 120
    monkeypatch.setattr(time, "time", lambda: later)  # the promotion's worker died
    again = opt.ask()
    assert again == promoted and opt.continues(again) == 1
    assert not opt.report(again, 1, 0.4)
    opt.tell(again, 0.3)
    assert opt.history[-1].status == "ok" and opt.history[-1].continues == 1


def test_runs_of_a_configuration_repeated_in_an_exhausted_space_are_promoted_each() -> None:
    # docs/multi-fidelity.md: a promotion is of a run. One configuration: a run at each
    # budget a bracket starts at (1, 3, 9), then five more at budget 1 (repeats, after
    # SpaceExhaustedWarning): the best two of the six at 1 are promoted, the same params
    # pending twice at budget 3, each continuing its own run; a tell of those params is
    # the first's.
    opt = Optimizer({"x": Categorical(["only"]), "epochs": Fidelity(1, 9)}, seed=0)
    base = opt.ask(3)
    assert [p["epochs"] for p in base] == [1, 3, 9]
    with pytest.warns(SpaceExhaustedWarning):
        first = opt.ask(5)
    assert all(p == base[0] for p in first)
    opt.tell([base[0], *first], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6])  # runs 0, 3, 4, 5, 6, 7
    opt.tell(base[1:], [1.0, 1.0])
    a, b = opt.ask(2)
    assert a == b == {"x": "only", "epochs": 3}
    assert opt.run_ids(a) == (8, 0) and opt.continues(a) == 0
    opt.tell(a, 0.05)
    assert opt.history[-1].continues == 0 and opt.run_ids(b) == (9, 3)


def test_a_timed_out_copy_of_pending_params_releases_its_own_trial(monkeypatch: Any) -> None:
    # In an exhausted space two pending points share their params (runs 0 and 3). A
    # heartbeat kept run 0 alive and run 3 timed out, but the timeout released the first
    # pending trial of those params, run 0's: run 0 was pending with its trial released,
    # run 3's trial pending without its point, and run_ids raised AssertionError.
    now = [time.time()]
    monkeypatch.setattr(time, "time", lambda: now[0])
    opt = Optimizer({"x": Categorical(["only"]), "epochs": Fidelity(1, 9)}, seed=0,
                    pending_timeout=10)
    p = opt.ask()
    others = opt.ask(2)  # runs 1 and 2: the budgets the other brackets start at, 3 and 9
    now[0] += 1
    with pytest.warns(SpaceExhaustedWarning):
        assert opt.ask() == p  # run 3
    now[0] += 7
    opt.heartbeat(p)  # the first pending point of these params: run 0
    opt.heartbeat(others)
    now[0] += 5  # run 3 silent for 12 s
    with pytest.warns(SpaceExhaustedWarning):
        opt.ask()  # run 4
    assert [t.released for t in opt._state.hyperband.trials] == [False, False, False, True,
                                                                 False]
    assert opt.run_ids(p) == (0, None)
    opt.tell(p, 0.5)
    assert opt.history[-1].run == 0 and opt._state.hyperband.trials[0].loss == 0.5


def test_a_timed_out_point_added_again_reports_and_is_told_as_a_new_run(monkeypatch: Any
                                                                       ) -> None:
    # add_pending made the params pending again but kept the timed-out run's reports:
    # the new run's first report raised "step=1 must be after the last reported step
    # 3.0", and its tell was recorded "pruned" at the old run's stop.
    opt = Optimizer({"x": Real(0, 1), "y": Real(0, 1)}, seed=0, pending_timeout=60,
                    pruner=SuccessiveHalving(min_resource=1, reduction_factor=3,
                                             bootstrap_count=1))
    point = {"x": 0.1, "y": 0.1}
    opt.add_pending(point)
    assert opt.report(point, 3, 5.0)  # rungs 0 and 1 (steps 1, 3): [5.0], bootstrapping: stop
    later = time.time() + 120
    monkeypatch.setattr(time, "time", lambda: later)  # its worker died
    opt.ask()  # an event after the timeout: the point timed out
    opt.add_pending(point)  # evaluated again elsewhere: a new run
    assert not opt.report(point, 1, 0.1)  # rung 0: [5.0, 0.1], 0.1 the best
    opt.tell(point, 0.1)
    assert (opt.history[-1].status, opt.history[-1].step) == ("ok", None)


def test_a_replicate_added_beside_a_stopped_run_leaves_its_stop() -> None:
    # A new run of pending params forgets their reports, but not while a run of them is
    # still pending: an add_pending(repeat=True) replicate shares its reports, and
    # forgetting them would record the stopped run "ok".
    opt = Optimizer({"x": Real(0, 1)}, seed=0,
                    pruner=SuccessiveHalving(min_resource=1, reduction_factor=3,
                                             bootstrap_count=1))
    point = {"x": 0.3}
    opt.add_pending(point)
    assert opt.report(point, 1, 5.0)
    opt.add_pending(point, repeat=True)
    opt.tell(point, 5.0)
    assert (opt.history[-1].status, opt.history[-1].step) == ("pruned", 1)


def test_an_ask_repeating_a_pending_point_leaves_its_stop() -> None:
    # An exhausted space's ask repeats a pending point: a new run of the same params, as
    # a replicate is, so it shares the running one's reports. The ask forgot them, and
    # the stopped run was told "ok" (its value at the stopping step taken as a result).
    opt = Optimizer({"x": Categorical(["a"])}, seed=0,
                    pruner=SuccessiveHalving(min_resource=1, reduction_factor=3,
                                             bootstrap_count=1))
    point = opt.ask()
    assert opt.report(point, 1, 5.0)
    with pytest.warns(SpaceExhaustedWarning):
        assert opt.ask() == point
    opt.tell(point, 5.0)
    assert (opt.history[-1].status, opt.history[-1].step) == ("pruned", 1)


def test_a_report_landing_after_another_workers_cancel_leaves_a_new_run_free_to_report(
        tmp_path: Any, monkeypatch: Any) -> None:
    # In a shared study a report is not built under the study's lock (without a
    # Fidelity): worker a's report of p landed after worker b's cancel of p. Stored,
    # it recorded its values at the rungs (bayesopt/state.py's docstring) and left its
    # step with p's params, so when b evaluated p again (add_pending), b's first report
    # raised "step=1 must be after the last reported step 3.0". The race is forced: b
    # cancels while a builds its report (a's clock read, after a read the study). Since
    # reports carry their run's claim (0.6.0) the late report is left out of the fold
    # altogether, and a.report says so (tests/test_storage.py has the report stored after
    # b's add_pending too).
    url = f"sqlite:///{tmp_path / 'study.db'}"
    space = {"x": Real(0, 1), "y": Real(0, 1)}
    a = Optimizer(space, seed=0, storage=url, study="s")
    b = Optimizer(space, seed=1, storage=url, study="s")
    point = {"x": 0.1, "y": 0.1}
    a.add_pending(point)
    clock, armed = time.time, [True]

    def cancel_first() -> float:
        caller = sys._getframe(1).f_code.co_filename
        if armed[0] and caller.endswith(os.path.join("bayesopt", "optimizer.py")):
            armed[0] = False
            b.cancel(point)
        return clock()

    monkeypatch.setattr(time, "time", cancel_first)
    with pytest.raises(ValueError, match="stopped being pending while this report was stored"):
        a.report(point, 3, 0.5)
    assert not armed[0] and a.pending == [] and b.pending == []
    monkeypatch.setattr(time, "time", clock)
    assert a._state.pruning.rungs == b._state.pruning.rungs == {}
    b.add_pending(point)
    assert not b.report(point, 1, 0.4)
    b.tell(point, 0.4)
    assert [(o.status, o.step) for o in b.history] == [("ok", None)]
    a.close()
    b.close()


STUDY_LATE_REPORT = Path(__file__).parent / "data" / "study-0.5.0-late-report.jsonl"


def copied_study(source: Path, folder: Path) -> Path:
    """A copy of the committed study `source` in `folder`; it holds no claim."""
    study = folder / "study.jsonl"
    shutil.copy(source, study)
    assert '"claims"' not in study.read_text()
    return study


def test_a_late_report_of_a_study_written_before_claims_is_still_matched_by_its_params(
        tmp_path: Any) -> None:
    # A JSON-lines study written by 0.5.0 (the race of
    # tests/test_storage.py::test_a_report_stored_after_its_run_was_cancelled_and_claimed_again_is_not_the_new_runs):
    # worker a added p, worker b cancelled and added p again, then a's report of p at step
    # 3 was stored. Its report carries no claim, so it is matched by its params, as its
    # writers folded it: its values at rungs 0 and 1, and step 3 as the new run's last.
    study = copied_study(STUDY_LATE_REPORT, tmp_path)
    space = {"x": Real(0, 1), "y": Real(0, 1)}
    point = {"x": 0.1, "y": 0.1}
    with Optimizer(space, seed=2, storage=str(study), study="late") as reader:
        assert reader.pending == [point]
        assert reader._state.pruning.rungs == {0: [0.5], 1: [0.5]}
        assert reader._state.pruning.last_step == {(("x", 0.1), ("y", 0.1)): 3.0}
        with pytest.raises(ValueError, match="step=1 must be after the last reported step 3.0"):
            reader.report(point, 1, 0.4)
        assert not reader.report(point, 4, 0.4)  # now with its claim: the pending run's
        reader.tell(point, 0.4)
        assert [(o.status, o.value) for o in reader.history] == [("ok", 0.4)]
    # the new run's claim (a's was 0), in its report and its tell
    assert study.read_text().count('"claims":[1]') == 2


STUDY_LATE_TELL = Path(__file__).parent / "data" / "study-0.6.0-late-tell.jsonl"


def test_a_late_tell_of_a_study_written_before_tell_claims_is_still_matched_by_its_params(
        tmp_path: Any) -> None:
    # A JSON-lines study written by main at 80085e23 (0.6.0 before tells and heartbeats
    # carried claims; the race of tests/test_storage.py::
    # test_a_late_tell_and_heartbeat_of_a_run_cancelled_and_claimed_again_are_not_the_new_runs):
    # w added p, v cancelled and added p again, w's heartbeat and tell of p were stored,
    # then v's tell. Without claims they are matched by their params, as their writers
    # folded them: w's tell released v's run, v's tell released nothing.
    study = copied_study(STUDY_LATE_TELL, tmp_path)
    space = {"x": Real(0, 1), "y": Real(0, 1)}
    with Optimizer(space, seed=2, storage=str(study), study="late") as reader:
        assert [(o.status, o.value) for o in reader.history] == [("ok", 0.5), ("ok", 0.4)]
        assert reader.pending == [] and reader._state.n_claimed == 2
        assert reader._state.cancelled == []  # the cancelled run: w's, told (by params)


STUDY_LATE_CANCEL = Path(__file__).parent / "data" / "study-0.6.0-late-cancel.jsonl"


def test_a_late_cancel_of_a_study_written_before_cancel_claims_is_still_matched_by_its_params(
        tmp_path: Any) -> None:
    # A JSON-lines study written by main at 581d2718 (0.6.0, before cancels carried claims;
    # the race of tests/test_storage.py::
    # test_a_late_tell_or_cancel_of_a_timed_out_run_claimed_again_is_not_the_new_runs):
    # w added p (pending_timeout=10), p timed out, v added p again, w cancelled p, v told
    # p (its tell names v's run: claims [1]), then w (claims [0]). The cancel has no claim,
    # so it is matched by its params, as its writers folded it: it cancelled v's run, v's
    # tell released nothing, w's released w's timed-out run.
    study = tmp_path / "study.jsonl"
    shutil.copy(STUDY_LATE_CANCEL, study)
    assert '"event":"cancel","points":[[0.1,0.1]],"time"' in study.read_text()
    space = {"x": Real(0, 1), "y": Real(0, 1)}
    with Optimizer(space, seed=2, storage=str(study), study="late") as reader:
        assert [(o.status, o.value, o.run) for o in reader.history] == [("ok", 0.4, None),
                                                                         ("ok", 0.5, None)]
        assert reader.pending == [] and reader.pending_status().timed_out == ()
        assert reader._state.n_claimed == 2 and reader._state.cancelled == []


def test_a_journal_with_tell_and_heartbeat_claims_resumes_to_the_same_asks(tmp_path: Any) -> None:
    # Tells, failures and heartbeats carry their runs' claims; a resumed journal folds them
    # (by claim) to the state the original reached, and asks what it would have.
    space = {"x": Real(0, 1), "y": Real(0, 1)}
    journal = tmp_path / "run.jsonl"
    opt = Optimizer(space, seed=3, n_initial=3, journal=journal, pending_timeout=600)
    for i in range(6):
        batch = opt.ask(2)
        opt.heartbeat(batch)
        opt.tell(batch[0], float(i))
        opt.tell_failure(batch[1], "crashed")
    left = opt.ask()
    opt.heartbeat(left)
    text = journal.read_text()
    assert '"event":"tell"' in text and text.count('"claims"') == 6 * 3 + 1
    twin = copy.deepcopy(opt)  # detached: the journal has one writer
    opt.close()
    with pytest.warns(ResumeWarning):
        resumed = Optimizer.resume(journal)
    assert resumed.history == twin.history and resumed.pending == twin.pending == [left]
    assert resumed.ask(2) == twin.ask(2)
    resumed.close()


def test_input_constraints_on_the_fidelity_say_that_they_judge_a_configuration() -> None:
    # A LinearConstraint naming the Fidelity was refused as "not numeric; express the
    # constraint as a feasible= callable", but a callable never sees the asked budget:
    # it judges a configuration with the Fidelity at its highest budget.
    from bayesopt import LinearConstraint
    from bayesopt.feasibility import InfeasibleSpaceError

    with pytest.raises(ValueError, match="'epochs' is the Fidelity: the Hyperband schedule "
                       "sets every run's budget"):
        Optimizer(_fidelity_space(), feasible=LinearConstraint({"x": 1, "epochs": 0.1}, "<=", 1))
    with pytest.raises(InfeasibleSpaceError, match="the points carry the Fidelity at its "
                       "highest budget, epochs=9"):
        Optimizer(_fidelity_space(), feasible=lambda p: p["epochs"] < 5)
    seen: list[int] = []
    opt = Optimizer(_fidelity_space(), seed=0, feasible=lambda p: seen.append(p["epochs"]) or True)
    assert [p["epochs"] for p in opt.ask(3)] == [1, 1, 1] and set(seen) == {9}


def test_budgets_plot_draws_one_colour_per_budget() -> None:
    import matplotlib

    matplotlib.use("Agg")
    from bayesopt import plots

    opt = Optimizer(_fidelity_space(), seed=0, n_initial=3)
    for _ in range(16):
        p = opt.ask()
        opt.tell(p, _loss(p))
    _, ax = plots.budgets(opt.result())
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["epochs = 1", "epochs = 3", "epochs = 9", "best at epochs = 9"]
    colours = {tuple(c.get_facecolor()[0]) for c in ax.collections}
    assert len(colours) == 3
    with pytest.raises(ValueError, match="is the Fidelity"):
        plots.evaluations(opt.result(), dimensions=["x", "epochs"])
    plots.evaluations(opt.result())  # the default leaves the budget out
    plain = Optimizer({"x": Real(0, 1)}, seed=0)
    plain.tell({"x": 0.5}, 1.0)
    with pytest.raises(ValueError, match="needs a space with a Fidelity"):
        plots.budgets(plain.result())


@pytest.mark.parametrize("fidelity_kernel", ["stationary", "basis"])
def test_objective_and_importance_plots_show_the_highest_budget(fidelity_kernel: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from bayesopt import plots

    result = _fidelity_run(16, fidelity_kernel=fidelity_kernel).result()
    _, axes = plots.objective(result, n_points=5, n_samples=1, dimensions=["x"])
    assert axes.shape == (1, 1)
    point = {"x": 0.4, "y": 0.6}
    X = result.space.encode([{**point, "epochs": 9}])
    assert result.surrogate is not None
    assert plots._mean(result, X)[0] == pytest.approx(result.surrogate.predict(point).median[0])
    lengthscales = result.surrogate.hyperparameters().lengthscales_unit_cube
    assert plots.relevance(result) == pytest.approx(
        {"x": 1 / lengthscales["x"], "y": 1 / lengthscales["y"]})
    _, ax = plots.importance(result)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["x", "y"]


def test_command_line_passes_the_budget_to_the_command(tmp_path: Any) -> None:
    import subprocess
    import sys

    (tmp_path / "space.toml").write_text(
        '[x]\ntype = "real"\nlow = 0.0\nhigh = 1.0\n\n'
        '[epochs]\ntype = "fidelity"\nlow = 1\nhigh = 9\n')
    (tmp_path / "train.py").write_text(
        "import sys\nx, e = float(sys.argv[2]), int(sys.argv[4])\n"
        "open('epochs.log', 'a').write(f'{e}\\n')\nprint((x - 0.3) ** 2 + 1 / e)\n")
    run = [sys.executable, "-m", "bayesopt", "run", "--space", "space.toml", "--n-calls", "16", "--seed", "0",
           "--journal", "t.jsonl", "--no-progress", "--", sys.executable, "train.py",
           "--x", "{x}", "--epochs", "{epochs}"]
    done = subprocess.run(run, cwd=tmp_path, capture_output=True, text=True, timeout=600,
                          check=False)
    assert done.returncode == 0, done.stderr
    epochs = [int(e) for e in (tmp_path / "epochs.log").read_text().split()]
    assert set(epochs) == {1, 3, 9}
    assert "epochs=9" in done.stdout.splitlines()[-2]  # the best line: the highest budget
    plot = subprocess.run([sys.executable, "-m", "bayesopt", "plot", "t.jsonl", "-o", "b.png"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=600, check=False)
    assert plot.returncode == 0, plot.stderr
    assert (tmp_path / "b.png").stat().st_size > 0


def test_command_line_before_any_run_reaches_the_highest_budget(tmp_path: Any) -> None:
    import subprocess
    import sys

    (tmp_path / "space.toml").write_text(
        '[x]\ntype = "real"\nlow = 0.0\nhigh = 1.0\n\n'
        '[epochs]\ntype = "fidelity"\nlow = 1\nhigh = 27\n')
    (tmp_path / "train.py").write_text("import sys\nprint(float(sys.argv[2]) + 1 / int(sys.argv[4]))\n")

    def bayesopt(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "bayesopt", *args], cwd=tmp_path,
                              capture_output=True, text=True, timeout=600, check=False)

    done = bayesopt("run", "--space", "space.toml", "--n-calls", "4", "--seed", "0",
                    "--journal", "t.jsonl", "--no-progress", "--", sys.executable, "train.py",
                    "--x", "{x}", "--epochs", "{epochs}")
    no_best = "no run at the highest budget epochs=27 yet: none is the best"
    assert done.returncode == 0, done.stdout + done.stderr  # every evaluation succeeded
    assert "every evaluation failed" not in done.stdout and no_best in done.stdout
    shown = bayesopt("show", "t.jsonl")
    assert shown.returncode == 0 and "4 evaluations (4 ok, 0 failed)" in shown.stdout
    table, command = shown.stdout.split("\ncommand: ")  # the recorded command comes last
    assert table.rstrip().endswith(no_best)
    assert command.startswith(f"{sys.executable} train.py --x")
    plotted = bayesopt("plot", "t.jsonl", "-o", "b.png")  # the budgets plot, no best line yet
    assert plotted.returncode == 0, plotted.stderr
    assert (tmp_path / "b.png").stat().st_size > 0


def test_show_ranks_the_runs_at_the_highest_budget_first(tmp_path: Any, capsys: Any) -> None:
    from bayesopt.cli import main

    path = tmp_path / "run.jsonl"
    opt = Optimizer({"x": Real(0, 1), "epochs": Fidelity(1, 3)}, seed=0, journal=path)
    opt.tell(opt.ask(3), [0.1, 0.5, 0.9])  # bracket 1: three runs at epochs=1
    promoted = opt.ask()
    assert promoted["epochs"] == 3 and opt.continues(promoted) == 0
    opt.tell(promoted, 0.4)  # worse than its lucky one-epoch value
    assert opt.best is not None and opt.best.index == 3
    assert main(["show", str(path)]) == 0
    rows = capsys.readouterr().out.splitlines()[2:6]
    assert [row.split()[0] + " " + row.split()[-3] for row in rows] == \
        ["1 3", "2 0", "3 1", "4 2"]  # rank, index: the best (epochs=3) first
    assert [row.split()[-1] for row in rows] == ["0", "-", "-", "-"]  # continues: run 0


def test_a_pruned_run_inside_a_bracket_is_never_promoted() -> None:
    # rungs at steps 0.5, 1.5, …: a run at epochs=1 can be cut before its end
    opt = Optimizer(_fidelity_space(), seed=5, n_initial=3,
                    pruner=SuccessiveHalving(min_resource=0.5, reduction_factor=3))
    first = opt.ask(3)
    assert not opt.report(first[1], 0.5, 0.01)  # alone at the rung of step 0.5
    opt.tell(first, [1.0, 0.01, 2.0])
    promoted = opt.ask()  # the best, to epochs = 3 …
    assert opt.continues(promoted) == 1
    assert not opt.report(promoted, 1, 5.0)  # … past the rungs its source passed …
    other = opt.ask()
    assert other["epochs"] == 1
    assert opt.report(other, 0.5, 9.0)  # … and the other is cut at step 0.5: [0.01, 9.0]
    opt.tell(other, 0.0)  # told the best value of its rung, yet pruned: ranks last there
    opt.tell(promoted, 0.001)
    pruned = opt.history[-2].index
    assert opt.history[-2].status == "pruned"
    for _ in range(25):
        p = opt.ask()
        opt.tell(p, _loss(p))
    assert all(o.continues != pruned for o in opt.history)


def test_two_optimizers_sharing_a_study_follow_one_schedule(tmp_path: Any) -> None:
    url = str(tmp_path / "study.jsonl")
    a = Optimizer(_fidelity_space(), storage=url, study="s", seed=0, n_initial=3)
    b = Optimizer(_fidelity_space(), storage=url, study="s", seed=1, n_initial=3)
    for _ in range(8):
        pa, pb = a.ask(), b.ask()  # b sees a's ask as pending, in its bracket
        b.tell(pb, _loss(pb))
        a.tell(pa, _loss(pa))
    assert a.history == b.history
    sources = [o.continues for o in a.history if o.continues is not None]
    assert sources and len(sources) == len(set(sources)), "a run promoted twice"
    assert {o.params["epochs"] for o in a.history} >= {1, 3}


def test_a_tell_of_another_worker_never_lands_inside_an_ask(tmp_path: Any) -> None:
    """b's tell finishes rung 1 while a computes a new configuration at epochs=1 (a's
    input-constraint callable runs b's tell in a thread). Unlocked, the tell landed between
    a's catch-up and its append, and the study held an ask against its own schedule: every
    reader failed on it. Under the study's lock the tell waits for a's ask to be stored."""
    import threading

    url = f"sqlite:///{tmp_path / 'study.db'}"
    during_ask: list[Callable[[], None]] = []
    workers: list[threading.Thread] = []

    def feasible(params: dict[str, Any]) -> bool:
        while during_ask:
            workers.append(threading.Thread(target=during_ask.pop()))
            workers[-1].start()
            workers[-1].join(timeout=1.0)  # done at once without the lock; else blocked
        return True

    with (Optimizer(_fidelity_space(), storage=url, study="s", seed=0, feasible=feasible) as a,
          Optimizer(_fidelity_space(), storage=url, study="s", seed=1, feasible=feasible) as b):
        first = a.ask(3)
        a.tell(first[:2], [0.5, 0.2])
        during_ask.append(lambda: b.tell(first[2], 0.9))  # the third run of rung 1
        new = a.ask()
        workers[0].join()
        assert new["epochs"] == 1 and a.continues(new) is None  # asked before b's tell landed
        promoted = b.ask()
        assert promoted["epochs"] == 3 and b.continues(promoted) == 1  # best of 0.5, 0.2, 0.9
        assert a.history == b.history and len(a.history) == 3


def test_a_conditional_space_with_a_fidelity_runs_its_brackets() -> None:
    space = {"kind": Categorical(["a", "b"]), "x": Real(0, 1, when={"kind": "a"}),
             "epochs": Fidelity(1, 9, eta=3)}
    opt = Optimizer(space, seed=0, n_initial=3)
    for _ in range(30):
        p = opt.ask()
        assert ("x" in p) == (p["kind"] == "a")
        opt.tell(p, p.get("x", 0.5) + 1.0 / p["epochs"])
    assert {o.params["epochs"] for o in opt.history} == {1, 3, 9}
    assert opt.best is not None and opt.best.params["epochs"] == 9
    with pytest.raises(ValueError, match="never conditional"):
        Fidelity(1, 9, when={"kind": "a"}, name="epochs")


def _constraint(p: dict[str, Any]) -> float:
    """Feasible (≤ 0) for x ≥ 0.5 at the full budget (the loss's minimum x = 0.3 is not);
    at low budgets more points pass."""
    return 0.5 - p["x"] - 0.3 * (1.0 - p["epochs"] / 9)


def test_outcome_constraints_with_a_fidelity_model_every_budget_and_judge_the_highest() -> None:
    opt = Optimizer(_fidelity_space(), n_constraints=1, seed=0, n_initial=3)
    for _ in range(40):
        p = opt.ask()
        opt.tell(p, _loss(p), constraints=[_constraint(p)])
    best = opt.best
    assert best is not None and best.params["epochs"] == 9 and _constraint(best.params) <= 0
    at_top = [o for o in opt.history if o.params["epochs"] == 9]
    assert all(o.value >= best.value for o in at_top if o.feasible)  # type: ignore[operator]
    assert best.value < 0.2  # the constrained minimum is 0.2² + 1/9 ≈ 0.151
    state = opt._state  # the constraint GP takes the objective's inputs: the budget level too
    data = state.model_data()
    term = state.outcomes.feasibility_term(state.fork_rng(), None, data.rows,
                                             data.budget_input)
    assert data.budget_input and term is not None
    assert all(isinstance(m, TopBudget) and m.model.n_observed == data.y.shape[0] == len(at_top)
               + sum(o.params["epochs"] < 9 for o in opt.history if o.ok) and m.model.dim == 3
               for m in term.models)  # type: ignore[attr-defined]


def test_with_the_budget_as_an_input_a_feasible_fantasy_counts_toward_the_incumbent() -> None:
    """Outcome constraints, the budget a GP input: the incumbent is the best posterior mean
    at the highest budget over the feasible observed configurations and the pending ones
    believed feasible (`Proposal._incumbent`, as `bayesopt.propose` says; the unconstrained
    one counts every pending point). A pending x = 0.45 whose mean there is below the
    incumbent counts only where its fantasy is feasible. Before, never."""
    from bayesopt.propose import Proposal

    opt = Optimizer(_fidelity_space(), n_constraints=1, seed=0, n_initial=3)
    for _ in range(15):
        p = opt.ask()
        opt.tell(p, _loss(p), constraints=[_constraint(p)])
    state = opt._state
    proposal = Proposal(state, opt._ask_settings(), state.fork_rng(), time.time(),
                        with_pending=False)
    assert proposal.data.budget_input
    surrogate = TopBudget(proposal.model)
    proposal.model.update(proposal.data.X, proposal.data.y, budget=proposal.data.budget)
    rows = proposal._feasible_rows()
    assert rows is not None and rows.any()
    pending = np.array([[0.45, 0.7]])
    observed = proposal._incumbent(surrogate, pending[:0], rows, np.zeros(0, dtype=bool))
    mean = float(surrogate.predict(pending)[0][0])
    assert observed is not None and mean < observed
    assert proposal._incumbent(surrogate, pending, rows, np.array([False])) == observed
    believed = proposal._incumbent(surrogate, pending, rows, np.array([True]))
    assert believed == pytest.approx(mean, rel=1e-12)  # predicted in another batch


# ------------------------------------------------------------ the budget as a GP input
def test_the_top_budget_view_has_the_gradient_of_its_predictions() -> None:
    rng = np.random.default_rng(0)
    model = SurrogateModel(3, ModelOptions(), rng)
    X = rng.random((12, 3))
    model.update(X, np.sin(4 * X[:, 0]) + X[:, 1] * X[:, 2])
    top = TopBudget(model)
    x = rng.random((4, 2))
    mean, _, d_mean, d_std = top.predict_with_gradient(x)
    np.testing.assert_allclose(mean, model.predict(np.column_stack([x, np.ones(4)]))[0])
    step = 1e-6
    for j in range(2):
        e = np.zeros(2)
        e[j] = step
        (m_hi, s_hi), (m_lo, s_lo) = top.predict(x + e), top.predict(x - e)
        np.testing.assert_allclose(d_mean[:, j], (m_hi - m_lo) / (2 * step), rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(d_std[:, j], (s_hi - s_lo) / (2 * step), rtol=1e-4, atol=1e-6)


def test_low_budget_runs_inform_the_surrogate_of_the_highest_budget() -> None:
    opt = Optimizer(_fidelity_space(), seed=0, n_initial=3)
    for _ in range(5):  # five new configurations at budget 1, nothing higher yet
        p = opt.ask()
        opt.tell(p, _loss(p))
    surrogate = opt.surrogate()  # fitted on budget 1 alone; BOHB needed 2·n_initial there
    low = [o.params for o in opt.history]
    np.testing.assert_allclose(surrogate.predict(low).mean, [o.value for o in opt.history],
                               atol=0.05)
    top = surrogate.predict([{k: v for k, v in p.items() if k != "epochs"} for p in low])
    np.testing.assert_array_equal(top.mean, surrogate.predict(
        [{**p, "epochs": 9} for p in low]).mean)  # no budget given: the highest
    assert set(surrogate.hyperparameters().lengthscales) == {"x", "y", "epochs"}
    with pytest.raises(ValueError, match="no .*run at epochs=9"):
        surrogate.recommend()


@pytest.mark.parametrize("fidelity_model", ["budget-input", "bohb"])
def test_the_surrogates_acquisition_is_the_asks_at_the_highest_budget(fidelity_model: str) -> None:
    opt = _fidelity_run(24, fidelity_model=fidelity_model)
    surrogate = opt.surrogate()
    points = [{"x": 0.3, "y": 0.7}, {"x": 0.9, "y": 0.1, "epochs": 9}]
    values = surrogate.acquisition(points).log_value
    expected = surrogate._acquisitions[0].values(opt.space.encode(
        [{**p, "epochs": 9} for p in points]))
    np.testing.assert_array_equal(values, expected)
    assert values[0] > values[1]
    with pytest.raises(ValueError, match="epochs=3: the acquisition is that of the highest "
                                         "budget epochs=9"):
        surrogate.acquisition({"x": 0.3, "y": 0.7, "epochs": 3})


def test_bohbs_gp_of_one_budget_still_reports_its_hyperparameters() -> None:
    options = OptimizerOptions(model=ModelOptions(fidelity_model="bohb"))  # the alternative
    opt = Optimizer(_fidelity_space(), seed=0, n_initial=3, options=options)
    for _ in range(8):
        p = opt.ask()
        opt.tell(p, _loss(p))
    surrogate = opt.surrogate()  # the GP of budget 1 alone (six runs there)
    assert all(o.params["epochs"] == 1 for o in surrogate.observed)
    assert set(surrogate.hyperparameters().lengthscales) == {"x", "y"}


def test_a_journal_written_by_0_2_0_resumes_with_bohbs_gp_and_asks_what_it_would_have(
        tmp_path: Any) -> None:
    """tests/data/journal-0.2.0-fidelity.jsonl: 14 evaluations with a Fidelity, written by
    version 0.2.0 (BOHB's GP of one budget; its options have no fidelity_model). The
    resume takes the model it was written with (`options.SETTINGS_BEFORE`) and asks what
    0.2.0 asked next, recorded when the journal was made."""
    import shutil
    from pathlib import Path

    journal = tmp_path / "run.jsonl"
    shutil.copy(Path(__file__).parent / "data" / "journal-0.2.0-fidelity.jsonl", journal)
    space = {"x": Real(0, 1), "y": Real(0, 1), "epochs": Fidelity(1, 9)}
    with pytest.warns(UserWarning, match="14 evaluations"):
        opt = Optimizer.resume(journal, space)
    assert opt.options.model.fidelity_model == "bohb"
    assert opt.ask() == {"x": 0.2577938745571792, "y": 0.7870978633240304, "epochs": 9}


def test_fidelity_model_without_a_fidelity_raises_but_a_journal_recording_it_resumes(
        tmp_path: Any) -> None:
    """ModelOptions(fidelity_model="bohb") in a space without a Fidelity would be ignored, so
    a new optimizer refuses it; a journal of such a space may record it (every 0.2.0
    journal reads as "bohb", `options.SETTINGS_BEFORE`; later ones while it was accepted)
    and resumes with it, asking what the original asks."""
    import json
    import warnings

    plain = {"x": Real(0, 1), "y": Real(0, 1)}
    bohb = OptimizerOptions(model=ModelOptions(fidelity_model="bohb"))
    with pytest.raises(ValueError, match=r"options\.model\.fidelity_model='bohb' chooses how "
                                         r"the GP models a Fidelity's budget, and the space "
                                         r"has no Fidelity"):
        Optimizer(plain, seed=0, options=bohb)
    path = tmp_path / "run.jsonl"
    opt = Optimizer(plain, seed=0, n_initial=3, journal=path)
    for _ in range(5):
        p = opt.ask()
        opt.tell(p, (p["x"] - 0.3) ** 2 + p["y"])
    opt.close()
    header, *events = path.read_text().splitlines()
    record = json.loads(header)
    record["config"]["options"]["model"]["fidelity_model"] = "bohb"
    path.write_text("\n".join([json.dumps(record), *events]) + "\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ResumeWarning: the run holds evaluations
        resumed = Optimizer.resume(path)
    assert resumed.options.model.fidelity_model == "bohb"
    assert resumed.ask() == opt.ask()


def test_a_report_beyond_the_asked_budget_raises_naming_step_and_budget() -> None:
    """With a Fidelity a run trains to the budget it was asked with and is told there: a
    report past it (a loop that ignores params["epochs"]) is a mistake, not a longer run."""
    opt = Optimizer(_fidelity_space(), seed=0)
    p = opt.ask()
    budget = p["epochs"]
    assert opt.report(p, budget, 0.5) in (True, False)  # the budget itself is a step
    with pytest.raises(ValueError, match=rf"step={budget + 1} is beyond the budget "
                                         rf"epochs={budget} this point was asked with"):
        opt.report(p, budget + 1, 0.4)
    opt.tell(p, 0.5)
    assert [o.params["epochs"] for o in opt.history] == [budget]


def test_a_data_fraction_trained_on_a_rounded_count_of_samples_reports_its_last_step() -> None:
    # Budget 1/9 of 1797 samples is 199.67: a loop training on round(...) = 200 samples
    # reported step 200/1797 = 0.1113 and was told it passed the budget 0.1111. A step
    # within the tolerance a tell is matched with (0.5 %) is the budget; beyond, ValueError.
    opt = Optimizer({"x": Real(0, 1), "fraction": Fidelity(0.1, 1.0)}, seed=0)
    p = opt.ask()
    assert p["fraction"] == pytest.approx(1 / 9)
    assert not opt.report(p, 200 / 1797, 0.3)
    with pytest.raises(ValueError, match=r"is beyond the budget fraction=0.111.* this point "
                       r"was asked with \(by more than 0.5%\)"):
        opt.report(p, 0.112, 0.3)
    opt.tell(p, 0.3)
    assert opt.history[-1].status == "ok"


def test_a_data_fraction_reporting_its_last_step_rounded_down_is_not_stopped_there() -> None:
    # Budget 1/9 of 1797 samples trained on 199 of them reports step 199/1797 = 0.1107,
    # 0.3 % short of the budget: within the tolerance a tell is matched with, so the run
    # has finished. It was judged as a run cut short at rung 0.1 and stopped (here the
    # rung's first value, under bootstrap_count=1), and its tell was recorded "pruned".
    opt = Optimizer({"x": Real(0, 1), "fraction": Fidelity(0.1, 1.0)}, seed=0,
                    pruner=SuccessiveHalving(0.1, 3, bootstrap_count=1))
    p = opt.ask()
    assert p["fraction"] == pytest.approx(1 / 9)
    assert not opt.report(p, 199 / 1797, 0.3)
    opt.tell(p, 0.3)
    assert (opt.history[-1].status, opt.history[-1].step) == ("ok", None)
    q = opt.ask()
    assert opt.report(q, 0.105, 0.4)  # 5.5 % short: cut at rung 0.1, worse than 0.3
    opt.tell(q, 0.4)
    assert (opt.history[-1].status, opt.history[-1].step) == ("pruned", 0.105)


def test_rungs_of_a_real_fidelity_are_its_budgets_exactly() -> None:
    # Rung steps were the float product 0.1·3 = 0.30000000000000004, not the budget 0.3
    # of Fidelity(0.1, 0.9): a promotion from 0.3 to 0.9 had not passed rung 1 by that
    # reckoning, and was judged there again (stopped here at step 0.4, the first value
    # at a rung stopping under bootstrap_count=1).
    fidelity = Fidelity(0.1, 0.9)
    assert [SuccessiveHalving.of(fidelity).rung_step(k) for k in range(3)] == [0.1, 0.3, 0.9]
    opt = Optimizer({"x": Real(0, 1), "fraction": fidelity}, seed=0,
                    pruner=SuccessiveHalving(0.1, 3, bootstrap_count=1))
    for _ in range(30):
        p = opt.ask()
        if p["fraction"] == 0.9 and opt.continues(p) is not None:
            assert opt.history[opt.continues(p)].params["fraction"] == 0.3  # type: ignore[index]
            assert not opt.report(p, 0.4, 0.1)  # rung 1 (0.3) was passed by its source
            return
        opt.tell(p, (p["x"] - 0.3) ** 2 + 0.1 / p["fraction"])
    raise AssertionError("no promotion to 0.9 in 30 runs")


def test_the_worked_example_of_rungs_and_budgets_for_fidelity_1_100():
    """docs/multi-fidelity.md, section 2, and `Optimizer.report`: Fidelity(1, 100) runs at
    1, 4, 11, 33, 100 while reports meet rungs at 1, 3, 9, 27, 81; a run asked at 11 records
    at 1, 3 and 9; promotions trained on from 11 and from 33 record at 27 and at 81 only."""
    fidelity = Fidelity(1, 100)
    assert [rung_budgets(fidelity, s) for s in range(5)] == [
        (100,), (33, 100), (11, 33, 100), (4, 11, 33, 100), (1, 4, 11, 33, 100)]
    rule = SuccessiveHalving.of(fidelity)
    assert [rule.rung_step(k) for k in range(5)] == [1, 3, 9, 27, 81]
    cases = [(11, None, range(1, 12), [1, 3, 9]), (33, 11.0, range(12, 34), [27]),
             (100, 33.0, range(34, 101), [81])]
    for budget, source, steps, rungs in cases:
        pruning = Pruning(rule)
        for step in steps:
            assert not pruning.report("run", step, 0.5, continued_from=source, budget=budget)
        assert [rule.rung_step(k) for k in pruning.rungs] == rungs


def test_a_report_by_params_of_replicates_is_of_the_earliest_pending_run_until_it_is_told() -> None:
    # The rule of a report, tell or cancel by params when several runs of one point are
    # pending (Optimizer.report, docs/event-fold.md): this optimizer's own nearest pending
    # run, the earliest of equally near ones. Pinned here: it held before runs had reports
    # of their own, and still does.
    opt = Optimizer({"x": Real(0, 1)}, seed=0)
    point = {"x": 0.5}
    opt.add_pending(point)
    opt.add_pending(point, repeat=True)
    assert not opt.report(point, 1, 0.3)
    assert not opt.report(point, 2, 0.2)
    with pytest.raises(ValueError, match=r"step=2 must be after the last reported step 2.0"):
        opt.report(point, 2, 0.1)  # the same run: the earliest
    opt.tell(point, 0.2)  # releases the earliest
    assert [p.claim for p in opt._state.pending] == [1]
    assert not opt.report(point, 1, 0.25)  # the other replicate, from its own first step
    opt.tell(point, 0.4)
    assert [o.value for o in opt.history] == [0.2, 0.4] and opt.pending == []


def test_asked_replicates_of_an_exhausted_space_report_each_on_the_run_named() -> None:
    # An exhausted space's ask repeats a pending point: two runs of it pending at once.
    # By params every report was the first run's, one learning curve for both (a second
    # report at step 1 refused); each is reported, stopped and told by its run id now.
    opt = Optimizer({"c": Categorical(["a"])}, seed=0,
                    pruner=SuccessiveHalving(min_resource=1, reduction_factor=3,
                                             bootstrap_count=1))
    point = opt.ask()
    with pytest.warns(SpaceExhaustedWarning):
        assert opt.ask() == point
    assert opt.report(point, 1, 5.0, run=0)  # alone at its rung: stopped
    assert not opt.report(point, 1, 1.0, run=1)  # run 1's own first step
    opt.tell(point, 1.0, run=1)
    opt.tell(point, 5.0, run=0)
    assert [(o.status, o.value, o.run, o.step) for o in opt.history] == [
        ("ok", 1.0, 1, None), ("pruned", 5.0, 0, 1.0)]
    assert opt.pending == [] and opt._state.pruning.stopped == {}


def test_a_timed_out_replicates_stop_is_forgotten_when_its_params_start_again(
        monkeypatch: Any) -> None:
    # A replicate's reports are its own (bayesopt/state.py, run_key); a run that starts
    # while no run of its params is pending forgets every earlier run's state of them, a
    # timed-out replicate's too, as it forgot their shared state before: the replicate's
    # late tell is then recorded "ok", like any late tell of a run whose params were asked
    # again meanwhile, not "pruned" at a stop its params' new run started after.
    opt = Optimizer({"c": Categorical(["a"])}, seed=0, pending_timeout=10,
                    pruner=SuccessiveHalving(min_resource=1, reduction_factor=3,
                                             bootstrap_count=1))
    point = opt.ask()
    with pytest.warns(SpaceExhaustedWarning):
        opt.ask()
    assert opt.report(point, 1, 5.0, run=1)  # the replicate, stopped
    later = time.time() + 60
    monkeypatch.setattr(time, "time", lambda: later)  # both runs time out
    opt.tell(point, 1.0, run=0)
    with pytest.warns(SpaceExhaustedWarning):
        assert opt.ask() == point and opt.run_ids(point) == (2, None)
    opt.tell(point, 2.0, run=2)
    opt.tell(point, 5.0, run=1)  # the timed-out replicate's late tell
    assert [(o.status, o.run, o.step) for o in opt.history] == [
        ("ok", 0, None), ("ok", 2, None), ("ok", 1, None)]
    assert opt._state.pruning.stopped == {} and opt._state.pruning.last_step == {}


def test_a_run_told_pruned_with_a_fidelity_counts_as_a_run_report_stopped(tmp_path: Path) -> None:
    """With a Fidelity a run another rule stopped, told pruned=True at its last reported
    step, is what a run `report` stopped is: out of the GP, damped around, last in its
    Hyperband rung; a resumed journal holds the same and asks the same."""
    space = {"x": Real(0.0, 1.0), "epochs": Fidelity(1, 9)}
    journal = tmp_path / "run.jsonl"
    opt = Optimizer(space, seed=0, journal=journal)
    for i in range(4):
        point = opt.ask()
        budget = point["epochs"]
        if i == 1:
            assert not opt.report(point, [budget / 3, budget / 2], [0.8, 0.7])
            opt.tell(point, 0.7, pruned=True)
        else:
            opt.tell(point, (point["x"] - 0.4) ** 2)
    assert [o.status for o in opt.history] == ["ok", "pruned", "ok", "ok"]
    assert opt.history[1].step == opt.history[1].params["epochs"] / 2
    assert len(opt._state.y_ok) == 3 and len(opt._state.X_failed) == 1
    assert opt._state.hyperband.trials[1].loss == math.inf
    resumed = Optimizer.resume(journal, append=False)
    assert [(o.status, o.step, o.value) for o in resumed.history] == [
        (o.status, o.step, o.value) for o in opt.history]
    assert resumed.ask() == opt.ask()


@pytest.mark.parametrize(("fidelity", "n_calls"), [(Fidelity(1, 9), 40),
                                                  (Fidelity(1, 8, eta=2), 70)])
def test_a_hyperband_cycle_starts_its_brackets_in_turn_and_runs_at_least_the_synchronous_count(
        fidelity: Fidelity, n_calls: int) -> None:
    """docs/multi-fidelity.md, "Runs per cycle": a cycle starts n_s new configurations of
    bracket s at its base budget, s = s_max first; no promotion is due when the next cycle
    starts, so a cycle without failed or pruned runs holds at least Hyperband's
    synchronous Σ_s Σ_{k≤s} ⌊n_s/η^k⌋ runs (22 for Fidelity(1, 9), 35 for (1, 8, η=2))."""
    s_max = max_bracket(fidelity.low, fidelity.high, fidelity.eta)
    sizes = bracket_sizes(s_max, fidelity.eta)
    synchronous = sum(sizes[s] // fidelity.eta**k for s in range(s_max + 1) for k in range(s + 1))
    assert synchronous == {9: 22, 8: 35}[fidelity.high]
    result = minimize(lambda p: (p["x"] - 0.3) ** 2 + (p["y"] - 0.6) ** 2 + 1.0 / p["b"],
                      {"x": Real(0.0, 1.0), "y": Real(0.0, 1.0), "b": fidelity},
                      n_calls=n_calls, seed=0, progress=False)
    assert all(o.ok for o in result.history)
    new = [i for i, o in enumerate(result.history) if o.continues is None]
    starts = [budgets[0] for s in range(s_max, -1, -1)
              for budgets in [rung_budgets(fidelity, s)] for _ in range(sizes[s])]
    assert [result.history[i].params["b"] for i in new[:len(starts)]] == starts
    assert len(new) > len(starts), "the run ended inside its first cycle (raise n_calls)"
    assert new[len(starts)] >= synchronous  # the runs before the next cycle's first
    assert result.history[new[len(starts)]].params["b"] == fidelity.low  # bracket s_max again

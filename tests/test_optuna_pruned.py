"""BayesoptSampler and Optuna's pruners: a PRUNED trial is told as a pruned run.

    curve(x, step) = (x - 0.3)² + 1/step   the intermediate value at step 1..STEPS
    record(opt)    = sorted (x, status, step, value) of the optimizer's history

Every path of the sampler is checked with real Optuna on SQLite storage: one worker
(sequential), threads of one study (`n_jobs`), two workers on one study (a trial pruned
while another worker's sampler held it as pending, and one it never saw running), a
sampler attached to the stored study afterwards (resume), and `constraints_func`.
"""

from __future__ import annotations

import math

import optuna
import pytest
from optuna.distributions import FloatDistribution
from optuna.trial import TrialState, create_trial

from bayesopt.integrations.optuna import BayesoptSampler

optuna.logging.set_verbosity(optuna.logging.WARNING)

STEPS = 8


def _curve(x: float, step: int) -> float:
    return (x - 0.3) ** 2 + 1 / step


def _objective(trial: optuna.Trial) -> float:
    x = trial.suggest_float("x", -2.0, 2.0)
    for step in range(1, STEPS + 1):
        trial.report(_curve(x, step), step)
        if trial.should_prune():
            raise optuna.TrialPruned()
    return _curve(x, STEPS)


def _expected(study: optuna.Study) -> list[tuple[float, str, float | None, float]]:
    """Each finished trial as the optimizer should hold it: a PRUNED one "pruned" at its
    last step with its last intermediate value, a COMPLETE one "ok" with its value."""
    rows = []
    for t in study.get_trials(states=(TrialState.COMPLETE, TrialState.PRUNED)):
        if t.state == TrialState.PRUNED:
            rows.append((t.params["x"], "pruned", float(t.last_step),
                         t.intermediate_values[t.last_step]))
        else:
            rows.append((t.params["x"], "ok", None, t.value))
    return sorted(rows)


def _record(sampler: BayesoptSampler) -> list[tuple[float, str, float | None, float]]:
    """The optimizer's runs with a value (its failures are the FAIL trials of `_sync`)."""
    assert sampler.optimizer is not None
    return sorted((o.params["x"], o.status, o.step, o.value) for o in sampler.optimizer.history
                  if o.status != "failed")


def _sync(study: optuna.Study) -> None:
    """Sample one more trial, which tells the sampler every trial that ended, and end it."""
    trial = study.ask()
    trial.suggest_float("x", -2.0, 2.0)
    study.tell(trial, state=TrialState.FAIL)


def _pruning_study(storage, n_jobs: int = 1, **kwargs) -> optuna.Study:
    """Successive halving when sequential. Its decisions compare a trial with the others at
    its rung, so with two threads they depend on the scheduler (a run can end with none
    pruned); there a threshold prunes every trial with |x - 0.3| > 0.5 at step 1, whatever
    the interleaving. There the study starts with one complete trial, x = 0.3, added as a
    finished one: without a complete trial Optuna's relative search space stays empty, the
    sampler samples at random and may never build its optimizer (14 random trials were all
    pruned in a CI run). (`enqueue_trial` would not do: two threads on SQLite can both run
    the enqueued trial.)"""
    pruner = (optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=2)
              if n_jobs == 1 else optuna.pruners.ThresholdPruner(upper=1.25))
    study = optuna.create_study(
        study_name="s", storage=storage,
        sampler=BayesoptSampler(seed=0, **kwargs), pruner=pruner)
    if n_jobs != 1:
        study.add_trial(create_trial(params={"x": 0.3}, value=_curve(0.3, STEPS),
                                     distributions={"x": FloatDistribution(-2.0, 2.0)}))
    study.optimize(_objective, n_trials=14, n_jobs=n_jobs)
    return study


# with two threads a trial can be sampled while no trial has completed yet: Optuna's relative
# search space is then empty and the sampler samples x at random, warning once (documented;
# whether it happens depends on the threads' timing)
@pytest.mark.filterwarnings("ignore::bayesopt.integrations.optuna.IndependentSamplingWarning")
@pytest.mark.parametrize("n_jobs", [1, 2])
def test_pruned_trials_are_pruned_runs_at_their_last_step_and_a_resumed_sampler_agrees(
        optuna_sqlite, n_jobs):
    """Sequential and two threads: every PRUNED trial was a failure of the optimizer (its
    intermediate values never reached it); it is recorded "pruned" at its last step with
    its last intermediate value, which the GP models (a plain space's pruned run), as a
    COMPLETE trial is "ok". A sampler attached to the stored study holds the same."""
    study = _pruning_study(optuna_sqlite(), n_jobs)
    _sync(study)
    expected = _expected(study)
    # two threads interleave as the scheduler has them: the number pruned varies
    assert sum(status == "pruned" for _, status, _, _ in expected) >= (3 if n_jobs == 1 else 1)
    assert _record(study.sampler) == expected
    optimizer = study.sampler.optimizer
    assert len(optimizer.history) == len(expected)  # none a failure
    assert len(optimizer._state.y_ok) == len(expected)  # pruned values are GP data
    resumed = optuna.load_study(study_name="s", storage=optuna_sqlite(),
                                sampler=BayesoptSampler(seed=0))
    _sync(resumed)
    assert _record(resumed.sampler) == expected
    assert [o.error for o in resumed.sampler.optimizer.history if o.status == "failed"] == [
        f"trial {len(expected)} failed"]  # the first _sync's trial


def test_a_trial_pruned_on_another_worker_is_pruned_whether_pending_there_or_not(
        optuna_sqlite):
    """Workers A and B on one SQLite study. B held A's trial t as pending (RUNNING when B
    sampled) and never saw u running: both are told to B as pruned runs once A prunes them,
    t from B's pending point, u added first; A's own asks are told the same way."""
    a = optuna.create_study(study_name="s", storage=optuna_sqlite(),
                            sampler=BayesoptSampler(seed=0))
    b = optuna.load_study(study_name="s", storage=optuna_sqlite(), sampler=BayesoptSampler(seed=1))
    for _ in range(3):
        trial = a.ask()
        a.tell(trial, _curve(trial.suggest_float("x", -2.0, 2.0), STEPS))
    t = a.ask()
    t.suggest_float("x", -2.0, 2.0)
    own = b.ask()
    own.suggest_float("x", -2.0, 2.0)
    assert len(b.sampler.optimizer.pending) == 2  # t, and B's own
    for trial in (t, u := a.ask()):
        x = trial.suggest_float("x", -2.0, 2.0)
        for step in (1, 2, 3):
            trial.report(_curve(x, step), step)
        a.tell(trial, state=TrialState.PRUNED)
    b.tell(own, 1.0)
    for study in (a, b):
        _sync(study)
        assert _record(study.sampler) == _expected(study)
        rows = [r for r in _record(study.sampler) if r[1] == "pruned"]
        assert [(x, step) for x, _, step, _ in rows] == sorted(
            (trial.params["x"], 3.0) for trial in (t, u))
        # none left pending but the point of `_sync`'s trial, told at the next sampling
        pending = [p["x"] for p in study.sampler.optimizer.pending]
        assert pending == [study.trials[-1].params["x"]]


def test_a_trial_pruned_without_a_usable_curve_is_a_failure():
    """Pruned before any report (no step, no value: nothing to model), or with a non-finite
    intermediate value (the GP needs finite targets): told as failures, named."""
    study = optuna.create_study(sampler=BayesoptSampler(seed=0))
    dist = {"x": FloatDistribution(-2.0, 2.0)}
    study.add_trial(create_trial(params={"x": 0.0}, distributions=dist, value=1.0))
    study.add_trial(create_trial(params={"x": 1.0}, distributions=dist,
                                 state=TrialState.PRUNED))
    study.add_trial(create_trial(params={"x": 1.5}, distributions=dist, state=TrialState.PRUNED,
                                 intermediate_values={1: 2.0, 2: math.nan}))
    _sync(study)
    assert sorted((o.params["x"], o.status, o.error)
                  for o in study.sampler.optimizer.history) == [
        (0.0, "ok", None), (1.0, "failed", "trial 1 pruned before any report"),
        (1.5, "failed", "trial 2 pruned at step 2, with a non-finite intermediate value")]


def test_a_pruned_trial_of_a_constrained_study_is_told_with_its_constraints(optuna_sqlite):
    """constraints_func runs for PRUNED trials too (as Optuna's samplers do): such a trial
    is a pruned run with its constraint values, for the constraint GPs as well; one without
    them (stored before the constraints) is a failure, named."""
    study = _pruning_study(optuna_sqlite(), constraints_func=lambda t: [t.params["x"] - 1.0])
    dist = {"x": FloatDistribution(-2.0, 2.0)}
    study.add_trial(create_trial(params={"x": -1.9}, distributions=dist,
                                 state=TrialState.PRUNED, intermediate_values={1: 5.0}))
    _sync(study)
    history = study.sampler.optimizer.history
    pruned = [o for o in history if o.status == "pruned"]
    assert len(pruned) >= 3
    assert all(o.constraints == (o.params["x"] - 1.0,) for o in pruned)
    assert _record(study.sampler) == [r for r in _expected(study) if r[0] != -1.9]
    assert [o.error for o in history if o.status == "failed"] == [
        "trial 14 pruned at step 1, without finite values of the study's constraints ['0']"]


def test_a_pruned_trial_and_a_copy_of_its_point_ending_in_one_sync_are_both_told():
    """The sampler asked t's point; a COMPLETE copy of it, never pending here (added by
    hand), and t, PRUNED, end before the next sampling. Told by params first, the copy
    took t's run, and the report of t's curve raised (its run was no longer pending):
    pruned trials are told first now, each on its own run."""
    study = optuna.create_study(sampler=BayesoptSampler(seed=0))
    dist = {"x": FloatDistribution(-2.0, 2.0)}
    for x in (-1.0, 0.0, 1.0):
        study.add_trial(create_trial(params={"x": x}, distributions=dist, value=_curve(x, 8)))
    t = study.ask()
    x = t.suggest_float("x", -2.0, 2.0)
    t.report(_curve(x, 1), 1)
    study.add_trial(create_trial(params={"x": x}, distributions=dist, value=0.5))
    study.tell(t, state=TrialState.PRUNED)
    _sync(study)
    assert _record(study.sampler) == _expected(study)
    assert (x, "pruned", 1.0, _curve(x, 1)) in _record(study.sampler)


def test_a_trial_that_ignores_its_pruner_and_returns_is_a_complete_run(optuna_sqlite):
    """An objective that asks `should_prune()` at every step but trains on and returns its
    value at STEPS (the advice ignored): Optuna records the trial COMPLETE, and so does the
    sampler's optimizer — "ok", no step, the value the GP's data — for the trials the pruner
    said prune to as for the others. A sampler attached to the stored study agrees."""
    def objective(trial: optuna.Trial) -> float:
        x = trial.suggest_float("x", -2.0, 2.0)
        for step in range(1, STEPS + 1):
            trial.report(_curve(x, step), step)
            if trial.should_prune() and "advised" not in trial.user_attrs:
                trial.set_user_attr("advised", step)
        return _curve(x, STEPS)

    study = optuna.create_study(
        study_name="s", storage=optuna_sqlite(), sampler=BayesoptSampler(seed=0),
        pruner=optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=2))
    study.optimize(objective, n_trials=10)
    _sync(study)
    advised = [t for t in study.trials if "advised" in t.user_attrs]
    assert len(advised) >= 3 and all(t.state == TrialState.COMPLETE for t in advised)
    expected = _expected(study)
    assert [status for _, status, _, _ in expected] == ["ok"] * 10
    assert _record(study.sampler) == expected
    assert len(study.sampler.optimizer._state.y_ok) == 10
    resumed = optuna.load_study(study_name="s", storage=optuna_sqlite(),
                                sampler=BayesoptSampler(seed=0))
    _sync(resumed)
    assert _record(resumed.sampler) == expected

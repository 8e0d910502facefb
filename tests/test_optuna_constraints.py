"""BayesoptSampler(constraints_func=...): Optuna's constraint key, its NaN and length rules,
constrained LogEI on a toy, and constraints read back from a stored study."""

from __future__ import annotations

import math
import warnings

import numpy as np
import optuna
import pytest
from optuna.distributions import FloatDistribution
from optuna.trial import TrialState, create_trial

from bayesopt import Optimizer, Real
from bayesopt.integrations.optuna import BayesoptSampler, MissingConstraintsWarning

optuna.logging.set_verbosity(optuna.logging.WARNING)

KEY = "constraints"  # optuna.study._constrained_optimization._CONSTRAINTS_KEY
DISTRIBUTIONS = {"x": FloatDistribution(-2.0, 2.0), "y": FloatDistribution(-2.0, 2.0)}


def toy(trial):
    """x² + y² subject to x + y ≥ 1 (c = 1 − x − y ≤ 0): f* = 0.5 at (0.5, 0.5), and the
    unconstrained minimum (0, 0) is infeasible."""
    x = trial.suggest_float("x", -2.0, 2.0)
    y = trial.suggest_float("y", -2.0, 2.0)
    trial.set_user_attr("c", [1.0 - x - y])
    return x * x + y * y


def toy_constraints(trial):
    return trial.user_attrs["c"]


def run(sampler, n_trials, storage=None, study_name=None, func=toy):
    study = optuna.create_study(sampler=sampler, storage=storage, study_name=study_name,
                                load_if_exists=True)
    study.optimize(func, n_trials=n_trials)
    return study


def sync(study):
    """Ask once more, so that the sampler tells its optimizer every finished trial."""
    trial = study.ask(DISTRIBUTIONS)
    return trial.params


def best_feasible(study):
    """The least value of a COMPLETE trial whose toy constraint (the user attribute, which
    every sampler sees) holds."""
    return min(t.value for t in study.trials
               if t.state == TrialState.COMPLETE and t.user_attrs["c"][0] <= 0)


def test_constraints_are_stored_under_optunas_key_and_told_to_the_optimizer():
    sampler = BayesoptSampler(seed=0, n_initial=5, constraints_func=toy_constraints)
    study = run(sampler, 12)
    for trial in study.trials:
        assert trial.system_attrs[KEY] == tuple(trial.user_attrs["c"])
        assert trial.constraints == {"0": trial.user_attrs["c"][0]}
    sync(study)
    optimizer = sampler.optimizer
    assert optimizer.n_constraints == 1
    told = {o.params["x"]: o.constraints for o in optimizer.history}
    assert told == {t.params["x"]: tuple(t.user_attrs["c"]) for t in study.trials[:12]}
    # bayesopt's best and Optuna's feasibility-aware best_trial are the best feasible trial
    assert optimizer.best.value == best_feasible(study) == study.best_value
    assert min(t.value for t in study.trials[:12]) < best_feasible(study)  # the least is not


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_constrained_toy_reaches_the_feasible_optimum(seed):
    """Told the constraint, the sampler ends at f* = 0.5; ignoring it, it would chase the
    infeasible (0, 0) (see test_a_sampler_without_constraints_misses_the_optimum)."""
    study = run(BayesoptSampler(seed=seed, n_initial=5, constraints_func=toy_constraints), 30)
    assert 0.5 <= best_feasible(study) < 0.51
    assert study.best_trial.constraints["0"] <= 0


def test_a_sampler_without_constraints_misses_the_optimum():
    """The control of the test above: without constraints_func the same runs stay farther
    from f* than its tolerance on every seed."""
    scores = [best_feasible(run(BayesoptSampler(seed=seed, n_initial=5), 30)) for seed in range(3)]
    assert min(scores) >= 0.51


def test_pruned_trials_store_their_constraints_and_failed_ones_do_not():
    def objective(trial):
        value = toy(trial)
        if trial.number == 6:
            raise optuna.TrialPruned()
        if trial.number == 7:
            raise RuntimeError("diverged")
        return value

    sampler = BayesoptSampler(seed=0, n_initial=5, constraints_func=toy_constraints)
    study = optuna.create_study(sampler=sampler)
    study.optimize(objective, n_trials=9, catch=(RuntimeError,))
    pruned, failed = study.trials[6], study.trials[7]
    assert pruned.state == TrialState.PRUNED and pruned.system_attrs[KEY] == tuple(
        pruned.user_attrs["c"])
    assert failed.state == TrialState.FAIL and KEY not in failed.system_attrs
    sync(study)
    statuses = {o.params["x"]: o.status for o in sampler.optimizer.history}
    assert statuses[pruned.params["x"]] == statuses[failed.params["x"]] == "failed"


def _nan_study(sampler):
    study = optuna.create_study(sampler=sampler)
    study.optimize(toy, n_trials=2)
    with pytest.raises(ValueError, match="Constraint values cannot be NaN") as raised:
        study.optimize(toy, n_trials=1)
    return study, str(raised.value)


@pytest.mark.filterwarnings("ignore:`constraints_func` has been deprecated:FutureWarning")
def test_nan_constraints_raise_and_store_none_as_optunas_samplers_do():
    def nan_at_two(trial):
        return [math.nan] if trial.number == 2 else trial.user_attrs["c"]

    ours, ours_error = _nan_study(BayesoptSampler(seed=0, n_initial=2,
                                                  constraints_func=nan_at_two))
    theirs, theirs_error = _nan_study(optuna.samplers.TPESampler(seed=0,
                                                                 constraints_func=nan_at_two))
    assert ours_error == theirs_error
    for study in (ours, theirs):
        trial = study.trials[2]
        assert trial.state == TrialState.COMPLETE and trial.system_attrs[KEY] is None
    with pytest.warns(MissingConstraintsWarning, match="trial 2 is COMPLETE with constraint "
                                                       r"values \{\}"):
        sync(ours)
    assert len(ours.sampler.optimizer.history) == 2  # trials 0 and 1; 2 is left out


@pytest.mark.filterwarnings("ignore:`constraints_func` has been deprecated:FutureWarning")
def test_a_value_that_is_not_a_list_or_tuple_warns_as_optunas_samplers_do():
    def as_array(trial):
        return np.array(trial.user_attrs["c"])

    for sampler in (BayesoptSampler(seed=0, constraints_func=as_array),
                    optuna.samplers.TPESampler(seed=0, constraints_func=as_array)):
        with pytest.warns(UserWarning, match="Constraints should be a sequence of floats but "
                                             "got ndarray"):
            study = run(sampler, 1)
        assert study.trials[0].system_attrs[KEY] == tuple(study.trials[0].user_attrs["c"])


def test_a_changing_number_of_constraints_raises_naming_both():
    def growing(trial):
        c = trial.user_attrs["c"]
        return c if trial.number < 3 else c + c

    sampler = BayesoptSampler(seed=0, n_initial=2, constraints_func=growing)
    study = run(sampler, 3)
    with pytest.raises(ValueError, match=r"returned 2 value\(s\) for trial 3 \(Optuna names "
                                         r"them \['0', '1'\]\), but the study's constraints "
                                         r"are the 1 of trial 0 \(\['0'\]\)"):
        study.optimize(toy, n_trials=1)
    assert study.trials[3].system_attrs[KEY] is None  # stored as Optuna stores a NaN's


@pytest.mark.parametrize("returned", [0.3, np.float64(0.3), np.array(0.3), "0.3", [[0.3]]])
def test_constraints_func_returning_no_sequence_of_numbers_raises_naming_it(returned):
    sampler = BayesoptSampler(seed=0, constraints_func=lambda trial: returned)
    study = optuna.create_study(sampler=sampler)
    with pytest.raises(TypeError, match=r"constraints_func returned .* for trial 0: it must "
                                        r"return a sequence of numbers, one per constraint"):
        study.optimize(toy, n_trials=1)
    assert study.trials[0].system_attrs[KEY] is None  # stored as Optuna stores a NaN's


def test_constraints_func_returning_a_numpy_number_names_it_as_the_number() -> None:
    sampler = BayesoptSampler(seed=0, constraints_func=lambda trial: np.float64(0.3))
    study = optuna.create_study(sampler=sampler)
    with pytest.raises(TypeError, match=r"^constraints_func returned 0\.3 for trial 0: "):
        study.optimize(toy, n_trials=1)


def test_invalid_constraints_arguments_raise():
    with pytest.raises(TypeError, match="constraints_func must be a callable.*got "
                                        "constraints_func=\\[0.0\\]"):
        BayesoptSampler(constraints_func=[0.0])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="n_constraints=1 needs acquisition in .* not 'ucb'"):
        BayesoptSampler(acquisition="ucb", constraints_func=toy_constraints)
    with pytest.raises(ValueError, match="n_constraints=2.*constraints_func="):
        BayesoptSampler(n_constraints=2, constraints_func=toy_constraints)


def test_trials_added_with_constraints_are_modelled_and_those_without_left_out():
    study = optuna.create_study(sampler=BayesoptSampler(seed=0, n_initial=3))
    for x, c in [(0.0, [1.0]), (1.0, [-0.5]), (0.5, None), (-1.0, [3.0])]:
        study.add_trial(create_trial(
            params={"x": x, "y": 0.0}, distributions=DISTRIBUTIONS, value=x * x,
            system_attrs={} if c is None else {KEY: c}))
    with pytest.warns(MissingConstraintsWarning, match="trial 2 .*the study's constraints "
                                                       r"are \['0'\]"):
        sync(study)
    history = study.sampler.optimizer.history
    assert {o.params["x"]: o.constraints for o in history} == {
        0.0: (1.0,), 1.0: (-0.5,), -1.0: (3.0,)}
    assert study.sampler.optimizer.best.params["x"] == 1.0  # the only feasible one


def test_a_study_becoming_constrained_is_replayed_with_its_constraints():
    """Trial.set_constraint (Optuna 5) from trial 4 on: the optimizer built before is
    rebuilt with n_constraints=1, with the same seed, and the first trials are left out."""
    def objective(trial):
        value = toy(trial)
        if trial.number >= 4:
            trial.set_constraint("c", trial.user_attrs["c"][0])
        return value

    sampler = BayesoptSampler(seed=0, n_initial=3)
    study = optuna.create_study(sampler=sampler)
    study.optimize(objective, n_trials=4)
    before = sampler.optimizer
    assert before.n_constraints is None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        study.optimize(objective, n_trials=3)
    missing = [w for w in caught if issubclass(w.category, MissingConstraintsWarning)]
    assert [str(w.message).split(" is ")[0] for w in missing] == [
        f"BayesoptSampler: trial {n}" for n in range(4)]
    after = sampler.optimizer
    assert after.n_constraints == 1 and after.seed == before.seed
    assert len(after.history) == 2  # trials 4 and 5 (6 is told at the next ask)


@pytest.mark.parametrize("constraints_func", [toy_constraints, None])
def test_a_sampler_on_a_stored_constrained_study_asks_what_a_native_optimizer_asks(
        optuna_sqlite, constraints_func):
    """A new sampler on an SQLite study (as in a second process), with or without
    constraints_func, asks what an `Optimizer(n_constraints=1)` of its seed told the stored
    trials and their stored constraints asks."""
    run(BayesoptSampler(seed=0, n_initial=5, constraints_func=toy_constraints), 10,
        storage=optuna_sqlite(), study_name="s")
    sampler = BayesoptSampler(seed=1, n_initial=5, constraints_func=constraints_func)
    study = optuna.load_study(study_name="s", storage=optuna_sqlite(), sampler=sampler)
    stored = study.trials
    asked = sync(study)
    native = Optimizer({"x": Real(-2.0, 2.0), "y": Real(-2.0, 2.0)}, seed=sampler.optimizer.seed,
                       n_initial=5, n_constraints=1)
    native.tell([t.params for t in stored], [t.value for t in stored],
                constraints=[list(t.system_attrs[KEY]) for t in stored])
    assert native.ask() == asked
    assert sampler.optimizer.best.value == best_feasible(study)


def test_an_infinite_constraint_value_is_told_as_a_failure():
    """Optuna stores ±inf (it refuses NaN only); the GP needs finite values, so the trial is
    told as a failure, as one whose objective value is infinite."""
    def inf_at_three(trial):
        return [math.inf] if trial.number == 3 else trial.user_attrs["c"]

    sampler = BayesoptSampler(seed=0, n_initial=3, constraints_func=inf_at_three)
    study = run(sampler, 6)
    assert study.trials[3].system_attrs[KEY] == (math.inf,)
    sync(study)
    failed = [(o.params["x"], o.error) for o in sampler.optimizer.history if not o.ok]
    assert failed == [(study.trials[3].params["x"],
                       "trial 3 has the non-finite constraint values {'0': inf}")]
    assert len(sampler.optimizer.history) == 6


def test_a_stored_trial_without_constraint_values_warns_how_to_keep_it() -> None:
    study = optuna.create_study(sampler=BayesoptSampler(seed=0, constraints_func=lambda t: [0.0]))
    study.add_trial(create_trial(params={"x": 0.5, "y": 0.0}, distributions=DISTRIBUTIONS,
                                 value=0.25))  # stored before a constraints_func existed
    study.add_trial(create_trial(params={"x": 0.1, "y": 0.0}, distributions=DISTRIBUTIONS,
                                 value=0.01, system_attrs={KEY: [-1.0]}))
    with pytest.warns(MissingConstraintsWarning, match=r"trial 0 is COMPLETE with constraint "
                      r"values \{\}.*has none, as f runs on new trials only: .*copy them into "
                      r"a new study with their values"):
        sync(study)

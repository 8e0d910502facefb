"""BayesoptSampler: Optuna's distributions, trial states, enqueue, direction, seeds, errors."""

from __future__ import annotations

import json
import math
import pickle
import re
import warnings

import numpy as np
import optuna
import pytest
from optuna.distributions import (
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from optuna.search_space import intersection_search_space
from optuna.trial import TrialState, create_trial

from bayesopt import Categorical, Integer, Optimizer, Real, SuccessiveHalving
from bayesopt.integrations._optuna_space import SpaceMap, is_supported, param_map
from bayesopt.integrations._optuna_structure import Condition, Structure, infer_structure
from bayesopt.integrations.optuna import (
    BayesoptSampler,
    IndependentSamplingWarning,
    StepResolutionWarning,
    TrialOutsideSpaceWarning,
)

optuna.logging.set_verbosity(optuna.logging.WARNING)

DISTRIBUTIONS = {
    "x": FloatDistribution(-5.0, 5.0),
    "lr": FloatDistribution(1e-5, 1e-1, log=True),
    "q": FloatDistribution(-1.0, 1.0, step=0.25),
    "n": IntDistribution(1, 8),
    "units": IntDistribution(16, 256, log=True),
    "even": IntDistribution(0, 10, step=2),
    "act": CategoricalDistribution(["relu", None, 1.5, True]),
}
NATIVE_SPACE = {  # what the sampler searches for DISTRIBUTIONS, in bayesopt's terms
    "x": Real(-5.0, 5.0),
    "lr": Real(1e-5, 1e-1, log=True),
    "q": Real(-1.0, 1.0, step=0.25),
    "n": Integer(1, 8),
    "units": Integer(16, 256, log=True),
    "even": Integer(0, 10, step=2),
    "act": Categorical([0, 1, 2, 3]),
}
INDEX_SPACE = {  # what it searched before 0.9.0: a stepped range as its grid's index
    **NATIVE_SPACE, "q": Integer(0, 8), "even": Integer(0, 5)}


def _value(params):
    act = {"relu": 0.0, None: 0.5, 1.5: 0.2, True: 0.3}[params["act"]]
    return ((params["x"] - 1) ** 2 + (math.log10(params["lr"]) + 3) ** 2 + params["q"] ** 2
            + (params["n"] - 3) ** 2 / 10 + params["even"] / 10 + act)


def _suggest_all(trial):
    return {
        "x": trial.suggest_float("x", -5.0, 5.0),
        "lr": trial.suggest_float("lr", 1e-5, 1e-1, log=True),
        "q": trial.suggest_float("q", -1.0, 1.0, step=0.25),
        "n": trial.suggest_int("n", 1, 8),
        "units": trial.suggest_int("units", 16, 256, log=True),
        "even": trial.suggest_int("even", 0, 10, step=2),
        "act": trial.suggest_categorical("act", ["relu", None, 1.5, True]),
    }


def mixed_objective(trial):
    return _value(_suggest_all(trial))


def run_study(sampler, n_trials, direction="minimize", func=mixed_objective):
    study = optuna.create_study(sampler=sampler, direction=direction)
    study.optimize(func, n_trials=n_trials)
    return study


# ------------------------------------------------------------ distributions
def test_each_distribution_maps_to_its_dimension():
    space = SpaceMap.from_distributions(DISTRIBUTIONS).space
    assert space.dimensions == tuple(d.named(name) for name, d in NATIVE_SPACE.items())


@pytest.mark.parametrize("name, values", [
    ("x", [-5.0, 0.1234, 5.0]),
    ("lr", [1e-5, 3.3e-4, 1e-1]),
    ("q", [-1.0, -0.25, 0.0, 0.75, 1.0]),
    ("n", [1, 5, 8]),
    ("units", [16, 100, 256]),
    ("even", [0, 4, 10]),
    ("act", ["relu", None, 1.5, True]),
])
def test_values_round_trip_between_optuna_and_the_optimizer(name, values):
    mapping = param_map(name, DISTRIBUTIONS[name])
    for value in values:
        inner = mapping.dimension.validate(mapping.to_optimizer(value))
        back = mapping.to_optuna(inner)
        assert back == value and type(back) is type(value)


def test_suggestions_lie_in_their_distributions_with_python_types():
    study = run_study(BayesoptSampler(seed=0), 14)
    for trial in study.trials[1:]:  # trial 0 is random: no completed trial defines a space yet
        for name, dist in DISTRIBUTIONS.items():
            value = trial.params[name]
            assert dist._contains(dist.to_internal_repr(value)), (name, value)
            if name != "act":
                assert type(value) is (int if isinstance(dist, IntDistribution) else float)
    assert len(study.sampler.optimizer.history) == 13


def test_unmappable_distributions_raise_naming_the_parameter():
    with pytest.raises(TypeError, match="'u'"):
        param_map("u", object())
    with pytest.raises(ValueError, match="'s'.*single value"):
        param_map("s", IntDistribution(3, 3))


# ---------------------------------------------------------- trial states
def _add(study, state, params, **kwargs):
    distributions = {name: DISTRIBUTIONS[name] for name in params}
    study.add_trial(create_trial(params=params, distributions=distributions, state=state, **kwargs))


def _point(x):
    return {"x": x, "lr": 1e-3, "q": 0.5, "n": 2, "units": 32, "even": 4, "act": None}


def test_trials_of_every_state_are_told_once():
    study = optuna.create_study(sampler=BayesoptSampler(seed=0))
    _add(study, TrialState.COMPLETE, _point(0.0), value=1.5)
    _add(study, TrialState.FAIL, _point(1.0))
    _add(study, TrialState.PRUNED, _point(2.0), intermediate_values={3: 9.0, 7: 8.0})
    _add(study, TrialState.RUNNING, _point(3.0))
    _add(study, TrialState.RUNNING, {"x": 4.0})  # not all of its parameters set yet
    _add(study, TrialState.COMPLETE, _point(-1.0), value=math.inf)
    _add(study, TrialState.PRUNED, _point(-2.0))  # pruned before any report
    asked = _suggest_all(study.ask())
    optimizer = study.sampler.optimizer
    record = [(o.params["x"], o.status, o.value, o.step, o.error) for o in optimizer.history]
    assert sorted(record, key=lambda r: r[0]) == [
        (-2.0, "failed", None, None, "trial 6 pruned before any report"),
        (-1.0, "failed", None, None, "trial 5 returned the non-finite value inf"),
        (0.0, "ok", 1.5, None, None),
        (1.0, "failed", None, None, "trial 1 failed"),
        (2.0, "pruned", 8.0, 7.0, None),  # its last intermediate value, at its last step
    ]
    native_running = SpaceMap.from_distributions(DISTRIBUTIONS).to_optimizer(
        _point(3.0), DISTRIBUTIONS)
    assert optimizer.pending[0] == native_running
    assert [p["x"] for p in optimizer.pending] == [3.0, asked["x"]]
    _suggest_all(study.ask())  # nothing changed state: nothing is told again
    assert len(optimizer.history) == 5 and len(optimizer.pending) == 3


def _two_workers(optuna_sqlite, seed_b):
    """Workers A (seed 0) and B on one SQLite study, after three trials of A."""
    worker_a = optuna.create_study(study_name="s", storage=optuna_sqlite(),
                                   sampler=BayesoptSampler(seed=0))
    worker_b = optuna.load_study(study_name="s", storage=optuna_sqlite(),
                                 sampler=BayesoptSampler(seed=seed_b))
    for _ in range(3):
        trial = worker_a.ask()
        worker_a.tell(trial, _value(_suggest_all(trial)))
    return worker_a, worker_b


def test_a_running_trial_of_another_worker_is_pending_then_told(optuna_sqlite):
    worker_a, worker_b = _two_workers(optuna_sqlite, seed_b=1)
    in_flight = worker_a.ask()
    in_flight_params = _suggest_all(in_flight)
    own = worker_b.ask()
    _suggest_all(own)
    optimizer = worker_b.sampler.optimizer
    mapping = SpaceMap.from_distributions(DISTRIBUTIONS)
    assert mapping.to_optimizer(in_flight_params, DISTRIBUTIONS) in optimizer.pending
    worker_a.tell(in_flight, 0.25)
    worker_b.tell(own, 1.0)
    _suggest_all(worker_b.ask())
    assert 0.25 in [o.value for o in optimizer.history]
    assert len(optimizer.history) == 5 and len(optimizer.pending) == 1


def test_a_worker_s_sampled_point_is_pending_elsewhere_before_its_objective_suggests_it(
        optuna_sqlite):
    """Two processes of one script (the same seed) on one SQLite study: the point worker A
    sampled is another worker's pending point from the moment it is sampled, not once the
    objective has suggested all of it, so worker B does not draw the same point."""
    worker_a, worker_b = _two_workers(optuna_sqlite, seed_b=0)
    in_flight = worker_a.ask()
    in_flight.suggest_float("x", -5.0, 5.0)  # samples the whole point; the rest not yet set
    sampled = dict(in_flight.relative_params)
    own = worker_b.ask()
    assert _suggest_all(own) != sampled
    mapping = SpaceMap.from_distributions(DISTRIBUTIONS)
    optimizer = worker_b.sampler.optimizer
    assert mapping.to_optimizer(sampled, DISTRIBUTIONS) in optimizer.pending
    assert _suggest_all(in_flight) == sampled  # the point it went on to suggest
    worker_a.tell(in_flight, 0.25)
    worker_b.tell(own, 1.0)
    _suggest_all(worker_b.ask())
    assert worker_b.sampler.optimizer is optimizer  # told where it was pending: no rebuild
    assert 0.25 in [o.value for o in optimizer.history]
    assert len(optimizer.history) == 5 and len(optimizer.pending) == 1


@pytest.mark.parametrize("stored", ["[" * 100_000 + "]" * 100_000, "5", '{"x": 1}',
                                    '{"x": ["?", 1]}'])
def test_a_damaged_stored_point_of_a_running_trial_is_refused_naming_the_trial(optuna_sqlite,
                                                                              stored):
    """The point a worker's sampler stores in a running trial's system attributes, read by
    the other workers, raised json's RecursionError when nested 5000 deep on Python 3.11
    (3.13's decoder reads 5000 levels: 100 000 are past it on every version; a shared SQLite
    study damaged or written by another program), and AttributeError or TypeError when no
    {name: [distribution, value]} object; each is now a ValueError naming the trial."""
    worker_a, worker_b = _two_workers(optuna_sqlite, seed_b=1)
    in_flight = worker_a.ask()
    in_flight.suggest_float("x", -5.0, 5.0)
    worker_a._storage.set_trial_system_attr(in_flight._trial_id, "bayesopt:relative_params:0",
                                            stored)
    with pytest.raises(ValueError, match=f"trial {in_flight.number}: the point this sampler "
                                         "stored .* cannot be read"):
        _suggest_all(worker_b.ask())


@pytest.mark.parametrize(("name", "internal"), [
    ("lr", 7.0), ("lr", "abc"), ("lr", None), ("lr", float("nan")), ("lr", True),
    ("n", 2.5), ("n", 99.0), ("units", "20"), ("even", 3.0), ("q", 0.3),
    ("act", 7), ("act", -1), ("act", 1.5), ("act", True), ("act", "relu"),
])
def test_a_stored_point_outside_its_distribution_is_refused_naming_trial_and_value(
        optuna_sqlite, name, internal):
    """A stored point that parses but holds a value its own distribution does not (in
    Optuna's internal representation; `_publish` stores none) was read on: a choice index
    past the end raised IndexError, a text or null value TypeError, both naming nothing; a
    negative or fractional index or a bool became another choice, a fractional or textual
    int was rounded or converted, and a number outside the range or off the step left the
    trial out with a `TrialOutsideSpaceWarning` blaming an enqueued trial (jsonl2). As
    Optuna refuses a trial whose value its distribution does not contain
    (`FrozenTrial._validate`), each is now the damaged point's ValueError, naming the
    trial, the parameter and the value."""
    from optuna.distributions import distribution_to_json

    worker_a, worker_b = _two_workers(optuna_sqlite, seed_b=1)
    in_flight = worker_a.ask()
    in_flight.suggest_float("x", -5.0, 5.0)  # x is the trial's own; the rest stored only
    point = {key: [distribution_to_json(dist), dist.to_internal_repr(in_flight.relative_params[key])]
             for key, dist in DISTRIBUTIONS.items()}
    point[name][1] = internal
    worker_a._storage.set_trial_system_attr(in_flight._trial_id, "bayesopt:relative_params:0",
                                            json.dumps(point))
    with pytest.raises(ValueError, match=re.escape(
            f"trial {in_flight.number}: the point this sampler stored in its system attributes "
            f"'bayesopt:relative_params':0... cannot be read (its parameter {name!r} holds "
            f"{internal!r}, which is no value of {DISTRIBUTIONS[name]!r}")):
        _suggest_all(worker_b.ask())


class _OtherSamplesMeanwhile(BayesoptSampler):
    """A sampler during whose sampling, after it read the study and before it asks, another
    worker samples (two processes fitting at once): `meanwhile` runs there once."""

    def __init__(self, meanwhile, **kwargs):
        super().__init__(**kwargs)
        self.meanwhile = [meanwhile]

    def _follower(self, *args):
        follower = super()._follower(*args)
        while self.meanwhile:
            self.meanwhile.pop()()
        return follower


def test_two_workers_sampling_at_once_do_not_suggest_the_same_point(optuna_sqlite):
    """Worker A samples and stores its point while worker B (the same seed) is sampling,
    from the same trials: B draws that point too, finds it stored on A's trial before
    storing its own, and asks again with it pending."""
    worker_a, _ = _two_workers(optuna_sqlite, seed_b=0)
    in_flight = worker_a.ask()
    worker_b = optuna.load_study(
        study_name="s", storage=optuna_sqlite(),
        sampler=_OtherSamplesMeanwhile(lambda: in_flight.suggest_float("x", -5.0, 5.0),
                                       seed=0))
    own = worker_b.ask()
    mine = _suggest_all(own)
    sampled = dict(in_flight.relative_params)
    assert mine != sampled
    mapping = SpaceMap.from_distributions(DISTRIBUTIONS)
    pending = worker_b.sampler.optimizer.pending
    assert pending == [mapping.to_optimizer(p, DISTRIBUTIONS) for p in (sampled, mine)]


def test_enqueued_trials_are_told_and_leave_no_pending_ask():
    sampler = BayesoptSampler(seed=0)
    study = run_study(sampler, 4)
    enqueued = {**_point(0.5), "act": "relu"}
    study.enqueue_trial(enqueued)
    study.enqueue_trial({"x": -0.5})  # partly fixed: the other parameters come from the GP
    study.optimize(mixed_objective, n_trials=3)
    assert study.trials[4].params == enqueued
    assert study.trials[5].params["x"] == -0.5
    _suggest_all(study.ask())
    optimizer = sampler.optimizer
    told = [o.params["x"] for o in optimizer.history]
    assert len(told) == 7 and 0.5 in told and -0.5 in told
    assert len(optimizer.pending) == 1  # only the trial just asked


def test_two_running_trials_of_one_point_are_two_pending_evaluations():
    """Enqueued twice and both running: each is its own evaluation (add_pending with
    repeat=True), so the sampler's next ask neither fails nor counts the point once."""
    sampler = BayesoptSampler(seed=0)
    study = run_study(sampler, 4)
    enqueued = {**_point(0.5), "act": "relu"}
    study.enqueue_trial(enqueued)
    study.enqueue_trial(enqueued)
    first, second = study.ask(), study.ask()
    assert _suggest_all(first) == _suggest_all(second) == enqueued
    own = study.ask()
    _suggest_all(own)
    pending = sampler.optimizer.pending
    point = SpaceMap.from_distributions(DISTRIBUTIONS).to_optimizer(enqueued, DISTRIBUTIONS)
    assert len(pending) == 3 and pending.count(point) == 2
    study.tell(first, 1.0)
    study.tell(second, 1.5)
    study.tell(own, 2.0)
    _suggest_all(study.ask())
    assert len(sampler.optimizer.history) == 7 and len(sampler.optimizer.pending) == 1


def test_maximize_follows_the_study_direction():
    def peak(trial):
        return -(trial.suggest_float("x", -3.0, 3.0) - 1.2) ** 2

    study = run_study(BayesoptSampler(seed=0), 20, direction="maximize", func=peak)
    optimizer = study.sampler.optimizer
    told = [t.value for t in study.trials[:19]]  # the last trial is told at the next ask
    assert optimizer.maximize
    assert [o.value for o in optimizer.history] == told
    assert optimizer.best.value == max(told) and study.best_value > -1e-3


# ------------------------------------------------- independent sampling
def test_parameters_outside_the_relative_space_are_sampled_at_random_and_warned_once():
    """ya's presence follows a float (no categorical explains it) and yb's range changes
    with the trial: neither can be modelled, so both are sampled at random."""
    def conditional(trial):
        kind = trial.suggest_categorical("kind", ["a", "b"])
        x = trial.suggest_float("x", 0.0, 1.0)
        ya = trial.suggest_float("ya", 0, 1) if x > 0.5 else 0.0
        return x + ya + trial.suggest_int("yb", 0, 3 + trial.number % 2) + (kind == "a")

    study = optuna.create_study(sampler=BayesoptSampler(seed=0))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        study.optimize(conditional, n_trials=12)
    assert {t.params["x"] > 0.5 for t in study.trials} == {True, False}
    messages = [str(w.message) for w in caught if w.category is IndependentSamplingWarning]
    assert sorted(m.split("'")[1] for m in messages) == ["ya", "yb"]
    assert all("RandomSampler" in m for m in messages)
    assert study.sampler.optimizer.space.names == ("kind", "x")


# ---------------------------------------------------------------- errors
def test_multi_objective_studies_raise():
    study = optuna.create_study(directions=["minimize", "maximize"], sampler=BayesoptSampler())
    with pytest.raises(ValueError, match="single-objective studies only"):
        study.optimize(lambda t: (t.suggest_float("x", 0, 1), 0.0), n_trials=1)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"constraints_func": 0.0}, TypeError, "constraints_func must be a callable.*=0.0"),
    ({"maximize": True}, TypeError, "maximize=True.*direction"),
    ({"journal": "run.jsonl"}, TypeError, "journal='run.jsonl'"),
    ({"storage": "sqlite:///tune.db", "study": "s"}, TypeError,
     "storage='sqlite:///tune.db': the Optuna storage records the study"),
    ({"study": "s"}, TypeError, "study='s': the Optuna storage records the study"),
    ({"pruner": SuccessiveHalving()}, TypeError,
     "pruner=SuccessiveHalving.*create_study\\(pruner=.*records it pruned at its last step"),
    ({"acquisition": "qei"}, ValueError, "acquisition='qei'"),
    ({"n_initial": -1}, ValueError, "n_initial=-1"),
    ({"seed": 1.5}, TypeError, "seed=1.5"),
    ({"seed": 2**32}, ValueError, "seed=4294967296 must be below 2\\*\\*32"),
    ({"acqusition": "ei"}, TypeError, "acqusition=; did you mean acquisition="),
    ({"n_startup_trials": 5}, TypeError, "n_startup_trials=; write n_initial="),
    ({"random_state": 0}, TypeError, "random_state=; write seed="),
    # GPSampler's other arguments: why there is none here, and what to do instead
    ({"deterministic_objective": True}, TypeError,
     "deterministic_objective=: .*ModelOptions\\(noise_variance="),
    ({"independent_sampler": None}, TypeError, "independent_sampler=: .*RandomSampler"),
    ({"warn_independent_sampling": False}, TypeError,
     "warn_independent_sampling=: .*IndependentSamplingWarning"),
    ({"n_constraints": 1}, ValueError, "n_constraints=1.*constraints_func"),
    ({"feasible": lambda p: True}, ValueError, "feasible=.*relative search space"),
    # the sampler sends no heartbeats, so it expired trials still running: Optuna's does it
    ({"pending_timeout": 60}, TypeError,
     "pending_timeout=60: .*RDBStorage\\(url, heartbeat_interval=.*FAIL"),
    # a numpy number is named as the number it is (was "n_constraints=np.int64(1)")
    ({"n_constraints": np.int64(1)}, ValueError,
     "^BayesoptSampler does not support n_constraints=1: "),
    ({"pending_timeout": np.float64(60.0)}, TypeError,
     "^BayesoptSampler got pending_timeout=60\\.0: "),
])
def test_invalid_arguments_raise(kwargs, error, match):
    with pytest.raises(error, match=match):
        BayesoptSampler(**kwargs)


def test_completed_trials_are_told_with_their_duration_as_cost():
    """acquisition="logei_per_cost" models the cost told: a trial's wall time (Optuna's
    `FrozenTrial.duration`), as `minimize` tells each evaluation's."""
    sampler = BayesoptSampler(seed=0, acquisition="logei_per_cost", n_initial=3)
    study = run_study(sampler, 6)
    _suggest_all(study.ask())  # syncs the sixth trial
    durations = {t.params["x"]: t.duration.total_seconds() for t in study.trials
                 if t.state == TrialState.COMPLETE}
    costs = {o.params["x"]: o.cost for o in sampler.optimizer.history}
    assert costs == durations and len(costs) == 6
    assert sampler.optimizer.total_cost == pytest.approx(sum(durations.values()))


def test_failed_trials_count_their_duration_in_total_cost_only():
    """A failed trial's wall time was spent: it counts in the optimizer's total cost, not in
    its cost GP (`bayesopt.outcomes`)."""
    def objective(trial):
        x = trial.suggest_float("x", 0.0, 1.0)
        if x > 0.5:
            raise RuntimeError("diverged")
        return x

    sampler = BayesoptSampler(seed=0, acquisition="logei_per_cost", n_initial=3)
    study = optuna.create_study(sampler=sampler)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study.optimize(objective, n_trials=6, catch=(RuntimeError,))
    with pytest.warns(IndependentSamplingWarning):  # no completed trial has _suggest_all's
        _suggest_all(study.ask())
    failed = {t.params["x"]: t.duration.total_seconds() for t in study.trials
              if t.state == TrialState.FAIL}
    assert failed
    assert {o.params["x"]: o.cost for o in sampler.optimizer.history if not o.ok} == failed
    total = sum(t.duration.total_seconds() for t in study.trials if t.duration is not None)
    assert sampler.optimizer.total_cost == pytest.approx(total)


@pytest.mark.parametrize("name", ["same", "other"])
def test_a_sampler_reused_on_another_study_models_that_study_only(name):
    """A sampler given a second study (as Optuna's samplers may be) models that study's
    trials only: with the first study's name it went on modelling the first study's
    trials and never told the second's (all 8 of its trials asked near the first's
    optimum, 0.5), and with another name it raised ValueError in the second's trial."""
    sampler = BayesoptSampler(seed=0, n_initial=3)
    first = optuna.create_study(study_name="exp", sampler=sampler)
    first.optimize(lambda t: (t.suggest_float("x", -1, 1) - 0.5) ** 2, n_trials=6)
    second = optuna.create_study(study_name="exp" if name == "same" else "exp2",
                                 sampler=sampler)
    second.optimize(lambda t: (t.suggest_float("x", -1, 1) + 0.5) ** 2, n_trials=8)
    second.ask().suggest_float("x", -1, 1)  # syncs the last trial
    told = [o.params["x"] for o in sampler.optimizer.history]
    assert told == [t.params["x"] for t in second.trials if t.state == TrialState.COMPLETE]


# --------------------------------------------------------- reproducibility
def test_same_seed_same_trials_and_other_seed_other_trials():
    first, again, other = (run_study(BayesoptSampler(seed=s), 10) for s in (3, 3, 4))
    assert [t.params for t in first.trials] == [t.params for t in again.trials]
    assert [t.params for t in first.trials] != [t.params for t in other.trials]


def test_reseed_rng_changes_the_trials():
    reseeded = BayesoptSampler(seed=3)
    reseeded.reseed_rng()
    first, second = run_study(BayesoptSampler(seed=3), 8), run_study(reseeded, 8)
    assert [t.params for t in first.trials] != [t.params for t in second.trials]


def test_the_sampler_asks_what_a_native_optimizer_fed_the_same_trials_asks():
    sampler = BayesoptSampler(seed=5, n_initial=6)
    study = run_study(sampler, 14)
    mapping = SpaceMap.from_distributions(DISTRIBUTIONS)
    # Optuna's intersection space is sorted by name, and so is the optimizer's
    native = Optimizer(dict(sorted(NATIVE_SPACE.items())), seed=sampler.optimizer.seed,
                       n_initial=6)
    index = Optimizer(dict(sorted(INDEX_SPACE.items())), seed=sampler.optimizer.seed,
                      n_initial=6)

    def indices(point):
        return {**point, "q": round((point["q"] + 1.0) / 0.25), "even": point["even"] // 2}

    trials = study.trials
    native.tell(mapping.to_optimizer(trials[0].params, DISTRIBUTIONS), trials[0].value)
    index.tell(indices(mapping.to_optimizer(trials[0].params, DISTRIBUTIONS)), trials[0].value)
    for trial in trials[1:]:
        asked = native.ask()
        assert mapping.to_optuna(asked) == trial.params, trial.number
        assert index.ask() == indices(asked), trial.number  # the asks before 0.9.0
        native.tell(asked, trial.value)
        index.tell(indices(asked), trial.value)


def test_a_pickled_sampler_continues_the_study():
    study = run_study(BayesoptSampler(seed=0), 6)
    study.sampler = pickle.loads(pickle.dumps(study.sampler))
    assert study.sampler.optimizer is None  # rebuilt from the study on first use
    study.optimize(mixed_objective, n_trials=2)
    assert len(study.sampler.optimizer.history) == 7
    values = np.array([t.value for t in study.trials])
    assert np.all(np.isfinite(values))


def test_trials_a_pruner_stops_are_told_as_pruned_runs():
    """They were told as failures (tests/test_optuna_pruned.py has every path)."""

    def curve(trial):
        x = trial.suggest_float("x", -3.0, 3.0)
        for step in range(8):
            trial.report((x - 1) ** 2 + 1 / (step + 1), step)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return (x - 1) ** 2

    study = optuna.create_study(sampler=BayesoptSampler(seed=0),
                                pruner=optuna.pruners.MedianPruner(n_startup_trials=3))
    study.optimize(curve, n_trials=16)
    study.ask().suggest_float("x", -3.0, 3.0)  # the next sampling tells the last trial
    pruned = [t for t in study.trials if t.state == TrialState.PRUNED]
    told = [o for o in study.sampler.optimizer.history if o.status == "pruned"]
    assert len(pruned) >= 2
    assert sorted((o.params["x"], o.step, o.value) for o in told) == sorted(
        (t.params["x"], t.last_step, t.intermediate_values[t.last_step]) for t in pruned)
    assert not [o for o in study.sampler.optimizer.history if o.status == "failed"]


def test_sampling_a_trial_again_returns_its_point_and_asks_nothing_new():
    study = run_study(BayesoptSampler(seed=0), 3)
    trial = study.ask()
    _suggest_all(trial)
    frozen = study.trials[-1]
    again = study.sampler.sample_relative(study, frozen, DISTRIBUTIONS)
    assert again == frozen.params
    assert len(study.sampler.optimizer.pending) == 1


def test_an_enqueued_trial_outside_the_space_is_left_out_with_one_warning():
    """Optuna runs an enqueued trial whose fixed values lie outside their distribution
    (with its own warning). Telling it raised ValueError in every later trial's
    sample_relative, so the study could not go on."""
    def objective(trial: optuna.Trial) -> float:
        return (trial.suggest_float("x", -5, 5) - 1) ** 2 + trial.suggest_int("n", 1, 9, step=2)

    study = optuna.create_study(sampler=BayesoptSampler(seed=0, n_initial=3))
    study.enqueue_trial({"x": 7.0, "n": 3})  # x outside [-5, 5]
    study.enqueue_trial({"x": 0.5, "n": 4})  # n off the grid 1, 3, …, 9
    study.enqueue_trial({"x": 0.5, "n": 5})  # inside: told
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        study.optimize(objective, n_trials=8)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 8
    refused = [str(w.message) for w in caught if w.category is TrialOutsideSpaceWarning]
    assert len(refused) == 2, refused
    assert refused[0].startswith("BayesoptSampler: trial 0 has {'x': 7.0}, outside the range")
    assert refused[1].startswith("BayesoptSampler: trial 1 has {'n': 4}, outside the range")
    optimizer = study.sampler.optimizer
    assert optimizer is not None
    told = [o.params for o in optimizer.history]  # trials 2–6 (7 ends after the last sync)
    assert len(told) == 5 and {"x": 0.5, "n": 5} in told  # Integer(1, 9, step=2) holds 5


# ------------------------------------------------------ conditional spaces
MODEL = CategoricalDistribution(["svm", "rf"])
KERNEL = CategoricalDistribution(["rbf", "linear"])
C_DIST = FloatDistribution(1e-3, 1e3, log=True)
GAMMA = FloatDistribution(1e-4, 1.0, log=True)
DEPTH = IntDistribution(1, 10)


def _trial(value=1.0, state=TrialState.COMPLETE, **params):
    known = {"model": MODEL, "kernel": KERNEL, "C": C_DIST, "gamma": GAMMA, "depth": DEPTH}
    return create_trial(params=params, distributions={n: known[n] for n in params},
                        value=value if state == TrialState.COMPLETE else None, state=state)


def toy(trial):
    """Two branches: svm tunes C (best 0.2 at C = 1), rf tunes depth (best 0.1 at 4)."""
    if trial.suggest_categorical("model", ["svm", "rf"]) == "svm":
        return abs(math.log10(trial.suggest_float("C", 1e-3, 1e3, log=True))) + 0.2
    return 0.3 * abs(trial.suggest_int("depth", 1, 10) - 4) + 0.1


def nested(trial):
    """svm with a kernel, gamma only under rbf; rf with a depth."""
    if trial.suggest_categorical("model", ["svm", "rf"]) == "svm":
        c = abs(math.log10(trial.suggest_float("C", 1e-3, 1e3, log=True)))
        if trial.suggest_categorical("kernel", ["rbf", "linear"]) == "rbf":
            return c + abs(math.log10(trial.suggest_float("gamma", 1e-4, 1.0, log=True)) + 2)
        return c + 0.5
    return 0.3 * abs(trial.suggest_int("depth", 1, 10) - 4) + 0.4


def test_a_parameter_present_with_one_choice_of_a_categorical_is_conditional_on_it():
    structure = infer_structure([
        _trial(model="svm", C=1.0), _trial(model="rf", depth=3), _trial(model="svm", C=5.0),
        _trial(state=TrialState.FAIL, model="svm"),  # only COMPLETE trials define the space
    ])
    assert structure.distributions == {"C": C_DIST, "depth": DEPTH, "model": MODEL}
    assert structure.conditions == {"C": Condition("model", (0,)),
                                    "depth": Condition("model", (1,))}


def test_a_parameter_under_a_conditional_categorical_is_nested():
    structure = infer_structure([
        _trial(model="svm", C=1.0, kernel="rbf", gamma=0.1),
        _trial(model="svm", C=2.0, kernel="linear"),
        _trial(model="rf", depth=3),
    ])
    assert structure.conditions == {"C": Condition("model", (0,)),
                                    "kernel": Condition("model", (0,)),
                                    "gamma": Condition("kernel", (0,)),
                                    "depth": Condition("model", (1,))}
    space = SpaceMap.from_distributions(
        structure.distributions, {n: (c.parent, c.allowed) for n, c in structure.conditions.items()}
    ).space
    assert space["gamma"].when == {"kernel": (0,)} and space["model"].when is None


@pytest.mark.parametrize("trials, independent", [
    # C is missing from one svm trial: its presence is no function of model
    ([_trial(model="svm", C=1.0), _trial(model="svm"), _trial(model="rf", depth=3)], ["C"]),
    # C's range changed between trials
    ([_trial(model="svm", C=1.0), _trial(model="rf", depth=3),
      create_trial(params={"model": "svm", "C": 2.0}, value=1.0,
                   distributions={"model": MODEL, "C": FloatDistribution(1e-2, 1e2, log=True)})],
     ["C"]),
    # no categorical parent at all
    ([create_trial(params={"x": 0.3}, distributions={"x": FloatDistribution(0, 1)}, value=1.0),
      create_trial(params={"x": 0.7, "y": 1.0}, value=1.0,
                   distributions={"x": FloatDistribution(0, 1), "y": FloatDistribution(0, 2)})],
     ["y"]),
])
def test_parameters_no_categorical_explains_stay_out_of_the_space(trials, independent):
    structure = infer_structure(trials)
    assert not set(independent) & set(structure.distributions)
    assert not set(independent) & set(structure.conditions)


def test_a_trial_is_told_only_with_exactly_its_active_parameters():
    mapping = SpaceMap.from_distributions({"C": C_DIST, "depth": DEPTH, "model": MODEL},
                                          {"C": ("model", (0,)), "depth": ("model", (1,))})
    dists = {"model": MODEL, "C": C_DIST, "depth": DEPTH}
    assert mapping.to_optimizer({"model": "svm", "C": 2.0}, dists) == {"C": 2.0, "model": 0}
    assert mapping.to_optimizer({"model": "rf", "depth": 4}, dists) == {"depth": 4, "model": 1}
    assert mapping.to_optimizer({"model": "svm"}, dists) is None  # active C missing
    assert mapping.to_optimizer({"model": "rf", "depth": 4, "C": 2.0}, dists) is None  # inactive C
    assert mapping.to_optuna({"model": 1, "depth": 4}) == {"model": "rf", "depth": 4}
    with pytest.raises(ValueError, match="'gamma'"):
        SpaceMap.from_distributions({"model": MODEL}, {"gamma": ("model", (0,))})


class _Recording(BayesoptSampler):
    """Records, per trial, what sample_relative returned and which names went independent."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.relative, self.independent = {}, {}

    def sample_relative(self, study, trial, search_space):
        self.relative[trial.number] = out = super().sample_relative(study, trial, search_space)
        return out

    def sample_independent(self, study, trial, param_name, param_distribution):
        self.independent.setdefault(trial.number, []).append(param_name)
        return super().sample_independent(study, trial, param_name, param_distribution)



# A conditional parameter is sampled independently (IndependentSamplingWarning, once per
# parameter) until the completed trials show its condition, as Optuna's own samplers warn;
# the tests below are about what happens next (the warning itself: test_parameters_outside_
# the_relative_space_are_sampled_at_random_and_warned_once).
FIRST_SEEN_INDEPENDENTLY = pytest.mark.filterwarnings(
    "ignore::bayesopt.integrations.optuna.IndependentSamplingWarning")

@FIRST_SEEN_INDEPENDENTLY
def test_conditional_parameters_are_chosen_by_the_optimizer_in_both_branches():
    """With the intersection alone (before), C and depth were sampled at random after trial 1
    and the GP kept choosing one branch: never in sample_relative's output."""
    sampler = _Recording(seed=0)
    study = run_study(sampler, 24, func=toy)
    models = [t.params["model"] for t in study.trials]
    known = max(models.index("svm"), models.index("rf")) + 1  # both branches completed
    for trial in study.trials[known + 1:]:
        assert trial.number not in sampler.independent, trial.number
        assert trial.params == sampler.relative[trial.number], trial.number
    later = [sampler.relative[n] for n in range(known + 1, 24)]
    assert sum("C" in r for r in later) >= 2 and sum("depth" in r for r in later) >= 2
    optimizer = sampler.optimizer
    assert optimizer.space["C"].when == {"model": (0,)}
    assert optimizer.space["depth"].when == {"model": (1,)}
    pending = optimizer.pending[0]  # the last trial, asked by the optimizer, not yet told
    assert SpaceMap.from_distributions(
        {"C": C_DIST, "depth": DEPTH, "model": MODEL},
        {"C": ("model", (0,)), "depth": ("model", (1,))}).to_optuna(pending) == study.trials[-1].params


@FIRST_SEEN_INDEPENDENTLY
def test_nested_conditional_parameters_are_modelled():
    sampler = _Recording(seed=1)
    study = run_study(sampler, 20, func=nested)
    assert sampler.optimizer.space["gamma"].when == {"kernel": (0,)}
    assert any("gamma" in sampler.relative[t.number] for t in study.trials[10:])


class _IntersectionOnly(BayesoptSampler):
    """The sampler before conditions were inferred: Optuna's intersection search space only."""

    @staticmethod
    def _infer(trials):
        space = intersection_search_space(list(trials))
        return Structure({name: d for name, d in space.items() if is_supported(d)})


def _changing_range(trial):
    x = trial.suggest_float("x", -3.0, 3.0)
    return (x - 1) ** 2 + trial.suggest_float("y", 0.0, 1.0 if trial.number < 5 else 2.0)


@pytest.mark.parametrize("func, n_trials", [(mixed_objective, 12), (_changing_range, 10),
                                            (toy, 2)])
def test_an_unconditional_study_samples_what_the_intersection_only_sampler_did(func, n_trials):
    """No parameter is conditional: every suggestion is the intersection-only sampler's."""
    studies = []
    for sampler in (BayesoptSampler(seed=4, n_initial=4), _IntersectionOnly(seed=4, n_initial=4)):
        study = optuna.create_study(sampler=sampler)
        study.enqueue_trial({"x": 0.5} if func is not toy else {"model": "svm"})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", IndependentSamplingWarning)
            study.optimize(func, n_trials=n_trials)
        studies.append(study)
    new, old = studies
    assert [t.params for t in new.trials] == [t.params for t in old.trials]
    assert [t.value for t in new.trials] == [t.value for t in old.trials]
    assert not new.sampler.optimizer.space.conditional


@FIRST_SEEN_INDEPENDENTLY
def test_a_conditional_study_runs_on_threads_and_in_a_shared_sqlite_storage(optuna_sqlite):
    threaded = optuna.create_study(sampler=BayesoptSampler(seed=0))
    threaded.optimize(toy, n_trials=16, n_jobs=2)
    assert [t.state for t in threaded.trials] == [TrialState.COMPLETE] * 16
    assert threaded.sampler.optimizer.space.conditional
    a = optuna.create_study(study_name="s", storage=optuna_sqlite(),
                            sampler=BayesoptSampler(seed=0))
    b = optuna.load_study(study_name="s", storage=optuna_sqlite(), sampler=BayesoptSampler(seed=1))
    for study in (a, b, a, b, a, b):
        trial = study.ask()
        study.tell(trial, toy(trial))
    in_flight = a.ask()
    toy(in_flight)  # suggests all its active parameters, then stays RUNNING
    own = b.ask()
    toy(own)
    optimizer = b.sampler.optimizer
    assert optimizer.space.conditional
    assert len(optimizer.history) == 6 and len(optimizer.pending) == 2
    mapping = b.sampler._latest.map  # the other worker's running trial is a pending point
    assert mapping.to_optimizer(in_flight.params, in_flight.distributions) in optimizer.pending


@FIRST_SEEN_INDEPENDENTLY
def test_a_pickled_or_reseeded_sampler_continues_a_conditional_study():
    study = run_study(BayesoptSampler(seed=0), 8, func=toy)
    study.sampler = pickle.loads(pickle.dumps(study.sampler))
    assert study.sampler.optimizer is None
    study.optimize(toy, n_trials=2)
    assert study.sampler.optimizer.space.conditional
    assert len(study.sampler.optimizer.history) == 9
    study.sampler.reseed_rng()
    assert study.sampler.optimizer is None
    study.optimize(toy, n_trials=2)
    assert len(study.sampler.optimizer.history) == 11
    state = study.sampler.__getstate__()  # as pickled before conditions were inferred:
    del state["_last_structure"]  # an IntersectionSearchSpace, no inferred space
    state["_intersection"] = optuna.search_space.IntersectionSearchSpace()
    old = BayesoptSampler.__new__(BayesoptSampler)
    old.__setstate__(state)
    study.sampler = old
    study.optimize(toy, n_trials=1)
    assert study.sampler.optimizer.space.conditional and not hasattr(old, "_intersection")


@FIRST_SEEN_INDEPENDENTLY
@pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")  # PartialFixedSampler
def test_a_fixed_parent_leaves_its_children_to_independent_sampling():
    """PartialFixedSampler removes the fixed `model` from the relative space; C and depth,
    conditional on it, are then sampled independently, not with a dangling condition."""
    study = run_study(BayesoptSampler(seed=0), 6, func=toy)
    study.sampler = optuna.samplers.PartialFixedSampler({"model": "rf"}, study.sampler)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IndependentSamplingWarning)
        study.optimize(toy, n_trials=3)
    assert [t.params["model"] for t in study.trials[6:]] == ["rf"] * 3
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 9


def _toy_with_drift(trial):
    """toy, plus a parameter whose range changes every trial (never modelled), so Optuna
    asks for the relative parameters even when an enqueued trial fixes the branch."""
    return toy(trial) + 0.01 * trial.suggest_float("drift", 0.0, 1.0 + trial.number)


def test_an_enqueued_branch_fixing_its_active_parameters_is_not_asked_for():
    """{"model": "rf", "depth": 4} fixes everything active under it (C is inactive): an ask
    would go untold and force a rebuild of the optimizer from the study."""
    sampler = _Recording(seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IndependentSamplingWarning)
        study = run_study(sampler, 8, func=_toy_with_drift)
        optimizer = sampler.optimizer
        study.enqueue_trial({"model": "rf", "depth": 4})
        study.enqueue_trial({"model": "svm"})  # C is active and not fixed: asked for
        study.optimize(_toy_with_drift, n_trials=2)
    assert sampler.relative[8] == {} and sampler.relative[9] != {}
    assert study.trials[8].params["model"] == "rf" and study.trials[8].params["depth"] == 4
    assert sampler.optimizer is optimizer  # trial 8 left no untellable ask: no rebuild
    structure = infer_structure(study.trials)
    assert structure.covered_by({"model": "rf", "depth": 4})
    assert not structure.covered_by({"model": "svm"})
    assert not structure.covered_by({"depth": 4})


def test_an_enqueued_trial_fixing_a_parameter_is_pending_elsewhere_before_it_suggests_it(
        optuna_sqlite):
    """Worker A's trial was enqueued with x fixed; its sampler drew the other parameters.
    Its point — the fixed x and the drawn rest — was not stored (only a point without fixed
    parameters was), so until A's objective had suggested every parameter worker B did not
    hold it pending and could draw it again. It is stored now, the fixed value in place of
    the drawn one, and is B's pending point from the moment A sampled it."""
    worker_a, worker_b = _two_workers(optuna_sqlite, seed_b=0)
    worker_a.enqueue_trial({"x": 0.5})
    in_flight = worker_a.ask()
    assert in_flight.suggest_float("x", -5.0, 5.0) == 0.5  # samples the rest; not yet set
    expected = {**in_flight.relative_params, "x": 0.5}
    own = worker_b.ask()
    _suggest_all(own)
    mapping = SpaceMap.from_distributions(DISTRIBUTIONS)
    assert mapping.to_optimizer(expected, DISTRIBUTIONS) in worker_b.sampler.optimizer.pending
    assert _suggest_all(in_flight) == expected  # the point it went on to suggest


def test_an_enqueued_choice_its_distribution_lacks_stores_no_point(optuna_sqlite):
    """Optuna refuses an enqueued categorical value outside its choices when the objective
    suggests it; sampling the trial's other parameters before that stores nothing (the
    point cannot be written in the distribution's terms) rather than raising there."""
    worker_a, _ = _two_workers(optuna_sqlite, seed_b=0)
    worker_a.enqueue_trial({"act": "gelu"})
    in_flight = worker_a.ask()
    in_flight.suggest_float("x", -5.0, 5.0)  # samples the whole point
    stored = worker_a._storage.get_trial(in_flight._trial_id).system_attrs
    assert [key for key in stored if key.startswith("bayesopt:")] == []
    with pytest.raises(ValueError, match="'gelu' not in"):
        in_flight.suggest_categorical("act", ["relu", None, 1.5, True])


def test_a_study_begun_with_tpe_on_a_far_stepped_float_continues_with_this_sampler():
    """Optuna's TPE writes a stepped float as low + k·step in float64, 1000000.05 +
    k·0.05 a few 1e-9 of a step from the grid value at this magnitude (Optuna holds values
    to 1e-8 of a step). The stepped Real (stop 41) held them to 1e-9 and refused them:
    "not on the grid" raised from the first trial of this sampler on a study whose first
    trials were TPE's (review43)."""
    low, step, high = 1_000_000.05, 0.05, 1_000_005.05

    def objective(trial):
        return (trial.suggest_float("x", low, high, step=step) - 1_000_002.0) ** 2

    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=0, n_startup_trials=2))
    study.optimize(objective, n_trials=8)
    written = [t.params["x"] for t in study.trials]
    on_grid = [round(low + round((x - low) / step) * step, 2) for x in written]
    assert written != on_grid  # TPE wrote values beside their grid values
    sampler = BayesoptSampler(seed=0)
    study.sampler = sampler
    with warnings.catch_warnings():
        warnings.simplefilter("error", IndependentSamplingWarning)  # x sampled by the GP
        study.optimize(objective, n_trials=2)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 10
    told = [o.params["x"] for o in sampler.optimizer.history]
    assert told[:8] == on_grid and len(told) == 9  # the last trial: told at the next sample
    asked = [t.params["x"] for t in study.trials[8:]]
    assert asked == [round(x, 2) for x in asked]  # the grid's decimal values


def test_an_enqueued_stepped_value_optuna_holds_is_told_as_its_grid_value():
    """Optuna holds a stepped float to 1e-8 of a step: `enqueue_trial({"x": 0.3 + 5e-10})`
    is accepted. The stepped Real (stop 41) held it to 1e-9 and the sampler raised "not on
    the grid" at that trial (review43); before stop 41 the index map rounded it."""
    sampler = BayesoptSampler(seed=0)
    study = optuna.create_study(sampler=sampler)
    study.enqueue_trial({"x": 0.3 + 5e-10})
    study.optimize(lambda t: (t.suggest_float("x", 0.0, 1.0, step=0.1) - 0.3) ** 2,
                   n_trials=2)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 2
    assert study.trials[0].params["x"] == 0.3 + 5e-10  # Optuna keeps what it was given
    assert sampler.optimizer.history[0].params["x"] == 0.3


def _asked_and_held(sampler: BayesoptSampler, low: float, high: float, step: float,
                    n_trials: int) -> list[tuple[float, list[float]]]:
    """A study of `n_trials` on one stepped float: each trial's value and the values the
    optimizer had pending (asked, not told) while the trial ran."""
    seen: list[tuple[float, list[float]]] = []

    def objective(trial):
        x = trial.suggest_float("x", low, high, step=step)
        pending = [] if sampler.optimizer is None else sampler.optimizer.pending
        seen.append((x, [point["x"] for point in pending]))
        return (x - low - 10 * step) ** 2

    optuna.create_study(sampler=sampler).optimize(objective, n_trials=n_trials)
    return seen


def test_a_far_stepped_grid_value_optuna_refuses_reaches_the_trial_unchanged():
    """At low = 1e8, step = 0.3 Optuna's `FloatDistribution._contains` ((v - low) / step
    within 1e-8 of an integer) accepts no float64 number at 40 of the 101 grid values; a
    relative value it refuses is sampled by `sample_independent`, which drew a random one
    with an IndependentSamplingWarning saying the parameter was not in the relative space
    (review44). It now returns the optimizer's value, with a StepResolutionWarning."""
    low, high, step = 1e8, 1e8 + 30, 0.3
    distribution = FloatDistribution(low, high, step=step)
    sampler = BayesoptSampler(seed=0)
    with pytest.warns(StepResolutionWarning, match=r"parameter 'x' value 1000000\d\d\.\d of "
                      r"FloatDistribution\(high=100000030\.0.*no float64 number") as caught:
        seen = _asked_and_held(sampler, low, high, step, 16)
    assert len([w for w in caught if w.category is StepResolutionWarning]) == 1  # once
    refused = [x for x, _ in seen[1:] if not distribution._contains(x)]
    assert refused  # the study met such values
    grid = Real(low, high, step=step)
    for x, pending in seen[1:]:  # the first trial's is Optuna's random one
        assert pending.count(grid.validate(x)) == 1 and x == grid.validate(x)


def test_a_far_stepped_grid_value_optuna_refuses_goes_as_a_neighbour_it_accepts():
    """At low = -4194313.6, step = 0.05, six of the 18 decimal grid values (the 4th:
    -4194313.45) fail Optuna's `_contains` while the float 1 ulp above each passes; they
    were sampled at random (review44). Each now goes as that neighbour, which the grid
    reads as the same value, and every trial holds one Optuna accepts."""
    low, high, step = -4194313.6, -4194312.75, 0.05
    distribution = FloatDistribution(low, high, step=step)
    mapped = param_map("x", distribution)
    values = mapped.dimension.grid_values()
    assert sum(not distribution._contains(v) for v in values) == 6
    sent = [mapped.to_optuna(v) for v in values]
    assert all(distribution._contains(v) for v in sent)
    assert [mapped.to_optimizer(v) for v in sent] == values
    assert sent[3] == math.nextafter(-4194313.45, math.inf)
    sampler = BayesoptSampler(seed=0)
    seen = _asked_and_held(sampler, low, high, step, 12)
    assert all(distribution._contains(x) for x, _ in seen)
    for x, pending in seen[1:]:
        assert pending.count(mapped.to_optimizer(x)) == 1


def test_a_far_grid_value_handed_to_optuna_unchanged_is_told_not_left_out():
    """At low = 1e10, step = 0.1 the grid values that no float passes Optuna's `_contains`
    at, handed to the trial unchanged, were then "outside the step" of the sampler's own
    check (1e-8 of a step, scaled by k) and left out of the optimizer with a
    TrialOutsideSpaceWarning (review44): the stepped Real reads them, so they are told."""
    low, high, step = 1e10, 1e10 + 10, 0.1
    distribution = FloatDistribution(low, high, step=step)
    sampler = BayesoptSampler(seed=0)
    with pytest.warns(StepResolutionWarning, match=r"parameter 'x'"):
        seen = _asked_and_held(sampler, low, high, step, 12)
    assert any(not distribution._contains(x) for x, _ in seen[1:])
    grid = Real(low, high, step=step)
    for x, pending in seen[1:]:
        assert pending.count(grid.validate(x)) == 1
    assert sampler.optimizer is not None and len(sampler.optimizer.history) == 11

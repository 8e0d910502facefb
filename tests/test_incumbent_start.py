"""One more local search of the acquisition, started at the incumbent
(`AcquisitionOptimizerOptions.incumbent_start`, Optuna GPSampler's warm start).

    x_inc = the observed x_i with the best posterior mean μ(x_i) (`ModelOptions.incumbent`)

What is checked: an ask with the option runs the default's local search of the selected
starts unchanged and one more, on its own, from x_inc — on a noisy objective the point
`Optimizer.recommend` names, not the best observed value; `optimize_acquisition` with a warm
start proposes the default's point or the warm search's optimum, whichever is better; without
the option the search is the default's (one local search, no warm start) and so are the asks;
the field's validation names the key and the value; the card and the options header list it
only when set, and a header without it reads as False.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import acquisition.optimizer as optimizer_module
from acquisition.functions import LogExpectedImprovement
from acquisition.optimizer import (
    AcquisitionObjective,
    AcquisitionOptimizerOptions,
    Domain,
    optimize_acquisition,
)
from bayesopt import Optimizer, OptimizerOptions, Real
from bayesopt.model import ModelOptions, SurrogateModel
from bayesopt.test_functions import Hartmann6

DIM = 3
SPACE = {f"x{i}": Real(0.0, 1.0) for i in range(DIM)}
NOISE = 0.3  # the noisy objective's standard deviation


def _noisy(x: np.ndarray, rng: np.random.Generator) -> float:
    """Hartmann-6 on x with the last three coordinates at 0.5, plus Gaussian noise."""
    value = Hartmann6()(np.concatenate([x, np.full(6 - DIM, 0.5)])[None])[0]
    return float(value + NOISE * rng.standard_normal())


def _told(incumbent_start: bool) -> Optimizer:
    """20 random points of |x − 0.3|², then four near (0.8, 0.8, 0.8), where it is 0.75, told
    0.75 − 0.8, + 0.8, + 0.7, − 0.7: the best observed value (−0.05) is there, the best
    posterior mean elsewhere (the four disagree, so the GP's noise is large)."""
    options = OptimizerOptions(
        model=ModelOptions(n_restarts=0),
        acquisition_optimizer=AcquisitionOptimizerOptions(incumbent_start=incumbent_start))
    opt = Optimizer(SPACE, seed=0, n_initial=8, options=options)
    rng = np.random.default_rng(0)
    for _ in range(20):
        x = rng.random(DIM)
        opt.tell(dict(zip(SPACE, x)), float(np.sum((x - 0.3) ** 2)))
    for shift in (-0.8, 0.8, 0.7, -0.7):
        x = np.full(DIM, 0.8) + rng.normal(0.0, 1e-3, DIM)
        opt.tell(dict(zip(SPACE, x)), 0.75 + shift)
    return opt


def _spied_searches(opt: Optimizer, monkeypatch: pytest.MonkeyPatch) -> list[np.ndarray]:
    """The starts (r, d) of each `_local_search` one ask of `opt` runs."""
    starts: list[np.ndarray] = []
    real = optimizer_module._local_search

    def spy(objective: Any, domain: Any, X0: np.ndarray, options: Any,
            scales: Any = None) -> np.ndarray:
        starts.append(X0.copy())
        return real(objective, domain, X0, options, scales)

    monkeypatch.setattr(optimizer_module, "_local_search", spy)
    opt.ask()
    return starts


def test_the_extra_start_is_the_incumbent_of_the_posterior_mean(
        monkeypatch: pytest.MonkeyPatch) -> None:
    opt = _told(True)
    recommended = np.array([opt.recommend().params[k] for k in SPACE])
    best = opt.best
    assert best is not None
    assert best.value < opt.recommend().value  # the luckiest value is not the best mean
    searches = _spied_searches(opt, monkeypatch)
    assert [s.shape[0] for s in searches] == [8, 1]  # n_restarts, then one more on its own
    assert_array_equal(searches[1][0], recommended)


def test_without_the_option_one_search_of_the_selected_starts(
        monkeypatch: pytest.MonkeyPatch) -> None:
    searches = _spied_searches(_told(False), monkeypatch)
    assert [s.shape[0] for s in searches] == [8]


def test_the_selected_starts_are_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    on = _spied_searches(_told(True), monkeypatch)
    off = _spied_searches(_told(False), monkeypatch)
    assert_array_equal(on[0], off[0])


def _asks(incumbent_start: bool | None, steps: int = 14) -> np.ndarray:
    search = ({} if incumbent_start is None else {"acquisition_optimizer":
              AcquisitionOptimizerOptions(incumbent_start=incumbent_start)})
    opt = Optimizer(SPACE, seed=7, n_initial=5,
                    options=OptimizerOptions(model=ModelOptions(n_restarts=0), **search))
    rng = np.random.default_rng(7)
    points = []
    for _ in range(steps):
        params = opt.ask()
        x = np.array([params[k] for k in SPACE])
        points.append(x)
        opt.tell(params, _noisy(x, rng))
    return np.array(points)


def test_asks_are_the_defaults_without_the_option_and_differ_with_it() -> None:
    default = _asks(None)
    assert_array_equal(_asks(False), default)
    on = _asks(True)
    assert np.all(np.isfinite(on))
    assert_array_equal(on, _asks(True))  # reproducible from the seed
    assert_array_equal(on[:5], default[:5])  # the initial design searches nothing
    assert not np.array_equal(on[5:], default[5:])


def _problem(n: int = 30) -> tuple[AcquisitionObjective, Domain, np.ndarray, np.ndarray]:
    """LogEI of a GP on n random Hartmann-6 points, the unit cube, the observed inputs and
    the observed row of the best posterior mean."""
    rng = np.random.default_rng(n)
    X = rng.random((n, 6))
    model = SurrogateModel(6, ModelOptions(n_restarts=0), np.random.default_rng(n))
    model.update(X, Hartmann6()(X))
    domain = Domain(dim=6, sample=lambda m, g: g.random((m, 6)), project=lambda Z: Z)
    objective = AcquisitionObjective(LogExpectedImprovement(model.incumbent), model)
    return objective, domain, X, X[model.incumbent_index()]


@pytest.mark.parametrize("seed", range(4))
def test_a_warm_start_proposes_the_default_point_or_a_better_one(seed: int) -> None:
    objective, domain, X, incumbent = _problem()
    options = AcquisitionOptimizerOptions(incumbent_start=True)
    order = np.argsort(objective.surrogate.predict(X)[0])
    plain = optimize_acquisition(objective, domain, np.random.default_rng(seed), X[order[:5]], X,
                                 options)
    warm = optimize_acquisition(objective, domain, np.random.default_rng(seed), X[order[:5]], X,
                                options, warm_start=incumbent)
    assert plain is not None and warm is not None
    if warm.value == plain.value:
        assert_array_equal(warm.x, plain.x)
    else:  # the warm search's own optimum, better than every other (theirs are unchanged)
        assert warm.value > plain.value
        own = optimizer_module._local_search(objective, domain, incumbent[None, :].copy(),
                                             options)
        assert_array_equal(warm.x, own[0])


@pytest.mark.parametrize("value, error, match", [
    ("yes", TypeError, r"incumbent_start='yes' must be True or False"),
    (1, TypeError, r"incumbent_start=1 must be True or False"),
    (None, TypeError, r"incumbent_start=None must be True or False"),
])
def test_incumbent_start_is_validated(value: object, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        AcquisitionOptimizerOptions(incumbent_start=value)  # type: ignore[arg-type]


def test_options_header_round_trips_and_reads_as_false_without_the_field() -> None:
    options = OptimizerOptions(
        acquisition_optimizer=AcquisitionOptimizerOptions(incumbent_start=True))
    spec = options.to_dict()
    assert spec["acquisition_optimizer"]["incumbent_start"] is True
    assert OptimizerOptions.from_dict(spec) == options
    del spec["acquisition_optimizer"]["incumbent_start"]  # a header written before the field
    assert OptimizerOptions.from_dict(spec).acquisition_optimizer.incumbent_start is False


def test_the_card_lists_the_incumbent_start_only_when_set() -> None:
    def card(value: bool | None) -> tuple[str, str]:
        search = {} if value is None else {"acquisition_optimizer":
                                           AcquisitionOptimizerOptions(incumbent_start=value)}
        opt = Optimizer({"x": Real(0, 1)}, seed=0, options=OptimizerOptions(**search))
        return opt.fingerprint, str(opt.resolved_config)

    assert card(False) == card(None)
    fingerprint, config = card(True)
    assert fingerprint != card(None)[0]
    assert "incumbent_start" in config and "incumbent_start" not in card(None)[1]

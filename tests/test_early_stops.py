"""The two stopping options of issue 18's small-n step (bench/results/small_n_step4.md).

    AcquisitionOptimizerOptions.polish_rise_tol = t: the batched local search ends after
        the first iteration k with  max_i (a_k(x_i) − a_{k−1}(x_i)) <= t  (a_0: the starts)
    FitOptions.ftol: L-BFGS-B's relative reduction tolerance of the MAP fit (None: scipy's)

What is checked: the stopped L-BFGS-B search returns the reference's iterate k, where the
reference is the same search run to its end with every iterate recorded and the rule
applied to the recorded values afterwards (the solver is deterministic, so the stopped
run's iterates are the first k of the full run's); under linear constraints (SLSQP) the
search stops early too, inside the constraints and no start worse; the MAP fit with an
ftol is scipy's `minimize` with that ftol, bit for bit, and stops earlier than scipy's
default; the card and fingerprint list the settings only when set; `bench.overhead
--options` and the quality suite's variant carry them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from scipy.optimize import Bounds, minimize

import acquisition.optimizer as optimizer_module
from acquisition.functions import LogExpectedImprovement
from acquisition.memo import lbfgsb
from acquisition.optimizer import (
    AcquisitionObjective,
    AcquisitionOptimizerOptions,
    Domain,
    _local_search,
    _negated_sum,
    _start_bounds,
)
from bayesopt import Optimizer, OptimizerOptions, Real
from bayesopt.fitting import FitOptions, NegativeLogPosterior, fit_map, parameter_bounds
from bayesopt.model import ModelOptions, SurrogateModel
from bayesopt.priors import HyperparameterPriors
from bayesopt.test_functions import Hartmann6
from bench import overhead
from bench.adapters import OPTIMIZERS
from bench.quality import ABLATION_ROUNDS, ABLATIONS

DIM = 6


def _objective(n: int, seed: int) -> AcquisitionObjective:
    """LogEI of a MAP-fitted GP on n random Hartmann-6 observations."""
    rng = np.random.default_rng(seed)
    X = rng.random((n, DIM))
    model = SurrogateModel(DIM, ModelOptions(), np.random.default_rng(seed))
    model.update(X, Hartmann6()(X))
    return AcquisitionObjective(LogExpectedImprovement(model.incumbent), model)


def _starts(objective: AcquisitionObjective, seed: int, scale: np.ndarray | None = None,
            ) -> np.ndarray:
    """The 8 best of 2048 random points, as the search's starts are the best candidates."""
    X = np.random.default_rng(seed).random((2048, DIM)) * (1.0 if scale is None else scale)
    return X[np.argsort(-objective.values(X), kind="stable")[:8]]


def _domain(linear: tuple[np.ndarray, np.ndarray] | None = None) -> Domain:
    return Domain(dim=DIM, sample=lambda n, rng: rng.random((n, DIM)), project=lambda X: X,
                  linear=linear)


def _reference(objective: AcquisitionObjective, X0: np.ndarray, tol: float,
               options: AcquisitionOptimizerOptions) -> tuple[np.ndarray, int, int]:
    """The unstopped search's iterate where the rule first holds (clipped, a start that
    ended worse put back, as the search returns it), that iteration, and the full run's
    number of iterations."""
    free = np.ones(DIM, dtype=bool)
    iterates: list[np.ndarray] = []
    lbfgsb(_negated_sum(objective, X0.shape, free), X0.ravel(), *_start_bounds(X0, free, _domain()),
           options.maxiter, options.ftol, callback=lambda x: iterates.append(x.copy()))
    previous = objective.values_and_gradients(X0)[0]
    for k, flat in enumerate(iterates, start=1):
        values = objective.values_and_gradients(flat.reshape(X0.shape))[0]
        if np.max(values - previous) <= tol:
            break
        previous = values
    X = np.clip(flat.reshape(X0.shape), 0.0, 1.0)
    worse = objective.values(X) < objective.values(X0)
    X[worse] = X0[worse]
    return X, k, len(iterates)


@pytest.mark.parametrize("n, seed, tol", [(30, 0, 1e-3), (60, 1, 1e-3), (60, 2, 1e-4),
                                          (100, 3, 1e-2)])
def test_the_search_stops_at_the_first_iteration_no_start_rose_by_more_than_tol(
        n: int, seed: int, tol: float) -> None:
    objective = _objective(n, seed)
    X0 = _starts(objective, seed + 10)
    options = AcquisitionOptimizerOptions(polish_rise_tol=tol)
    expected, k, iterations = _reference(objective, X0, tol, AcquisitionOptimizerOptions())
    assert k < iterations  # the rule ends the search before ftol would
    got = _local_search(objective, _domain(), X0, options)
    assert_array_equal(got, expected)


def test_without_the_option_the_search_runs_to_ftol() -> None:
    objective = _objective(60, 1)
    X0 = _starts(objective, 11)
    expected, _, _ = _reference(objective, X0, -np.inf, AcquisitionOptimizerOptions())
    assert_array_equal(_local_search(objective, _domain(), X0, AcquisitionOptimizerOptions()),
                       expected)


def _counted(objective: AcquisitionObjective) -> list[int]:
    """Counts the batched evaluations of `objective` (one entry per call)."""
    calls: list[int] = []
    evaluate = objective.values_and_gradients

    def counted(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        calls.append(X.shape[0])
        return evaluate(X)

    objective.values_and_gradients = counted  # type: ignore[method-assign]
    return calls


def test_under_linear_constraints_slsqp_stops_early_inside_them() -> None:
    A, b = np.array([[1.0, 1.0, 0.0, 0.0, 0.0, 0.0]]), np.array([0.9])
    X0 = _starts(_objective(60, 4), 12, np.array([0.45, 0.45, 1, 1, 1, 1]))
    results, evaluations = [], []
    for tol in (None, 1e-2):
        objective = _objective(60, 4)
        calls = _counted(objective)
        results.append(_local_search(objective, _domain((A, b)), X0,
                                     AcquisitionOptimizerOptions(polish_rise_tol=tol)))
        evaluations.append(len(calls))
    assert evaluations[1] < evaluations[0]
    stopped = results[1]
    assert np.all(stopped @ A.T <= b + 1e-9)
    objective = _objective(60, 4)
    assert np.all(objective.values(stopped) >= objective.values(X0))


class _Escaped(Exception):
    """The callback's StopIteration, carried past scipy's own handling of it."""


def _letting_stop_iteration_out(escaped: list[bool]) -> Any:
    """scipy's `minimize` as scipy 1.11 runs SLSQP: the callback's StopIteration ends the
    call by propagating out of it (a newer scipy returns the iterate it stopped at); each
    escape appends to `escaped`."""

    def run(*args: Any, callback: Any = None, **kwargs: Any) -> Any:
        def carried(x: np.ndarray) -> None:
            try:
                callback(x)
            except StopIteration as stop:
                raise _Escaped from stop

        try:
            return minimize(*args, callback=None if callback is None else carried, **kwargs)
        except _Escaped:
            escaped.append(True)
            raise StopIteration from None

    return run


def test_slsqp_stops_at_the_same_iterate_where_scipy_lets_stop_iteration_out(
        monkeypatch: pytest.MonkeyPatch) -> None:
    A, b = np.array([[1.0, 1.0, 0.0, 0.0, 0.0, 0.0]]), np.array([0.9])
    X0 = _starts(_objective(60, 4), 12, np.array([0.45, 0.45, 1, 1, 1, 1]))
    options = AcquisitionOptimizerOptions(polish_rise_tol=1e-2)
    returned = _local_search(_objective(60, 4), _domain((A, b)), X0, options)
    escaped: list[bool] = []
    monkeypatch.setattr(optimizer_module, "minimize", _letting_stop_iteration_out(escaped))
    raised = _local_search(_objective(60, 4), _domain((A, b)), X0, options)
    assert escaped  # the rule stopped the search, and its StopIteration left scipy's call
    assert_array_equal(raised, returned)


def _fit_problem() -> tuple[np.ndarray, np.ndarray, HyperparameterPriors, list[np.ndarray]]:
    rng = np.random.default_rng(5)
    X = rng.random((40, 3))
    y = Hartmann6()(np.concatenate([X, X], axis=1))
    y = (y - y.mean()) / y.std()
    priors = HyperparameterPriors.default(3)
    return X, y, priors, [priors.mode(3), priors.sample(rng, 3)]


def test_the_map_fit_with_an_ftol_is_minimize_with_that_ftol() -> None:
    X, y, priors, starts = _fit_problem()
    options = FitOptions(ftol=1e-4)
    got = fit_map("matern52", X, y, priors, starts, options)
    objective = NegativeLogPosterior("matern52", X, y, priors)
    lower, upper = np.array(parameter_bounds(3, options)).T
    best = min((minimize(objective, np.clip(s, lower, upper), jac=True, method="L-BFGS-B",
                         bounds=Bounds(lower, upper),
                         options={"maxiter": options.maxiter, "ftol": 1e-4}) for s in starts),
               key=lambda r: r.fun)
    assert got.params.tobytes() == best.x.tobytes() and got.value == best.fun
    default = fit_map("matern52", X, y, priors, starts, FitOptions())
    assert got.n_evaluations < default.n_evaluations  # the tolerance bites


@pytest.mark.parametrize("options, path, value", [
    (OptimizerOptions(acquisition_optimizer=AcquisitionOptimizerOptions(polish_rise_tol=1e-3)),
     ("acquisition_optimizer", "polish_rise_tol"), 1e-3),
    (OptimizerOptions(model=ModelOptions(fit=FitOptions(ftol=1e-4))), ("model", "fit", "ftol"),
     1e-4),
])
def test_the_card_lists_each_setting_only_when_set(
        options: OptimizerOptions, path: tuple[str, ...], value: float) -> None:
    space = {"x": Real(0.0, 1.0), "y": Real(-1.0, 1.0)}
    default, changed = Optimizer(space, seed=0), Optimizer(space, seed=0, options=options)
    *within, key = path
    sections = [default.resolved_config, changed.resolved_config]
    for name in within:
        sections = [section[name] for section in sections]
    assert key not in sections[0] and sections[1][key] == value
    assert changed.fingerprint != default.fingerprint


def test_overhead_options_merge_into_the_defaults_and_refuse_unknown_settings() -> None:
    options = overhead.options_from_json(
        '{"acquisition_optimizer": {"polish_rise_tol": 1e-3}, "model": {"fit": {"ftol": 1e-4}}}')
    assert options.acquisition_optimizer == AcquisitionOptimizerOptions(polish_rise_tol=1e-3)
    assert options.model == ModelOptions(fit=FitOptions(ftol=1e-4))
    with pytest.raises(ValueError, match=r"--options.model.fitx: no such setting"):
        overhead.options_from_json('{"model": {"fitx": 1}}')
    with pytest.raises(ValueError, match=r"ftol=-1 must be finite and > 0"):
        overhead.options_from_json('{"model": {"fit": {"ftol": -1}}}')
    with pytest.raises(TypeError, match=r"--options '\[1\]': expected a JSON object"):
        overhead.options_from_json("[1]")
    with pytest.raises(ValueError, match=r"--options '\{': not JSON"):
        overhead.options_from_json("{")


@pytest.mark.parametrize("variant, tol, ftol", [
    ("bayesopt-early-stops", 1e-3, 1e-4),  # bench/results/small_n_step4.md
    ("bayesopt-polish-rise", 1e-3, None),  # bench/results/ablation_round18.md: the rule alone
    ("bayesopt-polish-rise-1e-4", 1e-4, None),  # bench/results/ablation_round20.md: milder
])
def test_the_early_stops_variants_change_their_settings_and_nothing_else(
        variant: str, tol: float, ftol: float | None) -> None:
    from dataclasses import replace

    space = {"x": Real(0.0, 1.0), "y": Real(-1.0, 1.0)}
    default = Optimizer(space, seed=0)
    adapter = OPTIMIZERS[variant][0](space, 0, default.n_initial)
    d = default.options
    assert adapter.opt.options == replace(  # type: ignore[attr-defined]
        d, acquisition_optimizer=replace(d.acquisition_optimizer, polish_rise_tol=tol),
        model=replace(d.model, fit=replace(d.model.fit, ftol=ftol)))
    assert variant in ABLATIONS
    # ablation.md has the eighteenth and twentieth rounds' sections; the pair's runs were
    # never committed
    assert any(variant in members for _, members, _ in ABLATION_ROUNDS) == (ftol is None)

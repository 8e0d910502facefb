"""Tests for Optuna GPSampler's priors in bayesopt.priors ("optuna", "optuna-jacobian").

Notation as in `bayesopt.priors`: u a log-parameter, q = exp(power·u);
params = (log l_1 … log l_d, log s2, log σ²), λ_i = l_i⁻² = exp(−2·log l_i).

References: GPSampler's log prior written out as optuna/_gp/prior.py states it (optuna 5.1.0,
`default_log_prior`: −Σ(0.1/λ + 0.1·λ) + (2 − 1)·log s2 − s2 + (1.1 − 1)·log σ² − 30·σ²),
the change of variables' Jacobian written out, central differences, numerical quadrature.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import integrate, stats

from bayesopt import ModelOptions, Optimizer, OptimizerOptions, Real
from bayesopt.fitting import FitOptions, NegativeLogPosterior
from bayesopt.priors import (
    LENGTHSCALE_PRIORS,
    NOISE_PRIORS,
    VARIANCE_PRIORS,
    BlockwisePriors,
    HyperparameterPriors,
    PowerGammaPrior,
    StackedPriors,
)

NAMES = ("optuna", "optuna-jacobian")


def _priors(d: int, name: str) -> HyperparameterPriors:
    return HyperparameterPriors.default(d, lengthscale=name, noise=name, variance=name)


def _optuna_log_prior(params: np.ndarray) -> float:
    """GPSampler's `default_log_prior` at λ = exp(−2·log l), s2, σ² (constants omitted)."""
    lam = np.exp(-2.0 * params[:-2])
    s2, noise = math.exp(params[-2]), math.exp(params[-1])
    return float(-np.sum(0.1 / lam + 0.1 * lam) + (2 - 1) * math.log(s2) - 1.0 * s2
                 + (1.1 - 1) * math.log(noise) - 30.0 * noise)


def _log_jacobian(params: np.ndarray) -> float:
    """log |∂(λ, s2, σ²)/∂(log l, log s2, log σ²)| = Σ log(2λ) + log s2 + log σ²."""
    lam = np.exp(-2.0 * params[:-2])
    return float(np.sum(np.log(2.0 * lam)) + params[-2] + params[-1])


def _random_params(d: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.uniform(-2.5, 1.5, d), [rng.uniform(-1.5, 1.5)],
                           [rng.uniform(-9.0, 0.5)]])


@pytest.mark.parametrize("d", [1, 3, 6])
def test_optuna_log_density_is_gpsamplers_log_prior(d: int) -> None:
    """"optuna": GPSampler's function of (λ, s2, σ²) itself, no constant, no Jacobian."""
    priors = _priors(d, "optuna")
    for seed in range(6):
        params = _random_params(d, seed)
        value, _ = priors.log_density(params)
        assert value == pytest.approx(_optuna_log_prior(params), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("d", [1, 3, 6])
def test_optuna_jacobian_adds_the_change_of_variables(d: int) -> None:
    """"optuna-jacobian": GPSampler's density carried to the log-parameters, up to a
    constant: the differences between points are those of log p + log |Jacobian|."""
    priors = _priors(d, "optuna-jacobian")
    base = _random_params(d, 100)
    reference = _optuna_log_prior(base) + _log_jacobian(base)
    for seed in range(6):
        params = _random_params(d, seed)
        expected = _optuna_log_prior(params) + _log_jacobian(params) - reference
        got = priors.log_density(params)[0] - priors.log_density(base)[0]
        assert got == pytest.approx(expected, rel=1e-10, abs=1e-10)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("d", [1, 4])
def test_log_density_gradient_matches_finite_differences(name: str, d: int) -> None:
    priors = _priors(d, name)
    h = 1e-6
    for seed in range(4):
        params = _random_params(d, seed)
        _, grad = priors.log_density(params)
        expected = np.empty_like(params)
        for j in range(params.size):
            step = np.zeros_like(params)
            step[j] = h
            expected[j] = (priors.log_density(params + step)[0]
                           - priors.log_density(params - step)[0]) / (2 * h)
        assert_allclose(grad, expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_map_objective_gradient_with_optuna_priors_matches_finite_differences(name: str) -> None:
    rng = np.random.default_rng(3)
    X = rng.uniform(size=(12, 3))
    y = np.sin(5 * X[:, 0]) + X[:, 1] ** 2 + 0.05 * rng.standard_normal(12)
    objective = NegativeLogPosterior("matern52", X, (y - y.mean()) / y.std(), _priors(3, name))
    params = np.array([math.log(0.4), math.log(0.7), math.log(1.3), 0.2, math.log(1e-2)])
    _, grad = objective(params)
    h = 1e-6
    expected = np.array([(objective(params + h * e)[0] - objective(params - h * e)[0]) / (2 * h)
                         for e in np.eye(params.size)])
    assert_allclose(grad, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", NAMES)
def test_the_modes_are_where_the_gradient_vanishes(name: str) -> None:
    """Mode: GPSampler's λ = 1, s2 = 1, σ² = 0.1/30; with the Jacobian each shape α → α + 1."""
    priors = _priors(2, name)
    mode = priors.mode(2)
    assert_allclose(priors.log_density(mode)[1], 0.0, atol=1e-12)
    lam = (1 + math.sqrt(1 + 4 * 0.01)) / 0.2 if name == "optuna-jacobian" else 1.0
    s2, noise = (2.0, 1.1 / 30) if name == "optuna-jacobian" else (1.0, 0.1 / 30)
    assert_allclose(np.exp(mode), [lam**-0.5, lam**-0.5, s2, noise], rtol=1e-12)


@pytest.mark.parametrize("prior", [PowerGammaPrior(-2.0, 1.0, 0.1, 0.1),
                                   PowerGammaPrior(1.0, 2.0, 1.0),
                                   PowerGammaPrior(1.0, 1.1, 30.0, jacobian=True)])
def test_normalized_density_integrates_to_one_and_matches_the_samples(
        prior: PowerGammaPrior) -> None:
    """The evidence's density on u is proper (quadrature), and `sample` draws from it
    (Kolmogorov–Smirnov against the quadrature's CDF)."""
    def density(u: float) -> float:
        return math.exp(prior.normalized_log_density(np.array([u])))

    centre = prior.mode if prior.shape - 1 + prior.jacobian > 0 or prior.inverse_rate else 0.0
    total, _ = integrate.quad(density, centre - 40, centre + 40, points=[centre], limit=400)
    assert total == pytest.approx(1.0, rel=1e-7)
    grid = np.linspace(centre - 40, centre + 40, 200_001)
    cdf = integrate.cumulative_trapezoid(np.exp([prior.normalized_log_density(np.array([u]))
                                                 for u in grid[::100]]), grid[::100], initial=0)
    samples = prior.sample(np.random.default_rng(5), 4000)
    result = stats.kstest(samples, lambda u: np.interp(u, grid[::100], cdf))
    assert result.pvalue > 1e-3


def test_the_default_priors_keep_the_lognormal_stack() -> None:
    """The default (and every all-LogNormal choice) is `StackedPriors`, the path of the
    default's asks; an Optuna block makes the blockwise one."""
    assert isinstance(HyperparameterPriors.default(4).stacked(4), StackedPriors)
    assert isinstance(HyperparameterPriors.default(4, "hvarfner", "botorch").stacked(4),
                      StackedPriors)
    assert isinstance(_priors(4, "optuna").stacked(4), BlockwisePriors)
    mixed = HyperparameterPriors.default(4, lengthscale="optuna")  # the others LogNormal
    value, grad = mixed.log_density(_random_params(4, 0))
    lognormal = HyperparameterPriors.default(4)
    params = _random_params(4, 0)
    expected_tail = lognormal.log_density(params)[1][-2:]
    assert_allclose(grad[-2:], expected_tail, rtol=1e-15)
    assert value == pytest.approx(
        _priors(4, "optuna").lengthscale.log_density(params[:4])[0]
        + lognormal.variance.log_density(params[4:5])[0]
        + lognormal.noise.log_density(params[5:])[0], rel=1e-14)


def test_registries_and_options_name_the_bad_value() -> None:
    for registry in (NOISE_PRIORS, VARIANCE_PRIORS):
        assert set(NAMES) <= set(registry)
    assert set(NAMES) <= set(LENGTHSCALE_PRIORS)
    with pytest.raises(ValueError, match="variance_prior='gamma'"):
        ModelOptions(variance_prior="gamma")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="noise_prior='optuna' is GPSampler's MAP objective"):
        ModelOptions(noise_prior="optuna", hyperparameters="mcmc")
    assert ModelOptions(lengthscale_prior="optuna-jacobian", hyperparameters="mcmc")
    with pytest.raises(ValueError, match="rate"):
        PowerGammaPrior(1.0, 2.0, 0.0)
    with pytest.raises(ValueError, match="power"):
        PowerGammaPrior(0.0, 2.0, 1.0)
    with pytest.raises(ValueError, match="inverse_rate=nan"):
        PowerGammaPrior(1.0, 2.0, 1.0, math.nan)
    with pytest.raises(ValueError, match="no mode"):
        _ = PowerGammaPrior(1.0, 1.0, 1.0).mode


def test_an_optimizer_with_the_optuna_priors_fits_reports_and_names_them() -> None:
    model = ModelOptions(lengthscale_prior="optuna", variance_prior="optuna",
                         noise_prior="optuna", fit=FitOptions(noise_bounds=(1e-6, 10.0)))
    opt = Optimizer({"x": Real(0, 1), "y": Real(0, 1)}, seed=0,
                    options=OptimizerOptions(model=model))
    for _ in range(8):
        params = opt.ask()
        opt.tell(params, (params["x"] - 0.3) ** 2 + math.sin(4 * params["y"]))
    surrogate = opt.surrogate()
    fitted = surrogate.model.params
    assert fitted is not None
    evidence = surrogate.evidence()
    priors = _priors(2, "optuna")
    expected = sum(block.normalized_log_density(fitted[index]) for block, index in
                   [(priors.lengthscale, slice(0, 2)), (priors.variance, slice(2, 3)),
                    (priors.noise, slice(3, 4))])
    assert evidence.log_prior == pytest.approx(expected, rel=1e-12)
    described = opt.resolved_config["model"]["priors"]
    assert described["lengthscale"] == {"name": "optuna", **priors.lengthscale.describe()}
    assert described["signal_variance"]["name"] == described["noise_variance"]["name"] == "optuna"
    assert described["noise_variance"]["rate"] == 30.0
    default = Optimizer({"x": Real(0, 1), "y": Real(0, 1)}, seed=0)
    assert default.resolved_config["model"]["priors"]["signal_variance"] == {
        "name": "default", "distribution": "lognormal", "loc": 0.0, "scale": 1.5}


def test_slice_sampling_runs_on_the_densities_with_the_jacobian() -> None:
    """hyperparameters="mcmc" samples p(θ | y) with the "optuna-jacobian" densities on u."""
    model = ModelOptions(lengthscale_prior="optuna-jacobian", variance_prior="optuna-jacobian",
                         noise_prior="optuna-jacobian", hyperparameters="mcmc")
    opt = Optimizer({"x": Real(0, 1), "y": Real(0, 1)}, seed=0,
                    options=OptimizerOptions(model=model))
    for _ in range(7):
        params = opt.ask()
        opt.tell(params, (params["x"] - 0.3) ** 2 + math.sin(4 * params["y"]))
    samples = opt.surrogate().model.samples
    assert samples is not None and samples.shape == (10, 4) and np.isfinite(samples).all()

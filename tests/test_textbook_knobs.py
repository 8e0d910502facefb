"""The textbook settings of docs/choosing-defaults.md, reached through the public options.

- a fixed observation-noise variance in the objective's units²
  (`ModelOptions(noise_variance=...)`), checked against scikit-learn's
  GaussianProcessRegressor with that `alpha`;
- maximum likelihood without priors (`ModelOptions(priors=False)`);
- the EI incumbent, best posterior mean or best observed value
  (`ModelOptions(incumbent=...)`);
- no output transform (`ModelOptions(output_transform="none")`, required by a
  fixed noise; it predates these tests and is covered by tests/test_transforms.py).
"""

from __future__ import annotations

import math
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import ConstantKernel, Matern

from bayesopt import Optimizer, OptimizerOptions, Real
from bayesopt.fitting import negative_log_posterior, parameter_bounds
from bayesopt.model import ModelOptions, SurrogateModel

SPACE = {"x": Real(-5.0, 10.0), "y": Real(0.0, 15.0)}
NOISE = 0.25  # objective units²


def branin(p: dict[str, float]) -> float:
    x, y = p["x"], p["y"]
    return float((y - 5.1 / (4 * math.pi**2) * x**2 + 5 / math.pi * x - 6) ** 2
                 + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x) + 10)


def told(options: ModelOptions, n: int, seed: int = 0, noise_sd: float = 0.0) -> Optimizer:
    """An optimizer told n random points of Branin (its model refit after each)."""
    rng = np.random.default_rng(seed)
    opt = Optimizer(SPACE, seed=seed, n_initial=5, options=OptimizerOptions(model=options))
    for _ in range(n):
        p = {"x": float(rng.uniform(-5, 10)), "y": float(rng.uniform(0, 15))}
        opt.tell(p, branin(p) + noise_sd * float(rng.standard_normal()))
    return opt


FIXED = ModelOptions(noise_variance=NOISE, output_transform="none")


def test_fixed_noise_is_constant_in_objective_units_as_n_grows():
    for n in (6, 10, 20, 40):
        fitted = told(FIXED, n).surrogate().hyperparameters()
        assert fitted.noise_variance == pytest.approx(NOISE, rel=1e-12)


@pytest.mark.parametrize(("factor", "noise"), [(1e200, 1e300), (1e-170, 1e-310)])
def test_fixed_noise_at_extreme_scales_of_the_objective(factor, noise):
    """noise_variance= with an objective scaled by 1e200 (1e-170): the standardizing
    scale squared overflowed (underflowed to 0), and the tell raised OverflowError
    (ZeroDivisionError) out of the fit's options; and hyperparameters() reported the
    noise as inf (0.0) through the slope squared. Both now divide or multiply one factor
    at a time: the tells go on and the noise reported is the noise given."""
    opt = Optimizer(SPACE, seed=0, n_initial=5, options=OptimizerOptions(
        model=ModelOptions(noise_variance=noise, output_transform="none")))
    rng = np.random.default_rng(0)
    for _ in range(7):
        p = {"x": float(rng.uniform(-5, 10)), "y": float(rng.uniform(0, 15))}
        opt.tell(p, factor * branin(p))
    fitted = opt.surrogate().hyperparameters()
    assert fitted.noise_variance == pytest.approx(noise, rel=1e-9)
    assert np.isfinite(list(opt.ask().values())).all()


def test_a_fit_failing_under_a_tiny_fixed_noise_says_the_noise_is_pinned():
    """A noiseless objective told with noise_variance=1e-300 along a fine 1-D grid: once
    the points are dense enough no start of the MAP fit can factor K + σ²I. Which tell
    that is depends on the last bits of the earlier fits, so on the LAPACK's rounding (the
    49th under scipy 1.17.1's wheel, the 90th under 1.18.1's); the test tells the grid
    until the first ModelFitWarning. The warning said only 'fit failed'; it now names the
    pinned noise and what to give instead."""
    from bayesopt.model import ModelFitWarning

    opt = Optimizer({"x": Real(0.0, 1.0)}, seed=0, options=OptimizerOptions(
        model=ModelOptions(noise_variance=1e-300, output_transform="none")))
    first: list[warnings.WarningMessage] = []
    for u in np.linspace(0.0, 1.0, 500):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            opt.tell({"x": float(u)}, math.sin(6.0 * u))
        first = [w for w in caught if issubclass(w.category, ModelFitWarning)]
        for other in (w for w in caught if not issubclass(w.category, ModelFitWarning)):
            warnings.warn_explicit(other.message, other.category, other.filename, other.lineno)
        if first:
            break
    assert first, "no fit failed along the 500-point grid"
    assert re.search(r"pinned by ModelOptions\(noise_variance=1e-300\).*give a larger "
                     r"noise_variance", str(first[0].message)), str(first[0].message)
    assert np.isfinite(list(opt.ask().values())).all()  # the run goes on


def test_fixed_noise_posterior_equals_sklearn_with_that_alpha():
    opt = told(FIXED, 20, noise_sd=0.5)
    fitted = opt.surrogate().hyperparameters()
    y = np.array([o.value for o in opt.history])
    # in objective units the GP has a constant prior mean μ0 (the mean of the data the
    # standardization was fitted on), signal variance c²·s2 and noise NOISE
    kernel = ConstantKernel(fitted.signal_variance, "fixed") * Matern(
        length_scale=list(fitted.lengthscales_unit_cube.values()), nu=2.5,
        length_scale_bounds="fixed")
    reference = GaussianProcessRegressor(kernel, alpha=NOISE, optimizer=None, normalize_y=False)
    X = opt.space.encode([o.params for o in opt.history])
    mu0 = float(np.mean(y))  # a refit after the last tell: the z-scores' mean is the data's
    reference.fit(X, y - mu0)
    rng = np.random.default_rng(7)
    query = [{"x": float(a), "y": float(b)} for a, b in zip(rng.uniform(-5, 10, 9),
                                                             rng.uniform(0, 15, 9))]
    ref_mean, ref_std = reference.predict(opt.space.encode(query), return_std=True)
    for noise, extra in ((False, 0.0), (True, NOISE)):
        prediction = opt.surrogate().predict(query, noise=noise)
        assert_allclose(prediction.mean, ref_mean + mu0, rtol=1e-7, atol=1e-8)
        assert_allclose(prediction.std, np.sqrt(ref_std**2 + extra), rtol=1e-6, atol=1e-8)


def projected_gradient(model: SurrogateModel, X: np.ndarray, t: np.ndarray, priors: object) -> np.ndarray:
    """Gradient of the objective at the fitted θ, zero where a bound is active."""
    assert model.params is not None
    _, grad = negative_log_posterior(model.params, model.options.kernel, X, t, priors)  # type: ignore[arg-type]
    lower, upper = np.array(parameter_bounds(model.dim, model.options.fit)).T
    at_bound = (np.isclose(model.params, lower) & (grad > 0)) | (
        np.isclose(model.params, upper) & (grad < 0))
    return np.where(at_bound, 0.0, grad)


def test_priors_false_maximizes_the_likelihood_alone():
    ml = told(ModelOptions(priors=False), 15, noise_sd=1.0).result().model
    map_ = told(ModelOptions(), 15, noise_sd=1.0).result().model
    assert ml is not None and ml.gp is not None and map_ is not None and map_.gp is not None
    X, t = ml.gp.X, ml.gp.y
    # ML: stationary for the likelihood without the prior (a local optimum of L-BFGS-B)
    assert np.max(np.abs(projected_gradient(ml, X, t, None))) < 1e-2
    assert np.max(np.abs(projected_gradient(ml, X, t, ml.priors))) > 1e-1
    # MAP is stationary for the posterior, not for the likelihood
    X, t = map_.gp.X, map_.gp.y
    assert np.max(np.abs(projected_gradient(map_, X, t, map_.priors))) < 1e-2
    assert np.max(np.abs(projected_gradient(map_, X, t, None))) > 1e-1


def test_the_incumbent_is_the_best_posterior_mean_or_the_best_observed_value():
    default = told(ModelOptions(), 12, noise_sd=3.0).result().model
    observed = told(ModelOptions(incumbent="observed"), 12, noise_sd=3.0).result().model
    assert default is not None and default.gp is not None
    assert observed is not None and observed.gp is not None
    assert default.incumbent == pytest.approx(float(np.min(default.gp.training_mean())), abs=0)
    assert observed.incumbent == pytest.approx(float(np.min(observed.gp.y)), abs=0)
    assert observed.incumbent < default.incumbent  # noise: the best value is biased low


DOCS = Path(__file__).resolve().parents[1] / "docs" / "choosing-defaults.md"


@pytest.mark.parametrize("knob", ["noise_variance=", "priors=False", 'incumbent="observed"'])
def test_choosing_defaults_documents_each_knob(knob):
    assert knob in DOCS.read_text()

"""The joint posterior of the public surrogate (`Surrogate.covariance`, `Surrogate.sample`).

References: scikit-learn's GaussianProcessRegressor (return_cov) at the fitted
hyperparameters without an output transform; `predict`'s std on the diagonal; a
Monte-Carlo sample of the back-transformed joint Gaussian with Yeo–Johnson; the moments
of many draws against `predict` and `covariance` (standard errors from the draws).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import ConstantKernel, Matern

from bayesopt import Optimizer, OptimizerOptions, Real, joint
from bayesopt.joint import MAX_POINTS
from bayesopt.model import ModelOptions
from bayesopt.surrogate import _NODES, _WEIGHTS
from bayesopt.warping import WarpedGaussianProcess
from kernels import reference
from tests.test_surrogate import (  # noqa: F401  (module fixtures)
    BRANIN_SPACE,
    MIXED_SPACE,
    _sklearn_reference,
    branin,
    gaussian,
    mixed,
    random_points,
    run,
)


def _mixture(**options):
    """Branin with noise under a mixture model (hyperparameter samples or kernel averaging)."""
    rng = np.random.default_rng(0)
    opt = Optimizer(BRANIN_SPACE, seed=0, options=OptimizerOptions(model=ModelOptions(**options)))
    for _ in range(12):
        params = opt.ask()
        opt.tell(params, branin(params) + 5.0 * rng.standard_normal())
    return opt


@pytest.fixture(scope="module")
def mcmc():
    return _mixture(output_transform="none", hyperparameters="mcmc")


def _near_pair(space, points):
    """points plus a copy of the first moved slightly: a pair correlated close to 1."""
    moved = dict(points[0])
    name = next(n for n, dim in space.items() if isinstance(dim, Real) and not dim.log)
    low, high = space[name].low, space[name].high
    moved[name] = min(high, moved[name] + 0.01 * (high - low))
    return [*points, moved]


def _standard_errors(draws):
    """Sample covariance of draws: (N, m) and the standard error of each entry, from the
    spread of the products of deviations (no Gaussian assumption)."""
    dev = draws - draws.mean(axis=0)
    products = dev[:, :, None] * dev[:, None, :]  # (N, m, m)
    return products.mean(axis=0), products.std(axis=0) / np.sqrt(draws.shape[0])


# --------------------------------------------------------------- references
@pytest.mark.parametrize("noise", [False, True])
def test_covariance_equals_sklearn_without_output_transform(gaussian, noise):  # noqa: F811
    model, reference = _sklearn_reference(gaussian)
    points = random_points(BRANIN_SPACE, 12, 1) + [o.params for o in gaussian.history[:3]]
    _, cov = reference.predict(gaussian.space.encode(points), return_cov=True)
    if noise:
        cov = cov + model.gp.noise * np.eye(len(points))
    slope = model.transform.scale * model.y_scale
    got = gaussian.surrogate().covariance(points, noise=noise)
    assert_allclose(got, slope**2 * cov, rtol=1e-6, atol=1e-9 * slope**2)


def _sklearn_covariance(gp, X):
    """scikit-learn's latent posterior covariance of one GP at its fitted hyperparameters
    (a warped GP at its warped inputs)."""
    kernel = ConstantKernel(gp.kernel.variance, "fixed") * Matern(
        gp.kernel.lengthscales, "fixed", nu=2.5)
    reference = GaussianProcessRegressor(kernel, alpha=gp.noise + gp.jitter, optimizer=None)
    reference.fit(gp.X, gp.y)
    inputs = gp._warp(X) if isinstance(gp, WarpedGaussianProcess) else X
    return reference.predict(inputs, return_cov=True)


@pytest.mark.parametrize("options", [{"input_warping": True}, {"hyperparameters": "mcmc"}])
def test_covariance_of_warped_and_sampled_models_equals_sklearn(options):
    """Each member's latent covariance is scikit-learn's; over hyperparameter samples the
    covariance is their mixture's (law of total covariance), times the output slope²."""
    opt = _mixture(output_transform="none", **options)
    surrogate = opt.surrogate()
    model = surrogate.model
    points = random_points(BRANIN_SPACE, 6, 4)
    X = opt.space.encode(points)
    gp = model.gp
    members = gp.members if model.sampled else [gp]
    assert (len(members) > 1 and gp.log_weights is None if model.sampled
            else isinstance(gp, WarpedGaussianProcess))
    moments = [_sklearn_covariance(member, X) for member in members]
    mu = np.mean([m for m, _ in moments], axis=0)
    expected = np.mean([c + np.outer(m - mu, m - mu) for m, c in moments], axis=0)
    slope = model.transform.scale * model.y_scale
    assert_allclose(surrogate.covariance(points), slope**2 * expected, rtol=1e-6,
                    atol=1e-9 * slope**2)


def test_the_same_point_twice_is_two_observations_with_their_own_noise(gaussian):  # noqa: F811
    surrogate = gaussian.surrogate()
    point = random_points(BRANIN_SPACE, 1, 5)[0]
    latent = surrogate.covariance([point, point])
    noisy = surrogate.covariance([point, point], noise=True)
    noise = surrogate.hyperparameters().noise_variance
    assert_allclose(latent, latent[0, 0], rtol=1e-6)  # one latent value
    assert noisy[0, 1] == pytest.approx(latent[0, 0], rel=1e-6)
    assert noisy[0, 0] == pytest.approx(latent[0, 0] + noise, rel=1e-6)
    assert noisy[0, 1] < noisy[0, 0]


@pytest.mark.parametrize("noise", [False, True])
@pytest.mark.parametrize("which", ["gaussian", "mixed", "mcmc", "kernel_average"])
def test_the_diagonal_is_predicts_variance(request, which, noise):
    if which == "kernel_average":
        opt = _mixture(kernel_candidates=("matern32",), kernel_average=True)
        surrogate, space = opt.surrogate(), BRANIN_SPACE
    else:
        fixture = request.getfixturevalue(which)
        surrogate = fixture.surrogate() if which != "mixed" else fixture.surrogate
        space = MIXED_SPACE if which == "mixed" else BRANIN_SPACE
    points = _near_pair(space, random_points(space, 7, 2))
    cov = surrogate.covariance(points, noise=noise)
    assert np.array_equal(np.diag(cov), surrogate.predict(points, noise=noise).std ** 2)
    assert np.array_equal(cov, cov.T)
    eigenvalues = np.linalg.eigvalsh(cov)
    assert eigenvalues.min() > -1e-9 * eigenvalues.max()
    assert cov[0, -1] > 0.5 * np.sqrt(cov[0, 0] * cov[-1, -1])  # the near pair


def test_the_yeo_johnson_covariance_equals_monte_carlo_of_the_back_transform(mixed):  # noqa: F811
    """g(F), F ~ N(μ, Σ) the latent joint posterior, by 400 000 draws: every entry within
    5 standard errors; the latent covariance (times the output slope²) is not."""
    surrogate, model = mixed.surrogate, mixed.model
    assert model.transform.lmbda is not None
    points = _near_pair(MIXED_SPACE, random_points(MIXED_SPACE, 5, 3)) + [mixed.history[-1].params]
    X = surrogate._encode(points)
    [(_, mu, sigma, _)] = model.joint(X)
    L = np.linalg.cholesky(sigma + 1e-12 * np.eye(len(points)))
    latent = mu + np.random.default_rng(4).standard_normal((400_000, len(points))) @ L.T
    estimate, error = _standard_errors(model.to_objective(latent))
    got = surrogate.covariance(points)
    assert np.all(np.abs(got - estimate) < 5 * error + 1e-12)
    slope = surrogate.hyperparameters().output_slope
    assert np.max(np.abs(slope**2 * sigma - estimate) / (5 * error + 1e-12)) > 10


def test_mehlers_series_equals_the_bivariate_quadrature_of_every_pair(mixed):  # noqa: F811
    """`bayesopt.joint.transformed_covariance` (Mehler's series, pairs near ρ = 1 integrated)
    against the product trapezoid rule on every pair: within 1e-6 of √(Var_i Var_j)."""
    model = mixed.model
    points = _near_pair(MIXED_SPACE, random_points(MIXED_SPACE, 6, 3))
    X = mixed.surrogate._encode(points)
    [(_, mu, sigma, _)] = model.joint(X)
    std = np.sqrt(np.diag(sigma))
    got = joint.transformed_covariance(model.to_objective, mu, std, sigma, _NODES, _WEIGHTS)
    values = model.to_objective(mu[:, None] + std[:, None] * _NODES)  # (m, q)
    dev = values - (values @ _WEIGHTS)[:, None]
    m = len(points)
    reference = np.array([[joint._pair(model.to_objective, mu[j], std[j],
                                       float(np.clip(sigma[i, j] / (std[i] * std[j]), -1, 1)),
                                       dev[i], _NODES, _WEIGHTS) for j in range(m)]
                          for i in range(m)])
    off = ~np.eye(m, dtype=bool)
    scale = np.sqrt(np.outer(np.diag(reference), np.diag(reference)))
    assert np.max(np.abs(got - reference)[off] / scale[off]) < 1e-6
    assert sigma[0, -1] / (std[0] * std[-1]) > 0.999  # the pair the series leaves to quadrature


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_perfectly_correlated_pairs_equal_the_bivariate_quadrature(mixed, sign):  # noqa: F811
    """ρ = ±1 (Y = ±X, integrated in one dimension) against the product rule at ρ = ±1."""
    g = mixed.model.to_objective
    mu, std = np.array([1.9, 0.4]), np.array([0.4, 0.7])
    cov = np.array([[std[0] ** 2, sign * std[0] * std[1]], [sign * std[0] * std[1], std[1] ** 2]])
    got = joint.transformed_covariance(g, mu, std, cov, _NODES, _WEIGHTS)
    values = g(mu[0] + std[0] * _NODES)
    expected = joint._pair(g, mu[1], std[1], sign, values - values @ _WEIGHTS, _NODES, _WEIGHTS)
    assert got[0, 1] == pytest.approx(expected, rel=1e-9)
    assert np.sign(got[0, 1]) == sign


@pytest.mark.parametrize("noise", [False, True])
def test_a_point_given_twice_under_yeo_johnson(mixed, noise):  # noqa: F811
    """Latent: one value, so the covariance is the variance; noisy: two observations sharing
    f, the covariance of g(f + ε₁) and g(f + ε₂), against the bivariate quadrature."""
    surrogate, model = mixed.surrogate, mixed.model
    point = random_points(MIXED_SPACE, 1, 3)[0]
    cov = surrogate.covariance([point, point], noise=noise)
    if not noise:
        assert cov[0, 1] == pytest.approx(cov[0, 0], rel=1e-9)
        return
    X = surrogate._encode([point])
    mu, std = model.predict(X)
    total = np.sqrt(std**2 + model.gp.noise)
    values = model.to_objective(mu[0] + total[0] * _NODES)
    dev = values - values @ _WEIGHTS
    rho = float(std[0] ** 2 / total[0] ** 2)
    expected = joint._pair(model.to_objective, mu[0], total[0], rho, dev, _NODES, _WEIGHTS)
    assert cov[0, 1] == pytest.approx(expected, rel=1e-6)
    assert cov[0, 1] < cov[0, 0]


@pytest.mark.parametrize("noise", [False, True])
def test_the_jitted_series_gives_the_covariance_of_the_numpy_formula(mixed, monkeypatch, noise):  # noqa: F811
    """`kernels.mehler.mehler_series` (Numba) against the numpy loop it replaced
    (`kernels.reference.mehler_series`) through the whole public covariance, at 60 random
    points, a near pair (integrated) and a point given twice: every entry within 1e-13 of
    √(Var_i Var_j) (bit for bit where no power of ρ is flushed), the diagonal predict's."""
    surrogate = mixed.surrogate
    points = _near_pair(MIXED_SPACE, random_points(MIXED_SPACE, 60, 21))
    points.append(points[3])
    calls = []
    real_pair = joint._pair
    monkeypatch.setattr(joint, "_pair", lambda *args: calls.append(1) or real_pair(*args))
    got = surrogate.covariance(points, noise=noise)
    integrated = len(calls)
    monkeypatch.setattr(joint, "mehler_series", reference.mehler_series)
    expected = surrogate.covariance(points, noise=noise)
    assert len(calls) == 2 * integrated >= 1  # the near pair went to the quadrature both times
    scale = np.sqrt(np.outer(np.diag(expected), np.diag(expected)))
    assert np.max(np.abs(got - expected) / scale) <= 1e-13
    assert np.array_equal(np.diag(got), surrogate.predict(points, noise=noise).std ** 2)
    assert np.array_equal(got, got.T)


# ----------------------------------------------------------------- samples
@pytest.mark.parametrize("which", ["gaussian", "mixed", "mcmc"])
def test_sample_moments_are_predicts_and_covariances(request, which):
    """100 000 draws: mean within 5 standard errors of predict's, covariance of covariance()'s.
    With mcmc each draw picks a member: the mixture's moments (law of total covariance)."""
    fixture = request.getfixturevalue(which)
    surrogate = fixture.surrogate() if which != "mixed" else fixture.surrogate
    space = MIXED_SPACE if which == "mixed" else BRANIN_SPACE
    points = _near_pair(space, random_points(space, 5, 6))
    draws = surrogate.sample(points, 100_000, seed=11)
    assert draws.shape == (100_000, len(points))
    prediction = surrogate.predict(points)
    assert np.all(np.abs(draws.mean(axis=0) - prediction.mean)
                  < 5 * prediction.std / np.sqrt(draws.shape[0]))
    estimate, error = _standard_errors(draws)
    cov = surrogate.covariance(points)
    assert np.all(np.abs(cov - estimate) < 5 * error + 1e-12)
    correlation = estimate[0, -1] / np.sqrt(estimate[0, 0] * estimate[-1, -1])
    assert correlation > 0.9  # independent draws per point would give about 0
    assert correlation == pytest.approx(cov[0, -1] / np.sqrt(cov[0, 0] * cov[-1, -1]), abs=0.01)


def test_noisy_samples_add_independent_noise(gaussian):  # noqa: F811
    surrogate = gaussian.surrogate()
    point = random_points(BRANIN_SPACE, 1, 5)[0]
    draws = surrogate.sample([point, point], 100_000, seed=3, noise=True)
    estimate, error = _standard_errors(draws)
    cov = surrogate.covariance([point, point], noise=True)
    assert np.all(np.abs(cov - estimate) < 5 * error)
    assert np.all(draws[:, 0] != draws[:, 1])


def test_the_same_seed_gives_the_same_draws(gaussian):  # noqa: F811
    surrogate = gaussian.surrogate()
    points = random_points(BRANIN_SPACE, 4, 7)
    first = surrogate.sample(points, 5, seed=3)
    assert np.array_equal(first, surrogate.sample(points, 5, seed=3))
    assert np.array_equal(first, surrogate.sample(points, 5, seed=np.random.default_rng(3)))
    assert not np.array_equal(first, surrogate.sample(points, 5, seed=4))
    rng = np.random.default_rng(3)
    surrogate.sample(points, 5, seed=rng)
    assert not np.array_equal(first, surrogate.sample(points, 5, seed=rng))  # advanced


def test_a_maximizing_study_flips_the_sign():
    """maximize(−f) and minimize(f) fit the same model: draws negate, covariances agree."""
    minimizing = run(BRANIN_SPACE, branin, 10, transform="none")
    maximizing = run(BRANIN_SPACE, lambda p: -branin(p), 10, maximize=True, transform="none")
    points = random_points(BRANIN_SPACE, 4, 8)
    low, high = minimizing.surrogate(), maximizing.surrogate()
    assert_allclose(high.sample(points, 3, seed=0), -low.sample(points, 3, seed=0), rtol=1e-9)
    assert_allclose(high.covariance(points), low.covariance(points), rtol=1e-9)
    assert np.all(high.sample(points, 3, seed=0) < 0)  # −Branin is negative everywhere


# --------------------------------------------------------------- validation
@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"size": 0}, ValueError, r"size=0 must be >= 1"),
    ({"size": True}, TypeError, r"size=True must be an integer"),
    ({"size": 2.0}, TypeError, r"size=2.0 must be an integer"),
    ({"size": 2, "seed": "a"}, TypeError, r"seed='a' must be an int, a numpy Generator or None"),
    ({"size": 2, "seed": True}, TypeError, r"seed=True must be an int"),
    ({"size": 2, "seed": -1}, ValueError, r"seed=-1 must be >= 0"),
    ({"size": 2, "noise": 1}, TypeError, r"noise=1 must be True or False"),
])
def test_sample_validates_its_arguments(gaussian, kwargs, error, match):  # noqa: F811
    with pytest.raises(error, match=match):
        gaussian.surrogate().sample({"x0": 1.0, "x1": 2.0}, **kwargs)


@pytest.mark.parametrize("method", ["covariance", "sample"])
def test_params_are_validated_like_predicts(gaussian, method):  # noqa: F811
    surrogate = gaussian.surrogate()
    call = getattr(surrogate, method)
    extra = (1,) if method == "sample" else ()
    with pytest.raises(ValueError, match=r"'x0'.*11.0 is outside \[-5.0, 10.0\]"):
        call({"x0": 11.0, "x1": 2.0}, *extra)
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) \['lr'\]"):
        call({"x0": 1.0, "x1": 2.0, "lr": 3.0}, *extra)
    with pytest.raises(TypeError, match=r"noise='no' must be True or False"):
        call({"x0": 1.0, "x1": 2.0}, *extra, noise="no")
    too_many = random_points(BRANIN_SPACE, MAX_POINTS + 1, 9)
    with pytest.raises(ValueError, match=rf"params has {MAX_POINTS + 1} points: .* at most "
                                         rf"{MAX_POINTS}"):
        call(too_many, *extra)


@pytest.mark.parametrize("transform", ["yeo-johnson", "none"])
@pytest.mark.parametrize("factor", [1e-300, 1e100, 1e200, 1e300])
def test_covariance_at_extreme_scales_is_the_unit_scales_times_the_factor_squared(
        transform, factor):
    """covariance, like predict, at any finite scale of the objective: its entries are the
    unit scale's times factor², ±inf where that is beyond floats, never nan and without a
    RuntimeWarning. Before: OverflowError without a transform from 1e200 on; with
    Yeo–Johnson, nan entries and numpy's overflow warnings, and from 1e100 on the bound
    that sends nearly-1-correlated pairs to the bivariate quadrature overflowed."""
    options = OptimizerOptions(model=ModelOptions(output_transform=transform))
    opts = [Optimizer(BRANIN_SPACE, seed=0, options=options) for _ in range(2)]
    for _ in range(10):
        for opt, scale in zip(opts, (1.0, factor)):
            params = opt.ask()
            opt.tell(params, scale * branin(params))
    points = _near_pair(BRANIN_SPACE, random_points(BRANIN_SPACE, 4, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reference, scaled = (opt.surrogate().covariance(points, noise=True) for opt in opts)
    assert (opts[1].surrogate().hyperparameters().output_transform["lmbda"] is None) == (
        transform == "none")
    assert not np.any(np.isnan(scaled))
    with np.errstate(over="ignore", under="ignore"):
        expected = reference * factor * factor  # (m, m): ±inf beyond floats, 0 below
    finite = np.isfinite(expected)
    assert np.array_equal(scaled[~finite], expected[~finite])
    assert_allclose(scaled[finite], expected[finite], rtol=1e-6,
                    atol=1e-6 * np.max(np.abs(expected[finite]), initial=0.0))

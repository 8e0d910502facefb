"""The public surrogate (bayesopt.surrogate) against independent references.

- with no output transform: scikit-learn's GaussianProcessRegressor at the
  same fixed hyperparameters (mean, std with and without noise, the log
  marginal likelihood);
- with Yeo–Johnson: a Monte-Carlo sample of the back-transformed Gaussian;
- hyperparameters in user units: the space's encoding and finite differences;
- the acquisition: what the next ask maximizes, and asking is unchanged by
  taking snapshots.
"""

from __future__ import annotations

import math
import warnings

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import scipy.stats
from numpy.testing import assert_allclose
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import ConstantKernel, Matern

from bayesopt import Categorical, Integer, Optimizer, OptimizerOptions, Real, minimize, plots
from bayesopt.model import ModelFitWarning, ModelOptions
from bayesopt.test_functions import Branin
from lapack_rounding import as_pinned

BRANIN_SPACE = {"x0": Real(-5.0, 10.0), "x1": Real(0.0, 15.0)}
OPTIMIZER_CHOICES = {"sgd": 0.5, "adam": 0.0, "rmsprop": 0.2}
MIXED_SPACE = {
    "lr": Real(1e-5, 1e-1, log=True),
    "batch_size": Integer(16, 256, log=True),
    "momentum": Real(0.0, 0.99),
    "optimizer": Categorical(list(OPTIMIZER_CHOICES)),
}


def mixed_objective(p):
    """The 4-D problem of issue 12, item 2."""
    return ((math.log10(p["lr"]) + 2) ** 2 + 0.3 * (p["momentum"] - 0.9) ** 2
            + 1e-4 * (p["batch_size"] - 64) ** 2 + OPTIMIZER_CHOICES[p["optimizer"]])


def branin(p):
    return float(Branin().evaluate_true(np.array([p["x0"], p["x1"]])))


def run(space, func, n, *, maximize=False, transform="yeo-johnson", seed=0):
    options = OptimizerOptions(model=ModelOptions(output_transform=transform))
    opt = Optimizer(space, seed=seed, maximize=maximize, options=options)
    for _ in range(n):
        params = opt.ask()
        opt.tell(params, func(params))
    return opt


def random_points(space, n, seed):
    from bayesopt.space import Space

    s = Space(space)
    return s.decode(s.from_unit(np.random.default_rng(seed).random((n, s.n_dims))))


@pytest.fixture(scope="module")
def gaussian():
    """Branin (maximized as −Branin, so the sign matters), no output transform."""
    return run(BRANIN_SPACE, lambda p: -branin(p), 14, maximize=True, transform="none")


@pytest.fixture(scope="module")
def mixed():
    """The issue's 4-D mixed problem: 30 evaluations, seed 0 (λ ≈ −1.56)."""
    return minimize(mixed_objective, MIXED_SPACE, n_calls=30, seed=0, progress=False)


def _sklearn_reference(opt):
    """scikit-learn's GP at our fitted hyperparameters, on the same standardized targets."""
    model = opt.result().model
    gp = model.gp
    kernel = ConstantKernel(gp.kernel.variance, "fixed") * Matern(
        gp.kernel.lengthscales, "fixed", nu=2.5)
    hp = opt.surrogate().hyperparameters()  # the public jitter, not the GP's internals
    assert hp.jitter_by_observation_standardized is None
    reference = GaussianProcessRegressor(
        kernel, alpha=hp.noise_variance_standardized + hp.jitter_standardized, optimizer=None)
    reference.fit(gp.X, gp.y)
    return model, reference


# ------------------------------------------------------------------ Gaussian case
@pytest.mark.parametrize("noise", [False, True])
def test_predict_equals_sklearn_without_output_transform(gaussian, noise):
    model, reference = _sklearn_reference(gaussian)
    points = random_points(BRANIN_SPACE, 20, 1) + [o.params for o in gaussian.history[:3]]
    mean, std = reference.predict(gaussian.space.encode(points), return_std=True)
    if noise:
        std = np.sqrt(std**2 + model.gp.noise)
    slope = model.transform.scale * model.y_scale
    expected = -(model.transform.mean + slope * (model.y_mean + mean))  # maximize: back to +value
    got = gaussian.surrogate().predict(points, noise=noise, level=0.8)
    assert_allclose(got.mean, expected, rtol=1e-7, atol=1e-7 * slope)
    assert_allclose(got.median, expected, rtol=1e-7, atol=1e-7 * slope)
    assert_allclose(got.std, slope * std, rtol=1e-6, atol=1e-9 * slope)
    z = scipy.stats.norm.ppf(0.9)
    assert_allclose(got.lower, expected - z * slope * std, rtol=1e-6, atol=1e-6 * slope)
    assert_allclose(got.upper, expected + z * slope * std, rtol=1e-6, atol=1e-6 * slope)
    assert got.noise is noise and got.level == 0.8


def test_predict_at_observations_is_in_the_objectives_units_and_sign(gaussian):
    observed = [o for o in gaussian.history]
    got = gaussian.surrogate().predict([o.params for o in observed])
    values = np.array([o.value for o in observed])
    assert_allclose(got.mean, values, rtol=0, atol=1e-3 * np.ptp(values))
    assert np.all(got.mean < 0)  # −Branin, maximized: never the minimization sign


def test_log_marginal_likelihood_equals_sklearn(gaussian):
    model, reference = _sklearn_reference(gaussian)
    evidence = gaussian.surrogate().evidence()
    assert evidence.log_marginal_likelihood == pytest.approx(
        reference.log_marginal_likelihood_value_, rel=1e-8, abs=1e-8)
    params = np.concatenate([model.gp.kernel.theta, [math.log(model.gp.noise)]])
    priors = model.priors
    locs = [priors.lengthscale.loc] * 2 + [priors.variance.loc, priors.noise.loc]
    scales = [priors.lengthscale.scale] * 2 + [priors.variance.scale, priors.noise.scale]
    log_prior = float(np.sum(scipy.stats.norm.logpdf(params, locs, scales)))
    assert evidence.log_prior == pytest.approx(log_prior, rel=1e-12)
    assert evidence.log_marginal_likelihood_plus_log_prior == pytest.approx(
        reference.log_marginal_likelihood_value_ + log_prior, rel=1e-8)
    assert evidence.n == len(gaussian.history)


def test_evidence_of_a_maximum_likelihood_fit_has_no_prior():
    """With ModelOptions(priors=False) the fit maximizes log p(t | θ) alone (R&W Sec. 5.4.1):
    log_prior is 0.0 and the sum is the log marginal likelihood, which is scikit-learn's at
    the fitted θ (the hyperprior's density was reported, from a prior the fit never used)."""
    options = OptimizerOptions(model=ModelOptions(output_transform="none", priors=False))
    opt = Optimizer(BRANIN_SPACE, seed=0, options=options)
    for _ in range(10):
        params = opt.ask()
        opt.tell(params, branin(params))
    _, reference = _sklearn_reference(opt)
    evidence = opt.surrogate().evidence()
    assert evidence.log_prior == 0.0 and isinstance(evidence.log_prior, float)
    assert evidence.log_marginal_likelihood == pytest.approx(
        reference.log_marginal_likelihood_value_, rel=1e-8, abs=1e-8)
    assert evidence.log_marginal_likelihood_plus_log_prior == evidence.log_marginal_likelihood


def test_noise_and_signal_variance_in_objective_units(gaussian):
    surrogate = gaussian.surrogate()
    hp = surrogate.hyperparameters()
    point = random_points(BRANIN_SPACE, 1, 2)
    latent, noisy = surrogate.predict(point).std, surrogate.predict(point, noise=True).std
    assert noisy[0] ** 2 - latent[0] ** 2 == pytest.approx(hp.noise_variance, rel=1e-6)
    model = surrogate.model
    slope = model.transform.scale * model.y_scale
    assert hp.signal_variance == pytest.approx(model.gp.kernel.variance * slope**2, rel=1e-12)
    assert hp.output_transform["lmbda"] is None


# ------------------------------------------------------ jitter (an ill-conditioned K)
GRID = np.linspace(0.0, 1.0, 500)  # the audit's fine 1-D grid


@pytest.fixture(scope="module")
def ill_conditioned():
    """The audit's case: 500 points of a smooth 1-D function on a grid, the noise pinned at
    1e-300, no output transform: K + σ²I does not factorize without jitter. The fits as
    before 0.14.0 (`as_pinned`): the preconditioned refits end at a θ whose K factorizes
    unaided, and this test needs a jitter to check."""
    options = as_pinned(OptimizerOptions(model=ModelOptions(noise_variance=1e-300,
                                                            output_transform="none")))
    opt = Optimizer({"x": Real(0.0, 1.0)}, seed=0, options=options)
    with pytest.warns(ModelFitWarning, match="pinned"):  # fits under the pinned noise fail
        return _told_one_by_one(opt, GRID)


def _told_one_by_one(opt, grid):
    for x in grid:
        opt.tell({"x": float(x)}, float(np.sin(6 * x) + 0.1 * x))
    return opt.surrogate()


def _rebuilt(surrogate, alpha):
    """scikit-learn's GP in objective units from the reported hyperparameters alone."""
    hp = surrogate.hyperparameters()
    X = surrogate.space.encode([o.params for o in surrogate.observed])
    y = np.array([o.value for o in surrogate.observed])
    t, s = hp.output_transform, hp.output_standardization
    offset = t["mean"] + t["scale"] * s["mean"]  # no power transform: y = offset + c·f
    kernel = ConstantKernel(hp.signal_variance, "fixed") * Matern(
        hp.lengthscales_unit_cube["x"], "fixed", nu=2.5)
    return GaussianProcessRegressor(kernel, alpha=alpha, optimizer=None).fit(X, y - offset), offset


def test_the_reported_jitter_rebuilds_the_exact_posterior(ill_conditioned):
    """noise_variance + jitter on the diagonal gives predict's mean and std; noise_variance
    alone (what hyperparameters() reported before it had a jitter) does not factorize, and a
    jitter off by 10× in either direction gives another posterior."""
    hp = ill_conditioned.hyperparameters()
    assert hp.jitter_standardized > 1e6 * hp.noise_variance_standardized
    assert hp.jitter == pytest.approx(hp.jitter_standardized * hp.output_slope**2, rel=1e-12)
    assert hp.jitter_by_observation_standardized is None  # one factorization: every row alike
    points = [{"x": float(x)} for x in np.linspace(0.0005, 0.9995, 41)]  # between the grid's
    got = ill_conditioned.predict(points)
    X = ill_conditioned.space.encode(points)
    reference, offset = _rebuilt(ill_conditioned, hp.noise_variance + hp.jitter)
    mean, std = reference.predict(X, return_std=True)
    assert_allclose(got.mean, offset + mean, rtol=0, atol=1e-8)
    # std ~ 2e-5 of a prior std ~ 5: the variance k** − |v|² cancels ~11 digits, so the two
    # implementations agree to the rounding of |v|² ≈ k**, a sum of n squares, which grows
    # as √n·u·k** (u = eps/2; the probabilistic bound of Higham & Mary 2019, "A new approach
    # to probabilistic rounding error analysis", with its constant λ taken as 1): √n·eps·k**
    # apart. That is ~1e-4 of the std and moves with the LAPACK's rounding (scipy 1.17.1's
    # wheel: 9.4 eps·k**, 1.18.1's: 14.1), so it is asserted on the variance.
    prior_variance = hp.signal_variance  # k** in objective units
    assert_allclose(got.std**2, std**2, rtol=0,
                    atol=math.sqrt(len(GRID)) * np.finfo(float).eps * prior_variance)
    with pytest.raises(np.linalg.LinAlgError):
        _rebuilt(ill_conditioned, hp.noise_variance)
    for wrong in (0.1, 10.0):
        _, std = _rebuilt(ill_conditioned, hp.noise_variance + wrong * hp.jitter)[0].predict(
            X, return_std=True)
        assert np.max(np.abs(std / got.std - 1)) > 0.1


def test_an_ordinary_run_reports_no_jitter(gaussian):
    hp = gaussian.surrogate().hyperparameters()
    assert hp.jitter == 0.0 and hp.jitter_standardized == 0.0
    assert hp.jitter_by_observation_standardized is None


# ------------------------------------------------------------ Yeo–Johnson case
@pytest.mark.parametrize("noise", [False, True])
def test_predict_equals_monte_carlo_of_the_back_transformed_gaussian(mixed, noise):
    surrogate = mixed.surrogate
    model = surrogate.model
    assert model.transform.lmbda is not None and model.transform.lmbda < -1
    points = random_points(MIXED_SPACE, 6, 3) + [mixed.history[-1].params]
    got = surrogate.predict(points, noise=noise, level=0.9)
    mu, std = model.predict(mixed.space.encode(points))
    if noise:
        std = np.sqrt(std**2 + model.gp.noise)
    samples = mu + std * np.random.default_rng(4).standard_normal((200_000, len(points)))
    y = model.to_objective(samples)  # (N, m), the back-transformed Gaussian
    error = 5 * y.std(axis=0) / math.sqrt(samples.shape[0]) + 1e-9
    assert np.all(np.abs(got.mean - y.mean(axis=0)) < error)
    assert_allclose(got.std, y.std(axis=0), rtol=0.01, atol=1e-9)
    q05, q50, q95 = np.quantile(y, [0.05, 0.5, 0.95], axis=0)
    spread = y.std(axis=0) + 1e-12
    assert np.all(np.abs(got.median - q50) < 0.02 * spread)
    assert np.all(np.abs(got.lower - q05) < 0.02 * spread)
    assert np.all(np.abs(got.upper - q95) < 0.02 * spread)
    assert np.all(got.lower <= got.median) and np.all(got.median <= got.upper)


def test_the_gps_targets_follow_from_the_reported_output_transform(mixed):
    """y ↦ t, the standardized Yeo–Johnson values the GP regresses on, from hyperparameters()
    alone: the same numbers as the model's own targets."""
    hp = mixed.surrogate.hyperparameters()
    y = mixed.values  # minimizing: the objective's values as they are
    transform, standardization = hp.output_transform, hp.output_standardization
    z = (y - transform["mean"]) / transform["scale"]
    t = (scipy.stats.yeojohnson(z, transform["lmbda"]) - standardization["mean"]) \
        / standardization["scale"]
    assert_allclose(t, mixed.model.gp.y, rtol=1e-9, atol=1e-9)
    assert transform["lmbda"] is not None and abs(standardization["mean"]) > 1e-3


def test_output_slope_is_the_back_transforms_derivative_at_the_median(mixed):
    surrogate = mixed.surrogate
    model = surrogate.model
    hp = surrogate.hyperparameters()
    median_y = float(np.median(mixed.values))
    w = model.transform(np.array([median_y]))  # transformed units
    f0 = (w[0] - model.y_mean) / model.y_scale
    h = 1e-6
    slope = (model.to_objective(np.array([f0 + h])) - model.to_objective(np.array([f0 - h])))
    assert hp.output_slope == pytest.approx(float(slope[0]) / (2 * h), rel=1e-5)
    assert hp.signal_variance == pytest.approx(hp.signal_variance_standardized * hp.output_slope**2)
    assert hp.noise_variance == pytest.approx(hp.noise_variance_standardized * hp.output_slope**2)


def test_lengthscales_by_dimension_name(mixed):
    hp = mixed.surrogate.hyperparameters()
    columns = mixed.model.gp.kernel.lengthscales
    assert list(hp.lengthscales) == list(MIXED_SPACE)
    assert hp.lengthscales_unit_cube["lr"] == columns[0]
    assert hp.lengthscales["lr"] == pytest.approx(columns[0] * 4.0)  # 4 decades
    assert hp.lengthscales["batch_size"] == pytest.approx(columns[1] * math.log10(256.5 / 15.5))
    assert hp.lengthscales["momentum"] == pytest.approx(columns[2] * 0.99)
    assert hp.lengthscales["optimizer"] == dict(zip(OPTIMIZER_CHOICES, columns[3:]))
    assert hp.kernel == "matern52"

    assert hp.input_warping is None


@pytest.mark.parametrize("hyperparameters", ["map", "mcmc"])
def test_input_warping_is_reported_by_dimension_name(hyperparameters):
    """The Kumaraswamy (a, b) the kernel's inputs went through: the GP's own warp (MAP),
    the samples' geometric mean (mcmc); never on a categorical's one-hot columns."""
    model = ModelOptions(input_warping=True, hyperparameters=hyperparameters, mcmc_samples=3,
                         mcmc_burn_in=2) if hyperparameters == "mcmc" else \
        ModelOptions(input_warping=True)
    result = minimize(mixed_objective, MIXED_SPACE, n_calls=10, seed=0, progress=False,
                      options=OptimizerOptions(model=model))
    warps = result.surrogate.hyperparameters().input_warping
    assert list(warps) == ["lr", "batch_size", "momentum"]
    gp = result.model.gp
    if hyperparameters == "map":
        theta = gp.warp_theta  # (log a_1 … log a_3, log b_1 … log b_3)
    else:
        theta = np.mean([member.warp_theta for member in gp.members], axis=0)
    assert_allclose([warps[name] for name in warps], np.exp(theta).reshape(2, 3).T, rtol=1e-9)
    assert len({ab for ab in warps.values()}) == 3  # fitted, not the identity


# ------------------------------------------------- issue 12, item 2: sane values
def _envelope(result):
    low, high = float(np.min(result.values)), float(np.max(result.values))
    return low - (high - low), high + (high - low)


def test_partial_dependence_of_the_issues_problem_stays_in_the_envelope(mixed):
    """Was 6.3e8 (observed values in [0.002, 13.4]): Yeo–Johnson's inverse at its pole."""
    low, high = _envelope(mixed)
    fig, axes = plots.objective(mixed, n_points=12, n_samples=60)
    drawn = [line.get_ydata() for row in range(4) for line in axes[row, row].get_lines()[:1]]
    for name in MIXED_SPACE:
        drawn.append(plots.partial_dependence_1d(mixed, name, n_points=12, n_samples=60)[1])
    drawn.append(plots.partial_dependence_2d(mixed, "lr", "momentum", n_points=12,
                                             n_samples=60)[2].ravel())
    values = np.concatenate([np.asarray(v, dtype=float) for v in drawn])
    assert np.all(np.isfinite(values)) and np.all((low < values) & (values < high))
    assert len(fig.axes) == 4 * 4 + 1  # the matrix and one colour bar for the 2-D panels
    assert "partial dependence" in fig.axes[-1].get_ylabel()


def test_predictions_far_from_the_data_stay_in_the_envelope(mixed):
    low, high = _envelope(mixed)
    got = mixed.surrogate.predict(random_points(MIXED_SPACE, 200, 5), noise=True, level=0.99)
    for values in (got.mean, got.median, got.lower, got.upper):
        assert np.all(np.isfinite(values)) and np.all((low <= values) & (values <= high))
    assert np.all(np.isfinite(got.std)) and np.all(got.std < high - low)
    raw, half = mixed.model.predict_raw(mixed.space.encode(random_points(MIXED_SPACE, 200, 5)))
    assert np.all((low <= raw) & (raw <= high)) and np.all(np.isfinite(half))


def test_a_new_observations_predictive_over_hyperparameter_samples_is_the_mixtures():
    """With mcmc, noise=True is the mixture of the samples' N(μ_s, s_s² + σ_s²): the latent
    mixture's variance plus the samples' mean noise (not the noise at their mean log)."""
    rng = np.random.default_rng(0)
    model = ModelOptions(output_transform="none", hyperparameters="mcmc")
    opt = Optimizer(BRANIN_SPACE, seed=0, options=OptimizerOptions(model=model))
    for _ in range(12):
        params = opt.ask()
        opt.tell(params, branin(params) + 20.0 * rng.standard_normal())
    surrogate = opt.surrogate()
    noises = np.array([member.noise for member in surrogate.model.gp.members])  # (S,)
    assert np.ptp(np.log(noises)) > 1.0  # the samples disagree on the noise
    points = random_points(BRANIN_SPACE, 5, 3)
    mu, sd = surrogate.model.predict_samples(surrogate.space.encode(points))  # (S, m) each
    variance = np.mean(sd**2 + noises[:, None] + mu**2, axis=0) - np.mean(mu, axis=0) ** 2
    slope = surrogate.hyperparameters().output_slope
    assert_allclose(surrogate.predict(points, noise=True).std, slope * np.sqrt(variance),
                    rtol=1e-9)


@pytest.mark.parametrize("factor", [1e-300, 1e300])
def test_objectives_at_extreme_scales_ask_what_unit_scale_asks(factor):
    """The model sees z-scores: any finite scale of the values asks the same points, and
    the surrogate answers in the objective's units (variances beyond floats are inf)."""
    opts = [Optimizer(BRANIN_SPACE, seed=0) for _ in range(2)]
    asks = [[], []]
    for _ in range(8):
        for opt, scale, got in zip(opts, (1.0, factor), asks):
            params = opt.ask()
            got.append([params["x0"], params["x1"]])
            opt.tell(params, scale * branin(params))
    assert_allclose(asks[1], asks[0], rtol=1e-6)
    point = random_points(BRANIN_SPACE, 1, 4)
    reference, scaled = (opt.surrogate() for opt in opts)
    assert scaled.predict(point).median[0] == pytest.approx(
        factor * reference.predict(point).median[0], rel=1e-6)
    variance = scaled.hyperparameters().signal_variance
    assert variance == (math.inf if factor > 1 else 0.0)


@pytest.mark.parametrize("factor", [1e-300, 1e200, 1e300])
def test_predicts_std_at_extreme_scales_is_the_unit_scales_times_the_factor(factor):
    """With the power transform the std is a quadrature over g(F)²: at 1e300 (1e200) the
    squares overflowed and the std was inf, at 1e-300 they underflowed and it was 0; and
    the tell at 1e200 showed numpy's 'overflow encountered in square'."""
    opts = [Optimizer(BRANIN_SPACE, seed=0) for _ in range(2)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning from a tell or a prediction
        for _ in range(8):
            for opt, scale in zip(opts, (1.0, factor)):
                params = opt.ask()
                opt.tell(params, scale * branin(params))
        points = random_points(BRANIN_SPACE, 5, 4)
        reference, scaled = (opt.surrogate().predict(points) for opt in opts)
    assert opts[1].surrogate().hyperparameters().output_transform["lmbda"] is not None
    assert_allclose(scaled.std, factor * reference.std, rtol=1e-6)
    assert_allclose(scaled.mean, factor * reference.mean, rtol=1e-6)


def test_values_spanning_the_floats_predict_without_runtime_warnings():
    """Tells of ±1e308 (accepted: finite): the observed range's width overflows, and
    predict, covariance and sample showed numpy's 'overflow encountered in subtract'
    from the saturated back-transform; the envelope is then all the floats."""
    opt = Optimizer(BRANIN_SPACE, seed=0)
    for value in (1e308, -1e308, 5e307, 0.0, 1.0, -3e307):
        opt.tell(opt.ask(), value)
    points = random_points(BRANIN_SPACE, 3, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        surrogate = opt.surrogate()
        prediction = surrogate.predict(points, noise=True)
        surrogate.covariance(points)
        draws = surrogate.sample(points, 4, seed=0)
    assert surrogate.hyperparameters().output_transform["lmbda"] is not None
    assert np.all(np.isfinite(prediction.median)) and np.all(np.isfinite(draws))
    assert np.all(prediction.lower <= prediction.median)
    assert np.all(prediction.median <= prediction.upper)


# --------------------------------------------------------------- acquisition
def test_acquisition_is_what_the_next_ask_maximizes():
    opt = run(BRANIN_SPACE, branin, 12)
    surrogate = opt.surrogate()
    asked = opt.ask()
    at_ask = surrogate.acquisition(asked)
    others = surrogate.acquisition(random_points(BRANIN_SPACE, 256, 6))
    assert at_ask.name == "logei" and at_ask.pending is False
    assert at_ask.log_value[0] >= np.max(others.log_value) - 1e-6
    assert_allclose(others.value, np.exp(others.log_value))
    # with the asked point now pending, the snapshot's pending=True view is the next ask's
    with_pending = opt.surrogate()
    near = {"x0": asked["x0"], "x1": min(asked["x1"] + 1e-3, 15.0)}
    assert with_pending.acquisition(near, pending=True).log_value[0] < \
        with_pending.acquisition(near).log_value[0]


@pytest.mark.parametrize("acquisition", ["ei", "ucb", "pi"])
def test_acquisition_values_and_logs(acquisition):
    opt = Optimizer(BRANIN_SPACE, seed=0, acquisition=acquisition)
    for _ in range(8):
        params = opt.ask()
        opt.tell(params, branin(params))
    got = opt.surrogate().acquisition(random_points(BRANIN_SPACE, 50, 7))
    assert got.name == acquisition and got.value.shape == (50,)
    if acquisition == "ucb":
        assert got.log_value is None
    else:
        assert np.all(got.value >= 0) and np.all(np.isfinite(got.log_value))
        representable = got.value > 1e-300
        assert_allclose(got.log_value[representable], np.log(got.value[representable]),
                        rtol=1e-9)


def test_ei_log_value_is_logeis_where_ei_underflows():
    """acquisition="ei": log_value was −inf wherever EI underflowed to 0, where LogEI's is
    finite (about −1e4 to −1e5 next to the observed points of a steep quadratic). Both
    optimizers are told the same points, so both surrogates are the same GP with the same
    incumbent: EI's log_value is LogEI's, its value still EI."""
    space = {"x": Real(0.0, 1.0), "y": Real(0.0, 1.0)}
    points = [{"x": x, "y": y} for x, y in np.random.default_rng(4).random((12, 2))]
    values = [100 * (p["x"] - 0.3) ** 2 + 100 * (p["y"] - 0.6) ** 2 for p in points]
    got = {}
    for acquisition in ("ei", "logei"):
        opt = Optimizer(space, seed=0, acquisition=acquisition)
        opt.tell(points, values)
        got[acquisition] = opt.surrogate().acquisition(points + [{"x": 1.0, "y": 0.0}])
    ei, logei = got["ei"], got["logei"]
    assert np.sum(ei.value == 0.0) >= 3  # EI underflows there
    assert np.all(np.isfinite(logei.log_value)) and np.all(np.isfinite(ei.log_value))
    assert_allclose(ei.log_value, logei.log_value, rtol=1e-12)
    assert_allclose(ei.value, logei.value, rtol=1e-9, atol=1e-300)


@pytest.mark.parametrize("fantasy", ["believer", "penalize"])
def test_taking_snapshots_does_not_change_the_asks(fantasy):
    options = OptimizerOptions(model=ModelOptions(fantasy=fantasy))
    a, b = (Optimizer(BRANIN_SPACE, seed=3, options=options) for _ in range(2))
    for step in range(10):
        pa, pb = a.ask(2), b.ask(2)
        assert pa == pb
        if step >= 3:
            b.surrogate().acquisition(pa, pending=True)
            b.result()
        a.tell(pa, [branin(p) for p in pa])
        b.tell(pb, [branin(p) for p in pb])


# ----------------------------------------------------------- recommendation
@pytest.mark.parametrize("maximize", [False, True])
def test_recommend_is_the_observed_point_with_the_best_posterior_mean(maximize):
    rng = np.random.default_rng(0)
    sign = -1.0 if maximize else 1.0

    def noisy(p):
        return sign * (branin(p) + 5.0 * rng.standard_normal())

    opt = run(BRANIN_SPACE, noisy, 20, maximize=maximize)
    recommendation = opt.recommend()
    observed = [o for o in opt.history if o.ok]
    medians = opt.surrogate().predict([o.params for o in observed]).median
    best = int(np.argmax(medians) if maximize else np.argmin(medians))
    assert recommendation.index == observed[best].index
    assert recommendation.params == observed[best].params
    assert recommendation.value == observed[best].value
    assert recommendation.median == pytest.approx(medians[best])
    assert opt.result().recommend() == recommendation


def test_recommend_before_the_surrogate_is_fitted_raises():
    opt = Optimizer(BRANIN_SPACE, seed=0)
    params = opt.ask()
    opt.tell(params, branin(params))
    with pytest.raises(ValueError, match=r"no surrogate yet.*n_initial=5.*1 so far"):
        opt.recommend()
    with pytest.raises(ValueError, match="no surrogate"):
        opt.result().recommend()


# --------------------------------------------------------------- validation
@pytest.mark.parametrize(("params", "kwargs", "error", "match"), [
    ({"x0": 1.0}, {}, ValueError, r"missing parameter\(s\) \['x1'\]"),
    ({"x0": 1.0, "x1": 2.0, "lr": 3.0}, {}, ValueError, r"unknown parameter\(s\) \['lr'\]"),
    ({"x0": 11.0, "x1": 2.0}, {}, ValueError, r"'x0'.*11.0 is outside \[-5.0, 10.0\]"),
    ({"x0": "a", "x1": 2.0}, {}, TypeError, r"'x0'.*'a' must be a number"),
    ([], {}, ValueError, r"params is an empty list"),
    ("x0", {}, TypeError, r"params must be a dict or a list of dicts"),
    ([[1.0, 2.0]], {}, TypeError, r"list of dicts, got \[1.0, 2.0\] at position 0"),
    ({"x0": 1.0, "x1": 2.0}, {"level": 1.0}, ValueError, r"level=1.0 must be in \(0, 1\)"),
    ({"x0": 1.0, "x1": 2.0}, {"level": "high"}, TypeError, r"level='high'"),
    ({"x0": 1.0, "x1": 2.0}, {"noise": 1}, TypeError, r"noise=1 must be True or False"),
])
def test_predict_validates_like_a_tell(gaussian, params, kwargs, error, match):
    with pytest.raises(error, match=match):
        gaussian.surrogate().predict(params, **kwargs)


def test_acquisition_validates_its_arguments(gaussian):
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) \['y'\]"):
        gaussian.surrogate().acquisition({"x0": 1.0, "x1": 2.0, "y": 0})
    with pytest.raises(TypeError, match=r"pending='yes' must be True or False"):
        gaussian.surrogate().acquisition({"x0": 1.0, "x1": 2.0}, pending="yes")


@pytest.mark.parametrize(("X", "match"), [
    (np.array([[math.pi, 2.275]]), r"X\[0, 0\] = 3.14.* outside the unit cube"),  # user units
    (np.array([0.5, 0.5]), r"shape \(m, 2\), got shape \(2,\)"),
    (np.zeros((3, 3)), r"shape \(m, 2\), got shape \(3, 3\)"),
    (np.array([[0.5, math.nan]]), r"X\[0, 1\] = nan is not finite"),
    (np.array([[0.5, -0.1]]), r"X\[0, 1\] = -0.1 is outside the unit cube"),
])
def test_predict_raw_takes_only_encoded_points(gaussian, X, match):
    with pytest.raises(ValueError, match=match):
        gaussian.result().model.predict_raw(X)


def test_snapshots_run_single_threaded_at_small_n_like_ask_and_tell(monkeypatch):
    """surrogate(), result() and a Surrogate's queries use `numeric_threads`, as ask and
    tell do: at small n one Numba thread, so that a fit or a query never fights other
    processes (a shared study's workers) for cores in parallel loops."""
    import numba

    from bayesopt.model import SurrogateModel
    from kernels.jit import declared_threads, numba_threads

    opt = run(BRANIN_SPACE, branin, 12)
    seen = []
    for name in ("update", "predict"):
        original = getattr(SurrogateModel, name)

        def spy(self, *args, _original=original, **kwargs):
            seen.append(numba_threads())
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(SurrogateModel, name, spy)
    widest = numba.config.NUMBA_NUM_THREADS
    numba.set_num_threads(widest)  # as outside the tests' one-thread fixture
    with declared_threads(widest):
        opt.tell(opt.ask(), 1.0)  # the model's copy in surrogate() then updates
        seen.clear()
        surrogate = opt.surrogate()
        surrogate.predict({"x0": 0.0, "x1": 1.0})
        surrogate.acquisition({"x0": 0.0, "x1": 1.0})
        surrogate.recommend()
        opt.result()
    assert seen and set(seen) == {1}, seen

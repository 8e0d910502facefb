"""Input warping (ModelOptions(input_warping=True)): the Kumaraswamy CDF, its derivatives, the
marginal likelihood's gradient in the warp's parameters, and which columns it warps."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from bayesopt import Categorical, Integer, Optimizer, OptimizerOptions, Real, ResumeWarning
from bayesopt.fitting import FitOptions, fit_map, negative_log_posterior, parameter_bounds
from bayesopt.model import ModelOptions, SurrogateModel
from bayesopt.priors import HyperparameterPriors
from bayesopt.space import Space
from bayesopt.state import warp_columns
from bayesopt.warping import EPS, WARP_PRIOR, KumaraswamyWarping, WarpedGaussianProcess
from kernels import Kernel

WARP = KumaraswamyWarping(dim=3, columns=(0, 2))
THETA_W = np.array([0.4, -0.3, -0.5, 0.6])  # log a (columns 0, 2), log b (columns 0, 2)


def _points(m: int, seed: int) -> np.ndarray:
    return 0.05 + 0.9 * np.random.default_rng(seed).random((m, 3))


def test_the_identity_at_a_equal_b_equal_one_and_the_cdf_elsewhere() -> None:
    X = _points(20, 0)
    np.testing.assert_allclose(WARP.apply(X, np.zeros(4)), X, atol=2 * EPS)
    W = WARP.apply(X, THETA_W)
    a, b = np.exp(THETA_W[:2]), np.exp(THETA_W[2:])
    x = EPS + (1 - 2 * EPS) * X[:, [0, 2]]
    np.testing.assert_allclose(W[:, [0, 2]], 1 - (1 - x**a) ** b, rtol=1e-14)
    np.testing.assert_array_equal(W[:, 1], X[:, 1])  # an unwarped column
    assert np.all(np.diff(WARP.apply(np.linspace(0, 1, 50)[:, None].repeat(3, 1), THETA_W),
                          axis=0) > 0)  # a CDF: increasing on [0, 1]


def test_the_jacobian_matches_finite_differences() -> None:
    X, h = _points(10, 1), 1e-6
    numeric = np.stack([(WARP.apply(X + h * e, THETA_W) - WARP.apply(X - h * e, THETA_W))[:, j]
                        / (2 * h) for j, e in enumerate(np.eye(3))], axis=1)
    np.testing.assert_allclose(WARP.jacobian(X, THETA_W), numeric, rtol=1e-6)


def test_the_parameter_gradient_matches_finite_differences() -> None:
    X, h = _points(10, 2), 1e-6
    G = np.random.default_rng(3).standard_normal((10, 3))
    numeric = [(np.sum(G * WARP.apply(X, THETA_W + h * e)) - np.sum(G * WARP.apply(X, THETA_W - h * e)))
               / (2 * h) for e in np.eye(4)]
    np.testing.assert_allclose(WARP.theta_gradient(X, THETA_W, G), numeric, rtol=1e-6)


def _data(n: int = 15) -> tuple[np.ndarray, np.ndarray]:
    X = _points(n, 4)
    y = np.sin(6 * X[:, 0] ** 3) + X[:, 1] - X[:, 2] ** 0.3
    return X, (y - y.mean()) / y.std()


@pytest.mark.parametrize("kernel", ["matern52", "matern32", "rbf"])
@pytest.mark.parametrize("with_priors", [True, False])
def test_the_marginal_likelihood_gradient_matches_finite_differences(
    kernel: str, with_priors: bool,
) -> None:
    """Every entry — lengthscales, variance, noise, log a and log b — by central differences."""
    X, y = _data()
    priors = HyperparameterPriors.default(3) if with_priors else None
    params = np.concatenate([[-0.7, 0.2, -0.3, 0.1, -4.0], THETA_W])
    value, grad = negative_log_posterior(params, kernel, X, y, priors, WARP)
    h = 1e-6
    numeric = [(negative_log_posterior(params + h * e, kernel, X, y, priors, WARP)[0]
                - negative_log_posterior(params - h * e, kernel, X, y, priors, WARP)[0]) / (2 * h)
               for e in np.eye(len(params))]
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-6)
    assert np.isfinite(value)


def test_at_the_identity_the_objective_is_the_unwarped_one_plus_the_warp_prior() -> None:
    X, y = _data()
    priors = HyperparameterPriors.default(3)
    base = np.array([-0.7, 0.2, -0.3, 0.1, -4.0])
    plain, _ = negative_log_posterior(base, "matern52", X, y, priors)
    warped, _ = negative_log_posterior(np.concatenate([base, np.zeros(4)]), "matern52",
                                       (X - EPS) / (1 - 2 * EPS), y, priors, WARP)
    assert warped == pytest.approx(plain, rel=1e-6)  # the prior is 0 at its centre


def test_the_warped_gp_predicts_with_chained_gradients() -> None:
    X, y = _data()
    gp = WarpedGaussianProcess(Kernel("matern52", 3, np.array([-0.7, 0.2, -0.3, 0.1])), 1e-3,
                               X, y, 0.0, 1.0, WARP, THETA_W)
    Xq, h = _points(6, 5), 1e-6
    mean, std, d_mean, d_std = gp.predict_with_gradient(Xq)
    for j, e in enumerate(np.eye(3)):
        (m1, v1), (m0, v0) = gp.predict(Xq + h * e), gp.predict(Xq - h * e)
        np.testing.assert_allclose(d_mean[:, j], (m1 - m0) / (2 * h), rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(d_std[:, j], (np.sqrt(v1) - np.sqrt(v0)) / (2 * h),
                                   rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(mean, gp.predict(Xq)[0])
    np.testing.assert_allclose(std, np.sqrt(gp.predict(Xq)[1]))


def test_the_fit_bends_the_inputs_of_a_nonstationary_function() -> None:
    """f(x) = sin(1 / (x + 0.05)) on [0, 1] wiggles fast near 0 and not near 1: the fitted
    warp stretches x near 0 (a < 1) and the posterior beats the unwarped one."""
    X = np.linspace(0, 1, 25)[:, None]
    y = np.sin(1.0 / (X[:, 0] + 0.05))
    y = (y - y.mean()) / y.std()
    priors, one = HyperparameterPriors.default(1), KumaraswamyWarping(1, (0,))
    starts = [priors.mode(1)]
    plain = fit_map("matern52", X, y, priors, starts, FitOptions())
    warped = fit_map("matern52", X, y, priors, [np.concatenate([starts[0], [0.0, 0.0]])],
                     FitOptions(), one)
    assert warped.value < plain.value - 1.0
    assert warped.params[3] < -0.2  # log a


def test_one_hot_columns_are_not_warped() -> None:
    space = Space({"x": Real(0, 1), "c": Categorical(["a", "b", "c"]), "n": Integer(1, 5)})
    columns = warp_columns(space)
    one_hot = {int(j) for group in space.categorical_groups for j in group}
    assert set(columns) == set(range(space.n_columns)) - one_hot and len(columns) == 2
    model = SurrogateModel(space.n_columns, ModelOptions(input_warping=True),
                           np.random.default_rng(0), warp_columns=columns)
    assert model.warping is not None and model.warping.columns == columns
    bounds = parameter_bounds(space.n_columns, FitOptions(), model.warping)
    assert len(bounds) == space.n_columns + 2 + 2 * len(columns)


def _run(options: OptimizerOptions, n: int) -> list[dict[str, Any]]:
    opt = Optimizer({"x": Real(-2, 2), "c": Categorical(["a", "b"]), "n": Integer(0, 9)},
                    seed=1, options=options)
    asks = []
    for _ in range(n):
        p = opt.ask()
        asks.append(p)
        opt.tell(p, (p["x"] - 0.3) ** 2 + (p["c"] == "b") + 0.1 * p["n"])
    return asks


def test_warping_runs_end_to_end_alone_and_with_mcmc() -> None:
    default = _run(OptimizerOptions(), 9)
    warped = _run(OptimizerOptions(model=ModelOptions(input_warping=True)), 9)
    both = _run(OptimizerOptions(model=ModelOptions(
        input_warping=True, hyperparameters="mcmc", mcmc_samples=3, mcmc_burn_in=2)), 9)
    assert warped[:5] == default[:5] == both[:5]  # the same design
    assert warped[5:] != default[5:] and both[5:] != warped[5:]


def _warped_run(tmp_path: Any) -> tuple[Optimizer, str]:
    journal = str(tmp_path / "run.jsonl")
    opt = Optimizer({"x": Real(-2, 2), "c": Categorical(["a", "b"]), "n": Integer(0, 9)},
                    seed=1, options=OptimizerOptions(model=ModelOptions(input_warping=True)),
                    journal=journal)
    for _ in range(7):
        p = opt.ask()
        opt.tell(p, (p["x"] - 0.3) ** 2 + (p["c"] == "b") + 0.1 * p["n"])
    return opt, journal


def test_the_evidence_counts_the_warp_prior(tmp_path: Any) -> None:
    from scipy.stats import norm

    opt, _ = _warped_run(tmp_path)
    surrogate = opt.surrogate()
    params, priors, d = surrogate.model.params, surrogate.model.priors, 4  # 4 encoded columns
    assert params is not None and params.shape == (d + 2 + 2 * 2,)  # x and n warped, not c
    blocks = [(params[:d], priors.lengthscale), (params[d : d + 1], priors.variance),
              (params[d + 1 : d + 2], priors.noise), (params[d + 2 :], WARP_PRIOR)]
    expected = sum(float(np.sum(norm.logpdf(x, p.loc, p.scale))) for x, p in blocks)
    assert surrogate.evidence().log_prior == pytest.approx(expected, rel=1e-12)


def test_warping_resumes_from_a_journal(tmp_path: Any) -> None:
    opt, journal = _warped_run(tmp_path)
    opt.close()
    with pytest.warns(ResumeWarning, match="evaluations and 0 pending points"):
        resumed = Optimizer.resume(journal)
    assert resumed.ask() == opt.ask()

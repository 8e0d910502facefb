"""Tests for bayesopt.gp.GaussianProcess and bayesopt.fitting.

Notation as in `bayesopt.gp`:

    X : (n, d) training inputs,  y : (n,) targets,  X* : (m, d) queries
    K = k(X, X) + σ²·I,  L = chol(K),  alpha = K⁻¹ y,  K* = k(X*, X)
    params = (log l_1 … log l_d, log s2, log σ²) for the MAP fit

Independent references: scikit-learn's GaussianProcessRegressor with the same
fixed hyperparameters, scipy.stats.multivariate_normal, central differences.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.linalg import lapack
from scipy.stats import multivariate_normal
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, ConstantKernel, Matern, Product

import bayesopt.gp as gp_module
from bayesopt.fitting import (
    FitOptions,
    NegativeLogPosterior,
    fit_map,
    negative_log_posterior,
    parameter_bounds,
)
from bayesopt.gp import VARIANCE_FLOOR, GaussianProcess, _std_and_gradient
from bayesopt.priors import HyperparameterPriors
from kernels import Kernel, inverse_from_factor
from kernels.cholesky import cholesky_lower

KERNELS = ("matern52", "matern32", "matern12", "rbf")
kernel_param = pytest.mark.parametrize("name", KERNELS)
TIGHT = {"rtol": 1e-9, "atol": 1e-12}


def _objective(X: np.ndarray) -> np.ndarray:
    return np.sin(5.0 * X[:, 0]) + np.cos(3.0 * X.sum(axis=1)) + X[:, -1] ** 2  # (n,)


def _data(n: int, d: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.uniform(size=(n, d))
    return X, _objective(X) + 0.05 * rng.standard_normal(n)


def _kernel(name: str, d: int, seed: int = 0) -> Kernel:
    rng = np.random.default_rng(100 + seed)
    return Kernel(name, d, np.concatenate([np.log(rng.uniform(0.2, 0.8, d)), [math.log(1.7)]]))


def _sklearn_kernel(kernel: Kernel) -> Product:
    lengthscales = kernel.lengthscales
    nu = {"matern52": 2.5, "matern32": 1.5, "matern12": 0.5}.get(kernel.name)
    base = (
        RBF(length_scale=lengthscales, length_scale_bounds="fixed")
        if nu is None
        else Matern(length_scale=lengthscales, nu=nu, length_scale_bounds="fixed")
    )
    return ConstantKernel(kernel.variance, "fixed") * base


# ----------------------------------------------------------- posterior vs scikit-learn


@kernel_param
@pytest.mark.parametrize("n, d, noise", [(1, 1, 1e-2), (8, 2, 1e-3), (25, 4, 0.1)])
def test_posterior_matches_sklearn(name: str, n: int, d: int, noise: float) -> None:
    X, y = _data(n, d, seed=n)
    kernel = _kernel(name, d)
    Xq = np.vstack([np.random.default_rng(1).uniform(size=(7, d)), X[:1]])  # incl. a training input
    gp = GaussianProcess(kernel, noise, X, y)
    mean, var = gp.predict(Xq)
    reference = GaussianProcessRegressor(
        _sklearn_kernel(kernel), alpha=noise, optimizer=None, normalize_y=False
    ).fit(X, y)
    ref_mean, ref_std = reference.predict(Xq, return_std=True)  # latent std: noise is in alpha
    assert_allclose(mean, ref_mean, rtol=1e-6, atol=1e-9)
    assert_allclose(var, ref_std**2, rtol=1e-6, atol=1e-9)
    assert gp.jitter == 0.0


# ----------------------------------------------------------- incremental updates


def _assert_same_posterior(gp: GaussianProcess, other: GaussianProcess, Xq: np.ndarray) -> None:
    assert gp.n == other.n
    assert_array_equal(gp.X, other.X)
    assert_array_equal(gp.y, other.y)
    assert_allclose(gp.factor.L, other.factor.L, **TIGHT)
    assert_allclose(gp.alpha, other.alpha, rtol=1e-8, atol=1e-10)
    for got, expected in zip(gp.predict(Xq), other.predict(Xq)):
        assert_allclose(got, expected, **TIGHT)


@kernel_param
@pytest.mark.parametrize("chunks", [(1, 1, 1), (3, 20, 2), (30,)], ids=str)
def test_block_append_equals_rebuild(name: str, chunks: tuple[int, ...]) -> None:
    n0, d = 4, 3
    n = n0 + sum(chunks)
    X, y = _data(n, d, seed=len(chunks))
    kernel = _kernel(name, d)
    gp = GaussianProcess(kernel, 1e-3, X[:n0], y[:n0])
    start = n0
    for k in chunks:  # 4 + 30 exceeds the initial capacity 16: both buffers grow
        gp.append(X[start : start + k], y[start : start + k])
        start += k
    Xq = np.random.default_rng(2).uniform(size=(20, d))
    _assert_same_posterior(gp, GaussianProcess(kernel, 1e-3, X, y), Xq)


@kernel_param
def test_truncate_restores_the_earlier_posterior_exactly(name: str) -> None:
    X, y = _data(30, 2, seed=3)
    gp = GaussianProcess(_kernel(name, 2), 1e-3, X[:10], y[:10])
    gp.append(X[10:13], y[10:13])
    Xq = np.random.default_rng(4).uniform(size=(20, 2))
    L, alpha, (mean, var) = gp.factor.L.copy(), gp.alpha.copy(), gp.predict(Xq)
    gp.append(X[13:30], y[13:30])  # grows both buffers
    gp.truncate(13)
    assert gp.n == 13
    assert_array_equal(gp.X, X[:13])
    assert_array_equal(gp.y, y[:13])
    assert_array_equal(gp.factor.L, L)
    assert_array_equal(gp.alpha, alpha)
    new_mean, new_var = gp.predict(Xq)
    assert_array_equal(new_mean, mean)
    assert_array_equal(new_var, var)


@kernel_param
def test_truncate_then_append_other_points_equals_rebuild(name: str) -> None:
    X, y = _data(20, 2, seed=5)
    kernel = _kernel(name, 2)
    gp = GaussianProcess(kernel, 1e-3, X[:8], y[:8])
    gp.append(X[8:12], y[8:12])  # fantasies, say
    gp.truncate(8)
    gp.append(X[12:20], y[12:20])
    rows = np.r_[0:8, 12:20]
    Xq = np.random.default_rng(6).uniform(size=(5, 2))
    _assert_same_posterior(gp, GaussianProcess(kernel, 1e-3, X[rows], y[rows]), Xq)


def test_an_append_interrupted_after_the_factor_grew_leaves_the_gp_whole(monkeypatch) -> None:
    """Ctrl-C in a notebook lands between the factor's growth and the GP's (a
    KeyboardInterrupt from `forward_tail`): the GP keeps its n rows in the factor too, so
    the same append then equals a rebuild, where the factor used to keep the extra rows and
    every later append or solve failed an assertion."""
    X, y = _data(14, 2, seed=7)
    kernel = _kernel("matern52", 2)
    gp = GaussianProcess(kernel, 1e-3, X[:10], y[:10])
    forward_tail = type(gp.factor).forward_tail

    def interrupted(self, *args):
        raise KeyboardInterrupt

    monkeypatch.setattr(type(gp.factor), "forward_tail", interrupted)
    with pytest.raises(KeyboardInterrupt):
        gp.append(X[10:14], y[10:14])
    monkeypatch.setattr(type(gp.factor), "forward_tail", forward_tail)
    assert gp.n == gp.factor.L.shape[0] == 10
    gp.append(X[10:14], y[10:14])
    Xq = np.random.default_rng(8).uniform(size=(5, 2))
    _assert_same_posterior(gp, GaussianProcess(kernel, 1e-3, X, y), Xq)


@kernel_param
@pytest.mark.parametrize("appended", (False, True))
def test_set_standardization_equals_rebuild(name: str, appended: bool) -> None:
    """Re-standardizing (offset, scale) on the cached forward solves equals a fresh GP."""
    X, y = _data(15, 3, seed=7)
    y = 50.0 + 20.0 * y  # raw values far from zero mean and unit scale
    kernel = _kernel(name, 3)
    if appended:
        gp = GaussianProcess(kernel, 1e-2, X[:5], y[:5], offset=1.0, scale=3.0)
        gp.append(X[5:9], y[5:9])
        gp.set_standardization(2.0, 5.0)
        gp.append(X[9:], y[9:])
    else:
        gp = GaussianProcess(kernel, 1e-2, X, y, offset=1.0, scale=3.0)
    gp.set_standardization(y.mean(), y.std())
    Xq = np.random.default_rng(8).uniform(size=(6, 3))
    _assert_same_posterior(gp, GaussianProcess(kernel, 1e-2, X, (y - y.mean()) / y.std()), Xq)
    assert_allclose(gp.y, (y - y.mean()) / y.std(), rtol=1e-12)


# ----------------------------------------------------------- gradients in x*


@kernel_param
@pytest.mark.parametrize("m", (1, 5, 20))  # m > 16 takes the BLAS solve path
def test_predict_with_gradient_matches_predict_and_finite_differences(name: str, m: int) -> None:
    d = 3
    X, y = _data(12, d, seed=9)
    gp = GaussianProcess(_kernel(name, d, seed=1), 1e-3, X, y)
    Xq = np.random.default_rng(10).uniform(size=(m, d))
    distance = np.min(np.linalg.norm(Xq[:, None] - X[None], axis=-1))
    assert distance > 1e-3, (
        "queries must stay off the training inputs (Matérn-1/2 has a kink there)"
    )
    mean, std, d_mean, d_std = gp.predict_with_gradient(Xq)
    ref_mean, ref_var = gp.predict(Xq)
    assert_allclose(mean, ref_mean, rtol=1e-12, atol=1e-14)
    assert_allclose(std, np.sqrt(ref_var), rtol=1e-12, atol=1e-14)
    h = 1e-6
    fd_mean, fd_std = np.empty((m, d)), np.empty((m, d))
    for j in range(d):
        step = np.zeros(d)
        step[j] = h
        mean_plus, var_plus = gp.predict(Xq + step)
        mean_minus, var_minus = gp.predict(Xq - step)
        fd_mean[:, j] = (mean_plus - mean_minus) / (2 * h)
        fd_std[:, j] = (np.sqrt(var_plus) - np.sqrt(var_minus)) / (2 * h)
    assert d_mean.shape == d_std.shape == (m, d)
    assert_allclose(d_mean, fd_mean, rtol=1e-5, atol=1e-6)
    assert_allclose(d_std, fd_std, rtol=1e-5, atol=1e-6)


def _kernel_of_kind(kind: str, d: int) -> Kernel:
    """A stationary, a gated (column 1 active where column 0 > ½) or a budget-basis kernel."""
    theta = np.concatenate([np.log(np.linspace(0.3, 0.7, d)), [math.log(1.7)]])
    if kind == "gated":
        return Kernel("matern52", d, theta, gates=(-1, 0) + (-1,) * (d - 2))
    if kind == "budget":
        return Kernel("matern32", d, theta, budget_power=2)
    return Kernel("rbf", d, theta)


def _gp_of_kind(kind: str, d: int = 3) -> tuple[GaussianProcess, np.ndarray]:
    """A GP of `_kernel_of_kind` on 15 points, and 40 queries (m > 16: the BLAS solve path)."""
    rng = np.random.default_rng(7)
    X, Xq = rng.uniform(size=(15, d)), rng.uniform(size=(40, d))
    if kind == "gated":
        X[:, 0], Xq[:, 0] = X[:, 0] > 0.5, Xq[:, 0] > 0.5  # activity indicators
    return GaussianProcess(_kernel_of_kind(kind, d), 1e-3, X, _objective(X)), Xq


def _predict_with_gradient_scaling_twice(gp: GaussianProcess, Xq: np.ndarray) -> tuple[
        np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """`GaussianProcess.predict_with_gradient` as it was before it scaled X* once and read
    the pairs' κ'(r)/r from K*'s pass: the kernel scaled X* for K* and again for the
    gradient, which evaluated the profile again."""
    kernel = gp.kernel
    Ks = kernel.cross_scaled(Xq, gp.Z)
    V = gp.factor.solve_lower(Ks.T)
    raw_var = kernel.diagonal(Xq) - np.einsum("ij,ij->j", V, V)
    floor = VARIANCE_FLOOR * kernel.variance
    std = np.sqrt(np.maximum(raw_var, floor))
    weights = np.stack([np.broadcast_to(gp.alpha, Ks.shape), gp.factor.solve_upper(V).T])
    d_mean, d_quad = kernel.cross_gradient_scaled(Xq, gp.Z, weights)
    d_std = -d_quad / std[:, None]
    d_prior = kernel.diagonal_gradient(Xq)
    if d_prior is not None:
        d_std += d_prior / (2.0 * std[:, None])
    return Ks @ gp.alpha, std, d_mean, np.where((raw_var > floor)[:, None], d_std, 0.0)


@pytest.mark.parametrize("kind", ["stationary", "gated", "budget"])
def test_predict_with_gradient_equals_the_computation_scaling_twice(kind: str) -> None:
    gp, Xq = _gp_of_kind(kind)
    for new, old in zip(gp.predict_with_gradient(Xq), _predict_with_gradient_scaling_twice(gp, Xq)):
        assert_array_equal(new, old)


@pytest.mark.parametrize("kind", ["stationary", "gated", "budget"])
def test_kernel_of_scaled_queries_equals_the_kernel_that_scales_them(kind: str) -> None:
    gp, Xq = _gp_of_kind(kind)
    kernel, Zq = gp.kernel, gp.kernel.scale(Xq)
    assert_array_equal(kernel.cross_both_scaled(Zq, gp.Z), kernel.cross_scaled(Xq, gp.Z))
    W = np.random.default_rng(8).normal(size=(2, Xq.shape[0], gp.Z.shape[0]))
    assert_array_equal(kernel.cross_gradient_both_scaled(Xq, Zq, gp.Z, W),
                       kernel.cross_gradient_scaled(Xq, gp.Z, W))
    Ks, profile = kernel.cross_and_profile_scaled(Zq, gp.Z)
    assert_array_equal(Ks, kernel.cross_both_scaled(Zq, gp.Z))
    assert (profile is None) == (kind == "budget")
    assert_array_equal(kernel.cross_gradient_both_scaled(Xq, Zq, gp.Z, W, profile),
                       kernel.cross_gradient_scaled(Xq, gp.Z, W))


@pytest.mark.parametrize("name", ("matern52", "matern32", "rbf"))
def test_predict_with_gradient_near_a_training_input(name: str) -> None:
    """Smooth kernels: the gradient 1e-4 from a training point still matches differences."""
    X, y = _data(10, 2, seed=11)
    gp = GaussianProcess(_kernel(name, 2), 1e-2, X, y)
    Xq = X[:3] + 1e-4
    _, _, d_mean, d_std = gp.predict_with_gradient(Xq)
    h = 1e-7
    for j in range(2):
        step = np.zeros(2)
        step[j] = h
        (mp, vp), (mm, vm) = gp.predict(Xq + step), gp.predict(Xq - step)
        assert_allclose(d_mean[:, j], (mp - mm) / (2 * h), rtol=1e-4, atol=1e-5)
        assert_allclose(d_std[:, j], (np.sqrt(vp) - np.sqrt(vm)) / (2 * h), rtol=1e-4, atol=1e-5)


# ----------------------------------------------------------- posterior covariance


@kernel_param
@pytest.mark.parametrize("m", (6, 30))
def test_posterior_covariance_is_symmetric_psd_with_predicted_diagonal(name: str, m: int) -> None:
    d = 2
    X, y = _data(15, d, seed=12)
    kernel = _kernel(name, d)
    gp = GaussianProcess(kernel, 1e-4, X[:6], y[:6])
    gp.append(X[6:], y[6:])
    Xq = np.vstack([np.random.default_rng(13).uniform(size=(m - 2, d)), X[:2]])
    Ks = kernel.cross(Xq, gp.X)  # (m, n)
    V = gp.factor.solve_lower(Ks.T)  # (n, m)
    C = kernel.matrix(Xq) - V.T @ V  # (m, m): k(X*, X*) − K* K⁻¹ K*ᵀ
    assert_allclose(C, C.T, rtol=0, atol=1e-12)
    assert np.linalg.eigvalsh(0.5 * (C + C.T)).min() >= -1e-10
    _, var = gp.predict(Xq)
    assert_allclose(np.diag(C), var, rtol=1e-9, atol=1e-11)
    # and the covariance agrees with scikit-learn's return_cov
    reference = GaussianProcessRegressor(_sklearn_kernel(kernel), alpha=1e-4, optimizer=None).fit(
        gp.X, gp.y
    )
    assert_allclose(C, reference.predict(Xq, return_cov=True)[1], rtol=1e-6, atol=1e-9)


# ----------------------------------------------------------- training mean


@kernel_param
@pytest.mark.parametrize("noise", (1e-6, 1e-2))
def test_training_mean_equals_predicted_mean(name: str, noise: float) -> None:
    X, y = _data(12, 2, seed=14)
    gp = GaussianProcess(_kernel(name, 2), noise, X[:7], y[:7])
    gp.append(X[7:], y[7:])
    assert_allclose(gp.training_mean(), gp.predict(gp.X)[0], rtol=1e-8, atol=1e-9)


@pytest.mark.parametrize("append_duplicate", (False, True))
def test_training_mean_with_jitter(append_duplicate: bool) -> None:
    """With jitter in the factor, K_f K⁻¹ y = y − (σ² + jitter)·alpha must still hold."""
    X = np.random.default_rng(15).uniform(size=(6, 2))
    X[1] = X[0]
    X[5] = X[4]
    y = np.arange(6.0)
    n0 = 5 if append_duplicate else 6
    gp = GaussianProcess(Kernel("rbf", 2, np.array([1.0, 1.0, 0.0])), 1e-16, X[:n0], y[:n0])
    if append_duplicate:
        gp.append(X[5:], y[5:])
    assert gp.jitter > 0.0
    # K has condition number ~6e10 here (alpha ~ 5e9): both sides carry ~1e-6 rounding error;
    # forgetting the jitter in D would be off by jitter·alpha ~ 0.5
    assert_allclose(gp.training_mean(), gp.predict(gp.X)[0], rtol=1e-5, atol=1e-5)


# ----------------------------------------------------------- negative log posterior


def _params(d: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.concatenate(
        [np.log(rng.uniform(0.2, 1.0, d)), [rng.uniform(-0.5, 0.5)], [math.log(1e-2)]]
    )


@kernel_param
@pytest.mark.parametrize("n, d", [(1, 1), (10, 2), (20, 4)])
def test_negative_log_posterior_value_matches_scipy(name: str, n: int, d: int) -> None:
    X, y = _data(n, d, seed=16)
    params = _params(d, seed=n)
    priors = HyperparameterPriors.default(d)
    value, grad = negative_log_posterior(params, name, X, y, priors)
    kernel = Kernel(name, d, params[:-1])
    K = _sklearn_kernel(kernel)(X) + math.exp(params[-1]) * np.eye(n)
    log_likelihood = multivariate_normal(np.zeros(n), K).logpdf(y)
    expected = -log_likelihood - priors.log_density(params)[0]
    assert value == pytest.approx(expected, rel=1e-10, abs=1e-10)
    assert grad.shape == params.shape


@kernel_param
@pytest.mark.parametrize("n, d", [(1, 1), (10, 2), (20, 4)])
def test_negative_log_posterior_gradient_matches_finite_differences(
    name: str, n: int, d: int
) -> None:
    X, y = _data(n, d, seed=17)
    params = _params(d, seed=n + 1)
    priors = HyperparameterPriors.default(d)
    _, grad = negative_log_posterior(params, name, X, y, priors)
    h = 1e-6
    expected = np.empty_like(params)
    for j in range(params.size):
        step = np.zeros_like(params)
        step[j] = h
        expected[j] = (
            negative_log_posterior(params + step, name, X, y, priors)[0]
            - negative_log_posterior(params - step, name, X, y, priors)[0]
        ) / (2 * h)
    assert_allclose(grad, expected, rtol=1e-5, atol=1e-5)


def _textbook_objective(params: np.ndarray, name: str, X: np.ndarray, y: np.ndarray,
                        priors: HyperparameterPriors | None,
                        gates: tuple[int, ...] | None = None) -> tuple[float, np.ndarray]:
    """R&W Eqs. 5.8–5.9 from the public pieces, each on its own copy: a `Kernel` at θ, K,
    L = chol(K), alpha, K⁻¹ = potri(L), the three prior blocks added in order — what the
    objective computed before it factored and inverted in place, stacked the priors and
    stopped building a `Kernel` per evaluation."""
    n, d = X.shape
    kernel, noise = Kernel(name, d, params[: d + 1], gates), math.exp(params[d + 1])
    Z = kernel.scale(X)
    K, profile = kernel.matrix_and_profile_scaled(Z, noise)
    L = cholesky_lower(K)
    assert L is not None
    alpha, _ = lapack.dpotrs(L, y, lower=1)
    K_inv = inverse_from_factor(L)
    value = 0.5 * float(y @ alpha) + float(np.sum(np.log(np.diag(L)))) + 0.5 * n * math.log(2 * math.pi)
    grad = np.empty_like(params)
    grad[: d + 1] = -kernel.theta_gradient_scaled(Z, alpha, K_inv, profile)
    grad[d + 1] = -0.5 * noise * (float(alpha @ alpha) - float(np.trace(K_inv)))
    if priors is None:
        return value, grad
    blocks = [(priors.lengthscale, params[:-2]), (priors.variance, params[-2:-1]),
              (priors.noise, params[-1:])]
    terms = [prior.log_density(block) for prior, block in blocks]
    log_prior = terms[0][0] + terms[1][0] + terms[2][0]
    return value - log_prior, grad - np.concatenate([t[1] for t in terms])


@kernel_param
@pytest.mark.parametrize("with_priors", [True, False], ids=["map", "ml"])
@pytest.mark.parametrize("gates", [None, (-1, 3, 3, -1)], ids=["plain", "gated"])
def test_objective_equals_the_textbook_composition_bit_for_bit(
        name: str, with_priors: bool, gates: tuple[int, ...] | None) -> None:
    """In place, stacked and without a `Kernel` per evaluation, the same floating-point
    operations: every ask depends on it."""
    d = 4
    X, y = _data(40, d, seed=21)
    X[:, 3] = X[:, 3] > 0.5  # the activity indicator of the gated columns 1 and 2
    priors = HyperparameterPriors.default(d) if with_priors else None
    objective = NegativeLogPosterior(name, X, y, priors, gates=gates)
    rng = np.random.default_rng(22)
    for _ in range(4):  # one object, many evaluations: nothing carries over between them
        params = _params(d, seed=int(rng.integers(1000)))
        value, grad = objective(params)
        expected_value, expected_grad = _textbook_objective(params, name, X, y, priors, gates)
        assert value == expected_value
        assert_array_equal(grad, expected_grad)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_objective_rejects_non_finite_hyperparameters(bad: float) -> None:
    X, y = _data(10, 2, seed=23)
    params = _params(2, seed=24)
    params[1] = bad
    with pytest.raises(ValueError, match="finite log-parameters"):
        NegativeLogPosterior("matern52", X, y, HyperparameterPriors.default(2))(params)


@pytest.mark.parametrize("d", [1, 2, 6])
def test_stacked_priors_equal_the_three_blocks_bit_for_bit(d: int) -> None:
    priors = HyperparameterPriors.default(d, noise="botorch")
    stacked = priors.stacked(d)
    for seed in range(5):
        params = np.random.default_rng(seed).normal(0.0, 3.0, d + 2)
        value, grad = stacked.log_density(params)
        blocks = [(priors.lengthscale, params[:-2]), (priors.variance, params[-2:-1]),
                  (priors.noise, params[-1:])]
        terms = [prior.log_density(block) for prior, block in blocks]
        assert value == terms[0][0] + terms[1][0] + terms[2][0]
        assert_array_equal(grad, np.concatenate([t[1] for t in terms]))


def test_compiled_std_and_gradient_are_the_numpy_expressions_bit_for_bit() -> None:
    """bayesopt.gp._std_and_gradient against the numpy lines it replaces in
    `predict_with_gradient`, with variances above, at and below the floor, and NaN."""
    rng = np.random.default_rng(12)
    s2, floor = 1.7, 1.7e-12
    for _ in range(200):
        m, d = int(rng.integers(1, 10)), int(rng.integers(1, 8))
        quadratic = s2 * (1.0 - np.exp(rng.normal(size=m) * 10.0))
        quadratic[rng.uniform(size=m) < 0.2] = s2 - floor
        quadratic[rng.uniform(size=m) < 0.2] = s2 + rng.uniform()
        quadratic[rng.uniform(size=m) < 0.05] = np.nan
        d_quad = rng.normal(size=(m, d)) * np.exp(rng.normal() * 5)
        raw_var = np.full(m, s2) - quadratic
        std = np.sqrt(np.maximum(raw_var, floor))
        d_std = np.where((raw_var > floor)[:, None], -d_quad / std[:, None], 0.0)
        got_std, got_d_std = _std_and_gradient(s2, quadratic, floor, d_quad)
        assert np.array_equal(got_std, std, equal_nan=True)
        assert np.array_equal(got_d_std, d_std, equal_nan=True)


@pytest.mark.parametrize("dim", [0, -1, 2.0, True, "3"])
def test_stacked_priors_reject_a_dimension_that_is_not_a_positive_integer(dim: object) -> None:
    with pytest.raises(ValueError, match=f"dim={dim!r}"):
        HyperparameterPriors.default(2).stacked(dim)  # type: ignore[arg-type]


def test_negative_log_posterior_returns_inf_when_not_positive_definite() -> None:
    X = np.zeros((3, 1))  # identical inputs; with noise e^-800 = 0 the matrix is singular
    params = np.array([0.0, 0.0, -800.0])
    value, grad = negative_log_posterior(
        params, "rbf", X, np.ones(3), HyperparameterPriors.default(1)
    )
    assert value == math.inf
    assert_array_equal(grad, 0.0)


@kernel_param
def test_fit_map_finds_a_stationary_point_no_worse_than_its_starts(name: str) -> None:
    d = 2
    X, y = _data(15, d, seed=18)
    y = (y - y.mean()) / y.std()
    priors = HyperparameterPriors.default(d)
    rng = np.random.default_rng(19)
    starts = [priors.mode(d), priors.sample(rng, d)]
    options = FitOptions()
    result = fit_map(name, X, y, priors, starts, options)
    assert result.success
    assert np.all(np.isfinite(result.params)) and math.isfinite(result.value)
    value, grad = negative_log_posterior(result.params, name, X, y, priors)
    assert result.value == pytest.approx(value, rel=1e-12)
    lower, upper = np.array(parameter_bounds(d, options)).T
    assert np.all((lower <= result.params) & (result.params <= upper))
    for start in starts:
        assert (
            result.value
            <= negative_log_posterior(np.clip(start, lower, upper), name, X, y, priors)[0]
        )
    interior = (result.params > lower + 1e-3) & (result.params < upper - 1e-3)
    assert np.all(np.abs(grad[interior]) < 1e-3 * max(1.0, abs(value)))
    assert result.n_evaluations > 0


def test_fit_map_reports_failure_when_every_start_is_infinite() -> None:
    """Identical inputs and the noise bounds pinned at 1e-300: K is singular everywhere."""
    X = np.zeros((4, 1))
    options = FitOptions(maxiter=5, noise_bounds=(1e-300, 1e-300))
    start = np.array([0.0, 0.0, math.log(1e-300)])
    result = fit_map("rbf", X, np.arange(4.0), HyperparameterPriors.default(1), [start], options)
    assert not result.success
    assert result.value == math.inf


def test_row_jitter_is_what_the_factor_has_beyond_the_noise() -> None:
    """A duplicate appended to a factor that needed no jitter gets its own on its row only:
    L Lᵀ = k(X, X) + diag(σ² + row_jitter), which Surrogate.hyperparameters() reports.

    The duplicate is of row 0, whose column of K solves to S = e₀ exactly in any summation
    order (L[i, 0] = K[i, 0] / 1), so its Schur complement 1 − SᵀS is exactly 0, which
    potrf refuses, compiled or under NUMBA_DISABLE_JIT. A duplicate of another row leaves
    rounding noise of either sign there (the fastmath and the interpreted substitution sum
    in different orders), so whether it needs jitter is not a property of the code."""
    X = np.random.default_rng(16).uniform(size=(6, 2))
    X[5] = X[0]
    y = np.arange(6.0)
    noise = 1e-16
    gp = GaussianProcess(Kernel("rbf", 2, np.array([1.0, 1.0, 0.0])), noise, X[:5], y[:5])
    assert gp.jitter == 0.0 and np.all(gp.row_jitter == 0.0)
    gp.append(X[5:], y[5:])
    assert gp.jitter == 0.0 and np.all(gp.row_jitter[:5] == 0.0) and gp.row_jitter[5] > 0.0
    K = gp.kernel.matrix(gp.X, noise) + np.diag(gp.row_jitter)
    L = gp.factor.L
    assert_allclose(L @ L.T, K, rtol=0, atol=1e-12)
    assert not np.allclose(L @ L.T, gp.kernel.matrix(gp.X, noise), rtol=0, atol=0.1 * gp.row_jitter[5])


# ----------------------------------------------------------- predictions in blocks


def _block_calls(monkeypatch: pytest.MonkeyPatch, entries: int) -> list[int]:
    """Lower `PREDICT_BLOCK_ENTRIES` to `entries` and record the rows of each K* built."""
    monkeypatch.setattr(gp_module, "PREDICT_BLOCK_ENTRIES", entries)
    calls: list[int] = []
    cross = Kernel.cross_scaled

    def spy(kernel: Kernel, Xq: np.ndarray, Z: np.ndarray) -> np.ndarray:
        calls.append(Xq.shape[0])
        return cross(kernel, Xq, Z)

    monkeypatch.setattr(Kernel, "cross_scaled", spy)  # a frozen dataclass: patch the class
    return calls


@pytest.mark.parametrize("n", (40, 400))  # Numba solves (alike); LAPACK beyond _ALIKE_MAX_N
def test_predict_in_blocks_equals_one_pass(monkeypatch: pytest.MonkeyPatch, n: int) -> None:
    X, y = _data(n, 3, seed=21)
    gp = GaussianProcess(_kernel("matern52", 3), 1e-4, X, y)
    Xq = np.random.default_rng(22).uniform(size=(1001, 3))
    mean, var = gp.predict(Xq)  # m·n far below the default threshold: one K*
    head_mean, head_var = gp.predict(Xq[:200])
    calls = _block_calls(monkeypatch, 130 * n)  # 130 rows, rounded down to a multiple of 64
    block_mean, block_var = gp.predict(Xq)
    assert calls == [128] * 7 + [105]
    assert_array_equal(block_mean, mean)
    if gp.factor.solves_alike(Xq.shape[0]):
        assert_array_equal(block_var, var)
    else:
        assert_allclose(block_var, var, rtol=1e-12, atol=1e-15)
    # a threshold below 64 rows still takes blocks of 64
    calls = _block_calls(monkeypatch, 1)
    block_mean, block_var = gp.predict(Xq[:200])
    assert calls == [64, 64, 64, 8]
    assert_array_equal(block_mean, head_mean)
    assert_allclose(block_var, head_var, rtol=1e-12, atol=1e-15)


def test_posterior_defers_to_predict_above_the_block_threshold(
        monkeypatch: pytest.MonkeyPatch) -> None:
    X, y = _data(40, 3, seed=23)
    gp = GaussianProcess(_kernel("matern52", 3), 1e-4, X, y)
    Xq = np.random.default_rng(24).uniform(size=(50, 3))
    assert gp.posterior(Xq) is not None
    monkeypatch.setattr(gp_module, "PREDICT_BLOCK_ENTRIES", 49 * 40)
    assert gp.posterior(Xq) is None  # the caller's fallback is predict, which works in blocks

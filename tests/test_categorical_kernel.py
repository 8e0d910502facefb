"""One lengthscale per categorical (ModelOptions(categorical_kernel="hamming"),
bayesopt.categorical): the kernel equals a plain Hamming-distance reference, the tied MAP
objective's gradient matches finite differences, the fit keeps each group tied, the option
is validated, reported, journaled, and changes nothing on a space without categoricals."""

from __future__ import annotations

import math
import shutil
from typing import Any

import numpy as np
import pytest
from scipy import stats

from bayesopt import Categorical, Integer, Optimizer, OptimizerOptions, Real
from bayesopt.categorical import LengthscaleTying, TiedNegativeLogPosterior, fit_tied
from bayesopt.fitting import FitOptions, NegativeLogPosterior, negative_log_posterior
from bayesopt.model import ModelOptions, SurrogateModel
from bayesopt.optimizer import ResumeWarning
from bayesopt.priors import HyperparameterPriors
from bayesopt.space import Space
from bayesopt.warping import KumaraswamyWarping
from bench import ask_identity

SPACE = {"x": Real(-2.0, 3.0), "act": Categorical(["relu", "tanh", "logistic", "identity"]),
         "lr": Real(1e-4, 1.0, log=True), "solver": Categorical(["adam", "sgd"])}
COST = {"relu": 0.0, "tanh": 0.4, "logistic": 1.0, "identity": 0.7}


def _objective(p: dict[str, Any]) -> float:
    return float((p["x"] - 0.5) ** 2 + (math.log10(p["lr"]) + 2.0) ** 2 / 4 + COST[p["act"]]
                 + (0.3 if p["solver"] == "sgd" else 0.0))


def _run(categorical_kernel: str, n: int = 14, journal: str | None = None,
         space: dict[str, Any] = SPACE) -> Optimizer:
    options = OptimizerOptions(model=ModelOptions(categorical_kernel=categorical_kernel))
    opt = Optimizer(space, seed=3, options=options, journal=journal)
    for _ in range(n):
        p = opt.ask()
        opt.tell(p, _objective(p) if space is SPACE else _plain(p))
    return opt


def _model(opt: Optimizer) -> SurrogateModel:
    model: SurrogateModel = opt.surrogate().model
    return model


def _hamming_reference(points: list[dict[str, Any]], hyper: Any, variance: float,
                       kernel: str) -> np.ndarray:
    """k(p, q) = s2 · κ(√(Σ_real ((u_p − u_q)/l)² + Σ_cat 2·[a ≠ b]/l_c²)) from params dicts:
    u the unit-cube coordinate (log10 for log=True), one l per categorical."""
    lengths = hyper.lengthscales_unit_cube
    r2 = np.zeros((len(points), len(points)))
    for name, dim in SPACE.items():
        values = [p[name] for p in points]
        if isinstance(dim, Categorical):
            differ = np.array([[a != b for b in values] for a in values], dtype=float)
            r2 += 2.0 * differ / lengths[name] ** 2
        else:
            u = np.array(values, dtype=float)
            u = (np.log10(u) + 4.0) / 4.0 if name == "lr" else (u + 2.0) / 5.0
            r2 += ((u[:, None] - u[None, :]) / lengths[name]) ** 2
    r = np.sqrt(r2)
    if kernel == "rbf":
        return variance * np.exp(-0.5 * r2)
    return variance * (1 + math.sqrt(5) * r + 5 * r2 / 3) * np.exp(-math.sqrt(5) * r)


@pytest.mark.parametrize("kernel", ["matern52", "rbf"])
def test_the_fitted_kernel_equals_a_plain_hamming_reference(kernel: str) -> None:
    options = OptimizerOptions(model=ModelOptions(kernel=kernel, categorical_kernel="hamming"))
    opt = Optimizer(SPACE, seed=5, options=options)
    for _ in range(12):
        p = opt.ask()
        opt.tell(p, _objective(p))
    hyper = opt.surrogate().hyperparameters()
    assert isinstance(hyper.lengthscales_unit_cube["act"], float)  # one per categorical
    assert isinstance(hyper.lengthscales_unit_cube["solver"], float)
    points = [o.params for o in opt.history]
    gp = _model(opt).gp
    assert gp is not None
    X = Space(SPACE).encode(points)
    reference = _hamming_reference(points, hyper, hyper.signal_variance_standardized, kernel)
    np.testing.assert_allclose(gp.kernel.matrix(X), reference, rtol=1e-12, atol=1e-14)


def test_each_categorical_keeps_one_fitted_lengthscale_and_the_reals_their_own() -> None:
    model = _model(_run("hamming"))
    assert model.params is not None
    log_l = model.params[: model.dim]
    space = Space(SPACE)
    for group in space.categorical_groups:
        assert np.all(log_l[group] == log_l[group[0]])
    assert log_l[0] != log_l[space.slices[2].start]  # x and lr are fitted apart
    assert not np.all(_model(_run("onehot")).lengthscales[space.slices[1]]
                      == _model(_run("onehot")).lengthscales[space.slices[1]][0])


TYING = LengthscaleTying.of(7, [np.array([1, 2, 3]), np.array([5, 6])])
WARP = KumaraswamyWarping(dim=7, columns=(0, 4))


def _data(n: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """n points of a space with one real, a 3-way categorical, one real, a 2-way one."""
    rng = np.random.default_rng(0)
    X = np.zeros((n, 7))
    X[:, 0], X[:, 4] = 0.05 + 0.9 * rng.random(n), 0.05 + 0.9 * rng.random(n)
    X[np.arange(n), 1 + rng.integers(0, 3, n)] = 1.0
    X[np.arange(n), 5 + rng.integers(0, 2, n)] = 1.0
    y = np.sin(5 * X[:, 0]) + X[:, 2] - 0.5 * X[:, 6] + X[:, 4] ** 2
    return X, (y - y.mean()) / y.std()


def test_the_tying_expands_reduces_and_sums_gradients() -> None:
    np.testing.assert_array_equal(TYING.group, [0, 1, 1, 1, 2, 3, 3])
    phi = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6])  # 4 lengthscales, s2, σ²
    theta = TYING.expand(phi)
    np.testing.assert_array_equal(theta, [0.1, 0.2, 0.2, 0.2, 0.3, 0.4, 0.4, 0.5, 0.6])
    np.testing.assert_array_equal(TYING.reduce(theta), phi)
    np.testing.assert_array_equal(TYING.gradient(np.arange(9.0)), [0, 6, 4, 11, 7, 8])


@pytest.mark.parametrize("kernel", ["matern52", "matern32", "rbf"])
@pytest.mark.parametrize("with_priors", [True, False])
@pytest.mark.parametrize("warping", [None, WARP])
def test_the_tied_objective_gradient_matches_finite_differences(
    kernel: str, with_priors: bool, warping: KumaraswamyWarping | None,
) -> None:
    X, y = _data()
    priors = HyperparameterPriors.default(7) if with_priors else None
    likelihood = NegativeLogPosterior(kernel, X, y, None, warping)
    objective = TiedNegativeLogPosterior(TYING, likelihood, priors, warping)
    phi = np.array([-0.7, 0.3, 0.2, 0.9, 0.1, -4.0]
                   + ([] if warping is None else [0.3, -0.2, -0.4, 0.5]))
    value, grad = objective(phi)
    assert np.isfinite(value)
    np.testing.assert_allclose(grad, [_central(objective, phi, j) for j in range(len(phi))],
                               rtol=1e-5, atol=1e-6)


def _central(f: Any, x: np.ndarray, j: int, h: float = 1e-6) -> float:
    """(f(x + h e_j) − f(x − h e_j)) / 2h of the value f returns first."""
    step = np.zeros_like(x)
    step[j] = h
    return float((f(x + step)[0] - f(x - step)[0]) / (2 * h))


def test_the_tied_objective_is_the_likelihood_at_e_phi_plus_one_prior_per_group() -> None:
    X, y = _data()
    priors = HyperparameterPriors.default(7)
    phi = np.array([-0.7, 0.3, 0.2, 0.9, 0.1, -4.0])
    nll, _ = negative_log_posterior(TYING.expand(phi), "matern52", X, y, None)
    tied, _ = TiedNegativeLogPosterior(
        TYING, NegativeLogPosterior("matern52", X, y, None), priors, None)(phi)
    ls, var, noise = priors.lengthscale, priors.variance, priors.noise
    log_prior = (-0.5 * np.sum(((phi[:4] - ls.loc) / ls.scale) ** 2)
                 - 0.5 * ((phi[4] - var.loc) / var.scale) ** 2
                 - 0.5 * ((phi[5] - noise.loc) / noise.scale) ** 2)
    assert tied == pytest.approx(nll - log_prior, rel=1e-12)


def test_the_tied_fit_returns_tied_parameters_no_worse_than_its_start() -> None:
    X, y = _data()
    priors = HyperparameterPriors.default(7)
    start = np.concatenate([np.full(7, priors.lengthscale.loc), [0.0, -8.0]])
    result = fit_tied(TYING, "matern52", X, y, priors, [start], FitOptions())
    assert result.success and result.params.shape == (9,)
    np.testing.assert_array_equal(result.params, TYING.expand(TYING.reduce(result.params)))
    objective = TiedNegativeLogPosterior(
        TYING, NegativeLogPosterior("matern52", X, y, None), priors, None)
    assert result.value == objective(TYING.reduce(result.params))[0]
    assert result.value < objective(TYING.reduce(start))[0]


def test_the_option_is_validated() -> None:
    with pytest.raises(ValueError, match="categorical_kernel.*'index'"):
        ModelOptions(categorical_kernel="index")
    with pytest.raises(ValueError, match="categorical_kernel='hamming'.*mcmc"):
        ModelOptions(categorical_kernel="hamming", hyperparameters="mcmc")


def test_the_evidence_counts_one_lengthscale_prior_per_categorical() -> None:
    """log p(θ) of `evidence()` has four lengthscale terms (x, act, lr, solver), not seven."""
    opt = _run("hamming")
    model = _model(opt)
    assert model.params is not None
    space = Space(SPACE)
    columns = [0, space.slices[1].start, space.slices[2].start, space.slices[3].start]
    priors = [model.priors.lengthscale] * 4 + [model.priors.variance, model.priors.noise]
    values = np.concatenate([model.params[columns], model.params[-2:]])
    expected = sum(stats.norm.logpdf(v, p.loc, p.scale) for v, p in zip(values, priors))
    assert opt.surrogate().evidence().log_prior == pytest.approx(expected, rel=1e-9)


def test_a_journaled_run_resumes_with_the_option(tmp_path: Any) -> None:
    journal = str(tmp_path / "run.jsonl")
    opt = _run("hamming", n=10, journal=journal)
    copy = shutil.copy(journal, tmp_path / "copy.jsonl")  # one writer per journal: resume a copy
    with pytest.warns(ResumeWarning, match="10 evaluations"):
        resumed = Optimizer.resume(copy)
    assert resumed.options.model.categorical_kernel == "hamming"
    assert resumed.fingerprint == opt.fingerprint != _run("onehot", n=1).fingerprint
    assert resumed.ask() == opt.ask()


PLAIN = {"x": Real(-2.0, 3.0), "n": Integer(1, 9), "lr": Real(1e-4, 1.0, log=True)}


def _plain(p: dict[str, Any]) -> float:
    return float((p["x"] - 0.5) ** 2 + abs(p["n"] - 4) / 3 + (math.log10(p["lr"]) + 2) ** 2)


def test_without_categoricals_the_asks_are_the_default_ones_bit_for_bit() -> None:
    onehot, hamming = _run("onehot", space=PLAIN), _run("hamming", space=PLAIN)
    assert [o.params for o in hamming.history] == [o.params for o in onehot.history]


def test_the_ask_identity_recording_takes_model_options(tmp_path: Any) -> None:
    """`bench.ask_identity record --model KEY=VALUE` builds its optimizers with the option."""
    out = str(tmp_path / "asks.json")
    args = ["record", "--out", out, "--steps", "1", "--problems", "branin", "--model"]
    with pytest.raises(ValueError, match="categorical_kernel.*'index'"):
        ask_identity.main([*args, "categorical_kernel=index"])
    assert ask_identity.main([*args, "categorical_kernel=hamming"]) == 0


def test_the_posterior_equals_scikit_learns_gp_with_one_lengthscale_per_categorical() -> None:
    """scikit-learn's Matérn-5/2 GP on the one-hot encoding, given the fitted lengthscale of
    each real and one per categorical (repeated over its columns), s2 and σ²."""
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern

    opt = _run("hamming")
    gp, hyper = _model(opt).gp, opt.surrogate().hyperparameters()
    assert gp is not None
    space = Space(SPACE)
    lengths = np.concatenate([np.repeat(hyper.lengthscales_unit_cube[name], s.stop - s.start)
                              for name, s in zip(SPACE, space.slices)])
    kernel = ConstantKernel(hyper.signal_variance_standardized, "fixed") * Matern(
        length_scale=lengths, nu=2.5, length_scale_bounds="fixed")
    reference = GaussianProcessRegressor(kernel, alpha=hyper.noise_variance_standardized,
                                         optimizer=None).fit(gp.X, gp.y)
    rng = np.random.default_rng(7)
    Xq = space.encode(space.decode(space.from_unit(rng.random((9, space.n_dims)))))
    mean, var = gp.predict(Xq)
    ref_mean, ref_std = reference.predict(Xq, return_std=True)
    np.testing.assert_allclose(mean, ref_mean, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(var, ref_std**2, rtol=1e-6, atol=1e-9)

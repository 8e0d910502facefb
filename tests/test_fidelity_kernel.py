"""The budget-basis kernel (`kernels.fidelity`, `ModelOptions(fidelity_kernel="basis")`,
`"linear-basis"` and `"stationary+basis"`).

    X : (n, d) inputs, the last column the budget level z ∈ [0, 1]
    θ = (log l_1 … log l_{d−1}, log τ², log s2),  p : the basis' power (2 or 1)
    k((x, z), (x′, z′)) = s2·κ(|x − x′|/l)·(1 + τ²(1 − z)^p(1 − z′)^p)
    with a budget lengthscale ("stationary+basis"): θ = (log l_1 … log l_{d−1}, log l_z,
    log τ², log s2) and κ(√(|x − x′|²/l² + (z − z′)²/l_z²))

Against the dense numpy twin (`kernels.reference.fidelity_*`) and finite differences,
in the GP, in the MAP objective and through the optimizer.
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.stats import multivariate_normal, norm

from bayesopt import Categorical, Fidelity, Optimizer, OptimizerOptions, Real
from bayesopt.categorical import TiedNegativeLogPosterior
from bayesopt.fitting import NegativeLogPosterior
from bayesopt.gp import GaussianProcess
from bayesopt.model import SMALL_BIAS, ModelOptions
from bayesopt.optimizer import ResumeWarning
from bayesopt.priors import HyperparameterPriors
from kernels import KERNEL_KINDS, Kernel, reference

NAMES = ("matern52", "matern32", "matern12", "rbf")
LEVELS = np.array([0.0, 1 / 3, 2 / 3, 1.0])  # Fidelity(1, 27, eta=3)'s budget levels
# (p, budget_lengthscale) of "basis", "linear-basis" and "stationary+basis"
BASES = ((2, False), (1, False), (2, True))
power_param = pytest.mark.parametrize("power, lengthscale", BASES)


def _inputs(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    """(n, d): configurations in the unit cube, the last column a budget level."""
    X = rng.uniform(size=(n, d))
    X[:, -1] = rng.choice(LEVELS, n)
    return X


def _theta(rng: np.random.Generator, d: int, lengthscale: bool = False) -> np.ndarray:
    """(d + 1,), or (d + 2,) with a budget lengthscale (log l_z before log τ²)."""
    return np.concatenate([np.log(0.5 * np.exp(rng.uniform(-0.5, 0.5, d - 1 + lengthscale))),
                           [rng.uniform(-1.0, 1.0), rng.uniform(-0.5, 0.5)]])


@power_param
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("n, m, d", [(1, 1, 2), (7, 3, 2), (15, 6, 4)])
def test_matrix_cross_and_diagonal_match_the_numpy_twin(
        name: str, n: int, m: int, d: int, power: int, lengthscale: bool) -> None:
    rng = np.random.default_rng([n, m, d, len(name)])
    X, Xq, theta = _inputs(rng, n, d), rng.uniform(size=(m, d)), _theta(rng, d, lengthscale)
    kernel = Kernel(name, d, theta, budget_power=power, budget_lengthscale=lengthscale)
    kind = KERNEL_KINDS[name]
    twin = reference.fidelity_cross_kernel(kind, X, X, theta, power, lengthscale)
    assert_allclose(kernel.matrix(X, 0.1), twin + 0.1 * np.eye(n), rtol=1e-12, atol=1e-14)
    assert_allclose(kernel.cross(Xq, X),
                    reference.fidelity_cross_kernel(kind, Xq, X, theta, power, lengthscale),
                    rtol=1e-12, atol=1e-14)
    assert_allclose(kernel.diagonal(Xq),
                    np.diag(reference.fidelity_cross_kernel(kind, Xq, Xq, theta, power,
                                                                  lengthscale)), rtol=1e-12)


@power_param
def test_at_the_top_budget_it_is_the_stationary_kernel_of_the_configuration(
        power: int, lengthscale: bool) -> None:
    """z = z′ = 1: the bias basis vanishes, k = s2·κ(|x − x′|/l) whatever τ (and l_z)."""
    rng = np.random.default_rng(3)
    X = rng.uniform(size=(6, 3))
    X[:, -1] = 1.0
    theta = np.array([-0.4, 0.2] + [0.7] * lengthscale + [1.5, 0.3])
    plain = Kernel("matern52", 2, np.array([-0.4, 0.2, 0.3]))
    kernel = Kernel("matern52", 3, theta, budget_power=power, budget_lengthscale=lengthscale)
    assert_allclose(kernel.matrix(X), plain.matrix(X[:, :2]), rtol=1e-14)


@pytest.mark.parametrize("name", NAMES)
def test_stationary_plus_basis_is_the_stationary_input_at_tau_0_and_the_basis_at_l_z_inf(
        name: str) -> None:
    """Eq. 3's two limits: τ → 0 gives the ARD kernel of (x, z) (the default budget input),
    l_z → ∞ the basis kernel of Eq. 1."""
    rng = np.random.default_rng([len(name), 5])
    X, Xq, theta = _inputs(rng, 9, 3), _inputs(rng, 4, 3), _theta(rng, 3, True)
    combined = Kernel(name, 3, theta, budget_power=2, budget_lengthscale=True)
    no_bias = combined.with_theta(np.concatenate([theta[:-2], [-80.0], theta[-1:]]))
    default = Kernel(name, 3, np.delete(theta, -2))
    assert_allclose(no_bias.matrix(X, 0.1), default.matrix(X, 0.1), rtol=1e-13)
    assert_allclose(no_bias.cross(Xq, X), default.cross(Xq, X), rtol=1e-13)
    flat = combined.with_theta(np.concatenate([theta[:2], [40.0], theta[-2:]]))
    basis = Kernel(name, 3, np.delete(theta, 2), budget_power=2)
    assert_allclose(flat.matrix(X, 0.1), basis.matrix(X, 0.1), rtol=1e-12)
    assert_allclose(flat.cross(Xq, X), basis.cross(Xq, X), rtol=1e-12)


@power_param
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("n, d", [(1, 2), (9, 2), (14, 4)])
def test_theta_gradient_matches_the_twin_and_finite_differences(
        name: str, n: int, d: int, power: int, lengthscale: bool) -> None:
    rng = np.random.default_rng([n, d, len(name), 1])
    X, theta = _inputs(rng, n, d), _theta(rng, d, lengthscale)
    kernel = Kernel(name, d, theta, budget_power=power, budget_lengthscale=lengthscale)
    alpha = rng.standard_normal(n)
    S = rng.standard_normal((n, n))
    S = S + S.T  # stands in for K⁻¹: the contraction is linear in W
    got = kernel.theta_gradient(X, alpha, np.tril(S))
    twin = reference.fidelity_lml_gradient_contraction(KERNEL_KINDS[name], X, theta, power,
                                                      alpha, S, lengthscale)
    W = np.outer(alpha, alpha) - S
    h, expected = 1e-6, np.empty(theta.size)
    for j in range(theta.size):
        step = np.zeros(theta.size)
        step[j] = h
        plus = 0.5 * np.sum(W * kernel.with_theta(theta + step).matrix(X))
        minus = 0.5 * np.sum(W * kernel.with_theta(theta - step).matrix(X))
        expected[j] = (plus - minus) / (2 * h)
    size = kernel.variance * np.sum(np.abs(W))
    assert_allclose(got, twin, rtol=1e-10, atol=1e-12 * size)
    assert_allclose(got, expected, rtol=1e-6, atol=1e-8 * size)


@power_param
@pytest.mark.parametrize("name", ("matern52", "matern32", "rbf"))
@pytest.mark.parametrize("channels", (1, 2))
def test_cross_gradient_matches_finite_differences_in_every_column(
        name: str, channels: int, power: int, lengthscale: bool) -> None:
    rng = np.random.default_rng([channels, len(name), 2])
    d, n, m = 3, 8, 4
    X, theta = _inputs(rng, n, d), _theta(rng, d, lengthscale)
    Xq = rng.uniform(0.05, 0.95, size=(m, d))  # the budget level of a query too: z < 1
    kernel = Kernel(name, d, theta, budget_power=power, budget_lengthscale=lengthscale)
    W = rng.standard_normal((channels, m, n))
    got = kernel.cross_gradient(Xq, X, W)
    h, expected = 1e-6, np.empty_like(got)
    for j in range(d):
        step = np.zeros(d)
        step[j] = h
        diff = kernel.cross(Xq + step, X) - kernel.cross(Xq - step, X)  # (m, n), row i: x*_i
        expected[:, :, j] = np.einsum("cib,ib->ci", W, diff) / (2 * h)
    assert_allclose(got, expected, rtol=1e-5, atol=1e-7)


@power_param
def test_gp_variance_and_gradients_at_low_budgets(power: int, lengthscale: bool) -> None:
    """The posterior variance is k(x*, x*) − |L⁻¹k*|² with k(x*, x*) = s2(1 + v*²), and
    the mean's and std's gradients in x* (z* included) match finite differences."""
    rng = np.random.default_rng(11)
    d, n, m = 3, 14, 5
    X, theta = _inputs(rng, n, d), _theta(rng, d, lengthscale)
    y = np.sin(4 * X[:, 0]) + X[:, 1] + (1 - X[:, 2]) ** 2
    kernel = Kernel("matern52", d, theta, budget_power=power, budget_lengthscale=lengthscale)
    gp = GaussianProcess(kernel, 1e-3, X, y)
    Xq = rng.uniform(0.05, 0.95, size=(m, d))
    K = kernel.matrix(X, 1e-3)
    Ks = kernel.cross(Xq, X)
    mean, var = gp.predict(Xq)
    assert_allclose(mean, Ks @ np.linalg.solve(K, y), rtol=1e-9)
    assert_allclose(var, kernel.diagonal(Xq) - np.einsum("ib,ib->i", Ks, np.linalg.solve(K, Ks.T).T),
                    rtol=1e-8)
    posterior = gp.posterior(Xq)
    assert posterior is not None
    assert_allclose(posterior.std(np.arange(m)), np.sqrt(var), rtol=1e-12)
    _, std, d_mean, d_std = gp.predict_with_gradient(Xq)
    assert_allclose(std, np.sqrt(var), rtol=1e-12)
    h = 1e-6
    for j in range(d):
        step = np.zeros(d)
        step[j] = h
        (mp, vp), (mm, vm) = gp.predict(Xq + step), gp.predict(Xq - step)
        assert_allclose(d_mean[:, j], (mp - mm) / (2 * h), rtol=1e-5, atol=1e-6)
        assert_allclose(d_std[:, j], (np.sqrt(vp) - np.sqrt(vm)) / (2 * h), rtol=1e-5, atol=1e-6)


@power_param
@pytest.mark.parametrize("name", NAMES)
def test_map_objective_value_and_gradient(name: str, power: int, lengthscale: bool) -> None:
    """−log N(y; 0, K + σ²I) − log p(θ) with K from the twin; its gradient by finite
    differences (the budget slot's prior is the lengthscale prior, on log τ²)."""
    rng = np.random.default_rng(len(name))
    d, n = 3, 16
    X = _inputs(rng, n, d)
    y = np.cos(3 * X[:, 0]) - X[:, 1] + 0.5 * (1 - X[:, 2]) ** 2
    y = (y - y.mean()) / y.std()
    params = np.concatenate([_theta(rng, d, lengthscale), [math.log(1e-2)]])
    priors = HyperparameterPriors.default(d)
    objective = NegativeLogPosterior(name, X, y, priors, budget_power=power,
                                     budget_lengthscale=lengthscale)
    value, grad = objective(params)
    K = reference.fidelity_cross_kernel(KERNEL_KINDS[name], X, X, params[:-1], power, lengthscale)
    expected = (-multivariate_normal(np.zeros(n), K + 1e-2 * np.eye(n)).logpdf(y)
                - priors.log_density(params)[0])
    assert value == pytest.approx(expected, rel=1e-10, abs=1e-10)
    h, fd = 1e-6, np.empty_like(params)
    for j in range(params.size):
        step = np.zeros_like(params)
        step[j] = h
        fd[j] = (objective(params + step)[0] - objective(params - step)[0]) / (2 * h)
    assert_allclose(grad, fd, rtol=1e-5, atol=1e-5)


SPACE = {"x1": Real(0.0, 1.0), "x2": Real(0.0, 1.0), "epochs": Fidelity(1, 27)}



def _loss(params: dict[str, float]) -> float:
    z = math.log(params["epochs"]) / math.log(27)
    return (params["x1"] - 0.3) ** 2 + (params["x2"] - 0.7) ** 2 + (1 - z) ** 2 * params["x1"]


@pytest.mark.parametrize("fidelity_kernel, power, lengthscale", [
    ("basis", 2, False), ("linear-basis", 1, False), ("stationary+basis", 2, True),
    ("basis-small-bias", 2, False)])
def test_the_optimizer_models_the_budget_with_the_basis_and_resumes_the_same(
        tmp_path, fidelity_kernel: str, power: int, lengthscale: bool) -> None:
    journal = tmp_path / "run.jsonl"
    options = OptimizerOptions(model=ModelOptions(fidelity_kernel=fidelity_kernel))
    opt = Optimizer(SPACE, seed=0, options=options, journal=str(journal))
    for _ in range(30):
        params = opt.ask()
        opt.tell(params, _loss(params))
    gp = opt.surrogate().model.gp
    assert gp is not None and gp.kernel.budget_power == power and gp.kernel.dim == 3
    assert gp.kernel.budget_lengthscale == lengthscale and gp.kernel.theta.size == 4 + lengthscale
    listed = opt.surrogate().hyperparameters().lengthscales_unit_cube
    assert ("epochs" in listed) == lengthscale  # the basis alone has no budget lengthscale
    if lengthscale:
        assert listed["epochs"] == pytest.approx(float(np.exp(gp.kernel.theta[2])))
    copy = shutil.copy(journal, journal.with_name("copy.jsonl"))  # one writer per journal: resume a copy
    with pytest.warns(ResumeWarning):  # the journal holds evaluations
        resumed = Optimizer.resume(copy)
    assert resumed.ask() == opt.ask()
    plain = Optimizer(SPACE, seed=0)
    for observation in opt.history:
        plain.tell(observation.params, observation.value)
    assert plain.surrogate().model.gp.kernel.budget_power is None


def _matern52(r: float) -> float:
    """κ(r) of Matérn-5/2 (R&W Eq. 4.17), written out for the check below."""
    return (1.0 + math.sqrt(5) * r + 5.0 * r * r / 3.0) * math.exp(-math.sqrt(5) * r)


@pytest.mark.parametrize("fidelity_kernel, power, lengthscale", [
    ("stationary", None, True), ("basis", 2, False), ("linear-basis", 1, False),
    ("stationary+basis", 2, True), ("basis-small-bias", 2, False)])
def test_hyperparameters_report_the_fitted_budget_kernel_by_name(
        fidelity_kernel: str, power: int | None, lengthscale: bool) -> None:
    options = OptimizerOptions(model=ModelOptions(fidelity_kernel=fidelity_kernel))
    opt = Optimizer(SPACE, seed=0, options=options)
    for _ in range(20):
        params = opt.ask()
        opt.tell(params, _loss(params))
    surrogate = opt.surrogate()
    theta = surrogate.model.gp.kernel.theta  # (log l_x1, log l_x2, [log l_z], [log τ²], log s2)
    budget = surrogate.hyperparameters().budget
    assert budget is not None and budget.name == "epochs"
    assert budget.fidelity_kernel == fidelity_kernel and budget.bias_power == power
    l_z = float(np.exp(theta[2])) if lengthscale else None
    tau2 = None if power is None else float(np.exp(theta[-2]))
    assert budget.lengthscale_unit_cube == (None if l_z is None else pytest.approx(l_z))
    assert budget.lengthscale == (None if l_z is None else pytest.approx(l_z * math.log10(27)))
    assert budget.bias_variance == (None if tau2 is None else pytest.approx(tau2))
    rho = (_matern52(1 / l_z) if l_z else 1.0) / math.sqrt(1.0 + (tau2 or 0.0))
    assert budget.lowest_budget_correlation == pytest.approx(rho, rel=1e-12)
    assert 0.0 < rho < 1.0


def test_the_evidence_counts_the_prior_the_fit_puts_on_tau2() -> None:
    """log p(θ) of `evidence()` with "basis-small-bias": the lengthscale prior on l_x1 and
    l_x2, SMALL_BIAS (not the lengthscale prior) on log τ², as the MAP fit has."""
    options = OptimizerOptions(model=ModelOptions(fidelity_kernel="basis-small-bias"))
    opt = Optimizer(SPACE, seed=0, options=options)
    for _ in range(20):
        params = opt.ask()
        opt.tell(params, _loss(params))
    surrogate = opt.surrogate()
    model = surrogate.model
    assert model.params is not None  # (log l_x1, log l_x2, log τ², log s2, log σ²)
    priors = [model.priors.lengthscale] * 2 + [SMALL_BIAS, model.priors.variance,
                                                model.priors.noise]
    expected = sum(norm.logpdf(v, p.loc, p.scale) for v, p in zip(model.params, priors))
    assert surrogate.evidence().log_prior == pytest.approx(expected, rel=1e-9)


def test_hyperparameters_have_no_budget_kernel_without_a_budget_input() -> None:
    plain = Optimizer({"x1": Real(0.0, 1.0), "x2": Real(0.0, 1.0)}, seed=0)
    bohb = Optimizer(SPACE, seed=0, n_initial=3,
                     options=OptimizerOptions(model=ModelOptions(fidelity_model="bohb")))
    for opt in (plain, bohb):
        for _ in range(8):
            params = opt.ask()
            opt.tell(params, _loss({"epochs": 27, **params}))
        assert opt.surrogate().hyperparameters().budget is None


@pytest.mark.parametrize("options, match", [
    ({"fidelity_kernel": "decay"}, "fidelity_kernel='decay' must be one of"),
    ({"fidelity_kernel": "basis", "fidelity_model": "bohb"}, "needs fidelity_model='budget-input'"),
    ({"fidelity_kernel": "basis", "hyperparameters": "mcmc"}, "needs hyperparameters='map'"),
    ({"fidelity_kernel": "basis", "input_warping": True}, "needs input_warping=False"),
    ({"fidelity_kernel": "stationary+basis", "fidelity_model": "bohb"},
     "fidelity_kernel='stationary\\+basis' needs fidelity_model='budget-input'"),
    ({"fidelity_kernel": "stationary+basis", "hyperparameters": "mcmc"},
     "needs hyperparameters='map'"),
])
def test_model_options_reject_what_the_basis_cannot_model(options: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        ModelOptions(**options)


def test_the_basis_without_a_fidelity_is_an_error() -> None:
    with pytest.raises(ValueError, match="the space has no Fidelity"):
        Optimizer({"x": Real(0.0, 1.0)},
                  options=OptimizerOptions(model=ModelOptions(fidelity_kernel="basis")))


@pytest.mark.parametrize("dim, flag", [(1, 2), (3, True), (3, 0), (3, 1.5)])
def test_kernel_rejects_a_bad_budget_power(dim: int, flag: object) -> None:
    with pytest.raises(ValueError, match="budget_power"):
        Kernel("matern52", dim, np.zeros(dim + 1), budget_power=flag)  # type: ignore[arg-type]


@pytest.mark.parametrize("power, flag", [(None, True), (2, 1), (2, "yes")])
def test_kernel_rejects_a_bad_budget_lengthscale(power: int | None, flag: object) -> None:
    with pytest.raises(ValueError, match="budget_lengthscale"):
        Kernel("matern52", 3, np.zeros(5), budget_power=power,
               budget_lengthscale=flag)  # type: ignore[arg-type]


def test_the_budget_lengthscale_needs_theta_one_longer() -> None:
    with pytest.raises(ValueError, match="theta must be 5 finite log-parameters"):
        Kernel("matern52", 3, np.zeros(4), budget_power=2, budget_lengthscale=True)


def test_stationary_plus_basis_with_tied_categorical_lengthscales() -> None:
    """With categorical_kernel="hamming" the τ² slot past the columns is fitted untied,
    with its prior, and the tied MAP objective's gradient matches finite differences."""
    space = {"x": Real(0.0, 1.0), "c": Categorical(["a", "b", "c"]), "epochs": Fidelity(1, 27)}
    model = ModelOptions(fidelity_kernel="stationary+basis", categorical_kernel="hamming")
    opt = Optimizer(space, seed=1, options=OptimizerOptions(model=model))
    for _ in range(14):
        params = opt.ask()
        opt.tell(params, (params["x"] - 0.4) ** 2 + (params["c"] == "b")
                 + (1 - math.log(params["epochs"]) / math.log(27)) ** 2)
    surrogate = opt.surrogate().model
    gp = surrogate.gp
    assert gp is not None and gp.kernel.theta.size == 7  # x, 3 one-hot, z, τ², s2
    assert np.ptp(gp.kernel.theta[1:4]) == 0.0  # the one-hot columns' lengthscales tied
    likelihood = NegativeLogPosterior("matern52", gp.X, gp.y, None,
                                      budget_power=2, budget_lengthscale=True)
    objective = TiedNegativeLogPosterior(surrogate.tying, likelihood, surrogate.priors, None)
    phi = surrogate.tying.reduce(surrogate.params)
    assert phi.size == 6  # x, c, z, τ², s2, σ²
    phi = phi + np.array([0.2, -0.3, 0.1, 0.5, 0.1, 0.0])  # off the optimum
    phi[-1] = math.log(1e-2)  # a noise at which finite differences are accurate
    _assert_gradient_matches_central_differences(objective, phi)


def test_the_basis_changes_the_fingerprint_and_the_default_keeps_it() -> None:
    default = Optimizer(SPACE, seed=0)
    stationary = Optimizer(SPACE, seed=0, options=OptimizerOptions(
        model=ModelOptions(fidelity_kernel="stationary")))
    fingerprints = {Optimizer(SPACE, seed=0, options=OptimizerOptions(
        model=ModelOptions(fidelity_kernel=kind))).fingerprint
        for kind in ("basis", "linear-basis", "stationary+basis", "basis-small-bias")}
    assert stationary.fingerprint == default.fingerprint
    assert len(fingerprints) == 4 and default.fingerprint not in fingerprints


def test_the_small_bias_prior_is_the_tau_slot_s_and_only_its() -> None:
    """`budget_bias` replaces the last lengthscale slot's prior (log τ²) in the stacked
    density, the mode and the restarts' draws; every other slot keeps its block's."""
    plain = HyperparameterPriors.default(3)
    priors = replace(plain, budget_bias=SMALL_BIAS)
    params = np.array([-0.3, 0.4, -3.0, 0.2, -6.0])
    value, grad = priors.log_density(params)
    blocks = [plain.lengthscale.log_density(params[:2]), SMALL_BIAS.log_density(params[2:3]),
              plain.variance.log_density(params[3:4]), plain.noise.log_density(params[4:])]
    assert value == pytest.approx(sum(b[0] for b in blocks), rel=1e-14)
    assert_allclose(grad, np.concatenate([b[1] for b in blocks]), rtol=1e-14)
    assert_allclose(priors.mode(3), [plain.lengthscale.loc] * 2 + [math.log(0.01),
                                     plain.variance.loc, plain.noise.loc])
    draws = priors.sample(np.random.default_rng(4), 3)
    rng = np.random.default_rng(4)
    expected = np.concatenate([plain.lengthscale.sample(rng, 2), SMALL_BIAS.sample(rng, 1),
                               plain.variance.sample(rng, 1), plain.noise.sample(rng, 1)])
    assert_allclose(draws, expected, rtol=0, atol=0)


def test_basis_small_bias_fits_tau_under_its_prior() -> None:
    """The optimizer's GP has the small-bias prior on log τ², and its MAP objective's
    gradient (prior included) matches finite differences."""
    options = OptimizerOptions(model=ModelOptions(fidelity_kernel="basis-small-bias"))
    opt = Optimizer(SPACE, seed=2, options=options)
    for _ in range(12):
        params = opt.ask()
        opt.tell(params, _loss(params))
    model = opt.surrogate().model
    assert model.priors.budget_bias == SMALL_BIAS and model.gp is not None
    objective = NegativeLogPosterior("matern52", model.gp.X, model.gp.y, model.priors,
                                     budget_power=2)
    params = model.params + np.array([0.2, -0.3, 0.5, 0.1, 0.0])  # off the optimum
    params[-1] = math.log(1e-2)  # a noise at which finite differences are accurate
    _assert_gradient_matches_central_differences(objective, params)


def _assert_gradient_matches_central_differences(
        objective: Callable[[np.ndarray], tuple[float, np.ndarray]], params: np.ndarray) -> None:
    value, grad = objective(params)
    h, fd = 1e-6, np.empty_like(params)
    for j in range(params.size):
        step = np.zeros_like(params)
        step[j] = h
        fd[j] = (objective(params + step)[0] - objective(params - step)[0]) / (2 * h)
    assert np.isfinite(value)
    assert_allclose(grad, fd, rtol=1e-4, atol=1e-4)

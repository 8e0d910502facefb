"""The GP on a conditional space: the gated kernel (`kernels.Kernel(gates=...)`) and the model.

Notation as in `kernels.kernel`: gates[j] is the activity column of column j (−1: always
active); φ imputes inactive coordinates to INACTIVE_VALUE; k_gated(x, y) = k(φ(x), φ(y)).
Checked against the numpy twin (`kernels.reference.impute` + the reference kernels) and
by central finite differences; then the properties the model promises: an inactive
coordinate never changes a prediction, and the covariance across activity patterns is
s2·κ(r) with the indicator's term |1 − 0|/l_g in r.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from bayesopt import Categorical, Optimizer, Real, minimize
from bayesopt.fitting import negative_log_posterior
from bayesopt.gp import GaussianProcess
from bayesopt.priors import HyperparameterPriors
from bayesopt.space import Space
from kernels import Kernel, inverse_from_factor, reference
from kernels.cholesky import cholesky_lower
from kernels.kernel import INACTIVE_VALUE, KERNEL_KINDS

# columns: 0 always active, 1 and 2 gated by indicator 3, 4 gated by indicator 5
GATES = (-1, 3, 3, -1, 5, -1)
D = len(GATES)


def _points(rng: np.random.Generator, n: int) -> np.ndarray:
    """(n, D) rows with random activity; inactive coordinates hold arbitrary values."""
    X = rng.random((n, D))
    X[:, 3] = rng.random(n) < 0.5
    X[:, 5] = rng.random(n) < 0.6
    return X


def _kernel(name: str, rng: np.random.Generator) -> Kernel:
    return Kernel(name, D, np.concatenate([np.log(rng.uniform(0.2, 1.5, D)), [0.3]]), GATES)


@pytest.mark.parametrize("name", ["matern52", "matern32", "rbf"])
def test_gated_kernel_equals_the_numpy_twin(name: str) -> None:
    rng = np.random.default_rng(1)
    kernel = _kernel(name, rng)
    X, Xq = _points(rng, 9), _points(rng, 4)
    kind, s2, lengths = KERNEL_KINDS[name], kernel.variance, kernel.lengthscales
    Z = reference.impute(X, GATES, INACTIVE_VALUE) / lengths
    Zq = reference.impute(Xq, GATES, INACTIVE_VALUE) / lengths
    assert_allclose(kernel.matrix(X, 0.1), reference.kernel_matrix(kind, Z, s2, 0.1), rtol=1e-12)
    assert_allclose(kernel.cross(Xq, X), reference.cross_kernel(kind, Zq, Z, s2), rtol=1e-12)
    W = rng.standard_normal((2, 4, 9))
    active = ~np.isnan(reference.impute(Xq, GATES, np.nan))  # where the twin does not impute
    expected = reference.cross_gradient_contraction(kind, Zq, Z, 1 / lengths, s2, W) * active
    assert_allclose(kernel.cross_gradient(Xq, X, W), expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["matern52", "rbf"])
def test_gated_kernel_query_gradient_matches_finite_differences(name: str) -> None:
    rng = np.random.default_rng(2)
    kernel = _kernel(name, rng)
    X, Xq = _points(rng, 7), _points(rng, 3)
    Xq[:, [3, 5]] = np.where(Xq[:, [3, 5]] > 0.5, 0.9, 0.1)  # indicators away from the ½ threshold
    W = rng.standard_normal((1, 3, 7))
    grad = kernel.cross_gradient(Xq, X, W)[0]
    h = 1e-6
    for i in range(3):
        for j in range(D):
            up, down = Xq.copy(), Xq.copy()
            up[i, j] += h
            down[i, j] -= h
            fd = (np.sum(W[0, i] * kernel.cross(up[i:i + 1], X)[0])
                  - np.sum(W[0, i] * kernel.cross(down[i:i + 1], X)[0])) / (2 * h)
            assert grad[i, j] == pytest.approx(fd, rel=1e-5, abs=1e-7), (i, j)


def test_gated_log_posterior_gradient_matches_finite_differences() -> None:
    rng = np.random.default_rng(3)
    X = _points(rng, 12)
    X = reference.impute(X, GATES, INACTIVE_VALUE)  # stored observations are imputed
    y = rng.standard_normal(12)
    priors = HyperparameterPriors.default(D)
    params = np.concatenate([np.log(rng.uniform(0.3, 1.0, D)), [0.1, math.log(1e-2)]])
    value, grad = negative_log_posterior(params, "matern52", X, y, priors, gates=GATES)
    h = 1e-6
    for j in range(params.size):
        step = np.zeros_like(params)
        step[j] = h
        fd = (negative_log_posterior(params + step, "matern52", X, y, priors, gates=GATES)[0]
              - negative_log_posterior(params - step, "matern52", X, y, priors, gates=GATES)[0]) / (2 * h)
        assert grad[j] == pytest.approx(fd, rel=1e-5, abs=1e-6), j
    assert math.isfinite(value)


def test_theta_gradient_of_the_gated_kernel_equals_the_twin() -> None:
    rng = np.random.default_rng(4)
    kernel = _kernel("matern52", rng)
    X = _points(rng, 10)
    L = cholesky_lower(kernel.matrix(X, 0.05))
    assert L is not None
    alpha = np.linalg.solve(kernel.matrix(X, 0.05), rng.standard_normal(10))
    Z = reference.impute(X, GATES, INACTIVE_VALUE) / kernel.lengthscales
    lower = np.tril(inverse_from_factor(L))  # potri fills one triangle; the twin wants both
    expected = reference.lml_gradient_contraction(
        KERNEL_KINDS["matern52"], Z, kernel.variance, alpha, lower + np.tril(lower, -1).T)
    assert_allclose(kernel.theta_gradient(X, alpha, inverse_from_factor(L)), expected, rtol=1e-9)


def test_an_inactive_coordinate_never_changes_a_prediction() -> None:
    rng = np.random.default_rng(5)
    kernel = _kernel("matern52", rng)
    X = reference.impute(_points(rng, 15), GATES, INACTIVE_VALUE)
    gp = GaussianProcess(kernel, 1e-4, X, rng.standard_normal(15))
    Xq = _points(rng, 6)
    Xq[:, 3] = 0.0  # columns 1 and 2 inactive at every query
    mean, var = gp.predict(Xq)
    moved = Xq.copy()
    moved[:, 1:3] = rng.random((6, 2))
    mean2, var2 = gp.predict(moved)
    assert_allclose(mean2, mean, rtol=0, atol=0)
    assert_allclose(var2, var, rtol=0, atol=0)
    _, _, d_mean, d_std = gp.predict_with_gradient(Xq)
    assert np.all(d_mean[:, 1:3] == 0) and np.all(d_std[:, 1:3] == 0)
    active = Xq.copy()
    active[:, 3] = 1.0  # the same coordinates, now active, do change the prediction
    active2 = moved.copy()
    active2[:, 3] = 1.0
    assert not np.allclose(gp.predict(active)[0], gp.predict(active2)[0])


def test_covariance_across_activity_patterns_is_the_imputed_kernel() -> None:
    """x has columns 1–2 active, y not: r² = Σ_always + Σ_j (x_j − ½)²/l_j² + 1/l_3²."""
    lengths = np.array([0.5, 0.7, 0.9, 0.3, 1.0, 1.0])
    theta = np.concatenate([np.log(lengths), [np.log(2.0)]])
    kernel = Kernel("rbf", D, theta, GATES)
    x = np.array([[0.2, 0.1, 0.8, 1.0, 0.4, 0.0]])
    y = np.array([[0.6, 0.9, 0.3, 0.0, 0.7, 0.0]])
    r2 = ((0.2 - 0.6) / 0.5) ** 2 + ((0.1 - 0.5) / 0.7) ** 2 + ((0.8 - 0.5) / 0.9) ** 2 \
        + (1.0 / 0.3) ** 2
    assert kernel.cross(x, y)[0, 0] == pytest.approx(2.0 * math.exp(-0.5 * r2), rel=1e-12)
    # a short indicator lengthscale separates the patterns (SMAC's zero covariance in the limit)
    short = Kernel("rbf", D, np.concatenate([np.log(lengths[:3]), [np.log(1e-3)],
                                               np.log(lengths[4:]), [np.log(2.0)]]), GATES)
    assert short.cross(x, y)[0, 0] < 1e-100
    # both inactive in columns 1–2: they add nothing, whatever values the rows hold there
    y_same = y.copy()
    x_off = x.copy()
    x_off[0, 3] = 0.0
    expected = 2.0 * math.exp(-0.5 * ((0.2 - 0.6) / 0.5) ** 2)
    assert kernel.cross(x_off, y_same)[0, 0] == pytest.approx(expected, rel=1e-12)


def test_kernel_rejects_malformed_gates() -> None:
    with pytest.raises(ValueError, match="gates"):
        Kernel("rbf", 3, np.zeros(4), (-1, 1, -1))  # a column gated by itself
    with pytest.raises(ValueError, match="gates"):
        Kernel("rbf", 3, np.zeros(4), (-1, 7, -1))


# ----------------------------------------------------------- the optimizer
def _space() -> dict[str, object]:
    return {
        "model": Categorical(["a", "b", "c"]),
        "x": Real(0.0, 1.0, when={"model": "a"}),
        "kind": Categorical(["p", "q"], when={"model": "a"}),
        "z": Real(-1.0, 1.0, when={"kind": "q"}),
        "w": Real(0.0, 2.0, when={"model": ["b", "c"]}),
    }


def _objective(p: dict[str, object]) -> float:
    if p["model"] == "a":
        base = (float(p["x"]) - 0.3) ** 2  # type: ignore[arg-type]
        return base + (0.05 + float(p["z"]) ** 2 if p["kind"] == "q" else 0.2)  # type: ignore[arg-type]
    return 0.5 + (float(p["w"]) - 1.0) ** 2 + (0.1 if p["model"] == "c" else 0.0)  # type: ignore[arg-type]


def test_every_ask_of_a_conditional_space_carries_exactly_the_active_keys() -> None:
    space = Space(_space())
    opt = Optimizer(_space(), seed=0, n_initial=6)
    for _ in range(6):
        batch = opt.ask(3)
        encoded = space.encode(batch)
        assert len({tuple(row) for row in encoded}) == 3  # distinct
        for params in batch:
            assert space.validate(params) == params
        opt.tell(batch, [_objective(p) for p in batch])
    assert opt.best is not None and opt.best.value < 0.3


def test_minimize_on_a_conditional_space_finds_the_best_branch() -> None:
    result = minimize(_objective, _space(), n_calls=30, seed=1, progress=False)
    assert result.best.params["model"] == "a" and result.best.params["kind"] == "q"
    assert result.best.value < 0.1


@pytest.mark.parametrize("fixed", [1e-3, 1e3])
def test_a_fixed_activity_lengthscale_pins_only_the_activity_columns(fixed: float) -> None:
    from dataclasses import replace

    from bayesopt import OptimizerOptions

    options = OptimizerOptions()
    options = replace(options, model=replace(
        options.model, fit=replace(options.model.fit, activity_lengthscale=fixed)))
    opt = Optimizer(_space(), seed=2, n_initial=5, options=options)
    for _ in range(8):
        params = opt.ask()
        opt.tell(params, _objective(params))
    lengthscales = opt.result().model.lengthscales  # type: ignore[union-attr]
    space = Space(_space())
    assert_allclose(lengthscales[space.activity_columns], fixed, rtol=1e-12)
    others = np.delete(lengthscales, space.activity_columns)
    assert not np.allclose(others, fixed)


@pytest.mark.parametrize("pin", ["activity", "noise", "both", "neither"])
def test_the_evidence_has_no_prior_on_a_pinned_parameter(pin: str) -> None:
    """log p(θ) of `evidence()` sums the priors of the fitted log-parameters only: the
    activity lengthscales of FitOptions(activity_lengthscale=) and the noise of
    noise_variance= are pinned, one rule for both (it counted their priors)."""
    from dataclasses import replace

    import scipy.stats

    from bayesopt import ModelOptions, OptimizerOptions
    from bayesopt.fitting import FitOptions

    fit = FitOptions(activity_lengthscale=1e-3 if pin in ("activity", "both") else None)
    noise = 1e-4 if pin in ("noise", "both") else None
    model = ModelOptions(fit=fit, noise_variance=noise, output_transform="none")
    opt = Optimizer(_space(), seed=2, n_initial=5,
                    options=replace(OptimizerOptions(), model=model))
    for _ in range(7):
        params = opt.ask()
        opt.tell(params, _objective(params))
    fitted = opt.result().model
    assert fitted is not None and fitted.gp is not None
    log_params = np.concatenate([fitted.gp.kernel.theta, [math.log(fitted.gp.noise)]])
    priors, space = fitted.priors, Space(_space())
    terms = [(value, priors.lengthscale) for value in log_params[:-2]]
    terms += [(log_params[-2], priors.variance), (log_params[-1], priors.noise)]
    dropped = {"activity": space.activity_columns, "noise": [len(terms) - 1]}
    dropped["both"] = [*dropped["activity"], *dropped["noise"]]
    drop = set(dropped.get(pin, []))
    assert len(drop) == {"activity": 4, "noise": 1, "both": 5, "neither": 0}[pin]  # x, kind, z, w
    expected = sum(scipy.stats.norm.logpdf(value, prior.loc, prior.scale)
                   for k, (value, prior) in enumerate(terms) if k not in drop)
    evidence = opt.surrogate().evidence()
    assert evidence.log_prior == pytest.approx(expected, rel=1e-12)
    assert evidence.log_marginal_likelihood_plus_log_prior == pytest.approx(
        evidence.log_marginal_likelihood + expected, rel=1e-12)


def test_activity_lengthscale_is_validated() -> None:
    from bayesopt.fitting import FitOptions

    with pytest.raises((TypeError, ValueError), match="activity_lengthscale"):
        FitOptions(activity_lengthscale=0.0)


@pytest.mark.parametrize("model", [{"hyperparameters": "mcmc"}, {"input_warping": True}])
def test_conditional_space_with_the_spearmint_options(model: dict[str, object]) -> None:
    """Slice-sampled hyperparameters and input warping keep the gates: the activity
    columns are neither warped nor read where inactive, and a fixed activity
    lengthscale holds in the sampler too."""
    from dataclasses import replace

    from bayesopt import OptimizerOptions

    options = OptimizerOptions()
    fit = replace(options.model.fit, activity_lengthscale=0.5)
    options = replace(options, model=replace(options.model, fit=fit, **model))
    space = Space(_space())
    opt = Optimizer(_space(), seed=4, n_initial=5, options=options)
    for _ in range(8):
        params = opt.ask()
        assert space.validate(params) == params
        opt.tell(params, _objective(params))
    surrogate = opt.result().model
    assert surrogate is not None
    assert_allclose(surrogate.lengthscales[space.activity_columns], 0.5, rtol=1e-9)
    X = space.encode([{"model": "b", "w": 1.0}])
    moved = X.copy()
    moved[0, space.slices[1]] = 0.9  # x, inactive under model b
    assert_allclose(surrogate.predict(moved)[0], surrogate.predict(X)[0], rtol=0, atol=0)

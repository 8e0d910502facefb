"""Constrained LogEI and the cost term (acquisition.constrained): values against the plain
formula log(EI · Π Φ) where it is representable, finiteness far into both tails, and
gradients by central differences, through real fitted GPs for the X-space terms."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.stats import norm

from acquisition.constrained import ConstrainedLogEI, CostTerm, FeasibilityTerm, log_feasibility
from acquisition.functions import Feasibility
from bayesopt.model import ModelOptions, SurrogateModel

RNG = np.random.default_rng(16)


def _plain_log_cei(mean, std, best_f, c_mean, c_std, thresholds):
    z = (best_f - mean) / std
    ei = std * (norm.pdf(z) + z * norm.cdf(z))
    return np.log(ei) + np.sum(np.log(norm.cdf((np.asarray(thresholds) - c_mean) / c_std)), axis=1)


def test_constrained_log_ei_equals_the_plain_formula_where_representable():
    m, k = 200, 3
    mean, std = RNG.normal(size=m), RNG.uniform(0.1, 2.0, m)
    c_mean, c_std = RNG.normal(size=(m, k)) * 3, RNG.uniform(0.1, 2.0, (m, k))
    thresholds = (0.0, -0.5, 1.0)
    value = ConstrainedLogEI(0.3, thresholds).value_and_grad(mean, std, c_mean, c_std)[0]
    with np.errstate(divide="ignore"):
        plain = _plain_log_cei(mean, std, 0.3, c_mean, c_std, thresholds)
    representable = np.isfinite(plain)
    assert representable.sum() > 150 and np.all(np.isfinite(value))
    np.testing.assert_allclose(value[representable], plain[representable], rtol=1e-10, atol=1e-10)


def test_without_an_incumbent_the_value_is_the_log_probability_of_feasibility():
    c_mean, c_std = RNG.normal(size=(50, 2)), RNG.uniform(0.2, 1.0, (50, 2))
    value, d_mean, d_std, _, _ = ConstrainedLogEI(None, (0.0, 0.0)).value_and_grad(
        np.zeros(50), np.ones(50), c_mean, c_std)
    np.testing.assert_allclose(value, np.sum(norm.logcdf(-c_mean / c_std), axis=1), rtol=1e-12)
    assert not d_mean.any() and not d_std.any()


@pytest.mark.parametrize("best_f", [None, 0.3])
def test_objective_and_constraint_posteriors_of_different_lengths_raise(best_f):
    """mean (1,) against constraints (3, 1) would broadcast to 3 values: refused instead."""
    with pytest.raises(ValueError, match=r"c_mean.*\(3, 1\).*mean.*\(1,\)"):
        ConstrainedLogEI(best_f, (0.0,)).value_and_grad(
            np.zeros(1), np.ones(1), np.zeros((3, 1)), np.ones((3, 1)))


@pytest.mark.parametrize("best_f, error", [("0.3", TypeError), (float("nan"), ValueError)])
def test_a_bad_incumbent_raises_at_construction(best_f, error):
    with pytest.raises(error, match="best_f"):
        ConstrainedLogEI(best_f, (0.0,))


@pytest.mark.parametrize("exponent", range(9))
@pytest.mark.parametrize("sign", [-1.0, 1.0])
def test_finite_with_informative_gradient_far_into_both_tails(exponent, sign):
    """z = ±10^k for the objective and the constraint: no NaN, no inf, no warning, and the
    value still decreases with the constraint's mean where it is violated (gradient < 0);
    where it is certainly satisfied, log P = 0 up to rounding and the gradient is ≤ 0."""
    z = sign * 10.0**exponent
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value, d_mean, d_std, d_c_mean, d_c_std = ConstrainedLogEI(0.0, (0.0,)).value_and_grad(
            np.array([-z]), np.array([1.0]), np.array([[-z]]), np.array([[1.0]]))
    for array in (value, d_mean, d_std, d_c_mean, d_c_std):
        assert np.all(np.isfinite(array))
    assert d_mean[0] < 0 and (d_c_mean[0, 0] < 0 if z < 1.0 else d_c_mean[0, 0] <= 0)


def test_value_is_monotone_in_the_constraint_mean_into_the_far_tail():
    c_mean = np.concatenate([-np.logspace(6, -3, 50), np.logspace(-3, 6, 50)])[:, None]
    value = log_feasibility(c_mean, np.ones_like(c_mean), (0.0,))[0]
    assert np.all(np.isfinite(value)) and np.all(np.diff(value) <= 0)
    assert np.all(np.diff(value[40:]) < 0)  # from c ≈ −0.04·σ on, log P is far from 0


def test_partial_derivatives_match_central_differences():
    m, k = 30, 2
    args = [RNG.normal(size=m), RNG.uniform(0.3, 2.0, m), RNG.normal(size=(m, k)) * 4,
            RNG.uniform(0.3, 2.0, (m, k))]
    acq = ConstrainedLogEI(0.2, (0.0, 0.5))
    grads = acq.value_and_grad(*args)[1:]
    eps = 1e-6
    for position, grad in enumerate(grads):
        for index in np.ndindex(args[position].shape[1:]):
            step = np.zeros_like(args[position])
            step[(slice(None), *index)] = eps
            plus = [a + step if i == position else a for i, a in enumerate(args)]
            minus = [a - step if i == position else a for i, a in enumerate(args)]
            numeric = (acq.value_and_grad(*plus)[0] - acq.value_and_grad(*minus)[0]) / (2 * eps)
            np.testing.assert_allclose(grad[(slice(None), *index)], numeric, rtol=1e-5, atol=1e-7)


def _fitted_model(y_of_x, seed=0):
    X = np.random.default_rng(seed).random((12, 2))
    model = SurrogateModel(2, ModelOptions(output_transform="none"), np.random.default_rng(seed))
    model.update(X, y_of_x(X))
    return model


def _check_x_gradient(term):
    """Directional derivatives along random unit directions V, one per point, against
    central differences: grad(x) · v ≈ (f(x + εv) − f(x − εv)) / 2ε."""
    X = RNG.uniform(0.05, 0.95, (40, 2))
    V = RNG.normal(size=X.shape)
    V /= np.linalg.norm(V, axis=1, keepdims=True)
    eps = 1e-6
    numeric = (term(X + eps * V)[0] - term(X - eps * V)[0]) / (2 * eps)
    np.testing.assert_allclose(np.sum(term(X)[1] * V, axis=1), numeric, rtol=1e-4, atol=1e-6)


def test_feasibility_term_gradient_matches_central_differences():
    # functions that 12 points do not pin down, so the posterior std stays well above 0
    first = _fitted_model(lambda X: np.sin(9 * X[:, 0]) * np.cos(7 * X[:, 1]))
    second = _fitted_model(lambda X: np.cos(8 * X[:, 0] + 5 * X[:, 1]), seed=1)
    _check_x_gradient(FeasibilityTerm((first, second), (0.3, -0.2)))


def test_cost_term_is_minus_alpha_log_cost_with_gradient_by_central_differences():
    model = _fitted_model(lambda X: 3.0 * X[:, 0] - X[:, 1])
    term = CostTerm(model, offset=0.5, scale=2.0, alpha=0.7)
    X = RNG.random((5, 2))
    np.testing.assert_allclose(term(X)[0], -0.7 * term.log_cost(X))
    np.testing.assert_allclose(term.log_cost(X), 0.5 + 2.0 * model.predict(X)[0])
    _check_x_gradient(term)


def test_feasibility_acquisition_is_log_one():
    value, d_mean, d_std = Feasibility().value_and_grad(np.arange(3.0), np.ones(3))
    assert not value.any() and not d_mean.any() and not d_std.any()


def test_log_feasibility_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match=r"shape \(m, 2\)"):
        log_feasibility(np.zeros((3, 1)), np.ones((3, 1)), (0.0, 0.0))

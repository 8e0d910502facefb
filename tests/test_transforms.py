"""The output transform against scipy's Yeo–Johnson, and its invariants."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats
from numpy.testing import assert_allclose

from bayesopt.transforms import (
    OutputTransform,
    maximum_likelihood_lambda,
    population_variance,
    yeo_johnson,
    yeo_johnson_inverse,
    yeo_johnson_log_likelihood,
)


def samples(kind: str, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y = {"lognormal": rng.lognormal(0.0, 1.5, n), "normal": rng.normal(size=n),
         "left-skewed": -rng.lognormal(0.0, 1.0, n), "exponential": rng.exponential(size=n)}[kind]
    return (y - y.mean()) / y.std()


@pytest.mark.parametrize("n", [1, 3, 7, 8, 9, 50, 129, 300, 1001])
@pytest.mark.parametrize("kind", ["lognormal", "normal", "left-skewed", "exponential"])
def test_population_variance_is_numpys_var_bit_for_bit(n: int, kind: str) -> None:
    """The λ search compares likelihoods, so the variance must round as np.var does."""
    for seed in range(3):
        x = 1e3 * samples(kind, n, seed) + 7.0 if n > 1 else np.array([3.25])
        assert population_variance(x) == float(np.var(x))


@pytest.mark.parametrize("lmbda", [-2.0, -0.5, 0.0, 0.5, 1.0, 2.0, 2.5])
def test_transform_matches_scipy(lmbda: float) -> None:
    z = samples("lognormal", 50, 0)
    assert_allclose(yeo_johnson(z, lmbda), scipy.stats.yeojohnson(z, lmbda), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("lmbda", [-2.0, -0.5, 0.0, 0.5, 1.0, 2.0, 2.5])
def test_inverse_round_trips(lmbda: float) -> None:
    z = samples("normal", 40, 1) * 3
    assert_allclose(yeo_johnson_inverse(yeo_johnson(z, lmbda), lmbda), z, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("kind", ["lognormal", "normal", "left-skewed", "exponential"])
def test_log_likelihood_matches_scipy(kind: str) -> None:
    z = samples(kind, 60, 2)
    for lmbda in np.linspace(-2.0, 1.0, 7):
        assert yeo_johnson_log_likelihood(z, lmbda) == pytest.approx(
            float(scipy.stats.yeojohnson_llf(lmbda, z)), rel=1e-10, abs=1e-9)


@pytest.mark.parametrize("kind", ["lognormal", "normal", "left-skewed", "exponential"])
@pytest.mark.parametrize("n", [5, 30, 300])
def test_lambda_is_scipys_maximum_likelihood_clipped_to_the_bounds(kind: str, n: int) -> None:
    z = samples(kind, n, 3)
    expected = float(np.clip(scipy.stats.yeojohnson_normmax(z), -2.0, 1.0))
    found = maximum_likelihood_lambda(z)
    assert -2.0 <= found <= 1.0
    # both are maximizers of the same likelihood: compare where it is flat, not the arguments
    assert yeo_johnson_log_likelihood(z, found) >= yeo_johnson_log_likelihood(z, expected) - 1e-6
    assert found == pytest.approx(expected, abs=1e-3)


def test_heavy_right_tail_is_compressed_and_order_kept() -> None:
    y = np.random.default_rng(4).lognormal(0.0, 2.0, 100)
    transform = OutputTransform.fit(y, "yeo-johnson")
    assert transform.lmbda is not None and transform.lmbda < 0.5
    w = transform(y)
    assert np.all(np.diff(w[np.argsort(y)]) > 0)
    assert scipy.stats.skew(w) < 0.5 * scipy.stats.skew(y)
    assert_allclose(transform.inverse(w), y, rtol=1e-9)


@pytest.mark.parametrize("y, kind", [
    (np.full(6, 3.0), "yeo-johnson"),  # constant values: no scale to standardize by
    (np.array([1.0, 2.0]), "yeo-johnson"),  # too few points to fit λ
    (np.arange(10.0), "none"),
])
def test_identity_where_no_power_is_fitted(y: np.ndarray, kind: str) -> None:
    transform = OutputTransform.fit(y, kind)
    assert transform.lmbda is None
    assert np.all(np.isfinite(transform(y)))


@pytest.mark.filterwarnings("error")  # scipy's Brent search warned on a flat likelihood
@pytest.mark.parametrize("value, n", [(0.1, 3), (0.1, 6), (1.1, 7), (0.6 / 7, 3)])
def test_equal_values_whose_mean_rounds_off_fit_no_power(value: float, n: int) -> None:
    """n equal values whose mean is not exactly the value (np.std > 0 by one ulp) are as
    constant as np.full(6, 3.0): z-scored they are all equal, every λ has the same zero
    variance, and the λ search reached the user's tell as 'invalid value encountered in
    scalar subtract' from scipy (fuzz finding, review 30)."""
    y = np.full(n, value)
    assert np.std(y) > 0  # the case: not caught by the zero-spread check
    transform = OutputTransform.fit(y, "yeo-johnson")
    assert transform.lmbda is None and transform.scale == 1.0
    assert np.all(np.isfinite(transform(y)))


@pytest.mark.filterwarnings("error")  # np.std's overflow is handled, not shown to the user
@pytest.mark.parametrize("factor", [1e-300, 1e-170, 1e170, 1e300])
@pytest.mark.parametrize("kind", ["yeo-johnson", "none"])
def test_the_transformed_values_do_not_depend_on_the_objectives_scale(factor, kind) -> None:
    """Where np.std's squares under- or overflow the values were taken as constant; its
    'overflow encountered in square' reached the user's tell as a RuntimeWarning."""
    y = 3.0 + samples("lognormal", 20, 0)
    reference = OutputTransform.fit(y, kind)
    scaled = OutputTransform.fit(factor * y, kind)
    assert scaled.mean == pytest.approx(factor * reference.mean, rel=1e-12)
    assert scaled.scale == pytest.approx(factor * reference.scale, rel=1e-12)
    assert_allclose(scaled(factor * y), reference(y), rtol=1e-10, atol=1e-12)


# ----------------------------------------------- back to objective units, saturated
def test_saturate_is_the_identity_on_the_observed_range_and_bounded_beyond() -> None:
    from bayesopt.transforms import ENVELOPE_WIDTH, saturate

    low, high = 0.002, 13.4
    width = ENVELOPE_WIDTH * (high - low)
    inside = np.linspace(low, high, 101)
    assert_allclose(saturate(inside, low, high), inside, rtol=0, atol=0)
    y = np.concatenate([[-np.inf, -1e300], np.linspace(-100.0, 100.0, 20001), [1e300, np.inf]])
    out = saturate(y, low, high)
    assert np.all(np.isfinite(out)) and np.all(np.diff(out) >= 0)  # monotone
    assert np.all((low - width <= out) & (out <= high + width))
    assert out[0] == low - width and out[-1] == high + width
    for knee in (low, high):  # C¹: slope 1 on both sides of each end of the range
        h = 1e-6
        left = (saturate(np.array([knee]), low, high) - saturate(np.array([knee - h]), low, high)) / h
        right = (saturate(np.array([knee + h]), low, high) - saturate(np.array([knee]), low, high)) / h
        assert left[0] == pytest.approx(1.0, abs=1e-5) and right[0] == pytest.approx(1.0, abs=1e-5)


def test_inverse_next_to_the_pole_saturates_instead_of_exploding() -> None:
    """λ = −1.56 (issue 12, item 2): the plain inverse is ~1e8 just below w = −1/λ."""
    transform = OutputTransform(mean=1.66, scale=3.08, lmbda=-1.56)
    observed = (0.002, 13.4)
    w = np.linspace(-3.0, 5.0, 2001)  # crosses the pole at w = 0.641
    with np.errstate(over="ignore"):
        plain = transform.inverse(w)
    assert np.max(plain) > 1e6  # what a plot used to draw
    y = transform.inverse(w, observed=observed)
    assert np.all(np.isfinite(y)) and np.all(np.diff(y) >= 0)
    assert np.all((observed[0] - 13.398 <= y) & (y <= observed[1] + 13.398))
    inside = (plain >= observed[0]) & (plain <= observed[1])
    assert_allclose(y[inside], plain[inside], rtol=1e-12)  # the observed range is left exact


def test_identity_transform_is_not_saturated() -> None:
    transform = OutputTransform(mean=2.0, scale=3.0, lmbda=None)
    w = np.array([-100.0, 0.0, 100.0])
    assert_allclose(transform.inverse(w, observed=(0.0, 1.0)), 2.0 + 3.0 * w)


@pytest.mark.parametrize(("low", "high"), [(1.0, 0.0), (0.0, np.inf), (np.nan, 1.0)])
def test_saturate_needs_a_finite_ordered_range(low: float, high: float) -> None:
    from bayesopt.transforms import saturate

    with pytest.raises(ValueError, match=r"finite range low <= high, got low="):
        saturate(np.zeros(3), low, high)

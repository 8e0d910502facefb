"""The output transform against scipy's Yeo–Johnson, and its invariants."""

from __future__ import annotations

import warnings
from fractions import Fraction

import numpy as np
import pytest
import scipy.stats
from numpy.testing import assert_allclose

from bayesopt.transforms import (
    OutputTransform,
    maximum_likelihood_lambda,
    population_variance,
    times_square,
    yeo_johnson,
    yeo_johnson_inverse,
    yeo_johnson_log_likelihood,
    z_scores,
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
    assert transform.lmbda is None
    # a constant in its own units (`constant_scale`), its mean exactly its value (review 42)
    assert (transform.mean, transform.scale) == (value, value)
    assert np.all(transform(y) == 0.0)


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


# --------------------------------------------- objective values near the float maximum
BIG = 1.7976931348623157e308  # sys.float_info.max


@pytest.mark.parametrize(("low", "high"), [(-1e308, 1e308), (-BIG, BIG), (0.5, BIG),
                                           (-BIG, -1e307), (1e308, 1e308)])
def test_saturate_stays_finite_and_monotone_near_the_float_maximum(low: float,
                                                                   high: float) -> None:
    import warnings

    from bayesopt.transforms import saturate

    y = np.concatenate([[-np.inf, -BIG, -1e308], np.linspace(-1.0, 1.0, 201) * 1e308,
                        [low, high, 1e308, BIG, np.inf]])
    y.sort()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow or invalid-value RuntimeWarning
        out = saturate(y, low, high)
    assert np.all(np.isfinite(out)) and np.all(np.diff(out) >= 0)
    inside = (y >= low) & (y <= high)
    assert_allclose(out[inside], y[inside], rtol=1e-15, atol=0)  # the identity, to rounding


def test_saturate_of_an_ordinary_range_is_the_direct_formula_bit_for_bit() -> None:
    """The route in units of a power of 2 is taken only near the float maximum."""
    from bayesopt.transforms import ENVELOPE_WIDTH, saturate

    rng = np.random.default_rng(0)
    for low, high in [(0.002, 13.4), (-3e200, 5e250), (-1e-300, 1e-300), (7.0, 7.0)]:
        y = rng.normal(size=200) * (high - low or 1.0) * 3 + low
        width = ENVELOPE_WIDTH * (high - low) if high > low else 1.0
        direct = np.where(y > high, high + width * np.tanh(np.maximum(y - high, 0.0) / width),
                          np.where(y < low, low - width * np.tanh(np.maximum(low - y, 0.0) / width),
                                   y))
        assert np.array_equal(saturate(y, low, high), direct)


def test_the_affine_inverse_beyond_the_float_range_is_clipped_without_a_warning() -> None:
    import warnings

    transform = OutputTransform(mean=1.0, scale=1e308, lmbda=None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = transform.inverse(np.array([-3.0, 0.5, 3.0]), observed=(-BIG, BIG))
    assert y.tolist() == [-BIG, 1.0 + 0.5e308, BIG]


@pytest.mark.parametrize("values", [
    [1e308, -1e308, 1.0, 2.0, 3.0, 0.5], [BIG, 0.5, 0.2, 1.0, 3.0, 0.7],
    [1e308, 1e308, 1.0, 2.0, 0.1, 0.3], [-1e308, 0.5, 1.0, 2.0, 0.3, 0.7],
    [BIG, -BIG, 0.2, 1.0, 3.0, 0.4],
])
@pytest.mark.parametrize("transform", ["yeo-johnson", "none"])
@pytest.mark.parametrize("maximize", [False, True])
def test_predictions_stay_finite_when_the_objective_returns_values_near_the_float_maximum(
        values: list[float], transform: str, maximize: bool) -> None:
    """A penalty of 1e308 or sys.float_info.max told beside ordinary values: every
    prediction in objective units is finite, and no RuntimeWarning is raised."""
    import warnings

    from bayesopt import ModelOptions, Optimizer, OptimizerOptions, Real

    options = OptimizerOptions(model=ModelOptions(output_transform=transform))
    opt = Optimizer({"x": Real(0, 1), "y": Real(0, 1)}, seed=0, n_initial=4, options=options,
                    maximize=maximize)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for value in values:
            opt.tell(opt.ask(), value)
        queries = [opt.ask(), {"x": 0.1, "y": 0.2}, {"x": 0.99, "y": 0.01}, {"x": 0.0, "y": 1.0}]
        surrogate = opt.surrogate()
        for noise in (False, True):
            prediction = surrogate.predict(queries, noise=noise)
            for name in ("mean", "std", "median", "lower", "upper"):
                assert np.all(np.isfinite(getattr(prediction, name))), (name, prediction)
        assert np.all(np.isfinite(surrogate.model.predict_raw(opt.space.encode(queries))))
        assert np.isfinite(opt.recommend().mean)


@pytest.mark.parametrize("transform", ["yeo-johnson", "none"])
@pytest.mark.parametrize("maximize", [False, True])
def test_asks_continue_when_the_objective_returns_both_signs_near_the_float_maximum(
        transform: str, maximize: bool) -> None:
    """±1.7e308 told by turns: the z-scores' y − mean overflowed (best_f = inf, so the ask
    raised); they are finite now, quietly, and the asks go on."""
    from bayesopt import ModelOptions, Optimizer, OptimizerOptions, Real

    options = OptimizerOptions(model=ModelOptions(output_transform=transform))
    opt = Optimizer({"x": Real(0, 1), "y": Real(0, 1)}, seed=0, options=options,
                    maximize=maximize)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(12):
            p = opt.ask()
            assert 0.0 <= p["x"] <= 1.0 and 0.0 <= p["y"] <= 1.0
            opt.tell(p, 1.7e308 if p["y"] > 0.5 else -1.7e308)
        prediction = opt.surrogate().predict([{"x": 0.5, "y": 0.1}, {"x": 0.5, "y": 0.9}])
    assert np.all(np.isfinite(prediction.mean)) and np.all(np.isfinite(prediction.std))
    assert prediction.mean[0] < prediction.mean[1]  # −1.7e308 below y = ½, 1.7e308 above


def test_z_scores_direct_where_finite_and_exact_in_units_of_a_power_of_two() -> None:
    y = np.array([1.7e308, -1.7e308, 1.7e308, 1e308, -3.0])
    mean, scale = -2.4e307, 1.6e308
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        z = z_scores(y, mean, scale)
        ordinary = np.array([0.25, -1.5, 3.0])
        direct = z_scores(ordinary, 0.5, 2.0)
    assert np.array_equal(direct, (ordinary - 0.5) / 2.0)  # the direct route, bit for bit
    exact = [(Fraction(v) - Fraction(mean)) / Fraction(scale) for v in y]
    assert_allclose(z, [float(e) for e in exact], rtol=4e-16, atol=0)


def test_saturate_stays_finite_and_quiet_when_the_range_spans_the_floats() -> None:
    """Observed values ±1e308 (which a tell accepts): r = high − low overflowed, the
    envelope's width was inf and inf·tanh(0) NaN, and numpy's 'overflow encountered in
    subtract' reached the user's predict. Each side of the envelope is now narrowed to
    within the floats: finite, monotone, identity on the range."""
    from bayesopt.transforms import ENVELOPE_WIDTH, saturate

    top = np.finfo(float).max
    y = np.concatenate([[-np.inf, -top], 1e308 * np.linspace(-1.7, 1.7, 3401), [top, np.inf]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        wide = saturate(y, -1e308, 1e308)
        low, high = -1e308, -0.5e308  # r finite, y − high not
        edge = saturate(np.array([-np.inf, 1.7e308, np.inf]), low, high)
        full = saturate(np.array([-np.inf, np.inf]), -top, top)  # no room at all
    assert np.all(np.isfinite(wide)) and np.all(np.diff(wide) >= 0)
    inside = np.abs(y) <= 1e308
    assert_allclose(wide[inside], y[inside], rtol=0, atol=0)
    assert wide[-1] > 1e308 and wide[0] == -wide[-1]  # beyond the range, still finite
    assert np.all(np.isfinite(edge)) and edge[0] < low and high < edge[1] <= edge[2]
    assert edge[2] <= high + ENVELOPE_WIDTH * (high - low)  # never beyond the envelope
    assert list(full) == [-top, top]


@pytest.mark.filterwarnings("error")  # beyond the floats: inf, with no numpy warning
@pytest.mark.parametrize("value, c", [
    (2.0, 3.0), (0.7, 1.3e-3), (0.7, 1e200), (1e-300, 1e160), (5.0, 1e-170),
    (1e300, 1e-160), (np.float64(0.5), np.float64(1e155)),
])
def test_times_square_is_value_times_c_squared_at_any_scale(value: float, c: float) -> None:
    """value·c² and value/c², within two roundings of the exact products (Fraction), where
    c² itself is no normal float too; inf or 0 only where the exact result is."""
    largest, smallest = Fraction(np.finfo(float).max), Fraction(np.finfo(float).tiny)
    for divide in (False, True):
        exact = Fraction(value) / Fraction(c) ** 2 if divide else Fraction(value) * Fraction(c) ** 2
        got = times_square(value, c, divide=divide)
        assert type(got) is float
        if exact > largest:
            assert got == float("inf")
        elif exact < smallest:
            assert 0.0 <= got < np.finfo(float).tiny
        else:
            assert abs(Fraction(got) - exact) <= 3 * np.finfo(float).eps * exact

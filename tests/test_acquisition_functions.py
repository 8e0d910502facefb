"""Tests for acquisition.functions: LogEI numerics, gradients, validation.

References used here are independent of the code under test:
- z in [-30, 30]: the textbook float64 formula log(phi(z) + z Phi(z));
- z <= -1: quadrature of the cancellation-free integrals
      h(z) / phi(z) = (1/z**2) int_0^inf s exp(-s - s**2/(2 z**2)) ds,
      m(z) = Phi(z) / phi(z) = (1/|z|) int_0^inf exp(-s - s**2/(2 z**2)) ds,
  (substitute u = s/|z| in h(z) = int_0^inf u phi(z - u) du), so that
  log h = log phi - 2 log|z| + log I1 and d log h / dz = m phi / h = |z| I0 / I1.
"""

from __future__ import annotations

import itertools
import math
import warnings
from decimal import Decimal, localcontext

import numpy as np
import pytest
from numpy.typing import ArrayLike
from scipy.integrate import quad
from scipy.special import ndtr

from acquisition.functions import (
    _Z_TAIL,
    AcquisitionFunction,
    ExpectedImprovement,
    LogAugmentedExpectedImprovement,
    LogExpectedImprovement,
    ProbabilityOfImprovement,
    UpperConfidenceBound,
    _d_log_h_middle,
    _d_log_h_tail,
    _log1mexp,
    _log_h_middle,
    _log_h_tail,
    d_log_h,
    gp_ucb_beta,
    log_h,
)

LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


def _float64_log_h(z: np.ndarray) -> np.ndarray:
    """Textbook log(phi(z) + z Phi(z)); usable where h does not underflow (z > -37)."""
    return np.log(np.exp(-0.5 * z**2) / math.sqrt(2.0 * math.pi) + z * ndtr(z))


def _quadrature_log_h_and_slope(z: float) -> tuple[float, float]:
    """(log h(z), d log h(z) / dz) for z <= -1 by quadrature (see module docstring)."""
    a = 1.0 / (2.0 * z * z)
    opts = {"epsabs": 0.0, "epsrel": 1.2e-14, "limit": 200}
    i0 = quad(lambda s: math.exp(-s - a * s * s), 0.0, math.inf, **opts)[0]
    i1 = quad(lambda s: s * math.exp(-s - a * s * s), 0.0, math.inf, **opts)[0]
    log_phi = -0.5 * z * z - LOG_SQRT_2PI
    return log_phi - 2.0 * math.log(-z) + math.log(i1), -z * i0 / i1


# ---------------------------------------------------------------- log_h, d_log_h


def test_log1mexp_matches_decimal_reference() -> None:
    x = -np.concatenate([np.logspace(-15.0, 2.5, 176), [math.log(2.0)]])
    with localcontext() as ctx:
        ctx.prec = 200  # 1 - exp(x) must keep ~16 digits for x down to -316
        reference = [float((1 - Decimal(float(v)).exp()).ln()) for v in x]
    np.testing.assert_allclose(_log1mexp(x), reference, rtol=1e-14)


def test_log_h_matches_float64_formula() -> None:
    z = np.concatenate([np.linspace(-30.0, 30.0, 601), [-1.0 - 1e-9, -1.0, -1.0 + 1e-9]])
    np.testing.assert_allclose(log_h(z), _float64_log_h(z), rtol=1e-10, atol=1e-12)


def test_d_log_h_matches_float64_formula() -> None:
    z = np.linspace(-30.0, 30.0, 601)
    reference = ndtr(z) / np.exp(_float64_log_h(z))  # Phi / h, since h' = Phi
    np.testing.assert_allclose(d_log_h(z), reference, rtol=1e-9)


def test_log_h_and_slope_match_quadrature_in_the_tail() -> None:
    z = -np.logspace(0.0, 8.0, 81)
    reference = np.array([_quadrature_log_h_and_slope(v) for v in z])
    np.testing.assert_allclose(log_h(z), reference[:, 0], rtol=1e-14)
    # The middle branch loses ~eps * z**2 of relative accuracy in the slope (~2e-8 at
    # the switch); the asymptotic slope |z| + 2/|z| is off by only ~6/z**4 there.
    np.testing.assert_allclose(d_log_h(z), reference[:, 1], rtol=1e-7)
    tail = z < _Z_TAIL
    assert tail.sum() >= 20
    np.testing.assert_allclose(d_log_h(z[tail]), reference[tail, 1], rtol=1e-13)


def test_log_h_correction_term_matches_quadrature() -> None:
    # log h - log phi = log(1 - |z| m(z)) ~ -2 log|z|: checked absolutely, where
    # the leading -z**2/2 would hide an error in it.
    z = -np.logspace(0.0, 2.5, 26)
    log_phi = -0.5 * z**2 - LOG_SQRT_2PI
    reference = np.array([_quadrature_log_h_and_slope(v)[0] for v in z]) - log_phi
    np.testing.assert_allclose(log_h(z) - log_phi, reference, rtol=0.0, atol=1e-10)


def test_log_h_stress_grid_finite_monotone_no_warnings() -> None:
    z = np.concatenate([-np.logspace(12.0, -8.0, 500), [0.0], np.logspace(-8.0, 6.0, 300)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values, slopes = log_h(z), d_log_h(z)
    assert np.all(np.isfinite(values))
    assert np.all(np.isfinite(slopes))
    assert np.all(np.diff(values) > 0.0), "log_h must be strictly increasing"
    assert np.all(slopes > 0.0)


def test_extreme_inputs_do_not_warn_or_give_nan() -> None:
    z = np.array([-1e300, -1e200, -1e150, 1e200, 1e308])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values, slopes = log_h(z), d_log_h(z)
    assert not np.any(np.isnan(values))
    assert values[0] == -np.inf  # -z**2/2 is below the float64 range
    assert np.all(np.isfinite(values[2:]))
    assert np.all(np.isfinite(slopes)) and np.all(slopes > 0.0)


def test_asymptotic_branch_matches_middle_branch_around_switch() -> None:
    z = _Z_TAIL * np.linspace(0.5, 2.0, 31)
    np.testing.assert_allclose(_log_h_tail(z), _log_h_middle(z), rtol=0.0, atol=1e-6)
    # Middle-branch rounding, ~eps * z**2 relative, is the whole difference here.
    np.testing.assert_allclose(_d_log_h_tail(z), _d_log_h_middle(z), rtol=3e-7)


@pytest.mark.parametrize("switch", [-1.0, _Z_TAIL])
def test_public_functions_continuous_across_branch_points(switch: float) -> None:
    above, below = np.nextafter(switch, 0.0), np.nextafter(switch, -np.inf)
    z = np.array([above, below])
    values, slopes = log_h(z), d_log_h(z)
    assert abs(values[0] - values[1]) < 1e-7
    assert abs(slopes[0] / slopes[1] - 1.0) < 1e-7


def test_log_h_accepts_scalars_and_propagates_nan() -> None:
    assert np.ndim(log_h(-3.0)) == 0
    assert log_h(-3.0) == pytest.approx(float(_float64_log_h(np.array(-3.0))), rel=1e-12)
    assert np.isnan(log_h(np.array([np.nan, 0.0]))[0])
    assert np.isnan(d_log_h(np.array([np.nan]))[0])


# ---------------------------------------------------------------- acquisition values


def test_log_ei_equals_log_of_ei() -> None:
    rng = np.random.default_rng(0)
    best_f = 0.3
    std = rng.uniform(0.01, 3.0, size=2000)
    mean = best_f - rng.uniform(-40.0, 8.0, size=2000) * std
    ei = ExpectedImprovement(best_f)(mean, std)
    representable = ei > 1e-300
    assert representable.sum() > 1500
    log_ei = LogExpectedImprovement(best_f)(mean, std)
    np.testing.assert_allclose(log_ei[representable], np.log(ei[representable]), rtol=1e-10)


def test_ei_log_value_matches_quadrature_far_into_the_tail() -> None:
    """EI underflows to 0 below z ≈ −38, and its log was −inf there; `log_value` computes
    log EI as LogEI does: log h(z) + log std against the quadrature reference, down to
    z = −1e6, where EI itself is 0."""
    best_f, std = 0.3, np.full(61, 0.7)
    z = -np.logspace(0.0, 6.0, 61)
    mean = best_f - z * std
    log_std = math.log(0.7)
    reference = np.array([_quadrature_log_h_and_slope(v)[0] for v in z]) + log_std
    ei = ExpectedImprovement(best_f)
    got = ei.log_value(mean, std)
    assert np.all(np.isfinite(got)) and np.all(ei(mean, std)[z < -40.0] == 0.0)
    np.testing.assert_allclose(got, reference, rtol=1e-14)
    # the correction log h − log φ ~ −2 log|z|, checked absolutely (−z²/2 would hide it)
    near = z > -10**2.5
    log_phi = -0.5 * z[near] ** 2 - LOG_SQRT_2PI
    np.testing.assert_allclose(got[near] - log_std - log_phi,
                               reference[near] - log_std - log_phi, rtol=0.0, atol=1e-10)
    representable = ei(mean, std) > 1e-300
    assert representable.sum() >= 15
    np.testing.assert_allclose(got[representable], np.log(ei(mean, std)[representable]),
                               rtol=1e-10)


class _FixedPosterior:
    """A surrogate whose posterior at row i of X is (mean[i], std[i])."""

    def __init__(self, mean: np.ndarray, std: np.ndarray) -> None:
        self.mean, self.std = mean, std

    def predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rows = X[:, 0].astype(int)
        return self.mean[rows], self.std[rows]


def test_ei_objective_log_values_add_the_penalty_in_log_space() -> None:
    """`AcquisitionObjective.log_values` for EI: log EI (LogEI's) + log m(x), finite where
    EI·m underflows; `values` is still EI·m."""
    from acquisition.optimizer import AcquisitionObjective

    best_f, z = 0.0, np.array([2.0, 0.0, -5.0, -45.0, -1e3, -1e5])
    std = np.array([1.0, 0.5, 2.0, 1.0, 0.1, 3.0])
    mean = best_f - z * std
    X = np.arange(len(z), dtype=float)[:, None]
    log_mask = np.array([0.0, -1.0, -700.0, -2.0, -30.0, 0.0])

    def penalty(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return log_mask[X[:, 0].astype(int)], np.zeros_like(X)

    ei = ExpectedImprovement(best_f)
    objective = AcquisitionObjective(ei, _FixedPosterior(mean, std), penalty)
    reference = np.array([_quadrature_log_h_and_slope(v)[0] if v <= -1.0
                          else _float64_log_h(np.array([v]))[0] for v in z])
    reference += np.log(std) + log_mask
    got = objective.log_values(X)
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, reference, rtol=1e-13)
    np.testing.assert_array_equal(objective.values(X), ei(mean, std) * np.exp(log_mask))
    with pytest.raises(TypeError, match="no logarithm"):
        AcquisitionObjective(UpperConfidenceBound(2.0), _FixedPosterior(mean, std)).log_values(X)


def test_known_values_at_z_zero() -> None:
    # z = 0, std = 2: EI = 2 phi(0), PI = 1/2.
    mean, std = np.array([1.5]), np.array([2.0])
    assert ExpectedImprovement(1.5)(mean, std)[0] == pytest.approx(2.0 / math.sqrt(2 * math.pi))
    assert LogExpectedImprovement(1.5)(mean, std)[0] == pytest.approx(
        math.log(2.0 / math.sqrt(2 * math.pi))
    )
    assert ProbabilityOfImprovement(1.5)(mean, std)[0] == pytest.approx(math.log(0.5))
    assert UpperConfidenceBound(4.0)(mean, std)[0] == pytest.approx(-1.5 + 2.0 * 2.0)


ACQUISITIONS = [
    LogExpectedImprovement(0.3),
    LogAugmentedExpectedImprovement(0.3, 0.2),
    ExpectedImprovement(0.3),
    ProbabilityOfImprovement(0.3),
    UpperConfidenceBound(2.5),
]


@pytest.mark.parametrize("acq", ACQUISITIONS, ids=lambda a: a.name)
def test_larger_is_better_for_lower_mean(acq: AcquisitionFunction) -> None:
    mean = np.linspace(0.0, 0.6, 13)  # around best_f = 0.3, minimization
    values = acq(mean, np.full_like(mean, 0.2))
    assert np.all(np.diff(values) < 0.0)


@pytest.mark.parametrize("acq", ACQUISITIONS, ids=lambda a: a.name)
def test_value_and_grad_value_equals_call(acq: AcquisitionFunction) -> None:
    mean, std = np.linspace(-2.0, 3.0, 50), np.linspace(0.05, 2.0, 50)
    np.testing.assert_allclose(acq.value_and_grad(mean, std)[0], acq(mean, std), rtol=1e-15)


@pytest.mark.parametrize("acq", ACQUISITIONS, ids=lambda a: a.name)
def test_nonpositive_std_is_clamped_not_nan(acq: AcquisitionFunction) -> None:
    mean, std = np.array([0.0, 0.5, 0.3]), np.array([0.0, -1.0, 0.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value, d_mean, d_std = acq.value_and_grad(mean, std)
    for array in (value, d_mean, d_std):
        assert not np.any(np.isnan(array))
    assert np.all(np.isfinite(d_mean)) and np.all(np.isfinite(d_std))


# ---------------------------------------------------------------- gradients


def _fd_points(z_min: float) -> tuple[np.ndarray, np.ndarray]:
    """(mean, std) with best_f = 0.3 and z = (best_f - mean)/std from z_min to +5."""
    z = np.linspace(z_min, 5.0, 91)
    std = np.geomspace(0.05, 3.0, z.size)
    return 0.3 - z * std, std


def _max_relative_error(
    analytic: np.ndarray, numeric: np.ndarray, noise: np.ndarray | float = 0.0
) -> float:
    """max over points of (|analytic - numeric| - noise)+ / |analytic|.

    ``noise`` bounds the rounding error of the finite difference itself, so only
    the part of the discrepancy it cannot explain counts against the gradient.
    """
    excess = np.maximum(np.abs(analytic - numeric) - noise, 0.0)
    return float(np.max(excess / np.maximum(np.abs(analytic), 1e-300)))


def _central_differences(
    acq: AcquisitionFunction, mean: np.ndarray, std: np.ndarray, step: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(d/dmean, d/dstd, rounding noise of either) by central differences."""
    f_mean = acq(mean + step, std), acq(mean - step, std)
    f_std = acq(mean, std + step), acq(mean, std - step)
    largest = np.max(np.abs(np.stack(f_mean + f_std)), axis=0)
    noise = 100.0 * np.finfo(np.float64).eps * largest / step
    return (f_mean[0] - f_mean[1]) / (2 * step), (f_std[0] - f_std[1]) / (2 * step), noise


# Textbook EI = std (phi + z Phi) cancels: its value carries a relative error that
# grows like eps * z**2 times the error of ndtr, so finite differences of it are
# noise below z ~ -15 (that is the failure LogEI fixes); the rest go to z = -40.
FD_CASES = [
    (LogExpectedImprovement(0.3), -40.0),
    (LogAugmentedExpectedImprovement(0.3, 0.2), -40.0),
    (ExpectedImprovement(0.3), -15.0),
    (ProbabilityOfImprovement(0.3), -40.0),
    (UpperConfidenceBound(2.5), -40.0),
]


@pytest.mark.parametrize(("acq", "z_min"), FD_CASES, ids=[acq.name for acq, _ in FD_CASES])
def test_gradient_matches_central_differences(acq: AcquisitionFunction, z_min: float) -> None:
    mean, std = _fd_points(z_min)
    z = (0.3 - mean) / std
    _, d_mean, d_std = acq.value_and_grad(mean, std)
    # The log-values move like z**2/2: shrink the step with |z| so that each step
    # moves them by ~1e-5 and the O(step**2) truncation error stays ~1e-10.
    step = 1e-5 * std / np.maximum(1.0, np.abs(z))
    fd_mean, fd_std, noise = _central_differences(acq, mean, std, step)
    assert _max_relative_error(d_mean, fd_mean, noise) < 1e-6
    assert _max_relative_error(d_std, fd_std, noise) < 1e-6


def test_log_ei_gradient_stays_informative_far_in_the_tail() -> None:
    # z = -1e3 and -1e5: EI and its gradient are exactly 0 here, LogEI's are not.
    acq = LogExpectedImprovement(0.0)
    mean, std = np.array([1e3, 1e5]), np.array([1.0, 1.0])
    _, d_mean, _ = acq.value_and_grad(mean, std)
    step = 1e-6 * mean
    fd = (acq(mean + step, std) - acq(mean - step, std)) / (2.0 * step)
    np.testing.assert_allclose(d_mean, fd, rtol=1e-5)
    assert np.all(d_mean < 0.0)
    assert np.all(ExpectedImprovement(0.0).value_and_grad(mean, std)[1] == 0.0)


def test_d_log_h_matches_central_differences_of_log_h() -> None:
    z = np.concatenate([-np.logspace(0.0, 4.5, 40), np.linspace(-1.0, 5.0, 25)])
    step = 1e-6 * np.maximum(np.abs(z), 1.0)
    fd = (log_h(z + step) - log_h(z - step)) / (2.0 * step)
    assert _max_relative_error(d_log_h(z), fd) < 1e-5


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("cls", "arg", "error", "match"),
    [
        (LogExpectedImprovement, float("nan"), ValueError, r"best_f must be finite.*nan"),
        (ExpectedImprovement, float("inf"), ValueError, r"best_f must be finite.*inf"),
        (ProbabilityOfImprovement, "0.1", TypeError, r"best_f must be a real number.*'0.1'"),
        (LogExpectedImprovement, None, TypeError, r"best_f must be a real number.*None"),
        (ExpectedImprovement, True, TypeError, r"best_f must be a real number.*True"),
        (UpperConfidenceBound, -0.5, ValueError, r"beta must be >= 0.*-0.5"),
        (UpperConfidenceBound, float("nan"), ValueError, r"beta must be finite.*nan"),
        (UpperConfidenceBound, float("inf"), ValueError, r"beta must be finite.*inf"),
        (UpperConfidenceBound, "2", TypeError, r"beta must be a real number.*'2'"),
    ],
)
def test_constructor_rejects_bad_argument(
    cls: type, arg: object, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        cls(arg)


def test_constructors_accept_numpy_scalars_and_zero_beta() -> None:
    assert LogExpectedImprovement(np.float32(0.5)).best_f == 0.5  # type: ignore[arg-type]
    acq = UpperConfidenceBound(np.int64(0))  # type: ignore[arg-type]
    assert acq.beta == 0.0
    np.testing.assert_array_equal(acq([1.0, -2.0], [5.0, 5.0]), [-1.0, 2.0])


@pytest.mark.parametrize(
    ("mean", "std"),
    [
        (np.zeros(3), np.ones(4)),
        (np.zeros((2, 2)), np.ones((2, 2))),
        (np.zeros(3), 1.0),
    ],
)
@pytest.mark.parametrize("acq", ACQUISITIONS, ids=lambda a: a.name)
def test_mismatched_shapes_raise(acq: AcquisitionFunction, mean: ArrayLike, std: ArrayLike) -> None:
    with pytest.raises(ValueError, match=r"mean and std must be 1-D.*mean.shape="):
        acq.value_and_grad(mean, std)
    with pytest.raises(ValueError, match=r"mean and std must be 1-D.*std.shape="):
        acq(mean, std)


def test_array_likes_are_accepted() -> None:
    value, d_mean, d_std = LogExpectedImprovement(0.0).value_and_grad([0.0, 1.0], (1.0, 2.0))
    assert value.shape == d_mean.shape == d_std.shape == (2,)
    assert value.dtype == np.float64
    assert LogExpectedImprovement(0.0)(0.0, 1.0).shape == (1,)


def test_gp_ucb_beta_formula_and_growth() -> None:
    # Srinivas et al. (2010), Theorem 1 with |D| -> dim: 2 log(dim t^2 pi^2 / (6 delta)).
    assert gp_ucb_beta(1, 1, 0.1) == pytest.approx(2.0 * math.log(math.pi**2 / 0.6), rel=1e-14)
    assert gp_ucb_beta(7, 3, 0.05) == pytest.approx(
        2.0 * math.log(3 * 49 * math.pi**2 / 0.3), rel=1e-14
    )
    betas = [gp_ucb_beta(t, 5) for t in range(1, 200)]
    assert all(b2 > b1 for b1, b2 in itertools.pairwise(betas))
    assert gp_ucb_beta(10, 8) > gp_ucb_beta(10, 2)
    assert gp_ucb_beta(10, 2, delta=0.01) > gp_ucb_beta(10, 2, delta=0.5)
    assert math.isfinite(gp_ucb_beta(10**300, 1))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"t": 0, "dim": 2}, ValueError, r"t must be >= 1, got t=0"),
        ({"t": -3, "dim": 2}, ValueError, r"t must be >= 1, got t=-3"),
        ({"t": 1, "dim": 0}, ValueError, r"dim must be >= 1, got dim=0"),
        ({"t": 1, "dim": 2, "delta": 0.0}, ValueError, r"delta must be in \(0, 1\).*0.0"),
        ({"t": 1, "dim": 2, "delta": 1.0}, ValueError, r"delta must be in \(0, 1\).*1.0"),
        ({"t": 1, "dim": 2, "delta": -0.1}, ValueError, r"delta must be in \(0, 1\).*-0.1"),
        ({"t": 1, "dim": 2, "delta": float("nan")}, ValueError, r"delta must be finite"),
        ({"t": 1.5, "dim": 2}, TypeError, r"t must be an integer.*1.5"),
        ({"t": 1, "dim": "2"}, TypeError, r"dim must be an integer.*'2'"),
    ],
)
def test_gp_ucb_beta_rejects_bad_argument(
    kwargs: dict[str, object], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        gp_ucb_beta(**kwargs)  # type: ignore[arg-type]


def test_fused_log_h_and_slope_equal_the_branchwise_definitions_bit_for_bit() -> None:
    """LogEI's one-pass helper gives exactly log_h, d_log_h and log phi (where z > -1)."""
    from acquisition.functions import _log_h_and_slope, _log_phi

    z = np.concatenate([
        -np.logspace(-3, 160, 400), np.logspace(-3, 160, 400), np.linspace(-40, 40, 801),
        [0.0, -1.0, _Z_TAIL, np.nextafter(_Z_TAIL, 0), np.nan, -np.inf, np.inf],
    ])
    with np.errstate(all="ignore"):
        value, slope, log_pdf = _log_h_and_slope(z)
        upper = z > -1.0
        np.testing.assert_array_equal(value, log_h(z))
        np.testing.assert_array_equal(slope, d_log_h(z))
        np.testing.assert_array_equal(log_pdf[upper], _log_phi(z[upper]))
    assert np.isnan(log_pdf[~upper]).all()


# ---------------------------------------------------------------- compiled LogEI
# acquisition.logei_loops does LogEI's arithmetic in Numba loops on every branch; numpy and
# scipy still do every exp, expm1, log, log1p, ndtr and erfcx. The result must be the numpy
# code's bit for bit (NaN payloads and signs included: compared as integers).

_Z_EDGES = np.array([
    -1.0, np.nextafter(-1.0, 0.0), np.nextafter(-1.0, -2.0), _Z_TAIL, np.nextafter(_Z_TAIL, 0.0),
    np.nextafter(_Z_TAIL, -np.inf), 0.0, -0.0, 5e-324, -5e-324, 1e154, 1.4e154, -1.4e154,
    1e300, -1e300, np.nan, np.inf, -np.inf, -30.0, -1e4, -3.0e4,
])


def _bits(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.float64).view(np.uint64)


def _logei_batches(seed: int, count: int):
    """(best_f, mean (m,), std (m,)) batches whose z mix every branch and their edges."""
    rng = np.random.default_rng(seed)
    for i in range(count):
        m = int(rng.integers(1, 20))
        kind = i % 4
        if kind == 0:  # like the polish's: mostly the upper branch
            z = rng.normal(size=m) * rng.choice([1e-3, 0.1, 1.0, 10.0])
        elif kind == 1:  # the middle and the tail
            z = -np.exp(rng.uniform(-3.0, 12.0, m))
        elif kind == 2:
            z = rng.choice(_Z_EDGES, m)
        else:
            z = np.where(rng.random(m) < 0.3, rng.choice(_Z_EDGES, m), rng.normal(-2.0, 5.0, m))
        std = np.exp(rng.normal(size=m) * 3.0)
        best_f = float(rng.normal())
        with np.errstate(all="ignore"):
            yield best_f, best_f - z * std, std


def test_compiled_logei_is_the_numpy_code_bit_for_bit() -> None:
    from acquisition.functions import as_mean_std

    seen = {"upper": 0, "middle": 0, "tail": 0, "nan": 0}
    for best_f, mean, std in _logei_batches(0, 4000):
        acq = LogExpectedImprovement(best_f)
        mean, std = as_mean_std(mean, std)
        z = (best_f - mean) / std
        for key, rows in [("upper", z > -1.0), ("middle", (z <= -1.0) & (z >= _Z_TAIL)),
                          ("tail", z < _Z_TAIL), ("nan", np.isnan(z))]:
            seen[key] += int(rows.sum())
        expected = (*acq.numpy_value_and_grad(mean, std), acq.numpy_value(mean, std))
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # the compiled code warns of nothing
            got = (*acq.value_and_grad(mean, std), acq(mean, std))
        for a, b in zip(got, expected, strict=True):
            assert a.shape == b.shape and np.array_equal(_bits(a), _bits(b)), (best_f, mean, std)
    assert min(seen.values()) > 300, seen  # every branch ran


@pytest.mark.parametrize("z", list(_Z_EDGES))
def test_compiled_logei_at_the_edges(z: float) -> None:
    """Each edge alone, and between rows of the other branches (gathers keep row order). The
    numpy code's z·slope warns where it overflows (z < -1.34e154) and at z = inf (inf·0);
    the loops' does not (the same -inf and NaN, ignored where the value is φ/h)."""
    acq = LogExpectedImprovement(0.0)
    for zs in ([z], [0.3, z, -2.0, -2e4, z, np.nan, 1.0]):
        mean, std = -np.array(zs) * 0.5, np.full(len(zs), 0.5)
        with np.errstate(over="ignore", invalid="ignore"):
            expected = (*acq.numpy_value_and_grad(mean, std), acq.numpy_value(mean, std))
        got = (*acq.value_and_grad(mean, std), acq(mean, std))
        for a, b in zip(got, expected, strict=True):
            assert np.array_equal(_bits(a), _bits(b))


def test_compiled_logei_of_no_rows() -> None:
    acq = LogExpectedImprovement(0.0)
    for a in (*acq.value_and_grad(np.empty(0), np.empty(0)), acq(np.empty(0), np.empty(0))):
        assert a.shape == (0,) and a.dtype == np.float64


def test_log1mexp_takes_expm1_on_every_middle_row() -> None:
    """The compiled code takes log1mexp(w) = log(-expm1(w)) on the middle branch without
    checking w > -log 2 (acquisition.logei_loops): w is smallest, -0.42, at z = -1."""
    from acquisition.functions import _log_abs_z_mills

    z = -np.concatenate([np.linspace(1.0, 40.0, 100_001), np.geomspace(40.0, -_Z_TAIL, 100_001)])
    w = _log_abs_z_mills(z)
    assert w.min() == w[0] and -0.43 < w[0] < -0.42  # > -log 2 = -0.69


@pytest.mark.parametrize("ufunc", [np.log, np.exp, np.expm1], ids=lambda f: f.__name__)
def test_the_merged_ufuncs_are_elementwise(ufunc: np.ufunc) -> None:
    """acquisition.logei_loops calls log once on what the numpy code takes five logs of, and
    exp once for two of its exps (expm1: checked as well, numpy's SIMD takes it too): that a value's result does not depend on its array's
    length or its place in it (numpy's SIMD loops work in blocks) is what makes it the same."""
    rng = np.random.default_rng(3)
    x = np.concatenate([np.exp(rng.uniform(-745.0, 709.0, 3000)), rng.uniform(0.0, 3.0, 1000),
                        [0.0, 5e-324, 1e-310, 1.0, np.nextafter(1.0, 0.0), np.inf, np.nan]])
    if ufunc is np.exp or ufunc is np.expm1:
        x = np.concatenate([np.log(x[x > 0]), -x[:1000] * 1e-3, x[:1000] * 1e-3])
    rng.shuffle(x)
    with np.errstate(all="ignore"):
        whole = _bits(ufunc(x))
        for n in range(1, 34):
            for start in range(0, 3 * n + 40, 5):
                assert np.array_equal(_bits(ufunc(x[start : start + n])), whole[start : start + n])
        singles = np.array([ufunc(x[i : i + 1])[0] for i in range(0, x.size, 3)])
    assert np.array_equal(_bits(singles), whole[::3])


def test_compiled_chain_rule_is_the_numpy_expression_bit_for_bit() -> None:
    """acquisition.optimizer._chain_rule: ∂a/∂x = ∂a/∂μ·∂μ/∂x + ∂a/∂σ·∂σ/∂x as numpy's
    da_dmean[:, None] * d_mean + da_dstd[:, None] * d_std (no fused multiply-add)."""
    from acquisition.optimizer import _chain_rule as chain_rule

    rng = np.random.default_rng(9)
    for m, d in [(1, 1), (8, 6), (5, 13)]:
        for _ in range(50):
            scales = np.exp(rng.normal(size=4) * 10)
            a, b = rng.normal(size=m) * scales[0], rng.normal(size=m) * scales[1]
            dm, ds = rng.normal(size=(m, d)) * scales[2], rng.normal(size=(m, d)) * scales[3]
            expected = a[:, None] * dm + b[:, None] * ds
            assert np.array_equal(chain_rule(a, dm, b, ds), expected)
            assert np.array_equal(chain_rule(a, dm[:, ::-1], b, ds[:, ::-1]),
                                  a[:, None] * dm[:, ::-1] + b[:, None] * ds[:, ::-1])


def test_compiled_logei_refuses_mismatched_inputs() -> None:
    from acquisition.functions import _LOG_EI_CONSTANTS
    from acquisition.logei_loops import log_ei, log_ei_and_grad

    for fn in (log_ei, log_ei_and_grad):
        with pytest.raises(ValueError, match=r"one shape \(m,\), got float64 \(3,\) and float64 \(2,\)"):
            fn(0.0, np.zeros(3), np.ones(2), _LOG_EI_CONSTANTS)
        with pytest.raises(ValueError, match=r"c must be `constants\(...\)`, shape \(6,\), got shape \(5,\)"):
            fn(0.0, np.zeros(3), np.ones(3), _LOG_EI_CONSTANTS[:5])


# ---------------------------------------------------------------- augmented EI


def _decimal_log_factor(std: float, noise_std: float) -> float:
    """log(1 − σ_n / √(std² + σ_n²)) in 60-digit decimal arithmetic (the textbook form)."""
    with localcontext() as context:
        context.prec = 60
        s, n = Decimal(std), Decimal(noise_std)
        return float((1 - n / (s * s + n * n).sqrt()).ln())


def test_log_aei_is_log_ei_plus_the_textbook_factor_far_below_the_noise() -> None:
    # the factor's textbook form cancels as std / σ_n → 0 (1 − 1 + std²/2σ_n²); the
    # function's form does not, down to std = 1e-10 σ_n (above the std floor 1e-12)
    noise_std = 0.2
    std = noise_std * np.geomspace(1e-10, 1e3, 60)
    mean = np.linspace(-1.0, 2.0, std.size)
    expected = LogExpectedImprovement(0.3)(mean, std) + np.array(
        [_decimal_log_factor(s, noise_std) for s in std])
    np.testing.assert_allclose(LogAugmentedExpectedImprovement(0.3, noise_std)(mean, std),
                               expected, rtol=1e-13)


def test_log_aei_equals_the_log_of_ei_times_the_factor_where_both_are_representable() -> None:
    mean, std, noise_std = np.linspace(-2.0, 3.0, 41), np.linspace(0.05, 2.0, 41), 0.3
    plain = np.log(ExpectedImprovement(0.3)(mean, std)
                   * (1.0 - noise_std / np.sqrt(std**2 + noise_std**2)))
    np.testing.assert_allclose(LogAugmentedExpectedImprovement(0.3, noise_std)(mean, std),
                               plain, rtol=1e-11)


def test_log_aei_without_noise_is_log_ei() -> None:
    mean, std = np.linspace(-2.0, 3.0, 41), np.geomspace(1e-9, 10.0, 41)
    augmented = LogAugmentedExpectedImprovement(0.3, 0.0).value_and_grad(mean, std)
    plain = LogExpectedImprovement(0.3).value_and_grad(mean, std)
    for got, expected in zip(augmented, plain):
        np.testing.assert_array_equal(got, expected)


def test_log_aei_discounts_points_whose_spread_is_noise() -> None:
    # same mean: the point the model knows to within the noise loses more than the other
    acq, plain = LogAugmentedExpectedImprovement(0.0, 0.3), LogExpectedImprovement(0.0)
    mean, std = np.array([0.1, 0.1]), np.array([0.05, 1.0])
    loss = plain(mean, std) - acq(mean, std)  # log(1 − 0.3/0.304) and log(1 − 0.3/1.044)
    np.testing.assert_allclose(loss, [4.2972, 0.33876], rtol=1e-4)
    grid = np.geomspace(1e-6, 10.0, 200)  # still larger with more spread (screening needs it)
    assert np.all(np.diff(acq(np.full_like(grid, 0.1), grid)) > 0.0)


def test_log_aei_compiled_and_numpy_twins_agree() -> None:
    acq = LogAugmentedExpectedImprovement(0.3, 0.25)
    z = np.concatenate([-np.logspace(0.0, 4.5, 30), np.linspace(-1.0, 5.0, 20)])
    std = np.geomspace(1e-6, 3.0, z.size)
    mean = 0.3 - z * std
    for compiled, twin in zip(acq.value_and_grad(mean, std), acq.numpy_value_and_grad(mean, std)):
        np.testing.assert_allclose(compiled, twin, rtol=1e-12)
    np.testing.assert_allclose(acq(mean, std), acq.numpy_value(mean, std), rtol=1e-12)


@pytest.mark.parametrize(("noise_std", "error", "match"), [
    (-0.1, ValueError, r"noise_std=-0.1 must be >= 0"),
    (float("nan"), ValueError, r"noise_std must be finite.*nan"),
    (float("inf"), ValueError, r"noise_std must be finite.*inf"),
    ("0.1", TypeError, r"noise_std must be a real number.*'0.1'"),
])
def test_log_aei_rejects_a_bad_noise_std(noise_std: object, error: type[Exception],
                                         match: str) -> None:
    with pytest.raises(error, match=match):
        LogAugmentedExpectedImprovement(0.3, noise_std)  # type: ignore[arg-type]

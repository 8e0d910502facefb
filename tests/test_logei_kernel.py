"""Tests for acquisition.special.erfcx and the fused LogEI loop acquisition.logei_kernel.

References: mpmath at 40–60 digits (erfcx, log h, d log h / dz), scipy.special.erfcx,
the plain-numpy twin in acquisition.functions (`logei_value_and_grad_numpy`,
`logei_value_numpy`) and central differences. The twins differ by rounding only
(the C library's erfc and exp against scipy's and numpy's): a few ulp, times the
conditioning of the middle branch of Eq. (9), whose slope's relative error grows
as eps·z² in both (acquisition.functions, `d_log_h`).

The whole file must also pass with NUMBA_DISABLE_JIT=1, so the grids are a few
thousand points.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import mpmath
import numpy as np
import pytest
from scipy.special import erfcx as scipy_erfcx

from acquisition.functions import (
    AcquisitionFunction,
    ExpectedImprovement,
    LogExpectedImprovement,
    ProbabilityOfImprovement,
    UpperConfidenceBound,
    _as_mean_std,
    logei_value_and_grad_numpy,
    logei_value_numpy,
)
from acquisition.logei_kernel import Z_TAIL, Z_UPPER, logei_value, logei_value_and_grad
from acquisition.special import erfcx

EPS = float(np.finfo(np.float64).eps)


def _erfcx_all(x: np.ndarray) -> np.ndarray:
    return np.array([erfcx(float(v)) for v in x])


def _mp_erfcx(x: float) -> float:
    with mpmath.workdps(40):
        v = mpmath.mpf(x)
        return float(mpmath.exp(v * v) * mpmath.erfc(v))


# ---------------------------------------------------------------- erfcx

ERFCX_GRID = np.unique(np.concatenate([
    np.linspace(-26.62, 40.0, 1500), -np.geomspace(1e-300, 26.62, 300),
    np.geomspace(1e-300, 1e5, 600),
    [0.0, 0.5, np.nextafter(26.0, 0.0), 26.0, np.nextafter(26.0, 30.0)],
]))


def test_erfcx_matches_mpmath_to_a_few_ulp_over_the_whole_range() -> None:
    ours = _erfcx_all(ERFCX_GRID)
    reference = np.array([_mp_erfcx(x) for x in ERFCX_GRID])
    np.testing.assert_allclose(ours, reference, rtol=1e-15, atol=0.0)


def test_erfcx_matches_scipy() -> None:
    """To 1e-15 for x ≥ 0; below 0 scipy's exp(x²) carries its rounding, eps·x² relative
    (up to ~255 ulp at x = −26.6, where ours is within 3 ulp of mpmath)."""
    x = np.concatenate([np.linspace(0.0, 60.0, 3001), np.geomspace(1e-300, 1e307, 600)])
    np.testing.assert_allclose(_erfcx_all(x), scipy_erfcx(x), rtol=1e-15, atol=0.0)
    x = -np.linspace(0.0, 26.6, 1500)
    tolerance = 1e-15 * np.maximum(1.0, x * x)
    ours, theirs = _erfcx_all(x), scipy_erfcx(x)
    assert np.all(np.abs(ours - theirs) <= tolerance * theirs)


@pytest.mark.parametrize(("x", "expected"), [
    (0.0, 1.0), (math.inf, 0.0), (-math.inf, math.inf), (-26.64, math.inf), (-27.0, math.inf),
    (-1e300, math.inf), (1e308, 1.0 / (1e308 * math.sqrt(math.pi))),
])
def test_erfcx_limits(x: float, expected: float) -> None:
    assert erfcx(x) == pytest.approx(expected, rel=1e-15, abs=0.0)


def test_erfcx_of_nan_is_nan() -> None:
    assert math.isnan(erfcx(math.nan))


# ---------------------------------------------------------------- fused LogEI vs numpy twin
# The grid reaches |z| ~ 1e300, where ∂/∂std's 1 − z·slope overflows to ±inf, in the numpy
# twin and in the loop; compiled, the loop rounds to inf silently, but with
# NUMBA_DISABLE_JIT=1 it multiplies numpy scalars, which warn as the twin's arrays do.

def _z_grid() -> np.ndarray:
    boundaries = [Z_UPPER, Z_TAIL, 0.0]
    near = [np.nextafter(b, s) for b in boundaries for s in (-np.inf, np.inf)]
    return np.unique(np.concatenate([
        -np.geomspace(1e-10, 1e4, 1500), np.geomspace(1e-10, 1e4, 800),
        np.linspace(-40.0, 40.0, 801), Z_TAIL * np.linspace(0.9, 1.1, 41),
        -np.geomspace(1e4, 1e150, 200), np.geomspace(1e4, 1e300, 100),
        [-1e300, -1e200, 1e308], boundaries, near,
    ]))


def _batch(z: np.ndarray, best_f: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    """(mean, std) with the given z = (best_f − mean) / std exactly, std across decades."""
    std = np.exp2(np.random.default_rng(0).integers(-20, 8, z.size).astype(float))
    return best_f - z * std, std  # a power of two: (best_f − mean) / std rounds back to z


@pytest.mark.parametrize("best_f", [0.3, -2.5])
def test_fused_value_and_gradient_match_the_numpy_twin(best_f: float) -> None:
    z = _z_grid()
    mean, std = _batch(z, best_f)
    z = (best_f - mean) / std
    with np.errstate(over="ignore"):  # 1 − z·slope overflows for |z| ~ 1e300 (note above)
        fused = logei_value_and_grad(mean, std, best_f)
        twin = logei_value_and_grad_numpy(mean, std, best_f)
    # the value is a log: an absolute error of 1e-14 is a relative one in EI
    np.testing.assert_allclose(fused[0], twin[0], rtol=1e-14, atol=1e-14)
    # the slope's relative error grows as eps·z² in the middle branch (both twins)
    tolerance = 1e-14 * np.maximum(1.0, np.minimum(np.abs(z), -Z_TAIL) ** 2)
    for ours, theirs in zip(fused[1:], twin[1:]):
        finite = np.isfinite(theirs)
        np.testing.assert_array_equal(ours[~finite], theirs[~finite])
        ours, theirs = ours[finite], theirs[finite]
        assert np.all(np.abs(ours - theirs) <= tolerance[finite] * np.abs(theirs))


def test_fused_value_only_equals_the_value_of_the_gradient_pass_and_the_twin() -> None:
    z = _z_grid()
    mean, std = _batch(z)
    value = logei_value(mean, std, 0.3)
    with np.errstate(over="ignore"):  # see the note above
        np.testing.assert_array_equal(value, logei_value_and_grad(mean, std, 0.3)[0])
    np.testing.assert_allclose(value, logei_value_numpy(mean, std, 0.3), rtol=1e-14, atol=1e-14)


def test_fused_nan_and_infinite_inputs_as_the_twin() -> None:
    mean = np.array([np.nan, 0.0, -np.inf, np.inf, 0.0, 1.0])
    std = np.array([1.0, np.nan, 1.0, 1.0, np.inf, 1e-12])
    mean, std = _as_mean_std(mean, std)
    with np.errstate(all="ignore"):
        twin = logei_value_and_grad_numpy(mean, std, 0.5)
    for ours, theirs in zip(logei_value_and_grad(mean, std, 0.5), twin):
        np.testing.assert_array_equal(ours, theirs)


def test_fused_slope_matches_mpmath_in_the_middle_branch() -> None:
    """Against a 60-digit reference, the fused slope is as accurate as the twin: ~eps·z²."""
    z = -np.geomspace(1.0, -Z_TAIL, 80)
    std = np.ones_like(z)
    fused = -logei_value_and_grad(-z, std, 0.0)[1]  # d LogEI / d mean = −slope / std
    twin = -logei_value_and_grad_numpy(-z, std, 0.0)[1]
    with mpmath.workdps(60):
        def slope(v: float) -> float:
            x = mpmath.mpf(v)
            return float(mpmath.ncdf(x) / (mpmath.npdf(x) + x * mpmath.ncdf(x)))
        reference = np.array([slope(v) for v in z])
    fused_error = np.abs(fused - reference) / reference
    twin_error = np.abs(twin - reference) / reference
    assert np.all(fused_error <= 4.0 * EPS * np.maximum(1.0, z * z))
    assert np.max(fused_error / (EPS * z * z)) <= 1.5 * np.max(twin_error / (EPS * z * z))


@pytest.mark.parametrize("z", [3.0, 0.5, 0.0, -0.5, -1.0 + 1e-6, -1.0 - 1e-6, -2.0, -7.0,
                               -40.0, -300.0, -5e3, 2.0 * Z_TAIL])
def test_fused_gradient_matches_central_differences(z: float) -> None:
    std, best_f = 0.7, 0.2
    mean = best_f - z * std
    value0, d_mean, d_std = logei_value_and_grad(np.array([mean]), np.array([std]), best_f)
    step = 1e-4 * std  # truncation ~ step²·|d³ log_h / dz³| / 6, below 1e-9 relative here

    def central(f: Callable[[float], float], x: float) -> float:
        up, down = x + step, x - step  # the difference of the arguments as rounded
        return (f(up) - f(down)) / (up - down)

    def value(m: float, s: float) -> float:
        return float(logei_value(np.array([m]), np.array([s]), best_f)[0])

    fd_mean = central(lambda m: value(m, std), mean)
    fd_std = central(lambda s: value(mean, s), std)
    # the values' rounding, a few eps·|LogEI|, over the step
    noise = 4.0 * EPS * (1.0 + abs(float(value0[0]))) / step
    assert abs(d_mean[0] - fd_mean) <= 1e-7 * abs(fd_mean) + noise
    assert abs(d_std[0] - fd_std) <= 1e-7 * abs(fd_std) + noise


def test_log_expected_improvement_runs_the_fused_loop() -> None:
    z = _z_grid()
    mean, std = _batch(z)
    acquisition = LogExpectedImprovement(0.3)
    with np.errstate(over="ignore"):  # see the note above
        pairs = zip(acquisition.value_and_grad(mean, std), logei_value_and_grad(mean, std, 0.3))
    for ours, fused in pairs:
        np.testing.assert_array_equal(ours, fused)
    np.testing.assert_array_equal(acquisition(mean, std), logei_value(mean, std, 0.3))


# ---------------------------------------------------------------- the gradient in x

ACQUISITIONS = [LogExpectedImprovement(0.3), ExpectedImprovement(0.3), UpperConfidenceBound(2.0),
                ProbabilityOfImprovement(0.3)]


@pytest.mark.parametrize("acquisition", ACQUISITIONS, ids=lambda a: a.name)
def test_x_gradient_is_the_chain_rule_bit_for_bit(acquisition: AcquisitionFunction) -> None:
    """∂a/∂mean · ∂mean/∂x + ∂a/∂std · ∂std/∂x, each product rounded, then the sum —
    in LogEI's fused loop as in numpy (no fused multiply-add)."""
    rng = np.random.default_rng(3)
    z = _z_grid()[::7]
    mean, std = _batch(z)
    mean_grad, std_grad = rng.normal(size=(2, z.size, 5)) * np.exp(rng.normal(size=(2, 1, 5)))
    with np.errstate(over="ignore", invalid="ignore"):  # |z| ~ 1e300 (note above)
        value, grad = acquisition.value_and_x_gradient(mean, std, mean_grad, std_grad)
        expected, da_dmean, da_dstd = acquisition.value_and_grad(mean, std)
        expected_grad = da_dmean[:, None] * mean_grad + da_dstd[:, None] * std_grad
    np.testing.assert_array_equal(value, expected)
    np.testing.assert_array_equal(grad, expected_grad)


def test_x_gradient_accepts_strided_gradients() -> None:
    mean, std = np.array([0.1, -0.4]), np.array([0.5, 2.0])
    wide = np.arange(16.0).reshape(2, 8) / 10.0
    _, grad = LogExpectedImprovement(0.0).value_and_x_gradient(mean, std, wide[:, ::2],
                                                               wide[:, 1::2])
    _, expected = LogExpectedImprovement(0.0).value_and_x_gradient(
        mean, std, wide[:, ::2].copy(), wide[:, 1::2].copy())
    np.testing.assert_array_equal(grad, expected)


@pytest.mark.parametrize("acquisition", ACQUISITIONS, ids=lambda a: a.name)
@pytest.mark.parametrize(("mean_grad", "std_grad"), [
    (np.zeros((2, 3)), np.zeros((2, 4))), (np.zeros((3, 3)), np.zeros((3, 3))),
    (np.zeros(2), np.zeros(2)), (np.zeros((2, 3, 1)), np.zeros((2, 3, 1))),
])
def test_x_gradient_rejects_mismatched_shapes(
    acquisition: AcquisitionFunction, mean_grad: np.ndarray, std_grad: np.ndarray
) -> None:
    with pytest.raises(ValueError, match=r"mean_grad and std_grad must be 2-D .*\(2, d\).*"
                                         r"mean_grad.shape=.*std_grad.shape="):
        acquisition.value_and_x_gradient([0.1, 0.2], [1.0, 1.0], mean_grad, std_grad)

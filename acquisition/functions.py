"""Analytic acquisition functions: value and gradient with respect to (mean, std).

Notation (we MINIMIZE the objective; the surrogate works on standardized outputs):

    mean: (m,)  posterior mean of the latent function at m points
    std:  (m,)  posterior standard deviation at the same points, > 0
                (clamped here to ``_STD_FLOOR`` so nothing returns NaN)
    best_f      incumbent, the best (lowest) standardized value observed
    z:    (m,)  standardized improvement, z = (best_f - mean) / std
    phi, Phi    standard normal density and distribution function
    h(z)        phi(z) + z * Phi(z), so that EI = std * h(z) (Jones et al., 1998)
    m(z)        Mills ratio Phi(z) / phi(z) = sqrt(pi/2) * erfcx(-z / sqrt(2))

Every acquisition returns a value where LARGER IS BETTER, and its partial
derivatives with respect to ``mean`` and ``std``; the acquisition optimizer
chains them with the surrogate's d mean / dx and d std / dx.

LogEI follows Ament et al. (2023), "Unexpected Improvements to Expected
Improvement for Bayesian Optimization", arXiv:2310.20708, Sec. 4.1:
LogEI = log_h(z) + log(std), with log_h the three-branch Eq. (9). Every branch
is evaluated only on its own mask (as BoTorch's ``_log_ei_helper`` does), so a
branch not taken never produces NaN, inf or a floating-point warning.
"""

from __future__ import annotations

import abc
import math
import numbers
from collections.abc import Callable
from typing import ClassVar, cast

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import erfcx, log_ndtr, ndtr

from acquisition import logei_loops
from acquisition.checks import shown

__all__ = [
    "AcquisitionFunction",
    "ExpectedImprovement",
    "Feasibility",
    "LogAugmentedExpectedImprovement",
    "LogExpectedImprovement",
    "ProbabilityOfImprovement",
    "UpperConfidenceBound",
    "as_mean_std",
    "d_log_h",
    "gp_ucb_beta",
    "log_h",
]

_STD_FLOOR = 1e-12
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)  # c1 in Eq. (9)
_LOG_SQRT_PI_DIV_2 = 0.5 * math.log(math.pi / 2.0)  # c2 in Eq. (9)
_SQRT_2_DIV_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_LOG_2 = math.log(2.0)
# Beyond this |z|, z**2 overflows float64 and log phi(z) is -inf.
_SQRT_FLOAT_MAX = math.sqrt(np.finfo(np.float64).max)

# Branch points of log_h (Eq. 9). Above _Z_UPPER the direct formula is exact enough.
_Z_UPPER = -1.0
# Below _Z_TAIL the asymptotic branch is used. Eq. (9) switches at -1/sqrt(eps)
# (~ -6.7e7), but there |z| m(z) = 1 - 1/z**2 rounds to 1 in float64, so the middle
# branch has already lost every digit of log(1 - |z| m(z)) (and gives NaN a little
# further out). The middle branch's rounding error grows like eps * z**2; the
# asymptotic branch's truncation error is 3 / z**2; they balance at
# |z| = (3 / eps)**(1/4) ~ 1.08e4, where both are ~3e-8.
_Z_TAIL = -((3.0 / np.finfo(np.float64).eps) ** 0.25)
# what acquisition.logei_loops computes LogEI with
_LOG_EI_CONSTANTS = logei_loops.constants(
    z_upper=_Z_UPPER, z_tail=_Z_TAIL, abs_max=_SQRT_FLOAT_MAX, log_sqrt_2pi=_LOG_SQRT_2PI,
    inv_sqrt_2=_INV_SQRT_2, log_sqrt_pi_div_2=_LOG_SQRT_PI_DIV_2)


# ---------------------------------------------------------------- scalar helpers


def _log_phi(z: np.ndarray) -> np.ndarray:
    """log phi(z) = -z**2/2 - log(2 pi)/2, and -inf (without overflow) where z**2 overflows."""
    ok = np.abs(z) < _SQRT_FLOAT_MAX
    if ok.all():  # the usual case: the same expression without the masks
        return cast(np.ndarray, -0.5 * np.square(z) - _LOG_SQRT_2PI)
    out = np.full_like(z, -np.inf)
    out[ok] = -0.5 * np.square(z[ok]) - _LOG_SQRT_2PI
    return out


def inverse_mills_ratio(z: np.ndarray) -> np.ndarray:
    """phi(z) / Phi(z) = sqrt(2/pi) / erfcx(-z/sqrt(2)), to full relative precision for all z.

    Phi(z) = erfc(-z/sqrt 2) / 2 = erfcx(-z/sqrt 2) exp(-z**2/2) / 2, so the Gaussian
    factors cancel analytically. Tends to |z| as z -> -inf and to 0 as z -> +inf.
    """
    return cast(np.ndarray, _SQRT_2_DIV_PI / erfcx(-z * _INV_SQRT_2))


def _h(z: np.ndarray, pdf: np.ndarray, cdf: np.ndarray) -> np.ndarray:
    """h(z) = phi(z) + z Phi(z), clamped at 0 against cancellation in the far tail."""
    return cast(np.ndarray, np.maximum(pdf + z * cdf, 0.0))


def _log1mexp(x: np.ndarray) -> np.ndarray:
    """log(1 - exp(x)) for x < 0 (Maechler, 2012; Ament et al., 2023, Eq. 9)."""
    out = np.empty_like(x)
    near_zero = x > -_LOG_2
    out[near_zero] = np.log(-np.expm1(x[near_zero]))
    out[~near_zero] = np.log1p(-np.exp(x[~near_zero]))
    return out


def _log_abs_z_mills(z: np.ndarray) -> np.ndarray:
    """w = log(|z| m(z)) = log(erfcx(-z/sqrt 2) |z|) + log(pi/2)/2 < 0 for z < 0 (Eq. 9)."""
    return cast(np.ndarray, np.log(erfcx(-z * _INV_SQRT_2) * np.abs(z)) + _LOG_SQRT_PI_DIV_2)


# ---------------------------------------------------------------- log_h, by branch
# h(z) = phi(z) (1 - |z| m(z)) for z < 0, so log h = log phi + log1mexp(w).
# h'(z) = Phi(z), hence d log h / dz = Phi / h = m / (1 - |z| m) for z < 0.


def _log_h_upper(z: np.ndarray) -> np.ndarray:
    """Eq. (9), z > -1: log(phi(z) + z Phi(z)) directly (h >= h(-1) ~ 0.083)."""
    return cast(np.ndarray, np.log(np.exp(_log_phi(z)) + z * ndtr(z)))


def _log_h_middle(z: np.ndarray) -> np.ndarray:
    """Eq. (9), _Z_TAIL <= z <= -1: -z**2/2 - c1 + log1mexp(log(erfcx(-z/sqrt 2)|z|) + c2)."""
    return cast(np.ndarray, _log_phi(z) + _log1mexp(_log_abs_z_mills(z)))


def _log_h_tail(z: np.ndarray) -> np.ndarray:
    """Eq. (9), z < _Z_TAIL: -z**2/2 - c1 - 2 log|z|, since 1 - |z| m(z) ~ 1/z**2."""
    return cast(np.ndarray, _log_phi(z) - 2.0 * np.log(np.abs(z)))


def _d_log_h_upper(z: np.ndarray) -> np.ndarray:
    """Phi(z) / h(z), with h(z) >= h(-1) ~ 0.083 on this branch."""
    cdf = ndtr(z)
    return cast(np.ndarray, cdf / (np.exp(_log_phi(z)) + z * cdf))


def _d_log_h_middle(z: np.ndarray) -> np.ndarray:
    """m / (1 - |z| m) = exp(log m - log1mexp(log(|z| m)))."""
    log_mills = np.log(erfcx(-z * _INV_SQRT_2)) + _LOG_SQRT_PI_DIV_2
    return cast(np.ndarray, np.exp(log_mills - _log1mexp(_log_abs_z_mills(z))))


def _d_log_h_tail(z: np.ndarray) -> np.ndarray:
    """Exact derivative of the tail branch: -z - 2/z = |z| + 2/|z|."""
    abs_z = np.abs(z)
    return cast(np.ndarray, abs_z + 2.0 / abs_z)


_Branch = Callable[[np.ndarray], np.ndarray]


def _by_branch(z: ArrayLike, upper: _Branch, middle: _Branch, tail: _Branch) -> np.ndarray:
    """Evaluate each branch of Eq. (9) on its own mask only; NaN stays NaN."""
    z = np.asarray(z, dtype=np.float64)
    out = np.full_like(z, np.nan)
    is_upper = z > _Z_UPPER
    is_tail = z < _Z_TAIL
    is_middle = (z <= _Z_UPPER) & (z >= _Z_TAIL)
    out[is_upper] = upper(z[is_upper])
    out[is_middle] = middle(z[is_middle])
    out[is_tail] = tail(z[is_tail])
    return out


def _log_h_and_slope(z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(log_h(z), d_log_h(z), log phi(z) where z > _Z_UPPER else NaN) in one pass over the masks.

    The same expressions as `log_h` and `d_log_h`, branch by branch, with the
    factors both need (phi and Phi above -1, erfcx in the middle) computed once.
    When every z is on the upper branch (the usual case in a local search) the
    masks are skipped: the same expressions on the same numbers.
    """
    is_upper = z > _Z_UPPER
    if is_upper.all():
        return _upper_log_h_and_slope(z)
    value, slope, log_pdf = (np.full_like(z, np.nan) for _ in range(3))
    is_tail = z < _Z_TAIL
    is_middle = (z <= _Z_UPPER) & (z >= _Z_TAIL)
    value[is_upper], slope[is_upper], log_pdf[is_upper] = _upper_log_h_and_slope(z[is_upper])
    zm = z[is_middle]
    scaled = erfcx(-zm * _INV_SQRT_2)
    log1m = _log1mexp(np.log(scaled * np.abs(zm)) + _LOG_SQRT_PI_DIV_2)
    value[is_middle] = _log_phi(zm) + log1m
    slope[is_middle] = np.exp((np.log(scaled) + _LOG_SQRT_PI_DIV_2) - log1m)
    zt = z[is_tail]
    value[is_tail] = _log_h_tail(zt)
    slope[is_tail] = _d_log_h_tail(zt)
    return value, slope, log_pdf


def _upper_log_h_and_slope(z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(log_h, d_log_h, log phi) on the upper branch z > _Z_UPPER: h = phi + z Phi directly."""
    log_pdf = _log_phi(z)
    cdf = ndtr(z)
    h = np.exp(log_pdf) + z * cdf
    return np.log(h), cdf / h, log_pdf


def log_h(z: ArrayLike) -> np.ndarray:
    """log(phi(z) + z Phi(z)), Ament et al. (2023), Eq. (9).

    Finite, increasing and free of floating-point warnings for z in [-1.3e154,
    1e308]. Relative error < 1e-15 against quadrature for z in [-1e8, -1]; the
    correction term log h + z**2/2 is accurate to ~1e-10 absolute for |z| <= 1e3
    and to ~3e-8 at the branch switch |z| ~ 1.08e4 (where log_h ~ -5.8e7). Below
    about -1.3e154, z**2 overflows and the (correct) limit -inf is returned.
    """
    return _by_branch(z, _log_h_upper, _log_h_middle, _log_h_tail)


def d_log_h(z: ArrayLike) -> np.ndarray:
    """d log h / dz = Phi(z) / h(z), finite and > 0 for every finite z.

    Middle branch: m / (1 - |z| m) via logs, relative error ~eps * z**2 (~2e-8 at
    the switch); tail: |z| + 2/|z|, the exact derivative of the tail branch of
    ``log_h``, relative error ~6/z**4.
    """
    return _by_branch(z, _d_log_h_upper, _d_log_h_middle, _d_log_h_tail)


# ---------------------------------------------------------------- validation


def as_mean_std(mean: ArrayLike, std: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """(mean, std) as float64 1-D arrays of one shape (m,), std clamped to _STD_FLOOR;
    ValueError naming both shapes otherwise. Idempotent: checked inputs come back equal."""
    mean = np.atleast_1d(np.asarray(mean, dtype=np.float64))
    std = np.atleast_1d(np.asarray(std, dtype=np.float64))
    if mean.ndim != 1 or mean.shape != std.shape:
        raise ValueError(
            "mean and std must be 1-D arrays of the same shape (m,), "
            f"got mean.shape={mean.shape} and std.shape={std.shape}"
        )
    return mean, np.maximum(std, _STD_FLOOR)


def _finite_real(name: str, value: object) -> float:
    """Return ``value`` as a float; TypeError unless real, ValueError unless finite."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be a real number, got {shown(value)} ({type(value).__name__})")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {name}={value}")
    return value


# ---------------------------------------------------------------- acquisitions


class AcquisitionFunction(abc.ABC):
    """Value and gradient with respect to (mean, std) on a batch of points."""

    name: ClassVar[str]
    log_space: ClassVar[bool]  # value is the log of a non-negative quantity
    # value never decreases as std grows at a fixed mean (for exact candidate screening,
    # `acquisition.optimizer.AcquisitionObjective.screened_values`)
    increasing_in_std: ClassVar[bool] = False

    def value_and_grad(
        self, mean: ArrayLike, std: ArrayLike
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return (value, d value / d mean, d value / d std), each of shape (m,)."""
        mean, std = as_mean_std(mean, std)
        return self._value_and_grad(mean, std)

    def __call__(self, mean: ArrayLike, std: ArrayLike) -> np.ndarray:
        """Value only, shape (m,)."""
        mean, std = as_mean_std(mean, std)
        return self._value(mean, std)

    @abc.abstractmethod
    def _value_and_grad(
        self, mean: np.ndarray, std: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`value_and_grad` on inputs `as_mean_std` has checked (the one place it runs)."""

    def _value(self, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
        """Value on validated inputs; subclasses override it when that is cheaper."""
        return self._value_and_grad(mean, std)[0]


class _ImprovementBased(AcquisitionFunction):
    """Shared constructor and z for the functions of the improvement best_f - mean."""

    def __init__(self, best_f: float) -> None:
        self.best_f = _finite_real("best_f", best_f)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(best_f={self.best_f!r})"

    def _z(self, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
        return cast(np.ndarray, (self.best_f - mean) / std)


class LogExpectedImprovement(_ImprovementBased):
    """log EI = log_h(z) + log(std) (Ament et al., 2023, Sec. 4.1 and Eq. 9).

    Same maximizer as EI, but its value and gradient stay finite and informative
    where EI underflows to 0 (z down to about -1e154).
    """

    name = "logei"
    log_space = True
    increasing_in_std = True  # the log of EI, which is (see ExpectedImprovement)

    def _value_and_grad(
        self, mean: np.ndarray, std: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        # numpy_value_and_grad's numbers, the arithmetic in Numba loops (acquisition.logei_loops)
        return logei_loops.log_ei_and_grad(self.best_f, mean, std, _LOG_EI_CONSTANTS)

    def numpy_value_and_grad(
        self, mean: np.ndarray, std: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`value_and_grad` on checked inputs in numpy, every branch: the twin of
        `acquisition.logei_loops.log_ei_and_grad`."""
        z = self._z(mean, std)
        log_h_z, slope, log_pdf = _log_h_and_slope(z)  # slope = d log_h / dz
        value = log_h_z + np.log(std)
        # Chain rule with dz/dmean = -1/std and dz/dstd = -z/std:
        # d/dstd = (1 - z slope) / std, and 1 - z Phi/h = phi/h. For z > 0 the
        # difference cancels (phi/h -> 0), so take the ratio phi/h directly there.
        d_std = 1.0 - z * slope
        positive = z > 0.0
        d_std[positive] = np.exp(log_pdf[positive] - log_h_z[positive])
        return value, -slope / std, d_std / std

    def _value(self, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
        return logei_loops.log_ei(self.best_f, mean, std, _LOG_EI_CONSTANTS)

    def numpy_value(self, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
        """The value on checked inputs in numpy: the twin of `acquisition.logei_loops.log_ei`."""
        return cast(np.ndarray, log_h(self._z(mean, std)) + np.log(std))


class LogAugmentedExpectedImprovement(LogExpectedImprovement):
    """log AEI = log EI + log(1 − σ_n / √(std² + σ_n²)) (Huang, Allen, Notz & Zeng 2006).

    σ_n is the observation noise's standard deviation on the GP's scale. The factor
    discounts a point by the share of its predictive spread that is noise: where
    std ≪ σ_n one more evaluation would mostly measure noise, so resampling beside a
    well-observed incumbent loses to points the model knows less. With r = √(std² + σ_n²)
    the factor is std² / (r (r + σ_n)), so its log, 2 log std − log r − log(r + σ_n),
    has no cancellation as std → 0; σ_n = 0 gives LogEI.
    """

    name = "logaei"
    log_space = True
    increasing_in_std = True  # both log EI and the factor grow with std

    def __init__(self, best_f: float, noise_std: float) -> None:
        super().__init__(best_f)
        self.noise_std = _finite_real("noise_std", noise_std)
        if self.noise_std < 0.0:
            raise ValueError(f"noise_std={noise_std!r} must be >= 0")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(best_f={self.best_f!r}, noise_std={self.noise_std!r})"

    def _log_factor(self, std: np.ndarray) -> np.ndarray:
        """log(1 − σ_n / r) = 2 log std − log r − log(r + σ_n)."""
        r = np.hypot(std, self.noise_std)
        return cast(np.ndarray, 2.0 * np.log(std) - np.log(r) - np.log(r + self.noise_std))

    def _augmented(self, std: np.ndarray, log_ei: tuple[np.ndarray, np.ndarray, np.ndarray]
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """LogEI's (value, d/d mean, d/d std) with the factor's log added. The factor's
        derivative in std, 2/std − std/r² − std / (r (r + σ_n)), is with std² = r² − σ_n²
        σ_n (r + σ_n) / (std r²): no cancellation, 0 at σ_n = 0."""
        value, d_mean, d_std = log_ei
        noise = self.noise_std
        r = np.hypot(std, noise)
        return (value + self._log_factor(std), d_mean,
                d_std + noise * (r + noise) / (std * r**2))

    def _value_and_grad(
        self, mean: np.ndarray, std: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self._augmented(std, super()._value_and_grad(mean, std))

    def numpy_value_and_grad(
        self, mean: np.ndarray, std: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self._augmented(std, super().numpy_value_and_grad(mean, std))

    def _value(self, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
        return cast(np.ndarray, super()._value(mean, std) + self._log_factor(std))

    def numpy_value(self, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
        return cast(np.ndarray, super().numpy_value(mean, std) + self._log_factor(std))


class ExpectedImprovement(_ImprovementBased):
    """EI = std * h(z), h(z) = phi(z) + z Phi(z) (Jones, Schonlau & Welch, 1998).

    The textbook formula: it underflows to 0, with a 0 gradient, for z below about
    -38, and before that phi + z Phi cancels, amplifying rounding by ~z**2.
    Prefer LogEI.
    """

    name = "ei"
    log_space = False
    increasing_in_std = True  # ∂EI/∂std = phi(z) > 0 (Jones et al. 1998)

    def _value_and_grad(
        self, mean: np.ndarray, std: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        z = self._z(mean, std)
        pdf, cdf = np.exp(_log_phi(z)), ndtr(z)
        # d(std h(z))/dmean = -h'(z) = -Phi(z); d/dstd = h(z) - z h'(z) = phi(z).
        return std * _h(z, pdf, cdf), -cdf, pdf

    def _value(self, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
        z = self._z(mean, std)
        return cast(np.ndarray, std * _h(z, np.exp(_log_phi(z)), ndtr(z)))

    def log_value(self, mean: ArrayLike, std: ArrayLike) -> np.ndarray:
        """log EI computed in log space, as `LogExpectedImprovement` computes it (Ament
        et al. 2023, Eq. 9): finite where EI itself underflows to 0."""
        return LogExpectedImprovement(self.best_f)(mean, std)


class ProbabilityOfImprovement(_ImprovementBased):
    """log PI = log Phi(z) (Kushner, 1964), returned in log space.

    The log has the same maximizer as PI itself, but stays finite and keeps a
    useful gradient where PI underflows (z below about -38); the value is -inf
    only below z ~ -1.9e154. d log Phi / dz = phi(z) / Phi(z) is the inverse
    Mills ratio, evaluated through erfcx so that it has full relative precision.
    """

    name = "pi"
    log_space = True

    def _value_and_grad(
        self, mean: np.ndarray, std: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        z = self._z(mean, std)
        slope = inverse_mills_ratio(z)  # d log Phi / dz
        with np.errstate(over="ignore"):  # z·slope ≈ z² beyond 1.8e308 (z < −1.3e154): ±inf
            d_std = -z * slope / std
        return log_ndtr(z), -slope / std, d_std

    def _value(self, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
        return cast(np.ndarray, log_ndtr(self._z(mean, std)))


class Feasibility(AcquisitionFunction):
    """log 1 = 0 everywhere: the objective's share of constrained LogEI before any feasible point.

    With no feasible observation there is no incumbent to improve on, and the
    constrained acquisition is the probability of feasibility alone (Gelbart,
    Snoek & Adams 2014, Sec. 4); its terms are added by
    `acquisition.constrained.FeasibilityTerm`.
    """

    name = "feasibility"
    log_space = True

    def _value_and_grad(
        self, mean: np.ndarray, std: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return np.zeros_like(mean), np.zeros_like(mean), np.zeros_like(std)


class UpperConfidenceBound(AcquisitionFunction):
    """UCB = -mean + sqrt(beta) * std (Srinivas et al., 2010, Alg. 1, for minimization).

    The negated lower confidence bound of the objective; ``beta`` is fixed here,
    use ``gp_ucb_beta`` for the GP-UCB schedule.
    """

    name = "ucb"
    log_space = False
    increasing_in_std = True  # ∂UCB/∂std = sqrt(beta) ≥ 0

    def __init__(self, beta: float) -> None:
        beta = _finite_real("beta", beta)
        if beta < 0.0:
            raise ValueError(f"beta must be >= 0, got beta={beta}")
        self.beta = beta
        self._sqrt_beta = math.sqrt(beta)

    def __repr__(self) -> str:
        return f"UpperConfidenceBound(beta={self.beta!r})"

    def _value_and_grad(
        self, mean: np.ndarray, std: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self._value(mean, std), np.full_like(mean, -1.0), np.full_like(std, self._sqrt_beta)

    def _value(self, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
        return -mean + self._sqrt_beta * std


def gp_ucb_beta(t: int, dim: int, delta: float = 0.1) -> float:
    """GP-UCB exploration weight beta_t = 2 log(dim t**2 pi**2 / (6 delta)).

    Srinivas, Krause, Kakade & Seeger (2010), "Gaussian Process Optimization in
    the Bandit Setting", arXiv:0912.3995, Theorem 1, proves a regret bound with
    probability >= 1 - delta for beta_t = 2 log(|D| t**2 pi**2 / (6 delta)) on a
    finite decision set D. Replacing |D| by the input dimension is the commonly
    used simplification for continuous domains: it keeps the log t growth but
    carries no guarantee (Theorem 2's beta_t for compact sets needs constants of
    the kernel that are not known in practice).

    Args:
        t: iteration number, >= 1.
        dim: input dimension, >= 1.
        delta: failure probability, in (0, 1).
    """
    for name, value in (("t", t), ("dim", dim)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError(
                f"{name} must be an integer, got {shown(value)} ({type(value).__name__})")
        if value < 1:
            raise ValueError(f"{name} must be >= 1, got {name}={value}")
    delta = _finite_real("delta", delta)
    if not 0.0 < delta < 1.0:
        raise ValueError(f"delta must be in (0, 1), got delta={delta}")
    # Sum of logs, so that huge t cannot overflow the product.
    return 2.0 * (
        math.log(dim) + 2.0 * math.log(t) + 2.0 * math.log(math.pi) - math.log(6.0 * delta)
    )

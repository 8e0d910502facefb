"""Output transforms: make skewed or heavy-tailed objectives easier for a GP.

    y : (n,) objective values (minimization), z = (y − m) / s their z-scores
    T : a monotone map applied to z; the GP regresses on T(z), re-standardized

A GP with a stationary kernel assumes values spread symmetrically around
its mean; objectives like Rosenbrock or a training loss that explodes for
bad hyperparameters have a long right tail that dominates the fit and
flattens the region that matters. A Yeo–Johnson power transform (Yeo &
Johnson 2000), with λ chosen by maximum likelihood, pulls that tail
in (only that tail: λ is capped at 1, see below); HEBO (Cowen-Rivers et al. 2022,
arXiv:2012.03826), winner of the NeurIPS 2020 black-box optimization challenge, does
the same. Monotone, so the order of the points — and the incumbent — is kept.

The transform is refit with the GP hyperparameters and held fixed between
refits, so the values the GP sees for old points never change and new
points can still be block-appended.

Back to objective units. The inverse of a power transform is unbounded:
for λ < 0 it has a pole at w = −1/λ, for λ = 0 it grows like eˣ and for
0 < λ < 1 like w^(1/λ). A Gaussian predictive in w puts mass near or past
the pole, so a plain inverse turns a modest GP mean into 1e8. Everything
shown or returned in objective units therefore goes through `saturate`:
the identity on the observed range [y_lo, y_hi], and beyond it a tanh
knee that is C¹ at the ends of that range and never leaves the envelope

    E = (y_lo − k·r, y_hi + k·r),   r = y_hi − y_lo,   k = ENVELOPE_WIDTH = 1.

The forward transform (what the GP is fitted on, hence every ask) does not
depend on it.
"""

from __future__ import annotations

import functools
import math
import sys
from dataclasses import dataclass
from typing import cast

import numpy as np
import scipy.optimize

# λ < 1 compresses the right tail (bad values, for minimization) and stretches the
# left one (good values); λ > 1 would do the opposite and flatten the very region a
# minimizer needs to resolve (docs/choosing-defaults.md, "Output transform").
# λ = 1 is the identity, so left-skewed objectives are left alone.
LAMBDA_BOUNDS = (-2.0, 1.0)
ENVELOPE_WIDTH = 1.0  # k: the envelope extends the observed range by k times its width
# |low| or |high| from which `saturate` works in units of a power of 2: the envelope of a
# range up to 2**1000 wide, and a query up to the float maximum beyond it, stay finite
_HUGE = 2.0**1000


@dataclass(frozen=True)
class OutputTransform:
    """z-score with (mean, scale), then Yeo–Johnson with `lmbda` (None: identity)."""

    mean: float = 0.0
    scale: float = 1.0
    lmbda: float | None = None

    @classmethod
    def fit(cls, y: np.ndarray, kind: str) -> OutputTransform:
        if all_equal(y):  # no λ has a likelihood; each z-score is 0
            return cls(float(y[0]), constant_scale(float(y[0])), None)
        mean, scale = mean_and_std(y)
        if not (np.isfinite(scale) and scale > 0):
            return cls(mean, constant_scale(mean), None)
        if kind == "none" or y.shape[0] < 3:
            return cls(mean, scale, None)
        z = z_scores(y, mean, scale)
        return cls(mean, scale, maximum_likelihood_lambda(z))

    def __call__(self, y: np.ndarray) -> np.ndarray:
        z = z_scores(np.asarray(y, dtype=float), self.mean, self.scale)
        return z if self.lmbda is None else yeo_johnson(z, self.lmbda)

    def inverse(self, w: np.ndarray, observed: tuple[float, float] | None = None) -> np.ndarray:
        """Transformed values w → objective values.

        With `observed` = (y_lo, y_hi), the range of the observed values, the
        inverse of a power transform is `saturate`d into the envelope of that
        range (module docstring); the identity transform (``lmbda is None``)
        is affine and left exact, but for a value beyond the float range (objective
        values near ±`sys.float_info.max`), which is clipped to its end. Without
        `observed`, the plain inverse (for round trips).
        """
        if self.lmbda is None:
            with np.errstate(over="ignore"):  # beyond the float range: clipped just below
                y = self.mean + self.scale * np.asarray(w, dtype=float)
            return y if observed is None else np.clip(y, -sys.float_info.max, sys.float_info.max)
        with np.errstate(over="ignore"):  # beyond the pole: inf, which saturates to the edge
            y = self.mean + self.scale * yeo_johnson_inverse(np.asarray(w, dtype=float), self.lmbda)
        return y if observed is None else saturate(y, *observed)

    def to_dict(self) -> dict[str, float | None]:
        return {"mean": self.mean, "scale": self.scale, "lmbda": self.lmbda}


def all_equal(y: np.ndarray) -> bool:
    """Whether the values y: (n,) are constant, to be standardized as such: their mean is
    then their value, exactly. Decided on the values, not on their spread: the mean of
    equal values may round off them by an ulp, and np.std is then an ulp of that ulp
    (2.5e-32 for ten values 1.85e-16), so that dividing by it would z-score every value to
    ±1 instead of 0."""
    return bool(np.all(y == y[0]))


def constant_scale(mean: float) -> float:
    """The z-scores' scale s of values with no spread (all equal, or one), mean m: |m|, or 1
    for m = 0. The values are then modelled in their own units — their GP's prior spread is
    their magnitude, as a spread s = std(y) is otherwise — so values c·y give predictions c
    times those of y whatever c > 0, and a constraint's threshold c = 0 lies one prior std
    from a constant c ≠ 0 in any units (`bayesopt.outcomes`)."""
    scale = abs(mean)
    return scale if math.isfinite(scale) and scale > 0 else 1.0


def mean_and_std(y: np.ndarray) -> tuple[float, float]:
    """Mean and standard deviation of y: (n,) at any finite scale.

    np.std squares the deviations, which underflow to 0 below |y| ≈ 1e-162 and overflow
    above ≈ 1e154; there both are taken of y/m, m = max |y|, and scaled back by m (the
    same numbers up to rounding, so the direct route is kept wherever it is finite and > 0,
    and its overflow is not reported: it is what sends y to the other route).
    """
    with np.errstate(over="ignore"):  # an overflow is caught below, not shown to the user
        mean, std = float(np.mean(y)), float(np.std(y))
    if math.isfinite(std) and std > 0:
        return mean, std
    m = float(np.max(np.abs(y)))
    if not (math.isfinite(m) and m > 0):
        return mean, std
    u = y / m
    return m * float(np.mean(u)), m * float(np.std(u))


def power_of_two_unit(c: float) -> float:
    """u, the power of 2 in (c/2, c] for a positive normal c: dividing or multiplying a
    float by it is exact, and c/u lies in (1/2, 1], so sums and squares taken in units
    of u neither overflow nor underflow where those of c's own order would."""
    return math.ldexp(1.0, math.frexp(c)[1] - 1)


def times_square(value: float, c: float, *, divide: bool = False) -> float:
    """value·c², or value/c² with `divide`, for a positive c at any finite scale: a
    variance carried between the GP's scale and objective units, c the slope between
    them. c² is no normal float beyond about 1e154 or below about 1e-154 (it overflows
    or underflows where value·c² may not); there c is applied one factor at a time,
    value·c·c. A result beyond the floats is inf (Python float arithmetic), not an error."""
    value, c = float(value), float(c)
    try:
        squared = c**2
    except OverflowError:  # beyond the floats
        squared = math.inf
    if sys.float_info.min <= squared < math.inf:
        return value / squared if divide else value * squared
    return value / c / c if divide else value * c * c


def z_scores(y: np.ndarray, mean: float, scale: float) -> np.ndarray:
    """(y − mean) / scale for y: (n,), finite wherever y is.

    y − mean overflows where y and the mean lie far apart near the float maximum (values
    of both signs near 1e308). Then, and only then, the quotient of every y is taken in
    units of u, the power of 2 in (scale/2, scale]: (y/u − mean/u) / (scale/u), divisions
    by u exact for normal floats; any other y takes the direct route, unchanged.
    """
    with np.errstate(over="ignore"):  # an overflow sends y to the scaled route below
        z = (y - mean) / scale
    if np.isfinite(z[np.isfinite(y)]).all():
        return cast(np.ndarray, z)
    u = power_of_two_unit(scale)
    return cast(np.ndarray, (y / u - mean / u) / (scale / u))


def saturate(y: np.ndarray, low: float, high: float) -> np.ndarray:
    """Identity on [low, high]; beyond, low − m·tanh((low − y)/m) and high + m·tanh((y − high)/m).

    m = ENVELOPE_WIDTH · (high − low) (1 if that is 0). Monotone, C¹ at low and
    high (slope 1), bounded by the envelope (low − m, high + m); ±inf map to
    its edges.

    Near the float maximum (max(|low|, |high|) ≥ `_HUGE`) high − low and y − high
    overflow: there the same formula is taken of y/u, low/u, high/u, u the power of 2 in
    (c/2, c] for c = max(|low|, |high|) (exact divisions), and scaled back by u, the
    result clipped to ±`sys.float_info.max`, where an edge of the envelope lies beyond it.
    """
    if not (math.isfinite(low) and math.isfinite(high) and low <= high):
        raise ValueError(f"saturate needs a finite range low <= high, got low={low!r}, "
                         f"high={high!r}")
    y = np.asarray(y, dtype=float)
    c = max(abs(low), abs(high))
    if c >= _HUGE:
        u = power_of_two_unit(c)
        edge = sys.float_info.max / u  # exact: u is a power of 2
        return cast(np.ndarray, u * np.clip(saturate(y / u, low / u, high / u), -edge, edge))
    width = ENVELOPE_WIDTH * (high - low) if high > low else 1.0
    above = high + width * np.tanh(np.maximum(y - high, 0.0) / width)
    below = low - width * np.tanh(np.maximum(low - y, 0.0) / width)
    return np.where(y > high, above, np.where(y < low, below, y))


def yeo_johnson_derivative(z: np.ndarray, lmbda: float) -> np.ndarray:
    """dT/dz of `yeo_johnson`: (1 + z)^(λ − 1) for z ≥ 0, (1 − z)^(1 − λ) for z < 0."""
    z = np.asarray(z, dtype=float)
    slope = np.where(z >= 0, np.power(1.0 + np.abs(z), lmbda - 1.0),
                     np.power(1.0 + np.abs(z), 1.0 - lmbda))
    return cast(np.ndarray, slope)


def yeo_johnson_log_likelihood(z: np.ndarray, lmbda: float) -> float:
    """Profile log-likelihood of λ under a normal model of the transformed z, up to a constant.

    Yeo & Johnson (2000), Sec. 3: −(n/2)·log σ̂²(λ) + (λ − 1)·Σ sign(z_i)·log(1 + |z_i|),
    with σ̂²(λ) the maximum-likelihood variance of yeo_johnson(z, λ).
    """
    return _YeoJohnsonLogs.of(z).log_likelihood(lmbda)


def maximum_likelihood_lambda(z: np.ndarray) -> float:
    """argmax of `yeo_johnson_log_likelihood` over `LAMBDA_BOUNDS`.

    A bounded Brent search, which never evaluates the bounds themselves, then
    the bounds: the likelihood is unimodal in λ, so a maximum beyond the
    interval (often λ > 1 for left-skewed values) lands exactly on its edge.
    The logarithms that do not depend on λ are taken once for the whole search.
    """
    logs = _YeoJohnsonLogs.of(z)
    result = scipy.optimize.minimize_scalar(
        lambda lmbda: -logs.log_likelihood(lmbda), bounds=LAMBDA_BOUNDS,
        method="bounded", options={"xatol": 1e-6})
    best, best_value = float(result.x), -float(result.fun)
    for edge in LAMBDA_BOUNDS:
        if (value := logs.log_likelihood(edge)) > best_value:
            best, best_value = edge, value
    return best


def yeo_johnson(z: np.ndarray, lmbda: float) -> np.ndarray:
    """Yeo & Johnson (2000), Eq. 2.1."""
    return _YeoJohnsonLogs.of(z).transform(lmbda)


@dataclass(frozen=True)
class _YeoJohnsonLogs:
    """What Eq. 2.1 and the profile likelihood of z: (n,) take from z whatever λ is:
    the sign mask, log(1 + z) where z ≥ 0, log(1 − z) where z < 0, and (only when the
    likelihood asks for it) the log-Jacobian."""

    z: np.ndarray  # (n,)
    positive: np.ndarray  # (n,) bool, z ≥ 0
    negative: np.ndarray  # (n,) bool, the others
    log_positive: np.ndarray  # log1p(z) on the positive entries
    log_negative: np.ndarray  # log1p(−z) on the others

    @classmethod
    def of(cls, z: np.ndarray) -> _YeoJohnsonLogs:
        positive = z >= 0
        negative = ~positive
        return cls(z, positive, negative, np.log1p(z[positive]), np.log1p(-z[negative]))

    @functools.cached_property
    def log_jacobian(self) -> float:
        """Σ sign(z_i)·log(1 + |z_i|)."""
        return float(np.sum(np.sign(self.z) * np.log1p(np.abs(self.z))))

    def transform(self, lmbda: float) -> np.ndarray:
        """Eq. 2.1: ((1 + z)^λ − 1)/λ for z ≥ 0, −((1 − z)^(2 − λ) − 1)/(2 − λ) for z < 0."""
        out = np.empty(self.positive.shape)
        pos, neg = self.positive, self.negative
        if abs(lmbda) > 1e-12:
            out[pos] = np.expm1(lmbda * self.log_positive) / lmbda
        else:
            out[pos] = self.log_positive
        if abs(lmbda - 2.0) > 1e-12:
            out[neg] = -np.expm1((2.0 - lmbda) * self.log_negative) / (2.0 - lmbda)
        else:
            out[neg] = -self.log_negative
        return out

    def log_likelihood(self, lmbda: float) -> float:
        """`yeo_johnson_log_likelihood` of these z."""
        variance = population_variance(self.transform(lmbda))
        if not variance > 0:
            return -math.inf
        return -0.5 * int(self.z.shape[0]) * math.log(variance) + (lmbda - 1.0) * self.log_jacobian


def population_variance(x: np.ndarray) -> float:
    """np.var(x) of a 1-d float64 array, bit for bit: the same mean, deviations, squares
    and sums in the same order, without np.var's Python layer (it runs at every step of
    the λ search of `maximum_likelihood_lambda`)."""
    n = x.shape[0]
    deviations = x - np.add.reduce(x) / n
    return float(np.add.reduce(deviations * deviations) / n)


def yeo_johnson_inverse(w: np.ndarray, lmbda: float) -> np.ndarray:
    """Inverse of `yeo_johnson`; w beyond the image of the transform is clipped to its edge."""
    w = np.array(w, dtype=float)
    if lmbda < 0:  # the image of z ≥ 0 is [0, −1/λ)
        w = np.minimum(w, np.nextafter(-1.0 / lmbda, 0.0))
    if lmbda > 2:  # the image of z < 0 is (−1/(λ − 2), 0)
        w = np.maximum(w, np.nextafter(-1.0 / (lmbda - 2.0), 0.0))
    out = np.empty_like(w)
    pos = w >= 0
    if abs(lmbda) > 1e-12:
        out[pos] = np.expm1(np.log1p(lmbda * w[pos]) / lmbda)
    else:
        out[pos] = np.expm1(w[pos])
    if abs(lmbda - 2.0) > 1e-12:
        out[~pos] = -np.expm1(np.log1p(-(2.0 - lmbda) * w[~pos]) / (2.0 - lmbda))
    else:
        out[~pos] = -np.expm1(-w[~pos])
    return out

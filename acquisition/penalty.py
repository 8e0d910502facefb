"""Damp the acquisition around failed evaluations and around pending points.

Every penalty maps X: (m, d) to log m(X): (m,), the log of a factor in
(0, 1], and its gradient (m, d). Log-space acquisitions and UCB get log m(x)
added; EI is multiplied by m(x) (`acquisition.optimizer.AcquisitionObjective`).

Failed evaluations (`FailurePenalty`). A failed evaluation has no value to
regress on, so it stays out of the GP; instead the acquisition is damped
around it. Treating each failure f as the
centre of a Gaussian "hole", the chance that x is clear of all of them is

    m(x) = Π_f (1 − exp(−½ r_f(x)²)),     r_f(x)² = Σ_j ((x_j − f_j) / w_j)²

with widths w_j in the unit cube (the engine uses min(lengthscale_j, 0.1),
so a hole is never wider than a tenth of the box). At one width from a
failure log m ≈ −0.9 (EI × 0.4); at three widths it is below 0.012.

Pending points (`LocalPenalty`; González, Dai, Hennig & Lawrence 2016,
"Batch Bayesian optimization via local penalization", AISTATS, arXiv:1505.08052,
eq. 3 written for minimization). If f is L-Lipschitz and M is the best value,
no point closer to a pending x_j than r_j = (f(x_j) − M) / L can beat M.
With f(x_j) ~ N(μ_j, σ_j²) from the posterior, the chance that x lies
outside that ball is

    φ_j(x) = Φ((M + L ‖x − x_j‖ − μ_j) / σ_j),     m(x) = Π_j φ_j(x).

The ball is wide around a pending point the model expects to be poor and
shrinks to nothing around one expected to be as good as the incumbent, so a
batch may refine the incumbent with several points while the model is
confident there. L is estimated as the largest norm of the posterior mean's
gradient on a sample of the domain (`lipschitz_estimate`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np
from scipy.special import log_ndtr

from acquisition.functions import inverse_mills_ratio
from acquisition.optimizer import Penalty, penalty_log_values, penalty_switch_log_values
from kernels.kernel import switch_squared_distances

_MIN_HALF_R2 = 1e-12  # keeps log m finite exactly at a failed point (never proposed anyway)
_MIN_DISTANCE = 1e-12  # ‖x − x_j‖ below this: the gradient of the distance is taken as 0
_MIN_STD = 1e-9  # floor on σ_j (standardized units): a pending point exactly on data
_MIN_LIPSCHITZ = 1e-7  # a flat posterior mean: González et al. fall back to a constant too
_MAX_EXP = float(np.log(np.finfo(float).max))  # ≈ 709.78: np.expm1 overflows beyond it


@dataclass(frozen=True)
class FailurePenalty:
    """log m(x) and its gradient for failed points F: (p, d) and widths w: (d,)."""

    failures: np.ndarray
    widths: np.ndarray

    def _half_r2(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(scaled differences (m, p, d), ½ r² (m, p))."""
        scaled = (X[:, None, :] - self.failures[None, :, :]) / self.widths  # (m, p, d)
        return scaled, np.maximum(0.5 * np.sum(scaled**2, axis=-1), _MIN_HALF_R2)

    def log_values(self, X: np.ndarray) -> np.ndarray:
        """X: (m, d) → log m(X): (m,) (`acquisition.optimizer.ValuedPenalty`)."""
        return cast(np.ndarray, np.sum(np.log(-np.expm1(-self._half_r2(X)[1])), axis=1))

    def switch_log_values(self, X: np.ndarray, group: np.ndarray) -> np.ndarray:
        """log m (r, k) at the trials of X: (r, d) with the one-hot columns `group` (k,) set
        to each e_c (`acquisition.optimizer.SwitchingPenalty`): r² from the start's over the
        other columns plus the group's term, Σ_g (f_g/w_g)² − (f_c/w_c)² + (1/w_c − f_c/w_c)²
        (`switch_squared_distances`); `log_values` of the trial rows to rounding."""
        r2 = switch_squared_distances(X / self.widths, self.failures / self.widths, group,
                                      1.0 / self.widths[group])
        half_r2 = np.maximum(0.5 * r2, _MIN_HALF_R2)  # (r, k, p)
        return cast(np.ndarray, np.sum(np.log(-np.expm1(-half_r2)), axis=-1))

    def __call__(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """X: (m, d) → log m(X): (m,), ∂ log m / ∂X: (m, d)."""
        scaled, half_r2 = self._half_r2(X)
        log_mask = np.sum(np.log(-np.expm1(-half_r2)), axis=1)
        # d/dq log(1 − e^{−q}) = 1 / (e^q − 1);  dq/dx_j = (x_j − f_j) / w_j²
        # e^q overflows beyond q = log(max float), where the weight is 0 (below 1e-308)
        near = half_r2 < _MAX_EXP  # (m, p)
        weight = np.zeros(half_r2.shape)  # (m, p)
        weight[near] = 1.0 / np.expm1(half_r2[near])
        grad = np.einsum("mp,mpd->md", weight, scaled) / self.widths
        return log_mask, grad


@dataclass(frozen=True)
class LocalPenalty:
    """log m(x) and its gradient for pending points P: (p, d) with posterior mean and
    standard deviation (p,), the incumbent M and a Lipschitz constant L (same units)."""

    pending: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    best: float
    lipschitz: float

    def _z(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(x − x_j (m, p, d), ‖x − x_j‖ (m, p), floored σ_j (p,), z (m, p))."""
        diff = X[:, None, :] - self.pending[None, :, :]  # (m, p, d)
        distance = np.sqrt(np.sum(diff**2, axis=-1))  # (m, p)
        std = np.maximum(self.std, _MIN_STD)
        return diff, distance, std, (self.best + self.lipschitz * distance - self.mean) / std

    def log_values(self, X: np.ndarray) -> np.ndarray:
        """X: (m, d) → log m(X): (m,) (`acquisition.optimizer.ValuedPenalty`)."""
        return cast(np.ndarray, np.sum(log_ndtr(self._z(X)[3]), axis=1))

    def switch_log_values(self, X: np.ndarray, group: np.ndarray) -> np.ndarray:
        """log m (r, k) at the trials of X: (r, d) with the one-hot columns `group` (k,) set
        to each e_c (`acquisition.optimizer.SwitchingPenalty`): ‖trial − x_j‖² from the
        start's (`switch_squared_distances`); `log_values` of the trial rows to rounding."""
        r2 = switch_squared_distances(X, self.pending, group, np.ones(group.shape[0]))
        distance = np.sqrt(np.maximum(r2, 0.0))  # (r, k, p)
        std = np.maximum(self.std, _MIN_STD)
        z = (self.best + self.lipschitz * distance - self.mean) / std
        return cast(np.ndarray, np.sum(log_ndtr(z), axis=-1))

    def __call__(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """X: (m, d) → log m(X): (m,), ∂ log m / ∂X: (m, d)."""
        diff, distance, std, z = self._z(X)
        # d/dz log Φ(z) = φ(z) / Φ(z);  dz/dx = (L / σ_j) (x − x_j) / ‖x − x_j‖
        unit = np.where(distance > _MIN_DISTANCE, 1.0 / np.maximum(distance, _MIN_DISTANCE), 0.0)
        weight = inverse_mills_ratio(z) * (self.lipschitz / std) * unit  # (m, p)
        grad = np.einsum("mp,mpd->md", weight, diff)
        return np.sum(log_ndtr(z), axis=1), grad


@dataclass(frozen=True)
class CombinedPenalty:
    """The sum of several log-space terms (a product of factors): their logs and gradients add."""

    parts: tuple[Penalty, ...]

    def log_values(self, X: np.ndarray) -> np.ndarray:
        """X: (m, d) → log m(X): (m,) (`acquisition.optimizer.ValuedPenalty`): each part's
        without its gradient where it can (`penalty_log_values`), added in the same order."""
        log_mask = np.zeros(X.shape[0])
        for part in self.parts:
            log_mask = log_mask + penalty_log_values(part, X)
        return log_mask

    def switch_log_values(self, X: np.ndarray, group: np.ndarray) -> np.ndarray:
        """log m (r, k) at a categorical's switches (`acquisition.optimizer.
        SwitchingPenalty`): each part's (`penalty_switch_log_values`), added in order."""
        log_mask = np.zeros((X.shape[0], group.shape[0]))
        for part in self.parts:
            log_mask = log_mask + penalty_switch_log_values(part, X, group)
        return log_mask

    def __call__(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        log_mask, grad = np.zeros(X.shape[0]), np.zeros(X.shape)
        for part in self.parts:
            part_log, part_grad = part(X)
            log_mask, grad = log_mask + part_log, grad + part_grad
        return log_mask, grad


def lipschitz_estimate(mean_gradient: np.ndarray) -> float:
    """L = max_i ‖∇μ(x_i)‖ over gradients (k, d) sampled on the domain, floored above 0."""
    if mean_gradient.shape[0] == 0:
        return _MIN_LIPSCHITZ
    return max(float(np.max(np.sqrt(np.sum(mean_gradient**2, axis=1)))), _MIN_LIPSCHITZ)

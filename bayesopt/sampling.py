"""Fully Bayesian GP hyperparameters: posterior samples and the mixture they define.

    θ      : (p,)     log-parameters (log l_1 … log l_d, log s2, log σ², [warp θ_w])
    Θ      : (S, p)   samples of p(θ | y) ∝ p(y | θ) p(θ)  (marginal likelihood × priors)
    f_s    : the GP posterior under θ_s, mean μ_s(x) and standard deviation σ_s(x)

Spearmint's treatment of the hyperparameters (Snoek, Larochelle & Adams 2012,
Sec. 3.2): instead of one MAP θ, draw Θ by slice sampling (Neal 2003; Murray
& Adams 2010; `bayesopt.slice_sampling`) and integrate the acquisition over
them, a(x) = (1/S) Σ_s a(x; θ_s) (`acquisition.averaging`). Each refit
continues the chain from its last state (the MAP fit starts the first one),
runs `burn_in` sweeps and keeps `n_samples`, one every `thin` sweeps.

Questions that need one predictive (the incumbent, fantasies, recommendations,
plots) get the moments of the equal-weight mixture of the S Gaussians:

    μ(x)  = (1/S) Σ_s μ_s(x)
    σ²(x) = (1/S) Σ_s (σ_s²(x) + μ_s²(x)) − μ²(x)           (law of total variance)

and a new observation y = f(x) + ε, ε ~ N(0, σ_n,s²) under θ_s, has variance
σ²(x) + (1/S) Σ_s σ_n,s²: the members' mean noise (`observation_noise`), not the
noise at the samples' mean log-parameters (`noise`, which is their geometric mean).

A mixture may also carry weights w_s (Σ w_s = 1) in place of 1/S: the members are
then GPs of different kernels, each at its MAP θ, weighted by their posterior mass
(`ModelOptions.kernel_average`); every 1/S above becomes w_s.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import cast

import numpy as np

from bayesopt.fitting import FitOptions, log_posterior, parameter_bounds
from bayesopt.gp import GaussianProcess
from bayesopt.priors import HyperparameterPriors
from bayesopt.slice_sampling import SliceSchedule, slice_sample
from bayesopt.warping import KumaraswamyWarping
from kernels import Kernel

SLICE_WIDTH = 1.0  # initial bracket on each log-parameter (Spearmint's default σ = 1)


def sample_hyperparameters(
    kernel_name: str, X: np.ndarray, y: np.ndarray, priors: HyperparameterPriors,
    warping: KumaraswamyWarping | None, start: np.ndarray, fit: FitOptions,
    schedule: SliceSchedule, rng: np.random.Generator, *, gates: tuple[int, ...] | None = None,
) -> np.ndarray | None:
    """Θ: (S, p) from p(θ | y), the chain started at `start`; None if p(start | y) = 0.

    A parameter whose bounds coincide (a fixed noise, a fixed activity lengthscale)
    is held at its value. `gates`: as for `kernels.Kernel` (conditional spaces).
    """
    bounds = np.array(parameter_bounds(X.shape[1], fit, warping, gates))  # (p, 2)
    x0 = np.clip(start, bounds[:, 0], bounds[:, 1])
    widths = np.where(bounds[:, 1] > bounds[:, 0], SLICE_WIDTH, 0.0)

    def log_f(theta: np.ndarray) -> float:
        return log_posterior(theta, kernel_name, X, y, priors, warping, bounds, gates)

    if not math.isfinite(log_f(x0)):
        return None
    return slice_sample(log_f, x0, widths, schedule, rng)


class GaussianProcessMixture:
    """The equal-weight mixture of S GPs on the same data, one per posterior sample θ_s.

    It follows the data as one `GaussianProcess` does (append, truncate,
    re-standardize each member) and answers with the mixture's moments;
    `predict_samples*` give the members' moments for averaging an acquisition.
    """

    def __init__(self, members: Sequence[GaussianProcess], kernel: Kernel, noise: float,
                 log_weights: np.ndarray | None = None) -> None:
        """`log_weights`: (S,) log w_s with Σ w_s = 1 (module docstring); None: 1/S each."""
        assert members, "a mixture needs at least one member"
        assert log_weights is None or (log_weights.shape == (len(members),) and math.isclose(
            float(np.exp(log_weights).sum()), 1.0, rel_tol=1e-9)), "normalized log weights"
        self.members = list(members)
        self.kernel = kernel  # at the samples' mean log-parameters: for reports and fantasy noise
        self.noise = noise
        self.log_weights = log_weights

    def _average(self, values: np.ndarray) -> np.ndarray:
        """Σ_s w_s values[s] over the first axis (the plain mean with equal weights)."""
        if self.log_weights is None:
            return cast(np.ndarray, values.mean(axis=0))
        return cast(np.ndarray, np.tensordot(np.exp(self.log_weights), values, axes=1))

    @property
    def n(self) -> int:
        return self.members[0].n

    @property
    def observation_noise(self) -> float:
        """(1/S) Σ_s σ_n,s²: what a new observation adds to the mixture's variance."""
        return float(self._average(np.array([member.noise for member in self.members])))

    @property
    def values(self) -> np.ndarray:
        return self.members[0].values

    @property
    def y(self) -> np.ndarray:
        return self.members[0].y

    def set_standardization(self, offset: float, scale: float) -> None:
        for member in self.members:
            member.set_standardization(offset, scale)

    def append(self, X_new: np.ndarray, values: np.ndarray, noise: float | None = None) -> None:
        for member in self.members:
            member.append(X_new, values, noise)

    def truncate(self, n: int) -> None:
        for member in self.members:
            member.truncate(n)

    def training_mean(self) -> np.ndarray:
        return self._average(np.array([m.training_mean() for m in self.members]))

    def predict_samples(self, Xq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each member's latent mean and standard deviation: (S, m), (S, m)."""
        moments = [member.predict(Xq) for member in self.members]
        return np.stack([m for m, _ in moments]), np.sqrt(np.stack([v for _, v in moments]))

    def predict_samples_switches(self, Xq: np.ndarray,
                                 group: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """Each member's latent mean and std (S, r, k) at the trials of Xq: (r, d) with the
        one-hot columns `group` (k,) set to each e_c (`GaussianProcess.predict_switches`);
        None where a member cannot."""
        moments = [member.predict_switches(Xq, group) for member in self.members]
        if any(m is None for m in moments):
            return None
        means, variances = zip(*(m for m in moments if m is not None))
        return np.stack(means), np.sqrt(np.stack(variances))

    def predict_samples_with_gradient(
        self, Xq: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Each member's mean, std and their gradients: (S, m), (S, m), (S, m, d), (S, m, d)."""
        parts = [member.predict_with_gradient(Xq) for member in self.members]
        mean, std, d_mean, d_std = (np.stack(column) for column in zip(*parts))
        return mean, std, d_mean, d_std

    def predict(self, Xq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The mixture's latent mean and variance (module docstring): (m,), (m,)."""
        mean, std = self.predict_samples(Xq)
        mu = self._average(mean)
        var = self._average(std**2 + mean**2) - mu**2
        return mu, np.maximum(var, np.min(std**2, axis=0))

    def predict_with_gradient(
        self, Xq: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The mixture's mean, std and their gradients in x*: (m,), (m,), (m, d), (m, d)."""
        mean, std, d_mean, d_std = self.predict_samples_with_gradient(Xq)
        mu, d_mu = self._average(mean), self._average(d_mean)
        second = self._average(std**2 + mean**2)
        d_second = self._average(2 * std[..., None] * d_std + 2 * mean[..., None] * d_mean)
        var = np.maximum(second - mu**2, np.min(std**2, axis=0))
        sigma = np.sqrt(var)
        d_sigma = (d_second - 2 * mu[:, None] * d_mu) / (2 * sigma[:, None])
        return mu, sigma, d_mu, d_sigma

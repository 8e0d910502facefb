"""Input warping: a Kumaraswamy CDF per continuous input, fitted with the GP's hyperparameters.

    X      : (n, d)  encoded inputs in the unit cube
    J      : (k,)    the warped columns (every column but the one-hot ones)
    θ_w    : (2k,)   (log a_1 … log a_k, log b_1 … log b_k)
    x̃      : ε + (1 − 2ε)·x, kept inside (0, 1) so the logs below stay finite
    w(x)   : 1 − (1 − x̃^a)^b                  the Kumaraswamy CDF (Kumaraswamy 1980)

The GP sees w(X) in place of X on the columns J: a stationary kernel on
warped inputs models functions whose length scale changes across the box
(Snoek, Swersky, Zemel & Adams 2014, "Input Warping for Bayesian
Optimization of Non-Stationary Functions"; BoTorch's `Warp` input transform
uses the same CDF, the same ε-normalization and the same prior). a = b = 1
is the identity; the prior is Normal(0, 0.75) on log a and log b, i.e.
BoTorch's LogNormal(0, √0.75) on the concentrations, centred at the identity.

Derivatives, with u = x̃^a:

    ∂w/∂x      = (1 − 2ε) · a b x̃^(a−1) (1 − u)^(b−1)
    ∂w/∂log a  = a b (1 − u)^(b−1) u log x̃
    ∂w/∂log b  = −b (1 − u)^b log(1 − u)

The marginal likelihood's gradient in θ_w chains through the warped points:
with W = ααᵀ − K⁻¹ (R&W Eq. 5.9), ∂ log p(y)/∂w_pj = Σ_q W_pq ∂k(w_p, w_q)/∂w_pj
(K_pp does not depend on w_p), one `Kernel.cross_gradient` pass; then
∂ log p/∂θ_w = Σ_p (∂ log p/∂w_pj) ∂w_pj/∂θ_w.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import cast

import numpy as np

from bayesopt.gp import GaussianProcess, Posterior
from bayesopt.priors import LogNormalPrior
from kernels import Kernel

EPS = 1e-7  # BoTorch's Warp: inputs are mapped to [ε, 1 − ε] before the CDF
WARP_BOUNDS = (math.log(0.1), math.log(10.0))  # on log a and log b
WARP_PRIOR = LogNormalPrior(0.0, math.sqrt(0.75))  # BoTorch's get_warping_transform prior


@dataclass(frozen=True)
class KumaraswamyWarping:
    """The warp of `columns` of a d-column input; parameters θ_w: (2k,), see the module."""

    dim: int
    columns: tuple[int, ...]

    @property
    def n_params(self) -> int:
        return 2 * len(self.columns)

    def _ab(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        k = len(self.columns)
        assert theta.shape == (2 * k,), f"θ_w must have {2 * k} entries, got {theta.shape}"
        return np.exp(theta[:k]), np.exp(theta[k:])

    def _parts(self, X: np.ndarray) -> np.ndarray:
        return EPS + (1.0 - 2.0 * EPS) * X[:, list(self.columns)]  # x̃: (m, k)

    def apply(self, X: np.ndarray, theta: np.ndarray) -> np.ndarray:
        """w(X): (m, d), the columns outside J unchanged."""
        a, b = self._ab(theta)
        out = np.array(X, dtype=float)
        out[:, list(self.columns)] = 1.0 - (1.0 - self._parts(X) ** a) ** b
        return out

    def jacobian(self, X: np.ndarray, theta: np.ndarray) -> np.ndarray:
        """∂w_j/∂x_j: (m, d), 1 on the columns outside J."""
        a, b = self._ab(theta)
        xt = self._parts(X)
        out = np.ones_like(X, dtype=float)
        out[:, list(self.columns)] = (1.0 - 2.0 * EPS) * a * b * xt ** (a - 1.0) \
            * (1.0 - xt**a) ** (b - 1.0)
        return out

    def theta_gradient(self, X: np.ndarray, theta: np.ndarray, G: np.ndarray) -> np.ndarray:
        """Σ_p G_pj ∂w_pj/∂θ_w: (2k,), for G: (n, d) the gradient of a function of w(X)."""
        a, b = self._ab(theta)
        xt = self._parts(X)
        u = xt**a
        g = G[:, list(self.columns)]
        d_log_a = a * b * (1.0 - u) ** (b - 1.0) * u * np.log(xt)
        d_log_b = -b * (1.0 - u) ** b * np.log1p(-u)
        return np.concatenate([np.sum(g * d_log_a, axis=0), np.sum(g * d_log_b, axis=0)])

    def bounds(self) -> list[tuple[float, float]]:
        return [WARP_BOUNDS] * self.n_params

    def log_prior(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        return WARP_PRIOR.log_density(theta)

    def sample_prior(self, rng: np.random.Generator) -> np.ndarray:
        return WARP_PRIOR.sample(rng, self.n_params)


def lml_input_gradient(kernel: Kernel, Xw: np.ndarray, alpha: np.ndarray,
                       K_inv_lower: np.ndarray) -> np.ndarray:
    """∂ log p(y)/∂w: (n, d) at the warped inputs Xw (module docstring), K⁻¹ lower triangle."""
    K_inv = np.tril(K_inv_lower) + np.tril(K_inv_lower, -1).T
    W = np.outer(alpha, alpha) - K_inv  # (n, n)
    return cast(np.ndarray, kernel.cross_gradient(Xw, Xw, W[None])[0])


class WarpedGaussianProcess(GaussianProcess):
    """A `GaussianProcess` on w(X): inputs are warped on the way in, gradients chained out."""

    def __init__(self, kernel: Kernel, noise: float, X: np.ndarray, values: np.ndarray,
                 offset: float, scale: float, warping: KumaraswamyWarping,
                 theta: np.ndarray) -> None:
        self.warping, self.warp_theta = warping, np.asarray(theta, dtype=float)
        super().__init__(kernel, noise, self._warp(X), values, offset, scale)

    def _warp(self, X: np.ndarray) -> np.ndarray:
        return self.warping.apply(X, self.warp_theta)

    def append(self, X_new: np.ndarray, values: np.ndarray, noise: float | None = None) -> None:
        super().append(self._warp(X_new), values, noise)

    def predict(self, Xq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return super().predict(self._warp(Xq))

    def covariance(self, Xq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return super().covariance(self._warp(Xq))

    def predict_switches(self, Xq: np.ndarray,
                         group: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """`GaussianProcess.predict_switches` at w(Xq): the warp leaves one-hot columns as
        they are (None if it warped one of `group`'s)."""
        if set(group.tolist()) & set(self.warping.columns):
            return None
        return super().predict_switches(self._warp(Xq), group)

    def posterior(self, Xq: np.ndarray) -> Posterior | None:
        return super().posterior(self._warp(Xq))

    def predict_with_gradient(
        self, Xq: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        mean, std, d_mean, d_std = super().predict_with_gradient(self._warp(Xq))
        J = self.warping.jacobian(Xq, self.warp_theta)  # (m, d)
        return mean, std, d_mean * J, d_std * J

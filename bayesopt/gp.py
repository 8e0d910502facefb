"""Exact zero-mean Gaussian-process posterior with an appendable Cholesky factor.

Notation (Rasmussen & Williams 2006, ch. 2):

    X     : (n, d)  training inputs in the unit cube
    y     : (n,)    training targets (already standardized by the caller)
    k     : the kernel, s2 its signal variance, σ² the noise variance
    K     : (n, n)  k(X, X) + σ²·I
    L     : lower Cholesky factor of K (+ jitter)
    alpha : (n,)    K⁻¹ y
    X*    : (m, d)  query points, K* = k(X*, X): (m, n)

    mean(x*) = K* alpha                        (R&W Eq. 2.25)
    var(x*)  = s2 − |L⁻¹ K*ᵀ|²                 (R&W Eq. 2.26, Alg. 2.1 lines 4–6)

These are the moments of the latent f, without observation noise.
Gradients in x* (for the acquisition optimizer) are contractions of the
kernel Jacobian with alpha and with K⁻¹K*ᵀ:

    ∂mean/∂x*_j = Σ_b alpha_b ∂k(x*, x_b)/∂x*_j
    ∂var/∂x*_j  = −2 Σ_b (K⁻¹K*ᵀ)_b ∂k(x*, x_b)/∂x*_j
"""

from __future__ import annotations

import numpy as np

from kernels import CholeskyFactor, Kernel

_VARIANCE_FLOOR = 1e-12  # relative to s2; the posterior variance is clamped here


class GaussianProcess:
    """Posterior of a zero-mean GP with fixed hyperparameters.

    `append` adds observations by a block Cholesky append (O(n²k)), `truncate`
    drops the most recent ones (used to undo fantasized observations).
    """

    def __init__(self, kernel: Kernel, noise: float, X: np.ndarray, y: np.ndarray) -> None:
        assert X.ndim == 2 and X.shape[0] == y.shape[0], "X: (n, d) and y: (n,) must agree"
        assert noise > 0, f"noise variance must be positive, got {noise}"
        self.kernel = kernel
        self.noise = float(noise)
        capacity = max(16, 2 * X.shape[0])
        self._X = np.zeros((capacity, X.shape[1]))
        self._y = np.zeros(capacity)
        self._n = X.shape[0]
        self._X[: self._n] = X
        self._y[: self._n] = y
        self.factor = CholeskyFactor.factorize(kernel.matrix(X, noise), capacity=capacity)
        self.alpha = self.factor.solve(y)  # R&W Alg. 2.1, line 3

    @property
    def n(self) -> int:
        return self._n

    @property
    def X(self) -> np.ndarray:
        return self._X[: self._n]

    @property
    def y(self) -> np.ndarray:
        return self._y[: self._n]

    @property
    def jitter(self) -> float:
        return self.factor.jitter

    def set_targets(self, y: np.ndarray) -> None:
        """Replace the targets (e.g. after re-standardizing); K and L do not depend on y."""
        assert y.shape == (self._n,), f"expected {self._n} targets, got shape {y.shape}"
        self._y[: self._n] = y
        self.alpha = self.factor.solve(self.y)

    def append(self, X_new: np.ndarray, y_new: np.ndarray, noise: float | None = None) -> None:
        """Condition on k more observations by a block append of the factor: O(n²k).

        `noise` overrides the noise variance of these rows only (fantasies are
        appended as nearly noise-free); `training_mean` assumes the default.
        """
        k = X_new.shape[0]
        cross = self.kernel.cross(self.X, X_new)  # (n, k)
        block = self.kernel.matrix(X_new, self.noise if noise is None else noise)
        self.factor.append(cross, block)
        self._reserve(self._n + k)
        self._X[self._n : self._n + k] = X_new
        self._y[self._n : self._n + k] = y_new
        self._n += k
        self.alpha = self.factor.solve(self.y)

    def truncate(self, n: int) -> None:
        """Forget every observation after the first n."""
        assert 0 < n <= self._n, f"cannot truncate {self._n} observations to {n}"
        if n == self._n:
            return
        self._n = n
        self.factor.truncate(n)
        self.alpha = self.factor.solve(self.y)

    def _reserve(self, size: int) -> None:
        if size > self._X.shape[0]:
            capacity = max(size, int(1.5 * self._X.shape[0]))
            self._X = np.concatenate([self._X, np.zeros((capacity - self._X.shape[0], self._X.shape[1]))])
            self._y = np.concatenate([self._y, np.zeros(capacity - self._y.shape[0])])

    def predict(self, Xq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Latent mean and variance at Xq: (m, d) → (m,), (m,)."""
        Ks = self.kernel.cross(Xq, self.X)  # (m, n)
        mean = Ks @ self.alpha
        V = self.factor.solve_lower(Ks.T)  # (n, m)
        var = self.kernel.variance - np.einsum("ij,ij->j", V, V)
        return mean, np.maximum(var, _VARIANCE_FLOOR * self.kernel.variance)

    def predict_with_gradient(
        self, Xq: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Mean, standard deviation and their gradients in x*: (m,), (m,), (m, d), (m, d)."""
        Ks = self.kernel.cross(Xq, self.X)
        mean = Ks @ self.alpha
        V = self.factor.solve_lower(Ks.T)
        raw_var = self.kernel.variance - np.einsum("ij,ij->j", V, V)
        floor = _VARIANCE_FLOOR * self.kernel.variance
        var = np.maximum(raw_var, floor)
        std = np.sqrt(var)
        weights = np.stack([np.broadcast_to(self.alpha, Ks.shape), self.factor.solve_upper(V).T])
        d_mean, d_quad = self.kernel.cross_gradient(Xq, self.X, weights)
        d_std = np.where((raw_var > floor)[:, None], -d_quad / std[:, None], 0.0)  # ∂σ = ∂var / 2σ
        return mean, std, d_mean, d_std

    def training_mean(self) -> np.ndarray:
        """Posterior mean at the training inputs: K_f K⁻¹ y = y − (σ² + jitter)·alpha."""
        return self.y - (self.noise + self.jitter) * self.alpha

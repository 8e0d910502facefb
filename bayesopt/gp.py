"""Exact zero-mean Gaussian-process posterior with an appendable Cholesky factor.

Notation (Rasmussen & Williams 2006, ch. 2):

    X      : (n, d)  training inputs in the unit cube
    v      : (n,)    observed values; the GP's targets are t = (v − offset) / scale
    k      : the kernel, s2 its signal variance, σ² the noise variance
    K      : (n, n)  k(X, X) + σ²·I
    L      : lower Cholesky factor of K (+ jitter)
    alpha  : (n,)    K⁻¹ t
    X*     : (m, d)  query points, K* = k(X*, X): (m, n)

    mean(x*) = K* alpha                        (R&W Eq. 2.25)
    var(x*)  = k(x*, x*) − |L⁻¹ K*ᵀ|²          (R&W Eq. 2.26, Alg. 2.1 lines 4–6)

k(x*, x*) is s2 for a stationary kernel, and more at a low budget with the
budget basis (`kernels.Kernel.diagonal`).

These are the moments of the latent f, without observation noise.
Gradients in x* (for the acquisition optimizer) are contractions of the
kernel Jacobian with alpha and with K⁻¹K*ᵀ:

    ∂mean/∂x*_j = Σ_b alpha_b ∂k(x*, x_b)/∂x*_j
    ∂var/∂x*_j  = −2 Σ_b (K⁻¹K*ᵀ)_b ∂k(x*, x_b)/∂x*_j

Incremental targets. alpha = L⁻ᵀ L⁻¹ t, and L⁻¹ t = (L⁻¹v − offset·L⁻¹1) / scale.
The two forward solves z_v = L⁻¹v and z_1 = L⁻¹1 are cached: appending k
rows extends them in O(nk) (`CholeskyFactor.forward_tail`), truncating
keeps their prefix, and re-standardizing only changes (offset, scale).
alpha itself — one backward solve, O(n²) — is computed when a prediction
first needs it. So a tell costs one O(n²k) factor append and nothing else.
"""

from __future__ import annotations

import math
from typing import cast

import numpy as np

from kernels import CholeskyFactor, Kernel
from kernels.jit import cached_njit

VARIANCE_FLOOR = 1e-12  # relative to s2; the posterior variance is clamped here
# `Posterior.std_bound`'s room for the rounding of the computed |L⁻¹k*|², relative to
# k(x*, x*): far above it (bench/results/small_n_step6.md, §2); a larger slack only makes
# the bound looser
STD_BOUND_SLACK = 1e-3
# Entries of K* (m·n) beyond which `predict` works on blocks of rows, so its memory stays
# bounded (K* and L⁻¹K*ᵀ of one block: 2 × 128 MiB) whatever m is. Far above what an ask
# passes: the acquisition optimizer scores n_candidates + n_local_candidates points (2560)
# while n ≤ full_candidates_until (200), and that count scaled by 200/n beyond (at least
# 80), so m·n stays near 2560·200 until n is in the thousands; asks (and `posterior`,
# which keeps K* whole) take the one-block path, unchanged (bench/ask_identity).
PREDICT_BLOCK_ENTRIES = 1 << 24
# Rows per block are a multiple of this: BLAS kernels take rows in groups (of 4 to 16) from
# the start of a call, and a group cut by a block's end rounds differently from whole
# (tests/test_gp.py::test_predict_in_blocks_equals_one_pass)
_BLOCK_ALIGN = 64


@cached_njit()
def _std_and_gradient(
    prior: float, quadratic: np.ndarray, floor: float, d_quad: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """σ = √max(s2 − k*ᵀK⁻¹k*, floor): (m,) and ∂σ/∂x* = −∂(k*ᵀK⁻¹k*)/∂x*·½/σ, 0 where the
    variance is floored: (m, d), with d_quad = ½·∂(k*ᵀK⁻¹k*)/∂x*. The numpy expressions of
    `GaussianProcess.predict_with_gradient` (np.full(m, s2) − quadratic, np.maximum — NaN
    kept —, np.sqrt, −d_quad / σ, np.where) as one loop: the same IEEE operations, so the
    same numbers (tests/test_gp.py holds it to them)."""
    m, d = d_quad.shape
    std, d_std = np.empty(m), np.empty((m, d))
    for i in range(m):
        raw = prior - quadratic[i]
        std[i] = math.sqrt(raw if raw >= floor or math.isnan(raw) else floor)
        for j in range(d):
            d_std[i, j] = -d_quad[i, j] / std[i] if raw > floor else 0.0
    return std, d_std


@cached_njit()
def _single_observation_reductions(Ks: np.ndarray, inverse_diagonal: np.ndarray) -> np.ndarray:
    """r_i = max_b K*_ib²·(1 / K_bb) (0 if n = 0): Ks (m, n), inverse_diagonal (n,) → (m,);
    the numpy ((Ks * Ks) * inverse_diagonal).max(axis=1, initial=0.0) as one loop."""
    m, n = Ks.shape
    out = np.empty(m)
    for i in range(m):
        best = 0.0
        for b in range(n):
            r = Ks[i, b] * Ks[i, b] * inverse_diagonal[b]
            best = max(best, r)
        out[i] = best
    return out


class Posterior:
    """The posterior at m query points, its variances computed only where asked for.

    mean: (m,) at every point; `std(rows)` equals, bit for bit, the rows of the std
    that `predict` gives for all m (the sqrt of its variance), and never exceeds
    `std_bound`: (m,), a bound that needs K* but no triangular solve.

    The bound: conditioning on fewer observations never lowers the posterior variance,
    and given observation b alone it is k(x*, x*) − k(x*, x_b)²/K_bb (R&W Eq. 2.26 with
    n = 1; K_bb = k(x_b, x_b) + its noise and jitter). So var(x*) ≤ k(x*, x*) − r with
    r = max_b k(x*, x_b)²/K_bb. The exact variance is computed in floating point, so the
    bound adds `STD_BOUND_SLACK`·k(x*, x*) (far above the rounding of |L⁻¹k*|²), never
    exceeds k(x*, x*) (the prior's, the bound before) and is floored as the variance is.
    """

    def __init__(self, gp: GaussianProcess, Ks: np.ndarray, mean: np.ndarray,
                 prior: np.ndarray) -> None:
        self._gp, self._Ks, self._prior = gp, Ks, prior  # Ks: (m, n), prior: (m,)
        self.mean = mean
        reduction = _single_observation_reductions(Ks, 1.0 / gp.factored_diagonal())
        variance = np.minimum(prior, np.maximum(prior - reduction, 0.0)
                              + STD_BOUND_SLACK * prior)
        self.std_bound = np.sqrt(np.maximum(variance, VARIANCE_FLOOR * gp.kernel.variance))

    def std(self, rows: np.ndarray) -> np.ndarray:
        """Standard deviation at the given rows (indices into the m points)."""
        return cast(np.ndarray, np.sqrt(self._gp._variance(
            self._Ks[rows], self._Ks.shape[0], self._prior[rows])))


class GaussianProcess:
    """Posterior of a zero-mean GP with fixed hyperparameters.

    `append` adds observations by a block Cholesky append (O(n²k)), `truncate`
    drops the most recent ones (used to undo fantasized observations).
    """

    def __init__(
        self, kernel: Kernel, noise: float, X: np.ndarray, values: np.ndarray,
        offset: float = 0.0, scale: float = 1.0,
    ) -> None:
        assert X.ndim == 2 and X.shape[0] == values.shape[0], (
            "X: (n, d) and values: (n,) must agree")
        assert noise > 0 and scale > 0, f"noise={noise} and scale={scale} must be positive"
        self.kernel = kernel
        self.noise = float(noise)
        self.offset, self.scale = float(offset), float(scale)
        n = X.shape[0]
        capacity = n + max(64, n // 4)  # room for appends until the next refit
        self._X = np.zeros((capacity, X.shape[1]))
        self._Z = np.zeros((capacity, kernel.scaled_columns))  # kernel.scale(X), row by row
        self._v = np.zeros(capacity)
        self._z = np.zeros((2, capacity))  # rows: L⁻¹v and L⁻¹1
        self._diag = np.zeros(capacity)  # what each row has on K's diagonal besides s2
        self._jitter = np.zeros(capacity)  # of it, what the factorization added beyond noise
        self._n: int = n
        self._X[:n], self._v[:n] = X, values
        self._Z[:n] = kernel.scale(X)
        # K is built for the factor alone: factored in its own buffer, then copied into
        # the factor's (a second n×n at the peak, not four)
        self.factor = CholeskyFactor.factorize(kernel.matrix_scaled(self.Z, noise),
                                               capacity=capacity, overwrite=True)
        self._diag[:n] = noise + self.factor.jitter
        self._jitter[:n] = self.factor.jitter
        self._z[:, :n] = self.factor.solve_lower(np.stack([values, np.ones(n)], axis=1)).T
        self._alpha: np.ndarray | None = None

    @property
    def n(self) -> int:
        return self._n

    @property
    def X(self) -> np.ndarray:
        return self._X[: self._n]

    @property
    def Z(self) -> np.ndarray:
        """The training inputs as the kernel's loops take them, kernel.scale(X): (n, d)."""
        return self._Z[: self._n]

    @property
    def values(self) -> np.ndarray:
        return self._v[: self._n]

    @property
    def y(self) -> np.ndarray:
        """The targets t = (v − offset) / scale."""
        return (self.values - self.offset) / self.scale

    @property
    def jitter(self) -> float:
        """The jitter of the factorization at construction, on every row's diagonal."""
        return self.factor.jitter

    @property
    def row_jitter(self) -> np.ndarray:
        """(n,) what the factor has on each row's diagonal beyond its noise variance: `jitter`,
        plus what a block append's Schur complement needed (`CholeskyFactor.append`)."""
        return self._jitter[: self._n]

    @property
    def alpha(self) -> np.ndarray:
        """K⁻¹ t (R&W Alg. 2.1, line 3), one backward solve from the cached L⁻¹ t."""
        if self._alpha is None:
            z_t = (self._z[0, : self._n] - self.offset * self._z[1, : self._n]) / self.scale
            self._alpha = self.factor.solve_upper(z_t)
        return self._alpha

    def log_marginal_likelihood(self) -> float:
        """log p(t | θ) = −½ tᵀα − ½ log det K − (n/2) log 2π (R&W Eq. 2.30), log det K
        = 2 Σ log L_ii from the (possibly jittered) factor."""
        n = self._n
        return (-0.5 * float(self.y @ self.alpha) - 0.5 * self.factor.log_determinant()
                - 0.5 * n * math.log(2.0 * math.pi))

    def set_standardization(self, offset: float, scale: float) -> None:
        """New (offset, scale) for the targets; K and L do not depend on them."""
        assert scale > 0, f"scale={scale} must be positive"
        if (offset, scale) != (self.offset, self.scale):
            self.offset, self.scale = float(offset), float(scale)
            self._alpha = None

    def append(self, X_new: np.ndarray, values: np.ndarray, noise: float | None = None) -> None:
        """Condition on k more observations by a block append of the factor: O(n²k).

        `noise` overrides the noise variance of these rows only (fantasies are
        appended as nearly noise-free).
        """
        n, k = self._n, X_new.shape[0]
        noise = self.noise if noise is None else noise
        cross = self.kernel.cross(self.X, X_new)  # (n, k)
        Z_new = self.kernel.scale(X_new)
        extra = self.factor.append(cross, self.kernel.matrix_scaled(Z_new, noise))
        try:
            self._reserve(n + k)
            self._diag[n : n + k] = noise + self.factor.jitter + extra
            self._jitter[n : n + k] = self.factor.jitter + extra
            self._X[n : n + k], self._v[n : n + k] = X_new, values
            self._Z[n : n + k] = Z_new
            self._z[0, n : n + k] = self.factor.forward_tail(self._z[0, :n], values)
            self._z[1, n : n + k] = self.factor.forward_tail(self._z[1, :n], np.ones(k))
        except BaseException:
            # Ctrl-C (KeyboardInterrupt) after the factor grew: the factor shrinks back, so
            # the GP still holds n rows in both and the next append or ask finds it whole
            self.factor.truncate(n)
            raise
        self._n = n + k
        self._alpha = None

    def truncate(self, n: int) -> None:
        """Forget every observation after the first n (the cached prefixes stay valid)."""
        assert 0 < n <= self._n, f"cannot truncate {self._n} observations to {n}"
        if n != self._n:
            self._n = n
            self.factor.truncate(n)
            self._alpha = None

    def _reserve(self, size: int) -> None:
        capacity = self._X.shape[0]
        if size > capacity:
            grow = max(size, int(1.5 * capacity)) - capacity
            self._X = np.concatenate([self._X, np.zeros((grow, self._X.shape[1]))])
            self._Z = np.concatenate([self._Z, np.zeros((grow, self._Z.shape[1]))])
            self._v = np.concatenate([self._v, np.zeros(grow)])
            self._z = np.concatenate([self._z, np.zeros((2, grow))], axis=1)
            self._diag = np.concatenate([self._diag, np.zeros(grow)])
            self._jitter = np.concatenate([self._jitter, np.zeros(grow)])

    def predict(self, Xq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Latent mean and variance at Xq: (m, d) → (m,), (m,).

        Where m·n exceeds `PREDICT_BLOCK_ENTRIES`, on blocks of rows (a multiple of
        `_BLOCK_ALIGN`): each block's K* is solved as within the whole batch (`_variance`),
        so where the factor solves alike (`CholeskyFactor.solves_alike`) the numbers are
        those of one pass, bit for bit."""
        m = Xq.shape[0]
        rows = max(_BLOCK_ALIGN, PREDICT_BLOCK_ENTRIES // max(1, self._n)
                   // _BLOCK_ALIGN * _BLOCK_ALIGN)
        if m * self._n <= PREDICT_BLOCK_ENTRIES or m <= rows:
            Ks = self.kernel.cross_scaled(Xq, self.Z)  # (m, n)
            return Ks @ self.alpha, self._variance(Ks, m, self.kernel.diagonal(Xq))
        mean, var = np.empty(m), np.empty(m)
        for start in range(0, m, rows):
            block = slice(start, start + rows)
            Ks = self.kernel.cross_scaled(Xq[block], self.Z)  # (rows, n)
            mean[block] = Ks @ self.alpha
            var[block] = self._variance(Ks, m, self.kernel.diagonal(Xq[block]))
        return mean, var

    def predict_switches(self, Xq: np.ndarray,
                         group: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """Latent mean and variance (r, k) at the r·k trials of Xq: (r, d), row i with its
        one-hot columns `group` (k,) set to e_c at [i, c]; K* from each start's squared
        distances (`kernels.Kernel.cross_switching_scaled`), never r·k full rows.
        `predict`'s numbers to rounding (the r² are summed in another order). None where
        the kernel cannot (a budget basis; gates where the group is not active at every row:
        `Kernel.switches_at`)."""
        if not self.kernel.switches_at(Xq, group):
            return None
        r, k = Xq.shape[0], group.shape[0]
        Ks = self.kernel.cross_switching_scaled(Xq, self.Z, group)  # (r·k, n)
        prior = np.full(r * k, self.kernel.variance)  # k(x*, x*) of a stationary kernel
        mean, var = Ks @ self.alpha, self._variance(Ks, r * k, prior)
        return mean.reshape(r, k), var.reshape(r, k)

    def covariance(self, Xq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Latent mean (m,) and covariance (m, m) at Xq: (m, d), jointly.

        k(X*, X*) − VᵀV with V = L⁻¹K*ᵀ (R&W Eq. 2.24; Alg. 2.1, line 5); its diagonal is
        `predict`'s variance (floored, the same solve in the same batch), symmetrized."""
        Ks = self.kernel.cross_scaled(Xq, self.Z)  # (m, n)
        V = self.factor.solve_lower(Ks.T, batch=Ks.shape[0])  # (n, m)
        cov = self.kernel.cross(Xq, Xq) - V.T @ V
        cov = 0.5 * (cov + cov.T)
        np.fill_diagonal(cov, self._variance(Ks, Ks.shape[0], self.kernel.diagonal(Xq)))
        return Ks @ self.alpha, cov

    def posterior(self, Xq: np.ndarray) -> Posterior | None:
        """The mean at every row of Xq: (m, d), the variance of any rows on demand; None
        where the factor cannot solve rows of the batch alike (`CholeskyFactor.solves_alike`)
        or K* would exceed `PREDICT_BLOCK_ENTRIES` (it is kept whole; `predict` is not)."""
        if (Xq.shape[0] * self._n > PREDICT_BLOCK_ENTRIES
                or not self.factor.solves_alike(Xq.shape[0])):
            return None
        Ks = self.kernel.cross_scaled(Xq, self.Z)
        return Posterior(self, Ks, Ks @ self.alpha, self.kernel.diagonal(Xq))

    def _variance(self, Ks: np.ndarray, batch: int, prior: np.ndarray) -> np.ndarray:
        """k(x*, x*) − |L⁻¹K*ᵀ|² (R&W Alg. 2.1, lines 5–6) floored, for Ks: (k, n) taken
        from a batch of `batch` rows, rounded as within that batch
        (`CholeskyFactor.solve_lower`); prior: (k,) the k(x*, x*)."""
        V = self.factor.solve_lower(Ks.T, batch=batch)  # (n, k)
        var = prior - np.einsum("ij,ij->j", V, V)
        return cast(np.ndarray, np.maximum(var, VARIANCE_FLOOR * self.kernel.variance))

    def predict_with_gradient(
        self, Xq: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Mean, standard deviation and their gradients in x*: (m,), (m,), (m, d), (m, d)."""
        Zq = self.kernel.scale(Xq)  # (m, kernel.scaled_columns): once, for K* and its gradient
        Ks, profile = self.kernel.cross_and_profile_scaled(Zq, self.Z)  # (m, n), its g(r)
        mean = Ks @ self.alpha
        V = self.factor.solve_lower(Ks.T)
        quadratic = np.einsum("ij,ij->j", V, V)  # k*ᵀK⁻¹k*
        weights = np.empty((2,) + Ks.shape)  # (2, m, n): alpha in every row; K⁻¹K*ᵀ transposed
        weights[0] = self.alpha
        weights[1] = self.factor.solve_upper(V).T
        d_mean, d_quad = self.kernel.cross_gradient_both_scaled(Xq, Zq, self.Z, weights,
                                                                profile)
        floor = VARIANCE_FLOOR * self.kernel.variance
        d_prior = self.kernel.diagonal_gradient(Xq)
        if d_prior is None:  # a stationary kernel: k(x*, x*) = s2
            std, d_std = _std_and_gradient(self.kernel.variance, quadratic, floor, d_quad)
            return mean, std, d_mean, d_std
        raw_var = self.kernel.diagonal(Xq) - quadratic
        std = np.sqrt(np.maximum(raw_var, floor))
        d_std = -d_quad / std[:, None]  # ∂σ = ∂var / 2σ
        d_std += d_prior / (2.0 * std[:, None])  # k(x*, x*) depends on x* (the budget basis)
        d_std = np.where((raw_var > floor)[:, None], d_std, 0.0)
        return mean, std, d_mean, d_std

    def factored_diagonal(self) -> np.ndarray:
        """K's diagonal: (n,), k(x_b, x_b) plus `noise_diagonal` (what was factored)."""
        return cast(np.ndarray, self.kernel.diagonal(self._X[: self._n]) + self.noise_diagonal)

    @property
    def noise_diagonal(self) -> np.ndarray:
        """D: (n,) what each row has on K's diagonal besides k(x, x), K = K_f + diag(D): its
        noise variance (a fantasy's own, `append`) and any jitter the factorization needed."""
        return self._diag[: self._n]

    def training_mean(self) -> np.ndarray:
        """Latent posterior mean at the training inputs: K_f K⁻¹ t = t − D·alpha
        (`noise_diagonal`)."""
        return cast(np.ndarray, self.y - self.noise_diagonal * self.alpha)

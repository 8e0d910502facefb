"""Noisy expected improvement: LogEI integrated over the noise-free values at the observed points.

Notation (the GP's standardized units; Rasmussen & Williams 2006, ch. 2):

    X      : (n, d)  the GP's inputs — observations, then any fantasies — as its kernel takes them
    K_f    : (n, n)  k(X, X), without noise;  K = K_f + diag(D) its noisy Gram matrix, D: (n,)
                     each row's noise variance and jitter (`GaussianProcess.noise_diagonal`)
    t, α   : (n,)    the GP's targets and α = K⁻¹t
    ε      :         the samples' conditioning noise, min(`NOISE_FREE`·s2, min(D)/2)
    G      : (n,)    D − ε, what is left of each row's noise
    z      : (n,)    f(X) + √ε·e, e ~ N(0, I): what each sample conditions on; y = z + √G·e'
    μ_z    : (n,)    E[z | y] = (K_f + εI)K⁻¹t = t − G·α
    Σ_z    : (n, n)  Cov[z | y] = (K_f + εI) − (K_f + εI)K⁻¹(K_f + εI) = diag(G) − G K⁻¹ G
    E      : (n, S)  quasi-random standard normals (scrambled Sobol, inverse normal CDF)
    F      : (n, S)  samples z_s = μ_z + L_Σ e_s, L_Σ the lower Cholesky factor of Σ_z
    A      : (n, S)  (K_f + εI)⁻¹ F
    b      : (S,)    b_s = min_i F_is, the incumbent of sample s

Noisy EI (Letham, Karrer, Ottoni & Bakshy 2019, "Constrained Bayesian optimization with
noisy experiments", Bayesian Analysis, Sec. 4) is EI integrated over the unknown noise-free
values at the observed points, NEI(x) = E_f(X)[EI(x | f(X))], estimated by quasi-Monte Carlo:

    NEI(x) ≈ (1/S) Σ_s EI_s(x)

with EI_s the analytic EI of the GP conditioned on the sample s, incumbent b_s (the sample's
minimum over the observed points, as BoTorch's qNoisyExpectedImprovement takes the best of
each joint sample at its baseline points). K_f alone is singular to rounding for close
points, so a sample fixes z = f(X) + √ε·e, f(X) up to a noise ε, rather than f(X) itself.
Writing y = z + √G·e' (e' independent of e) keeps that exact: given z, y carries nothing more
about f, so the posterior given z_s is the GP on (X, z_s) with noise ε (R&W Eqs. 2.22–2.24),

    μ_s(x) = k(x, X) A[:, s],   σ²(x) = k(x, x) − k(x, X)(K_f + εI)⁻¹k(X, x)  (one for every s),

and the GP's own posterior is the mixture of the samples' (tower rule and the law of total
variance): E_z[μ_s(x)] = μ(x), σ²(x) + Var_z[μ_s(x)] = σ_GP²(x), so σ ≤ σ_GP. That needs
ε ≤ D: a conditioning noise above the GP's own — a noiseless objective's GP sits at the
fitted noise's floor, far below `NOISE_FREE`·s2 — would make each "noise-free" sample less
certain than the GP near the observations. ε ≤ min(D)/2 also keeps G ≥ D/2, so Σ_z is far
from singular (with equal D, Σ_z ≽ (ε/2)·I), and it is formed from G without the
cancellation of K_f − K_f K⁻¹K_f; z differs from f(X) by √ε, negligible in b_s.

EI_s(x) depends on (b_s − μ_s(x))/σ(x) and σ(x) only, so EI_s is EI with incumbent 0 of the
mean μ_s(x) − b_s: `NoiseFreeSamples` answers with those shifted means, and
`acquisition.averaging` takes log((1/S) Σ_s exp LogEI_s) with its softmax-weighted gradient
(LogEI: Ament et al. 2023, arXiv:2310.20708; BoTorch's qLogNoisyExpectedImprovement is the
Monte-Carlo analogue of the same integral).

S = `N_SAMPLES` = 16. The integrand is smooth in f(X) and the samples are a scrambled Sobol
net (a power of two keeps its balance), so the error shrinks faster than Monte Carlo's
S^-1/2; each sample costs one column of A and one row of the mean's gradient contraction,
while σ(x), the kernel row k(x, X) and its Jacobian are shared — the cost is that of a few
plain LogEI evaluations, not of 16. The base samples E are drawn from the ask's generator
once per proposed point (an integer seed for the scramble, as `Space.sobol` does), so the
acquisition is one deterministic function during its maximization and a resumed run draws
the same E.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np
from scipy.special import ndtri

from acquisition.functions import LogExpectedImprovement
from bayesopt.gp import VARIANCE_FLOOR, GaussianProcess
from bayesopt.model import FANTASY_NOISE, SurrogateModel
from bayesopt.sobol import MAXDIM as SOBOL_MAXDIM
from bayesopt.space import scrambled_sobol, sobol_seed
from bayesopt.warping import WarpedGaussianProcess
from kernels import CholeskyFactor
from kernels.cholesky import cholesky_with_jitter

__all__ = ["NOISE_FREE", "N_SAMPLES", "NoiseFreeSamples", "NoisyImprovementSurrogate",
           "SampleLogEI", "sobol_normals"]

N_SAMPLES = 16  # S, the quasi-Monte-Carlo samples of f(X) (module docstring)
NOISE_FREE = FANTASY_NOISE  # ε / s2 at most (ε ≤ min(D)/2 too): the samples' conditioning noise


class SampleLogEI(LogExpectedImprovement):
    """LogEI with incumbent 0 of a sample's shifted mean μ_s − b_s: EI_s in log space
    (module docstring); named "lognei", as the average over the samples it enters."""

    name = "lognei"

    def __init__(self) -> None:
        super().__init__(0.0)


def sobol_normals(n: int, count: int, rng: np.random.Generator) -> np.ndarray:
    """E: (n, count) standard normals from the first `count` points of an n-dimensional
    scrambled Sobol sequence (inverse CDF), scrambled by an integer seed drawn from `rng`."""
    if n > SOBOL_MAXDIM:  # one dimension per observation; the direction numbers end
        raise ValueError(
            f"acquisition='lognei' draws its samples from an n-dimensional Sobol sequence, "
            f"which exists for n <= {SOBOL_MAXDIM} observations; this model has "
            f"n={n}: use acquisition='logei' (its incumbent, the best posterior mean, is "
            f"noise-aware too)"
        )
    u = scrambled_sobol(n, count, sobol_seed(rng))  # (count, n), in (0, 1)
    tiny = np.finfo(float).eps
    return cast(np.ndarray, ndtri(np.clip(u, tiny, 1.0 - tiny)).T)


class NoiseFreeSamples:
    """The S noise-free posteriors of one GP, shifted by their incumbents (module docstring).

    Queries take the GP's inputs (a `SurrogateModel`'s `_inputs`); a warped GP's
    warping is applied here and chained out of the gradients as `WarpedGaussianProcess`
    does.
    """

    def __init__(self, gp: GaussianProcess, normals: np.ndarray) -> None:
        assert normals.ndim == 2 and normals.shape[0] == gp.n, "normals: (n, S)"
        self.gp, kernel = gp, gp.kernel
        D = gp.noise_diagonal  # (n,)
        eps = min(NOISE_FREE * kernel.variance, 0.5 * float(np.min(D)))
        self.factor = CholeskyFactor.factorize(kernel.matrix_scaled(gp.Z, eps), overwrite=True)
        self.epsilon = eps + self.factor.jitter  # ε, with any jitter the factor needed
        G = np.maximum(D - self.epsilon, 0.0)  # (n,); 0 only if the factor needed ε > D
        # Σ_z = diag(G) − (L⁻¹G)ᵀ(L⁻¹G), L the GP's factor of K; jitter relative to D, its
        # scale (0 ≼ Σ_z ≼ diag(G))
        diag_G = np.diag(G)  # (n, n)
        V = gp.factor.solve_lower(diag_G)  # (n, n)
        cov = diag_G - V.T @ V
        L_cov, _ = cholesky_with_jitter(0.5 * (cov + cov.T), scale=float(np.mean(D)))
        F = (gp.y - G * gp.alpha)[:, None] + L_cov @ normals  # μ_z + L_Σ E: (n, S)
        self.weights = self.factor.solve(F)  # A: (n, S)
        self.incumbents = F.min(axis=0)  # b: (S,)
        self.values = F

    def _warp(self, Xq: np.ndarray) -> np.ndarray:
        gp = self.gp
        return gp.warping.apply(Xq, gp.warp_theta) if isinstance(gp, WarpedGaussianProcess) else Xq

    def _std(self, V: np.ndarray, prior: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """σ (m,) from V = L_ε⁻¹ k(X, X*) (n, m) and k(x*, x*) (m,), and the unfloored variance."""
        raw = prior - np.einsum("ij,ij->j", V, V)
        return np.sqrt(np.maximum(raw, VARIANCE_FLOOR * self.gp.kernel.variance)), raw

    def predict_samples(self, Xq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """μ_s − b_s and σ at Xq: (m, d) → (S, m), (S, m)."""
        Xw = self._warp(Xq)
        kernel = self.gp.kernel
        Ks = kernel.cross_scaled(Xw, self.gp.Z)  # (m, n)
        means, std = self._moments(Ks, kernel.diagonal(Xw))
        return means, np.broadcast_to(std, means.shape)

    def _moments(self, Ks: np.ndarray, prior: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """μ_s − b_s (S, m) and σ (m,) from k(X*, X) `Ks` (m, n) and k(x*, x*) `prior` (m,)."""
        std, _ = self._std(self.factor.solve_lower(Ks.T), prior)
        return (Ks @ self.weights).T - self.incumbents[:, None], std

    def predict_samples_switches(self, Xq: np.ndarray,
                                 group: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """μ_s − b_s and σ (S, r, k) at the trials of Xq: (r, d) with the one-hot columns
        `group` (k,) set to each e_c, K* from each start's squared distances
        (`kernels.Kernel.cross_switching_scaled`; the warp leaves one-hot columns as they
        are), `predict_samples`' to rounding; None where the kernel cannot."""
        kernel, warped = self.gp.kernel, self._warp(Xq)
        if not kernel.switches_at(warped, group):
            return None
        r, k = Xq.shape[0], group.shape[0]
        Ks = kernel.cross_switching_scaled(warped, self.gp.Z, group)  # (r·k, n)
        means, std = self._moments(Ks, np.full(r * k, kernel.variance))  # (S, r·k), (r·k,)
        S = means.shape[0]
        return means.reshape(S, r, k), np.broadcast_to(std.reshape(r, k), (S, r, k))

    def predict_samples_with_gradient(
        self, Xq: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """μ_s − b_s, σ and their gradients in x*: (S, m), (S, m), (S, m, d), (S, m, d).

        ∂μ_s/∂x*_j = Σ_b A_bs ∂k(x*, x_b)/∂x*_j and ∂σ²/∂x*_j = −2 Σ_b (K_ε⁻¹k*)_b ∂k/∂x*_j,
        one kernel contraction with S + 1 channels (as `GaussianProcess.predict_with_gradient`
        with its two)."""
        Xw = self._warp(Xq)
        gp, kernel, S = self.gp, self.gp.kernel, self.weights.shape[1]
        Zq = kernel.scale(Xw)
        Ks = kernel.cross_both_scaled(Zq, gp.Z)  # (m, n)
        V = self.factor.solve_lower(Ks.T)  # (n, m)
        std, raw = self._std(V, kernel.diagonal(Xw))
        W = np.empty((S + 1,) + Ks.shape)  # (S + 1, m, n)
        W[:S] = self.weights.T[:, None, :]
        W[S] = self.factor.solve_upper(V).T
        grads = kernel.cross_gradient_both_scaled(Xw, Zq, gp.Z, W)  # (S + 1, m, d)
        d_std = -grads[S] / std[:, None]  # ∂σ = ∂σ² / 2σ
        d_prior = kernel.diagonal_gradient(Xw)
        if d_prior is not None:
            d_std += d_prior / (2.0 * std[:, None])
        d_std = np.where((raw > VARIANCE_FLOOR * kernel.variance)[:, None], d_std, 0.0)
        d_mean = grads[:S]
        if isinstance(gp, WarpedGaussianProcess):
            J = gp.warping.jacobian(Xq, gp.warp_theta)  # (m, d)
            d_mean, d_std = d_mean * J[None], d_std * J
        means = (Ks @ self.weights).T - self.incumbents[:, None]
        return (means, np.broadcast_to(std, means.shape), d_mean,
                np.broadcast_to(d_std, d_mean.shape))


@dataclass(frozen=True)
class NoisyImprovementSurrogate:
    """A model seen through `NoiseFreeSamples` of its GP, for `acquisition.averaging`:
    `predict_samples*` answer with the S shifted noise-free posteriors (equal weights);
    `predict*` are the model's own (penalties and screening read them)."""

    model: SurrogateModel
    samples: NoiseFreeSamples

    @classmethod
    def draw(cls, model: SurrogateModel, rng: np.random.Generator,
             count: int = N_SAMPLES) -> NoisyImprovementSurrogate:
        """The model's GP (with its fantasies) and `count` base samples drawn from `rng`."""
        gp = model.gp
        assert isinstance(gp, GaussianProcess), "one GP: lognei refuses hyperparameter samples"
        return cls(model, NoiseFreeSamples(gp, sobol_normals(gp.n, count, rng)))

    def predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.model.predict(X)

    def predict_with_gradient(
            self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        return self.model.predict_with_gradient(X)

    def predict_samples(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.samples.predict_samples(self.model.gp_inputs(X))

    def predict_samples_switches(self, X: np.ndarray,
                                 group: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        return self.samples.predict_samples_switches(self.model.gp_inputs(X), group)

    def predict_samples_with_gradient(
            self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        out = self.samples.predict_samples_with_gradient(self.model.gp_inputs(X))
        return self.model.chain_to_inputs(out)

    def sample_log_weights(self) -> np.ndarray | None:
        return None

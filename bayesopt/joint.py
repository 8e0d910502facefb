"""The joint posterior at m points: covariance and joint draws (`Surrogate.covariance`, `.sample`).

    μ_s : (m,)    latent mean of member s on the GP's scale (one member without a mixture)
    Σ_s : (m, m)  its latent covariance, k(X*, X*) − VᵀV (R&W Eq. 2.24), plus σ_s²·I with
                  noise (each of the m rows is its own new observation, so two rows at the
                  same point share f but not ε: their covariance is the latent variance)
    w_s : (S,)    the members' weights (1/S over hyperparameter samples)
    μ, Σ          the mixture's moments, by the law of total covariance:
                  μ = Σ_s w_s μ_s,  Σ = Σ_s w_s Σ_s + Σ_s w_s (μ_s − μ)(μ_s − μ)ᵀ
    g             f ↦ objective units (`SurrogateModel.to_objective`)

Covariance of g(F), F ~ N(μ, Σ) (`bayesopt.surrogate`'s predictive, jointly). With
ρ = Σ_ij/√(v_i v_j) and the standardized F_i = μ_i + s_i X, F_j = μ_j + s_j Y, corr(X, Y) = ρ,
Mehler's formula (the Hermite expansion of the bivariate normal density: Mehler, J. reine
angew. Math. 66, 1866; Kibble, Proc. Cambridge Philos. Soc. 41, 1945) gives

    Cov(g(F_i), g(F_j)) = Σ_{k≥1} ρ^k c_ik c_jk,   c_ik = E[g(μ_i + s_i X) h_k(X)],

h_k = He_k/√k! the orthonormal probabilists' Hermite polynomials (h_{k+1} = (x h_k −
√k h_{k−1})/√(k+1)). Each term is positive semidefinite in (i, j) (a Schur product of
the PSD [ρ_ij^k] with c_k c_kᵀ), so the truncated sum is too. c_ik are taken by the same
trapezoid rule as `predict`'s moments (`bayesopt.surrogate._NODES`); the K terms are summed
pair by pair in one Numba loop (`kernels.mehler.mehler_series`; its numpy twin is the m×m
pass per term this module ran before, `kernels.reference.mehler_series`). By Cauchy–Schwarz the
terms left out after K are at most |ρ|^{K+1}·√(t_i t_j), t_i = Var g(F_i) − Σ_{k≤K} c_ik²;
where this bound exceeds MEHLER_TOLERANCE·√(Var_i Var_j) (points correlated nearly 1,
whose series converges slowly at the saturation knee, which is only C¹) the pair is
integrated directly: the product trapezoid rule on (x_a, y_b), Y = ρX + √(1 − ρ²)Z (the
Cholesky factor of the 2×2 correlation), q² evaluations of g per pair; where
1 − |ρ| ≤ SAME_POINT (a point given twice), Y = ±X and the pair is one integral over x_a.

Joint draws (`draw`): F = μ_s + L_s z, z ~ N(0, I), L_s the lower Cholesky factor of Σ_s
(R&W Sec. A.2), member s picked per draw with probability w_s; then Y = ±g(F). A draw is
exact for the model whatever g is, since g acts on each coordinate of F. MAX_POINTS bounds
m, so no (m, m) matrix exceeds 32 MiB.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from kernels.cholesky import CholeskyError, cholesky_with_jitter
from kernels.mehler import mehler_series

Member = tuple[float, np.ndarray, np.ndarray, float]  # (w_s, μ_s (m,), Σ_s (m, m), σ_s²)

MAX_POINTS = 2048  # an (m, m) float64 matrix of at most 32 MiB
MEHLER_TERMS = 400  # K: Hermite terms of Mehler's series
MEHLER_TOLERANCE = 1e-6  # relative bound on the terms left out, else the pair is integrated
SAME_POINT = 1e-9  # 1 − |ρ| below which Y = ±X is integrated in one dimension (error ~ 1 − |ρ|)


def moments(members: Sequence[Member], noise: bool) -> tuple[np.ndarray, np.ndarray]:
    """μ: (m,) and Σ: (m, m) of the mixture of the members (law of total covariance)."""
    mu = sum(w * m for w, m, _, _ in members)
    assert isinstance(mu, np.ndarray)
    cov = np.zeros((mu.size, mu.size))
    for w, m, c, s2 in members:
        d = m - mu
        cov += w * (c + np.outer(d, d))
        if noise:
            cov[np.diag_indices_from(cov)] += w * s2
    return mu, cov


def transformed_covariance(g: Callable[[np.ndarray], np.ndarray], mu: np.ndarray,
                           std: np.ndarray, cov: np.ndarray, nodes: np.ndarray,
                           weights: np.ndarray) -> np.ndarray:
    """Cov(g(F)) for F ~ N(mu, cov), std = √diag(cov): (m,) (module docstring); the
    diagonal is left to the caller. nodes, weights: (q,) the trapezoid rule of `predict`."""
    assert np.allclose(nodes, -nodes[::-1], rtol=0.0, atol=1e-12), "nodes symmetric about 0"
    rho = np.clip(cov / np.outer(std, std), -1.0, 1.0)  # (m, m)
    dev = np.empty((mu.size, nodes.size))  # g(F_i) − E g(F_i) at the nodes: (m, q)
    for start in range(0, mu.size, 1024):
        rows = slice(start, start + 1024)
        values = g(mu[rows, None] + std[rows, None] * nodes)
        dev[rows] = values - (values @ weights)[:, None]
    variance = (dev**2) @ weights  # (m,)
    coefficients = (dev * weights) @ _hermite(nodes, MEHLER_TERMS)  # c_ik: (m, K)
    out, power = mehler_series(rho, coefficients)  # Σ_k ρ^k c_ik c_jk and ρ^K: (m, m) each
    tail = np.maximum(variance - np.sum(coefficients**2, axis=1), 0.0)  # t_i: (m,)
    bound = np.abs(power * rho) * np.sqrt(np.outer(tail, tail))
    scale = np.sqrt(np.outer(variance, variance))
    loose = np.argwhere(np.triu(bound > MEHLER_TOLERANCE * scale, 1))
    for i, j in loose:
        if 1.0 - abs(rho[i, j]) <= SAME_POINT:  # Y = ±X: one dimension (a point given twice)
            other = dev[j] if rho[i, j] > 0 else dev[j, ::-1]  # the nodes are symmetric
            out[i, j] = out[j, i] = float((dev[i] * weights) @ other)
        else:
            out[i, j] = out[j, i] = _pair(g, mu[j], std[j], rho[i, j], dev[i], nodes, weights)
    return out


def _hermite(x: np.ndarray, K: int) -> np.ndarray:
    """h_1 … h_K at x: (q,) → (q, K), by the three-term recurrence."""
    out = np.empty((x.size, K))
    previous, current = np.zeros_like(x), np.ones_like(x)
    for k in range(K):
        previous, current = current, (x * current - math.sqrt(k) * previous) / math.sqrt(k + 1)
        out[:, k] = current
    return out


def _pair(g: Callable[[np.ndarray], np.ndarray], mu_j: float, std_j: float, rho: float,
          dev_i: np.ndarray, nodes: np.ndarray, weights: np.ndarray) -> float:
    """Σ_a Σ_b w_a w_b (g_i(x_a) − E_i)(g_j(μ_j + s_j(ρ x_a + √(1 − ρ²) y_b)) − E_j)."""
    values = g(mu_j + std_j * (rho * nodes[:, None] + math.sqrt(1.0 - rho**2) * nodes[None, :]))
    inner = values @ weights  # E[g(F_j) | X = x_a]: (q,)
    return float((dev_i * weights) @ (inner - inner @ weights))


def draw(members: Sequence[Member], size: int, noise: bool,
         rng: np.random.Generator) -> np.ndarray:
    """(size, m) joint latent draws: each row picks its member by the weights, then
    μ_s + L_s z, L_s the Cholesky factor of Σ_s (+ σ_s²·I with noise) with the smallest
    jitter of `kernels.cholesky`'s ladder (none when it factorizes)."""
    m = members[0][1].size
    which = (np.zeros(size, dtype=int) if len(members) == 1 else
             rng.choice(len(members), size=size, p=np.array([w for w, _, _, _ in members])))
    out = np.empty((size, m))
    for s, (_, mean, cov, s2) in enumerate(members):
        rows = np.flatnonzero(which == s)
        if rows.size == 0:
            continue
        if noise:
            cov = cov + s2 * np.eye(m)
        try:
            L, _ = cholesky_with_jitter(cov)
        except CholeskyError as error:
            raise CholeskyError(f"the joint posterior covariance at the {m} points cannot be "
                                f"factorized ({error}); check the points and the fit") from None
        out[rows] = mean + rng.standard_normal((rows.size, m)) @ L.T
    return out

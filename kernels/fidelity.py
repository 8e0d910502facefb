"""A budget kernel: the top budget as the limit of a decaying bias (FABOLAS's basis).

    X  : (n, d) inputs, the last column the budget level z ∈ [0, 1] (1: the top budget)
    x  : the first d − 1 columns (the configuration), l : (d − 1,) their lengthscales
    p  : the basis' power (2: FABOLAS's; 1: a bias linear in 1 − z)
    u  = (1 − z)^p,  v = τ·u                   (the basis' decaying function, scaled)
    θ  = (log l_1 … log l_{d−1}, log τ², log s2)   shape (d + 1,), the slot of z's
                                                    lengthscale holding log τ²

    k((x, z), (x′, z′)) = s2·κ(|x − x′|/l) · (1 + τ²·u·u′)          (Eq. 1)

With p = 2 this is the budget kernel of Klein et al. (2017), "Fast Bayesian
Optimization of Machine Learning Hyperparameters on Large Datasets" (FABOLAS,
AISTATS 2017), k_z(z, z′) = φ(z)ᵀΣφ(z′) with the basis φ(z) = (1, (1 − z)²), here
with a diagonal Σ = diag(1, τ²) (the kernel's signal variance s2 takes Σ's scale);
with p = 1 the bias is that of the linear truncated kernel of Wu et al. (2019,
"Practical Multi-fidelity Bayesian Optimization for Hyperparameter Tuning"),
(1 − z)(1 − z′), without its polynomial factor and separate bias kernel. As a
model, f(x, z) = g₀(x) + (1 − z)^p·g₁(x) with g₀, g₁ independent GPs of covariance
s2·κ and τ²·s2·κ: every budget sees the top budget's function g₀ plus a bias that
vanishes at z = 1, so f(·, 1) = g₀ is the limit of a decaying learning curve.
κ is the stationary profile of `kernels.stationary`.

With a budget lengthscale l_z (`Kernel(budget_lengthscale=True)`) z is also an input of κ:

    k((x, z), (x′, z′)) = s2·κ(√(|x − x′|²/l² + (z − z′)²/l_z²)) · (1 + τ²·u·u′)   (Eq. 3)

θ = (log l_1 … log l_{d−1}, log l_z, log τ², log s2), shape (d + 2,). τ → 0 gives the
stationary kernel of (x, z) (the default budget input), l_z → ∞ Eq. 1. This sum-of-
squares form is chosen over the product k_x(x, x′)·k_z(z, z′)·(1 + τ²uu′) because its
τ → 0 limit *is* the default ARD kernel (for Matérn-5/2 the product of two Matérns is
not), and because everything below holds with Z's stationary columns (x/l, z/l_z).

Scaled inputs (what `Kernel.scale` returns and the `*_scaled` methods take):
Z = (x / l, v), or (x / l, z / l_z, v) for Eq. 3, row by row. With D = diag(v) and K_x
the stationary matrix of all but the last column of Z, Eq. 1 (and Eq. 3) is

    K = K_x ∘ (11ᵀ + vvᵀ) = K_x + D·K_x·D                             (Eq. 2)

so every θ-derivative is a stationary one, or the stationary one between D's:
∂K/∂θ_j = ∂K_x/∂θ_j + D·(∂K_x/∂θ_j)·D for log l_j and log s2, ∂K/∂log τ² = D·K_x·D.
With W = ααᵀ − K⁻¹ (R&W Eq. 5.9), ½tr(W·D·A·D) = ½tr((DWD)·A) and
DWD = (Dα)(Dα)ᵀ − D·K⁻¹·D, so the gradient is two passes of the stationary
contraction `stationary.lml_gradient_contraction`, one with (α, K⁻¹) and one with
(Dα, D·K⁻¹·D), and no (n, n, d) tensor. `kernels.reference.fidelity_*` is the dense
numpy twin the tests compare against.
"""

from __future__ import annotations

import numpy as np

from kernels import stationary


def budget_weight(z: np.ndarray, tau: float, power: int) -> np.ndarray:
    """v = τ·(1 − z)^p for budget levels z: (n,) → (n,)."""
    return tau * (1.0 - z) ** power


def matrix(kind: int, Z: np.ndarray, s2: float, diag_add: float,
           profile: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """K of Eq. 2 + diag_add·I for scaled inputs Z: (n, d); with `profile`, the
    stationary part's pair profile (`stationary.kernel_matrix_with_profile`)."""
    Zx, v = np.ascontiguousarray(Z[:, :-1]), Z[:, -1]
    if profile:
        K, P = stationary.kernel_matrix_with_profile(kind, Zx, s2, 0.0)
    else:
        K, P = stationary.kernel_matrix(kind, Zx, s2, 0.0), None
    K *= 1.0 + np.outer(v, v)
    K[np.diag_indices_from(K)] += diag_add
    return K, P


def cross(kind: int, Zq: np.ndarray, Z: np.ndarray, s2: float) -> np.ndarray:
    """K(X*, X) of Eq. 1 for scaled Zq: (m, d), Z: (n, d) → (m, n)."""
    Kx = stationary.cross_kernel(kind, np.ascontiguousarray(Zq[:, :-1]),
                                 np.ascontiguousarray(Z[:, :-1]), s2)
    return Kx * (1.0 + np.outer(Zq[:, -1], Z[:, -1]))


def theta_gradient(Z: np.ndarray, s2: float, alpha: np.ndarray, K_inv: np.ndarray,
                   profile: np.ndarray) -> np.ndarray:
    """½·tr((ααᵀ − K⁻¹)·∂K/∂θ): (d + 1,) in the order of θ (module docstring), from two
    stationary contractions (plain, and between D's). K_inv: lower triangle read."""
    Zx, v = np.ascontiguousarray(Z[:, :-1]), Z[:, -1]
    plain = stationary.lml_gradient_contraction(Zx, s2, alpha, K_inv, profile)
    inner = stationary.lml_gradient_contraction(
        Zx, s2, v * alpha, np.ascontiguousarray(K_inv * np.outer(v, v)), profile)
    both = plain + inner  # (d,): ∂/∂log l_1 … l_{d−1}, then ∂/∂log s2
    return np.concatenate([both[:-1], inner[-1:], both[-1:]])


def cross_gradient(kind: int, Zq: np.ndarray, Z: np.ndarray, inv_lengthscales: np.ndarray,
                   s2: float, tau: float, power: int, zq: np.ndarray,
                   W: np.ndarray, budget_lengthscale: bool = False) -> np.ndarray:
    """Σ_b W_cib ∂k(x*_i, x_b)/∂x*_ij: (c, m, d) for W: (c, m, n); zq: (m,) the queries'
    budget levels, inv_lengthscales: (k,) of the stationary part's k columns (d − 1, or d
    with `budget_lengthscale`: z then enters κ too, and its two terms add).
    ∂v*/∂z* = −pτ(1 − z*)^(p−1)."""
    Zqx, Zx = np.ascontiguousarray(Zq[:, :-1]), np.ascontiguousarray(Z[:, :-1])
    C = 1.0 + np.outer(Zq[:, -1], Z[:, -1])  # (m, n)
    part = stationary.cross_gradient_contraction(
        kind, Zqx, Zx, inv_lengthscales, s2, np.ascontiguousarray(W * C))  # (c, m, k)
    Kx = stationary.cross_kernel(kind, Zqx, Zx, s2)  # (m, n)
    dv = -power * tau * (1.0 - zq) ** (power - 1)  # (m,)
    basis = np.einsum("cib,ib,b->ci", W, Kx, Z[:, -1]) * dv  # (c, m)
    if budget_lengthscale:
        part[..., -1] += basis
        return part
    return np.concatenate([part, basis[..., None]], axis=-1)


def diagonal_gradient(Xq: np.ndarray, s2: float, tau: float, power: int) -> np.ndarray:
    """∂k(x*, x*)/∂x*: (m, d) of k(x*, x*) = s2·(1 + v*²); only z* contributes:
    2·s2·v*·∂v*/∂z* = −2p·s2·τ²(1 − z*)^(2p − 1)."""
    out = np.zeros(Xq.shape)
    out[:, -1] = -2.0 * power * s2 * tau**2 * (1.0 - Xq[:, -1]) ** (2 * power - 1)
    return out

"""Plain-numpy twins of the Numba kernels in `kernels.stationary`.

Written for clarity, not speed: dense broadcasting, the full (n, n, d)
derivative tensor where the Numba code contracts on the fly. The tests
assert that both give the same numbers; the benchmarks use these as the
numpy reference.
"""

from __future__ import annotations

from typing import cast

import numpy as np

from kernels.stationary import EXP_FLUSH, MATERN12, MATERN32, MATERN52, RBF


def radial_profile(kind: int, r2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(κ(r), κ'(r)/r) elementwise, as `stationary.radial_profile`."""
    r = np.sqrt(r2)
    if kind == RBF:
        k = _flushed(np.exp(-0.5 * r2))
        return k, -k
    if kind == MATERN52:
        e = _flushed(np.exp(-np.sqrt(5.0) * r))
        return (1 + np.sqrt(5.0) * r + 5.0 / 3.0 * r2) * e, -5.0 / 3.0 * (1 + np.sqrt(5.0) * r) * e
    if kind == MATERN32:
        e = _flushed(np.exp(-np.sqrt(3.0) * r))
        return (1 + np.sqrt(3.0) * r) * e, -3.0 * e
    if kind == MATERN12:
        e = _flushed(np.exp(-r))
        g = np.zeros_like(r)
        np.divide(-e, r, out=g, where=r > 0)
        return e, g
    raise ValueError(f"unknown kernel kind {kind}")


def _flushed(e: np.ndarray) -> np.ndarray:
    """e with the entries below `EXP_FLUSH` set to 0."""
    return np.where(e >= EXP_FLUSH, e, 0.0)


def _pairwise_differences(Zq: np.ndarray, Z: np.ndarray) -> np.ndarray:
    return cast(np.ndarray, Zq[:, None, :] - Z[None, :, :])  # (m, n, d)


def kernel_matrix(kind: int, Z: np.ndarray, s2: float, diag_add: float) -> np.ndarray:
    K = cross_kernel(kind, Z, Z, s2)
    return K + diag_add * np.eye(Z.shape[0])


def kernel_matrix_with_profile(
    kind: int, Z: np.ndarray, s2: float, diag_add: float
) -> tuple[np.ndarray, np.ndarray]:
    """K and the (κ, g) of each pair (a, b < a), packed row by row: (n(n − 1)/2, 2)."""
    rows, cols = np.tril_indices(Z.shape[0], -1)  # row-major: a ascending, then b < a
    k, g = radial_profile(kind, np.sum((Z[rows] - Z[cols]) ** 2, axis=-1))
    return kernel_matrix(kind, Z, s2, diag_add), np.stack([k, g], axis=1)


def cross_kernel(kind: int, Zq: np.ndarray, Z: np.ndarray, s2: float) -> np.ndarray:
    r2 = np.sum(_pairwise_differences(Zq, Z) ** 2, axis=-1)
    return s2 * radial_profile(kind, r2)[0]


def kernel_of_squared_distances(kind: int, R2: np.ndarray, s2: float) -> np.ndarray:
    """s2·κ(r) of each r² of R2: (m, n), as `stationary.kernel_of_squared_distances`."""
    return s2 * radial_profile(kind, R2)[0]


def cross_kernel_with_profile(
    kind: int, Zq: np.ndarray, Z: np.ndarray, s2: float
) -> tuple[np.ndarray, np.ndarray]:
    """K*: (m, n) and g(r) = κ'(r)/r of each pair: (m, n)."""
    k, g = radial_profile(kind, np.sum(_pairwise_differences(Zq, Z) ** 2, axis=-1))
    return s2 * k, g


def kernel_theta_jacobian(kind: int, Z: np.ndarray, s2: float) -> np.ndarray:
    """∂K/∂θ as a dense (n, n, d + 1) tensor, θ = (log l, log s2)."""
    diff = _pairwise_differences(Z, Z)
    k, g = radial_profile(kind, np.sum(diff**2, axis=-1))
    d_log_l = -s2 * g[:, :, None] * diff**2
    return np.concatenate([d_log_l, (s2 * k)[:, :, None]], axis=-1)


def lml_gradient_contraction(
    kind: int, Z: np.ndarray, s2: float, alpha: np.ndarray, K_inv: np.ndarray
) -> np.ndarray:
    """½·tr((ααᵀ − K⁻¹)·∂K/∂θ) (R&W Eq. 5.9) with the dense tensor; K_inv symmetric."""
    W = np.outer(alpha, alpha) - K_inv
    return cast(np.ndarray, 0.5 * np.einsum("ab,abj->j", W, kernel_theta_jacobian(kind, Z, s2)))


def cross_gradient_contraction(
    kind: int, Zq: np.ndarray, Z: np.ndarray, inv_lengthscales: np.ndarray, s2: float,
    W: np.ndarray,
) -> np.ndarray:
    diff = _pairwise_differences(Zq, Z)
    _, g = radial_profile(kind, np.sum(diff**2, axis=-1))
    jac = s2 * g[:, :, None] * diff * inv_lengthscales  # ∂k(x*_i, x_b)/∂x*_ij: (m, n, d)
    return cast(np.ndarray, np.einsum("cib,ibj->cij", W, jac))


def cross_gradient_from_profile(
    Zq: np.ndarray, Z: np.ndarray, inv_lengthscales: np.ndarray, s2: float, W: np.ndarray,
    G: np.ndarray,
) -> np.ndarray:
    """`cross_gradient_contraction` with the pairs' g(r): (m, n) given."""
    jac = s2 * G[:, :, None] * _pairwise_differences(Zq, Z) * inv_lengthscales  # (m, n, d)
    return cast(np.ndarray, np.einsum("cib,ibj->cij", W, jac))


def impute(X: np.ndarray, gates: tuple[int, ...], value: float) -> np.ndarray:
    """φ(X) of a gated kernel (`kernels.kernel`), one entry at a time: x_ij → value
    when gates[j] ≥ 0 and x_i,gates[j] ≤ ½."""
    out = np.array(X, dtype=np.float64)
    for i in range(X.shape[0]):
        for j, g in enumerate(gates):
            if g >= 0 and not X[i, g] > 0.5:
                out[i, j] = value
    return out


def _stationary_columns(X: np.ndarray, budget_lengthscale: bool) -> np.ndarray:
    """The columns κ sees: the configuration's, and the budget level's with its lengthscale."""
    return X if budget_lengthscale else X[:, :-1]


def fidelity_cross_kernel(kind: int, Xq: np.ndarray, X: np.ndarray, theta: np.ndarray,
                          power: int, budget_lengthscale: bool = False) -> np.ndarray:
    """The budget-basis kernel (`kernels.fidelity`, Eq. 1) straight from its formula:
    s2·κ(|x − x′|/l)·(1 + τ²(1 − z)^p(1 − z′)^p), z the last column; θ = (log l, log τ², log s2),
    l over the configuration's columns, and z's too with `budget_lengthscale`."""
    l, tau2, s2 = np.exp(theta[:-2]), np.exp(theta[-2]), np.exp(theta[-1])
    Sq, S = _stationary_columns(Xq, budget_lengthscale), _stationary_columns(X, budget_lengthscale)
    r2 = np.sum(_pairwise_differences(Sq / l, S / l) ** 2, axis=-1)
    u = np.outer((1 - Xq[:, -1]) ** power, (1 - X[:, -1]) ** power)
    return cast(np.ndarray, s2 * radial_profile(kind, r2)[0] * (1 + tau2 * u))


def fidelity_theta_jacobian(kind: int, X: np.ndarray, theta: np.ndarray, power: int,
                            budget_lengthscale: bool = False) -> np.ndarray:
    """∂K/∂θ of the budget-basis kernel as a dense (n, n, θ's size) tensor, θ as above."""
    l, tau2, s2 = np.exp(theta[:-2]), np.exp(theta[-2]), np.exp(theta[-1])
    S = _stationary_columns(X, budget_lengthscale) / l
    diff = _pairwise_differences(S, S)
    k, g = radial_profile(kind, np.sum(diff**2, axis=-1))
    u = np.outer((1 - X[:, -1]) ** power, (1 - X[:, -1]) ** power)
    d_log_l = -s2 * (g * (1 + tau2 * u))[:, :, None] * diff**2
    d_log_tau2 = s2 * k * tau2 * u
    d_log_s2 = s2 * k * (1 + tau2 * u)
    return np.concatenate([d_log_l, d_log_tau2[:, :, None], d_log_s2[:, :, None]], axis=-1)


def fidelity_lml_gradient_contraction(kind: int, X: np.ndarray, theta: np.ndarray, power: int,
                                      alpha: np.ndarray, K_inv: np.ndarray,
                                      budget_lengthscale: bool = False) -> np.ndarray:
    """½·tr((ααᵀ − K⁻¹)·∂K/∂θ) with the dense tensor; K_inv symmetric."""
    W = np.outer(alpha, alpha) - K_inv
    jacobian = fidelity_theta_jacobian(kind, X, theta, power, budget_lengthscale)
    return cast(np.ndarray, 0.5 * np.einsum("ab,abj->j", W, jacobian))


def mehler_series(rho: np.ndarray, coefficients: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Twin of `kernels.mehler.mehler_series`: Σ_k ρ^k ⊙ c_k c_kᵀ and ρ^K, one (m, m) pass
    per term (the loop `bayesopt.joint.transformed_covariance` ran before it was jitted)."""
    out, power = np.zeros_like(rho), np.ones_like(rho)
    for k in range(coefficients.shape[1]):
        power *= rho
        out += power * np.outer(coefficients[:, k], coefficients[:, k])
    return out, power

"""Tests for kernels.stationary (Numba) against kernels.reference (numpy), and kernels.Kernel.

Notation as in `kernels.stationary`:

    X : (n, d) inputs,  X* : (m, d) queries,  l : (d,) lengthscales,  s2 : signal variance
    Z = X / l,  θ = (log l_1 … log l_d, log s2)
    W : (n, n) weights of the theta-gradient contraction ½·Σ_ab W_ab ∂K_ab/∂θ
    W : (c, m, n) weights of the query-gradient contraction Σ_b W_cib ∂k(x*_i, x_b)/∂x*_ij

The whole file must also pass with NUMBA_DISABLE_JIT=1 (the same source run as
Python), so the sizes are small enough for the interpreted loops.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from kernels import KERNEL_KINDS, Kernel, inverse_from_factor, reference, stationary
from kernels.cholesky import cholesky_lower
from kernels.kernel import positive_parameters, scaled_inputs

KINDS = {
    "matern52": stationary.MATERN52,
    "matern32": stationary.MATERN32,
    "matern12": stationary.MATERN12,
    "rbf": stationary.RBF,
}
SIZES_N = (1, 2, 7, 50)
SIZES_D = (1, 3, 8)
# (lengthscale scale, s2): lengthscales are drawn around the scale, one per input
HYPERS = ((0.3, 1.0), (2.0, 0.05))

kind_param = pytest.mark.parametrize("kind", list(KINDS.values()), ids=list(KINDS))
# every Numba loop is compiled twice (kernels.jit.serial_and_parallel); test both builds
build_param = pytest.mark.parametrize("build", ["serial", "parallel"])


def _build(function, build: str):
    """The serial or parallel build; the parallel one runs with two threads."""
    compiled = getattr(function, build)
    if build == "serial":
        return compiled

    def run_with_two_threads(*args):
        previous = numba.get_num_threads()
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        try:
            return compiled(*args)
        finally:
            numba.set_num_threads(previous)

    return run_with_two_threads
n_param = pytest.mark.parametrize("n", SIZES_N)
d_param = pytest.mark.parametrize("d", SIZES_D)
hyper_param = pytest.mark.parametrize("scale, s2", HYPERS, ids=["short-l", "long-l"])


def _rng(*key: float) -> np.random.Generator:
    return np.random.default_rng([int(1000 * abs(k)) for k in key])


def _lengthscales(rng: np.random.Generator, d: int, scale: float) -> np.ndarray:
    return scale * np.exp(rng.uniform(-0.5, 0.5, d))  # (d,)


def _gradient_case(rng: np.random.Generator, n: int, d: int, scale: float,
                   channels: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A query-gradient contraction's inputs: 1/l (d,), X (n, d), X* (5, d) with a
    near-duplicate and a duplicate of x_0, and W (channels, 5, n)."""
    inv_l = 1.0 / _lengthscales(rng, d, scale)
    X = _inputs(rng, n, d)
    Xq = np.vstack([rng.uniform(size=(3, d)), X[:1] + 1e-9, X[:1]])
    return inv_l, X, Xq, rng.standard_normal((channels, Xq.shape[0], n))


def _inputs(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    """(n, d) points in the unit cube; from n = 7 on, a near-duplicate (1e-9) and a duplicate."""
    X = rng.uniform(size=(n, d))
    if n >= 7:
        X[1] = X[0] + 1e-9 * rng.standard_normal(d) / math.sqrt(d)
        X[3] = X[2]
    return X


def _posterior_pieces(
    kind: int, Z: np.ndarray, s2: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(alpha, K⁻¹ lower triangle from potri, K⁻¹ from numpy) for K = k(Z, Z) + 0.05·s2·I."""
    K = reference.kernel_matrix(kind, Z, s2, 0.05 * s2)
    y = np.sin(3.0 * Z.sum(axis=1)) + 0.1 * np.arange(Z.shape[0])
    L = cholesky_lower(K)
    assert L is not None, "test matrix must be positive definite"
    alpha = np.linalg.solve(K, y)
    return alpha, inverse_from_factor(L), np.linalg.inv(K)


# ----------------------------------------------------------- Numba vs numpy twin


@kind_param
@n_param
@d_param
@hyper_param
@build_param
def test_kernel_matrix_matches_reference(
    kind: int, n: int, d: int, scale: float, s2: float, build: str
) -> None:
    rng = _rng(kind, n, d, scale)
    Z = _inputs(rng, n, d) / _lengthscales(rng, d, scale)
    expected = reference.kernel_matrix(kind, Z, s2, 0.01)
    got = _build(stationary.kernel_matrix, build)(kind, Z, s2, 0.01)
    assert_allclose(got, expected, rtol=1e-12, atol=1e-14 * s2)
    assert_allclose(np.diag(got), s2 + 0.01, rtol=1e-15)


@kind_param
@n_param
@d_param
@hyper_param
@build_param
def test_cross_kernel_matches_reference(
    kind: int, n: int, d: int, scale: float, s2: float, build: str
) -> None:
    rng = _rng(kind, n, d, scale, 1)
    inv_l = 1.0 / _lengthscales(rng, d, scale)
    X = _inputs(rng, n, d)
    Xq = np.vstack(
        [rng.uniform(size=(4, d)), X[:1] + 1e-9, X[:1]]
    )  # includes a (near-)duplicate of x_0
    got = _build(stationary.cross_kernel, build)(kind, Xq * inv_l, X * inv_l, s2)
    assert got.shape == (6, n)
    assert_allclose(
        got, reference.cross_kernel(kind, Xq * inv_l, X * inv_l, s2), rtol=1e-12, atol=1e-14 * s2
    )
    assert_allclose(got[-1, 0], s2, rtol=1e-15)  # k(x, x) = s2


@kind_param
@pytest.mark.parametrize("n", (1, 2, 9, 33))
@d_param
@build_param
def test_row_loops_round_each_pair_as_the_pair_by_pair_sum(kind: int, n: int, d: int,
                                                           build: str) -> None:
    """`cross_kernel`, `cross_kernel_with_profile`, `kernel_matrix` and
    `kernel_matrix_with_profile` sum each pair's r² a row at a time (`_squared_distances`,
    SIMD over the pairs), with the same operations in the same order as the pair-by-pair
    `_squared_distance`: every entry equals s2·κ(r) of that sum bit for bit."""
    rng = _rng(kind, n, d, 7)
    s2 = 1.7
    Z = _inputs(rng, n, d) / _lengthscales(rng, d, 0.4)
    Zq = np.vstack([rng.uniform(size=(5, d)) / 0.4, Z[:1]])
    pairs = [(Zq, Z, i, b) for i in range(Zq.shape[0]) for b in range(n)]
    expected = np.array([stationary.radial_profile(kind, stationary._squared_distance(A[i], B[b]))
                         for A, B, i, b in pairs]).reshape(Zq.shape[0], n, 2)
    K, G = _build(stationary.cross_kernel_with_profile, build)(kind, Zq, Z, s2)
    assert_array_equal(K, s2 * expected[..., 0])
    assert_array_equal(G, expected[..., 1])
    assert_array_equal(_build(stationary.cross_kernel, build)(kind, Zq, Z, s2), K)
    rows, cols = np.tril_indices(n, -1)
    within = np.array([stationary.radial_profile(kind, stationary._squared_distance(Z[a], Z[b]))
                       for a, b in zip(rows, cols)]).reshape(-1, 2)
    K_train, P = _build(stationary.kernel_matrix_with_profile, build)(kind, Z, s2, 0.01)
    assert_array_equal(P, within)
    assert_array_equal(K_train[rows, cols], s2 * within[:, 0])
    assert_array_equal(K_train[cols, rows], s2 * within[:, 0])
    assert_array_equal(np.diag(K_train), np.full(n, s2 + 0.01))
    assert_array_equal(_build(stationary.kernel_matrix, build)(kind, Z, s2, 0.01), K_train)


@kind_param
@n_param
@d_param
@hyper_param
@build_param
def test_lml_gradient_contraction_matches_reference(
    kind: int, n: int, d: int, scale: float, s2: float, build: str
) -> None:
    rng = _rng(kind, n, d, scale, 2)
    Z = _inputs(rng, n, d) / _lengthscales(rng, d, scale)
    alpha, K_inv_lower, K_inv_full = _posterior_pieces(kind, Z, s2)
    profile = reference.kernel_matrix_with_profile(kind, Z, s2, 0.0)[1]
    got = _build(stationary.lml_gradient_contraction, build)(Z, s2, alpha, K_inv_lower, profile)
    expected = reference.lml_gradient_contraction(kind, Z, s2, alpha, K_inv_full)
    size = s2 * n * (np.max(np.abs(alpha)) ** 2 + np.max(np.abs(K_inv_full)))  # scale of the sum
    assert got.shape == (d + 1,)
    assert np.all(np.isfinite(got))
    assert_allclose(got, expected, rtol=1e-9, atol=1e-12 * size)


@kind_param
@pytest.mark.parametrize("n", (2, 7))
def test_lml_gradient_contraction_reads_only_the_lower_triangle(kind: int, n: int) -> None:
    rng = _rng(kind, n, 3)
    Z = _inputs(rng, n, 3) / 0.4
    alpha, K_inv_lower, _ = _posterior_pieces(kind, Z, 1.3)
    poisoned = K_inv_lower.copy()
    poisoned[np.triu_indices(n, 1)] = np.nan
    profile = stationary.kernel_matrix_with_profile(kind, Z, 1.3, 0.0)[1]
    expected = stationary.lml_gradient_contraction(Z, 1.3, alpha, K_inv_lower, profile)
    assert_allclose(
        stationary.lml_gradient_contraction(Z, 1.3, alpha, poisoned, profile), expected, rtol=0
    )


@kind_param
@n_param
@d_param
@hyper_param
@build_param
def test_kernel_matrix_with_profile_matches_reference(
    kind: int, n: int, d: int, scale: float, s2: float, build: str
) -> None:
    """K bit for bit as `kernel_matrix` builds it; the pairs' (κ, κ'/r) as the numpy twin."""
    rng = _rng(kind, n, d, scale, 5)
    Z = _inputs(rng, n, d) / _lengthscales(rng, d, scale)
    K, profile = _build(stationary.kernel_matrix_with_profile, build)(kind, Z, s2, 0.01)
    assert_array_equal(K, _build(stationary.kernel_matrix, build)(kind, Z, s2, 0.01))
    expected = reference.kernel_matrix_with_profile(kind, Z, s2, 0.01)[1]
    assert profile.shape == (n * (n - 1) // 2, 2)
    assert_allclose(profile, expected, rtol=1e-12, atol=1e-14)


@kind_param
@n_param
@d_param
@hyper_param
@pytest.mark.parametrize("channels", (1, 2))
@build_param
def test_cross_gradient_contraction_matches_reference(
    kind: int, n: int, d: int, scale: float, s2: float, channels: int, build: str
) -> None:
    """The contraction against its numpy twin; `cross_gradient_from_profile`, reading g(r)
    from `cross_kernel_with_profile`, equals it bit for bit (the acquisition optimizer's
    asks depend on it) and its own twin, given the twin's profile, to rounding."""
    inv_l, X, Xq, W = _gradient_case(_rng(kind, n, d, scale, channels), n, d, scale, channels)
    Zq, Z = Xq * inv_l, X * inv_l
    args = (kind, Zq, Z, inv_l, s2, W)
    got = _build(stationary.cross_gradient_contraction, build)(*args)
    assert got.shape == (channels, Xq.shape[0], d)
    assert np.all(np.isfinite(got))
    size = s2 * np.max(inv_l) * np.sum(np.abs(W), axis=-1).max() * 5.0  # |∂k/∂x_j| ≤ ~s2·|g|·r/l
    assert_allclose(got, reference.cross_gradient_contraction(*args), rtol=1e-9, atol=1e-12 * size)
    G = _build(stationary.cross_kernel_with_profile, build)(kind, Zq, Z, s2)[1]
    from_profile = _build(stationary.cross_gradient_from_profile, build)
    assert_array_equal(from_profile(Zq, Z, inv_l, s2, W, G), got)
    G_twin = reference.cross_kernel_with_profile(kind, Zq, Z, s2)[1]
    assert_allclose(reference.cross_gradient_from_profile(Zq, Z, inv_l, s2, W, G_twin),
                    reference.cross_gradient_contraction(*args), rtol=1e-13, atol=1e-15 * size)


@kind_param
@n_param
@d_param
@hyper_param
@build_param
def test_cross_kernel_with_profile_matches_reference(
    kind: int, n: int, d: int, scale: float, s2: float, build: str
) -> None:
    """K* bit for bit as `cross_kernel` builds it; the pairs' κ'(r)/r as the numpy twin."""
    rng = _rng(kind, n, d, scale, 6)
    inv_l = 1.0 / _lengthscales(rng, d, scale)
    X = _inputs(rng, n, d)
    Zq = np.vstack([rng.uniform(size=(4, d)), X[:1] + 1e-9, X[:1]]) * inv_l
    K, G = _build(stationary.cross_kernel_with_profile, build)(kind, Zq, X * inv_l, s2)
    assert K.shape == G.shape == (6, n)
    assert_array_equal(K, _build(stationary.cross_kernel, build)(kind, Zq, X * inv_l, s2))
    K_twin, G_twin = reference.cross_kernel_with_profile(kind, Zq, X * inv_l, s2)
    assert_allclose(K, K_twin, rtol=1e-12, atol=1e-14 * s2)
    assert_allclose(G, G_twin, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", list(KINDS))
def test_radial_profile_matches_reference(name: str) -> None:
    r2 = np.array([0.0, 1e-18, 1e-6, 0.3, 1.0, 7.5, 40.0])
    expected_k, expected_g = reference.radial_profile(KINDS[name], r2)
    for i, value in enumerate(r2):
        k, g = stationary.radial_profile(KINDS[name], value)
        assert_allclose([k, g], [expected_k[i], expected_g[i]], rtol=1e-13, atol=0)
    assert_allclose(expected_k[0], 1.0)  # κ(0) = 1 for every profile


@kind_param
@build_param
def test_far_pairs_have_zero_or_normal_covariances(kind: int, build: str) -> None:
    """Where exp(−·) underflows, κ and κ'/r are 0 or normal numbers, never subnormal
    (subnormal right-hand sides made a triangular solve ~18× slower), and the Numba
    kernel agrees with its numpy twin there."""
    r = np.linspace(0.0, 800.0, 40001)  # every profile's exp underflows inside
    Zq, Z = r[:, None], np.zeros((1, 1))
    got = _build(stationary.cross_kernel, build)(kind, Zq, Z, 1.0)[:, 0]
    k, g = reference.radial_profile(kind, r * r)
    smallest_normal = np.finfo(np.float64).tiny
    for values in (got, k, g):
        assert not np.any((values != 0.0) & (np.abs(values) < smallest_normal))
    assert_allclose(got, k, rtol=1e-12, atol=0)
    assert got[-1] == 0.0 and np.all(got[r < 5.0] > 0.0)


@pytest.mark.parametrize(
    "name, r, kappa",
    [
        ("matern52", 0.7, (1 + math.sqrt(5) * 0.7 + 5 / 3 * 0.49) * math.exp(-math.sqrt(5) * 0.7)),
        ("matern32", 0.7, (1 + math.sqrt(3) * 0.7) * math.exp(-math.sqrt(3) * 0.7)),
        ("matern12", 0.7, math.exp(-0.7)),
        ("rbf", 0.7, math.exp(-0.5 * 0.49)),
    ],
)
def test_radial_profile_textbook_values(name: str, r: float, kappa: float) -> None:
    """κ(r) (R&W Eq. 4.9, 4.17) and g = κ'(r)/r by a central difference in r."""
    k, g = stationary.radial_profile(KINDS[name], r * r)
    assert k == pytest.approx(kappa, rel=1e-14)
    h = 1e-6
    slope = (
        stationary.radial_profile(KINDS[name], (r + h) ** 2)[0]
        - stationary.radial_profile(KINDS[name], (r - h) ** 2)[0]
    ) / (2 * h)
    assert g == pytest.approx(slope / r, rel=1e-7)


# ----------------------------------------------------------- Kernel: finite differences


def _half_weighted_sum(kernel: Kernel, X: np.ndarray, W: np.ndarray) -> float:
    """½·Σ_ab W_ab K_ab(θ)."""
    return 0.5 * float(np.sum(W * kernel.matrix(X)))


@pytest.mark.parametrize("name", list(KINDS))
@pytest.mark.parametrize("n, d", [(1, 1), (6, 1), (9, 3), (12, 5)])
def test_theta_gradient_matches_finite_differences(name: str, n: int, d: int) -> None:
    rng = _rng(len(name), n, d, 4)
    X = _inputs(rng, n, d)
    theta = np.concatenate([np.log(_lengthscales(rng, d, 0.5)), [rng.uniform(-1.0, 1.0)]])
    kernel = Kernel(name, d, theta)
    alpha = rng.standard_normal(n)
    S = rng.standard_normal((n, n))
    S = S + S.T  # any symmetric matrix stands in for K⁻¹: the contraction is linear in W
    W = np.outer(alpha, alpha) - S
    got = kernel.theta_gradient(X, alpha, np.tril(S))
    h = 1e-6
    expected = np.empty(d + 1)
    for j in range(d + 1):
        step = np.zeros(d + 1)
        step[j] = h
        expected[j] = (
            _half_weighted_sum(kernel.with_theta(theta + step), X, W)
            - _half_weighted_sum(kernel.with_theta(theta - step), X, W)
        ) / (2 * h)
    size = kernel.variance * np.sum(np.abs(W))
    assert_allclose(got, expected, rtol=1e-6, atol=1e-8 * size)
    # ∂K/∂log s2 = K exactly, so the last entry is the weighted sum itself
    assert got[-1] == pytest.approx(_half_weighted_sum(kernel, X, W), rel=1e-10, abs=1e-12 * size)


@pytest.mark.parametrize("name", list(KINDS))
@pytest.mark.parametrize("n, m, d", [(1, 1, 1), (5, 3, 2), (10, 4, 4)])
@pytest.mark.parametrize("channels", (1, 2))
def test_cross_gradient_matches_finite_differences(
    name: str, n: int, m: int, d: int, channels: int
) -> None:
    rng = _rng(len(name), n, m, d, channels)
    X = rng.uniform(size=(n, d))
    Xq = rng.uniform(size=(m, d))
    if name != "matern12" and n > 1:
        Xq[0] = X[1] + 1e-9  # smooth kernels are differentiable at r = 0 too
    theta = np.concatenate([np.log(_lengthscales(rng, d, 0.6)), [0.3]])
    kernel = Kernel(name, d, theta)
    W = rng.standard_normal((channels, m, n))
    got = kernel.cross_gradient(Xq, X, W)
    assert got.shape == (channels, m, d)
    h = 1e-6
    expected = np.empty_like(got)
    for i in range(m):
        for j in range(d):
            plus, minus = Xq.copy(), Xq.copy()
            plus[i, j] += h
            minus[i, j] -= h
            # Σ_b W_cib k(x*_i, x_b): only row i of the cross matrix depends on x*_i
            diff = kernel.cross(plus, X)[i] - kernel.cross(minus, X)[i]
            expected[:, i, j] = W[:, i, :] @ diff / (2 * h)
    size = kernel.variance * np.max(1.0 / kernel.lengthscales) * np.sum(np.abs(W), axis=-1).max()
    assert_allclose(got, expected, rtol=1e-5, atol=1e-7 * size)


# ----------------------------------------------------------- duplicates and near-duplicates


@pytest.mark.parametrize("name", list(KINDS))
@pytest.mark.parametrize("gap", (0.0, 1e-9))
def test_gradients_finite_at_duplicate_points(name: str, gap: float) -> None:
    """Points at distance 0 and 1e-9: every gradient finite, the query gradient bounded by s2/l."""
    rng = _rng(len(name), gap * 1e9, 5)
    d = 3
    X = rng.uniform(size=(6, d))
    X[1] = X[0] + gap / math.sqrt(d)
    X[4] = X[3] + gap / math.sqrt(d)
    kernel = Kernel(name, d, np.array([-1.0, -0.5, 0.2, 0.4]))
    K = kernel.matrix(X, 0.05)
    L = cholesky_lower(K)
    assert L is not None
    alpha = np.linalg.solve(K, np.arange(6.0))
    theta_grad = kernel.theta_gradient(X, alpha, inverse_from_factor(L))
    assert np.all(np.isfinite(theta_grad))
    Xq = X[[0, 3]] + gap / math.sqrt(d)  # queries on top of (or 1e-9 from) training points
    W = rng.standard_normal((2, 2, 6))
    x_grad = kernel.cross_gradient(Xq, X, W)
    assert np.all(np.isfinite(x_grad))
    # |∂k(x*, x_b)/∂x*_j| ≤ s2·max|κ'|/l_j, and max_r |κ'(r)| ≤ 1 for every profile here
    bound = (
        (1.0 + 1e-12)
        * kernel.variance
        / kernel.lengthscales
        * np.sum(np.abs(W), axis=-1)[..., None]
    )
    assert np.all(np.abs(x_grad) <= bound)


def test_matern12_exact_duplicate_uses_zero_subgradient() -> None:
    """At r = 0 Matérn-1/2 takes the zero subgradient: a query on x_b gets nothing from x_b."""
    X = np.array([[0.2, 0.4], [0.7, 0.1]])
    kernel = Kernel("matern12", 2, np.log([0.3, 0.5, 2.0]))
    W = np.array([[[1.0, 0.0]]])  # weight only on the coinciding training point
    assert_allclose(kernel.cross_gradient(X[:1], X, W), 0.0, atol=0)


# ----------------------------------------------------------- Kernel value type


@pytest.mark.parametrize("name", list(KINDS))
def test_kernel_forwards_scaled_inputs(name: str) -> None:
    rng = _rng(len(name), 6)
    X, Xq = rng.uniform(size=(5, 3)), rng.uniform(size=(2, 3))
    theta = np.array([-1.0, 0.0, 0.5, 0.7])
    kernel = Kernel(name, 3, theta)
    ls, s2 = np.exp(theta[:-1]), math.exp(theta[-1])
    assert_allclose(kernel.lengthscales, ls)
    assert kernel.variance == pytest.approx(s2)
    assert_allclose(
        kernel.matrix(X, 0.1), reference.kernel_matrix(KINDS[name], X / ls, s2, 0.1), rtol=1e-12
    )
    assert_allclose(
        kernel.cross(Xq, X), reference.cross_kernel(KINDS[name], Xq / ls, X / ls, s2), rtol=1e-12
    )


@pytest.mark.parametrize("gates", [None, (-1, 2, -1)], ids=["plain", "gated"])
def test_kernel_scales_with_the_functions_the_map_objective_calls(
        gates: tuple[int, ...] | None) -> None:
    """`positive_parameters` and `scaled_inputs` are the kernel's l, s2 and Z, bit for bit
    (`bayesopt.fitting.NegativeLogPosterior` calls them without building a Kernel)."""
    rng = _rng(3, 3)
    X, theta = rng.uniform(size=(6, 3)), rng.normal(size=4)
    X[:, 2] = X[:, 2] > 0.5
    kernel = Kernel("matern52", 3, theta, gates)
    lengthscales, variance = positive_parameters(theta)
    assert_array_equal(kernel.lengthscales, lengthscales)
    assert kernel.variance == variance
    Z = scaled_inputs(kernel.impute(X), lengthscales)
    assert Z.flags.c_contiguous
    assert_array_equal(kernel.scale(X), Z)


def test_exponential_is_matern12() -> None:
    X = np.random.default_rng(7).uniform(size=(4, 2))
    theta = np.array([-0.5, 0.5, 0.1])
    assert KERNEL_KINDS["exponential"] == KERNEL_KINDS["matern12"]
    assert_allclose(
        Kernel("exponential", 2, theta).matrix(X), Kernel("matern12", 2, theta).matrix(X)
    )


def test_default_kernel_is_valid() -> None:
    kernel = Kernel.default("matern52", 4)
    assert kernel.theta.shape == (5,)
    assert np.all(np.isfinite(kernel.theta))


@pytest.mark.parametrize(
    "name, dim, theta, match",
    [
        ("matern72", 2, [0.0, 0.0, 0.0], r"kernel='matern72' is not one of"),
        ("RBF", 2, [0.0, 0.0, 0.0], r"kernel='RBF'"),
        ("rbf", 2, [0.0, 0.0], r"theta must be 3 finite"),
        ("rbf", 2, [0.0, 0.0, 0.0, 0.0], r"theta must be 3 finite"),
        ("rbf", 2, [[0.0, 0.0, 0.0]], r"theta must be 3 finite"),
        ("rbf", 2, [0.0, np.nan, 0.0], r"finite log-parameters, got array\(\[ 0., nan,  0.\]\)"),
        ("matern52", 1, [np.inf, 0.0], r"finite log-parameters, got array\(\[inf,  0.\]\)"),
        ("matern52", 0, [0.0], r"dim=0 must be a positive integer"),
        ("matern52", 1.5, [0.0, 0.0], r"dim=1.5 must be a positive integer"),
    ],
)
def test_kernel_validation(name: str, dim: int, theta: list[float], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        Kernel(name, dim, np.array(theta))


def test_numeric_threads_declares_the_budget_it_sets_and_nothing_outlives_it() -> None:
    """Dispatch reads the thread count `numeric_threads` declared instead of asking Numba
    on every call; inside the block that is Numba's own count, after it Numba's again."""
    from kernels.jit import numba_threads
    from kernels.threads import PARALLEL_MIN_N, numeric_threads

    for n in (0, PARALLEL_MIN_N):
        with numeric_threads(n) as budget:
            assert numba_threads() == budget == numba.get_num_threads()
        assert numba_threads() == numba.get_num_threads()


def test_below_parallel_min_cores_every_n_runs_on_one_thread_unless_the_caller_chose(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On fewer than `PARALLEL_MIN_CORES` usable cores the parallel path costs more than it
    saves (bench/results/threads_contention.md, 2026-12-05), so `numeric_threads` runs
    n ≥ `PARALLEL_MIN_N` on one BLAS and one Numba thread too; before, a 2-core machine
    gave BLAS both cores there. A caller's `thread_count` is obeyed whatever the cores.
    The one-core case is real (this process's affinity narrowed to one CPU); more cores
    than this machine has can only be pretended."""
    import os

    from threadpoolctl import threadpool_limits

    from kernels import threads

    large = threads.PARALLEL_MIN_N
    allowed = os.sched_getaffinity(0)
    with threadpool_limits(limits=2, user_api="blas"):  # as wide as a 2-core machine's
        try:
            os.sched_setaffinity(0, {min(allowed)})
            assert threads.usable_cores() == 1
            with threads.numeric_threads(large) as budget:
                assert (budget, threads.blas_threads(), numba.get_num_threads()) == (1, 1, 1)
        finally:
            os.sched_setaffinity(0, allowed)
        assert threads.usable_cores() == len(allowed)
        assert threads.blas_threads() == 2
        monkeypatch.setattr(threads, "usable_cores", lambda: threads.PARALLEL_MIN_CORES - 1)
        with threads.numeric_threads(large) as budget:
            assert (budget, threads.blas_threads()) == (1, 1)
        with threads.thread_count(2), threads.numeric_threads(large) as budget:
            assert (budget, threads.blas_threads()) == (1, 2)  # 2 − 2 + 1 Numba threads
        with threads.thread_count(2), threads.numeric_threads(large - 1) as budget:
            assert (budget, threads.blas_threads()) == (1, 1)  # the size rule still holds
        monkeypatch.setattr(threads, "usable_cores", lambda: threads.PARALLEL_MIN_CORES)
        with threads.numeric_threads(large) as budget:
            assert threads.blas_threads() == 2  # more cores: BLAS keeps its width
        assert threads.blas_threads() == 2


def test_a_blas_limit_to_the_width_blas_has_calls_no_library(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each triangular solve of the acquisition's local search enters `one_blas_thread`
    inside the search's own: there it calls nothing (threadpoolctl's limit and restore
    cost, bench/results/large_n_step.md) and BLAS keeps one thread; where BLAS is wider,
    even if widened by threadpoolctl inside such a block, it still limits and restores.
    (This test runs inside conftest's `numeric_threads(0)`, one BLAS thread.)"""
    from typing import Any

    from threadpoolctl import threadpool_limits

    from kernels import threads

    controller = threads._blas_controller()
    assert controller is not None and controller.lib_controllers, "threadpoolctl sees no BLAS"
    limits: list[int] = []
    real_limit = type(controller).limit

    def counted_limit(self: Any, **kwargs: Any) -> Any:
        limits.append(kwargs["limits"])
        return real_limit(self, **kwargs)

    monkeypatch.setattr(type(controller), "limit", counted_limit)
    assert threads.blas_threads() == 1
    with threads.one_blas_thread():
        assert threads.blas_threads() == 1
    assert limits == [] and threads.blas_threads() == 1
    with threadpool_limits(limits=2, user_api="blas"):
        assert threads.blas_threads() == 2
        with threads.one_blas_thread():
            assert threads.blas_threads() == 1
        assert threads.blas_threads() == 2
        with threads._blas_limited(2):
            assert threads.blas_threads() == 2
    assert limits == [1] and threads.blas_threads() == 1


# ------------------------------------------------------------ Mehler's series
def _correlations(rng: np.random.Generator, m: int) -> np.ndarray:
    """(m, m) correlations with every regime of ρ: a random PSD matrix's (small |ρ|, whose
    powers underflow), a nearly-1 and a −1 pair, an exact duplicate (ρ = 1) and ρ = 0."""
    A = rng.standard_normal((m, m + 2))
    A[1] = A[0] + 1e-4 * A[1]  # ρ_01 nearly 1
    A[2] = -A[0]  # ρ_02 = −1
    A[3] = A[0]  # ρ_03 = 1
    A[4] = 0.0
    A[4, -1] = 1.0
    A[:4, -1] = 0.0  # ρ_{4,0..3} = 0
    C = A @ A.T
    s = np.sqrt(np.diag(C))
    return np.clip(C / np.outer(s, s), -1.0, 1.0)


@pytest.mark.parametrize(("m", "terms"), [(1, 3), (6, 400), (40, 400), (40, 7)])
@build_param
def test_mehler_series_matches_reference(m: int, terms: int, build: str) -> None:
    """Bit for bit where no power of ρ falls below POWER_FLUSH; elsewhere the flushed terms
    are each below POWER_FLUSH·|c_ik c_jk| (kernels.mehler)."""
    from kernels import mehler

    rng = np.random.default_rng(m + terms)
    rho = _correlations(rng, m) if m > 4 else np.ones((m, m))
    coefficients = rng.standard_normal((m, terms)) / np.arange(1, terms + 1)  # c_ik: (m, K)
    out, power = _build(mehler.mehler_series, build)(rho, coefficients)
    expected, expected_power = reference.mehler_series(rho, coefficients)
    kept = np.abs(rho) ** terms >= 1e3 * mehler.POWER_FLUSH  # no power was flushed
    assert_array_equal(out[kept], expected[kept])
    assert_array_equal(power[kept], expected_power[kept])
    scale = np.sqrt(np.outer(*2 * [np.sum(coefficients**2, axis=1)]))  # Cauchy–Schwarz
    assert np.all(np.abs(out - expected) <= terms * mehler.POWER_FLUSH * scale)
    assert np.all(np.abs(power - expected_power) <= mehler.POWER_FLUSH)
    if m > 4:
        assert not kept.all()  # the small correlations' powers were flushed


@build_param
def test_mehler_series_keeps_a_nan_correlation_nan(build: str) -> None:
    """A NaN ρ (0/0 of a zero standard deviation) gives NaN as the twin does, not a flushed 0."""
    from kernels import mehler

    rho = np.array([[1.0, np.nan], [np.nan, 1.0]])
    coefficients = np.array([[0.5, 0.1], [0.2, 0.3]])
    out, power = _build(mehler.mehler_series, build)(rho, coefficients)
    expected, expected_power = reference.mehler_series(rho, coefficients)
    assert np.isnan(out[0, 1]) and np.isnan(power[1, 0])
    assert_array_equal(out, expected)  # NaNs at the same places, the rest equal
    assert_array_equal(power, expected_power)


@pytest.mark.parametrize("name", list(KINDS))
def test_matrix_below_the_profile_pass_limit_is_the_profile_pass_k_bit_for_bit(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`Kernel.matrix_scaled` takes K from `kernel_matrix_with_profile` below
    `MATRIX_FROM_PROFILE_PASS_BELOW` rows (so a first ask compiles one loop fewer) and from
    `kernel_matrix` from there on: the same K bit for bit either way (limit lowered to 6 so
    both sides run at sizes the suite also runs without JIT)."""
    from kernels import kernel as kernel_module

    monkeypatch.setattr(kernel_module, "MATRIX_FROM_PROFILE_PASS_BELOW", 6)
    built_alone = []
    real_kernel_matrix = stationary.kernel_matrix

    def kernel_matrix(*args):
        built_alone.append(args[1].shape[0])
        return real_kernel_matrix(*args)

    monkeypatch.setattr(stationary, "kernel_matrix", kernel_matrix)
    kernel = Kernel(name, 3, np.array([-1.0, 0.0, 0.5, 0.7]))
    for n in (1, 5, 6, 9):
        Z = kernel.scale(_rng(n, 3).uniform(size=(n, 3)))
        assert_array_equal(kernel.matrix_scaled(Z, 0.1),
                           real_kernel_matrix(KINDS[name], Z, kernel.variance, 0.1))
    assert built_alone == [6, 9]

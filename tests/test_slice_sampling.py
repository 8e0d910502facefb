"""The slice sampler reproduces known distributions within Monte-Carlo error.

Chains are autocorrelated, so each standard error is a batch-means estimate
(the chain cut into B consecutive batches; SE = std of the batch means / √B),
and each check allows 4 standard errors. The seeds are fixed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from bayesopt.slice_sampling import SliceSchedule, slice_sample

N_BATCHES = 25


def _batch_se(values: np.ndarray) -> float:
    """Batch-means standard error of the mean of a chain of scalars."""
    batches = values[: len(values) // N_BATCHES * N_BATCHES].reshape(N_BATCHES, -1).mean(axis=1)
    return float(np.std(batches, ddof=1) / math.sqrt(N_BATCHES))


def _within(values: np.ndarray, expected: float, k: float = 4.0) -> None:
    estimate, se = float(np.mean(values)), _batch_se(values)
    assert abs(estimate - expected) < k * se, (estimate, expected, se)


RHO = 0.9
COVARIANCE = np.array([[1.0, RHO], [RHO, 1.0]])
MEAN = np.array([1.0, -2.0])


def _gaussian(x: np.ndarray) -> float:
    """N(MEAN, COVARIANCE): −½ rᵀ Σ⁻¹ r with Σ⁻¹ = [[1, −ρ], [−ρ, 1]] / (1 − ρ²)."""
    r0, r1 = float(x[0]) - 1.0, float(x[1]) + 2.0
    return -0.5 * (r0 * r0 - 2.0 * RHO * r0 * r1 + r1 * r1) / (1.0 - RHO * RHO)


def test_a_correlated_gaussian_has_its_moments() -> None:
    samples = slice_sample(_gaussian, np.zeros(2), np.ones(2),
                           SliceSchedule(n_samples=8000, burn_in=100), np.random.default_rng(0))
    for i in range(2):
        _within(samples[:, i], MEAN[i])
        _within((samples[:, i] - MEAN[i]) ** 2, COVARIANCE[i, i])
    _within((samples[:, 0] - MEAN[0]) * (samples[:, 1] - MEAN[1]), COVARIANCE[0, 1])


def _gamma(x: np.ndarray) -> float:
    """Gamma(shape 3, scale 0.5) on x[0] > 0; −inf outside the support."""
    x0 = float(x[0])
    return -math.inf if x0 <= 0 else 2.0 * math.log(x0) - x0 / 0.5


def test_a_gamma_has_its_moments_and_its_distribution() -> None:
    target = stats.gamma(a=3.0, scale=0.5)
    samples = slice_sample(_gamma, np.array([1.0]), np.array([0.5]),
                           SliceSchedule(n_samples=4000, burn_in=50, thin=5),
                           np.random.default_rng(1))[:, 0]
    assert np.all(samples > 0)
    _within(samples, target.mean())
    _within((samples - target.mean()) ** 2, target.var())
    assert stats.kstest(samples, target.cdf).pvalue > 1e-3  # thinned: nearly independent draws


def _banana(x: np.ndarray) -> float:
    """Haario et al. (1999) banana: x0 ~ N(0, 4), x1 | x0 ~ N(b (x0² − 4), 1), b = 0.5."""
    x0, x1 = float(x[0]), float(x[1])
    return -x0 * x0 / 8.0 - 0.5 * (x1 - 0.5 * (x0 * x0 - 4.0)) ** 2


def test_a_banana_has_its_moments() -> None:
    samples = slice_sample(_banana, np.zeros(2), np.array([2.0, 2.0]),
                           SliceSchedule(n_samples=10000, burn_in=100), np.random.default_rng(2))
    _within(samples[:, 0], 0.0)
    _within(samples[:, 0] ** 2, 4.0)
    _within(samples[:, 1], 0.0)  # E[x1] = b (E[x0²] − 4) = 0
    _within(samples[:, 1] ** 2, 1.0 + 0.25 * 2 * 16.0)  # 1 + b² Var(x0²) = 1 + b² · 2 · 4²


def test_a_zero_width_coordinate_is_held_and_the_schedule_is_kept() -> None:
    samples = slice_sample(_gaussian, np.array([0.5, 0.0]), np.array([0.0, 1.0]),
                           SliceSchedule(n_samples=7, burn_in=3, thin=2), np.random.default_rng(3))
    assert samples.shape == (7, 2)
    assert np.all(samples[:, 0] == 0.5)
    assert len(np.unique(samples[:, 1])) == 7


def test_the_same_generator_state_gives_the_same_chain() -> None:
    run = [slice_sample(_banana, np.zeros(2), np.ones(2), SliceSchedule(n_samples=50),
                        np.random.default_rng(4)) for _ in range(2)]
    np.testing.assert_array_equal(run[0], run[1])


@pytest.mark.parametrize("width", [0.02, 100.0])
def test_a_poor_width_still_samples_the_target(width: float) -> None:
    """Stepping out widens a narrow bracket; shrinking narrows a wide one (Neal 2003)."""
    samples = slice_sample(_gaussian, np.zeros(2), np.full(2, width),
                           SliceSchedule(n_samples=3000, burn_in=100, max_steps=1000),
                           np.random.default_rng(5))
    _within(samples[:, 0], MEAN[0])
    _within((samples[:, 1] - MEAN[1]) ** 2, COVARIANCE[1, 1])

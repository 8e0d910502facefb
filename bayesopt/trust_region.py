"""A trust region for the acquisition search: TuRBO-1's box, replayed from the observed values.

    y     : (n,) successful observations, minimized, in the order told; the first
            n0 = n_initial are the initial design
    L     : the region's base side length, in [min_length, max_length]
    ℓ     : (d,) the GP's lengthscales (unit cube); w_i = ℓ_i / (Π_j ℓ_j)^(1/d)
    x*    : (d,) the centre, the observed point with the best posterior mean (the best
            feasible one under outcome constraints, whose infeasible values count as
            failures: `bayesopt.propose`, after SCBO)
    box   : [max(0, x* − w·L/2), min(1, x* + w·L/2)] on the continuous columns, [0, 1]
            on the others (one-hot and activity columns)

Eriksson, Pearce, Gardner, Turner & Poloczek (2019), "Scalable Global
Optimization via Local Bayesian Optimization" (TuRBO), Sec. 2, with one
trust region (TuRBO-1) and batches of one. Each model-based observation
(those after the first n0) is a success if it improves the best value so far
by more than `improvement`·|best|, else a failure; a success resets the
failure count and a failure the success count. `success_tolerance`
successes in a row double L (capped at `max_length`); `failure_tolerance`
failures in a row halve it (TuRBO's ⌈max(4, d)⌉ for batches of one when
None). Below `min_length` the region restarts at `initial_length`; TuRBO
restarts its model from a new design there, this keeps the data. L is a
function of y alone, so it is replayed at every ask and a resumed optimizer
asks what the original would have. The weights w stretch the box along the
directions the GP finds the objective varies slowly (TuRBO's Sec. 2, "the
side lengths … are rescaled according to the lengthscales").
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from acquisition.checks import check_fields, integer, optional, real, rule


@dataclass(frozen=True)
class TrustRegionOptions:
    """TuRBO-1's schedule (defaults: Eriksson et al. 2019, Sec. 2 and their code's constants)."""

    initial_length: float = field(default=0.8, metadata=rule(real(0.0, low_open=True)))
    min_length: float = field(default=0.5**7, metadata=rule(real(0.0, low_open=True)))
    max_length: float = field(default=1.6, metadata=rule(real(0.0, low_open=True)))
    success_tolerance: int = field(default=3, metadata=rule(integer(minimum=1)))
    # None: max(4, d), TuRBO's ⌈max(4/q, d/q)⌉ for batches of q = 1
    failure_tolerance: int | None = field(
        default=None, metadata=rule(optional(integer(minimum=1))))
    # relative improvement of the best value that counts as a success
    improvement: float = field(default=1e-3, metadata=rule(real(0.0)))

    def __post_init__(self) -> None:
        check_fields(self)
        if not self.min_length <= self.initial_length <= self.max_length:
            raise ValueError(
                "TrustRegionOptions needs min_length ≤ initial_length ≤ max_length, got "
                f"min_length={self.min_length}, initial_length={self.initial_length}, "
                f"max_length={self.max_length}")


def side_length(y: np.ndarray, n_initial: int, dim: int, options: TrustRegionOptions) -> float:
    """L after the observations y: (n,), replaying TuRBO-1's success and failure counts."""
    failure_tolerance = options.failure_tolerance or max(4, dim)
    length = options.initial_length
    if y.shape[0] <= n_initial:
        return length
    best = float(np.min(y[:n_initial])) if n_initial else math.inf
    successes = failures = 0
    for value in y[n_initial:]:
        if value < best - options.improvement * abs(best):
            successes, failures = successes + 1, 0
        else:
            successes, failures = 0, failures + 1
        best = min(best, float(value))
        if successes == options.success_tolerance:
            length, successes = min(2.0 * length, options.max_length), 0
        elif failures == failure_tolerance:
            length, failures = length / 2.0, 0
        if length < options.min_length:
            length = options.initial_length
    return length


def box(centre: np.ndarray, lengthscales: np.ndarray, length: float,
        continuous: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper corners (d,) of the region around centre (d,) (see the module docstring).

    lengthscales: (d,) positive; continuous: (d,) bool, the columns the region narrows.
    """
    if not continuous.any():
        return np.zeros_like(centre), np.ones_like(centre)
    weights = lengthscales / np.exp(np.mean(np.log(lengthscales[continuous])))
    half = np.where(continuous, 0.5 * length * weights, 1.0)
    lower = np.where(continuous, np.maximum(centre - half, 0.0), 0.0)
    upper = np.where(continuous, np.minimum(centre + half, 1.0), 1.0)
    return lower, upper

"""Univariate slice sampling, one coordinate at a time (Neal 2003).

    x       : (p,)    the current state (here: the GP's log-hyperparameters)
    log_f   : x ↦ log of an unnormalized density, −inf outside its support
    w       : (p,)    the initial bracket width of each coordinate
    samples : (S, p)  states kept after `burn_in` sweeps, one every `thin` sweeps

One sweep updates each coordinate i in turn (Neal 2003, Sec. 4.1):

1. draw the slice level  log u = log_f(x) − Exponential(1)     (u ~ U(0, f(x)))
2. step out (Neal 2003, Fig. 3): place an interval of width w_i at random
   around x_i, and widen it by w_i on each side until both ends are below the
   level, at most `max_steps` times in all;
3. shrink (Fig. 5): draw x_i' uniformly in the interval; accept if log_f ≥ log u,
   otherwise move the end on the far side of x_i to x_i' and draw again.

The update leaves the density invariant (Neal 2003, Sec. 4), needs no tuning
beyond a rough width, and only evaluates log_f — no gradient. This is the
sampler Spearmint uses for GP hyperparameters (Snoek, Larochelle & Adams
2012, Sec. 3.2; Murray & Adams 2010, "Slice sampling covariance
hyperparameters of latent Gaussian models").
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

LogDensity = Callable[[np.ndarray], float]

_MAX_SHRINKS = 200  # shrinking halves the interval about as often: 2^-200 of w is no move


@dataclass(frozen=True)
class SliceSchedule:
    """How long the chain runs: `burn_in` sweeps discarded, then `n_samples` kept,
    one every `thin` sweeps; `max_steps` step-outs per coordinate update."""

    n_samples: int
    burn_in: int = 0
    thin: int = 1
    max_steps: int = 32

    def __post_init__(self) -> None:
        assert self.n_samples >= 1 and self.burn_in >= 0 and self.thin >= 1 \
            and self.max_steps >= 0, f"invalid schedule {self}"


def slice_sample(
    log_f: LogDensity, x0: np.ndarray, widths: np.ndarray, schedule: SliceSchedule,
    rng: np.random.Generator,
) -> np.ndarray:
    """Samples (S, p) of the density exp(log_f), by coordinate-wise slice sampling from x0.

    x0 must have a finite log_f. A coordinate of width 0 is held fixed.
    """
    x = np.array(x0, dtype=float)
    log_fx = log_f(x)
    assert math.isfinite(log_fx), f"the chain must start inside the support, log_f(x0)={log_fx}"
    kept = np.empty((schedule.n_samples, x.shape[0]))
    n_sweeps = schedule.burn_in + schedule.n_samples * schedule.thin
    for sweep in range(n_sweeps):
        for i in np.flatnonzero(widths > 0):
            log_fx = _update(log_f, x, log_fx, int(i), float(widths[i]), schedule.max_steps, rng)
        done = sweep + 1 - schedule.burn_in
        if done > 0 and done % schedule.thin == 0:
            kept[done // schedule.thin - 1] = x
    return kept


def _update(
    log_f: LogDensity, x: np.ndarray, log_fx: float, i: int, width: float, max_steps: int,
    rng: np.random.Generator,
) -> float:
    """One slice update of x[i] in place (steps 1–3 above); returns the new log_f(x)."""
    level = log_fx - rng.standard_exponential()
    start = x[i]
    left, right = _step_out(log_f, x, i, level, width, max_steps, rng)
    for _ in range(_MAX_SHRINKS):
        x[i] = left + (right - left) * rng.random()
        log_new = log_f(x)
        if log_new >= level:
            return log_new
        if x[i] < start:  # Neal 2003, Fig. 5: shrink toward the current point
            left = x[i]
        else:
            right = x[i]
    x[i] = start  # the interval collapsed onto the current point: it stays
    return log_fx


def _step_out(
    log_f: LogDensity, x: np.ndarray, i: int, level: float, width: float, max_steps: int,
    rng: np.random.Generator,
) -> tuple[float, float]:
    """Neal (2003), Fig. 3: an interval around x[i] whose ends lie below `level`."""
    start = x[i]
    left = start - width * rng.random()
    right = left + width
    steps_left = int(rng.integers(0, max_steps + 1))  # J = floor(m V), K = m − 1 − J
    steps_right = max_steps - steps_left
    while steps_left > 0 and _log_f_at(log_f, x, i, left) >= level:
        left -= width
        steps_left -= 1
    while steps_right > 0 and _log_f_at(log_f, x, i, right) >= level:
        right += width
        steps_right -= 1
    x[i] = start
    return left, right


def _log_f_at(log_f: LogDensity, x: np.ndarray, i: int, value: float) -> float:
    x[i] = value
    return log_f(x)

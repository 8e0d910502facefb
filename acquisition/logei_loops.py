"""LogEI's value and gradient on every branch, the arithmetic in Numba loops.

    mean, std : (m,) posterior mean and standard deviation (std already floored)
    z = (best_f − mean) / std,   log φ(z) = −z²/2 − log √(2π)  (−inf where |z| ≥ abs_max)
    log EI = log h(z) + log std, log h by the branches of Ament et al. (2023), Eq. 9:
      upper   z > z_upper:           log h = log(φ + z Φ),          ∂ log h/∂z = Φ/h
      middle  z_tail ≤ z ≤ z_upper:  w = log(erfcx(−z/√2)|z|) + log √(π/2),
                                     log h = log φ + log1mexp(w),
                                     ∂ log h/∂z = exp(log erfcx(−z/√2) + log √(π/2) − log1mexp(w))
      tail    z < z_tail:            log h = log φ − 2 log|z|,      ∂ log h/∂z = |z| + 2/|z|
      NaN     otherwise (z NaN):     NaN
    log1mexp(w) = log(−expm1(w)) if w > −log 2 else log1p(−exp(w))  (Maechler, 2012); on the
      middle branch w ≥ w(−1) ≈ −0.42 > −log 2 (|z| m(z) grows from 0.66 at z = −1 to 1), so
      every middle row takes log(−expm1(w)): the numpy code's log1p side gets no rows
    ∂/∂mean = −(∂ log h/∂z) / std;  ∂/∂std = (1 − z ∂ log h/∂z) / std, with φ/h =
      exp(log φ − log h) in place of 1 − z ∂ log h/∂z where z > 0

Exactly as `acquisition.functions.LogExpectedImprovement.numpy_value_and_grad` and
`numpy_value` compute it — the same operations on the same numbers in the same order: the
loops do the additions, multiplications, divisions, comparisons and gathers (IEEE, no
fastmath, so nothing is fused or reassociated), and numpy and scipy still do every exp,
expm1, log, ndtr and erfcx, since numpy's exp and log are not the C library's bit for bit
(bench/results/small_n_step2.md). Each stage gathers the rows that need a function, in row
order, into one array and calls the function once (`_pipeline`): ndtr, exp and erfcx on
the arrays the numpy code gives them; one log for what the numpy code takes five logs of
(h, erfcx·|z|, erfcx, |z|, std); expm1, then log, on the middle rows; one exp for φ/h and
the middle slopes. The two merges rely on numpy's log and exp being elementwise — a value's
result does not depend on its array's length or its place in it — which
tests/test_acquisition_functions.py checks, with the results bit for bit against the numpy
code on batches that mix every branch.
"""

from __future__ import annotations

from typing import cast

import numpy as np
from scipy.special import erfcx, ndtr

from kernels.jit import cached_njit

UPPER, MIDDLE, TAIL, UNDEFINED = 0.0, 1.0, 2.0, 3.0  # a row's branch (`_branches`)
# rows of the state (10, m) the passes share: z, log φ(z), the branch, the arguments of
# ndtr, exp and erfcx (gathered), log EI, ∂ log h/∂z, the arguments of expm1 (gathered),
# the last stage's exp arguments (log φ/h, then the middle slopes' logs)
Z, LOG_PDF, BRANCH, NDTR_ARG, EXP_ARG, ERFCX_ARG, VALUE, SLOPE, EXPM1_ARG, LAST_ARG = range(10)
# indices into the constants (`constants`)
Z_UPPER, Z_TAIL, ABS_MAX, LOG_SQRT_2PI, INV_SQRT_2, LOG_SQRT_PI_DIV_2 = range(6)


@cached_njit()
def _branches(
    best_f: float, mean: np.ndarray, std: np.ndarray, c: np.ndarray,
) -> tuple[np.ndarray, int, int]:
    """The state (10, m) with z, log φ(z), each row's branch (UPPER, MIDDLE, TAIL,
    UNDEFINED) and the first stage's arguments in row order: the upper rows' z (ndtr's) and
    log φ (exp's), the middle rows' −z/√2 (erfcx's); and the counts of upper and middle rows."""
    m = mean.shape[0]
    state = np.empty((10, m))
    n_upper = n_middle = 0
    for i in range(m):
        zi = (best_f - mean[i]) / std[i]
        log_pdf = -0.5 * (zi * zi) - c[LOG_SQRT_2PI] if abs(zi) < c[ABS_MAX] else -np.inf
        state[Z, i], state[LOG_PDF, i] = zi, log_pdf
        if zi > c[Z_UPPER]:
            state[BRANCH, i] = UPPER
            state[NDTR_ARG, n_upper], state[EXP_ARG, n_upper] = zi, log_pdf
            n_upper += 1
        elif zi >= c[Z_TAIL]:
            state[BRANCH, i] = MIDDLE
            state[ERFCX_ARG, n_middle] = -zi * c[INV_SQRT_2]
            n_middle += 1
        elif zi < c[Z_TAIL]:
            state[BRANCH, i] = TAIL
        else:
            state[BRANCH, i] = UNDEFINED
    return state, n_upper, n_middle


@cached_njit()
def _log_arguments(
    state: np.ndarray, std: np.ndarray, pdf: np.ndarray, cdf: np.ndarray, scaled: np.ndarray,
    grad: bool,
) -> np.ndarray:
    """What log is taken of, in one array: h = φ + z·Φ (upper rows), erfcx·|z| (middle
    rows), erfcx (middle rows, when grad), |z| (tail rows), then std (every row)."""
    m = state.shape[1]
    n_upper, n_middle = pdf.shape[0], scaled.shape[0]
    n_tail = 0
    for i in range(m):
        n_tail += state[BRANCH, i] == TAIL
    base_tail = n_upper + (2 if grad else 1) * n_middle
    args = np.empty(base_tail + n_tail + m)
    u = k = t = 0
    for i in range(m):
        branch, zi = state[BRANCH, i], state[Z, i]
        if branch == UPPER:
            args[u] = pdf[u] + zi * cdf[u]
            u += 1
        elif branch == MIDDLE:
            args[n_upper + k] = scaled[k] * abs(zi)
            if grad:
                args[n_upper + n_middle + k] = scaled[k]
            k += 1
        elif branch == TAIL:
            args[base_tail + t] = abs(zi)
            t += 1
        args[base_tail + n_tail + i] = std[i]
    return args


@cached_njit()
def _upper_and_tail(
    state: np.ndarray, pdf: np.ndarray, cdf: np.ndarray, logs: np.ndarray, n_middle: int,
    grad: bool, c: np.ndarray,
) -> int:
    """log EI and ∂ log h/∂z on the upper and tail rows (NaN on the undefined ones); the
    middle rows' w gathered as expm1's arguments; with grad, log φ − log h of the upper rows
    with z > 0 at the head of the last stage's exp arguments, and their count."""
    m = state.shape[1]
    n_upper = pdf.shape[0]
    log_std = logs.shape[0] - m
    base_tail = n_upper + (2 if grad else 1) * n_middle
    u = k = t = n_ratio = 0
    for i in range(m):
        branch, zi = state[BRANCH, i], state[Z, i]
        value = slope = np.nan
        if branch == UPPER:
            log_h = logs[u]
            value = log_h + logs[log_std + i]
            slope = cdf[u] / (pdf[u] + zi * cdf[u])
            if grad and zi > 0.0:
                state[LAST_ARG, n_ratio] = state[LOG_PDF, i] - log_h
                n_ratio += 1
            u += 1
        elif branch == MIDDLE:
            state[EXPM1_ARG, k] = logs[n_upper + k] + c[LOG_SQRT_PI_DIV_2]  # w
            k += 1
        elif branch == TAIL:
            value = (state[LOG_PDF, i] - 2.0 * logs[base_tail + t]) + logs[log_std + i]
            slope = abs(zi) + 2.0 / abs(zi)
            t += 1
        else:
            value = np.nan + logs[log_std + i]
        state[VALUE, i], state[SLOPE, i] = value, slope
    return n_ratio


@cached_njit()
def _middle(
    state: np.ndarray, logs: np.ndarray, log1mexp: np.ndarray, n_upper: int, n_ratio: int,
    grad: bool, c: np.ndarray,
) -> None:
    """log EI on the middle rows; with grad, log m − log1mexp(w) after the ratios among the
    last stage's exp arguments."""
    m = state.shape[1]
    n_middle = log1mexp.shape[0]
    log_std = logs.shape[0] - m
    k = 0
    for i in range(m):
        if state[BRANCH, i] != MIDDLE:
            continue
        log1m = log1mexp[k]
        state[VALUE, i] = (state[LOG_PDF, i] + log1m) + logs[log_std + i]
        if grad:
            state[LAST_ARG, n_ratio + k] = (logs[n_upper + n_middle + k]
                                            + c[LOG_SQRT_PI_DIV_2]) - log1m
        k += 1


@cached_njit()
def _gradient(
    state: np.ndarray, std: np.ndarray, exps: np.ndarray, n_ratio: int,
) -> tuple[np.ndarray, np.ndarray]:
    """∂/∂mean = −∂ log h/∂z / std and ∂/∂std (module docstring), (m,) each; the ratios φ/h
    and the middle rows' slopes are exps, in the order the passes left their arguments."""
    m = state.shape[1]
    d_mean, d_std = np.empty(m), np.empty(m)
    r = k = 0
    for i in range(m):
        zi = state[Z, i]
        if state[BRANCH, i] == MIDDLE:
            state[SLOPE, i] = exps[n_ratio + k]
            k += 1
        slope = state[SLOPE, i]
        d = 1.0 - zi * slope
        if zi > 0.0:  # an upper row
            d = exps[r]
            r += 1
        d_mean[i] = -slope / std[i]
        d_std[i] = d / std[i]
    return d_mean, d_std


_EMPTY = np.empty(0)  # a stage's result when no row needs it


def constants(*, z_upper: float, z_tail: float, abs_max: float, log_sqrt_2pi: float,
              inv_sqrt_2: float, log_sqrt_pi_div_2: float) -> np.ndarray:
    """The constants of the module docstring as the loops read them: (6,) float64, read-only."""
    c = np.array([z_upper, z_tail, abs_max, log_sqrt_2pi, inv_sqrt_2, log_sqrt_pi_div_2])
    c.flags.writeable = False
    return c


def _pipeline(
    best_f: float, mean: np.ndarray, std: np.ndarray, c: np.ndarray, grad: bool,
) -> tuple[np.ndarray, int, int]:
    """The state after every pass but `_gradient`; the counts of the ratios φ/h and of the
    middle rows (the last stage's exp arguments)."""
    if not (mean.dtype == std.dtype == np.float64 and mean.ndim == 1
            and mean.shape == std.shape):
        raise ValueError(f"mean and std must be float64 arrays of one shape (m,), got "
                         f"{mean.dtype} {mean.shape} and {std.dtype} {std.shape}")
    if c.shape != (LOG_SQRT_PI_DIV_2 + 1,):
        raise ValueError(f"c must be `constants(...)`, shape (6,), got shape {c.shape}")
    state, n_upper, n_middle = _branches(best_f, mean, std, c)
    cdf = pdf = scaled = _EMPTY
    if n_upper:
        cdf, pdf = ndtr(state[NDTR_ARG, :n_upper]), np.exp(state[EXP_ARG, :n_upper])
    if n_middle:
        scaled = erfcx(state[ERFCX_ARG, :n_middle])
    logs = np.log(_log_arguments(state, std, pdf, cdf, scaled, grad))
    n_ratio = _upper_and_tail(state, pdf, cdf, logs, n_middle, grad, c)
    if n_middle:
        log1mexp = np.log(-np.expm1(state[EXPM1_ARG, :n_middle]))
        _middle(state, logs, log1mexp, n_upper, n_ratio, grad, c)
    return state, n_ratio, n_middle


def log_ei(best_f: float, mean: np.ndarray, std: np.ndarray, c: np.ndarray) -> np.ndarray:
    """log EI (m,) — `LogExpectedImprovement.numpy_value`'s bits. mean, std: (m,) float64,
    std floored; c: `constants`."""
    state = _pipeline(best_f, mean, std, c, grad=False)[0]
    return cast(np.ndarray, state[VALUE])


def log_ei_and_grad(
    best_f: float, mean: np.ndarray, std: np.ndarray, c: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(log EI, ∂/∂mean, ∂/∂std), (m,) each — `LogExpectedImprovement.numpy_value_and_grad`'s
    bits. Arguments as `log_ei`'s."""
    state, n_ratio, n_middle = _pipeline(best_f, mean, std, c, grad=True)
    exps = np.exp(state[LAST_ARG, :n_ratio + n_middle]) if n_ratio + n_middle else _EMPTY
    d_mean, d_std = _gradient(state, std, exps, n_ratio)
    return state[VALUE], d_mean, d_std

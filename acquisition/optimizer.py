"""Maximize an acquisition function over a mixed domain in the unit cube.

    X : (m, d) points in [0, 1]^d (encoded; integers relaxed, categoricals one-hot)
    a : (m,)   acquisition values, larger is better

Algorithm (the recipe of Snoek et al. 2012 and BoTorch's `optimize_acqf`,
adapted to mixed spaces):

1. Score a few thousand candidates in one vectorized pass: scrambled-Sobol
   points of the domain plus Gaussian perturbations of the incumbents at
   several scales. The variance (a triangular solve per candidate) is
   computed only where the acquisition at the prior's std, an upper bound,
   can reach the best few (`AcquisitionObjective.screened_values`); the
   choices below are exactly those of scoring every candidate.
2. Start L-BFGS-B from the best few (`start_selection="best"`), or from the
   best and a draw without replacement with p ∝ exp(a − max a) among the
   others (`"roulette"`, Optuna GPSampler's `optimize_acqf_mixed`; every
   candidate scored). The restarts are independent, so they
   are solved as ONE bound-constrained problem in r·d variables whose
   objective is the sum of the r acquisition values (block-diagonal
   Hessian): one scipy call, one batched surrogate evaluation per step.
   Integer columns are relaxed; categorical columns are held fixed.
   With `incumbent_start` one more local search starts at the incumbent (an
   observed point), as its own problem: the other starts' optima stay the same
   (the warm start of Optuna GPSampler's `optimize_acqf_mixed`).
3. Categoricals: enumerate each categorical's values coordinate-wise at
   every local optimum, keep the best, and run the continuous step again
   (a few alternating rounds). A categorical of more than
   `SWITCHES_BY_DISTANCE_ABOVE` choices (that is no parent in a conditional space) is
   scored from each start's squared distances (`AcquisitionObjective.switch_values`)
   where the surrogate can (one GP or each of its samples, without a budget basis; with
   gates at the starts where the categorical is active; a penalty is taken from the
   trial rows): the same values to rounding, not bit for bit, so its choice can differ
   from scoring the trial rows only between values equal to rounding.
   Integers on a lattice (`IntegerLattice`, the kernel on rounded inputs of
   `bayesopt.rounding`, where the acquisition is flat in a relaxed integer): held
   fixed in step 2 and stepped coordinate-wise by ±1, ±2, ±4, … values in the same
   rounds, each keeping its best value.
   Conditional spaces: the domain's `fixed_columns` (activity indicators)
   never move in step 2; a categorical switch can change which columns are
   active, so each enumerated trial is projected (`domain.project`
   recomputes activity and imputes inactive columns) before it is scored,
   and the continuous step that follows optimizes the newly active
   columns. A categorical that is no parent (`Domain.group_gates`) changes no
   activity: its trials' projections are the projected start with the group
   set to e_c where it is active, and the start where it is not. The sample
   of step 1 covers every activity pattern (`Domain.sample` of a conditional
   space stratifies by pattern), so no combination of categoricals is ever
   enumerated as a whole.
4. Round integers (`domain.project`), re-score, and return the best point
   that is not within `min_distance` of an observed or pending point.

Input constraints (`Domain.admits`, `Domain.linear`). Candidates and local
optima the domain does not admit are dropped. Linear inequalities A x ≤ b
replace L-BFGS-B by SLSQP (Kraft 1988), one problem per start
(`_slsqp_each`: on the sum of the starts' problems SLSQP's one step length
and dense quasi-Newton matrix couple them), so a local search can follow an
active constraint to its optimum instead of stopping short of it as
rejection alone would. Either solver runs in the same scaled coordinates
(`scale_by_lengthscales`).
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from typing import ClassVar, Protocol, cast, runtime_checkable

import numpy as np
from scipy.optimize import minimize

from acquisition.checks import (
    boolean,
    check_fields,
    choice,
    integer,
    optional,
    real,
    reals,
    rule,
)
from acquisition.functions import AcquisitionFunction, ExpectedImprovement
from acquisition.memo import ValueAndGradient, lbfgsb, over_u
from kernels.jit import cached_njit


class Surrogate(Protocol):
    """What the acquisition layer needs from a model (standardized units)."""

    def predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and standard deviation: (m, d) → (m,), (m,)."""
        ...

    def predict_with_gradient(
        self, X: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Mean, std and their gradients: (m,), (m,), (m, d), (m, d)."""
        ...


class ScreenedPosterior(Protocol):
    """A posterior at m points: the mean at all of them, the std only at rows asked for."""

    mean: np.ndarray  # (m,)
    std_bound: np.ndarray  # (m,): no std at point i exceeds std_bound[i]

    def std(self, rows: np.ndarray) -> np.ndarray:
        """The std at the given rows, bit for bit the rows of `Surrogate.predict`'s std."""
        ...


@runtime_checkable
class SwitchingSurrogate(Protocol):
    """A surrogate that scores a categorical's switches from each start (step 3)."""

    def predict_switches(self, X: np.ndarray,
                         group: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """Mean and std (r, k) at the trials of X: (r, d) with the one-hot columns `group`
        (k,) set to each e_c, equal to `Surrogate.predict`'s to rounding; None when it
        cannot give them so."""
        ...


@runtime_checkable
class ScreenedSurrogate(Protocol):
    """A surrogate that can defer the variance (`AcquisitionObjective.screened_values`)."""

    def posterior(self, X: np.ndarray) -> ScreenedPosterior | None:
        """The posterior at X: (m, d); None when it cannot be given that way."""
        ...


# A categorical of more choices than this is enumerated by `AcquisitionObjective.
# switch_values` where the objective can (its trials' K* from the start's squared distances,
# O(r·n·(D + k)) instead of O(r·k·n·D) for D encoded columns), values equal to rounding, not
# bit for bit; up to it, by scoring the r·k trial rows (measured: bench/results/
# high_dimensional.md, 2026-12-05; above every categorical of bench/problems.py and the
# ask-identity runs, whose asks stay bit for bit)
SWITCHES_BY_DISTANCE_ABOVE = 32
_SLSQP_FEASIBILITY_TOL = 1e-11  # violation of A x ≤ b accepted from SLSQP's result
# `search_scales`' least scale: a column 20 times shorter than the longest is scaled as 1/20
SEARCH_SCALE_FLOOR = 0.05
# Candidates of the largest bounds scored before the others are screened
# (`AcquisitionObjective.screened_values`): enough for a floor near the final one.
_SCREEN_FIRST = 64
# Relative margin below the floor within which a bound does not prune: far above the
# rounding of an acquisition's value (LogEI's branches agree to ~1e-15 relative).
_SCREEN_MARGIN = 1e-6
# Entries of the descending order a walk for distinct points takes from a partial sort
# (`_descending_walk`) before it needs the full one
_WALK_HEAD = 64
# `first_distinct`'s largest block of squared distances (entries of (block, p, d))
_BLOCK_ENTRIES = 1 << 18
# `first_distinct`'s blocks from this size on look for rows of `avoid` by their bytes first
_KEYED_FROM = 32

# X (m, d) → log of a factor in (0, 1] that damps the acquisition, and its gradient (m, d)
Penalty = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


@runtime_checkable
class ValuedPenalty(Protocol):
    """A penalty that gives its log m(X) without the gradient."""

    def log_values(self, X: np.ndarray) -> np.ndarray:
        """X: (m, d) → log m(X): (m,), the call's first part bit for bit (the same
        operations, the gradient's left out)."""
        ...


def penalty_log_values(penalty: Penalty, X: np.ndarray) -> np.ndarray:
    """log m(X) of `penalty`: (m,), without its gradient where it can give it so
    (`ValuedPenalty`), else its call's first part; the same numbers either way."""
    if isinstance(penalty, ValuedPenalty):
        return penalty.log_values(X)
    return penalty(X)[0]


@runtime_checkable
class SwitchingPenalty(Protocol):
    """A penalty that gives its log m at a categorical's switches from the starts."""

    def switch_log_values(self, X: np.ndarray, group: np.ndarray) -> np.ndarray:
        """log m (r, k) at the r·k trials of X: (r, d) with the one-hot columns `group` (k,)
        set to each e_c, `log_values` of the trial rows to rounding."""
        ...


def penalty_switch_log_values(penalty: Penalty, X: np.ndarray,
                              group: np.ndarray) -> np.ndarray:
    """log m (r, k) of `penalty` at the trials of X: (r, d) switching `group` (k,): from the
    starts where it can (`SwitchingPenalty`, to rounding), else of the trial rows
    (`switch_trials`)."""
    if isinstance(penalty, SwitchingPenalty):
        return penalty.switch_log_values(X, group)
    return penalty_log_values(penalty, switch_trials(X, group)).reshape(X.shape[0], -1)


@dataclass(frozen=True)
class IntegerLattice:
    """Integer columns searched on their values instead of relaxed (step 3 of the module)."""

    columns: tuple[int, ...]  # the integer columns
    sizes: tuple[int, ...]  # the number of values of each
    # (X (r, dim), column j, offsets (s,)) → (r·s, dim): row i·s + k is row i of X with the
    # integer of column j moved by offsets[k] values (clipped to its range), feasible
    shift: Callable[[np.ndarray, int, np.ndarray], np.ndarray]

    def offsets(self, size: int) -> np.ndarray:
        """0 (first: a tie keeps the current value), then ±1, ±2, ±4, … below `size`."""
        steps = 2 ** np.arange(max(0, int(np.ceil(np.log2(size)))))
        return np.concatenate([[0], np.stack([-steps, steps], axis=1).ravel()]).astype(np.int64)


@dataclass(frozen=True)
class Domain:
    """The feasible set, as the engine's search space describes it in the unit cube."""

    dim: int
    sample: Callable[[int, np.random.Generator], np.ndarray]  # n feasible points: (n, dim)
    project: Callable[[np.ndarray], np.ndarray]  # relaxed (n, dim) → nearest feasible (n, dim)
    categorical_groups: tuple[np.ndarray, ...] = ()  # column indices of each one-hot group
    admits: Callable[[np.ndarray], np.ndarray] | None = None  # (n, dim) → (n,) bool; None: all
    linear: tuple[np.ndarray, np.ndarray] | None = None  # (A (k, dim), b (k,)): A x ≤ b
    # columns set by `project` alone, never moved by L-BFGS-B (a conditional space's
    # activity indicators); non-empty also means a categorical switch changes the
    # active columns, so enumerated trials are projected before they are scored
    fixed_columns: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=int))
    # with fixed columns, for each categorical group: the activity column saying whether it
    # is active (−1: always), or None when switching it can change the fixed columns (a
    # parent); () when unknown: every switch is then projected
    group_gates: tuple[int | None, ...] = ()
    # (lower (dim,), upper (dim,)): a box inside the unit cube the search keeps to (a trust
    # region, bayesopt.trust_region); None: the whole cube. Candidates are drawn in it,
    # perturbations clipped to it and L-BFGS-B bounded by it; rounding integers may step out
    box: tuple[np.ndarray, np.ndarray] | None = None
    # integer columns stepped on their lattice, never relaxed; None: relaxed like reals
    lattice: IntegerLattice | None = None

    @property
    def continuous_mask(self) -> np.ndarray:
        """Columns that L-BFGS-B may move (all but the one-hot, fixed and lattice columns)."""
        mask = np.ones(self.dim, dtype=bool)
        for group in self.categorical_groups:
            mask[group] = False
        mask[self.fixed_columns] = False
        if self.lattice is not None:
            mask[list(self.lattice.columns)] = False
        return mask

    @property
    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper corners (dim,) of the search: the box, or the unit cube."""
        if self.box is None:
            return np.zeros(self.dim), np.ones(self.dim)
        return self.box

    def draw(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """n points of the domain (`sample`) mapped affinely into the box: (n, dim)."""
        X = self.sample(n, rng)
        if self.box is None:
            return X
        lower, upper = self.box
        return self.project(lower + (upper - lower) * X)


# (scores of the candidates, avoid (p, d), options, generator) → rows of the L-BFGS-B starts
StartSelection = Callable[
    ["_Scores", np.ndarray, "AcquisitionOptimizerOptions", np.random.Generator], list[int]]


def _best_starts(scores: _Scores, avoid: np.ndarray, options: AcquisitionOptimizerOptions,
                 rng: np.random.Generator) -> list[int]:
    """The `n_restarts` best candidates, each farther than `min_distance` from `avoid` and
    from the ones before it (`_Scores.best_distinct`); draws nothing from `rng`."""
    return scores.best_distinct(scores.candidates[:0], np.empty(0), avoid, options)


def _roulette_starts(scores: _Scores, avoid: np.ndarray, options: AcquisitionOptimizerOptions,
                     rng: np.random.Generator) -> list[int]:
    """The best start of `_best_starts`, then up to `n_restarts` − 1 candidates drawn by
    `roulette_draw` from every candidate's value (Optuna GPSampler's choice of starts,
    optuna 5.1.0 `optuna/_gp/optim_mixed.py`, `optimize_acqf_mixed`)."""
    best = scores.best_distinct(scores.candidates[:0], np.empty(0), avoid, options, limit=1)
    if not best:
        return best
    return best + roulette_draw(scores.scored_in_full(), best[0], options.n_restarts - 1, rng)


def roulette_draw(values: np.ndarray, best: int, size: int,
                  rng: np.random.Generator) -> list[int]:
    """Rows of `values` (m,) drawn without replacement with p_i ∝ exp(a_i − max a), p = 0 at
    `best` and at non-finite values: min(size, #{p_i > 0}) of them (fewer when exp underflows;
    none drawn from `rng` when that is 0), by `Generator.choice(m, k, replace=False, p=p)`.

    With a log-space acquisition (LogEI) p_i is EI_i relative to the largest EI.
    """
    finite = np.isfinite(values)
    if not finite.any():
        return []
    top = np.max(values[finite])
    weights = np.where(finite, np.exp(np.where(finite, values, top) - top), 0.0)
    weights[best] = 0.0
    total = weights.sum()
    count = min(size, int(np.count_nonzero(weights)))
    if count <= 0:
        return []
    drawn = rng.choice(values.size, size=count, replace=False, p=weights / total)
    return [int(i) for i in drawn]


# the rules that pick the L-BFGS-B starts among the scored candidates (`start_selection`)
START_SELECTIONS: dict[str, StartSelection] = {
    "best": _best_starts,
    "roulette": _roulette_starts,
}


@dataclass(frozen=True)
class AcquisitionOptimizerOptions:
    """Effort of the acquisition optimizer (each field checked by `acquisition.checks`)."""

    # Sobol candidates scored in one pass
    n_candidates: int = field(default=2048, metadata=rule(integer(minimum=1)))
    # perturbations of the incumbents
    n_local_candidates: int = field(default=512, metadata=rule(integer(minimum=0)))
    # their standard deviations (unit cube)
    local_scales: tuple[float, ...] = field(
        default=(0.01, 0.05, 0.2), metadata=rule(reals(real(0.0, low_open=True))))
    # L-BFGS-B starts, taken from the best candidates
    n_restarts: int = field(default=8, metadata=rule(integer(minimum=1)))
    # L-BFGS-B iterations of the batched problem
    maxiter: int = field(default=100, metadata=rule(integer(minimum=1)))
    # continuous ↔ enumeration alternations
    categorical_rounds: int = field(default=3, metadata=rule(integer(minimum=1)))
    # closer than this to an observed/pending point is a duplicate (when no candidate is
    # farther, bayesopt asks a uniformly random new point instead, and says so once a run)
    min_distance: float = field(default=1e-6, metadata=rule(real(0.0)))
    # Scoring m candidates against n observations costs O(m·n²) (one triangular
    # solve with m right-hand sides); beyond this n the candidate counts shrink
    # as 1/n so the cost grows as n, not n² (the value: the quality suite's choice,
    # bench/results/large_n_quality.md)
    full_candidates_until: int = field(default=200, metadata=rule(integer(minimum=1)))
    # beyond full_candidates_until each shrunk count is rounded down to a multiple of this,
    # which every trsm column group kernels.cholesky probes divides: the candidates' solves
    # then stay alike (`CholeskyFactor.solves_alike`) and screening can leave most of them
    # unscored (bench/results/candidate_groups.md); 1: the counts as the 1/n rule gives them
    candidate_group: int = field(default=8, metadata=rule(integer(minimum=1)))
    # L-BFGS-B relative reduction tolerance on the summed acquisition
    ftol: float = field(default=1e-9, metadata=rule(real(0.0, low_open=True)))
    # None: the local search stops by ftol and maxiter alone. A number: it also stops after
    # the first iteration in which no start's acquisition value rose by more than this, in
    # the acquisition's units (log EI for LogEI): each start's own absolute tolerance, where
    # ftol is relative to the sum of all r starts (bench/results/small_n_step4.md)
    polish_rise_tol: float | None = field(
        default=None, metadata=rule(optional(real(0.0, low_open=True))))
    # the local search (batched L-BFGS-B; SLSQP per start under linear constraints, since
    # 0.16.0) in coordinates x_j / s_j, s_j a column's lengthscale over the longest free
    # column's (`search_scales`); False: in x itself
    scale_by_lengthscales: bool = field(default=True, metadata=rule(boolean()))
    # how the starts are picked among the candidates (`START_SELECTIONS`): "best", the
    # n_restarts best distinct ones; "roulette", the best then a draw ∝ exp(value − max)
    # from the ask's generator (Optuna GPSampler's rule; every candidate scored)
    start_selection: str = field(default="best", metadata=rule(choice(START_SELECTIONS)))
    # True: one local search more, started at the incumbent (the observed point of
    # `ModelOptions.incumbent`, passed by the caller as `optimize_acquisition`'s
    # `warm_start`) and run as its own problem, so the n_restarts others are unchanged
    # (Optuna GPSampler's warm start at the best observed trial)
    incumbent_start: bool = field(default=False, metadata=rule(boolean()))

    def __post_init__(self) -> None:
        check_fields(self)

    def for_data_size(self, n: int) -> AcquisitionOptimizerOptions:
        """These options with candidate counts scaled down by full_candidates_until / n for
        large n, each rounded down to a multiple of candidate_group (at least 64 Sobol
        candidates and 16 perturbations)."""
        if n <= self.full_candidates_until:
            return self
        scale, group = self.full_candidates_until / n, self.candidate_group
        return replace(
            self,
            n_candidates=max(64, int(self.n_candidates * scale) // group * group),
            n_local_candidates=max(16, int(self.n_local_candidates * scale) // group * group),
        )


@dataclass
class AcquisitionObjective:
    """x ↦ acquisition(surrogate(x)), damped by a penalty, with gradients by the chain rule.

    The penalty returns log m(x) for a damping factor m in (0, 1]: it is added
    to log-space acquisitions and to UCB, and multiplies EI (whose values are
    not logs and are never negative).
    """

    acquisition: AcquisitionFunction
    surrogate: Surrogate
    penalty: Penalty | None = field(default=None)
    # the context the local search (batched L-BFGS-B, or SLSQP per start under linear
    # constraints) runs in: the engine limits BLAS to one thread there
    local_search_context: Callable[[], AbstractContextManager[object]] = field(
        default=contextlib.nullcontext)

    # `values` is the acquisition of the surrogate's (mean, std), so it can be screened
    screens: ClassVar[bool] = True
    # ... and a categorical's switches scored from the surrogate's `predict_switches`
    switches: ClassVar[bool] = True

    def values(self, X: np.ndarray) -> np.ndarray:
        value = self._undamped(X)
        if self.penalty is None:
            return value
        return self._damped(value, penalty_log_values(self.penalty, X))

    def _damped(self, value: np.ndarray, log_mask: np.ndarray) -> np.ndarray:
        """The acquisition `value` damped by the penalty's log m(x) `log_mask` (same shape)."""
        if self._multiplicative:
            return cast(np.ndarray, value * np.exp(log_mask))
        return cast(np.ndarray, value + log_mask)

    def values_and_gradients(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        value, grad = self._undamped_with_gradient(X)
        if self.penalty is None:
            return value, grad
        log_mask, d_log_mask = self.penalty(X)
        if self._multiplicative:
            mask = np.exp(log_mask)
            return value * mask, (grad + value[:, None] * d_log_mask) * mask[:, None]
        return value + log_mask, grad + d_log_mask

    def log_values(self, X: np.ndarray) -> np.ndarray:
        """log `values(X)` computed in log space: a log-space acquisition's values as they
        are; for EI, log EI as LogEI computes it (`ExpectedImprovement.log_value`) plus
        the penalty's log m(x), finite where EI·m underflows to 0. Only these two kinds
        are positive (UCB can be negative: TypeError)."""
        if self.acquisition.log_space:
            return self.values(X)
        if not isinstance(self.acquisition, ExpectedImprovement):
            raise TypeError(f"{self.acquisition!r} has no logarithm (it can be negative)")
        log_value = self._undamped_log_ei(X, self.acquisition)
        return (log_value if self.penalty is None
                else log_value + penalty_log_values(self.penalty, X))

    def _undamped_log_ei(self, X: np.ndarray, ei: ExpectedImprovement) -> np.ndarray:
        """log EI before the penalty, in log space: (m,)."""
        mean, std = self.surrogate.predict(X)
        return ei.log_value(mean, std)

    def switch_values(self, X: np.ndarray, group: np.ndarray) -> np.ndarray | None:
        """`values` at the r·k trials of X: (r, d) with the one-hot columns `group` (k,) set
        to each e_c, as (r, k): the surrogate's part from its switches (`_undamped_switches`,
        equal to scoring the trial rows to rounding), a penalty's from the starts too where
        it can (`penalty_switch_log_values`: O(r·(d + k)) per pending or failed point, to
        rounding), else from the trial rows (O(r·k·d)); None when the surrogate cannot."""
        value = self._undamped_switches(X, group) if self.switches else None
        if value is None or self.penalty is None:
            return value
        return self._damped(value, penalty_switch_log_values(self.penalty, X, group))

    def _undamped_switches(self, X: np.ndarray, group: np.ndarray) -> np.ndarray | None:
        """The acquisition before the penalty at the trials of `switch_values`, (r, k), from
        `SwitchingSurrogate.predict_switches`; None when the surrogate cannot."""
        if not isinstance(self.surrogate, SwitchingSurrogate):
            return None
        moments = self.surrogate.predict_switches(X, group)
        if moments is None:
            return None
        mean, std = moments
        return self.acquisition(mean.ravel(), std.ravel()).reshape(mean.shape)

    def screened_values(self, X: np.ndarray, keep: int) -> tuple[np.ndarray, float]:
        """`values(X)` where they can be among the `keep` largest: (values (m,), floor).

        Exact pruning. An acquisition increasing in the std at a fixed mean (EI, LogEI,
        UCB) is at most its value at a bound of the posterior's std that needs no
        triangular solve (`ScreenedPosterior.std_bound`). The rows of the largest bounds are
        scored first; the keep-th largest of their values is the floor, and a row whose
        bound is below the floor by more than a rounding margin cannot reach it, so it
        is not scored (value −inf). Every unscored row's value is below `floor`; every
        scored one equals `values(X)`'s bit for bit (`ScreenedPosterior.std`). Without
        a screened posterior, a penalty or such an acquisition: `values(X)`, −inf.
        """
        assert keep >= 1, f"keep={keep} must be positive"
        posterior = self._screened_posterior(X)
        if posterior is None or X.shape[0] <= keep:
            return self.values(X), -np.inf
        mean = posterior.mean
        bound = self.acquisition(mean, posterior.std_bound)
        values = np.full(X.shape[0], -np.inf)
        head = _descending_head(bound, max(keep, _SCREEN_FIRST))
        values[head] = self.acquisition(mean[head], posterior.std(head))
        floor = float(np.partition(values[head], head.size - keep)[head.size - keep])
        if np.isfinite(floor):
            rest = _descending_rest(bound, head, floor - _SCREEN_MARGIN * (1.0 + abs(floor)))
        else:
            floor = -np.inf
            rest = np.argsort(-bound, kind="stable")[head.size :]
        if rest.size:
            values[rest] = self.acquisition(mean[rest], posterior.std(rest))
        return values, floor

    def _screened_posterior(self, X: np.ndarray) -> ScreenedPosterior | None:
        if not (self.screens and self.penalty is None and self.acquisition.increasing_in_std
                and isinstance(self.surrogate, ScreenedSurrogate)):
            return None
        return self.surrogate.posterior(X)

    @property
    def _multiplicative(self) -> bool:
        return self.acquisition.name == "ei"

    def _undamped(self, X: np.ndarray) -> np.ndarray:
        """The acquisition before the penalty: (m,)."""
        mean, std = self.surrogate.predict(X)
        return self.acquisition(mean, std)

    def _undamped_with_gradient(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The acquisition before the penalty and its gradient in x: (m,), (m, d)."""
        mean, std, d_mean, d_std = self.surrogate.predict_with_gradient(X)
        value, da_dmean, da_dstd = self.acquisition.value_and_grad(mean, std)
        return value, _chain_rule(da_dmean, d_mean, da_dstd, d_std)


@cached_njit()
def _chain_rule(
    da_dmean: np.ndarray, d_mean: np.ndarray, da_dstd: np.ndarray, d_std: np.ndarray
) -> np.ndarray:
    """∂a/∂x = ∂a/∂μ·∂μ/∂x + ∂a/∂σ·∂σ/∂x: (m,), (m, d), (m,), (m, d) → (m, d); the numpy
    expression da_dmean[:, None] * d_mean + da_dstd[:, None] * d_std as one loop (the
    same two products and one sum per entry, nothing fused: the same numbers)."""
    m, d = d_mean.shape
    out = np.empty((m, d))
    for i in range(m):
        for j in range(d):
            out[i, j] = da_dmean[i] * d_mean[i, j] + da_dstd[i] * d_std[i, j]
    return out


@dataclass(frozen=True)
class Proposal:
    x: np.ndarray  # (d,) feasible, encoded
    value: float  # acquisition value at x


def optimize_acquisition(
    objective: AcquisitionObjective, domain: Domain, rng: np.random.Generator,
    incumbents: np.ndarray, avoid: np.ndarray,
    options: AcquisitionOptimizerOptions = AcquisitionOptimizerOptions(),
    warm_start: np.ndarray | None = None, lengthscales: np.ndarray | None = None,
) -> Proposal | None:
    """Best feasible point not within `min_distance` of `avoid`; None if every try was a duplicate.

    incumbents: (k, d) good observed points to search around; avoid: (p, d)
    observed and pending points; warm_start: (d,) a feasible point one more local search
    starts at, after the selected starts' and as its own problem (their optima stay the
    same), its optimum ranked after theirs — the caller passes the incumbent when
    `options.incumbent_start` — or None; lengthscales: (d,) the surrogate's lengthscale
    of each column, which the batched local search is scaled by (`search_scales`; the
    caller passes them when `options.scale_by_lengthscales`), or None.
    """
    candidates = candidate_pool(domain, rng, incumbents, options)
    if not len(candidates):
        return None
    scores = _Scores(objective, candidates,
                     *objective.screened_values(candidates, options.n_restarts))
    starts = candidates[START_SELECTIONS[options.start_selection](scores, avoid, options, rng)]
    scales = None if lengthscales is None else search_scales(lengthscales, domain.continuous_mask)
    optima = _local_search(objective, domain, starts, options, scales) if len(starts) else starts
    if warm_start is not None:
        optima = np.concatenate([optima, _local_search(
            objective, domain, warm_start[None, :].copy(), options, scales)])
    optima = _admitted(domain, optima)
    optima_values = objective.values(optima) if len(optima) else np.empty(0)
    chosen = scores.best_distinct(optima, optima_values, avoid, options, limit=1)
    if not len(chosen):
        return None
    pool = np.concatenate([optima, candidates])
    pool_values = np.concatenate([optima_values, scores.values])
    return Proposal(pool[chosen[0]].copy(), float(pool_values[chosen[0]]))


def candidate_pool(
    domain: Domain, rng: np.random.Generator, incumbents: np.ndarray,
    options: AcquisitionOptimizerOptions = AcquisitionOptimizerOptions(),
) -> np.ndarray:
    """Step 1's candidates (m, d): `options.n_candidates` points of the domain then
    `options.n_local_candidates` perturbations of the (k, d) incumbents, those the domain
    admits, in that order (the generator's draws in that order too)."""
    return _admitted(domain, np.concatenate([
        domain.draw(options.n_candidates, rng),
        _perturbations(incumbents, domain, rng, options),
    ]))


@dataclass
class _Scores:
    """The candidates' values as `AcquisitionObjective.screened_values` leaves them (every
    unscored one is below `floor`), scored in full when a choice needs it."""

    objective: AcquisitionObjective
    candidates: np.ndarray  # (m, d)
    values: np.ndarray  # (m,): −inf where unscored
    floor: float

    def best_distinct(self, head: np.ndarray, head_values: np.ndarray, avoid: np.ndarray,
                      options: AcquisitionOptimizerOptions, limit: int | None = None) -> list[int]:
        """`_first_distinct` of [head; candidates] by decreasing value (ties: first row
        first), as it would be with every candidate scored: if a choice is below the floor
        (so the walk passed unscored rows), every candidate is scored and the walk redone."""
        points = np.concatenate([head, self.candidates])
        while True:
            values = np.concatenate([head_values, self.values])
            chosen = _first_distinct(points, _descending_walk(values), avoid, options, limit)
            if not any(values[i] < self.floor for i in chosen):
                return chosen
            self.scored_in_full()

    def scored_in_full(self) -> np.ndarray:
        """Every candidate's value (m,), scoring the unscored ones first if any are."""
        if self.floor > -np.inf:
            self.values, self.floor = self.objective.values(self.candidates), -np.inf
        return self.values


def _descending_head(values: np.ndarray, k: int) -> np.ndarray:
    """The first k entries of np.argsort(-values, kind="stable") (m,): the rows of the k
    largest values, ties in row order, NaN last, without sorting the other rows.

    The k-th smallest of −values, c, is found by partition; the rows with −value ≤ c hold
    the first k of the order (those below c all of them, those at c in row order), and a
    stable sort of just those rows, taken in row order, puts them as the full sort does.
    With fewer than k values that are not NaN (c is NaN), the full sort."""
    negated = -values
    if k >= negated.size:
        return np.argsort(negated, kind="stable")
    kth = np.partition(negated, k - 1)[k - 1]
    if np.isnan(kth):
        return np.argsort(negated, kind="stable")[:k]
    rows = np.flatnonzero(negated <= kth)
    return rows[np.argsort(negated[rows], kind="stable")][:k]


def _descending_rest(values: np.ndarray, head: np.ndarray, threshold: float) -> np.ndarray:
    """The rows of np.argsort(-values, kind="stable") after `head` (its first entries, as
    `_descending_head` gives them) whose value is ≥ threshold, in that order: a stable sort
    of just those rows, taken in row order."""
    keep = values >= threshold
    keep[head] = False
    rows = np.flatnonzero(keep)
    return rows[np.argsort(-values[rows], kind="stable")]


def _descending_walk(values: np.ndarray) -> Iterator[int]:
    """np.argsort(-values, kind="stable") (m,) one entry at a time, for a walk that mostly
    stops early (`first_distinct`): its first `_WALK_HEAD` entries by `_descending_head`,
    the others from the full sort, made only if the walk gets that far."""
    head = _descending_head(values, _WALK_HEAD)
    yield from head
    if head.size < values.size:
        yield from np.argsort(-values, kind="stable")[head.size :]


def _admitted(domain: Domain, X: np.ndarray) -> np.ndarray:
    """The rows of X: (n, d) the domain admits (all of them without input constraints)."""
    return X if domain.admits is None or not len(X) else X[domain.admits(X)]


def _perturbations(
    incumbents: np.ndarray, domain: Domain, rng: np.random.Generator,
    options: AcquisitionOptimizerOptions,
) -> np.ndarray:
    """Gaussian steps around the incumbents at each scale, projected to the domain."""
    if incumbents.shape[0] == 0 or options.n_local_candidates == 0:
        return np.empty((0, domain.dim))
    centers = incumbents[rng.integers(incumbents.shape[0], size=options.n_local_candidates)]
    scales = np.asarray(options.local_scales)[
        np.arange(options.n_local_candidates) % len(options.local_scales)
    ]
    steps = rng.standard_normal(centers.shape) * scales[:, None]
    return domain.project(np.clip(centers + steps, *domain.bounds))


def _first_distinct(
    points: np.ndarray, order: Iterable[int], avoid: np.ndarray,
    options: AcquisitionOptimizerOptions, limit: int | None = None,
) -> list[int]:
    """`first_distinct` with the options' `min_distance`, up to `limit` points (default
    `n_restarts`)."""
    return first_distinct(points, order, avoid, options.min_distance,
                          options.n_restarts if limit is None else limit)


def first_distinct(
    points: np.ndarray, order: Iterable[int], avoid: np.ndarray, min_distance: float,
    limit: int | None = None,
) -> list[int]:
    """Indices (in `order`) of the points (m, d) farther than `min_distance` from every row
    of `avoid` (p, d) and from every point chosen before them, up to `limit` (None: all).

    The order is read in blocks of 1, 2, 4, … indices, each checked against `avoid` at once
    (`_Avoided`), so a walk past thousands of avoided points (a nearly exhausted finite
    space) takes a few numpy passes, and a walk that stops at its first index computes what
    one check would. The indices are those of checking each point alone: its squared
    distance to a row of `avoid` or of the chosen is the sum over the row that such a
    check computes, and it is avoided iff the least of them is ≤ min_distance²."""
    chosen: list[int] = []
    tol2 = min_distance**2
    avoided = _Avoided(avoid, tol2)
    walk = iter(order)
    size, most = 1, max(1, _BLOCK_ENTRIES // max(1, avoid.size))
    while True:
        block = np.fromiter(itertools.islice(walk, size), dtype=np.int64)
        if not block.size:
            return chosen
        for index in block[~avoided.near(points[block])]:
            x = points[index]
            if chosen and np.min(np.sum((points[chosen] - x) ** 2, axis=1)) <= tol2:
                continue
            chosen.append(int(index))
            if len(chosen) == limit:
                return chosen
        size = min(2 * size, most)


class _Avoided:
    """Which rows x of X (b, d) have min over the rows a of `avoid` (p, d) of
    Σ_j (a_j − x_j)² ≤ tol2 (False where that minimum is NaN: with a NaN in `avoid` or x).

    Where `avoid` and x are finite and tol2 ≥ 0, an x equal bit for bit to a row of `avoid`
    is near without its distances (that row's sum is 0 and none is NaN): found by binary
    search in `avoid`'s rows sorted as bytes, built for blocks of `_KEYED_FROM` rows or
    more (walks that stop early never build it). The other rows' distances are computed."""

    def __init__(self, avoid: np.ndarray, tol2: float) -> None:
        self.avoid = avoid
        self.tol2 = tol2
        self._keys: np.ndarray | None = None  # (p,) avoid's rows as bytes, sorted

    def near(self, X: np.ndarray) -> np.ndarray:
        """(b,) bool for X (b, d)."""
        if not self.avoid.shape[0]:
            return np.zeros(X.shape[0], dtype=bool)
        near = self._equal(X)
        rest = ~near
        squared = np.sum((self.avoid[None, :, :] - X[rest][:, None, :]) ** 2, axis=2)  # (r, p)
        near[rest] = np.min(squared, axis=1) <= self.tol2
        return near

    def _equal(self, X: np.ndarray) -> np.ndarray:
        """(b,) whether each row of X is finite and equal to a row of `avoid`, where every
        row of `avoid` is finite and tol2 ≥ 0 (all False otherwise, and for small X)."""
        equal = np.zeros(X.shape[0], dtype=bool)
        if X.shape[0] < _KEYED_FROM or not self.tol2 >= 0.0:
            return equal
        if self._keys is None:
            finite = bool(np.isfinite(self.avoid).all())
            self._keys = np.sort(_row_bytes(self.avoid)) if finite else np.empty(0)
        if not self._keys.size:
            return equal
        keys = _row_bytes(X)
        found = self._keys[np.minimum(np.searchsorted(self._keys, keys), self._keys.size - 1)]
        equal[:] = (found == keys) & np.isfinite(X).all(axis=1)
        return equal


def _row_bytes(X: np.ndarray) -> np.ndarray:
    """(n,) the rows of X (n, d) as void scalars of their float64 bytes (equal iff equal
    bit for bit; sorted and searched by their bytes)."""
    rows = np.ascontiguousarray(X, dtype=np.float64)
    return rows.view(np.dtype((np.void, rows.shape[1] * rows.itemsize))).reshape(-1)


def search_scales(lengthscales: np.ndarray, free: np.ndarray) -> np.ndarray:
    """s (d,): each column's lengthscale over the longest free column's, floored at
    `SEARCH_SCALE_FLOOR`; 1 where no column is free. The batched local search runs in
    u = (x − x₀) / s, where the acquisition's curvature, which scales as 1/l_j² near the
    data, is about equal along every free column (a diagonal change of variables,
    Nocedal & Wright 2006 §2.2)."""
    lengthscales = np.asarray(lengthscales, dtype=float)
    if not free.any():
        return np.ones_like(lengthscales)
    scales: np.ndarray = np.maximum(lengthscales / lengthscales[free].max(), SEARCH_SCALE_FLOOR)
    return scales


def _local_search(
    objective: AcquisitionObjective, domain: Domain, starts: np.ndarray,
    options: AcquisitionOptimizerOptions, scales: np.ndarray | None = None,
) -> np.ndarray:
    """Alternate batched L-BFGS-B (SLSQP per start under linear constraints) on the continuous
    columns with categorical enumeration; either solver scaled by `scales` (d,) if given."""
    free = domain.continuous_mask

    def local(X0: np.ndarray) -> np.ndarray:
        if not free.any():
            return X0
        if domain.linear is not None:
            return _slsqp_each(objective, X0, free, domain, domain.linear, options, scales)
        stop = rise_stop(options)
        negative_sum = _negated_sum(objective, X0.shape, free, stop)
        bounds = _start_bounds(X0, free, domain)
        flat_scale = None if scales is None else np.tile(scales, X0.shape[0])
        return _batched_lbfgsb(objective, negative_sum, X0, bounds, options, stop, flat_scale)

    X = local(starts)
    discrete = bool(domain.categorical_groups) or domain.lattice is not None
    for _ in range(options.categorical_rounds if discrete else 0):
        X_enumerated = _lattice_steps(objective, _enumerate_categoricals(objective, X, domain),
                                      domain)
        if np.array_equal(X_enumerated, X):
            break
        X = local(X_enumerated)
    return domain.project(X)


_NegatedSum = Callable[[np.ndarray], tuple[float, np.ndarray]]


class _RiseStop:
    """`AcquisitionOptimizerOptions.polish_rise_tol`'s rule, as the per-iteration callback
    of scipy's L-BFGS-B and SLSQP: StopIteration (scipy then returns that iterate) after
    the first iteration in which no start's value a(x_i) rose by more than `tol`.

    The batched objective `record`s each evaluation's r values; the first is at the starts
    (both solvers evaluate x0 first). An iterate is the point of the last evaluation (the
    line search ends there): its values are the recorded ones, compared by the point's
    bytes; at any other point the rule does not decide and the search goes on."""

    def __init__(self, tol: float) -> None:
        self.tol = tol
        self._previous: np.ndarray | None = None  # the values at the last iterate (or start)
        self._point: bytes | None = None  # the last evaluation's flat point
        self._values: np.ndarray | None = None  # and its r values
        self.stopped_at: np.ndarray | None = None  # the iterate it stopped the search at

    def record(self, flat: np.ndarray, values: np.ndarray) -> None:
        self._point, self._values = flat.tobytes(), values
        if self._previous is None:
            self._previous = values

    def __call__(self, flat: np.ndarray) -> None:
        if self._values is None or self._previous is None or flat.tobytes() != self._point:
            return
        rise = float(np.max(self._values - self._previous))
        self._previous = self._values
        if rise <= self.tol:
            self.stopped_at = flat.copy()
            raise StopIteration


def rise_stop(options: AcquisitionOptimizerOptions) -> _RiseStop | None:
    """A fresh `_RiseStop` for one local search under `options.polish_rise_tol`; None
    when the rule is off."""
    return None if options.polish_rise_tol is None else _RiseStop(options.polish_rise_tol)


def _negated_sum(objective: AcquisitionObjective, shape: tuple[int, ...],
                 free: np.ndarray, stop: _RiseStop | None = None) -> _NegatedSum:
    """The batched problem of r starts, shape (r, d), in r·d flat variables: x ↦ −Σ_i a(x_i)
    and its gradient, zero on the columns that are not `free` (d,) — what scipy minimizes;
    each evaluation's r values go to `stop` when given."""
    fixed = not free.all()

    def negative_sum(flat: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad = objective.values_and_gradients(flat.reshape(shape))
        if stop is not None:
            stop.record(flat, value)
        if fixed:
            grad = np.where(free, grad, 0.0)
        return -float(value.sum()), -grad.ravel()

    return negative_sum


def _batched_lbfgsb(
    objective: AcquisitionObjective, negative_sum: _NegatedSum, X0: np.ndarray,
    bounds: tuple[np.ndarray, np.ndarray], options: AcquisitionOptimizerOptions,
    stop: _RiseStop | None = None, scale: np.ndarray | None = None,
) -> np.ndarray:
    """Maximize Σ_i a(x_i) over the free columns of all r starts in one L-BFGS-B run, in
    the objective's `local_search_context` (`_minimize_in_context`), as scipy's `minimize`
    runs it with the options' iteration limit and tolerance (`acquisition.memo.lbfgsb`),
    and `stop` as its callback; scaled by `scale` (r·d,) if given (`lbfgsb`'s)."""
    with objective.local_search_context():
        result = lbfgsb(negative_sum, X0.ravel(), *bounds, options.maxiter, options.ftol,
                        callback=stop, scale=scale)
    X: np.ndarray = np.clip(result.x.reshape(X0.shape), 0.0, 1.0)
    # L-BFGS-B returns its last iterate; never let a start end worse than it began
    worse = objective.values(X) < objective.values(X0)
    X[worse] = X0[worse]
    return X


def _minimize_in_context(
    objective: AcquisitionObjective, negative_sum: _NegatedSum, z0: np.ndarray,
    options: AcquisitionOptimizerOptions, method: str, bounds: object,
    constraints: Sequence[dict[str, object]] = (), stop: _RiseStop | None = None,
    to_point: Callable[[np.ndarray], np.ndarray] | None = None,
) -> np.ndarray:
    """scipy's `minimize` of the batched problem from z0 (p,) by `method` (SLSQP; L-BFGS-B
    goes through `acquisition.memo.lbfgsb` in the same context), with `options`' iteration
    limit and tolerance and `stop` after each iteration, run in the objective's
    `local_search_context` (the engine's one BLAS thread). The solver's variables z map to
    the problem's point by `to_point` (None: z itself), which `stop` sees; returns the
    point the solver ended at, or the one `stop` ended the run at."""
    memo = ValueAndGradient(negative_sum)  # jac=True's MemoizeJac, cheaper
    callback = stop if stop is None or to_point is None else (lambda z: stop(to_point(z)))
    with objective.local_search_context():
        try:
            result = minimize(memo.value, z0, jac=memo.gradient, method=method, bounds=bounds,
                              constraints=constraints, callback=callback,
                              options={"maxiter": options.maxiter, "ftol": options.ftol})
        except StopIteration:
            # scipy before 1.16 (the newest for Python 3.10 is 1.15) lets the StopIteration
            # of SLSQP's callback out; from 1.16 SLSQP returns the iterate it was given
            if stop is None or stop.stopped_at is None:
                raise
            return stop.stopped_at
    x: np.ndarray = result.x if to_point is None else to_point(result.x)
    return x


def _start_bounds(X0: np.ndarray, free: np.ndarray,
                  domain: Domain) -> tuple[np.ndarray, np.ndarray]:
    """Bounds of the batched problem, flat (r·d,): the domain's box on the free columns (a
    start outside it, e.g. a rounded integer, widens its own bounds to include it), the
    start itself on the others."""
    box_lower, box_upper = domain.bounds
    lower = np.where(free, np.minimum(box_lower, X0), X0).ravel()
    upper = np.where(free, np.maximum(box_upper, X0), X0).ravel()
    return lower, upper


def _slsqp_each(
    objective: AcquisitionObjective, X0: np.ndarray, free: np.ndarray, domain: Domain,
    linear: tuple[np.ndarray, np.ndarray], options: AcquisitionOptimizerOptions,
    scales: np.ndarray | None = None,
) -> np.ndarray:
    """`_batched_slsqp` on each start of X0 (r, d) alone, each with its own
    `options.polish_rise_tol` rule, scaled by `scales` (d,) if given.

    On the sum of r separable problems SLSQP couples what the problem keeps apart: one line
    search on one merit function takes one step length for every start, and its dense
    quasi-Newton matrix (r·f square) mixes their curvatures. Solved alone, a start gets
    closer to its own optimum where that optimum lies on a constraint; r problems of f
    variables also cost r·O(f³) per iteration of SLSQP's least-squares subproblem, against
    O((r·f)³) (measured: bench/results/linear_ask_cost.md)."""
    rows = [_batched_slsqp(objective, X0[i : i + 1], free, domain, linear, options,
                           rise_stop(options), scales)
            for i in range(X0.shape[0])]
    return np.concatenate(rows) if rows else X0


def _batched_slsqp(
    objective: AcquisitionObjective, X0: np.ndarray, free: np.ndarray, domain: Domain,
    linear: tuple[np.ndarray, np.ndarray], options: AcquisitionOptimizerOptions,
    stop: _RiseStop | None = None, scales: np.ndarray | None = None,
) -> np.ndarray:
    """Maximize Σ_i a(x_i) subject to A x_i ≤ b for every start, in one SLSQP run over the
    `free` (d,) columns of the r starts X0: (r, d) only.

    The other columns (categories, fixed ones) keep their start's values, so they are
    constants of the problem, not variables held by equal bounds: SLSQP's work per
    iteration is cubic in its number of variables (its dense least-squares subproblem).
    With x_i = (f_i, c_i) the constraint is A_f f_i ≤ b − A_c c_i.

    With `scales` (d,) > 0 SLSQP runs over u, f = f⁰ + s ∘ u from u = 0, as the scaled
    L-BFGS-B does (`acquisition.memo.lbfgsb`): the bounds map alike, the constraint
    becomes (A_f ∘ s) u ≤ b − A_c c_i − A_f f⁰, the gradient is s ∘ ∇. A diagonal change of
    variables (Nocedal & Wright 2006, §2.2) changes the quasi-Newton path, not the
    problem; the objective and the `stop` rule see f, computed as f⁰ + s ∘ u every time."""
    r, f = X0.shape[0], int(np.count_nonzero(free))
    A, b = linear
    A_all = np.kron(np.eye(r), A[:, free])  # (r·k, r·f): the inequalities of each start
    b_all = (b - X0[:, ~free] @ A[:, ~free].T).ravel()  # (r·k,): b less the constant part
    negative_free = _free_negated_sum(objective, X0, free, stop)
    lower, upper = _start_bounds(X0, free, domain)
    on_free = np.tile(free, r)
    lower, upper, x0 = lower[on_free], upper[on_free], X0[:, free].ravel()
    if scales is None:
        x = _minimize_in_context(
            objective, negative_free, x0, options, method="SLSQP",
            bounds=list(zip(lower, upper)), constraints=_linear_inequalities(A_all, b_all),
            stop=stop)
    else:
        s = np.tile(scales[free], r)  # (r·f,)
        x = _minimize_in_context(
            objective, over_u(negative_free, x0, s), np.zeros_like(x0), options, method="SLSQP",
            bounds=list(zip((lower - x0) / s, (upper - x0) / s)),
            constraints=_linear_inequalities(A_all * s, b_all - A_all @ x0),
            stop=stop, to_point=lambda u: x0 + s * u)
    X = X0.copy()
    X[:, free] = np.clip(x.reshape(r, f), 0.0, 1.0)
    # b is tightened by the caller's margin (bayesopt.feasibility); SLSQP's own tolerance
    # on an active constraint is far below it
    inside = np.all(X @ A.T <= b + _SLSQP_FEASIBILITY_TOL, axis=1)
    keep = inside & (objective.values(X) >= objective.values(X0))
    return np.where(keep[:, None], X, X0)


def _linear_inequalities(A: np.ndarray, b: np.ndarray) -> list[dict[str, object]]:
    """A x ≤ b as SLSQP's one inequality constraint b − A x ≥ 0, its Jacobian −A made once."""
    jacobian = -A
    return [{"type": "ineq", "fun": lambda x: b - A @ x, "jac": lambda x: jacobian}]


def _free_negated_sum(objective: AcquisitionObjective, X0: np.ndarray,
                      free: np.ndarray, stop: _RiseStop | None = None) -> _NegatedSum:
    """x ↦ −Σ_i a(x_i) and its gradient in the r·f flat variables of the `free` (d,) columns
    of r starts, the other columns held at X0's (r, d); each evaluation's r values go to
    `stop` when given. With every column free, the flat variables are X itself."""
    if free.all():
        return _negated_sum(objective, X0.shape, free, stop)

    def negative_sum(flat: np.ndarray) -> tuple[float, np.ndarray]:
        X = X0.copy()
        X[:, free] = flat.reshape(X0.shape[0], -1)
        value, grad = objective.values_and_gradients(X)
        if stop is not None:
            stop.record(flat, value)
        return -float(value.sum()), -grad[:, free].ravel()

    return negative_sum


def _enumerate_categoricals(
    objective: AcquisitionObjective, X: np.ndarray, domain: Domain
) -> np.ndarray:
    """For each point and each categorical in turn, switch to its best value.

    A categorical of more than `SWITCHES_BY_DISTANCE_ABOVE` choices is scored by
    `AcquisitionObjective.switch_values` where the objective can — in a space without
    fixed columns, or with them when switching it changes none (`Domain.group_gates`:
    no parent) — the same values to rounding, so an argmax between near-equal values may
    differ from scoring the trial rows in the last bits; otherwise the r·k trial rows are
    scored. With fixed columns a trial's projection is the projected row with the group
    set to e_c where the group is active, the projected row itself where it is not
    (every trial the same: it stays), so only the active rows are scored."""
    X = domain.project(X)
    for index, group in enumerate(domain.categorical_groups):
        k = group.shape[0]
        if k > SWITCHES_BY_DISTANCE_ABOVE:
            switched = _switched(objective, X, group, domain, index)
            if switched is not None:
                X = switched
                continue
        trials = switch_trials(X, group)
        if domain.fixed_columns.size:
            trials = domain.project(trials)
        best = np.argmax(objective.values(trials).reshape(X.shape[0], k), axis=1)
        if domain.fixed_columns.size:
            X = trials.reshape(X.shape[0], k, -1)[np.arange(X.shape[0]), best]
        else:
            X[:, group] = np.eye(k)[best]
    return X


def _switched(objective: AcquisitionObjective, X: np.ndarray, group: np.ndarray,
              domain: Domain, index: int) -> np.ndarray | None:
    """X (r, d, projected) with the categorical `group` (the domain's `index`-th) switched to
    its best choice by `AcquisitionObjective.switch_values` (`_enumerate_categoricals`);
    None when the objective cannot or a switch can change the fixed columns."""
    if not domain.fixed_columns.size:
        values = objective.switch_values(X, group)
        if values is None:
            return None
        X[:, group] = np.eye(group.shape[0])[np.argmax(values, axis=1)]
        return X
    gate = domain.group_gates[index] if domain.group_gates else None
    if gate is None:
        return None
    X = domain.project(X)  # every trial's projection but for the group's columns
    rows = np.flatnonzero(X[:, gate] > 0.5) if gate >= 0 else np.arange(X.shape[0])
    if rows.size == 0:
        return X
    values = objective.switch_values(X[rows], group)
    if values is None:
        return None
    X[rows[:, None], group] = np.eye(group.shape[0])[np.argmax(values, axis=1)]
    return X


def switch_trials(X: np.ndarray, group: np.ndarray) -> np.ndarray:
    """The r·k trials of X: (r, d), row i·k + c being X[i] with the one-hot columns `group`
    (k,) set to e_c: (r·k, d)."""
    k = group.shape[0]
    trials = np.repeat(X, k, axis=0)
    trials[:, group] = np.tile(np.eye(k), (X.shape[0], 1))
    return trials


def _lattice_steps(objective: AcquisitionObjective, X: np.ndarray, domain: Domain) -> np.ndarray:
    """For each point (r, d) and each lattice column in turn, move to its best value among
    the `IntegerLattice.offsets` steps (ties: stay); rows the domain does not admit lose."""
    lattice = domain.lattice
    if lattice is None:
        return X
    r = X.shape[0]
    for column, size in zip(lattice.columns, lattice.sizes):
        offsets = lattice.offsets(size)
        trials = lattice.shift(X, column, offsets)  # (r·s, d)
        values = objective.values(trials)
        if domain.admits is not None:
            values = np.where(domain.admits(trials), values, -np.inf)
        best = np.argmax(values.reshape(r, offsets.size), axis=1)
        X = trials.reshape(r, offsets.size, -1)[np.arange(r), best]
    return X

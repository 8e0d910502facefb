"""Multi-fidelity scheduling: Hyperband brackets run as asynchronous successive halving.

Notation (Li et al., JMLR 2018, "Hyperband"; Li et al., MLSys 2020, "ASHA"):

    r = low, R = high     the smallest and largest budget of a `Fidelity`
    η                     the reduction factor (`Fidelity.eta`, an integer ≥ 2)
    s_max                 ⌊log_η(R/r)⌋, the largest s with r·η^s ≤ R
    bracket s ∈ 0..s_max  starts n_s = ⌈(s_max+1)/(s+1)·η^s⌉ configurations
                          at budget R·η^−s (Hyperband, Alg. 1, line 3)
    rung k ∈ 0..s         of bracket s: budget R·η^(k−s); the top rung k = s is R

ASHA (Li et al. 2020, Alg. 2) never waits for a rung to fill: a job is a
promotion whenever some configuration is in the best ⌊m/η⌋ of the m results
of its rung and not promoted yet (highest budget first); otherwise a new
configuration starts at the base rung of the next bracket in the Hyperband
cycle (n_{s_max} times bracket s_max, then n_{s_max−1} times s_max − 1, …).
A failed or pruned run counts in its rung's size and ranks last. A run that
is cancelled or times out before its result (`release`) is as if never
started: its job (the promotion, or the new configuration's place in the
cycle) is due again.

In a finite space whose configurations all have a run at the base budget of the
bracket due (observed or pending), a new configuration goes to the next bracket in
the cycle's order whose base budget has a configuration without one, taking the due
bracket's place in the cycle: each bracket samples its own configurations (Li et al.
2018, Alg. 1), so every configuration may run at every bracket's base budget, `high`
included.

A run made pending outside the asks (`add`: `Optimizer.add_pending`, a warm-start
point of `minimize`) at budget b is, for a configuration due for promotion to b
(in the best ⌊m/η⌋ of its rung, not promoted yet), that promotion; else a new
configuration of the bracket whose base budget is b, ranked in its base rung and
promoted as any other, beside the cycle (the asks' cycle goes on as before: an
added configuration takes no asked one's place); at a budget no bracket starts at,
a run outside the schedule (bracket and rung `OUTSIDE`), data for the model only.

Every decision is a pure function of the trial records, which only ask and
tell change, so replaying the same events gives the same decisions.

Early stopping inside a loop (`SuccessiveHalving`) follows Optuna's
`SuccessiveHalvingPruner`: rung k sits at step min_resource·η^(s+k) with
s = min_early_stopping_rate; when a trial's reported step reaches it, its
value is recorded there and the trial stops unless that value is among the
best max(1, ⌊m/η⌋) of the m values recorded at the rung so far (its own
included), i.e. unless it exceeds the max(1, ⌊m/η⌋)-th least of them, so a value
tied with that one continues and equal reports stop no run; with at most
`bootstrap_count` values it stops. Beside a Fidelity's
schedule, a run is never stopped at the budget it was asked with, and a promotion
continued from its source's checkpoint skips the rungs its source passed
(`Pruning.report`).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from acquisition.checks import check_fields, integer, real, rule
from bayesopt.space import Fidelity

__all__ = ["MODEL_MIN_FACTOR", "OUTSIDE", "Hyperband", "Job", "SuccessiveHalving", "Trial",
           "base_budgets", "bracket_sizes", "budget_level", "exact_fraction", "max_bracket",
           "model_budget", "rung_budgets"]


# ------------------------------------------------------------ bracket arithmetic
def exact_fraction(value: float) -> Fraction:
    """The number as written: a float by its shortest decimal repr (0.1 is 1/10)."""
    return Fraction(repr(float(value))) if isinstance(value, float) else Fraction(value)


def max_bracket(low: float, high: float, eta: int) -> int:
    """s_max = ⌊log_η(high/low)⌋, in exact rational arithmetic (no float log)."""
    ratio = exact_fraction(high) / exact_fraction(low)
    s = 0
    while eta ** (s + 1) <= ratio:
        s += 1
    return s


def bracket_sizes(s_max: int, eta: int) -> tuple[int, ...]:
    """n_s = ⌈(s_max+1)/(s+1)·η^s⌉ for s = 0..s_max (integer ceiling division)."""
    return tuple(-(-(s_max + 1) * eta**s // (s + 1)) for s in range(s_max + 1))


def rung_budgets(fidelity: Fidelity, s: int) -> tuple[float | int, ...]:
    """Budgets of the rungs k = 0..s of bracket s: R·η^(k−s), rounded for an integer fidelity."""
    budgets = [exact_fraction(fidelity.high) / fidelity.eta ** (s - k) for k in range(s + 1)]
    if fidelity.is_integer:
        return tuple(max(int(fidelity.low), round(b)) for b in budgets)
    return tuple(max(float(fidelity.low), float(b)) for b in budgets)


def base_budgets(fidelity: Fidelity) -> tuple[float | int, ...]:
    """The base budget of each bracket s = 0..s_max (index s): R·η^−s, rounded as
    `rung_budgets` rounds it."""
    s_max = max_bracket(fidelity.low, fidelity.high, fidelity.eta)
    return tuple(rung_budgets(fidelity, s)[0] for s in range(s_max + 1))


# --------------------------------------------------------------------- ASHA
@dataclass
class Trial:
    """One run of a configuration at one rung of one bracket.

    `loss` is the minimization value (inf for a failed or pruned run, None
    while pending); `continues` is the trial it was promoted from; `released`
    marks a run cancelled or timed out while pending, which no rule counts.
    """

    config: Hashable
    bracket: int
    rung: int
    budget: float
    loss: float | None = None
    continues: int | None = None
    observation: int | None = None  # history index once told
    released: bool = False
    added: bool = False  # made pending outside the asks (`Hyperband.add`): not in the cycle


OUTSIDE = -1  # the bracket and rung of an added run at a budget no bracket starts at


@dataclass(frozen=True)
class Job:
    """What the next ask runs: a promotion of trial `continues`, or a new configuration."""

    bracket: int
    rung: int
    budget: float | int
    continues: int | None = None


@dataclass
class Hyperband:
    """The trial records of asynchronous Hyperband and its next job (see the module docstring)."""

    fidelity: Fidelity
    trials: list[Trial] = field(default_factory=list)

    @property
    def s_max(self) -> int:
        return max_bracket(self.fidelity.low, self.fidelity.high, self.fidelity.eta)

    def next_job(self, fresh: Callable[[float], bool] | None = None) -> Job:
        """The promotion due at the highest budget, else a new configuration. `fresh`: for
        a finite space, whether some configuration has no run at a budget yet; the new
        configuration then goes to the first bracket, in the cycle's order from the one
        due, whose base budget has one (`skip_to`), or to the one due if none has."""
        for budget, s, k in self._rungs_by_budget():
            promotable = self._promotable(s, k)
            if promotable is not None:
                return Job(s, k + 1, rung_budgets(self.fidelity, s)[k + 1], promotable)
        s = self._next_bracket()
        if fresh is not None:
            bases = base_budgets(self.fidelity)
            s = next((t for t in self._cycle_from(s) if fresh(bases[t])), s)
        return Job(s, 0, rung_budgets(self.fidelity, s)[0])

    def _cycle_from(self, s: int) -> list[int]:
        """The brackets in the Hyperband cycle's order from bracket s: s, s − 1, …, 0,
        s_max, …, s + 1."""
        return [*range(s, -1, -1), *range(self.s_max, s, -1)]

    def skip_to(self, due: Job, budget: float) -> Job | None:
        """The job of a new configuration asked at `budget` while `due` (`next_job()`, a
        new configuration at another budget) was due: a new configuration of the bracket
        whose base budget `budget` is, in the place of the one due in the cycle — in a
        finite space every configuration has a run at the due bracket's base budget
        (`next_job`'s `fresh`); None when `due` is a promotion or no bracket starts at
        `budget` (the ask does not follow the schedule)."""
        bases = base_budgets(self.fidelity)
        if due.continues is not None or budget not in bases:
            return None
        return Job(bases.index(budget), 0, budget)

    def _rungs_by_budget(self) -> list[tuple[float, int, int]]:
        rungs = [(float(b), s, k) for s in range(self.s_max + 1)
                 for k, b in enumerate(rung_budgets(self.fidelity, s)[:-1])]
        return sorted(rungs, key=lambda item: (-item[0], -item[1]))

    def _promotable(self, s: int, k: int) -> int | None:
        """The best finished trial of rung k of bracket s within the top ⌊m/η⌋, not yet promoted."""
        return next(self._promotable_trials(s, k), None)

    def _promotable_trials(self, s: int, k: int) -> Iterator[int]:
        """The finished trials of rung k of bracket s within the top ⌊m/η⌋ and not yet
        promoted, best first."""
        done = [i for i, t in enumerate(self.trials)
                if t.bracket == s and t.rung == k and t.loss is not None]
        promoted = {t.continues for t in self.trials if t.continues is not None and not t.released}
        ranked = sorted(done, key=lambda i: (self.trials[i].loss, i))
        for i in ranked[: len(done) // self.fidelity.eta]:
            if i not in promoted and math.isfinite(self.trials[i].loss):  # type: ignore[arg-type]
                yield i

    def _next_bracket(self) -> int:
        """Bracket of the next new configuration: position in the Hyperband cycle."""
        started = sum(t.rung == 0 and t.continues is None and not t.released and not t.added
                      for t in self.trials)
        sizes = bracket_sizes(self.s_max, self.fidelity.eta)
        position = started % sum(sizes)
        for s in range(self.s_max, -1, -1):
            if position < sizes[s]:
                return s
            position -= sizes[s]
        raise AssertionError("position beyond the cycle")  # pragma: no cover

    def start(self, job: Job, config: Hashable) -> None:
        """Record the ask of `job` for `config` (pending until `finish`)."""
        self.trials.append(Trial(config, job.bracket, job.rung, job.budget, None, job.continues))

    def add(self, config: Hashable, budget: float) -> None:
        """Record a run of `config` at `budget` made pending outside the asks (pending until
        `finish`; see the module docstring): the promotion of its finished run due at
        `budget`, else a new configuration of the bracket starting at `budget`, else a
        run outside the schedule."""
        for _, s, k in self._rungs_by_budget():
            if rung_budgets(self.fidelity, s)[k + 1] != budget:
                continue
            for i in self._promotable_trials(s, k):
                if self.trials[i].config == config:
                    self.trials.append(Trial(config, s, k + 1, budget, continues=i, added=True))
                    return
        bases = base_budgets(self.fidelity)
        s = bases.index(budget) if budget in bases else OUTSIDE
        self.trials.append(Trial(config, s, 0 if s != OUTSIDE else OUTSIDE, budget, added=True))

    def pending_trial(self, config: Hashable, budget: float) -> int | None:
        """The pending trial of `config` at `budget`, or None."""
        for i, t in enumerate(self.trials):
            if t.loss is None and not t.released and t.budget == budget and t.config == config:
                return i
        return None

    def release(self, trial: int) -> None:
        """Drop a pending trial that will bring no result (cancelled, timed out): its job
        is due again — the promotion, or a new configuration in the same bracket."""
        assert self.trials[trial].loss is None, f"trial {trial} is already finished"
        self.trials[trial].released = True

    def finish(self, trial: int, loss: float, observation: int) -> None:
        """Record the result of a pending trial (inf for a failed or pruned run)."""
        assert self.trials[trial].loss is None, f"trial {trial} is already finished"
        self.trials[trial].loss = loss
        self.trials[trial].observation = observation


# Without the budget as a GP input (`ModelOptions.fidelity_model="bohb"`), the GP
# models the largest budget with at least MODEL_MIN_FACTOR·n_initial successes: BOHB's
# n_min (Falkner et al. 2018) with a factor measured against 1 (BOHB as written), 3 and
# "always the lowest budget" on the bench problems (docs/multi-fidelity.md).
MODEL_MIN_FACTOR = 2


def model_budget(budgets: Sequence[float] | np.ndarray, n_min: int) -> float | None:
    """BOHB's choice (Falkner et al. 2018, Sec. 4.1): the largest budget with at least
    `n_min` successful observations, or None when no budget has that many."""
    values, counts = np.unique(np.asarray(budgets, dtype=float), return_counts=True)
    enough = values[counts >= n_min]
    return float(enough[-1]) if enough.size else None


def budget_level(fidelity: Fidelity, budgets: np.ndarray) -> np.ndarray:
    """z = log(b/low)/log(high/low) ∈ [0, 1] of budgets (n,): the budget as a GP input,
    on the log scale on which Hyperband's rungs are evenly spaced (z = 1 is high)."""
    span = math.log(float(fidelity.high) / float(fidelity.low))
    return np.log(np.asarray(budgets, dtype=float) / float(fidelity.low)) / span


# ------------------------------------------------------------ early stopping
# log2 of a power of η past which min_resource·η^(s+k) exceeds the largest double (2^1024)
# even for the least min_resource, 2^-1074: 1024 + 1074 = 2098, with room for log2's rounding
_PAST_FLOATS = 2100

@dataclass(frozen=True)
class SuccessiveHalving:
    """Stop a training loop early at rungs min_resource·η^(s+k) (see the module docstring).

    Field names and meaning follow Optuna's `SuccessiveHalvingPruner`
    (min_resource, reduction_factor, min_early_stopping_rate, bootstrap_count).
    """

    min_resource: float = field(default=1, metadata=rule(real(0.0, low_open=True)))
    reduction_factor: int = field(default=3, metadata=rule(integer(minimum=2)))
    min_early_stopping_rate: int = field(default=0, metadata=rule(integer(minimum=0)))
    bootstrap_count: int = field(default=0, metadata=rule(integer(minimum=0)))

    def __post_init__(self) -> None:
        check_fields(self)

    @classmethod
    def of(cls, fidelity: Fidelity) -> SuccessiveHalving:
        """The rule whose rungs are the fidelity's: min_resource = low, η = eta."""
        return cls(min_resource=fidelity.low, reduction_factor=fidelity.eta)

    @classmethod
    def rule_of(cls, pruner: SuccessiveHalving | None,
                fidelity: Fidelity | None) -> SuccessiveHalving:
        """The rule `Optimizer.report` follows: `pruner`, by default the fidelity's rungs
        (`of`), or min_resource 1 and η 3 without a Fidelity."""
        if pruner is not None:
            return pruner
        return cls() if fidelity is None else cls.of(fidelity)

    def rung_step(self, k: int) -> float:
        """min_resource·η^(s+k) in exact rational arithmetic, as the schedule's budgets
        (`rung_budgets`): 0.1·3 is 0.3, the budget high/3 of `Fidelity(0.1, 0.9)`, where
        a float product is 0.30000000000000004 and a step at the budget missed the rung.
        A rung past the largest double is inf, which no step (a finite float) reaches;
        with η^(s+k) > 2^_PAST_FLOATS (min_resource ≥ 2^-1074, the least double) the power
        is not computed at all, as η^(10^8) would take a minute."""
        exponent = self.min_early_stopping_rate + k
        if exponent * math.log2(self.reduction_factor) > _PAST_FLOATS:
            return math.inf
        try:
            return float(exact_fraction(self.min_resource) * self.reduction_factor ** exponent)
        except OverflowError:  # past the largest double
            return math.inf


@dataclass
class Pruning:
    """Rung values of every trial that reported, and which running trials were stopped."""

    rule: SuccessiveHalving
    rungs: dict[int, list[float]] = field(default_factory=dict)  # rung → recorded losses
    passed: dict[Hashable, int] = field(default_factory=dict)  # trial → rungs recorded
    last_step: dict[Hashable, float] = field(default_factory=dict)
    stopped: dict[Hashable, float] = field(default_factory=dict)  # trial → step it stopped at
    # each rung's losses in ascending order (the same values as `rungs`): the rule's
    # quantile is then one index, where sorting the rung at every report made a study's
    # replay quadratic in its reports (bench/results/large_study.md)
    ranked: dict[int, list[float]] = field(default_factory=dict, repr=False, compare=False)

    def report(self, trial: Hashable, step: float, loss: float,
               continued_from: float | None = None, budget: float | None = None) -> bool:
        """Record a loss at `step`; True when the trial should stop (Optuna's rule).

        `budget`: with a Fidelity, the step from which the trial has reached the budget it
        was asked with (the budget less the tolerance a tell is matched with, which a
        data fraction trained on a rounded count of samples stays within). A report from
        it on is the end of the run: its loss is recorded at the rungs it reaches, but the
        run is not stopped — it has finished, and the schedule ranks its result in its
        rung (Hyperband, Li et al. 2018); stopping it there would record a complete
        run as pruned, which the schedule ranks last and the GP leaves out.

        `continued_from`: for a Hyperband promotion, the budget of the run it continues.
        The rungs up to that budget were passed by that run (its reports, or the
        schedule's ranking that promoted it), so the promotion is neither judged nor
        recorded there, whether it trains on from that run's checkpoint or again from
        the start: a checkpoint's later, better values would raise the bar at those
        rungs for every new run, and judging a retrained promotion again, among runs
        the schedule has already picked, stops most of them (Hyperband promotes
        without a second test, Li et al. 2018).
        """
        if continued_from is not None and trial not in self.last_step:
            k = 0
            while self.rule.rung_step(k) <= continued_from:
                k += 1
            self.passed[trial] = k
        self.last_step[trial] = step
        if trial in self.stopped:
            return True
        k = self.passed.get(trial, 0)
        while step >= self.rule.rung_step(k):
            self.rungs.setdefault(k, []).append(loss)
            ranked = self.ranked.setdefault(k, [])
            bisect.insort(ranked, loss)
            self.passed[trial] = k = k + 1
            if not self._survives(loss, ranked) and (budget is None or step < budget):
                self.stopped[trial] = step
                return True
        return False

    def _survives(self, loss: float, ranked: list[float]) -> bool:
        """Whether `loss` is within the best 1/η of its rung's losses `ranked` (ascending,
        `loss` among them): Optuna's rule, after `bootstrap_count` values; a loss equal to
        the cut's value is kept (ties survive)."""
        if len(ranked) <= self.rule.bootstrap_count:
            return False
        keep = max(1, len(ranked) // self.rule.reduction_factor)
        return loss <= ranked[keep - 1]

    def close(self, trial: Hashable) -> float | None:
        """Forget a told trial's running state; the step it was stopped at, or None."""
        self.passed.pop(trial, None)
        self.last_step.pop(trial, None)
        return self.stopped.pop(trial, None)

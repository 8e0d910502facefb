"""A numerical-robustness fuzz of the public API with a benchmarker's worst objectives.

    python -m bench.robustness_fuzz [--seeds 0-4] [--timeout 120] [--only WORD] [--verbose]

A *sequence* is one scenario (a family of hostile numbers on one space) run with one
seed: an `Optimizer` driven through ask/tell (constraints, cost, `Fidelity` + `report`
where the scenario has them), then `best`, `result()`, `surrogate()` (predict with and
without noise, covariance, sample, acquisition, recommend, hyperparameters, evidence)
and the plots' data (`bayesopt.plots.objective` and `evaluations` drawn on Agg), or
`minimize` with a hostile objective. Every operation runs with

    warnings.simplefilter("error")     numpy's RuntimeWarnings and any other warning raise,
                                       except the library's own documented warnings
                                       (`DOCUMENTED`), which are recorded and counted;
    signal.alarm(timeout)              a hang is a fault.

After each step the invariants are checked: an ask is a point of the space
(`Space.validate` returns it unchanged) and new unless `SpaceExhaustedWarning` said
otherwise; `best` is the judged observation (successful, feasible, top budget) with the
least value, or None when there is none; predictions have no NaN, a std ≥ 0. A step a
scenario marks as illegal must raise ValueError or TypeError whose message names the
key and shows the value (`Refuse`); any other exception (`LinAlgError` included), an
undocumented warning, a broken invariant or a hang is a *fault*.

Where users live, beside the numbers (families named by their prefix):

    conditional            a random tree of `when=` conditions (a root Categorical, an
                           Integer, dimensions under either, nested, lists of values, two
                           parents), hostile values: every ask holds exactly the active keys
                           (the tree's rule, written out here), never-asked tells too;
    conditional refused    a tell or tell_failure with an inactive key present or an
                           active one missing: refused naming the key, nothing recorded;
    stored in a …          a random sequence (asks of 1–2, tells, rounded tells, batch
                           tells, failures, cancels, add_pending (of a point pending
                           already: refused naming it), reports, heartbeats,
                           never-asked tells; constraints, costs, a Fidelity, a conditional
                           space) written to a journal, an SQLite, JSON-lines or
                           PostgreSQL study (a server tests/postgres.py starts once per
                           process). A journal resumed holds the live optimizer's history
                           (timing and run ids too), pending points and best, and asks
                           what it asks; resumed to append and continued beside a deep
                           copy, both do the same. A second optimizer attached to a study
                           holds the same history, pending points and best, before and
                           after an ask of each;
    optuna                 `BayesoptSampler` on random Optuna distributions (log, step,
                           one value, ±1e300, 1e-300 scales, mixed-type categoricals) and a
                           define-by-run branch; failed and pruned trials, NaN and ±inf
                           values: suggestions inside their distributions, `best_trial` the
                           least value, and the same seed suggests the same;
    scikit-learn           `BayesSearchCV` of Ridge, a tree or k-NN with a scorer returning
                           NaN, ±inf, a constant, ±1e300, subnormals: one row per
                           candidate, `best_index_` RandomizedSearchCV's (the least rank);
    input constraints      `Optimizer(feasible=...)` (README, Input constraints): one or
                           several `LinearConstraint`s (<= and >=, negative, 1e300, 1e-300
                           and subnormal coefficients, terms at the accepted limit, a ±1e307
                           box, a thin slab, one active at the optimum, Integer and stepped
                           Real dimensions, a grid of 10 points exhausted), callables
                           (numpy bools, one changing its dict), a conditional space; asks
                           of 1–3, add_pending, tells of points outside (accepted: told data
                           are data), hostile values: every ask, the initial design
                           included, satisfies every constraint judged by the constraint
                           objects themselves in user units; an empty region is
                           `InfeasibleSpaceError` when the optimizer is built;
    input constraints …    `callable`: one raising (the same exception object reaches
                           the caller with its note naming feasible= and the params) or
                           returning a non-bool (TypeError naming what it returned), at
                           construction or mid-run, a failed ask leaving nothing pending;
                           `stored`: a journal resumed and a SQLite study attached with the
                           same feasible= (same history, pending, best; the same asks),
                           with another or none refused naming feasible=; `refused`: 15
                           wrong feasible= arguments (terms past a quarter of the float
                           maximum, log, Categorical, Fidelity or conditional dimensions,
                           nan, bool, inf, all-zero, sense '<', [] …) refused naming them;
                           `minimize`: x0 outside refused naming its index, y0 accepted,
                           its journal resumed, every evaluation inside;
    reports                `Optimizer.report` of learning curves in pieces (lists, tuples,
                           arrays, Series; some pieces two numbers), without a Fidelity, with
                           one, with a pruner, hostile values: a twin optimizer of the same
                           seed told every step as a report of its own answers as the piece's
                           last step, records the same `report_status` and history, and asks
                           the same (a curve is recorded as its reports in turn would be);
    reports refused …      NaN/±inf entries (named with their step), unequal lengths, [],
                           steps not increasing or already reported, negative or bool steps,
                           bool or str values, a 2-d array, a step beyond the budget: refused
                           naming it, `report_status` unchanged, the next piece accepted;
                           `by run.report`: the same inside minimize(pass_run=True);
    reports minimize       `minimize(pass_run=True)` whose objective reports its curve at
                           once in pieces and stops where the answer says so: the same
                           evaluations, answers and history as one reporting every step in
                           turn; killed (a BaseException) mid-run and the call made again:
                           the uninterrupted run's history;
    command line           `bayesopt run` of a command printing nothing, NaN, ±inf, text,
                           float max, subnormals, CRLF, colour codes, invalid UTF-8, 4 MB,
                           hostile report lines, or exiting non-zero or by SIGKILL: the
                           exit status, each evaluation recorded as the README says (a
                           failure with the reason bayesopt.command gives), and
                           `bayesopt show` (--failed too) reading the journal.

Other programs' own warnings there (Optuna's for a NaN value, scikit-learn's for
non-finite scores and numpy's in its std of them) are counted, as `Run.external` names.

Each sequence ends as ok (no refusal expected), refused (every illegal step refused as
required) or fault. Prints a Markdown table of the counts and lists every fault with its
scenario, seed, step and message; bench/results/robustness_fuzz.md holds the run quoted.
"""

from __future__ import annotations

import argparse
import atexit
import copy
import itertools
import math
import signal
import sys
import tempfile
import traceback
import uuid
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import partial
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np

from acquisition.optimizer import AcquisitionOptimizerOptions
from bayesopt import (
    Categorical,
    Fidelity,
    InfeasibleSpaceError,
    Integer,
    LinearConstraint,
    Optimizer,
    Real,
    SpaceExhaustedWarning,
    SuccessiveHalving,
    TopBudgetWarning,
    minimize,
)
from bayesopt.failures import EvaluationFailedWarning
from bayesopt.fitting import FitOptions
from bayesopt.integrations.optuna import (
    IndependentSamplingWarning,
    MissingConstraintsWarning,
    TrialOutsideSpaceWarning,
)
from bayesopt.model import ModelFitWarning, ModelOptions
from bayesopt.optimizer import ResumeWarning, UnmatchedTellWarning
from bayesopt.options import OptimizerOptions
from bayesopt.result import judged
from bayesopt.state import MATCH_RTOL
from bayesopt.surrogate import Prediction
from bayesopt.validation import shown

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from bayesopt import plots

FAST = OptimizerOptions(
    model=ModelOptions(n_restarts=0, fit=FitOptions(maxiter=50)),
    acquisition_optimizer=AcquisitionOptimizerOptions(
        n_candidates=256, n_local_candidates=64, n_restarts=2, maxiter=30),
)
# the library's own warnings, each documented where it is raised (README, docstrings)
DOCUMENTED: tuple[type[Warning], ...] = (
    SpaceExhaustedWarning, ModelFitWarning, UnmatchedTellWarning, EvaluationFailedWarning,
    ResumeWarning, IndependentSamplingWarning, TrialOutsideSpaceWarning,
    MissingConstraintsWarning, TopBudgetWarning)
PLOTTED = 5  # dimensions drawn by the plots' matrices
FMAX = float(np.finfo(float).max)
TINY = 5e-324


class Fault(Exception):
    """A broken invariant."""


class Timeout(BaseException):
    """signal.alarm fired (a BaseException, so no `except Exception` in the library eats it)."""


@dataclass(frozen=True)
class Refuse:
    """A step that must raise ValueError/TypeError naming `key` and showing `value`."""

    key: str
    value: str


NO_RECOMMENDATION = Refuse("no observation satisfies the outcome constraints", "recommend")
NO_TOP_BUDGET = Refuse("the surrogate models no (feasible) run at budget", "recommend")


@dataclass
class Run:
    """One sequence's record: steps done, refusals seen, documented warnings, faults."""

    timeout: int
    # other programs' warnings this sequence may see: (message regex, module regex) pairs
    external: tuple[tuple[str, str], ...] = ()
    steps: int = 0
    refusals: int = 0
    warned: Counter[str] = field(default_factory=Counter)
    faults: list[str] = field(default_factory=list)

    def step(self, name: str, call: Callable[..., Any], *args: Any,
             refuse: Refuse | None = None) -> Any:
        """Run call(*args) under the rules of the module docstring; its result or None."""
        self.steps += 1
        signal.alarm(self.timeout)
        try:
            with warnings.catch_warnings(record=True) as seen:
                warnings.simplefilter("error")
                for kind in DOCUMENTED:
                    warnings.filterwarnings("always", category=kind)
                for message, module in self.external:
                    warnings.filterwarnings("always", message=message, module=module)
                result = call(*args)
            self.warned.update(type(w.message).__name__ if isinstance(w.message, DOCUMENTED)
                               else f"{w.category.__name__} '{w.message}'" for w in seen)
        except (ValueError, TypeError) as error:
            if refuse is None:
                self.faults.append(f"{name}: {type(error).__name__}: {error}")
            elif refuse.key not in str(error) or refuse.value not in str(error):
                self.faults.append(f"{name}: refusal names not {refuse}: {error}")
            else:
                self.refusals += 1
            return None
        except Timeout:
            self.faults.append(f"{name}: no answer within {self.timeout} s")
            return None
        except Exception as error:  # noqa: BLE001 - every other exception is a fault
            where = traceback.extract_tb(error.__traceback__)[-1]
            self.faults.append(f"{name}: {type(error).__name__}: {error} "
                               f"({where.filename.rsplit('/', 1)[-1]}:{where.lineno})")
            return None
        finally:
            signal.alarm(0)
        if refuse is not None:
            self.faults.append(f"{name}: accepted, should be refused naming {refuse}")
        return result


# ------------------------------------------------------------------ invariants
def check_ask(opt: Optimizer, params: dict[str, Any], taken: set[tuple[Any, ...]],
              exhausted: bool) -> None:
    if opt.space.validate(params) != params:
        raise Fault(f"ask {params} is not canonical: {opt.space.validate(params)}")
    key = tuple(params[n] for n in opt.space.names if n in params)
    if key in taken and not exhausted:
        raise Fault(f"ask {params} repeats an observed or pending point without a warning")


def matched(opt: Optimizer, params: Mapping[str, Any],
            points: list[dict[str, Any]]) -> bool:
    """Whether `params` matches one of `points` by the rule of `tell` (bayesopt.state,
    written out here): the same keys, categorical and integer entries equal, a real one
    within MATCH_RTOL of the other's magnitude. `add_pending` of a point pending already
    is refused naming it (its docstring)."""
    kinds = {d.name: d for d in opt.space.dimensions}

    def same(name: str, a: Any, b: Any) -> bool:
        if isinstance(kinds[name], (Categorical, Integer)):
            return bool(a == b)
        return bool(abs(a - b) <= MATCH_RTOL * abs(b))
    return any(p.keys() == params.keys() and all(same(k, params[k], p[k]) for k in params)
               for p in points)


def check_best(opt: Optimizer) -> None:
    candidates = [o for o in opt.history if judged(o, opt.space)]
    best = opt.best
    if not candidates:
        if best is not None:
            raise Fault(f"best {best} with no judged observation")
        return
    least = min(o.value for o in candidates)  # type: ignore[type-var]
    if best is None or best.value != least or best not in candidates:
        raise Fault(f"best {best} is not the judged observation of value {least}")


def best_checked(opt: Optimizer, run: Run, after: str) -> None:
    """`check_best`, its fault recorded as "best after `after`"."""
    try:
        check_best(opt)
    except Fault as fault:
        run.faults.append(f"best after {after}: {fault}")


def check_predictions(opt: Optimizer, run: Run) -> None:
    """The surrogate's outputs at the observed points and one more: no NaN, std ≥ 0."""
    if opt.space.fidelity is not None:
        points = [o.params for o in opt.history if o.ok][:6]
    else:
        points = [o.params for o in opt.history][:5]
    surrogate = run.step("surrogate", opt.surrogate)
    if surrogate is None or not points:
        return
    outputs = {
        "predict": lambda: surrogate.predict(points),
        "predict(noise=True)": lambda: surrogate.predict(points, noise=True),
        "covariance": lambda: surrogate.covariance(points),
        "sample": lambda: surrogate.sample(points, 4, seed=0),
        "recommend": surrogate.recommend,
        "hyperparameters": surrogate.hyperparameters,
        "evidence": surrogate.evidence,
    }
    if opt.space.fidelity is None:
        outputs["acquisition"] = lambda: surrogate.acquisition(points).log_value
    if opt.space.fidelity is None:
        run.step("gradients", check_gradients, surrogate.model, opt.space.encode(points), run)
    feasible = any(judged(o, opt.space) for o in opt.history)
    for name, call in outputs.items():
        # documented: recommend refuses while no observation is feasible
        refuse = None if feasible or name != "recommend" else (
            NO_RECOMMENDATION if opt.space.fidelity is None else NO_TOP_BUDGET)
        out = run.step(name, call, refuse=refuse)
        prediction = isinstance(out, Prediction)
        arrays = (out.mean, out.std, out.lower, out.upper) if prediction else (
            (out,) if isinstance(out, np.ndarray) else ())
        for a in arrays:
            if np.any(np.isnan(np.asarray(a, dtype=float))):
                run.faults.append(f"{name}: NaN in {a}")
        if prediction and np.any(np.asarray(out.std) < 0):
            run.faults.append(f"{name}: negative std {out.std}")


def check_gradients(model: Any, X: np.ndarray, run: Run) -> None:
    """The surrogate's latent mean and std gradients at X (m, c), moved 0.05 into the cube
    (off the observations, where the std has a kink): finite, and equal to central
    differences (step 1e-6) within 1e-4 of the largest."""
    X = 0.9 * X + 0.05
    mean, std, d_mean, d_std = model.predict_with_gradient(X)
    for name, a in (("mean", mean), ("std", std), ("d mean", d_mean), ("d std", d_std)):
        if not np.all(np.isfinite(a)):
            run.faults.append(f"gradients: {name} not finite: {a}")
            return
    h = 1e-6
    for j in range(X.shape[1]):
        up, down = X.copy(), X.copy()
        up[:, j] += h
        down[:, j] -= h
        (m_up, s_up), (m_down, s_down) = model.predict(up), model.predict(down)
        for name, exact, fd in (("mean", d_mean[:, j], (m_up - m_down) / (2 * h)),
                                ("std", d_std[:, j], (s_up - s_down) / (2 * h))):
            scale = max(1.0, float(np.max(np.abs(exact))))
            if np.max(np.abs(exact - fd)) > 1e-4 * scale:
                run.faults.append(f"gradients: d {name}/dx{j} {exact} vs differences {fd}")


def check_result(opt: Optimizer, run: Run) -> None:
    result = run.step("result", opt.result)
    if result is None:
        return
    run.step("to_pandas", result.to_pandas)
    run.step("to_json", result.to_json)

    # at most PLOTTED dimensions: a matrix of 9 × 9 panels costs seconds of matplotlib
    shown = None if opt.space.n_dims <= PLOTTED else list(opt.space.names)[:PLOTTED]

    def draw() -> None:
        try:
            if result.best_params is not None and opt.space.fidelity is None and len(
                    [o for o in result.history if o.ok]) >= opt.n_initial:
                plots.objective(result, n_points=6, n_samples=16, dimensions=shown)
            plots.evaluations(result, dimensions=shown)
            plots.convergence(result)
        finally:
            plt.close("all")
    run.step("plots", draw)


# ------------------------------------------------------------------ drivers
def drive(opt: Optimizer, run: Run, n: int, objective: Callable[[dict[str, Any], int], Any],
          extras: Callable[[dict[str, Any], int], dict[str, Any]] | None = None,
          batch: int = 1) -> None:
    """n rounds of ask (batch points), check, tell with `objective` and `extras`."""
    for i in range(n):
        taken = {tuple(o.params[k] for k in opt.space.names if k in o.params)
                 for o in opt.history} | {tuple(p[k] for k in opt.space.names if k in p)
                                          for p in opt.pending}
        before = run.warned["SpaceExhaustedWarning"]
        asked = run.step(f"ask #{i}", lambda: opt.ask(batch))
        if asked is None:
            return
        exhausted = run.warned["SpaceExhaustedWarning"] > before
        for params in asked:
            try:
                check_ask(opt, params, taken, exhausted)
            except Fault as fault:
                run.faults.append(f"ask #{i}: {fault}")
        values = [objective(p, i) for p in asked]
        kwargs: dict[str, Any] = {}
        if extras is not None:
            per_point = [extras(p, i) for p in asked]
            for key in per_point[0]:
                kwargs[key] = [e[key] for e in per_point]
        run.step(f"tell #{i}", partial(opt.tell, asked, values, **kwargs))
        best_checked(opt, run, f"tell #{i}")


def finish(opt: Optimizer, run: Run) -> None:
    check_predictions(opt, run)
    check_result(opt, run)


def optimizer(space: dict[str, Any], seed: int, **kwargs: Any) -> Optimizer:
    kwargs.setdefault("n_initial", 3)
    return Optimizer(space, seed=seed, options=FAST, **kwargs)


def box(d: int = 2) -> dict[str, Any]:
    return {f"x{i}": Real(0, 1) for i in range(d)}


def signal_of(params: dict[str, Any]) -> float:
    return float(sum((float(v) - 0.3) ** 2 for k, v in params.items()
                     if not isinstance(v, str) and k != "budget"))


# ------------------------------------------------------------------ scenarios
Scenario = Callable[[int, Run], None]
SCENARIOS: dict[str, Scenario] = {}


def scenario(name: str) -> Callable[[Scenario], Scenario]:
    def register(function: Scenario) -> Scenario:
        SCENARIOS[name] = function
        return function
    return register


def register(prefix: str, make: Callable[..., Scenario], families: Mapping[str, Any],
             into: dict[str, Scenario] | None = None) -> None:
    """into["prefix: name"] = make(*arguments) for each family (a tuple of arguments, or
    one); `into` is SCENARIOS unless a sibling module passes its own."""
    for name, arguments in families.items():
        (SCENARIOS if into is None else into)[f"{prefix}: {name}"] = make(
            *(arguments if isinstance(arguments, tuple) else (arguments,)))


def _values(value: Callable[[float, np.random.Generator, int], float]) -> Scenario:
    def sequence(seed: int, run: Run) -> None:
        rng = np.random.default_rng(seed)
        opt = optimizer(box(), seed)
        drive(opt, run, 9, lambda p, i: value(signal_of(p), rng, i))
        finish(opt, run)
    return sequence


_LAST_BITS = [np.nextafter(1.0, 2.0 * (k % 2)) if k else 1.0 for k in range(20)]
VALUE_FAMILIES: dict[str, Callable[[float, np.random.Generator, int], float]] = {
    "1e300 scale": lambda s, r, i: 1e300 * (1 + s),
    "-1e300 scale": lambda s, r, i: -1e300 * (1 + s),
    "±1e300 mixed": lambda s, r, i: 1e300 * (s - 0.3),
    "float max at both ends": lambda s, r, i: (FMAX, -FMAX, 0.0)[i % 3],
    "1e-300 scale": lambda s, r, i: 1e-300 * s,
    "subnormal 5e-324 steps": lambda s, r, i: TINY * int(4 * s),
    "last bit apart": lambda s, r, i: float(_LAST_BITS[i % len(_LAST_BITS)]),
    "all equal": lambda s, r, i: 3.25,
    "all equal 1e300": lambda s, r, i: 1e300,
    "all equal 1e-300": lambda s, r, i: 1e-300,
    "all equal subnormal": lambda s, r, i: TINY,
    "all equal float max": lambda s, r, i: FMAX,
    "one outlier among equal": lambda s, r, i: 1e6 if i == 5 else 1.0,
    "one 1e300 outlier among equal": lambda s, r, i: 1e300 if i == 5 else 1.0,
    "Cauchy tails": lambda s, r, i: float(r.standard_cauchy() * 1e10),
    "step, 2 values": lambda s, r, i: float(s > 0.2),
    "integer-valued": lambda s, r, i: float(round(10 * s)),
    "1e12 offset, 1e-4 signal": lambda s, r, i: 1e12 + 1e-4 * s,
    "1e15 offset, float-step signal": lambda s, r, i: 1e15 + 0.125 * round(8 * s),
    "1e300 offset, 1e-15 relative signal": lambda s, r, i: 1e300 * (1 + 1e-15 * s),
    "1e-200 scale with noise": lambda s, r, i: 1e-200 * (s + 0.01 * r.standard_normal()),
    "1e200 scale with noise": lambda s, r, i: 1e200 * (s + 0.01 * r.standard_normal()),
}
register("values", _values, VALUE_FAMILIES)


def _resumed(value: Callable[[float, np.random.Generator, int], float]) -> Scenario:
    """A journaled run of the family, resumed: the resumed optimizer asks what it asks."""
    def sequence(seed: int, run: Run) -> None:
        rng = np.random.default_rng(seed)
        with tempfile.TemporaryDirectory() as folder:
            journal = Path(folder) / "run.jsonl"
            opt = optimizer(box(), seed, journal=journal)
            drive(opt, run, 8, lambda p, i: value(signal_of(p), rng, i))
            resumed = run.step("resume", partial(Optimizer.resume, journal, append=False))
            if resumed is None:
                return
            asked, again = run.step("ask", opt.ask), run.step("ask the resumed", resumed.ask)
            if asked != again:
                run.faults.append(f"the resumed run asks {again}, the run {asked}")
    return sequence


register("resume", _resumed, VALUE_FAMILIES)


# objective values of every numeric type: accepted and recorded as float(value), or refused
def _rounded(kind: Callable[[int], Any], s: float) -> Any:
    return kind(round(8 * s))


ACCEPTED_TYPES: dict[str, Callable[[float], Any]] = {
    **{f"numpy {t.__name__}": partial(_rounded, t) for t in (
        np.float16, np.float32, np.float64, np.longdouble, np.int8, np.int16, np.int32,
        np.int64, np.uint8, np.uint16, np.uint32, np.uint64)},
    "Fraction": lambda s: Fraction(round(8 * s), 3),
    "python int": lambda s: round(8 * s),
}
REFUSED_TYPES: dict[str, tuple[Any, Refuse]] = {
    "numpy bool_": (np.bool_(True), Refuse("objective value", "True")),
    "python bool": (True, Refuse("objective value", "True")),
    "Decimal": (Decimal("0.5"), Refuse("objective value", "Decimal('0.5')")),
    "0-d array": (np.array(0.5), Refuse("objective value", "array(0.5)")),
    "1-element array": (np.array([0.5]), Refuse("objective value", "array([0.5])")),
    "nan": (math.nan, Refuse("tell_failure", "nan")),
    "inf": (math.inf, Refuse("tell_failure", "inf")),
    "-inf": (-math.inf, Refuse("tell_failure", "-inf")),
    "numpy float32 nan": (np.float32("nan"), Refuse("tell_failure", "nan")),
    "float16 overflow to inf": (np.float16(np.inf), Refuse("tell_failure", "inf")),
    "int beyond float range": (10**400, Refuse("tell_failure", "inf")),
    "str": ("0.5", Refuse("objective value", "'0.5'")),
}


def _accepted_type(convert: Callable[[float], Any]) -> Scenario:
    def sequence(seed: int, run: Run) -> None:
        opt = optimizer(box(), seed)
        for i in range(6):
            params = run.step(f"ask #{i}", opt.ask)
            value = convert(signal_of(params))
            run.step(f"tell #{i}", partial(opt.tell, params, value))
            if opt.history and opt.history[-1].value != float(value):
                run.faults.append(f"tell #{i}: {value!r} recorded as {opt.history[-1].value!r}")
        finish(opt, run)
    return sequence


def _refused_type(value: Any, refuse: Refuse) -> Scenario:
    def sequence(seed: int, run: Run) -> None:
        opt = optimizer(box(), seed)
        drive(opt, run, 4, lambda p, i: signal_of(p))
        params = run.step("ask", opt.ask)
        n = len(opt.history)
        run.step("tell the bad value", lambda: opt.tell(params, value), refuse=refuse)
        if len(opt.history) != n:
            run.faults.append("a refused tell recorded something")
        run.step("tell a good value", lambda: opt.tell(params, 1.0))
        finish(opt, run)
    return sequence


register("value type", _accepted_type, ACCEPTED_TYPES)
register("value type refused", _refused_type, REFUSED_TYPES)


# constraints
CONSTRAINT_FAMILIES: dict[str, Callable[[dict[str, Any], int], list[float]]] = {
    "constant 1e300 (all infeasible)": lambda p, i: [1e300],
    "constant 1 (all infeasible)": lambda p, i: [1.0],
    "constant 1e-300 (all infeasible)": lambda p, i: [1e-300],
    "constant subnormal (all infeasible)": lambda p, i: [TINY],
    "constant float max (all infeasible)": lambda p, i: [FMAX],
    "constant -1e300 (all feasible)": lambda p, i: [-1e300],
    "constant 0 (on the boundary)": lambda p, i: [0.0],
    "varied, all infeasible": lambda p, i: [1.0 + p["x0"]],
    "varied at 1e300, all infeasible": lambda p, i: [1e300 * (1.0 + p["x0"])],
    "varied at 1e-300, all infeasible": lambda p, i: [1e-300 * (1.0 + p["x0"])],
    "one constant 1e300, one varied": lambda p, i: [1e300, p["x1"] - 0.5],
    "one constant 1e-300, one varied": lambda p, i: [1e-300, p["x1"] - 0.5],
    "huge-unit violation": lambda p, i: [1e300 * (p["x1"] - 0.5)],
    "subnormal-unit violation": lambda p, i: [TINY * round(8 * (p["x1"] - 0.5))],
}


def _constrained(constraint: Callable[[dict[str, Any], int], list[float]]) -> Scenario:
    def sequence(seed: int, run: Run) -> None:
        opt = optimizer(box(), seed)
        drive(opt, run, 9, lambda p, i: signal_of(p),
              lambda p, i: {"constraints": constraint(p, i)})
        drive(opt, run, 1, lambda p, i: signal_of(p),
              lambda p, i: {"constraints": constraint(p, i)}, batch=2)
        finish(opt, run)
    return sequence


register("constraints", _constrained, CONSTRAINT_FAMILIES)


# costs
COST_FAMILIES: dict[str, Callable[[dict[str, Any], int], Any]] = {
    "subnormal": lambda p, i: TINY,
    "1e-300 varied": lambda p, i: 1e-300 * (1 + p["x0"]),
    "1e300 constant": lambda p, i: 1e300,
    "float max (the total overflows)": lambda p, i: FMAX,
    "float max varied": lambda p, i: FMAX * (0.5 + p["x0"] / 2),
    "subnormal steps": lambda p, i: TINY * (1 + round(8 * p["x0"])),
    "Fraction": lambda p, i: Fraction(1, 3),
    "numpy uint8": lambda p, i: np.uint8(3),
}
REFUSED_COSTS: dict[str, tuple[Any, Refuse]] = {
    "0": (0.0, Refuse("cost", "0.0")),
    "negative": (-1.0, Refuse("cost", "-1.0")),
    "-0.0": (-0.0, Refuse("cost", "-0.0")),
    "nan": (math.nan, Refuse("cost", "nan")),
    "inf": (math.inf, Refuse("cost", "inf")),
    "bool": (True, Refuse("cost", "True")),
    "Decimal": (Decimal(1), Refuse("cost", "Decimal('1')")),
}


def _costed(cost: Callable[[dict[str, Any], int], Any]) -> Scenario:
    def sequence(seed: int, run: Run) -> None:
        opt = optimizer(box(), seed, acquisition="logei_per_cost")
        drive(opt, run, 9, lambda p, i: signal_of(p), lambda p, i: {"cost": cost(p, i)})
        run.step("total_cost", lambda: opt.total_cost)
        finish(opt, run)
    return sequence


def _refused_cost(value: Any, refuse: Refuse) -> Scenario:
    def sequence(seed: int, run: Run) -> None:
        opt = optimizer(box(), seed, acquisition="logei_per_cost")
        drive(opt, run, 4, lambda p, i: signal_of(p), lambda p, i: {"cost": 1.0})
        params = run.step("ask", opt.ask)
        run.step("tell with the bad cost", lambda: opt.tell(params, 1.0, cost=value), refuse=refuse)
        run.step("tell_failure with the bad cost",
                 lambda: opt.tell_failure(params, "boom", cost=value), refuse=refuse)
        run.step("tell a good cost", lambda: opt.tell(params, 1.0, cost=2.0))
        finish(opt, run)
    return sequence


register("cost", _costed, COST_FAMILIES)
register("cost refused", _refused_cost, REFUSED_COSTS)
SCENARIOS["constraints refused: nan"] = lambda seed, run: _refused_constraint(
    seed, run, math.nan, Refuse("constraint value", "nan"))
SCENARIOS["constraints refused: inf"] = lambda seed, run: _refused_constraint(
    seed, run, math.inf, Refuse("constraint value", "inf"))
SCENARIOS["constraints refused: bool"] = lambda seed, run: _refused_constraint(
    seed, run, True, Refuse("constraint value", "True"))


def _refused_constraint(seed: int, run: Run, value: Any, refuse: Refuse) -> None:
    opt = optimizer(box(), seed)
    drive(opt, run, 4, lambda p, i: signal_of(p), lambda p, i: {"constraints": [p["x0"] - 0.5]})
    params = run.step("ask", opt.ask)
    run.step("tell with the bad constraint", lambda: opt.tell(params, 1.0, constraints=[value]),
             refuse=refuse)
    finish(opt, run)


# spaces at extremes
SPACES: dict[str, Callable[[], dict[str, Any]]] = {
    "Real(1, 1+1e-12)": lambda: {"x0": Real(1, 1 + 1e-12), "x1": Real(0, 1)},
    "Real(1, next float)": lambda: {"x0": Real(1.0, float(np.nextafter(1.0, 2.0)))},
    "Real(-1e307, 1e307)": lambda: {"x0": Real(-1e307, 1e307), "x1": Real(0, 1)},
    "Real(1e307, 1.7e308)": lambda: {"x0": Real(1e307, 1.7e308)},
    "Real(0, 5e-324)": lambda: {"x0": Real(0.0, TINY), "x1": Real(0, 1)},
    "Real(1e-300, 1e-290, log)": lambda: {"x0": Real(1e-300, 1e-290, log=True), "x1": Real(0, 1)},
    "Real(5e-324, 1e308, log)": lambda: {"x0": Real(TINY, 1e308, log=True)},
    "Integer size 1 and 2": lambda: {"x0": Integer(4, 4), "x1": Integer(0, 1), "x2": Real(0, 1)},
    "Integer size 2 only": lambda: {"x0": Integer(0, 1), "x1": Integer(-1, 0)},
    "Integer(-2**51, 2**51)": lambda: {"x0": Integer(-2**51, 2**51)},  # 2**52 + 1 values, the most
    "Integer(1, 2**53, log)": lambda: {"x0": Integer(1, 2**53, log=True), "x1": Real(0, 1)},
    "Categorical of one": lambda: {"x0": Categorical(["only"]), "x1": Real(0, 1)},
    "Categorical of None, True and 0": lambda: {"x0": Categorical([None, True, 0]),
                                                "x1": Real(0, 1)},
}


def _unit_signal(space: dict[str, Any]) -> Callable[[dict[str, Any], int], float]:
    """The objective on the space's unit cube: extreme units never enter the value."""
    def objective(params: dict[str, Any], i: int) -> float:
        u = []
        for name, dim in space.items():
            v = params[name]
            if isinstance(dim, Categorical):
                continue
            low, high = float(dim.low), float(dim.high)
            if getattr(dim, "log", False):
                u.append((math.log(float(v)) - math.log(low)) / (math.log(high) - math.log(low)))
            else:
                u.append(0.0 if high == low else float(
                    (Fraction(float(v)) - Fraction(low)) / (Fraction(high) - Fraction(low))))
        return float(sum((x - 0.3) ** 2 for x in u))
    return objective


def _extreme_space(make: Callable[[], dict[str, Any]]) -> Scenario:
    def sequence(seed: int, run: Run) -> None:
        space = run.step("space", make)
        if space is None:
            return
        opt = optimizer(space, seed)
        drive(opt, run, 9, _unit_signal(space))
        finish(opt, run)
    return sequence


register("space", _extreme_space, SPACES)


OUTSIDE: dict[str, tuple[dict[str, Any], dict[str, Any], Refuse]] = {
    "a float past high by an ulp": ({"x0": Real(0, 1)}, {"x0": float(np.nextafter(1.0, 2.0))},
                                    Refuse("'x0'", "1.0000000000000002")),
    "below a log low": ({"x0": Real(1e-300, 1e-290, log=True)}, {"x0": 1e-301},
                        Refuse("'x0'", "1e-301")),
    "an integer out of a size-1 range": ({"x0": Integer(4, 4)}, {"x0": 5}, Refuse("'x0'", "5")),
    "nan as a Real": ({"x0": Real(0, 1)}, {"x0": math.nan}, Refuse("'x0'", "nan")),
    "inf as a Real": ({"x0": Real(0, 1)}, {"x0": math.inf}, Refuse("'x0'", "inf")),
    "2.5 as an Integer": ({"x0": Integer(0, 4)}, {"x0": 2.5}, Refuse("'x0'", "2.5")),
}


def _outside(space: dict[str, Any], params: dict[str, Any], refuse: Refuse) -> Scenario:
    def sequence(seed: int, run: Run) -> None:
        opt = optimizer(space, seed)
        drive(opt, run, 4, _unit_signal(space))
        run.step("tell outside", lambda: opt.tell(params, 1.0), refuse=refuse)
        run.step("tell_failure outside", lambda: opt.tell_failure(params, "boom"), refuse=refuse)
        drive(opt, run, 1, _unit_signal(space))
        finish(opt, run)
    return sequence


register("told outside", _outside, OUTSIDE)


# sequences
def _repeated(tells: Callable[[Optimizer, Run, np.random.Generator], object]) -> Scenario:
    """`tells` of one point {x0: 0.3, x1: 0.7}, then three asks and tells, then the checks."""
    def sequence(seed: int, run: Run) -> None:
        opt = optimizer(box(), seed)
        tells(opt, run, np.random.default_rng(seed))
        drive(opt, run, 3, lambda p, i: signal_of(p))
        finish(opt, run)
    return sequence


ONE_POINT = {"x0": 0.3, "x1": 0.7}
SCENARIOS["sequence: 200 tells of one point"] = _repeated(lambda opt, run, rng: [
    run.step(f"tell #{i}", opt.tell, ONE_POINT, 1.0) for i in range(200)])
SCENARIOS["sequence: 200 noisy duplicates in one batch"] = _repeated(lambda opt, run, rng: [
    run.step("tell batch", opt.tell, [ONE_POINT] * 200,
             list(1.0 + 1e-12 * rng.standard_normal(200)))])


@scenario("sequence: tells of points never asked, others pending")
def _never_asked(seed: int, run: Run) -> None:
    rng = np.random.default_rng(seed)
    opt = optimizer(box(), seed)
    run.step("ask 2", lambda: opt.ask(2))
    for i in range(8):
        point = {"x0": float(rng.random()), "x1": float(rng.random())}
        run.step(f"tell #{i}", partial(opt.tell, point, signal_of(point)))
    drive(opt, run, 3, lambda p, i: signal_of(p))
    finish(opt, run)


@scenario("sequence: many ties on a 4-point space")
def _ties(seed: int, run: Run) -> None:
    opt = optimizer({"x0": Integer(0, 1), "x1": Categorical(["a", "b"])}, seed, n_initial=2)
    drive(opt, run, 6, lambda p, i: 1.0)
    finish(opt, run)


def _fidelity(value: Callable[[dict[str, Any], float], float]) -> Scenario:
    def sequence(seed: int, run: Run) -> None:
        opt = optimizer({"x0": Real(0, 1), "x1": Real(0, 1), "budget": Fidelity(1, 9)}, seed)
        for i in range(40):
            params = run.step(f"ask #{i}", opt.ask)
            if params is None:
                return
            for step in range(1, int(params["budget"]) + 1):
                if run.step(f"report #{i}", partial(opt.report, params, step, value(params, step))):
                    break
            run.step(f"tell #{i}", partial(opt.tell, params, value(params, params["budget"])))
            best_checked(opt, run, f"tell #{i}")
        finish(opt, run)
    return sequence


SCENARIOS["fidelity: all reports equal"] = _fidelity(lambda p, step: 1.0)
SCENARIOS["fidelity: reports at ±1e300"] = _fidelity(
    lambda p, step: 1e300 * (signal_of(p) - 0.2) / step)
SCENARIOS["fidelity: subnormal reports"] = _fidelity(
    lambda p, step: TINY * round(8 * signal_of(p)))


REFUSED_REPORTS: dict[str, tuple[Any, Any, Refuse]] = {
    "nan value": (1, math.nan, Refuse("value", "nan")),
    "inf value": (1, math.inf, Refuse("value", "inf")),
    "bool step": (True, 1.0, Refuse("step", "True")),
    "nan step": (math.nan, 1.0, Refuse("step", "nan")),
    "bool value": (1, True, Refuse("value", "True")),
}


def _refused_report(step: Any, value: Any, refuse: Refuse) -> Scenario:
    def sequence(seed: int, run: Run) -> None:
        opt = optimizer({"x0": Real(0, 1), "budget": Fidelity(1, 9)}, seed)
        params = run.step("ask", opt.ask)
        run.step("report", lambda: opt.report(params, step, value), refuse=refuse)
        run.step("report a good value", lambda: opt.report(params, 1, 0.5))
    return sequence


register("report refused", _refused_report, REFUSED_REPORTS)


# metamorphic: a problem and the same problem in other units
def _predictions(values: list[float]) -> Any:
    opt = optimizer(box(), 0)
    step = min(0.1, 1.0 / len(values))  # 4 + seed points: inside the box past 10 too
    points = [{"x0": step * k, "x1": 1.0 - step * k} for k in range(1, len(values) + 1)]
    opt.tell(points, values)
    return opt.surrogate().predict([{"x0": 0.7, "x1": 0.9}] + points[:2])


def _units(factor: float) -> Scenario:
    """Constant values c·v: the predictions are c times those of v (to rounding)."""
    def sequence(seed: int, run: Run) -> None:
        unit = run.step("predict at v", _predictions, [2.0] * (4 + seed))
        scaled = run.step("predict at c·v", _predictions, [2.0 * factor] * (4 + seed))
        if unit is not None and scaled is not None and not (
                np.allclose(scaled.mean, factor * unit.mean, rtol=1e-9, atol=0)
                and np.allclose(scaled.std, factor * unit.std, rtol=1e-6, atol=0)):
            run.faults.append(f"c = {factor:g}: std {scaled.std} is not c × {unit.std}")
    return sequence


def _constant_constraint_asks(c: float, seed: int, run: Run) -> list[Any]:
    opt = optimizer(box(), seed)
    drive(opt, run, 9, lambda p, i: signal_of(p), lambda p, i: {"constraints": [c]})
    return [o.params for o in opt.history]


def _constraint_units(c: float) -> Scenario:
    """A constraint constant at c > 0 is the problem of c = 1: the same asks, bit for bit."""
    def sequence(seed: int, run: Run) -> None:
        if _constant_constraint_asks(c, seed, run) != _constant_constraint_asks(1.0, seed, run):
            run.faults.append(f"a constraint constant at {c:g} asks other points than at 1")
    return sequence


register("units", _units, {f"constant values × {c:g}": c for c in (1e-300, 1e-6, 1e6, 1e300)})
register("units", _constraint_units, {
    f"a constraint constant at {c:g}": c for c in (TINY, 1e-300, 1e-6, 0.3, 7.1, 1e300, FMAX)})


MINIMIZE: dict[str, Callable[[dict[str, Any]], Any]] = {
    "numpy float32": lambda p: np.float32(p["x0"]),
    "1e300 scale": lambda p: 1e300 * p["x0"],
    "constant subnormal": lambda p: TINY,
    "Fraction": lambda p: Fraction(1, 3),
    "nan every time (failures)": lambda p: math.nan,
    "value and constraints at 1e300": lambda p: (p["x0"], [1e300]),
}


def _minimized(objective: Callable[[dict[str, Any]], Any]) -> Scenario:
    def sequence(seed: int, run: Run) -> None:
        result = run.step("minimize", lambda: minimize(
            objective, {"x0": Real(0, 1)}, n_calls=7, n_initial=3, seed=seed, progress=False,
            options=FAST, max_consecutive_failures=None))
        if result is not None:
            least = [o.value for o in result.history if judged(o, result.space)]
            if least and result.best_value != min(least):
                run.faults.append(f"minimize: best_value {result.best_value} != {min(least)}")
    return sequence


register("minimize", _minimized, MINIMIZE)


# ------------------------------------------------------------------ conditional spaces
@dataclass(frozen=True)
class Tree:
    """A random conditional space and its activity rule, written out independently of the
    library: `parents[name]` maps each parent to the values that make `name` active."""

    space: dict[str, Any]
    parents: dict[str, dict[str, tuple[Any, ...]]]

    def active(self, params: Mapping[str, Any]) -> set[str]:
        on: set[str] = set()
        for name in self.space:  # parents come first (built in that order)
            if all(p in on and params.get(p) in allowed
                   for p, allowed in self.parents[name].items()):
                on.add(name)
        return on

    def point(self, rng: np.random.Generator) -> dict[str, Any]:
        """A random point of the space with exactly its active keys."""
        full: dict[str, Any] = {}
        for name, dim in self.space.items():
            if isinstance(dim, Categorical):
                full[name] = dim.choices[int(rng.integers(len(dim.choices)))]
            elif isinstance(dim, Integer):
                full[name] = int(rng.integers(dim.low, dim.high + 1))
            else:
                full[name] = float(dim.low + (dim.high - dim.low) * rng.random())
        on = self.active(full)
        return {k: v for k, v in full.items() if k in on}


def random_tree(rng: np.random.Generator,
                choices: tuple[Any, ...] = ("a", "b", "c", "d")) -> Tree:
    """A root Categorical and an always-active Integer, then 3–7 dimensions each under one
    parent (a Categorical or an Integer, conditional itself or not), sometimes two (an
    unconditional parent and the always-active Integer), active for one value or a list of
    values. `choices`: the root's (2–4 of them)."""
    space: dict[str, Any] = {"root": Categorical(list(choices[:int(rng.integers(2, 5))])),
                             "n": Integer(0, 3)}
    parents: dict[str, dict[str, tuple[Any, ...]]] = {"root": {}, "n": {}}
    values = {"root": list(space["root"].choices), "n": [0, 1, 2, 3]}
    for i in range(int(rng.integers(3, 8))):
        name = f"d{i}"
        parent = list(values)[int(rng.integers(len(values)))]
        k = int(rng.integers(1, len(values[parent])))
        chosen = tuple(values[parent][j] for j in sorted(
            rng.choice(len(values[parent]), size=k, replace=False)))
        when: dict[str, Any] = {parent: chosen[0] if k == 1 and rng.random() < 0.5
                                else list(chosen)}
        conditions = {parent: chosen}
        if parent != "n" and rng.random() < 0.25 and not parents[parent]:
            when["n"] = [1, 2, 3]
            conditions["n"] = (1, 2, 3)
        kind = rng.random()
        if kind < 0.45:
            space[name] = Real(1e-3, 10.0, log=True, when=when) if rng.random() < 0.3 else Real(
                -1.0, 1.0, when=when)
        elif kind < 0.7:
            space[name] = Integer(0, int(rng.integers(1, 5)), when=when)
            values[name] = list(range(space[name].low, space[name].high + 1))
        else:
            letters = ["x", "y", "z"][:int(rng.integers(2, 4))]
            space[name] = Categorical(letters, when=when)
            values[name] = letters
        parents[name] = conditions
    return Tree(space, parents)


def tree_signal(tree: Tree) -> Callable[[dict[str, Any], int], float]:
    """A smooth value of the active numbers plus a branch's offset (its active count)."""
    def objective(params: dict[str, Any], i: int) -> float:
        s = 0.1 * len(params)
        for name, v in params.items():
            dim = tree.space[name]
            if isinstance(dim, Real):
                u = (math.log(v / dim.low) / math.log(dim.high / dim.low) if dim.log
                     else (v - dim.low) / (dim.high - dim.low))
                s += (u - 0.3) ** 2
            elif isinstance(dim, Integer):
                s += 0.05 * v
        return s
    return objective


def check_activity(tree: Tree, params: Mapping[str, Any]) -> None:
    active = tree.active(params)
    if set(params) != active:
        raise Fault(f"ask {params} has keys {sorted(params)}, the active ones are "
                    f"{sorted(active)}")


def _conditional(value: Callable[[float, np.random.Generator, int], float],
                 choices: tuple[Any, ...] = ("a", "b", "c", "d")) -> Scenario:
    """A random tree (its root's `choices`), asks of 1 or 2 points (each carries exactly its active keys), tells
    of hostile values and of never-asked points, then the checks of `finish`."""
    def sequence(seed: int, run: Run) -> None:
        rng = np.random.default_rng(seed)
        tree = run.step("space", random_tree, rng, choices)
        if tree is None:
            return
        opt = optimizer(tree.space, seed, n_initial=4)
        signal = tree_signal(tree)
        for i in range(10):
            if rng.random() < 0.2:
                point = tree.point(rng)
                run.step(f"tell never asked #{i}",
                         partial(opt.tell, point, value(signal(point, i), rng, i)))
                continue
            asked = run.step(f"ask #{i}", lambda: opt.ask(int(rng.integers(1, 3))))
            if asked is None:
                return
            for params in asked:
                try:
                    check_activity(tree, params)
                    check_ask(opt, params, set(), True)
                except Fault as fault:
                    run.faults.append(f"ask #{i}: {fault}")
            run.step(f"tell #{i}", partial(
                opt.tell, asked, [value(signal(p, i), rng, i) for p in asked]))
            best_checked(opt, run, f"tell #{i}")
        finish(opt, run)
    return sequence


register("conditional", _conditional, {name: VALUE_FAMILIES[name] for name in (
    "all equal", "1e300 scale", "±1e300 mixed", "subnormal 5e-324 steps", "last bit apart",
    "one 1e300 outlier among equal", "Cauchy tails", "step, 2 values", "all equal 1e-300")})
SCENARIOS["conditional: None, True and 0 as the root's choices"] = _conditional(
    VALUE_FAMILIES["Cauchy tails"], (None, True, 0, "a"))


def _wrong_keys(kind: str) -> Scenario:
    """A tell naming an inactive key, or missing an active one, is refused naming it, and
    records nothing; a tell_failure the same."""
    def sequence(seed: int, run: Run) -> None:
        rng = np.random.default_rng(seed)
        tree = random_tree(rng)
        opt = optimizer(tree.space, seed, n_initial=3)
        drive(opt, run, 4, tree_signal(tree))
        params = run.step("ask", opt.ask)
        if params is None:
            return
        inactive = [k for k in tree.space if k not in params]
        removable = [k for k in params if k != "root" and k != "n"] or ["root"]
        if kind == "inactive key present":
            if not inactive:
                return
            key = inactive[int(rng.integers(len(inactive)))]
            bad = {**params, key: tree.point(np.random.default_rng(0)).get(key, None)}
            if bad[key] is None:
                dim = tree.space[key]
                bad[key] = (dim.choices[0] if isinstance(dim, Categorical) else dim.low)
        else:
            key = removable[int(rng.integers(len(removable)))]
            bad = {k: v for k, v in params.items() if k != key}
        n = len(opt.history)
        run.step("tell", lambda: opt.tell(bad, 1.0), refuse=Refuse(f"'{key}'", ""))
        run.step("tell_failure", lambda: opt.tell_failure(bad, "boom"),
                 refuse=Refuse(f"'{key}'", ""))
        if len(opt.history) != n:
            run.faults.append("a refused tell recorded something")
        run.step("tell the asked point", lambda: opt.tell(params, 1.0))
        finish(opt, run)
    return sequence


register("conditional refused", _wrong_keys,
         {k: k for k in ("inactive key present", "active key missing")})


# ------------------------------------------------------------------ journals and storages
def same_state(live: Optimizer, other: Optimizer, what: str, run: Run,
               timing: bool = True) -> None:
    """History (every field, and timing and run ids unless not `timing`), pending points and
    best alike."""
    a, b = live.history, other.history
    if a != b:
        first = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        run.faults.append(f"{what}: history differs at {first} of {len(a)}/{len(b)}: "
                          f"{a[first] if first < len(a) else None} vs "
                          f"{b[first] if first < len(b) else None}")
    elif timing:
        times = [(x.index, x.timestamp, x.duration, x.run) for x in a]
        again = [(x.index, x.timestamp, x.duration, x.run) for x in b]
        if times != again:
            run.faults.append(f"{what}: timing or run ids differ: {times} vs {again}")
    if sorted(map(repr, live.pending)) != sorted(map(repr, other.pending)):
        run.faults.append(f"{what}: pending {live.pending} vs {other.pending}")
    if live.best != other.best:
        run.faults.append(f"{what}: best {live.best} vs {other.best}")


@dataclass(frozen=True)
class Setting:
    """An optimizer's space and keywords for a random sequence, and what it tells."""

    space: Callable[[np.random.Generator], Any]
    keywords: dict[str, Any] = field(default_factory=dict)
    constraints: int = 0
    cost: bool = False
    value: Callable[[float, np.random.Generator, int], float] = lambda s, r, i: s


SETTINGS: dict[str, Setting] = {
    "plain": Setting(lambda rng: box()),
    "1e300 values": Setting(lambda rng: box(), value=VALUE_FAMILIES["1e300 scale"]),
    "all equal": Setting(lambda rng: box(), value=VALUE_FAMILIES["all equal"]),
    "two constraints": Setting(lambda rng: box(), {"n_constraints": 2}, constraints=2),
    "cost": Setting(lambda rng: box(), {"acquisition": "logei_per_cost"}, cost=True),
    "conditional": Setting(random_tree),
    "fidelity": Setting(lambda rng: {"x0": Real(0, 1), "x1": Real(0, 1),
                                     "budget": Fidelity(1, 9)}),
    "fidelity, constraint and cost": Setting(
        lambda rng: {"x0": Real(0, 1), "budget": Fidelity(1, 9)},
        {"n_constraints": 1, "acquisition": "logei_per_cost"}, constraints=1, cost=True),
}


def random_point(space: Any, rng: np.random.Generator) -> dict[str, Any]:
    if isinstance(space, Tree):
        return space.point(rng)
    point: dict[str, Any] = {}
    for name, dim in space.items():
        if isinstance(dim, Fidelity):
            point[name] = dim.high
        else:
            point[name] = float(dim.low + (dim.high - dim.low) * rng.random())
    return point


def random_ops(opt: Optimizer, run: Run, rng: np.random.Generator, setting: Setting,
               space: Any, n: int, reported: dict[str, int]) -> None:
    """n random operations: ask 1–2, tell (rounded to 3 digits, or two at once),
    tell_failure, cancel, add_pending, report, heartbeat, a never-asked tell, each on a
    pending point chosen at random; `reported`: the last step reported of each point."""
    def extras(params: Mapping[str, Any], i: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if setting.constraints:
            out["constraints"] = [float(params.get("x0", 0.5)) - 0.6] + [
                float(rng.normal())] * (setting.constraints - 1)
        if setting.cost:
            out["cost"] = float(0.5 + rng.random())
        return out

    objective = tree_signal(space) if isinstance(space, Tree) else (
        lambda p, i: signal_of(p))
    for i in range(n):
        pending = opt.pending
        op = rng.choice(["ask", "ask", "tell", "tell", "rounded", "batch", "fail", "cancel",
                         "add", "report", "heartbeat", "never"])
        if op == "ask" or (not pending and op in ("tell", "rounded", "batch", "fail",
                                                  "cancel", "report", "heartbeat")):
            run.step(f"ask #{i}", opt.ask, int(rng.integers(1, 3)))
            continue
        point = pending[int(rng.integers(len(pending)))] if pending else {}
        value = setting.value(objective(point, i), rng, i) if point else 0.0
        if op == "tell":
            run.step(f"tell #{i}", partial(opt.tell, point, value, duration=float(rng.random()),
                                           **extras(point, i)))
        elif op == "rounded":  # README: a tell rounded to 3 significant digits releases it
            shown = {k: float(f"{v:.3g}") if isinstance(v, float) else v
                     for k, v in point.items()}
            run.step(f"tell rounded #{i}", partial(opt.tell, shown, value, **extras(shown, i)))
            if len(opt.pending) != len(pending) - 1:
                run.faults.append(f"tell rounded #{i}: {shown} released "
                                  f"{len(pending) - len(opt.pending)} pending points of "
                                  f"{pending}")
        elif op == "batch":
            both = pending[:2]
            per = [extras(p, i) for p in both]
            kwargs = {k: [e[k] for e in per] for k in (per[0] if per else {})}
            run.step(f"tell batch #{i}", partial(
                opt.tell, both, [setting.value(objective(p, i), rng, i) for p in both],
                **kwargs))
        elif op == "fail":
            run.step(f"tell_failure #{i}", partial(opt.tell_failure, point, f"boom {i}",
                                                   cost=1.0 if setting.cost else None))
        elif op == "cancel":
            run.step(f"cancel #{i}", opt.cancel, point)
        elif op == "heartbeat":
            run.step(f"heartbeat #{i}", opt.heartbeat, point)
        elif op == "report":
            budget = float(point.get("budget", 9))
            stop, last = False, reported.get(repr(point), 0)
            for step in range(last + 1, last + 1 + int(rng.integers(1, max(2, int(budget))))):
                if step > budget:
                    break
                reported[repr(point)] = step
                stop = bool(run.step(f"report #{i}", opt.report, point, step,
                                     setting.value(objective(point, i) / step, rng, i)))
                if stop:
                    break
            if stop:
                run.step(f"tell pruned #{i}", partial(opt.tell, point, value, **extras(point, i)))
        elif op == "add":
            fresh = random_point(space, rng)  # with a Fidelity a run of the schedule
            # on a small discrete branch a random point may be pending already: refused
            taken = Refuse("is pending already", str(fresh)) if matched(
                opt, fresh, opt.pending) else None
            run.step(f"add_pending #{i}", opt.add_pending, fresh, refuse=taken)
        else:
            fresh = random_point(space, rng)
            value = setting.value(objective(fresh, i), rng, i)
            run.step(f"tell never asked #{i}", partial(opt.tell, fresh, value,
                                                       **extras(fresh, i)))
        best_checked(opt, run, f"#{i} ({op})")


def continued(opt: Optimizer, journal: str, run: Run, rng: np.random.Generator,
              setting: Setting, space: Any, reported: dict[str, int]) -> None:
    """The run closed and resumed to append, and a deep copy of it, go on with the same
    random operations: the same history, pending points, best and next ask (README: a
    copy and a resumed journal each ask what the original would)."""
    twin = copy.deepcopy(opt)
    opt.close()
    resumed = run.step("resume to append", Optimizer.resume, journal)
    if resumed is None:
        return
    state = rng.bit_generator.state
    random_ops(twin, run, rng, setting, space, 10, dict(reported))
    rng.bit_generator.state = state
    random_ops(resumed, run, rng, setting, space, 10, dict(reported))
    same_state(twin, resumed, "the resumed journal and a copy, continued", run, timing=False)
    a, b = run.step("ask the copy", twin.ask), run.step("ask the resumed", resumed.ask)
    if a != b:
        run.faults.append(f"continued: the resumed journal asks {b}, the copy {a}")
    resumed.close()


_POSTGRES: list[str] = []  # the URL of this process's server, started by its first use


def postgres_url() -> str:
    """A database on a throwaway PostgreSQL server (tests/postgres.py), started once per
    process and stopped at its exit; each sequence has a study of its own there."""
    if not _POSTGRES:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
        from postgres import PostgresServer, find_binaries

        binaries, looked = find_binaries()
        if binaries is None:
            raise RuntimeError(f"PostgreSQL binaries not found: {looked}")
        server = PostgresServer(binaries)
        server.start()
        atexit.register(server.remove)
        atexit.register(server.stop)  # run first: atexit calls in reverse order
        _POSTGRES.append(server.create_database("fuzz"))
    return _POSTGRES[0]


def _stored(setting: Setting, where: str) -> Scenario:
    """A random sequence written to a journal or a study; the journal resumed (or a second
    optimizer attached to the study) holds the live optimizer's history, pending points
    and best, and a resumed journal asks what the live optimizer asks next."""
    def sequence(seed: int, run: Run) -> None:
        rng = np.random.default_rng(seed)
        made = setting.space(rng)
        space = made.space if isinstance(made, Tree) else made
        with tempfile.TemporaryDirectory() as folder:
            url = {"journal": lambda: str(Path(folder) / "run.jsonl"),
                   "sqlite": lambda: f"sqlite:///{folder}/study.db",
                   "jsonl study": lambda: str(Path(folder) / "study.jsonl"),
                   "postgresql": postgres_url}[where]()
            study = f"s{uuid.uuid4().hex}"  # one database holds every postgresql sequence
            store = {"journal": url} if where == "journal" else {"storage": url, "study": study}
            keywords = {**setting.keywords, **store}
            opt = run.step("optimizer", lambda: optimizer(space, seed, **keywords))
            if opt is None:
                return
            reported: dict[str, int] = {}
            random_ops(opt, run, rng, setting, made, 24, reported)
            if where == "journal":
                again = run.step("resume", partial(Optimizer.resume, url, append=False))
            else:
                again = run.step("attach", lambda: optimizer(
                    space, seed + 1, **{**setting.keywords, **store}))
            if again is None:
                return
            same_state(opt, again, "resumed" if where == "journal" else "attached", run)
            if where == "journal":
                resumed, live = run.step("ask the resumed", again.ask), run.step("ask", opt.ask)
                if resumed != live:
                    run.faults.append(f"the resumed journal asks {resumed}, the run {live}")
                finish(opt, run)
                continued(opt, url, run, rng, setting, made, reported)
                return
            else:
                run.step("ask the attached", again.ask)
                run.step("ask", opt.ask)
                same_state(opt, again, "attached, after an ask of each", run)
                again.close()
            finish(opt, run)
            opt.close()
    return sequence


for _where in ("journal", "sqlite", "jsonl study", "postgresql"):
    register(f"stored in a {_where}", partial(_stored, where=_where), SETTINGS)


# ------------------------------------------------------------------ the integrations
def random_distributions(rng: np.random.Generator) -> dict[str, Any]:
    """2–5 Optuna distributions: floats (log, step, a 1e-300 scale, ±1e300), ints (log,
    step, one value), categoricals of mixed types."""
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
    menu: list[Callable[[], Any]] = [
        lambda: FloatDistribution(-5.0, 5.0),
        lambda: FloatDistribution(1e-5, 1e-1, log=True),
        lambda: FloatDistribution(0.0, 1.0, step=0.25),
        lambda: FloatDistribution(1e-300, 1e-290, log=True),
        lambda: FloatDistribution(-1e300, 1e300),
        lambda: FloatDistribution(2.0, 2.0),
        lambda: IntDistribution(1, 64, log=True),
        lambda: IntDistribution(0, 100, step=10),
        lambda: IntDistribution(3, 3),
        lambda: IntDistribution(-2**40, 2**40),
        lambda: CategoricalDistribution([None, True, 1, "a", 2.5]),
        lambda: CategoricalDistribution(["only"]),
    ]
    return {f"p{i}": menu[int(k)]() for i, k in enumerate(
        rng.choice(len(menu), size=int(rng.integers(2, 6)), replace=False))}


OPTUNA_VALUES: dict[str, Callable[[float, np.random.Generator, int], float]] = {
    "smooth": lambda s, r, i: s,
    "all equal": VALUE_FAMILIES["all equal"],
    "1e300 scale": VALUE_FAMILIES["1e300 scale"],
    "±1e300 mixed": VALUE_FAMILIES["±1e300 mixed"],
    "subnormal steps": VALUE_FAMILIES["subnormal 5e-324 steps"],
    "inf now and then": lambda s, r, i: math.inf if i % 4 == 3 else s,
    "-inf now and then": lambda s, r, i: -math.inf if i % 5 == 4 else s,
    "nan now and then": lambda s, r, i: math.nan if i % 3 == 2 else s,
}


def suggest(trial: Any, name: str, dist: Any) -> Any:
    """trial.suggest_* of `dist` (Optuna's public API)."""
    from optuna.distributions import FloatDistribution, IntDistribution
    if isinstance(dist, FloatDistribution):
        return trial.suggest_float(name, dist.low, dist.high, log=dist.log, step=dist.step)
    if isinstance(dist, IntDistribution):
        return trial.suggest_int(name, dist.low, dist.high, log=dist.log, step=dist.step)
    return trial.suggest_categorical(name, dist.choices)


def inside(dist: Any, v: Any) -> bool:
    """Whether `v` is a value `dist` can give: in its range, on its step grid, a choice."""
    from optuna.distributions import FloatDistribution, IntDistribution
    if isinstance(dist, (FloatDistribution, IntDistribution)):
        on_grid = dist.step is None or math.isclose(
            round((v - dist.low) / dist.step) * dist.step, v - dist.low, abs_tol=1e-9)
        return bool(dist.low <= v <= dist.high and on_grid)
    return any(v is c or (type(v) is type(c) and v == c) for c in dist.choices)


def optuna_trial(study: Any, run: Run, i: int, rng: np.random.Generator,
                 spaces: tuple[dict[str, Any], dict[str, dict[str, Any]]],
                 value: Callable[[float, np.random.Generator, int], float]) -> Any:
    """Trial i: asked, suggested (the branch's parameters under "model"), checked, and
    told as failed, pruned after a report, or with a value; its params (None if none)."""
    import optuna
    State = optuna.trial.TrialState
    trial = run.step(f"ask #{i}", study.ask)
    if trial is None:
        return None
    shared, branch = spaces

    def suggested() -> dict[str, Any]:
        for name, dist in shared.items():
            suggest(trial, name, dist)
        model = trial.suggest_categorical("model", ["svm", "tree"])
        for name, dist in branch[model].items():
            suggest(trial, f"{model}_{name}", dist)
        return dict(trial.params)
    params = run.step(f"suggest #{i}", suggested)
    if params is None:
        run.step(f"tell failed #{i}", partial(study.tell, trial, state=State.FAIL))
        return None
    for name, v in params.items():
        if not inside(trial.distributions[name], v):
            run.faults.append(f"suggest #{i}: {name}={v!r} outside {trial.distributions[name]}")
    s = sum((float(v) - 0.3) ** 2 for v in params.values()
            if isinstance(v, (int, float)) and not isinstance(v, bool) and abs(v) < 1e6)
    kind = rng.random()
    if kind < 0.15:
        run.step(f"tell failed #{i}", partial(study.tell, trial, state=State.FAIL))
    elif kind < 0.3:
        run.step(f"report #{i}", trial.report, value(s, rng, i), 1)
        run.step(f"tell pruned #{i}", partial(study.tell, trial, state=State.PRUNED))
    else:
        run.step(f"tell #{i}", study.tell, trial, value(s, rng, i))
    return params


def optuna_trials(seed: int, run: Run, value: Callable[[float, np.random.Generator, int], float],
                  n: int = 12) -> list[dict[str, Any]]:
    """n trials of a define-by-run objective over random distributions (a branch under a
    categorical), some failed and some pruned, asked and told through the sampler; the
    suggested params in order."""
    import optuna

    from bayesopt.integrations.optuna import BayesoptSampler

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    rng = np.random.default_rng(seed)
    spaces = (random_distributions(rng),
              {"svm": random_distributions(np.random.default_rng(seed + 100)), "tree": {}})
    sampler = run.step("sampler", lambda: BayesoptSampler(seed=seed, n_initial=3,
                                                            options=FAST))
    study = run.step("study", lambda: optuna.create_study(sampler=sampler))
    if study is None:
        return []
    suggested: list[dict[str, Any]] = []
    for i in range(n):
        params = optuna_trial(study, run, i, rng, spaces, value)
        if params is not None:
            suggested.append(params)
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if complete:
        best = run.step("best_trial", lambda: study.best_trial)
        if best is not None and best.value != min(t.value for t in complete):
            run.faults.append(f"best_trial {best.value} is not the least value")
    return suggested


# Optuna's own: a tell of NaN marks the trial FAIL (`optuna.study._tell`); from Python 3.12
# Optuna attributes its warnings to the first frame outside its package (`skip_file_prefixes`
# in optuna._warnings.optuna_warn), so no module is named: the message is Optuna's alone
OPTUNA_WARNINGS = (("The value nan is not acceptable", ""),)


def _optuna(value: Callable[[float, np.random.Generator, int], float]) -> Scenario:
    """Random distributions and branches through `BayesoptSampler`: suggestions inside
    their distributions, failed and pruned trials taken, and the same seed suggests the
    same (README, Optuna: the same seed and the same trials give the same suggestions)."""
    def sequence(seed: int, run: Run) -> None:
        run.external = OPTUNA_WARNINGS
        first = optuna_trials(seed, run, value)
        again = optuna_trials(seed, Run(run.timeout, OPTUNA_WARNINGS), value)
        if repr(first) != repr(again):
            run.faults.append(f"the same seed suggested {again}, then {first}")
    return sequence


register("optuna", _optuna, OPTUNA_VALUES)

SCORES: dict[str, Callable[[float, int], float]] = {
    "nan always": lambda s, i: math.nan,
    "nan now and then": lambda s, i: math.nan if i % 3 == 0 else s,
    "inf now and then": lambda s, i: math.inf if i % 4 == 1 else s,
    "-inf now and then": lambda s, i: -math.inf if i % 4 == 1 else s,
    "constant": lambda s, i: 0.5,
    "1e300 scale": lambda s, i: 1e300 * s,
    "±1e300": lambda s, i: 1e300 * (s - 0.5),
    "subnormal": lambda s, i: TINY * round(8 * s),
}


# scikit-learn's own, in `BaseSearchCV._format_results` (RandomizedSearchCV's too): the
# warning about NaN and ±inf scores, and numpy's in its std of scores of ±inf or ~1e300
SKLEARN_WARNINGS = (("One or more of the test scores are non-finite", "sklearn"),
                    ("overflow encountered in square", r"sklearn\.model_selection\._search"),
                    ("invalid value encountered in subtract",
                     r"sklearn\.model_selection\._search"))


def _search(score: Callable[[float, int], float]) -> Scenario:
    """`BayesSearchCV` of a real small estimator with a scorer returning hostile scores:
    the search ends, `cv_results_` has a row per candidate, and `best_index_` is
    `RandomizedSearchCV`'s rule (the least rank) with `best_params_` its params."""
    def sequence(seed: int, run: Run) -> None:
        run.external = SKLEARN_WARNINGS
        from sklearn.datasets import make_regression
        from sklearn.linear_model import Ridge
        from sklearn.neighbors import KNeighborsRegressor
        from sklearn.tree import DecisionTreeRegressor

        from bayesopt.sklearn import BayesSearchCV
        X, y = make_regression(n_samples=30, n_features=3, noise=0.1, random_state=seed)
        estimators: list[tuple[Any, dict[str, Any]]] = [
            (Ridge(), {"alpha": Real(1e-3, 1e3, log=True)}),
            (DecisionTreeRegressor(random_state=0), {"max_depth": Integer(1, 6),
                                                     "criterion": Categorical(
                                                         ["squared_error", "absolute_error"])}),
            (KNeighborsRegressor(), {"n_neighbors": Integer(1, 8),
                                     "weights": Categorical(["uniform", "distance"])}),
        ]
        estimator, space = estimators[seed % 3]
        calls = Counter[str]()

        def scorer(fitted: Any, X_: Any, y_: Any) -> float:
            calls["n"] += 1
            r2 = float(fitted.score(X_, y_))
            return score(1.0 / (1.0 + math.exp(-max(min(r2, 50.0), -50.0))), calls["n"] // 3)
        search = BayesSearchCV(estimator, space, n_iter=6, cv=3, scoring=scorer,
                               random_state=seed, n_initial=3,
                               optimizer_kwargs={"options": FAST})
        fitted = run.step("fit", search.fit, X, y)
        if fitted is None:
            return
        results = search.cv_results_
        if len(results["params"]) != 6:
            run.faults.append(f"{len(results['params'])} rows for 6 candidates")
        rank = np.asarray(results["rank_test_score"])
        if search.best_index_ != int(np.argmin(rank)):
            run.faults.append(f"best_index_ {search.best_index_}, least rank at "
                              f"{int(np.argmin(rank))}: {rank}")
        if search.best_params_ != results["params"][search.best_index_]:
            run.faults.append(f"best_params_ {search.best_params_} are not row "
                              f"{search.best_index_}'s")
        run.step("predict", search.predict, X[:3])
    return sequence


register("scikit-learn", _search, SCORES)


# ------------------------------------------------------------------ input constraints
class Boom(Exception):
    """What a hostile feasible= callable raises: it must reach the caller as itself."""


def obeys(constraints: list[Any], params: Mapping[str, Any]) -> str | None:
    """The first of the user's own constraint objects (in user units: a `LinearConstraint`
    called, a callable's verdict) that `params` violates, described; None if none."""
    for constraint in constraints:
        if not constraint(dict(params)):
            return str(constraint) if isinstance(constraint, LinearConstraint) else (
                f"the callable {getattr(constraint, '__name__', constraint)}")
    return None


def check_feasible(run: Run, constraints: list[Any], asked: Any, what: str) -> None:
    """Every point of `asked` (a dict or a list of them) satisfies every constraint."""
    for params in asked if isinstance(asked, list) else [asked]:
        broken = obeys(constraints, params)
        if broken is not None:
            run.faults.append(f"{what}: {params} violates {broken}")


@dataclass(frozen=True)
class Feasible:
    """A space and its input constraints (made afresh, so that a callable's state is new)
    for a sequence; `empty`: the region admits nothing (InfeasibleSpaceError when built);
    `steps`: rounds of asks; `size`: the number of admitted points of a finite space;
    `empty`: None, or what InfeasibleSpaceError says (the region admits nothing)."""

    space: Callable[[], dict[str, Any]]
    constraints: Callable[[], list[Any]]
    empty: str | None = None
    steps: int = 7
    size: int | None = None


def _lc(coefficients: dict[str, float], sense: str, bound: float) -> LinearConstraint:
    return LinearConstraint(coefficients, sense, bound)


def _positive(p: Mapping[str, Any]) -> np.bool_:
    return np.bool_(np.float64(p["x0"]) > 0.1)  # a numpy bool, as a comparison of arrays gives


def _ring(p: Mapping[str, Any]) -> bool:
    return bool(0.04 <= (p["x0"] - 0.5) ** 2 + (p["x1"] - 0.5) ** 2 <= 0.16)


def _meddler(p: dict[str, Any]) -> bool:
    """x0 <= 0.7, then the dict it was given changed (an ask must not see it)."""
    verdict = bool(p["x0"] <= 0.7)
    p["x0"], p["x9"] = 99.0, "meddled"
    return verdict


def _branch(p: Mapping[str, Any]) -> bool:  # conditional: only the active keys are given
    return bool(p.get("lr", 0.0) + p["x1"] <= 1.2 and ("k" not in p or p["k"] != 2))


FEASIBLE: dict[str, Feasible] = {
    "a + b <= 1": Feasible(box, lambda: [_lc({"x0": 1, "x1": 1}, "<=", 1)]),
    "a + b >= 1.5 (optimum on it)": Feasible(box, lambda: [_lc({"x0": 1, "x1": 1}, ">=", 1.5)]),
    "active at the optimum, -a - b >= -0.6": Feasible(
        box, lambda: [_lc({"x0": -1, "x1": -1}, ">=", -0.6)]),
    "two constraints, negative coefficients": Feasible(box, lambda: [
        _lc({"x0": -2.5, "x1": 1}, "<=", 0.1), _lc({"x0": 1, "x1": -0.5}, "<=", 0.6)]),
    "thin slab 0.5 <= a + b <= 0.52": Feasible(box, lambda: [
        _lc({"x0": 1, "x1": 1}, ">=", 0.5), _lc({"x0": 1, "x1": 1}, "<=", 0.52)]),
    "1e300 coefficients, a <= b": Feasible(box, lambda: [
        _lc({"x0": 1e300, "x1": -1e300}, "<=", 0.0)]),
    "1e300 coefficients and bound": Feasible(box, lambda: [
        _lc({"x0": 1e300, "x1": 1e300}, "<=", 1e300)]),
    "1e-300 coefficients and bound": Feasible(box, lambda: [
        _lc({"x0": 1e-300, "x1": 1e-300}, "<=", 1e-300)]),
    "subnormal coefficient beside 1": Feasible(box, lambda: [
        _lc({"x0": TINY, "x1": 1}, "<=", 0.4)]),
    "subnormal coefficients and bound": Feasible(box, lambda: [
        _lc({"x0": TINY, "x1": TINY}, "<=", TINY)]),
    "1e300 beside 1e-300 coefficients": Feasible(box, lambda: [
        _lc({"x0": 1e300, "x1": -1e-300}, "<=", 4e299)]),
    "±1e307 box, x0 + x1 <= 0": Feasible(
        lambda: {"x0": Real(-1e307, 1e307), "x1": Real(-1e307, 1e307)},
        lambda: [_lc({"x0": 1, "x1": 1}, "<=", 0)]),
    "coefficients at the accepted limit": Feasible(
        lambda: {"x0": Real(-1e300, 1e300), "x1": Real(0, 1)},
        lambda: [_lc({"x0": 1e7, "x1": -1e307}, "<=", -1e306)]),
    "Integer and stepped Real": Feasible(
        lambda: {"k": Integer(0, 20), "r": Real(0, 1, step=0.05), "x1": Real(0, 1)},
        lambda: [_lc({"k": 0.05, "r": 1}, "<=", 0.7), _lc({"k": 1, "x1": -10}, ">=", -3)]),
    "grid of 10 points, exhausted": Feasible(
        lambda: {"k": Integer(0, 3), "m": Integer(0, 3)},
        lambda: [_lc({"k": 1, "m": 1}, "<=", 3)], steps=7, size=10),
    "grid of one admitted point": Feasible(
        lambda: {"k": Integer(0, 3), "m": Integer(0, 3)},
        lambda: [_lc({"k": 1, "m": 1}, ">=", 6)], steps=4, size=1),
    "Integer equality k + m = 3": Feasible(
        lambda: {"k": Integer(0, 5), "m": Integer(0, 5), "x0": Real(0, 1)},
        lambda: [_lc({"k": 1, "m": 1}, "<=", 3), _lc({"k": 1, "m": 1}, ">=", 3)]),
    "numpy-bool callable and a linear one": Feasible(box, lambda: [
        _positive, _lc({"x0": 1, "x1": 1}, "<=", 1.2)]),
    "ring callable": Feasible(box, lambda: [_ring]),
    "a callable changing the dict it is given": Feasible(box, lambda: [_meddler]),
    "conditional space, callable": Feasible(
        lambda: {"opt": Categorical(["sgd", "adam"]), "lr": Real(0, 1, when={"opt": "sgd"}),
                 "k": Integer(0, 3, when={"opt": "adam"}), "x1": Real(0, 1)},
        lambda: [_branch]),
    "conditional space, linear and a callable": Feasible(
        lambda: {"opt": Categorical(["sgd", "adam"]), "lr": Real(0, 1, when={"opt": "sgd"}),
                 "k": Integer(0, 3, when={"opt": "adam"}), "x1": Real(0, 1), "x2": Real(0, 1)},
        lambda: [_lc({"x1": 1, "x2": -1}, ">=", 0.2), _branch]),
    "a Fidelity beside a linear one": Feasible(
        lambda: {"x0": Real(0, 1), "x1": Real(0, 1), "budget": Fidelity(1, 9)},
        lambda: [_lc({"x0": 1, "x1": 1}, "<=", 0.9)], steps=9),
    "Integer(±2**51) and a Real": Feasible(
        lambda: {"k": Integer(-2**51, 2**51), "x0": Real(0, 1)},
        lambda: [_lc({"k": 1, "x0": -2.0**50}, "<=", 0)]),
    "empty: a + b <= -0.5": Feasible(box, lambda: [_lc({"x0": 1, "x1": 1}, "<=", -0.5)],
                                     empty="admits none"),
    "empty: a + b squeezed to 1": Feasible(box, lambda: [
        _lc({"x0": 1, "x1": 1}, "<=", 1), _lc({"x0": 1, "x1": 1}, ">=", 1)], empty="from both sides"),
    "empty: a callable refusing all": Feasible(box, lambda: [lambda p: False], empty="admits none"),
    "empty: grid with no admitted point": Feasible(
        lambda: {"k": Integer(0, 3), "m": Integer(0, 3)},
        lambda: [_lc({"k": 1, "m": 1}, ">=", 6.5)], empty="admits none"),
}


def _violating(opt: Optimizer, constraints: list[Any],
               rng: np.random.Generator) -> dict[str, Any] | None:
    """The first of 200 uniform random points of the space that violates a constraint, or
    None."""
    points = opt.space.decode(opt.space.from_unit(rng.random((200, opt.space.n_dims))))
    return next((p for p in points if obeys(constraints, p) is not None), None)


def built(space: dict[str, Any], seed: int, constraints: list[Any], **kwargs: Any) -> Optimizer:
    """`optimizer` with feasible=constraints; a ValueError of another kind than
    InfeasibleSpaceError for an empty region is a fault."""
    try:
        return optimizer(space, seed, feasible=constraints, **kwargs)
    except InfeasibleSpaceError:
        raise
    except ValueError as error:
        raise Fault(f"ValueError, not InfeasibleSpaceError: {error}") from None


def _feasible_signal(space: dict[str, Any]) -> Callable[[dict[str, Any], int], float]:
    """The unit-cube signal of the active numeric keys (a conditional space's too)."""
    def objective(params: dict[str, Any], i: int) -> float:
        active = {k: v for k, v in space.items() if k in params}
        return _unit_signal(active)({k: params[k] for k in active}, i)
    return objective


def _input_constrained(setting: Feasible,
                       value: Callable[[float, np.random.Generator, int], float]) -> Scenario:
    """Asks of 1–3 points, an add_pending, hostile values: every ask (the initial design
    included) satisfies every constraint, judged by the constraint objects in user units;
    an empty region is InfeasibleSpaceError when the optimizer is built."""
    def sequence(seed: int, run: Run) -> None:
        rng = np.random.default_rng(seed)
        space, constraints = setting.space(), setting.constraints()
        opt = run.step("optimizer", built, space, seed, constraints, refuse=None if (
            setting.empty is None) else Refuse("feasible=", setting.empty))
        if opt is None:
            return
        signal = _feasible_signal(space)
        seen: set[tuple[Any, ...]] = set()
        for i in range(setting.steps):
            before = run.warned["SpaceExhaustedWarning"]
            taken = {tuple(sorted(o.params.items(), key=str)) for o in opt.history} | {
                tuple(sorted(p.items(), key=str)) for p in opt.pending}
            asked = run.step(f"ask #{i}", opt.ask, int(rng.integers(1, 4)))
            if asked is None:
                return
            check_feasible(run, constraints, asked, f"ask #{i}")
            exhausted = run.warned["SpaceExhaustedWarning"] > before
            for params in asked:
                if opt.space.validate(params) != params:
                    run.faults.append(f"ask #{i}: {params} is not canonical")
                key = tuple(sorted(params.items(), key=str))
                if key in taken and not exhausted:
                    run.faults.append(f"ask #{i}: {params} repeated without a warning")
                seen.add(key)
            if i == 2 and opt.space.fidelity is None:  # one added by hand (refused with a
                # Fidelity, whose schedule sets the budgets), admitted by every constraint
                extra = run.step("ask to add", opt.ask)
                if extra is not None:
                    run.step("cancel", opt.cancel, extra)
                    # an exhausted space's repeat: still pending once more, a replicate
                    run.step("add_pending", partial(opt.add_pending, extra,
                                                    repeat=extra in opt.pending))
            outside = _violating(opt, constraints, rng)
            if i == 3 and outside is not None:  # told data are data (README), pending too
                run.step("tell a point outside", opt.tell, outside, value(signal(outside, i), rng, i))
            if i == 4 and outside is not None and opt.space.fidelity is None:
                run.step("add_pending a point outside", opt.add_pending, outside)
            run.step(f"tell #{i}", partial(opt.tell, asked, [
                value(signal(p, i), rng, i) for p in asked]))
            best_checked(opt, run, f"tell #{i}")
        pending = [p for p in opt.pending if obeys(constraints, p) is None]
        if pending:
            run.step("tell the pending", partial(opt.tell, pending, [
                value(signal(p, 0), rng, 0) for p in pending]))
        if setting.size is not None and len(seen) > setting.size:
            run.faults.append(f"{len(seen)} distinct asks of a space of {setting.size} "
                              "admitted points")
        finish(opt, run)
    return sequence


register("input constraints", lambda name, family: _input_constrained(
    FEASIBLE[name], VALUE_FAMILIES[family]), {
        f"{name}, {family}": (name, family) for name, family in [
            (n, "1e300 scale" if k % 3 == 1 else "Cauchy tails" if k % 3 == 2
             else "subnormal 5e-324 steps") for k, n in enumerate(FEASIBLE)]})


RAISE = object()  # what `Switch` does instead of returning a wrong verdict


# feasible= arguments refused when the optimizer is built (a LinearConstraint made at the
# step, so that its own refusals count too): (space, constraints, refusal)
REFUSED_FEASIBLE: dict[str, tuple[Callable[[], dict[str, Any]], Callable[[], Any], Refuse]] = {
    "terms past a quarter of float max": (box, lambda: [_lc({"x0": 1e308, "x1": 1}, "<=", 1)],
                                          Refuse("LinearConstraint", "reach 1e+308")),
    "terms past it on a ±1e307 box": (
        lambda: {"x0": Real(-1e307, 1e307), "x1": Real(-1e307, 1e307)},
        lambda: [_lc({"x0": 3, "x1": 2}, "<=", 0)], Refuse("LinearConstraint", "reach 5e+307")),
    "a bound past it": (box, lambda: [_lc({"x0": 1}, "<=", 1e308)],
                        Refuse("LinearConstraint", "reach 1e+308")),
    "a log-scaled dimension": (lambda: {"x0": Real(1e-3, 1, log=True), "x1": Real(0, 1)},
                               lambda: [_lc({"x0": 1, "x1": 1}, "<=", 1)],
                               Refuse("'x0'", "log-scaled")),
    "a Categorical": (lambda: {"x0": Categorical([1, 2]), "x1": Real(0, 1)},
                      lambda: [_lc({"x0": 1, "x1": 1}, "<=", 1)], Refuse("'x0'", "not numeric")),
    "the Fidelity": (lambda: {"x0": Real(0, 1), "b": Fidelity(1, 9)},
                     lambda: [_lc({"x0": 1, "b": 1}, "<=", 3)], Refuse("'b'", "Fidelity")),
    "a conditional dimension": (
        lambda: {"c": Categorical(["a", "b"]), "x0": Real(0, 1, when={"c": "a"})},
        lambda: [_lc({"x0": 1}, "<=", 0.5)], Refuse("'x0'", "conditional")),
    "an unknown name": (box, lambda: [_lc({"x0": 1, "zz": 1}, "<=", 1)],
                        Refuse("'zz'", "unknown dimension")),
    "a nan coefficient": (box, lambda: [_lc({"x0": math.nan}, "<=", 1)],
                          Refuse("coefficients['x0']", "nan")),
    "a bool coefficient": (box, lambda: [_lc({"x0": True}, "<=", 1)],
                           Refuse("coefficients['x0']", "True")),
    "an inf bound": (box, lambda: [_lc({"x0": 1}, "<=", math.inf)], Refuse("bound", "inf")),
    "all coefficients 0": (box, lambda: [_lc({"x0": 0, "x1": -0.0}, ">=", 1)],
                           Refuse("coefficients", "never")),
    "sense <": (box, lambda: [_lc({"x0": 1}, "<", 1)], Refuse("sense", "'<'")),
    "an empty list": (box, list, Refuse("feasible=[]", "empty")),
    "a number among them": (box, lambda: [_ring, 3], Refuse("feasible", "3")),
}


def _refused_feasible(space: Callable[[], dict[str, Any]], constraints: Callable[[], Any],
                      refuse: Refuse) -> Scenario:
    def sequence(seed: int, run: Run) -> None:
        run.step("optimizer", lambda: optimizer(space(), seed, feasible=constraints()),
                 refuse=refuse)
    return sequence


register("input constraints refused", _refused_feasible, REFUSED_FEASIBLE)


def _minimized_feasible(seed: int, run: Run) -> None:
    """minimize(feasible=..., journal=...) in two calls (5 evaluations, then 9, the second
    resuming the journal): every evaluated point satisfies the constraints; an x0 point
    outside them is refused naming its index before anything runs; given as y0, accepted."""
    constraints: list[Any] = [_lc({"x0": 1, "x1": 1}, "<=", 0.8), _ring]
    outside = {"x0": 0.9, "x1": 0.9}
    with tempfile.TemporaryDirectory() as folder:
        def call(n: int, **kwargs: Any) -> Any:
            return minimize(lambda p: signal_of(p), box(), n_calls=n, n_initial=3, seed=seed,
                            progress=False, options=FAST, feasible=constraints,
                            journal=f"{folder}/run.jsonl", **kwargs)
        run.step("x0 outside", partial(call, 5, x0=[{"x0": 0.5, "x1": 0.2}, outside]),
                 refuse=Refuse("x0[1]", "violates"))
        first = run.step("minimize", partial(call, 5, x0=[outside], y0=[1.0]))
        second = run.step("minimize, resumed", call, 9)
        if first is None or second is None:
            return
        if second.history[:len(first.history)] != first.history or len(second.history) != 9:
            run.faults.append(f"the resumed minimize did not go on from {len(first.history)}")
        check_feasible(run, constraints, [o.params for o in second.history[1:]],
                       "minimize")


SCENARIOS["input constraints minimize: x0, y0, a journal resumed"] = _minimized_feasible


class Switch:
    """A feasible= callable a + b <= 1.5 that, switched on, raises `Boom` (wrong `RAISE`) or
    returns `wrong` instead of a bool; it keeps what it raised."""

    def __init__(self, wrong: Any) -> None:
        self.on, self.wrong, self.raised = False, wrong, list[Boom]()

    def __call__(self, params: Mapping[str, Any]) -> Any:
        if self.on:
            if self.wrong is not RAISE:
                return self.wrong
            self.raised.append(Boom(f"boom at {params['x0']!r}"))
            raise self.raised[-1]
        return params["x0"] + params["x1"] <= 1.5


def propagated(call: Callable[[], Any], switch: Switch) -> str:
    """call() must raise the Boom `switch` raised, that object itself, with a note naming
    feasible= and the params; "raised as itself" or a Fault."""
    try:
        call()
    except Boom as error:
        notes = getattr(error, "__notes__", [])
        if not switch.raised or error is not switch.raised[-1]:
            raise Fault(f"another Boom than the callable's: {error!r}") from None
        if not any("feasible=" in n and "params=" in n for n in notes):
            raise Fault(f"Boom without a note naming feasible= and the params: {notes}") from None
        return "raised as itself"
    raise Fault("the callable raised, the call did not")


def _hostile_callable(wrong: Any, when: str) -> Scenario:
    """A callable that raises `Boom` (wrong `RAISE`) or returns `wrong`, from the optimizer's
    construction or from the 4th ask on: Boom reaches the caller as itself with its note,
    a non-bool is TypeError naming what it returned; switched off, the run goes on with
    nothing left pending by the failed ask."""
    def sequence(seed: int, run: Run) -> None:
        switch = Switch(wrong)
        refuse = None if wrong is RAISE else Refuse("feasible callable", f"returned {shown(wrong)}")
        constraints = [switch, _lc({"x0": 1, "x1": -1}, "<=", 0.8)]
        if when == "at construction":
            switch.on = True
            if wrong is RAISE:
                run.step("optimizer", propagated, lambda: optimizer(
                    box(), seed, feasible=constraints), switch)
            else:
                run.step("optimizer", lambda: optimizer(box(), seed, feasible=constraints),
                         refuse=refuse)
            switch.on = False
        opt = run.step("optimizer", lambda: optimizer(box(), seed, feasible=constraints))
        if opt is None:
            return
        drive(opt, run, 3, lambda p, i: signal_of(p))
        switch.on = True
        pending = len(opt.pending)
        for batch in (1, 3):
            if wrong is RAISE:
                run.step(f"ask({batch})", propagated, partial(opt.ask, batch), switch)
            else:
                run.step(f"ask({batch})", opt.ask, batch, refuse=refuse)
        if len(opt.pending) != pending:
            run.faults.append(f"a failed ask left {len(opt.pending) - pending} points pending")
        switch.on = False
        drive(opt, run, 3, lambda p, i: signal_of(p), batch=2)
        check_feasible(run, constraints, [o.params for o in opt.history], "history")
        finish(opt, run)
    return sequence


register("input constraints callable", _hostile_callable, {
    f"{what} {when}": (wrong, when) for what, wrong in (
        ("raising", RAISE), ("returning 0.5", 0.5), ("returning numpy 1.0", np.float64(1.0)),
        ("returning None", None), ("returning 1", 1), ("returning an array",
                                                      np.array([True])))
    for when in ("at construction", "mid-run")})


def _feasible_stored(where: str, with_callable: bool) -> Scenario:
    """A journaled (or shared-study) run under input constraints: resumed (attached) with
    the same feasible= it holds the live run's history, pending points and best, and asks
    what the live run asks, inside the constraints; without feasible= (when a callable is
    recorded), or with another linear constraint, it is refused naming feasible=."""
    def sequence(seed: int, run: Run) -> None:
        rng = np.random.default_rng(seed)
        space = {"x0": Real(0, 1), "x1": Real(0, 1), "k": Integer(0, 6)}

        def same() -> list[Any]:
            linear = [_lc({"x0": 1, "x1": 1}, "<=", 1.1), _lc({"k": 1, "x0": -4}, ">=", -2)]
            return [*linear, _ring] if with_callable else linear
        other = [_lc({"x0": 1, "x1": 1}, "<=", 0.9), _lc({"k": 1, "x0": -4}, ">=", -2)]
        with tempfile.TemporaryDirectory() as folder:
            store: dict[str, Any] = ({"journal": str(Path(folder) / "run.jsonl")}
                                     if where == "journal" else
                                     {"storage": f"sqlite:///{folder}/study.db", "study": "s"})
            opt = run.step("optimizer", partial(built, space, seed, same(), **store))
            if opt is None:
                return
            signal = _unit_signal(space)
            for i in range(6):
                asked = run.step(f"ask #{i}", opt.ask, int(rng.integers(1, 3)))
                if asked is None:
                    return
                check_feasible(run, same(), asked, f"ask #{i}")
                run.step(f"tell #{i}", opt.tell, asked[:1], [signal(asked[0], i)])
            def again(feasible: list[Any] | None) -> Any:
                if where == "journal":
                    return Optimizer.resume(store["journal"], append=False, feasible=feasible)
                return optimizer(space, seed + 1, feasible=feasible, **store)
            named = Refuse("feasible=", "differs")
            run.step("with another linear constraint", again, other, refuse=named)
            if with_callable:
                run.step("without feasible=", again, None,
                         refuse=Refuse("feasible=", "has input constraints"))
                run.step("without the callable", again, same()[:2], refuse=named)
            twin = run.step("with the same feasible=", again, same())
            if twin is None:
                return
            same_state(opt, twin, "resumed" if where == "journal" else "attached", run)
            asks = [run.step("ask", opt.ask, 2), run.step("ask the other", twin.ask, 2)]
            for asked in asks:
                if asked is not None:
                    check_feasible(run, same(), asked, "ask after")
            if where == "journal" and asks[0] != asks[1]:
                run.faults.append(f"the resumed journal asks {asks[1]}, the run {asks[0]}")
            if where != "journal":
                same_state(opt, twin, "attached, after an ask of each", run)
                twin.close()
            finish(opt, run)
            opt.close()
    return sequence


register("input constraints stored", _feasible_stored, {
    f"{where}, {kind}": (where, kind == "linear and a callable")
    for where in ("journal", "sqlite study") for kind in ("linear", "linear and a callable")})


# ------------------------------------------------------------------ learning curves
CONTAINERS: dict[str, Callable[[list[Any]], Any]] = {
    "list": list,
    "tuple": tuple,
    "array": np.asarray,
    "Series": lambda entries: __import__("pandas").Series(entries),
}


def _curve_space(kind: str) -> dict[str, Any]:
    return {"x0": Real(0, 1), "x1": Real(0, 1), **(
        {"budget": Fidelity(1, 9)} if kind == "fidelity" else {})}


FAR_STEPS = [TINY, 1e-300, 0.5, 1.0, 3.0, 9.0, 1e300, 1.7e308, FMAX]


def _steps_of(params: Mapping[str, Any], rng: np.random.Generator,
              far: bool = False) -> list[float]:
    """A run's steps: 1 … budget with a Fidelity, else 1 … 4–12, or increasing floats; `far`:
    from 5e-324 to the float maximum (a random 4–9 of `FAR_STEPS`)."""
    if "budget" in params:
        return list(range(1, int(params["budget"]) + 1))
    if far:
        k = int(rng.integers(4, len(FAR_STEPS) + 1))
        return [FAR_STEPS[j] for j in sorted(rng.choice(len(FAR_STEPS), size=k, replace=False))]
    if rng.random() < 0.5:
        return list(range(1, int(rng.integers(4, 13))))
    return [float(s) for s in np.cumsum(rng.uniform(0.1, 2.0, size=int(rng.integers(3, 10))))]


def chunks(n: int, rng: np.random.Generator) -> list[tuple[int, int]]:
    """[0, n) cut into 1–4 consecutive pieces (start, stop)."""
    cuts = sorted({int(c) for c in rng.integers(1, n, size=int(rng.integers(0, 4)))}) if (
        n > 1) else []
    return list(itertools.pairwise([0, *cuts, n]))


# the pruners of `_curves` (its `kind`): all but "pruner" report steps from 5e-324 to the
# float maximum, past which the rungs of each go (η^646 ≈ 1.5e308 is the default's last)
PRUNERS: dict[str, SuccessiveHalving] = {
    "pruner": SuccessiveHalving(min_resource=2, reduction_factor=2),
    "far steps": SuccessiveHalving(),
    "far steps, eta 1e400": SuccessiveHalving(reduction_factor=10**400),
    "far steps, rate 1000": SuccessiveHalving(min_early_stopping_rate=1000),
    "far steps, rate 1e8": SuccessiveHalving(min_early_stopping_rate=10**8),
    "far steps, min_resource 5e-324": SuccessiveHalving(min_resource=TINY, reduction_factor=2),
}


def _curves(kind: str, container: str,
            value: Callable[[float, np.random.Generator, int], float]) -> Scenario:
    """Two optimizers of one seed: one gets each run's learning curve in pieces (`container`
    of steps and of values, a piece of one step sometimes as two numbers), the other every
    step as a report of its own; the piece's answer must be its last step's, and the two
    must record the same (`report_status`, history) and ask the same (Optimizer.report: a
    curve is recorded exactly as that many reports in turn would be). A run stops where an
    answer said True, or trains on (the advice ignored) one time in three."""
    def sequence(seed: int, run: Run) -> None:
        rng = np.random.default_rng(seed)
        pruner = {"pruner": PRUNERS[kind]} if kind in PRUNERS else {}
        pair = [run.step("optimizer", lambda: optimizer(_curve_space(kind), seed, **pruner))
                for _ in range(2)]
        curved, single = pair
        if curved is None or single is None:
            return
        wrap = CONTAINERS[container]
        for i in range(14):  # Fidelity(1, 9): 9 runs at 1, 3 at 3, the 13th at 9
            asked = [run.step(f"ask #{i}", o.ask) for o in pair]
            if asked[0] != asked[1]:
                run.faults.append(f"ask #{i}: the curve's optimizer asks {asked[0]}, the "
                                  f"steps' {asked[1]}")
            params = asked[0]
            if params is None or asked[1] is None:
                return
            steps = _steps_of(params, rng, far=kind != "pruner" and kind in PRUNERS)
            values = [value(signal_of(params) + 1.0 / (1 + k), rng, i) for k in range(len(steps))]
            stubborn, last = rng.random() < 1 / 3, None
            for start, stop in chunks(len(steps), rng):
                piece_steps, piece_values = steps[start:stop], values[start:stop]
                if len(piece_steps) == 1 and rng.random() < 0.5:
                    said = run.step(f"report #{i}", curved.report, params, piece_steps[0],
                                    piece_values[0])
                else:
                    said = run.step(f"report curve #{i}", curved.report, params,
                                    wrap(piece_steps), wrap(piece_values))
                answers = [run.step(f"report #{i}", single.report, params, s, v)
                           for s, v in zip(piece_steps, piece_values)]
                if said != answers[-1]:
                    run.faults.append(f"report curve #{i} {piece_steps}: answered {said}, "
                                      f"the last step's report {answers[-1]}")
                status = [run.step("report_status", o.report_status, params) for o in pair]
                if status[0] != status[1]:
                    run.faults.append(f"report_status #{i}: {status[0]} vs {status[1]}")
                last = stop - 1
                if said and not stubborn:
                    break
            assert last is not None
            for o in pair:
                run.step(f"tell #{i}", o.tell, params, values[last])
            best_checked(curved, run, f"tell #{i}")
        if [(o.params, o.status, o.value, o.step) for o in curved.history] != [
                (o.params, o.status, o.value, o.step) for o in single.history]:
            run.faults.append("the curves' history differs from the steps'")
        finish(curved, run)
    return sequence


register("reports", _curves, {
    f"{kind}, {container}, {family}": (kind, container, VALUE_FAMILIES[family])
    for kind, container, family in (
        ("no fidelity", "list", "Cauchy tails"), ("no fidelity", "array", "1e300 scale"),
        ("no fidelity", "tuple", "subnormal 5e-324 steps"),
        ("no fidelity", "Series", "±1e300 mixed"),
        ("fidelity", "list", "±1e300 mixed"), ("fidelity", "array", "subnormal 5e-324 steps"),
        ("fidelity", "tuple", "all equal"), ("fidelity", "Series", "1e-300 scale"),
        ("pruner", "list", "1e300 scale"), ("pruner", "array", "last bit apart"),
        ("pruner", "tuple", "step, 2 values"), ("far steps", "list", "±1e300 mixed"),
        ("far steps, eta 1e400", "array", "Cauchy tails"),
        ("far steps, rate 1000", "tuple", "1e300 scale"),
        ("far steps, rate 1e8", "list", "subnormal 5e-324 steps"),
        ("far steps, min_resource 5e-324", "array", "float max at both ends"))})


# curves refused: (steps, values) given after steps 1 and 2 were reported, and the refusal
REFUSED_CURVES: dict[str, tuple[Any, Any, Refuse]] = {
    "nan in a list": ([3, 4, 5], [0.5, math.nan, 0.4], Refuse("value=nan", "step=4")),
    "inf in an array": (np.array([3, 4]), np.array([math.inf, 0.5]), Refuse("value=", "inf")),
    "-inf at the end of a tuple": ((3, 4), (0.5, -math.inf), Refuse("value=-inf", "step=4")),
    "a float32 inf": ([3, 4], np.array([0.5, np.inf], dtype=np.float32), Refuse("value=", "inf")),
    "unequal lengths": ([3, 4, 5], [0.5, 0.4], Refuse("3 step(s)", "2 value(s)")),
    "empty lists": ([], [], Refuse("0 step(s)", "0 value(s)")),
    "steps not increasing": ([3, 5, 4], [0.5, 0.4, 0.3], Refuse("step[2]=4", "step[1]=5")),
    "a repeated step": ([3, 3], [0.5, 0.4], Refuse("step[1]=3", "step[0]=3")),
    "a step already reported": ([2, 3], [0.5, 0.4], Refuse("step", "2")),
    "a negative step": ([-1.0, 3], [0.5, 0.4], Refuse("step[0]", "-1.0")),
    "a bool step": ([3, True], [0.5, 0.4], Refuse("step[1]", "True")),
    "a bool value": ([3, 4], [0.5, np.bool_(True)], Refuse("value=", "True")),
    "a str value": ([3, 4], [0.5, "0.4"], Refuse("value='0.4'", "step=4")),
    "a list against a number": ([3, 4], 0.5, Refuse("step=[3, 4]", "value=0.5")),
    "a 2-d array": (np.array([[3, 4]]), np.array([[0.5, 0.4]]), Refuse("step", "3")),
}


def _refused_curve(steps: Any, values: Any, refuse: Refuse, fidelity: bool = False) -> Scenario:
    """Four runs told, the fifth reports steps 1–2 (0.5 with a `Fidelity(1, 9)`, whose
    first runs have budget 1) at ±1e300 and 5e-324; the bad curve is refused naming its
    entry, and `report_status` is as before; the next good piece (steps 3–5, or the
    budget) is accepted and the run told."""
    def sequence(seed: int, run: Run) -> None:
        opt = optimizer({"x0": Real(0, 1), "x1": Real(0, 1), **(
            {"budget": Fidelity(1, 9)} if fidelity else {})}, seed)
        drive(opt, run, 4, lambda p, i: signal_of(p))
        params = run.step("ask", opt.ask)
        if params is None:
            return
        first = [0.5] if fidelity else [1, 2]
        run.step("report the first", opt.report, params, first, [1e300, TINY][:len(first)])
        before = run.step("report_status", opt.report_status, params)
        run.step("the bad curve", opt.report, params, steps, values, refuse=refuse)
        after = run.step("report_status", opt.report_status, params)
        if before != after:
            run.faults.append(f"the refused curve recorded something: {before} → {after}")
        good = [params["budget"]] if fidelity else [3, 4, 5]
        run.step("report the next", opt.report, params, good, [-1e300, 0.5, -TINY][:len(good)])
        run.step("tell", opt.tell, params, -TINY)
        best_checked(opt, run, "tell")
        finish(opt, run)
    return sequence


register("reports refused", _refused_curve, REFUSED_CURVES)
SCENARIOS["reports refused: a step beyond the budget"] = _refused_curve(
    [1, 40], [0.5, 0.4], Refuse("beyond the budget", "40"), True)
SCENARIOS["reports refused: an array step beyond the budget"] = _refused_curve(
    np.array([1.0, 9.5]), np.array([0.5, 0.4]), Refuse("beyond the budget", "9.5"), True)


def _refused_run_curve(steps: Any, values: Any, refuse: Refuse) -> Scenario:
    """The bad curve given to `run.report` inside minimize(pass_run=True) after steps 1–2:
    refused as `Optimizer.report` refuses it (the objective keeps the error, which the
    step raises again to be judged), and steps 3–5 are accepted after it."""
    def sequence(seed: int, run: Run) -> None:
        caught: list[Exception] = []

        def objective(params: dict[str, Any], handle: Any) -> float:
            handle.report([1, 2], [1e300, TINY])
            try:
                handle.report(steps, values)
            except Exception as error:  # noqa: BLE001 - judged by the step below
                caught.append(error)
            handle.report(np.array([3, 4, 5]), [-1e300, 0.5, -TINY])
            return signal_of(params)
        result = run.step("minimize", lambda: minimize(
            objective, box(), n_calls=1, seed=seed, progress=False, options=FAST,
            pass_run=True))
        if result is not None and [o.status for o in result.history] != ["ok"]:
            run.faults.append(f"minimize recorded {result.history}")

        def again() -> None:
            if caught:
                raise caught[0]
        run.step("run.report", again, refuse=refuse)
    return sequence


register("reports refused by run.report", _refused_run_curve, REFUSED_CURVES)


class Killed(BaseException):
    """A process killed in the middle of a run (the journal keeps the run pending)."""


def _run_curve(kind: str, kill: int | None, calls: list[tuple[Any, ...]],
               each: bool = False) -> Any:
    """An objective of minimize(pass_run=True) that reports its learning curve in pieces of
    2 steps (of 3 for every third run id) at once (a list with `kind` "list", else arrays),
    or `each` step of a piece in turn, and stops after a piece whose last answer said
    True, returning its value there; with `kill`, the kill-th evaluation reports its first
    piece and is killed. `calls`: (id, continues, budget, answers) of each evaluation."""
    def objective(params: dict[str, Any], run: Any) -> float:
        budget = int(params.get("budget", 9))
        steps = np.arange(1, budget + 1)
        values = [signal_of(params) + 1.0 / s for s in range(1, budget + 1)]
        size = 3 if run.id % 3 == 1 else 2
        pieces = [slice(k, k + size) for k in range(0, budget, size)]
        if kill is not None and len(calls) == kill:
            calls.append((run.id, run.continues, run.budget, "killed"))
            run.report(steps[pieces[0]], values[pieces[0]])
            raise Killed
        answers, last = [], budget - 1
        for piece in pieces:
            if each:
                said = [run.report(int(s), v) for s, v in zip(steps[piece], values[piece])][-1]
            else:
                said = run.report(list(steps[piece]) if kind == "list" else steps[piece],
                                  tuple(values[piece]))
            answers.append(said)
            if said:
                last = min(piece.stop, budget) - 1
                break
        calls.append((run.id, run.continues, run.budget, answers))
        return values[last]
    return objective


def _minimized_curves(kind: str, resumed: bool) -> Scenario:
    """`minimize(pass_run=True)` with an objective reporting curves (a `Fidelity(1, 9)`, or
    a pruner without one), journaled: the same evaluations, answers and history as an
    objective reporting every step in turn; `resumed`: the run killed in its 5th evaluation
    and the same call made again, which must end with the uninterrupted run's history (the
    killed run evaluated again, its recorded steps left out of its new curve)."""
    def sequence(seed: int, run: Run) -> None:
        space = _curve_space("fidelity" if kind != "pruner" else "none")
        pruner = SuccessiveHalving() if kind == "pruner" else None
        with tempfile.TemporaryDirectory() as folder:
            def call(journal: str, objective: Any) -> Any:
                return minimize(objective, space, n_calls=14, n_initial=3, seed=seed,
                                progress=False, options=FAST, pass_run=True, journal=journal,
                                pruner=pruner)

            def killed(journal: str, objective: Any) -> str:
                try:
                    call(journal, objective)
                except Killed:
                    return "killed"
                raise Fault("the objective was to be killed, the run ended")

            def history(result: Any) -> list[tuple[Any, ...]]:
                return [(o.params, o.status, o.value, o.step) for o in result.history]
            whole: list[tuple[Any, ...]] = []
            result = run.step("minimize", call, f"{folder}/whole.jsonl",
                              _run_curve(kind, None, whole))
            if result is None:
                return
            least = [o.value for o in result.history if judged(o, result.space)]
            if least and result.best_value != min(least):
                run.faults.append(f"minimize: best_value {result.best_value} != {min(least)}")
            if not resumed:
                steps: list[tuple[Any, ...]] = []
                each = run.step("minimize, each step", call, f"{folder}/each.jsonl",
                                _run_curve(kind, None, steps, each=True))
                if each is not None and (steps != whole or history(each) != history(result)):
                    run.faults.append(f"reported in turn: {steps}, at once: {whole}")
                return
            again: list[tuple[Any, ...]] = []
            run.step("minimize, killed", killed, f"{folder}/cut.jsonl",
                     _run_curve(kind, 4, again))
            second = run.step("minimize, resumed", call, f"{folder}/cut.jsonl",
                              _run_curve(kind, None, again))
            if second is None:
                return
            if again[:4] + again[5:] != whole:
                run.faults.append(f"the resumed run's evaluations {again} vs {whole}")
            if history(second) != history(result):
                run.faults.append("the resumed run's history differs from the uninterrupted")
    return sequence


register("reports minimize", _minimized_curves, {
    f"{kind}{', killed and resumed' if resumed else ''}": (kind, resumed)
    for kind in ("fidelity", "list", "pruner") for resumed in (False, True)})


# ------------------------------------------------------------------ the command line
# what a command prints (Python source run as `python -c SOURCE x`), and what `bayesopt run`
# must record of it (README, Command line): ("ok", value, None), or ("failed", None, text
# its error holds where bayesopt.command's messages fix it, else None)
Recorded = tuple[str, float | None, str | None]
NO_OBJECTIVE: Recorded = ("failed", None, "no objective in the output")
FAILED: Recorded = ("failed", None, None)
CLI_OUTPUTS: dict[str, tuple[str, Recorded]] = {
    "nothing": ("pass", NO_OBJECTIVE),
    "nan": ("print('nan')", FAILED),
    "objective: inf": ("print('objective: inf')", FAILED),
    "-inf alone": ("print('-inf')", FAILED),
    "1e400 (overflows to inf)": ("print('objective: 1e400')", FAILED),
    "text": ("print('hello')", NO_OBJECTIVE),
    "a number and text on one line": (
        "print('objective: 0.5 extra')", ("failed", None, "holds '0.5 extra', not a number")),
    "hexadecimal": ("print('objective: 0x10')", ("failed", None, "holds '0x10', not a number")),
    "float max": ("print('objective: 1.7976931348623157e308')", ("ok", FMAX, None)),
    "-float max": ("print('-1.7976931348623157e308')", ("ok", -FMAX, None)),
    "subnormal": ("print('objective: 5e-324')", ("ok", TINY, None)),
    "1e-400 (underflows to 0)": ("print('objective: 1e-400')", ("ok", 0.0, None)),
    "-0.0": ("print('-0.0')", ("ok", -0.0, None)),
    "CRLF line end": ("import sys; sys.stdout.write('0.25\\r\\n')", ("ok", 0.25, None)),
    "no line end": ("import sys; sys.stdout.write('0.25')", ("ok", 0.25, None)),
    "colour codes": ("print('\\x1b[32mobjective: 0.25\\x1b[0m')", ("ok", 0.25, None)),
    "the number, then a nonzero exit": ("import sys; print('objective: 0.5'); sys.exit(3)",
                                        ("failed", None, "exited with status 3")),
    "killed by SIGKILL after the number": (
        ("import os, signal; print('objective: 0.5', flush=True); "
         "os.kill(os.getpid(), signal.SIGKILL)"), ("failed", None, "killed by signal SIGKILL")),
    "invalid UTF-8 around the number": (
        "import sys; sys.stdout.buffer.write(b'\\xff\\xfe\\n0.75\\n\\xc3\\n')",
        ("ok", 0.75, None)),
    "a report of nan": ("print('report: 1 nan'); print('objective: 0.5')",
                        ("failed", None, "report line 'report: 1 nan'")),
    "a report of 1e300 then the value": (
        "print('report: 1 1e300'); print('objective: 1e300')", ("ok", 1e300, None)),
    "a report line of one number": ("print('report: 1'); print('objective: 0.5')",
                                    ("failed", None, "is not 'report: <step> <value>'")),
    "4 MB of text, then the number": (
        "import sys; sys.stdout.write(('x' * 999 + '\\n') * 4000); print('objective: 0.125')",
        ("ok", 0.125, None)),
}


def _cli(source: str, expected: Recorded) -> Scenario:
    """`bayesopt run` of a command printing hostile output, 3 calls: it exits 0 (1 when
    every evaluation failed), the journal records each evaluation as the README says (a
    failure with its reason, and no traceback of bayesopt's tether), and `bayesopt show`
    (--failed too) reads it."""
    def sequence(seed: int, run: Run) -> None:
        import contextlib
        import io
        import json
        import sys

        from bayesopt.cli import main as cli
        with tempfile.TemporaryDirectory() as folder:
            space, journal = Path(folder) / "space.json", Path(folder) / "run.jsonl"
            space.write_text(json.dumps({"x": {"type": "real", "low": 0.0, "high": 1.0}}))
            argv = ["run", "--space", str(space), "--n-calls", "3", "--journal", str(journal),
                    "--seed", str(seed), "--", sys.executable, "-c", source, "{x}"]

            def call(args: list[str]) -> tuple[int, str]:
                out = io.StringIO()
                with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                    code = cli(args)
                return code, out.getvalue()
            done = run.step("bayesopt run", call, argv)
            if done is None:
                return
            # `bayesopt run --help`: exit status 1 if every evaluation failed
            if done[0] != (0 if expected[0] == "ok" else 1):
                run.faults.append(f"bayesopt run exited {done[0]}: {done[1][-300:]}")
            opt = run.step("resume", partial(Optimizer.resume, journal, append=False))
            if opt is None:
                return
            seen = [(o.status, o.value) for o in opt.history]
            status, value, reason = expected
            if len(seen) != 3 or any(s != status or (value is not None and (
                    v != value or math.copysign(1, v) != math.copysign(1, value)))
                    for s, v in seen):
                run.faults.append(f"recorded {seen}, expected 3 × {expected}")
            for error in {o.error for o in opt.history if o.error is not None}:
                # the reason, and never a traceback of bayesopt's own code run with the command
                if (reason is not None and reason not in error) or "tether.py" in error:
                    run.faults.append(f"the failure says {error!r}, not {reason!r}")
            for args in (["show", str(journal)], ["show", "--failed", str(journal)]):
                shown = run.step(" ".join(args[:2]), call, args)
                if shown is not None and shown[0] != 0:
                    run.faults.append(f"bayesopt {' '.join(args[:2])} exited {shown[0]}: "
                                      f"{shown[1][-300:]}")
    return sequence


register("command line", _cli, CLI_OUTPUTS)


# ------------------------------------------------------------------ main
def seeds_of(text: str) -> list[int]:
    if "-" in text:
        low, high = text.split("-")
        return list(range(int(low), int(high) + 1))
    return [int(s) for s in text.split(",")]


def fuzz(seeds: list[int], timeout: int, only: str | None,
         scenarios: Mapping[str, Scenario] = SCENARIOS) -> Iterator[tuple[str, int, Run]]:
    def on_alarm(signum: int, frame: Any) -> None:
        raise Timeout
    previous = signal.signal(signal.SIGALRM, on_alarm)
    try:
        for name, sequence in scenarios.items():
            if only is not None and only not in name:
                continue
            for seed in seeds:
                run = Run(timeout)
                try:
                    sequence(seed, run)
                except Fault as fault:
                    run.faults.append(str(fault))
                except Exception as error:  # noqa: BLE001 - a fault of the scenario's own code
                    run.faults.append(f"scenario: {type(error).__name__}: {error}")
                yield name, seed, run
    finally:
        signal.signal(signal.SIGALRM, previous)


def main(argv: list[str] | None = None, scenarios: Mapping[str, Scenario] = SCENARIOS,
         doc: str | None = __doc__) -> None:
    """Run `scenarios` (a sibling module, `bench.concurrency_fuzz`, passes its own and its
    docstring) and print the counts and faults."""
    parser = argparse.ArgumentParser(description=(doc or "").split("\n", 1)[0])
    parser.add_argument("--seeds", default="0-2")
    parser.add_argument("--timeout", type=int, default=120)
    parser.add_argument("--only", default=None, help="scenarios whose name contains this")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    counts: Counter[str] = Counter()
    warned: Counter[str] = Counter()
    faults: list[str] = []
    steps = 0
    for name, seed, run in fuzz(seeds_of(args.seeds), args.timeout, args.only, scenarios):
        steps += run.steps
        warned.update(run.warned)
        outcome = "fault" if run.faults else "refused" if run.refusals else "ok"
        counts[outcome] += 1
        faults += [f"- {name} (seed {seed}): {f}" for f in run.faults]
        if args.verbose:
            print(f"{outcome:8} {name} (seed {seed}) {run.faults[:1]}", flush=True)
    total = sum(counts.values())
    print(f"| sequences | steps | ok | refused as required | faults |\n|---|---|---|---|---|\n"
          f"| {total} | {steps} | {counts['ok']} | {counts['refused']} | {counts['fault']} |")
    print("\nDocumented library warnings seen: "
          + (", ".join(f"{k} ×{v}" for k, v in sorted(warned.items())) or "none"))
    print("\nFaults:" if faults else "\nFaults: none")
    for line in faults:
        print(line)


if __name__ == "__main__":
    main()

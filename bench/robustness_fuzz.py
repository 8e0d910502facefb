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

Each sequence ends as ok (no refusal expected), refused (every illegal step refused as
required) or fault. Prints a Markdown table of the counts and lists every fault with its
scenario, seed, step and message; bench/results/robustness_fuzz.md holds the run quoted.
"""

from __future__ import annotations

import argparse
import math
import signal
import tempfile
import traceback
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
    Integer,
    Optimizer,
    Real,
    SpaceExhaustedWarning,
    minimize,
)
from bayesopt.failures import EvaluationFailedWarning
from bayesopt.fitting import FitOptions
from bayesopt.model import ModelFitWarning, ModelOptions
from bayesopt.optimizer import ResumeWarning, UnmatchedTellWarning
from bayesopt.options import OptimizerOptions
from bayesopt.result import judged
from bayesopt.surrogate import Prediction

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
    ResumeWarning)
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


@dataclass
class Run:
    """One sequence's record: steps done, refusals seen, documented warnings, faults."""

    timeout: int
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
                result = call(*args)
            self.warned.update(type(w.message).__name__ for w in seen)
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
        refuse = None if feasible or name != "recommend" else NO_RECOMMENDATION
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

    def draw() -> None:
        try:
            if result.best_params is not None and opt.space.fidelity is None and len(
                    [o for o in result.history if o.ok]) >= opt.n_initial:
                plots.objective(result, n_points=6, n_samples=16)
            plots.evaluations(result)
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
        try:
            check_best(opt)
        except Fault as fault:
            run.faults.append(f"best after tell #{i}: {fault}")


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


def register(prefix: str, make: Callable[..., Scenario], families: Mapping[str, Any]) -> None:
    """SCENARIOS["prefix: name"] = make(*arguments) for each family (a tuple of arguments,
    or one)."""
    for name, arguments in families.items():
        SCENARIOS[f"{prefix}: {name}"] = make(
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
    "Integer(-2**53, 2**53)": lambda: {"x0": Integer(-2**53, 2**53)},
    "Integer(1, 2**53, log)": lambda: {"x0": Integer(1, 2**53, log=True), "x1": Real(0, 1)},
    "Categorical of one": lambda: {"x0": Categorical(["only"]), "x1": Real(0, 1)},
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
            try:
                check_best(opt)
            except Fault as fault:
                run.faults.append(f"best after tell #{i}: {fault}")
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
    points = [{"x0": 0.1 * k, "x1": 1.0 - 0.1 * k} for k in range(1, len(values) + 1)]
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


# ------------------------------------------------------------------ main
def seeds_of(text: str) -> list[int]:
    if "-" in text:
        low, high = text.split("-")
        return list(range(int(low), int(high) + 1))
    return [int(s) for s in text.split(",")]


def fuzz(seeds: list[int], timeout: int, only: str | None) -> Iterator[tuple[str, int, Run]]:
    def on_alarm(signum: int, frame: Any) -> None:
        raise Timeout
    previous = signal.signal(signal.SIGALRM, on_alarm)
    try:
        for name, sequence in SCENARIOS.items():
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seeds", default="0-2")
    parser.add_argument("--timeout", type=int, default=120)
    parser.add_argument("--only", default=None, help="scenarios whose name contains this")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    counts: Counter[str] = Counter()
    warned: Counter[str] = Counter()
    faults: list[str] = []
    steps = 0
    for name, seed, run in fuzz(seeds_of(args.seeds), args.timeout, args.only):
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

"""The CPU time of an ask under a `LinearConstraint`, against the same ask without it.

    python -m bench.linear_ask_cost [--sizes 20,50,100] [--asks 10] [--problems P,Q]
                                    [--out FILE]
    python -m bench.linear_ask_cost --record FILE [--steps 30]

For each problem of `PROBLEMS` (Hartmann-6 under Σx ≤ 3, which keeps its optimum,
Σx* ≈ 2.0, inside; Hartmann-6 under Σx ≤ 1.5 and Hartmann-3 under Σx ≤ 1, which cut
it off, so the optimum lies on the constraint) and each n of `--sizes`: n random
points of the constrained region (rejection from `default_rng(0)`) are told to two
optimizers (seed 0), one given the constraint (`feasible=`), one not. Each is then
deep-copied `--asks` times and each copy asks once, timed on the CPU clock with one
thread for BLAS and Numba (`bench.overhead`'s thread limit): the copies hold the same
state, so every ask does the same work, and the median is reported with the ratio.

The split (mean over the same copies, asked again with the functions of `PHASES`
wrapped, own time of each: `bench.step_split`'s clock, ~1 µs per wrapped call):

- candidates: `candidate_pool` (the Sobol draw, the perturbations, the constraint's mask);
- screening: `AcquisitionObjective.screened_values`, and `values` outside the polish (the
  optima re-scored, the candidates scored in full where a choice needs it);
- polish: `_local_search` in all (batched L-BFGS-B, or SLSQP under the constraint), with
  its evaluations of the objective (count and time) and the time of the solver's
  compiled routine (scipy's `slsqp`, or L-BFGS-B's `setulb`); the remainder is the
  Python between them ("other": scipy's front end and driver loop, the constraint's
  callbacks, the checks after the search);
- rest: the ask's other work (bookkeeping, encoding, the duplicate checks).

`--record FILE` instead records the asks of `RECORDED` runs (`bench.ask_identity`'s
JSON; compare two recordings with `python -m bench.ask_identity compare`): the
constrained problems asked `--steps` times from the start (every tenth step a batch of
3), and a mixed space (a categorical and an integer beside three reals) under two
linear constraints, so that a change meant to leave the constrained asks alone is
checked bit for bit.
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import sys
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import scipy.optimize._lbfgsb_py as lbfgsb_module
import scipy.optimize._slsqp_py as slsqp_module

import acquisition.optimizer
from bayesopt import Categorical, Integer, LinearConstraint, Optimizer, OptimizerOptions, Real
from bayesopt.argtypes import positive_int
from bayesopt.test_functions import Hartmann3, Hartmann6, TestFunction
from bench.overhead import _limit_threads
from bench.step_split import _Clock, _patched
from bench.step_timing import ask_seconds, sizes_argument

SEED = 0
BATCH_EVERY, BATCH_SIZE = 10, 3


@dataclass(frozen=True)
class Problem:
    """A test function on its cube under Σ_j x_j ≤ bound."""

    function: Callable[[], TestFunction]
    bound: float

    def constraint(self, names: list[str]) -> LinearConstraint:
        return LinearConstraint({name: 1.0 for name in names}, "<=", self.bound)


PROBLEMS: dict[str, Problem] = {
    "hartmann6 Σx≤3": Problem(Hartmann6, 3.0),  # the optimum (Σx* ≈ 2.0) inside
    "hartmann6 Σx≤1.5": Problem(Hartmann6, 1.5),  # the optimum cut off
    "hartmann3 Σx≤1": Problem(Hartmann3, 1.0),  # the optimum (Σx* ≈ 1.5) cut off
}


def feasible_points(problem: Problem, n: int, seed: int = SEED) -> np.ndarray:
    """n uniform points of the problem's cube with Σx ≤ bound, by rejection: (n, d)."""
    f = problem.function()
    lower, upper = (np.array(side, dtype=float) for side in zip(*f.bounds))
    rng, kept = np.random.default_rng(seed), np.empty((0, f.dim))
    while kept.shape[0] < n:
        X = lower + (upper - lower) * rng.random((4096, f.dim))
        kept = np.concatenate([kept, X[X.sum(axis=1) <= problem.bound]])
    return kept[:n]


def told(problem: Problem, n: int, constrained: bool,
         options: OptimizerOptions | None = None) -> Optimizer:
    """An optimizer (seed 0; `options`, None: the defaults) told f at
    `feasible_points(problem, n)`, with the constraint (`constrained`) or without."""
    f = problem.function()
    space = f.search_space()
    names = list(space)
    opt = Optimizer(space, seed=SEED, options=options,
                    feasible=problem.constraint(names) if constrained else None)
    X = feasible_points(problem, n)
    opt.tell([dict(zip(names, map(float, x))) for x in X], [float(f(x)) for x in X])
    return opt


# (owner, attribute, label): functions timed whole, each one's own time under its label
PHASES: tuple[tuple[Any, str, str], ...] = (
    (acquisition.optimizer, "candidate_pool", "candidates"),
    (acquisition.optimizer.AcquisitionObjective, "screened_values", "screening"),
    (acquisition.optimizer.AcquisitionObjective, "values_and_gradients", "polish: objective"),
    (slsqp_module, "slsqp", "polish: solver routine"),
    (lbfgsb_module._lbfgsb, "setulb", "polish: solver routine"),
)
LABELS = ("candidates", "screening", "polish: objective", "polish: solver routine",
          "polish: other")


class _Split:
    """Own CPU seconds by label (`bench.step_split`'s clock) of `PHASES`, of `_local_search`
    ("polish: other") and of `AcquisitionObjective.values` (the polish's inside the local
    search, else "screening"), with the evaluations of the objective counted."""

    def __init__(self) -> None:
        self.clock = _Clock()
        self.evaluations = 0
        self._depth = 0  # local searches in progress

    def patches(self) -> list[tuple[Any, str, Callable[..., Any]]]:
        clock = self.clock
        patches = [(owner, name, clock.wrap(getattr(owner, name), label))
                   for owner, name, label in PHASES]
        objective = acquisition.optimizer.AcquisitionObjective
        evaluate = patches[2][2]
        search = clock.wrap(acquisition.optimizer._local_search, "polish: other")
        values = objective.values
        inside, outside = clock.wrap(values, "polish: other"), clock.wrap(values, "screening")

        def counted(*args: Any) -> Any:  # functions, so that a method's instance is bound
            self.evaluations += 1
            return evaluate(*args)

        def local_search(*args: Any) -> Any:
            self._depth += 1
            try:
                return search(*args)
            finally:
                self._depth -= 1

        def scored(*args: Any) -> Any:
            return (inside if self._depth else outside)(*args)

        patches[2] = (objective, "values_and_gradients", counted)
        return [*patches, (acquisition.optimizer, "_local_search", local_search),
                (objective, "values", scored)]


def split(opt: Optimizer, asks: int) -> tuple[dict[str, float], float]:
    """(own CPU seconds per ask by label, "rest" included; evaluations of the polish's
    objective per ask), over `asks` deep copies of `opt` asked with `_Split`'s timers."""
    timers = _Split()
    with ExitStack() as stack:
        for owner, name, replacement in timers.patches():
            stack.enter_context(_patched(owner, name, replacement))
        total = sum(ask_seconds(opt, asks))
    own = {label: seconds / asks for label, seconds in timers.clock.own.items()}
    own["rest"] = total / asks - sum(own.values())
    return own, timers.evaluations / asks


@dataclass
class Row:
    problem: str
    n: int
    plain: float  # median seconds per ask without the constraint
    linear: float  # and with it
    splits: dict[str, tuple[dict[str, float], float]]  # "plain"/"linear" → split()


def measure(name: str, n: int, asks: int) -> Row:
    problem = PROBLEMS[name]
    medians, splits = {}, {}
    for variant, constrained in (("plain", False), ("linear", True)):
        opt = told(problem, n, constrained)
        copy.deepcopy(opt).ask()  # compile whatever is compiled on first use
        medians[variant] = statistics.median(ask_seconds(opt, asks))
        splits[variant] = split(opt, asks)
    return Row(name, n, medians["plain"], medians["linear"], splits)


def _ms(seconds: float) -> str:
    return f"{1e3 * seconds:.2f}"


def table(rows: list[Row]) -> str:
    lines = ["| problem | n | plain ask, ms | under the constraint, ms | ratio |",
             "|---|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r.problem} | {r.n} | {_ms(r.plain)} | {_ms(r.linear)} "
                     f"| {r.linear / r.plain:.2f}× |")
    lines += ["", ("| problem | n | ask | candidates | screening | polish (evaluations) "
                   "| objective | solver routine | other | rest |"),
              "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        for variant, (own, evaluations) in r.splits.items():
            polish = sum(own.get(label, 0.0) for label in LABELS if label.startswith("polish"))
            cells = [_ms(own.get("candidates", 0.0)), _ms(own.get("screening", 0.0)),
                     f"{_ms(polish)} ({evaluations:.0f})",
                     *(_ms(own.get(label, 0.0)) for label in LABELS[2:]),
                     _ms(own["rest"])]
            lines.append(f"| {r.problem} | {r.n} | {variant} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# ------------------------------------------------------------------ recorded runs
def _mixed_value(params: Mapping[str, Any]) -> float:
    """Hartmann-3 at (a, b, c / 10), shifted by the category."""
    shift = {"x": 0.0, "y": 0.3, "z": -0.2}[params["k"]]
    x = np.array([params["a"], params["b"], params["c"] / 10.0])
    return float(Hartmann3()(x)) + shift


MIXED_SPACE = {"a": Real(0.0, 1.0), "b": Real(0.0, 1.0), "c": Integer(0, 10),
               "k": Categorical(["x", "y", "z"]), "w": Real(1e-3, 1.0, log=True)}
MIXED_CONSTRAINTS = [LinearConstraint({"a": 1.0, "b": 1.0, "c": 0.1}, "<=", 1.2),
                     LinearConstraint({"a": 1.0, "b": -1.0}, ">=", -0.5)]


def _record_run(space: Mapping[str, Any], constraints: list[LinearConstraint],
                evaluate: Callable[[Mapping[str, Any]], float], seed: int,
                steps: int) -> list[list[dict[str, Any]]]:
    opt = Optimizer(dict(space), seed=seed, feasible=constraints)
    asks = []
    for step in range(steps):
        batch = opt.ask(BATCH_SIZE) if step % BATCH_EVERY == BATCH_EVERY - 1 else [opt.ask()]
        opt.tell(batch, [evaluate(p) for p in batch])
        asks.append(batch)
    return asks


def record(steps: int, seeds: tuple[int, ...] = (0, 1)) -> dict[str, Any]:
    """The asks of the recorded runs, as `bench.ask_identity.record` stores them."""
    runs: dict[str, Any] = {}
    for seed in seeds:
        for name, problem in PROBLEMS.items():
            f = problem.function()
            space = f.search_space()
            names = list(space)

            def evaluate(p: Mapping[str, Any], f: TestFunction = f,
                         names: list[str] = names) -> float:
                return float(f(np.array([p[k] for k in names])))

            runs[f"{name}/seed{seed}"] = _record_run(
                space, [problem.constraint(names)], evaluate, seed, steps)
            print(f"{name} seed {seed}: done", file=sys.stderr, flush=True)
        runs[f"mixed/seed{seed}"] = _record_run(MIXED_SPACE, MIXED_CONSTRAINTS, _mixed_value,
                                                seed, steps)
        print(f"mixed seed {seed}: done", file=sys.stderr, flush=True)
    return {"steps": steps, "runs": runs}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="20,50,100", type=sizes_argument)
    parser.add_argument("--asks", type=positive_int, default=10,
                        help="deep copies asked per optimizer (the median of their times)")
    parser.add_argument("--problems", default=",".join(PROBLEMS),
                        help=f"comma-separated, from: {', '.join(PROBLEMS)}")
    parser.add_argument("--out", help="also write the table here")
    parser.add_argument("--record", metavar="FILE",
                        help="record the asks of the recorded runs to FILE instead")
    parser.add_argument("--steps", type=positive_int, default=30,
                        help="asks per recorded run (--record)")
    args = parser.parse_args(argv)
    names = [p.strip() for p in args.problems.split(",") if p.strip()]
    unknown = [p for p in names if p not in PROBLEMS]
    if unknown or not names:
        parser.error(f"--problems {args.problems!r}: unknown {unknown}; known: "
                     f"{', '.join(PROBLEMS)}")
    with _limit_threads(1):
        if args.record:
            with open(args.record, "w", encoding="utf-8") as handle:
                json.dump(record(args.steps), handle)
            return 0
        rows = []
        for name in names:
            for n in args.sizes:
                rows.append(measure(name, n, args.asks))
                print(f"{name} n={n}: done", file=sys.stderr, flush=True)
    chosen = "" if names == list(PROBLEMS) else f" --problems '{','.join(names)}'"
    report = (f"{table(rows)}\n\nmedian of {args.asks} asks (deep copies of one state), "
              f"split: their mean; one thread, CPU time; {date.today()}; `python -m "
              f"bench.linear_ask_cost --sizes {','.join(map(str, args.sizes))} "
              f"--asks {args.asks}{chosen}`\n")
    print(report)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""What a tell's MAP refit costs at n = 50–200 (d = 6): the objective per evaluation,
scipy's L-BFGS-B around it, and the unprofiled ask and tell, on the CPU clock.

    python -m bench.refit_cost [--sizes 50,100] [--steps 20] [--threads 1] [--out FILE]

For each n, Hartmann-6 after n random observations and one warm-up step (as
`bench.profile_step`), then `--steps` ask+tell steps, twice on fresh
optimizers of the same seed (so both passes ask the same points):

- plain: each `ask` and each `tell` timed, nothing else in the way;
- instrumented: the L-BFGS-B entry point `bayesopt.fitting` calls
  (`acquisition.memo.lbfgsb`, or scipy's `minimize` in versions before
  small_n_step3.md) replaced by a wrapper that times each call and each
  evaluation of the objective it is given.
  Reported per tell: `minimize` calls and evaluations; per evaluation: the
  objective's time, and scipy's between two evaluations (L-BFGS-B's
  iteration and the Python of `ScalarFunction`; the wrapper's clock reads
  are in it); per `minimize` call: scipy's time before the first and after
  the last evaluation; and per tell the refit's time in the objective and
  in scipy.

The wrapper sits on scipy's entry point, not on the objective, so the same
script measures any version of `bayesopt.fitting` (run it with PYTHONPATH
on another checkout to compare). `--out` also writes the table to a file.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

import bayesopt.fitting
from bayesopt.argtypes import positive_int
from bench.overhead import DIM, _limit_threads
from bench.profile_step import _fill
from bench.step_timing import TimedCalls, sizes_argument, timed_step

# the module whose L-BFGS-B entry point (imported there by name) the wrapper replaces; Any,
# since that name is not part of bayesopt.fitting's interface
_FITTING: Any = bayesopt.fitting
# its name: acquisition.memo.lbfgsb, or scipy's minimize in older checkouts; either takes
# the objective first and x0 second
_ENTRY = "lbfgsb" if hasattr(_FITTING, "lbfgsb") else "minimize"


@dataclass
class Calls:
    """What the wrapper saw, one entry per `minimize` call: seconds inside the objective,
    between its evaluations (L-BFGS-B's iterations), and before the first and after the
    last (the call's set-up and wrap-up); the number of evaluations."""

    objective: list[float] = field(default_factory=list)
    between: list[float] = field(default_factory=list)
    ends: list[float] = field(default_factory=list)
    evaluations: list[int] = field(default_factory=list)


@dataclass
class Row:
    n: int
    steps: int
    ask: float  # seconds per step, plain pass
    tell: float
    calls: Calls


@contextmanager
def _timed_minimize(calls: Calls) -> Iterator[None]:
    scipy_minimize = getattr(_FITTING, _ENTRY)

    def minimize(fun: Callable[..., Any], x0: np.ndarray, *args: Any, **kwargs: Any) -> Any:
        entered = time.process_time()
        timed = TimedCalls(fun, entered)
        try:
            return scipy_minimize(timed, x0, *args, **kwargs)
        finally:
            left = time.process_time()
            first = entered if timed.first is None else timed.first
            calls.objective.append(timed.inside)
            calls.between.append(timed.between)
            calls.ends.append((first - entered) + (left - timed.last))
            calls.evaluations.append(timed.calls)

    setattr(_FITTING, _ENTRY, minimize)
    try:
        yield
    finally:
        setattr(_FITTING, _ENTRY, scipy_minimize)


def measure(n: int, steps: int) -> Row:
    opt, f = _fill(n)
    ask, tell = np.sum([timed_step(opt, f) for _ in range(steps)], axis=0)
    opt, f = _fill(n)
    calls = Calls()
    with _timed_minimize(calls):
        for _ in range(steps):
            params = opt.ask()
            opt.tell(params, float(f(np.array(list(params.values())))))
    return Row(n, steps, float(ask) / steps, float(tell) / steps, calls)


def table(rows: list[Row]) -> str:
    lines = [("| n | ask | tell | minimize calls / tell | evaluations / tell | objective / evaluation "
              "| scipy between evaluations / evaluation | scipy set-up and wrap-up / call "
              "| refit in objective / tell | refit in scipy / tell |"),
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        c = r.calls
        calls, evaluations = len(c.evaluations), sum(c.evaluations)
        objective, between, ends = sum(c.objective), sum(c.between), sum(c.ends)
        # no refit among the steps (n beyond refit_every_step_until): nothing per evaluation
        per_evaluation = (f"{_us(objective / evaluations)} | {_us(between / evaluations)} "
                          f"| {_us(ends / calls)}" if evaluations else "– | – | –")
        lines.append(
            f"| {r.n} | {_ms(r.ask)} | {_ms(r.tell)} | {calls / r.steps:.2f} "
            f"| {evaluations / r.steps:.1f} | {per_evaluation} "
            f"| {_ms(objective / r.steps)} | {_ms((between + ends) / r.steps)} |")
    return "\n".join(lines)


def _ms(seconds: float) -> str:
    return f"{1e3 * seconds:.2f} ms"


def _us(seconds: float) -> str:
    return f"{1e6 * seconds:.0f} µs"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="50,100", type=sizes_argument)
    parser.add_argument("--steps", type=positive_int, default=20)
    parser.add_argument("--threads", type=positive_int, default=1, help="BLAS and Numba threads")
    parser.add_argument("--out", default=None, help="also write the table here")
    args = parser.parse_args(argv)
    with _limit_threads(args.threads):
        rows = [measure(n, args.steps) for n in args.sizes]
    sizes = ",".join(map(str, args.sizes))
    report = (f"{table(rows)}\n\nd = {DIM} (Hartmann-6), {args.steps} steps per n, per step, CPU "
              f"time, threads {args.threads}; {date.today()}; `python -m bench.refit_cost "
              f"--sizes {sizes} --steps {args.steps} --threads {args.threads}`\n")
    print(report)
    if args.out is not None:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(report)


if __name__ == "__main__":
    main()

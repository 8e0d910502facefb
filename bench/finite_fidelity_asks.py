"""CPU per ask on finite spaces with a Fidelity and input constraints, each alone and together.

    python -m bench.finite_fidelity_asks [--out FILE]

Two finite spaces, each with and without `Fidelity`, and without and with the input
constraint (a `LinearConstraint`, or the same rule as a callable):

    small  Integer(0, 3) × Real(0, 0.3, step=0.1), k + x ≤ 1.3 (8 of 16 points),
           Fidelity(1, 9, eta=3): every configuration has a run after a few asks, so
           later asks look for a new one at the budget due (`_unrun_configuration`)
    grid   Real(0, 1, step=0.05)², a + b ≤ 1 (231 of 441 points), Fidelity(1, 27)

An Optimizer (seed 0) asks and is told at once until the space is exhausted or `ASKS[space]`
asks are made; each `ask` is timed with `time.process_time` (CPU, this process), the tell
not. Reported per combination: the asks made, the median and the largest CPU per ask, and
their sum, in milliseconds. Printed, and written to `--out` if given
(bench/results/finite_fidelity_asks.md is a curated before/after write-up: not overwritten
by default). Run it with OMP_NUM_THREADS=1 and say the load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import warnings
from pathlib import Path
from typing import Any

from bayesopt import Fidelity, Integer, LinearConstraint, Optimizer, Real
from bayesopt.optimizer import space_exhausted
from bench.model_options_cost import emit

ASKS = {"small": 24, "grid": 60}


def space_of(name: str, fidelity: bool) -> dict[str, Any]:
    if name == "small":
        space: dict[str, Any] = {"k": Integer(0, 3), "x": Real(0, 0.3, step=0.1)}
        return space | ({"budget": Fidelity(1, 9, eta=3)} if fidelity else {})
    space = {"a": Real(0, 1, step=0.05), "b": Real(0, 1, step=0.05)}
    return space | ({"budget": Fidelity(1, 27)} if fidelity else {})


def constraint_of(name: str, kind: str) -> Any:
    first, second, bound = ("k", "x", 1.3) if name == "small" else ("a", "b", 1.0)
    if kind == "none":
        return None
    if kind == "linear":
        return LinearConstraint({first: 1, second: 1}, "<=", bound)
    return lambda p: bool(p[first] + p[second] <= bound)


def objective(params: dict[str, Any]) -> float:
    x = [v for k, v in params.items() if k != "budget"]
    return float((x[0] - 0.3) ** 2 + (x[1] - 0.2) ** 2 + 1.0 / params.get("budget", 27))


def measure(name: str, fidelity: bool, kind: str) -> list[float]:
    opt = Optimizer(space_of(name, fidelity), seed=0, feasible=constraint_of(name, kind))
    times: list[float] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exhausted space's warning, at most once
        while len(times) < ASKS[name] and not space_exhausted(opt):
            start = time.process_time()
            params = opt.ask()
            times.append(1000.0 * (time.process_time() - start))
            opt.tell(params, objective(params))
    return times


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    rows = ["| space | Fidelity | feasible= | asks | median ms/ask | max ms/ask | sum, ms |",
            "|---|---|---|---|---|---|---|"]
    for name in ASKS:
        for fidelity in (False, True):
            for kind in ("none", "linear", "callable"):
                t = measure(name, fidelity, kind)
                rows.append(f"| {name} | {'yes' if fidelity else 'no'} | {kind} | {len(t)} | "
                            f"{statistics.median(t):.1f} | {max(t):.1f} | {sum(t):.0f} |")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    emit([f"`python -m bench.finite_fidelity_asks` (CPU ms per ask; load average {load})", "",
          *rows], None if args.out is None else Path(args.out))


if __name__ == "__main__":
    main()

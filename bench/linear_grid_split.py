"""Why an ask on a grid under a `LinearConstraint` costs about twice the same rule's as a callable.

    python -m bench.linear_grid_split [--asks 40]

`bench.finite_fidelity_asks`'s grid (Real(0, 1, step=0.05)², a + b ≤ 1, no Fidelity) with
the constraint given as a `LinearConstraint` and as a callable, and without it: an
Optimizer (seed 0) is asked and told 10 times, then `--asks` more asks are timed with
`time.process_time` (CPU, this process; the tells not). Over those asks, per ask:

    ask       the median ask, ms
    local     `acquisition.optimizer._local_search` (SLSQP under linear constraints,
              L-BFGS-B otherwise), ms
    mask      `InputConstraints.mask` (decoding the candidates and judging each), ms
    evals     batched acquisition value-and-gradient evaluations (`values_and_gradients`)
    rows      the rows (starts) of each evaluation

Run it with OMP_NUM_THREADS=1 and say the load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from contextlib import ExitStack
from typing import Any

import acquisition.optimizer
import bayesopt.feasibility
from bayesopt import Optimizer
from bayesopt.argtypes import positive_int
from bench.finite_fidelity_asks import constraint_of, objective, space_of
from bench.step_split import _Clock, _patched

TIMED = ((acquisition.optimizer, "_local_search", "local"),
         (bayesopt.feasibility.InputConstraints, "mask", "mask"))


def measure(kind: str, asks: int) -> dict[str, float]:
    opt = Optimizer(space_of("grid", False), seed=0, feasible=constraint_of("grid", kind))
    for _ in range(10):
        params = opt.ask()
        opt.tell(params, objective(params))
    clock, rows = _Clock(), [0, 0]  # evaluations, rows
    original = acquisition.optimizer.AcquisitionObjective.values_and_gradients

    def counted(self: Any, X: Any) -> Any:
        rows[0] += 1
        rows[1] += X.shape[0]
        return original(self, X)

    times = []
    with ExitStack() as stack:
        for owner, name, label in TIMED:
            stack.enter_context(_patched(owner, name, clock.wrap(getattr(owner, name), label)))
        stack.enter_context(_patched(acquisition.optimizer.AcquisitionObjective,
                                     "values_and_gradients", counted))
        for _ in range(asks):
            start = time.process_time()
            params = opt.ask()
            times.append(1000.0 * (time.process_time() - start))
            opt.tell(params, objective(params))
    return {"ask": statistics.median(times),
            **{label: 1000.0 * clock.own.get(label, 0.0) / asks for _, _, label in TIMED},
            "evals": rows[0] / asks, "rows": rows[1] / max(1, rows[0])}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--asks", type=positive_int, default=40)
    args = parser.parse_args(argv)
    header = ("| feasible= | ask, ms | local search, ms | mask, ms | evaluations per ask | "
              "rows per evaluation |")
    lines = [header, "|---|---|---|---|---|---|"]
    for kind in ("linear", "callable", "none"):
        r = measure(kind, args.asks)
        lines.append(f"| {kind} | {r['ask']:.1f} | {r['local']:.1f} | {r['mask']:.1f} | "
                     f"{r['evals']:.1f} | {r['rows']:.1f} |")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"`python -m bench.linear_grid_split --asks {args.asks}` (CPU; load average {load})"
          "\n\n" + "\n".join(lines))


if __name__ == "__main__":
    main()

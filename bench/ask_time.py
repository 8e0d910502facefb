"""CPU time of an ask and a tell at small n, and of the polish's objective per evaluation.

    python -m bench.ask_time [--sizes 50,100,200] [--steps 15] [--warm-up 2] [--threads 1]

For d = 6 (Hartmann-6) and each n: tell n random observations (as
`bench.overhead` does), take `--warm-up` steps, then time `--steps` asks and
tells on the CPU clock (`time.process_time`), one process, the given threads.
(`bench.overhead` times steps n + 11 to n + 20 at n ≤ 100 with its default 10 steps;
late in a run, `--warm-up 20`, the asks cost more: the polish runs to its iteration
limit and, before stop 51's bound, screening scored every candidate.)
A second optimizer, built the same way, repeats the steps with the polish's
objective (`AcquisitionObjective.values_and_gradients` as called by L-BFGS-B)
and LogEI's `value_and_grad` (the default acquisition) timed call by call: how many
evaluations an ask makes and what each costs, and how many of the candidates screening
scored (`AcquisitionObjective.screened_values`: those it did not leave out). The timers add ~1 µs to each
call they wrap, so the ask time comes from the first, uninstrumented pass.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from acquisition.functions import LogExpectedImprovement
from acquisition.optimizer import AcquisitionObjective
from bayesopt import Optimizer
from bayesopt.argtypes import nonnegative_int, positive_int
from bayesopt.test_functions import Hartmann6
from bench.overhead import _limit_threads
from bench.step_timing import (
    optimizer_at,
    sizes_argument,
    timed_method,
    timed_step,
    wrapped_method,
)


def _warmed_up(n: int, warm_up: int) -> tuple[Optimizer, Hartmann6]:
    """`optimizer_at(n)` after `warm_up` steps."""
    opt, f = optimizer_at(n)
    for _ in range(warm_up):
        timed_step(opt, f)
    return opt, f


def ask_and_tell(n: int, steps: int, warm_up: int = 2) -> tuple[float, float]:
    """Mean (ask, tell) CPU seconds over `steps` steps after `warm_up` steps."""
    opt, f = _warmed_up(n, warm_up)
    times = np.array([timed_step(opt, f) for _ in range(steps)])
    return float(times[:, 0].mean()), float(times[:, 1].mean())


def per_evaluation(n: int, steps: int, warm_up: int = 2) -> tuple[float, float, float, float]:
    """(evaluations per ask, µs per objective evaluation, µs of it in value_and_grad,
    candidates scored per ask)."""
    opt, f = _warmed_up(n, warm_up)
    scored: list[int] = []

    def counting(screened: Callable[..., tuple[np.ndarray, float]]) -> Callable[..., Any]:
        def counted(*args: Any) -> tuple[np.ndarray, float]:
            values, floor = screened(*args)
            scored.append(int(np.count_nonzero(values > -np.inf)))
            return values, floor
        return counted

    with (timed_method(AcquisitionObjective, "values_and_gradients") as objective,
          timed_method(LogExpectedImprovement, "value_and_grad") as acquisition,
          wrapped_method(AcquisitionObjective, "screened_values", counting)):
        for _ in range(steps):
            timed_step(opt, f)
    calls = max(objective.calls, 1)
    return (calls / steps, 1e6 * objective.inside / calls, 1e6 * acquisition.inside / calls,
            float(np.mean(scored)) if scored else math.nan)


def table(sizes: list[int], steps: int, warm_up: int = 2) -> str:
    """One row per n: ask, tell, polish evaluations per ask, µs per evaluation and in LogEI,
    candidates scored per ask."""
    lines = [("| n | ask | tell | polish evaluations per ask | µs per evaluation "
              "| of which LogEI | candidates scored per ask |"),
             "|---:|---:|---:|---:|---:|---:|---:|"]
    for n in sizes:
        ask, tell = ask_and_tell(n, steps, warm_up)
        evaluations, objective_us, acquisition_us, scored = per_evaluation(n, steps, warm_up)
        lines.append(f"| {n} | {1e3 * ask:.2f} ms | {1e3 * tell:.2f} ms | {evaluations:.0f} "
                     f"| {objective_us:.0f} | {acquisition_us:.0f} | {scored:.0f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=[50, 100, 200], type=sizes_argument)
    parser.add_argument("--steps", type=positive_int, default=15)
    parser.add_argument("--warm-up", type=nonnegative_int, default=2)
    parser.add_argument("--threads", type=positive_int, default=1)
    args = parser.parse_args(argv)
    with _limit_threads(args.threads):
        print(table(args.sizes, args.steps, args.warm_up), flush=True)


if __name__ == "__main__":
    main()

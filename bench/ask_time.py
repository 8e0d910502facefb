"""CPU time of an ask and a tell at small n, and of the polish's objective per evaluation.

    python -m bench.ask_time [--sizes 50,100,200] [--steps 15] [--threads 1]

For d = 6 (Hartmann-6) and each n: tell n random observations (as
`bench.overhead` does), take two warm-up steps, then time `--steps` asks and
tells on the CPU clock (`time.process_time`), one process, the given threads.
A second optimizer, built the same way, repeats the steps with the polish's
objective (`AcquisitionObjective.values_and_gradients` as called by L-BFGS-B)
and LogEI's `value_and_grad` (the default acquisition) timed call by call: how many
evaluations an ask makes and what each costs. The timers add ~1 µs to each
call they wrap, so the ask time comes from the first, uninstrumented pass.
"""

from __future__ import annotations

import argparse

import numpy as np

from acquisition.functions import LogExpectedImprovement
from acquisition.optimizer import AcquisitionObjective
from bayesopt import Optimizer
from bayesopt.argtypes import positive_int
from bayesopt.test_functions import Hartmann6
from bench.overhead import _limit_threads
from bench.step_timing import optimizer_at, sizes_argument, timed_method, timed_step


def _warmed_up(n: int) -> tuple[Optimizer, Hartmann6]:
    """`optimizer_at(n)` after two steps."""
    opt, f = optimizer_at(n)
    for _ in range(2):
        timed_step(opt, f)
    return opt, f


def ask_and_tell(n: int, steps: int) -> tuple[float, float]:
    """Mean (ask, tell) CPU seconds over `steps` steps after two warm-up steps."""
    opt, f = _warmed_up(n)
    times = np.array([timed_step(opt, f) for _ in range(steps)])
    return float(times[:, 0].mean()), float(times[:, 1].mean())


def per_evaluation(n: int, steps: int) -> tuple[float, float, float]:
    """(evaluations per ask, µs per objective evaluation, µs of it in value_and_grad)."""
    opt, f = _warmed_up(n)
    with (timed_method(AcquisitionObjective, "values_and_gradients") as objective,
          timed_method(LogExpectedImprovement, "value_and_grad") as acquisition):
        for _ in range(steps):
            timed_step(opt, f)
    calls = max(objective.calls, 1)
    return calls / steps, 1e6 * objective.inside / calls, 1e6 * acquisition.inside / calls


def table(sizes: list[int], steps: int) -> str:
    """One row per n: ask, tell, polish evaluations per ask, µs per evaluation and in LogEI."""
    lines = [("| n | ask | tell | polish evaluations per ask | µs per evaluation "
              "| of which LogEI |"), "|---:|---:|---:|---:|---:|---:|"]
    for n in sizes:
        ask, tell = ask_and_tell(n, steps)
        evaluations, objective_us, acquisition_us = per_evaluation(n, steps)
        lines.append(f"| {n} | {1e3 * ask:.2f} ms | {1e3 * tell:.2f} ms | {evaluations:.0f} "
                     f"| {objective_us:.0f} | {acquisition_us:.0f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=[50, 100, 200], type=sizes_argument)
    parser.add_argument("--steps", type=positive_int, default=15)
    parser.add_argument("--threads", type=positive_int, default=1)
    args = parser.parse_args(argv)
    with _limit_threads(args.threads):
        print(table(args.sizes, args.steps), flush=True)


if __name__ == "__main__":
    main()

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
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from acquisition.functions import LogExpectedImprovement
from acquisition.optimizer import AcquisitionObjective
from bayesopt import Optimizer
from bayesopt.argtypes import positive_int
from bayesopt.test_functions import Hartmann6
from bench.overhead import _limit_threads, _observations, _params


def _optimizer(n: int) -> tuple[Optimizer, Hartmann6]:
    f = Hartmann6()
    opt = Optimizer(f.search_space(), seed=0)
    X, y = _observations(n, 0)
    opt.tell([_params(x) for x in X], [float(v) for v in y])
    return opt, f


def _step(opt: Optimizer, f: Hartmann6) -> tuple[float, float]:
    """(ask, tell) CPU seconds of one step."""
    start = time.process_time()
    params = opt.ask()
    middle = time.process_time()
    opt.tell(params, float(f(np.array(list(params.values())))))
    return middle - start, time.process_time() - middle


def ask_and_tell(n: int, steps: int) -> tuple[float, float]:
    """Mean (ask, tell) CPU seconds over `steps` steps after two warm-up steps."""
    opt, f = _optimizer(n)
    for _ in range(2):
        _step(opt, f)
    times = np.array([_step(opt, f) for _ in range(steps)])
    return float(times[:, 0].mean()), float(times[:, 1].mean())


class _Timer:
    """Calls and CPU seconds of one method, while `wrapped` is active."""

    def __init__(self) -> None:
        self.calls, self.seconds = 0, 0.0

    @contextmanager
    def wrapped(self, owner: type, name: str) -> Iterator[None]:
        original: Callable[..., Any] = getattr(owner, name)

        def timed(*args: Any) -> Any:
            start = time.process_time()
            try:
                return original(*args)
            finally:
                self.seconds += time.process_time() - start
                self.calls += 1

        setattr(owner, name, timed)
        try:
            yield
        finally:
            setattr(owner, name, original)


def per_evaluation(n: int, steps: int) -> tuple[float, float, float]:
    """(evaluations per ask, µs per objective evaluation, µs of it in value_and_grad)."""
    opt, f = _optimizer(n)
    for _ in range(2):
        _step(opt, f)
    objective, acquisition = _Timer(), _Timer()
    with (objective.wrapped(AcquisitionObjective, "values_and_gradients"),
          acquisition.wrapped(LogExpectedImprovement, "value_and_grad")):
        for _ in range(steps):
            _step(opt, f)
    calls = max(objective.calls, 1)
    return calls / steps, 1e6 * objective.seconds / calls, 1e6 * acquisition.seconds / calls


def _sizes_argument(text: str) -> list[int]:
    """'50,100' → [50, 100]: each n ≥ 2 (the model needs two observations)."""
    parts = [part.strip() for part in text.split(",")]
    if not all(part.isdigit() and int(part) >= 2 for part in parts):
        raise argparse.ArgumentTypeError(
            f"must be comma-separated integers >= 2, got {text!r}")
    return [int(part) for part in parts]


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
    parser.add_argument("--sizes", default=[50, 100, 200], type=_sizes_argument)
    parser.add_argument("--steps", type=positive_int, default=15)
    parser.add_argument("--threads", type=positive_int, default=1)
    args = parser.parse_args(argv)
    with _limit_threads(args.threads):
        print(table(args.sizes, args.steps), flush=True)


if __name__ == "__main__":
    main()

"""Evaluate two points at a time with `minimize(..., n_workers=2)`.

Each evaluation of this objective takes a quarter of a second (a stand-in
for a training run). With ``n_workers=2`` two of them run at once in a pool
of worker processes; every result is told as soon as it lands and the next
point is asked with the other one still pending, so the optimizer never
proposes a point that is already being evaluated (kriging believer).

The objective must be picklable to reach the worker processes, so it is
defined at module level, and the run is started under the
``if __name__ == "__main__":`` guard (worker processes import this module).

    python examples/parallel_run.py
"""

from __future__ import annotations

import time

import numpy as np

from bayesopt import minimize
from bayesopt.test_functions import Branin

BRANIN = Branin()
N_CALLS = 24
SECONDS_PER_EVALUATION = 0.25


def slow_branin(params: dict[str, float]) -> float:
    """Branin's function (three global minima, f* = 0.397887), made slow on purpose."""
    time.sleep(SECONDS_PER_EVALUATION)
    return float(BRANIN(np.array([params["x0"], params["x1"]])))


def main() -> None:
    """Run the optimization on two worker processes and print the result."""
    start = time.perf_counter()
    result = minimize(slow_branin, BRANIN.search_space(), N_CALLS, n_workers=2, seed=0,
                      progress=False)
    elapsed = time.perf_counter() - start
    best = result.best
    assert best is not None and best.value is not None, "every evaluation failed"
    print(f"{len(result)} evaluations of {SECONDS_PER_EVALUATION} s each, 2 at a time, "
          f"in {elapsed:.1f} s (worker start-up included)")
    print(f"best value {best.value:.5f} at x0={best.params['x0']:.4f}, x1={best.params['x1']:.4f} "
          f"(evaluation {best.index + 1}); the optimum is {BRANIN.optimal_value:.5f}, "
          f"regret {BRANIN.regret(best.value):.2e}")


if __name__ == "__main__":
    main()

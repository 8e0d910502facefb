"""What `Surrogate.covariance`, `.sample` and `.predict` cost at m points, main's series beside this one.

    python -m bench.joint_posterior [--problems rosenbrock4,hartmann6] [--n 50]
                                    [--sizes 256,1024,2048] [--line 256]

For each problem (bench.problems, default options: Yeo–Johnson output transform), an
Optimizer (seed 0) is told n evaluations of its own asks; then at m points drawn uniformly
in the box (seed 1), and at `--line` points on a line through the best point along the
first dimension (a 1-D slice for a plot, where neighbours are correlated nearly 1), it times
in one process, CPU seconds:

    covariance (reference)  Surrogate.covariance with Mehler's series summed by numpy, one
                            m×m pass per term (`kernels.reference.mehler_series`: the loop
                            main ran before `kernels.mehler`)
    covariance              the same call with the Numba loop (`kernels.mehler.mehler_series`)
    sample, predict         `sample(points, 100, seed=0)` and `predict(points)` (unchanged)

and how many pairs went to the bivariate quadrature (`bayesopt.joint._pair`, the same in
both), their CPU seconds, and max |new − reference| / √(Var_i Var_j). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any
from unittest import mock

import numpy as np

from bayesopt import Optimizer, joint
from bayesopt.argtypes import positive_int
from bench.problems import make_problem
from kernels import reference


def _fitted(name: str, n: int) -> tuple[Any, Optimizer]:
    problem = make_problem(name)
    opt = Optimizer(problem.space, seed=0)
    for _ in range(n):
        params = opt.ask()
        opt.tell(params, problem.evaluate(params))
    return problem, opt


def _points(problem: Any, opt: Optimizer, m: int, line: bool) -> list[dict[str, float]]:
    names = list(problem.space)
    low = np.array([problem.space[k].low for k in names])
    high = np.array([problem.space[k].high for k in names])
    if line:
        best = opt.best
        assert best is not None, "the study has evaluations"
        X = np.tile([best.params[k] for k in names], (m, 1))
        X[:, 0] = np.linspace(low[0], high[0], m)
    else:
        X = low + (high - low) * np.random.default_rng(1).random((m, len(names)))
    return [{k: float(v) for k, v in zip(names, row)} for row in X]


def _cpu(call: Callable[[], Any]) -> tuple[float, Any]:
    start = time.process_time()
    out = call()
    return time.process_time() - start, out


class _PairClock:
    """Counts `joint._pair` calls and their CPU seconds while installed."""

    def __init__(self) -> None:
        self.calls, self.seconds, self.real = 0, 0.0, joint._pair

    def __call__(self, *args: Any) -> float:
        self.calls += 1
        seconds, out = _cpu(lambda: self.real(*args))
        self.seconds += seconds
        return float(out)


def _row(label: str, surrogate: Any, points: list[dict[str, float]]) -> str:
    clock = _PairClock()
    with mock.patch.object(joint, "_pair", clock):
        with mock.patch.object(joint, "mehler_series", reference.mehler_series):
            old, expected = _cpu(lambda: surrogate.covariance(points))
        pairs, pair_seconds = clock.calls, clock.seconds
        new, got = _cpu(lambda: surrogate.covariance(points))
    draw, _ = _cpu(lambda: surrogate.sample(points, 100, seed=0))
    marginal, _ = _cpu(lambda: surrogate.predict(points))
    scale = np.sqrt(np.outer(np.diag(expected), np.diag(expected)))
    error = float(np.max(np.abs(got - expected) / scale))
    return (f"| {label} | {len(points)} | {old:.2f} | {new:.2f} | {old / new:.1f}× | "
            f"{pairs} | {pair_seconds:.2f} | {error:.1e} | {draw:.2f} | {marginal:.2f} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", default="rosenbrock4,hartmann6")
    parser.add_argument("--n", type=positive_int, default=50)
    parser.add_argument("--sizes", default="256,1024,2048")
    parser.add_argument("--line", type=int, default=256, help="points on the slice (0: none)")
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]
    print("| problem, points | m | covariance, reference s | covariance s | speed-up | "
          "pairs integrated | their s (reference run) | max rel. difference | sample(100) s | "
          "predict s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    warm = None
    for name in args.problems.split(","):
        problem, opt = _fitted(name, args.n)
        surrogate = opt.surrogate()
        if warm is None:  # compile (or load) the Numba loop outside the timings
            warm = surrogate.covariance(_points(problem, opt, 3, False))
        for m in sizes:
            print(_row(f"{name} (n = {args.n}), uniform", surrogate,
                       _points(problem, opt, m, False)), flush=True)
        if args.line:
            print(_row(f"{name} (n = {args.n}), line", surrogate,
                       _points(problem, opt, args.line, True)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

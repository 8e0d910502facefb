"""Parallel evaluation: throughput on 2 cores, and quality per evaluation of batches.

    python -m bench.parallel throughput [--n-calls 40] [--sleep 0.5]
    python -m bench.parallel batches [--seeds 10] [--batch 4] [--out bench/results/batches.md]

throughput: an objective that sleeps `--sleep` seconds; `minimize` with
n_workers=2 (a spawn process pool) against the sequential loop, same
n_calls, wall time ratio. Both include every overhead a user pays (pool
start-up with the spawn method, asks, tells).

batches: on Branin, Hartmann-6 and a mixed Real/Integer/Categorical problem,
`ask(batch)` + tell all, repeated, against one-at-a-time asks (10 seeds).
For each strategy the median simple regret after n evaluations; the table
gives the sequential median at its budget N and how many evaluations each
batch strategy needs to reach it (≤ 1.5 N is the target). Strategies:
kriging believer (the default: fantasies at the posterior mean), constant
liar (fantasies at the best observed value) and local penalization (no
fantasies; the acquisition damped around pending points, González et al. 2016).
"""

from __future__ import annotations

import argparse
import functools
import time
from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from typing import Any, Protocol

import numpy as np

from bayesopt import Categorical, Integer, Optimizer, OptimizerOptions, Real, minimize
from bayesopt.argtypes import nonnegative_float, positive_int
from bayesopt.choices import FantasyName
from bayesopt.space import Dimension
from bayesopt.test_functions import Branin, Hartmann6, TestFunction


def sleeping_sphere(params: dict[str, Any], sleep: float) -> float:
    time.sleep(sleep)
    return float((params["x"] - 0.3) ** 2 + (params["y"] - 0.6) ** 2)


def throughput(n_calls: int, sleep: float) -> str:
    objective = functools.partial(sleeping_sphere, sleep=sleep)  # picklable for the workers
    space = {"x": Real(0.0, 1.0), "y": Real(0.0, 1.0)}
    start = time.perf_counter()
    minimize(objective, space, n_calls=n_calls, seed=0, progress=False)
    sequential = time.perf_counter() - start
    start = time.perf_counter()
    minimize(objective, space, n_calls=n_calls, seed=0, progress=False, n_workers=2)
    parallel = time.perf_counter() - start
    return (f"| n_calls | sleep | sequential | n_workers=2 | ratio |\n|---:|---:|---:|---:|---:|\n"
            f"| {n_calls} | {sleep} s | {sequential:.1f} s | {parallel:.1f} s | "
            f"{parallel / sequential:.2f} |")


# ------------------------------------------------------------------ batches
class BatchProblem(Protocol):
    """What `run` and `batches` read of a problem."""

    @property
    def name(self) -> str: ...

    @property
    def optimal_value(self) -> float: ...

    @property
    def budget(self) -> int: ...

    def space(self) -> Mapping[str, Dimension]: ...

    def __call__(self, p: dict[str, Any]) -> float: ...


class MixedBranin:
    """Branin on two reals, plus an integer and a categorical offset; f* = 0.397887."""

    name = "mixed"
    optimal_value = Branin.optimal_value
    budget = 50

    def space(self) -> dict[str, Dimension]:
        return {"x": Real(-5.0, 10.0), "y": Real(0.0, 15.0), "k": Integer(0, 10),
                "c": Categorical(["a", "b", "c"])}

    def __call__(self, p: dict[str, Any]) -> float:
        offset: float = (p["k"] - 3) ** 2 / 4 + {"a": 1.0, "b": 0.0, "c": 2.0}[p["c"]]
        return float(Branin()(np.array([p["x"], p["y"]]))) + offset


class Synthetic:
    def __init__(self, problem: TestFunction, budget: int) -> None:
        self.problem, self.budget = problem, budget
        self.name, self.optimal_value = problem.name, problem.optimal_value

    def space(self) -> dict[str, Real]:
        return self.problem.search_space()

    def __call__(self, p: dict[str, Any]) -> float:
        return float(self.problem(np.array(list(p.values()))))


def run(problem: BatchProblem, seed: int, batch: int, n_evals: int, fantasy: FantasyName) -> np.ndarray:
    """Best-so-far regret after each evaluation."""
    options = OptimizerOptions()
    options = replace(options, model=replace(options.model, fantasy=fantasy))
    opt = Optimizer(problem.space(), seed=seed, options=options)
    while len(opt.history) < n_evals:
        points = opt.ask(min(batch, n_evals - len(opt.history)))
        opt.tell(points, [problem(p) for p in points])
    values = np.array([o.value for o in opt.history])
    return np.minimum.accumulate(values) - problem.optimal_value


BASIN_REGRET = 0.05  # a run closer than this to f* has found the global basin


def batches(seeds: int, batch: int) -> str:
    problems: list[BatchProblem] = [Synthetic(Branin(), 40), Synthetic(Hartmann6(), 80),
                                    MixedBranin()]
    strategies: list[tuple[str, int, FantasyName]] = [("sequential", 1, "believer"), (f"KB ×{batch}", batch, "believer"),
                  (f"CL ×{batch}", batch, "liar"), (f"LP ×{batch}", batch, "penalize")]
    lines = ["| problem | N | sequential median regret at N | "
             + " | ".join(f"{name}: evaluations to reach it (× N)" for name, _, _ in strategies[1:])
             + " |", "|---|---:|---:|" + "---:|" * (len(strategies) - 1)]
    basins = ["| problem | " + " | ".join(
        f"{name} at {'N' if size == 1 else '1.5 N'}" for name, size, _ in strategies) + " |",
        "|---|" + "---:|" * len(strategies)]
    for problem in problems:
        horizon = int(1.5 * problem.budget)
        runs = {name: np.array([run(problem, s, size, horizon, fantasy) for s in range(seeds)])
                for name, size, fantasy in strategies}
        curves = {name: np.median(runs[name], axis=0) for name in runs}
        target = curves["sequential"][problem.budget - 1]
        cells = [_evaluations_to_reach(curves[name], target, problem.budget)
                 for name, _, _ in strategies[1:]]
        lines.append(f"| {problem.name} | {problem.budget} | {target:.3g} | " + " | ".join(cells) + " |")
        print(lines[-1], flush=True)
        finals = [runs[name][:, problem.budget - 1 if size == 1 else -1]
                  for name, size, _ in strategies]
        basins.append(f"| {problem.name} | " + " | ".join(
            f"{int(np.sum(f < BASIN_REGRET))} of {seeds}" for f in finals) + " |")
    return "\n".join(lines) + (
        f"\n\nSeeds whose best value is within {BASIN_REGRET} of the optimum (the global "
        "basin; Hartmann-6's best local optimum is 0.12 above it):\n\n" + "\n".join(basins))


def _evaluations_to_reach(curve: np.ndarray, target: float, budget: int) -> str:
    reached = np.nonzero(curve <= target)[0]
    if not reached.size:
        return f"not within {curve.size} (median {curve[-1]:.3g})"
    n = int(reached[0]) + 1
    return f"{n} ({n / budget:.2f}×)"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("what", choices=["throughput", "batches"])
    parser.add_argument("--n-calls", type=positive_int, default=40)
    parser.add_argument("--sleep", type=nonnegative_float, default=0.5)
    parser.add_argument("--seeds", type=positive_int, default=10)
    parser.add_argument("--batch", type=positive_int, default=4)
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    if args.what == "throughput":
        report = throughput(args.n_calls, args.sleep)
        command = f"python -m bench.parallel throughput --n-calls {args.n_calls} --sleep {args.sleep}"
    else:
        report = batches(args.seeds, args.batch)
        command = f"python -m bench.parallel batches --seeds {args.seeds} --batch {args.batch}"
    report += f"\n\n{date.today()}, `{command}`\n"
    print(report)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(report)


if __name__ == "__main__":
    main()

"""Input constraints (`feasible=`): how evenly the design covers a region, and how closely
a linear constraint's optimum is reached.

    python -m bench.input_constraints [--design-seeds 20] [--seeds 10] [--budget 20]

design:  {a, b} ∈ [0, 1]², 8 design points (`n_initial=8`, the first 8 asks) in two
         regions — the corner a ≤ 0.1, b ≤ 0.1 and the triangle a + b ≤ 1 — and, for
         each seed, their smallest pairwise distance; beside them 8 uniform random points
         of the same region (rejection, `numpy.random.default_rng(seed)`). Median over
         seeds 0 … design-seeds − 1 (a larger distance: a more even cover).
optimum: min (a − 1)² + (b − 1)² subject to a + b ≤ 1 (optimum 0.5 at a = b = 0.5),
         `budget` evaluations, the constraint given as a `LinearConstraint` (handed to
         the acquisition optimizer, whose local search runs SLSQP along it) and as the
         same test in a callable (admitted candidates by rejection only); the gap
         best − 0.5 for seed 1 and its median over seeds 0 … seeds − 1.

Prints Markdown; nothing is cached.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from scipy.spatial.distance import pdist

from bayesopt import LinearConstraint, Optimizer, Real
from bayesopt.argtypes import positive_int

SPACE = {"a": Real(0.0, 1.0), "b": Real(0.0, 1.0)}
N_DESIGN = 8
REGIONS: dict[str, tuple[list[LinearConstraint], Callable[[np.ndarray], np.ndarray]]] = {
    "corner a ≤ 0.1, b ≤ 0.1": ([LinearConstraint({"a": 1}, "<=", 0.1),
                                 LinearConstraint({"b": 1}, "<=", 0.1)],
                                lambda X: (X[:, 0] <= 0.1) & (X[:, 1] <= 0.1)),
    "triangle a + b ≤ 1": ([LinearConstraint({"a": 1, "b": 1}, "<=", 1)],
                           lambda X: X[:, 0] + X[:, 1] <= 1),
}


def _design(constraints: Sequence[LinearConstraint], seed: int) -> np.ndarray:
    opt = Optimizer(SPACE, seed=seed, n_initial=N_DESIGN, feasible=list(constraints))
    points = [opt.ask() for _ in range(N_DESIGN)]  # the design, one ask at a time
    return np.array([[p["a"], p["b"]] for p in points])


def _random(inside: Callable[[np.ndarray], np.ndarray], seed: int) -> np.ndarray:
    rng, kept = np.random.default_rng(seed), np.empty((0, 2))
    while kept.shape[0] < N_DESIGN:
        X = rng.random((1024, 2))
        kept = np.concatenate([kept, X[inside(X)]])
    return kept[:N_DESIGN]


def design(seeds: int) -> list[str]:
    lines = [(f"| region ({N_DESIGN} points, median over seeds 0–{seeds - 1} of the smallest "
             "pairwise distance) | Sobol design restricted to the region | uniform random |"),
             "|---|---:|---:|"]
    for name, (constraints, inside) in REGIONS.items():
        sobol = [float(pdist(_design(constraints, s)).min()) for s in range(seeds)]
        uniform = [float(pdist(_random(inside, s)).min()) for s in range(seeds)]
        lines.append(f"| {name} | {statistics.median(sobol):.3f} "
                     f"| {statistics.median(uniform):.3f} |")
    return lines


def _objective(p: dict[str, Any]) -> float:
    return float((p["a"] - 1.0) ** 2 + (p["b"] - 1.0) ** 2)


def _gap(feasible: list[Any], seed: int, budget: int) -> float:
    opt = Optimizer(SPACE, seed=seed, feasible=feasible)
    for _ in range(budget):
        params = opt.ask()
        opt.tell(params, _objective(params))
    assert opt.best is not None and opt.best.value is not None
    return float(opt.best.value) - 0.5


def optimum(seeds: int, budget: int) -> list[str]:
    ways: dict[str, list[Any]] = {
        "`LinearConstraint` (SLSQP along it)": [LinearConstraint({"a": 1, "b": 1}, "<=", 1)],
        "the same test as a callable (rejection only)": [lambda p: p["a"] + p["b"] <= 1],
    }
    lines = [(f"| constraint a + b ≤ 1 given as | gap after {budget} evaluations, seed 1 "
             f"| median gap, seeds 0–{seeds - 1} | CPU s |"), "|---|---:|---:|---:|"]
    for name, feasible in ways.items():
        start = time.process_time()
        gaps = [_gap(feasible, s, budget) for s in range(seeds)]
        seed1 = _gap(feasible, 1, budget) if seeds <= 1 else gaps[1]
        lines.append(f"| {name} | {seed1:.2g} | {statistics.median(gaps):.2g} "
                     f"| {time.process_time() - start:.1f} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--design-seeds", type=positive_int, default=20)
    parser.add_argument("--seeds", type=positive_int, default=10)
    parser.add_argument("--budget", type=positive_int, default=20)
    args = parser.parse_args(argv)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lines = design(args.design_seeds) + [""] + optimum(args.seeds, args.budget)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Local searches under a `LinearConstraint` that change the asks: per-ask cost and regret.

    python -m bench.linear_variants [--sizes 50,100] [--asks 10] [--seeds 10]
                                    [--variants default,batched,rise-1e-3,fill,unscaled] [--jobs 1]
                                    [--skip-cost] [--skip-regret]

Variants of the acquisition's local search under linear constraints (`VARIANTS`):

- default: the library's, one SLSQP problem per start
  (`acquisition.optimizer._slsqp_each`), each stopping on its own;
- batched: one SLSQP problem of all r starts, their inequalities stacked block-diagonally
  (`_batched_slsqp` on every start at once, patched in for the run): one problem of r·d
  variables, whose dense least-squares subproblem costs O((r·d)³) per iteration — the
  library's default up to version 0.12.0;
- rise-1e-3: the default with `AcquisitionOptimizerOptions(polish_rise_tol=1e-3)` (the
  library's early stop, bench/results/small_n_step4.md).
- unscaled: the default with `AcquisitionOptimizerOptions(scale_by_lengthscales=False)`:
  SLSQP over x itself, not over u with x = x⁰ + s ∘ u (the library's search under a
  `LinearConstraint` up to version 0.15.0).
- fill: step 1's global candidates the first n admitted points of the scrambled Sobol
  sequence continued past n (`filled_pool`, patched in for the run as
  `candidate_pool`), not the admitted ones of its first n: where those are k < n, the
  draw is made again from the generator's state before it, n·2^⌈log2 ⌈n/k⌉⌉ points long,
  at most `FILL_DRAWS`·n (that cap when k = 0; again from there while short), whose
  first n points are the first draw's. Every problem here is linear alone; the patch
  tops up under any `Domain.admits`. Not landed (bench/results/feasible_candidates.md).

Cost: `bench.linear_ask_cost`'s measurement (median CPU time of `--asks` asks from deep
copies of one state, one thread) under each variant, for each problem of
`bench.linear_ask_cost.PROBLEMS` and n of `--sizes`.

Regret: for each problem, the seeds (N: 0 … N − 1, or a range or list), `BUDGETS[problem]`
evaluations from the start (the default initial design), the best value found minus the constrained optimum
f*_c (`constrained_optimum`: SLSQP on f itself from 256 feasible points, the best); the
median, quartiles and mean over seeds, and the seeds on which each variant's best is
below, above or equal to the first variant's (paired by seed). Also the triangle problem of
`bench.input_constraints` (min (a − 1)² + (b − 1)² s.t. a + b ≤ 1, f*_c = 0.5).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import statistics
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import minimize

import acquisition.optimizer
import bayesopt.propose
from bayesopt import (
    AcquisitionOptimizerOptions,
    LinearConstraint,
    Optimizer,
    OptimizerOptions,
    Real,
)
from bayesopt.argtypes import positive_int
from bench.linear_ask_cost import PROBLEMS, Problem, feasible_points, told
from bench.overhead import _limit_threads
from bench.quality import seeds_argument
from bench.step_split import _patched
from bench.step_timing import ask_seconds, sizes_argument


@contextmanager
def _batched() -> Iterator[None]:
    """All starts in one SLSQP problem (`_batched_slsqp` on X0 whole) inside the block."""
    def batched(objective: Any, X0: np.ndarray, free: np.ndarray, domain: Any, linear: Any,
                options: AcquisitionOptimizerOptions,
                scales: np.ndarray | None = None) -> np.ndarray:
        return acquisition.optimizer._batched_slsqp(objective, X0, free, domain, linear,
                                                    options, acquisition.optimizer.rise_stop(options),
                                                    scales)

    with _patched(acquisition.optimizer, "_slsqp_each", batched):
        yield


@contextmanager
def _unchanged() -> Iterator[None]:
    yield


FILL_DRAWS = 16  # `fill`: the longest draw of global candidates is FILL_DRAWS·n points


def filled_pool(domain: Any, rng: np.random.Generator, incumbents: np.ndarray,
                options: AcquisitionOptimizerOptions) -> np.ndarray:
    """`acquisition.optimizer.candidate_pool` with its global candidates topped up (the
    `fill` variant of the module docstring): (≤ n + n_local_candidates, d)."""
    n = options.n_candidates
    before = rng.bit_generator.state
    X = acquisition.optimizer._admitted(domain, domain.draw(n, rng))
    size, cap = n, FILL_DRAWS * n
    while domain.admits is not None and len(X) < n and size < cap:
        size = cap if not len(X) else min(cap, size << (-(-n // len(X)) - 1).bit_length())
        rng.bit_generator.state = before
        X = acquisition.optimizer._admitted(domain, domain.draw(size, rng))
    local = acquisition.optimizer._perturbations(incumbents, domain, rng, options)
    return np.concatenate([X[:n], acquisition.optimizer._admitted(domain, local)])


@contextmanager
def _filled() -> Iterator[None]:
    """`filled_pool` as the candidate pool of both its callers inside the block."""
    with _patched(acquisition.optimizer, "candidate_pool", filled_pool), \
            _patched(bayesopt.propose, "candidate_pool", filled_pool):
        yield


@dataclass(frozen=True)
class Variant:
    context: Callable[[], Any]  # the patch the variant runs under
    options: OptimizerOptions | None = None


VARIANTS: dict[str, Variant] = {
    "default": Variant(_unchanged),
    "batched": Variant(_batched),
    "rise-1e-3": Variant(_unchanged, OptimizerOptions(
        acquisition_optimizer=AcquisitionOptimizerOptions(polish_rise_tol=1e-3))),
    "fill": Variant(_filled),
    "unscaled": Variant(_unchanged, OptimizerOptions(
        acquisition_optimizer=AcquisitionOptimizerOptions(scale_by_lengthscales=False))),
}
BUDGETS = {"hartmann6 Σx≤3": 40, "hartmann6 Σx≤1.5": 40, "hartmann3 Σx≤1": 30, "triangle": 20}
TRIANGLE_SPACE = {"a": Real(0.0, 1.0), "b": Real(0.0, 1.0)}
TRIANGLE = LinearConstraint({"a": 1, "b": 1}, "<=", 1)


def constrained_optimum(problem: Problem, starts: int = 256) -> float:
    """min f subject to Σx ≤ bound over the cube: SLSQP on f from `starts` feasible points
    (`feasible_points`, seed 1), the least value found."""
    f = problem.function()
    X0 = feasible_points(problem, starts, seed=1)
    constraint = {"type": "ineq", "fun": lambda x: problem.bound - np.sum(x),
                  "jac": lambda x: -np.ones_like(x)}
    best = np.inf
    for x0 in X0:
        result = minimize(lambda x: float(f(x)), x0, method="SLSQP", bounds=f.bounds,
                          constraints=[constraint], options={"maxiter": 200, "ftol": 1e-12})
        if np.sum(result.x) <= problem.bound + 1e-9:
            best = min(best, float(f(result.x)))
    return float(best)


def _run(problem: str, variant: str, seed: int) -> float:
    """The best value of one run of `variant` on `problem` (the triangle too)."""
    chosen = VARIANTS[variant]
    if problem == "triangle":
        space: Mapping[str, Any] = TRIANGLE_SPACE
        constraint = TRIANGLE

        def evaluate(p: Mapping[str, Any]) -> float:
            return float((p["a"] - 1.0) ** 2 + (p["b"] - 1.0) ** 2)
    else:
        f = PROBLEMS[problem].function()
        space = f.search_space()
        names = list(space)
        constraint = PROBLEMS[problem].constraint(names)

        def evaluate(p: Mapping[str, Any]) -> float:
            return float(f(np.array([p[k] for k in names])))
    with _limit_threads(1), chosen.context():
        opt = Optimizer(dict(space), seed=seed, feasible=[constraint], options=chosen.options)
        best = np.inf
        for _ in range(BUDGETS[problem]):
            params = opt.ask()
            value = evaluate(params)
            opt.tell(params, value)
            best = min(best, value)
    return float(best)


def regret_table(variants: list[str], seeds: list[int], jobs: int) -> str:
    optima = {name: constrained_optimum(problem) for name, problem in PROBLEMS.items()}
    optima["triangle"] = 0.5
    tasks = [(problem, variant, seed) for problem in BUDGETS for variant in variants
             for seed in seeds]
    with concurrent.futures.ProcessPoolExecutor(jobs) as pool:
        bests = dict(zip(tasks, pool.map(_run, *zip(*tasks))))
    head = (f"| problem (budget, f*_c) | variant | median regret [quartiles] | mean regret "
            f"| seeds better / worse / equal than {variants[0]} |")
    lines = [head, "|---|---|---:|---:|---:|"]
    for problem, budget in BUDGETS.items():
        reference = [bests[(problem, variants[0], seed)] for seed in seeds]
        for variant in variants:
            found = [bests[(problem, variant, seed)] for seed in seeds]
            regrets = [best - optima[problem] for best in found]
            q1, median, q3 = np.quantile(regrets, [0.25, 0.5, 0.75])
            paired = (sum(a < b for a, b in zip(found, reference)),
                      sum(a > b for a, b in zip(found, reference)),
                      sum(a == b for a, b in zip(found, reference)))
            lines.append(f"| {problem} ({budget}, {optima[problem]:.6f}) | {variant} "
                         f"| {median:.2e} [{q1:.2e}, {q3:.2e}] | {np.mean(regrets):.2e} "
                         f"| {' / '.join(map(str, paired))} |")
    return "\n".join(lines)


def cost_table(variants: list[str], sizes: list[int], asks: int) -> str:
    lines = ["| problem | n | " + " | ".join(f"{v}, ms" for v in variants) + " |",
             "|---|---:|" + "---:|" * len(variants)]
    with _limit_threads(1):
        for name, problem in PROBLEMS.items():
            for n in sizes:
                cells = []
                for variant in variants:
                    chosen = VARIANTS[variant]
                    with chosen.context():
                        opt = told(problem, n, True, chosen.options)
                        ask_seconds(opt, 1)  # compile what is compiled on first use
                        cells.append(statistics.median(ask_seconds(opt, asks)))
                ratios = [f"{1e3 * c:.2f}" + ("" if i == 0 else f" ({c / cells[0]:.2f}×)")
                          for i, c in enumerate(cells)]
                lines.append(f"| {name} | {n} | " + " | ".join(ratios) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="50,100", type=sizes_argument)
    parser.add_argument("--asks", type=positive_int, default=10)
    parser.add_argument("--seeds", type=seeds_argument, default="10",
                        help="N (seeds 0..N-1), a range low-high, or a list: as bench.quality")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--jobs", type=positive_int, default=1)
    parser.add_argument("--skip-regret", action="store_true")
    parser.add_argument("--skip-cost", action="store_true")
    args = parser.parse_args(argv)
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    if not variants or any(v not in VARIANTS for v in variants):
        parser.error(f"--variants {args.variants!r}: known: {', '.join(VARIANTS)}")
    if not args.skip_cost:
        print(cost_table(variants, args.sizes, args.asks) + "\n", flush=True)
    if not args.skip_regret:
        print(regret_table(variants, args.seeds, args.jobs), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

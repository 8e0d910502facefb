"""The cost-effective initial design's settings on the synthetic cost problems (issue 16).

    python -m bench.cost_design_variants [--seeds 10]

Runs `acquisition="logei_per_cost"` (α = 1) on branin_cost and hartmann3_cost
of `bench.constraints` with CArBO's cost-effective initial design
(`CostDesignOptions`, Lee et al. 2020) at several design sizes `n_initial`
and numbers of Sobol points `n_space_filling`, beside the Sobol design, until
each run has spent plain LogEI's median total cost (the cached LogEI runs of
`python -m bench.constraints cost`). Reports the cost ratio of
bench/results/cost.md and the design's median cost, both over LogEI's median
total cost. A design of n_initial = 10 points with 8 cheap ones is CArBO's
idea (more, cheaper points for the cost of a Sobol design) at our scale.
Writes bench/results/cost_design_variants.md; runs are not cached.
"""

from __future__ import annotations

import argparse
import math
import sys
import warnings
from typing import Any

import numpy as np

from bayesopt import CostDesignOptions, Optimizer, OptimizerOptions
from bench import constraints as bc

PROBLEMS = ("branin_cost", "hartmann3_cost")
# (n_initial, n_space_filling); n_space_filling 0: the Sobol design
VARIANTS = ((5, 0), (5, 2), (5, 3), (8, 2), (10, 2), (10, 5))
OUT = bc.OUT / "cost_design_variants.md"


def run(problem: str, seed: int, budget: float, n_initial: int,
        n_space_filling: int) -> list[tuple[float, float]]:
    """(value, cost) of each evaluation until `budget` is spent."""
    p = bc.COST_PROBLEMS[problem]
    kwargs: dict[str, Any] = {}
    if n_space_filling:
        kwargs["options"] = OptimizerOptions(
            cost_design=CostDesignOptions(n_space_filling=n_space_filling))
    opt = Optimizer(p.space, seed=seed, n_initial=n_initial, acquisition="logei_per_cost",
                    **kwargs)
    record, spent = [], 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        while spent < budget:
            params = opt.ask()
            value, cost = p.evaluate(params)
            opt.tell(params, value, cost=cost)
            record.append((value, cost))
            spent += cost
    return record


def row(problem: str, seeds: list[int], n_initial: int, n_space_filling: int) -> str:
    """One line of the table: the cost ratio, the median best at LogEI's cost, the design's cost."""
    base = [bc.load_cost_run(problem, "logei", s) for s in seeds]
    target = float(np.median([min(v for v, _ in r) for r in base]))
    total = float(np.median([sum(c for _, c in r) for r in base]))
    runs = [run(problem, s, total, n_initial, n_space_filling) for s in seeds]
    levels = sorted({sum(c for _, c in r[: i + 1]) for r in runs for i in range(len(r))})
    reach = next((lv for lv in levels if bc.median_best_at(runs, lv) <= target), math.inf)
    design = float(np.median([sum(c for _, c in r[:n_initial]) for r in runs])) / total
    kind = "Sobol" if n_space_filling == 0 else f"cost-effective, {n_space_filling} Sobol"
    return (f"| {problem} | {n_initial} | {kind} | {design:.3f} | "
            f"{bc.median_best_at(runs, total):.5g} | {reach / total:.2f} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    args = parser.parse_args(argv)
    seeds = list(range(args.seeds))
    intro = (f"{len(seeds)} seeds; each run spends plain LogEI's median total cost. Cost "
             "ratio: as in cost.md (inf: LogEI's median not reached within that cost). "
             f"Command: `python -m bench.cost_design_variants --seeds {len(seeds)}`.")
    header = ("| problem | n_initial | design | design cost / LogEI's total | median best at "
              "LogEI's cost | cost ratio |")
    lines = ["# Cost-effective initial design: sizes and Sobol points (logei_per_cost, α = 1)",
             "", intro, "", header, "|---|---|---|---|---|---|"]
    for problem in PROBLEMS:
        for n_initial, n_space_filling in VARIANTS:
            lines.append(row(problem, seeds, n_initial, n_space_filling))
            print(lines[-1], flush=True)
    OUT.write_text("\n".join(lines) + "\n")
    sys.stdout.write(OUT.read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

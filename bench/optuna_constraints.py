"""Optuna samplers with `constraints_func`: BayesoptSampler beside GPSampler and TPESampler.

    python -m bench.optuna_constraints [--seeds 10] [--problems gardner,gramacy] [--jobs 1]

The constrained problems, budget (30 trials), initial design (5 trials) and
score (best feasible value − f*) of `bench.constraints`; every sampler is driven
the same way (`bench.constraints._run_optuna`: `study.ask` with the problem's
distributions, the constraints stored by the sampler's own `after_trial`).
Runs are cached under bench/results/constraints_runs/optuna_samplers/; the
table goes to bench/results/optuna_constraints.md.
"""

from __future__ import annotations

import argparse
import math
import sys
from typing import Any

from bench.constraints import (
    BUDGET,
    OUT,
    PROBLEMS,
    _best_feasible,
    _execute,
    _load,
    _quartiles,
    run_constrained,
)

_KIND = "optuna_samplers"  # the cache folder under constraints_runs/
SAMPLERS = ("optuna-bayesopt", "optuna-gp", "optuna-tpe")


def run(problems: list[str], seeds: list[int], jobs: int) -> None:
    tasks: list[tuple[Any, tuple[Any, ...]]] = [
        (run_constrained, (problem, sampler, seed))
        for seed in seeds for problem in problems for sampler in SAMPLERS  # seeds outermost
        if _load(_KIND, problem, sampler, seed) is None]
    _execute(jobs, tasks, _KIND)


def report(problems: list[str], seeds: list[int]) -> str:
    import optuna

    intro = (f"Median [quartiles] over {len(seeds)} seeds of best feasible value − f*; the "
             "fraction of runs with a feasible point in parentheses. "
             f"Optuna {optuna.__version__}. Command (GPSampler needs torch: the venv /work/venv-bench, PYTHONPATH at the checkout measured): "
             f"`OMP_NUM_THREADS=1 PYTHONPATH=$PWD python -m bench.optuna_constraints --seeds "
             f"{len(seeds)} --problems {','.join(problems)}`.")
    title = f"# Optuna samplers with constraints_func: best feasible regret after {BUDGET} trials"
    lines = [title, "", intro, "",
             "| problem | " + " | ".join(SAMPLERS) + " |",
             "|---|" + "---|" * len(SAMPLERS)]
    for name in problems:
        optimum = PROBLEMS[name].optimum() or 0.0
        cells = []
        for sampler in SAMPLERS:
            runs = [r for r in (_load(_KIND, name, sampler, s) for s in seeds) if r is not None]
            if not runs:
                cells.append("—")
                continue
            scores = [_best_feasible(r["record"]) - optimum for r in runs]
            found = sum(math.isfinite(s) for s in scores) / len(scores)
            missing = "" if len(runs) == len(seeds) else f", {len(runs)} runs"
            cells.append(f"{_quartiles(scores)} ({found:.0%}{missing})")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--problems", default="gardner,gramacy")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--report-only", action="store_true")
    args = parser.parse_args(argv)
    problems = args.problems.split(",")
    unknown = [p for p in problems if p not in PROBLEMS]
    if unknown:
        parser.error(f"unknown problems {unknown}; choose from {list(PROBLEMS)}")
    seeds = list(range(args.seeds))
    if not args.report_only:
        run(problems, seeds, args.jobs)
    text = report(problems, seeds)
    (OUT / "optuna_constraints.md").write_text(text)
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

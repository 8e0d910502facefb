"""svc_size (bench.constraints), issue 16's constrained miss: traces with their points,
the landscape on a grid, and bayesopt variants on the four constrained problems.

    python -m bench.svc_size trace --optimizer bayesopt|optuna-gp [--seeds 0-9] --out FILE
    python -m bench.svc_size grid [--box -3,3,-5,1] [--step 0.2] --out FILE
    python -m bench.svc_size variants [--seeds 0-9] [--variants default,observed]
        [--problems gardner,...] --out FILE

svc_size: y = 1 − 3-fold CV accuracy of an RBF SVC on breast cancer (569 samples,
folds of 190, 190 and 189: one misclassified sample moves y by ~1/569), c = (mean
support vectors of the folds' models)/40 − 1 (steps of 1/120), over log10 C ∈ [−3, 3],
log10 γ ∈ [−5, 1]. `trace` runs bench.constraints' runners recording each point
(bench.constraints keeps only the values); `grid` evaluates the problem on a grid of
(log10 C, log10 γ); `variants` runs bayesopt (`bench.constraints._run_bayesopt`)
with each variant's `OptimizerOptions` (`VARIANTS`) and prints the median [quartiles] of
the best feasible regret per problem, as bench.constraints' report does. Optuna's
GPSampler needs torch: run `trace --optimizer optuna-gp` in the bench venv. Results in
bench/results/svc_size.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from bayesopt import ModelOptions, OptimizerOptions
from bench.constraints import (
    PROBLEMS,
    Record,
    _best_feasible,
    _quartiles,
    _run_bayesopt,
    _run_optuna,
)

# name → the options of a bayesopt variant (None: the defaults)
VARIANTS: dict[str, OptimizerOptions | None] = {
    "default": None,
    # EI's incumbent the best feasible value observed (Jones et al. 1998; Gardner et al.
    # 2014), not the best posterior mean at a feasible observed point
    "observed": OptimizerOptions(model=ModelOptions(incumbent="observed")),
    # Optuna GPSampler's priors on every GP (bayesopt.priors: lengthscale, noise, variance)
    "optuna-priors": OptimizerOptions(model=ModelOptions(
        lengthscale_prior="optuna", noise_prior="optuna", variance_prior="optuna")),
    # standardization only, no Yeo-Johnson transform of the objective
    "no-transform": OptimizerOptions(model=ModelOptions(output_transform="none")),
}
TRACED = ("bayesopt", "optuna-gp")


def _seeds(text: str) -> list[int]:
    """'0-9' or '3' (seeds 0..2) or '1,4,7'."""
    if "-" in text:
        low, high = text.split("-")
        return list(range(int(low), int(high) + 1))
    if "," in text:
        return [int(s) for s in text.split(",")]
    return list(range(int(text)))


def _box(text: str) -> tuple[float, float, float, float]:
    values = [float(v) for v in text.split(",")]
    if len(values) != 4 or values[0] >= values[1] or values[2] >= values[3]:
        raise ValueError(f"box={text!r}: give log10 C from,to and log10 γ from,to, each from < to")
    return values[0], values[1], values[2], values[3]


def trace(optimizer: str, seeds: list[int]) -> dict[str, list[list[float]]]:
    """Per seed, each evaluation's [C, γ, y, c] of bench.constraints' `optimizer` run on
    svc_size."""
    if optimizer not in TRACED:
        raise ValueError(f"optimizer={optimizer!r}: not one of {TRACED}")
    runs = {}
    for seed in seeds:
        points, record = _traced_run(optimizer, seed)
        runs[str(seed)] = [[float(p["C"]), float(p["gamma"]), value, constraints[0]]
                           for p, (value, constraints) in zip(points, record)]
    return runs


def _traced_run(optimizer: str, seed: int) -> tuple[list[dict[str, Any]], Record]:
    """The points and the record of one run of `optimizer` on svc_size."""
    problem = PROBLEMS["svc_size"]
    points: list[dict[str, Any]] = []

    def evaluate(params: Mapping[str, Any]) -> tuple[float, list[float]]:
        points.append(dict(params))
        return problem.evaluate(params)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        record = (_run_bayesopt(problem.space, evaluate, seed, ignore=False)
                  if optimizer == "bayesopt" else _run_optuna(problem.space, evaluate, seed, "gp"))
    return points, record


def grid(box: tuple[float, float, float, float], step: float) -> list[list[float]]:
    """[log10 C, log10 γ, y, c] on the grid of spacing `step` (decades) over the box
    (log10 C from, to, log10 γ from, to)."""
    problem = PROBLEMS["svc_size"]
    axes = [np.linspace(low, high, round((high - low) / step) + 1)
            for low, high in (box[:2], box[2:])]
    rows = []
    for log_c in axes[0]:
        for log_gamma in axes[1]:
            value, constraints = problem.evaluate({"C": 10.0**log_c, "gamma": 10.0**log_gamma})
            rows.append([float(log_c), float(log_gamma), value, constraints[0]])
    return rows


def variants(names: list[str], seeds: list[int], problems: list[str]) -> str:
    """The table of median [quartiles] best feasible regret per problem and variant, with
    the runs at svc_size's floor (its best value seen, 0.02107) and the CPU seconds."""
    unknown = [name for name in names if name not in VARIANTS]
    if unknown:
        raise ValueError(f"variants={unknown!r}: not in {list(VARIANTS)}")
    missing = [name for name in problems if name not in PROBLEMS]
    if missing:
        raise ValueError(f"problems={missing!r}: not in {list(PROBLEMS)}")
    lines = ["| variant | " + " | ".join(problems) + " | svc_size at 0.0211 | CPU s |",
             "|---|" + "---|" * (len(problems) + 2)]
    for name in names:
        start = time.process_time()
        cells, floor = [], "—"
        for problem_name in problems:
            problem = PROBLEMS[problem_name]
            optimum = problem.optimum() or 0.0
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                scores = [_best_feasible(_run_bayesopt(problem.space, problem.evaluate, seed,
                                                       ignore=False, options=VARIANTS[name]))
                          - optimum for seed in seeds]
            cells.append(_quartiles(scores))
            if problem_name == "svc_size":
                floor = f"{sum(s < 0.0211 for s in scores)}/{len(seeds)}"
        lines.append(f"| {name} | " + " | ".join(cells) +
                     f" | {floor} | {time.process_time() - start:.0f} |")
        print(lines[-1], file=sys.stderr, flush=True)
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["trace", "grid", "variants"])
    parser.add_argument("--optimizer", default="bayesopt", choices=TRACED)
    parser.add_argument("--seeds", default="0-9")
    parser.add_argument("--box", default="-3,3,-5,1", help="grid: log10 C from,to, log10 γ from,to")
    parser.add_argument("--step", type=float, default=0.2, help="grid: spacing in decades")
    parser.add_argument("--variants", default="default,observed")
    parser.add_argument("--problems", default=",".join(PROBLEMS))
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    seeds = _seeds(args.seeds)
    if args.what == "trace":
        args.out.write_text(json.dumps(trace(args.optimizer, seeds)))
    elif args.what == "grid":
        args.out.write_text(json.dumps(grid(_box(args.box), args.step)))
    else:
        table = variants(args.variants.split(","), seeds, args.problems.split(","))
        args.out.write_text(table)
        sys.stdout.write(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Ablation of the constraint GPs' warps on the constrained bench (bench.constraints).

    python -m bench.constraint_warps [--seeds 10] [--warps identity,bilog,evidence]

Each constraint GP models g(c) with g chosen from `bayesopt.outcomes.CONSTRAINT_WARPS`
by evidence ("evidence", the library's rule: identity or bilog at every ask). This
runs bayesopt alone (constrained LogEI, 30 evaluations, 5 initial points, as in
bench.constraints) with the candidates restricted to one warp — "identity" (the
rule before the warps existed) or "bilog" (SCBO's, always) — or with the rule, and
writes the median [quartiles] best feasible regret per problem to
bench/results/constraint_warps.md. Nothing is cached; ~45 s of CPU per warp.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from bayesopt import outcomes
from bench.constraints import PROBLEMS, _best_feasible, _quartiles, _run_bayesopt

OUT = Path(__file__).parent / "results" / "constraint_warps.md"
RULE = outcomes.CONSTRAINT_WARPS


def _candidates(warp: str) -> tuple[outcomes.ConstraintWarp, ...]:
    if warp == "evidence":
        return RULE
    chosen = tuple(w for w in RULE if w.name == warp)
    if not chosen:
        raise ValueError(f"warp={warp!r}: not one of {[w.name for w in RULE] + ['evidence']}")
    return chosen


def run(warp: str, seeds: list[int]) -> tuple[dict[str, list[float]], float]:
    """Best feasible regrets per problem with the warp candidates of `warp`; CPU seconds."""
    outcomes.CONSTRAINT_WARPS = _candidates(warp)  # read at each fit (bench knob)
    start = time.process_time()
    try:
        scores = {}
        for name, problem in PROBLEMS.items():
            optimum = problem.optimum() or 0.0
            scores[name] = [_best_feasible(_run_bayesopt(problem.space, problem.evaluate, s,
                                                         ignore=False)) - optimum
                            for s in seeds]
    finally:
        outcomes.CONSTRAINT_WARPS = RULE
    return scores, time.process_time() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--warps", default="identity,bilog,evidence")
    args = parser.parse_args(argv)
    seeds = list(range(args.seeds))
    warps = args.warps.split(",")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rows = {warp: run(warp, seeds) for warp in warps}
    lines = ["# Constraint GP warps: best feasible regret after 30 evaluations (bayesopt)", "",
             (f"Median [quartiles] over {len(seeds)} seeds (svc_size: the CV error itself). "
             f"Command: `python -m bench.constraint_warps --seeds {args.seeds} --warps "
             f"{args.warps}`."), "",
             "| warp | " + " | ".join(PROBLEMS) + " | CPU s |",
             "|---|" + "---|" * (len(PROBLEMS) + 1)]
    for warp, (scores, cpu) in rows.items():
        cells = [_quartiles(scores[name]) for name in PROBLEMS]
        lines.append(f"| {warp} | " + " | ".join(cells) + f" | {cpu:.0f} |")
    floors = {w: int(np.sum(np.array(s["svc_size"]) < 0.0211)) for w, (s, _) in rows.items()}
    lines += ["", "svc_size runs at its floor (0.0211): "
              + ", ".join(f"{w} {n}/{len(seeds)}" for w, n in floors.items()) + "."]
    OUT.write_text("\n".join(lines) + "\n")
    sys.stdout.write(OUT.read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

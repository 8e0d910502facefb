"""Ablation of the constraint GPs' warps on the constrained bench (bench.constraints).

    python -m bench.constraint_warps [--seeds 10] [--warps identity,bilog,evidence]

Each constraint GP models g(c) with g chosen from `bayesopt.outcomes.CONSTRAINT_WARPS`
by evidence ("evidence", the library's rule: identity or bilog at every ask). This
runs bayesopt alone (constrained LogEI, 30 evaluations, 5 initial points, as in
bench.constraints) with the candidates restricted to one warp — "identity" (the
rule before the warps existed) or "bilog" (SCBO's, always) — or with the rule, and
writes the median [quartiles] best feasible regret per problem to
bench/results/constraint_warps.md, with, under the rule, how many constraint-GP fits
(one per constraint per model-based ask) kept each warp. Nothing is cached; ~45 s of
CPU per warp.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

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


@contextmanager
def counting_choices(chosen: Counter[str]) -> Iterator[None]:
    """Count, in `chosen`, the warp each constraint-GP fit keeps: the first of the largest
    evidence, as `OutcomeModels._fit_constraint` picks it (bench instrumentation: each
    candidate's log_slope names it, and `_log_evidence` records its evidence)."""
    fit_constraint, log_evidence = outcomes.OutcomeModels._fit_constraint, outcomes._log_evidence
    candidates = outcomes.CONSTRAINT_WARPS
    evidences: list[tuple[str, float]] = []
    named: list[str] = []

    def tagged(warp: outcomes.ConstraintWarp) -> outcomes.ConstraintWarp:
        def log_slope(c: np.ndarray) -> np.ndarray:
            named.append(warp.name)
            return warp.log_slope(c)
        return replace(warp, log_slope=log_slope)

    def recording(model: Any, log_slope: np.ndarray) -> float:
        value = log_evidence(model, log_slope)
        evidences.append((named[-1], value))
        return value

    def fit(self: Any, X: np.ndarray, c: np.ndarray, rng: np.random.Generator) -> Any:
        evidences.clear()
        model = fit_constraint(self, X, c, rng)
        chosen[max(evidences, key=lambda pair: pair[1])[0]] += 1
        return model

    outcomes.CONSTRAINT_WARPS = tuple(tagged(w) for w in candidates)
    outcomes._log_evidence = recording
    outcomes.OutcomeModels._fit_constraint = fit  # type: ignore[method-assign]
    try:
        yield
    finally:
        outcomes.CONSTRAINT_WARPS = candidates
        outcomes._log_evidence = log_evidence
        outcomes.OutcomeModels._fit_constraint = fit_constraint  # type: ignore[method-assign]


def run(warp: str, seeds: list[int]) -> tuple[dict[str, list[float]], float,
                                              dict[str, Counter[str]]]:
    """Best feasible regrets per problem with the warp candidates of `warp`; CPU seconds;
    per problem, how many constraint-GP fits kept each warp."""
    outcomes.CONSTRAINT_WARPS = _candidates(warp)  # read at each fit (bench knob)
    start = time.process_time()
    try:
        scores, chosen = {}, {}
        for name, problem in PROBLEMS.items():
            optimum = problem.optimum() or 0.0
            chosen[name] = Counter[str]()
            with counting_choices(chosen[name]):
                scores[name] = [_best_feasible(_run_bayesopt(problem.space, problem.evaluate,
                                                             s, ignore=False)) - optimum
                                for s in seeds]
    finally:
        outcomes.CONSTRAINT_WARPS = RULE
    return scores, time.process_time() - start, chosen


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
    for warp, (scores, cpu, _) in rows.items():
        cells = [_quartiles(scores[name]) for name in PROBLEMS]
        lines.append(f"| {warp} | " + " | ".join(cells) + f" | {cpu:.0f} |")
    floors = {w: int(np.sum(np.array(s["svc_size"]) < 0.0211)) for w, (s, _, _) in rows.items()}
    lines += ["", "svc_size runs at its floor (0.0211): "
              + ", ".join(f"{w} {n}/{len(seeds)}" for w, n in floors.items()) + "."]
    if "evidence" in rows:
        chosen = rows["evidence"][2]
        lines += ["", "Under the rule (evidence), the warp each constraint-GP fit kept (one fit "
                  "per constraint per model-based ask, all seeds): "
                  + "; ".join(f"{name} " + ", ".join(f"{w.name} {chosen[name][w.name]}"
                                                     for w in RULE)
                              + f" of {sum(chosen[name].values())}" for name in PROBLEMS)
                  + "."]
    OUT.write_text("\n".join(lines) + "\n")
    sys.stdout.write(OUT.read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

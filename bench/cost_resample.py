"""Seed resampling of the cost bench: how often one method beats another over bootstrap draws.

    python -m bench.cost_resample [--draws 200]

From the cached runs of `python -m bench.constraints cost` (10 seeds): 200
bootstrap draws of the seeds (`numpy.random.default_rng(0).integers(0, 10, 10)`
per draw, the same seeds for LogEI's target and budget and for every method),
the cost ratio of bench/results/cost.md recomputed for each draw. Reports, per
problem, the share of draws in which each method's ratio is ≤ 0.6 and its
median, and for pairs of methods the share in which the first reached the
target at no more cost than the second (a draw where neither reaches it counts
as a tie, i.e. for the first). Writes bench/results/cost_resample.md.
"""

from __future__ import annotations

import argparse
import math
import sys

import numpy as np

from bench import constraints as bc

SEEDS = 10
PAIRS = (("logei_per_cost", "logei_per_cost_cooled"),
         ("logei_per_cost_design", "logei_per_cost"),
         ("logei_per_cost_cooled_design", "logei_per_cost_cooled"))
OUT = bc.OUT / "cost_resample.md"


def ratio(base: list[bc.CostRecord], runs: list[bc.CostRecord]) -> float:
    """The cost ratio of cost.md: the smallest total cost at which the runs' median best
    reaches the median best of `base`, over the median total cost of `base`."""
    target = float(np.median([min(v for v, _ in r) for r in base]))
    total = float(np.median([sum(c for _, c in r) for r in base]))
    levels = sorted({sum(c for _, c in r[: i + 1]) for r in runs for i in range(len(r))})
    return next((lv for lv in levels if bc.median_best_at(runs, lv) <= target), math.inf) / total


def resample(problem: str, draws: int) -> list[str]:
    """The table rows of one problem."""
    methods = bc.COST_METHODS[1:]
    base = [bc.load_cost_run(problem, "logei", s) for s in range(SEEDS)]
    runs = {m: [bc.load_cost_run(problem, m, s) for s in range(SEEDS)] for m in methods}
    rng = np.random.default_rng(0)
    ratios: dict[str, list[float]] = {m: [] for m in methods}
    for _ in range(draws):
        seeds = rng.integers(0, SEEDS, SEEDS)
        drawn = [base[i] for i in seeds]
        for m in methods:
            ratios[m].append(ratio(drawn, [runs[m][i] for i in seeds]))
    r = {m: np.array(v) for m, v in ratios.items()}
    rows = [f"| {problem} | {m} | {np.mean(r[m] <= 0.6):.0%} | {np.median(r[m]):.2f} |"
            for m in methods]
    rows += [f"| {problem} | {a} ≤ {b} | {np.mean(r[a] <= r[b]):.0%} | |" for a, b in PAIRS]
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=200)
    args = parser.parse_args(argv)
    intro = (f"{args.draws} bootstrap draws of the {SEEDS} seeds of bench/results/cost.md's "
             "runs. Per method: the share of draws whose cost ratio is ≤ 0.6, and the median "
             "ratio. Per pair 'a ≤ b': the share of draws in which a reached LogEI's median "
             "at no more cost than b (both not reaching it counts). Command: "
             f"`python -m bench.cost_resample --draws {args.draws}`.")
    lines = ["# Cost bench: seed resampling", "", intro, "",
             "| problem | method or pair | ratio ≤ 0.6, or a ≤ b | median ratio |",
             "|---|---|---|---|"]
    for problem in bc.COST_PROBLEMS:
        lines += resample(problem, args.draws)
    OUT.write_text("\n".join(lines) + "\n")
    sys.stdout.write(OUT.read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

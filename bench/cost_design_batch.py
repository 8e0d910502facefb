"""CArBO's cost-effective initial design asked in batches: regret, cost, CPU per batch ask.

    python -m bench.cost_design_batch [--seeds 30] [--q 4] [--batches 8] [--out FILE]
                                      [--runs FILE]

`acquisition="logei_per_cost"` with `OptimizerOptions(cost_design=CostDesignOptions())`
(Lee et al. 2020; `bayesopt.cost_design`) on branin_cost and hartmann3_cost of
`bench.constraints`, `n_initial` 10 (a design that outlasts the first batch, so that
whole batches of cost-effective points are asked) and 5 (the default: one such point,
in the second batch), asking `--q` points at a time (`ask(q)`) and telling each batch
before the next, `--batches` batches, seeds 0 to `--seeds` − 1.

Reported per problem and n_initial, as medians over seeds: the regret (best value − f*)
after every batch; the regret among the evaluations paid for within a fixed cost
(`LEVELS`, about a third of what 8 batches of 4 spend); the design's cost (the first n_initial
evaluations); the total cost; and the CPU time (`time.process_time`, this process) of
the batch asks that hold a cost-effective design point — the median over those asks
of all runs, in ms. Printed, and written to `--out` if given (the curated write-up is
bench/results/cost_design_batch.md: not overwritten by default); `--runs` writes every
run's (value, cost) record as JSON, {"problem/n_initial": [record per seed]}, for paired
comparisons of two versions. Run it with OMP_NUM_THREADS=1 and say the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
import warnings
from pathlib import Path

from bayesopt import CostDesignOptions, Optimizer, OptimizerOptions
from bayesopt.argtypes import positive_int
from bench import constraints as bc
from bench.model_options_cost import emit

PROBLEMS = ("branin_cost", "hartmann3_cost")
# a cost level per problem, about a third of what 8 batches of 4 spend (regret paid for within it)
LEVELS = {"branin_cost": 150.0, "hartmann3_cost": 300.0}
N_INITIAL = (10, 5)
SPACE_FILLING = CostDesignOptions().n_space_filling


def run(problem: str, seed: int, n_initial: int, q: int,
        batches: int) -> tuple[list[tuple[float, float]], list[float]]:
    """(value, cost) of each evaluation, and the CPU ms of each batch ask holding a
    cost-effective design point (a design point after the first `n_space_filling`)."""
    p = bc.COST_PROBLEMS[problem]
    opt = Optimizer(p.space, seed=seed, n_initial=n_initial, acquisition="logei_per_cost",
                    options=OptimizerOptions(cost_design=CostDesignOptions()))
    record: list[tuple[float, float]] = []
    design_ms: list[float] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(batches):
            start = time.process_time()
            points = opt.ask(q)
            elapsed = 1000.0 * (time.process_time() - start)
            # the batch's positions in the run: a cost-effective point is a design point
            # (before n_initial) once a cost is told (after the first batch)
            if record and len(record) < n_initial and len(record) + q > SPACE_FILLING:
                design_ms.append(elapsed)
            for params in points:
                value, cost = p.evaluate(params)
                record.append((value, cost))
            opt.tell(points, [v for v, _ in record[-q:]], cost=[c for _, c in record[-q:]])
    return record, design_ms


def best_after(record: list[tuple[float, float]], n: int) -> float:
    return min(v for v, _ in record[:n])


def table(args: argparse.Namespace, kept: dict[str, list[list[tuple[float, float]]]],
          ) -> list[str]:
    seeds = range(args.seeds)
    head = " | ".join(f"regret @{(b + 1) * args.q}" for b in range(args.batches))
    rows = [(f"| problem | n_initial | {head} | regret @ cost level | design cost | "
             "total cost | ms per design batch ask |"),
            "|---|---|" + "---|" * args.batches + "---|---|---|---|"]
    for problem in PROBLEMS:
        optimum = bc.COST_PROBLEMS[problem].optimum
        assert optimum is not None, problem
        for n_initial in N_INITIAL:
            runs = [run(problem, s, n_initial, args.q, args.batches) for s in seeds]
            records = [r for r, _ in runs]
            kept[f"{problem}/{n_initial}"] = records
            regrets = [statistics.median(best_after(r, (b + 1) * args.q) - optimum
                                         for r in records) for b in range(args.batches)]
            level = LEVELS[problem]
            at_level = bc.median_best_at(records, level) - optimum
            design = statistics.median(sum(c for _, c in r[:n_initial]) for r in records)
            total = statistics.median(sum(c for _, c in r) for r in records)
            ms = [t for _, times in runs for t in times]
            rows.append(f"| {problem} | {n_initial} | "
                        + " | ".join(f"{x:.3g}" for x in regrets)
                        + f" | {at_level:.3g} (at {level:g}) | {design:.1f} | {total:.1f} | "
                        + (f"{statistics.median(ms):.0f} ({len(ms)} asks) |" if ms else "– |"))
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=positive_int, default=30)
    parser.add_argument("--q", type=positive_int, default=4)
    parser.add_argument("--batches", type=positive_int, default=8)
    parser.add_argument("--out", default=None)
    parser.add_argument("--runs", default=None)
    args = parser.parse_args(argv)
    kept: dict[str, list[list[tuple[float, float]]]] = {}
    rows = table(args, kept)
    if args.runs is not None:
        Path(args.runs).write_text(json.dumps(kept), encoding="utf-8")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    command = (f"python -m bench.cost_design_batch --seeds {args.seeds} --q {args.q} "
               f"--batches {args.batches}")
    emit([f"`{command}` (medians over seeds; load average at the end {load})", "", *rows],
         None if args.out is None else Path(args.out))


if __name__ == "__main__":
    main()

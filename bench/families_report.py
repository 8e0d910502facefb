"""The tables of bench/results/families.md from the cached runs of `bench.families`' problems.

    python -m bench.families_report [--runs DIR] [--seeds 0-9] [--optimizers a,b,...]

Notation: problems p of family F (`bench.families.FAMILIES`), optimizers o, s_{p,o,k} the
final score of seed k (1 − cross-validated accuracy of the best observed point,
`bench.quality.score_curve`), m_{p,o} its median over the seeds. Everything is the
suite's own judging (`bench.quality.collect`, `ranks`, `n_strictly_better`):

    rank_{p,o}      1 + #{o' : m_{p,o'} < m_{p,o}} + ½·#{o' ≠ o : m_{p,o'} = m_{p,o}}
    mean rank       the mean of rank_{p,o} over the problems of F, and over all six
    outside three   #{o' : m_{p,o'} < m_{p,o}} ≥ 3 (quality.md's reading); "by how much"
                    is m_{p,o} − m_{p,(3)}, m_{p,(3)} the third-smallest median of the others
    per seed        for a problem where some o' has m_{p,o'} < m_{p,bayesopt}, s_{p,o,k} of
                    every seed k, and how many seeds of `bayesopt` score above min_o m_{p,o}

A problem enters a table only when every optimizer has every selected seed of it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from bench import quality
from bench.families import FAMILIES

RUNS = quality.RESULTS / "families"
HEADLINE = quality.HEADLINE
PROBLEMS = [p for family in FAMILIES.values() for p in family]


def register() -> None:
    """Name every family problem by its `bench.families:<name>` spec, as `--problem` would."""
    for name in PROBLEMS:
        quality.PROBLEM_SPECS.setdefault(name, f"bench.families:{name}")


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def report(runs: Path, seeds: list[int], optimizers: list[str]) -> list[str]:
    """The markdown tables (medians, ranks, outside the best three, per seed), as lines."""
    register()
    cells, errors = quality.collect(runs, PROBLEMS, optimizers, seeds, None)
    if errors:
        raise ValueError(f"runs that raised, by (problem, optimizer): {errors}")
    problems = [p for p in PROBLEMS if all((p, o) in cells for o in optimizers)]
    if not problems:
        raise ValueError(f"no problem has every seed of every optimizer under {runs}")
    rank = quality.ranks(cells, problems, optimizers)
    lines = ["| problem | " + " | ".join(optimizers) + " |", "|---|" + "---:|" * len(optimizers)]
    for p in problems:
        best = min(rank[p].values())
        row = []
        for o in optimizers:
            q25, q75 = cells[p, o].quartiles()
            text = f"{_fmt(cells[p, o].median())} [{_fmt(q25)}, {_fmt(q75)}]"
            row.append(f"**{text}**" if rank[p][o] == best else text)
        lines.append(f"| {p} | " + " | ".join(row) + " |")
    lines += ["", "| rank of the median | " + " | ".join(optimizers) + " |",
              "|---|" + "---:|" * len(optimizers)]
    lines += [f"| {p} | " + " | ".join(f"{rank[p][o]:g}" for o in optimizers) + " |"
              for p in problems]
    groups = {**{f"mean rank, {f}": [p for p in members if p in problems]
                 for f, members in FAMILIES.items()}, "mean rank, all": problems}
    means: dict[str, dict[str, float]] = {}
    for label, members in groups.items():
        if members:
            means[label] = {o: float(np.mean([rank[p][o] for p in members])) for o in optimizers}
            lines.append(f"| **{label}** ({len(members)}) | "
                         + " | ".join(f"**{means[label][o]:.2f}**" for o in optimizers) + " |")
    lines.append("")
    overall = means["mean rank, all"]
    for o in sorted(optimizers, key=lambda o: overall[o]):
        outside = [p for p in problems if quality.n_strictly_better(cells, p, o, optimizers) >= 3]
        lines.append(f"- {o}: mean rank {overall[o]:.2f}; outside the best three on "
                     f"{len(outside)} of {len(problems)}: {', '.join(outside) or 'none'}")
    return lines + _headline_losses(cells, problems, optimizers, seeds)


def _headline_losses(cells: dict[tuple[str, str], quality.Cell], problems: list[str],
                     optimizers: list[str], seeds: list[int]) -> list[str]:
    """The per-seed picture where another optimizer has a strictly better median than the headline."""
    if HEADLINE not in optimizers:
        return []
    lines: list[str] = []
    for p in problems:
        behind = quality.n_strictly_better(cells, p, HEADLINE, optimizers)
        if behind == 0:
            continue
        medians = {o: cells[p, o].median() for o in optimizers}
        others = sorted(medians[o] for o in optimizers if o != HEADLINE)
        best = min(medians, key=medians.__getitem__)
        above = int(np.sum(cells[p, HEADLINE].final > medians[best]))
        head = (f"{p}: {behind} strictly better; {HEADLINE}'s median {_fmt(medians[HEADLINE])}, "
                f"the best {_fmt(medians[best])} ({best}, gap {_fmt(medians[HEADLINE] - medians[best])}), "
                f"the third-best other {_fmt(others[2])} (gap {_fmt(medians[HEADLINE] - others[2])}); "
                f"{above} of {len(seeds)} of its seeds score above the best median")
        lines += ["", head, "", "| seed | " + " | ".join(optimizers) + " |",
                  "|---:|" + "---:|" * len(optimizers)]
        lines += [f"| {k} | " + " | ".join(_fmt(cells[p, o].final[i]) for o in optimizers) + " |"
                  for i, k in enumerate(seeds)]
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=Path, default=RUNS,
                        help="a directory with runs/<problem>/<optimizer>/seedNNN.json "
                        "(default: bench/results/families)")
    parser.add_argument("--seeds", type=quality.seeds_argument, default=list(range(10)),
                        help="N (seeds 0..N-1), a range low-high, or a list: as bench.quality")
    parser.add_argument("--optimizers", default="bayesopt,bayesopt-ei,optuna-tpe,optuna-gp,"
                        "random,hyperopt", help="comma-separated optimizer names")
    args = parser.parse_args(argv)
    print("\n".join(report(args.runs, args.seeds, args.optimizers.split(","))))


if __name__ == "__main__":
    main()

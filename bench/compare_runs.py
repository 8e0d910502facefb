"""Compare one optimizer's quality-suite runs in two output directories, seed by seed.

    python -m bench.compare_runs BEFORE AFTER [--optimizer bayesopt] [--seeds 10]
                                 [--problems ...]

For a change that alters the asked points (a candidate default), BEFORE is
the committed `bench/results` and AFTER a `bench.quality --out` run of the
candidate. Per problem, on the suite's final score (the noiseless regret of
the best observed point, `bench.quality.score_curve`): both medians, how
many seeds ended worse / better / equal (the seeds pair the runs: same
problem instance and initial design), a 95 % bootstrap interval of the
difference of medians (4000 resamples of each side's seeds), and the paired
Wilcoxon signed-rank p-value. "Within seed noise" means the interval holds 0.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from scipy.stats import wilcoxon

from bayesopt.argtypes import positive_int
from bench.quality import collect

DEFAULT_PROBLEMS = ("branin,six_hump_camel,hartmann3,hartmann6,ackley5,rosenbrock4,michalewicz5,"
                    "styblinski_tang8,levy10,branin_noisy,hartmann6_noisy,svc_cancer,hgb_cancer,"
                    "mlp_digits,sgd_cancer")
RESAMPLES = 4000


def finals(out: Path, problems: list[str], optimizer: str, seeds: list[int]) -> dict[str, np.ndarray]:
    """Final scores (seeds,) per problem whose every seed is cached under `out`."""
    cells, _ = collect(out, problems, [optimizer], seeds, None)
    return {problem: cell.final for (problem, _), cell in cells.items()}


def row(problem: str, before: np.ndarray, after: np.ndarray) -> str:
    worse, better = int(np.sum(after > before)), int(np.sum(after < before))
    rng = np.random.default_rng(0)
    diffs = [np.median(rng.choice(after, after.size)) - np.median(rng.choice(before, before.size))
             for _ in range(RESAMPLES)]
    low, high = np.percentile(diffs, [2.5, 97.5])
    p = float(wilcoxon(after, before).pvalue) if np.any(after != before) else 1.0
    return (f"| {problem} | {np.median(before):.3g} | {np.median(after):.3g} | "
            f"{worse} / {better} / {before.size - worse - better} | [{low:+.3g}, {high:+.3g}] | "
            f"{'yes' if low <= 0 <= high else '**no**'} | {p:.2f} |")


def report(before: dict[str, np.ndarray], after: dict[str, np.ndarray]) -> str:
    head = ("| problem | median before | median after | seeds worse / better / equal | "
            "95 % interval of the median difference | holds 0 | Wilcoxon p |")
    lines = [head, "|---|---:|---:|---:|---:|---|---:|"]
    lines += [row(p, before[p], after[p]) for p in before if p in after]
    missing = sorted(set(before) ^ set(after))
    if missing:
        lines.append(f"\nnot in both (some seed missing): {', '.join(missing)}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--optimizer", default="bayesopt")
    parser.add_argument("--seeds", type=positive_int, default=10)
    parser.add_argument("--problems", default=DEFAULT_PROBLEMS)
    args = parser.parse_args(argv)
    problems, seeds = args.problems.split(","), list(range(args.seeds))
    print(report(finals(args.before, problems, args.optimizer, seeds),
                 finals(args.after, problems, args.optimizer, seeds)))


if __name__ == "__main__":
    main()

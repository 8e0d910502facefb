"""Compare one optimizer's quality-suite runs in two output directories, seed by seed.

    python -m bench.compare_runs BEFORE AFTER [--optimizer bayesopt] [--seeds 10]
                                 [--problems ...] [--after-optimizer NAME]

`--seeds` as `bench.quality`'s: "10" is seeds 0–9, "10-19" a replication's seeds.

For a change that alters the asked points (a candidate default), BEFORE is
the committed `bench/results` and AFTER a `bench.quality --out` run of the
candidate; for an ablation variant's committed runs, BEFORE = AFTER =
`bench/results` and `--after-optimizer bayesopt-VARIANT`. Per problem, on the
suite's final score (the noiseless regret of the best observed point,
`bench.quality.score_curve`): both medians, how many seeds ended worse /
better / equal (the seeds pair the runs: same problem instance and initial
design), two 95 % bootstrap intervals and the paired Wilcoxon signed-rank
p-value; after the table, the seeds worse / better / equal summed over the problems
and the two-sided sign test on the worse and better counts (ties dropped; binomial,
p = ½). "Within seed noise" was read as the unpaired interval holding 0; the
pairing warrants the paired one (bench/results/paired_intervals.md re-reads
the committed comparisons).

Notation: seeds i = 1..n, before b_i and after a_i, paired differences
d_i = a_i − b_i (positive: after is worse); I and J are resamples of n seed
indices with replacement, `RESAMPLES` of each, percentile ends 2.5 and 97.5.

    unpaired   median(a[I]) − median(b[J]), I and J drawn independently
               ("95 % interval of the median difference": each side resampled
               on its own, as for two independent samples; kept unchanged so
               the committed write-ups reproduce)
    paired     median(d[I]), one I per resample shared by both sides
               ("95 % paired interval of the median seed difference")

The paired design is resampled by pairs, i.e. as one sample of differences
(Efron & Tibshirani 1993, *An Introduction to the Bootstrap*: resample the
units that were sampled; ch. 13, the percentile interval). It gives [0, 0] for
a variant against itself and [c, c] for a constant shift c, where the unpaired
interval adds the spread between seeds to the effect. The statistic is the
median of the differences, not the difference of medians under joint
resampling: it is the per-seed effect the pairing measures, the location of
the d_i that the signed-rank test beside it is about (Wilcoxon 1945), and the
one-sample median has a distribution-free interval to check against (the sign
test's). A bootstrap median of 10 seeds takes few values: the ends fall
between neighbouring order statistics of the d_i, mostly in (d₍₂₎, d₍₃₎] and
[d₍₈₎, d₍₉₎), and [d₍₃₎, d₍₈₎] holds the median of the differences with
probability 89 %, [d₍₂₎, d₍₉₎] with 98 % (Bin(10, ½)): read the interval with
the sign counts (bench/results/paired_intervals.md).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from scipy.stats import binomtest, wilcoxon

from bench.quality import collect, seeds_argument

DEFAULT_PROBLEMS = ("branin,six_hump_camel,hartmann3,hartmann6,ackley5,rosenbrock4,michalewicz5,"
                    "styblinski_tang8,levy10,branin_noisy,hartmann6_noisy,svc_cancer,hgb_cancer,"
                    "mlp_digits,sgd_cancer")
RESAMPLES = 4000
# `row`'s columns: the first seven are the table every committed write-up printed
HEAD = ("| problem | median before | median after | seeds worse / better / equal | "
        "95 % interval of the median difference | holds 0 | Wilcoxon p | "
        "95 % paired interval of the median seed difference | paired holds 0 |")
HEAD_RULE = "|---|---:|---:|---:|---:|---|---:|---:|---|"


def finals(out: Path, problems: list[str], optimizer: str, seeds: list[int]) -> dict[str, np.ndarray]:
    """Final scores (seeds,) per problem whose every seed is cached under `out`."""
    cells, _ = collect(out, problems, [optimizer], seeds, None)
    return {problem: cell.final for (problem, _), cell in cells.items()}


def unpaired_interval(before: np.ndarray, after: np.ndarray) -> tuple[float, float]:
    """95 % percentile interval of median(after[I]) − median(before[J]), I and J drawn
    independently: the column "95 % interval of the median difference" (unchanged, seed 0)."""
    rng = np.random.default_rng(0)
    diffs = [np.median(rng.choice(after, after.size)) - np.median(rng.choice(before, before.size))
             for _ in range(RESAMPLES)]
    low, high = np.percentile(diffs, [2.5, 97.5])
    return float(low), float(high)


def paired_interval(before: np.ndarray, after: np.ndarray) -> tuple[float, float]:
    """95 % percentile interval of median(d[I]), d = after − before seed by seed and I one
    resample of seed indices shared by both sides (module docstring)."""
    if before.shape != after.shape or before.ndim != 1 or before.size == 0:
        raise ValueError(f"before and after must be paired by seed: shapes {before.shape} "
                         f"and {after.shape}")
    diffs = after - before  # (n,)
    rows = np.random.default_rng(0).integers(0, diffs.size, (RESAMPLES, diffs.size))
    low, high = np.percentile(np.median(diffs[rows], axis=1), [2.5, 97.5])
    return float(low), float(high)


def _interval(low: float, high: float) -> str:
    return f"[{low:+.3g}, {high:+.3g}] | {'yes' if low <= 0 <= high else '**no**'}"


def row(problem: str, before: np.ndarray, after: np.ndarray) -> str:
    """One line of `HEAD`'s table (after − before: positive is worse)."""
    worse, better = int(np.sum(after > before)), int(np.sum(after < before))
    p = float(wilcoxon(after, before).pvalue) if np.any(after != before) else 1.0
    return (f"| {problem} | {np.median(before):.3g} | {np.median(after):.3g} | "
            f"{worse} / {better} / {before.size - worse - better} | "
            f"{_interval(*unpaired_interval(before, after))} | {p:.2f} | "
            f"{_interval(*paired_interval(before, after))} |")


def sign_test(before: dict[str, np.ndarray], after: dict[str, np.ndarray]) -> str:
    """The paired runs ended worse / better / equal, counted over every row in both, and the
    two-sided sign test of the untied ones (binomial, p = ½). Rows that share runs (a
    problem at several checkpoints) are not independent: the p-value then flags a lean, it
    does not measure one."""
    diffs = np.concatenate([after[key] - before[key] for key in before if key in after])
    worse, better = int(np.sum(diffs > 0)), int(np.sum(diffs < 0))
    p = binomtest(worse, worse + better).pvalue if worse + better else 1.0
    return (f"Over all rows: {worse} worse / {better} better / {diffs.size - worse - better} "
            f"equal; two-sided sign test on the untied, p = {p:.2g}.")


def report(before: dict[str, np.ndarray], after: dict[str, np.ndarray]) -> str:
    lines = [HEAD, HEAD_RULE]
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
    parser.add_argument("--after-optimizer", default=None,
                        help="AFTER's optimizer, e.g. an ablation variant beside the default "
                             "in the same directory (default: --optimizer)")
    parser.add_argument("--seeds", type=seeds_argument, default=list(range(10)),
                        help="N (seeds 0..N-1), a range low-high, or a list: as bench.quality")
    parser.add_argument("--problems", default=DEFAULT_PROBLEMS)
    args = parser.parse_args(argv)
    problems, seeds = args.problems.split(","), args.seeds
    before = finals(args.before, problems, args.optimizer, seeds)
    after = finals(args.after, problems, args.after_optimizer or args.optimizer, seeds)
    print(report(before, after) + "\n\n" + sign_test(before, after))


if __name__ == "__main__":
    main()

"""The quality suite's ranks with one optimizer's runs taken from another directory.

    python -m bench.rank [RUNS:NAME] [--reference RUNS:NAME] [--seeds 10] [--results DIR]
                         [--without NAME,NAME]

The ablation rule's steps 1 and 4 (bench/results/ablation_round17.md) in one command.
The peers are the protocol optimizers of `bench.quality` (quality.md's table) with
their runs in ``--results`` (default: the committed bench/results); the candidate —
``RUNS:NAME``, the runs of optimizer NAME under directory RUNS (a ``bench.quality
--out`` directory, or ``bench/results/control_0.11.0``) — takes bayesopt's place among
them, and so does the reference (default: the committed default, ``bench/results:bayesopt``).
``--without`` leaves protocol optimizers out of the ranking (``bayesopt-ucb,bayesopt-ei``:
the default among the other libraries only).

Notation: problems p of the suite (24), optimizers o, m_{p,o} the median over the seeds
of o's final score on p (`bench.quality.score_curve`), compared to 10 significant digits.

    rank_{p,o}   1 + #{o' : m_{p,o'} < m_{p,o}} + ½·#{o' ≠ o : m_{p,o'} = m_{p,o}}
                 (ties share the average, `bench.quality.ranks`)
    mean rank    the mean over the problems where every optimizer has every seed
    best three   #{o' : m_{p,o'} < m_{p,o}} < 3 (`n_strictly_better`): a tie at the
                 third place keeps it
    drop-out     a problem where the reference is in the best three and the candidate
                 is not
    families     per kind of problem (`bench.quality.describe`): seeds where the
                 candidate ended worse / better / equal than the reference (paired by
                 seed), and the two-sided sign test on worse and better (ties dropped;
                 binomial, p = ½), as `bench.compare_runs.sign_test` over all problems
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.stats import binomtest

from bench.compare_runs import finals
from bench.problems import PROBLEM_NAMES
from bench.quality import (
    PROTOCOL_OPTIMIZERS,
    Cell,
    collect,
    describe,
    n_strictly_better,
    ranks,
    seed_text,
    seeds_argument,
)

RESULTS = Path(__file__).resolve().parent / "results"
PLACE = "bayesopt"  # the column the candidate and the reference take


@dataclass(frozen=True)
class Runs:
    """The runs of optimizer `name` under directory `root` (``root/runs/PROBLEM/NAME``)."""

    root: Path
    name: str

    def __str__(self) -> str:
        return f"{self.root}:{self.name}"


def runs_argument(text: str) -> Runs:
    """``RUNS:NAME``; a bare NAME is that optimizer's runs in the committed results."""
    root, sep, name = text.rpartition(":")
    if not sep:
        return Runs(RESULTS, text)
    if not root or not name:
        raise argparse.ArgumentTypeError(f"expected RUNS:NAME or NAME, got {text!r}")
    if not Path(root).is_dir():
        raise argparse.ArgumentTypeError(f"RUNS={root!r} is not a directory")
    return Runs(Path(root), name)


def without_argument(text: str) -> tuple[str, ...]:
    """Comma-separated protocol optimizers other than the place the candidate takes."""
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    known = [o for o in PROTOCOL_OPTIMIZERS if o != PLACE]
    unknown = [name for name in names if name not in known]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"--without={text!r}: {', '.join(map(repr, unknown)) or 'no name'} is not one of "
            f"the peers ({', '.join(known)})")
    return names


@dataclass(frozen=True)
class Standing:
    """One optimizer's place among the peers: its rank per problem, and the problems
    where three or more peers have a strictly better median."""

    ranks: dict[str, float]
    outside_best_three: tuple[str, ...]
    missing: tuple[str, ...]

    @property
    def mean_rank(self) -> float:
        """The mean over the problems ranked; NaN when none is (no peer has those seeds)."""
        return float(np.mean(list(self.ranks.values()))) if self.ranks else float("nan")


def standing(runs: Runs, results: Path, seeds: list[int],
             problems: tuple[str, ...] = PROBLEM_NAMES,
             without: tuple[str, ...] = ()) -> Standing:
    """`runs` in bayesopt's place among the protocol optimizers' runs in `results`, less
    those named in `without`."""
    peers = [o for o in PROTOCOL_OPTIMIZERS if o != PLACE and o not in without]
    cells, _ = collect(results, list(problems), peers, seeds, None)
    mine, _ = collect(runs.root, list(problems), [runs.name], seeds, None)
    missing = tuple(p for p in problems if (p, runs.name) not in mine)
    complete = [p for p in problems
                if p not in missing and all((p, o) in cells for o in peers)]
    table: dict[tuple[str, str], Cell] = {
        (p, o): cells[p, o] for p in complete for o in peers}
    table.update({(p, PLACE): mine[p, runs.name] for p in complete})
    everyone = [PLACE, *peers]
    by_problem = ranks(table, complete, everyone)
    return Standing(
        ranks={p: by_problem[p][PLACE] for p in complete},
        outside_best_three=tuple(p for p in complete
                                 if n_strictly_better(table, p, PLACE, everyone) >= 3),
        missing=tuple(p for p in problems if p not in complete))


def families(candidate: Runs, reference: Runs, seeds: list[int],
             problems: tuple[str, ...] = PROBLEM_NAMES) -> dict[str, tuple[int, int, int, float]]:
    """Per kind of problem and over all ("all"): the candidate's seeds worse, better and
    equal against the reference's, and the sign test's p (module docstring)."""
    before = finals(reference.root, list(problems), reference.name, seeds)
    after = finals(candidate.root, list(problems), candidate.name, seeds)
    counts: dict[str, list[int]] = {}
    for problem in problems:
        if problem not in before or problem not in after:
            continue
        for key in (describe(problem).kind, "all"):
            tally = counts.setdefault(key, [0, 0, 0])
            d = after[problem] - before[problem]
            tally[0] += int(np.sum(d > 0))
            tally[1] += int(np.sum(d < 0))
            tally[2] += int(np.sum(d == 0))
    out = {}
    for key, (worse, better, equal) in sorted(counts.items(), key=lambda kv: kv[0] == "all"):
        p = binomtest(worse, worse + better, 0.5).pvalue if worse + better else 1.0
        out[key] = (worse, better, equal, float(p))
    return out


def report(candidate: Runs, reference: Runs, results: Path, seeds: list[int],
           without: tuple[str, ...] = ()) -> str:
    mine = standing(candidate, results, seeds, without=without)
    theirs = standing(reference, results, seeds, without=without)
    seeds_named = f"seeds {seed_text(seeds)}"
    if not mine.ranks and not theirs.ranks:
        raise SystemExit(f"no problem has every peer's runs in {results} for these "
                         f"{seeds_named}: nothing to rank")
    lines = [f"candidate {candidate}, reference {reference}, peers from {results}, {seeds_named}"
             + (f", without {', '.join(without)}" if without else "")]
    for label, who, s in (("candidate", candidate, mine), ("reference", reference, theirs)):
        lines.append(f"{label}: mean rank {s.mean_rank:.4f} over {len(s.ranks)} problems"
                     + (f" (left out, a run missing: {', '.join(s.missing)})" if s.missing else ""))
        lines.append(f"  not in the best three: {', '.join(s.outside_best_three) or 'none'}")
    dropped = [p for p in mine.outside_best_three
               if p in theirs.ranks and p not in theirs.outside_best_three]
    joined = [p for p in theirs.outside_best_three
              if p in mine.ranks and p not in mine.outside_best_three]
    lines.append(f"drop-outs (reference in the best three, candidate not): "
                 f"{', '.join(dropped) or 'none'}")
    lines.append(f"new in the best three: {', '.join(joined) or 'none'}")
    lines.append("ranks, candidate / reference: " + ", ".join(
        f"{p} {mine.ranks[p]:g}/{theirs.ranks[p]:g}" for p in mine.ranks if p in theirs.ranks))
    lines.append("seeds worse / better / equal than the reference, sign test:")
    for key, (worse, better, equal, p) in families(candidate, reference, seeds).items():
        lines.append(f"  {key}: {worse} / {better} / {equal}, p = {p:.3g}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("candidate", nargs="?", type=runs_argument,
                        default=Runs(RESULTS, PLACE), help="RUNS:NAME (default: the committed "
                        "default's runs)")
    parser.add_argument("--reference", type=runs_argument, default=Runs(RESULTS, PLACE),
                        help="RUNS:NAME whose best three and seeds the candidate is compared "
                        "with (default: the committed default's runs)")
    parser.add_argument("--results", type=Path, default=RESULTS,
                        help="the directory of the peers' runs (default: bench/results)")
    parser.add_argument("--seeds", type=seeds_argument, default=list(range(10)),
                        help="N (seeds 0..N-1), a range low-high, or a list: as bench.quality")
    parser.add_argument("--without", type=without_argument, default=(),
                        help="protocol optimizers left out of the ranking, comma-separated "
                        "(e.g. bayesopt-ucb,bayesopt-ei)")
    args = parser.parse_args(argv)
    print(report(args.candidate, args.reference, args.results, args.seeds, args.without))


if __name__ == "__main__":
    main()

"""bench/rank.py: the quality suite's ranks with one optimizer's runs from elsewhere."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `bench` is not installed: import it from the repository
    sys.path.insert(0, str(ROOT))

from bench.problems import PROBLEM_NAMES
from bench.quality import seed_text
from bench.rank import (
    RESULTS,
    Runs,
    families,
    report,
    runs_argument,
    standing,
    without_argument,
)

SEEDS = list(range(10))


def test_the_committed_default_has_quality_md_s_mean_rank() -> None:
    """quality.md's table (written by `bench.quality --report-only`) is the reference."""
    table = (RESULTS / "quality.md").read_text()
    written = re.search(r"^\| bayesopt \| ([0-9.]+) \|", table, re.MULTILINE)
    assert written is not None
    mine = standing(Runs(RESULTS, "bayesopt"), RESULTS, SEEDS)
    assert len(mine.ranks) == len(PROBLEM_NAMES) and mine.missing == ()
    assert f"{mine.mean_rank:.2f}" == written.group(1)


def test_a_candidate_against_itself_is_equal_everywhere() -> None:
    default = Runs(RESULTS, "bayesopt")
    counts = families(default, default, SEEDS)
    assert counts["all"] == (0, 0, len(PROBLEM_NAMES) * len(SEEDS), 1.0)
    text = report(default, default, RESULTS, SEEDS)
    assert "drop-outs (reference in the best three, candidate not): none" in text


def test_random_search_in_bayesopt_s_place_drops_out_and_ranks_worse(tmp_path: Path) -> None:
    """Random search's runs under another name, one problem left out: that problem is
    missing, the mean is over the others, and every problem where the default is in the
    best three and random is not is a drop-out."""
    left_out = PROBLEM_NAMES[0]
    for problem in PROBLEM_NAMES[1:]:
        target = tmp_path / "runs" / problem / "candidate"
        target.parent.mkdir(parents=True)
        target.symlink_to(RESULTS / "runs" / problem / "random")
    candidate = Runs(tmp_path, "candidate")
    mine = standing(candidate, RESULTS, SEEDS)
    default = standing(Runs(RESULTS, "bayesopt"), RESULTS, SEEDS)
    assert mine.missing == (left_out,) and len(mine.ranks) == len(PROBLEM_NAMES) - 1
    assert mine.mean_rank > default.mean_rank
    text = report(candidate, Runs(RESULTS, "bayesopt"), RESULTS, SEEDS)
    dropped = [p for p in mine.outside_best_three if p not in default.outside_best_three]
    assert dropped
    assert f"drop-outs (reference in the best three, candidate not): {', '.join(dropped)}" in text
    worse, better, _, p = families(candidate, Runs(RESULTS, "bayesopt"), SEEDS)["all"]
    assert worse > better and p < 0.05


def test_runs_argument_names_what_is_wrong(tmp_path: Path) -> None:
    assert runs_argument("bayesopt-ucb") == Runs(RESULTS, "bayesopt-ucb")
    assert runs_argument(f"{tmp_path}:x") == Runs(tmp_path, "x")
    with pytest.raises(argparse.ArgumentTypeError, match="is not a directory"):
        runs_argument(f"{tmp_path / 'absent'}:x")
    with pytest.raises(argparse.ArgumentTypeError, match="expected RUNS:NAME"):
        runs_argument(f"{tmp_path}:")


def test_without_the_default_s_own_variants_it_ranks_among_the_other_libraries() -> None:
    """Leaving bayesopt-ucb and bayesopt-ei out ranks the default among eight optimizers:
    each problem's rank is the all-ten rank less the variants with a strictly better median
    (and half of those tied with it), never more, and the text says what was left out."""
    default = Runs(RESULTS, "bayesopt")
    variants = ("bayesopt-ucb", "bayesopt-ei")
    all_ten = standing(default, RESULTS, SEEDS)
    eight = standing(default, RESULTS, SEEDS, without=variants)
    assert eight.ranks.keys() == all_ten.ranks.keys()
    assert all(eight.ranks[p] <= all_ten.ranks[p] for p in eight.ranks)
    assert any(eight.ranks[p] < all_ten.ranks[p] for p in eight.ranks)
    assert set(eight.outside_best_three) <= set(all_ten.outside_best_three)
    assert eight.mean_rank < all_ten.mean_rank
    text = report(default, default, RESULTS, SEEDS, without=variants)
    assert text.splitlines()[0].endswith("without bayesopt-ucb, bayesopt-ei")
    assert f"mean rank {eight.mean_rank:.4f}" in text


def test_without_argument_names_what_is_not_a_peer() -> None:
    assert without_argument("bayesopt-ucb, bayesopt-ei") == ("bayesopt-ucb", "bayesopt-ei")
    with pytest.raises(argparse.ArgumentTypeError, match="'bayesopt' is not one of the peers"):
        without_argument("bayesopt")
    with pytest.raises(argparse.ArgumentTypeError, match="'optuna' is not one of the peers"):
        without_argument("optuna-tpe,optuna")
    with pytest.raises(argparse.ArgumentTypeError, match="no name"):
        without_argument(",")


def test_seeds_no_peer_has_are_refused_by_name_not_averaged_to_nan() -> None:
    """The peers have seeds 0-9 only: seeds 10-19 leave no problem to rank, which the
    command says (it printed NumPy's empty-mean warnings and a mean rank of nan before)."""
    default = Runs(RESULTS, "bayesopt")
    late = list(range(10, 20))
    assert standing(default, RESULTS, late).ranks == {}
    with pytest.raises(SystemExit, match="no problem has every peer's runs"):
        report(default, default, RESULTS, late)


def test_a_report_names_its_seeds_as_every_bench_report_does() -> None:
    """One spelling of a seed set across the bench reports (`bench.quality.seed_text`):
    a run of seeds as a range, other sets as a list (rank printed a Python list before)."""
    assert seed_text([0, 1, 2, 3]) == "0–3"
    assert seed_text([0, 2, 5]) == "0, 2, 5"
    default = Runs(RESULTS, "bayesopt")
    assert report(default, default, RESULTS, [0, 2, 5]).splitlines()[0].endswith(
        "seeds 0, 2, 5")

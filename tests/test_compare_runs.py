"""bench/compare_runs.py: the paired bootstrap interval beside the unpaired one."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `bench` is not installed: import it from the repository
    sys.path.insert(0, str(ROOT))

from bench import compare_runs
from bench.compare_runs import finals, paired_interval, row, unpaired_interval

RESULTS = ROOT / "bench" / "results"


def _old_unpaired(before: np.ndarray, after: np.ndarray) -> tuple[float, float]:
    """The interval `row` printed before the paired one was added (reference)."""
    rng = np.random.default_rng(0)
    diffs = [np.median(rng.choice(after, after.size)) - np.median(rng.choice(before, before.size))
             for _ in range(4000)]
    low, high = np.percentile(diffs, [2.5, 97.5])
    return float(low), float(high)


def _columns(line: str) -> list[str]:
    return [c.strip() for c in line.strip("|").split("|")]


def test_a_variant_against_itself_has_the_paired_interval_zero() -> None:
    """The committed default's Hartmann-6 runs against themselves: the paired interval is
    [0, 0], the unpaired one (each side resampled on its own) is not."""
    scores = finals(RESULTS, ["hartmann6"], "bayesopt", list(range(10)))["hartmann6"]
    assert paired_interval(scores, scores) == (0.0, 0.0)
    assert unpaired_interval(scores, scores) != (0.0, 0.0)
    assert _columns(row("hartmann6", scores, scores))[7:] == ["[+0, +0]", "yes"]


@pytest.mark.parametrize("shift", [0.25, -3.0])
def test_a_constant_shift_gives_exactly_that_shift(shift: float) -> None:
    before = np.arange(10) / 8.0  # dyadic: before + shift − before is exactly shift
    assert paired_interval(before, before + shift) == (shift, shift)


def test_the_paired_interval_excludes_0_where_the_unpaired_holds_it() -> None:
    """Seeds that differ much more from each other than the variant from the default:
    every seed worse by 1–2 % of its level."""
    before = np.geomspace(0.01, 10.0, 10)
    after = before * np.linspace(1.01, 1.02, 10)
    low, high = paired_interval(before, after)
    assert 0 < low <= high
    low, high = unpaired_interval(before, after)
    assert low < 0 < high
    columns = _columns(row("p", before, after))
    assert (columns[3], columns[5], columns[8]) == ("10 / 0 / 0", "yes", "**no**")


def test_the_unpaired_column_is_the_old_computation() -> None:
    rng = np.random.default_rng(5)
    for size in (5, 10, 20):
        before, after = rng.lognormal(size=size), rng.lognormal(size=size)
        assert unpaired_interval(before, after) == _old_unpaired(before, after)


def test_a_committed_table_is_the_new_tables_first_seven_columns() -> None:
    """bench/results/fidelity_kernel.md's Hartmann-6 row (`bench.fidelity paired --seeds 0-19`)
    is printed again, with the paired interval after it."""
    from bench.fidelity import paired

    written = next(line for line in (RESULTS / "fidelity_kernel.md").read_text().splitlines()
                   if line.startswith("| hartmann6_mf | 0.129 | 0.0692 |"))
    table = paired(["hartmann6_mf"], list(range(20)), "budget-input", "stationary+basis")
    head, new = table.splitlines()[0], table.splitlines()[2]
    assert _columns(new)[:7] == _columns(written)[:7]  # the sign test and fractions follow
    assert _columns(new)[9:] == _columns(written)[7:] and len(_columns(new)) == 12
    assert _columns(head)[7:9] == ["95 % paired interval of the median seed difference",
                                   "paired holds 0"]
    assert compare_runs.HEAD.count("|") == compare_runs.HEAD_RULE.count("|")


@pytest.mark.parametrize("before, after", [(np.ones(3), np.ones(4)), (np.ones((2, 2)), np.ones((2, 2))),
                                           (np.ones(0), np.ones(0))])
def test_unpaired_arrays_are_refused(before: np.ndarray, after: np.ndarray) -> None:
    with pytest.raises(ValueError, match="paired by seed"):
        paired_interval(before, after)


def test_an_ablation_variant_is_compared_with_the_default_in_the_same_directory(
        capsys: pytest.CaptureFixture[str]) -> None:
    """`--after-optimizer`: bench/results/categorical_kernel.md's sgd_digits row, from the
    committed `bayesopt` and `bayesopt-hamming` runs, with the paired interval after it."""
    compare_runs.main([str(RESULTS), str(RESULTS), "--after-optimizer", "bayesopt-hamming",
                       "--problems", "sgd_digits"])
    new = capsys.readouterr().out.splitlines()[2]
    written = next(line for line in (RESULTS / "categorical_kernel.md").read_text().splitlines()
                   if line.startswith("| sgd_digits |"))
    assert _columns(new)[:7] == _columns(written)
    assert _columns(new)[7:] == ["[-0.0025, +0.00167]", "yes"]


def test_seeds_take_a_range_as_in_bench_quality(capsys: pytest.CaptureFixture[str]) -> None:
    """`--seeds 5-9` compares seeds 5–9 only (a replication's seeds are not 0..N-1): the
    row's counts cover five seeds and equal those of the finals of seeds 5–9."""
    compare_runs.main([str(RESULTS), str(RESULTS), "--after-optimizer", "bayesopt-hamming",
                       "--problems", "sgd_digits", "--seeds", "5-9"])
    new = capsys.readouterr().out.splitlines()[2]
    seeds = list(range(5, 10))
    before = finals(RESULTS, ["sgd_digits"], "bayesopt", seeds)["sgd_digits"]
    after = finals(RESULTS, ["sgd_digits"], "bayesopt-hamming", seeds)["sgd_digits"]
    assert _columns(new) == _columns(row("sgd_digits", before, after))
    assert sum(int(c) for c in _columns(new)[3].split(" / ")) == 5


def test_the_seeds_of_every_problem_are_summed_with_a_sign_test(
        capsys: pytest.CaptureFixture[str]) -> None:
    """The last line sums the rows' seeds worse / better / equal and gives the two-sided
    sign test of the untied ones (binomial, p = ½)."""
    from scipy.stats import binomtest

    compare_runs.main([str(RESULTS), str(RESULTS), "--after-optimizer", "bayesopt-hamming",
                       "--problems", "mlp_digits,sgd_cancer,mlp_cancer,sgd_digits"])
    lines = capsys.readouterr().out.strip().splitlines()
    counts = np.array([[int(c) for c in _columns(line)[3].split(" / ")] for line in lines[2:6]])
    worse, better, equal = counts.sum(axis=0)
    assert equal + worse + better == 40
    p = binomtest(int(worse), int(worse + better)).pvalue
    assert lines[-1] == (f"Over all rows: {worse} worse / {better} better / {equal} equal; "
                         f"two-sided sign test on the untied, p = {p:.2g}.")

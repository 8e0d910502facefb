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


def test_the_pooled_line_counts_every_problems_seeds_and_gives_the_sign_test() -> None:
    """Two problems: 7 + 2 seeds worse, 1 + 6 better, 2 + 2 equal: 9 worse against 7 better,
    sign test p = 2·P(Bin(16, ½) ≥ 9) = 0.8036 (scipy.stats.binomtest)."""
    before = {"a": np.zeros(10), "b": np.zeros(10), "only-before": np.zeros(10)}
    after = {"a": np.array([1.0] * 7 + [-1.0] + [0.0] * 2),
             "b": np.array([1.0] * 2 + [-1.0] * 6 + [0.0] * 2)}
    line = compare_runs.pooled(before, after)
    assert line == ("all 2 problems pooled: seeds worse / better / equal 9 / 7 / 4; "
                    "two-sided sign test p = 0.8")
    assert compare_runs.sign_p(9, 7) == pytest.approx(0.8036, abs=1e-4)
    assert compare_runs.sign_p(0, 0) == 1.0
    assert compare_runs.report(before, after).splitlines()[-3] == line


def test_seeds_take_a_range_as_in_bench_quality(capsys: pytest.CaptureFixture[str]) -> None:
    """`--seeds 5-9`: the committed default's Hartmann-6 medians over seeds 5–9 only."""
    compare_runs.main([str(RESULTS), str(RESULTS), "--problems", "hartmann6", "--seeds", "5-9"])
    columns = _columns(capsys.readouterr().out.splitlines()[2])
    scores = finals(RESULTS, ["hartmann6"], "bayesopt", [5, 6, 7, 8, 9])["hartmann6"]
    assert columns[1] == columns[2] == f"{np.median(scores):.3g}"
    assert columns[3] == "0 / 0 / 5"

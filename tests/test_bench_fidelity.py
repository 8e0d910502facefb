"""The multi-fidelity benchmark's runners (bench/fidelity.py) are reproducible from a seed."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `bench` is not installed: import it from the repository
    sys.path.insert(0, str(ROOT))

from bench.fidelity import run_one


def test_optuna_hyperband_runs_the_same_trials_from_the_same_seed() -> None:
    """Optuna's HyperbandPruner picks a trial's bracket from a hash of the study name:
    the runner names the study after the problem and seed, so a rerun is the same run."""
    first = run_one("branin_mf", "optuna-tpe-hyperband", 0)
    again = run_one("branin_mf", "optuna-tpe-hyperband", 0)
    assert first["trace"] == again["trace"]
    assert first["spent"] == again["spent"] == first["total_budget"]


def test_variants_are_declared_through_model_options() -> None:
    """The "budget-input" variant is bayesopt-fidelity's run (the default options); the
    "basis" variant asks other points (ModelOptions(fidelity_kernel="basis"))."""
    from bench.fidelity import PROBLEMS, VARIANTS, _run_variant

    record = run_one("branin_mf", "bayesopt-fidelity", 1)
    same = _run_variant(VARIANTS["budget-input"], PROBLEMS["branin_mf"], 1)
    basis = _run_variant(VARIANTS["basis"], PROBLEMS["branin_mf"], 1)
    assert [list(t) for t in same.trace] == [list(t) for t in record["trace"]]
    assert basis.spent >= basis.total and basis.trace != same.trace


def test_the_variant_tables_take_the_reports_reference() -> None:
    """The "budget-input" runs of seeds 0–9 are bayesopt-fidelity's records (same traces), so
    `variant_report` gives the report's medians, although bayesopt-full's records of seeds
    10–19 (not in the report: no peer ran them) found a better SGD configuration."""
    from bench.fidelity import PROBLEMS, report, variant_report

    table = report()
    rows = variant_report(list(PROBLEMS), list(range(10)), ["budget-input"]).splitlines()[2:]
    for name, row in zip(PROBLEMS, rows):
        median = row.split(" | ")[2]
        assert f"| {name} | {median} |" in table


def test_paired_compares_two_variants_seed_by_seed() -> None:
    """A variant against itself: every seed equal, the unpaired interval holds 0 (it
    resamples each side on its own, so it is not [0, 0]), the paired one is [0, 0], Wilcoxon
    and sign test p = 1, the same budget fraction on both sides (the report's for seeds
    0–9)."""
    from bench.fidelity import paired, report

    line = paired(["hgb_cancer"], list(range(10)), "budget-input", "budget-input").splitlines()[2]
    assert line.startswith("| hgb_cancer | 0.00877 | 0.00877 | 0 / 0 / 10 | [")
    assert line.endswith("| yes | 1.00 | [+0, +0] | yes | 1 | 0.40 | 0.40 |") and "- hgb_cancer: 0.40" in report()


def test_a_peers_budget_is_read_as_one_of_the_rungs_epochs() -> None:
    """DEHB and SMAC give budgets as floats (27 / 3**k); the runners train that many
    epochs, and a budget that names no epoch count in [1, R] raises instead of being
    rounded into one."""
    import pytest

    from bench.fidelity import ETA, R, _budget

    assert [_budget(R / ETA**k) for k in range(4)] == [27, 9, 3, 1]
    assert _budget(2.9999999999999996) == 3
    for bad in (2.5, 0.0, 28.0, 81.0):
        with pytest.raises(ValueError, match="not an epoch count"):
            _budget(bad)


def test_peers_compares_bayesopt_with_a_fidelity_seed_by_seed() -> None:
    """Against its own records (seeds 0–9, the same traces as the budget-input runs) every
    seed ties and the medians are equal; a seed an optimizer never ran is named."""
    import pytest

    from bench.fidelity import peers

    row = peers(["hgb_cancer"], list(range(10)), ["bayesopt-fidelity"]).splitlines()[2]
    assert row == "| hgb_cancer | 0.00877 | 0.00877 | 0 / 0 / 10 (p = 1) |"
    with pytest.raises(ValueError,
                       match=r"hyperband-random has no record of hgb_cancer for seeds \[19\]"):
        peers(["hgb_cancer"], [0, 19], ["hyperband-random"])


def _records(path: Path, samples: dict[str, list[int]]) -> None:
    """sgd_digits records in `path` whose final value is 0.02 + k/540 for each optimizer's k
    per seed (540 validation samples on digits); one trace entry each, within the budget."""
    import json

    for optimizer, ks in samples.items():
        for seed, k in enumerate(ks):
            record = {"problem": "sgd_digits", "optimizer": optimizer, "seed": seed,
                      "total_budget": 540, "spent": 540, "trace": [[540, 0.02 + k / 540]]}
            (path / f"sgd_digits__{optimizer}__{seed:03d}.json").write_text(json.dumps(record))


def test_spread_counts_the_seeds_at_each_number_of_samples(tmp_path: Path) -> None:
    """Regret in validation samples against the lowest final value of any record, the seeds
    at each count, the median, and Mann–Whitney's two-sided p against bayesopt with a
    Fidelity (scipy's, on the regrets); a run of the directory's own is compared there too."""
    from scipy.stats import mannwhitneyu

    from bench.fidelity import OPTIMIZERS, peers, spread

    samples = {o: [1, 2, 2, 5] for o in OPTIMIZERS}
    samples["bayesopt-fidelity"] = [0, 0, 1, 3]
    samples["smac-hyperband"] = [4, 4, 6, 7]
    _records(tmp_path, samples)
    rows = spread(["sgd_digits"], [0, 1, 2, 3], tmp_path).splitlines()[2:]
    by_name = {row.split(" | ")[1]: row for row in rows}
    assert by_name["bayesopt-fidelity"] == "| sgd_digits | bayesopt-fidelity | 0.5 | 2, 1, 0, 1 | — |"
    p = mannwhitneyu([4, 4, 6, 7], [0, 0, 1, 3], alternative="two-sided").pvalue
    assert by_name["smac-hyperband"] == f"| sgd_digits | smac-hyperband | 5 | 0, 0, 0, 0, 2, 0, 1, 1 | {p:.2g} |"
    assert by_name["dehb"].startswith("| sgd_digits | dehb | 2 | 0, 1, 2, 0, 0, 1 | ")
    row = peers(["sgd_digits"], [0, 1, 2, 3], ["smac-hyperband"], tmp_path).splitlines()[2]
    assert row == "| sgd_digits | 0.000926 | 0.00926 | 4 / 0 / 0 (p = 0.12) |"

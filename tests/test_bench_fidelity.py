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

"""bench.hartmann6_designs: what each kind tells first, and the report's counts."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `bench` is not installed: import it from the repository
    sys.path.insert(0, str(ROOT))

from bayesopt import Optimizer
from bench import hartmann6_designs as designs
from bench.problems import make_problem


def test_the_sobol_points_enqueued_are_the_default_runs_first_asks() -> None:
    problem = make_problem("hartmann6", 3)
    opt = Optimizer(dict(problem.space), seed=3)
    asked = []
    for _ in range(designs.DESIGN):
        params = opt.ask()
        opt.tell(params, problem.evaluate(params))
        asked.append(params)
    assert designs._sobol_points(3) == asked


def test_the_uniform_kind_tells_optunas_startup_draws_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(designs, "BUDGET", 9)
    steps = designs.KINDS["uniform"]("hartmann6", 2)
    told = np.array([[s["params"][f"x{i}"] for i in range(6)] for s in steps[:7]])
    assert np.array_equal(told, np.random.RandomState(2).rand(7, 6))
    assert len(steps) == 9
    sobol = designs.KINDS["sobol"]("hartmann6", 2)
    assert [s["params"] for s in sobol[:7]] == designs._sobol_points(2)


def test_the_report_counts_hits_and_compares_common_seeds(tmp_path: Path) -> None:
    (tmp_path / "sobol.json").write_text(json.dumps({"0": 0.01, "1": 0.2, "2": 0.3, "3": 0.04}))
    (tmp_path / "uniform.json").write_text(json.dumps({"1": 0.001, "2": 0.002, "3": 0.5}))
    text = designs.report(tmp_path)
    assert "| sobol | 0–3 | 2 of 4 | 0 | 0.12 |" in text
    assert "| uniform | 1–3 | 2 of 3 | 0 | 0.002 |" in text
    # seeds 1-3: sobol hits 1 (0.04), uniform 2; Fisher's exact test on [[1, 2], [2, 1]]
    assert "| sobol vs uniform, 3 seeds | 1 vs 2 | 1 |" in text


def test_noisy_runs_are_kept_apart_and_compared_by_their_far_off_runs(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(designs, "BUDGET", 9)
    finals = designs.run("sobol", [0, 1], tmp_path, "hartmann6_noisy")
    assert json.loads((tmp_path / "hartmann6_noisy" / "sobol.json").read_text()) == finals
    assert not (tmp_path / "sobol.json").exists()
    # the suite's noisy problem: the point with the best noisy value, judged noiselessly
    steps = designs.KINDS["sobol"]("hartmann6_noisy", 1)
    best = min(steps, key=lambda s: s["value"])
    assert finals["1"] == pytest.approx(best["true_value"] - make_problem("hartmann6", 0).optimum)
    assert any(s["value"] != s["true_value"] for s in steps)
    (tmp_path / "hartmann6_noisy" / "sobol.json").write_text(
        json.dumps({"0": 2.3, "1": 0.2, "2": 1.8, "3": 0.04}))
    (tmp_path / "hartmann6_noisy" / "uniform.json").write_text(
        json.dumps({"0": 0.3, "1": 0.25, "2": 0.1, "3": 0.5}))
    text = designs.report(tmp_path, "hartmann6_noisy")
    assert text.startswith("hartmann6_noisy:")
    assert "| sobol | 0–3 | 1 of 4 | 2 | 1 |" in text
    assert "| uniform | 0–3 | 0 of 4 | 0 | 0.275 |" in text
    # far off: 2 of 4 against 0 of 4; Fisher's exact test on [[2, 2], [0, 4]]
    assert "| sobol vs uniform, 4 seeds | 2 vs 0 | 0.43 |" in text


@pytest.mark.parametrize("argv, message", [
    (["run"], "run needs --kind"),
    (["collect", "--runs", "x"], "collect needs --runs and --optimizers"),
    (["run", "--kind", "sobol", "--seeds", "x"], "--seeds 'x': 'x' is not a seed"),
    (["run", "--kind", "sobol", "--seeds", "3-1"], "--seeds '3-1': '3-1' is not a seed"),
])
def test_bad_arguments_are_usage_errors(argv: list[str], message: str,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        designs.main(argv)
    assert stopped.value.code == 2 and message in capsys.readouterr().err


def test_collect_scores_the_suites_runs_as_the_design_kinds_are_scored(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A suite record's final regret is the sobol kind's for the default (both are the default
    from its own design); records of another budget are not runs of this protocol."""
    from bench.quality import main as quality

    quality(["--optimizers", "bayesopt", "--problems", "hartmann6_noisy", "--seeds", "0-1",
             "--budget", "9", "--out", str(tmp_path / "q"), "--jobs", "1", "--force"])
    with pytest.raises(ValueError, match="no run of 'bayesopt' on 'hartmann6_noisy' with 50"):
        designs.collect(tmp_path / "q", ["bayesopt"], tmp_path, "hartmann6_noisy")
    monkeypatch.setattr(designs, "BUDGET", 9)
    assert designs.collect(tmp_path / "q", ["bayesopt"], tmp_path, "hartmann6_noisy") == {
        "suite-bayesopt": 2}
    designs.run("sobol", [0, 1], tmp_path, "hartmann6_noisy")
    folder = tmp_path / "hartmann6_noisy"
    assert (json.loads((folder / "suite-bayesopt.json").read_text())
            == json.loads((folder / "sobol.json").read_text()))
    text = designs.report(tmp_path, "hartmann6_noisy")
    assert "| suite-bayesopt | 0–1 |" in text and "| sobol vs suite-bayesopt, 2 seeds |" in text

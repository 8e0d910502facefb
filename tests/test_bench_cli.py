"""The quality suite's command line: protocols, third-party plug-ins, safety, errors, threads.

Every run here is a smoke run (a few evaluations, one or two seeds) into a
temporary directory; the tests that run the real command check that the
committed results under bench/results were not touched.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `bench` is not installed: import it from the repository
    sys.path.insert(0, str(ROOT))

import bayesopt.fitting
from acquisition.functions import LogExpectedImprovement
from acquisition.optimizer import AcquisitionObjective
from bayesopt.space import Real
from bench import ask_time, overhead, parallel, profile_step, quality, refit_cost, scale, step_split
from bench.adapters import OPTIMIZERS, run
from bench.problems import PROBLEM_NAMES, SECOND_ROUND, make_problem
from bench.protocol import check_adapter, check_problem

RESULTS = ROOT / "bench" / "results"
DEADLINE = 300


def snapshot(directory: Path) -> dict[str, tuple[int, int]]:
    """(size, mtime in ns) of every file under `directory`."""
    return {str(p.relative_to(directory)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in directory.rglob("*") if p.is_file()}


def bench_quality(args: list[str], tmp_path: Path,
                  pythonpath: list[Path] = ()) -> subprocess.CompletedProcess[str]:
    """`python -m bench.quality ARGS` from the repository root, TMPDIR in `tmp_path`."""
    path = os.pathsep.join(map(str, [ROOT, *pythonpath]))
    env = {**os.environ, "PYTHONPATH": path, "TMPDIR": str(tmp_path)}
    return subprocess.run([sys.executable, "-m", "bench.quality", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=DEADLINE, check=False)


def usage_error(capsys: pytest.CaptureFixture[str], main: Any, argv: list[str]) -> str:
    """main(argv) must exit with status 2 (a usage error, as argparse's); its message."""
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2, argv
    return capsys.readouterr().err


# ------------------------------------------------------------- profile_step
@pytest.mark.parametrize(("main", "argv"), [
    *[(profile_step.main, argv) for argv in (
        ["--sizes", "0"], ["--sizes", "a,100"], ["--sizes", ""], ["--threads", "0"],
        ["--threads", "many"], ["--top", "-1"])],
    *[(refit_cost.main, argv) for argv in (
        ["--sizes", "1"], ["--sizes", "a,100"], ["--steps", "0"], ["--threads", "0"])],
])
def test_step_profilers_nonsense_arguments_are_usage_errors(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, main: Any, argv: list[str]) -> None:
    err = usage_error(capsys, main, [*argv, "--out", str(tmp_path / "p.md")])
    assert argv[0] in err
    assert not (tmp_path / "p.md").exists()


def test_profile_step_writes_a_file_only_when_asked(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # bench/results/profile_step.md is a curated write-up; the command must not overwrite it.
    monkeypatch.chdir(tmp_path)
    profile_step.main(["--sizes", "20", "--steps", "1"])
    assert "| 20 |" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []
    profile_step.main(["--sizes", "20", "--steps", "1", "--out", "p.md"])
    assert "| 20 |" in (tmp_path / "p.md").read_text(encoding="utf-8")


def test_profile_step_splits_the_steps_into_phases() -> None:
    """At n = 20 every tell refits: the refit and the acquisition's phases get time, and
    the phases (the polish's objective is part of the polish) add up to at most the total."""
    row = profile_step.profile_size(20, 2)
    assert row.refit_interval == 1
    for phase in ("refit", "refit: objective", "candidate scoring", "polish", "polish: objective"):
        assert row.phases[phase] > 0, phase
    assert row.phases["polish: objective"] <= row.phases["polish"]
    assert row.phases["refit: objective"] <= row.phases["refit"]
    counted = sum(v for k, v in row.phases.items() if k not in profile_step.NESTED)
    assert counted <= row.total
    assert "| 20 |" in profile_step.table([row])


# ------------------------------------------------------------- refit_cost
def test_refit_cost_times_every_minimize_call_of_the_refits_and_puts_scipy_back() -> None:
    """At n = 20 every tell refits: each step has at least one L-BFGS-B call, each call
    evaluates the objective, and the times split into the objective's and scipy's."""
    entry = bayesopt.fitting.lbfgsb
    row = refit_cost.measure(20, 2)
    assert bayesopt.fitting.lbfgsb is entry
    calls = row.calls
    assert len(calls.evaluations) >= 2 and min(calls.evaluations) >= 1
    assert min(calls.objective) > 0 and min(calls.between) >= 0 and min(calls.ends) >= 0
    assert row.ask > 0 and row.tell > sum(calls.objective) / row.steps
    assert "| 20 |" in refit_cost.table([row])


def test_refit_cost_reports_steps_without_a_refit() -> None:
    """Beyond n = 200 the steps may hold no refit (`refit_growth`): no minimize call, so
    the per-evaluation and per-call columns are dashes, not a division by zero."""
    row = refit_cost.Row(250, 20, 0.012, 0.0008, refit_cost.Calls())
    line = refit_cost.table([row]).splitlines()[-1]
    assert line == ("| 250 | 12.00 ms | 0.80 ms | 0.00 | 0.0 | – | – | – "
                    "| 0.00 ms | 0.00 ms |")


# ------------------------------------------------------------- ask_time
@pytest.mark.parametrize("argv", [["--sizes", "1"], ["--sizes", "a,100"], ["--sizes", ""],
                                  ["--steps", "0"], ["--threads", "0"], ["--threads", "many"],
                                  ["--warm-up", "-1"]])
def test_ask_time_nonsense_arguments_are_usage_errors(
        capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    assert f"argument {argv[0]}: must be" in usage_error(capsys, ask_time.main, argv)


def test_ask_time_counts_the_polish_evaluations_and_restores_the_methods() -> None:
    """At n = 20 an ask polishes: its objective is evaluated and LogEI's share is timed;
    the timed methods are the classes' own again afterwards."""
    before = (AcquisitionObjective.values_and_gradients, LogExpectedImprovement.value_and_grad,
              AcquisitionObjective.screened_values)
    evaluations, objective_us, acquisition_us, scored = ask_time.per_evaluation(20, 1)
    assert evaluations >= 1
    assert objective_us > acquisition_us > 0
    assert 8 <= scored <= 2560  # at least the starts' 8, at most every candidate
    assert (AcquisitionObjective.values_and_gradients, LogExpectedImprovement.value_and_grad,
            AcquisitionObjective.screened_values) == before
    assert "| 20 |" in ask_time.table([20], 1, warm_up=0)


# ------------------------------------------------------------- step_split
def test_step_split_accounts_for_the_whole_step_and_restores_the_functions() -> None:
    """At n = 20 every tell refits: the phases get time, the timed functions account for
    most of the step, and every wrapped function is its owner's own again afterwards."""
    before = [vars(owner).get(name) for owner, name, _ in step_split.TIMED]
    total, own = step_split.split(20, 1)
    for label in ("phase: refit", "phase: candidate scoring", "phase: polish", "Optimizer.tell"):
        assert own[label] > 0, label
    assert -1e-3 < own["untimed"] < 0.5 * total
    assert [vars(owner).get(name) for owner, name, _ in step_split.TIMED] == before
    assert "| phase: refit |" in step_split.table(20, total, own, 5)


# ------------------------------------------------------------- arguments
@pytest.mark.parametrize(("argv", "message"), [
    (["--seeds", "0"], "--seeds"),
    (["--seeds", "-1"], "--seeds"),
    (["--seeds", "5-2"], "--seeds"),
    (["--seeds", "x"], "--seeds"),
    (["--seeds", ""], "--seeds"),
    (["--budget", "0"], "--budget"),
    (["--budget", "-3"], "--budget"),
    (["--jobs", "0"], "--jobs"),
    (["--jobs", "-1"], "--jobs"),
    (["--problems", "nope"], "unknown problem 'nope'"),
    (["--problems", ","], "no problem selected"),
    (["--optimizers", "nelder-mead"], "unknown optimizer 'nelder-mead'"),
    (["--optimizer", "no_such_module_xyz:Adapter"], "cannot import module"),
    (["--optimizer", "bench.adapters"], "module:attribute"),
    (["--optimizer", "bench.adapters:NoSuchAdapter"], "no attribute"),
    (["--optimizer", "bench.problems:SMALL_BUDGET"], "not a factory"),
    (["--optimizer", "bench.problems:SyntheticProblem"], "raised AttributeError"),
    (["--problem", "bench.problems:SMALL_BUDGET"], "not a factory"),
    (["--problem", "bench.problems:noise_seed"], "raised TypeError"),
    (["--problem", "bench.problems:budget_for"], "lacks method evaluate"),
])
def test_nonsense_arguments_are_usage_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                             argv: list[str], message: str) -> None:
    before = snapshot(RESULTS)
    err = usage_error(capsys, quality.main, [*argv, "--out", str(tmp_path / "out")])
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "out").exists() and snapshot(RESULTS) == before


@pytest.mark.parametrize(("argv", "message"), [
    (["--peers", "none"], "unknown peer(s) none"),
    (["--peers", "optuna,scikit"], "unknown peer(s) scikit"),
    (["--sizes", "0"], "--sizes"),
    (["--sizes", "100,x"], "--sizes"),
    (["--steps", "0"], "--steps"),
    (["--threads", "0"], "--threads"),
    (["--peer-budget", "nan"], "--peer-budget"),
])
def test_overhead_nonsense_arguments_are_usage_errors(capsys: pytest.CaptureFixture[str],
                                                      tmp_path: Path, argv: list[str],
                                                      message: str) -> None:
    err = usage_error(capsys, overhead.main, [*argv, "--out", str(tmp_path / "overhead.md")])
    assert message in err
    assert not (tmp_path / "overhead.md").exists()


PLUGINS = '''
from bench.adapters import RandomSearch


class NoTell:
    def __init__(self, space, seed, n_initial):
        pass

    def ask(self):
        return {}


class Impostor(RandomSearch):
    name = "bayesopt"


class Minimal:
    """The protocol alone, without bench.adapters.Adapter: always the low bounds."""

    def __init__(self, space, seed, n_initial):
        self.space = space

    def ask(self):
        return {name: getattr(dim, "low", None) for name, dim in self.space.items()}

    def tell(self, params, value):
        pass

    def recommend(self):
        return None

    def stats(self):
        return {"asks": 1}
'''


def test_an_adapter_of_the_protocol_alone_runs(monkeypatch: pytest.MonkeyPatch,
                                               tmp_path: Path) -> None:
    (tmp_path / "plugins.py").write_text(PLUGINS)
    monkeypatch.syspath_prepend(str(tmp_path))
    record = run(make_problem("branin"), "plugins:Minimal", seed=0, budget=3)
    assert record["optimizer"] == "Minimal" and record["stats"] == {"asks": 1}
    assert [s["params"] for s in record["steps"]] == [{"x0": -5.0, "x1": 0.0}] * 3


@pytest.mark.parametrize(("spec", "message"), [
    ("plugins:NoTell", "NoTell lacks method(s) tell, recommend, stats"),
    ("plugins:Impostor", "is named 'bayesopt'"),
])
def test_a_third_party_optimizer_that_breaks_the_protocol_is_a_usage_error(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        spec: str, message: str) -> None:
    (tmp_path / "plugins.py").write_text(PLUGINS)
    monkeypatch.syspath_prepend(str(tmp_path))
    err = usage_error(capsys, quality.main, ["--optimizer", spec, "--out", str(tmp_path)])
    assert message in err
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize(("main", "argv", "message"), [
    (parallel.main, ["batches", "--seeds", "0"], "--seeds"),
    (parallel.main, ["batches", "--batch", "0"], "--batch"),
    (parallel.main, ["throughput", "--n-calls", "0"], "--n-calls"),
    (parallel.main, ["throughput", "--sleep", "-1"], "--sleep"),
    (scale.main, ["big", "--n", "0"], "--n"),
    (scale.main, ["big", "--dim", "-2"], "--dim"),
    (scale.main, ["big", "--steps", "0"], "--steps"),
    (scale.main, ["cold-start", "--repeat", "0"], "--repeat"),
])
def test_other_bench_commands_reject_nonsense(capsys: pytest.CaptureFixture[str], main: Any,
                                              argv: list[str], message: str) -> None:
    assert f"argument {message}: must be" in usage_error(capsys, main, argv)


def test_cold_start_caches_bytecode_outside_the_tree_or_never_writes_it(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")  # as in a shell that never caches
    monkeypatch.delenv("PYTHONPYCACHEPREFIX", raising=False)
    cached = scale._bytecode_env(str(tmp_path), "cached")
    assert cached["PYTHONPYCACHEPREFIX"] == str(tmp_path)
    assert "PYTHONDONTWRITEBYTECODE" not in cached
    none = scale._bytecode_env(str(tmp_path), "none")
    assert none["PYTHONDONTWRITEBYTECODE"] == "1" and "PYTHONPYCACHEPREFIX" not in none


def test_help_lists_every_built_in_name(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        quality.main(["--help"])
    assert exit_info.value.code == 0
    text = " ".join(capsys.readouterr().out.split())  # unwrapped
    for name in [*PROBLEM_NAMES, *OPTIMIZERS, "--optimizer MODULE:ATTR", "--problem MODULE:ATTR"]:
        assert name in text, name


# ----------------------------------------------------------------- safety
@pytest.mark.parametrize("argv", [
    ["--problems", "branin"],  # a partial run into the committed results
    ["--seeds", "2", "--report-only"],  # a partial report over them
    ["--problems", "branin", "--budget", "3", "--write-results"],  # a smoke budget, even asked
    ["--optimizer", "examples.bench_adapter:OnePlusOne", "--write-results"],  # a third party
])
def test_partial_runs_never_write_the_committed_results(
        capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    before = snapshot(RESULTS)
    err = usage_error(capsys, quality.main, [*argv, "--out", str(RESULTS)])
    assert "committed results" in err
    if "--write-results" in argv:  # the same without --out, which then means bench/results
        assert "committed results" in usage_error(capsys, quality.main, argv)
    assert snapshot(RESULTS) == before


def test_a_partial_run_defaults_to_a_scratch_directory_and_gets_no_verdict(
        tmp_path: Path) -> None:
    before = snapshot(RESULTS)
    done = bench_quality(["--problems", "branin", "--optimizers", "bayesopt,random",
                          "--seeds", "1", "--budget", "6", "--jobs", "1"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert snapshot(RESULTS) == before
    report = (tmp_path / "bayesopt-bench" / "quality.md").read_text()
    assert "| branin | 2 | 6 |" in report
    assert "PASS" not in report and "FAIL" not in report
    assert "Not the complete protocol" in report and "not judged" in report


class _Cell:
    def __init__(self, median: float) -> None:
        self.final = np.array([median])

    def median(self, which: str = "final") -> float:
        return float(np.median(getattr(self, which)))


def _scope(**changes: Any) -> quality.ReportScope:
    fields: dict[str, Any] = {
        "problems": list(PROBLEM_NAMES), "optimizers": list(quality.PROTOCOL_OPTIMIZERS),
        "seeds": list(range(10)), "budget": None, "command": "", "missing": {}, "errors": {}}
    return quality.ReportScope(**{**fields, **changes})


def test_verdicts_only_for_the_complete_protocol() -> None:
    cells: Any = {(p, o): _Cell(1.0) for p in PROBLEM_NAMES for o in quality.PROTOCOL_OPTIMIZERS}
    assert quality.protocol_gap(cells, _scope()) is None
    assert "smoke budget" in str(quality.protocol_gap(cells, _scope(budget=5)))
    assert "seeds 0–2" in str(quality.protocol_gap(cells, _scope(seeds=[0, 1, 2])))
    assert "not in the protocol: mine" in str(quality.protocol_gap(
        cells, _scope(optimizers=[*quality.PROTOCOL_OPTIMIZERS, "mine"])))
    assert "raised" in str(quality.protocol_gap(cells, _scope(errors={("branin", "skopt"): [3]})))
    del cells["branin", "skopt"]
    total = len(PROBLEM_NAMES) * len(quality.PROTOCOL_OPTIMIZERS)
    assert f"1 of {total}" in str(quality.protocol_gap(cells, _scope()))


def test_the_first_round_alone_gets_no_verdict() -> None:
    """Every optimizer on every first-round problem, without the second round's runs, is
    not the complete protocol, so nothing is PASS."""
    cells: Any = {(p, o): _Cell(1.0) for p in PROBLEM_NAMES if p not in SECOND_ROUND
                  for o in quality.PROTOCOL_OPTIMIZERS}
    missing = len(SECOND_ROUND) * len(quality.PROTOCOL_OPTIMIZERS)
    assert f"{missing} of {len(PROBLEM_NAMES) * len(quality.PROTOCOL_OPTIMIZERS)}" in str(
        quality.protocol_gap(cells, _scope()))


def _curves_cell(curves: list[list[float]]) -> quality.Cell:
    """A cell whose seeds' best-so-far regrets are `curves` (seeds × steps)."""
    c = np.array(curves)
    empty = np.empty(0)
    return quality.Cell(final=c[:, -1], recommended=c[:, -1], curves=c, overhead=empty,
                        model_overhead=empty, eval_seconds=empty, wall=np.ones(len(c)),
                        has_recommendation=False, stats=Counter(), warnings=Counter())


def test_ablation_has_a_section_per_round_and_counts_hartmann6_hits(tmp_path: Path) -> None:
    """Second-round variants get their own table; Hartmann-6's seeds within 0.05 are counted
    at 50 and at 80 evaluations where the runs reach them."""
    at_80 = [[1.0] * 49 + [0.04] * 31, [1.0] * 79 + [0.01], [0.2] * 80]  # hits: 1 at 50, 2 at 80
    cells: Any = {("hartmann6", "bayesopt"): _curves_cell(at_80),
                  ("hartmann6", "bayesopt-more-restarts"): _curves_cell([[0.01] * 50] * 3),
                  ("levy10", "bayesopt"): _curves_cell([[3.0]]),
                  ("levy10", "bayesopt-more-restarts"): _curves_cell([[2.0]]),
                  ("levy10", "bayesopt-hvarfner-prior"): _curves_cell([[1.0]])}
    variants = ["bayesopt", "bayesopt-hvarfner-prior", "bayesopt-more-restarts"]
    text = quality.write_ablation(tmp_path, cells, ["levy10", "hartmann6"], variants, [0], "c"
                                  ).read_text()
    first, second = text.split("## Second round")
    assert "bayesopt-hvarfner-prior" in first and "bayesopt-more-restarts" not in first
    assert "bayesopt-more-restarts" in second and "bayesopt-hvarfner-prior" not in second
    assert "| hartmann6 at 50 | 1/3 | 3/3 |" in second
    assert "| hartmann6 at 80 | 2/3 | — |" in second
    assert "| **mean rank** (2 problems) | **2.00** | **1.00** |" in second


# ---------------------------------------------------- threads and errors
def test_jobs_1_runs_bayesopt_in_this_process(tmp_path: Path) -> None:
    """Runs in the command's own process once raised on NUMBA_NUM_THREADS (set after Numba's import)."""
    out = tmp_path / "out"
    done = bench_quality(["--jobs", "1", "--problems", "branin", "--optimizers", "bayesopt",
                          "--seeds", "1", "--budget", "7", "--out", str(out)], tmp_path)
    assert done.returncode == 0, done.stderr
    record = json.loads((out / "runs" / "branin" / "bayesopt" / "seed000.json").read_text())
    assert "error" not in record, record.get("error")
    assert len(record["steps"]) == 7


CRASHING = '''
from bench.adapters import Adapter, RandomSearch


class Crashing(RandomSearch):
    """Random search that raises at its third tell."""

    def tell(self, params, value):
        self.told = getattr(self, "told", 0) + 1
        if self.told == 3:
            raise RuntimeError("the optimizer broke")
'''


def test_a_run_that_raises_is_an_error_never_a_result(tmp_path: Path) -> None:
    (tmp_path / "crashing_adapter.py").write_text(textwrap.dedent(CRASHING))
    out = tmp_path / "out"
    args = ["--optimizer", "crashing_adapter:Crashing", "--optimizers", "random",
            "--problems", "branin", "--seeds", "2", "--budget", "5", "--jobs", "1",
            "--out", str(out)]
    done = bench_quality(args, tmp_path, pythonpath=[tmp_path])
    assert done.returncode == 1, done.stderr
    assert "the optimizer broke" in done.stderr and "2 run(s) raised" in done.stderr
    report = (out / "quality.md").read_text()
    row = next(line for line in report.splitlines() if line.startswith("| branin |"))
    assert row.endswith("| **ERROR** |"), row  # the Crashing column: no result
    assert "**Crashing on branin: ERROR** in 2 run(s)" in report
    path = out / "runs" / "branin" / "Crashing" / "seed000.json"
    assert "the optimizer broke" in json.loads(path.read_text())["error"]
    assert quality.load_run(path) is None  # never a cached completed run
    again = bench_quality([*args, "--report-only"], tmp_path, pythonpath=[tmp_path])
    assert again.returncode == 1


# --------------------------------------------------------- third parties
def test_the_shipped_third_party_example_runs_through_the_command_line(tmp_path: Path) -> None:
    before = snapshot(RESULTS)
    out = tmp_path / "out"
    done = bench_quality(["--optimizer", "examples.bench_adapter:OnePlusOne",
                          "--optimizers", "random",
                          "--problem", "examples.bench_adapter:NoisySphere",
                          "--problems", "branin", "--seeds", "2", "--budget", "8",
                          "--out", str(out)], tmp_path)
    assert done.returncode == 0, done.stderr
    report = (out / "quality.md").read_text()
    assert "| problem | d | budget | random | one-plus-one |" in report
    assert "| branin | 2 | 8 |" in report and "| noisy_sphere | 3 | 8 |" in report
    assert "| noisy_sphere | own recommendation |" in report  # judged as a noisy problem
    record = json.loads((out / "runs" / "noisy_sphere" / "one-plus-one" / "seed001.json")
                        .read_text())
    assert record["optimizer"] == "one-plus-one" and len(record["steps"]) == 8
    assert all(s["true_value"] != s["value"] for s in record["steps"])
    assert snapshot(RESULTS) == before


# -------------------------------------------------------------- protocols
class _Fine:
    name = "fine"
    kind = "synthetic"
    budget = 10
    optimum = 0.0
    minimize = True

    def __init__(self) -> None:
        self.space: Any = {"x": Real(0.0, 1.0)}

    def evaluate(self, params: Any) -> float:
        return float(params["x"])

    def true_value(self, params: Any) -> float:
        return float(params["x"])


@pytest.mark.parametrize(("attribute", "value", "message"), [
    ("kind", "noisyish", "kind='noisyish'"),
    ("budget", 0, "budget=0"),
    ("budget", 2.0, "budget=2.0"),
    ("optimum", float("nan"), "optimum=nan"),
    ("minimize", False, "minimize=False"),
    ("space", {}, "space={}"),
    ("space", {"x": Real(0.0, 1.0), "y": "not a dimension"}, "invalid space"),
    ("name", "a/b", "name 'a/b'"),
    ("evaluate", None, "lacks method evaluate"),
])
def test_a_problem_that_breaks_the_protocol_is_named(attribute: str, value: Any,
                                                     message: str) -> None:
    problem = _Fine()
    setattr(problem, attribute, value)
    with pytest.raises((TypeError, ValueError), match=message.replace("(", r"\(")):
        check_problem(problem, "test")
    assert check_problem(_Fine(), "test") is not None


def test_an_adapter_without_a_protocol_method_is_named() -> None:
    class AskOnly:
        def ask(self) -> dict[str, Any]:
            return {}

    with pytest.raises(TypeError, match="lacks method.*tell, recommend, stats"):
        check_adapter(AskOnly(), "test")


def test_the_refit_schedule_ablation_changes_the_schedule_and_nothing_else() -> None:
    """bayesopt-refit-until-30 (bench/results/refit_schedule.md): the growth rule from n = 30."""
    from dataclasses import replace

    from bayesopt import Optimizer

    space = {"x": Real(0.0, 1.0), "y": Real(-1.0, 1.0)}
    default = Optimizer(space, seed=0)
    factory, _ = OPTIMIZERS["bayesopt-refit-until-30"]
    adapter: Any = factory(space, 0, default.n_initial)
    assert adapter.opt.options == replace(
        default.options, model=replace(default.options.model, refit_every_step_until=30))
    assert "bayesopt-refit-until-30" in quality.ABLATIONS


def test_a_run_records_the_version_of_the_bayesopt_that_ran() -> None:
    """The imported package's version, not the installed distribution's metadata (which
    differs when a checkout runs on PYTHONPATH over an older install)."""
    import bayesopt
    from bench.adapters import versions

    assert versions("bayesopt") == {"bayesopt": bayesopt.__version__}


@pytest.mark.parametrize("name, d, expected", [
    ("bayesopt-n-initial-half", 2, 3), ("bayesopt-n-initial-half", 6, 4),
    ("bayesopt-n-initial-half", 10, 6), ("bayesopt-n-initial-2d", 2, 5),
    ("bayesopt-n-initial-2d", 6, 12), ("bayesopt-n-initial-2d", 12, 20),
])
def test_the_design_size_ablations_use_their_size_and_record_it(name: str, d: int,
                                                                expected: int) -> None:
    """The eighth round (bench/results/ablation_round8.md): max(3, ⌈(d + 1)/2⌉) and 2d
    within [5, 20], everything else the default's; a run records the size it used."""
    from bayesopt import Optimizer

    space = {f"x{i}": Real(0.0, 1.0) for i in range(d)}
    default = Optimizer(space, seed=0)
    adapter: Any = OPTIMIZERS[name][0](space, 0, default.n_initial)
    assert adapter.opt.n_initial == expected and adapter.opt.options == default.options
    assert (adapter.identity().get("n_initial") == expected) == (expected != default.n_initial)
    assert name in quality.ABLATIONS


def test_the_eleventh_rounds_select_hedge_is_hedge_with_the_kernel_selection() -> None:
    """bench/results/ablation_round11.md: acquisition="hedge" and kernel_candidates=
    ("matern32",), nothing else; shown in the round's section of ablation.md."""
    from bayesopt import Optimizer, OptimizerOptions
    from bayesopt.model import ModelOptions

    space = {"x": Real(0.0, 1.0), "y": Real(-1.0, 1.0)}
    default = Optimizer(space, seed=0)
    adapter: Any = OPTIMIZERS["bayesopt-select-hedge"][0](space, 0, default.n_initial)
    assert adapter.opt.acquisition == "hedge" and default.acquisition == "logei"
    assert adapter.opt.options == OptimizerOptions(
        model=ModelOptions(kernel_candidates=("matern32",)))
    assert adapter.opt.n_initial == default.n_initial
    assert "bayesopt-select-hedge" in quality.ABLATIONS
    assert any("bayesopt-select-hedge" in members for _, members, _ in quality.ABLATION_ROUNDS)


@pytest.mark.parametrize("d, region", [(2, False), (9, False), (10, True), (12, True)])
def test_the_thirteenth_rounds_trust_region_applies_from_d_10(d: int, region: bool) -> None:
    """bench/results/ablation_round13.md: TrustRegionOptions() when the space has d >= 10
    dimensions (issue 17's rule), the default's options otherwise; in its round's section."""
    from bayesopt import Optimizer, OptimizerOptions
    from bayesopt.trust_region import TrustRegionOptions

    space = {f"x{i}": Real(0.0, 1.0) for i in range(d)}
    default = Optimizer(space, seed=0)
    adapter: Any = OPTIMIZERS["bayesopt-trust-region-d10"][0](space, 0, default.n_initial)
    expected = OptimizerOptions(trust_region=TrustRegionOptions()) if region else default.options
    assert adapter.opt.options == expected and adapter.opt.n_initial == default.n_initial
    assert "bayesopt-trust-region-d10" in quality.ABLATIONS
    assert any("bayesopt-trust-region-d10" in members
               for _, members, _ in quality.ABLATION_ROUNDS)


@pytest.mark.parametrize("variant, acquisition", [("bayesopt-ucb-d10", "ucb"),
                                                  ("bayesopt-logaei-d10", "logaei")])
@pytest.mark.parametrize("d", [2, 9, 10, 12])
def test_the_d10_rounds_switch_the_acquisition_from_d_10(variant: str, acquisition: str,
                                                          d: int) -> None:
    """bench/results/ablation_round21.md (UCB) and ablation_round25.md (augmented EI): the
    acquisition when the space has d >= 10 dimensions, the default (LogEI) otherwise, with
    every other option the default's; each in its round's section."""
    from bayesopt import Optimizer

    space = {f"x{i}": Real(0.0, 1.0) for i in range(d)}
    default = Optimizer(space, seed=0)
    adapter: Any = OPTIMIZERS[variant][0](space, 0, default.n_initial)
    assert adapter.opt.acquisition == (acquisition if d >= 10 else default.acquisition)
    assert adapter.opt.options == default.options and adapter.opt.n_initial == default.n_initial
    assert variant in quality.ABLATIONS
    assert any(variant in members for _, members, _ in quality.ABLATION_ROUNDS)


def test_the_twenty_second_rounds_design_is_told_uniform_points_then_asks() -> None:
    """bench/results/ablation_round22.md: the first n_initial asks are RandomState(seed)'s
    uniform points mapped by the space, told as never-asked points; then the optimizer's."""
    import numpy as np

    from bayesopt import Categorical, Integer, Optimizer

    space = {"a": Real(1e-3, 1.0, log=True), "b": Integer(1, 9), "c": Categorical(["p", "q"])}
    default = Optimizer(space, seed=4)
    adapter: Any = OPTIMIZERS["bayesopt-uniform-design"][0](space, 4, default.n_initial)
    unit = np.random.RandomState(4).rand(default.n_initial, 3)
    expected = adapter.space.decode(adapter.space.from_unit(unit))
    asked = []
    for _ in range(default.n_initial + 1):
        params = adapter.ask()
        adapter.tell(params, params["a"] + params["b"])
        asked.append(params)
    assert asked[:-1] == expected and adapter.opt.pending == []
    assert all(1e-3 <= p["a"] <= 1.0 and p["b"] in range(1, 10) and p["c"] in "pq" for p in asked)
    assert len(adapter.opt.history) == default.n_initial + 1
    assert "bayesopt-uniform-design" in quality.ABLATIONS
    assert any("bayesopt-uniform-design" in members for _, members, _ in quality.ABLATION_ROUNDS)


@pytest.mark.parametrize("variant, acquisition", [
    ("bayesopt-lognei", "lognei"),  # bench/results/ablation_round14.md: noisy EI
    ("bayesopt-mace", "mace"),  # bench/results/ablation_round15.md: HEBO's MACE
    ("bayesopt-logaei", "logaei"),  # bench/results/ablation_round24.md: augmented EI
])
def test_the_acquisition_rounds_variants_change_only_the_acquisition(
        variant: str, acquisition: str) -> None:
    """The fourteenth, fifteenth and twenty-fourth rounds' variants: their acquisition with
    the default's options and design, each in its round's section of ablation.md."""
    from bayesopt import Optimizer

    space = {f"x{i}": Real(0.0, 1.0) for i in range(3)}
    default = Optimizer(space, seed=0)
    adapter: Any = OPTIMIZERS[variant][0](space, 0, default.n_initial)
    assert adapter.opt.acquisition == acquisition and default.acquisition == "logei"
    assert adapter.opt.options == default.options and adapter.opt.n_initial == default.n_initial
    assert variant in quality.ABLATIONS
    assert any(variant in members for _, members, _ in quality.ABLATION_ROUNDS)


@pytest.mark.parametrize("variant, name", [("bayesopt-optprior", "optuna"),
                                           ("bayesopt-optprior-jac", "optuna-jacobian")])
def test_the_sixteenth_rounds_variants_change_only_the_priors_and_noise_floor(
        variant: str, name: str) -> None:
    """bench/results/ablation_round16.md: GPSampler's three priors and its noise floor 1e-6,
    every other option the default's, in the round's section of ablation.md."""
    from dataclasses import replace

    from bayesopt import Optimizer
    from bayesopt.fitting import FitOptions

    space = {f"x{i}": Real(0.0, 1.0) for i in range(3)}
    default = Optimizer(space, seed=0)
    adapter: Any = OPTIMIZERS[variant][0](space, 0, default.n_initial)
    model = replace(default.options.model, lengthscale_prior=name, variance_prior=name,
                    noise_prior=name, fit=FitOptions(noise_bounds=(1e-6, 10.0)))
    assert adapter.opt.options == replace(default.options, model=model)
    assert adapter.opt.acquisition == default.acquisition
    assert adapter.opt.n_initial == default.n_initial
    assert variant in quality.ABLATIONS
    assert any(variant in members for _, members, _ in quality.ABLATION_ROUNDS)


@pytest.mark.parametrize("variant, model", [
    ("bayesopt-optuna-lengthscale", {"lengthscale_prior": "optuna"}),
    ("bayesopt-optuna-noise", {"noise_prior": "optuna", "noise_bounds": (1e-6, 10.0)}),
    ("bayesopt-rbf", {"kernel": "rbf"}),
    ("bayesopt-rbf-hvarfner", {"kernel": "rbf", "lengthscale_prior": "hvarfner"}),
    ("bayesopt-fit-from-mode", {"fit_start": "mode"}),
    ("bayesopt-local-map", {"fit_start": "mode", "n_restarts": 0}),
])
def test_the_model_rounds_variants_change_only_their_model_options(
        variant: str, model: dict[str, Any]) -> None:
    """bench/results/ablation_round24.md: one of GPSampler's priors (the noise's with its
    floor); ablation_round26.md: the squared exponential kernel, alone and with the Hvarfner
    prior; ablation_round27.md: each refit started at the prior's mode, with and without the
    prior restarts. Every other option the default's, each in its round's section of
    ablation.md."""
    from dataclasses import replace

    from bayesopt import Optimizer

    space = {f"x{i}": Real(0.0, 1.0) for i in range(3)}
    default = Optimizer(space, seed=0)
    adapter: Any = OPTIMIZERS[variant][0](space, 0, default.n_initial)
    fit = {"fit": replace(default.options.model.fit, noise_bounds=model.pop("noise_bounds"))
           } if "noise_bounds" in model else {}
    expected = replace(default.options, model=replace(default.options.model, **model, **fit))
    assert adapter.opt.options == expected and adapter.opt.options != default.options
    assert adapter.opt.acquisition == default.acquisition
    assert adapter.opt.n_initial == default.n_initial
    assert variant in quality.ABLATIONS
    assert any(variant in members for _, members, _ in quality.ABLATION_ROUNDS)


def test_the_eighth_rounds_other_ablations_change_one_setting() -> None:
    from bayesopt import Optimizer, OptimizerOptions

    space = {"x": Real(0.0, 1.0), "y": Real(-1.0, 1.0)}
    default = Optimizer(space, seed=0)
    interleave: Any = OPTIMIZERS["bayesopt-interleave-10"][0](space, 0, default.n_initial)
    assert interleave.opt.options == OptimizerOptions(random_interleave=10)
    matern: Any = OPTIMIZERS["bayesopt-matern32"][0](space, 0, default.n_initial)
    assert matern.opt.options.model.kernel == "matern32"
    assert matern.opt.n_initial == interleave.opt.n_initial == default.n_initial

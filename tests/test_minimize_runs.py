"""`minimize(func, space, pass_run=True)`: the objective gets a `bayesopt.Run` beside its
params, reports intermediate values through it, is stopped by the pruning rule, and names
and loads checkpoints by its ids (`bayesopt.runs`)."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import textwrap
import threading
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bayesopt import Fidelity, Real, Run, SuccessiveHalving, minimize

SPACE = {"x": Real(0.0, 1.0), "epochs": Fidelity(1, 9)}  # eta 3: budgets 1, 3, 9


def curve(x: float, epoch: int) -> float:
    """A learning curve: falls with the epochs towards (x - 0.3)²."""
    return (x - 0.3) ** 2 + 1.0 / epoch


class Trainer:
    """An objective that trains from its source's checkpoint (a dict keyed by run id),
    reports every epoch, breaks where the run is told to stop, and saves its checkpoint."""

    def __init__(self) -> None:
        self.checkpoints: dict[int, dict[str, Any]] = {}
        self.calls: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def __call__(self, params: dict[str, Any], run: Run) -> float:
        assert isinstance(run, Run) and run.budget == params["epochs"]
        start = 0
        if run.continues is not None:
            with self.lock:
                source = self.checkpoints[run.continues]  # KeyError: no such checkpoint
            assert source["x"] == params["x"] and source["epochs"] < params["epochs"]
            start = source["epochs"]
        stopped_at = None
        value = curve(params["x"], max(start, 1))
        for epoch in range(start + 1, params["epochs"] + 1):
            value = curve(params["x"], epoch)
            if run.report(epoch, value):
                stopped_at = epoch
                break
        with self.lock:
            self.checkpoints[run.id] = {"x": params["x"], "epochs": stopped_at or run.budget}
            self.calls.append({"id": run.id, "continues": run.continues, "start": start,
                               "stopped_at": stopped_at, "value": value, "params": params})
        return value


def _pruned_where_stopped(result: Any, trainer: Trainer) -> None:
    """Every run the rule stopped (the loop broke) is "pruned" at that step with that
    step's value; every other run is "ok" at its budget."""
    stopped = {(c["params"]["x"], c["params"]["epochs"]): c for c in trainer.calls}
    assert len(result.history) == len(trainer.calls)
    for observation in result.history:
        call = stopped[(observation.params["x"], observation.params["epochs"])]
        if call["stopped_at"] is None:
            assert (observation.status, observation.step) == ("ok", None)
        else:
            assert (observation.status, observation.step) == ("pruned", call["stopped_at"])
        assert observation.value == call["value"]


def test_a_sequential_run_reports_and_a_loop_that_breaks_is_pruned_at_the_stop() -> None:
    trainer = Trainer()
    result = minimize(trainer, SPACE, n_calls=30, seed=0, progress=False, pass_run=True)
    assert [c["id"] for c in trainer.calls] == list(range(30))  # one run at a time
    assert result.n_pruned > 0 and any(c["stopped_at"] for c in trainer.calls)
    _pruned_where_stopped(result, trainer)


def test_promotions_continue_the_earlier_run_and_load_its_checkpoint() -> None:
    trainer = Trainer()
    result = minimize(trainer, SPACE, n_calls=30, seed=0, progress=False, pass_run=True)
    promotions = [c for c in trainer.calls if c["continues"] is not None]
    assert promotions, "Hyperband promoted no run in 30 (raise n_calls)"
    by_id = {c["id"]: c for c in trainer.calls}
    for call in promotions:
        source = by_id[call["continues"]]  # the earlier run, whose checkpoint was loaded
        assert source["id"] < call["id"] and source["params"]["x"] == call["params"]["x"]
        assert call["start"] == source["params"]["epochs"] > 0
        # the history says the same: sequential, so a run's id is its history index
        assert result.history[call["id"]].continues == call["continues"]
    new = [c for c in trainer.calls if c["continues"] is None]
    assert all(c["start"] == 0 for c in new)


def test_a_pruner_is_accepted_with_pass_run_and_its_rungs_stop_the_runs() -> None:
    """Without a Fidelity, runs train to 20 epochs; the pruner's rungs (2, 4, 8, 16 for
    min_resource 2, η 2) are where the runs stop, not the default rule's (1, 3, 9)."""
    stops: list[int] = []

    def train(params: dict[str, Any], run: Run) -> float:
        assert run.budget is None and run.continues is None
        for epoch in range(1, 21):
            value = curve(params["x"], epoch)
            if run.report(epoch, value):
                stops.append(epoch)
                break
        return value

    result = minimize(train, {"x": Real(0.0, 1.0)}, n_calls=12, seed=0, progress=False,
                      pass_run=True, pruner=SuccessiveHalving(min_resource=2,
                                                              reduction_factor=2))
    assert stops and set(stops) <= {2, 4, 8, 16}
    assert sorted(o.step for o in result.history if o.status == "pruned") == sorted(stops)


def test_a_pruner_without_pass_run_is_refused_as_before() -> None:
    with pytest.raises(ValueError, match=r"pruner=SuccessiveHalving\(.*\): minimize never "
                                         r"reports without pass_run=True"):
        minimize(lambda p: p["x"], {"x": Real(0, 1)}, n_calls=3, progress=False,
                 pruner=SuccessiveHalving())


def test_two_threads_report_to_the_shared_optimizer() -> None:
    trainer = Trainer()
    with ThreadPoolExecutor(2) as pool:
        result = minimize(trainer, SPACE, n_calls=30, seed=0, progress=False, pass_run=True,
                          n_workers=2, executor=pool)
    assert sorted(c["id"] for c in trainer.calls) == list(range(30))
    assert any(c["continues"] is not None for c in trainer.calls)
    assert result.n_pruned > 0
    _pruned_where_stopped(result, trainer)


def test_a_shared_study_names_the_runs_by_the_studys_ids(tmp_path: Path) -> None:
    """On SQLite the ids are the study's (`Optimizer.run_ids`), and the reports its own."""
    trainer = Trainer()
    result = minimize(trainer, SPACE, n_calls=25, seed=0, progress=False, pass_run=True,
                      storage=f"sqlite:///{tmp_path / 'study.db'}", study="tune")
    assert [c["id"] for c in trainer.calls] == list(range(25))
    assert any(c["continues"] is not None for c in trainer.calls) and result.n_pruned > 0
    _pruned_where_stopped(result, trainer)


def _never(params: dict[str, Any], run: Run) -> float:
    raise AssertionError("evaluated")


@pytest.mark.parametrize("where", ["own pool", "process pool"])
def test_a_process_pool_is_refused_before_any_evaluation(tmp_path: Path, where: str) -> None:
    journal = tmp_path / "run.jsonl"
    if where == "own pool":
        with pytest.raises(ValueError, match=r"pass_run=True with n_workers=2 and no executor "
                                             r"\(a process pool\).*ThreadPoolExecutor"):
            minimize(_never, SPACE, n_calls=4, n_workers=2, pass_run=True, progress=False,
                     journal=journal)
    else:
        with ProcessPoolExecutor(1) as pool, pytest.raises(
                ValueError, match=r"pass_run=True with executor=<concurrent.futures.process"
                                  r".ProcessPoolExecutor.*run.report cannot reach"):
            minimize(_never, SPACE, n_calls=4, n_workers=2, executor=pool, pass_run=True,
                     progress=False, journal=journal)
    assert not journal.exists()


def test_a_dask_client_is_refused_before_any_evaluation(tmp_path: Path) -> None:
    import distributed

    journal = tmp_path / "run.jsonl"
    with (
        distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                 dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
        pytest.raises(ValueError, match=r"pass_run=True with executor=<Client.*run.report "
                                        r"cannot reach"),
    ):
        minimize(_never, SPACE, n_calls=4, n_workers=2, executor=client, pass_run=True,
                 progress=False, journal=journal)
    assert not journal.exists()


@pytest.mark.parametrize("value", ["yes", 1, None, 0.0])
def test_pass_run_must_be_a_bool(value: Any) -> None:
    with pytest.raises(TypeError, match=rf"pass_run={value!r} must be True or False"):
        minimize(_never, SPACE, n_calls=4, pass_run=value, progress=False)


def test_a_run_refuses_bad_reports_and_pickling() -> None:
    seen: list[str] = []

    def train(params: dict[str, Any], run: Run) -> float:
        assert repr(run) == "Run(id=0, continues=None, budget=None)"
        with pytest.raises(TypeError, match=r"run.report: step='1' must be a number"):
            run.report("1", 0.5)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match=r"run.report: value=None must be a number"):
            run.report(1, None)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match=r"cannot be pickled: its report goes to the "
                                            r"optimizer"):
            pickle.dumps(run)
        seen.append("checked")
        return 1.0

    minimize(train, {"x": Real(0.0, 1.0)}, n_calls=1, seed=0, progress=False, pass_run=True)
    assert seen == ["checked"]


TRAIN = textwrap.dedent('''
    import json, os, signal, sys
    from bayesopt import Fidelity, Real, minimize

    LOG, JOURNAL, KILL = sys.argv[1], sys.argv[2], int(sys.argv[3])

    def train(params, run):  # checkpoints: files named by run id, holding their epochs
        start = 0 if run.continues is None else int(open(f"ckpt-{run.continues}").read())
        with open(LOG, "a") as log:
            log.write(json.dumps({"id": run.id, "continues": run.continues,
                                  "x": params["x"], "epochs": run.budget}) + "\\n")
        value, epoch = 1.0, start
        for epoch in range(start + 1, run.budget + 1):
            value = (params["x"] - 0.3) ** 2 + 1.0 / epoch
            stop = run.report(epoch, value)
            if run.id == KILL:  # killed mid-run after its first report: nothing cleans up
                os.kill(os.getpid(), signal.SIGKILL)
            if stop:
                break
        with open(f"ckpt-{run.id}", "w") as checkpoint:
            checkpoint.write(str(epoch))
        return value

    if __name__ == "__main__":
        minimize(train, {"x": Real(0.0, 1.0), "epochs": Fidelity(1, 9)}, n_calls=16,
                 seed=1, journal=JOURNAL, pass_run=True, progress=False)
''')


def _train(directory: Path, kill: int) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run([sys.executable, "train.py", "calls.log", "run.jsonl", str(kill)],
                          cwd=directory, env=env, capture_output=True, text=True,
                          timeout=600, check=False)


def test_a_killed_run_resumes_with_the_same_ids(tmp_path: Path) -> None:
    """SIGKILL of a `minimize(..., pass_run=True, journal=...)` process in the middle of run
    K, after its first report: the same call evaluates K first, with the same id, continues
    and budget; its report of the killed attempt's step is not made again; and every run
    after it has the ids, params and outcome of an uninterrupted run with the same seed."""
    whole = tmp_path / "whole"
    whole.mkdir()
    (whole / "train.py").write_text(TRAIN)
    done = _train(whole, kill=-1)
    assert done.returncode == 0, done.stderr
    calls = [json.loads(line) for line in (whole / "calls.log").read_text().splitlines()]
    assert [c["id"] for c in calls] == list(range(16))
    # the first run after the first promotion that trains more than one epoch
    kill = next(c["id"] for c in calls if c["id"] > min(
        d["id"] for d in calls if d["continues"] is not None) and c["epochs"] > 1)

    killed = tmp_path / "killed"
    killed.mkdir()
    (killed / "train.py").write_text(TRAIN)
    done = _train(killed, kill=kill)
    assert done.returncode == -9, done.stderr
    done = _train(killed, kill=-1)  # the same call: resumes the journal
    assert done.returncode == 0, done.stderr
    again = [json.loads(line) for line in (killed / "calls.log").read_text().splitlines()]
    assert again[:kill + 1] == calls[:kill + 1]  # up to the killed run's first attempt
    assert again[kill + 1:] == calls[kill:]  # the killed run again, then the same runs

    from bayesopt.cli import read_record

    resumed, uninterrupted = (read_record(d / "run.jsonl").history for d in (killed, whole))
    assert [(o.params, o.status, o.value, o.step, o.continues) for o in resumed] == [
        (o.params, o.status, o.value, o.step, o.continues) for o in uninterrupted]


def test_the_readmes_pass_run_example_runs_as_written() -> None:
    """README, "Multi-fidelity and early stopping": its `pass_run=True` block, with the
    functions it leaves to the reader and a smaller space and budget."""
    from test_readme_examples import blocks

    (code,) = [b for b in blocks("Multi-fidelity and early stopping") if "pass_run=True" in b]
    saved: dict[int, tuple[dict[str, float], int]] = {}
    loaded: list[int] = []

    def load_checkpoint(run_id: int) -> tuple[dict[str, float], int]:
        loaded.append(run_id)
        return saved[run_id]

    def save_checkpoint(run_id: int, model: dict[str, float], epoch: int) -> None:
        saved[run_id] = dict(model), epoch

    def train_one_epoch(model: dict[str, float]) -> float:
        model["epochs"] += 1
        return curve(model["x"], int(model["epochs"]))

    namespace = {"space": {"x": Real(0.0, 1.0), "epochs": Fidelity(1, 9)},
                 "new_model": lambda params: {"x": params["x"], "epochs": 0},
                 "load_checkpoint": load_checkpoint, "save_checkpoint": save_checkpoint,
                 "train_one_epoch": train_one_epoch}
    code = code.replace('n_calls=300, seed=0, journal="tune.jsonl"', "n_calls=30, seed=0, "
                        "progress=False")
    exec(compile(code, "README.md: pass_run", "exec"), namespace)  # noqa: S102 - the README
    result = namespace["result"]
    assert len(result.history) == 30 and loaded and result.n_pruned > 0
    assert sorted(saved) == list(range(30)) and result.best_params is not None


def test_resuming_with_the_same_pruner_does_not_warn_and_another_is_named(
        tmp_path: Path) -> None:
    """The journal's header records a pruner= given (`Optimizer.config`, a dict); the same
    call again resumes without a `ResumeSettingsWarning` (it named ['pruner'] though the
    pruner was the same), and another pruner is named as ignored."""
    from bayesopt import ResumeSettingsWarning, ResumeWarning

    def train(params: dict[str, Any], run: Run) -> float:
        for epoch in range(1, 10):
            value = curve(params["x"], epoch)
            if run.report(epoch, value):
                break
        return value

    journal = tmp_path / "run.jsonl"
    pruner = SuccessiveHalving(min_resource=2, reduction_factor=2)
    settings = {"seed": 0, "progress": False, "pass_run": True, "journal": journal}
    minimize(train, {"x": Real(0.0, 1.0)}, n_calls=4, pruner=pruner, **settings)
    with pytest.warns(ResumeWarning, match="4"):
        again = minimize(train, {"x": Real(0.0, 1.0)}, n_calls=6, pruner=pruner, **settings)
    assert len(again.history) == 6
    with pytest.warns(ResumeWarning), pytest.warns(ResumeSettingsWarning,
                                                   match=r"ignoring \['pruner'\]"):
        minimize(train, {"x": Real(0.0, 1.0)}, n_calls=7, pruner=SuccessiveHalving(), **settings)


def test_an_objective_that_changes_its_params_dict_still_reports_on_its_run() -> None:
    """`run.report` reports on the run's params as asked, not on the dict the objective was
    given and may change (a training script that pops its own keys off it)."""
    def train(params: dict[str, Any], run: Run) -> float:
        x = params.pop("x")
        for epoch in range(1, params.pop("epochs") + 1):
            value = curve(x, epoch)
            if run.report(epoch, value):
                break
        return value

    result = minimize(train, SPACE, n_calls=20, seed=0, progress=False, pass_run=True)
    assert result.n_failed == 0 and len(result.history) == 20 and result.n_pruned > 0


def test_a_learning_curve_reported_at_once_is_recorded_as_its_steps_in_turn() -> None:
    """`run.report(steps, values)` with lists, as `Optimizer.report` takes them: the same
    study as reporting every epoch in turn (and training on whatever the rule says), its
    answer the last step's answer; an array and a tuple are taken too."""
    answers: dict[str, list[bool]] = {"steps": [], "curve": []}

    def each_step(params: dict[str, Any], run: Run) -> float:
        epochs = list(range(1, params["epochs"] + 1))
        said = [run.report(e, curve(params["x"], e)) for e in epochs]
        answers["steps"].append(said[-1])
        return curve(params["x"], epochs[-1])

    def at_once(params: dict[str, Any], run: Run) -> float:
        epochs = np.arange(1, params["epochs"] + 1)
        values = tuple(curve(params["x"], int(e)) for e in epochs)
        answers["curve"].append(run.report(epochs, values))
        return values[-1]

    one, other = (minimize(f, SPACE, n_calls=24, seed=3, progress=False, pass_run=True)
                  for f in (each_step, at_once))
    assert [(o.params, o.status, o.value, o.step, o.continues) for o in one.history] == [
        (o.params, o.status, o.value, o.step, o.continues) for o in other.history]
    assert answers["steps"] == answers["curve"] and True in answers["curve"]


def test_a_run_refuses_a_bad_curve_naming_the_entry() -> None:
    seen: list[str] = []

    def train(params: dict[str, Any], run: Run) -> float:
        with pytest.raises(ValueError, match=r"report: 2 step\(s\) for 1 value\(s\)"):
            run.report([1, 2], [0.5])
        with pytest.raises(TypeError, match=r"step\[1\]='2'"):
            run.report([1, "2"], [0.5, 0.4])
        with pytest.raises(ValueError, match=r"step\[1\]=1 must be after step\[0\]=2"):
            run.report([2, 1], [0.5, 0.4])
        with pytest.raises(ValueError, match=r"value=nan at step=2 is not finite"):
            run.report([1, 2], [0.5, float("nan")])
        with pytest.raises(TypeError, match=r"give one number each, or two equal-length"):
            run.report([1, 2], 0.5)
        assert run.report([1, 2], [0.5, 0.4]) is False  # nothing was recorded before
        seen.append("checked")
        return 0.4

    minimize(train, {"x": Real(0.0, 1.0)}, n_calls=1, seed=0, progress=False, pass_run=True)
    assert seen == ["checked"]


def test_a_resumed_runs_curve_leaves_out_the_steps_its_killed_attempt_reported(
        tmp_path: Path) -> None:
    """A run kept pending by a journal (its process killed after reporting steps 1–3): a
    curve of steps 1–5 records 4 and 5 only; a curve of recorded steps alone records
    nothing and answers as the attempt's rule did."""
    from bayesopt import Optimizer
    from bayesopt.optimizer import ResumeWarning
    from bayesopt.runs import RunReports

    space = {"x": Real(0.0, 1.0)}
    path = tmp_path / "run.jsonl"
    opt = Optimizer(space, seed=0, journal=path)
    params = opt.ask()
    run = opt.run_ids(params)[0]
    for step in (1, 2, 3):
        opt.report(params, step, curve(params["x"], step), run=run)
    del opt  # killed: the point stays pending in the journal, with its reports
    with pytest.warns(ResumeWarning, match="1 pending points are kept"):
        again = Optimizer.resume(path)
    assert again.report_status(params, run=run).last_step == 3
    reports = RunReports(again, params, run)
    assert reports.report_curve([1.0, 2.0], [9.0, 9.0]) is False  # the attempt's steps only
    assert again.report_status(params, run=run).last_step == 3
    steps = [1.0, 2.0, 3.0, 4.0, 5.0]
    assert reports.report_curve(steps, [curve(params["x"], int(s)) for s in steps]) is False
    assert again.report_status(params, run=run).last_step == 5
    with pytest.raises(ValueError, match=r"must be after the last reported step 5"):
        again.report(params, 5, 0.1, run=run)

"""A crash loses nothing: `minimize(..., journal=...)` killed with SIGKILL and restarted.

    SCRIPT    : a small program, written to tmp_path, that runs `minimize` on a cheap
                deterministic objective with a journal; the objective also appends every
                evaluation to a side log and sleeps ~30 ms, so that kills land during asks,
                evaluations and journal writes alike
    run       : the script started with `subprocess.Popen`, killed with SIGKILL after a
                seeded random delay once it has made progress, 5 times, then restarted
                until it exits normally
    snapshot  : the history read back from the journal right after a kill

Checked: the final journal holds exactly N distinct evaluations, each told value equals
the objective at its point, every observation journaled before a kill is still there in
the same place, every evaluation the objective saw is in the history, and the resumed run
asks exactly what an uninterrupted run asks. Plus the edge cases a kill can leave behind:
an empty journal file and a torn header line.
"""

from __future__ import annotations

import json
import math
import os
import pathlib
import random
import shutil
import signal
import subprocess
import sys
import time
import warnings
from typing import Any

import pytest

from bayesopt import Optimizer, Real, ResumeWarning, minimize
from bayesopt.failures import EvaluationFailedWarning
from bayesopt.journal import TruncatedJournalWarning

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL")

N_CALLS = 30
N_KILLS = 5
REPO = pathlib.Path(__file__).resolve().parents[1]

# The objective, its space and the optimizer settings: the script runs this very text.
SETUP = '''
import math

from acquisition.optimizer import AcquisitionOptimizerOptions
from bayesopt import Categorical, Integer, Real
from bayesopt.fitting import FitOptions
from bayesopt.model import ModelOptions
from bayesopt.options import OptimizerOptions

SPACE = {
    "x": Real(-2.0, 2.0),
    "y": Real(0.01, 10.0, log=True),
    "k": Integer(0, 4),
    "c": Categorical(["a", "b", "c"]),
}
OPTIONS = OptimizerOptions(
    model=ModelOptions(n_restarts=1, fit=FitOptions(maxiter=50)),
    acquisition_optimizer=AcquisitionOptimizerOptions(
        n_candidates=256, n_local_candidates=64, n_restarts=2, maxiter=30),
)


def objective_value(params):
    """Deterministic; raises where k == 4 and x > 1 (a failed evaluation)."""
    if params["k"] == 4 and params["x"] > 1.0:
        raise RuntimeError("diverged at " + repr(params))
    shift = {"a": 0.0, "b": 0.3, "c": 0.7}[params["c"]]
    return (params["x"] - 0.5) ** 2 + math.log10(params["y"]) ** 2 + 0.1 * params["k"] + shift
'''

SCRIPT = SETUP + '''

def main():
    import json, os, sys, time
    from bayesopt import minimize

    journal, side_log, n_calls = sys.argv[1], sys.argv[2], int(sys.argv[3])

    def objective(params):
        try:
            value = objective_value(params)
        except RuntimeError:
            value = None
        with open(side_log, "a") as log:  # what the objective really saw
            log.write(json.dumps([params, value]) + "\\n")
            log.flush()
            os.fsync(log.fileno())
        time.sleep(0.03)
        if value is None:
            objective_value(params)  # raise it for real
        return value

    minimize(objective, SPACE, n_calls=n_calls, seed=0, journal=journal, progress=False,
             n_initial=5, options=OPTIONS)


if __name__ == "__main__":
    main()
'''

_namespace: dict[str, Any] = {}
exec(compile(SETUP, "crash-setup", "exec"), _namespace)  # noqa: S102 - our own constant text
SPACE, OPTIONS, objective_value = (
    _namespace["SPACE"], _namespace["OPTIONS"], _namespace["objective_value"])


def key(params: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(params[name] for name in SPACE)


def size(path: pathlib.Path) -> int:
    return path.stat().st_size if path.exists() else 0


def read_back(journal: pathlib.Path, scratch: pathlib.Path) -> Optimizer:
    """The optimizer a restart would rebuild, from a copy (resume repairs a torn tail)."""
    shutil.copy(journal, scratch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TruncatedJournalWarning)
        warnings.simplefilter("ignore", ResumeWarning)  # a snapshot holds evaluations
        return Optimizer.resume(scratch)


def start(script: pathlib.Path, journal: pathlib.Path, side_log: pathlib.Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])}
    return subprocess.Popen(
        [sys.executable, str(script), str(journal), str(side_log), str(N_CALLS)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=script.parent,
    )


def wait_for_progress(proc: subprocess.Popen, journal: pathlib.Path, since: int) -> None:
    """Until the run has written past `since` bytes of journal (or ended)."""
    deadline = time.monotonic() + 120
    while size(journal) <= since and proc.poll() is None:
        assert time.monotonic() < deadline, "the run made no progress"
        time.sleep(0.005)


@pytest.fixture(scope="module")
def crashed_run(tmp_path_factory) -> dict[str, Any]:
    """Run the script, SIGKILL it N_KILLS times at seeded random moments, then let it finish."""
    tmp = tmp_path_factory.mktemp("crash")
    script, journal, side_log = tmp / "run_minimize.py", tmp / "run.jsonl", tmp / "evaluated.jsonl"
    script.write_text(SCRIPT)
    rng = random.Random(20240611)
    snapshots: list[list[Any]] = []
    kill_points: list[tuple[int, bool]] = []  # (journal size, last line torn?) at each kill
    for kill in range(N_KILLS):
        proc = start(script, journal, side_log)
        wait_for_progress(proc, journal, size(journal))
        time.sleep(rng.uniform(0.0, 0.25))
        if proc.poll() is not None:  # finished before the kill: nothing left to interrupt
            break
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stderr.close()  # type: ignore[union-attr]  # stderr=PIPE, unread after a kill
        assert proc.returncode == -signal.SIGKILL
        kill_points.append((size(journal), not journal.read_bytes().endswith(b"\n")))
        snapshots.append(read_back(journal, tmp / f"snapshot-{kill}.jsonl").history)
    proc = start(script, journal, side_log)
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr.decode(errors="replace")
    final = read_back(journal, tmp / "final.jsonl")
    evaluated = [json.loads(line) for line in side_log.read_text().splitlines()]
    return {"final": final, "snapshots": snapshots, "evaluated": evaluated,
            "kill_points": kill_points}


def test_the_run_was_really_interrupted(crashed_run):
    snapshots = crashed_run["snapshots"]
    assert len(snapshots) == N_KILLS
    assert any(0 < len(history) < N_CALLS for history in snapshots)
    sizes = [journal_size for journal_size, _ in crashed_run["kill_points"]]
    assert len(set(sizes)) >= 3, "the kills landed at different points of the run"


def test_after_the_kills_the_history_holds_exactly_n_distinct_evaluations(crashed_run):
    final = crashed_run["final"]
    assert len(final.history) == N_CALLS and final.pending == []
    assert len({key(o.params) for o in final.history}) == N_CALLS
    assert [o.index for o in final.history] == list(range(N_CALLS))


def test_every_told_value_is_the_objective_at_its_point(crashed_run):
    for observation in crashed_run["final"].history:
        try:
            expected = objective_value(observation.params)
        except RuntimeError:
            assert observation.status == "failed" and "diverged" in observation.error
        else:
            assert observation.status == "ok" and observation.value == expected


def test_nothing_journaled_before_a_kill_is_lost(crashed_run):
    final = crashed_run["final"].history
    for history in crashed_run["snapshots"]:
        assert final[: len(history)] == history


def test_every_evaluation_the_objective_saw_reached_the_history(crashed_run):
    """A point being evaluated at a kill was journaled as asked, so it is evaluated again on
    restart and told: nothing the objective saw is missing, and at most one re-run per kill."""
    told = {key(o.params): o.value for o in crashed_run["final"].history}
    evaluated = crashed_run["evaluated"]
    for params, value in evaluated:
        assert key(params) in told
        assert told[key(params)] == value
    assert N_CALLS <= len(evaluated) <= N_CALLS + N_KILLS


def test_the_resumed_run_asks_what_an_uninterrupted_run_asks(crashed_run, tmp_path):
    def objective(params):
        return objective_value(params)

    with pytest.warns(EvaluationFailedWarning, match="diverged at"):
        whole = minimize(objective, SPACE, n_calls=N_CALLS, seed=0,
                         journal=tmp_path / "whole.jsonl", progress=False, n_initial=5,
                         options=OPTIONS)
    assert [o.params for o in crashed_run["final"].history] == [o.params for o in whole.history]


# ------------------------------------------------- what a kill can leave behind


def test_empty_journal_from_a_kill_before_the_header_starts_a_new_run(tmp_path):
    journal = tmp_path / "run.jsonl"
    journal.touch()
    result = minimize(lambda p: p["x"] ** 2, {"x": Real(-1, 1)}, n_calls=4, seed=0,
                      journal=journal, progress=False, n_initial=2)
    with pytest.warns(ResumeWarning, match="4 evaluations and 0 pending points"):
        assert len(result) == 4 and len(Optimizer.resume(journal).history) == 4


def test_torn_header_from_a_kill_while_writing_it_starts_a_new_run(tmp_path):
    """Killed while the header line was being written: nothing was evaluated yet, so the run
    must be able to start (with a warning), not be stuck on an unreadable journal."""
    journal = tmp_path / "run.jsonl"
    Optimizer({"x": Real(-1, 1)}, seed=0, journal=tmp_path / "whole.jsonl").close()
    header = (tmp_path / "whole.jsonl").read_bytes()
    journal.write_bytes(header[: len(header) // 2])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TruncatedJournalWarning)
        result = minimize(lambda p: p["x"] ** 2, {"x": Real(-1, 1)}, n_calls=4, seed=0,
                          journal=journal, progress=False, n_initial=2)
    assert len(result) == 4
    with pytest.warns(ResumeWarning, match="4 evaluations and 0 pending points"):
        assert len(Optimizer.resume(journal).history) == 4


def test_kill_between_ask_and_tell_reevaluates_only_that_point(tmp_path):
    """The same situation as a SIGKILL during an evaluation, made deterministic."""
    journal = tmp_path / "run.jsonl"
    opt = Optimizer(SPACE, seed=0, n_initial=5, options=OPTIONS, journal=journal)
    for _ in range(6):
        p = opt.ask()
        try:
            opt.tell(p, objective_value(p))
        except RuntimeError as error:
            opt.tell_failure(p, error)
    in_evaluation = opt.ask()
    del opt  # the process dies: no close, no tell
    calls: list[dict[str, Any]] = []

    def objective(params):
        calls.append(params)
        return objective_value(params)

    with (pytest.warns(ResumeWarning, match="6 evaluations and 1 pending point"),
          pytest.warns(EvaluationFailedWarning, match="diverged at")):
        result = minimize(objective, SPACE, n_calls=9, seed=0, journal=journal, progress=False)
    assert calls[0] == in_evaluation and len(calls) == 3
    assert len(result) == 9 and len({key(o.params) for o in result.history}) == 9
    assert math.isfinite(result.best_value)

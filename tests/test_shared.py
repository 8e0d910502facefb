"""Shared studies: several optimizers attached to one study in one storage.

    study   : `Optimizer(space, storage=url, study=name, seed=...)` on a JSON-lines file and
              on SQLite (`url`, a parametrized fixture)
    worker  : one attached optimizer — in this process, or a separate Python process
              running WORKER (ask, evaluate, tell, a fixed number of times)
    replay  : a fresh optimizer attached afterwards, which applies every event

Checked: an attached optimizer sees the others' asks as pending and their tells as
observations and never asks a pending point again; attaching needs the same space
(the error names the first differing dimension); several processes on one JSON-lines
file make a study whose trials are numbered without gaps, whose asked points are all
distinct, and whose replay equals every worker's live history; `pending_timeout`
drops a dead worker's point by the stored event times, the same for every replay;
`minimize(storage=, study=)` counts the study's evaluations.
"""

from __future__ import annotations

import gc
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
import uuid
import warnings
from contextlib import closing
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from acquisition.optimizer import AcquisitionOptimizerOptions
from bayesopt import Integer, Optimizer, Real, minimize
from bayesopt.fidelity import SuccessiveHalving
from bayesopt.fitting import FitOptions
from bayesopt.journal import JournalError
from bayesopt.loop import ResumeSettingsWarning
from bayesopt.model import ModelOptions
from bayesopt.optimizer import ResumeWarning, disconnect
from bayesopt.options import OptimizerOptions
from bayesopt.storage import open_storage
from bayesopt.storage.jsonl import TruncatedJournalWarning
from processes import started
from test_journal import descriptors_under

REPO = Path(__file__).resolve().parents[1]

# Resuming a journal or study that holds evaluations warns (ResumeWarning), and so does an
# evaluation that raises in minimize (EvaluationFailedWarning): a test that does either says
# so with pytest.warns, and any other such warning fails it.
pytestmark = [pytest.mark.filterwarnings("error::bayesopt.optimizer.ResumeWarning"),
              pytest.mark.filterwarnings("error::bayesopt.failures.EvaluationFailedWarning")]
FAST = OptimizerOptions(
    model=ModelOptions(n_restarts=1, fit=FitOptions(maxiter=50)),
    acquisition_optimizer=AcquisitionOptimizerOptions(
        n_candidates=256, n_local_candidates=64, n_restarts=2, maxiter=30),
)
SPACE = {"x": Real(-2.0, 2.0), "y": Real(1e-3, 10.0, log=True), "k": Integer(0, 3)}


def objective(p: dict[str, Any]) -> float:
    return (p["x"] - 0.3) ** 2 + np.log10(p["y"]) ** 2 + 0.1 * p["k"]


def test_attached_optimizers_see_each_others_asks_and_tells(url, tmp_path):
    a = Optimizer(SPACE, storage=url, study="s", seed=1, n_initial=3, options=FAST)
    b = Optimizer(SPACE, storage=url, study="s", seed=1, n_initial=3, options=FAST)
    p = a.ask()
    assert b.pending == [p]
    q = b.ask()
    assert q != p  # the same seed, but p is pending
    a.tell(p, objective(p))
    assert [o.params for o in b.history] == [p] and b.pending == [q]
    b.tell(q, objective(q))
    assert a.history == b.history and a.pending == b.pending == []
    assert a.best == b.best and len(a.result().history) == 2
    late = Optimizer(SPACE, storage=url, study="s", seed=2)
    assert late.history == a.history  # a new attacher shows the whole study at once
    for opt in (a, b, late):
        opt.close()


def test_an_optimizer_in_a_with_block_is_closed_when_the_block_ends(url):
    """`with Optimizer(...) as opt:` gives the optimizer and closes its storage when the
    block ends, also on an exception, which it lets through: what the optimizer asks
    afterwards is no longer stored, and no open connection or file is left to be
    collected (a ResourceWarning: psycopg's for an unclosed PostgreSQL connection)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        with Optimizer(SPACE, storage=url, study="s", seed=0, options=FAST) as opt:
            assert isinstance(opt, Optimizer)
            p = opt.ask()
            opt.tell(p, objective(p))
        opt.ask()  # the optimizer stays usable, detached
        failing = Optimizer(SPACE, storage=url, study="s", seed=1, options=FAST)
        with pytest.raises(RuntimeError, match="diverged"), failing:
            q = failing.ask()
            raise RuntimeError("diverged")
        failing.ask()
        late = Optimizer(SPACE, storage=url, study="s")
        assert [o.params for o in late.history] == [p] and late.pending == [q]
        late.close()
        del opt, failing, late
        gc.collect()
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []


def test_a_disconnected_optimizer_connects_again_when_used(url, tmp_path):
    """`disconnect` (BayesSearchCV's optimizers after fit) closes the connections of an
    SQLite or PostgreSQL study and holds none until the optimizer reads or writes the
    study again, which it then does as before. A JSON-lines file keeps its descriptors
    (the one it reads through holds the file read so far)."""
    opt = Optimizer(SPACE, storage=url, study="s", seed=0, n_initial=2, options=FAST)
    opt.tell(opt.ask(), 1.0)
    disconnect(opt)
    storage = opt._link.storage
    if url.startswith("sqlite"):
        assert storage._conn is None and descriptors_under(tmp_path) == []
    elif url.endswith(".jsonl"):
        assert descriptors_under(tmp_path) != []
    else:
        assert storage._data is None and storage._locks is None
    with Optimizer(SPACE, storage=url, study="s", seed=1, options=FAST) as other:
        other.tell(other.ask(), 2.0)
    with opt:
        assert [o.value for o in opt.history] == [1.0, 2.0]
        p = opt.ask()
        opt.tell(p, 0.5)
    with Optimizer(SPACE, storage=url, study="s") as late:
        assert [o.params for o in late.history][-1] == p


def test_a_storage_object_given_stays_the_callers_and_a_url_is_closed(url, tmp_path):
    """`close` (a ``with`` block, `minimize`'s end) closes a storage the optimizer opened from
    a path or URL, but not a `Storage` object the caller gave, which another optimizer and
    `minimize` then keep using (a second study on it, where the storage holds several)
    until the caller closes it."""
    storage = open_storage(url)
    with Optimizer(SPACE, storage=storage, study="a", seed=0, n_initial=2, options=FAST) as opt:
        opt.tell(opt.ask(), 1.0)
    with Optimizer(SPACE, storage=storage, study="a", seed=1, options=FAST) as other:
        assert [o.value for o in other.history] == [1.0]
    second = "a" if url.endswith(".jsonl") else "b"  # a JSON-lines file holds one study
    result = minimize(lambda p: p["x"] + p["y"], SPACE, n_calls=3, seed=0, storage=storage,
                      study=second, options=FAST)
    assert len(result.history) == 3 and sorted(storage.studies()) == sorted({"a", second})
    storage.close()
    with pytest.raises(ValueError, match="closed"):
        storage.studies()
    opened = Optimizer(SPACE, storage=url, study="a", seed=2, options=FAST)
    own = opened._link.storage
    opened.close()
    with pytest.raises(ValueError, match="closed"):
        own.studies()


def test_a_disconnected_sqlite_study_refuses_a_file_replaced_meanwhile(tmp_path):
    """The file a disconnected storage opened is still the one it checks for: a database
    replaced at the path meanwhile (a copy restored) is refused, not written on."""
    path = tmp_path / "study.db"
    opt = Optimizer(SPACE, storage=f"sqlite:///{path}", study="s", seed=0, options=FAST)
    opt.tell(opt.ask(), 1.0)
    disconnect(opt)
    copy = tmp_path / "copy.db"
    with closing(sqlite3.connect(path)) as conn, closing(sqlite3.connect(copy)) as target:
        conn.backup(target)
    os.replace(copy, path)
    with opt, pytest.raises(JournalError, match="deleted or replaced"):
        opt.ask()


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="lists descriptors in /proc")
def test_an_attach_the_study_refuses_closes_the_storage_it_opened(url, tmp_path):
    """An attach the study refuses (another space here) raised with the storage it had opened
    still open, held by the exception's frames and then left to the garbage collector: a
    JSON-lines study kept its descriptors, and from Python 3.13 an unclosed SQLite connection
    warns when collected (ResourceWarning), failing whichever test the collection fell in
    (tests/test_cli_command.py's refused attach left one; test_cli_objective.py's SIGKILL
    test met it twice, under json's `simplefilter("error")`). The refused attach now closes
    what it opened; a storage the caller opened stays open."""
    Optimizer(SPACE, storage=url, study="s").close()
    other = {**SPACE, "y": Real(1e-3, 100.0, log=True)}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        with pytest.raises(JournalError, match="another space") as refused:
            Optimizer(other, storage=url, study="s")
        held = descriptors_under(tmp_path)  # while the exception and its frames live
        del refused
        gc.collect()
    assert held == []
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []
    storage = open_storage(url)
    with pytest.raises(JournalError, match="another space"):
        Optimizer(other, storage=storage, study="s")
    assert storage.studies() == ["s"]  # the caller's, still open
    storage.close()


def test_a_resumed_optimizer_in_a_with_block_stops_writing_its_journal(tmp_path):
    path = tmp_path / "run.jsonl"
    with Optimizer(SPACE, journal=path, seed=0, options=FAST) as opt:
        opt.tell(opt.ask(), 1.0)
    with pytest.warns(ResumeWarning, match="1 evaluations"), Optimizer.resume(path) as resumed:
        resumed.tell(resumed.ask(), 2.0)
    lines = path.read_text().count("\n")
    resumed.tell(resumed.ask(), 3.0)
    assert path.read_text().count("\n") == lines
    assert len(Optimizer.resume(path, append=False).history) == 2


def test_attaching_needs_the_same_space_and_a_study_name(tmp_path):
    path = tmp_path / "study.jsonl"
    Optimizer(SPACE, storage=path, study="s").close()
    other = {**SPACE, "y": Real(1e-3, 100.0, log=True)}
    with pytest.raises(JournalError, match=r"dimension 1 is 'y'.*'high': 10\.0.*'high': 100\.0"):
        Optimizer(other, storage=path, study="s")
    with pytest.raises(JournalError, match="minimizes its objective; attach with maximize=False"):
        Optimizer(SPACE, storage=path, study="s", maximize=True)
    with pytest.raises(ValueError, match="needs study="):
        Optimizer(SPACE, storage=path)
    with pytest.raises(ValueError, match="needs storage="):
        Optimizer(SPACE, study="s")
    with pytest.raises(TypeError, match="study=3 must be a string"):
        Optimizer(SPACE, storage=path, study=3)
    with pytest.raises(ValueError, match="not both"):
        Optimizer(SPACE, storage=path, study="s", journal=tmp_path / "j.jsonl")
    with pytest.raises(ValueError, match="holds the study 's', not 't'"):
        Optimizer(SPACE, storage=path, study="t")



def test_model_settings_are_each_workers_own(tmp_path):
    """What the README says attaching compares: the space, the direction, n_constraints,
    the input constraints and the pruner, not the model's settings: a worker with another acquisition,
    kernel, n_initial, seed and pending_timeout attaches and shares the history."""
    path = tmp_path / "study.jsonl"
    first = Optimizer(SPACE, storage=path, study="s", seed=0, n_initial=3, options=FAST)
    first.tell(first.ask(), 1.0)
    other = Optimizer(SPACE, storage=path, study="s", seed=1, n_initial=5, acquisition="ucb",
                      kernel="rbf", pending_timeout=60.0)
    point = other.ask()
    assert other.history == first.history and first.pending == [point]
    with pytest.raises(JournalError, match="has n_constraints=None; attach with"):
        Optimizer(SPACE, storage=path, study="s", n_constraints=1, acquisition="logei")
    for opt in (first, other):
        opt.close()

def test_attaching_with_the_count_of_constraints_the_studys_tells_fixed(url):
    """A study created without n_constraints whose tells carry 2 constraint values: an
    attach declaring 2 is the study's count and attaches; another count raises naming
    both."""
    first = Optimizer(SPACE, storage=url, study="s", seed=0, n_initial=3, options=FAST)
    first.tell(first.ask(), 1.0, constraints=[0.5, -1.0])
    second = Optimizer(SPACE, storage=url, study="s", seed=1, n_initial=3, options=FAST,
                       n_constraints=2)
    assert second.history == first.history and second.n_constraints == first.n_constraints == 2
    second.tell(second.ask(), 0.5, constraints=[-0.5, -1.0])
    assert first.history == second.history
    with pytest.raises(JournalError, match=r"tells carry 2 constraint value\(s\); attach with "
                                           r"n_constraints=None or 2, not n_constraints=3"):
        Optimizer(SPACE, storage=url, study="s", n_constraints=3)
    third = Optimizer(SPACE, storage=url, study="s", seed=2, options=FAST)
    assert third.n_constraints == 2  # attached without it: the count the tells fixed
    for opt in (first, second, third):
        opt.close()


def test_attaching_needs_the_studys_pruner(url):
    """Each worker applies every report and tell by its own early-stopping rule, so two
    rules would record one run as "ok" and as "pruned": the pruner is the study's, like
    its direction. Compared as rules: the default given explicitly attaches."""
    first = Optimizer(SPACE, storage=url, study="s", seed=0, pruner=SuccessiveHalving(1, 3))
    with pytest.raises(JournalError, match=r"stops runs early by pruner=SuccessiveHalving\("
                                           r"min_resource=1.*attach with that pruner, not "
                                           r"pruner=SuccessiveHalving\(min_resource=2"):
        Optimizer(SPACE, storage=url, study="s", seed=1, pruner=SuccessiveHalving(2, 2))
    with pytest.raises(JournalError, match=r"bootstrap_count=0\); attach with that pruner, "
                                           r"not .*bootstrap_count=1\)"):
        Optimizer(SPACE, storage=url, study="s", seed=1,
                  pruner=SuccessiveHalving(1, 3, bootstrap_count=1))
    second = Optimizer(SPACE, storage=url, study="s", seed=1)  # None: SuccessiveHalving(1, 3)
    p, q = first.ask(2)
    assert not first.report(p, 1, 0.1) and first.report(q, 1, 0.9)
    first.tell([p, q], [0.1, 0.9])
    assert [o.status for o in second.history] == [o.status for o in first.history] == [
        "ok", "pruned"]
    for opt in (first, second):
        opt.close()


def test_a_stored_pruner_that_is_no_rule_is_a_corrupt_study(tmp_path):
    """A header whose pruner values no SuccessiveHalving takes (edited by hand) is a
    JournalError naming the study and the stored pruner, not a bare ValueError."""
    path = tmp_path / "s.jsonl"
    Optimizer(SPACE, storage=str(path), study="s", seed=0, pruner=SuccessiveHalving(1, 3)).close()
    lines = path.read_text().splitlines()
    header = json.loads(lines[0])
    header["config"]["pruner"]["min_resource"] = -5
    path.write_text("\n".join([json.dumps(header), *lines[1:]]) + "\n")
    with pytest.raises(JournalError, match=r"is corrupt: its header's pruner .*'min_resource': "
                                           r"-5.* is not a rule: min_resource=-5"):
        Optimizer(SPACE, storage=str(path), study="s", seed=1)


WORKER = """
import json, sys
import numpy as np
sys.path.insert(0, sys.argv[4])
from test_shared import FAST, SPACE, objective
from bayesopt import Optimizer

path, seed, cycles = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
opt = Optimizer(SPACE, storage=path, study="s", seed=seed, n_initial=4, options=FAST)
asked = []
for _ in range(cycles):
    p = opt.ask()
    asked.append(p)
    opt.tell(p, objective(p))
out = [[o.index, o.params, o.value] for o in opt.history]
print(json.dumps({"asked": asked, "history": out}))
opt.close()
"""


# The load test: 8 processes x 25 ask/tell cycles on every storage.
LOAD_WORKERS, LOAD_CYCLES = 8, 25


def run_workers(url: str, n_workers: int, cycles: int) -> list[dict[str, Any]]:
    """Start `n_workers` WORKER processes on the study at once; their outputs, parsed."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    workers = [subprocess.Popen(
        [sys.executable, "-c", WORKER, url, str(seed), str(cycles), str(REPO / "tests")],
        stdout=subprocess.PIPE, env=env, text=True) for seed in range(n_workers)]
    outputs = [w.communicate(timeout=1800)[0] for w in workers]
    assert [w.returncode for w in workers] == [0] * n_workers
    return [json.loads(text) for text in outputs]


def test_several_processes_share_one_study(url, tmp_path):
    Optimizer(SPACE, storage=url, study="s").close()  # created before the workers start
    outputs = run_workers(url, LOAD_WORKERS, LOAD_CYCLES)
    replay = Optimizer(SPACE, storage=url, study="s", seed=99)
    history = replay.history
    assert [o.index for o in history] == list(range(LOAD_WORKERS * LOAD_CYCLES))
    assert replay.pending == []
    key = lambda p: json.dumps(p, sort_keys=True)
    asked = [p for out in outputs for p in out["asked"]]
    assert sorted(map(key, asked)) == sorted(key(o.params) for o in history)  # each told once
    X = replay.space.encode([o.params for o in history])  # (200, d), in the unit cube
    gaps = np.sum((X[:, None, :] - X[None, :, :]) ** 2, axis=-1) + np.eye(len(X))
    assert np.min(np.sqrt(gaps)) > 1e-6  # no two asked points within 1e-6
    final = json.loads(json.dumps([[o.index, o.params, o.value] for o in history]))
    views = [out["history"] for out in outputs]
    assert max(views, key=len) == final  # the worker that finished last saw the replay
    assert all(view == final[: len(view)] for view in views)  # every view is a prefix
    replay.close()


def _dead_ask(url: str, params: dict[str, Any], age: float) -> None:
    """An ask event of a worker that died `age` seconds ago, without a tell."""
    storage = open_storage(url)
    storage.append("s", [{"event": "ask", "points": [[params["x"], params["y"], params["k"]]],
                          "time": time.time() - age, "worker": "dead", "state": None}])
    storage.close()


def test_pending_timeout_drops_a_dead_workers_point_by_stored_times(url, tmp_path):
    Optimizer(SPACE, storage=url, study="s").close()
    dead = {"x": 0.5, "y": 1.0, "k": 1}
    _dead_ask(url, dead, age=3600.0)
    patient = Optimizer(SPACE, storage=url, study="s", seed=0, n_initial=3)
    hasty = Optimizer(SPACE, storage=url, study="s", seed=0, n_initial=3, pending_timeout=60.0)
    # nothing has happened since the dead ask, but the clock says it timed out: not in
    # flight for an ask (it listed the point until an event released it; tidy16)
    assert hasty.pending == [] and patient.pending == [dead]
    asked = hasty.ask()  # an event an hour later: the dead point expires in the fold too
    assert hasty.pending == [asked]
    assert patient.pending == [dead, asked]
    again = Optimizer(SPACE, storage=url, study="s", pending_timeout=60.0)
    assert again.pending == hasty.pending  # every replay agrees
    hasty.tell(dead, 1.0)  # a late result of the expired point is still welcome, quietly
    assert patient.pending == [asked] and len(patient.history) == 1
    with pytest.raises(ValueError, match="pending_timeout"):
        Optimizer(SPACE, pending_timeout=-1.0)
    for opt in (patient, hasty, again):
        opt.close()



def test_two_workers_adding_the_same_point_at_once_leave_it_pending_once(tmp_path):
    """b's add_pending of a point lands while a's add_pending of the same point is
    between its check and its append (a's storage runs b's call, in a thread, just before
    a's append). Unlocked, both checks passed and the study held the point pending twice
    without repeat=True: a fantasy counted twice, and one entry left pending after its
    tell. Under the study's lock b's check waits for a's append, and refuses the point."""
    import threading

    from bayesopt.storage.sqlite import SQLiteStorage

    during_append: list[Any] = []
    workers: list[threading.Thread] = []
    refused: list[BaseException] = []

    class Interleaving(SQLiteStorage):
        def append(self, study: str, events: Any) -> int:
            while during_append:
                workers.append(threading.Thread(target=during_append.pop()))
                workers[-1].start()
                workers[-1].join(timeout=1.0)  # done at once without the lock; else blocked
            return super().append(study, events)

    path = tmp_path / "study.db"
    interleaving = Interleaving(path)
    a = Optimizer(SPACE, storage=interleaving, study="s", seed=0)
    b = Optimizer(SPACE, storage=f"sqlite:///{path}", study="s", seed=1)
    point = {"x": 0.5, "y": 1.0, "k": 1}

    def b_adds() -> None:
        try:
            b.add_pending(point)
        except ValueError as error:
            refused.append(error)

    during_append.append(b_adds)
    a.add_pending(point)
    workers[0].join()
    assert len(refused) == 1 and "pending already" in str(refused[0])
    assert a.pending == b.pending == [point]
    b.tell(point, 1.0)
    assert a.pending == [] and len(a.history) == 1
    b.add_pending(point, repeat=True)  # a replicate still needs no lock and may repeat
    a.add_pending(point, repeat=True)
    assert b.pending == [point, point]
    for opt in (a, b):
        opt.close()
    interleaving.close()  # the caller's: a's close leaves it open


def test_any_worker_can_cancel_or_fail_a_dead_workers_point(url, tmp_path):
    """What the README offers besides pending_timeout (Optuna's fail_stale_trials): any
    attached optimizer passes a dead worker's pending point to `cancel` or
    `tell_failure`, and every worker, and every later replay, stops counting it."""
    Optimizer(SPACE, storage=url, study="s").close()
    dead = [{"x": 0.5, "y": 1.0, "k": 1}, {"x": 0.25, "y": 2.0, "k": 2}]
    for params in dead:
        _dead_ask(url, params, age=60.0)
    other = Optimizer(SPACE, storage=url, study="s", seed=1)
    janitor = Optimizer(SPACE, storage=url, study="s", seed=0)
    assert janitor.pending == dead and other.pending == dead
    janitor.cancel(janitor.pending[0])
    janitor.tell_failure(janitor.pending[0], "worker died")
    assert other.pending == [] and [o.error for o in other.history] == ["worker died"]
    replay = Optimizer(SPACE, storage=url, study="s", seed=2)
    assert replay.pending == [] and replay.history == other.history
    for opt in (other, janitor, replay):
        opt.close()


def test_a_killed_workers_point_counts_toward_the_total_until_it_expires(url, tmp_path):
    """README: without pending_timeout the study ends one evaluation short for each killed
    worker's point; with it the point expires and the total is reached."""
    Optimizer(SPACE, storage=url, study="s").close()
    dead = {"x": 0.5, "y": 1.0, "k": 1}
    _dead_ask(url, dead, age=3600.0)
    short = minimize(objective, SPACE, n_calls=3, seed=0, storage=url, study="s",
                     progress=False, n_initial=3, options=FAST)
    assert len(short.history) == 2
    full = minimize(objective, SPACE, n_calls=3, seed=1, storage=url, study="s",
                    progress=False, n_initial=3, options=FAST, pending_timeout=60.0)
    assert len(full.history) == 3 and full.history[:2] == short.history

def test_minimize_counts_the_studys_evaluations(url, tmp_path):
    first = minimize(objective, SPACE, n_calls=4, seed=0, storage=url, study="s",
                     progress=False, n_initial=3, options=FAST)
    assert len(first.history) == 4
    second = minimize(objective, SPACE, n_calls=7, seed=1, storage=url, study="s",
                      progress=False, n_initial=3, options=FAST)
    assert len(second.history) == 7 and second.history[:4] == first.history
    with pytest.raises(ValueError, match="needs storage="):
        minimize(objective, SPACE, n_calls=2, study="s", progress=False)


VICTIM = """
import json, sys
sys.path.insert(0, sys.argv[2])
from test_shared import FAST, SPACE, objective
from bayesopt import Optimizer

opt = Optimizer(SPACE, storage=sys.argv[1], study="s", seed=7, n_initial=4, options=FAST)
while True:
    p = opt.ask()
    opt.tell(p, objective(p))
    print(json.dumps(p), flush=True)  # told: it must survive the kill
"""


@pytest.mark.skipif(not hasattr(__import__("signal"), "SIGKILL"), reason="needs POSIX SIGKILL")
def test_a_worker_killed_mid_study_loses_nothing_and_blocks_no_one(url, tmp_path):
    import random
    import signal

    Optimizer(SPACE, storage=url, study="s").close()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with started([sys.executable, "-c", VICTIM, url, str(REPO / "tests")],
                 stdout=subprocess.PIPE, env=env, text=True) as victim:
        assert victim.stdout is not None
        told = [json.loads(victim.stdout.readline()) for _ in range(3)]
        time.sleep(random.Random(0).uniform(0.0, 0.3))  # land anywhere: asking, appending,
        victim.send_signal(signal.SIGKILL)  # telling
        told += [json.loads(line) for line in victim.stdout.read().splitlines() if line.strip()]
        victim.wait()
    survivors = [subprocess.Popen(
        [sys.executable, "-c", WORKER, url, str(seed), "4", str(REPO / "tests")],
        stdout=subprocess.PIPE, env=env, text=True) for seed in (1, 2)]
    for worker in survivors:
        worker.communicate(timeout=600)  # they finish: no lock was left held
        assert worker.returncode == 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TruncatedJournalWarning)  # the kill may tear a line
        replay = Optimizer(SPACE, storage=url, study="s", seed=0)
        history = replay.history
    assert [o.index for o in history] == list(range(len(history)))
    values = {json.dumps(o.params, sort_keys=True): o.value for o in history}
    for params in told:
        assert values[json.dumps(params, sort_keys=True)] == objective(params)
    assert len(history) >= len(told) + 8
    replay.close()


HOLDER = """
import sys, time
from bayesopt.storage import open_storage
storage = open_storage(sys.argv[1])
with storage.lock("s"):
    print("locked", flush=True)
    time.sleep(600)
"""

TELLER = """
import sys
sys.path.insert(0, sys.argv[2])
from test_shared import SPACE
from bayesopt import Optimizer
opt = Optimizer(SPACE, storage=sys.argv[1], study="s", seed=0)
opt.tell({"x": 0.5, "y": 1.0, "k": 1}, 2.0)
opt.add_pending({"x": 0.25, "y": 1.0, "k": 1}, repeat=True)
print(len(opt.history), len(opt.pending), flush=True)
"""


def test_tells_do_not_wait_for_an_ask_holding_the_study_lock(url, tmp_path):
    """Only asks are serialized: a worker computing its ask under the study's lock (here a
    process that holds it and never lets go) does not hold up the others' tells, nor an
    add_pending(repeat=True). A plain add_pending checks under the lock that its point is
    not pending already, and waits for it (test_two_workers_adding_the_same_point_...)."""
    Optimizer(SPACE, storage=url, study="s").close()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with started([sys.executable, "-c", HOLDER, url], stdout=subprocess.PIPE, env=env,
                 text=True) as holder:  # killed at the block's end
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        teller = subprocess.run([sys.executable, "-c", TELLER, url, str(REPO / "tests")],
                                check=False, capture_output=True, env=env, text=True,
                                timeout=300)
        assert teller.returncode == 0, teller.stderr
        assert teller.stdout.split() == ["1", "1"]
    with Optimizer(SPACE, storage=url, study="s") as reader:
        assert len(reader.history) == 1


def test_ask_within_starts_no_more_than_the_total_across_workers(url, tmp_path):
    a = Optimizer(SPACE, storage=url, study="s", seed=0, n_initial=3, options=FAST)
    b = Optimizer(SPACE, storage=url, study="s", seed=1, n_initial=3, options=FAST)
    p = a.ask_within(2)
    q = b.ask_within(2)
    assert p is not None and q is not None and p != q
    assert a.ask_within(2) is None and b.ask_within(2) is None  # one told + one running = 2
    a.tell(p, objective(p))
    assert b.ask_within(2) is None and len(b.ask_within(3) or {}) == 3
    with pytest.raises(ValueError, match="total"):
        a.ask_within(0)
    for opt in (a, b):
        opt.close()


def test_loading_the_kernels_before_the_lock_changes_no_ask():
    """`load_kernels` (a shared study's ask runs it before taking the lock) fits a
    throwaway model: the optimizer's state and generator, and so its asks, stay as they were."""
    from bayesopt.propose import load_kernels

    space = {"x": Real(-2.0, 2.0), "k": Integer(0, 3)}
    plain, loaded = Optimizer(space, seed=4, n_initial=3), Optimizer(space, seed=4, n_initial=3)
    for step in range(6):
        load_kernels(loaded._state)
        a, b = plain.ask(), loaded.ask()
        assert a == b, step
        plain.tell(a, a["x"] ** 2 + a["k"])
        loaded.tell(b, b["x"] ** 2 + b["k"])


def test_an_ask_whose_postgres_lock_was_lost_is_computed_again(postgres_server, monkeypatch):
    """The server restarts while a worker computes an ask under the study lock, and
    another worker takes the freed lock and asks first: the first worker's ask is not
    appended as computed (it would repeat the other's point: the same seed, the same
    design point) but computed again after catching up (bayesopt.storage.LockLost)."""
    from bayesopt.propose import Proposal

    url = str(postgres_server.create_database(f"study_{uuid.uuid4().hex[:12]}"))
    holder = Optimizer(SPACE, storage=url, study="s", seed=1, n_initial=3, options=FAST)
    other = Optimizer(SPACE, storage=url, study="s", seed=1, n_initial=3, options=FAST)
    original, interleaved = Proposal.points, []

    def points(self, count):
        if not interleaved:  # the first computation of the holder's ask
            interleaved.append("restarting")
            postgres_server.restart()
            interleaved.append(other.ask())
        return original(self, count)

    monkeypatch.setattr(Proposal, "points", points)
    with pytest.warns(RuntimeWarning, match="re-acquiring the locks"):
        mine = holder.ask()
    theirs = interleaved[1]
    assert mine != theirs
    assert holder.pending == [theirs, mine]
    fresh = Optimizer(SPACE, storage=url, study="s", seed=2)
    assert fresh.pending == [theirs, mine]
    for opt in (holder, other, fresh):
        opt.close()


class _Interrupt:
    """An objective whose `at`-th call is interrupted (Ctrl-C while it runs)."""

    def __init__(self, at: int) -> None:
        self.at, self.calls = at, 0

    def __call__(self, p: dict[str, Any]) -> float:
        self.calls += 1
        if self.calls == self.at:
            raise KeyboardInterrupt
        return objective(p)


def _interrupt_after_the_first_tell(observation: Any, opt: Optimizer) -> None:
    raise KeyboardInterrupt


@pytest.mark.parametrize("n_workers", [1, 2])
@pytest.mark.parametrize("kind", ["jsonl", "sqlite"])
def test_an_interrupted_worker_cancels_its_points_in_flight(tmp_path, kind, n_workers):
    """Ctrl-C in a worker of a shared study (`minimize`, and so `bayesopt run --storage`):
    the points it was evaluating are cancelled, not left pending — they would count as
    running for every worker forever (no pending_timeout), and the same call joining
    again would finish the study one evaluation short of n_calls."""
    from concurrent.futures import ThreadPoolExecutor

    url = str(tmp_path / "study.jsonl") if kind == "jsonl" else f"sqlite:///{tmp_path / 's.db'}"
    common: dict[str, Any] = {"storage": url, "study": "s", "progress": False, "n_initial": 3,
                              "options": FAST}
    with pytest.raises(KeyboardInterrupt):
        if n_workers == 1:
            minimize(_Interrupt(at=3), SPACE, n_calls=6, seed=0, **common)
        else:  # a second evaluation is in flight when the first tell is interrupted
            with ThreadPoolExecutor(2) as pool:
                minimize(objective, SPACE, n_calls=6, seed=0, n_workers=2, executor=pool,
                         callback=_interrupt_after_the_first_tell, **common)
    study = Optimizer(SPACE, storage=url, study="s", seed=5)
    assert study.pending == [] and len(study.history) == 3 - n_workers
    study.close()
    result = minimize(objective, SPACE, n_calls=6, seed=1, **common)
    assert len(result.history) == 6


def _with_constraint(p: dict[str, Any]) -> tuple[float, list[float]]:
    return objective(p), [p["x"]]


def test_a_tell_refused_in_a_parallel_worker_leaves_no_point_pending(tmp_path):
    """The tell of a landed evaluation raises (here: constraints returned to a study told
    without them): that point, like the one still in flight, is cancelled — a point
    leaving the evaluations in flight before its tell was recorded stayed pending."""
    from concurrent.futures import ThreadPoolExecutor

    url = f"sqlite:///{tmp_path / 's.db'}"
    common: dict[str, Any] = {"storage": url, "study": "s", "progress": False, "n_initial": 3,
                              "options": FAST}
    minimize(objective, SPACE, n_calls=2, seed=0, **common)
    with pytest.raises(ValueError, match="cannot gain outcome constraints"), \
            ThreadPoolExecutor(2) as pool:
        minimize(_with_constraint, SPACE, n_calls=6, seed=1, n_workers=2, executor=pool,
                 **common)
    study = Optimizer(SPACE, storage=url, study="s", seed=5)
    assert study.pending == [] and len(study.history) == 2
    study.close()


def test_a_shared_study_computes_on_one_thread_and_a_plain_optimizer_by_the_policy(
        tmp_path, monkeypatch):
    """The study's other processes hold the cores: an attached optimizer's asks and tells
    run under `kernels.threads.single_threaded` (one BLAS, one Numba thread whatever n); a
    plain optimizer's under `numeric_threads` alone, as before. Read where the work runs:
    in the acquisition optimizer and in the hyperparameter fit."""
    import bayesopt.model
    import bayesopt.propose
    from kernels import threads

    seen: list[tuple[str, bool]] = []

    def spy(module: Any, name: str) -> None:
        original = getattr(module, name)

        def wrapped(*args: Any, **kwargs: Any) -> Any:
            seen.append((name, threads._single_threaded.get()))
            return original(*args, **kwargs)
        monkeypatch.setattr(module, name, wrapped)

    spy(bayesopt.propose, "optimize_acquisition")
    spy(bayesopt.model, "fit_map")
    plain = Optimizer(SPACE, seed=1, n_initial=3, options=FAST)
    shared = Optimizer(SPACE, storage=f"sqlite:///{tmp_path / 's.db'}", study="s", seed=1,
                       n_initial=3, options=FAST)
    for opt, expected in ((plain, False), (shared, True)):
        seen.clear()
        for _ in range(5):
            p = opt.ask()
            opt.tell(p, objective(p))
        assert {name for name, _ in seen} == {"optimize_acquisition", "fit_map"}, seen
        assert all(flag is expected for _, flag in seen), seen
    shared.close()


def test_a_workers_pending_timeout_is_recorded_in_its_asks_and_shown(url, tmp_path):
    """A worker's own pending_timeout (``bayesopt run --pending-timeout``) is recorded in
    each ask it writes ("pending_timeout", left out without one), read back by every
    replay, and shown by ``show`` beside each expired point of that worker: the creator's
    timeout was all the study recorded, so a reader could not tell what a worker used."""
    from bayesopt.cli import read_study_record

    Optimizer(SPACE, storage=url, study="s").close()  # the creator: no timeout
    worker = Optimizer(SPACE, storage=url, study="s", seed=0, n_initial=3, pending_timeout=30.0)
    plain = Optimizer(SPACE, storage=url, study="s", seed=1, n_initial=3)
    timed, untimed = worker.ask(), plain.ask()
    storage = open_storage(url)
    asks = [e for e in storage.read("s") if e["event"] == "ask"]
    storage.close()
    assert [e.get("pending_timeout") for e in asks] == [30.0, None]
    assert "pending_timeout" not in asks[1]
    record = read_study_record(url, "s", pending_timeout=10.0, now=time.time() + 60.0)
    by_point = {tuple(t.params.values()): t.worker_timeout for t in record.timed_out}
    assert by_point == {tuple(timed.values()): 30.0, tuple(untimed.values()): None}
    for opt in (worker, plain):
        opt.close()


def test_threads_chooses_the_thread_count_of_an_optimizer_shared_or_not(tmp_path, monkeypatch):
    """``Optimizer(threads=k)`` is the user's choice over the one thread a shared study
    imposes (a lone worker on a big machine): BLAS is limited to k threads inside the fit
    (read with threadpoolctl) and Numba gets the rest by the policy of kernels/threads.py;
    default unchanged (one thread in a shared study). Shared optimizers had no opt-out."""
    import numba
    from threadpoolctl import threadpool_info

    import bayesopt.model
    from kernels import threads

    monkeypatch.setattr(threads, "PARALLEL_MIN_N", 0)  # every n is large for the policy
    seen: list[tuple[int, int]] = []
    original = bayesopt.model.fit_map

    def spy(*args: Any, **kwargs: Any) -> Any:
        blas = max(lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas")
        seen.append((blas, numba.get_num_threads()))
        return original(*args, **kwargs)
    monkeypatch.setattr(bayesopt.model, "fit_map", spy)
    url = f"sqlite:///{tmp_path / 's.db'}"
    for threads_given, expected in ((None, (1, 1)), (1, (1, 1)), (2, (2, 1))):
        seen.clear()
        with Optimizer(SPACE, storage=url, study=f"s{threads_given}", seed=1, n_initial=3,
                       options=FAST, threads=threads_given) as opt:
            for _ in range(4):
                p = opt.ask()
                opt.tell(p, objective(p))
        assert seen and set(seen) == {expected}, (threads_given, seen)
    path = tmp_path / "run.jsonl"  # a journal: resume and minimize take it too
    Optimizer(SPACE, seed=1, n_initial=3, options=FAST, journal=path).close()
    seen.clear()
    with Optimizer.resume(path, threads=2) as opt:
        for _ in range(4):
            p = opt.ask()
            opt.tell(p, objective(p))
    assert seen and set(seen) == {(2, 1)}, seen
    seen.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResumeSettingsWarning)  # threads is not ignored
        warnings.simplefilter("ignore", ResumeWarning)
        minimize(objective, SPACE, n_calls=6, journal=path, threads=2, progress=False)
    assert seen and set(seen) == {(2, 1)}, seen
    for bad, error, message in ((0, ValueError, "threads=0"), (1.5, TypeError, "threads=1.5"),
                                (numba.config.NUMBA_NUM_THREADS + 1, ValueError, "NUMBA_NUM_THREADS")):
        with pytest.raises(error, match=message):
            Optimizer(SPACE, threads=bad)


def test_threads_takes_a_numpy_integer_like_every_other_count():
    """threads=np.int64(1) (from a numpy computation, say) was a TypeError "must be an
    int" while seed, n and sample's size take numpy integers; it is the int 1 now."""
    opt = Optimizer(SPACE, threads=np.int64(1))
    assert opt.threads == 1 and type(opt.threads) is int
    # numpy 1.x writes np.True_ as True
    with pytest.raises(TypeError, match=rf"threads={re.escape(repr(np.True_))} must be an int"):
        Optimizer(SPACE, threads=np.bool_(True))


_UNPICKLE_AND_ASK = """
import pickle, sys
opt = pickle.loads(sys.stdin.buffer.read())
try:
    opt.ask()
except ValueError as error:
    print("ValueError:", error)
opt.threads = None  # the remedy the message names
print("asked", sorted(opt.ask()))
"""


def test_threads_a_pickled_optimizer_cannot_have_here_is_refused_naming_it(tmp_path):
    """``threads`` is pickled with the optimizer; a process started with fewer Numba
    threads (NUMBA_NUM_THREADS) refuses it at the ask with a ValueError naming threads=
    and the remedy, instead of Numba's "The number of threads must be between 1 and 1"
    at every ask (review18)."""
    import pickle

    made = """
import pickle, sys
from bayesopt import Optimizer, Real
opt = Optimizer({"x": Real(0, 1)}, seed=0, n_initial=2, threads=2)
for _ in range(3):
    opt.tell(opt.ask(), 0.5)
sys.stdout.buffer.write(pickle.dumps(opt))
"""
    env = {**os.environ, "NUMBA_NUM_THREADS": "2", "OMP_NUM_THREADS": "1"}
    blob = subprocess.run([sys.executable, "-c", made], capture_output=True, env=env,
                          check=True, timeout=300).stdout
    assert pickle.loads(blob).threads == 2
    env["NUMBA_NUM_THREADS"] = "1"
    done = subprocess.run([sys.executable, "-c", _UNPICKLE_AND_ASK], input=blob,
                          capture_output=True, env=env, timeout=300, check=False)
    assert done.returncode == 0, done.stderr.decode()
    lines = done.stdout.decode().splitlines()
    assert lines[0].startswith("ValueError: threads=2 must be from 1 to 1"), lines
    assert "opt.threads = None" in lines[0], lines
    assert lines[1] == "asked ['x']", lines


def test_a_new_members_first_ask_fits_its_model_from_scratch_on_the_study(tmp_path: Path) -> None:
    """A worker attaching to a long study (300 tells of four workers, written by
    bench/large_study.py: reports, heartbeats, failures, cancels, timeouts) stores no
    model, so its first ask fits one: the model it then holds is, bit for bit, a
    surrogate fitted from scratch on the state's data with the generator as the ask forks
    it (the θ, the factor, predictions), and a second new member of a copy of the study
    asks the same three points. Fails if the path of a new member's first ask changes its
    model (bench/results/large_study.md, scale30)."""
    import copy
    import shutil

    from bench.large_study import space, write

    path = tmp_path / "study.jsonl"
    write("jsonl", str(path), "large", 300)
    twin_path = tmp_path / "twin.jsonl"
    shutil.copy(path, twin_path)
    member = Optimizer(space(), storage=path, study="large", pending_timeout=600, seed=5)
    assert len(member.history) >= 300
    state = member._state
    reference = copy.deepcopy(state.model)  # unfitted: a new member has none
    assert reference.gp is None
    data = state.model_data()
    reference.rng = state.fork_rng()
    reference.update(data.X, data.y)
    asks = [member.ask()]
    fitted = copy.deepcopy(state.model)
    fitted.clear_fantasies()  # the ask's fantasies of the others' pending points
    assert np.array_equal(fitted.params, reference.params)
    assert fitted.n_observed == reference.n_observed == data.y.shape[0]
    assert np.array_equal(fitted.gp.factor.L, reference.gp.factor.L)
    X = np.random.default_rng(0).random((64, data.X.shape[1]))
    for one, other in zip(fitted.predict(X), reference.predict(X)):
        assert np.array_equal(one, other)
    asks += [member.ask(), member.ask()]
    second = Optimizer(space(), storage=twin_path, study="large", pending_timeout=600, seed=5)
    assert [second.ask() for _ in range(3)] == asks
    member.close()
    second.close()


@pytest.mark.filterwarnings("ignore::bayesopt.optimizer.ResumeWarning")
def test_two_workers_given_the_same_x0_evaluate_each_point_once(tmp_path):
    """Two minimize runs on one study, started together with the same x0 (a script launched
    twice): each x0 point is evaluated once in the study. Both used to evaluate it (an x0
    point was not pending while evaluated, so the other worker did not see it) and each
    tell warned UnmatchedTellWarning; the first to add it pending (under the study's lock)
    evaluates it, the other leaves it to that worker."""
    import threading

    url = f"sqlite:///{tmp_path}/study.db"
    x0 = [{"x": 0.5, "y": 1.0, "k": 1}, {"x": -1.0, "y": 0.1, "k": 2}]
    start = threading.Barrier(2)
    caught: list[list[warnings.WarningMessage]] = []
    errors: list[BaseException] = []

    def slow(p: dict[str, Any]) -> float:
        time.sleep(0.3)  # the other worker starts while this one evaluates its x0
        return objective(p)

    def worker(seed: int) -> None:
        try:
            start.wait(timeout=60)
            with warnings.catch_warnings(record=True) as seen:
                warnings.simplefilter("always")
                minimize(slow, SPACE, n_calls=4, seed=seed, storage=url, study="s",
                         x0=x0, progress=False, options=FAST, n_initial=3)
            caught.append(seen)
        except BaseException as error:  # noqa: BLE001 - re-raised in the test's thread
            errors.append(error)

    Optimizer(SPACE, seed=0, storage=url, study="s").close()  # the study exists before
    threads = [threading.Thread(target=worker, args=(seed,)) for seed in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors
    with Optimizer(SPACE, seed=3, storage=url, study="s") as reader:
        history = reader.history
    points = [o.params for o in history]
    assert [points.count(p) for p in x0] == [1, 1], points
    unmatched = [w for seen in caught for w in seen
                 if w.category.__name__ == "UnmatchedTellWarning"]
    assert unmatched == [], [str(w.message) for w in unmatched]

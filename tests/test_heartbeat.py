"""Heartbeats: a slow live evaluation stays pending, a killed worker's point expires.

    fold      : `OptimizerState.apply` of heartbeat (and report) events with chosen times
    heartbeat : `Optimizer.heartbeat`, its validation, and its journal/storage round trip
    minimize  : the background thread of `minimize` (`bayesopt.heartbeats`) in separate
                Python processes on one shared SQLite study, and a worker killed by SIGKILL

Checked, by the times stored in the events and by counts (never by wall-clock
durations): a heartbeat or a report moves a point's expiry to pending_timeout after
it; a point without one expires as before; a heartbeat of a point that is not pending
changes nothing (a report of one records its rung values only), and one without a
time is a JournalError; `heartbeat` refuses a point
never asked, told, cancelled or timed out, naming it, and records nothing then; the
event survives a journal resume and every storage; two `minimize` processes whose
evaluations last longer than pending_timeout tell exactly n_calls and expire nothing;
a SIGKILLed worker's point stays pending while it beats and expires at the first
event more than pending_timeout after its last heartbeat, after which another
worker's ask takes that point again; without pending_timeout no thread runs and no
heartbeat is stored; the thread is joined when the run stops on Ctrl-C.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import bayesopt.heartbeats
from acquisition.optimizer import AcquisitionOptimizerOptions
from bayesopt import Categorical, Optimizer, Real, minimize
from bayesopt.events import Cancel, Heartbeat, Pending, Report, Tell
from bayesopt.fitting import FitOptions
from bayesopt.journal import JournalError
from bayesopt.model import ModelOptions
from bayesopt.options import OptimizerOptions
from bayesopt.state import OptimizerState
from bayesopt.storage import open_storage
from bayesopt.study import apply_record

REPO = Path(__file__).resolve().parents[1]
FAST = OptimizerOptions(
    model=ModelOptions(n_restarts=1, fit=FitOptions(maxiter=50)),
    acquisition_optimizer=AcquisitionOptimizerOptions(
        n_candidates=256, n_local_candidates=64, n_restarts=2, maxiter=30),
)
SPACE = {"x": Real(0.0, 1.0), "y": Real(0.0, 1.0)}
P, Q, R = {"x": 0.1, "y": 0.1}, {"x": 0.5, "y": 0.5}, {"x": 0.9, "y": 0.9}
NEEDS_SIGKILL = pytest.mark.skipif(sys.platform == "win32", reason="sends SIGKILL (POSIX)")


# ====================================================================== fold


def fresh_state(timeout: float = 10.0) -> OptimizerState:
    return Optimizer(SPACE, seed=0, pending_timeout=timeout)._state


def pending_of(state: OptimizerState) -> list[dict[str, Any]]:
    return [p.params for p in state.pending]


def test_a_heartbeat_moves_the_expiry_and_a_point_without_one_expires_as_before():
    beaten, plain = fresh_state(), fresh_state()
    for state in (beaten, plain):
        state.apply(Pending(points=(P,), time=100.0, worker="w"))
    beaten.apply(Heartbeat(points=(P,), time=108.0, worker="w"))
    for state in (beaten, plain):
        state.apply(Pending(points=(Q,), time=115.0, worker="v"))  # 15 s after the ask
    assert pending_of(beaten) == [P, Q] and beaten.pending[0].last_seen == 108.0
    assert pending_of(plain) == [Q] and [p.params for p in plain.expired] == [P]
    beaten.apply(Pending(points=(R,), time=118.0, worker="v"))  # exactly 10 s: not more
    assert pending_of(beaten) == [P, Q, R]
    beaten.apply(Cancel(points=(R,), time=118.5, worker="v"))  # 10.5 s after the heartbeat
    assert pending_of(beaten) == [Q] and [p.params for p in beaten.expired] == [P]


def test_a_report_is_a_sign_of_life_too():
    state = fresh_state()
    state.apply(Pending(points=(P,), time=100.0, worker="w"))
    state.apply(Report(points=(P,), steps=(1.0,), values=(0.5,), time=108.0, worker="w"))
    state.apply(Pending(points=(Q,), time=115.0, worker="v"))
    assert pending_of(state) == [P, Q] and state.pending[0].last_seen == 108.0


def test_timed_out_runs_are_found_by_claim_and_keep_the_order_they_timed_out_in():
    """The timed-out runs, looked up by claim (`expired_point`): a late cancel or tell by
    claim drops its run and leaves the others in the order they timed out (Q's claim
    timed out before P's, whose heartbeat kept it alive longer); a claim gone is a lost
    claim and changes nothing."""
    state = fresh_state()
    state.apply(Pending(points=(P, Q, R), time=100.0, worker="w"))  # claims 0, 1, 2
    state.apply(Heartbeat(points=(P,), time=105.0, worker="w"))
    state.apply(Pending(points=({"x": 0.3, "y": 0.3},), time=112.0, worker="v"))
    state.apply(Pending(points=({"x": 0.7, "y": 0.7},), time=120.0, worker="v"))
    assert [(p.params, p.claim) for p in state.expired] == [(Q, 1), (R, 2), (P, 0)]
    assert state.expired_point(2) is state.expired[1] and state.expired_point(3) is None
    state.apply(Cancel(points=(R,), claims=(2,), time=121.0, worker="v"))
    assert [p.claim for p in state.expired] == [1, 0] and state.lost_claims == ()
    state.apply(Tell(points=(P,), values=(1.0,), claims=(0,), time=122.0, worker="w"))
    assert [p.claim for p in state.expired] == [1] and state.lost_claims == ()
    state.apply(Cancel(points=(R,), claims=(2,), time=122.0, worker="v"))
    assert [p.claim for p in state.expired] == [1] and state.lost_claims == (2,)


def test_heartbeats_of_points_not_pending_change_nothing():
    """A heartbeat of a point never asked, already told, or timed out before the heartbeat
    itself (in storage order) is applied as nothing: in a shared study it can land after
    another worker's cancel or tell, and a JournalError would make the study unreadable
    for every worker."""
    state = fresh_state()
    state.apply(Pending(points=(P, Q), time=100.0, worker="w"))
    state.apply(Heartbeat(points=(R,), time=101.0, worker="w"))  # never asked
    assert [p.last_seen for p in state.pending] == [100.0, 100.0]
    state.apply(Tell(points=(Q,), values=(1.0,), time=102.0, worker="w"))
    state.apply(Heartbeat(points=(Q,), time=103.0, worker="w"))  # told
    assert pending_of(state) == [P] and state.pending[0].last_seen == 100.0
    state.apply(Heartbeat(points=(P,), time=111.0, worker="w"))  # 11 s late: expired first
    assert state.pending == [] and [p.last_seen for p in state.expired] == [100.0]


def test_a_report_of_a_point_not_pending_records_its_rung_values_and_nothing_else():
    """What bayesopt/state.py's docstring says of a report that lands after its point was
    told (or of a point never asked): no expiry moves and no point or observation
    changes, but its values are recorded at the rungs its step reaches (steps 1, 3, ...
    without a Fidelity), as a run of its own, and a later run's report meets them there."""
    state = fresh_state()
    state.apply(Pending(points=(P, Q), time=100.0, worker="w"))
    state.apply(Tell(points=(Q,), values=(1.0,), time=102.0, worker="w"))
    history = list(state.history)
    state.apply(Report(points=(Q,), steps=(3.0,), values=(0.25,), time=103.0, worker="w"))
    state.apply(Report(points=(R,), steps=(1.0,), values=(0.75,), time=104.0, worker="w"))
    assert pending_of(state) == [P] and state.pending[0].last_seen == 100.0
    assert state.history == history
    assert state.pruning.rungs == {0: [0.25, 0.75], 1: [0.25]}  # step 3 reaches rungs 0 and 1
    state.apply(Report(points=(P,), steps=(1.0,), values=(0.5,), time=105.0, worker="w"))
    assert state.pruning.rungs[0] == [0.25, 0.75, 0.5] and state.pending[0].last_seen == 105.0


def test_a_stored_heartbeat_without_a_time_is_refused():
    state = fresh_state()
    record = {"event": "heartbeat", "points": [[0.1, 0.1]], "time": None, "worker": "w",
              "state": None}
    with pytest.raises(JournalError, match="event 3: heartbeat event has no time"):
        apply_record(state, record, "study", 3)
    apply_record(state, {**record, "time": 5.0}, "study", 3)  # with one: nothing pending


# ================================================================ heartbeat()


def test_heartbeat_refuses_a_point_that_is_not_pending_naming_it(tmp_path):
    path = tmp_path / "run.jsonl"
    opt = Optimizer(SPACE, seed=0, n_initial=4, options=FAST, journal=path, pending_timeout=60.0)
    a, b, c = opt.ask(3)
    opt.tell(a, 1.0)
    opt.cancel(b)
    opt.heartbeat(c)
    for point, why in ((a, "already told"), (b, "or cancelled"), (R, "never asked")):
        with pytest.raises(ValueError, match=rf"heartbeat: .*{point['x']}.* is not a "
                                             rf"pending point \(.*{why}"):
            opt.heartbeat([c, point])  # one bad point: nothing is recorded
    with pytest.raises(ValueError, match="heartbeat: params=\\[\\] names no pending point"):
        opt.heartbeat([])
    with pytest.raises(ValueError, match="'x': value 2.0 is outside"):
        opt.heartbeat({"x": 2.0, "y": 0.5})
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) \['z'\]"):
        opt.heartbeat({**c, "z": 1})
    with pytest.raises(TypeError, match="params must be a dict or a list of dicts"):
        opt.heartbeat("x")
    opt.close()
    lines = [json.loads(line) for line in path.read_text().splitlines()[1:]]
    assert [line["event"] for line in lines] == ["ask", "tell", "cancel", "heartbeat"]


def test_heartbeat_refuses_a_point_timed_out_by_its_own_time():
    opt = Optimizer(SPACE, seed=0, n_initial=4, options=FAST, pending_timeout=0.05)
    point = opt.ask()
    opt.heartbeat(point)
    last = opt._state.pending[0].last_seen
    assert last is not None
    while time.time() <= last + 0.05:
        time.sleep(0.01)
    with pytest.raises(ValueError, match=r"it timed out: pending_timeout=0.05 seconds"):
        opt.heartbeat(point)
    assert opt._state.pending[0].last_seen == last  # nothing recorded
    opt.tell(point, 1.0)  # a late tell is recorded as usual
    assert len(opt.history) == 1


def test_a_heartbeat_survives_a_journal_resume(tmp_path):
    path = tmp_path / "run.jsonl"
    opt = Optimizer(SPACE, seed=0, n_initial=4, options=FAST, journal=path, pending_timeout=60.0)
    a, b = opt.ask(2)
    opt.heartbeat([{**a, "x": float(f"{a['x']:.3g}")}, b])  # rounded like a tell may be
    alive = [p.last_seen for p in opt._state.pending]
    assert alive[0] == alive[1] and alive[0] > opt._state.pending[0].time  # type: ignore[operator]
    opt.close()
    resumed = Optimizer.resume(path, append=False)
    assert [p.last_seen for p in resumed._state.pending] == alive


def _append(url: str, records: list[dict[str, Any]]) -> None:
    storage = open_storage(url)
    storage.append("s", records)
    storage.close()


def test_a_stored_heartbeat_keeps_a_point_pending_in_every_storage(url):
    """A worker asked a point 100 s ago and sent heartbeats 55 s and 5 s ago: a worker with
    pending_timeout=60 that attaches now and asks keeps that point pending (without the
    heartbeats its ask would expire it: test_shared.py's dead-worker test), and reads the
    last heartbeat's time as stored; its own heartbeat reaches another reader."""
    Optimizer(SPACE, storage=url, study="s").close()
    now = time.time()
    ask = {"event": "ask", "points": [[0.25, 0.75]], "time": now - 100.0, "worker": "w",
           "state": None}
    beats = [{"event": "heartbeat", "points": [[0.25, 0.75]], "time": now - age, "worker": "w",
              "state": None} for age in (55.0, 5.0)]
    _append(url, [ask, *beats])
    beat = beats[-1]
    opt = Optimizer(SPACE, storage=url, study="s", seed=0, n_initial=3, options=FAST,
                    pending_timeout=60.0)
    asked = opt.ask()
    assert opt.pending == [{"x": 0.25, "y": 0.75}, asked]
    reader = Optimizer(SPACE, storage=url, study="s", pending_timeout=60.0)
    assert reader._state.pending[0].last_seen == beat["time"]  # read back as written
    storage = open_storage(url)
    kinds = [record["event"] for record in storage.read("s")]
    storage.close()
    assert kinds == ["ask", "heartbeat", "heartbeat", "ask"]
    opt.heartbeat(asked)  # this worker's own heartbeat, stored and read by the other
    assert reader.pending == opt.pending  # caught up
    assert reader._state.pending[1].alive == study_events(url)[-1]["time"]
    for o in (opt, reader):
        o.close()


# ================================================================== minimize


def study_events(url: str) -> list[dict[str, Any]]:
    storage = open_storage(url)
    try:
        return storage.read("s")
    finally:
        storage.close()


def fold_never_expires(url: str, timeout: float) -> OptimizerState:
    """Fold the study's events one by one; assert no point ever timed out on the way."""
    state = Optimizer(SPACE, seed=0, pending_timeout=timeout)._state
    for number, record in enumerate(study_events(url)):
        apply_record(state, record, "study", number)
        assert state.expired == [], f"a point timed out at event {number}: {record}"
    return state


SLOW_WORKER = """
import sys, time
sys.path.insert(0, sys.argv[3])
from test_heartbeat import FAST, SPACE
from bayesopt import minimize

def slow(p):
    time.sleep(2.5)
    return (p["x"] - 0.3) ** 2 + (p["y"] - 0.6) ** 2

minimize(slow, SPACE, n_calls=6, seed=int(sys.argv[2]), storage=sys.argv[1], study="s",
         progress=False, n_initial=3, options=FAST, pending_timeout=1.0)
"""


def test_minimize_with_evaluations_longer_than_the_timeout_tells_exactly_n_calls(tmp_path):
    """The audit's case: two workers, evaluations of 2.5 s, pending_timeout=1. Before
    heartbeats the running points expired and the study told more than n_calls."""
    url = f"sqlite:///{tmp_path / 'study.db'}"
    Optimizer(SPACE, storage=url, study="s").close()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    workers = [subprocess.Popen([sys.executable, "-c", SLOW_WORKER, url, str(seed),
                                 str(REPO / "tests")], env=env) for seed in (0, 1)]
    for worker in workers:
        assert worker.wait(timeout=600) == 0
    state = fold_never_expires(url, timeout=1.0)
    records = study_events(url)
    kinds = [r["event"] for r in records]
    assert kinds.count("ask") == 6 and kinds.count("tell") == 6 and len(state.history) == 6
    assert state.pending == []
    asked = {tuple(r["points"][0]): r["time"] for r in records if r["event"] == "ask"}
    told = {tuple(r["points"][0]): r["time"] for r in records if r["event"] == "tell"}
    assert all(told[p] - asked[p] > 1.0 for p in told)  # each outlived the timeout
    beaters = {r["worker"] for r in records if r["event"] == "heartbeat"}
    assert beaters == {r["worker"] for r in records if r["event"] == "ask"} and len(beaters) == 2


VICTIM = """
import sys, time
sys.path.insert(0, sys.argv[2])
from test_heartbeat import FAST
from bayesopt import Categorical, minimize

def forever(p):
    time.sleep(3600)
    return 0.0

minimize(forever, {"c": Categorical(["a", "b"])}, n_calls=2, seed=0, storage=sys.argv[1],
         study="s", progress=False, n_initial=2, options=FAST, pending_timeout=2.0)
"""


@NEEDS_SIGKILL
def test_a_killed_workers_point_expires_its_timeout_after_its_last_heartbeat(tmp_path):
    """A worker evaluating a point forever beats; another worker's ask leaves that point
    alone (a space of two choices: it takes the other), and the study of two evaluations
    is full while the killed worker's point still counts. After SIGKILL the point expires
    at the first event more than pending_timeout after its last heartbeat, and the other
    worker's ask then takes that very point."""
    url = f"sqlite:///{tmp_path / 'study.db'}"
    space = {"c": Categorical(["a", "b"])}
    Optimizer(space, storage=url, study="s").close()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    victim = subprocess.Popen([sys.executable, "-c", VICTIM, url, str(REPO / "tests")], env=env)
    try:
        records = _wait_for(url, lambda rs: sum(r["event"] == "heartbeat" for r in rs) >= 2)
        other = Optimizer(space, storage=url, study="s", seed=1, n_initial=2, options=FAST,
                          pending_timeout=2.0)
        dead = other.pending[0]
        mine = other.ask_within(2)
        assert mine is not None and mine != dead  # the victim's point is pending
        other.tell(mine, 1.0)
        # beats spanning more than the timeout since the ask: still counted, study full
        _wait_for(url, lambda rs: _last_beat(rs) - rs[0]["time"] > 2.0)
        assert other.ask_within(2) is None
    finally:
        victim.send_signal(signal.SIGKILL)
        victim.wait()
    last = _last_beat(study_events(url))
    while time.time() <= last + 2.0:
        time.sleep(0.1)
    again = other.ask_within(2)
    assert again == dead  # expired: the region is free again
    records = study_events(url)
    replay = Optimizer(space, seed=0, pending_timeout=2.0)._state
    for number, record in enumerate(records):
        apply_record(replay, record, "study", number)
        gone = [p.params for p in replay.expired]
        if gone:
            break
    assert gone == [dead] and record["event"] == "ask" and record["time"] - last > 2.0
    assert records[number - 1]["time"] - last <= 2.0  # the event before kept it pending
    other.close()


def _last_beat(records: list[dict[str, Any]]) -> float:
    return max(r["time"] for r in records if r["event"] == "heartbeat")


def _wait_for(url: str, ready: Any, limit: float = 300.0) -> list[dict[str, Any]]:
    """The study's events once `ready(events)` holds (polled; `limit` only bounds a hang)."""
    give_up = time.monotonic() + limit
    while time.monotonic() < give_up:
        records = study_events(url)
        if records and ready(records):
            return records
        time.sleep(0.2)
    raise AssertionError("the worker never got there")


def test_without_pending_timeout_no_thread_runs_and_no_heartbeat_is_stored(tmp_path,
                                                                          monkeypatch):
    url = f"sqlite:///{tmp_path / 'study.db'}"
    seen: list[list[str]] = []

    def slow(p: dict[str, Any]) -> float:
        time.sleep(0.3)
        seen.append([t.name for t in threading.enumerate()])
        return p["x"]

    minimize(slow, SPACE, n_calls=3, seed=0, storage=url, study="s", progress=False,
             n_initial=3, options=FAST)
    assert all("bayesopt-heartbeat" not in names for names in seen) and len(seen) == 3
    assert "heartbeat" not in [r["event"] for r in study_events(url)]
    # With a timeout: a heartbeat every 0.06 s, and a timeout no ask can outlast. (A short
    # timeout made this depend on the machine's load: a point's clock starts at its ask,
    # and on a busy machine it ran out before the first heartbeat, which is then refused.)
    monkeypatch.setattr(bayesopt.heartbeats, "HEARTBEAT_FRACTION", 0.001)

    def until_beaten(p: dict[str, Any]) -> float:
        seen.append([t.name for t in threading.enumerate()])
        point = [p["x"], p["y"]]
        give_up = time.monotonic() + 120  # guards against a hang, not a timing claim
        while not any(r["event"] == "heartbeat" and point in r["points"]
                      for r in study_events(url)):
            assert time.monotonic() < give_up, f"no heartbeat of {p} was stored"
            time.sleep(0.02)
        return p["x"]

    minimize(until_beaten, SPACE, n_calls=5, seed=1, storage=url, study="s", progress=False,
             n_initial=3, options=FAST, pending_timeout=60.0)
    assert all("bayesopt-heartbeat" in names for names in seen[3:]) and len(seen) == 5
    assert "heartbeat" in [r["event"] for r in study_events(url)]
    assert "bayesopt-heartbeat" not in [t.name for t in threading.enumerate()]
    with pytest.raises(ValueError, match="pending_timeout=0 expires a running point"):
        minimize(slow, SPACE, n_calls=6, storage=url, study="s", pending_timeout=0)


@pytest.mark.parametrize("n_workers", [1, 2])
def test_ctrl_c_joins_the_thread_and_no_heartbeat_follows_the_cancel(tmp_path, n_workers,
                                                                     monkeypatch):
    """Ctrl-C in the objective (one worker: it runs in the main thread) or in the callback
    (two workers on a thread pool: the other evaluation is in flight): the run cancels
    its running point, no heartbeat of it is stored after that, and the thread is gone."""
    from concurrent.futures import ThreadPoolExecutor

    url = f"sqlite:///{tmp_path / 'study.db'}"
    calls: list[int] = []

    def slow(p: dict[str, Any]) -> float:
        calls.append(1)
        time.sleep(0.4)  # a few heartbeats first
        if n_workers == 1 and len(calls) == 2:
            raise KeyboardInterrupt
        return p["x"]

    def stop(observation: Any, opt: Optimizer) -> bool:
        raise KeyboardInterrupt

    # a heartbeat every 0.06 s and a timeout no ask can outlast on a busy machine (a point
    # whose claim timed out before its first heartbeat would have none stored)
    monkeypatch.setattr(bayesopt.heartbeats, "HEARTBEAT_FRACTION", 0.001)
    executor = None if n_workers == 1 else ThreadPoolExecutor(2)
    with pytest.raises(KeyboardInterrupt):
        minimize(slow, SPACE, n_calls=5, seed=0, storage=url, study="s", progress=False,
                 n_initial=3, options=FAST, pending_timeout=60.0, n_workers=n_workers,
                 executor=executor, callback=None if n_workers == 1 else stop)
    if executor is not None:
        executor.shutdown()
    assert "bayesopt-heartbeat" not in [t.name for t in threading.enumerate()]
    records = study_events(url)
    kinds = [r["event"] for r in records]
    assert "heartbeat" in kinds and kinds.count("cancel") == 1
    cancelled = [tuple(p) for p in records[kinds.index("cancel")]["points"]]
    later_beats = {tuple(p) for r in records[kinds.index("cancel"):]
                   if r["event"] == "heartbeat" for p in r["points"]}
    assert len(cancelled) == 1 and not set(cancelled) & later_beats
    assert any(tuple(p) == cancelled[0] for r in records[:kinds.index("cancel")]
               if r["event"] == "heartbeat" for p in r["points"])  # it was beating


def test_pending_status_judges_the_claims_at_the_given_time_as_an_ask_would():
    """`Optimizer.pending_status(now)`: a point is running until more than pending_timeout
    after its last sign of life (its ask, then a heartbeat), timed out after, with that
    time and its worker; without a timeout nothing times out; `now` is checked."""
    opt = Optimizer(SPACE, seed=0, pending_timeout=10.0)
    p = opt.ask()
    asked = opt.pending_status().running
    assert asked == (p,)
    (claim,) = opt.pending_status(now=time.time() + 60).timed_out
    assert claim.params == p and claim.worker is not None and claim.last_seen <= time.time()
    assert opt.pending_status(now=claim.last_seen + 10.0).running == (p,)  # exactly 10 s: not more
    later = claim.last_seen + 10.02  # timed out without a heartbeat
    assert [c.params for c in opt.pending_status(now=later).timed_out] == [p]
    time.sleep(0.05)
    opt.heartbeat(p)
    beat = opt.pending_status(now=time.time() + 60).timed_out[0].last_seen
    assert beat >= claim.last_seen + 0.05
    assert opt.pending_status(now=later).running == (p,)  # beaten since
    assert Optimizer(SPACE, seed=0).pending_status(now=1e12).timed_out == ()
    with pytest.raises(TypeError, match="now='soon' must be a number"):
        opt.pending_status(now="soon")
    with pytest.raises(ValueError, match="now=nan must be finite"):
        opt.pending_status(now=float("nan"))


def test_pending_lists_the_points_an_ask_counts_not_those_timed_out_by_the_clock(monkeypatch):
    """`Optimizer.pending` is what the next ask counts as in flight (README, Shared
    studies: a point silent for more than the timeout is expired, not pending): a point
    timed out by the clock leaves it before any event releases it, as `pending_status`
    already said. It listed the point until a later event was applied (tidy16). The clock
    moves only when the test moves it (a real 0.05 s timeout could run out on a busy
    machine between the ask and the first check)."""
    now = [time.time()]
    monkeypatch.setattr(time, "time", lambda: now[0])
    opt = Optimizer(SPACE, seed=0, pending_timeout=10.0, options=FAST)
    p = opt.ask()
    assert opt.pending == [p] == list(opt.pending_status().running)
    now[0] += 10.5  # silent for more than the timeout; no event since the ask
    assert opt.pending == [] == list(opt.pending_status().running)
    assert [c.params for c in opt.pending_status().timed_out] == [p]
    q = opt.ask()  # its event releases p in the fold: the same answer as before it
    assert opt.pending == [q] and q != p
    opt.tell(p, 1.0)  # a late tell of a timed-out point is still recorded
    assert [o.params for o in opt.history] == [p] and opt.pending == [q]


def test_minimize_resuming_a_journal_does_not_rerun_points_that_timed_out(tmp_path):
    """minimize on a journal evaluates first the points it had in flight (`pending`), not
    those that timed out under the journal's pending_timeout: an ask no longer counts
    them and `heartbeat` refuses them, so they are abandoned, as in a shared study."""
    path = tmp_path / "run.jsonl"
    opt = Optimizer(SPACE, seed=0, n_initial=3, options=FAST, journal=path,
                    pending_timeout=0.05)
    for _ in range(3):
        p = opt.ask()
        opt.tell(p, p["x"] + p["y"])
    abandoned = opt.ask()
    opt.close()
    time.sleep(0.1)
    calls: list[dict[str, Any]] = []

    def f(params: dict[str, Any]) -> float:
        calls.append(dict(params))
        return params["x"] + params["y"]

    with pytest.warns(Warning):  # ResumeWarning
        result = minimize(f, SPACE, n_calls=5, seed=0, journal=path, progress=False)
    assert len(calls) == 2 and abandoned not in calls and len(result) == 5


def test_the_resume_warning_counts_timed_out_points_apart_from_the_pending_ones(tmp_path):
    """Optimizer.resume's warning counts the points in flight as `pending` does, and the
    ones that timed out by the clock apart from them."""
    path = tmp_path / "run.jsonl"
    opt = Optimizer(SPACE, seed=0, n_initial=3, options=FAST, journal=path,
                    pending_timeout=2.0)
    p = opt.ask()
    opt.tell(p, p["x"] + p["y"])
    opt.ask()
    opt.close()
    with pytest.warns(Warning, match=r"1 evaluations and 1 pending points are kept"):
        Optimizer.resume(path).close()
    time.sleep(2.1)
    with pytest.warns(Warning, match=r"1 evaluations and 0 pending points \(1 more timed "
                                     r"out\) are kept"):
        resumed = Optimizer.resume(path)
    assert resumed.pending == []
    resumed.close()


_SKEWED_WORKER = """
import sys, time
real = time.time
time.time = lambda: real() + float(sys.argv[2])  # this machine's clock, 10 min ahead
from bayesopt import Optimizer, Real
with Optimizer({"x": Real(0, 1)}, storage=sys.argv[1], study="s", seed=1,
               pending_timeout=60) as worker:
    worker.ask()
"""


_SKEWED_READER = _SKEWED_WORKER + """\
    import warnings
    from bayesopt.study import ClockSkewWarning
    print("asked", flush=True)
    sys.stdin.readline()  # the other worker tells meanwhile
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        worker.pending_status()
        worker.history
    for warning in caught:
        if issubclass(warning.category, ClockSkewWarning):
            print("warned:", warning.message, flush=True)
"""


def test_the_worker_whose_clock_is_ahead_is_warned_about_too(tmp_path: Path) -> None:
    """Only the worker whose clock is behind was warned (it reads events stamped in its
    future); the worker whose clock runs ahead, whose events time the others' points out,
    was told nothing. It reads the other's tell, stored after its own ask yet stamped
    600 s before it: a `ClockSkewWarning` too, once, naming the other worker and the gap."""
    from bayesopt.study import ClockSkewWarning

    url = f"sqlite:///{tmp_path / 's.db'}"
    with Optimizer({"x": Real(0, 1)}, storage=url, study="s", seed=0,
                   pending_timeout=60) as opt:
        running = opt.ask()
        reader = subprocess.Popen([sys.executable, "-c", _SKEWED_READER, url, "600"],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            assert reader.stdout is not None and reader.stdin is not None
            assert reader.stdout.readline() == "asked\n"
            with pytest.warns(ClockSkewWarning, match="ahead of this machine's clock"):
                opt.tell(running, 0.5)  # this side's warning, as before
            reader.stdin.write("\n")
            reader.stdin.flush()
            out, _ = reader.communicate(timeout=120)
        finally:
            if reader.poll() is None:
                reader.kill()
    warned = [line for line in out.splitlines() if line.startswith("warned:")]
    assert len(warned) == 1, out
    assert re.search(r"event 2, of worker '\w+', is stamped (59\d|600) s before event "
                     r"1, this worker's own, which was stored before it: that worker's clock "
                     r"is behind this machine's.*synchronize", warned[0]), warned[0]


def test_a_worker_whose_clock_is_ahead_is_warned_about(tmp_path: Path) -> None:
    """A worker whose clock runs 10 min ahead stamps its ask 600 s late, and that event's
    time expires every other running point in the fold (pending_timeout=60): another
    worker's live point is then asked again, silently. It cannot be told from the times
    alone which clock is right, but an event stamped after the moment it is read is a
    clock ahead of the reader's: `ClockSkewWarning`, naming the worker and the gap, once."""
    from bayesopt.study import ClockSkewWarning

    url = f"sqlite:///{tmp_path / 's.db'}"
    with Optimizer({"x": Real(0, 1)}, storage=url, study="s", seed=0,
                   pending_timeout=60) as opt:
        running = opt.ask()
        subprocess.run([sys.executable, "-c", _SKEWED_WORKER, url, "600"], check=True,
                       timeout=120)
        with pytest.warns(ClockSkewWarning, match=r"event 1, of worker '\w+', is stamped "
                                                  r"(59\d|600) s ahead of this machine's "
                                                  r"clock.*synchronize") as caught:
            status = opt.pending_status()
        assert len(caught) == 1
        assert [t.params for t in status.timed_out] == [running]  # what the warning is about
        opt.tell(running, 0.5)  # no second warning for the same worker

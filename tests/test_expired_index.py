"""The timed-out runs' index (`OptimizerState.expired_matching`, `expired_replicates`)
against the full scans it replaces, on random states of a mixed conditional space.

A state gets random pending events (repeated params among them: replicates), heartbeats,
claimless tells and cancels, and cancels by claim, over times that time most runs out; after
each event every query is checked against the old rule written out here over every
timed-out run (`state.expired`): the run `nearest_match` finds (the same object, so the
same tie-break by order), `was_asked`, `runs_of` (the old groups), the replicates of a key,
and which run a claimless tell or cancel releases. Values are drawn from small sets close
to one another (within, at and beyond `MATCH_RTOL`), with zeros, negatives and conditional
dimensions, so that most queries meet several candidates.
"""

from __future__ import annotations

import copy
import pickle
from collections.abc import Mapping
from typing import Any

import numpy as np
import pytest

from bayesopt import Categorical, Integer, Optimizer, Real
from bayesopt.events import Cancel, Event, Heartbeat, Pending, Tell
from bayesopt.state import MATCH_RTOL, OptimizerState, PendingPoint, nearest_match, point_key

SPACE = {
    "branch": Categorical(["u", "v"]),
    "z": Real(0.0, 1.0, when={"branch": "u"}),  # the first real of branch u
    "r": Real(-3.0, 5.0),  # the first real of branch v
    "l": Real(1e-4, 1e3, log=True),
    "i": Integer(-3, 3),
    "c": Categorical(["a", "b", "c"]),
}
VALUES: dict[str, list[Any]] = {
    "branch": ["u", "v"], "z": [0.0, 0.2, 0.201, 0.2009, 0.5, 1.0],
    "r": [-1.0, -1.004, 0.0, 1.0, 1.0049, 1.006, 2.0, 5.0],
    "l": [1e-3, 1.0045e-3, 10.0, 100.0], "i": [-1, 0, 1], "c": ["a", "b", "c"],
}


def random_params(rng: np.random.Generator) -> dict[str, Any]:
    params = {name: values[rng.integers(len(values))] for name, values in VALUES.items()}
    if params["branch"] == "v":
        del params["z"]
    return params


def nearby(rng: np.random.Generator, params: Mapping[str, Any]) -> dict[str, Any]:
    """`params` with each real moved by a relative step within, at or beyond MATCH_RTOL
    (kept in its bounds), or an integer or choice changed now and then."""
    out = dict(params)
    for name in ("z", "r", "l"):
        if name in out:
            step = rng.choice([0.0, 0.0, 0.3, -0.3, 0.98, -0.98, 1.0, -1.0, 1.2, -1.2])
            low, high = SPACE[name].low, SPACE[name].high  # type: ignore[attr-defined]
            out[name] = float(np.clip(out[name] * (1 + step * MATCH_RTOL), low, high))
    if rng.random() < 0.1:
        out["i"] = int(rng.choice(VALUES["i"]))
    if rng.random() < 0.1:
        out["c"] = str(rng.choice(VALUES["c"]))
    return out


def old_nearest(state: OptimizerState, params: Mapping[str, Any],
                points: list[PendingPoint]) -> PendingPoint | None:
    index = nearest_match(state.space, params, points)
    return None if index is None else points[index]


def old_runs_of(state: OptimizerState, points: list[dict[str, Any]]) -> list[PendingPoint | None]:
    """`OptimizerState.runs_of` as it was: its groups over every timed-out run."""
    own = state.worker
    groups = [[p for p in state.pending if p.worker == own],
              [p for p in state.expired if p.worker == own],
              [p for p in state.cancelled if p.worker == own],
              state.pending, state.expired]
    runs: list[PendingPoint | None] = []
    for params in points:
        run = None
        for group in groups:
            run = old_nearest(state, params, [p for p in group if all(p is not r for r in runs)])
            if run is not None:
                break
        runs.append(run)
    return runs


def check_queries(state: OptimizerState, queries: list[dict[str, Any]]) -> int:
    """Every query against the full scans; the number of queries that matched a
    timed-out run."""
    expired = state.expired
    found = 0
    for params in queries:
        candidates = state.expired_matching(params)
        matched = [p for p in expired if nearest_match(state.space, params, [p]) is not None]
        assert all(any(m is c for c in candidates) for m in matched)
        assert [p.claim for p in candidates] == [p.claim for p in expired if
                                                  any(p is c for c in candidates)]
        assert old_nearest(state, params, candidates) is old_nearest(state, params, expired)
        assert state.was_asked(params) == any(
            nearest_match(state.space, params, points) is not None
            for points in (state.pending, expired))
        found += bool(matched)
        key = point_key(state.space, params)
        assert state.expired_replicates(key) == [
            p for p in expired if p.replicate and point_key(state.space, p.params) == key]
    for pair in (queries[:1], queries[:2], queries[1:3]):
        assert state.runs_of(pair) == old_runs_of(state, pair)
    return found


def released_by(state: OptimizerState, event: Event) -> None:
    """Apply a claimless tell or cancel and check that it released, for each point in
    turn, the pending (else timed-out) run the old scan finds."""
    state._expire(event.time)  # type: ignore[arg-type]  # what `apply` does first
    before = state.pending + state.expired
    expected: list[PendingPoint] = []
    for params in event.points:
        for group in (state.pending, state.expired):
            run = old_nearest(state, params,
                              [p for p in group if all(p is not r for r in expected)])
            if run is not None:
                expected.append(run)
                break
    state.apply(event)
    after = state.pending + state.expired
    assert [p for p in before if not any(p is a for a in after)] == sorted(
        expected, key=lambda p: next(i for i, b in enumerate(before) if b is p))


@pytest.mark.parametrize("seed", range(6))
def test_the_index_finds_what_the_full_scans_find(seed: int) -> None:
    rng = np.random.default_rng(seed)
    state = Optimizer(SPACE, seed=0, pending_timeout=10.0)._state
    workers = (state.worker, "w", "v")  # this state's own runs among others'
    stored: list[dict[str, Any]] = []
    found = 0
    for step in range(60):
        now = 100.0 + 3.0 * step
        kind = rng.random()
        if kind < 0.45 or not stored:
            points = [random_params(rng) for _ in range(rng.integers(1, 6))]
            if rng.random() < 0.5:
                points.append(dict(points[0]))  # a replicate
            stored += points
            state.apply(Pending(points=tuple(points), time=now,
                                worker=workers[rng.integers(3)]))
        elif kind < 0.55:
            chosen = stored[rng.integers(len(stored))]
            state.apply(Heartbeat(points=(chosen,), time=now, worker="w"))
        elif kind < 0.75:
            points = [nearby(rng, stored[rng.integers(len(stored))]) for _ in range(2)]
            released_by(state, Tell(points=tuple(points), values=(1.0, 2.0), time=now,
                                    worker=workers[rng.integers(3)]))
        elif kind < 0.85:
            released_by(state, Cancel(points=(nearby(rng, stored[rng.integers(len(stored))]),),
                                      time=now, worker="v"))
        elif state.expired:
            run = state.expired[rng.integers(len(state.expired))]
            state.apply(Cancel(points=(run.params,), claims=(run.claim,), time=now,
                               worker="v"))
        queries = [nearby(rng, stored[rng.integers(len(stored))]) for _ in range(8)]
        queries.append(random_params(rng))
        found += check_queries(state, queries)
        if step % 20 == 19:  # the index is not pickled: rebuilt from the timed-out runs
            for other in (copy.deepcopy(state), pickle.loads(pickle.dumps(state))):
                check_queries(other, queries)
    assert len(state.expired) > 20 and found > 100  # the checks met timed-out matches

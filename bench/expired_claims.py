"""Lookups among timed-out runs: CPU time of events and queries that find a run among the
runs a study has left timed out, against how many there are.

    python -m bench.expired_claims [--expired 10000] [--events 1000] [--repeats 3]

A state (`bayesopt.state.OptimizerState`, pending_timeout=10) gets `--expired` points made
pending at t = 100 (one `Pending` event), all timed out by an event at t = 200. Then, timed
with `time.process_time` (CPU, this process):

    found   `--events` Cancel events, each naming the claim of one timed-out run (a late
            cancel: the run is looked up by its claim and dropped)
    lost    `--events` Cancel events naming those claims again (runs gone: looked up,
            not found, recorded as lost claims)
    told    `--events` Tell events without claims (as written before 0.6.0), each of the
            params of one timed-out run (matched by its params and released), on a fresh
            state
    asked   `--events` calls of `was_asked` (the check behind `UnmatchedTellWarning`) with
            the params of timed-out runs, then as many with params no run holds
    runs    `--events` calls of `runs_of` (the run a tell of this worker's is of) with the
            params of one timed-out run each
    new     `--events` Pending events, each of one point whose params no run holds (a new
            run: the running state of its params' earlier runs is forgotten)

Each figure is the best of `--repeats` fresh states, in milliseconds, with the state's
timed-out count before and after. bench/results/ops.md tabulates it, before and after.
"""

from __future__ import annotations

import argparse
import time

from bayesopt import Optimizer, Real
from bayesopt.events import Cancel, Pending, Tell
from bayesopt.state import OptimizerState

SPACE = {"x": Real(0.0, 1.0), "y": Real(0.0, 1.0)}


def expired_state(count: int) -> OptimizerState:
    """A state holding `count` timed-out runs, claims 0 .. count - 1."""
    state = Optimizer(SPACE, seed=0, pending_timeout=10.0)._state
    points = tuple({"x": (i + 0.5) / count, "y": ((7 * i) % count + 0.5) / count}
                   for i in range(count))
    state.apply(Pending(points=points, time=100.0, worker="w"))
    state.apply(Pending(points=({"x": 0.5, "y": 1.0},), time=200.0, worker="v"))
    if len(state.expired) != count:
        raise AssertionError(f"{len(state.expired)} runs timed out, not {count}")
    return state


def cancels(state: OptimizerState, claims: range) -> float:
    """CPU seconds of applying one Cancel per claim (each its run's params)."""
    params = {p.claim: p.params for p in state.expired}
    events = [Cancel(points=(params.get(c, {"x": 0.5, "y": 0.5}),), claims=(c,), time=201.0,
                     worker="v") for c in claims]
    start = time.process_time()
    for event in events:
        state.apply(event)
    return time.process_time() - start


def told(state: OptimizerState, claims: range) -> float:
    """CPU seconds of applying one Tell without claims per claim's params."""
    params = {p.claim: p.params for p in state.expired}
    events = [Tell(points=(params[c],), values=(1.0,), time=201.0, worker="v") for c in claims]
    start = time.process_time()
    for event in events:
        state.apply(event)
    return time.process_time() - start


def queries(state: OptimizerState, claims: range) -> tuple[float, float, float]:
    """CPU seconds of `was_asked` with the claims' params, of `was_asked` with as many
    params no run holds, and of `runs_of` with the claims' params (one point a call)."""
    params = {p.claim: p.params for p in state.expired}
    found = [params[c] for c in claims]
    unknown = [{"x": 0.25 + 0.5 * i / len(claims), "y": 2.0} for i in range(len(claims))]
    start = time.process_time()
    if not all(state.was_asked(p) for p in found):
        raise AssertionError("a timed-out run's params were not found asked")
    middle = time.process_time()
    if any(state.was_asked(p) for p in unknown):
        raise AssertionError("params no run holds were found asked")
    end = time.process_time()
    runs = [state.runs_of([p])[0] for p in found]
    last = time.process_time()
    if [None if r is None else r.claim for r in runs] != list(claims):
        raise AssertionError("runs_of did not find the timed-out runs")
    return middle - start, end - middle, last - end


def new_runs(state: OptimizerState, count: int) -> float:
    """CPU seconds of applying `count` Pending events of one new point each."""
    events = [Pending(points=({"x": 0.25 + 0.5 * i / count, "y": 0.999},), time=201.0,
                      worker="v") for i in range(count)]
    start = time.process_time()
    for event in events:
        state.apply(event)
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--expired", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if not 0 < args.events <= args.expired or args.repeats < 1:
        parser.error("need 0 < --events <= --expired and --repeats >= 1")
    found, lost, left = [], [], 0
    tells, asked, unknown, runs, new = [], [], [], [], []
    claims = range(0, args.expired, args.expired // args.events)[: args.events]
    for _ in range(args.repeats):
        state = expired_state(args.expired)
        found.append(cancels(state, claims))
        left = len(state.expired)
        lost.append(cancels(state, claims))
        if len(state.expired) != left or state.lost_claims != (claims[-1],):
            raise AssertionError("a cancel of a run gone changed the timed-out runs")
        state = expired_state(args.expired)
        tells.append(told(state, claims))
        if len(state.expired) + len(state.pending) != args.expired + 1 - args.events:
            raise AssertionError("a tell without claims released no run")
        state = expired_state(args.expired)
        times = queries(state, claims)
        asked.append(times[0])
        unknown.append(times[1])
        runs.append(times[2])
        new.append(new_runs(state, args.events))
    print(f"timed-out runs {args.expired} -> {left}; {args.events} cancels each; "
          f"best of {args.repeats} (CPU ms): found {1000 * min(found):.1f}, "
          f"lost {1000 * min(lost):.1f}; claimless tells {1000 * min(tells):.1f}; "
          f"was_asked found {1000 * min(asked):.1f}, not found {1000 * min(unknown):.1f}; "
          f"runs_of {1000 * min(runs):.1f}; new runs {1000 * min(new):.1f}")


if __name__ == "__main__":
    main()

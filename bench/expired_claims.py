"""Claim lookups among timed-out runs: CPU time of events naming a claim, against how many
runs a study has left timed out.

    python -m bench.expired_claims [--expired 10000] [--events 1000] [--repeats 3]

A state (`bayesopt.state.OptimizerState`, pending_timeout=10) gets `--expired` points made
pending at t = 100 (one `Pending` event), all timed out by an event at t = 200. Then, timed
with `time.process_time` (CPU, this process):

    found   `--events` Cancel events, each naming the claim of one timed-out run (a late
            cancel: the run is looked up by its claim and dropped)
    lost    `--events` Cancel events naming those claims again (runs gone: looked up,
            not found, recorded as lost claims)

Each figure is the best of `--repeats` fresh states, in milliseconds, with the state's
timed-out count before and after. bench/results/ops.md tabulates it, before and after.
"""

from __future__ import annotations

import argparse
import time

from bayesopt import Optimizer, Real
from bayesopt.events import Cancel, Pending
from bayesopt.state import OptimizerState

SPACE = {"x": Real(0.0, 1.0), "y": Real(0.0, 1.0)}


def expired_state(count: int) -> OptimizerState:
    """A state holding `count` timed-out runs, claims 0 .. count - 1."""
    state = Optimizer(SPACE, seed=0, pending_timeout=10.0)._state
    points = tuple({"x": (i + 0.5) / count, "y": ((7 * i) % count + 0.5) / count}
                   for i in range(count))
    state.apply(Pending(points=points, time=100.0, worker="w"))
    state.apply(Pending(points=({"x": 0.5, "y": 0.5},), time=200.0, worker="v"))
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--expired", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if not 0 < args.events <= args.expired or args.repeats < 1:
        parser.error("need 0 < --events <= --expired and --repeats >= 1")
    found, lost, left = [], [], 0
    claims = range(0, args.expired, args.expired // args.events)[: args.events]
    for _ in range(args.repeats):
        state = expired_state(args.expired)
        found.append(cancels(state, claims))
        left = len(state.expired)
        lost.append(cancels(state, claims))
        if len(state.expired) != left or state.lost_claims != (claims[-1],):
            raise AssertionError("a cancel of a run gone changed the timed-out runs")
    print(f"timed-out runs {args.expired} -> {left}; {args.events} cancels each; "
          f"best of {args.repeats} (CPU ms): found {1000 * min(found):.1f}, "
          f"lost {1000 * min(lost):.1f}")


if __name__ == "__main__":
    main()

"""An ask's CPU time on a nearly exhausted finite space, and its walk for distinct points.

    python -m bench.nearly_exhausted [--told 480,508,511] [--asks 5]

Each space holds 512 points: three `Integer(0, 7)`; and `Categorical` of four ×
`Integer(0, 15)` × `Integer(0, 7)`. For each count in `--told`, that many of its points
(drawn without replacement, seed 0) are told at once with a fixed objective, one ask is
made and cancelled (warm-up), then `--asks` asks are each timed with
`time.process_time` (CPU, this process) and cancelled. The walk that leaves out the
observed and pending points (`acquisition.optimizer.first_distinct`) is wrapped and
timed in the same asks:

    ask    the median ask, ms
    walk   first_distinct's CPU ms per ask (all the asks' calls / asks)
    share  walk / ask (the walk's total over the asks' total)

Run it with OMP_NUM_THREADS=1 and say the load average.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

import acquisition.optimizer
from bayesopt import Categorical, Integer, Optimizer
from bayesopt.argtypes import positive_int
from bench.exhaustion_check import cpu_ms, objective
from bench.step_timing import sizes_argument

SPACES: dict[str, dict[str, Any]] = {
    "3 × Integer(0, 7)": {"a": Integer(0, 7), "b": Integer(0, 7), "c": Integer(0, 7)},
    "Categorical(4) × Integer(0, 15) × Integer(0, 7)": {
        "k": Categorical(["p", "q", "r", "s"]), "a": Integer(0, 15), "b": Integer(0, 7)},
}


def grid(space: dict[str, Any]) -> list[dict[str, Any]]:
    """Every point of a space of Integers and Categoricals, in product order."""
    axes = [dim.choices if isinstance(dim, Categorical) else range(dim.low, dim.high + 1)
            for dim in space.values()]
    return [dict(zip(space, values)) for values in itertools.product(*axes)]


def value(params: dict[str, Any]) -> float:
    """`bench.exhaustion_check.objective` plus the category's index."""
    return objective(params) + "pqrs".find(str(params.get("k", "p")))


@contextmanager
def timed_walk(seconds: list[float]) -> Iterator[None]:
    """`acquisition.optimizer.first_distinct` adds each call's CPU seconds to `seconds`."""
    original = acquisition.optimizer.first_distinct

    def walk(*args: Any, **kwargs: Any) -> list[int]:
        start = time.process_time()
        try:
            return original(*args, **kwargs)
        finally:
            seconds.append(time.process_time() - start)

    acquisition.optimizer.first_distinct = walk
    try:
        yield
    finally:
        acquisition.optimizer.first_distinct = original


def measure(space: dict[str, Any], told: int, asks: int) -> dict[str, float]:
    points = grid(space)
    chosen = [points[i] for i in np.random.default_rng(0).permutation(len(points))[:told]]
    opt = Optimizer(space, seed=0)
    opt.tell(chosen, [value(p) for p in chosen])

    def ask_cancel() -> None:
        opt.cancel(opt.ask())

    ask_cancel()
    seconds: list[float] = []
    with timed_walk(seconds):
        times = [cpu_ms(ask_cancel) for _ in range(asks)]
    return {"ask": statistics.median(times), "walk": 1000.0 * sum(seconds) / asks,
            "share": 1000.0 * sum(seconds) / sum(times)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--told", type=sizes_argument, default=[480, 508, 511])
    parser.add_argument("--asks", type=positive_int, default=5)
    args = parser.parse_args(argv)
    if max(args.told) > 511:
        parser.error(f"--told: each count must leave a point of the 512 untold, got {args.told}")
    rows = ["| space | told of 512 | ask, ms | walk, ms per ask | walk / ask |",
            "|---|---|---|---|---|"]
    for label, space in SPACES.items():
        for told in args.told:
            r = measure(space, told, args.asks)
            rows.append(f"| {label} | {told} | {r['ask']:.1f} | {r['walk']:.1f} | "
                        f"{100 * r['share']:.0f} % |")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"`python -m bench.nearly_exhausted --told {','.join(map(str, args.told))} "
          f"--asks {args.asks}` (CPU ms; load average {load})\n\n" + "\n".join(rows))


if __name__ == "__main__":
    main()

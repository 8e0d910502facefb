"""What bringing a history in costs: one bulk tell of n evaluated points, against n tells.

    python -m bench.migrate --sizes 500,1000,2000,5000 --loop-max 1000 --repeats 3 \\
        --out /tmp/migrate.md

For each n (the sizes interleaved, `--repeats` rounds), on a fresh `Optimizer` of a
3-dimensional mixed space (a log-scaled real, an integer, a categorical; seed 0):

    list    opt.tell(points, values)            n dicts, n floats
    frame   opt.tell(frame, frame["value"])     a pandas DataFrame's rows (bayesopt.tables)
    rows    bayesopt.tables.frame_points         the DataFrame → dicts step alone
    loop    for p, v in ...: opt.tell(p, v)      one tell per point (only n ≤ --loop-max)
    ask     the first opt.ask() after the bulk tell

Each figure is the process's CPU time (`time.process_time`), median over the rounds;
run it with OMP_NUM_THREADS=1. A warm-up tell and ask run first, so Numba's compile
(or cache load) is not timed.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from bayesopt import Categorical, Integer, Optimizer, Real
from bayesopt.argtypes import positive_int
from bayesopt.tables import frame_points

SPACE = {"lr": Real(1e-5, 1e-1, log=True), "layers": Integer(1, 8),
         "act": Categorical(["relu", "tanh", "gelu"])}


def history(n: int) -> tuple[list[dict[str, Any]], list[float]]:
    rng = np.random.default_rng(n)
    lrs, layers = 10 ** rng.uniform(-5, -1, n), rng.integers(1, 9, n)
    acts = rng.integers(3, size=n)
    points: list[dict[str, Any]] = [
        {"lr": float(lr), "layers": int(k), "act": ("relu", "tanh", "gelu")[a]}
        for lr, k, a in zip(lrs, layers, acts)]
    values = [(math.log10(lr) + 3) ** 2 + k / 10 + float(e)
              for lr, k, e in zip(lrs, layers, rng.normal(0, 0.01, n))]
    return points, values


def cpu(work: Callable[[], object]) -> float:
    start = time.process_time()
    work()
    return time.process_time() - start


def one_round(n: int, loop: bool) -> dict[str, float]:
    points, values = history(n)
    frame = pd.DataFrame(points).assign(value=values)
    figures = {}
    opt = Optimizer(SPACE, seed=0)
    figures["list"] = cpu(lambda: opt.tell(points, values))
    figures["ask"] = cpu(opt.ask)
    by_frame = Optimizer(SPACE, seed=0)
    figures["frame"] = cpu(lambda: by_frame.tell(frame[list(SPACE)], frame["value"]))
    assert [o.params for o in by_frame.history] == [o.params for o in opt.history]
    figures["rows"] = cpu(lambda: frame_points(by_frame.space, frame[list(SPACE)]))
    if loop:
        one_by_one = Optimizer(SPACE, seed=0)

        def tell_each() -> None:
            for p, v in zip(points, values):
                one_by_one.tell(p, v)

        figures["loop"] = cpu(tell_each)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="500,1000,2000,5000")
    parser.add_argument("--loop-max", type=positive_int, default=1000)
    parser.add_argument("--repeats", type=positive_int, default=3)
    parser.add_argument("--out", default=None, help="a markdown file to write (else stdout only)")
    args = parser.parse_args()
    sizes = [positive_int(s) for s in args.sizes.split(",")]
    warm = Optimizer(SPACE, seed=0)
    warm.tell(*history(30))
    warm.ask()
    runs: dict[int, list[dict[str, float]]] = {n: [] for n in sizes}
    for _ in range(args.repeats):
        for n in sizes:
            runs[n].append(one_round(n, n <= args.loop_max))
    columns = ("list", "frame", "rows", "loop", "ask")
    lines = [f"load average at the end: {os.getloadavg()}", "",
             "| n | " + " | ".join(f"{c} (s)" for c in columns) + " |",
             "|---:|" + "---:|" * len(columns)]
    for n in sizes:
        cells = [f"{statistics.median(r[c] for r in runs[n]):.2f}" if c in runs[n][0] else "–"
                 for c in columns]
        lines.append(f"| {n} | " + " | ".join(cells) + " |")
    text = "\n".join(lines)
    print(text)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as file:
            file.write(text + "\n")


if __name__ == "__main__":
    main()

"""What pickling an `OptimizeResult` costs, with its surrogate and without.

    python -m bench.result_pickle [--n 100] [--repeat 20]

Tells n random observations of bench.result_cost's 4-dimensional mixed space
(seed 0) to an Optimizer, takes `opt.result()` and times `pickle.dumps` of

    history only   dataclasses.replace(result, model=None, surrogate=None)
                   (README: the way to keep many runs' histories; fits nothing)
    first pickle   the result itself, whose surrogate is fitted by the pickle
                   (once: the deferred fit, a fresh result each repeat)
    with surrogate the same result pickled again, its surrogate already fitted

Prints a Markdown table: pickle size, and median [min–max] wall milliseconds
over `--repeat` pickles (process CPU milliseconds beside them).
"""

from __future__ import annotations

import argparse
import dataclasses
import pickle
import statistics
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from bayesopt import Optimizer
from bayesopt.argtypes import positive_int
from bench.result_cost import SPACE


def _study(n: int) -> Optimizer:
    rng = np.random.default_rng(0)
    opt = Optimizer(SPACE, seed=0)
    points: list[dict[str, Any]] = [{"x": float(rng.uniform(-5, 5)), "lr": float(10 ** rng.uniform(-5, -1)),
               "k": int(rng.integers(1, 9)), "act": str(rng.choice(["relu", "tanh", "gelu"]))}
              for _ in range(n)]
    values = [float((p["x"] - 1) ** 2 + np.log10(p["lr"]) ** 2 + p["k"] / 8) for p in points]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        opt.tell(points, values)
    return opt


def _timed(make: Callable[[], Any], repeat: int) -> tuple[int, list[float], list[float]]:
    """Size of the pickle, and its wall and CPU seconds per repeat (a new object each)."""
    walls, cpus, size = [], [], 0
    for _ in range(repeat):
        obj = make()
        wall, cpu = time.perf_counter(), time.process_time()
        size = len(pickle.dumps(obj))
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return size, walls, cpus


def _ms(values: list[float]) -> str:
    return (f"{1000 * statistics.median(values):.3g} "
            f"[{1000 * min(values):.3g}–{1000 * max(values):.3g}]")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=positive_int, default=100)
    parser.add_argument("--repeat", type=positive_int, default=20)
    args = parser.parse_args(argv)
    opt = _study(args.n)
    fitted = opt.result()
    fitted.surrogate  # noqa: B018 - fits it, so that the third row times the pickle alone
    rows = {
        "history only (`replace(result, model=None, surrogate=None)`)":
            _timed(lambda: dataclasses.replace(opt.result(), model=None, surrogate=None),
                   args.repeat),
        "first pickle (fits the surrogate)": _timed(opt.result, args.repeat),
        "with surrogate, already fitted": _timed(lambda: fitted, args.repeat),
    }
    print(f"| n = {args.n}, {args.repeat} repeats | pickle size | wall ms | CPU ms |")
    print("|---|---:|---:|---:|")
    for label, (size, walls, cpus) in rows.items():
        print(f"| {label} | {size / 1000:.1f} kB | {_ms(walls)} | {_ms(cpus)} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

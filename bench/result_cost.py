"""What `Optimizer.result()` costs on a large study, and what `to_pandas()` adds.

    python -m bench.result_cost build --n 5000 --db /tmp/result-cost.db
    /usr/bin/time -v python -m bench.result_cost measure --db /tmp/result-cost.db
    /usr/bin/time -v python -m bench.result_cost measure --db /tmp/result-cost.db --read-model

build: tell n random observations of a 4-dimensional mixed function (a real, a
log-scaled real, an integer, a categorical) to the study "big" of an SQLite
storage, in batches of 100 (seed 0).

measure: attach to the study, then time ``opt.result().to_pandas()`` (and with
``--read-model`` also the first read of ``result.model``, which fits the
surrogate); prints each phase's wall time and the peak resident memory of the
process (`resource.getrusage`). `/usr/bin/time -v` around it gives the whole
process's figures (imports and attaching included).
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

from bayesopt import Categorical, Integer, Optimizer, Real
from bayesopt.argtypes import positive_int

SPACE = {"x": Real(-5, 5), "lr": Real(1e-5, 1e-1, log=True), "k": Integer(1, 8),
         "act": Categorical(["relu", "tanh", "gelu"])}


def build(n: int, db: str) -> None:
    rng = np.random.default_rng(0)
    with Optimizer(SPACE, storage=f"sqlite:///{db}", study="big", seed=0) as opt:
        for start in range(0, n, 100):
            m = min(100, n - start)
            x, log_lr, k = rng.uniform(-5, 5, m), rng.uniform(-5, -1, m), rng.integers(1, 9, m)
            acts = rng.choice(["relu", "tanh", "gelu"], m)
            points = [{"x": float(x[i]), "lr": float(10 ** log_lr[i]), "k": int(k[i]),
                       "act": str(acts[i])} for i in range(m)]
            opt.tell(points, [float(x[i] ** 2 + log_lr[i] ** 2 + k[i]) for i in range(m)])
    print(f"built {n} observations in {db}")


def measure(db: str, read_model: bool) -> None:
    start = time.perf_counter()
    opt = Optimizer(SPACE, storage=f"sqlite:///{db}", study="big")
    print(f"attach: {time.perf_counter() - start:.2f} s ({len(opt.history)} observations)")
    start = time.perf_counter()
    result = opt.result()
    frame = result.to_pandas()
    print(f"result().to_pandas(): {time.perf_counter() - start:.2f} s, {frame.shape[0]} rows")
    if read_model:
        start = time.perf_counter()
        assert result.model is not None
        print(f"first read of result.model: {time.perf_counter() - start:.2f} s")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    opt.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("build")
    make.add_argument("--n", type=positive_int, default=5000)
    make.add_argument("--db", required=True)
    run = commands.add_parser("measure")
    run.add_argument("--db", required=True)
    run.add_argument("--read-model", action="store_true")
    args = parser.parse_args()
    if args.command == "build":
        build(args.n, args.db)
    else:
        measure(args.db, args.read_model)


if __name__ == "__main__":
    main()

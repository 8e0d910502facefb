"""Large mixed search spaces: the cost of a step as d and the categoricals' choices grow, and
the quality against random search on a 30-dimensional problem with few relevant dimensions.

    python -m bench.high_dimensional cost [--dims 10,20,40,60] [--choices 10,100,1000]
                                          [--sizes 50,150] [--steps 5] [--skip-above 60]
    python -m bench.high_dimensional quality [--seeds 10] [--budget 100]
    python -m bench.high_dimensional linear D K [--steps 2]
    python -m bench.high_dimensional switches [--choices 3,8,16,32,64,128] [--n 50]

cost: the space has d dimensions, cycling through Real(1e-8, 1, log=True), Real(0, 1),
Integer(1, 1000, log=True) and Categorical of k string choices (so d/4 categoricals). For
each (d, k, n) a fresh process tells n − steps Sobol points at once (an optimizer with
n_initial=n asks them), then times `steps` ask+tell steps in the process's CPU time; it
prints the median and largest step and the process's peak resident memory. A (d, k)
whose median step at the smaller n exceeded `--skip-above` seconds is not run at larger d
or k (its row says so). Run it with OMP_NUM_THREADS=1.

linear: `cost_space(D, K)` under LinearConstraint({"x1": 1, "x5": 1}, "<=", 1.2), 30
admitted Sobol points told, then the CPU seconds of each of `--steps` ask+tell steps and
the last ask's x1 and x5 to 17 digits (to compare two versions' asks).

switches: for each k, `cost_space(8, k)` with n Sobol points told, the CPU time of one
categorical's enumeration from 8 starts (`AcquisitionObjective.switch_values`, the trials'
K* from each start's squared distances) against scoring its r·k trial rows (`values`),
the best of 5 repeats each, and the largest relative difference of the values: where
the first is cheaper is the threshold `acquisition.optimizer.SWITCHES_BY_DISTANCE_ABOVE`.

quality: `SparseMixed30` — 30 dimensions (log reals, reals, log integers, categoricals of
10 and 50 choices), of which 6 matter:

    f = (log10 lr + 3)² / 4 + (log10 wd + 6)² / 16 + (dropout − 0.3)²
        + (log10 width − 2)² / 4 + [act ≠ "a3"]·0.5 + [opt ≠ "o17"]·0.3,   f* = 0

the other 24 are ignored. bayesopt (defaults, `minimize`-style ask/tell) against uniform
random points, `--budget` evaluations, seeds 0 … `--seeds` − 1: the best value found, as a
table of medians and quartiles, and the number of seeds bayesopt ended lower.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from bayesopt import Categorical, Integer, LinearConstraint, Optimizer, Real
from bayesopt.argtypes import positive_int
from bayesopt.space import Dimension


def cost_space(d: int, k: int) -> dict[str, Dimension]:
    """The cost run's space: d dimensions cycling through four kinds, k choices each
    categorical."""
    kinds = (lambda: Real(1e-8, 1.0, log=True), lambda: Real(0.0, 1.0),
             lambda: Integer(1, 1000, log=True),
             lambda: Categorical([f"v{j}" for j in range(k)]))
    return {f"x{i}": kinds[i % 4]() for i in range(d)}


def cost_objective(params: Mapping[str, Any]) -> float:
    """A cheap objective of every dimension of `cost_space`."""
    total = 0.0
    for value in params.values():
        if isinstance(value, str):
            total += (int(value[1:]) % 5) / 5
        elif isinstance(value, int):
            total += (math.log10(value) - 1.5) ** 2 / 9
        else:
            total += (value - 0.3) ** 2
    return total


def cost_one(d: int, k: int, n: int, steps: int) -> tuple[float, float, float]:
    """(median, largest) CPU seconds of an ask+tell step after n − steps observations, and
    the process's peak resident memory in MB."""
    space = cost_space(d, k)
    design = Optimizer(space, seed=1, n_initial=n).ask(n - steps)
    opt = Optimizer(space, seed=0)
    opt.tell(design, [cost_objective(p) for p in design])
    times = []
    for _ in range(steps):
        start = time.process_time()
        params = opt.ask()
        opt.tell(params, cost_objective(params))
        times.append(time.process_time() - start)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return float(np.median(times)), max(times), peak


def cost(dims: list[int], choices: list[int], sizes: list[int], steps: int,
         skip_above: float) -> None:
    """The cost table, each (d, k, n) in a fresh process."""
    print(f"load average before: {os.getloadavg()}")
    print("| d | choices | encoded columns | n | CPU per ask+tell, median | largest | peak memory |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    too_slow: list[tuple[int, int]] = []
    for k in choices:
        for d in dims:
            columns = sum(1 if i % 4 != 3 else k for i in range(d))
            if any(d >= d0 and k >= k0 for d0, k0 in too_slow):
                print(f"| {d} | {k} | {columns} | – | not run (a smaller size took over "
                      f"{skip_above:g} s per step) | | |", flush=True)
                continue
            for n in sizes:
                out = subprocess.run(
                    [sys.executable, "-m", "bench.high_dimensional", "cost-one", str(d), str(k),
                     str(n), str(steps)], capture_output=True, text=True, check=True).stdout
                median, largest, peak = (float(v) for v in out.split())
                print(f"| {d} | {k} | {columns} | {n} | {median * 1e3:.0f} ms | "
                      f"{largest * 1e3:.0f} ms | {peak:.0f} MB |", flush=True)
                if median > skip_above:
                    too_slow.append((d, k))
                    break
    print(f"load average after: {os.getloadavg()}")


def linear(d: int, k: int, steps: int) -> None:
    """The `linear` run (module docstring)."""
    space = cost_space(d, k)
    feasible = [LinearConstraint({"x1": 1, "x5": 1}, "<=", 1.2)]
    opt = Optimizer(space, seed=0, feasible=feasible)
    design = Optimizer(space, seed=1, n_initial=40, feasible=feasible).ask(30)
    opt.tell(design, [cost_objective(p) for p in design])
    times, params = [], {}
    for _ in range(steps):
        start = time.process_time()
        params = opt.ask()
        opt.tell(params, cost_objective(params))
        times.append(time.process_time() - start)
    print(f"d={d} k={k}: CPU per ask+tell {[round(t, 2) for t in times]} s; last ask x1="
          f"{params['x1']:.17g} x5={params['x5']:.17g}; load average {os.getloadavg()[0]:.1f}")


def switches_one(k: int, n: int) -> tuple[int, float, float, float]:
    """(encoded columns, CPU seconds of scoring the trial rows, of `switch_values`, largest
    relative difference) for one categorical of `cost_space(8, k)` from 8 starts."""
    space = cost_space(8, k)
    design = Optimizer(space, seed=1, n_initial=n).ask(n)
    opt = Optimizer(space, seed=0)
    opt.tell(design, [cost_objective(p) for p in design])
    objective = opt._snapshot_objective(pending=False)
    encoded = opt.space
    X = encoded.project(encoded.candidates(8, np.random.default_rng(0)))
    group = encoded.categorical_groups[0]
    trials = np.repeat(X, k, axis=0)
    trials[:, group] = np.tile(np.eye(k), (X.shape[0], 1))
    runs: dict[str, Callable[[], Any]] = {"rows": lambda: np.asarray(objective.values(trials)).reshape(X.shape[0], k),
            "switches": lambda: objective.switch_values(X, group)}
    seconds: dict[str, float] = {}
    values: dict[str, Any] = {}
    for name, run in runs.items():
        seconds[name] = math.inf
        for _ in range(5):
            start = time.process_time()
            values[name] = run()
            seconds[name] = min(seconds[name], time.process_time() - start)
    difference = float(np.max(np.abs(values["switches"] - values["rows"])
                              / np.abs(values["rows"])))
    return encoded.n_columns, seconds["rows"], seconds["switches"], difference


def switches(choices: list[int], n: int) -> None:
    """The `switches` table (module docstring)."""
    print(f"load average before: {os.getloadavg()}")
    print("| choices | encoded columns | n | trial rows (values) | switch_values | ratio "
          "| largest relative difference |\n|---:|---:|---:|---:|---:|---:|---:|")
    for k in choices:
        columns, rows, fast, difference = switches_one(k, n)
        print(f"| {k} | {columns} | {n} | {rows * 1e3:.2f} ms | {fast * 1e3:.2f} ms | "
              f"{rows / fast:.1f} | {difference:.1e} |", flush=True)
    print(f"load average after: {os.getloadavg()}")


ACTIVATIONS = [f"a{i}" for i in range(10)]
OPTIMIZERS = [f"o{i}" for i in range(50)]


def quality_space() -> dict[str, Dimension]:
    """SparseMixed30: the 6 dimensions that matter, then 24 that do not."""
    space: dict[str, Dimension] = {
        "lr": Real(1e-8, 1.0, log=True), "wd": Real(1e-12, 1e-2, log=True),
        "dropout": Real(0.0, 0.9), "width": Integer(1, 10**4, log=True),
        "act": Categorical(ACTIVATIONS), "opt": Categorical(OPTIMIZERS),
    }
    kinds = (lambda: Real(1e-6, 1.0, log=True), lambda: Real(-1.0, 1.0),
             lambda: Integer(0, 100), lambda: Categorical([f"u{j}" for j in range(10)]))
    space.update({f"noise{i}": kinds[i % 4]() for i in range(24)})
    return space


def quality_objective(p: Mapping[str, Any]) -> float:
    """SparseMixed30's value (the module docstring's formula)."""
    return float((math.log10(p["lr"]) + 3) ** 2 / 4 + (math.log10(p["wd"]) + 6) ** 2 / 16
            + (p["dropout"] - 0.3) ** 2 + (math.log10(p["width"]) - 2) ** 2 / 4
            + 0.5 * (p["act"] != "a3") + 0.3 * (p["opt"] != "o17"))


def random_best(seed: int, budget: int) -> float:
    """The best of `budget` uniform random points of `quality_space`."""
    rng = np.random.default_rng(seed)
    space = quality_space()
    return min(quality_objective({name: dim.decode(dim.from_unit(rng.random(1)))[0]
                                  for name, dim in space.items()}) for _ in range(budget))


def bayesopt_best(seed: int, budget: int) -> float:
    """The best value of a default optimizer after `budget` evaluations."""
    opt = Optimizer(quality_space(), seed=seed)
    for _ in range(budget):
        params = opt.ask()
        opt.tell(params, quality_objective(params))
    best = opt.best
    assert best is not None and best.value is not None, "every evaluation was told a value"
    return float(best.value)


def quality(seeds: int, budget: int) -> None:
    """The quality table."""
    print(f"load average before: {os.getloadavg()}")
    rows = {"bayesopt": [], "random": []}  # type: dict[str, list[float]]
    for seed in range(seeds):
        start = time.process_time()
        rows["bayesopt"].append(bayesopt_best(seed, budget))
        rows["random"].append(random_best(seed, budget))
        print(f"seed {seed}: bayesopt {rows['bayesopt'][-1]:.4f}, random {rows['random'][-1]:.4f}"
              f" ({time.process_time() - start:.0f} s CPU)", flush=True)
    print(f"\n| optimizer | best after {budget}: median [quartiles] |\n|---|---|")
    for name, values in rows.items():
        q1, q2, q3 = np.percentile(values, [25, 50, 75])
        print(f"| {name} | {q2:.4f} [{q1:.4f}, {q3:.4f}] |")
    wins = sum(b < r for b, r in zip(rows["bayesopt"], rows["random"]))
    print(f"\nbayesopt lower on {wins} of {seeds} seeds")
    print(f"load average after: {os.getloadavg()}")


def _int_list(text: str) -> list[int]:
    return [positive_int(v) for v in text.split(",")]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.high_dimensional")
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("cost")
    c.add_argument("--dims", type=_int_list, default=[10, 20, 40, 60])
    c.add_argument("--choices", type=_int_list, default=[10, 100, 1000])
    c.add_argument("--sizes", type=_int_list, default=[50, 150])
    c.add_argument("--steps", type=positive_int, default=5)
    c.add_argument("--skip-above", type=float, default=60.0)
    one = sub.add_parser("cost-one")
    for name in ("d", "k", "n", "steps"):
        one.add_argument(name, type=positive_int)
    q = sub.add_parser("quality")
    q.add_argument("--seeds", type=positive_int, default=10)
    q.add_argument("--budget", type=positive_int, default=100)
    lin = sub.add_parser("linear")
    lin.add_argument("d", type=positive_int)
    lin.add_argument("k", type=positive_int)
    lin.add_argument("--steps", type=positive_int, default=2)
    sw = sub.add_parser("switches")
    sw.add_argument("--choices", type=_int_list, default=[3, 8, 16, 32, 64, 128])
    sw.add_argument("--n", type=positive_int, default=50)
    args = parser.parse_args(argv)
    if args.command == "cost":
        cost(args.dims, args.choices, args.sizes, args.steps, args.skip_above)
    elif args.command == "cost-one":
        median, largest, peak = cost_one(args.d, args.k, args.n, args.steps)
        print(median, largest, peak)
    elif args.command == "switches":
        switches(args.choices, args.n)
    elif args.command == "linear":
        linear(args.d, args.k, args.steps)
    else:
        quality(args.seeds, args.budget)


if __name__ == "__main__":
    main()

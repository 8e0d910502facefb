"""CPU time of one ask on a big categorical, for each kind of acquisition objective.

    python -m bench.categorical_speed [--choices 100,300,1000] [--kinds plain,...]
        [--n 50] [--steps 2] [--q 1] [--tells] [--profile KIND:K]

The space: a Categorical of k choices and 3 reals in [0, 1]. Kinds:

    plain        the defaults
    conditional  the categorical active under one branch of a 2-choice parent
                 (the reals unconditional)
    mcmc         ModelOptions(hyperparameters="mcmc")
    lognei       acquisition="lognei" (noisy EI)
    penalize     ModelOptions(fantasy="penalize"), two points pending
    constrained  every tell carries one outcome constraint (`tell(..., constraints=)`),
                 about half of the observations feasible
    cost         acquisition="logei_per_cost", every tell carries a cost

For each (kind, k): tell n observations of a cheap objective (Sobol design of
another optimizer), then time `--steps` asks on the CPU clock
(`time.process_time`), one BLAS and one Numba thread, each ask told before the
next (penalize: its pending points stay pending); `--q 4` asks 4 points at a time
(`ask(4)`, a batch) and tells them together; the median is printed, with
`--tells` also the median CPU time of those tells (each refits the hyperparameters),
as "ask / tell". `--profile plain:1000` runs cProfile over one step, an ask and its
tell, and prints the 25 largest cumulative entries of each instead.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time
from typing import Any

import numpy as np

from bayesopt import Optimizer, OptimizerOptions
from bayesopt.argtypes import positive_int
from bayesopt.choices import AcquisitionName
from bayesopt.model import ModelOptions
from bayesopt.space import Categorical, Dimension, Real
from bench.overhead import _limit_threads
from bench.step_timing import sizes_argument

KINDS = ("plain", "conditional", "mcmc", "lognei", "penalize", "constrained", "cost")
PENDING = 2  # pending points of the penalize kind


def space(kind: str, k: int) -> dict[str, Dimension]:
    """A Categorical of k choices and 3 reals; under kind "conditional" the categorical is
    active only where the parent `branch` is "a"."""
    dims: dict[str, Dimension] = {}
    if kind == "conditional":
        dims["branch"] = Categorical(["a", "b"])
        dims["cat"] = Categorical([f"c{j}" for j in range(k)], when={"branch": "a"})
    else:
        dims["cat"] = Categorical([f"c{j}" for j in range(k)])
    for i in range(3):
        dims[f"x{i}"] = Real(0.0, 1.0)
    return dims


def objective(params: dict[str, Any]) -> float:
    """Cheap, and a function of every parameter that is present."""
    total = sum((params[f"x{i}"] - 0.3) ** 2 for i in range(3))
    if "cat" in params:
        total += (int(params["cat"][1:]) % 7) / 7
    if params.get("branch") == "b":
        total += 0.5
    return float(total)


def outcomes(kind: str, params: dict[str, Any]) -> dict[str, Any]:
    """What a tell of `params` carries besides the value: under kind "constrained" one
    constraint c = x1 − 0.5 + 0.1·(choice mod 3) (c ≤ 0 feasible), under "cost" a cost
    exp(x2 + (choice mod 5) / 5); nothing otherwise."""
    choice = int(params["cat"][1:]) if "cat" in params else 0
    if kind == "constrained":
        return {"constraints": [params["x1"] - 0.5 + 0.1 * (choice % 3)]}
    if kind == "cost":
        return {"cost": float(np.exp(params["x2"] + (choice % 5) / 5))}
    return {}


def tell(opt: Optimizer, kind: str, points: list[dict[str, Any]]) -> None:
    """Tell `points` their objective values (and the kind's `outcomes`)."""
    extra = [outcomes(kind, p) for p in points]
    told: dict[str, Any] = {}
    for key in ("constraints", "cost"):
        if extra and key in extra[0]:
            told[key] = [e[key] for e in extra]
    opt.tell(points, [objective(p) for p in points], **told)


def optimizer(kind: str, k: int, n: int) -> Optimizer:
    """The kind's optimizer on `space(kind, k)` with n observations told (and, for
    penalize, `PENDING` points asked and not told)."""
    dims = space(kind, k)
    model = {"mcmc": ModelOptions(hyperparameters="mcmc"),
             "penalize": ModelOptions(fantasy="penalize")}.get(kind)
    options = None if model is None else OptimizerOptions(model=model)
    acquisitions: dict[str, AcquisitionName] = {"lognei": "lognei", "cost": "logei_per_cost"}
    acquisition = acquisitions.get(kind, "logei")
    design = Optimizer(dims, seed=1, n_initial=n).ask(n)
    opt = Optimizer(dims, seed=0, acquisition=acquisition, options=options)
    tell(opt, kind, design)
    if kind == "penalize":
        opt.ask(PENDING)
    return opt


def step_seconds(kind: str, k: int, n: int, steps: int, q: int = 1) -> tuple[float, float]:
    """Median CPU seconds of `steps` asks of q points and of their tells."""
    opt = optimizer(kind, k, n)
    asks, tells = [], []
    for _ in range(steps):
        start = time.process_time()
        points = opt.ask(q) if q > 1 else [opt.ask()]
        middle = time.process_time()
        tell(opt, kind, points)
        asks.append(middle - start)
        tells.append(time.process_time() - middle)
    return float(np.median(asks)), float(np.median(tells))


def profile(kind: str, k: int, n: int) -> None:
    """cProfile (CPU clock) of one step, its ask and its tell: the 25 largest cumulative
    entries of each."""
    opt = optimizer(kind, k, n)
    for name in ("ask", "tell"):
        profiler = cProfile.Profile(time.process_time)  # CPU seconds
        profiler.enable()
        if name == "ask":
            point = opt.ask()
        else:
            tell(opt, kind, [point])
        profiler.disable()
        print(f"## {name}")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--choices", default=[100, 300, 1000], type=sizes_argument)
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--n", type=positive_int, default=50)
    parser.add_argument("--steps", type=positive_int, default=2)
    parser.add_argument("--q", type=positive_int, default=1, help="points per ask")
    parser.add_argument("--tells", action="store_true", help="also time the tells")
    parser.add_argument("--profile", default=None, help="KIND:K, e.g. mcmc:1000")
    args = parser.parse_args(argv)
    kinds = args.kinds.split(",")
    for kind in kinds:
        if kind not in KINDS:
            parser.error(f"--kinds: {kind!r} is not one of {KINDS}")
    with _limit_threads(1):
        step_seconds("plain", 5, 10, 1)  # compile (or load) the Numba kernels first
        if args.profile is not None:
            kind, _, k = args.profile.partition(":")
            if kind not in KINDS or not k.isdigit():
                parser.error(f"--profile: {args.profile!r} is not KIND:K")
            profile(kind, int(k), args.n)
            return
        print("| kind | " + " | ".join(f"k = {k}" for k in args.choices) + " |", flush=True)
        print("|---|" + "---:|" * len(args.choices), flush=True)
        for kind in kinds:
            times = [step_seconds(kind, k, args.n, args.steps, args.q) for k in args.choices]
            cells = [f"{ask:.2f} s" + (f" / {tell:.2f} s" if args.tells else "")
                     for ask, tell in times]
            print(f"| {kind} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()

"""CPU cost of one ask+tell step with `ModelOptions(integer_kernel="round")` against "relax"
(or `categorical_kernel="hamming"` against "onehot").

    python -m bench.integer_kernel_cost [--problems tree_digits,hgb_cancer] [--sizes 20,50]
                                        [--steps 5] [--option integer_kernel] [--out FILE]

For each quality-suite problem and each n: tell n random valid points with their
objective values at once, then time `--steps` consecutive ask+tell steps in CPU
seconds (`time.process_time`, one BLAS and one Numba thread), the objective's own
evaluations left out. Below n = 200 each step is one refit plus one acquisition
optimization; "round" adds T in every prediction and the lattice steps of the
integer columns (`bayesopt.rounding`). With `--option categorical_kernel` the two
variants are "onehot" and "hamming" (one lengthscale per categorical, `bayesopt.categorical`:
fewer hyperparameters to fit, the same kernel passes). The table is printed and written
to `--out`.
"""

from __future__ import annotations

import argparse
import functools
import time
from pathlib import Path
from typing import Any

import numpy as np

from bayesopt import Optimizer, OptimizerOptions
from bayesopt.argtypes import positive_int
from bayesopt.model import ModelOptions
from bayesopt.space import Space
from bench.model_options_cost import emit, ratio_cells
from bench.problems import make_problem
from kernels.threads import numeric_threads

# the ModelOptions field compared → its values, the default first
VARIANTS = {"integer_kernel": ("relax", "round"), "categorical_kernel": ("onehot", "hamming")}


def step_seconds(problem_name: str, option: str, value: str, n: int, steps: int) -> float:
    """Mean CPU seconds of an ask+tell step after n random observations (seed 0), with the
    ModelOptions field `option` set to `value`."""
    problem = make_problem(problem_name)
    fields: dict[str, Any] = {option: value}  # a string value, which ModelOptions checks
    options = OptimizerOptions(model=ModelOptions(**fields))
    opt = Optimizer(problem.space, seed=0, options=options)
    space = Space(problem.space)
    points = space.decode(space.from_unit(np.random.default_rng(0).random((n, space.n_dims))))
    opt.tell(points, [problem.evaluate(p) for p in points])
    cpu = 0.0
    for _ in range(steps):
        start = time.process_time()
        params = opt.ask()
        cpu += time.process_time() - start
        result = problem.evaluate(params)
        start = time.process_time()
        opt.tell(params, result)
        cpu += time.process_time() - start
    return cpu / steps


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--problems", default="tree_digits,hgb_cancer")
    parser.add_argument("--sizes", default="20,50", help="observations before timing")
    parser.add_argument("--steps", type=positive_int, default=5, help="timed steps per size")
    parser.add_argument("--option", choices=tuple(VARIANTS), default="integer_kernel")
    parser.add_argument("--out", type=Path, default=None, help="also write the table here")
    args = parser.parse_args(argv)
    sizes = [positive_int(s) for s in args.sizes.split(",")]
    variants = VARIANTS[args.option]
    lines = [f"| problem | {args.option} | " + " | ".join(
        f"n = {n}: CPU s/step (× {variants[0]})" for n in sizes) + " |",
        "|---|---|" + "---:|" * len(sizes)]
    with numeric_threads(0):  # single-threaded Numba and BLAS for small n
        for problem in args.problems.split(","):
            base: dict[int, float] = {}
            for variant in variants:
                seconds = functools.partial(step_seconds, problem, args.option, variant,
                                            steps=args.steps)
                cells = ratio_cells(seconds, sizes, base, digits=(3, 2))
                lines.append(f"| {problem} | {variant} | " + " | ".join(cells) + " |")
                print(lines[-1], flush=True)
    emit(lines, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

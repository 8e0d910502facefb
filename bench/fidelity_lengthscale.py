"""The fitted budget lengthscale at the end of bench.fidelity's runs of bayesopt with a Fidelity.

    python -m bench.fidelity_lengthscale [--seeds 0] [--problems branin_mf,...]

Runs `bayesopt-fidelity` of bench.fidelity (the default model, the bench's
equal total budget of 20·27 epochs) and reads the GP fitted at the end:
`opt.surrogate().hyperparameters().budget`, its lengthscale on the budget level
z ∈ [0, 1] (`lengthscale_unit_cube`) and the correlation of one configuration's
values at the lowest and the highest budget (`lowest_budget_correlation`). A
long lengthscale (a correlation near 1) says every budget is nearly one
function; a short one that the short runs say less about the long ones.
Prints a Markdown table; nothing is cached.
"""

from __future__ import annotations

import argparse
import time
import warnings

from bench.fidelity import PROBLEMS, Ledger, _seeds, fidelity_run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0", help="e.g. 0, 0-2 or 0,4")
    parser.add_argument("--problems", default=",".join(PROBLEMS))
    args = parser.parse_args(argv)
    problems = args.problems.split(",")
    unknown = [name for name in problems if name not in PROBLEMS]
    if unknown:
        parser.error(f"--problems: {unknown} not among {list(PROBLEMS)}")
    seeds = _seeds(args.seeds)
    print("| problem | seed | budget lengthscale (unit cube) "
          "| correlation, lowest with highest budget | CPU s |")
    print("|---|---:|---:|---:|---:|")
    for name in problems:
        for seed in seeds:
            start = time.process_time()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                opt = fidelity_run(PROBLEMS[name], seed, Ledger(PROBLEMS[name]))
                budget = opt.surrogate().hyperparameters().budget
            assert budget is not None and budget.lengthscale_unit_cube is not None
            print(f"| {name} | {seed} | {budget.lengthscale_unit_cube:.3g} "
                  f"| {budget.lowest_budget_correlation:.3f} "
                  f"| {time.process_time() - start:.1f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

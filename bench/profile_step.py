"""Where an ask+tell spends its time, phase by phase, from cProfile on the CPU clock.

    python -m bench.profile_step [--sizes 100,1000,2000] [--steps 10] [--threads 1]
                                 [--top 0] [--out FILE]

For d = 6 (Hartmann-6) and each n: tell n random observations (as
`bench.overhead` does), then profile `--steps` consecutive ask+tell steps
under `cProfile` with `time.process_time` as its timer. The steps' time is
split by the cumulative time of the functions each phase runs in:

- refit: `SurrogateModel._refit` (the MAP fit and the new factor), split
  into its objective (`bayesopt.fitting.NegativeLogPosterior`, evaluated by
  L-BFGS-B) and the rest (scipy's L-BFGS-B, the factor). Beyond
  `refit_every_step_until` no timed step refits; the row then shows one
  forced refit divided by the tells between refits (as `bench.overhead`
  amortizes it), profiled separately;
- append: `GaussianProcess.append` called by `SurrogateModel.update` (the
  block Cholesky append of a tell between refits);
- fantasies: `SurrogateModel.add_fantasies` (pending points, batches only);
- candidate scoring: `AcquisitionObjective.screened_values` and `values`
  called by `optimize_acquisition` (the scrambled-Sobol and perturbed
  candidates, and the re-scoring of the local optima), and `values` called by
  `_Scores.best_distinct` (every candidate, when a choice falls below the
  screening's floor);
- polish: `_local_search` (batched L-BFGS-B), split into its objective
  (`values_and_gradients`) and the rest (scipy's L-BFGS-B and the Python
  between its calls);
- other: everything else of the step (Python of ask/tell, events, encoding).

cProfile adds its own cost to every Python call, so the profiled total is
above the plain one (also shown: the same steps timed without the profiler,
on a fresh optimizer). `--top k` also prints the k functions of largest own
time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from bayesopt import Optimizer
from bayesopt.argtypes import positive_int
from bayesopt.test_functions import Hartmann6
from bench.overhead import DIM, _limit_threads, forced_refit, refit_interval
from bench.step_timing import optimizer_at

# (file suffix, function name, caller's function name or None for any caller)
Where = tuple[str, str, str | None]
# phase → the functions whose cumulative time it is
PHASES: dict[str, tuple[Where, ...]] = {
    "refit": (("bayesopt/model.py", "_refit", None),),
    "refit: objective": (("bayesopt/fitting.py", "__call__", None),  # NegativeLogPosterior
                         # the plain function scipy called before NegativeLogPosterior existed
                         ("bayesopt/fitting.py", "negative_log_posterior", "_compute_if_needed")),
    "append": (("bayesopt/gp.py", "append", "update"),),
    "fantasies": (("bayesopt/model.py", "add_fantasies", None),),
    "candidate scoring": (("acquisition/optimizer.py", "screened_values", "optimize_acquisition"),
                          ("acquisition/optimizer.py", "values", "optimize_acquisition"),
                          ("acquisition/optimizer.py", "values", "best_distinct")),
    "polish": (("acquisition/optimizer.py", "_local_search", None),),
    "polish: objective": (("acquisition/optimizer.py", "values_and_gradients", None),),
}

NESTED = ("refit: objective", "polish: objective")  # parts of the phase before them


@dataclass
class Profile:
    n: int
    steps: int
    total: float  # profiled seconds per step
    plain: float  # unprofiled seconds per step
    phases: dict[str, float]  # seconds per step
    refit_interval: int
    stats: pstats.Stats


def _cumulative(stats: pstats.Stats, wheres: tuple[Where, ...]) -> float:
    return sum(_cumulative_one(stats, where) for where in wheres)


def _cumulative_one(stats: pstats.Stats, where: Where) -> float:
    suffix, name, caller = where
    total = 0.0
    for (path, _, func), entry in stats.stats.items():  # type: ignore[attr-defined]
        if func != name or not path.endswith(suffix):
            continue
        if caller is None:
            total += entry[3]
            continue
        for (_, _, caller_func), sub in entry[4].items():
            if caller_func == caller:
                total += sub[3]
    return total


def _fill(n: int) -> tuple[Optimizer, Hartmann6]:
    opt, f = optimizer_at(n)
    _steps(opt, f, 1)()  # the first model-based ask: loads the kernels outside the timing
    return opt, f


def _steps(opt: Optimizer, f: Hartmann6, steps: int) -> Callable[[], None]:
    def run() -> None:
        for _ in range(steps):
            params = opt.ask()
            opt.tell(params, float(f(np.array(list(params.values())))))
    return run


def _cpu(call: Callable[[], Any]) -> float:
    start = time.process_time()
    call()
    return time.process_time() - start


def profile_size(n: int, steps: int) -> Profile:
    opt, f = _fill(n)
    profiler = cProfile.Profile(time.process_time)
    total = _cpu(lambda: profiler.runcall(_steps(opt, f, steps))) / steps
    stats = pstats.Stats(profiler)
    phases = {name: _cumulative(stats, where) / steps for name, where in PHASES.items()}
    interval = refit_interval(opt, n)
    if interval > 1:  # no timed step refit: profile one refit, amortized
        refit_profiler = cProfile.Profile(time.process_time)
        refit_profiler.runcall(forced_refit(opt))
        refit_stats = pstats.Stats(refit_profiler)
        for phase in ("refit", "refit: objective"):
            phases[phase] = _cumulative(refit_stats, PHASES[phase]) / interval
        stats.add(refit_stats)
        total += phases["refit"]
    fresh, f = _fill(n)
    plain = _cpu(_steps(fresh, f, steps)) / steps
    if interval > 1:
        plain += phases["refit"]
    return Profile(n, steps, total, plain, phases, interval, stats)


def table(rows: list[Profile]) -> str:
    names = list(PHASES)
    head = "| n | ask+tell (no profiler) | profiled | " + " | ".join(names) + " | other |"
    rule = "|---:|---:|---:|" + "---:|" * (len(names) + 1)
    lines = [head, rule]
    for r in rows:
        counted = sum(v for k, v in r.phases.items() if k not in NESTED)
        cells = [_cell(r.phases[k], r.total) for k in names]
        refit = f" (1/{r.refit_interval})" if r.refit_interval > 1 else ""
        cells[0] += refit
        lines.append(f"| {r.n} | {_ms(r.plain)} | {_ms(r.total)} | " + " | ".join(cells)
                     + f" | {_cell(r.total - counted, r.total)} |")
    return "\n".join(lines)


def _cell(seconds: float, total: float) -> str:
    return f"{_ms(seconds)} ({100 * seconds / total:.0f} %)"


def _ms(seconds: float) -> str:
    return f"{1e3 * seconds:.1f} ms"


def top_functions(stats: pstats.Stats, k: int) -> str:
    out = io.StringIO()
    stats.stream = out  # type: ignore[attr-defined]
    stats.sort_stats("tottime").print_stats(k)
    return out.getvalue()


def _checked(args: argparse.Namespace) -> tuple[list[int], int | None]:
    """The sizes and the thread setting (None: default); ValueError naming the first
    argument that makes no sense."""
    sizes = [part.strip() for part in args.sizes.split(",")]
    if not all(part.isdigit() and int(part) >= 2 for part in sizes):
        raise ValueError(f"--sizes {args.sizes!r}: expected comma-separated integers >= 2")
    if not (args.threads == "default" or (args.threads.isdigit() and int(args.threads) >= 1)):
        raise ValueError(f"--threads {args.threads!r}: expected an integer >= 1 or 'default'")
    if args.top < 0:
        raise ValueError(f"--top {args.top}: expected an integer >= 0")
    return [int(part) for part in sizes], None if args.threads == "default" else int(args.threads)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100,1000,2000")
    parser.add_argument("--steps", type=positive_int, default=10)
    parser.add_argument("--threads", default="1", help="an integer or 'default'")
    parser.add_argument("--top", type=int, default=0)
    parser.add_argument("--out", default=None,
                        help="also write the table to this file (bench/results/profile_step.md "
                             "is a curated write-up: do not point this at it)")
    args = parser.parse_args(argv)
    try:
        sizes, threads = _checked(args)
    except ValueError as error:
        parser.error(str(error))
    with _limit_threads(threads):
        rows = [profile_size(n, args.steps) for n in sizes]
    report = (f"{table(rows)}\n\nd = {DIM} (Hartmann-6), {args.steps} steps per n, per step, "
              f"CPU time, threads {args.threads}; {date.today()}; `python -m bench.profile_step "
              f"--sizes {args.sizes} --steps {args.steps} --threads {args.threads}`\n")
    print(report)
    for r in rows if args.top else []:
        print(f"n = {r.n}:\n{top_functions(r.stats, args.top)}")
    if args.out is not None:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(report)


if __name__ == "__main__":
    main()

"""BayesoptSampler through Optuna vs the native Optimizer, and its overhead beside Optuna's GPSampler.

    python -m bench.optuna_sampler                                   # the recorded run
    python -m bench.optuna_sampler --problems branin --seeds 2       # a smoke run

Three arms on quality-suite problems (`bench.problems`), with the suite's
budgets, seeds and initial-design sizes:

    bayesopt          Optimizer(space, seed=s): ask/tell                  (bench.adapters)
    BayesoptSampler   an Optuna study with BayesoptSampler(seed=s), driven by
                      study.ask(distributions) / study.tell(trial, value)
    GPSampler         the same study with Optuna's GPSampler(seed=s, n_startup_trials=n0)

Each run reports the simple regret of its best observed point and the
per-trial overhead: the seconds of ask + tell (for the Optuna arms everything
Optuna does per trial, storage included), excluding the evaluation. One
thread per library, as in the quality suite. GPSampler needs PyTorch; without
it that arm is skipped with the reason printed. The report goes to
`bench/results/optuna_sampler.md`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bayesopt.optimizer import default_n_initial
from bayesopt.space import Dimension, Space
from bench.adapters import Adapter, BayesoptAdapter, OptunaAdapter, drive, missing_reason
from bench.problems import make_problem, regret
from bench.quality import machine_info


@dataclass(frozen=True)
class Run:
    """The simple regret of the best observed point; per trial, the mean seconds of ask + tell
    (wall) and the process CPU seconds (evaluation included: microseconds here)."""

    regret: float
    wall: float
    cpu: float


PROBLEMS = ("branin", "hartmann3", "six_hump_camel", "hartmann6")
OUT = Path("bench/results/optuna_sampler.md")
SAMPLER = "BayesoptSampler"


class BayesoptSamplerAdapter(OptunaAdapter):
    """An Optuna study whose sampler is `BayesoptSampler(seed=seed)` (its default design size)."""

    def __init__(self, space: Mapping[str, Dimension], seed: int, n_initial: int) -> None:
        super().__init__(space, seed, n_initial, "bayesopt")

    def make_sampler(self, name: str, seed: int, n_initial: int) -> Any:
        from bayesopt.integrations.optuna import BayesoptSampler

        sampler = BayesoptSampler(seed=seed)
        assert default_n_initial(self.space) == n_initial, "the protocol's design size"
        return sampler


def _gp_sampler(space: Mapping[str, Dimension], seed: int, n_initial: int) -> Adapter:
    return OptunaAdapter(space, seed, n_initial, "gp")


ARMS: dict[str, Callable[[Mapping[str, Dimension], int, int], Adapter]] = {
    "bayesopt": BayesoptAdapter,
    SAMPLER: BayesoptSamplerAdapter,
    "GPSampler": _gp_sampler,
}


def run(problem_name: str, arm: str, seed: int) -> Run:
    """One run of `arm` on a problem with a seed."""
    problem = make_problem(problem_name, seed)
    adapter = ARMS[arm](problem.space, seed, default_n_initial(Space(problem.space)))
    cpu = time.process_time()
    steps = drive(adapter, problem, problem.budget)
    cpu = (time.process_time() - cpu) / problem.budget
    best = min(step["value"] for step in steps)
    return Run(regret(problem, best), statistics.fmean(s["overhead"] for s in steps), cpu)


def _quartiles(values: list[float]) -> str:
    q1, q2, q3 = np.percentile(values, [25, 50, 75])
    return f"{q2:.3g} [{q1:.3g}, {q3:.3g}]"


def _same_regret_p(a: list[Run], b: list[Run]) -> float:
    from scipy.stats import mannwhitneyu

    return float(mannwhitneyu([r.regret for r in a], [r.regret for r in b]).pvalue)


def _ms(runs: list[Run], which: str) -> float:
    return 1000 * float(statistics.median(getattr(r, which) for r in runs))


def report(results: dict[tuple[str, str], list[Run]], arms: list[str], problems: list[str],
           seeds: int, skipped: dict[str, str], command: str) -> str:
    """The regret table and the overhead table, as Markdown."""
    regret_legend = ("Simple regret of the best observed point, median [quartiles] over seeds "
                     f"0–{seeds - 1}, with the quality suite's budgets and initial designs.")
    lines = ["# BayesoptSampler through Optuna", "", regret_legend, "",
             "| problem | budget | " + " | ".join(arms) + " | p (bayesopt vs BayesoptSampler) |",
             "|---|---:|" + "---:|" * (len(arms) + 1)]
    for name in problems:
        cells = [_quartiles([r.regret for r in results[name, a]]) for a in arms]
        cells.append(f"{_same_regret_p(results[name, 'bayesopt'], results[name, SAMPLER]):.2f}")
        lines.append(f"| {name} | {make_problem(name).budget} | " + " | ".join(cells) + " |")
    lines += ["", ("p: two-sided Mann–Whitney U test of equal regret distributions (a small "
                   "p would say the sampler and the native optimizer differ).")]
    overhead_legend = (
        "Per-trial overhead, ms (median over seeds of the mean per trial): process CPU time, "
        "which the other jobs on a shared machine do not inflate, and wall time of ask + tell. "
        "For the Optuna arms it is everything Optuna does per trial.")
    header = [f"{a} CPU" for a in arms] + [f"{a} wall" for a in arms]
    lines += ["", overhead_legend, "", "| problem | " + " | ".join(header) + " |",
              "|---|" + "---:|" * len(header)]
    for name in problems:
        cpu = [f"{_ms(results[name, a], 'cpu'):.1f}" for a in arms]
        wall = [f"{_ms(results[name, a], 'wall'):.1f}" for a in arms]
        lines.append(f"| {name} | " + " | ".join(cpu + wall) + " |")
    lines += [""] + [f"- {arm} skipped: {reason}" for arm, reason in skipped.items()]
    lines += ["", f"Command: `{command}`", ""] + machine_info()
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", default=",".join(PROBLEMS))
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error(f"--seeds={args.seeds} must be >= 1")
    problems = args.problems.split(",")
    gp_missing = missing_reason("optuna-gp")
    skipped = {} if gp_missing is None else {"GPSampler": gp_missing}
    arms = [arm for arm in ARMS if arm not in skipped]
    for arm, reason in skipped.items():
        print(f"{arm} skipped: {reason}")
    _single_thread()
    for arm in arms:  # imports, JIT caches and first-call costs are paid here, not measured
        run(problems[0], arm, 0)
    results: dict[tuple[str, str], list[Run]] = {(p, a): [] for p in problems for a in arms}
    for name in problems:
        for seed in range(args.seeds):
            for arm in arms:  # interleaved, so that a busy spell hits every arm alike
                result = run(name, arm, seed)
                results[name, arm].append(result)
                print(f"{name:16s} seed {seed} {arm:16s} regret {result.regret:.3g}  "
                      f"{1000 * result.cpu:.1f} ms CPU/trial", flush=True)
    command = "python -m bench.optuna_sampler " + " ".join(argv if argv is not None else sys.argv[1:])
    args.out.write_text(report(results, arms, problems, args.seeds, skipped, command.strip()))
    print(f"wrote {args.out}")
    return 0


def _single_thread() -> None:
    """One BLAS, Numba and torch thread, as in the quality suite."""
    import numba
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)
    numba.set_num_threads(1)
    try:
        import torch
    except ImportError:
        return
    torch.set_num_threads(1)


if __name__ == "__main__":
    sys.exit(main())

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
from pathlib import Path
from typing import Any

from bayesopt.optimizer import default_n_initial
from bayesopt.space import Dimension, Space
from bench.adapters import Adapter, BayesoptAdapter, OptunaAdapter, missing_reason
from bench.problems import make_problem, regret
from bench.quality import machine_info

PROBLEMS = ("branin", "hartmann3", "six_hump_camel", "hartmann6")
OUT = Path("bench/results/optuna_sampler.md")


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
    "BayesoptSampler": BayesoptSamplerAdapter,
    "GPSampler": _gp_sampler,
}


def run(problem_name: str, arm: str, seed: int) -> tuple[float, float]:
    """One run: (simple regret of the best observed point, mean overhead per trial in seconds)."""
    problem = make_problem(problem_name, seed)
    adapter = ARMS[arm](problem.space, seed, default_n_initial(Space(problem.space)))
    best, overhead = float("inf"), 0.0
    for _ in range(problem.budget):
        t0 = time.perf_counter()
        params = adapter.ask()
        t1 = time.perf_counter()
        value = problem.evaluate(params)
        t2 = time.perf_counter()
        adapter.tell(params, value)
        overhead += (t1 - t0) + (time.perf_counter() - t2)
        best = min(best, value)
    return regret(problem, best), overhead / problem.budget


def _quartiles(values: list[float]) -> str:
    q1, q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return f"{q2:.3g} [{q1:.3g}, {q3:.3g}]"


def report(results: dict[tuple[str, str], list[tuple[float, float]]], arms: list[str],
           problems: list[str], seeds: int, skipped: dict[str, str], command: str) -> str:
    legend = (f"Simple regret of the best observed point, median [quartiles] over seeds "
              f"0–{seeds - 1} (the quality suite's budgets); per-trial overhead: mean ms of "
              "ask + tell per trial (evaluation excluded), median over seeds.")
    lines = ["# BayesoptSampler through Optuna", "", legend, "",
             "| problem | budget | " + " | ".join(f"{a} regret" for a in arms) + " | "
             + " | ".join(f"{a} ms/trial" for a in arms) + " |",
             "|---|---:|" + "---:|" * (2 * len(arms))]
    for name in problems:
        cells = [_quartiles([r for r, _ in results[name, a]]) for a in arms]
        times = [f"{1000 * statistics.median(t for _, t in results[name, a]):.1f}" for a in arms]
        lines.append(f"| {name} | {make_problem(name).budget} | " + " | ".join(cells + times)
                     + " |")
    lines += [""] + [f"- {arm} skipped: {reason}" for arm, reason in skipped.items()]
    lines += ["", f"Command: `{command}`", ""] + machine_info()
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", default=",".join(PROBLEMS))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    problems = args.problems.split(",")
    gp_missing = missing_reason("optuna-gp")
    skipped = {} if gp_missing is None else {"GPSampler": gp_missing}
    arms = [arm for arm in ARMS if arm not in skipped]
    for arm, reason in skipped.items():
        print(f"{arm} skipped: {reason}")
    _single_thread()
    results: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for name in problems:
        for arm in arms:
            results[name, arm] = [run(name, arm, seed) for seed in range(args.seeds)]
            print(f"{name:16s} {arm:16s} regret {_quartiles([r for r, _ in results[name, arm]])}"
                  f"  {1000 * statistics.median(t for _, t in results[name, arm]):.1f} ms/trial",
                  flush=True)
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

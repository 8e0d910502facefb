"""BayesoptSampler in Optuna define-by-run conditional spaces, against TPE, GPSampler and random.

    python -m bench.optuna_conditional run --seeds 0-9 --trials 50 [--samplers ...] [--label L]
    python -m bench.optuna_conditional report        # writes bench/results/optuna_conditional.md

Samplers: bayesopt (`BayesoptSampler`), tpe (`TPESampler`), gp (Optuna's `GPSampler`,
which models the intersection search space and samples the rest at random), random
(`RandomSampler`), and native: bayesopt's `Optimizer` asked and told directly on the
same space written with `when=` (no Optuna), the reference the sampler should match.

Every objective is define-by-run: a trial suggests the branch choice, then only
that branch's parameters, as Optuna users write it. Each sampler runs with its
defaults and the seed; the best value after 30 trials is read from the first 30
trials of the 50-trial run (no sampler here knows the budget, so they are the
trials a 30-trial run makes). `run` adds its records to
bench/results/optuna_conditional.json, replacing those of the same label,
problem and seed; `--label` names a row (e.g. the sampler of another checkout,
run with PYTHONPATH pointing at it).

Problems (minimize; each minimum is stated)
--------
two_branch: model ∈ {svm, rf}; svm: C ∈ [1e-3, 1e3] log, f = |log10 C| + 0.2;
    rf: depth ∈ {1..10}, f = 0.3·|depth − 4| + 0.1. Minimum 0.1 (rf, depth 4).
three_branch: branch ∈ {a, b, c}, two parameters each:
    a: u, v ∈ [−2, 2], f = 0.5·((u − 0.7)² + (v + 0.3)²)        (minimum 0 at (0.7, −0.3))
    b: k ∈ {1..30}, lr ∈ [1e-5, 1e-1] log, f = 0.05 + 0.01·|k − 17| + 0.1·(log10 lr + 3.5)²
    c: act ∈ {relu, tanh, gelu}, w ∈ [0, 1], f = 0.1 + {0.1, 0, 0.05}[act] + (w − 0.2)²
    Minimum 0 (branch a); b and c have floors 0.05 and 0.1.
jenatton: Jenatton et al. (2017), Sec. 5.1 (`bench.conditional.jenatton`), nested:
    x2 and r8 under x1 = 0, x3 and r9 under x1 = 1, x4…x7 under x2 or x3. Minimum 0.1.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from bayesopt import Categorical, Integer, Real
from bayesopt.space import Dimension, Space
from bench.conditional import jenatton, jenatton_space, suggest
from bench.quality import seeds_argument

RESULTS = Path(__file__).parent / "results"
RECORDS = RESULTS / "optuna_conditional.json"
REPORT = RESULTS / "optuna_conditional.md"
HEADER = """# BayesoptSampler in define-by-run conditional spaces

Median [quartiles] (number of seeds) of the best value after 30 and 50 trials, seeds 0-9
(problems, samplers and minima: the docstring of bench/optuna_conditional.py).
`bayesopt` is this branch's sampler (conditions inferred from the trials), `bayesopt-main`
the sampler before it (intersection search space only), `native` bayesopt's `Optimizer` on
the same space written with `when=`. Commands (one thread; the peers need torch: the venv
/work/venv-bench, with PYTHONPATH pointing at the checkout measured):

    OMP_NUM_THREADS=1 PYTHONPATH=$PWD python -m bench.optuna_conditional run --seeds 0-9 --trials 50
    # from a checkout of main, with this script copied into its bench/:
    OMP_NUM_THREADS=1 PYTHONPATH=$PWD python -m bench.optuna_conditional run --seeds 0-9 \\
        --trials 50 --samplers bayesopt --label bayesopt-main
    python -m bench.optuna_conditional report --write

"""
SAMPLERS = ("bayesopt", "native", "tpe", "gp", "random")
BUDGETS = (30, 50)


def two_branch_space() -> dict[str, Dimension]:
    return {"model": Categorical(["svm", "rf"]),
            "C": Real(1e-3, 1e3, log=True, when={"model": "svm"}),
            "depth": Integer(1, 10, when={"model": "rf"})}


def two_branch(p: Mapping[str, Any]) -> float:
    if p["model"] == "svm":
        return float(abs(math.log10(p["C"])) + 0.2)
    return float(0.3 * abs(p["depth"] - 4) + 0.1)


def three_branch_space() -> dict[str, Dimension]:
    return {"branch": Categorical(["a", "b", "c"]),
            "u": Real(-2.0, 2.0, when={"branch": "a"}),
            "v": Real(-2.0, 2.0, when={"branch": "a"}),
            "k": Integer(1, 30, when={"branch": "b"}),
            "lr": Real(1e-5, 1e-1, log=True, when={"branch": "b"}),
            "act": Categorical(["relu", "tanh", "gelu"], when={"branch": "c"}),
            "w": Real(0.0, 1.0, when={"branch": "c"})}


def three_branch(p: Mapping[str, Any]) -> float:
    if p["branch"] == "a":
        return float(0.5 * ((p["u"] - 0.7) ** 2 + (p["v"] + 0.3) ** 2))
    if p["branch"] == "b":
        return float(0.05 + 0.01 * abs(p["k"] - 17) + 0.1 * (math.log10(p["lr"]) + 3.5) ** 2)
    act = {"relu": 0.1, "tanh": 0.0, "gelu": 0.05}[p["act"]]
    return float(0.1 + act + (p["w"] - 0.2) ** 2)


PROBLEMS: dict[str, tuple[Callable[[], dict[str, Dimension]], Callable[..., float], float]] = {
    "two_branch": (two_branch_space, two_branch, 0.1),
    "three_branch": (three_branch_space, three_branch, 0.0),
    "jenatton": (jenatton_space, jenatton, 0.1),
}


def define_by_run(space: Space, func: Callable[[Mapping[str, Any]], float]) -> Callable[..., float]:
    """An Optuna objective that suggests, parents first, exactly the active dimensions."""
    def objective(trial: Any) -> float:
        params: dict[str, Any] = {}
        for i in space.parents_first:
            dim = space.dimensions[i]
            if all(parent in params and params[parent] in values
                   for parent, values in (dim.when or {}).items()):
                params[space.names[i]] = suggest(trial, dim)
        return func(params)
    return objective


def make_sampler(name: str, seed: int) -> Any:
    import optuna

    if name == "bayesopt":
        from bayesopt.integrations.optuna import BayesoptSampler
        return BayesoptSampler(seed=seed)
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed)
    if name == "gp":
        return optuna.samplers.GPSampler(seed=seed)
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    raise ValueError(f"unknown sampler {name!r}; known: {list(SAMPLERS)}")


def run_native(problem: str, seed: int, trials: int) -> list[float]:
    """bayesopt's own `Optimizer` on the same conditional space (`when=`), ask and tell."""
    from bayesopt import Optimizer

    make_space, func, _ = PROBLEMS[problem]
    optimizer = Optimizer(make_space(), seed=seed)
    values = []
    for _ in range(trials):
        params = optimizer.ask()
        values.append(func(params))
        optimizer.tell(params, values[-1])
    return values


def run_one(problem: str, sampler: str, seed: int, trials: int) -> dict[str, Any]:
    import optuna

    make_space, func, _ = PROBLEMS[problem]
    if sampler == "native":
        start = time.perf_counter()
        values = run_native(problem, seed, trials)
        return {"problem": problem, "sampler": sampler, "seed": seed, "values": values,
                "seconds": time.perf_counter() - start}
    objective = define_by_run(Space(make_space()), func)
    study = optuna.create_study(sampler=make_sampler(sampler, seed))
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # IndependentSamplingWarning, ExperimentalWarning
        study.optimize(objective, n_trials=trials)
    seconds = time.perf_counter() - start
    return {"problem": problem, "sampler": sampler, "seed": seed,
            "values": [t.value for t in study.trials], "seconds": seconds}


def command_run(args: argparse.Namespace) -> None:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    records = json.loads(RECORDS.read_text()) if RECORDS.exists() else []
    for problem in args.problems:
        for sampler in args.samplers:
            label = args.label or sampler
            for seed in args.seeds:
                record = {"label": label, **run_one(problem, sampler, seed, args.trials)}
                records = [r for r in records if (r["label"], r["problem"], r["seed"])
                           != (label, problem, seed)] + [record]
                RECORDS.write_text(json.dumps(records, indent=1) + "\n")
                print(f"{problem} {label} seed {seed}: best {min(record['values']):.4g} "
                      f"({record['seconds']:.1f} s)", flush=True)


def _summary(values: list[float]) -> str:
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return f"{median:.4g} [{q1:.4g}, {q3:.4g}]"


def report(records: list[dict[str, Any]]) -> str:
    labels = list(dict.fromkeys(r["label"] for r in records))
    problems = [p for p in PROBLEMS if any(r["problem"] == p for r in records)]
    header = ["sampler"] + [f"{p}, {n}" for p in problems for n in BUDGETS]
    lines = ["| " + " | ".join(header) + " |", "|---" + "|---:" * (len(header) - 1) + "|"]
    for label in labels:
        cells = [label]
        for problem in problems:
            runs = [r for r in records if r["label"] == label and r["problem"] == problem]
            for budget in BUDGETS:
                best = [min(r["values"][:budget]) for r in runs if len(r["values"]) >= budget]
                cells.append(f"{_summary(best)} ({len(best)})" if len(best) >= 2 else "—")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def tests(records: list[dict[str, Any]], budget: int = max(BUDGETS)) -> list[str]:
    """Two-sided Mann–Whitney p of the sampler's best values against native's and against
    another checkout's sampler (label bayesopt-main), seed sets as recorded."""
    from scipy.stats import mannwhitneyu

    lines = []
    for problem in PROBLEMS:
        best = {label: [min(r["values"][:budget]) for r in records
                        if r["label"] == label and r["problem"] == problem]
                for label in ("bayesopt", "native", "bayesopt-main")}
        cells = [f"{other} p = {mannwhitneyu(best['bayesopt'], best[other]).pvalue:.2g}"
                 for other in ("native", "bayesopt-main")
                 if len(best["bayesopt"]) >= 2 and len(best[other]) >= 2]
        if cells:
            lines.append(f"- {problem}, {budget} trials, bayesopt against " + ", ".join(cells))
    return lines


def command_report(args: argparse.Namespace) -> None:
    records = json.loads(RECORDS.read_text())
    text = "\n".join([report(records), "", *tests(records)])
    print(text)
    if args.write:
        REPORT.write_text(HEADER + text + "\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run")
    run.add_argument("--seeds", type=seeds_argument, default="0-9")
    run.add_argument("--trials", type=int, default=max(BUDGETS))
    run.add_argument("--problems", nargs="+", default=list(PROBLEMS), choices=list(PROBLEMS))
    run.add_argument("--samplers", nargs="+", default=list(SAMPLERS), choices=list(SAMPLERS))
    run.add_argument("--label", help="the row's name (default: the sampler's)")
    run.set_defaults(func=command_run)
    rep = commands.add_parser("report")
    rep.add_argument("--write", action="store_true", help=f"also write {REPORT.name}")
    rep.set_defaults(func=command_report)
    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()

"""Hartmann-6's hits at 50 evaluations against the initial design (issue 17).

    python -m bench.hartmann6_designs run --kind KIND --seeds 0-49 [--problem P] [--out DIR]
    python -m bench.hartmann6_designs report [--problem P] [--out DIR]
    python -m bench.hartmann6_designs collect --runs RUNS --optimizers A,B [--problem P] [--out DIR]

Issue 17 asks for ≥ 8 of 10 seeds within 0.05 of Hartmann-6's optimum at 50 evaluations
(the default: 5 of 10; Optuna's GPSampler: 10 of 10) and a median ≤ 0.3 on noisy
Hartmann-6. This separates the model from the 7-point initial design it starts from. A run
is 50 evaluations of the quality suite's `hartmann6` or `hartmann6_noisy` (`--problem`,
`bench.problems`; the noise stream is the suite's for the seed), scored as the suite scores
it (`bench.quality.score_curve`: the noiseless regret of the point with the best observed
value), with

    sobol          bayesopt's default: its own scrambled-Sobol design (`bayesopt.sobol`)
    uniform        bayesopt's default model after 7 uniform points told first, drawn as
                   Optuna's startup draws them (numpy `RandomState(seed).rand(7, 6)`)
    optuna-own     Optuna's GPSampler(seed=seed, n_startup_trials=7): its own startup points
    optuna-sobol   the same GPSampler after bayesopt's 7 Sobol design points, enqueued
    botorch-own    the suite's BoTorch adapter (`bench.adapters.BoTorchAdapter`): its own
                   7 scrambled-Sobol points (`draw_sobol_samples`)
    botorch-sobol  the same adapter with bayesopt's 7 design points as its design

`collect` adds the quality suite's own runs (`python -m bench.quality --optimizers A,B
--problems P --seeds ... --out RUNS`; each optimizer from its own design, e.g. a default
ablated by one option) as kind "suite-NAME", scored the same way, so that the report sets
them beside the design kinds.

A hit is a final regret below 0.05 (`bench.quality.HIT_TOLERANCE`); a run "far off" ends
more than 1.0 above f* (outside the optimum's basin). `report` prints, per kind, the hits,
the far-off runs and the median over the seeds run, and for each pair of kinds over their
common seeds the hits (on `hartmann6`) or the far-off runs (on `hartmann6_noisy`) side by
side with Fisher's exact test (two-sided). Records: DIR/KIND.json for `hartmann6`,
DIR/hartmann6_noisy/KIND.json for the noisy one, {seed: final regret}. The optuna and
botorch kinds need those libraries (the `bench` extra).
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import fisher_exact

from bench.problems import make_problem
from bench.quality import (
    HIT_TOLERANCE,
    SCRATCH,
    load_run,
    one_thread,
    score_curve,
    seed_text,
    seeds_argument,
)

BUDGET, DESIGN = 50, 7
TOLERANCE = HIT_TOLERANCE["hartmann6"]
FAR_OFF = 1.0  # a final regret above this: outside the optimum's basin
PROBLEMS = ("hartmann6", "hartmann6_noisy")
DEFAULT_OUT = SCRATCH / "hartmann6_designs"
SUITE = "suite-"  # the kind of a quality-suite optimizer's runs (`collect`)

Steps = list[dict[str, Any]]


def _bayesopt(problem_name: str, seed: int, told: list[dict[str, float]]) -> Steps:
    """bayesopt's default on the problem for `seed`: the points `told` first (evaluated),
    then its own asks to the budget; the suite's step records."""
    from bayesopt import Optimizer

    problem = make_problem(problem_name, seed)
    opt = Optimizer(dict(problem.space), seed=seed)
    assert opt.n_initial == DESIGN, "the suite's design size for d = 6"
    steps: list[dict[str, Any]] = []
    while len(steps) < BUDGET:
        params = told[len(steps)] if len(steps) < len(told) else opt.ask()
        value = problem.evaluate(params)
        opt.tell(params, value)
        steps.append({"params": params, "value": value, "true_value": problem.true_value(params)})
    return steps


def _uniform_points(seed: int) -> list[dict[str, float]]:
    names = list(make_problem("hartmann6", seed).space)
    return [dict(zip(names, map(float, row))) for row in np.random.RandomState(seed).rand(DESIGN, 6)]


def _sobol_points(seed: int) -> list[dict[str, float]]:
    """bayesopt's design for `seed`: its first 7 asks (`ask(7)` asks them at once, the same)."""
    from bayesopt import Optimizer

    return Optimizer(dict(make_problem("hartmann6", seed).space), seed=seed).ask(DESIGN)


def _optuna(problem_name: str, seed: int, enqueued: list[dict[str, float]]) -> Steps:
    import optuna
    from optuna.distributions import BaseDistribution, FloatDistribution

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    problem = make_problem(problem_name, seed)
    distributions: dict[str, BaseDistribution] = {
        name: FloatDistribution(0.0, 1.0) for name in problem.space}
    sampler = optuna.samplers.GPSampler(seed=seed, n_startup_trials=DESIGN)
    study = optuna.create_study(sampler=sampler)
    for params in enqueued:
        study.enqueue_trial(params)
    steps: list[dict[str, Any]] = []
    for _ in range(BUDGET):
        trial = study.ask(distributions)
        value = problem.evaluate(trial.params)
        study.tell(trial, value)
        steps.append({"params": trial.params, "value": value,
                      "true_value": problem.true_value(trial.params)})
    return steps


def _botorch(problem_name: str, seed: int, design: list[dict[str, float]]) -> Steps:
    """The suite's BoTorch adapter on the problem for `seed`, its own design or `design`,
    driven as the suite drives it (`bench.adapters.drive`)."""
    from bench.adapters import BoTorchAdapter, drive

    problem = make_problem(problem_name, seed)
    adapter = BoTorchAdapter(dict(problem.space), seed, DESIGN)
    if design:
        adapter.design = list(design)
    return [{**step, "true_value": problem.true_value(step["params"])}
            for step in drive(adapter, problem, BUDGET)]


KINDS: dict[str, Callable[[str, int], Steps]] = {
    "sobol": lambda problem, seed: _bayesopt(problem, seed, []),
    "uniform": lambda problem, seed: _bayesopt(problem, seed, _uniform_points(seed)),
    "optuna-own": lambda problem, seed: _optuna(problem, seed, []),
    "optuna-sobol": lambda problem, seed: _optuna(problem, seed, _sobol_points(seed)),
    "botorch-own": lambda problem, seed: _botorch(problem, seed, []),
    "botorch-sobol": lambda problem, seed: _botorch(problem, seed, _sobol_points(seed)),
}


def final_regret(steps: Steps) -> float:
    return float(score_curve({"steps": steps}, make_problem("hartmann6", 0).optimum)[BUDGET - 1])


def records(out: Path, problem: str) -> Path:
    """Where a problem's records are: DIR itself for hartmann6 (the first records' place),
    DIR/PROBLEM for another."""
    return out if problem == "hartmann6" else out / problem


def run(kind: str, seeds: list[int], out: Path, problem: str = "hartmann6") -> dict[str, float]:
    """Run `kind` on `seeds` (one thread), adding to its KIND.json (seeds there are kept)."""
    folder = records(out, problem)
    path = folder / f"{kind}.json"
    finals: dict[str, float] = json.loads(path.read_text()) if path.exists() else {}
    folder.mkdir(parents=True, exist_ok=True)
    with one_thread():
        for seed in seeds:
            if str(seed) not in finals:
                finals[str(seed)] = final_regret(KINDS[kind](problem, seed))
                path.write_text(json.dumps(finals, indent=0, sort_keys=True))
    return finals


def collect(runs: Path, optimizers: list[str], out: Path, problem: str) -> dict[str, int]:
    """The final regret of every run record of the suite in RUNS for `problem` and each
    optimizer, written as kind "suite-NAME" beside the design kinds; {kind: seeds}."""
    folder = records(out, problem)
    folder.mkdir(parents=True, exist_ok=True)
    counts = {}
    for name in optimizers:
        finals = {}
        for path in sorted((runs / "runs" / problem / name).glob("seed*.json")):
            record = load_run(path, BUDGET)
            if record is not None:
                finals[str(record["seed"])] = final_regret(record["steps"])
        if not finals:
            raise ValueError(f"no run of {name!r} on {problem!r} with {BUDGET} steps under {runs}")
        (folder / f"{SUITE}{name}.json").write_text(json.dumps(finals, indent=0, sort_keys=True))
        counts[f"{SUITE}{name}"] = len(finals)
    return counts


def report(out: Path, problem: str = "hartmann6") -> str:
    folder = records(out, problem)
    finals = {kind: json.loads((folder / f"{kind}.json").read_text())
              for kind in KINDS if (folder / f"{kind}.json").exists()}
    finals |= {path.stem: json.loads(path.read_text())
               for path in sorted(folder.glob(f"{SUITE}*.json"))}
    lines = [f"{problem}:", "",
             "| kind | seeds | hits (regret < 0.05 at 50) | far off (> 1.0) | median regret |",
             "|---|---|---:|---:|---:|"]
    for kind, by_seed in finals.items():
        values = np.array(list(by_seed.values()))
        lines.append(f"| {kind} | {_span(by_seed)} | {int((values < TOLERANCE).sum())} of "
                     f"{values.size} | {int((values > FAR_OFF).sum())} | "
                     f"{np.median(values):.3g} |")
    # the count compared: the hits where there are hits to speak of, else the far-off runs
    label = "hits" if problem == "hartmann6" else "far off"

    def compared(regret: float) -> bool:
        return regret < TOLERANCE if label == "hits" else regret > FAR_OFF

    lines += ["", f"| kinds, common seeds | {label} | Fisher's exact p |", "|---|---|---:|"]
    for a, b in itertools.combinations(finals, 2):
        common = sorted(set(finals[a]) & set(finals[b]), key=int)
        if not common:
            continue
        counts = [sum(compared(finals[k][s]) for s in common) for k in (a, b)]
        p = fisher_exact([[counts[0], len(common) - counts[0]],
                          [counts[1], len(common) - counts[1]]])[1]
        lines.append(f"| {a} vs {b}, {len(common)} seeds | {counts[0]} vs {counts[1]} | "
                     f"{p:.2g} |")
    return "\n".join(lines)


def _span(by_seed: dict[str, float]) -> str:
    return seed_text(sorted(int(s) for s in by_seed))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.hartmann6_designs",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=("run", "report", "collect"))
    parser.add_argument("--kind", choices=sorted(KINDS))
    parser.add_argument("--seeds", type=seeds_argument, default="0-9",
                        help="N (seeds 0..N-1), a range low-high, or a list: as bench.quality")
    parser.add_argument("--problem", choices=PROBLEMS, default="hartmann6")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--runs", type=Path, help="collect: a bench.quality --out directory")
    parser.add_argument("--optimizers", help="collect: comma-separated suite optimizer names")
    args = parser.parse_args(argv)
    if args.mode == "collect":
        if args.runs is None or not args.optimizers:
            parser.error("collect needs --runs and --optimizers")
        try:
            collect(args.runs, args.optimizers.split(","), args.out, args.problem)
        except ValueError as error:
            parser.error(str(error))
    if args.mode == "run":
        if args.kind is None:
            parser.error("run needs --kind")
        run(args.kind, args.seeds, args.out, args.problem)
    print(report(args.out, args.problem))
    sys.stdout.flush()


if __name__ == "__main__":
    main()

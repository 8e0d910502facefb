"""Outcome constraints and cost: bayesopt against its peers (issue 16).

    python -m bench.constraints constraints [--seeds 10] [--jobs 2] [--problems a,b]
    python -m bench.constraints cost [--seeds 10] [--jobs 2] [--problems a,b]
    python -m bench.constraints report
    python -m bench.constraints batch [--q 4] [--seeds 10] [--jobs 2] [--runs DIR]

Constrained problems (minimize f subject to every c_i ≤ 0):

| problem | d | constraints | f* |
|---|---|---|---|
| gardner | 2 | Gardner et al. (2014), Sec. 5.1: f = cos 2x cos y + sin x, c = cos x cos y − sin x sin y − 0.5, [0, 6]² | −2 at (3π/2, 0) |
| gramacy | 2 | Gramacy et al. (2016): f = x1 + x2, c1 = 1.5 − x1 − 2x2 − 0.5 sin(2π(x1² − 2x2)), c2 = x1² + x2² − 1.5, [0, 1]² | 0.5998 at (0.1954, 0.4044) (0.599788 after polishing) |
| branin_disk | 2 | Branin s.t. (x1 − 2.5)² + (x2 − 7.5)² ≤ 50 (Gelbart, Snoek & Adams 2014, Sec. 5.1) | computed (grid, then SLSQP) |
| svc_size | 2 | 1 − 3-fold CV accuracy of an RBF SVC on breast cancer (C, γ log-scaled) s.t. at most 40 support vectors (mean over the folds' models) | none: the error itself |

Optimizers: bayesopt (constrained LogEI), bayesopt-ignore (bayesopt told the
value only, judged by the same feasibility), optuna-tpe and optuna-gp
(TPESampler / GPSampler with `constraints_func`), random. Same seeds, same
budget (30 evaluations, an initial design of 5 for every model-based one).
A run's score is its best *feasible* value minus f* (inf with no feasible
point); the table gives the median and quartiles over seeds and the
fraction of runs that found a feasible point.

Cost problems (cost varies ≥ 10× over the space):

| problem | objective | cost |
|---|---|---|
| branin_cost | Branin | exp(ln 50 · (x1 + 5) / 15): 1 to 50, known, told as the cost |
| hartmann3_cost | Hartmann-3 | exp(ln 50 · x2): 1 to 50, the optimum (x2 = 0.85) at 28 |
| rf_cost | 1 − 3-fold CV accuracy of a random forest on breast cancer | the fit's CPU time (`time.process_time`, one thread); n_estimators ∈ [5, 300] (log) drives it |

logei runs 30 evaluations; logei_per_cost as shipped (α = 1, no budget) and
logei_per_cost_cooled (cost-cooling over `cost_budget=` logei's median total
cost) run until they have spent that budget; the `_design` variants of both
start from CArBO's cost-effective initial design (`CostDesignOptions()`,
Lee et al. 2020) instead of the Sobol one. Reported: the total cost at which
the median best value over seeds first reaches logei's final median, as a
fraction of logei's median total cost. rf_cost's cost is CPU time, not wall
time, so that a busy machine does not inflate it.

Results are cached per run as JSON under bench/results/constraints_runs/.

Batches (`batch`): bayesopt on the constrained problems asking q points at a time
(`ask(q)`, the pending ones fantasized) until the same 30 evaluations, each batch told
before the next. Printed: the median [quartiles] of the best feasible regret, and the
median over runs of the median, over a run's batches after the first model batch,
of the smallest distance between two points of a batch (unit cube): how much a batch
clusters. Runs are cached under `--runs` (default bench/results/constraints_runs/batch<q>),
so a tree before a change and one after can be compared on the same seeds.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import functools
import json
import math
import multiprocessing
import sys
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bayesopt import CostDesignOptions, Optimizer, OptimizerOptions, Real
from bayesopt.argtypes import positive_int
from bayesopt.space import Dimension, Integer, Space
from bench.quality import worker_environment

OUT = Path(__file__).parent / "results"
RUNS = OUT / "constraints_runs"
BUDGET = 30
N_INITIAL = 5
SVC_MAX_SUPPORT = 40.0
NEAR = 5e-3  # a cost run is in the global basin once its best value is within this of f*
# (below Hartmann-3's local minimum, 0.0079 above f*)


# ------------------------------------------------------------------ problems
@dataclass(frozen=True)
class ConstrainedProblem:
    name: str
    space: dict[str, Dimension]
    evaluate: Callable[[Mapping[str, Any]], tuple[float, list[float]]]
    optimum: Callable[[], float | None]


def _gardner(p: Mapping[str, Any]) -> tuple[float, list[float]]:
    x, y = p["x"], p["y"]
    return (math.cos(2 * x) * math.cos(y) + math.sin(x),
            [math.cos(x) * math.cos(y) - math.sin(x) * math.sin(y) - 0.5])


def _gramacy(p: Mapping[str, Any]) -> tuple[float, list[float]]:
    x1, x2 = p["x1"], p["x2"]
    return (x1 + x2, [1.5 - x1 - 2 * x2 - 0.5 * math.sin(2 * math.pi * (x1**2 - 2 * x2)),
                      x1**2 + x2**2 - 1.5])


def _branin(x1: float, x2: float) -> float:
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


def _branin_disk(p: Mapping[str, Any]) -> tuple[float, list[float]]:
    x1, x2 = p["x1"], p["x2"]
    return _branin(x1, x2), [(x1 - 2.5) ** 2 + (x2 - 7.5) ** 2 - 50.0]


@functools.cache
def _branin_disk_optimum() -> float:
    """Min of Branin on the disk: the best point of a 1001² grid, polished by SLSQP."""
    from scipy.optimize import minimize

    g1, g2 = np.meshgrid(np.linspace(-5, 10, 1001), np.linspace(0, 15, 1001))
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    f = (g2 - b * g1**2 + c * g1 - 6) ** 2 + 10 * (1 - t) * np.cos(g1) + 10
    f[(g1 - 2.5) ** 2 + (g2 - 7.5) ** 2 > 50] = np.inf
    i = np.unravel_index(np.argmin(f), f.shape)
    result = minimize(lambda x: _branin(*x), [g1[i], g2[i]], method="SLSQP",
                      bounds=[(-5, 10), (0, 15)],
                      constraints=[{"type": "ineq",
                                    "fun": lambda x: 50 - (x[0] - 2.5) ** 2 - (x[1] - 7.5) ** 2}])
    return float(min(result.fun, f[i]))


def _svc_size(p: Mapping[str, Any]) -> tuple[float, list[float]]:
    from sklearn import datasets
    from sklearn.model_selection import StratifiedKFold, cross_validate
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    X, y = datasets.load_breast_cancer(return_X_y=True)
    folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
    model = make_pipeline(StandardScaler(), SVC(C=p["C"], gamma=p["gamma"]))
    result = cross_validate(model, X, y, cv=folds, return_estimator=True)
    n_support = float(np.mean([e[-1].n_support_.sum() for e in result["estimator"]]))
    return 1.0 - float(np.mean(result["test_score"])), [n_support / SVC_MAX_SUPPORT - 1.0]


PROBLEMS = {p.name: p for p in [
    ConstrainedProblem("gardner", {"x": Real(0, 6), "y": Real(0, 6)}, _gardner, lambda: -2.0),
    # 0.5998 in the paper; SLSQP from its (0.1954, 0.4044) gives 0.599788052 at (0.19512, 0.40467)
    ConstrainedProblem("gramacy", {"x1": Real(0, 1), "x2": Real(0, 1)}, _gramacy,
                       lambda: 0.599788052005937),
    ConstrainedProblem("branin_disk", {"x1": Real(-5, 10), "x2": Real(0, 15)}, _branin_disk,
                       _branin_disk_optimum),
    ConstrainedProblem("svc_size", {"C": Real(1e-3, 1e3, log=True),
                                    "gamma": Real(1e-5, 1e1, log=True)}, _svc_size, lambda: None),
]}
OPTIMIZERS = ("bayesopt", "bayesopt-ignore", "optuna-gp", "optuna-tpe", "random")


# ------------------------------------------------------------------ runners
Evaluate = Callable[[Mapping[str, Any]], tuple[float, list[float]]]
Record = list[tuple[float, list[float]]]
CostRecord = list[tuple[float, float]]  # (value, cost) of each evaluation


def _run_bayesopt(space: dict[str, Dimension], evaluate: Evaluate, seed: int,
                  ignore: bool, options: OptimizerOptions | None = None) -> Record:
    """bayesopt's run (`options`: a variant's, bench.svc_size; None: the defaults)."""
    opt = Optimizer(space, seed=seed, n_initial=N_INITIAL, options=options)
    record: Record = []
    for _ in range(BUDGET):
        params = opt.ask()
        value, constraints = evaluate(params)
        opt.tell(params, value, constraints=None if ignore else constraints)
        record.append((value, constraints))
    return record


def run_batch(problem: str, q: int, seed: int) -> dict[str, Any]:
    """bayesopt on `problem` asking `q` points at a time up to `BUDGET` evaluations: the
    record, and for each batch the smallest distance between two of its points (unit
    cube; None for a batch of one)."""
    p = PROBLEMS[problem]
    start = time.perf_counter()
    opt = Optimizer(p.space, seed=seed, n_initial=N_INITIAL)
    record: Record = []
    spreads: list[float | None] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        while len(record) < BUDGET:
            batch = opt.ask(min(q, BUDGET - len(record)))
            U = opt.space.encode(batch)
            distances = np.sqrt(np.sum((U[:, None] - U[None]) ** 2, axis=-1))
            pairs = distances[np.triu_indices(len(batch), 1)]
            spreads.append(float(pairs.min()) if pairs.size else None)
            for params in batch:
                value, constraints = p.evaluate(params)
                opt.tell(params, value, constraints=constraints)
                record.append((value, constraints))
    return {"problem": problem, "optimizer": f"bayesopt-q{q}", "seed": seed,
            "record": record, "spreads": spreads, "seconds": time.perf_counter() - start}


def run_batch_suite(problems: list[str], q: int, seeds: list[int], jobs: int,
                    runs: Path) -> str:
    """Run (or load from `runs`) every batch run, and the report's table."""
    def path(problem: str, seed: int) -> Path:
        return runs / problem / f"seed{seed:03d}.json"

    tasks = [(problem, seed) for problem in problems for seed in seeds
             if not path(problem, seed).exists()]
    context = multiprocessing.get_context("spawn")
    with worker_environment(), concurrent.futures.ProcessPoolExecutor(
            jobs, mp_context=context) as pool:
        futures = [pool.submit(run_batch, problem, q, seed) for problem, seed in tasks]
        for future in concurrent.futures.as_completed(futures):
            result = future.result()
            target = path(result["problem"], result["seed"])
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(result))
            print("batch", result["problem"], result["seed"], flush=True)
    lines = ["| problem | best feasible regret | feasible | batch spread |", "|---|---|---|---|"]
    first_model_batch = -(-N_INITIAL // q)  # batches before it hold design points
    for problem in problems:
        optimum = PROBLEMS[problem].optimum() or 0.0
        loaded = [json.loads(path(problem, s).read_text()) for s in seeds]
        scores = [_best_feasible(r["record"]) - optimum for r in loaded]
        found = sum(math.isfinite(s) for s in scores) / len(scores)
        spread = [float(np.median([d for d in r["spreads"][first_model_batch:] if d is not None]))
                  for r in loaded]
        lines.append(f"| {problem} | {_quartiles(scores)} | {found:.0%} | "
                     f"{np.median(spread):.3g} |")
    return "\n".join(lines) + "\n"


def _run_random(space: dict[str, Dimension], evaluate: Evaluate, seed: int) -> Record:
    s = Space(space)
    rng = np.random.default_rng(seed)
    points = s.decode(s.from_unit(rng.random((BUDGET, s.n_dims))))
    return [evaluate(p) for p in points]


def _run_optuna(space: dict[str, Dimension], evaluate: Evaluate, seed: int, kind: str) -> Record:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)

    def constraints_func(trial: Any) -> Sequence[float]:
        return list(trial.user_attrs["constraints"])

    sampler: optuna.samplers.BaseSampler
    if kind == "bayesopt":  # bayesopt's Optuna sampler (bench.optuna_constraints)
        from bayesopt.integrations.optuna import BayesoptSampler

        sampler = BayesoptSampler(seed, n_initial=N_INITIAL, constraints_func=constraints_func)
    elif kind == "gp":
        sampler = optuna.samplers.GPSampler(seed=seed, n_startup_trials=N_INITIAL,
                                            constraints_func=constraints_func)
    else:
        sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=N_INITIAL,
                                             constraints_func=constraints_func)
    study = optuna.create_study(sampler=sampler)
    distributions: dict[str, optuna.distributions.BaseDistribution] = {
        name: optuna.distributions.FloatDistribution(
            float(d.low), float(d.high), log=d.log)  # type: ignore[attr-defined]  # all Real
        for name, d in space.items()}
    record: Record = []
    for _ in range(BUDGET):
        trial = study.ask(distributions)
        value, constraints = evaluate(trial.params)
        trial.set_user_attr("constraints", constraints)
        study.tell(trial, value)
        record.append((value, constraints))
    return record


def run_constrained(problem: str, optimizer: str, seed: int) -> dict[str, Any]:
    p = PROBLEMS[problem]
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if optimizer.startswith("optuna-"):
            record = _run_optuna(p.space, p.evaluate, seed, optimizer.split("-")[1])
        elif optimizer.startswith("bayesopt"):
            record = _run_bayesopt(p.space, p.evaluate, seed, ignore=optimizer.endswith("ignore"))
        elif optimizer == "random":
            record = _run_random(p.space, p.evaluate, seed)
        else:
            raise ValueError(f"unknown optimizer {optimizer!r}")
    return {"problem": problem, "optimizer": optimizer, "seed": seed, "record": record,
            "seconds": time.perf_counter() - start}


# ------------------------------------------------------------------ cost problems
@dataclass(frozen=True)
class CostProblem:
    name: str
    space: dict[str, Dimension]
    evaluate: Callable[[Mapping[str, Any]], tuple[float, float]]  # (value, cost)
    optimum: float | None


def _branin_cost(p: Mapping[str, Any]) -> tuple[float, float]:
    return _branin(p["x1"], p["x2"]), math.exp(math.log(50.0) * (p["x1"] + 5.0) / 15.0)


@functools.cache
def _hartmann3() -> Any:
    from bayesopt.test_functions import Hartmann3

    return Hartmann3()


def _hartmann3_cost(p: Mapping[str, Any]) -> tuple[float, float]:
    """Hartmann-3, its optimum (x2 = 0.85) where evaluations cost ~28× the cheapest."""
    return float(_hartmann3()(p)), math.exp(math.log(50.0) * p["x2"])


def _rf_cost(p: Mapping[str, Any]) -> tuple[float, float]:
    from sklearn import datasets
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    X, y = datasets.load_breast_cancer(return_X_y=True)
    folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
    model = RandomForestClassifier(n_estimators=p["n_estimators"], max_depth=p["max_depth"],
                                   max_features=p["max_features"], random_state=0, n_jobs=1)
    start = time.process_time()
    score = float(np.mean(cross_val_score(model, X, y, cv=folds)))
    return 1.0 - score, time.process_time() - start


COST_PROBLEMS = {p.name: p for p in [
    CostProblem("branin_cost", {"x1": Real(-5, 10), "x2": Real(0, 15)}, _branin_cost,
                0.397887357729738),
    CostProblem("hartmann3_cost", {f"x{i}": Real(0, 1) for i in range(3)}, _hartmann3_cost,
                -3.86278214782076),
    CostProblem("rf_cost", {"n_estimators": Integer(5, 300, log=True),
                            "max_depth": Integer(1, 12), "max_features": Real(0.05, 1.0)},
                _rf_cost, None),
]}
COST_METHODS = ("logei", "logei_per_cost", "logei_per_cost_cooled", "logei_per_cost_design",
                "logei_per_cost_cooled_design")


def run_cost(problem: str, method: str, seed: int, max_cost: float | None) -> dict[str, Any]:
    p = COST_PROBLEMS[problem]
    kwargs: dict[str, Any] = {} if method == "logei" else {"acquisition": "logei_per_cost"}
    if "_cooled" in method:
        kwargs["cost_budget"] = max_cost
    if method.endswith("_design"):  # CArBO's cost-effective initial design
        kwargs["options"] = OptimizerOptions(cost_design=CostDesignOptions())
    opt = Optimizer(p.space, seed=seed, n_initial=N_INITIAL, **kwargs)
    record, spent = [], 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(BUDGET if method == "logei" else 10 * BUDGET):
            params = opt.ask()
            value, cost = p.evaluate(params)
            opt.tell(params, value, cost=cost)
            record.append((value, cost))
            spent += cost
            if method != "logei" and max_cost is not None and spent >= max_cost:
                break
    return {"problem": problem, "optimizer": method, "seed": seed, "record": record}


# ------------------------------------------------------------------ driver
def _path(kind: str, problem: str, optimizer: str, seed: int) -> Path:
    return RUNS / kind / problem / optimizer / f"seed{seed:03d}.json"


def _save(kind: str, result: dict[str, Any]) -> None:
    path = _path(kind, result["problem"], result["optimizer"], result["seed"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result))


def _load(kind: str, problem: str, optimizer: str, seed: int) -> dict[str, Any] | None:
    path = _path(kind, problem, optimizer, seed)
    return json.loads(path.read_text()) if path.exists() else None


def _execute(jobs: int, tasks: list[tuple[Callable[..., dict[str, Any]], tuple[Any, ...]]],
             kind: str) -> None:
    context = multiprocessing.get_context("spawn")  # fresh interpreters read the thread variables
    with worker_environment(), concurrent.futures.ProcessPoolExecutor(
            jobs, mp_context=context) as pool:
        futures = [pool.submit(function, *args) for function, args in tasks]
        for future in concurrent.futures.as_completed(futures):
            result = future.result()
            _save(kind, result)
            print(kind, result["problem"], result["optimizer"], result["seed"], flush=True)


def run_constraints_suite(problems: list[str], seeds: list[int], jobs: int) -> None:
    tasks: list[tuple[Callable[..., dict[str, Any]], tuple[Any, ...]]] = [
        (run_constrained, (problem, optimizer, seed))
        for problem in problems for optimizer in OPTIMIZERS for seed in seeds
        if _load("constraints", problem, optimizer, seed) is None]
    _execute(jobs, tasks, "constraints")


def run_cost_suite(problems: list[str], seeds: list[int], jobs: int) -> None:
    for problem in problems:
        _execute(jobs, [(run_cost, (problem, "logei", seed, None)) for seed in seeds
                        if _load("cost", problem, "logei", seed) is None], "cost")
        totals = [sum(c for _, c in _load("cost", problem, "logei", s)["record"])  # type: ignore[index]
                  for s in seeds]
        budget = float(np.median(totals))
        _execute(jobs, [(run_cost, (problem, method, seed, budget))
                        for method in COST_METHODS[1:] for seed in seeds
                        if _load("cost", problem, method, seed) is None], "cost")


# ------------------------------------------------------------------ report
def _best_feasible(record: Record) -> float:
    feasible = [v for v, c in record if all(ci <= 0 for ci in c)]
    return min(feasible) if feasible else math.inf


def _quartiles(values: list[float]) -> str:
    q1, q2, q3 = np.percentile(values, [25, 50, 75])
    return f"{q2:.4g} [{q1:.3g}, {q3:.3g}]"


def constraints_report(seeds: list[int]) -> str:
    intro = (f"Median [quartiles] over {len(seeds)} seeds of best feasible value − f* "
             "(svc_size: the CV error itself; inf: no feasible point); the fraction of runs "
             "with a feasible point in parentheses. Command: `python -m bench.constraints "
             f"constraints --seeds {len(seeds)}` then `python -m bench.constraints report`.")
    lines = [f"# Outcome constraints: best feasible regret after {BUDGET} evaluations",
             "", intro, "",
             "| problem | " + " | ".join(OPTIMIZERS) + " |",
             "|---|" + "---|" * len(OPTIMIZERS)]
    for name, problem in PROBLEMS.items():
        optimum = problem.optimum() or 0.0
        cells = []
        for optimizer in OPTIMIZERS:
            runs = [_load("constraints", name, optimizer, s) for s in seeds]
            scores = [_best_feasible(r["record"]) - optimum for r in runs if r is not None]
            if not scores:
                cells.append("—")
                continue
            found = sum(math.isfinite(s) for s in scores) / len(scores)
            cells.append(f"{_quartiles(scores)} ({found:.0%})")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def load_cost_run(problem: str, method: str, seed: int) -> CostRecord:
    """The (value, cost) record of a cached cost run; FileNotFoundError names the command."""
    result = _load("cost", problem, method, seed)
    if result is None:
        raise FileNotFoundError(f"no cached {method} run of {problem}, seed {seed}: run "
                                "`python -m bench.constraints cost` first")
    return [(float(v), float(c)) for v, c in result["record"]]


def median_best_at(runs: list[CostRecord], level: float) -> float:
    """Median over runs of the best value among the evaluations paid for within `level`."""
    bests = []
    for record in runs:
        spent, best = 0.0, math.inf
        for value, cost in record:
            spent += cost
            if spent > level:
                break
            best = min(best, value)
        bests.append(best)
    return float(np.median(bests))


def cost_report(seeds: list[int]) -> str:
    intro = (f"{len(seeds)} seeds. Target: logei's median best value after {BUDGET} "
             "evaluations. Cost ratio: the smallest total cost at which a method's median best "
             "value reaches the target, over logei's median total cost (≤ 0.6 is the issue's "
             "target). logei_per_cost: as shipped, α = 1; logei_per_cost_cooled: cost-cooling "
             "over the budget (`cost_budget=`, Lee et al. 2020); `_design`: the same from CArBO's "
             "cost-effective initial design (`CostDesignOptions()`). Command: `python -m bench.constraints cost --seeds "
             f"{len(seeds)}` then `python -m bench.constraints report`.")
    header = ("| problem | logei median best | logei median cost | method | median best at "
              "logei's cost | cost ratio to reach logei's median |")
    lines = [f"# Cost: total cost to reach plain LogEI's median after {BUDGET} evaluations", "",
             intro, "", header,
             "|---|---|---|---|---|---|"]
    for name in COST_PROBLEMS:
        base = [r["record"] for r in (_load("cost", name, "logei", s) for s in seeds) if r]
        if not base:
            continue
        target = float(np.median([min(v for v, _ in rec) for rec in base]))
        total = float(np.median([sum(c for _, c in rec) for rec in base]))
        for method in COST_METHODS[1:]:
            runs = [r["record"] for r in (_load("cost", name, method, s) for s in seeds) if r]
            if not runs:
                continue
            levels = sorted({sum(c for _, c in rec[: i + 1]) for rec in runs
                             for i in range(len(rec))})
            reach = next((lv for lv in levels if median_best_at(runs, lv) <= target), math.inf)
            lines.append(f"| {name} | {target:.5g} | {total:.4g} | {method} | "
                         f"{median_best_at(runs, total):.5g} | {reach / total:.2f} |")
    return "\n".join(lines + ["", *cost_phases(seeds)]) + "\n"


def _phases(record: CostRecord, optimum: float, target: float) -> tuple[float, float | None, float | None]:
    """The cost of a run's initial design, the cost spent when its best value first came
    within NEAR of the optimum, and when it first reached the target (None: never)."""
    spent, best, near, reach = 0.0, math.inf, None, None
    for value, cost in record:
        spent += cost
        best = min(best, value)
        near = spent if near is None and best - optimum <= NEAR else near
        reach = spent if reach is None and best <= target else reach
    return sum(c for _, c in record[:N_INITIAL]), near, reach


def cost_phases(seeds: list[int]) -> list[str]:
    """Where the budget goes on the problems with a known optimum: the medians over seeds
    of the design's cost, the cost to come within NEAR of f*, and the cost from there to
    logei's median (the final refinement), each over logei's median total cost."""
    intro = ("Where the budget goes (fractions of logei's median total cost; medians over the "
             "seeds that get there, their number in parentheses): the initial design, the "
             f"cost until the best value is within {NEAR:g} of f*, and the cost from there "
             "until it reaches logei's median (the final refinement).")
    lines = [intro, "",
             f"| problem | method | design | within {NEAR:g} of f* | refinement to the target |",
             "|---|---|---|---|---|"]
    for name, problem in COST_PROBLEMS.items():
        base = [r["record"] for r in (_load("cost", name, "logei", s) for s in seeds) if r]
        if problem.optimum is None or not base:
            continue
        target = float(np.median([min(v for v, _ in rec) for rec in base]))
        total = float(np.median([sum(c for _, c in rec) for rec in base]))
        for method in COST_METHODS:
            runs = [r["record"] for r in (_load("cost", name, method, s) for s in seeds) if r]
            phases = [_phases(rec, problem.optimum, target) for rec in runs]
            near = [n for _, n, _ in phases if n is not None]
            refine = [r - n for _, n, r in phases if n is not None and r is not None]
            cells = [f"{np.median([d for d, _, _ in phases]) / total:.2f}",
                     *(f"{np.median(v) / total:.2f} ({len(v)})" if v else "— (0)"
                       for v in (near, refine))]
            lines.append(f"| {name} | {method} | " + " | ".join(cells) + " |")
    return lines


def _seeds(text: str) -> list[int]:
    return list(range(int(text)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["constraints", "cost", "report", "batch"])
    parser.add_argument("--seeds", default="10")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--problems", default=None)
    parser.add_argument("--q", type=positive_int, default=4, help="batch: points per ask")
    parser.add_argument("--runs", type=Path, default=None,
                        help="batch: the directory of its cached runs")
    args = parser.parse_args(argv)
    seeds = _seeds(args.seeds)
    if args.what == "batch":
        runs = args.runs if args.runs is not None else RUNS / f"batch{args.q}"
        problems = args.problems.split(",") if args.problems else list(PROBLEMS)
        sys.stdout.write(run_batch_suite(problems, args.q, seeds, args.jobs, runs))
        return 0
    if args.what == "constraints":
        run_constraints_suite(args.problems.split(",") if args.problems else list(PROBLEMS),
                              seeds, args.jobs)
    elif args.what == "cost":
        run_cost_suite(args.problems.split(",") if args.problems else list(COST_PROBLEMS),
                       seeds, args.jobs)
    (OUT / "constraints.md").write_text(constraints_report(seeds))
    (OUT / "cost.md").write_text(cost_report(seeds))
    sys.stdout.write(constraints_report(seeds) + "\n" + cost_report(seeds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

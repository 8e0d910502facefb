"""The search for a first feasible point under outcome constraints (issue 16).

    python -m bench.feasibility_search run --label NAME [--seeds 20] [--jobs 2] [--problems a,b]
    python -m bench.feasibility_search report --labels A,B,... [--seeds 20]
    python -m bench.feasibility_search example --label NAME [--seeds 20] [--fixed]

`example` runs examples/constrained_study.py itself as shipped — two worker processes
sharing a SQLite study, each `minimize` with N_CALLS evaluations, the pair of seeds
(2s, 2s + 1), or with `--fixed` the example's own (0, 1) every time (the runs then differ
by the workers' timing only) — in a fresh directory per run, and scores the study's
history in the order the evaluations were told (cached under
feasibility_search_runs/<label>/example/ or example_seeds01/).

Each run is bayesopt's sequential ask/tell loop from its Sobol design (the default
n_initial = d + 1 unless a problem says otherwise), stopped at the first evaluation
whose constraint values are all ≤ 0 or after `BUDGET` evaluations. Its score is
the number of evaluations until that first feasible point (inf: none within the
budget). The rule compared is whatever the `bayesopt` on PYTHONPATH does: run this
module from a tree of each variant with its own `--label`; runs are cached as JSON
under bench/results/feasibility_search_runs/<label>/<problem>/seedNNN.json.

Problems (c ≤ 0 feasible; the feasible share p of the box known exactly or by 10⁶
uniform samples; random search's first feasible point is then geometric, P(N > n) =
(1 − p)ⁿ):

| problem | d | constraints |
|---|---|---|
| svc_example | 3 | examples/constrained_study.py's SVC (C, gamma log; rbf/poly), ≤ 150 support vectors; defaults |
| svc_example_opts | 3 | the same with the example's options (MCMC, input warping, noiseless, logei_per_cost, wall time told as cost) |
| svc_example_opts_2 | 3 | the same, two evaluations in flight as the example's two workers (each ask with the other's point pending; the older told first) |
| ball2, ball4, ball6 | 2, 4, 6 | ‖x − x₀‖² − r² ≤ 0, a ball of 2 % of the box at a seed-dependent interior x₀ |
| lens3 | 3 | two balls of 8 % each, centres 1.5 r apart: their intersection ~0.7 % of the box (seed-dependent) |
| decoy2 | 2 | c = 1 − 0.7·exp(−‖x − a‖²/0.08) − 1.3·exp(−‖x − b‖²/0.02): a broad infeasible basin (min c ≈ 0.3) at a, a narrow feasible one (~1.7 %) at b |
| branin_small | 2 | Branin's box s.t. (x1 − 2.5)² + (x2 − 7.5)² ≤ 4 (bench.constraints' branin_disk, radius √50 → 2) |
| svc_size_tight | 2 | bench.constraints' svc_size with ≤ 33 support vectors instead of 40 (the least over a 13² log grid is 31.3; ~2 % of the grid is feasible) |
| gramacy_n2 | 2 | bench.constraints' gramacy with n_initial = 2 |
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import math
import multiprocessing
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bayesopt import Categorical, ModelOptions, Optimizer, OptimizerOptions, Real
from bayesopt.choices import AcquisitionName
from bayesopt.space import Dimension

OUT = Path(__file__).parent / "results"
RUNS = OUT / "feasibility_search_runs"
BUDGET = 30
Evaluate = Callable[[Mapping[str, Any]], tuple[float, list[float]]]


@dataclass(frozen=True)
class SearchProblem:
    name: str
    space: dict[str, Dimension]
    make: Callable[[int], Evaluate]  # seed ↦ the evaluation (its constraint may move with it)
    n_initial: int | None = None
    options: OptimizerOptions | None = None
    acquisition: AcquisitionName = "logei"
    told_cost: bool = False  # tell each evaluation's wall time as its cost
    in_flight: int = 1  # evaluations asked and not yet told (two workers: 2)


def _cube(d: int) -> dict[str, Dimension]:
    return {f"x{i}": Real(0.0, 1.0) for i in range(d)}


def _vector(p: Mapping[str, Any], d: int) -> np.ndarray:
    return np.array([p[f"x{i}"] for i in range(d)], dtype=float)


def ball_radius(d: int, share: float) -> float:
    """The radius of a d-ball of volume `share`: V = π^{d/2} r^d / Γ(d/2 + 1)."""
    return float((share * math.gamma(d / 2 + 1) / math.pi ** (d / 2)) ** (1 / d))


def _ball(d: int, share: float) -> Callable[[int], Evaluate]:
    r = ball_radius(d, share)

    def make(seed: int) -> Evaluate:
        centre = np.random.default_rng([seed, d]).uniform(r, 1 - r, d)

        def evaluate(p: Mapping[str, Any]) -> tuple[float, list[float]]:
            x = _vector(p, d)
            return float(np.sum(x)), [float(np.sum((x - centre) ** 2) - r * r)]
        return evaluate
    return make


def _lens_centres(seed: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Two ball centres 1.5 r apart inside the cube, r of a ball of 8 % of the box (d = 3)."""
    r = ball_radius(3, 0.08)
    rng = np.random.default_rng([seed, 33])
    middle = rng.uniform(0.35, 0.65, 3)
    u = rng.normal(size=3)
    u *= 0.75 * r / np.linalg.norm(u)
    return middle - u, middle + u, r


def _lens(seed: int) -> Evaluate:
    a, b, r = _lens_centres(seed)

    def evaluate(p: Mapping[str, Any]) -> tuple[float, list[float]]:
        x = _vector(p, 3)
        return float(np.sum(x)), [float(np.sum((x - a) ** 2) - r * r),
                                  float(np.sum((x - b) ** 2) - r * r)]
    return evaluate


def _decoy_centres(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng([seed, 44])
    while True:
        a, b = rng.uniform(0.2, 0.8, 2), rng.uniform(0.15, 0.85, 2)
        if np.linalg.norm(a - b) > 0.45:
            return a, b


def _decoy_c(x: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """x: (..., 2) → c; broad infeasible basin at a, narrow feasible one at b."""
    c: np.ndarray = (1.0 - 0.7 * np.exp(-np.sum((x - a) ** 2, axis=-1) / 0.08)
                     - 1.3 * np.exp(-np.sum((x - b) ** 2, axis=-1) / 0.02))
    return c


def _decoy(seed: int) -> Evaluate:
    a, b = _decoy_centres(seed)

    def evaluate(p: Mapping[str, Any]) -> tuple[float, list[float]]:
        x = _vector(p, 2)
        return float(np.sum(x)), [float(_decoy_c(x, a, b))]
    return evaluate


_SVC_DATA: dict[str, Any] = {}


def _svc_example(seed: int) -> Evaluate:
    """examples/constrained_study.py's objective: c = n_support / 150 − 1."""
    def evaluate(p: Mapping[str, Any]) -> tuple[float, list[float]]:
        from sklearn.datasets import load_breast_cancer
        from sklearn.model_selection import cross_val_score
        from sklearn.preprocessing import StandardScaler
        from sklearn.svm import SVC

        if not _SVC_DATA:
            X, y = load_breast_cancer(return_X_y=True)
            _SVC_DATA["Xy"] = (StandardScaler().fit_transform(X), y)
        X, y = _SVC_DATA["Xy"]
        model = SVC(C=p["C"], gamma=p["gamma"], kernel=p["kernel"], degree=2)
        error = 1.0 - float(cross_val_score(model, X, y, cv=3).mean())
        return error, [int(model.fit(X, y).n_support_.sum()) / 150.0 - 1.0]
    return evaluate


def _from_constraints(name: str, **change: Any) -> Callable[[int], Evaluate]:
    def make(seed: int) -> Evaluate:
        import bench.constraints as bc

        if name == "branin_small":
            def evaluate(p: Mapping[str, Any]) -> tuple[float, list[float]]:
                x1, x2 = p["x1"], p["x2"]
                return bc._branin(x1, x2), [(x1 - 2.5) ** 2 + (x2 - 7.5) ** 2 - 4.0]
            return evaluate
        if name == "svc_size_tight":
            def tight(p: Mapping[str, Any]) -> tuple[float, list[float]]:
                value, (c,) = bc._svc_size(p)  # n / 40 − 1
                return value, [(c + 1.0) * bc.SVC_MAX_SUPPORT / 33.0 - 1.0]
            return tight
        return bc.PROBLEMS[name].evaluate
    return make


_SVC_SPACE: dict[str, Dimension] = {
    "C": Real(1e-2, 1e3, log=True), "gamma": Real(1e-4, 1.0, log=True),
    "kernel": Categorical(["rbf", "poly"])}
_EXAMPLE_OPTIONS = OptimizerOptions(model=ModelOptions(
    hyperparameters="mcmc", input_warping=True, noise_variance=1e-6, output_transform="none"))

PROBLEMS = {p.name: p for p in [
    SearchProblem("svc_example", _SVC_SPACE, _svc_example),
    SearchProblem("svc_example_opts", _SVC_SPACE, _svc_example, options=_EXAMPLE_OPTIONS,
                  acquisition="logei_per_cost", told_cost=True),
    SearchProblem("svc_example_opts_2", _SVC_SPACE, _svc_example, options=_EXAMPLE_OPTIONS,
                  acquisition="logei_per_cost", told_cost=True, in_flight=2),
    SearchProblem("ball2", _cube(2), _ball(2, 0.02)),
    SearchProblem("ball4", _cube(4), _ball(4, 0.02)),
    SearchProblem("ball6", _cube(6), _ball(6, 0.02)),
    SearchProblem("lens3", _cube(3), _lens),
    SearchProblem("decoy2", _cube(2), _decoy),
    SearchProblem("branin_small", {"x1": Real(-5, 10), "x2": Real(0, 15)},
                  _from_constraints("branin_small")),
    SearchProblem("svc_size_tight", {"C": Real(1e-3, 1e3, log=True),
                                     "gamma": Real(1e-5, 1e1, log=True)},
                  _from_constraints("svc_size_tight")),
    SearchProblem("gramacy_n2", {"x1": Real(0, 1), "x2": Real(0, 1)},
                  _from_constraints("gramacy"), n_initial=2),
]}


def run(problem: str, seed: int) -> dict[str, Any]:
    """One run: evaluations until the first feasible one (None: none in BUDGET)."""
    p = PROBLEMS[problem]
    evaluate = p.make(seed)
    opt = Optimizer(p.space, seed=seed, n_initial=p.n_initial, options=p.options,
                    acquisition=p.acquisition)
    start = time.perf_counter()
    first, asked = None, []
    flying: list[dict[str, Any]] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for n in range(1, BUDGET + 1):
            while len(flying) < min(p.in_flight, BUDGET - n + 1):  # each worker asks alone
                flying.append(opt.ask())
            params = flying.pop(0)  # the oldest lands first
            began = time.perf_counter()
            value, constraints = evaluate(params)
            cost = time.perf_counter() - began if p.told_cost else None
            opt.tell(params, value, constraints=constraints, cost=cost)
            asked.append([float(v) for v in opt.space.encode([params])[0]])
            if all(c <= 0 for c in constraints):
                first = n
                break
    return {"problem": problem, "seed": seed, "first": first, "asked": asked,
            "seconds": time.perf_counter() - start}


def _path(label: str, problem: str, seed: int) -> Path:
    return RUNS / label / problem / f"seed{seed:03d}.json"


def _one(label: str, problem: str, seed: int) -> tuple[str, dict[str, Any]]:
    import os

    os.environ.setdefault("OMP_NUM_THREADS", "1")
    return label, run(problem, seed)


def run_suite(label: str, problems: list[str], seeds: list[int], jobs: int) -> None:
    tasks = [(problem, s) for problem in problems for s in seeds
             if not _path(label, problem, s).exists()]
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(jobs, mp_context=context) as pool:
        futures = [pool.submit(_one, label, problem, s) for problem, s in tasks]
        for future in concurrent.futures.as_completed(futures):
            _, result = future.result()
            target = _path(label, result["problem"], result["seed"])
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(result))
            print(label, result["problem"], result["seed"], result["first"],
                  f"{result['seconds']:.1f}s", flush=True)


def feasible_share(problem: str, seeds: list[int], n: int = 1_000_000) -> float | None:
    """The feasible share of the box averaged over seeds (exact for the balls, by n uniform
    samples for lens3 and decoy2); None where only runs tell (the others)."""
    if problem.startswith("ball"):
        return 0.02
    rng = np.random.default_rng(0)
    shares = []
    for s in seeds[:5]:
        if problem == "lens3":
            a, b, r = _lens_centres(s)
            X = rng.random((n, 3))
            inside = (np.sum((X - a) ** 2, 1) <= r * r) & (np.sum((X - b) ** 2, 1) <= r * r)
        elif problem == "decoy2":
            a, b = _decoy_centres(s)
            inside = _decoy_c(rng.random((n, 2)), a, b) <= 0
        else:
            return None
        shares.append(float(np.mean(inside)))
    return float(np.mean(shares))


def geometric_quantile(q: float, share: float) -> int:
    """The q-quantile of random search's evaluations until a first feasible point: the
    least n with 1 − (1 − share)ⁿ ≥ q."""
    return math.ceil(math.log1p(-q) / math.log1p(-share))


def _summary(firsts: list[float]) -> str:
    x = np.array(firsts, dtype=float)
    q1, med, q3 = np.percentile(x, [25, 50, 75], method="lower")  # inf-safe
    return f"{med:g} [{q1:g}, {q3:g}] {np.mean(np.isinf(x)):.0%}"


def report(labels: list[str], seeds: list[int]) -> str:
    head = "| problem | random (geometric) | " + " | ".join(labels) + " |"
    lines = [head, "|---" * (len(labels) + 2) + "|"]
    for problem in [*PROBLEMS, "example", "example_seeds01"]:
        cells = []
        for label in labels:
            paths = [_path(label, problem, s) for s in seeds]
            if not all(path.exists() for path in paths):
                cells.append("—")
                continue
            runs = [json.loads(path.read_text()) for path in paths]
            cells.append(_summary([math.inf if r["first"] is None else r["first"] for r in runs]))
        share = None if problem.startswith("example") else feasible_share(problem, seeds)
        if share is None:
            geometric = "—"
        else:
            median, q1, q3 = (geometric_quantile(q, share) for q in (0.5, 0.25, 0.75))
            geometric = f"{median} [{q1}, {q3}] {(1 - share) ** BUDGET:.0%} (p = {share:.3g})"
        lines.append(f"| {problem} | {geometric} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def run_example(label: str, seeds: list[int], fixed: bool) -> None:
    """examples/constrained_study.py's two workers per seed (module docstring)."""
    import subprocess
    import sys
    import tempfile

    script = Path(__file__).resolve().parents[1] / "examples" / "constrained_study.py"
    problem = "example_seeds01" if fixed else "example"
    for seed in seeds:
        target = _path(label, problem, seed)
        if target.exists():
            continue
        start = time.perf_counter()
        with tempfile.TemporaryDirectory() as work:
            workers = [subprocess.Popen([sys.executable, str(script), "--worker", str(w)],
                                        cwd=work) for w in ((0, 1) if fixed else (2 * seed, 2 * seed + 1))]
            if any(w.wait() != 0 for w in workers):
                raise SystemExit(f"a worker of seed {seed} failed")
            history = Optimizer(_SVC_SPACE, storage=f"sqlite:///{work}/study.db", study="svc",
                                n_constraints=1).result().history
            told = [o.constraints for o in history if o.constraints is not None]
        first = next((n for n, c in enumerate(told, 1) if all(v <= 0 for v in c)), None)
        result = {"problem": problem, "seed": seed, "first": first, "n_told": len(told),
                  "seconds": time.perf_counter() - start}
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(result))
        print(label, problem, seed, first, f"{result['seconds']:.1f}s", flush=True)


def _seeds(text: str) -> list[int]:
    return list(range(int(text))) if text.isdigit() else [int(s) for s in text.split(",")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["run", "report", "example"])
    parser.add_argument("--label", default=None)
    parser.add_argument("--labels", default=None)
    parser.add_argument("--seeds", default="20")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--problems", default=None)
    parser.add_argument("--fixed", action="store_true", help="example: seeds 0 and 1 every run")
    args = parser.parse_args(argv)
    seeds = _seeds(args.seeds)
    if args.command == "run":
        if not args.label:
            parser.error("run needs --label")
        problems = list(PROBLEMS) if args.problems is None else args.problems.split(",")
        unknown = sorted(set(problems) - set(PROBLEMS))
        if unknown:
            parser.error(f"unknown problems {unknown}")
        run_suite(args.label, problems, seeds, args.jobs)
    elif args.command == "example":
        if not args.label:
            parser.error("example needs --label")
        run_example(args.label, seeds, args.fixed)
    else:
        if not args.labels:
            parser.error("report needs --labels")
        print(report(args.labels.split(","), seeds), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

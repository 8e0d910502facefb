"""The optimization-quality suite: bayesopt against its peers on the same problems, seeds and budgets.

    python -m bench.quality [--problems a,b] [--optimizers x,y] [--seeds 10]
                            [--problem module:attr] [--optimizer module:attr]
                            [--out DIR] [--write-results] [--jobs 2] [--force]
                            [--report-only] [--budget N]

Runs every (problem, optimizer, seed) of the selection on a process pool
(`--jobs`; 1 runs in this process), each run single-threaded (one BLAS, Numba
and torch thread), and caches each run as JSON under `OUT/runs/` — a later
call skips cached runs (unless `--force`), so the suite can be run in parts
and resumed. Then it aggregates every cached run of the selected seeds into
`OUT/quality.md` and one `OUT/convergence_<problem>.png` per problem.

OUT is the committed `bench/results` only for the complete protocol or with
`--write-results`; a partial run goes to a scratch directory, and its report
gets no PASS/FAIL verdicts. A run that raises is an ERROR cell of the report
and makes the exit status 1; arguments that make no sense exit with status 2.
Third-party optimizers and problems (`module:attr`) follow `bench.protocol`.

Judging. A run's answer is the point with the best *observed* value; its
score is that point's noiseless value minus f* (the simple regret), or, for
the machine-learning problems (no f*), the cross-validated error itself. For
the noisy problems the point chosen by its noisy value is judged by its true
value; a second table judges each optimizer's own recommendation where it
has one (`Adapter.recommend`). Per problem: the median and quartiles over
seeds; optimizers are ranked per problem by median (ties share the average
rank) and the ranks averaged over problems.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import functools
import json
import multiprocessing
import os
import platform
import sys
import tempfile
import textwrap
import time
import traceback
import warnings
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from bayesopt.argtypes import positive_int
from bench.adapters import ABLATIONS, OPTIMIZERS, missing_reason, run, versions
from bench.problems import ML, NOISY, PROBLEM_NAMES, SYNTHETIC, make_problem
from bench.protocol import Problem, check_adapter, check_problem, load_optimizer, load_problem

FORMAT = 1  # version of the cached run records
DEFAULT_SEEDS = 10
HEADLINE = "bayesopt"  # the optimizer the targets are about
BASELINE = "random"
GROUPS = {"all": PROBLEM_NAMES, "synthetic": SYNTHETIC, "noisy": NOISY, "ml": ML}
RESULTS = Path(__file__).resolve().parent / "results"  # the committed protocol results
SCRATCH = Path(tempfile.gettempdir()) / "bayesopt-bench"  # a partial run's default --out
# the optimizers the protocol's report and verdicts are about (the ablations have their own)
PROTOCOL_OPTIMIZERS = tuple(o for o in OPTIMIZERS if o not in ABLATIONS)

# name -> what a worker builds it from: the name itself, or a third-party `module:attribute`
# (`main` adds the --problem and --optimizer ones)
PROBLEM_SPECS: dict[str, str] = {name: name for name in PROBLEM_NAMES}
OPTIMIZER_SPECS: dict[str, str] = {name: name for name in OPTIMIZERS}


def describe(problem: str) -> Problem:
    """The problem named `problem` as seed 0 builds it: its space, budget, optimum and kind."""
    return _seed_zero(PROBLEM_SPECS[problem])


@functools.cache
def _seed_zero(spec: str) -> Problem:
    return make_problem(spec, 0)


# ----------------------------------------------------------------- running
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS",
                    "NUMBA_NUM_THREADS")


@contextlib.contextmanager
def worker_environment() -> Iterator[None]:
    """One thread for every library in the worker processes started inside this block.

    Spawned workers inherit `os.environ`, and read it before they import
    numpy or Numba. The variables are restored on exit because this process
    must not keep them: Numba reads NUMBA_NUM_THREADS when imported, launches
    its threads with that value, and raises at its next compilation if the
    variable has changed since ("Cannot set NUMBA_NUM_THREADS to a different
    value once the threads have been launched") — which every in-process run
    (`--jobs 1`) hit. Runs in this process are limited by `one_thread` instead.
    """
    saved = {variable: os.environ.get(variable) for variable in THREAD_VARIABLES}
    os.environ.update(dict.fromkeys(THREAD_VARIABLES, "1"))
    try:
        yield
    finally:
        for variable, value in saved.items():
            if value is None:
                os.environ.pop(variable, None)
            else:
                os.environ[variable] = value


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """One BLAS thread (threadpoolctl) and one Numba thread for the run inside, wherever it runs.

    torch's adapters set `torch.set_num_threads(1)` themselves.
    """
    import numba
    from threadpoolctl import threadpool_limits

    previous = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        with threadpool_limits(limits=1):
            yield
    finally:
        numba.set_num_threads(previous)


def run_path(out: Path, problem: str, optimizer: str, seed: int) -> Path:
    return out / "runs" / problem / optimizer / f"seed{seed:03d}.json"


def load_run(path: Path, budget: int | None = None) -> dict[str, Any] | None:
    """A cached run record, or None if absent, unreadable, of an old format or another budget.

    A record of a run that raised (it has "error") is never a completed run.
    """
    try:
        record: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if record.get("format") != FORMAT or "error" in record:
        return None
    if budget is not None and record.get("budget") != budget:
        return None
    return record


def expected_budget(problem: str, budget: int | None) -> int:
    """The evaluations a cached run must have: the override, else the problem's protocol."""
    return budget if budget is not None else describe(problem).budget


@dataclass(frozen=True)
class Task:
    """One run to do: names (for the cache and the report) and how a worker builds them."""

    problem: str
    optimizer: str
    seed: int
    path: str
    budget: int  # the evaluations of the run: the problem's, or the --budget override

    @property
    def specs(self) -> tuple[str, str]:
        """A built-in name, or the `module:attribute` of a third-party one."""
        return PROBLEM_SPECS[self.problem], OPTIMIZER_SPECS[self.optimizer]


def run_one(problem_spec: str, optimizer_spec: str, seed: int, path: str, budget: int,
            skip_cached: bool = True) -> dict[str, Any]:
    """Run and cache one (problem, optimizer, seed); return a short summary. Runs in a worker.

    The cache is checked again here, not only when the selection is made, so that
    several suites running at once on overlapping selections do not repeat a run
    another one has finished meanwhile.
    """
    summary: dict[str, Any] = {"seconds": 0.0, "error": None}
    if skip_cached and load_run(Path(path), budget) is not None:
        return {**summary, "cached": True}
    start = time.perf_counter()
    with one_thread(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            record = run(make_problem(problem_spec, seed), optimizer_spec, seed, budget)
        except Exception:  # noqa: BLE001 - a crashing optimizer is reported, not dropped
            record = {"problem": problem_spec, "optimizer": optimizer_spec, "seed": seed,
                      "error": traceback.format_exc()}
    record["format"] = FORMAT
    record["warnings"] = dict(Counter(
        f"{w.category.__name__}: {str(w.message).splitlines()[0][:120]}" for w in caught))
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(".tmp")
    temporary.write_text(json.dumps(record))
    temporary.replace(target)  # atomic: an interrupted suite never leaves half a record
    return {**summary, "seconds": time.perf_counter() - start, "error": record.get("error")}


def run_selection(tasks: list[Task], jobs: int, force: bool) -> int:
    """Run the tasks not cached (all with `force`); return how many raised."""
    todo = [t for t in tasks if force or load_run(Path(t.path), t.budget) is None]
    print(f"{len(tasks)} runs selected, {len(tasks) - len(todo)} cached, {len(todo)} to run "
          f"on {jobs} process(es)", flush=True)
    todo.sort(key=_expected_cost, reverse=True)  # longest first: the pool drains evenly
    arguments = [(*t.specs, t.seed, t.path, t.budget, not force) for t in todo]
    start = time.perf_counter()
    errors = 0
    if jobs <= 1:
        for i, (task, argument) in enumerate(zip(todo, arguments), 1):
            errors += _progress(f"[{i}/{len(todo)}]", task, run_one(*argument), start)
        return errors
    context = multiprocessing.get_context("spawn")  # fresh interpreters: no inherited thread pools
    with worker_environment(), concurrent.futures.ProcessPoolExecutor(
            jobs, mp_context=context) as pool:
        futures = {pool.submit(run_one, *argument): task
                   for task, argument in zip(todo, arguments)}
        for i, future in enumerate(concurrent.futures.as_completed(futures), 1):
            errors += _progress(f"[{i}/{len(todo)}]", futures[future], future.result(), start)
    return errors


# rough seconds per 50-evaluation run on one core, for ordering only (bench/README.md, "Cost")
_COST = {"bayes_opt": 30.0, "botorch": 30.0, "skopt": 15.0, "optuna-gp": 4.0}


def _expected_cost(task: Task) -> float:
    """Longest first: 100-evaluation runs cost 4–9× a 50-evaluation run; ML runs add evaluations."""
    size = describe(task.problem).budget / 50
    return float(_COST.get(task.optimizer, 2.0) * size**2.5
                 + (5.0 if describe(task.problem).kind == "ml" else 0.0))


def _progress(counter: str, task: Task, summary: dict[str, Any], start: float) -> int:
    """Print one finished run; 1 if it raised, else 0."""
    status = ("ERROR" if summary["error"] else "cached meanwhile" if summary.get("cached")
              else f"{summary['seconds']:.1f}s")
    print(f"{counter} {task.problem} {task.optimizer} seed {task.seed}: "
          f"{status} (elapsed {time.perf_counter() - start:.0f}s)", flush=True)
    if summary["error"]:
        print(summary["error"], file=sys.stderr, flush=True)
    return 1 if summary["error"] else 0


# --------------------------------------------------------------- judging
@dataclass
class Cell:
    """All runs of one optimizer on one problem."""

    final: np.ndarray  # (seeds,) score of the best observed point
    recommended: np.ndarray  # (seeds,) score of the optimizer's own recommendation
    curves: np.ndarray  # (seeds, budget) score of the best observed point so far
    overhead: np.ndarray  # (seeds * budget,) seconds per step
    model_overhead: np.ndarray  # the same for the steps after the initial design
    eval_seconds: np.ndarray  # (seeds * budget,)
    wall: np.ndarray  # (seeds,) seconds per run
    has_recommendation: bool
    stats: Counter[str]
    warnings: Counter[str]

    def median(self, which: str = "final") -> float:
        return float(np.median(getattr(self, which)))

    def quartiles(self, which: str = "final") -> tuple[float, float]:
        q25, q75 = np.quantile(getattr(self, which), [0.25, 0.75])
        return float(q25), float(q75)


def score_curve(record: dict[str, Any], optimum: float | None) -> np.ndarray:
    """Score after each step of the point with the best observed value so far: (budget,)."""
    values = np.array([s["value"] for s in record["steps"]])
    true = np.array([s["true_value"] for s in record["steps"]])
    best = 0
    out = np.empty(len(values))
    for t in range(len(values)):
        if values[t] < values[best]:
            best = t
        out[t] = true[best]
    return out - (optimum or 0.0)


Errors = dict[tuple[str, str], list[int]]  # (problem, optimizer) -> seeds whose run raised


def collect(out: Path, problems: list[str], optimizers: list[str], seeds: list[int],
            budget: int | None) -> tuple[dict[tuple[str, str], Cell], Errors]:
    """Cells with every selected seed cached, and the seeds whose run raised, by cell."""
    cells: dict[tuple[str, str], Cell] = {}
    errors: Errors = {}
    for problem in problems:
        optimum = describe(problem).optimum
        expected = expected_budget(problem, budget)
        for optimizer in optimizers:
            records: list[dict[str, Any]] = []
            for seed in seeds:
                path = run_path(out, problem, optimizer, seed)
                record = load_run(path, expected)
                if record is None and _crashed(path):
                    errors.setdefault((problem, optimizer), []).append(seed)
                if record is not None:
                    records.append(record)
            if len(records) < len(seeds):  # a seed's run is missing
                continue
            cells[problem, optimizer] = _cell(records, optimum)
    return cells, errors


def _crashed(path: Path) -> bool:
    try:
        return "error" in json.loads(path.read_text())
    except (OSError, ValueError):
        return False


def _cell(records: list[dict[str, Any]], optimum: float | None) -> Cell:
    curves = np.array([score_curve(r, optimum) for r in records])
    final = curves[:, -1]
    recommended = np.array([
        final[i] if r["recommended_true_value"] is None
        else r["recommended_true_value"] - (optimum or 0.0) for i, r in enumerate(records)])
    stats: Counter[str] = Counter()
    caught: Counter[str] = Counter()
    for r in records:
        stats.update(r.get("stats", {}))
        caught.update(r.get("warnings", {}))
    return Cell(
        final=final, recommended=recommended, curves=curves,
        overhead=np.array([s["overhead"] for r in records for s in r["steps"]]),
        model_overhead=np.array([s["overhead"] for r in records
                                 for s in r["steps"][r["n_initial"]:]]),
        eval_seconds=np.array([s["eval_seconds"] for r in records for s in r["steps"]]),
        wall=np.array([r["wall_seconds"] for r in records]),
        has_recommendation=any(r["recommended_true_value"] is not None for r in records),
        stats=stats, warnings=caught,
    )


def _key(x: float) -> float:
    """Medians compared to 10 significant digits, so rounding noise does not break ties."""
    return float(f"{x:.10g}")


def ranks(cells: dict[tuple[str, str], Cell], problems: list[str], optimizers: list[str],
          which: str = "final") -> dict[str, dict[str, float]]:
    """Per problem, each optimizer's rank by median score (1 = best; ties share the average)."""
    from scipy.stats import rankdata

    out: dict[str, dict[str, float]] = {}
    for problem in problems:
        present = [o for o in optimizers if (problem, o) in cells]
        if not present:
            continue
        medians = [_key(cells[problem, o].median(which)) for o in present]
        out[problem] = dict(zip(present, map(float, rankdata(medians, method="average"))))
    return out


def n_strictly_better(cells: dict[tuple[str, str], Cell], problem: str, optimizer: str,
                      optimizers: list[str]) -> int:
    mine = _key(cells[problem, optimizer].median())
    return sum(_key(cells[problem, o].median()) < mine
               for o in optimizers if o != optimizer and (problem, o) in cells)


# ---------------------------------------------------------------- report
def _fmt(x: float) -> str:
    if x == 0:
        return "0"
    return f"{x:.3g}" if 1e-3 <= abs(x) < 1e4 else f"{x:.2e}"


def _cell_text(cell: Cell, which: str = "final") -> str:
    q25, q75 = cell.quartiles(which)
    return f"{_fmt(cell.median(which))} [{_fmt(q25)}, {_fmt(q75)}]"


def machine_info() -> list[str]:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return [f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} logical cores",
            f"Python {platform.python_version()}, numpy {np.__version__}"]


@dataclass(frozen=True)
class ReportScope:
    """What a report covers: the rows, columns, seeds and budget, and how it was made."""

    problems: list[str]
    optimizers: list[str]
    seeds: list[int]
    budget: int | None  # None: the protocol's budget
    command: str
    missing: dict[str, str]  # optimizer -> why it cannot run here
    errors: Errors


def protocol_gap(cells: dict[tuple[str, str], Cell], scope: ReportScope) -> str | None:
    """Why the report is not the complete protocol (so it gets no verdicts), or None if it is.

    Complete: the protocol's budget and seeds, exactly its problems and (non-ablation)
    optimizers, every cell present and no run that raised.
    """
    absent = [(p, o) for p in PROBLEM_NAMES for o in PROTOCOL_OPTIMIZERS if (p, o) not in cells]
    extra = [x for x in scope.problems + scope.optimizers
             if x not in PROBLEM_NAMES and x not in PROTOCOL_OPTIMIZERS]
    reasons = {
        f"a smoke budget of {scope.budget}": scope.budget is not None,
        f"seeds {seed_text(scope.seeds)}, not 0–{DEFAULT_SEEDS - 1}":
            scope.seeds != list(range(DEFAULT_SEEDS)),
        f"{len(absent)} of {len(PROBLEM_NAMES) * len(PROTOCOL_OPTIMIZERS)} "
        "problem × optimizer cells without all their seeds": bool(absent),
        f"not in the protocol: {', '.join(extra)}": bool(extra),
        f"{sum(map(len, scope.errors.values()))} run(s) raised": bool(scope.errors),
    }
    gaps = [reason for reason, applies in reasons.items() if applies]
    return "; ".join(gaps) if gaps else None


def write_report(out: Path, cells: dict[tuple[str, str], Cell], scope: ReportScope) -> Path:
    def shown(p: str, o: str) -> bool:
        return (p, o) in cells or (p, o) in scope.errors

    optimizers, budget = scope.optimizers, scope.budget
    problems = [p for p in scope.problems if any(shown(p, o) for o in optimizers)]
    present = [o for o in optimizers if any((p, o) in cells for p in problems)]
    columns = [o for o in optimizers if o in present or o in scope.missing
               or any(shown(p, o) for p in problems)]
    lines = ["# Optimization quality: bayesopt and its peers", ""]
    lines += [f"- date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M UTC}",
              f"- command: `{scope.command}`",
              *[f"- machine: {m}" for m in machine_info()],
              ("- threads: one per run (BLAS via threadpoolctl, Numba, torch); "
              "runs in parallel processes"),
              f"- seeds: {seed_text(scope.seeds)} ({len(scope.seeds)} per cell); budget: "
              + ("50 evaluations for d ≤ 6, 100 for larger d" if budget is None
                 else f"**{budget} evaluations (NOT the protocol's budget: a smoke run)**"),
              ("- initial design: bayesopt's default size, d + 1 within [5, 20], for every "
              "optimizer"), ""]
    lines += _missing_section(scope.missing, scope.errors)
    lines += _headline_table(cells, problems, columns, scope.missing, scope.errors, "final")
    rank_table = ranks(cells, problems, present)
    lines += _rank_section(cells, rank_table, problems, present)
    lines += _targets_section(cells, rank_table, problems, present, protocol_gap(cells, scope))
    lines += _noisy_section(cells, problems, present)
    lines += _overhead_section(cells, problems, present)
    lines += _ml_cost_section(cells, problems, present)
    lines += _notes_section(cells, problems, present)
    lines += _versions_section(present)
    path = out / "quality.md"
    path.write_text("\n".join(lines) + "\n")
    return path


def seed_text(seeds: list[int]) -> str:
    """Sorted seeds as a report names them: "3–7" for a run of consecutive seeds, else
    "0, 4, 7" (every bench report that states its seeds uses this one spelling)."""
    if seeds == list(range(seeds[0], seeds[-1] + 1)):
        return f"{seeds[0]}–{seeds[-1]}"
    return ", ".join(map(str, seeds))


def _missing_section(missing: dict[str, str], errors: Errors) -> list[str]:
    if not missing and not errors:
        return []
    lines = ["## Missing optimizers and errors", ""]
    for name, reason in missing.items():
        lines.append(f"- **{name}: MISSING** — {reason}")
    for (problem, optimizer), seeds in errors.items():
        lines.append(f"- **{optimizer} on {problem}: ERROR** in {len(seeds)} run(s), seed(s) "
                     f"{', '.join(map(str, seeds))}: the run raised (traceback in its JSON); "
                     "no result is reported for this cell")
    return lines + [""]


def _headline_table(cells: dict[tuple[str, str], Cell], problems: list[str],
                    optimizers: list[str], missing: dict[str, str], errors: Errors,
                    which: str) -> list[str]:
    lines = ["## Final simple regret (ML problems: cross-validated error)", "",
             ("Median [25 %, 75 %] over seeds of the noiseless score of the best observed "
             "point after the full budget; lower is better; **bold**: the best median."), "",
             "| problem | d | budget | " + " | ".join(optimizers) + " |",
             "|---|---|---|" + "---|" * len(optimizers)]
    for problem in problems:
        spec = describe(problem)
        row = [problem, str(len(spec.space)), str(cells_budget(cells, problem, optimizers))]
        present = [o for o in optimizers if (problem, o) in cells]
        best = min((_key(cells[problem, o].median(which)) for o in present), default=None)
        for o in optimizers:
            if (problem, o) in errors:
                row.append("**ERROR**")
            elif (problem, o) not in cells:
                row.append("MISSING" if o in missing else "—")
            else:
                text = _cell_text(cells[problem, o], which)
                row.append(f"**{text}**" if _key(cells[problem, o].median(which)) == best
                           else text)
        lines.append("| " + " | ".join(row) + " |")
    return lines + ["", ("— : not run (or not every selected seed cached); **ERROR**: a run "
                         "raised (see above)."), ""]


def cells_budget(cells: dict[tuple[str, str], Cell], problem: str, optimizers: list[str]) -> int:
    for o in optimizers:
        if (problem, o) in cells:
            return int(cells[problem, o].curves.shape[1])
    return 0


def _rank_section(cells: dict[tuple[str, str], Cell], rank_table: dict[str, dict[str, float]],
                  problems: list[str], optimizers: list[str]) -> list[str]:
    lines = ["## Mean rank", "",
             ("Rank of the median final score on each problem (1 = best, ties share the average "
             "rank), averaged over the problems the optimizer ran on. Top 3: the share of "
             "problems where fewer than three optimizers have a strictly better median."), "",
             "| optimizer | mean rank | top 3 | problems | median ≤ random's |",
             "|---|---|---|---|---|"]
    rows = []
    for o in optimizers:
        mine = [rank_table[p][o] for p in problems if o in rank_table.get(p, {})]
        if not mine:
            continue
        top3 = [n_strictly_better(cells, p, o, optimizers) < 3
                for p in problems if (p, o) in cells]
        versus = [p for p in problems if (p, o) in cells and (p, BASELINE) in cells]
        not_worse = sum(_key(cells[p, o].median()) <= _key(cells[p, BASELINE].median())
                        for p in versus)
        rows.append((float(np.mean(mine)), o, np.mean(top3), len(mine), not_worse, len(versus)))
    for mean_rank, o, top3_share, n, not_worse, n_versus in sorted(rows):
        lines.append(f"| {o} | {mean_rank:.2f} | {100 * top3_share:.0f} % | {n} | "
                     f"{not_worse}/{n_versus} |")
    return lines + [""]


def _targets_section(cells: dict[tuple[str, str], Cell], rank_table: dict[str, dict[str, float]],
                     problems: list[str], optimizers: list[str], gap: str | None) -> list[str]:
    """The quality issue's targets for bayesopt's defaults; PASS/FAIL only if `gap` is None."""
    if HEADLINE not in optimizers:
        return []
    ours = [p for p in problems if (p, HEADLINE) in cells]
    mean = {o: np.mean([rank_table[p][o] for p in problems if o in rank_table.get(p, {})])
            for o in optimizers}
    peers = {o: m for o, m in mean.items() if o != HEADLINE}
    best_peer = min(peers, key=lambda o: peers[o]) if peers else None
    top3 = [p for p in ours if n_strictly_better(cells, p, HEADLINE, optimizers) < 3]
    losses = [p for p in ours if (p, BASELINE) in cells
              and _key(cells[p, HEADLINE].median()) > _key(cells[p, BASELINE].median())]

    def verdict(ok: bool) -> str:
        return "not judged" if gap is not None else "PASS" if ok else "FAIL"

    lines = ["## Targets (bayesopt default settings)", ""]
    if gap is not None:
        lines += [(f"Not the complete protocol ({gap}): the figures below cover this "
                   "partial suite and get no verdict."), ""]
    if best_peer is not None:
        lines.append(f"- best mean rank, strictly ahead of every other optimizer: "
                     f"**{verdict(mean[HEADLINE] < peers[best_peer])}** — bayesopt "
                     f"{mean[HEADLINE]:.2f}, next best {best_peer} {peers[best_peer]:.2f}")
    lines.append(f"- median among the best three on ≥ 80 % of the problems: "
                 f"**{verdict(len(top3) >= 0.8 * len(ours))}** — {len(top3)}/{len(ours)}"
                 + (f"; not on: {', '.join(p for p in ours if p not in top3)}"
                    if len(top3) < len(ours) else ""))
    if (ours and (ours[0], BASELINE) in cells) or losses:
        lines.append(f"- never loses to random search at the median: "
                     f"**{verdict(not losses)}**"
                     + (f" — loses on {', '.join(losses)}" if losses else ""))
    noisy = [p for p in ours if describe(p).kind == "noisy"]
    if noisy:
        lines.append("- noisy variants judged by the noiseless value of the reported point: "
                     "yes, by construction (table below)")
    return lines + [""]


def _noisy_section(cells: dict[tuple[str, str], Cell], problems: list[str],
                   optimizers: list[str]) -> list[str]:
    noisy = [p for p in problems if describe(p).kind == "noisy"]
    if not noisy:
        return []
    lines = ["## Noisy problems: which point is reported", "",
             ("Noiseless regret of (a) the point with the best *noisy* observation (the headline) "
             "and (b) the optimizer's own recommendation where it has one: the evaluated point "
             "with the best posterior mean of its final GP (bayesopt, BoTorch, skopt, bayes_opt); "
             "the others report (a)."), "",
             "| problem | report | " + " | ".join(optimizers) + " |",
             "|---|---|" + "---|" * len(optimizers)]
    for problem in noisy:
        for which, label in (("final", "best observed"), ("recommended", "own recommendation")):
            row = [problem, label]
            for o in optimizers:
                cell = cells.get((problem, o))
                if cell is None:
                    row.append("—")
                elif which == "recommended" and not cell.has_recommendation:
                    row.append("(a)")
                else:
                    row.append(_cell_text(cell, which))
            lines.append("| " + " | ".join(row) + " |")
    return lines + [""]


def _overhead_section(cells: dict[tuple[str, str], Cell], problems: list[str],
                      optimizers: list[str]) -> list[str]:
    lines = ["## Overhead", "",
             ("Seconds per step spent in the optimizer (ask + tell, without the evaluation): "
             "per problem the median over the model-based steps (after the initial design) of "
             "every run. Last rows, over all problems: the mean over every step (the initial "
             "design included: total optimizer time / evaluations) and the median wall time "
             "of a whole run (evaluations included)."), "",
             "| problem | " + " | ".join(optimizers) + " |",
             "|---|" + "---|" * len(optimizers)]
    for problem in problems:
        row = [problem] + [_fmt(float(np.median(cells[problem, o].model_overhead)))
                           if (problem, o) in cells else "—" for o in optimizers]
        lines.append("| " + " | ".join(row) + " |")
    overall, wall = ["**mean s/step**"], ["**median s/run**"]
    for o in optimizers:
        mine = [cells[p, o] for p in problems if (p, o) in cells]
        overall.append(_fmt(float(np.mean(np.concatenate([c.overhead for c in mine])))))
        wall.append(_fmt(float(np.median(np.concatenate([c.wall for c in mine])))))
    lines += ["| " + " | ".join(overall) + " |", "| " + " | ".join(wall) + " |"]
    total = sum(float(np.sum(c.wall)) for c in cells.values())
    lines += ["", (f"Sum of run wall times: {total / 3600:.2f} core-hours "
              f"({total / 3600 / 2:.2f} h on 2 processes if perfectly balanced)."), ""]
    return lines


def _ml_cost_section(cells: dict[tuple[str, str], Cell], problems: list[str],
                     optimizers: list[str]) -> list[str]:
    ml = [p for p in problems
          if describe(p).kind == "ml" and any((p, o) in cells for o in optimizers)]
    if not ml:
        return []
    lines = ["## Cost of one ML evaluation", "",
             ("Seconds per evaluation (3-fold cross-validation, one thread) over every "
             "evaluation of every optimizer."), "",
             "| problem | median | 90 % | max |", "|---|---|---|---|"]
    for problem in ml:
        seconds = np.concatenate([cells[problem, o].eval_seconds for o in optimizers
                                  if (problem, o) in cells])
        lines.append(f"| {problem} | {np.median(seconds):.3f} | "
                     f"{np.quantile(seconds, 0.9):.3f} | {np.max(seconds):.3f} |")
    return lines + [""]


def _notes_section(cells: dict[tuple[str, str], Cell], problems: list[str],
                   optimizers: list[str]) -> list[str]:
    lines = []
    for o in optimizers:
        stats: Counter[str] = Counter()
        caught: Counter[str] = Counter()
        for p in problems:
            if (p, o) in cells:
                stats.update(cells[p, o].stats)
                caught.update(cells[p, o].warnings)
        for key, count in stats.items():
            lines.append(f"- {o}: {key.replace('_', ' ')}: {count}")
        for message, count in caught.most_common(3):
            lines.append(f"- {o}: warning ×{count}: `{message}`")
    if not lines:
        return []
    return ["## Notes from the runs", "", *lines, ""]


def _versions_section(optimizers: list[str]) -> list[str]:
    lines = ["## Versions", ""]
    for o in optimizers:
        text = ", ".join(f"{k} {v}" for k, v in versions(OPTIMIZER_SPECS[o]).items())
        lines.append(f"- {o}: {text}")
    return lines + [""]


# ------------------------------------------------------------------- plots
def write_plots(out: Path, cells: dict[tuple[str, str], Cell], problems: list[str],
                optimizers: list[str]) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # tab10 is a ListedColormap, whose colors matplotlib's Colormap type does not declare
    colors = dict(zip(OPTIMIZERS, plt.get_cmap("tab10").colors))  # type: ignore[attr-defined]
    paths = []
    for problem in problems:
        present = [o for o in optimizers if (problem, o) in cells]
        if not present:
            continue
        fig, ax = plt.subplots(figsize=(7, 4.5))
        log = describe(problem).kind != "ml"
        for o in present:
            curves = cells[problem, o].curves
            if log:
                curves = np.maximum(curves, 1e-8)  # regret can round to 0 (or -1e-16)
            q25, median, q75 = np.quantile(curves, [0.25, 0.5, 0.75], axis=0)
            steps = np.arange(1, curves.shape[1] + 1)
            width = 2.4 if o == HEADLINE else 1.3
            style = "--" if o.startswith(HEADLINE + "-") else "-"
            ax.plot(steps, median, style, color=colors.get(o), lw=width, label=o)
            ax.fill_between(steps, q25, q75, color=colors.get(o), alpha=0.12, lw=0)
        if log:
            ax.set_yscale("log")
        ax.set_xlabel("evaluations")
        ax.set_ylabel("simple regret of the best observed point" if log
                      else "cross-validated error of the best observed point")
        ax.set_title(f"{problem}: median and quartiles over {cells[problem, present[0]].curves.shape[0]} seeds")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8, ncol=2)
        fig.tight_layout()
        path = out / f"convergence_{problem}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths.append(path)
    return paths


# --------------------------------------------------------------------- CLI
def _names(text: str, known: tuple[str, ...] | list[str], kind: str,
           groups: dict[str, tuple[str, ...]]) -> list[str]:
    """Comma-separated names and groups → the names, in order; ValueError on an unknown one."""
    names: list[str] = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        if part in groups:
            names += list(groups[part])
        elif part in known:
            names.append(part)
        else:
            raise ValueError(f"unknown {kind} {part!r}; known: {', '.join(known)} "
                             f"(or a group: {', '.join(groups)})")
    return list(dict.fromkeys(names))


def parse_seeds(text: str) -> list[int]:
    """'10' → seeds 0–9; '3-5' → 3, 4, 5; '0,4,7' → those seeds. ValueError if none or malformed."""
    if text.strip().isdigit():
        seeds = list(range(int(text)))
    else:
        seeds = []
        for part in text.split(","):
            low, _, high = part.strip().partition("-")
            if not low.isdigit() or not (high or low).isdigit() or int(high or low) < int(low):
                raise ValueError(f"--seeds {text!r}: {part!r} is not a seed (an integer ≥ 0) "
                                 "or a range low-high with low ≤ high")
            seeds += list(range(int(low), int(high or low) + 1))
    if not seeds:
        raise ValueError(f"--seeds {text!r} selects no seed; give N ≥ 1 for seeds 0..N-1")
    return sorted(set(seeds))


def seeds_argument(text: str) -> list[int]:
    try:
        return parse_seeds(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


class _WholeNamesFormatter(argparse.HelpFormatter):
    """Wraps help text at spaces only, so a hyphenated name (bayesopt-noise-floor-1e-6)
    is never split across lines (textwrap breaks on hyphens by default)."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.quality", description=__doc__.split("\n\n")[0],
        formatter_class=_WholeNamesFormatter,
        epilog="Third-party optimizers and problems: bench/README.md, 'Benchmark your own "
               "optimizer', and the protocols in bench/protocol.py.")
    parser.add_argument("--problems", default=None, help=(
        f"comma-separated built-in problems or groups ({', '.join(GROUPS)}); default: all, "
        f"or none when --problem is given. Built-in: {', '.join(PROBLEM_NAMES)}"))
    parser.add_argument("--optimizers", default=None, help=(
        "comma-separated built-in optimizers (or 'all'); default: all, or none when "
        f"--optimizer is given. Built-in: {', '.join(OPTIMIZERS)}"))
    parser.add_argument("--problem", action="append", default=[], metavar="MODULE:ATTR",
                        help="a third-party problem factory, called as factory(seed) "
                             "(bench.protocol.Problem); repeatable")
    parser.add_argument("--optimizer", action="append", default=[], metavar="MODULE:ATTR",
                        help="a third-party adapter factory, called as factory(space, seed, "
                             "n_initial) (bench.protocol.OptimizerAdapter); repeatable")
    parser.add_argument("--seeds", default=list(range(DEFAULT_SEEDS)), type=seeds_argument,
                        help="N for seeds 0..N-1, or a list/range like 0,3 or 5-9 (default 10)")
    parser.add_argument("--out", default=None, type=Path, help=(
        f"the output directory; default: {_relative(RESULTS)} for the complete protocol (or "
        f"with --write-results), else {SCRATCH}"))
    parser.add_argument("--write-results", action="store_true", help=(
        f"let a partial run (some problems, optimizers or seeds) add its runs to the committed "
        f"results in {_relative(RESULTS)} and rewrite their report and plots"))
    parser.add_argument("--jobs", default=2, type=positive_int,
                        help="worker processes (default 2; 1 runs in this process)")
    parser.add_argument("--force", action="store_true", help="re-run cached runs")
    parser.add_argument("--report-only", action="store_true",
                        help="aggregate the cached runs without running anything")
    parser.add_argument("--budget", type=positive_int, default=None,
                        help="override the protocol's budget (smoke runs only, never into "
                             f"{_relative(RESULTS)})")
    return parser


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


@dataclass(frozen=True)
class Selection:
    """The problems, optimizers and seeds of one call, and its budget override."""

    problems: list[str]
    optimizers: list[str]
    seeds: list[int]
    budget: int | None
    third_party: list[str]  # names of the --problem and --optimizer ones

    def gap(self) -> str | None:
        """Why this is not the complete protocol, or None if it is."""
        reasons = {
            "some problems": set(self.problems) != set(PROBLEM_NAMES),
            "some optimizers": set(self.optimizers) != set(OPTIMIZERS),
            f"seeds {seed_text(self.seeds)}": self.seeds != list(range(DEFAULT_SEEDS)),
            f"budget {self.budget}": self.budget is not None,
        }
        gaps = [reason for reason, applies in reasons.items() if applies]
        return ", ".join(gaps) if gaps else None


def _third_party(args: argparse.Namespace) -> tuple[list[str], list[str]]:
    """Load, check and register the --problem and --optimizer objects; their names."""
    problems: list[str] = []
    for spec in args.problem:
        factory = load_problem(spec)
        try:
            built = factory(0)
        except Exception as error:  # the third party's code: any failure is reported as usage
            raise ValueError(f"--problem {spec}: factory(seed=0) raised "
                             f"{type(error).__name__}: {error}") from error
        problem = check_problem(built, spec)
        _register(PROBLEM_SPECS, problem.name, spec, PROBLEM_NAMES, "problem")
        problems.append(problem.name)
    optimizers: list[str] = []
    for spec in args.optimizer:
        name = load_optimizer(spec)[0]
        _register(OPTIMIZER_SPECS, name, spec, tuple(OPTIMIZERS), "optimizer")
        optimizers.append(name)
    return problems, optimizers


def _register(registry: dict[str, str], name: str, spec: str, built_in: tuple[str, ...],
              kind: str) -> None:
    if name in built_in or registry.get(name, spec) != spec:
        raise ValueError(f"{kind} {spec!r} is named {name!r}, which {registry[name]!r} "
                         "already is; give it another name")
    registry[name] = spec


def _check_optimizer(name: str, problem: str) -> None:
    """Build a third-party optimizer once on `problem`'s space: a clear error before any run."""
    from bayesopt.optimizer import default_n_initial
    from bayesopt.space import Space

    spec, space = OPTIMIZER_SPECS[name], describe(problem).space
    n_initial = default_n_initial(Space(space))
    try:
        adapter = load_optimizer(spec)[1](space, 0, n_initial)
    except Exception as error:  # the third party's code: any failure is reported as usage
        raise ValueError(f"--optimizer {spec}: factory(space of {problem}, seed=0, "
                         f"n_initial={n_initial}) raised {type(error).__name__}: {error}"
                         ) from error
    check_adapter(adapter, spec)


def _selection(args: argparse.Namespace) -> Selection:
    """The validated selection; ValueError/TypeError (shown as a usage error) if it is not."""
    extra_problems, extra_optimizers = _third_party(args)
    problems_text = args.problems or ("" if extra_problems else "all")
    optimizers_text = args.optimizers or ("" if extra_optimizers else "all")
    problems = _names(problems_text, PROBLEM_NAMES, "problem", GROUPS) + extra_problems
    optimizers = (_names(optimizers_text, list(OPTIMIZERS), "optimizer",
                         {"all": tuple(OPTIMIZERS)}) + extra_optimizers)
    if not problems or not optimizers:
        raise ValueError(f"no {'problem' if not problems else 'optimizer'} selected")
    for name in extra_optimizers:
        _check_optimizer(name, problems[0])
    return Selection(problems, optimizers, args.seeds, args.budget,
                     extra_problems + extra_optimizers)


def _output(args: argparse.Namespace, selection: Selection) -> Path:
    """The output directory; ValueError if the run would write what it must not into RESULTS."""
    gap = selection.gap()
    if args.out is not None:
        out = Path(args.out)
    elif gap is not None and not args.write_results:
        print(f"a partial run ({gap}): writing to {SCRATCH}; the committed results in "
              f"{_relative(RESULTS)} are written only by the complete protocol or with "
              "--write-results", file=sys.stderr)
        return SCRATCH
    else:
        out = RESULTS
    if out.resolve() != RESULTS.resolve():
        return out
    if selection.budget is not None or selection.third_party:
        raise ValueError(f"smoke budgets and third-party optimizers or problems never go into "
                         f"the committed results in {_relative(RESULTS)}: give another --out")
    if gap is not None and not args.write_results:
        raise ValueError(f"a partial run ({gap}) would rewrite the committed results in "
                         f"{_relative(RESULTS)}: give another --out, or --write-results to "
                         "add these runs to them")
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the selection, write the report; 0, or 1 if any run of the report raised."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        selection = _selection(args)
        out = _output(args, selection)
    except (ValueError, TypeError) as error:
        parser.error(str(error))
    missing = {o: reason for o in selection.optimizers
               if o in OPTIMIZERS and (reason := missing_reason(o)) is not None}
    for name, reason in missing.items():
        print(f"MISSING {name}: {reason}", file=sys.stderr)
    out.mkdir(parents=True, exist_ok=True)
    if not args.report_only:
        tasks = [Task(p, o, s, str(run_path(out, p, o, s)), expected_budget(p, args.budget))
                 for p in selection.problems for o in selection.optimizers if o not in missing
                 for s in selection.seeds]
        run_selection(tasks, args.jobs, args.force)
    command = "python -m bench.quality " + " ".join(sys.argv[1:] if argv is None else argv)
    errors = write_outputs(out, selection, command)
    if errors:
        print(f"{sum(map(len, errors.values()))} run(s) raised: they are reported as ERROR in "
              f"{out / 'quality.md'}, and run again by the next call", file=sys.stderr)
    return 1 if errors else 0


def write_outputs(out: Path, selection: Selection, command: str) -> Errors:
    """quality.md, the plots and ablation.md from every cached run of the selected seeds.

    The report covers the built-in optimizers cached under `out` besides the
    selected ones, so parts run separately add up to one report.
    """
    selected = selection.optimizers
    cached = [o for o in dict.fromkeys(selected + list(OPTIMIZERS)) if o in selected or (
        (out / "runs").exists() and any((out / "runs" / p / o).exists() for p in PROBLEM_NAMES))]
    problems = list(PROBLEM_NAMES) + [p for p in selection.problems if p not in PROBLEM_NAMES]
    report_optimizers = [o for o in cached if o not in ABLATIONS]
    report_missing = {o: r for o in report_optimizers
                      if o in OPTIMIZERS and (r := missing_reason(o)) is not None}
    cells, errors = collect(out, problems, cached, selection.seeds, selection.budget)
    scope = ReportScope(problems, report_optimizers, selection.seeds, selection.budget,
                        command, report_missing,
                        {k: v for k, v in errors.items() if k[1] in report_optimizers})
    report = write_report(out, cells, scope)
    plots = write_plots(out, cells, problems, report_optimizers)
    ablated = [o for o in cached if o != HEADLINE
               and any(o in members for _, members, _ in ABLATION_ROUNDS)]
    if any(o in ABLATIONS for o in ablated):
        write_ablation(out, cells, problems, [HEADLINE, *ablated], selection.seeds, command)
    print(f"wrote {report} and {len(plots)} convergence plot(s)")
    return errors


# The ablation's sections: (title, variants besides the default, what each changes)
ABLATION_ROUNDS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("First round: the model's defaults",
     ("bayesopt-hvarfner-prior", "bayesopt-shifted-prior", "bayesopt-botorch-noise",
      "bayesopt-no-transform", "bayesopt-noise-floor-1e-6"),
     ("`noise-floor-1e-6` = the noise variance floor of 1e-6 that preceded the current 1e-8; "
      "`hvarfner-prior` = lengthscale prior LogNormal(√2 + ½ log d, √3) (the published one); "
      "`shifted-prior` = LogNormal(½ log d − 0.5, 1); `botorch-noise` = noise prior "
      "LogNormal(−4, 1); `no-transform` = no Yeo–Johnson output transform")),
    ("Second round (issue 17): aimed at Levy-10, Hartmann-6 and noisy Hartmann-6",
     ("bayesopt-ucb", "bayesopt-no-transform", "bayesopt-mcmc", "bayesopt-input-warping",
      "bayesopt-more-restarts", "bayesopt-observed-incumbent", "bayesopt-trust-region"),
     ("`ucb` = acquisition UCB (GP-UCB schedule, β × 0.2); `mcmc` = slice-sampled "
      "hyperparameters, the acquisition averaged over 10 samples; `input-warping` = a "
      "Kumaraswamy CDF per non-one-hot input (docs/choosing-defaults.md); `more-restarts` = 32 "
      "L-BFGS-B starts (default 8) and 2048 perturbations of the incumbents (default 512); "
      "`observed-incumbent` = EI's incumbent the best observed value instead of the default's "
      "best posterior mean at an observed point (the noise-aware one); `trust-region` = the "
      "acquisition searched inside a TuRBO-1 trust region around the incumbent (Eriksson et al. "
      "2019; `bayesopt.trust_region`)")),
    ("Third round (issue 17): GP-Hedge, an acquisition portfolio",
     ("bayesopt-ucb", "bayesopt-hedge", "bayesopt-hedge-pi"),
     ("`ucb` as above; `hedge` = acquisition='hedge': GP-Hedge (Hoffman et al. 2011; "
      "`bayesopt.hedge`) over LogEI and UCB, η = 0.1; `hedge-pi` = GP-Hedge over LogEI, UCB "
      "and PI, η = 1 (the paper's portfolio, scikit-optimize's η)")),
    ("Fourth round (issue 18): a cheaper refit schedule",
     ("bayesopt-refit-until-30",),
     ("`refit-until-30` = `ModelOptions(refit_every_step_until=30)`: the MAP refit after every "
      "tell only while n <= 30 (default 200), then whenever the data grew by 10 %, block "
      "Cholesky appends between (bench/results/refit_schedule.md)")),
    ("Fifth round (issue 17): integer- and category-aware inputs",
     ("bayesopt-integer-round",),
     ("`integer-round` = `ModelOptions(integer_kernel=\"round\")`: the kernel on T(x), each "
      "integer rounded and each one-hot group set to its argmax (Garrido-Merchán & "
      "Hernández-Lobato 2020), integers held fixed in L-BFGS-B and stepped by ±1, ±2, ±4, … "
      "values instead (`bayesopt.rounding`; bench/results/integer_kernel.md)")),
    ("Sixth round (issue 17): a Hamming kernel term for categoricals",
     ("bayesopt-hamming",),
     ("`hamming` = `ModelOptions(categorical_kernel=\"hamming\")`: one lengthscale per "
      "categorical, its one-hot columns' lengthscales tied, so two choices are at the squared "
      "distance 2·[a ≠ b]/ℓ² (a Hamming term, as Optuna's GPSampler; `bayesopt.categorical`; "
      "bench/results/categorical_kernel.md)")),
    ("Seventh round (issue 18): a cheaper acquisition search",
     ("bayesopt-restarts-2", "bayesopt-restarts-4-maxiter-25", "bayesopt-lean-search"),
     ("`restarts-2` = `AcquisitionOptimizerOptions(n_restarts=2)` (default 8); "
      "`restarts-4-maxiter-25` = 4 L-BFGS-B starts of at most 25 iterations (default 100); "
      "`lean-search` = 4 starts, `ftol=1e-6` (default 1e-9), 1024 Sobol candidates and 256 "
      "perturbations of the incumbents (default 2048 and 512); decision rule and speed screen "
      "in bench/results/acq_effort.md")),
    ("Eighth round (issue 17): design size, random interleaving, a rougher kernel",
     ("bayesopt-n-initial-half", "bayesopt-n-initial-2d", "bayesopt-interleave-10",
      "bayesopt-matern32"),
     ("`n-initial-half` = `n_initial` max(3, ⌈(d + 1)/2⌉) (Bossek et al. 2020: small designs); "
      "`n-initial-2d` = 2d within [5, 20] (towards EGO's 10d, Jones et al. 1998); "
      "`interleave-10` = `OptimizerOptions(random_interleave=10)`: every 10th asked point "
      "uniformly random (SMAC, Hutter et al. 2011); `matern32` = kernel Matérn-3/2 (Stein "
      "1999: a kernel rougher than the objective errs safe); the rule, written first: "
      "bench/results/ablation_round8.md")),
    ("Ninth round (issue 17): the kernel's smoothness chosen by the evidence at each refit",
     ("bayesopt-matern32", "bayesopt-smoothness-select", "bayesopt-smoothness-average"),
     ("`matern32` as in the eighth round; `smoothness-select` = `ModelOptions(kernel_candidates="
      "(\"matern32\",))`: Matérn-5/2 and Matérn-3/2 both fitted at each MAP refit, the one with "
      "the higher log marginal posterior used until the next refit (R&W 2006 Sec. 5.4; "
      "Malkomes, Schaff & Garnett 2016); `smoothness-average` = the same two fits, the "
      "acquisition averaged over both GPs with weights ∝ exp(log marginal posterior) "
      "(`kernel_average=True`); the rule, written first: "
      "bench/results/ablation_round9.md")),
    ("Tenth round (issue 17): Spearmint's two options on the whole suite",
     ("bayesopt-mcmc", "bayesopt-input-warping"),
     ("`mcmc` = `ModelOptions(hyperparameters=\"mcmc\")`: the GP hyperparameters slice-sampled "
      "(Murray & Adams 2010), the acquisition averaged over 10 samples (Spearmint, Snoek et al. "
      "2012); `input-warping` = `ModelOptions(input_warping=True)`: a Kumaraswamy CDF per "
      "non-one-hot input fitted with the hyperparameters (Snoek et al. 2014); fresh runs of all "
      "24 problems, replacing the second round's partial ones; the rule, written first: "
      "bench/results/ablation_round10.md")),
    ("Eleventh round (issue 17): GP-Hedge on the whole suite, and with the evidence-chosen kernel",
     ("bayesopt-hedge", "bayesopt-smoothness-select", "bayesopt-select-hedge"),
     ("`hedge` as in the third round, fresh runs of all 24 problems replacing its partial ones; "
      "`smoothness-select` as in the ninth round (shown for comparison, not rerun); "
      "`select-hedge` = both at once: `acquisition=\"hedge\"` with `ModelOptions("
      "kernel_candidates=(\"matern32\",))`; the rule, written first: "
      "bench/results/ablation_round11.md")),
    ("Thirteenth round (issue 17): the trust region only where the issue proposed it (d ≥ 10)",
     ("bayesopt-trust-region", "bayesopt-trust-region-d10"),
     ("`trust-region` as in the second round, the twelfth round's fresh runs of all 24 problems "
      "(bench/results/ablation_round12.md); `trust-region-d10` = the same trust region when "
      "the space has d ≥ 10 dimensions (levy10, ackley10, rosenbrock10), the default "
      "otherwise; its seeds 0–9 are copies of those runs, its fresh runs are seeds 10–19 "
      "(bench/results/replication); the rule, written first: "
      "bench/results/ablation_round13.md")),
    ("Fourteenth round (issue 17): noisy expected improvement",
     ("bayesopt-lognei",),
     ("`lognei` = `acquisition=\"lognei\"`: noisy EI (Letham et al. 2019) in log space, LogEI "
      "averaged over 16 scrambled-Sobol samples of the noise-free values at the observed "
      "points (`bayesopt.noisy`); fresh runs of all 24 problems, rerun after the fix of the "
      "samples' conditioning noise (review15, 8ca7bd2b; the first runs are in git history at "
      "4d8c697b); the rule, written first: bench/results/ablation_round14.md")),
    ("Fifteenth round (issue 17): HEBO's MACE acquisition ensemble",
     ("bayesopt-mace",),
     ("`mace` = `acquisition=\"mace\"`: each point drawn uniformly from the Pareto front of "
      "LogEI, log PI and UCB (Cowen-Rivers et al. 2022, HEBO) over the three members' "
      "maximizers and the acquisition optimizer's candidate pool (`bayesopt.mace`); the rule, "
      "written first: bench/results/ablation_round15.md")),
    ("Sixteenth round (issue 17): Optuna GPSampler's hyperparameter priors",
     ("bayesopt-optprior", "bayesopt-optprior-jac"),
     ("`optprior` = `lengthscale_prior`, `variance_prior` and `noise_prior=\"optuna\"` with "
      "`FitOptions(noise_bounds=(1e-6, 10))`: GPSampler's log prior −Σ(0.1/λ + 0.1·λ) on "
      "λ = l⁻², Gamma(2, 1) on the kernel scale, Gamma(1.1, 30) on the noise and its noise "
      "floor, as its MAP objective (`bayesopt.priors`); `optprior-jac` = the same densities "
      "carried to the log-parameters with the Jacobian (\"optuna-jacobian\"), run on "
      "hartmann6 and levy10 only; the rule, written first: "
      "bench/results/ablation_round16.md")),
    ("Seventeenth round (issue 17): Optuna GPSampler's choice of acquisition-search starts",
     ("bayesopt-roulette", "bayesopt-optprior-roulette"),
     ("`roulette` = `AcquisitionOptimizerOptions(start_selection=\"roulette\")`: the best "
      "candidate, then n_restarts − 1 L-BFGS-B starts drawn without replacement with "
      "p ∝ exp(a − max a) (GPSampler's `optimize_acqf_mixed`, optuna 5.1.0); "
      "`optprior-roulette` = the same with the sixteenth round's `optprior`, run on hartmann6 "
      "only; the rule, written first: bench/results/ablation_round17.md")),
    ("Eighteenth round (issue 18, judged by issue 17's rule): the polish's stopping rule alone",
     ("bayesopt-polish-rise",),
     ("`polish-rise` = `AcquisitionOptimizerOptions(polish_rise_tol=1e-3)`: the batched local "
      "search of the acquisition also ends after the first iteration in which no start's log "
      "EI rose by more than 1e-3 (bench/results/small_n_step4.md); the rule, written first: "
      "bench/results/ablation_round18.md")),
    ("Nineteenth round (issue 17): Optuna GPSampler's warm start at the best observed point",
     ("bayesopt-incumbent-start",),
     ("`incumbent-start` = `AcquisitionOptimizerOptions(incumbent_start=True)`: the default's "
      "8 L-BFGS-B starts and one more, at the observed point of the incumbent rule (the best "
      "posterior mean), searched on its own (GPSampler's warm start, optuna 5.1.0 "
      "`optimize_acqf_mixed`); the rule, written first: bench/results/ablation_round19.md")),
    ("Twentieth round (issue 18, judged by issue 17's rule): the polish's stopping rule at 1e-4",
     ("bayesopt-polish-rise-1e-4",),
     ("`polish-rise-1e-4` = `AcquisitionOptimizerOptions(polish_rise_tol=1e-4)`: the "
      "eighteenth round's rule at its milder setting, the batched local search ending after "
      "the first iteration in which no start's log EI rose by more than 1e-4 "
      "(bench/results/small_n_step4.md); the rule, written first: "
      "bench/results/ablation_round20.md")),
    ("Twenty-first round (issue 17): UCB only where d ≥ 10",
     ("bayesopt-ucb-d10",),
     ("`ucb-d10` = `acquisition=\"ucb\"` (its default β schedule, no tuning) when the space "
      "has d ≥ 10 dimensions (levy10, ackley10, rosenbrock10), LogEI otherwise "
      "(bench/results/ucb_d10.md); its runs elsewhere are the default's; the rule, written "
      "first: bench/results/ablation_round21.md")),
    ("Twenty-second round (issue 17): a uniform random initial design",
     ("bayesopt-uniform-design",),
     ("`uniform-design` = the default told n_initial uniform random points of the box "
      "(numpy `RandomState(seed)`, as Optuna's startup draws them) instead of asking its "
      "scrambled-Sobol design (bench/results/hartmann6_designs.md); the rule, written first: "
      "bench/results/ablation_round22.md")),
    ("Twenty-fourth round (issue 17): augmented EI, and GPSampler's priors one block at a time",
     ("bayesopt-logaei", "bayesopt-optuna-lengthscale", "bayesopt-optuna-noise"),
     ("`logaei` = `acquisition=\"logaei\"`: LogEI + log(1 − σ_n/√(σ² + σ_n²)), σ_n the "
      "fitted observation noise (augmented EI, Huang et al. 2006); `optuna-lengthscale` = "
      "`lengthscale_prior=\"optuna\"` alone (GPSampler's −(0.1/λ + 0.1·λ) on λ = l⁻²); "
      "`optuna-noise` = `noise_prior=\"optuna\"` with `FitOptions(noise_bounds=(1e-6, 10))` "
      "alone (GPSampler's Gamma(1.1, 30) and its noise floor); the rule: "
      "bench/results/ablation_round24.md")),
    ("Twenty-fifth round (issue 17): augmented EI only where d ≥ 10",
     ("bayesopt-logaei-d10",),
     ("`logaei-d10` = `acquisition=\"logaei\"` when the space has d ≥ 10 dimensions "
      "(levy10, ackley10, rosenbrock10), LogEI otherwise; its runs elsewhere are the "
      "default's; the rule, written first: bench/results/ablation_round25.md")),
    ("Twenty-sixth round (issue 17): the squared exponential kernel (BoTorch's)",
     ("bayesopt-rbf", "bayesopt-rbf-hvarfner"),
     ("`rbf` = `kernel=\"rbf\"` (the squared exponential) with the default's lengthscale "
      "prior; `rbf-hvarfner` = the same with `lengthscale_prior=\"hvarfner\"` (Hvarfner et "
      "al. 2024's LogNormal(√2 + ½ log d, √3), BoTorch's pairing); the rule, written first: "
      "bench/results/ablation_round26.md")),
    ("Twenty-seventh round (issue 17): each refit started at the prior's mode",
     ("bayesopt-fit-from-mode", "bayesopt-local-map"),
     ("`fit-from-mode` = `ModelOptions(fit_start=\"mode\")`: each MAP refit's first L-BFGS-B "
      "run starts at the prior's mode instead of the last fit's θ, the prior restarts as "
      "before; `local-map` = the same with `n_restarts=0`, one run from the mode per refit; "
      "the rule: bench/results/ablation_round27.md")),
)
# problem -> regret within which a seed counts as having found the global optimum
HIT_TOLERANCE = {"hartmann6": 0.05, "hartmann6_noisy": 0.05}
HIT_CHECKPOINTS = (50, 80)  # evaluations at which the hits are counted (those within the budget)


def write_ablation(out: Path, cells: dict[tuple[str, str], Cell], problems: list[str],
                   variants: list[str], seeds: list[int], command: str) -> Path:
    """bayesopt's default against variants with one setting changed, per problem, by round.

    `variants` are the default (first) and the ablations cached; each round of
    `ABLATION_ROUNDS` with one of them cached gets a section.
    """
    lines = ["# Ablation: bayesopt's defaults, one at a time", "",
             f"- date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M UTC}; command: `{command}`",
             f"- seeds: {seed_text(seeds)}; same problems, budgets and judging as quality.md",
             ("- the default's column is its committed runs, which follow the current version; "
              "a variant's runs keep the version they were recorded with (`git log` of "
              "bench/results/runs/<problem>/<variant>), so a round older than the default's "
              "runs compares across a change of version (bench/results/restart_every.md)")]
    for title, members, legend in ABLATION_ROUNDS:
        present = [v for v in members if v in variants[1:]]
        if present:
            lines += ["", f"## {title}", "", f"- each variant changes one setting: {legend}", ""]
            lines += _ablation_table(cells, problems, [variants[0], *present])
            lines += _hits_table(cells, [variants[0], *present])
    path = out / "ablation.md"
    path.write_text("\n".join(lines) + "\n")
    return path


def _ablation_table(cells: dict[tuple[str, str], Cell], problems: list[str],
                    variants: list[str]) -> list[str]:
    """Median [quartiles] per problem where the default and a variant ran ("—": not run);
    the mean rank over the problems where all ran."""
    rows = [p for p in problems
            if (p, variants[0]) in cells and any((p, v) in cells for v in variants[1:])]
    complete = [p for p in rows if all((p, v) in cells for v in variants)]
    rank_table = ranks(cells, complete, variants)
    lines = ["| problem | " + " | ".join(variants) + " |", "|---|" + "---:|" * len(variants)]
    for problem in rows:
        lines.append(f"| {problem} | " + " | ".join(
            _cell_text(cells[problem, v]) if (problem, v) in cells else "—"
            for v in variants) + " |")
    if complete:
        means = {v: np.mean([rank_table[p][v] for p in complete]) for v in variants}
        lines.append(f"| **mean rank** ({len(complete)} problems) | "
                     + " | ".join(f"**{means[v]:.2f}**" for v in variants) + " |")
    return lines


def _hits_table(cells: dict[tuple[str, str], Cell], variants: list[str]) -> list[str]:
    """Seeds whose best observed point is within `HIT_TOLERANCE` of f* (judged noiselessly)
    after each checkpoint of `HIT_CHECKPOINTS` the runs reach."""
    rows = []
    for problem, tolerance in HIT_TOLERANCE.items():
        for checkpoint in HIT_CHECKPOINTS:
            texts = [_hits(cells.get((problem, v)), tolerance, checkpoint) for v in variants]
            if any(t != "—" for t in texts):
                rows.append(f"| {problem} at {checkpoint} | " + " | ".join(texts) + " |")
    if not rows:
        return []
    return ["", "Seeds within " + ", ".join(f"{t} of f* on {p}" for p, t in HIT_TOLERANCE.items())
            + " (by the noiseless value of the best observed point):", "",
            "| problem, evaluations | " + " | ".join(variants) + " |",
            "|---|" + "---:|" * len(variants), *rows]


def _hits(cell: Cell | None, tolerance: float, checkpoint: int) -> str:
    if cell is None or cell.curves.shape[1] < checkpoint:
        return "—"
    hits = int(np.sum(cell.curves[:, checkpoint - 1] <= tolerance))
    return f"{hits}/{cell.curves.shape[0]}"


if __name__ == "__main__":
    sys.exit(main())

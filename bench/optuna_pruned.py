"""BayesoptSampler under Optuna's pruners: PRUNED trials told as failures (before) or as
pruned runs with their intermediate values (after), beside Optuna's TPE.

    python -m bench.optuna_pruned run --label after --samplers bayesopt,tpe --seeds 0-9 \\
        --out /tmp/runs-after.jsonl
    python -m bench.optuna_pruned report /tmp/runs-before.jsonl /tmp/runs-after.jsonl

A study of `--trials` trials (the same number for every arm) on each learning-curve problem
of `bench.fidelity` (sgd_digits and mlp_digits: epochs of `partial_fit` on digits;
hgb_cancer: boosting rounds, 4 per step; branin_mf: the synthetic curve, Branin at the top
budget) with the pruner given to `optuna.create_study`:

    median   MedianPruner()                 (its defaults: 5 startup trials, no warm-up)
    sha      SuccessiveHalvingPruner()      (its defaults: min_resource "auto", η = 4)

Each trial reports its curve at steps 1..R (R = bench.fidelity.R = 27) and stops when
`trial.should_prune()` says so. An arm is one sampler: "bayesopt", `BayesoptSampler(seed=s)`
of the bayesopt the command imports (run once with the code before the change and once
after, each run labelled), or "tpe", `TPESampler(seed=s)`. Each run records the best value
of a COMPLETE trial (`study.best_value`: the validation error, or Branin's value, at R), the
epochs trained (the sum of the steps reported), the trials pruned, and the process CPU
seconds. `report` prints the median of each over the seeds, one row per problem and pruner,
and the Mann–Whitney p-value of before against after on the best values; and, from each
run's trace (after each trial: the epochs so far and the best COMPLETE value so far), the
median best value of "after" and of "tpe" once they had trained as many epochs as "before"
did with the same seed, at most (inf: no COMPLETE trial by then).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.fidelity import PROBLEMS as CURVES
from bench.fidelity import MFProblem, R, _seeds

PROBLEMS = ("sgd_digits", "mlp_digits", "hgb_cancer", "branin_mf")
PRUNERS = ("median", "sha")
SAMPLERS = ("bayesopt", "tpe")
TRIALS = 30


def _pruner(name: str) -> Any:
    import optuna

    if name == "median":
        return optuna.pruners.MedianPruner()
    return optuna.pruners.SuccessiveHalvingPruner()


def _sampler(name: str, seed: int) -> Any:
    import optuna

    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed)
    from bayesopt.integrations.optuna import BayesoptSampler

    return BayesoptSampler(seed=seed)


def _objective(problem: MFProblem, epochs: list[int]) -> Callable[[Any], float]:
    from bench.conditional import suggest

    def objective(trial: Any) -> float:
        import optuna

        params = {name: suggest(trial, dim.named(name)) for name, dim in problem.space.items()}
        value = math.nan
        for step in range(1, R + 1):
            value = problem.value(params, step)
            epochs.append(1)
            trial.report(value, step)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return value

    return objective


def run_one(problem: str, pruner: str, sampler: str, seed: int, trials: int) -> dict[str, Any]:
    import warnings

    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    epochs: list[int] = []
    trace: list[tuple[int, float]] = []  # after each trial: epochs so far, best COMPLETE value

    def after(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        done = [t.value for t in study.trials
                if t.state == optuna.trial.TrialState.COMPLETE and t.value is not None]
        trace.append((len(epochs), min(done) if done else math.inf))

    study = optuna.create_study(sampler=_sampler(sampler, seed), pruner=_pruner(pruner))
    start = time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        study.optimize(_objective(CURVES[problem], epochs), n_trials=trials, callbacks=[after])
    states = [t.state.name for t in study.trials]
    return {"problem": problem, "pruner": pruner, "sampler": sampler, "seed": seed,
            "trials": trials, "best": study.best_value, "epochs": len(epochs),
            "pruned": states.count("PRUNED"), "complete": states.count("COMPLETE"),
            "cpu": time.process_time() - start, "trace": trace}


def run(args: argparse.Namespace) -> None:
    import bayesopt

    out = Path(args.out)
    done = set()
    if out.exists():
        for line in out.read_text().splitlines():
            r = json.loads(line)
            done.add((r["problem"], r["pruner"], r["sampler"], r["seed"]))
    for seed in _seeds(args.seeds):  # seed by seed: an interrupted run has every cell
        for problem in args.problems.split(","):
            for pruner in args.pruners.split(","):
                for sampler in args.samplers.split(","):
                    if (problem, pruner, sampler, seed) in done:
                        continue
                    record = run_one(problem, pruner, sampler, seed, args.trials)
                    record["label"] = args.label if sampler == "bayesopt" else sampler
                    record["bayesopt"] = os.path.dirname(bayesopt.__file__)
                    record["load"] = os.getloadavg()[0]
                    with out.open("a") as f:
                        f.write(json.dumps(record) + "\n")
                    print(json.dumps(record), flush=True)


def report(paths: list[str]) -> str:
    from scipy.stats import mannwhitneyu

    records = list({(r["label"], r["problem"], r["pruner"], r["seed"]): r for r in reversed(
        [json.loads(line) for path in paths for line in Path(path).read_text().splitlines()])
    }.values())  # a run recorded twice (two files) counts once: its first record
    found = {r["label"] for r in records}
    labels = [lab for lab in ("before", "after", "tpe") if lab in found] + sorted(
        found - {"before", "after", "tpe"})
    head = ("| problem | pruner | " + " | ".join(f"best: {lab}" for lab in labels)
            + " | p (before vs after) | " + " | ".join(f"epochs: {lab}" for lab in labels)
            + " | " + " | ".join(f"pruned: {lab}" for lab in labels) + " | "
            + " | ".join(f"best: {lab} at before's epochs" for lab in labels if lab != "before")
            + " | seeds |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for problem in PROBLEMS:
        for pruner in PRUNERS:
            rows = {lab: [r for r in records if r["problem"] == problem
                          and r["pruner"] == pruner and r["label"] == lab] for lab in labels}
            if not any(rows.values()):
                continue
            seeds = {lab: len(rs) for lab, rs in rows.items()}

            def med(key: str, lab: str, rows: dict[str, list[dict[str, Any]]] = rows) -> str:
                values = [r[key] for r in rows[lab]]
                return f"{statistics.median(values):.4g}" if values else "–"

            budget = {r["seed"]: r["epochs"] for r in rows.get("before", [])}

            def at_budget(lab: str, rows: dict[str, list[dict[str, Any]]] = rows,
                          budget: dict[int, int] = budget) -> str:
                """The median over seeds of the best value once `lab` had trained no more
                epochs than "before" did with the same seed (its trace; inf: none yet)."""
                values = [min([b for e, b in r["trace"] if e <= budget[r["seed"]]],
                              default=math.inf)
                          for r in rows[lab] if "trace" in r and r["seed"] in budget]
                return f"{statistics.median(values):.4g}" if values else "–"

            p = "–"
            if rows.get("before") and rows.get("after"):
                p = f"{mannwhitneyu([r['best'] for r in rows['before']], [r['best'] for r in rows['after']]).pvalue:.2g}"
            lines.append(f"| {problem} | {pruner} | "
                         + " | ".join(med("best", lab) for lab in labels) + f" | {p} | "
                         + " | ".join(med("epochs", lab) for lab in labels) + " | "
                         + " | ".join(med("pruned", lab) for lab in labels) + " | "
                         + " | ".join(at_budget(lab) for lab in labels if lab != "before")
                         + " | " + "/".join(str(seeds[lab]) for lab in labels) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run")
    r.add_argument("--label", required=True, help="the label of the bayesopt arm")
    r.add_argument("--problems", default=",".join(PROBLEMS))
    r.add_argument("--pruners", default=",".join(PRUNERS))
    r.add_argument("--samplers", default="bayesopt")
    r.add_argument("--seeds", default="0-9")
    r.add_argument("--trials", type=int, default=TRIALS)
    r.add_argument("--out", required=True, help="JSON lines, one run each (appended; "
                                                "runs already there are skipped)")
    rep = sub.add_parser("report")
    rep.add_argument("paths", nargs="+")
    args = parser.parse_args()
    if args.command == "run":
        run(args)
    else:
        sys.stdout.write(report(args.paths) + "\n")


if __name__ == "__main__":
    main()

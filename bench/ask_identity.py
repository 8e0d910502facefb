"""Record the points the optimizer asks on a fixed set of runs, and compare two recordings.

    python -m bench.ask_identity record --out asks.json [--steps 60] [--problems P,Q]
                                        [--model KEY=VALUE ...]
    python -m bench.ask_identity compare before.json after.json [--common]

A change meant to be a pure speed-up (same arithmetic, fewer Python calls)
must leave every ask bit-for-bit identical; this is the check. The runs
cover the paths an ask can take:

- branin (2 continuous dimensions) and hartmann6 (6), the synthetic problems;
- hartmann6 after 190 random observations, so the run crosses n = 200 and
  the refit schedule switches from every step to every `refit_growth · n`
  tells (block appends in between);
- sgd_cancer (two categoricals, a log-scaled real) and hgb_cancer (integers),
  the mixed spaces of the quality suite;
- every tenth step asks a batch of 3 (pending points as fantasies).

`--model KEY=VALUE` records with `ModelOptions(KEY=VALUE)` (string values), so an
option meant to change nothing on some spaces (categorical_kernel="hamming" without
a categorical) can be compared with the default's recording (`compare --common`).

Each run is seeds 0 and 1. Values are stored as JSON numbers, which
round-trip float64 exactly, so "equal" below means bit-for-bit.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np

from bayesopt import ModelOptions, Optimizer, OptimizerOptions
from bayesopt.argtypes import positive_int
from bench.problems import make_problem

SEEDS = (0, 1)
BATCH_EVERY, BATCH_SIZE = 10, 3


@dataclass(frozen=True)
class Case:
    problem: str
    prefill: int = 0  # random observations told before the recorded steps

    @property
    def label(self) -> str:
        return self.problem + (f"+{self.prefill}" if self.prefill else "")


CASES = (Case("branin"), Case("hartmann6", prefill=190), Case("sgd_cancer"), Case("hgb_cancer"))


def record_run(case: Case, seed: int, steps: int,
               model: dict[str, str] | None = None) -> list[list[dict[str, Any]]]:
    """The asks of one run: one list of params dicts per step (one dict, or a batch);
    `model`: ModelOptions fields to set (None: the default optimizer)."""
    problem = make_problem(case.problem, seed)
    fields: dict[str, Any] | None = model  # string values, which ModelOptions checks
    options = None if fields is None else OptimizerOptions(model=ModelOptions(**fields))
    opt = Optimizer(problem.space, seed=seed, options=options)
    if case.prefill:
        rng = np.random.default_rng(1000 + seed)
        points = [{name: dim.decode(dim.from_unit(rng.random(1)))[0]
                   for name, dim in problem.space.items()} for _ in range(case.prefill)]
        opt.tell(points, [problem.evaluate(p) for p in points])
    asks = []
    for step in range(steps):
        batch = opt.ask(BATCH_SIZE) if step % BATCH_EVERY == BATCH_EVERY - 1 else [opt.ask()]
        opt.tell(batch, [problem.evaluate(p) for p in batch])
        asks.append(batch)
    return asks


def record(steps: int, problems: list[str] | None = None,
           model: dict[str, str] | None = None) -> dict[str, Any]:
    runs = {}
    for case in CASES:
        if problems is not None and case.problem not in problems:
            continue
        for seed in SEEDS:
            runs[f"{case.label}/seed{seed}"] = record_run(case, seed, steps, model)
            print(f"{case.label} seed {seed}: done", file=sys.stderr, flush=True)
    return {"steps": steps, "runs": runs}


def differences(before: dict[str, Any], after: dict[str, Any], common: bool = False) -> list[str]:
    """One line per run whose asks differ (the first differing step), or that only one
    recording has (unless `common`: then only the runs both have are compared)."""
    lines = []
    keys = set(before["runs"]) & set(after["runs"]) if common else set(before["runs"]) | set(after["runs"])
    for key in sorted(keys):
        a, b = before["runs"].get(key), after["runs"].get(key)
        if a is None or b is None:
            lines.append(f"{key}: only in {'after' if a is None else 'before'}")
            continue
        first = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), None)
        if first is not None or len(a) != len(b):
            step = first if first is not None else min(len(a), len(b))
            lines.append(f"{key}: first differs at step {step}")
    return lines


def _setting(text: str) -> tuple[str, str]:
    """"KEY=VALUE" → (KEY, VALUE)."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"{text!r} is not KEY=VALUE")
    return key, value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    rec = commands.add_parser("record")
    rec.add_argument("--out", required=True)
    rec.add_argument("--steps", type=positive_int, default=60)
    rec.add_argument("--problems", help="comma-separated subset of the cases' problems")
    rec.add_argument("--model", action="append", default=[], type=_setting,
                     metavar="KEY=VALUE", help="a ModelOptions field (string value)")
    cmp = commands.add_parser("compare")
    cmp.add_argument("before")
    cmp.add_argument("after")
    cmp.add_argument("--common", action="store_true", help="compare only the runs both have")
    args = parser.parse_args(argv)
    if args.command == "record":
        with open(args.out, "w", encoding="utf-8") as handle:
            problems = None if args.problems is None else args.problems.split(",")
            json.dump(record(args.steps, problems, dict(args.model) or None), handle)
        return 0
    with open(args.before, encoding="utf-8") as a, open(args.after, encoding="utf-8") as b:
        lines = differences(json.load(a), json.load(b), args.common)
    print("\n".join(lines) if lines else "identical: every ask of every run is bit-for-bit equal")
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main())

"""Quality and step time of optimizer settings that differ only at large n.

    python -m bench.large_n run [--problems ...] [--seeds 6] [--prefix 200] [--budget 600]
                                [--arms fcu400,fcu200] [--out DIR]
    python -m bench.large_n report [--problems ...] [--seeds 6] [--checkpoints 300,400,600]
                                   [--arms fcu400,fcu200] [--out DIR]
    python -m bench.large_n step-time [--n 1000] [--steps 10] [--rounds 3] [--arms ...]

The quality suite stops at 100 evaluations, so it says nothing about a setting
that changes the asks only beyond n = 100: the candidate counts'
`AcquisitionOptimizerOptions.full_candidates_until` and the refit schedule's
`ModelOptions.refit_growth` and `refit_every_step_until` (`ARM_SETTINGS`; an arm, `ARMS`, pins both and is
named after their values). Here every arm shares one prefix:

    prefix   the first arm's optimizer runs `--prefix` evaluations of (problem,
             seed) and journals them (once, cached under DIR/prefix/);
    arm      a copy of that journal whose header carries the arm's settings is
             resumed (`Optimizer.resume`, so the random generator and the model
             continue exactly where the prefix stopped) and run on to `--budget`
             evaluations (DIR/ARM/problem-seed.json; a run already there with that
             budget is kept, not rerun).

The arms, and the cached prefix journal, ask identically up to the prefix when
they differ only in `ARM_SETTINGS` and, for each setting they differ in, the n
up to which it changes no ask is ≥ the prefix for every one of them
(full_candidates_until and refit_every_step_until themselves; refit_every_step_until
for refit_growth, since until then every tell refits) — checked. So the comparison is paired by seed: same initial
design, same first `--prefix` points, same noise stream (the problem is fresh
in each process; the prefix's evaluations are replayed to advance its noise,
and must reproduce the journal's values). The score is the quality suite's
(`bench.quality.score_curve`: noiseless regret of the best observed point);
`report` compares each arm with the first, at each checkpoint, with
`bench.compare_runs`'s statistics (unpaired and paired bootstrap intervals
of the median difference, paired Wilcoxon).

step-time: CPU time per ask+tell at n random Hartmann-6 observations, one
thread, the arms alternated for `--rounds` rounds in this process, measured as
`bench.overhead` does: the mean step without a refit, one warm refit, and the
amortized step that pays a refit's share under the arm's schedule.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from bayesopt import Optimizer, OptimizerOptions, ResumeWarning
from bayesopt.argtypes import positive_int
from bench.compare_runs import report as compare_report
from bench.compare_runs import sign_test
from bench.overhead import bayesopt_row
from bench.problems import NOISY, SYNTHETIC, make_problem
from bench.protocol import Problem
from bench.quality import SCRATCH, one_thread, score_curve


@dataclass(frozen=True)
class ArmSetting:
    """A setting an arm may change: the `OptimizerOptions` field (`section`) holding it, and
    the field of that section (`inert_until`) up to whose value of n it changes no ask."""

    section: str
    inert_until: str


# the settings arms may differ in; arms differing in one share a prefix no longer than
# its `inert_until` (checked): the candidate counts shrink only beyond full_candidates_until,
# and the hyperparameters are refit after every tell (whatever refit_growth) up to
# refit_every_step_until
ARM_SETTINGS: dict[str, ArmSetting] = {
    "full_candidates_until": ArmSetting("acquisition_optimizer", "full_candidates_until"),
    "refit_growth": ArmSetting("model", "refit_every_step_until"),
    "refit_every_step_until": ArmSetting("model", "refit_every_step_until"),
    "candidate_group": ArmSetting("acquisition_optimizer", "full_candidates_until"),
}

# arm name -> the settings it pins (the first listed is the reference); stated in full, so
# an arm means the same after a default changes: fcu400 is 0.3.0's default, and an arm
# without "-growth" refits at 10 % growth (0.3.0's refit_growth)
ARMS: dict[str, dict[str, Any]] = {
    "fcu400": {"full_candidates_until": 400, "refit_growth": 0.1, "candidate_group": 1},
    "fcu200": {"full_candidates_until": 200, "refit_growth": 0.1, "candidate_group": 1},
    "fcu200-growth0.2": {"full_candidates_until": 200, "refit_growth": 0.2, "candidate_group": 1},
    # the every-tell refits up to n = 200 (0.4.0's default) or only up to n = 100
    "refit200": {"full_candidates_until": 200, "refit_growth": 0.2, "refit_every_step_until": 200,
                 "candidate_group": 1},
    "refit100": {"full_candidates_until": 200, "refit_growth": 0.2, "refit_every_step_until": 100,
                 "candidate_group": 1},
    # the shrunk candidate counts as computed (0.14.0) or rounded down to a multiple of 8
    # (0.15.0's default; bench/results/candidate_groups.md)
    "group1": {"full_candidates_until": 200, "refit_growth": 0.2, "refit_every_step_until": 200,
               "candidate_group": 1},
    "group8": {"full_candidates_until": 200, "refit_growth": 0.2, "refit_every_step_until": 200,
               "candidate_group": 8},
}
DEFAULT_PROBLEMS = "levy10,ackley10,rosenbrock10,styblinski_tang8"
DEFAULT_OUT = SCRATCH / "large_n"


def _with_settings(options: OptimizerOptions, settings: dict[str, Any]) -> OptimizerOptions:
    """`options` with each of `settings` (names of `ARM_SETTINGS`) replaced in its section."""
    sections: dict[str, Any] = {}
    for name, value in settings.items():
        section = ARM_SETTINGS[name].section
        sections[section] = replace(sections.get(section, getattr(options, section)),
                                    **{name: value})
    return replace(options, **sections)


def arm_options(arm: str) -> OptimizerOptions:
    """The default optimizer options with the arm's settings."""
    if arm not in ARMS:
        raise ValueError(f"unknown arm {arm!r}; known: {', '.join(ARMS)}")
    unknown = [name for name in ARMS[arm] if name not in ARM_SETTINGS]
    if unknown:
        raise ValueError(f"arm {arm!r} sets {', '.join(unknown)}; an arm may set only "
                         f"{', '.join(ARM_SETTINGS)}")
    return _with_settings(OptimizerOptions(), ARMS[arm])


def _setting(options: OptimizerOptions, section: str, name: str) -> Any:
    return getattr(getattr(options, section), name)


def _check_shared(prefix: int, runs: dict[str, OptimizerOptions]) -> None:
    """Runs with these options (keyed by how an error names them; the first is the reference)
    ask alike for the first `prefix` evaluations: they differ only in `ARM_SETTINGS`, and
    where they differ in one, each run's `inert_until` of it is ≥ the prefix."""
    (first, reference), *_ = runs.items()
    as_reference = {name: _setting(reference, s.section, name) for name, s in ARM_SETTINGS.items()}
    for label, options in runs.items():
        if _with_settings(options, as_reference) != reference:
            raise ValueError(f"{label} differs from {first} in more than "
                             f"{', '.join(ARM_SETTINGS)}: it cannot share the prefix")
    for name, setting in ARM_SETTINGS.items():
        if len({_setting(options, setting.section, name) for options in runs.values()}) == 1:
            continue
        for label, options in runs.items():
            bound = _setting(options, setting.section, setting.inert_until)
            if bound < prefix:
                raise ValueError(f"{label} has {setting.inert_until}={bound} < --prefix={prefix}"
                                 f": with {name} differing, its asks would differ inside the "
                                 "shared prefix")


def _step(opt: Optimizer, problem: Problem) -> dict[str, Any]:
    start = time.process_time()
    params = opt.ask()
    overhead = time.process_time() - start
    value = problem.evaluate(params)
    start = time.process_time()
    opt.tell(params, value)
    return {"params": params, "value": value, "true_value": problem.true_value(params),
            "cpu": overhead + time.process_time() - start}


def _prefix_paths(out: Path, problem: str, seed: int) -> tuple[Path, Path]:
    stem = out / "prefix" / f"{problem}-{seed}"
    return stem.with_suffix(".jsonl"), stem.with_suffix(".json")


def run_prefix(out: Path, problem: str, seed: int, prefix: int, arm: str) -> None:
    """The first `prefix` evaluations under `arm`'s options, journaled (skipped when cached)."""
    journal, steps_path = _prefix_paths(out, problem, seed)
    if steps_path.exists():
        return
    journal.parent.mkdir(parents=True, exist_ok=True)
    journal.unlink(missing_ok=True)
    instance = make_problem(problem, seed)
    opt = Optimizer(dict(instance.space), seed=seed, journal=journal, options=arm_options(arm))
    steps = [_step(opt, instance) for _ in range(prefix)]
    opt.close()
    steps_path.write_text(json.dumps({"prefix": prefix, "steps": steps}))


def _arm_journal(source: Path, target: Path, arm: str) -> None:
    """A copy of the prefix journal whose header carries the arm's settings."""
    lines = source.read_text().splitlines(keepends=True)
    header = json.loads(lines[0])
    for name, value in ARMS[arm].items():
        header["config"]["options"][ARM_SETTINGS[name].section][name] = value
    for key in ("fingerprint", "resolved_config"):  # the resumed optimizer states its own
        header.pop(key, None)
    target.write_text(json.dumps(header) + "\n" + "".join(lines[1:]))


def _journal_options(journal: Path) -> OptimizerOptions:
    with journal.open() as lines:
        return OptimizerOptions.from_dict(json.loads(next(lines))["config"]["options"])


def _resumed(out: Path, problem: str, seed: int, arm: str) -> tuple[Optimizer, Problem, list[dict[str, Any]]]:
    journal, steps_path = _prefix_paths(out, problem, seed)
    prefix_steps = json.loads(steps_path.read_text())["steps"]
    # the cached prefix may come from another arm: it must ask as this one does
    _check_shared(len(prefix_steps), {f"the prefix journal {journal}": _journal_options(journal),
                                      f"arm {arm!r}": arm_options(arm)})
    copy = out / arm / f"{problem}-{seed}.jsonl"
    copy.parent.mkdir(parents=True, exist_ok=True)
    _arm_journal(journal, copy, arm)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResumeWarning)  # it holds evaluations: that is the point
        opt = Optimizer.resume(copy, append=False)
    copy.unlink()
    assert opt.options == arm_options(arm), "the arm's options were not read"
    instance = make_problem(problem, seed)
    for step in prefix_steps:  # advance the noise stream as the prefix did
        assert instance.evaluate(step["params"]) == step["value"], "the prefix does not replay"
    return opt, instance, prefix_steps


def run_arm(out: Path, problem: str, seed: int, arm: str, budget: int) -> None:
    """Resume the prefix under the arm's options and run on to `budget` evaluations."""
    path = out / arm / f"{problem}-{seed}.json"
    if path.exists() and json.loads(path.read_text())["budget"] >= budget:
        return
    opt, instance, prefix_steps = _resumed(out, problem, seed, arm)
    steps = prefix_steps + [_step(opt, instance) for _ in range(budget - len(prefix_steps))]
    path.write_text(json.dumps({"problem": problem, "seed": seed, "arm": arm, "budget": budget,
                                "prefix": len(prefix_steps), "steps": steps}))


def _check_prefix(prefix: int, arms: list[str], budget: int) -> None:
    """The arms must ask alike for the first `prefix` evaluations (`_check_shared`)."""
    if prefix >= budget:
        raise ValueError(f"--prefix={prefix} must be smaller than --budget={budget}")
    _check_shared(prefix, {f"arm {arm!r}": arm_options(arm) for arm in arms})


def run(out: Path, problems: list[str], seeds: list[int], prefix: int, budget: int,
        arms: list[str]) -> None:
    """Every (problem, seed): the prefix, then each arm to `budget`; one thread, in order."""
    _check_prefix(prefix, arms, budget)
    with one_thread():
        for seed in seeds:  # seed-major: an interrupted run leaves whole seeds of every problem
            for problem in problems:
                start = time.process_time()
                run_prefix(out, problem, seed, prefix, arms[0])
                for arm in arms:
                    run_arm(out, problem, seed, arm, budget)
                print(f"{problem} seed {seed}: {time.process_time() - start:.0f} s CPU", flush=True)


def _scores(out: Path, problem: str, seeds: list[int], arm: str) -> np.ndarray | None:
    """Score curves (seeds, budget) of one arm, None if a seed is missing."""
    optimum = make_problem(problem, 0).optimum
    paths = [out / arm / f"{problem}-{seed}.json" for seed in seeds]
    if not all(p.exists() for p in paths):
        return None
    curves = [score_curve(json.loads(p.read_text()), optimum) for p in paths]
    length = min(len(c) for c in curves)
    return np.array([c[:length] for c in curves])


def _step_cpu(out: Path, problem: str, seeds: list[int], arm: str) -> float:
    """Median CPU seconds of the arm's own steps (those after its run's prefix) over the
    seeds."""
    records = [json.loads((out / arm / f"{problem}-{s}.json").read_text()) for s in seeds]
    return float(np.median([step["cpu"] for r in records for step in r["steps"][r["prefix"]:]]))


def report(out: Path, problems: list[str], seeds: list[int], checkpoints: list[int],
           arms: list[str]) -> str:
    """Markdown: each arm against the first, per problem and checkpoint."""
    reference, lines = arms[0], []
    for arm in arms[1:]:
        before: dict[str, np.ndarray] = {}
        after: dict[str, np.ndarray] = {}
        for problem in problems:
            a, b = _scores(out, problem, seeds, reference), _scores(out, problem, seeds, arm)
            if a is None or b is None:
                continue
            for n in checkpoints:
                if n <= min(a.shape[1], b.shape[1]):
                    before[f"{problem} @ {n}"], after[f"{problem} @ {n}"] = a[:, n - 1], b[:, n - 1]
        lines += [f"### {reference} (before) vs {arm} (after), seeds {seeds[0]}–{seeds[-1]}", "",
                  compare_report(before, after), "", sign_test(before, after), ""]
    return "\n".join(lines)


def step_times(n: int, steps: int, rounds: int, arms: list[str]) -> dict[str, list[StepTime]]:
    """Per arm and round, the CPU time of an ask+tell at n Hartmann-6 observations (one
    thread): `bench.overhead.bayesopt_row`'s step without a refit, one warm refit, and the
    tells per refit under the arm's schedule."""
    times: dict[str, list[StepTime]] = {arm: [] for arm in arms}
    with one_thread():
        for _ in range(rounds):
            for arm in arms:
                step, refit, interval, _ = bayesopt_row(n, steps, arm_options(arm))
                times[arm].append(StepTime(step, refit, interval))
    return times


@dataclass(frozen=True)
class StepTime:
    """CPU seconds of one round of `step_times`; the amortized step pays its share of a refit."""

    step: float
    refit: float
    refit_interval: int

    @property
    def amortized(self) -> float:
        return self.step + self.refit / self.refit_interval


def _names(parser: argparse.ArgumentParser, text: str, known: Any, option: str) -> list[str]:
    """The comma-separated names of `option`; a usage error (status 2) for unknown or none."""
    names = [name for name in text.split(",") if name]
    unknown = [name for name in names if name not in known]
    if unknown or not names:
        parser.error(f"{option}={text!r}: unknown or none {unknown}; known: {', '.join(known)}")
    return names


def _positive_ints(text: str) -> list[int]:
    return [positive_int(part) for part in text.split(",")]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("mode", choices=("run", "report", "step-time"))
    parser.add_argument("--problems", default=DEFAULT_PROBLEMS)
    parser.add_argument("--seeds", type=positive_int, default=6)
    parser.add_argument("--prefix", type=positive_int, default=200)
    parser.add_argument("--budget", type=positive_int, default=600)
    parser.add_argument("--checkpoints", type=_positive_ints, default="300,400,600")
    parser.add_argument("--arms", default="fcu400,fcu200")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--n", type=positive_int, default=1000)
    parser.add_argument("--steps", type=positive_int, default=10)
    parser.add_argument("--rounds", type=positive_int, default=3)
    return parser


def main(argv: list[str] | None = None) -> None:
    parser = _parser()
    args = parser.parse_args(argv)
    arms = _names(parser, args.arms, ARMS, "--arms")
    problems = _names(parser, args.problems, SYNTHETIC + NOISY, "--problems")
    seeds = list(range(args.seeds))
    if args.mode == "run":
        run(args.out, problems, seeds, args.prefix, args.budget, arms)
    elif args.mode == "report":
        print(report(args.out, problems, seeds, args.checkpoints, arms))
        print("\nmedian CPU ms per ask+tell after the prefix:")
        for problem in problems:
            print(problem, *(f"{arm} {1e3 * _step_cpu(args.out, problem, seeds, arm):.1f}"
                             for arm in arms))
    else:
        for arm, rounds in step_times(args.n, args.steps, args.rounds, arms).items():
            print(f"{arm}: amortized median {1e3 * np.median([r.amortized for r in rounds]):.1f} ms;"
                  " rounds (step without refit + refit / tells per refit): " + ", ".join(
                      f"{1e3 * r.step:.1f} + {1e3 * r.refit:.0f} / {r.refit_interval}" for r in rounds))
    sys.stdout.flush()


if __name__ == "__main__":
    main()

"""Every example in examples/ runs to completion and prints its summary.

Each one runs as a user would run it — a subprocess, in a scratch directory
so that nothing it writes lands in the repository; the command-line example
through its own run.sh, with the installed `bayesopt` and `python` first on
PATH.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
DEADLINE = 300  # seconds; each example takes well under a minute on 2 cores


def run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"]}
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=DEADLINE, check=False)
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.mark.parametrize(("script", "summary"), [
    ("sgd_training_loop.py", ["30 training runs", "best after Bayesian optimization",
                              "learning_rate", "batch_size"]),
    ("sklearn_search.py", ["best cross-validated accuracy", "held-out test accuracy"]),
    ("parallel_run.py", ["24 evaluations of 0.25 s each, 2 at a time", "the optimum is 0.39789"]),
    ("conditional_model_selection.py", ["20 evaluations over the models",
                                        "best cross-validated accuracy"]),
    ("fidelity_checkpoints.py", ["80 runs at budgets 1: ", "continued from a checkpoint",
                                 "best at 27 epochs: validation loss"]),
    ("constrained_study.py", ["32 evaluations by 2 workers in study 'svc', ",
                              "best feasible: cross-validated error "]),
])
def test_python_example(tmp_path: Path, script: str, summary: list[str]) -> None:
    done = run([sys.executable, str(EXAMPLES / script)], tmp_path)
    for text in summary:
        assert text in done.stdout, done.stdout


def test_minimize_with_runs_example_asks_as_the_optimizer_loop(tmp_path: Path) -> None:
    """fidelity_minimize.py (`minimize(..., pass_run=True)`, checkpoints by run id) runs the
    same 80 runs as fidelity_checkpoints.py's own ask/report/tell loop (checkpoints by
    params): the same budgets, promotions, stops and best point."""
    by_minimize = run([sys.executable, str(EXAMPLES / "fidelity_minimize.py")], tmp_path)
    by_loop = run([sys.executable, str(EXAMPLES / "fidelity_checkpoints.py")], tmp_path)
    counts, best = by_minimize.stdout.splitlines()[-2:]
    assert counts.startswith("80 runs at budgets 1: "), by_minimize.stdout
    assert "0 diverged" in counts, by_minimize.stdout
    loop_counts, loop_best = by_loop.stdout.splitlines()[-2:]
    assert best == loop_best, (by_minimize.stdout, by_loop.stdout)
    assert counts.split(" (")[0] == loop_counts.split(";")[0]
    tallies = re.compile(r"(\d+) promotions continued from a checkpoint, (\d+) runs stopped early")
    assert tallies.findall(counts) == tallies.findall(loop_counts), (counts, loop_counts)
    assert tallies.findall(counts)


def test_command_line_example(tmp_path: Path) -> None:
    directory = tmp_path / "command_line"
    shutil.copytree(EXAMPLES / "command_line", directory,
                    ignore=shutil.ignore_patterns("tune.jsonl", "*.png"))
    done = run(["sh", "run.sh"], directory)
    assert "16 evaluations (16 ok, 0 failed), minimizing" in done.stdout, done.stdout
    assert "best (exact values, as given to the command): lr=" in done.stdout
    assert "wrote convergence.png" in done.stdout
    assert (directory / "convergence.png").stat().st_size > 0
    # the same command again resumes from the journal: nothing is left to run
    again = run(["sh", "run.sh"], directory)
    assert "resuming tune.jsonl: 16 evaluations" in again.stderr


def test_command_line_fidelity_example(tmp_path: Path) -> None:
    """Hyperband from the command line: every run saves ckpt/<its id>, promotions resume
    from the run they continue, and reports stop poor runs early (recorded pruned)."""
    directory = tmp_path / "command_line_fidelity"
    shutil.copytree(EXAMPLES / "command_line_fidelity", directory,
                    ignore=shutil.ignore_patterns("tune.jsonl", "ckpt"))
    done = run(["sh", "run.sh"], directory)
    assert "60 evaluations (" in done.stdout and " pruned, 0 failed)" in done.stdout, done.stdout
    assert "best (exact values, as given to the command): lr=" in done.stdout
    saved = {path.name for path in (directory / "ckpt").iterdir()}
    assert saved == {f"{run_id}.npz" for run_id in range(60)}

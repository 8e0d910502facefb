"""The README's two pictures: a convergence plot and an objective (partial-dependence) plot.

    python docs/make_figures.py [--out docs/images]

convergence.png: bayesopt's default settings against random search on
Hartmann-6, 80 evaluations, seeds 0–9, drawn by `bayesopt.plots.convergence`
as the median regret with its interquartile band (log axis).

objective.png: `bayesopt.plots.objective` of the demo's run (`python -m
bayesopt demo`, seed 0: an MLPClassifier on scikit-learn's digits, with
log-scaled reals, a log-scaled integer and two categoricals, momentum and the
schedule conditional on the sgd solver).

Needs the `plot` and `demo` extras (matplotlib, scikit-learn).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np

from bayesopt import minimize, plots
from bayesopt.demo import run_demo
from bayesopt.test_functions import Hartmann6

SEEDS = range(10)
N_CALLS = 80


def random_search(problem: Hartmann6, seed: int) -> object:
    """Space-filling random search as a result: the scrambled-Sobol initial design, all the way."""
    return minimize(_objective(problem), problem.search_space(), N_CALLS, seed=seed,
                    n_initial=N_CALLS, progress=False)


def _objective(problem: Hartmann6):  # type: ignore[no-untyped-def]
    return lambda p: float(problem(np.array(list(p.values()))))


def convergence_figure(out: Path) -> Path:
    problem = Hartmann6()
    runs = {
        "bayesopt (defaults)": [minimize(_objective(problem), problem.search_space(), N_CALLS,
                                         seed=s, progress=False) for s in SEEDS],
        "random search (scrambled Sobol)": [random_search(problem, s) for s in SEEDS],
    }
    fig, ax = plots.convergence(runs, optimum=problem.optimal_value)
    ax.set_title(f"Hartmann-6: median and quartiles over {len(SEEDS)} seeds")
    path = out / "convergence.png"
    fig.savefig(path, dpi=110, bbox_inches="tight")
    return path


def objective_figure(out: Path) -> Path:
    result = run_demo(progress=False)
    fig, _ = plots.objective(result)
    fig.suptitle("Demo run: partial dependence of the cross-validated accuracy")
    path = out / "objective.png"
    fig.savefig(path, dpi=80, bbox_inches="tight")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="docs/images", type=Path)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for path in (convergence_figure(args.out), objective_figure(args.out)):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()

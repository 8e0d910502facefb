"""Spearmint's habits here: outcome constraints, cost, MCMC over the GP's
hyperparameters, input warping, and two processes sharing one study.

A Spearmint experiment declares its variables in config.json, its
``main(job_id, params)`` returns ``{"error": v, "small_model": c}`` with the
constraint met when c ≥ 0, and its jobs share a MongoDB database. Here the
space is a dict of dimensions, the objective returns ``(v, [-c])`` (an outcome
constraint is met when ≤ 0 here, so Spearmint's is negated), and two worker
processes attach to one SQLite study with the same call; `minimize` tells each
evaluation's wall time as its cost, which ``acquisition="logei_per_cost"``
models. The problem: an RBF or polynomial SVC on breast cancer, its 3-fold
cross-validated error minimized under at most 150 support vectors.

    python examples/constrained_study.py
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import cross_val_score
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from bayesopt import Categorical, ModelOptions, Optimizer, OptimizerOptions, Real, minimize

STORAGE, STUDY = "sqlite:///study.db", "svc"  # Spearmint's database and experiment name
# evaluations in the study, both workers' together. With these seeds the model-based asks
# can first settle on the poly kernel's plateau of ~153 support vectors at large C, just
# over the limit, before the rbf kernel's feasible region: of 21 runs here the first feasible
# evaluation came after the 16th in 4, at most the 23rd (bench/results/feasibility_search.md);
# 32 leaves a margin over that
N_CALLS = 32
MAX_SUPPORT = 150
SPACE = {
    "C": Real(1e-2, 1e3, log=True),      # Spearmint: FLOAT over the exponent, 10 ** x
    "gamma": Real(1e-4, 1.0, log=True),
    "kernel": Categorical(["rbf", "poly"]),  # Spearmint: ENUM with "options"
}
OPTIONS = OptimizerOptions(model=ModelOptions(
    hyperparameters="mcmc",     # Spearmint's slice sampling of the GP hyperparameters
    input_warping=True,         # its Beta-CDF warping; a Kumaraswamy CDF here
    noise_variance=1e-6, output_transform="none"))  # "likelihood": "NOISELESS"

X, y = load_breast_cancer(return_X_y=True)
X = StandardScaler().fit_transform(X)


def spearmint_main(job_id: int | None, params: dict[str, Any]) -> dict[str, float]:
    """What the Spearmint experiment's main file returned."""
    model = SVC(C=params["C"], gamma=params["gamma"], kernel=params["kernel"], degree=2)
    error = 1.0 - cross_val_score(model, X, y, cv=3).mean()
    n_support = int(model.fit(X, y).n_support_.sum())
    return {"error": float(error), "small_model": 1.0 - n_support / MAX_SUPPORT}  # >= 0: met


def objective(params: dict[str, Any]) -> tuple[float, list[float]]:
    out = spearmint_main(None, params)
    return out["error"], [-out["small_model"]]  # met when <= 0 here


def worker(seed: int) -> None:
    minimize(objective, SPACE, n_calls=N_CALLS, seed=seed, storage=STORAGE, study=STUDY,
             n_constraints=1, acquisition="logei_per_cost", options=OPTIONS, progress=False)


def main() -> None:
    workers = [subprocess.Popen([sys.executable, __file__, "--worker", str(seed)])
               for seed in (0, 1)]
    if any(w.wait() != 0 for w in workers):
        raise SystemExit("a worker failed")
    # attach once more, as a third process would, and read the study
    result = Optimizer(SPACE, storage=STORAGE, study=STUDY, n_constraints=1).result()
    print(f"{len(result.history)} evaluations by 2 workers in study {STUDY!r}, "
          f"{result.n_infeasible} with more than {MAX_SUPPORT} support vectors")
    best = result.best
    assert best is not None and best.constraints is not None, "no feasible evaluation"
    print(f"best feasible: cross-validated error {best.value:.4f} with "
          f"{round(MAX_SUPPORT * (1 + best.constraints[0]))} support vectors, "
          f"kernel {best.params['kernel']}, C {best.params['C']:.3g}, "
          f"gamma {best.params['gamma']:.3g}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        worker(int(sys.argv[2]))
    else:
        main()

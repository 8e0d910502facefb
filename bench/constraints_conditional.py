"""Outcome constraints on a conditional space: the constraint GP with and without the gates.

    python -m bench.constraints_conditional heldout [--seeds 10] [--n 10,20,40]
    python -m bench.constraints_conditional runs [--seeds 10] [--out FILE]

Problem (`SPACE`, `evaluate`): a categorical `model` ∈ {a, b} picks a branch; x1, x2
exist only under a, y1, y2 only under b, z always (all in [0, 1]):

    a:  f = (x1 − 0.8)² + (x2 − 0.8)² + ½(z − ½)²,          c = x1 + x2 − 1.2
    b:  f = 0.05 + (y1 − 0.9)² + (y2 − 0.3)² + ½(z − ½)²,   c = y1 − 0.6

(c ≤ 0 feasible). The constraint reads only the branch's active dimensions; f* = 0.08
at a, x1 = x2 = 0.6, z = ½ (b's best feasible is 0.14). In the encoding an inactive
dimension's column holds a filler value (`bayesopt.space`): a GP without the space's
gates takes it for data.

heldout: the constraint GP (`bayesopt.outcomes.OutcomeModels`, as an ask fits it) on n
uniformly random points of the space, gates=None (as before the constraint GPs took
them) and the space's gates, scored on 1,000 other random points: the fraction whose
feasibility its mean gets right (P(c ≤ 0) ≥ ½ ⇔ c ≤ 0) and the mean log probability it
gives the true outcome (higher is better). The same data for both. Scored twice: at the
points' encodings ("valid", inactive columns at the filler ½, which the gated kernel
imputes too, so the two agree there), and with every inactive column moved to a
uniform value ("moved"), as the acquisition's continuous local search moves them (only
the activity columns are held; `acquisition.optimizer`) before the point is projected:
the truth is still the point's own feasibility, which the inactive columns do not change.

runs: sequential bayesopt (`Optimizer(n_constraints=1)`, 30 evaluations, an initial
design of 8), the best feasible value − f* per seed, printed as JSON lines; run it
with the tree before and after a change to compare.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from bayesopt import Categorical, ModelOptions, Optimizer, Real
from bayesopt.outcomes import OutcomeModels
from bayesopt.space import Dimension, Space
from bayesopt.state import model_gates, model_tying, warp_columns

F_STAR = 0.08
BUDGET = 30
N_INITIAL = 8
N_TEST = 1000

SPACE: dict[str, Dimension] = {
    "model": Categorical(["a", "b"]),
    "x1": Real(0.0, 1.0, when={"model": "a"}),
    "x2": Real(0.0, 1.0, when={"model": "a"}),
    "y1": Real(0.0, 1.0, when={"model": "b"}),
    "y2": Real(0.0, 1.0, when={"model": "b"}),
    "z": Real(0.0, 1.0),
}


def evaluate(p: Mapping[str, Any]) -> tuple[float, float]:
    """(f, c) of the module docstring; reads only the active parameters."""
    shared = 0.5 * (p["z"] - 0.5) ** 2
    if p["model"] == "a":
        return (p["x1"] - 0.8) ** 2 + (p["x2"] - 0.8) ** 2 + shared, p["x1"] + p["x2"] - 1.2
    return 0.05 + (p["y1"] - 0.9) ** 2 + (p["y2"] - 0.3) ** 2 + shared, p["y1"] - 0.6


def _random_points(space: Space, n: int, rng: np.random.Generator) -> list[dict[str, Any]]:
    return space.decode(space.from_unit(rng.random((n, space.n_dims))))


def heldout(n: int, seed: int) -> dict[str, Any]:
    """Feasibility accuracy and mean log score of the constraint GP fitted on n random
    points, without and with the gates (module docstring)."""
    space = Space(SPACE)
    rng = np.random.default_rng(seed)
    train, test = _random_points(space, n, rng), _random_points(space, N_TEST, rng)
    X, valid = space.encode_valid(train), space.encode_valid(test)
    c = np.array([evaluate(p)[1] for p in train])
    truth = np.array([evaluate(p)[1] <= 0.0 for p in test])
    options = ModelOptions()
    gates = model_gates(space, options)
    assert gates is not None
    column_gates = np.array(gates)
    inactive = np.zeros(valid.shape, dtype=bool)
    inactive[:, column_gates >= 0] = valid[:, column_gates[column_gates >= 0]] < 0.5
    moved = np.where(inactive, rng.random(valid.shape), valid)
    out: dict[str, Any] = {"n": n, "seed": seed}
    for label, given in (("without", None), ("with", gates)):
        models = OutcomeModels(space.n_columns, options, 1, warp_columns(space),
                               model_tying(space, options), given)
        models.add(X, c[:, None].tolist(), [None] * n, np.ones(n, dtype=bool))
        term = models.feasibility_term(np.random.default_rng(seed))
        assert term is not None
        for where, X_test in (("valid", valid), ("moved", moved)):
            log_p = term.log_values(X_test)  # log P(c ≤ 0)
            log_q = np.log(-np.expm1(np.minimum(log_p, -1e-300)))  # log P(c > 0)
            out[f"accuracy_{where}_{label}"] = float(
                np.mean(term.believed_feasible(X_test) == truth))
            out[f"log_score_{where}_{label}"] = float(np.mean(np.where(truth, log_p, log_q)))
    return out


def run(seed: int) -> dict[str, Any]:
    """Best feasible regret of a sequential constrained run (module docstring)."""
    opt = Optimizer(SPACE, seed=seed, n_initial=N_INITIAL, n_constraints=1)
    best = math.inf
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(BUDGET):
            params = opt.ask()
            value, c = evaluate(params)
            opt.tell(params, value, constraints=[c])
            if c <= 0.0:
                best = min(best, value)
    return {"seed": seed, "regret": best - F_STAR}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["heldout", "runs"])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--n", default="10,20,40", help="heldout: training sizes")
    args = parser.parse_args(argv)
    if args.what == "runs":
        for seed in range(args.seeds):
            sys.stdout.write(json.dumps(run(seed)) + "\n")
            sys.stdout.flush()
        return 0
    sys.stdout.write("| n | points | accuracy without gates | with | mean log score without |"
                     " with | seeds with better / worse accuracy |\n"
                     "|---|---|---|---|---|---|---|\n")
    for n in (int(v) for v in args.n.split(",")):
        rows = [heldout(n, seed) for seed in range(args.seeds)]
        for where in ("valid", "moved"):
            a0, a1, s0, s1 = (np.array([r[f"{kind}_{where}_{label}"] for r in rows])
                              for kind in ("accuracy", "log_score")
                              for label in ("without", "with"))
            sys.stdout.write(f"| {n} | {where} | {np.median(a0):.3f} | {np.median(a1):.3f} | "
                             f"{np.median(s0):.3f} | {np.median(s1):.3f} | "
                             f"{int(np.sum(a1 > a0))} / {int(np.sum(a1 < a0))} |\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

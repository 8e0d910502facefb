"""Hyperband with checkpoints under `minimize`: the objective gets its run's ids.

`fidelity_checkpoints.py` in one call: `minimize(..., pass_run=True)` calls
`objective(params, run)`, where `run.id` names the checkpoint this run saves
and `run.continues` the run a promotion trains on from (None for a new
configuration), and `run.report(epoch, loss)` says when the run should stop
(successive halving at the rungs 1, 3, 9 of `Fidelity(1, 27)`, or the
`pruner=` given). A diverged run raises: `minimize` records it as a failure.

    python examples/fidelity_minimize.py
"""

from __future__ import annotations

from typing import Any

import numpy as np
from fidelity_checkpoints import N_RUNS, SPACE, Weights, epoch_loss, initial_weights
from sgd_training_loop import spirals

from bayesopt import Run, minimize

DATA = spirals()
# run id -> (weights, velocity, epochs trained): what a promotion of that run loads
CHECKPOINTS: dict[int, tuple[Weights, Weights, int]] = {}


def objective(params: dict[str, Any], run: Run) -> float:
    """Train from scratch or from the checkpoint of `run.continues`, reporting every epoch."""
    if run.continues is None:
        weights, velocity = initial_weights(int(DATA.y_train.max()) + 1)
        done = 0
    else:  # a promotion: the weights after the source's budget, copied
        source_weights, source_velocity, done = CHECKPOINTS[run.continues]
        weights = [w.copy() for w in source_weights]
        velocity = [v.copy() for v in source_velocity]
    loss = float("nan")
    for epoch in range(done + 1, params["epochs"] + 1):
        loss = epoch_loss(weights, velocity, params, DATA, epoch)
        if not np.isfinite(loss):
            raise FloatingPointError(f"the loss diverged in epoch {epoch}")
        if run.report(epoch, loss):  # stopped at a rung: told as "pruned"
            break
    assert run.id is not None
    CHECKPOINTS[run.id] = (weights, velocity, epoch)
    return loss


def main() -> None:
    result = minimize(objective, SPACE, n_calls=N_RUNS, seed=0, progress=False,
                      pass_run=True)
    budgets = [o.params["epochs"] for o in result.history]
    promoted = sum(o.continues is not None for o in result.history)
    print(f"{len(result.history)} runs at budgets " + ", ".join(
        f"{b}: {budgets.count(b)}" for b in sorted(set(budgets))) + f" ({promoted} "
        f"promotions continued from a checkpoint, {result.n_pruned} runs stopped early, "
        f"{result.n_failed} diverged)")
    best = result.best_params
    assert best is not None, "no run reached 27 epochs"
    print(f"best at 27 epochs: validation loss {result.best_value:.4f}, with "
          f"learning_rate {best['learning_rate']:.4g}, momentum {best['momentum']:.3f}")


if __name__ == "__main__":
    main()

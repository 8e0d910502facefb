"""Hyperband with checkpoints: a promotion trains on from the run it continues.

The network and data of `sgd_training_loop.py` (a one-hidden-layer ReLU
network learning a three-class spiral by SGD with momentum), tuned with the
number of epochs as a `Fidelity`: most configurations train for 1 or 3
epochs, and the best of each rung are promoted to 3, 9 and 27. A promotion is
the same configuration with a larger budget; `opt.continues(params)` names
the history index of the run it continues, whose params (its budget
included) are the key of the checkpoint that run saved, so the promotion
loads those weights and trains only the epochs it adds. Every epoch is
reported (`opt.report`): a run whose loss falls out of the best third at a
rung it reaches before its budget is stopped there.

    python examples/fidelity_checkpoints.py
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np
from sgd_training_loop import HIDDEN, Data, FloatArray, cross_entropy, forward, gradients, spirals

from bayesopt import Fidelity, Optimizer, Real

N_RUNS = 80
BATCH = 32
SPACE = {
    "learning_rate": Real(1e-3, 1.0, log=True),
    "momentum": Real(0.0, 0.95),
    "epochs": Fidelity(1, 27),  # eta=3: rungs at 1, 3, 9 and 27 epochs
}

Weights = list[FloatArray]  # W1: (2, HIDDEN), b1: (HIDDEN,), W2: (HIDDEN, k), b2: (k,)


def key(params: Mapping[str, Any]) -> Hashable:
    """A run's checkpoint name: its params, budget included (a promotion differs in budget)."""
    return tuple(sorted(params.items()))


def initial_weights(n_classes: int, seed: int = 0) -> tuple[Weights, Weights]:
    """He-initialized weights and zero velocities, the same for every configuration."""
    rng = np.random.default_rng(seed)
    weights = [rng.normal(0, 1.0, (2, HIDDEN)), np.zeros(HIDDEN),
               rng.normal(0, np.sqrt(1 / HIDDEN), (HIDDEN, n_classes)), np.zeros(n_classes)]
    return weights, [np.zeros_like(w) for w in weights]


def train_epoch(weights: Weights, velocity: Weights, params: Mapping[str, Any], data: Data,
                epoch: int) -> None:
    """One epoch of mini-batch SGD with heavy-ball momentum, in place (batches seeded by epoch)."""
    order = np.random.default_rng(epoch).permutation(data.y_train.size)
    for start in range(0, order.size, BATCH):
        rows = order[start:start + BATCH]
        grads = gradients(weights, data.X_train[rows], data.y_train[rows])
        for w, v, g in zip(weights, velocity, grads):
            v *= params["momentum"]
            v -= params["learning_rate"] * g
            w += v


def epoch_loss(weights: Weights, velocity: Weights, params: Mapping[str, Any], data: Data,
               epoch: int) -> float:
    """Train one epoch in place and return the validation loss (nan or inf: diverged)."""
    with np.errstate(over="ignore", invalid="ignore"):
        train_epoch(weights, velocity, params, data, epoch)
        _, P = forward(weights, data.X_valid)
        return float(cross_entropy(P, data.y_valid))


def run(opt: Optimizer, data: Data, checkpoints: dict[Hashable, tuple[Weights, Weights]]) -> int:
    """Ask one run, train it from scratch or from its source's checkpoint, tell it.
    Returns the number of epochs trained."""
    params = opt.ask()
    source = opt.continues(params)
    if source is None:
        weights, velocity = initial_weights(int(data.y_train.max()) + 1)
        done = 0
    else:  # a promotion: the weights after the source's budget, copied
        previous = opt.history[source].params
        weights, velocity = ([w.copy() for w in state] for state in checkpoints[key(previous)])
        done = previous["epochs"]
    loss = float("nan")
    for epoch in range(done + 1, params["epochs"] + 1):
        loss = epoch_loss(weights, velocity, params, data, epoch)
        if not np.isfinite(loss):
            opt.tell_failure(params, f"the loss diverged in epoch {epoch}")
            return epoch - done
        if opt.report(params, epoch, loss):  # stopped at a rung: told as "pruned"
            break
    checkpoints[key(params)] = (weights, velocity)
    opt.tell(params, loss)
    return epoch - done


def main() -> None:
    data = spirals()
    opt = Optimizer(SPACE, seed=0)
    checkpoints: dict[Hashable, tuple[Weights, Weights]] = {}
    epochs = sum(run(opt, data, checkpoints) for _ in range(N_RUNS))
    budgets = [o.params["epochs"] for o in opt.history]
    promoted = sum(o.continues is not None for o in opt.history)
    pruned = sum(o.status == "pruned" for o in opt.history)
    print(f"{N_RUNS} runs at budgets " + ", ".join(
        f"{b}: {budgets.count(b)}" for b in sorted(set(budgets))) + f"; {epochs} epochs trained "
        f"for budgets summing to {sum(budgets)} ({promoted} promotions continued from a "
        f"checkpoint, {pruned} runs stopped early)")
    best = opt.best
    assert best is not None, "no run reached 27 epochs"
    print(f"best at 27 epochs: validation loss {best.value:.4f}, with "
          f"learning_rate {best.params['learning_rate']:.4g}, "
          f"momentum {best.params['momentum']:.3f}")


if __name__ == "__main__":
    main()

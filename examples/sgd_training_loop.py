"""Tune a hand-written training loop with the ask/tell interface.

A two-layer neural network (one hidden ReLU layer, softmax output) learns its
own weights by mini-batch SGD with momentum and a decaying learning rate, on
a synthetic three-class spiral in the plane (plain numpy, nothing to
download). What SGD cannot learn — the learning rate, the momentum, the decay
of the learning rate and the batch size — is tuned by a `bayesopt.Optimizer`
to minimize the cross-entropy on a held-out validation set.

A configuration whose training diverges (the loss overflows) is told as a
failed evaluation: it stays in the history and is never proposed again.

    python examples/sgd_training_loop.py
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from bayesopt import Integer, Optimizer, Real

N_CALLS = 30
N_EPOCHS = 30
HIDDEN = 32
SPACE = {
    "learning_rate": Real(1e-3, 3.0, log=True),
    "momentum": Real(0.0, 0.99),
    "decay": Real(1e-4, 1.0, log=True),  # lr_epoch = learning_rate / (1 + decay * epoch)
    "batch_size": Integer(8, 256, log=True),
}


FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int_]


class TrainingDiverged(RuntimeError):
    """The loss overflowed: this configuration cannot be trained."""


@dataclass
class Data:
    """Inputs X: (n, 2) and integer labels y: (n,) for training and validation."""

    X_train: FloatArray
    y_train: IntArray
    X_valid: FloatArray
    y_valid: IntArray


def spirals(n_per_class: int = 300, n_classes: int = 3, seed: int = 0) -> Data:
    """Three interleaved noisy spiral arms, split 2:1 into training and validation."""
    rng = np.random.default_rng(seed)
    radius = np.tile(np.linspace(0.05, 1.0, n_per_class), n_classes)
    label = np.repeat(np.arange(n_classes), n_per_class)
    angle = 4.0 * radius + label * 2 * np.pi / n_classes + rng.normal(0, 0.2, radius.size)
    X = np.column_stack([radius * np.sin(angle), radius * np.cos(angle)])
    order = rng.permutation(label.size)
    X, label = X[order], label[order]
    cut = 2 * label.size // 3
    return Data(X[:cut], label[:cut], X[cut:], label[cut:])


def forward(weights: list[FloatArray], X: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Hidden activations H: (n, HIDDEN) and class probabilities P: (n, k)."""
    W1, b1, W2, b2 = weights
    H = np.maximum(X @ W1 + b1, 0.0)
    logits = H @ W2 + b2
    logits -= logits.max(axis=1, keepdims=True)
    P = np.exp(logits)
    return H, P / P.sum(axis=1, keepdims=True)


def cross_entropy(P: FloatArray, y: IntArray) -> float:
    """Mean negative log-probability of the true classes."""
    return float(-np.mean(np.log(P[np.arange(y.size), y] + 1e-12)))


def gradients(weights: list[FloatArray], X: FloatArray, y: IntArray) -> list[FloatArray]:
    """Backpropagation of the mean cross-entropy over the batch."""
    W2 = weights[2]
    H, P = forward(weights, X)
    dlogits = P.copy()
    dlogits[np.arange(y.size), y] -= 1.0
    dlogits /= y.size
    dH = (dlogits @ W2.T) * (H > 0)
    return [X.T @ dH, dH.sum(axis=0), H.T @ dlogits, dlogits.sum(axis=0)]


def train(params: dict[str, Any], data: Data, seed: int = 0) -> tuple[float, float]:
    """Train from a fixed initialization; return (validation loss, validation accuracy)."""
    rng = np.random.default_rng(seed)  # same initialization and batches for every configuration
    n_classes = int(data.y_train.max()) + 1
    weights = [rng.normal(0, 1.0, (2, HIDDEN)), np.zeros(HIDDEN),  # He: std sqrt(2 / fan_in)
               rng.normal(0, np.sqrt(1 / HIDDEN), (HIDDEN, n_classes)), np.zeros(n_classes)]
    velocity = [np.zeros_like(w) for w in weights]
    batch = params["batch_size"]
    for epoch in range(N_EPOCHS):
        lr = params["learning_rate"] / (1.0 + params["decay"] * epoch)
        order = rng.permutation(data.y_train.size)
        for start in range(0, order.size, batch):
            rows = order[start:start + batch]
            grads = gradients(weights, data.X_train[rows], data.y_train[rows])
            for w, v, g in zip(weights, velocity, grads):
                v *= params["momentum"]
                v -= lr * g  # heavy-ball momentum
                w += v
        if not all(np.all(np.isfinite(w)) for w in weights):
            raise TrainingDiverged(f"weights overflowed in epoch {epoch + 1}")
    _, P = forward(weights, data.X_valid)
    return cross_entropy(P, data.y_valid), float(np.mean(P.argmax(axis=1) == data.y_valid))


def main() -> None:
    """Ask, train, tell — N_CALLS times — then print the best configuration."""
    data = spirals()
    opt = Optimizer(SPACE, seed=0)
    accuracy: dict[int, float] = {}  # history index -> validation accuracy
    start = time.perf_counter()
    for _ in range(N_CALLS):
        params = opt.ask()
        try:
            with np.errstate(over="ignore", invalid="ignore"):
                loss, acc = train(params, data)
        except TrainingDiverged as error:
            opt.tell_failure(params, error)
            continue
        accuracy[len(opt.history)] = acc
        opt.tell(params, loss)
    elapsed = time.perf_counter() - start
    best = opt.best
    assert best is not None, "every configuration diverged"
    initial = min(o.value for o in opt.history[:opt.n_initial] if o.value is not None)
    print(f"{N_CALLS} training runs in {elapsed:.0f} s "
          f"({sum(not o.ok for o in opt.history)} diverged)")
    print(f"best of the {opt.n_initial} initial Sobol configurations: validation loss {initial:.4f}")
    print(f"best after Bayesian optimization: validation loss {best.value:.4f}, "
          f"accuracy {accuracy[best.index]:.3f}, with")
    for name, value in best.params.items():
        print(f"  {name:14s} {value:.4g}" if isinstance(value, float) else f"  {name:14s} {value}")


if __name__ == "__main__":
    main()

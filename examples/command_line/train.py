#!/usr/bin/env python3
"""A training script that knows nothing about bayesopt: flags in, `objective: <value>` out.

Logistic regression trained by mini-batch SGD on a synthetic, noisy,
linearly separable problem (plain numpy); it prints its progress and, last,
the validation log-loss in the form `bayesopt run` reads:

    python train.py --lr 0.1 --l2 1e-4 --epochs 20 --optimizer momentum
    ...
    objective: 0.2871

A learning rate that makes the loss blow up exits with status 1 and a
message on stderr, which `bayesopt run` records as a failed evaluation.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np


def parse_args() -> argparse.Namespace:
    """The hyperparameters, as command-line flags."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lr", type=float, required=True, help="learning rate")
    parser.add_argument("--l2", type=float, required=True, help="L2 penalty")
    parser.add_argument("--epochs", type=int, required=True)
    parser.add_argument("--optimizer", choices=["sgd", "momentum"], required=True)
    parser.add_argument("--batch-size", type=int, default=32)
    return parser.parse_args()


def make_data(seed: int = 0) -> tuple[np.ndarray, ...]:
    """20 features, 5 of them informative; labels flipped with probability 0.1."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(1500, 20))
    w_true = np.concatenate([rng.normal(0, 2, 5), np.zeros(15)])
    y = (X @ w_true + rng.normal(0, 1, 1500) > 0).astype(float)
    y = np.where(rng.random(1500) < 0.1, 1 - y, y)
    return X[:1000], y[:1000], X[1000:], y[1000:]


def log_loss(w: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
    """Mean binary cross-entropy of the weights w on (X, y)."""
    p = np.clip(1 / (1 + np.exp(-(X @ w))), 1e-12, 1 - 1e-12)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def main() -> int:
    """Train, print the validation loss of every epoch and, last, the objective."""
    args = parse_args()
    X, y, X_valid, y_valid = make_data()
    rng = np.random.default_rng(1)
    w, velocity = np.zeros(X.shape[1]), np.zeros(X.shape[1])
    beta = 0.9 if args.optimizer == "momentum" else 0.0
    for epoch in range(args.epochs):
        for rows in np.array_split(rng.permutation(len(y)), len(y) // args.batch_size):
            p = 1 / (1 + np.exp(-(X[rows] @ w)))
            grad = X[rows].T @ (p - y[rows]) / len(rows) + args.l2 * w
            velocity = beta * velocity - args.lr * grad
            w = w + velocity
        loss = log_loss(w, X_valid, y_valid)
        if not np.isfinite(loss) or np.abs(w).max() > 1e6:
            print(f"diverged in epoch {epoch + 1} (lr={args.lr})", file=sys.stderr)
            return 1
        print(f"epoch {epoch + 1:3d}  validation log-loss {loss:.4f}")
    print(f"objective: {loss}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

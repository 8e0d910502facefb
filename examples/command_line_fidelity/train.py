#!/usr/bin/env python3
"""A Keras-Tuner-style training script for `bayesopt run` with a Fidelity and early stopping.

It takes its hyperparameters and budget as flags, saves a checkpoint under the
run's id, resumes from the checkpoint of the run it continues (a Hyperband
promotion), prints ``report: <epoch> <loss>`` after every epoch (the run may be
stopped there) and, last, ``objective: <loss>``:

    python train.py --lr 0.1 --l2 1e-4 --epochs 9 --save ckpt/7 --resume-from ckpt/3

Linear regression trained by mini-batch SGD on a synthetic, noisy problem (plain
numpy); a learning rate too large diverges, which is a failed run.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lr", type=float, required=True, help="learning rate")
    parser.add_argument("--l2", type=float, required=True, help="L2 penalty")
    parser.add_argument("--epochs", type=int, required=True, help="train up to this epoch")
    parser.add_argument("--save", required=True, help="checkpoint file of this run")
    parser.add_argument("--resume-from", help="checkpoint of the run this one continues")
    return parser.parse_args()


def make_data(seed: int = 0) -> tuple[np.ndarray, ...]:
    """A noisy regression: 30 features of unequal scale, 8 informative; 800 rows to
    train on and 400 to validate on."""
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(1200, 30)) * np.linspace(0.2, 3.0, 30)
    coefficients = np.zeros(30)
    coefficients[rng.choice(30, 8, replace=False)] = rng.normal(0, 1, 8)
    targets = features @ coefficients + rng.normal(0, 0.5, 1200)
    return features[:800], targets[:800], features[800:], targets[800:]


def validation_loss(w: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
    """Mean squared error of the linear model w on (X, y)."""
    return float(np.mean((X @ w - y) ** 2))


def main() -> int:
    args = parse_args()
    X, y, X_valid, y_valid = make_data()
    w, done = np.zeros(X.shape[1]), 0
    if args.resume_from:  # a promotion: train on from where the continued run stopped
        checkpoint = np.load(args.resume_from + ".npz")
        w, done = checkpoint["w"], int(checkpoint["epochs"])
        print(f"resuming {args.resume_from} after epoch {done}")
    rng = np.random.default_rng(done)
    for epoch in range(done, args.epochs):
        for rows in np.array_split(rng.permutation(len(y)), len(y) // 16):
            residual = X[rows] @ w - y[rows]
            w = w - args.lr * (X[rows].T @ residual / len(rows) + args.l2 * w)
        loss = validation_loss(w, X_valid, y_valid)
        if not np.isfinite(loss) or loss > 1e6:
            print(f"diverged in epoch {epoch + 1} (lr={args.lr})", file=sys.stderr)
            return 1
        os.makedirs(os.path.dirname(args.save) or ".", exist_ok=True)
        np.savez(args.save + ".npz", w=w, epochs=epoch + 1)  # before the report, which may stop it
        print(f"report: {epoch + 1} {loss}", flush=True)  # epochs completed, 1-based
    print(f"objective: {loss}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

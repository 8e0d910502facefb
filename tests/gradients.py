"""Finite-difference references for the tests' gradient checks."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def central_differences(f: Callable[[np.ndarray], np.ndarray], X: np.ndarray,
                        h: float = 1e-6) -> np.ndarray:
    """∂f/∂X by central differences, row by row: f maps (m, d) to (m,); returns (m, d)."""
    grad = np.zeros_like(X)
    for j in range(X.shape[1]):
        step = np.zeros_like(X)
        step[:, j] = h
        grad[:, j] = (f(X + step) - f(X - step)) / (2 * h)
    return grad

"""Shared pytest configuration.

Numba loops and LAPACK calls alternate in nearly every test; with both thread
pools as wide as the machine they fight for cores and tiny problems run ~100×
slower. Every test therefore runs inside `kernels.threads.numeric_threads(0)`
(single-threaded); tests of the parallel builds raise the thread count themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from kernels.threads import numeric_threads


@pytest.fixture(autouse=True)
def _numeric_threads() -> Iterator[None]:
    with numeric_threads(0):
        yield


@pytest.fixture
def candidate_batches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of every batch of candidates BayesSearchCV hands to scikit-learn, in order."""
    from bayesopt.sklearn import BayesSearchCV

    batches: list[int] = []
    run_search = BayesSearchCV._run_search

    def spy(self: BayesSearchCV, evaluate_candidates: Callable[[list[Any]], Any]) -> None:
        def evaluate(candidates: list[Any]) -> Any:
            batches.append(len(candidates))
            return evaluate_candidates(candidates)
        run_search(self, evaluate)

    monkeypatch.setattr(BayesSearchCV, "_run_search", spy)
    return batches

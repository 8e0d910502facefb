"""Shared pytest configuration.

Numba loops and LAPACK calls alternate in nearly every test; with both thread
pools as wide as the machine they fight for cores and tiny problems run ~100×
slower. Every test therefore runs inside `kernels.threads.numeric_threads(0)`
(single-threaded); tests of the parallel builds raise the thread count themselves.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kernels.threads import numeric_threads


@pytest.fixture(autouse=True)
def _numeric_threads() -> Iterator[None]:
    with numeric_threads(0):
        yield

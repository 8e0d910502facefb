"""Share the cores between BLAS and Numba instead of oversubscribing them.

OpenBLAS worker threads spin for a while after each call, and so do Numba's
OpenMP workers after each parallel region. When both pools are as wide as
the machine and the GP alternates between LAPACK (Cholesky, potri) and
Numba loops (kernel matrices, gradient contractions), each pool waits for
cores the other is spinning on: on 2 cores one marginal-likelihood
evaluation at n = 20 took 20 ms instead of 0.1 ms.

`numeric_threads()` gives Numba the cores BLAS does not use: with B BLAS
threads and a Numba budget of T (NUMBA_NUM_THREADS), parallel Numba loops
get max(1, T − B + 1) threads (the calling thread is shared). The BLAS
width is read through threadpoolctl when it is installed, so limits set
with `threadpoolctl.threadpool_limits` are respected; without it, from the
usual environment variables.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Iterator
from typing import Any

import numba

_BLAS_ENV = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS", "OMP_NUM_THREADS")


@functools.lru_cache(maxsize=1)
def _blas_controller() -> Any:
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return None
    return ThreadpoolController().select(user_api="blas")


def blas_threads() -> int:
    """How many threads BLAS calls use right now."""
    controller = _blas_controller()
    if controller is not None and controller.lib_controllers:
        return max(1, max(lib.num_threads for lib in controller.lib_controllers))
    for key in _BLAS_ENV:
        value = os.environ.get(key, "")
        if value.strip().isdigit() and int(value) > 0:
            return int(value)
    return os.cpu_count() or 1


def numba_thread_budget() -> int:
    """Threads for parallel Numba loops that leave the BLAS threads their cores."""
    return max(1, numba.config.NUMBA_NUM_THREADS - blas_threads() + 1)


@contextlib.contextmanager
def numeric_threads() -> Iterator[int]:
    """Run a block of GP work with Numba threads that do not fight BLAS for cores."""
    previous = numba.get_num_threads()
    budget = min(previous, numba_thread_budget())
    numba.set_num_threads(budget)
    try:
        yield budget
    finally:
        numba.set_num_threads(previous)

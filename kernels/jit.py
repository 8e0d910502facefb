"""Compile a Numba loop twice: serial and parallel, chosen per call by the thread budget."""

from __future__ import annotations

import functools
import types
from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba
from numba import njit

F = TypeVar("F", bound=Callable[..., Any])


def serial_and_parallel(**options: Any) -> Callable[[F], F]:
    """Decorator: `njit(cache=True, **options)` twice, with and without `parallel=True`.

    The parallel build runs only when Numba may use more than one thread;
    with one thread the serial build (where `prange` runs as `range`) is
    faster, as there is no OpenMP region to enter. `kernels.threads` sets the
    thread count per problem size. The serial copy gets its own qualified
    name so the two on-disk caches never collide.
    """

    def decorate(func: F) -> F:
        serial_func = types.FunctionType(
            func.__code__, func.__globals__, func.__name__ + "_serial", func.__defaults__,
            func.__closure__,
        )
        serial_func.__qualname__ = func.__qualname__ + "_serial"
        serial = njit(cache=True, **options)(serial_func)
        parallel = njit(cache=True, parallel=True, **options)(func)

        @functools.wraps(func)
        def dispatch(*args: Any) -> Any:
            return (parallel if numba.get_num_threads() > 1 else serial)(*args)

        dispatch.serial = serial  # type: ignore[attr-defined]
        dispatch.parallel = parallel  # type: ignore[attr-defined]
        dispatch.py_func = func  # type: ignore[attr-defined]
        return cast(F, dispatch)

    return decorate

"""Compile a Numba loop twice: serial and parallel, chosen per call by the thread budget."""

from __future__ import annotations

import contextlib
import contextvars
import functools
import types
from collections.abc import Callable, Iterator
from typing import Any, TypeVar, cast

import numba
from numba import njit

F = TypeVar("F", bound=Callable[..., Any])

# The Numba thread count a caller has set for a block of work (0: unknown, ask Numba).
# numba.get_num_threads() costs ~6 µs; an acquisition evaluation makes four jitted calls.
_declared_threads = contextvars.ContextVar("declared_numba_threads", default=0)


@contextlib.contextmanager
def declared_threads(threads: int) -> Iterator[None]:
    """Within the block, dispatch assumes Numba runs `threads` threads (the caller set them
    with `numba.set_num_threads` and does not change them inside the block)."""
    assert threads >= 1, f"threads={threads} must be positive"
    token = _declared_threads.set(threads)
    try:
        yield
    finally:
        _declared_threads.reset(token)


def numba_threads() -> int:
    """The threads parallel Numba loops run with now: the declared count, else Numba's."""
    return _declared_threads.get() or numba.get_num_threads()


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
            return (parallel if numba_threads() > 1 else serial)(*args)

        dispatch.serial = serial  # type: ignore[attr-defined]
        dispatch.parallel = parallel  # type: ignore[attr-defined]
        dispatch.py_func = func  # type: ignore[attr-defined]
        return cast(F, dispatch)

    return decorate

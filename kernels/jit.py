"""Compile a Numba loop twice: serial and parallel, chosen per call by the thread budget."""

from __future__ import annotations

import contextlib
import contextvars
import functools
import os
import types
import warnings
from collections.abc import Callable, Iterator
from typing import Any, TypeVar, cast

import numba
from numba import njit

F = TypeVar("F", bound=Callable[..., Any])


class CompileCacheWarning(RuntimeWarning):
    """Numba has no writable directory for its on-disk cache: loops compile in every process."""


_cache_refused = False  # whether CompileCacheWarning was given in this process


def cached_njit(**options: Any) -> Callable[[F], F]:
    """Decorator: `numba.njit(cache=True, **options)`, without the on-disk cache where
    Numba has nowhere to write it.

    Numba keeps a cached function beside its source (``__pycache__``), else in its
    user-wide cache directory (``~/.cache/numba``), with ``NUMBA_CACHE_DIR`` tried first
    when set (Numba's documentation, "Environment variables", NUMBA_CACHE_DIR; the
    locator order of ``numba/core/caching.py``). Where none of them is writable — a
    package installed read-only and run by a user without a writable home, as in a
    container started as another user — ``njit(cache=True)`` raises RuntimeError
    ("cannot cache function") when the module defining the loop is imported. The loop
    is then compiled without the cache, in every process on first use, and one
    `CompileCacheWarning` per process names the directory and NUMBA_CACHE_DIR.

    Numba's C-callable wrapper of the loop is not generated (``no_cfunc_wrapper=True``,
    one of Numba's CPU target options): it serves only to pass the dispatcher as a
    first-class function value into other jitted code, which this project never does,
    and it is part of what every loop's first compilation costs
    (bench/results/cold_start.md). Calls from Python and from other loops do not use it.
    """
    options = {"no_cfunc_wrapper": True, **options}

    def decorate(func: F) -> F:
        try:
            return cast(F, njit(cache=True, **options)(func))
        except RuntimeError as error:
            if "cannot cache function" not in str(error):
                raise
        _warn_cache_refused(func)
        return cast(F, njit(**options)(func))

    return decorate


def _warn_cache_refused(func: Callable[..., Any]) -> None:
    global _cache_refused
    if _cache_refused:
        return
    _cache_refused = True
    directory = os.path.dirname(os.path.abspath(func.__code__.co_filename))
    given = os.environ.get("NUMBA_CACHE_DIR")
    tried = f"NUMBA_CACHE_DIR={given!r}, " if given else ""
    warnings.warn(
        f"Numba cannot cache bayesopt's compiled loops: none of {tried}{directory} and "
        "Numba's user cache directory (~/.cache/numba on Linux) is writable, so every "
        "process compiles them again on first use; set NUMBA_CACHE_DIR to a writable "
        "directory to compile them once", CompileCacheWarning, stacklevel=3)


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
    """Decorator: `cached_njit(**options)` twice, with and without `parallel=True`.

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
        serial = cached_njit(**options)(serial_func)
        parallel = cached_njit(parallel=True, **options)(func)

        @functools.wraps(func)
        def dispatch(*args: Any) -> Any:
            return (parallel if numba_threads() > 1 else serial)(*args)

        dispatch.serial = serial  # type: ignore[attr-defined]
        dispatch.parallel = parallel  # type: ignore[attr-defined]
        dispatch.py_func = func  # type: ignore[attr-defined]
        return cast(F, dispatch)

    return decorate

"""Numba loops cached on disk, compiled with full garbage collections deferred; a loop
compiled twice, serial and parallel, chosen per call by the thread budget.

Python's cyclic collector collects generation 0 after threshold0 net allocations,
generation 1 after threshold1 collections of generation 0, and the whole heap (generation
2) after threshold2 collections of generation 1 once the objects that survived since the
last full collection number more than a quarter of the long-lived ones (the Python
documentation of `gc.set_threshold`; the quarter rule: CPython 3.11, Modules/gcmodule.c,
"long_lived_pending"). Compiling a loop creates objects by the hundred thousand that live
for the whole compilation (Numba's IR, types, LLVM wrappers), so that condition keeps
coming true, and each full collection walks every object of the process, numpy's, scipy's
and Numba's modules included: `cached_njit` loops defer full collections while they compile
(`full_collections_deferred`). Generations 0 and 1 collect throughout, reference counting
frees what is not in a cycle, and the first full collection after the compilation frees
what the deferred ones would have.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import gc
import os
import types
import warnings
from collections.abc import Callable, Iterator
from typing import Any, TypeVar, cast

import numba
from numba import njit
from numba.core.compiler import Compiler

F = TypeVar("F", bound=Callable[..., Any])


class CompileCacheWarning(RuntimeWarning):
    """Numba has no writable directory for its on-disk cache: loops compile in every process."""


_cache_refused = False  # whether CompileCacheWarning was given in this process

# threshold2 while a loop compiles: more generation-1 collections than one compilation makes
DEFERRED_THRESHOLD2 = 2**30
_deferring: list[tuple[int, int, int]] = []  # the thresholds to restore, while deferring


@contextlib.contextmanager
def full_collections_deferred() -> Iterator[None]:
    """Within the block, Python's collector runs no full (generation 2) collection by itself:
    threshold2 is `DEFERRED_THRESHOLD2`, thresholds 0 and 1 as they were (module docstring).
    Nested blocks share the outermost one's; at its end the thresholds it found come back,
    unless something else set others meanwhile (those stay)."""
    if _deferring:
        yield
        return
    found = gc.get_threshold()
    deferred = (found[0], found[1], DEFERRED_THRESHOLD2)
    gc.set_threshold(*deferred)
    _deferring.append(found)
    try:
        yield
    finally:
        _deferring.pop()
        if gc.get_threshold() == deferred:
            gc.set_threshold(*found)


class _DeferringCompiler(Compiler):
    """Numba's standard pipeline (the same passes, the same code), run within
    `full_collections_deferred`. Numba compiles under its global compiler lock, one
    compilation at a time in the process, so the blocks never interleave across threads."""

    def compile_extra(self, func: Any) -> Any:
        with full_collections_deferred():
            return super().compile_extra(func)  # type: ignore[no-untyped-call]

    def compile_ir(self, func_ir: Any, lifted: Any = (), lifted_from: Any = None) -> Any:
        with full_collections_deferred():
            return super().compile_ir(  # type: ignore[no-untyped-call]
                func_ir, lifted, lifted_from)


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

    The loop compiles through Numba's standard pipeline with full garbage collections
    deferred (``pipeline_class``, `_DeferringCompiler`; module docstring): the same passes,
    so the same machine code, and the on-disk cache's key (the signature, the target and
    the loop's bytecode) does not involve the pipeline.

    Numba's C-callable wrapper of the loop is not generated (``no_cfunc_wrapper=True``,
    one of Numba's CPU target options): it serves only to pass the dispatcher as a
    first-class function value into other jitted code, which this project never does,
    and it is part of what every loop's first compilation costs
    (bench/results/cold_start.md). Calls from Python and from other loops do not use it.
    """
    options = {"no_cfunc_wrapper": True, "pipeline_class": _DeferringCompiler, **options}

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

"""Share the cores between BLAS and Numba instead of oversubscribing them.

OpenBLAS worker threads spin after each call and Numba's OpenMP workers spin
after each parallel region, so when the GP alternates between LAPACK
(Cholesky, potri) and Numba loops with both pools as wide as the machine,
each waits for cores the other is spinning on, and with another process busy
on a core every parallel region waits at its barrier for the thread that
shares it (measurements: bench/results/threads_contention.md).

Policy of `numeric_threads(n)`, entered around every ask and tell:

- small problems (n < `PARALLEL_MIN_N`): one thread for both BLAS and
  Numba. Threads cannot pay for themselves there, and one thread is immune
  to a busy machine;
- a process that may run on fewer than `PARALLEL_MIN_CORES` cores
  (`usable_cores`: its CPU affinity, else the machine's count, and no more
  than its control group's CPU quota, `cpu_quota`): one thread too,
  whatever n. On 2 cores the parallel path costs more than it saves
  even on an idle machine (its refit is faster, its ask slower), and with
  another process on one core every parallel region waits at its barrier
  for the thread sharing that core;
- large problems on more cores: BLAS keeps its width (limits set with
  `threadpoolctl.threadpool_limits` are respected) up to the usable cores,
  and parallel Numba loops get the cores BLAS does not use, max(1, T − B + 1)
  for a Numba budget T (NUMBA_NUM_THREADS, `numba.set_num_threads`, at most
  the usable cores) and B BLAS threads; the calling thread is shared. (BLAS
  libraries and Numba size their pools by the machine's cores, not by a
  container's quota.) (Measured on 2 cores only: whether it pays on
  more is not known.)

A caller's explicit ``threads=k`` (`thread_count`) is obeyed on any machine:
the core rule is not applied to it, and the size rule is (one thread below
`PARALLEL_MIN_N`; above, k BLAS threads and max(1, k − B + 1) Numba threads).
The load average is not read: it changes from moment to moment, and a policy
following it would make the thread count, and with it the last digits of an
ask where BLAS rounds differently at different widths, depend on the other
processes. Which widths round alike, and so which asks agree across machines:
bench/results/threads_contention.md (2026-12-05).

BLAS widths are read and limited through threadpoolctl, an optional dependency
(scikit-learn brings it; ``pip install "bayesopt[threads]"``). Without it, or
where it finds no BLAS library, the policy leaves BLAS at the width it was
configured with (read from the usual environment variables), and the last digits
of an ask can differ from those of an install with it; a caller's explicit
``threads=`` needs it and is refused without it (`check_threads`).

A process forked after its parent started Numba's OpenMP threading layer
(any ask or tell starts it) cannot enter a parallel region: GNU OpenMP is not
fork safe, and Numba terminates such a child (Numba's documentation, "The
Threading Layers", Extra notes). In that child the parallel Numba loops run
on one thread, with a `RuntimeWarning` once, instead of killing it.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import math
import os
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numba
import numpy as np

from kernels.jit import declared_threads

PARALLEL_MIN_N = 500
PARALLEL_MIN_CORES = 3
_BLAS_ENV = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS", "OMP_NUM_THREADS")


@functools.lru_cache(maxsize=1)
def _blas_controller() -> Any:
    """threadpoolctl's controller of the loaded BLAS libraries, or None without threadpoolctl
    (module docstring). Made on first use: it scans the loaded libraries."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # optional: the policy leaves BLAS alone, `check_threads` refuses
        return None
    return ThreadpoolController().select(user_api="blas")


def blas_threads() -> int:
    """How many threads BLAS calls use right now."""
    controller = _blas_controller()
    if controller is not None and controller.lib_controllers:
        threads: int = max(lib.num_threads for lib in controller.lib_controllers)
        return max(1, threads)
    for key in _BLAS_ENV:
        value = os.environ.get(key, "").strip()
        if value.isdigit() and int(value) > 0:
            return int(value)
    return os.cpu_count() or 1


def usable_cores() -> int:
    """The cores this process may run on at once: its CPU affinity (`os.sched_getaffinity`,
    where the platform has it, else `os.cpu_count()`), and no more than its control group's
    CPU quota allows (`cpu_quota`, rounded down, at least one): a container limited to 2
    CPUs on a 64-core host sees 64 cores in its affinity, and 64 threads there are
    throttled to the quota's share of each scheduling period."""
    cores = (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
             else os.cpu_count() or 1)
    quota = cpu_quota()
    if quota is not None:
        cores = min(cores, math.floor(quota))
    return max(1, cores)


def cpu_quota(cgroup_root: str = "/sys/fs/cgroup", membership: str = "/proc/self/cgroup",
              ) -> float | None:
    """The CPUs this process's control group may use per scheduling period, or None where
    no quota is set (or no cgroup file can be read: another platform, no cgroup mounted).

    The quota is the smallest over the process's cgroup and its ancestors (a parent's
    limit binds its children): cgroup v2's ``cpu.max`` (``"$MAX $PERIOD"``, ``max`` for
    none), else cgroup v1's ``cpu.cfs_quota_us`` / ``cpu.cfs_period_us`` (−1 for none) in
    the hierarchy mounted with the ``cpu`` controller. The cgroup's path comes from
    `membership` (``/proc/self/cgroup``); inside a container with its own cgroup namespace
    it is ``/``, the container's root. Linux's cgroup documentation, "CPU bandwidth"
    (cgroup-v2 ``cpu.max``; cgroup-v1 CFS bandwidth control)."""
    try:
        with open(membership, encoding="ascii") as lines:
            entries = [line.rstrip("\n").split(":", 2) for line in lines]
    except (OSError, ValueError):
        return None
    paths = {controller: path for _, controllers, path in (e for e in entries if len(e) == 3)
             for controller in controllers.split(",")}
    root = Path(cgroup_root)
    limits: list[float] = []
    if "" in paths:  # cgroup v2: the unified hierarchy's line is "0::/path"
        unified = root / "unified" if (root / "unified").is_dir() else root
        limits += _quotas(unified, paths[""], _v2_quota)
    if "cpu" in paths:  # cgroup v1: the cpu controller's hierarchy
        for mount in (root / "cpu", root / "cpu,cpuacct", root / "cpuacct,cpu"):
            if mount.is_dir():
                limits += _quotas(mount, paths["cpu"], _v1_quota)
                break
    return min(limits) if limits else None


def _quotas(mount: Path, path: str, read: Callable[[Path], float | None]) -> list[float]:
    """The quotas `read` finds in the cgroup `path` of the hierarchy at `mount` and in each
    ancestor up to the mount's root. A path not under the mount (the host's path seen from a
    container without a cgroup namespace) is read from the mount's root alone."""
    directory = mount / path.lstrip("/")
    if not directory.is_dir():
        directory = mount
    found = []
    for level in (directory, *directory.parents):
        quota = read(level)
        if quota is not None:
            found.append(quota)
        if level == mount:
            break
    return found


def _v2_quota(directory: Path) -> float | None:
    """cgroup v2's ``cpu.max`` in `directory` as CPUs, None for ``max`` or no readable file."""
    fields = _read_fields(directory / "cpu.max")
    if fields is None or len(fields) != 2 or fields[0] == "max":
        return None
    return _ratio(fields[0], fields[1])


def _v1_quota(directory: Path) -> float | None:
    """cgroup v1's CFS quota over its period in `directory` as CPUs, None for −1 or no file."""
    quota, period = (_read_fields(directory / name)
                     for name in ("cpu.cfs_quota_us", "cpu.cfs_period_us"))
    if quota is None or period is None or len(quota) != 1 or len(period) != 1:
        return None
    return _ratio(quota[0], period[0])


def _read_fields(path: Path) -> list[str] | None:
    try:
        return path.read_text(encoding="ascii").split()
    except (OSError, ValueError):
        return None


def _ratio(quota: str, period: str) -> float | None:
    """`quota` / `period` (microseconds, as the kernel writes them), None unless both are
    positive integers (−1: no quota)."""
    if not (quota.isdigit() and period.isdigit()) or int(quota) <= 0 or int(period) <= 0:
        return None
    return int(quota) / int(period)


# True in a process forked after its parent had started Numba's OpenMP layer;
# _fork_warned: that process has said so once.
_inherited_openmp = False
_fork_warned = False
_FORK_WARNING = (
    "this process was forked after its parent had started Numba's OpenMP threading layer, "
    "which is not fork safe (Numba terminates a forked child that enters a parallel region); "
    "parallel Numba loops run on one thread in this process. Start processes with the "
    "'spawn' or 'forkserver' method, or set NUMBA_THREADING_LAYER=forksafe, to keep them parallel"
)


def _note_fork_in_child() -> None:
    """After os.fork, in the child: remember whether the parent had started OpenMP."""
    global _inherited_openmp, _fork_warned
    _fork_warned = False  # a new process: it says so once itself
    try:
        layer = numba.threading_layer()  # type: ignore[attr-defined]  # public, not re-exported
    except ValueError:  # the parent never started a layer: the child starts its own
        return
    _inherited_openmp = _inherited_openmp or layer == "omp"


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_note_fork_in_child)


def numba_thread_budget(threads: int | None = None) -> int:
    """Threads for parallel Numba loops out of `threads` (default: Numba's current count)
    that leave the BLAS threads their cores: max(1, threads − BLAS + 1).

    One in a child forked after its parent started OpenMP (module docstring).
    """
    global _fork_warned
    most = numba.get_num_threads() if threads is None else threads
    budget = max(1, most - blas_threads() + 1)
    if budget > 1 and _inherited_openmp:
        if not _fork_warned:
            _fork_warned = True
            warnings.warn(_FORK_WARNING, RuntimeWarning, stacklevel=2)
        return 1
    return budget


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """BLAS limited to one thread in the block (through threadpoolctl; without it, a no-op).

    For loops of tiny BLAS calls, such as L-BFGS-B's own on a few dozen
    variables: with a wider pool each call costs ~3 ms on a busy machine
    instead of ~20 µs (measured at n = 1000 in the acquisition optimizer).
    """
    with _blas_limited(1):
        yield


@contextlib.contextmanager
def _blas_limited(threads: int) -> Iterator[None]:
    """BLAS limited to `threads` in the block (through threadpoolctl; a no-op without it or
    where it finds no BLAS library).

    Where every BLAS library is at that width already, nothing is called: threadpoolctl's
    limit would set each to the width it has and restore the same (each triangular
    solve of the acquisition's local search enters `one_blas_thread` inside the search's
    own, and the limit and restore cost more than reading the widths)."""
    controller = _blas_controller()
    if controller is None or not controller.lib_controllers or all(
            lib.get_num_threads() == threads for lib in controller.lib_controllers):
        yield
        return
    with controller.limit(limits=threads):
        yield


_single_threaded = contextvars.ContextVar("single_threaded", default=False)
# True inside `thread_count`: the caller chose the width, the core rule does not apply.
_chosen = contextvars.ContextVar("threads_chosen", default=False)


@contextlib.contextmanager
def single_threaded() -> Iterator[None]:
    """Treat every problem as small: one BLAS and one Numba thread.

    For when other processes own the cores, e.g. while `minimize` keeps
    worker processes busy, or in an optimizer attached to a shared study (the
    study's other workers): a multi-threaded region would wait for cores
    the workers hold.
    """
    token = _single_threaded.set(True)
    try:
        yield
    finally:
        _single_threaded.reset(token)


def check_threads(threads: Any) -> int:
    """A thread count the caller chose (an optimizer's ``threads=``): an int from 1 to
    the threads Numba was started with (NUMBA_NUM_THREADS), a numpy integer too (returned
    as an int); TypeError/ValueError naming it. BLAS is limited to it through threadpoolctl:
    without threadpoolctl, ImportError (the choice could not be honoured)."""
    if isinstance(threads, (bool, np.bool_)) or not isinstance(threads, (int, np.integer)):
        raise TypeError(f"threads={threads!r} must be an int")
    most = int(numba.config.NUMBA_NUM_THREADS)  # type: ignore[attr-defined]
    # an int or a numpy integer from here on: int() writes np.int64(0) as the 0 it is
    if not 1 <= threads <= most:
        raise ValueError(f"threads={int(threads)} must be from 1 to {most}, the threads Numba "
                         "was started with (NUMBA_NUM_THREADS)")
    if _blas_controller() is None:
        raise ImportError(f"threads={int(threads)} limits BLAS through threadpoolctl, which is not "
                          "installed: pip install threadpoolctl (or \"bayesopt[threads]\"; "
                          "scikit-learn brings it too)", name="threadpoolctl")
    return int(threads)


@contextlib.contextmanager
def thread_count(threads: int) -> Iterator[None]:
    """The caller's choice of `threads` (`check_threads`) over the defaults in the block:
    BLAS limited to that many threads (through threadpoolctl), Numba's budget that many,
    and an enclosing `single_threaded` and the core rule lifted;
    `numeric_threads` inside shares them by its policy (one thread below `PARALLEL_MIN_N`;
    above, the BLAS threads and max(1, threads − BLAS + 1) Numba threads)."""
    previous = numba.get_num_threads()
    token = _single_threaded.set(threads == 1)
    chosen = _chosen.set(True)
    numba.set_num_threads(threads)
    try:
        with _blas_limited(threads):
            yield
    finally:
        numba.set_num_threads(previous)
        _chosen.reset(chosen)
        _single_threaded.reset(token)


@contextlib.contextmanager
def numeric_threads(n: int) -> Iterator[int]:
    """Run GP work on n observations with threads that do not fight for cores.

    Yields the number of threads parallel Numba loops will use.
    """
    previous = numba.get_num_threads()
    small = n < PARALLEL_MIN_N or _single_threaded.get()
    cores = None  # the core rule's count; None where the caller chose the width
    if not small and not _chosen.get():
        cores = usable_cores()
        small = cores < PARALLEL_MIN_CORES
    try:
        if small:
            numba.set_num_threads(1)
            with declared_threads(1), one_blas_thread():
                yield 1
            return
        blas = blas_threads() if cores is None else min(blas_threads(), cores)
        with _blas_limited(blas):
            budget = numba_thread_budget(previous if cores is None else min(previous, cores))
            numba.set_num_threads(budget)
            with declared_threads(budget):
                yield budget
    finally:
        numba.set_num_threads(previous)

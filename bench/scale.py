"""Large problems and first-use cost.

    python -m bench.scale big [--n 5000] [--dim 10] [--steps 3]
    python -m bench.scale cold-start [--repeat 3] [--bytecode cached|none]
    python -m bench.scale cold-start-phases [--repeat 3] [--bytecode cached|none]
    python -m bench.scale cold-start-compile [--repeat 3]

big: tell n random observations of a d-dimensional Ackley function at once,
then time a few ask+tell steps; prints the wall and CPU time of each phase and the
peak resident memory of the process (`resource.getrusage`).

cold-start: in a fresh Python process, the time from `import bayesopt` to the
first model-based `ask` (an 8-point initial design told, then one ask), in
wall time and in the process's CPU time (on a loaded machine the wall time
mostly measures the other processes) —
`--repeat` times with Numba's on-disk cache warm (the usual case after the
first run on a machine), and `--repeat` times with an empty cache directory
(`NUMBA_CACHE_DIR`), which is what the very first run pays for compiling
the kernels; medians and ranges, with the load average before and after.

cold-start-phases: the same first ask, warm Numba cache, split into phases —
each dependency's import in the order the engine needs them, bayesopt's own
modules, the initial design, the tells (the first fit loads Numba's target
context with the first cached kernel), the model-based ask: a markdown table
of median CPU and wall seconds per phase.

cold-start-compile: the same first ask with an empty Numba cache, each Numba
function's first call timed (its compilation, and the compilation of the
helpers inlined into it) with the signatures it was compiled for: a markdown
table of median CPU seconds per function, and of them the CPU seconds inside
Numba's LLVM lock (`numba.core.event`, "numba:llvm_lock": LLVM's optimization and
code generation; the rest is Numba's own passes), in the order of the first calls. A
trivial jitted function is called first so Numba's once-per-process target
initialization gets its own row instead of landing in the first kernel's.

Python's bytecode is cached too (`--bytecode cached`, the default), in a
temporary `PYTHONPYCACHEPREFIX` filled by a first run, as an installed package
has it (pip compiles the .pyc files); `--bytecode none` sets
`PYTHONDONTWRITEBYTECODE=1` instead, so every process compiles the sources
of bayesopt, kernels and acquisition again (~0.2 s of CPU).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator

import numpy as np

from bayesopt.argtypes import positive_int

# The first model-based ask of a new process: 6 continuous dimensions, an 8-point
# Sobol design told, one ask.
FIRST_ASK = """
from bayesopt import Optimizer, Real
opt = Optimizer({f"x{i}": Real(0.0, 1.0) for i in range(6)}, seed=0, n_initial=8)
for _ in range(8):
    p = opt.ask()
    opt.tell(p, sum((v - 0.3) ** 2 for v in p.values()))
opt.ask()
"""

COLD_START_SCRIPT = """
import time
start, cpu = time.perf_counter(), time.process_time()
""" + FIRST_ASK + """
print(f"{time.perf_counter() - start:.3f} {time.process_time() - cpu:.3f}")
"""

PHASES_SCRIPT = """
import time
marks = [("start", time.process_time(), time.perf_counter())]
def mark(label):
    marks.append((label, time.process_time(), time.perf_counter()))
import numpy; mark("import numpy")
import numba; mark("import numba")
import scipy.linalg; mark("import scipy.linalg")
import scipy.special; mark("import scipy.special")
import scipy.optimize; mark("import scipy.optimize")
import scipy.stats; mark("import scipy.stats (Sobol: scipy.stats.qmc)")
from bayesopt import Optimizer, Real; mark("import bayesopt, kernels, acquisition")
opt = Optimizer({f"x{i}": Real(0.0, 1.0) for i in range(6)}, seed=0, n_initial=8)
mark("Optimizer(space) and its Sobol design")
for _ in range(8):
    p = opt.ask()
    opt.tell(p, sum((v - 0.3) ** 2 for v in p.values()))
mark("8 design asks and tells (first fit: Numba loads)")
opt.ask(); mark("first model-based ask")
for (_, c0, w0), (label, c1, w1) in zip(marks, marks[1:]):
    print(f"{label}\t{c1 - c0:.4f}\t{w1 - w0:.4f}")
print(f"total\t{marks[-1][1] - marks[0][1]:.4f}\t{marks[-1][2] - marks[0][2]:.4f}")
"""


COMPILE_SCRIPT = """
import gc, time
from numba import njit
from numba.core import event
from numba.core.dispatcher import Dispatcher
first_calls, llvm = {}, [0.0]
class LLVMTime(event.Listener):  # CPU time inside Numba's LLVM lock (outermost holds only)
    depth, since = 0, 0.0
    def on_start(self, ev):
        if self.depth == 0:
            self.since = time.process_time()
        self.depth += 1
    def on_end(self, ev):
        self.depth -= 1
        if self.depth == 0:
            llvm[0] += time.process_time() - self.since
event.register("numba:llvm_lock", LLVMTime())
compile_for_args = Dispatcher._compile_for_args
def timed(self, *args, **kws):
    start, llvm_start = time.process_time(), llvm[0]
    try:
        return compile_for_args(self, *args, **kws)
    finally:
        name = f"{self.py_func.__module__}.{self.py_func.__qualname__}"
        total, in_llvm = first_calls.get(name, (0.0, 0.0))
        first_calls[name] = (total + time.process_time() - start, in_llvm + llvm[0] - llvm_start)
Dispatcher._compile_for_args = timed
start = time.process_time()
njit(lambda: 0)()
init = time.process_time() - start
""" + FIRST_ASK + """
total = time.process_time() - start
signatures = {f"{d.py_func.__module__}.{d.py_func.__qualname__}": len(d.signatures)
              for d in gc.get_objects() if type(d).__name__ == "CPUDispatcher"}
print(f"Numba target initialization (a trivial function)\t{init:.4f}\t\t")
for name, (seconds, in_llvm) in first_calls.items():
    if not name.endswith("<lambda>"):
        print(f"{name}\t{seconds:.4f}\t{in_llvm:.4f}\t{signatures.get(name, 0)}")
print(f"total: import to first model-based ask\t{total:.4f}\t{llvm[0]:.4f}\t")
"""


def big(n: int, dim: int, steps: int) -> str:
    from bayesopt import Optimizer
    from bayesopt.test_functions import Ackley

    f = Ackley(dim=dim)
    opt = Optimizer(f.search_space(), seed=0)
    X = np.random.default_rng(0).uniform(-32.768, 32.768, size=(n, dim))
    names = list(f.search_space())
    start, cpu = time.perf_counter(), time.process_time()
    opt.tell([dict(zip(names, map(float, x))) for x in X], [float(v) for v in np.asarray(f(X))])
    told = (time.perf_counter() - start, time.process_time() - cpu)
    times = []
    for _ in range(steps):
        start, cpu = time.perf_counter(), time.process_time()
        params = opt.ask()
        opt.tell(params, float(f(np.array(list(params.values())))))
        times.append((time.perf_counter() - start, time.process_time() - cpu))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    # wall (CPU) seconds: on a shared machine the wall time also measures the other processes
    return (f"n = {n}, d = {dim}: bulk tell (first fit on a {min(n, 1000)}-point subset, "
            f"one {n}×{n} Cholesky) {told[0]:.1f} s wall ({told[1]:.1f} s CPU); ask+tell steps "
            f"{', '.join(f'{w:.2f} s ({c:.2f} s)' for w, c in times)}; "
            f"peak memory {peak_mb:.0f} MB")


def cold_start(repeat: int, bytecode: str) -> str:
    load_before = os.getloadavg()
    with _warmed_env(bytecode) as env:
        warm = [_first_ask_seconds(env) for _ in range(repeat)]
        cold = []
        for _ in range(repeat):
            with tempfile.TemporaryDirectory() as empty:
                cold.append(_first_ask_seconds({**env, "NUMBA_CACHE_DIR": empty}))
    load_after = os.getloadavg()
    return (f"import + first model-based ask in a new process ({repeat} runs each, medians "
            f"[ranges], bytecode {bytecode}): {_summary(warm)} with a warm Numba cache; "
            f"{_summary(cold)} with an empty one (first run on a machine); load average "
            f"{load_before[0]:.1f} before, {load_after[0]:.1f} after")


def cold_start_phases(repeat: int, bytecode: str) -> str:
    load_before = os.getloadavg()
    with _warmed_env(bytecode) as env:
        runs = [[line.split("\t") for line in _run(PHASES_SCRIPT, env).splitlines()]
                for _ in range(repeat)]
    rows = [f"| {label} | {statistics.median(float(r[i][1]) for r in runs):.3f} | "
            f"{statistics.median(float(r[i][2]) for r in runs):.3f} |"
            for i, (label, _, _) in enumerate(runs[0])]
    load_after = os.getloadavg()
    header = (f"medians of {repeat} runs, bytecode {bytecode}, warm Numba cache; "
              f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} after")
    return "\n".join([header, "", "| phase | CPU s | wall s |", "|---|---:|---:|", *rows])


def cold_start_compile(repeat: int) -> str:
    load_before = os.getloadavg()
    runs = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as empty:
            env = {**os.environ, "NUMBA_CACHE_DIR": empty}
            runs.append([line.split("\t") for line in _run(COMPILE_SCRIPT, env).splitlines()])
    load_after = os.getloadavg()
    rows = []
    for i, (label, _, _, count) in enumerate(runs[0]):
        cpu = sorted(float(r[i][1]) for r in runs)
        in_llvm = [r[i][2] for r in runs]
        llvm = f"{statistics.median(float(s) for s in in_llvm):.3f}" if all(in_llvm) else ""
        rows.append(f"| {label} | {statistics.median(cpu):.3f} [{cpu[0]:.3f}–{cpu[-1]:.3f}] "
                    f"| {llvm} | {count} |")
    header = (f"first calls with an empty Numba cache, medians [ranges] of {repeat} runs "
              f"(of which in LLVM: CPU time in Numba's \"numba:llvm_lock\" events); load "
              f"average {load_before[0]:.1f} before, {load_after[0]:.1f} after")
    return "\n".join([header, "", "| first call | CPU s | of which LLVM | signatures |",
                      "|---|---:|---:|---:|", *rows])


@contextlib.contextmanager
def _warmed_env(bytecode: str) -> Iterator[dict[str, str]]:
    """The subprocesses' environment, after one run filled the default Numba cache (if it
    was empty) and, with `bytecode` "cached", a temporary bytecode cache."""
    with tempfile.TemporaryDirectory() as pycache:
        env = _bytecode_env(pycache, bytecode)
        _run(COLD_START_SCRIPT, env)
        yield env


def _bytecode_env(pycache: str, bytecode: str) -> dict[str, str]:
    """The subprocesses' environment: bytecode cached under `pycache`, or never written."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    if bytecode == "none":
        return {**env, "PYTHONDONTWRITEBYTECODE": "1"}
    return {**env, "PYTHONPYCACHEPREFIX": pycache}


def _summary(runs: list[tuple[float, float]]) -> str:
    wall, cpu = sorted(w for w, _ in runs), sorted(c for _, c in runs)
    return (f"{statistics.median(cpu):.2f} s CPU [{cpu[0]:.2f}–{cpu[-1]:.2f}], "
            f"{statistics.median(wall):.2f} s wall [{wall[0]:.2f}–{wall[-1]:.2f}]")


def _first_ask_seconds(env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU) seconds from the import to the first model-based ask in a new process."""
    wall, cpu = _run(COLD_START_SCRIPT, env).strip().splitlines()[-1].split()
    return float(wall), float(cpu)


def _run(script: str, env: dict[str, str]) -> str:
    """The standard output of `script` run in a new Python process with `env`."""
    return subprocess.run([sys.executable, "-c", script], env=env,
                          capture_output=True, text=True, check=True).stdout


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("what", choices=["big", "cold-start", "cold-start-phases",
                                         "cold-start-compile"])
    parser.add_argument("--n", type=positive_int, default=5000)
    parser.add_argument("--dim", type=positive_int, default=10)
    parser.add_argument("--steps", type=positive_int, default=3)
    parser.add_argument("--repeat", type=positive_int, default=3,
                        help="cold-start: runs with a warm and with an empty Numba cache")
    parser.add_argument("--bytecode", choices=["cached", "none"], default="cached",
                        help="cold-start: Python bytecode cached (as installed) or never written")
    args = parser.parse_args(argv)
    if args.what == "big":
        print(big(args.n, args.dim, args.steps))
    elif args.what == "cold-start":
        print(cold_start(args.repeat, args.bytecode))
    elif args.what == "cold-start-compile":
        print(cold_start_compile(args.repeat))
    else:
        print(cold_start_phases(args.repeat, args.bytecode))


if __name__ == "__main__":
    main()

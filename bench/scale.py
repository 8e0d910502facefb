"""Large problems and first-use cost.

    python -m bench.scale big [--n 5000] [--dim 10] [--steps 3]
    python -m bench.scale cold-start

big: tell n random observations of a d-dimensional Ackley function at once,
then time a few ask+tell steps; prints the wall time of each phase and the
peak resident memory of the process (`resource.getrusage`).

cold-start: in a fresh Python process, the time from `import bayesopt` to the
first model-based `ask` (an 8-point initial design told, then one ask), in
wall time and in the process's CPU time (on a loaded machine the wall time
mostly measures the other processes) —
once with Numba's on-disk cache warm (the usual case after the first run on
a machine), once with an empty cache directory (`NUMBA_CACHE_DIR`), which
is what the very first run pays for compiling the kernels.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

from bayesopt.argtypes import positive_int

COLD_START_SCRIPT = """
import time
start, cpu = time.perf_counter(), time.process_time()
from bayesopt import Optimizer, Real
opt = Optimizer({f"x{i}": Real(0.0, 1.0) for i in range(6)}, seed=0, n_initial=8)
for _ in range(8):
    p = opt.ask()
    opt.tell(p, sum((v - 0.3) ** 2 for v in p.values()))
opt.ask()
print(f"{time.perf_counter() - start:.3f} {time.process_time() - cpu:.3f}")
"""


def big(n: int, dim: int, steps: int) -> str:
    from bayesopt import Optimizer
    from bayesopt.test_functions import Ackley

    f = Ackley(dim=dim)
    opt = Optimizer(f.search_space(), seed=0)
    X = np.random.default_rng(0).uniform(-32.768, 32.768, size=(n, dim))
    names = list(f.search_space())
    start = time.perf_counter()
    opt.tell([dict(zip(names, map(float, x))) for x in X], [float(v) for v in f(X)])
    told = time.perf_counter() - start
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        params = opt.ask()
        opt.tell(params, float(f(np.array(list(params.values())))))
        times.append(time.perf_counter() - start)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    return (f"n = {n}, d = {dim}: bulk tell (first fit on a {min(n, 1000)}-point subset, "
            f"one {n}×{n} Cholesky) {told:.1f} s; ask+tell steps "
            f"{', '.join(f'{t:.2f} s' for t in times)}; peak memory {peak_mb:.0f} MB")


def cold_start() -> str:
    _first_ask_seconds(os.environ)  # fills the default cache if it was empty
    warm = _first_ask_seconds(os.environ)
    with tempfile.TemporaryDirectory() as empty:
        cold = _first_ask_seconds({**os.environ, "NUMBA_CACHE_DIR": empty})
    return (f"import + first model-based ask in a new process: {warm[0]:.2f} s wall, "
            f"{warm[1]:.2f} s CPU with a warm Numba cache; {cold[0]:.2f} s wall, "
            f"{cold[1]:.2f} s CPU with an empty one (first run on a machine)")


def _first_ask_seconds(env: os._Environ[str] | dict[str, str]) -> tuple[float, float]:
    """(wall, CPU) seconds from the import to the first model-based ask in a new process."""
    out = subprocess.run([sys.executable, "-c", COLD_START_SCRIPT], env=dict(env),
                         capture_output=True, text=True, check=True)
    wall, cpu = out.stdout.strip().splitlines()[-1].split()
    return float(wall), float(cpu)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("what", choices=["big", "cold-start"])
    parser.add_argument("--n", type=positive_int, default=5000)
    parser.add_argument("--dim", type=positive_int, default=10)
    parser.add_argument("--steps", type=positive_int, default=3)
    args = parser.parse_args(argv)
    print(big(args.n, args.dim, args.steps) if args.what == "big" else cold_start())


if __name__ == "__main__":
    main()

"""A benchmark farm's checks: the same asks in every process, a shared cold Numba cache,
and many short runs in one process.

    python -m bench.farm determinism             # the determinism matrix
    python -m bench.farm cache [--processes 8]   # two waves on an empty NUMBA_CACHE_DIR
    python -m bench.farm leak [--runs 2000]      # RSS and CPU per run over sequential runs

`determinism`: 14 asks of an ask/tell loop (seed 0) on a 4-dimensional mixed space
(SPACE: two reals, a log-scaled integer, a categorical) in this process, then again in
worker processes of every start method (multiprocessing pools, ProcessPoolExecutor,
joblib's loky), after pickling the optimizer after 9 tells (in the process, and sent to
another process), after `Optimizer.resume` of its journal, and with ``threads=1``;
each row says whether its asks equal this process's, or the first ask that differs.

`cache`: `--processes` processes start the same loop together on an empty
`NUMBA_CACHE_DIR` (wave 1: they compile side by side), then as many again on the cache
they wrote (wave 2), through a spawn pool, a forkserver ProcessPoolExecutor and joblib;
each wave's count of asks equal to this process's, the warnings caught and the median
CPU seconds of the loop (import and compilation included).

`leak`: `minimize` of Branin, 20 evaluations, seed i, for i = 1 … `--runs` in this
process; at the runs named by MARKS, the resident set (/proc/self/statm), the process
CPU seconds of that run and the count of objects the garbage collector tracks.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import gc
import math
import multiprocessing as mp
import os
import pickle
import shutil
import statistics
import tempfile
import time
import warnings
from typing import Any, cast

from bayesopt import Categorical, Integer, Optimizer, Real, minimize
from bayesopt.argtypes import positive_int
from bayesopt.test_functions import Branin

SPACE = {"x": Real(-5, 10), "y": Real(0, 15), "k": Integer(1, 8, log=True),
         "c": Categorical(["a", "b", "c"])}
N_ASKS = 14
BREAK = 9  # the tells before a pickle or a resume
MARKS = (1, 10, 100, 200, 500, 1000, 1500, 2000)


def objective(p: dict[str, Any]) -> float:
    """Branin in (x, y) plus small integer and categorical terms."""
    x, y = p["x"], p["y"]
    branin = ((y - 5.1 / (4 * math.pi ** 2) * x ** 2 + 5 / math.pi * x - 6) ** 2
              + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x) + 10)
    return float(branin + 0.1 * p["k"] + (0.3 if p["c"] == "b" else 0.0))


def _steps(opt: Optimizer, start: int, stop: int, asks: list[str]) -> Optimizer:
    for _ in range(start, stop):
        params = opt.ask()
        asks.append(repr(sorted(params.items())))
        opt.tell(params, objective(params))
    return opt


def asks(kind: str = "plain", threads: int | None = None) -> list[str]:
    """The loop's asks; `kind`: plain, pickle (pickled and loaded after BREAK tells) or
    resume (rebuilt from its journal after BREAK tells)."""
    warnings.simplefilter("ignore")
    extra: dict[str, Any] = {} if threads is None else {"threads": threads}
    out: list[str] = []
    with tempfile.TemporaryDirectory() as folder:
        journal = os.path.join(folder, "run.jsonl") if kind == "resume" else None
        opt = _steps(Optimizer(SPACE, seed=0, journal=journal, **extra), 0, BREAK, out)
        if kind == "pickle":
            opt = pickle.loads(pickle.dumps(opt))
        elif kind == "resume":
            opt.close()
            opt = Optimizer.resume(str(journal), **extra)
        _steps(opt, BREAK, N_ASKS, out)
        opt.close()
    return out


def first_part() -> tuple[list[str], bytes]:
    """BREAK asks and the pickled optimizer, to be continued in another process."""
    warnings.simplefilter("ignore")
    out: list[str] = []
    opt = _steps(Optimizer(SPACE, seed=0), 0, BREAK, out)
    return out, pickle.dumps(opt)


def second_part(blob: bytes) -> list[str]:
    warnings.simplefilter("ignore")
    out: list[str] = []
    _steps(pickle.loads(blob), BREAK, N_ASKS, out)
    return out


def _row(name: str, got: list[str], ref: list[str]) -> str:
    first = next((i for i, (a, b) in enumerate(zip(got, ref)) if a != b), None)
    same = got == ref
    return f"| {name} | {'same' if same else f'differs from ask {first}'} |"


def determinism() -> list[str]:
    import joblib

    ref = asks()
    rows = ["| where the asks were computed | 14 asks against this process's |", "|---|---|",
            _row("this process, again", asks(), ref),
            _row("pickled and loaded after 9 tells", asks("pickle"), ref),
            _row("resumed from its journal after 9 tells", asks("resume"), ref),
            _row("threads=1", asks(threads=1), ref)]
    for method in ("fork", "spawn", "forkserver"):
        context = mp.get_context(method)
        with context.Pool(2) as pool:
            got = pool.map(asks, ["plain", "plain"])
        rows += [_row(f"multiprocessing.Pool ({method}), worker {i}", g, ref)
                 for i, g in enumerate(got)]
        with cf.ProcessPoolExecutor(2, mp_context=context) as ex:
            head, blob = ex.submit(first_part).result()
            tail = ex.submit(second_part, blob).result()
        rows.append(_row(f"ProcessPoolExecutor ({method}): pickled after 9 tells, "
                         "continued by a task", head + tail, ref))
    got = joblib.Parallel(n_jobs=2, backend="loky")(joblib.delayed(asks)() for _ in range(2))
    rows += [_row(f"joblib (loky), worker {i}", g, ref) for i, g in enumerate(got)]
    rows.append(f"| seed 1 in this process (a check that a row can differ) | "
                f"{'differs' if _seeded(1) != ref else 'SAME'} |")
    return rows


def _seeded(seed: int) -> list[str]:
    out: list[str] = []
    _steps(Optimizer(SPACE, seed=seed), 0, N_ASKS, out)
    return out


def _cold_job(_: int) -> tuple[list[str], list[str], float]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.process_time()
        out = _seeded(0)
        cpu = time.process_time() - start
    return out, [f"{w.category.__name__}: {w.message}" for w in caught], cpu


def _wave(how: str, n: int) -> list[tuple[list[str], list[str], float]]:
    if how == "spawn pool":
        with mp.get_context("spawn").Pool(n) as pool:
            return pool.map(_cold_job, range(n))
    if how == "ProcessPoolExecutor (forkserver)":
        with cf.ProcessPoolExecutor(n, mp_context=mp.get_context("forkserver")) as ex:
            return list(ex.map(_cold_job, range(n)))
    import joblib
    from joblib.externals.loky import get_reusable_executor

    got = joblib.Parallel(n_jobs=n, backend="loky")(joblib.delayed(_cold_job)(i) for i in range(n))
    get_reusable_executor().shutdown(wait=True)  # the next wave starts new processes
    return list(got)


def cache(n: int) -> list[str]:
    ref = _seeded(0)
    rows = ["| start | wave | same asks | warnings | CPU s, median [min–max] |",
            "|---|---|---|---|---|"]
    for how in ("spawn pool", "ProcessPoolExecutor (forkserver)", "joblib (loky)"):
        folder = tempfile.mkdtemp(prefix="farm-cache-")
        os.environ["NUMBA_CACHE_DIR"] = folder  # inherited by the workers started below
        try:
            for wave in ("1 (empty cache)", "2 (its cache)"):
                got = _wave(how, n)
                cpus = [g[2] for g in got]
                caught = sorted({w for g in got for w in g[1]})
                rows.append(f"| {how} | {wave} | {sum(g[0] == ref for g in got)}/{n} | "
                            f"{caught or 'none'} | {statistics.median(cpus):.2f} "
                            f"[{min(cpus):.2f}–{max(cpus):.2f}] |")
        finally:
            del os.environ["NUMBA_CACHE_DIR"]
            shutil.rmtree(folder, ignore_errors=True)
    return rows


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2 ** 20


def leak(runs: int) -> list[str]:
    warnings.simplefilter("ignore")
    branin = Branin()
    rows = ["| run | RSS MB | CPU s of the run | gc-tracked objects | load |", "|---|---|---|---|---|"]
    for i in range(1, runs + 1):
        start = time.process_time()
        minimize(cast(Any, branin), branin.space, n_calls=20, seed=i, progress=False)
        cpu = time.process_time() - start
        if i in MARKS or i == runs:
            gc.collect()
            rows.append(f"| {i} | {_rss_mb():.1f} | {cpu:.3f} | {len(gc.get_objects())} | "
                        f"{os.getloadavg()[0]:.1f} |")
            print(rows[-1], flush=True)
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.farm", description=__doc__.split("\n")[0])
    parser.add_argument("check", choices=["determinism", "cache", "leak"])
    parser.add_argument("--processes", type=positive_int, default=8)
    parser.add_argument("--runs", type=positive_int, default=2000)
    args = parser.parse_args(argv)
    if args.check == "determinism":
        rows = determinism()
    elif args.check == "cache":
        rows = cache(args.processes)
    else:
        rows = leak(args.runs)
    print("\n".join(rows))


if __name__ == "__main__":
    main()

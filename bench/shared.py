"""Shared studies, the optimizer's side: what catching up costs, and how close k
workers with a slow objective come to the ideal wall time.

    catch-up : an optimizer attached to a study while another one appends 1,000
               events (500 asks, 500 tells); the time its next read of `history`
               takes to apply them (what its next ask pays first), and the time a
               fresh attach takes to replay the whole study
    workers  : k processes on one machine, each `minimize(..., storage=, study=)` with
               an objective that sleeps `--sleep` seconds, until the study holds
               `--evaluations`; wall time against the ideal evaluations / k · sleep

    python -m bench.shared                               # JSON lines, both measurements
    python -m bench.shared --storage sqlite:///bench.db  # another storage
    python -m bench.shared --workers 8 --sleep 0.5 --evaluations 64

Prints a Markdown table (append it to bench/results/shared.md by hand).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bayesopt import Integer, Optimizer, Real, minimize

SPACE = {"x": Real(-2.0, 2.0), "y": Real(1e-3, 10.0, log=True), "k": Integer(0, 3)}


def _objective(params: dict[str, Any], sleep: float = 0.0) -> float:
    time.sleep(sleep)
    return float((params["x"] - 0.3) ** 2 + (params["k"] - 1) ** 2 * 0.1 + abs(params["y"] - 1.0))


def _place(url: str | None, label: str) -> tuple[str, str]:
    """(storage URL, study name) for one measurement: a new study in a database, or a
    new file (a JSON-lines file holds one study) when no URL is given."""
    study = f"{label}-{os.getpid()}-{time.time_ns()}"
    if url is None:
        return str(Path(tempfile.mkdtemp()) / f"{study}.jsonl"), study
    return url, study


def catch_up(url: str | None, repeats: int) -> dict[str, float]:
    """Seconds to apply 1,000 new events, and to replay a 1,000-event study (medians)."""
    applied, replayed = [], []
    for _ in range(repeats):
        url_r, study = _place(url, "catch-up")
        writer = Optimizer(SPACE, storage=url_r, study=study, seed=0, n_initial=2000)
        reader = Optimizer(SPACE, storage=url_r, study=study, seed=1)
        for _ in range(500):  # initial-design asks: cheap, so the log dominates
            params = writer.ask()
            writer.tell(params, _objective(params))
        start = time.perf_counter()
        assert len(reader.history) == 500
        applied.append(time.perf_counter() - start)
        start = time.perf_counter()
        fresh = Optimizer(SPACE, storage=url_r, study=study, seed=2)
        replayed.append(time.perf_counter() - start)
        assert len(fresh.history) == 500
        for opt in (writer, reader, fresh):
            opt.close()
    return {"apply": statistics.median(applied), "replay": statistics.median(replayed)}


def _worker(url: str, study: str, evaluations: int, sleep: float, seed: int,
            ready: Any, times: Any) -> None:
    """Warm up (imports, and Numba's compiled kernels loaded by a short optimization in
    memory), attach, wait for every worker, then run."""
    warm = Optimizer(SPACE, seed=seed)
    for _ in range(warm.n_initial + 2):
        params = warm.ask()
        warm.tell(params, _objective(params))
    Optimizer(SPACE, storage=url, study=study, seed=seed).close()
    ready.wait()
    start = time.time()
    minimize(lambda p: _objective(p, sleep), SPACE, n_calls=evaluations, seed=seed,
             storage=url, study=study, progress=False)
    times[seed] = (start, time.time())


def workers(url: str | None, k: int, evaluations: int, sleep: float) -> dict[str, float]:
    """Wall time of k workers from the moment all of them are ready (a barrier after
    each has warmed up and attached) until the last one returns, and from the
    processes' start (interpreter start-up, imports and Numba's loading included)."""
    url, study = _place(url, "workers")
    Optimizer(SPACE, storage=url, study=study).close()
    context = multiprocessing.get_context("spawn")  # the parent may have started OpenMP
    ready, times = context.Barrier(k), context.Manager().dict()
    processes = [context.Process(target=_worker,
                                 args=(url, study, evaluations, sleep, seed, ready, times))
                 for seed in range(k)]
    launched = time.time()
    for process in processes:
        process.start()
    for process in processes:
        process.join()
    failed = [p.exitcode for p in processes if p.exitcode != 0]
    if failed:
        raise RuntimeError(f"{len(failed)} worker(s) failed, exit codes {failed}")
    start = min(t[0] for t in times.values())
    end = max(t[1] for t in times.values())
    total = len(Optimizer(SPACE, storage=url, study=study).history)
    ideal = evaluations / k * sleep
    return {"wall": end - start, "ideal": ideal, "ratio": (end - start) / ideal,
            "evaluations": total, "with_startup": end - launched}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--storage", help="storage URL (default: a temporary .jsonl file)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--sleep", type=float, default=0.5)
    parser.add_argument("--evaluations", type=int, default=64)
    args = parser.parse_args()
    cost = catch_up(args.storage, args.repeats)
    kind = args.storage.split(":")[0] if args.storage else "jsonl"
    print(f"| storage | apply 1,000 new events | replay a 1,000-event study |\n|---|---|---|\n"
          f"| {kind} | {cost['apply'] * 1e3:.0f} ms | {cost['replay'] * 1e3:.0f} ms |")
    run = workers(args.storage, args.workers, args.evaluations, args.sleep)
    print(f"\n{args.workers} workers, {args.sleep} s objective, {run['evaluations']:.0f} "
          f"evaluations: wall {run['wall']:.1f} s from the barrier "
          f"({run['with_startup']:.1f} s with interpreter start-up), ideal {run['ideal']:.1f} s, "
          f"ratio {run['ratio']:.2f}")


if __name__ == "__main__":
    main()

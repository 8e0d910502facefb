"""Storage costs: append latency per storage, and the cost of reading 1,000 events.

    python -m bench.storage [--appends 300] [--out bench/results/storage.md]

For each storage, one process on a fresh study:
  append        `--appends` appends of one tell-sized event; p50 and p99 latency.
                Each returns only once durable (JSON lines: the file fsync'ed; SQLite:
                WAL fsync'ed, synchronous=FULL; PostgreSQL: committed on a server with
                fsync on).
  lock+append   the same under the study lock (taken and released per append), as an
                ask pays it.
  read 1,000    read a study of 1,000 events from offset 0 (the catch-up of a freshly
                attached worker); median of 20.
PostgreSQL runs on a server this script starts (tests/postgres.py: initdb into a
temporary folder, 127.0.0.1, fsync on) unless `--postgres URL` names one; it is
left out, with the reason, where neither is possible.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parent.parent / "tests"


def tell_event(i: int) -> dict[str, Any]:
    return {"type": "tell", "trial": i, "params": {"x": 0.1234567 * i % 1, "lr": 3.1e-4},
            "value": 1.0 / (i + 1), "worker": os.getpid()}


def quantiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p99 in milliseconds."""
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return 1e3 * statistics.median(ordered), 1e3 * p99


def timed(action: Callable[[], object], repeats: int) -> list[float]:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return samples


def measure(holding: Callable[[str], Any], appends: int) -> dict[str, float]:
    """The figures of one storage; `holding(study)` is a storage that can hold `study`
    (the same database for every study; a file per study for JSON lines)."""
    storage = holding("bench")
    storage.create_or_attach("bench", {"space": "x"})
    counter = iter(range(10**9))
    plain = timed(lambda: storage.append("bench", [tell_event(next(counter))]), appends)

    def locked_append() -> None:
        with storage.lock("bench"):
            storage.append("bench", [tell_event(next(counter))])

    under_lock = timed(locked_append, appends)
    storage = holding("read")
    storage.create_or_attach("read", {"space": "x"})
    for start in range(0, 1000, 100):
        storage.append("read", [tell_event(i) for i in range(start, start + 100)])
    reads = timed(lambda: storage.read("read"), 20)
    assert len(storage.read("read")) == 1000
    (p50, p99), (l50, l99) = quantiles(plain), quantiles(under_lock)
    return {"p50": p50, "p99": p99, "l50": l50, "l99": l99, "read": 1e3 * statistics.median(reads)}


@contextmanager
def jsonl_storage() -> Iterator[Callable[[str], Any]]:
    from bayesopt.storage.jsonl import JSONLStorage

    with tempfile.TemporaryDirectory() as folder:
        opened: list[Any] = []

        def holding(study: str) -> Any:
            opened.append(JSONLStorage(Path(folder) / f"{study}.jsonl"))
            return opened[-1]

        try:
            yield holding
        finally:
            for storage in opened:
                storage.close()


@contextmanager
def sqlite_storage() -> Iterator[Callable[[str], Any]]:
    from bayesopt.storage.sqlite import SQLiteStorage

    with tempfile.TemporaryDirectory() as folder:
        storage = SQLiteStorage(Path(folder) / "bench.db")
        try:
            yield lambda study: storage
        finally:
            storage.close()


@contextmanager
def postgres_storage(url: str | None) -> Iterator[Callable[[str], Any]]:
    from bayesopt.storage.postgres import PostgresStorage

    if url is not None:
        storage = PostgresStorage(url)
        try:
            yield lambda study: storage
        finally:
            storage.close()
        return
    sys.path.insert(0, str(TESTS))
    from postgres import PostgresServer, find_binaries

    binaries, looked = find_binaries()
    if binaries is None:
        raise RuntimeError(f"PostgreSQL binaries not found: {looked}")
    server = PostgresServer(binaries, durable=True)
    try:
        server.start()
        storage = PostgresStorage(server.create_database("bench"))
        try:
            yield lambda study: storage
        finally:
            storage.close()
            server.stop()
    finally:
        server.remove()


def run(appends: int, postgres_url: str | None) -> str:
    storages: dict[str, Callable[[], Any]] = {
        "jsonl": jsonl_storage,
        "sqlite": sqlite_storage,
        "postgresql": lambda: postgres_storage(postgres_url),
    }
    header = ("| storage | append p50 | append p99 | lock+append p50 | lock+append p99 "
              "| read 1,000 events |")
    rows = [header, "|---|---:|---:|---:|---:|---:|"]
    for name, opener in storages.items():
        try:
            with opener() as holding:
                m = measure(holding, appends)
        except (ImportError, RuntimeError) as error:
            rows.append(f"| {name} | not run: {error} |||||")
            continue
        rows.append(f"| {name} | {m['p50']:.2f} ms | {m['p99']:.2f} ms | {m['l50']:.2f} ms "
                    f"| {m['l99']:.2f} ms | {m['read']:.1f} ms |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--appends", type=int, default=300)
    parser.add_argument("--postgres", default=None, help="URL of a server to use instead")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    table = run(args.appends, args.postgres)
    print(table)
    if args.out is not None:
        command = f"python -m bench.storage --appends {args.appends}"
        args.out.write_text(
            f"# Storage costs\n\n{date.today()}, {platform.node()}, {os.cpu_count()} cores, "
            f"one process, `{command}` (latencies in milliseconds; durable appends).\n\n"
            f"{table}\n"
        )


if __name__ == "__main__":
    main()

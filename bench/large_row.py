"""Memory of refusing a database event row longer than `codec.MAX_TEXT_BYTES` (64 MiB).

    python -m bench.large_row [--sizes 70,300] [--stores sqlite,postgresql] [--repeats 2]

For each store and size S (MB), a study of three events is written, then event 1 is
set by raw SQL (as another program would) to a JSON object of S·10⁶ digits. A fresh
process opens the storage, reads the study and is refused (`StorageError`); measured
over that read alone:

    rss      the resident set's growth: VmHWM after the read minus VmRSS before it, the
             high-water mark reset just before by writing 5 to /proc/self/clear_refs
             (Linux), in MB: SQLite's and libpq's copies count here;
    heap     the Python heap's peak growth (tracemalloc), in MB;
    cpu      the read's CPU time in the reading process, in s (a PostgreSQL server's
             work is the server's, not counted).

PostgreSQL runs on a server this script starts (tests/postgres.py). The code measured is
whichever `bayesopt` is imported (PYTHONPATH), so one script measures two versions.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.hostile_journal import postgres_url

# the reading process: argv = kind, where, study; prints {"rss", "heap", "cpu", "refused"}
_READER = r"""
import json, sys, time, tracemalloc
from bayesopt.storage import StorageError
kind, where, study = sys.argv[1:4]
if kind == "sqlite":
    from bayesopt.storage.sqlite import SQLiteStorage as Storage
else:
    from bayesopt.storage.postgres import PostgresStorage as Storage
storage = Storage(where)
storage.create_or_attach(study, {"n": 0})

def status(key):
    with open("/proc/self/status") as lines:
        for line in lines:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024

with open("/proc/self/clear_refs", "w") as refs:
    refs.write("5")
before = status("VmRSS")
tracemalloc.start()
start = time.process_time()
try:
    storage.read(study)
    refused = ""
except StorageError as error:
    refused = str(error)[-120:]
cpu = time.process_time() - start
heap = tracemalloc.get_traced_memory()[1] / 2**20
print(json.dumps({"rss": status("VmHWM") - before, "heap": heap, "cpu": cpu,
                  "refused": refused}))
"""


# event 1 of `study` set to a JSON object of `size` digits (the parameters: size, study)
_OVERSIZE = {
    "sqlite": ("UPDATE events SET body = '{\"n\":\"' || replace(hex(zeroblob(? / 2)), '0', "
               "'9') || '\"}' WHERE study = ? AND seq = 1"),
    "postgresql": ("UPDATE bayesopt_events SET body = ('{\"n\":\"' || repeat('9', %s) || "
                   "'\"}')::json WHERE study = %s AND seq = 1"),
}


def _write(kind: str, where: str, study: str, size: int) -> None:
    """`study` of three events whose event 1 is `size` digits, written by raw SQL."""
    from bayesopt.storage import open_storage

    storage = open_storage(f"sqlite:///{where}" if kind == "sqlite" else where)
    storage.create_or_attach(study, {"n": 0})
    storage.append(study, [{"n": n} for n in range(3)])
    storage.close()
    if kind == "sqlite":
        import sqlite3

        with sqlite3.connect(where) as conn:
            conn.execute(_OVERSIZE[kind], (size, study))
        conn.close()
        return
    import psycopg

    with psycopg.connect(where) as session:
        session.execute(_OVERSIZE[kind], (size, study))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="70,300", help="row sizes in MB (10⁶ bytes)")
    parser.add_argument("--stores", default="sqlite,postgresql")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(argv)
    stores = args.stores.split(",")
    print("| store | row MB | rss MB | heap MB | cpu s | refused |\n|---|---:|---:|---:|---:|---|")
    with postgres_url(None, "postgresql" in stores) as url, \
            tempfile.TemporaryDirectory() as scratch:
        for kind in stores:
            where = str(Path(scratch) / "big.db") if kind == "sqlite" else str(url)
            for size in (int(text) for text in args.sizes.split(",")):
                _write(kind, where, f"s{size}", size * 10**6)
                for _ in range(args.repeats):
                    out = subprocess.run([sys.executable, "-c", _READER, kind, where, f"s{size}"],
                                         capture_output=True, text=True, check=True).stdout
                    row = json.loads(out)
                    print(f"| {kind} | {size} | {row['rss']:.1f} | {row['heap']:.1f} | "
                          f"{row['cpu']:.2f} | {row['refused'][-60:]!r} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

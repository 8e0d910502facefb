"""Shared studies when the infrastructure misbehaves: one scenario per name, printed.

    python -m bench.ops [SCENARIO ...]        (all of them without a name)

Each scenario runs real components — a PostgreSQL server started here
(tests/postgres.py: initdb into a temporary folder, 127.0.0.1), SQLite files and
JSON-lines files in a temporary folder, worker processes — and prints what a worker
saw: whether its call raised (and the first words of the error), how long it took, and
what the study holds afterwards. bench/results/ops.md tabulates them, before and after.

    pg-restart      the server restarted between an ask and its tell; stopped for longer
                    than the reconnections during a tell, then told again; restarted three
                    times while a worker asks and tells
    pg-lost-commit  a tell's COMMIT reaches the server, its answer never the worker, and
                    no reconnection succeeds (reconnect_attempts=0); then told again
    pg-unreachable  a port where nothing listens; a host that never answers (a listening
                    socket that is never served), with connect_timeout=2 and the default
    pg-creation     attaching while another session inserts the same new study, or holds
                    the lock on creating the tables, in a transaction left open for 3 s
    sqlite-file     the database deleted, or replaced by an older copy, under a worker
    sqlite-storm    4 processes telling 100 points each at once on one database
    clock-skew      a worker whose clock is 600 s ahead asks while another's point runs
    journal-two     a second process resuming a journal while its writer runs
"""

from __future__ import annotations

import argparse
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from functools import partial
from pathlib import Path
from typing import Any

from bayesopt import Optimizer, Real

TESTS = Path(__file__).resolve().parent.parent / "tests"
SPACE = {"x": Real(0, 1), "y": Real(0, 1)}


def say(*words: object) -> None:
    print(*words, flush=True)


def outcome(call: Callable[[], Any]) -> str:
    """'ok after t s' or 'Error after t s: first words of its message'."""
    start = time.monotonic()
    try:
        call()
    except Exception as error:  # noqa: BLE001 - what the worker sees is what is reported
        text = " ".join(str(error).split())
        text = text if len(text) <= 400 else f"{text[:130]} [...] {text[-250:]}"
        return f"{type(error).__name__} after {time.monotonic() - start:.1f} s: {text}"
    return f"ok after {time.monotonic() - start:.1f} s"


def events(url: str) -> list[dict[str, Any]]:
    from bayesopt.storage import open_storage

    storage = open_storage(url)
    try:
        return storage.read("s")
    finally:
        storage.close()


def counts(url: str) -> str:
    kinds = [e["event"] for e in events(url)]
    return ", ".join(f"{kind} {kinds.count(kind)}" for kind in sorted(set(kinds)))


@contextmanager
def postgres() -> Iterator[Any]:
    sys.path.insert(0, str(TESTS))
    from postgres import find_binaries, serving

    binaries, looked = find_binaries()
    if binaries is None:
        raise SystemExit(f"no PostgreSQL: {looked}")
    with serving(binaries) as server:
        yield server


def running(opt: Optimizer, told: int) -> dict[str, Any]:
    """Tell `told` asked points, then ask one more: the point a worker is evaluating."""
    for _ in range(told):
        params = opt.ask()
        opt.tell(params, params["x"])
    return opt.ask()


def pg_restart() -> None:
    with postgres() as server:
        url = server.create_database("ops")
        opt = Optimizer(SPACE, storage=url, study="s", seed=0)
        params = running(opt, 3)
        server.restart()
        say("restart between ask and tell: tell", outcome(lambda: opt.tell(params, 1.0)),
            "| study:", counts(url), "| pending", len(opt.pending))
        params = opt.ask()
        server.stop()
        say("server down during a tell: tell", outcome(lambda: opt.tell(params, 2.0)))
        server.start()
        say("  told again once it is back:", outcome(lambda: opt.tell(params, 2.0)),
            "| study:", counts(url), "| pending", len(opt.pending))
        restarts: list[int] = []

        def restarter() -> None:
            while len(restarts) < 3:
                time.sleep(0.7)
                server.restart()
                restarts.append(1)

        thread = threading.Thread(target=restarter)
        thread.start()
        cycles, failures = 0, []
        while len(restarts) < 3:
            params = opt.ask()
            failures.append(outcome(partial(opt.tell, params, params["x"])))
            cycles += 1
        thread.join()
        told = [tuple(e["points"][0]) for e in events(url) if e["event"] == "tell"]
        say(f"3 restarts during {cycles} ask/tell cycles: calls failed",
            sum(not f.startswith("ok") for f in failures), "| study:", counts(url),
            "| distinct told points", len(set(told)), "| pending", len(opt.pending))
        opt.close()


def pg_lost_commit() -> None:
    sys.path.insert(0, str(TESTS))
    from bayesopt.storage.postgres import PostgresStorage
    from postgres import DropAfterCommit

    with postgres() as server:
        server.create_database("ops")
        with DropAfterCommit(server.port) as proxy, \
                closing(PostgresStorage(proxy.url("ops"), reconnect_attempts=0)) as storage, \
                Optimizer(SPACE, storage=storage, study="s", seed=0) as opt:
            params = running(opt, 3)
            proxy.arm()
            say("COMMIT's answer lost: tell", outcome(lambda: opt.tell(params, 1.0)))
            say("  told again:", outcome(lambda: opt.tell(params, 1.0)), "| study:",
                counts(server.url("ops")), "| observations of the point",
                [o.params for o in opt.history].count(params))


def pg_unreachable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    say("nothing listens:", outcome(lambda: Optimizer(
        SPACE, storage=f"postgresql://postgres@127.0.0.1:{free}/db", study="s")))
    with socket.create_server(("127.0.0.1", 0), backlog=64) as silent:
        port = silent.getsockname()[1]
        for query in ("?connect_timeout=2", ""):
            url = f"postgresql://postgres@127.0.0.1:{port}/db{query}"
            say(f"never answers{query or ' (default connect_timeout)'}:",
                outcome(partial(Optimizer, SPACE, storage=url, study="s")))


def pg_creation() -> None:
    import psycopg

    from bayesopt.storage import codec
    from bayesopt.storage.postgres import _NAMESPACE

    codec.LOCK_WAIT_WARNING = 1.0  # the scenario's holder lets go after 3 s
    with postgres() as server:
        url = server.create_database("ops")
        Optimizer(SPACE, storage=url, study="old", seed=0).close()
        holds = {"a new study's insert": (("INSERT INTO bayesopt_studies (name, header)"
                                           " VALUES ('s', '{}')"), ()),
                 "the tables' lock": ("SELECT pg_advisory_xact_lock(%s)", (_NAMESPACE,))}
        for what, (statement, args) in holds.items():
            holder = psycopg.connect(url)
            holder.execute(statement, args)
            threading.Timer(3.0, holder.rollback).start()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                result = outcome(lambda: Optimizer(SPACE, storage=url, study="s").close())
            said = [" ".join(str(w.message).split())[:200] for w in caught
                    if not issubclass(w.category, ResourceWarning)]
            say(f"another session holding {what} for 3 s: attach {result} | warnings: {said}")
            holder.close()


def sqlite_file() -> None:
    with tempfile.TemporaryDirectory() as folder:
        for how in ("deleted", "replaced"):
            path = Path(folder) / f"{how}.db"
            url = f"sqlite:///{path}"
            opt = Optimizer(SPACE, storage=url, study="s", seed=0)
            params = running(opt, 2)
            if how == "replaced":
                with closing(sqlite3.connect(path)) as source, \
                        closing(sqlite3.connect(f"{path}.old")) as copy:
                    source.backup(copy)
                os.replace(f"{path}.old", path)
            else:
                for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                    file.unlink(missing_ok=True)
            result = outcome(partial(opt.tell, params, 0.25))
            opt.close()
            fresh = Optimizer(SPACE, storage=url, study="s", seed=1)
            say(f"database {how} under a worker (2 told, 1 running): its tell {result} | "
                f"a new worker sees {len(fresh.history)} observations")
            fresh.close()


_TELLER = """
import random, sys, time, warnings
warnings.simplefilter("ignore")
from bayesopt import Optimizer, Real
opt = Optimizer({"x": Real(0, 1), "y": Real(0, 1)}, storage=sys.argv[1], study="s", seed=0)
rng, worst, failed = random.Random(sys.argv[2]), 0.0, 0
for _ in range(100):
    start = time.monotonic()
    try:
        opt.tell({"x": rng.random(), "y": rng.random()}, 1.0)
    except Exception as error:
        failed += 1
        print(type(error).__name__, error, flush=True)
    worst = max(worst, time.monotonic() - start)
print(f"worst tell {worst:.2f} s, {failed} failed", flush=True)
opt.close()
"""


def sqlite_storm() -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/s.db"
        Optimizer(SPACE, storage=url, study="s", seed=0).close()
        workers = [subprocess.Popen([sys.executable, "-c", _TELLER, url, str(i)],
                                    stdout=subprocess.PIPE, text=True) for i in range(4)]
        lines = [worker.communicate()[0].strip().splitlines()[-1] for worker in workers]
        say("4 processes x 100 tells at once:", "; ".join(lines), "| study:", counts(url))


_SKEWED = """
import sys, time
real = time.time
time.time = lambda: real() + 600.0
from bayesopt import Optimizer, Real
with Optimizer({"x": Real(0, 1), "y": Real(0, 1)}, storage=sys.argv[1], study="s", seed=1,
               pending_timeout=60) as worker:
    print(len(worker.pending), flush=True)
    worker.ask()
"""


def clock_skew() -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/s.db"
        opt = Optimizer(SPACE, storage=url, study="s", seed=0, pending_timeout=60)
        running(opt, 3)
        seen = subprocess.run([sys.executable, "-c", _SKEWED, url], capture_output=True,
                              text=True, check=True).stdout.split()[0]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            status = opt.pending_status()
        said = [" ".join(str(w.message).split())[:160] for w in caught]
        say(f"a worker 600 s ahead: at its attach it counts {seen} of the 1 running point(s) "
            f"as pending; after its ask the others count {len(status.timed_out)} of theirs "
            f"timed out | warnings: {said}")
        opt.close()


_WRITER = """
import sys, time
from bayesopt import Optimizer, Real
space = {"x": Real(0, 1), "y": Real(0, 1)}
opt = (Optimizer(space, journal=sys.argv[1], seed=0) if sys.argv[2] == "new"
       else Optimizer.resume(sys.argv[1]))
try:
    for i in range(int(sys.argv[3])):
        params = opt.ask()
        opt.tell(params, params["x"])
        if i == 0:
            print("first", flush=True)
        time.sleep(0.2)
    print("ok", flush=True)
except Exception as error:
    print(type(error).__name__, " ".join(str(error).split())[:200], flush=True)
"""


def journal_two() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = f"{folder}/run.jsonl"
        first = subprocess.Popen([sys.executable, "-c", _WRITER, path, "new", "10"],
                                 stdout=subprocess.PIPE, text=True)
        assert first.stdout is not None
        first.stdout.readline()
        second = subprocess.run([sys.executable, "-c", _WRITER, path, "resume", "3"],
                                check=False, capture_output=True, text=True).stdout.strip()
        say(f"a second process resuming a journal being written: {second} | the writer: "
            f"{first.communicate()[0].strip()}")


SCENARIOS: dict[str, Callable[[], None]] = {
    "pg-restart": pg_restart, "pg-lost-commit": pg_lost_commit,
    "pg-unreachable": pg_unreachable, "pg-creation": pg_creation,
    "sqlite-file": sqlite_file, "sqlite-storm": sqlite_storm, "clock-skew": clock_skew,
    "journal-two": journal_two,
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("scenarios", nargs="*", metavar="SCENARIO",
                        help=f"any of {', '.join(SCENARIOS)} (all without one)")
    names = parser.parse_args(argv).scenarios or list(SCENARIOS)
    unknown = [name for name in names if name not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario(s) {unknown}; expected any of {list(SCENARIOS)}")
    warnings.simplefilter("ignore", ResourceWarning)
    for name in names:
        say(f"## {name}")
        SCENARIOS[name]()


if __name__ == "__main__":
    main()

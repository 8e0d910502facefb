"""A fuzz of the journal and database readers with hostile and damaged studies.

    python -m bench.hostile_journal [--seeds 0-19] [--timeout 60] [--memory-gb 4] [--verbose]
                                    [--postgres URL | --no-postgres]

(``--memory-gb 0``: no address-space limit.) PostgreSQL runs on a server this script
starts (tests/postgres.py: initdb into a temporary folder, 127.0.0.1) unless
``--postgres URL`` names a database; ``--no-postgres`` leaves it out.

A *case* is one mutation of a valid stored run, read back by every reader:

    readers     ``Optimizer.resume(path)`` then one ask; `bayesopt.cli.read_record`;
                ``bayesopt show --failed`` (in process); and the same events as rows of an
                SQLite study and of a PostgreSQL study (whose ``json`` columns take only
                what the server parses as JSON: a row it refuses is counted *not
                stored*), each attached to by ``Optimizer(space, storage=, study=)``;
    valid run   a seeded run on a Real, a log Integer and a Categorical: asks of one and
                two points, tells, failures, a cancel, points left pending;
    families    ``value``: one field of one event (header fields included) set to a
                hostile value (null, text, lists, objects, booleans, ±1e308, NaN and
                Infinity, which Python's json reads, a 10**30 integer, 5000 digits, arrays
                nested 5000 deep, a megabyte of text); ``drop``: a field removed;
                ``claims``: a tell's run id set to one never asked, to another
                event's, or duplicated; ``lines``: a line cut at a random byte, random
                bytes replaced (invalid UTF-8 too), two lines swapped, a line repeated;
                ``huge``: a line of 70 MB (once, seed 0; a row of 70 MB in the databases).

Each read ends as *ok* (the mutated run is still a valid run), *refused* (a ValueError
or TypeError -- `JournalError`, `StorageError`, the command line's exit 2 -- whose
message names the file or study) or a *fault*: any other exception (RecursionError,
MemoryError under ``RLIMIT_AS`` of ``--memory-gb``, LinAlgError), a refusal that names
neither the file nor the study, or a hang past ``--timeout`` (``signal.alarm``). Prints
a Markdown table of the counts per family and reader, and every fault.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import io
import json
import random
import resource
import signal
import sqlite3
import sys
import tempfile
import time
import traceback
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

HOSTILE: list[Any] = [None, "x", [], {}, [[None]], True, 1e308, -1e308, -1, 10 ** 30,
                      float("nan"), float("inf"), "9" * 5000, "\x00", "a" * (1 << 20)]
DEEP = "[" * 5000 + "]" * 5000
DIGITS = "9" * 5000


class Timeout(BaseException):
    """A reader ran past --timeout (a BaseException, so no `except Exception` eats it)."""


def _sequence(opt: Any, seed: int) -> None:
    """Asks of one and two points, tells, failures, cancels, a point left pending."""
    rng = random.Random(seed)
    for step in range(6):
        points = opt.ask(2) if step % 3 == 2 else [opt.ask()]
        for params in points:
            if rng.random() < 0.2:
                opt.tell_failure(params, error="hostile")
            elif rng.random() < 0.1:
                opt.cancel(params)
            else:
                opt.tell(params, params["x"] + 0.01 * params["n"] + rng.random())
    opt.ask()  # left pending


SPACE: dict[str, Any] = {}


def valid_run(folder: Path, seed: int) -> tuple[list[str], list[str]]:
    """The lines of a journal of a small seeded run with every kind of event, and the
    header and event rows of the same run stored as an SQLite study."""
    from bayesopt import Categorical, Integer, Optimizer, Real

    SPACE.update(x=Real(0, 1), n=Integer(1, 64, log=True), c=Categorical(["a", "b c", "d"]))
    path = folder / "valid.jsonl"
    path.unlink(missing_ok=True)
    with Optimizer(SPACE, seed=seed, journal=path, n_initial=3) as opt:
        _sequence(opt, seed)
    db = folder / "valid.db"
    with Optimizer(SPACE, seed=seed, storage=f"sqlite:///{db}", study="s", n_initial=3) as opt:
        _sequence(opt, seed)
    with contextlib.closing(sqlite3.connect(db)) as conn:  # sqlite3's own `with` only commits
        rows = [conn.execute("SELECT header FROM studies WHERE name = 's'").fetchone()[0]]
        rows += [body for (body,) in conn.execute(
            "SELECT body FROM events WHERE study = 's' ORDER BY seq")]
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    return path.read_text(encoding="utf-8").splitlines(), rows


def _json_line(value: Any) -> str:
    """`value` as a journal line; NaN and Infinity as Python's json writes them."""
    return json.dumps(value, allow_nan=True)


def mutations(lines: list[str], rng: random.Random, seed: int) -> Iterator[tuple[str, bytes]]:
    """(family, the mutated file's bytes) for one seed."""
    events = [json.loads(line) for line in lines]

    def join(new: list[str]) -> bytes:
        return ("\n".join(new) + "\n").encode("utf-8", "surrogatepass")

    for _ in range(12):
        index = rng.randrange(len(events))
        event = copy.deepcopy(events[index])
        key = rng.choice(sorted(event))
        value = rng.choice([*HOSTILE, "DEEP", "DIGITS"])
        text = _json_line({**event, key: "@@"})
        replacement = DEEP if value == "DEEP" else DIGITS if value == "DIGITS" else _json_line(value)
        yield "value", join([*lines[:index], text.replace('"@@"', replacement, 1), *lines[index + 1:]])
    for _ in range(4):
        index = rng.randrange(len(events))
        event = copy.deepcopy(events[index])
        del event[rng.choice(sorted(event))]
        yield "drop", join([*lines[:index], _json_line(event), *lines[index + 1:]])
    tells = [i for i, e in enumerate(events) if e.get("event") == "tell" and e.get("claims")]
    for choice in range(3) if tells else ():
        index = rng.choice(tells)
        event = copy.deepcopy(events[index])
        if choice == 0:
            event["claims"] = [10 ** 6 + rng.randrange(10)] * len(event["claims"])
        elif choice == 1:
            other = events[rng.choice(tells)]
            event["claims"] = other["claims"][:1] * len(event["claims"])
        else:
            yield "claims", join([*lines[:index + 1], lines[index], *lines[index + 1:]])
            continue
        yield "claims", join([*lines[:index], _json_line(event), *lines[index + 1:]])
    data = join(lines)
    for kind in range(4):
        if kind == 0:
            cut = rng.randrange(1, len(data) - 1)
            yield "lines", data[:cut] + b"\n" + data[cut + 1:]
        elif kind == 1:
            mutable = bytearray(data)
            for _ in range(8):
                mutable[rng.randrange(len(mutable))] = rng.randrange(256)
            yield "lines", bytes(mutable)
        elif kind == 2:
            i, j = sorted(rng.sample(range(len(lines)), 2))
            swapped = list(lines)
            swapped[i], swapped[j] = swapped[j], swapped[i]
            yield "lines", join(swapped)
        else:
            i = rng.randrange(len(lines))
            yield "lines", join([*lines[:i + 1], *lines[i:]])
    if seed == 0:
        yield "huge", join([*lines, '{"event":"tell","points":[' + "[0.5]," * 12_000_000 + "[0.5]]}"])


def read_resume(path: Path) -> None:
    from bayesopt import Optimizer

    with Optimizer.resume(path) as opt:
        opt.ask()


def read_record(path: Path) -> None:
    from bayesopt.cli import read_record as read

    read(path)


def read_show(path: Path) -> None:
    from bayesopt.cli import main

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
        status = main(["show", "--failed", str(path)])
    if status == 2:
        raise ValueError(err.getvalue())
    if status != 0:
        raise RuntimeError(f"bayesopt show exited {status}: {err.getvalue()}")


def read_sqlite(path: Path) -> None:
    """The mutated rows (header, then events: one a line of the file at `path`) as the
    raw text of an SQLite study, as another program could write them, attached to by an
    optimizer of the valid run's space."""
    from bayesopt import Optimizer
    from bayesopt.storage.sqlite import SQLiteStorage

    raw = [line.decode("utf-8", "replace") for line in path.read_bytes().split(b"\n")[:-1]]
    db = path.with_suffix(".db")
    storage = SQLiteStorage(db)
    storage.create_or_attach("s", {})
    storage.append("s", [{"n": i} for i in range(len(raw) - 1)])
    storage.close()
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:  # closed, and committed
        conn.execute("UPDATE studies SET header = ? WHERE name = 's'", (raw[0],))
        for seq, line in enumerate(raw[1:]):
            conn.execute("UPDATE events SET body = ? WHERE study = 's' AND seq = ?", (line, seq))
    try:
        with Optimizer(SPACE, seed=0, storage=f"sqlite:///{db}", study="s") as opt:
            opt.ask()
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)


class NotStored(Exception):
    """The database refused to store a mutated row (PostgreSQL's ``json`` type parses it)."""


def read_postgres(url: str) -> Callable[[Path], None]:
    """The reader of the mutated rows (as `read_sqlite` takes them) stored as the raw text
    of a PostgreSQL study ``s`` in the database at `url`, attached to by an optimizer of
    the valid run's space; `NotStored` if the server refuses a row."""

    def read(path: Path) -> None:
        import psycopg

        from bayesopt import Optimizer
        from bayesopt.storage.postgres import PostgresStorage

        raw = [line.decode("utf-8", "replace") for line in path.read_bytes().split(b"\n")[:-1]]
        storage = PostgresStorage(url)
        try:
            storage.create_or_attach("s", {})
            storage.append("s", [{"n": i} for i in range(len(raw) - 1)])
        finally:
            storage.close()
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                try:
                    with conn.transaction():
                        conn.execute("UPDATE bayesopt_studies SET header = %s::json"
                                     " WHERE name = 's'", (raw[0],))
                        for seq, line in enumerate(raw[1:]):
                            conn.execute("UPDATE bayesopt_events SET body = %s::json"
                                         " WHERE study = 's' AND seq = %s", (line, seq))
                except psycopg.Error as error:
                    raise NotStored(f"{type(error).__name__}: {error}") from None
            with Optimizer(SPACE, seed=0, storage=url, study="s") as opt:
                opt.ask()
        finally:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("DELETE FROM bayesopt_events WHERE study = 's'")
                conn.execute("DELETE FROM bayesopt_studies WHERE name = 's'")

    return read


@contextlib.contextmanager
def postgres_url(url: str | None, wanted: bool) -> Iterator[str | None]:
    """`url`, else a database on a server started here (tests/postgres.py) and stopped on
    exit; None if not `wanted`."""
    if url is not None or not wanted:
        yield url
        return
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from postgres import PostgresServer, find_binaries

    binaries, looked = find_binaries()
    if binaries is None:
        raise RuntimeError(f"PostgreSQL binaries not found ({looked}): pass --no-postgres")
    server = PostgresServer(binaries)
    try:
        server.start()
        yield server.create_database("hostile")
        server.stop()
    finally:
        server.remove()


READERS: dict[str, Callable[[Path], None]] = {
    "resume": read_resume, "read_record": read_record, "show": read_show}


def judge(reader: Callable[[Path], None], path: Path, timeout: int) -> tuple[str, str]:
    """(outcome, message) of one read."""
    from numpy.linalg import LinAlgError

    def alarm(signum: int, frame: Any) -> None:
        raise Timeout(f"no answer in {timeout} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(timeout)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader(path)
        return "ok", ""
    except NotStored as error:
        return "not stored", str(error)
    except LinAlgError as error:
        return "fault", f"LinAlgError: {error}"
    except (ValueError, TypeError) as error:
        message = str(error)
        named = path.name in message or "'s'" in message or path.stem in message
        return ("refused", message) if named else ("fault", f"unnamed refusal: {message[:300]}")
    except Exception as error:  # noqa: BLE001 - any other exception is the fault recorded
        if type(error).__name__ == "CommandLineError":
            return "refused", str(error)
        return "fault", f"{type(error).__name__}: {str(error)[:300]}\n{traceback.format_exc(limit=-3)}"
    except Timeout as error:
        return "fault", f"hang: {error}"
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def seeds(text: str) -> list[int]:
    low, _, high = text.partition("-")
    return list(range(int(low), int(high or low) + 1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0-19")
    parser.add_argument("--timeout", type=int, default=60)
    parser.add_argument("--memory-gb", type=float, default=4.0)
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--postgres", default=None, help="URL of a database to use")
    parser.add_argument("--no-postgres", action="store_true", help="no PostgreSQL reader")
    args = parser.parse_args(argv)
    with postgres_url(args.postgres, not args.no_postgres) as url:
        return _fuzz(args, url)


def _fuzz(args: argparse.Namespace, url: str | None) -> int:
    """The fuzz of `main`'s arguments, PostgreSQL's rows in the database at `url` (if any)."""
    if args.memory_gb > 0:  # 0: no limit (a test in a process of its own limits nothing)
        limit = int(args.memory_gb * (1 << 30))
        resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))
    counts: Counter[tuple[str, str, str]] = Counter()
    faults: list[str] = []
    start = time.process_time()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        for seed in seeds(args.seeds):
            journal, rows = valid_run(folder, seed)
            stores: list[tuple[str, list[str], dict[str, Callable[[Path], None]]]] = [
                ("journal", journal, READERS), ("sqlite", rows, {"sqlite": read_sqlite})]
            if url is not None:
                stores.append(("postgresql", rows, {"postgresql": read_postgres(url)}))
            for store, lines, readers in stores:
                rng = random.Random(seed)
                for number, (family, data) in enumerate(mutations(lines, rng, seed)):
                    path = folder / f"case-{seed}-{number}.jsonl"
                    path.write_bytes(data)
                    for name, reader in readers.items():
                        outcome, message = judge(reader, path, args.timeout)
                        counts[family, name, outcome] += 1
                        if outcome == "fault":
                            faults.append(f"seed {seed}, case {number} ({family}), {name}: "
                                          f"{message}")
                        elif args.verbose:
                            print(f"seed {seed} case {number} {family} {name}: {outcome} "
                                  f"{message[:160]!r}", file=sys.stderr)
                    path.unlink()
    families = sorted({key[0] for key in counts})
    print("| family | reader | ok | refused | faults | not stored |\n|---|---|---:|---:|---:|---:|")
    for family in families:
        for name in [*READERS, "sqlite", "postgresql"]:
            row = [counts[family, name, outcome]
                   for outcome in ("ok", "refused", "fault", "not stored")]
            if sum(row):
                print(f"| {family} | {name} | {row[0]} | {row[1]} | {row[2]} | {row[3]} |")
    print(f"\nseeds {args.seeds}: {sum(counts.values())} reads, {len(faults)} faults, "
          f"{time.process_time() - start:.0f} s CPU")
    for fault in faults:
        print(f"\n- {fault}")
    return 1 if faults else 0


if __name__ == "__main__":
    sys.exit(main())

"""Storages against real databases: a SQLite file and the session's PostgreSQL server
(and, where a storage of one study behaves alike, a JSON-lines file: KINDS).

Semantics (create/attach, gapless numbering, atomic batches, many studies, bad
arguments), 8 processes appending under the study lock, kill -9 of a process in
the middle of appending or while holding the lock, and for PostgreSQL a server
restart, a stopped server and a COMMIT whose answer is lost.
"""

from __future__ import annotations

import math
import os
import pickle
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, ExitStack, closing
from functools import partial
from pathlib import Path
from typing import Any, cast

import pytest

from bayesopt import Fidelity, Integer, Optimizer, Real, SuccessiveHalving, minimize
from bayesopt.failures import EvaluationFailedWarning
from bayesopt.optimizer import UnmatchedTellWarning
from bayesopt.state import RunKey, point_key
from bayesopt.storage import LockLost, LockWaitWarning, StorageError, codec
from bayesopt.storage.sqlite import SQLiteStorage
from heap import peak_bytes
from postgres import DropAfterCommit, PostgresServer
from processes import started
from storage_worker import open_location

POSIX_ONLY = pytest.mark.skipif(sys.platform == "win32",
                                reason="needs POSIX (os.fork, SIGKILL)")

WORKER = str(Path(__file__).with_name("storage_worker.py"))
DATABASES = ["sqlite", "postgresql"]  # many studies per storage
KINDS = ["jsonl", *DATABASES]  # a JSON-lines file holds one study


def make_location(kind: str, request: pytest.FixtureRequest, folder: Path) -> tuple[str, str]:
    """(kind, where) of an empty storage of `kind`."""
    if kind == "jsonl":
        return "jsonl", str(folder / "study.jsonl")
    if kind == "sqlite":
        return "sqlite", str(folder / "studies.db")
    server = request.getfixturevalue("postgres_server")
    return "postgresql", server.create_database(f"test_{uuid.uuid4().hex[:12]}")


@pytest.fixture(params=KINDS)
def location(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    return make_location(request.param, request, tmp_path)


@pytest.fixture(params=DATABASES)
def db_location(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    return make_location(request.param, request, tmp_path)


def openers(location: tuple[str, str]) -> Iterator[Callable[[], Any]]:
    """Opens storage objects at `location`; closes them at the end."""
    opened: list[Any] = []

    def open_one() -> Any:
        opened.append(open_location(*location))
        return opened[-1]

    yield open_one
    for storage in opened:
        storage.close()


@pytest.fixture
def opener(location: tuple[str, str]) -> Iterator[Callable[[], Any]]:
    yield from openers(location)


@pytest.fixture
def db_opener(db_location: tuple[str, str]) -> Iterator[Callable[[], Any]]:
    yield from openers(db_location)


def spawn(
    location: tuple[str, str], study: str, mode: str, worker: int, count: int = 0, at: float = 0
) -> AbstractContextManager[subprocess.Popen[str]]:
    """A storage_worker.py process for a `with` block (`processes.started`), its stdout a
    pipe of text."""
    command = [sys.executable, WORKER, *location, study, mode, str(worker), str(count), str(at)]
    return started(command, stdout=subprocess.PIPE, text=True)


def holds_lock_then_frees(storage: Any, study: str) -> bool:
    """True if this storage can take the study lock (a hang guard, not a timing claim)."""
    taken = threading.Event()

    def take() -> None:
        with storage.lock(study):
            taken.set()

    thread = threading.Thread(target=take, daemon=True)
    thread.start()
    thread.join(timeout=60)
    return taken.is_set()


# --- semantics ---


def test_create_then_attach_returns_the_stored_header(opener: Callable[[], Any]) -> None:
    first, second = opener(), opener()
    header = {"space": [["x", {"low": 0.0, "high": 1.0}]], "seed": 3}
    created = first.create_or_attach("s", header)
    assert header.items() <= created.items()
    assert second.create_or_attach("s", {"seed": 4}) == created
    assert second.read("s") == []


def test_numbering_is_gapless_and_read_starts_at_the_offset(opener: Callable[[], Any]) -> None:
    storage = opener()
    storage.create_or_attach("s", {})
    assert storage.append("s", [{"n": 0}, {"n": 1}, {"n": 2}]) == 0
    assert storage.append("s", [{"n": 3}]) == 3
    assert opener().append("s", [{"n": 4}, {"n": 5}]) == 4
    assert storage.read("s") == [{"n": n} for n in range(6)]
    assert storage.read("s", 4) == [{"n": 4}, {"n": 5}]
    assert storage.read("s", 6) == [] and storage.read("s", 60) == []
    assert storage.append("s", []) == 6 and len(storage.read("s")) == 6


def test_read_takes_a_limit_of_events(opener: Callable[[], Any]) -> None:
    """`read(study, offset, limit)`: at most `limit` events from `offset` (the pages a
    replay reads, `bayesopt.study.read_pages`); a limit below 1 or not an integer is
    refused naming it."""
    storage = opener()
    storage.create_or_attach("s", {})
    storage.append("s", [{"n": n} for n in range(7)])
    assert storage.read("s", 0, limit=3) == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert storage.read("s", 5, limit=3) == [{"n": 5}, {"n": 6}]
    assert storage.read("s", 3, limit=1) == [{"n": 3}]
    assert storage.read("s", 7, limit=2) == [] and storage.read("s", 2, limit=None) == [
        {"n": n} for n in range(2, 7)]
    with pytest.raises(ValueError, match=r"limit=0 must be >= 1"):
        storage.read("s", 0, limit=0)
    with pytest.raises(TypeError, match=r"limit=2.0 must be an integer"):
        storage.read("s", 0, limit=2.0)


def test_read_pages_reads_a_storage_without_limit_in_one_list(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A storage of one's own whose `read` takes no ``limit=`` is read whole, once, and
    cut at `until`; a built-in one in pages of `PAGE`."""
    import bayesopt.study
    from bayesopt.storage.jsonl import JSONLStorage
    from bayesopt.study import read_pages

    inner = JSONLStorage(tmp_path / "s.jsonl")
    inner.create_or_attach("s", {})
    inner.append("s", [{"n": n} for n in range(5)])
    calls: list[int] = []

    class Plain:
        def read(self, study: str, offset: int = 0) -> list[dict[str, Any]]:
            calls.append(offset)
            return inner.read(study, offset)

    monkeypatch.setattr(bayesopt.study, "PAGE", 2)
    assert list(read_pages(Plain(), "s", "s", 1, until=4)) == [[{"n": 1}, {"n": 2}, {"n": 3}]]
    assert list(read_pages(Plain(), "s", "s")) == [[{"n": n} for n in range(5)]]
    assert calls == [1, 0]
    assert list(read_pages(inner, "s", "s", 1)) == [[{"n": 1}, {"n": 2}], [{"n": 3}, {"n": 4}]]
    assert list(read_pages(inner, "s", "s", 0, until=3)) == [[{"n": 0}, {"n": 1}], [{"n": 2}]]
    inner.close()


def _fold(opt: Optimizer) -> tuple[Any, ...]:
    """What a replay rebuilds, compared between page sizes."""
    state = opt._state
    return ([(o.index, o.params, o.value, o.status, o.run, o.step, o.timestamp)
             for o in opt.history],
            [(p.params, p.claim, p.alive) for p in state.pending],
            [(p.params, p.claim) for p in state.expired], [p.claim for p in state.cancelled],
            state.pruning.rungs, state.pruning.stopped, state.n_claimed, state.n_applied)


def test_a_study_read_in_pages_folds_as_read_whole(
    location: tuple[str, str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A worker attaching to a study, and one catching up on another's events before its
    own append (`StudyLink.commit`, up to its event's number), read it in pages of
    `bayesopt.study.PAGE` events: with pages of 2 and 3 they fold it into the state of
    one read of everything."""
    import bayesopt.study

    url = storage_url(location)
    a = Optimizer(SPACE_XY, seed=0, storage=url, study="s", pending_timeout=1e6)
    b = Optimizer(SPACE_XY, seed=1, storage=url, study="s", pending_timeout=1e6)
    points = [{"x": 0.1 * i, "y": 0.05 + 0.1 * i} for i in range(1, 8)]
    for i, point in enumerate(points):
        (a if i % 2 else b).add_pending(point)
    for i, point in enumerate(points[:5]):
        worker = a if i % 2 else b
        worker.heartbeat(point)
        worker.report(point, 1, 0.5 - 0.01 * i)
        if i == 3:
            a.cancel(point)  # another worker's run
        elif i == 4:
            worker.tell_failure(point, "NaN loss")
        else:
            worker.tell(point, 0.4 - 0.01 * i)
    monkeypatch.setattr(bayesopt.study, "PAGE", 2)
    a.tell(points[5], 0.2)  # b's last events are caught up on in pages, up to a's own
    paged = [_fold(a)]
    for page in (2, 3, 10**6):
        monkeypatch.setattr(bayesopt.study, "PAGE", page)
        reader = Optimizer(SPACE_XY, seed=2, storage=url, study="s", pending_timeout=1e6)
        paged.append(_fold(reader))
        reader.close()
    assert paged[0][0] == paged[3][0] and len(paged[3][0]) == 5
    assert paged[1:3] == [paged[3]] * 2 and paged[3][7] == 23
    a.close()
    b.close()


def test_a_journal_resumed_in_pages_is_the_one_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`Optimizer.resume` reads the journal in pages: the writer whose checkpoints it
    adopts is found from the end, past events that carry none (heartbeats, pages of 2
    here), and the optimizer asks what the one read whole asks."""
    import bayesopt.study

    path = tmp_path / "run.jsonl"
    opt = Optimizer(SPACE_XY, seed=0, journal=path, n_initial=4)
    for _ in range(5):
        point = opt.ask()
        opt.tell(point, point["x"] + point["y"])
    pending = opt.ask()
    for _ in range(5):
        opt.heartbeat(pending)
    worker = opt._state.worker
    opt.close()
    asks, folds = [], []
    for page in (2, 10**6):
        monkeypatch.setattr(bayesopt.study, "PAGE", page)
        resumed = Optimizer.resume(path, append=False)
        assert resumed._state.worker == worker
        folds.append(_fold(resumed))
        asks.append(resumed.ask())
    assert folds[0] == folds[1] and asks[0] == asks[1]
    assert folds[0][1][0][0] == pending and len(folds[0][0]) == 5


def test_events_round_trip_exactly(opener: Callable[[], Any]) -> None:
    storage = opener()
    storage.create_or_attach("s", {})
    event = {"b": [1, 2.5, None, True], "a": {"nested": "é"}, "x": 1e-300, "y": 0.1 + 0.2}
    storage.append("s", [event])
    (back,) = opener().read("s")
    assert back == event and list(back) == list(event)


def test_a_batch_with_a_bad_event_appends_nothing(opener: Callable[[], Any]) -> None:
    storage = opener()
    storage.create_or_attach("s", {})
    with pytest.raises(ValueError, match=r"events\[1\]"):
        storage.append("s", [{"n": 0}, {"n": math.nan}])
    with pytest.raises(TypeError, match=r"events\[2\]"):
        storage.append("s", [{"n": 0}, {"n": 1}, {"n": object()}])
    assert storage.read("s") == []
    assert storage.append("s", [{"n": 0}]) == 0


def test_many_studies_in_one_database(db_opener: Callable[[], Any]) -> None:
    storage, other = db_opener(), db_opener()
    for name in ("b", "a", "c"):
        storage.create_or_attach(name, {"name": name})
    for round_ in range(3):
        for name in ("a", "b", "c"):
            assert storage.append(name, [{"study": name, "round": round_}]) == round_
    assert other.studies() == ["a", "b", "c"]
    assert other.read("b") == [{"study": "b", "round": r} for r in range(3)]


# Another program's damage to a database, as SQL on (table, column) of each backend.
DAMAGE = {
    "an event that is no object": (
        "UPDATE {events} SET body = '[1, 2]' WHERE seq = 1", r"event 1: stored JSON '\[1, ?2\]' is not an object"),
    "a header that is no object": (
        "UPDATE {studies} SET header = '\"text\"'", "header: stored JSON '\"text\"' is not an object"),
    "a deleted event": (
        "DELETE FROM {events} WHERE seq = 1", "event 1 is missing .*next stored event is number 2"),
    # json's decoder raised RecursionError, and ValueError without the row. 12 000 levels:
    # past Python 3.13's decoder, whose C recursion limit reads 9000 (3.12's, 1000), and
    # within PostgreSQL's json parser, which refuses 15 000 (max_stack_depth 2 MB)
    "an event nested too deeply": (
        "UPDATE {events} SET body = '" + "[" * 12_000 + "]" * 12_000 + "' WHERE seq = 1",
        "event 1: stored text .* is not valid JSON .arrays or objects nested too deeply"),
    "a header of a 5000-digit number": (
        "UPDATE {studies} SET header = '{{\"n\": " + "9" * 5000 + "}}'",
        # Python 3.10's message: "Exceeds the limit (4300) for integer string conversion"
        "header: stored text .* is not valid JSON .Exceeds the limit .4300( digits)?."),
}


def damage(location: tuple[str, str], sql: str) -> None:
    """Run `sql` on the database at `location` as another program would."""
    kind, where = location
    if kind == "sqlite":
        with closing(sqlite3.connect(where)) as conn, conn:  # closed, and committed
            conn.execute(sql.format(events="events", studies="studies"))
        return
    import psycopg

    with psycopg.connect(where) as conn:
        conn.execute(sql.format(events="bayesopt_events", studies="bayesopt_studies"))


@pytest.mark.parametrize("what", list(DAMAGE))
def test_a_database_damaged_by_another_program_raises_storage_error_naming_the_row(
        db_location: tuple[str, str], what: str) -> None:
    """A row that is no JSON object, or a gap in the event numbers, raised AssertionError
    (and under ``python -O``, which strips asserts, a gap was folded over as if the study
    had no such event, and a non-object failed later with AttributeError). Now a
    StorageError names the storage, the study and the row."""
    storage = open_location(*db_location)
    storage.create_or_attach("s", {"n": 0})
    storage.append("s", [{"n": n} for n in range(3)])
    sql, match = DAMAGE[what]
    damage(db_location, sql)
    other = open_location(*db_location)
    try:
        with pytest.raises(StorageError, match=f"study 's'.*{match}"):
            other.create_or_attach("s", {"n": 0})  # the header
            other.read("s")  # the events
    finally:
        storage.close()
        other.close()


# an event of 64 MiB + 16 digits, one byte each: over `codec.MAX_TEXT_BYTES`
OVER_THE_LIMIT = {
    "sqlite": "'{{\"n\":\"' || replace(hex(zeroblob(33554440)), '0', '9') || '\"}}'",
    "postgresql": "('{{\"n\":\"' || repeat('9', 67108880) || '\"}}')::json",
}


def _heap_bound(db_location: tuple[str, str]) -> float:
    """The Python heap a refusal of a value over the limit may take: a few MB, except on
    Python 3.10's SQLite, whose sqlite3 cannot set the length limit (Connection.setlimit is
    3.11's): there the value is read whole, then refused unparsed (sqlite._length_limit)."""
    if db_location[0] == "sqlite" and not hasattr(sqlite3.Connection, "setlimit"):
        return 2.0 * codec.MAX_TEXT_BYTES
    return 6e6


def test_a_database_row_over_the_limit_is_refused_before_it_is_fetched(
        db_location: tuple[str, str]) -> None:
    """An event row longer than `codec.MAX_TEXT_BYTES` (64 MiB), written by another
    program, was fetched whole by the driver (a str of 64 MiB and more in this process,
    SQLite's copy of it too) and only then refused, where JSON-lines measures a line
    before reading it (jsonl2). SQLite now refuses to read a value over its length limit,
    set to that size while events are read, and the server measures a PostgreSQL row: the
    row is refused, named, without its text reaching Python; the rows around it read."""
    storage = open_location(*db_location)
    storage.create_or_attach("s", {"n": 0})
    storage.append("s", [{"n": n} for n in range(3)])
    damage(db_location, "UPDATE {events} SET body = " + OVER_THE_LIMIT[db_location[0]]
           + " WHERE seq = 1")
    other = open_location(*db_location)
    try:
        refusal, peak = peak_bytes(lambda: pytest.raises(StorageError, other.read, "s"))
        assert re.search(r"study 's', event 1: stored text .*is longer than the 67108864 "
                         r"bytes a header or event may have; it is not read",
                         str(refusal.value)), refusal.value
        assert peak < _heap_bound(db_location), f"refusing the row took {peak} bytes of Python heap"
        assert other.read("s", 0, limit=1) == [{"n": 0}]
        assert other.read("s", 2) == [{"n": 2}]
        with pytest.raises(StorageError, match="event 1: stored text"):
            other.read("s", 1, limit=1)
    finally:
        storage.close()
        other.close()


def test_an_event_or_header_over_the_limit_is_refused_before_it_is_written(
        location: tuple[str, str]) -> None:
    """Every reader refuses a stored header or event over `codec.MAX_TEXT_BYTES`, but the
    writers stored one (a failure's huge error text, a tell of a batch of a million
    points), and from then on no reader could read the study. The writer refuses it now,
    naming the event and its size, and writes nothing: the study reads and grows as
    before."""
    storage = open_location(*location)
    try:
        storage.create_or_attach("s", {"n": 0})
        storage.append("s", [{"n": 0}])
        huge = {"error": "x" * codec.MAX_TEXT_BYTES}
        with pytest.raises(ValueError, match=r"^events\[1\] is 671088\d\d bytes as JSON "
                           r"\(beginning '\{\"error\":\"xxx.*longer than the 67108864 bytes"):
            storage.append("s", [{"n": 1}, huge])
        assert storage.read("s") == [{"n": 0}]  # neither event of the refused append
        storage.append("s", [{"n": 1}])
        with closing(open_location(*location)) as reader:
            assert reader.read("s") == [{"n": 0}, {"n": 1}]
        with pytest.raises(ValueError, match=r"^header is 671088\d\d bytes as JSON"):
            storage.create_or_attach("t" if location[0] != "jsonl" else "s", huge)
    finally:
        storage.close()


def test_a_database_header_over_the_limit_is_refused_before_it_is_fetched(
        db_location: tuple[str, str]) -> None:
    """A study's header longer than `codec.MAX_TEXT_BYTES`, written by another program, was
    fetched whole by the driver when a storage attached to the study, and only then refused
    (as an event row was). It is now refused, naming the study's header, without its text
    reaching Python; the other studies of the database still attach."""
    storage = open_location(*db_location)
    storage.create_or_attach("s", {"n": 0})
    storage.create_or_attach("t", {"n": 1})
    damage(db_location, "UPDATE {studies} SET header = "
           + OVER_THE_LIMIT[db_location[0]] + " WHERE name = 's'")
    other = open_location(*db_location)
    try:
        refusal, peak = peak_bytes(
            lambda: pytest.raises(StorageError, other.create_or_attach, "s", {"n": 0}))
        assert re.search(r"study 's', header: stored text .*is longer than the 67108864 "
                         r"bytes a header or event may have; it is not read",
                         str(refusal.value)), refusal.value
        assert peak < _heap_bound(db_location), f"refusing the header took {peak} bytes of Python heap"
        assert other.create_or_attach("t", {"n": 1}) == {"n": 1}
    finally:
        storage.close()
        other.close()


def test_unknown_study_raises_value_error(opener: Callable[[], Any]) -> None:
    storage = opener()
    storage.create_or_attach("known", {})
    with pytest.raises(ValueError, match="'unknown'"):
        storage.read("unknown")
    with pytest.raises(ValueError, match="'unknown'"):
        storage.append("unknown", [{"n": 0}])
    assert storage.studies() == ["known"]


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda s: s.read(""), ValueError, "study=''"),
        (lambda s: s.read(3), TypeError, "study=3"),
        (lambda s: s.read("s", -1), ValueError, "offset=-1"),
        (lambda s: s.read("s", 1.0), TypeError, "offset=1.0"),
        (lambda s: s.read("s", True), TypeError, "offset=True"),
        (lambda s: s.create_or_attach("t", [1]), TypeError, "header=\\[1\\]"),
        (lambda s: s.create_or_attach("t", {1: math.inf}), ValueError, "header="),
        (lambda s: s.append("s", {"n": 1}), TypeError, "events="),
        (lambda s: s.append("s", ["n"]), TypeError, "events\\[0\\]='n'"),
    ],
)
def test_bad_arguments_are_named(
    opener: Callable[[], Any], call: Callable[[Any], Any], error: type, match: str
) -> None:
    storage = opener()
    storage.create_or_attach("s", {})
    with pytest.raises(error, match=match):
        call(storage)
    assert storage.studies() == ["s"]


def test_lock_is_not_reentrant_and_does_not_block_appends(opener: Callable[[], Any]) -> None:
    holder, other = opener(), opener()
    holder.create_or_attach("s", {})
    with holder.lock("s"):
        with pytest.raises(RuntimeError, match="not reentrant"), holder.lock("s"):
            pass
        assert other.append("s", [{"by": "other"}]) == 0  # no waiting on the lock
        assert holder.append("s", [{"by": "holder"}]) == 1
    assert holds_lock_then_frees(other, "s")


def test_locks_of_different_studies_are_independent(db_opener: Callable[[], Any]) -> None:
    holder, other = db_opener(), db_opener()
    for name in ("a", "b"):
        holder.create_or_attach(name, {})
    with holder.lock("a"):
        assert holds_lock_then_frees(other, "b")


def test_closed_storage_refuses_and_pickled_storage_reopens(opener: Callable[[], Any]) -> None:
    storage = opener()
    storage.create_or_attach("s", {"v": 1})
    storage.append("s", [{"n": 0}])
    copy = pickle.loads(pickle.dumps(storage))
    storage.close()
    storage.close()
    with pytest.raises(ValueError, match="closed"):
        storage.read("s")
    assert copy.read("s") == [{"n": 0}]
    copy.close()


@POSIX_ONLY  # os.fork
def test_a_forked_child_is_told_to_open_its_own_storage(opener: Callable[[], Any]) -> None:
    storage = opener()
    storage.create_or_attach("s", {})
    pid = os.fork()
    if pid == 0:  # the child: its inherited connections are the parent's
        try:
            storage.read("s")
        except RuntimeError as error:
            os._exit(0 if "open the storage in each process" in str(error) else 2)
        os._exit(1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert storage.append("s", [{"n": 0}]) == 0  # the parent's connections are intact


# --- processes ---


def test_eight_processes_append_under_the_lock(
    opener: Callable[[], Any], location: tuple[str, str]
) -> None:
    """8 × 25 appends, each numbered what its writer read under the lock: exactly 0..199."""
    storage = opener()
    storage.create_or_attach("load", {})
    with ExitStack() as stack:
        workers = [stack.enter_context(spawn(location, "load", "locked", w, 25))
                   for w in range(8)]
        assert [worker.wait(timeout=300) for worker in workers] == [0] * 8
    events = storage.read("load")
    assert [event["seen"] for event in events] == list(range(200))
    for w in range(8):
        assert [e["i"] for e in events if e["worker"] == w] == list(range(25))


def test_processes_opening_a_fresh_database_at_once_agree(
    opener: Callable[[], Any], location: tuple[str, str]
) -> None:
    """Schema creation and create_or_attach are safe when several processes start together."""
    at = time.time() + 3.0  # all open the fresh database at this moment
    with ExitStack() as stack:
        workers = [stack.enter_context(spawn(location, "s", "create", w, at=at))
                   for w in range(6)]
        outputs = [worker.communicate(timeout=300)[0] for worker in workers]
    assert [worker.returncode for worker in workers] == [0] * 6
    winner = opener().create_or_attach("s", {"worker": -1})["worker"]
    assert [int(out) for out in outputs] == [winner] * 6


def read_batches(events: list[dict[str, Any]]) -> dict[tuple[int, int], int]:
    """{(worker, batch): number of its first event}, checking that every batch is whole."""
    assert len(events) % 3 == 0, f"{len(events)} events: a batch was torn"
    found = {}
    for first in range(0, len(events), 3):
        batch = events[first : first + 3]
        assert [e["part"] for e in batch] == [0, 1, 2]
        assert len({(e["worker"], e["batch"]) for e in batch}) == 1
        found[(batch[0]["worker"], batch[0]["batch"])] = first
    assert len(found) == len(events) // 3, "a batch was appended twice"
    return found


def kill_after(process: Any, lines: int) -> list[int]:
    """SIGKILL `process` once it has printed `lines` committed numbers; return them all."""
    numbers = [int(process.stdout.readline()) for _ in range(lines)]
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    numbers += [int(line) for line in process.stdout.read().split()]
    assert process.returncode == -signal.SIGKILL
    return numbers


@POSIX_ONLY  # SIGKILL
@pytest.mark.parametrize("lines", [3, 40])
def test_kill_9_mid_append_loses_nothing_and_frees_the_lock(
    opener: Callable[[], Any], location: tuple[str, str], lines: int
) -> None:
    storage = opener()
    storage.create_or_attach("s", {})
    with spawn(location, "s", "batches", 0) as victim, \
            spawn(location, "s", "batches", 1, 30) as survivor:
        committed = kill_after(victim, lines)
        assert survivor.wait(timeout=300) == 0
    found = read_batches(storage.read("s"))
    assert all(found[(0, batch)] == first for batch, first in enumerate(committed))
    assert sum(worker == 1 for worker, _ in found) == 30
    assert holds_lock_then_frees(storage, "s")
    assert storage.append("s", [{"after": True}]) == 3 * len(found)


@POSIX_ONLY  # SIGKILL
def test_kill_9_while_holding_the_lock_frees_it(
    opener: Callable[[], Any], location: tuple[str, str]
) -> None:
    storage = opener()
    storage.create_or_attach("s", {})
    with spawn(location, "s", "hold", 0) as holder:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=60)
    assert holds_lock_then_frees(storage, "s")
    with spawn(location, "s", "locked", 1, 5) as worker:
        assert worker.wait(timeout=120) == 0
    assert [e["seen"] for e in storage.read("s")] == list(range(5))


def wait_for_lock_warning(caught: list[warnings.WarningMessage]) -> None:
    """Return once a LockWaitWarning is among `caught`, or after a hang guard of 60 s
    without one, so that a missing warning fails the test instead of hanging it."""
    guard = time.monotonic() + 60
    while time.monotonic() < guard and not any(
            issubclass(w.category, LockWaitWarning) for w in list(caught)):
        time.sleep(0.01)


def kill_once_warned(caught: list[warnings.WarningMessage], holder: Any) -> None:
    """SIGKILL `holder` once a LockWaitWarning is among `caught` (`wait_for_lock_warning`)."""
    wait_for_lock_warning(caught)
    holder.send_signal(signal.SIGKILL)


@POSIX_ONLY  # SIGSTOP, SIGKILL
@pytest.mark.parametrize("kind, mode", [("jsonl", "hold"), ("sqlite", "hold"),
                                        ("postgresql", "hold"), ("jsonl", "hold-append")])
def test_a_wait_for_a_stopped_lock_holder_is_warned_about_and_outlasts_it(
    kind: str, mode: str, request: pytest.FixtureRequest, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A lock held by a stopped process (SIGSTOP): the ask (study lock) or tell (append
    lock) waiting for it warns once, at the user's line, naming the storage, the study
    and the stopped holder, keeps waiting, and completes once the holder is gone."""
    location = make_location(kind, request, tmp_path)
    url = {"jsonl": location[1], "sqlite": f"sqlite:///{location[1]}"}.get(kind, location[1])
    opt = Optimizer({"x": Real(0.0, 1.0)}, seed=0, n_initial=2, storage=url, study="s")
    for _ in range(3):  # past the initial design: the next ask computes under the study lock
        params = opt.ask()
        opt.tell(params, (params["x"] - 0.3) ** 2)
    pending = opt.ask()
    with spawn(location, "s", mode, 0) as holder:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        holder.send_signal(signal.SIGSTOP)
        monkeypatch.setattr(codec, "LOCK_WAIT_WARNING", 0.05)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            killer = threading.Thread(target=kill_once_warned, args=(caught, holder), daemon=True)
            killer.start()
            if mode == "hold":
                asked = opt.ask()
            else:
                opt.tell(pending, 0.5)
        killer.join(timeout=60)
        holder.wait(timeout=60)
    waits = [w for w in caught if issubclass(w.category, LockWaitWarning)]
    assert len(waits) == 1, [str(w.message) for w in caught]
    message = str(waits[0].message)
    lock = "append lock" if mode == "hold-append" else "lock"
    if kind == "postgresql":  # the server names its session, not the client's process
        named = open_location(*location)
        assert f"{named!r}: the lock of study 's': still waiting" in message
        named.close()
        assert "held by server process " in message
    else:
        assert f"('{location[1]}'): the {lock} of study 's'" in message
        assert f"held by process {holder.pid} (python" in message and "stopped)" in message
    assert "still waiting" in message
    assert waits[0].filename == __file__
    if mode == "hold":
        assert set(asked) == {"x"} and asked in opt.pending
    else:
        assert [h.value for h in opt.history][-1] == 0.5
    opt.close()


def storage_url(location: tuple[str, str]) -> str:
    """The `storage=` of an Optimizer for `location` (`make_location`)."""
    kind, where = location
    return {"jsonl": where, "sqlite": f"sqlite:///{where}"}.get(kind, where)


SPACE_XY = {"x": Real(0, 1), "y": Real(0, 1)}


def two_workers(location: tuple[str, str], **options: Any,
                ) -> tuple[Optimizer, Optimizer, dict[str, float]]:
    """Two optimizers (workers) of study "s" at `location`, and the point the first one
    has added (`add_pending`)."""
    url = storage_url(location)
    first = Optimizer(SPACE_XY, seed=0, storage=url, study="s", **options)
    second = Optimizer(SPACE_XY, seed=1, storage=url, study="s", **options)
    point = {"x": 0.1, "y": 0.1}
    first.add_pending(point)
    return first, second, point


CLOCK = time.time


def every_fold(location: tuple[str, str], *workers: Optimizer) -> Iterator[Optimizer]:
    """Each of the `workers`, then a reader that folds the study "s" from scratch, for a
    test to check alike; each closed once its checks passed."""
    reader = Optimizer(SPACE_XY, seed=2, storage=storage_url(location), study="s")
    for opt in (*workers, reader):
        yield opt
        opt.close()


def claim_again_while_built(monkeypatch: pytest.MonkeyPatch, other: Optimizer,
                            point: dict[str, float]) -> list[bool]:
    """Force a race: at the first clock read in bayesopt/optimizer.py (as an event is built,
    after its optimizer read the study), `other` cancels `point` and adds it again (a new
    run). The list holds True until then; restore the clock with `CLOCK`."""
    armed = [True]

    def claim_again_first() -> float:
        caller = sys._getframe(1).f_code.co_filename
        if armed[0] and caller.endswith(os.path.join("bayesopt", "optimizer.py")):
            armed[0] = False
            other.cancel(point)
            other.add_pending(point)
        return CLOCK()

    monkeypatch.setattr(time, "time", claim_again_first)
    return armed


def test_a_report_stored_after_its_run_was_cancelled_and_claimed_again_is_not_the_new_runs(
    location: tuple[str, str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Worker a's report of p is built while p is a's pending run, and stored after worker
    b cancelled p and added it again (a new run, whose reports start over). Matched by its
    params, the report counted as the new run's: b's first report raised "step=1 must be
    after the last reported step 3.0". It carries its run's claim now: every worker's fold
    leaves it out (the run it was of is over), a.report says so, and b's run reports from
    step 1. The race is forced: b cancels and adds p while a builds its report."""
    a, b, point = two_workers(location)
    armed = claim_again_while_built(monkeypatch, b, point)
    with pytest.raises(ValueError, match=r"report: the run of \{'x': 0.1, 'y': 0.1\} \(run 0\) "
                       r"stopped being pending while this report was stored .* not recorded; "
                       "stop"):
        a.report(point, 3, 0.5)
    monkeypatch.setattr(time, "time", CLOCK)
    assert not armed[0] and a.pending == b.pending == [point]
    assert not b.report(point, 1, 0.4)
    with pytest.raises(ValueError, match=r"report: .* is not pending"):
        a.report(point, 2, 0.3)  # a's own run was cancelled: b's new run is not a's
    b.tell(point, 0.3)
    for opt in every_fold(location, a, b):
        assert [(o.status, o.value) for o in opt.history] == [("ok", 0.3)]
        assert opt._state.pruning.rungs == {0: [0.4]}


def test_a_report_of_a_run_cancelled_and_claimed_again_is_refused_not_the_new_runs(
    location: tuple[str, str],
) -> None:
    """Worker w added p; worker v cancelled p and added it again (a new run), and w has
    read both events. w's report was built for the pending point p's params matched — v's
    run — and counted as its report: v's own first report then raised "step=1 must be
    after the last reported step 3.0". A report is of the worker's own run, as a tell or a
    heartbeat is: w's is refused (its run is not pending) and v's run reports from step 1."""
    w, v, point = two_workers(location)
    v.cancel(point)
    v.add_pending(point)
    assert w.pending == [point]  # w has read the cancel and v's new run
    with pytest.raises(ValueError, match=r"report: \{'x': 0.1, 'y': 0.1\} is not pending"):
        w.report(point, 3, 0.5)
    assert not v.report(point, 1, 0.4)
    v.tell(point, 0.4)
    for opt in every_fold(location, w, v):
        assert [(o.status, o.value) for o in opt.history] == [("ok", 0.4)]
        assert opt._state.pruning.rungs == {0: [0.4]}


def test_a_late_tell_and_heartbeat_of_a_run_cancelled_and_claimed_again_are_not_the_new_runs(
    location: tuple[str, str],
) -> None:
    """Worker w added p; worker v cancelled p and added it again (a new run). Matched by
    params, w's late heartbeat counted as a sign of life of v's run and w's late tell
    released v's run, so v's own tell found nothing pending. Tells and heartbeats name
    their run's claim now: w's heartbeat is refused (its run is not pending), w's tell is
    recorded as an observation without releasing v's run (with an UnmatchedTellWarning),
    and v's tell releases v's run, in every worker's fold and in a fold from scratch."""
    w, v, point = two_workers(location, pending_timeout=60)
    v.cancel(point)
    v.add_pending(point)
    with pytest.raises(ValueError, match=r"heartbeat: \{'x': 0.1, 'y': 0.1\} is not a pending"):
        w.heartbeat(point)
    with pytest.warns(UnmatchedTellWarning, match="its run stopped being pending before this "
                      "tell was stored .* every pending point stays pending"):
        w.tell(point, 0.5)
    assert w.pending == v.pending == [point]  # v's run is still pending
    v.heartbeat(point)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        v.tell(point, 0.4)
    for opt in every_fold(location, w, v):
        assert [(o.status, o.value) for o in opt.history] == [("ok", 0.5), ("ok", 0.4)]
        assert opt.pending == [] and opt._state.cancelled == []


def test_only_a_runs_own_worker_keeps_it_as_cancelled_until_it_tells_it(
    location: tuple[str, str],
) -> None:
    """A coordinator cancels four of worker w's runs. Every fold listed them as cancelled
    by another worker until w told them, so a worker that died before telling left them
    in every fold for its life. Only w looks them up (its late tells name them), so only
    w's fold keeps them now, until it tells them; the coordinator's, another worker's and
    a fresh reader's hold none, and they all fold w's late tells alike."""
    url = storage_url(location)
    w = Optimizer(SPACE_XY, seed=0, storage=url, study="s")
    coordinator = Optimizer(SPACE_XY, seed=1, storage=url, study="s")
    other = Optimizer(SPACE_XY, seed=2, storage=url, study="s")
    points = [{"x": 0.1 * k, "y": 0.5} for k in range(1, 5)]
    w.add_pending(points)
    coordinator.cancel(points)
    reader = Optimizer(SPACE_XY, seed=3, storage=url, study="s")
    for opt in (coordinator, other, reader):
        assert opt.pending == [] and opt._state.cancelled == []
    assert w.pending == []  # w caught up: its runs are cancelled, and listed as its own
    assert [p.params for p in w._state.cancelled] == points  # for its late tells
    for k, point in enumerate(points):
        with pytest.warns(UnmatchedTellWarning, match="its run stopped being pending"):
            w.tell(point, float(k))
    for opt in (w, coordinator, other, reader):
        assert [o.value for o in opt.history] == [0.0, 1.0, 2.0, 3.0]
        assert opt.pending == [] and opt._state.cancelled == []
        opt.close()


def test_a_dispatchers_teller_checks_with_run_ids_that_its_run_is_the_dispatched_one(
    location: tuple[str, str],
) -> None:
    """docs/event-fold.md, "A dispatcher": d asks p and sends it with its run id to a
    worker whose own optimizer t tells the result. t's run_ids(p) names the dispatched run
    while it is pending; once v cancelled it and added p again, t's run_ids(p) is no longer
    the dispatched id (a tell from t would release v's run), while d's own tell still
    names d's run: recorded, releasing nothing, with an UnmatchedTellWarning."""
    url = storage_url(location)
    d = Optimizer(SPACE_XY, seed=0, storage=url, study="s")
    t = Optimizer(SPACE_XY, seed=1, storage=url, study="s")
    v = Optimizer(SPACE_XY, seed=2, storage=url, study="s")
    p = d.ask()
    run, _ = d.run_ids(p)
    assert run == 0 and t.run_ids(p) == (run, None)
    v.cancel(p)
    added = v.add_pending(p)
    assert t.run_ids(p) == (added, None) != (run, None)  # v's new run, its own id
    with pytest.warns(UnmatchedTellWarning, match="its run stopped being pending"):
        d.tell(p, 0.5)
    for opt in (d, t, v):
        assert opt.pending == [p] and [o.value for o in opt.history] == [0.5]
        opt.close()


SPACE_K = {"k": Integer(0, 1)}  # two points: a run timed out is asked again


def runs_of_history(opt: Optimizer) -> list[tuple[Any, float | None, int | None]]:
    """(k, value, run) of each observation."""
    return [(o.params["k"], o.value, o.run) for o in opt.history]


def test_minimize_tells_each_evaluation_as_the_run_it_dispatched(
    location: tuple[str, str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """minimize(n_workers=2): run R of p timed out while it was evaluated, and the loop
    asked p again (run R2). All the loop's tells come from one optimizer, so told by params
    R's result released R2 (this worker's own pending run first) and R2's the timed-out R:
    each value recorded under the other's run id. The loop tells by run id now. Forced on
    threads: evaluating q moves the clock 120 s on (R times out when q is told, and the next
    ask repeats p), R ends after R2 started, and R2 after R was told."""
    first = Optimizer(SPACE_K, seed=0, n_initial=2).ask()
    offset = [0.0]
    monkeypatch.setattr(time, "time", lambda: CLOCK() + offset[0])
    r2_started, r_told = threading.Event(), threading.Event()
    seen: list[dict[str, Any]] = []
    lock = threading.Lock()

    def objective(p: dict[str, Any]) -> float:
        with lock:
            seen.append(p)
            nth = seen.count(first)
        if p != first:
            offset[0] = 120.0  # R, still running, times out (no heartbeat in 10 s)
            return 5.0
        if nth == 1:  # R
            assert r2_started.wait(60)
            return 1.0
        r2_started.set()  # R2
        assert r_told.wait(60)
        return 2.0

    def callback(observation: Any, opt: Optimizer) -> None:
        if observation.value == 1.0:
            r_told.set()

    url = storage_url(location)
    with ThreadPoolExecutor(2) as pool:
        result = minimize(objective, SPACE_K, n_calls=3, seed=0, n_initial=2, n_workers=2,
                          executor=pool, pending_timeout=30, progress=False, callback=callback,
                          storage=url, study="s")
    k = first["k"]
    expected = [(1 - k, 5.0, 1), (k, 1.0, 0), (k, 2.0, 2)]
    assert runs_of_history(result) == expected  # type: ignore[arg-type]
    reader = Optimizer(SPACE_K, seed=0, n_initial=2, pending_timeout=30, storage=url, study="s")
    assert runs_of_history(reader) == expected
    assert reader._state.pending == reader._state.expired == []
    reader.close()


_TWO_RUNS_COMMAND = """\
import pathlib, sys, time
k, run, here, first = int(sys.argv[1]), int(sys.argv[2]), pathlib.Path(sys.argv[3]), int(sys.argv[4])
def wait(name):
    deadline = time.monotonic() + 60
    while not (here / name).exists():
        assert time.monotonic() < deadline, name
        time.sleep(0.01)
if k != first:
    print("objective: 5")
elif run == 0:  # R: reports once R2 runs
    wait("r2_started")
    print("report: 1 3", flush=True)
    print("objective: 1")
else:  # R2: reports once R was told
    (here / "r2_started").touch()
    wait("r_told")
    print("report: 1 0.5", flush=True)
    print("objective: 2")
"""


def test_a_commands_reports_are_of_the_run_minimize_dispatched(
    location: tuple[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    """`bayesopt run`'s command objective with two runs of p in flight: R (run 0) timed out
    while its command ran and the loop asked p again (R2, run 2). The objective reported by
    params (`report(params, ...)`: this worker's pending run first), so R's late report
    line was R2's, and R2's own report at step 1 was refused as not after step 1 (R2
    failed, R was told 1.0). It reports on the run the loop dispatched now: R's late report
    is refused (R timed out: `Optimizer.report`), which fails R, and R2 reports from its own
    first step. Forced on threads as in the test above: q's tell moves the clock 120 s on,
    so R times out and the next ask repeats p; R reports once R2 runs, R2 once R was told."""
    from bayesopt.command import CommandObjective, CommandTemplate
    from bayesopt.space import Space

    first = Optimizer(SPACE_K, seed=0, n_initial=2).ask()
    offset = [0.0]
    monkeypatch.setattr(time, "time", lambda: CLOCK() + offset[0])
    script = tmp_path / "two_runs.py"
    script.write_text(_TWO_RUNS_COMMAND)
    space = Space(SPACE_K)
    template = CommandTemplate.parse(
        [sys.executable, str(script), "{k}", "{bayesopt.run}", str(tmp_path), str(first["k"])],
        space)

    def callback(observation: Any, opt: Optimizer) -> None:
        if observation.value == 5.0:
            offset[0] = 120.0  # R, still running, times out (no heartbeat in 10 s)
        if observation.run == 0:
            (tmp_path / "r_told").touch()

    url = storage_url(location)
    with (ThreadPoolExecutor(2) as pool,
          pytest.warns(EvaluationFailedWarning, match="is not pending \\(it timed out")):
        result = minimize(CommandObjective(template, timeout=120), space, n_calls=3, seed=0,
                          n_initial=2, n_workers=2, executor=pool, pending_timeout=30,
                          progress=False, callback=callback, storage=url, study="s",
                          max_consecutive_failures=3)
    k = first["k"]
    expected = [(1 - k, 5.0, 1), (k, None, 0), (k, 2.0, 2)]
    assert runs_of_history(result) == expected  # type: ignore[arg-type]
    error = result.history[1].error
    assert error is not None and (
        f"report line 'report: 1 3': report: {{'k': {k}}} is not pending (it timed out") in error
    reader = Optimizer(SPACE_K, seed=0, n_initial=2, pending_timeout=30, storage=url, study="s")
    assert runs_of_history(reader) == expected
    assert [o.status for o in reader.history] == ["ok", "failed", "ok"]
    reader.close()


def asked_again(url: str, monkeypatch: pytest.MonkeyPatch
                ) -> tuple[Optimizer, dict[str, Any], int, int]:
    """(w, p, r, r2): worker w asked p (run r) and q, both timed out (the clock moved
    60 s on), q was told and w asked p again (run r2)."""
    w = Optimizer(SPACE_K, seed=0, n_initial=2, pending_timeout=10, storage=url, study="s")
    p, q = w.ask(2)
    (r, _), start = w.run_ids(p), time.time()
    monkeypatch.setattr(time, "time", lambda: start + 60)  # p and q time out
    w.tell(q, 5.0)
    assert w.ask() == p
    r2, _ = w.run_ids(p)
    assert (r, r2) == (0, 2)
    return w, p, r, cast(int, r2)


def test_a_late_tell_report_or_failure_names_its_run_not_the_run_of_its_params_asked_again(
    location: tuple[str, str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Worker w asked p (run R); R timed out and w asked p again (run R2). Told by params,
    w's late tell of R released R2 (its own pending run first) and left R timed out, and a
    report of R was R2's. With run=, each names its run: R's late tell releases R (a late
    tell of a timed-out point, no warning), its report is refused, and R2 reports from its
    own first step and is told as R2, in w's fold and a reader's from scratch."""
    url = storage_url(location)
    w, p, r, r2 = asked_again(url, monkeypatch)
    with pytest.raises(ValueError, match=r"report: \{'k': \d\} is not pending \(it timed out"):
        w.report(p, 1, 0.5, run=r)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        w.tell(p, 1.0, run=r)
    assert w.pending == [p] and w.run_ids(p) == (r2, None)
    assert not w.report(p, 1, 0.7, run=r2)
    w.tell_failure(p, "diverged", run=r2)
    reader = Optimizer(SPACE_K, seed=0, n_initial=2, pending_timeout=10, storage=url, study="s")
    for opt in (w, reader):
        assert runs_of_history(opt) == [(1 - p["k"], 5.0, 1), (p["k"], 1.0, r),
                                        (p["k"], None, r2)]
        assert opt._state.pending == opt._state.expired == []
        opt.close()


def test_minimizes_heartbeats_name_the_run_dispatched_not_the_run_of_its_params(
    location: tuple[str, str], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    """`minimize`'s heartbeat thread beating run R of p, which timed out while p was asked
    again (run R2): by params its beats were R2's (this worker's pending run first), so R
    was beaten on for ever and R2 kept alive by R's worker (checked with e1290939's
    `Heartbeats.start(p)`: still running after 50 beats). By run id R's beat is refused:
    R is dropped with a warning in the log."""
    import logging

    from bayesopt.heartbeats import Heartbeats
    from bayesopt.parallel import Dispatch

    w, p, r, _ = asked_again(storage_url(location), monkeypatch)
    caplog.set_level(logging.WARNING, logger="bayesopt.heartbeats")
    with Heartbeats(w, 0.03) as beats:  # a beat every 0.01 s
        beats.start(Dispatch(p, r))
        deadline = time.monotonic() + 10
        while beats.running and time.monotonic() < deadline:
            time.sleep(0.01)
        assert beats.running == []
    assert any("no more heartbeats are sent for it" in m for m in caplog.messages)
    w.close()


def test_a_late_tell_of_a_run_another_worker_cancelled_names_it_when_its_params_are_asked_again(
    location: tuple[str, str],
) -> None:
    """v cancelled w's run R of p, and w asked p again (run R2). Told by params, w's late
    tell of R released R2. With run=, it names R: recorded outside any run with an
    UnmatchedTellWarning, R2 stays pending; a late report or failure of R is refused and
    stores nothing."""
    url = storage_url(location)
    w = Optimizer(SPACE_K, seed=0, n_initial=2, storage=url, study="s")
    v = Optimizer(SPACE_K, seed=1, n_initial=2, storage=url, study="s")
    p, q = w.ask(2)
    r, _ = w.run_ids(p)
    v.cancel(p)
    assert w.ask() == p  # the point not observed nor pending
    r2, _ = w.run_ids(p)
    n_events = w._state.n_applied
    with pytest.raises(ValueError, match=r"report: \{'k': \d\} is not pending"):
        w.report(p, 1, 0.5, run=r)
    with pytest.raises(ValueError, match=r"tell_failure: run=99 is not a run in flight"):
        w.tell_failure(p, "late", run=99)
    assert w._state.n_applied == n_events  # nothing stored
    with pytest.warns(UnmatchedTellWarning, match="its run stopped being pending"):
        w.tell(p, 1.0, run=r)
    assert w.pending == v.pending == [q, p] and w.run_ids(p) == (r2, None)
    w.tell(p, 2.0, run=r2)
    for opt in (w, v):
        assert [(o.value, o.run) for o in opt.history] == [(1.0, None), (2.0, r2)]
        assert opt.pending == [q]
        opt.close()


def test_a_dispatchers_teller_tells_the_dispatched_run_by_its_id(
    location: tuple[str, str],
) -> None:
    """docs/event-fold.md, "A dispatcher": d asks points and sends each with its run id; t,
    the worker's own optimizer, tells them. By params t's tell was of the run the params
    matched as it was built: v's new run of a point once v had cancelled the dispatched one
    (the window the docs described). Told with run=, it releases the dispatched run while
    it is in flight, a replicate of its params pending or not, and is refused (nothing
    stored) once it is not."""
    url = storage_url(location)
    d = Optimizer(SPACE_XY, seed=0, storage=url, study="s")
    t = Optimizer(SPACE_XY, seed=1, storage=url, study="s")
    v = Optimizer(SPACE_XY, seed=2, storage=url, study="s")
    p, later = d.ask(2)
    run, _ = d.run_ids(p)
    replicate = v.add_pending(p, repeat=True)  # a replicate: the same params
    t.tell(p, 0.5, run=run)
    assert [(o.value, o.run) for o in t.history] == [(0.5, run)]
    assert t.pending == [later, p] and t.run_ids(p) == (replicate, None) == (2, None)
    late, _ = d.run_ids(later)
    v.cancel(later)
    v.add_pending(later)
    assert t.pending == [p, later]  # read: v's runs of both
    n_events = t._state.n_applied
    with pytest.raises(ValueError, match=rf"tell: run={late} is not a run in flight"):
        t.tell(later, 0.7, run=late)
    assert t._state.n_applied == n_events and t.pending == [p, later]
    for opt in every_fold(location, d, t, v):
        assert [(o.value, o.run) for o in opt.history] == [(0.5, run)]
        assert opt.pending == [p, later]


def test_replicates_of_one_point_report_each_on_its_own_run(
    location: tuple[str, str],
) -> None:
    """w added p and v added it again (repeat=True: two runs of p pending at once). Their
    reports were kept by params, one learning curve for both: v's first report raised
    "step=1 must be after the last reported step 1.0", and w's run's stop would have been
    v's. Each run has its reports now: v reports from its own first step, only w's run is
    stopped, and each tell is recorded with its own run's stop, in every fold."""
    url = storage_url(location)
    pruner = SuccessiveHalving(min_resource=1, reduction_factor=3, bootstrap_count=1)
    w = Optimizer(SPACE_XY, seed=0, storage=url, study="s", pruner=pruner)
    v = Optimizer(SPACE_XY, seed=1, storage=url, study="s", pruner=pruner)
    point = {"x": 0.1, "y": 0.1}
    w.add_pending(point)
    v.add_pending(point, repeat=True)
    assert w.report(point, 1, 5.0)  # alone at its rung: stopped
    assert not v.report(point, 1, 1.0)  # v's own run: the best at the rung
    assert not v.report(point, 2, 0.9)
    w.tell(point, 5.0)
    v.tell(point, 0.9)
    reader = Optimizer(SPACE_XY, seed=2, storage=url, study="s", pruner=pruner)
    for opt in (w, v, reader):
        assert [(o.status, o.value, o.step) for o in opt.history] == [
            ("pruned", 5.0, 1.0), ("ok", 0.9, None)]
        assert opt.pending == [] and opt._state.pruning.rungs == {0: [5.0, 1.0]}
        opt.close()


def test_a_late_tell_or_cancel_of_a_timed_out_run_claimed_again_is_not_the_new_runs(
    location: tuple[str, str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """w added p; p timed out and v added it again (a new run). Matched by params, w's late
    tell released v's run (pending first) and left w's timed-out run listed, and w's
    cancel of p cancelled v's run (tests/data/study-0.6.0-late-cancel.jsonl, written so).
    Both name w's own run now: the cancel is refused (it timed out), as w's heartbeat is;
    the tell releases it (a late tell of a timed-out point, recorded without a warning);
    v's run stays pending until v tells it."""
    w, v, point = two_workers(location, pending_timeout=10)
    start = time.time()
    monkeypatch.setattr(time, "time", lambda: start + 60)  # p times out
    v.add_pending(point)
    with pytest.raises(ValueError, match="is not a pending point .*it timed out"):
        w.heartbeat(point)
    with pytest.raises(ValueError, match=r"cancel: .* is not a pending point \(it timed out"):
        w.cancel(point)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        w.tell(point, 0.5)
    assert w.pending == v.pending == [point] and w.pending_status().timed_out == ()
    v.tell(point, 0.4)
    for opt in every_fold(location, w, v):
        assert [(o.status, o.value) for o in opt.history] == [("ok", 0.5), ("ok", 0.4)]
        assert opt.pending == [] and opt.pending_status().timed_out == ()


def test_a_heartbeat_stored_after_its_run_was_cancelled_and_claimed_again_is_not_the_new_runs(
    location: tuple[str, str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As the report race: w's heartbeat of p is built while p is w's pending run, and
    stored after v cancelled p and added it again. It carries w's claim: a sign of life of
    no run (w's is over), so v's run is seen alive only by its own events, and it times
    out by them in every fold, a fresh reader's too."""
    w, v, point = two_workers(location, pending_timeout=60)
    armed = claim_again_while_built(monkeypatch, v, point)
    w.heartbeat(point)  # stored; applied to nothing
    monkeypatch.setattr(time, "time", CLOCK)
    assert not armed[0] and w.pending == v.pending == [point]
    new_run = v._state.pending[0]
    assert new_run.worker == v._state.worker and new_run.alive is None
    late = new_run.time + 61  # v's run silent for 61 s since its add_pending
    monkeypatch.setattr(time, "time", lambda: late)
    reader = Optimizer(SPACE_XY, seed=2, storage=storage_url(location), study="s",
                       pending_timeout=60)
    for opt in (w, v, reader):
        assert [p.alive for p in opt._state.pending] == [None]
        assert opt.pending == [] and [t.params for t in opt.pending_status().timed_out] == [point]
        opt.close()


FIDELITY_XY = {"x": Real(0, 1), "y": Real(0, 1), "epochs": Fidelity(1, 9, eta=3)}


def test_a_late_tell_and_report_of_a_timed_out_promotion_asked_again_are_not_the_new_runs(
    location: tuple[str, str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Worker w asked a Hyperband promotion and reported on it; it timed out and worker v
    asked it again (the schedule's job is due again: the same params, a new run). w's late
    report is refused, v's run reports from its first step and is stopped, w's late tell
    is recorded as its own timed-out run's, and v's tell as v's run, stopped ("pruned"),
    in every fold and a fresh reader's."""
    url = storage_url(location)
    options = {"n_initial": 3, "pending_timeout": 60,
               "pruner": SuccessiveHalving(min_resource=2, reduction_factor=3,
                                           bootstrap_count=1)}
    w = Optimizer(FIDELITY_XY, seed=0, storage=url, study="s", **options)
    v = Optimizer(FIDELITY_XY, seed=1, storage=url, study="s", **options)
    first = w.ask(3)
    w.tell(first, [1.0, 0.5, 2.0])
    due = w.ask()
    assert due == {**first[1], "epochs": 3} and w.run_ids(due) == (3, 1)
    assert not w.report(due, 1, 0.6)
    later = time.time() + 120
    monkeypatch.setattr(time, "time", lambda: later)  # w's promotion times out
    assert v.ask() == due and v.run_ids(due) == (4, 1)
    with pytest.raises(ValueError, match="report: .* is not pending .*it timed out"):
        w.report(due, 2, 0.5)
    assert not v.report(due, 1, 0.9)  # v's run reports from its own first step
    assert v.report(due, 2, 5.0)  # and is stopped
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        w.tell(due, 0.45)  # w's own timed-out run: a late tell, recorded
    assert w.pending == v.pending == [due]
    v.tell(due, 5.0)
    reader = Optimizer(FIDELITY_XY, seed=2, storage=url, study="s", **options)
    for opt in (w, v, reader):
        assert [(o.status, o.run, o.step, o.continues) for o in opt.history[3:]] == [
            ("ok", 3, None, None), ("pruned", 4, 2.0, 1)]
        assert opt.pending == [] and opt.pending_status().timed_out == ()
        opt.close()


def test_a_tell_stored_after_its_run_was_cancelled_and_claimed_again_is_not_the_new_runs(
    location: tuple[str, str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As the report race: w's tell of p is built while p is w's pending run, and stored
    after v cancelled p and added it again. It carries w's claim: recorded, with an
    UnmatchedTellWarning, and v's run stays pending until v tells it."""
    w, v, point = two_workers(location)
    armed = claim_again_while_built(monkeypatch, v, point)
    with pytest.warns(UnmatchedTellWarning, match="its run stopped being pending"):
        w.tell(point, 0.5)
    monkeypatch.setattr(time, "time", CLOCK)
    assert not armed[0] and w.pending == v.pending == [point]
    v.tell(point, 0.4)
    for opt in every_fold(location, w, v):
        assert [(o.status, o.value) for o in opt.history] == [("ok", 0.5), ("ok", 0.4)]
        assert opt.pending == []


def test_a_late_cancel_of_a_run_cancelled_and_claimed_again_is_refused_not_the_new_runs(
    location: tuple[str, str],
) -> None:
    """Worker w added p; worker v cancelled p and added it again (a new run). Matched by
    params, w's late cancel of p cancelled v's run. A cancel is of the worker's own run
    first, as a tell is: w's is refused (its run is not pending) and v's run stays
    pending; a third worker with no run of p still cancels v's run (a coordinator
    cancelling a straggler), in every worker's fold and in a fold from scratch."""
    w, v, point = two_workers(location)
    v.cancel(point)
    v.add_pending(point)
    with pytest.raises(ValueError, match=r"cancel: \{'x': 0.1, 'y': 0.1\} is not a pending "
                       r"point \(never asked, already told or cancelled"):
        w.cancel(point)
    assert w.pending == v.pending == [point]
    coordinator = Optimizer(SPACE_XY, seed=2, storage=storage_url(location), study="s")
    coordinator.cancel(point)
    reader = Optimizer(SPACE_XY, seed=3, storage=storage_url(location), study="s")
    for opt in (w, v, coordinator, reader):
        assert opt.pending == [] and opt._state.n_claimed == 2 and opt.history == []
    with pytest.raises(ValueError, match="is not a pending point"):
        v.cancel(point)
    for opt in (w, v, coordinator, reader):
        opt.close()


def test_a_cancel_is_of_its_workers_own_run_before_another_of_the_same_params(
    location: tuple[str, str],
) -> None:
    """v added p, then w added it again (a replicate, `repeat=True`). Matched by params,
    w's cancel of p took the first pending run of p, v's. It takes w's own now."""
    url = storage_url(location)
    v = Optimizer(SPACE_XY, seed=1, storage=url, study="s")
    w = Optimizer(SPACE_XY, seed=0, storage=url, study="s")
    point = {"x": 0.1, "y": 0.1}
    v.add_pending(point)
    w.add_pending(point, repeat=True)
    w.cancel(point)
    for opt in (w, v):
        assert [p.worker for p in opt._state.pending] == [v._state.worker]
    v.heartbeat(point)  # v's run is pending
    w.cancel(point)  # w has no run of p left: it cancels v's, as a coordinator would
    assert w.pending == v.pending == []
    w.close()
    v.close()


def test_a_cancel_stored_after_its_run_was_cancelled_and_claimed_again_is_not_the_new_runs(
    location: tuple[str, str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As the report race: w's cancel of p is built while p is w's pending run, and stored
    after v cancelled p and added it again. It carries w's claim: it drops nothing, says
    so (ValueError), and v's run stays pending until v tells it."""
    w, v, point = two_workers(location)
    armed = claim_again_while_built(monkeypatch, v, point)
    with pytest.raises(ValueError, match=r"cancel: the run of \{'x': 0.1, 'y': 0.1\} stopped "
                       r"being pending while this cancel was stored .* dropped nothing for it$"):
        w.cancel(point)
    monkeypatch.setattr(time, "time", CLOCK)
    assert not armed[0] and w.pending == v.pending == [point]
    v.tell(point, 0.4)
    for opt in every_fold(location, w, v):
        assert [(o.status, o.value) for o in opt.history] == [("ok", 0.4)]
        assert opt.pending == [] and opt._state.n_claimed == 2


def test_a_batch_cancel_drops_its_other_points_when_one_run_was_claimed_again(
    location: tuple[str, str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A batch cancel whose first point's run was cancelled and claimed again while it was
    stored drops its other point and names the first in its ValueError."""
    w, v, point = two_workers(location)
    other = {"x": 0.7, "y": 0.7}
    w.add_pending(other)
    claim_again_while_built(monkeypatch, v, point)
    with pytest.raises(ValueError, match=r"dropped nothing for it; the other 1 point\(s\) "
                       "were dropped"):
        w.cancel([point, other])
    monkeypatch.setattr(time, "time", CLOCK)
    assert w.pending == v.pending == [point]
    w.close()
    v.close()


def release_once_warned(caught: list[warnings.WarningMessage], holder: Any) -> None:
    """Close the connection `holder` (its transaction, and the row lock, end) once a
    LockWaitWarning is among `caught` (`wait_for_lock_warning`)."""
    wait_for_lock_warning(caught)
    holder.close()


def waiting_for(holder: Any, monkeypatch: pytest.MonkeyPatch,
                action: Callable[[], Any]) -> list[warnings.WarningMessage]:
    """The LockWaitWarnings of `action()`, which waits for the session `holder` (a psycopg
    connection in an open transaction), closed once the first is warned (after 0.05 s)."""
    monkeypatch.setattr(codec, "LOCK_WAIT_WARNING", 0.05)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        releaser = threading.Thread(target=release_once_warned, args=(caught, holder),
                                    daemon=True)
        releaser.start()
        action()
    releaser.join(timeout=60)
    return [w for w in caught if issubclass(w.category, LockWaitWarning)]


@pytest.mark.parametrize("holding", ["new study", "schema"])
def test_a_postgres_creation_waiting_for_another_session_is_warned_about(
    holding: str, pg_database: tuple[PostgresServer, str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another session inserting the same new study, or holding the lock on creating the
    tables, in a transaction left open (a creator stopped mid-creation): opening the
    storage or creating the study waited for it without a word (closing-37 left it). The
    wait warns once, naming the holding session, and completes once the holder ends."""
    import psycopg

    from bayesopt.storage.postgres import _NAMESPACE

    server, name = pg_database
    url = server.url(name)
    postgres_storage(url).close()  # the tables exist
    holder = psycopg.connect(url)  # not autocommit: its locks last until it closes
    if holding == "new study":
        holder.execute("INSERT INTO bayesopt_studies (name, header) VALUES ('s', '{}')")
    else:
        holder.execute("SELECT pg_advisory_xact_lock(%s)", (_NAMESPACE,))
    session = holder.info.backend_pid
    opened: list[Any] = []

    def attach() -> None:
        opened.append(postgres_storage(url))
        assert opened[0].create_or_attach("s", {"mine": 1}) == {"mine": 1}

    waits = [str(w.message) for w in waiting_for(holder, monkeypatch, attach)]
    storage = opened[0]
    what = "creating study 's'" if holding == "new study" else "the lock on creating the tables"
    assert len(waits) == 1 and f"{storage!r}: {what}: still waiting" in waits[0], waits
    assert f"held by server process {session} (client 127.0.0.1:" in waits[0], waits
    storage.close()


def test_a_postgres_storage_opens_while_another_session_holds_a_study_row(
    pg_database: tuple[PostgresServer, str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Opening a storage checks the schema, whose `ALTER TABLE ... ADD COLUMN IF NOT
    EXISTS` took the table's ACCESS EXCLUSIVE lock even where the column exists, so it
    waited, silently and without end, for any session holding a study's row (an append in
    progress; a session left idle in its transaction). The new storage's sessions get a
    lock_timeout (PGOPTIONS), which turns such a wait into an error instead of a hang."""
    import psycopg

    server, name = pg_database
    url = server.url(name)
    opt = Optimizer({"x": Real(0.0, 1.0)}, seed=0, n_initial=2, storage=url, study="s")
    opt.tell(opt.ask(), 0.25)
    holder = psycopg.connect(url)  # not autocommit: the row lock lasts until it closes
    holder.execute("SELECT 1 FROM bayesopt_studies WHERE name = 's' FOR UPDATE")
    monkeypatch.setenv("PGOPTIONS", "-c lock_timeout=5000")
    try:
        storage = postgres_storage(url)
        assert storage.studies() == ["s"]
        assert len(storage.read("s")) == 2
        storage.close()
    finally:
        holder.close()
        opt.close()


@pytest.mark.parametrize("operation", ["tell", "delete_study"])
def test_a_wait_for_a_postgres_study_row_held_by_another_session_is_warned_about(
    operation: str, pg_database: tuple[PostgresServer, str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A study's row locked by another session (`SELECT ... FOR UPDATE` in an open
    transaction): the append of a tell, or delete_study, waiting for it warns once, at the
    user's line, naming the storage, the study and the holding server session, keeps
    waiting, and completes once the holder's transaction ends."""
    import psycopg

    server, name = pg_database
    url = server.url(name)
    opt = Optimizer({"x": Real(0.0, 1.0)}, seed=0, n_initial=2, storage=url, study="s")
    params = opt.ask()
    storage = postgres_storage(url)  # opened first: its schema check would wait for the holder
    named = storage if operation == "delete_study" else postgres_storage(url)
    holder = psycopg.connect(url)  # not autocommit: the row lock lasts until it closes
    holder.execute("SELECT 1 FROM bayesopt_studies WHERE name = 's' FOR UPDATE")
    session = holder.info.backend_pid
    waits = waiting_for(holder, monkeypatch, (partial(opt.tell, params, 0.25)
                                              if operation == "tell" else
                                              partial(storage.delete_study, "s")))
    assert len(waits) == 1, [str(w.message) for w in waits]
    message = str(waits[0].message)
    assert f"{named!r}: the row lock of study 's': still waiting" in message, message
    assert f"held by server process {session} (client 127.0.0.1:" in message, message
    assert waits[0].filename == __file__
    if operation == "tell":
        assert [h.value for h in opt.history] == [0.25]
        assert len(storage.read("s")) == 2  # the ask and the tell
    else:
        assert storage.studies() == []
    if named is not storage:
        named.close()
    storage.close()
    opt.close()


FILE_SIZE_LIMITED = """
import os, resource, signal, sys
from bayesopt.storage import StorageError
from bayesopt.storage.sqlite import SQLiteStorage
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
path = sys.argv[1]
storage = SQLiteStorage(path)
storage.create_or_attach("s", {})
storage.append("s", [{"i": 0}])
limit = max(os.path.getsize(path + suffix) for suffix in ("", "-wal"))
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
try:
    storage.append("s", [{"padding": "x" * 200_000}])
except StorageError as error:
    print(error)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE and SIGXFSZ are POSIX")
@pytest.mark.skipif(sys.version_info < (3, 11), reason="sqlite_errorcode is Python >= 3.11's")
def test_an_sqlite_write_past_the_file_size_limit_says_which_write_failed_and_why(tmp_path):
    """SQLite reports a write refused by the system (EFBIG past RLIMIT_FSIZE, ENOSPC) as
    "disk I/O error" only; its extended code names the failed write, and the error says
    it with the file and the likely causes."""
    path = tmp_path / "studies.db"
    child = subprocess.run([sys.executable, "-c", FILE_SIZE_LIMITED, str(path)],
                           check=False, capture_output=True, text=True, timeout=120,
                           env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert child.returncode == 0, child.stderr
    assert child.stdout.strip() == (
        f"SQLiteStorage({str(path)!r}): disk I/O error (the write of {str(path)!r} or its "
        "studies.db-wal failed, SQLITE_IOERR_WRITE: disk full or file size limit?)")


# --- SQLite: a database held by another writer ---


def blocked_database(path: Path, seconds: float) -> None:
    """Hold SQLite's write lock on `path` for `seconds` (longer than its busy timeout)."""
    blocker = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    blocker.execute("BEGIN IMMEDIATE")
    timer = threading.Timer(seconds, lambda: (blocker.execute("COMMIT"), blocker.close()))
    timer.start()


HOLD_WRITE = """
import sqlite3, sys, time
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(600)
"""


@pytest.mark.skipif(not Path("/proc/locks").exists(), reason="names the holder from /proc/locks")
@pytest.mark.parametrize("holder", ["another process", "this process"])
def test_an_sqlite_write_waiting_for_another_transaction_is_warned_about(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, holder: str,
) -> None:
    """SQLite's busy wait is bounded (timeout=, then a TimeoutError) but said nothing before:
    a tell waiting for another connection's BEGIN IMMEDIATE warns once, at the user's line,
    naming the file, the process holding the write lock and the timeout, as the other
    storages warn of a lock wait; it goes on waiting and completes once the transaction
    ends (the holder killed, or its transaction committed)."""
    path = tmp_path / "s.db"
    opt = Optimizer({"x": Real(0.0, 1.0)}, seed=0, n_initial=2, storage=f"sqlite:///{path}",
                    study="s")
    params = opt.ask()
    release: Callable[[], Any]
    with ExitStack() as blocking:  # the blocker process, if any, ended with it
        if holder == "another process":
            blocker = blocking.enter_context(started(
                [sys.executable, "-c", HOLD_WRITE, str(path)], stdout=subprocess.PIPE,
                text=True))
            assert blocker.stdout is not None and blocker.stdout.readline().strip() == "locked"
            named, release = f"process {blocker.pid} (python", blocker.kill
        else:
            connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            connection.execute("BEGIN IMMEDIATE")
            named = f"process {os.getpid()} (this process)"
            release = lambda: (connection.execute("COMMIT"), connection.close())
        monkeypatch.setattr(codec, "LOCK_WAIT_WARNING", 0.05)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            releaser = threading.Thread(
                target=lambda: (wait_for_lock_warning(caught), release()), daemon=True)
            releaser.start()
            opt.tell(params, 0.5)
        releaser.join(timeout=60)
    waits = [w for w in caught if issubclass(w.category, LockWaitWarning)]
    assert len(waits) == 1, [str(w.message) for w in caught]
    message = str(waits[0].message)
    assert message.startswith(f"SQLiteStorage('{path}'): the database's write lock: still "
                              "waiting for it after "), message
    assert f"; held by {named}" in message
    assert ", as the lock on s.db-shm tells (SQLite itself does not name the holder)" in message
    assert message.endswith("the wait ends with a TimeoutError after timeout=120.0 s")
    assert waits[0].filename == __file__
    assert [o.value for o in opt.history] == [0.5]
    opt.close()


def test_a_lock_holder_not_in_proc_locks_is_said_to_be_unknown(tmp_path: Path) -> None:
    """`codec.posix_lock_holders` names no process it cannot read the lock of."""
    assert (codec.posix_lock_holders(tmp_path / "gone.db-shm", 120)
            == "its holder cannot be told (gone.db-shm cannot be read)")
    (tmp_path / "free.db-shm").write_bytes(b"\0" * 256)
    assert codec.posix_lock_holders(tmp_path / "free.db-shm", 120) in (
        "its holder cannot be told (/proc/locks lists none)",
        "its holder cannot be told here (no /proc/locks)")


def test_sqlite_waits_out_a_writer_longer_than_its_busy_timeout(tmp_path: Path) -> None:
    storage = SQLiteStorage(tmp_path / "s.db")
    storage.create_or_attach("s", {})
    blocked_database(tmp_path / "s.db", 2.5)
    assert storage.append("s", [{"n": 0}]) == 0
    assert storage.read("s") == [{"n": 0}]
    storage.close()


def test_sqlite_gives_up_with_a_timeout_error_naming_the_file(tmp_path: Path) -> None:
    storage = SQLiteStorage(tmp_path / "s.db", timeout=0.5)
    storage.create_or_attach("s", {})
    blocked_database(tmp_path / "s.db", 2.5)
    with pytest.raises(TimeoutError, match=r"s\.db.*timeout=0\.5"):
        storage.append("s", [{"n": 0}])
    storage.close()


@pytest.mark.parametrize(
    ("path", "error", "match"),
    [
        (3, TypeError, "path=3"),
        (":memory:", ValueError, "path=':memory:'"),
        ("/no/such/folder/s.db", ValueError, "does not exist"),
    ],
)
def test_sqlite_bad_path_is_named(path: Any, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        SQLiteStorage(path)


@pytest.mark.parametrize("kind", ["not a database", "a directory"])
def test_sqlite_errors_are_storage_errors_naming_the_file(tmp_path: Path, kind: str) -> None:
    """An SQLite error that is not contention is a StorageError (a ValueError) naming the
    file, which `bayesopt show` reports as a one-line error: it was a bare
    sqlite3.DatabaseError / OperationalError, and `show` printed its traceback (audit 18:
    the same for a database in a read-only directory)."""
    from bayesopt.storage import StorageError

    path = tmp_path / "s.db"
    if kind == "a directory":
        path.mkdir()
    else:
        path.write_text("a text file\n")
    with pytest.raises(StorageError, match=rf"SQLiteStorage\('{path}'\): "
                                           "(file is not a database|unable to open)"):
        SQLiteStorage(path)
    done = subprocess.run([sys.executable, "-m", "bayesopt", "show", "--storage",
                           f"sqlite:///{path}", "--study", "s"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"cannot read the study 's' in sqlite:///{path}: SQLiteStorage(" in done.stderr


_OPTUNA_TABLES = (  # the start of the schema Optuna's RDBStorage makes in an SQLite file
    ("CREATE TABLE studies (study_id INTEGER NOT NULL PRIMARY KEY,"
     " study_name VARCHAR(512) NOT NULL UNIQUE)"),
    ("CREATE TABLE trials (trial_id INTEGER NOT NULL PRIMARY KEY, number INTEGER,"
     " study_id INTEGER REFERENCES studies (study_id), state VARCHAR(8) NOT NULL)"),
    "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)",
    "INSERT INTO studies VALUES (1, 'optuna-study')",
)


def test_another_programs_sqlite_database_is_refused_and_left_unchanged(tmp_path: Path) -> None:
    """An SQLite file whose `studies` table is not bayesopt's (Optuna's RDBStorage makes one)
    is refused with a StorageError naming the file and the table, by `bayesopt studies`
    too, before anything changes: it was given an `events` table, a `uid` column in its
    `studies` table and WAL mode, then failed with "no such column: name"."""
    from bayesopt import Optimizer, Real
    from bayesopt.storage import StorageError

    path = tmp_path / "optuna.db"
    with sqlite3.connect(path) as conn:
        for statement in _OPTUNA_TABLES:
            conn.execute(statement)
    conn.close()
    before = path.read_bytes()
    match = r"optuna.db'\) is not a bayesopt database: its table studies\(study_id, study_name\)"
    with pytest.raises(StorageError, match=match):
        SQLiteStorage(path)
    with pytest.raises(StorageError, match=match):
        Optimizer({"x": Real(0.0, 1.0)}, storage=f"sqlite:///{path}", study="optuna-study")
    done = subprocess.run([sys.executable, "-m", "bayesopt", "studies", "--storage",
                           f"sqlite:///{path}"], capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 2 and "is not a bayesopt database" in done.stderr, done.stderr
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["optuna.db"]  # no -wal, no -shm


def test_a_full_sqlite_database_fails_a_tell_with_a_journal_error(tmp_path: Path) -> None:
    """SQLITE_FULL (a full disk; here the page limit of the writer's connection) fails the
    tell with a JournalError naming the study and records nothing: it was a bare
    sqlite3.OperationalError (audit 18, on a 300 kB tmpfs)."""
    from bayesopt import Optimizer, Real
    from bayesopt.journal import JournalError

    url = f"sqlite:///{tmp_path / 's.db'}"
    opt = Optimizer({"x": Real(0, 1)}, seed=0, storage=url, study="s")
    opt.tell({"x": 0.5}, 1.0)
    conn = opt._link.storage._conn  # type: ignore[union-attr]
    (pages,) = conn.execute("PRAGMA page_count").fetchone()
    conn.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(JournalError, match=r"study 's' in .*s\.db.*database or disk is full") \
            as raised:
        opt.tell([{"x": i / 400} for i in range(400)], [1.0] * 400)
    assert "nothing was recorded" not in str(raised.value)  # SQLite's I/O: not claimed
    opt.close()
    with Optimizer({"x": Real(0, 1)}, storage=url, study="s") as reader:
        assert [o.params for o in reader.history] == [{"x": 0.5}]


# --- PostgreSQL: restarts, a stopped server, a lost COMMIT answer ---


def postgres_storage(url: str, **options: Any) -> Any:
    """A PostgresStorage (imported here: psycopg is checked by the postgres_server fixture)."""
    from bayesopt.storage.postgres import PostgresStorage

    return PostgresStorage(url, **options)


def advisory_locks(url: str) -> int:
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
        ).fetchone()
    assert row is not None
    return int(row[0])


@pytest.fixture
def pg_database(postgres_server: PostgresServer) -> tuple[PostgresServer, str]:
    name = f"test_{uuid.uuid4().hex[:12]}"
    postgres_server.create_database(name)
    return postgres_server, name


def test_postgres_restart_reconnects_and_reacquires_the_lock(
    pg_database: tuple[PostgresServer, str],
) -> None:
    """A lock lost to a restart is taken again; the holder's next append is refused
    (LockLost, nothing appended) until it has read the study again."""
    server, name = pg_database
    storage = postgres_storage(server.url(name))
    storage.create_or_attach("s", {})
    storage.append("s", [{"n": 0}])
    with storage.lock("s"):
        server.restart()
        with pytest.warns(RuntimeWarning, match="re-acquiring the locks of \\['s'\\]"), \
                pytest.raises(LockLost, match="'s' was lost and re-acquired"):
            storage.append("s", [{"n": 1}])
        assert advisory_locks(server.url(name)) == 1
        assert storage.read("s") == [{"n": 0}]  # nothing was appended
        assert storage.append("s", [{"n": 1}]) == 1
    assert advisory_locks(server.url(name)) == 0
    server.restart()
    assert storage.read("s") == [{"n": 0}, {"n": 1}]
    storage.close()


def test_postgres_a_lock_taken_by_another_while_lost_refuses_the_stale_append(
    pg_database: tuple[PostgresServer, str],
) -> None:
    """The window a restart opens: another process takes the lock and appends before
    the holder notices; the holder's append (computed before) is refused, and after
    reading the other's event it appends after it."""
    server, name = pg_database
    holder, other = postgres_storage(server.url(name)), postgres_storage(server.url(name))
    holder.create_or_attach("s", {})
    with holder.lock("s"):
        assert holder.read("s") == []
        server.restart()  # both sessions end; the lock is free
        with other.lock("s"):
            assert other.append("s", [{"by": "other"}]) == 0
        with pytest.warns(RuntimeWarning), pytest.raises(LockLost):
            holder.append("s", [{"by": "holder"}])
        assert holder.read("s") == [{"by": "other"}]
        assert holder.append("s", [{"by": "holder"}]) == 1
    for storage in (holder, other):
        storage.close()


def test_postgres_restarts_under_load_lose_nothing_and_repeat_nothing(
    pg_database: tuple[PostgresServer, str],
) -> None:
    server, name = pg_database
    storage = postgres_storage(server.url(name))
    storage.create_or_attach("s", {})
    with spawn(("postgresql", server.url(name)), "s", "batches", 0, 300) as worker:
        assert worker.stdout is not None
        for _ in range(2):
            int(worker.stdout.readline())  # appending: restart under its feet
            server.restart()
        assert worker.wait(timeout=300) == 0
    found = read_batches(storage.read("s"))
    assert sorted(found) == [(0, batch) for batch in range(300)]
    storage.close()


def test_postgres_shutdown_inside_a_pipeline_counts_as_a_dropped_connection(
    pg_database: tuple[PostgresServer, str],
) -> None:
    """A restart that lands inside `executemany`'s pipeline: psycopg raised "cannot exit
    pipeline mode while busy" while handling the server's AdminShutdown, on a connection
    not yet marked broken (seen in a CI run of the restart test above, which then failed:
    the append was not retried). The storage must reconnect and retry, not raise."""
    import psycopg
    from psycopg import errors as pg_errors

    server, name = pg_database
    storage = postgres_storage(server.url(name))
    storage.create_or_attach("s", {})
    calls: list[bool] = []

    def body(conn: Any, retry: bool) -> int:
        calls.append(retry)
        if not retry:
            assert not conn.broken  # a live session, as in the CI run
            try:
                raise pg_errors.AdminShutdown("terminating connection due to administrator command")
            except pg_errors.AdminShutdown:
                raise psycopg.OperationalError("cannot exit pipeline mode while busy")
        return int(conn.execute("SELECT 7").fetchone()[0])

    assert storage._run(body, "appending to study 's'") == 7
    assert calls == [False, True]
    assert storage.append("s", [{"after": "reconnect"}]) == 0
    storage.close()


def test_postgres_stopped_server_fails_clearly_after_bounded_retries(
    pg_database: tuple[PostgresServer, str],
) -> None:
    server, name = pg_database
    storage = postgres_storage(server.url(name), reconnect_attempts=2)
    storage.create_or_attach("s", {})
    server.stop()
    try:
        with pytest.raises(ConnectionError, match="appending to study 's'.*reconnect_attempts=2"):
            storage.append("s", [{"n": 0}])
    finally:
        server.start()
    assert storage.append("s", [{"n": 0}]) == 0
    storage.close()


def test_postgres_a_tell_while_the_server_is_down_says_nothing_was_recorded(
    pg_database: tuple[PostgresServer, str],
) -> None:
    """The server stopped between an ask and its tell, for longer than the reconnections:
    the tell's error did not say whether anything was recorded. Nothing was (it failed
    before any COMMIT was sent), and it says so; told again once the server is back, the
    tell is recorded once. The storage's own error says that nothing was written."""
    from bayesopt.journal import JournalError

    server, name = pg_database
    storage = postgres_storage(server.url(name), reconnect_attempts=1)
    with closing(storage), Optimizer({"x": Real(0, 1)}, storage=storage, study="s",
                                     seed=0) as opt:
        params = opt.ask()
        server.stop()
        try:
            with pytest.raises(JournalError, match=r"(?s)reconnect_attempts=1.*nothing was "
                                                   r"recorded; the tell can be repeated"):
                opt.tell(params, 0.5)
            with pytest.raises(ConnectionError, match=r"(?s)appending to study 's'.*nothing "
                                                      r"was written .*can be repeated"):
                storage.append("s", [{"n": 0}])
        finally:
            server.start()
        opt.tell(params, 0.5)
        assert [(o.params, o.value) for o in opt.history] == [(params, 0.5)]
        assert not opt.pending
    reader = postgres_storage(server.url(name))
    assert [e["event"] for e in reader.read("s")] == ["ask", "tell"]
    reader.close()


def test_an_sqlite_tell_refused_by_a_locked_database_says_nothing_was_recorded(
    tmp_path: Path,
) -> None:
    """A tell that cannot take SQLite's write lock within `timeout` (another connection's
    transaction holds it) raised a TimeoutError-born JournalError without saying whether
    anything was recorded. It says nothing was; told again, it is recorded once."""
    from bayesopt.journal import JournalError

    path = tmp_path / "s.db"
    storage = SQLiteStorage(path, timeout=0.3)  # passed in: the caller closes it
    with closing(storage), Optimizer({"x": Real(0, 1)}, storage=storage, study="s",
                                     seed=0) as opt:
        params = opt.ask()
        blocker = sqlite3.connect(path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(JournalError, match=r"(?s)stayed locked.*nothing was recorded; "
                                                   r"the tell can be repeated"):
                opt.tell(params, 0.5)
        finally:
            blocker.execute("COMMIT")
            blocker.close()
        opt.tell(params, 0.5)
        assert [(o.params, o.value) for o in opt.history] == [(params, 0.5)]
    with closing(SQLiteStorage(path)) as reader:
        assert [e["event"] for e in reader.read("s")] == ["ask", "tell"]


def test_postgres_commit_whose_answer_is_lost_is_not_appended_twice(
    pg_database: tuple[PostgresServer, str],
) -> None:
    server, name = pg_database
    with DropAfterCommit(server.port) as proxy, \
            closing(postgres_storage(proxy.url(name))) as storage:
        storage.create_or_attach("s", {})
        proxy.arm()
        assert storage.append("s", [{"n": 0}, {"n": 1}]) == 0
        assert proxy.dropped.wait(30)
        assert storage.append("s", [{"n": 2}]) == 2
        assert storage.read("s") == [{"n": 0}, {"n": 1}, {"n": 2}]


def test_postgres_a_commit_whose_answer_is_lost_for_good_says_the_outcome_is_unknown(
    pg_database: tuple[PostgresServer, str],
) -> None:
    """The COMMIT went through and its answer was lost, and no reconnection could look the
    events up (reconnect_attempts=0 here; a server that stays down after the commit, in
    production): `OutcomeUnknown`, saying the events may be stored, and they are, once.
    A connection lost before anything was sent (a stopped server) is a plain
    ConnectionError: nothing was appended."""
    from bayesopt.storage import OutcomeUnknown

    server, name = pg_database
    with DropAfterCommit(server.port) as proxy, \
            closing(postgres_storage(proxy.url(name), reconnect_attempts=0)) as storage:
        storage.create_or_attach("s", {})
        proxy.arm()
        with pytest.raises(OutcomeUnknown, match=r"whether the 2 event\(s\) were appended is "
                                                 r"unknown \(once or not at all\)"):
            storage.append("s", [{"n": 0}, {"n": 1}])
        assert proxy.dropped.wait(30)
        assert storage.read("s") == [{"n": 0}, {"n": 1}]
        server.stop()
        try:
            with pytest.raises(ConnectionError) as refused:
                storage.append("s", [{"n": 2}])
            assert not isinstance(refused.value, OutcomeUnknown)
        finally:
            server.start()
        assert storage.read("s") == [{"n": 0}, {"n": 1}]


def test_postgres_a_deletion_whose_commit_answer_is_lost_for_good_says_the_outcome_is_unknown(
    pg_database: tuple[PostgresServer, str],
) -> None:
    """delete_study's COMMIT went through, its answer was lost and no reconnection could
    look the deletion up: a plain ConnectionError, worded as if nothing were deleted (the
    study was). It is an `OutcomeUnknown` saying what to check; the study is gone."""
    from bayesopt.storage import OutcomeUnknown

    server, name = pg_database
    with DropAfterCommit(server.port) as proxy, \
            closing(postgres_storage(proxy.url(name), reconnect_attempts=0)) as storage:
        storage.create_or_attach("s", {})
        storage.create_or_attach("kept", {})
        proxy.arm()
        with pytest.raises(OutcomeUnknown, match=r"(?s)deleting study 's' failed.*whether "
                                                 r"study 's' was deleted is unknown.*lists 's' "
                                                 r"if it was not"):
            storage.delete_study("s")
        assert proxy.dropped.wait(30)
        assert storage.studies() == ["kept"]  # it was deleted
        server.stop()
        try:
            with pytest.raises(ConnectionError) as refused:  # before any COMMIT: none deleted
                storage.delete_study("kept")
            assert not isinstance(refused.value, OutcomeUnknown)
        finally:
            server.start()
        assert storage.studies() == ["kept"]


def test_postgres_a_tell_told_again_after_an_unknown_outcome_is_recorded_once(
    pg_database: tuple[PostgresServer, str],
) -> None:
    """A worker's tell whose COMMIT landed but whose answer was lost for good raised; told
    again, as the error advises, it was stored a second time (two observations of one
    evaluation). The retell finds the first one stored and records nothing more; a tell
    of another value afterwards is recorded as usual."""
    from bayesopt.journal import JournalError

    server, name = pg_database
    space = {"x": Real(0, 1), "y": Real(0, 1)}
    with DropAfterCommit(server.port) as proxy, \
            closing(postgres_storage(proxy.url(name), reconnect_attempts=0)) as storage, \
            Optimizer(space, storage=storage, study="s", seed=0) as opt:
        for _ in range(2):
            params = opt.ask()
            opt.tell(params, params["x"] + params["y"])
        params = opt.ask()
        proxy.arm()
        with pytest.raises(JournalError) as raised:  # the COMMIT's answer lost (or, as the
            opt.tell(params, 1.0)  # proxy may let it through first, the read after it)
        assert raised.value.unknown and "nothing was recorded" not in str(raised.value)
        opt.tell(params, 1.0)  # told again: already stored
        told = [o.params for o in opt.history]
        assert told.count(params) == 1 and len(told) == 3 and not opt.pending
        reader = postgres_storage(server.url(name))
        events = reader.read("s")
        reader.close()
        assert [e["event"] for e in events].count("tell") == 3
        opt.tell(params, 2.0)  # another evaluation of it: a fact of its own
        assert [o.params for o in opt.history].count(params) == 2


def test_postgres_minimize_stopped_by_an_unknown_outcome_says_to_look_before_telling(
    pg_database: tuple[PostgresServer, str],
) -> None:
    """`minimize`'s advice for a refused tell was "once the storage is fixed, tell(...)
    records it" — a second copy when the refused tell had been stored. With an unknown
    outcome it says to look the point up in the study first (here it is stored)."""
    from bayesopt.journal import JournalError

    server, name = pg_database
    calls = []
    with DropAfterCommit(server.port) as proxy, \
            closing(postgres_storage(proxy.url(name), reconnect_attempts=0)) as storage:

        def objective(params: dict[str, float]) -> float:
            calls.append(params)
            if len(calls) == 3:
                proxy.arm()  # the tell of this evaluation loses its COMMIT's answer
            return params["x"]

        with pytest.raises(JournalError, match=r"whether the tell was stored is unknown .*look "
                                               r"the point up in the study") as raised:
            minimize(objective, {"x": Real(0, 1)}, n_calls=5, storage=storage, study="s",
                     seed=0, progress=False)
    # minimize leaves the caller's Storage object open: the block closed it
    assert raised.value.unknown and raised.value.params == calls[2]
    reader = postgres_storage(server.url(name))
    assert [e["event"] for e in reader.read("s")].count("tell") == 3
    reader.close()


class _ReadFailsOnce:
    """An SQLite storage whose next append, once armed, lets `before` run first (another
    worker's append), and whose read after it fails as a server gone away would: the
    read of the events appended before one's own, which an optimizer makes after its
    append."""

    def __init__(self, path: Path) -> None:
        self.inner, self.fail_read = SQLiteStorage(path), False
        self.before: Callable[[], Any] | None = None

    def __getattr__(self, name: str) -> Any:  # the optional members (appended_nothing)
        return getattr(self.inner, name)

    # the protocol's members, defined on the class: from Python 3.12, isinstance against a
    # runtime-checkable protocol looks them up with inspect.getattr_static, which does not
    # call __getattr__ (a Storage of one's own must define them so too)
    def create_or_attach(self, study: str, header: dict[str, Any]) -> dict[str, Any]:
        return self.inner.create_or_attach(study, header)

    def lock(self, study: str) -> Any:
        return self.inner.lock(study)

    def studies(self) -> list[str]:
        return self.inner.studies()

    def close(self) -> None:
        self.inner.close()

    def read(self, study: str, offset: int = 0, limit: int | None = None) -> Any:
        if self.fail_read:
            self.fail_read = False
            raise ConnectionError("the server went away")
        return self.inner.read(study, offset, limit)

    def append(self, study: str, events: Any) -> int:
        before, self.before = self.before, None
        if before is not None:
            before()
        number = self.inner.append(study, events)
        self.fail_read = before is not None
        return int(number)


def test_a_tell_stored_whose_next_read_fails_says_so_and_is_recorded_once(tmp_path: Path) -> None:
    """A tell appended, then the read of the events before it failed: the tell raised as
    if nothing were stored, and telling it again stored it twice. It says it was stored,
    and told again it is recorded once."""
    from bayesopt.journal import JournalError

    storage = _ReadFailsOnce(tmp_path / "s.db")
    space = {"x": Real(0, 1)}
    with closing(storage), Optimizer(space, storage=storage, study="s", seed=0) as opt, \
            Optimizer(space, storage=f"sqlite:///{tmp_path / 's.db'}", study="s",
                      seed=1) as other:
        for _ in range(2):
            params = opt.ask()
            opt.tell(params, params["x"])
        params = opt.ask()
        storage.before = other.ask  # event 5, then the tell (6), then the read of 5 fails
        with pytest.raises(JournalError, match=r"the server went away; the tell was stored "
                                               r"first \(event 6\).*do not repeat") as raised:
            opt.tell(params, 0.5)
        assert raised.value.unknown
        with warnings.catch_warnings():  # nothing recorded, so nothing left unmatched
            warnings.simplefilter("error", UnmatchedTellWarning)
            opt.tell(params, 0.5)
        assert [o.params for o in opt.history].count(params) == 1
        assert len(opt.pending) == 1  # the other's ask
        assert [e["event"] for e in storage.inner.read("s")].count("tell") == 3


@pytest.mark.parametrize(
    ("url", "attempts", "error", "match"),
    [
        (3, 1, TypeError, "url=3"),
        ("postgresql://x@127.0.0.1/db?bogus=1", 1, ValueError, "connection string"),
        ("postgresql://127.0.0.1:1/db", -1, ValueError, "reconnect_attempts=-1"),
        ("postgresql://127.0.0.1:1/db", 1.5, TypeError, "reconnect_attempts=1.5"),
    ],
)
def test_postgres_bad_arguments_are_named(
    postgres_server: PostgresServer, url: Any, attempts: Any, error: type, match: str
) -> None:
    with pytest.raises(error, match=match):
        postgres_storage(url, reconnect_attempts=attempts)



@pytest.mark.parametrize(("url", "timeout", "error", "match"), [
    ("postgresql://127.0.0.1:1/db", 1, ValueError, r"connect_timeout=1 must be >= 2"),
    ("postgresql://127.0.0.1:1/db", 2.5, TypeError, r"connect_timeout=2.5 must be an integer"),
    ("postgresql://127.0.0.1:1/db", True, TypeError, r"connect_timeout=True must be an integer"),
    ("postgresql://127.0.0.1:1/db?connect_timeout=5", 3, ValueError,
     r"connect_timeout=3 and the URL's connect_timeout='5': give one"),
])
def test_postgres_bad_connect_timeouts_are_named(
    postgres_server: PostgresServer, url: str, timeout: Any, error: type, match: str
) -> None:
    """psycopg and libpq wait 2 s for a connect_timeout of 1 and their default for 0: a
    value they would replace is refused, as is a second one beside the URL's."""
    with pytest.raises(error, match=match):
        postgres_storage(url, connect_timeout=timeout)


def test_postgres_connect_timeout_reaches_the_driver(
    pg_database: tuple[PostgresServer, str],
) -> None:
    """A host that never answers — here a listening socket nobody serves: the kernel
    completes the TCP handshake and no byte follows, the local stand-in for a host whose
    packets are dropped (which needs root) — fails after the connect_timeout given, told
    by the driver ("connection timeout expired"), so the option reached psycopg. A
    pickled storage reopens with it."""
    import socket

    listener = socket.create_server(("127.0.0.1", 0), backlog=8)
    port = listener.getsockname()[1]
    try:
        with pytest.raises(ConnectionError, match=r"no connection to the server could be made "
                                                  r"in 1 attempts.*connection timeout expired"):
            postgres_storage(f"postgresql://postgres@127.0.0.1:{port}/db",
                             reconnect_attempts=0, connect_timeout=2)
    finally:
        listener.close()
    server, name = pg_database
    storage = postgres_storage(server.url(name), connect_timeout=3)
    copy = pickle.loads(pickle.dumps(storage))
    assert copy.__reduce__() == storage.__reduce__() and 3 in storage.__reduce__()[1]
    for opened in (storage, copy):
        opened.close()


@pytest.mark.parametrize(("where", "match"), [
    ("database", r"the database 'no_such_db' does not exist: create it with `createdb no_such_db`"),
    ("role", r"the role 'no_such_role' does not exist on the server"),
])
def test_postgres_a_missing_database_or_role_is_refused_at_once(
    postgres_server: PostgresServer, monkeypatch: pytest.MonkeyPatch, where: str, match: str,
) -> None:
    """No retry makes a missing database or role exist: one connection attempt, then a
    StorageError saying what is missing (it retried 9 times and said 'no connection to the
    server could be made'). psycopg gives no sqlstate here; the server's message is read."""
    import psycopg

    from bayesopt import Optimizer, Real
    from bayesopt.storage import StorageError

    attempts = []

    def connect(*args: Any, **kwargs: Any) -> Any:
        attempts.append(args)
        return real_connect(*args, **kwargs)

    real_connect = psycopg.connect
    monkeypatch.setattr(psycopg, "connect", connect)
    url = (postgres_server.url("no_such_db") if where == "database" else
           f"postgresql://no_such_role@127.0.0.1:{postgres_server.port}/postgres")
    with pytest.raises(StorageError, match=match):
        postgres_storage(url, reconnect_attempts=8)
    assert len(attempts) == 1
    with pytest.raises(StorageError, match=match):  # as the user meets it
        Optimizer({"x": Real(0, 1)}, storage=url, study="s")
    assert len(attempts) == 2


def test_postgres_a_wrong_password_is_read_from_the_servers_message(
    postgres_server: PostgresServer,
) -> None:
    """The session's server trusts every local connection, so a wrong password is checked
    on the message libpq reports for it (FATAL 28P01); a refusal of another kind (a
    server not started yet) is left to the retries."""
    import psycopg

    from bayesopt.storage.postgres import _refusal

    error = psycopg.OperationalError('connection failed: connection to server at "db", port '
                                     '5432 failed: FATAL:  password authentication failed for '
                                     'user "tuner"')
    assert _refusal(error, {}) == ("authentication failed for user 'tuner': check the "
                                   "password (in the URL, PGPASSWORD or ~/.pgpass)")
    starting = psycopg.OperationalError("FATAL:  the database system is starting up")
    assert _refusal(starting, {"dbname": "studies"}) is None


def test_postgres_a_study_name_too_long_to_index_is_named(
    pg_database: tuple[PostgresServer, str],
) -> None:
    """An incompressible name of 3000 characters (9 kB of UTF-8) used to escape as psycopg's
    ProgramLimitExceeded ("index row requires 9016 bytes"); it is a ValueError naming the
    limit, and the longest name allowed works in every operation."""
    server, database = pg_database
    storage = postgres_storage(server.url(database))
    noise = "".join(chr(0x4E00 + (i * 7919) % 20000) for i in range(3000))  # 3 bytes each
    with pytest.raises(ValueError, match=r"is 9000 bytes in UTF-8; PostgreSQL indexes study "
                                         r"names of at most 2048 bytes"):
        storage.create_or_attach(noise, {"v": 1})
    longest = noise[:682] + "ab"  # 2048 bytes
    assert len(longest.encode()) == 2048
    assert storage.create_or_attach(longest, {"v": 1}) == {"v": 1}
    with storage.lock(longest):
        assert storage.append(longest, [{"i": 0}]) == 0
    assert storage.read(longest) == [{"i": 0}] and storage.studies() == [longest]
    storage.close()

def test_postgres_a_server_that_refuses_the_first_connection_is_not_said_to_drop_it(
    postgres_server: PostgresServer,
) -> None:
    """A port where no server listens: the error says no connection could be made and
    why, not that a connection was lost. (A database or role that does not exist is
    refused at once: test_postgres_a_missing_database_or_role_is_refused_at_once.)"""
    from postgres import _free_port

    url = f"postgresql://postgres@127.0.0.1:{_free_port()}/postgres"
    with pytest.raises(ConnectionError, match=r"no connection to the server could be made "
                                              r"in 2 attempts \(last error: .*refused"):
        postgres_storage(url, reconnect_attempts=1)


_READ_ONLY_READER = """
import sys
from bayesopt import Optimizer, Real
from bayesopt.storage import StorageError
url = sys.argv[1]
with Optimizer({"x": Real(0, 1)}, storage=url, study="s", seed=1) as reader:
    print(len(reader.history), "evaluations")
    try:
        reader.ask()
    except StorageError as error:
        print("ask refused:", error)
"""


def _run_read_only(directory: Path, command: list[str]) -> subprocess.CompletedProcess[str]:
    """`command` run where `directory` is read-only: a read-only bind mount of it in a
    private mount namespace (unshare -m) as root, whom permissions do not stop; else the
    directory and its files made unwritable."""
    if os.geteuid() == 0:
        mount = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"'
        command = ["unshare", "-m", "sh", "-c", mount, str(directory), *command]
    else:
        for item in directory.iterdir():
            item.chmod(0o444)
        directory.chmod(0o555)
    return subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.parametrize("how", ["deleted", "replaced"])
def test_an_sqlite_file_deleted_or_replaced_under_a_worker_is_not_written_on(
    tmp_path: Path, how: str,
) -> None:
    """The database removed (with its -wal and -shm) or replaced by an older copy while a
    worker had it open: the worker's tell went on into the file the path no longer names
    (lost when it exits; a new worker saw an empty study). It raises, saying so, and
    writes nothing; a new worker's storage uses the file at the path."""
    from bayesopt.journal import JournalError

    path = tmp_path / "s.db"
    space = {"x": Real(0, 1)}
    with Optimizer(space, storage=f"sqlite:///{path}", study="s", seed=0) as opt:
        for _ in range(2):
            params = opt.ask()
            opt.tell(params, params["x"])
        params = opt.ask()
        if how == "deleted":
            for suffix in ("", "-wal", "-shm"):
                (tmp_path / f"s.db{suffix}").unlink(missing_ok=True)
        else:
            with closing(sqlite3.connect(path)) as source, \
                    closing(sqlite3.connect(tmp_path / "old.db")) as copy:
                source.backup(copy)
            (tmp_path / "old.db").replace(path)
        now = "no file" if how == "deleted" else "another file"
        with pytest.raises(JournalError, match=rf"the database file was deleted or replaced "
                                               rf"since this process opened it \({now} is "
                                               r"there now\), so nothing was read or written"):
            opt.tell(params, 0.5)
    if how == "replaced":
        again = SQLiteStorage(path)
        assert [e["event"] for e in again.read("s")] == ["ask", "tell", "ask", "tell", "ask"]
        again.close()
    else:
        assert not path.exists()


@pytest.mark.parametrize("place", ["read-only directory", "read-only copy"])
def test_an_sqlite_study_is_read_from_a_read_only_place(tmp_path: Path, place: str) -> None:
    """`bayesopt show` and an attached reader read a WAL-mode study in a read-only place
    (a copied file too): SQLite opens it read-only (mode=ro, else immutable=1 when it cannot
    make its -shm file there); a write is refused with a StorageError saying the database
    is read-only here. It failed with "unable to open database file" (tidy16)."""
    import shutil

    from bayesopt import Optimizer, Real

    made = tmp_path / "made"
    made.mkdir()
    with Optimizer({"x": Real(0, 1)}, seed=0, storage=f"sqlite:///{made / 's.db'}",
                   study="s") as opt:
        for _ in range(3):
            opt.tell(opt.ask(), 0.5)
    folder = tmp_path / "ro"
    folder.mkdir()
    if place == "read-only copy":
        shutil.copy(made / "s.db", folder / "s.db")
    else:
        shutil.move(made / "s.db", folder / "s.db")
    url = f"sqlite:///{folder / 's.db'}"
    done = _run_read_only(folder, [sys.executable, "-m", "bayesopt", "show", "--storage", url,
                                   "--study", "s"])
    assert done.returncode == 0, done.stderr
    assert "3 evaluations (3 ok, 0 failed), minimizing" in done.stdout
    done = _run_read_only(folder, [sys.executable, "-c", _READ_ONLY_READER, url])
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "3 evaluations"
    assert lines[1].startswith("ask refused: ") and "is read-only here" in lines[1], lines
    assert sorted(p.name for p in folder.iterdir()) == ["s.db"]  # nothing written beside it


# Python 3.10's sqlite3 errors carry no SQLite error code (`sqlite_errorcode` is new in 3.11)
_WITHOUT_ERROR_CODES = """
import sqlite3
from bayesopt.storage.sqlite import SQLiteStorage
open_writable = SQLiteStorage._open_writable
def as_on_python_3_10(self):
    try:
        return open_writable(self)
    except sqlite3.OperationalError as error:
        raise sqlite3.OperationalError(*error.args) from None
SQLiteStorage._open_writable = as_on_python_3_10
"""


def test_an_sqlite_study_in_a_read_only_place_is_read_where_errors_carry_no_code(
        tmp_path: Path) -> None:
    """On Python 3.10 (which requires-python admits) a reader of a study in a read-only
    place failed with "unable to open database file": the read-only fallback looked only
    at the error's SQLite code, which 3.10 does not give; access(2) decides there."""
    from bayesopt import Optimizer, Real

    folder = tmp_path / "ro"
    folder.mkdir()
    with Optimizer({"x": Real(0, 1)}, seed=0, storage=f"sqlite:///{folder / 's.db'}",
                   study="s") as opt:
        for _ in range(3):
            opt.tell(opt.ask(), 0.5)
    done = _run_read_only(folder, [sys.executable, "-c",
                                   _WITHOUT_ERROR_CODES + _READ_ONLY_READER,
                                   f"sqlite:///{folder / 's.db'}"])
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "3 evaluations"
    assert lines[1].startswith("ask refused: ") and "is read-only here" in lines[1], lines


def test_a_read_only_copy_whose_wal_holds_changes_is_refused_naming_the_wal(
        tmp_path: Path) -> None:
    """A copy of a live database (its -wal file holding committed changes, without the
    -shm file) in a read-only place cannot be read whole: immutable=1 would skip the WAL's
    events, so `show` refuses it, naming the -wal file and what to do."""
    import shutil

    from bayesopt import Optimizer, Real

    made, folder = tmp_path / "made", tmp_path / "ro"
    made.mkdir()
    folder.mkdir()
    with Optimizer({"x": Real(0, 1)}, seed=0, storage=f"sqlite:///{made / 's.db'}",
                   study="s") as opt:
        opt.tell(opt.ask(), 0.5)
        for name in ("s.db", "s.db-wal"):  # copied while the writer is attached
            shutil.copy(made / name, folder / name)
    assert (folder / "s.db-wal").stat().st_size > 0
    done = _run_read_only(folder, [sys.executable, "-m", "bayesopt", "show", "--storage",
                                   f"sqlite:///{folder / 's.db'}", "--study", "s"])
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert ("its changes in s.db-wal cannot be read without SQLite's s.db-shm file"
            in done.stderr), done.stderr


_JSONL_READER = """
import os, sys, warnings
from pathlib import Path
from bayesopt import Optimizer, Real
from bayesopt.cli import main
from bayesopt.journal import JournalError

folder, image = Path(sys.argv[1]), sys.argv[2]
print("writable:", os.access(folder, os.W_OK))
warnings.simplefilter("ignore")  # ResumeWarning
print("resumed:", len(Optimizer.resume(folder / "run.jsonl", append=False).history))
print("study read:", len(Optimizer.resume(folder / "study.jsonl", append=False).history))
print("show:", main(["show", str(folder / "run.jsonl")]))
print("plot:", main(["plot", str(folder / "run.jsonl"), "-o", image]))
resumed = Optimizer.resume(folder / "run.jsonl")
for what, write in (
        ("continue", lambda: resumed.tell(resumed.ask(), 1.0)),
        ("attach", lambda: Optimizer({"x": Real(0, 1)}, storage=folder / "study.jsonl", study="s")),
        ("new", lambda: Optimizer({"x": Real(0, 1)}, journal=folder / "new.jsonl").ask())):
    try:
        write()
        print(what, "written")
    except JournalError as error:
        print(what, "refused:", error)
"""


@pytest.mark.parametrize("sidecars", ["kept", "removed"])
def test_a_jsonl_journal_is_read_from_a_read_only_directory(tmp_path: Path,
                                                            sidecars: str) -> None:
    """Optimizer.resume(append=False), `bayesopt show` and `bayesopt plot` read a journal
    and a study file in a directory this process cannot write, with or without the lock
    files beside them; each write is refused naming the file it could not open and that
    the place can only be read. A new journal there named a missing file (ENOENT, from the
    read-only retry) instead of the reason it could not be created."""
    from bayesopt import Optimizer, Real

    folder = tmp_path / "ro"
    folder.mkdir()
    with Optimizer({"x": Real(0, 1)}, seed=0, journal=folder / "run.jsonl") as opt:
        for _ in range(4):
            opt.tell(opt.ask(), 0.5)
    with Optimizer({"x": Real(0, 1)}, seed=0, storage=folder / "study.jsonl",
                   study="s") as opt:
        opt.tell(opt.ask(), 0.5)
    if sidecars == "removed":
        for item in folder.glob("*.jsonl.*"):
            item.unlink()
    before = sorted(p.name for p in folder.iterdir())
    image = tmp_path / "convergence.png"
    done = _run_read_only(folder, [sys.executable, "-c", _JSONL_READER, str(folder), str(image)])
    assert done.returncode == 0, done.stderr
    out = dict(line.split(" ", 1) for line in done.stdout.splitlines()
               if line.split(" ", 1)[0] in ("writable:", "resumed:", "study", "show:", "plot:",
                                            "continue", "attach", "new"))
    assert out["writable:"] == "False"  # the place is read-only here, root included
    assert (out["resumed:"], out["study"], out["show:"], out["plot:"]) == (
        "4", "read: 1", "0", "0")
    assert "4 evaluations (4 ok, 0 failed)" in done.stdout and image.stat().st_size > 0
    for what, sidecar in (("continue", "run.jsonl.writer"), ("attach", "study.jsonl.lock")):
        assert out[what].startswith(f"refused: {'journal' if what == 'continue' else 'study'}")
        assert (f"cannot open {str(folder / sidecar)!r} for writing" in out[what]
                and "can only be read" in out[what]), out[what]
    assert out["new"].startswith(f"refused: journal {str(folder / 'new.jsonl')!r}: ")
    assert ("Read-only file system" in out["new"] or "Permission denied" in out["new"]) and (
        "No such file" not in out["new"]), out["new"]
    assert sorted(p.name for p in folder.iterdir()) == before  # nothing written there


_WATCHING_READER = """
import sys
from bayesopt import Optimizer, Real
with Optimizer({"x": Real(0, 1)}, storage=sys.argv[1], study="s", seed=1) as reader:
    print(len(reader.history), flush=True)
    for _ in sys.stdin:  # one line: the writer has told more
        print(len(reader.history), flush=True)
"""


def test_a_read_only_attach_sees_a_writer_that_starts_after_it(tmp_path: Path) -> None:
    """A reader that cannot write the database's place opens it with immutable=1 when no
    writer has it open (no -wal or -shm file); a writer that may (another user, another
    mount) then appends, and the reader reads the new events instead of its first snapshot
    for ever (it read 3 of 5 evaluations: review18). Root makes the place read-only for the
    reader alone in a private mount namespace; another user's permissions are restored once
    the reader has attached."""
    from bayesopt import Optimizer, Real

    folder = tmp_path / "db"
    folder.mkdir()
    url = f"sqlite:///{folder / 's.db'}"
    with Optimizer({"x": Real(0, 1)}, seed=0, storage=url, study="s") as opt:
        for _ in range(3):
            opt.tell(opt.ask(), 0.5)
    assert sorted(p.name for p in folder.iterdir()) == ["s.db", "s.db.locks"]
    command = [sys.executable, "-c", _WATCHING_READER, url]
    if os.geteuid() == 0:
        mount = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"'
        command = ["unshare", "-m", "sh", "-c", mount, str(folder), *command]
    else:
        (folder / "s.db").chmod(0o444)
        folder.chmod(0o555)
    with started(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                 stderr=subprocess.PIPE, text=True) as reader:
        assert reader.stdout is not None and reader.stdin is not None
        first = reader.stdout.readline()
        assert first == "3\n", (first, reader.stderr.read() if reader.stderr else "")
        folder.chmod(0o755)
        (folder / "s.db").chmod(0o644)
        with Optimizer({"x": Real(0, 1)}, seed=0, storage=url, study="s") as writer:
            for _ in range(2):
                writer.tell(writer.ask(), 0.25)
            reader.stdin.write("told\n")
            reader.stdin.flush()
            assert reader.stdout.readline() == "5\n"  # the writer still attached
        reader.stdin.write("told\n")
        reader.stdin.flush()
        assert reader.stdout.readline() == "5\n"  # the writer gone, its WAL checkpointed
        reader.stdin.close()
        assert reader.wait(timeout=120) == 0, reader.stderr.read() if reader.stderr else ""


_ONE_SPARE_DESCRIPTOR = """
import os, resource, sys
from bayesopt.storage import StorageError, open_storage
spare = len(os.listdir("/proc/self/fd")) + 1  # the database file's; none for its -wal
resource.setrlimit(resource.RLIMIT_NOFILE, (spare, spare))
try:
    storage = open_storage(sys.argv[1])
    print("opened", storage.studies())
except StorageError as error:
    print("StorageError", error)
"""


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc/self/fd")
def test_an_sqlite_error_in_a_writable_place_is_not_taken_for_a_read_only_place(
        tmp_path: Path) -> None:
    """SQLite says "unable to open database file" (SQLITE_CANTOPEN) for a place it cannot
    write and also when the process has no file descriptor left for the -wal file. Only the
    first opens the database to read: the second is a StorageError naming the file, where it
    attached read-only and failed at its first write saying the database was read-only."""
    url = f"sqlite:///{tmp_path / 's.db'}"
    SQLiteStorage(tmp_path / "s.db").close()
    done = subprocess.run([sys.executable, "-c", _ONE_SPARE_DESCRIPTOR, url], check=False,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("StorageError") and "s.db" in done.stdout, done.stdout


def test_a_tell_pruned_by_another_rule_round_trips_through_every_storage(
    location: tuple[str, str],
) -> None:
    """w brings in a run another rule stopped (Optuna's pruner): its reports as one curve,
    then tell(pruned=True); v tells a run of its own as usual. Every fold — each worker's,
    a reader's from scratch — records w's run "pruned" at its last step with its value,
    modelled by the GP as a run `report` stopped, and v's run "ok"."""
    url = storage_url(location)
    w = Optimizer(SPACE_XY, seed=0, storage=url, study="s")  # the default rule stops neither
    v = Optimizer(SPACE_XY, seed=1, storage=url, study="s")
    p, q = {"x": 0.1, "y": 0.1}, {"x": 0.6, "y": 0.2}
    w.add_pending(p)
    v.add_pending(q)
    assert not w.report(p, [0, 1, 2], [0.9, 0.7, 0.6])
    assert not v.report(q, 1, 0.5)
    w.tell(p, 0.6, pruned=True)
    v.tell(q, 0.4)
    for opt in every_fold(location, w, v):
        assert [(o.params, o.status, o.step, o.value) for o in opt.history] == [
            (p, "pruned", 2.0, 0.6), (q, "ok", None, 0.4)]
        assert opt.pending == [] and list(opt._state.y_ok) == [0.6, 0.4]


def test_a_run_trained_past_its_stop_round_trips_through_every_storage(
    location: tuple[str, str],
) -> None:
    """The default rule stops w's run p at step 1 (worse than v's q there), but w trains on
    to step 3 and tells it plainly: a complete run, "ok" with no step, whose tell carries
    "complete"; v's run r, stopped at step 1 too, breaks there: "pruned" at step 1. Every
    fold — each worker's, a reader's from scratch — holds the same."""
    url = storage_url(location)
    w = Optimizer(SPACE_XY, seed=0, storage=url, study="s")
    v = Optimizer(SPACE_XY, seed=1, storage=url, study="s")
    p, q, r = {"x": 0.1, "y": 0.1}, {"x": 0.6, "y": 0.2}, {"x": 0.9, "y": 0.9}
    w.add_pending(p)
    v.add_pending([q, r])
    assert not v.report(q, 1, 0.2)
    assert w.report(p, [1, 2, 3], [0.9, 0.8, 0.7])
    assert v.report(r, 1, 0.95)
    v.tell(r, 0.95)
    w.tell(p, 0.7)
    v.tell(q, 0.4)
    for opt in every_fold(location, w, v):
        assert [(o.params, o.status, o.step, o.value) for o in opt.history] == [
            (r, "pruned", 1.0, 0.95), (p, "ok", None, 0.7), (q, "ok", None, 0.4)]
        assert opt.pending == [] and list(opt._state.y_ok) == [0.95, 0.7, 0.4]


def test_a_run_another_worker_cancelled_is_told_pruned_at_its_last_reported_step(
    location: tuple[str, str],
) -> None:
    """w reported on p, then a coordinator v cancelled p (and claimed it again, a new run),
    then w's own rule, another than this library's, stopped it: w.tell(p, pruned=True) was
    refused as "no report" (the cancel had closed the run's reports), where w's tell without
    the flag is recorded. It is recorded too now, "pruned" at the step w last reported, as an
    observation of p outside any run (UnmatchedTellWarning; v's new run stays pending), in
    every fold; v's own run, which reported nothing, is then told as usual."""
    url = storage_url(location)
    w = Optimizer(SPACE_XY, seed=0, storage=url, study="s")
    v = Optimizer(SPACE_XY, seed=1, storage=url, study="s")
    p = w.ask()
    assert not w.report(p, [1, 2, 3], [0.9, 0.8, 0.7])
    v.cancel(p)
    v.add_pending(p)
    with pytest.warns(UnmatchedTellWarning, match="its run stopped being pending"):
        w.tell(p, 0.7, pruned=True)
    assert w.pending == v.pending == [p] and w._state.cancelled == []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        v.tell(p, 0.5)
    for opt in every_fold(location, w, v):
        assert [(o.status, o.step, o.value, o.run) for o in opt.history] == [
            ("pruned", 3.0, 0.7, None), ("ok", None, 0.5, 1)]
        assert opt.pending == [] and list(opt._state.y_ok) == [0.7, 0.5]


def test_replicates_added_at_once_are_named_by_the_ids_add_pending_returns(
    location: tuple[str, str],
) -> None:
    """w added two replicates of p, evaluated elsewhere at once. Added points had no run
    id, so by params every report went to the first run (the second's step 1 was refused as
    not after the first's) and a cancel or tell could not choose between them. add_pending
    returns each run's id now: the second reports its own curve, the first is cancelled, the
    second told, in every fold; a worker's asks after them take the next ids."""
    url = storage_url(location)
    w = Optimizer(SPACE_XY, seed=0, storage=url, study="s")
    v = Optimizer(SPACE_XY, seed=1, storage=url, study="s")
    point = {"x": 0.1, "y": 0.1}
    first = w.add_pending(point)
    second, third = w.add_pending([point, point], repeat=True)
    assert (first, second, third) == (0, 1, 2)
    assert not w.report(point, 1, 0.9, run=first)
    assert not w.report(point, 1, 0.5, run=second)  # its own step 1, not after the first's
    assert w.report(point, [1, 2], [0.7, 0.6], run=third)  # worse than the second at rung 0
    w.cancel(point, run=first)
    w.tell(point, 0.5, run=second)
    asked = v.ask()
    assert v.run_ids(asked) == (3, None)
    with pytest.raises(ValueError, match="run=0 is not a run in flight"):
        w.tell(point, 0.4, run=first)
    for opt in every_fold(location, w, v):
        assert [(o.value, o.run) for o in opt.history] == [(0.5, 1)]
        assert opt.pending == [point, asked]
        assert opt._state.pruning.last_step == {RunKey(point_key(opt.space, point), 2): 2.0}
        assert opt._state.pruning.rungs == {0: [0.9, 0.5, 0.7]}


HOSTILE_TEXTS = ["x'; DROP TABLE bayesopt_events; --", 'x"; DELETE FROM studies; --', "100%",
                 "%s %(name)s ?", "../../etc/passwd", "/etc/passwd", "a\\b\\\\", "é \u2028 \U0001f600",
                 "x" * 2000]


def test_hostile_study_names_keys_and_values_are_stored_as_data(location: tuple[str, str]) -> None:
    """Study names, header and event keys and values with quotes, ``;``, ``%``, ``?``,
    path-like names and 2000 characters are data, never SQL or a path: each storage
    stores and reads them back unchanged, lists and locks and deletes the study by them,
    and the other studies (and the tables) are left as they were."""
    storage = open_location(*location)
    try:
        names = HOSTILE_TEXTS if location[0] != "jsonl" else HOSTILE_TEXTS[:1]  # one per file
        if location[0] != "jsonl":
            storage.create_or_attach("bystander", {"n": 1})
            storage.append("bystander", [{"n": 2}])
        for name in names:
            header = {text: text for text in HOSTILE_TEXTS}
            stored = storage.create_or_attach(name, header)  # a JSON-lines header adds "study"
            assert {key: value for key, value in stored.items() if key != "study"} == header
            events = [{text: [text, {text: text}]} for text in HOSTILE_TEXTS]
            storage.append(name, events)
            with storage.lock(name):
                assert storage.read(name) == events
        other = open_location(*location)
        try:
            assert sorted(other.studies()) == sorted([*names] + (
                ["bystander"] if location[0] != "jsonl" else []))
            for name in names:
                other.delete_study(name)
            if location[0] != "jsonl":
                assert other.studies() == ["bystander"]
                assert other.read("bystander") == [{"n": 2}]
        finally:
            other.close()
    finally:
        storage.close()


def test_a_storage_that_is_not_one_is_refused_naming_what_it_must_define() -> None:
    """An object that is neither a URL, a path nor a Storage (a wrapper forwarding the methods
    through __getattr__ is none from Python 3.12) is refused with what a Storage is (the
    message said 'a URL string or a path' only)."""

    class Forwarding:  # the methods reached through __getattr__, none defined on the class
        def __init__(self, inner: object) -> None:
            self._inner = inner

        def __getattr__(self, name: str) -> object:
            return getattr(self._inner, name)

    with pytest.raises(TypeError, match=r"must be a URL string, a path or a "
                                        r"bayesopt\.storage\.Storage, whose methods its class"):
        Optimizer({"x": Real(0, 1)}, storage=object(), study="s")
    if sys.version_info >= (3, 12):
        with pytest.raises(TypeError, match=r"__getattr__ forwards"):
            Optimizer({"x": Real(0, 1)}, storage=Forwarding(object()), study="s")

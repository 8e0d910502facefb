"""A study deleted and created again under its name is another study: a process attached to
the old one is refused at its next read or tell, and the new study's events stay as they
were (SQLite, the session's PostgreSQL server, JSON lines). Databases made before study
identities existed are migrated in place without changing an event; a PostgreSQL deletion
retried after a dropped connection says truthfully whether there was a study."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import uuid
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from bayesopt import Optimizer, Real
from bayesopt.storage import StorageError, open_storage
from postgres import DropAfterCommit, PostgresServer
from test_studies import ATTACHED, fill

SPACE = {"x": Real(0, 1)}
OLD_DB = Path(__file__).parent / "data" / "study-0.4.0-before-uid.db"
REPLACED = "deleted since this process attached to it"


def events_of(url: str, study: str) -> list[dict[str, Any]]:
    storage = open_storage(url)
    try:
        return storage.read(study)
    finally:
        storage.close()


def delete(url: str, study: str) -> None:
    storage = open_storage(url)
    try:
        storage.delete_study(study)  # type: ignore[attr-defined]
    finally:
        storage.close()


@pytest.mark.parametrize("new_values", [[7.0], [7.0, 8.0, 9.0, 6.0, 5.0]],
                         ids=["fewer-events", "more-events"])
def test_a_process_attached_to_a_study_deleted_and_created_again_is_refused(
        url: str, new_values: list[float]) -> None:
    """The attached worker has applied 7 events (3 asks, 3 tells, its ask); the new study holds
    fewer or more. Either way its tell raises and the new study's events are unchanged
    (before study identities it read from event 7 on and appended into the new study)."""
    fill(url, "s", [1.0, 2.0, 3.0])
    worker = subprocess.Popen([sys.executable, "-c", ATTACHED, url], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert worker.stdout is not None and worker.stdin is not None
    assert worker.stdout.readline().strip() == "attached"
    delete(url, "s")
    fill(url, "s", new_values, seed=2)
    before = events_of(url, "s")
    out, _ = worker.communicate("go\n", timeout=120)
    assert worker.returncode == 0, out
    assert out.startswith("refused:"), out
    if not url.endswith(".jsonl"):
        assert any(name in out for name in ("StorageError", "JournalError",
                                            "StudyDeletedError"))  # a JournalError
        assert "study='s'" in out and REPLACED in out and "created again" in out
    else:
        assert "deleted or replaced" in out
    assert events_of(url, "s") == before


def test_a_storage_object_refuses_reads_and_appends_after_a_deletion(url: str) -> None:
    """In one process: a storage attached to a study, another storage deleting it (and
    then creating it again); the first neither reads nor appends, either time."""
    fill(url, "s", [1.0])
    attached = open_storage(url)
    try:
        assert len(attached.read("s")) == 2  # attaches: the ask and the tell
        delete(url, "s")
        gone = "deleted or replaced" if url.endswith(".jsonl") else f"{REPLACED} .not created"
        with pytest.raises(StorageError, match=gone):
            attached.read("s", 2)
        fill(url, "s", [4.0, 5.0], seed=3)
        before = events_of(url, "s")
        again = "deleted or replaced" if url.endswith(".jsonl") else f"{REPLACED} .created again"
        with pytest.raises(StorageError, match=again):
            attached.read("s", 2)  # the new study has events 2 and 3: none is returned
        with pytest.raises(StorageError, match=again):
            attached.append("s", [{"event": "tell"}])
        assert events_of(url, "s") == before
    finally:
        attached.close()


def test_the_process_that_deletes_and_creates_again_uses_the_new_study(url: str) -> None:
    """The check is per attachment, not per name: attaching again joins the new study."""
    fill(url, "s", [1.0])
    delete(url, "s")
    fill(url, "s", [2.0])
    with Optimizer(SPACE, storage=url, study="s") as opt:
        opt.tell(opt.ask(), 3.0)
        assert [o.value for o in opt.history] == [2.0, 3.0]


# ------------------------------------------------------------ databases made before uids
def old_database(tmp_path: Path) -> tuple[str, Path, list[tuple[str, int, str]]]:
    """A copy of tests/data/study-0.4.0-before-uid.db, written by the library of main
    (006a1b49, from a `git archive` copy): studies 's' (3 tells) and 't' (1 tell), and
    the rows of its events table."""
    path = tmp_path / "old.db"
    shutil.copy(OLD_DB, path)
    with closing(sqlite3.connect(path)) as conn:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(studies)")]
        assert columns == ["name", "header"], "the fixture is of the schema before uids"
        rows = conn.execute("SELECT study, seq, body FROM events ORDER BY study, seq").fetchall()
    assert len(rows) == 8
    return f"sqlite:///{path}", path, rows


def test_an_sqlite_database_made_before_uids_is_migrated_without_changing_an_event(
        tmp_path: Path) -> None:
    url, path, rows = old_database(tmp_path)
    with Optimizer(SPACE, storage=url, study="s") as opt:
        assert [o.value for o in opt.history] == [3.0, 1.0, 2.0]
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("SELECT study, seq, body FROM events ORDER BY study, seq"
                            ).fetchall() == rows
        uids = dict(conn.execute("SELECT name, uid FROM studies").fetchall())
    assert sorted(uids) == ["s", "t"] and all(len(uid) == 32 for uid in uids.values())
    assert uids["s"] != uids["t"]
    with Optimizer(SPACE, storage=url, study="t") as opt:  # reopened: the uids stay
        opt.tell(opt.ask(), 0.5)
    with closing(sqlite3.connect(path)) as conn:
        assert dict(conn.execute("SELECT name, uid FROM studies").fetchall()) == uids


def test_a_migrated_sqlite_study_deleted_and_created_again_is_refused(tmp_path: Path) -> None:
    url, _, _ = old_database(tmp_path)
    attached = open_storage(url)
    try:
        attached.read("s")
        delete(url, "s")
        fill(url, "s", [9.0])
        with pytest.raises(StorageError, match=f"{REPLACED} .created again"):
            attached.append("s", [{"event": "tell"}])
    finally:
        attached.close()
    assert [e["values"] for e in events_of(url, "s") if e["event"] == "tell"] == [[9.0]]


# the schema of PostgresStorage before study identities (main, 006a1b49), verbatim
OLD_PG_SCHEMA = (
    ("CREATE TABLE IF NOT EXISTS bayesopt_studies ("
     " name text PRIMARY KEY, header json NOT NULL, next_seq bigint NOT NULL DEFAULT 0)"),
    ("CREATE TABLE IF NOT EXISTS bayesopt_events ("
     " study text NOT NULL REFERENCES bayesopt_studies (name), seq bigint NOT NULL,"
     " uid uuid NOT NULL UNIQUE, body json NOT NULL, PRIMARY KEY (study, seq))"),
)


def test_a_postgres_database_made_before_uids_is_migrated_without_changing_an_event(
        postgres_server: PostgresServer, tmp_path: Path) -> None:
    """The old schema holding the old SQLite fixture's studies, rows as the old code wrote
    them; opened here, the events are unchanged, each study gets a uid, and an attached
    storage refuses the study once it is deleted and created again."""
    import psycopg

    _, path, rows = old_database(tmp_path)
    with closing(sqlite3.connect(path)) as conn:
        headers = conn.execute("SELECT name, header FROM studies ORDER BY name").fetchall()
    url = postgres_server.create_database(f"old_{uuid.uuid4().hex[:12]}")
    select = "SELECT study, seq, uid, body::text FROM bayesopt_events ORDER BY study, seq"
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in OLD_PG_SCHEMA:
            conn.execute(statement)
        for name, header in headers:
            count = sum(1 for row in rows if row[0] == name)
            conn.execute("INSERT INTO bayesopt_studies VALUES (%s, %s::json, %s)",
                         (name, header, count))
        for study, seq, body in rows:
            conn.execute("INSERT INTO bayesopt_events VALUES (%s, %s, %s, %s::json)",
                         (study, seq, uuid.uuid4(), body))
        before = conn.execute(select).fetchall()
    with Optimizer(SPACE, storage=url, study="s") as opt:
        assert [o.value for o in opt.history] == [3.0, 1.0, 2.0]
    attached = open_storage(url)
    try:
        attached.read("s")
        with psycopg.connect(url, autocommit=True) as conn:
            assert conn.execute(select).fetchall() == before
            uids = conn.execute("SELECT study_uid FROM bayesopt_studies").fetchall()
            assert len(uids) == 2 and None not in {uid for (uid,) in uids}
        delete(url, "s")
        fill(url, "s", [9.0])
        with pytest.raises(StorageError, match=f"{REPLACED} .created again"):
            attached.read("s")
    finally:
        attached.close()


def test_migrating_a_postgres_database_made_before_uids_warns_while_a_session_holds_the_table(
        postgres_server: PostgresServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The migration's ALTER TABLE waits for every session holding the studies' table (a
    reader's transaction left open, here): it waited without a word, as creation waits
    did before they warned. It warns once with a LockWaitWarning naming the table and the
    holding session, and completes once the holder's transaction ends."""
    import threading
    import warnings

    import psycopg

    from bayesopt.storage import LockWaitWarning, codec
    from bayesopt.storage.postgres import PostgresStorage

    url = postgres_server.create_database(f"old_{uuid.uuid4().hex[:12]}")
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in OLD_PG_SCHEMA:
            conn.execute(statement)
        conn.execute("INSERT INTO bayesopt_studies VALUES ('s', '{}'::json, 0)")
    holder = psycopg.connect(url)  # not autocommit: its lock on the table lasts until it closes
    holder.execute("SELECT count(*) FROM bayesopt_studies")
    session = holder.info.backend_pid
    monkeypatch.setattr(codec, "LOCK_WAIT_WARNING", 0.05)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")

        def release_once_warned() -> None:
            for _ in range(6000):  # a hang guard: 60 s
                if any(issubclass(w.category, LockWaitWarning) for w in caught):
                    break
                threading.Event().wait(0.01)
            holder.close()

        releaser = threading.Thread(target=release_once_warned, daemon=True)
        releaser.start()
        storage = PostgresStorage(url)
    releaser.join(timeout=60)
    waits = [str(w.message) for w in caught if issubclass(w.category, LockWaitWarning)]
    try:
        assert len(waits) == 1, waits
        assert "adding the column study_uid to the table bayesopt_studies" in waits[0], waits
        assert f"held by server process {session} (client 127.0.0.1:" in waits[0], waits
        assert storage.read("s") == []
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT study_uid FROM bayesopt_studies").fetchone()[0] is not None
    finally:
        storage.close()


# ------------------------------------------------------------ PostgreSQL deletion retried
def test_postgres_deletion_whose_commit_answer_is_lost_returns(
        postgres_server: PostgresServer) -> None:
    from bayesopt.storage.postgres import PostgresStorage

    name = f"del_{uuid.uuid4().hex[:12]}"
    postgres_server.create_database(name)
    with DropAfterCommit(postgres_server.port) as proxy, \
            closing(PostgresStorage(proxy.url(name))) as storage:
        storage.create_or_attach("s", {})
        storage.create_or_attach("kept", {})
        proxy.arm()
        storage.delete_study("s")  # committed; its answer lost; the retry finds the token
        assert proxy.dropped.wait(30)
        assert storage.studies() == ["kept"]


def test_postgres_deletion_of_a_missing_study_raises_after_a_dropped_connection(
        postgres_server: PostgresServer) -> None:
    """The session is terminated under the deletion's first statement; the retry finds no
    study and no token of this deletion, so it raises naming the study (it returned)."""
    import psycopg

    from bayesopt.storage.postgres import PostgresStorage

    url = postgres_server.create_database(f"del_{uuid.uuid4().hex[:12]}")
    storage = PostgresStorage(url)
    try:
        storage.create_or_attach("kept", {})
        data = storage._data
        assert data is not None
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (data.info.backend_pid,))
        with pytest.raises(StorageError, match=r"study='gone' does not exist .*'kept'"):
            storage.delete_study("gone")
        assert storage._data is not data, "the connection was not dropped and remade"
        assert storage.studies() == ["kept"]
    finally:
        storage.close()

"""PostgreSQL storage: many studies in one database, shared by processes on many machines.

Tables (created if absent, under a transaction-scoped advisory lock, so processes
starting together do not race on `CREATE TABLE IF NOT EXISTS`)
    bayesopt_studies(name PRIMARY KEY, header json, next_seq, study_uid uuid)
    bayesopt_events(study, seq, uid UNIQUE, body json, PRIMARY KEY (study, seq))
    bayesopt_deletions(token uuid PRIMARY KEY, study, deleted_at)   see Deletion

next_seq is the study's next event number. study_uid is a random uuid4 given to the
study when it is created: events are keyed by the study's name, so a study deleted
and created again under its name has the name but not the uid of the old one. A
storage object remembers the uid of each study it attached to (`create_or_attach`, or
its first read or append) and every later read and append checks it in the statement
that reads the events (an EXISTS on the studies' primary key) or in the row lock an
append takes: a study absent or of another uid raises a `StorageError` naming it, and
nothing is read or appended. A database made before study_uid existed gets the column
on its first opening here (`ADD COLUMN IF NOT EXISTS`; a wait for the sessions using the
table warns as a wait for a lock does, naming them) and a uid for each study; no event
changes.

Deletion. One transaction locks the study's row, deletes its events and row, and
records a uuid4 made by the client before the first attempt in bayesopt_deletions
(rows older than a day are pruned then). A retry after a dropped connection that
finds no study looks its token up: found, the lost COMMIT had deleted it and the
retry returns; not found, there was no such study and it raises as a first attempt
would. When no retry could look (every reconnection failed) after a COMMIT was sent,
the deletion's outcome is unknown: an `OutcomeUnknown`, as for an append.

Append. One transaction: `SELECT next_seq ... FOR UPDATE` takes the study's row
lock, which serializes the appenders of one study (a wait for it, as for the study
lock, warns once after `codec.LOCK_WAIT_WARNING` seconds naming the session holding
it, and goes on waiting), then the events are inserted
as next_seq, next_seq + 1, ... and next_seq is advanced. A rolled-back append
leaves no trace, so numbering is gapless. Each event carries a uuid4 made by the
client before the first attempt. When the connection drops (server restart,
network), the client reconnects — at most `reconnect_attempts` times, waiting
0.05 s, 0.1 s, ... (capped at 2 s) — takes the row lock (so a COMMIT still in
flight on the old session has finished) and looks its first event's uid up:
found means the COMMIT whose answer was lost had succeeded, and its number is
returned; otherwise the append is retried. UNIQUE(uid) makes a second copy of an
event impossible in any case. After the last attempt a ConnectionError says so: an
`OutcomeUnknown` (a ConnectionError) when an attempt had sent its COMMIT and no later
attempt could look its uid up, since the events may then be stored (once) or not.

Study lock. `pg_advisory_lock(namespace, key(study))` on a dedicated session
connection: the server releases it when the holder's session ends (process
killed, machine lost). A server restart ends the session too, so every read or
append under the lock first checks that its connection is alive and, if it is
not, reconnects and re-acquires the lock (with a warning: another worker may have
held it meanwhile). What the holder computed from its reads may then be stale: an
append under a lock re-acquired since the holder's last read of the study raises
`LockLost` and appends nothing; the next read clears the mark.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

try:
    import psycopg
    from psycopg import errors as pg_errors
    from psycopg.conninfo import conninfo_to_dict
except ImportError as missing:  # pragma: no cover - depends on the environment
    raise ImportError(
        "PostgresStorage needs psycopg 3: pip install 'bayesopt[postgresql]'"
    ) from missing

from bayesopt.failures import caller_level
from bayesopt.storage import LockLost, OutcomeUnknown, StorageError, codec
from bayesopt.validation import check_count

T = TypeVar("T")

_NAMESPACE = int.from_bytes(b"bayo", "big")  # first key of every study lock (int4)
_FIRST_WAIT = 0.05  # seconds before the first reconnect; doubles up to _MAX_WAIT
_MAX_WAIT = 2.0
_CONNECT_TIMEOUT = 10  # seconds, libpq's connect_timeout where neither URL nor caller sets one
_MIN_CONNECT_TIMEOUT = 2  # libpq and psycopg wait 2 s for any smaller positive value
_MAX_NAME_BYTES = 2048  # a study name's UTF-8 size, below btree's index entry limit
# errors after which the session is gone and a new connection may succeed
_DROPPED = (pg_errors.AdminShutdown, pg_errors.CrashShutdown, pg_errors.CannotConnectNow)


def _from_shutdown(error: BaseException) -> bool:
    """True if `error`, or an error it was raised while handling, is a server shutdown.

    A shutdown that lands inside a pipeline (``executemany``) surfaces as psycopg's
    "cannot exit pipeline mode while busy", raised while handling the shutdown.
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, _DROPPED):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


# ALTER TABLE takes its ACCESS EXCLUSIVE lock before IF NOT EXISTS is looked at, so it
# would wait for every transaction holding a study's row (an append; a session left idle
# in one): it runs only where the column is missing (`_create_schema`)
_ADD_STUDY_UID = "ALTER TABLE bayesopt_studies ADD COLUMN IF NOT EXISTS study_uid uuid"
_HAS_STUDY_UID = ("SELECT 1 FROM pg_attribute WHERE attrelid = 'bayesopt_studies'::regclass"
                  " AND attname = 'study_uid' AND NOT attisdropped")
_SCHEMA = (
    (
        "CREATE TABLE IF NOT EXISTS bayesopt_studies ("
        " name text PRIMARY KEY, header json NOT NULL, next_seq bigint NOT NULL DEFAULT 0)"
    ),
    (
        "CREATE TABLE IF NOT EXISTS bayesopt_events ("
        " study text NOT NULL REFERENCES bayesopt_studies (name), seq bigint NOT NULL,"
        " uid uuid NOT NULL UNIQUE, body json NOT NULL, PRIMARY KEY (study, seq))"
    ),
    # a database made before study identities: the column, and a uid for each study
    _ADD_STUDY_UID,
    (
        "UPDATE bayesopt_studies SET study_uid = md5(random()::text || clock_timestamp()::text"
        " || name)::uuid WHERE study_uid IS NULL"
    ),
    (
        "CREATE TABLE IF NOT EXISTS bayesopt_deletions ("
        " token uuid PRIMARY KEY, study text NOT NULL, deleted_at timestamptz NOT NULL)"
    ),
)

Connection = psycopg.Connection[Any]

# an event's size in bytes, then its text, or only its first 40 characters where it is
# longer than the limit (the parameter, `codec.MAX_TEXT_BYTES`): the server measures it
# (json has no cast to text without its output function, so the server reads the value
# to measure it) and the client never receives a text over the limit
_MEASURED_BODY = ("octet_length(body::text), CASE WHEN octet_length(body::text) > %s"
                  " THEN left(body::text, 40) ELSE body::text END")
_MEASURED_HEADER = _MEASURED_BODY.replace("body", "header")  # a study's header, alike

# Connection refusals no retry can cure: SQLSTATE, the server's (English) message, whose
# name it is (a URL part), and what to do. psycopg gives no sqlstate for an error raised
# while connecting (3.3: `sqlstate` and `diag` are empty), so the message is matched too;
# a server speaking another language falls back to the bounded retries.
_REFUSALS = (
    ("3D000", re.compile(r'database "(.*)" does not exist'), "dbname",
     "the database {0!r} does not exist: create it with `createdb {0}` (or CREATE DATABASE)"),
    ("28000", re.compile(r'role "(.*)" does not exist'), "user",
     ("the role {0!r} does not exist on the server: create it (`createuser {0}`) or fix "
      "the URL's user")),
    ("28P01", re.compile(r'password authentication failed for user "(.*)"'), "user",
     ("authentication failed for user {0!r}: check the password (in the URL, PGPASSWORD "
      "or ~/.pgpass)")),
)


def _check_study(study: Any) -> str:
    """`codec.check_study`, and a name short enough for a B-tree index entry: PostgreSQL
    refuses entries over about a third of a page (2.7 kB of an 8 kB page, after
    compression; "Index Storage Parameters" and btree's limits in its documentation),
    which a name of `_MAX_NAME_BYTES` stays below whatever its compressibility."""
    name = codec.check_study(study)
    size = len(name.encode())
    if size > _MAX_NAME_BYTES:
        raise ValueError(f"study={name[:40]!r}... is {size} bytes in UTF-8; PostgreSQL "
                         f"indexes study names of at most {_MAX_NAME_BYTES} bytes")
    return name


class _Sent:
    """A write's attempts: `unresolved` while an attempt has sent its COMMIT and no later
    attempt has found out, under the study's row lock, whether it took effect."""

    def __init__(self) -> None:
        self.unresolved = False


class _StatementWait:
    """A statement that waits for a lock (`codec.LockWait`): pg_advisory_lock, or a
    `SELECT ... FOR UPDATE` inside the caller's transaction. A timed wait runs it in a
    transaction of its own, or a savepoint of the caller's, under a local lock_timeout
    (a wait that passes it raises LockNotAvailable: rolled back, nothing taken, the
    setting undone with it; once taken, the previous setting is put back); `row` is the
    statement's first row. An interrupted wait is cancelled by psycopg, taking nothing,
    so `abandon` has nothing to give back."""

    def __init__(self, conn: Connection, query: str, params: tuple[Any, ...]) -> None:
        self._conn, self._query, self._params = conn, query, params
        self.row: tuple[Any, ...] | None = None

    def wait(self, timeout: float | None) -> bool:
        if timeout is None:
            self.row = self._run()
            return True
        try:
            with self._conn.transaction():  # set_config(..., true): until the end of it
                before = self._conn.execute("SELECT current_setting('lock_timeout')").fetchone()
                self._conn.execute("SELECT set_config('lock_timeout', %s, true)",
                                   (f"{max(1, round(timeout * 1000))}ms",))
                self.row = self._run()
                self._conn.execute("SELECT set_config('lock_timeout', %s, true)",
                                   (before[0] if before else "0",))
        except pg_errors.LockNotAvailable:
            return False
        return True

    def abandon(self) -> None:
        pass

    def _run(self) -> tuple[Any, ...] | None:
        """The statement's first row; None for a statement without rows (ALTER TABLE)."""
        cursor = self._conn.execute(self._query, self._params)
        return cursor.fetchone() if cursor.description is not None else None


def _sessions(conn: Connection, query: str, params: tuple[Any, ...], where: str) -> str:
    """The server sessions holding a lock, as `query` finds them (rows of pid, client
    address and port, state, seconds in that state: pg_stat_activity, NULL where this role
    may not see them); `where` names the catalog asked when it lists none."""
    try:
        rows = conn.execute(query, params).fetchall()
    except psycopg.Error as error:
        return f"its holder cannot be told ({error})"
    if not rows:
        return f"its holder cannot be told ({where} lists none)"
    return "held by " + ", ".join(
        f"server process {pid} (client {addr or 'local'}"
        + (f":{port}" if port else "") + (f", {state}" if state else "")
        + ("" if since is None else f" for {float(since):.0f} s") + ")"
        for pid, addr, port, state, since in rows)


_SESSION = ("SELECT l.pid, a.client_addr, a.client_port, a.state,"
            " extract(epoch FROM now() - a.state_change)"
            " FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.granted AND ")


def _advisory_holders(conn: Connection, key: tuple[int, int]) -> str:
    """The server sessions that hold the advisory lock `key` (pg_locks)."""
    return _sessions(conn, _SESSION + "l.locktype = 'advisory' AND l.objsubid = 2"
                     " AND l.classid::bigint = %s AND l.objid::bigint = %s", key, "pg_locks")


def _row_holders(conn: Connection, name: str) -> str:
    """The server session whose transaction locks the row of study `name`: the one holding
    the lock on the transaction id in the row's xmax (pg_locks; a row lock shared by
    several transactions, a multixact, names none)."""
    return _sessions(conn, _SESSION + "l.locktype = 'transactionid' AND l.transactionid ="
                     " (SELECT xmax FROM bayesopt_studies WHERE name = %s)", (name,),
                     "pg_locks for the row's xmax")


def _studies_holders(conn: Connection, mode: str | None = None) -> str:
    """The other server sessions holding a lock on the studies' table in `mode` (pg_locks):
    RowExclusiveLock, those whose open transaction wrote it (a creation, an append, a
    deletion); None, any mode (a reader's transaction too)."""
    return _sessions(conn, _SESSION + "l.locktype = 'relation' AND (%s::text IS NULL OR l.mode"
                     " = %s) AND l.relation = 'bayesopt_studies'::regclass AND l.pid <>"
                     " pg_backend_pid()", (mode, mode), "pg_locks")


def _lock_row(storage: PostgresStorage, conn: Connection, columns: str,
              name: str) -> tuple[Any, ...] | None:
    """`SELECT columns FROM bayesopt_studies WHERE name = name FOR UPDATE` in the caller's
    transaction: the row, or None if there is no such study. At once if the row is free
    (SKIP LOCKED finds it); else waited for as `codec.watch_lock_wait` waits (a warning
    naming the holding session after `codec.LOCK_WAIT_WARNING` seconds, however long)."""
    query = f"SELECT {columns} FROM bayesopt_studies WHERE name = %s FOR UPDATE"
    row: tuple[Any, ...] | None = conn.execute(query + " SKIP LOCKED", (name,)).fetchone()
    if row is None:  # locked by another transaction, or no such study
        waiting = _StatementWait(conn, query, (name,))
        codec.watch_lock_wait(waiting, lambda: f"{storage!r}: the row lock of study {name!r}",
                              lambda: _row_holders(conn, name))
        row = waiting.row
    return row


def _lock_key(study: str) -> tuple[int, int]:
    """The advisory-lock key pair of a study: a fixed namespace and 31 bits of sha256(name)."""
    return _NAMESPACE, int.from_bytes(hashlib.sha256(study.encode()).digest()[:4], "big") >> 1


def _parse(url: str) -> dict[str, Any]:
    """The connection parameters of `url` (a URL or a libpq key=value string)."""
    try:
        return conninfo_to_dict(url)
    except psycopg.ProgrammingError as error:
        raise ValueError(f"url is not a PostgreSQL connection string: {error}") from error


def _refusal(error: psycopg.OperationalError, parts: dict[str, Any]) -> str | None:
    """What is wrong when the server refused the connection for good (a missing database
    or role, a wrong password), or None for an error a retry may cure."""
    for sqlstate, message, part, advice in _REFUSALS:
        found = message.search(str(error))
        if error.sqlstate == sqlstate or found is not None:
            return advice.format(found.group(1) if found else parts.get(part, ""))
    return None


def _describe(parts: dict[str, Any]) -> str:
    """The connection parameters without the password, for messages."""
    user, host = parts.get("user", ""), parts.get("host", "")
    return f"postgresql://{user}@{host}:{parts.get('port', '')}/{parts.get('dbname', '')}"


class PostgresStorage:
    """Studies in the PostgreSQL database at `url` (`postgresql://user@host:port/db`).

    A dropped connection is re-established up to `reconnect_attempts` times per
    operation before a ConnectionError is raised. A connection attempt gives up after
    `connect_timeout` seconds (an integer >= 2, psycopg's and libpq's minimum; None: the
    URL's ``connect_timeout``, else 10 s; giving both is refused): a host that never
    answers fails after about (reconnect_attempts + 1) * connect_timeout seconds plus the
    waits between them (97 s by default). A refusal no retry
    cures — the database or the role does not exist (SQLSTATE 3D000, 28000), the
    password is wrong (28P01) — raises `StorageError` at once, saying which.
    """

    def __init__(self, url: str, *, reconnect_attempts: int = 8,
                 connect_timeout: int | None = None) -> None:
        if not isinstance(url, str):
            raise TypeError(f"url={url!r} must be a str")
        parts = _parse(url)
        self._name = _describe(parts)
        self._parts = parts
        self._url = url
        self._attempts = check_count("reconnect_attempts", reconnect_attempts)
        if connect_timeout is None:  # None passed to psycopg: the URL's own
            self._timeout = None if "connect_timeout" in parts else _CONNECT_TIMEOUT
        elif "connect_timeout" in parts:
            raise ValueError(f"connect_timeout={connect_timeout!r} and the URL's "
                             f"connect_timeout={parts['connect_timeout']!r}: give one")
        else:
            self._timeout = check_count("connect_timeout", connect_timeout,
                                        minimum=_MIN_CONNECT_TIMEOUT)
        self._mutex = threading.RLock()
        self._pid = os.getpid()
        self._closed = False
        self._data: Connection | None = None
        self._locks: Connection | None = None  # the session holding the advisory locks
        self._held: dict[str, tuple[int, int]] = {}
        self._lost: set[str] = set()  # locks re-acquired since the holder last read the study
        self._connected = False  # a connection was made once (else none is said to be lost)
        self._uids: dict[str, uuid.UUID] = {}  # study -> study_uid of the study attached to
        self._run(self._create_schema, "creating the schema")

    def __repr__(self) -> str:
        return f"PostgresStorage({self._name!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as its arguments: the copy opens its own connections."""
        return (_reopen, (self._url, self._attempts,
                          None if "connect_timeout" in self._parts else self._timeout))

    # --- the Storage protocol ---

    def create_or_attach(self, study: str, header: dict[str, Any]) -> dict[str, Any]:
        """Store `header` for a new `study` and return it, or return the stored header."""
        name, text = _check_study(study), codec.encode_object("header", header)

        new_uid = uuid.uuid4()

        def create(conn: Connection, retry: bool) -> str:
            with conn.transaction():
                if conn.execute("SELECT 1 FROM bayesopt_studies WHERE name = %s",
                                (name,)).fetchone() is None:
                    self._insert_study(conn, name, text, new_uid)
                row = conn.execute(
                    f"SELECT {_MEASURED_HEADER}, study_uid FROM bayesopt_studies WHERE name = %s",
                    (codec.MAX_TEXT_BYTES, name),
                ).fetchone()
                assert row is not None, "the study row vanished inside its transaction"
                size, stored, uid = row
                if size > codec.MAX_TEXT_BYTES:
                    raise codec.too_long(where, size, stored)
                if uid is None:  # created by a process running code older than study_uid
                    uid = self._give_uid(conn, name)
            self._uids[name] = uid
            return str(stored)

        where = f"{self!r}, study {name!r}, header"
        return codec.decode_object(self._run(create, f"creating study {name!r}"), where)

    def read(self, study: str, offset: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
        """Events number `offset`, `offset + 1`, ... of `study`, in order; at most `limit`
        of them (None: all; `bayesopt.study.read_pages`)."""
        name, first = _check_study(study), check_count("offset", offset)
        limit = None if limit is None else check_count("limit", limit, minimum=1)

        def fetch(conn: Connection, retry: bool) -> list[tuple[int, int, str]]:
            uid = self._uids.get(name) or self._attach(conn, name)
            rows = conn.execute(
                f"SELECT seq, {_MEASURED_BODY} FROM bayesopt_events"
                " WHERE study = %s AND seq >= %s AND EXISTS (SELECT 1 FROM bayesopt_studies"
                " WHERE name = %s AND study_uid = %s) ORDER BY seq LIMIT %s",  # NULL: none
                (codec.MAX_TEXT_BYTES, name, first, name, uid, limit),
            ).fetchall()
            if not rows:  # none yet, or not the study attached to
                self._check_uid(conn, name, uid)
            return rows

        self._keep_lock(name)
        rows = self._run(fetch, f"reading study {name!r}")
        if limit is None or len(rows) < limit:
            self._lost.discard(name)  # the reader has seen everything appended meanwhile
        where = f"{self!r}, study {name!r}"
        for seq, size, text in rows:
            if size > codec.MAX_TEXT_BYTES:
                raise codec.too_long(f"{where}, event {seq}", size, text)
        return codec.decode_events([(seq, text) for seq, _, text in rows], first, where)

    def append(self, study: str, events: Sequence[dict[str, Any]]) -> int:
        """Append `events` in one transaction; return the number of the first.

        An empty `events` appends nothing and returns the number the next event gets.
        """
        name, bodies = _check_study(study), codec.encode_events(events)
        uids = [uuid.uuid4() for _ in bodies]
        sent = _Sent()

        def insert(conn: Connection, retry: bool) -> int:
            with conn.transaction():
                uid = self._uids.get(name) or self._attach(conn, name)
                # waits for an append still committing on a dropped session
                row = _lock_row(self, conn, "next_seq, study_uid", name)
                if row is None or row[1] != uid:
                    raise codec.study_replaced(self, name, recreated=row is not None)
                if retry and uids:  # did the attempt whose connection dropped commit?
                    done = conn.execute(
                        "SELECT seq FROM bayesopt_events WHERE uid = %s", (uids[0],)
                    ).fetchone()
                    if done is not None:
                        return int(done[0])
                sent.unresolved = False  # under the row lock: that COMMIT did not happen
                first = int(row[0]) if row else 0
                with conn.cursor() as cursor:
                    cursor.executemany(
                        "INSERT INTO bayesopt_events (study, seq, uid, body)"
                        " VALUES (%s, %s, %s, %s::json)",
                        [(name, first + i, u, b) for i, (u, b) in enumerate(zip(uids, bodies))],
                    )
                conn.execute(
                    "UPDATE bayesopt_studies SET next_seq = %s WHERE name = %s",
                    (first + len(bodies), name),
                )
                sent.unresolved = True  # leaving the block sends the COMMIT
            return first

        self._keep_lock(name)
        if name in self._lost:
            self._lost.discard(name)
            raise LockLost(f"{self!r}: the lock of study {name!r} was lost and re-acquired "
                           "while held, so another process may have appended meanwhile: "
                           "nothing appended; read the study and append again")
        return self._write(insert, f"appending to study {name!r}", sent,
                           f"whether the {len(bodies)} event(s) were appended is unknown (once "
                           "or not at all)",
                           "read the study once the server is reachable")

    def appended_nothing(self, error: BaseException) -> bool:
        """Whether `error`, raised by `append`, appended nothing: every error but an
        `OutcomeUnknown` (an attempt's transaction rolled back, or its COMMIT never sent,
        or found not to have committed under the study's row lock)."""
        return not isinstance(error, OutcomeUnknown)

    @contextmanager
    def lock(self, study: str) -> Iterator[None]:
        """Exclusive lock on `study` across machines: a session advisory lock."""
        name = _check_study(study)
        codec.check_not_held(self, name, self._held)
        key = _lock_key(name)
        self._run(
            lambda conn, retry: self._acquire(conn, (name, key)), f"locking study {name!r}",
            locks=True
        )
        self._held[name] = key
        try:
            yield
        finally:
            del self._held[name]
            self._lost.discard(name)
            self._release(key)

    def studies(self) -> list[str]:
        """Names of the studies in the database, sorted."""

        def names(conn: Connection, retry: bool) -> list[str]:
            rows = conn.execute("SELECT name FROM bayesopt_studies ORDER BY name").fetchall()
            return [str(row[0]) for row in rows]

        return self._run(names, "listing studies")

    def delete_study(self, study: str) -> None:
        """Delete `study`, its header and its events, in one transaction (all or nothing).
        A StorageError naming it and the studies held if there is no such study.

        The study's row is locked first (`FOR UPDATE`, as an append does), so an append in
        flight commits before the deletion or finds no study; another process attached to
        the study fails at its next read or append, also once a study of the same name
        was created again (its study_uid differs). After a dropped connection, a retry that
        finds no study returns only if the first attempt's deletion committed (its token
        is in bayesopt_deletions, see the module docstring), and raises otherwise.
        """
        name = _check_study(study)
        token = uuid.uuid4()
        sent = _Sent()

        def delete(conn: Connection, retry: bool) -> None:
            with conn.transaction():
                if _lock_row(self, conn, "1", name) is None:
                    if retry and conn.execute("SELECT 1 FROM bayesopt_deletions WHERE token = %s",
                                              (token,)).fetchone() is not None:
                        return  # the attempt whose connection dropped had committed
                    held = conn.execute("SELECT name FROM bayesopt_studies ORDER BY name")
                    raise codec.no_such_study(self, name, [str(r[0]) for r in held.fetchall()])
                sent.unresolved = False  # the study is there: no earlier attempt deleted it
                conn.execute("DELETE FROM bayesopt_events WHERE study = %s", (name,))
                conn.execute("DELETE FROM bayesopt_studies WHERE name = %s", (name,))
                conn.execute("DELETE FROM bayesopt_deletions"
                             " WHERE deleted_at < now() - interval '1 day'")
                conn.execute("INSERT INTO bayesopt_deletions (token, study, deleted_at)"
                             " VALUES (%s, %s, now())", (token, name))
                sent.unresolved = True  # leaving the block sends the COMMIT

        self._write(delete, f"deleting study {name!r}", sent,
                    f"whether study {name!r} was deleted is unknown",
                    f"once the server is reachable, `studies()` (or `bayesopt show`) lists "
                    f"{name!r} if it was not; delete_study it again then")

    def close(self) -> None:
        """Close both connections (idempotent), releasing any lock still held."""
        with self._mutex:
            self._closed = True
            self._drop_connections()

    def _disconnect(self) -> None:
        """Close both connections until the next operation connects again, as the first one
        did (`_connection`; `BayesSearchCV.fit` leaves its optimizers so). Only while no lock
        is held: closing the session would release it."""
        with self._mutex:
            assert not self._held, f"{self!r} disconnected while holding {sorted(self._held)}"
            self._drop_connections()

    def _drop_connections(self) -> None:
        if self._pid == os.getpid():
            for conn in (self._data, self._locks):
                if conn is not None:
                    conn.close()
        self._data = self._locks = None

    # --- connections, retries and locks ---

    def _run(self, body: Callable[[Connection, bool], T], what: str, *, locks: bool = False) -> T:
        """`body(connection, retry)`, reconnecting after a dropped connection (bounded)."""
        wait, last = _FIRST_WAIT, None
        for attempt in range(self._attempts + 1):
            with self._mutex:
                try:
                    return body(self._connection(locks=locks), attempt > 0)
                except psycopg.OperationalError as error:
                    if not self._dropped(error, locks=locks):
                        raise
                    last = error
            if attempt < self._attempts:
                time.sleep(wait)
                wait = min(2 * wait, _MAX_WAIT)
        cause = (f"the connection to the server was lost and reconnect_attempts="
                 f"{self._attempts} reconnections failed" if self._connected else
                 f"no connection to the server could be made in {self._attempts + 1} attempts")
        raise ConnectionError(f"{self!r}: {what} failed; {cause} (last error: {last})") from last

    def _write(self, body: Callable[[Connection, bool], T], what: str, sent: _Sent,
               unknown: str, check: str) -> T:
        """`_run(body, what)` for a write whose `body` keeps `sent` (`_Sent`). When every
        attempt failed: with an attempt's COMMIT left unresolved, an `OutcomeUnknown`
        saying `unknown` (what is unknown) and `check` (how to find out); else a
        ConnectionError saying that nothing was written."""
        try:
            return self._run(body, what)
        except ConnectionError as error:
            if not sent.unresolved:  # every attempt dropped before its COMMIT
                raise ConnectionError(f"{error}; nothing was written (no attempt's COMMIT was "
                                      "sent), so it can be repeated") from error.__cause__
            raise OutcomeUnknown(
                f"{error}; the connection dropped after the COMMIT was sent, so {unknown}: "
                f"{check}") from error.__cause__

    def _connection(self, *, locks: bool) -> Connection:
        codec.check_process(self, self._pid)
        if self._closed:
            raise ValueError(f"operation on a closed {self!r}")
        conn = self._locks if locks else self._data
        if conn is None:
            try:
                conn = psycopg.connect(self._url, autocommit=True, connect_timeout=self._timeout)
            except psycopg.OperationalError as error:
                refusal = _refusal(error, self._parts)
                if refusal is None:
                    raise  # perhaps transient: `_run` retries
                raise StorageError(f"{self!r}: the server refused the connection: {refusal}"
                                   ) from error
            self._connected = True
            if not locks:
                self._data = conn
            else:
                self._locks = conn
                if self._held:
                    self._reacquire(conn)
        return conn

    def _dropped(self, error: psycopg.OperationalError, *, locks: bool) -> bool:
        """True if `error` lost the session; the dead connection is then forgotten."""
        conn = self._locks if locks else self._data
        if conn is not None and not conn.broken and not _from_shutdown(error):
            return False  # a live session: an error of the statement, not of the link
        if conn is not None:
            conn.close()
        if locks:
            self._locks = None
        else:
            self._data = None
        return True

    def _acquire(self, conn: Connection, *locks: tuple[str, tuple[int, int]]) -> None:
        """Take the advisory lock of each (study, key): at once if it is free, else waited
        for as `codec.watch_lock_wait` waits (a warning naming the holder's session after
        `codec.LOCK_WAIT_WARNING` seconds, however long it takes)."""
        for name, key in locks:
            self._take(conn, name, key)

    def _take(self, conn: Connection, name: str, key: tuple[int, int]) -> None:
        row = conn.execute("SELECT pg_try_advisory_lock(%s, %s)", key).fetchone()
        if not (row and row[0]):
            codec.watch_lock_wait(_StatementWait(conn, "SELECT pg_advisory_lock(%s, %s)", key),
                                  lambda: f"{self!r}: the lock of study {name!r}",
                                  lambda: _advisory_holders(conn, key))

    def _release(self, key: tuple[int, int]) -> None:
        with self._mutex:
            conn = self._locks
            if conn is None or self._closed or self._pid != os.getpid():
                return  # no session, no lock
            try:
                conn.execute("SELECT pg_advisory_unlock(%s, %s)", key)
            except psycopg.OperationalError as error:
                if not self._dropped(error, locks=True):
                    raise  # the session is gone with its locks otherwise

    def _keep_lock(self, study: str) -> None:
        """If `study` is locked here, make sure the session holding the lock is alive."""
        if study in self._held:
            self._run(lambda conn, retry: conn.execute("SELECT 1"), "checking the lock", locks=True)

    def _reacquire(self, conn: Connection) -> None:
        """Take the locks of a lost session again on its replacement `conn`."""
        warnings.warn(
            f"{self!r}: the connection holding the study locks dropped; re-acquiring the locks "
            f"of {sorted(self._held)} (another process may have held them meanwhile)",
            RuntimeWarning,
            stacklevel=caller_level(),
        )
        self._acquire(conn, *self._held.items())
        self._lost.update(self._held)

    def _insert_study(self, conn: Connection, name: str, text: str, uid: uuid.UUID) -> None:
        """Insert the study's row unless it exists. Another session's transaction that
        inserted the name and has not ended (a creator stopped mid-creation) is waited for
        as `codec.watch_lock_wait` waits, naming the sessions writing the studies' table."""
        waiting = _StatementWait(conn, "INSERT INTO bayesopt_studies (name, header, study_uid)"
                                 " VALUES (%s, %s::json, %s) ON CONFLICT (name) DO NOTHING"
                                 " RETURNING 1", (name, text, uid))
        codec.watch_lock_wait(waiting, lambda: f"{self!r}: creating study {name!r}",
                              lambda: _studies_holders(conn, "RowExclusiveLock"))

    def _attach(self, conn: Connection, name: str) -> uuid.UUID:
        """Remember the uid of `name`, the study a first read or append attaches to."""
        row = conn.execute("SELECT study_uid FROM bayesopt_studies WHERE name = %s",
                           (name,)).fetchone()
        if row is None:
            raise codec.missing_study(name)
        uid = row[0] if row[0] is not None else self._give_uid(conn, name)
        self._uids[name] = uid
        return uid

    def _check_uid(self, conn: Connection, name: str, uid: uuid.UUID) -> None:
        """Raise unless the study `name` exists with `uid`."""
        row = conn.execute("SELECT study_uid FROM bayesopt_studies WHERE name = %s",
                           (name,)).fetchone()
        if row is None or row[0] != uid:
            raise codec.study_replaced(self, name, recreated=row is not None)

    @staticmethod
    def _give_uid(conn: Connection, name: str) -> uuid.UUID:
        """Give a uid to a study created by code older than study_uid; the uid it has."""
        conn.execute("UPDATE bayesopt_studies SET study_uid = %s WHERE name = %s"
                     " AND study_uid IS NULL", (uuid.uuid4(), name))
        row = conn.execute("SELECT study_uid FROM bayesopt_studies WHERE name = %s",
                           (name,)).fetchone()
        if row is None:
            raise codec.missing_study(name)
        return uuid.UUID(str(row[0]))

    def _create_schema(self, conn: Connection, retry: bool) -> None:
        """Create the tables, under a transaction-scoped advisory lock: at once if it is
        free, else waited for as `codec.watch_lock_wait` waits, naming its holder; so is
        the ALTER TABLE of a database made before study uids, naming the sessions using
        the table."""
        with conn.transaction():
            taken = conn.execute("SELECT pg_try_advisory_xact_lock(%s)", (_NAMESPACE,)).fetchone()
            if not (taken and taken[0]):
                codec.watch_lock_wait(
                    _StatementWait(conn, "SELECT pg_advisory_xact_lock(%s)", (_NAMESPACE,)),
                    lambda: f"{self!r}: the lock on creating the tables",
                    lambda: _sessions(conn, _SESSION + "l.locktype = 'advisory' AND l.objsubid"
                                      " = 1 AND l.classid::bigint = 0 AND l.objid::bigint = %s",
                                      (_NAMESPACE,), "pg_locks"))
            for statement in _SCHEMA:
                if statement is not _ADD_STUDY_UID:
                    conn.execute(statement)
                elif conn.execute(_HAS_STUDY_UID).fetchone() is None:
                    # its ACCESS EXCLUSIVE lock waits for every session using the table
                    codec.watch_lock_wait(
                        _StatementWait(conn, statement, ()),
                        lambda: (f"{self!r}: adding the column study_uid to the table "
                                 "bayesopt_studies (a database made before study uids)"),
                        lambda: _studies_holders(conn))


def _reopen(url: str, reconnect_attempts: int,
            connect_timeout: int | None = None) -> PostgresStorage:
    return PostgresStorage(url, reconnect_attempts=reconnect_attempts,
                           connect_timeout=connect_timeout)

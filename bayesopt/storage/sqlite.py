"""SQLite storage: many studies in one database file, shared by the processes of one machine.

Tables
    studies(name TEXT PRIMARY KEY, header TEXT, uid TEXT)  header: a JSON object
    events(study, seq, body, PRIMARY KEY (study, seq))     seq = 0, 1, 2, ... per study

Study identity. Events are keyed by the study's name, so a study deleted and created
again under its name would look like the old one to a process still attached. Each
study therefore gets `uid`, 128 random bits in hex, when it is created, and a storage
object remembers the uid of each study it attached to (`create_or_attach`, or its first
read or append). Every later read and append compares it with the stored one inside
the same transaction (one primary-key lookup) and raises a `StorageError` naming the
study when it is absent or differs: the process never reads or appends to a study it
did not attach to. A database made before `uid` existed gets the column on its first
opening here (`ALTER TABLE ... ADD COLUMN`) and a uid for each study; no event changes.

Transactions. The database runs in WAL mode (readers never block the writer, the
writer never blocks readers) with `synchronous=FULL`, so the WAL is fsync'ed at every
commit and an append is durable when it returns. Every write is a `BEGIN IMMEDIATE`
transaction, which takes the database's write lock before it reads: the next number,
`max(seq) + 1`, is read and used under one lock, so numbering is gapless and an
append of several events is all or nothing.

Contention. SQLite's busy handler waits up to `_BUSY_TIMEOUT` for the write lock;
an operation still refused ("database is locked", SQLITE_BUSY/SQLITE_LOCKED) is
rolled back and retried with capped exponential backoff and jitter until `timeout`
seconds have passed, and only then fails, with a TimeoutError naming the file; once
the wait passes `codec.LOCK_WAIT_WARNING` seconds one LockWaitWarning says so, naming the
file and, where Linux's /proc/locks tells, the process holding the write lock. Any
other SQLite error (not a database, a directory it cannot write, a full disk) is a
`StorageError` naming the file, never a bare `sqlite3` exception.

Read-only places. A database this process cannot write (a read-only directory or mount,
a read-only file, a copy on read-only media: SQLite refuses to open it for writing and
`access(2)` says the file or its directory cannot be written) is opened to read only:
`mode=ro`, or, when SQLite cannot make its WAL index (`-shm`) there either, `immutable=1`
(the file read as a snapshot that nobody changes meanwhile; refused with a StorageError
when a `-wal` file beside it holds changes that mode would not read). Others may still
write it (another user, another mount): before and after each read in that mode the
file and its `-wal` are checked, and once they change the database is opened again
(`mode=ro` reads a live writer's WAL through its `-shm` file), so a reader never keeps
a stale or torn snapshot. `bayesopt show` and `plot`, and an optimizer attached to read,
work; a write (a new study, an append, a lock) raises a StorageError saying the database
is read-only here and why.

A file deleted or replaced under a running study. A connection keeps the file it opened,
deleted or renamed over or not, so a worker would go on writing into a file that the path
no longer names (lost at its exit) while the others open the one now there. Each read
and append therefore checks, inside its transaction before its COMMIT, that the path
still names the file opened (its device and inode), and otherwise rolls back and raises
a StorageError saying so.

Another program's database. A file whose `studies` or `events` table lacks the columns
above (Optuna's RDBStorage has a `studies` table of its own) is refused with a
StorageError before anything in it changes (its journal mode included).

Study lock. `flock(2)` on a sidecar file `<db>.locks/<sha256(study)>`. The kernel
releases it when its holder's process dies (kill -9 included), and it is not a
database lock, so other processes append while it is held. Lock files are never
deleted (deleting a lock file others may hold is the classic lock-file race).
POSIX only (fcntl).
"""

from __future__ import annotations

import hashlib
import os
import random
import sqlite3
import threading
import time
import urllib.parse
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from bayesopt.storage import StorageError, codec
from bayesopt.validation import check_count, check_nonnegative

T = TypeVar("T")

_BUSY_TIMEOUT = 1.0  # seconds SQLite's own busy handler waits per attempt
_FIRST_BACKOFF = 0.01  # seconds before the first retry; doubles up to _MAX_BACKOFF
_MAX_BACKOFF = 0.5
_BUSY_CODES = (5, 6)  # SQLITE_BUSY, SQLITE_LOCKED (primary result codes)
_IMMUTABLE_READS = 8  # reads of an immutable=1 database that changed before giving up
_WRITE_FAILURES = {778: "SQLITE_IOERR_WRITE", 13: "SQLITE_FULL"}  # extended result codes
_READ_ONLY_CODES = (8, 14)  # SQLITE_READONLY, SQLITE_CANTOPEN: the place cannot be written
_TOOBIG = 18  # SQLITE_TOOBIG: a value longer than the connection's length limit
_LIMIT_LENGTH = 0  # SQLITE_LIMIT_LENGTH (sqlite3.h; the sqlite3 module names it from Python 3.11)
_WAL_WRITE_LOCK = 120  # the byte of the -shm file whose POSIX lock is the WAL write lock

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS studies (name TEXT PRIMARY KEY, header TEXT NOT NULL, uid TEXT)",
    (
        "CREATE TABLE IF NOT EXISTS events ("
        " study TEXT NOT NULL REFERENCES studies(name), seq INTEGER NOT NULL, body TEXT NOT NULL,"
        " PRIMARY KEY (study, seq)) WITHOUT ROWID"
    ),
)
_COLUMNS = {"studies": {"name", "header"}, "events": {"study", "seq", "body"}}  # of _SCHEMA
_NEW_UID = "lower(hex(randomblob(16)))"  # 128 random bits (SQLite's CSPRNG), in hex


def _is_busy(error: sqlite3.OperationalError) -> bool:
    """True for SQLITE_BUSY/SQLITE_LOCKED (extended codes included), the retryable errors."""
    code = getattr(error, "sqlite_errorcode", None)  # Python >= 3.11
    if code is not None:
        return code & 0xFF in _BUSY_CODES
    message = str(error)
    return "locked" in message or "busy" in message


def _check_path(path: Any) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path={path!r} must be a str or os.PathLike")
    text = os.fspath(path)
    if not isinstance(text, str) or not text or text == ":memory:" or text.startswith("file:"):
        raise ValueError(f"path={path!r} must name a database file (shared storage needs a file)")
    resolved = Path(text).absolute()
    if not resolved.parent.is_dir():
        raise ValueError(f"path={path!r}: directory {str(resolved.parent)!r} does not exist")
    return resolved


class SQLiteStorage:
    """Studies in the SQLite database file `path` (created if absent).

    `timeout` is how long, in seconds, an operation keeps retrying while other
    processes hold the database before a TimeoutError is raised.
    """

    def __init__(self, path: str | os.PathLike[str], *, timeout: float = 120.0) -> None:
        self._path = _check_path(path)
        self._timeout = check_nonnegative("timeout", timeout)
        self._mutex = threading.Lock()  # one connection, used by one thread at a time
        self._held: set[str] = set()
        self._uids: dict[str, str | None] = {}  # study -> uid of the study attached to
        self._read_only: str | None = None  # why the database is opened to read only
        self._uid = "uid"  # the uid column ("NULL" in a read-only database made before it)
        # opened with immutable=1: the file's state then (`_file_state`); None otherwise
        self._immutable: tuple[Any, ...] | None = None
        self._pid = os.getpid()
        self._closed = False  # by close(); a connection closed by _disconnect opens again
        self._conn: sqlite3.Connection | None = None
        self._conn = self._retrying(self._open)
        self._opened = self._file_identity()  # the file the connection has open (module doc)

    def __repr__(self) -> str:
        return f"SQLiteStorage({str(self._path)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as its arguments: the copy opens its own connection."""
        return (_reopen, (str(self._path), self._timeout))

    # --- the Storage protocol ---

    def create_or_attach(self, study: str, header: dict[str, Any]) -> dict[str, Any]:
        """Store `header` for a new `study` and return it, or return the stored header."""
        name, text = codec.check_study(study), codec.encode_object("header", header)
        if self._read_only is not None:
            return codec.decode_object(self._transaction(
                lambda conn: self._stored_header(conn, name), write=False),
                f"{self!r}, study {name!r}, header")

        def create(conn: sqlite3.Connection) -> str:
            row = self._limited_row(conn, name, "SELECT header FROM studies WHERE name = ?")
            if row is None:
                conn.execute(f"INSERT INTO studies (name, header, uid) VALUES (?, ?, {_NEW_UID})",
                             (name, text))
            else:  # a study created by a process running code older than `uid`
                conn.execute(f"UPDATE studies SET uid = {_NEW_UID} WHERE name = ? AND uid IS NULL",
                             (name,))
            (uid,) = conn.execute("SELECT uid FROM studies WHERE name = ?", (name,)).fetchone()
            self._uids[name] = str(uid)
            return text if row is None else str(row[0])

        return codec.decode_object(self._transaction(create, write=True),
                                   f"{self!r}, study {name!r}, header")

    def read(self, study: str, offset: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
        """Events number `offset`, `offset + 1`, ... of `study`, in order; at most `limit`
        of them (None: all; `bayesopt.study.read_pages`)."""
        name, first = codec.check_study(study), check_count("offset", offset)
        rows_at_most = -1 if limit is None else check_count("limit", limit, minimum=1)

        def fetch(conn: sqlite3.Connection) -> list[tuple[int, str]]:
            self._check_identity(conn, name)
            with _length_limit(conn, lambda: self._too_long_row(conn, name, first, rows_at_most)):
                return conn.execute(
                    "SELECT seq, body FROM events WHERE study = ? AND seq >= ? ORDER BY seq"
                    " LIMIT ?",  # a negative LIMIT is none (SQLite)
                    (name, first, rows_at_most),
                ).fetchall()

        rows = self._transaction(fetch, write=False)
        return codec.decode_events(rows, first, f"{self!r}, study {name!r}")

    def _limited_row(self, conn: sqlite3.Connection, name: str, query: str) -> Any:
        """The row of `query` (a study's header first, `name` its one parameter) read under
        `_length_limit`: a header longer than the limit is refused (`codec.too_long`) before
        it is read. (`studies` is a rowid table: its name index is searched, not its
        headers.)"""
        with _length_limit(conn, lambda: codec.too_long(f"{self!r}, study {name!r}, header",
                                                        None, None)):
            return conn.execute(query, (name,)).fetchone()

    def _too_long_row(self, conn: sqlite3.Connection, name: str, first: int,
                      rows_at_most: int) -> StorageError:
        """The error naming the first event from `first` on whose body SQLite refused to read
        under `_length_limit` (SQLITE_TOOBIG): each body's length is asked for alone,
        which SQLite refuses, for a body over the limit, before reading it."""
        seqs = [row[0] for row in conn.execute(
            "SELECT seq FROM events WHERE study = ? AND seq >= ? ORDER BY seq LIMIT ?",
            (name, first, rows_at_most))]
        for seq in seqs:
            try:
                conn.execute("SELECT length(body) FROM events WHERE study = ? AND seq = ?",
                             (name, seq)).fetchone()
            except sqlite3.DataError:
                return codec.too_long(f"{self!r}, study {name!r}, event {seq}", None, None)
        raise AssertionError("unreachable: SQLite refused a body that it reads alone")

    def append(self, study: str, events: Sequence[dict[str, Any]]) -> int:
        """Append `events` in one transaction; return the number of the first.

        An empty `events` appends nothing and returns the number the next event gets.
        """
        name, bodies = codec.check_study(study), codec.encode_events(events)

        def insert(conn: sqlite3.Connection) -> int:
            self._check_identity(conn, name)
            (first,) = conn.execute(
                "SELECT COALESCE(MAX(seq) + 1, 0) FROM events WHERE study = ?", (name,)
            ).fetchone()
            conn.executemany(
                "INSERT INTO events (study, seq, body) VALUES (?, ?, ?)",
                [(name, first + i, body) for i, body in enumerate(bodies)],
            )
            return int(first)

        return self._transaction(insert, write=True)

    @staticmethod
    def appended_nothing(error: BaseException) -> bool:
        """Whether `error`, raised by `append`, appended nothing: every error but one that
        SQLite raised while the database was held for writing (a `StorageError` from an
        I/O error, a full disk; not a busy database, a `TimeoutError` after the write lock
        was never taken or the transaction was rolled back): a COMMIT whose fsync failed may
        leave a whole transaction in the -wal file, which a recovery after a crash replays."""
        cause = error.__cause__
        return not isinstance(cause, sqlite3.DatabaseError) or (
            isinstance(cause, sqlite3.OperationalError) and _is_busy(cause))

    @contextmanager
    def lock(self, study: str) -> Iterator[None]:
        """Exclusive lock on `study` across processes: flock on its sidecar file."""
        name = codec.check_study(study)
        codec.check_not_held(self, name, self._held)
        self._check_open()
        self._check_writable()
        folder = self._path.with_name(self._path.name + ".locks")
        folder.mkdir(exist_ok=True)
        digest = hashlib.sha256(name.encode()).hexdigest()[:32]
        with codec.file_lock(folder / digest, name, self._held, create=True, owner=self):
            yield

    def studies(self) -> list[str]:
        """Names of the studies in the database, sorted."""

        def names(conn: sqlite3.Connection) -> list[str]:
            return [row[0] for row in conn.execute("SELECT name FROM studies ORDER BY name")]

        return self._transaction(names, write=False)

    def delete_study(self, study: str) -> None:
        """Delete `study`, its header and its events, in one write transaction (all or
        nothing). A StorageError naming it and the studies held if there is no such study.

        Another process attached to the study is not waited for: its next read or append
        raises a StorageError, also once a study of the same name was created again (the
        uid differs, see the module docstring). Its lock file stays.
        """
        name = codec.check_study(study)

        def delete(conn: sqlite3.Connection) -> None:
            if conn.execute("SELECT 1 FROM studies WHERE name = ?", (name,)).fetchone() is None:
                held = [row[0] for row in conn.execute("SELECT name FROM studies ORDER BY name")]
                raise codec.no_such_study(self, name, held)
            conn.execute("DELETE FROM events WHERE study = ?", (name,))
            conn.execute("DELETE FROM studies WHERE name = ?", (name,))

        self._transaction(delete, write=True)

    def close(self) -> None:
        """Close the connection (idempotent); the storage cannot be used afterwards."""
        self._closed = True  # first: no operation opens it again meanwhile
        self._disconnect()

    def _disconnect(self) -> None:
        """Close the connection until the next operation opens it again, as the first one
        was (idle, the storage holds no SQLite connection, so no open descriptor of the
        database: `BayesSearchCV.fit` leaves its optimizers so). The file it opened is
        still the one every transaction checks for (`_check_same_file`), and the studies'
        uids stay remembered."""
        with self._mutex:
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn = None

    # --- connection and transactions ---

    def _open(self) -> sqlite3.Connection:
        """A connection that writes; else, where this process cannot write the database,
        one that only reads (module docstring); else the first error."""
        try:
            return self._open_writable()
        except sqlite3.OperationalError as error:
            # the SQLite error code from Python 3.11 on; on 3.10 access(2) alone decides
            code = getattr(error, "sqlite_errorcode", None)
            refused = code is None or (code & 0xFF) in _READ_ONLY_CODES
            if not refused or not self._path.is_file() or self._writable():
                raise  # not a read-only place (e.g. no file descriptor left): the error
            try:
                conn = self._open_read_only()
            except sqlite3.DatabaseError:
                raise error from None
            self._read_only = str(error)
            return conn

    def _writable(self) -> bool:
        """Whether this process may write the database and create files beside it (its
        -wal and -shm): `access(2)`, which also says no on a read-only mount."""
        return os.access(self._path, os.W_OK) and os.access(self._path.parent, os.W_OK)

    def _open_read_only(self) -> sqlite3.Connection:
        """`mode=ro`, else `immutable=1` unless a -wal file holds changes it would not read."""
        path = urllib.parse.quote(str(self._path))
        wal = self._path.with_name(self._path.name + "-wal")
        for query in ("mode=ro", "mode=ro&immutable=1"):
            state = self._file_state()  # before the file is read
            if "immutable" in query and wal.is_file() and wal.stat().st_size > 0:
                raise StorageError(
                    f"{self!r}: the database cannot be written here, and its changes in "
                    f"{wal.name} cannot be read without SQLite's {self._path.name}-shm file, "
                    "which it cannot create here: copy the database and its -wal file to a "
                    "writable place to read it")
            conn = sqlite3.connect(f"file:{path}?{query}", uri=True, timeout=_BUSY_TIMEOUT,
                                   isolation_level=None, check_same_thread=False)
            try:
                columns = [row[1] for row in conn.execute("PRAGMA table_info(studies)")]
                self._check_tables(conn)
            except sqlite3.OperationalError:
                conn.close()
                if "immutable" in query:
                    raise
                continue
            except StorageError:
                conn.close()
                raise
            if "uid" not in columns:  # made before study uids: no column to read
                self._uid = "NULL"
            self._immutable = state if "immutable" in query else None
            return conn
        raise AssertionError("unreachable: the immutable attempt returns or raises")

    def _file_state(self) -> tuple[Any, ...]:
        """What changes when a writer (another user's, another mount's) changes the database:
        its inode, size and modification time, and whether a -wal file is beside it."""
        status = self._stat()
        if status is None:  # gone or unreadable: changed (reopening it says why)
            return ()
        wal = self._path.with_name(self._path.name + "-wal").exists()
        return status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns, wal

    def _file_identity(self) -> tuple[int, ...]:
        """The file the path names, its device and inode (() if none): one stat, which every
        transaction pays (`_check_same_file`)."""
        status = self._stat()
        return () if status is None else (status.st_dev, status.st_ino)

    def _stat(self) -> os.stat_result | None:
        try:
            return self._path.stat()
        except OSError:
            return None

    def _check_same_file(self) -> None:
        """StorageError unless the path still names the file this storage opened. A database
        deleted or replaced (by a copy, a restore) under an open connection goes on being
        written, through it, in a file nobody else sees (SQLite's "How To Corrupt An SQLite
        Database File", 2.4: unlinking or renaming a database file while in use), while the
        other workers open the file now at the path. A read-only one is reopened instead
        (`_immutable_changed`)."""
        if self._read_only is not None or self._file_identity() == self._opened:
            return
        now = "another file is there now" if self._path.exists() else "no file is there now"
        raise StorageError(
            f"{self!r}: the database file was deleted or replaced since this process opened "
            f"it ({now}), so nothing was read or written: writing on would "
            "store into a file that no other process sees. Put the file back, or attach "
            "again (a new Optimizer) to the database now at the path")

    def _immutable_changed(self) -> bool:
        """Whether the database opened with immutable=1 changed since (never without it):
        SQLite reads such a file as one nobody changes, so a writer that appeared since —
        its -wal file, or its checkpoint into the database — is read only by reopening."""
        return self._immutable is not None and self._file_state() != self._immutable

    def _reopen_read_only(self) -> None:
        """A new read-only connection (`_open_read_only`: mode=ro, now that a writer's -shm
        file may exist, else immutable=1 on the file as it is now). Under `_mutex`."""
        assert self._conn is not None
        old, self._conn = self._conn, self._open_read_only()
        old.close()

    def _check_tables(self, conn: sqlite3.Connection) -> None:
        """StorageError unless the tables named `studies` and `events`, where they exist, have
        this module's columns: another program's database (Optuna's RDBStorage has a
        `studies` table too) is neither read nor changed."""
        for table, needed in _COLUMNS.items():
            columns = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
            if columns and not needed <= set(columns):
                raise StorageError(
                    f"{self!r} is not a bayesopt database: its table {table}({', '.join(columns)})"
                    f" lacks the columns {sorted(needed - set(columns))} of bayesopt's; another "
                    "program made it (Optuna's RDBStorage keeps its studies in a table of that "
                    "name), so it is neither read nor changed: give bayesopt a database file of "
                    "its own (sqlite:///another.db)")

    def _check_writable(self) -> None:
        if self._read_only is not None:
            raise StorageError(f"{self!r} is read-only here ({self._read_only}): it can be "
                               "read (bayesopt show, plot), not written")

    def _stored_header(self, conn: sqlite3.Connection, name: str) -> str:
        """The stored header of `name` (a read-only attach); its uid remembered."""
        row = self._limited_row(conn, name,
                                f"SELECT header, {self._uid} FROM studies WHERE name = ?")
        if row is None:
            self._check_writable()  # creating it would write
        self._uids[name] = row[1]
        return str(row[0])

    def _open_writable(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self._path, timeout=_BUSY_TIMEOUT, isolation_level=None, check_same_thread=False
        )
        try:
            self._check_tables(conn)  # before anything is changed, the journal mode included
            (mode,) = conn.execute("PRAGMA journal_mode=WAL").fetchone()
            if mode != "wal":
                raise ValueError(f"path={str(self._path)!r}: SQLite cannot use WAL here ({mode!r})")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("BEGIN IMMEDIATE")
            for statement in _SCHEMA:
                conn.execute(statement)
            columns = [row[1] for row in conn.execute("PRAGMA table_info(studies)")]
            if "uid" not in columns:  # a database made before study identities
                conn.execute("ALTER TABLE studies ADD COLUMN uid TEXT")
            conn.execute(f"UPDATE studies SET uid = {_NEW_UID} WHERE uid IS NULL")
            conn.execute("COMMIT")
        except BaseException:
            conn.close()
            raise
        return conn

    def _check_open(self) -> None:
        """Refuse a closed storage, or one inherited through fork."""
        codec.check_process(self, self._pid)
        if self._closed:
            raise ValueError(f"operation on a closed {self!r}")

    def _connection(self) -> sqlite3.Connection:
        """The connection, opened again after `_disconnect` (under `_mutex`, in `_retrying`)."""
        self._check_open()
        if self._conn is None:  # what the last opening found may have changed: as __init__
            self._read_only, self._immutable, self._uid = None, None, "uid"
            self._conn = self._open()
        return self._conn

    def _transaction(self, body: Callable[[sqlite3.Connection], T], *, write: bool) -> T:
        """Run `body` in one transaction (IMMEDIATE when it writes), retried while busy."""

        if write:
            self._check_writable()

        def once() -> T:
            with self._mutex:
                for _ in range(_IMMUTABLE_READS):
                    conn = self._connection()
                    if self._immutable_changed():  # a writer came: read what it wrote
                        self._reopen_read_only()
                        conn = self._connection()
                    conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                    try:
                        result = body(conn)
                        self._check_same_file()
                        conn.execute("COMMIT")
                    except BaseException:
                        if conn.in_transaction:
                            conn.rollback()
                        raise
                    if not self._immutable_changed():  # else it may have read a torn file
                        return result
                raise StorageError(f"{self!r}: the database changed during each of "
                                   f"{_IMMUTABLE_READS} reads of it as a file nobody changes "
                                   "(immutable=1, read-only here): try again")

        return self._retrying(once)

    def _retrying(self, operation: Callable[[], T]) -> T:
        """`operation()`, retried with capped exponential backoff while the database is busy;
        once busy for `codec.LOCK_WAIT_WARNING` seconds, one LockWaitWarning says so
        (`_warn_busy`)."""
        start = time.monotonic()
        deadline, warned = start + self._timeout, False
        backoff = _FIRST_BACKOFF
        while True:
            try:
                return operation()
            except sqlite3.DatabaseError as error:
                remaining = deadline - time.monotonic()
                if not isinstance(error, sqlite3.OperationalError) or not _is_busy(error):
                    raise StorageError(f"{self!r}: {error}{self._hint(error)}") from error
                if remaining <= 0:
                    raise TimeoutError(
                        f"{self!r}: the database stayed locked by other processes for "
                        f"timeout={self._timeout} s ({error})"
                    ) from error
            if not warned and time.monotonic() - start >= codec.LOCK_WAIT_WARNING:
                self._warn_busy(time.monotonic() - start)
                warned = True
            time.sleep(min(remaining, backoff * random.uniform(0.5, 1.0)))
            backoff = min(2 * backoff, _MAX_BACKOFF)

    def _warn_busy(self, waited: float) -> None:
        """The LockWaitWarning of a write lock waited for `waited` seconds, as the other
        storages warn (`codec.watch_lock_wait`), at the user's line. SQLite does not say
        who holds its lock; in WAL mode its unix VFS holds the write lock as a POSIX
        (fcntl) lock on byte 120 of the -shm file (WAL_WRITE_LOCK, the first of the
        wal-index locks: https://www.sqlite.org/walformat.html), which /proc/locks lists
        with the holder's pid (`codec.posix_lock_holders`; Linux)."""
        from bayesopt.failures import caller_level
        from bayesopt.storage import LockWaitWarning

        shm = Path(f"{self._path}-shm")
        holder = codec.posix_lock_holders(shm, _WAL_WRITE_LOCK)
        source = (f", as the lock on {shm.name} tells" if holder.startswith("held by")
                  else "")
        warnings.warn(f"{self!r}: the database's write lock: still waiting for it after "
                      f"{waited:.1f} s; {holder}{source} (SQLite itself does not name the "
                      f"holder); the wait ends with a TimeoutError after timeout="
                      f"{self._timeout} s", LockWaitWarning, stacklevel=caller_level())

    def _hint(self, error: sqlite3.DatabaseError) -> str:
        """What to do about an SQLite error that is not contention. A write refused by the
        system (SQLITE_IOERR_WRITE, SQLITE_FULL: the extended result code of Python >= 3.11,
        https://www.sqlite.org/rescode.html) says only "disk I/O error": named here, with
        the usual causes (ENOSPC, or EFBIG past RLIMIT_FSIZE) and the files written."""
        code = getattr(error, "sqlite_errorcode", None)
        if code in _WRITE_FAILURES:
            return (f" (the write of {str(self._path)!r} or its {self._path.name}-wal failed, "
                    f"{getattr(error, 'sqlite_errorname', _WRITE_FAILURES[code])}: disk full "
                    "or file size limit?)")
        if "unable to open" in str(error) and self._path.is_file():
            return (f" (in WAL mode SQLite creates {self._path.name}-wal and "
                    f"{self._path.name}-shm beside it: its directory must be writable)")
        return ""

    def _check_identity(self, conn: sqlite3.Connection, name: str) -> None:
        """Raise unless `name` is the study this object attached to (the first read or
        append of a study not attached to by `create_or_attach` attaches to it)."""
        row = conn.execute(f"SELECT {self._uid} FROM studies WHERE name = ?",
                           (name,)).fetchone()
        if name not in self._uids:
            if row is None:
                raise codec.missing_study(name)
            self._uids[name] = row[0]
        elif row is None or row[0] != self._uids[name]:
            raise codec.study_replaced(self, name, recreated=row is not None)


@contextmanager
def _length_limit(conn: sqlite3.Connection,
                  refused: Callable[[], StorageError]) -> Iterator[None]:
    """SQLite's length limit (SQLITE_LIMIT_LENGTH, https://www.sqlite.org/limits.html) set
    to `codec.MAX_TEXT_BYTES` meanwhile: a statement that would read a stored value longer
    than that, in bytes, fails with SQLITE_TOOBIG, which SQLite checks against the length
    in the row's header before it reads the value, so the value never reaches Python;
    `refused()` (made under the limit still) is raised instead.
    SQLite itself may still read such a row whole, briefly, to compare its key while it
    searches or walks the events' b-tree (a WITHOUT ROWID table: the whole row is the
    b-tree's key). A read-only query cannot make a longer value of its own.
    Python 3.10's sqlite3 cannot set it (`Connection.setlimit` is 3.11's): there a longer
    value is read, then refused unparsed by `codec.decode_object`."""
    if not hasattr(conn, "setlimit"):  # Python 3.10
        yield
        return
    before = conn.setlimit(_LIMIT_LENGTH, codec.MAX_TEXT_BYTES)
    try:
        yield
    except sqlite3.DataError as error:
        if getattr(error, "sqlite_errorcode", _TOOBIG) != _TOOBIG:
            raise
        raise refused() from None
    finally:
        conn.setlimit(_LIMIT_LENGTH, before)


def _reopen(path: str, timeout: float) -> SQLiteStorage:
    return SQLiteStorage(path, timeout=timeout)

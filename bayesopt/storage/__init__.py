"""Storages: an append-only log of JSON events per study, behind one small protocol.

    study   : a name; a storage holds one (a JSON-lines file) or many (a database)
    header  : a JSON object stored once per study (the format, the space, the creator's config)
    event   : a JSON object; the events of a study are numbered 0, 1, 2, ... gaplessly in
              append order, and `read(study, offset)` returns them from `offset` on

An optimizer's state is a fold over its study's events (`bayesopt.state`), so
"attach to a study" is "read every event and apply it", and "catch up" is
"read from the number of events already applied". Asks are serialized under
`lock(study)`, an exclusive lock across processes that the operating system
(or the database server) releases when its holder dies.

Storages are named by URL and looked up in a registry, so a new backend is a
new entry, not a new branch:

    run.jsonl                          -> bayesopt.storage.jsonl.JSONLStorage (one study)
    sqlite:///study.db                 -> bayesopt.storage.sqlite.SQLiteStorage
    postgresql://user@host:port/db     -> bayesopt.storage.postgres.PostgresStorage
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

__all__ = ["STORAGES", "Backend", "DeletableStorage", "LockLost", "LockWaitWarning",
           "OutcomeUnknown", "Storage", "StorageError", "StudyDeleted", "is_sqlite_file",
           "open_storage"]


class StorageError(ValueError):
    """A storage cannot be opened, read or written, or holds no such study."""


class StudyDeleted(StorageError):
    """A read or an append naming a study deleted (and perhaps created again under its
    name) since this storage attached to it; nothing was read or appended.
    `recreated`: whether a study of that name exists again (another one)."""

    def __init__(self, message: str, *, recreated: bool) -> None:
        super().__init__(message)
        self.recreated = recreated


class LockLost(StorageError):
    """`append` under `lock(study)` refused: the lock was lost while held (a database
    session that dropped) and taken again, so another process may have appended in
    between. Nothing was appended; the lock is held again: read, recompute, append."""


class OutcomeUnknown(ConnectionError):
    """An `append` (or a `delete_study`) whose connection dropped after its COMMIT was sent
    and whose bounded reconnections all failed: the events were stored once or not at all
    (the study deleted or not), and which one is known only by reading the study again
    (listing the studies) once the server is reachable; the message says what to check.
    (A connection that drops before the COMMIT is sent raises a plain ConnectionError:
    nothing stored.)"""


class LockWaitWarning(UserWarning):
    """A lock (a study's, a JSON-lines file's append lock, a PostgreSQL study's row, an
    SQLite database's write lock) has been waited for longer than
    `bayesopt.storage.codec.LOCK_WAIT_WARNING` seconds; the message names the storage,
    the study (or, for SQLite's write lock, the file), the time waited and, where the
    system tells, the holder. The wait goes on: a holder that is stopped, not dead, may
    resume; SQLite's ends after its `timeout` with a TimeoutError."""


@runtime_checkable
class Storage(Protocol):
    """An append-only log of JSON events per study. Events of a study are numbered
    0, 1, 2, ... gaplessly in append order.

    An object is one when its class defines these methods (`isinstance` checks them): from
    Python 3.12 a wrapper that forwards them through ``__getattr__`` is not one — define
    each method on the wrapper's class."""

    def create_or_attach(self, study: str, header: dict[str, Any]) -> dict[str, Any]:
        """If `study` does not exist, store `header` (a JSON object) and return it;
        otherwise return the stored header unchanged (the caller compares)."""
        ...

    def read(self, study: str, offset: int = 0) -> list[dict[str, Any]]:
        """The events numbered offset, offset+1, ... (JSON objects, in order).
        Raises ValueError (not KeyError) for an unknown study. A storage whose `read`
        also takes ``limit=`` (at most that many events; every built-in one does) is
        read in pages by a replay or a catch-up (`bayesopt.study.read_pages`), which
        then never holds a whole long study's parsed events at once."""
        ...

    def append(self, study: str, events: Sequence[dict[str, Any]]) -> int:
        """Append the events atomically (all or none) and durably (committed/fsync'ed
        when it returns); return the number of the first. Safe with or without
        holding lock(). Under lock(), raises LockLost (appending nothing) if the lock
        was lost and re-acquired since the holder's last read of the study. A storage
        that can tell whether a failed append appended nothing also has
        ``appended_nothing(error) -> bool`` (SQLite, PostgreSQL): a tell that failed
        then says that nothing was recorded (`bayesopt.study.StudyLink.recording`)."""
        ...

    def lock(self, study: str) -> AbstractContextManager[None]:
        """An exclusive lock on the study across processes (and machines, for
        PostgreSQL); released by the OS/server when the holder dies. Reentrant
        within one Storage object is not required."""
        ...

    def studies(self) -> list[str]:
        """Names of the studies held."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class DeletableStorage(Storage, Protocol):
    """A `Storage` that can also delete a study (every built-in backend can). A separate
    protocol, so that a storage of one's own without `delete_study` is still a `Storage`
    an Optimizer takes."""

    def delete_study(self, study: str) -> None:
        """Delete `study` (its header and its events) atomically. Raises a `StorageError`
        (a ValueError) naming `study` and the studies held when there is no such study.
        A process still attached to the study fails at its next read or append with a
        `StorageError` naming it, also once a study of the same name was created again:
        a storage object reads and appends only the study it attached to (the built-in
        backends give each study an identity at creation; see their module docstrings)."""
        ...


def _whole_url(url: str, rest: str) -> str:
    return url


def _file_path(url: str, rest: str) -> str:
    """``file:///tmp/run.jsonl`` -> ``/tmp/run.jsonl`` (RFC 8089: an absolute path), and
    so does ``file://localhost/tmp/run.jsonl`` (RFC 8089, 2: "localhost" is this machine).
    Any other host (``file://otherhost/path``, ``file://run.jsonl``) names a file on
    another machine (RFC 8089, 2 and 3): ValueError naming the URL, not a relative path.
    A plain path (`open_storage` passes it as `rest` too) has no host: it is kept whole
    (``localhost/run.jsonl`` is a relative path, not ``/run.jsonl``)."""
    if not url.lower().startswith("file://"):
        return rest
    host, slash, path = rest.partition("/")
    if not host:
        return rest
    if host.lower() != "localhost":
        raise ValueError(
            f"storage={url!r} names a file on the host {host!r}: a file:// URL's host must "
            "be empty or localhost (RFC 8089), as no remote file is opened; write "
            "file:///absolute/path, or the path alone for a relative one")
    return slash + path


def _sqlite_path(url: str, rest: str) -> str:
    """``sqlite:///study.db`` -> ``study.db``; ``sqlite:////tmp/study.db`` ->
    ``/tmp/study.db`` (the convention of SQLAlchemy and Optuna)."""
    return rest.removeprefix("/")


@dataclass(frozen=True)
class Backend:
    """A storage class named "module:Class", imported only when a URL of its scheme is
    opened (a database driver is an optional extra), and what its constructor is given:
    `argument(url, rest)` of the URL and the part after ``scheme://``."""

    target: str
    argument: Callable[[str, str], str]
    local_file: bool = False  # the argument is a file path (created on opening if absent)


# URL scheme -> backend. A URL without a scheme is a file path (JSON lines).
STORAGES: dict[str, Backend] = {
    "file": Backend("bayesopt.storage.jsonl:JSONLStorage", _file_path, local_file=True),
    "sqlite": Backend("bayesopt.storage.sqlite:SQLiteStorage", _sqlite_path, local_file=True),
    "postgresql": Backend("bayesopt.storage.postgres:PostgresStorage", _whole_url),
    "postgres": Backend("bayesopt.storage.postgres:PostgresStorage", _whole_url),
}


_SQLITE_MAGIC = b"SQLite format 3\x00"  # the first 16 bytes of every SQLite 3 database file


def _check_plain_path(text: str) -> None:
    """A path that starts like a URL of a known scheme but lacks its ``//`` (``sqlite:x.db``,
    ``sqlite:/x.db``, ``postgresql:/host/db``) is a typo, not a JSON-lines file to create."""
    scheme, colon, rest = text.partition(":")
    if not colon or os.path.exists(text) or scheme.lower() not in STORAGES:
        return
    scheme = scheme.lower()
    if scheme == "sqlite":
        path = rest.lstrip("/")
        hint = _sqlite_url("/" + path if rest.startswith("/") else path)
    elif scheme == "file":
        hint = f"the path alone ({rest}) or file://{os.path.abspath(rest)}"
    else:
        hint = f"{scheme}://user@host:port/database"
    raise ValueError(f"storage={text!r} is not a URL: '{scheme}:' must be followed by '//'; "
                     f"write {hint}")


def _sqlite_url(path: str) -> str:
    """The ``sqlite:///`` URL of a database file, said in words for a relative path."""
    if os.path.isabs(path):
        return f"sqlite:///{path}"
    return (f"sqlite:///{path} (relative to the working directory; "
            f"sqlite:///{os.path.abspath(path)} from anywhere)")


def is_sqlite_file(path: str | os.PathLike[str]) -> bool:
    """Whether `path` is an SQLite 3 database file (by its first 16 bytes); False for a file
    that is absent or cannot be read, which whoever opens it reports."""
    try:
        with open(path, "rb") as file:
            return file.read(len(_SQLITE_MAGIC)) == _SQLITE_MAGIC
    except OSError:
        return False


def _check_no_query(text: str, scheme: str, path: str) -> None:
    """A file URL names a file and nothing else: SQLAlchemy's (Optuna's) query options
    (``sqlite:///tune.db?timeout=30``) and a fragment are refused, since the file opened
    would be named with them, apart from the workers' that wrote the URL without them."""
    cut = min((path.index(mark) for mark in "?#" if mark in path), default=None)
    if cut is None:
        return
    there = (f" (a file named {path!r} exists: a study written through this URL is there; "
             "rename the file)" if os.path.exists(path) else "")
    raise ValueError(f"storage={text!r}: a {scheme}:// URL names a file only, and "
                     f"{path[cut:]!r} is not read here (no driver options); write "
                     f"{text[:len(text) - len(path) + cut]}{there}")


def _check_not_sqlite(text: str, path: str) -> None:
    """A file path (which names a JSON-lines storage) to an SQLite database is refused, with
    the ``sqlite:///`` URL to write instead (Optuna takes ``sqlite:///study.db`` too)."""
    if is_sqlite_file(path):  # absent: created as a JSON-lines file
        raise ValueError(f"storage={text!r} is an SQLite database, and a file path names a "
                         f"JSON-lines file: write {_sqlite_url(path)}")


def open_storage(url: str | os.PathLike[str], *, create: bool = True) -> Storage:
    """Open the storage a URL names.

    Parameters
    ----------
    url : str or path
        ``run.jsonl`` (or any path) for a JSON-lines file holding one study;
        ``sqlite:///study.db`` for SQLite; ``postgresql://user@host:port/db``
        for PostgreSQL.
    create : bool
        False: a file the URL names (JSON lines, SQLite) must exist already, so
        that a reader never leaves an empty database behind a misspelt name.

    Returns
    -------
    Storage

    Raises
    ------
    ValueError
        An unknown scheme, a backend that is not installed, a known scheme without
        its ``//`` (``sqlite:x.db``), a file path to an SQLite database, or an
        ``sqlite://`` or ``file://`` URL with a query or fragment (``?timeout=30``);
        the message gives the URL to write. With ``create=False``, a file that does
        not exist (a `StorageError`).
    TypeError
        `url` is not a string or path.
    """
    if not isinstance(url, (str, os.PathLike)):
        raise TypeError(f"storage={url!r} must be a URL string, a path or a "
                        "bayesopt.storage.Storage, whose methods its class defines (from "
                        "Python 3.12 isinstance does not see methods that __getattr__ forwards)")
    text = os.fspath(url)
    if not isinstance(text, str) or not text:
        raise ValueError(f"storage={url!r} must be a non-empty URL or path")
    scheme, sep, rest = text.partition("://")
    scheme = scheme.lower()  # RFC 3986, 3.1: schemes are case-insensitive
    if not sep or os.path.exists(text):  # a plain path
        _check_plain_path(text)
        scheme, rest = "file", text
    if scheme not in STORAGES:
        base, plus, _ = scheme.partition("+")  # SQLAlchemy's (and Optuna's) dialect+driver
        hint = (f"; write {base}://... (the driver is chosen here: psycopg 3 for PostgreSQL)"
                if plus and base in STORAGES else "")
        raise ValueError(f"storage={text!r}: unknown scheme {scheme!r}; "
                         f"expected a file path or one of {sorted(STORAGES)}{hint}")
    backend = STORAGES[scheme]
    argument = backend.argument(text, rest)
    if not argument:
        raise ValueError(f"storage={text!r} names no file")
    if sep and backend.local_file:
        _check_no_query(text, scheme, argument)
    if scheme == "file":
        _check_not_sqlite(text, argument)
    if not create and backend.local_file and not os.path.exists(argument):
        raise StorageError(f"storage={text!r}: no such file {argument!r}")
    module_name, class_name = backend.target.split(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise ValueError(f"storage={text!r}: the {scheme!r} backend cannot be imported "
                         f"({error})") from None
    storage: Storage = getattr(module, class_name)(argument)
    return storage

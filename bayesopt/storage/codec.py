"""Argument checks, JSON encoding, the file lock and the watched lock wait shared by the storages.

A study is named by a non-empty string. A header and each event are JSON objects
(dicts with string keys) stored as compact JSON text (RFC 8259); NaN and ±inf are not
JSON numbers and are refused rather than written as the non-standard `NaN`. Stored
text is read by `loads`, whose every refusal is a ValueError, so that a damaged or
hostile file or row is named by its reader, never a RecursionError of the decoder.
"""

from __future__ import annotations

import json
import os
import threading
import time
import warnings
from collections.abc import Callable, Container, Iterator, Mapping, MutableSet, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from bayesopt.storage import StorageError

_SEPARATORS = (",", ":")
# the longest stored header or event read (a header holding a categorical of a million
# choices is some 20 MB): json's objects take some 25 times the text's size, so a
# line of a gigabyte would take tens of gigabytes to decode
MAX_TEXT_BYTES = 1 << 26
LOCK_WAIT_WARNING = 10.0  # seconds a lock is waited for before a LockWaitWarning says so


def check_study(study: Any) -> str:
    """The study name, or TypeError/ValueError naming the bad value."""
    if not isinstance(study, str):
        raise TypeError(f"study={study!r} must be a str")
    if not study or "\x00" in study:
        raise ValueError(f"study={study!r} must be a non-empty string without NUL characters")
    return study


def missing_study(study: str) -> ValueError:
    """The error for a read or an append naming a study the storage does not hold."""
    return ValueError(f"study={study!r} does not exist in this storage")


def no_such_study(storage: object, study: str, existing: Sequence[str]) -> ValueError:
    """The error for a study that `storage` does not hold: a `StorageError` (a ValueError)
    naming it and the studies the storage does hold."""
    held = ", ".join(repr(name) for name in existing) if existing else "none"
    return StorageError(f"study={study!r} does not exist in {storage!r} (its studies: {held})")


def study_replaced(storage: object, study: str, *, recreated: bool) -> ValueError:
    """The error for a study deleted (and perhaps created again under its name) since
    `storage` attached to it: a `StudyDeleted` (a `StorageError`) naming it. Its events
    are not read or appended to, whatever study now holds the name."""
    from bayesopt.storage import StudyDeleted

    now = ("created again: the study of that name is another one" if recreated
           else "not created again")
    return StudyDeleted(f"study={study!r} in {storage!r} was deleted since this process "
                        f"attached to it ({now}); nothing read or appended: attach again "
                        "(a new Optimizer) to join the study that holds the name now",
                        recreated=recreated)


def check_not_held(storage: object, study: str, held: Container[str]) -> None:
    """lock() is not reentrant: a second lock() of one study by one storage would wait for
    itself."""
    if study in held:
        raise RuntimeError(
            f"study {study!r} is already locked by {storage!r} (lock() is not reentrant)"
        )


@contextmanager
def file_lock(path: Path, study: str, held: MutableSet[str], *, create: bool,
              owner: object) -> Iterator[None]:
    """flock(LOCK_EX) on `path` through a descriptor of this call's own, so that another
    thread's lock waits as another process's does; `study` is in `held` meanwhile. The
    kernel releases the lock when the descriptor is closed, or its process dies. A wait
    is watched as `flock_exclusive` says (`owner`, the storage, names it)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT if create else os.O_RDONLY, 0o666)
    try:
        flock_exclusive(fd, lambda: f"{owner!r}: the lock of study {study!r} ({str(path)!r})")
        held.add(study)
        try:
            yield
        finally:
            held.discard(study)
    finally:
        os.close(fd)  # closing the only descriptor of this lock releases it


def flock_exclusive(fd: int, what: Callable[[], str]) -> None:
    """flock(fd, LOCK_EX), waiting as long as it takes, with one `LockWaitWarning` naming
    `what()` and the holder if the wait passes `LOCK_WAIT_WARNING` seconds. Uncontended it
    is one flock(LOCK_EX | LOCK_NB); contended, the blocking flock runs in a thread of its
    own (on a dup of `fd`: flock locks belong to the open file description, so the lock
    is `fd`'s) while this thread waits for it with a timeout (`watch_lock_wait`)."""
    import fcntl  # POSIX: imported here, so that importing a storage module never needs it

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return
    except BlockingIOError:
        pass
    watch_lock_wait(_FlockWait(fd), what, lambda: _flock_holders(fd))


class _FlockWait:
    """A blocking flock(LOCK_EX) on a dup of `fd`, in a daemon thread. `abandon()` (the
    waiter interrupted) releases the lock when the thread takes it, or at once if taken."""

    def __init__(self, fd: int) -> None:
        import fcntl

        self._fcntl, self._fd, self._dup = fcntl, fd, os.dup(fd)
        self._done = threading.Event()
        self._mutex = threading.Lock()
        self._abandoned = False
        self._error: OSError | None = None
        threading.Thread(target=self._take, name="bayesopt-lock-wait", daemon=True).start()

    def _take(self) -> None:
        try:
            self._fcntl.flock(self._dup, self._fcntl.LOCK_EX)
        except OSError as error:  # pragma: no cover - flock(LOCK_EX) fails only on a bad fd
            self._error = error
        with self._mutex:
            if self._abandoned and self._error is None:
                self._fcntl.flock(self._dup, self._fcntl.LOCK_UN)
            os.close(self._dup)
            self._done.set()

    def wait(self, timeout: float | None) -> bool:
        """True once the lock is taken; False if `timeout` seconds passed first."""
        if not self._done.wait(timeout):
            return False
        if self._error is not None:  # pragma: no cover
            raise self._error
        return True

    def abandon(self) -> None:
        with self._mutex:
            if not self._done.is_set():
                self._abandoned = True
            elif self._error is None:
                self._fcntl.flock(self._fd, self._fcntl.LOCK_UN)


class LockWait(Protocol):
    """A lock being waited for: `wait(timeout)` is True once it is held (False if
    `timeout` seconds passed first; None waits forever); `abandon()` gives it up (the
    waiter was interrupted), releasing it if it was or will be taken."""

    def wait(self, timeout: float | None) -> bool: ...

    def abandon(self) -> None: ...


def watch_lock_wait(waiting: LockWait, what: Callable[[], str], holder: Callable[[], str]) -> None:
    """Wait for a lock until it is held, however long that is: a holder that is stopped
    (SIGSTOP, a debugger, a frozen NFS client) may resume, so the lock is never broken.
    After `LOCK_WAIT_WARNING` seconds one `LockWaitWarning` says so, naming `what()`, the
    time waited and `holder()` (who holds the lock, where that can be told), at the
    user's line (`bayesopt.failures.caller_level`). Interrupted, the wait is abandoned."""
    from bayesopt.failures import caller_level
    from bayesopt.storage import LockWaitWarning

    start = time.monotonic()
    try:
        if waiting.wait(LOCK_WAIT_WARNING):
            return
        warnings.warn(f"{what()}: still waiting for it after {time.monotonic() - start:.1f} s; "
                      f"{holder()} (a stopped holder may resume, so the lock is not broken)",
                      LockWaitWarning, stacklevel=caller_level())
        waiting.wait(None)
    except BaseException:
        waiting.abandon()
        raise


def _flock_holders(fd: int) -> str:
    """Who holds a flock on `fd`'s file, as /proc/locks (Linux) tells: its FLOCK entries
    with the file's device and inode that are held, not waited for ("->"), with each
    holder's state from /proc/<pid>/stat (T: stopped, t: stopped by a debugger)."""
    return _holders(os.fstat(fd), lambda fields: fields[1] == "FLOCK")


def posix_lock_holders(path: Path, offset: int) -> str:
    """Who holds a POSIX (fcntl) write lock covering byte `offset` of the file at `path`,
    as /proc/locks (Linux) tells: its POSIX WRITE entries with the file's device and inode
    whose range [start, end] ("EOF": to the end) holds `offset`, held, not waited for."""
    try:
        status = os.stat(path)
    except OSError:
        return f"its holder cannot be told ({path.name} cannot be read)"

    def covers(fields: list[str]) -> bool:
        if fields[1] != "POSIX" or fields[3] != "WRITE" or len(fields) < 8:
            return False
        return int(fields[6]) <= offset and (fields[7] == "EOF" or offset <= int(fields[7]))

    return _holders(status, covers)


def _holders(status: os.stat_result, entry: Callable[[list[str]], bool]) -> str:
    """'held by process ...' for the /proc/locks entries on the file of `status` (device and
    inode) that `entry` accepts (each line split into its fields), or why none is named."""
    device = f"{os.major(status.st_dev):02x}:{os.minor(status.st_dev):02x}:{status.st_ino}"
    try:
        with open("/proc/locks", encoding="ascii", errors="replace") as table:
            lines = table.read().splitlines()
    except OSError:
        return "its holder cannot be told here (no /proc/locks)"
    pids = sorted({int(fields[4]) for fields in (line.split() for line in lines)
                   if len(fields) > 5 and fields[5] == device and entry(fields)})
    if not pids:
        return "its holder cannot be told (/proc/locks lists none)"
    return "held by " + ", ".join(_process(pid) for pid in pids)


_STATES = {"T": "stopped", "t": "stopped by a debugger", "D": "in uninterruptible I/O",
           "Z": "a zombie"}


def _process(pid: int) -> str:
    """'process <pid> (<command>, <state>)', from /proc/<pid>/stat where it can be read."""
    if pid == os.getpid():
        return f"process {pid} (this process)"
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as stat:
            text = stat.read()
    except OSError:
        return f"process {pid}"
    command, _, rest = text.partition(" (")[2].rpartition(") ")
    state = rest.split(" ", 1)[0]
    return f"process {pid} ({command}" + (f", {_STATES[state]})" if state in _STATES else ")")


def check_process(storage: object, pid: int) -> None:
    """A storage's connections belong to the process that opened them (`pid`), not to a fork."""
    if pid != os.getpid():
        raise RuntimeError(
            f"{storage!r} was opened in process {pid} and cannot be used in process "
            f"{os.getpid()} (after fork): open the storage in each process"
        )


def encode_object(key: str, value: Any) -> str:
    """`value` (a JSON object) as JSON text; `key` names it in the error."""
    if not isinstance(value, Mapping):
        raise TypeError(f"{key}={value!r} must be a dict (a JSON object)")
    try:
        text = json.dumps(dict(value), allow_nan=False, separators=_SEPARATORS)
    except (TypeError, ValueError) as error:  # a non-JSON value, a NaN, a non-str key
        raise type(error)(f"{key}={value!r} is not a JSON object: {error}") from error
    if len(text) > MAX_TEXT_BYTES:  # ASCII (json.dumps escapes the rest): chars are bytes
        raise ValueError(
            f"{key} is {len(text)} bytes as JSON (beginning {text[:40]!r}), longer than the "
            f"{MAX_TEXT_BYTES} bytes a header or event may have, which no reader would read "
            "back; nothing is written (tell a large batch in several calls)")
    return text


def encode_events(events: Any) -> list[str]:
    """A sequence of events (JSON objects) as JSON texts."""
    if isinstance(events, (str, bytes, Mapping)) or not isinstance(events, Sequence):
        raise TypeError(f"events={events!r} must be a list of dicts")
    return [encode_object(f"events[{i}]", event) for i, event in enumerate(events)]


def loads(text: str | bytes, **kwargs: Any) -> Any:
    """`json.loads(text, **kwargs)`, refusing with a ValueError whatever it cannot read:
    invalid JSON (`json.JSONDecodeError`), bytes not UTF-8 (`UnicodeDecodeError`), an
    integer of more digits than `sys.get_int_max_str_digits()` (4300: CVE-2020-10735), and
    arrays or objects nested deeper than the decoder recurses, whose RecursionError
    (``[[[...]]]`` of some thousand levels: a line of a few kilobytes) is raised as a
    ValueError here."""
    try:
        return json.loads(text, **kwargs)
    except RecursionError:
        raise ValueError("arrays or objects nested too deeply to be read (beyond the "
                         "interpreter's recursion limit)") from None


def decode_object(text: str | bytes, where: str) -> dict[str, Any]:
    """A stored header or event: the JSON object `text`, else StorageError naming `where`
    (a row or line that another program wrote or damaged; a check, not an assert, so that
    ``python -O`` does not read such a row as an event). A text longer than
    `MAX_TEXT_BYTES` is refused unread: decoding it would take memory some 25 times its
    size."""
    if len(text) > MAX_TEXT_BYTES:
        raise too_long(where, len(text), text[:40])
    try:
        value = loads(text)
    except ValueError as error:
        raise StorageError(f"{where}: stored text {text[:80]!r} is not valid JSON "
                           f"({error})") from None
    if not isinstance(value, dict):
        raise StorageError(f"{where}: stored JSON {text[:80]!r} is not an object")
    return value


def too_long(where: str, size: int | None, head: str | bytes | None) -> StorageError:
    """The error for a stored text of `size` bytes, beginning with `head`, longer than
    `MAX_TEXT_BYTES`: refused unread (`decode_object`; a JSON-lines file's reader measures
    a line before reading it). `size` and `head` are None where they are not known without
    reading the text (an SQLite row refused by SQLite's length limit, `sqlite.py`)."""
    what = "" if size is None else f" of {size} bytes"
    beginning = "" if head is None else f" (beginning {head!r})"
    return StorageError(f"{where}: stored text{what}{beginning} is longer than the "
                        f"{MAX_TEXT_BYTES} bytes a header or event may have; it is not read")


def decode_events(rows: Sequence[tuple[int, str]], first: int,
                  where: str) -> list[dict[str, Any]]:
    """The events of stored rows (number, JSON text), which number `first`, `first + 1`, …;
    StorageError naming `where` and the first missing number if they do not (rows deleted
    by another program: a fold over the rest would be another study's state)."""
    for i, (seq, _) in enumerate(rows):
        if seq != first + i:
            raise StorageError(f"{where}: event {first + i} is missing (the next stored "
                               f"event is number {seq}); events are numbered without gaps, "
                               "so rows were deleted or renumbered by another program")
    return [decode_object(body, f"{where}, event {seq}") for seq, body in rows]

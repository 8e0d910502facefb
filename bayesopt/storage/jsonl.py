"""A JSON-lines file as a storage: one study per file, one JSON object per line.

    line 1      : the study's header, with its name under "study"
    line k + 2  : event number k

A file whose first line is a JSON object naming neither "study" nor "journal" (what a
journal of format 1 has instead) was written by another program (Optuna's
JournalStorage writes JSON lines too): every operation, deletion included, refuses it
with a StorageError and leaves it as it is.

Three locks, all `flock(2)` (LOCK_EX), which the kernel releases when their
holder dies — a `kill -9` never leaves a lock behind:

- the *study lock* (`lock()`), on the file itself through a descriptor of its
  own per `lock()` (so that threads exclude each other as processes do; not
  reentrant): held by an optimizer while it computes and appends an ask;
- the *append lock*, on the sidecar file ``<path>.lock``: held only for the
  few microseconds of one append, so that a tell never waits for another
  worker's ask to be computed;
- the *writer claim* (`claim_writer()`), on ``<path>.writer``: taken without
  waiting by a journal's writer before its first append and held until
  `close()`, so that a second process continuing the same journal is refused.

An append, under the append lock, truncates a torn tail, then writes whole
lines in one `write(2)` on a descriptor opened with O_APPEND, then
`fsync(2)`s: a line is either wholly there or (after a crash in the middle of
the write) a torn tail. A torn last line is never returned by `read`; it is
skipped with a `TruncatedJournalWarning` once no writer holds the append lock
(a writer may be halfway through it), and the next writer truncates it.

Reads are incremental: the byte position of each line already seen is kept,
so catching up on new events reads only the new bytes. They are streamed: a scan
(which indexes the lines) and a read (which parses some of them) hold at most
`BLOCK` bytes of the file at a time, or one line if it is longer; a line longer than
`codec.MAX_TEXT_BYTES` is measured in blocks and refused without being held whole.

Arguments are checked, and events encoded, as by the database storages
(`bayesopt.storage.codec`); like them a storage object belongs to the process
that opened it, refuses use after `close()`, and pickles as its path.
"""

from __future__ import annotations

import errno
import os
import threading
import warnings
import weakref
from array import array
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bayesopt.failures import caller_level
from bayesopt.storage import StorageError, codec
from bayesopt.validation import check_count

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]

__all__ = ["DEFAULT_STUDY", "JSONLStorage", "TruncatedJournalWarning", "is_journal"]

_READ_ONLY = (errno.EACCES, errno.EPERM, errno.EROFS)  # a file or mount this process cannot write
DEFAULT_STUDY = "journal"  # the name of a file's study when its header names none (format 1)
BLOCK = 1 << 20  # bytes of the file a scan or a read holds at a time (a longer line: itself)


def is_journal(study: str) -> bool:
    """Whether a JSON-lines file whose study is `study` is a journal — one optimizer's file,
    written by ``Optimizer(space, journal=path)`` and continued by ``Optimizer.resume(path)``
    — rather than a shared study (``Optimizer(space, storage=path, study=name)``): a
    journal's study is `DEFAULT_STUDY`, the name a format-1 header (which names none) reads as."""
    return study == DEFAULT_STUDY


class TruncatedJournalWarning(UserWarning):
    """The journal's last line was cut off (a crash mid-write) and was skipped."""


class JSONLStorage:
    """One study in one JSON-lines file (see the module docstring)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        if not isinstance(path, (str, os.PathLike)) or not os.fspath(path):
            raise TypeError(f"path={path!r} must be a non-empty file path")
        if fcntl is None:  # pragma: no cover
            raise StorageError("a JSON-lines storage needs fcntl.flock (a POSIX system)")
        self.path = Path(path)
        self._fd: int | None = None
        self._read_only: OSError | None = None  # why `_fd` was opened read-only, if it was
        self._thread_lock = threading.RLock()
        self._held: set[str] = set()  # the study while lock() is held by this object
        self._pid = os.getpid()
        self._closed = False
        self._writing = False  # the append lock is held by this object
        self._sidecar: int | None = None  # descriptor of <path>.lock
        self._claim: tuple[int, int] | None = None  # key of this object's writer claim
        # what close() gives back — the descriptors and the claim above — also when the
        # object is dropped without close() (an Optimizer never closed): without this its
        # three descriptors stayed open for the life of the process
        self._owned: tuple[list[int], list[tuple[int, int]]] = ([], [])
        self._release = weakref.finalize(self, _release, self._pid, *self._owned)
        self._starts = array("q")  # byte position of each line seen (line 0: the header)
        self._scanned = 0  # bytes up to the end of the last complete line seen
        self._warned_tail = -1  # the torn tail last warned about (its position)
        self._header_cache: dict[str, Any] | None = None

    def __repr__(self) -> str:
        return f"JSONLStorage({str(self.path)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as its path: the copy opens its own descriptors."""
        return (JSONLStorage, (str(self.path),))

    # ------------------------------------------------------------ protocol
    def create_or_attach(self, study: str, header: dict[str, Any]) -> dict[str, Any]:
        codec.check_study(study)
        codec.encode_object("header", header)
        self._check_usable()
        with self._thread_lock, self._append_lock(study, create=True):
            if self._scan():
                stored = self._header()
                self._check_name(study, stored)
                return stored
            stored = {**header, "study": study}
            self._check_writable()
            os.ftruncate(self._descriptor(), 0)  # nothing complete: a header torn by a crash
            self._reset()
            self._write([codec.encode_object("header", stored)])
            _fsync_directory(self.path.parent)
            self._scan()
            return stored

    def read(self, study: str, offset: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
        """Events number `offset`, `offset + 1`, ... of `study`, in order; at most `limit`
        of them (None: all), which is how a replay reads a long journal
        (`bayesopt.study.read_pages`)."""
        codec.check_study(study)
        check_count("offset", offset)
        if limit is not None:
            check_count("limit", limit, minimum=1)
        self._check_usable()
        with self._thread_lock:
            self._study_header(study)
            first = offset + 1
            if first >= len(self._starts):
                return []
            last = len(self._starts) if limit is None else min(len(self._starts), first + limit)
            return [self._parse(line, number) for number, line in self._texts(first, last)]

    def append(self, study: str, events: Sequence[dict[str, Any]], *,
               expected: int | None = None) -> int:
        """Append `events`; the number of the first. With `expected` (a journal's one
        writer: the number of events it has applied), refuse to write after events it
        has not read — another optimizer of this process appended them."""
        codec.check_study(study)
        lines = codec.encode_events(events)  # every event checked before anything is written
        self._check_usable()
        with self._thread_lock:
            if not self.path.exists():
                raise self._replaced() if self._starts else StorageError(
                    f"{str(self.path)!r} does not exist")
            with self._append_lock(study):
                return self._append_locked(study, lines, expected)

    def _append_locked(self, study: str, lines: Sequence[str], expected: int | None) -> int:
        self._study_header(study)
        self._check_writable()
        self._drop_torn_tail()
        number = len(self._starts) - 1
        if expected is not None and number > expected:
            raise StorageError(
                f"holds {number - expected} event(s) this optimizer has not read, appended "
                "by another optimizer of this process since: a journal has one writer (keep "
                "one Optimizer per journal; Optimizer.resume the file again to continue it, or "
                "share a study between optimizers with storage= and study=)")
        if lines:
            self._write(lines)
        return number

    def retract(self, study: str, number: int) -> None:
        """Remove event `number`, the study's last: its one writer undoes the append of an
        event its optimizer could not apply (`bayesopt.study.StudyLink.commit`), so that
        the file keeps only events a resume can apply. StorageError if it is not the last."""
        codec.check_study(study)
        check_count("number", number)
        self._check_usable()
        with self._thread_lock, self._append_lock(study):
            self._study_header(study)
            if number != len(self._starts) - 2:
                raise StorageError(f"{str(self.path)!r}: event {number} is not the last of "
                                   f"{len(self._starts) - 1}, so it is not retracted")
            end = self._starts[number + 1]
            os.ftruncate(self._descriptor(), end)
            os.fsync(self._descriptor())
            del self._starts[number + 1:]
            self._scanned = end

    def count(self, study: str) -> int:
        """The number of complete events of `study` (this file's one study), not parsed."""
        codec.check_study(study)
        self._check_usable()
        with self._thread_lock:
            self._study_header(study)
            return len(self._starts) - 1

    @contextmanager
    def lock(self, study: str) -> Iterator[None]:
        """flock(LOCK_EX) on the file through a descriptor of this call's own, so that
        another thread's lock() waits as another process's does; not reentrant."""
        codec.check_study(study)
        codec.check_not_held(self, study, self._held)
        self._check_usable()
        if not self.path.exists():
            raise StorageError(f"{str(self.path)!r} does not exist")
        with codec.file_lock(self.path, study, self._held, create=False, owner=self):
            yield

    def header(self, study: str) -> dict[str, Any]:
        """The stored header of `study` (this file's one study), without creating it."""
        codec.check_study(study)
        self._check_usable()
        with self._thread_lock:
            return dict(self._study_header(study))

    def studies(self) -> list[str]:
        self._check_usable()
        with self._thread_lock:
            if not self.path.exists() or not self._scan():
                return []
            return [str(self._header().get("study", DEFAULT_STUDY))]

    def delete_study(self, study: str) -> None:
        """Delete the file's study: remove the file, under the append lock, so that an
        append of another process either lands before it or finds no study. A
        StorageError naming `study` and the file's study if it holds another, and while a
        journal's writer (`claim_writer`, this object's included) holds the file.

        Another process attached to the study fails at its next read or append, also
        after a new file has been created at the path (`_scan` compares the file's
        identity). The sidecars ``<path>.lock`` and ``<path>.writer`` stay: deleting a lock
        file another process may hold would let two holders each lock a file of its own.
        """
        codec.check_study(study)
        self._check_usable()
        with self._thread_lock:
            held = self.studies()
            if study not in held:
                raise codec.no_such_study(self, study, held)
            if not _unlocked(self.path.with_name(self.path.name + ".writer")):
                raise StorageError(f"{str(self.path)!r} is being written by a journal's writer "
                                   "(an Optimizer with journal=, or `bayesopt run`): close it "
                                   "or stop it before deleting the study")
            with self._append_lock(study):
                self._study_header(study)  # still this study, still this file
                self.path.unlink()
                _fsync_directory(self.path.parent)
            if self._fd is not None:
                self._owned[0].remove(self._fd)
                os.close(self._fd)
            self._fd = None
            self._reset()

    def close(self) -> None:
        """Close the descriptors (idempotent); the storage cannot be used afterwards."""
        with self._thread_lock:
            self._release()  # once: a second call does nothing
            self._fd = self._sidecar = self._claim = None
            self._closed = True

    def claim_writer(self) -> bool:
        """Make this process the file's only writer until `close()`, as a journal's
        writer is (`_WriterClaims`); True if the process did not hold the claim before.
        StorageError while another process holds it. The writers of a shared study
        never claim it."""
        self._check_usable()
        with self._thread_lock:
            if self._claim is not None:
                return False
            self._claim, fresh = _CLAIMS.acquire(self.path.with_name(self.path.name + ".writer"))
            self._owned[1].append(self._claim)
            return fresh

    def _check_usable(self) -> None:
        """Refuse a closed storage, or one inherited through fork (whose descriptors, and
        so whose flocks, are shared with the parent)."""
        codec.check_process(self, self._pid)
        if self._closed:
            raise ValueError(f"operation on a closed {self!r}")

    # ------------------------------------------------------------ the append lock
    @contextmanager
    def _append_lock(self, study: str, create: bool = False) -> Iterator[None]:
        """flock(LOCK_EX) on <path>.lock for the duration of one write (thread lock held)."""
        self._descriptor(create)  # the data file first: a missing file is not created here
        if self._sidecar is None:
            self._sidecar = _open_sidecar(self._sidecar_path(), self.path)
            self._owned[0].append(self._sidecar)
        codec.flock_exclusive(self._sidecar, lambda: f"{self!r}: the append lock of study "
                              f"{study!r} ({str(self._sidecar_path())!r})")
        self._writing = True
        try:
            yield
        finally:
            self._writing = False
            fcntl.flock(self._sidecar, fcntl.LOCK_UN)

    def _sidecar_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    # ------------------------------------------------------------ helpers
    def _descriptor(self, create: bool = False) -> int:
        if self._fd is None:
            flags = os.O_RDWR | os.O_APPEND | (os.O_CREAT if create else 0)
            try:
                self._fd = os.open(self.path, flags, 0o644)
            except OSError as error:  # a read-only file or mount can still be read and locked
                if error.errno not in _READ_ONLY:
                    raise
                try:
                    self._fd = os.open(self.path, os.O_RDONLY)
                except FileNotFoundError:  # nothing to read: why it cannot be created is the error
                    raise error from None
                self._read_only = error
            self._owned[0].append(self._fd)
        return self._fd

    def _check_writable(self) -> None:
        """StorageError naming the file and why, if `_descriptor` could only open it to read
        (another user's file, a chmod 444, a read-only mount): writing through that
        descriptor failed with EBADF, which named neither."""
        if self._read_only is not None:
            raise StorageError(
                f"cannot write {str(self.path)!r} ({self._read_only.strerror}): a file this "
                "process cannot write can only be read (Optimizer.resume(path, append=False), "
                "`bayesopt show`, `bayesopt plot`)")

    def _reset(self) -> None:
        self._starts, self._scanned, self._warned_tail = array("q"), 0, -1
        self._header_cache = None

    def _scan(self) -> int:
        """Index the complete lines added since the last scan; the number of lines."""
        # The descriptor, open from the first scan on, keeps the file read so far from being
        # freed: a file created at the path since has another inode (a study deleted and
        # created again, whose numbering restarts), and this object must not read on. The
        # bytes are read through that descriptor, the file just checked: a file renamed
        # over the path after the check is not read (the next scan refuses it).
        held, status = os.fstat(self._descriptor()), self.path.stat()
        if held.st_nlink == 0 or (held.st_dev, held.st_ino) != (status.st_dev, status.st_ino):
            raise self._replaced()
        if held.st_size < self._scanned:  # the file was shortened below what was seen
            self._reset()
        fd, at = self._descriptor(), self._scanned
        line, filled = at, False  # where the last line begins; whether it holds non-whitespace
        while chunk := os.pread(fd, BLOCK, at):  # to the end, however far it grew meanwhile
            pieces, starts = chunk.split(b"\n"), []  # pieces[0] continues `line`
            for piece in pieces[:-1]:
                at += len(piece) + 1
                if filled or piece.strip():  # a line of whitespace only is no event
                    starts.append(line)
                line, filled = at, False
            filled = filled or bool(pieces[-1].strip())
            at += len(pieces[-1])
            self._starts.extend(starts)
            self._scanned = line
        if filled:
            self._torn_tail(self._scanned)
        return len(self._starts)

    def _replaced(self) -> StorageError:
        return StorageError(f"{str(self.path)!r} was deleted or replaced since {self!r} "
                            "read it (the study deleted, `bayesopt delete-study`): open "
                            "the storage again")

    def _torn_tail(self, position: int) -> None:
        """Warn once about a torn last line, unless a writer may still be writing it."""
        if position == self._warned_tail or not (self._writing or self._no_writer()):
            return
        self._warned_tail = position
        warnings.warn(
            f"journal {str(self.path)!r}: the last line is incomplete (the process was "
            "probably killed while writing it) and is skipped", TruncatedJournalWarning,
            stacklevel=caller_level(),
        )

    def _no_writer(self) -> bool:
        """True if no process holds the append lock."""
        return _unlocked(self._sidecar_path())

    def _drop_torn_tail(self) -> None:
        if os.fstat(self._descriptor()).st_size > self._scanned:
            os.ftruncate(self._descriptor(), self._scanned)

    def _read_at(self, start: int, end: int) -> bytes:
        """The bytes of the held descriptor's file from `start` to `end` (scanned before),
        read with pread(2): the file `_scan` checked, whatever is at the path now."""
        fd, chunks = self._descriptor(), []
        while start < end:
            chunk = os.pread(fd, end - start, start)
            if not chunk:
                raise StorageError(f"{str(self.path)!r} was shortened by another program "
                                   f"while {self!r} read it: open the storage again")
            chunks.append(chunk)
            start += len(chunk)
        return b"".join(chunks)

    def _texts(self, first: int, last: int) -> Iterator[tuple[int, bytes]]:
        """(number, text) of the lines number `first` to `last` - 1 (0: the header), read
        a block of at most `BLOCK` bytes at a time, or one line at a time if it is longer
        (`_long_line`)."""
        number = first
        while number < last:
            start, stop = self._starts[number], number + 1
            while stop < last and self._end(stop) - start <= BLOCK:
                stop += 1
            if stop == number + 1 and self._end(number) - start > BLOCK:
                yield number, self._long_line(number)
            else:  # the block holds whole lines, and between them lines of whitespace only
                data = self._read_at(start, self._end(stop - 1))
                texts = [line for line in data.split(b"\n")[:-1] if line.strip()]
                if len(texts) != stop - number:
                    raise StorageError(f"{str(self.path)!r} was rewritten by another program "
                                       f"while {self!r} read it: open the storage again")
                yield from zip(range(number, stop), texts)
            number = stop

    def _end(self, number: int) -> int:
        """Where line `number` and the lines of whitespace after it end."""
        return self._starts[number + 1] if number + 1 < len(self._starts) else self._scanned

    def _long_line(self, number: int) -> bytes:
        """Line `number`, longer than `BLOCK` with what follows it: its length measured a
        block at a time, and the line read only if it is at most `codec.MAX_TEXT_BYTES`
        long (else the StorageError of `codec.too_long`)."""
        start = at = self._starts[number]
        while (newline := self._read_at(at, min(at + BLOCK, self._end(number))).find(b"\n")) < 0:
            at += BLOCK
        length = at + newline - start
        if length > codec.MAX_TEXT_BYTES:
            raise codec.too_long(self._where(number), length, self._read_at(start, start + 40))
        return self._read_at(start, start + length)

    def _header(self) -> dict[str, Any]:
        if self._header_cache is None:
            header = self._parse(next(self._texts(0, 1))[1], 0)
            if "study" not in header and "journal" not in header:
                raise StorageError(
                    f"{str(self.path)!r} is not a bayesopt study or journal: its first line "
                    f"(keys {sorted(header)[:6]}) is no bayesopt header, which names its "
                    '"study" (or "journal", before format 2); another program wrote it (an '
                    "Optuna JournalStorage file?), so it is neither read nor written nor "
                    "deleted: give bayesopt a file of its own")
            try:  # a name no storage accepts (a NUL, "", not text): the file's, not the caller's
                codec.check_study(header.get("study", DEFAULT_STUDY))
            except (TypeError, ValueError) as error:
                raise StorageError(f"{str(self.path)!r}, line 1: the header's {error}") from None
            self._header_cache = header
        return self._header_cache

    def _parse(self, line: bytes, number: int) -> dict[str, Any]:
        return codec.decode_object(line, self._where(number))

    def _where(self, number: int) -> str:
        return f"journal {str(self.path)!r}, line {number + 1}"

    def _study_header(self, study: str) -> dict[str, Any]:
        """The file's header after a scan, checked to be `study`'s; StorageError if the
        file is gone or holds no complete header line."""
        if not self.path.exists() and self._starts:  # read here before: deleted since
            raise self._replaced()
        if not self.path.exists() or not self._scan():
            raise StorageError(f"{str(self.path)!r} holds no study (no header line)")
        header = self._header()
        self._check_name(study, header)
        return header

    def _check_name(self, study: str, header: dict[str, Any]) -> None:
        stored = header.get("study", DEFAULT_STUDY)
        if "study" in header and stored != study:
            raise StorageError(f"{str(self.path)!r} holds the study {stored!r}, not {study!r} "
                               "(a JSON-lines file holds one study)")

    def _write(self, lines: Sequence[str]) -> None:
        data = "".join(line + "\n" for line in lines).encode("utf-8")
        fd = self._descriptor()
        written = 0
        while written < len(data):  # one write(2) in practice; a short write goes on
            written += os.write(fd, data[written:])
        os.fsync(fd)


class _WriterClaims:
    """This process's claims on journal files: flock(LOCK_EX | LOCK_NB) on
    ``<path>.writer``, one descriptor per file however many storage objects of the process
    hold it (an optimizer dropped without `close()` gives its own back when it is garbage
    collected), released with the last holder or by the kernel when the process dies."""

    def __init__(self) -> None:
        # reentrant: a dropped storage's finalizer calls `release`, and the cyclic collector
        # that runs it may start at any allocation, `acquire`'s under this lock included;
        # neither method allocates between reading and updating an entry
        self._lock = threading.RLock()
        self._held: dict[tuple[int, int], list[int]] = {}  # (st_dev, st_ino): [fd, holders]
        self._pid = os.getpid()

    def acquire(self, path: Path) -> tuple[tuple[int, int], bool]:
        """(the claim's key, whether the process did not hold it before)."""
        with self._lock:
            if self._pid != os.getpid():  # a forked child holds none of its parent's claims
                self._held, self._pid = {}, os.getpid()
            fd = _open_sidecar(path, path.with_name(path.name.removesuffix(".writer")))
            status = os.fstat(fd)
            key = (status.st_dev, status.st_ino)
            if key in self._held:
                os.close(fd)
                self._held[key][1] += 1
                return key, False
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise StorageError(
                    "it is being written by another process, and a journal has one writer: "
                    "read it with Optimizer.resume(path, append=False) or `bayesopt show`, "
                    "and let several processes share a study with storage= and study="
                ) from None
            self._held[key] = [fd, 1]
            return key, True

    def release(self, key: tuple[int, int]) -> None:
        with self._lock:
            held = self._held.get(key)
            if held is None or self._pid != os.getpid():
                return
            held[1] -= 1
            if held[1] == 0:
                os.close(held[0])
                del self._held[key]


_CLAIMS = _WriterClaims()


def _open_sidecar(path: Path, data: Path) -> int:
    """A descriptor of the lock file `path` beside the data file `data`, created if missing;
    StorageError naming both where the directory or the file cannot be written (the lock
    files are written to, the data file is only read: reading needs no write access)."""
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:
        if error.errno not in _READ_ONLY:
            raise
        raise StorageError(
            f"cannot open {str(path)!r} for writing ({error.strerror}): writing to "
            f"{str(data)!r} takes this lock file beside it; a file in a directory this "
            "process cannot write can only be read (Optimizer.resume(path, append=False), "
            "`bayesopt show`, `bayesopt plot`)") from None


def _release(pid: int, descriptors: list[int], claims: list[tuple[int, int]]) -> None:
    """Close a storage's descriptors and release its writer claims (`JSONLStorage.close`,
    or its finalizer); in a forked child, which shares them with its parent, only forget
    them."""
    if os.getpid() == pid:
        for fd in descriptors:
            os.close(fd)
        for key in claims:
            _CLAIMS.release(key)
    descriptors.clear()
    claims.clear()


def _unlocked(path: Path) -> bool:
    """True if no process holds a flock on `path` (the append lock, a writer claim), tested
    by taking and releasing it through a descriptor of this call's own."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:  # never locked by this version: not locked now either
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


def _fsync_directory(directory: Path) -> None:
    """Make a new file's directory entry durable as well as its contents (fsync(2) on
    the directory, POSIX)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

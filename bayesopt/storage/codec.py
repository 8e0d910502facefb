"""Argument checks, JSON encoding and the file lock shared by the storages.

A study is named by a non-empty string. A header and each event are JSON objects
(dicts with string keys) stored as compact JSON text (RFC 8259); NaN and ±inf are not
JSON numbers and are refused rather than written as the non-standard `NaN`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Container, Iterator, Mapping, MutableSet, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_SEPARATORS = (",", ":")


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
    from bayesopt.storage import StorageError

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
    """lock() is not reentrant: a second lock() of one study by one storage would wait for itself."""
    if study in held:
        raise RuntimeError(
            f"study {study!r} is already locked by {storage!r} (lock() is not reentrant)"
        )


@contextmanager
def file_lock(path: Path, study: str, held: MutableSet[str], *, create: bool) -> Iterator[None]:
    """flock(LOCK_EX) on `path` through a descriptor of this call's own, so that another
    thread's lock waits as another process's does; `study` is in `held` meanwhile. The
    kernel releases the lock when the descriptor is closed, or its process dies."""
    import fcntl  # POSIX: imported here, so that importing a storage module never needs it

    fd = os.open(path, os.O_RDWR | os.O_CREAT if create else os.O_RDONLY, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        held.add(study)
        try:
            yield
        finally:
            held.discard(study)
    finally:
        os.close(fd)  # closing the only descriptor of this lock releases it


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
        return json.dumps(dict(value), allow_nan=False, separators=_SEPARATORS)
    except (TypeError, ValueError) as error:  # a non-JSON value, a NaN, a non-str key
        raise type(error)(f"{key}={value!r} is not a JSON object: {error}") from error


def encode_events(events: Any) -> list[str]:
    """A sequence of events (JSON objects) as JSON texts."""
    if isinstance(events, (str, bytes, Mapping)) or not isinstance(events, Sequence):
        raise TypeError(f"events={events!r} must be a list of dicts")
    return [encode_object(f"events[{i}]", event) for i, event in enumerate(events)]


def decode_object(text: str) -> dict[str, Any]:
    value = json.loads(text)
    assert isinstance(value, dict), f"stored JSON is not an object: {text[:80]!r}"
    return value


def decode_events(rows: Sequence[tuple[int, str]], first: int) -> list[dict[str, Any]]:
    """The events of stored rows (number, JSON text), which number `first`, `first + 1`, …"""
    assert all(seq == first + i for i, (seq, _) in enumerate(rows)), "gap in event numbers"
    return [decode_object(body) for _, body in rows]

"""An append-only journal of an optimization: one JSON object per line.

Format (version 1):

    {"journal": "bayesopt", "version": 1, "library": "0.2.0", "space": {...},
     "config": {"acquisition": ..., "n_initial": ..., "seed": ..., "maximize": ...,
                "ucb_beta": ..., "options": {"model": {"kernel": ..., ...}, ...}},
     "fingerprint": "…16 hex…", "resolved_config": {...}}

`fingerprint` and `resolved_config` (`Optimizer.fingerprint`, since 0.2.0)
identify the algorithm; they are for readers and are not needed to resume.
    {"event": "ask", "points": [[...], ...], "state": {...}}
    {"event": "tell", "points": [[...], ...], "values": [...], "state": {...}}
    {"event": "failure", "points": [[...], ...], "errors": [...], "state": {...}}

A point is a list with one entry per dimension, in the space's order: the
number itself for Real and Integer dimensions, the *index* of the choice for
Categorical ones — so any hashable choice round-trips exactly, and loading
never executes code (plain JSON, no pickle). `state` is what the optimizer
needs to continue exactly where it was: the random generator's state, how
much of the initial design was used, and the surrogate's hyperparameters and
size (see `Optimizer.resume`).

Every line is flushed and fsync'ed before the call that wrote it returns, so
a crash loses at most the line being written; a truncated last line is
skipped with a warning when the journal is read.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from bayesopt.space import Categorical, Space

JOURNAL_FORMAT = "bayesopt"
JOURNAL_VERSION = 1


class JournalError(ValueError):
    """The journal cannot be read or does not belong to this optimizer."""


class TruncatedJournalWarning(UserWarning):
    """The journal's last line was cut off (a crash mid-write) and was skipped."""


def encode_point(space: Space, params: Mapping[str, Any]) -> list[Any]:
    """A validated point as a JSON list: numbers as they are, categories by index."""
    row: list[Any] = []
    for dim in space.dimensions:
        value = params[dim.name]  # type: ignore[index]
        row.append(dim.choices.index(value) if isinstance(dim, Categorical) else value)
    return row


def decode_point(space: Space, row: Any) -> dict[str, Any]:
    """The inverse of `encode_point`, validated like a tell."""
    if not isinstance(row, list) or len(row) != space.n_dims:
        raise JournalError(f"journal point {row!r} does not have {space.n_dims} entries")
    params: dict[str, Any] = {}
    for dim, raw in zip(space.dimensions, row):
        if isinstance(dim, Categorical):
            if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw < len(dim.choices):
                raise JournalError(f"dimension {dim.name!r}: {raw!r} is not a category index")
            raw = dim.choices[raw]
        params[dim.name] = raw  # type: ignore[index]
    try:
        return space.validate(params)
    except (TypeError, ValueError) as error:
        raise JournalError(f"invalid point in journal: {error}") from None


def comparable_space(spec: Mapping[str, Any]) -> list[Any]:
    """A space definition as it reads back from JSON (tuples become lists, other
    non-JSON choices their repr), as an ordered list: order matters, points are
    stored by position."""
    return list(json.loads(json.dumps(spec, default=repr)).items())


class JournalWriter:
    """Appends events to a journal file, each one flushed and fsync'ed."""

    def __init__(self, handle: IO[str]) -> None:
        self._handle = handle

    @classmethod
    def create(cls, path: str | os.PathLike[str], header: Mapping[str, Any]) -> JournalWriter:
        """Start a new journal; refuses to overwrite one that holds a run.

        A file without a single complete line (a run killed while writing its
        header) holds nothing and is started over.
        """
        path = Path(path)
        if holds_a_run(path):
            raise JournalError(
                f"journal {str(path)!r} already exists; continue it with "
                f"Optimizer.resume({str(path)!r}) or choose another file"
            )
        writer = cls(open(path, "w", encoding="utf-8"))  # noqa: SIM115 - the writer owns the file
        writer.write(header)
        _fsync_directory(path.parent)
        return writer

    @classmethod
    def reopen(cls, path: str | os.PathLike[str], valid_bytes: int) -> JournalWriter:
        """Continue a journal after its first `valid_bytes` bytes (drops a torn last line)."""
        with open(path, "r+b") as raw:
            raw.truncate(valid_bytes)
        return cls(open(path, "a", encoding="utf-8"))

    def write(self, event: Mapping[str, Any]) -> None:
        # default=repr: a categorical's non-JSON choices (enums, frozensets) are written
        # as their repr in the header; points refer to choices by index, so nothing is lost
        line = json.dumps(event, allow_nan=False, separators=(",", ":"), default=repr)
        self._handle.write(line + "\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        self._handle.close()


def _fsync_directory(directory: Path) -> None:
    """Make a new file's directory entry durable as well as its contents (POSIX fsync(2)
    on the directory; other systems cannot open a directory and need no such step)."""
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def holds_a_run(path: str | os.PathLike[str]) -> bool:
    """True if the file exists and has at least one complete line (a header)."""
    path = Path(path)
    return path.exists() and b"\n" in path.read_bytes()


def read_journal(path: str | os.PathLike[str]) -> tuple[dict[str, Any], list[dict[str, Any]], int]:
    """(header, events, number of valid bytes). A torn last line is skipped with a warning."""
    data = Path(path).read_bytes()
    lines = data.split(b"\n")
    complete, tail = lines[:-1], lines[-1]  # the part after the last newline is incomplete
    valid_bytes = len(data) - len(tail)
    if tail.strip():
        warnings.warn(
            f"journal {str(path)!r}: the last line is incomplete (the process was probably "
            "killed while writing it) and is skipped", TruncatedJournalWarning, stacklevel=3,
        )
    objects = [_parse(line, number, path) for number, line in enumerate(complete, 1) if line.strip()]
    if not objects:
        raise JournalError(f"journal {str(path)!r} is empty")
    header, events = objects[0], objects[1:]
    _check_header(header, path)
    return header, events, valid_bytes


def _parse(line: bytes, number: int, path: str | os.PathLike[str]) -> dict[str, Any]:
    try:
        value = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise JournalError(f"journal {str(path)!r}, line {number}: not valid JSON ({error})") from None
    if not isinstance(value, dict):
        raise JournalError(f"journal {str(path)!r}, line {number}: expected a JSON object")
    return value


def _check_header(header: Mapping[str, Any], path: str | os.PathLike[str]) -> None:
    if header.get("journal") != JOURNAL_FORMAT:
        raise JournalError(f"{str(path)!r} is not a bayesopt journal (no header line)")
    if header.get("version") != JOURNAL_VERSION:
        raise JournalError(
            f"journal {str(path)!r} has format version {header.get('version')!r}; "
            f"this library reads version {JOURNAL_VERSION}"
        )
    for key in ("space", "config"):
        if not isinstance(header.get(key), dict):
            raise JournalError(f"journal {str(path)!r}: header has no {key!r} table")
    missing = [key for key in CONFIG_KEYS if key not in header["config"]]
    if missing:
        raise JournalError(f"journal {str(path)!r}: header config lacks {missing}")


CONFIG_KEYS = ("acquisition", "n_initial", "seed", "maximize", "ucb_beta", "options")


def points_of(event: Mapping[str, Any], space: Space) -> list[dict[str, Any]]:
    points = event.get("points")
    if not isinstance(points, Sequence) or isinstance(points, str):
        raise JournalError(f"journal event {dict(event)!r} has no list of points")
    return [decode_point(space, row) for row in points]

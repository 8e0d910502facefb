"""Storages: append-only logs of JSON events per study.

Placeholder holding only the protocol shared with the optimizer; the registry and
`open_storage` land with the event-fold rewrite of the optimizer.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol


class Storage(Protocol):
    """An append-only log of JSON events per study. Events of a study are numbered 0, 1, 2, ... gaplessly in append order."""

    def create_or_attach(self, study: str, header: dict[str, Any]) -> dict[str, Any]:
        """If `study` does not exist, store `header` (a JSON object) and return it; otherwise return the stored header unchanged (the caller compares)."""

    def read(self, study: str, offset: int = 0) -> list[dict[str, Any]]:
        """The events numbered offset, offset+1, ... (JSON objects, in order). Raises KeyError-free ValueError for an unknown study."""

    def append(self, study: str, events: Sequence[dict[str, Any]]) -> int:
        """Append the events atomically (all or none) and durably (committed/fsync'ed when it returns); return the number of the first. Safe with or without holding lock()."""

    def lock(self, study: str) -> AbstractContextManager[None]:
        """An exclusive lock on the study across processes (and machines, for PostgreSQL); released by the OS/server when the holder dies (flock, advisory lock bound to the session). Reentrant within one Storage object is not required."""

    def studies(self) -> list[str]:
        """Names of the studies held."""

    def close(self) -> None: ...

"""A process using a storage, for the multi-process and kill -9 tests of tests/test_storage.py.

    python storage_worker.py KIND WHERE STUDY MODE WORKER [COUNT [START_AT]]

KIND is jsonl or sqlite (WHERE a file) or postgresql (WHERE a URL); the storage is opened at
the time.time() START_AT (so that several workers open it together). MODE:
  locked    COUNT times: under the study lock, read the study and append one event
            {"worker", "i", "seen"}; exits 3 if the event's number is not `seen`
            (someone appended while this process held the lock).
  batches   COUNT times (forever if COUNT is 0): under the lock append a batch of three
            events {"worker", "batch", "part"} (after a LockLost, reading the study and
            appending again); prints the batch's first number once the append has returned.
  hold      take the lock, print "locked", sleep until killed.
  hold-append  (jsonl) take the file's append lock, print "locked", sleep until killed.
  create    create the study with header {"worker": WORKER} or attach to it; print the
            stored header's worker (opening a fresh database creates its schema).
"""

from __future__ import annotations

import sys
import time
from typing import Any


def open_location(kind: str, where: str) -> Any:
    """A storage object of `kind` at `where` (a file for jsonl and sqlite, a URL for
    postgresql)."""
    if kind == "jsonl":
        from bayesopt.storage.jsonl import JSONLStorage

        return JSONLStorage(where)
    if kind == "sqlite":
        from bayesopt.storage.sqlite import SQLiteStorage

        return SQLiteStorage(where)
    if kind == "postgresql":
        from bayesopt.storage.postgres import PostgresStorage

        return PostgresStorage(where)
    raise ValueError(f"unknown storage kind {kind!r}")


def locked(storage: Any, study: str, worker: int, count: int) -> int:
    for i in range(count):
        with storage.lock(study):
            seen = len(storage.read(study))
            if storage.append(study, [{"worker": worker, "i": i, "seen": seen}]) != seen:
                return 3
    return 0


def batches(storage: Any, study: str, worker: int, count: int) -> int:
    batch = 0
    while count == 0 or batch < count:
        events = [{"worker": worker, "batch": batch, "part": part} for part in range(3)]
        with storage.lock(study):
            first = _append_under_lock(storage, study, events)
        print(first, flush=True)
        batch += 1
    return 0


def _append_under_lock(storage: Any, study: str, events: list[dict[str, Any]]) -> int:
    """Append as the protocol asks of a lock holder: a lock lost to a server restart
    (LockLost, nothing appended) means read what was appended meanwhile, then again."""
    from bayesopt.storage import LockLost

    while True:
        try:
            return int(storage.append(study, events))
        except LockLost:
            storage.read(study)


def hold(storage: Any, study: str) -> int:
    with storage.lock(study):
        print("locked", flush=True)
        time.sleep(600)
    return 0


def hold_append(storage: Any, study: str) -> int:
    with storage._append_lock(study):
        print("locked", flush=True)
        time.sleep(600)
    return 0


def main(argv: list[str]) -> int:
    kind, where, study, mode, worker = argv[:5]
    count = int(argv[5]) if len(argv) > 5 else 0
    start_at = float(argv[6]) if len(argv) > 6 else 0.0  # time.time() to open the storage at
    time.sleep(max(0.0, start_at - time.time()))
    storage = open_location(kind, where)
    try:
        if mode == "locked":
            return locked(storage, study, int(worker), count)
        if mode == "batches":
            return batches(storage, study, int(worker), count)
        if mode == "hold":
            return hold(storage, study)
        if mode == "hold-append":
            return hold_append(storage, study)
        if mode == "create":
            print(storage.create_or_attach(study, {"worker": int(worker)})["worker"], flush=True)
            return 0
        raise ValueError(f"unknown mode {mode!r}")
    finally:
        storage.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

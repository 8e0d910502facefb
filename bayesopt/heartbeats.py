"""Heartbeats of the evaluations a run has in flight, sent from one background thread.

    running  : the runs this run is evaluating (`Dispatch`: asked, resumed from a
               journal, or a warm-start point added pending as it starts,
               `bayesopt.parallel.start_warm`), each beaten by its run id (None: by
               its params)
    interval : `HEARTBEAT_FRACTION` · pending_timeout seconds between two heartbeats

Rule: with ``pending_timeout`` = s a point expires when more than s seconds pass
between two of its signs of life (`bayesopt.state`). A heartbeat every s/3 means
a point survives two heartbeats in a row that are lost or late (a busy storage,
the optimizer's lock held by an ask in the same process, a paused process) and
expires only when its worker has been silent for the whole timeout — about s
after its last heartbeat for a worker that was killed. Without a timeout nothing
runs: no thread, and no heartbeat event in the journal or study.

Thread safety: the thread and the loop share the optimizer's lock. The thread
holds it from reading `running` to recording the heartbeat, and the loop holds
it to remove a point, so once `finish` returns no heartbeat of that point can
follow (its tell comes next). The thread is joined on every way out of the run,
Ctrl-C included (`close`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, final

from bayesopt.optimizer import Optimizer, optimizer_lock
from bayesopt.storage import StorageError

if TYPE_CHECKING:
    from types import TracebackType

    from bayesopt.parallel import Dispatch

__all__ = ["HEARTBEAT_FRACTION", "Heartbeats"]

logger = logging.getLogger(__name__)

HEARTBEAT_FRACTION = 1 / 3  # of pending_timeout between two heartbeats (module docstring)


@final
class Heartbeats:
    """See the module docstring; a context manager whose exit stops and joins the thread."""

    def __init__(self, opt: Optimizer, pending_timeout: float | None) -> None:
        assert pending_timeout is None or pending_timeout > 0, "a positive timeout"
        self.opt = opt
        self.lock = optimizer_lock(opt)  # shared with the loop (module docstring)
        self.running: list[Dispatch] = []
        self.interval = None if pending_timeout is None else HEARTBEAT_FRACTION * pending_timeout
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Heartbeats:
        if self.interval is not None:
            self._thread = threading.Thread(target=self._beat_until_stopped,
                                            name="bayesopt-heartbeat", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Stop the thread and wait for it; a second Ctrl-C meanwhile is raised after."""
        self._stop.set()
        interrupted: KeyboardInterrupt | None = None
        while self._thread is not None and self._thread.is_alive():
            try:
                self._thread.join()
            except KeyboardInterrupt as again:
                interrupted = again
        self._thread = None
        if interrupted is not None:
            raise interrupted

    @contextmanager
    def evaluating(self, dispatch: Dispatch) -> Iterator[None]:
        """Send heartbeats of `dispatch`'s run while the block runs (`start`, then `finish`)."""
        self.start(dispatch)
        try:
            yield
        finally:
            self.finish(dispatch)

    def start(self, dispatch: Dispatch) -> None:
        """Send heartbeats of `dispatch`'s run from now on, if it is pending (a warm-start
        point is not with a Fidelity, which refuses `Optimizer.add_pending`)."""
        if self._thread is None:
            return
        with self.lock:
            if dispatch.params in self.opt.pending:
                self.running.append(dispatch)

    def finish(self, dispatch: Dispatch) -> None:
        """Send no more heartbeats of `dispatch`'s run (its evaluation ended, or was
        abandoned)."""
        with self.lock:
            self.running = [d for d in self.running if d is not dispatch]

    def finish_all(self) -> None:
        with self.lock:
            self.running = []

    def _beat_until_stopped(self) -> None:
        assert self.interval is not None
        while not self._stop.wait(self.interval):
            with self.lock:
                if self.running:
                    self._beat()

    def _beat(self) -> None:
        """One heartbeat of every running point, each of the run it was dispatched as
        (named by its run id; by its params for a point added by `add_pending` before
        0.8.0, which has none: `Dispatch`); a point that is no longer pending (it timed out
        while the process was stalled, or another worker cancelled it) is dropped with a
        warning in the log, and the others are sent without it. A storage that fails is logged and
        tried again at the next beat."""
        named = [(d.params, d.run) for d in self.running if d.run is not None]
        unnamed = [d for d in self.running if d.run is None]
        try:
            if named:
                self.opt.heartbeat([p for p, _ in named], run=[r for _, r in named])
            if unnamed:
                self.opt.heartbeat([d.params for d in unnamed])
            return
        except StorageError as error:
            logger.warning("heartbeat of %d running point(s) failed, tried again in %.3g s: "
                           "%s", len(self.running), self.interval, error)
            return
        except ValueError:
            pass  # one of them is no longer pending: each on its own
        for dispatch in list(self.running):
            try:
                self.opt.heartbeat(dispatch.params, run=dispatch.run)
            except StorageError as error:
                logger.warning("heartbeat of %s failed, tried again in %.3g s: %s",
                               dispatch.params, self.interval, error)
            except ValueError as error:
                logger.warning("%s; no more heartbeats are sent for it", error)
                self.finish(dispatch)

"""Evaluations on a Dask cluster, waited for on Dask's own futures.

`Client.get_executor()` wraps each Dask future in a `concurrent.futures.Future`
and copies the outcome across in a coroutine on the client's event loop. When
a finished evaluation's result is lost with its worker before it is gathered
(Dask logs "Couldn't gather keys, rescheduling") and the evaluation run again
then fails (`KilledWorker`), the gather inside that coroutine raises, the
wrapper's exception is never set, and a loop waiting on the wrapper waits
forever. So a `dask.distributed.Client` passed to `minimize` is used through
`DaskPool` instead: evaluations are submitted with `client.submit(...,
pure=False)`, waited for with `distributed.wait(..., return_when=
"FIRST_COMPLETED")`, and read from the future's own status:

- "finished": the result is gathered in the calling thread, so a gather that
  fails (the result lost with its worker, its re-run failed) raises here and
  is told as that evaluation's failure;
- "error": a failure of Dask, not of the objective (`evaluate_in_worker`
  catches those): `KilledWorker` for an evaluation whose workers died
  `distributed.scheduler.allowed-failures` + 1 times, or an objective the
  worker cannot unpickle. Told as a failed evaluation with Dask's error;
  one Dask lost (`KilledWorker`, no worker: `lost_reason`) is an outcome
  "lost", whose streak stops the run saying so (`bayesopt.failures`);
- "cancelled": the cluster closed or the client lost its scheduler; the loop
  stops with a RuntimeError (`AsyncLoop._refuse_cancelled`);
- "pending" and "lost" (a result lost with its worker): Dask is computing it
  (again), so it is not done and the loop keeps waiting.

No timeout bounds the wait: every way the loop could be left waiting on a
Dask future is a state Dask itself ends, by running the evaluation again,
failing it (`KilledWorker`) or cancelling it (client closed, scheduler lost).
A cluster left with no worker at all (its last one killed, with no nanny or
cluster manager to start another; or closed by a `SpecCluster` such as
`LocalCluster` because its restart took longer than
``distributed.deploy.lost-worker-timeout``) keeps its evaluations pending, as it keeps
any Dask computation, and the run waits in `distributed.wait`; Dask's own
bound is the scheduler's ``distributed.scheduler.no-workers-timeout`` (unset by
default), after which it fails each such task ("timed out waiting without any
running workers"), told as a failed evaluation (lost: `lost_reason`), so the
run's stop rule (`bayesopt.failures`) ends it, saying the cluster had no worker.
It is the scheduler's setting, not the client's: this module sets nothing on a
cluster it does not own. So that such a wait is not silent, the loop looks at the
cluster every `NO_WORKER_CHECK` seconds in which no evaluation ended, and warns once
(`DaskNoWorkersWarning`) when it has no worker, again only after workers came back.

`Client.get_executor()` passed as `executor=` is a plain
`concurrent.futures.Executor` and runs through that generic path, wrapper
and all, with a `DaskExecutorWarning`; pass the client itself.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable
from concurrent.futures import CancelledError
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bayesopt.parallel import Outcome


# Dask's errors for an evaluation its cluster lost (by class name: distributed is not
# imported for a plain executor), each with what happened, for the stop rule's message
_LOST = {
    "NoWorkerError": "the Dask cluster had no running worker for longer than "
                     "distributed.scheduler.no-workers-timeout (its workers gone or killed)",
    "NoValidWorkerError": "no Dask worker matched the task's restrictions for longer than "
                          "distributed.scheduler.no-workers-timeout",
    "KilledWorker": "the Dask workers running it died (killed, out of memory, their node "
                    "lost — or crashed by the objective)",
}


def lost_reason(error: BaseException) -> str | None:
    """What happened to an evaluation whose Dask future failed with `error`, if Dask lost it
    (no worker to run it, or its workers died) rather than the objective raising; else None."""
    kind = type(error)
    return _LOST.get(kind.__name__) if kind.__module__.startswith("distributed") else None


NO_WORKER_CHECK = 30.0  # seconds without an evaluation ending between two looks at the workers


class DaskNoWorkersWarning(UserWarning):
    """The Dask cluster has no worker while evaluations wait: Dask keeps them pending
    until a worker joins, or fails them after the scheduler's
    ``distributed.scheduler.no-workers-timeout``."""


class DaskExecutorWarning(UserWarning):
    """`executor=client.get_executor()`: its futures can leave the run waiting forever
    after a worker is killed (module docstring); pass the client itself."""


def is_client_executor(executor: Any) -> bool:
    """Whether `executor` is a `distributed` ``Client.get_executor()`` (by its class, so
    that distributed is not imported for a plain executor)."""
    kind = type(executor)
    return kind.__name__ == "ClientExecutor" and kind.__module__.startswith("distributed")


class DaskEvaluation:
    """One evaluation's Dask future, read (`settle`) once Dask says it is done.

    Offers the part of `concurrent.futures.Future`'s interface that
    `bayesopt.parallel.AsyncLoop` reads: `cancelled`, `exception`, `result`,
    `cancel`.
    """

    def __init__(self, future: Any) -> None:
        self.future = future  # a distributed.Future
        self._result: Outcome | None = None
        self._error: BaseException | None = None
        self._cancelled = False
        self._settled = False

    def __repr__(self) -> str:
        return f"DaskEvaluation({self.future!r})"

    def done(self) -> bool:
        """Finished, failed or cancelled by Dask ("lost" is not done: it runs again)."""
        return bool(self.future.done())

    def settle(self) -> None:
        """Read the outcome of a done future; a finished one's result is gathered now
        (if it was lost with its worker since, the gather waits for it to run again)."""
        status = self.future.status
        if status == "cancelled":
            self._cancelled = True
        elif status == "error":
            error = self.future.exception()
            self._error = error.with_traceback(self.future.traceback())
        else:
            try:
                self._result = self.future.result()
            except CancelledError:  # the cluster closed during the gather
                self._cancelled = True
            except Exception as error:  # noqa: BLE001 - told as this evaluation's failure
                self._error = error  # e.g. KilledWorker: lost with its worker, re-run failed
        self._settled = True

    def cancelled(self) -> bool:
        assert self._settled, f"{self!r} read before it was settled"
        return self._cancelled

    def exception(self) -> BaseException | None:
        if self.cancelled():
            raise CancelledError(f"{self!r} was cancelled by Dask")
        return self._error

    def result(self) -> Outcome:
        error = self.exception()
        if error is not None:
            raise error
        assert self._result is not None, f"{self!r} finished without a result"
        return self._result

    def cancel(self) -> bool:
        """Ask Dask to cancel the evaluation, unless it is done or its client is closed
        (which refuses the request: nothing can run for it any more)."""
        if self.done() or self.future.client.status in ("closing", "closed"):
            return False
        self.future.cancel()
        return True


class DaskPool:
    """A `dask.distributed.Client` with the interface the loop needs: `submit` and
    `wait_first`. The caller's client: never shut down here."""

    def __init__(self, client: Any, no_worker_check: float = NO_WORKER_CHECK) -> None:
        self.client = client
        self.no_worker_check = no_worker_check
        self._said_no_workers = False

    def __repr__(self) -> str:
        return repr(self.client)

    def submit(self, fn: Callable[..., Outcome], *args: Any) -> DaskEvaluation:
        """Submit one evaluation; `pure=False`: each submission is its own task."""
        return DaskEvaluation(self.client.submit(fn, *args, pure=False))

    def wait_first(self, evaluations: list[DaskEvaluation]) -> set[DaskEvaluation]:
        """Wait until one of `evaluations` is done; return those done, settled."""
        import asyncio

        import distributed

        futures = [evaluation.future for evaluation in evaluations]
        # distributed.wait uses the current client, and raises CancelledError when one
        # of the futures is cancelled: settle() reads which from their status
        with self.client.as_current(), contextlib.suppress(CancelledError):
            while True:
                try:
                    distributed.wait(  # type: ignore[no-untyped-call]
                        futures, timeout=self.no_worker_check, return_when="FIRST_COMPLETED")
                    break
                # nothing ended in no_worker_check seconds (asyncio's TimeoutError, which
                # distributed raises, is the builtin one only from Python 3.11)
                except (TimeoutError, asyncio.TimeoutError):
                    self._look_at_workers(len(futures))
        done = {evaluation for evaluation in evaluations if evaluation.done()}
        for evaluation in done:
            evaluation.settle()
        return done

    def _look_at_workers(self, waiting: int) -> None:
        """Warn once when the cluster has no worker (module docstring), and again only
        after workers came back and went."""
        from bayesopt.failures import caller_level

        if self.client.status != "running":
            return
        if self.client.nthreads():
            self._said_no_workers = False
        elif not self._said_no_workers:
            self._said_no_workers = True
            warnings.warn(
                f"{waiting} evaluation(s) are waiting and the Dask cluster has no worker "
                f"(none ended in the last {self.no_worker_check:g} s): Dask keeps them "
                "pending until a worker joins, or fails them after the scheduler's "
                "distributed.scheduler.no-workers-timeout (unset by default); a "
                "LocalCluster closes for good a worker whose restart takes longer than "
                "distributed.deploy.lost-worker-timeout (15 s by default)",
                DaskNoWorkersWarning, stacklevel=caller_level(),
            )

"""Keep k evaluations in flight on any `concurrent.futures.Executor`.

The loop is asynchronous: a result is told the moment it lands, and the
next point is asked with the others still pending, so the optimizer
fantasizes them (kriging believer) and never hands out a point that is
observed or in flight. Nothing here schedules work itself: a process pool
(the default, with the spawn start method) runs it on one machine, and a
`dask.distributed.Client` runs it on a cluster, waited for on Dask's own
futures (`bayesopt.dask_futures`: the futures of `Client.get_executor()` can
be left unresolved when workers are killed).

Faults:
- an exception raised by the objective is caught in the worker and told as
  a failed evaluation with its traceback (an `EvaluationFailed` with its
  message only: `bayesopt.failures` says which failures stop a run);
- a KeyboardInterrupt or SystemExit raised by the objective stops the run,
  as with ``n_workers=1`` (its point stays pending in a journal);
- the run's own process pool ends with its run: a worker whose parent is gone
  (the run killed with SIGKILL, its node lost) exits (`exit_with_parent`);
- Ctrl-C stops the run in its own process only: the workers of its own pool
  take SIGINT without a KeyboardInterrupt (`ignore_interrupts`), and the run,
  stopped by its KeyboardInterrupt, ends those still evaluating at once
  (`OwnPool.stop_workers`), whose points stay pending in a journal;
  a worker never sees that by itself, since it holds its call queue's pipe
  open at both ends, and would idle, or go on evaluating a point whose result
  can no longer be told, for ever;
- a worker process that dies breaks a `ProcessPoolExecutor` and every
  evaluation in flight with it. The pool is rebuilt and the suspects are
  re-run one at a time; the one that breaks the pool alone is told as
  failed ("worker process died"), the others complete normally. Executors
  passed in by the caller are not rebuilt: their in-flight evaluations are
  told as failed and, if the executor refuses new work, the point asked for
  it is cancelled and the run stops with an error saying so;
- on Dask, a worker that dies is Dask's to handle: it runs the evaluations
  the worker held again elsewhere and fails one whose workers keep dying
  (`KilledWorker`), which is told as that evaluation's failure;
- an evaluation the executor cancels (a Dask cluster that closed) stops the
  run with a RuntimeError saying so; its point stays pending in a journal
  (resuming evaluates it first) and is cancelled in a shared study.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import time
import traceback
import types
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, TypeAlias, cast

from bayesopt.dask_futures import (
    DaskEvaluation,
    DaskExecutorWarning,
    DaskPool,
    is_client_executor,
    lost_reason,
)
from bayesopt.failures import EvaluationFailed, caller_level, raise_if_interrupted

if TYPE_CHECKING:  # workers import this module to run the objective: keep it light
    import numpy as np

    from bayesopt.heartbeats import Heartbeats
    from bayesopt.optimizer import Optimizer
    from bayesopt.validation import Number

# returns a value, or (value, outcome-constraint values); numbers as `tell` takes them
Objective: TypeAlias = (
    "Callable[[dict[str, Any]], Number | tuple[Number, Sequence[Number] | np.ndarray]]")


class Outcome(NamedTuple):
    """What one evaluation produced."""

    # "ok", "failed" (an EvaluationFailed: part of the problem), "error" (an exception) or
    # "lost" (the executor lost it: its Dask workers died, or there were none)
    status: str
    payload: Any  # the value returned, the EvaluationFailed's message, or the traceback text
    duration: float | None = None  # seconds the objective ran, timed in the worker


class Dispatch(NamedTuple):
    """A point handed to an evaluation, and the run it is of: its id (`Optimizer.run_ids`)
    for an asked point or one `start_warm` added (`add_pending` returns it), which its
    tell names (several runs of the same params may be in flight: one timed out and asked
    again); None for a warm-start point not added yet. `warm`: a warm-start point not yet
    pending, which `start_warm` adds before it is evaluated."""

    params: dict[str, Any]
    run: int | None
    warm: bool = False


Report = Callable[[Dispatch, Outcome], bool]  # tells one outcome; True = stop early


class AttachedObjective:
    """An objective that uses the optimizer of the run evaluating it: `minimize` calls
    `attach` with that optimizer before the first evaluation and with None once the
    run has ended. The command line's `bayesopt.command.CommandObjective` is one: it
    names each run (`Optimizer.run_ids`) and reports a command's intermediate values
    (`Optimizer.report`); `bayesopt.runs.RunObjective`, the objective of
    ``minimize(..., pass_run=True)``, is another. Their evaluations run in the calling
    process (threads), never in a process pool, which would copy the optimizer."""

    def attach(self, opt: Optimizer | None) -> None:
        """Use `opt` for the evaluations to come (None: the run has ended)."""
        raise NotImplementedError

    def evaluate(self, params: dict[str, Any], run: int | None) -> Any:
        """Evaluate `params` as the run `run` (the id `Dispatch` carries; None for a point
        never asked or added by `add_pending`, named by its params): what the loop calls
        instead of the objective itself, so that whatever the objective names or reports
        is of the run the loop dispatched, not of another run of the same params."""
        raise NotImplementedError


class Evaluation(Protocol):
    """An evaluation in flight, as the loop reads it once it is done: a
    `concurrent.futures.Future` or a `bayesopt.dask_futures.DaskEvaluation`."""

    def cancelled(self) -> bool: ...

    def exception(self) -> BaseException | None: ...

    def result(self) -> Outcome: ...

    def cancel(self) -> bool: ...


Pool = Executor | DaskPool  # where evaluations run


@dataclass(frozen=True)
class Budget:
    """When a run stops asking: `total` evaluations told or running, or past `deadline`.

    Attributes
    ----------
    total : int
        Observations the history should hold at the end.
    deadline : float or None
        A `time.monotonic()` time after which nothing new is started.
    """

    total: int
    deadline: float | None = None

    def allows(self, n_observed: int, n_running: int) -> bool:
        """Whether one more evaluation may start."""
        if n_observed + n_running >= self.total:
            return False
        return self.deadline is None or time.monotonic() < self.deadline


def next_point(opt: Optimizer, budget: Budget) -> Dispatch | None:
    """The next point to evaluate, with its run id; None when a finite space has no new
    point left (`bayesopt.optimizer.space_exhausted`: every point is observed or pending),
    and in a shared study once the study's evaluations told and running reach the budget
    (both checked under the study's lock, so that no other worker's ask lands between the
    check and this ask)."""
    from bayesopt.optimizer import ask_run

    asked = ask_run(opt, budget.total if opt.shared else None, until_exhausted=True)
    return None if asked is None else Dispatch(*asked)


def start_warm(opt: Optimizer, dispatch: Dispatch) -> Dispatch | None:
    """`dispatch` made pending before its evaluation starts, if it is a warm-start point
    (`Dispatch.warm`), with the run id `bayesopt.optimizer.add_warm_pending` gives it, so
    that asks made while it runs count it as in flight (they fantasize it and never
    propose it) and its tell, by that run, releases it rather than matching nothing while
    asked points are pending (`UnmatchedTellWarning`). None in a shared study whose
    other worker has the point pending or told already: that worker evaluates it. With a
    `Fidelity` it is a run of the Hyperband schedule at its budget (`Optimizer.add_pending`)."""
    from bayesopt.optimizer import add_warm_pending

    if not dispatch.warm:
        return dispatch
    started = dispatch._replace(warm=False)
    run = add_warm_pending(opt, dispatch.params)
    return None if run is None else started._replace(run=run)


def evaluate_in_worker(func: Objective, params: dict[str, Any],
                       run: int | None = None) -> Outcome:
    """Run the objective where the executor puts it; never let its exception escape. An
    `AttachedObjective` is evaluated as the run `run` (`AttachedObjective.evaluate`).

    The traceback reported starts in the objective (this frame is left out).
    """
    start = time.perf_counter()
    try:
        value = (func.evaluate(dict(params), run) if isinstance(func, AttachedObjective)
                 else func(dict(params)))
    except EvaluationFailed as failure:
        message = str(failure) or type(failure).__name__
        return Outcome("failed", message, time.perf_counter() - start)
    except Exception as error:  # noqa: BLE001 - reported back as a failed evaluation
        raise_if_interrupted(error)  # a Ctrl-C inside the objective's compiled code
        frames = error.__traceback__.tb_next if error.__traceback__ else None
        text = "".join(traceback.format_exception(type(error), error, frames))
        return Outcome("error", text, time.perf_counter() - start)
    return Outcome("ok", value, time.perf_counter() - start)


def check_own_pool(n_workers: int) -> None:
    """The process pool of ``n_workers`` can be started here: not in a daemonic process (a
    `multiprocessing.Pool`'s worker), which multiprocessing forbids to have children."""
    if multiprocessing.current_process().daemon:
        raise ValueError(
            f"n_workers={n_workers}: this process is a daemonic multiprocessing worker (a "
            "multiprocessing.Pool's), which cannot start the process pool of n_workers; "
            "use n_workers=1 here, pass executor= (e.g. a ThreadPoolExecutor), or run the "
            "outer jobs on a concurrent.futures.ProcessPoolExecutor, whose workers can")
    _check_main_guarded(n_workers)


def _check_main_guarded(n_workers: int) -> None:
    """Refuse a run whose own (spawn) pool would start from a script's unguarded top level:
    each spawned worker runs the main script again (as ``__mp_main__``), so a `minimize`
    reached from a top-level statement not under ``if __name__ == "__main__":`` runs again
    in every worker, which multiprocessing stops there ("An attempt has been made to start
    a new process before the current process has finished its bootstrapping phase"): every
    evaluation would end as "worker process died" under a screen of tracebacks. The
    statement is the one the ``__main__`` module's frame is executing, read from the
    script's syntax tree; any ``if`` testing ``__name__`` around it counts as the guard,
    and nothing is refused where the script cannot be read (no file, no source)."""
    import ast
    import inspect

    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    frame, top = inspect.currentframe(), None
    while frame is not None:  # the outermost frame of __main__'s own top-level code
        module_level = frame.f_code.co_name == "<module>"
        if main is not None and frame.f_globals is vars(main) and module_level:
            top = frame
        frame = frame.f_back
    if path is None or top is None:
        return
    try:
        with open(path, encoding="utf-8") as source:
            tree = ast.parse(source.read(), path)
    except (OSError, SyntaxError, ValueError, UnicodeDecodeError):
        return
    line = top.f_lineno
    if any(isinstance(node, ast.If) and node.lineno <= line <= (node.end_lineno or line)
           and any(isinstance(name, ast.Name) and name.id == "__name__"
                   for name in ast.walk(node.test))
           for node in ast.walk(tree)):
        return  # under a test of __name__ (`if __name__ == "__main__":`, or any other)
    raise RuntimeError(
        f"n_workers={n_workers}: this run starts from line {line} of {path!r}, a "
        "top-level statement not under `if __name__ == \"__main__\":`; the worker "
        "processes (spawn) each run the script again, so they would start it again and "
        "die. Put the script's run under `if __name__ == \"__main__\":` (multiprocessing's "
        "'Safe importing of main module'), or pass executor=ThreadPoolExecutor(...)")


def check_picklable(func: Callable[..., Any], executor: Any = None) -> None:
    """Refuse, before any evaluation, an objective that worker processes cannot receive:
    one that does not pickle (a lambda, a local function), or one that names a function or
    class of an interactive ``__main__`` (a Jupyter notebook, IPython, the REPL) when the
    workers start with spawn or forkserver (our own pool; `executor`, a caller's
    `ProcessPoolExecutor`, by its start method). pickle stores such names by reference,
    and a spawned worker rebuilds ``__main__`` only from its file or its module name
    (`multiprocessing.spawn.get_preparation_data`), which an interactive session has not:
    every evaluation would die in the worker."""
    references = _MainReferences(io.BytesIO())
    try:
        references.dump(func)
    except Exception as error:  # noqa: BLE001 - pickle raises many types
        raise TypeError(
            f"the objective {func!r} cannot be sent to worker processes ({error}); "
            "define it at module level (not a lambda or a local function), or pass "
            "executor=concurrent.futures.ThreadPoolExecutor(...) to run it in threads"
        ) from None
    if references.names and _spawns(executor) and not _importable_main():
        name = references.names[0]
        raise TypeError(
            f"the objective {func!r} needs {name!r}, defined in this interactive session "
            "(a notebook, IPython or the REPL, whose __main__ is not a file), which worker "
            "processes started with spawn cannot import: every evaluation would fail. Move "
            f"it to a module file (objective.py, then `from objective import {name}`), or "
            "pass executor=concurrent.futures.ThreadPoolExecutor(...) to run it in threads"
        )


class _MainReferences(pickle.Pickler):
    """A pickler that records the functions and classes of ``__main__`` it stores by
    reference (`reducer_override` sees every function and class before it is saved)."""

    def __init__(self, file: io.BytesIO) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.names: list[str] = []

    def reducer_override(self, obj: Any) -> Any:
        if (isinstance(obj, (type, types.FunctionType))
                and getattr(obj, "__module__", None) == "__main__"):
            self.names.append(obj.__qualname__)
        return NotImplemented


def _spawns(executor: Any) -> bool:
    """Whether the workers start without a copy of this process (spawn or forkserver):
    our own pool (executor None) always; a caller's ProcessPoolExecutor by its context."""
    if executor is None:
        return True
    context = getattr(executor, "_mp_context", None) or multiprocessing  # ProcessPoolExecutor's
    # allow_none: asking must not fix the default start method (set_start_method would raise);
    # unset, it is the first of get_all_start_methods
    method = (context.get_start_method(allow_none=True)
              or multiprocessing.get_all_start_methods()[0])
    return method != "fork"


def _importable_main() -> bool:
    """Whether a spawned worker can rebuild ``__main__``: it has a module name or a file."""
    main = sys.modules.get("__main__")
    return bool(getattr(getattr(main, "__spec__", None), "name", None)
                or getattr(main, "__file__", None))


def resolve_executor(executor: Any, n_workers: int) -> tuple[Pool, bool]:
    """(executor, owned). A dask Client is used through Dask's own futures (`DaskPool`)."""
    if executor is None:
        return OwnPool(n_workers), True
    if hasattr(executor, "get_executor") and not isinstance(executor, Executor):
        return DaskPool(executor), False  # dask.distributed.Client
    if not isinstance(executor, Executor):
        raise TypeError(f"executor={executor!r} is not a concurrent.futures.Executor")
    if is_client_executor(executor):
        warnings.warn(
            "executor=client.get_executor(): a killed Dask worker can leave one of its "
            "futures unresolved and the run waiting forever; pass executor=client (the "
            "dask.distributed.Client itself), which waits on Dask's own futures",
            DaskExecutorWarning, stacklevel=caller_level(),
        )
    return executor, False


PARENT_POLL = 1.0  # seconds between two looks of a pool worker at its parent


class OwnPool(ProcessPoolExecutor):
    """The process pool of ``n_workers`` (spawn), whose workers end with their run: each
    one ignores Ctrl-C (`ignore_interrupts`), which its run alone handles, and exits once
    its parent is gone or `stop_workers` was called (`exit_with_parent`)."""

    def __init__(self, n_workers: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.stop = context.Event()  # set: every worker exits at once, mid-evaluation too
        super().__init__(max_workers=n_workers, mp_context=context, initializer=start_worker,
                         initargs=(os.getpid(), self.stop))

    def stop_workers(self) -> None:
        """End every worker now, its evaluation with it (a run stopped by an exception,
        Ctrl-C: nothing will tell what they compute). They exit with status 1, which
        breaks the pool: `shutdown` then returns without waiting for their evaluations."""
        self.stop.set()


def start_worker(parent: int, stop: Any) -> None:
    """Initializer of `OwnPool`'s workers: `ignore_interrupts`, `exit_with_parent`."""
    ignore_interrupts()
    exit_with_parent(parent, stop)


def ignore_interrupts() -> None:
    """Take Ctrl-C (SIGINT) in this worker without a KeyboardInterrupt. A terminal sends it
    to the whole process group, workers included (POSIX, "General Terminal Interface"):
    a worker waiting for work died of it with its own traceback, and one evaluating sent
    it back as its outcome, so one Ctrl-C printed a traceback per worker and broke the
    pool. The run's process gets it and stops its workers (`OwnPool.stop_workers`). A
    handler that does nothing, not SIG_IGN: an ignored signal stays ignored across exec
    (signal(7)), a caught one is reset to its default there, so the programs an objective
    starts still stop on Ctrl-C."""
    signal.signal(signal.SIGINT, _take_interrupt)


def _take_interrupt(signum: int, frame: types.FrameType | None) -> None:
    """SIGINT in a pool worker: nothing to do here (`ignore_interrupts`)."""


def exit_with_parent(parent: int, stop: Any) -> None:
    """A daemon thread that ends this pool worker (exit status 1) once its parent process
    `parent` is gone, seen as ``os.getppid()`` no longer being `parent` (the orphan was
    adopted by init or a subreaper; POSIX getppid(2)), looked at every `PARENT_POLL`
    seconds, or at once when the `multiprocessing.Event` `stop` is set. Not
    prctl(PR_SET_PDEATHSIG) (Linux only), which fires when the *thread* that started the
    worker ends (prctl(2)): the executor starts workers from whichever thread submits."""
    def watch() -> None:
        while os.getppid() == parent and not stop.wait(PARENT_POLL):
            pass
        os._exit(1)  # nothing of the worker's can reach a stopped run: no cleanup to run

    threading.Thread(target=watch, name="bayesopt-exit-with-parent", daemon=True).start()


class AsyncLoop:
    """Keeps `n_workers` evaluations in flight while the budget allows another."""

    def __init__(self, opt: Optimizer, func: Objective, executor: Pool, owned: bool,
                 n_workers: int, budget: Budget, report: Report,
                 beats: Heartbeats | None = None) -> None:
        self.opt, self.func, self.executor, self.owned = opt, func, executor, owned
        self.n_workers, self.budget, self.report = n_workers, budget, report
        self.beats = beats  # heartbeats of the points in flight (`bayesopt.heartbeats`)
        self.in_flight: dict[Evaluation, Dispatch] = {}
        self.stopped = False

    def run(self, first: list[Dispatch]) -> None:
        """Evaluate `first` (points pending from an interrupted run, warm-start points to
        evaluate), then keep asking.

        After `report` asks to stop, nothing new is submitted; evaluations
        already in flight are still completed and told.
        """
        queue = list(first)
        while True:
            self._fill(queue)
            if not self.in_flight:
                break
            done = self._wait_first()
            cancelled = [f for f in done if f.cancelled()]
            broken = [f for f in done if f not in cancelled and _is_broken(f)]
            for future in done:
                if future not in broken and future not in cancelled:  # in flight until told:
                    self._finish(self.in_flight[future], _outcome(future))  # an exception in
                    del self.in_flight[future]  # the tell leaves it there
            if cancelled:
                self._refuse_cancelled(len(cancelled))
            if broken:
                self._recover()

    def _wait_first(self) -> set[Evaluation]:
        """The evaluations in flight that are done, once one is (each pool's futures are
        its own: Dask's for a `DaskPool`, concurrent.futures' for an executor)."""
        in_flight = list(self.in_flight)
        if isinstance(self.executor, DaskPool):
            return set(self.executor.wait_first(cast(list[DaskEvaluation], in_flight)))
        done, _ = wait(cast(list["Future[Outcome]"], in_flight), return_when=FIRST_COMPLETED)
        return set(done)

    def _fill(self, queue: list[Dispatch]) -> None:
        while not self.stopped and len(self.in_flight) < self.n_workers and (
            self.budget.allows(len(self.opt.history), len(self.in_flight))
        ):
            if queue:
                dispatch = start_warm(self.opt, queue.pop(0))
                if dispatch is None:  # another worker of the study evaluates it
                    continue
            else:
                dispatch = next_point(self.opt, self.budget)
                if dispatch is None:  # a shared study has its evaluations told or running,
                    break  # or a finite space has no new point
            future = self._submit(dispatch)
            if future is None:  # our pool broke before we saw it: this point never ran
                queue.insert(0, dispatch)
                self._recover()
                continue
            self.in_flight[future] = dispatch
            if self.beats is not None:
                self.beats.start(dispatch)

    def _submit(self, dispatch: Dispatch) -> Evaluation | None:
        """The evaluation's future; None if our own pool is broken (it is rebuilt)."""
        try:
            return self.executor.submit(evaluate_in_worker, self.func, dispatch.params,
                                        dispatch.run)
        except Exception as error:  # shut down, closed, broken: any refusal of the work
            if self.owned and isinstance(error, BrokenProcessPool):
                return None
            # never evaluated: not a failure of the objective
            self.opt.cancel(dispatch.params, run=dispatch.run)
            if isinstance(error, BrokenProcessPool):
                self._settle_broken()
            raise RuntimeError(
                f"the executor {self.executor!r} refused the evaluation "
                f"({type(error).__name__}: {error}); it no longer accepts work? The "
                "evaluations so far are in the history (and the journal, if any)"
            ) from error

    def _settle_broken(self) -> None:
        """A caller's process pool broke before its failed futures were read: tell each
        evaluation in flight, as `run` would have (a broken pool fails every future it
        still held, so the wait ends): the one whose worker died as failed, not left
        pending for a resume to run first on the next pool and break it again."""
        in_flight = cast(list["Future[Outcome]"], list(self.in_flight))
        wait(in_flight)
        for future in in_flight:  # in flight until told, as in `run`
            self._finish(self.in_flight[future], Outcome(
                "error", "worker process died (executor broken)")
                if _is_broken(future) else _outcome(future))
            del self.in_flight[future]

    def _refuse_cancelled(self, n_cancelled: int) -> None:
        """Evaluations in flight were cancelled by the executor, not by this loop (a Dask
        cluster closed, or its scheduler lost): they never finished, so they are neither
        failures nor observations, and an executor that cancels work will not take more."""
        raise RuntimeError(
            f"the executor {self.executor!r} cancelled {n_cancelled} evaluation(s) in flight "
            "(a Dask cluster that closed or lost its scheduler?); no more work can run on "
            "it. The evaluations told so far are in the history (and the journal, if any: "
            "resuming it evaluates the cancelled points first; a shared study's are "
            "cancelled there)"
        )

    def _finish(self, dispatch: Dispatch, outcome: Outcome) -> None:
        if self.beats is not None:  # before its tell: no heartbeat may follow it
            self.beats.finish(dispatch)
        if self.report(dispatch, outcome):
            self.stopped = True

    def _recover(self) -> None:
        """A worker died: every evaluation in flight is a suspect."""
        suspects = list(self.in_flight.values())
        self.in_flight.clear()
        if not self.owned:
            for dispatch in suspects:
                self._finish(dispatch, Outcome("error", "worker process died (executor broken)"))
            return
        assert isinstance(self.executor, Executor), "only our own process pool is rebuilt"
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.executor, _ = resolve_executor(None, self.n_workers)
        for dispatch in suspects:  # one at a time, so a crash names its culprit
            assert isinstance(self.executor, Executor)
            future = self.executor.submit(evaluate_in_worker, self.func, dispatch.params,
                                          dispatch.run)
            wait([future])
            if _is_broken(future):
                self._finish(dispatch, Outcome(
                    "error", "worker process died while evaluating this point"))
                self.executor.shutdown(wait=False, cancel_futures=True)
                self.executor, _ = resolve_executor(None, self.n_workers)
            else:
                self._finish(dispatch, _outcome(future))

    def close(self) -> None:
        """Cancel what is still in flight (only after an exception: nothing will tell it;
        on a caller's executor, a queued evaluation would otherwise run for nothing), and
        shut down our own pool, whose workers still evaluating are stopped first (Ctrl-C
        must not wait for evaluations nobody will tell: `OwnPool.stop_workers`)."""
        for future in self.in_flight:
            future.cancel()
        if self.owned:
            assert isinstance(self.executor, OwnPool), "we own our process pools only"
            if self.in_flight:
                self.executor.stop_workers()
            self.executor.shutdown(wait=True, cancel_futures=True)


def _is_broken(future: Evaluation) -> bool:
    return isinstance(future.exception(), BrokenProcessPool)


def _outcome(future: Evaluation) -> Outcome:
    """The evaluation's outcome; an exception the executor caught (a pickling error, a
    `KilledWorker`) is an error outcome. A KeyboardInterrupt or SystemExit the objective
    raised (no `Exception`, so `evaluate_in_worker` let it through) is raised here: it
    stops the run as it does with ``n_workers=1``, its point told nothing."""
    error = future.exception()
    if error is None:
        return future.result()
    if not isinstance(error, Exception):
        raise error
    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    reason = lost_reason(error)
    return Outcome("error", text) if reason is None else Outcome("lost", f"{reason}:\n{text}")

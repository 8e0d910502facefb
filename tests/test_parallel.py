"""Batches, asynchronous parallel minimize on a process pool and on Dask, and worker faults."""

from __future__ import annotations

import multiprocessing
import sys
import threading
import time
import types
import warnings
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import parallel_objectives
from bayesopt import (
    DaskNoWorkersWarning,
    Optimizer,
    OptimizerOptions,
    Real,
    ResumeWarning,
    minimize,
)
from bayesopt.model import FANTASIES, ModelOptions
from bayesopt.parallel import check_picklable

# The objectives here fail, die or kill their workers on purpose: each failure's
# EvaluationFailedWarning is expected (the warning itself is test_minimize_loop's).
pytestmark = pytest.mark.filterwarnings("ignore::bayesopt.failures.EvaluationFailedWarning")
from parallel_objectives import (
    branin_unit,
    kills_its_worker_on_the_right,
    raises_on_the_right,
    slow_sphere,
    sphere,
)

SPACE = {"x": Real(0.0, 1.0), "y": Real(0.0, 1.0)}
# Branin has three global minima; after 10 observations a batch of five points
# should cover them rather than pile up. Closest pair over seeds 0–7: kriging
# believer (the default) 0.013–0.38, constant liar 0.046–0.088, local
# penalization 0.0065–0.24 (it lets a batch refine a confident incumbent). The
# floors sit below those; the duplicate tolerance is 1e-6.
SPREAD_FLOOR = {"believer": 0.01, "liar": 0.02, "penalize": 0.005}


def fitted(seed: int, fantasy: str = "believer") -> Optimizer:
    options = OptimizerOptions(model=ModelOptions(fantasy=fantasy))
    opt = Optimizer(SPACE, seed=seed, n_initial=6, options=options)
    for _ in range(10):
        params = opt.ask()
        opt.tell(params, branin_unit(params))
    return opt


def as_array(points: list[dict]) -> np.ndarray:
    return np.array([[p["x"], p["y"]] for p in points])


def key(params: dict) -> tuple[float, float]:
    return params["x"], params["y"]


def distinct_keys(result) -> int:
    return len({key(o.params) for o in result.history})


@pytest.mark.parametrize("fantasy", FANTASIES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_batch_of_five_is_distinct_new_and_spread(seed, fantasy):
    opt = fitted(seed, fantasy)
    batch = as_array(opt.ask(5))
    observed = as_array([o.params for o in opt.history])
    pairwise = np.linalg.norm(batch[:, None] - batch[None], axis=-1)[np.triu_indices(5, 1)]
    to_observed = np.linalg.norm(batch[:, None] - observed[None], axis=-1)
    assert pairwise.min() > SPREAD_FLOOR[fantasy], pairwise.min()
    assert to_observed.min() > 1e-6
    assert len(opt.pending) == 5


@pytest.mark.parametrize("fantasy", FANTASIES)
def test_batch_is_deterministic_for_a_seed(fantasy):
    assert fitted(3, fantasy).ask(5) == fitted(3, fantasy).ask(5)


def test_process_pool_runs_exactly_n_calls_without_duplicates():
    result = minimize(slow_sphere, SPACE, n_calls=14, seed=0, n_workers=2, progress=False)
    sequential = minimize(sphere, SPACE, n_calls=3, seed=0, progress=False)
    assert len(result) == 14 and distinct_keys(result) == 14
    assert all(o.ok for o in result.history)
    assert type(result) is type(sequential) and result.best_value == min(result.values)
    assert [o.index for o in result.history] == list(range(14))


def test_dask_local_cluster_runs_exactly_n_calls_without_duplicates():
    import distributed  # the `dask` extra, installed by the README's test command

    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                 dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        result = minimize(sphere, SPACE, n_calls=12, seed=0, n_workers=2, executor=client,
                          progress=False)
    assert len(result) == 12 and distinct_keys(result) == 12
    assert all(o.ok for o in result.history) and result.best_value == min(result.values)


HANG_GUARD = 240.0  # seconds; a run takes ~10 s here, and a hang never ends


def within(seconds: float, run: Callable[[], Any]) -> Any:
    """run() in a daemon thread; fail if it has not returned after `seconds` (a hang guard,
    not a timing claim: the suite has no pytest-timeout)."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = run()
        except BaseException as error:  # noqa: BLE001 - re-raised in the test's thread
            outcome["error"] = error

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout=seconds)
    if thread.is_alive():
        pytest.fail(f"still running after {seconds} s: hung")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def test_a_killed_dask_worker_counts_no_evaluation_twice():
    """A Dask worker process killed mid-evaluation: Dask runs the evaluation again on
    another worker, and fails one whose workers keep dying (KilledWorker, after Dask's
    allowed failures); every point is told exactly once, and the run ends. Through
    Client.get_executor() some runs hung (bench/results/dask_killed_workers.md): the
    future of an evaluation whose result was lost with its worker, and whose re-run
    then failed, was never resolved.

    Dask counts a worker's death against every evaluation the worker holds, so one
    queued behind a killer can be failed with KilledWorker too: every failure is Dask's
    KilledWorker, some point that kills its worker is among them, and no point that
    kills its worker succeeds."""
    import dask
    import distributed

    def run() -> Any:
        # A LocalCluster closes a nanny whose worker has not come back within
        # distributed.deploy.lost-worker-timeout (15 s); on a loaded machine a restarted
        # worker takes longer to start, the cluster closed both, and the run waited on a
        # cluster without workers (as Dask waits; the README's Dask section): so the
        # restarts here get the time they need
        with (
            dask.config.set({"distributed.deploy.lost-worker-timeout": "600s"}),
            distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                     dashboard_address=None) as cluster,
            distributed.Client(cluster) as client,
        ):
            return minimize(kills_its_worker_on_the_right, SPACE, n_calls=12, seed=1,
                            n_workers=2, executor=client, progress=False,
                            callback=lambda obs, opt: tells.update([key(obs.params)]))

    tells: Counter[tuple[float, float]] = Counter()
    with warnings.catch_warnings():
        # true whenever both workers are down at once for 30 s (restarts on a loaded
        # machine): the run then waits for them, which is what this test checks
        warnings.simplefilter("ignore", DaskNoWorkersWarning)
        result = within(HANG_GUARD, run)
    failed = [o for o in result.history if not o.ok]
    assert len(result) == 12 and distinct_keys(result) == 12
    assert len(tells) == 12 and set(tells.values()) == {1}  # each point told once
    assert failed and all("KilledWorker" in o.error for o in failed), [
        (round(o.params["x"], 3), o.error.strip().splitlines()[-1][:80]) for o in failed]
    assert any(o.params["x"] > 0.75 for o in failed)
    assert all(o.params["x"] <= 0.75 for o in result.history if o.ok)


def test_a_dask_cluster_without_workers_is_said_while_evaluations_wait():
    """Dask keeps an evaluation pending while its cluster has no worker (module docstring
    of `bayesopt.dask_futures`); the wait used to be silent, so a run whose cluster had
    lost every worker (a LocalCluster closes one whose restart is slow) hung without a
    word. The pool looks at the workers whenever nothing ended for `no_worker_check`
    seconds and warns once; when a worker joins, the evaluation runs and the wait ends."""
    import distributed

    from bayesopt import DaskNoWorkersWarning
    from bayesopt.dask_futures import DaskPool

    with (
        distributed.LocalCluster(n_workers=0, processes=False,
                                 dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        pool = DaskPool(client, no_worker_check=0.3)
        evaluation = pool.submit(sphere, {"x": 0.5, "y": 0.25})
        joins = threading.Timer(2.0, cluster.scale, args=(1,))
        joins.start()
        with pytest.warns(DaskNoWorkersWarning, match=r"^1 evaluation\(s\) are waiting and "
                          r"the Dask cluster has no worker .*no-workers-timeout"):
            done = within(HANG_GUARD, lambda: pool.wait_first([evaluation]))
        joins.join()
        assert done == {evaluation} and evaluation.result() == sphere({"x": 0.5, "y": 0.25})
        pool.no_worker_check = 0.05  # workers now: a wait that times out says nothing
        slow = pool.submit(time.sleep, 0.5)
        assert within(HANG_GUARD, lambda: pool.wait_first([slow])) == {slow}


def test_a_dask_cluster_closed_mid_run_stops_it_with_a_clear_error(tmp_path):
    """The cluster goes away while evaluations run (closed, or its scheduler lost): Dask
    cancels them. The run used to end with a bare CancelledError (no message); it raises
    a RuntimeError saying what happened, and the journal keeps the cancelled points
    pending, so a resume evaluates them first."""
    import distributed

    journal = tmp_path / "run.jsonl"
    parallel_objectives.STARTED.clear()
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                 dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        def close_when_started() -> None:
            parallel_objectives.STARTED.wait(timeout=120)
            cluster.close()

        closer = threading.Thread(target=close_when_started, daemon=True)
        closer.start()
        with pytest.raises(RuntimeError, match=r"cancelled \d evaluation\(s\) in flight"):
            minimize(parallel_objectives.signals_its_start, SPACE, n_calls=6, seed=0,
                     n_workers=2, executor=client, journal=journal, progress=False)
        closer.join(timeout=120)
    run = Optimizer.resume(journal, append=False)
    assert run.history == [] and len(run.pending) == 2  # both were running, none told


def test_exceptions_in_workers_are_failed_evaluations_with_traceback():
    result = minimize(raises_on_the_right, SPACE, n_calls=16, seed=1, n_workers=2, progress=False)
    failed = [o for o in result.history if not o.ok]
    assert len(result) == 16 and failed
    assert all(o.params["x"] > 0.75 and "ValueError: diverged" in o.error for o in failed)
    assert all(o.params["x"] <= 0.75 for o in result.history if o.ok)


@pytest.mark.skipif(sys.platform == "win32", reason="the objective sends SIGKILL (POSIX)")
def test_a_killed_worker_fails_only_its_own_evaluation():
    result = minimize(kills_its_worker_on_the_right, SPACE, n_calls=14, seed=1, n_workers=2,
                      progress=False)
    failed = [o for o in result.history if not o.ok]
    assert len(result) == 14 and distinct_keys(result) == 14
    assert failed and all(o.params["x"] > 0.75 and "died" in o.error for o in failed)
    assert all(o.params["x"] <= 0.75 for o in result.history if o.ok)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_worker_killed_on_a_callers_process_pool_is_told_failed_not_left_pending(
        tmp_path, seed):
    """A caller's ProcessPoolExecutor is not rebuilt: once a worker dies the run stops with
    the executor's refusal, and the point that killed it is told as failed ("worker
    process died"), so a resume does not evaluate it first and kill the new pool again."""
    journal = tmp_path / "run.jsonl"
    with ProcessPoolExecutor(2) as pool, pytest.raises(RuntimeError, match="refused"):
        minimize(parallel_objectives.kills_its_worker_on_the_right_late, SPACE, n_calls=14,
                 seed=seed, n_workers=2, executor=pool, journal=journal, progress=False)
    run = Optimizer.resume(journal, append=False)
    assert not [p for p in run.pending if p["x"] > 0.75], run.pending
    failed = [o for o in run.history if not o.ok]
    assert failed and all("died" in o.error for o in failed), [o.error for o in failed]
    assert all(o.params["x"] <= 0.75 for o in run.history if o.ok)


def test_n_workers_in_a_daemonic_process_is_refused_before_any_evaluation():
    """A multiprocessing.Pool's workers are daemonic and may not start processes: minimize
    (n_workers=2) there used to build its pool and fail at the first submit with a
    RuntimeError wrapping multiprocessing's AssertionError. Now a ValueError naming
    n_workers and what to use instead, before anything is evaluated."""
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(1) as pool:
        (got,) = pool.map(parallel_objectives.minimize_with_two_workers, [0])
    assert got.startswith("ValueError: n_workers=2"), got
    assert "daemonic" in got and "ProcessPoolExecutor" in got and got.endswith("evaluated 0")


def test_unpicklable_objective_is_refused_with_advice():
    with pytest.raises(TypeError, match="module level"):
        minimize(lambda p: sphere(p), SPACE, n_calls=4, n_workers=2, progress=False)


def test_an_unpicklable_objective_on_a_callers_process_pool_is_refused_before_any_evaluation(
        tmp_path):
    """executor=ProcessPoolExecutor(...) pickles the objective as n_workers=2's own pool
    does: a lambda is the same TypeError with the same advice, raised before anything is
    evaluated — not one failed evaluation per point until TooManyFailuresError."""
    journal = tmp_path / "run.jsonl"
    with ProcessPoolExecutor(2) as pool, pytest.raises(TypeError, match="module level"):
        minimize(lambda p: sphere(p), SPACE, n_calls=6, executor=pool, n_workers=2,
                 journal=journal, progress=False)
    assert not journal.exists()  # refused before the run began


def _in_a_cell(p: dict) -> float:
    return p["x"] ** 2 + p["y"]


SCRIPT = """
from bayesopt import Real, minimize
def f(p):
    return (p["x"] - 0.3) ** 2
def run():
    result = minimize(f, {"x": Real(0.0, 1.0)}, n_calls=4, n_workers=2, progress=False, seed=0)
    print("told", len(result.history))
"""


GUARDS = {
    "none": "run()\n",
    "guarded": 'if __name__ == "__main__":\n    run()\n',
    "nested": 'try:\n    if __name__ == "__main__" and True:\n        run()\n'
              'except KeyboardInterrupt:\n    pass\n',
}


@pytest.mark.parametrize("guard", list(GUARDS))
def test_a_script_running_workers_from_its_unguarded_top_level_is_refused(tmp_path, guard):
    """A script whose top level calls minimize(n_workers=2) without
    ``if __name__ == "__main__":``: each spawned worker runs the script again and
    multiprocessing stops it there, so every evaluation ended as "worker process died" and
    the run as TooManyFailuresError ("the objective looks broken") under some 1,200 lines
    of tracebacks. It is refused before any worker starts, naming the line and the guard;
    a guarded script runs, also with the guard inside a try and testing more than
    __name__."""
    import os
    import subprocess

    script = tmp_path / "tune.py"
    script.write_text(SCRIPT + GUARDS[guard])
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
           "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True,
                          text=True, timeout=300, check=False)
    if guard != "none":
        assert done.returncode == 0 and done.stdout.split() == ["told", "4"], done.stderr
    else:
        assert done.returncode == 1
        line = len(SCRIPT.splitlines()) + 1  # the unguarded run()
        assert (f"this run starts from line {line} of {str(script)!r}, a top-level statement not "
                'under `if __name__ == "__main__":`') in done.stderr, done.stderr
        assert "worker process died" not in done.stderr


def test_an_objective_defined_in_a_notebook_is_refused_before_any_evaluation(
        tmp_path, monkeypatch):
    """A notebook's (IPython's, the REPL's) __main__ is no file, so workers started with
    spawn cannot import a function defined there: minimize(n_workers=2) refuses it with
    what to do before anything is evaluated, not with one dead worker per point. A
    caller's pool is judged by its start method: one that forks copies the session."""
    session = types.ModuleType("__main__")  # as IPython's user module: no __file__, no spec
    # a function whose globals are the session's, as a cell's `def objective(p): ...` is
    session.objective = types.FunctionType(_in_a_cell.__code__, session.__dict__, "objective")
    session.objective.__qualname__ = "objective"
    monkeypatch.setitem(sys.modules, "__main__", session)
    journal = tmp_path / "run.jsonl"
    with pytest.raises(TypeError, match=r"'objective', defined in this interactive session"
                                        r".*from objective import objective"):
        minimize(session.objective, SPACE, n_calls=4, seed=0, n_workers=2, journal=journal,
                 progress=False)
    assert not journal.exists()  # refused before the run began
    for method in set(multiprocessing.get_all_start_methods()) - {"fork"}:
        pool = ProcessPoolExecutor(2, mp_context=multiprocessing.get_context(method))
        with pytest.raises(TypeError, match="interactive session"):
            check_picklable(session.objective, pool)  # a caller's pool, started no process
        pool.shutdown()
    if "fork" in multiprocessing.get_all_start_methods():  # a forked worker has the session
        pool = ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork"))
        check_picklable(session.objective, pool)
        pool.shutdown()


@pytest.mark.parametrize("workers", ["threads", "processes"])
def test_a_keyboard_interrupt_raised_by_the_objective_stops_a_parallel_run(tmp_path, workers):
    """The objective's KeyboardInterrupt stops minimize as it does with n_workers=1, on a
    thread or a process pool alike, instead of being told as a failed evaluation; the
    point stays pending in the journal, so a resume evaluates it."""
    journal = tmp_path / "run.jsonl"
    executor = ThreadPoolExecutor(2) if workers == "threads" else None
    with pytest.raises(KeyboardInterrupt):
        minimize(parallel_objectives.interrupts_on_the_right, SPACE, n_calls=12, seed=0,
                 n_workers=2, executor=executor, journal=journal, progress=False,
                 max_consecutive_failures=None)
    run = Optimizer.resume(journal, append=False)
    assert all(o.ok for o in run.history), [o.error for o in run.history if not o.ok]
    assert any(p["x"] > 0.5 for p in run.pending), run.pending


def test_thread_pool_executor_with_local_function_and_callbacks():
    seen = []
    result = minimize(lambda p: sphere(p), SPACE, n_calls=10, seed=2, progress=True,
                      executor=ThreadPoolExecutor(max_workers=3), n_workers=3,
                      callback=lambda obs, opt: seen.append(obs.index))
    assert len(result) == 10 and sorted(seen) == list(range(10))


def _closed_dask_client() -> Any:
    import distributed

    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        client = distributed.Client(cluster)
        client.close()
    return client


def _shut_down_pool() -> ThreadPoolExecutor:
    pool = ThreadPoolExecutor(2)
    pool.shutdown()
    return pool


@pytest.mark.parametrize("refusing", [_shut_down_pool, _closed_dask_client])
def test_an_executor_that_refuses_work_records_no_evaluation(tmp_path, refusing):
    """A shut-down executor or a closed Dask client never ran the point asked for it:
    the run stops with an error naming the executor, and the journal holds neither a
    failed evaluation (which would damp the acquisition there on resume) nor a pending
    point (which, in a shared study, would count as running forever)."""
    journal = tmp_path / "run.jsonl"
    with pytest.raises(RuntimeError, match="refused the evaluation"):
        minimize(sphere, SPACE, n_calls=4, seed=0, executor=refusing(), n_workers=2,
                 journal=journal, progress=False)
    run = Optimizer.resume(journal, append=False)
    assert run.history == [] and run.pending == []


class _Counted:
    """sphere after 0.5 s, counting its calls (the executor's threads share it)."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, p: dict) -> float:
        self.calls += 1
        time.sleep(0.5)  # the other points (Sobol: no model) are asked and queued meanwhile
        return sphere(p)


def _interrupt(observation: Any, opt: Optimizer) -> None:
    raise KeyboardInterrupt


def test_an_interrupted_run_cancels_the_evaluations_it_queued_on_the_callers_executor():
    """Ctrl-C: the evaluations submitted to the caller's executor (a thread pool, a Dask
    client) and not started are cancelled, not run afterwards for nothing — with one
    thread and three in flight, the third is still queued when the first is told."""
    objective = _Counted()
    pool = ThreadPoolExecutor(1)
    with pytest.raises(KeyboardInterrupt):
        minimize(objective, SPACE, n_calls=6, seed=0, executor=pool, n_workers=3,
                 callback=_interrupt, progress=False)
    pool.shutdown(wait=True)
    assert objective.calls <= 2


def test_callback_stop_still_tells_evaluations_in_flight():
    result = minimize(slow_sphere, SPACE, n_calls=30, seed=0, n_workers=2, progress=False,
                      callback=lambda obs, opt: len(opt.history) >= 5)
    assert 5 <= len(result) <= 6 and not result.history[-1].error


def test_interrupted_parallel_run_resumes_without_reevaluating(tmp_path):
    journal = tmp_path / "run.jsonl"
    first = minimize(sphere, SPACE, n_calls=10, seed=0, n_workers=2, journal=journal,
                     progress=False)
    with pytest.warns(ResumeWarning, match="10 evaluations and 0 pending points"):
        opt = Optimizer.resume(journal)  # simulate two evaluations in flight at a crash
    in_flight = opt.ask(2)
    opt.close()
    calls_before = len(first)
    with pytest.warns(ResumeWarning, match="10 evaluations and 2 pending points"):
        result = minimize(sphere, SPACE, n_calls=16, n_workers=2, journal=journal,
                          progress=False)
    assert len(result) == 16 and distinct_keys(result) == 16
    assert [o.params for o in result.history[:calls_before]] == [o.params for o in first.history]
    # The two points in flight at the "crash" are submitted first and told in whatever order
    # they land — a point asked after the first one lands may finish before the second.
    resumed = [o.params for o in result.history[calls_before:]]
    assert all(point in resumed for point in in_flight)


# A parent that has asked or told has started Numba's OpenMP layer; a child it forks
# then makes a 510-observation ask, where parallel Numba loops would run on 2 threads
# (with the core rule of kernels/threads.py lifted: a 2-core machine runs one thread).
FORK_AFTER_USE = """
import json, multiprocessing, warnings
import numba, numpy as np
from bayesopt import Optimizer, Real
from bayesopt.test_functions import Hartmann6
from kernels import threads
from kernels.threads import numba_thread_budget

threads.PARALLEL_MIN_CORES = 1  # the parallel path at n >= 500 on any machine

def big_ask():
    f = Hartmann6()
    opt = Optimizer(f.space, seed=0)
    X = np.random.default_rng(0).uniform(size=(510, 6))
    opt.tell([dict(zip(f.names, map(float, x))) for x in X], [float(v) for v in f(X)])
    return opt.ask()

def child(queue):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        params = big_ask()
    queue.put({"params": params, "warnings": [str(w.message) for w in caught]})

if __name__ == "__main__":
    Optimizer({"x": Real(0.0, 1.0)}, seed=0).tell({"x": 0.5}, 1.0)
    assert numba.threading_layer() == "omp" and numba_thread_budget() == 2
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    process = context.Process(target=child, args=(queue,))
    process.start()
    report = queue.get(timeout=120)
    process.join(30)
    report["exitcode"] = process.exitcode
    report["parent_params"] = big_ask()  # the same ask with Numba's loops on 2 threads
    print(json.dumps(report))
"""


def test_a_child_forked_after_use_runs_numba_loops_on_one_thread_with_a_warning() -> None:
    """GNU OpenMP is not fork safe: before this, Numba terminated the child at its first
    parallel region and a fork pool waited for it forever. Now the child asks what the
    parent asks, says once why its loops run on one thread, and exits cleanly."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": f"{root}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
           "NUMBA_THREADING_LAYER": "omp", "NUMBA_NUM_THREADS": "2", "OMP_NUM_THREADS": "1",
           "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", FORK_AFTER_USE], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["exitcode"] == 0
    assert report["params"] == report["parent_params"]
    assert len(report["warnings"]) == 1
    assert "forked after its parent had started Numba's OpenMP" in report["warnings"][0]


def test_a_dask_client_executor_warns_to_pass_the_client_itself():
    """`client.get_executor()` runs through concurrent.futures' wrapper, whose futures a
    killed worker can leave unresolved: the run still works here, with one warning that
    points at the caller's line and says to pass the client."""
    import distributed

    from bayesopt import DaskExecutorWarning

    with (
        distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                 dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
        pytest.warns(DaskExecutorWarning, match=r"pass executor=client") as caught,
    ):
        result = minimize(sphere, SPACE, n_calls=6, seed=0, n_workers=2,
                          executor=client.get_executor(), progress=False)
    assert len(result) == 6 and distinct_keys(result) == 6
    assert [w.filename for w in caught if w.category is DaskExecutorWarning] == [__file__]


def test_a_plain_executor_or_the_client_itself_does_not_warn():
    import distributed

    from bayesopt.dask_futures import is_client_executor

    assert not is_client_executor(ThreadPoolExecutor(1))
    with (
        distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                 dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        assert is_client_executor(client.get_executor()) and not is_client_executor(client)


_KILLED_RUN = """
import sys
from bayesopt import Real, minimize
from parallel_objectives import records_its_pid_and_sleeps

if __name__ == "__main__":
    minimize(records_its_pid_and_sleeps, {"x": Real(0.0, 1.0), "y": Real(0.0, 1.0)},
             n_calls=4, seed=0, n_workers=2, progress=False)
"""


def _running(pid: int) -> bool:
    """Whether process `pid` runs (a zombie, dead but not yet reaped, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc to see a process")
def test_the_pool_workers_of_a_run_killed_with_sigkill_exit(tmp_path):
    """minimize(n_workers=2) killed with SIGKILL mid-evaluation: its pool's workers, whose
    results can no longer be told, exit (`parallel.exit_with_parent`) instead of running
    on for ever — each one held its call queue's pipe open at both ends, so it never saw
    its parent go (review33: two workers of every killed run were left, idle or
    evaluating, holding their memory and any GPU)."""
    import os
    import signal
    import subprocess

    root = Path(__file__).resolve().parents[1]
    pids_folder = tmp_path / "pids"
    pids_folder.mkdir()
    env = {**os.environ, "BAYESOPT_TEST_PIDS": str(pids_folder),
           "PYTHONPATH": os.pathsep.join([str(root), str(root / "tests")])}
    run = subprocess.Popen([sys.executable, "-c", _KILLED_RUN], cwd=tmp_path, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 120.0  # for both evaluations to start (spawn, imports)
        while len(workers) < 2 and run.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
            workers = [int(path.name) for path in pids_folder.iterdir()]
        assert len(workers) == 2, run.stderr.read().decode() if run.poll() is not None else ""
        run.send_signal(signal.SIGKILL)
        run.wait()
        deadline = time.monotonic() + 30.0  # they were still evaluating after 100 s
        while any(map(_running, workers)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in workers if _running(pid)]
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
        for pid in workers:
            if _running(pid):
                os.kill(pid, signal.SIGKILL)


_INTERRUPTED_RUN = """
import signal
from bayesopt import Real, minimize
from parallel_objectives import records_its_pid_and_sleeps_unless_at_the_centre

if __name__ == "__main__":
    # Ctrl-C as in a terminal: a test run as a background job of a shell ignores SIGINT,
    # and its children inherit that (Python then installs no KeyboardInterrupt)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    minimize(records_its_pid_and_sleeps_unless_at_the_centre,
             {"x": Real(0.0, 1.0), "y": Real(0.0, 1.0)}, n_calls=3, seed=0, n_workers=3,
             x0=[{"x": 0.5, "y": 0.5}], journal="run.jsonl", progress=False)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc to see a process")
@pytest.mark.parametrize("target", ["process group", "run only"])
def test_ctrl_c_on_a_process_pool_run_prints_one_traceback_and_leaves_no_worker(
        tmp_path, target):
    """Ctrl-C on minimize(n_workers=3), two workers evaluating (for two minutes) and one
    idle: a terminal sends SIGINT to the whole process group, a notebook's stop button or
    ``kill -INT`` to the run's process only. Either way the run stops at once with one
    KeyboardInterrupt, as with n_workers=1 (exit by SIGINT, one traceback: an idle worker
    used to die of it with its own traceback, and an evaluating one to send it back), its
    workers gone (it used to wait for the evaluations when they were not interrupted),
    and the journal resumes with the told point and the two in flight pending."""
    import os
    import signal
    import subprocess

    root = Path(__file__).resolve().parents[1]
    pids_folder = tmp_path / "pids"
    pids_folder.mkdir()
    journal = tmp_path / "run.jsonl"
    env = {**os.environ, "BAYESOPT_TEST_PIDS": str(pids_folder),
           "PYTHONPATH": os.pathsep.join([str(root), str(root / "tests")])}
    run = subprocess.Popen([sys.executable, "-c", _INTERRUPTED_RUN], cwd=tmp_path, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           start_new_session=True)  # its own group, as a terminal's job
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 120.0  # spawn, imports, the told point
        while (len(workers) < 3 or '"event":"tell"' not in journal.read_text()) and (
                run.poll() is None and time.monotonic() < deadline):
            time.sleep(0.1)
            workers = [int(path.name) for path in pids_folder.iterdir()]
        assert len(workers) == 3, run.stderr.read().decode() if run.poll() is not None else ""
        time.sleep(0.5)  # the told point's worker back to waiting for work
        if target == "process group":
            os.killpg(run.pid, signal.SIGINT)
        else:
            run.send_signal(signal.SIGINT)
        try:  # a hang guard: the evaluations in flight sleep for 120 s
            _, stderr = run.communicate(timeout=90.0)
        except subprocess.TimeoutExpired:
            pytest.fail("the interrupted run waited for its evaluations")
        text = stderr.decode()
        assert run.returncode == -signal.SIGINT, text
        assert text.count("Traceback (most recent call last)") == 1, text
        # the last line: from Python 3.11, the note under it (loop._keep_on_interrupt)
        last = -2 if sys.version_info >= (3, 11) else -1
        assert text.rstrip().splitlines()[last] == "KeyboardInterrupt", text
        deadline = time.monotonic() + 10.0
        while any(map(_running, workers)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in workers if _running(pid)]
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
        for pid in workers:
            if _running(pid):
                os.kill(pid, signal.SIGKILL)
    resumed = Optimizer.resume(journal, append=False)
    assert [o.params for o in resumed.history] == [{"x": 0.5, "y": 0.5}]
    assert resumed.history[0].ok and len(resumed.pending) == 2


def test_a_dask_cluster_that_loses_its_last_worker_ends_by_dasks_no_workers_timeout():
    """A Dask cluster whose only worker (no nanny: a lost node) is killed mid-run keeps the
    evaluation pending for ever, as Dask keeps any computation (`bayesopt.dask_futures`;
    a hang seen here once: minimize waiting in distributed.wait). Dask's own bound,
    ``distributed.scheduler.no-workers-timeout``, fails such a task: each evaluation so
    failed is told as failed with Dask's reason, and the stop rule ends the run."""
    import os
    import subprocess

    import dask
    import distributed

    from bayesopt import TooManyFailuresError

    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), str(root / "tests")])}

    def run() -> Any:
        with (
            dask.config.set({"distributed.scheduler.no-workers-timeout": "2s"}),
            distributed.LocalCluster(n_workers=0, processes=True,
                                     dashboard_address=None) as cluster,
            distributed.Client(cluster) as client,
        ):
            worker = subprocess.Popen(
                [sys.executable, "-m", "distributed.cli.dask_worker",
                 cluster.scheduler_address, "--no-nanny", "--nthreads", "1",
                 "--no-dashboard"], env=env, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL)
            try:
                client.wait_for_workers(1, timeout=120)
                with pytest.raises(TooManyFailuresError) as stopped:
                    minimize(kills_its_worker_on_the_right, SPACE, n_calls=12, seed=1,
                             n_workers=1, executor=client, progress=False)
            finally:
                if worker.poll() is None:
                    worker.kill()
                worker.wait()
            return stopped.value.result, worker.returncode, str(stopped.value)

    with pytest.warns(UserWarning, match="n_workers=1"):
        result, returncode, message = within(HANG_GUARD, run)
    assert returncode == -9  # the worker killed itself, and no nanny restarted it
    # the stop names the cluster, not the objective (it used to say "the objective looks
    # broken" for an objective that had done nothing wrong)
    assert "lost by the executor" in message and "no running worker" in message, message
    assert "looks broken" not in message
    failed = [o for o in result.history if not o.ok]
    assert len(failed) == 5 and result.history[-1] is failed[-1]
    assert all("without any running workers" in o.error for o in failed), failed[0].error
    assert all(o.ok for o in result.history[:-5])

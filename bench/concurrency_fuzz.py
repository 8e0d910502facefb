"""A concurrency fuzz: several processes, workers and threads on one study or optimizer.

    python -m bench.concurrency_fuzz [--seeds 0-4] [--timeout 120] [--only WORD] [--verbose]

The sibling of `bench.robustness_fuzz`, with its fault rule (`robustness_fuzz.Run`):
every step runs with warnings raised as errors but the library's documented ones
(counted), under an alarm; any exception, undocumented warning, broken invariant or
hang is a fault. A sequence is one scenario run with one seed; its families:

    processes on a …     K = 2–4 processes (multiprocessing, spawn) on one SQLite,
                         JSON-lines or PostgreSQL study, each doing random asks (1–2),
                         tells, failures, cancels, reports, heartbeats and `add_pending`
                         of the points it holds. Then: the stored history holds exactly
                         the tells and failures the members made (no tell lost or
                         doubled), each of a point someone asked or added; asked +
                         added = told + failed + cancelled + still pending; each
                         member's last view of the history is a prefix of the stored
                         one; `best` is the judged least value; two fresh optimizers
                         attached to the study fold the same history, pending points
                         and best;
    threads on one …     4 threads doing the same on one `Optimizer` (in memory, or
                         with a journal, which a resume must read back alike): the
                         optimizer's lock serializes ask, tell and every event
                         (`Optimizer`), so the same checks hold;
    minimize with …      `minimize(n_workers=k)`, k = 2–4, on a thread pool or its own
                         process pool, with x0 (1–3 points) and an objective that
                         raises, returns NaN, raises `EvaluationFailed`, sleeps or is
                         slow by region: n_calls evaluations, each x0 point once, no
                         point twice, no `UnmatchedTellWarning`; and two processes
                         running `minimize(n_workers=2)` with the same x0 on one SQLite
                         study: each x0 point evaluated once in the study;
    dask                 `minimize(n_workers=2)` on a `distributed.LocalCluster` (2
                         worker processes with nannies) one of whose workers is killed
                         (SIGKILL) mid-run: the run ends, n_calls points each told once,
                         every failure Dask's (the worker lost);
    optuna constraints   two processes running `BayesoptSampler(constraints_func=...)`
                         on one SQLite Optuna storage: every trial complete, with its
                         constraint values stored, and no error in either.

Prints the table of `bench.robustness_fuzz`; bench/results/robustness_fuzz.md holds the
run quoted.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import tempfile
import threading
import time
import uuid
import warnings
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from bayesopt import EvaluationFailed, Optimizer, minimize
from bayesopt.optimizer import UnmatchedTellWarning
from bench.robustness_fuzz import (
    DOCUMENTED,
    FAST,
    Fault,
    Run,
    Scenario,
    Timeout,
    box,
    check_best,
    main,
    matched,
    optimizer,
    postgres_url,
    register,
    same_state,
    signal_of,
)

SCENARIOS: dict[str, Scenario] = {}
N_OPS = 12  # random operations per member


# ------------------------------------------------------------------ one member's operations
def member_ops(opt: Optimizer, run: Run, rng: np.random.Generator, log: dict[str, list[Any]],
               n: int, tag: str) -> None:
    """n random operations on the points this member holds (`log["mine"]`): ask 1–2,
    tell, tell_failure, cancel, report, heartbeat, add_pending; each recorded in `log`
    once the library accepted it (`asked`, `added`, `told` (params, value), `failed`,
    `cancelled`)."""
    mine: list[dict[str, Any]] = log["mine"]
    steps: dict[str, int] = {}
    for i in range(n):
        op = str(rng.choice(["ask", "ask", "tell", "tell", "fail", "cancel", "report",
                             "heartbeat", "add"]))
        name = f"{tag} {op} #{i}"
        if op == "ask" or (not mine and op != "add"):
            asked = run.step(f"{tag} ask #{i}", opt.ask, int(rng.integers(1, 3)))
            for params in asked or []:
                log["asked"].append(params)
                mine.append(params)
            continue
        if op == "add":
            fresh = {k: float(rng.random()) for k in opt.space.names}
            if run.step(name, partial(add_unless_matched, opt, fresh)):
                log["added"].append(fresh)
                mine.append(fresh)
            continue
        point = mine[int(rng.integers(len(mine)))]
        if op == "tell":
            value = signal_of(point)
            if _done(run, name, partial(opt.tell, point, value)):
                log["told"].append((point, value))
                mine.remove(point)
        elif op == "fail":
            if _done(run, name, partial(opt.tell_failure, point, f"boom {tag} {i}")):
                log["failed"].append(point)
                mine.remove(point)
        elif op == "cancel":
            if _done(run, name, partial(opt.cancel, point)):
                log["cancelled"].append(point)
                mine.remove(point)
        elif op == "heartbeat":
            run.step(name, partial(opt.heartbeat, point))
        else:
            step = steps.get(repr(point), 0) + 1
            steps[repr(point)] = step
            run.step(name, partial(opt.report, point, step, signal_of(point) + 1.0 / step))


def add_unless_matched(opt: Optimizer, fresh: dict[str, float]) -> bool:
    """`add_pending(fresh)`: True when added. A random point another member's pending one
    matches by `tell`'s rule (`robustness_fuzz.matched`) is refused as "pending
    already", as documented: False when such a point is pending, or told or failed since
    (in the history); the refusal stands (a fault) when none is."""
    try:
        opt.add_pending(fresh)
    except ValueError as error:
        if "is pending already" not in str(error):
            raise
        if not matched(opt, fresh, opt.pending + [o.params for o in opt.history]):
            raise
        return False
    return True


def _done(run: Run, name: str, call: Callable[[], Any]) -> bool:
    """Run `call` as a step; whether it went through (no fault recorded by it)."""
    before = len(run.faults)
    run.step(name, call)
    return len(run.faults) == before


def new_log() -> dict[str, list[Any]]:
    return {k: [] for k in ("mine", "asked", "added", "told", "failed", "cancelled")}


def key(params: Mapping[str, Any]) -> str:
    return repr(sorted(params.items()))


def check_folded(final: Optimizer, logs: list[dict[str, list[Any]]], run: Run,
                 views: Sequence[list[Any]] = ()) -> None:
    """The history and pending points of `final` (a fresh view of the study) against what
    the members did (module docstring)."""
    history = final.history
    told = Counter((key(p), v) for log in logs for p, v in log["told"])
    stored = Counter((key(o.params), o.value) for o in history if not o.failed)
    if told != stored:
        run.faults.append(f"tells made {dict(told - stored)} not stored, stored "
                          f"{dict(stored - told)} not made")
    failed = Counter(key(p) for log in logs for p in log["failed"])
    stored_failed = Counter(key(o.params) for o in history if o.failed)
    if failed != stored_failed:
        run.faults.append(f"failures made {dict(failed - stored_failed)} not stored, stored "
                          f"{dict(stored_failed - failed)} not made")
    handed = {key(p) for log in logs for p in log["asked"] + log["added"]}
    unasked = [o.params for o in history if key(o.params) not in handed]
    if unasked:
        run.faults.append(f"told points nobody asked or added: {unasked[:3]}")
    n_in = sum(len(log["asked"]) + len(log["added"]) for log in logs)
    n_out = sum(len(log["told"]) + len(log["failed"]) + len(log["cancelled"]) for log in logs)
    pending = final.pending
    if n_in != n_out + len(pending):
        run.faults.append(f"counts: {n_in} asked or added, {n_out} told, failed or cancelled, "
                          f"{len(pending)} pending")
    held = Counter(key(p) for log in logs for p in log["mine"])
    if held != Counter(key(p) for p in pending):
        run.faults.append(f"pending {pending} are not the points the members hold")
    whole = [(key(o.params), o.value, o.status) for o in history]
    for i, view in enumerate(views):
        if whole[:len(view)] != view:
            run.faults.append(f"member {i}'s history is not a prefix of the stored one")
    try:
        check_best(final)
    except Fault as fault:
        run.faults.append(f"best of the stored history: {fault}")


# ------------------------------------------------------------------ processes on one study
def spawned(run: Run, function: Callable[..., Any], arguments: list[tuple[Any, ...]],
            limit: float) -> list[Any] | None:
    """function(*a) for each `a` of `arguments`, each in a spawned process of its own, all
    at once: their returns, or None (a fault recorded, the processes ended) when they have
    not all ended within `limit` seconds."""
    with multiprocessing.get_context("spawn").Pool(len(arguments)) as pool:
        waiting = pool.starmap_async(function, arguments)
        try:
            return list(waiting.get(timeout=limit))
        except multiprocessing.TimeoutError:
            run.faults.append(f"{len(arguments)} processes: no end within {limit:g} s")
            return None  # the pool's exit terminates them


def _member(url: str, study: str, seed: int, index: int, timeout: int) -> dict[str, Any]:
    """One process of a study: its random operations, its log, its last view of the
    history and its own faults and warnings (run in a spawned process)."""
    def on_alarm(signum: int, frame: Any) -> None:
        raise Timeout
    signal.signal(signal.SIGALRM, on_alarm)
    run, log = Run(timeout), new_log()
    rng = np.random.default_rng([seed, index])
    opt = run.step(f"member {index} attach", lambda: optimizer(
        box(), seed * 10 + index, storage=url, study=study))
    if opt is not None:
        member_ops(opt, run, rng, log, N_OPS, f"member {index}")
        view = [(key(o.params), o.value, o.status) for o in opt.history]
        opt.close()
    else:
        view = []
    return {"log": log, "view": view, "faults": run.faults, "steps": run.steps,
            "warned": dict(run.warned)}


def _processes(where: str) -> Scenario:
    def sequence(seed: int, run: Run) -> None:
        k = 2 + seed % 3
        with tempfile.TemporaryDirectory() as folder:
            url = {"sqlite": lambda: f"sqlite:///{folder}/study.db",
                   "jsonl study": lambda: str(Path(folder) / "study.jsonl"),
                   "postgresql": postgres_url}[where]()
            study = f"s{uuid.uuid4().hex}"
            first = run.step("create the study", lambda: optimizer(box(), seed, storage=url,
                                                                   study=study))
            if first is None:
                return
            first.close()
            members = spawned(run, _member, [(url, study, seed, i, run.timeout)
                                             for i in range(k)], run.timeout * 3)
            if members is None:
                return
            for member in members:
                run.steps += member["steps"]
                run.faults += member["faults"]
                run.warned.update(member["warned"])
            final = run.step("attach after", lambda: optimizer(box(), seed + 100,
                                                                storage=url, study=study))
            other = run.step("attach again", lambda: optimizer(box(), seed + 200,
                                                                storage=url, study=study))
            if final is None or other is None:
                return
            check_folded(final, [m["log"] for m in members], run,
                         [m["view"] for m in members])
            same_state(final, other, "two fresh attached optimizers", run)
            final.close()
            other.close()
    return sequence


register("processes on a", _processes, {w: (w,) for w in ("sqlite", "jsonl study",
                                                          "postgresql")}, SCENARIOS)


# ------------------------------------------------------------------ threads on one optimizer
def _threads(journal: bool) -> Scenario:
    """4 threads of random operations on one optimizer. A `Run` step's warning filters
    are process-wide, so the threads run bare: the filters are set once around them
    (undocumented warnings raise in the thread that issued them), and every exception a
    thread meets is a fault; each thread is bounded by the join's timeout."""
    def sequence(seed: int, run: Run) -> None:
        with tempfile.TemporaryDirectory() as folder:
            path = str(Path(folder) / "run.jsonl")
            opt = run.step("optimizer", lambda: optimizer(
                box(), seed, **({"journal": path} if journal else {})))
            if opt is None:
                return
            logs = [new_log() for _ in range(4)]
            errors: list[str] = []

            def work(i: int) -> None:
                bare = _BareRun(errors)
                member_ops(opt, bare, np.random.default_rng([seed, i]), logs[i], N_OPS,
                           f"thread {i}")

            with warnings.catch_warnings(record=True) as seen:
                warnings.simplefilter("error")
                for kind in DOCUMENTED:
                    warnings.filterwarnings("always", category=kind)
                threads = [threading.Thread(target=work, args=(i,), daemon=True)
                           for i in range(4)]
                for thread in threads:
                    thread.start()
                deadline = time.monotonic() + run.timeout
                for thread in threads:
                    thread.join(max(0.0, deadline - time.monotonic()))
            run.warned.update(type(w.message).__name__ for w in seen)
            run.steps += 4 * N_OPS
            if any(thread.is_alive() for thread in threads):
                run.faults.append(f"threads: no end within {run.timeout} s")
                return
            run.faults += errors
            check_folded(opt, logs, run)
            if journal:
                again = run.step("resume", partial(Optimizer.resume, path, append=False))
                if again is not None:
                    same_state(opt, again, "the resumed journal", run)
            opt.close()
    return sequence


class _BareRun(Run):
    """A `Run` for a thread: its steps record every exception as a fault, without the
    process-wide warning filters or the alarm of `Run.step`."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__(timeout=0)
        self.faults = errors

    def step(self, name: str, call: Callable[..., Any], *args: Any,
             refuse: Any = None) -> Any:
        try:
            return call(*args)
        except Exception as error:  # noqa: BLE001 - every exception is a fault here
            self.faults.append(f"{name}: {type(error).__name__}: {error}")
            return None


register("threads on one", _threads, {"optimizer": (False,), "journaled optimizer": (True,)},
         SCENARIOS)


# ------------------------------------------------------------------ minimize with workers
def hostile(params: dict[str, Any]) -> float:
    """By region of x0: raises, NaN, EvaluationFailed, sleeps, or answers at once."""
    x = float(params["x0"])
    if x > 0.9:
        raise ValueError(f"diverged at x0={x:.3f}")
    if x > 0.8:
        return float("nan")
    if x > 0.7:
        raise EvaluationFailed(f"out of memory at x0={x:.3f}")
    if x < 0.3:
        time.sleep(0.05 + 0.1 * x)
    return signal_of(params)


def _minimized(pool: str) -> Scenario:
    def sequence(seed: int, run: Run) -> None:
        rng = np.random.default_rng(seed)
        k, n_calls = 2 + seed % 3, 8
        x0 = [{"x0": float(rng.random()), "x1": float(rng.random())}
              for _ in range(1 + seed % 3)]
        executor = ThreadPoolExecutor(k) if pool == "threads" else None
        told: Counter[str] = Counter()

        def count(observation: Any, opt: Any) -> bool:
            told[key(observation.params)] += 1
            return False

        before = run.warned[UnmatchedTellWarning.__name__]
        result = run.step("minimize", lambda: minimize(
            hostile, box(), n_calls=n_calls, seed=seed, n_workers=k, executor=executor,
            x0=x0, progress=False, options=FAST, n_initial=3, callback=count,
            max_consecutive_failures=None))
        if executor is not None:
            executor.shutdown()
        if result is None:
            return
        if run.warned[UnmatchedTellWarning.__name__] != before:
            run.faults.append("minimize warned UnmatchedTellWarning")
        points = [key(o.params) for o in result.history]
        if len(points) != n_calls or len(set(points)) != n_calls:
            run.faults.append(f"{len(points)} evaluations, {len(set(points))} distinct, "
                              f"of n_calls={n_calls}")
        if any(points.count(key(p)) != 1 for p in x0):
            run.faults.append(f"x0 {x0} not each evaluated once: {points}")
        if set(told.values()) - {1}:
            run.faults.append(f"points told more than once: {told}")
        try:
            check_best(result)
        except Fault as fault:
            run.faults.append(str(fault))
    return sequence


register("minimize with", _minimized, {"a thread pool": ("threads",),
                                       "its own process pool": ("processes",)}, SCENARIOS)


def _study_member(url: str, study: str, x0: list[dict[str, Any]], seed: int) -> list[str]:
    """One process of `minimize` on a shared study (spawned); its faults."""
    faults: list[str] = []
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        try:
            with ThreadPoolExecutor(2) as executor:
                minimize(hostile, box(), n_calls=6, seed=seed, n_workers=2,
                         executor=executor, x0=x0, progress=False, options=FAST,
                         n_initial=3, storage=url, study=study,
                         max_consecutive_failures=None)
        except Exception as error:  # noqa: BLE001 - reported to the parent as a fault
            faults.append(f"member {seed}: {type(error).__name__}: {error}")
    faults += [f"member {seed} warned {w.category.__name__}: {w.message}" for w in seen
               if not issubclass(w.category, DOCUMENTED)
               or w.category is UnmatchedTellWarning]
    return faults


def _shared_x0(seed: int, run: Run) -> None:
    rng = np.random.default_rng(seed)
    x0 = [{"x0": float(0.1 + 0.5 * rng.random()), "x1": float(rng.random())}
          for _ in range(2)]
    with tempfile.TemporaryDirectory() as folder:
        url, study = f"sqlite:///{folder}/study.db", "s"
        faults = spawned(run, _study_member, [(url, study, x0, seed * 10 + i)
                                              for i in range(2)], run.timeout * 2)
        if faults is None:
            return
        run.steps += 2
        run.faults += [f for member in faults for f in member]
        final = run.step("attach after", lambda: optimizer(box(), seed, storage=url,
                                                            study=study))
        if final is None:
            return
        points = [key(o.params) for o in final.history]
        if any(points.count(key(p)) != 1 for p in x0):
            run.faults.append(f"x0 {x0} not each evaluated once in the study: {points}")
        if final.pending:
            run.faults.append(f"points left pending: {final.pending}")
        final.close()


SCENARIOS["minimize with: two processes, the same x0, one SQLite study"] = _shared_x0


# ------------------------------------------------------------------ Dask
def sleepy(params: dict[str, Any]) -> float:
    time.sleep(0.3)
    return signal_of(params)


def _dask(seed: int, run: Run) -> None:
    import distributed

    told: Counter[str] = Counter()
    killed: list[float] = []

    def count(observation: Any, opt: Any) -> bool:
        told[key(observation.params)] += 1
        return False

    def go() -> Any:
        with (
            distributed.LocalCluster(  # type: ignore[no-untyped-call]
                n_workers=2, threads_per_worker=1, processes=True,
                dashboard_address=None) as cluster,
            distributed.Client(cluster) as client,  # type: ignore[no-untyped-call]
        ):
            pids = list(client.run(os.getpid).values())
            victim = pids[seed % len(pids)]
            # within the first evaluations (8 of 0.3 s on 2 workers: 1.2 s); the kill time
            # cycles over 0.3-0.9 s, since 0.3 + 0.15 * seed passed the run's end from seed 7
            delay = 0.3 + 0.15 * (seed % 5)

            def kill() -> None:
                time.sleep(delay)
                os.kill(victim, signal.SIGKILL)
                killed.append(time.monotonic())

            killer = threading.Thread(target=kill, daemon=True)
            killer.start()
            result = minimize(sleepy, box(), n_calls=8, seed=seed, n_workers=2,
                              executor=client, progress=False, options=FAST, n_initial=3,
                              callback=count, max_consecutive_failures=None)
            ended = time.monotonic()
            killer.join()
            if not killed or killed[0] > ended:
                run.faults.append("the worker was killed after the run ended: nothing fuzzed")
            return result

    run.external = (*run.external, (".*", "distributed"))  # Dask's own warnings on a kill
    result = run.step("minimize on a cluster losing a worker", go)
    if result is None:
        return
    points = [key(o.params) for o in result.history]
    if len(points) != 8 or len(set(points)) != 8 or set(told.values()) != {1}:
        run.faults.append(f"{len(points)} evaluations, {len(set(points))} distinct, told "
                          f"{dict(told)}")
    for o in result.history:
        if not o.ok and "KilledWorker" not in (o.error or ""):
            run.faults.append(f"a failure not Dask's: {o.error}")


SCENARIOS["dask: a LocalCluster worker killed mid-run"] = _dask


# ------------------------------------------------------------------ Optuna
def _trial_constraints(trial: Any) -> list[float]:
    return list(trial.user_attrs["c"])


def _optuna_member(url: str, name: str, seed: int, n_trials: int) -> list[str]:
    """One process of an Optuna study with constraints (spawned); its faults."""
    import optuna

    from bayesopt.integrations.optuna import BayesoptSampler

    optuna.logging.set_verbosity(optuna.logging.ERROR)

    def objective(trial: Any) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        y = trial.suggest_float("y", -1.0, 1.0)
        trial.set_user_attr("c", [x - 0.6, y * y - 0.5])
        return float((x - 0.3) ** 2 + y)

    faults: list[str] = []
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        try:
            sampler = BayesoptSampler(seed=seed, constraints_func=_trial_constraints,
                                      n_initial=3, options=FAST)
            study = optuna.load_study(study_name=name, storage=url, sampler=sampler)
            study.optimize(objective, n_trials=n_trials)
        except Exception as error:  # noqa: BLE001 - reported to the parent as a fault
            faults.append(f"member {seed}: {type(error).__name__}: {error}")
    faults += [f"member {seed} warned {w.category.__name__}: {w.message}" for w in seen
               if not issubclass(w.category, DOCUMENTED)
               and "optuna" not in (w.filename or "")]
    return faults


def _optuna(seed: int, run: Run) -> None:
    import optuna

    with tempfile.TemporaryDirectory() as folder:
        url, name, n_trials = f"sqlite:///{folder}/optuna.db", "s", 6
        run.step("create the study", lambda: optuna.create_study(study_name=name, storage=url))
        faults = spawned(run, _optuna_member, [(url, name, seed * 10 + i, n_trials)
                                               for i in range(2)], run.timeout * 2)
        if faults is None:
            return
        run.steps += 2 * n_trials
        run.faults += [f for member in faults for f in member]
        trials = optuna.load_study(study_name=name, storage=url).trials
        states = Counter(t.state.name for t in trials)
        if states != Counter({"COMPLETE": 2 * n_trials}):
            run.faults.append(f"trials: {dict(states)} of {2 * n_trials}")
        missing = [t.number for t in trials if "c" not in t.user_attrs]
        if missing:
            run.faults.append(f"trials without their constraint values: {missing}")


SCENARIOS["optuna constraints: two processes on one SQLite storage"] = _optuna


if __name__ == "__main__":
    main(scenarios=SCENARIOS, doc=__doc__)

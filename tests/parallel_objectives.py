"""Objectives for the parallel tests, at module level so spawned workers can import them."""

from __future__ import annotations

import os
import signal
import threading
import time


def sphere(params: dict) -> float:
    return (params["x"] - 0.3) ** 2 + (params["y"] - 0.7) ** 2


def slow_sphere(params: dict) -> float:
    time.sleep(0.05)
    return sphere(params)


def raises_on_the_right(params: dict) -> float:
    if params["x"] > 0.75:
        raise ValueError(f"diverged at x={params['x']:.3f}")
    return sphere(params)


def kills_its_worker_on_the_right(params: dict) -> float:
    """SIGKILL its own process for x > 0.75 (a worker dying mid-evaluation)."""
    if params["x"] > 0.75:
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(0.02)
    return sphere(params)


def branin_unit(params: dict) -> float:
    """Branin (three global minima) on the unit square."""
    import numpy as np

    from bayesopt.test_functions import Branin

    return float(Branin()(np.array([-5.0 + 15.0 * params["x"], 15.0 * params["y"]])))


def misspelt_key(params: dict) -> float:
    """A broken objective: reads a key the space does not have."""
    return float(params["learning_rate"])


def diverges_on_the_right(params: dict) -> float:
    """A failure that is part of the problem, reported as such."""
    from bayesopt import EvaluationFailed

    if params["x"] > 0.5:
        raise EvaluationFailed(f"loss diverged at x={params['x']:.3f}")
    return sphere(params)


def sleepy_sphere(params: dict) -> float:
    time.sleep(0.2)
    return sphere(params)


def branches(params: dict) -> float:
    """A conditional objective: x exists only under model "a", y only under "b"."""
    if params["model"] == "a":
        return (params["x"] - 0.2) ** 2
    return 0.5 + (params["y"] - 0.7) ** 2


STARTED = threading.Event()  # set by `signals_its_start` (a thread-based Dask cluster shares it)


def signals_its_start(params: dict) -> float:
    """sphere after 1 s, once STARTED is set: the run is mid-evaluation meanwhile."""
    STARTED.set()
    time.sleep(1.0)
    return sphere(params)


def minimize_with_two_workers(seed: int) -> str:
    """minimize(n_workers=2) where this runs (a daemonic multiprocessing worker in
    tests/test_parallel.py): what it raised, as text, and whether anything was evaluated."""
    from bayesopt import Real, minimize

    evaluated: list[dict] = []
    space = {"x": Real(0.0, 1.0), "y": Real(0.0, 1.0)}
    try:
        minimize(sphere, space, n_calls=4, seed=seed, n_workers=2, progress=False,
                 callback=lambda observation, opt: evaluated.append(observation.params))
    except Exception as error:  # noqa: BLE001 - reported to the test
        return f"{type(error).__name__}: {error} | evaluated {len(evaluated)}"
    return f"ran | evaluated {len(evaluated)}"


def interrupts_on_the_right(params: dict) -> float:
    """Ctrl-C inside the objective (a KeyboardInterrupt it raises) for x > 0.5."""
    if params["x"] > 0.5:
        raise KeyboardInterrupt
    return sphere(params)


def kills_its_worker_on_the_right_late(params: dict) -> float:
    """After 0.2 s, SIGKILL its own process for x > 0.75 (while the other worker's
    evaluation ends and the loop submits the next point to the broken pool)."""
    time.sleep(0.2)
    if params["x"] > 0.75:
        os.kill(os.getpid(), signal.SIGKILL)
    return sphere(params)


def records_its_pid_and_sleeps(params: dict) -> float:
    """Write this worker's pid into the folder named by $BAYESOPT_TEST_PIDS, then sleep
    for two minutes: an evaluation still running when its run is killed."""
    folder = os.environ["BAYESOPT_TEST_PIDS"]
    with open(os.path.join(folder, str(os.getpid())), "w") as handle:
        handle.write("started")
    time.sleep(120.0)
    return sphere(params)


def records_its_pid_and_sleeps_unless_at_the_centre(params: dict) -> float:
    """`records_its_pid_and_sleeps`, except at x = 0.5 (a warm-start point), which returns
    after two seconds (the others started meanwhile, each in its own worker): its worker
    then waits idle for work, as one does between two evaluations."""
    if params["x"] != 0.5:
        return records_its_pid_and_sleeps(params)
    time.sleep(2.0)
    with open(os.path.join(os.environ["BAYESOPT_TEST_PIDS"], str(os.getpid())), "w") as handle:
        handle.write("done")
    return sphere(params)

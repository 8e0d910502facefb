"""What the step-cost benchmarks share (`bench.refit_cost`, `bench.ask_time`).

    optimizer_at(n)        Hartmann-6 (d = 6) after n random observations (`bench.overhead`'s)
    timed_step(opt, f)     one ask and one tell, (ask, tell) CPU seconds
    ask_seconds(opt, k)    CPU seconds of one ask on each of k deep copies of opt
    TimedCalls(fun)        fun with its calls counted and the CPU time inside and between
                           its calls summed (an L-BFGS-B objective: the objective's share,
                           and the driver's between two evaluations)
    timed_method(cls, m)   cls.m replaced by a TimedCalls of it inside the block, then put back
    wrapped_method(cls, m, wrap)  cls.m replaced by wrap(cls.m) inside the block, then put back
    sizes_argument(text)   the `--sizes` option: "50,100" → [50, 100], each n ≥ 2

Every clock here is the process's CPU time (`time.process_time`); a timer adds
about 1 µs to each call it wraps.
"""

from __future__ import annotations

import argparse
import copy
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from bayesopt import Optimizer
from bayesopt.test_functions import Hartmann6
from bench.overhead import _observations, _params


def optimizer_at(n: int) -> tuple[Optimizer, Hartmann6]:
    """An optimizer (seed 0) told n random observations of Hartmann-6, and the function."""
    f = Hartmann6()
    opt = Optimizer(f.search_space(), seed=0)
    X, y = _observations(n, 0)
    opt.tell([_params(x) for x in X], [float(v) for v in y])
    return opt, f


def timed_step(opt: Optimizer, f: Hartmann6) -> tuple[float, float]:
    """(ask, tell) CPU seconds of one step: ask a point, tell f there."""
    start = time.process_time()
    params = opt.ask()
    middle = time.process_time()
    opt.tell(params, float(f(np.array(list(params.values())))))
    return middle - start, time.process_time() - middle


def ask_seconds(opt: Optimizer, asks: int) -> list[float]:
    """CPU seconds of one ask on each of `asks` deep copies of `opt` (the same state each
    time, so the same work)."""
    times = []
    for _ in range(asks):
        duplicate = copy.deepcopy(opt)
        start = time.process_time()
        duplicate.ask()
        times.append(time.process_time() - start)
    return times


class TimedCalls:
    """`fun` with its calls counted and the CPU seconds spent in it (`inside`) and between
    two of its calls (`between`) summed; `first` is the clock at the first call, `last`
    the clock when the last one returned (`started` until a call has)."""

    def __init__(self, fun: Callable[..., Any], started: float | None = None) -> None:
        self.fun = fun
        self.calls = 0
        self.inside = self.between = 0.0
        self.first: float | None = None
        self.last = time.process_time() if started is None else started

    def __call__(self, *args: Any) -> Any:
        start = time.process_time()
        if self.first is None:
            self.first = start
        else:
            self.between += start - self.last
        try:
            return self.fun(*args)
        finally:
            self.last = time.process_time()
            self.inside += self.last - start
            self.calls += 1


@contextmanager
def wrapped_method(owner: type, name: str,
                   wrap: Callable[[Callable[..., Any]], Callable[..., Any]]) -> Iterator[None]:
    """Inside the block, `owner.name` is `wrap(original)` (a function, so that the instance
    is bound as `self`); then it is the class's own method again (an inherited one by
    removing the wrapper)."""
    original: Callable[..., Any] = getattr(owner, name)
    own = name in vars(owner)
    setattr(owner, name, wrap(original))
    try:
        yield
    finally:
        if own:
            setattr(owner, name, original)
        else:
            delattr(owner, name)


@contextmanager
def timed_method(owner: type, name: str) -> Iterator[TimedCalls]:
    """Inside the block, `owner.name` runs through a TimedCalls (yielded); then it is the
    class's own method again."""
    timer = TimedCalls(getattr(owner, name))

    def through_timer(_: Callable[..., Any]) -> Callable[..., Any]:
        return lambda *args: timer(*args)

    with wrapped_method(owner, name, through_timer):
        yield timer


def sizes_argument(text: str) -> list[int]:
    """'50,100' → [50, 100]: each n ≥ 2 (the model needs two observations)."""
    parts = [part.strip() for part in text.split(",")]
    if not all(part.isdigit() and int(part) >= 2 for part in parts):
        raise argparse.ArgumentTypeError(
            f"must be comma-separated integers >= 2, got {text!r}")
    return [int(part) for part in parts]

"""Where an ask+tell's CPU time goes without a profiler: each timed function's own time.

    python -m bench.step_split [--sizes 50,100] [--steps 20] [--threads 1] [--top 25]

For d = 6 (Hartmann-6) and each n, the optimizer of `bench.profile_step` (n random
observations, one warm-up step) runs `--steps` ask+tell steps with the functions
of `TIMED` wrapped: each wrapper reads the CPU clock (`time.process_time`) around
its call, and a function's *own* time is its time minus that of the timed
functions it called. The phases of `bench.profile_step` (refit, candidate
scoring, polish) are timed as wholes; the rest of a step — ask and tell
bookkeeping, events, encoding, the output transform, the candidates' Sobol
draw, the duplicate checks — is split by function. Unlike cProfile, which adds
its cost to every Python call and so inflates Python-heavy code, this adds two
clock reads per timed call (about 1 µs). "untimed" is the step's time outside
every timed function (the benchmark's own loop and objective included).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import acquisition.optimizer
import bayesopt.model
import bayesopt.optimizer
import bayesopt.propose
import bayesopt.space
import bayesopt.state
import bayesopt.transforms
from bayesopt.argtypes import positive_int
from bench.overhead import DIM, _limit_threads
from bench.profile_step import _fill, _steps
from bench.step_timing import sizes_argument

# (owner, attribute, label): the phases as wholes, then the functions around them
TIMED: tuple[tuple[Any, str, str], ...] = (
    (bayesopt.model.SurrogateModel, "_refit", "phase: refit"),
    (acquisition.optimizer.AcquisitionObjective, "screened_values", "phase: candidate scoring"),
    (acquisition.optimizer.AcquisitionObjective, "values", "phase: candidate scoring"),
    (acquisition.optimizer, "_local_search", "phase: polish"),
    (bayesopt.transforms.OutputTransform, "fit", "output transform fit"),
    (acquisition.optimizer.Domain, "draw", "candidates: Sobol draw"),
    (acquisition.optimizer, "_perturbations", "candidates: perturbations"),
    (acquisition.optimizer, "_first_distinct", "duplicate checks (_first_distinct)"),
    (acquisition.optimizer._Scores, "best_distinct", "duplicate checks (best_distinct)"),
    (bayesopt.space.Space, "encode", "Space.encode"),
    (bayesopt.space.Space, "encode_valid", "Space.encode_valid"),
    (bayesopt.space.Space, "decode", "Space.decode"),
    (bayesopt.space.Space, "validate", "Space.validate"),
    (bayesopt.state.OptimizerState, "apply", "OptimizerState.apply"),
    (bayesopt.state.OptimizerState, "fork_rng", "OptimizerState.fork_rng"),
    (bayesopt.state.OptimizerState, "checkpoint", "OptimizerState.checkpoint"),
    (bayesopt.state.OptimizerState, "model_data", "OptimizerState.model_data"),
    (bayesopt.optimizer.Optimizer, "ask", "Optimizer.ask"),
    (bayesopt.optimizer.Optimizer, "tell", "Optimizer.tell"),
    (bayesopt.optimizer.Optimizer, "_ask_event", "Optimizer._ask_event"),
    (bayesopt.optimizer.Optimizer, "_tell_event", "Optimizer._tell_event"),
    (bayesopt.model.SurrogateModel, "update", "SurrogateModel.update"),
    (bayesopt.propose, "optimize_acquisition", "optimize_acquisition"),
    (bayesopt.propose.Proposal, "acquisition_objective", "Proposal.acquisition_objective"),
)


class _Clock:
    """Own CPU seconds per label: a stack of the timed calls in progress."""

    def __init__(self) -> None:
        self.own: dict[str, float] = {}
        self._inner: list[float] = []  # per open call: seconds of the timed calls inside it

    def wrap(self, function: Callable[..., Any], label: str) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.process_time()
            self._inner.append(0.0)
            try:
                return function(*args, **kwargs)
            finally:
                elapsed = time.process_time() - start
                inner = self._inner.pop()
                self.own[label] = self.own.get(label, 0.0) + elapsed - inner
                if self._inner:
                    self._inner[-1] += elapsed
        return timed


@contextmanager
def _patched(owner: Any, name: str, replacement: Callable[..., Any]) -> Iterator[None]:
    """`owner.name` is `replacement` inside the block, then what it was (inherited or own)."""
    own = name in vars(owner)
    original = vars(owner)[name] if own else None
    setattr(owner, name, replacement)
    try:
        yield
    finally:
        if own:
            setattr(owner, name, original)
        else:
            delattr(owner, name)


def split(n: int, steps: int) -> tuple[float, dict[str, float]]:
    """(CPU seconds per step, own seconds per step by label, "untimed" included)."""
    opt, f = _fill(n)
    clock = _Clock()
    with ExitStack() as stack:
        for owner, name, label in TIMED:
            original = getattr(owner, name, None)
            if original is None:  # another version of the code (e.g. without encode_valid)
                continue
            stack.enter_context(_patched(owner, name, clock.wrap(original, label)))
        start = time.process_time()
        _steps(opt, f, steps)()
        total = time.process_time() - start
    own = {label: seconds / steps for label, seconds in clock.own.items()}
    own["untimed"] = total / steps - sum(own.values())
    return total / steps, own


def table(n: int, total: float, own: dict[str, float], top: int) -> str:
    lines = [f"n = {n}: {1e3 * total:.2f} ms per ask+tell", "",
             "| own time per step | ms | share |", "|---|---:|---:|"]
    for label, seconds in sorted(own.items(), key=lambda item: -item[1])[:top]:
        lines.append(f"| {label} | {1e3 * seconds:.3f} | {100 * seconds / total:.1f} % |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="50,100", type=sizes_argument)
    parser.add_argument("--steps", type=positive_int, default=20)
    parser.add_argument("--threads", type=positive_int, default=1, help="BLAS and Numba threads")
    parser.add_argument("--top", type=positive_int, default=25)
    args = parser.parse_args(argv)
    with _limit_threads(args.threads):
        for n in args.sizes:
            total, own = split(n, args.steps)
            print(table(n, total, own, args.top) + "\n", flush=True)
    print(f"d = {DIM} (Hartmann-6), {args.steps} steps per n, CPU time, threads {args.threads}")


if __name__ == "__main__":
    main()

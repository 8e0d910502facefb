"""The exhaustion check's cost per ask, against the ask itself, on finite spaces.

    python -m bench.exhaustion_check [--asks 20] [--repeats 5] [--out FILE]

`minimize` asks whether a finite space is exhausted (`bayesopt.optimizer.space_exhausted`:
every admitted point observed or pending) before each ask, and stops when it is. For each
space — two Integer dimensions of 100 values (10,000 points), a third of 10 values
(100,000), and the two with a `Fidelity(1, 27)` — without and with ``feasible=`` (a callable admitting a + b ≤ 150, about 88 % of
the points), an Optimizer is given `--asks` asks and tells of a cheap objective, then timed
with `time.process_time` (CPU, this process):

    check   one `space_exhausted(opt)`: the median of `--repeats` calls after a first
            (uncounted) one, and that first call alone
    ask     one `opt.ask()` then its tell: the median of `--repeats`

in milliseconds, with the check's share of an ask (check / ask). Printed, and written
to `--out` if given (bench/results/exhaustion_check.md is a curated before/after
write-up: not overwritten by default). Run it with OMP_NUM_THREADS=1 and say the load
average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bayesopt import Fidelity, Integer, Optimizer
from bayesopt.optimizer import space_exhausted

SPACES: dict[str, dict[str, Any]] = {
    "10,000": {"a": Integer(0, 99), "b": Integer(0, 99)},
    "100,000": {"a": Integer(0, 99), "b": Integer(0, 99), "c": Integer(0, 9)},
    # configurations × budgets: the check counts the runs at the budget of the bracket due
    "10,000 × Fidelity(1, 27)": {"a": Integer(0, 99), "b": Integer(0, 99),
                                 "epochs": Fidelity(1, 27)},
}


def admit(params: dict[str, Any]) -> bool:
    """The bench's input constraint: a + b ≤ 150."""
    return bool(params["a"] + params["b"] <= 150)


def objective(params: dict[str, Any]) -> float:
    return float((params["a"] - 30) ** 2 + (params["b"] - 60) ** 2 + params.get("c", 0))


def positive(text: str) -> int:
    """A command-line count ≥ 1 (argparse's `type`: a usage error otherwise)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def cpu_ms(call: Callable[[], Any]) -> float:
    start = time.process_time()
    call()
    return 1000.0 * (time.process_time() - start)


def measure(space: dict[str, Any], feasible: Any, asks: int, repeats: int) -> dict[str, float]:
    opt = Optimizer(space, seed=0, n_initial=5, feasible=feasible)
    for _ in range(asks):
        p = opt.ask()
        opt.tell(p, objective(p))
    first = cpu_ms(lambda: space_exhausted(opt))
    checks = [cpu_ms(lambda: space_exhausted(opt)) for _ in range(repeats)]

    def ask_tell() -> None:
        p = opt.ask()
        opt.tell(p, objective(p))

    ask = [cpu_ms(ask_tell) for _ in range(repeats)]
    return {"first": first, "check": statistics.median(checks), "ask": statistics.median(ask)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--asks", type=positive, default=20)
    parser.add_argument("--repeats", type=positive, default=5)
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    rows = ["| points | feasible= | first check, ms | check, ms | ask + tell, ms | check / ask |",
            "|---|---|---|---|---|---|"]
    for label, space in SPACES.items():
        for feasible in (None, admit):
            r = measure(space, feasible, args.asks, args.repeats)
            rows.append(f"| {label} | {'a + b ≤ 150' if feasible else 'none'} | "
                        f"{r['first']:.1f} | {r['check']:.2f} | {r['ask']:.1f} | "
                        f"{100 * r['check'] / r['ask']:.1f} % |")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    text = (f"`python -m bench.exhaustion_check --asks {args.asks} --repeats {args.repeats}` "
            f"(CPU ms, medians; load average {load})\n\n" + "\n".join(rows) + "\n")
    if args.out is not None:
        Path(args.out).write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()

"""How many runs reach the top budget when a Fidelity's runs report every epoch.

    python -m bench.fidelity_reports [--seeds 0-2] [--runs 80]

The loop of `examples/fidelity_checkpoints.py` (a small ReLU network on a
three-class spiral, `Fidelity(1, 27)`, 80 runs per seed) in three ways:

    checkpoint  a promotion loads the checkpoint of the run it continues
                (`opt.continues`) and trains only the epochs it adds; every
                epoch is reported (`opt.report`), the example as written
    scratch     every run, promotions included, trains from epoch 1 and
                reports every epoch
    no-reports  every run trains to its budget and is told, nothing reported

Each mode runs the example's own `run` (ask, train, report, tell); scratch and
no-reports hand it the optimizer with `continues` answering None (and, for
no-reports, `report` doing nothing). For each seed, the number of successful
runs (`ok`) at 27 epochs, the number stopped by a report (`pruned`) and the
epochs trained. The batches
are seeded by epoch and the initial weights are the same for every
configuration, so a run trained on from a checkpoint and the same run
trained from scratch end with the same weights: the modes differ only in
what the reports do. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Hashable
from pathlib import Path
from typing import Any

# the example's modules, by path (examples/ is not a package; mypy does not read it)
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
from fidelity_checkpoints import SPACE, Weights, run  # type: ignore[import-not-found]
from sgd_training_loop import Data, spirals  # type: ignore[import-not-found]

from bayesopt import Optimizer
from bench.fidelity import _seeds

MODES = ("checkpoint", "scratch", "no-reports")
TOP = 27


class _Scratch:
    """The optimizer as the example sees it, with no run to continue: every run,
    promotions included, trains from epoch 1 (`reports=False`: and reports nothing)."""

    def __init__(self, opt: Optimizer, reports: bool) -> None:
        self._opt, self._reports = opt, reports

    def __getattr__(self, name: str) -> Any:
        return getattr(self._opt, name)

    def continues(self, params: dict[str, Any]) -> None:
        return None

    def report(self, params: dict[str, Any], step: int, value: float) -> bool:
        return self._reports and self._opt.report(params, step, value)


def measure(mode: str, seed: int, runs: int, data: Data) -> dict[str, float]:
    opt = Optimizer(SPACE, seed=seed)
    seen = opt if mode == "checkpoint" else _Scratch(opt, reports=mode == "scratch")
    checkpoints: dict[Hashable, tuple[Weights, Weights]] = {}
    start = time.process_time()
    epochs = sum(run(seen, data, checkpoints) for _ in range(runs))
    return {"ok_at_top": sum(o.ok and o.params["epochs"] == TOP for o in opt.history),
            "pruned": sum(o.status == "pruned" for o in opt.history),
            "epochs": epochs, "cpu": time.process_time() - start}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0-2", help="e.g. 0-2 or 0,4")
    parser.add_argument("--runs", type=int, default=80)
    args = parser.parse_args(argv)
    seeds = _seeds(args.seeds)
    if not seeds or min(seeds) < 0 or args.runs < 1:
        parser.error(f"--seeds={args.seeds!r} and --runs={args.runs} must be non-negative "
                     "seeds and a positive count")
    data = spirals()
    lines = [(f"| mode | successful runs at {TOP} epochs, seeds {args.seeds} "
             "| runs stopped by a report | epochs trained | CPU s |"), "|---|---|---|---|---|"]
    for mode in MODES:
        rows = [measure(mode, seed, args.runs, data) for seed in seeds]
        cells = [", ".join(f"{r[k]:.0f}" for r in rows) for k in ("ok_at_top", "pruned", "epochs")]
        lines.append(f"| {mode} | " + " | ".join(cells) + f" | {sum(r['cpu'] for r in rows):.0f} |")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

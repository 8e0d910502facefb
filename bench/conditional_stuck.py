"""Why the native optimizer can stay in one branch of bench.optuna_conditional's two_branch problem.

    python -m bench.conditional_stuck diagnose --seeds 0-9     # the acquisition at every rf point
    python -m bench.conditional_stuck remedies --seeds 0-9     # documented options, not defaults

The problem (`bench.optuna_conditional.two_branch`): model ∈ {svm, rf}; svm: C ∈
[1e-3, 1e3] log, f = |log10 C| + 0.2; rf: depth ∈ {1..10}, f = 0.3·|depth − 4| + 0.1.

diagnose: runs `Optimizer(two_branch_space(), seed=s)` for `--trials` asks as
bench.optuna_conditional's native path does (the asks are the same: the snapshot
`Optimizer.surrogate()` leaves the optimizer unchanged). Before every ask after the
initial design it takes the public snapshot and records the acquisition
(`Surrogate.acquisition`, log value) at the asked point and at every rf point not yet
observed, the posterior (`Surrogate.predict`) at depth 4, and the fitted hyperparameters
(`Surrogate.hyperparameters`). A step where some new rf point has a larger acquisition
than the asked point is a miss of the acquisition search; none means the model itself
ranks the rf branch below the asked point. A seed is stuck when no trial reaches 0.1.

remedies: the same runs with options that exist and are documented (no default
changes): `OptimizerOptions(random_interleave=10)` (SMAC's interleaving, the value of
the ablation's eighth round) and `acquisition="ucb"` (GP-UCB, β schedule of Srinivas
et al. 2010). The criterion, fixed before the runs: a variant unsticks a seed when its
run reaches 0.1 within `--trials` trials; for every variant the best value of each seed
is reported, so a variant that unsticks the stuck seeds and sticks others shows it.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from bayesopt import Optimizer, OptimizerOptions
from bench.optuna_conditional import two_branch, two_branch_space
from bench.quality import seeds_argument

OPTIMUM = 0.1
DEPTHS = tuple(range(1, 11))


@dataclass(frozen=True)
class Step:
    """One model ask of a run: what was asked and how the rf branch looked to the model."""

    n: int  # observations before the ask
    asked: dict[str, Any]
    asked_log_acq: float
    best_rf: int | None  # the unobserved depth of largest acquisition (None: all observed)
    best_rf_log_acq: float  # −inf when every depth is observed
    rf_observed: int
    mean4: float  # posterior mean and sd of the latent objective at depth 4
    sd4: float
    depth_lengthscale: float  # unit cube (1 = the whole range 1..10)
    c_lengthscale: float  # unit cube
    activity_depth: float  # lengthscale of depth's activity column
    noise: float  # noise variance, standardized outputs

    @property
    def missed(self) -> bool:
        return self.best_rf_log_acq > self.asked_log_acq


def _rf(depth: int) -> dict[str, Any]:
    return {"model": "rf", "depth": depth}


def diagnose(seed: int, trials: int) -> tuple[list[Step], list[float]]:
    """Run one seed and record a `Step` before each ask after the initial design."""
    opt = Optimizer(two_branch_space(), seed=seed)
    steps: list[Step] = []
    values: list[float] = []
    for n in range(trials):
        step_of = _snapshot(opt, n) if n >= opt.n_initial else None
        params = opt.ask()
        if step_of is not None:
            steps.append(step_of(params))
        values.append(two_branch(params))
        opt.tell(params, values[-1])
    return steps, values


def _snapshot(opt: Optimizer, n: int) -> Callable[[dict[str, Any]], Step]:
    """The model's view before the ask; completed with the asked point."""
    surrogate = opt.surrogate()
    observed = {o.params.get("depth") for o in opt.history if o.params["model"] == "rf"}
    new = [d for d in DEPTHS if d not in observed]
    log_acq = surrogate.acquisition([_rf(d) for d in new]).log_value if new else np.empty(0)
    k = int(np.argmax(log_acq)) if new else -1
    prediction = surrogate.predict(_rf(4))
    h = surrogate.hyperparameters()
    cube = h.lengthscales_unit_cube
    assert h.activity_lengthscales is not None

    def complete(params: dict[str, Any]) -> Step:
        return Step(n, params, float(surrogate.acquisition(params).log_value[0]),
                    new[k] if new else None, float(log_acq[k]) if new else -np.inf,
                    len(observed & set(DEPTHS)), float(prediction.mean[0]),
                    float(prediction.std[0]), float(cube["depth"]),  # type: ignore[arg-type]
                    float(cube["C"]), h.activity_lengthscales["depth"],  # type: ignore[arg-type]
                    h.noise_variance_standardized)
    return complete


def _asked(params: dict[str, Any]) -> str:
    if params["model"] == "rf":
        return f"rf depth={params['depth']}"
    return f"svm log10C={np.log10(params['C']):+.3f}"


def command_diagnose(args: argparse.Namespace) -> None:
    print("| seed | n | asked | log a(asked) | best new rf | log a(rf) | rf seen | "
          "mean, sd at depth 4 | l(depth) | l(C) | l(activity depth) | noise |")
    print("|---:|---:|---|---:|---:|---:|---:|---|---:|---:|---:|---:|")
    summary = []
    for seed in args.seeds:
        steps, values = diagnose(seed, args.trials)
        stuck = min(values) > OPTIMUM
        misses = sum(s.missed for s in steps)
        rf_asks = sum(s.asked["model"] == "rf" for s in steps)
        summary.append(f"seed {seed}: best {min(values):.4g} ({'stuck' if stuck else 'reaches 0.1'}"
                       f"), {len(steps)} model asks, {rf_asks} in rf, "
                       f"{misses} with a new rf point of larger acquisition than the asked one")
        for s in steps:
            if stuck and (s.n % 10 == 0 or s.missed):
                print(f"| {seed} | {s.n} | {_asked(s.asked)} | {s.asked_log_acq:.4g} | "
                      f"{s.best_rf} | {s.best_rf_log_acq:.4g} | {s.rf_observed} | "
                      f"{s.mean4:.3f}, {s.sd4:.3f} | {s.depth_lengthscale:.3g} | "
                      f"{s.c_lengthscale:.3g} | {s.activity_depth:.3g} | {s.noise:.2g} |")
    print()
    for line in summary:
        print("-", line)


VARIANTS: dict[str, Callable[[int], Optimizer]] = {
    "default": lambda seed: Optimizer(two_branch_space(), seed=seed),
    "random_interleave=10": lambda seed: Optimizer(
        two_branch_space(), seed=seed, options=OptimizerOptions(random_interleave=10)),
    "ucb": lambda seed: Optimizer(two_branch_space(), seed=seed, acquisition="ucb"),
}


def command_remedies(args: argparse.Namespace) -> None:
    print("| variant | " + " | ".join(f"seed {s}" for s in args.seeds) + " | seeds at 0.1 |")
    print("|---|" + "---:|" * (len(args.seeds) + 1))
    for name, make in VARIANTS.items():
        cells, reached = [], 0
        for seed in args.seeds:
            opt = make(seed)
            values = []
            for _ in range(args.trials):
                params = opt.ask()
                values.append(two_branch(params))
                opt.tell(params, values[-1])
            first = next((i + 1 for i, v in enumerate(values) if v <= OPTIMUM), None)
            reached += first is not None
            cells.append(f"{min(values):.3g}" + (f" (t={first})" if first else ""))
        print(f"| {name} | " + " | ".join(cells) + f" | {reached}/{len(args.seeds)} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("diagnose", "remedies"):
        p = sub.add_parser(name)
        p.add_argument("--seeds", type=seeds_argument, default=list(range(10)))
        p.add_argument("--trials", type=int, default=50)
    args = parser.parse_args()
    {"diagnose": command_diagnose, "remedies": command_remedies}[args.command](args)


if __name__ == "__main__":
    main()

"""Why the native optimizer can stay in one branch of bench.optuna_conditional's two_branch problem.

    python -m bench.conditional_stuck diagnose --seeds 0-9     # the acquisition at every rf point
    python -m bench.conditional_stuck counterfactual --seeds 0,7,8 --at 20
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

counterfactual: at the state after `--at` observations, the same fitted model with only
the depth lengthscale replaced (the GP rebuilt on the same data; the LogEI incumbent kept),
and the acquisition at every rf depth and at the point the optimizer asks; with the log
marginal likelihood log p(t | θ) and the log prior density of that lengthscale (up to a
constant), to show which of the two sets it. This one reaches into the model's internals
(`SurrogateModel.params`, `_member`): a diagnosis, not an API.

remedies: the same runs with options that exist and are documented (no default
changes): `OptimizerOptions(random_interleave=10)` (SMAC's interleaving, the value of
the ablation's eighth round) and `acquisition="ucb"` (GP-UCB, β schedule of Srinivas
et al. 2010). The criterion, fixed before the runs: a variant unsticks a seed when its
run reaches 0.1 within `--trials` trials; for every variant the best value of each seed
is reported, so a variant that unsticks the stuck seeds and sticks others shows it.
The Matérn-3/2 and Matérn-1/2 kernels (options of `kernel=`) were added to the variants
after the first two had been measured.
"""

from __future__ import annotations

import argparse
import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from acquisition.functions import LogExpectedImprovement
from acquisition.optimizer import AcquisitionObjective
from bayesopt import Optimizer, OptimizerOptions
from bayesopt.gp import GaussianProcess
from bayesopt.surrogate import Surrogate
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
        """A new rf point other than the asked one has a larger acquisition (beyond the
        rounding of one point scored alone or in a batch, ~1e-15 relative)."""
        if self.asked.get("depth") == self.best_rf:
            return False
        return self.best_rf_log_acq > self.asked_log_acq + 1e-9 * (1.0 + abs(self.asked_log_acq))


def _rf(depth: int) -> dict[str, Any]:
    return {"model": "rf", "depth": depth}


def diagnose(seed: int, trials: int) -> tuple[list[Step], list[float], str]:
    """Run one seed and record a `Step` before each ask after the initial design; also
    the initial design's points, described."""
    opt = Optimizer(two_branch_space(), seed=seed)
    steps: list[Step] = []
    values: list[float] = []
    design = []
    for n in range(trials):
        step_of = _snapshot(opt, n) if n >= opt.n_initial else None
        params = opt.ask()
        if step_of is not None:
            steps.append(step_of(params))
        values.append(two_branch(params))
        opt.tell(params, values[-1])
        if step_of is None:
            design.append(f"{_asked(params)}: {values[-1]:.3g}")
    return steps, values, "; ".join(design)


def _log_acquisition(surrogate: Surrogate, points: list[dict[str, Any]]) -> np.ndarray:
    """log of the LogEI the optimizer maximizes, at params dicts: (m,)."""
    values = surrogate.acquisition(points).log_value
    assert values is not None, "LogEI has a log value"
    return values


def _snapshot(opt: Optimizer, n: int) -> Callable[[dict[str, Any]], Step]:
    """The model's view before the ask; completed with the asked point."""
    surrogate = opt.surrogate()
    observed = {o.params.get("depth") for o in opt.history if o.params["model"] == "rf"}
    new = [d for d in DEPTHS if d not in observed]
    log_acq = _log_acquisition(surrogate, [_rf(d) for d in new]) if new else np.empty(0)
    k = int(np.argmax(log_acq)) if new else -1
    prediction = surrogate.predict(_rf(4))
    h = surrogate.hyperparameters()
    depth, c = h.lengthscales_unit_cube["depth"], h.lengthscales_unit_cube["C"]
    activity = h.activity_lengthscales
    assert isinstance(depth, float) and isinstance(c, float) and activity is not None

    def complete(params: dict[str, Any]) -> Step:
        return Step(n, params, float(_log_acquisition(surrogate, [params])[0]),
                    new[k] if new else None, float(log_acq[k]) if new else -np.inf,
                    len(observed & set(DEPTHS)), float(prediction.mean[0]),
                    float(prediction.std[0]), depth, c, activity["depth"],
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
        steps, values, design = diagnose(seed, args.trials)
        stuck = min(values) > OPTIMUM
        misses = sum(s.missed for s in steps)
        rf_asks = sum(s.asked["model"] == "rf" for s in steps)
        summary.append(f"seed {seed}: best {min(values):.4g} ({'stuck' if stuck else 'reaches 0.1'}"
                       f"), {len(steps)} model asks, {rf_asks} in rf, "
                       f"{misses} with a new rf point of larger acquisition than the asked one;"
                       f" design {design}")
        for s in steps:
            if (stuck and s.n % 10 == 0) or s.missed:
                print(f"| {seed} | {s.n} | {_asked(s.asked)} | {s.asked_log_acq:.4g} | "
                      f"{s.best_rf} | {s.best_rf_log_acq:.4g} | {s.rf_observed} | "
                      f"{s.mean4:.3f}, {s.sd4:.3f} | {s.depth_lengthscale:.3g} | "
                      f"{s.c_lengthscale:.3g} | {s.activity_depth:.3g} | {s.noise:.2g} |")
    print()
    for line in summary:
        print("-", line)


COUNTERFACTUAL_LENGTHSCALES = (None, 0.5, 0.3, 0.2, 0.1)  # None: the fitted one


def command_counterfactual(args: argparse.Namespace) -> None:
    print("| seed | n | l(depth) | best rf: depth, log a | log a(asked) | "
          "log p(t given θ) | log prior of l(depth) |")
    print("|---:|---:|---:|---|---:|---:|---:|")
    for seed in args.seeds:
        opt = Optimizer(two_branch_space(), seed=seed)
        for _ in range(args.at):
            params = opt.ask()
            opt.tell(params, two_branch(params))
        surrogate = opt.surrogate()
        asked = opt.ask()
        X = surrogate.space.encode([_rf(d) for d in DEPTHS] + [asked])  # (11, 6)
        column = surrogate.space.slices[surrogate.space.names.index("depth")].start
        fitted = surrogate.model
        incumbent = LogExpectedImprovement(fitted.incumbent)
        assert fitted.params is not None
        prior = fitted.priors.lengthscale
        for lengthscale in COUNTERFACTUAL_LENGTHSCALES:
            model = copy.deepcopy(fitted)
            if lengthscale is not None:
                model.params = fitted.params.copy()
                model.params[column] = np.log(lengthscale)
                gp = fitted.gp
                assert isinstance(gp, GaussianProcess), "one MAP fit"
                model.gp = model._member(model.params, gp.X.copy(), gp.values.copy())
            values = AcquisitionObjective(incumbent, model).values(X)  # (11,)
            if lengthscale is None:  # the snapshot's own acquisition, rebuilt here
                np.testing.assert_allclose(values, _log_acquisition(
                    surrogate, [_rf(d) for d in DEPTHS] + [asked]), rtol=1e-9)
            k = int(np.argmax(values[:-1]))
            assert model.params is not None
            log_l = float(model.params[column])
            assert isinstance(model.gp, GaussianProcess)
            print(f"| {seed} | {args.at} | {np.exp(log_l):.3g}"
                  f"{' (fitted)' if lengthscale is None else ''} | {DEPTHS[k]}, "
                  f"{values[k]:.3g} | {values[-1]:.3g} | "
                  f"{model.gp.log_marginal_likelihood():.3f} | "
                  f"{prior.log_density(np.array([log_l]))[0]:.3f} |")


VARIANTS: dict[str, Callable[[int], Optimizer]] = {
    "default": lambda seed: Optimizer(two_branch_space(), seed=seed),
    "random_interleave=10": lambda seed: Optimizer(
        two_branch_space(), seed=seed, options=OptimizerOptions(random_interleave=10)),
    "ucb": lambda seed: Optimizer(two_branch_space(), seed=seed, acquisition="ucb"),
    # added after the two above were measured: rougher kernels (Stein 1999), which correlate
    # two depths less than Matérn-5/2 at the same lengthscale
    "kernel=matern32": lambda seed: Optimizer(two_branch_space(), seed=seed, kernel="matern32"),
    "kernel=matern12": lambda seed: Optimizer(two_branch_space(), seed=seed, kernel="matern12"),
}


def command_remedies(args: argparse.Namespace) -> None:
    print("| variant | " + " | ".join(f"seed {s}" for s in args.seeds) + " | seeds at 0.1 |")
    print("|---|" + "---:|" * (len(args.seeds) + 1))
    stuck: set[int] = set()
    traces = []
    for name, make in VARIANTS.items():
        cells, reached = [], 0
        for seed in args.seeds:
            values, rf_asks = _run(make(seed), args.trials)
            first = next((i + 1 for i, v in enumerate(values) if v <= OPTIMUM), None)
            reached += first is not None
            if name == "default" and first is None:
                stuck.add(seed)
            if seed in stuck:
                traces.append(f"{name}, seed {seed}: rf asks (t, depth) {rf_asks}")
            cells.append(f"{min(values):.3g}" + (f" (t={first})" if first else ""))
        print(f"| {name} | " + " | ".join(cells) + f" | {reached}/{len(args.seeds)} |")
    print()
    for line in traces:
        print("-", line)


def _run(opt: Optimizer, trials: int) -> tuple[list[float], list[tuple[int, int]]]:
    """The values of `trials` asks and the (trial, depth) of those in the rf branch."""
    values, rf_asks = [], []
    for t in range(trials):
        params = opt.ask()
        values.append(two_branch(params))
        opt.tell(params, values[-1])
        if params["model"] == "rf":
            rf_asks.append((t + 1, int(params["depth"])))
    return values, rf_asks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("diagnose", "remedies", "counterfactual"):
        p = sub.add_parser(name)
        p.add_argument("--seeds", type=seeds_argument,
                       default=[0, 7, 8] if name == "counterfactual" else list(range(10)))
        p.add_argument("--trials", type=int, default=50)
        p.add_argument("--at", type=int, default=20, help="observations (counterfactual)")
    args = parser.parse_args()
    {"diagnose": command_diagnose, "remedies": command_remedies,
     "counterfactual": command_counterfactual}[args.command](args)


if __name__ == "__main__":
    main()

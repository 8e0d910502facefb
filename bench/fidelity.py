"""Multi-fidelity benchmark: optimizers at equal total budget (the sum of epochs spent).

    python -m bench.fidelity run --seeds 0-9            one JSON per (problem, optimizer, seed)
    python -m bench.fidelity report                     bench/results/fidelity.md
    python -m bench.fidelity overhead                   ask() with and without a Fidelity
    python -m bench.fidelity variants --seeds 0-3       which GP: the data and the budget kernel
    python -m bench.fidelity paired --before budget-input --after stationary+basis --seeds 0-19
                                                        two variants seed by seed
    python -m bench.fidelity peers --seeds 0-19         bayesopt with a Fidelity against
                                                        other optimizers, seed by seed

Problems (`PROBLEMS`), each a minimization over a configuration and a budget
b ∈ [1, R] with R = 27 and η = 3:

    branin_mf     Branin with the fidelity term of Kandasamy et al. (2017, "Multi-fidelity
                  Bayesian optimisation with continuous approximations", BOCA, Sec. 5):
                  b(z) = 5.1/(4π²) − 0.01(1 − z), c(z) = 5/π − 0.1(1 − z),
                  t(z) = 1/(8π) + 0.05(1 − z); z = log(b)/log(R) ∈ [0, 1], z = 1 is Branin.
    hartmann6_mf  Hartmann-6 with α'(z) = α − 0.1(1 − z) (same paper), same z.
    sgd_digits    SGDClassifier.partial_fit on digits, b epochs; validation error.
    mlp_digits    MLPClassifier.partial_fit on digits, b epochs; validation error.
    hgb_cancer    HistGradientBoostingClassifier on breast cancer, 4·b boosting rounds
                  (warm_start); validation error.

The learning curves are deterministic (fixed split and model seeds) and
kept per configuration (`Curves`, trained only as far as asked), so a promotion that continues a run costs only
the extra epochs (a checkpoint restart, as `Observation.continues` allows),
for every optimizer alike. Regret: the value at the full budget of the
optimizer's answer (its best full-budget evaluation) minus f* (synthetic) or
minus the best full-budget value any run found (learning curves).

Optimizers: bayesopt with a `Fidelity` (asynchronous Hyperband, GP-chosen
configurations), bayesopt training every configuration to R, Hyperband with
random sampling (Li et al., JMLR 2018, Alg. 1), Optuna's TPE with its
HyperbandPruner (one report per epoch), DEHB and SMAC3's MultiFidelityFacade
(both with Hyperband's brackets from 1 to R, η = 3, through their ask/tell
interfaces). DEHB requires numpy < 2, so those two run in a venv of their own
(`pip install -e ".[bench-mf]"`):

    python -m bench.fidelity run --optimizers dehb,smac-hyperband --seeds 0-9
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import binomtest, mannwhitneyu

from bayesopt import Categorical, Integer, Optimizer, OptimizerOptions, Real
from bayesopt.choices import AcquisitionName
from bayesopt.fidelity import bracket_sizes, max_bracket, rung_budgets
from bayesopt.model import ModelOptions
from bayesopt.space import Dimension, Fidelity
from bayesopt.test_functions import Hartmann6
from bench import compare_runs
from bench.conditional import suggest  # one Optuna translation of a dimension

R, ETA = 27, 3
N_FULL = 20  # the total budget: N_FULL evaluations at R
RESULTS = Path(__file__).parent / "results"
RUNS = RESULTS / "fidelity"


@dataclass
class MFProblem:
    """A configuration space and a learning curve value(config, budget) (memoized)."""

    name: str
    space: dict[str, Dimension]
    curve: Callable[[tuple[Any, ...], int], float]
    optimum: float | None = None

    def value(self, params: dict[str, Any], budget: int) -> float:
        return self.curve(tuple(params[k] for k in self.space), int(budget))


def _z(budget: int) -> float:
    return math.log(budget) / math.log(R)


def _branin(config: tuple[Any, ...], budget: int) -> float:
    x1, x2 = config
    z = _z(budget)
    b = 5.1 / (4 * math.pi**2) - 0.01 * (1 - z)
    c = 5 / math.pi - 0.1 * (1 - z)
    t = 1 / (8 * math.pi) + 0.05 * (1 - z)
    return float((x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10)


def _hartmann6(config: tuple[Any, ...], budget: int) -> float:
    x = np.asarray(config)
    alpha = Hartmann6.ALPHA - 0.1 * (1 - _z(budget))
    inner = np.sum(Hartmann6.A * (x[None, :] - Hartmann6.P) ** 2, axis=1)
    return float(-np.exp(-inner) @ alpha)


@functools.cache
def _split(dataset: str) -> tuple[np.ndarray, ...]:
    from sklearn import datasets
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    load = {"digits": datasets.load_digits, "cancer": datasets.load_breast_cancer}[dataset]
    X, y = load(return_X_y=True)
    X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.3, random_state=0,
                                                      stratify=y)
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_val), y_train, y_val


class Curves:
    """Learning curves trained only as far as asked: per configuration, the model and the
    validation error after each epoch so far (training further continues the same model,
    so the values equal a run trained at once)."""

    def __init__(self, make: Callable[[tuple[Any, ...]], Any],
                 step: Callable[[Any, int], float]) -> None:
        self.make, self.step = make, step
        self.runs: dict[tuple[Any, ...], tuple[Any, list[float]]] = {}

    def __call__(self, config: tuple[Any, ...], budget: int) -> float:
        model, errors = self.runs.setdefault(config, (self.make(config), []))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # small budgets do not converge: that is the point
            while len(errors) < budget:
                errors.append(self.step(model, len(errors) + 1))
        return errors[budget - 1]


def _sgd(config: tuple[Any, ...]) -> Any:
    from sklearn.linear_model import SGDClassifier

    alpha, eta0, loss = config
    return SGDClassifier(loss=loss, alpha=alpha, eta0=eta0, learning_rate="invscaling",
                         random_state=0)


def _mlp(config: tuple[Any, ...]) -> Any:
    from sklearn.neural_network import MLPClassifier

    hidden, alpha, lr = config
    return MLPClassifier(hidden_layer_sizes=(hidden,), alpha=alpha, learning_rate_init=lr,
                         batch_size=128, random_state=0)


def _epoch(model: Any, epoch: int) -> float:
    """One partial_fit pass over the digits training set; the validation error after it."""
    X, X_val, y, y_val = _split("digits")
    model.partial_fit(X, y, classes=np.unique(y))
    return 1.0 - float(model.score(X_val, y_val))


def _boosting(config: tuple[Any, ...]) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier

    learning_rate, max_leaf_nodes, l2 = config
    return HistGradientBoostingClassifier(
        learning_rate=learning_rate, max_leaf_nodes=max_leaf_nodes, l2_regularization=l2,
        early_stopping=False, warm_start=True, random_state=0)


def _rounds(model: Any, b: int) -> float:
    """Grow the ensemble to 4·b rounds (warm_start); the validation error."""
    X, X_val, y, y_val = _split("cancer")
    model.set_params(max_iter=4 * b)
    model.fit(X, y)
    return 1.0 - float(model.score(X_val, y_val))


PROBLEMS: dict[str, MFProblem] = {p.name: p for p in [
    MFProblem("branin_mf", {"x1": Real(-5, 10), "x2": Real(0, 15)}, _branin,
              0.397887357729738),
    MFProblem("hartmann6_mf", {f"x{i}": Real(0, 1) for i in range(6)}, _hartmann6,
              -3.32236801141551),
    MFProblem("sgd_digits", {"alpha": Real(1e-6, 1.0, log=True), "eta0": Real(1e-4, 1.0, log=True),
                             "loss": Categorical(["hinge", "log_loss", "modified_huber"])},
              Curves(_sgd, _epoch)),
    MFProblem("mlp_digits", {"hidden": Integer(4, 128, log=True),
                             "alpha": Real(1e-6, 1e-1, log=True),
                             "lr": Real(1e-4, 1e-1, log=True)},
              Curves(_mlp, _epoch)),
    MFProblem("hgb_cancer", {"learning_rate": Real(1e-3, 1.0, log=True),
                             "max_leaf_nodes": Integer(2, 64, log=True),
                             "l2": Real(1e-6, 10.0, log=True)},
              Curves(_boosting, _rounds)),
]}


# ------------------------------------------------------------------ optimizers
class Ledger:
    """Budget spent so far and every full-budget value, in order (the trace)."""

    def __init__(self, problem: MFProblem) -> None:
        self.problem, self.spent, self.total = problem, 0, N_FULL * R
        self.trace: list[tuple[int, float]] = []  # (budget spent, value at R)
        self.trained: dict[tuple[Any, ...], int] = {}  # epochs already run per configuration

    @property
    def done(self) -> bool:
        return self.spent >= self.total

    def run(self, params: dict[str, Any], budget: int) -> float:
        """Train `params` to `budget`, paying only the epochs beyond its checkpoint."""
        key = tuple(params[k] for k in self.problem.space)
        self.spent += max(0, budget - self.trained.get(key, 0))
        self.trained[key] = max(budget, self.trained.get(key, 0))
        value = self.problem.value(params, budget)
        if budget == R:
            self.trace.append((self.spent, value))
        return value


def fidelity_run(problem: MFProblem, seed: int, ledger: Ledger,
                 model: ModelOptions | None = None,
                 optimizer: dict[str, Any] | None = None,
                 acquisition: AcquisitionName = "logei") -> Optimizer:
    """bayesopt with a Fidelity named "budget" until the ledger's budget is spent (`model`
    and the other `OptimizerOptions` fields in `optimizer`: the default's if not given); the
    optimizer at the end (bench.fidelity_lengthscale reads its fitted GP)."""
    options = OptimizerOptions(model=model or ModelOptions(), **(optimizer or {}))
    opt = Optimizer({**problem.space, "budget": Fidelity(1, R, eta=ETA)}, seed=seed,
                    options=options, acquisition=acquisition)
    while not ledger.done:
        params = opt.ask()
        budget = params.pop("budget")
        opt.tell({**params, "budget": budget}, ledger.run(params, budget))
    return opt


def _bayesopt_fidelity(problem: MFProblem, seed: int, ledger: Ledger,
                       model: ModelOptions | None = None,
                       optimizer: dict[str, Any] | None = None,
                       acquisition: AcquisitionName = "logei") -> None:
    fidelity_run(problem, seed, ledger, model, optimizer, acquisition)


def _bayesopt_full(problem: MFProblem, seed: int, ledger: Ledger) -> None:
    opt = Optimizer(problem.space, seed=seed)
    while not ledger.done:
        params = opt.ask()
        opt.tell(params, ledger.run(params, R))


def _random_config(problem: MFProblem, rng: np.random.Generator) -> dict[str, Any]:
    from bayesopt.space import Space

    space = Space(problem.space)
    return space.decode(space.from_unit(rng.random((1, space.n_dims))))[0]


def _hyperband_random(problem: MFProblem, seed: int, ledger: Ledger) -> None:
    """Hyperband (Li et al. 2018, Alg. 1) with random configurations, brackets repeated."""
    rng = np.random.default_rng(seed)
    fidelity = Fidelity(1, R, eta=ETA)
    s_max = max_bracket(1, R, ETA)
    sizes = bracket_sizes(s_max, ETA)
    while not ledger.done:
        for s in range(s_max, -1, -1):
            configs = [_random_config(problem, rng) for _ in range(sizes[s])]
            for k, budget in enumerate(rung_budgets(fidelity, s)):
                losses = []
                for params in configs:
                    if ledger.done:
                        return
                    losses.append(ledger.run(params, int(budget)))
                keep = max(1, len(configs) // ETA) if k < s else len(configs)
                configs = [configs[i] for i in np.argsort(losses, kind="stable")[:keep]]


def _optuna_hyperband(problem: MFProblem, seed: int, ledger: Ledger) -> None:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    # HyperbandPruner assigns a trial's bracket by a hash of the study name and trial
    # number: a fixed name makes the run reproducible (the default name is a random uuid)
    study = optuna.create_study(
        study_name=f"{problem.name}-{seed}", sampler=optuna.samplers.TPESampler(seed=seed),
        pruner=optuna.pruners.HyperbandPruner(min_resource=1, max_resource=R, reduction_factor=ETA))
    while not ledger.done:
        trial = study.ask()
        params = {name: suggest(trial, dim.named(name)) for name, dim in problem.space.items()}
        value, pruned = math.nan, False
        for epoch in range(1, R + 1):
            if ledger.done:
                break
            value = ledger.run(params, epoch)
            trial.report(value, epoch)
            if trial.should_prune():
                pruned = True
                break
        state = optuna.trial.TrialState.PRUNED if pruned or math.isnan(value) else None
        study.tell(trial, None if state else value, state=state)


def _configspace(problem: MFProblem, seed: int) -> Any:
    """The problem's space as a ConfigSpace (DEHB's and SMAC's), seeded: the same bounds,
    log scales and choices."""
    from ConfigSpace import Categorical as CSCategorical
    from ConfigSpace import ConfigurationSpace, Float
    from ConfigSpace import Integer as CSInteger

    space = ConfigurationSpace(seed=seed)
    for name, dim in problem.space.items():
        if isinstance(dim, Real):
            space.add(Float(name, (dim.low, dim.high), log=dim.log))
        elif isinstance(dim, Integer):
            space.add(CSInteger(name, (dim.low, dim.high), log=dim.log))
        elif isinstance(dim, Categorical):
            space.add(CSCategorical(name, list(dim.choices)))
        else:
            raise TypeError(f"{problem.name}: dimension {name!r} ({dim!r}) has no ConfigSpace twin")
    return space


def _budget(value: float) -> int:
    """A peer's budget (a float) as the epochs it names: one of Hyperband's rungs."""
    budget = round(value)
    if not math.isclose(value, budget, rel_tol=1e-9) or not 1 <= budget <= R:
        raise ValueError(f"budget {value!r} is not an epoch count in [1, {R}]")
    return budget


def _dehb(problem: MFProblem, seed: int, ledger: Ledger) -> None:
    """DEHB (Awad, Mallik & Hutter, IJCAI 2021: differential evolution inside Hyperband's
    brackets), through its ask/tell interface, one worker."""
    import tempfile

    from dehb import DEHB

    space = _configspace(problem, seed)
    with tempfile.TemporaryDirectory() as output:
        dehb = DEHB(cs=space, dimensions=len(problem.space), min_fidelity=1, max_fidelity=R,
                    eta=ETA, n_workers=1, output_path=output, seed=seed, log_level="ERROR")
        while not ledger.done:
            job = dehb.ask()
            budget = _budget(job["fidelity"])
            value = ledger.run(dict(job["config"]), budget)
            dehb.tell(job, {"fitness": value, "cost": budget})


def _smac_hyperband(problem: MFProblem, seed: int, ledger: Ledger) -> None:
    """SMAC3's MultiFidelityFacade (a random forest proposing Hyperband's configurations,
    BOHB's scheme with SMAC's model; Lindauer et al., JMLR 2022), Hyperband with η = 3,
    its incumbent judged at the highest budget, through ask/tell."""
    import logging
    import tempfile

    from smac import MultiFidelityFacade, Scenario
    from smac.intensifier.hyperband import Hyperband
    from smac.runhistory.dataclasses import TrialValue

    space = _configspace(problem, seed)
    with tempfile.TemporaryDirectory() as output:
        scenario = Scenario(space, deterministic=True, n_trials=100 * N_FULL * R, min_budget=1,
                            max_budget=R, seed=seed, output_directory=Path(output))
        intensifier = Hyperband(scenario, eta=ETA, incumbent_selection="highest_budget")
        smac = MultiFidelityFacade(scenario, lambda config, seed=0, budget=R: 0.0,
                                   intensifier=intensifier, overwrite=True,
                                   logging_level=logging.ERROR)
        while not ledger.done:
            info = smac.ask()
            value = ledger.run(dict(info.config), _budget(info.budget))
            smac.tell(info, TrialValue(cost=value))


OPTIMIZERS: dict[str, Callable[[MFProblem, int, Ledger], None]] = {
    "bayesopt-fidelity": _bayesopt_fidelity,
    "bayesopt-full": _bayesopt_full,
    "hyperband-random": _hyperband_random,
    "optuna-tpe-hyperband": _optuna_hyperband,
    "dehb": _dehb,
    "smac-hyperband": _smac_hyperband,
}


def run_one(problem_name: str, optimizer: str, seed: int) -> dict[str, Any]:
    problem = PROBLEMS[problem_name]
    ledger = Ledger(problem)
    start = time.perf_counter()
    OPTIMIZERS[optimizer](problem, seed, ledger)
    return {"problem": problem_name, "optimizer": optimizer, "seed": seed,
            "total_budget": ledger.total, "spent": ledger.spent, "trace": ledger.trace,
            "seconds": time.perf_counter() - start}


def _seeds(text: str) -> list[int]:
    if "-" in text:
        a, b = text.split("-")
        return list(range(int(a), int(b) + 1))
    return [int(s) for s in text.split(",")]


def run(problems: list[str], optimizers: list[str], seeds: list[int], runs: Path = RUNS) -> None:
    """Each (problem, optimizer, seed)'s record into `runs`, skipping those already there."""
    runs.mkdir(parents=True, exist_ok=True)
    for seed in seeds:
        for name in problems:
            for optimizer in optimizers:
                path = runs / f"{name}__{optimizer}__{seed:03d}.json"
                if path.exists():
                    continue
                record = run_one(name, optimizer, seed)
                path.write_text(json.dumps(record))
                print(f"{name} {optimizer} seed {seed}: {record['seconds']:.1f} s", flush=True)


# ------------------------------------------------------------------ report
def _load(runs: Path = RUNS) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted(runs.glob("*.json"))]


def _reference(records: list[dict[str, Any]], name: str) -> float:
    optimum = PROBLEMS[name].optimum
    if optimum is not None:
        return optimum
    return float(min(v for r in records if r["problem"] == name for _, v in r["trace"]))


def _best_by(trace: list[list[float]], budget: float) -> float:
    values = [v for spent, v in trace if spent <= budget]
    return min(values) if values else math.inf


def _complete(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records of (problem, seed) pairs that every optimizer has run."""
    runs: dict[tuple[str, int], set[str]] = {}
    for r in records:
        runs.setdefault((r["problem"], r["seed"]), set()).add(r["optimizer"])
    return [r for r in records if runs[(r["problem"], r["seed"])] == set(OPTIMIZERS)]


def report(runs: Path = RUNS) -> str:
    records = _complete(_load(runs))
    names = [n for n in PROBLEMS if any(r["problem"] == n for r in records)]
    lines = [(f"Median final regret at equal total budget ({N_FULL}·{R} = {N_FULL * R} epochs; "
              "regret: the full-budget value of the best configuration evaluated at the full "
              "budget, minus f* or minus the best full-budget value of any run):"), "",
             "| problem | " + " | ".join(OPTIMIZERS) + " | seeds |",
             "|---|" + "---|" * (len(OPTIMIZERS) + 1)]
    fractions = []
    for name in names:
        ref = _reference(records, name)
        cells, n_seeds = [], 0
        for optimizer in OPTIMIZERS:
            mine = [r for r in records if r["problem"] == name and r["optimizer"] == optimizer]
            regrets = [_best_by(r["trace"], r["total_budget"]) - ref for r in mine]
            n_seeds = max(n_seeds, len(mine))
            cells.append(f"{np.median(regrets):.3g}" if regrets else "—")
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {n_seeds} |")
        fractions.append((name, _budget_fraction(records, name, ref)))
    lines += ["", ("Budget fraction at which bayesopt-fidelity's median regret reaches "
                   "bayesopt-full's final median regret:"), ""]
    lines += [f"- {name}: {fraction}" for name, fraction in fractions]
    return "\n".join(lines) + "\n"


def _budget_fraction(records: list[dict[str, Any]], name: str, ref: float) -> str:
    full = [r for r in records if r["problem"] == name and r["optimizer"] == "bayesopt-full"]
    fid = [r for r in records if r["problem"] == name and r["optimizer"] == "bayesopt-fidelity"]
    return _fraction_reaching(full, fid, ref)


def _fraction_reaching(full: list[dict[str, Any]], runs: list[dict[str, Any]], ref: float) -> str:
    """The first budget fraction (in steps of R epochs) at which the median regret of `runs`
    is at most the median final regret of `full` (bayesopt-full's records)."""
    if not full or not runs:
        return "—"
    total = full[0]["total_budget"]
    target = np.median([_best_by(r["trace"], total) - ref for r in full])
    for step in range(R, total + 1, R):
        if np.median([_best_by(r["trace"], step) - ref for r in runs]) <= target:
            return f"{step / total:.2f}"
    return "not reached"


# ------------------------------------------------------------------ overhead
def overhead(n_told: int = 60, n_asks: int = 10, seed: int = 0) -> str:
    """Median CPU seconds (`time.process_time`) of one ask() from the same state after
    `n_told` full-budget tells, without a Fidelity, with one, with one modelled by
    FABOLAS's basis (`ModelOptions(fidelity_kernel="basis")`) and by the basis beside the
    stationary budget input (`"stationary+basis"`); each ask from an untimed deep copy."""
    from bench.step_timing import ask_seconds

    problem = PROBLEMS["hartmann6_mf"]
    fidelity = {**problem.space, "budget": Fidelity(1, R, eta=ETA)}
    setups = (("plain", problem.space, ModelOptions()), ("fidelity", fidelity, ModelOptions()),
              ("fidelity-basis", fidelity, ModelOptions(fidelity_kernel="basis")),
              ("fidelity-stationary+basis", fidelity,
               ModelOptions(fidelity_kernel="stationary+basis")))
    rows = []
    for label, space, model in setups:
        rng = np.random.default_rng(seed)  # the same points for all
        opt = Optimizer(space, seed=seed, options=OptimizerOptions(model=model))
        for _ in range(n_told):  # full budget everywhere, so every model sees n_told points
            params = _random_config(problem, rng)
            full = {**params, "budget": R} if space is fidelity else params
            opt.tell(full, problem.value(params, R))
        rows.append((label, float(np.median(ask_seconds(opt, n_asks)))))
    plain = rows[0][1]
    return "".join(f"{label}: {t * 1e3:.1f} ms CPU per ask, ratio to plain {t / plain:.2f}\n"
                   for label, t in rows)


# ------------------------------------------------------------------ variants
def _lowest_budget(budgets: Any, n_min: int) -> float | None:
    values = np.asarray(budgets, dtype=float)
    return float(values.min()) if values.size >= n_min else None


@dataclass(frozen=True)
class Variant:
    """bayesopt-fidelity with other `ModelOptions` fields (`model`), other
    `OptimizerOptions` fields (`optimizer`) or another `acquisition`; the BOHB variants
    also set BOHB's factor k (the largest budget with k·n_initial successes) or replace
    its budget rule, which are module constants of `bayesopt.state`, not options (patched
    for the run and restored)."""

    model: dict[str, Any]
    factor: int | None = None
    rule: Callable[..., float | None] | None = None
    optimizer: dict[str, Any] = field(default_factory=dict)
    acquisition: AcquisitionName = "logei"


VARIANTS: dict[str, Variant] = {
    "budget-input": Variant({}),
    "basis": Variant({"fidelity_kernel": "basis"}),
    "linear-basis": Variant({"fidelity_kernel": "linear-basis"}),
    "stationary+basis": Variant({"fidelity_kernel": "stationary+basis"}),
    "basis-small-bias": Variant({"fidelity_kernel": "basis-small-bias"}),
    "k=1": Variant({"fidelity_model": "bohb"}, 1), "k=2": Variant({"fidelity_model": "bohb"}, 2),
    "k=3": Variant({"fidelity_model": "bohb"}, 3),
    "lowest": Variant({"fidelity_model": "bohb"}, 1, _lowest_budget),
    # SMAC's interleaved random configurations (Hutter et al. 2011; SMAC3's facades draw one
    # at random with probability 0.2): the quality suite's round 8 option, with a Fidelity
    "interleave-10": Variant({}, optimizer={"random_interleave": 10}),
    "interleave-5": Variant({}, optimizer={"random_interleave": 5}),
    # the quality suite's two other acquisitions with a Fidelity (more exploring than LogEI)
    "ucb": Variant({}, acquisition="ucb"), "hedge": Variant({}, acquisition="hedge"),
    # each MAP refit started at the prior's mode (ablation round 27's option)
    "fit-from-mode": Variant({"fit_start": "mode"}),
    # three model options screened on sgd_digits, where the GP reads α as irrelevant: a
    # Kumaraswamy warping per input, one lengthscale per categorical, no output transform
    "warp": Variant({"input_warping": True}),
    "hamming": Variant({"categorical_kernel": "hamming"}),
    "no-transform": Variant({"output_transform": "none"})}
VARIANT_RUNS = RESULTS / "fidelity-variants"  # one JSON per (variant, problem, seed)


def _run_variant(variant: Variant, problem: MFProblem, seed: int) -> Ledger:
    import bayesopt.state as engine
    from bayesopt.fidelity import MODEL_MIN_FACTOR, model_budget

    ledger = Ledger(problem)
    try:
        if variant.factor is not None:
            engine.MODEL_MIN_FACTOR = variant.factor  # type: ignore[attr-defined]
            engine.model_budget = variant.rule or model_budget  # type: ignore[attr-defined]
        _bayesopt_fidelity(problem, seed, ledger, ModelOptions(**variant.model),
                           variant.optimizer, variant.acquisition)
    finally:
        engine.MODEL_MIN_FACTOR, engine.model_budget = MODEL_MIN_FACTOR, model_budget  # type: ignore[attr-defined]
    return ledger


def variants(problems: list[str], seeds: list[int], labels: list[str] | None = None) -> str:
    """Run each variant of bayesopt-fidelity (`VARIANTS`) on the problems and seeds, one
    JSON per run in `VARIANT_RUNS` (kept runs are not run again), and compare them with the
    records of bayesopt-full: `variant_report`."""
    labels = labels or list(VARIANTS)
    for label in labels:
        for name in problems:
            for seed in seeds:
                path = VARIANT_RUNS / label / f"{name}__{seed:03d}.json"
                if path.exists():
                    continue
                start = time.process_time()
                ledger = _run_variant(VARIANTS[label], PROBLEMS[name], seed)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(json.dumps({
                    "variant": label, "problem": name, "seed": seed, "total_budget": ledger.total,
                    "spent": ledger.spent, "trace": ledger.trace,
                    "cpu_seconds": time.process_time() - start}))
    return variant_report(problems, seeds, labels)


def variant_report(problems: list[str], seeds: list[int], labels: list[str]) -> str:
    """Per variant and problem: the median final regret (the report's reference: f*, or the
    best full-budget value of any record in `RUNS` of the seeds every optimizer ran), the budget fraction at which the median
    regret reaches bayesopt-full's final median (its records, same seeds), and the median CPU
    seconds of a run (the problem's training included)."""
    records = _load()
    complete = _complete(records)  # the report's reference (seeds that every optimizer ran)
    lines = ["| variant | problem | median final regret | budget fraction | CPU s per run |",
             "|---|---|---|---|---|"]
    for label in labels:
        for name in problems:
            runs = _variant_runs(label, name, seeds)
            ref = _reference(complete, name)
            full = [r for r in records if r["problem"] == name
                    and r["optimizer"] == "bayesopt-full" and r["seed"] in seeds]
            final = np.median([_best_by(r["trace"], r["total_budget"]) - ref for r in runs])
            fraction = _fraction_reaching(full, runs, ref)
            cpu = np.median([r["cpu_seconds"] for r in runs])
            lines.append(f"| {label} | {name} | {final:.3g} | {fraction} | {cpu:.1f} |")
    return "\n".join(lines) + "\n"


def _variant_runs(label: str, name: str, seeds: list[int]) -> list[dict[str, Any]]:
    return [json.loads((VARIANT_RUNS / label / f"{name}__{s:03d}.json").read_text())
            for s in seeds]


def _signs(first: np.ndarray, second: np.ndarray) -> tuple[int, int, float]:
    """Seeds where `first` is lower, where it is higher, and the two-sided sign test on
    those unequal pairs (binomial, p = ½; 1 if none)."""
    lower, higher = int(np.sum(first < second)), int(np.sum(first > second))
    p = binomtest(lower, lower + higher).pvalue if lower + higher else 1.0
    return lower, higher, float(p)


def _finals(runs: list[dict[str, Any]], ref: float) -> np.ndarray:
    """Final regret of each run: (runs,)."""
    return np.array([_best_by(r["trace"], r["total_budget"]) - ref for r in runs])


def paired(problems: list[str], seeds: list[int], before: str, after: str) -> str:
    """Two variants' runs (`VARIANT_RUNS`) seed by seed, per problem: `bench.compare_runs.row`
    on the final regrets (after − before), the two-sided sign test on the unequal pairs
    (binomial, p = ½), and each variant's budget fraction against bayesopt-full's median over
    the same seeds (its records in `RUNS`)."""
    records = _load()
    lines = [compare_runs.HEAD + " sign test p | fraction before | fraction after |",
             compare_runs.HEAD_RULE + "---:|" * 3]
    for name in problems:
        ref = _reference(_complete(records), name)  # the report's, as in `variant_report`
        runs = {label: _variant_runs(label, name, seeds) for label in (before, after)}
        old, new = _finals(runs[before], ref), _finals(runs[after], ref)
        *_, p = _signs(new, old)  # the counts are compare_runs.row's
        full = [r for r in records if r["problem"] == name
                and r["optimizer"] == "bayesopt-full" and r["seed"] in seeds]
        fractions = [_fraction_reaching(full, runs[label], ref) for label in (before, after)]
        lines.append(compare_runs.row(name, old, new) + f" {p:.2g} | {' | '.join(fractions)} |")
    return "\n".join(lines) + "\n"


def _seed_records(records: list[dict[str, Any]], name: str, optimizer: str,
                  seeds: list[int]) -> list[dict[str, Any]]:
    """`optimizer`'s records of problem `name`, one per seed in the order of `seeds`."""
    by_seed = {r["seed"]: r for r in records
               if r["problem"] == name and r["optimizer"] == optimizer and r["seed"] in seeds}
    missing = sorted(set(seeds) - set(by_seed))
    if missing:
        raise ValueError(f"{optimizer} has no record of {name} for seeds {missing}")
    return [by_seed[s] for s in seeds]


def peers(problems: list[str], seeds: list[int], optimizers: list[str],
          runs: Path | None = None) -> str:
    """bayesopt with a Fidelity against other optimizers' records, seed by seed, per problem:
    each one's median final regret (the report's reference) and the seeds where bayesopt
    with a Fidelity is better / worse / tied, with the two-sided sign test on the unequal
    pairs (binomial, p = ½). bayesopt's runs are the `budget-input` variant's (the default's
    options, equal to its records where both exist) and the others' are `RUNS`; with `runs`,
    every record (bayesopt-fidelity's included) comes from that directory."""
    records = _load(RUNS if runs is None else runs)
    lines = ["| problem | bayesopt-fidelity | " + " | ".join(optimizers) + " | "
             + " | ".join(f"better / worse / tie vs {o}" for o in optimizers) + " |",
             "|---|" + "---:|" * (len(optimizers) + 1) + "---|" * len(optimizers)]
    for name in problems:
        ref = _reference(_complete(records), name)
        ours = (_finals(_variant_runs("budget-input", name, seeds), ref) if runs is None
                else _finals(_seed_records(records, name, "bayesopt-fidelity", seeds), ref))
        medians, counts = [], []
        for optimizer in optimizers:
            theirs = _finals(_seed_records(records, name, optimizer, seeds), ref)
            better, worse, p = _signs(ours, theirs)
            medians.append(f"{np.median(theirs):.3g}")
            counts.append(f"{better} / {worse} / {len(seeds) - better - worse} (p = {p:.2g})")
        lines.append(f"| {name} | {np.median(ours):.3g} | " + " | ".join(medians + counts) + " |")
    return "\n".join(lines) + "\n"


DATASETS = {"sgd_digits": "digits", "mlp_digits": "digits", "hgb_cancer": "cancer"}


def spread(problems: list[str], seeds: list[int], runs: Path) -> str:
    """Per learning-curve problem and optimizer (the records in `runs`): the final regret in
    validation samples (regret × the validation set's size; one sample is the smallest step
    of a validation error), how many seeds end at each number, the median, and the
    two-sided Mann–Whitney U test of each optimizer's finals against bayesopt with a
    Fidelity's (unpaired: a seed couples no two optimizers' random streams)."""
    records = _load(runs)
    lines = [("| problem | optimizer | median | seeds at 0, 1, 2, … samples above the reference"
              " | Mann–Whitney p vs bayesopt-fidelity |"), "|---|---|---:|---|---:|"]
    for name in problems:
        size = len(_split(DATASETS[name])[3])
        ref = _reference(_complete(records), name)
        ours = _finals(_seed_records(records, name, "bayesopt-fidelity", seeds), ref)
        for optimizer in OPTIMIZERS:
            finals = _finals(_seed_records(records, name, optimizer, seeds), ref)
            samples = np.rint(finals * size).astype(int)
            counts = np.bincount(samples)
            p = ("—" if optimizer == "bayesopt-fidelity"
                 else f"{mannwhitneyu(finals, ours, alternative='two-sided').pvalue:.2g}")
            lines.append(f"| {name} | {optimizer} | {np.median(samples):g} | "
                         f"{', '.join(str(c) for c in counts)} | {p} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fidelity")
    sub = parser.add_subparsers(dest="command", required=True)
    runner = sub.add_parser("run")
    runner.add_argument("--problems", default=",".join(PROBLEMS))
    runner.add_argument("--optimizers", default=",".join(OPTIMIZERS))
    runner.add_argument("--seeds", default="0-2")
    runner.add_argument("--runs", type=Path, default=RUNS, help="the records' directory")
    sub.add_parser("report").add_argument("--runs", type=Path, default=RUNS)
    sub.add_parser("overhead")
    pairs = sub.add_parser("paired")
    pairs.add_argument("--problems", default=",".join(PROBLEMS))
    pairs.add_argument("--seeds", default="0-19")
    pairs.add_argument("--before", default="budget-input", choices=list(VARIANTS))
    pairs.add_argument("--after", default="stationary+basis", choices=list(VARIANTS))
    against = sub.add_parser("peers")
    against.add_argument("--problems", default="sgd_digits,mlp_digits,hgb_cancer")
    against.add_argument("--seeds", default="0-19")
    against.add_argument("--optimizers", default="bayesopt-full,dehb,smac-hyperband")
    against.add_argument("--runs", type=Path, default=None,
                         help="every record from this directory (default: bayesopt with a "
                              "Fidelity from the budget-input variant's, the others' from "
                              f"{RUNS.relative_to(RESULTS.parent.parent)})")
    levels = sub.add_parser("spread")
    levels.add_argument("--problems", default=",".join(DATASETS))
    levels.add_argument("--seeds", default="0-49")
    levels.add_argument("--runs", type=Path, default=RESULTS / "fidelity-50-seeds")
    chooser = sub.add_parser("variants")
    chooser.add_argument("--problems", default=",".join(PROBLEMS))
    chooser.add_argument("--seeds", default="0-3")
    chooser.add_argument("--variants", default=None,
                         help=f"comma-separated, of {', '.join(VARIANTS)} (default: all)")
    args = parser.parse_args()
    if args.command == "run":
        run(args.problems.split(","), args.optimizers.split(","), _seeds(args.seeds), args.runs)
    elif args.command == "report":
        print(report(args.runs), end="")
    elif args.command == "paired":
        print(paired(args.problems.split(","), _seeds(args.seeds), args.before, args.after),
              end="")
    elif args.command == "peers":
        print(peers(args.problems.split(","), _seeds(args.seeds), args.optimizers.split(","),
                    args.runs), end="")
    elif args.command == "spread":
        print(spread(args.problems.split(","), _seeds(args.seeds), args.runs), end="")
    elif args.command == "variants":
        labels = None if args.variants is None else args.variants.split(",")
        unknown = sorted(set(labels or ()) - set(VARIANTS))
        if unknown:
            parser.error(f"--variants: unknown {unknown}; choose from {list(VARIANTS)}")
        print(variants(args.problems.split(","), _seeds(args.seeds), labels), end="")
    else:
        print(overhead(), end="")


if __name__ == "__main__":
    main()

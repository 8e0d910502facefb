"""bayesopt and its peers behind one ask/tell interface, and the driver of one run.

    adapter = make_adapter("optuna-tpe", space, seed=0, n_initial=7)
    params = adapter.ask()             # a dict in user units (native Python types)
    adapter.tell(params, value)        # every optimizer minimizes here
    adapter.recommend()                # the point it would report, or None: the best observed

    record = run(make_problem("branin", 0), "skopt", seed=0)   # one run, every step timed

The protocol an adapter follows is `bench.protocol.OptimizerAdapter`; a
third-party adapter runs by `module:attribute` wherever a name is taken.

Each space reaches each optimizer in its native form where it has one:

| optimizer | log real            | integer (log integer)                  | categorical             |
|-----------|---------------------|----------------------------------------|-------------------------|
| optuna-*  | FloatDistribution   | IntDistribution(log=)                  | CategoricalDistribution |
| hyperopt  | hp.loguniform       | hp.uniformint (hp.qloguniform)         | hp.choice               |
| skopt     | Real("log-uniform") | Integer(prior=)                        | Categorical             |
| bayes_opt | real on log x       | (low, high, int) (real on log x, rounded) | a list of choices    |
| botorch   | column on log x     | discrete column (its values listed)    | categorical column      |

bayes_opt has no log scale, so log dimensions are searched on log x and
exponentiated (log integers rounded); BoTorch works on a unit cube where each
dimension is one column (see `BoTorchAdapter`).

Initial designs have the same size everywhere, `bayesopt.optimizer.default_n_initial(space)`:
Optuna's and hyperopt's `n_startup_trials`/`n_startup_jobs`, skopt's
`n_initial_points`, bayes_opt's random points before its first `suggest`,
BoTorch's scrambled-Sobol draw. Each design is the optimizer's own kind (Sobol
for bayesopt and BoTorch, independent random draws for the others).

Peers are imported only when an adapter is built, so this module imports
without them; `missing_reason(name)` says why a peer cannot be used.
"""

from __future__ import annotations

import abc
import functools
import importlib
import importlib.metadata
import math
import sys
import time
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from bayesopt.space import Categorical, Dimension, Integer, Real, Space
from bench.protocol import OptimizerAdapter, check_adapter, is_spec, load_optimizer

Params = dict[str, Any]


def _categorical(dim: Dimension) -> Categorical:
    """`dim` where only a Categorical is left (the peers take Real, Integer, Categorical)."""
    assert isinstance(dim, Categorical), f"{dim!r}: the peers take Real, Integer and Categorical"
    return dim


def _interval(dim: Dimension) -> Real | Integer:
    """`dim` where only a Real or an Integer is left."""
    assert isinstance(dim, (Real, Integer)), f"{dim!r}: the peers take Real, Integer and Categorical"
    return dim


class Adapter(abc.ABC):
    """One optimizer, minimizing, driven one point at a time (`bench.protocol.OptimizerAdapter`).

    A base class for adapters: subclasses implement `ask` and `tell`.
    """

    def __init__(self, space: Mapping[str, Dimension], seed: int, n_initial: int) -> None:
        self.space = Space(dict(space))
        self.seed = seed
        self.n_initial = n_initial

    @abc.abstractmethod
    def ask(self) -> Params:
        """The next point to evaluate, in user units."""

    @abc.abstractmethod
    def tell(self, params: Params, value: float) -> None:
        """The value observed at the point last asked."""

    def recommend(self) -> Params | None:
        """The optimizer's own final answer, if it differs from 'the best observed point'."""
        return None

    def stats(self) -> dict[str, Any]:
        """Counters worth reporting (e.g. repaired duplicate proposals)."""
        return {}

    def identity(self) -> dict[str, Any]:
        """Keys that identify the algorithm in the run record (bayesopt: version, fingerprint)."""
        return {}

    def canonical(self, params: Mapping[str, Any]) -> Params:
        """Params as plain Python values, clipped into the space and validated."""
        out: Params = {}
        for dim in self.space.dimensions:
            value = params[dim.name]  # type: ignore[index]
            if isinstance(dim, Integer):
                value = int(min(max(round(float(value)), dim.low), dim.high))
            elif isinstance(dim, Real):
                value = float(min(max(float(value), dim.low), dim.high))
            elif isinstance(value, np.generic):
                value = value.item()
            out[dim.name] = value  # type: ignore[index]
        return self.space.validate(out)


# ------------------------------------------------------------------ bayesopt
class BayesoptAdapter(Adapter):
    """`bayesopt.Optimizer(space, seed=seed)` with default settings, or another acquisition."""

    def __init__(self, space: Mapping[str, Dimension], seed: int, n_initial: int,
                 acquisition: str | None = None, model: Mapping[str, Any] | None = None,
                 search: Mapping[str, Any] | None = None,
                 options: Mapping[str, Any] | None = None, kernel: str | None = None,
                 design_size: Callable[[int], int] | None = None) -> None:
        super().__init__(space, seed, n_initial)
        from dataclasses import replace

        from bayesopt import Optimizer, OptimizerOptions

        kwargs: dict[str, Any] = {} if acquisition is None else {"acquisition": acquisition}
        if kernel is not None:
            kwargs["kernel"] = kernel
        if design_size is not None:  # an ablation of the design size: d -> n_initial
            kwargs["n_initial"] = design_size(self.space.n_dims - (self.space.fidelity is not None))
        if model or search or options:  # an ablation: one default changed
            default = OptimizerOptions()
            kwargs["options"] = replace(
                default, model=replace(default.model, **(model or {})),
                acquisition_optimizer=replace(default.acquisition_optimizer, **(search or {})),
                **(options or {}))
        self.opt = Optimizer(dict(space), seed=seed, **kwargs)
        assert design_size is not None or self.opt.n_initial == n_initial, (
            "the protocol's design size is bayesopt's default")

    def ask(self) -> Params:
        return self.opt.ask()

    def tell(self, params: Params, value: float) -> None:
        self.opt.tell(params, value)

    def identity(self) -> dict[str, Any]:
        from bayesopt import __version__

        identity: dict[str, Any] = {"library": __version__, "fingerprint": self.opt.fingerprint}
        if self.opt.n_initial != self.n_initial:  # the record's n_initial: the design it used
            identity["n_initial"] = self.opt.n_initial
        return identity

    def recommend(self) -> Params | None:
        """The evaluated point with the best posterior mean of the final GP (`Optimizer.recommend`)."""
        try:
            return self.opt.recommend().params
        except ValueError:  # no surrogate yet: fewer than n_initial successful evaluations
            return None


class RandomSearch(Adapter):
    """Independent uniform draws, each dimension on its own scale (log-uniform for log ones)."""

    def __init__(self, space: Mapping[str, Dimension], seed: int, n_initial: int) -> None:
        super().__init__(space, seed, n_initial)
        self.rng = np.random.default_rng(seed)

    def ask(self) -> Params:
        u = self.rng.random((1, self.space.n_dims))  # (1, d) uniform in [0, 1)
        return self.space.decode(self.space.from_unit(u))[0]

    def tell(self, params: Params, value: float) -> None:
        pass


# -------------------------------------------------------------------- optuna
class OptunaAdapter(Adapter):
    """An Optuna study driven by `study.ask(distributions)` / `study.tell(trial, value)`."""

    def __init__(self, space: Mapping[str, Dimension], seed: int, n_initial: int,
                 sampler: str) -> None:
        super().__init__(space, seed, n_initial)
        import optuna
        from optuna.distributions import (
            CategoricalDistribution,
            FloatDistribution,
            IntDistribution,
        )

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
        self.distributions: dict[str, Any] = {}
        for name, dim in zip(self.space.names, self.space.dimensions):
            if isinstance(dim, Real):
                self.distributions[name] = FloatDistribution(dim.low, dim.high, log=dim.log)
            elif isinstance(dim, Integer):
                self.distributions[name] = IntDistribution(dim.low, dim.high, log=dim.log)
            else:
                choices: list[Any] = list(_categorical(dim).choices)  # Optuna's: JSON values
                self.distributions[name] = CategoricalDistribution(choices)
        self.study = optuna.create_study(
            direction="minimize", sampler=self.make_sampler(sampler, seed, n_initial))
        self.trial: Any = None

    def make_sampler(self, name: str, seed: int, n_initial: int) -> Any:
        """Optuna's sampler `name` with the protocol's seed and initial-design size."""
        import optuna

        samplers = {"gp": optuna.samplers.GPSampler, "tpe": optuna.samplers.TPESampler}
        return samplers[name](seed=seed, n_startup_trials=n_initial)

    def ask(self) -> Params:
        self.trial = self.study.ask(self.distributions)
        return self.canonical(self.trial.params)

    def tell(self, params: Params, value: float) -> None:
        self.study.tell(self.trial, value)


# ------------------------------------------------------------------ hyperopt
class HyperoptAdapter(Adapter):
    """hyperopt's TPE, stepped as `fmin` steps it: `tpe.suggest` on a `Trials` object."""

    def __init__(self, space: Mapping[str, Dimension], seed: int, n_initial: int) -> None:
        super().__init__(space, seed, n_initial)
        from hyperopt import Trials, hp, tpe
        from hyperopt.base import Domain

        self.hp_space: dict[str, Any] = {}
        for name, dim in zip(self.space.names, self.space.dimensions):
            if isinstance(dim, Real):
                self.hp_space[name] = (hp.loguniform(name, math.log(dim.low), math.log(dim.high))
                                       if dim.log else hp.uniform(name, dim.low, dim.high))
            elif isinstance(dim, Integer):
                self.hp_space[name] = (
                    hp.qloguniform(name, math.log(dim.low), math.log(dim.high), 1)
                    if dim.log else hp.uniformint(name, dim.low, dim.high))
            else:
                self.hp_space[name] = hp.choice(name, list(_categorical(dim).choices))
        self.domain = Domain(_never_called, self.hp_space)
        self.trials = Trials()
        self.rstate = np.random.default_rng(seed)  # as fmin(rstate=...) draws the per-step seeds
        self.algo = functools.partial(tpe.suggest, n_startup_jobs=n_initial)
        self.doc: Any = None

    def ask(self) -> Params:
        from hyperopt import space_eval
        from hyperopt.base import spec_from_misc

        new_ids = self.trials.new_trial_ids(1)
        self.trials.refresh()
        self.doc = self.algo(new_ids, self.domain, self.trials, self.rstate.integers(2**31 - 1))[0]
        return self.canonical(space_eval(self.hp_space, spec_from_misc(self.doc["misc"])))

    def tell(self, params: Params, value: float) -> None:
        from hyperopt import JOB_STATE_DONE, STATUS_OK

        self.doc["state"] = JOB_STATE_DONE
        self.doc["result"] = {"loss": float(value), "status": STATUS_OK}
        self.trials.insert_trial_docs([self.doc])
        self.trials.refresh()


def _never_called(params: Any) -> float:
    raise AssertionError("the suite evaluates the objective itself")


# --------------------------------------------------------------------- skopt
class SkoptAdapter(Adapter):
    """`skopt.Optimizer` configured exactly as `gp_minimize` configures it (GP, gp_hedge)."""

    def __init__(self, space: Mapping[str, Dimension], seed: int, n_initial: int) -> None:
        super().__init__(space, seed, n_initial)
        from skopt import Optimizer as SkOptimizer
        from skopt import space as sk
        from skopt.utils import cook_estimator, normalize_dimensions

        dims = []
        for dim in self.space.dimensions:
            prior = "log-uniform" if getattr(dim, "log", False) else "uniform"
            if isinstance(dim, Real):
                dims.append(sk.Real(dim.low, dim.high, prior=prior, name=dim.name))
            elif isinstance(dim, Integer):
                dims.append(sk.Integer(dim.low, dim.high, prior=prior, name=dim.name))
            else:
                dims.append(sk.Categorical(list(_categorical(dim).choices), name=dim.name))
        # gp_minimize's defaults (skopt/optimizer/gp.py and base.py, 0.10)
        rng = np.random.RandomState(seed)
        sk_space = normalize_dimensions(dims)
        estimator = cook_estimator("GP", space=sk_space,
                                   random_state=rng.randint(0, np.iinfo(np.int32).max),
                                   noise="gaussian")
        self.opt = SkOptimizer(
            sk_space, estimator, n_initial_points=n_initial, initial_point_generator="random",
            n_jobs=1, acq_func="gp_hedge", acq_optimizer="auto", random_state=rng,
            acq_optimizer_kwargs={"n_points": 10000, "n_restarts_optimizer": 5, "n_jobs": 1},
            acq_func_kwargs={"xi": 0.01, "kappa": 1.96},
        )
        self.x: list[Any] = []

    def ask(self) -> Params:
        self.x = self.opt.ask()
        return self.canonical(dict(zip(self.space.names, self.x)))

    def tell(self, params: Params, value: float) -> None:
        self.opt.tell(self.x, float(value))

    def recommend(self) -> Params | None:
        """The evaluated point with the lowest posterior mean of the last fitted GP."""
        if not self.opt.models:
            return None
        mean = self.opt.models[-1].predict(self.opt.space.transform(self.opt.Xi))
        return self.canonical(dict(zip(self.space.names, self.opt.Xi[int(np.argmin(mean))])))


# ----------------------------------------------------------------- bayes_opt
class BayesOptAdapter(Adapter):
    """`bayes_opt.BayesianOptimization` (its defaults: GP-UCB, κ = 2.576) via suggest/register.

    It maximizes, so it is told −value. Its first `n_initial` points are its own
    random samples, as `maximize(init_points=n_initial)` would draw them. It
    raises on a point registered twice; a suggestion that repeats an observed
    point is replaced by one of its random samples, and the replacements are
    counted (`stats()["duplicates_replaced"]`).
    """

    def __init__(self, space: Mapping[str, Dimension], seed: int, n_initial: int) -> None:
        super().__init__(space, seed, n_initial)
        from bayes_opt import BayesianOptimization

        pbounds: dict[str, Any] = {}
        for name, dim in zip(self.space.names, self.space.dimensions):
            if isinstance(dim, Categorical):
                pbounds[name] = list(dim.choices)
                continue
            interval = _interval(dim)
            if interval.log:
                pbounds[name] = (math.log(interval.low), math.log(interval.high))
            elif isinstance(interval, Integer):
                pbounds[name] = (interval.low, interval.high, int)
            else:
                pbounds[name] = (interval.low, interval.high)
        with warnings.catch_warnings():  # "Non-float parameters are experimental"
            warnings.simplefilter("ignore", UserWarning)
            self.bo = BayesianOptimization(f=None, pbounds=pbounds, random_state=seed, verbose=0)
        self.raw: Params = {}
        self.duplicates_replaced = 0

    def ask(self) -> Params:
        if len(self.bo.space) < self.n_initial:
            raw = self.bo.random_sample(1)[0]
        else:
            raw = self.bo.suggest()
            while self.bo.space.params_to_array(raw) in self.bo.space:
                self.duplicates_replaced += 1
                raw = self.bo.random_sample(1)[0]
        self.raw = raw
        return self.canonical({name: self._from_raw(dim, raw[name])
                               for name, dim in zip(self.space.names, self.space.dimensions)})

    @staticmethod
    def _from_raw(dim: Dimension, value: Any) -> Any:
        if isinstance(dim, Categorical) or not _interval(dim).log:
            return value
        return math.exp(float(value))

    def tell(self, params: Params, value: float) -> None:
        self.bo.register(params=self.raw, target=-float(value))

    def recommend(self) -> Params | None:
        """The evaluated point with the highest posterior mean of its GP (fitted on all data)."""
        observed = [entry["params"] for entry in self.bo.res]
        if len(observed) < 2:
            return None
        raw = observed[int(np.argmax(self.bo.predict(observed, fit_gp=True)))]
        return self.canonical({name: self._from_raw(dim, raw[name])
                               for name, dim in zip(self.space.names, self.space.dimensions)})

    def stats(self) -> dict[str, Any]:
        return {"duplicates_replaced": self.duplicates_replaced}


# ------------------------------------------------------------------- botorch
# optimize_acqf has no defaults for these; 10 restarts from the best of 512
# raw samples is what BoTorch's closed-loop tutorials use. Mixed spaces use
# optimize_acqf_mixed_alternating with its own defaults (20 restarts, 1024
# raw samples).
BOTORCH_NUM_RESTARTS = 10
BOTORCH_RAW_SAMPLES = 512


class BoTorchAdapter(Adapter):
    """SingleTaskGP (BoTorch's default priors) + LogExpectedImprovement + optimize_acqf.

    Encoding: one column per dimension. Reals and integers map to [0, 1] by
    (w(x) − w(low)) / (w(high) − w(low)), w = log for log dimensions, so the
    model needs no Normalize transform; integers are discrete columns whose
    allowed values are the encodings of low..high. A categorical is its index
    0..k−1, which the model one-hot encodes (BoTorch's
    `NumericToCategoricalEncoding` input transform) and the acquisition
    optimizer treats as unordered (`cat_dims`). Spaces with integers or
    categoricals are optimized by `optimize_acqf_mixed_alternating` (discrete
    local search alternating with L-BFGS), purely continuous ones by
    `optimize_acqf`. The initial design is a scrambled Sobol draw
    (`draw_sobol_samples`), rounded to allowed values. float64, one torch thread.

    BoTorch's categorical-kernel model, `MixedSingleTaskGP`, is not used: it
    has no priors on its categorical hyperparameters, and its fit took
    ~4 s per step at 30 observations (600+ L-BFGS iterations) — 300 s per
    run on `mlp_digits`, more than the rest of the suite's share allows.
    """

    def __init__(self, space: Mapping[str, Dimension], seed: int, n_initial: int) -> None:
        super().__init__(space, seed, n_initial)
        import torch
        from botorch.utils.sampling import draw_sobol_samples

        torch.set_num_threads(1)
        torch.manual_seed(seed)
        self.torch = torch
        upper = []
        self.discrete: dict[int, list[float]] = {}
        self.categorical: dict[int, list[float]] = {}
        for i, dim in enumerate(self.space.dimensions):
            if isinstance(dim, Integer):
                self.discrete[i] = [self._encode(dim, v) for v in range(dim.low, dim.high + 1)]
            elif isinstance(dim, Categorical):
                self.categorical[i] = [float(j) for j in range(len(dim.choices))]
            upper.append(float(len(dim.choices) - 1) if isinstance(dim, Categorical) else 1.0)
        self.bounds = torch.tensor([[0.0] * len(upper), upper], dtype=torch.double)  # (2, d)
        sobol = draw_sobol_samples(self.bounds, n=n_initial, q=1, seed=seed).squeeze(1)  # (n0, d)
        self.design = [self._decode(row) for row in sobol.tolist()]
        self.X: list[list[float]] = []  # encoded observations
        self.y: list[float] = []

    @staticmethod
    def _encode(dim: Dimension, value: Any) -> float:
        """One dimension's value → its column."""
        if isinstance(dim, Categorical):
            return float(tuple(dim.choices).index(value))  # a Space's choices are a tuple
        interval = _interval(dim)
        w: Callable[[float], float] = math.log if interval.log else float
        return (w(value) - w(interval.low)) / (w(interval.high) - w(interval.low))

    def _decode(self, row: list[float]) -> Params:
        params: Params = {}
        for u, name, dim in zip(row, self.space.names, self.space.dimensions):
            if isinstance(dim, Categorical):
                index = min(max(round(u), 0), len(dim.choices) - 1)
                params[name] = dim.choices[index]
                continue
            u = min(max(u, 0.0), 1.0)
            interval = _interval(dim)
            lo, hi = ((math.log(interval.low), math.log(interval.high)) if interval.log
                      else (interval.low, interval.high))
            x = lo + u * (hi - lo)
            params[name] = math.exp(x) if interval.log else x
        return self.canonical(params)

    def _fit(self) -> Any:
        from botorch.fit import fit_gpytorch_mll
        from botorch.models import SingleTaskGP
        from botorch.models.transforms.input import NumericToCategoricalEncoding
        from gpytorch.mlls import ExactMarginalLogLikelihood
        from torch.nn.functional import one_hot

        torch = self.torch
        X = torch.tensor(self.X, dtype=torch.double)  # (n, d)
        Y = -torch.tensor(self.y, dtype=torch.double).unsqueeze(-1)  # (n, 1), BoTorch maximizes
        transform = None
        if self.categorical:
            sizes = {i: len(values) for i, values in self.categorical.items()}
            transform = NumericToCategoricalEncoding(
                dim=X.shape[-1], categorical_features=sizes,
                encoders={i: functools.partial(one_hot, num_classes=k) for i, k in sizes.items()})
        # outcome Standardize and the dimension-scaled priors are SingleTaskGP's defaults
        model = SingleTaskGP(X, Y, input_transform=transform)
        fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model))
        return model, X, Y

    def ask(self) -> Params:
        if len(self.y) < len(self.design):
            return self.design[len(self.y)]
        from botorch.acquisition import LogExpectedImprovement
        from botorch.optim import optimize_acqf, optimize_acqf_mixed_alternating

        model, _, Y = self._fit()
        acqf = LogExpectedImprovement(model, best_f=Y.max())
        if self.discrete or self.categorical:
            candidate, _ = optimize_acqf_mixed_alternating(
                acqf, self.bounds, discrete_dims=self.discrete or None,
                cat_dims=self.categorical or None)
        else:
            candidate, _ = optimize_acqf(acqf, self.bounds, q=1, num_restarts=BOTORCH_NUM_RESTARTS,
                                         raw_samples=BOTORCH_RAW_SAMPLES)
        return self._decode(candidate.squeeze(0).tolist())

    def tell(self, params: Params, value: float) -> None:
        self.X.append([self._encode(dim, params[dim.name]) for dim in self.space.dimensions])  # type: ignore[index]
        self.y.append(float(value))

    def recommend(self) -> Params | None:
        """The evaluated point with the highest posterior mean of a GP fitted on all data."""
        if len(self.y) < 2:
            return None
        model, X, _ = self._fit()
        with self.torch.no_grad():
            mean = model.posterior(X).mean.squeeze(-1)  # (n,)
        return self._decode(X[int(mean.argmax())].tolist())


# ------------------------------------------------------------------ registry
def _fit_options(**kwargs: Any) -> Any:
    """`bayesopt.fitting.FitOptions`, imported on use like every adapter's library."""
    from bayesopt.fitting import FitOptions

    return FitOptions(**kwargs)


def _trust_region() -> Any:
    """`bayesopt.trust_region.TrustRegionOptions()`, TuRBO-1's defaults, imported on use."""
    from bayesopt.trust_region import TrustRegionOptions

    return TrustRegionOptions()


def _trust_region_from_d10(space: Mapping[str, Dimension], seed: int,
                           n_initial: int) -> BayesoptAdapter:
    """TuRBO-1 (`_trust_region()`) when the space has d >= 10 dimensions, else the default.

    Issue 17's rule: "trust regions for d >= 10 (TuRBO, Eriksson et al. 2019)"."""
    options = {"trust_region": _trust_region()} if len(space) >= 10 else None
    return BayesoptAdapter(space, seed, n_initial, options=options)


def _from_d10(space: Mapping[str, Dimension], seed: int, n_initial: int,
              acquisition: str) -> BayesoptAdapter:
    """`acquisition` (with its default options) when the space has d >= 10 dimensions, else
    the default (LogEI): issue 17's Levy-10 target by a switch at d = 10, "ucb" in
    bench/results/ablation_round21.md (after ucb_d10.md), "logaei" in ablation_round25.md."""
    return BayesoptAdapter(space, seed, n_initial,
                           acquisition=acquisition if len(space) >= 10 else None)


class _UniformDesignAdapter(BayesoptAdapter):
    """The default optimizer after n_initial uniform random points of the box instead of its
    scrambled-Sobol design: `RandomState(seed).rand(n_initial, d)` (as Optuna's startup
    draws them) mapped by the space, asked in turn and told as never-asked points; then
    the optimizer's own asks (bench/results/ablation_round22.md)."""

    def __init__(self, space: Mapping[str, Dimension], seed: int, n_initial: int) -> None:
        super().__init__(space, seed, n_initial)
        unit = np.random.RandomState(seed).rand(n_initial, self.space.n_dims)
        self.design = self.space.decode(self.space.from_unit(unit))

    def ask(self) -> Params:
        return self.design.pop(0) if self.design else self.opt.ask()


def _half_design(d: int) -> int:
    """max(3, ⌈(d + 1)/2⌉): half the default's d + 1, unclipped above (Bossek et al. 2020)."""
    return max(3, -(-(d + 1) // 2))


def _double_design(d: int) -> int:
    """2d clipped to [5, 20], as the default's d + 1 is: twice the default's slope."""
    return min(max(5, 2 * d), 20)


def _hedge(members: tuple[str, ...], eta: float) -> Any:
    """`bayesopt.hedge.HedgeOptions(members, eta)`, imported on use."""
    from bayesopt.hedge import HedgeOptions

    return HedgeOptions(members=members, eta=eta)


def _optuna_priors(name: str) -> dict[str, Any]:
    """The `ModelOptions` fields of Optuna GPSampler's priors (`bayesopt.priors`, entries
    `name`) and its minimum noise variance 1e-6 (optuna/_gp/prior.py)."""
    return {"lengthscale_prior": name, "variance_prior": name, "noise_prior": name,
            "fit": _fit_options(noise_bounds=(1e-6, 10.0))}


# bayesopt with one model default changed; reported in ablation.md, not in the peers' table
ABLATIONS = ("bayesopt-noise-floor-1e-6", "bayesopt-hvarfner-prior", "bayesopt-shifted-prior",
             "bayesopt-botorch-noise", "bayesopt-no-transform", "bayesopt-mcmc",
             "bayesopt-input-warping", "bayesopt-more-restarts", "bayesopt-observed-incumbent",
             "bayesopt-trust-region", "bayesopt-trust-region-d10", "bayesopt-hedge", "bayesopt-hedge-pi",
             "bayesopt-refit-until-30", "bayesopt-integer-round", "bayesopt-hamming",
             "bayesopt-restarts-2", "bayesopt-restarts-4-maxiter-25", "bayesopt-lean-search",
             "bayesopt-n-initial-half", "bayesopt-n-initial-2d", "bayesopt-matern32",
             "bayesopt-interleave-10", "bayesopt-smoothness-select",
             "bayesopt-smoothness-average", "bayesopt-select-hedge", "bayesopt-lognei",
             "bayesopt-mace", "bayesopt-optprior", "bayesopt-optprior-jac",
             "bayesopt-early-stops", "bayesopt-polish-rise", "bayesopt-polish-rise-1e-4",
             "bayesopt-roulette", "bayesopt-optprior-roulette", "bayesopt-incumbent-start",
             "bayesopt-uniform-design",
             "bayesopt-ucb-d10", "bayesopt-unscaled-search", "bayesopt-unpreconditioned-fit",
             "bayesopt-logaei", "bayesopt-optuna-lengthscale", "bayesopt-optuna-noise",
             "bayesopt-logaei-d10", "bayesopt-rbf", "bayesopt-rbf-hvarfner",
             "bayesopt-fit-from-mode", "bayesopt-local-map")

# name -> (factory(space, seed, n_initial), distributions it imports)
OPTIMIZERS: dict[str, tuple[Callable[..., Adapter], tuple[str, ...]]] = {
    "bayesopt": (BayesoptAdapter, ("bayesopt",)),
    "bayesopt-ucb": (functools.partial(BayesoptAdapter, acquisition="ucb"), ("bayesopt",)),
    "bayesopt-ei": (functools.partial(BayesoptAdapter, acquisition="ei"), ("bayesopt",)),
    "random": (RandomSearch, ("bayesopt",)),
    # the ablations (the textbook / BoTorch choice, a candidate, or the previous default)
    "bayesopt-hvarfner-prior": (
        functools.partial(BayesoptAdapter, model={"lengthscale_prior": "hvarfner"}), ("bayesopt",)),
    "bayesopt-shifted-prior": (
        functools.partial(BayesoptAdapter, model={"lengthscale_prior": "shifted"}), ("bayesopt",)),
    "bayesopt-botorch-noise": (
        functools.partial(BayesoptAdapter, model={"noise_prior": "botorch"}), ("bayesopt",)),
    "bayesopt-no-transform": (
        functools.partial(BayesoptAdapter, model={"output_transform": "none"}), ("bayesopt",)),
    # the options of issue 17 (Spearmint's two signatures), each alone
    "bayesopt-mcmc": (
        functools.partial(BayesoptAdapter, model={"hyperparameters": "mcmc"}), ("bayesopt",)),
    "bayesopt-input-warping": (
        functools.partial(BayesoptAdapter, model={"input_warping": True}), ("bayesopt",)),
    # issue 17, second round: ideas aimed at Levy-10, Hartmann-6 and noisy Hartmann-6
    # 4x the L-BFGS-B starts and the perturbations of the incumbents they are drawn from
    "bayesopt-more-restarts": (
        functools.partial(BayesoptAdapter, search={"n_restarts": 32, "n_local_candidates": 2048}),
        ("bayesopt",)),
    # the noise-aware (posterior-mean) EI incumbent of the default, replaced by the best observed
    "bayesopt-observed-incumbent": (
        functools.partial(BayesoptAdapter, model={"incumbent": "observed"}), ("bayesopt",)),
    # the acquisition searched inside a TuRBO-1 trust region (Eriksson et al. 2019)
    "bayesopt-trust-region": (
        functools.partial(BayesoptAdapter, options={"trust_region": _trust_region()}),
        ("bayesopt",)),
    # the same, only where issue 17 proposed it (d >= 10); the default below
    "bayesopt-trust-region-d10": (_trust_region_from_d10, ("bayesopt",)),
    # UCB only where d >= 10 (issue 17's Levy-10; bench/results/ucb_d10.md); LogEI below
    "bayesopt-ucb-d10": (functools.partial(_from_d10, acquisition="ucb"), ("bayesopt",)),
    # GP-Hedge (Hoffman et al. 2011; bayesopt.hedge): LogEI and UCB, η = 0.1 (HedgeOptions())
    "bayesopt-hedge": (functools.partial(BayesoptAdapter, acquisition="hedge"), ("bayesopt",)),
    # the paper's portfolio with PI (LogEI for EI), η = 1 as in scikit-optimize's gp_hedge
    "bayesopt-hedge-pi": (
        functools.partial(BayesoptAdapter, acquisition="hedge",
                          options={"hedge": _hedge(("logei", "ucb", "pi"), 1.0)}),
        ("bayesopt",)),
    # issue 18: a cheaper refit schedule, the per-tell refits only while n <= 30, then at 10 %
    # growth (bench/results/refit_schedule.md)
    "bayesopt-refit-until-30": (
        functools.partial(BayesoptAdapter, model={"refit_every_step_until": 30}), ("bayesopt",)),
    # issue 17: the kernel on rounded integers and one-hot argmaxes, integers stepped on
    # their lattice (Garrido-Merchán & Hernández-Lobato 2020; bayesopt.rounding)
    "bayesopt-integer-round": (
        functools.partial(BayesoptAdapter, model={"integer_kernel": "round"}), ("bayesopt",)),
    # issue 17: one lengthscale per categorical, its one-hot columns' tied (a Hamming
    # distance term, as Optuna's GPSampler; bayesopt.categorical)
    "bayesopt-hamming": (
        functools.partial(BayesoptAdapter, model={"categorical_kernel": "hamming"}), ("bayesopt",)),
    # issue 18: a cheaper acquisition search, the three that bought the most CPU per step in
    # the speed screen (bench/results/acq_effort.md); defaults n_restarts=8, maxiter=100,
    # ftol=1e-9, n_candidates=2048, n_local_candidates=512
    "bayesopt-restarts-2": (
        functools.partial(BayesoptAdapter, search={"n_restarts": 2}), ("bayesopt",)),
    "bayesopt-restarts-4-maxiter-25": (
        functools.partial(BayesoptAdapter, search={"n_restarts": 4, "maxiter": 25}),
        ("bayesopt",)),
    "bayesopt-lean-search": (
        functools.partial(BayesoptAdapter, search={"n_restarts": 4, "ftol": 1e-6,
                                                   "n_candidates": 1024,
                                                   "n_local_candidates": 256}),
        ("bayesopt",)),
    # issue 17, eighth round: the initial design's size, smaller (Bossek et al. 2020) and
    # larger (towards EGO's 10d; Jones et al. 1998) than the default's d + 1 within [5, 20]
    "bayesopt-n-initial-half": (
        functools.partial(BayesoptAdapter, design_size=_half_design), ("bayesopt",)),
    "bayesopt-n-initial-2d": (
        functools.partial(BayesoptAdapter, design_size=_double_design), ("bayesopt",)),
    # every 10th asked point uniformly random (SMAC's interleaving, Hutter et al. 2011)
    "bayesopt-interleave-10": (
        functools.partial(BayesoptAdapter, options={"random_interleave": 10}), ("bayesopt",)),
    # a rougher kernel for rugged multimodal objectives: Matérn-3/2 (Stein 1999: a kernel
    # smoother than the function makes overconfident predictions)
    "bayesopt-matern32": (functools.partial(BayesoptAdapter, kernel="matern32"), ("bayesopt",)),
    # issue 17, ninth round: Matérn-5/2 and Matérn-3/2 both fitted at each refit, the one
    # with the higher log marginal posterior used (R&W 2006 Sec. 5.4; Malkomes et al. 2016)
    "bayesopt-smoothness-select": (
        functools.partial(BayesoptAdapter, model={"kernel_candidates": ("matern32",)}),
        ("bayesopt",)),
    # issue 17, eleventh round: the evidence-chosen kernel above with GP-Hedge's acquisition
    "bayesopt-select-hedge": (
        functools.partial(BayesoptAdapter, acquisition="hedge",
                          model={"kernel_candidates": ("matern32",)}),
        ("bayesopt",)),
    # the same two fits, the acquisition averaged over both GPs, weights ∝ exp(log posterior)
    "bayesopt-smoothness-average": (
        functools.partial(BayesoptAdapter, model={"kernel_candidates": ("matern32",),
                                                  "kernel_average": True}),
        ("bayesopt",)),
    # issue 17, fourteenth round: noisy EI (Letham et al. 2019) in log space, LogEI averaged
    # over QMC samples of the noise-free values at the observed points (acquisition="lognei")
    "bayesopt-lognei": (functools.partial(BayesoptAdapter, acquisition="lognei"), ("bayesopt",)),
    # issue 17, round 24: augmented EI (Huang et al. 2006), LogEI discounted where the
    # predictive spread is mostly observation noise (acquisition="logaei")
    "bayesopt-logaei": (functools.partial(BayesoptAdapter, acquisition="logaei"), ("bayesopt",)),
    # augmented EI only where d >= 10, the default below (ablation round 25)
    "bayesopt-logaei-d10": (functools.partial(_from_d10, acquisition="logaei"), ("bayesopt",)),
    # issue 17, round 26: BoTorch's kernel since its 0.12, the squared exponential, with this
    # library's lengthscale prior and with Hvarfner et al.'s (2024) that BoTorch pairs it with
    "bayesopt-rbf": (functools.partial(BayesoptAdapter, kernel="rbf"), ("bayesopt",)),
    "bayesopt-rbf-hvarfner": (
        functools.partial(BayesoptAdapter, model={"kernel": "rbf", "lengthscale_prior": "hvarfner"}),
        ("bayesopt",)),
    # issue 17, round 27: each MAP refit's first start at the prior's mode instead of the last
    # fit's θ, with the prior restarts; and without them, one run from the mode per refit
    # (BoTorch's closed loop, a model built and fitted afresh at each step)
    "bayesopt-fit-from-mode": (
        functools.partial(BayesoptAdapter, model={"fit_start": "mode"}), ("bayesopt",)),
    "bayesopt-local-map": (
        functools.partial(BayesoptAdapter, model={"fit_start": "mode", "n_restarts": 0}),
        ("bayesopt",)),
    # issue 17, fifteenth round: HEBO's MACE (Cowen-Rivers et al. 2022), each point drawn from
    # the Pareto front of LogEI, log PI and UCB (acquisition="mace", bayesopt.mace)
    "bayesopt-mace": (functools.partial(BayesoptAdapter, acquisition="mace"), ("bayesopt",)),
    # issue 17, sixteenth round: Optuna GPSampler's priors on λ = l⁻², the kernel scale and the
    # noise variance, and its noise floor 1e-6 (bayesopt.priors): as GPSampler's MAP objective
    # ("optuna"), and as densities on the log-parameters, with the Jacobian ("optuna-jacobian")
    "bayesopt-optprior": (
        functools.partial(BayesoptAdapter, model=_optuna_priors("optuna")), ("bayesopt",)),
    # issue 17, round 24: GPSampler's priors one block at a time: on the lengthscales alone,
    # on the noise alone (with its noise floor)
    "bayesopt-optuna-lengthscale": (
        functools.partial(BayesoptAdapter, model={"lengthscale_prior": "optuna"}), ("bayesopt",)),
    "bayesopt-optuna-noise": (
        functools.partial(BayesoptAdapter, model={
            "noise_prior": "optuna", "fit": _fit_options(noise_bounds=(1e-6, 10.0))}),
        ("bayesopt",)),
    "bayesopt-optprior-jac": (
        functools.partial(BayesoptAdapter, model=_optuna_priors("optuna-jacobian")),
        ("bayesopt",)),
    # issue 18: the polish stopped once no start rose by more than 1e-3 (log EI) in an
    # iteration, the MAP fit at L-BFGS-B's ftol 1e-4 (bench/results/small_n_step4.md)
    "bayesopt-early-stops": (
        functools.partial(BayesoptAdapter, search={"polish_rise_tol": 1e-3},
                          model={"fit": _fit_options(ftol=1e-4)}),
        ("bayesopt",)),
    # issue 18, ablation round 18: the polish rule of bayesopt-early-stops alone (the MAP
    # fit at its default tolerance)
    "bayesopt-polish-rise": (
        functools.partial(BayesoptAdapter, search={"polish_rise_tol": 1e-3}),
        ("bayesopt",)),
    # issue 18, ablation round 20: the same rule at its milder setting, 1e-4
    "bayesopt-polish-rise-1e-4": (
        functools.partial(BayesoptAdapter, search={"polish_rise_tol": 1e-4}),
        ("bayesopt",)),
    # issue 17, seventeenth round: Optuna GPSampler's choice of the acquisition search's
    # starts, the best candidate then a draw ∝ exp(value − max) (acquisition.optimizer)
    "bayesopt-roulette": (
        functools.partial(BayesoptAdapter, search={"start_selection": "roulette"}),
        ("bayesopt",)),
    # both of GPSampler's differences at once: its priors (sixteenth round) and its starts
    "bayesopt-optprior-roulette": (
        functools.partial(BayesoptAdapter, model=_optuna_priors("optuna"),
                          search={"start_selection": "roulette"}),
        ("bayesopt",)),
    # issue 17, nineteenth round: Optuna GPSampler's warm start, one more local search of
    # the acquisition started at the incumbent's observed point (acquisition.optimizer)
    "bayesopt-incumbent-start": (
        functools.partial(BayesoptAdapter, search={"incumbent_start": True}), ("bayesopt",)),
    # issue 18, twenty-third round: the default's two scaled L-BFGS-B runs one at a time —
    # the acquisition's local search unscaled (the refit still preconditioned), and the
    # refit unpreconditioned (the search still scaled by the lengthscales)
    "bayesopt-unscaled-search": (
        functools.partial(BayesoptAdapter, search={"scale_by_lengthscales": False}),
        ("bayesopt",)),
    "bayesopt-unpreconditioned-fit": (
        functools.partial(BayesoptAdapter, model={"fit": _fit_options(precondition=False)}),
        ("bayesopt",)),
    # issue 17, twenty-second round: a uniform random initial design instead of Sobol
    "bayesopt-uniform-design": (_UniformDesignAdapter, ("bayesopt",)),
    "bayesopt-noise-floor-1e-6": (
        functools.partial(BayesoptAdapter, model={"fit": _fit_options(noise_bounds=(1e-6, 10.0))}),
        ("bayesopt",)),
    "optuna-gp": (functools.partial(OptunaAdapter, sampler="gp"), ("optuna", "torch")),
    "optuna-tpe": (functools.partial(OptunaAdapter, sampler="tpe"), ("optuna",)),
    "botorch": (BoTorchAdapter, ("botorch", "gpytorch", "torch")),
    "skopt": (SkoptAdapter, ("skopt",)),
    "bayes_opt": (BayesOptAdapter, ("bayes_opt",)),
    "hyperopt": (HyperoptAdapter, ("hyperopt",)),
}
DISTRIBUTIONS = {  # import name -> distribution name, for versions
    "bayesopt": "bayesopt", "optuna": "optuna", "torch": "torch", "botorch": "botorch",
    "gpytorch": "gpytorch", "skopt": "scikit-optimize", "bayes_opt": "bayesian-optimization",
    "hyperopt": "hyperopt",
}


@functools.cache
def missing_reason(name: str) -> str | None:
    """None if optimizer `name` can run here, else why not (the import error)."""
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; known: {', '.join(OPTIMIZERS)}")
    for module in OPTIMIZERS[name][1]:
        try:
            importlib.import_module(module)
        except Exception as error:  # noqa: BLE001 - a broken install fails in many ways
            return f"import {module} failed: {type(error).__name__}: {error}"
    return None


def versions(name: str) -> dict[str, str]:
    """Versions of the distributions optimizer `name` (or `module:attribute`) uses: the
    imported module's `__version__` when it has been imported (the code that ran, also
    from a checkout on PYTHONPATH), else the installed distribution's."""
    if is_spec(name):
        return _third_party_version(name.partition(":")[0])
    out = {}
    for module in OPTIMIZERS[name][1]:
        loaded = getattr(sys.modules.get(module), "__version__", None)
        try:
            out[DISTRIBUTIONS[module]] = (str(loaded) if loaded is not None
                                          else importlib.metadata.version(DISTRIBUTIONS[module]))
        except importlib.metadata.PackageNotFoundError:
            out[DISTRIBUTIONS[module]] = "not installed"
    return out


def _third_party_version(module: str) -> dict[str, str]:
    """{top-level package: its installed version, its `__version__`, or "unknown"}."""
    top = module.partition(".")[0]
    try:
        return {top: importlib.metadata.version(top)}
    except importlib.metadata.PackageNotFoundError:
        return {top: str(getattr(importlib.import_module(module), "__version__", "unknown"))}


def optimizer_name(name: str) -> str:
    """The name a run reports: `name` itself, or a third-party factory's (`bench.protocol`)."""
    return load_optimizer(name)[0] if is_spec(name) else name


def make_adapter(name: str, space: Mapping[str, Dimension], seed: int,
                 n_initial: int) -> OptimizerAdapter:
    """A built-in optimizer by name, or a third-party one by `module:attribute`."""
    if is_spec(name):
        factory = load_optimizer(name)[1]
        return check_adapter(factory(space, seed, n_initial), name)
    reason = missing_reason(name)
    if reason is not None:
        raise RuntimeError(f"optimizer {name!r} is MISSING: {reason}")
    return OPTIMIZERS[name][0](space, seed, n_initial)


# -------------------------------------------------------------------- driver
def drive(adapter: OptimizerAdapter, problem: Any, budget: int) -> list[dict[str, Any]]:
    """Ask, evaluate and tell `budget` times; per step the point, the value told and the
    seconds spent in ask + tell (`overhead`) and in the evaluation (`eval_seconds`).

    Each asked point is validated against the problem's space, untimed: a
    third-party adapter's point is checked before it is evaluated.
    """
    space = Space(problem.space)
    steps = []
    for _ in range(budget):
        t0 = time.perf_counter()
        params = adapter.ask()
        t1 = time.perf_counter()
        params = space.validate(params)
        t2 = time.perf_counter()
        value = problem.evaluate(params)
        t3 = time.perf_counter()
        adapter.tell(params, value)
        t4 = time.perf_counter()
        steps.append({"params": params, "value": value, "overhead": (t1 - t0) + (t4 - t3),
                      "eval_seconds": t3 - t2})
    return steps


def run(problem: Any, optimizer: str, seed: int, budget: int | None = None) -> dict[str, Any]:
    """One run of `optimizer` on `problem` (a `bench.problems.Problem`), as a JSON-able record.

    Per step: the point, the value told (`value`), its noiseless value
    (`true_value`), the seconds spent in ask + tell (`overhead`: wall time
    without the evaluation) and in the evaluation (`eval_seconds`). At the
    end, the optimizer's own recommendation, if it has one, and its noiseless
    value. The caller limits threads (see `bench.quality`).
    """
    from bayesopt.optimizer import default_n_initial

    budget = problem.budget if budget is None else budget
    space = Space(problem.space)
    n_initial = default_n_initial(space)
    start = time.perf_counter()
    adapter = make_adapter(optimizer, problem.space, seed, n_initial)
    setup = time.perf_counter() - start
    steps = drive(adapter, problem, budget)
    for step in steps:  # judged after the run, so judging costs no optimizer time
        step["true_value"] = (step["value"] if problem.kind == "ml"
                              else problem.true_value(step["params"]))
    t4 = time.perf_counter()
    recommended = adapter.recommend()
    recommend_seconds = time.perf_counter() - t4
    if recommended is not None:
        recommended = space.validate(recommended)
    return {
        "problem": problem.name, "optimizer": optimizer_name(optimizer), "seed": seed,
        "budget": budget,
        "n_initial": n_initial, "setup_seconds": setup, "wall_seconds": time.perf_counter() - start,
        "steps": steps,
        "recommended": recommended, "recommend_seconds": recommend_seconds,
        "recommended_true_value": None if recommended is None else problem.true_value(recommended),
        "stats": adapter.stats(), "versions": versions(optimizer), **_identity(adapter),
    }


def _identity(adapter: OptimizerAdapter) -> dict[str, Any]:
    """The optional `identity()` of an adapter (`bench.protocol.OptimizerAdapter`), else {}."""
    identity = getattr(adapter, "identity", None)
    return dict(identity()) if callable(identity) else {}

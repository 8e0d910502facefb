"""The surrogate the optimizer talks to: output scaling, hyperparameter schedule, fantasies.

    X      : (n, d) encoded observations (unit cube), in the order they were told
    y      : (n,)   their objective values (minimization), raw units
    w      : (n,)   T(y), the output transform (`bayesopt.transforms`) of y
    y_std  : (n,)   (w − mean(w)) / std(w), the GP's targets
    X_pend : (p, d) pending points, conditioned on as fantasies

A latent value f on the GP's scale is y = T⁻¹(mean(w) + std(w)·f) in
objective units (`to_objective`), with T⁻¹ saturated into the envelope of
the observed range [min y, max y] (`bayesopt.transforms.saturate`).

Refit schedule. The hyperparameters are refit by MAP (`bayesopt.fitting`)
after every tell while n ≤ `refit_every_step_until`, and afterwards only
when the data set has grown by the fraction `refit_growth` since the last
fit. Each refit starts from the last hyperparameters (`fit_start="last"`) or from
the prior's mode (`fit_start="mode"`); while n ≤ `restarts_until` it also starts
from `n_restarts` draws of the prior, once every `restart_every` observations.
Between refits new observations are added by a block Cholesky append (O(n²) per
point), so the amortized cost of a tell is O(n²) for large n: a refit costs O(n³)
and happens once per `refit_growth · n` tells.

Hyperparameters θ = (log l_1 … log l_d, log s2, log σ² [, θ_w]): one MAP
estimate by default; with `hyperparameters="mcmc"` slice-sampled posterior
samples, the GP becoming a mixture over them (`bayesopt.sampling`); with
`input_warping=True` a Kumaraswamy warp θ_w of the non-one-hot columns
(`bayesopt.warping`). Both are options, not defaults (docs/choosing-defaults.md).
With `kernel_candidates` each refit fits `kernel` and every candidate kernel by MAP
(each warm-started from its own last θ) and uses the one with the highest log marginal
posterior until the next refit (kernel selection by the evidence, R&W 2006 Sec. 5.4;
Malkomes, Schaff & Garnett 2016); the model's state records which.
With `categorical_kernel="hamming"` θ keeps its d lengthscales but the fit moves
the one-hot columns of each categorical together (one lengthscale and one prior
per categorical, `bayesopt.categorical`).

Fantasies (Ginsbourger, Le Riche & Carraro 2010): pending points are
appended as if observed, which shrinks the variance around them so the
acquisition looks elsewhere; they are removed again with a free truncation
of the factor. The value they are given is their posterior mean ("kriging
believer") by default, or the best value observed so far ("constant liar",
CL-min). `fantasy="penalize"` appends nothing and has the optimizer damp
the acquisition around pending points instead (local penalization,
`acquisition.penalty.LocalPenalty`). Under outcome constraints the liar's
value and the penalty's best are taken over the feasible observations (over all
while none is), and the incumbent counting fantasies is constrained EI's: the best
over the feasible observations and the fantasies the constraint GPs believe
feasible (`add_fantasies`' `counted`, `bayesopt.propose`).
The believer is the default: in batches it reaches the sequential run's regret
in the fewest evaluations (docs/choosing-defaults.md, "Batches and pending points").
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from typing import Any, cast

import numpy as np
from scipy.special import logsumexp

from acquisition.checks import (
    boolean,
    check_fields,
    choice,
    instance,
    integer,
    optional,
    real,
    rule,
)
from bayesopt.categorical import CATEGORICAL_KERNELS, LengthscaleTying, fit_tied
from bayesopt.choices import (
    CategoricalKernelName,
    FantasyName,
    FidelityKernelName,
    FidelityModelName,
    FitStartName,
    HyperparameterFitName,
    IncumbentName,
    IntegerKernelName,
    KernelName,
    LengthscalePriorName,
    NoisePriorName,
    OutputTransformName,
    VariancePriorName,
)
from bayesopt.failures import caller_level, raise_if_interrupted
from bayesopt.fitting import NOISE_BOUNDS, FitOptions, FitResult, fit_map, parameter_bounds
from bayesopt.gp import GaussianProcess, Posterior
from bayesopt.journal import JournalError
from bayesopt.priors import (
    LENGTHSCALE_PRIORS,
    NOISE_PRIORS,
    VARIANCE_PRIORS,
    HyperparameterPriors,
    LogNormalPrior,
)
from bayesopt.rounding import INTEGER_KERNELS, InputRounding
from bayesopt.sampling import GaussianProcessMixture, sample_hyperparameters
from bayesopt.slice_sampling import SliceSchedule
from bayesopt.transforms import OutputTransform, all_equal, times_square
from bayesopt.warping import KumaraswamyWarping, WarpedGaussianProcess
from kernels import KERNEL_KINDS, CholeskyError, Kernel

logger = logging.getLogger(__name__)


FANTASY_NOISE = 1e-6  # relative to the signal variance


FANTASIES = ("liar", "believer", "penalize")  # values of ModelOptions.fantasy


class ModelFitWarning(UserWarning):
    """The hyperparameter fit failed and earlier or default values are used."""


INCUMBENTS = ("posterior_mean", "observed")  # values of ModelOptions.incumbent

FIT_STARTS = ("last", "mode")  # values of ModelOptions.fit_start

HYPERPARAMETERS = ("map", "mcmc")  # values of ModelOptions.hyperparameters

FIDELITY_MODELS = ("budget-input", "bohb")  # values of ModelOptions.fidelity_model


def _kernel_candidates(key: str, value: Any) -> tuple[str, ...]:
    """A tuple (or list) of distinct kernel names of `kernels.KERNEL_KINDS` (aliases of one
    kernel count as one), possibly empty."""
    if not isinstance(value, (tuple, list)):
        raise TypeError(f"{key}={value!r} must be a tuple of kernel names")
    names = tuple(value)
    for name in names:
        if not isinstance(name, str) or name not in KERNEL_KINDS:
            raise ValueError(f"{key}={value!r}: {name!r} must be one of {sorted(KERNEL_KINDS)}")
    if len({KERNEL_KINDS[name] for name in names}) != len(names):
        raise ValueError(f"{key}={value!r} names one kernel twice")
    return names


@dataclass(frozen=True)
class BudgetBasis:
    """How the kernel takes a Fidelity's budget level z besides a lengthscale or not
    (`kernels.fidelity`): the basis (1, (1 − z)^power), and with `lengthscale` z also a
    stationary input with its own lengthscale (Eq. 3 there); `bias_prior` the prior of
    log τ² (None: the lengthscale prior, `bayesopt.priors`)."""

    power: int
    lengthscale: bool = False
    bias_prior: LogNormalPrior | None = None


# A small bias a priori: median τ² = 0.01 (the lowest budget's value correlated 0.995 with
# the top budget's, ρ = 1/√(1 + τ²)) and 3 log-units wide, so τ² from 1e-4 to 1 lies
# within 1.6σ; Hyperband's premise is that low budgets rank configurations
# (docs/multi-fidelity.md)
SMALL_BIAS = LogNormalPrior(math.log(0.01), 3.0)


# ModelOptions.fidelity_kernel → the budget basis of the kernel, or None: the budget level one
# more stationary input with a lengthscale
FIDELITY_KERNELS: dict[str, BudgetBasis | None] = {
    "stationary": None, "basis": BudgetBasis(2), "linear-basis": BudgetBasis(1),
    "stationary+basis": BudgetBasis(2, lengthscale=True),
    "basis-small-bias": BudgetBasis(2, bias_prior=SMALL_BIAS)}


@dataclass(frozen=True)
class ModelOptions:
    """Surrogate settings (each field checked by `acquisition.checks`).

    See the module docstring for the refit schedule and the fantasies.
    """

    kernel: KernelName = field(default="matern52", metadata=rule(choice(KERNEL_KINDS)))
    refit_every_step_until: int = field(default=200, metadata=rule(integer(minimum=0)))
    # beyond refit_every_step_until, refit when the data set has grown by this fraction since
    # the last fit, so the amortized cost of a tell stays O(n²) (DESIGN, Cholesky updates);
    # the value is the quality suite's choice (bench/results/large_n_quality.md)
    refit_growth: float = field(default=0.2, metadata=rule(real(0.0, low_open=True)))
    # random restarts drawn from the prior, besides the warm start
    n_restarts: int = field(default=2, metadata=rule(integer(minimum=0)))
    # no random restarts beyond this many observations
    restarts_until: int = field(default=100, metadata=rule(integer(minimum=0)))
    # the restarts run at a refit only when n has crossed a multiple of restart_every since
    # the last fit (1: at every refit); the other refits start warm only (the value: the
    # quality suite's choice, bench/results/restart_every.md)
    restart_every: int = field(default=4, metadata=rule(integer(minimum=1)))
    # where each MAP refit's first L-BFGS-B run starts: "last", the last fit's θ (a warm
    # start); "mode", the prior's mode every time (a local MAP from the prior's mode, as a
    # model built afresh at each step is fitted); the restarts above come on top of either
    fit_start: FitStartName = field(default="last", metadata=rule(choice(FIT_STARTS)))
    # the MAP fit uses a random subset of this size beyond it
    max_fit_points: int = field(default=1000, metadata=rule(integer(minimum=2)))
    # how pending points are handled: fantasized at their posterior mean ("believer",
    # kriging believer) or at the best observed value ("liar", constant liar CL-min),
    # Ginsbourger et al. (2010); or not fantasized, the acquisition damped around them
    # instead ("penalize", local penalization, González et al. 2016)
    fantasy: FantasyName = field(default="believer", metadata=rule(choice(FANTASIES)))
    # "yeo-johnson": a power transform of the objective refit with the hyperparameters
    # (see bayesopt.transforms); "none": standardization only
    output_transform: OutputTransformName = field(
        default="yeo-johnson", metadata=rule(choice(("yeo-johnson", "none"))))
    # a key of bayesopt.priors.LENGTHSCALE_PRIORS
    lengthscale_prior: LengthscalePriorName = field(
        default="recentred", metadata=rule(choice(LENGTHSCALE_PRIORS)))
    # a key of bayesopt.priors.NOISE_PRIORS
    noise_prior: NoisePriorName = field(default="low", metadata=rule(choice(NOISE_PRIORS)))
    # a key of bayesopt.priors.VARIANCE_PRIORS (the signal variance's)
    variance_prior: VariancePriorName = field(
        default="default", metadata=rule(choice(VARIANCE_PRIORS)))
    # False: maximum likelihood (type-II ML, R&W Sec. 5.4.1); the priors then only draw
    # the restarts' starting points and the fallback hyperparameters
    priors: bool = field(default=True, metadata=rule(boolean()))
    # None: the noise is fitted. A number: the observation-noise variance, fixed, in the
    # objective's units squared (converted through the output scaling at every refit)
    noise_variance: float | None = field(
        default=None, metadata=rule(optional(real(0.0, low_open=True))))
    # the EI/PI incumbent: the best posterior mean at an observed point ("posterior_mean",
    # the plug-in of Picheny et al. 2013) or the best observed value ("observed", Jones 1998)
    incumbent: IncumbentName = field(default="posterior_mean", metadata=rule(choice(INCUMBENTS)))
    fit: FitOptions = field(default_factory=FitOptions, metadata=rule(instance(FitOptions)))
    # "map": one θ maximizing marginal likelihood × priors; "mcmc": samples of the posterior
    # p(θ | y) by slice sampling, the acquisition averaged over them (bayesopt.sampling;
    # Snoek et al. 2012). At each refit the chain runs mcmc_burn_in sweeps, then keeps
    # mcmc_samples states one every mcmc_thin sweeps
    hyperparameters: HyperparameterFitName = field(
        default="map", metadata=rule(choice(HYPERPARAMETERS)))
    mcmc_samples: int = field(default=10, metadata=rule(integer(minimum=1)))
    mcmc_burn_in: int = field(default=20, metadata=rule(integer(minimum=0)))
    mcmc_thin: int = field(default=2, metadata=rule(integer(minimum=1)))
    # a Kumaraswamy CDF per non-one-hot input, fitted with θ (bayesopt.warping; Snoek et al. 2014)
    input_warping: bool = field(default=False, metadata=rule(boolean()))
    # with a Fidelity in the space: one GP on every budget's runs, the budget level an
    # input, asked at the highest budget ("budget-input"); or BOHB's GP of the largest
    # budget with enough runs ("bohb", Falkner et al. 2018). docs/multi-fidelity.md
    fidelity_model: FidelityModelName = field(
        default="budget-input", metadata=rule(choice(FIDELITY_MODELS)))
    # with fidelity_model="budget-input": the budget level one more input of the stationary
    # kernel ("stationary"), or the budget kernel of FABOLAS, k_x·(1 + τ²(1 − z)²(1 − z′)²),
    # whose top budget is the limit of a decaying bias ("basis", Klein et al. 2017;
    # kernels.fidelity), or the same with a bias linear in 1 − z ("linear-basis", the
    # bias term of Wu et al. 2019), FABOLAS's basis beside the stationary budget input
    # ("stationary+basis"), or FABOLAS's with a prior of small bias on τ²
    # ("basis-small-bias", SMALL_BIAS). docs/multi-fidelity.md
    fidelity_kernel: FidelityKernelName = field(
        default="stationary", metadata=rule(choice(FIDELITY_KERNELS)))
    # "relax": integers relaxed, rounded on decode; "round": the kernel on T(x), integers
    # rounded and one-hot groups set to their argmax (Garrido-Merchán & Hernández-Lobato
    # 2020; bayesopt.rounding), integers searched on their lattice by the acquisition optimizer
    integer_kernel: IntegerKernelName = field(
        default="relax", metadata=rule(choice(INTEGER_KERNELS)))
    # "onehot": one lengthscale per one-hot column; "hamming": one per categorical, its
    # columns' lengthscales tied, a Hamming distance term (bayesopt.categorical)
    categorical_kernel: CategoricalKernelName = field(
        default="onehot", metadata=rule(choice(CATEGORICAL_KERNELS)))
    # kernels fitted at each MAP refit besides `kernel` (same θ layout, same priors, each
    # warm-started from its own last fit); the one with the highest log marginal
    # posterior, the MAP objective, is used until the next refit. Kernel selection by the
    # evidence, R&W (2006) Sec. 5.4; Malkomes, Schaff & Garnett (2016). () : `kernel` only
    kernel_candidates: tuple[KernelName, ...] = field(default=(), metadata=rule(_kernel_candidates))
    # with kernel_candidates: instead of the best kernel alone, the mixture of every fitted
    # kernel's GP weighted ∝ exp(log marginal posterior at its MAP θ), the acquisition
    # averaged with those weights (a Bayesian model average over the kernels without a
    # Laplace correction; acquisition.averaging)
    kernel_average: bool = field(default=False, metadata=rule(boolean()))

    def __post_init__(self) -> None:
        check_fields(self)
        if self.noise_variance is not None:
            self._check_fixed_noise()
        self._check_sampling()
        self._check_fidelity_kernel()
        self._check_kernel_candidates()

    def _check_kernel_candidates(self) -> None:
        """The candidates are kernels other than `kernel`, compared by one MAP fit each:
        not with hyperparameter samples, a warp or a budget basis (untested there)."""
        if not self.kernel_candidates:
            if self.kernel_average:
                raise ValueError("kernel_average=True averages over kernel_candidates and "
                                 "kernel; kernel_candidates=() names none")
            return
        if KERNEL_KINDS[self.kernel] in {KERNEL_KINDS[k] for k in self.kernel_candidates}:
            raise ValueError(f"kernel_candidates={self.kernel_candidates!r} repeats "
                             f"kernel={self.kernel!r}: list only the other kernels")
        others = {"hyperparameters": (self.hyperparameters, "map"),
                  "input_warping": (self.input_warping, False),
                  "fidelity_kernel": (self.fidelity_kernel, "stationary")}
        for key, (value, compatible) in others.items():
            if value != compatible:
                raise ValueError(f"kernel_candidates={self.kernel_candidates!r} needs "
                                 f"{key}={compatible!r}, got {key}={value!r}")

    def _check_fidelity_kernel(self) -> None:
        """The budget basis models the budget input of fidelity_model="budget-input", with
        one MAP θ and unwarped inputs (the combinations it is implemented and tested for)."""
        if FIDELITY_KERNELS[self.fidelity_kernel] is None:
            return
        others = {"fidelity_model": (self.fidelity_model, "budget-input"),
                  "hyperparameters": (self.hyperparameters, "map"),
                  "input_warping": (self.input_warping, False)}
        for key, (value, compatible) in others.items():
            if value != compatible:
                raise ValueError(f"fidelity_kernel={self.fidelity_kernel!r} needs "
                                 f"{key}={compatible!r}, got {key}={value!r}")

    def _check_sampling(self) -> None:
        """The chain's settings are read only by hyperparameters="mcmc", which needs priors
        that are densities on the log-parameters (not GPSampler's objective, the "optuna"
        entries of bayesopt.priors), and samples θ itself, which tied lengthscales would not be."""
        if self.hyperparameters == "mcmc":
            for key in ("lengthscale_prior", "variance_prior", "noise_prior"):
                if getattr(self, key) == "optuna":
                    raise ValueError(
                        f"hyperparameters='mcmc' samples the posterior over the log-parameters; "
                        f"{key}='optuna' is GPSampler's MAP objective, not a density on them "
                        f"(use {key}='optuna-jacobian')")
            if CATEGORICAL_KERNELS[self.categorical_kernel]:
                raise ValueError(f"categorical_kernel={self.categorical_kernel!r} ties the "
                                 "lengthscales of a categorical's columns, which the slice "
                                 "sampler of hyperparameters='mcmc' does not: use "
                                 "categorical_kernel='onehot' with it")
            if not self.priors:
                raise ValueError("hyperparameters='mcmc' samples the posterior p(θ | y), which "
                                 "needs priors=True (priors=False is maximum likelihood)")
            return
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name.startswith("mcmc_") and value != item.default:
                raise ValueError(f"{item.name}={value!r} is not used with "
                                 f"hyperparameters={self.hyperparameters!r} (use 'mcmc')")

    @property
    def schedule(self) -> SliceSchedule:
        """The slice sampler's schedule at each refit (hyperparameters="mcmc")."""
        return SliceSchedule(self.mcmc_samples, self.mcmc_burn_in, self.mcmc_thin)

    def _check_fixed_noise(self) -> None:
        """A fixed noise leaves no room for the settings of a fitted one, nor a nonlinear
        transform (under which a constant noise in objective units is not Gaussian)."""
        others = {"output_transform": (self.output_transform, "none"),
                  "noise_prior": (self.noise_prior, "low"),
                  "fit.noise_bounds": (self.fit.noise_bounds, NOISE_BOUNDS)}
        for key, (value, compatible) in others.items():
            if value != compatible:
                raise ValueError(
                    f"noise_variance={self.noise_variance!r} fixes the noise, which conflicts "
                    f"with {key}={value!r} (use {compatible!r}, or noise_variance=None)")


class SurrogateModel:
    """A GP on standardized targets that follows a growing data set."""

    def __init__(self, dim: int, options: ModelOptions, rng: np.random.Generator,
                 warp_columns: tuple[int, ...] | None = None,
                 gates: tuple[int, ...] | None = None,
                 rounding: InputRounding | None = None, budget_basis: BudgetBasis | None = None,
                 tying: LengthscaleTying | None = None) -> None:
        """`warp_columns`: the columns `input_warping` warps (default: all of them);
        `gates`: the activity column of each input column of a conditional space
        (`kernels.Kernel`), None for an unconditional one; `rounding`: T of
        `integer_kernel="round"` (`bayesopt.rounding.input_rounding`), None for relaxed inputs;
        `budget_basis`: the basis the last column, a budget level, is taken in (`kernels.
        Kernel`'s budget_power and budget_lengthscale), None for a stationary input;
        `tying`: the lengthscales fitted as one of `categorical_kernel="hamming"`
        (`bayesopt.categorical`), None for one per column."""
        assert tying is None or tying.dim == dim, "the tying must cover the model's columns"
        self.rounding = rounding
        self.budget_basis = budget_basis
        self.budget_power = None if budget_basis is None else budget_basis.power
        self.budget_lengthscale = budget_basis is not None and budget_basis.lengthscale
        self.slots = dim + self.budget_lengthscale  # θ's lengthscale slots (kernels.kernel)
        self.tying = tying
        self.dim = dim
        self.gates = gates  # activity column of each input column (conditional spaces; Kernel)
        self.options = options
        self.priors = HyperparameterPriors.default(
            dim, options.lengthscale_prior, options.noise_prior, options.variance_prior)
        if budget_basis is not None and budget_basis.bias_prior is not None:
            self.priors = replace(self.priors, budget_bias=budget_basis.bias_prior)
        self.rng = rng
        columns = tuple(range(dim)) if warp_columns is None else tuple(warp_columns)
        self.warping = (KumaraswamyWarping(dim, columns)
                        if options.input_warping and columns else None)
        # (d + 2 [+ 2k],) last fitted log-parameters; with mcmc the samples' mean
        self.params: np.ndarray | None = None
        self.samples: np.ndarray | None = None  # (S, d + 2 [+ 2k]) posterior samples (mcmc)
        # the kernel in use (`kernel_candidates`: the selected one)
        self.kernel_name: str = options.kernel
        # with `kernel_candidates`: each kernel's last fitted log-parameters, its warm start,
        # and the negative log posterior of the kernels fitted at the last refit
        self.kernel_params: dict[str, np.ndarray] = {}
        self.kernel_values: dict[str, float] = {}
        # each kernel's curvature measured by its last MAP fit (`FitResult.curvature`), the
        # scale of its next one (`FitOptions.precondition`)
        self.curvatures: dict[str, np.ndarray] = {}
        self.n_at_last_fit = 0
        self.gp: GaussianProcess | GaussianProcessMixture | None = None
        self.n_observed = 0
        self.budget: float | None = None  # with a Fidelity: the budget of the data (BOHB)
        self.y_mean, self.y_scale = 0.0, 1.0  # standardization of the transformed values
        self.transform = OutputTransform()
        self.observed_range = (0.0, 0.0)  # (min y, max y) of the observations conditioned on
        self._observed_incumbent: float | None = None  # cached; see `observed_incumbent`
        self._fantasy_incumbent = math.inf  # the incumbent counting fantasies as observed

    # ----------------------------------------------------------------- data
    def update(self, X: np.ndarray, y: np.ndarray, force_refit: bool = False,
               defer_refit: bool = False, budget: float | None = None) -> None:
        """Condition on the full data set X: (n, d), y: (n,), a superset of the last one.

        The hyperparameters are refit when the schedule says so (or
        `force_refit`); otherwise the new rows are block-appended. With
        `defer_refit` a fitted model only block-appends (a shared study's ask,
        which refits before it takes the study's lock and must not refit again
        while holding it). `budget` names the Fidelity budget the data were
        observed at (None without one); data at another budget than the last
        are a new data set, fitted from scratch.
        """
        assert X.shape[0] == y.shape[0] > 0, "need at least one observation"
        X = self._inputs(X)
        self.clear_fantasies()
        n = X.shape[0]
        moved, self.budget = budget != self.budget, budget
        refit = force_refit or moved or (self._refit_due(n) and not defer_refit)
        if self.gp is None or refit:
            self.transform = OutputTransform.fit(y, self.options.output_transform)
            values = self.transform(y)
            self.y_mean, self.y_scale = _standardization(values)
            self._refit(X, values)
        else:
            if n > self.n_observed:
                self.gp.append(X[self.n_observed :], self.transform(y[self.n_observed :]))
            self.y_mean, self.y_scale = _standardization(self.gp.values)
            self.gp.set_standardization(self.y_mean, self.y_scale)
        self.n_observed = n
        self.observed_range = (float(np.min(y)), float(np.max(y)))
        self._observed_incumbent = None

    def state(self) -> dict[str, Any]:
        """What `restore` needs (JSON-able): sizes now and at the last refit, θ, the transform."""
        params = None if self.params is None else [float(p) for p in self.params]
        state: dict[str, Any] = {"n": self.n_observed, "fit_n": self.n_at_last_fit,
                                 "params": params, "transform": self.transform.to_dict()}
        if self.samples is not None:
            state["samples"] = self.samples.tolist()
        if self.budget is not None:
            state["budget"] = self.budget
        if self.options.kernel_candidates:  # listed only then: the default's state stays
            state["kernel"] = self.kernel_name
            state["kernel_params"] = {name: [float(p) for p in params]
                                      for name, params in self.kernel_params.items()}
            state["kernel_values"] = dict(self.kernel_values)
        if self.curvatures:  # listed only then: a fit without `precondition` measures none
            state["curvatures"] = {name: [float(c) for c in curvature]
                                   for name, curvature in self.curvatures.items()}
        return state

    def restore(
        self, X: np.ndarray, y: np.ndarray, state: dict[str, Any], chunk_ends: list[int],
        phantoms: int = 0,
    ) -> None:
        """Rebuild the model a run had without refitting: the GP it built at its last
        refit (on the first `fit_n` observations, with `params` and the output
        transform of that refit), then the same block appends up to each of
        `chunk_ends`. Same operations, so the same numbers.

        A record that counts more observations than the rows given plus `phantoms` (its
        `fit_n`, its `n` or a chunk end: an edited or corrupt journal) raises JournalError
        naming both numbers; slicing would build the GP on fewer rows than the record
        says. `phantoms` is how many rows the writer may have counted that the data leave
        out: with a Fidelity, the library before 9bfb2dba fed its live GP each run a
        report stopped (recorded "pruned"), and its journals resume as they did."""
        _check_record_rows(state, chunk_ends, X.shape[0], phantoms)
        self.params = np.asarray(state["params"], dtype=float)
        self.budget = state.get("budget")
        self.kernel_name = state.get("kernel", self.options.kernel)
        self.kernel_params = {name: np.asarray(params, dtype=float)
                              for name, params in state.get("kernel_params", {}).items()}
        self.kernel_values = {name: float(v) for name, v in state.get("kernel_values", {}).items()}
        self.curvatures = {name: np.asarray(curvature, dtype=float)
                           for name, curvature in state.get("curvatures", {}).items()}
        if "samples" in state:
            self.samples = np.asarray(state["samples"], dtype=float)
        self.n_at_last_fit = fit_n = int(state["fit_n"])
        X = self._inputs(X)
        self.transform = OutputTransform(**state["transform"])
        values = self.transform(y)
        self.y_mean, self.y_scale = _standardization(values[:fit_n])
        self.gp = None  # freed before the new one is built
        self.gp = self._gp_from_params(X[:fit_n], values[:fit_n])
        start = fit_n
        for end in chunk_ends:
            self.gp.append(X[start:end], values[start:end])
            start = end
        self.y_mean, self.y_scale = _standardization(values[:start])
        self.gp.set_standardization(self.y_mean, self.y_scale)
        self.n_observed = start
        self.observed_range = (float(np.min(y[:start])), float(np.max(y[:start])))
        self._observed_incumbent = None
        self._fantasy_incumbent = math.inf

    def _refit_due(self, n: int) -> bool:
        opts = self.options
        return n <= opts.refit_every_step_until or n >= (1 + opts.refit_growth) * self.n_at_last_fit

    def _refit(self, X: np.ndarray, y: np.ndarray) -> None:
        X_fit, y_fit = self._fit_subset(X, (y - self.y_mean) / self.y_scale)
        if self.options.kernel_candidates:
            self._select_kernel(X_fit, y_fit, X.shape[0])
        elif self.samples is None:  # MAP; with mcmc only to start the first chain
            self._fit_map(X_fit, y_fit, X.shape[0])
        if self.options.hyperparameters == "mcmc":
            self._sample(X_fit, y_fit)
        self.n_at_last_fit = X.shape[0]
        self.gp = None  # the old GP's factor (and its copy for LAPACK) freed before the new one
        self.gp = self._build_gp(X, y)

    def _sample(self, X_fit: np.ndarray, y_fit: np.ndarray) -> None:
        """Continue the chain (from the MAP θ at first) on the current data (bayesopt.sampling)."""
        start = self.params if self.samples is None else self.samples[-1]
        assert start is not None
        samples = sample_hyperparameters(
            self.options.kernel, X_fit, y_fit, self.priors, self.warping, start,
            self._fit_options(), self.options.schedule, self.rng, gates=self.gates)
        if samples is None:
            warnings.warn("the hyperparameter posterior is zero at the chain's last state; "
                          "keeping the previous hyperparameters", ModelFitWarning,
                          stacklevel=caller_level())
            return
        self.samples = samples
        self.params = samples.mean(axis=0)

    def _fit_map(self, X_fit: np.ndarray, y_fit: np.ndarray, n: int) -> None:
        result = self._fit_kernel(self.options.kernel, X_fit, y_fit, lambda: self._starts(n))
        if result is not None:
            self.params = result.params
        else:
            self._fit_failed()

    def _fit_kernel(self, kernel: str, X_fit: np.ndarray, y_fit: np.ndarray,
                    starts: Callable[[], list[np.ndarray]]) -> FitResult | None:
        """The MAP fit of `kernel` from `starts()` (drawn inside, so a raise there counts as
        a failed fit), or None when it failed or is not finite."""
        try:
            priors = self.priors if self.options.priors else None  # None: maximum likelihood
            first = starts()
            curvature = self.curvatures.get(kernel)
            if curvature is not None and curvature.shape != first[0].shape:
                curvature = None  # measured on another parameter vector
            args = (kernel, X_fit, y_fit, priors, first,
                    self._fit_options(), self.warping, self.gates, self.budget_power,
                    self.budget_lengthscale, curvature)
            result = fit_map(*args) if self.tying is None else fit_tied(self.tying, *args)
        except Exception as error:  # noqa: BLE001 - a failed fit must never end the run
            raise_if_interrupted(error)  # a Ctrl-C inside a compiled loop: the user's stop
            logger.warning("hyperparameter fit raised %r", error)
            return None
        ok = result.success and math.isfinite(result.value) and np.all(np.isfinite(result.params))
        if not ok:
            return None
        if result.curvature is not None:
            self.curvatures[kernel] = result.curvature
        return result

    def _select_kernel(self, X_fit: np.ndarray, y_fit: np.ndarray, n: int) -> None:
        """`kernel_candidates`: fit `kernel` and each candidate by MAP, each from its own last
        fit (the prior's mode at first) plus the restarts `_starts` would add; use the one
        with the lowest negative log posterior (`FitResult.value`; R&W Sec. 5.4: the
        evidence compares models with equal numbers of hyperparameters), `kernel` on ties."""
        def starts(name: str) -> Callable[[], list[np.ndarray]]:
            first = self._first_start(self.kernel_params.get(name))
            return lambda: self._starts(n, first)

        best: tuple[float, str] | None = None
        self.kernel_values = {}
        for name in self._kernel_names():
            result = self._fit_kernel(name, X_fit, y_fit, starts(name))
            if result is None:
                continue
            self.kernel_params[name] = result.params
            self.kernel_values[name] = float(result.value)
            if best is None or result.value < best[0]:
                best = (result.value, name)
        if best is None:
            self._fit_failed()
            return
        self.kernel_name = best[1]
        self.params = self.kernel_params[self.kernel_name]

    def _kernel_names(self) -> tuple[KernelName, ...]:
        return (self.options.kernel, *self.options.kernel_candidates)

    def _fit_failed(self) -> None:
        """Keep the previous hyperparameters (or take the prior's default ones), loudly; with
        a noise `noise_variance=` pins, say so: the fit cannot raise it when K + σ²I is too
        ill-conditioned to factor (close or repeated points of a noiseless objective)."""
        warnings.warn(
            ("hyperparameter fit failed; keeping the previous hyperparameters"
             if self.params is not None else
             "hyperparameter fit failed; using the prior's default hyperparameters")
            + self._pinned_noise_hint(), ModelFitWarning, stacklevel=caller_level(),
        )
        if self.params is None:
            self.params = self._default_params()

    def _pinned_noise_hint(self) -> str:
        """What a failed fit owes to `noise_variance=` ('' when the noise is fitted)."""
        if self.options.noise_variance is None:
            return ""
        noise = self._fit_options().noise_bounds[0]
        return (f" (the noise is pinned by ModelOptions(noise_variance="
                f"{self.options.noise_variance!r}), {noise:.3g} on the GP's standardized "
                "scale, which can leave the kernel matrix too ill-conditioned to factor: give "
                "a larger noise_variance; a noiseless objective still wants about 1e-8 times "
                "the variance of its values, the fitted noise's floor)")

    def _fit_subset(self, X: np.ndarray, y_std: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """All observations, or a uniform random subset of `max_fit_points` of them.

        The MAP objective costs O(n³) per evaluation; beyond a thousand points
        a random subset pins the hyperparameters down just as well (the
        posterior itself always conditions on every observation).
        """
        limit = self.options.max_fit_points
        if X.shape[0] <= limit:
            return X, y_std
        keep = np.sort(self.rng.choice(X.shape[0], size=limit, replace=False))
        return X[keep], y_std[keep]

    def _starts(self, n: int, first: np.ndarray | None = None) -> list[np.ndarray]:
        """`first` (default: `_first_start` of the last fitted θ), then the prior restarts a
        refit at n observations is due (`restarts_until`, `restart_every`)."""
        starts = [self._first_start(self.params) if first is None else first]
        if n <= self.options.restarts_until and self._restarts_due(n):
            starts += [self._prior_sample() for _ in range(self.options.n_restarts)]
        return starts

    def _first_start(self, last: np.ndarray | None) -> np.ndarray:
        """A refit's first start (`fit_start`): the last fitted θ, or the prior's mode (also
        before the first fit)."""
        if last is None or self.options.fit_start == "mode":
            return self._default_params()
        return last

    def _restarts_due(self, n: int) -> bool:
        """Whether a refit at n observations also starts from the prior (`restart_every`):
        the first fit, and any fit after n crossed a multiple of k since the last one."""
        k = self.options.restart_every
        return k == 1 or self.params is None or n // k != self.n_at_last_fit // k

    def _prior_sample(self) -> np.ndarray:
        theta = self.priors.sample(self.rng, self.slots)
        if self.warping is None:
            return theta
        return np.concatenate([theta, self.warping.sample_prior(self.rng)])

    def pinned(self) -> np.ndarray:
        """Which of the log-parameters (log l_1 … log l_slots, log s2, log σ²): (slots + 2,)
        bool the options fix instead of fitting — equal bounds (`parameter_bounds`): the
        noise of ``noise_variance=``, the activity columns' lengthscale of
        ``FitOptions(activity_lengthscale=)``."""
        lower, upper = np.array(parameter_bounds(
            self.slots, self._fit_options(), None, self.gates)).T
        return cast(np.ndarray, lower == upper)

    def _fit_options(self) -> FitOptions:
        """The fit's settings; a fixed noise variance (objective units²) becomes equal noise
        bounds on the standardized scale of this refit: σ²_std = σ²_user / (s_T · s_y)²,
        with s_T the transform's scale and s_y the standardization's (exact for the
        linear transform `ModelOptions` requires with a fixed noise), at any scale of the
        objective (`bayesopt.transforms.times_square`)."""
        if self.options.noise_variance is None:
            return self.options.fit
        scale = float(self.transform.scale * self.y_scale)
        tiny, huge = np.finfo(float).tiny, np.finfo(float).max  # keep log(σ²) finite
        noise = times_square(self.options.noise_variance, scale, divide=True)
        noise = float(np.clip(noise, tiny, huge))
        return replace(self.options.fit, noise_bounds=(noise, noise))

    def _default_params(self) -> np.ndarray:
        lower, upper = np.array(parameter_bounds(
            self.slots, self._fit_options(), self.warping, self.gates)).T
        mode = self.priors.mode(self.slots)
        if self.warping is not None:  # the warp's prior is centred at the identity, θ_w = 0
            mode = np.concatenate([mode, np.zeros(self.warping.n_params)])
        return cast(np.ndarray, np.clip(mode, lower, upper))

    def _build_gp(self, X: np.ndarray, y: np.ndarray) -> GaussianProcess | GaussianProcessMixture:
        try:
            return self._gp_from_params(X, y)
        except (CholeskyError, ValueError):
            warnings.warn("kernel matrix is singular at the fitted hyperparameters; "
                          "falling back to the prior's default hyperparameters",
                          ModelFitWarning, stacklevel=caller_level())
            self.params, self.samples = self._default_params(), None
            self.kernel_values = {}  # no kernel average: one GP at the default θ
            return self._gp_from_params(X, y)

    def _gp_from_params(
        self, X: np.ndarray, y: np.ndarray
    ) -> GaussianProcess | GaussianProcessMixture:
        assert self.params is not None
        if self.options.kernel_average and len(self.kernel_values) > 1:
            return self._kernel_average(X, y)
        if self.samples is None:
            return self._member(self.params, X, y)
        members = [self._member(theta, X, y) for theta in self.samples]
        kernel = self._kernel(self.params)
        return GaussianProcessMixture(members, kernel, float(np.exp(self.params[self.slots + 1])))

    def _kernel_average(self, X: np.ndarray, y: np.ndarray) -> GaussianProcessMixture:
        """`kernel_average`: the mixture of the kernels fitted at the last refit, each GP at
        its MAP θ, weights w_k ∝ exp(−value_k) = p(t | θ_k, k) p(θ_k | k) (the evidence
        without a Laplace volume term; R&W Sec. 5.4); reports use the heaviest, `params`."""
        names = [name for name in self._kernel_names() if name in self.kernel_values]
        log_post = -np.array([self.kernel_values[name] for name in names])  # (K,)
        log_w = log_post - logsumexp(log_post)
        members = [self._member(self.kernel_params[name], X, y, name) for name in names]
        assert self.params is not None
        return GaussianProcessMixture(members, self._kernel(self.params),
                                      float(np.exp(self.params[self.slots + 1])), log_w)

    def sample_log_weights(self) -> np.ndarray | None:
        """log w_s of the mixture's members (`kernel_average`), None for equal weights."""
        return self.gp.log_weights if isinstance(self.gp, GaussianProcessMixture) else None

    def _kernel(self, theta: np.ndarray, name: str | None = None) -> Kernel:
        """The kernel `name` (default: the one in use) of θ = (log l, log s2, log σ² [, θ_w])'s
        first slots + 1 entries."""
        return Kernel(self.kernel_name if name is None else name, self.dim,
                      theta[: self.slots + 1], self.gates, self.budget_power,
                      self.budget_lengthscale)

    def _member(self, theta: np.ndarray, X: np.ndarray, y: np.ndarray,
                name: str | None = None) -> GaussianProcess:
        """The GP of one θ = (log l, log s2, log σ² [, θ_w]) on X: (n, d), kernel `name`
        (default: the one in use)."""
        d = self.slots
        kernel = self._kernel(theta, name)
        noise = float(np.exp(theta[d + 1]))
        if self.warping is None:
            return GaussianProcess(kernel, noise, X, y, self.y_mean, self.y_scale)
        return WarpedGaussianProcess(kernel, noise, X, y, self.y_mean, self.y_scale,
                                     self.warping, theta[d + 2:])

    # ------------------------------------------------------------ fantasies
    def add_fantasies(self, X_pending: np.ndarray, rows: np.ndarray | None = None,
                      counted: np.ndarray | None = None) -> None:
        """Condition on pending points as if observed: valued at their posterior mean
        (kriging believer, the default) or at the best observation (constant liar), of
        the observed `rows` (n_observed,) where given and any is True (the feasible ones
        under outcome constraints), else of all.

        A fantasy is treated as observed exactly — without observation noise —
        and its value also counts toward the incumbent (`incumbent`), which is then the
        lower of the counted fantasies' values — those where `counted` (p,) is True, all
        when None — and the best over `rows` (all observed rows when None; none when
        `rows` holds no True). Otherwise a point next to a fantasy keeps both a variance
        of about the noise level and an improvement of about (best − mean), and the
        points of a batch collapse onto one spot whenever the fitted noise is not tiny.
        Under outcome constraints `rows` are the feasible observations and `counted` the
        pending points whose fantasies the constraint GPs believe feasible: the incumbent
        is constrained EI's (`bayesopt.propose.Proposal._incumbent`), +inf while neither
        an observation nor a fantasy is feasible.
        """
        assert self.gp is not None, "update() the model before adding fantasies"
        if X_pending.shape[0] == 0:
            return
        assert rows is None or rows.shape == (self.n_observed,), "one flag per observed row"
        assert counted is None or counted.shape == (X_pending.shape[0],), "one per fantasy"
        X_pending = self._inputs(X_pending)
        lie_rows = rows if rows is not None and rows.any() else None
        # both need the posterior without fantasies
        observed = (self.observed_incumbent if rows is None
                    else self.incumbent_among(rows) if rows.any() else math.inf)
        if self.options.fantasy == "believer":
            mean, _ = self.gp.predict(X_pending)
        else:
            observed_y = self.gp.y[: self.n_observed]
            best = observed_y if lie_rows is None else observed_y[lie_rows]
            mean = np.full(X_pending.shape[0], float(np.min(best)))
        raw = self.y_mean + self.y_scale * mean
        self.gp.append(X_pending, raw, noise=FANTASY_NOISE * self.gp.kernel.variance)
        values = mean if counted is None else mean[counted]
        believed = float(np.min(values)) if values.size else math.inf
        self._fantasy_incumbent = min(self._fantasy_incumbent, believed, observed)

    def clear_fantasies(self) -> None:
        if self.gp is not None and self.gp.n > self.n_observed:
            self.gp.truncate(self.n_observed)
        self._fantasy_incumbent = math.inf

    @property
    def observed_incumbent(self) -> float:
        """The incumbent of `ModelOptions.incumbent` (standardized): the best posterior
        mean at an observed point, or the best observed value."""
        if self._observed_incumbent is None:
            assert self.gp is not None and self.gp.n == self.n_observed, "clear fantasies first"
            self._observed_incumbent = float(np.min(self._incumbent_values()))
        return self._observed_incumbent

    def incumbent_among(self, rows: np.ndarray) -> float:
        """`observed_incumbent` restricted to the observed rows where `rows` (n_observed,)
        is True."""
        assert self.gp is not None and rows.shape == (self.n_observed,) and rows.any()
        return float(np.min(self._incumbent_values()[rows]))

    def incumbent_index(self, rows: np.ndarray | None = None) -> int:
        """The observed row `observed_incumbent` is taken at (the first of ties); with
        `rows` (n_observed,) the one `incumbent_among(rows)` is taken at."""
        assert self.gp is not None
        values = self._incumbent_values()
        if rows is None:
            return int(np.argmin(values))
        assert rows.shape == (self.n_observed,) and rows.any()
        return int(np.flatnonzero(rows)[np.argmin(values[rows])])

    def _incumbent_values(self) -> np.ndarray:
        """Per observed row (n_observed,), what `ModelOptions.incumbent` ranks them by: the
        posterior mean there or the observed value (standardized; fantasies left out)."""
        assert self.gp is not None
        values = self.gp.y if self.options.incumbent == "observed" else self.gp.training_mean()
        return values[: self.n_observed]

    @property
    def incumbent(self) -> float:
        """The EI incumbent: the observed one, or with fantasies the best of those
        `add_fantasies` counts (under outcome constraints, constrained EI's)."""
        if self.gp is not None and self.gp.n > self.n_observed:
            return self._fantasy_incumbent
        return self.observed_incumbent

    # ----------------------------------------------------------- prediction
    def _inputs(self, X: np.ndarray) -> np.ndarray:
        """The GP's inputs: T(X) with `integer_kernel="round"` (bayesopt.rounding), else X."""
        return X if self.rounding is None else self.rounding(X)

    def _chain(
        self, out: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Mean, std and their gradients at T(X) → at X (zero on the discrete columns)."""
        if self.rounding is None:
            return out
        mean, std, d_mean, d_std = out
        return mean, std, self.rounding.chain(d_mean), self.rounding.chain(d_std)

    def gp_inputs(self, X: np.ndarray) -> np.ndarray:
        """X: (m, d) as the GP takes it (`_inputs`), for surrogates built on `gp`
        (bayesopt.noisy)."""
        return self._inputs(X)

    def chain_to_inputs(
        self, out: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Gradients at `gp_inputs(X)` → at X (`_chain`), for surrogates built on `gp`."""
        return self._chain(out)

    def predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Standardized latent mean and standard deviation: (m,), (m,)."""
        assert self.gp is not None
        mean, var = self.gp.predict(self._inputs(X))
        return mean, np.sqrt(var)

    def predict_with_gradient(
        self, X: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        assert self.gp is not None
        return self._chain(self.gp.predict_with_gradient(self._inputs(X)))

    def predict_switches(self, X: np.ndarray,
                         group: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """Standardized latent mean and std (r, k) at the trials of X: (r, d) with the
        one-hot columns `group` (k,) set to each e_c (`GaussianProcess.predict_switches`);
        None with hyperparameter samples (a mixture) or where the GP cannot. T of
        `integer_kernel="round"` acts on each column group alone and leaves a one-hot
        group one-hot, so T(trial) is the trial of T(X)."""
        assert self.gp is not None
        if isinstance(self.gp, GaussianProcessMixture):
            return None
        moments = self.gp.predict_switches(self._inputs(X), group)
        return None if moments is None else (moments[0], np.sqrt(moments[1]))

    def posterior(self, X: np.ndarray) -> Posterior | None:
        """The standardized mean at every row of X, the std of rows on demand (`bayesopt.gp.
        Posterior`, equal to `predict`'s); None with hyperparameter samples (a mixture)."""
        assert self.gp is not None
        if isinstance(self.gp, GaussianProcessMixture):
            return None
        return self.gp.posterior(self._inputs(X))

    def joint(self, X: np.ndarray) -> list[tuple[float, np.ndarray, np.ndarray, float]]:
        """The latent joint posterior at X: (m, c), per member of the model: (w, μ (m,),
        Σ (m, m), σ²), its weight, standardized mean and covariance (`GaussianProcess.
        covariance`) and noise variance; one member of weight 1 without a mixture."""
        gp, inputs = self.gp, self._inputs(X)
        assert gp is not None
        if not isinstance(gp, GaussianProcessMixture):
            return [(1.0, *gp.covariance(inputs), gp.noise)]
        S = len(gp.members)
        weights = np.full(S, 1.0 / S) if gp.log_weights is None else np.exp(gp.log_weights)
        return [(float(w), *member.covariance(inputs), member.noise)
                for w, member in zip(weights, gp.members)]

    @property
    def observation_noise(self) -> float:
        """σ² of a new observation on the GP's scale; over hyperparameter samples, their
        mean (`bayesopt.sampling`: law of total variance)."""
        gp = self.gp
        assert gp is not None
        if isinstance(gp, GaussianProcessMixture):
            return gp.observation_noise
        return gp.noise

    @property
    def sampled(self) -> bool:
        """Whether the model averages over hyperparameter samples (hyperparameters="mcmc")
        or over kernels (`kernel_average`)."""
        return isinstance(self.gp, GaussianProcessMixture)

    def predict_samples(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Standardized latent mean and std under each hyperparameter sample: (S, m), (S, m)."""
        assert isinstance(self.gp, GaussianProcessMixture), "only with samples or kernel_average"
        return self.gp.predict_samples(self._inputs(X))

    def predict_samples_switches(self, X: np.ndarray,
                                 group: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """Standardized latent means and stds (S, r, k) under each sample at the trials of
        X: (r, d) with the one-hot columns `group` (k,) set to each e_c
        (`GaussianProcessMixture.predict_samples_switches`; T as in `predict_switches`)."""
        assert isinstance(self.gp, GaussianProcessMixture), "only with samples or kernel_average"
        return self.gp.predict_samples_switches(self._inputs(X), group)

    def predict_samples_with_gradient(
        self, X: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        assert isinstance(self.gp, GaussianProcessMixture), "only with samples or kernel_average"
        return self._chain(self.gp.predict_samples_with_gradient(self._inputs(X)))

    def to_objective(self, f: np.ndarray) -> np.ndarray:
        """Latent values f on the GP's standardized scale → objective units (minimization sign).

        T⁻¹(mean(w) + std(w)·f), the inverse output transform saturated into
        the envelope of `observed_range` (`bayesopt.transforms.saturate`);
        affine and exact when there is no power transform.
        """
        return self.transform.inverse(self.y_mean + self.y_scale * np.asarray(f, dtype=float),
                                      observed=self.observed_range)

    def to_latent(self, y: np.ndarray) -> np.ndarray:
        """Objective values y (minimization sign) → the GP's standardized scale,
        (T(y) − mean(w)) / std(w)."""
        return cast(np.ndarray, (self.transform(np.asarray(y, dtype=float)) - self.y_mean)
                    / self.y_scale)

    def predict_raw(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Internal: median and half-width of the ±1σ band at ENCODED points, minimization sign.

        X: (m, d) rows of the unit cube (``space.encode`` of valid points);
        anything else raises. Returns `to_objective` of the latent mean (the
        median of the back-transformed predictive) and half the width of the
        back-transformed band mean ± std, both (m,) — the half-width is not a
        standard deviation. For points in user units, the objective's sign,
        the predictive's mean, standard deviation and quantiles, use
        `Optimizer.surrogate().predict` (`bayesopt.surrogate`).
        """
        X = check_encoded(X, self.dim)
        mean, std = self.predict(X)
        upper, lower = self.to_objective(mean + std), self.to_objective(mean - std)
        with np.errstate(over="ignore"):  # a band wider than the float range: halved first
            width = upper - lower
        half = np.where(np.isfinite(width), 0.5 * width, 0.5 * upper - 0.5 * lower)
        return self.to_objective(mean), half

    @property
    def lengthscales(self) -> np.ndarray:
        assert self.params is not None
        return cast(np.ndarray, np.exp(self.params[: self.dim]))


def check_encoded(X: np.ndarray, n_columns: int) -> np.ndarray:
    """X as a float (m, n_columns) array of finite points of the unit cube, or raise saying why."""
    array = np.asarray(X, dtype=float)
    if array.ndim != 2 or array.shape[1] != n_columns:
        raise ValueError(f"X must be encoded points of shape (m, {n_columns}), got shape "
                         f"{array.shape}; for params dicts in user units use "
                         "Optimizer.surrogate().predict")
    bad = ~np.isfinite(array)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise ValueError(f"X[{i}, {j}] = {array[i, j]} is not finite")
    outside = (array < -1e-9) | (array > 1 + 1e-9)
    if outside.any():
        i, j = np.argwhere(outside)[0]
        raise ValueError(f"X[{i}, {j}] = {array[i, j]} is outside the unit cube [0, 1]: X must be "
                         "encoded (space.encode); for params dicts in user units use "
                         "Optimizer.surrogate().predict")
    return array


@dataclass(frozen=True)
class TopBudget:
    """A surrogate whose last input column is the budget level z (`bayesopt.fidelity.
    budget_level`), seen on the slice z = 1, the highest budget: X (m, c) ↦ the model
    at [X, 1] (m, c + 1); gradients (m, c) drop the z column."""

    model: SurrogateModel

    @staticmethod
    def lift(X: np.ndarray) -> np.ndarray:
        """X (m, c) → [X, 1] (m, c + 1)."""
        return np.column_stack([X, np.ones(X.shape[0])])

    def predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.model.predict(self.lift(X))

    def posterior(self, X: np.ndarray) -> Posterior | None:
        return self.model.posterior(self.lift(X))

    def predict_with_gradient(
            self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        mean, std, d_mean, d_std = self.model.predict_with_gradient(self.lift(X))
        return mean, std, d_mean[:, :-1], d_std[:, :-1]

    def predict_switches(self, X: np.ndarray,
                         group: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        return self.model.predict_switches(self.lift(X), group)

    def predict_samples(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.model.predict_samples(self.lift(X))

    def predict_samples_switches(self, X: np.ndarray,
                                 group: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        return self.model.predict_samples_switches(self.lift(X), group)

    def sample_log_weights(self) -> np.ndarray | None:
        return self.model.sample_log_weights()

    def predict_samples_with_gradient(
            self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        mean, std, d_mean, d_std = self.model.predict_samples_with_gradient(self.lift(X))
        return mean, std, d_mean[..., :-1], d_std[..., :-1]


def _standardization(y: np.ndarray) -> tuple[float, float]:
    """Mean and scale; a constant (or single) target gets scale 1 (nothing to learn yet),
    its mean its value (`bayesopt.transforms.all_equal`, as `OutputTransform.fit` decides)."""
    if all_equal(y):
        return float(y[0]), 1.0
    mean = float(np.mean(y))
    scale = float(np.std(y))
    if not (np.isfinite(scale) and scale > 0):
        scale = 1.0
    return mean, scale


def _check_record_rows(state: dict[str, Any], chunk_ends: list[int], n_rows: int,
                       phantoms: int) -> None:
    """Raise JournalError when the surrogate's record (`SurrogateModel.state`) counts more
    observations than the `n_rows` a restore is given and the `phantoms` it may count."""
    for key, count in (("fit_n", state["fit_n"]), ("n", state["n"]),
                       ("n", max(chunk_ends, default=0))):
        if int(count) > n_rows + phantoms:
            pruned = f" (and {phantoms} pruned run(s) it may count)" if phantoms else ""
            raise JournalError(
                f"the surrogate's record has {key}={int(count)} observations but the journal "
                f"holds {n_rows} for it{pruned}: the journal was edited or is corrupt (its "
                "model states do not match its tells)")

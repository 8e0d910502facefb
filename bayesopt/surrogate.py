"""The fitted surrogate in the user's terms: predictions, hyperparameters, acquisition, evidence,
and the joint posterior (`Surrogate.covariance`, `Surrogate.sample`; defined in `bayesopt.joint`).

    p         a params dict in user units (validated like a tell); X = space.encode(ps): (m, c)
    f         the GP's latent function on its standardized scale; at X it has
              posterior mean μ: (m,) and variance s²: (m,) (R&W Eqs. 2.25–2.26)
    σ²        the GP's noise variance on the same scale
    g         f ↦ objective units, minimization sign (`SurrogateModel.to_objective`):
              the inverse output transform, saturated into the envelope of the
              observed range (`bayesopt.transforms.saturate`); affine without a
              power transform
    ±         the objective's sign: −1 for maximize=True (the model minimizes −value)

Predictive in objective units. Without observation noise F = f, with it
F = f + ε, ε ~ N(0, σ²); in both cases F ~ N(μ, v), v = s² or s² + σ². With
hyperparameter samples (`ModelOptions(hyperparameters="mcmc")`) μ and s² are the
moments of their mixture and σ² is the samples' mean noise variance, so v is the
mixture's variance (`bayesopt.sampling`). The returned numbers are those of Y = ±g(F):

    median        ±g(μ)                      (g is monotone, so quantiles map exactly)
    lower, upper  the (1 ∓ level)/2 quantiles: ±g(μ ∓ z·√v), z = Φ⁻¹((1 + level)/2)
    mean, std     E[Y] and √Var[Y], exact when g is affine (no power transform);
                  otherwise by the trapezoid rule on a uniform grid x_k of 801
                  points over [−9, 9], E[h(F)] ≈ Σ_k w_k h(μ + √v·x_k) with
                  w_k ∝ φ(x_k) summing to 1 (the trapezoid rule converges
                  geometrically for smooth integrands on ℝ: Trefethen & Weideman,
                  SIAM Review 56(3), 2014). Gauss–Hermite nodes are too
                  sparse for the sharp knee of the saturated inverse; the grid is not.

With the Yeo–Johnson transform Y is not Gaussian and mean ± std is not an
interval of it; use the quantiles for that.

Hyperparameters in user terms. The kernel works on the unit cube; a
lengthscale l of an encoded column is l · `unit_length` of its dimension in
the dimension's units (decades of log10 for log=True). A categorical has one
one-hot column, hence one lengthscale, per category (reported per category,
on the one-hot indicator's 0–1 scale); with `categorical_kernel="hamming"` the
columns share one, reported as one number (two choices at the squared scaled
distance 2/l², `bayesopt.categorical`). Variances on the GP's scale convert to
objective units² with the slope c = dg/df: c = scale(T)·std(w) without a power
transform (exact), and with one the slope at the median of the observations
(a delta-method conversion: the slope differs elsewhere). With hyperparameter
samples (`ModelOptions(hyperparameters="mcmc")`) the lengthscales and variances are
at the samples' mean log-parameters, i.e. their geometric means: the noise a new
observation adds in `predict` is their arithmetic mean, which is larger.

The budget (`BudgetKernel`). With a `Fidelity` the GP takes the budget level
z = log(b/low)/log(high/low) ∈ [0, 1] as one more input (`ModelOptions.fidelity_kernel`,
docs/multi-fidelity.md):

    k((x, z), (x′, z′)) = s2·κ(√(r_x² + (z − z′)²/l_z²)) · (1 + τ²(1 − z)^p(1 − z′)^p)

"stationary" has l_z and no τ² factor, "basis", "linear-basis" and "basis-small-bias"
τ² and no l_z term, "stationary+basis" both. τ² is the variance of the budget bias
(1 − z)^p·g₁(x) relative to s2 (Klein et al. 2017, FABOLAS). The prior correlation of
one configuration's values at the lowest and the highest budget is

    ρ = k((x, 0), (x, 1)) / √(k((x, 0), (x, 0))·k((x, 1), (x, 1))) = κ(1/l_z) / √(1 + τ²)

(a missing term is 1): ρ → 1 says every budget is one function, a small ρ that the
lowest budget says little about the highest.

Evidence (R&W Eq. 2.30, on the GP's targets t = standardized T(y), n rows):

    log p(t | θ) = −½ tᵀK⁻¹t − ½ log det K − (n/2) log 2π

at the fitted θ, K = k(X, X) + (σ² + jitter)·I with the jitter the factorization added
(`Hyperparameters.jitter_standardized`, 0.0 when none); the log prior is the sum of the
normal densities on the fitted log-parameters (normalized: the MAP objective omits their
constants; a parameter the options pin has none, `Surrogate.evidence`), and 0 for a
maximum-likelihood fit (``priors=False``), whose objective has no prior.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from scipy.special import ndtri

from acquisition.functions import UpperConfidenceBound
from bayesopt import joint
from bayesopt.gp import GaussianProcess
from bayesopt.result import Observation
from bayesopt.sampling import GaussianProcessMixture
from bayesopt.space import Categorical, Fidelity, Space
from bayesopt.state import model_inputs
from bayesopt.transforms import power_of_two_unit, times_square, yeo_johnson_derivative
from bayesopt.validation import as_batch, check_bool, check_count, shown
from bayesopt.warping import WARP_PRIOR, WarpedGaussianProcess
from kernels.threads import numeric_threads

if TYPE_CHECKING:
    from acquisition.optimizer import AcquisitionObjective
    from bayesopt.model import SurrogateModel

__all__ = [
    "AcquisitionValues", "BudgetKernel", "Evidence", "Hyperparameters", "Prediction",
    "Recommendation", "Surrogate",
]

_NODES = np.linspace(-9.0, 9.0, 801)  # x_k: (q,), in standard deviations
_WEIGHTS = np.exp(-0.5 * _NODES**2) / np.sum(np.exp(-0.5 * _NODES**2))  # w_k: (q,), Σ = 1
_CHUNK = 1024  # rows per quadrature block: bounds the (rows, q) array at ~6.6 MB

Lengthscale = float | dict[Hashable, float]  # one number, or one per category


@dataclass(frozen=True)
class Prediction:
    """The predictive distribution at m points, in the objective's units and sign.

    Each array is (m,); see the module docstring for the exact definitions.

    Attributes
    ----------
    mean, std : ndarray
        Mean and standard deviation of the back-transformed predictive.
    median : ndarray
        Its median (the back-transformed latent mean).
    lower, upper : ndarray
        Its (1 − level)/2 and (1 + level)/2 quantiles.
    level : float
        Probability of the central interval [lower, upper].
    noise : bool
        Whether observation noise is included (a new observation's value) or
        not (the latent function's value).
    """

    mean: np.ndarray
    std: np.ndarray
    median: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    level: float
    noise: bool


@dataclass(frozen=True)
class BudgetKernel:
    """How the fitted GP takes a `Fidelity`'s budget (module docstring: "The budget").

    Attributes
    ----------
    name : str
        The Fidelity's name.
    fidelity_kernel : str
        `ModelOptions.fidelity_kernel`: "stationary", "basis", "linear-basis",
        "stationary+basis" or "basis-small-bias".
    lengthscale : float or None
        l_z in decades of log10 of the budget (`Hyperparameters.lengthscales[name]`);
        None for a basis alone, which has no budget lengthscale.
    lengthscale_unit_cube : float or None
        l_z on the budget level z (`Hyperparameters.lengthscales_unit_cube[name]`).
    bias_variance : float or None
        τ², the budget bias' variance relative to the signal variance; None for
        "stationary", which has no bias term.
    bias_power : int or None
        p of the basis (1 − z)^p: 2 (FABOLAS's) or 1 ("linear-basis"); None for
        "stationary".
    lowest_budget_correlation : float
        ρ, the prior correlation of a configuration's values at the lowest and the
        highest budget: κ(1/l_z)/√(1 + τ²).
    """

    name: str
    fidelity_kernel: str
    lengthscale: float | None
    lengthscale_unit_cube: float | None
    bias_variance: float | None
    bias_power: int | None
    lowest_budget_correlation: float


@dataclass(frozen=True)
class Hyperparameters:
    """The fitted GP hyperparameters (module docstring: "Hyperparameters in user terms").

    With ``ModelOptions(hyperparameters="mcmc")`` the lengthscales and variances are
    geometric means over the posterior samples (the kernel at their mean log-parameters).

    Attributes
    ----------
    kernel : str
        The kernel in use: ``ModelOptions.kernel``, or with ``ModelOptions(
        kernel_candidates=...)`` the one the last refit selected (the highest log
        marginal posterior); with ``kernel_average=True`` too, the heaviest of the
        averaged kernels, whose hyperparameters are the ones reported.
    lengthscales : dict
        ``{name: l}`` in the dimension's units (decades of log10 when
        log=True); a categorical gives ``{choice: l}`` per category, on the
        one-hot 0–1 scale, or with ``categorical_kernel="hamming"`` its one
        shared l. A `Fidelity` the model takes as an input gives its
        lengthscale in decades of log10 of the budget (unit cube: of the budget
        level z = log(b/low)/log(high/low)); with `ModelOptions(fidelity_kernel=
        "basis")` (or "linear-basis", "basis-small-bias") it has none (the budget
        enters through FABOLAS's basis) and is left out; `"stationary+basis"` has
        both, and its lengthscale is listed. The whole budget kernel: `budget`.
    lengthscales_unit_cube : dict
        The same on the encoded unit cube (what the kernel uses).
    signal_variance, noise_variance : float
        In objective units² (inf beyond the float range, for objectives near 1e154).
    signal_variance_standardized, noise_variance_standardized : float
        On the GP's scale (standardized transformed values).
    output_slope : float
        c, objective units per unit of the GP's scale (variances scale by c²).
    output_transform : dict
        The output transform: ``{"mean", "scale", "lmbda"}`` (lmbda None: none):
        w = T((y − mean)/scale), T Yeo–Johnson with λ = lmbda (`bayesopt.transforms`),
        y the value minimized (−value with maximize=True).
    output_standardization : dict
        ``{"mean", "scale"}`` of the transformed values: the GP's targets are
        t = (w − mean)/scale, so y ↦ t is fully given by these two dicts.
    budget : BudgetKernel or None
        With a `Fidelity` the GP takes as an input: its lengthscale, bias variance τ²
        and the correlation of the lowest budget with the highest; None without one
        (and for `fidelity_model="bohb"`'s GP of one budget).
    activity_lengthscales : dict or None
        In a conditional space: ``{name: l}`` for each dimension with a ``when=``, the
        lengthscale of its activity column (1 active, 0 not; `bayesopt.space`), so two
        points that differ only in whether it is active are 1/l apart in the kernel's
        scaled distance. None for an unconditional space.
    input_warping : dict or None
        With ``ModelOptions(input_warping=True)``: ``{name: (a, b)}``, the Kumaraswamy
        CDF w(u) = 1 − (1 − u^a)^b of each warped dimension's unit-cube coordinate u
        (`bayesopt.warping`); the kernel then sees w(u), so `lengthscales_unit_cube` are
        on the warped scale and `lengthscales` (their multiple of the dimension's
        length) hold where dw/du = 1. None without input warping.
    jitter, jitter_standardized : float
        What the GP added to every observation's diagonal on top of the noise variance to
        factorize its kernel matrix, in objective units² (converted as `noise_variance`)
        and on the GP's scale; 0.0 when the matrix factorized as it was. The first
        factorization of a refit tries no jitter, then 10⁻¹⁰, 10⁻⁹, …, 10⁻¹ times the mean
        diagonal of k(X, X) + σ²I, and keeps the first that succeeds (`kernels.cholesky`).
        The exact posterior is the GP's with noise_variance + jitter on the diagonal
        (R&W Alg. 2.1 with K + (σ² + jitter)·I); σ² alone gives another one. With
        ``kernel_average=True``: the heaviest kernel's GP, whose hyperparameters are the
        ones reported; with ``hyperparameters="mcmc"``, whose reported θ is no sample's,
        the largest any sample's GP needed (each sample's GP uses its own).
    jitter_by_observation_standardized : tuple of float or None
        None when every row has `jitter_standardized`. Otherwise, one per observation the
        surrogate conditions on (`Surrogate.observed`, in order), on the GP's scale:
        an observation block-appended since the last refit whose Schur complement did
        not factorize got more (`kernels.cholesky.CholeskyFactor.append`), and the
        exact posterior has σ² plus these on the diagonal.
    """

    kernel: str
    lengthscales: dict[str, Lengthscale]
    lengthscales_unit_cube: dict[str, Lengthscale]
    signal_variance: float
    noise_variance: float
    signal_variance_standardized: float
    noise_variance_standardized: float
    output_slope: float
    output_transform: dict[str, float | None]
    budget: BudgetKernel | None = None
    input_warping: dict[str, tuple[float, float]] | None = None
    activity_lengthscales: dict[str, float] | None = None
    output_standardization: dict[str, float] | None = None
    jitter: float = 0.0
    jitter_standardized: float = 0.0
    jitter_by_observation_standardized: tuple[float, ...] | None = None


@dataclass(frozen=True)
class Evidence:
    """Log marginal likelihood of the GP's targets at the fitted hyperparameters.

    Attributes
    ----------
    log_marginal_likelihood : float
        log p(t | θ), without the prior (R&W Eq. 2.30), of the GP as it factorized its
        kernel matrix: with the jitter (`Hyperparameters.jitter_standardized`) on the
        diagonal with σ², since tᵀK⁻¹t and log det K come from that factor.
    log_prior : float
        log p(θ), the hyperprior's normalized density on the fitted log-parameters
        (a parameter the options pin has no prior); 0.0 for a maximum-likelihood fit
        (``ModelOptions(priors=False)``), which has no prior.
    log_marginal_likelihood_plus_log_prior : float
        Their sum, log p(t | θ) + log p(θ): what the MAP fit maximizes, with constants.
    n : int
        Number of observations the GP conditions on.
    """

    log_marginal_likelihood: float
    log_prior: float
    log_marginal_likelihood_plus_log_prior: float
    n: int


@dataclass(frozen=True)
class AcquisitionValues:
    """The optimizer's acquisition at m points: arrays (m,), larger is better.

    Attributes
    ----------
    name : str
        The acquisition function evaluated: "logei", "ei", "pi", "ucb", "lognei" or
        "logaei" ("logei" for acquisition="logei_per_cost"; for acquisition="hedge" the
        portfolio's most probable member; "lognei": noisy EI, the mean of EI over
        the snapshot's samples of f at the observed points, `bayesopt.noisy`).
    value : ndarray
        EI, PI, UCB or augmented EI (LogEI, PI and log AEI are optimized as logs;
        here exponentiated),
        on the GP's standardized scale, times what the optimizer multiplies it
        by: the damping around failed evaluations, the probability of
        feasibility under outcome constraints, and ĉ(x)^−α for logei_per_cost
        (inf where that product passes the float range: costs near 1e-308).
    log_value : ndarray or None
        Its natural log, computed in log space (for EI, log EI as LogEI computes
        it plus the log of each factor), so it is finite where the value
        underflows to 0; None for UCB, which can be negative.
    pending : bool
        Whether the pending points were conditioned on (as the next ask does).
    """

    name: str
    value: np.ndarray
    log_value: np.ndarray | None
    pending: bool


@dataclass(frozen=True)
class Recommendation:
    """The observed point with the lowest (highest, maximizing) posterior mean.

    Attributes
    ----------
    index : int
        Its position in the history.
    params : dict
    mean, median : float
        The back-transformed latent predictive's mean and median there (the
        ranking uses the latent mean, i.e. the median: g is monotone).
    value : float
        The value observed there.
    """

    index: int
    params: dict[str, Any]
    mean: float
    median: float
    value: float


class Surrogate:
    """A snapshot of the fitted surrogate, queried with params dicts in user units.

    Built by `Optimizer.surrogate()` (and kept in `OptimizeResult.surrogate`);
    later tells do not change it.
    """

    def __init__(
        self, space: Space, model: SurrogateModel, maximize: bool,
        observed: Sequence[Observation], acquisitions: tuple[AcquisitionObjective, ...],
    ) -> None:
        assert model.gp is not None and model.gp.n == model.n_observed == len(observed), \
            "the model must condition on exactly the successful observations, no fantasies"
        self.space = space
        self.model = model
        self.maximize = maximize
        self.observed = tuple(observed)
        self._acquisitions = acquisitions  # (without pending points, with them)

    def __repr__(self) -> str:
        """One line for a notebook: the kernel, how its hyperparameters were fitted, the
        observations n it conditions on and the dimensions d of the space (c encoded
        columns when they differ). A Surrogate is always fitted (a snapshot of a fitted
        GP); before the first fit `Optimizer.surrogate()` raises and
        `OptimizeResult.surrogate` is None. The numbers are `hyperparameters()`."""
        gp = self.model.gp
        assert gp is not None, "a Surrogate is fitted"
        kernel = f"{gp.kernel.name} GP"
        fit = "MAP" if self.model.options.priors else "maximum-likelihood"
        if isinstance(gp, GaussianProcessMixture) and gp.log_weights is not None:
            kernel += f" (heaviest of {len(gp.members)} averaged kernels)"
        elif isinstance(gp, GaussianProcessMixture):
            fit = f"MCMC ({len(gp.members)} samples)"
        d, c, n = len(self.space.dimensions), self.space.n_columns, len(self.observed)
        columns = "" if c == d else f" ({c} encoded columns)"
        return (f"<Surrogate: {kernel}, {fit} fit on n={n} observation{'' if n == 1 else 's'}, "
                f"d={d}{columns}>")

    # ------------------------------------------------------------ prediction
    def predict(self, params: Mapping[str, Any] | Sequence[Mapping[str, Any]], *,
                noise: bool = False, level: float = 0.9) -> Prediction:
        """The predictive at params dicts (one dict or a list), in the objective's units and sign.

        ``noise=True`` includes the fitted observation noise (the distribution
        of a new observation), ``noise=False`` not (the latent function).
        `level` in (0, 1) is the probability of the central interval
        [lower, upper]. Every number is defined in the module docstring.
        """
        X, noise, level = self._encode(params), check_bool("noise", noise), _check_level(level)
        with numeric_threads(self.model.n_observed):
            return self._predict(X, noise, level)

    def _predict(self, X: np.ndarray, noise: bool, level: float) -> Prediction:
        mu, std = self.model.predict(X)
        if noise:
            std = np.sqrt(std**2 + self.model.observation_noise)
        mean, sd = self._moments(mu, std)
        z = float(ndtri(0.5 * (1.0 + level)))
        median = self.model.to_objective(mu)
        low, high = self.model.to_objective(mu - z * std), self.model.to_objective(mu + z * std)
        if self.maximize:
            mean, median, low, high = -mean, -median, -high, -low
        return Prediction(mean, sd, median, low, high, level, noise)

    def _moments(self, mu: np.ndarray, std: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and standard deviation of g(F), F ~ N(mu, std²), minimization sign."""
        if self.model.transform.lmbda is None:  # g is affine: exact
            return self.model.to_objective(mu), self._slope_scale() * std
        # the moments of g(F)/u (`_unit`): the squares neither overflow nor underflow
        u = self._unit()
        mean, var = np.empty_like(mu), np.empty_like(mu)
        for start in range(0, mu.shape[0], _CHUNK):
            rows = slice(start, start + _CHUNK)
            values = self.model.to_objective(mu[rows, None] + std[rows, None] * _NODES) / u
            mean[rows] = values @ _WEIGHTS  # values: (r, q)
            var[rows] = ((values - mean[rows, None]) ** 2) @ _WEIGHTS  # two-pass: no cancellation
        return u * mean, u * np.sqrt(np.maximum(var, 0.0))

    def _unit(self) -> float:
        """u, the power of 2 in (scale/2, scale] of the z-scores: g(F)/u is of the order of
        the z-scores, so its squares neither overflow nor underflow at any finite scale of
        the objective (those of g(F) itself overflow near 1e300 and underflow near 1e-300),
        and dividing or multiplying by u is exact."""
        return power_of_two_unit(self.model.transform.scale)

    def _slope_scale(self) -> float:
        """dg/df of the affine part: scale of the z-scores times std of the transformed values."""
        return float(self.model.transform.scale * self.model.y_scale)

    # -------------------------------------------------------- joint posterior
    def covariance(self, params: Mapping[str, Any] | Sequence[Mapping[str, Any]], *,
                   noise: bool = False) -> np.ndarray:
        """Covariance (m, m) between the objective's values at m params dicts, in the
        objective's units² (the sign does not change it), of the quantity `predict` describes.

        ``noise=False``: the latent function's values; ``noise=True``: m new observations,
        each with its own noise, so σ² is added on the diagonal only, and the same point
        given twice is two observations whose covariance is the latent variance (their
        correlation below 1). The diagonal is ``predict(params, noise=noise).std ** 2``,
        bit for bit. Definitions (`bayesopt.joint`): the latent covariance (R&W Eq. 2.24)
        times the output slope² without a power transform (exact); with one, the covariance
        of g(F), F ~ N(μ, Σ), by Mehler's series or, for pairs correlated nearly 1, the
        bivariate trapezoid rule (q² evaluations of g per such pair, q `predict`'s nodes);
        over hyperparameter samples or `kernel_average`, Σ is the mixture's covariance
        (law of total covariance, weighted). At most `bayesopt.joint.MAX_POINTS` points.
        """
        X, noise = self._joint_inputs(params), check_bool("noise", noise)
        with numeric_threads(self.model.n_observed):
            mu, std = self.model.predict(X)
            if noise:
                std = np.sqrt(std**2 + self.model.observation_noise)
            _, sd = self._moments(mu, std)  # predict's std, the same operations
            _, cov = joint.moments(self.model.joint(X), noise)
            # in units of u² (`_unit`), then scaled back: exact, and ±inf only where the
            # objective's units² are beyond floats
            u = self._unit()
            if self.model.transform.lmbda is None:
                out = (self._slope_scale() / u) ** 2 * cov
            else:
                out = joint.transformed_covariance(lambda f: self.model.to_objective(f) / u,
                                                   mu, std, cov, _NODES, _WEIGHTS)
        with np.errstate(over="ignore", under="ignore"):
            out = out * u * u
            np.fill_diagonal(out, sd**2)
        return out

    def sample(self, params: Mapping[str, Any] | Sequence[Mapping[str, Any]], size: int, *,
               seed: int | np.random.Generator | None = None, noise: bool = False) -> np.ndarray:
        """`size` joint draws of the objective at m params dicts: (size, m), sign as `predict`.

        Each row is one function drawn from the GP's joint latent posterior at the points
        (``noise=True``: plus independent observation noise per row entry), mapped through
        the output transform g, so the draws are exact for the transformed model. Over
        hyperparameter samples or `kernel_average` each row first picks a member by the
        mixture's weights (the draws are then from the mixture itself; with a power
        transform their moments differ slightly from `predict`'s, which maps the mixture's
        moment-matched Gaussian). The covariance is factorized with the smallest jitter
        that succeeds (none when it is positive definite); if none does, `kernels.cholesky.
        CholeskyError`. `seed`: an int, a numpy Generator (advanced) or None (fresh
        entropy); the same int gives the same draws. At most `bayesopt.joint.MAX_POINTS`
        points.
        """
        X = self._joint_inputs(params)
        size, noise, rng = check_count("size", size, 1), check_bool("noise", noise), _rng(seed)
        with numeric_threads(self.model.n_observed):
            draws = self.model.to_objective(joint.draw(self.model.joint(X), size, noise, rng))
        return -draws if self.maximize else draws

    def _joint_inputs(self, params: Mapping[str, Any] | Sequence[Mapping[str, Any]],
                      ) -> np.ndarray:
        X = self._encode(params)
        if X.shape[0] > joint.MAX_POINTS:
            raise ValueError(f"params has {X.shape[0]} points: a joint posterior takes at most "
                             f"{joint.MAX_POINTS} (an m×m matrix); use predict for marginals")
        return X

    # ------------------------------------------------------- hyperparameters
    def hyperparameters(self) -> Hyperparameters:
        """The fitted kernel, noise and output transform, by dimension name (see the class)."""
        gp = self.model.gp
        assert gp is not None
        unit = gp.kernel.lengthscales  # (c,)
        cube: dict[str, Lengthscale] = {}
        user: dict[str, Lengthscale] = {}
        budget = None
        for dim, cols in zip(self.space.dimensions, self.space.slices):
            name = str(dim.name)
            if isinstance(dim, Fidelity):
                budget = self._budget_kernel(dim)
                if budget is not None and budget.lengthscale is not None:
                    assert budget.lengthscale_unit_cube is not None
                    cube[name], user[name] = budget.lengthscale_unit_cube, budget.lengthscale
            elif isinstance(dim, Categorical) and self.model.tying is not None:
                cube[name] = user[name] = float(unit[cols][0])  # tied: one per categorical
            elif isinstance(dim, Categorical):
                cube[name] = user[name] = {c: float(l) for c, l in zip(dim.choices, unit[cols])}
            else:
                cube[name] = float(unit[cols][0])
                user[name] = cube[name] * dim.unit_length  # type: ignore[attr-defined]
        slope = self._output_slope()
        rows = self._row_jitter()  # (n,)
        jitter = float(np.min(rows))
        by_row = None if float(np.max(rows)) == jitter else tuple(float(j) for j in rows)
        return Hyperparameters(
            gp.kernel.name, user, cube, times_square(gp.kernel.variance, slope),
            times_square(gp.noise, slope),
            gp.kernel.variance, gp.noise, slope, self.model.transform.to_dict(), budget,
            self._warps(), self._activity_lengthscales(unit),
            {"mean": float(self.model.y_mean), "scale": float(self.model.y_scale)},
            times_square(jitter, slope), jitter, by_row)

    def _row_jitter(self) -> np.ndarray:
        """(n,) the jitter on each observation's diagonal, on the GP's scale, of the reported
        GP (`Hyperparameters.jitter`): the heaviest kernel's with `kernel_average`, the
        largest of the samples' with mcmc."""
        gp = self.model.gp
        if not isinstance(gp, GaussianProcessMixture):
            assert gp is not None
            return gp.row_jitter
        if gp.log_weights is not None:  # kernel_average: the reported kernel's member
            reported = [m for m in gp.members if m.kernel.name == gp.kernel.name]
            assert len(reported) == 1, "kernel_average has one member per kernel"
            return reported[0].row_jitter
        return cast(np.ndarray, np.max([member.row_jitter for member in gp.members], axis=0))

    def _activity_lengthscales(self, unit: np.ndarray) -> dict[str, float] | None:
        """The lengthscale of each conditional dimension's activity column, by its name."""
        space = self.space
        if not space.conditional:
            return None
        return {str(space.names[i]): float(unit[j])
                for i, j in zip(space.conditional_dims, space.activity_columns)}

    def _warps(self) -> dict[str, tuple[float, float]] | None:
        """(a, b) of each warped dimension by name, at the fitted (with mcmc: the samples'
        mean) log-parameters θ = (log l, log s2, log σ², log a, log b); None unwarped."""
        warping, params = self.model.warping, self.model.params
        if warping is None:
            return None
        assert params is not None
        a, b = np.split(np.exp(params[self.model.slots + 2:]), 2)  # (k,), (k,)
        owner = {j: str(dim.name) for dim, cols in zip(self.space.dimensions, self.space.slices)
                 for j in range(cols.start, cols.stop)}
        return {owner[j]: (float(a_j), float(b_j))
                for j, a_j, b_j in zip(warping.columns, a, b) if j in owner}

    def _budget_kernel(self, dim: Fidelity) -> BudgetKernel | None:
        """The budget's part of the kernel (module docstring: "The budget"); None when the
        GP has no budget input (BOHB's GP of one budget)."""
        kernel = self.model.gp.kernel  # type: ignore[union-attr]
        n = self.space.n_columns  # the budget level is the input after the encoding's columns
        if kernel.dim == n:
            return None
        level = (float(kernel.lengthscales[n])
                 if kernel.budget_power is None or kernel.budget_lengthscale else None)
        bias = None if kernel.budget_power is None else float(np.exp(kernel.theta[-2]))
        ends = np.full((2, kernel.dim), 0.5)  # one configuration at z = 0 and z = 1
        ends[:, -1] = (0.0, 1.0)
        K = kernel.cross(ends, ends)  # (2, 2)
        return BudgetKernel(
            str(dim.name), self.model.options.fidelity_kernel, None if level is None
            else level * math.log10(dim.high / dim.low), level, bias, kernel.budget_power,
            float(K[0, 1] / math.sqrt(K[0, 0] * K[1, 1])))

    def _output_slope(self) -> float:
        """c = dg/df, at the median of the observations when there is a power transform."""
        transform = self.model.transform
        if transform.lmbda is None:
            return self._slope_scale()
        y = np.array([self._minimized(o) for o in self.observed])
        z = (float(np.median(y)) - transform.mean) / transform.scale
        return self._slope_scale() / float(yeo_johnson_derivative(np.array(z), transform.lmbda))

    def _minimized(self, observation: Observation) -> float:
        assert observation.value is not None
        return -observation.value if self.maximize else observation.value

    # --------------------------------------------------------------- evidence
    def evidence(self) -> Evidence:
        """log p(t | θ) and log p(θ) at the fitted θ, each named (module docstring).

        log p(θ) sums the priors of the fitted log-parameters only: a parameter the
        options pin (the noise of ``ModelOptions(noise_variance=)``, the activity
        lengthscales of ``FitOptions(activity_lengthscale=)``) is a constant of the
        model, not a hyperparameter inferred from the data, so it has no prior (R&W
        Sec. 5.2: the hyperprior is over the hyperparameters being inferred). One rule
        for every pinned parameter; the GP's likelihood uses them as they are. A
        maximum-likelihood fit (``ModelOptions(priors=False)``, R&W Sec. 5.4.1) has no
        prior at all: log p(θ) is 0.0, and the sum is log p(t | θ).
        """
        gp = self.model.gp
        assert gp is not None
        if self.model.sampled:
            raise ValueError("evidence() is log p(t | θ) at one θ; with "
                             "ModelOptions(hyperparameters='mcmc') or kernel_average=True the "
                             "surrogate averages over posterior samples of θ or over kernels "
                             "and has no single one")
        assert isinstance(gp, GaussianProcess)
        lml = gp.log_marginal_likelihood()
        log_prior = self._log_prior(gp) if self.model.options.priors else 0.0
        return Evidence(lml, log_prior, lml + log_prior, gp.n)

    def _log_prior(self, gp: GaussianProcess) -> float:
        """log p(θ) of the MAP fit: the priors of its fitted log-parameters (`evidence`)."""
        log_params = np.concatenate([gp.kernel.theta, [math.log(gp.noise)]])  # (c + 2,)
        fitted = ~self.model.pinned()  # (c + 2,)
        if self.model.tying is not None:  # one lengthscale (and prior) per tied group
            log_params = self.model.tying.reduce(log_params)
            fitted = self.model.tying.reduce(fitted)
        # the fit's priors slot by slot (log τ² of a budget basis may have its own)
        stacked = self.model.priors.stacked(log_params.size - 2)
        log_prior = stacked.normalized_log_density(log_params, fitted)
        if isinstance(gp, WarpedGaussianProcess):  # input warping: its prior is part of p(θ)
            log_prior += WARP_PRIOR.normalized_log_density(gp.warp_theta)
        return log_prior

    # ------------------------------------------------------------ acquisition
    def acquisition(self, params: Mapping[str, Any] | Sequence[Mapping[str, Any]], *,
                    pending: bool = False) -> AcquisitionValues:
        """The acquisition the optimizer maximizes, at params dicts (see `AcquisitionValues`).

        ``pending=True`` conditions on the points pending when the snapshot
        was taken, exactly as the next ask would; by default they are left out.
        With a `Fidelity` it is the acquisition of the highest budget (the only one
        an ask maximizes): a dict gives that budget or none, else ValueError.
        """
        objective = self._acquisitions[int(check_bool("pending", pending))]
        points = self._at_budget(params)
        fidelity = self.space.fidelity
        if fidelity is not None:
            name = str(fidelity.name)
            for p in points:
                if p[name] != fidelity.high:
                    raise ValueError(f"{name}={shown(p[name])}: the acquisition is that of the "
                                     f"highest budget {name}={fidelity.high!r}; give that budget "
                                     "or none")
        X = self.space.encode(points)  # a Fidelity encodes to no column: asks optimize x
        with numeric_threads(self.model.n_observed):
            raw = objective.values(X)
        if objective.acquisition.log_space:
            with np.errstate(over="ignore"):  # inf past the float range; its log is finite
                value = np.exp(raw)
            return AcquisitionValues(objective.acquisition.name, value, raw, pending)
        if isinstance(objective.acquisition, UpperConfidenceBound):
            return AcquisitionValues(objective.acquisition.name, raw, None, pending)
        with numeric_threads(self.model.n_observed):  # EI: its log in log space (LogEI's)
            log_value = objective.log_values(X)
        return AcquisitionValues(objective.acquisition.name, raw, log_value, pending)

    # --------------------------------------------------------- recommendation
    def recommend(self) -> Recommendation:
        """The feasible observed point whose latent posterior mean is best (first one on ties).

        On a noisy objective this is what a benchmark should score: the best
        observed value (`Optimizer.best`) favours lucky noise. Under outcome
        constraints only the observations that satisfied them compete; with
        none, ValueError. With a `Fidelity` only a model of the highest budget
        recommends (ValueError otherwise).
        """
        fidelity = self.space.fidelity
        feasible = [o for o in self.observed if o.feasible]
        if fidelity is not None:
            feasible = [o for o in feasible
                        if o.params[fidelity.name] == fidelity.high]  # type: ignore[index]
            if not feasible:
                raise ValueError(
                    f"the surrogate models no (feasible) run at {fidelity.name}={fidelity.high!r}"
                    " yet: nothing to recommend; see `best`")
        if not feasible:
            raise ValueError("no observation satisfies the outcome constraints: nothing to "
                             "recommend yet")
        X = self._encode([o.params for o in feasible])
        with numeric_threads(self.model.n_observed):
            mu, _ = self.model.predict(X)
            k = int(np.argmin(mu))  # the model minimizes (−value when maximizing)
            prediction = self._predict(X[k : k + 1], noise=False, level=0.5)
        chosen = feasible[k]
        assert chosen.value is not None
        return Recommendation(chosen.index, dict(chosen.params), float(prediction.mean[0]),
                              float(prediction.median[0]), chosen.value)

    def _encode(self, params: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> np.ndarray:
        """The model's inputs at params dicts; a model with the budget as an input is asked
        at each dict's budget, the highest where a dict gives none."""
        points = self._at_budget(params)
        return model_inputs(self.space, self.model.options, self.space.encode(points), points)

    def _at_budget(self, params: Mapping[str, Any] | Sequence[Mapping[str, Any]],
                   ) -> list[dict[str, Any]]:
        """The params dicts, each with a Fidelity's highest budget where it gives none."""
        points, _ = as_batch(params, None)
        if not points:
            raise ValueError("params is an empty list: give at least one params dict")
        fidelity = self.space.fidelity
        if fidelity is None:
            return [dict(p) for p in points]
        name = str(fidelity.name)
        return [{**p, name: p.get(name, fidelity.high)} for p in points]


def _rng(seed: Any) -> np.random.Generator:
    """`sample`'s generator: a Generator as it is, an int >= 0 or None seeds a new one."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng()
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed={shown(seed)} must be an int, a numpy Generator or None")
    return np.random.default_rng(check_count("seed", seed, 0))


def _check_level(level: Any) -> float:
    if isinstance(level, bool) or not isinstance(level, (int, float, np.integer, np.floating)):
        raise TypeError(f"level={shown(level)} must be a number in (0, 1)")
    if not 0.0 < float(level) < 1.0:
        raise ValueError(f"level={shown(level)} must be in (0, 1)")
    return float(level)

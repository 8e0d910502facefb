"""MAP estimation of the GP hyperparameters.

    params = (log l_1 … log l_d, log s2, log σ²)     shape (d + 2,)
    K      = k_θ(X, X) + σ² I,  L = chol(K),  alpha = K⁻¹ y

Objective (R&W Eq. 5.8 plus the log prior), minimized by L-BFGS-B:

    −log p(y | X, θ) − log p(θ) = ½ yᵀ alpha + Σ log L_ii + (n/2) log 2π − log p(θ)

Gradient (R&W Eq. 5.9), with W = alpha alphaᵀ − K⁻¹:

    ∂/∂θ_j  = −½ tr(W ∂K/∂θ_j) − ∂ log p(θ)/∂θ_j
    ∂/∂log σ² = −½ σ² tr(W) = −½ σ² (alphaᵀalpha − tr K⁻¹)

The kernel part of tr(W ∂K/∂θ) is one Numba pass over the pairs of points
(`kernels.stationary.lml_gradient_contraction`, what `Kernel.theta_gradient`
runs), reading the radial profile (κ, κ'/r) of each pair that the pass
building K stored (`kernel_matrix_with_profile`) instead of evaluating it
again; K⁻¹ comes from LAPACK potri on L. A failed
Cholesky at a trial point returns +inf so the line search backs off.

With input warping (`bayesopt.warping`) the parameters gain (log a, log b)
per warped column after log σ², the kernel sees w(X), and their gradient and
prior are added; without it every line below runs exactly as written.
`log_posterior` is the value alone (no K⁻¹, no gradient), what the slice
sampler of `bayesopt.sampling` evaluates. With `budget_power` p (a Fidelity's budget
level as the last column, `kernels.fidelity`) the kernel's methods build K and its
gradient, and θ's last lengthscale slot is log τ²; with `budget_lengthscale` too, θ has
s = d + 1 lengthscale slots (z's lengthscale, then log τ²) and params (s + 2,).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
from scipy.linalg import lapack, solve_triangular

from acquisition.checks import boolean, check_fields, integer, interval, optional, real, rule
from acquisition.memo import lbfgsb
from bayesopt.priors import BlockwisePriors, HyperparameterPriors, StackedPriors
from bayesopt.warping import KumaraswamyWarping, lml_input_gradient
from kernels import Kernel, fidelity, stationary
from kernels import lapack as kernels_lapack
from kernels.cholesky import check_info, cholesky_lower, inverse_from_factor
from kernels.kernel import positive_parameters, scaled_inputs

logger = logging.getLogger(__name__)

# (alpha (n,), diag L (n,), K⁻¹ (n, n) lower triangle valid, ½·tr(W·∂K/∂θ) (s + 1,))
LikelihoodTerms = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]

LENGTHSCALE_BOUNDS = (1e-3, 1e3)
VARIANCE_BOUNDS = (1e-3, 1e3)
# On standardized targets; the lower end is the noise floor, low enough that the noise
# std stays below the regret being refined near a deterministic optimum, so the GP can
# resolve its last digits (evidence: bench/results/ablation.md, `noise-floor-1e-6`).
NOISE_BOUNDS = (1e-8, 10.0)
# the least curvature `preconditioning` takes from a secant estimate (a unit step in u
# then moves θ_j by at most 1/√floor ≈ 32)
CURVATURE_FLOOR = 1e-3


@dataclass(frozen=True)
class FitOptions:
    """How hard the MAP fit tries (each field checked by `acquisition.checks`)."""

    maxiter: int = field(default=200, metadata=rule(integer(minimum=1)))  # L-BFGS-B iterations
    # L-BFGS-B's relative reduction tolerance of the negative log posterior; None: scipy's
    # default (factr 1e7, ftol ≈ 2.2e-9). bench/results/small_n_step4.md
    ftol: float | None = field(default=None, metadata=rule(optional(real(0.0, low_open=True))))
    # (low, high) of the noise variance on standardized outputs; low is the noise floor
    noise_bounds: tuple[float, float] = field(default=NOISE_BOUNDS, metadata=rule(interval()))
    # conditional spaces: None fits the lengthscale of each activity column (the penalty
    # for differing in whether a dimension is active; `kernels.kernel`) like any other;
    # a number fixes them: 1e-3 separates the activity patterns (SMAC's zero covariance),
    # 1e3 leaves imputation alone. bench/results/conditional.md compares the three.
    activity_lengthscale: float | None = field(
        default=None, metadata=rule(optional(real(LENGTHSCALE_BOUNDS[0], LENGTHSCALE_BOUNDS[1]))))
    # a refit's L-BFGS-B runs in coordinates scaled by the curvature the last fit measured
    # (`minimize_from_starts`' `scale`); False: in the log-parameters themselves
    precondition: bool = field(default=True, metadata=rule(boolean()))

    def __post_init__(self) -> None:
        check_fields(self)


@dataclass(frozen=True)
class FitResult:
    params: np.ndarray  # (d + 2,)
    value: float  # negative log posterior at params
    success: bool
    n_evaluations: int
    # (d + 2,) the diagonal of the Hessian's secant estimate where the run that found
    # params ended (`secant_curvature`); None when no pair of its evaluations gave one
    curvature: np.ndarray | None = None


def parameter_bounds(
    dim: int, options: FitOptions, warping: KumaraswamyWarping | None = None,
    gates: tuple[int, ...] | None = None,
) -> list[tuple[float, float]]:
    """Log-space bounds of (l_1 … l_d, s2, σ², warp parameters); a fixed
    `activity_lengthscale` pins the lengthscales of the activity columns named by
    `gates` (equal bounds)."""
    log = math.log
    lengthscales = [(log(LENGTHSCALE_BOUNDS[0]), log(LENGTHSCALE_BOUNDS[1]))] * dim
    if options.activity_lengthscale is not None and gates is not None:
        fixed = log(options.activity_lengthscale)
        for column in {g for g in gates if g >= 0}:
            lengthscales[column] = (fixed, fixed)
    return (
        lengthscales
        + [(log(VARIANCE_BOUNDS[0]), log(VARIANCE_BOUNDS[1]))]
        + [(log(options.noise_bounds[0]), log(options.noise_bounds[1]))]
        + ([] if warping is None else warping.bounds())
    )


def negative_log_posterior(
    params: np.ndarray, kernel_name: str, X: np.ndarray, y: np.ndarray,
    priors: HyperparameterPriors | None, warping: KumaraswamyWarping | None = None,
    gates: tuple[int, ...] | None = None,
) -> tuple[float, np.ndarray]:
    """Value and gradient of −log p(y|θ) − log p(θ); (+inf, 0) if K is not PD.

    `priors=None` drops the log prior: −log p(y|θ), maximum likelihood (R&W Eq. 5.8).
    `gates`: the activity column of each input column of a conditional space
    (`kernels.Kernel`), None for an unconditional one. One evaluation of
    `NegativeLogPosterior`, which `fit_map` builds once per fit.
    """
    return NegativeLogPosterior(kernel_name, X, y, priors, warping, gates)(params)


class NegativeLogPosterior:
    """θ ↦ `negative_log_posterior`(θ) on fixed data, the function L-BFGS-B evaluates.

    What is the same at every evaluation is taken once: the kernel's name and gates
    checked (a `Kernel` at θ = 0, whose kind and imputation φ(X) do not depend on θ),
    φ(X) itself when there is no warping, and the priors as one vector per
    log-parameter (`HyperparameterPriors.stacked`). An evaluation then does what a
    `Kernel` at θ would, with the same functions — l and s2 from θ
    (`kernels.kernel.positive_parameters`), Z = φ(X) / l (`scaled_inputs`), the Numba
    matrix and gradient loops of `kernels.stationary` — without building one. K is
    built fresh at each evaluation and read by nothing after its factorization, and L
    by nothing after alpha and Σ log L_ii, so K is factored in place and L inverted in
    place: one n×n buffer is K, then L, then K⁻¹.
    """

    def __init__(
        self, kernel_name: str, X: np.ndarray, y: np.ndarray,
        priors: HyperparameterPriors | None, warping: KumaraswamyWarping | None = None,
        gates: tuple[int, ...] | None = None, budget_power: int | None = None,
        budget_lengthscale: bool = False,
    ) -> None:
        d = X.shape[1]
        self.slots = d + budget_lengthscale  # θ's lengthscale slots (module docstring)
        self.kernel = Kernel(kernel_name, d, np.zeros(self.slots + 1), gates, budget_power,
                             budget_lengthscale)
        self.X, self.y, self.warping = X, y, warping  # (n, d), (n,)
        self.imputed = self.kernel.impute(X) if warping is None else None  # φ(X): (n, d)
        self.prior = None if priors is None else priors.stacked(self.slots)
        self.contraction = (fidelity.theta_gradient if budget_power is not None  # ½·tr(W·∂K/∂θ)
                            else stationary.lml_gradient_contraction)
        self.y_contiguous = np.ascontiguousarray(y, dtype=np.float64)  # (n,) for LAPACK
        self.workspace = kernels_lapack.workspace(X.shape[0])

    def __call__(self, params: np.ndarray) -> tuple[float, np.ndarray]:
        n, d = self.X.shape[0], self.slots
        y, warping = self.y, self.warping
        if not np.isfinite(params).all():
            raise ValueError(f"hyperparameters must be finite log-parameters, got {params!r}")
        X_warped = self.X if warping is None else warping.apply(self.X, params[d + 2:])
        imputed = self.imputed if self.imputed is not None else self.kernel.impute(X_warped)
        noise = math.exp(params[d + 1])
        terms = self._terms(params[: d + 1], imputed, noise)
        if terms is None:
            return math.inf, np.zeros_like(params)
        alpha, diagonal, K_inv, contraction = terms
        log_det = float(np.log(diagonal).sum())  # ½ log det K
        nll = 0.5 * float(y @ alpha) + log_det + 0.5 * n * math.log(2 * math.pi)
        grad = np.empty_like(params)
        grad[: d + 1] = -contraction
        grad[d + 1] = -0.5 * noise * (float(alpha @ alpha) - float(K_inv.trace()))
        if warping is not None:
            kernel = self.kernel.with_theta(params[: d + 1])
            G = lml_input_gradient(kernel, X_warped, alpha, K_inv)  # (n, d)
            grad[d + 2:] = -warping.theta_gradient(self.X, params[d + 2:], G)
        if self.prior is None:
            return nll, grad
        prior_value, prior_grad = log_prior(params, d, self.prior, warping)
        grad -= prior_grad
        return nll - prior_value, grad

    def _terms(self, theta: np.ndarray, imputed: np.ndarray,
               noise: float) -> LikelihoodTerms | None:
        """`_compiled_terms` for a stationary kernel, `_separate_terms` for the budget basis."""
        if self.kernel.budget_power is None:
            return self._compiled_terms(theta, imputed, noise)
        return self._separate_terms(theta, imputed, noise)

    def _compiled_terms(self, theta: np.ndarray, imputed: np.ndarray,
                        noise: float) -> LikelihoodTerms | None:
        """`_separate_terms` of a stationary kernel with its three LAPACK calls in one
        compiled one (`kernels.lapack.factor_solve_invert`: the same routines on the same
        arguments, so the same numbers, without scipy's wrappers and the Python between)."""
        lengthscales, s2 = positive_parameters(theta)  # as `Kernel` takes them
        Z = scaled_inputs(imputed, lengthscales)
        K, profile = stationary.kernel_matrix_with_profile(self.kernel.kind, Z, s2, noise)
        stage, info, alpha, diagonal = kernels_lapack.factor_solve_invert(
            K, self.y_contiguous, self.workspace)
        if stage == 1:
            return None
        if stage != 0:
            check_info("potrs" if stage == 2 else "potri", int(info))
        return alpha, diagonal, K, self.contraction(Z, s2, alpha, K, profile)

    def _separate_terms(self, theta: np.ndarray, imputed: np.ndarray,
                        noise: float) -> LikelihoodTerms | None:
        """(alpha, diag L, K⁻¹ (lower triangle valid), ½·tr(W·∂K/∂θ)) at the kernel's θ:
        (s + 1,), or None if K + σ²I is not positive definite. K and its profile by the
        stationary loops, on the l, s2 and Z a `Kernel` takes (`kernels.kernel.
        positive_parameters`, `scaled_inputs`), or by the budget basis' `Kernel` methods;
        then scipy's LAPACK wrappers, each on the buffer the call before wrote."""
        if self.kernel.budget_power is not None:
            kernel = self.kernel.with_theta(theta)
            Z = kernel.scale(imputed)
            s2 = kernel.variance
            K, profile = kernel.matrix_and_profile_scaled(Z, noise)
        else:
            lengthscales, s2 = positive_parameters(theta)
            Z = scaled_inputs(imputed, lengthscales)
            K, profile = stationary.kernel_matrix_with_profile(self.kernel.kind, Z, s2, noise)
        L = cholesky_lower(K, overwrite=True)
        if L is None:
            return None
        alpha, info = lapack.dpotrs(L, self.y, lower=1)  # R&W Alg. 2.1, line 3 (cho_solve's call)
        check_info("potrs", info)
        diagonal = L.diagonal().copy()
        K_inv = inverse_from_factor(L, overwrite=True)  # L is gone from here on
        return alpha, diagonal, K_inv, self.contraction(Z, s2, alpha, K_inv, profile)


def log_prior(params: np.ndarray, d: int, prior: StackedPriors | BlockwisePriors,
              warping: KumaraswamyWarping | None) -> tuple[float, np.ndarray]:
    """log p(θ) and its gradient, the warp's prior included when there is one."""
    if warping is None:
        return prior.log_density(params)
    value, grad = prior.log_density(params[: d + 2])
    value_w, grad_w = warping.log_prior(params[d + 2:])
    return value + value_w, np.concatenate([grad, grad_w])


def log_posterior(
    params: np.ndarray, kernel_name: str, X: np.ndarray, y: np.ndarray,
    priors: HyperparameterPriors, warping: KumaraswamyWarping | None,
    bounds: np.ndarray, gates: tuple[int, ...] | None = None,
) -> float:
    """log p(y|θ) + log p(θ) up to a constant (R&W Eq. 5.8); −inf outside `bounds`: (p, 2)
    or where K is not positive definite. The value alone: one Cholesky factor."""
    if np.any(params < bounds[:, 0]) or np.any(params > bounds[:, 1]):
        return -math.inf
    d = X.shape[1]
    X_in = X if warping is None else warping.apply(X, params[d + 2:])
    kernel = Kernel(kernel_name, d, params[: d + 1], gates)
    L = cholesky_lower(kernel.matrix(X_in, math.exp(params[d + 1])), overwrite=True)
    if L is None:
        return -math.inf
    z = solve_triangular(L, y, lower=True, check_finite=False)  # L⁻¹y: yᵀK⁻¹y = |z|²
    lml = -0.5 * float(z @ z) - float(np.sum(np.log(np.diag(L))))
    return lml + log_prior(params, d, priors.stacked(d), warping)[0]


def fit_map(
    kernel_name: str, X: np.ndarray, y: np.ndarray, priors: HyperparameterPriors | None,
    starts: list[np.ndarray], options: FitOptions, warping: KumaraswamyWarping | None = None,
    gates: tuple[int, ...] | None = None, budget_power: int | None = None,
    budget_lengthscale: bool = False, curvature: np.ndarray | None = None,
) -> FitResult:
    """Run L-BFGS-B from each start; return the best finite optimum (MAP; ML without priors).

    `success` is False when no start produced a finite objective; the caller
    then keeps its previous hyperparameters. With `options.precondition` the runs are
    scaled by `curvature` (the last fit's `FitResult.curvature`; None: unscaled) and the
    result carries the curvature of this fit (`minimize_from_starts`).
    """
    bounds = parameter_bounds(X.shape[1] + budget_lengthscale, options, warping, gates)
    objective = NegativeLogPosterior(kernel_name, X, y, priors, warping, gates, budget_power,
                                     budget_lengthscale)
    return minimize_from_starts(objective, bounds, starts, options.maxiter, options.ftol,
                                *preconditioning(options, curvature))


def preconditioning(options: FitOptions,
                    curvature: np.ndarray | None) -> tuple[np.ndarray | None, bool]:
    """(`scale`, `measure`) of `minimize_from_starts` for a fit with `options` after a fit
    that measured `curvature`: s_j = B_jj^(-1/2), with B_jj floored at
    `CURVATURE_FLOOR` (a direction the last fit saw as flat moves at most 1/√floor per
    unit step); (None, False) without `options.precondition`."""
    if not options.precondition:
        return None, False
    if curvature is None:
        return None, True
    return 1.0 / np.sqrt(np.maximum(curvature, CURVATURE_FLOOR)), True


def minimize_from_starts(
    objective: Callable[[np.ndarray], tuple[float, np.ndarray]],
    bounds: list[tuple[float, float]], starts: list[np.ndarray], maxiter: int,
    ftol: float | None = None, scale: np.ndarray | None = None, measure: bool = False,
) -> FitResult:
    """L-BFGS-B on `objective` (value and gradient) from each start clipped into `bounds`,
    with `maxiter` and `ftol` (None: scipy's default); the best finite optimum, or
    `success` False and the first start (clipped).

    With `scale` (p,) > 0 each run is scaled by it (`acquisition.memo.lbfgsb`'s diagonal
    change of variables: the solver's first steps then follow the curvature the scale
    says). With `measure` the result's `curvature` is the secant estimate of the run that
    found it (`secant_curvature`). Without either, each run is L-BFGS-B on θ itself.
    """
    lower, upper = np.array(bounds).T
    best: FitResult | None = None
    evaluations = 0
    for start in starts:
        x0 = np.clip(start, lower, upper)
        run = Recorded(objective) if measure else objective
        try:
            # minimize(method="L-BFGS-B", bounds=bounds, options={"maxiter": maxiter,
            # "ftol": ftol})'s result, without minimize's front end (acquisition.memo.lbfgsb)
            result = lbfgsb(run, x0, lower, upper, maxiter, ftol, scale=scale)
        except (ValueError, FloatingPointError, np.linalg.LinAlgError) as error:
            logger.debug("hyperparameter fit from %s failed: %s", x0, error)
            continue
        evaluations += int(result.nfev)
        if math.isfinite(result.fun) and (best is None or result.fun < best.value):
            curvature = (secant_curvature(run.points, run.gradients)
                         if isinstance(run, Recorded) else None)
            best = FitResult(np.asarray(result.x), result.fun, True, 0, curvature)
    if best is None:
        return FitResult(np.clip(starts[0], lower, upper), math.inf, False, evaluations)
    return replace(best, n_evaluations=evaluations)


class Recorded:
    """An objective (value, gradient) that keeps each point evaluated at a finite value
    and its gradient, in order (what `secant_curvature` reads)."""

    def __init__(self, objective: Callable[[np.ndarray], tuple[float, np.ndarray]]) -> None:
        self.objective = objective
        self.points: list[np.ndarray] = []
        self.gradients: list[np.ndarray] = []

    def __call__(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad = self.objective(theta)
        if math.isfinite(value):
            self.points.append(np.array(theta))
            self.gradients.append(np.array(grad))
        return value, grad


def secant_curvature(points: list[np.ndarray], gradients: list[np.ndarray]) -> np.ndarray | None:
    """diag B of the BFGS estimate of ∇²f (Nocedal & Wright 2006, Eq. 6.19) from the
    evaluations of one run in their order: B₀ = (yᵀy / sᵀy) I at the first usable pair,
    then B ← B − B s sᵀ B / sᵀBs + y yᵀ / sᵀy for each pair s = θ_{k+1} − θ_k, y = ∇f_{k+1}
    − ∇f_k whose sᵀy is positive (the curvature condition; a pair without it is skipped).
    None when no pair has it."""
    B: np.ndarray | None = None
    for k in range(len(points) - 1):
        s = points[k + 1] - points[k]
        y = gradients[k + 1] - gradients[k]
        sy = float(s @ y)
        if not sy > 0.0 or not math.isfinite(sy):
            continue
        if B is None:
            B = np.eye(s.shape[0]) * (float(y @ y) / sy)
        Bs = B @ s
        sBs = float(s @ Bs)
        if not sBs > 0.0:
            continue
        B += np.outer(y, y) / sy - np.outer(Bs, Bs) / sBs
    if B is None:
        return None
    curvature = B.diagonal().copy()
    return curvature if bool(np.all(np.isfinite(curvature))) else None

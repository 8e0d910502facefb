"""The ask/tell optimizer.

    opt = Optimizer(space, seed=0)
    params = opt.ask()            # a dict in user units
    opt.tell(params, loss)        # minimizes by default

State: the told observations (`history`), the points handed out and not yet
told (`pending`), one random generator, and the surrogate model. The first
`n_initial` points come from a scrambled Sobol design; afterwards each point
maximizes the acquisition function of a GP conditioned on the successful
observations and, as fantasies (kriging believer), on the pending points.
Failed evaluations are kept in the history and are never proposed again.
"""

from __future__ import annotations

import math
import threading
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, overload

import numpy as np

from acquisition.functions import (
    AcquisitionFunction,
    ExpectedImprovement,
    LogExpectedImprovement,
    ProbabilityOfImprovement,
    UpperConfidenceBound,
    gp_ucb_beta,
)
from acquisition.optimizer import (
    AcquisitionObjective,
    AcquisitionOptimizerOptions,
    Domain,
    optimize_acquisition,
)
from bayesopt.model import ModelOptions, SurrogateModel
from bayesopt.result import Observation, OptimizeResult, best_observation
from bayesopt.space import Dimension, Space
from kernels.threads import numeric_threads

ACQUISITIONS = ("logei", "ei", "pi", "ucb")
_N_INCUMBENTS = 5  # best observations the acquisition optimizer searches around
_ENUMERATION_LIMIT = 100_000  # finite spaces up to this size are enumerated when nearly exhausted


class SpaceExhaustedWarning(UserWarning):
    """Every point of a finite space has been observed or is pending."""


@dataclass(frozen=True)
class OptimizerOptions:
    """Advanced settings; the defaults come from the literature (see README)."""

    model: ModelOptions = field(default_factory=ModelOptions)
    acquisition_optimizer: AcquisitionOptimizerOptions = field(
        default_factory=AcquisitionOptimizerOptions
    )
    ucb_delta: float = 0.1  # δ of the GP-UCB β schedule (Srinivas et al. 2010)
    # The theorem's β_t is conservative; Srinivas et al. scale it by 1/5 in their experiments (Sec. 6)
    ucb_beta_scale: float = 0.2

    def __post_init__(self) -> None:
        if not 0 < self.ucb_delta < 1:
            raise ValueError(f"ucb_delta={self.ucb_delta} must be in (0, 1)")
        if not self.ucb_beta_scale > 0:
            raise ValueError(f"ucb_beta_scale={self.ucb_beta_scale} must be > 0")


def default_n_initial(space: Space) -> int:
    """d + 1 Sobol points, at least 5 and at most 20."""
    return int(min(max(5, space.n_dims + 1), 20))


class Optimizer:
    """Bayesian optimization behind an ask/tell interface.

    Parameters
    ----------
    space : dict or list
        ``{name: Real | Integer | Categorical}``, or a list of dimensions each
        given ``name=``.
    acquisition : {"logei", "ei", "pi", "ucb"}
        LogEI (Ament et al. 2023) by default.
    kernel : {"matern52", "matern32", "matern12", "rbf"}
        ARD covariance of the GP; Matérn-5/2 by default.
    n_initial : int, optional
        Size of the scrambled-Sobol initial design (default: d + 1, within [5, 20]).
    seed : int, optional
        Seed of the only random generator; same seed and same tells → same asks.
    maximize : bool
        Maximize the objective instead of minimizing it.
    ucb_beta : float, optional
        Fixed β of UCB; None uses the GP-UCB schedule of Srinivas et al. (2010).
    options : OptimizerOptions, optional
        Model, hyperparameter-fit and acquisition-optimizer settings.
    """

    def __init__(
        self, space: Mapping[str, Dimension] | Sequence[Dimension] | Space, *,
        acquisition: str = "logei", kernel: str = "matern52", n_initial: int | None = None,
        seed: int | None = None, maximize: bool = False, ucb_beta: float | None = None,
        options: OptimizerOptions | None = None,
    ) -> None:
        self.space = space if isinstance(space, Space) else Space(space)
        _check_choice("acquisition", acquisition, ACQUISITIONS)
        self.acquisition = acquisition
        self.n_initial = default_n_initial(self.space) if n_initial is None else _check_count(
            "n_initial", n_initial)
        self.maximize = _check_bool("maximize", maximize)
        self.ucb_beta = None if ucb_beta is None else _check_beta(ucb_beta)
        self.seed = seed
        options = options or OptimizerOptions()
        if kernel != options.model.kernel:
            options = replace(options, model=replace(options.model, kernel=kernel))
        self.options = options
        self.rng = np.random.default_rng(seed)
        self._design = self.space.sobol(self.n_initial, self.rng)
        self._design_used = 0
        self._model = SurrogateModel(self.space.n_columns, options.model, self.rng)
        self._history: list[Observation] = []
        self._X_all = np.empty((0, self.space.n_columns))  # encoded history, failures included
        self._X_ok = np.empty((0, self.space.n_columns))  # encoded successful observations
        self._y_ok = np.empty(0)  # their values as minimization targets
        self._pending: list[tuple[dict[str, Any], np.ndarray]] = []
        self._lock = threading.RLock()

    # ------------------------------------------------------------ queries
    @property
    def history(self) -> list[Observation]:
        """Every observation in the order it was told (a copy)."""
        with self._lock:
            return list(self._history)

    @property
    def pending(self) -> list[dict[str, Any]]:
        """Points handed out by `ask` and not yet told."""
        with self._lock:
            return [dict(p) for p, _ in self._pending]

    @property
    def best(self) -> Observation | None:
        """The best successful observation so far, or None."""
        with self._lock:
            return best_observation(self._history, self.maximize)

    def result(self) -> OptimizeResult:
        """The history, the best point and a snapshot of the surrogate."""
        import copy

        with self._lock:
            model = copy.deepcopy(self._model) if self._model.gp is not None else None
            return OptimizeResult.from_history(self._history, self.space, self.maximize, model)

    # ---------------------------------------------------------------- ask
    @overload
    def ask(self) -> dict[str, Any]: ...
    @overload
    def ask(self, n: int) -> list[dict[str, Any]]: ...

    def ask(self, n: int | None = None) -> dict[str, Any] | list[dict[str, Any]]:
        """Propose one point (a dict), or a list of n points to evaluate in parallel.

        Every point is new: not observed, not pending, and distinct from the
        others of the batch (unless a finite space is exhausted, which warns).
        """
        count = 1 if n is None else _check_count("n", n, minimum=1)
        with self._lock, numeric_threads(len(self._history)):
            points = []
            try:
                for _ in range(count):
                    x = self._propose()
                    params = self.space.decode(x)[0]
                    self._pending.append((params, self.space.encode([params])[0]))
                    points.append(dict(params))
            finally:
                self._model.clear_fantasies()
        return points[0] if n is None else points

    def _propose(self) -> np.ndarray:
        n_ok = self._y_ok.shape[0]
        if n_ok + len(self._pending) < self.n_initial or n_ok == 0:
            return self._design_point()
        return self._model_point()

    def _avoid(self) -> np.ndarray:
        pending = [x for _, x in self._pending]
        return np.concatenate([self._X_all, np.reshape(pending, (-1, self.space.n_columns))])

    def _design_point(self) -> np.ndarray:
        avoid = self._avoid()
        while self._design_used < self._design.shape[0]:
            x = self._design[self._design_used]
            self._design_used += 1
            if not _is_near(x, avoid):
                return x
        return self._random_point(avoid)

    def _random_point(self, avoid: np.ndarray) -> np.ndarray:
        """A uniformly random new point; for an exhausted finite space, warn and repeat one."""
        for _ in range(64):
            x = self.space.from_unit(self.rng.random((1, self.space.n_dims)))[0]
            if not _is_near(x, avoid):
                return x
        fresh = self._unobserved_points(avoid)
        if fresh is not None and fresh.shape[0]:
            return fresh[self.rng.integers(fresh.shape[0])]
        warnings.warn(
            f"search space exhausted: all {self.space.cardinality} points are observed or "
            "pending; proposing a repeat of an observed point",
            SpaceExhaustedWarning, stacklevel=4,
        )
        best = self.best
        return self.space.encode([best.params])[0] if best else avoid[self.rng.integers(len(avoid))]

    def _unobserved_points(self, avoid: np.ndarray) -> np.ndarray | None:
        """All encoded points of a small finite space that are not in `avoid`."""
        size = self.space.cardinality
        if size is None or size > _ENUMERATION_LIMIT:
            return None
        grids = [np.arange(d.cardinality) for d in self.space.dimensions]  # type: ignore[arg-type]
        index = np.stack(np.meshgrid(*grids, indexing="ij"), axis=-1).reshape(-1, len(grids))
        cards = np.array([d.cardinality for d in self.space.dimensions], dtype=float)
        points = self.space.from_unit((index + 0.5) / cards)
        keep = [not _is_near(x, avoid) for x in points]
        return points[keep]

    def _model_point(self) -> np.ndarray:
        X_ok, y_ok = self._training_data()
        if self._model.n_observed != X_ok.shape[0] or self._model.gp is None:
            self._model.update(X_ok, y_ok)
        self._model.clear_fantasies()
        pending = np.reshape([x for _, x in self._pending], (-1, self.space.n_columns))
        self._model.add_fantasies(pending)
        objective = AcquisitionObjective(self._acquisition_function(), self._model)
        avoid = self._avoid()
        proposal = optimize_acquisition(
            objective, self._domain(), self.rng, self._incumbents(X_ok, y_ok), avoid,
            self.options.acquisition_optimizer.for_data_size(X_ok.shape[0]),
        )
        return self._random_point(avoid) if proposal is None else proposal.x

    def _acquisition_function(self) -> AcquisitionFunction:
        best_f = self._model.incumbent
        if self.acquisition == "logei":
            return LogExpectedImprovement(best_f)
        if self.acquisition == "ei":
            return ExpectedImprovement(best_f)
        if self.acquisition == "pi":
            return ProbabilityOfImprovement(best_f)
        beta = self.ucb_beta
        if beta is None:
            t = max(1, self._model.n_observed - self.n_initial + 1)
            beta = self.options.ucb_beta_scale * gp_ucb_beta(
                t, self.space.n_columns, self.options.ucb_delta)
        return UpperConfidenceBound(beta)

    def _domain(self) -> Domain:
        space = self.space
        return Domain(
            dim=space.n_columns,
            sample=lambda n, rng: space.sobol(n, rng),
            project=space.project,
            categorical_groups=space.categorical_groups,
        )

    def _incumbents(self, X: np.ndarray, y: np.ndarray) -> np.ndarray:
        return X[np.argsort(y, kind="stable")[:_N_INCUMBENTS]]

    def _training_data(self) -> tuple[np.ndarray, np.ndarray]:
        """Encoded successful observations and their values as minimization targets."""
        return self._X_ok, self._y_ok

    # --------------------------------------------------------------- tell
    def tell(self, params: Mapping[str, Any] | Sequence[Mapping[str, Any]],
             value: float | Sequence[float]) -> None:
        """Record evaluated point(s): one dict and one number, or equal-length lists of each.

        Everything is validated before anything is recorded. A non-finite
        value raises: report a failed evaluation with `tell_failure`.
        """
        points, values = _as_batch(params, value)
        with self._lock:
            canonical = [self.space.validate(p) for p in points]
            numbers = [_check_value(v, i if len(values) > 1 else None) for i, v in enumerate(values)]
            self._record(canonical, numbers, ["ok"] * len(points), [None] * len(points))
            with numeric_threads(len(self._history)):
                self._update_model()

    def tell_failure(self, params: Mapping[str, Any] | Sequence[Mapping[str, Any]],
                     error: str | BaseException | None = None) -> None:
        """Record that evaluating `params` failed (kept in the history, never re-proposed)."""
        points, _ = _as_batch(params, None)
        message = None if error is None else (error if isinstance(error, str) else repr(error))
        with self._lock:
            canonical = [self.space.validate(p) for p in points]
            self._record(canonical, [None] * len(points), ["failed"] * len(points),
                         [message] * len(points))

    def _record(self, points: list[dict[str, Any]], values: list[float | None],
                statuses: list[str], errors: list[str | None]) -> None:
        X = self.space.encode(points)
        for params, x, value, status, error in zip(points, X, values, statuses, errors):
            self._history.append(Observation(len(self._history), params, value, status, error))  # type: ignore[arg-type]
            self._forget_pending(x)
        self._X_all = np.concatenate([self._X_all, X])
        ok = np.array([status == "ok" for status in statuses], dtype=bool)
        targets = np.array([v for v in values if v is not None], dtype=float)
        self._X_ok = np.concatenate([self._X_ok, X[ok]])
        self._y_ok = np.concatenate([self._y_ok, -targets if self.maximize else targets])

    def _forget_pending(self, x: np.ndarray) -> None:
        for i, (_, xp) in enumerate(self._pending):
            if np.array_equal(xp, x):
                del self._pending[i]
                return

    def _update_model(self) -> None:
        """Extend the model now (block append or scheduled refit) once it is in use."""
        if self._model.gp is None and self._y_ok.shape[0] < self.n_initial:
            return
        X_ok, y_ok = self._training_data()
        if X_ok.shape[0]:
            self._model.update(X_ok, y_ok)


def _is_near(x: np.ndarray, points: np.ndarray, tol: float = 1e-12) -> bool:
    return bool(points.shape[0]) and bool(np.min(np.sum((points - x) ** 2, axis=1)) <= tol)


def _as_batch(params: Any, value: Any) -> tuple[list[Mapping[str, Any]], list[Any]]:
    if isinstance(params, Mapping):
        return [params], [value]
    if not isinstance(params, Sequence) or isinstance(params, (str, bytes)):
        raise TypeError(f"params must be a dict or a list of dicts, got {params!r}")
    points = list(params)
    if value is None:
        return points, [None] * len(points)
    if isinstance(value, (str, bytes)) or not isinstance(value, (Sequence, np.ndarray)):
        raise TypeError(f"a list of {len(points)} params needs a list of values, got {value!r}")
    values = list(value)
    if len(values) != len(points):
        raise ValueError(f"got {len(points)} params but {len(values)} values")
    return points, values


def _check_value(value: Any, position: int | None) -> float:
    where = "" if position is None else f" at position {position}"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"objective value{where} must be a real number, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(
            f"objective value{where} is {value!r}; report a failed evaluation with "
            "tell_failure(params, error) instead of a non-finite value"
        )
    return float(value)


def _check_choice(key: str, value: Any, choices: Sequence[str]) -> None:
    if value not in choices:
        raise ValueError(f"{key}={value!r} must be one of {list(choices)}")


def _check_count(key: str, value: Any, minimum: int = 0) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{key}={value!r} must be an integer")
    if value < minimum:
        raise ValueError(f"{key}={value!r} must be >= {minimum}")
    return int(value)


def _check_bool(key: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{key}={value!r} must be True or False")
    return bool(value)


def _check_beta(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"ucb_beta={value!r} must be a number")
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"ucb_beta={value!r} must be finite and >= 0")
    return float(value)

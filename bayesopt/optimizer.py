"""The ask/tell optimizer.

    opt = Optimizer(space, seed=0)
    params = opt.ask()            # a dict in user units
    opt.tell(params, loss)        # minimizes by default
    opt.surrogate()               # the fitted GP in user terms (bayesopt.surrogate)
    opt.recommend()               # the observed point with the best posterior mean

State: the told observations (`history`), the points handed out and not yet
told (`pending`), one random generator, and the surrogate model. The first
`n_initial` points come from a scrambled Sobol design; afterwards each point
maximizes the acquisition function of a GP conditioned on the successful
observations and, as fantasies (kriging believer), on the pending points.
Failed evaluations are kept in the history, never proposed again, and damp
the acquisition around them (`acquisition.penalty`). With `journal=`, every
event is appended to a JSON-lines file, from which `Optimizer.resume`
rebuilds an optimizer that asks exactly what this one would have.
"""

from __future__ import annotations

import copy
import os
import threading
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any, TypeAlias, cast, overload

import numpy as np

from acquisition.functions import (
    AcquisitionFunction,
    ExpectedImprovement,
    LogExpectedImprovement,
    ProbabilityOfImprovement,
    UpperConfidenceBound,
    gp_ucb_beta,
)
from acquisition.optimizer import AcquisitionObjective, Domain, Penalty, optimize_acquisition
from acquisition.penalty import (
    CombinedPenalty,
    FailurePenalty,
    LocalPenalty,
    lipschitz_estimate,
)
from bayesopt import journal as journal_format
from bayesopt.model import SurrogateModel
from bayesopt.options import OptimizerOptions
from bayesopt.result import Observation, OptimizeResult, Status, best_observation
from bayesopt.space import Dimension, Space
from bayesopt.surrogate import Recommendation, Surrogate
from bayesopt.validation import (
    as_batch,
    check_bool,
    check_choice,
    check_count,
    check_durations,
    check_nonnegative,
    check_value,
)
from kernels import KERNEL_KINDS
from kernels.threads import numeric_threads, one_blas_thread

ACQUISITIONS = ("logei", "ei", "pi", "ucb")
_N_INCUMBENTS = 5  # best observations the acquisition optimizer searches around
_ENUMERATION_LIMIT = 100_000  # finite spaces up to this size are enumerated when nearly exhausted
_MAX_FAILURE_WIDTH = 0.1  # widest hole a failed evaluation digs into the acquisition (unit cube)
_N_LIPSCHITZ_SAMPLE = 512  # Sobol points (plus the data) on which local penalization estimates L


# Attributes a pickled or deep-copied Optimizer does not carry over, each with the value
# the copy starts with: a lock of its own, and no journal (the copy is detached from the
# original's file). Every other attribute is copied.
_PROCESS_LOCAL: dict[str, Callable[[], Any]] = {
    "_lock": threading.RLock,
    "_journal": lambda: None,
}


class SpaceExhaustedWarning(UserWarning):
    """Every point of a finite space has been observed or is pending."""


Error: TypeAlias = "str | BaseException | None"  # what a failed evaluation is told with


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
    kernel : {"matern52", "matern32", "matern12", "rbf"}, optional
        ARD covariance of the GP; default: ``options.model.kernel``, Matérn-5/2.
        Given with ``options`` whose ``model.kernel`` differs, it raises ValueError.
    n_initial : int, optional
        Size of the scrambled-Sobol initial design (default: d + 1, within [5, 20]).
    seed : int, optional
        Seed of the only random generator; same seed and same tells → same
        asks. Without one, a seed is drawn and kept in `seed` (and the journal).
    maximize : bool
        Maximize the objective instead of minimizing it.
    ucb_beta : float, optional
        Fixed β of UCB; None uses the GP-UCB schedule of Srinivas et al. (2010).
        With another acquisition it raises ValueError (it would be unused), as do
        non-default ``options.ucb_delta``/``ucb_beta_scale`` without the schedule.
    journal : str or path, optional
        Append every ask and tell to this JSON-lines file (fsync'ed); continue
        an interrupted run with `Optimizer.resume(journal)`.
    options : OptimizerOptions, optional
        Model, hyperparameter-fit and acquisition-optimizer settings.

    Notes
    -----
    `fingerprint` and `resolved_config` identify the algorithm (every setting
    resolved to numbers, see `bayesopt.card`); the journal header holds both.

    An optimizer can be pickled (`pickle.dump` to a file and `pickle.load`
    later, or handed to another process) and copied with `copy.deepcopy`. The
    copy has the same history, pending points, random state and surrogate, so
    it asks exactly what the original would ask. It is *detached* from the
    journal: it writes to no file, while the original goes on journaling to
    its own (two writers on one journal would interleave two runs). To
    continue a journaled run in another process, use `Optimizer.resume`.
    """

    def __init__(
        self, space: Mapping[str, Dimension] | Sequence[Dimension] | Space, *,
        acquisition: str = "logei", kernel: str | None = None, n_initial: int | None = None,
        seed: int | None = None, maximize: bool = False, ucb_beta: float | None = None,
        journal: str | os.PathLike[str] | None = None, options: OptimizerOptions | None = None,
    ) -> None:
        self.space = space if isinstance(space, Space) else Space(space)
        self.acquisition = check_choice("acquisition", acquisition, ACQUISITIONS)
        self.n_initial = (default_n_initial(self.space) if n_initial is None
                          else check_count("n_initial", n_initial))
        self.maximize = check_bool("maximize", maximize)
        self.ucb_beta = None if ucb_beta is None else check_nonnegative("ucb_beta", ucb_beta)
        self.seed = (int(cast(int, np.random.SeedSequence().entropy)) if seed is None
                     else check_count("seed", seed))
        self.options = options = _resolve_options(self.acquisition, kernel, self.ucb_beta, options)
        self.rng = np.random.default_rng(self.seed)
        self._design = self.space.sobol(self.n_initial, self.rng)
        self._design_used = 0
        self._model = SurrogateModel(self.space.n_columns, options.model, self.rng)
        self._history: list[Observation] = []
        self._X_all = np.empty((0, self.space.n_columns))  # encoded history, failures included
        self._X_ok = np.empty((0, self.space.n_columns))  # encoded successful observations
        self._y_ok = np.empty(0)  # their values as minimization targets
        self._X_failed = np.empty((0, self.space.n_columns))
        self._pending: list[tuple[dict[str, Any], np.ndarray]] = []
        self._lock = threading.RLock()
        self._journal = None if journal is None else journal_format.JournalWriter.create(
            journal, self._journal_header())

    # ------------------------------------------- pickling and deep copies
    def __getstate__(self) -> dict[str, Any]:
        """The instance's state without its process-local resources, as one consistent snapshot."""
        with self._lock:
            return copy.deepcopy(self._portable_state())

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        for name, fresh in _PROCESS_LOCAL.items():
            setattr(self, name, fresh())

    def __deepcopy__(self, memo: dict[int, Any]) -> Optimizer:
        with self._lock:
            state = copy.deepcopy(self._portable_state(), memo)
        duplicate = type(self).__new__(type(self))
        duplicate.__setstate__(state)
        return duplicate

    def _portable_state(self) -> dict[str, Any]:
        return {name: value for name, value in self.__dict__.items() if name not in _PROCESS_LOCAL}

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
        """The best successful observation so far, or None (noisy objectives: `recommend`)."""
        with self._lock:
            return best_observation(self._history, self.maximize)

    def recommend(self) -> Recommendation:
        """The observed point with the best posterior mean (for noisy objectives).

        Unlike `best` (the best value as observed, which on a noisy objective
        is often the luckiest draw), this ranks the observed points by the
        surrogate's latent mean; see `bayesopt.surrogate.Surrogate.recommend`.
        Raises ValueError before the surrogate is fitted (n_initial successes).
        """
        return self.surrogate().recommend()

    def surrogate(self) -> Surrogate:
        """A snapshot of the fitted surrogate in user terms (`bayesopt.surrogate.Surrogate`):
        posterior predictions at params dicts, hyperparameters by dimension name, the
        acquisition this optimizer maximizes, the log marginal likelihood, `recommend`.

        Raises ValueError before the surrogate is fitted (n_initial successes).
        """
        with self._lock:
            if self._model.gp is None:
                raise ValueError(
                    f"no surrogate yet: it is fitted once n_initial={self.n_initial} evaluations "
                    f"have succeeded ({self._y_ok.shape[0]} so far)")
            model = copy.deepcopy(self._model)
            model.clear_fantasies()
            observed = [o for o in self._history if o.ok]
            acquisitions = (self._snapshot_objective(pending=False),
                            self._snapshot_objective(pending=True))
            return Surrogate(self.space, model, self.maximize, observed, acquisitions)

    def _snapshot_objective(self, pending: bool) -> AcquisitionObjective:
        """`_acquisition_objective` of a deep copy (nothing here changes)."""
        twin = copy.deepcopy(self)  # its own model, generator and lock; no journal
        if not pending:
            twin._pending = []
        return twin._acquisition_objective()

    def result(self) -> OptimizeResult:
        """The history, the best point and a snapshot of the surrogate (`surrogate()`)."""
        with self._lock:
            surrogate = self.surrogate() if self._model.gp is not None else None
            return OptimizeResult.from_history(
                self._history, self.space, self.maximize,
                None if surrogate is None else surrogate.model, surrogate)

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
        count = 1 if n is None else check_count("n", n, minimum=1)
        with self._lock, numeric_threads(len(self._history)):
            points = []
            try:
                for _ in range(count):
                    params, x = self._new_point()
                    self._pending.append((params, x))
                    points.append(params)
            finally:
                self._model.clear_fantasies()
                if points:
                    self._write("ask", points)
        return dict(points[0]) if n is None else [dict(p) for p in points]

    def _new_point(self) -> tuple[dict[str, Any], np.ndarray]:
        """The next point and its canonical encoding.

        Proposals are checked against observed and pending points before
        decoding; decoding can still land on one of them (a Real narrow next
        to its magnitude has few floats), so the canonical encoding is checked
        again and a random new point taken instead. When a finite space has
        no new point left, this warns once and repeats the best observation.
        """
        x = self._propose()
        for _ in range(8):
            if x is None:
                break
            params = self.space.decode(x)[0]
            canonical = self.space.encode([params])[0]
            if not _is_near(canonical, self._avoid()):
                return params, canonical
            x = self._random_new_point(self._avoid())
        return self._repeat_point()

    def _propose(self) -> np.ndarray | None:
        n_ok = self._y_ok.shape[0]
        if n_ok + len(self._pending) < self.n_initial or n_ok == 0:
            return self._design_point()
        return self._model_point()

    def _avoid(self) -> np.ndarray:
        pending = [x for _, x in self._pending]
        return np.concatenate([self._X_all, np.reshape(pending, (-1, self.space.n_columns))])

    def _design_point(self) -> np.ndarray | None:
        avoid = self._avoid()
        while self._design_used < self._design.shape[0]:
            x: np.ndarray = self._design[self._design_used]
            self._design_used += 1
            if not _is_near(x, avoid):
                return x
        return self._random_new_point(avoid)

    def _random_new_point(self, avoid: np.ndarray) -> np.ndarray | None:
        """A uniformly random point not in `avoid`, or None if a finite space has none left."""
        for _ in range(64):
            x: np.ndarray = self.space.from_unit(self.rng.random((1, self.space.n_dims)))[0]
            if not _is_near(x, avoid):
                return x
        fresh = self._unobserved_points(avoid)
        if fresh is None:  # a large or continuous space: 64 misses are bad luck, not exhaustion
            x = self.space.from_unit(self.rng.random((1, self.space.n_dims)))[0]
            return x
        return fresh[self.rng.integers(fresh.shape[0])] if fresh.shape[0] else None

    def _repeat_point(self) -> tuple[dict[str, Any], np.ndarray]:
        warnings.warn(
            f"search space exhausted: all {self.space.cardinality} points are observed or "
            "pending; proposing a repeat of an observed point",
            SpaceExhaustedWarning, stacklevel=5,
        )
        best = self.best
        params = best.params if best is not None else self.space.decode(
            self._avoid()[self.rng.integers(len(self._avoid()))])[0]
        return dict(params), self.space.encode([params])[0]

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

    def _model_point(self) -> np.ndarray | None:
        objective = self._acquisition_objective()
        avoid = self._avoid()
        proposal = optimize_acquisition(
            objective, self._domain(), self.rng, self._incumbents(), avoid,
            self.options.acquisition_optimizer.for_data_size(self._y_ok.shape[0]),
        )
        return self._random_new_point(avoid) if proposal is None else proposal.x

    def _acquisition_objective(self) -> AcquisitionObjective:
        """What the next ask maximizes: the acquisition of the model conditioned on the
        pending points (fantasies or local penalties), damped around failures."""
        if self._model.n_observed != self._y_ok.shape[0] or self._model.gp is None:
            self._model.update(self._X_ok, self._y_ok)
        self._model.clear_fantasies()
        pending = np.reshape([x for _, x in self._pending], (-1, self.space.n_columns))
        if self._model.options.fantasy == "penalize":
            penalty = self._penalty(self._local_penalty(pending))
        else:
            self._model.add_fantasies(pending)
            penalty = self._penalty(None)
        return AcquisitionObjective(self._acquisition_function(), self._model, penalty,
                                    local_search_context=one_blas_thread)

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

    def _penalty(self, local: LocalPenalty | None) -> Penalty | None:
        parts = [p for p in (self._failure_penalty(), local) if p is not None]
        if len(parts) <= 1:
            return parts[0] if parts else None
        return CombinedPenalty(tuple(parts))

    def _failure_penalty(self) -> FailurePenalty | None:
        if self._X_failed.shape[0] == 0:
            return None
        widths = np.minimum(self._model.lengthscales, _MAX_FAILURE_WIDTH)
        return FailurePenalty(self._X_failed, widths)

    def _local_penalty(self, pending: np.ndarray) -> LocalPenalty | None:
        """Local penalization of the pending points (González et al. 2016; acquisition.penalty)."""
        if pending.shape[0] == 0:
            return None
        sample = np.concatenate([self.space.sobol(_N_LIPSCHITZ_SAMPLE, self.rng), self._X_ok])
        lipschitz = lipschitz_estimate(self._model.predict_with_gradient(sample)[2])
        mean, std = self._model.predict(pending)
        return LocalPenalty(pending, mean, std, self._model.observed_incumbent, lipschitz)

    def _domain(self) -> Domain:
        space = self.space
        return Domain(
            dim=space.n_columns,
            sample=lambda n, rng: space.sobol(n, rng),
            project=space.project,
            categorical_groups=space.categorical_groups,
        )

    def _incumbents(self) -> np.ndarray:
        return self._X_ok[np.argsort(self._y_ok, kind="stable")[:_N_INCUMBENTS]]

    def add_pending(self, params: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> None:
        """Mark point(s) being evaluated elsewhere as pending.

        They are never proposed again and are fantasized like pending asks;
        the journal records them as an ask event, and they are told later
        like any ask (`tell` or `tell_failure`).
        """
        points, _ = as_batch(params, None)
        with self._lock:
            canonical = [self.space.validate(p) for p in points]
            X = self.space.encode(canonical)
            self._pending.extend(zip(canonical, X))
            self._write("ask", canonical)

    # --------------------------------------------------------------- tell
    def tell(self, params: Mapping[str, Any] | Sequence[Mapping[str, Any]],
             value: float | Sequence[float], *,
             duration: float | Sequence[float | None] | None = None) -> None:
        """Record evaluated point(s): one dict and one number, or equal-length lists of each.

        Everything is validated before anything is recorded. A non-finite
        value raises: report a failed evaluation with `tell_failure`.
        `duration` (seconds the evaluation took; one number, or one per point)
        is kept in `Observation.duration`, beside the tell's `timestamp`.
        """
        points, values = as_batch(params, value)
        with self._lock:
            canonical = [self.space.validate(p) for p in points]
            numbers = [check_value(v, i if len(values) > 1 else None) for i, v in enumerate(values)]
            seconds = check_durations(duration, len(points))
            self._record(canonical, numbers, [None] * len(points), timestamp=time.time(),
                         durations=seconds)
            with numeric_threads(len(self._history)):
                self._update_model()
            self._write("tell", canonical, values=numbers)

    def tell_failure(self, params: Mapping[str, Any] | Sequence[Mapping[str, Any]],
                     error: Error | Sequence[Error] = None, *,
                     duration: float | Sequence[float | None] | None = None) -> None:
        """Record that evaluating `params` failed (kept in the history, never re-proposed).

        `error` (text or an exception) applies to every point; for a list of
        params it may also be a list with one error per point. `duration` as
        for `tell`.
        """
        points, _ = as_batch(params, None)
        messages = _error_messages(error, len(points))
        seconds = check_durations(duration, len(points))
        with self._lock:
            canonical = [self.space.validate(p) for p in points]
            self._record(canonical, [None] * len(points), messages, timestamp=time.time(),
                         durations=seconds)
            self._write("failure", canonical, errors=messages)

    def _record(self, points: list[dict[str, Any]], values: Sequence[float | None],
                errors: Sequence[str | None], *, timestamp: float | None = None,
                durations: Sequence[float | None] | None = None) -> None:
        """Append observations (value None = failed) and release their pending entries."""
        X = self.space.encode(points)
        for params, x, value, error, duration in zip(
                points, X, values, errors, durations or [None] * len(points)):
            status: Status = "failed" if value is None else "ok"
            self._history.append(Observation(len(self._history), params, value, status, error,
                                             timestamp=timestamp, duration=duration))
            self._forget_pending(x)
        ok = np.array([value is not None for value in values], dtype=bool)
        targets = np.array([v for v in values if v is not None], dtype=float)
        self._X_all = np.concatenate([self._X_all, X])
        self._X_ok = np.concatenate([self._X_ok, X[ok]])
        self._y_ok = np.concatenate([self._y_ok, -targets if self.maximize else targets])
        self._X_failed = np.concatenate([self._X_failed, X[~ok]])

    def _forget_pending(self, x: np.ndarray) -> None:
        for i, (_, xp) in enumerate(self._pending):
            if np.array_equal(xp, x):
                del self._pending[i]
                return

    def _update_model(self) -> None:
        """Extend the model now (block append or scheduled refit) once it is in use."""
        if self._model.gp is None and self._y_ok.shape[0] < self.n_initial:
            return
        if self._y_ok.shape[0]:
            self._model.update(self._X_ok, self._y_ok)

    # ------------------------------------------------------------ journal
    @property
    def config(self) -> dict[str, Any]:
        """The settings that, with the space, define this optimizer (as in the journal header)."""
        return {
            "acquisition": self.acquisition, "n_initial": self.n_initial, "seed": self.seed,
            "maximize": self.maximize, "ucb_beta": self.ucb_beta,
            "options": self.options.to_dict(),
        }

    @property
    def resolved_config(self) -> dict[str, Any]:
        """Every setting that decides the asks, as numbers — the priors resolved for this
        space's encoded columns, the noise floor, restarts, candidate counts — but not the
        seed (`bayesopt.card.resolved_config`)."""
        from bayesopt.card import resolved_config

        return resolved_config(self.space, self.acquisition, self.n_initial, self.maximize,
                               self.ucb_beta, self.options)

    @property
    def fingerprint(self) -> str:
        """16 hex digits identifying `resolved_config` (sha256 of its canonical JSON)."""
        from bayesopt.card import fingerprint

        return fingerprint(self.resolved_config)

    def _journal_header(self) -> dict[str, Any]:
        from bayesopt import __version__

        return {
            "journal": journal_format.JOURNAL_FORMAT, "version": journal_format.JOURNAL_VERSION,
            "library": __version__, "space": self.space.to_dict(), "config": self.config,
            "fingerprint": self.fingerprint, "resolved_config": self.resolved_config,
        }

    def _write(self, event: str, points: list[dict[str, Any]], **fields: Any) -> None:
        if self._journal is None:
            return
        record: dict[str, Any] = {
            "event": event, "points": [journal_format.encode_point(self.space, p) for p in points],
        }
        record.update(fields)
        record["state"] = {
            "rng": self.rng.bit_generator.state, "design_used": self._design_used,
            "model": self._model.state(),
        }
        self._journal.write(record)

    @classmethod
    def resume(
        cls, journal: str | os.PathLike[str],
        space: Mapping[str, Dimension] | Sequence[Dimension] | Space | None = None,
        *, append: bool = True,
    ) -> Optimizer:
        """Rebuild an optimizer from its journal and keep journaling to it.

        The history, the pending points, the random generator and the
        surrogate are restored, so the next `ask` equals what the interrupted
        optimizer would have asked. `space`, if given, must equal the
        journal's, dimension by dimension and in order (required when a
        categorical's choices do not survive JSON, e.g. tuples). With
        ``append=False`` the file is only read: nothing is written to it and
        a torn last line is left alone (for looking at a run still going on).
        """
        from bayesopt.resume import rebuild

        return rebuild(cls, journal, space, append)

    def close(self) -> None:
        """Close the journal file (the optimizer stays usable without journaling)."""
        with self._lock:
            if self._journal is not None:
                self._journal.close()
                self._journal = None


def _resolve_options(
    acquisition: str, kernel: str | None, ucb_beta: float | None,
    options: OptimizerOptions | None,
) -> OptimizerOptions:
    """The options with `kernel=` applied; a setting the other arguments would leave
    unused, or a kernel given twice and differently, raises naming both."""
    if options is not None and not isinstance(options, OptimizerOptions):
        raise TypeError(f"options={options!r} must be an OptimizerOptions")
    given = options is not None
    options = options or OptimizerOptions()
    if kernel is not None:
        check_choice("kernel", kernel, KERNEL_KINDS)
        if given and KERNEL_KINDS[kernel] != KERNEL_KINDS[options.model.kernel]:
            raise ValueError(f"kernel={kernel!r} conflicts with options.model.kernel="
                             f"{options.model.kernel!r}; give the kernel in one place")
        options = replace(options, model=replace(options.model, kernel=kernel))
    unused = _unused_settings(acquisition, ucb_beta, options)
    if unused:
        settings = ", ".join(f"{key}={value!r}" for key, value in unused.items())
        raise ValueError(f"{settings}: not used with acquisition={acquisition!r}"
                         + ("" if ucb_beta is None or "ucb_beta" in unused
                            else f" and ucb_beta={ucb_beta!r}"))
    return options


def _unused_settings(
    acquisition: str, ucb_beta: float | None, options: OptimizerOptions
) -> dict[str, Any]:
    """Settings that differ from their defaults but that nothing would read."""
    default, model = OptimizerOptions(), options.model
    schedule = acquisition == "ucb" and ucb_beta is None  # the GP-UCB β schedule is used
    rows = (  # key, value, default, unused
        ("ucb_beta", ucb_beta, None, acquisition != "ucb"),
        ("options.ucb_delta", options.ucb_delta, default.ucb_delta, not schedule),
        ("options.ucb_beta_scale", options.ucb_beta_scale, default.ucb_beta_scale, not schedule),
        # UCB has no incumbent (local penalization still uses one)
        ("options.model.incumbent", model.incumbent, default.model.incumbent,
         acquisition == "ucb" and model.fantasy != "penalize"),
    )
    return {key: value for key, value, usual, idle in rows if idle and value != usual}


def _error_messages(error: Error | Sequence[Error], n_points: int) -> list[str | None]:
    """One message per failed point: the text of an error, or of each of a list of them."""
    errors = list(error) if isinstance(error, (list, tuple)) else [error] * n_points
    if len(errors) != n_points:
        raise ValueError(f"got {len(errors)} errors for {n_points} failed point(s)")
    for item in errors:
        if not (item is None or isinstance(item, (str, BaseException))):
            raise TypeError(f"error must be a string, an exception or None, got {item!r}")
    return [item if item is None or isinstance(item, str) else repr(item) for item in errors]


def _is_near(x: np.ndarray, points: np.ndarray, tol: float = 1e-12) -> bool:
    return bool(points.shape[0]) and bool(np.min(np.sum((points - x) ** 2, axis=1)) <= tol)

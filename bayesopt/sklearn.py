"""`BayesSearchCV`: scikit-learn's hyperparameter search, driven by Bayesian optimization.

A drop-in for ``GridSearchCV`` / ``RandomizedSearchCV``, built on scikit-learn's
``BaseSearchCV``: cross-validation, scoring, refitting, ``cv_results_`` and
parallel fits are scikit-learn's; only the choice of candidates differs. An
ask/tell `Optimizer` (maximizing) proposes each candidate from the mean
cross-validated scores of the earlier ones; the parameters and the
subspace semantics are scikit-optimize's ``BayesSearchCV``'s:

    for each subspace (its own Optimizer) and its n_iter candidates, n_points at a time:
        candidates = optimizer.ask(n_points)        # fewer once a finite subspace runs out
        results    = evaluate_candidates(candidates)   # n_points × n_splits fits on n_jobs
        optimizer.tell(candidates, results["mean_test_<metric>"][-n_points:])  # NaN → failure
        # every fit failed: scikit-learn raised and recorded nothing; the candidates are told
        # as failures, added to cv_results_ at the end, and max_consecutive_failures of them
        # in a row (across subspaces) stop the search
        if any(callback(optimizer.result()) for callback in callbacks): next subspace

scikit-learn is an optional dependency: ``pip install 'bayesopt[sklearn]'``.
"""

from __future__ import annotations

import functools
import inspect
import logging
import math
import numbers
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, ParamSpec

import numpy as np
from scipy.stats import rankdata

try:
    from joblib import effective_n_jobs
    from sklearn.base import is_classifier
    from sklearn.exceptions import FitFailedWarning
    from sklearn.model_selection import check_cv
    from sklearn.model_selection._search import BaseSearchCV
    from sklearn.utils import check_random_state
    from sklearn.utils._param_validation import Interval, StrOptions
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError(
        "bayesopt.sklearn needs scikit-learn; install it with: pip install 'bayesopt[sklearn]'"
    ) from error

from bayesopt.choices import AcquisitionName
from bayesopt.failures import DEFAULT_MAX_CONSECUTIVE_FAILURES, TooManyFailuresError
from bayesopt.optimizer import ACQUISITIONS, Optimizer, disconnect
from bayesopt.propose import admitted_count
from bayesopt.result import OptimizeResult
from bayesopt.space import Categorical, Dimension, Fidelity, Integer, Real, Space, tuple_dimension
from bayesopt.validation import PEER_NAMES, keyword_only, shown, unknown_keywords

__all__ = ["BayesSearchCV", "TooManyFailedCandidatesError"]

logger = logging.getLogger(__name__)

EvaluateCandidates = Callable[[list[dict[str, Any]]], dict[str, Any]]
Callback = Callable[[OptimizeResult], Any]
_SEED_BOUND = 2**31 - 1  # seeds drawn from a RandomState are in [0, _SEED_BOUND)
# Optimizer arguments BayesSearchCV sets itself (or takes as its own parameters)
_RESERVED_OPTIMIZER_KWARGS = {
    "space": "search_spaces", "seed": "random_state", "maximize": "the search (it maximizes)",
    "journal": "the search (several subspaces cannot share one journal)",
    "acquisition": "BayesSearchCV(acquisition=...)", "n_initial": "BayesSearchCV(n_initial=...)",
}
_UNSUPPORTED_OPTIMIZER_KWARGS = {
    "n_constraints": "a cross-validated score comes with no outcome constraint values to tell",
}


# the peers' search keywords, and what to write here (scikit-learn's own searches,
# sklearn-deap's EvolutionaryAlgorithmSearchCV)
_SPACE_KEYWORD = "{} is search_spaces= here (a list, range or 1-D array of values is a Categorical)"
_PEER_SEARCH_REASONS = {
    "param_distributions": _SPACE_KEYWORD.format("RandomizedSearchCV's param_distributions="),
    "param_grid": _SPACE_KEYWORD.format("GridSearchCV's param_grid="),
    "params": _SPACE_KEYWORD.format("sklearn-deap's params="),
    **dict.fromkeys(
        ["population_size", "generations_number", "gene_mutation_prob", "gene_crossover_prob",
         "tournament_size"],
        "sklearn-deap's evolution has no counterpart: n_iter= counts the candidates "
        "(population_size × generations_number), n_points= how many are asked at once"),
    "seed": "seed= is random_state= here, scikit-learn's name",
    "n_calls": "minimize's n_calls= is n_iter= here, scikit-learn's name",
}
_P = ParamSpec("_P")


def _hint_peer_keywords(init: Callable[_P, None]) -> Callable[_P, None]:
    """`init` with an unknown keyword (RandomizedSearchCV's param_distributions=,
    sklearn-deap's params=, ...) refused by `unknown_keywords`' hint, not by Python's bare
    TypeError. `inspect.signature`, and so scikit-learn's `get_params`, sees `init`'s own
    (functools.wraps sets ``__wrapped__``)."""
    accepted = [name for name in inspect.signature(init).parameters if name != "self"]

    @functools.wraps(init)
    def hinted(*args: _P.args, **kwargs: _P.kwargs) -> None:
        unknown_keywords(kwargs, accepted, "BayesSearchCV", _PEER_SEARCH_REASONS)
        init(*args, **kwargs)
    return hinted


class TooManyFailedCandidatesError(TooManyFailuresError, ValueError):
    """`BayesSearchCV` stopped after ``max_consecutive_failures`` candidates in a row whose
    every fit failed.

    Both the error `bayesopt.minimize` raises for the same rule (a
    `bayesopt.TooManyFailuresError`, with its attributes) and a ValueError, the
    type of scikit-learn's "All the N fits failed" error.

    Attributes
    ----------
    first_error : str
        scikit-learn's report (the fits' tracebacks) for the first candidate of the streak.
    n_failures : int
        Candidates in the streak.
    result : OptimizeResult
        The record of the subspace the search stopped in: every candidate its
        optimizer proposed, in order, a failed one with status ``"failed"`` and
        scikit-learn's report as its ``error``.
    results : list of OptimizeResult
        One record per subspace searched until the stop, in order (what
        ``optimizer_results_`` holds after a search that finishes); the last is
        `result`.
    """

    def __init__(self, first_error: str, n_failures: int, limit: int,
                 results: list[OptimizeResult]) -> None:
        super().__init__(first_error, n_failures, message=(
            f"BayesSearchCV stopped after {n_failures} candidates in a row whose every fit "
            f"failed (max_consecutive_failures={limit}): the estimator, its fit parameters "
            "or the search space look misconfigured (error_score='raise' raises the first "
            "error as it happens; max_consecutive_failures=None searches on). The first of "
            f"them failed with:{first_error}"))
        self.results = results
        self.result = results[-1]


class BayesSearchCV(BaseSearchCV):  # type: ignore[misc]
    """Hyperparameter search by Bayesian optimization over cross-validated scores.

    Implements ``fit``, ``score`` and, when the refitted estimator has them,
    ``predict``, ``predict_proba``, ``decision_function``, ``transform`` and
    friends, exactly as ``RandomizedSearchCV`` does. Candidates are proposed
    one at a time by a GP-based `bayesopt.Optimizer` that maximizes the mean
    test score (the ``refit`` metric when several are given); a candidate
    whose fits fail (score NaN with the default ``error_score``) is recorded
    as a failed evaluation and never proposed again, one whose every fit
    failed is kept in ``cv_results_`` as ``RandomizedSearchCV`` keeps it, and
    ``max_consecutive_failures`` of those in a row stop a misconfigured search.

    Parameters
    ----------
    estimator : estimator object
        The estimator to tune (anything with ``fit``, including a Pipeline).
    search_spaces : dict, list of dict, or list of (dict, int)
        ``{parameter name: dimension}`` with ``Real``, ``Integer`` or
        ``Categorical`` dimensions from `bayesopt`; a plain list of values (or
        a ``range``, or a 1-D array) is taken as ``Categorical(values)``, where a
        dict of hashable values (a ``class_weight``) is a choice like any other,
        and RandomizedSearchCV's uniform distributions as the dimension with the same
        support: ``scipy.stats.loguniform(a, b)`` as ``Real(a, b, log=True)``,
        ``uniform(loc, scale)`` as ``Real(loc, loc + scale)``, ``randint(a, b)``
        as ``Integer(a, b - 1)`` (other distributions raise: the optimizer
        chooses the points, so only a uniform one says what to search). A tuple
        raises (skopt's ``(low, high, prior)`` is ambiguous with a tuple of
        choices). Parameter names follow
        ``set_params`` (``"svc__C"`` for a Pipeline step). As in
        scikit-optimize, a list of such dicts is a list of subspaces searched
        one after the other, each by its own optimizer, with ``n_iter``
        candidates each, or with its own count when given as a
        ``(dict, n_iter)`` pair.
    n_iter : int, default=50
        Number of candidates evaluated per subspace (unless its pair gives
        another count). A finite subspace stops early once every one of its
        points (with ``optimizer_kwargs`` ``feasible``, every admitted one) has
        been evaluated: no candidate is cross-validated twice.
    optimizer_kwargs : dict, default=None
        Further arguments of `bayesopt.Optimizer` (``kernel``, ``ucb_beta``,
        ``options``), checked at ``fit``; ``acquisition`` and ``n_initial``
        are parameters of this class, and the space, seed and direction are
        set by the search. ``n_constraints`` raises (a score has no outcome
        constraints). Each candidate is told with its cost, the seconds its
        folds took to fit and score, which ``acquisition="logei_per_cost"``
        models (and ``cost_budget`` spends; a candidate with failed fits counts
        in the spending, not in the model). ``storage`` and ``study`` attach
        the optimizer to a shared study (one subspace only: a study has one
        space), so a second ``fit`` continues that study; ``pruner`` is
        taken only with them (the search reports no intermediate scores).
        A storage given by URL or path holds no connection once ``fit``
        returns or raises (SQLite, PostgreSQL; a JSON-lines file keeps its
        descriptors): see ``optimizers_``. A ``Storage`` object is the
        caller's, left open.
    n_points : int, default=None
        Candidates asked at once (``Optimizer.ask(n_points)``, the others
        pending) and cross-validated together, ``n_points × n_splits`` fits
        in parallel on ``n_jobs``. None: ``max(1, n_jobs // n_splits)``.
    scoring : str, callable, list, tuple or dict, default=None
        As for ``RandomizedSearchCV``. With several metrics, ``refit`` must
        name the one to optimize.
    n_jobs : int, default=None
        Parallel fits (folds × candidates). Without ``n_points``, with
        ``n_jobs`` larger than the number of folds, ``n_jobs // n_splits``
        candidates are asked at once (as a batch with pending points), so
        results depend on ``n_jobs``.
    refit : bool or str, default=True
        Refit the best candidate on the whole data set, as for
        ``RandomizedSearchCV``.
    cv : int, cross-validation generator or iterable, default=None
        As for ``RandomizedSearchCV`` (5-fold by default).
    verbose : int, default=0
        Verbosity of scikit-learn's fitting loop.
    pre_dispatch : int or str, default="2*n_jobs"
        As for ``RandomizedSearchCV``.
    random_state : int, RandomState instance or None, default=None
        Seed of the optimizer. An int is used as the seed itself (the
        subspaces after the first get seeds derived from it); a
        ``RandomState`` (or None: numpy's global one) gives one seed per
        subspace drawn from it at each ``fit``.
    error_score : "raise" or float, default=np.nan
        Score of a failed fit, as for ``RandomizedSearchCV``. NaN marks the
        candidate as failed (told to the optimizer as a failed evaluation,
        never proposed again); a number is told to the optimizer as that
        candidate's score. A candidate whose every fit failed is told as a
        failed evaluation whatever ``error_score`` is, and is recorded in
        ``cv_results_`` as ``RandomizedSearchCV`` records it: ``error_score``
        as each split's and the mean test (and train) score, std 0 (NaN when
        ``error_score`` is NaN), ranked by that score (NaN after every
        number). scikit-learn raises, and records nothing, when every fit of
        one evaluation fails, so the search adds these rows itself, in the
        order evaluated, after choosing ``best_index_`` among the rows it
        recorded (a numeric ``error_score`` above every real score never makes
        such a candidate the best); scikit-learn reports no timing for such an
        evaluation, so their fit and score times are NaN.
        The first such candidate of a ``fit`` issues a ``FitFailedWarning``
        with scikit-learn's report; later ones are logged (``bayesopt.sklearn``
        logger, INFO). If every candidate fails, ``fit`` raises scikit-learn's
        error. ``"raise"`` raises the first fit's error, as in scikit-learn.
    return_train_score : bool, default=False
        Also record training scores in ``cv_results_``.
    n_initial : int, default=None
        Size of the optimizer's scrambled-Sobol initial design (default:
        number of dimensions + 1, within [5, 20]).
    acquisition : {"logei", "ei", "pi", "ucb", "logei_per_cost", "hedge", "mace", \
"lognei", "logaei"}, default="logei"
        The optimizer's acquisition function (`bayesopt.Optimizer`'s).
    max_consecutive_failures : int or None, default=5
        Stop rule for a misconfigured search, `bayesopt.minimize`'s rule and
        default (`bayesopt.failures`): this many candidates in a row whose
        every fit failed — a misspelt fit parameter, a wrong ``step__`` prefix,
        an estimator that cannot fit — stop the search with a
        `TooManyFailedCandidatesError`, a ValueError as scikit-learn's "All the
        N fits failed" error is and a `bayesopt.TooManyFailuresError` as
        `minimize`'s is, giving their number and the first one's scikit-learn
        report (the tracebacks); its ``result`` (``results``: one per subspace
        searched) holds every candidate tried until then, each failed one with
        its report, since the search itself is left unfitted.
        The count runs over the whole search, across subspaces, in the order
        evaluated; a candidate with at least one successful fit resets it.
        A batch of ``n_points`` candidates is cross-validated together and
        scikit-learn reports its failures together, so it counts as
        ``n_points`` failures when all its fits failed, else it resets the
        count. None never stops. Without effect with ``error_score="raise"``
        (the first failed fit raises).

    Attributes
    ----------
    cv_results_ : dict of numpy (masked) ndarrays
        One entry per candidate, in the order evaluated (``params``,
        ``param_<name>``, ``mean_test_score``, ``rank_test_score``, ...),
        those whose every fit failed included (see ``error_score``).
    best_estimator_ : estimator
        The estimator refit with the best parameters (if ``refit``).
    best_score_ : float
        Mean cross-validated score of the best candidate.
    best_params_ : dict
        The best candidate.
    best_index_ : int
        Its index in ``cv_results_``, of GridSearchCV's type: ``numpy.int64`` (the
        argmin of the ranks), or what a callable ``refit`` returned.
    scorer_ : function or dict
        The scorer(s) used.
    n_splits_ : int
        Number of cross-validation splits.
    refit_time_ : float
        Seconds spent refitting the best candidate.
    multimetric_ : bool
        Whether several metrics were evaluated.
    optimizer_results_ : list of OptimizeResult
        One optimizer's record per subspace, in order (``maximize=True``,
        values are the optimized mean test scores), e.g. for `bayesopt.plots`.
    optimize_result_ : OptimizeResult
        The record of the subspace that holds the best candidate
        (``best_index_``, which a callable ``refit`` chooses).
    optimizers_ : list of Optimizer
        One optimizer per subspace, as scikit-optimize keeps them (e.g. to
        continue a subspace's search with ask/tell). One attached to a study
        by URL or path connects again at its first use after ``fit`` (reading
        its ``history`` included); close it then (``close()``, or ``with``).

    See Also
    --------
    sklearn.model_selection.RandomizedSearchCV : the same search with random candidates.

    Examples
    --------
    >>> from bayesopt import Real
    >>> from bayesopt.sklearn import BayesSearchCV
    >>> from sklearn.svm import SVC
    >>> search = BayesSearchCV(SVC(), {"C": Real(1e-2, 1e2, log=True)}, n_iter=10, cv=3)
    >>> search.fit(X, y).best_params_  # doctest: +SKIP
    {'C': 3.1}
    """

    cv_results_: dict[str, Any]  # set by BaseSearchCV.fit
    best_index_: int | np.integer[Any]

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **BaseSearchCV._parameter_constraints,
        "search_spaces": [dict, list],
        "n_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "optimizer_kwargs": [dict, None],
        "n_points": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "random_state": ["random_state"],
        "n_initial": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "acquisition": [StrOptions(set(ACQUISITIONS))],
        "max_consecutive_failures": [Interval(numbers.Integral, 1, None, closed="left"), None],
    }

    @_hint_peer_keywords
    def __init__(
        self, estimator: Any, search_spaces: dict[str, Any] | list[Any], n_iter: int = 50, *,
        optimizer_kwargs: dict[str, Any] | None = None, n_points: int | None = None,
        scoring: Any = None, n_jobs: int | None = None, refit: Any = True, cv: Any = None,
        verbose: int = 0, pre_dispatch: int | str = "2*n_jobs", random_state: Any = None,
        error_score: Any = np.nan, return_train_score: bool = False,
        n_initial: int | None = None, acquisition: AcquisitionName = "logei",
        max_consecutive_failures: int | None = DEFAULT_MAX_CONSECUTIVE_FAILURES,
    ) -> None:
        super().__init__(
            estimator=estimator, scoring=scoring, n_jobs=n_jobs, refit=refit, cv=cv,
            verbose=verbose, pre_dispatch=pre_dispatch, error_score=error_score,
            return_train_score=return_train_score,
        )
        self.search_spaces = search_spaces
        self.n_iter = n_iter
        self.optimizer_kwargs = optimizer_kwargs
        self.n_points = n_points
        self.random_state = random_state
        self.n_initial = n_initial
        self.acquisition = acquisition
        self.max_consecutive_failures = max_consecutive_failures

    def fit(self, X: Any, y: Any = None, *, callback: Callback | Sequence[Callback] | None = None,
            **params: Any) -> BayesSearchCV:
        """Run the search, then refit the best candidate (``RandomizedSearchCV.fit``).

        Each call starts a new search, as ``RandomizedSearchCV.fit`` and
        scikit-optimize's ``fit`` do: new optimizers (``optimizers_`` and the
        results are replaced), the same candidates again with an int
        ``random_state``, new seeds drawn from a ``RandomState``. To continue a
        search, ask and tell ``optimizers_[i]`` directly. The exception: with
        ``optimizer_kwargs`` ``storage`` and ``study``, each ``fit`` attaches
        to the stored study and continues it (``cv_results_`` holds this
        ``fit``'s candidates only).

        Parameters
        ----------
        X, y, **params
            As for ``RandomizedSearchCV.fit`` (``groups``, fit parameters).
        callback : callable or list of callables, optional
            As in scikit-optimize: ``callback(result)`` after each batch of
            candidates, with the current subspace's `OptimizeResult`; a
            callback returning True ends that subspace's search (the next
            subspace, if any, is still searched).

        Returns
        -------
        self
        """
        self._callbacks = _check_callbacks(callback)
        self._unrecorded: list[tuple[int, dict[str, Any]]] = []  # set by _run_search
        self._rows_per_subspace: list[int] = []  # set by _run_search
        self._split_data = (X, y, params.get("groups"))  # for _run_search's _n_splits
        try:
            super().fit(X, y, **params)
            self._record_unrecorded()
            self._choose_optimize_result()
            return self
        finally:
            del self._callbacks, self._unrecorded, self._rows_per_subspace, self._split_data
            self.__dict__.pop("_n_splits", None)

    def _run_search(self, evaluate_candidates: EvaluateCandidates) -> None:
        """Search each subspace in turn with its own optimizer."""
        self._check_refit_names_a_metric()
        # scikit-learn sets n_splits_ before _run_search from 1.9 on, only after it before
        # (1.6 to 1.8, which the extras admit): the folds are counted as its fit counts them
        X, y, groups = self._split_data
        cv = check_cv(self.cv, y, classifier=is_classifier(self.estimator))
        self._n_splits = int(cv.get_n_splits(X, y, groups=groups))
        _check_no_bool_counts(self)
        subspaces = _subspaces(self.search_spaces, self.n_iter)
        kwargs = _optimizer_kwargs(self.optimizer_kwargs, len(subspaces))
        seeds = _seeds(self.random_state, len(subspaces))
        run = _Evaluation(evaluate_candidates, self)
        callbacks: list[Callback] = getattr(self, "_callbacks", [])  # set by fit
        optimizers = run.optimizers
        try:
            for (space, n_iter), seed in zip(subspaces, seeds):
                opt = Optimizer(space, acquisition=self.acquisition, n_initial=self.n_initial,
                                seed=seed, maximize=True, **kwargs)
                optimizers.append(opt)
                run.rows_per_subspace.append(0)
                self._search(opt, n_iter, run, callbacks)
            self.optimizers_ = optimizers
            self.optimizer_results_ = [opt.result() for opt in optimizers]
            self.optimize_result_ = self.optimizer_results_[run.best_subspace(optimizers)]
        finally:
            # the connections fit opened from a URL or path end with the search (a Storage
            # object given is the caller's); the optimizers connect again when used
            for opt in optimizers:
                disconnect(opt)
        run.raise_if_nothing_recorded()
        self._unrecorded = run.unrecorded
        self._rows_per_subspace = run.rows_per_subspace

    def _choose_optimize_result(self) -> None:
        """``optimize_result_``: the subspace of row ``best_index_`` of ``cv_results_``.

        That is the subspace of the best score, unless a callable ``refit`` chose
        another row. Rows are in the order evaluated, subspace after subspace,
        those whose every fit failed included.
        """
        if hasattr(self, "best_index_"):
            ends = np.cumsum(self._rows_per_subspace)
            subspace = int(np.searchsorted(ends, self.best_index_, side="right"))
            self.optimize_result_ = self.optimizer_results_[subspace]

    def _record_unrecorded(self) -> None:
        """Add the candidates whose every fit failed to ``cv_results_`` (see ``error_score``)."""
        if not self._unrecorded:
            return
        results, rows = _with_failed_rows(self.cv_results_, self._unrecorded,
                                          float(self.error_score))
        self.cv_results_ = results
        if hasattr(self, "best_index_"):  # the row it became, of the type it had (GridSearchCV's)
            best = self.best_index_
            if isinstance(best, np.integer):
                self.best_index_ = type(best)(rows[best])
            else:
                self.best_index_ = int(rows[best])

    def _search(self, opt: Optimizer, n_iter: int, run: _Evaluation,
                callbacks: list[Callback]) -> None:
        """Up to `n_iter` candidates, `_batch_size` at a time, until a callback says stop."""
        batch = self._batch_size()
        size = _askable_points(opt)
        done = 0
        while done < n_iter:
            count = min(batch, n_iter - done, _unevaluated(opt, size))
            if count < 1:
                logger.info("subspace %s exhausted after %d candidates", opt.space, done)
                return
            candidates = opt.ask(count)
            done += count
            run.evaluate(opt, candidates)
            if callbacks and _stop(callbacks, opt.result()):
                return

    def _batch_size(self) -> int:
        if self.n_points is not None:
            return int(self.n_points)
        return max(1, int(effective_n_jobs(self.n_jobs)) // self._n_splits)

    def _all_fits_failed(self, error: ValueError, first: bool) -> ValueError:
        """Report an evaluation in which every fit failed; re-raise any other error.

        scikit-learn raises, and records nothing, when every fit of one
        `evaluate_candidates` call fails; a sequential search calls it once per
        candidate, so one bad candidate would end the search. The first such
        evaluation of a search warns, with scikit-learn's report; later ones are logged.
        """
        if self.error_score == "raise" or "fits failed" not in str(error):
            raise error
        if not first:
            logger.info("every fit of a candidate failed (recorded with error_score):%s", error)
            return error
        warnings.warn(
            "every fit of a candidate failed; it is told to the optimizer as a failed "
            "evaluation and recorded in cv_results_ with error_score as its scores (later "
            f"ones are logged, not warned):{error}",
            FitFailedWarning, stacklevel=2,
        )
        return error

    def _check_refit_names_a_metric(self) -> None:
        several = isinstance(self.scoring, (list, tuple, dict))
        metric = self.refit if isinstance(self.refit, str) else None
        if several and metric is None:
            raise ValueError(
                f"with several metrics (scoring={self.scoring!r}), refit must name the one "
                f"BayesSearchCV optimizes; got refit={self.refit!r}"
            )

    def _score_key(self, results: Mapping[str, Any]) -> str:
        """The cv_results_ column the optimizer maximizes."""
        if "mean_test_score" in results:
            return "mean_test_score"
        if isinstance(self.refit, str) and f"mean_test_{self.refit}" in results:
            return f"mean_test_{self.refit}"
        metrics = sorted(key[len("mean_test_"):] for key in results
                         if key.startswith("mean_test_"))
        raise ValueError(
            f"refit={self.refit!r} names none of the metrics: the scorer returns the metrics "
            f"{metrics}; set refit to the name of the one BayesSearchCV optimizes"
        )


def _search_space(search_spaces: Mapping[str, Any]) -> Space:
    """The bayesopt `Space` of a ``search_spaces`` dict (a list of values → Categorical).

    Parameters
    ----------
    search_spaces : dict
        ``{parameter name: Real | Integer | Categorical | list, range or 1-D array of
        values | frozen scipy.stats loguniform, uniform or randint}``.

    Returns
    -------
    Space
    """
    dimensions: dict[str, Dimension] = {}
    for name, spec in search_spaces.items():
        if not isinstance(name, str) or not name:
            raise TypeError(f"search_spaces: key {name!r} must be a non-empty string, the name "
                            "of a parameter of the estimator")
        if isinstance(spec, Fidelity):
            raise TypeError(
                f"search_spaces[{name!r}] = {spec!r}: a Fidelity's Hyperband schedule needs "
                "the objective at several budgets, but the search cross-validates every "
                "candidate once and ranks all of them together; give a Real or Integer")
        if isinstance(spec, Dimension):
            dimensions[name] = spec
        elif isinstance(spec, (list, range)) or (isinstance(spec, np.ndarray) and spec.ndim == 1):
            values = spec.tolist() if isinstance(spec, np.ndarray) else spec
            _check_no_list_choice(name, values)
            dimensions[name] = Categorical(tuple(_hashable_choice(v) for v in values), name=name)
        elif _is_frozen_distribution(spec):
            dimensions[name] = _distribution_dimension(name, spec)
        else:
            raise TypeError(
                f"search_spaces[{name!r}] = {shown(spec)} must be a Real, Integer or Categorical "
                f"dimension, or a list of values{_tuple_hint(spec)}"
            )
    return Space(dimensions)


class _DictChoice(dict):  # type: ignore[type-arg]
    """A dict among a Categorical's choices (``class_weight={0: 1, 1: 5}``), hashed by its items.

    A Categorical's choices are hashable; a dict of hashable values stands in
    as this equal dict, which the optimizer keeps, and each candidate is
    cross-validated (and recorded in ``cv_results_``) with a plain copy.
    """

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(frozenset(self.items()))


def _hashable_choice(value: Any) -> Any:
    """`value`, or a `_DictChoice` for a dict whose items are hashable (else the dict, refused
    by `Categorical` naming it)."""
    if type(value) is not dict:
        return value
    try:
        hash(frozenset(value.items()))
    except TypeError:
        return value
    return _DictChoice(value)


def _plain(candidates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The candidates with each `_DictChoice` as a plain dict, for scikit-learn."""
    return [{name: dict(v) if isinstance(v, _DictChoice) else v for name, v in p.items()}
            for p in candidates]


def _check_no_list_choice(name: str, values: Sequence[Any]) -> None:
    """A list among the choices (``hidden_layer_sizes=[[10], [20]]``) is not hashable, so no
    Categorical choice; the estimator takes the equal tuple, which is."""
    for value in values:
        if type(value) is list:
            raise TypeError(
                f"search_spaces[{name!r}]: choice {shown(value)} is a list, which is not hashable: "
                f"give it as a tuple, {shown(tuple(value))} (a Categorical's choices are hashable)")


def _tuple_hint(spec: Any) -> str:
    """For a tuple, why it is refused and, for skopt's ``(low, high[, prior])`` or Talos'
    ``(min, max, steps)``, its equivalent (`bayesopt.space.tuple_dimension`)."""
    if not isinstance(spec, tuple):
        return ""
    ours = tuple_dimension(spec)
    return (" (a tuple is ambiguous: use Real/Integer for a range, a list for choices"
            + ("" if ours is None else f"; {ours}") + ")")


def _is_frozen_distribution(spec: Any) -> bool:
    """A frozen scipy.stats distribution (``loguniform(1e-3, 1e2)``), as RandomizedSearchCV
    takes."""
    return hasattr(spec, "rvs") and hasattr(spec, "support") and hasattr(spec, "dist")


def _distribution_dimension(name: str, spec: Any) -> Dimension:
    """The dimension with the support of a RandomizedSearchCV distribution, when it is uniform.

    ``loguniform`` → ``Real(a, b, log=True)``, ``uniform`` → ``Real(loc, loc + scale)``,
    ``randint`` → ``Integer(low, high - 1)``: the support scipy reports, and the same
    distribution, so the search covers what the random search would sample (the
    optimizer, not the distribution, then chooses the points). Any other
    distribution, or a shifted loguniform (``loc`` ≠ 0, not log-uniform on its
    support), has no such dimension and raises.
    """
    family = getattr(spec.dist, "name", type(spec.dist).__name__)
    given = (f"search_spaces[{name!r}] = scipy.stats.{family}{shown(spec.args)}"
             f"{shown(spec.kwds) if spec.kwds else ''}")
    with np.errstate(invalid="ignore"):  # scipy's support of invalid parameters: nan
        low, high = (float(bound) for bound in spec.support())
    if math.isnan(low) or math.isnan(high):
        raise ValueError(f"{given}: its parameters are invalid for scipy (support "
                         f"[{low}, {high}]), so it has no range to search")
    if family in ("loguniform", "reciprocal") and low > 0 and math.isclose(
            float(spec.cdf(math.sqrt(low * high))), 0.5, rel_tol=1e-9):
        return Real(low, high, log=True, name=name)
    if family == "uniform":
        return Real(low, high, name=name)
    if family == "randint":
        return Integer(int(low), int(high), name=name)
    raise TypeError(
        f"{given}: only loguniform (loc=0), uniform and randint have a dimension with the "
        "same support and distribution; give a Real, Integer or Categorical dimension")


def _subspaces(search_spaces: Any, n_iter: int) -> list[tuple[Space, int]]:
    """The (space, number of candidates) of each subspace, as scikit-optimize reads them.

    Parameters
    ----------
    search_spaces : dict, list of dict, or list of (dict, int)
        One space, or subspaces searched in turn.
    n_iter : int
        Candidates of a subspace given without its own count.

    Returns
    -------
    list of (Space, int)
    """
    if isinstance(search_spaces, Mapping):
        return [(_search_space(search_spaces), n_iter)]
    if not search_spaces:
        raise ValueError("search_spaces is an empty list; give at least one dict of dimensions")
    out = []
    for i, item in enumerate(search_spaces):
        if isinstance(item, Mapping):
            out.append((_search_space(item), n_iter))
            continue
        if not isinstance(item, tuple):
            raise TypeError(f"search_spaces[{i}]={shown(item)} must be a dict of dimensions or a "
                            "(dict, n_iter) pair")
        if len(item) != 2 or not isinstance(item[0], Mapping) or not _is_count(item[1]):
            raise ValueError(f"search_spaces[{i}]={shown(item)} must be a (dict, n_iter) pair with "
                             "n_iter a positive integer")
        out.append((_search_space(item[0]), int(item[1])))
    return out


def _is_count(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and int(value) >= 1


def _optimizer_kwargs(optimizer_kwargs: Mapping[str, Any] | None,
                      n_subspaces: int) -> dict[str, Any]:
    """Check the keys of ``optimizer_kwargs`` (their values are checked by `Optimizer`).

    Two keys depend on the search: ``storage`` holds one study, which has one
    space, so it needs a single subspace; ``pruner`` is the rule of
    `Optimizer.report`, which the search never calls, so it is taken only
    with ``storage`` (attaching to a study checks the study's rule).
    """
    kwargs = dict(optimizer_kwargs or {})
    if kwargs.get("storage") is not None and n_subspaces > 1:
        raise ValueError(
            f"optimizer_kwargs['storage']={kwargs['storage']!r} with {n_subspaces} subspaces: "
            "a study holds one space, so the subspaces cannot share it; search one dict of "
            "dimensions per study")
    if kwargs.get("pruner") is not None and kwargs.get("storage") is None:
        raise ValueError(
            f"optimizer_kwargs['pruner']={kwargs['pruner']!r} would be unused: the search "
            "cross-validates every candidate once and reports no intermediate scores (a "
            "pruner is taken with storage=, to attach to a study that has one)")
    accepted = sorted(name for name in keyword_only(Optimizer.__init__)
                      if name not in _RESERVED_OPTIMIZER_KWARGS
                      and name not in _UNSUPPORTED_OPTIMIZER_KWARGS)
    for key, value in kwargs.items():
        if key in _UNSUPPORTED_OPTIMIZER_KWARGS:
            raise ValueError(f"optimizer_kwargs[{key!r}]={shown(value)} is not supported: "
                             f"{_UNSUPPORTED_OPTIMIZER_KWARGS[key]}")
        if key in _RESERVED_OPTIMIZER_KWARGS:
            raise ValueError(f"optimizer_kwargs[{key!r}] cannot be given: it is set by "
                             f"{_RESERVED_OPTIMIZER_KWARGS[key]}")
        if key not in accepted:
            here = PEER_NAMES.get(key)  # scikit-optimize's acq_func, Optuna's direction, ...
            hint = (f" ({key} is {here}= here, set by {_RESERVED_OPTIMIZER_KWARGS[here]})"
                    if here in _RESERVED_OPTIMIZER_KWARGS else
                    f" (write {here}= here)" if here in accepted else "")
            raise ValueError(f"optimizer_kwargs has the unknown key {key!r}{hint}; Optimizer "
                             f"accepts {accepted}")
    return kwargs


def _seeds(random_state: Any, n_subspaces: int) -> list[int]:
    """One int seed per subspace.

    An int is the first subspace's seed itself, and the later ones' are
    derived from it (`numpy.random.SeedSequence`); a RandomState (None:
    numpy's global one, scikit-learn's convention) gives one draw per subspace.
    """
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        seed = int(random_state)
        derived = [int(np.random.SeedSequence([seed, i]).generate_state(1)[0])
                   for i in range(1, n_subspaces)]
        return [seed, *derived]
    generator = check_random_state(random_state)
    return [int(generator.randint(_SEED_BOUND)) for _ in range(n_subspaces)]


def _check_callbacks(callback: Any) -> list[Callback]:
    if callback is None:
        return []
    callbacks = list(callback) if isinstance(callback, (list, tuple)) else [callback]
    for item in callbacks:
        if not callable(item):
            raise TypeError(f"callback={callback!r} must be a callable or a list of callables")
    return callbacks


def _stop(callbacks: list[Callback], result: OptimizeResult) -> bool:
    """Call every callback (scikit-optimize's rule); True if any of them returns a true value."""
    decisions = [callback(result) for callback in callbacks]
    return any(bool(decision) for decision in decisions if decision is not None)


def _unevaluated(opt: Optimizer, size: int | None) -> int:
    """Points of a finite space of `size` askable points not evaluated yet (a large number
    for a continuous one)."""
    return 2**62 if size is None else size - len(opt.history)


def _askable_points(opt: Optimizer) -> int | None:
    """Distinct points of a finite space the optimizer may ask, None for a continuous one.

    Without input constraints, the space's cardinality. With ``feasible=``, the
    admitted points among all of them (`bayesopt.propose.admitted_count`, the count
    after which the optimizer warns that the space is exhausted and repeats a point);
    beyond its enumeration limit, the cardinality, an upper bound (the optimizer then
    raises its InfeasibleSpaceError on exhaustion).
    """
    size = opt.space.cardinality
    if size is None or opt.feasible is None:
        return size
    admitted = admitted_count(opt.space, opt.feasible)
    return size if admitted is None else admitted


def _check_no_bool_counts(search: BayesSearchCV) -> None:
    """``n_iter``, ``n_points``, ``max_consecutive_failures``: scikit-learn's check takes True
    for 1 (a bool is an int); this one refuses it, naming the parameter."""
    for key in ("n_iter", "n_points", "max_consecutive_failures"):
        value = getattr(search, key)
        if isinstance(value, (bool, np.bool_)):
            optional = "" if key == "n_iter" else " or None"
            raise TypeError(f"{key}={value!r} must be a positive int{optional}, not a bool")


class _Evaluation:
    """Cross-validates candidates with scikit-learn's `evaluate_candidates` and tells the scores.

    Keeps what the whole search needs across subspaces: whether anything was
    recorded, the candidates whose every fit failed (which scikit-learn does
    not record) with the number of rows recorded before each, the current
    streak of such candidates with its first error, whether a NaN score
    was already reported, and the optimizers so far (the last one searching).
    """

    def __init__(self, evaluate_candidates: EvaluateCandidates, search: BayesSearchCV) -> None:
        self.evaluate_candidates, self.search = evaluate_candidates, search
        self.all_failed: ValueError | None = None
        self.recorded = self.seen_nan = False
        self.n_rows = 0  # rows scikit-learn has recorded
        self.unrecorded: list[tuple[int, dict[str, Any]]] = []
        self.streak = 0
        self.first_error: ValueError | None = None  # of the current streak
        self.optimizers: list[Optimizer] = []  # one per subspace, appended by _run_search
        self.rows_per_subspace: list[int] = []  # candidates evaluated in each, appended with it

    def evaluate(self, opt: Optimizer, candidates: list[dict[str, Any]]) -> None:
        self.rows_per_subspace[-1] += len(candidates)
        try:
            results = _evaluate(self.evaluate_candidates, _plain(candidates),
                                quiet=self.seen_nan)
        except ValueError as error:
            self.all_failed = self.search._all_fits_failed(error, first=self.all_failed is None)
            opt.tell_failure(candidates, str(error))
            self._count_failed(candidates, error)
            return
        scores = np.asarray(results[self.search._score_key(results)], dtype=float)
        self.recorded = True
        self.n_rows = len(results["params"])
        self.streak, self.first_error = 0, None
        self.seen_nan = self.seen_nan or not np.all(np.isfinite(scores))
        costs = _costs(results, self.search._n_splits)
        for params, score, cost in zip(candidates, scores[-len(candidates):],
                                       costs[-len(candidates):]):
            _tell(opt, params, float(score), cost)

    def _count_failed(self, candidates: list[dict[str, Any]], error: ValueError) -> None:
        """Keep candidates whose every fit failed for cv_results_; stop after too many in a row."""
        self.unrecorded.extend((self.n_rows, params) for params in _plain(candidates))
        if self.first_error is None:
            self.first_error = error
        self.streak += len(candidates)
        limit = self.search.max_consecutive_failures
        if limit is not None and self.streak >= limit:
            raise TooManyFailedCandidatesError(
                str(self.first_error), self.streak, limit,
                [opt.result() for opt in self.optimizers]) from self.first_error

    @staticmethod
    def best_subspace(optimizers: list[Optimizer]) -> int:
        """Index of the optimizer holding the best score (the first one on ties)."""
        bests = [-math.inf if opt.best is None else float(opt.best.value)  # type: ignore[arg-type]
                 for opt in optimizers]
        return int(np.argmax(bests))

    def raise_if_nothing_recorded(self) -> None:
        if not self.recorded:
            assert self.all_failed is not None, "n_iter >= 1 candidates were evaluated"
            raise self.all_failed


def _with_failed_rows(results: Mapping[str, Any], unrecorded: list[tuple[int, dict[str, Any]]],
                      error_score: float) -> tuple[dict[str, Any], np.ndarray]:
    """``cv_results_`` with a row for each candidate whose every fit failed.

    Such a row is what ``RandomizedSearchCV`` records for a candidate whose fits
    all failed: `error_score` as each split's score and as the mean, std 0
    (NaN for a NaN `error_score`, the std of the splits), and the rank of the
    mean among all rows (``rank_*`` recomputed); no timing was reported, so
    times are NaN. ``param_*`` columns are rebuilt over all rows.

    Parameters
    ----------
    results : dict
        scikit-learn's ``cv_results_`` (the recorded candidates, in order).
    unrecorded : list of (int, dict)
        Each failed candidate's params, after how many recorded rows it was
        evaluated, in the order evaluated.
    error_score : float

    Returns
    -------
    results : dict
    rows : ndarray of int, shape (n_recorded,)
        The new index of each recorded row.
    """
    n_total = len(results["params"]) + len(unrecorded)
    failed = np.zeros(n_total, dtype=bool)
    failed[[before + i for i, (before, _) in enumerate(unrecorded)]] = True
    rows = np.flatnonzero(~failed)
    params: list[dict[str, Any]] = [{}] * n_total
    for row, recorded in zip(rows, results["params"]):
        params[row] = recorded
    for row, (_, candidate) in zip(np.flatnonzero(failed), unrecorded):
        params[row] = candidate
    std = 0.0 if math.isfinite(error_score) else math.nan
    out: dict[str, Any] = {}
    for key, column in results.items():
        if key.startswith("param_"):
            if not any(k.startswith("param_") for k in out):
                out.update(_param_columns(params))
        elif key == "params":
            out[key] = params
        elif key.startswith("rank_"):
            out[key] = None  # once every mean is in
        else:
            fill = (math.nan if key.endswith("_time") else std if key.startswith("std_")
                    else error_score)
            out[key] = np.full(n_total, fill, dtype=np.float64)
            out[key][rows] = column
    for key in [k for k in out if k.startswith("rank_")]:
        out[key] = _rank(out[f"mean_{key[len('rank_'):]}"])
    return out, rows


def _param_columns(params: list[dict[str, Any]]) -> dict[str, np.ma.MaskedArray]:
    """``param_<name>`` columns, masked where a candidate has no such parameter.

    The dtype is the one numpy infers for the values present when that gives
    a 1-D array of anything but strings, else object (strings, sequences,
    dicts), as scikit-learn (>= 1.5) types these columns.
    """
    names = list(dict.fromkeys(name for p in params for name in p))
    columns = {}
    for name in names:
        present = [(i, p[name]) for i, p in enumerate(params) if name in p]
        try:
            inferred = np.array([value for _, value in present])
        except ValueError:  # sequences of different lengths
            inferred = np.array([], dtype=object)
        dtype = inferred.dtype if inferred.ndim == 1 and inferred.dtype.kind != "U" else object
        column = np.ma.MaskedArray(np.empty(len(params), dtype=dtype), mask=True)
        for i, value in present:
            column[i] = value
        columns[f"param_{name}"] = column
    return columns


def _rank(means: np.ndarray) -> np.ndarray:
    """The ranks ``RandomizedSearchCV`` gives: 1 for the highest mean, tied means share the
    lowest rank, a NaN mean ranks after every number; all 1 if every one is NaN."""
    if np.isnan(means).all():
        return np.ones(len(means), dtype=np.int32)
    filled = np.where(np.isnan(means), np.nanmin(means) - 1, means)
    return np.asarray(rankdata(-filled, method="min"), dtype=np.int32)


def _evaluate(evaluate_candidates: EvaluateCandidates, candidates: list[dict[str, Any]],
              quiet: bool) -> dict[str, Any]:
    """``evaluate_candidates(candidates)``; if `quiet`, without repeating one warning.

    ``cv_results_`` is cumulative, so once a score is NaN scikit-learn would
    warn "One or more of the test scores are non-finite" after every later
    candidate too; after the first time, that one warning is filtered out.
    """
    if not quiet:
        return evaluate_candidates(candidates)
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="One or more of the test scores are non-finite", category=UserWarning
        )
        return evaluate_candidates(candidates)


def _costs(results: Mapping[str, Any], n_splits: int) -> list[float | None]:
    """Each candidate's cost: the seconds its `n_splits` folds took to fit and score
    (scikit-learn's mean timings times the folds), None where no time was measured."""
    seconds = (np.asarray(results["mean_fit_time"], dtype=float)
               + np.asarray(results["mean_score_time"], dtype=float)) * n_splits
    return [float(t) if t > 0 else None for t in seconds]


def _tell(opt: Optimizer, params: dict[str, Any], score: float, cost: float | None) -> None:
    if math.isfinite(score):
        opt.tell(params, score, cost=cost)
    else:
        opt.tell_failure(params, f"mean test score is {score!r}: a fit or score failed",
                         cost=cost)

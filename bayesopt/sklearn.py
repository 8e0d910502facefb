"""`BayesSearchCV`: scikit-learn's hyperparameter search, driven by Bayesian optimization.

A drop-in for ``GridSearchCV`` / ``RandomizedSearchCV``, built on scikit-learn's
``BaseSearchCV``: cross-validation, scoring, refitting, ``cv_results_`` and
parallel fits are scikit-learn's; only the choice of candidates differs. An
ask/tell `Optimizer` (maximizing) proposes each candidate from the mean
cross-validated scores of the earlier ones:

    for each of n_iter candidates (in batches of ⌊n_jobs / n_splits⌋, at least 1):
        params  = optimizer.ask()
        results = evaluate_candidates([params])     # cumulative cv_results_
        optimizer.tell(params, results["mean_test_<metric>"][-1])   # NaN → tell_failure

scikit-learn is an optional dependency: ``pip install 'bayesopt[sklearn]'``.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import numpy as np

try:
    from joblib import effective_n_jobs
    from sklearn.exceptions import FitFailedWarning
    from sklearn.model_selection._search import BaseSearchCV
    from sklearn.utils import check_random_state
    from sklearn.utils._param_validation import Interval, StrOptions
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError(
        "bayesopt.sklearn needs scikit-learn; install it with: pip install 'bayesopt[sklearn]'"
    ) from error

from bayesopt.optimizer import ACQUISITIONS, Optimizer
from bayesopt.space import Categorical, Dimension, Space

__all__ = ["BayesSearchCV"]

EvaluateCandidates = Callable[[list[dict[str, Any]]], dict[str, Any]]
_SEED_BOUND = 2**31 - 1  # seeds drawn from a RandomState are in [0, _SEED_BOUND)


class BayesSearchCV(BaseSearchCV):  # type: ignore[misc]
    """Hyperparameter search by Bayesian optimization over cross-validated scores.

    Implements ``fit``, ``score`` and, when the refitted estimator has them,
    ``predict``, ``predict_proba``, ``decision_function``, ``transform`` and
    friends, exactly as ``RandomizedSearchCV`` does. Candidates are proposed
    one at a time by a GP-based `bayesopt.Optimizer` that maximizes the mean
    test score (the ``refit`` metric when several are given); a candidate
    whose fits fail (score NaN with the default ``error_score``) is recorded
    as a failed evaluation and never proposed again.

    Parameters
    ----------
    estimator : estimator object
        The estimator to tune (anything with ``fit``, including a Pipeline).
    search_spaces : dict
        ``{parameter name: dimension}`` with ``Real``, ``Integer`` or
        ``Categorical`` dimensions from `bayesopt`; a plain list of values
        is taken as ``Categorical(values)``. Parameter names follow
        ``set_params`` (``"svc__C"`` for a Pipeline step).
    n_iter : int, default=50
        Number of candidates evaluated.
    scoring : str, callable, list, tuple or dict, default=None
        As for ``RandomizedSearchCV``. With several metrics, ``refit`` must
        name the one to optimize.
    n_jobs : int, default=None
        Parallel fits (folds × candidates). With ``n_jobs`` larger than the
        number of folds, ``n_jobs // n_splits`` candidates are asked at once
        (as a batch with pending points), so results depend on ``n_jobs``.
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
        Seed of the optimizer. An int is used as the seed itself; a
        ``RandomState`` (or None: numpy's global one) gives a seed drawn
        from it at each ``fit``.
    error_score : "raise" or float, default=np.nan
        Score of a failed fit. NaN marks the candidate as failed (told to the
        optimizer as a failed evaluation, never proposed again); a number is
        told to the optimizer as that candidate's score. scikit-learn keeps no
        record of an evaluation in which every fit failed: such a candidate
        is left out of ``cv_results_`` (which then holds fewer than ``n_iter``
        rows), kept in ``optimize_result_`` with scikit-learn's error report,
        and a ``FitFailedWarning`` is issued. If every candidate fails, ``fit``
        raises scikit-learn's error.
    return_train_score : bool, default=False
        Also record training scores in ``cv_results_``.
    n_initial : int, default=None
        Size of the optimizer's scrambled-Sobol initial design (default:
        number of dimensions + 1, within [5, 20]).
    acquisition : {"logei", "ei", "pi", "ucb"}, default="logei"
        The optimizer's acquisition function.

    Attributes
    ----------
    cv_results_ : dict of numpy (masked) ndarrays
        One entry per candidate, in the order evaluated (``params``,
        ``param_<name>``, ``mean_test_score``, ``rank_test_score``, ...).
    best_estimator_ : estimator
        The estimator refit with the best parameters (if ``refit``).
    best_score_ : float
        Mean cross-validated score of the best candidate.
    best_params_ : dict
        The best candidate.
    best_index_ : int
        Its index in ``cv_results_``.
    scorer_ : function or dict
        The scorer(s) used.
    n_splits_ : int
        Number of cross-validation splits.
    refit_time_ : float
        Seconds spent refitting the best candidate.
    multimetric_ : bool
        Whether several metrics were evaluated.
    optimize_result_ : OptimizeResult
        The optimizer's record of the search (``maximize=True``, values are
        the optimized mean test scores), e.g. for `bayesopt.plots`.

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

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **BaseSearchCV._parameter_constraints,
        "search_spaces": [dict],
        "n_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "n_initial": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "acquisition": [StrOptions(set(ACQUISITIONS))],
    }

    def __init__(
        self, estimator: Any, search_spaces: dict[str, Any], n_iter: int = 50, *,
        scoring: Any = None, n_jobs: int | None = None, refit: Any = True, cv: Any = None,
        verbose: int = 0, pre_dispatch: int | str = "2*n_jobs", random_state: Any = None,
        error_score: Any = np.nan, return_train_score: bool = False,
        n_initial: int | None = None, acquisition: str = "logei",
    ) -> None:
        super().__init__(
            estimator=estimator, scoring=scoring, n_jobs=n_jobs, refit=refit, cv=cv,
            verbose=verbose, pre_dispatch=pre_dispatch, error_score=error_score,
            return_train_score=return_train_score,
        )
        self.search_spaces = search_spaces
        self.n_iter = n_iter
        self.random_state = random_state
        self.n_initial = n_initial
        self.acquisition = acquisition

    def _run_search(self, evaluate_candidates: EvaluateCandidates) -> None:
        """Ask the optimizer for candidates, evaluate them, tell their mean test scores."""
        self._check_refit_names_a_metric()
        opt = Optimizer(
            _search_space(self.search_spaces), acquisition=self.acquisition,
            n_initial=self.n_initial, seed=_seed(self.random_state), maximize=True,
        )
        batch = max(1, effective_n_jobs(self.n_jobs) // self.n_splits_)
        all_failed: ValueError | None = None  # the last evaluation in which every fit failed
        recorded = seen_nan = False
        for start in range(0, self.n_iter, batch):
            candidates = opt.ask(min(batch, self.n_iter - start))
            try:
                results = _evaluate(evaluate_candidates, candidates, quiet=seen_nan)
            except ValueError as error:
                all_failed = self._all_fits_failed(error)
                opt.tell_failure(candidates, str(error))
                continue
            scores = np.asarray(results[self._score_key(results)], dtype=float)
            recorded, seen_nan = True, seen_nan or not np.all(np.isfinite(scores))
            for params, score in zip(candidates, scores[-len(candidates):]):
                _tell(opt, params, float(score))
        self.optimize_result_ = opt.result()
        if not recorded:
            assert all_failed is not None, "n_iter >= 1 candidates were evaluated"
            raise all_failed

    def _all_fits_failed(self, error: ValueError) -> ValueError:
        """Warn about an evaluation in which every fit failed; re-raise any other error.

        scikit-learn raises, and records nothing, when every fit of one
        `evaluate_candidates` call fails; a sequential search calls it once per
        candidate, so one bad candidate would end the search.
        """
        if self.error_score == "raise" or "fits failed" not in str(error):
            raise error
        warnings.warn(
            "every fit of a candidate failed; it is told to the optimizer as a failed "
            "evaluation and left out of cv_results_ (scikit-learn does not record an "
            f"evaluation in which all fits failed):{error}",
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
        raise ValueError(
            "the scorer returns several metrics; set refit to the name of the one "
            f"BayesSearchCV optimizes (got refit={self.refit!r})"
        )


def _search_space(search_spaces: Mapping[str, Any]) -> Space:
    """The bayesopt `Space` of a ``search_spaces`` dict (a list of values → Categorical).

    Parameters
    ----------
    search_spaces : dict
        ``{parameter name: Real | Integer | Categorical | list of values}``.

    Returns
    -------
    Space
    """
    dimensions: dict[str, Dimension] = {}
    for name, spec in search_spaces.items():
        if isinstance(spec, Dimension):
            dimensions[name] = spec
        elif isinstance(spec, list):
            dimensions[name] = Categorical(tuple(spec))
        else:
            hint = " (a tuple is ambiguous: use Real/Integer for a range, a list for choices)"
            raise TypeError(
                f"search_spaces[{name!r}] = {spec!r} must be a Real, Integer or Categorical "
                f"dimension, or a list of values{hint if isinstance(spec, tuple) else ''}"
            )
    return Space(dimensions)


def _seed(random_state: Any) -> int:
    """An int seed for the optimizer: an int itself, else drawn from the RandomState.

    Parameters
    ----------
    random_state : int, RandomState instance or None
        None stands for numpy's global RandomState (scikit-learn's convention).

    Returns
    -------
    int
    """
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        return int(random_state)
    return int(check_random_state(random_state).randint(_SEED_BOUND))


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


def _tell(opt: Optimizer, params: dict[str, Any], score: float) -> None:
    if math.isfinite(score):
        opt.tell(params, score)
    else:
        opt.tell_failure(params, f"mean test score is {score!r}: a fit or score failed")

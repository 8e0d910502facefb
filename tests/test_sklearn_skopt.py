"""BayesSearchCV's scikit-optimize parity: subspaces, n_points, optimizer_kwargs, fit's
callback, and no repeated cross-validation once a finite space is exhausted.

The semantics compared with are scikit-optimize's documented ones
(`skopt.BayesSearchCV`): a list of dicts is searched one subspace after the other,
each by its own optimizer with n_iter candidates (or its own count in a (dict, n_iter)
pair); `n_points` candidates are asked at once; `fit(X, y, callback=...)` calls each
callback with the current optimizer's result after every step and ends that
subspace's search when one returns True.
"""

from __future__ import annotations

import os
import warnings
from contextlib import closing

import numpy as np
import pytest
from joblib import parallel_backend
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.svm import SVC

from bayesopt import Real, SpaceExhaustedWarning, SuccessiveHalving
from bayesopt.result import OptimizeResult
from bayesopt.sklearn import BayesSearchCV
from bayesopt.storage.sqlite import SQLiteStorage
from test_journal import descriptors_under

LINEAR = {"kernel": ["linear"], "C": Real(1e-2, 1e2, log=True)}
RBF = {"kernel": ["rbf"], "C": Real(1e-2, 1e2, log=True), "gamma": Real(1e-4, 1e0, log=True)}


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


def svc_search(search_spaces, **kwargs):
    options = {"n_iter": 3, "cv": 3, "random_state": 0}
    options.update(kwargs)
    return BayesSearchCV(SVC(), search_spaces, **options)


# ------------------------------------------------------------------- subspaces
def test_a_list_of_dicts_is_searched_one_subspace_after_the_other(iris):
    search = svc_search([LINEAR, RBF]).fit(*iris)
    results = search.cv_results_
    kernels = [p["kernel"] for p in results["params"]]
    assert kernels == ["linear"] * 3 + ["rbf"] * 3
    assert all("gamma" not in p for p in results["params"][:3])
    assert results["param_gamma"].mask.tolist() == [True] * 3 + [False] * 3
    assert [len(r) for r in search.optimizer_results_] == [3, 3]
    assert [r.space.names for r in search.optimizer_results_] == [("kernel", "C"),
                                                                 ("kernel", "C", "gamma")]
    assert search.best_index_ == int(np.argmax(results["mean_test_score"]))
    best_space = 0 if search.best_index_ < 3 else 1
    assert search.optimize_result_ is search.optimizer_results_[best_space]


@pytest.mark.parametrize("choose, subspace", [(lambda results: 0, 0),
                                              (lambda results: len(results["params"]) - 1, 1)],
                         ids=["first row", "last row"])
def test_optimize_result_is_the_subspace_of_the_candidate_refit_chose(iris, choose, subspace):
    """With a callable refit, best_index_ is the callable's row, not the best score's: the
    record of the subspace holding the best score was returned whatever the callable chose."""
    poor, good = {"C": Real(1e-5, 1e-4, log=True)}, {"C": Real(1.0, 10.0, log=True)}
    search = BayesSearchCV(LogisticRegression(max_iter=500), [poor, good], n_iter=2, cv=2,
                           random_state=0, refit=choose).fit(*iris)
    assert search.best_index_ == 2 * subspace + (0 if subspace == 0 else 1)
    assert search.optimize_result_ is search.optimizer_results_[subspace]
    assert search.best_params_ in [o.params for o in search.optimize_result_.history]


def test_dict_and_count_pairs_give_each_subspace_its_own_budget(iris):
    search = svc_search([(LINEAR, 2), RBF, (RBF, 1)], n_iter=4).fit(*iris)
    kernels = [p["kernel"] for p in search.cv_results_["params"]]
    assert kernels == ["linear"] * 2 + ["rbf"] * 5
    assert [len(r) for r in search.optimizer_results_] == [2, 4, 1]


def test_subspaces_with_an_int_seed_are_reproducible_and_differ(iris):
    first = svc_search([RBF, RBF], random_state=3).fit(*iris).cv_results_["params"]
    again = svc_search([RBF, RBF], random_state=3).fit(*iris).cv_results_["params"]
    assert first == again and first[:3] != first[3:]


@pytest.mark.parametrize("spaces, error, match", [
    ([], ValueError, "empty"),
    ([(LINEAR, 0)], ValueError, r"search_spaces\[0\]"),
    ([LINEAR, (LINEAR, 2.5)], ValueError, r"search_spaces\[1\]"),
    ([LINEAR, (LINEAR,)], ValueError, r"search_spaces\[1\]"),
    ([LINEAR, "rbf"], TypeError, r"search_spaces\[1\]"),
])
def test_invalid_subspaces_are_rejected_in_fit(iris, spaces, error, match):
    with pytest.raises(error, match=match):
        svc_search(spaces).fit(*iris)


# -------------------------------------------------------------------- n_points
def test_n_points_candidates_are_asked_and_cross_validated_together(iris, candidate_batches):
    with parallel_backend("threading"):
        search = svc_search(RBF, n_iter=7, n_points=3, n_jobs=2).fit(*iris)
    assert candidate_batches == [3, 3, 1]
    params = search.cv_results_["params"]
    assert len(params) == 7 and len({tuple(sorted(p.items())) for p in params}) == 7


@pytest.mark.parametrize("value", [0, -1, 1.5, "2"])
def test_n_points_is_validated(iris, value):
    with pytest.raises(ValueError, match="n_points"):
        svc_search(RBF, n_points=value).fit(*iris)


# ------------------------------------------------------------ optimizer_kwargs
def test_optimizer_kwargs_reach_the_optimizer(iris):
    search = svc_search(RBF, n_iter=6, optimizer_kwargs={"kernel": "matern32", "ucb_beta": 2.0},
                        acquisition="ucb", n_initial=4).fit(*iris)
    assert search.optimize_result_.model.options.kernel == "matern32"
    opt = search.optimizers_[0]
    assert opt.options.model.kernel == "matern32" and opt.ucb_beta == 2.0
    assert len(opt.history) == 6 and opt.maximize


@pytest.mark.parametrize("kwargs, error, match", [
    ({"kernal": "rbf"}, ValueError, "unknown key 'kernal'"),
    # scikit-optimize's BayesSearchCV(optimizer_kwargs=...) keys say where they go here
    ({"acq_func": "EI"}, ValueError,
     (r"unknown key 'acq_func' \(acq_func is acquisition= here, set by "
      r"BayesSearchCV\(acquisition=\.\.\.\)\)")),
    ({"direction": "maximize"}, ValueError, r"direction is maximize= here, set by the search"),
    ({"n_initial_points": 5}, ValueError, r"set by BayesSearchCV\(n_initial=\.\.\.\)"),
    ({"seed": 3}, ValueError, "random_state"),
    ({"maximize": False}, ValueError, "maximize"),
    ({"acquisition": "ei"}, ValueError, "acquisition"),
    ({"kernel": "gaussian"}, ValueError, "gaussian"),
    ({"ucb_beta": -1.0}, ValueError, "ucb_beta"),
    ("kernel=rbf", ValueError, "optimizer_kwargs"),
])
def test_optimizer_kwargs_are_validated(iris, kwargs, error, match):
    with pytest.raises(error, match=match):
        svc_search(RBF, optimizer_kwargs=kwargs).fit(*iris)


def test_a_study_storage_with_several_subspaces_is_refused_before_any_fit(iris, tmp_path):
    """One study holds one space: the second subspace's optimizer could not attach, and the
    JournalError came only after the first subspace had been cross-validated."""
    storage = f"sqlite:///{tmp_path / 'search.db'}"
    search = svc_search([LINEAR, RBF], optimizer_kwargs={"storage": storage, "study": "svc"})
    with pytest.raises(ValueError, match=r"optimizer_kwargs\['storage'\].*2 subspaces"):
        search.fit(*iris)
    assert not (tmp_path / "search.db").exists()  # nothing was attached, nothing evaluated


def test_with_a_study_storage_a_second_fit_continues_the_study(iris, tmp_path):
    """What the docstring of fit says: the optimizer attaches to the stored study."""
    storage = f"sqlite:///{tmp_path / 'search.db'}"
    search = svc_search(RBF, optimizer_kwargs={"storage": storage, "study": "svc"})
    first = search.fit(*iris).cv_results_["params"]
    second = search.fit(*iris).cv_results_["params"]
    assert len(first) == len(second) == 3
    with search.optimizers_[0] as opt:  # it connected again to read the study
        history = opt.history
    assert [o.params for o in history[:3]] == first and [o.params for o in history[3:]] == second


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="lists descriptors in /proc")
def test_a_fit_leaves_no_connection_to_the_study_it_opened(iris, tmp_path):
    """The SQLite connection fit opened from the URL stayed open after fit, until the
    garbage collector closed it (Python 3.13 warns: unclosed database). Now fit closes it;
    its optimizer connects again when used, and its ask and tell go to the study."""
    path = tmp_path / "search.db"
    search = svc_search(RBF, optimizer_kwargs={"storage": f"sqlite:///{path}", "study": "svc"})
    search.fit(*iris)
    assert descriptors_under(tmp_path) == []
    opt = search.optimizers_[0]
    assert len(search.optimizer_results_[0]) == 3 and descriptors_under(tmp_path) == []
    with opt:
        opt.tell(opt.ask(), 0.5)
        assert len(opt.history) == 4
    assert descriptors_under(tmp_path) == []
    with closing(SQLiteStorage(path)) as storage:
        assert sum(event["event"] == "tell" for event in storage.read("svc")) == 4


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="lists descriptors in /proc")
def test_a_fit_that_raises_leaves_no_connection_but_a_storage_given_stays_open(iris, tmp_path):
    """A fit stopped by its failures closes the connection it opened (the optimizer is
    unreachable then); a Storage object given is the caller's and stays open."""
    url = f"sqlite:///{tmp_path / 'search.db'}"
    failing = svc_search(RBF, optimizer_kwargs={"storage": url, "study": "svc"},
                         max_consecutive_failures=1, n_iter=2)
    failing.set_params(estimator=SVC(max_iter="many"))
    with pytest.raises(ValueError, match="1 candidate") as raised, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        failing.fit(*iris)
    assert descriptors_under(tmp_path) == []  # while the error and its frames live
    del raised
    with closing(SQLiteStorage(tmp_path / "given.db")) as storage:
        search = svc_search(RBF, optimizer_kwargs={"storage": storage, "study": "svc"})
        search.fit(*iris)
        assert storage.studies() == ["svc"] and descriptors_under(tmp_path) != []


def test_a_pruner_without_a_shared_study_is_refused(iris):
    """The search reports no intermediate scores, so a pruner's rule would be unused; it is
    taken with storage= only, where attaching to a study checks the study's rule."""
    search = svc_search(RBF, optimizer_kwargs={"pruner": SuccessiveHalving()})
    with pytest.raises(ValueError, match=r"optimizer_kwargs\['pruner'\]=SuccessiveHalving"):
        search.fit(*iris)
    assert not hasattr(search, "cv_results_")


# -------------------------------------------------------------------- callback
def test_fit_callback_gets_the_result_after_each_step_and_can_stop(iris):
    seen: list[int] = []
    also: list[int] = []

    def stop_at_three(result: OptimizeResult) -> bool:
        assert isinstance(result, OptimizeResult) and result.maximize
        seen.append(len(result))
        return len(result) >= 3

    search = svc_search(RBF, n_iter=10).fit(*iris, callback=[stop_at_three,
                                                             lambda r: also.append(len(r))])
    assert seen == [1, 2, 3] and also == [1, 2, 3]
    assert len(search.cv_results_["params"]) == 3
    assert hasattr(search, "best_estimator_")


def test_a_callback_stop_ends_only_the_current_subspace(iris):
    search = svc_search([LINEAR, RBF], n_iter=4).fit(*iris, callback=lambda r: len(r) >= 2)
    assert [len(r) for r in search.optimizer_results_] == [2, 2]


def test_a_callback_that_is_not_callable_is_refused(iris):
    with pytest.raises(TypeError, match="callback"):
        svc_search(RBF).fit(*iris, callback="print")


# ---------------------------------------------------------------- finite spaces
@pytest.mark.parametrize("n_points", [None, 2])
def test_an_exhausted_finite_space_stops_instead_of_cross_validating_again(iris, n_points,
                                                                          candidate_batches):
    space = {"C": [0.01, 0.1, 1.0], "fit_intercept": [True, False]}
    with warnings.catch_warnings():
        warnings.simplefilter("error", SpaceExhaustedWarning)
        search = BayesSearchCV(LogisticRegression(max_iter=500), space, n_iter=20, cv=3,
                               n_points=n_points, random_state=0).fit(*iris)
    params = search.cv_results_["params"]
    assert len(params) == 6 and len({tuple(sorted(p.items())) for p in params}) == 6
    expected = [1] * 6 if n_points is None else [2, 2, 2]
    assert candidate_batches == expected


@pytest.mark.parametrize("n_points", [None, 2])
def test_a_finite_space_stops_once_every_point_feasible_admits_is_evaluated(iris, n_points):
    """With optimizer_kwargs feasible=, a finite space holds fewer askable points than its
    size: the optimizer's InfeasibleSpaceError ended the whole search (and its results)."""
    space = {"C": [0.01, 0.1, 1.0, 10.0], "fit_intercept": [True, False]}
    search = BayesSearchCV(LogisticRegression(max_iter=500), space, n_iter=8, cv=2,
                           n_points=n_points, random_state=0,
                           optimizer_kwargs={"feasible": lambda p: p["C"] < 0.5})
    params = search.fit(*iris).cv_results_["params"]
    assert len(params) == 4 and len({tuple(sorted(p.items())) for p in params}) == 4
    assert all(p["C"] < 0.5 for p in params)

"""Exact screening of the acquisition's candidates (`AcquisitionObjective.screened_values`).

What is checked: the GP's lazy posterior gives the mean of every point and the std
of any rows bit for bit as `predict` gives them for the whole batch, never above its
bound; screening scores a candidate exactly as `values` does or leaves it out only
when its value is below the floor; the partial sorts it and the walk take their order
from are the full stable sort's, ties, NaN and infinities included; it leaves out most candidates of a fitted model;
acquisitions not increasing in the std, and penalized ones, are not screened; and
`optimize_acquisition` proposes the same point, bit for bit, as without screening,
also when its walk has to go below the floor.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from acquisition.functions import (
    AcquisitionFunction,
    ExpectedImprovement,
    LogAugmentedExpectedImprovement,
    LogExpectedImprovement,
    ProbabilityOfImprovement,
    UpperConfidenceBound,
)
from acquisition.optimizer import (
    AcquisitionObjective,
    AcquisitionOptimizerOptions,
    Domain,
    _descending_head,
    _descending_rest,
    _descending_walk,
    _first_distinct,
    _Scores,
    optimize_acquisition,
)
from acquisition.penalty import FailurePenalty
from bayesopt import Optimizer
from bayesopt.gp import GaussianProcess, _single_observation_reductions
from bayesopt.model import ModelOptions, SurrogateModel
from bayesopt.test_functions import Hartmann6
from kernels import Kernel
from kernels.cholesky import _ALIKE_MAX_N

DIM = 6


def _model(n: int, seed: int = 0) -> SurrogateModel:
    """A MAP-fitted GP on n random Hartmann-6 observations."""
    rng = np.random.default_rng(seed)
    X = rng.random((n, DIM))
    model = SurrogateModel(DIM, ModelOptions(), np.random.default_rng(seed))
    model.update(X, Hartmann6()(X))
    return model


ACQUISITIONS: dict[str, Callable[[SurrogateModel], AcquisitionFunction]] = {
    "logei": lambda model: LogExpectedImprovement(model.incumbent),
    "ei": lambda model: ExpectedImprovement(model.incumbent),
    "ucb": lambda model: UpperConfidenceBound(4.0),
    "logaei": lambda model: LogAugmentedExpectedImprovement(
        model.incumbent, math.sqrt(model.observation_noise)),
}


@pytest.mark.parametrize("n", [30, 150])
@pytest.mark.parametrize("k", [1, 7, 40])
def test_lazy_posterior_equals_predict_bit_for_bit(n: int, k: int) -> None:
    rng = np.random.default_rng(n)
    kernel = Kernel("matern52", DIM, np.concatenate([np.log(rng.uniform(0.2, 0.8, DIM)), [0.3]]))
    X = rng.random((n, DIM))
    gp = GaussianProcess(kernel, 1e-3, X, Hartmann6()(X))
    # 512 rows, incl. training inputs (floored): a multiple of the machine's trsm column
    # group (a power of two: 1 on SkylakeX; on an AMD EPYC 2 with one BLAS thread, 4 with
    # two), which a lazy posterior needs (CholeskyFactor.solves_alike; an acquisition's
    # 2560 candidates are one too)
    Xq = np.concatenate([rng.random((509, DIM)), X[:3]])
    mean, var = gp.predict(Xq)
    posterior = gp.posterior(Xq)
    assert posterior is not None
    rows = rng.choice(Xq.shape[0], size=k, replace=False)
    assert_array_equal(posterior.mean, mean)
    assert_array_equal(posterior.std(rows), np.sqrt(var)[rows])
    assert np.all(np.sqrt(var) <= posterior.std_bound)


def test_single_observation_reductions_equal_their_numpy_twin() -> None:
    rng = np.random.default_rng(4)
    for m, n in ((1, 1), (7, 30), (513, 200), (3, 0)):
        Ks = rng.standard_normal((m, n))
        inverse = 1.0 / rng.uniform(0.5, 2.0, n)
        assert_array_equal(_single_observation_reductions(Ks, inverse),
                           ((Ks * Ks) * inverse).max(axis=1, initial=0.0))


def _hostile_gp(kind: str) -> GaussianProcess:
    """GPs whose K is as badly conditioned as a run makes it: clusters of near-duplicate
    points at the noise floor, a budget-basis kernel (k(x, x) varies), and fantasies
    appended nearly noise-free."""
    rng = np.random.default_rng(11)
    d = DIM if kind != "budget" else 3
    centres = rng.random((40, d))
    X = np.concatenate([centres + 1e-7 * rng.standard_normal(centres.shape)
                        for _ in range(5)])  # 200 points, five within 1e-7 of each centre
    theta = np.concatenate([np.log(rng.uniform(0.3, 2.0, d)), [0.4]])
    if kind == "budget":
        kernel = Kernel("matern32", d, theta, budget_power=2)
    else:
        kernel = Kernel(kind, d, theta)
    gp = GaussianProcess(kernel, 1e-8, X, np.sin(X.sum(axis=1) * 3.0))
    if kind == "rbf":
        gp.append(X[:10] + 1e-9, np.zeros(10), noise=1e-10)
    return gp


@pytest.mark.parametrize("kind", ["matern52", "rbf", "budget"])
def test_std_bound_holds_where_the_factor_is_ill_conditioned(kind: str) -> None:
    gp = _hostile_gp(kind)
    rng = np.random.default_rng(5)
    X = gp.X
    Xq = np.concatenate([X[rng.integers(0, X.shape[0], 256)]  # at observations,
                         + 10.0 ** rng.uniform(-9, -1, (256, 1)) * rng.standard_normal(
                             (256, X.shape[1])),  # near them at every scale
                         rng.random((256, X.shape[1]))])  # and anywhere
    Xq = np.clip(Xq, 0.0, 1.0)
    posterior = gp.posterior(Xq)
    assert posterior is not None
    std = posterior.std(np.arange(Xq.shape[0]))
    assert np.all(std <= posterior.std_bound)
    assert np.all(posterior.std_bound <= np.sqrt(gp.kernel.diagonal(Xq)))
    # near the observations the bound is far below the prior's
    assert np.median(posterior.std_bound[:256] / np.sqrt(gp.kernel.diagonal(Xq[:256]))) < 0.1


def test_screening_leaves_out_most_candidates_once_the_run_has_converged() -> None:
    """Late in a run the best candidates have tiny EI, and the prior's std bounds none of
    the others below them: at n = 130 of this run every one of 2560 would be scored. The
    nearest observation's bound leaves most of them out."""
    f = Hartmann6()
    opt = Optimizer(f.search_space(), seed=0)
    X0 = np.random.default_rng(0).random((100, DIM))
    opt.tell([{f"x{i}": float(v) for i, v in enumerate(x)} for x in X0],
             [float(v) for v in f(X0)])
    for _ in range(30):
        params = opt.ask()
        opt.tell(params, float(f(np.array(list(params.values())))))
    X = np.array([list(o.params.values()) for o in opt.history])
    model = SurrogateModel(DIM, ModelOptions(), np.random.default_rng(0))
    model.update(X, f(X))
    objective = AcquisitionObjective(LogExpectedImprovement(model.incumbent), model)
    rng = np.random.default_rng(1)
    best = X[np.argsort(f(X))[:8]]
    candidates = np.concatenate([rng.random((2048, DIM)), np.clip(
        best.repeat(64, axis=0) + 0.01 * rng.standard_normal((512, DIM)), 0, 1)])
    values, floor = objective.screened_values(candidates, keep=8)
    full = objective.values(candidates)
    scored = values > -np.inf
    assert_array_equal(values[scored], full[scored])
    assert np.all(full[~scored] < floor)
    assert scored.sum() < candidates.shape[0] // 2
    posterior = model.posterior(candidates)
    assert posterior is not None
    prior_bound = objective.acquisition(posterior.mean, np.full(
        candidates.shape[0], math.sqrt(model.gp.kernel.variance)))
    assert np.sum(prior_bound >= np.sort(full)[-8]) > 0.9 * candidates.shape[0]


def test_no_lazy_posterior_where_rows_would_not_solve_alike() -> None:
    model = _model(_ALIKE_MAX_N + 1)
    assert model.posterior(np.random.default_rng(0).random((2560, DIM))) is None


@pytest.mark.parametrize("acquisition", sorted(ACQUISITIONS))
@pytest.mark.parametrize("n", [20, 100])
def test_screened_values_are_exact_and_leave_out_only_values_below_the_floor(
        acquisition: str, n: int) -> None:
    model = _model(n)
    objective = AcquisitionObjective(ACQUISITIONS[acquisition](model), model)
    X = np.random.default_rng(1).random((2560, DIM))
    full = objective.values(X)
    values, floor = objective.screened_values(X, keep=8)
    scored = values > -np.inf
    assert_array_equal(values[scored], full[scored])
    assert np.all(full[~scored] < floor)
    assert np.sum(full >= floor) >= 8
    assert scored.sum() < X.shape[0] // 2  # most candidates need no triangular solve


@pytest.mark.parametrize("case", ["pi", "penalty"])
def test_unscreenable_objectives_score_everything(case: str) -> None:
    model = _model(40)
    X = np.random.default_rng(2).random((600, DIM))
    if case == "pi":
        objective = AcquisitionObjective(ProbabilityOfImprovement(model.incumbent), model)
    else:
        objective = AcquisitionObjective(LogExpectedImprovement(model.incumbent), model,
                                         FailurePenalty(X[:2], np.full(DIM, 0.1)))
    values, floor = objective.screened_values(X, keep=8)
    assert_array_equal(values, objective.values(X))
    assert floor == -np.inf


class _Unscreened(AcquisitionObjective):
    """The same objective with every candidate scored (the code before screening)."""

    screens = False


def _domain() -> Domain:
    return Domain(dim=DIM, sample=lambda n, rng: rng.random((n, DIM)), project=lambda X: X)


@pytest.mark.parametrize("acquisition", sorted(ACQUISITIONS))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_optimize_acquisition_proposes_what_it_would_without_screening(
        acquisition: str, seed: int) -> None:
    model = _model(60, seed)
    assert model.gp is not None
    X, function = model.gp.X, ACQUISITIONS[acquisition](model)
    proposals = [optimize_acquisition(kind(function, model), _domain(),
                                      np.random.default_rng(seed), X[:5], X)
                 for kind in (AcquisitionObjective, _Unscreened)]
    assert proposals[0] is not None and proposals[1] is not None
    assert_array_equal(proposals[0].x, proposals[1].x)
    assert proposals[0].value == proposals[1].value


def test_a_walk_below_the_floor_scores_every_candidate_and_chooses_as_without_screening() -> None:
    model = _model(60)
    objective = AcquisitionObjective(LogExpectedImprovement(model.incumbent), model)
    X = np.random.default_rng(3).random((2560, DIM))
    values, floor = objective.screened_values(X, keep=8)
    avoid = X[values >= floor]  # every candidate at or above the floor is taken
    options = AcquisitionOptimizerOptions()
    scores = _Scores(objective, X, values, floor)
    chosen = scores.best_distinct(X[:0], np.empty(0), avoid, options)
    full = objective.values(X)
    assert chosen == _first_distinct(X, np.argsort(-full, kind="stable"), avoid, options)
    assert scores.floor == -np.inf
    assert_array_equal(scores.values, full)


def _value_arrays() -> list[np.ndarray]:
    """Values as screening and the walk see them: random, many ties (rounded, repeated),
    −inf (unscored), +inf, NaN, ±0.0; sizes around the partial sorts' k."""
    rng = np.random.default_rng(0)
    arrays = []
    for m in (1, 2, 7, 8, 63, 64, 65, 200, 2560):
        arrays.append(rng.standard_normal(m))
        tied = np.round(rng.standard_normal(m), 1)
        tied[rng.random(m) < 0.5] = -np.inf
        arrays.append(tied)
        odd = rng.choice([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan], size=m)
        arrays.append(odd)
        arrays.append(np.full(m, np.nan))
        arrays.append(np.full(m, 3.0))
    return arrays


@pytest.mark.parametrize("k", [1, 8, 64, 65, 3000])
def test_descending_head_is_the_start_of_the_stable_sort(k: int) -> None:
    for values in _value_arrays():
        expected = np.argsort(-values, kind="stable")[:k]
        assert_array_equal(_descending_head(values, k), expected)


def test_descending_rest_is_the_stable_sort_after_the_head_above_a_threshold() -> None:
    for values in _value_arrays():
        order = np.argsort(-values, kind="stable")
        for k in (1, 8, 64):
            head = _descending_head(values, k)
            rest = order[head.size:]
            for threshold in (-np.inf, -1.0, 0.0, 0.05, np.inf):
                expected = rest[values[rest] >= threshold]
                assert_array_equal(_descending_rest(values, head, threshold), expected)


def test_descending_walk_is_the_stable_sort_whole() -> None:
    for values in _value_arrays():
        assert_array_equal(np.fromiter(_descending_walk(values), dtype=np.int64),
                           np.argsort(-values, kind="stable"))

"""MACE (`bayesopt.mace`, acquisition="mace"): the front, the draw, batches, replay, refusals.

What is checked: `non_dominated` equals a brute-force O(m²) numpy reference on random
scores, with ties, duplicates and −inf; every asked point is a row of the scored pool
that no other scored row dominates (recomputed from the same state and seed); asks are
deterministic per seed and the draw does depend on the seed; a batch's points are
distinct, come from one front while it lasts, and a batch longer than the front goes on
with new fronts; a resumed journal and a replayed shared study ask the same; settings
the ensemble cannot use raise naming them.
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from acquisition.optimizer import AcquisitionOptimizerOptions
from bayesopt import Optimizer, OptimizerOptions, Real
from bayesopt.hedge import HedgeOptions
from bayesopt.mace import MACE_MEMBERS, distinct_rows, non_dominated
from bayesopt.model import ModelOptions
from bayesopt.optimizer import ResumeWarning
from bayesopt.propose import Proposal, SpaceExhaustedWarning

SPACE = {"x": Real(0.0, 1.0), "y": Real(-1.0, 1.0)}
CHEAP = OptimizerOptions(acquisition_optimizer=AcquisitionOptimizerOptions(
    n_candidates=256, n_local_candidates=64, n_restarts=2, maxiter=30))


def _two_basins(params: dict[str, float]) -> float:
    """Two basins (x ≈ 0.2 and x ≈ 0.8) of different depths, a valley in y."""
    x, y = params["x"], params["y"]
    return float(-math.exp(-30 * (x - 0.2) ** 2) - 0.6 * math.exp(-30 * (x - 0.8) ** 2)
                 + 0.5 * y**2)


def _run(opt: Optimizer, steps: int) -> None:
    """`steps` sequential asks, each told its value."""
    for params in (opt.ask() for _ in range(steps)):
        opt.tell(params, _two_basins(params))


def _brute_force_front(scores: np.ndarray) -> np.ndarray:
    """Row i is kept unless some row j is ≥ in every column and > in one (O(m²))."""
    ge = np.all(scores[:, None, :] >= scores[None, :, :], axis=2)  # ge[j, i]: j ≥ i
    gt = np.any(scores[:, None, :] > scores[None, :, :], axis=2)
    dominated = np.any(ge & gt, axis=0)
    return np.flatnonzero(~dominated)


# ------------------------------------------------------------------ the front
@pytest.mark.parametrize("seed", range(20))
def test_the_front_equals_the_brute_force_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    m, k = int(rng.integers(1, 300)), int(rng.integers(1, 5))
    if seed % 2:  # few distinct levels: many ties and duplicate rows
        scores = rng.integers(0, 4, size=(m, k)).astype(float)
    else:
        scores = rng.standard_normal((m, k))
        scores[rng.random((m, k)) < 0.05] = -np.inf
        if m >= 5:  # duplicate rows
            scores[: m // 5] = scores[m - m // 5 :]
    assert np.array_equal(non_dominated(scores), _brute_force_front(scores))


def test_duplicates_of_a_front_row_are_all_on_the_front_and_ties_do_not_dominate() -> None:
    scores = np.array([[1.0, 2.0], [2.0, 1.0], [1.0, 2.0], [1.0, 1.0], [0.0, 2.0]])
    # rows 0 and 2 are equal (both kept); row 3 is dominated by 0; row 4 by 0 (tie, then >)
    assert non_dominated(scores).tolist() == [0, 1, 2]
    assert _brute_force_front(scores).tolist() == [0, 1, 2]


@pytest.mark.parametrize("scores, message", [
    (np.array([1.0, 2.0]), "2-d array"),
    (np.array([[1.0, np.nan]]), "NaN"),
])
def test_bad_scores_raise(scores: np.ndarray, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        non_dominated(scores)


def test_distinct_rows_leaves_out_avoided_and_repeated_rows() -> None:
    X = np.array([[0.0, 0.0], [0.5, 0.5], [0.5, 0.5 + 1e-9], [1.0, 1.0]])
    assert distinct_rows(X, np.array([[1.0, 1.0]]), 1e-6).tolist() == [0, 1]


# ----------------------------------------------------------- asks in an Optimizer
def _state_after(steps: int, seed: int = 0) -> Optimizer:
    opt = Optimizer(SPACE, seed=seed, n_initial=4, acquisition="mace", options=CHEAP)
    _run(opt, steps)
    return opt


@pytest.mark.parametrize("seed", range(6))
def test_every_asked_point_is_non_dominated_among_the_scored_points(seed: int) -> None:
    """The point asked with generator seed s is a row of the pool scored with seed s that
    no scored row dominates (brute force), and the pool holds the three maximizers."""
    opt = _state_after(8)
    state, settings = opt._state, opt._ask_settings()
    params = Proposal(state, settings, np.random.default_rng(seed), None).points(1)[0]
    scored = Proposal(state, settings, np.random.default_rng(seed), None)._mace_pool()
    assert scored is not None
    pool, scores = scored
    assert scores.shape == (pool.shape[0], len(MACE_MEMBERS)) and pool.shape[0] > 100
    x = opt.space.encode([params])[0]
    row = int(np.argmin(np.sum((pool - x) ** 2, axis=1)))
    assert np.sum((pool[row] - x) ** 2) < 1e-18
    assert row in _brute_force_front(scores)
    others = np.delete(scores, row, axis=0)
    assert not np.any(np.all(others >= scores[row], axis=1)
                      & np.any(others > scores[row], axis=1))


@pytest.mark.parametrize("batch", (1, 3))
def test_a_min_distance_that_every_candidate_breaks_still_asks_the_maximizers(
        batch: int) -> None:
    """With ``min_distance=0.3`` on [0, 1] three observations leave no point 0.3 from all:
    every candidate is left out of the pool, but each member's maximizer is the point its
    own acquisition would ask (`_maximize`: a random new point when the search finds
    none), so the front is never empty. Every ask raised numpy's "high <= 0" (review18)."""
    options = OptimizerOptions(acquisition_optimizer=AcquisitionOptimizerOptions(
        n_candidates=64, n_local_candidates=16, n_restarts=1, maxiter=20, min_distance=0.3))
    opt = Optimizer({"x": Real(0.0, 1.0)}, seed=0, n_initial=3, acquisition="mace",
                    options=options)
    for _ in range(3):
        params = opt.ask()
        opt.tell(params, (params["x"] - 0.3) ** 2)
    state, settings = opt._state, opt._ask_settings()
    scored = Proposal(state, settings, np.random.default_rng(0), None)._mace_pool()
    assert scored is not None and scored[0].shape[0] == len(MACE_MEMBERS)  # the maximizers

    def three_steps() -> None:
        for _ in range(3):
            asked = opt.ask(batch) if batch > 1 else [opt.ask()]
            for params in asked:
                opt.tell(params, (params["x"] - 0.3) ** 2)

    with pytest.warns(SpaceExhaustedWarning, match=r"min_distance=0\.3"):  # once, not per ask
        three_steps()
    X = opt.space.encode([o.params for o in opt.history])
    assert len(distinct_rows(X, X[:0], 1e-9)) == X.shape[0] == 3 + 3 * batch


def test_the_draw_depends_on_the_seed_and_only_on_it() -> None:
    opt = _state_after(8)
    state, settings = opt._state, opt._ask_settings()
    asked = [tuple(Proposal(state, settings, np.random.default_rng(s), None).points(1)[0].values())
             for s in range(12)]
    again = [tuple(Proposal(state, settings, np.random.default_rng(s), None).points(1)[0].values())
             for s in range(12)]
    assert asked == again
    assert len(set(asked)) > 1, "a front of one point would make this test unable to fail"


def test_same_seed_same_tells_same_asks() -> None:
    a, b = _state_after(9, seed=3), _state_after(9, seed=3)
    assert a.history[-1].params == b.history[-1].params
    assert a.ask(3) == b.ask(3)


def test_a_batch_is_drawn_from_one_front_without_replacement() -> None:
    opt = _state_after(8, seed=1)
    state, settings = opt._state, opt._ask_settings()
    front = Proposal(state, settings, np.random.default_rng(7), None)._mace_front()
    assert front is not None and front.shape[0] >= 4
    batch = Proposal(state, settings, np.random.default_rng(7), None).points(4)
    X = opt.space.encode(batch)
    for x in X:
        assert np.min(np.sum((front - x) ** 2, axis=1)) < 1e-18
    assert len(distinct_rows(X, state.X_all, 1e-6)) == 4  # distinct, none observed


def test_a_batch_longer_than_the_front_goes_on_with_new_fronts() -> None:
    opt = _state_after(8, seed=2)
    state, settings = opt._state, opt._ask_settings()
    front = Proposal(state, settings, np.random.default_rng(9), None)._mace_front()
    assert front is not None
    n = front.shape[0] + 3
    batch = Proposal(state, settings, np.random.default_rng(9), None).points(n)
    X = opt.space.encode(batch)
    assert len(distinct_rows(X, state.X_all, 1e-6)) == n
    head = X[: front.shape[0]]  # the whole first front, in the draw's order
    assert np.allclose(np.sort(head, axis=0), np.sort(front, axis=0), rtol=0, atol=1e-12)


def test_a_resumed_journal_asks_the_same(tmp_path: Path) -> None:
    journal = tmp_path / "run.jsonl"
    live = Optimizer(SPACE, seed=4, n_initial=4, acquisition="mace", options=CHEAP,
                     journal=journal)
    _run(live, 8)
    _assert_resumed_asks_the_same(live, journal, _two_basins)


def _assert_resumed_asks_the_same(live: Optimizer, journal: Path,
                                  value: Callable[[dict[str, Any]], float]) -> None:
    """With two points pending, `Optimizer.resume(journal)` and `live` ask the same batches
    of two three times, each told `value`."""
    live.ask(2)  # pending at the resume
    copy = journal.with_name("copy.jsonl")  # one writer per journal: the resumed one's copy
    shutil.copy(journal, copy)
    with pytest.warns(ResumeWarning):
        resumed = Optimizer.resume(copy)
    for _ in range(3):
        a, b = live.ask(2), resumed.ask(2)
        assert a == b
        for params in a:
            for opt in (live, resumed):
                opt.tell(params, value(params))


def test_a_replayed_shared_study_asks_the_same(tmp_path: Path) -> None:
    url = tmp_path / "study.jsonl"
    a = Optimizer(SPACE, storage=url, study="s", seed=5, n_initial=3, acquisition="mace",
                  options=CHEAP)
    b = Optimizer(SPACE, storage=url, study="s", seed=6, n_initial=3, acquisition="mace",
                  options=CHEAP)
    for _ in range(4):
        for opt in (a, b):
            params = opt.ask()
            opt.tell(params, _two_basins(params))
    replay = Optimizer(SPACE, storage=url, study="s", seed=6, acquisition="mace", options=CHEAP)
    assert replay.history == b.history
    for opt in (a, b, replay):
        opt.close()


def test_mcmc_hyperparameters_give_a_front_of_the_averaged_members() -> None:
    options = OptimizerOptions(acquisition_optimizer=CHEAP.acquisition_optimizer,
                               model=ModelOptions(hyperparameters="mcmc"))
    opt = Optimizer(SPACE, seed=0, n_initial=4, acquisition="mace", options=options)
    _run(opt, 6)
    state, settings = opt._state, opt._ask_settings()
    params = Proposal(state, settings, np.random.default_rng(0), None).points(1)[0]
    front = Proposal(state, settings, np.random.default_rng(0), None)._mace_front()
    assert front is not None
    assert np.min(np.sum((front - opt.space.encode([params])[0]) ** 2, axis=1)) < 1e-18


def test_kernel_average_gives_a_front_of_the_averaged_members() -> None:
    """kernel_average=True (`AveragedAcquisitionObjective` over the kernels' GPs) is
    accepted: the asked point is on the front of the averaged members (review18)."""
    options = OptimizerOptions(acquisition_optimizer=CHEAP.acquisition_optimizer,
                               model=ModelOptions(kernel_candidates=("rbf",),
                                                  kernel_average=True))
    opt = Optimizer(SPACE, seed=0, n_initial=4, acquisition="mace", options=options)
    _run(opt, 6)
    state, settings = opt._state, opt._ask_settings()
    assert state.synced_model(np.random.default_rng(0)).sampled  # averaged, not one GP
    params = Proposal(state, settings, np.random.default_rng(0), None).points(1)[0]
    front = Proposal(state, settings, np.random.default_rng(0), None)._mace_front()
    assert front is not None
    assert np.min(np.sum((front - opt.space.encode([params])[0]) ** 2, axis=1)) < 1e-18


def test_a_fidelity_space_builds_its_front_on_the_configuration_columns_and_resumes(
        tmp_path: Path) -> None:
    """With a Fidelity, MACE's front (for the schedule's new configurations) is built on
    the configuration columns (the top budget's surrogate), and a resumed journal asks
    the same (review18: accepted, untested before)."""
    from bayesopt.space import Fidelity

    space = {**SPACE, "budget": Fidelity(1, 9, eta=3)}
    journal = tmp_path / "run.jsonl"
    live = Optimizer(space, seed=1, n_initial=4, acquisition="mace", options=CHEAP,
                     journal=journal)
    for _ in range(12):
        params = live.ask()
        live.tell(params, _two_basins(params) / params["budget"])
    state, settings = live._state, live._ask_settings()
    front = Proposal(state, settings, np.random.default_rng(0), None)._mace_front()
    assert front is not None and front.shape[1] == live.space.n_columns
    _assert_resumed_asks_the_same(live, journal, lambda p: _two_basins(p) / p["budget"])


# ------------------------------------------------------------------ refusals
def test_settings_the_ensemble_cannot_use_are_refused_naming_them() -> None:
    with pytest.raises(ValueError, match=r"n_constraints=1 needs acquisition in .* not 'mace'"):
        Optimizer(SPACE, acquisition="mace", n_constraints=1)
    with pytest.raises(ValueError, match=r"cost_budget=10\.0 .* unused with 'mace'"):
        Optimizer(SPACE, acquisition="mace", cost_budget=10.0)
    with pytest.raises(ValueError, match=r"options.hedge=.*acquisition='mace'"):
        Optimizer(SPACE, acquisition="mace",
                  options=OptimizerOptions(hedge=HedgeOptions(eta=0.5)))
    with pytest.raises(ValueError, match="'Mace'"):
        Optimizer(SPACE, acquisition="Mace")


def test_the_members_read_ucb_beta_and_the_incumbent() -> None:
    """UCB and the incumbent's EI and PI are members, so these are used, not refused."""
    opt = Optimizer(SPACE, seed=0, acquisition="mace", ucb_beta=2.0,
                    options=OptimizerOptions(model=ModelOptions(incumbent="observed")))
    assert opt.acquisition == "mace"

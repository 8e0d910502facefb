"""The TuRBO-1 trust region (`bayesopt.trust_region`) and the acquisition search inside it.

What is checked: the side length replays TuRBO-1's success and failure counts
on hand-worked sequences; the box is centred, weighted by the lengthscales
with geometric mean 1 and clipped to the cube, and leaves one-hot columns
whole; the acquisition optimizer never leaves a box even when the
acquisition's maximum lies outside it; an Optimizer with a trust region asks
only inside it and resumes from its journal to the same asks; the option is
validated, round-trips through `OptimizerOptions.to_dict`, and changes the
fingerprint.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from acquisition.functions import UpperConfidenceBound
from acquisition.optimizer import AcquisitionObjective, Domain, optimize_acquisition
from bayesopt import Fidelity, Optimizer, OptimizerOptions, Real
from bayesopt.optimizer import ResumeWarning
from bayesopt.trust_region import TrustRegionOptions, box, side_length

TURBO = TrustRegionOptions()


def test_length_stays_initial_through_the_design() -> None:
    assert side_length(np.array([3.0, 2.0, 1.0]), 3, 2, TURBO) == 0.8


def test_three_successes_in_a_row_double_the_length_up_to_the_cap() -> None:
    y = np.array([5.0, 4.0, 3.0, 2.0, 1.0])  # design of 2 (best 4), then 3 successes
    assert side_length(y, 2, 2, TURBO) == 1.6
    six = np.concatenate([[10.0], 9.0 - np.arange(6.0)])  # 6 successes: 0.8 → 1.6, capped
    assert side_length(six, 1, 2, TURBO) == 1.6
    assert side_length(six, 1, 2, TrustRegionOptions(initial_length=0.2)) == 0.8


def test_failures_halve_after_max_4_d_in_a_row_and_a_success_resets_them() -> None:
    design = [1.0]
    three_fail_success_three_fail = np.array(design + [2.0] * 3 + [0.5] + [2.0] * 3)
    assert side_length(three_fail_success_three_fail, 1, 2, TURBO) == 0.8
    four = np.array(design + [2.0] * 4)
    assert side_length(four, 1, 2, TURBO) == 0.4  # max(4, d) = 4 for d = 2
    assert side_length(four, 1, 6, TURBO) == 0.8  # max(4, d) = 6 for d = 6
    assert side_length(np.array(design + [2.0] * 12), 1, 6, TURBO) == 0.2
    assert side_length(four, 1, 6, TrustRegionOptions(failure_tolerance=2)) == 0.2


def test_an_improvement_below_the_relative_threshold_is_a_failure() -> None:
    y = np.array([1.0] + [1.0 - 1e-4 * k for k in range(1, 5)])  # each improves by 1e-4 < 1e-3
    assert side_length(y, 1, 2, TURBO) == 0.4


def test_below_the_minimum_the_region_restarts_at_the_initial_length() -> None:
    options = TrustRegionOptions(initial_length=0.5, min_length=0.3, failure_tolerance=1)
    assert side_length(np.array([1.0, 2.0]), 1, 2, options) == 0.5  # 0.25 < 0.3: restart


def test_box_is_weighted_by_lengthscales_and_clipped_to_the_cube() -> None:
    centre = np.array([0.5, 0.95, 0.3, 0.0])
    lengthscales = np.array([0.1, 0.4, 7.0, 1.0])  # column 2 is a one-hot column, say
    continuous = np.array([True, True, False, True])
    lower, upper = box(centre, lengthscales, 0.4, continuous)
    weights = np.array([0.1, 0.4, 1.0]) / (0.1 * 0.4 * 1.0) ** (1 / 3)  # geometric mean 1
    half = 0.2 * weights
    np.testing.assert_allclose(lower, [0.5 - half[0], 0.95 - half[1], 0.0, 0.0])
    np.testing.assert_allclose(upper, [0.5 + half[0], 1.0, 1.0, min(1.0, half[2])])


class _Bowl:
    """A surrogate whose mean is lowest at (0.9, 0.9): UCB's maximum is there, off the box."""

    def predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.sum((X - 0.9) ** 2, axis=1), np.full(X.shape[0], 0.1)

    def predict_with_gradient(
        self, X: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        mean, std = self.predict(X)
        return mean, std, 2.0 * (X - 0.9), np.zeros_like(X)


def test_the_acquisition_search_stays_in_the_box_and_reaches_its_best_corner() -> None:
    lower, upper = np.array([0.1, 0.2]), np.array([0.4, 0.5])
    domain = Domain(dim=2, sample=lambda n, rng: rng.random((n, 2)), project=lambda X: X,
                    box=(lower, upper))
    proposal = optimize_acquisition(
        AcquisitionObjective(UpperConfidenceBound(1.0), _Bowl()), domain,
        np.random.default_rng(0), incumbents=np.array([[0.3, 0.3]]), avoid=np.empty((0, 2)))
    assert proposal is not None
    assert np.all(proposal.x >= lower) and np.all(proposal.x <= upper)
    np.testing.assert_allclose(proposal.x, upper, atol=1e-6)  # the corner nearest (0.9, 0.9)


def _objective(params: dict[str, float]) -> float:
    return (params["x"] - 0.9) ** 2


def test_an_optimizer_with_a_fixed_region_asks_within_it_of_the_incumbent() -> None:
    """One dimension (weight 1), L fixed at 0.1: each model-based ask is within 0.05 of the
    best observation so far (noise-free, so the best posterior mean is there too)."""
    fixed = TrustRegionOptions(initial_length=0.1, min_length=0.1, max_length=0.1)
    opt = Optimizer({"x": Real(0.0, 1.0)}, seed=0, n_initial=4,
                    options=OptimizerOptions(trust_region=fixed))
    for step in range(14):
        params = opt.ask()
        if step >= 4:
            best = min(opt.history, key=lambda o: o.value).params["x"]
            assert abs(params["x"] - best) <= 0.05 + 1e-9
        opt.tell(params, _objective(params))


def test_under_outcome_constraints_the_region_is_around_the_best_feasible_observation() -> None:
    """SCBO's rule (`bayesopt.propose.Proposal._trust_region`): f(x) = x, feasible iff
    x ≥ 0.6, L fixed at 0.1. While nothing told is feasible the region is the whole cube,
    so the ask may leave the infeasible corner; once 0.7 and 0.9 are feasible each ask is
    within 0.05 of the best feasible observation, not of the infeasible 0.02 whose value
    is lower (before, every ask was there: the box around 0.02 holds no feasible point)."""
    fixed = TrustRegionOptions(initial_length=0.1, min_length=0.1, max_length=0.1)
    opt = Optimizer({"x": Real(0.0, 1.0)}, seed=0, n_initial=2, n_constraints=1,
                    options=OptimizerOptions(trust_region=fixed))
    infeasible = [{"x": 0.02}, {"x": 0.05}]
    opt.tell(infeasible, [0.02, 0.05], constraints=[[0.58], [0.55]])
    params = opt.ask()
    assert params["x"] > 0.1
    opt.tell(params, params["x"], constraints=[0.6 - params["x"]])
    feasible = [{"x": 0.7}, {"x": 0.9}]
    opt.tell(feasible, [0.7, 0.9], constraints=[[-0.1], [-0.3]])
    for _ in range(3):
        best = opt.best
        assert best is not None and best.params["x"] >= 0.6  # noise-free: also the best mean
        params = opt.ask()
        assert abs(params["x"] - best.params["x"]) <= 0.05 + 1e-9
        opt.tell(params, params["x"], constraints=[0.6 - params["x"]])


def test_a_resumed_optimizer_with_a_region_asks_the_same(tmp_path: Path) -> None:
    options = OptimizerOptions(trust_region=TrustRegionOptions(initial_length=0.4))
    space = {"x": Real(0.0, 1.0), "y": Real(-1.0, 1.0)}
    journal = tmp_path / "run.jsonl"
    live = Optimizer(space, seed=3, n_initial=4, options=options, journal=journal)
    for _ in range(8):
        params = live.ask()
        live.tell(params, _objective(params) + params["y"] ** 2)
    copy = shutil.copy(journal, tmp_path / "copy.jsonl")  # one writer per journal: resume a copy
    with pytest.warns(ResumeWarning, match="8 evaluations"):
        resumed = Optimizer.resume(copy)
    assert resumed.fingerprint == live.fingerprint
    assert resumed.ask() == live.ask()


def test_the_option_round_trips_and_changes_the_fingerprint() -> None:
    options = OptimizerOptions(trust_region=TrustRegionOptions(failure_tolerance=5))
    assert OptimizerOptions.from_dict(options.to_dict()) == options
    space = {"x": Real(0.0, 1.0)}
    assert (Optimizer(space, options=options).fingerprint
            != Optimizer(space).fingerprint
            == Optimizer(space, options=OptimizerOptions(trust_region=None)).fingerprint)


@pytest.mark.parametrize("kwargs, message", [
    ({"initial_length": 2.0}, "initial_length=2.0"),
    ({"min_length": 0.9}, "min_length=0.9"),
    ({"max_length": 0.5}, "max_length=0.5"),
    ({"failure_tolerance": 0}, "failure_tolerance"),
    ({"success_tolerance": 1.5}, "success_tolerance"),
    ({"improvement": -1e-3}, "improvement"),
])
def test_bad_settings_raise_naming_them(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        TrustRegionOptions(**kwargs)  # type: ignore[arg-type]


def test_trust_region_must_be_trust_region_options() -> None:
    with pytest.raises(TypeError, match="trust_region"):
        OptimizerOptions(trust_region={"initial_length": 0.8})  # type: ignore[arg-type]


def test_a_fidelity_is_refused_at_construction_naming_both() -> None:
    """Before, the first model-based ask raised IndexError inside `box` (the GP's inputs
    carry a budget column the trust region's mask has not)."""
    space = {"x": Real(0.0, 1.0), "epochs": Fidelity(1, 9)}
    with pytest.raises(ValueError, match=r"options.trust_region=.* with a Fidelity \('epochs'\)"):
        Optimizer(space, options=OptimizerOptions(trust_region=TURBO))


def test_a_point_told_outside_the_input_constraints_is_never_the_centre(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Told data are data, but a box around a point `feasible=` refuses may hold no point
    an ask could return (before, every ask was then a random new point): the centre is
    the best observation the input constraints admit."""
    import bayesopt.propose

    centres: list[np.ndarray] = []

    def spy(centre: np.ndarray, lengthscales: np.ndarray, length: float,
            continuous: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        centres.append(centre.copy())
        return box(centre, lengthscales, length, continuous)

    monkeypatch.setattr(bayesopt.propose, "box", spy)
    fixed = TrustRegionOptions(initial_length=0.1, min_length=0.1, max_length=0.1)
    opt = Optimizer({"x": Real(0.0, 1.0)}, seed=0, n_initial=3, feasible=[lambda p: p["x"] <= 0.5],
                    options=OptimizerOptions(trust_region=fixed))
    told = [{"x": 0.9}, {"x": 0.2}, {"x": 0.3}, {"x": 0.4}]
    opt.tell(told, [-5.0, 1.0, 0.9, 0.95])
    for _ in range(3):
        params = opt.ask()
        opt.tell(params, 1.0 - params["x"])
    assert len(centres) == 3
    assert all(float(c[0]) <= 0.5 for c in centres)

"""Augmented EI, acquisition="logaei" (`acquisition.functions.LogAugmentedExpectedImprovement`,
Huang et al. 2006), as the optimizer builds it.

- the snapshot's acquisition is LogEI's on the same model plus log(1 − σ_n/√(σ² + σ_n²)),
  σ_n² the model's fitted observation noise (its samples' mean under hyperparameters="mcmc");
- asks are deterministic and differ from LogEI's on a noisy objective; a resumed run asks
  what the live one does;
- outcome constraints, a Fidelity and a batch work with it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.special import logsumexp

from acquisition.functions import LogExpectedImprovement
from bayesopt import Optimizer, Real
from bayesopt.fidelity import Fidelity
from bayesopt.model import ModelOptions
from bayesopt.options import OptimizerOptions
from bayesopt.sampling import GaussianProcessMixture

SPACE = {"x0": Real(0.0, 1.0), "x1": Real(0.0, 1.0)}


def _noisy(params: dict[str, Any], rng: np.random.Generator) -> float:
    return float((params["x0"] - 0.3) ** 2 + params["x1"] + 0.2 * rng.standard_normal())


def _told(opt: Optimizer, n: int = 14, seed: int = 0) -> Optimizer:
    """`opt` told n fixed random points of a noisy function (no ask: every optimizer built
    with the same seed and options fits the same model)."""
    rng = np.random.default_rng(seed)
    for x in rng.random((n, 2)):
        params = {"x0": float(x[0]), "x1": float(x[1])}
        opt.tell(params, _noisy(params, rng))
    return opt


def _run(opt: Optimizer, steps: int, seed: int = 1) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    asked = []
    for _ in range(steps):
        params = opt.ask()
        asked.append(params)
        opt.tell(params, _noisy(params, rng))
    return asked


def _log_factor(std: np.ndarray, noise: float) -> np.ndarray:
    """log(1 − σ_n / √(std² + σ_n²)), σ_n² = noise, as the textbook writes it."""
    return np.log(1.0 - np.sqrt(noise) / np.sqrt(std**2 + noise))


def _points() -> list[dict[str, float]]:
    return [{"x0": float(a), "x1": float(b)} for a, b in np.random.default_rng(5).random((40, 2))]


def test_the_acquisition_is_logei_plus_the_log_noise_factor() -> None:
    augmented = _told(Optimizer(SPACE, seed=3, acquisition="logaei"))
    plain = _told(Optimizer(SPACE, seed=3))
    snapshot, points = augmented.surrogate(), _points()
    values, reference = snapshot.acquisition(points), plain.surrogate().acquisition(points)
    assert values.name == "logaei" and reference.name == "logei"
    noise = snapshot.model.observation_noise
    assert snapshot.model.gp is not None and noise == snapshot.model.gp.noise
    assert noise > 1e-4  # fitted to the noise of the values, far above its floor 1e-8
    factor = _log_factor(snapshot.model.predict(snapshot.space.encode(points))[1], noise)
    assert values.log_value is not None and reference.log_value is not None
    assert_allclose(values.log_value - reference.log_value, factor, rtol=1e-9)
    assert np.all(factor < 0.0) and factor.min() < -0.1  # a discount that matters


def test_under_hyperparameter_samples_it_averages_each_samples_aei_with_their_mean_noise() -> None:
    options = OptimizerOptions(model=ModelOptions(hyperparameters="mcmc"))
    snapshot = _told(Optimizer(SPACE, seed=3, acquisition="logaei", options=options)).surrogate()
    gp, points = snapshot.model.gp, _points()
    assert isinstance(gp, GaussianProcessMixture)
    noise = snapshot.model.observation_noise
    assert noise == pytest.approx(np.mean([member.noise for member in gp.members]), rel=1e-12)
    means, stds = snapshot.model.predict_samples(snapshot.space.encode(points))  # (S, m)
    log_aei = (LogExpectedImprovement(snapshot.model.incumbent)(means.ravel(), stds.ravel())
               .reshape(means.shape) + _log_factor(stds, noise))
    expected = logsumexp(log_aei, axis=0) - np.log(means.shape[0])  # log of the samples' mean
    values = snapshot.acquisition(points)
    assert values.log_value is not None
    assert_allclose(values.log_value, expected, rtol=1e-9)


def test_asks_are_deterministic_and_differ_from_logei() -> None:
    first = _run(Optimizer(SPACE, seed=4, acquisition="logaei"), 12)
    assert _run(Optimizer(SPACE, seed=4, acquisition="logaei"), 12) == first
    assert _run(Optimizer(SPACE, seed=4), 12)[6:] != first[6:]  # after the design


def test_a_resumed_run_asks_the_same(tmp_path: Any) -> None:
    journal = str(tmp_path / "run.jsonl")
    opt = Optimizer(SPACE, seed=5, acquisition="logaei", journal=journal)
    _run(opt, 9)
    opt.close()
    with pytest.warns(UserWarning, match="9 evaluations and 0 pending points are kept"):
        resumed = Optimizer.resume(journal)
    assert resumed.ask(3) == opt.ask(3)


def test_a_batch_constraints_and_a_fidelity_work_with_it() -> None:
    opt = _told(Optimizer(SPACE, seed=6, acquisition="logaei"))
    batch = opt.ask(3)
    assert len({tuple(p.values()) for p in batch}) == 3
    constrained = Optimizer(SPACE, seed=6, acquisition="logaei", n_constraints=1)
    rng = np.random.default_rng(2)
    for params in (constrained.ask() for _ in range(8)):
        constrained.tell(params, _noisy(params, rng), constraints=[params["x0"] - 0.6])
    assert set(constrained.ask()) == set(SPACE)
    budgets = Optimizer({**SPACE, "epochs": Fidelity(1, 9)}, seed=6, acquisition="logaei")
    for params in (budgets.ask() for _ in range(12)):
        budgets.tell(params, _noisy(params, rng) / params["epochs"])
    assert set(budgets.ask()) == {"x0", "x1", "epochs"}

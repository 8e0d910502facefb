"""Noisy expected improvement, acquisition="lognei" (`bayesopt.noisy`).

- the noise-free posteriors of the samples equal numpy's conditioning of the same draws;
- the 16-sample estimate equals a 20 000-sample Monte-Carlo reference within the error its
  own samples' spread allows;
- as the noise goes to 0 it tends to LogEI with the best observed value as incumbent;
- its gradient matches central differences (plain, warped and rounded inputs);
- asks are deterministic, and a resumed run asks what the live one does;
- the combinations it does not support raise, naming them.
"""

from __future__ import annotations

import copy
import math
from typing import Any, cast

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.special import logsumexp
from scipy.stats import norm

from acquisition.averaging import AveragedAcquisitionObjective
from acquisition.functions import LogExpectedImprovement
from bayesopt import Optimizer, Real
from bayesopt.fidelity import Fidelity
from bayesopt.gp import GaussianProcess
from bayesopt.model import ModelOptions
from bayesopt.noisy import N_SAMPLES, NOISE_FREE, NoiseFreeSamples, sobol_normals
from bayesopt.options import OptimizerOptions
from kernels import Kernel
from tests.gradients import central_differences

D = 2
SPACE = {"x0": Real(0.0, 1.0), "x1": Real(0.0, 1.0)}


def _gp(noise: float, n: int = 12, seed: int = 0) -> GaussianProcess:
    rng = np.random.default_rng(seed)
    kernel = Kernel("matern52", D, np.log([0.3, 0.5, 1.3]))
    X = rng.random((n, D))
    values = np.sin(6 * X[:, 0]) + X[:, 1] ** 2 + math.sqrt(noise) * rng.standard_normal(n)
    return GaussianProcess(kernel, noise, X, values, float(values.mean()), float(values.std()))


class _Samples:
    """The `SampledSurrogate` protocol over NoiseFreeSamples, for the averaged objective."""

    def __init__(self, samples: NoiseFreeSamples) -> None:
        self.samples = samples

    def predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise AssertionError("the averaged objective reads predict_samples only")

    predict_with_gradient = predict  # type: ignore[assignment]

    def predict_samples(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.samples.predict_samples(X)

    def predict_samples_with_gradient(self, X: np.ndarray) -> Any:
        return self.samples.predict_samples_with_gradient(X)

    def sample_log_weights(self) -> None:
        return None


def _objective(samples: NoiseFreeSamples) -> AveragedAcquisitionObjective:
    return AveragedAcquisitionObjective(LogExpectedImprovement(0.0), _Samples(samples), None)


def _epsilon(gp: GaussianProcess) -> float:
    """ε, the samples' conditioning noise: NOISE_FREE·s2, at most half the GP's noise."""
    return min(NOISE_FREE * gp.kernel.variance, 0.5 * gp.noise)


def _numpy_posterior(gp: GaussianProcess) -> tuple[np.ndarray, np.ndarray]:
    """μ_z and Σ_z, z = f(X) + √ε·e given y, at the GP's inputs by dense numpy solves (R&W
    Eq. 2.24 with K_f + εI as z's covariance and as its covariance with y)."""
    K_z = gp.kernel.matrix(gp.X) + _epsilon(gp) * np.eye(gp.n)
    K = gp.kernel.matrix(gp.X) + gp.noise * np.eye(gp.n)
    return K_z @ np.linalg.solve(K, gp.y), K_z - K_z @ np.linalg.solve(K, K_z)


def _numpy_conditioned(gp: GaussianProcess, F: np.ndarray,
                       Xq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Means (S, m) and std (m,) of the GP conditioned on z = F[:, s] with noise ε."""
    K_eps = gp.kernel.matrix(gp.X) + _epsilon(gp) * np.eye(gp.n)
    Ks = gp.kernel.cross(Xq, gp.X)
    var = gp.kernel.variance - np.einsum("mn,nm->m", Ks, np.linalg.solve(K_eps, Ks.T))
    return (Ks @ np.linalg.solve(K_eps, F)).T, np.sqrt(var)


def _log_ei(best: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """log EI (Jones et al. 1998) directly; −inf where it underflows."""
    z = (best - mean) / std
    with np.errstate(divide="ignore"):
        return cast(np.ndarray, np.log(std * (norm.pdf(z) + z * norm.cdf(z))))


def test_the_samples_posteriors_equal_numpys_conditioning() -> None:
    gp = _gp(noise=0.05)
    E = sobol_normals(gp.n, N_SAMPLES, np.random.default_rng(1))
    samples = NoiseFreeSamples(gp, E)
    assert samples.epsilon == _epsilon(gp) == NOISE_FREE * gp.kernel.variance
    mu, cov = _numpy_posterior(gp)
    # the same draws: F = μ + L_Σ E, whatever square root numpy would take
    assert_allclose(samples.values.mean(axis=1), mu + np.linalg.cholesky(
        cov + 1e-10 * np.eye(gp.n)) @ E.mean(axis=1), atol=2e-5)
    Xq = np.random.default_rng(2).random((7, D))
    means, std = _numpy_conditioned(gp, samples.values, Xq)
    got_means, got_std = samples.predict_samples(Xq)
    assert_allclose(got_means, means - samples.values.min(axis=0)[:, None], atol=1e-7)
    assert_allclose(got_std, np.broadcast_to(std, means.shape), rtol=1e-6)


def _reference(gp: GaussianProcess, Xq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """log NEI at Xq by 20 000 plain Monte-Carlo draws of f(X), conditioned by numpy, and
    the relative standard error of its mean of EI."""
    mu, cov = _numpy_posterior(gp)
    F = np.random.default_rng(5).multivariate_normal(mu, cov, size=20_000, method="eigh").T
    means, std = _numpy_conditioned(gp, F, Xq)
    log_ei = _log_ei(F.min(axis=0)[:, None], means, std[None])  # (S_ref, m)
    ei = np.exp(log_ei)
    return (logsumexp(log_ei, axis=0) - math.log(F.shape[1]),
            ei.std(axis=0) / math.sqrt(F.shape[1]) / ei.mean(axis=0))


def _near_the_best(gp: GaussianProcess) -> np.ndarray:
    """Six points around the three best observations, where improvement is plausible (far
    from them NEI is a rare-event integral that no sample count here pins down)."""
    best = gp.X[np.argsort(gp.y)[:3]]
    return cast(np.ndarray, np.clip(np.repeat(best, 2, axis=0) + 0.05 * np.random.default_rng(
        3).standard_normal((6, D)), 0.0, 1.0))


def test_many_samples_match_a_monte_carlo_reference() -> None:
    """The estimator itself, with 4096 samples: within 4 standard errors of each estimate
    (the reference's from its spread; 4096 QMC samples' at most Monte Carlo's)."""
    gp = _gp(noise=0.05)
    Xq = _near_the_best(gp)
    samples = NoiseFreeSamples(gp, sobol_normals(gp.n, 4096, np.random.default_rng(4)))
    reference, se_ref = _reference(gp, Xq)
    ei = np.exp(samples_log_ei(samples, Xq))
    se = ei.std(axis=0) / math.sqrt(ei.shape[0]) / ei.mean(axis=0)
    tolerance = np.log1p(4 * (se + se_ref))
    # EI_s is heavy-tailed where few samples improve (two of the six points), so the
    # tolerance is wide there and tight at the others
    assert np.median(tolerance) < 0.2 and tolerance.max() < 0.7, "too loose to test anything"
    assert np.all(np.abs(_objective(samples).values(Xq) - reference) <= tolerance)


def test_the_16_sample_estimate_is_within_its_standard_error() -> None:
    """S = 16 (N_SAMPLES): the estimate is within 4 of its standard errors (from the 16
    samples' own spread of EI_s, Monte Carlo's rate; QMC's error is no larger) of the
    reference. The spread of EI_s near the incumbent is wide (the samples' incumbents b_s
    differ), so this bound is loose: it checks S = 16 is not off by more than S allows."""
    gp = _gp(noise=0.05)
    Xq = _near_the_best(gp)
    samples = NoiseFreeSamples(gp, sobol_normals(gp.n, N_SAMPLES, np.random.default_rng(4)))
    reference, se_ref = _reference(gp, Xq)
    ei = np.exp(samples_log_ei(samples, Xq))
    se = ei.std(axis=0, ddof=1) / math.sqrt(N_SAMPLES) / ei.mean(axis=0)
    assert np.all(np.abs(_objective(samples).values(Xq) - reference)
                  <= np.log1p(4 * (se + se_ref)))


def samples_log_ei(samples: NoiseFreeSamples, Xq: np.ndarray) -> np.ndarray:
    means, std = samples.predict_samples(Xq)
    return LogExpectedImprovement(0.0).value_and_grad(means.ravel(), std.ravel())[0].reshape(
        means.shape)


@pytest.mark.parametrize("noise", [1e-10, 1e-8])
def test_with_noise_to_zero_it_tends_to_logei_at_the_best_observation(noise: float) -> None:
    """As σ² → 0 the samples' incumbents tend to min y and their posteriors to the GP's, at
    the rate of the noise's std (1e-4 at the fitted noise's floor 1e-8, a noiseless
    objective's): log NEI is LogEI with incumbent min y within 1e-3, next to the best
    observations (where the incumbent matters) as anywhere."""
    gp = _gp(noise=noise)
    Xq = np.concatenate([np.random.default_rng(6).random((8, D)), _near_the_best(gp)])
    samples = NoiseFreeSamples(gp, sobol_normals(gp.n, N_SAMPLES, np.random.default_rng(7)))
    mean, var = gp.predict(Xq)
    expected = LogExpectedImprovement(float(gp.y.min()))(mean, np.sqrt(var))
    assert np.all(expected > -80.0), "EI underflowing nowhere: a comparison of values"
    assert_allclose(_objective(samples).values(Xq), expected, rtol=0.0, atol=1e-3)
    noisy = NoiseFreeSamples(_gp(noise=0.3), sobol_normals(gp.n, N_SAMPLES,
                                                           np.random.default_rng(7)))
    assert np.max(np.abs(noisy.values - noisy.values[:, :1])) > 0.1  # the samples do differ


@pytest.mark.parametrize("noise", [1e-8, 1e-4, 0.05, 0.5])
def test_the_gradient_matches_central_differences(noise: float) -> None:
    gp = _gp(noise=noise, n=15)
    objective = _objective(NoiseFreeSamples(
        gp, sobol_normals(gp.n, N_SAMPLES, np.random.default_rng(8))))
    X = 0.05 + 0.9 * np.random.default_rng(9).random((10, D))
    value, grad = objective.values_and_gradients(X)
    assert_allclose(value, objective.values(X))
    assert_allclose(grad, central_differences(objective.values, X), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("model", [ModelOptions(input_warping=True),
                                   ModelOptions(integer_kernel="round")])
def test_the_gradient_chains_through_warping_and_rounding(model: ModelOptions) -> None:
    space = {"x0": Real(0.0, 1.0), "x1": Real(0.0, 1.0), "k": Real(0.0, 1.0)}
    if model.integer_kernel == "round":
        from bayesopt import Integer
        space["k"] = Integer(0, 4)  # type: ignore[assignment]
    opt = Optimizer(space, seed=2, acquisition="lognei", options=OptimizerOptions(model=model))
    rng = np.random.default_rng(10)
    for _ in range(12):
        params = opt.ask()
        opt.tell(params, float(np.sum(np.square(list(params.values()))) + 0.1 * rng.random()))
    objective = opt._snapshot_objective(pending=False)
    X = 0.1 + 0.8 * rng.random((6, 3))
    X[:, 2] = 0.3  # away from a rounding step
    _, grad = objective.values_and_gradients(X)
    assert_allclose(grad[:, :2], central_differences(objective.values, X)[:, :2],
                    rtol=1e-4, atol=1e-6)


def _run(opt: Optimizer, steps: int, seed: int = 0) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    asked = []
    for _ in range(steps):
        params = opt.ask()
        asked.append(params)
        opt.tell(params, (params["x0"] - 0.3) ** 2 + params["x1"] + 0.2 * rng.standard_normal())
    return asked


def test_asks_are_deterministic_and_differ_from_logei() -> None:
    first = _run(Optimizer(SPACE, seed=4, acquisition="lognei"), 10)
    assert _run(Optimizer(SPACE, seed=4, acquisition="lognei"), 10) == first
    assert _run(Optimizer(SPACE, seed=4), 10)[6:] != first[6:]  # after the design


def test_within_an_ask_the_acquisition_is_one_function() -> None:
    opt = Optimizer(SPACE, seed=4, acquisition="lognei")
    _run(opt, 8)
    objective = opt._snapshot_objective(pending=False)
    X = np.random.default_rng(11).random((50, D))
    assert np.array_equal(objective.values(X), objective.values(X))
    twin = copy.deepcopy(opt)
    assert twin.ask() == opt.ask()


def test_a_resumed_run_asks_the_same(tmp_path: Any) -> None:
    journal = str(tmp_path / "run.jsonl")
    opt = Optimizer(SPACE, seed=5, acquisition="lognei", journal=journal)
    _run(opt, 9)
    opt.close()
    with pytest.warns(UserWarning, match="9 evaluations and 0 pending points are kept"):
        resumed = Optimizer.resume(journal)
    assert resumed.ask(3) == opt.ask(3)


def test_a_batch_fantasizes_its_pending_points() -> None:
    opt = Optimizer(SPACE, seed=6, acquisition="lognei")
    _run(opt, 8)
    batch = opt.ask(3)
    points = np.array([[p["x0"], p["x1"]] for p in batch])
    assert len({tuple(p) for p in points}) == 3
    assert np.min(np.linalg.norm(points[:, None] - points[None], axis=2)
                  + np.eye(3)) > 1e-3


def test_local_penalization_and_told_costs_work_with_it() -> None:
    opt = Optimizer(SPACE, seed=7, acquisition="lognei",
                    options=OptimizerOptions(model=ModelOptions(fantasy="penalize")))
    _run(opt, 8)
    assert len({tuple(p.values()) for p in opt.ask(3)}) == 3
    costed = Optimizer(SPACE, seed=7, acquisition="lognei")
    for params in (costed.ask() for _ in range(7)):
        costed.tell(params, params["x0"] + params["x1"], cost=1.0 + params["x0"])
    assert [o.cost for o in costed.history] == [1.0 + o.params["x0"] for o in costed.history]
    assert set(costed.ask()) == set(SPACE)  # a model ask, with costs told


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"options": OptimizerOptions(model=ModelOptions(incumbent="observed"))},
     r"options.model.incumbent='observed': not used with acquisition='lognei'"),
    ({"options": OptimizerOptions(model=ModelOptions(hyperparameters="mcmc"))},
     (r"acquisition='lognei' with options.model.hyperparameters='mcmc' is not supported: "
      r".*; use hyperparameters='map' or acquisition='logei'$")),
    ({"options": OptimizerOptions(model=ModelOptions(kernel_candidates=("matern32",),
                                                     kernel_average=True))},
     (r"acquisition='lognei' with options.model.kernel_average=True is not supported: "
      r".*; use kernel_average=False or acquisition='logei'$")),
    ({"n_constraints": 1}, r"n_constraints=1 needs acquisition in .*not 'lognei'"),
    ({"cost_budget": 10.0}, r"cost_budget=10.0 .* unused with 'lognei'"),
])
def test_unsupported_combinations_raise(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Optimizer(SPACE, acquisition="lognei", **kwargs)


def test_a_fidelity_or_told_constraints_raise() -> None:
    with pytest.raises(ValueError, match=r"acquisition='lognei' with a Fidelity \('epochs'\) "
                       r"in the space is not supported: .*; use acquisition='logei'$"):
        Optimizer({**SPACE, "epochs": Fidelity(1, 27)}, acquisition="lognei")
    opt = Optimizer(SPACE, seed=0, acquisition="lognei")
    params = opt.ask()
    with pytest.raises(ValueError, match=r"constraints need acquisition in .*not 'lognei'"):
        opt.tell(params, 1.0, constraints=[0.5])


def test_more_observations_than_sobol_dimensions_raise_naming_the_count() -> None:
    from scipy.stats import qmc

    rng = np.random.default_rng(0)
    assert sobol_normals(qmc.Sobol.MAXDIM, 2, rng).shape == (qmc.Sobol.MAXDIM, 2)
    with pytest.raises(ValueError, match=rf"lognei.*n={qmc.Sobol.MAXDIM + 1}.*'logei'"):
        sobol_normals(qmc.Sobol.MAXDIM + 1, 2, rng)


@pytest.mark.parametrize("noise", [1e-8, 1e-4, 0.05])
def test_the_samples_decompose_the_gps_posterior_exactly(noise: float) -> None:
    """Given y, f(x) is independent of what the samples condition on, so the GP's posterior
    is the mixture of the samples' (tower rule, law of total variance): the mean over the
    samples of μ_s(x) is μ(x), and their variance plus σ_s²(x) is σ²(x) — so no sample's
    "noise-free" σ_s exceeds the GP's σ. With the normals E = √n·[I, −I] the samples'
    mean and covariance are the posterior's exactly, so this holds to rounding. Noise 1e-8
    is the fitted noise's floor (a noiseless objective), below FANTASY_NOISE·s2."""
    gp = _gp(noise=noise)
    E = math.sqrt(gp.n) * np.concatenate([np.eye(gp.n), -np.eye(gp.n)], axis=1)
    samples = NoiseFreeSamples(gp, E)
    assert samples.epsilon == _epsilon(gp) <= 0.5 * noise
    rng = np.random.default_rng(12)
    Xq = np.concatenate([np.clip(gp.X + 1e-3 * rng.standard_normal(gp.X.shape), 0.0, 1.0),
                         rng.random((10, D))])  # next to each observation, and anywhere
    shifted, std = samples.predict_samples(Xq)
    means = shifted + samples.incumbents[:, None]  # μ_s: (2n, m)
    mean, var = gp.predict(Xq)
    scale = gp.kernel.variance
    assert_allclose(means.mean(axis=0), mean, atol=1e-7 * math.sqrt(scale))
    assert np.all(std[0] ** 2 <= var * (1 + 1e-6) + 1e-12 * scale)
    assert_allclose(means.var(axis=0) + std[0] ** 2, var, rtol=1e-5, atol=1e-12 * scale)

"""The kernel chosen by the evidence at each refit (`ModelOptions.kernel_candidates`).

What is checked: the option is validated (names, duplicates, the options it cannot be
combined with); at a refit the model uses the fitted kernel with the lower negative log
posterior, which on hand-made data is the right one (rough draws of a Matérn-1/2 GP with
a short lengthscale: the rougher kernel; a smooth quadratic: Matérn-5/2); the kernel in
use is what `Surrogate.hyperparameters().kernel` reports and what the model's state
records; a resumed journal and a replayed shared study ask the same; the default's
model state and fingerprint do not mention the option. With `kernel_average=True`: the
mixture's weights are the normalized posteriors, its moments the weighted mixture's, the
acquisition the weighted average (finite-difference gradient), a resume asks the same, and
each outcome-constraint GP selects its kernel.
With acquisition="hedge" as well: a journal resumed mid-run asks the same and reaches the
same Hedge gains.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from acquisition.averaging import AveragedAcquisitionObjective
from acquisition.functions import (
    ExpectedImprovement,
    LogExpectedImprovement,
    UpperConfidenceBound,
)
from bayesopt import Categorical, Integer, Optimizer, OptimizerOptions, Real
from bayesopt.fitting import negative_log_posterior
from bayesopt.model import ModelOptions, SurrogateModel
from bayesopt.optimizer import ResumeWarning
from bayesopt.sampling import GaussianProcessMixture
from gradients import central_differences

SPACE = {"x": Real(0.0, 1.0), "y": Real(-1.0, 1.0), "z": Real(0.0, 2.0)}


def _objective(params: dict[str, Any]) -> float:
    x, y, z = params["x"], params["y"], params["z"]
    return float(abs(x - 0.3) + (y - 0.2) ** 2 + abs(np.sin(7.0 * z)))


def _selecting(*candidates: str) -> OptimizerOptions:
    return OptimizerOptions(model=ModelOptions(kernel_candidates=candidates))


def _run(opt: Optimizer, steps: int) -> list[str]:
    """Ask and tell `steps` times; the kernel in use after each tell once the model exists."""
    kernels = []
    for _ in range(steps):
        params = opt.ask()
        opt.tell(params, _objective(params))
        if opt._state.model.gp is not None:
            kernels.append(opt.surrogate().hyperparameters().kernel)
    return kernels


# ------------------------------------------------------------------ validation
@pytest.mark.parametrize(("options", "error", "match"), [
    ({"kernel_candidates": "matern32"}, TypeError, "kernel_candidates='matern32' must be a tuple"),
    ({"kernel_candidates": ("matern33",)}, ValueError, "'matern33' must be one of"),
    ({"kernel_candidates": (32,)}, ValueError, "32 must be one of"),
    ({"kernel_candidates": ("matern32", "matern32")}, ValueError, "names one kernel twice"),
    ({"kernel_candidates": ("matern12", "exponential")}, ValueError, "names one kernel twice"),
    ({"kernel_candidates": ("matern52",)}, ValueError, "repeats kernel='matern52'"),
    ({"kernel": "matern12", "kernel_candidates": ("exponential",)}, ValueError,
     "repeats kernel='matern12'"),
    ({"kernel_candidates": ("matern32",), "hyperparameters": "mcmc"}, ValueError,
     "needs hyperparameters='map', got hyperparameters='mcmc'"),
    ({"kernel_candidates": ("matern32",), "input_warping": True}, ValueError,
     "needs input_warping=False, got input_warping=True"),
    ({"kernel_candidates": ("matern32",), "fidelity_kernel": "basis"}, ValueError,
     "needs fidelity_kernel='stationary', got fidelity_kernel='basis'"),
])
def test_invalid_candidates_are_refused_naming_the_key(
        options: dict[str, Any], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        ModelOptions(**options)


def test_a_list_is_taken_as_a_tuple_and_round_trips_through_the_options_dict() -> None:
    options = OptimizerOptions(model=ModelOptions(kernel_candidates=["matern32", "rbf"]))  # type: ignore[arg-type]
    assert options.model.kernel_candidates == ("matern32", "rbf")
    assert OptimizerOptions.from_dict(options.to_dict()) == options


def test_the_kernel_argument_may_not_repeat_a_candidate() -> None:
    with pytest.raises(ValueError, match="kernel_candidates=.*repeats kernel='matern32'"):
        Optimizer(SPACE, kernel="matern32",
                  options=OptimizerOptions(model=ModelOptions(
                      kernel="matern32", kernel_candidates=("matern32",))))


# ------------------------------------------------------------------ selection
def _matern12_draws(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A draw of a zero-mean Matérn-1/2 GP, lengthscale 0.1, at n uniform points of [0, 1]²
    (an exact draw: Cholesky of the kernel matrix, numpy only)."""
    rng = np.random.default_rng(seed)
    X = rng.random((n, 2))  # (n, 2)
    r = np.sqrt(((X[:, None, :] - X[None, :, :]) ** 2).sum(-1)) / 0.1  # (n, n)
    K = np.exp(-r) + 1e-8 * np.eye(n)
    return X, np.linalg.cholesky(K) @ rng.standard_normal(n)


def _quadratic(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.random((n, 2))  # (n, 2)
    return X, ((X - 0.4) ** 2).sum(axis=1)


def _fitted(X: np.ndarray, y: np.ndarray, options: ModelOptions) -> SurrogateModel:
    model = SurrogateModel(X.shape[1], options, np.random.default_rng(0))
    model.update(X, y)
    return model


def _objective_value(model: SurrogateModel, kernel: str, X: np.ndarray) -> float:
    """The negative log posterior of `kernel` at its fitted θ, on the model's targets."""
    y_std = (model.gp.values - model.y_mean) / model.y_scale  # type: ignore[union-attr]
    params = model.kernel_params[kernel]
    return negative_log_posterior(params, kernel, X, y_std, model.priors)[0]


@pytest.mark.parametrize(("data", "right"), [
    (_matern12_draws(40, 0), "matern12"), (_matern12_draws(40, 1), "matern12"),
    (_quadratic(25, 0), "matern52"), (_quadratic(25, 1), "matern52"),
])
def test_the_kernel_with_the_higher_log_posterior_is_used(
        data: tuple[np.ndarray, np.ndarray], right: str) -> None:
    X, y = data
    model = _fitted(X, y, ModelOptions(kernel_candidates=("matern12",),
                                       output_transform="none"))
    values = {k: _objective_value(model, k, X) for k in ("matern52", "matern12")}
    assert model.kernel_name == min(values, key=values.__getitem__) == right, values
    assert model.gp.kernel.name == right  # type: ignore[union-attr]
    assert np.array_equal(model.params, model.kernel_params[right])  # type: ignore[arg-type]


def test_each_kernel_fit_equals_a_fit_of_that_kernel_alone() -> None:
    """Without restarts, each candidate's θ is the one-kernel model's θ (the same fit)."""
    X, y = _matern12_draws(30, 2)
    alone = {"n_restarts": 0, "output_transform": "none"}
    model = _fitted(X, y, ModelOptions(kernel_candidates=("matern32",), **alone))
    for kernel in ("matern52", "matern32"):
        single = _fitted(X, y, ModelOptions(kernel=kernel, **alone))
        np.testing.assert_array_equal(model.kernel_params[kernel], single.params)


def test_the_kernel_in_use_is_reported_and_recorded_and_changes_with_the_data() -> None:
    opt = Optimizer(SPACE, seed=0, options=_selecting("matern12"))
    kernels = _run(opt, 30)
    assert set(kernels) == {"matern52", "matern12"}, kernels  # both chosen over the run
    state = opt._state.model.state()
    assert state["kernel"] == kernels[-1] == opt._state.model.gp.kernel.name  # type: ignore[union-attr]
    assert set(state["kernel_params"]) == {"matern52", "matern12"}


def test_the_default_state_and_fingerprint_do_not_mention_candidates() -> None:
    default = Optimizer(SPACE, seed=0)
    _run(default, 8)
    assert {"kernel", "kernel_params"}.isdisjoint(default._state.model.state())
    selecting = Optimizer(SPACE, seed=0, options=_selecting("matern32"))
    assert selecting.fingerprint != default.fingerprint
    assert Optimizer(SPACE, seed=0, options=_selecting()).fingerprint == default.fingerprint


@pytest.mark.parametrize("model", [{"categorical_kernel": "hamming"}, {"integer_kernel": "round"}])
def test_mixed_spaces_with_tied_or_rounded_inputs_select_too(model: dict[str, Any]) -> None:
    """The candidates are fitted by the same fit as `kernel` (tied lengthscales, rounded
    inputs), and the chosen one is what the surrogate reports."""
    space = {"x": Real(0.0, 1.0), "k": Integer(1, 6), "c": Categorical(["a", "b", "c"])}
    options = OptimizerOptions(model=ModelOptions(kernel_candidates=("matern12",), **model))
    opt = Optimizer(space, seed=0, options=options)
    for _ in range(14):
        params = opt.ask()
        opt.tell(params, abs(params["x"] - 0.4) + 0.1 * params["k"] + (params["c"] == "b"))
    state = opt._state.model.state()
    assert set(state["kernel_params"]) == {"matern52", "matern12"}
    assert opt.surrogate().hyperparameters().kernel == state["kernel"]


# ------------------------------------------------------------------ replay
def _resumed_mid_run(tmp_path: Path, **kwargs: Any) -> tuple[Optimizer, Optimizer]:
    """A selecting run of 14 steps that used both kernels, and its journal resumed."""
    journal = tmp_path / "run.jsonl"
    live = Optimizer(SPACE, seed=3, options=_selecting("matern12"), journal=journal, **kwargs)
    used = _run(live, 14)
    assert set(used) == {"matern52", "matern12"}, used  # the replay crosses both kernels
    copy = shutil.copy(journal, tmp_path / "copy.jsonl")  # one writer per journal: resume a copy
    with pytest.warns(ResumeWarning, match="14 evaluations"):
        resumed = Optimizer.resume(copy)
    assert resumed.fingerprint == live.fingerprint
    return live, resumed


def _ask_alike(live: Optimizer, resumed: Optimizer, steps: int) -> None:
    """`steps` asks of both are equal and use the same kernel; each is told the objective."""
    for _ in range(steps):
        a, b = live.ask(), resumed.ask()
        assert a == b
        assert (live.surrogate().hyperparameters().kernel
                == resumed.surrogate().hyperparameters().kernel)
        live.tell(a, _objective(a))
        resumed.tell(b, _objective(b))


def test_a_resumed_journal_asks_the_same(tmp_path: Path) -> None:
    live, resumed = _resumed_mid_run(tmp_path)
    _ask_alike(live, resumed, 6)


def _shared_run(url: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """Two workers alternating on a study at `url`: every ask, and the kernel each used."""
    workers = [Optimizer(SPACE, storage=url, study="s", seed=seed,
                         options=_selecting("matern12")) for seed in (5, 6)]
    asks, kernels = [], []
    for _ in range(7):
        for opt in workers:
            params = opt.ask()
            asks.append(params)
            opt.tell(params, _objective(params))
            if opt._state.model.gp is not None:
                kernels.append(opt.surrogate().hyperparameters().kernel)
    return asks, kernels


def test_a_shared_study_asks_the_same_when_run_again(tmp_path: Path) -> None:
    """Each worker folds the other's events into its state; the kernel its refits select
    and so its asks depend only on the events and its seed."""
    first, second = _shared_run(tmp_path / "a.jsonl"), _shared_run(tmp_path / "b.jsonl")
    assert set(first[1]) == {"matern52", "matern12"}, first[1]
    assert first == second


# ------------------------------------------------------------------ kernel average
def _average_model(seed: int = 4) -> tuple[SurrogateModel, np.ndarray]:
    X, y = _matern12_draws(25, seed)
    options = ModelOptions(kernel_candidates=("matern12",), kernel_average=True,
                           output_transform="none")
    return _fitted(X, y, options), X


def test_kernel_average_needs_candidates() -> None:
    with pytest.raises(ValueError, match=r"kernel_average=True averages over kernel_candidates"):
        ModelOptions(kernel_average=True)


def test_the_average_weights_are_the_normalized_posteriors() -> None:
    """w_k = exp(−v_k) / Σ_j exp(−v_j), v_k the negative log posterior of kernel k at its
    fitted θ, recomputed here from the data; members in the order kernel, candidates."""
    model, X = _average_model()
    assert isinstance(model.gp, GaussianProcessMixture)
    assert [m.kernel.name for m in model.gp.members] == ["matern52", "matern12"]
    values = np.array([_objective_value(model, k, X) for k in ("matern52", "matern12")])
    expected = np.exp(-values) / np.exp(-values).sum()
    np.testing.assert_allclose(np.exp(model.sample_log_weights()), expected, rtol=1e-9)
    assert 0.0 < expected.min()  # both kernels carry weight on these data
    heaviest = ("matern52", "matern12")[int(np.argmax(expected))]
    assert model.gp.kernel.name == heaviest == model.kernel_name


def test_the_average_predicts_the_weighted_mixture_moments() -> None:
    model, _ = _average_model()
    Xq = np.random.default_rng(5).random((7, 2))  # (m, 2)
    w = np.exp(model.sample_log_weights())  # (2,)
    moments = [m.predict(Xq) for m in model.gp.members]  # type: ignore[union-attr]
    mu = sum(wk * m for wk, (m, _) in zip(w, moments))
    var = sum(wk * (v + m**2) for wk, (m, v) in zip(w, moments)) - mu**2
    mean, std = model.predict(Xq)
    np.testing.assert_allclose(mean, mu, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(std**2, var, rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("kind", ["logei", "ei", "ucb"])
def test_the_averaged_acquisition_is_the_weighted_one_and_its_gradient_matches(kind: str) -> None:
    model, _ = _average_model()
    acquisition = {"logei": LogExpectedImprovement(model.incumbent),
                   "ei": ExpectedImprovement(model.incumbent),
                   "ucb": UpperConfidenceBound(2.0)}[kind]
    objective = AveragedAcquisitionObjective(acquisition, model)
    Xq = 0.1 + 0.8 * np.random.default_rng(6).random((6, 2))  # (m, 2)
    means, stds = model.predict_samples(Xq)
    per_kernel = np.stack([acquisition(m, s) for m, s in zip(means, stds)])  # (2, m)
    w = np.exp(model.sample_log_weights())
    expected = (np.log(w @ np.exp(per_kernel)) if acquisition.log_space else w @ per_kernel)
    value, grad = objective.values_and_gradients(Xq)
    np.testing.assert_allclose(objective.values(Xq), expected, rtol=1e-10)
    np.testing.assert_allclose(value, expected, rtol=1e-10)
    np.testing.assert_allclose(grad, central_differences(objective.values, Xq),
                               rtol=1e-4, atol=1e-6)


def test_a_resumed_journal_with_the_average_asks_the_same(tmp_path: Path) -> None:
    journal = tmp_path / "run.jsonl"
    options = OptimizerOptions(model=ModelOptions(kernel_candidates=("matern12",),
                                                  kernel_average=True))
    live = Optimizer(SPACE, seed=3, options=options, journal=journal)
    _run(live, 12)
    copy = shutil.copy(journal, tmp_path / "copy.jsonl")  # one writer per journal: resume a copy
    with pytest.warns(ResumeWarning, match="12 evaluations"):
        resumed = Optimizer.resume(copy)
    for _ in range(5):
        a, b = live.ask(), resumed.ask()
        assert a == b
        np.testing.assert_array_equal(live._state.model.sample_log_weights(),
                                      resumed._state.model.sample_log_weights())
        live.tell(a, _objective(a))
        resumed.tell(b, _objective(b))


def test_with_the_average_each_constraint_gp_selects_its_kernel() -> None:
    """kernel_average=True with outcome constraints: the objective's GP is the mixture and
    each constraint GP the kernel its evidence selects (`bayesopt.outcomes`), so on the
    same data the feasibility term equals the one of selection alone, from the same
    generator. Before, every ask once a constraint was told raised AssertionError in the
    warp's evidence (a mixture is not one GP)."""
    rng = np.random.default_rng(8)
    points = [{"x": x, "y": y, "z": z} for x, y, z in rng.random((8, 3))]
    states = []
    for average in (True, False):
        options = OptimizerOptions(model=ModelOptions(kernel_candidates=("matern12",),
                                                      kernel_average=average))
        opt = Optimizer(SPACE, seed=4, n_initial=3, n_constraints=1, options=options)
        opt.tell(points, [_objective(p) for p in points],
                 constraints=[[p["x"] - 0.5] for p in points])
        params = opt.ask()  # raised AssertionError before
        assert opt.space.validate(params) == params
        assert isinstance(opt._state.model.gp, GaussianProcessMixture) is average
        states.append(opt._state)
    Xq = rng.random((9, 3))  # (m, 3) encoded points
    terms = [state.outcomes.feasibility_term(np.random.default_rng(2)) for state in states]
    assert terms[0] is not None and terms[1] is not None
    np.testing.assert_array_equal(terms[0](Xq)[0], terms[1](Xq)[0])


def test_a_resumed_journal_with_hedge_asks_the_same(tmp_path: Path) -> None:
    """Selection with acquisition="hedge": the kernel and the Hedge gains both replay."""
    live, resumed = _resumed_mid_run(tmp_path, acquisition="hedge")
    assert live._state.hedge is not None and len(live._state.hedge.nominees[0]) == 2
    assert resumed._state.hedge == live._state.hedge
    _ask_alike(live, resumed, 6)
    assert resumed._state.hedge == live._state.hedge

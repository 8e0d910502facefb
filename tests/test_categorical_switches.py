"""A large categorical's switches scored from each start's squared distances
(`AcquisitionObjective.switch_values`, `GaussianProcess.predict_switches`,
`Kernel.cross_switching_scaled`) against scoring the r·k trial rows (`values`).

    X      : (r, D) starts, feasible encodings
    group  : (k,)   a categorical's one-hot columns
    trials : (r·k, D) row i·k + c is X[i] with group set to e_c

The two agree to rounding (rtol 1e-10) for every kernel, categorical kernel, acquisition
and input option that reaches the enumeration, and the enumeration picks the same
categories either way, also for objectives averaged over samples and damped by local
penalties; where the surrogate cannot (a budget basis), `switch_values` says so (None) and
the trial rows are scored.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import acquisition.optimizer as optimizer_module
from acquisition.averaging import AveragedAcquisitionObjective
from acquisition.optimizer import Domain, _enumerate_categoricals
from bayesopt import Categorical, Fidelity, Integer, Optimizer, Real
from bayesopt.model import ModelOptions
from bayesopt.options import OptimizerOptions
from kernels import reference, stationary
from kernels.kernel import KERNEL_KINDS

R = 6  # starts


def _space(k: int) -> dict[str, Any]:
    return {"a": Real(0, 1), "b": Categorical([f"c{j}" for j in range(k)]),
            "c": Integer(1, 100, log=True), "d": Categorical([f"d{j}" for j in range(k // 2 + 3)]),
            "e": Real(1e-3, 1, log=True), "f": Categorical(["x", "y", "z"])}


def _optimizer(k: int = 80, n: int = 30, seed: int = 0, acquisition: str = "logei",
               **model: Any) -> Optimizer:
    """An optimizer told n Sobol points of `_space(k)` with random values."""
    space = _space(k)
    options = OptimizerOptions(model=ModelOptions(**model))
    design = Optimizer(space, seed=seed + 1, n_initial=n).ask(n)
    opt = Optimizer(space, seed=seed, options=options, acquisition=acquisition)
    rng = np.random.default_rng(seed)
    opt.tell(design, [float(v) for v in rng.standard_normal(n)])
    return opt


def _trial_values(objective: Any, X: np.ndarray, group: np.ndarray) -> np.ndarray:
    """`values` of the r·k trial rows, (r, k): the enumeration's present path."""
    k = group.shape[0]
    trials = np.repeat(X, k, axis=0)
    trials[:, group] = np.tile(np.eye(k), (X.shape[0], 1))
    return np.asarray(objective.values(trials)).reshape(X.shape[0], k)


def _starts(opt: Optimizer, seed: int = 1) -> np.ndarray:
    space = opt.space
    return np.asarray(space.project(space.candidates(R, np.random.default_rng(seed))))


OPTIONS = [
    *({"kernel": kernel, "categorical_kernel": categorical}
      for kernel in sorted(KERNEL_KINDS) for categorical in ("onehot", "hamming")),
    {"integer_kernel": "round"},
    {"input_warping": True},
    {"output_transform": "none", "incumbent": "observed"},
]


def _assert_switches_equal_rows(objective: Any, X: np.ndarray, group: np.ndarray,
                                rtol: float = 1e-10) -> None:
    fast = objective.switch_values(X, group)
    assert fast is not None, "the model's surrogate gives switches"
    slow = _trial_values(objective, X, group)
    np.testing.assert_allclose(fast, slow, rtol=rtol, atol=0)
    np.testing.assert_array_equal(np.argmax(fast, axis=1), np.argmax(slow, axis=1))


@pytest.mark.parametrize("model", OPTIONS, ids=lambda m: ",".join(f"{v}" for v in m.values()))
def test_switch_values_equal_the_trial_rows(model: dict[str, Any]) -> None:
    opt = _optimizer(**model)
    objective = opt._snapshot_objective(pending=False)
    X = _starts(opt)
    for group in opt.space.categorical_groups:
        _assert_switches_equal_rows(objective, X, group)


@pytest.mark.parametrize("acquisition", ["ei", "ucb", "pi"])
def test_switch_values_of_each_acquisition(acquisition: str) -> None:
    opt = _optimizer(acquisition=acquisition)
    objective = opt._snapshot_objective(pending=False)
    _assert_switches_equal_rows(objective, _starts(opt), opt.space.categorical_groups[0])


def test_switch_values_with_pending_fantasies() -> None:
    """Pending points appended as fantasies (nearly noise-free rows of the factor)."""
    opt = _optimizer()
    opt.ask(3)
    objective = opt._snapshot_objective(pending=True)
    _assert_switches_equal_rows(objective, _starts(opt), opt.space.categorical_groups[0])


# (model options, acquisition, pending points): objectives averaged over samples (of the
# hyperparameters, of the kernel, of f at the data: noisy EI) or damped by local penalties
AVERAGED_OR_PENALIZED = {
    "mcmc": ({"hyperparameters": "mcmc", "mcmc_samples": 2, "mcmc_burn_in": 2}, "logei", 0),
    "mcmc, ei": ({"hyperparameters": "mcmc", "mcmc_samples": 2, "mcmc_burn_in": 2}, "ei", 0),
    "kernel average": ({"kernel_average": True, "kernel_candidates": ("rbf",)}, "logei", 0),
    "noisy ei": ({}, "lognei", 0),
    "penalize": ({"fantasy": "penalize"}, "logei", 2),
    "penalize, ei": ({"fantasy": "penalize"}, "ei", 2),
    "penalize, ucb": ({"fantasy": "penalize"}, "ucb", 2),
    "mcmc, penalize": ({"hyperparameters": "mcmc", "mcmc_samples": 2, "mcmc_burn_in": 2,
                        "fantasy": "penalize"}, "logei", 2),
}


def test_switch_values_with_failed_points() -> None:
    """Failures damp the acquisition (`FailurePenalty`), taken from the trial rows."""
    opt = _optimizer(n=12)
    opt.tell_failure(opt.ask(2))
    objective = opt._snapshot_objective(pending=True)
    assert objective.penalty is not None
    for group in opt.space.categorical_groups:
        _assert_switches_equal_rows(objective, _starts(opt), group)


@pytest.mark.parametrize("case", AVERAGED_OR_PENALIZED)
def test_switch_values_of_averaged_and_penalized_objectives(case: str) -> None:
    """The average over samples from each sample's switches, a local penalty from the trial
    rows: the trial rows' values to rounding, the same argmax. rtol 1e-9: noisy EI's
    samples put LogEI far in its tail (values near −6e5 at z ≈ −1100, whose rounding in z
    is multiplied by |z|), measured 1.5e-10 there."""
    model, acquisition, pending = AVERAGED_OR_PENALIZED[case]
    opt = _optimizer(n=12, acquisition=acquisition, **model)
    if pending:
        opt.ask(pending)
    objective = opt._snapshot_objective(pending=True)
    assert (objective.penalty is not None) == bool(pending)
    assert isinstance(objective, AveragedAcquisitionObjective) == (
        "mcmc" in case or "average" in case or "noisy" in case)
    for group in opt.space.categorical_groups:
        _assert_switches_equal_rows(objective, _starts(opt), group, rtol=1e-9)


def _domain(opt: Optimizer) -> Domain:
    space = opt.space
    return Domain(dim=space.n_columns, sample=lambda n, rng: space.candidates(n, rng),
                  project=space.project, categorical_groups=space.categorical_groups)


@pytest.mark.parametrize("seed", range(4))
def test_enumeration_picks_the_same_categories(seed: int,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The enumeration over all categoricals from random starts, with the threshold path
    and with every group scored by trial rows: the same points."""
    opt = _optimizer(k=120, seed=seed)
    objective = opt._snapshot_objective(pending=False)
    domain, X = _domain(opt), _starts(opt, seed)
    assert max(g.shape[0] for g in domain.categorical_groups) > \
        optimizer_module.SWITCHES_BY_DISTANCE_ABOVE
    fast = _enumerate_categoricals(objective, X.copy(), domain)
    monkeypatch.setattr(optimizer_module, "SWITCHES_BY_DISTANCE_ABOVE", 10**9)
    slow = _enumerate_categoricals(objective, X.copy(), domain)
    np.testing.assert_array_equal(fast, slow)


def test_enumeration_below_the_threshold_scores_trial_rows() -> None:
    """Up to the threshold the trial rows are scored (bit for bit the present path): an
    objective without `switch_values` support is never asked for it there."""
    opt = _optimizer(k=optimizer_module.SWITCHES_BY_DISTANCE_ABOVE)
    objective = opt._snapshot_objective(pending=False)
    calls: list[int] = []
    original = objective.switch_values

    def spy(X: np.ndarray, group: np.ndarray) -> np.ndarray | None:
        calls.append(group.shape[0])
        return original(X, group)

    objective.switch_values = spy  # type: ignore[method-assign]
    _enumerate_categoricals(objective, _starts(opt), _domain(opt))
    assert calls == []


@pytest.mark.parametrize("kind", sorted(set(KERNEL_KINDS.values())))
def test_kernel_of_squared_distances_equals_its_twin(kind: int) -> None:
    rng = np.random.default_rng(kind)
    R2 = rng.exponential(3.0, size=(7, 11))
    R2[0, 0] = 0.0
    np.testing.assert_allclose(stationary.kernel_of_squared_distances(kind, R2, 1.7),
                               reference.kernel_of_squared_distances(kind, R2, 1.7),
                               rtol=1e-13, atol=0)


@pytest.mark.parametrize("fidelity_kernel", ["stationary", "basis"])
def test_switch_values_at_the_top_budget(fidelity_kernel: str) -> None:
    """A Fidelity's budget as an input (`TopBudget`): the switches at the highest budget
    from a stationary budget input; None with FABOLAS's budget basis (trial rows scored)."""
    space = {"a": Real(0, 1), "b": Categorical([f"c{j}" for j in range(60)]),
             "budget": Fidelity(1, 27)}
    options = OptimizerOptions(model=ModelOptions(fidelity_kernel=fidelity_kernel))
    opt = Optimizer(space, seed=0, options=options)
    rng = np.random.default_rng(0)
    for _ in range(15):
        opt.tell(opt.ask(), float(rng.standard_normal()))
    objective = opt._snapshot_objective(pending=False)
    X, group = _starts(opt), opt.space.categorical_groups[0]
    if fidelity_kernel == "stationary":
        _assert_switches_equal_rows(objective, X, group)
    else:
        assert objective.switch_values(X, group) is None


def _outcome_terms(objective: Any) -> list[Any]:
    """The feasibility and cost terms among the objective's penalty parts."""
    from acquisition.constrained import CostTerm, FeasibilityTerm
    from acquisition.penalty import CombinedPenalty

    penalty = objective.penalty
    parts = penalty.parts if isinstance(penalty, CombinedPenalty) else (penalty,)
    return [part for part in parts if isinstance(part, (FeasibilityTerm, CostTerm))]


# (model options, acquisition, pending points) of objectives with outcome terms
OUTCOME_CASES = {
    "constrained": ({}, "logei", 0),
    "constrained, pending": ({}, "logei", 2),
    "constrained, round": ({"integer_kernel": "round"}, "logei", 0),
    "constrained, warped": ({"input_warping": True}, "logei", 0),
    "constrained, hamming": ({"categorical_kernel": "hamming"}, "logei", 0),
    "per cost": ({}, "logei_per_cost", 0),
    # the cost GP a kernel average: a mixture, without switches (its trial rows scored)
    "per cost, kernel average": ({"kernel_average": True, "kernel_candidates": ("rbf",)},
                                 "logei_per_cost", 0),
}


@pytest.mark.parametrize("case", OUTCOME_CASES)
def test_feasibility_and_cost_terms_at_the_switches(case: str) -> None:
    """Outcome constraints' feasibility term and logei_per_cost's cost term give their
    values without the gradient bit for bit (`log_values`: the call's first part) and at
    the switches from the starts (`switch_log_values`) equal to the trial rows' to
    rounding; the objective's switch values then equal its trial rows' as without them."""
    model, acquisition, pending = OUTCOME_CASES[case]
    space = _space(80)
    design = Optimizer(space, seed=1, n_initial=12).ask(12)
    opt = Optimizer(space, seed=0, acquisition=acquisition,
                    options=OptimizerOptions(model=ModelOptions(**model)))
    rng = np.random.default_rng(0)
    opt.tell(design, [float(v) for v in rng.standard_normal(12)],
             constraints=[[p["a"] - 0.5 + 0.1 * (int(p["b"][1:]) % 3)] for p in design],
             cost=[float(np.exp(p["a"] + p["e"])) for p in design])
    if pending:
        opt.ask(pending)
    objective = opt._snapshot_objective(pending=True)
    terms = _outcome_terms(objective)
    assert len(terms) == (2 if acquisition == "logei_per_cost" else 1)
    X = _starts(opt)
    for group in opt.space.categorical_groups:
        trials = optimizer_module.switch_trials(X, group)
        for term in terms:
            rows = term.log_values(trials)
            np.testing.assert_array_equal(rows, term(trials)[0])
            np.testing.assert_allclose(term.switch_log_values(X, group),
                                       rows.reshape(X.shape[0], -1), rtol=1e-10, atol=1e-12)
        _assert_switches_equal_rows(objective, X, group)

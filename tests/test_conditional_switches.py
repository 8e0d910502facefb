"""A large categorical of a conditional space scored from its switches (`Domain.group_gates`,
`Kernel.switches_at`, `AcquisitionObjective.switch_values`) against projecting and scoring
the r·k trial rows, the path every conditional space took before.

    space  : a parent `branch`; a big categorical `cat` active under two of its branches,
             a real active under one, an unconditional big categorical `wide`, a nested
             pair (`sub` under branch c, a real under sub p)
    starts : projected candidates, `cat` active in some and inactive in others

A categorical that is no parent switches no activity column: a trial's projection is the
projected start with the group set to e_c where the group is active (scored from the
switches, to rounding), and the start itself where it is not (it stays). The enumeration
picks the same points either way, rows where the group is inactive included, for plain,
averaged (mcmc, noisy EI) and penalized objectives; a big categorical that is a parent
keeps the trial rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import acquisition.optimizer as optimizer_module
from acquisition.optimizer import Domain, _enumerate_categoricals, switch_trials
from bayesopt import Categorical, Integer, Optimizer, Real
from bayesopt.model import ModelOptions
from bayesopt.options import OptimizerOptions
from bayesopt.space import Space
from kernels.kernel import Kernel

R = 14  # starts


def _space(k: int = 70) -> dict[str, Any]:
    return {"branch": Categorical(["a", "b", "c"]),
            "cat": Categorical([f"c{j}" for j in range(k)], when={"branch": ["a", "b"]}),
            "x": Real(0, 1),
            "y": Real(1e-3, 1, log=True, when={"branch": "a"}),
            "wide": Categorical([f"w{j}" for j in range(40)]),
            "n": Integer(1, 50),
            "sub": Categorical(["p", "q"], when={"branch": "c"}),
            "z": Real(0, 1, when={"sub": "p"})}


def _optimizer(seed: int = 0, n: int = 30, acquisition: str = "logei", pending: int = 0,
               failures: int = 0, space: dict[str, Any] | None = None, **model: Any) -> Optimizer:
    """An optimizer told n Sobol points of `_space()` with random values (then `pending`
    points asked and `failures` failed)."""
    space = _space() if space is None else space
    options = OptimizerOptions(model=ModelOptions(**model))
    design = Optimizer(space, seed=seed + 1, n_initial=n).ask(n)
    opt = Optimizer(space, seed=seed, options=options, acquisition=acquisition)
    rng = np.random.default_rng(seed)
    opt.tell(design, [float(v) for v in rng.standard_normal(n)])
    if failures:
        opt.tell_failure(opt.ask(failures))
    if pending:
        opt.ask(pending)
    return opt


def _domain(space: Space, gates: bool = True) -> Domain:
    """The engine's domain of a conditional space; `gates=False`: as before, every switch
    projected and scored on its trial rows."""
    return Domain(dim=space.n_columns, sample=lambda n, rng: space.candidates(n, rng),
                  project=space.project, categorical_groups=space.categorical_groups,
                  fixed_columns=space.activity_columns,
                  group_gates=space.categorical_gates if gates else ())


def _starts(space: Space, seed: int) -> np.ndarray:
    return np.asarray(space.project(space.candidates(R, np.random.default_rng(seed))))


MODELS = {
    "plain": ({}, "logei", 0, 0),
    "ei": ({}, "ei", 0, 0),
    "warped, rounded integers": ({"input_warping": True, "integer_kernel": "round"},
                                 "logei", 0, 0),
    "mcmc": ({"hyperparameters": "mcmc", "mcmc_samples": 2, "mcmc_burn_in": 2}, "logei", 0, 0),
    "noisy ei": ({}, "lognei", 0, 0),
    "penalize, failures": ({"fantasy": "penalize"}, "logei", 2, 2),
    "penalize, ei": ({"fantasy": "penalize"}, "ei", 2, 0),
}


def test_categorical_gates_name_each_groups_activity_column_or_a_parent() -> None:
    space = Space(_space())
    names = [d.name for d in space.dimensions if isinstance(d, Categorical)]
    columns = dict(zip((space.dimensions[i].name for i in space.conditional_dims),
                       (int(c) for c in space.activity_columns)))
    assert names == ["branch", "cat", "wide", "sub"]
    assert space.categorical_gates == (None, columns["cat"], -1, None)


@pytest.mark.parametrize("case", MODELS)
def test_switch_values_equal_the_projected_trial_rows(case: str) -> None:
    """Where the group is active, its switches score the projected trials (to rounding,
    the same argmax); the kernel refuses rows where it is not."""
    model, acquisition, pending, failures = MODELS[case]
    opt = _optimizer(n=16, acquisition=acquisition, pending=pending, failures=failures, **model)
    objective = opt._snapshot_objective(pending=True)
    space = opt.space
    index = [d.name for d in space.dimensions if isinstance(d, Categorical)].index("cat")
    group, gate = space.categorical_groups[index], space.categorical_gates[index]
    assert gate is not None and gate >= 0
    X = _starts(space, 3)
    active = X[:, gate] > 0.5
    assert 0 < active.sum() < R
    fast = objective.switch_values(X[active], group)
    assert fast is not None
    trials = space.project(switch_trials(X[active], group))
    slow = np.asarray(objective.values(trials)).reshape(fast.shape)
    np.testing.assert_allclose(fast, slow, rtol=1e-9, atol=0)
    np.testing.assert_array_equal(np.argmax(fast, axis=1), np.argmax(slow, axis=1))
    assert objective.switch_values(X, group) is None  # inactive rows among them


@pytest.mark.parametrize("case", MODELS)
@pytest.mark.parametrize("seed", range(2))
def test_enumeration_picks_the_same_points(case: str, seed: int,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The enumeration over every categorical from random starts (`cat` active in some,
    inactive in others): the gated switches and the projected trial rows give the same
    points, bit for bit; the switches were taken (a spy counts them)."""
    model, acquisition, pending, failures = MODELS[case]
    opt = _optimizer(seed=seed, n=16, acquisition=acquisition, pending=pending,
                     failures=failures, **model)
    objective = opt._snapshot_objective(pending=True)
    space = opt.space
    monkeypatch.setattr(optimizer_module, "SWITCHES_BY_DISTANCE_ABOVE", 32)
    X = _starts(space, seed)
    calls: list[tuple[int, bool]] = []
    original = objective.switch_values

    def spy(X: np.ndarray, group: np.ndarray) -> np.ndarray | None:
        values = original(X, group)
        calls.append((group.shape[0], values is not None))
        return values

    objective.switch_values = spy  # type: ignore[method-assign]
    fast = _enumerate_categoricals(objective, X.copy(), _domain(space))
    assert sorted(set(calls)) == [(40, True), (70, True)]
    calls.clear()
    slow = _enumerate_categoricals(objective, X.copy(), _domain(space, gates=False))
    assert calls == []
    np.testing.assert_array_equal(fast, slow)


def test_a_big_categorical_that_is_a_parent_keeps_the_trial_rows() -> None:
    """Switching a parent changes which columns are active: its trials are projected and
    scored as before (no switches asked for it)."""
    space = {"cat": Categorical([f"c{j}" for j in range(50)]),
             "x": Real(0, 1, when={"cat": [f"c{j}" for j in range(0, 50, 2)]}),
             "u": Real(0, 1)}
    opt = _optimizer(n=14, space=space)
    objective = opt._snapshot_objective(pending=False)
    domain = _domain(opt.space)
    assert domain.group_gates == (None,)
    calls: list[int] = []
    objective.switch_values = lambda X, group: calls.append(1)  # type: ignore[method-assign,func-returns-value]
    X = _starts(opt.space, 0)
    fast = _enumerate_categoricals(objective, X.copy(), domain)
    slow = _enumerate_categoricals(objective, X.copy(), _domain(opt.space, gates=False))
    assert calls == []
    np.testing.assert_array_equal(fast, slow)


def test_the_gated_kernel_serves_only_trials_that_keep_their_activity() -> None:
    """`Kernel.switches_at`: the group's columns active at every row (their gate), none of
    them a gate; the switches' K then equals the trial rows' `cross` to rounding."""
    rng = np.random.default_rng(0)
    group = np.arange(2, 8)
    gates = (8, 8, 9, 9, 9, 9, 9, 9, -1, -1)  # columns 0, 1 active where column 8 is 1
    kernel = Kernel("matern52", 10, np.log(rng.uniform(0.3, 2.0, 11)), gates)
    X = rng.random((20, 10))
    X[:, 8:] = rng.random((20, 2)) > 0.5
    Xq = rng.random((5, 10))
    Xq[:, 8], Xq[:, 9] = [0.0, 1.0, 0.0, 1.0, 1.0], 1.0  # not imputed: the kernel does it
    assert kernel.switches_at(Xq, group)
    fast = kernel.cross_switching_scaled(Xq, kernel.scale(X), group)
    slow = kernel.cross(switch_trials(Xq, group), X)
    np.testing.assert_allclose(fast, slow, rtol=1e-12, atol=0)
    Xq[2, 9] = 0.0  # the group inactive at one row
    assert not kernel.switches_at(Xq, group)
    mixed = Kernel("matern52", 10, kernel.theta, (8, 8, 9, 9, 9, 9, 9, 8, -1, -1))
    assert not mixed.switches_at(Xq[:2], group)  # two gates in one group
    gating = Kernel("matern52", 10, kernel.theta, (-1, 3, -1, -1, -1, -1, -1, -1, -1, -1))
    assert not gating.switches_at(Xq[:2], group)  # a group column gates another column

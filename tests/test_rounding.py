"""The kernel on rounded inputs (ModelOptions(integer_kernel="round"), bayesopt.rounding):
the GP is constant over each integer's bin and each one-hot argmax region, equals the plain
GP at the pre-rounded points, asks stay valid, the option resumes from a journal, and the
acquisition optimizer steps integers on their lattice."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from acquisition.functions import UpperConfidenceBound
from acquisition.optimizer import (
    AcquisitionObjective,
    AcquisitionOptimizerOptions,
    Domain,
    IntegerLattice,
    optimize_acquisition,
)
from bayesopt import Categorical, Integer, Optimizer, OptimizerOptions, Real
from bayesopt.model import ModelOptions, SurrogateModel
from bayesopt.optimizer import ResumeWarning
from bayesopt.rounding import input_rounding
from bayesopt.space import Space

SPACE = {"n": Integer(1, 12), "m": Integer(2, 200, log=True), "x": Real(-1.0, 1.0),
         "c": Categorical(["a", "b", "c"])}


def _objective(p: dict[str, Any]) -> float:
    return float(abs(p["n"] - 7) + 0.3 * np.log(p["m"]) + (p["x"] - 0.2) ** 2
                 + {"a": 0.5, "b": 0.0, "c": 1.0}[p["c"]])


def _run(integer_kernel: str, n: int = 12, journal: str | None = None) -> Optimizer:
    options = OptimizerOptions(model=ModelOptions(integer_kernel=integer_kernel))
    opt = Optimizer(SPACE, seed=4, options=options, journal=journal)
    for _ in range(n):
        p = opt.ask()
        opt.tell(p, _objective(p))
    return opt


def _model(opt: Optimizer) -> SurrogateModel:
    model: SurrogateModel = opt.surrogate().model
    return model


def _inside_one_bin(space: Space, count: int = 9) -> np.ndarray:
    """Relaxed points (count, 6) that round to one valid point: n = 4 and m = 20 anywhere
    inside their bins, x fixed, the categorical's columns any with "b" largest."""
    base = space.encode([{"n": 4, "m": 20, "x": 0.1, "c": "b"}])[0]
    n_edges = space.encode([{"n": 1, "m": 2, "x": 0.0, "c": "a"}])[0][0] * 2  # bin width (1/12)
    rng = np.random.default_rng(0)
    X = np.repeat(base[None], count, axis=0)
    X[:, 0] += (rng.random(count) - 0.5) * 0.98 * n_edges
    m_low, m_high = (np.log(19.5) - np.log(1.5)) / (np.log(200.5) - np.log(1.5)), \
        (np.log(20.5) - np.log(1.5)) / (np.log(200.5) - np.log(1.5))
    X[:, 1] = m_low + (0.01 + 0.98 * rng.random(count)) * (m_high - m_low)
    X[:, 3:6] = rng.random((count, 3)) * 0.5
    X[:, 4] = 0.9  # "b"
    assert all(p == space.decode(X[:1])[0] for p in space.decode(X))
    return X


def test_the_gp_is_constant_inside_a_bin_with_round_and_not_with_relax() -> None:
    for kind, constant in (("round", True), ("relax", False)):
        model = _model(_run(kind))
        # one row at a time: a batch's vectorized rounding may differ by row position
        rows = [model.predict(x[None]) for x in _inside_one_bin(Space(SPACE))]
        mean, std = np.concatenate([r[0] for r in rows]), np.concatenate([r[1] for r in rows])
        assert bool(np.ptp(mean) == 0.0 and np.ptp(std) == 0.0) is constant, kind


def _models(n: int = 14) -> tuple[SurrogateModel, SurrogateModel, Space]:
    """The same valid data fitted with "round" and with "relax" (the same generator)."""
    space = Space(SPACE)
    X = space.from_unit(np.random.default_rng(5).random((n, space.n_dims)))
    y = np.array([_objective(p) for p in space.decode(X)])
    rounded = SurrogateModel(space.n_columns, ModelOptions(integer_kernel="round"),
                             np.random.default_rng(0), rounding=input_rounding(space, "round"))
    plain = SurrogateModel(space.n_columns, ModelOptions(), np.random.default_rng(0))
    rounded.update(X, y)
    plain.update(X, y)
    return rounded, plain, space


def test_the_rounded_kernel_equals_the_plain_kernel_on_pre_rounded_inputs() -> None:
    """Reference: the relaxed model, on the same data, at the pre-rounded points T(x)."""
    rounded, plain, space = _models()
    X = np.random.default_rng(1).random((40, space.n_columns))
    for got, want in zip(rounded.predict(X), plain.predict(space.project(X))):
        np.testing.assert_array_equal(got, want)
    *values, d_mean, d_std = rounded.predict_with_gradient(X)
    *ref_values, ref_d_mean, ref_d_std = plain.predict_with_gradient(space.project(X))
    for got, want in zip(values, ref_values):
        np.testing.assert_array_equal(got, want)
    discrete = space.discrete_columns
    np.testing.assert_array_equal(discrete, [0, 1, 3, 4, 5])
    for got, want in ((d_mean, ref_d_mean), (d_std, ref_d_std)):
        np.testing.assert_array_equal(got[:, discrete], 0.0)  # ∂T/∂x = 0 there
        np.testing.assert_array_equal(got[:, 2], want[:, 2])  # the Real passes through


def test_the_training_inputs_are_fixed_points_of_t_so_the_fit_is_unchanged() -> None:
    rounded, plain, space = _models()
    rounding = input_rounding(space, "round")
    assert rounding is not None and input_rounding(space, "relax") is None
    X = space.from_unit(np.random.default_rng(2).random((50, space.n_dims)))
    np.testing.assert_array_equal(rounding(X), X)
    np.testing.assert_array_equal(rounded.params, plain.params)  # type: ignore[arg-type]


def test_the_default_relaxes_integers_without_rounding() -> None:
    opt = _run("relax", n=7)
    model = _model(opt)
    assert ModelOptions().integer_kernel == "relax" and model.rounding is None
    assert Optimizer(SPACE).options.model.integer_kernel == "relax"


def test_round_asks_decode_to_valid_new_points_also_in_batches() -> None:
    opt = _run("round", n=10)
    space = Space(SPACE)
    asked = [opt.ask() for _ in range(3)] + opt.ask(3)
    seen = [o.params for o in opt.history]
    for p in asked:
        assert space.validate(p) == p and p not in seen
        seen.append(p)


def test_round_asks_differ_from_relax_after_the_design() -> None:
    relax, rounded = _run("relax"), _run("round")
    before, after = [o.params for o in relax.history], [o.params for o in rounded.history]
    assert before[: relax.n_initial] == after[: relax.n_initial]  # the same design
    assert before != after


def test_round_resumes_from_a_journal(tmp_path: Any) -> None:
    journal = str(tmp_path / "run.jsonl")
    opt = _run("round", n=9, journal=journal)
    opt.close()
    with pytest.warns(ResumeWarning):  # the journal holds evaluations
        resumed = Optimizer.resume(journal)
    assert resumed.options.model.integer_kernel == "round"
    assert resumed.ask() == opt.ask()


@pytest.mark.parametrize("value", ["floor", "Round", ""])
def test_an_unknown_integer_kernel_raises_naming_key_and_value(value: str) -> None:
    with pytest.raises(ValueError, match=rf"integer_kernel.*{value!r}"):
        ModelOptions(integer_kernel=value)


def test_shift_integer_moves_clips_and_projects() -> None:
    space = Space(SPACE)
    U = space.encode([{"n": 2, "m": 150, "x": 0.5, "c": "c"}, {"n": 11, "m": 3, "x": -1, "c": "a"}])
    offsets = np.array([0, -4, 4])
    for column, name, expected in ((0, "n", [2, 1, 6, 11, 7, 12]),
                                   (1, "m", [150, 146, 154, 3, 2, 7])):
        moved = space.shift_integer(U, column, offsets)
        assert [p[name] for p in space.decode(moved)] == expected
        np.testing.assert_array_equal(space.project(moved), moved)
        others = [j for j in range(space.n_columns) if j != column]
        np.testing.assert_array_equal(moved[:, others], np.repeat(U, 3, axis=0)[:, others])


def test_lattice_offsets_cover_the_range_in_doubling_steps() -> None:
    lattice = IntegerLattice((0,), (12,), lambda X, j, o: X)
    assert lattice.offsets(12).tolist() == [0, -1, 1, -2, 2, -4, 4, -8, 8]
    assert lattice.offsets(1).tolist() == [0]
    assert lattice.offsets(2).tolist() == [0, -1, 1]


class _Bowl:
    """A deterministic surrogate of a minimization: mean Σ (x − c)², std 0 (UCB: −mean)."""

    centre = np.array([0.73, 0.2])

    def predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.sum((X - self.centre) ** 2, axis=1), np.zeros(X.shape[0])

    def predict_with_gradient(
            self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        mean, std = self.predict(X)
        return mean, std, 2 * (X - self.centre), np.zeros_like(X)


def test_the_lattice_search_reaches_the_best_integer_held_fixed_by_lbfgsb() -> None:
    """An integer (column 0, 30 values) and a real: with a lattice the integer column reaches
    the value nearest 0.73 by steps from a far start, and the real its optimum by L-BFGS-B."""
    space = Space({"n": Integer(1, 30), "x": Real(0.0, 1.0)})
    domain = Domain(dim=2, sample=lambda n, rng: space.candidates(n, rng), project=space.project,
                    lattice=IntegerLattice((0,), (30,), space.shift_integer))
    assert domain.continuous_mask.tolist() == [False, True]
    objective = AcquisitionObjective(UpperConfidenceBound(1.0), _Bowl())
    options = AcquisitionOptimizerOptions(n_candidates=1, n_local_candidates=0, n_restarts=1)
    start = space.encode([{"n": 2, "x": 0.9}])
    proposal = optimize_acquisition(objective, domain, np.random.default_rng(0), start[:0],
                                    start, options)
    assert proposal is not None
    best = space.decode(proposal.x[None])[0]
    assert best["n"] == 22 and best["x"] == pytest.approx(0.2, abs=1e-6)  # (22 − ½) / 30 ≈ 0.73

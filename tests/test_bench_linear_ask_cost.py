"""bench.linear_ask_cost and bench.linear_variants: the points told, the split's timers, the
recorded asks, the variants' patch and the command line."""

from __future__ import annotations

import copy
import sys
from contextlib import ExitStack
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `bench` is not installed: import it from the repository
    sys.path.insert(0, str(ROOT))

import acquisition.optimizer
from acquisition.optimizer import AcquisitionOptimizerOptions, Domain
from bayesopt import LinearConstraint, Real
from bayesopt.feasibility import InputConstraints
from bayesopt.space import Space
from bench import ask_identity, linear_ask_cost, linear_variants
from bench.step_split import _patched


@pytest.mark.parametrize("name", list(linear_ask_cost.PROBLEMS))
def test_the_points_told_are_uniform_in_the_region_and_seeded(name: str) -> None:
    problem = linear_ask_cost.PROBLEMS[name]
    X = linear_ask_cost.feasible_points(problem, 300)
    assert X.shape == (300, problem.function().dim)
    assert np.all((X >= 0.0) & (X <= 1.0)) and np.all(X.sum(axis=1) <= problem.bound)
    assert np.array_equal(X, linear_ask_cost.feasible_points(problem, 300))
    assert not np.array_equal(X, linear_ask_cost.feasible_points(problem, 300, seed=1))
    # uniform in the region: each coordinate's mean is the region's, 1/(d + 1) of the bound
    # for the simplex cut Σx ≤ 1 (hartmann3), about 1/2 with little cut away (Σx ≤ 3 of 6)
    if problem.bound == 1.0:
        assert np.allclose(X.mean(axis=0), 1 / (X.shape[1] + 1), atol=0.04)


def test_the_split_times_each_phase_counts_the_evaluations_and_restores_the_code() -> None:
    originals = (acquisition.optimizer._local_search, acquisition.optimizer.candidate_pool,
                 acquisition.optimizer.AcquisitionObjective.values,
                 acquisition.optimizer.AcquisitionObjective.values_and_gradients)
    problem = linear_ask_cost.PROBLEMS["hartmann3 Σx≤1"]
    opt = linear_ask_cost.told(problem, 20, constrained=True)
    own, evaluations = linear_ask_cost.split(opt, 2)
    assert set(own) <= {*linear_ask_cost.LABELS, "rest"}
    assert {"candidates", "screening", "polish: objective", "polish: solver routine",
            "polish: other"} <= set(own)
    assert evaluations >= 2  # SLSQP evaluates the start and at least one step
    assert (acquisition.optimizer._local_search, acquisition.optimizer.candidate_pool,
            acquisition.optimizer.AcquisitionObjective.values,
            acquisition.optimizer.AcquisitionObjective.values_and_gradients) == originals
    # the timers change no ask: a copy asks the same point with them as without
    timers = linear_ask_cost._Split()
    with ExitStack() as stack:
        for owner, name, replacement in timers.patches():
            stack.enter_context(_patched(owner, name, replacement))
        timed = copy.deepcopy(opt).ask()
    assert timers.evaluations > 0 and timed == copy.deepcopy(opt).ask()


def test_the_recorded_asks_are_ask_identitys_format_and_reproducible() -> None:
    first = linear_ask_cost.record(3, seeds=(0,))
    assert set(first["runs"]) == {*(f"{name}/seed0" for name in linear_ask_cost.PROBLEMS),
                                  "mixed/seed0"}
    assert all(len(run) == 3 for run in first["runs"].values())
    assert ask_identity.differences(first, linear_ask_cost.record(3, seeds=(0,))) == []
    for key, run in first["runs"].items():  # every ask inside the run's constraints
        name = key.split("/")[0]
        for params in (params for batch in run for params in batch):
            if name == "mixed":
                assert all(c(params) for c in linear_ask_cost.MIXED_CONSTRAINTS)
            else:
                assert linear_ask_cost.PROBLEMS[name].constraint(list(params))(params)


def test_the_batched_variant_runs_one_problem_of_every_start_and_is_undone() -> None:
    """The library solves one SLSQP problem per start; the bench's `batched` variant puts
    every start in one problem (the default up to 0.12.0), and only inside its block."""
    batched = acquisition.optimizer._batched_slsqp
    seen: list[int] = []

    def spy(objective, X0, *args):  # type: ignore[no-untyped-def]
        seen.append(X0.shape[0])
        return batched(objective, X0, *args)

    acquisition.optimizer._batched_slsqp = spy
    try:
        problem = linear_ask_cost.PROBLEMS["hartmann3 Σx≤1"]
        linear_ask_cost.told(problem, 20, True).ask()
        assert len(seen) > 1 and set(seen) == {1}  # the default: one start per problem
        seen.clear()
        each = acquisition.optimizer._slsqp_each
        with linear_variants.VARIANTS["batched"].context():
            linear_ask_cost.told(problem, 20, True).ask()
        assert acquisition.optimizer._slsqp_each is each
        assert acquisition.optimizer._batched_slsqp is spy
    finally:
        acquisition.optimizer._batched_slsqp = batched
    assert len(seen) >= 1 and max(seen) > 1


def test_the_unscaled_variant_runs_slsqp_over_x_and_the_default_over_scaled_u() -> None:
    """Since 0.16.0 the default's SLSQP per start gets the lengthscale scales the L-BFGS-B
    search gets (`scale_by_lengthscales`); the bench's `unscaled` variant turns them off,
    which is the library's search under a LinearConstraint up to 0.15.0."""
    each = acquisition.optimizer._slsqp_each
    seen: list[np.ndarray | None] = []

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(args[6] if len(args) > 6 else kwargs.get("scales"))
        return each(*args, **kwargs)

    problem = linear_ask_cost.PROBLEMS["hartmann3 Σx≤1"]
    with _patched(acquisition.optimizer, "_slsqp_each", spy):
        linear_ask_cost.told(problem, 20, True).ask()
        assert seen and all(s is not None and np.all((s > 0) & (s <= 1)) for s in seen)
        seen.clear()
        options = linear_variants.VARIANTS["unscaled"].options
        assert options is not None
        assert not options.acquisition_optimizer.scale_by_lengthscales
        linear_ask_cost.told(problem, 20, True, options).ask()
    assert seen and all(s is None for s in seen)


def _simplex(bound: float) -> tuple[Domain, InputConstraints]:
    """The unit 6-cube under Σx ≤ bound, as the engine's Domain describes it."""
    space = Space({f"x{i}": Real(0, 1) for i in range(6)})
    feasible = InputConstraints(space, LinearConstraint({f"x{i}": 1 for i in range(6)},
                                                        "<=", bound))
    return Domain(dim=6, sample=space.candidates, project=space.project,
                  admits=feasible.mask, linear=feasible.system), feasible


def test_the_fill_pool_has_n_admitted_global_candidates_in_a_tight_region() -> None:
    """Σx ≤ 2 admits 2⁶/6! ≈ 8.9 % of the 6-cube: one draw of 256 leaves about 23, the
    library's pool (one draw, filtered) that many; `filled_pool` 256, each admitted,
    the same for the same seed."""
    domain, feasible = _simplex(2.0)
    options = AcquisitionOptimizerOptions(n_candidates=256, n_local_candidates=0)
    none = np.empty((0, 6))
    pool = linear_variants.filled_pool(domain, np.random.default_rng(3), none, options)
    assert pool.shape == (256, 6) and feasible.mask(pool).all()
    assert np.all(pool.sum(axis=1) <= 2.0)
    library = acquisition.optimizer.candidate_pool(domain, np.random.default_rng(3), none,
                                                   options)
    assert len(library) < 64
    np.testing.assert_array_equal(pool[: len(library)], library)  # the sequence continued
    again = linear_variants.filled_pool(domain, np.random.default_rng(3), none, options)
    np.testing.assert_array_equal(pool, again)
    other = linear_variants.filled_pool(domain, np.random.default_rng(4), none, options)
    assert not np.array_equal(pool, other)


def test_the_fill_pool_stops_at_fill_draws_times_n_points() -> None:
    """Σx ≤ 1 admits 1/6! of the cube: the sequence's first FILL_DRAWS·256 points cannot
    fill it; the global candidates are every admitted one of them, then the admitted
    perturbations."""
    domain, feasible = _simplex(1.0)
    options = AcquisitionOptimizerOptions(n_candidates=256, n_local_candidates=64)
    pool = linear_variants.filled_pool(domain, np.random.default_rng(5), np.full((1, 6), 0.1),
                                       options)
    draw = domain.draw(linear_variants.FILL_DRAWS * 256, np.random.default_rng(5))
    admitted = draw[feasible.mask(draw)]
    assert 0 < len(admitted) < 256
    np.testing.assert_array_equal(pool[: len(admitted)], admitted)
    assert len(pool) > len(admitted) and feasible.mask(pool).all()


def test_without_input_constraints_the_fill_pool_is_the_librarys() -> None:
    space = Space({f"x{i}": Real(0, 1) for i in range(6)})
    domain = Domain(dim=6, sample=space.candidates, project=space.project)
    options = AcquisitionOptimizerOptions(n_candidates=256, n_local_candidates=64)
    ours, theirs = np.random.default_rng(7), np.random.default_rng(7)
    incumbents = np.full((2, 6), 0.3)
    np.testing.assert_array_equal(
        linear_variants.filled_pool(domain, ours, incumbents, options),
        acquisition.optimizer.candidate_pool(domain, theirs, incumbents, options))
    assert ours.bit_generator.state == theirs.bit_generator.state


def test_the_fill_variant_patches_both_callers_of_the_pool_and_restores_them() -> None:
    import bayesopt.propose

    pools = (acquisition.optimizer.candidate_pool, bayesopt.propose.candidate_pool)
    with linear_variants.VARIANTS["fill"].context():
        assert acquisition.optimizer.candidate_pool is linear_variants.filled_pool
        assert bayesopt.propose.candidate_pool is linear_variants.filled_pool
        linear_ask_cost.told(linear_ask_cost.PROBLEMS["hartmann3 Σx≤1"], 20, True).ask()
    assert (acquisition.optimizer.candidate_pool, bayesopt.propose.candidate_pool) == pools


def test_the_constrained_optimum_is_feasible_and_below_the_points_told() -> None:
    problem = linear_ask_cost.PROBLEMS["hartmann3 Σx≤1"]
    best = linear_variants.constrained_optimum(problem, starts=16)
    f = problem.function()
    X = linear_ask_cost.feasible_points(problem, 2000)
    assert best <= float(np.min(f(X)))
    assert best > f.optimal_value  # the cut removes the global minimum (Σx* ≈ 1.5)


@pytest.mark.parametrize("module, argv, match", [
    (linear_ask_cost, ["--problems", "branin"], "unknown"),
    (linear_ask_cost, ["--sizes", "1"], "integers >= 2"),
    (linear_variants, ["--variants", "fast"], "known"),
])
def test_the_command_lines_refuse_what_they_do_not_know(module, argv, match, capsys):  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit):
        module.main(argv)
    assert match in capsys.readouterr().err

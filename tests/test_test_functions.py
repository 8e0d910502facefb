"""Tests for bayesopt.test_functions: optima, shapes, noise, regret, validation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bayesopt.test_functions import (
    PROBLEMS,
    Ackley,
    Branin,
    Hartmann3,
    Levy,
    Michalewicz,
    Rosenbrock,
    SixHumpCamel,
    StyblinskiTang,
    TestFunction,
)

NAMES = sorted(PROBLEMS)


@pytest.fixture(params=NAMES)
def problem(request: pytest.FixtureRequest) -> TestFunction:
    return PROBLEMS[request.param]()


def _uniform(problem: TestFunction, n: int, rng: np.random.Generator) -> np.ndarray:
    """n points drawn uniformly from the problem's box: (n, d)."""
    low, high = np.array(problem.bounds).T  # (d,), (d,)
    return rng.uniform(low, high, size=(n, problem.dim))


# --- metadata and the known optima ---------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_metadata_is_consistent(name: str) -> None:
    f = PROBLEMS[name]()
    assert f.name == name
    assert len(f.bounds) == f.dim
    assert all(low < high for low, high in f.bounds)
    assert len(f.optimizers) >= 1
    assert all(len(x_star) == f.dim for x_star in f.optimizers)
    assert isinstance(f.optimal_value, float)


def test_value_at_every_optimizer_is_optimal_value(problem: TestFunction) -> None:
    for x_star in problem.optimizers:
        low, high = np.array(problem.bounds).T
        assert np.all(low <= x_star) and np.all(np.array(x_star) <= high), x_star
        assert problem.evaluate_true(np.array(x_star)) == pytest.approx(
            problem.optimal_value, abs=1e-12
        )


@pytest.mark.parametrize("scale", [1e-2, 1e-4, 1e-6])
def test_optimizers_are_local_minima(problem: TestFunction, scale: float) -> None:
    rng = np.random.default_rng(0)
    low, high = np.array(problem.bounds).T
    for x_star in problem.optimizers:
        step = scale * (high - low) * rng.uniform(-1, 1, size=(500, problem.dim))  # (500, d)
        X = np.clip(np.array(x_star) + step, low, high)
        assert np.all(problem.evaluate_true(X) >= problem.evaluate_true(np.array(x_star)) - 1e-9)


def test_random_points_never_beat_optimal_value(problem: TestFunction) -> None:
    X = _uniform(problem, 20_000, np.random.default_rng(1))
    assert np.all(problem.evaluate_true(X) >= problem.optimal_value - 1e-9)


@pytest.mark.parametrize("dim", [2, 5, 10])
def test_michalewicz_optimum_for_every_supported_dim(dim: int) -> None:
    f = Michalewicz(dim=dim)
    x_star = np.array(f.optimizers[0])
    assert f.evaluate_true(x_star) == pytest.approx(f.optimal_value, abs=1e-12)
    # The function is a sum of 1-D terms, so no point on a fine per-coordinate
    # grid may do better than x* once each coordinate is at its best.
    grid = np.linspace(0, math.pi, 200_001)[:, None]  # (m, 1)
    i = np.arange(1, dim + 1)
    per_coordinate_best = np.min(
        -np.sin(grid) * np.sin(i * grid**2 / math.pi) ** 20, axis=0
    )  # (d,)
    assert f.optimal_value <= per_coordinate_best.sum() + 1e-9


@pytest.mark.parametrize(
    ("f", "x", "expected"),
    [
        # Hand-computed values away from the optimum guard the formulas.
        (Branin(), (0.0, 0.0), 36 + 10 * (1 - 1 / (8 * math.pi)) + 10),
        (SixHumpCamel(), (1.0, 1.0), 4 - 2.1 + 1 / 3 + 1),
        (Rosenbrock(dim=4), (0.0, 0.0, 0.0, 0.0), 3.0),
        (Rosenbrock(dim=2), (-1.0, 1.0), 4.0),
        (StyblinskiTang(dim=2), (1.0, -1.0), 0.5 * ((1 - 16 + 5) + (1 - 16 - 5))),
        (Michalewicz(dim=2), (math.pi / 2, math.pi / 2), -(0.5**10 + 1.0)),
        (Ackley(dim=2), (1.0, 1.0), -20 * math.exp(-0.2) - math.e + 20 + math.e),
        (Levy(dim=1), (-3.0,), 1.0),  # w = 0: sin^2(0) + (0 - 1)^2 [1 + sin^2(0)]
        (Levy(dim=2), (-3.0, -3.0), 2.0 + 10 * math.sin(1.0) ** 2),
    ],
)
def test_known_values(f: TestFunction, x: tuple[float, ...], expected: float) -> None:
    assert f.evaluate_true(np.array(x)) == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_hartmann3_uses_dixon_szego_constant() -> None:
    # With P_41 = 0.0381 the published x* would sit 2.5e-5 off the minimum.
    assert Hartmann3.P[3, 0] == 0.03815


# --- shapes ---------------------------------------------------------------


def test_single_point_and_batch_agree(problem: TestFunction) -> None:
    X = _uniform(problem, 7, np.random.default_rng(2))
    batch = problem(X)
    assert isinstance(batch, np.ndarray) and batch.shape == (7,)
    singles = [problem(x) for x in X]
    assert all(isinstance(y, float) for y in singles)
    np.testing.assert_allclose(batch, singles, rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(problem.evaluate_true(X), batch, rtol=0, atol=0)


def test_accepts_lists_and_empty_batch(problem: TestFunction) -> None:
    x = list(problem.optimizers[0])
    assert problem(x) == problem.evaluate_true(np.array(x))
    assert problem(np.empty((0, problem.dim))).shape == (0,)


@pytest.mark.parametrize(
    "shape_of",
    [
        lambda d: (d + 1,),
        lambda d: (d - 1,),
        lambda d: (3, d + 1),
        lambda d: (),
        lambda d: (2, 3, d),
        lambda d: (d, 1) if d > 1 else (1, 2),
    ],
)
def test_wrong_shape_raises(problem: TestFunction, shape_of) -> None:
    shape = shape_of(problem.dim)
    with pytest.raises(ValueError, match=rf"dim={problem.dim}.*got shape"):
        problem(np.zeros(shape))
    with pytest.raises(ValueError, match=rf"dim={problem.dim}"):
        problem.evaluate_true(np.zeros(shape))


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_input_raises(bad: float) -> None:
    X = np.zeros((3, 2))
    X[2, 1] = bad
    with pytest.raises(ValueError, match=r"finite x, got .* at index \(2, 1\)"):
        Branin()(X)
    with pytest.raises(ValueError, match=r"finite x, got .* at index \(1,\)"):
        Branin().evaluate_true(X[2])


# --- noise ----------------------------------------------------------------


def test_noise_has_the_right_std_and_leaves_evaluate_true_alone(problem: TestFunction) -> None:
    name = problem.name
    noise_std = 0.3
    noisy = PROBLEMS[name](noise_std=noise_std, seed=0)
    x = np.array(problem.optimizers[0])
    X = np.repeat(x[None, :], 20_000, axis=0)  # (n, d)
    residual = noisy(X) - problem.evaluate_true(X)
    # Sample std of n normals has relative error ~ 1/sqrt(2n) = 0.5%; 5% is ~10 sigma.
    assert np.std(residual) == pytest.approx(noise_std, rel=0.05)
    assert abs(np.mean(residual)) < 5 * noise_std / math.sqrt(len(X))
    np.testing.assert_array_equal(noisy.evaluate_true(X), problem.evaluate_true(X))
    assert noisy(x) != noisy.evaluate_true(x)


def test_same_seed_same_noise() -> None:
    X = _uniform(Branin(), 50, np.random.default_rng(3))
    a, b, c = (
        Branin(noise_std=0.1, seed=7),
        Branin(noise_std=0.1, seed=7),
        Branin(noise_std=0.1, seed=8),
    )
    np.testing.assert_array_equal(a(X), b(X))
    assert a(X[0]) == b(X[0])
    assert not np.array_equal(a(X), c(X))


def test_copies_draw_their_own_noise_and_leave_the_originals_alone() -> None:
    """A process pool pickles the objective for every task: before, each copy started
    from the original's generator, so every evaluation drew the same noise."""
    import copy
    import pickle

    x = np.array([1.0, 2.0])
    original, twin = Branin(noise_std=1.0, seed=7), Branin(noise_std=1.0, seed=7)
    copies = [pickle.loads(pickle.dumps(original)) for _ in range(3)]
    copies.append(copy.deepcopy(original))
    draws = [c(x) for c in copies]
    assert len(set(draws)) == 4
    assert original(x) == twin(x) and original(x) == twin(x)  # unchanged by the copies
    assert original(x) not in draws
    fresh = Branin(noise_std=1.0, seed=7)
    again = [pickle.loads(pickle.dumps(fresh)) for _ in range(3)]
    assert [c(x) for c in again] == draws[:3]  # the same children for the same seed


def test_noise_differs_between_evaluations_on_a_process_pool() -> None:
    from bayesopt import minimize

    f = Branin(noise_std=1.0, seed=0)
    result = minimize(f, f.space, n_calls=6, seed=0, progress=False, n_workers=2)
    noise = [o.value - f.evaluate_true(o.params) for o in result.history]
    assert len(set(noise)) == 6, noise


@pytest.mark.parametrize("x", [["1", "2"], "ab", [True, False], [1 + 1j, 2.0],
                               np.array([1.0, None], dtype=object)])
def test_x_that_is_not_real_numbers_raises_naming_it(x: object) -> None:
    """Before, strings were parsed as numbers and bools taken as 0 and 1."""
    with pytest.raises(TypeError, match=r"branin takes x of real numbers, got "):
        Branin()(x)


def test_noiseless_call_is_evaluate_true(problem: TestFunction) -> None:
    X = _uniform(problem, 10, np.random.default_rng(4))
    np.testing.assert_array_equal(problem(X), problem.evaluate_true(X))


# --- regret ---------------------------------------------------------------


def test_regret(problem: TestFunction) -> None:
    assert problem.regret(problem.optimal_value) == 0.0
    assert problem.regret(problem.optimal_value + 1.5) == pytest.approx(1.5)
    X = _uniform(problem, 100, np.random.default_rng(5))
    regrets = [problem.regret(y) for y in problem.evaluate_true(X)]
    assert all(isinstance(r, float) and r >= 0 for r in regrets)


@pytest.mark.parametrize(("value", "error"), [("0.5", TypeError), (None, TypeError),
                                              (math.nan, ValueError)])
def test_regret_of_a_value_that_is_not_a_finite_number_raises_naming_it(value, error) -> None:
    with pytest.raises(error, match=rf"value={value!r} must be"):
        Branin().regret(value)


def test_regret_of_an_array_of_values_is_the_array_of_regrets(problem: TestFunction) -> None:
    X = _uniform(problem, 20, np.random.default_rng(6))
    values = problem.evaluate_true(X)
    regrets = problem.regret(values)
    assert isinstance(regrets, np.ndarray) and regrets.shape == (20,)
    np.testing.assert_array_equal(regrets, [problem.regret(float(y)) for y in values])
    listed = problem.regret([problem.optimal_value, problem.optimal_value + 1.5])
    np.testing.assert_allclose(listed, [0.0, 1.5])
    assert problem.regret(values.reshape(4, 5)).shape == (4, 5)


@pytest.mark.parametrize(("values", "error", "match"), [
    ([1.0, math.nan], ValueError, r"value\[1\]=nan must be finite"),
    (np.array([[0.0, 1.0], [math.inf, 2.0]]), ValueError, r"value\[1, 0\]=inf must be finite"),
    ([0.5, True], TypeError, r"value\[1\]=True must be a number"),
    (np.array(["0.5"]), TypeError, r"value\[0\]='0.5' must be a number"),
    ([1.0, None], TypeError, r"value\[1\]=None must be a number"),
])
def test_regret_of_an_array_with_a_bad_value_raises_naming_its_index(values, error, match) -> None:
    with pytest.raises(error, match=match):
        Branin().regret(values)


# --- constructor validation -----------------------------------------------


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("noise_std", [-0.1, math.nan, math.inf])
def test_bad_noise_std_raises(name: str, noise_std: float) -> None:
    with pytest.raises(ValueError, match=r"noise_std.*" + str(noise_std)):
        PROBLEMS[name](noise_std=noise_std)


@pytest.mark.parametrize("noise_std", ["0.1", None, True])
def test_non_numeric_noise_std_raises(noise_std: object) -> None:
    with pytest.raises(TypeError, match="noise_std"):
        Branin(noise_std=noise_std)


@pytest.mark.parametrize(("seed", "error"), [
    (-1, ValueError), (1.5, TypeError), ("0", TypeError), (True, TypeError),
])
def test_bad_seed_raises_naming_it(seed: object, error: type[Exception]) -> None:
    with pytest.raises(error, match=rf"seed={seed!r} must be"):
        Branin(noise_std=0.1, seed=seed)


@pytest.mark.parametrize(
    ("cls", "dim", "error", "match"),
    [
        (Ackley, 0, ValueError, r"dim must be >= 1, got 0"),
        (Levy, -2, ValueError, r"dim must be >= 1, got -2"),
        (StyblinskiTang, 0, ValueError, r"dim must be >= 1, got 0"),
        (Rosenbrock, 1, ValueError, r"dim must be >= 2, got 1"),
        (Michalewicz, 3, ValueError, r"dim must be one of \[2, 5, 10\].*got 3"),
        (Michalewicz, 0, ValueError, r"dim must be >= 1, got 0"),
        (Ackley, 2.5, TypeError, r"dim must be an integer, got 2.5"),
        (Levy, True, TypeError, r"dim must be an integer, got True"),
    ],
)
def test_bad_dim_raises(cls: type, dim: object, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        cls(dim=dim)


@pytest.mark.parametrize("cls", [Ackley, Levy, StyblinskiTang, Rosenbrock])
@pytest.mark.parametrize("dim", [2, 3, 7])
def test_free_dim_problems_scale(cls: type, dim: int) -> None:
    f = cls(dim=dim)
    assert f.dim == dim and len(f.bounds) == dim and f.name.endswith(str(dim))
    assert f.evaluate_true(np.array(f.optimizers[0])) == pytest.approx(f.optimal_value, abs=1e-12)


def test_repr_shows_the_constructor_arguments() -> None:
    assert repr(Branin(noise_std=0.1, seed=0)) == "Branin(noise_std=0.1, seed=0)"
    assert repr(PROBLEMS["ackley5"]()) == "Ackley(dim=5, noise_std=0.0, seed=None)"


def test_base_class_is_abstract() -> None:
    with pytest.raises(TypeError):
        TestFunction()  # type: ignore[abstract]


# --- params dicts and the search space --------------------------------------


def test_space_is_the_box_named_like_the_params(problem: TestFunction) -> None:
    from bayesopt import Real

    space = problem.space
    assert list(space) == [f"x{i}" for i in range(problem.dim)]
    assert all(isinstance(dim, Real) for dim in space.values())
    assert [(dim.low, dim.high) for dim in space.values()] == list(problem.bounds)


def test_params_dicts_evaluate_like_arrays(problem: TestFunction) -> None:
    X = _uniform(problem, 4, np.random.default_rng(6))
    points = [dict(zip(problem.space, map(float, x))) for x in X]
    assert problem(points[0]) == problem.evaluate_true(X[0])
    assert problem.evaluate_true(points[1]) == problem.evaluate_true(X[1])
    np.testing.assert_array_equal(problem(points), problem.evaluate_true(X))


def test_minimize_runs_on_a_test_function_and_its_space() -> None:
    from bayesopt import minimize

    f = Branin()
    result = minimize(f, f.space, n_calls=6, seed=0, progress=False)
    assert result.n_failed == 0 and len(result) == 6
    assert result.best_value == f(result.best_params)


@pytest.mark.parametrize(("params", "match"), [
    ({"x0": 1.0}, r"got missing key\(s\) \['x1'\]$"),
    ({"x0": 1.0, "x1": 2.0, "y": 0.0}, r"got unknown key\(s\) \['y'\]$"),
])
def test_a_bad_params_dict_names_only_the_keys_that_are_wrong(params: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        Branin()(params)


@pytest.mark.parametrize(
    ("params", "error", "match"),
    [
        ({"x0": 1.0}, ValueError, r"keys \['x0', 'x1'\].*missing key\(s\) \['x1'\]"),
        ({"x0": 1.0, "x1": 2.0, "y": 0.0}, ValueError, r"unknown key\(s\) \['y'\]"),
        ({"x0": "1", "x1": 2.0}, TypeError, r"x0='1' must be a real number"),
        ({"x0": 1.0, "x1": True}, TypeError, r"x1=True must be a real number"),
        ({"x0": 1.0, "x1": math.nan}, ValueError, r"finite x"),
    ],
)
def test_bad_params_dicts_raise(params: dict, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        Branin()(params)


def test_hartmann3_optimum_under_the_other_p41() -> None:
    """The docstring's f* for P_41 = 0.0381: the value at a stationary point, and a minimum."""
    other = Hartmann3()
    other.P = Hartmann3.P.copy()
    other.P[3, 0] = 0.0381
    x_star = np.array(Hartmann3.OPTIMIZER_P41_0381)
    assert other.evaluate_true(x_star) == pytest.approx(Hartmann3.OPTIMAL_VALUE_P41_0381, abs=1e-13)
    step = 1e-4 * np.random.default_rng(7).uniform(-1, 1, size=(500, 3))
    assert np.all(other.evaluate_true(x_star + step) >= Hartmann3.OPTIMAL_VALUE_P41_0381 - 1e-12)
    difference = Hartmann3.OPTIMAL_VALUE_P41_0381 - Hartmann3().optimal_value
    assert difference == pytest.approx(2.36e-6, abs=0.01e-6)
    assert Hartmann3().evaluate_true(x_star) > Hartmann3().optimal_value

"""bayesopt.plots: every plot renders to a PNG; the numbers behind the plots are right."""

from __future__ import annotations

import importlib
import math
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.image
import matplotlib.pyplot as plt
import numpy as np
import pytest

from bayesopt import Categorical, Integer, Optimizer, OptimizeResult, Real, plots

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PENALTY = {"relu": 0.0, "tanh": 0.5, "gelu": 0.2}


def mixed_objective(params):
    return (math.log10(params["lr"]) + 3) ** 2 + (params["layers"] - 4) ** 2 / 10 + PENALTY[
        params["activation"]]


def run(space, func, n, *, seed=0, fail_at=(), **options):
    opt = Optimizer(space, seed=seed, **options)
    for k in range(n):
        params = opt.ask()
        if k in fail_at:
            opt.tell_failure(params, "the training run diverged")
        else:
            opt.tell(params, func(params))
    return opt.result()


@pytest.fixture(scope="module")
def mixed():
    """Real (log) + Integer + Categorical, 25 evaluations, the 4th one failed."""
    space = {
        "lr": Real(1e-5, 1e-1, log=True),
        "layers": Integer(1, 8),
        "activation": Categorical(["relu", "tanh", "gelu"]),
    }
    return run(space, mixed_objective, 25, fail_at=(3,))


@pytest.fixture(scope="module")
def separable():
    """f = (x − 0.3)² + 0·y, minimized."""
    space = {"x": Real(0.0, 1.0), "y": Real(0.0, 1.0)}
    return run(space, lambda p: (p["x"] - 0.3) ** 2, 18)


@pytest.fixture(scope="module")
def maximized():
    """g = −(x − 0.3)² − 0.1·[c == "b"], maximized."""
    space = {"x": Real(0.0, 1.0), "c": Categorical(["a", "b"])}
    return run(space, lambda p: -((p["x"] - 0.3) ** 2) - 0.1 * (p["c"] == "b"), 16, maximize=True)


@pytest.fixture(autouse=True)
def _close_figures(monkeypatch):
    def no_show(*args, **kwargs):
        raise AssertionError("a plot function called plt.show()")

    monkeypatch.setattr(plt, "show", no_show)
    yield
    plt.close("all")


def assert_png(path):
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert len(data) > 1024
    image = matplotlib.image.imread(path)
    assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100
    assert np.ptp(image[..., :3]) > 0.5  # something was drawn, not a blank canvas


# ------------------------------------------------------------------ rendering
RENDERERS = {
    "convergence": lambda r, m: plots.convergence(r),
    "convergence_groups_regret": lambda r, m: plots.convergence(
        [[r], [r, r]], optimum=0.0, labels=["one run", "two runs"]),
    "objective": lambda r, m: plots.objective(r, n_points=12, n_samples=40),
    "objective_default_grid": lambda r, m: plots.objective(r, dimensions=["lr", "activation"]),
    "objective_maximize": lambda r, m: plots.objective(m, n_points=12, n_samples=40),
    "evaluations": lambda r, m: plots.evaluations(r),
    "evaluations_maximize": lambda r, m: plots.evaluations(m, bins=5),
    "importance": lambda r, m: plots.importance(r),
}


@pytest.mark.parametrize("kind", sorted(RENDERERS))
def test_every_plot_renders_to_a_png(kind, mixed, maximized, tmp_path):
    fig, _ = RENDERERS[kind](mixed, maximized)
    path = tmp_path / f"{kind}.png"
    fig.savefig(path, dpi=60)
    assert_png(path)


def test_convergence_of_several_groups_renders_median_and_band(mixed, tmp_path):
    other = run(mixed.space, mixed_objective, 8, seed=1)
    fig, ax = plots.convergence({"long": [mixed, other], "short": [other, other, other]},
                                optimum=-1.0)
    fig.savefig(tmp_path / "groups.png", dpi=60)
    assert_png(tmp_path / "groups.png")
    assert [line.get_label() for line in ax.get_lines()] == ["long (median of 2)",
                                                             "short (median of 3)"]
    assert len(ax.collections) == 2  # one interquartile band per group
    assert ax.get_yscale() == "log"


# ---------------------------------------------------------------- convergence
def test_convergence_draws_best_so_far_of_one_run(mixed):
    _, ax = plots.convergence(mixed)
    step = ax.get_lines()[0]
    np.testing.assert_array_equal(step.get_xdata(), np.arange(1, len(mixed) + 1))
    np.testing.assert_allclose(step.get_ydata(), mixed.best_so_far)
    assert ax.get_yscale() == "linear"


def test_convergence_median_is_the_median_over_runs(mixed):
    runs = [run(mixed.space, mixed_objective, 10, seed=s) for s in range(3)]
    _, ax = plots.convergence(runs)
    expected = np.median([r.best_so_far for r in runs], axis=0)
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), expected)


@pytest.mark.parametrize("maximize", [False, True])
def test_convergence_regret_is_distance_to_optimum_clipped_on_a_log_axis(maximize):
    space = {"x": Real(0.0, 1.0)}
    sign = -1.0 if maximize else 1.0
    result = run(space, lambda p: sign * (p["x"] - 0.5) ** 2, 6, n_initial=6, maximize=maximize)
    _, ax = plots.convergence(result, optimum=0.0)
    expected = np.maximum(np.abs(result.best_so_far), 1e-12)
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), expected)
    assert ax.get_yscale() == "log"


def test_convergence_draws_on_a_given_axes(mixed):
    fig, ax = plt.subplots()
    assert plots.convergence(mixed, ax=ax) == (fig, ax)


@pytest.mark.parametrize("bad, error, match", [
    ([], ValueError, "empty"),
    ({"a": []}, ValueError, "empty"),
    ([1.0], TypeError, "OptimizeResult"),
])
def test_convergence_rejects_bad_results(bad, error, match):
    with pytest.raises(error, match=match):
        plots.convergence(bad)


def test_convergence_rejects_wrong_labels_and_mixed_directions(mixed, maximized):
    with pytest.raises(ValueError, match="2 labels for 1 group"):
        plots.convergence([mixed], labels=["a", "b"])
    with pytest.raises(ValueError, match="keys are the labels"):
        plots.convergence({"a": mixed}, labels=["a"])
    with pytest.raises(ValueError, match="mix minimization and maximization"):
        plots.convergence([[mixed], [maximized]])
    with pytest.raises(TypeError, match="labels='ab' must be a list of names"):
        plots.convergence([[mixed], [mixed]], labels="ab")  # was split into 'a' and 'b'


@pytest.mark.parametrize("draw", [plots.convergence, plots.importance])
def test_a_plot_given_something_else_than_axes_raises_naming_it(mixed, draw):
    with pytest.raises(TypeError, match=r"ax=3 must be a matplotlib Axes"):
        draw(mixed, ax=3)


@pytest.mark.parametrize("draw", [
    plots.relevance, plots.importance, plots.objective, plots.evaluations, plots.budgets,
    lambda result: plots.partial_dependence_1d(result, "x"),
    lambda result: plots.partial_dependence_2d(result, "x", "y"),
])
def test_every_plot_given_something_else_than_a_result_raises_type_error(draw):
    """relevance and importance raised AttributeError ('int' object has no attribute
    'space') where the others said what they expected."""
    with pytest.raises(TypeError, match=r"expected an OptimizeResult, got dict"):
        draw({"x": 0.5})


@pytest.mark.parametrize("optimum, error", [("0", TypeError), (math.nan, ValueError),
                                            (math.inf, ValueError)])
def test_convergence_rejects_an_optimum_that_is_not_a_finite_number(mixed, optimum, error):
    with pytest.raises(error, match=rf"optimum={optimum!r} must be"):
        plots.convergence(mixed, optimum=optimum)


def test_convergence_marks_infeasible_evaluations_and_judges_best_on_feasible_only():
    """With outcome constraints an infeasible value (even one below the optimum) is drawn
    as a hollow circle, never enters the best-so-far line, and raises no "beats the
    optimum" warning."""
    import warnings

    opt = Optimizer({"x": Real(0, 1)}, seed=0, n_constraints=1)
    told = [(3.0, -1.0), (1.0, 0.5), (2.0, -1.0), (-3.0, 0.2), (1.5, 0.0)]  # c ≤ 0 feasible
    for i, (value, c) in enumerate(told):
        opt.tell({"x": 0.1 * (i + 1)}, value, constraints=[c])
    result = opt.result()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, ax = plots.convergence(result, optimum=-2.0)
    step, filled, hollow = ax.get_lines()
    np.testing.assert_allclose(step.get_ydata(), np.array([3.0, 3.0, 2.0, 2.0, 1.5]) + 2.0)
    np.testing.assert_array_equal(filled.get_xdata(), [1, 3, 5])
    np.testing.assert_array_equal(hollow.get_xdata(), [2, 4])
    np.testing.assert_allclose(hollow.get_ydata(), [3.0, 1e-12])  # -3 beats -2: clipped
    assert hollow.get_markerfacecolor() == "none" and hollow.get_marker() == "o"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "infeasible (outcome constraints)"]


def test_convergence_marks_failed_evaluations_on_the_bottom_edge():
    """A failed evaluation has no value, so it had no dot: a run whose evaluations all
    failed drew an empty axes around x = 0. Each is a cross at its evaluation number on
    the bottom edge (axes coordinates, so also on a regret's log axis), named once."""
    opt = Optimizer({"x": Real(0, 1)}, seed=0)
    opt.tell_failure({"x": 0.1}, "diverged")
    opt.tell_failure({"x": 0.2}, "diverged")
    _, ax = plots.convergence(opt.result())
    (crosses,) = [line for line in ax.get_lines() if line.get_marker() == "x"]
    np.testing.assert_array_equal(crosses.get_xdata(), [1, 2])
    assert ax.get_xlim()[0] <= 1 and ax.get_xlim()[1] >= 2
    opt.tell({"x": 0.3}, 0.5)
    opt.tell_failure({"x": 0.4}, "diverged")
    _, ax = plots.convergence([[opt.result()], [opt.result()]], optimum=0.0)
    crosses = [line for line in ax.get_lines() if line.get_marker() == "x"]
    assert [list(line.get_xdata()) for line in crosses] == [[1, 2, 4], [1, 2, 4]]
    np.testing.assert_allclose(crosses[0].get_ydata(), 0.02)
    assert crosses[0].get_transform() == ax.get_xaxis_transform()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels.count("failed (no value)") == 1


def test_convergence_warns_when_a_run_beats_the_optimum(mixed):
    with pytest.warns(UserWarning, match="beats the given optimum"):
        plots.convergence(mixed, optimum=1.0)


# ----------------------------------------------------------------- objective
def test_objective_is_a_square_matrix_with_correct_axes(mixed):
    _, axes = plots.objective(mixed, n_points=10, n_samples=30)
    assert axes.shape == (3, 3)
    assert all(not axes[r, c].get_visible() for r in range(3) for c in range(r + 1, 3))
    assert axes[0, 0].get_xscale() == "log" and axes[2, 0].get_xscale() == "log"  # lr
    assert axes[1, 0].get_yscale() == "linear"  # layers
    labels = [t.get_text() for t in axes[2, 0].get_yticklabels()]
    assert labels == ["relu", "tanh", "gelu"]  # categorical rows at their category positions
    assert [t.get_text() for t in axes[2, 2].get_xticklabels()] == ["relu", "tanh", "gelu"]
    assert [ax.get_xlabel() for ax in axes[2]] == ["lr", "layers", "activation"]
    integer_ticks = axes[2, 1].get_xticks()
    np.testing.assert_array_equal(integer_ticks, np.round(integer_ticks))


def test_objective_marks_evaluations_failures_and_best(mixed):
    _, axes = plots.objective(mixed, n_points=8, n_samples=20)
    marks = {c.get_label(): len(c.get_offsets()) for c in axes[1, 0].collections
             if c.get_label() in ("evaluated", "failed", "best")}
    assert marks == {"evaluated": 24, "failed": 1, "best": 1}
    best = next(c for c in axes[1, 0].collections if c.get_label() == "best")
    np.testing.assert_allclose(best.get_offsets()[0],
                               [mixed.best_params["lr"], mixed.best_params["layers"]])


def test_objective_diagonal_is_the_partial_dependence(mixed):
    _, axes = plots.objective(mixed, n_points=9, n_samples=25)
    for k, name in enumerate(mixed.space.names):
        values, pd = plots.partial_dependence_1d(mixed, name, n_points=9, n_samples=25)
        np.testing.assert_allclose(axes[k, k].get_lines()[0].get_ydata(), pd)
    assert len(values) == 3  # the categorical is evaluated at its choices


def test_objective_with_a_subset_of_dimensions(mixed):
    _, axes = plots.objective(mixed, n_points=6, n_samples=10, dimensions=["activation", "lr"])
    assert axes.shape == (2, 2)
    assert [ax.get_xlabel() for ax in axes[1]] == ["activation", "lr"]


def test_partial_dependence_of_a_separable_function_has_its_minimum_at_the_optimum(separable):
    xs, pd_x = plots.partial_dependence_1d(separable, "x", n_points=41, n_samples=100)
    _, pd_y = plots.partial_dependence_1d(separable, "y", n_points=41, n_samples=100)
    assert xs[int(np.argmin(pd_x))] == pytest.approx(0.3, abs=0.05)
    assert np.ptp(pd_y) < 0.1 * np.ptp(pd_x)  # y is irrelevant: nearly flat


def test_partial_dependence_2d_agrees_with_the_surrogate_on_its_grid(separable):
    xs, ys, pd = plots.partial_dependence_2d(separable, "x", "y", n_points=7, n_samples=5)
    assert pd.shape == (len(ys), len(xs)) == (7, 7)
    row = int(np.argmin(pd.min(axis=1)))
    assert xs[int(np.argmin(pd[row]))] == pytest.approx(0.3, abs=1 / 6)
    # fixing both dimensions leaves nothing to average: pd is the surrogate mean itself
    X = separable.space.encode([{"x": x, "y": ys[2]} for x in xs])
    np.testing.assert_allclose(pd[2], separable.model.predict_raw(X)[0])


def test_partial_dependence_of_a_maximized_result_is_in_the_users_units(maximized):
    xs, pd = plots.partial_dependence_1d(maximized, "x", n_points=41, n_samples=100)
    assert xs[int(np.argmax(pd))] == pytest.approx(0.3, abs=0.05)
    assert np.max(pd) == pytest.approx(maximized.best_value - 0.05, abs=0.03)  # not +0.05
    cats, pd_c = plots.partial_dependence_1d(maximized, "c", n_samples=100)
    assert cats == ["a", "b"] and pd_c[0] > pd_c[1]


def test_objective_needs_a_fitted_surrogate():
    result = run({"x": Real(0.0, 1.0)}, lambda p: p["x"], 2, n_initial=5)
    assert result.model is None
    with pytest.raises(ValueError, match="result.model is None"):
        plots.objective(result)
    with pytest.raises(ValueError, match="result.model is None"):
        plots.importance(result)



@pytest.mark.parametrize("seed, error", [(-1, ValueError), ("a", TypeError)])
def test_partial_dependence_rejects_a_bad_seed_naming_it(mixed, seed, error):
    with pytest.raises(error, match=rf"seed={seed!r} must be"):
        plots.partial_dependence_1d(mixed, "lr", seed=seed)


def test_objective_of_a_result_loaded_from_json_says_it_has_no_surrogate(mixed):
    with pytest.raises(ValueError, match="loaded by OptimizeResult.from_json has none"):
        plots.objective(OptimizeResult.from_json(mixed.to_json()))


@pytest.mark.parametrize("kwargs, error, match", [
    ({"dimensions": ["depth"]}, ValueError, "unknown dimension"),
    ({"dimensions": ["lr", "lr"]}, ValueError, "distinct"),
    ({"n_points": 1}, ValueError, "n_points=1"),
    ({"n_samples": 0}, ValueError, "n_samples=0"),
    ({"n_points": 2.5}, TypeError, "n_points"),
])
def test_objective_rejects_bad_arguments(mixed, kwargs, error, match):
    with pytest.raises(error, match=match):
        plots.objective(mixed, **kwargs)


# --------------------------------------------------------------- evaluations
def test_evaluations_mark_failures_and_colour_by_order(mixed):
    fig, axes = plots.evaluations(mixed)
    assert axes.shape == (3, 3)
    points = axes[1, 0].collections[0]
    np.testing.assert_array_equal(points.get_array(),
                                  [k + 1 for k, o in enumerate(mixed.history) if o.ok])
    failed = [c for c in axes[1, 0].collections if c.get_label() == "failed"]
    assert len(failed) == 1 and len(failed[0].get_offsets()) == 1
    heights = [p.get_height() for p in axes[2, 2].patches]  # stacked: ok bars, then failed
    counts = [sum(o.params["activation"] == c for o in mixed.history) for c in PENALTY]
    np.testing.assert_array_equal(np.add(heights[:3], heights[3:]), counts)
    assert axes[0, 0].get_xscale() == "log"
    assert len(fig.axes) == 10  # 9 panels and the colour bar



def test_a_none_choice_is_drawn_at_its_category_not_as_an_inactive_value():
    """None is a choice like any other (README, Conditional spaces: it stays None): the
    objective's grid has an edge at each category and the evaluations count every point
    told with None. Before, plots took None for "inactive here": the 2-D partial dependence
    raised matplotlib's "x and y arguments to pcolormesh cannot have non-finite values",
    and the histogram left out the points whose choice was None (robustness fuzz)."""
    space = {"c": Categorical([None, "a", "b"]), "x": Real(0.0, 1.0)}
    result = run(space, lambda p: (p["x"] - 0.3) ** 2 + (p["c"] is None), 12)
    assert any(o.params["c"] is None for o in result.history)
    fig, axes = plots.objective(result, n_points=6, n_samples=16)
    plt.close(fig)
    fig, axes = plots.evaluations(result)
    heights = [p.get_height() for p in axes[0, 0].patches]  # stacked: ok bars, then failed
    counts = [sum(o.params["c"] == c for o in result.history) for c in (None, "a", "b")]
    np.testing.assert_array_equal(np.add(heights[:3], heights[3:]), counts)
    plt.close(fig)

# ---------------------------------------------------------------- importance
def test_importance_bars_are_relevances_in_space_order(mixed):
    _, ax = plots.importance(mixed)
    relevance = 1.0 / mixed.model.lengthscales
    expected = [relevance[0], relevance[1], relevance[2:5].max()]  # one-hot: max over columns
    np.testing.assert_allclose([p.get_height() for p in ax.patches], expected)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["lr", "layers", "activation"]
    assert plots.relevance(mixed) == pytest.approx(dict(zip(mixed.space.names, expected)))


def test_importance_ranks_the_relevant_dimension_first(separable):
    scores = plots.relevance(separable)
    assert scores["x"] > 3 * scores["y"]


# ------------------------------------------------------------ optional extra
def test_module_imports_without_matplotlib_and_names_the_extra(monkeypatch, mixed):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib...` now fails
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    module = importlib.reload(plots)
    try:
        with pytest.raises(ImportError, match=r"bayesopt\[plot\]"):
            module.evaluations(mixed)
    finally:
        monkeypatch.undo()
        importlib.reload(plots)


def _constrained_result(space, points, told):
    """A result told `told` [(value, c)] at `points` with one outcome constraint (c ≤ 0)."""
    opt = Optimizer(space, seed=0, n_constraints=1)
    for params, (value, c) in zip(points, told):
        opt.tell(params, value, constraints=[c])
    return opt.result()


def _hollow(ax):
    """The infeasible markers of an axes: hollow circles, the legend naming them once."""
    lines = [ln for ln in ax.get_lines()
             if ln.get_marker() == "o" and ln.get_markerfacecolor() == "none"]
    labels = ax.get_legend_handles_labels()[1]
    assert labels.count("infeasible (outcome constraints)") == (1 if lines else 0)
    return lines


def test_evaluations_objective_and_budgets_mark_infeasible_evaluations_as_convergence_does():
    """Every plot that draws observations draws a success violating an outcome constraint
    as a hollow circle labelled 'infeasible' (not as a filled point), as `convergence` does."""
    from bayesopt import Fidelity

    told = [(3.0, -1.0), (1.0, 0.5), (2.0, -1.0), (-3.0, 0.2), (1.5, 0.0), (2.5, -0.5)]
    points = [{"x": 0.1 * (k + 1), "y": 0.9 - 0.1 * k} for k in range(len(told))]
    result = _constrained_result({"x": Real(0, 1), "y": Real(0, 1)}, points, told)
    _, axes = plots.evaluations(result)
    (hollow,) = _hollow(axes[1, 0])
    np.testing.assert_allclose(hollow.get_xdata(), [0.2, 0.4])  # x of evaluations 2 and 4
    np.testing.assert_array_equal(axes[1, 0].collections[0].get_array(), [1, 3, 5, 6])
    heights = [p.get_height() for p in axes[0, 0].patches]  # stacked: feasible, infeasible, ...
    assert sum(heights[20:40]) == 2 and sum(heights[:20]) == 4
    _, axes = plots.objective(result, n_points=5, n_samples=10)
    (hollow,) = _hollow(axes[1, 0])
    np.testing.assert_allclose(hollow.get_ydata(), [0.8, 0.6])  # y of evaluations 2 and 4
    assert len(axes[1, 0].collections[-2].get_offsets()) == 4  # feasible black dots
    space = {"x": Real(0, 1), "epochs": Fidelity(1, 9, eta=3)}
    budgets = [1, 1, 3, 3, 9, 9]
    fidelity_points = [{"x": p["x"], "epochs": b} for p, b in zip(points, budgets)]
    _, ax = plots.budgets(_constrained_result(space, fidelity_points, told))
    hollow = _hollow(ax)
    assert [ln.get_xdata().tolist() for ln in hollow] == [[1], [3]]
    assert sum(len(c.get_offsets()) for c in ax.collections) == 4


def test_budgets_legend_names_no_best_line_before_a_run_at_the_top_budget():
    """With no run at the highest budget there is no best line: the legend says so
    ("no run at epochs = 9 yet") instead of naming a line that is not drawn; with a
    top-budget run that violates the constraint it says "no feasible run"."""
    from bayesopt import Fidelity

    space = {"x": Real(0, 1), "epochs": Fidelity(1, 9, eta=3)}
    opt = Optimizer(space, seed=0)
    for k, budget in enumerate([1, 1, 3]):
        opt.tell({"x": 0.2 * (k + 1), "epochs": budget}, float(k))
    _, ax = plots.budgets(opt.result())
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels == ["epochs = 1", "epochs = 3", "no run at epochs = 9 yet"]
    opt.tell({"x": 0.9, "epochs": 9}, 0.5)
    _, ax = plots.budgets(opt.result())
    assert [t.get_text() for t in ax.get_legend().get_texts()][-1] == "best at epochs = 9"
    told = [(1.0, -1.0), (2.0, 0.5)]
    points = [{"x": 0.1, "epochs": 1}, {"x": 0.2, "epochs": 9}]
    _, ax = plots.budgets(_constrained_result(space, points, told))
    assert [t.get_text() for t in ax.get_legend().get_texts()][-1] == (
        "no feasible run at epochs = 9 yet")
    plt.close("all")


# ------------------------------------------------------ values near the float maximum
FMAX = sys.float_info.max
HUGE_POINTS = [{"x": 0.1, "y": 0.8}, {"x": 0.5, "y": 0.3}, {"x": 0.9, "y": 0.6},
               {"x": 0.3, "y": 0.1}, {"x": 0.7, "y": 0.9}, {"x": 0.2, "y": 0.4}]
HUGE_VALUES = {
    "±1e308": [1e308, -1e308, 0.0, 1e308, -1e308, 0.5e308],
    "float max at both ends": [FMAX, -FMAX, 0.0, FMAX, -FMAX, 0.0],
    "all float max": [FMAX] * 6,
    "all -float max": [-FMAX] * 6,
    "within 2 of float max": [FMAX, 0.5 * FMAX, 0.9 * FMAX, FMAX, 0.7 * FMAX, 0.6 * FMAX],
}


def _huge_result(values):
    opt = Optimizer({"x": Real(0, 1), "y": Real(0, 1)}, seed=0, n_initial=3)
    opt.tell(HUGE_POINTS, values)
    return opt.result()


def _huge_budgets(values):
    from bayesopt import Fidelity

    opt = Optimizer({"x": Real(0, 1), "epochs": Fidelity(1, 9, eta=3)}, seed=0)
    for k, value in enumerate(values):
        opt.tell({"x": HUGE_POINTS[k]["x"], "epochs": (1, 3, 9)[k % 3]}, value)
    return opt.result()


HUGE_PLOTS = {
    "convergence": lambda v: plots.convergence(_huge_result(v)),
    "convergence_regret": lambda v: plots.convergence(_huge_result(v), optimum=-FMAX),
    "convergence_groups": lambda v: plots.convergence([_huge_result(v)] * 2),
    "objective": lambda v: plots.objective(_huge_result(v), n_points=6, n_samples=16),
    "budgets": lambda v: plots.budgets(_huge_budgets(v)),
}


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("values", list(HUGE_VALUES.values()), ids=list(HUGE_VALUES))
@pytest.mark.parametrize("kind", sorted(HUGE_PLOTS))
def test_values_near_the_float_maximum_are_drawn_in_units_named_on_the_axis(
        kind, values, tmp_path):
    """matplotlib's arithmetic on the limits, margins and contour layers of values within
    a factor 2 of 1.8e308 overflowed: RuntimeWarnings, then a ValueError ('arange: cannot
    compute length') or a LinAlgError ('Singular matrix') from inside matplotlib, and the
    regret v − optimum overflowed in numpy. Drawn in units of 1e308, every plot renders."""
    fig, axes = HUGE_PLOTS[kind](values)
    fig.savefig(tmp_path / f"{kind}.png", dpi=40)
    assert_png(tmp_path / f"{kind}.png")
    labels = [ax.get_ylabel() for ax in np.ravel(axes)] + [ax.get_ylabel() for ax in fig.axes]
    assert any(label.endswith("(× 1e308)") for label in labels), labels


def test_the_drawn_values_near_the_float_maximum_are_the_values_over_the_unit():
    values = HUGE_VALUES["float max at both ends"]
    result = _huge_result(values)
    _, ax = plots.convergence(result)
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), result.best_so_far / 1e308)
    assert ax.get_ylabel() == "best value so far (minimizing) (× 1e308)"
    _, ax = plots.convergence(result, optimum=-FMAX)  # regret 2·FMAX: past the float range
    regret = ax.get_lines()[0].get_ydata()
    np.testing.assert_allclose(regret, np.maximum(result.best_so_far / 1e308 + FMAX / 1e308,
                                                  1e-12))  # clipped once −FMAX is reached
    np.testing.assert_allclose(regret[0], 2 * (FMAX / 1e308))  # 3.59…: FMAX − (−FMAX)
    assert ax.get_ylabel() == "regret: |optimum − best so far| (× 1e308)"
    _, axes = plots.objective(result, n_points=6, n_samples=16)
    _, pd = plots.partial_dependence_1d(result, "x", n_points=6, n_samples=16, seed=0)
    np.testing.assert_allclose(axes[0, 0].get_lines()[0].get_ydata(), pd / 1e308)


def test_ordinary_values_are_drawn_as_they_are(mixed):
    """Up to 1e300 the values are drawn unscaled and the labels name no unit."""
    _, ax = plots.convergence(mixed)
    assert ax.get_ylabel() == "best value so far (minimizing)"
    result = _huge_result([1e300, -1e300, 0.0, 1e300, 5e299, 0.0])
    _, ax = plots.convergence(result)
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), result.best_so_far)
    assert "×" not in ax.get_ylabel()


@pytest.mark.filterwarnings("error")
def test_a_partial_dependence_whose_sum_overflows_both_ways_is_finite():
    """Partial sums past +1.8e308 and −1.8e308 made numpy's mean inf − inf ('invalid value
    encountered in reduce'), which escaped as a RuntimeWarning before the average in units."""
    result = _huge_result(HUGE_VALUES["float max at both ends"])
    for name in ("x", "y"):
        _, pd = plots.partial_dependence_1d(result, name, n_points=6, n_samples=16)
        assert np.all(np.isfinite(pd)) and np.all(np.abs(pd) <= FMAX)

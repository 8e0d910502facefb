"""Plots of an optimization: convergence, partial dependence, samples, relevance, budgets.

matplotlib is an optional dependency (``pip install 'bayesopt[plot]'``),
imported only when a figure is drawn. Every function returns the figure and
its axes and never calls ``plt.show()``.

Partial dependence (Friedman 2001, Sec. 8.2) of the surrogate mean μ, in the
objective's own units, on one dimension i or a pair (i, j). μ is the latent
posterior mean carried back through the output transform, i.e. the median of
the back-transformed predictive (`bayesopt.surrogate`), which the saturating
inverse keeps inside the envelope of the observed values
[y_lo − (y_hi − y_lo), y_hi + (y_hi − y_lo)] (`bayesopt.transforms.saturate`):

    x_s        : (S, n_columns) S random encoded points of the space
    PD_i(v)    = (1/S) Σ_s μ(x_s with dimension i set to v)
    PD_ij(v, w) = (1/S) Σ_s μ(x_s with dimensions i, j set to v, w)

Relevance of an encoded column c is 1 / l_c, with l_c the fitted ARD
lengthscale of that column in unit-cube coordinates.

Conditional spaces, per branch: after dimension i is set to v, activity is
recomputed (`Space.condition`), and the average runs over the samples x_s
in which i (and j) is active for some grid value — the branch where the
dimension exists; a sample from another branch would only add a constant.
A dimension's relevance comes from its own columns, which the kernel reads
only where it is active, so it is already a within-branch relevance; the
importance chart labels each bar with its condition.
Evaluations where a dimension is inactive are left out of its panels.

Values near the float maximum are drawn in units: where the largest finite magnitude
m of the values a figure draws (objective values, best so far, optimum, partial
dependence) passes 1e300, its value axis and colour bar show v / u with
u = 10^⌊log10 m⌋ and name u ("× 1e308"); a regret is then (v − optimum) / u, computed
as v/u − optimum/u. matplotlib's own arithmetic on axis limits, margins, transforms
and contour layers (sums and differences of the drawn values) passes the float
maximum for values within a factor of 2 or so of it (its RuntimeWarnings, then a
ValueError or a LinAlgError from inside matplotlib); in units it never does.
The returned numbers (`partial_dependence_1d/2d`) stay in the objective's units.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, TypeAlias, cast

import numpy as np

from bayesopt.fidelity import budget_level
from bayesopt.result import OptimizeResult
from bayesopt.space import Categorical, Dimension, Fidelity, Integer, Real, Space
from bayesopt.validation import check_count, check_real

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize
    from matplotlib.figure import Figure

    from bayesopt.model import SurrogateModel

__all__ = [
    "budgets",
    "convergence",
    "evaluations",
    "importance",
    "objective",
    "partial_dependence_1d",
    "partial_dependence_2d",
    "relevance",
]

Runs: TypeAlias = "OptimizeResult | Sequence[OptimizeResult]"
Results: TypeAlias = "Runs | Sequence[Runs] | Mapping[str, Runs]"
_Group: TypeAlias = "tuple[str | None, list[OptimizeResult]]"  # (label, runs)

_REGRET_FLOOR = 1e-12  # regret (in drawing units) is clipped here to be drawn on a log axis
_HUGE = 1e300  # values of a larger magnitude are drawn in units of a power of ten (`_unit`)
_PREDICT_CHUNK = 65_536  # rows per surrogate call: bounds the memory of the 2-D grids
_JITTER = 0.15  # spread of points on a categorical axis, in category widths
_PANEL = 2.3  # inches per panel of a matrix plot
_OVERSAMPLE = 8  # conditional spaces: draw this many samples per one kept in a dimension's branch
_INACTIVE = object()  # a dimension's value at a point where it is inactive (None is a choice)
_INFEASIBLE = "infeasible (outcome constraints)"  # legend entry of the hollow circles
_FAILED = "failed (no value)"  # legend entry of convergence's crosses
_LEVELS = 13  # contour levels of a 2-D partial dependence panel


class _Grid(NamedTuple):
    """Values of one dimension on which the partial dependence is evaluated."""

    values: list[Any]  # (m,) in user units
    encoded: np.ndarray  # (m, n_columns of the dimension)
    positions: np.ndarray  # (m,) plotting coordinates (category index for categoricals)
    edges: np.ndarray  # (m + 1,) plotting coordinates of the cell each value stands for


# ------------------------------------------------------------------ convergence
def convergence(
    results: Results, *, optimum: float | None = None, labels: Sequence[str] | None = None,
    ax: Axes | None = None,
) -> tuple[Figure, Axes]:
    """Best value so far against the number of evaluations.

    Parameters
    ----------
    results : OptimizeResult, list, list of lists or dict
        One run; a list of runs (one group); a list of such lists (several
        groups); or a dict ``{label: run or list of runs}``. A group of
        several runs (e.g. seeds) is drawn as its median with the
        interquartile range as a band; a single run as a step line with its
        individual evaluations as dots — hollow circles for those that
        violate an outcome constraint, which the best-so-far line (feasible
        evaluations only, `OptimizeResult.best_so_far`) never counts, and
        crosses on the bottom edge for failed ones, which have no value.
    optimum : float, optional
        The known optimal value. If given, the regret (best so far − optimum
        when minimizing, optimum − best so far when maximizing) is drawn on a
        log axis, clipped at 1e-12 (of the unit the values are drawn in, 1 unless
        they pass 1e300: see the module docstring).
    labels : list of str, optional
        One name per group when `results` is not a dict (a dict's keys are
        its labels).
    ax : matplotlib Axes, optional
        Draw here instead of on a new figure.

    Returns
    -------
    fig : matplotlib Figure
    ax : matplotlib Axes
    """
    groups = _groups(results, labels)
    maximize = _direction(groups)
    optimum = None if optimum is None else check_real("optimum", optimum)
    unit = _unit(*(run.values for _, runs in groups for run in runs),
                 np.array([0.0 if optimum is None else optimum]))
    fig, ax = _single_axes(ax, (6.4, 4.2))
    for label, runs in groups:
        _draw_group(ax, label, runs, optimum, maximize, unit)
    _style_convergence(ax, groups, optimum, maximize, unit)
    return fig, ax


def _groups(results: Results, labels: Sequence[str] | None) -> list[_Group]:
    if isinstance(results, Mapping):
        if labels is not None:
            raise ValueError("labels must be None when results is a dict: its keys are the labels")
        names: Sequence[str | None] = [str(key) for key in results]
        groups = [_runs(runs) for runs in results.values()]
    else:
        groups = _unlabelled_groups(results)
        if isinstance(labels, str) or not (labels is None or isinstance(labels, Sequence)):
            raise TypeError(f"labels={labels!r} must be a list of names, one per group")
        if labels is not None and len(labels) != len(groups):
            raise ValueError(f"got {len(labels)} labels for {len(groups)} group(s) of runs")
        default = [None] if len(groups) == 1 else [f"#{i + 1}" for i in range(len(groups))]
        names = default if labels is None else labels
    if not groups:
        raise ValueError("results is empty: give at least one OptimizeResult")
    return list(zip(names, groups))


def _unlabelled_groups(results: Runs | Sequence[Runs]) -> list[list[OptimizeResult]]:
    """One run, a list of runs (one group) or a list of lists of runs (several groups)."""
    if isinstance(results, OptimizeResult):
        return [[results]]
    items = _sequence(results)
    if all(isinstance(item, OptimizeResult) for item in items):
        return [_runs(items)]
    return [_runs(runs) for runs in items]


def _runs(runs: Runs) -> list[OptimizeResult]:
    found = [runs] if isinstance(runs, OptimizeResult) else list(_sequence(runs))
    for run in found:
        if not isinstance(run, OptimizeResult):
            raise TypeError(f"expected OptimizeResult objects, got {type(run).__name__}: {run!r}")
    if not found:
        raise ValueError("results is empty: give at least one OptimizeResult")
    return found


def _sequence(items: object) -> Sequence[Any]:
    if isinstance(items, (str, bytes)) or not isinstance(items, Sequence):
        raise TypeError(f"expected an OptimizeResult or a list of them, got {items!r}")
    return items


def _direction(groups: list[_Group]) -> bool:
    directions = {run.maximize for _, runs in groups for run in runs}
    if len(directions) > 1:
        raise ValueError("results mix minimization and maximization runs")
    return directions.pop()


def _regret(values: np.ndarray, optimum: float | None, maximize: bool, unit: float,
            check: bool = True) -> np.ndarray:
    """Values, or their distance to the optimum (clipped at a tiny floor) if one is known,
    in `unit`s (`_unit`); `check`: warn when one beats the optimum (meant for judged
    values: an infeasible one may)."""
    values = values / unit
    if optimum is None:
        return values
    scaled = optimum / unit  # both in units first: v − optimum may pass the float maximum
    regret = scaled - values if maximize else values - scaled
    if check and np.any(regret < -1e-9 * max(1.0, abs(scaled))):
        warnings.warn(f"a run beats the given optimum={optimum!r}; is it right?", stacklevel=4)
    return np.maximum(regret, _REGRET_FLOOR)  # NaN (no success yet) stays NaN


def _draw_group(ax: Axes, label: str | None, runs: list[OptimizeResult], optimum: float | None,
                maximize: bool, unit: float) -> None:
    n = max(len(run) for run in runs)
    curves = np.full((len(runs), n), np.nan)  # (runs, evaluations); NaN before a first success
    for i, run in enumerate(runs):
        curves[i, : len(run)] = run.best_so_far
    curves = _regret(curves, optimum, maximize, unit)
    x = np.arange(1, n + 1)
    if len(runs) == 1:
        (line,) = ax.step(x, curves[0], where="post", label=label)
        _draw_evaluations(ax, runs[0],
                          _regret(runs[0].values, optimum, maximize, unit, check=False),
                          line.get_color())
        return
    has = np.any(np.isfinite(curves), axis=0)
    q25, q50, q75 = np.full((3, n), np.nan)
    q25[has], q50[has], q75[has] = np.nanpercentile(curves[:, has], [25, 50, 75], axis=0)
    name = f"median of {len(runs)} runs" if label is None else f"{label} (median of {len(runs)})"
    (line,) = ax.step(x, q50, where="post", label=name)
    ax.fill_between(x, q25, q75, step="post", color=line.get_color(), alpha=0.25, linewidth=0)


def _draw_evaluations(ax: Axes, run: OptimizeResult, values: np.ndarray, colour: Any) -> None:
    """One run's values (n,) as dots: filled when feasible, hollow circles when a success
    violates an outcome constraint (never counted in the best-so-far line), and failed
    evaluations, which have no value, as crosses on the bottom edge."""
    x = np.arange(1, len(run) + 1)
    infeasible = _infeasible(run)
    ax.plot(x[~infeasible], values[~infeasible], ".", color=colour, alpha=0.45, markersize=5)
    _draw_infeasible(ax, x[infeasible], values[infeasible], colour)
    failed = np.array([o.failed for o in run.history], dtype=bool)
    if failed.any():
        named = _FAILED in ax.get_legend_handles_labels()[1]
        # x in evaluations, y in axes coordinates: the edge whatever the values' scale
        ax.plot(x[failed], np.full(int(failed.sum()), 0.02), "x", color="black",
                markersize=5, linestyle="none", transform=ax.get_xaxis_transform(),
                label="_nolegend_" if named else _FAILED, zorder=3)


def _infeasible(result: OptimizeResult) -> np.ndarray:
    """(n,) True where a success violates an outcome constraint (`Observation.feasible`):
    every plot draws these as hollow circles (`_draw_infeasible`), never as filled points."""
    return np.array([o.ok and not o.feasible for o in result.history], dtype=bool)


def _draw_infeasible(ax: Axes, x: np.ndarray, y: np.ndarray, colour: Any) -> None:
    """Infeasible evaluations at (x, y) as hollow circles; the legend names them once per axes."""
    if len(x) == 0:
        return
    named = _INFEASIBLE in ax.get_legend_handles_labels()[1]
    ax.plot(x, y, "o", markerfacecolor="none", markeredgecolor=colour, alpha=0.6, markersize=5,
            linestyle="none", label="_nolegend_" if named else _INFEASIBLE, zorder=3)


def _style_convergence(ax: Axes, groups: list[_Group],
                       optimum: float | None, maximize: bool, unit: float) -> None:
    ax.set_xlabel("number of evaluations")
    if optimum is None:
        ax.set_ylabel(_in_units(f"best value so far ({'max' if maximize else 'min'}imizing)",
                                unit))
    else:
        ax.set_yscale("log")
        ax.set_ylabel(_in_units("regret: |optimum − best so far|", unit))
    several = any(len(runs) > 1 for _, runs in groups)
    ax.set_title("Convergence" + (" (median and interquartile range)" if several else ""))
    if ax.get_legend_handles_labels()[1]:  # labelled groups, medians, infeasible points
        ax.legend()
    ax.grid(True, alpha=0.3)


# ------------------------------------------------------------ partial dependence
def partial_dependence_1d(
    result: OptimizeResult, name: str, *, n_points: int = 40, n_samples: int = 250, seed: int = 0,
) -> tuple[list[Any], np.ndarray]:
    """Partial dependence of the surrogate mean on one dimension.

    Parameters
    ----------
    result : OptimizeResult
        A result with a fitted surrogate (``result.model``).
    name : str
        The dimension.
    n_points : int
        Grid size for a real dimension (and the most values of an integer one);
        a categorical uses its choices.
    n_samples : int
        Random points of the space the mean is averaged over.
    seed : int
        Seed of those random points.

    Returns
    -------
    values : list
        Grid values in user units, (m,).
    pd : ndarray
        (m,) mean of the surrogate, in the objective's units, at each value.
    """
    space = _checked(result).space
    i = _selected(space, [name])[0]
    grid = _grid(space.dimensions[i], n_points)
    pd = _partial_dependence(result, _samples(space, n_samples, seed), [(i, grid)])
    return grid.values, pd


def partial_dependence_2d(
    result: OptimizeResult, name_x: str, name_y: str, *, n_points: int = 40,
    n_samples: int = 250, seed: int = 0,
) -> tuple[list[Any], list[Any], np.ndarray]:
    """Partial dependence of the surrogate mean on a pair of dimensions.

    Parameters
    ----------
    result : OptimizeResult
        A result with a fitted surrogate (``result.model``).
    name_x, name_y : str
        The two dimensions.
    n_points, n_samples, seed : int
        As for `partial_dependence_1d`.

    Returns
    -------
    values_x, values_y : list
        Grid values in user units, (m_x,) and (m_y,).
    pd : ndarray
        (m_y, m_x) mean of the surrogate, in the objective's units.
    """
    space = _checked(result).space
    i, j = _selected(space, [name_x, name_y])
    gx, gy = _grid(space.dimensions[i], n_points), _grid(space.dimensions[j], n_points)
    pd = _partial_dependence(result, _samples(space, n_samples, seed), [(j, gy), (i, gx)])
    return gx.values, gy.values, pd


def _checked(result: OptimizeResult) -> OptimizeResult:
    if not isinstance(result, OptimizeResult):
        raise TypeError(f"expected an OptimizeResult, got {type(result).__name__}")
    return result


def _model(result: OptimizeResult) -> SurrogateModel:
    model = _checked(result).model
    if model is None or model.gp is None or model.params is None:
        raise ValueError(
            "result.model is None: the surrogate is fitted only once n_initial evaluations "
            f"have succeeded ({len(result) - result.n_failed} of {len(result)} did here), and "
            "a result loaded by OptimizeResult.from_json has none (it is not exported)"
        )
    return model


def _samples(space: Space, n_samples: int, seed: int) -> np.ndarray:
    """(S, n_columns) random points; for a conditional space every dimension holds a value
    (none imputed), and _partial_dependence conditions them once the grid is set."""
    n_samples = check_count("n_samples", n_samples, 1)
    rng = np.random.default_rng(check_count("seed", seed, 0))
    u = rng.random((n_samples * (_OVERSAMPLE if space.conditional else 1), space.n_dims))
    return space.from_unit(u, impute=not space.conditional)


def _grid(dim: Dimension, n_points: int) -> _Grid:
    n_points = check_count("n_points", n_points, 2)
    if isinstance(dim, Categorical):
        values: list[Any] = list(dim.choices)
    elif _discrete(dim) and cast(int, dim.cardinality) <= n_points:
        values = cast("Real | Integer", dim).grid_values()
    else:  # evenly spaced in the encoded (log-warped if log=True) coordinate
        values = list(dict.fromkeys(dim.decode(np.linspace(0.0, 1.0, n_points)[:, None])))
    positions = _positions(dim, values)
    return _Grid(values, dim.encode(values), positions, _cell_edges(dim, positions))


def _cell_edges(dim: Dimension, positions: np.ndarray) -> np.ndarray:
    """Edges halfway between neighbouring grid values (in log space on a log scale)."""
    log = _is_log(dim)
    w = np.log(positions) if log else positions
    low, high = np.log(_limits(dim)) if log else np.array(_limits(dim))
    # halves first: the sum of two values near the float maximum overflows; halving is
    # exact, so the edges are (a + b) / 2's wherever that is finite and normal
    edges = np.concatenate([[low], w[1:] / 2 + w[:-1] / 2, [high]])
    return np.asarray(np.exp(edges) if log else edges, dtype=float)


def _positions(dim: Dimension, values: Sequence[Any]) -> np.ndarray:
    """Plotting coordinates: the value itself, or the index of a category (a None choice
    too); NaN for `_INACTIVE`."""
    if isinstance(dim, Categorical):
        index: dict[Any, float] = {choice: k for k, choice in enumerate(dim.choices)}
        return np.array([math.nan if v is _INACTIVE else index[v] for v in values], dtype=float)
    return np.array([math.nan if v is _INACTIVE else v for v in values], dtype=float)


def _values_of(result: OptimizeResult, name: str) -> list[Any]:
    """Each evaluation's value of dimension `name`, `_INACTIVE` where its point has none."""
    return [o.params.get(name, _INACTIVE) for o in result.history]


def _partial_dependence(result: OptimizeResult, samples: np.ndarray,
                        fixed: list[tuple[int, _Grid]]) -> np.ndarray:
    """Mean over `samples` (S, c) of μ with each (dimension, grid) of `fixed` set: (m_1, ...)."""
    space = result.space
    if space.conditional:
        samples = _in_branch(space, samples, fixed, samples.shape[0] // _OVERSAMPLE)
    X = space.condition(_with_grid(space, samples, fixed).reshape(-1, space.n_columns))
    shape = tuple(grid.encoded.shape[0] for _, grid in fixed) + (samples.shape[0],)
    mean = _mean(result, X).reshape(shape)
    # a sum past the float range (inf, or inf − inf where partial sums overflow with
    # both signs): averaged in units below
    with np.errstate(over="ignore", invalid="ignore"):
        average = mean.mean(axis=-1)
    if not np.all(np.isfinite(average)):  # means near ±1.8e308: in units of the largest
        unit = float(np.max(np.abs(mean)))
        average = unit * (mean / unit).mean(axis=-1)
    return np.asarray(average, dtype=float)


def _with_grid(space: Space, samples: np.ndarray, fixed: list[tuple[int, _Grid]]) -> np.ndarray:
    """(m_1, ..., S, c): every sample with each (dimension, grid) of `fixed` set."""
    shape = tuple(grid.encoded.shape[0] for _, grid in fixed)
    X = np.repeat(samples[None], int(np.prod(shape)), axis=0).reshape(shape + samples.shape)
    for axis, (i, grid) in enumerate(fixed):
        broadcast = [1] * len(shape) + [1, grid.encoded.shape[1]]
        broadcast[axis] = shape[axis]
        X[..., space.slices[i]] = grid.encoded.reshape(broadcast)
    return X


def _in_branch(space: Space, samples: np.ndarray, fixed: list[tuple[int, _Grid]],
               n_samples: int) -> np.ndarray:
    """The first n_samples of `samples` (S, c) in which every fixed dimension is active
    for some grid value; ValueError if there is none. Only a parent's value changes
    activity, so the grids of the other fixed dimensions are cut to one value here."""
    parents = {parent for d in space.dimensions for parent in d.when or {}}
    cut = [(i, grid if space.names[i] in parents else _Grid(
        grid.values[:1], grid.encoded[:1], grid.positions[:1], grid.edges[:2]))
        for i, grid in fixed]
    X = _with_grid(space, samples, cut)
    shape = X.shape
    active = space.activity(space.condition(X.reshape(-1, shape[-1])))
    active = active.reshape(shape[:-1] + (space.n_dims,))[..., [i for i, _ in fixed]]
    keep = np.all(np.any(active, axis=tuple(range(len(fixed)))), axis=-1)  # (S,)
    if not keep.any():
        names = [space.names[i] for i, _ in fixed]
        raise ValueError(f"no sample of the space has {names} active")
    return samples[np.flatnonzero(keep)[:n_samples]]


def _mean(result: OptimizeResult, X: np.ndarray) -> np.ndarray:
    """Surrogate mean at encoded X: (m, c), in the user's units (negated back when maximizing);
    with a Fidelity as the model's last input, at the highest budget (z = 1)."""
    model = _model(result)
    fidelity = result.space.fidelity
    if fidelity is not None and model.dim == X.shape[1] + 1:
        X = np.column_stack([X, budget_level(fidelity, np.full(X.shape[0], fidelity.high))])
    sign = -1.0 if result.maximize else 1.0  # Optimizer(maximize=True) models −value
    out = np.empty(X.shape[0])
    for start in range(0, X.shape[0], _PREDICT_CHUNK):
        stop = start + _PREDICT_CHUNK
        out[start:stop] = sign * model.predict_raw(X[start:stop])[0]
    return out


# --------------------------------------------------------------------- objective
def objective(
    result: OptimizeResult, *, n_points: int = 40, n_samples: int = 250,
    dimensions: Sequence[str] | None = None,
) -> tuple[Figure, np.ndarray]:
    """Partial-dependence matrix of the surrogate mean (scikit-optimize's ``plot_objective``).

    The diagonal shows the 1-D partial dependence on each dimension, with the
    best point's value as a dashed red line; below the diagonal, the 2-D
    partial dependence on each pair, with the successful evaluations as black
    dots (hollow circles where they violate an outcome constraint), failed ones
    as black crosses and the best point as a red star.
    Values are in the objective's units (also for ``maximize=True`` runs):
    the surrogate's median, which stays inside the envelope of the observed
    range (`bayesopt.transforms.saturate`), with a `Fidelity` at its highest
    budget; the 2-D panels share one colour
    scale, shown by a colour bar, that puts good values in yellow. Categoricals are drawn at
    their category positions, log-scaled dimensions on log axes.

    Parameters
    ----------
    result : OptimizeResult
        A result with a fitted surrogate (``result.model``).
    n_points : int
        Grid size per real dimension (and the most values of an integer one).
    n_samples : int
        Random points of the space the surrogate mean is averaged over.
    dimensions : list of str, optional
        The dimensions to show, in this order (default: all). The others are
        still averaged over.

    Returns
    -------
    fig : matplotlib Figure
    axes : ndarray of matplotlib Axes
        (k, k) for k dimensions; the panels above the diagonal are hidden.

    Raises
    ------
    ValueError
        If the result has no surrogate (too few successful evaluations).
    """
    _model(result)
    space = result.space
    chosen = _selected(space, dimensions)
    samples = _samples(space, n_samples, seed=0)
    grids = {i: _grid(space.dimensions[i], n_points) for i in chosen}
    fig, axes = _matrix_figure(len(chosen))
    pairs = {(i, j): _pair(result, samples, (i, grids[i]), (j, grids[j]))
             for row, i in enumerate(chosen) for j in chosen[:row]}
    singles = {i: _partial_dependence(result, samples, [(i, grids[i])]) for i in chosen}
    surfaces = [pd for pd in pairs.values() if pd is not None]
    unit = _unit(*singles.values(), *surfaces)
    pairs = {key: None if pd is None else pd / unit for key, pd in pairs.items()}
    colours = _colour_scale(result, [pd / unit for pd in surfaces])
    for row, i in enumerate(chosen):
        _draw_pd_1d(axes[row, row], result, i, singles[i] / unit, grids[i])
        for col, j in enumerate(chosen[:row]):
            pd_2d = pairs[i, j]
            if pd_2d is None:  # two branches of a conditional space: never active together
                axes[row, col].text(0.5, 0.5, "never active\ntogether", ha="center",
                                    va="center", transform=axes[row, col].transAxes)
                continue
            _draw_pd_2d(axes[row, col], result, (j, grids[j]), (i, grids[i]), pd_2d, colours)
    _label_matrix(axes, space, chosen, diagonal=_in_units("partial dependence", unit))
    if pairs:
        fig.colorbar(colours, ax=list(axes.flat), shrink=0.6,
                     label=_in_units("partial dependence (objective units)", unit))
    fig.suptitle("Partial dependence of the surrogate mean")
    return fig, axes


def _pair(result: OptimizeResult, samples: np.ndarray, x: tuple[int, _Grid],
          y: tuple[int, _Grid]) -> np.ndarray | None:
    """The 2-D partial dependence, or None if the two dimensions are never active together."""
    space = result.space
    if space.conditional and not _together(space, x[0], y[0]):
        return None
    return _partial_dependence(result, samples, [x, y])


def _together(space: Space, i: int, j: int) -> bool:
    """Whether some activity pattern has dimensions i and j both active."""
    U = space.candidates(512, np.random.default_rng(0))
    active = space.activity(U)
    return bool(np.any(active[:, i] & active[:, j]))


def _colour_scale(result: OptimizeResult, surfaces: list[np.ndarray]) -> ScalarMappable:
    """One colour scale shared by every 2-D panel, good values in yellow."""
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    values = np.concatenate([pd.ravel() for pd in surfaces]) if surfaces else np.zeros(1)
    norm = Normalize(*_colour_limits(float(np.min(values)), float(np.max(values))))
    return ScalarMappable(norm, "viridis" if result.maximize else "viridis_r")


def _colour_limits(low: float, high: float) -> tuple[float, float]:
    """The colour scale's (vmin, vmax) for surfaces spanning [low, high]: that range (one
    unit from low for a flat surface), but at least 4·`_LEVELS` ulps of the values'
    magnitude wide, so that the contour levels all differ (matplotlib refuses equal ones:
    a surface 1e12 + 1e-4·f, or flat at 1e300); widened down from high where up from low
    would pass the float maximum."""
    least = 4 * _LEVELS * math.ulp(max(abs(low), abs(high)))
    if high > low and high - low >= least:  # inf too: a range past the float maximum
        return low, high
    if high <= low and least <= 1.0:
        return low, low + 1.0
    return (low, low + least) if math.isfinite(low + least) else (high - least, high)


def _contour_levels(vmin: float, vmax: float) -> np.ndarray:
    """`_LEVELS` levels evenly spaced on [vmin, vmax]; in halves where vmax − vmin passes
    the float maximum (surfaces from −1.8e308 to 1.8e308: np.linspace's levels are NaN)."""
    if math.isfinite(vmax - vmin):
        return np.linspace(vmin, vmax, _LEVELS)
    fractions = np.arange(_LEVELS) / (_LEVELS - 1)  # np.linspace's y·Δ overflows here too
    levels = 2.0 * (vmin / 2.0 + (vmax / 2.0 - vmin / 2.0) * fractions)
    levels[[0, -1]] = vmin, vmax
    return levels


def _draw_pd_1d(ax: Axes, result: OptimizeResult, i: int, pd: np.ndarray, grid: _Grid) -> None:
    dim = result.space.dimensions[i]
    style = "o" if isinstance(dim, Categorical) else ".-" if _discrete(dim) else "-"
    ax.plot(grid.positions, pd, style, color="C0")
    if result.best_params is not None and result.space.names[i] in result.best_params:
        best = _positions(dim, [result.best_params[result.space.names[i]]])[0]
        ax.axvline(best, color="red", linestyle="--", linewidth=1)
    _style_axis(ax, dim, "x")
    ax.grid(True, alpha=0.3)


def _draw_pd_2d(ax: Axes, result: OptimizeResult, x: tuple[int, _Grid], y: tuple[int, _Grid],
                pd: np.ndarray, colours: ScalarMappable) -> None:
    """pd: (m_y, m_x) on the grids of x and y, coloured on the shared scale `colours`."""
    (i, gx), (j, gy) = x, y
    dx, dy = result.space.dimensions[i], result.space.dimensions[j]
    cmap, norm = colours.get_cmap(), cast("Normalize", colours.norm)
    if isinstance(dx, Real) and isinstance(dy, Real):
        levels = _contour_levels(float(norm.vmin), float(norm.vmax))  # type: ignore[arg-type]
        ax.contourf(gx.positions, gy.positions, pd, levels=levels, cmap=cmap, norm=norm)
    else:  # one flat cell per category or integer value
        ax.pcolormesh(gx.edges, gy.edges, pd, shading="flat", cmap=cmap, norm=norm)
    px, py = _sample_positions(result, i), _sample_positions(result, j)
    ok = np.array([not o.failed for o in result.history], dtype=bool)
    infeasible = _infeasible(result)
    ax.scatter(px[ok & ~infeasible], py[ok & ~infeasible], s=10, color="black", zorder=3,
               label="evaluated")
    _draw_infeasible(ax, px[infeasible], py[infeasible], "black")
    _draw_failed_and_best(ax, result, (px, py), ok)
    _style_axis(ax, dx, "x")
    _style_axis(ax, dy, "y")


def _draw_failed_and_best(ax: Axes, result: OptimizeResult,
                          positions: tuple[np.ndarray, np.ndarray], ok: np.ndarray) -> None:
    """Failed evaluations as black crosses, the best one as a red star."""
    px, py = positions
    if not ok.all():
        ax.scatter(px[~ok], py[~ok], marker="x", s=28, color="black", linewidths=1.2, zorder=3,
                   label="failed")
    best = result.best
    if best is not None:
        ax.scatter([px[best.index]], [py[best.index]], marker="*", s=160, color="red",
                   edgecolors="black", linewidths=0.6, zorder=4, label="best")


def _sample_positions(result: OptimizeResult, i: int) -> np.ndarray:
    """(n,) plotting coordinates of dimension i of every evaluation, jittered within a category."""
    dim, name = result.space.dimensions[i], result.space.names[i]
    positions = _positions(dim, _values_of(result, name))  # NaN: inactive
    if isinstance(dim, Categorical):
        rng = np.random.default_rng(i)  # the same jitter on every draw, per dimension
        positions = positions + rng.uniform(-_JITTER, _JITTER, positions.shape)
    return positions


# ------------------------------------------------------------------- budgets
def budgets(result: OptimizeResult, *, ax: Axes | None = None) -> tuple[Figure, Axes]:
    """The values of a multi-fidelity run in order, one colour per budget.

    A grey segment joins each promotion to the run it continues
    (`Observation.continues`); failed and pruned runs are not drawn, and runs
    that violate an outcome constraint are hollow circles. The best feasible
    value at the highest budget so far is the black step line; before any
    (feasible) run at the highest budget the legend says so in its place.
    Raises ValueError for a space without a `Fidelity`.
    """
    _checked(result)
    fidelity = result.space.fidelity
    if fidelity is None:
        raise ValueError("plots.budgets needs a space with a Fidelity")
    fig, ax = _single_axes(ax, (6.4, 4.0))
    name = cast(str, fidelity.name)
    ok = [o for o in result.history if o.ok]
    unit = _unit(result.values)
    values = result.values / unit  # (n,) nan where failed
    levels = sorted({o.params[name] for o in ok})
    infeasible = _infeasible(result)
    for colour, level in enumerate(levels):
        runs = np.array([o.index for o in ok if o.params[name] == level], dtype=int)
        hollow = infeasible[runs]
        ax.scatter(runs[~hollow], values[runs[~hollow]], s=14, color=f"C{colour}",
                   label=f"{name} = {level:g}", zorder=3)
        _draw_infeasible(ax, runs[hollow], values[runs[hollow]], f"C{colour}")
    for o in ok:
        if o.continues is not None and result.history[o.continues].ok:
            ax.plot([o.continues, o.index], values[[o.continues, o.index]], color="0.75", lw=0.7)
    best = result.best_so_far / unit
    if np.isfinite(best).any():
        ax.step(np.arange(len(result)), best, where="post", color="black",
                label=f"best at {name} = {fidelity.high:g}")
    else:  # no line to draw: the legend says why instead of naming a line not there
        top = any(o.params[name] == fidelity.high for o in ok)
        ax.plot([], [], " ", label=f"no {'feasible ' if top else ''}run at {name} = "
                                  f"{fidelity.high:g} yet")
    ax.set_xlabel("evaluation")
    ax.set_ylabel(_in_units("objective", unit))
    ax.legend(fontsize="small")
    ax.grid(True, alpha=0.3)
    return fig, ax


# ------------------------------------------------------------------- evaluations
def evaluations(
    result: OptimizeResult, *, bins: int = 20, dimensions: Sequence[str] | None = None,
) -> tuple[Figure, np.ndarray]:
    """Where the evaluations fell, and in what order.

    The diagonal shows a histogram of the evaluated values of each dimension
    (successful, infeasible and failed stacked); below the diagonal, each pair
    of dimensions as a scatter plot coloured by evaluation number, with failed
    evaluations as black crosses, those that violate an outcome constraint as
    hollow circles (as in `convergence`) and the best point as a red star.

    Parameters
    ----------
    result : OptimizeResult
    bins : int
        Histogram bins for real dimensions (log-spaced on log scales); an
        integer dimension with at most `bins` values gets one bin per value,
        a categorical one bar per category.
    dimensions : list of str, optional
        The dimensions to show, in this order (default: all).

    Returns
    -------
    fig : matplotlib Figure
    axes : ndarray of matplotlib Axes
        (k, k) for k dimensions; the panels above the diagonal are hidden.
    """
    _checked(result)
    bins = check_count("bins", bins, 1)
    if not result.history:
        raise ValueError("result has no evaluations to plot")
    space = result.space
    chosen = _selected(space, dimensions)
    fig, axes = _matrix_figure(len(chosen))
    mappable = None
    for row, i in enumerate(chosen):
        _draw_histogram(axes[row, row], result, i, bins)
        for col, j in enumerate(chosen[:row]):
            mappable = _draw_samples(axes[row, col], result, j, i)
    _label_matrix(axes, space, chosen, diagonal="number of evaluations")
    if mappable is not None:
        fig.colorbar(mappable, ax=list(axes.flat), shrink=0.6, label="evaluation number")
    fig.suptitle(f"Evaluations ({len(result)}, {result.n_failed} failed)")
    return fig, axes


def _draw_histogram(ax: Axes, result: OptimizeResult, i: int, bins: int) -> None:
    dim, name = result.space.dimensions[i], result.space.names[i]
    positions = _positions(dim, _values_of(result, name))
    failed = np.array([o.failed for o in result.history], dtype=bool)
    infeasible = _infeasible(result)
    active = ~np.isnan(positions)
    positions, failed, infeasible = positions[active], failed[active], infeasible[active]
    edges = _bin_edges(dim, bins)
    one_per_value = ((isinstance(dim, Categorical) or _discrete(dim))
                     and len(edges) == cast(int, dim.cardinality) + 1)
    layers = [(~failed & ~infeasible, "C0", "ok"), (failed, "0.25", "failed")]
    if infeasible.any():  # hollow bars between the feasible and the failed ones
        layers.insert(1, (infeasible, "none", _INFEASIBLE))
    ax.hist([positions[mask] for mask, _, _ in layers], bins=edges.tolist(), stacked=True,
            color=[c for _, c, _ in layers], label=[t for _, _, t in layers],
            edgecolor="C0", rwidth=0.8 if one_per_value else None)
    _style_axis(ax, dim, "x")
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts


def _bin_edges(dim: Dimension, bins: int) -> np.ndarray:
    if isinstance(dim, Categorical):
        return np.arange(len(dim.choices) + 1) - 0.5
    if _discrete(dim) and cast(int, dim.cardinality) <= bins:  # one bin centred on each value
        low, _ = _limits(dim)
        return low + cast("Real | Integer", dim).spacing * np.arange(
            cast(int, dim.cardinality) + 1)
    low, high = _limits(dim)
    return np.geomspace(low, high, bins + 1) if _is_log(dim) else np.linspace(low, high, bins + 1)


def _draw_samples(ax: Axes, result: OptimizeResult, i: int, j: int) -> ScalarMappable:
    """Dimension i against dimension j, coloured by evaluation number."""
    dx, dy = result.space.dimensions[i], result.space.dimensions[j]
    px, py = _sample_positions(result, i), _sample_positions(result, j)
    ok = np.array([not o.failed for o in result.history], dtype=bool)
    infeasible = _infeasible(result)
    order = np.arange(1, len(result) + 1)
    shown = ok & ~infeasible
    points = ax.scatter(px[shown], py[shown], c=order[shown], cmap="viridis", vmin=1,
                        vmax=len(result), s=22, edgecolors="none", zorder=2)
    _draw_infeasible(ax, px[infeasible], py[infeasible], "black")
    _draw_failed_and_best(ax, result, (px, py), ok)
    _style_axis(ax, dx, "x")
    _style_axis(ax, dy, "y")
    ax.grid(True, alpha=0.3)
    return points


# -------------------------------------------------------------------- importance
def relevance(result: OptimizeResult) -> dict[str, float]:
    """Relevance 1 / lengthscale of each dimension, in the space's order.

    Lengthscales are those of the fitted ARD kernel, in unit-cube (encoded)
    coordinates, so relevances of differently scaled dimensions compare. A
    categorical dimension is one-hot encoded with one lengthscale per
    category; its relevance is the largest of its columns' relevances (the
    category the surrogate tells apart most sharply). A `Fidelity` has none: its
    budget kernel is `Optimizer.surrogate().hyperparameters().budget`.

    Parameters
    ----------
    result : OptimizeResult
        A result with a fitted surrogate (``result.model``).

    Returns
    -------
    dict
        ``{name: relevance}``.
    """
    space = _checked(result).space
    lengthscales = _model(result).lengthscales  # (n_columns,), then a Fidelity's budget slot
    assert lengthscales.shape[0] - space.n_columns in (0, 1), (
        "the surrogate does not match the space")
    columns = 1.0 / lengthscales[: space.n_columns]
    return {name: float(np.max(columns[s])) for name, s, d in zip(space.names, space.slices,
            space.dimensions) if not isinstance(d, Fidelity)}


def importance(result: OptimizeResult, *, ax: Axes | None = None) -> tuple[Figure, Axes]:
    """Bar chart of the relevance 1 / lengthscale of each dimension (see `relevance`).

    Bars are in the space's order on a log axis (lengthscales range over
    decades); a categorical's bar is the largest relevance of its one-hot
    columns.

    Parameters
    ----------
    result : OptimizeResult
        A result with a fitted surrogate (``result.model``).
    ax : matplotlib Axes, optional
        Draw here instead of on a new figure.

    Returns
    -------
    fig : matplotlib Figure
    ax : matplotlib Axes
    """
    scores = relevance(result)
    fig, ax = _single_axes(ax, (max(4.0, 0.9 * len(scores) + 2.0), 3.6))
    bars = ax.bar(np.arange(len(scores)), list(scores.values()), color="C0")
    ax.bar_label(bars, fmt="%.3g", fontsize=8)
    ax.set_xticks(np.arange(len(scores)), labels=_branch_labels(result.space),
                  rotation=30 if len(scores) > 6 else 0)
    ax.set_yscale("log")
    ax.set_ylabel("relevance = 1 / lengthscale")
    ax.set_title("Relevance (1 / ARD lengthscale)")
    ax.grid(True, axis="y", alpha=0.3)
    return fig, ax


# ----------------------------------------------------------------------- helpers
def _unit(*arrays: np.ndarray) -> float:
    """The unit values are drawn in: 1, or 10^⌊log10 m⌋ where the largest finite magnitude
    m of `arrays` passes `_HUGE` (see the module docstring)."""
    largest = max((float(np.max(np.abs(a[np.isfinite(a)]), initial=0.0)) for a in arrays),
                  default=0.0)
    return 1.0 if largest <= _HUGE else 10.0 ** math.floor(math.log10(largest))


def _in_units(label: str, unit: float) -> str:
    """An axis label naming the unit of its values: "objective (× 1e308)"."""
    return label if unit == 1.0 else f"{label} (× 1e{round(math.log10(unit))})"


def _branch_labels(space: Space) -> list[str]:
    """Each dimension's name, with its condition below it in a conditional space
    ("gamma\nkernel=rbf"), so the bars read per branch; a Fidelity has no bar."""
    labels = []
    for name, dim in zip(space.names, space.dimensions):
        if isinstance(dim, Fidelity):
            continue
        conditions = [f"{parent}={'|'.join(map(str, values))}"
                      for parent, values in (dim.when or {}).items()]
        labels.append("\n".join([name, *conditions]))
    return labels


def _new_figure(rows: int, cols: int, size: tuple[float, float]) -> tuple[Figure, np.ndarray]:
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError(
            "bayesopt.plots needs matplotlib; install it with: pip install 'bayesopt[plot]'"
        ) from error
    return plt.subplots(rows, cols, figsize=size, squeeze=False, layout="constrained")


def _single_axes(ax: Axes | None, size: tuple[float, float]) -> tuple[Figure, Axes]:
    if ax is None:
        fig, axes = _new_figure(1, 1, size)
        return fig, axes[0, 0]
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    if not isinstance(ax, Axes):
        raise TypeError(f"ax={ax!r} must be a matplotlib Axes (or None for a new figure)")

    figure = ax.figure
    return (figure if isinstance(figure, Figure) else figure.figure), ax  # a SubFigure's root


def _matrix_figure(k: int) -> tuple[Figure, np.ndarray]:
    fig, axes = _new_figure(k, k, (max(4.5, _PANEL * k + 1.2), max(3.4, _PANEL * k + 0.4)))
    for row in range(k):
        for col in range(row + 1, k):
            axes[row, col].set_visible(False)
    return fig, axes


def _selected(space: Space, names: Sequence[str] | None) -> list[int]:
    """Indices of the named dimensions (default: all but a Fidelity: the plots show the
    configurations, the surrogate at the highest budget)."""
    if names is None:
        return [i for i, d in enumerate(space.dimensions) if not isinstance(d, Fidelity)]
    if isinstance(names, str):
        names = [names]
    if space.fidelity is not None and space.fidelity.name in names:
        raise ValueError(f"dimension {space.fidelity.name!r} is the Fidelity: this plot shows the "
                         "configurations (the surrogate at the highest budget); see "
                         "plots.budgets for the values by budget")
    unknown = [name for name in names if name not in space.names]
    if unknown:
        raise ValueError(f"unknown dimension(s) {unknown}; the space has {list(space.names)}")
    if not names or len(set(names)) != len(names):
        raise ValueError(f"dimensions={list(names)!r} must be distinct names, at least one")
    return [space.names.index(name) for name in names]


def _limits(dim: Dimension) -> tuple[float, float]:
    if isinstance(dim, Categorical):
        return -0.5, len(dim.choices) - 0.5
    assert isinstance(dim, (Real, Integer)), f"unknown dimension type {type(dim).__name__}"
    if _discrete(dim):  # half a value's spacing beyond each end: each value owns a cell
        return dim.low - dim.spacing / 2, dim.high + dim.spacing / 2
    return float(dim.low), float(dim.high)


def _discrete(dim: Dimension) -> bool:
    """An Integer or a stepped Real: values on a lattice, `spacing` apart."""
    return isinstance(dim, (Real, Integer)) and dim.lattice is not None


def _is_log(dim: Dimension) -> bool:
    return isinstance(dim, (Real, Integer)) and bool(dim.log)


def _style_axis(ax: Axes, dim: Dimension, which: Literal["x", "y"]) -> None:
    """Limits, log scale, ticks on a discrete dimension's values (`_grid_ticks`) or
    category labels for one axis of a panel."""
    axis = ax.xaxis if which == "x" else ax.yaxis
    (ax.set_xlim if which == "x" else ax.set_ylim)(*_limits(dim))
    if isinstance(dim, Categorical):
        axis.set_ticks(np.arange(len(dim.choices)), labels=[str(c) for c in dim.choices])
        if which == "x":  # neighbouring names in a narrow panel would overlap
            ax.tick_params(axis="x", labelrotation=30)
        return
    if _is_log(dim):
        from matplotlib.ticker import NullFormatter

        (ax.set_xscale if which == "x" else ax.set_yscale)("log")
        axis.set_minor_formatter(NullFormatter())  # labelled minor ticks overlap within a decade
    elif _discrete(dim):
        from matplotlib.ticker import FixedLocator

        axis.set_major_locator(FixedLocator(_grid_ticks(cast("Real | Integer", dim))))


def _grid_ticks(dim: Real | Integer, nbins: int = 6) -> list[Any]:
    """At most nbins + 1 of a discrete dimension's values as an axis's ticks: matplotlib's
    round-number choice (`MaxNLocator`, integers only) among the multiples u of its spacing
    (u = value / step where low is such a multiple, else the grid index; steps of 1, 2,
    4, 5 or 10 times a power of ten), so a tick is always a value of the grid:
    Integer(32, 512, step=32)'s at 128, 256, 384, 512."""
    from matplotlib.ticker import MaxNLocator

    first, last = cast("tuple[int, int]", dim.lattice)  # an Integer's values, a grid's indices
    multiple = dim.low / dim.spacing
    offset = (round(multiple) if dim.step is not None and abs(multiple - round(multiple))
              <= 1e-9 * max(1.0, abs(multiple)) else 0)
    u = MaxNLocator(nbins=nbins, integer=True, steps=[1, 2, 4, 5, 10]).tick_values(
        first + offset, last + offset)
    coordinates = [round(t) - offset for t in u
                   if t == round(t) and first <= round(t) - offset <= last]
    return dim.decode(dim.encode_lattice(np.array(coordinates, dtype=np.int64)))


def _label_matrix(axes: np.ndarray, space: Space, chosen: list[int], diagonal: str) -> None:
    """Names on the outer edges; the diagonal's value axis on the right."""
    k = len(chosen)
    for row in range(k):
        for col in range(row + 1):
            ax = axes[row, col]
            if row == k - 1:
                ax.set_xlabel(space.names[chosen[col]])
            else:
                ax.tick_params(labelbottom=False)
            if col == 0 and row > 0:
                ax.set_ylabel(space.names[chosen[row]])
            elif col > 0 and col != row:
                ax.tick_params(labelleft=False)
        diag = axes[row, row]
        if k > 1:
            diag.yaxis.tick_right()
            diag.yaxis.set_label_position("right")
        if row == 0 or k == 1:
            diag.set_ylabel(diagonal)

"""Records of an optimization: one `Observation` per tell, an `OptimizeResult` at the end."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import MISSING, dataclass, field, fields
from html import escape
from typing import TYPE_CHECKING, Any, Literal, NoReturn

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from bayesopt.export import SpaceLike
    from bayesopt.model import SurrogateModel
    from bayesopt.space import Space
    from bayesopt.surrogate import Recommendation, Surrogate

Status = Literal["ok", "failed", "pruned"]


class Params(dict[str, Any]):
    """An observation's point: a dict that refuses changes, since it is the optimizer's
    own record (``cfg = opt.best.params; cfg["epochs"] = 100`` would rewrite the
    history). ``dict(params)`` or ``{**params, ...}`` is a copy to change."""

    def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("an observation's params are read-only (the optimizer's record of "
                        "the point); change a copy: dict(observation.params)")

    # every method that changes a dict, in place (the signatures differ: one refusal)
    __setitem__ = __delitem__ = clear = pop = popitem = _refuse
    setdefault = update = __ior__ = _refuse

    def __reduce__(self) -> tuple[type[Params], tuple[dict[str, Any]]]:
        return Params, (dict(self),)  # pickle and deepcopy without __setitem__

    def __copy__(self) -> dict[str, Any]:
        return dict(self)  # copy.copy(params), like params.copy(): a dict to change


@dataclass(frozen=True)
class Observation:
    """One evaluation, in the order it was told.

    Attributes
    ----------
    index : int
        Position in the history (0-based).
    params : dict
        The evaluated point, in user units; read-only (`Params`: the optimizer's
        record), so ``dict(params)`` is the copy to change.
    value : float or None
        The objective value as told (None for a failed evaluation; for a
        pruned one, the value told when the run stopped).
    status : {"ok", "failed", "pruned"}
        "pruned": `Optimizer.report` said stop and the run ended at `step` (no later
        report), or it was told ``pruned=True`` (stopped by another rule) at its last
        reported `step`. A run that reported past the step `report` said stop at and was
        told without ``pruned=True`` trained on: it is "ok", a complete run.
    error : str or None
        What went wrong, for failed evaluations (e.g. a traceback).
    timestamp : float or None
        Wall-clock time of the tell, in seconds since the Unix epoch
        (`time.time()`); None if unknown.
    duration : float or None
        Seconds the evaluation took: measured around the objective call by
        `minimize` (in the worker), or given to `tell(..., duration=)`; None
        if unknown.

    continues : int or None
        With a `Fidelity`: the index of the observation this run continues
        (a promotion to a larger budget — restart from that run's checkpoint).
    step : float or None
        For a pruned run, the step of the report that stopped it (told ``pruned=True``:
        its last reported step), the step its value was taken at; None for any other.
    constraints : tuple of float or None
        The outcome constraints told with the value (`tell(..., constraints=)`),
        each satisfied when ≤ 0; None if the optimizer has none (or failed).
    cost : float or None
        The evaluation's cost as told (`tell(..., cost=)` or
        `tell_failure(..., cost=)`; `minimize` tells the wall time of every
        evaluation, failed ones included), > 0; None if unknown.
    run : int or None
        The id of the asked point this evaluation answers (`Optimizer.run_ids`: its
        place among every point asked, 0-based; ``bayesopt run``'s ``{bayesopt.run}``),
        so a checkpoint named by it is found; None for a point told without being
        asked. Like the timing, not part of an observation's identity (the exports
        do not carry it).

    Timing is not part of an observation's identity: observations that
    differ only in `timestamp` or `duration` compare equal. The journal
    carries both (format 2), so `Optimizer.resume` restores them; observations
    from a format-1 journal have None in both.
    """

    index: int
    params: dict[str, Any]
    value: float | None
    status: Status = "ok"
    error: str | None = None
    timestamp: float | None = field(default=None, compare=False)
    duration: float | None = field(default=None, compare=False)
    continues: int | None = None
    step: float | None = None
    constraints: tuple[float, ...] | None = None
    cost: float | None = None
    run: int | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if type(self.params) is not Params:
            object.__setattr__(self, "params", Params(self.params))

    def __repr__(self) -> str:
        """The fields that identify the observation and differ from their defaults: what a
        notebook shows for ``opt.best`` or ``result.history`` is the point, its value and
        what is particular to it. Timing is not identity (see above): `timestamp` and
        `duration` are read as attributes or in `OptimizeResult.to_pandas`."""
        shown = [f"{f.name}={getattr(self, f.name)!r}" for f in fields(self)
                 if f.compare and (f.default is MISSING or getattr(self, f.name) != f.default)]
        return f"Observation({', '.join(shown)})"

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def failed(self) -> bool:
        """Told with `tell_failure` (a pruned run is not a failure: it has a value)."""
        return self.status == "failed"

    @property
    def feasible(self) -> bool:
        """Succeeded and satisfies every outcome constraint (`satisfied`); True without
        constraints."""
        return self.ok and satisfied(self.constraints)


def satisfied(constraints: Sequence[float] | None) -> bool:
    """Whether outcome-constraint values satisfy every constraint, c_i ≤ 0 (none told:
    True). The one rule of feasibility: `Observation.feasible` (`best`) and the model's
    feasible rows (`OutcomeModels.add`, read by the constrained acquisition) both apply it."""
    return constraints is None or all(c <= 0.0 for c in constraints)


def judged(obs: Observation, space: Space | None) -> bool:
    """Whether an observation competes for the best: feasible (`Observation.feasible`),
    and with a `Fidelity` in the space at its highest budget only (a lucky low-budget
    value never wins)."""
    fidelity = None if space is None else space.fidelity
    return obs.feasible and (fidelity is None or obs.params[fidelity.name] == fidelity.high)  # type: ignore[index]


def modelled(obs: Observation, space: Space) -> bool:
    """Whether an observation is the surrogate's data (`status_modelled`)."""
    return status_modelled(obs.status, space)


def status_modelled(status: Status, space: Space) -> bool:
    """Whether an observation of `status` is the surrogate's data: a success, or in a space
    without a `Fidelity` a pruned run (its last value; with a Fidelity only its rung counts)."""
    return status == "ok" or (status == "pruned" and space.fidelity is None)


def recorded_n_constraints(declared: int | None,
                           history: Sequence[Observation]) -> int | None:
    """The number of outcome constraints of a recorded run: `declared` (its header's
    ``n_constraints``), or else that of the values its tells carried; None: none."""
    return declared or next(
        (len(o.constraints) for o in history if o.constraints is not None), None)


def best_observation(history: Sequence[Observation], maximize: bool,
                     space: Space | None = None) -> Observation | None:
    """The best judged observation (first one on ties; see `judged`), or None."""
    best: Observation | None = None
    for obs in history:
        if not judged(obs, space):
            continue
        assert obs.value is not None
        if best is None or (obs.value > best.value if maximize else obs.value < best.value):  # type: ignore[operator]
            best = obs
    return best


_DEFERRED_FIELDS = frozenset({"model", "surrogate"})


class _DeferredSurrogate:
    """A surrogate fitted by `compute()` on the first `get()` (once, whatever the threads)."""

    def __init__(self, compute: Callable[[], Surrogate]) -> None:
        self._compute: Callable[[], Surrogate] | None = compute
        self._value: Surrogate | None = None
        self._lock = threading.Lock()

    def get(self) -> Surrogate:
        with self._lock:
            if self._compute is not None:
                self._value, self._compute = self._compute(), None
            assert self._value is not None, "a deferred surrogate is computed once"
            return self._value


def defer_surrogate(result: OptimizeResult, compute: Callable[[], Surrogate]) -> OptimizeResult:
    """`result` (made without a surrogate) with `model` and `surrogate` fitted by `compute()`
    on the first read of either; `compute` must not depend on anything that changes later
    (`Optimizer.result` hands it a copy of the optimizer)."""
    assert object.__getattribute__(result, "surrogate") is None, "the surrogate is deferred"
    object.__setattr__(result, "_deferred", _DeferredSurrogate(compute))
    return result


def stopped_by(result: OptimizeResult, reason: str) -> OptimizeResult:
    """`result`, just made by `Optimizer.result` for `minimize`, with its `stop_reason` (set
    in place, as `defer_surrogate` sets its fit: a copy would fit the deferred surrogate)."""
    assert object.__getattribute__(result, "stop_reason") is None, "a run stops once"
    object.__setattr__(result, "stop_reason", reason)
    return result


# What a user of scikit-optimize (its OptimizeResult), Optuna (its Study) or hyperopt
# (its Trials) reads.
_PEER_ATTRIBUTES = {
    "x": "scikit-optimize's x (a list) is best_params here (a dict)",
    "fun": "scikit-optimize's fun is best_value here",
    "x_iters": "scikit-optimize's x_iters is [o.params for o in history] here",
    "func_vals": "scikit-optimize's func_vals is values here (nan for a failed evaluation)",
    "models": "scikit-optimize's models: the fitted surrogate is surrogate here",
    "best_trial": "Optuna's best_trial is best here (an Observation)",
    "trials": "Optuna's trials is history here",
    "results": "hyperopt's trials.results is history here (an Observation per evaluation, "
               "its value the loss, its status 'ok' or 'failed')",
    "losses": "hyperopt's trials.losses() is values here (nan for a failed evaluation)",
    "argmin": "hyperopt's argmin is best_params here, with the values themselves (no "
              "space_eval)",
}


@dataclass(frozen=True)
class OptimizeResult:
    """What an optimization produced.

    Attributes
    ----------
    best_params : dict or None
        The best feasible evaluated point (None if no evaluation succeeded
        and satisfied its outcome constraints).
    best_value : float
        Its objective value (nan if there is none).
    history : tuple of Observation
        Every evaluation in order, failures included.
    space : Space
    maximize : bool
    seed : int or None
        The optimizer's seed (drawn from the OS when none was given): the same seed,
        settings and values ask the same points. None where unknown (a version-1 JSON).
    fingerprint : str or None
        `Optimizer.fingerprint` of the settings that chose the points (report it with
        `bayesopt.__version__`). None where unknown.
    model : SurrogateModel or None
        The fitted surrogate's internals (encoded inputs, minimization sign).
    stop_reason : str or None
        Why `minimize` stopped, one of `bayesopt.loop.STOP_REASONS` ("n_calls": it ran
        its budget; "space_exhausted": every point of a finite space was evaluated (with
        a Fidelity, at every budget a bracket starts at);
        "callback", "timeout", "max_cost", "max_consecutive_failures"). None for a
        result `minimize` did not return (`Optimizer.result`, `from_json`, the command
        line's record). Not exported; `==` does not read it.
    surrogate : Surrogate or None
        The fitted surrogate in user terms (`bayesopt.surrogate.Surrogate`):
        predictions at params dicts, hyperparameters, acquisition, evidence.
        None before the surrogate was fitted, and for a result rebuilt from
        a journal by the command line or read by `from_json`. From
        `Optimizer.result` both are fitted when either is first read (or the
        result is pickled or copied), as they stood when the result was made;
        ``dataclasses.replace(result, model=None, surrogate=None)`` keeps the
        history without them (and fits nothing), e.g. to pickle many results.
        `==` and `repr` never read them.

    Export: `to_pandas()` gives one row per evaluation (parameters, value,
    status, error, timestamp, duration); `to_json()` and `from_json(text)`
    save and load the history with its space, losslessly
    (`bayesopt.export` describes both formats). A result can be pickled, but
    `pickle.load` runs whatever code the pickle names: load a pickle only from a
    source you trust, and hand a result to anyone else as `to_json()`, which is
    read without running anything (docs/security.md).
    """

    best_params: dict[str, Any] | None
    best_value: float
    history: tuple[Observation, ...]
    space: Space
    maximize: bool = False
    seed: int | None = None
    fingerprint: str | None = None
    model: SurrogateModel | None = field(default=None, repr=False, compare=False)
    surrogate: Surrogate | None = field(default=None, repr=False, compare=False)
    stop_reason: str | None = field(default=None, compare=False)

    @classmethod
    def from_history(
        cls, history: Sequence[Observation], space: Space, maximize: bool,
        model: SurrogateModel | None = None, surrogate: Surrogate | None = None, *,
        seed: int | None = None, fingerprint: str | None = None,
    ) -> OptimizeResult:
        best = best_observation(history, maximize, space)
        return cls(
            best_params=None if best is None else dict(best.params),
            best_value=math.nan if best is None else float(best.value),  # type: ignore[arg-type]
            history=tuple(history), space=space, maximize=maximize, seed=seed,
            fingerprint=fingerprint, model=model, surrogate=surrogate,
        )

    if not TYPE_CHECKING:  # mypy would take every attribute for a deferred one
        def __getattribute__(self, name: str) -> Any:
            """`model` and `surrogate` of a deferred fit (`defer_surrogate`): fitted here,
            on their first read."""
            if name in _DEFERRED_FIELDS:
                deferred = object.__getattribute__(self, "__dict__").get("_deferred")
                if deferred is not None:
                    surrogate = deferred.get()
                    object.__setattr__(self, "surrogate", surrogate)
                    object.__setattr__(self, "model", surrogate.model)
                    object.__setattr__(self, "_deferred", None)
            return object.__getattribute__(self, name)

    def __getstate__(self) -> dict[str, Any]:
        """A pickle or copy carries the fitted surrogate, not the deferred fit."""
        self.surrogate  # noqa: B018 - fits a deferred surrogate
        state = dict(self.__dict__)
        state.pop("_deferred", None)
        return state

    @property
    def best(self) -> Observation | None:
        """The best judged observation (with its index; see `judged`), or None."""
        return best_observation(self.history, self.maximize, self.space)

    def recommend(self) -> Recommendation:
        """The observed point with the best posterior mean (for noisy objectives);
        see `Optimizer.recommend`. Raises ValueError without a surrogate."""
        if self.surrogate is None:
            raise ValueError("this result has no surrogate (fewer than n_initial successful "
                             "evaluations, or rebuilt from a journal or JSON): nothing to "
                             "recommend from")
        return self.surrogate.recommend()

    @property
    def values(self) -> np.ndarray:
        """Objective values in order; nan for failed evaluations."""
        return np.array([math.nan if o.value is None else o.value for o in self.history])

    @property
    def best_so_far(self) -> np.ndarray:
        """Running best judged value after each evaluation (nan until the first one)."""
        values = np.array([o.value if judged(o, self.space) else math.nan for o in self.history],
                          dtype=float)
        filled = np.where(np.isnan(values), -np.inf if self.maximize else np.inf, values)
        running = np.maximum.accumulate(filled) if self.maximize else np.minimum.accumulate(filled)
        return np.where(np.isinf(running), np.nan, running)

    @property
    def n_evaluations(self) -> int:
        """Evaluations in the history, failed ones included (``len(result)``), as the
        repr shows it."""
        return len(self.history)

    @property
    def n_failed(self) -> int:
        return sum(o.failed for o in self.history)

    def __len__(self) -> int:
        return len(self.history)

    if not TYPE_CHECKING:  # mypy would take every attribute for one of __getattr__'s
        def __getattr__(self, name: str) -> Any:
            """Only for a name that is not an attribute: AttributeError, which for
            scikit-optimize's, Optuna's and hyperopt's result attributes says what to read
            here."""
            hint = _PEER_ATTRIBUTES.get(name)
            raise AttributeError(f"'OptimizeResult' object has no attribute {name!r}" + (
                "" if hint is None else f"; {hint}"))

    @property
    def n_pruned(self) -> int:
        """Runs stopped early (status "pruned": `Optimizer.report` said stop, or told
        ``pruned=True``), as the repr shows them once there is one."""
        return sum(o.status == "pruned" for o in self.history)

    @property
    def n_infeasible(self) -> int:
        """Successful evaluations that violate an outcome constraint (never the best)."""
        return sum(o.ok and not o.feasible for o in self.history)

    def __repr__(self) -> str:
        constrained = any(o.constraints is not None for o in self.history)
        infeasible = f", n_infeasible={self.n_infeasible}" if constrained else ""
        pruned = f", n_pruned={self.n_pruned}" if self.n_pruned else ""
        return (f"OptimizeResult(best_value={self.best_value!r}, best_params={self.best_params!r}, "
                f"n_evaluations={len(self.history)}, n_failed={self.n_failed}{pruned}"
                f"{infeasible}, maximize={self.maximize})")

    def _repr_html_(self) -> str:
        """What a notebook (Jupyter's rich display) shows for ``result``: the best value
        and its params, the evaluations counted by status, and the best few judged
        evaluations (`judged`; best first, ties by index) as a table, up to
        `HTML_BEST_ROWS`. Built with `html.escape` alone, so it needs no pandas (an
        optional extra): `to_pandas()` has every row."""
        return result_html(self)

    def to_pandas(self, params_prefix: str | None = None) -> pd.DataFrame:
        """The history as a pandas DataFrame, one row per evaluation (needs `bayesopt[pandas]`).

        Columns: one per dimension (its name after `params_prefix`), then
        value (NaN if failed), status, error, timestamp (UTC), duration
        (seconds; NaN if unknown) and cost; with a Fidelity or pruning, continues
        and step; with outcome constraints constraint_0, ... (`bayesopt.export`). The
        dimension columns are named as the dimensions, unless one is named like one of
        those columns or ``index`` (the frame's index): then every one is prefixed
        ``params_``, as in Optuna's ``trials_dataframe`` (whatever the history, so a
        space's columns do not change when a run is first pruned). A `params_prefix` given
        is used as given, and refused with ValueError if a column it makes is one of those.
        The frame's ``attrs`` carry what
        identifies the run, as `to_json` keeps it: ``seed``, ``fingerprint`` and
        ``maximize`` (pandas' ``DataFrame.attrs``; some operations drop them).
        """
        from bayesopt.export import result_to_pandas

        return result_to_pandas(self, params_prefix)

    def to_json(self) -> str:
        """The history and the space as JSON, read back by `OptimizeResult.from_json`.

        Lossless for the history (categories are stored by index, timing
        included); the surrogate model is not exported.
        """
        from bayesopt.export import result_to_json

        return result_to_json(self)

    @classmethod
    def from_json(cls, text: str, space: SpaceLike | None = None) -> OptimizeResult:
        """A result from `to_json` output (with `model=None`).

        `space` is needed when a categorical's choices cannot be stored in
        JSON exactly (classes, enum members, numpy scalars; tuples of numbers and
        strings can); it must equal the stored space, dimension by dimension.
        """
        from bayesopt.export import result_from_json

        return result_from_json(text, space)


HTML_BEST_ROWS = 5  # evaluations in the table of `OptimizeResult._repr_html_`


def result_html(result: OptimizeResult) -> str:
    """`OptimizeResult._repr_html_`: a summary line, then a table of the best few."""
    history, space = result.history, result.space
    counts = {status: sum(o.status == status for o in history)
              for status in ("ok", "failed", "pruned")}
    parts = [f"{counts['ok']} ok", f"{counts['failed']} failed"]
    if counts["pruned"]:
        parts.append(f"{counts['pruned']} pruned")
    if any(o.constraints is not None for o in history):
        parts.append(f"{result.n_infeasible} infeasible")
    sense = "maximizing" if result.maximize else "minimizing"
    best = result.best
    found = ("no best yet (no judged evaluation)" if best is None else
             f"best value <b>{_html_cell(best.value)}</b> at index {best.index}")
    ranked = sorted((o for o in history if judged(o, space)),
                    key=lambda o: (-o.value if result.maximize else o.value, o.index))  # type: ignore[operator]
    from bayesopt.export import parameter_columns

    names = [str(name) for name in space.names]
    head = "".join(f"<th>{escape(column)}</th>" for column in [
        "index", "value", *parameter_columns(names, ("index", "value").__contains__)])
    rows = "".join(
        "<tr>" + "".join(f"<td>{_html_cell(v)}</td>" for v in [
            o.index, o.value, *(o.params.get(name, _INACTIVE) for name in names)]) + "</tr>"
        for o in ranked[:HTML_BEST_ROWS])
    table = (f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
             if rows else "")
    shown = f"best {min(len(ranked), HTML_BEST_ROWS)} of {len(ranked)} judged" if rows else ""
    return (f"<div><p><b>OptimizeResult</b> ({sense}): {len(history)} evaluation"
            f"{'' if len(history) == 1 else 's'} ({', '.join(parts)}); {found}"
            f"{'; ' + shown if shown else ''}</p>{table}</div>")


_INACTIVE = object()  # a dimension a conditional point leaves out


def _html_cell(value: Any) -> str:
    """One escaped table cell: numbers to 6 significant digits, an inactive dimension as
    a dash, anything else as its str."""
    if value is _INACTIVE:
        return "&mdash;"
    if isinstance(value, (float, np.floating)):
        return escape(f"{float(value):.6g}")
    return escape(str(value))

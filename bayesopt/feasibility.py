"""Input constraints: which points of the space may be asked at all (known before evaluating).

    params : dict   a point in user units
    U      : (n, d) encoded points of the unit cube (``Space.encode``)
    A, b   : (k, d), (k,)  linear inequalities A u ≤ b in the encoded space

`Optimizer(space, feasible=...)` takes a callable ``params -> bool``, a
`LinearConstraint`, or a list of them; every ask satisfies all of them,
the initial design included.

Callables are honoured by rejection: the initial design skips the Sobol
points they refuse and goes on along the same sequence past its first
n_initial points (`OptimizerState.extend_design`), random points are drawn until one
is admitted (at most `REJECTION_BUDGET` draws; then, in a finite space small enough to enumerate,
the new admitted points are listed, and when none is left the space is
exhausted as one without constraints is: `SpaceExhaustedWarning` and a
repeat of an admitted point; otherwise `InfeasibleSpaceError`), and the acquisition
optimizer scores and keeps admitted points only. An exception a callable
raises propagates as it is — same object, same type, so ``except`` clauses
written for it still catch it — with a note (PEP 678, as the traceback shows
it) naming the callable and the params it was called with; wrapping it in
another exception ``from`` it would change its type.

Linear constraints Σ_j a_j x_j ≤ b (or ≥ b) over Real and Integer
dimensions are also given to the acquisition optimizer as linear
inequalities in the encoded space, so its local search (SLSQP) can walk
along them and reach an optimum where a constraint is active. On a
dimension that is not log-scaled the encoding is affine,

    x_j = x0_j + L_j · u_j,   L_j = `unit_length`, x0_j the value at u_j = 0,

so Σ a_j x_j ≤ b is Σ (a_j L_j) u_j ≤ b − Σ a_j x0_j. (For an Integer this is
the continuous relaxation; the rounded point is checked again in user units.
Two constraints that bound one form from both sides with no gap, l ≥ u, leave
no volume and are refused, unless the form is over Integers only: k + m ≤ 3
with k + m ≥ 3 is an equality the lattice meets, honoured by rejection alone,
as the relaxation tightened by the margin below would be empty.)
On log-scaled dimensions x = exp(…) is not affine in u, and a categorical has
no numeric value: a linear constraint over either is refused (a callable
expresses it, honoured by rejection).

A study records its input constraints in its header (``config["feasible"]``,
`InputConstraints.to_json`, null for none; headers written before have no such
key and are not checked): the linear constraints exactly, the callables —
code, which a journal never holds — by their number and names:

    {"callables": ["train.fits_in_memory"],
     "linear": [{"coefficients": {"a": 1.0, "b": 1.0}, "sense": "<=", "bound": 1.0}]}

Resuming or attaching must give input constraints that match it
(`check_recorded`): as many callables, the same linear constraints. A
reader that only looks at a study (``bayesopt show``) stands in for the
callables with `UnavailableCallable`, which refuses to judge a point.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias, cast

import numpy as np

from bayesopt.space import Categorical, Integer, Real, Space
from bayesopt.validation import check_real, shown

__all__ = ["FeasibleArgument", "InfeasibleSpaceError", "InputConstraints", "LinearConstraint",
           "UnavailableCallable", "check_recorded", "recorded_constraints"]

REJECTION_BUDGET = 100_000  # random draws before a feasible region is declared (nearly) empty
_CHECK_SAMPLE = 4096  # Sobol points that must contain a feasible one when the optimizer is built
# The encoded system is tightened by this (relative to the bound's scale), so that a
# point SLSQP puts on an active constraint still satisfies it exactly in user units.
_MARGIN = 1e-9
# the slack of `LinearConstraint.__call__`, in units of the terms' and the bound's magnitude:
# a few units in the last place of a double
_ROUNDING = 4 * sys.float_info.epsilon

Feasible = Callable[[dict[str, Any]], "bool | np.bool_"]  # a numpy comparison's bool too
# what `Optimizer(feasible=...)` takes: one input constraint, or a list or tuple of them
# (Sequence, which is covariant, so that a list[LinearConstraint] passes)
FeasibleArgument: TypeAlias = "Feasible | LinearConstraint | Sequence[Feasible | LinearConstraint]"
SENSES = ("<=", ">=")


class InfeasibleSpaceError(ValueError):
    """The input constraints admit no point (or too few to find) of the search space."""


@dataclass(frozen=True)
class LinearConstraint:
    """Σ_name coefficients[name] · params[name]  (sense)  bound, in user units.

    ``LinearConstraint({"a": 1, "b": 1}, "<=", 1)`` means a + b ≤ 1. At least one
    coefficient is non-zero: with none, the constraint does not depend on the point.
    """

    coefficients: Mapping[str, float]
    sense: str
    bound: float

    def __post_init__(self) -> None:
        if not isinstance(self.coefficients, Mapping) or not self.coefficients:
            raise TypeError(f"coefficients={shown(self.coefficients)} must be a non-empty dict "
                            "{dimension name: number}")
        for name, value in self.coefficients.items():
            if not isinstance(name, str):
                raise TypeError(f"coefficients: key {name!r} must be a dimension name (str)")
            check_real(f"coefficients[{name!r}]", value)
        if self.sense not in SENSES:
            raise ValueError(f"sense={self.sense!r} must be one of {list(SENSES)}")
        object.__setattr__(self, "coefficients",
                           {k: float(v) for k, v in self.coefficients.items()})
        object.__setattr__(self, "bound", check_real("bound", self.bound))
        if not any(self.coefficients.values()):
            holds = 0.0 <= self.bound if self.sense == "<=" else 0.0 >= self.bound
            raise ValueError(
                f"coefficients={self.coefficients!r} are all 0: the constraint reads "
                f"0 {self.sense} {self.bound:g}, {'always' if holds else 'never'} satisfied "
                "whatever the point; give a non-zero coefficient (or drop the constraint)")

    def lhs(self, params: Mapping[str, Any]) -> float:
        """Σ a_j · params[j]."""
        return math.fsum(a * float(params[name]) for name, a in self.coefficients.items())

    def __call__(self, params: Mapping[str, Any]) -> bool:
        """Whether `params` satisfies the constraint up to the rounding of its arithmetic:
        a point on the bound in decimal (a = 0.1, b = 0.2 for a + b ≤ 0.3, whose binary
        sum is 0.30000000000000004) holds. The slack is `_ROUNDING` times the magnitude of
        the terms and the bound, the error of rounding decimal inputs, their products and
        the bound to binary (each within half an ulp) and of the correctly rounded sum."""
        terms = [a * float(params[name]) for name, a in self.coefficients.items()]
        lhs = math.fsum(terms)
        slack = _ROUNDING * (math.fsum(abs(t) for t in terms) + abs(self.bound))
        return lhs <= self.bound + slack if self.sense == "<=" else lhs >= self.bound - slack

    def holds(self, values: Mapping[str, np.ndarray]) -> np.ndarray:
        """`__call__`'s verdicts on n points at once: `values` maps each of the
        constraint's dimensions to its (n,) float values; returns (n,) bool.

        The sum of the m terms and of their magnitudes M = Σ|a_j x_j| + |bound| are taken
        in numpy, whose rounding errors, with the slack's and the comparison's, stay
        below 4(m + 2)·ε·M (ε the machine epsilon; floating-point summation error, Higham
        2002, *Accuracy and Stability of Numerical Algorithms*, Sec. 4.2). A point whose
        distance to the threshold is not larger than that (or is not finite) is judged
        by `__call__` itself, so every verdict is `__call__`'s."""
        terms = np.stack([a * values[name] for name, a in self.coefficients.items()], axis=1)
        magnitude = np.sum(np.abs(terms), axis=1) + abs(self.bound)
        lhs = np.sum(terms, axis=1)
        slack = _ROUNDING * magnitude
        room = self.bound + slack - lhs if self.sense == "<=" else lhs - (self.bound - slack)
        unsure = ~(np.abs(room) > 4 * (terms.shape[1] + 2) * sys.float_info.epsilon * magnitude)
        held: np.ndarray = room >= 0.0
        for i in np.flatnonzero(unsure):
            held[i] = self({name: float(column[i]) for name, column in values.items()})
        return held

    def as_upper_bound(self) -> tuple[dict[str, float], float]:
        """The same constraint as Σ a_j x_j ≤ b (a ≥ constraint negated)."""
        sign = 1.0 if self.sense == "<=" else -1.0
        return {k: sign * a for k, a in self.coefficients.items()}, sign * self.bound

    def to_dict(self) -> dict[str, Any]:
        """JSON form: {"coefficients": {...}, "sense": ..., "bound": ...} (exact floats)."""
        return {"coefficients": dict(self.coefficients), "sense": self.sense,
                "bound": self.bound}

    @classmethod
    def from_dict(cls, spec: Any) -> LinearConstraint:
        """Inverse of `to_dict`; raises ValueError/TypeError for a malformed spec."""
        if not isinstance(spec, Mapping) or set(spec) != {"coefficients", "sense", "bound"}:
            raise ValueError(f"linear constraint {spec!r} is not a table of coefficients, "
                             "sense and bound")
        return cls(spec["coefficients"], spec["sense"], spec["bound"])

    def __str__(self) -> str:
        terms = " + ".join(f"{a:g}·{name}" for name, a in self.coefficients.items())
        return f"{terms} {self.sense} {self.bound:g}"


@dataclass(frozen=True)
class UnavailableCallable:
    """Stands in for a study's `feasible=` callable that was not given (code is never
    journaled): a reader can replay the study, but judging a point raises."""

    name: str

    def __call__(self, params: Mapping[str, Any]) -> bool:
        raise ValueError(f"the study's feasible= callable {self.name!r} was not given; "
                         "pass it (feasible=) to ask for points")


def _add_note(error: BaseException, note: str) -> None:
    """Add `note` to `error` (PEP 678; Python 3.10, which shows no notes, keeps them in
    ``__notes__`` all the same)."""
    if hasattr(error, "add_note"):
        error.add_note(note)
    else:  # pragma: no cover - Python 3.10
        error.__notes__ = [*getattr(error, "__notes__", []), note]  # type: ignore[attr-defined]


def _callable_name(function: Feasible) -> str:
    if isinstance(function, UnavailableCallable):
        return function.name
    module = getattr(function, "__module__", None) or type(function).__module__
    name = getattr(function, "__qualname__", None) or type(function).__qualname__
    return f"{module}.{name}"


class InputConstraints:
    """The `feasible=` argument of an Optimizer, checked against its space."""

    def __init__(self, space: Space, feasible: Any) -> None:
        items = list(feasible) if isinstance(feasible, (list, tuple)) else [feasible]
        if not items:
            raise ValueError("feasible=[] is empty: pass None for no input constraints")
        self.space = space
        self.linear: tuple[LinearConstraint, ...] = tuple(
            item for item in items if isinstance(item, LinearConstraint))
        self.callables: tuple[Feasible, ...] = tuple(
            item for item in items if not isinstance(item, LinearConstraint))
        for item in self.callables:
            if not callable(item):
                raise TypeError(f"feasible: {item!r} must be a callable params -> bool or a "
                                "LinearConstraint")
        for constraint in self.linear:
            _check_linear(space, constraint)
        self.system = self._encoded_system()

    def to_json(self) -> dict[str, Any]:
        """What a study's header records (module docstring): callables by name, linear
        constraints exactly."""
        return {"callables": [_callable_name(f) for f in self.callables],
                "linear": [c.to_dict() for c in self.linear]}

    def __call__(self, params: Mapping[str, Any]) -> bool:
        """True when `params` (valid, user units) satisfies every input constraint."""
        return self._first_violated(params) is None

    def _first_violated(self, params: Mapping[str, Any]) -> LinearConstraint | Feasible | None:
        """The first constraint `params` violates — the linear ones in order, then the
        callables, each called only while the others hold — or None."""
        for constraint in self.linear:
            if not constraint(params):
                return constraint
        for function in self.callables:
            if not self._admits(function, params):
                return function
        return None

    @staticmethod
    def _admits(function: Feasible, params: Mapping[str, Any]) -> bool:
        """The callable's verdict on `params`; its exception propagates with a note."""
        try:
            verdict = function(dict(params))
        except Exception as error:
            _add_note(error, f"raised by the feasible= callable {_callable_name(function)} "
                             f"called with params={dict(params)!r}")
            raise
        if not isinstance(verdict, (bool, np.bool_)):
            raise TypeError(f"feasible callable {function!r} returned {shown(verdict)} for "
                            f"{dict(params)!r}; it must return True or False")
        return bool(verdict)

    def violation(self, params: Mapping[str, Any]) -> str | None:
        """The first input constraint `params` (valid, user units) violates, described
        (a linear one with its left side's value, a callable by its name), or None when it
        satisfies all of them (`__call__` is True)."""
        broken = self._first_violated(params)
        if broken is None:
            return None
        if isinstance(broken, LinearConstraint):
            return (f"the linear constraint {broken} (its left side is "
                    f"{broken.lhs(params):.12g} there)")
        return f"the feasible= callable {_callable_name(broken)} (it returned False)"

    def mask(self, U: np.ndarray) -> np.ndarray:
        """Which encoded rows U: (n, d) decode to admitted points: (n,) bool, each row's
        verdict that of `__call__`: the linear constraints judged for all rows at once
        (`LinearConstraint.holds`), then the callables in order on the rows that satisfy
        every linear one, each called only while the ones before it admit the row."""
        held = np.ones(U.shape[0], dtype=bool)
        if U.shape[0] == 0:
            return held
        if self.linear:
            index = dict(zip(self.space.names, zip(self.space.dimensions, self.space.slices)))
            names = {name for constraint in self.linear for name in constraint.coefficients}
            values = {name: _numeric(index[name][0]).decode_floats(U[:, index[name][1]])
                      for name in names}
            for constraint in self.linear:
                held &= constraint.holds(
                    {name: values[name] for name in constraint.coefficients})
        if self.callables:
            rows = np.flatnonzero(held)
            for row, params in zip(rows, self.space.decode(U[rows])):
                held[row] = all(self._admits(function, params) for function in self.callables)
        return held

    def check_not_empty(self) -> None:
        """Raise InfeasibleSpaceError unless some of `_CHECK_SAMPLE` Sobol points is admitted."""
        if any(isinstance(f, UnavailableCallable) for f in self.callables):
            return  # a study's recorded constraints, checked when it was created
        squeezed = [pair for pair in _opposed_pairs(self.linear)
                    if not self._over_integers(self.linear[pair[0]])]
        if squeezed:
            first, second = (self.linear[i] for i in squeezed[0])
            raise InfeasibleSpaceError(
                f"feasible= bounds one linear form from both sides, {first} and {second}, which "
                "leaves no volume to sample (an equality, or nothing): fix the equality by "
                "searching one dimension fewer and computing the last from the others in "
                "the objective, or give the bounds a gap")
        sample = self.space.sobol(_CHECK_SAMPLE, np.random.default_rng(0))
        if not self.mask(sample).any():
            fidelity = self.space.fidelity
            raise InfeasibleSpaceError(
                f"feasible= admits none of {_CHECK_SAMPLE} quasi-random points of the space: "
                "the feasible region is empty or too small to search (under ~0.05 % of it)"
                + ("" if fidelity is None else
                   f"; the points carry the Fidelity at its highest budget, {fidelity.name}="
                   f"{fidelity.high!r}: input constraints judge a configuration for every "
                   "budget, which the Hyperband schedule sets"))

    def _over_integers(self, constraint: LinearConstraint) -> bool:
        """Whether every dimension `constraint` has a non-zero coefficient on takes values on
        a lattice (an Integer, a stepped Real: `lattice`)."""
        dims = dict(zip(self.space.names, self.space.dimensions))
        return all(isinstance(dims[name], (Real, Integer))
                   and cast("Real | Integer", dims[name]).lattice is not None
                   for name, a in constraint.coefficients.items() if a)

    def _encoded_system(self) -> tuple[np.ndarray, np.ndarray] | None:
        """A u ≤ b in the encoded space for the linear constraints (module docstring)."""
        if not self.linear:
            return None
        index = dict(zip(self.space.names, self.space.slices))
        dims = dict(zip(self.space.names, self.space.dimensions))
        # a pair squeezing a form over integers to lattice points leaves the relaxation
        # (tightened by the margin) empty: those rows are honoured by rejection alone
        squeezed = {i for pair in _opposed_pairs(self.linear) for i in pair}
        rows = [c for i, c in enumerate(self.linear) if i not in squeezed]
        if not rows:
            return None
        A = np.zeros((len(rows), self.space.n_columns))
        b = np.zeros(len(rows))
        for row, constraint in enumerate(rows):
            coefficients, bound = constraint.as_upper_bound()
            for name, a in coefficients.items():
                dim = dims[name]
                assert isinstance(dim, (Real, Integer))
                origin = float(dim.low) - float(dim.encode([dim.low])[0, 0]) * dim.unit_length
                A[row, index[name].start] = a * dim.unit_length
                bound -= a * origin
            scale = max(abs(bound), float(np.max(np.abs(A[row]))), 1.0)
            b[row] = bound - _MARGIN * scale
        return A, b


def _opposed_pairs(linear: tuple[LinearConstraint, ...]) -> list[tuple[int, int]]:
    """The index pairs of linear constraints l ≤ Σ a_j x_j ≤ u on the same form (up to a
    positive factor) with u ≤ l: over a Real the region between them has no volume; over
    Integers only, it may still hold lattice points."""
    forms = []
    for constraint in linear:
        coefficients, bound = constraint.as_upper_bound()
        scale = max(abs(a) for a in coefficients.values())
        forms.append(({k: a / scale for k, a in coefficients.items() if a}, bound / scale))
    pairs = []
    for i, (a, b) in enumerate(forms):
        for j in range(i + 1, len(forms)):
            c, d = forms[j]
            if set(c) == set(a) and all(math.isclose(c[k], -a[k]) for k in a) and b + d <= 0:
                pairs.append((i, j))
    return pairs


def recorded_constraints(recorded: Any) -> list[Feasible | LinearConstraint] | None:
    """The input constraints a study's header records (`InputConstraints.to_json`), its
    callables stood in for by `UnavailableCallable`; None for a study without any.
    Raises ValueError for a malformed record."""
    if recorded is None:
        return None
    names, linear = _parse_record(recorded)
    return [*map(UnavailableCallable, names), *map(LinearConstraint.from_dict, linear)]


def check_recorded(config: Mapping[str, Any], given: Mapping[str, Any] | None, where: str,
                   how: str) -> None:
    """Raise ValueError unless the input constraints `given` (`InputConstraints.to_json`,
    None: none) match those recorded in the header config of the study `where`: as many
    callables, and the same linear constraints in the same order. `how` says how to
    pass them (e.g. "to Optimizer.resume"). A header written before input constraints
    were recorded (no "feasible" key) cannot tell, and is not checked."""
    if "feasible" not in config:
        return
    recorded = config["feasible"]
    names, linear = _parse_record(recorded) if recorded is not None else ([], [])
    had = recorded is not None
    if given is None and had:
        why = ", and a callable is never journaled" if names else ""
        raise ValueError(f"{where} has input constraints ({_summary(names, linear)}){why}: "
                         f"pass feasible= with the same constraints {how}")
    if given is not None and not had:
        raise ValueError(f"{where} has no input constraints; feasible= would change which "
                         "points it asks: leave it out, or start a new study")
    if given is None:
        return
    if len(given["callables"]) != len(names) or given["linear"] != linear:
        raise ValueError(
            f"feasible= ({_summary(given['callables'], given['linear'])}) differs from the "
            f"input constraints of {where} ({_summary(names, linear)}); pass the same "
            f"constraints {how}")


def _parse_record(recorded: Any) -> tuple[list[str], list[dict[str, Any]]]:
    if (not isinstance(recorded, Mapping) or set(recorded) != {"callables", "linear"}
            or not isinstance(recorded["callables"], list)
            or not all(isinstance(n, str) for n in recorded["callables"])
            or not isinstance(recorded["linear"], list)):
        raise ValueError(f"the recorded input constraints {recorded!r} are malformed")
    linear = [LinearConstraint.from_dict(spec).to_dict() for spec in recorded["linear"]]
    return list(recorded["callables"]), linear


def _summary(names: list[str], linear: list[dict[str, Any]]) -> str:
    parts = [f"{len(names)} callable(s) {names}"] if names else []
    parts += [str(LinearConstraint.from_dict(spec)) for spec in linear]
    return "; ".join(parts)


def _numeric(dim: Any) -> Real | Integer:
    """A dimension of a linear constraint (a Real or an Integer: `_check_linear`)."""
    assert isinstance(dim, (Real, Integer)), f"{dim!r} is in a linear constraint"
    return dim


def _check_linear(space: Space, constraint: LinearConstraint) -> None:
    dims = dict(zip(space.names, space.dimensions))
    for name in constraint.coefficients:
        if name not in dims:
            raise ValueError(f"LinearConstraint: unknown dimension {name!r}; the space has "
                             f"{list(space.names)}")
        dim = dims[name]
        if dim is space.fidelity:
            raise ValueError(f"LinearConstraint: dimension {name!r} is the Fidelity: the "
                             "Hyperband schedule sets every run's budget, and input "
                             "constraints judge a configuration for every budget; constrain "
                             "the other dimensions")
        numeric = isinstance(dim, (Real, Integer)) and not isinstance(dim, Categorical)
        if not numeric:
            raise ValueError(f"LinearConstraint: dimension {name!r} is {dim!r}, not numeric; "
                             "express the constraint as a feasible= callable")
        if dim.when:
            raise ValueError(f"LinearConstraint: dimension {name!r} is conditional (when="
                             f"{dict(dim.when)!r}) and absent from some points; express the "
                             "constraint as a feasible= callable")
        if dim.log:  # type: ignore[attr-defined]
            raise ValueError(f"LinearConstraint: dimension {name!r} is log-scaled, where the "
                             "encoding is not affine; express the constraint as a feasible= "
                             "callable (honoured by rejection)")
    # the magnitude of the terms and the bound over the box stays below a quarter of the
    # largest double, so that no sum of `LinearConstraint.__call__` or `holds` (their
    # differences included) overflows
    reach = abs(constraint.bound)
    for name, a in constraint.coefficients.items():
        low, high = float(dims[name].low), float(dims[name].high)  # type: ignore[attr-defined]
        reach += abs(a) * max(abs(low), abs(high))
    if not reach <= sys.float_info.max / 4:
        raise ValueError(f"LinearConstraint {constraint}: its terms reach {reach:g} within the "
                         "dimensions' bounds, past a quarter of the largest double (4.5e307), "
                         "where its sums could overflow; scale the coefficients and the bound "
                         "down")

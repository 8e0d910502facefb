"""Search spaces: user-facing dimensions and their encoding in the unit cube.

Every dimension maps to one or more columns in [0, 1]; the GP, the
acquisition functions and their optimizer only ever see encoded points:

    Real(low, high, log)      1 column, u = (w(x) − w(low)) / (w(high) − w(low))
    Integer(low, high, log)   1 column, the same map applied to the relaxed
                              range [low − ½, high + ½]: integer v owns the bin
                              [w(v − ½), w(v + ½)] (equal widths when linear) and
                              encodes to w(v), inside its bin; decoding rounds
    Integer(low, high, step=k) 1 column, the grid index i of v = low + i·k (i = 0..n,
    Real(low, high, step=s)   n = (high − low) / step) encoded as Integer(0, n) encodes i,
                              so the model sees the index exactly as it sees an integer;
                              a Real's grid values are low + i·s in decimal arithmetic
                              (0.1 + 2·0.1 is 0.3, not 0.30000000000000004)
    Categorical(choices)      k columns, one-hot; decoding takes the argmax
    Fidelity(low, high, eta)  0 columns: the training budget of a configuration
                              (epochs, rounds, data fraction) is not part of it;
                              the Hyperband schedule (bayesopt.fidelity) sets it,
                              and decoding gives `high`

with w = log for log-scaled dimensions and the identity otherwise. Hence
decode(encode(p)) == p for every valid point (for reals up to rounding in
the last bits of a log/exp round trip).

Conditional spaces (`when=` on a dimension; `bayesopt.conditions`). A point
carries exactly its active keys. Its encoding puts every column of an
inactive dimension at INACTIVE_VALUE (½) and appends one activity column per
conditional dimension (1 active, 0 inactive) after all dimension columns:

    U = [ dimension columns (n, Σ widths) | activity columns (n, n_conditional) ]

`gates[j]` is the activity column of column j (−1 for unconditional ones):
the kernel (`kernels.Kernel`) reads it to impute column j whenever it is
inactive, so an inactive coordinate never changes a prediction. Decoding
recomputes activity from the decoded parents and drops inactive keys.
"""

from __future__ import annotations

import abc
import dataclasses
import decimal
import difflib
import functools
import json
import math
import numbers
import reprlib
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING, Any, SupportsFloat, SupportsIndex, TypeVar, cast

import numpy as np

from bayesopt.conditions import (
    When,
    activity,
    check_graph,
    flatten,
    normalize_when,
    parent_classes_by_pattern,
)
from bayesopt.sobol import scrambled_sobol
from bayesopt.validation import is_real, key_names, key_problems, shown, unknown_keywords
from kernels.kernel import INACTIVE_VALUE

__all__ = ["Categorical", "Dimension", "Fidelity", "Integer", "Real", "Space", "scrambled_sobol",
           "sobol_seed"]

_EXACT_INTEGERS = 2**53  # float64 holds every integer of magnitude up to this one


def sobol_seed(rng: np.random.Generator) -> int:
    """An integer seed for a Sobol scramble, drawn from `rng`. An integer, not the generator
    itself: scipy would spawn a child from the generator's SeedSequence, and that spawn count
    is not part of the generator's state — a journal could not restore it and resumed runs
    would diverge."""
    return int(rng.integers(2**63 - 1))


_H = TypeVar("_H", bound=Hashable)  # a Categorical's choice, as its constructor's types say


def _label(name: str | None) -> str:
    return f"dimension {name!r}" if name is not None else "dimension"


def _check_name(name: object) -> None:
    """A dimension's name= is None (a dict space names it) or a non-empty string, as a
    dict space's keys must be: a point is a dict keyed by these names."""
    if name is not None and (not isinstance(name, str) or not name):
        raise TypeError(f"dimension: name={name!r} must be a non-empty string (or None)")


def _check_finite_bounds(label: str, low: object, high: object) -> None:
    """Both bounds real numbers (not bools) and finite; raises naming the bound."""
    for key, value in (("low", low), ("high", high)):
        if not is_real(value):
            raise TypeError(f"{label}: {key}={shown(value)} must be a real number")
        if not math.isfinite(value):  # type: ignore[arg-type]
            raise ValueError(f"{label}: {key}={shown(value)} must be finite")


def _listed(values: Iterable[Any]) -> str:
    """A list of values as a message shows it (`shown`: numpy scalars as Python's)."""
    return "[" + ", ".join(shown(value) for value in values) + "]"


class Dimension(abc.ABC):
    """One named input of the objective and its encoding."""

    name: str | None
    when: Mapping[str, Any] | None

    @property
    @abc.abstractmethod
    def n_columns(self) -> int:
        """Width of the encoding."""

    @property
    @abc.abstractmethod
    def cardinality(self) -> int | None:
        """Number of distinct values, or None for a continuum."""

    @abc.abstractmethod
    def validate(self, value: Any) -> Any:
        """Return the value in canonical form or raise naming the dimension."""

    @abc.abstractmethod
    def encode(self, values: Sequence[Any]) -> np.ndarray:
        """Valid values (n,) → encoded columns (n, n_columns)."""

    @abc.abstractmethod
    def decode(self, columns: np.ndarray) -> list[Any]:
        """Encoded columns (n, n_columns), possibly relaxed → valid values (n,)."""

    @abc.abstractmethod
    def from_unit(self, u: np.ndarray) -> np.ndarray:
        """Uniform numbers u: (n,) in [0, 1) → encoded feasible points (n, n_columns)."""

    @abc.abstractmethod
    def to_dict(self) -> dict[str, Any]:
        """A JSON-able definition (without the name)."""

    def project(self, columns: np.ndarray) -> np.ndarray:
        """Relaxed columns (n, n_columns) → nearest feasible encoding."""
        return self.encode(self.decode(columns))

    def named(self, name: str) -> Dimension:
        return dataclasses.replace(self, name=name)  # type: ignore[type-var]

    def with_when(self, when: Mapping[str, Any] | None) -> Dimension:
        """This dimension with the condition `when` (None: unconditional)."""
        return dataclasses.replace(self, when=when)  # type: ignore[type-var]

    def _freeze_when(self) -> None:
        _check_name(self.name)
        object.__setattr__(self, "when", normalize_when(_label(self.name), self.when))

    def _when_dict(self) -> dict[str, Any]:
        """The `when` entry of `to_dict` (absent for an unconditional dimension)."""
        return {} if self.when is None else {"when": cast(When, self.when).to_dict()}

    def to_dict_args(self) -> dict[str, Any]:
        args = self.to_dict()
        args.pop("type")
        return args


@dataclass(frozen=True)
class _Interval(Dimension):
    """Shared logic of Real and Integer: an interval, optionally log-scaled."""

    low: float
    high: float
    log: bool = False
    step: float | None = field(default=None, kw_only=True)  # None: every value (a Real's
    # continuum, an Integer's every integer)
    name: str | None = field(default=None, kw_only=True)
    when: Mapping[str, Any] | None = field(default=None, kw_only=True)

    def _check_bounds(self) -> None:
        self._freeze_when()
        label = _label(self.name)
        _check_finite_bounds(label, self.low, self.high)
        if not isinstance(self.log, (bool, np.bool_)):
            raise TypeError(f"{label}: log={shown(self.log)} must be True or False")
        if self.log and self.low <= 0:
            raise ValueError(f"{label}: log=True needs low > 0, got low={shown(self.low)}")
        if not math.isfinite(float(self.high) - float(self.low)):
            raise ValueError(f"{label}: high - low = {shown(self.high)} - {shown(self.low)} "
                             "overflows")

    def decode_floats(self, columns: np.ndarray) -> np.ndarray:
        """`decode`'s values as float64 (n,) (an Integer's as whole floats), the same
        numbers, without a Python object per value: encoded columns (n, 1) → (n,)."""
        if self._grid is not None:
            return np.asarray(self._decode_grid(columns), dtype=np.float64)
        return self._decode_continuum(columns)

    @abc.abstractmethod
    def _decode_continuum(self, columns: np.ndarray) -> np.ndarray:
        """`decode` without a grid, as float64 (n,) before each is made a Python number."""

    def _warp(self, x: np.ndarray) -> np.ndarray:
        return np.log(x) if self.log else np.asarray(x, dtype=np.float64)

    def _unwarp(self, w: np.ndarray) -> np.ndarray:
        return np.exp(w) if self.log else w

    def _check_span(self) -> None:
        """The encoded range must have width in float64, or every point encodes as nan."""
        a, b = self._span
        if not b > a:
            raise ValueError(f"{_label(self.name)}: [{shown(self.low)}, {shown(self.high)}] is "
                             "too narrow to encode in float64"
                             f"{' on a log scale' if self.log else ''}: "
                             "its ends are one number there; widen it, or drop the dimension")

    def _check_step(self) -> None:
        """Set `_grid` from `step` (bounds checked and converted already): a positive finite
        number (an integer for an Integer) whose grid from low reaches high exactly, without
        log=True; raises naming the key and value."""
        if self.step is None:
            return
        label, step, integral = _label(self.name), self.step, isinstance(self, Integer)
        if not is_real(step):
            raise TypeError(f"{label}: step={shown(step)} must be a "
                            f"{'positive integer' if integral else 'positive real number'}")
        if not (math.isfinite(step) and step > 0):
            raise ValueError(f"{label}: step={shown(step)} must be positive and finite")
        if integral and not float(step).is_integer():
            raise ValueError(f"{label}: step={shown(step)} must be an integer (an Integer's values "
                             f"are integers; Real({shown(self.low)}, {shown(self.high)}, "
                             f"step={shown(step)}) "
                             "has fractional ones)")
        plain = int(step) if integral else _float(step)
        object.__setattr__(self, "step", plain)
        if integral and plain == 1:  # every integer: the plain Integer (equal, one to_dict)
            object.__setattr__(self, "step", None)
            return
        if self.log:
            raise ValueError(f"{label}: step={shown(step)} with log=True: a stepped grid is linear "
                             "(low + i·step), a log scale is not; drop log=True, or drop step "
                             "for a log-spaced range, or search an exponent Integer(a, b) and "
                             "map it (2**e) in the objective")
        object.__setattr__(self, "_grid", _Grid.of(label, self.low, self.high, plain))

    @functools.cached_property
    def _grid(self) -> _Grid | None:
        """The stepped grid (set by `_check_step`); None without a step."""
        return None

    @functools.cached_property
    def _span(self) -> tuple[float, float]:
        """The encoded range [a, b] in warped units (fixed by the frozen bounds: once); a
        stepped dimension's is its grid index's, [−½, n + ½], as Integer(0, n)'s."""
        lo, hi = (-0.5, self._grid.n + 0.5) if self._grid is not None else self._relaxed_range()
        return float(self._warp(np.float64(lo))), float(self._warp(np.float64(hi)))

    @abc.abstractmethod
    def _relaxed_range(self) -> tuple[float, float]: ...

    @property
    def unit_length(self) -> float:
        """The length the whole encoded column [0, 1] stands for: high − low for a Real,
        high − low + 1 for an Integer (its relaxed range), (n + 1)·step for a stepped one,
        and in decades (log10) when log=True."""
        a, b = self._span
        if self._grid is not None:
            return (b - a) * self._grid.step
        return (b - a) / math.log(10.0) if self.log else b - a

    @property
    def lattice(self) -> tuple[int, int] | None:
        """The integer coordinates of a discrete dimension's values (an Integer's values
        themselves, a stepped one's grid indices 0..n), as (first, last); None for a
        continuum."""
        if self._grid is not None:
            return 0, self._grid.n
        return (int(self.low), int(self.high)) if isinstance(self, Integer) else None

    @property
    def spacing(self) -> float:
        """The distance between neighbouring values of a discrete dimension (step, or 1 for
        an Integer); 0.0 for a continuum."""
        if self._grid is not None:
            return self._grid.step
        return 1 if isinstance(self, Integer) else 0.0

    def grid_values(self) -> list[Any]:
        """Every value of a discrete dimension, in order (an Integer's, a stepped one's)."""
        assert self.lattice is not None, f"{self!r} is a continuum"
        first, last = self.lattice
        return self.decode(self.encode_lattice(np.arange(first, last + 1)))

    def lattice_coordinates(self, columns: np.ndarray) -> np.ndarray:
        """Relaxed columns (n, 1) → the lattice coordinates (n,) int of their decoding."""
        first, last = self.lattice or (0, 0)
        x = self._from_unit_relaxed(np.clip(columns[:, 0], 0.0, 1.0))
        return cast(np.ndarray, np.clip(np.rint(x), first, last).astype(np.int64))

    def encode_lattice(self, coordinates: np.ndarray) -> np.ndarray:
        """Lattice coordinates (n,) → encoded columns (n, 1)."""
        return self._to_unit(np.asarray(coordinates, dtype=np.float64)).reshape(-1, 1)

    def encode(self, values: Sequence[Any]) -> np.ndarray:
        if self._grid is not None:
            return self.encode_lattice(self._grid.indices(values))
        return self._to_unit(np.asarray(values, dtype=np.float64)).reshape(-1, 1)

    def _decode_grid(self, columns: np.ndarray) -> list[Any]:
        """A stepped dimension's `decode`: each distinct index's value made once."""
        assert self._grid is not None
        indices, rows = np.unique(self.lattice_coordinates(columns), return_inverse=True)
        values = [self._grid.value(int(i)) for i in indices]
        return [values[k] for k in rows.ravel()]

    def _project_grid(self, columns: np.ndarray) -> np.ndarray:
        """A stepped dimension's `project`: its index rounded and encoded, no value made."""
        return self.encode_lattice(self.lattice_coordinates(columns))

    def _check_on_grid(self, value: Any) -> Any:
        """A value as its grid value (a Real's within `_Grid.tolerance` of it, an end too:
        7·0.1 = 0.7000000000000001 is 0.7); TypeError or ValueError naming it otherwise."""
        assert self._grid is not None
        finite = is_real(value) and math.isfinite(value)
        index = self._grid.index(value) if finite else None
        if index is None:
            self._check_value(value)  # not a number, or outside [low, high]: said so first
            raise ValueError(f"{_label(self.name)}: value {shown(value)} is not on the grid "
                             f"{self._grid.shown()} (low + i·step, step={shown(self.step)})")
        return self._grid.value(index)

    def _to_unit(self, x: np.ndarray) -> np.ndarray:
        a, b = self._span
        return np.clip((self._warp(x) - a) / (b - a), 0.0, 1.0)

    def _from_unit_relaxed(self, u: np.ndarray) -> np.ndarray:
        a, b = self._span
        return self._unwarp(a + np.asarray(u, dtype=np.float64) * (b - a))

    def _check_value(self, value: Any) -> None:
        label = _label(self.name)
        if not is_real(value):
            hint = (" (a string: convert numbers read as text, e.g. from a CSV file, with "
                    "float() or pandas.to_numeric)" if isinstance(value, str) else "")
            raise TypeError(f"{label}: value {shown(value)} must be a number in [{self.low}, "
                            f"{self.high}]{hint}")
        if not (self.low <= value <= self.high):
            raise ValueError(f"{label}: value {shown(value)} is outside [{self.low}, {self.high}]")

    @property
    def n_columns(self) -> int:
        return 1

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        return self.project(np.asarray(u, dtype=np.float64).reshape(-1, 1))

    def _step_dict(self) -> dict[str, Any]:
        """The `step` entry of `to_dict` (absent without a step: plain spaces' definitions,
        and so their journals, are as before steps existed)."""
        return {} if self.step is None else {"step": self.step}


@dataclass(frozen=True)
class _Grid:
    """The values low + i·step, i = 0..n, of a stepped dimension. An Integer's in integer
    arithmetic; a Real's in decimal arithmetic on the shortest reprs of low and step, each
    then the float nearest its decimal value (0.1 + 2·0.1 is 0.3), the last one `high`."""

    low: int | float
    high: int | float
    step: int | float
    n: int

    @classmethod
    def of(cls, label: str, low: float, high: float, step: float) -> _Grid:
        """The grid from low by step; ValueError unless it reaches high (to `tolerance`,
        the rounding of a Real's decimal bounds), has at most 2**52 + 1 values, and a Real's
        step is at least 2 ulps of its bounds' magnitude (finer, neighbouring values would
        be one float64 number)."""
        with decimal.localcontext(_DECIMALS):
            span = _decimal(high) - _decimal(low)
            steps = span / _decimal(step)
            n = int(steps.to_integral_value())
        if n < 1:
            raise ValueError(f"{label}: step={shown(step)} is larger than high - low = "
                             f"{shown(high)} - {shown(low)}: the grid would hold low alone")
        if isinstance(step, float) and step < 2 * _ulp(low, high):
            raise ValueError(
                f"{label}: step={shown(step)} is finer than float64 resolves between "
                f"low={shown(low)} "
                f"and high={shown(high)} (its numbers there are {_ulp(low, high)!r} apart): "
                "neighbouring values of the grid would be one number; give a step of at "
                f"least {2 * _ulp(low, high)!r}, or shift the bounds towards 0 (an offset "
                "added in the objective)")
        grid = cls(low, high, step, n)
        with decimal.localcontext(_DECIMALS):
            if abs(steps - n) > grid.tolerance:
                below = _decimal(low) + int(steps) * _decimal(step)
                raise ValueError(
                    f"{label}: high={shown(high)} is not on the grid low + i·step of "
                    f"low={shown(low)}, "
                    f"step={shown(step)} (high - low is {float(steps)!r} steps); give high="
                    f"{_number(below, step)} or high={_number(below + _decimal(step), step)}")
        _check_lattice_steps(label, n, f"step={shown(step)} makes {n} + 1 values",
                             "give a larger step or narrower bounds")
        return grid

    @functools.cached_property
    def tolerance(self) -> decimal.Decimal:
        """How far from a Real's grid value, in steps, a number is still it: the rounding
        float arithmetic leaves at the grid's magnitude, 4 ulps of max(|low|, |high|)
        (low + i·step, numpy's arange and linspace, Optuna's samplers compute values so),
        and at least 1e-8 of a step (3·0.1 = 0.30000000000000004 is 0.3; Optuna's
        tolerance for a stepped float, `FloatDistribution._contains`, which an enqueued
        trial's value meets); at most ¼ step, so that a number is near one grid value at
        most."""
        with decimal.localcontext(_DECIMALS):
            ulps = 4 * decimal.Decimal(_ulp(self.low, self.high)) / _decimal(self.step)
            return min(max(_GRID_TOLERANCE, ulps), decimal.Decimal("0.25"))

    def value(self, i: int) -> int | float:
        """The i-th value (0 ≤ i ≤ n)."""
        if isinstance(self.step, int) and isinstance(self.low, int):
            return self.low + i * self.step
        if i == self.n:
            return float(self.high)
        with decimal.localcontext(_DECIMALS):
            return float(_decimal(self.low) + i * _decimal(self.step))

    def index(self, value: Any) -> int | None:
        """The i of a value (in [low, high]) on the grid, or None: an Integer's exactly, a
        Real's to `tolerance` (3·0.1 = 0.30000000000000004 is 0.3), and a Python float that
        is a float32 to `single_tolerance` (0.30000001192092896, a float32 column's cell,
        is 0.3, as numpy's float32(0.3) is)."""
        if isinstance(self.step, int) and isinstance(self.low, int):
            i, remainder = divmod(int(value) - self.low, self.step)
            return i if remainder == 0 else None
        nearest = self._nearest(_decimal(value), self.tolerance)
        if (nearest is None and self.single_tolerance is not None and isinstance(value, float)
                and abs(value) <= _FLOAT32_MAX and np.float32(value).item() == value):
            return self._nearest(decimal.Decimal(value), self.single_tolerance)
        return nearest

    @functools.cached_property
    def single_tolerance(self) -> decimal.Decimal | None:
        """How far from a Real's grid value, in steps, a float32 is still it: a float32
        spacing at the grid's magnitude (float32 rounds a grid value by half that); None
        where the step is under 4 such spacings (a float32 is then no closer to one grid
        value than to its neighbours)."""
        magnitude = max(abs(float(self.low)), abs(float(self.high)))
        if magnitude > _FLOAT32_MAX:
            return None
        spacing = float(np.spacing(np.float32(magnitude)))
        if self.step < 4 * spacing:
            return None
        with decimal.localcontext(_DECIMALS):
            return decimal.Decimal(spacing) / _decimal(self.step)

    def _nearest(self, value: decimal.Decimal, tolerance: decimal.Decimal) -> int | None:
        """The index of the grid value within `tolerance` steps of a decimal `value`, or
        None."""
        with decimal.localcontext(_DECIMALS):
            steps = (value - _decimal(self.low)) / _decimal(self.step)
            i = int(steps.to_integral_value())
            return i if abs(steps - i) <= tolerance and 0 <= i <= self.n else None

    def indices(self, values: Sequence[Any]) -> np.ndarray:
        """The grid indices (k,) float64 of grid values (as `value` makes them)."""
        x = np.asarray(values, dtype=np.float64)
        return np.clip(np.rint((x - float(self.low)) / float(self.step)), 0, self.n)

    def shown(self) -> str:
        """The grid in a message: its first values, ..., its last."""
        head = [self.value(i) for i in range(min(self.n, 3))]
        return f"[{', '.join(map(repr, head))}{', ...' if self.n > 3 else ''}, {shown(self.high)}]"


# the most steps a grid may have: an index i of 0..n encodes as (i + ½)/(n + 1) in float64,
# which decodes back to i up to here (and not at 2**52 + 2**50: tests/test_stepped.py)
_LATTICE_STEPS = 2**52
_GRID_TOLERANCE = decimal.Decimal("1e-8")  # in steps: the least `_Grid.tolerance`
_FLOAT32_MAX = float(np.finfo(np.float32).max)
# Grid arithmetic's own context: a caller's (its precision, rounding, traps) never changes a
# grid. 60 digits hold exactly the sums and products of two 17-digit reprs and an index.
_DECIMALS = decimal.Context(prec=60, rounding=decimal.ROUND_HALF_EVEN, Emax=decimal.MAX_EMAX,
                            Emin=decimal.MIN_EMIN, traps=[decimal.InvalidOperation,
                                                          decimal.DivisionByZero])


def _check_lattice_steps(label: str, steps: int, values: str, remedy: str) -> None:
    """ValueError unless a lattice of `steps` + 1 values (an Integer's range, a stepped
    grid) has at most `_LATTICE_STEPS` + 1: the message names the dimension (`label`) and
    its values (`values`, e.g. "step=2 makes 2**53 + 1 values"), states the rule, and ends
    with `remedy`."""
    if steps > _LATTICE_STEPS:
        raise ValueError(
            f"{label}: {values}, beyond 2**{_LATTICE_STEPS.bit_length() - 1} + 1: their "
            f"indices encoded in [0, 1] in float64 would not decode back to themselves; {remedy}")


def _ulp(low: float, high: float) -> float:
    """The spacing of float64 numbers at the larger magnitude of two bounds."""
    return math.ulp(max(abs(float(low)), abs(float(high))))


def _decimal(x: Any) -> decimal.Decimal:
    """x as the decimal its shortest repr in its own precision writes (0.1 → Decimal('0.1');
    a float32 0.3 → Decimal('0.3'), not its float64 value 0.30000001192092896)."""
    if isinstance(x, np.floating):
        return decimal.Decimal(str(x))
    return decimal.Decimal(repr(x)) if isinstance(x, float) else decimal.Decimal(int(x))


# numpy's floats narrower than float64: a Real reads one as the number its shortest repr
# writes (`_float`), as a grid reads a told one (`_decimal`)
_SHORT_FLOATS = (np.float16, np.float32)


def _float(x: Any) -> float:
    """A Real's bound, step or told value as a float: a numpy float32 or float16 the float64
    nearest its own shortest repr (np.float32(0.1), whose repr is 0.1, is 0.1, not its
    float64 value 0.10000000149011612: what a float32 config array or tensor means), any
    other real number float(x)."""
    return float(str(x)) if isinstance(x, _SHORT_FLOATS) else float(x)


def _read_short(x: Any) -> Any:
    """A numpy float32 or float16 as `_float` reads it (a told Real or budget, a
    Categorical's numeric choice); any other value unchanged."""
    return _float(x) if isinstance(x, _SHORT_FLOATS) else x


def _number(x: decimal.Decimal, step: float) -> str:
    """A decimal bound in a message, as an int for an integer step."""
    return repr(int(x)) if isinstance(step, int) else repr(float(x))


@dataclass(frozen=True)
class Real(_Interval):
    """A real number in [low, high]; `log=True` searches log(x) uniformly.

    `step=s`: only the values low + i·s, i = 0..n, with high = low + n·s (Optuna's
    ``suggest_float(..., step=s)``, Keras Tuner's ``hp.Float(..., step=s)``, hyperopt's
    ``hp.quniform``), each the float nearest its decimal value; the model sees the index i
    as it sees Integer(0, n)'s values. A high off the grid, or log=True, is refused.

    A numpy float32 or float16 — a bound, the step, a told value — is the number its own
    shortest repr writes: np.float32(0.1) is 0.1 (not 0.10000000149011612, its float64
    value), as in the float32 config array or tensor it came from.
    """

    if TYPE_CHECKING:  # bounds: any real number (a numpy scalar too); `low`, `high` read float
        def __init__(self, low: SupportsFloat, high: SupportsFloat, log: bool = False, *,
                     step: SupportsFloat | None = None, name: str | None = None,
                     when: Mapping[str, Any] | None = None) -> None: ...

    def __post_init__(self) -> None:
        self._check_bounds()
        for key in ("low", "high"):  # a Fraction or numpy scalar: the float the asks are made of
            value = getattr(self, key)
            if type(value) not in (int, float):
                object.__setattr__(self, key, _float(value))
        if not self.low < self.high:
            raise ValueError(f"{_label(self.name)}: low={shown(self.low)} must be < "
                             f"high={shown(self.high)}")
        self._check_step()
        self._check_span()

    def _relaxed_range(self) -> tuple[float, float]:
        return float(self.low), float(self.high)

    @property
    def cardinality(self) -> int | None:
        return None if self._grid is None else self._grid.n + 1

    def validate(self, value: Any) -> float:
        if self._grid is not None:
            return cast(float, self._check_on_grid(value))
        value = _read_short(value)
        self._check_value(value)
        return float(value)

    def decode(self, columns: np.ndarray) -> list[Any]:
        if self._grid is not None:
            return self._decode_grid(columns)
        return [float(v) for v in self._decode_continuum(columns)]

    def _decode_continuum(self, columns: np.ndarray) -> np.ndarray:
        u = np.clip(columns[:, 0], 0.0, 1.0)
        x = np.clip(self._from_unit_relaxed(u), self.low, self.high)
        return np.where(u == 0.0, self.low, np.where(u == 1.0, self.high, x))  # exp(log(low)) ≠ low

    def project(self, columns: np.ndarray) -> np.ndarray:
        if self._grid is not None:
            return self._project_grid(columns)
        return cast(np.ndarray, np.clip(columns, 0.0, 1.0))

    def to_dict(self) -> dict[str, Any]:
        return {"type": "real", "low": float(self.low), "high": float(self.high),
                "log": bool(self.log), **self._step_dict(), **self._when_dict()}


@dataclass(frozen=True)
class Integer(_Interval):
    """An integer in [low, high], both inclusive, within ±2**53 (where float64, the
    encoding's numbers, still holds every integer); `log=True` for log-spaced integers.

    `step=k`: only low, low + k, …, high (Keras Tuner's ``hp.Int(..., step=k)``, Optuna's
    ``suggest_int(..., step=k)``); high − low must be a multiple of k (refused otherwise,
    naming the two nearest highs), and log=True is refused with it. The model sees the
    index i of low + i·k as it sees Integer(0, n)'s values, so the two ask the same points.
    step=1 is the plain Integer.
    """

    low: int
    high: int

    if TYPE_CHECKING:  # bounds: any integer (a numpy one too); `low`, `high` read int
        def __init__(self, low: SupportsIndex, high: SupportsIndex, log: bool = False, *,
                     step: SupportsIndex | None = None, name: str | None = None,
                     when: Mapping[str, Any] | None = None) -> None: ...

    def __post_init__(self) -> None:
        self._check_bounds()
        for key in ("low", "high"):
            value = getattr(self, key)
            if not float(value).is_integer():
                raise ValueError(f"{_label(self.name)}: {key}={shown(value)} must be an integer")
            object.__setattr__(self, key, int(value))
            if abs(int(value)) > _EXACT_INTEGERS:
                raise ValueError(
                    f"{_label(self.name)}: {key}={shown(value)} is beyond 2**53, where float64 "
                    "(the encoding's numbers) no longer holds every integer, so asks and tells "
                    "would not round-trip; give bounds within ±2**53 (e.g. an index into your "
                    "values)")
        if self.low > self.high:
            raise ValueError(f"{_label(self.name)}: low={shown(self.low)} must be <= "
                             f"high={shown(self.high)}")
        if not self.log and self.step is None:
            _check_lattice_steps(
                _label(self.name), self.high - self.low,
                f"[{shown(self.low)}, {shown(self.high)}] holds {self.high - self.low} + 1 "
                "integers",
                "give narrower bounds, log=True (for low >= 1) or a step")
        self._check_step()
        self._check_span()

    def _relaxed_range(self) -> tuple[float, float]:
        return self.low - 0.5, self.high + 0.5

    @property
    def cardinality(self) -> int:
        return self.high - self.low + 1 if self._grid is None else self._grid.n + 1

    def validate(self, value: Any) -> int:
        self._check_value(value)
        if not float(value).is_integer():
            raise ValueError(f"{_label(self.name)}: value {shown(value)} must be an integer "
                             f"in [{self.low}, {self.high}]")
        return int(value) if self._grid is None else int(self._check_on_grid(value))

    def decode(self, columns: np.ndarray) -> list[Any]:
        if self._grid is not None:
            return self._decode_grid(columns)
        return [int(v) for v in self._decode_continuum(columns)]

    def _decode_continuum(self, columns: np.ndarray) -> np.ndarray:
        x = self._from_unit_relaxed(np.clip(columns[:, 0], 0.0, 1.0))
        return cast(np.ndarray, np.clip(np.rint(x), self.low, self.high) + 0.0)  # −0 → 0, as int()

    def project(self, columns: np.ndarray) -> np.ndarray:
        if self._grid is not None:
            return self._project_grid(columns)
        return super().project(columns)  # encode ∘ decode, as before steps existed

    def to_dict(self) -> dict[str, Any]:
        return {"type": "integer", "low": self.low, "high": self.high, "log": bool(self.log),
                **self._step_dict(), **self._when_dict()}


@dataclass(frozen=True)
class Categorical(Dimension):
    """One of a finite set of hashable choices, encoded one-hot.

    The nested form: choices given as a dict `{choice: {name: dimension, ...}}`
    (or `{choice: None}` for a choice without parameters) make each choice's
    dimensions conditional on it; a `Space` flattens them into dimensions
    with `when={this: choice}` (`bayesopt.conditions.flatten`).

    A numpy float32 or float16 is found as the number its shortest repr writes, as a
    Real's told value is: np.float32(0.1) is the choice 0.1 (and a choice np.float32(0.1)
    is found by 0.1); the choice returned is the one given.
    """

    choices: Sequence[Hashable] | Mapping[Hashable, Mapping[str, Dimension] | None]
    name: str | None = field(default=None, kw_only=True)
    when: Mapping[str, Any] | None = field(default=None, kw_only=True)
    # the nested form's sub-spaces, ((choice, ((name, dimension), ...)), ...); set from a dict
    branches: tuple[tuple[Hashable, tuple[tuple[str, Dimension], ...]], ...] = field(
        default=(), kw_only=True, repr=False)

    if TYPE_CHECKING:  # choices: a list, tuple or range — a str, a Sequence of its letters, is
        # refused (a type error here, a TypeError at run time); `choices` reads a tuple
        def __init__(self, choices: list[_H] | tuple[_H, ...] | range
                     | Mapping[_H, Mapping[str, Dimension] | None], *, name: str | None = None,
                     when: Mapping[str, Any] | None = None,
                     branches: tuple[tuple[Hashable, tuple[tuple[str, Dimension], ...]], ...] = (),
                     ) -> None: ...

    def __post_init__(self) -> None:
        self._freeze_when()
        label = _label(self.name)
        if isinstance(self.choices, Mapping):
            object.__setattr__(self, "branches", _branches(label, self.choices))
            object.__setattr__(self, "choices", tuple(self.choices))
        if isinstance(self.choices, (str, bytes)) or not isinstance(self.choices, Iterable):
            hint = ("" if not isinstance(self.choices, (str, bytes)) else
                    f" (a {type(self.choices).__name__} is one value: [{self.choices!r}] is "
                    "a list of one choice)")
            raise TypeError(f"{label}: choices={self.choices!r} must be a list or tuple of "
                            f"values{hint}")
        if isinstance(self.choices, AbstractSet):  # its order changes with PYTHONHASHSEED
            raise TypeError(f"{label}: choices={self.choices!r} is a set, whose order (and so the "
                            "asks of a seed) changes from one process to the next: give a list, "
                            "e.g. sorted(choices)")
        choices = tuple(self.choices)
        if not choices:
            raise ValueError(f"{label}: choices must not be empty")
        for choice in choices:
            _check_choice(label, choice)
        seen: set[Hashable] = set()
        for choice in choices:
            if _choice_key(choice) in seen:
                raise ValueError(f"{label}: choice {shown(choice)} appears more than once")
            seen.add(_choice_key(choice))
        object.__setattr__(self, "choices", choices)

    def without_branches(self) -> Categorical:
        """The plain choice, its sub-spaces removed (they become conditional dimensions)."""
        return dataclasses.replace(self, branches=())

    @functools.cached_property
    def _index(self) -> dict[Hashable, int]:
        return {_choice_key(choice): i for i, choice in enumerate(self.choices)}

    @property
    def n_columns(self) -> int:
        return len(self.choices)

    @property
    def cardinality(self) -> int:
        return len(self.choices)

    def validate(self, value: Any) -> Hashable:
        try:
            index = self._index.get(_choice_key(value))
        except TypeError:
            index = None
        if index is None:
            raise ValueError(f"{_label(self.name)}: value {shown(value)} is not one of "
                             f"{_listed(self.choices)}{self._text_hint(value)}"
                             f"{self._index_hint(value)}")
        return self.choices[index]

    def _index_hint(self, value: Any) -> str:
        """For an int that is no choice but an index into the choices (hyperopt's
        ``misc.vals`` holds an `hp.choice`'s index, not its value): the choice it indexes,
        and `hyperopt.space_eval`, which turns the indices into the values."""
        if (isinstance(value, bool) or not isinstance(value, (int, np.integer))
                or not 0 <= value < len(self.choices)):
            return ""
        return (f" (an index? it is choice {shown(self.choices[int(value)])}: hyperopt's misc.vals "
                "holds an hp.choice's index, hyperopt.space_eval(space, vals) its value)")

    def _text_hint(self, value: Any) -> str:
        """For a string that is the text of a choice which is not a string (\"32\" for 32,
        as a CSV file reads it): the choice, and that the column needs converting."""
        if not isinstance(value, str):
            return ""
        same = [c for c in self.choices if not isinstance(c, str) and str(c) == value]
        return (f" (the text of the choice {shown(same[0])}, of type {type(same[0]).__name__}: "
                "convert values read as text, e.g. from a CSV file)" if same else "")

    def index_of(self, value: Any) -> int:
        """The position in `choices` of a valid value (as `validate` returns it), found as
        `validate` finds it — by hash, NaN as NaN — never by a scan with ==, which a numpy
        scalar answers with an array when compared with a tuple choice."""
        return self._index[_choice_key(value)]

    def encode(self, values: Sequence[Any]) -> np.ndarray:
        out = np.zeros((len(values), self.n_columns))
        out[np.arange(len(values)), [self.index_of(v) for v in values]] = 1.0
        return out

    def decode(self, columns: np.ndarray) -> list[Any]:
        return [self.choices[i] for i in np.argmax(columns, axis=1)]

    def project(self, columns: np.ndarray) -> np.ndarray:
        out = np.zeros_like(columns)
        out[np.arange(columns.shape[0]), np.argmax(columns, axis=1)] = 1.0
        return out

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        index = np.minimum((np.asarray(u) * self.n_columns).astype(int), self.n_columns - 1)
        out = np.zeros((index.shape[0], self.n_columns))
        out[np.arange(index.shape[0]), index] = 1.0
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"type": "categorical", "choices": list(self.choices), **self._when_dict()}


MAX_FIRST_BRACKET = 10**6  # configurations Hyperband's first bracket may start (Fidelity)


_F = TypeVar("_F", bound="Fidelity")
_FIDELITY_REFUSES = {  # keywords of the other dimensions a Fidelity has no use for, and why
    "log": "a Fidelity's budgets are already spaced geometrically (Hyperband's rungs "
           "low·eta^k, Li et al. 2018), so it takes no log=; eta= sets the spacing",
}


@dataclass(frozen=True)
class Fidelity(Dimension):
    """The training budget in [low, high] (epochs, boosting rounds, a data fraction).

    Integer when both bounds are integers, real otherwise. `eta` (an integer
    ≥ 2) is Hyperband's reduction factor: each rung keeps the best 1/η of its
    configurations and trains them η times longer (Li et al., JMLR 2018). At
    most one per space. It encodes to no column, so configurations that
    differ only in their budget are one point of the model's input space.

    Hyperband's most exploratory bracket s_max = ⌊log_η(high/low)⌋ starts
    η^s_max configurations at the smallest budget before the cycle reaches any
    other bracket (Li et al. 2018, Alg. 1, line 3; `bayesopt.fidelity`). Bounds
    with η^s_max > `MAX_FIRST_BRACKET` (10⁶, e.g. ``Fidelity(1, 1e300)``) raise
    ValueError: no run evaluates a million configurations, so the brackets
    beyond the first would never start and the smallest budget would be a
    vanishing fraction of the largest.

    A numpy float32 or float16 bound or told budget is the number its shortest repr writes,
    as a Real's is (np.float32(0.9) is 0.9, not 0.8999999761581421).
    """

    low: float
    high: float
    eta: int = 3
    name: str | None = field(default=None, kw_only=True)
    # never conditional: typed None so a checker refuses when= as __post_init__ does
    when: None = field(default=None, kw_only=True)

    def __new__(  # noqa: PYI019 - typing.Self needs Python 3.11
        cls: type[_F], *args: Any, **kwargs: Any,
    ) -> _F:
        """An unknown keyword raises TypeError naming it (`unknown_keywords`), with the
        reason for one that Real and Integer take (``log=``)."""
        unknown_keywords(kwargs, key_names(cls.__init__), "Fidelity", _FIDELITY_REFUSES)
        return super().__new__(cls)

    def __post_init__(self) -> None:
        _check_name(self.name)
        label = _label(self.name)
        if self.when is not None:
            raise ValueError(f"{label}: when={self.when!r}: a Fidelity is never conditional "
                             "(every run has a budget)")
        _check_finite_bounds(label, self.low, self.high)
        for key, value in (("low", self.low), ("high", self.high)):  # numpy scalars: plain
            plain = int(value) if isinstance(value, numbers.Integral) else _float(value)
            object.__setattr__(self, key, plain)  # numbers, for the journal and Fraction
            if not value > 0:
                raise ValueError(f"{label}: {key}={shown(value)} must be > 0")
        if not self.low < self.high:
            raise ValueError(f"{label}: low={shown(self.low)} must be < high={shown(self.high)}")
        if isinstance(self.eta, (bool, np.bool_)) or not isinstance(self.eta, numbers.Integral):
            raise TypeError(f"{label}: eta={shown(self.eta)} must be an integer")
        if self.eta < 2:
            raise ValueError(f"{label}: eta={shown(self.eta)} must be >= 2")
        if self.high < self.eta * self.low:
            from bayesopt.fidelity import exact_fraction

            raise ValueError(f"{label}: high={shown(self.high)} must be >= eta * low = "
                             f"{float(self.eta * exact_fraction(self.low)):g} (one halving at "
                             f"least); {self._largest_eta_hint()}")
        object.__setattr__(self, "eta", int(self.eta))
        self._check_brackets(label)

    def _largest_eta_hint(self) -> str:
        """What fits: the largest eta ≤ high/low, or the bounds one halving by 2 needs."""
        from bayesopt.fidelity import exact_fraction

        largest = math.floor(exact_fraction(self.high) / exact_fraction(self.low))
        if largest >= 2:
            return f"eta={largest} fits these bounds"
        return f"even eta=2 needs high >= {2 * self.low!r}"

    def _check_brackets(self, label: str) -> None:
        """The most exploratory bracket starts at most `MAX_FIRST_BRACKET` configurations."""
        from bayesopt.fidelity import bracket_sizes, max_bracket

        s_max = max_bracket(self.low, self.high, self.eta)
        first = bracket_sizes(s_max, self.eta)[-1]
        if first > MAX_FIRST_BRACKET:
            raise ValueError(
                f"{label}: low={shown(self.low)}, high={shown(self.high)}, eta={self.eta}: "
                f"high/low ≥ eta^{s_max}, so Hyperband's first bracket (s_max={s_max}) starts "
                f"{first:.3g} configurations at budget high·eta^-{s_max} before any other "
                f"(at most {MAX_FIRST_BRACKET:.0e}); raise low, lower high, or raise eta")

    @property
    def is_integer(self) -> bool:
        return all(isinstance(v, numbers.Integral) for v in (self.low, self.high))

    @property
    def n_columns(self) -> int:
        return 0

    @property
    def cardinality(self) -> int:
        return 1  # the budget does not multiply the configurations

    def validate(self, value: Any) -> float | int:
        label = _label(self.name)
        if not is_real(value):
            raise TypeError(f"{label}: budget {shown(value)} must be a number in "
                            f"[{self.low}, {self.high}]")
        value = _read_short(value)
        if not (self.low <= value <= self.high):
            raise ValueError(f"{label}: budget {shown(value)} is outside [{self.low}, {self.high}]")
        if self.is_integer:
            if not float(value).is_integer():
                raise ValueError(f"{label}: budget {shown(value)} must be an integer")
            return int(value)
        return float(value)

    def encode(self, values: Sequence[Any]) -> np.ndarray:
        return np.empty((len(values), 0))

    def decode(self, columns: np.ndarray) -> list[Any]:
        return [self.high] * columns.shape[0]

    def project(self, columns: np.ndarray) -> np.ndarray:
        return columns

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        return np.empty((np.asarray(u).shape[0], 0))

    def to_dict(self) -> dict[str, Any]:
        return {"type": "fidelity", "low": self.low, "high": self.high, "eta": self.eta}


_NESTED_FORM = ("A dimension that exists only for some choices needs a conditional space "
                "(when= on that dimension, or the nested form Categorical({choice: {name: "
                "dimension}}), which is hyperopt's hp.choice of dicts)")


class _NaN:
    """The key of a NaN choice: every float NaN is this one choice, though nan != nan (and
    two NaN objects hash apart), as scikit-learn's ``missing_values=np.nan`` needs."""

    def __repr__(self) -> str:
        return "nan"


_NAN_KEY = _NaN()


def _choice_key(value: Any) -> Any:
    """The key a choice is found by: `_NAN_KEY` for a float NaN, a numpy float32 or float16
    the float its repr writes (`_read_short`: np.float32(0.1) is the choice 0.1), else the
    value itself."""
    if isinstance(value, (float, np.floating)) and math.isnan(value):
        return _NAN_KEY
    return _read_short(value)


def _check_choice(label: str, choice: object) -> None:
    """A choice is a plain hashable value, never a dimension or a space, nor holds one."""
    if isinstance(choice, (Dimension, Space)):
        raise TypeError(f"{label}: choice {shown(choice)} is a search-space object; the choices of "
                        f"a Categorical are plain values. {_NESTED_FORM}")
    if _holds_dimension(choice):
        raise TypeError(f"{label}: choice {shown(choice)} holds a search-space object; the choices "
                        f"of a Categorical are plain values. {_NESTED_FORM}")
    try:
        hash(choice)  # a tuple holding a list or dict is a Hashable that does not hash
    except TypeError:
        raise TypeError(f"{label}: choice {shown(choice)} is not hashable") from None


def _holds_dimension(value: object, depth: int = 2) -> bool:
    """Whether a dict, list or tuple holds a dimension or a space (two levels deep)."""
    if isinstance(value, (Dimension, Space)):
        return True
    if depth == 0:
        return False
    if isinstance(value, Mapping):
        return any(_holds_dimension(item, depth - 1) for item in value.values())
    if isinstance(value, (list, tuple)):
        return any(_holds_dimension(item, depth - 1) for item in value)
    return False


def _branches(
    label: str, nested: Mapping[Hashable, Mapping[str, Dimension] | None],
) -> tuple[tuple[Hashable, tuple[tuple[str, Dimension], ...]], ...]:
    """Check the nested form `{choice: {name: dimension} or None}` and freeze it."""
    out = []
    for choice, subspace in nested.items():
        subspace = {} if subspace is None else subspace
        if not isinstance(subspace, Mapping):
            raise TypeError(f"{label}: the sub-space of choice {shown(choice)} must be a dict "
                            f"{{name: dimension}} or None, got {subspace!r}")
        for name, dim in subspace.items():
            _check_dimension(name, dim)
            if dim.name is not None and dim.name != name:
                raise ValueError(f"dimension {name!r} has a different name={dim.name!r}")
        out.append((choice, tuple((name, d if d.name == name else d.named(name))
                                  for name, d in subspace.items())))
    return tuple(out)


_TYPES: dict[str, Callable[..., Dimension]] = {
    "real": Real, "integer": Integer, "categorical": Categorical, "fidelity": Fidelity,
}
_KEYS = {  # (required, optional) keys of each type's definition
    "real": ({"low", "high"}, {"log", "step", "when"}),
    "integer": ({"low", "high"}, {"log", "step", "when"}),
    "categorical": ({"choices"}, {"when"}),
    "fidelity": ({"low", "high"}, {"eta"}),
}
_EXPLAINED = {"fidelity": {"when"}}  # invalid keys the dimension itself refuses with a reason


def definition_keys(kind: Any) -> frozenset[str] | None:
    """The keys a definition of dimension type `kind` ("real", ...) may hold, "type"
    included (`dimension_from_dict`); None for an unknown type."""
    if kind not in _KEYS:
        return None
    required, optional = _KEYS[kind]
    return frozenset(required | optional | {"type"})


def dimension_from_dict(name: str, spec: Mapping[str, Any]) -> Dimension:
    """Build a dimension from `Dimension.to_dict()` output (journal, CLI space files); a
    categorical's `choices` may also be a table `{choice: {name: definition}}`, the nested
    form (`Categorical`'s dict of sub-spaces)."""
    if not isinstance(spec, Mapping):
        raise TypeError(f"dimension {name!r}: definition must be a table/dict, got "
                        f"{spec!r}{_table_hint(spec)}")
    kind = spec.get("type")
    if kind not in _TYPES:
        hint = (_spearmint_hint(spec) or _did_you_mean(kind, _TYPES) if "type" in spec
                else "".join(_did_you_mean(key, {"type"}) for key in spec))
        raise ValueError(
            f"dimension {name!r}: type={kind!r} must be one of {sorted(_TYPES)}{hint}")
    args = {key: value for key, value in spec.items() if key != "type"}
    required, optional = _KEYS[kind]
    missing = sorted(required - set(args))
    unknown = sorted(set(args) - required - optional - _EXPLAINED.get(kind, set()))
    if missing or unknown:
        hints = "".join(_did_you_mean(key, (required | optional) - set(args)) for key in unknown)
        raise ValueError(
            f"dimension {name!r} of type {kind!r}: "
            f"{key_problems(('missing', missing), ('unknown', unknown))}; valid keys are "
            f"{sorted(required | optional | {'type'})}{hints}"
        )
    if kind == "categorical" and isinstance(args["choices"], Mapping):  # the nested form
        args["choices"] = {choice: _subspace_from_dict(name, choice, sub)
                           for choice, sub in args["choices"].items()}
    return _TYPES[kind](**args, name=name)


# Spearmint's config.json variable types (Snoek et al. 2012's code) and this library's
_SPEARMINT_TYPES = {"FLOAT": "real", "INT": "integer", "ENUM": "categorical"}


def _spearmint_hint(spec: Mapping[str, Any]) -> str:
    """For a Spearmint config.json variable (``{"type": "FLOAT", "min": 0, "max": 1}``):
    the table that writes it here, or ""."""
    kind = spec.get("type")
    if not isinstance(kind, str) or kind.upper() not in _SPEARMINT_TYPES:
        return ""
    here = _SPEARMINT_TYPES[kind.upper()]

    def written(key: str, default: str) -> str:
        try:
            return json.dumps(spec[key]) if key in spec else default
        except (TypeError, ValueError):
            return default

    keys = (f'"choices": {written("options", "[...]")}' if here == "categorical"
            else f'"low": {written("min", "...")}, "high": {written("max", "...")}')
    return (f" (Spearmint's {kind!r} variable is {{\"type\": \"{here}\", {keys}}} here: "
            "'min' and 'max' are 'low' and 'high', an ENUM's 'options' a categorical's "
            "'choices', and a variable of 'size' n is n dimensions, each named)")


def _table_hint(spec: Any) -> str:
    """For a list of values where a space file needs a table (Talos' params saved as JSON):
    the categorical's table and, for numbers, the table of the range they span."""
    if not isinstance(spec, list):
        return ""
    try:
        choices = json.dumps(spec)
    except (TypeError, ValueError):
        choices = "[...]"
    hint = (f' (a list of values to choose from is {{"type": "categorical", "choices": '
            f'{choices}}}, the same keys in TOML')
    span = _numeric_span(spec)
    if span is None:
        return hint + ")"
    kind, low, high, log = span
    step = _grid_step(spec)
    table = {"type": kind, "low": low, "high": high, **({"log": True} if log else {}),
             **({} if step is None else {"step": step})}
    what = "for the range they span" if step is None else "for exactly these values"
    return f"{hint}; {what}, in order, {json.dumps(table)})"


def _subspace_from_dict(name: str, choice: Any, sub: Any) -> dict[str, Dimension] | None:
    """One choice's sub-space in a space file's nested form: a table of dimension tables,
    empty (or JSON null) for a choice without parameters."""
    if sub is None:
        return None
    if not isinstance(sub, Mapping):
        raise TypeError(f"dimension {name!r}: the sub-space of choice {shown(choice)} must be "
                        "a table "
                        f"of dimensions (an empty one for none), got {sub!r}")
    return {sub_name: dimension_from_dict(sub_name, spec) for sub_name, spec in sub.items()}


def _did_you_mean(word: Any, valid: Iterable[str]) -> str:
    """The hint `` ('lgo': did you mean 'log'?)`` for the nearest valid word (`difflib`), or ""."""
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word, sorted(valid), n=1)
    return f" ({word!r}: did you mean {close[0]!r}?)" if close else ""


class Space:
    """An ordered set of named dimensions and the encoding of whole points.

    Build from a dict `{name: dimension}` or a list of dimensions each given
    `name=`. `encode`/`decode` convert between parameter dicts and rows of the
    (n, n_columns) unit-cube matrix the model works on.
    """

    def __init__(self, dimensions: Mapping[str, Dimension] | Sequence[Dimension] | Space) -> None:
        self.dimensions: tuple[Dimension, ...] = _named_dimensions(dimensions)
        self.names: tuple[str, ...] = tuple(d.name for d in self.dimensions)  # type: ignore[misc]
        widths = [d.n_columns for d in self.dimensions]
        offsets = np.concatenate([[0], np.cumsum(widths)]).astype(int)
        self.slices: tuple[slice, ...] = tuple(
            slice(int(a), int(b)) for a, b in pairwise(offsets)
        )
        self._order = check_graph(self.dimensions)  # conditions checked, parents first
        # dimensions with a condition; each owns one activity column after the value columns
        self.conditional_dims: tuple[int, ...] = tuple(
            i for i, d in enumerate(self.dimensions) if d.when is not None)
        self.activity_columns = int(offsets[-1]) + np.arange(len(self.conditional_dims))
        self.n_columns = int(offsets[-1]) + len(self.conditional_dims)
        fidelities = [d for d in self.dimensions if isinstance(d, Fidelity)]
        if len(fidelities) > 1:
            raise ValueError(f"dimensions {[d.name for d in fidelities]} are each a Fidelity; "
                             "a space has at most one budget")
        if fidelities and len(self.dimensions) == 1:
            raise ValueError(f"dimension {fidelities[0].name!r} is a Fidelity and the space has "
                             "no other dimension: a budget needs a configuration to tune")
        self.fidelity: Fidelity | None = fidelities[0] if fidelities else None
        self._allowed = {  # (child, parent) → the parent's value codes the child needs
            (i, parent): np.array([_code(self[parent], v) for v in values])
            for i, d in enumerate(self.dimensions) for parent, values in (d.when or {}).items()
        }

    @property
    def conditional(self) -> bool:
        """Whether any dimension has a `when=` condition."""
        return bool(self.conditional_dims)

    @property
    def gates(self) -> tuple[int, ...] | None:
        """For each column, its activity column, or −1 if always active; None if unconditional."""
        if not self.conditional:
            return None
        gates = [-1] * self.n_columns
        for i, column in zip(self.conditional_dims, self.activity_columns):
            for j in range(self.slices[i].start, self.slices[i].stop):
                gates[j] = int(column)
        return tuple(gates)

    def __getitem__(self, name: str) -> Dimension:
        return self.dimensions[self.names.index(name)]

    @property
    def n_dims(self) -> int:
        return len(self.dimensions)

    @property
    def categorical_groups(self) -> tuple[np.ndarray, ...]:
        """Column indices of each one-hot group."""
        return tuple(
            np.arange(s.start, s.stop)
            for d, s in zip(self.dimensions, self.slices)
            if isinstance(d, Categorical)
        )

    @property
    def categorical_gates(self) -> tuple[int | None, ...]:
        """For each one-hot group (`categorical_groups`), the activity column of its
        dimension (−1: always active), or None when it is a parent (another dimension's
        `when=` names it): switching it changes which columns are active."""
        parents = {parent for d in self.dimensions for parent in d.when or {}}
        columns = dict(zip(self.conditional_dims, (int(c) for c in self.activity_columns)))
        return tuple(None if d.name in parents else columns.get(i, -1)
                     for i, d in enumerate(self.dimensions) if isinstance(d, Categorical))

    @property
    def integer_columns(self) -> tuple[tuple[int, int], ...]:
        """(column, number of values) of each Integer's and stepped Real's column (their
        `lattice`)."""
        return tuple((s.start, cast(int, d.cardinality))
                     for d, s in zip(self.dimensions, self.slices)
                     if isinstance(d, _Interval) and d.lattice is not None)

    @property
    def discrete_columns(self) -> np.ndarray:
        """The columns `project` makes piecewise constant: every Integer's and one-hot column."""
        groups = [np.array([j for j, _ in self.integer_columns], dtype=int),
                  *self.categorical_groups]
        return np.sort(np.concatenate(groups)).astype(int)

    def shift_integer(self, U: np.ndarray, column: int, offsets: np.ndarray) -> np.ndarray:
        """Rows U: (r, n_columns) with the Integer (or stepped Real) of `column` moved by
        each of `offsets` (s,) values (grid steps), clipped to its range, and projected:
        (r·s, n_columns), row i·s + k being row i moved by offsets[k]."""
        dims = [d for d, s in zip(self.dimensions, self.slices)
                if isinstance(d, _Interval) and d.lattice is not None and s.start == column]
        assert len(dims) == 1, f"column {column} is not an Integer's"
        dim = dims[0]
        assert isinstance(dim, _Interval) and dim.lattice is not None
        coordinates = dim.lattice_coordinates(U[:, [column]])
        moved = np.clip(coordinates[:, None] + np.asarray(offsets)[None, :], *dim.lattice)
        out = np.repeat(np.asarray(U, dtype=np.float64), len(offsets), axis=0)
        out[:, column] = dim.encode_lattice(moved.ravel())[:, 0]
        return self.project(out)

    @functools.cached_property
    def cardinality(self) -> int | None:
        """Number of distinct points, or None if any dimension is continuous.

        For a conditional space the distinct points are counted on the grid of
        all combinations up to `_COUNT_LIMIT` of them; beyond it the product
        of the sizes is returned, an upper bound.
        """
        sizes = [d.cardinality for d in self.dimensions]
        finite = [s for s in sizes if s is not None]
        if len(finite) != len(sizes):
            return None
        product = math.prod(finite)
        if not self.conditional or product > _COUNT_LIMIT:
            return product
        grids = [(np.arange(k) + 0.5) / k for k in finite]
        u = np.stack(np.meshgrid(*grids, indexing="ij"), axis=-1).reshape(-1, len(grids))
        return int(np.unique(self.from_unit(u), axis=0).shape[0])

    def __len__(self) -> int:
        return len(self.dimensions)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Space) and self.dimensions == other.dimensions

    def __hash__(self) -> int:
        return hash(tuple(self.dimensions))

    def __repr__(self) -> str:
        return f"Space({dict(zip(self.names, self.dimensions))!r})"

    def validate(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Check keys and values; return the point in canonical form and order."""
        if not isinstance(params, Mapping):
            raise TypeError(f"params must be a dict of {list(self.names)}, got {shown(params)}")
        unknown = [key for key in params if key not in self.names]
        if unknown:
            raise ValueError(f"unknown parameter(s) {unknown}; the space has {list(self.names)}")
        if self.conditional:
            return self._validate_conditional(params)
        missing = [name for name in self.names if name not in params]
        if missing:
            raise ValueError(f"missing parameter(s) {missing} in {shown(dict(params))}")
        return {name: d.validate(params[name]) for name, d in zip(self.names, self.dimensions)}

    def validate_points(self, points: Sequence[Mapping[str, Any]]) -> tuple[dict[str, Any], ...]:
        """`validate` of each point of a batch; with more than one, an error names the
        position of the bad point, as one of a bad value does (`validation.check_value`)."""
        if len(points) == 1:
            return (self.validate(points[0]),)
        checked = []
        for position, point in enumerate(points):
            try:
                checked.append(self.validate(point))
            except (TypeError, ValueError) as error:
                raise type(error)(f"params at position {position}: {error}") from None
        return tuple(checked)

    def _validate_conditional(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Exactly the active keys, found parents first: a missing active key or a
        present inactive one raises, naming it and the condition."""
        values: dict[str, Any] = {}
        missing, inactive = [], []
        for i in self._order:
            d, name = self.dimensions[i], self.names[i]
            active = self._is_active(i, values)
            if active and name not in params:
                missing.append(name)
            elif active:
                values[name] = d.validate(params[name])
            elif name in params:
                inactive.append(f"{name!r} (needs {d.when!r})")
        if missing:
            raise ValueError(f"missing parameter(s) {missing} in {shown(dict(params))}: they are "
                             "active at this point")
        if inactive:
            raise ValueError(f"parameter(s) {', '.join(inactive)} are inactive at "
                             f"{shown(dict(params))}; leave them out")
        return {name: values[name] for name in self.names if name in values}

    def _is_active(self, i: int, values: Mapping[str, Any]) -> bool:
        """Whether dimension i is active given the (validated) values of its parents."""
        return all(
            parent in values and _code(self[parent], values[parent]) in self._allowed[(i, parent)]
            for parent in self.dimensions[i].when or {}
        )

    @property
    def parents_first(self) -> tuple[int, ...]:
        """Indices of the dimensions in an order where every parent precedes its children."""
        return self._order

    def restrict(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The active part of a full assignment (a value for every dimension, or at
        least for every active one): the point as a conditional ask would carry it."""
        values: dict[str, Any] = {}
        for i in self._order:
            name = self.names[i]
            if self._is_active(i, values):
                if name not in params:
                    raise ValueError(
                        f"missing parameter {name!r} (active) in {shown(dict(params))}")
                values[name] = self.dimensions[i].validate(params[name])
        return {name: values[name] for name in self.names if name in values}

    def activity(self, U: np.ndarray) -> np.ndarray:
        """Which dimensions are active at encoded rows U: (n, n_columns) → (n, n_dims) bool."""
        U = np.atleast_2d(U)
        parents = {parent for d in self.dimensions for parent in d.when or {}}
        codes = {name: _codes(self[name], U[:, self.slices[self.names.index(name)]])
                 for name in parents}
        return activity(self.dimensions, self._order, codes, self._allowed)

    def encode(self, points: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """Points → (n, n_columns). Validates every point first (`validate`)."""
        return self.encode_valid([self.validate(p) for p in points])

    def encode_valid(self, points: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """`encode` of points validated already — `validate`'s or `decode`'s output, or an
        event's points (`bayesopt.events`: validated when the event is made or read) —
        which are not checked a second time: (n, n_columns)."""
        if self.conditional:
            return self._encode_conditional(points)
        out = np.empty((len(points), self.n_columns))
        for d, s in zip(self.dimensions, self.slices):
            out[:, s] = d.encode([p[d.name] for p in points])  # type: ignore[index]
        return out

    def _encode_conditional(self, points: Sequence[Mapping[str, Any]]) -> np.ndarray:
        out = np.full((len(points), self.n_columns), INACTIVE_VALUE)
        for d, s in zip(self.dimensions, self.slices):
            rows = [r for r, p in enumerate(points) if d.name in p]
            if rows:
                out[np.ix_(rows, range(s.start, s.stop))] = d.encode(
                    [points[r][d.name] for r in rows])  # type: ignore[index]
        for i, column in zip(self.conditional_dims, self.activity_columns):
            out[:, column] = [float(self.names[i] in p) for p in points]
        return out

    def decode(self, U: np.ndarray) -> list[dict[str, Any]]:
        """Encoded rows (n, n_columns), possibly relaxed → valid points (active keys only)."""
        U = np.atleast_2d(np.asarray(U, dtype=np.float64))
        assert U.shape[1] == self.n_columns, f"expected {self.n_columns} columns, got {U.shape[1]}"
        columns = [d.decode(U[:, s]) for d, s in zip(self.dimensions, self.slices)]
        if not self.conditional:
            return [dict(zip(self.names, values)) for values in zip(*columns)]
        A = self.activity(U)
        return [{name: value for name, value, a in zip(self.names, values, active) if a}
                for values, active in zip(zip(*columns), A)]

    def project(self, U: np.ndarray) -> np.ndarray:
        """Round relaxed rows (n, n_columns) to the encoding of the nearest valid point."""
        U = np.atleast_2d(np.asarray(U, dtype=np.float64))
        out = np.empty_like(U)
        for d, s in zip(self.dimensions, self.slices):
            out[:, s] = d.project(U[:, s])
        return self._impute(out)

    def from_unit(self, u: np.ndarray, *, impute: bool = True) -> np.ndarray:
        """Points u: (n, n_dims) uniform in [0, 1) → feasible encoded rows (n, n_columns).

        `impute=False` leaves a value in every dimension's columns, active or
        not (the activity columns are then meaningless until `condition`).
        """
        out = np.empty((u.shape[0], self.n_columns))
        for i, (d, s) in enumerate(zip(self.dimensions, self.slices)):
            out[:, s] = d.from_unit(u[:, i])
        return self._impute(out) if impute else out

    def condition(self, U: np.ndarray) -> np.ndarray:
        """A copy of encoded rows U: (n, n_columns) with the activity columns recomputed
        from the parents and the inactive columns imputed (U itself if unconditional)."""
        return self._impute(np.array(U, dtype=np.float64)) if self.conditional else U

    def _impute(self, U: np.ndarray) -> np.ndarray:
        """Set the activity columns from the rows' parents and impute inactive columns (in
        place)."""
        if not self.conditional:
            return U
        A = self.activity(U)
        for i, column in zip(self.conditional_dims, self.activity_columns):
            U[~A[:, i], self.slices[i]] = INACTIVE_VALUE
            U[:, column] = A[:, i]
        return U

    def sobol(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """The first n points of a scrambled Sobol sequence (`bayesopt.sobol`:
        scipy.stats.qmc's points), encoded: (n, n_columns).

        Drawn as the smallest power of two ≥ n (Sobol's balance properties
        hold for powers of two) and truncated.
        """
        if n <= 0:
            return np.empty((0, self.n_columns))
        return self.sobol_seeded(n, sobol_seed(rng))

    def sobol_seeded(self, n: int, seed: int) -> np.ndarray:
        """`sobol` with the scramble's integer seed (`scrambled_sobol`)."""
        return self.from_unit(scrambled_sobol(self.n_dims, n, seed))

    def candidates(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """n feasible encoded points (n, n_columns) for the acquisition optimizer to score.

        Unconditional: `sobol`. Conditional: half Sobol, half spread equally
        over the activity patterns (`_patterns`), so a pattern that uniform
        sampling rarely reaches (a leaf deep in the tree) is scored as often
        as any other. When the patterns are too many to enumerate, all n are
        Sobol and the patterns are sampled in proportion to their volume.
        """
        patterns = self._patterns if self.conditional else None
        if not patterns:
            return self.sobol(n, rng)
        per_pattern = (n - n // 2) // len(patterns)
        parts = [self.sobol(n - per_pattern * len(patterns), rng)]
        for classes in patterns:
            # every dimension drawn (not imputed yet): a child the pattern's parents make
            # active keeps its draw, where an imputed one would hold no valid value
            U = self.from_unit(rng.random((per_pattern, self.n_dims)), impute=False)
            for name, members in classes.items():
                i = self.names.index(name)
                values = [members[k] for k in rng.integers(len(members), size=per_pattern)]
                U[:, self.slices[i]] = self.dimensions[i].encode(values)
            parts.append(self._impute(U))
        return np.concatenate(parts)

    @functools.cached_property
    def _patterns(self) -> list[dict[str, list[Any]]] | None:
        """One entry per activity pattern: for each parent, the values that keep it; None if
        there are more than `_PATTERN_LIMIT` combinations of parent classes."""
        return parent_classes_by_pattern(self.dimensions, self._order, self._allowed,
                                         _PATTERN_LIMIT)

    def to_dict(self) -> dict[str, dict[str, Any]]:
        return {d.name: d.to_dict() for d in self.dimensions}  # type: ignore[misc]

    @classmethod
    def from_dict(cls, spec: Mapping[str, Mapping[str, Any]]) -> Space:
        if not isinstance(spec, Mapping):
            raise TypeError(f"a space definition must be a dict of dimensions, got {spec!r}")
        return cls([dimension_from_dict(name, value) for name, value in spec.items()])


def _named_dimensions(
    dimensions: Mapping[str, Dimension] | Sequence[Dimension] | Space,
) -> tuple[Dimension, ...]:
    if isinstance(dimensions, Space):
        return dimensions.dimensions
    if isinstance(dimensions, Mapping):
        named = []
        for key, dim in flatten(list(dimensions.items())):
            _check_dimension(key, dim)
            if dim.name is not None and dim.name != key:
                raise ValueError(f"dimension {key!r} has a different name={dim.name!r}")
            named.append(dim if dim.name == key else dim.named(key))
    elif isinstance(dimensions, Sequence) and not isinstance(dimensions, (str, bytes)):
        named = list(dimensions)
        for i, dim in enumerate(named):
            _check_dimension(f"#{i}", dim)
            if dim.name is None:
                raise ValueError(f"dimension #{i} ({dim!r}) needs a name= when the space is a list")
        named = [dim for _, dim in flatten([(d.name, d) for d in named])]
    else:
        raise TypeError("space must be a dict of dimensions or a list of named dimensions, "
                        f"got {dimensions!r}")
    if not named:
        raise ValueError("space is empty: give at least one dimension")
    names = [d.name for d in named]
    duplicates = sorted({n for n in names if n is not None and names.count(n) > 1})
    if duplicates:
        raise ValueError(f"dimension name(s) {duplicates} appear more than once")
    return tuple(named)


_COUNT_LIMIT = 100_000  # conditional spaces up to this many combinations are counted exactly
_PATTERN_LIMIT = 256  # activity patterns are enumerated up to this many parent-class combinations


def _code(dim: Dimension, value: Any) -> int:
    """The integer code of a parent's value: a Categorical's index, a discrete Real's or
    Integer's lattice coordinate (`_Interval.lattice`: an Integer itself, a stepped one's
    grid index)."""
    if isinstance(dim, Categorical):
        return dim._index[_choice_key(dim.validate(value))]
    assert isinstance(dim, _Interval) and dim.lattice is not None, f"{dim!r} is no parent"
    valid = dim.validate(value)
    return int(valid) if dim._grid is None else cast(int, dim._grid.index(valid))


def _codes(dim: Dimension, columns: np.ndarray) -> np.ndarray:
    """The codes of encoded (possibly relaxed) parent columns: (n, width) → (n,) int."""
    if isinstance(dim, Categorical):
        return cast(np.ndarray, np.argmax(columns, axis=1))
    assert isinstance(dim, _Interval), f"{dim!r} is no parent"
    return dim.lattice_coordinates(columns)


def _foreign_dimension(dim: object, named: str) -> str | None:
    """This library's dimension for another library's (scikit-optimize's `Real`, `Integer`,
    `Categorical`; Optuna's `FloatDistribution`, `IntDistribution`,
    `CategoricalDistribution`), written out from its attributes, or None. Read by class
    and module name: neither library is imported for it."""
    module, kind = type(dim).__module__.split(".")[0], type(dim).__name__
    fields = vars(dim) if hasattr(dim, "__dict__") else {}
    if module == "skopt" and kind in ("Real", "Integer") and {"low", "high"} <= fields.keys():
        log = ", log=True" if fields.get("prior") == "log-uniform" else ""
        return f"{kind}({fields['low']!r}, {fields['high']!r}{log}{named})"
    if module == "skopt" and kind == "Categorical" and "categories" in fields:
        return f"Categorical({list(fields['categories'])!r}{named})"
    if (module == "optuna" and kind in ("FloatDistribution", "IntDistribution")
            and {"low", "high"} <= fields.keys()):
        ours = "Real" if kind == "FloatDistribution" else "Integer"
        log = ", log=True" if fields.get("log") else ""
        step = fields.get("step")  # Optuna has moved high onto the grid already
        steps = "" if step is None or (ours == "Integer" and step == 1) else f", step={shown(step)}"
        return f"{ours}({fields['low']!r}, {fields['high']!r}{log}{steps}{named})"
    if module == "optuna" and kind == "CategoricalDistribution" and "choices" in fields:
        return f"Categorical({list(fields['choices'])!r}{named})"
    return None


_HYPEROPT_HINT = ("; hyperopt's hp.uniform(label, a, b) is Real(a, b) here, "
                  "hp.loguniform(label, log(a), log(b)) Real(a, b, log=True), "
                  "hp.quniform(label, a, b, q) Integer(a, b, step=q) (Real(a, b, step=q) "
                  "for a fractional q; a and b multiples of q, as its values round(x/q)·q "
                  "are) and hp.choice(label, options) "
                  "Categorical(options) (see Conditional spaces for hp.choice of dicts)")


_GROUP_HINT = ("; a space is flat, its dimensions not grouped (kopt's and hyperopt's "
               "{'model': {...}, 'fit': {...}}): name each one, {'model.lr': Real(...)}, and "
               "group the values in the objective; a choice between sub-spaces is "
               "Categorical({choice: {name: dimension}}) (Conditional spaces)")


def tuple_dimension(spec: tuple[Any, ...], named: str = "") -> str | None:
    """This library's dimension for scikit-optimize's ``(low, high[, prior])`` or Talos'
    ``(min, max, steps)``, written out as a clause ("... is Real(0.01, 1.0) here"), or
    None for another tuple; `named` is inserted as its last argument (", name=...")."""
    if len(spec) not in (2, 3) or not (is_real(spec[0]) and is_real(spec[1])):
        return None
    low, high = spec[:2]
    whole = all(isinstance(v, numbers.Integral) for v in (low, high))
    ours = f"{'Integer' if whole else 'Real'}({shown(low)}, {shown(high)}"
    third = spec[2] if len(spec) == 3 else "uniform"
    if isinstance(third, str) and third in ("uniform", "log-uniform"):
        log = ", log=True" if third == "log-uniform" else ""
        return f"scikit-optimize's {shown(spec)} is {ours}{log}{named}) here"
    if isinstance(third, numbers.Integral) and not isinstance(third, bool) and int(third) > 1:
        grid = _talos_grid(low, high, int(third), named)
        return f"Talos' (min, max, steps) {shown(spec)} is {grid}"
    return None


def _talos_grid(low: Any, high: Any, steps: int, named: str) -> str:
    """Talos' (min, max, steps): the `steps` values min + i·(max − min)/steps, i < steps
    (max itself excluded, `numpy.arange`), as a stepped dimension, when that step is whole
    for integer bounds; else the range, which a stepped dimension cannot write."""
    with decimal.localcontext(_DECIMALS):
        step = (_decimal(high) - _decimal(low)) / steps
        last = _decimal(low) + (steps - 1) * step
    if all(isinstance(v, numbers.Integral) for v in (low, high)):
        if step != int(step):
            return (f"Integer({shown(low)}, {shown(high)}{named}) here, which searches the "
                    "whole range "
                    f"(its {steps} steps of {float(step):g} are not whole numbers)")
        return (f"Integer({shown(low)}, {int(last)!r}, step={int(step)!r}{named}) here, its "
                f"{steps} values ({shown(high)} excluded, as Talos excludes it)")
    return (f"Real({float(low)!r}, {float(last)!r}, step={float(step)!r}{named}) here, its "
            f"{steps} values ({shown(high)} excluded, as Talos excludes it)")


class _ShortRepr(reprlib.Repr):
    """reprlib's repr, 6 items of a list then "...", with a numpy scalar item as `shown`
    writes it (1.0, not np.float64(1.0))."""

    def repr1(self, x: Any, level: int) -> str:
        return shown(x) if isinstance(x, np.generic) else super().repr1(x, level)


_SHORT = _ShortRepr()  # a grid's values, in a message


def _values_hint(values: list[Any] | range | np.ndarray) -> str:
    """The hint for values given as a dimension (Talos' `params`, sklearn-deap's, a grid
    search's dict of lists, `np.logspace(...)`, a `range`): their Categorical, written out
    for a list, and, for numbers, the range they span, which a Categorical does not order."""
    if isinstance(values, np.ndarray):
        if values.ndim != 1:
            return ""
        ours = "Categorical(values.tolist())"
    else:
        written = shown(values)
        ours = f"Categorical({written})" if len(written) <= 80 else "Categorical(values)"
    hint = (f"; a list of values to choose from is {ours} here (a dict of lists, Talos' "
            "params: {name: Categorical(values) for name, values in params.items()})")
    span = _numeric_span(values)
    if span is None:
        return hint
    kind, low, high, log = span
    count = len(values) if isinstance(values, range) else len(
        set(values.tolist() if isinstance(values, np.ndarray) else values))  # distinct
    step = _grid_step(values)
    if step is not None:  # a grid: the stepped dimension keeps the values and their order
        return (f"{hint}; a Categorical keeps exactly these {count} numbers but not their "
                f"order, and {kind.capitalize()}({shown(low)}, {shown(high)}, "
                f"step={shown(step)}) keeps both")
    return (f"{hint}; a Categorical keeps exactly these {count} numbers but not their "
            f"order, and {kind.capitalize()}({shown(low)}, "
            f"{shown(high)}{', log=True' if log else ''}) "
            "searches the range they span")


def _grid_step(values: Sequence[Any] | np.ndarray) -> int | float | None:
    """The step of three or more distinct numbers that are every value of a stepped
    dimension's grid (`range(16, 257, 16)`, [0.1, 0.2, 0.3], `np.arange(0, 0.5, 0.1)`),
    other than an Integer's step 1; None for others."""
    span = _numeric_span(values)
    numbers_ = values.tolist() if isinstance(values, np.ndarray) else list(values)
    distinct = set(numbers_)
    if span is None or span[3] or len(distinct) < 3:
        return None
    kind, low, high, _ = span
    with decimal.localcontext(_DECIMALS):
        steps = (_decimal(high) - _decimal(low)) / (len(distinct) - 1)
    try:
        dim = (Integer(low, high, step=int(steps)) if kind == "integer" and steps == int(steps)
               else Real(low, high, step=float(steps)))
        on_grid = {dim.validate(v) for v in distinct}
    except (TypeError, ValueError):
        return None
    return dim.step if len(on_grid) == len(distinct) else None


def _numeric_span(values: Sequence[Any] | np.ndarray) -> tuple[str, Any, Any, bool] | None:
    """("integer" or "real", low, high, log) of the range that values span: None unless
    they are finite real numbers, two different ones at least (a range is linear)."""
    ends = isinstance(values, range) and len(values) > 0  # a range's own ends, not its items
    numbers_ = ([values[0], values[-1]] if ends else
                values.tolist() if isinstance(values, np.ndarray) else list(values))
    if (len(numbers_) < 2 or not all(is_real(v) and math.isfinite(v) for v in numbers_)
            or min(numbers_) == max(numbers_)):
        return None
    low, high, log = min(numbers_), max(numbers_), not ends and _log_spaced(numbers_)
    if all(isinstance(v, (int, np.integer)) for v in numbers_):
        return "integer", int(low), int(high), log
    return "real", float(low), float(high), log


def _log_spaced(numbers_: list[Any]) -> bool:
    """Whether positive numbers read better on a log scale: more evenly spaced in log than
    linearly (`np.logspace`, [16, 32, 64, 128]), or, two of them, a ratio of 10 or more."""
    v = np.unique(np.asarray(numbers_, dtype=float))  # sorted, distinct
    if v[0] <= 0:
        return False
    if len(v) < 3:
        return bool(v[-1] >= 10 * v[0])

    def unevenness(w: np.ndarray) -> float:  # (k,) sorted → spread of its steps
        steps = np.diff(w)
        return float(np.ptp(steps) / steps.mean())

    return unevenness(np.log(v)) < unevenness(v)


def _check_dimension(key: str, dim: object) -> None:
    if not isinstance(key, str) or not key:
        raise TypeError(f"dimension names must be non-empty strings, got {key!r}")
    if not isinstance(dim, Dimension):
        raise TypeError(f"dimension {key!r}: {_shown(dim)} is not a Real, Integer, Categorical "
                        f"or Fidelity{_dimension_hint(key, dim)}")


def _array_like(dim: object) -> bool:
    """A numpy array, or an object numpy reads as one (a pandas Series or Index)."""
    return isinstance(dim, np.ndarray) or (
        hasattr(dim, "__array__") and not isinstance(dim, (str, bytes, numbers.Number)))


def _shown(dim: object) -> str:
    """`dim` in a message: a list's, tuple's or array's first items, else its repr."""
    if isinstance(dim, (list, tuple)):
        return _SHORT.repr(dim)
    if _array_like(dim):
        kind = "array" if isinstance(dim, np.ndarray) else type(dim).__name__
        return f"{kind}({_SHORT.repr(np.asarray(dim).tolist())})"
    return repr(dim)


def _dimension_hint(key: str, dim: object) -> str:
    """What to write for `dim`, given where a dimension belongs ("" if nothing is known)."""
    named = ", name=..." if key.startswith("#") else ""  # a list space names each
    ours = _foreign_dimension(dim, named)
    if ours is not None:
        return f"; here it is {ours}"
    if type(dim).__module__.split(".")[0] == "hyperopt":
        return _HYPEROPT_HINT
    if isinstance(dim, tuple) and len(dim) == 3:  # a pair keeps the general hint below
        ours = tuple_dimension(dim, named)
        if ours is not None:
            return f"; {ours}"
    if not named and (isinstance(dim, (list, range)) or _array_like(dim)):
        # a dict of lists: Talos', sklearn-deap's, a grid's; a pandas column's values
        return _values_hint(dim if isinstance(dim, (list, range)) else np.asarray(dim))
    if isinstance(dim, (tuple, list)):
        return (f"; scikit-optimize's (low, high) is Real(low, high{named}) or "
                f"Integer(low, high{named}) here, and its list of choices "
                f"Categorical([...]{named})")
    if isinstance(dim, Mapping):
        return _GROUP_HINT if "type" not in dim else (
            "; a dimension's table, as a space file writes it, is read by "
            "Space.from_dict({name: table})")
    if dim is None or isinstance(dim, (str, bytes, bool, numbers.Number)):
        merge = "" if named else f" ({{**params, {key!r}: {dim!r}}})"
        return (f"; a fixed value is no dimension: give it to the objective yourself"
                f"{merge}, or keep it in every point as Categorical([{dim!r}]{named})")
    return ""

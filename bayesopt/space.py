"""Search spaces: user-facing dimensions and their encoding in the unit cube.

Every dimension maps to one or more columns in [0, 1]; the GP, the
acquisition functions and their optimizer only ever see encoded points:

    Real(low, high, log)      1 column, u = (w(x) − w(low)) / (w(high) − w(low))
    Integer(low, high, log)   1 column, the same map applied to the relaxed
                              range [low − ½, high + ½]: integer v owns the bin
                              [w(v − ½), w(v + ½)] (equal widths when linear) and
                              encodes to w(v), inside its bin; decoding rounds
    Categorical(choices)      k columns, one-hot; decoding takes the argmax

with w = log for log-scaled dimensions and the identity otherwise. Hence
decode(encode(p)) == p for every valid point (for reals up to rounding in
the last bits of a log/exp round trip).
"""

from __future__ import annotations

import abc
import difflib
import math
import numbers
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any, cast

import numpy as np

__all__ = ["Categorical", "Dimension", "Integer", "Real", "Space"]


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _label(name: str | None) -> str:
    return f"dimension {name!r}" if name is not None else "dimension"


class Dimension(abc.ABC):
    """One named input of the objective and its encoding."""

    name: str | None

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
        return type(self)(**{**self.to_dict_args(), "name": name})

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
    name: str | None = field(default=None, kw_only=True)

    def _check_bounds(self) -> None:
        label = _label(self.name)
        for key in ("low", "high"):
            value = getattr(self, key)
            if not _is_number(value):
                raise TypeError(f"{label}: {key}={value!r} must be a real number")
            if not math.isfinite(value):
                raise ValueError(f"{label}: {key}={value!r} must be finite")
        if not isinstance(self.log, (bool, np.bool_)):
            raise TypeError(f"{label}: log={self.log!r} must be True or False")
        if self.log and self.low <= 0:
            raise ValueError(f"{label}: log=True needs low > 0, got low={self.low!r}")
        if not math.isfinite(float(self.high) - float(self.low)):
            raise ValueError(f"{label}: high - low = {self.high!r} - {self.low!r} overflows")

    def _warp(self, x: np.ndarray) -> np.ndarray:
        return np.log(x) if self.log else np.asarray(x, dtype=np.float64)

    def _unwarp(self, w: np.ndarray) -> np.ndarray:
        return np.exp(w) if self.log else w

    def _span(self) -> tuple[float, float]:
        """The encoded range [a, b] in warped units."""
        lo, hi = self._relaxed_range()
        return float(self._warp(np.float64(lo))), float(self._warp(np.float64(hi)))

    @abc.abstractmethod
    def _relaxed_range(self) -> tuple[float, float]: ...

    @property
    def unit_length(self) -> float:
        """The length the whole encoded column [0, 1] stands for: high − low for a Real,
        high − low + 1 for an Integer (its relaxed range), and in decades (log10) when log=True."""
        a, b = self._span()
        return (b - a) / math.log(10.0) if self.log else b - a

    def _to_unit(self, x: np.ndarray) -> np.ndarray:
        a, b = self._span()
        return np.clip((self._warp(x) - a) / (b - a), 0.0, 1.0)

    def _from_unit_relaxed(self, u: np.ndarray) -> np.ndarray:
        a, b = self._span()
        return self._unwarp(a + np.asarray(u, dtype=np.float64) * (b - a))

    def _check_value(self, value: Any) -> None:
        label = _label(self.name)
        if not _is_number(value):
            raise TypeError(f"{label}: value {value!r} must be a number in [{self.low}, {self.high}]")
        if not (self.low <= value <= self.high):
            raise ValueError(f"{label}: value {value!r} is outside [{self.low}, {self.high}]")

    @property
    def n_columns(self) -> int:
        return 1

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        return self.project(np.asarray(u, dtype=np.float64).reshape(-1, 1))


@dataclass(frozen=True)
class Real(_Interval):
    """A real number in [low, high]; `log=True` searches log(x) uniformly."""

    def __post_init__(self) -> None:
        self._check_bounds()
        if not self.low < self.high:
            raise ValueError(f"{_label(self.name)}: low={self.low!r} must be < high={self.high!r}")

    def _relaxed_range(self) -> tuple[float, float]:
        return float(self.low), float(self.high)

    @property
    def cardinality(self) -> None:
        return None

    def validate(self, value: Any) -> float:
        self._check_value(value)
        return float(value)

    def encode(self, values: Sequence[Any]) -> np.ndarray:
        return self._to_unit(np.asarray(values, dtype=np.float64)).reshape(-1, 1)

    def decode(self, columns: np.ndarray) -> list[Any]:
        u = np.clip(columns[:, 0], 0.0, 1.0)
        x = np.clip(self._from_unit_relaxed(u), self.low, self.high)
        x = np.where(u == 0.0, self.low, np.where(u == 1.0, self.high, x))  # exp(log(low)) ≠ low
        return [float(v) for v in x]

    def project(self, columns: np.ndarray) -> np.ndarray:
        return cast(np.ndarray, np.clip(columns, 0.0, 1.0))

    def to_dict(self) -> dict[str, Any]:
        return {"type": "real", "low": float(self.low), "high": float(self.high), "log": bool(self.log)}


@dataclass(frozen=True)
class Integer(_Interval):
    """An integer in [low, high], both inclusive; `log=True` for log-spaced integers."""

    low: int
    high: int

    def __post_init__(self) -> None:
        self._check_bounds()
        for key in ("low", "high"):
            value = getattr(self, key)
            if not float(value).is_integer():
                raise ValueError(f"{_label(self.name)}: {key}={value!r} must be an integer")
            object.__setattr__(self, key, int(value))
        if self.low > self.high:
            raise ValueError(f"{_label(self.name)}: low={self.low!r} must be <= high={self.high!r}")

    def _relaxed_range(self) -> tuple[float, float]:
        return self.low - 0.5, self.high + 0.5

    @property
    def cardinality(self) -> int:
        return self.high - self.low + 1

    def validate(self, value: Any) -> int:
        self._check_value(value)
        if not float(value).is_integer():
            raise ValueError(f"{_label(self.name)}: value {value!r} must be an integer "
                             f"in [{self.low}, {self.high}]")
        return int(value)

    def encode(self, values: Sequence[Any]) -> np.ndarray:
        return self._to_unit(np.asarray(values, dtype=np.float64)).reshape(-1, 1)

    def decode(self, columns: np.ndarray) -> list[Any]:
        x = self._from_unit_relaxed(np.clip(columns[:, 0], 0.0, 1.0))
        return [int(v) for v in np.clip(np.rint(x), self.low, self.high)]

    def to_dict(self) -> dict[str, Any]:
        return {"type": "integer", "low": self.low, "high": self.high, "log": bool(self.log)}


@dataclass(frozen=True)
class Categorical(Dimension):
    """One of a finite set of hashable choices, encoded one-hot."""

    choices: Sequence[Hashable]  # a list or tuple; stored as a tuple
    name: str | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        label = _label(self.name)
        if isinstance(self.choices, (str, bytes)) or not isinstance(self.choices, Iterable):
            raise TypeError(f"{label}: choices={self.choices!r} must be a list or tuple of values")
        choices = tuple(self.choices)
        if not choices:
            raise ValueError(f"{label}: choices must not be empty")
        for choice in choices:
            _check_choice(label, choice)
        seen: set[Hashable] = set()
        for choice in choices:
            if choice in seen:
                raise ValueError(f"{label}: choice {choice!r} appears more than once")
            seen.add(choice)
        object.__setattr__(self, "choices", choices)

    @property
    def _index(self) -> dict[Hashable, int]:
        return {choice: i for i, choice in enumerate(self.choices)}

    @property
    def n_columns(self) -> int:
        return len(self.choices)

    @property
    def cardinality(self) -> int:
        return len(self.choices)

    def validate(self, value: Any) -> Hashable:
        try:
            index = self._index.get(value)
        except TypeError:
            index = None
        if index is None:
            raise ValueError(f"{_label(self.name)}: value {value!r} is not one of {list(self.choices)}")
        return self.choices[index]

    def encode(self, values: Sequence[Any]) -> np.ndarray:
        index = self._index
        out = np.zeros((len(values), self.n_columns))
        out[np.arange(len(values)), [index[v] for v in values]] = 1.0
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
        return {"type": "categorical", "choices": list(self.choices)}


def _check_choice(label: str, choice: object) -> None:
    """A choice is a plain hashable value, never a dimension or a space (no nesting)."""
    if isinstance(choice, (Dimension, Space)):
        raise TypeError(
            f"{label}: choice {choice!r} is a search-space object; the choices of a "
            "Categorical are plain values. A dimension that exists only for some choices "
            "needs a conditional space (when=, planned for a later release); until then "
            "give each choice's dimension its own name in the space"
        )
    if not isinstance(choice, Hashable):
        raise TypeError(f"{label}: choice {choice!r} is not hashable")


_TYPES: dict[str, Callable[..., Dimension]] = {
    "real": Real, "integer": Integer, "categorical": Categorical,
}
_KEYS = {  # (required, optional) keys of each type's definition
    "real": ({"low", "high"}, {"log"}),
    "integer": ({"low", "high"}, {"log"}),
    "categorical": ({"choices"}, set()),
}


def dimension_from_dict(name: str, spec: Mapping[str, Any]) -> Dimension:
    """Build a dimension from `Dimension.to_dict()` output (journal, CLI space files)."""
    if not isinstance(spec, Mapping):
        raise TypeError(f"dimension {name!r}: definition must be a table/dict, got {spec!r}")
    kind = spec.get("type")
    if kind not in _TYPES:
        hint = (_did_you_mean(kind, _TYPES) if "type" in spec
                else "".join(_did_you_mean(key, {"type"}) for key in spec))
        raise ValueError(
            f"dimension {name!r}: type={kind!r} must be one of {sorted(_TYPES)}{hint}")
    args = {key: value for key, value in spec.items() if key != "type"}
    required, optional = _KEYS[kind]
    missing = sorted(required - set(args))
    unknown = sorted(set(args) - required - optional)
    if missing or unknown:
        hints = "".join(_did_you_mean(key, (required | optional) - set(args)) for key in unknown)
        raise ValueError(
            f"dimension {name!r} of type {kind!r}: missing key(s) {missing}, unknown key(s) "
            f"{unknown}; valid keys are {sorted(required | optional | {'type'})}{hints}"
        )
    return _TYPES[kind](**args, name=name)


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
        self.n_columns = int(offsets[-1])

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
    def cardinality(self) -> int | None:
        """Number of distinct points, or None if any dimension is continuous."""
        sizes = [d.cardinality for d in self.dimensions]
        finite = [s for s in sizes if s is not None]
        return math.prod(finite) if len(finite) == len(sizes) else None

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
            raise TypeError(f"params must be a dict of {list(self.names)}, got {params!r}")
        unknown = [key for key in params if key not in self.names]
        if unknown:
            raise ValueError(f"unknown parameter(s) {unknown}; the space has {list(self.names)}")
        missing = [name for name in self.names if name not in params]
        if missing:
            raise ValueError(f"missing parameter(s) {missing} in {dict(params)!r}")
        return {name: d.validate(params[name]) for name, d in zip(self.names, self.dimensions)}

    def encode(self, points: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """Valid points → (n, n_columns). Validates every point first."""
        points = [self.validate(p) for p in points]
        out = np.empty((len(points), self.n_columns))
        for d, s in zip(self.dimensions, self.slices):
            out[:, s] = d.encode([p[d.name] for p in points])  # type: ignore[index]
        return out

    def decode(self, U: np.ndarray) -> list[dict[str, Any]]:
        """Encoded rows (n, n_columns), possibly relaxed → valid points."""
        U = np.atleast_2d(np.asarray(U, dtype=np.float64))
        assert U.shape[1] == self.n_columns, f"expected {self.n_columns} columns, got {U.shape[1]}"
        columns = [d.decode(U[:, s]) for d, s in zip(self.dimensions, self.slices)]
        return [dict(zip(self.names, values)) for values in zip(*columns)]

    def project(self, U: np.ndarray) -> np.ndarray:
        """Round relaxed rows (n, n_columns) to the encoding of the nearest valid point."""
        U = np.atleast_2d(np.asarray(U, dtype=np.float64))
        out = np.empty_like(U)
        for d, s in zip(self.dimensions, self.slices):
            out[:, s] = d.project(U[:, s])
        return out

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        """Points u: (n, n_dims) uniform in [0, 1) → feasible encoded rows (n, n_columns)."""
        out = np.empty((u.shape[0], self.n_columns))
        for i, (d, s) in enumerate(zip(self.dimensions, self.slices)):
            out[:, s] = d.from_unit(u[:, i])
        return out

    def sobol(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """The first n points of a scrambled Sobol sequence (scipy.stats.qmc), encoded: (n, n_columns).

        Drawn as the smallest power of two ≥ n (Sobol's balance properties
        hold for powers of two) and truncated.
        """
        if n <= 0:
            return np.empty((0, self.n_columns))
        from scipy.stats import qmc  # scipy.stats takes ~0.3 s to import; only pay when sampling

        # An integer seed, not the generator itself: scipy would spawn a child from the
        # generator's SeedSequence, and that spawn count is not part of the generator's
        # state — a journal could not restore it and resumed runs would diverge.
        sampler = qmc.Sobol(self.n_dims, scramble=True, seed=int(rng.integers(2**63 - 1)))
        u = sampler.random_base2(max(0, math.ceil(math.log2(n))))[:n]
        return self.from_unit(u)

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
        for key, dim in dimensions.items():
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
    else:
        raise TypeError(f"space must be a dict of dimensions or a list of named dimensions, got {dimensions!r}")
    if not named:
        raise ValueError("space is empty: give at least one dimension")
    names = [d.name for d in named]
    duplicates = sorted({n for n in names if names.count(n) > 1})  # type: ignore[type-var]
    if duplicates:
        raise ValueError(f"dimension name(s) {duplicates} appear more than once")
    return tuple(named)


def _check_dimension(key: str, dim: object) -> None:
    if not isinstance(key, str) or not key:
        raise TypeError(f"dimension names must be non-empty strings, got {key!r}")
    if not isinstance(dim, Dimension):
        raise TypeError(
            f"dimension {key!r}: {dim!r} is not a Real, Integer or Categorical"
        )

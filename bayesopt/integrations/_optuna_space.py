"""Optuna distributions as bayesopt dimensions, and values between the two.

    FloatDistribution(low, high, log)        Real(low, high, log)        v ↔ v
    FloatDistribution(low, high, step=s)     Real(low, high, step=s)     v ↔ v'   (below)
    IntDistribution(low, high, log)          Integer(low, high, log)     v ↔ v   (step 1)
    IntDistribution(low, high, step=s)       Integer(low, high, step=s)  v ↔ v
    CategoricalDistribution(choices)         Categorical(0 … m − 1)      choices[k] ↔ k

A stepped range is the stepped dimension (Optuna has moved its high onto the
grid), whose model input is the grid index: the asks are those of the index
Integer(0, n) this module mapped it to before 0.9.0, and a float step's values
are its decimal grid values (0.3, where low + 3·0.1 is 0.30000000000000004).
A stepped float's value v goes to Optuna as v', the float nearest v (v itself,
else the lower of two as near) within 4 ulps that `FloatDistribution._contains`
accepts and `Real` reads as v: that test, (v − low)/step within 1e-8 of an
integer, is finer than float64's spacing far from 0 (at low = 1e8, step = 0.3,
40 of the 101 grid values have no float it accepts; at low = -4194313.6, step =
0.05, the 4th value is refused and its upper neighbour accepted). Where none
is, v' = v, which Optuna refuses as a relative value (the sampler hands it over
through `sample_independent`, with a `StepResolutionWarning`). Categories are
carried by index (Optuna's own internal representation), so any choice Optuna
accepts — None, bools, floats, strings — survives
unchanged. Distributions with a single value are not mapped: Optuna fills
them in itself.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

from bayesopt.space import Categorical, Dimension, Integer, Real, Space


@dataclass(frozen=True)
class ParamMap:
    """One Optuna parameter as a bayesopt dimension: a category by its index, else identity."""

    dimension: Dimension
    categorical: CategoricalDistribution | None = None  # its choices are carried by index
    integral: bool = False  # an IntDistribution: values returned to Optuna are ints
    stepped: FloatDistribution | None = None  # a stepped float: values go as `contained` ones

    def to_optimizer(self, value: Any) -> Any:
        """An Optuna value (external representation) → the optimizer's value."""
        if self.categorical is not None:
            return int(self.categorical.to_internal_repr(value))
        if self.stepped is not None and _on_grid(self.dimension, value):
            return self.dimension.validate(value)  # v' (`to_optuna`) as the v it stands for
        return value  # off a grid, as given: `SpaceMap.outside` refuses it

    def to_optuna(self, value: Any) -> Any:
        """The optimizer's value → Optuna's external representation (a Python scalar)."""
        if self.categorical is not None:
            return self.categorical.to_external_repr(value)
        if self.stepped is not None:
            return _contained(self.stepped, self.dimension, float(value))
        return int(value) if self.integral else float(value)


_NEIGHBOURS = 4  # the floats searched either side of a grid value (`_Grid.tolerance`'s 4 ulps)


def _contained(distribution: FloatDistribution, dimension: Dimension, value: float) -> float:
    """The float nearest a stepped grid value (itself first, then 1, 2, ... ulps away, the
    lower first) that Optuna's `FloatDistribution._contains` accepts and `dimension` reads
    as `value`; `value` itself where none within `_NEIGHBOURS` ulps is (module docstring)."""
    below = above = value
    candidates = [value]
    for _ in range(_NEIGHBOURS):
        below, above = math.nextafter(below, -math.inf), math.nextafter(above, math.inf)
        candidates += [below, above]
    for candidate in candidates:
        if distribution._contains(candidate) and _reads_as(dimension, candidate, value):
            return candidate
    return value


def _reads_as(dimension: Dimension, candidate: float, value: float) -> bool:
    """Whether `dimension` reads `candidate` as its grid value `value` (not another one,
    nor off its grid)."""
    return _on_grid(dimension, candidate) and dimension.validate(candidate) == value


def _on_grid(dimension: Dimension, value: Any) -> bool:
    """Whether a stepped `dimension` holds `value` (reads it as one of its grid values)."""
    try:
        dimension.validate(value)
    except (TypeError, ValueError):
        return False
    return True


def uncontained(distribution: BaseDistribution, value: Any) -> bool:
    """Whether Optuna refuses `value` (external representation) as a relative value of
    `distribution`: `Trial._is_relative_param`'s test, `_contains` of its internal one."""
    return not distribution._contains(distribution.to_internal_repr(value))


def _float_map(dist: FloatDistribution) -> ParamMap:
    return ParamMap(Real(dist.low, dist.high, log=dist.log, step=dist.step),
                    stepped=dist if dist.step is not None else None)


def _int_map(dist: IntDistribution) -> ParamMap:
    return ParamMap(Integer(dist.low, dist.high, log=dist.log, step=dist.step), integral=True)


def _categorical_map(dist: CategoricalDistribution) -> ParamMap:
    return ParamMap(Categorical(list(range(len(dist.choices)))), categorical=dist)


_MAPS: dict[type[BaseDistribution], Callable[[Any], ParamMap]] = {
    FloatDistribution: _float_map,
    IntDistribution: _int_map,
    CategoricalDistribution: _categorical_map,
}


def is_supported(distribution: BaseDistribution) -> bool:
    """Whether the optimizer can search this distribution (a known type with > 1 value)."""
    return type(distribution) in _MAPS and not distribution.single()


def param_map(name: str, distribution: BaseDistribution) -> ParamMap:
    """The dimension and value maps of one Optuna parameter."""
    if type(distribution) not in _MAPS:
        raise TypeError(f"parameter {name!r}: {distribution!r} has no bayesopt dimension; "
                        f"supported: {[cls.__name__ for cls in _MAPS]}")
    if distribution.single():
        raise ValueError(f"parameter {name!r}: {distribution!r} has a single value")
    return _MAPS[type(distribution)](distribution)


@dataclass(frozen=True)
class SpaceMap:
    """A relative search space of Optuna as a bayesopt `Space`, and points between the two.

    `conditions` maps a conditional parameter to its categorical parent and the parent's
    choice indices under which it is present (`when={parent: [indices]}` in the space).
    """

    distributions: Mapping[str, BaseDistribution]
    params: Mapping[str, ParamMap]
    space: Space
    conditions: Mapping[str, tuple[str, tuple[int, ...]]] = field(default_factory=dict)

    @classmethod
    def from_distributions(
        cls, distributions: Mapping[str, BaseDistribution],
        conditions: Mapping[str, tuple[str, tuple[int, ...]]] | None = None,
    ) -> SpaceMap:
        conditions = dict(conditions or {})
        params = {name: param_map(name, dist) for name, dist in distributions.items()}
        for name, (parent, _) in conditions.items():
            if name not in params or not isinstance(distributions.get(parent),
                                                    CategoricalDistribution):
                raise ValueError(f"condition of {name!r}: {name!r} must be a parameter and "
                                 f"{parent!r} a categorical one of {list(distributions)}")
        space = Space({name: p.dimension if name not in conditions else
                       p.dimension.with_when({conditions[name][0]: list(conditions[name][1])})
                       for name, p in params.items()})
        return cls(dict(distributions), params, space, conditions)

    def to_optimizer(self, params: Mapping[str, Any],
                     distributions: Mapping[str, BaseDistribution]) -> dict[str, Any] | None:
        """A trial's parameters as an optimizer point, or None if it lacks an active parameter
        of the space, has an inactive one, or has one with another distribution."""
        point: dict[str, Any] = {}
        for i in self.space.parents_first:
            name = self.space.names[i]
            present = name in params
            if present and distributions.get(name) != self.distributions[name]:
                return None
            if present != self._active(name, point):
                return None
            if present:
                point[name] = self.params[name].to_optimizer(params[name])
        return {name: point[name] for name in self.space.names if name in point}

    def _active(self, name: str, point: Mapping[str, Any]) -> bool:
        """Whether `name` is active given its parent's value in `point` (parents first)."""
        if name not in self.conditions:
            return True
        parent, allowed = self.conditions[name]
        return parent in point and point[parent] in allowed

    def outside(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The parameters of the space whose value its distribution does not hold — outside
        [low, high] or off the step grid; Optuna lets an enqueued trial have such values,
        with a warning — by name."""
        return {name: params[name] for name, dist in self.distributions.items()
                if name in params and not _holds(dist, params[name])}

    def to_optuna(self, point: Mapping[str, Any]) -> dict[str, Any]:
        """An optimizer point (its active parameters) as Optuna parameter values."""
        return {name: p.to_optuna(point[name]) for name, p in self.params.items()
                if name in point}


def holds_internal(distribution: BaseDistribution, value: Any) -> bool:
    """Whether `value`, read from JSON as a value of `distribution` in Optuna's internal
    representation, is one that it holds (Optuna's rule, `BaseDistribution._contains`, and
    a type the representation has): a categorical's choice index, an int in
    [0, len(choices)); a number (not a bool) in a float or int distribution's range and on
    its step grid, integral for an int distribution; no value of another distribution."""
    if isinstance(distribution, CategoricalDistribution):
        return type(value) is int and 0 <= value < len(distribution.choices)
    if type(value) not in (int, float) or not isinstance(distribution,
                                                         (FloatDistribution, IntDistribution)):
        return False
    if isinstance(distribution, IntDistribution) and not float(value).is_integer():
        return False
    return _holds(distribution, value)


def _holds(distribution: BaseDistribution, value: Any) -> bool:
    """Whether a float or int distribution holds `value`: low ≤ value ≤ high and, with a
    step, value = low + k·step for an integer k (to 1e-8 of a step, as Optuna's float
    grids are, or, a float, as its stepped Real reads it); a categorical holds every value
    Optuna let through."""
    if not isinstance(distribution, (FloatDistribution, IntDistribution)):
        return True
    if not distribution.low <= value <= distribution.high:
        return False
    if distribution.step is None:
        return True
    k = float((value - distribution.low) / distribution.step)
    if abs(k - round(k)) <= 1e-8 * max(1.0, abs(k)):
        return True
    # far from 0 a grid value may have no float within 1e-8 of a step (`to_optuna` then
    # sends the value itself): held if the stepped Real reads it
    return isinstance(distribution, FloatDistribution) and _on_grid(
        _stepped_real(distribution.low, distribution.high, distribution.step), value)


@functools.lru_cache(maxsize=64)
def _stepped_real(low: float, high: float, step: float) -> Real:
    """The stepped Real of a FloatDistribution(low, high, step=step) (`_float_map`'s)."""
    return Real(low, high, step=step)

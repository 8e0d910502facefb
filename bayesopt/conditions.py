"""Conditions of a conditional search space: which dimensions are active at a point.

    when = {parent: value or [values]}    on a dimension: active only if every parent
                                          is active and takes one of the listed values
    A    : (n, n_dims) bool               activity of each dimension at n points

Parents are Categorical, Integer or stepped Real dimensions: finitely many values,
each coded by an integer (a category's index; an Integer's value; a stepped Integer's or
Real's grid index i of low + i·step). A condition on a continuum would make the set of
active dimensions jump at an arbitrary threshold. Parents may be conditional
themselves; the parent graph must be acyclic. Activity is evaluated in a topological
order of that graph, so a dimension whose parent is inactive is inactive.

The nested form (hyperopt's `hp.choice` of sub-spaces) is a Categorical
whose choices are a dict `{choice: {name: dimension, ...}}`; `flatten`
turns it into the same flat dimensions with `when={parent: choice}`. A name
that appears under several choices of one parent with the same definition
becomes one dimension active under all of them (a whole sub-tree so repeated
becomes one sub-tree).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Hashable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["When", "activity", "check_graph", "flatten", "normalize_when",
           "parent_classes_by_pattern"]


class When(Mapping[str, tuple[Hashable, ...]]):
    """An immutable, hashable `{parent: (allowed values, ...)}`, in the order given."""

    def __init__(self, items: Sequence[tuple[str, tuple[Hashable, ...]]]) -> None:
        self._items = tuple(items)

    def __getitem__(self, key: str) -> tuple[Hashable, ...]:
        for parent, values in self._items:
            if parent == key:
                return values
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return (parent for parent, _ in self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(self._items)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, When):
            return self._items == other._items
        return isinstance(other, Mapping) and dict(self.items()) == dict(other.items())

    def __repr__(self) -> str:
        return repr({parent: list(values) for parent, values in self._items})

    def to_dict(self) -> dict[str, list[Any]]:
        return {parent: list(values) for parent, values in self._items}


def _order_key(value: object) -> tuple[str, str]:
    """A total order on the values of a set, the same in every process: by type, then repr."""
    return type(value).__name__, repr(value)


def plain(value: object) -> object:
    """A numpy number or bool as the Python one it holds (what a journal's JSON carries);
    any other value as it is."""
    return value.item() if isinstance(value, (np.number, np.bool_)) else value


def normalize_when(label: str, when: object) -> When | None:
    """Check the form of `when=` (a dict of parent → value or list of values) and freeze it."""
    if when is None:
        return None
    if isinstance(when, When):
        return when
    if not isinstance(when, Mapping):
        raise TypeError(f"{label}: when={when!r} must be a dict {{parent: value or [values]}}")
    if not when:
        raise ValueError(f"{label}: when={{}} is empty; leave when= out for an unconditional "
                         "dimension")
    items = []
    for parent, allowed in when.items():
        if not isinstance(parent, str) or not parent:
            raise TypeError(f"{label}: when= key {parent!r} must be the name of a dimension")
        if isinstance(allowed, (set, frozenset)):  # one order in every process (not the
            values = tuple(sorted(allowed, key=_order_key))  # hash seed's): journals match
        else:
            values = tuple(allowed) if isinstance(allowed, list) else (allowed,)
        values = tuple(map(plain, values))
        if not values:
            raise ValueError(f"{label}: when={{{parent!r}: []}} allows no value")
        for value in values:
            if not isinstance(value, Hashable):
                raise TypeError(f"{label}: when= value {value!r} of {parent!r} is not hashable")
        items.append((parent, values))
    return When(items)


def check_graph(dimensions: Sequence[Any]) -> tuple[int, ...]:
    """Validate every condition against its parent; return a topological order of the dimensions.

    Raises ValueError for an unknown parent, a value the parent cannot take,
    a cycle (naming the dimensions on it) and a dimension that no point can have
    active (`_check_can_be_active`), TypeError for a Real parent without a step and for
    a Fidelity parent (a promotion changes a run's budget, never its active keys).
    """
    from bayesopt.space import Fidelity, Real  # the dimension classes import this module

    index = {d.name: i for i, d in enumerate(dimensions)}
    for d in dimensions:
        for parent, values in (d.when or {}).items():
            if parent not in index:
                raise ValueError(f"dimension {d.name!r}: when= names an unknown parent {parent!r}; "
                                 f"the space has {list(index)}")
            parent_dim = dimensions[index[parent]]
            if isinstance(parent_dim, Fidelity) or (
                    isinstance(parent_dim, Real) and parent_dim.step is None):
                raise TypeError(f"dimension {d.name!r}: when= parent {parent!r} is a "
                                f"{type(parent_dim).__name__}; a condition needs a Categorical, "
                                "Integer or stepped Real (step=) parent")
            for value in values:
                try:
                    parent_dim.validate(value)
                except (TypeError, ValueError) as error:
                    raise ValueError(f"dimension {d.name!r}: when={{{parent!r}: {value!r}}} is a "
                                     f"value {parent!r} cannot take ({error})") from None
    order = _topological_order(dimensions, index)
    for d in dimensions:
        _check_can_be_active(d, dimensions, index)
    return order


def _check_can_be_active(dim: Any, dimensions: Sequence[Any], index: Mapping[str, int]) -> None:
    """Raise ValueError if no point has `dim` active.

    `dim` is active exactly when every condition among it and its ancestors
    holds (each condition requires its parent active), and each condition
    restricts one parent's value only: so `dim` can be active iff, for every
    ancestor, the value sets its conditions within that closure require of it
    have a common value.
    """
    required: dict[str, list[tuple[str, tuple[Hashable, ...]]]] = {}
    stack, seen = [dim.name], {dim.name}
    while stack:
        child = dimensions[index[stack.pop()]]
        for parent, values in (child.when or {}).items():
            required.setdefault(parent, []).append((child.name, values))
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    for parent, needs in required.items():
        common = [v for v in needs[0][1] if all(v in values for _, values in needs[1:])]
        if not common:
            shown = "; ".join(f"{child!r} needs {parent}={list(values)}" for child, values in needs)
            raise ValueError(f"dimension {dim.name!r} can never be active: its conditions require "
                             f"{parent!r} to take values that exclude one another ({shown}); "
                             "fix the when= of one of them")


def _topological_order(dimensions: Sequence[Any], index: Mapping[str, int]) -> tuple[int, ...]:
    """Depth-first order, parents before children; a back edge is a cycle."""
    state = [0] * len(dimensions)  # 0 new, 1 on the stack, 2 done
    order: list[int] = []

    def visit(i: int, path: list[str]) -> None:
        if state[i] == 2:
            return
        name = dimensions[i].name
        if state[i] == 1:
            cycle = path[path.index(name):] + [name]
            raise ValueError(f"conditions form a cycle: {' -> '.join(cycle)} (each when= names "
                             "its parent; a dimension cannot depend on itself)")
        state[i] = 1
        for parent in dimensions[i].when or {}:
            visit(index[parent], [*path, name])
        state[i] = 2
        order.append(i)

    for i in range(len(dimensions)):
        visit(i, [])
    return tuple(order)


def activity(
    dimensions: Sequence[Any], order: Sequence[int], codes: Mapping[str, np.ndarray],
    allowed: Mapping[tuple[int, str], np.ndarray],
) -> np.ndarray:
    """A: (n, n_dims) bool from the parents' value codes (n,) and each condition's allowed codes."""
    n = next(iter(codes.values())).shape[0] if codes else 1
    index = {d.name: i for i, d in enumerate(dimensions)}
    active = np.ones((n, len(dimensions)), dtype=bool)
    for i in order:
        for parent in dimensions[i].when or {}:
            p = index[parent]
            active[:, i] &= active[:, p] & np.isin(codes[parent], allowed[(i, parent)])
    return active


_VALUE_LIMIT = 10_000  # parents with more values than this are not enumerated


def parent_classes_by_pattern(
    dimensions: Sequence[Any], order: Sequence[int],
    allowed: Mapping[tuple[int, str], np.ndarray], limit: int,
) -> list[dict[str, list[Any]]] | None:
    """The activity patterns, each as {parent: the values of that parent that produce it}.

    A parent's values fall into classes by which of its children's conditions
    they satisfy; only one representative per class matters for activity,
    so the patterns are found by enumerating the product of the parents'
    classes (not of all their values, nor of the other categoricals). None if
    that product exceeds `limit` or a parent has more than `_VALUE_LIMIT` values.
    """
    parents = sorted({p for d in dimensions for p in d.when or {}},
                     key=lambda name: [d.name for d in dimensions].index(name))
    index = {d.name: i for i, d in enumerate(dimensions)}
    if any(dimensions[index[p]].cardinality > _VALUE_LIMIT for p in parents):
        return None  # an Integer parent with a huge range: its values are not listed
    classes = [_value_classes(dimensions[index[p]], p, allowed) for p in parents]
    if math.prod(len(c) for c in classes) > limit:
        return None
    # each pattern's values of each parent by their codes, in order of first appearance: a
    # value is never compared with ==, which a numpy scalar answers with an array when
    # compared with a tuple choice
    found: dict[bytes, dict[str, dict[int, Any]]] = {}
    for combo in itertools.product(*classes):
        codes = {p: np.array([members[0][0]]) for p, members in zip(parents, combo)}
        key = activity(dimensions, order, codes, allowed)[0]
        # a parent that is inactive here may take any value: its class does not matter
        entry = found.setdefault(key.tobytes(), {p: {} for p in parents})
        for p, members in zip(parents, combo):
            for code, value in members:
                entry[p].setdefault(code, value)
    return [{p: list(values.values()) for p, values in entry.items()} for entry in found.values()]


def _value_classes(
    dim: Any, name: str, allowed: Mapping[tuple[int, str], np.ndarray],
) -> list[list[tuple[int, Any]]]:
    """The parent's values grouped by the set of conditions on it they satisfy:
    [[(code, value)]]."""
    if hasattr(dim, "choices"):
        pairs = list(enumerate(dim.choices))
    else:  # its grid, by lattice coordinate (`bayesopt.space._code`)
        first, last = dim.lattice
        pairs = list(zip(range(first, last + 1), dim.grid_values()))
    keys = [key for key in allowed if key[1] == name]
    groups: dict[tuple[bool, ...], list[tuple[int, Any]]] = {}
    for code, value in pairs:
        signature = tuple(bool(np.isin(code, allowed[key])) for key in keys)
        groups.setdefault(signature, []).append((code, value))
    return list(groups.values())


def flatten(items: Sequence[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """Expand nested Categoricals (choices given as `{choice: {name: dimension}}`) into
    flat dimensions with `when=`; other dimensions pass through unchanged."""
    out: dict[str, Any] = {}
    tree: dict[str, str] = {}  # the item each flat name came from
    for name, dim in items:
        for flat_name, flat_dim in _expand(name, dim):
            inside = flat_name != name and tree.setdefault(flat_name, name) == name
            _add(out, flat_name, flat_dim, repeated=inside)
    return list(out.items())


def _expand(name: str, dim: Any) -> Iterator[tuple[str, Any]]:
    branches = getattr(dim, "branches", ())
    if not branches:
        yield name, dim
        return
    yield name, dim.without_branches()
    for choice, subspace in branches:
        flat = flatten(list(subspace))
        local = {sub_name for sub_name, _ in flat}
        for sub_name, sub_dim in flat:
            conditions = dict((sub_dim.when or {}).items())
            if any(parent in local for parent in conditions):
                yield sub_name, sub_dim  # nested deeper: its parent already carries this branch
                continue
            if name in conditions:
                raise ValueError(f"dimension {sub_name!r} under {name}={choice!r} already has a "
                                 f"condition on {name!r}")
            conditions[name] = (plain(choice),)
            yield sub_name, sub_dim.with_when(When(list(conditions.items())))


def _add(out: dict[str, Any], name: str, dim: Any, repeated: bool) -> None:
    """Insert a flat dimension; the same definition under sibling choices is merged, and
    so is an identical copy from the same nested item (`repeated`: a sub-tree given under
    several choices, whose deeper dimensions keep their conditions on its merged parent)."""
    if name not in out:
        out[name] = dim
        return
    old = out[name]
    if repeated and old == dim:
        return
    merged = _merge_siblings(old, dim)
    if merged is None:
        raise ValueError(f"dimension name(s) [{name!r}] appear more than once: {_shown(old)} and "
                         f"{_shown(dim)} (a nested space may repeat a name only under choices of "
                         "one parent, with the same definition); give each definition its own "
                         f"name, e.g. {_branch_name(name, dim)!r}, and map it back in the "
                         "objective")
    out[name] = merged


def _shown(dim: Any) -> str:
    """A dimension's definition and its condition, for an error message."""
    spec = dim.to_dict()
    args = ", ".join(f"{key}={value!r}" for key, value in spec.items()
                     if key not in ("type", "when"))
    where = "" if dim.when is None else f" under {dim.when!r}"
    return f"{type(dim).__name__}({args}){where}"


def _branch_name(name: str, dim: Any) -> str:
    """A distinct name for `name` under the branch of `dim`'s last condition: 'lr_C'."""
    if dim.when is None:
        return f"{name}_2"
    values = list(dim.when.values())[-1]
    return f"{values[0]}_{name}"


def _merge_siblings(a: Any, b: Any) -> Any:
    """One dimension active under the union of the choices, or None if a and b differ otherwise."""
    if a.with_when(None) != b.with_when(None) or a.when is None or b.when is None:
        return None
    wa, wb = dict(a.when.items()), dict(b.when.items())
    differing = [p for p in set(wa) | set(wb) if wa.get(p) != wb.get(p)]
    if len(differing) != 1 or differing[0] not in wa or differing[0] not in wb:
        return None
    parent = differing[0]
    wa[parent] = wa[parent] + tuple(v for v in wb[parent] if v not in wa[parent])
    return a.with_when(When(list(wa.items())))

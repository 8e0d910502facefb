"""Checks of arguments and option fields, shared by `acquisition` and `bayesopt`.

    check(name, value) -> canonical value        raises TypeError / ValueError

Every check names the argument, the value and the rule it breaks. `bool` is
never accepted as a number (it is an `int` subclass in Python), integers must
be integers (1.0 is not a count), and real numbers must be finite unless a
bound says otherwise.

Options dataclasses attach one check to each field through its metadata,

    n_restarts: int = field(default=8, metadata=rule(integer(minimum=1)))

and call `check_fields(self)` in `__post_init__`: each field is checked and
replaced by its canonical value (a numpy scalar becomes a Python number, so
the options stay JSON-able). A field without a rule fails that call, so a new
option cannot be added unchecked. This module lives in `acquisition` because
`acquisition` never imports `bayesopt`; `bayesopt.validation` re-exports it.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Callable, Collection, Mapping
from typing import Any

import numpy as np

Check = Callable[[str, Any], Any]  # (field name, value) -> canonical value, or raise

_RULE = "check"  # the metadata key under which a field's check is stored


def rule(check: Check) -> dict[str, Check]:
    """Field metadata holding `check` (see the module docstring)."""
    return {_RULE: check}


def check_fields(instance: Any) -> None:
    """Apply every field's check to a dataclass instance, storing the canonical values."""
    for item in dataclasses.fields(instance):
        check = item.metadata.get(_RULE)
        if check is None:
            raise TypeError(f"{type(instance).__name__}.{item.name} has no check in its metadata")
        value = check(item.name, getattr(instance, item.name))
        object.__setattr__(instance, item.name, value)  # frozen: only __post_init__ may


# ------------------------------------------------------------------ scalars
# numpy scalars whose value a Python int, float, bool, str or bytes holds exactly
_EXACT_SCALARS = (np.integer, np.float64, np.bool_, np.str_, np.bytes_)
# the shorter floats, written as numpy ≥ 2's repr writes them (numpy 1.x's is the bare number)
_SHORT_FLOATS = (np.float16, np.float32)


def shown(value: Any) -> str:
    """`value` as a message shows it: its repr, with a numpy scalar that a Python scalar
    holds exactly written as that scalar (numpy ≥ 2 writes ``np.float64(2.0)`` for what a
    user reads as 2.0). A shorter float is written as numpy ≥ 2's repr writes it,
    ``np.float32(0.4)``, under numpy 1.x too: as a Python float it is 0.4000000059604645,
    which names neither what was given nor its type. A plain list, tuple or dict shows its
    items so (a dict its keys and values)."""
    if isinstance(value, _EXACT_SCALARS):
        return repr(value.item())
    if isinstance(value, _SHORT_FLOATS):
        return f"np.{type(value).__name__}({value!s})"
    if type(value) in (list, tuple):  # an objective's (value, constraints), a list of values
        items = ", ".join(shown(item) for item in value)
        if type(value) is list:
            return f"[{items}]"
        return f"({items}{',' if len(value) == 1 else ''})"
    if type(value) is dict:  # a point's params
        return "{" + ", ".join(f"{shown(key)}: {shown(item)}" for key, item in value.items()) + "}"
    return repr(value)


def _is_integer(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def is_real(value: Any) -> bool:
    """Whether `value` is a real number: any `numbers.Real` (int, float, Fraction, numpy's
    integers and floats), not a bool (nor a Decimal or a str, which float() would read)."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def check_count(key: str, value: Any, minimum: int = 0, maximum: int | None = None) -> int:
    """An integer (not a bool, not a float) in [minimum, maximum]."""
    if not _is_integer(value):
        raise TypeError(f"{key}={shown(value)} must be an integer")
    if value < minimum or (maximum is not None and value > maximum):
        upper = "" if maximum is None else f" and <= {maximum}"
        raise ValueError(f"{key}={shown(value)} must be >= {minimum}{upper}")
    return int(value)


def check_real(
    key: str, value: Any, low: float = -math.inf, high: float = math.inf,
    low_open: bool = False, high_open: bool = False,
) -> float:
    """A finite real number (not a bool) in the interval given by low, high and openness."""
    if not is_real(value):
        raise TypeError(f"{key}={shown(value)} must be a number")
    number = float(value)
    above = number > low if low_open else number >= low
    below = number < high if high_open else number <= high
    if not (math.isfinite(number) and above and below):
        raise ValueError(
            f"{key}={shown(value)} must be finite and {_range(low, high, low_open, high_open)}")
    return number


def _range(low: float, high: float, low_open: bool, high_open: bool) -> str:
    """'> 0', '<= 1' or 'in (0, 1)' for the interval of `check_real`."""
    if math.isinf(high):
        return f"{'>' if low_open else '>='} {low:g}" if math.isfinite(low) else "real"
    if math.isinf(low):
        return f"{'<' if high_open else '<='} {high:g}"
    return f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"


def check_nonnegative(key: str, value: Any) -> float:
    return check_real(key, value, low=0.0)


def check_bool(key: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{key}={shown(value)} must be True or False")
    return bool(value)


def check_choice(key: str, value: Any, choices: Collection[str]) -> str:
    """One of `choices` (a registry's keys when a mapping is given; looked up on each call)."""
    if not isinstance(value, str):
        raise TypeError(f"{key}={shown(value)} must be a string")
    if value not in choices:
        listed = list(choices) if isinstance(choices, (list, tuple)) else sorted(choices)
        raise ValueError(f"{key}={shown(value)} must be one of {listed}")
    return value


# ------------------------------------------------------------ field checks
def integer(minimum: int = 0, maximum: int | None = None) -> Check:
    return lambda key, value: check_count(key, value, minimum, maximum)


def real(low: float = -math.inf, high: float = math.inf, *,
         low_open: bool = False, high_open: bool = False) -> Check:
    return lambda key, value: check_real(key, value, low, high, low_open, high_open)


def boolean() -> Check:
    return check_bool


def choice(choices: Collection[str] | Mapping[str, Any]) -> Check:
    return lambda key, value: check_choice(key, value, choices)


def optional(check: Check) -> Check:
    """None, or what `check` accepts."""
    return lambda key, value: None if value is None else check(key, value)


def instance(cls: type) -> Check:
    """An instance of `cls` (a nested options dataclass, checked by its own constructor)."""
    def check(key: str, value: Any) -> Any:
        if not isinstance(value, cls):
            raise TypeError(f"{key}={shown(value)} must be a {cls.__name__}")
        return value
    return check


def reals(item: Check, *, length: int | None = None) -> Check:
    """A non-empty tuple (of `length` items, if given) each of which `item` accepts."""
    def check(key: str, value: Any) -> tuple[Any, ...]:
        if not isinstance(value, tuple):
            raise TypeError(f"{key}={shown(value)} must be a tuple")
        if not value or (length is not None and len(value) != length):
            raise ValueError(f"{key}={shown(value)} must have {length or 'at least one'} item(s)")
        return tuple(item(f"{key}[{i}]", v) for i, v in enumerate(value))
    return check


def interval(low: float = 0.0) -> Check:
    """A pair (a, b) of finite numbers with low < a <= b."""
    pair = reals(real(low, low_open=True), length=2)

    def check(key: str, value: Any) -> tuple[Any, ...]:
        a, b = pair(key, value)
        if not a <= b:
            raise ValueError(f"{key}={shown(value)} must satisfy low <= high")
        return (a, b)
    return check

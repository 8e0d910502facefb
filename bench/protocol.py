"""What the quality suite needs of an optimizer and of a problem, and how it loads third-party ones.

    adapter = factory(space, seed, n_initial)    # an AdapterFactory: usually the adapter class
    params = adapter.ask()                       # {name: value} in user units
    adapter.tell(params, value)                  # the value evaluate(params) returned
    adapter.recommend(), adapter.stats()         # after the budget

    problem = problem_factory(seed)              # a ProblemFactory: seed seeds its noise
    problem.evaluate(params)                     # what the optimizer is told
    problem.true_value(params)                   # the noiseless value the answer is judged by

`space` is a dict {name: bayesopt.space.Dimension} (`Real`, `Integer`,
`Categorical`); every problem is minimized. The suite drives an adapter one
point at a time for exactly `problem.budget` ask/tell pairs, times ask + tell
as the optimizer's overhead, and judges the point with the best *observed*
value by its noiseless value minus `problem.optimum` (bench/README.md).

Third-party optimizers and problems are named on the command line as
`module:attribute` (the module importable from the current directory or
`PYTHONPATH`, the attribute possibly dotted), e.g.
`python -m bench.quality --optimizer examples.bench_adapter:NelderMeadAdapter`.
An optimizer's name in the report is the factory's `name` attribute if it has
one, else the attribute's name; a problem's name is its `name`.
"""

from __future__ import annotations

import importlib
import math
import re
from collections.abc import Callable, Mapping
from typing import Any, Protocol, runtime_checkable

from bayesopt.space import Dimension, Space

Params = dict[str, Any]
KINDS = ("synthetic", "noisy", "ml")
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]*")  # a name is a directory of the run cache


@runtime_checkable
class OptimizerAdapter(Protocol):
    """One optimizer, minimizing, driven one point at a time by the suite.

    The same (space, seed) and the same told values must give the same
    asks: runs are compared seed by seed and cached as their record.
    `bench.adapters.Adapter` is a base class that supplies `recommend`
    (None) and `stats` ({}) and a `canonical` helper for the params.

    Optional: `identity() -> dict`, keys that identify the algorithm (a
    version, a fingerprint of its configuration), stored in every run record.
    """

    def ask(self) -> Params:
        """The next point to evaluate: one value for every dimension of the space, in user units.

        Reals as float, integers as int within their bounds, categoricals as
        one of their choices; the suite validates it against the space.
        """
        ...

    def tell(self, params: Params, value: float) -> None:
        """The (possibly noisy) value observed at `params`, the point the last `ask` returned."""
        ...

    def recommend(self) -> Params | None:
        """The optimizer's own final answer (e.g. the best posterior mean), or None.

        None means "the point with the best observed value", which the
        suite judges anyway; a recommendation is judged in a second table.
        """
        ...

    def stats(self) -> dict[str, Any]:
        """Counters worth reporting, {name: number}, e.g. repaired duplicate proposals."""
        ...


class AdapterFactory(Protocol):
    """Builds an adapter for one run; an adapter class whose `__init__` takes these is one."""

    def __call__(self, space: Mapping[str, Dimension], seed: int,
                 n_initial: int) -> OptimizerAdapter:
        """`n_initial`: the size of the initial design every optimizer gets (d + 1 within [5, 20])."""
        ...


@runtime_checkable
class Problem(Protocol):
    """A minimization problem of the suite; a fresh instance per run.

    Attributes:
        name: its name in the report and the run cache (letters, digits, `_.+-`).
        kind: "synthetic" (noiseless, `optimum` known), "noisy" (`evaluate` adds
            noise, `true_value` is the noiseless value) or "ml" (deterministic,
            no known optimum: the score is the value itself).
        space: {name: Dimension}, the search space in user units.
        budget: the number of evaluations of one run (50 for d ≤ 6, 100 above
            in the built-in problems).
        optimum: f*, the minimum of the noiseless function, or None if unknown.
        minimize: always True (negate a quantity to be maximized).
    """

    name: str
    kind: str
    space: dict[str, Dimension]
    budget: int
    minimize: bool

    @property
    def optimum(self) -> float | None:  # read only: a problem's own may be float or None
        ...

    def evaluate(self, params: Mapping[str, Any]) -> float:
        """The value the optimizer is told (with the noise of a noisy problem, seeded per run)."""
        ...

    def true_value(self, params: Mapping[str, Any]) -> float:
        """The noiseless value at `params`, used only to judge the answer."""
        ...


class ProblemFactory(Protocol):
    """Builds the problem for one run; `seed` seeds its noise (a noiseless problem ignores it)."""

    def __call__(self, seed: int) -> Problem:
        ...


# ------------------------------------------------------------------ loading
def is_spec(text: str) -> bool:
    """Whether `text` names a third-party object (`module:attribute`) rather than a built-in."""
    return ":" in text


def load(spec: str) -> Any:
    """The object `module:attribute` names; ValueError saying what is wrong with `spec`."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"{spec!r} is not of the form module:attribute "
                         "(e.g. examples.bench_adapter:NelderMeadAdapter)")
    try:
        obj: Any = importlib.import_module(module_name)
    except Exception as error:  # any import failure is the user's module's
        raise ValueError(f"{spec!r}: cannot import module {module_name!r}: "
                         f"{type(error).__name__}: {error}") from error
    for part in attribute.split("."):
        if not hasattr(obj, part):
            raise ValueError(f"{spec!r}: {module_name!r} has no attribute {attribute!r}")
        obj = getattr(obj, part)
    return obj


def check_name(name: Any, what: str) -> str:
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise ValueError(f"{what} name {name!r} must be letters, digits and _.+- "
                         "(it names a directory of the run cache)")
    return name


def load_optimizer(spec: str) -> tuple[str, AdapterFactory]:
    """(name, factory) of a third-party optimizer `module:attribute`."""
    factory = load(spec)
    if not callable(factory):
        raise TypeError(f"optimizer {spec!r} is a {type(factory).__name__}, not a factory "
                        "called as factory(space, seed, n_initial) (e.g. an adapter class)")
    name = getattr(factory, "name", None)
    if not isinstance(name, str):
        name = spec.rpartition(".")[2].rpartition(":")[2]
    return check_name(name, f"optimizer {spec!r}:"), factory


def load_problem(spec: str) -> ProblemFactory:
    """The factory of a third-party problem `module:attribute`, called as factory(seed)."""
    factory = load(spec)
    if not callable(factory):
        raise TypeError(f"problem {spec!r} is a {type(factory).__name__}, not a factory "
                        "called as factory(seed) (e.g. a problem class)")
    return factory  # type: ignore[no-any-return]


# --------------------------------------------------------------- checking
ADAPTER_METHODS = ("ask", "tell", "recommend", "stats")


def check_adapter(adapter: Any, where: str) -> OptimizerAdapter:
    """`adapter` if it has the methods of `OptimizerAdapter`, else TypeError naming the missing."""
    missing = [m for m in ADAPTER_METHODS if not callable(getattr(adapter, m, None))]
    if missing:
        raise TypeError(f"optimizer {where}: {type(adapter).__name__} lacks method(s) "
                        f"{', '.join(missing)} of bench.protocol.OptimizerAdapter (subclass "
                        "bench.adapters.Adapter for default recommend and stats)")
    return adapter  # type: ignore[no-any-return]


def check_problem(problem: Any, where: str) -> Problem:
    """`problem` if it satisfies `Problem`, else TypeError/ValueError naming the bad attribute."""
    for method in ("evaluate", "true_value"):
        if not callable(getattr(problem, method, None)):
            raise TypeError(f"problem {where}: {type(problem).__name__} lacks method {method}")
    for attribute in ("name", "kind", "space", "budget", "optimum", "minimize"):
        if not hasattr(problem, attribute):
            raise TypeError(f"problem {where}: {type(problem).__name__} lacks attribute "
                            f"{attribute}")
    check_name(problem.name, f"problem {where}:")
    _check_attributes(problem, where)
    return problem  # type: ignore[no-any-return]


def _check_attributes(problem: Any, where: str) -> None:
    rules: dict[str, tuple[Callable[[Any], bool], str]] = {
        "kind": (lambda v: v in KINDS, f"one of {', '.join(KINDS)}"),
        "budget": (lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1,
                   "an int >= 1"),
        "optimum": (lambda v: v is None or (isinstance(v, (int, float))
                                            and not isinstance(v, bool) and math.isfinite(v)),
                    "None or a finite number"),
        "minimize": (lambda v: v is True, "True (negate an objective to be maximized)"),
        "space": (lambda v: isinstance(v, dict) and len(v) > 0, "a non-empty dict of dimensions"),
    }
    for attribute, (ok, expected) in rules.items():
        value = getattr(problem, attribute)
        if not ok(value):
            raise ValueError(f"problem {where}: {attribute}={value!r}; expected {expected}")
    if (problem.kind == "ml") != (problem.optimum is None):
        raise ValueError(f"problem {where}: kind={problem.kind!r} with optimum="
                         f"{problem.optimum!r}; an 'ml' problem has no optimum, the others one")
    try:
        Space(dict(problem.space))
    except (TypeError, ValueError) as error:
        raise ValueError(f"problem {where}: invalid space: {error}") from error

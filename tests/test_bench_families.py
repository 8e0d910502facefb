"""bench.families: six problems outside the suite, reached as third-party problem factories.

Only bayesopt, numpy and scikit-learn are needed (no peer is imported).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `bench` is not installed: import it from the repository
    sys.path.insert(0, str(ROOT))

from bayesopt.space import Categorical, Integer, Space
from bench import families
from bench.problems import ML, SMALL_BUDGET, make_problem

NAMES = families.INTEGER_HEAVY + families.MIXED


@pytest.mark.parametrize("name", NAMES)
def test_a_factory_builds_a_problem_of_the_protocol_and_a_point_scores(name: str) -> None:
    problem = make_problem(f"bench.families:{name}", seed=3)  # checked against the protocol
    assert problem.name == name and problem.kind == "ml" and problem.optimum is None
    assert problem.budget == SMALL_BUDGET
    space = Space(problem.space)
    point = space.decode(space.from_unit(np.full((1, space.n_dims), 0.5)))[0]
    value = problem.evaluate(point)
    assert math.isfinite(value) and 0.0 <= value <= 1.0
    assert problem.true_value(point) == value  # deterministic: fixed folds and model seeds


def test_the_families_have_their_kinds_and_differ_from_the_suite() -> None:
    assert not set(NAMES) & set(ML)
    for name in families.INTEGER_HEAVY:
        dims = list(families.make(name).space.values())
        assert sum(isinstance(d, Integer) for d in dims) >= len(dims) - 1, name
    for name in families.MIXED:
        dims = list(families.make(name).space.values())
        assert any(isinstance(d, Categorical) for d in dims), name
        assert not all(isinstance(d, Categorical) for d in dims), name
    suite = [(make_problem(p).dataset, sorted(make_problem(p).space)) for p in ML]
    for name in NAMES:
        problem = families.make(name)
        assert (problem.dataset, sorted(problem.space)) not in suite, name


def test_an_unknown_name_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="name='forest_cancer'"):
        families.make("forest_cancer")

"""Conditional search spaces: `when=`, the nested form, validation, encoding (issue 15).

    A : (n, n_dims) activity of each dimension at n points
    U : (n, n_columns) encoded rows = [dimension columns | one activity column per
        conditional dimension]; inactive columns sit at INACTIVE_VALUE

Property tests (hypothesis) draw random condition trees: a chain of
Categorical/Integer parents, each dimension conditioned on an earlier one.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from bayesopt import Categorical, Fidelity, Integer, Real
from bayesopt.space import Space
from kernels.kernel import INACTIVE_VALUE

PROPERTY = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def issue_space() -> dict[str, Any]:
    """The example of issue 15."""
    return {
        "model": Categorical(["svm", "forest", "knn"]),
        "C": Real(1e-3, 1e3, log=True, when={"model": "svm"}),
        "kernel": Categorical(["rbf", "linear"], when={"model": "svm"}),
        "gamma": Real(1e-4, 1.0, log=True, when={"kernel": "rbf"}),
        "n_estimators": Integer(10, 500, log=True, when={"model": "forest"}),
        "k": Integer(1, 50, when={"model": ["knn"]}),
    }


# ------------------------------------------------------------ construction
@pytest.mark.parametrize("build, error, match", [
    (lambda: Space({"a": Real(0, 1, when={"b": 1}), "b": Categorical([1, 2], when={"a": 1})}),
     TypeError, r"'b'.*parent 'a' is a Real"),
    (lambda: Space({"a": Categorical([1, 2], when={"b": 1}),
                    "b": Categorical([1, 2], when={"a": 1})}),
     ValueError, r"cycle: a -> b -> a|cycle: b -> a -> b"),
    (lambda: Space({"a": Categorical([1, 2], when={"a": 1})}), ValueError, r"cycle: a -> a"),
    (lambda: Space({"x": Real(0, 1, when={"model": "svm"})}),
     ValueError, r"'x': when= names an unknown parent 'model'"),
    (lambda: Space({"m": Categorical(["svm"]), "x": Real(0, 1, when={"m": "forest"})}),
     ValueError, r"'x': when=\{'m': 'forest'\} is a value 'm' cannot take"),
    (lambda: Space({"n": Integer(1, 3), "x": Real(0, 1, when={"n": [2, 7]})}),
     ValueError, r"'x': when=\{'n': 7\} is a value 'n' cannot take"),
    (lambda: Space({"n": Integer(1, 3), "x": Real(0, 1, when={"n": 1.5})}),
     ValueError, r"'x': when=\{'n': 1.5\}"),
    (lambda: Space({"m": Categorical(["a", "b"]), "k": Integer(1, 5, when={"m": "a"}),
                    "w": Real(0, 1, when={"m": "b", "k": 3})}),
     ValueError, r"'w' can never be active.*'m'.*'w' needs m=\['b'\]; 'k' needs m=\['a'\]"),
    (lambda: Space({"r": Real(0, 1), "x": Real(0, 1, when={"r": 0.5})}),
     TypeError, r"'x': when= parent 'r' is a Real; a condition needs a Categorical, Integer or stepped Real"),
    (lambda: Space({"ep": Fidelity(1, 9), "x": Real(0, 1, when={"ep": 3})}),
     TypeError, r"'x': when= parent 'ep' is a Fidelity; a condition needs a Categorical,"),
    (lambda: Real(0, 1, name="x", when="svm"), TypeError, r"'x': when='svm' must be a dict"),
    (lambda: Real(0, 1, name="x", when={}), ValueError, r"'x': when=\{\} is empty"),
    (lambda: Integer(0, 1, name="x", when={"m": []}), ValueError, r"'x'.*allows no value"),
    (lambda: Categorical([1], name="x", when={"m": [[1]]}), TypeError, r"'x'.*not hashable"),
    (lambda: Real(0, 1, name="x", when={3: "a"}), TypeError, r"'x': when= key 3"),
    (lambda: Space({"m": Categorical({"a": {"x": Real(0, 1)}, "b": {"x": Real(0, 2)}})}),
     ValueError, r"\['x'\] appear more than once"),
    (lambda: Categorical({"a": [Real(0, 1)]}, name="m"), TypeError,
     r"'m': the sub-space of choice 'a' must be a dict"),
])
def test_malformed_conditions_raise_naming_them(build, error, match) -> None:
    with pytest.raises(error, match=match):
        build()


def test_a_dimension_whose_ancestors_need_overlapping_values_is_built() -> None:
    # w needs k and j active: k needs m in {a, b}, j needs m in {b, c}; m = b does both
    space = Space({"m": Categorical(["a", "b", "c"]), "k": Integer(1, 5, when={"m": ["a", "b"]}),
                   "j": Integer(1, 5, when={"m": ["b", "c"]}),
                   "w": Real(0, 1, when={"k": 3, "j": 2})})
    space.validate({"m": "b", "k": 3, "j": 2, "w": 0.5})


def test_nested_form_builds_the_same_conditions_as_when() -> None:
    nested = Space({
        "model": Categorical({
            "svm": {"C": Real(1e-3, 1e3, log=True),
                    "kernel": Categorical({"rbf": {"gamma": Real(1e-4, 1.0, log=True)},
                                           "linear": None})},
            "forest": {"n_estimators": Integer(10, 500, log=True)},
            "knn": {"k": Integer(1, 50)},
        }),
    })
    assert nested == Space(issue_space())
    assert nested.to_dict() == Space(issue_space()).to_dict()


def test_nested_form_merges_a_name_shared_by_sibling_choices() -> None:
    space = Space({"opt": Categorical({"sgd": {"lr": Real(1e-4, 1.0, log=True),
                                               "momentum": Real(0, 1)},
                                       "adam": {"lr": Real(1e-4, 1.0, log=True)}})})
    assert space["lr"].when == {"opt": ("sgd", "adam")}
    assert space.validate({"opt": "adam", "lr": 0.01}) == {"opt": "adam", "lr": 0.01}


def test_a_space_file_may_write_the_nested_form() -> None:
    """A space file (TOML or JSON: `Space.from_dict`) writes a choice's sub-space as a table
    of dimension tables, an empty table (or JSON null) for a choice without parameters; it
    was refused with "{'type': 'real', ...} is not a Real, Integer, Categorical or Fidelity"."""
    spec = {"model": {"type": "categorical", "choices": {
        "svm": {"C": {"type": "real", "low": 1e-3, "high": 1e3, "log": True},
                "kernel": {"type": "categorical", "choices": {
                    "rbf": {"gamma": {"type": "real", "low": 1e-4, "high": 1.0, "log": True}},
                    "linear": {}}}},
        "forest": {"n_estimators": {"type": "integer", "low": 10, "high": 500, "log": True}},
        "knn": {"k": {"type": "integer", "low": 1, "high": 50}},
    }}}
    assert Space.from_dict(spec) == Space(issue_space())
    spec["model"]["choices"]["knn"] = None
    assert Space.from_dict(spec)["model"].choices == ("svm", "forest", "knn")
    spec["model"]["choices"]["knn"] = 3
    with pytest.raises(TypeError, match=r"dimension 'model': the sub-space of choice 'knn'.* 3"):
        Space.from_dict(spec)
    spec["model"]["choices"]["knn"] = {"k": {"type": "integer", "low": 1, "hihg": 50}}
    with pytest.raises(ValueError, match=r"dimension 'k' of type 'integer'.*'hihg'"):
        Space.from_dict(spec)


def test_nested_form_merges_a_sub_tree_repeated_under_sibling_choices() -> None:
    """hyperopt users repeat a sub-space under several choices: the repeated schedule's own
    child T was refused as "appear more than once" although both copies were identical."""
    def schedule() -> Categorical:
        return Categorical({"cosine": {"T": Integer(1, 10)}, "constant": None})

    space = Space({"opt": Categorical({"sgd": {"sched": schedule(), "mom": Real(0, 1)},
                                       "adam": {"sched": schedule()}, "rms": None})})
    assert space["sched"].when == {"opt": ("sgd", "adam")}
    assert space["T"].when == {"sched": ("cosine",)}
    assert space.validate({"opt": "adam", "sched": "cosine", "T": 3}) == {
        "opt": "adam", "sched": "cosine", "T": 3}
    assert space.validate({"opt": "rms"}) == {"opt": "rms"}
    # a copy that differs is still refused, naming both definitions
    with pytest.raises(ValueError, match=r"\['T'\] appear more than once: Integer\(low=1, "
                                         r"high=10.*Integer\(low=1, high=20"):
        Space({"opt": Categorical({"sgd": {"sched": schedule()}, "adam": {"sched": Categorical(
            {"cosine": {"T": Integer(1, 20)}, "constant": None})}})})
    # and so is a name given twice in a flat list, identical or not
    with pytest.raises(ValueError, match=r"\['x'\] appear more than once"):
        Space([Categorical(["a", "b"], name="m"), Real(0, 1, name="x", when={"m": "a"}),
               Real(0, 1, name="x", when={"m": "a"})])


def test_definition_round_trips_through_to_dict() -> None:
    space = Space(issue_space())
    spec = space.to_dict()
    assert spec["gamma"]["when"] == {"kernel": ["rbf"]}
    assert "when" not in spec["model"]
    assert Space.from_dict(spec) == space


# --------------------------------------------------------------- validate
def test_validate_requires_exactly_the_active_keys() -> None:
    space = Space(issue_space())
    assert space.validate({"model": "knn", "k": 3}) == {"model": "knn", "k": 3}
    point = {"model": "svm", "C": 1.0, "kernel": "rbf", "gamma": 0.1}
    assert space.validate(point) == point
    with pytest.raises(ValueError, match=r"missing parameter\(s\) \['gamma'\].*active"):
        space.validate({"model": "svm", "C": 1.0, "kernel": "rbf"})
    with pytest.raises(ValueError, match=r"'gamma' \(needs \{'kernel': \['rbf'\]\}\) are inactive"):
        space.validate({"model": "svm", "C": 1.0, "kernel": "linear", "gamma": 0.1})
    with pytest.raises(ValueError, match=r"'k' \(needs \{'model': \['knn'\]\}\) are inactive"):
        space.validate({"model": "forest", "n_estimators": 20, "k": 3})
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) \['depth'\]"):
        space.validate({"model": "knn", "k": 3, "depth": 2})


def test_integer_parent_and_several_conditions() -> None:
    space = Space({
        "layers": Integer(1, 3),
        "opt": Categorical(["sgd", "adam"]),
        "lr2": Real(0, 1, when={"layers": [2, 3]}),
        "momentum2": Real(0, 1, when={"layers": [2, 3], "opt": "sgd"}),
    })
    assert space.validate({"layers": 1, "opt": "sgd"}) == {"layers": 1, "opt": "sgd"}
    assert set(space.validate({"layers": 3, "opt": "sgd", "lr2": 0.5, "momentum2": 0.1})) == {
        "layers", "opt", "lr2", "momentum2"}
    with pytest.raises(ValueError, match="momentum2"):
        space.validate({"layers": 2, "opt": "adam", "lr2": 0.5, "momentum2": 0.1})


# ----------------------------------------------------------------- encoding
def test_encode_imputes_inactive_columns_and_sets_activity_columns() -> None:
    space = Space(issue_space())
    U = space.encode([{"model": "knn", "k": 50}, {"model": "svm", "C": 1e3, "kernel": "linear"}])
    assert U.shape == (2, space.n_columns)
    c, gamma, k = space.slices[1], space.slices[3], space.slices[5]
    assert_array_equal(U[0, c], INACTIVE_VALUE)
    assert_array_equal(U[1, gamma], INACTIVE_VALUE)
    assert space.decode(U[:1])[0]["k"] == 50 and 0.9 < U[0, k][0] < 1.0
    # activity columns, one per conditional dimension: C, kernel, gamma, n_estimators, k
    assert_array_equal(U[:, space.activity_columns], [[0, 0, 0, 0, 1], [1, 1, 0, 0, 0]])
    assert space.gates is not None and space.gates[c.start] == space.activity_columns[0]


def test_decode_returns_only_the_active_keys() -> None:
    space = Space(issue_space())
    U = np.full((1, space.n_columns), 0.9)
    U[0, space.slices[0]] = [0.0, 0.2, 0.1]  # model = forest
    assert space.decode(U) == [{"model": "forest", "n_estimators": space.decode(U)[0]["n_estimators"]}]
    assert set(space.decode(U)[0]) == {"model", "n_estimators"}


def test_unconditional_space_has_no_activity_columns() -> None:
    space = Space({"x": Real(0, 1), "c": Categorical(["a", "b"])})
    assert not space.conditional and space.gates is None and space.n_columns == 3


def test_cardinality_counts_distinct_conditional_points() -> None:
    space = Space({"m": Categorical(["a", "b"]), "k": Integer(1, 3, when={"m": "a"})})
    assert space.cardinality == 4  # (a, 1), (a, 2), (a, 3), (b)


@st.composite
def condition_trees(draw: st.DrawFn) -> Space:
    """A random space: each dimension may be conditioned on one or two earlier discrete ones."""
    n = draw(st.integers(2, 7))
    dims: dict[str, Any] = {}
    discrete: list[str] = []
    for i in range(n):
        when = None
        if discrete and draw(st.booleans()):
            when = {}
            for parent in draw(st.lists(st.sampled_from(discrete), min_size=1, max_size=2,
                                        unique=True)):
                values = _values(dims[parent])
                when[parent] = draw(st.lists(st.sampled_from(values), min_size=1, unique=True))
        kind = draw(st.sampled_from(["real", "integer", "categorical"]))
        name = f"d{i}"
        if when is not None and len(when) == 2 and not _can_be_active(dims, name, when):
            when = dict([next(iter(when.items()))])  # one parent: always satisfiable
        if kind == "real":
            dims[name] = Real(0.1, 10.0, log=draw(st.booleans()), when=when)
        elif kind == "integer":
            dims[name] = Integer(0, draw(st.integers(0, 5)), when=when)
            discrete.append(name)
        else:
            dims[name] = Categorical([f"c{j}" for j in range(draw(st.integers(1, 4)))], when=when)
            discrete.append(name)
    return Space(dims)


def _can_be_active(dims: dict[str, Any], name: str, when: dict[str, Any]) -> bool:
    """Whether a dimension `name` with `when` could be active (two parents whose own
    conditions need one ancestor's values that exclude one another: never)."""
    try:
        Space({**dims, name: Real(0.1, 10.0, when=when)})
    except ValueError as error:
        assert "can never be active" in str(error), error
        return False
    return True


def _values(dim: Any) -> list[Any]:
    return list(dim.choices) if isinstance(dim, Categorical) else list(range(dim.low, dim.high + 1))


@PROPERTY
@given(condition_trees(), st.integers(0, 2**32 - 1))
def test_every_decoded_point_is_valid_and_round_trips(space: Space, seed: int) -> None:
    rng = np.random.default_rng(seed)
    U = rng.random((16, space.n_columns))  # arbitrary relaxed rows, activity columns included
    points = space.decode(U)
    for point in points:
        assert space.validate(point) == point  # exactly the active keys
    encoded = space.encode(points)
    assert np.all((encoded >= 0) & (encoded <= 1))
    for again, point in zip(space.decode(encoded), points):
        assert again.keys() == point.keys()
        for name, value in point.items():
            assert again[name] == (pytest.approx(value, rel=1e-12) if isinstance(value, float)
                                   else value)
    assert_allclose(space.project(U), encoded)  # project = encode ∘ decode
    feasible = space.from_unit(rng.random((8, space.n_dims)))
    assert_allclose(space.encode(space.decode(feasible)), feasible, rtol=0, atol=1e-12)


# ------------------------------------------------- candidates by pattern
def _deep_tree() -> dict[str, Any]:
    """A chain of 4 binary choices: the deepest leaf has 1/16 of the volume."""
    space: dict[str, Any] = {"c0": Categorical(["a", "b"])}
    for level in range(1, 4):
        space[f"c{level}"] = Categorical(["a", "b"], when={f"c{level - 1}": "a"})
    space["leaf"] = Real(0, 1, when={"c3": "a"})
    return space


def test_candidates_spread_over_the_activity_patterns() -> None:
    space = Space(_deep_tree())
    U = space.candidates(1000, np.random.default_rng(0))
    assert U.shape == (1000, space.n_columns)
    assert_allclose(space.project(U), U)  # feasible
    A = space.activity(U)
    patterns, counts = np.unique(A, axis=0, return_counts=True)
    assert len(patterns) == 5  # c0=b; c0=a,c1=b; …; the leaf
    leaf = A[:, space.names.index("leaf")]
    assert leaf.sum() >= 500 // 5  # uniform sampling would give it ~1000/16
    assert counts.min() >= 100


def test_candidates_give_an_active_child_a_value_of_its_own() -> None:
    """A child that is no parent (a categorical leaf, a real) is not set by the patterns:
    where a pattern makes it active it keeps its own draw. Before, a draw whose random
    parent left it inactive kept the imputed 0.5 in its columns once the pattern's parent
    made it active: a categorical's one-hot was 0.5 in every column (no choice; an ask
    there decoded to its first choice), a real sat at the centre of its range."""
    space = Space({"model": Categorical(["svm", "knn"]),
                   "C": Real(0, 1, when={"model": "svm"}),
                   "weights": Categorical(["uniform", "distance", "rank"],
                                          when={"model": "knn"})})
    U = space.candidates(1000, np.random.default_rng(0))
    assert_allclose(space.project(U), U)  # every row a valid encoding
    active = space.activity(U)
    C = U[active[:, space.names.index("C")], space.slices[space.names.index("C")]]
    assert np.count_nonzero(C == 0.5) <= 1


def test_a_parent_mixing_numpy_scalar_and_tuple_choices_spreads_candidates() -> None:
    """The patterns list each parent's values by their codes: listing them by == had
    compared np.int64(7) with (1, 2), an array whose truth value raised ValueError."""
    space = Space({"units": Categorical([(1, 2), np.int64(7), np.float64(0.5), (3,)]),
                   "x": Real(0, 1, when={"units": [np.int64(7), (1, 2)]}),
                   "y": Real(0, 1, when={"units": np.float64(0.5)})})
    U = space.candidates(256, np.random.default_rng(0))
    assert_allclose(space.project(U), U)
    patterns = np.unique(space.activity(U), axis=0)
    assert len(patterns) == 3  # x active, y active, neither (units=(3,))


def test_candidates_of_many_patterns_are_sobol() -> None:
    """Nine independent switches give 512 patterns: more than enumerated; plain Sobol."""
    space_def: dict[str, Any] = {}
    for i in range(9):
        space_def[f"s{i}"] = Categorical([0, 1])
        space_def[f"x{i}"] = Real(0, 1, when={f"s{i}": 1})
    space = Space(space_def)
    rng_a, rng_b = np.random.default_rng(3), np.random.default_rng(3)
    assert_array_equal(space.candidates(64, rng_a), space.sobol(64, rng_b))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(condition_trees(), st.integers(0, 2**16))
def test_every_ask_on_a_random_condition_tree_is_valid_and_round_trips(space: Space,
                                                                       seed: int) -> None:
    """Design and model asks (n_initial=3), single and batched."""
    import warnings

    from bayesopt import Optimizer

    opt = Optimizer(space, seed=seed, n_initial=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a tiny finite space may be exhausted: it warns
        for step in range(5):
            batch = opt.ask(2) if step == 3 else [opt.ask()]
            for params in batch:
                assert space.validate(params) == params
                again = space.decode(space.encode([params]))[0]
                assert again.keys() == params.keys()
                opt.tell(params, float(len(params)) + float(step))


def test_candidates_with_a_huge_integer_parent_are_sobol() -> None:
    space = Space({"n": Integer(0, 10**7), "x": Real(0, 1, when={"n": [0, 1]})})
    rng_a, rng_b = np.random.default_rng(5), np.random.default_rng(5)
    assert_array_equal(space.candidates(32, rng_a), space.sobol(32, rng_b))


def test_a_name_defined_differently_in_two_branches_is_refused_with_both_and_a_new_name() -> None:
    # hyperopt users write {"svm": {"C": ...}, "lr": {"C": ...}} with two ranges: say how to
    nested = {"model": Categorical({"svm": {"C": Real(1e-3, 1e3, log=True)},
                                    "lr": {"C": Real(1e-2, 1e2, log=True)}})}
    with pytest.raises(ValueError, match=(
            r"\['C'\] appear more than once: Real\(low=0.001, high=1000.0, log=True\) under "
            r"\{'model': \['svm'\]\} and Real\(low=0.01, high=100.0, log=True\) under "
            r"\{'model': \['lr'\]\}.*own name, e.g. 'lr_C'")):
        Space(nested)
    # the suggested name builds, and asks carry it only under its branch
    renamed = {"model": Categorical({"svm": {"C": Real(1e-3, 1e3, log=True)},
                                     "lr": {"lr_C": Real(1e-2, 1e2, log=True)}})}
    assert Space(renamed)["lr_C"].when == {"model": ("lr",)}


def test_a_set_of_parent_values_is_stored_in_one_order_whatever_the_hash_seed() -> None:
    """when={"a": {"p", "q", ...}} kept the set's iteration order, which follows
    PYTHONHASHSEED: a journal written by one process was 'written for another space' to
    the next (checked with PYTHONHASHSEED 1 against 2-5). The values are now sorted."""
    script = ("from bayesopt import Categorical, Real, Space\n"
              "s = Space({'a': Categorical(list('pqrstuvw')),\n"
              "           'b': Real(0, 1, when={'a': set('wvutsrq')})})\n"
              "print(s.to_dict()['b']['when']['a'])\n")
    seen = set()
    for hash_seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                              text=True, check=True)
        seen.add(done.stdout.strip())
    assert seen == {str(sorted("wvutsrq"))}


def test_an_exhausted_finite_conditional_space_warns_at_the_callers_line_and_repeats() -> None:
    """The warning was attributed to bayesopt/optimizer.py (a fixed stacklevel, one frame
    short), so it named no line of the user's and showed once per process at most.
    minimize stops there (`minimize`'s n_calls); an ask repeats a point."""
    import warnings

    from bayesopt import Optimizer, SpaceExhaustedWarning, minimize

    def space() -> dict[str, Any]:
        return {"m": Categorical({"a": {"k": Integer(1, 2)}, "b": None})}  # 3 points

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = minimize(lambda p: p.get("k", 3), space(), n_calls=5, seed=0, progress=False)
        opt = Optimizer(space(), seed=0)
        for params in [{"m": "a", "k": 1}, {"m": "a", "k": 2}, {"m": "b"}]:
            opt.tell(params, 1.0)
        again = opt.ask()
    exhausted = [w for w in caught if w.category is SpaceExhaustedWarning]
    # minimize stops on the exhausted space (one warning); the ask repeats a point
    assert len(exhausted) == 2 and "every one of its 3 points" in str(exhausted[0].message)
    assert "all 3 points" in str(exhausted[1].message)
    assert [w.filename for w in exhausted] == [__file__] * 2
    keys = [tuple(sorted(o.params.items())) for o in result.history]
    assert len(set(keys)) == 3 and len(keys) == 3 and result.stop_reason == "space_exhausted"
    assert again in [{"m": "a", "k": 1}, {"m": "a", "k": 2}, {"m": "b"}]

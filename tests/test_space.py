"""Tests for bayesopt.space: encoding round trips, feasibility, validation, serialization.

    p      : a point, {name: value}
    U      : (n, n_columns) encoded rows in the unit cube
    encode : points → U,  decode : U (possibly relaxed) → points,  project : U → feasible U

Property tests (hypothesis) draw random spaces together with valid points of them.
"""

from __future__ import annotations

import collections
import decimal
import json
import math
from typing import Any

import hyperopt
import numpy as np
import optuna
import pandas as pd
import pytest
import skopt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_array_equal

from bayesopt import Optimizer
from bayesopt.space import (
    Categorical,
    Dimension,
    Fidelity,
    Integer,
    Real,
    Space,
    dimension_from_dict,
)

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ----------------------------------------------------------- strategies


@st.composite
def real_dimensions(draw: st.DrawFn) -> tuple[Dimension, st.SearchStrategy]:
    if draw(st.booleans()):
        low = draw(st.floats(1e-8, 1e4))
        high = low * draw(st.floats(1.001, 1e6))
        dim = Real(low, high, log=True)
    else:
        low = draw(st.floats(-1e6, 1e6))
        high = low + draw(st.floats(1e-3, 1e6))
        dim = Real(low, high)
    values = st.one_of(st.sampled_from([dim.low, dim.high]), st.floats(dim.low, dim.high))
    return dim, values


@st.composite
def integer_dimensions(draw: st.DrawFn) -> tuple[Dimension, st.SearchStrategy]:
    log = draw(st.booleans())
    low = draw(st.integers(1, 1000) if log else st.integers(-1000, 1000))
    high = low + draw(st.one_of(st.just(0), st.integers(0, 30), st.integers(0, 10**6)))
    dim = Integer(low, high, log=log)
    return dim, st.integers(low, high)


HASHABLE_CHOICES = st.one_of(
    st.text(max_size=5),
    st.integers(-5, 5),
    st.none(),
    st.tuples(st.integers(0, 3), st.text(max_size=2)),
)


@st.composite
def categorical_dimensions(draw: st.DrawFn) -> tuple[Dimension, st.SearchStrategy]:
    choices = draw(st.lists(HASHABLE_CHOICES, min_size=1, max_size=6, unique=True))
    return Categorical(choices), st.sampled_from(choices)


STEPS = (0.1, 0.05, 1e-3, 0.25, 0.2, 2.5)  # steps users write, with bounds in their decimals


@st.composite
def stepped_dimensions(draw: st.DrawFn) -> tuple[Dimension, st.SearchStrategy]:
    """Integer(low, low + n·k, step=k) or Real(low, low + n·s, step=s) with low and high
    written in the step's decimals, and grid values written so too or as float arithmetic
    makes them (3·0.1 = 0.30000000000000004)."""
    n = draw(st.integers(1, 2000))
    if draw(st.booleans()):
        low, k = draw(st.integers(-1000, 1000)), draw(st.integers(2, 64))
        return Integer(low, low + n * k, step=k), st.integers(0, n).map(lambda i: low + i * k)
    s = draw(st.sampled_from(STEPS))
    low = float(draw(st.integers(-1000, 1000)) * s)  # as a user writes it: -0.3, 2.5, 0.007
    low = float(f"{low:.3f}")
    high = float(decimal.Decimal(repr(low)) + n * decimal.Decimal(repr(s)))
    index = st.integers(0, n)
    values = st.one_of(index.map(lambda i: float(decimal.Decimal(repr(low))
                                                 + i * decimal.Decimal(repr(s)))),
                       index.map(lambda i: low + i * s))
    return Real(low, high, step=s), values


DIMENSIONS = st.one_of(real_dimensions(), integer_dimensions(), categorical_dimensions(),
                       stepped_dimensions())


@st.composite
def spaces_and_points(draw: st.DrawFn) -> tuple[Space, dict[str, Any]]:
    drawn = draw(st.lists(DIMENSIONS, min_size=1, max_size=5))
    names = [f"x{i}" for i in range(len(drawn))]
    space = Space({name: dim for name, (dim, _) in zip(names, drawn)})
    point = {name: draw(values) for name, (_, values) in zip(names, drawn)}
    return space, point


def _unit_rows(space: Space, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    U = rng.uniform(size=(n, space.n_columns))
    U[0] = 0.0
    U[1] = 1.0
    return U


def _assert_same_point(space: Space, got: dict[str, Any], expected: dict[str, Any]) -> None:
    assert list(got) == list(space.names)
    for dim in space.dimensions:
        a, b = got[dim.name], expected[dim.name]
        if isinstance(dim, Real):
            # linear encoding loses ~eps·(high − low) in absolute terms; log encoding ~eps relative
            span = 0.0 if dim.log else dim.high - dim.low
            assert math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12 * span), (dim, a, b)
            assert type(a) is float
        else:
            assert a == b, (dim, a, b)
            assert type(a) is type(b)


# ----------------------------------------------------------- properties


@PROPERTY
@given(spaces_and_points())
def test_decode_encode_round_trip(case: tuple[Space, dict[str, Any]]) -> None:
    space, point = case
    U = space.encode([point])
    assert U.shape == (1, space.n_columns)
    assert np.all((U >= 0.0) & (U <= 1.0))
    _assert_same_point(space, space.decode(U)[0], point)


@PROPERTY
@given(spaces_and_points())
def test_encoding_is_feasible(case: tuple[Space, dict[str, Any]]) -> None:
    space, point = case
    U = space.encode([point])
    assert_array_equal(space.project(U), U)


@PROPERTY
@given(spaces_and_points(), st.integers(0, 2**32 - 1))
def test_project_is_idempotent_and_decodes_to_valid_points(
    case: tuple[Space, dict[str, Any]], seed: int
) -> None:
    space, _ = case
    U = _unit_rows(space, 8, seed)
    U[2:4] = 1.5 * U[2:4] - 0.25  # relaxed rows slightly outside the cube
    P = space.project(U)
    assert np.all((P >= 0.0) & (P <= 1.0))
    assert_array_equal(space.project(P), P)
    points = space.decode(U)
    assert len(points) == 8
    for point, projected in zip(points, space.decode(P)):
        assert space.validate(point) == point
        _assert_same_point(space, projected, point)  # projecting does not change the decoded point


@PROPERTY
@given(spaces_and_points(), st.integers(0, 2**32 - 1))
def test_from_unit_and_sobol_are_feasible(case: tuple[Space, dict[str, Any]], seed: int) -> None:
    space, _ = case
    u = np.random.default_rng(seed).uniform(size=(10, space.n_dims))
    u[0] = 0.0
    u[1] = np.nextafter(1.0, 0.0)
    for E in (space.from_unit(u), space.sobol(13, np.random.default_rng(seed))):
        assert E.shape[1] == space.n_columns
        assert np.all((E >= 0.0) & (E <= 1.0))
        assert_array_equal(space.project(E), E)
        for point in space.decode(E):
            space.validate(point)


@PROPERTY
@given(spaces_and_points())
def test_to_dict_round_trip(case: tuple[Space, dict[str, Any]]) -> None:
    space, _ = case
    rebuilt = Space.from_dict(space.to_dict())
    assert rebuilt == space
    assert rebuilt.dimensions == space.dimensions
    assert rebuilt.names == space.names


# ----------------------------------------------------------- encodings by hand


@pytest.mark.parametrize(
    "dim, value, column",
    [
        (Real(-2.0, 2.0), 1.0, 0.75),
        (Real(1e-4, 1e-1, log=True), 1e-2, 2.0 / 3.0),
        (Integer(0, 3), 0, 0.125),  # relaxed range [-0.5, 3.5], bins of width 1/4
        (Integer(0, 3), 3, 0.875),
        (Integer(5, 5), 5, 0.5),
        (
            Integer(1, 4, log=True),
            1,
            math.log(1.0 / 0.5) / math.log(4.5 / 0.5),
        ),  # range [log ½, log 4.5]
        (Integer(1, 4, log=True), 4, math.log(4.0 / 0.5) / math.log(4.5 / 0.5)),
    ],
)
def test_interval_encoding_values(dim: Dimension, value: float, column: float) -> None:
    assert dim.encode([value])[0, 0] == pytest.approx(column, rel=1e-12)
    assert dim.decode(np.array([[column]])) == [pytest.approx(value, rel=1e-12)]


@pytest.mark.parametrize("dim", [
    Real(-2.0, 2.0), Real(1e-4, 1e-1, log=True), Real(0.0, 1.0, step=0.1),
    Integer(0, 3), Integer(-7, 12), Integer(1, 1000, log=True), Integer(0, 20, step=5),
    Integer(5, 5),
], ids=repr)
def test_decode_floats_are_the_numbers_decode_gives(dim: Real | Integer) -> None:
    """`decode_floats` (float64, for the linear constraints' mask) is `decode`'s values
    bit for bit, on relaxed columns inside and outside [0, 1] and on the ends."""
    u = np.concatenate([np.random.default_rng(5).uniform(-0.2, 1.2, 500),
                        [0.0, 1.0, -0.0, 0.5, np.nextafter(1.0, 0.0), 5e-324]])[:, None]
    floats = dim.decode_floats(u)
    assert floats.dtype == np.float64 and floats.shape == (u.shape[0],)
    expected = np.asarray(dim.decode(u), dtype=np.float64)
    assert floats.tobytes() == expected.tobytes()


def test_categorical_is_one_hot() -> None:
    space = Space({"a": Categorical(["x", None, (1, 2)]), "b": Real(0.0, 1.0)})
    assert space.n_columns == 4
    assert_array_equal(space.encode([{"a": None, "b": 0.5}]), [[0.0, 1.0, 0.0, 0.5]])
    assert space.decode(np.array([[0.2, 0.3, 0.9, 0.1]])) == [{"a": (1, 2), "b": 0.1}]
    assert [list(g) for g in space.categorical_groups] == [[0, 1, 2]]


def test_space_from_list_keeps_order_and_names() -> None:
    space = Space([Integer(1, 3, name="layers"), Real(0.0, 1.0, name="dropout")])
    assert space.names == ("layers", "dropout")
    assert space == Space({"layers": Integer(1, 3), "dropout": Real(0.0, 1.0)})
    assert space.encode([{"dropout": 0.25, "layers": 3}]).tolist() == [[5 / 6, 0.25]]


def test_spaces_with_reordered_dimensions_differ() -> None:
    """The order fixes the columns, so reordered spaces differ (and a == b needs equal hashes)."""
    a = Space({"layers": Integer(1, 3), "dropout": Real(0.0, 1.0)})
    b = Space({"dropout": Real(0.0, 1.0), "layers": Integer(1, 3)})
    point = {"layers": 3, "dropout": 0.25}
    assert a.encode([point]).tolist() != b.encode([point]).tolist()
    assert a != b  # today a == b although hash(a) != hash(b)
    assert a == Space({"layers": Integer(1, 3), "dropout": Real(0.0, 1.0)})
    assert hash(a) == hash(Space({"layers": Integer(1, 3), "dropout": Real(0.0, 1.0)}))


def test_cardinality() -> None:
    assert Space({"a": Integer(1, 3), "b": Categorical(["x", "y"])}).cardinality == 6
    assert Space({"a": Integer(1, 3), "b": Real(0.0, 1.0)}).cardinality is None


# ----------------------------------------------------------- invalid spaces


@pytest.mark.parametrize(
    "build, error, match",
    [
        (lambda: Real(2.0, 1.0, name="lr"), ValueError, r"'lr'.*low=2\.0 must be < high=1\.0"),
        (lambda: Real(1.0, 1.0, name="lr"), ValueError, r"'lr'.*low=1\.0 must be < high=1\.0"),
        (
            lambda: Real(0.0, 1.0, log=True, name="lr"),
            ValueError,
            r"'lr'.*log=True needs low > 0.*low=0\.0",
        ),
        (lambda: Real(-1.0, 1.0, log=True, name="lr"), ValueError, r"'lr'.*low=-1\.0"),
        (
            lambda: Integer(0, 8, log=True, name="units"),
            ValueError,
            r"'units'.*log=True needs low > 0",
        ),
        (lambda: Real(0.0, math.inf, name="w"), ValueError, r"'w'.*high=inf must be finite"),
        (lambda: Real(math.nan, 1.0, name="w"), ValueError, r"'w'.*low=nan must be finite"),
        (lambda: Integer(-math.inf, 3, name="k"), ValueError, r"'k'.*low=-inf must be finite"),
        (lambda: Real("0", 1.0, name="w"), TypeError, r"'w'.*low='0' must be a real number"),
        (
            lambda: Real(0.0, 1.0, log="yes", name="w"),
            TypeError,
            r"'w'.*log='yes' must be True or False",
        ),
        (lambda: Integer(True, 3, name="k"), TypeError, r"'k'.*low=True must be a real number"),
        (lambda: Integer(0.5, 3, name="k"), ValueError, r"'k'.*low=0\.5 must be an integer"),
        (lambda: Integer(0, 2.5, name="k"), ValueError, r"'k'.*high=2\.5 must be an integer"),
        (lambda: Integer(5, 2, name="k"), ValueError, r"'k'.*low=5 must be <= high=2"),
        (lambda: Categorical([], name="act"), ValueError, r"'act'.*choices must not be empty"),
        (
            lambda: Categorical(["relu", "tanh", "relu"], name="act"),
            ValueError,
            r"'act'.*choice 'relu' appears more than once",
        ),
        (
            lambda: Categorical("relu", name="act"),
            TypeError,
            (r"'act'.*choices='relu' must be a list or tuple of values \(a str is one value: "
             r"\['relu'\] is a list of one choice\)"),
        ),
        (
            lambda: Categorical([[1], [2]], name="act"),
            TypeError,
            r"'act'.*choice \[1\] is not hashable",
        ),
        (
            lambda: Categorical([Real(0, 1), Real(2, 3)], name="act"),
            TypeError,
            r"'act'.*choice Real\(.*is a search-space object.*conditional space \(when=",
        ),
        (
            lambda: Categorical(["relu", Integer(1, 4)]),
            TypeError,
            r"choice Integer\(.*is a search-space object.*conditional space \(when=",
        ),
        (
            lambda: Categorical(["a", Space({"x": Real(0, 1)})], name="act"),
            TypeError,
            r"'act'.*choice Space\(.*is a search-space object",
        ),
        (  # hyperopt's hp.choice of dicts, written as a list of dicts
            lambda: Categorical([{"type": "svm", "C": Real(0, 1)}, {"type": "nb"}], name="clf"),
            TypeError,
            (r"'clf'.*choice \{'type': 'svm', 'C': Real\(.*holds a search-space object.*nested "
             r"form Categorical\(\{choice: \{name: dimension\}\}\), which is hyperopt's"),
        ),
        (  # a tuple is Hashable but does not hash when it holds a dict
            lambda: Categorical([("svm", {"C": 1.0}), "nb"], name="clf"),
            TypeError,
            r"'clf'.*choice \('svm', \{'C': 1.0\}\) is not hashable",
        ),
        (
            lambda: Space([Real(0.0, 1.0, name="x"), Integer(0, 1, name="x")]),
            ValueError,
            r"name\(s\) \['x'\] appear more than once",
        ),
        (
            lambda: Space([Real(0.0, 1.0, name="x"), Real(0.0, 1.0)]),
            ValueError,
            r"dimension #1 .*needs a name=",
        ),
        (lambda: Space({}), ValueError, r"space is empty"),
        (lambda: Space([]), ValueError, r"space is empty"),
        (
            lambda: Space({"x": (0.0, 1.0)}),
            TypeError,
            (r"dimension 'x': \(0\.0, 1\.0\) is not a Real, Integer, Categorical or Fidelity; "
            r"scikit-optimize's \(low, high\) is Real\(low, high\) or Integer\(low, high\) "
            r"here, and its list of choices Categorical\(\[\.\.\.\]\)$"),
        ),
        (  # an Optuna study's distributions (trial.distributions), read by class name
            lambda: Space({"lr": optuna.distributions.FloatDistribution(1e-5, 0.1, log=True)}),
            TypeError,
            (r"dimension 'lr': FloatDistribution\(.*\) is not a Real, Integer, Categorical or "
             r"Fidelity; here it is Real\(1e-05, 0\.1, log=True\)$"),
        ),
        (
            lambda: Space([optuna.distributions.IntDistribution(2, 8, step=2)]),
            TypeError,
            (r"dimension '#0': IntDistribution\(.*\) is not .*; here it is Integer\(2, 8, "
             r"step=2, name=\.\.\.\)$"),
        ),
        (
            lambda: Space({"p": optuna.distributions.FloatDistribution(0.0, 0.5, step=0.05)}),
            TypeError,
            r"'p': FloatDistribution\(.*\) is not .*; here it is Real\(0\.0, 0\.5, step=0\.05\)$",
        ),
        (
            lambda: Space({"units": hyperopt.hp.quniform("units", 32, 512, 32)}),
            TypeError,
            (r"'units': .*hp\.quniform\(label, a, b, q\) Integer\(a, b, step=q\) \(Real\(a, b, "
            r"step=q\) for a fractional q"),
        ),
        (
            lambda: Space({"act": optuna.distributions.CategoricalDistribution(["relu", None])}),
            TypeError,
            r"; here it is Categorical\(\['relu', None\]\)$",
        ),
        (  # scikit-optimize's dimensions, read by class name
            lambda: Space({"lr": skopt.space.Real(1e-5, 0.1, prior="log-uniform"),
                           "units": skopt.space.Integer(16, 512)}),
            TypeError,
            (r"dimension 'lr': Real\(.*\) is not a Real, Integer, Categorical or Fidelity; "
             r"here it is Real\(1e-05, 0\.1, log=True\)$"),
        ),
        (
            lambda: Space([skopt.space.Categorical(["adam", "sgd"], name="opt")]),
            TypeError,
            r"dimension '#0': .*; here it is Categorical\(\['adam', 'sgd'\], name=\.\.\.\)$",
        ),
        (  # hyperopt's hp.* expressions
            lambda: Space({"lr": hyperopt.hp.loguniform("lr", -9.0, -2.0)}),
            TypeError,
            (r"dimension 'lr': .* is not a Real, Integer, Categorical or Fidelity; hyperopt's "
             r"hp\.uniform\(label, a, b\) is Real\(a, b\) here, hp\.loguniform"),
        ),
        (  # Talos' (and a grid search's) dict of lists of values
            lambda: Space({"lr": [0.1, 0.01], "units": [32, 64]}),
            TypeError,
            (r"dimension 'lr': \[0\.1, 0\.01\] is not a Real, Integer, Categorical or Fidelity; "
             r"a list of values to choose from is Categorical\(\[0\.1, 0\.01\]\) here "
             r"\(a dict of lists, Talos' params: \{name: Categorical\(values\) for name, "
             r"values in params\.items\(\)\}\); a Categorical keeps exactly these 2 numbers "
             r"but not their order, and Real\(0\.01, 0\.1, log=True\) searches the range they "
             r"span$"),
        ),
        (  # sklearn-deap's np.logspace: was the whole array, and no hint; its first value
            # is numpy's 10.0 ** -9, which numpy 1.25 rounds to 9.999999999999999e-10
            lambda: Space({"C": np.logspace(-9, 9, 25), "kernel": ["rbf"]}),
            TypeError,
            (r"dimension 'C': array\(\[(?P<low>1e-09|9\.999999999999999e-10), "
             r"5\.623413251903491e-09, .*, \.\.\.\]\) is not "
             r"a Real, .*; a list of values to choose from is Categorical\(values\.tolist\(\)\) "
             r"here .*these 25 numbers but not their order, and Real\((?P=low), 1000000000\.0, "
             r"log=True\) searches the range they span$"),
        ),
        (  # an evenly spaced array, and powers of two
            lambda: Space({"units": np.arange(16, 257, 16)}),
            TypeError,
            r"these 16 numbers but not their order, and Integer\(16, 256, step=16\) keeps both$",
        ),
        (  # Talos' and a grid search's evenly spaced values: was Real(0.1, 0.5), the range
            lambda: Space({"dropout": [0.1, 0.2, 0.3, 0.4, 0.5]}),
            TypeError,
            r"these 5 numbers but not their order, and Real\(0\.1, 0\.5, step=0\.1\) keeps both$",
        ),
        (
            lambda: Space({"dropout": np.arange(0.0, 0.5, 0.1)}),  # 0.30000000000000004 too
            TypeError,
            r"Real\(0\.0, 0\.4, step=0\.1\) keeps both$",
        ),
        (
            lambda: Space({"dropout": [0.0, 0.1, 0.3]}),  # not every value of a grid
            TypeError,
            r"Real\(0\.0, 0\.3\) searches the range they span$",
        ),
        (
            lambda: Space({"batch": [16, 32, 64, 128]}),
            TypeError,
            r"Categorical\(\[16, 32, 64, 128\]\) here .* Integer\(16, 128, log=True\) searches",
        ),
        (  # a range: linear, whatever its ends
            lambda: Space({"layers": range(1, 100)}),
            TypeError,
            (r"'layers': range\(1, 100\) is not .*; a list of values to choose from is "
             r"Categorical\(range\(1, 100\)\) here .* these 99 numbers .* Integer\(1, 99\) "
             r"searches the range they span$"),
        ),
        (  # a pandas column (Talos' Scan(...).data): was its multi-line repr and no hint
            lambda: Space({"lr": pd.Series([0.1, 0.01, 0.1], name="lr")}),
            TypeError,
            (r"dimension 'lr': Series\(\[0\.1, 0\.01, 0\.1\]\) is not .*; a list of values to "
             r"choose from is Categorical\(values\.tolist\(\)\) here .*these 2 numbers but not "
             r"their order, and Real\(0\.01, 0\.1, log=True\) searches the range they span$"),
        ),
        (  # no range for values that are not all numbers, nor for a 2-D array
            lambda: Space({"act": ["relu", "elu"]}),
            TypeError,
            r"is Categorical\(\['relu', 'elu'\]\) here \(a dict of lists.*\)$",
        ),
        (
            lambda: Space({"w": np.zeros((2, 2))}),
            TypeError,
            (r"dimension 'w': array\(\[\[0\.0, 0\.0\], \[0\.0, 0\.0\]\]\) is not a Real, "
             r"Integer, Categorical or Fidelity$"),
        ),
        (  # kopt's (and hyperopt's) grouped space: was no hint
            lambda: Space({"model": {"lr": Real(1e-4, 0.1, log=True)}, "fit": {"epochs": 50}}),
            TypeError,
            (r"dimension 'model': \{'lr': Real\(.*\)\} is not a Real, Integer, Categorical or "
             r"Fidelity; a space is flat, its dimensions not grouped .*name each one, "
             r"\{'model\.lr': Real\(\.\.\.\)\}, and group the values in the objective; a "
             r"choice between sub-spaces is Categorical\(\{choice: \{name: dimension\}\}\)"),
        ),
        (
            lambda: Space({"x": {"type": "real", "low": 0.0, "high": 1.0}}),
            TypeError,
            r"; a dimension's table, as a space file writes it, is read by Space\.from_dict",
        ),
        (  # a fixed value (kopt's "fit": {"epochs": 50}, a Talos constant): was no hint
            lambda: Space({"lr": Real(1e-4, 0.1), "epochs": 50}),
            TypeError,
            (r"dimension 'epochs': 50 is not a Real, Integer, Categorical or Fidelity; a fixed "
             r"value is no dimension: give it to the objective yourself \(\{\*\*params, "
             r"'epochs': 50\}\), or keep it in every point as Categorical\(\[50\]\)$"),
        ),
        (
            lambda: Space([Real(0.0, 1.0, name="x"), "relu"]),
            TypeError,
            (r"dimension '#1': 'relu' is not .*; a fixed value is no dimension: give it to the "
             r"objective yourself, or keep it in every point as Categorical\(\['relu'\], "
             r"name=\.\.\.\)$"),
        ),
        (  # Talos' (min, max, steps): was scikit-optimize's (low, high) hint
            lambda: Space({"dropout": (0, 0.5, 5), "units": (16, 256, 4)}),
            TypeError,
            (r"dimension 'dropout': \(0, 0\.5, 5\) is not .*; Talos' \(min, max, steps\) "
             r"\(0, 0\.5, 5\) is Real\(0\.0, 0\.4, step=0\.1\) here, its 5 values \(0\.5 "
             r"excluded, as Talos excludes it\)$"),
        ),
        (
            lambda: Space([(16, 256, 4)]),
            TypeError,
            (r"'#0': .*; Talos' \(min, max, steps\) .* is Integer\(16, 196, step=60, "
            r"name=\.\.\.\) here, its 4 values \(256 excluded"),
        ),
        (
            lambda: Space({"units": (10, 100, 7)}),
            TypeError,
            (r"'units': .* is Integer\(10, 100\) here, which searches the whole range \(its 7 "
            r"steps of 12\.8571 are not whole numbers\)$"),
        ),
        (  # scikit-optimize's (low, high, prior)
            lambda: Space({"lr": (1e-5, 0.1, "log-uniform")}),
            TypeError,
            (r"dimension 'lr': .*; scikit-optimize's \(1e-05, 0\.1, 'log-uniform'\) is "
             r"Real\(1e-05, 0\.1, log=True\) here$"),
        ),
        (  # another triple keeps the general hint (an array third item is not compared)
            lambda: Space({"x": (0.0, 1.0, np.array([1, 2]))}),
            TypeError,
            r"; scikit-optimize's \(low, high\) is Real\(low, high\) or Integer",
        ),
        (
            lambda: Space([(-2.0, 2.0), ["a", "b"]]),
            TypeError,
            (r"dimension '#0': \(-2\.0, 2\.0\) is not .*; scikit-optimize's \(low, high\) is "
            r"Real\(low, high, name=\.\.\.\) or"),
        ),
        (lambda: Space({1: Real(0.0, 1.0)}), TypeError, r"names must be non-empty strings, got 1"),
        (
            lambda: Space({"": Real(0.0, 1.0)}),
            TypeError,
            r"names must be non-empty strings, got ''",
        ),
        (
            lambda: Space({"x": Real(0.0, 1.0, name="y")}),
            ValueError,
            r"dimension 'x' has a different name='y'",
        ),
        (lambda: Space("x"), TypeError, r"space must be a dict"),
        # a list space took any name=, and its points were keyed by it ({3: 0.23})
        (lambda: Real(0.0, 1.0, name=3), TypeError, r"name=3 must be a non-empty string"),
        (lambda: Integer(0, 4, name=""), TypeError, r"name='' must be a non-empty string"),
        (lambda: Categorical(["a", "b"], name=("c",)), TypeError,
         r"name=\('c',\) must be a non-empty string"),
        (lambda: Fidelity(1, 27, name=1.5), TypeError, r"name=1.5 must be a non-empty string"),
        # a set's order follows PYTHONHASHSEED: the same seed asked other choices per process
        (lambda: Categorical({"relu", "tanh"}, name="act"), TypeError,
         r"'act': choices=\{.*\} is a set, whose order .* give a list, e\.g\. sorted"),
        (lambda: Categorical(frozenset([1, 2])), TypeError, r"is a set"),
        # beyond 2**53 float64 skips integers: these asked nan (a ValueError naming nothing)
        # or values that a tell's encode and decode did not give back
        (lambda: Integer(2**60, 2**60 + 3, name="seed"), ValueError,
         r"'seed': low=1152921504606846976 is beyond 2\*\*53"),
        (lambda: Integer(0, 2**62, name="n"), ValueError, r"'n': high=.* is beyond 2\*\*53"),
        (lambda: Integer(-(2**53) - 2, 0), ValueError, r"low=.* is beyond 2\*\*53"),
        # within ±2**53 but more than 2**52 + 1 integers: encoded in [0, 1] a quarter of
        # Integer(0, 2**53 - 1)'s values decoded as another (test below)
        (lambda: Integer(0, 2**53 - 1, name="seed"), ValueError,
         (r"'seed': \[0, 9007199254740991\] holds 9007199254740991 \+ 1 integers, beyond "
          r"2\*\*52 \+ 1: .* give narrower bounds, log=True \(for low >= 1\) or a step")),
        # one number once encoded: every point encoded as nan (numpy's RuntimeWarning)
        (lambda: Real(1e10, 1e10 + 1e-5, log=True, name="x"), ValueError,
         r"'x': \[10000000000\.0, 10000000000\.00001\] is too narrow .* on a log scale"),
    ],
)
def test_invalid_space_raises(build: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        build()


# ----------------------------------------------------------- invalid points


SPACE = Space(
    {
        "lr": Real(1e-5, 1e-1, log=True),
        "layers": Integer(1, 8),
        "activation": Categorical(["relu", "tanh", "gelu"]),
    }
)
VALID = {"lr": 1e-3, "layers": 4, "activation": "tanh"}


@pytest.mark.parametrize(
    "change, error, match",
    [
        ({"momentum": 0.9}, ValueError, r"unknown parameter\(s\) \['momentum'\]"),
        ({"lr": None}, TypeError, r"'lr': value None must be a number"),
        ({"lr": 0.5}, ValueError, r"'lr': value 0\.5 is outside \[1e-05, 0\.1\]"),
        ({"lr": 1e-6}, ValueError, r"'lr': value 1e-06 is outside"),
        ({"lr": math.nan}, ValueError, r"'lr': value nan is outside"),
        ({"lr": "0.001"}, TypeError, r"'lr': value '0\.001' must be a number"),
        ({"lr": True}, TypeError, r"'lr': value True must be a number"),
        ({"layers": 2.5}, ValueError, r"'layers': value 2\.5 must be an integer in \[1, 8\]"),
        ({"layers": 9}, ValueError, r"'layers': value 9 is outside \[1, 8\]"),
        ({"layers": 0}, ValueError, r"'layers': value 0 is outside"),
        ({"layers": "4"}, TypeError, r"'layers': value '4' must be a number"),
        ({"layers": False}, TypeError, r"'layers': value False must be a number"),
        ({"activation": "sigmoid"}, ValueError, r"'activation': value 'sigmoid' is not one of"),
        ({"activation": ["relu"]}, ValueError, r"'activation': value \['relu'\] is not one of"),
    ],
)
def test_invalid_point_raises(change: dict[str, Any], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        SPACE.validate({**VALID, **change})
    with pytest.raises(error, match=match):
        SPACE.encode([VALID, {**VALID, **change}])


def test_missing_key_raises() -> None:
    with pytest.raises(ValueError, match=r"missing parameter\(s\) \['layers'\]"):
        SPACE.validate({"lr": 1e-3, "activation": "relu"})


def test_point_must_be_a_dict() -> None:
    with pytest.raises(TypeError, match=r"params must be a dict"):
        SPACE.validate([1e-3, 4, "relu"])  # type: ignore[arg-type]


def test_validate_canonicalizes_numpy_and_integral_floats() -> None:
    point = SPACE.validate({"activation": "gelu", "layers": np.int64(3), "lr": np.float32(0.01)})
    assert list(point) == ["lr", "layers", "activation"]
    assert point["layers"] == 3 and type(point["layers"]) is int
    assert type(point["lr"]) is float
    assert SPACE.validate({**VALID, "layers": 4.0})["layers"] == 4


# ----------------------------------------------------------- serialization


def test_to_dict_is_json_and_round_trips() -> None:
    spec = json.loads(json.dumps(SPACE.to_dict()))
    assert Space.from_dict(spec) == SPACE
    assert Space.from_dict(spec).encode([VALID]).tolist() == SPACE.encode([VALID]).tolist()


@pytest.mark.parametrize(
    "spec, error, match",
    [
        ({"type": "float", "low": 0, "high": 1}, ValueError,
         r"'x': type='float' must be one of .*\{\"type\": \"real\", \"low\": \.\.\., \"high\": \.\.\.\}"),
        ({"low": 0, "high": 1}, ValueError, r"'x': type=None must be one of"),
        ({"type": "FLOAT", "size": 1, "min": -5, "max": 10}, ValueError,
         (r"'x': type='FLOAT' must be one of .*\(Spearmint's 'FLOAT' variable is "
          r"\{\"type\": \"real\", \"low\": -5, \"high\": 10\} here: 'min' and 'max' are "
          r"'low' and 'high', an ENUM's 'options' a categorical's 'choices', and a variable of "
          r"'size' n is n dimensions, each named\)$")),
        ({"type": "ENUM", "options": ["a", "b"]}, ValueError,
         r"\(Spearmint's 'ENUM' variable is \{\"type\": \"categorical\", \"choices\": \[\"a\", \"b\"\]\}"),
        ({"type": "int", "min": 1, "max": 5}, ValueError,
         r"\(Spearmint's 'int' variable is \{\"type\": \"integer\", \"low\": 1, \"high\": 5\}"),
        ({"type": "real", "low": 0}, ValueError, r"'x'.*missing key\(s\) \['high'\]"),
        ({"type": "categorical"}, ValueError, r"'x'.*missing key\(s\) \['choices'\]"),
        (
            {"type": "integer", "low": 0, "high": 3, "steps": 1},
            ValueError,
            r"'x'.*unknown key\(s\) \['steps'\].*did you mean 'step'",
        ),
        ({"type": "real", "low": 2.0, "high": 1.0}, ValueError, r"'x'.*low=2\.0 must be < high"),
        ([0, 1], TypeError, r"'x': definition must be a table/dict"),
        (["relu", "elu"], TypeError,
         (r"'x': definition must be a table/dict, got \['relu', 'elu'\] \(a list of values to "
          r"choose from is \{\"type\": \"categorical\", \"choices\": \[\"relu\", \"elu\"\]\}, "
          r"the same keys in TOML\)$")),
        ([16, 32, 64, 128], TypeError,
         (r'for the range they span, in order, \{"type": "integer", "low": 16, "high": 128, '
          r'"log": true\}\)$')),
        ([32, 64, 96, 128], TypeError,
         (r'for exactly these values, in order, \{"type": "integer", "low": 32, "high": 128, '
          r'"step": 32\}\)$')),
        (0.1, TypeError, r"'x': definition must be a table/dict, got 0\.1$"),
    ],
)
def test_dimension_from_dict_errors(spec: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        dimension_from_dict("x", spec)


@pytest.mark.parametrize(("spec", "match"), [
    ({"type": "fidelity", "low": 1, "high": 9, "when": {"a": 1}},
     r"^dimension 'x': when=\{'a': 1\}: a Fidelity is never conditional"),
    ({"type": "real", "low": 0, "high": 1, "lgo": True},
     r"^dimension 'x' of type 'real': unknown key\(s\) \['lgo'\]; valid keys"),
    ({"type": "real", "low": 0}, r"^dimension 'x' of type 'real': missing key\(s\) \['high'\]; "),
])
def test_dimension_from_dict_names_only_what_is_wrong(spec: Any, match: str) -> None:
    """No "missing key(s) []" beside an unknown key; a Fidelity with when= says why."""
    with pytest.raises(ValueError, match=match) as caught:
        dimension_from_dict("x", spec)
    assert "[]" not in str(caught.value)


# ----------------------------------------------------------- Sobol design


def test_sobol_is_reproducible_from_the_seed() -> None:
    first = SPACE.sobol(20, np.random.default_rng(3))
    assert first.shape == (20, SPACE.n_columns)
    assert_array_equal(SPACE.sobol(20, np.random.default_rng(3)), first)
    assert not np.array_equal(SPACE.sobol(20, np.random.default_rng(4)), first)


@pytest.mark.parametrize("n", (0, 1, 5))
def test_sobol_small_n(n: int) -> None:
    assert SPACE.sobol(n, np.random.default_rng(0)).shape == (n, SPACE.n_columns)


@pytest.mark.parametrize("seed", (0, 1, 2))
def test_sobol_covers_discrete_values_uniformly(seed: int) -> None:
    space = Space(
        {
            "act": Categorical(["relu", "tanh", "gelu", "silu"]),
            "layers": Integer(1, 8),
            "lr": Real(1e-4, 1.0, log=True),
            "opt": Categorical(["sgd", "adam", "lion"]),
            "bits": Integer(0, 1),
        }
    )
    points = space.decode(space.sobol(64, np.random.default_rng(seed)))
    count = {name: collections.Counter(p[name] for p in points) for name in space.names}
    assert count["act"] == {"relu": 16, "tanh": 16, "gelu": 16, "silu": 16}
    assert count["layers"] == {v: 8 for v in range(1, 9)}
    assert count["bits"] == {0: 32, 1: 32}
    assert set(count["opt"]) == {"sgd", "adam", "lion"}
    assert all(abs(c - 64 / 3) <= 1 for c in count["opt"].values())
    lr = np.log10([p["lr"] for p in points])
    assert np.histogram(lr, bins=4, range=(-4, 0))[0].tolist() == [16, 16, 16, 16]


def test_sobol_log_integer_follows_the_bins() -> None:
    """Integer(1, 4, log=True): value v owns [log(v − ½), log(v + ½)] of [log ½, log 4.5]."""
    dim = Integer(1, 4, log=True)
    points = Space({"k": dim}).decode(Space({"k": dim}).sobol(64, np.random.default_rng(5)))
    count = collections.Counter(p["k"] for p in points)
    for v in range(1, 5):
        share = math.log((v + 0.5) / (v - 0.5)) / math.log(9.0)
        assert abs(count[v] - 64 * share) <= 1


@pytest.mark.parametrize(("build", "names"), [
    (lambda: Integer(0, 2**53 - 1, name="seed"),
     r"'seed': \[0, 9007199254740991\] holds 9007199254740991 \+ 1 integers"),
    (lambda: Integer(-(2**53), 2**53, step=2, name="k"),
     r"'k': step=2 makes 9007199254740992 \+ 1 values"),
    # 1.75 · 2**52 steps of 2 ulps of the bounds (a finer step is refused first)
    (lambda: Real(-7881299347898368.0, 7881299347898368.0, step=2.0, name="x"),
     r"'x': step=2\.0 makes 7881299347898368 \+ 1 values"),
])
def test_too_many_values_state_one_rule(build: Any, names: str) -> None:
    """An Integer's range and a grid's step (Integer or Real) refused for more than 2**52 + 1
    values: each message names the key and its values, then the same rule."""
    rule = (r", beyond 2\*\*52 \+ 1: their indices encoded in \[0, 1\] in float64 would not "
            r"decode back to themselves; give ")
    with pytest.raises(ValueError, match=names + rule):
        build()


def test_every_integer_of_the_widest_plain_range_decodes_back_to_itself():
    """An Integer holds at most 2**52 + 1 values without log or step (wider ones are refused,
    above): there every value told encodes and decodes back to itself, as stepped grids'
    do (tests/test_stepped.py). Integer(0, 2**53 - 1) decoded 24,972 of 100,000 random
    values as other integers."""
    rng = np.random.default_rng(0)
    for low, high in [(0, 2**52), (-(2**51), 2**51), (2**52, 2**53), (-(2**53), -(2**52))]:
        dimension = Integer(low, high)
        values = [int(v) for v in rng.integers(low, high, 20_000, endpoint=True)]
        values += [low, low + 1, high - 1, high]
        assert dimension.decode(dimension.encode(values)) == values, (low, high)


# ----------------------------------------------------------- float32 and float16 scalars
# A numpy float32 or float16 is the number its shortest repr writes (np.float32(0.1) is
# 0.1), for a Fidelity's bounds and told budgets and a Categorical's numeric choices as
# for a Real's bounds, steps and told values (tests/test_stepped.py).


@pytest.mark.parametrize("short", [np.float32, np.float16])
def test_a_fidelitys_short_float_bounds_are_their_reprs(short: type) -> None:
    """Fidelity(np.float32(0.1), np.float32(0.9)) had bounds 0.10000000149011612 and
    0.8999999761581421, and asked budgets such as 0.29999999205271405."""
    given = Fidelity(short(0.1), short(0.9), name="fraction")
    assert (given.low, given.high) == (0.1, 0.9)
    asks = [Optimizer({"x": Real(0, 1), "fraction": dim}, seed=0, n_initial=3).ask(4)
            for dim in (given, Fidelity(0.1, 0.9, name="fraction"))]
    assert asks[0] == asks[1]


@pytest.mark.parametrize("short", [np.float32, np.float16])
def test_a_told_short_float_budget_is_its_repr(short: type) -> None:
    budget = Fidelity(0.1, 0.3, eta=2, name="fraction").validate(short(0.3))
    assert budget == 0.3 and type(budget) is float  # np.float32(0.3) is 0.30000001192092896


@pytest.mark.parametrize("short", [np.float32, np.float16])
def test_a_short_float_finds_its_numeric_choice(short: type) -> None:
    """A float32 told for the choice 0.1 was refused ("value np.float32(0.1) is not one of
    [0.1, 0.2, 0.3]"), and 0.1 for the choice np.float32(0.1); each now finds the choice
    given, which is what validate returns."""
    plain = Categorical([0.1, 0.2, 0.3], name="rate")
    assert plain.validate(short(0.2)) == 0.2 and type(plain.validate(short(0.2))) is float
    assert plain.index_of(short(0.3)) == 2
    narrow = Categorical([short(0.1), short(0.2)], name="rate")
    assert type(narrow.validate(0.2)) is short and narrow.validate(0.2) == short(0.2)
    with pytest.raises(ValueError, match=r"'rate': choice 0\.1 appears more than once"):
        Categorical([short(0.1), 0.1], name="rate")
    with pytest.raises(ValueError, match=r"'rate': value np\.float\d+\(0\.4\) is not one of"):
        plain.validate(short(0.4))


def test_a_point_told_in_float32_is_the_asked_one() -> None:
    """A float32 config array's row told for an asked point (a Categorical's choice and a
    Fidelity's budget) is that point: no longer pending, its budget and choice as asked."""
    space = {"rate": Categorical([0.1, 0.2, 0.3]), "fraction": Fidelity(0.1, 0.9)}
    opt = Optimizer(space, seed=0)
    asked = opt.ask()
    opt.tell({key: np.float32(value) for key, value in asked.items()}, 1.0)
    assert opt.history[-1].params == asked
    assert not opt.pending

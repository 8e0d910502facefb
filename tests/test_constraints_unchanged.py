"""An optimizer without constraints or cost asks exactly what it asked before they existed.

The asks below were recorded on main at 4684cf6, before constraints and cost
were added (issue 16); any change to the unconstrained path moves them. They are pinned
per LAPACK rounding (tests/lapack_rounding.py): scipy 1.18.1's wheel moves them, and its
asks were recorded on main (80085e2), which asks the 4684cf6 points under scipy 1.17.1 on
SkylakeX; an AMD EPYC's (scipy 1.17.1, OpenBLAS's Haswell kernels) were recorded on main at
e1290939 there, and an AMD EPYC Zen 5's (family 26; OpenBLAS's Haswell kernels, which round
alike under scipy 1.17.1's and 1.18.1's wheels there) on main at 4d017c81 there.
"""

from __future__ import annotations

import math

import pytest

from bayesopt import Categorical, Integer, Optimizer, OptimizerOptions, Real
from bayesopt.model import ModelOptions
from lapack_rounding import as_pinned, assert_asks_one_of

EVERY_REFIT = as_pinned(OptimizerOptions(model=ModelOptions(restart_every=1)))  # before 0.3.0


def _objective(p: dict) -> float:
    x, y = p["x"], p["y"]
    branin = ((y - 5.1 / (4 * math.pi**2) * x**2 + 5 / math.pi * x - 6) ** 2
              + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x) + 10)
    return branin + 0.1 * p["n"] + (p["c"] == "a")


PINNED_SCIPY_1_17 = [
    {"x": 3.6264299314634254, "y": 0.0, "n": 8, "c": "b"},
    {"x": 2.97405408088523, "y": 0.46327297977707227, "n": 1, "c": "b"},
    {"x": 3.1950409091245042, "y": 0.1481855291854669, "n": 2, "c": "a"},
    {"x": 4.859160057487658, "y": 1.6107013231782206, "n": 1, "c": "b"},
    {"x": 5.707150081198506, "y": 0.0, "n": 8, "c": "a"},
]
PINNED_SCIPY_1_18 = [
    {"x": 3.626429931461132, "y": 0.0, "n": 8, "c": "b"},
    {"x": 2.9740540808579548, "y": 0.4632729797714798, "n": 1, "c": "b"},
    {"x": 3.195026898099794, "y": 0.1481117516901934, "n": 2, "c": "a"},
    {"x": 4.8591452442897385, "y": 1.6107096470253386, "n": 1, "c": "b"},
    {"x": 5.7071989796853195, "y": 0.0, "n": 8, "c": "a"},
]
PINNED_SCIPY_1_17_EPYC = [
    {"x": 3.626429931465708, "y": 0.0, "n": 8, "c": "b"},
    {"x": 2.974054080857184, "y": 0.46327297977708587, "n": 1, "c": "b"},
    {"x": 3.195036023819119, "y": 0.1482240018610798, "n": 2, "c": "a"},
    {"x": 4.859165467861001, "y": 1.6106986095986306, "n": 1, "c": "b"},
    {"x": 5.707115949820663, "y": 0.0, "n": 8, "c": "a"},
]
PINNED_EPYC_ZEN_5 = [
    {"x": 3.6264299314638766, "y": 0.0, "n": 8, "c": "b"},
    {"x": 2.9740540808669156, "y": 0.4632729797731469, "n": 1, "c": "b"},
    {"x": 3.195035902356082, "y": 0.14811335736027637, "n": 2, "c": "a"},
    {"x": 4.8591471940474165, "y": 1.6107082815527622, "n": 1, "c": "b"},
    {"x": 5.7072039146478275, "y": 0.0, "n": 8, "c": "a"},
]
PINNED = {"scipy 1.17.1": PINNED_SCIPY_1_17, "scipy 1.18.1": PINNED_SCIPY_1_18,
          "scipy 1.17.1, AMD EPYC": PINNED_SCIPY_1_17_EPYC,
          "scipy 1.17.1 or 1.18.1, AMD EPYC Zen 5": PINNED_EPYC_ZEN_5}


def test_unconstrained_asks_are_pinned():
    space = {"x": Real(-5, 10), "y": Real(0, 15), "n": Integer(1, 8),
             "c": Categorical(["a", "b"])}
    # pinned with the prior restarts at every refit (restart_every=1, the default until 0.3.0)
    opt = Optimizer(space, seed=3, n_initial=5, options=EVERY_REFIT)
    asks = []
    for _ in range(9):
        params = opt.ask()
        asks.append(params)
        opt.tell(params, _objective(params))
    asks += opt.ask(2)
    assert_asks_one_of(asks[-5:], PINNED, _same_ask)


def _same_ask(got: dict, want: dict) -> bool:
    """The same keys and values, floats to rel=1e-9 (abs=1e-12)."""
    return got.keys() == want.keys() and all(
        got[key] == (pytest.approx(value, rel=1e-9, abs=1e-12) if isinstance(value, float)
                     else value) for key, value in want.items())

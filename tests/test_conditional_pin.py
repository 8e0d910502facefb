"""An unconditional space asks exactly the points it asked before conditional spaces existed.

The expected asks were recorded on the code before `when=` was added (commit 955e4b4);
conditional support must not change a single bit of an unconditional run. Asks are pinned
per LAPACK rounding (tests/lapack_rounding.py): scipy 1.18.1's wheel moves the last digits
of the 8th to 10th asks, and its asks were recorded on main (80085e2), which asks the
955e4b4 points bit for bit under scipy 1.17.1 on SkylakeX. On an AMD EPYC (scipy 1.17.1,
OpenBLAS's Haswell kernels) the 2nd ask's lr differs in its last bit and the 8th to 10th
in their last digits; those asks were recorded on main at e1290939 there. On an AMD EPYC
Zen 5 (family 26; OpenBLAS's Haswell kernels, which round alike under scipy 1.17.1's and
1.18.1's wheels there) the 8th to 10th differ in their last digits; recorded on main at
4d017c81 there (under both scipy wheels, Python 3.11.7 and 3.13.0).
"""

from __future__ import annotations

from typing import Any

from bayesopt import Categorical, Integer, Optimizer, OptimizerOptions, Real
from bayesopt.model import ModelOptions
from lapack_rounding import as_pinned, assert_asks_one_of

EVERY_REFIT = as_pinned(OptimizerOptions(model=ModelOptions(restart_every=1)))  # before 0.3.0

SPACE = {
    "x": Real(-2.0, 3.0), "lr": Real(1e-4, 1.0, log=True), "n": Integer(1, 9),
    "c": Categorical(["a", "b", "c"]),
}
EXPECTED_SCIPY_1_17 = [
    {"x": 2.6747722243890166, "lr": 0.30868301015317623, "n": 2, "c": "a"},
    {"x": 0.3502311483025551, "lr": 0.0039830492566234905, "n": 9, "c": "c"},
    {"x": -1.5036441879346967, "lr": 0.019798199327457855, "n": 5, "c": "a"},
    {"x": 0.7810699306428432, "lr": 0.00048302497542847885, "n": 7, "c": "c"},
    {"x": 1.5046600177884102, "lr": 0.04236065959878201, "n": 8, "c": "b"},
    {"x": -2.0, "lr": 0.0001, "n": 1, "c": "c"},
    {"x": 3.0, "lr": 0.0001, "n": 8, "c": "c"},
    {"x": 0.6154840560118648, "lr": 0.0021750433592212072, "n": 8, "c": "b"},
    {"x": 0.7805163690955648, "lr": 0.4755840993719205, "n": 6, "c": "c"},
    {"x": 0.6042671272167346, "lr": 0.0001, "n": 2, "c": "b"},
]
EXPECTED_SCIPY_1_18 = EXPECTED_SCIPY_1_17[:7] + [
    {"x": 0.6154840560118684, "lr": 0.002175043359221041, "n": 8, "c": "b"},
    {"x": 0.7805163691151429, "lr": 0.47558409937139334, "n": 6, "c": "c"},
    {"x": 0.6042671272160467, "lr": 0.0001, "n": 2, "c": "b"},
]
EXPECTED_SCIPY_1_17_EPYC = (
    EXPECTED_SCIPY_1_17[:1]
    + [{"x": 0.3502311483025551, "lr": 0.003983049256623491, "n": 9, "c": "c"}]
    + EXPECTED_SCIPY_1_17[2:7] + [
        {"x": 0.615484056011713, "lr": 0.0021750433592282624, "n": 8, "c": "b"},
        {"x": 0.7805163692124313, "lr": 0.47558409937061275, "n": 6, "c": "c"},
        {"x": 0.6042671272163997, "lr": 0.0001, "n": 2, "c": "b"}])
EXPECTED_EPYC_ZEN_5 = EXPECTED_SCIPY_1_17[:7] + [
    {"x": 0.6154840560118786, "lr": 0.0021750433592211916, "n": 8, "c": "b"},
    {"x": 0.7805163690214223, "lr": 0.4755840993732443, "n": 6, "c": "c"},
    {"x": 0.6042671272169433, "lr": 0.0001, "n": 2, "c": "b"},
]
EXPECTED = {"scipy 1.17.1": EXPECTED_SCIPY_1_17, "scipy 1.18.1": EXPECTED_SCIPY_1_18,
            "scipy 1.17.1, AMD EPYC": EXPECTED_SCIPY_1_17_EPYC,
            "scipy 1.17.1 or 1.18.1, AMD EPYC Zen 5": EXPECTED_EPYC_ZEN_5}


def _objective(p: dict[str, Any]) -> float:
    return float((p["x"] - 0.5) ** 2 + abs(p["n"] - 4) * 0.1
                 + {"a": 0.3, "b": 0.0, "c": 0.6}[p["c"]] + (p["lr"] - 0.01) ** 2)


def test_unconditional_mixed_space_asks_the_pinned_points() -> None:
    # pinned with the prior restarts at every refit (restart_every=1, the default until 0.3.0)
    opt = Optimizer(SPACE, seed=3, n_initial=5, options=EVERY_REFIT)
    asks = []
    for i in range(9):
        batch = opt.ask(2) if i == 7 else [opt.ask()]
        asks.extend(batch)
        for p in batch:
            opt.tell(p, _objective(p))
    assert_asks_one_of(asks, EXPECTED)

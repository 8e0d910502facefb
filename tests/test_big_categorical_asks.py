"""Asks on a space with categoricals of more than `SWITCHES_BY_DISTANCE_ABOVE` choices, for
each objective the enumeration may score from switches (`AcquisitionObjective.
switch_values`): plain, averaged over samples (mcmc, a kernel average, noisy EI) and
damped by local penalties (pending points). tests/data/big-categorical-asks.jsonl holds
the asks of main 696aadda, which scored every trial row of the averaged and penalized
objectives; the switches give the same values to rounding, so the same asks bit for bit.
The conditional kinds (the 80-choice categorical active under one branch of a parent)
were recorded at main 4458f8ad, which scored the projected trial rows of every categorical
of a conditional space. The kinds with outcome constraints and cost (`OUTCOMES`) were
recorded at main eaf0d256, whose feasibility and cost terms scored the trial rows with
their gradients; they now give their values at the switches (`acquisition.constrained.
switch_moments`). Asks are pinned per rounding (tests/lapack_rounding.py): on an AMD EPYC
with AVX-512 (scipy 1.17.1) eaf0d256 asks the constrained and cost kinds' first points
otherwise in the last digits, as main does there; `ASKED_ELSEWHERE` holds them, and those
main (4d017c81) asks on two more roundings: scipy 1.18.1 on an AMD EPYC with AVX-512, and
an AMD EPYC Zen 5 (either scipy wheel).
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

import numpy as np
import pytest

import acquisition.constrained as constrained_module
import acquisition.optimizer as optimizer_module
from bayesopt import Categorical, Integer, Optimizer, Real
from bayesopt.choices import AcquisitionName
from bayesopt.model import ModelOptions
from bayesopt.options import OptimizerOptions
from lapack_rounding import as_pinned, assert_asks_one_of

RECORDED = pathlib.Path(__file__).parent / "data" / "big-categorical-asks.jsonl"
MCMC = {"hyperparameters": "mcmc", "mcmc_samples": 3, "mcmc_burn_in": 3}
KINDS: dict[str, tuple[dict[str, Any], AcquisitionName]] = {
    "plain": ({}, "logei"),
    "mcmc": (MCMC, "logei"),
    "kernel_average": ({"kernel_average": True, "kernel_candidates": ("rbf",)}, "logei"),
    "lognei": ({}, "lognei"),
    "penalize": ({"fantasy": "penalize"}, "logei"),
    "penalize_ei": ({"fantasy": "penalize"}, "ei"),
    "conditional": ({}, "logei"),
    "conditional_lognei": ({}, "lognei"),
    "conditional_penalize": ({"fantasy": "penalize"}, "logei"),
    "constrained": ({}, "logei"),
    "cost": ({}, "logei_per_cost"),
    "cost_kernel_average": ({"kernel_average": True, "kernel_candidates": ("rbf",)},
                            "logei_per_cost"),
    "conditional_cost": ({}, "logei_per_cost"),
}
# kinds whose tells carry an outcome constraint and a cost (`_outcomes`): LogEI with the
# feasibility term, logei_per_cost with the feasibility and cost terms (with
# cost_kernel_average the cost GP a kernel average, which has no switches: its trial rows
# are scored; with conditional_cost on the conditional space)
OUTCOMES = ("constrained", "cost", "cost_kernel_average", "conditional_cost")
# asks where a platform rounds them unlike the file's (where → kind → asks): eaf0d256's code,
# which wrote the file's constrained and cost kinds, run on an AMD EPYC with AVX-512; main's
# on two roundings seen since
ASKED_ELSEWHERE: dict[str, dict[str, list[dict[str, Any]]]] = {
    "scipy 1.17.1, AMD EPYC (AVX-512)": {
        "constrained": [{"a": 0.2847850236530282, "b": "c74", "c": 1, "d": "d35", "e": 1.0,
                         "f": "x"},
                        {"a": 0.0, "b": "c74", "c": 1, "d": "d35", "e": 1.0, "f": "z"}],
        "cost": [{"a": 0.0, "b": "c74", "c": 1, "d": "d35", "e": 0.0285366277606694, "f": "x"},
                 {"a": 0.0, "b": "c74", "c": 1, "d": "d35", "e": 1.0, "f": "z"}],
    },
    # main at 4d017c81 (its constrained and cost asks are eaf0d256's wherever both were run),
    # Python 3.12.1 and 3.13.0, on an AMD EPYC Zen 5 with OpenBLAS's SkylakeX kernels forced
    # (OPENBLAS_CORETYPE=SkylakeX) and Numba's code for znver4 (NUMBA_CPU_NAME=znver4): the
    # digests of a Zen 4, where Python 3.11.7 (scipy 1.17.1) asks every recorded kind as
    # the Zen 4 did (bench/results/python_versions.md)
    "scipy 1.18.1, AMD EPYC (AVX-512)": {
        "constrained": [{"a": 0.28478502365302844, "b": "c74", "c": 1, "d": "d35", "e": 1.0,
                         "f": "x"},
                        {"a": 0.0, "b": "c74", "c": 1, "d": "d35", "e": 1.0, "f": "z"}],
        "cost": [{"a": 0.0, "b": "c74", "c": 1, "d": "d35", "e": 0.02853662776320272, "f": "x"},
                 {"a": 0.0, "b": "c74", "c": 1, "d": "d35", "e": 1.0, "f": "z"}],
    },
    # main at 4d017c81 on an AMD EPYC Zen 5 (family 26; OpenBLAS's Haswell kernels, Numba's
    # code for znver5), the same under scipy 1.17.1 (Python 3.11.7) and 1.18.1 (3.13.0)
    "scipy 1.17.1 or 1.18.1, AMD EPYC Zen 5": {
        "constrained": [{"a": 0.28478502365302855, "b": "c74", "c": 1, "d": "d35", "e": 1.0,
                         "f": "x"},
                        {"a": 0.0, "b": "c74", "c": 1, "d": "d35", "e": 1.0, "f": "z"}],
        "cost": [{"a": 0.0, "b": "c74", "c": 1, "d": "d35", "e": 0.028536627761983357,
                  "f": "x"},
                 {"a": 0.0, "b": "c74", "c": 1, "d": "d35", "e": 1.0, "f": "z"}],
    },
}


def _space(kind: str = "plain") -> dict[str, Any]:
    if kind.startswith("conditional"):
        return {"branch": Categorical(["p", "q"]), "a": Real(0, 1),
                "b": Categorical([f"c{j}" for j in range(80)], when={"branch": "p"}),
                "c": Integer(1, 100, log=True), "d": Categorical([f"d{j}" for j in range(43)]),
                "e": Real(1e-3, 1, log=True, when={"branch": "q"})}
    return {"a": Real(0, 1), "b": Categorical([f"c{j}" for j in range(80)]),
            "c": Integer(1, 100, log=True), "d": Categorical([f"d{j}" for j in range(43)]),
            "e": Real(1e-3, 1, log=True), "f": Categorical(["x", "y", "z"])}


def _outcomes(kind: str, points: list[dict[str, Any]]) -> dict[str, Any]:
    """What the tells of `points` carry besides the value, under the `OUTCOMES` kinds: one
    constraint a − 0.5 (feasible for a ≤ 0.5) and a cost exp(a + e) (e = 0.5 where absent)."""
    if kind not in OUTCOMES:
        return {}
    return {"constraints": [[p["a"] - 0.5] for p in points],
            "cost": [float(np.exp(p["a"] + p.get("e", 0.5))) for p in points]}


def _asks(kind: str) -> list[dict[str, Any]]:
    """12 Sobol points told random values; penalize kinds ask 2 left pending; then two
    asks, each told."""
    model, acquisition = KINDS[kind]
    design = Optimizer(_space(kind), seed=1, n_initial=12).ask(12)
    options = as_pinned(OptimizerOptions(model=ModelOptions(**model)))
    opt = Optimizer(_space(kind), seed=0, acquisition=acquisition, options=options)
    rng = np.random.default_rng(0)
    opt.tell(design, [float(v) for v in rng.standard_normal(12)], **_outcomes(kind, design))
    asked: list[dict[str, Any]] = opt.ask(2) if "penalize" in kind else []
    for _ in range(2):
        point = opt.ask()
        asked.append(point)
        opt.tell(point, float(rng.standard_normal()), **{
            key: value[0] for key, value in _outcomes(kind, [point]).items()})
    return asked


def _recorded() -> dict[str, list[dict[str, Any]]]:
    lines = RECORDED.read_text().splitlines()
    return {row["kind"]: row["asks"] for row in map(json.loads, lines)}


def test_the_recording_covers_every_kind() -> None:
    assert sorted(_recorded()) == sorted(KINDS)
    assert max(len(c.choices) for c in _space().values() if isinstance(c, Categorical)) > \
        optimizer_module.SWITCHES_BY_DISTANCE_ABOVE


@pytest.mark.parametrize("kind", KINDS)
def test_asks_equal_the_recorded_ones(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[bool] = []
    original = optimizer_module.AcquisitionObjective.switch_values

    def spy(self: Any, X: np.ndarray, group: np.ndarray) -> np.ndarray | None:
        values = original(self, X, group)
        calls.append(values is not None)
        return values

    monkeypatch.setattr(optimizer_module.AcquisitionObjective, "switch_values", spy)
    terms: list[int] = []
    original_moments = constrained_module.switch_moments

    def spy_moments(model: Any, X: np.ndarray, group: np.ndarray) -> Any:
        terms.append(group.shape[0])
        return original_moments(model, X, group)

    monkeypatch.setattr(constrained_module, "switch_moments", spy_moments)
    assert_asks_one_of(_asks(kind), {"the file": _recorded()[kind], **{
        where: asks[kind] for where, asks in ASKED_ELSEWHERE.items() if kind in asks}})
    assert calls and all(calls), "every big categorical scored from its switches"
    # the feasibility and cost terms too (`acquisition.constrained.switch_moments`)
    assert bool(terms) == (kind in OUTCOMES)

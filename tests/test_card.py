"""The version, the fingerprint of the resolved configuration, and the baseline card.

The rule: a default that changes which points are asked changes the
fingerprint of `Optimizer(REFERENCE_SPACE)`; the version must then change
too, and the new fingerprint is recorded here under the new version.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import shutil
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import bayesopt
from acquisition.optimizer import AcquisitionOptimizerOptions
from bayesopt import (
    Categorical,
    Fidelity,
    Integer,
    Optimizer,
    OptimizerOptions,
    Real,
    baseline_card,
)
from bayesopt.card import card_markdown, resolved_config
from bayesopt.fitting import FitOptions
from bayesopt.model import ModelOptions
from bayesopt.space import Space
from bench.adapters import run
from bench.problems import make_problem
from lapack_rounding import assert_asks_one_of

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the run-time dependency of 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))

REFERENCE_SPACE = {
    "x": Real(-5.0, 10.0),
    "lr": Real(1e-5, 1e-1, log=True),
    "layers": Integer(1, 8),
    "act": Categorical(["relu", "tanh", "gelu"]),
}  # 6 encoded columns

# version -> fingerprint of Optimizer(REFERENCE_SPACE)'s defaults; add a line with each version
DEFAULTS_FINGERPRINTS = {
    "0.2.0": "7c6c0023b798ef75",
    "0.3.0": "1cbcd64b61e60d5b",  # ModelOptions.restart_every = 4
    # AcquisitionOptimizerOptions.full_candidates_until = 200, ModelOptions.refit_growth = 0.2
    "0.4.0": "13e2eecdaf9f9519",
    # no default changed; the journal's ask gained the optional field pending_timeout
    "0.5.0": "13e2eecdaf9f9519",
    # no default changed; the journal's report gained the optional field claims
    "0.6.0": "13e2eecdaf9f9519",
    # no default changed; the journal's cancel gained the optional field claims, a tell or
    # failure may carry the optional field command, and a header's command its cwd
    "0.7.0": "13e2eecdaf9f9519",
    # no default changed; a tell may carry the optional field pruned (tell(pruned=True)),
    # and a pending event the field numbered (add_pending's points take run ids)
    "0.8.0": "13e2eecdaf9f9519",
    # no default changed; a Real's or Integer's definition (journal header, result JSON, space
    # file) may carry the optional key step (stepped dimensions)
    "0.9.0": "13e2eecdaf9f9519",
    # no default changed; a tell may carry the optional field complete (a run that reported
    # past the step report said stop at, told without pruned=True: recorded "ok")
    "0.10.0": "13e2eecdaf9f9519",
    # no default changed; a journal header's options hold new option fields (the model's
    # variance_prior, the fit's ftol, the acquisition optimizer's polish_rise_tol and
    # start_selection, each at its default), which 0.10.0 refuses naming them
    "0.11.0": "13e2eecdaf9f9519",
    # no default changed; a journal header's options hold incumbent_start (at its default,
    # false), which 0.11.0 refuses naming it
    "0.12.0": "13e2eecdaf9f9519",
    # no default option changed; under a LinearConstraint the acquisition's local search
    # runs one SLSQP problem per start instead of one of all starts (other asks unchanged)
    "0.13.0": "13e2eecdaf9f9519",
    # the MAP refit preconditioned by the last fit's curvature (fit.precondition) and the
    # acquisition's local search scaled by the lengthscales (scale_by_lengthscales), both on
    # (bench/results/ablation_round23.md); a header's options hold both, which 0.13.0
    # refuses naming them
    "0.14.0": "9884ddc58ce95827",
    # beyond full_candidates_until the shrunk candidate counts are rounded down to a
    # multiple of 8 (acquisition_optimizer.candidate_group), so the lazy posterior's solves
    # stay alike there (bench/results/candidate_groups.md); asks up to n = 200 unchanged
    "0.15.0": "56397e4bd1818d5d",
    # no default option changed (ModelOptions.fit_start added, default "last", the behaviour
    # before it); under a LinearConstraint the acquisition's SLSQP per start runs in the
    # lengthscale-scaled coordinates the L-BFGS-B search runs in (scale_by_lengthscales;
    # bench/results/linear_ask_cost.md), other asks unchanged
    "0.16.0": "56397e4bd1818d5d",
}


def test_a_default_changes_only_with_the_version():
    fingerprint = Optimizer(REFERENCE_SPACE, seed=0).fingerprint
    assert bayesopt.__version__ in DEFAULTS_FINGERPRINTS, (
        f"record the defaults' fingerprint {fingerprint!r} for version {bayesopt.__version__}")
    assert fingerprint == DEFAULTS_FINGERPRINTS[bayesopt.__version__], (
        "a default changed: bump bayesopt.__version__ and record the new fingerprint "
        f"{fingerprint!r} under it")


def test_the_version_has_one_source():
    assert bayesopt.__version__ == "0.16.0"
    assert "version" not in PYPROJECT["project"] and "version" in PYPROJECT["project"]["dynamic"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "bayesopt.__version__"}


OPTION_CHANGES = {
    "n_restarts": OptimizerOptions(model=ModelOptions(n_restarts=3)),
    "restart every": OptimizerOptions(model=ModelOptions(restart_every=1)),
    "noise floor": OptimizerOptions(model=ModelOptions(fit=FitOptions(noise_bounds=(1e-6, 10.0)))),
    "fit maxiter": OptimizerOptions(model=ModelOptions(fit=FitOptions(maxiter=199))),
    "lengthscale prior": OptimizerOptions(model=ModelOptions(lengthscale_prior="hvarfner")),
    "priors": OptimizerOptions(model=ModelOptions(priors=False)),
    "incumbent": OptimizerOptions(model=ModelOptions(incumbent="observed")),
    "fantasy": OptimizerOptions(model=ModelOptions(fantasy="liar")),
    "refit growth": OptimizerOptions(model=ModelOptions(refit_growth=0.1)),
    "mcmc": OptimizerOptions(model=ModelOptions(hyperparameters="mcmc")),
    "mcmc samples": OptimizerOptions(model=ModelOptions(hyperparameters="mcmc", mcmc_samples=9)),
    "input warping": OptimizerOptions(model=ModelOptions(input_warping=True)),
    "local scales": OptimizerOptions(
        acquisition_optimizer=AcquisitionOptimizerOptions(local_scales=(0.01, 0.05))),
    "candidates": OptimizerOptions(
        acquisition_optimizer=AcquisitionOptimizerOptions(n_candidates=2047)),
    "full candidates until": OptimizerOptions(
        acquisition_optimizer=AcquisitionOptimizerOptions(full_candidates_until=400)),
    "incumbent start": OptimizerOptions(
        acquisition_optimizer=AcquisitionOptimizerOptions(incumbent_start=True)),
}


def _changed_model_options() -> dict[str, ModelOptions]:
    """One ModelOptions per field that takes a string from a registry, set to a value
    other than its default (every such field decides the asks)."""
    changed = {}
    for spec in dataclasses.fields(ModelOptions):
        default = getattr(ModelOptions(), spec.name)
        if isinstance(default, str) and spec.name != "kernel":
            other = next(value for value in _registry(spec.name) if value != default)
            changed[spec.name] = ModelOptions(**{spec.name: other})
    return changed


def _registry(name: str) -> tuple[str, ...]:
    try:  # a ValueError names the field and lists the allowed values
        ModelOptions(**{name: "\0"})
    except ValueError as error:
        return tuple(re.findall(r"'([^']+)'", str(error).split("must be one of", 1)[-1]))
    raise AssertionError(f"ModelOptions({name}='\\0') was accepted")


FIDELITY_SPACE = {**REFERENCE_SPACE, "epochs": Fidelity(1, 27)}


@pytest.mark.parametrize(("name", "options"), _changed_model_options().items())
def test_every_model_option_changes_the_fingerprint(name: str, options: ModelOptions) -> None:
    space = FIDELITY_SPACE if name.startswith("fidelity") else REFERENCE_SPACE
    default = Optimizer(space, seed=0).fingerprint
    changed = Optimizer(space, seed=0, options=OptimizerOptions(model=options)).fingerprint
    assert changed != default, name


@pytest.mark.parametrize("options", OPTION_CHANGES.values(), ids=OPTION_CHANGES.keys())
def test_every_setting_changes_the_fingerprint(options):
    default = Optimizer(REFERENCE_SPACE, seed=0).fingerprint
    assert Optimizer(REFERENCE_SPACE, seed=0, options=options).fingerprint != default


@pytest.mark.parametrize("kwargs", [{"acquisition": "ei"}, {"kernel": "rbf"}, {"n_initial": 6},
                                    {"maximize": True}, {"acquisition": "ucb", "ucb_beta": 2.0}])
def test_every_argument_changes_the_fingerprint(kwargs):
    default = Optimizer(REFERENCE_SPACE, seed=0).fingerprint
    assert Optimizer(REFERENCE_SPACE, seed=0, **kwargs).fingerprint != default


def _asked(opt, steps, value, cost=None):
    """The points `opt` asks in `steps` ask-tell rounds of `value` (and `cost`, if given)."""
    asked = []
    for _ in range(steps):
        params = opt.ask()
        asked.append(params)
        opt.tell(params, value(params), **({} if cost is None else {"cost": cost(params)}))
    return asked


def test_the_cost_budget_changes_the_fingerprint_as_it_changes_the_asks():
    """cost_budget= cools logei_per_cost's α (Lee et al. 2020), so it decides the asks;
    it was missing from resolved_config, and runs with three budgets shared one
    fingerprint. Unset, the entry is absent (the fingerprint of logei_per_cost stays)."""
    def run(budget):
        opt = Optimizer(REFERENCE_SPACE, seed=0, acquisition="logei_per_cost",
                        cost_budget=budget, n_initial=5)
        return _asked(opt, 8, lambda p: float(p["x"]), lambda p: 2.0 + float(p["x"]) / 5.0), opt
    (plain, none), (short, twenty), (_, thousand) = run(None), run(20.0), run(1000.0)
    assert short != plain  # the budget decides the asks ...
    assert len({none.fingerprint, twenty.fingerprint, thousand.fingerprint}) == 3  # ... and
    assert twenty.resolved_config["acquisition"]["cost_budget"] == 20.0  # is stated
    assert "cost_budget" not in none.resolved_config["acquisition"]
    assert none.resolved_config == resolved_config(
        none.space, "logei_per_cost", 5, False, None, OptimizerOptions())


def test_a_pinned_activity_lengthscale_changes_the_fingerprint_as_it_changes_the_asks():
    """FitOptions(activity_lengthscale=) pins the activity columns of a conditional space
    (README, Conditional spaces: 1e-3 separates the patterns, 1e3 leaves imputation), so
    it decides the asks; it was missing from resolved_config, and the three settings
    shared one fingerprint. Unset, the entry is absent (the fingerprint stays)."""
    space = {"model": Categorical(["a", "b", "c"]), "y": Real(0.0, 1.0),
             "x": Real(0.0, 1.0, when={"model": ["a", "b"]}),
             "k": Integer(1, 9, when={"model": "b"})}

    def value(p):
        return ((p.get("x", 0.5) - 0.3) ** 2 + 0.05 * p.get("k", 3) + math.sin(5.0 * p["y"])
                + 0.3 * (p["model"] == "c"))

    def run(pinned):
        options = OptimizerOptions(model=ModelOptions(fit=FitOptions(
            activity_lengthscale=pinned)))
        opt = Optimizer(space, seed=0, n_initial=5, options=options)
        return _asked(opt, 10, value), opt
    (fitted, free), (separate, low), (_, high) = run(None), run(1e-3), run(1e3)
    assert separate != fitted  # the pin decides the asks ...
    assert len({free.fingerprint, low.fingerprint, high.fingerprint}) == 3  # ... and is stated
    assert low.resolved_config["model"]["fit"]["activity_lengthscale"] == 1e-3
    assert "activity_lengthscale" not in free.resolved_config["model"]["fit"]


def test_the_seed_is_not_part_of_the_fingerprint():
    assert Optimizer(REFERENCE_SPACE, seed=0).fingerprint == Optimizer(
        REFERENCE_SPACE, seed=1).fingerprint
    assert re.fullmatch(r"[0-9a-f]{16}", Optimizer(REFERENCE_SPACE).fingerprint)


@pytest.mark.parametrize("space, d", [({"x": Real(0, 1)}, 1), (REFERENCE_SPACE, 6)])
def test_resolved_config_states_the_priors_for_the_encoded_columns(space, d):
    config = Optimizer(space, seed=0).resolved_config
    assert config["encoded_columns"] == d
    priors = config["model"]["priors"]
    assert priors["lengthscale"]["loc"] == pytest.approx(0.5 * math.log(d) - 1.0)
    assert priors["lengthscale"]["scale"] == 1.0
    assert (priors["noise_variance"]["loc"], priors["noise_variance"]["scale"]) == (-8.0, 2.0)
    assert config["model"]["noise_bounds_standardized"] == [1e-8, 10.0]
    assert config["acquisition_optimizer"]["n_restarts"] == 8
    json.dumps(config, allow_nan=False)  # JSON-able


@pytest.mark.parametrize("acquisition, fantasy, expected", [
    ("logei", "believer", {"kind": "logei", "incumbent": "posterior_mean"}),
    ("logaei", "believer", {"kind": "logaei", "incumbent": "posterior_mean"}),
    ("ucb", "believer", {"kind": "ucb", "beta": "gp-ucb schedule", "delta": 0.1,
                         "scale": 0.2}),
    # noisy EI reads no ModelOptions.incumbent (one per sample of f(X)): its config states
    # what decides its asks instead, the sample count and the conditioning noise
    ("lognei", "believer", {"kind": "lognei", "samples": 16, "noise_free": 1e-6}),
    # local penalization reads the incumbent whatever the acquisition
    ("ucb", "penalize", {"kind": "ucb", "incumbent": "observed", "beta": "gp-ucb schedule",
                         "delta": 0.1, "scale": 0.2}),
    ("lognei", "penalize", {"kind": "lognei", "incumbent": "observed", "samples": 16,
                            "noise_free": 1e-6}),
])
def test_resolved_config_states_what_the_acquisition_reads(acquisition, fantasy, expected):
    incumbent = "observed" if fantasy == "penalize" else "posterior_mean"
    options = OptimizerOptions(model=ModelOptions(fantasy=fantasy, incumbent=incumbent))
    config = Optimizer(REFERENCE_SPACE, seed=0, acquisition=acquisition,
                       options=options).resolved_config
    assert config["acquisition"] == expected


def test_journal_header_holds_version_fingerprint_and_resolved_config(tmp_path):
    path = tmp_path / "run.jsonl"
    opt = Optimizer(REFERENCE_SPACE, seed=0, journal=path)
    opt.close()
    header = json.loads(path.read_text().splitlines()[0])
    assert header["library"] == "0.16.0"
    assert header["fingerprint"] == opt.fingerprint
    assert header["resolved_config"] == opt.resolved_config
    assert Optimizer.resume(path, append=False).fingerprint == opt.fingerprint


# written by 0.3.0: 201 observations of _bumpy told at once to Optimizer(JOURNAL_SPACE, seed=0)
JOURNAL_0_3_0 = ROOT / "tests" / "data" / "journal-0.3.0.jsonl"
JOURNAL_SPACE = {f"x{i}": Real(0.0, 1.0) for i in range(4)}
# what 0.3.0 asks next, per rounding (tests/lapack_rounding.py): recorded when the journal
# was made (scipy 1.17.1, SkylakeX), and by 0.3.0's own code (8334b5f8) resuming it on an
# AMD EPYC (scipy 1.17.1, OpenBLAS's Haswell kernels), on an AMD EPYC with AVX-512
# (scipy 1.17.1, OpenBLAS's SkylakeX kernels, Numba's code for znver4; scipy 1.18.1 there
# asks the same) and on an AMD EPYC Zen 5 (family 26; OpenBLAS's Haswell kernels, Numba's
# code for znver5; the same under scipy 1.17.1 and 1.18.1)
ASKED_BY_0_3_0 = {
    "scipy 1.17.1": [{"x0": 0.07044685376360767, "x1": 0.23367506742607658,
                      "x2": 0.630208610720264, "x3": 0.5705913866014054}],
    "scipy 1.17.1, AMD EPYC": [{"x0": 0.07044685376360772, "x1": 0.23367506742607674,
                                "x2": 0.6302086107202644, "x3": 0.5705913866014055}],
    "scipy 1.17.1, AMD EPYC (AVX-512)": [{"x0": 0.07044685376360764, "x1": 0.23367506742607647,
                                          "x2": 0.630208610720264, "x3": 0.5705913866014054}],
    "scipy 1.17.1 or 1.18.1, AMD EPYC Zen 5": [{"x0": 0.07044685376360788,
                                                "x1": 0.2336750674260767,
                                                "x2": 0.6302086107202644,
                                                "x3": 0.5705913866014057}],
}
# what an optimizer with 0.3.0's options told the journal's observations asks first: the
# journal's writer where it was written; main at e1290939 on an AMD EPYC, and on an AMD EPYC
# with AVX-512, where it asks what 0.3.0 resuming the journal asks (its LAPACK fits the θ
# the journal recorded); main at 4d017c81 under scipy 1.18.1 on an AMD EPYC with AVX-512 and
# on an AMD EPYC Zen 5
TWINS_ASKED_AT_201 = {
    "scipy 1.17.1": ASKED_BY_0_3_0["scipy 1.17.1"],
    "scipy 1.17.1, AMD EPYC": [{"x0": 0.070446842150356, "x1": 0.23367507048802666,
                                "x2": 0.6302086115896975, "x3": 0.5705913876437224}],
    "scipy 1.17.1, AMD EPYC (AVX-512)": [{"x0": 0.07044685376360764, "x1": 0.23367506742607647,
                                          "x2": 0.630208610720264, "x3": 0.5705913866014054}],
    "scipy 1.18.1, AMD EPYC (AVX-512)": [{"x0": 0.07044685376360807, "x1": 0.23367506742607588,
                                          "x2": 0.6302086107202641, "x3": 0.5705913866014058}],
    "scipy 1.17.1 or 1.18.1, AMD EPYC Zen 5": [{"x0": 0.07044681829554206,
                                                "x1": 0.23367507703890733,
                                                "x2": 0.6302086139791109,
                                                "x3": 0.5705913899978681}],
}
# what 0.3.0's code (8334b5f8), resuming the journal on each AMD EPYC, asks after its ask and
# the 20 others of the refit test are told (n = 222, its refit)
ASKED_AT_222_BY_0_3_0 = {
    "scipy 1.17.1, AMD EPYC": [{"x0": 0.1186675931173213, "x1": 0.1777005855592548,
                                "x2": 0.5941080355251789, "x3": 0.5511931008018732}],
    "scipy 1.17.1, AMD EPYC (AVX-512)": [{"x0": 0.11866759311629571, "x1": 0.17770058555780188,
                                          "x2": 0.5941080355278248, "x3": 0.5511931008015154}],
    "scipy 1.18.1, AMD EPYC (AVX-512)": [{"x0": 0.11866759311629517, "x1": 0.177700585557788,
                                          "x2": 0.5941080355278375, "x3": 0.5511931008015154}],
    "scipy 1.17.1 or 1.18.1, AMD EPYC Zen 5": [{"x0": 0.11866759311864591,
                                                "x1": 0.17770058556125579,
                                                "x2": 0.5941080355216306,
                                                "x3": 0.5511931008024021}],
}


def _bumpy(x: np.ndarray) -> float:
    return float(np.sum(np.sin(9 * x) * np.cos(5 * x[::-1])))


def test_a_journal_written_by_0_3_0_resumes_with_its_candidate_schedule(tmp_path):
    """A journal stores every option's value, so 0.3.0's full_candidates_until = 400 and
    refit_growth = 0.1 come back with it and the resumed run asks what 0.3.0 asked next
    (recorded when the journal was made, and by 0.3.0 on each rounding) — not what
    today's default, told the same 201 observations, asks."""
    journal = tmp_path / "run.jsonl"
    shutil.copy(JOURNAL_0_3_0, journal)
    resumed = Optimizer.resume(journal, append=False)
    assert resumed.options.acquisition_optimizer.full_candidates_until == 400
    assert resumed.options.model.refit_growth == 0.1
    asked_by_0_3_0 = resumed.ask()
    assert_asks_one_of([asked_by_0_3_0], ASKED_BY_0_3_0)
    X = np.random.default_rng(0).random((201, 4))  # the journal's observations
    today = Optimizer(JOURNAL_SPACE, seed=0)
    today.tell([dict(zip(JOURNAL_SPACE, map(float, x))) for x in X], [_bumpy(x) for x in X])
    assert today.history == resumed.history[:201]
    asked = today.ask()
    assert max(abs(asked[k] - asked_by_0_3_0[k]) for k in asked) > 1e-9


def test_a_journal_written_by_0_3_0_refits_on_its_writers_schedule(tmp_path):
    """Beyond n = 200 the resumed run refits where 0.3.0 did (at 10 % growth, 201 -> 222), not
    at today's 20 % (242): after 21 more tells (its ask and 20 others) it asks what 0.3.0
    asks, which is not what an optimizer with today's refit_growth asks. Where the journal
    was written that is what an optimizer with 0.3.0's options, told the same, asks; on
    another LAPACK rounding the resumed run keeps the θ its journal recorded while such a
    twin fits its own at n = 201, their asks differ in the last digits; what 0.3.0 asks on
    each rounding other than the writer's was recorded by 0.3.0's own code."""
    journal = tmp_path / "run.jsonl"
    shutil.copy(JOURNAL_0_3_0, journal)
    resumed = Optimizer.resume(journal, append=False)
    X = np.random.default_rng(0).random((201, 4))  # the journal's observations
    twins = {}
    for growth in (0.1, 0.2):
        twins[growth] = Optimizer(JOURNAL_SPACE, seed=0, options=OptimizerOptions(
            model=ModelOptions(refit_growth=growth, fit=FitOptions(precondition=False)),
            acquisition_optimizer=AcquisitionOptimizerOptions(full_candidates_until=400,
                                                              scale_by_lengthscales=False)))
        twins[growth].tell([dict(zip(JOURNAL_SPACE, map(float, x))) for x in X],
                           [_bumpy(x) for x in X])
    more = [dict(zip(JOURNAL_SPACE, map(float, x))) for x in np.random.default_rng(1).random((20, 4))]
    firsts, asks = [], []
    for opt in (resumed, twins[0.1], twins[0.2]):
        firsts.append(opt.ask())
        for told in ([firsts[-1]], more):  # the pending point first, then 20 others: n = 222
            opt.tell(told, [_bumpy(np.array(list(p.values()))) for p in told])
        asks.append(opt.ask())
    assert_asks_one_of(firsts[:1], ASKED_BY_0_3_0)
    assert firsts[1] == firsts[2]  # n = 201: the twins' refits have not diverged yet
    assert_asks_one_of(firsts[1:2], TWINS_ASKED_AT_201)
    assert_asks_one_of(asks[:1], {"scipy 1.17.1": asks[1:2],  # where the journal was written
                                  **ASKED_AT_222_BY_0_3_0})
    assert asks[0] != asks[2] and asks[1] != asks[2], "the schedules should differ at n = 222"


def test_benchmark_records_carry_version_and_fingerprint():
    problem = make_problem("branin", 0)
    record = run(problem, "bayesopt", seed=0, budget=2)
    assert record["library"] == bayesopt.__version__
    space = Space(problem.space)
    assert record["fingerprint"] == Optimizer(space, seed=0).fingerprint


CARD_ITEMS = ("encoding", "initial_design", "output_transform", "kernel", "priors", "noise",
              "fit", "refit_schedule", "acquisition", "acquisition_optimizer", "fantasies")


def test_the_card_states_every_default_with_a_citation():
    card = baseline_card()
    assert card["identity"] == {"version": "0.16.0", "encoded_columns": None, "fingerprint": None}
    for item in CARD_ITEMS:
        assert card[item]["default"] and card[item]["citation"], item
    assert "LogNormal(½·log d − 1, 1)" in card["priors"]["default"]
    assert "d = number of encoded columns" in card["priors"]["default"]
    assert "1e-08" in card["noise"]["default"] and "2 random restarts" in card["fit"]["default"]
    assert "incumbent='posterior_mean'" in card["acquisition"]["default"]


def test_the_card_says_what_a_reimplementation_needs_to_reproduce_the_gps_targets():
    """Yeo–Johnson is not shift- or scale-invariant: applied to the raw values (what the
    card's 'yeo-johnson …; then standardization' read as) it gives another λ and other
    targets. The card now names the z-scores before it, the zero mean, and an integer's
    relaxed span (tests/test_surrogate.py rebuilds the targets and the posterior so)."""
    card = baseline_card()
    assert card["output_transform"]["default"].startswith("z-scores of the values")
    assert "then yeo-johnson with λ" in card["output_transform"]["default"]
    assert "standardized again" in card["output_transform"]["default"]
    assert card["kernel"]["default"].startswith("zero-mean GP, matern52")
    assert "[low − ½, high + ½]" in card["encoding"]["default"]


def test_the_card_of_a_space_gives_its_numbers():
    card = baseline_card(Space(REFERENCE_SPACE))
    assert card["identity"]["encoded_columns"] == 6
    assert card["identity"]["fingerprint"] == Optimizer(REFERENCE_SPACE).fingerprint
    loc = 0.5 * math.log(6) - 1.0
    assert f"LogNormal({loc:.6g}, 1) on each lengthscale" in card["priors"]["default"]



TWO_REALS = {"x": Real(0, 1), "y": Real(0, 1)}


def _model_prior_loc(opt: Optimizer) -> float:
    """The lengthscale prior's loc the optimizer's GP fits with (at its first fit)."""
    for _ in range(30):  # BOHB's GP waits for enough evaluations at one budget
        params = opt.ask()
        opt.tell(params, (params["x"] - 0.3) ** 2 + params.get("y", 0.5))
        model = opt.result().model
        if model is not None:
            return model.priors.lengthscale.loc
    raise AssertionError("no model after 30 evaluations")


@pytest.mark.parametrize(("space", "options", "d"), [
    ({**TWO_REALS, "epochs": Fidelity(1, 9)}, ModelOptions(), 3),  # + the budget level
    ({**TWO_REALS, "epochs": Fidelity(1, 9)}, ModelOptions(fidelity_model="bohb"), 2),
    ({**TWO_REALS, "k": Integer(0, 2), "z": Real(0, 1, when={"k": [0, 1]})},
     ModelOptions(), 5),  # x, y, k, z + z's activity column
    ({"act": Categorical(["a", "b"]), "x": Real(0, 1), "y": Real(0, 1, when={"act": "a"})},
     ModelOptions(), 5),  # one-hot 2 + x + y + y's activity column
], ids=["fidelity", "fidelity-bohb", "conditional", "conditional-categorical"])
def test_the_card_states_the_prior_the_model_uses(space, options, d):
    """The card and the resolved configuration state the lengthscale prior of the GP's
    d, its input columns (the budget level counts with fidelity_model="budget-input",
    the activity columns of conditional dimensions count); with a Fidelity they stated
    d = the encoded columns (two reals + a Fidelity: −0.653 for the model's −0.451)."""
    loc = 0.5 * math.log(d) - 1.0
    opt = Optimizer(space, seed=0, options=OptimizerOptions(model=options))
    assert opt.resolved_config["model"]["priors"]["lengthscale"]["loc"] == pytest.approx(loc)
    if options == ModelOptions():
        assert f"LogNormal({loc:.6g}, 1) on each lengthscale" in baseline_card(space)[
            "priors"]["default"]
        assert baseline_card(space)["identity"]["fingerprint"] == opt.fingerprint
    assert _model_prior_loc(opt) == pytest.approx(loc, rel=1e-12)


# written by 0.4.0 (main at c80ee6c, before the card counted the budget level): 8 evaluations
# of TWO_REALS + Fidelity(1, 9) each, a journal (seed 0) and a JSON-lines study "fid" (seed 1)
JOURNAL_FIDELITY = ROOT / "tests" / "data" / "journal-0.4.0-fidelity.jsonl"
STUDY_FIDELITY = ROOT / "tests" / "data" / "study-0.4.0-fidelity.jsonl"
FINGERPRINT_BEFORE = "8455d266e8751236"  # their header's, stating d = 2
# what the journal's writer asks next, per rounding (tests/lapack_rounding.py): recorded
# when it was made (scipy 1.17.1, SkylakeX), and by c80ee6c's own code resuming it on an AMD
# EPYC (scipy 1.17.1, OpenBLAS's Haswell kernels) and on an AMD EPYC Zen 5 (family 26;
# OpenBLAS's Haswell kernels; the same under scipy 1.17.1 and 1.18.1); on an AMD EPYC with
# AVX-512 c80ee6c asks the first (8 observations: the Numba loops round alike up to 16 rows)
ASKED_NEXT = {
    "scipy 1.17.1": [{"x": 0.36083821386442144, "y": 0.8552418995073888, "epochs": 1}],
    "scipy 1.17.1, AMD EPYC": [{"x": 0.3608382103154751, "y": 0.8552419316849041, "epochs": 1}],
    "scipy 1.17.1 or 1.18.1, AMD EPYC Zen 5": [{"x": 0.3608380904369587, "y": 0.8552419241807689,
                                                "epochs": 1}],
}


def test_fidelity_runs_written_before_the_card_counted_the_budget_resume_and_attach(tmp_path):
    """The fingerprint is for readers (bayesopt.journal): resume and attach never compare
    it, so a Fidelity journal and study whose header states the old fingerprint resume
    (asking what their writer asked next) and attach; their records keep the header's."""
    from bayesopt import cli

    space = {**TWO_REALS, "epochs": Fidelity(1, 9)}
    journal, study = tmp_path / "run.jsonl", tmp_path / "study.jsonl"
    shutil.copy(JOURNAL_FIDELITY, journal)
    shutil.copy(STUDY_FIDELITY, study)
    resumed = Optimizer.resume(journal, append=False)
    assert len(resumed.history) == 8
    assert_asks_one_of([resumed.ask()], ASKED_NEXT)
    assert resumed.fingerprint != FINGERPRINT_BEFORE  # states d = 3 now
    assert cli.read_record(journal).result().fingerprint == FINGERPRINT_BEFORE
    attached = Optimizer(space, seed=2, storage=str(study), study="fid")
    assert len(attached.history) == 8
    attached.tell(attached.ask(), 0.5)
    attached.close()
    record = cli.read_study_record(str(study), "fid")
    assert len(record.history) == 9 and record.result().fingerprint == FINGERPRINT_BEFORE


def test_the_card_takes_a_space_as_optimizer_takes_it():
    assert baseline_card(REFERENCE_SPACE) == baseline_card(Space(REFERENCE_SPACE))
    named = [dim.named(name) for name, dim in REFERENCE_SPACE.items()]
    assert baseline_card(named)["identity"] == baseline_card(REFERENCE_SPACE)["identity"]
    with pytest.raises(TypeError, match="space must be a dict of dimensions"):
        baseline_card(3)


def test_the_card_formula_is_the_default_prior():
    options = ModelOptions()
    for d in (1, 3, 20):
        config = Optimizer({f"x{i}": Real(0, 1) for i in range(d)}, seed=0,
                           options=OptimizerOptions(model=replace(options))).resolved_config
        assert config["model"]["priors"]["lengthscale"]["loc"] == pytest.approx(
            0.5 * math.log(d) - 1.0)


def test_the_card_document_is_generated_from_the_card():
    document = (ROOT / "docs" / "baseline-card.md").read_text(encoding="utf-8")
    assert document == card_markdown(baseline_card()), "regenerate: python docs/make_card.py"


def _cff(key: str) -> str:
    text = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    match = re.search(rf'^{key}: "?([^"\n]+)"?$', text, re.MULTILINE)
    assert match, f"CITATION.cff has no top-level {key}"
    return match.group(1)


def test_citation_and_license_match_the_project():
    project = PYPROJECT["project"]
    assert project["license"] == _cff("license") == "BSD-3-Clause"
    assert project["license-files"] == ["LICENSE"]
    assert _cff("cff-version") == "1.2.0" and _cff("version") == bayesopt.__version__
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", _cff("date-released"))
    assert 'name: "The bayesopt developers"' in (ROOT / "CITATION.cff").read_text()
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    cited = re.search(r"The bayesopt developers \(\d{4}\), \*bayesopt\*, version ([\w.]+),", readme)
    assert cited and cited.group(1) == bayesopt.__version__, "README's Citing names another version"
    license_text = (ROOT / "LICENSE").read_text()
    assert license_text.startswith("BSD 3-Clause License")
    assert "Copyright (c) 2026, The bayesopt developers" in license_text

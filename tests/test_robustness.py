"""Regressions of the numerical-robustness fuzz (`bench/robustness_fuzz.py`, review 42).

    FAST  : optimizer options with a small acquisition optimizer and a short fit
    told(values) : an optimizer told `values` at the first len(values) of POINTS

Each test pins one fault the fuzz found, with numbers at the ends of the float range:

- a constant objective or constraint is modelled in its own units: its surrogate scales
  with it (the constant got the standardization scale 1, whatever its magnitude: the
  predictive std of a constant 1e-300 was 0.003–0.07, as for a constant 1, and a
  constraint constant at 1e-300 put its threshold c = 0 at 1e-300 prior standard
  deviations, so that P(c ≤ 0) = ½ everywhere and the asks of an all-infeasible run no
  longer sought feasibility); equal values whose
  mean rounds off them by an ulp were standardized by an ulp of that ulp, which made the
  GP's targets ±1 instead of 0 (a constraint constant at 0.3 or 7.1 asked other points);
- every real number is an objective value as it is a cost, a constraint or a point's
  coordinate: a `Fraction` was refused by `tell`, `report` and `minimize` as "not a real
  number" while `cost=` and `constraints=` took it;
- the plots' numbers at the ends of the float range: a surface flat to the float resolution
  of its values (1e12 + 1e-4·f, values 1e300 or subnormal) made matplotlib raise 'Contour
  levels must be increasing', the levels of a surface from −1.8e308 to 1.8e308 were NaN, a
  partial dependence near the float maximum overflowed in its average (numpy's warning, and
  inf), and so did the cell edges of a Real(1e307, 1.7e308);
- `Surrogate.acquisition`'s value, exponentiated from its log, overflowed with numpy's
  warning for EI per unit cost at subnormal costs.

The last test checks the fuzzer's harness itself (what it counts as a refusal or a fault).
"""

from __future__ import annotations

import re
import sys
import warnings
from fractions import Fraction
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from acquisition.optimizer import AcquisitionOptimizerOptions
from bayesopt import Fidelity, Optimizer, Real, minimize, plots
from bayesopt.fitting import FitOptions
from bayesopt.model import ModelOptions
from bayesopt.options import OptimizerOptions

FAST = OptimizerOptions(
    model=ModelOptions(n_restarts=0, fit=FitOptions(maxiter=50)),
    acquisition_optimizer=AcquisitionOptimizerOptions(
        n_candidates=256, n_local_candidates=64, n_restarts=2, maxiter=30),
)
FMAX = sys.float_info.max
POINTS = [{"x": 0.1, "y": 0.8}, {"x": 0.5, "y": 0.3}, {"x": 0.9, "y": 0.6}, {"x": 0.3, "y": 0.1}]


def told(values: list[float], **kwargs) -> Optimizer:
    opt = Optimizer({"x": Real(0, 1), "y": Real(0, 1)}, seed=0, n_initial=3, options=FAST,
                    **kwargs)
    opt.tell(POINTS[: len(values)], values)
    return opt


# ------------------------------------------------ constant targets, in their own units
@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("factor", [1e-300, 1e-6, 1e6, 1e300])
def test_the_surrogate_of_a_constant_objective_scales_with_its_units(factor):
    """Values c·v give the predictions c·(those of v): the GP's scale for a constant v was
    1 in any units, so a constant 1e-300 had a predictive std of 0.003–0.07."""
    query = [{"x": 0.7, "y": 0.9}, POINTS[0]]
    unit = told([2.0] * 4).surrogate().predict(query)
    scaled = told([2.0 * factor] * 4).surrogate().predict(query)
    np.testing.assert_allclose(scaled.mean, factor * unit.mean, rtol=1e-12)
    np.testing.assert_allclose(scaled.std, factor * unit.std, rtol=1e-9)
    assert np.all(unit.std > 0)


def asks_with_constant_constraint(c: float) -> list[tuple[float, float]]:
    """An all-infeasible run: every evaluation's one constraint value is c > 0."""
    opt = Optimizer({"x": Real(0, 1), "y": Real(0, 1)}, seed=0, n_initial=3, options=FAST)
    asked = []
    for i in range(7):
        batch = opt.ask(2) if i == 6 else [opt.ask()]
        asked += [(p["x"], p["y"]) for p in batch]
        opt.tell(batch, [float(i)] * len(batch), constraints=[[c]] * len(batch))
    return asked


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("c", [5e-324, 1e-300, 1e-6, 0.3, 7.1, 1e6, 1e300, FMAX])
def test_a_constant_constraint_asks_the_same_in_any_units(c):
    """Feasibility is the sign of c, so a constraint constant at c > 0 is the same problem
    in any units; the asks (which seek P(c ≤ 0), the most uncertain points) are the same
    bit for bit. At c ≤ 1e-6 the threshold lay ~c prior standard deviations from the data,
    log P(c ≤ 0) was flat at log ½ to rounding, and the asks wandered."""
    assert asks_with_constant_constraint(c) == asks_with_constant_constraint(1.0)


# ------------------------------------------------------------ a Fraction is a number
def test_a_fraction_is_an_objective_value_as_it_is_a_cost_or_a_constraint():
    opt = Optimizer({"x": Real(0, 1)}, seed=0, n_initial=2, options=FAST, n_constraints=1)
    opt.tell({"x": 0.5}, Fraction(1, 3), constraints=[Fraction(-1, 3)], cost=Fraction(2, 3))
    (obs,) = opt.history
    assert (obs.value, obs.constraints, opt.total_cost) == (1 / 3, (-1 / 3,), 2 / 3)
    assert type(obs.value) is float


def test_minimize_and_report_take_a_fraction():
    result = minimize(lambda p: Fraction(round(8 * p["x"]), 3), {"x": Real(0, 1)}, n_calls=4,
                      n_initial=2, seed=0, progress=False, options=FAST)
    assert [o.status for o in result.history] == ["ok"] * 4
    assert result.best_value == min(round(8 * o.params["x"]) / 3 for o in result.history)
    opt = Optimizer({"x": Real(0, 1), "b": Fidelity(1, 9)}, seed=0, n_initial=2, options=FAST)
    params = opt.ask()
    assert opt.report(params, 1, Fraction(1, 2)) is False


@pytest.mark.parametrize("value, shown", [(True, "True"), ("0.5", "'0.5'")])
def test_what_is_no_real_number_is_still_refused_naming_it(value, shown):
    from decimal import Decimal

    opt = Optimizer({"x": Real(0, 1)}, seed=0, n_initial=2, options=FAST)
    for bad, text in ((value, shown), (Decimal("0.5"), "Decimal('0.5')")):
        with pytest.raises(TypeError, match=re.escape(f"objective value must be a real number, got {text}")):
            opt.tell({"x": 0.5}, bad)
    assert opt.history == []


# ------------------------------------------------------------ plots at the float ends
@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("values", [
    [1e12 + 1e-4 * k for k in (3, 1, 2, 0)],  # flat to the float resolution of 1e12
    [1e300] * 4,
    [5e-324, 1e-323, 0.0, 5e-324],
], ids=["1e12 offset", "constant 1e300", "subnormal"])
def test_the_objective_plot_draws_values_at_the_ends_of_the_float_range(values):
    result = told(values).result()
    try:
        _, axes = plots.objective(result, n_points=6, n_samples=16)
    finally:
        plt.close("all")
    assert axes.shape == (2, 2)


@pytest.mark.filterwarnings("error")
def test_a_partial_dependence_near_the_float_maximum_is_finite():
    """Its average over samples summed past the float range (numpy's overflow warning, and
    inf). Drawing it is left to matplotlib, whose axis margins overflow there."""
    result = told([FMAX, 0.5 * FMAX, 0.9 * FMAX, FMAX]).result()
    _, pd = plots.partial_dependence_1d(result, "x", n_points=6, n_samples=16)
    _, _, pd_2d = plots.partial_dependence_2d(result, "x", "y", n_points=6, n_samples=16)
    for surface in (pd, pd_2d):
        assert np.all(np.isfinite(surface)) and np.all(surface > 0.4 * FMAX)


@pytest.mark.filterwarnings("error")
def test_the_plots_of_a_real_near_the_float_maximum_have_finite_cell_edges():
    space = {"x": Real(1e307, 1.7e308)}
    opt = Optimizer(space, seed=0, n_initial=3, options=FAST)
    for x in (2e307, 8e307, 1.5e308, 5e307):
        opt.tell({"x": x}, x / 1e308)
    result = opt.result()
    try:
        plots.objective(result, n_points=6, n_samples=16)
        plots.evaluations(result)
    finally:
        plt.close("all")


def test_no_warning_escapes_a_flat_objective_plot():
    """A flat surface (every value 3.25) still gets one unit of colour range, as before."""
    result = told([3.25] * 4).result()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            _, axes = plots.objective(result, n_points=6, n_samples=16)
            norm = axes[1, 0].collections[0].norm
        finally:
            plt.close("all")
    assert norm.vmax - norm.vmin >= 1.0


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("low, high", [
    (3.25, 3.25), (1e12, 1e12 + 1e-4), (1e300, 1e300), (0.0, 1.5e-323), (5e-324, 5e-324),
    (-FMAX, FMAX), (FMAX, FMAX), (-FMAX, -FMAX), (-1.0, 2.0),
])
def test_the_colour_scale_of_any_surface_has_finite_increasing_contour_levels(low, high):
    """The 2-D panels' levels span the surfaces' range [low, high], widened where 13 levels
    there would not all differ; from −1.8e308 to 1.8e308 np.linspace's levels were NaN."""
    vmin, vmax = plots._colour_limits(low, high)
    levels = plots._contour_levels(vmin, vmax)
    assert np.all(np.isfinite(levels)) and np.all(np.diff(levels) > 0)
    assert vmin <= low and high <= vmax
    if high - low > 1e-6 * max(abs(low), abs(high), 1.0):  # an ordinary range is kept as it is
        assert (vmin, vmax) == (low, high)


# ------------------------------------------------------ the acquisition past the float range
@pytest.mark.filterwarnings("error")
def test_the_acquisition_per_cost_at_subnormal_costs_is_inf_where_its_log_is_finite():
    """EI per unit cost with costs of 5e-324 s is EI·ĉ^−1 ~ e^744, past the float range:
    `Surrogate.acquisition`'s value exponentiated its log with numpy's overflow warning
    (fuzz finding, seed 1 of 'cost: subnormal'). The value is inf there, its log finite."""
    opt = Optimizer({"x": Real(0, 1), "y": Real(0, 1)}, seed=0, n_initial=3, options=FAST,
                    acquisition="logei_per_cost")
    opt.tell(POINTS, [0.3, 0.1, 0.7, 0.2], cost=5e-324)
    values = opt.surrogate().acquisition([{"x": 0.0, "y": 0.0}, *POINTS])
    assert np.all(np.isfinite(values.log_value))
    big = values.log_value > np.log(FMAX)
    assert big.any()  # the case: some value beyond the float range
    assert np.all(np.isinf(values.value[big])) and np.all(np.isfinite(values.value[~big]))
    shown = ~big & (values.value > 0)  # (a tiny one underflows to 0)
    np.testing.assert_allclose(np.log(values.value[shown]), values.log_value[shown], rtol=1e-12)


# ------------------------------------------------------------ the fuzzer's own harness
def test_the_fuzzers_harness_tells_a_refusal_from_a_fault():
    """bench.robustness_fuzz counts a step as refused only for a ValueError/TypeError naming
    the key and the value it expects; anything else there, or an accepted illegal step,
    or an undocumented warning, is a fault; one scenario runs end to end."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from bench.robustness_fuzz import Refuse, Run, fuzz

    def bad(message: str):
        def call():
            raise ValueError(message)
        return call

    run = Run(timeout=10)
    run.step("named", bad("cost=-1.0 must be > 0"), refuse=Refuse("cost", "-1.0"))
    run.step("unnamed", bad("must be > 0"), refuse=Refuse("cost", "-1.0"))
    run.step("accepted", lambda: None, refuse=Refuse("cost", "-1.0"))
    run.step("warned", lambda: warnings.warn("overflow", RuntimeWarning))
    run.step("raised", bad("boom"))
    assert run.refusals == 1 and len(run.faults) == 4 and run.steps == 5
    ((_, _, one),) = list(fuzz([0], 60, "value type refused: nan"))
    assert (one.refusals, one.faults) == (1, [])


def test_the_fuzzers_families_where_users_live_run_clean():
    """One sequence of each family the fuzz added for storages, conditional spaces, the
    integrations and the command line (bench/robustness_fuzz.py's docstring) ends without a
    fault, and the refusal family refuses as required."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from bench.robustness_fuzz import fuzz

    names = ["conditional refused: inactive key present",
             "stored in a journal: fidelity, constraint and cost",
             "stored in a sqlite: two constraints", "optuna: nan now and then",
             "scikit-learn: ±1e300", "command line: killed by SIGKILL after the number"]
    outcomes = {name: run for name in names for (_, _, run) in fuzz([0], 120, name)}
    assert {name: run.faults for name, run in outcomes.items()} == {n: [] for n in names}
    assert outcomes["conditional refused: inactive key present"].refusals == 2
    assert all(run.steps >= 2 for run in outcomes.values())


def test_the_fuzzers_input_constraint_checks_see_a_violation_and_a_lost_note():
    """bench.robustness_fuzz's `check_feasible` judges a point by the user's constraint
    objects (a LinearConstraint, a callable) and reports the one it violates; `propagated`
    takes only the callable's own exception with its feasible= note."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from bayesopt import LinearConstraint
    from bench.robustness_fuzz import RAISE, Boom, Fault, Run, Switch, check_feasible, propagated

    constraints = [LinearConstraint({"x0": 1, "x1": 1}, "<=", 1), lambda p: p["x0"] > 0.1]
    run = Run(timeout=10)
    check_feasible(run, constraints, [{"x0": 0.3, "x1": 0.7}, {"x0": 0.6, "x1": 0.6},
                                      {"x0": 0.05, "x1": 0.1}], "ask")
    assert len(run.faults) == 2 and "1·x0 + 1·x1 <= 1" in run.faults[0]
    assert "callable" in run.faults[1]

    switch = Switch(RAISE)
    switch.on = True

    def noted() -> None:
        try:
            switch({"x0": 0.5, "x1": 0.5})
        except Boom as error:
            error.__notes__ = ["raised by the feasible= callable f called with params={}"]
            raise
    assert propagated(noted, switch) == "raised as itself"
    with pytest.raises(Fault, match="without a note"):
        propagated(lambda: switch({"x0": 0.5, "x1": 0.5}), switch)

    def another() -> None:
        raise Boom("another")
    with pytest.raises(Fault, match="another Boom"):
        propagated(another, switch)


def test_the_concurrency_fuzz_runs_clean_and_its_check_sees_a_lost_tell():
    """bench.concurrency_fuzz: 4 threads on one journaled optimizer and minimize on a
    thread pool with x0 end without a fault (seed 0; the families on processes, Dask and
    Optuna take minutes: bench/results/robustness_fuzz.md); its check of a folded history
    reports a tell the members made that the history lacks, and a count that does not
    add up."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from bayesopt import Optimizer, Real
    from bench.concurrency_fuzz import SCENARIOS, check_folded, new_log
    from bench.robustness_fuzz import Run, fuzz

    names = ["threads on one: journaled optimizer", "minimize with: a thread pool"]
    outcomes = {name: run for name in names
                for (_, _, run) in fuzz([0], 120, name, SCENARIOS)}
    assert {name: run.faults for name, run in outcomes.items()} == {n: [] for n in names}
    assert all(run.steps >= 1 for run in outcomes.values())

    opt = Optimizer({"x": Real(0, 1)}, seed=0)
    log = new_log()
    (point,) = opt.ask(1)
    log["asked"].append(point)
    opt.tell(point, 1.0)
    log["told"] += [(point, 1.0), ({"x": 0.5}, 2.0)]  # the second never reached the history
    run = Run(timeout=10)
    check_folded(opt, [log], run)
    assert any("not stored" in f for f in run.faults), run.faults
    assert any(f.startswith("counts:") for f in run.faults), run.faults


def test_the_concurrency_fuzz_takes_a_documented_match_refusal_and_no_other():
    """bench.concurrency_fuzz's random add_pending: a point within tell's matching
    tolerance (MATCH_RTOL) of a pending point is refused "pending already", as documented,
    which the fuzz counts as refused (False), not as a fault; a point clear of every
    pending one is added (True)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from bayesopt import Optimizer, Real
    from bench.concurrency_fuzz import add_unless_matched

    opt = Optimizer({"x0": Real(0, 1), "x1": Real(0, 1)}, seed=0)
    asked = opt.ask()
    near = {k: v * (1 + 1e-3) for k, v in asked.items()}
    assert add_unless_matched(opt, near) is False
    assert add_unless_matched(opt, {"x0": 0.0123, "x1": 0.987}) is True
    assert len(opt.pending) == 2


def test_the_fuzzers_seeds_past_4_fuzz_the_library_not_the_fuzz():
    """Seeds 5-14 (fuzz47) met three faults of the fuzz's own: `units: constant values`
    told 4 + seed points at x0 = 0.1·k, outside Real(0, 1) from seed 7 (refused, rightly,
    naming x0 = 1.1); the stored conditional family's random add_pending drew, on a branch
    of a Categorical and an Integer only, a point pending already (refused "pending
    already", as add_pending documents); the Dask kill came after the run from seed 7.
    Now the points stay in the box, and a pending point's add is a refusal required
    (`matched`, tell's rule), not a fault."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from bayesopt import Categorical, Integer
    from bench.robustness_fuzz import fuzz, matched

    ((_, _, units),) = list(fuzz([11], 120, "units: constant values × 1e-06"))
    ((_, _, stored),) = list(fuzz([11], 120, "stored in a journal: conditional"))
    assert (units.faults, units.steps) == ([], 2)
    assert stored.faults == [] and stored.refusals >= 1

    opt = Optimizer({"root": Categorical(["a", "b"]), "n": Integer(0, 3), "x": Real(1, 2)},
                    seed=0)
    (asked,) = opt.ask(1)
    assert matched(opt, dict(asked), opt.pending)
    assert matched(opt, {**asked, "x": asked["x"] * (1 + 4e-3)}, opt.pending)
    assert not matched(opt, {**asked, "x": asked["x"] * (1 + 6e-3)}, opt.pending)
    assert not matched(opt, {**asked, "n": (asked["n"] + 1) % 4}, opt.pending)

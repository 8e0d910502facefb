"""Regressions of the numerical-robustness fuzz (`bench/robustness_fuzz.py`, review 42).

    FAST  : optimizer options with a small acquisition optimizer and a short fit
    told(values) : an optimizer told `values` at the first len(values) of POINTS

Each test pins one fault the fuzz found, with numbers at the ends of the float range:

- a constant objective or constraint is modelled in its own units: its surrogate scales
  with it (the constant got the standardization scale 1, whatever its magnitude: the
  predictive std of a constant 1e-300 was ~1e-3, and a constraint constant at 1e-300 put
  its threshold c = 0 at 1e-300 prior standard deviations, so that P(c ≤ 0) = ½ everywhere
  and the asks of an all-infeasible run no longer sought feasibility); equal values whose
  mean rounds off them by an ulp were standardized by an ulp of that ulp, which made the
  GP's targets ±1 instead of 0 (a constraint constant at 0.3 or 7.1 asked other points);
- every real number is an objective value as it is a cost, a constraint or a point's
  coordinate: a `Fraction` was refused by `tell`, `report` and `minimize` as "not a real
  number" while `cost=` and `constraints=` took it.
"""

from __future__ import annotations

import re
import sys
from fractions import Fraction

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from acquisition.optimizer import AcquisitionOptimizerOptions
from bayesopt import Fidelity, Optimizer, Real, minimize
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
    1 in any units, so a constant 1e-300 was predicted as 1e-300 ± 1e-3."""
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

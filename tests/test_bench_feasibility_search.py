"""bench/feasibility_search.py: its problems are what its docstring says, and its figures are
computed as stated (random search's geometric quantiles, the report's cells)."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `bench` is not installed: import it from the repository
    sys.path.insert(0, str(ROOT))

from bench import feasibility_search as fs


@pytest.mark.parametrize("d", [2, 4, 6])
def test_the_ball_holds_its_share_of_the_box_and_lies_inside_it(d):
    evaluate = fs.PROBLEMS[f"ball{d}"].make(3)
    X = np.random.default_rng(0).random((20_000, d))
    feasible = np.array([evaluate({f"x{i}": x[i] for i in range(d)})[1][0] <= 0
                         for x in X])
    # the share by the formula, checked against 20,000 uniform points (±4 standard errors)
    assert abs(feasible.mean() - 0.02) < 4 * math.sqrt(0.02 * 0.98 / 20_000)
    r = fs.ball_radius(d, 0.02)
    assert math.pi ** (d / 2) * r**d / math.gamma(d / 2 + 1) == pytest.approx(0.02)


def test_the_decoy_basin_is_infeasible_and_the_narrow_one_feasible():
    for seed in range(5):
        a, b = fs._decoy_centres(seed)
        assert fs._decoy_c(a, a, b) > 0.25  # an infeasible local minimum of c at a
        assert fs._decoy_c(b, a, b) < -0.25
        grid = np.stack(np.meshgrid(*(np.linspace(-0.02, 0.02, 9) + a[i] for i in range(2))), -1)
        assert fs._decoy_c(grid, a, b).min() >= fs._decoy_c(a, a, b) - 1e-3


@pytest.mark.parametrize("share", [0.5, 0.02, 0.00684])
@pytest.mark.parametrize("q", [0.25, 0.5, 0.75])
def test_geometric_quantile_is_the_least_n_with_enough_probability(q, share):
    n = fs.geometric_quantile(q, share)
    assert 1 - (1 - share) ** n >= q - 1e-12 > 1 - (1 - share) ** (n - 1)


def test_a_run_stops_at_its_first_feasible_evaluation():
    result = fs.run("gramacy_n2", 0)
    assert result["first"] is not None and len(result["asked"]) == result["first"]
    evaluate = fs.PROBLEMS["gramacy_n2"].make(0)
    told = [evaluate({"x1": x[0], "x2": x[1]})[1] for x in result["asked"]]
    assert all(c <= 0 for c in told[-1]) and not any(all(c <= 0 for c in t) for t in told[:-1])


def test_summary_counts_runs_without_a_feasible_point_as_largest():
    assert fs._summary([3, 5, math.inf, math.inf]) == "5 [3, inf] 50%"


def test_run_and_example_need_a_label(capsys):
    for command in ("run", "example"):
        with pytest.raises(SystemExit) as exit_info:
            fs.main([command])
        assert exit_info.value.code == 2
        assert "needs --label" in capsys.readouterr().err

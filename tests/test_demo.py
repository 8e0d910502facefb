"""The demo's space (`bayesopt.demo`): conditional where scikit-learn's MLPClassifier is."""

from __future__ import annotations

from bayesopt import Optimizer
from bayesopt.demo import DEMO_SPACE, N_INITIAL

SGD_ONLY = {"momentum", "learning_rate"}  # MLPClassifier reads them with solver="sgd" only


def test_the_demos_asks_carry_momentum_and_the_schedule_only_with_sgd() -> None:
    """An adam configuration shows (and is modelled by) only what adam uses; it carried
    momentum and the schedule, which MLPClassifier ignores under adam."""
    opt = Optimizer(DEMO_SPACE, seed=0, n_initial=N_INITIAL)
    asks = opt.ask(N_INITIAL)
    always = set(DEMO_SPACE) - SGD_ONLY
    assert {p["solver"] for p in asks} == {"adam", "sgd"}
    for params in asks:
        expected = always | (SGD_ONLY if params["solver"] == "sgd" else set())
        assert set(params) == expected, params

"""Every warning the library gives through a public call is attributed to the caller's
line (`bayesopt.failures.caller_level`), not to a line inside the package: warning
filters by module and Python's once-per-location default then see the user's code.

Each case triggers one warning through `ask`, `tell`, `minimize` or `Optimizer.resume`
called from this file and checks the warning's filename is this file."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

import bayesopt.model
from bayesopt import (
    Fidelity,
    Optimizer,
    Real,
    ResumeSettingsWarning,
    ResumeWarning,
    TopBudgetWarning,
    UnmatchedTellWarning,
    minimize,
)
from bayesopt.fitting import FitResult
from bayesopt.model import ModelFitWarning

SPACE = {"x": Real(0, 1), "y": Real(0, 1)}


def _quadratic(params: dict) -> float:
    return (params["x"] - 0.3) ** 2 + (params["y"] - 0.6) ** 2


def _unmatched_tell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    opt = Optimizer(SPACE, seed=0)
    opt.ask()
    opt.tell({"x": 0.123456, "y": 0.654321}, 1.0)


def _resume_with_pending(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    journal = tmp_path / "run.jsonl"
    opt = Optimizer(SPACE, seed=0, journal=journal)
    told, _ = opt.ask(), opt.ask()
    opt.tell(told, _quadratic(told))
    Optimizer.resume(journal)


def _minimize_resumed_with_other_settings(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    journal = tmp_path / "run.jsonl"
    minimize(_quadratic, SPACE, n_calls=3, seed=0, journal=journal, progress=False)
    minimize(_quadratic, SPACE, n_calls=4, seed=0, journal=journal, progress=False,
             acquisition="ucb")


def _minimize_short_of_the_top_budget(tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    minimize(lambda p: p["x"], {"x": Real(0, 1), "epochs": Fidelity(1, 27)}, n_calls=6,
             seed=0, progress=False)


def _per_cost_without_a_cost(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    opt = Optimizer(SPACE, seed=0, n_initial=3, acquisition="logei_per_cost")
    for _ in range(3):
        params = opt.ask()
        opt.tell(params, _quadratic(params))
    opt.ask()


def _executor_with_one_worker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with ThreadPoolExecutor(2) as pool:
        minimize(_quadratic, SPACE, n_calls=2, seed=0, executor=pool, progress=False)


def _failed_fit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing(kernel_name, X, y, priors, starts, *args, **kwargs):
        return FitResult(np.asarray(starts[0]), math.inf, False, 0)  # did not converge

    monkeypatch.setattr(bayesopt.model, "fit_map", failing)
    opt = Optimizer(SPACE, seed=0, n_initial=3)
    for _ in range(5):
        params = opt.ask()
        opt.tell(params, _quadratic(params))


CASES: dict[str, tuple[Callable[[Path, pytest.MonkeyPatch], None], type[Warning]]] = {
    "tell of an unasked point": (_unmatched_tell, UnmatchedTellWarning),
    "resume with pending points": (_resume_with_pending, ResumeWarning),
    "minimize resumed with other settings": (_minimize_resumed_with_other_settings,
                                             ResumeSettingsWarning),
    "minimize short of the top budget": (_minimize_short_of_the_top_budget, TopBudgetWarning),
    "logei_per_cost without a cost": (_per_cost_without_a_cost, UserWarning),
    "a failed fit": (_failed_fit, ModelFitWarning),
    "an executor with one worker": (_executor_with_one_worker, UserWarning),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_warning_is_attributed_to_the_callers_line(case: str, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    trigger, category = CASES[case]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trigger(tmp_path, monkeypatch)
    raised = [w for w in caught if issubclass(w.category, category)]
    assert raised, f"{case}: no {category.__name__} among {[str(w.message) for w in caught]}"
    assert {w.filename for w in raised} == {__file__}, [(w.filename, w.lineno) for w in raised]

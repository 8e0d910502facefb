"""Pickling and deep-copying an Optimizer: the copy asks exactly what the original asks.

    stage(name) : an optimizer on a mixed space, driven to one of STAGES —
                  "design"  (inside the Sobol initial design),
                  "model"   (the GP proposes),
                  "pending" (the GP proposes and two asked points are not told)
    run(opt, n) : n more ask/tell steps on `objective`; the points asked

Copies are made by a pickle round trip, by `copy.deepcopy`, by the
scikit-optimize habit (`pickle.dump` to a file, `pickle.load` later) and by
handing the optimizer to a process started with the `spawn` method. A copy is
detached from the original's journal.
"""

from __future__ import annotations

import copy
import math
import multiprocessing
import pickle
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest

import bayesopt
from acquisition.optimizer import AcquisitionOptimizerOptions
from bayesopt import Categorical, Integer, Optimizer, Real
from bayesopt.fitting import FitOptions
from bayesopt.model import ModelOptions
from bayesopt.options import OptimizerOptions

FAST = OptimizerOptions(
    model=ModelOptions(n_restarts=0, fit=FitOptions(maxiter=50)),
    acquisition_optimizer=AcquisitionOptimizerOptions(
        n_candidates=256, n_local_candidates=64, n_restarts=2, maxiter=30
    ),
)
SPACE = {
    "lr": Real(1e-4, 1e-1, log=True),
    "units": Integer(8, 64),
    "act": Categorical(["relu", "tanh", "gelu"]),
}
STAGES = {"design": 2, "model": 7, "pending": 7}  # tells before the copy


def objective(params: dict[str, Any]) -> float:
    penalty = {"relu": 0.0, "tanh": 0.3, "gelu": 0.1}[params["act"]]
    return (math.log10(params["lr"]) + 2.5) ** 2 + ((params["units"] - 40) / 20) ** 2 + penalty


def run(opt: Optimizer, n: int) -> list[dict[str, Any]]:
    asked = []
    for _ in range(n):
        params = opt.ask()
        opt.tell(params, objective(params))
        asked.append(params)
    return asked


def stage(name: str, journal: Path | None = None) -> Optimizer:
    opt = Optimizer(SPACE, seed=3, n_initial=5, options=FAST, journal=journal)
    run(opt, STAGES[name])
    if name == "pending":
        opt.ask(2)
    return opt


def pickle_round_trip(opt: Optimizer) -> Optimizer:
    copied = pickle.loads(pickle.dumps(opt))
    assert isinstance(copied, Optimizer)
    return copied


COPIES: dict[str, Callable[[Optimizer], Optimizer]] = {
    "pickle": pickle_round_trip, "deepcopy": copy.deepcopy,
}


@pytest.mark.parametrize("how", sorted(COPIES))
@pytest.mark.parametrize("name", sorted(STAGES))
def test_a_copy_asks_what_the_original_asks(name: str, how: str) -> None:
    opt = stage(name)
    copied = COPIES[how](opt)
    assert copied.history == opt.history and copied.pending == opt.pending
    assert run(copied, 3) == run(opt, 3)
    assert copied.ask(2) == opt.ask(2)
    assert copied.history == opt.history and copied.pending == opt.pending


@pytest.mark.parametrize("how", sorted(COPIES))
def test_a_copy_is_independent_of_the_original(how: str) -> None:
    opt = stage("model")
    copied = COPIES[how](opt)
    before = opt.history
    run(copied, 2)
    assert opt.history == before and len(copied.history) == len(before) + 2
    assert opt.pending == []


def test_dump_to_a_file_load_and_continue(tmp_path: Path) -> None:
    """The scikit-optimize habit: `dump(opt, file)`, later `load(file)` and go on."""
    opt = stage("pending")
    with open(tmp_path / "opt.pkl", "wb") as file:
        pickle.dump(opt, file)
    with open(tmp_path / "opt.pkl", "rb") as file:
        loaded = pickle.load(file)
    for params in opt.pending:  # the loaded optimizer is told the pending points' results
        loaded.tell(params, objective(params))
        opt.tell(params, objective(params))
    assert run(loaded, 4) == run(opt, 4)


def continue_elsewhere(opt: Optimizer, n: int) -> tuple[list[dict[str, Any]], Optimizer]:
    """Run in a spawned process: continue the run and send the optimizer back."""
    return run(opt, n), opt


def test_hand_off_to_a_spawned_process() -> None:
    opt = stage("model")
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        asked, returned = pool.submit(continue_elsewhere, opt, 3).result(timeout=300)
    assert asked == run(opt, 3)
    assert returned.history == opt.history
    assert run(returned, 2) == run(opt, 2)


@pytest.mark.parametrize("how", sorted(COPIES))
def test_a_copy_is_detached_from_the_journal(tmp_path: Path, how: str) -> None:
    opt = stage("pending", journal=tmp_path / "run.jsonl")
    journal = (tmp_path / "run.jsonl").read_bytes()
    copied = COPIES[how](opt)
    run(copied, 2)
    copied.close()
    assert (tmp_path / "run.jsonl").read_bytes() == journal  # the copy wrote nothing
    asked = run(opt, 1)  # the original still journals, and its journal resumes
    opt.close()
    resumed = Optimizer.resume(tmp_path / "run.jsonl", append=False)
    assert resumed.history == opt.history and asked[0] == resumed.history[-1].params
    assert run(resumed, 2) == run(opt, 2)


def test_a_pickle_of_another_version_is_refused_saying_how_to_continue() -> None:
    """A pickle records the library version that wrote it; another version's is refused
    (its internal state may differ), naming the journal or study as the way to continue."""
    opt = Optimizer(SPACE, seed=0, options=FAST)
    run(opt, 2)
    state = opt.__getstate__()
    assert state["__bayesopt_version__"] == bayesopt.__version__
    assert pickle.loads(pickle.dumps(opt)).ask() == opt.ask()
    state["__bayesopt_version__"] = "0.0.1"
    with pytest.raises(ValueError, match=r"pickled by bayesopt '0\.0\.1'.*Optimizer\.resume"):
        Optimizer.__new__(Optimizer).__setstate__(state)


def test_an_unversioned_050_pickle_is_refused_at_load_not_at_its_first_ask() -> None:
    """tests/data/optimizer-0.5.0.pkl: an Optimizer of one Real told twice, pickled by
    bayesopt 0.5.0 (main at 2127ca2c). Before, it loaded and its first ask raised
    AttributeError: 'OptimizerState' object has no attribute 'n_claimed'."""
    path = Path(__file__).parent / "data" / "optimizer-0.5.0.pkl"
    with pytest.raises(ValueError, match=r"pickled by an older bayesopt.*Optimizer\.resume"):
        pickle.loads(path.read_bytes())

"""`Optimizer.result()` fits its surrogate on the first read of `model` or `surrogate`:
what is read equals, bit for bit, the surrogate fitted when the result was made, however
the optimizer goes on; a pickle or a copy carries it; a result changes no later ask."""

from __future__ import annotations

import copy
import dataclasses
import pickle
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bayesopt import Categorical, Integer, Optimizer, Real
from bayesopt.model import SurrogateModel
from bayesopt.result import OptimizeResult
from bayesopt.surrogate import Surrogate

SPACE = {"lr": Real(1e-4, 1e-1, log=True), "layers": Integer(1, 8),
         "act": Categorical(["relu", "tanh"])}
POINTS = [{"lr": 1e-3, "layers": 2, "act": "relu"}, {"lr": 0.05, "layers": 7, "act": "tanh"},
          {"lr": 2e-4, "layers": 5, "act": "tanh"}]


def objective(p: dict[str, Any]) -> float:
    return (np.log10(p["lr"]) + 2.5) ** 2 + (p["layers"] - 3) ** 2 / 9 + (p["act"] == "tanh")


def told(opt: Optimizer, n: int) -> Optimizer:
    for _ in range(n):
        p = opt.ask()
        opt.tell(p, objective(p))
    return opt


def same(a: Surrogate, b: Surrogate) -> None:
    """Predictions, acquisitions (with and without the pending points) and hyperparameters
    at fixed points, bit for bit."""
    for one, other in ((a.predict(POINTS), b.predict(POINTS)),):
        assert np.array_equal(one.mean, other.mean) and np.array_equal(one.std, other.std)
    for pending in (False, True):
        assert np.array_equal(a.acquisition(POINTS, pending=pending).value,
                              b.acquisition(POINTS, pending=pending).value)
    assert repr(a.hyperparameters()) == repr(b.hyperparameters())
    assert a.model.n_observed == b.model.n_observed


def deferred(result: OptimizeResult) -> bool:
    return object.__getattribute__(result, "__dict__").get("_deferred") is not None


def test_the_surrogate_read_later_is_the_one_of_when_the_result_was_made() -> None:
    opt = told(Optimizer(SPACE, seed=4, n_initial=5), 12)
    opt.ask()  # a pending point: the acquisition with pending=True conditions on it
    eager = opt.surrogate()
    result = opt.result()
    assert deferred(result)
    told(opt, 4)  # the optimizer goes on; the result does not
    assert result.best_value == min(o.value for o in result.history)
    assert repr(result).startswith("OptimizeResult(")
    assert result == dataclasses.replace(result, model=None, surrogate=None)
    assert len(result.history) == 12 and deferred(result)  # none of these fitted it
    assert result.surrogate is not None and not deferred(result)
    assert result.model is result.surrogate.model
    same(result.surrogate, eager)


def test_a_resumed_optimizers_result_fits_as_surrogate_does(tmp_path: Path) -> None:
    journal = tmp_path / "run.jsonl"
    told(Optimizer(SPACE, seed=1, n_initial=5, journal=journal), 11).close()
    reader = Optimizer.resume(journal, append=False)
    eager = Optimizer.resume(journal, append=False).surrogate()
    result = reader.result()
    assert deferred(result)
    same(result.surrogate, eager)


@pytest.mark.parametrize("how", ["pickle", "deepcopy", "copy", "replace"])
def test_a_pickle_or_copy_of_a_result_carries_the_fitted_surrogate(how: str) -> None:
    opt = told(Optimizer(SPACE, seed=2, n_initial=5), 10)
    eager, result = opt.surrogate(), opt.result()
    moved = {"pickle": lambda r: pickle.loads(pickle.dumps(r)), "deepcopy": copy.deepcopy,
             "copy": copy.copy, "replace": dataclasses.replace}[how](result)
    assert not deferred(moved) and moved == result
    assert moved.surrogate is not None
    same(moved.surrogate, eager)


def test_before_n_initial_successes_the_result_has_no_surrogate_and_nothing_deferred() -> None:
    opt = told(Optimizer(SPACE, seed=0, n_initial=5), 3)
    result = opt.result()
    assert not deferred(result) and result.model is None and result.surrogate is None
    with pytest.raises(ValueError, match="no surrogate"):
        result.recommend()


def test_threads_reading_a_deferred_result_at_once_get_one_surrogate() -> None:
    result = told(Optimizer(SPACE, seed=5, n_initial=5), 9).result()
    assert deferred(result)  # else the threads would race over nothing
    seen: list[Any] = []
    threads = [threading.Thread(target=lambda: seen.append(result.surrogate)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 4 and all(s is seen[0] for s in seen)


def test_a_result_taken_midway_changes_no_later_ask(tmp_path: Path) -> None:
    journal = tmp_path / "run.jsonl"
    told(Optimizer(SPACE, seed=7, n_initial=5, journal=journal), 9).close()
    plain, probed = (Optimizer.resume(journal, append=False) for _ in range(2))
    result = probed.result()
    asks = [plain.ask(2), probed.ask(2)]
    assert asks[0] == asks[1]
    assert result.surrogate is not None
    assert plain.ask() == probed.ask()


def test_a_result_without_its_surrogate_pickles_the_history_and_fits_nothing(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Pickling fits a deferred surrogate (the pickle is then whole, as before the fit was
    deferred); `dataclasses.replace(result, model=None, surrogate=None)` is the way to keep
    the history only (many results saved at once), and fits nothing."""
    opt = told(Optimizer(SPACE, seed=3, n_initial=5), 9)
    result = opt.result()
    fits: list[float] = []
    fit_snapshot = Optimizer._fit_snapshot

    def counted(self: Optimizer, now: float) -> Surrogate:
        fits.append(now)
        return fit_snapshot(self, now)

    monkeypatch.setattr(Optimizer, "_fit_snapshot", counted)
    bare = pickle.loads(pickle.dumps(dataclasses.replace(result, model=None, surrogate=None)))
    assert fits == [] and deferred(result)
    assert bare == result and bare.model is None and bare.surrogate is None
    whole = pickle.loads(pickle.dumps(result))
    assert len(fits) == 1 and whole.surrogate is not None


@pytest.fixture
def model_copies(monkeypatch: pytest.MonkeyPatch) -> list[SurrogateModel]:
    """Every deep copy of a `SurrogateModel` made from now on (its factor is the bulk of
    an optimizer's memory), counted; the copy is the one `copy.deepcopy` makes."""
    copies: list[SurrogateModel] = []

    def counted(self: SurrogateModel, memo: dict[int, Any]) -> SurrogateModel:
        copies.append(self)
        duplicate = SurrogateModel.__new__(SurrogateModel)
        memo[id(self)] = duplicate
        duplicate.__dict__.update(copy.deepcopy(self.__dict__, memo))
        return duplicate

    monkeypatch.setattr(SurrogateModel, "__deepcopy__", counted, raising=False)
    return copies


def test_reading_a_results_history_and_best_copies_no_surrogate(
        model_copies: list[SurrogateModel]) -> None:
    opt = told(Optimizer(SPACE, seed=6, n_initial=5), 10)
    told(opt, 1)
    assert model_copies == []  # an ask and a tell copy none: what follows is the result's
    result = opt.result()
    assert result.best is not None and len(result.history) == 11
    assert result.best_value == min(result.values) and result.to_json()
    assert model_copies == [] and deferred(result)
    assert result.surrogate is not None and model_copies  # the first read copies


def test_a_result_dropped_before_the_optimizer_goes_on_is_never_copied(
        model_copies: list[SurrogateModel]) -> None:
    opt = told(Optimizer(SPACE, seed=6, n_initial=5), 10)
    assert opt.result().best is not None
    told(opt, 2)
    assert model_copies == []


def test_a_result_kept_while_the_optimizer_goes_on_is_copied_once_before_it_changes(
        model_copies: list[SurrogateModel]) -> None:
    opt = told(Optimizer(SPACE, seed=8, n_initial=5), 10)
    opt.ask()
    eager = opt.surrogate()
    model_copies.clear()
    result = opt.result()
    opt.rng.random(3)  # the user's draws from the generator are not the result's either
    told(opt, 3)
    assert len(model_copies) == 1 and deferred(result)
    assert len(result.history) == 10
    same(result.surrogate, eager)


def test_a_shared_studys_result_is_as_of_the_call_after_another_worker_tells(
        tmp_path: Path) -> None:
    url = tmp_path / "study.jsonl"
    mine = Optimizer(SPACE, seed=9, n_initial=5, storage=url, study="s")
    other = Optimizer(SPACE, seed=10, n_initial=5, storage=url, study="s")
    told(mine, 8)
    eager = mine.surrogate()
    result = mine.result()
    told(other, 2)
    assert len(mine.history) == 10  # the catch-up applies the other worker's tells
    assert len(result.history) == 8
    same(result.surrogate, eager)
    mine.close()
    other.close()


def test_a_surrogate_holds_two_models_equal_to_ones_built_apart_and_later_tells_leave_it(
        tmp_path: Path, model_copies: list[SurrogateModel]) -> None:
    """`surrogate()` deep copies the model twice (the twins of its two acquisitions, the
    one without pending points sharing its model with the snapshot), and a result's
    surrogate once besides its snapshot (whose copy builds the acquisition with the
    pending points); they were three and four copies. What they hold equals, bit for bit,
    the model and acquisitions built apart as before (the model copied and brought up to
    the others' tells, each acquisition on a twin of its own) — in a shared study whose
    other worker told since this one's last ask, with outcome constraints, so the model
    is refit on the twin. Later tells and asks change neither surrogate."""
    from bayesopt.propose import update_after_tell

    url = tmp_path / "study.jsonl"
    mine = Optimizer(SPACE, seed=9, n_initial=5, storage=url, study="s")
    other = Optimizer(SPACE, seed=10, n_initial=5, storage=url, study="s")

    def tell(opt: Optimizer, n: int) -> None:
        for _ in range(n):
            p = opt.ask()
            opt.tell(p, objective(p), constraints=[p["layers"] - 6.0])

    tell(mine, 8)
    mine.ask()  # pending: the acquisition with pending=True conditions on it
    tell(other, 3)  # told since: `surrogate()` adds them to the model
    model_copies.clear()
    eager = mine.surrogate()
    assert len(model_copies) == 2
    result = mine.result()
    assert result.surrogate is not None and len(model_copies) == 4

    model = copy.deepcopy(mine._model)  # as `surrogate()` built its model before
    model.clear_fantasies()
    data = mine._state.model_data()
    assert model.n_observed != data.y.shape[0]  # the other worker's tells: a refit
    model.rng = mine._state.fork_rng()
    update_after_tell(model, data, mine.n_initial)
    apart = Surrogate(mine.space, model, mine.maximize, mine._modelled(),
                      (mine._snapshot_objective(pending=False),
                       mine._snapshot_objective(pending=True)))
    same(eager, apart)
    same(result.surrogate, apart)

    held = pickle.loads(pickle.dumps(eager))
    tell(mine, 2)
    tell(other, 1)
    mine.ask()
    same(eager, held)
    same(result.surrogate, held)
    mine.close()
    other.close()

"""The journal (`Optimizer(journal=...)`) and exact resume (`Optimizer.resume`, `minimize`).

    path      : a journal file, one JSON object per line (bayesopt.journal)
    header    : line 1 — format, version, library version, space, config
    event     : every later line — {"event": "ask" | "tell" | "failure", "points": ..., "state": ...}
    twin      : `Optimizer.resume` on a *copy* of a live optimizer's journal, so that both
                can go on side by side and be compared ask for ask

What is checked: the header and one fsync'ed line per event; that a resumed optimizer
has the same history, pending points, random state and surrogate as the live one and
asks exactly what it asks (mixed spaces with failures and batches, non-JSON categories,
maximize, UCB, across refits and the append-only regime past 200 observations); a torn
last line; a journal for another space; refusing to overwrite; corrupt journals and
invalid values raising `JournalError`; loading never unpickling anything; and
`minimize(..., journal=...)` continuing a run without evaluating anything twice.
"""

from __future__ import annotations

import copy
import json
import math
import os
import pathlib
import pickle
import re
import shutil
import signal
import stat
import subprocess
import sys
import warnings
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

import bayesopt
import bayesopt.journal
import bayesopt.optimizer
import bayesopt.state
import bayesopt.study
from acquisition.optimizer import AcquisitionOptimizerOptions
from bayesopt import Categorical, Integer, Optimizer, OptimizeResult, Real, minimize
from bayesopt.failures import EvaluationFailedWarning
from bayesopt.fitting import FitOptions
from bayesopt.journal import JournalError, TruncatedJournalWarning
from bayesopt.model import ModelOptions
from bayesopt.options import OptimizerOptions
from bayesopt.state import ModelTrace

# Resuming a journal or study that holds evaluations warns (ResumeWarning), and so does an
# evaluation that raises in minimize (EvaluationFailedWarning): a test that does either says
# so with pytest.warns, and any other such warning fails it.
pytestmark = [pytest.mark.filterwarnings("error::bayesopt.optimizer.ResumeWarning"),
              pytest.mark.filterwarnings("error::bayesopt.failures.EvaluationFailedWarning")]

FAST = OptimizerOptions(
    model=ModelOptions(n_restarts=1, fit=FitOptions(maxiter=50)),
    acquisition_optimizer=AcquisitionOptimizerOptions(
        n_candidates=256, n_local_candidates=64, n_restarts=2, maxiter=30
    ),
)

# Categories that do not survive JSON (tuples come back as lists): resume needs space=.
TUPLE_CHOICES = [("relu", 1), ("tanh", 2), ("gelu", 3)]


def mixed_space() -> dict[str, Any]:
    return {
        "lr": Real(1e-4, 1.0, log=True),
        "width": Real(-2.0, 2.0),
        "layers": Integer(1, 6),
        "act": Categorical(TUPLE_CHOICES),
    }


def objective(params: dict[str, Any]) -> float:
    """Deterministic; fails (None) in one corner of the space."""
    if params["layers"] == 6 and params["width"] > 1.0:
        return None  # type: ignore[return-value]
    act = {"relu": 0.0, "tanh": 0.5, "gelu": 0.2}[params["act"][0]]
    return (math.log10(params["lr"]) + 2) ** 2 + params["width"] ** 2 + 0.1 * params["layers"] + act


def report(opt: Optimizer, params: dict[str, Any], failure_every: int = 0) -> None:
    """Tell the objective's value, or a failure (also every `failure_every`-th observation)."""
    value = objective(params)
    n = len(opt.history)
    if value is None or (failure_every and n % failure_every == failure_every - 1):
        opt.tell_failure(params, RuntimeError(f"evaluation {n} diverged"))
    else:
        opt.tell(params, value)


def drive(opt: Optimizer, steps: int) -> None:
    """A mixed sequence: single asks, batches of 3 told in one call or one by one, failures."""
    for step in range(steps):
        if step % 3 == 1:
            batch = opt.ask(3)
            if step % 2:
                values = [objective(p) for p in batch[:2]]
                opt.tell(batch[:2], [9.0 if v is None else v for v in values])  # 9: a bad value
                report(opt, batch[2], failure_every=4)
            else:
                for params in batch:
                    report(opt, params, failure_every=4)
        else:
            report(opt, opt.ask(), failure_every=4)


def resumes(n: int, pending: int = 0) -> pytest.WarningsRecorder:
    """The `ResumeWarning` of resuming a journal of n evaluations and `pending` points in
    flight (module's pytestmark: any other one fails the test)."""
    return pytest.warns(bayesopt.optimizer.ResumeWarning,
                        match=rf": {n} evaluations and {pending} pending points")


def twin(opt: Optimizer, path: pathlib.Path, tmp_path: pathlib.Path, **kwargs: Any) -> Optimizer:
    copy = tmp_path / f"twin-{len(list(tmp_path.iterdir()))}.jsonl"
    shutil.copy(path, copy)
    with resumes(len(opt.history), len(opt.pending)):
        return Optimizer.resume(copy, **kwargs)


def assert_same_state(resumed: Optimizer, live: Optimizer) -> None:
    assert resumed.history == live.history
    assert resumed.pending == live.pending
    assert resumed.rng.bit_generator.state == live.rng.bit_generator.state
    assert resumed._design_used == live._design_used
    assert resumed._model.state() == live._model.state()
    assert resumed.space == live.space and resumed.options == live.options
    assert (resumed.acquisition, resumed.n_initial, resumed.seed, resumed.maximize) == (
        live.acquisition, live.n_initial, live.seed, live.maximize)


def assert_same_future(resumed: Optimizer, live: Optimizer, steps: int = 10) -> None:
    """Both tell their pending points, then ask and tell `steps` times: identical asks."""
    for params in live.pending:
        report(live, params)
        report(resumed, params)
    for step in range(steps):
        asked = live.ask(2) if step % 4 == 3 else [live.ask()]
        again = resumed.ask(2) if step % 4 == 3 else [resumed.ask()]
        assert again == asked, f"ask {step} after resume differs"
        for params in asked:
            report(live, params)
            report(resumed, params)
    assert_same_state(resumed, live)


def events(path: pathlib.Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()[1:]]


# ==================================================================== format


def test_header_holds_space_library_version_and_config(tmp_path):
    path = tmp_path / "run.jsonl"
    options = replace(FAST, model=replace(FAST.model, kernel="matern32"))
    Optimizer(mixed_space(), seed=3, n_initial=4, acquisition="ucb",
              ucb_beta=2.0, maximize=True, options=options, journal=path).close()
    lines = path.read_text().splitlines()
    assert len(lines) == 1
    header = json.loads(lines[0])
    assert header["journal"] == "bayesopt" and header["version"] == 2
    assert header["library"] == bayesopt.__version__
    assert header["space"] == {
        "lr": {"type": "real", "low": 1e-4, "high": 1.0, "log": True},
        "width": {"type": "real", "low": -2.0, "high": 2.0, "log": False},
        "layers": {"type": "integer", "low": 1, "high": 6, "log": False},
        "act": {"type": "categorical", "choices": [{"tuple": list(c)} for c in TUPLE_CHOICES]},
    }
    config = header["config"]
    assert {k: config[k] for k in ("acquisition", "n_initial", "seed", "maximize", "ucb_beta")} == {
        "acquisition": "ucb", "n_initial": 4, "seed": 3, "maximize": True, "ucb_beta": 2.0}
    assert config["options"]["model"]["kernel"] == "matern32"
    assert OptimizerOptions.from_dict(config["options"]) == options


def test_seedless_optimizer_journals_the_seed_it_drew(tmp_path):
    path = tmp_path / "run.jsonl"
    opt = Optimizer({"x": Real(0, 1)}, journal=path)
    assert json.loads(path.read_text().splitlines()[0])["config"]["seed"] == opt.seed
    opt.ask()
    resumed = twin(opt, path, tmp_path)
    assert resumed.seed == opt.seed and resumed.ask() == opt.ask()


def test_one_line_per_event_with_its_points(tmp_path):
    path = tmp_path / "run.jsonl"
    opt = Optimizer(mixed_space(), seed=0, n_initial=3, options=FAST, journal=path)
    a = opt.ask()
    batch = opt.ask(3)
    opt.tell(a, 1.5)
    opt.tell(batch[:2], [2.5, 3.5])
    opt.tell_failure(batch[2], "out of memory")
    opt.tell_failure([opt.ask(), opt.ask()])
    recorded = events(path)
    assert [e["event"] for e in recorded] == [
        "ask", "ask", "tell", "tell", "failure", "ask", "ask", "failure"]
    assert [len(e["points"]) for e in recorded] == [1, 3, 1, 2, 1, 1, 1, 2]
    assert recorded[2]["values"] == [1.5] and recorded[3]["values"] == [2.5, 3.5]
    assert recorded[4]["errors"] == ["out of memory"] and recorded[7]["errors"] == [None, None]
    # categories by index, numbers as they are
    act = TUPLE_CHOICES.index(a["act"])
    assert recorded[0]["points"] == [[a["lr"], a["width"], a["layers"], act]]
    assert all(set(e["state"]) == {"rng", "design_used", "model"} for e in recorded)


def test_every_event_is_fsynced_before_the_call_returns(tmp_path, monkeypatch):
    path = tmp_path / "run.jsonl"
    synced: list[int] = []  # the journal's size at each fsync of the file
    synced_directories: list[int] = []  # inodes of the directories fsync'ed
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            synced_directories.append(info.st_ino)
        else:
            synced.append(info.st_size)
        real_fsync(fd)

    monkeypatch.setattr(bayesopt.journal.os, "fsync", recording_fsync)
    opt = Optimizer({"x": Real(0, 1), "k": Integer(0, 4)}, seed=0, n_initial=2, options=FAST,
                    journal=path)
    calls = [
        lambda: opt.ask(),
        lambda: opt.ask(3),
        lambda: opt.tell(opt.pending[0], 1.0),
        lambda: opt.tell(opt.pending[:2], [2.0, 3.0]),
        lambda: opt.tell_failure(opt.pending[0], "boom"),
        lambda: opt.tell({"x": 0.5, "k": 2}, 0.5),  # a point that was never asked
        lambda: opt.ask(),  # from the model now
        lambda: opt.tell(opt.pending[0], 0.25),
    ]
    assert synced == [path.stat().st_size]  # the header
    if os.name == "posix":  # and the new file's directory entry
        assert synced_directories == [tmp_path.stat().st_ino]
    for number, call in enumerate(calls, 2):
        call()
        size = path.stat().st_size
        assert len(synced) == number, "exactly one fsync per event"
        assert synced[-1] == size, "the whole line was written and flushed before the fsync"
        assert path.read_bytes().endswith(b"\n")
        assert len(path.read_text().splitlines()) == number


# ==================================================================== resume


def test_resume_of_a_mixed_run_restores_everything_and_asks_the_same(tmp_path):
    path = tmp_path / "run.jsonl"
    live = Optimizer(mixed_space(), seed=1, n_initial=5, options=FAST, journal=path)
    drive(live, 9)
    live.ask(3)
    live.ask()  # four pending points
    assert len(live.pending) == 4 and any(not o.ok for o in live.history)
    assert any(o.error and "diverged" in o.error for o in live.history)
    resumed = twin(live, path, tmp_path, space=mixed_space())
    assert_same_state(resumed, live)
    assert resumed.history[0].params["act"] in TUPLE_CHOICES  # tuples, not JSON lists
    assert_same_future(resumed, live)


def test_resume_right_after_model_based_asks_asks_the_same(tmp_path):
    """The smallest case: one continuous dimension, a few asks from the model, resume."""
    path = tmp_path / "run.jsonl"
    live = Optimizer({"x": Real(0, 1)}, seed=0, n_initial=2, options=FAST, journal=path)
    for _ in range(4):
        p = live.ask()
        live.tell(p, (p["x"] - 0.3) ** 2)
    resumed = twin(live, path, tmp_path)
    assert_same_state(resumed, live)
    assert resumed.ask() == live.ask()


def test_resume_without_the_space_keeps_tuple_choices_as_tuples(tmp_path):
    """Format 2 stores tuple choices as tagged lists: resume needs no space= for them."""
    path = tmp_path / "run.jsonl"
    live = Optimizer(mixed_space(), seed=0, n_initial=3, options=FAST, journal=path)
    drive(live, 3)
    resumed = twin(live, path, tmp_path)
    assert resumed.space == live.space
    assert all(isinstance(o.params["act"], tuple) for o in resumed.history)
    assert_same_future(resumed, live, steps=3)


def test_a_nan_choice_is_journaled_and_resumed_without_the_space(tmp_path):
    """Categorical([np.nan, ...]) (scikit-learn's missing_values=np.nan) with journal=
    raised a ValueError quoting the whole header ('Out of range float values are not
    JSON compliant'); the choice is stored as {"float": "nan"} and read back as NaN."""
    path = tmp_path / "run.jsonl"
    space = {"missing": Categorical([np.nan, 0.0, -np.inf]), "x": Real(0.0, 1.0)}
    live = Optimizer(space, seed=0, n_initial=3, options=FAST, journal=path)
    for _ in range(6):
        params = live.ask()
        live.tell(params, params["x"] + (params["missing"] == 0.0))
    live.close()
    header = json.loads(path.read_text().splitlines()[0])
    assert header["space"]["missing"]["choices"] == [{"float": "nan"}, 0.0, {"float": "-inf"}]
    with resumes(6):
        resumed = Optimizer.resume(path)
    assert bayesopt.journal.space_to_json(resumed.space) == bayesopt.journal.space_to_json(
        live.space)
    assert [o.params["x"] for o in resumed.history] == [o.params["x"] for o in live.history]
    assert [repr(o.params["missing"]) for o in resumed.history] == [
        repr(o.params["missing"]) for o in live.history]
    assert repr(resumed.ask()) == repr(live.ask())


@pytest.mark.parametrize(
    "kwargs",
    [
        {"maximize": True},
        {"acquisition": "ucb"},
        {"acquisition": "ucb", "ucb_beta": 3.0,
         "options": replace(FAST, model=replace(FAST.model, kernel="rbf"))},
        {"acquisition": "ei", "options": replace(FAST, model=replace(FAST.model, kernel="matern12"))},
        {"options": replace(FAST, model=replace(FAST.model, fantasy="penalize"))},
        {"options": replace(FAST, model=replace(FAST.model, fantasy="believer"))},
    ],
    ids=["maximize", "ucb schedule", "ucb fixed beta rbf", "ei matern12",
         "local penalization", "kriging believer"],
)
def test_resume_asks_the_same_for_other_settings(tmp_path, kwargs):
    path = tmp_path / "run.jsonl"
    space = {"x": Real(-1, 1), "k": Integer(0, 5), "c": Categorical(["a", "b"])}
    kwargs = {"options": FAST, **kwargs}
    live = Optimizer(space, seed=4, n_initial=4, journal=path, **kwargs)

    def value(p):
        return (p["x"] - 0.2) ** 2 + 0.1 * p["k"] + (p["c"] == "b")

    for step in range(8):
        p = live.ask()
        live.tell(p, value(p)) if step != 5 else live.tell_failure(p)
    live.ask(2)
    resumed = twin(live, path, tmp_path)
    assert_same_state(resumed, live)
    for _ in range(10):
        for p in live.pending:
            live.tell(p, value(p))
            resumed.tell(p, value(p))
        assert resumed.ask() == live.ask()
        assert resumed.ask(2) == live.ask(2)  # chosen with the first one pending
    assert_same_state(resumed, live)


@pytest.mark.parametrize("kernel", ["rbf", "matern32", "matern12"])
def test_resume_keeps_the_kernel(tmp_path, kernel):
    path = tmp_path / "run.jsonl"
    Optimizer({"x": Real(0, 1)}, seed=0, kernel=kernel, journal=path).close()
    assert Optimizer.resume(path).options.model.kernel == kernel


def test_resume_during_the_initial_design_with_pending_design_points(tmp_path):
    path = tmp_path / "run.jsonl"
    live = Optimizer(mixed_space(), seed=2, n_initial=8, options=FAST, journal=path)
    live.ask(3)
    report(live, live.pending[1])
    resumed = twin(live, path, tmp_path, space=mixed_space())
    assert live._design_used == resumed._design_used == 3
    assert_same_state(resumed, live)
    assert_same_future(resumed, live, steps=8)  # crosses into the model phase


def test_resume_past_200_observations_restores_the_appended_model(tmp_path):
    """Bulk tells to n = 210 (refits at 150 and 210), then single tells appended to the factor
    without refitting (n < 1.1 · 210); resume there, and continue past the next refit (at n ≥ 1.1 · 210).
    refit_growth is pinned at 0.1 (the default until 0.4.0) so the boundary is 18 tells away."""
    path = tmp_path / "run.jsonl"
    space = {"x": Real(0, 1), "y": Real(0, 1)}
    options = replace(FAST, model=replace(FAST.model, refit_growth=0.1))
    live = Optimizer(space, seed=0, n_initial=5, options=options, journal=path)
    rng = np.random.default_rng(0)

    def value(p):
        return math.sin(5 * p["x"]) + (p["y"] - 0.5) ** 2

    for n in (150, 60):
        points = space_points(live, rng, n)
        live.tell(points, [value(p) for p in points])
    for _ in range(6):
        p = live.ask()
        live.tell(p, value(p))
    state = live._model.state()
    assert (state["n"], state["fit_n"]) == (216, 210)  # appended since the refit at 210
    resumed = twin(live, path, tmp_path)
    assert_same_state(resumed, live)
    assert resumed._model.gp.n == live._model.gp.n == 216
    np.testing.assert_array_equal(resumed._model.gp.alpha, live._model.gp.alpha)
    for _ in range(18):
        p = live.ask()
        assert resumed.ask() == p
        live.tell(p, value(p))
        resumed.tell(p, value(p))
    assert live._model.state()["fit_n"] > 216  # the refit boundary was crossed
    assert_same_state(resumed, live)


def space_points(opt: Optimizer, rng: np.random.Generator, n: int) -> list[dict[str, Any]]:
    return opt.space.decode(opt.space.from_unit(rng.random((n, opt.space.n_dims))))


def test_trace_takes_a_refit_on_as_many_observations_as_the_last_one():
    """A refit that keeps the size (fit_n) but not θ is a refit, not a block append: the
    replay rebuilds the surrogate from its θ (it kept the previous refit's before)."""
    trace = ModelTrace()
    first = {"n": 8, "fit_n": 8, "params": [0.1, -1.0], "transform": {"mean": 0.0}}
    again = {"n": 8, "fit_n": 8, "params": [0.2, -1.0], "transform": {"mean": 0.0}}
    trace.record(first)
    trace.record(again)
    assert trace.refit == again and trace.chunk_ends == []
    trace.record({**again, "n": 9})  # a block append changes only n
    assert trace.refit == again and trace.chunk_ends == [9]
    trace.record({**again, "n": 9})  # nothing new
    assert trace.refit == again and trace.chunk_ends == [9]


JOURNAL_REFIT_SAME_SIZE = pathlib.Path(__file__).parent / "data" / "journal-0.5.0-refit-same-size.jsonl"


def test_resume_after_a_tell_that_refits_at_the_same_size_asks_the_same(tmp_path):
    """A journal (API fuzz, Fidelity, 2 outcome constraints, logei_per_cost, maximize, a
    conditional dimension) whose surrogate record reaches 8 observations before its last
    tell, which refits on 8 again: a live optimizer that asks and tells that last step
    and a replay of its journal ask the same."""
    lines = JOURNAL_REFIT_SAME_SIZE.read_text().splitlines()
    asked, told = json.loads(lines[-2]), json.loads(lines[-1])
    path = tmp_path / "live.jsonl"
    path.write_text("\n".join(lines[:-2]) + "\n")
    with pytest.warns(bayesopt.optimizer.ResumeWarning, match="11 evaluations and 3 pending"):
        live = Optimizer.resume(path)
    params = live.ask()
    assert asked["points"] == [[3, 0, 0.0, 0.5]]  # the journal's last ask, asked again
    assert params == {"x0": 3, "x1": None, "x2": 0.0, "budget": 0.5}
    live.tell(params, told["values"][0], constraints=told["constraints"][0], cost=told["costs"][0])
    assert live._state.model.state() == events(path)[-1]["state"]["model"]
    replay = Optimizer.resume(path, append=False)
    assert replay._state.synced_model(replay._state.fork_rng()).state() == live._model.state()
    assert replay.ask() == copy.deepcopy(live).ask()


@pytest.mark.parametrize("key", ["fit_n", "n"])
def test_a_surrogate_record_counting_more_rows_than_the_journal_holds_is_refused(tmp_path, key):
    """SurrogateModel.restore sliced X[:fit_n] and appended X[start:n]: a record claiming
    more observations than the tells built the GP on fewer rows than it said, silently."""
    path = tmp_path / "run.jsonl"
    live = Optimizer({"x": Real(0, 1), "y": Real(0, 1)}, seed=0, n_initial=3, options=FAST,
                     journal=path)
    for _ in range(6):
        params = live.ask()
        live.tell(params, (params["x"] - 0.3) ** 2 + params["y"])
    live.close()
    lines = path.read_text().splitlines()
    last = json.loads(lines[-1])
    assert last["event"] == "tell" and last["state"]["model"]["n"] == 6
    last["state"]["model"][key] = 9
    path.write_text("\n".join([*lines[:-1], json.dumps(last)]) + "\n")
    replay = Optimizer.resume(path, append=False)
    with pytest.raises(JournalError, match=f"{key}=9 observations but the journal holds 6"):
        replay.ask()


def test_a_resumed_optimizer_can_be_resumed_again(tmp_path):
    path = tmp_path / "run.jsonl"
    live = Optimizer(mixed_space(), seed=5, n_initial=4, options=FAST, journal=path)
    drive(live, 4)
    first = twin(live, path, tmp_path, space=mixed_space())
    first_path = max(tmp_path.glob("twin-*.jsonl"))
    drive(live, 3)
    drive(first, 3)
    assert_same_state(first, live)
    first.close()
    with resumes(len(first.history), len(first.pending)):
        second = Optimizer.resume(first_path, space=mixed_space())
    assert_same_state(second, live)
    assert_same_future(second, live, steps=5)


def test_resume_needs_no_journal_to_equal_a_run_without_one(tmp_path):
    """Journaling changes nothing: same seed and tells, with or without a journal."""
    path = tmp_path / "run.jsonl"
    with_journal = Optimizer(mixed_space(), seed=6, n_initial=4, options=FAST, journal=path)
    without = Optimizer(mixed_space(), seed=6, n_initial=4, options=FAST)
    for _ in range(8):
        p = without.ask()
        assert with_journal.ask() == p
        report(without, p)
        report(with_journal, p)
    with resumes(len(without.history), len(without.pending)):
        resumed = Optimizer.resume(path, space=mixed_space())
    assert_same_state(resumed, without)


# =========================================================== torn last line


def test_truncated_last_line_is_skipped_and_the_journal_stays_valid(tmp_path):
    path = tmp_path / "run.jsonl"
    live = Optimizer(mixed_space(), seed=7, n_initial=4, options=FAST, journal=path)
    drive(live, 6)
    asked = live.ask()
    report(live, asked)  # this tell's line will be torn
    torn = tmp_path / "torn.jsonl"
    data = path.read_bytes()
    last_line = data[: -1].rsplit(b"\n", 1)[1]
    torn.write_bytes(data[: len(data) - len(last_line) // 2 - 1])  # killed mid-write
    with (resumes(len(live.history) - 1, 1),
          pytest.warns(TruncatedJournalWarning, match="last line is incomplete")):
        resumed = Optimizer.resume(torn, space=mixed_space())
    assert resumed.history == live.history[:-1] and resumed.pending == [asked]
    report(resumed, asked)  # told again, as minimize would after a crash
    assert_same_state(resumed, live)
    drive(resumed, 3)  # and it keeps journaling to the repaired file
    resumed.close()
    lines = torn.read_bytes().split(b"\n")
    assert lines[-1] == b"" and all(json.loads(line) for line in lines[:-1])
    with warnings.catch_warnings(), resumes(len(resumed.history), len(resumed.pending)):
        warnings.simplefilter("error", TruncatedJournalWarning)
        assert_same_state(Optimizer.resume(torn, space=mixed_space()), resumed)


def test_torn_ask_line_is_asked_again_identically(tmp_path):
    path = tmp_path / "run.jsonl"
    live = Optimizer({"x": Real(0, 1), "k": Integer(0, 3)}, seed=8, n_initial=3, options=FAST,
                     journal=path)
    for _ in range(6):
        p = live.ask()
        live.tell(p, p["x"] + p["k"])
    before_ask = path.read_bytes()
    asked = live.ask()
    torn = tmp_path / "torn.jsonl"
    torn.write_bytes(path.read_bytes()[: len(before_ask) + 25])
    with resumes(6), pytest.warns(TruncatedJournalWarning):
        resumed = Optimizer.resume(torn)
    assert resumed.pending == [] and resumed.ask() == asked


# ======================================================= wrong or bad files


def test_journal_for_another_space_is_refused_naming_both(tmp_path):
    path = tmp_path / "run.jsonl"
    opt = Optimizer({"x": Real(0, 1), "k": Integer(0, 3)}, seed=0, journal=path)
    opt.tell(opt.ask(), 1.0)
    opt.close()
    before = path.read_bytes()
    with pytest.raises(JournalError, match=r"(?s)'high': 1\.0.*not .*'high': 2\.0"):
        Optimizer.resume(path, {"x": Real(0, 2), "k": Integer(0, 3)})
    with pytest.raises(JournalError, match=r"(?s)'k'.*not .*'kk'"):
        Optimizer.resume(path, {"x": Real(0, 1), "kk": Integer(0, 3)})
    with pytest.raises(JournalError, match="was written for another space"):
        minimize(lambda p: 0.0, {"x": Real(0, 1, log=False), "k": Integer(0, 4)}, n_calls=3,
                 journal=path, progress=False)
    assert path.read_bytes() == before


def test_journal_resumed_with_the_dimensions_reordered_is_refused(tmp_path):
    """Points are stored by position: resuming with the same dimensions in another order
    would silently swap the values of same-typed dimensions."""
    path = tmp_path / "run.jsonl"
    opt = Optimizer({"a": Real(0, 1), "b": Real(0, 1)}, seed=0, journal=path)
    opt.tell({"a": 0.1, "b": 0.9}, 1.0)
    opt.close()
    try:
        swapped = Optimizer.resume(path, {"b": Real(0, 1), "a": Real(0, 1)})
    except JournalError as error:
        assert "was written for another space" in str(error)
        return
    pytest.fail(f"resumed with the dimensions swapped: {{'a': 0.1, 'b': 0.9}} was read back as "
                f"{swapped.history[0].params}")


def test_existing_journal_is_never_overwritten(tmp_path):
    path = tmp_path / "run.jsonl"
    opt = Optimizer({"x": Real(0, 1)}, seed=0, journal=path)
    opt.tell(opt.ask(), 1.0)
    opt.close()
    before = path.read_bytes()
    with pytest.raises(JournalError, match=r"already exists.*Optimizer\.resume"):
        Optimizer({"x": Real(0, 1)}, seed=0, journal=path)
    assert path.read_bytes() == before
    empty = tmp_path / "empty.jsonl"
    empty.touch()  # an empty file is not a run: it may be started
    Optimizer({"x": Real(0, 1)}, seed=0, journal=empty).close()
    assert json.loads(empty.read_text())["journal"] == "bayesopt"


def _journal_lines(tmp_path) -> list[dict[str, Any]]:
    """A small valid journal as parsed lines: header, then ask/tell/ask/failure/ask/tell events."""
    path = tmp_path / f"source-{len(list(tmp_path.iterdir()))}.jsonl"
    opt = Optimizer({"x": Real(0, 1), "k": Integer(0, 3), "c": Categorical(["a", "b", "c"])},
                    seed=0, n_initial=2, options=FAST, journal=path)
    p = opt.ask()
    opt.tell(p, 1.0)
    opt.tell_failure(opt.ask(), "boom")
    p = opt.ask()
    opt.tell(p, 2.0)
    opt.close()
    return [json.loads(line) for line in path.read_text().splitlines()]


def _edit(**where: Any):
    """An edit of line `line`: set `path` (a tuple of keys) to `value`, or delete it."""
    def apply(lines):
        target = lines[where["line"]]
        *parents, last = where["path"]
        for key in parents:
            target = target[key]
        if where.get("delete"):
            del target[last]
        else:
            target[last] = where["value"]
        return lines
    return apply


CORRUPT = {
    # unreadable lines
    "garbage line in the middle": lambda lines: lines[:2] + ["{not json"] + lines[2:],
    "torn line in the middle": lambda lines: lines[:2] + [json.dumps(lines[2])[:40]] + lines[3:],
    "array instead of an object": lambda lines: lines[:2] + [[1, 2, 3]] + lines[2:],
    # headers
    "no header": lambda lines: lines[1:],
    "another program's header": _edit(line=0, path=("journal",), value="optuna"),
    "future format version": _edit(line=0, path=("version",), value=3),
    "header without space": _edit(line=0, path=("space",), delete=True),
    "header space with unknown type": _edit(line=0, path=("space", "x", "type"), value="float"),
    "header config without seed": _edit(line=0, path=("config", "seed"), delete=True),
    # points
    "category index out of range": _edit(line=2, path=("points", 0, 2), value=7),
    "negative category index": _edit(line=2, path=("points", 0, 2), value=-1),
    "category given by name": _edit(line=2, path=("points", 0, 2), value="a"),
    "category index true": _edit(line=2, path=("points", 0, 2), value=True),
    "real outside the space": _edit(line=2, path=("points", 0, 0), value=5.0),
    "integer 2.5": _edit(line=2, path=("points", 0, 1), value=2.5),
    "point with a missing entry": _edit(line=2, path=("points", 0), value=[0.5, 1]),
    "points not a list": _edit(line=2, path=("points",), value={"x": 0.5}),
    # values
    "NaN value": _edit(line=2, path=("values", 0), value=math.nan),
    "infinite value": _edit(line=2, path=("values", 0), value=-math.inf),
    "string value": _edit(line=2, path=("values", 0), value="1.0"),
    "value beyond float range": _edit(line=2, path=("values", 0), value=10**400),
    "more values than points": _edit(line=2, path=("values",), value=[1.0, 2.0]),
    "tell without values": _edit(line=2, path=("values",), delete=True),
    "failure with fewer errors than points": _edit(line=4, path=("errors",), value=[]),
    # events and states
    "unknown event": _edit(line=2, path=("event",), value="undo"),
    "event without state": _edit(line=6, path=("state",), delete=True),
    "ask with a negative pending_timeout": _edit(line=5, path=("pending_timeout",), value=-1.0),
    "ask with a text pending_timeout": _edit(line=5, path=("pending_timeout",), value="60"),
    "random state garbage": _edit(line=6, path=("state", "rng"), value="PCG64"),
}


@pytest.mark.parametrize("corrupt", list(CORRUPT.values()), ids=list(CORRUPT))
def test_corrupt_journal_raises_journal_error(tmp_path, corrupt):
    lines = corrupt(_journal_lines(tmp_path))
    path = tmp_path / "corrupt.jsonl"
    path.write_text("".join(
        (line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines))
    before = path.read_bytes()
    with pytest.raises(JournalError):
        Optimizer.resume(path)
    assert path.read_bytes() == before  # a failed resume leaves the file alone


def test_a_missing_journal_is_named_missing_not_empty(tmp_path):
    with pytest.raises(JournalError, match=r"'.*nothere\.jsonl' does not exist$"):
        Optimizer.resume(tmp_path / "nothere.jsonl")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with pytest.raises(JournalError, match="is empty"):
        Optimizer.resume(empty)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.jsonl"]


def test_journal_arguments_of_the_wrong_type_raise_naming_them(tmp_path):
    path = tmp_path / "run.jsonl"
    opt = Optimizer({"x": Real(0.0, 1.0)}, seed=0, journal=path)
    opt.tell(opt.ask(), 0.5)
    opt.close()
    with pytest.raises(TypeError, match=r"append='no' must be True or False"):
        Optimizer.resume(path, append="no")  # was taken as True: it appended
    for call in (lambda: Optimizer.resume(3), lambda: Optimizer({"x": Real(0.0, 1.0)}, journal=3),
                 lambda: minimize(lambda p: p["x"], {"x": Real(0.0, 1.0)}, 3, journal=3)):
        with pytest.raises(TypeError, match=r"journal=3 must be a file path"):
            call()


def test_a_directory_as_journal_raises_naming_journal_and_the_path(tmp_path):
    space = {"x": Real(0.0, 1.0)}
    calls = (lambda: Optimizer(space, journal=tmp_path), lambda: Optimizer.resume(tmp_path),
             lambda: minimize(lambda p: p["x"], space, 3, journal=tmp_path))
    for call in calls:  # Optimizer and minimize raised the raw IsADirectoryError
        with pytest.raises(ValueError, match=rf"journal='{re.escape(str(tmp_path))}' is a "
                                             "directory: name a file in it"):
            call()
    assert list(tmp_path.iterdir()) == []


def test_values_are_validated_on_load_with_a_message_naming_them(tmp_path):
    lines = _journal_lines(tmp_path)
    lines[2]["values"] = [math.nan]
    lines[5]["points"][0][0] = 1.5
    for number, text in [(2, "nan.*tell_failure"), (5, r"'x'.*1\.5.*outside \[0\.0, 1\.0\]")]:
        path = tmp_path / f"bad{number}.jsonl"
        good = _journal_lines(tmp_path)
        good[number] = lines[number]
        path.write_text("".join(json.dumps(line) + "\n" for line in good))
        with pytest.raises(JournalError, match=text):
            Optimizer.resume(path)


# ============================================================ no code runs


class _Touch:
    """Unpickling this creates a file: proof that a payload ran."""

    def __init__(self, target: pathlib.Path) -> None:
        self.target = target

    def __reduce__(self):
        return (pathlib.Path.touch, (self.target,))


def test_loading_never_unpickles_or_runs_code_from_the_journal(tmp_path, monkeypatch):
    sentinel = tmp_path / "pwned"
    payload = pickle.dumps(_Touch(sentinel), protocol=0).decode("latin-1")
    proof = tmp_path / "payload-is-live"
    pickle.loads(pickle.dumps(_Touch(proof), protocol=0))  # the payload does run if unpickled
    assert proof.exists()

    path = tmp_path / "run.jsonl"
    space = {"x": Real(0, 1), "c": Categorical(["plain", payload])}  # a payload as a category
    opt = Optimizer(space, seed=0, n_initial=2, journal=path)
    opt.tell({"x": 0.5, "c": payload}, 1.0)
    opt.tell_failure(opt.ask(), payload)  # and as an error text
    opt.close()
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    lines[0]["library"] = payload
    lines[2]["state"]["pickle"] = payload
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))

    def no_unpickling(*args: Any, **kwargs: Any):
        raise AssertionError("the journal was unpickled")

    for name in ("loads", "load", "Unpickler"):
        monkeypatch.setattr(pickle, name, no_unpickling)
    resumed = Optimizer.resume(path, append=False)
    assert not sentinel.exists()
    assert resumed.history[0].params == {"x": 0.5, "c": payload}
    assert resumed.history[1].error == payload and isinstance(resumed.history[1].error, str)
    # a field no event has is refused (a newer writer's), and never unpickled either
    lines[2]["reduce"] = {"__reduce__": ["os.system", [f"touch {sentinel}"]], "py/object": payload}
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    with pytest.raises(JournalError, match=r"event 1: ask event has the field\(s\) \['reduce'\]"):
        Optimizer.resume(path)
    assert not sentinel.exists()


def test_non_text_error_in_a_failure_event_is_not_taken_as_an_object(tmp_path):
    lines = _journal_lines(tmp_path)
    lines[4]["errors"] = [{"__reduce__": ["os.system", ["echo"]]}]
    path = tmp_path / "run.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    with pytest.raises(JournalError, match="non-text error"):
        Optimizer.resume(path)


@pytest.mark.parametrize("choice", ["enum", "frozenset"])
def test_space_with_non_json_categories_can_be_journaled_and_resumed(tmp_path, choice):
    import enum

    class Activation(enum.Enum):
        RELU = "relu"
        TANH = "tanh"

    choices = list(Activation) if choice == "enum" else [frozenset({1}), frozenset({1, 2})]
    space = {"x": Real(0, 1), "act": Categorical(choices)}
    path = tmp_path / "run.jsonl"
    live = Optimizer(space, seed=0, n_initial=2, journal=path)
    for _ in range(4):
        p = live.ask()
        live.tell(p, p["x"] + choices.index(p["act"]))
    resumed = twin(live, path, tmp_path, space=space)
    assert resumed.history == live.history and resumed.ask() == live.ask()


def test_numpy_scalar_choices_beside_tuple_choices_are_journaled_and_exported(tmp_path):
    # np.int64(7) == (64, 32) is an array, whose truth value raised ValueError when the
    # journal looked the choice up by == (list.index) instead of as the space finds it
    choices = [(64, 32), (128,), np.int64(7), np.float64(0.5)]
    space = {"x": Real(0, 1), "units": Categorical(choices)}
    path = tmp_path / "run.jsonl"
    live = Optimizer(space, seed=0, journal=path)
    for i, choice in enumerate(choices):
        live.tell({"x": 0.1 * i, "units": choice}, float(i))
    resumed = twin(live, path, tmp_path, space=space)
    assert [obs.params["units"] for obs in resumed.history] == choices
    assert resumed.history == live.history and resumed.ask() == live.ask()
    assert OptimizeResult.from_json(live.result().to_json(), space=space) == live.result()


# ================================================================= minimize


def counted(func):
    calls: list[dict[str, Any]] = []

    def wrapper(params):
        calls.append(dict(params))
        return func(params)

    wrapper.calls = calls  # type: ignore[attr-defined]
    return wrapper


def flaky(params: dict[str, Any]) -> float:
    if params["k"] == 3:
        raise RuntimeError("diverged")
    return (params["x"] - 0.25) ** 2 + 0.1 * params["k"]


FLAKY_SPACE = {"x": Real(0, 1), "k": Integer(0, 4)}


def test_minimize_with_a_journal_continues_to_the_total_without_re_evaluating(tmp_path):
    path = tmp_path / "run.jsonl"
    f = counted(flaky)
    with pytest.warns(EvaluationFailedWarning, match="diverged"):  # flaky's k = 3
        first = minimize(f, FLAKY_SPACE, n_calls=7, seed=0, n_initial=4, options=FAST,
                         journal=path, progress=False)
    assert len(first) == len(f.calls) == 7
    with resumes(7):
        second = minimize(f, FLAKY_SPACE, n_calls=15, seed=0, journal=path, progress=False)
    assert len(second) == 15 and len(f.calls) == 15
    assert second.history[:7] == first.history
    keys = [tuple(sorted(p.items())) for p in f.calls]
    assert len(set(keys)) == 15, "a point was evaluated twice"
    assert [o.params for o in second.history] == f.calls
    assert second.n_failed == sum(p["k"] == 3 for p in f.calls)
    # asking for fewer than are done evaluates nothing
    with resumes(15):
        third = minimize(f, FLAKY_SPACE, n_calls=10, seed=0, journal=path, progress=False)
    assert len(f.calls) == 15 and third.history == second.history


def test_interrupted_minimize_evaluates_what_the_uninterrupted_one_does(tmp_path):
    path = tmp_path / "run.jsonl"
    with pytest.warns(EvaluationFailedWarning, match="diverged"):  # flaky's k = 3
        minimize(flaky, FLAKY_SPACE, n_calls=5, seed=0, n_initial=4, options=FAST,
                 journal=path, progress=False)
    for n_calls, done in ((9, 5), (15, 9)):  # two interruptions
        with resumes(done):
            resumed = minimize(flaky, FLAKY_SPACE, n_calls=n_calls, seed=0, n_initial=4,
                               options=FAST, journal=path, progress=False)
    with pytest.warns(EvaluationFailedWarning, match="diverged"):
        whole = minimize(flaky, FLAKY_SPACE, n_calls=15, seed=0, n_initial=4, options=FAST,
                         journal=tmp_path / "whole.jsonl", progress=False)
    assert [(o.params, o.value, o.status) for o in resumed.history] == [
        (o.params, o.value, o.status) for o in whole.history]


def test_minimize_evaluates_the_points_pending_in_the_journal_first(tmp_path):
    path = tmp_path / "run.jsonl"
    opt = Optimizer(FLAKY_SPACE, seed=1, n_initial=3, options=FAST, journal=path)
    for _ in range(4):
        p = opt.ask()
        opt.tell(p, flaky(p)) if p["k"] != 3 else opt.tell_failure(p, "diverged")
    in_flight = opt.ask(2)  # handed to workers, then the process died
    opt.close()
    f = counted(flaky)
    with resumes(4, 2):
        result = minimize(f, FLAKY_SPACE, n_calls=9, seed=1, journal=path, progress=False)
    assert f.calls[:2] == in_flight and len(f.calls) == 5
    assert len(result) == 9 and [o.params for o in result.history[4:6]] == in_flight
    with resumes(9):
        assert Optimizer.resume(path).pending == []


# ============================================================ format 1


def test_a_format_1_journal_resumes_and_asks_what_the_format_1_library_asked(tmp_path):
    """tests/data/journal-v1.jsonl was written by the library before format 2 (commit
    3d30245): 7 evaluations (one failed) and one pending point. That library, resuming it
    and telling the pending point, asked V1_NEXT."""
    path = tmp_path / "v1.jsonl"
    shutil.copy(pathlib.Path(__file__).parent / "data" / "journal-v1.jsonl", path)
    with pytest.warns(bayesopt.optimizer.ResumeWarning, match="7 evaluations and 1 pending"):
        resumed = Optimizer.resume(path)
    assert resumed.pending == [V1_PENDING]
    assert [o.ok for o in resumed.history] == [True, True, True, False, True, True, True]
    resumed.tell(V1_PENDING, (math.log10(V1_PENDING["lr"]) + 2) ** 2 + 0.1)
    assert [resumed.ask(), resumed.ask()] == V1_NEXT
    resumed.close()
    assert Optimizer.resume(path, append=False).pending == V1_NEXT  # read back with new lines


def test_a_format_1_journal_with_a_tuple_choice_resumes_and_shows_without_space(tmp_path):
    """tests/data/journal-v1-tuple.jsonl was written by the library of commit 8b726cd0
    (format 1, which wrote tuple choices as JSON lists) for the choices ["relu", ("a", 1),
    3]: 9 evaluations (one failed), 2 pending. A list is no choice (not hashable), so each
    was a tuple: the journal resumes without space= and `bayesopt show` reads it. Both
    failed with "choice ['a', 1] is not hashable", and show offered no way out (audit 18)."""
    path = tmp_path / "v1.jsonl"
    shutil.copy(pathlib.Path(__file__).parent / "data" / "journal-v1-tuple.jsonl", path)
    space = {"x": Real(-5, 5), "k": Integer(1, 8), "act": Categorical(["relu", ("a", 1), 3])}
    given = Optimizer.resume(path, space=space, append=False)
    rebuilt = Optimizer.resume(path, append=False)
    assert rebuilt.space.to_dict() == given.space.to_dict()
    assert [o.params for o in rebuilt.history] == [o.params for o in given.history]
    assert ("a", 1) in {o.params["act"] for o in rebuilt.history}
    assert rebuilt.pending == given.pending and len(rebuilt.pending) == 2
    done = subprocess.run([sys.executable, "-m", "bayesopt", "show", str(path)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "9 evaluations (8 ok, 1 failed, 2 pending)" in done.stdout and "('a', 1)" in done.stdout


V1_PENDING = {"lr": 0.006363030192177526, "k": 1, "act": "relu"}
V1_NEXT = [{"lr": 0.0001, "k": 1, "act": "tanh"}, {"lr": 1.0, "k": 1, "act": "tanh"}]


# =========================================================== one writer
WRITER = """
import sys
from bayesopt import Optimizer, Real
opt = Optimizer({"x": Real(0, 1)}, seed=0, journal=sys.argv[1])
opt.tell(opt.ask(), 1.0)
print("written", flush=True)
sys.stdin.readline()
opt.tell(opt.ask(), 2.0)
opt.close()
"""


def test_a_journal_has_one_writer_and_a_stale_resume_never_writes(tmp_path):
    """Two processes continuing one journal (a script started twice, a cron job
    overlapping the last one) would interleave two runs — duplicated asks, a journal
    no replay matches. The second writer is refused at its first write, naming the
    journal; one resumed before the other's last write is refused once it may write;
    neither appends anything."""
    import subprocess
    import sys

    path = tmp_path / "run.jsonl"
    env = {**os.environ, "PYTHONPATH": str(pathlib.Path(__file__).resolve().parents[1])}
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], env=env, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert writer.stdout is not None and writer.stdout.readline() == "written\n"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ResumeWarning: the run holds evaluations
            second = Optimizer.resume(path)
        before = path.read_bytes()
        with pytest.raises(JournalError, match=rf"journal '{path}'.* written by another"):
            second.ask()
        assert path.read_bytes() == before
        second.close()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            stale = Optimizer.resume(path)
        writer.communicate("go\n", timeout=120)
    finally:
        if writer.poll() is None:
            writer.kill()
    assert writer.returncode == 0
    before = path.read_bytes()
    with pytest.raises(JournalError, match=r"2 event\(s\) .* not read, written since by "
                                           r"another process: resume it again"):
        stale.tell({"x": 0.5}, 3.0)
    assert path.read_bytes() == before
    stale.close()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fresh = Optimizer.resume(path)
    fresh.tell(fresh.ask(), 3.0)  # the writer has finished: the journal is free again
    assert len(fresh.history) == 3
    fresh.close()



ASKER = """
import sys
from bayesopt import Optimizer, Real
opt = Optimizer({"x": Real(0, 1)}, seed=0, journal=sys.argv[1])
opt.tell(opt.ask(), 1.0)
opt.ask()  # pending: being evaluated
print("asked", flush=True)
sys.stdin.readline()
opt.close()
"""


def test_minimize_started_twice_on_a_journal_evaluates_nothing(tmp_path):
    """The same `minimize(..., journal=path)` script (or `bayesopt run --journal`) started
    while the first still runs: the second resumes the journal, whose running point is
    pending, and used to evaluate that point again — an evaluation thrown away, since the
    tell after it was refused. It is refused before evaluating anything."""
    import subprocess
    import sys

    path = tmp_path / "run.jsonl"
    env = {**os.environ, "PYTHONPATH": str(pathlib.Path(__file__).resolve().parents[1])}
    writer = subprocess.Popen([sys.executable, "-c", ASKER, str(path)], env=env, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    evaluated: list[dict] = []
    try:
        assert writer.stdout is not None and writer.stdout.readline() == "asked\n"
        before = path.read_bytes()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ResumeWarning: the run holds evaluations
            with pytest.raises(JournalError, match=rf"journal '{path}'.* written by another"):
                minimize(lambda p: evaluated.append(p) or 0.0, {"x": Real(0, 1)}, n_calls=3,
                         journal=path, progress=False)
        assert evaluated == [] and path.read_bytes() == before
        writer.communicate("go\n", timeout=120)
    finally:
        if writer.poll() is None:
            writer.kill()
    assert writer.returncode == 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        done = minimize(lambda p: evaluated.append(p) or 0.0, {"x": Real(0, 1)}, n_calls=3,
                        journal=path, progress=False)  # the first has stopped: it resumes
    assert len(done.history) == 3 and len(evaluated) == 2  # the pending point, then one more

def test_resuming_a_shared_study_file_as_a_journal_is_refused(tmp_path):
    """A JSON-lines file holding a shared study (storage=, study=) continued with
    Optimizer.resume would write as its only writer and never read the other workers'
    events: it is refused, saying how to attach; reading it stays possible."""
    path = tmp_path / "study.jsonl"
    worker = Optimizer({"x": Real(0, 1)}, seed=0, storage=path, study="s")
    worker.tell(worker.ask(), 1.0)
    before = path.read_bytes()
    with pytest.raises(JournalError, match=r"holds the shared study 's', not a journal: "
                                           r"attach to it with Optimizer\(space, storage="):
        Optimizer.resume(path)
    assert path.read_bytes() == before
    assert len(Optimizer.resume(path, append=False).history) == 1
    worker.close()


@pytest.mark.parametrize("study", ["journal", "s"])
def test_attaching_to_a_journal_as_a_shared_study_is_refused(tmp_path, study):
    """A journal (Optimizer(space, journal=path)) has one writer; attached to with
    storage=path, study=... (under its own name, "journal", it was attached to) a worker
    would write into it: refused, naming the file and how to continue it; the file is
    unchanged and still resumes."""
    path = tmp_path / "run.jsonl"
    writer = Optimizer({"x": Real(0, 1)}, seed=0, journal=path)
    writer.tell(writer.ask(), 1.0)
    writer.close()
    before = path.read_bytes()
    expected = (rf"'{re.escape(str(path))}' is a journal \(Optimizer\(space, journal=\.\.\.\)\), "
                rf"not a shared study: continue it with Optimizer\.resume\('")
    with pytest.raises(JournalError, match=expected):
        Optimizer({"x": Real(0, 1)}, seed=1, storage=path, study=study)
    assert path.read_bytes() == before
    with resumes(1):
        resumed = Optimizer.resume(path)
    assert len(resumed.history) == 1
    resumed.close()


def test_attaching_to_a_format_1_journal_as_a_shared_study_is_refused(tmp_path):
    """A format-1 journal (tests/data/journal-v1.jsonl, its header naming no study) is a
    journal too: attaching to it under any study name is refused, the copy unchanged."""
    path = tmp_path / "run.jsonl"
    shutil.copy(pathlib.Path(__file__).parent / "data" / "journal-v1.jsonl", path)
    before = path.read_bytes()
    space = {"lr": Real(1e-4, 1.0, log=True), "k": Integer(1, 6),
             "act": Categorical(["relu", "tanh"])}
    with pytest.raises(JournalError, match=r"is a journal .*, not a shared study: continue "
                                           r"it with Optimizer\.resume"):
        Optimizer(space, seed=1, storage=path, study="s")
    assert path.read_bytes() == before


def test_a_json_lines_study_named_as_a_journal_is_refused(tmp_path):
    """A JSON-lines file whose study is named "journal" reads as a journal (what
    Optimizer.resume continues): a shared study of that name is refused, nothing written."""
    path = tmp_path / "study.jsonl"
    with pytest.raises(JournalError, match=r"study='journal': a JSON-lines file whose study "
                                           r"is named 'journal' is a journal; give the shared"):
        Optimizer({"x": Real(0, 1)}, seed=1, storage=path, study="journal")
    assert not path.exists()


def test_tests_data_holds_only_the_committed_runs():
    """Tests read the runs under tests/data from copies under tmp_path, so no append lock
    (<path>.lock) or writer claim (<path>.writer) of theirs, nor an SQLite -wal/-shm file
    or .locks folder, lands beside the runs (JSON-lines files and SQLite databases, and
    the pickles of older versions, tests/test_pickling.py)."""
    data = pathlib.Path(__file__).parent / "data"
    committed = (".jsonl", ".db", ".pkl")
    assert sorted(path.name for path in data.iterdir() if path.suffix not in committed) == []


NEWER = {  # what a newer bayesopt may write, and the refusal's message
    "header of format version 3": (
        _edit(line=0, path=("version",), value=3),
        (r"has format version 3; bayesopt \S+ reads versions \[1, 2\]; it was written by a "
         r"newer bayesopt \(9\.0\.0\): upgrade bayesopt")),
    "event of an unknown kind": (
        _edit(line=2, path=("event",), value="weights"),
        r"event 1: unknown journal event 'weights'; if a newer bayesopt wrote it, upgrade"),
    "tell with an unknown field": (
        _edit(line=2, path=("weights",), value=[2.0]),
        (r"event 1: tell event has the field\(s\) \['weights'\], which this library does not "
         r"know; if a newer bayesopt wrote it, upgrade bayesopt")),
    "ask with an unknown field": (
        _edit(line=5, path=("batch_id",), value=7),
        r"event 4: ask event has the field\(s\) \['batch_id'\]"),
    "header with an unknown key": (
        _edit(line=0, path=("objectives",), value=2),
        (r"header has the key\(s\) \['objectives'\], which bayesopt \S+ does not know; it "
         r"was written by bayesopt 9\.0\.0: upgrade bayesopt")),
    "header config with an unknown key": (
        _edit(line=0, path=("config", "objectives"), value=2),
        r"header has the key\(s\) \['config\.objectives'\], which bayesopt \S+ does not know"),
    "header options with an unknown key": (
        _edit(line=0, path=("config", "options", "batch_size"), value=4),
        r"header has the key\(s\) \['config\.options\.batch_size'\]"),
    "header model option with an unknown key": (
        _edit(line=0, path=("config", "options", "model", "warp"), value=True),
        r"header has the key\(s\) \['config\.options\.model\.warp'\]"),
    "header space with an unknown key": (  # as 0.8.0 met 0.9.0's step: was "cannot be
        # rebuilt from JSON (... unknown key(s) ['quantum'] ...); pass space=", no upgrade
        _edit(line=0, path=("space", "k", "quantum"), value=2),
        (r"header has the key\(s\) \['space\.k\.quantum'\], which bayesopt \S+ does not know; "
         r"it was written by bayesopt 9\.0\.0: upgrade bayesopt")),
    "header fit option with an unknown key": (
        _edit(line=0, path=("config", "options", "model", "fit", "tol"), value=1e-3),
        r"header has the key\(s\) \['config\.options\.model\.fit\.tol'\]"),
}


@pytest.mark.parametrize("kind", ["journal", "sqlite"])
@pytest.mark.parametrize("newer", list(NEWER.values()), ids=list(NEWER))
def test_a_newer_format_is_refused_saying_to_upgrade(tmp_path, kind, newer):
    """A study a newer bayesopt wrote is refused with a message that says so and what to
    do. A tell with a field this library does not know was applied without it (a silent
    misread: the format version stayed 2 while fields were added), and the format-version
    refusal quoted the journal's name twice and gave no remedy (audit 18)."""
    edit, message = newer
    lines = _journal_lines(tmp_path)
    lines[0]["library"] = "9.0.0"
    lines = edit(lines)
    if kind == "journal":
        path = tmp_path / "newer.jsonl"
        path.write_text("".join(json.dumps(line) + "\n" for line in lines))
        with pytest.raises(JournalError, match=message):
            Optimizer.resume(path, append=False)
        return
    import sqlite3
    from contextlib import closing

    from bayesopt.storage.sqlite import SQLiteStorage

    SQLiteStorage(tmp_path / "s.db").close()  # the schema
    # sqlite3's own context manager commits and does not close: closing() closes
    with closing(sqlite3.connect(tmp_path / "s.db")) as db, db:
        db.execute("INSERT INTO studies (name, header) VALUES ('s', ?)", (json.dumps(lines[0]),))
        db.executemany("INSERT INTO events VALUES ('s', ?, ?)",
                       [(i, json.dumps(line)) for i, line in enumerate(lines[1:])])
    space = {"x": Real(0, 1), "k": Integer(0, 3), "c": Categorical(["a", "b", "c"])}
    with pytest.raises(JournalError, match=message):
        Optimizer(space, storage=f"sqlite:///{tmp_path / 's.db'}", study="s")


def test_every_field_an_event_writes_is_one_it_reads():
    """The refusal of unknown fields never refuses this library's own events: every kind,
    with every optional field filled (hedge, interleaved, durations, constraints, costs,
    steps), goes through to_record and back through from_record unchanged."""
    from bayesopt.events import (
        EVENTS,
        Ask,
        Cancel,
        Failure,
        Heartbeat,
        Pending,
        Report,
        Tell,
        from_record,
        to_record,
    )
    from bayesopt.hedge import HedgeRecord
    from bayesopt.space import Space

    space = Space({"x": Real(0, 1), "c": Categorical(["a", "b"])})
    p, q = {"x": 0.25, "c": "b"}, {"x": 0.75, "c": "a"}
    stamp = {"points": (p, q), "time": 1.7e9, "worker": "w"}
    hedge = HedgeRecord((0.5, 1.0), (np.zeros((2, 3)),), (1,))
    events = [Ask(**stamp, hedge=hedge, interleaved=(1,), pending_timeout=30.0),
              Pending(**stamp), Cancel(**stamp),
              Heartbeat(**stamp),
              Tell(**stamp, values=(1.0, 2.0), durations=(3.0, None),
                   constraints=((0.5,), (-1.0,)), costs=(2.0, None)),
              Failure(**stamp, errors=("boom", None), durations=(1.0, 2.0), costs=(None, 4.0)),
              Report(**stamp, steps=(1.0, 3.0), values=(0.5, 0.25))]
    assert {type(event) for event in events} == set(EVENTS.values())
    for event in events:
        record = json.loads(json.dumps(to_record(event, space, with_state=False)))
        assert from_record(record, space) == event


def test_every_key_a_header_writes_is_one_it_reads(tmp_path):
    """The refusal of unknown header keys never refuses this library's own headers: an
    optimizer with every optional setting set (the config's optional keys, the options'
    optional tables, a pruner) writes a header that resumes with the same config."""
    from bayesopt.cost_design import CostDesignOptions
    from bayesopt.feasibility import LinearConstraint
    from bayesopt.fidelity import SuccessiveHalving
    from bayesopt.journal import HEADER_KEYS, OPTIONAL_KEYS
    from bayesopt.study import recording_command
    from bayesopt.trust_region import TrustRegionOptions

    options = replace(FAST, trust_region=TrustRegionOptions(), cost_design=CostDesignOptions(),
                      random_interleave=3)
    path = tmp_path / "every.jsonl"
    command = {"argv": ["python", "train.py"], "space_file": "/space.toml",
               "space_sha256": "0" * 64}  # what `bayesopt run` records
    with recording_command(command, enforce=True):
        opt = Optimizer({"x": Real(0, 1), "y": Real(0, 1)}, seed=0, journal=path,
                        acquisition="logei_per_cost", options=options, pending_timeout=60.0,
                        n_constraints=1, cost_budget=100.0, pruner=SuccessiveHalving(),
                        feasible=[LinearConstraint({"x": 1.0, "y": 1.0}, "<=", 1.5)])
    config = opt.config
    opt.close()
    header = json.loads(path.read_text().splitlines()[0])
    assert set(header) == set(HEADER_KEYS)
    assert set(OPTIONAL_KEYS) <= set(header["config"])
    assert all(header["config"]["options"][key] is not None
               for key in ("trust_region", "cost_design", "random_interleave"))
    assert Optimizer.resume(path, append=False).config == config


def test_a_hand_edited_header_key_is_refused_as_an_edit_not_a_newer_writer(tmp_path):
    """A key this library does not know, in a header this library version wrote, is no
    newer writer's: the refusal says the header was edited, not to upgrade."""
    lines = _edit(line=0, path=("config", "batch"), value=4)(_journal_lines(tmp_path))
    path = tmp_path / "edited.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    with pytest.raises(JournalError, match=(
            r"header has the key\(s\) \['config\.batch'\], which bayesopt \S+ does not know, "
            r"though this version wrote the study: it was edited by hand or is corrupt")):
        Optimizer.resume(path, append=False)


def descriptors_under(directory: pathlib.Path) -> list[str]:
    """The files under `directory` this process holds a descriptor of (/proc/self/fd)."""
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # the listing's own descriptor, closed by now
            continue
        if target.startswith(str(directory)):
            found.append(target)
    return found


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="lists descriptors in /proc")
def test_an_optimizer_dropped_without_close_gives_its_descriptors_back(tmp_path):
    """Optimizer(space, journal=path) never closed (many short runs in one process) kept
    its three descriptors — the journal, <path>.lock, <path>.writer — for the life of the
    process, 3 per run until the process ran out of them. Dropped, it now closes them
    and releases its writer claim, as close() does."""
    import gc

    def ours() -> list[str]:
        return descriptors_under(tmp_path)

    for k in range(20):
        opt = Optimizer({"x": Real(0.0, 1.0)}, seed=k, journal=tmp_path / f"run{k}.jsonl")
        opt.tell(opt.ask(), 1.0)
        assert len(ours()) == 3  # while it lives: the journal, its lock and its writer claim
        del opt
        gc.collect()
    assert ours() == []
    kept = Optimizer({"x": Real(0.0, 1.0)}, seed=0, journal=tmp_path / "kept.jsonl")
    kept.tell(kept.ask(), 1.0)
    kept.close()
    kept.close()  # idempotent
    assert ours() == []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ResumeWarning: the run holds an evaluation
        again = Optimizer.resume(tmp_path / "run0.jsonl")  # the claim was given back
    again.tell(again.ask(), 2.0)
    assert len(again.history) == 2
    again.close()



@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="lists descriptors in /proc")
def test_a_new_journal_that_raises_closes_what_it_opened(tmp_path):
    """A new journal whose link raised once its storage was open (here a file holding only a
    torn line, whose TruncatedJournalWarning is made an error) kept the journal's descriptors
    open, held by the error's frames until a garbage collection; it now closes them."""
    path = tmp_path / "run.jsonl"
    path.write_text('{"torn')  # no complete line: no run yet, so a new journal may start
    with warnings.catch_warnings():
        warnings.simplefilter("error", TruncatedJournalWarning)
        with pytest.raises(TruncatedJournalWarning, match="incomplete") as raised:
            Optimizer({"x": Real(0.0, 1.0)}, journal=path)
    assert descriptors_under(tmp_path) == []  # while the error and its frames live
    del raised

GC_INSIDE_THE_CLAIM_LOCK = """
import gc, sys
from pathlib import Path
from bayesopt import Optimizer, Real
import bayesopt.storage.jsonl as jsonl
d = Path(sys.argv[1])
gc.disable()  # the collection comes where the script says, not earlier
dropped = Optimizer({"x": Real(0.0, 1.0)}, seed=0, journal=d / "a.jsonl")
dropped.tell(dropped.ask(), 1.0)
dropped.cycle = [dropped]  # in a reference cycle (a traceback, a callback): freed by a collection
del dropped
opened = jsonl._open_sidecar
def collecting(*args):
    if sys._getframe(1).f_code is jsonl._WriterClaims.acquire.__code__:  # under its lock,
        # where any allocation may start a collection
        gc.collect()
    return opened(*args)
jsonl._open_sidecar = collecting
opt = Optimizer({"x": Real(0.0, 1.0)}, seed=0, journal=d / "b.jsonl")
opt.tell(opt.ask(), 1.0)
print("told")
"""


def test_a_dropped_journal_collected_while_another_is_opened_does_not_deadlock(tmp_path):
    """An optimizer in a reference cycle is freed by the cyclic collector, which runs at any
    allocation of any thread — also inside the process's writer-claim lock while another
    journal is opened. Its finalizer gives its claim back through that lock, which was not
    reentrant: the process hung for ever. The script times out if it does."""
    done = subprocess.run([sys.executable, "-c", GC_INSIDE_THE_CLAIM_LOCK, str(tmp_path)],
                          check=False, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert done.returncode == 0 and done.stdout.strip() == "told", done.stderr


def test_two_optimizers_of_one_process_never_interleave_one_journal(tmp_path):
    """A journal has one writer. Another process is refused by the file's writer claim;
    a second optimizer of the same process (Optimizer.resume run twice in a notebook,
    both kept) appended between the first one's events, and the file then held a run
    neither optimizer had made (3 + 3 + 3 tells read back as 9). The optimizer that is
    behind the file is now refused before it writes, and the journal stays the other's."""
    def tell(opt: Optimizer, n: int) -> None:
        for _ in range(n):
            params = opt.ask()
            opt.tell(params, params["x"])

    path = tmp_path / "run.jsonl"
    first = Optimizer({"x": Real(0.0, 1.0)}, seed=0, n_initial=3, options=FAST, journal=path)
    tell(first, 3)
    with pytest.warns(bayesopt.optimizer.ResumeWarning):
        second = Optimizer.resume(path)
    tell(second, 3)
    lines = path.read_text()
    with pytest.raises(JournalError, match=r"holds \d+ event\(s\) this optimizer has not read"):
        first.ask()
    assert path.read_text() == lines
    assert len(first.history) == 3
    tell(second, 1)
    assert len(Optimizer.resume(path, append=False).history) == len(second.history) == 7


_FILE_TOO_LARGE = """
import json, os, resource, signal, sys, warnings
from bayesopt import Categorical, Integer, Optimizer, Real
from bayesopt.journal import JournalError

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
warnings.simplefilter("ignore")
space = {"x": Real(-5, 5), "y": Real(0.01, 10, log=True), "k": Integer(1, 8),
         "c": Categorical(["a", "b", "c"])}
_, hard = resource.getrlimit(resource.RLIMIT_FSIZE)


def f(p):
    return (p["x"] - 1) ** 2 + (p["y"] - 2) ** 2 + 0.1 * p["k"] + (p["c"] == "b")


def run(path, fail):
    opt, asks, errors = Optimizer(space, seed=3, journal=path, n_initial=4), [], []
    for i in range(10):
        p = opt.ask()
        asks.append(p)
        if i in fail:  # the disk is full for this tell, then space is freed and it is told again
            resource.setrlimit(resource.RLIMIT_FSIZE, (os.path.getsize(path), hard))
            try:
                opt.tell(p, f(p))
            except JournalError as error:
                errors.append(str(error))
            resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))
        opt.tell(p, f(p))
    asks.append(opt.ask())
    opt.close()
    return asks, errors


plain, _ = run(sys.argv[1], ())
full, errors = run(sys.argv[2], (4, 6, 9))
print(json.dumps({"same": plain == full, "errors": errors, "n": len(plain)}))
"""


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE and SIGXFSZ are POSIX")
def test_a_tell_refused_by_a_full_disk_and_told_again_asks_what_an_uninterrupted_run_asks(
        tmp_path):
    """A tell whose journal write fails (the disk full: RLIMIT_FSIZE in a child process,
    so the write gets EFBIG) raises a JournalError and records nothing; told again once
    there is space, the run asks what the same run without the failure asks, bit for bit.
    The failed tell had refitted the surrogate before its write failed, and the tell
    told again refitted from there (warm-started from hyperparameters no event recorded):
    every later ask differed (review33). The surrogate is now rebuilt from the recorded
    events after a failed commit, as a resume rebuilds it."""
    done = subprocess.run(
        [sys.executable, "-c", _FILE_TOO_LARGE, str(tmp_path / "a.jsonl"),
         str(tmp_path / "b.jsonl")], capture_output=True, text=True, timeout=600,
        env={**os.environ, "PYTHONPATH": str(pathlib.Path(__file__).resolve().parents[1])},
        check=False)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.splitlines()[-1])
    assert len(out["errors"]) == 3 and all("File too large" in e for e in out["errors"]), out
    assert out["n"] == 11 and out["same"], out


@pytest.fixture
def sigint_raises() -> Iterator[None]:
    """Python's own SIGINT handler (KeyboardInterrupt), as in a terminal or a notebook: a
    process started in the background by a shell without job control (a CI job may be)
    inherits SIGINT ignored, and Python then leaves it ignored."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def _ctrl_c_after(monkeypatch: pytest.MonkeyPatch, owner: type, name: str) -> None:
    """Ctrl-C (a real SIGINT) arriving once, right after `owner.name` did its work."""
    original = getattr(owner, name)

    def then_interrupted(self: Any, *args: Any) -> Any:
        monkeypatch.setattr(owner, name, original)
        done = original(self, *args)
        signal.raise_signal(signal.SIGINT)
        return done

    monkeypatch.setattr(owner, name, then_interrupted)


@pytest.mark.parametrize("call", ["tell", "ask"])
@pytest.mark.usefixtures("sigint_raises")
def test_ctrl_c_during_a_journal_write_leaves_the_optimizer_writing(tmp_path, monkeypatch, call):
    """Ctrl-C in a notebook while a journaled tell or ask is written (during the fsync):
    the event was appended but not applied, and the optimizer then refused every write,
    taking its own event for another optimizer's. Ctrl-C is held until the event is applied
    too: the KeyboardInterrupt comes after, says the call is done, and the run goes on as an
    uninterrupted twin's does."""
    space = {"x": Real(-2.0, 2.0), "n": Integer(0, 5)}
    opt = Optimizer(space, seed=0, journal=tmp_path / "run.jsonl", options=FAST)
    twin = Optimizer(space, seed=0, options=FAST)
    for _ in range(6):
        p, q = opt.ask(), twin.ask()
        opt.tell(p, p["x"] ** 2 + p["n"])
        twin.tell(q, q["x"] ** 2 + q["n"])
    p = opt.ask() if call == "tell" else None
    _ctrl_c_after(monkeypatch, bayesopt.study.StudyLink, "_append")
    with pytest.raises(KeyboardInterrupt) as stop:
        if p is None:
            opt.ask()
        else:
            opt.tell(p, p["x"] ** 2 + p["n"])
    if sys.version_info >= (3, 11):
        assert "that call is done" in stop.value.__notes__[0]
    if call == "ask":
        (p,) = opt.pending  # the interrupted ask's point: asked, recorded, pending
    q = twin.ask()
    assert p == q
    if call == "tell":
        twin.tell(q, q["x"] ** 2 + q["n"])
        assert len(opt.history) == 7 and opt.pending == []
    else:
        assert len(opt.history) == 6 and opt.pending == [p]
        opt.tell(p, p["x"] ** 2 + p["n"])
        twin.tell(q, q["x"] ** 2 + q["n"])
    for _ in range(2):
        p, q = opt.ask(), twin.ask()
        assert p == q
        opt.tell(p, p["x"] ** 2 + p["n"])
        twin.tell(q, q["x"] ** 2 + q["n"])
    opt.close()
    with pytest.warns(bayesopt.ResumeWarning):
        assert Optimizer.resume(tmp_path / "run.jsonl").history == opt.history


@pytest.mark.usefixtures("sigint_raises")
def test_ctrl_c_while_an_event_is_applied_applies_it_whole(monkeypatch):
    """Without a journal too: Ctrl-C between an ask's pending point and its random state
    (the checkpoint adopted after it) is held until both are in, so the next ask is an
    uninterrupted twin's, not one drawn again from the old random state."""
    space = {"x": Real(-2.0, 2.0), "n": Integer(0, 5)}
    opt, twin = Optimizer(space, seed=0, options=FAST), Optimizer(space, seed=0, options=FAST)
    _ctrl_c_after(monkeypatch, bayesopt.state.OptimizerState, "_expire")
    with pytest.raises(KeyboardInterrupt):
        opt.ask()
    twin.ask()
    assert opt.ask() == twin.ask()


def test_holds_a_run_reads_up_to_the_first_newline_only(tmp_path, monkeypatch):
    """A journal holds a run once its first line (the header) is complete; `holds_a_run`
    finds that newline reading blocks from the start, and reads no further (it read the
    whole file)."""
    from bayesopt import journal as journal_module

    path = tmp_path / "run.jsonl"
    assert not journal_module.holds_a_run(path)  # absent
    path.write_bytes(b"")
    assert not journal_module.holds_a_run(path)
    block = journal_module._HEADER_BLOCK
    path.write_bytes(b"x" * (2 * block + 5))  # a header torn while written
    assert not journal_module.holds_a_run(path)
    path.write_bytes(b"x" * (block + 3) + b"\n" + b"y" * (10 * block))
    reads: list[int] = []
    open_path = pathlib.Path.open

    class Counted:
        def __init__(self, file: Any) -> None:
            self.file = file

        def __enter__(self) -> Any:
            return self

        def __exit__(self, *exc: object) -> None:
            self.file.close()

        def read(self, size: int = -1) -> bytes:
            data = self.file.read(size)
            reads.append(len(data))
            return data

    monkeypatch.setattr(pathlib.Path, "open",
                        lambda self, *args, **kwargs: Counted(open_path(self, *args, **kwargs)))
    assert journal_module.holds_a_run(path)
    assert sum(reads) == 2 * block  # the first two blocks, not the 11 the file has


def test_a_journal_of_0_10_0_resumes_with_the_new_option_fields_at_their_defaults(tmp_path):
    """tests/data/journal-0.10.0.jsonl, written by bayesopt 0.10.0 (main 4c418739): a stepped
    Integer, a log Real and a Categorical, seed 7, n_initial 10; four design points told and
    a fifth left pending. Its header has none of the option fields 0.11.0 added (the model's
    variance_prior, the fit's ftol, the acquisition optimizer's polish_rise_tol,
    start_selection and incumbent_start): read as
    their defaults, the study resumes with its four observations and its pending point, and
    asks the two design points 0.10.0 asked next."""
    path = tmp_path / "journal.jsonl"
    shutil.copy(pathlib.Path(__file__).parent / "data" / "journal-0.10.0.jsonl", path)
    header = json.loads(path.read_text().splitlines()[0])
    assert header["library"] == "0.10.0"
    assert "variance_prior" not in header["config"]["options"]["model"]
    with pytest.warns(UserWarning, match="resumed journal"):
        opt = Optimizer.resume(path)
    model = opt.options.model
    search = opt.options.acquisition_optimizer
    assert (model.variance_prior, model.fit.ftol, search.polish_rise_tol, search.start_selection,
            search.incumbent_start) == ("default", None, None, "best", False)
    assert [(o.params, o.value) for o in opt.history] == [
        ({"lr": 0.0010698113416617511, "units": 416, "act": "tanh"}, 0.20658643865833826),
        ({"lr": 0.007082415151216161, "units": 192, "act": "relu"}, 0.01854258484878384),
        ({"lr": 0.042768726534293706, "units": 384, "act": "tanh"}, 0.19526872653429372),
        ({"lr": 0.00031645769307127254, "units": 96, "act": "relu"}, 0.10733979230692872)]
    assert opt.pending == [{"lr": 0.00016182955557586708, "units": 320, "act": "relu"}]
    assert [opt.ask() for _ in range(2)] == [  # what 0.10.0 asked next
        {"lr": 0.03773829742416599, "units": 32, "act": "tanh"},
        {"lr": 0.008942877594746096, "units": 480, "act": "relu"}]
    opt.close()


def _tell_fails_to_apply(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Applying the next tell raises once, after it changed part of the state (a defect
    of the applier, injected): the list counts the failures."""
    from bayesopt.events import Tell

    original, failed = bayesopt.state.APPLIERS[Tell], []

    def half_then_raises(state: Any, event: Any) -> None:
        monkeypatch.setitem(bayesopt.state.APPLIERS, Tell, original)
        state.clock = math.inf  # half changed
        failed.append(1)
        raise OverflowError("injected")

    monkeypatch.setitem(bayesopt.state.APPLIERS, Tell, half_then_raises)
    return failed


def _run(opt: Optimizer, steps: int) -> None:
    for _ in range(steps):
        p = opt.ask()
        opt.tell(p, (p["x"] - 0.3) ** 2 + p["y"])


def test_a_tell_that_cannot_be_applied_is_removed_from_the_journal_and_the_run_resumes(
        tmp_path, monkeypatch):
    """An event is appended before it is applied; one whose applier raised (a defect) was
    left in the journal, which every resume then refused as corrupt (the rung overflow of
    stop 45). Now the journal's writer removes it again, the optimizer refuses every later
    change (its state may be half changed), and the journal resumes to ask what a run
    without that tell asks."""
    space = {"x": Real(0, 1), "y": Real(0, 1)}
    path = tmp_path / "run.jsonl"
    opt = Optimizer(space, seed=3, journal=path, options=FAST)
    _run(opt, 6)
    lines = path.read_text()
    p = opt.ask()
    failed = _tell_fails_to_apply(monkeypatch)
    with pytest.raises(RuntimeError, match=r"could not apply an event it built \(OverflowError: "
                       r"injected\).*removed from journal .*run\.jsonl' again") as caught:
        opt.tell(p, 0.5)
    assert failed == [1] and isinstance(caught.value.__cause__, OverflowError)
    assert path.read_text().startswith(lines)  # nothing before it lost
    assert len(path.read_text().splitlines()) == len(lines.splitlines()) + 1  # the ask stays
    for change in (opt.ask, lambda: opt.tell(p, 0.5), lambda: opt.cancel(p)):
        with pytest.raises(RuntimeError, match="refuses every ask, tell and other change"):
            change()
    assert len(opt.history) == 6  # still readable
    opt.close()

    twin = Optimizer(space, seed=3, options=FAST)
    _run(twin, 6)
    assert twin.ask() == p  # the ask the journal holds, pending
    with pytest.warns(bayesopt.optimizer.ResumeWarning):
        resumed = Optimizer.resume(path)
    assert resumed.pending == [p] and len(resumed.history) == 6
    resumed.tell(p, 0.5)
    twin.tell(p, 0.5)
    assert resumed.ask() == twin.ask()


def test_a_tell_that_cannot_be_applied_without_a_journal_leaves_the_optimizer_refusing_changes(
        monkeypatch):
    opt = Optimizer({"x": Real(0, 1), "y": Real(0, 1)}, seed=0, options=FAST)
    _run(opt, 3)
    p = opt.ask()
    _tell_fails_to_apply(monkeypatch)
    with pytest.raises(RuntimeError, match=r"OverflowError: injected.*can still be read\)$"):
        opt.tell(p, 1.0)
    with pytest.raises(RuntimeError, match="refuses every ask"):
        opt.tell_failure(p, "later")
    assert len(opt.history) == 3 and opt.best is not None


def test_a_tell_that_cannot_be_applied_in_a_shared_study_says_it_stays_stored(
        tmp_path, monkeypatch):
    path = tmp_path / "study.sqlite"
    space = {"x": Real(0, 1), "y": Real(0, 1)}
    opt = Optimizer(space, seed=0, options=FAST, storage=f"sqlite:///{path}", study="s")
    _run(opt, 2)
    p = opt.ask()
    _tell_fails_to_apply(monkeypatch)
    with pytest.raises(RuntimeError, match=r"stays stored in .*\(event 5\): the study's other "
                                           "workers apply it"):
        opt.tell(p, 1.0)
    opt.close()
    # the defect injected was one-shot: a new worker replays the stored tell
    other = Optimizer(space, seed=1, options=FAST, storage=f"sqlite:///{path}", study="s")
    assert len(other.history) == 3 and other.pending == []
    other.close()


def test_the_journal_retracts_only_its_last_event(tmp_path):
    from bayesopt.storage import StorageError
    from bayesopt.storage.jsonl import JSONLStorage

    path = tmp_path / "s.jsonl"
    storage, reader = JSONLStorage(path), JSONLStorage(path)
    storage.create_or_attach("s", {"format": 2})
    storage.append("s", [{"event": "a"}, {"event": "b"}, {"event": "c"}])
    assert [e["event"] for e in reader.read("s")] == ["a", "b", "c"]
    with pytest.raises(StorageError, match="event 1 is not the last of 3"):
        storage.retract("s", 1)
    with pytest.raises(ValueError, match="number=-1"):
        storage.retract("s", -1)
    storage.retract("s", 2)
    assert storage.count("s") == 2 and path.read_text().count("\n") == 3
    assert [e["event"] for e in reader.read("s")] == ["a", "b"]  # a reader that read it too
    assert storage.append("s", [{"event": "d"}]) == 2
    assert [e["event"] for e in reader.read("s", 2)] == ["d"]
    storage.close()
    reader.close()


def test_a_journal_event_that_cannot_be_applied_nor_removed_is_named(tmp_path, monkeypatch):
    from bayesopt.storage import StorageError
    from bayesopt.storage.jsonl import JSONLStorage

    def refuses(self: Any, study: str, number: int) -> None:
        raise StorageError("injected: the file cannot be shortened")

    opt = Optimizer({"x": Real(0, 1), "y": Real(0, 1)}, seed=0, journal=tmp_path / "j.jsonl",
                    options=FAST)
    _run(opt, 2)
    p = opt.ask()
    _tell_fails_to_apply(monkeypatch)
    monkeypatch.setattr(JSONLStorage, "retract", refuses)
    with pytest.raises(RuntimeError, match=r"could not be removed from journal .*j\.jsonl' "
                                           r"again \(event 5\), so a resume of it stops there"):
        opt.tell(p, 1.0)
    opt.close()

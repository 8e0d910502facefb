"""The optimizer's state as a fold over events, and the issue-12 traps in the same code.

    fold     : `bayesopt.state.OptimizerState.apply`, the registry of event kinds
    rounding : users round asked values before telling; matching within MATCH_RTOL
    cancel   : `Optimizer.cancel`, `Optimizer.add_pending` (journaled events)
    resume   : a resume says so; a refused journal names the first differing dimension
    choices  : categorical choices JSON cannot carry (classes) and tuples

What is checked: every event kind has an applier and a replay of a journal through
`apply` equals the live state; a user rounding lr to 4 (or 3) significant digits
leaves nothing pending; a told point matching no pending point warns; cancel and
add_pending are journaled and survive a resume; `Optimizer.resume` and `minimize`
announce a resume with its count; a journal for another space names only the first
differing dimension; class choices are refused at resume without space= (naming the
dimension) and shown by `bayesopt show`.
"""

from __future__ import annotations

import logging
import math
import warnings
from typing import Any

import pytest

from acquisition.optimizer import AcquisitionOptimizerOptions
from bayesopt import Categorical, Integer, Optimizer, Real, minimize
from bayesopt.events import EVENTS
from bayesopt.fitting import FitOptions
from bayesopt.journal import JournalError, read_journal
from bayesopt.model import ModelOptions
from bayesopt.optimizer import ResumeWarning, UnmatchedTellWarning
from bayesopt.options import OptimizerOptions
from bayesopt.state import APPLIERS, OptimizerState, PendingPoint, nearest_match
from bayesopt.study import apply_record

FAST = OptimizerOptions(
    model=ModelOptions(n_restarts=1, fit=FitOptions(maxiter=50)),
    acquisition_optimizer=AcquisitionOptimizerOptions(
        n_candidates=256, n_local_candidates=64, n_restarts=2, maxiter=30),
)
SPACE = {"lr": Real(1e-5, 1e-1, log=True), "momentum": Real(0.0, 0.99),
         "layers": Integer(1, 8), "act": Categorical(["relu", "tanh"])}


def loss(p: dict[str, Any]) -> float:
    return ((math.log10(p["lr"]) + 2) ** 2 + (p["momentum"] - 0.9) ** 2
            + 0.1 * p["layers"] + (p["act"] == "tanh") * 0.3)


def significant(x: float, digits: int) -> float:
    return float(f"{x:.{digits - 1}e}")


# ====================================================================== fold


def test_every_event_kind_has_an_applier():
    assert set(EVENTS) >= {"ask", "tell", "failure", "cancel", "pending"}
    assert set(APPLIERS) == set(EVENTS.values())


def test_fork_rng_continues_the_stream_without_drawing_os_entropy(monkeypatch):
    """The fork draws what the state's generator would draw next, and building it draws
    no OS entropy (numpy's `SeedSequence()` without arguments is the only reader of it)."""
    from numpy.random import bit_generator

    state = Optimizer(SPACE, seed=3)._state
    state.rng.random(5)  # a state other than the seed's
    reads: list[int] = []
    entropy = bit_generator.randbits
    monkeypatch.setattr(bit_generator, "randbits", lambda bits: reads.append(bits) or entropy(bits))
    fork = state.fork_rng()
    assert reads == []
    assert fork.random(7).tolist() == state.rng.random(7).tolist()
    assert fork.integers(2**62, size=3).tolist() == state.rng.integers(2**62, size=3).tolist()


def test_a_replay_through_apply_equals_the_live_state(tmp_path):
    path = tmp_path / "run.jsonl"
    live = Optimizer(SPACE, seed=1, n_initial=3, options=FAST, journal=path)
    for step in range(6):
        batch = live.ask(2)
        live.tell(batch[0], loss(batch[0]))
        if step % 2:
            live.tell_failure(batch[1], "diverged")
        else:
            live.cancel(batch[1])
    live.add_pending({"lr": 1e-3, "momentum": 0.5, "layers": 2, "act": "relu"})
    _, records = read_journal(path)
    state = OptimizerState(live.space, seed=live.seed, n_initial=3, maximize=False,
                           model_options=FAST.model, worker=records[-1]["worker"])
    for number, record in enumerate(records):
        apply_record(state, record, "test", number)
    assert state.history == live.history
    assert [p.params for p in state.pending] == live.pending
    assert state.rng.bit_generator.state == live.rng.bit_generator.state
    assert state.design_used == live._design_used


# ================================================================== rounding


@pytest.mark.parametrize("digits", [4, 3])
def test_values_rounded_before_telling_leave_nothing_pending(digits):
    opt = Optimizer(SPACE, seed=0, n_initial=5, options=FAST)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnmatchedTellWarning)
        for _ in range(20):
            p = opt.ask()
            told = {**p, "lr": significant(p["lr"], digits),
                    "momentum": significant(p["momentum"], digits)}
            opt.tell(told, loss(told))
    assert opt.pending == []
    assert len(opt.history) == 20


def test_a_batch_told_rounded_releases_each_its_own_pending_point():
    opt = Optimizer(SPACE, seed=2, n_initial=4, options=FAST)
    batch = opt.ask(4)
    rounded = [{**p, "lr": significant(p["lr"], 3)} for p in batch]
    opt.tell(rounded[::-1], [loss(p) for p in rounded[::-1]])
    assert opt.pending == []


def test_a_tell_matching_no_pending_point_warns_while_points_are_pending():
    opt = Optimizer(SPACE, seed=3, n_initial=4, options=FAST)
    asked = opt.ask()
    other = {**asked, "lr": asked["lr"] * 1.5}
    with pytest.warns(UnmatchedTellWarning, match="matches none of the 1 pending") as caught:
        opt.tell(other, 1.0)
    assert [w.filename for w in caught] == [__file__]  # the caller's tell, not optimizer.py
    assert opt.pending == [asked]
    opt.tell(asked, 2.0)
    with warnings.catch_warnings():  # nothing pending: telling never-asked points is quiet
        warnings.simplefilter("error", UnmatchedTellWarning)
        opt.tell({**asked, "layers": asked["layers"] % 8 + 1}, 3.0)


def test_nearest_match_ranks_the_matches_by_the_encoding_it_is_given():
    """A tell's apply passes the row it has already encoded; without one, the told point is
    encoded. Both pending points match the told one (0.2 % apart in lr)."""
    space = Optimizer(SPACE, seed=0).space
    told = {"lr": 1e-3, "momentum": 0.5, "layers": 3, "act": "relu"}
    near, far = {**told, "lr": 1.001e-3}, {**told, "lr": 0.998e-3}
    pending = [PendingPoint(p, space.encode([p])[0], None, None) for p in (far, near)]
    assert nearest_match(space, told, pending) == 1
    assert nearest_match(space, told, pending, space.encode([far])[0]) == 0


# ============================================================ cancel, pending


def test_cancel_drops_a_pending_point_and_is_journaled(tmp_path):
    path = tmp_path / "run.jsonl"
    opt = Optimizer(SPACE, seed=4, n_initial=4, options=FAST, journal=path)
    a, b = opt.ask(2)
    opt.cancel({**a, "lr": significant(a["lr"], 3)})
    assert opt.pending == [b]
    with pytest.raises(ValueError, match="is not a pending point"):
        opt.cancel(a)
    opt.close()
    with pytest.warns(ResumeWarning):
        assert Optimizer.resume(path).pending == [b]


def test_add_pending_is_avoided_by_asks_and_journaled(tmp_path):
    path = tmp_path / "run.jsonl"
    opt = Optimizer({"k": Integer(0, 2)}, seed=5, n_initial=3, journal=path)
    opt.add_pending([{"k": 0}, {"k": 1}])
    assert opt.ask() == {"k": 2}
    opt.close()
    with pytest.warns(ResumeWarning):
        assert Optimizer.resume(path).pending == [{"k": 0}, {"k": 1}, {"k": 2}]
    with pytest.raises(ValueError, match="'k'"):
        Optimizer({"k": Integer(0, 2)}).add_pending({"k": 7})


# ==================================================================== resume


def test_a_resume_warns_and_logs_with_the_count(tmp_path, caplog):
    path = tmp_path / "run.jsonl"
    opt = Optimizer(SPACE, seed=6, n_initial=3, options=FAST, journal=path)
    for _ in range(3):
        p = opt.ask()
        opt.tell(p, loss(p))
    opt.ask()
    opt.close()
    with caplog.at_level(logging.INFO, logger="bayesopt"), \
            pytest.warns(ResumeWarning, match="3 evaluations and 1 pending"):
        Optimizer.resume(path)
    assert any("3 evaluations" in r.getMessage() and r.levelno == logging.INFO
               for r in caplog.records)


def test_minimize_on_a_used_journal_says_it_resumes(tmp_path, capsys):
    path = tmp_path / "run.jsonl"
    minimize(loss, SPACE, n_calls=4, seed=0, journal=path, progress=False, options=FAST)
    with pytest.warns(ResumeWarning, match="4 evaluations"):
        result = minimize(loss, SPACE, n_calls=5, seed=0, journal=path, progress=True,
                          options=FAST)
    assert len(result.history) == 5
    assert "4/5" in capsys.readouterr().err  # the bar starts at the resumed count


def test_a_journal_for_another_space_names_only_the_first_differing_dimension(tmp_path):
    path = tmp_path / "run.jsonl"
    Optimizer(SPACE, seed=0, journal=path).close()
    changed = {**SPACE, "layers": Integer(1, 16), "act": Categorical(["relu", "gelu"])}
    with pytest.raises(JournalError) as error:
        Optimizer.resume(path, changed)
    message = str(error.value)
    assert "dimension 2 is 'layers'" in message
    assert "'high': 8" in message and "'high': 16" in message
    assert "momentum" not in message and "gelu" not in message  # not both whole spaces
    with pytest.raises(JournalError, match="the study has 4 dimensions, not 3"):
        Optimizer.resume(path, {k: SPACE[k] for k in ("lr", "momentum", "layers")})


# =================================================================== choices


class Adam:
    pass


class SGD:
    pass


def test_class_choices_are_refused_at_resume_without_space_and_never_become_text(tmp_path):
    space = {"x": Real(0, 1), "optimizer": Categorical([Adam, SGD])}
    path = tmp_path / "run.jsonl"
    opt = Optimizer(space, seed=0, n_initial=2, journal=path)
    for _ in range(3):
        p = opt.ask()
        opt.tell(p, p["x"])
    opt.close()
    with pytest.raises(JournalError, match=r"(?s)dimension 'optimizer'.*Adam") as caught:
        Optimizer.resume(path)
    message = str(caught.value)  # the advice once (review42 found it twice)
    assert message.count("pass space=") == 1 and message.endswith(
        "which JSON cannot carry (only its repr was stored); pass space= with the original "
        "dimensions and choices to Optimizer.resume")
    with pytest.warns(ResumeWarning):
        resumed = Optimizer.resume(path, space)
    assert resumed.ask()["optimizer"] in (Adam, SGD)


def test_show_displays_a_journal_with_class_choices(tmp_path):
    from bayesopt.cli import format_table, read_record

    space = {"x": Real(0, 1), "optimizer": Categorical([Adam, SGD])}
    path = tmp_path / "run.jsonl"
    opt = Optimizer(space, seed=0, n_initial=2, journal=path)
    for value in (0.5, 0.25):
        p = opt.ask()
        opt.tell(p, value)
    opt.close()
    table = format_table(read_record(path))
    assert "test_fold.Adam" in table or "test_fold.SGD" in table
    assert len(table.splitlines()) == 3


def test_a_resume_after_any_event_asks_what_the_uninterrupted_run_asks(tmp_path):
    """Cut the journal after each event, resume, and go on as `minimize` would (pending
    points told first): the same asks. Covers an event that computes nothing (a failure)
    applied to a resumed optimizer before its surrogate was rebuilt."""
    def value(p: dict[str, Any]) -> float | None:
        return None if p["layers"] >= 6 else loss(p)

    def step(opt: Optimizer, p: dict[str, Any]) -> None:
        v = value(p)
        opt.tell(p, v) if v is not None else opt.tell_failure(p, "diverged")

    path = tmp_path / "whole.jsonl"
    whole = Optimizer(SPACE, seed=0, n_initial=4, options=FAST, journal=path)
    asked = []
    for _ in range(8):
        asked.append(whole.ask())
        step(whole, asked[-1])
    lines = path.read_bytes().split(b"\n")
    for cut in range(9, len(lines) - 1):
        copy = tmp_path / f"cut{cut}.jsonl"
        copy.write_bytes(b"\n".join(lines[:cut]) + b"\n")
        with pytest.warns(ResumeWarning):
            resumed = Optimizer.resume(copy)
        for p in resumed.pending:
            step(resumed, p)
        while len(resumed.history) < len(asked):
            p = resumed.ask()
            assert p == asked[len(resumed.history)], f"cut after line {cut}"
            step(resumed, p)


def test_appended_equals_concatenate_and_earlier_views_stay_what_they_were():
    """`bayesopt.growth.appended` (how `_observe` grows the state's arrays): each result
    equals np.concatenate of the same arrays, value, dtype and shape; a view handed out
    earlier keeps its rows through later appends and doublings; a copy of the last view
    (a deep copy or pickle of the state) and an array from elsewhere start a buffer of
    their own, leaving the first one's views alone."""
    import copy as copying

    import numpy as np

    from bayesopt.growth import appended

    rng = np.random.default_rng(0)
    buffers: dict = {}
    grown = expected = np.empty((0, 3))
    views = []
    for k in [0, 1, 2, 0, 5, 1, 17, 3, 40, 2]:
        rows = rng.random((k, 3))
        grown, expected = appended(buffers, "X", grown, rows), np.concatenate([expected, rows])
        assert grown.dtype == expected.dtype and np.array_equal(grown, expected)
        views.append((grown, expected.copy()))
    assert all(np.array_equal(view, value) for view, value in views)
    copied = copying.deepcopy(grown)
    other = appended(buffers, "X", copied, rng.random((2, 3)))
    assert not np.shares_memory(other, grown)
    again = appended(buffers, "X", grown, rng.random((1, 3)))  # the old buffer was let go:
    assert not np.shares_memory(again, other)                  # a new one, not `other`'s
    assert np.array_equal(again[:-1], grown) and np.array_equal(other[:-2], grown)
    flags = appended({}, "f", np.empty(0, dtype=bool), np.array([True, False]))
    assert flags.dtype == bool and flags.tolist() == [True, False]
    floats = appended({}, "b", np.empty(0), [])
    assert floats.dtype == np.concatenate([np.empty(0), []]).dtype and floats.shape == (0,)


def test_a_state_grown_in_place_pickles_and_copies_without_its_buffers():
    """A deep copy or pickle of a state carries its arrays, not `appended`'s buffers, and
    grows apart from the original."""
    import copy as copying
    import pickle

    import numpy as np

    from bayesopt.events import Tell

    opt = Optimizer({"x": Real(0, 1)}, seed=0, n_initial=3, options=FAST)
    for i in range(6):
        opt.tell({"x": i / 10}, float(i))
    state = opt._state
    assert state.X_all.shape == (6, 1) and state._buffers
    for twin in (copying.deepcopy(state), pickle.loads(pickle.dumps(state))):
        assert twin._buffers == {} and np.array_equal(twin.X_ok, state.X_ok)
        twin.apply(Tell(points=({"x": 0.95},), values=(9.0,), worker=twin.worker))
        assert twin.X_ok.shape == (7, 1) and twin.X_ok[-1, 0] == 0.95
        assert state.X_ok.shape == (6, 1) and state.y_ok.tolist() == [0, 1, 2, 3, 4, 5]

"""SMAC's random interleaving (`OptimizerOptions.random_interleave`).

What is checked: with k, exactly the asked points whose number in the study
(1-based, every worker's asks counted) is a multiple of k after the initial
design are uniformly random — the ask event says which — and every other ask is
the default's; a batch crossing a multiple marks the right position; a resumed
journal and a replayed shared study ask the same; the option is validated,
round-trips through `OptimizerOptions.to_dict` (a header written before it
resumes without it) and changes the fingerprint only when set; a malformed
journal field is refused.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from bayesopt import Optimizer, OptimizerOptions, Real
from bayesopt.events import Ask, from_record, to_record
from bayesopt.journal import JournalError
from bayesopt.optimizer import ResumeWarning

SPACE = {"x": Real(0.0, 1.0), "y": Real(-1.0, 1.0)}


def _objective(params: dict[str, Any]) -> float:
    return float((params["x"] - 0.3) ** 2 + (params["y"] - 0.2) ** 2)


def _asks(journal: Path) -> list[dict[str, Any]]:
    records = [json.loads(line) for line in journal.read_text().splitlines()]
    return [r for r in records if r.get("event") == "ask"]


def _interleaved_numbers(journal: Path) -> list[int]:
    """1-based numbers of the asked points the journal marks as interleaved."""
    numbers, asked = [], 0
    for record in _asks(journal):
        numbers += [asked + i + 1 for i in record.get("interleaved", [])]
        asked += len(record["points"])
    return numbers


def _interleaved(k: int | None) -> OptimizerOptions:
    return OptimizerOptions(random_interleave=k)


def _run(opt: Optimizer, steps: int) -> None:
    for _ in range(steps):
        params = opt.ask()
        opt.tell(params, _objective(params))


def test_every_kth_asked_point_after_the_design_is_random_and_says_so(tmp_path: Path) -> None:
    journal = tmp_path / "run.jsonl"
    opt = Optimizer(SPACE, seed=0, n_initial=4, options=_interleaved(3), journal=journal)
    _run(opt, 13)
    assert _interleaved_numbers(journal) == [6, 9, 12]  # 3 is in the design (4 points)


def test_until_the_first_multiple_the_asks_are_the_defaults() -> None:
    default = Optimizer(SPACE, seed=1, n_initial=4)
    mixed = Optimizer(SPACE, seed=1, n_initial=4, options=_interleaved(7))
    for number in range(1, 8):
        a, b = default.ask(), mixed.ask()
        assert (a == b) == (number < 7), number
        default.tell(a, _objective(a))
        mixed.tell(b, _objective(b))


def test_an_interleaved_point_is_a_uniform_draw_of_the_generator() -> None:
    """The interleaved ask is the first uniform draw of the state's generator, decoded."""
    opt = Optimizer(SPACE, seed=2, n_initial=4, options=_interleaved(5))
    _run(opt, 4)
    fork = opt._state.fork_rng()  # the generator the fifth ask computes with
    u = fork.random((1, opt.space.n_dims))  # (1, d)
    expected = opt.space.decode(opt.space.from_unit(u))[0]
    assert opt.ask() == expected


def test_a_batch_marks_the_position_of_the_multiple(tmp_path: Path) -> None:
    journal = tmp_path / "run.jsonl"
    opt = Optimizer(SPACE, seed=2, n_initial=3, options=_interleaved(4), journal=journal)
    for params in opt.ask(3):
        opt.tell(params, _objective(params))
    batch = opt.ask(3)  # points 4, 5, 6: the first is interleaved
    assert _asks(journal)[-1]["interleaved"] == [0]
    assert len({tuple(p.values()) for p in batch}) == 3


def test_a_resumed_journal_asks_the_same(tmp_path: Path) -> None:
    journal = tmp_path / "run.jsonl"
    live = Optimizer(SPACE, seed=3, n_initial=4, options=_interleaved(3), journal=journal)
    _run(live, 7)
    copy = shutil.copy(journal, tmp_path / "copy.jsonl")  # one writer per journal: resume a copy
    with pytest.warns(ResumeWarning, match="7 evaluations"):
        resumed = Optimizer.resume(copy)
    assert resumed.fingerprint == live.fingerprint
    for _ in range(4):  # asks 8..11, of which 9 is interleaved
        a, b = live.ask(), resumed.ask()
        assert a == b
        live.tell(a, _objective(a))
        resumed.tell(b, _objective(b))
    assert live._state.n_asked == resumed._state.n_asked == 11


def test_a_shared_study_counts_every_workers_asks(tmp_path: Path) -> None:
    url = tmp_path / "study.jsonl"
    a = Optimizer(SPACE, storage=url, study="s", seed=5, n_initial=3, options=_interleaved(4))
    b = Optimizer(SPACE, storage=url, study="s", seed=6, n_initial=3, options=_interleaved(4))
    marked = []
    for _ in range(4):
        for opt in (a, b):
            params = opt.ask()
            marked.append(opt._state.n_asked)
            opt.tell(params, _objective(params))
    replay = Optimizer(SPACE, storage=url, study="s", seed=7, options=_interleaved(4))
    assert marked == list(range(1, 9)) and replay._state.n_asked == 8
    assert _interleaved_numbers(url) == [4, 8]
    for opt in (a, b, replay):
        opt.close()


def test_the_option_round_trips_and_changes_the_fingerprint() -> None:
    options = _interleaved(10)
    assert OptimizerOptions.from_dict(options.to_dict()) == options
    before = OptimizerOptions().to_dict()
    del before["random_interleave"]  # a journal header written before the option
    assert OptimizerOptions.from_dict(before).random_interleave is None
    assert (Optimizer(SPACE, options=options).fingerprint
            != Optimizer(SPACE).fingerprint
            == Optimizer(SPACE, options=_interleaved(None)).fingerprint)


@pytest.mark.parametrize("value, error", [
    (1, ValueError), (0, ValueError), (-3, ValueError), (2.5, TypeError), (True, TypeError),
    ("10", TypeError),
])
def test_bad_values_raise_naming_the_option(value: object, error: type[Exception]) -> None:
    with pytest.raises(error, match=f"random_interleave={value!r}"):
        OptimizerOptions(random_interleave=value)  # type: ignore[arg-type]


def test_the_field_round_trips_through_the_journal_form() -> None:
    space = Optimizer(SPACE).space
    event = Ask(points=({"x": 0.5, "y": 0.0}, {"x": 0.1, "y": 0.3}), interleaved=(1,))
    record = json.loads(json.dumps(to_record(event, space, with_state=False)))
    assert record["interleaved"] == [1]
    assert from_record(record, space) == event
    plain = to_record(Ask(points=({"x": 0.5, "y": 0.0},)), space, with_state=False)
    assert "interleaved" not in plain


@pytest.mark.parametrize("interleaved", [[1], [-1], [0, 0], [True], "0", [0.0], {"0": 1}])
def test_a_malformed_field_in_a_journal_is_refused(interleaved: object) -> None:
    record = {"event": "ask", "points": [[0.5, 0.0]], "interleaved": interleaved, "state": None}
    with pytest.raises(JournalError, match="interleaved"):
        from_record(record, Optimizer(SPACE).space)

"""bench.large_n: the arms share the first arm's prefix and continue it exactly as resumed runs."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `bench` is not installed: import it from the repository
    sys.path.insert(0, str(ROOT))

from bayesopt import Optimizer
from bench import large_n
from bench.problems import make_problem


def _record(out: Path, arm: str, problem: str, seed: int) -> dict:
    return json.loads((out / arm / f"{problem}-{seed}.json").read_text())


def test_the_arms_continue_the_shared_prefix_as_an_uninterrupted_run(tmp_path: Path) -> None:
    large_n.run(tmp_path, ["hartmann3_noisy"], [1], prefix=8, budget=11,
                arms=["fcu400", "fcu200"])
    prefix = json.loads((tmp_path / "prefix" / "hartmann3_noisy-1.json").read_text())["steps"]
    problem = make_problem("hartmann3_noisy", 1)
    opt = Optimizer(dict(problem.space), seed=1)
    straight = []
    for _ in range(11):
        params = opt.ask()
        value = problem.evaluate(params)
        opt.tell(params, value)
        straight.append((params, value))
    for arm in ("fcu400", "fcu200"):
        steps = _record(tmp_path, arm, "hartmann3_noisy", 1)["steps"]
        assert len(steps) == 11
        assert [s["params"] for s in steps[:8]] == [s["params"] for s in prefix]
        # below full_candidates_until both arms ask as the default: the resumed journal asks
        # what the uninterrupted run asked, and the replayed noise stream goes on as its did
        assert [(s["params"], s["value"]) for s in steps] == straight
    assert not list((tmp_path / "fcu400").glob("*.jsonl")), "the arm's journal copy is removed"


def test_the_arm_options_reach_the_resumed_optimizer(tmp_path: Path) -> None:
    large_n.run_prefix(tmp_path, "branin", 0, 6, "fcu400")
    opt, _, steps = large_n._resumed(tmp_path, "branin", 0, "fcu200")
    assert opt.options.acquisition_optimizer.full_candidates_until == 200
    assert len(steps) == 6 and len(opt.history) == 6


def test_a_prefix_beyond_an_arms_full_candidates_until_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"'fcu200' has full_candidates_until=200 < --prefix=300"):
        large_n.run(tmp_path, ["branin"], [0], prefix=300, budget=600, arms=["fcu400", "fcu200"])
    with pytest.raises(ValueError, match=r"--prefix=20 must be smaller than --budget=20"):
        large_n.run(tmp_path, ["branin"], [0], prefix=20, budget=20, arms=["fcu400"])
    with pytest.raises(ValueError, match="unknown arm 'fcu100'"):
        large_n.arm_options("fcu100")


def test_an_arm_that_changes_more_than_the_schedule_cannot_share_the_prefix(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(large_n.ARMS, "restarts4", {"full_candidates_until": 400, "n_restarts": 4})
    with pytest.raises(ValueError, match="'restarts4' differs from 'fcu400' in more than"):
        large_n.run(tmp_path, ["branin"], [0], prefix=20, budget=30, arms=["fcu400", "restarts4"])


@pytest.mark.parametrize("argv", [["run", "--arms", "fcu400,nope"], ["run", "--arms", ""],
                                  ["report", "--problems", "svc_cancer"],
                                  ["report", "--checkpoints", "0,400"], ["run", "--seeds", "0"]])
def test_bad_arguments_are_usage_errors(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        large_n.main(argv)
    assert exit_info.value.code == 2
    assert "usage" in capsys.readouterr().err

"""bench.large_n: the arms share the first arm's prefix and continue it exactly as resumed runs."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
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
                arms=["fcu400", "fcu200", "fcu200-growth0.2"])
    prefix = json.loads((tmp_path / "prefix" / "hartmann3_noisy-1.json").read_text())["steps"]
    problem = make_problem("hartmann3_noisy", 1)
    opt = Optimizer(dict(problem.space), seed=1)
    straight = []
    for _ in range(11):
        params = opt.ask()
        value = problem.evaluate(params)
        opt.tell(params, value)
        straight.append((params, value))
    for arm in ("fcu400", "fcu200", "fcu200-growth0.2"):
        steps = _record(tmp_path, arm, "hartmann3_noisy", 1)["steps"]
        assert len(steps) == 11
        assert [s["params"] for s in steps[:8]] == [s["params"] for s in prefix]
        # below full_candidates_until and refit_every_step_until the arms ask as the default:
        # the resumed journal asks
        # what the uninterrupted run asked, and the replayed noise stream goes on as its did
        assert [(s["params"], s["value"]) for s in steps] == straight
    assert not list((tmp_path / "fcu400").glob("*.jsonl")), "the arm's journal copy is removed"


def test_the_reports_step_cpu_is_of_each_arms_steps_after_its_prefix(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    large_n.run(tmp_path, ["branin"], [0], prefix=6, budget=8, arms=["refit200", "refit100"])
    # the runs' own prefix counts, not --prefix's default (200, past these runs' end)
    large_n.main(["report", "--problems", "branin", "--seeds", "1", "--checkpoints", "8",
                  "--arms", "refit200,refit100", "--out", str(tmp_path)])
    line = capsys.readouterr().out.splitlines()[-1]
    record = _record(tmp_path, "refit100", "branin", 0)
    expected = 1e3 * np.median([step["cpu"] for step in record["steps"][6:]])
    assert line.startswith("branin refit200 ") and line.endswith(f"refit100 {expected:.1f}")


@pytest.mark.parametrize(("arm", "full_candidates_until", "refit_growth"),
                         [("fcu200", 200, 0.1), ("fcu200-growth0.2", 200, 0.2)])
def test_the_arm_options_reach_the_resumed_optimizer(
        tmp_path: Path, arm: str, full_candidates_until: int, refit_growth: float) -> None:
    large_n.run_prefix(tmp_path, "branin", 0, 6, "fcu400")
    opt, _, steps = large_n._resumed(tmp_path, "branin", 0, arm)
    assert opt.options.acquisition_optimizer.full_candidates_until == full_candidates_until
    assert opt.options.model.refit_growth == refit_growth
    assert len(steps) == 6 and len(opt.history) == 6


def test_a_prefix_beyond_an_arms_full_candidates_until_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"'fcu200' has full_candidates_until=200 < --prefix=300"):
        large_n.run(tmp_path, ["branin"], [0], prefix=300, budget=600, arms=["fcu400", "fcu200"])
    with pytest.raises(ValueError, match=r"--prefix=20 must be smaller than --budget=20"):
        large_n.run(tmp_path, ["branin"], [0], prefix=20, budget=20, arms=["fcu400"])
    with pytest.raises(ValueError, match="unknown arm 'fcu100'"):
        large_n.arm_options("fcu100")


def test_arms_differing_in_refit_growth_share_no_prefix_beyond_the_every_step_refits(
        tmp_path: Path) -> None:
    # until refit_every_step_until (200) every tell refits, whatever refit_growth
    with pytest.raises(ValueError, match=r"arm 'fcu200' has refit_every_step_until=200 < "
                                         r"--prefix=201: with refit_growth differing"):
        large_n.run(tmp_path, ["branin"], [0], prefix=201, budget=600,
                    arms=["fcu200", "fcu200-growth0.2"])
    assert not (tmp_path / "prefix").exists(), "refused before any evaluation"


def test_arms_differing_in_the_every_step_refits_share_no_prefix_beyond_the_smaller(
        tmp_path: Path) -> None:
    # refit100 stops refitting at every tell after n = 100: its asks may differ from there
    with pytest.raises(ValueError, match=r"arm 'refit100' has refit_every_step_until=100 < "
                                         r"--prefix=101: with refit_every_step_until differing"):
        large_n.run(tmp_path, ["branin"], [0], prefix=101, budget=200,
                    arms=["refit200", "refit100"])
    assert not (tmp_path / "prefix").exists(), "refused before any evaluation"
    large_n._check_prefix(100, ["refit200", "refit100"], 200)  # up to n = 100 they ask alike


def test_an_arm_may_set_only_the_large_n_settings(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(large_n.ARMS, "restarts4", {"full_candidates_until": 400, "n_restarts": 4})
    with pytest.raises(ValueError, match="arm 'restarts4' sets n_restarts; an arm may set only "
                                         "full_candidates_until, refit_growth"):
        large_n.run(tmp_path, ["branin"], [0], prefix=20, budget=30,
                    arms=["fcu400", "restarts4"])


def _edit_header(journal: Path, section: str, name: str, value: object) -> None:
    lines = journal.read_text().splitlines(keepends=True)
    header = json.loads(lines[0])
    header["config"]["options"][section][name] = value
    journal.write_text(json.dumps(header) + "\n" + "".join(lines[1:]))


@pytest.mark.parametrize(("section", "name", "value", "message"), [
    ("model", "n_restarts", 3, (r"arm 'fcu200' differs from the prefix journal .* in more "
                                r"than full_candidates_until, refit_growth")),
    ("acquisition_optimizer", "full_candidates_until", 5,
     r"the prefix journal .* has full_candidates_until=5 < --prefix=6"),
])
def test_a_cached_prefix_that_asks_unlike_the_arm_is_refused(
        tmp_path: Path, section: str, name: str, value: int, message: str) -> None:
    """The cached prefix may have been run by another arm's options: they must ask alike."""
    large_n.run_prefix(tmp_path, "branin", 0, 6, "fcu400")
    _edit_header(tmp_path / "prefix" / "branin-0.jsonl", section, name, value)
    with pytest.raises(ValueError, match=message):
        large_n._resumed(tmp_path, "branin", 0, "fcu200")


def test_the_report_counts_worse_and_better_over_all_rows_with_a_sign_test() -> None:
    before = {"a @ 300": np.array([1.0, 2.0, 3.0]), "b @ 300": np.array([1.0, 1.0, 1.0])}
    after = {"a @ 300": np.array([2.0, 3.0, 4.0]), "b @ 300": np.array([2.0, 2.0, 1.0])}
    # 5 of 5 untied worse: p = 2 · 0.5⁵
    assert large_n.sign_test(before, after) == ("Over all rows: 5 worse / 0 better / 1 equal; "
                                                "two-sided sign test on the untied, p = 0.062.")
    assert large_n.sign_test(before, before).endswith("0 worse / 0 better / 6 equal; "
                                                      "two-sided sign test on the untied, p = 1.")


def test_step_time_pays_the_refit_share_of_the_arms_schedule() -> None:
    times = large_n.step_times(n=230, steps=1, rounds=1, arms=["fcu200", "fcu200-growth0.2"])
    # after 230 observations a refit comes every ceil(0.1 · 230) = 23 or ceil(0.2 · 230) = 46 tells
    assert [t.refit_interval for t in times["fcu200"]] == [23]
    assert [t.refit_interval for t in times["fcu200-growth0.2"]] == [46]
    for t in times["fcu200"] + times["fcu200-growth0.2"]:
        assert t.refit > 0 and t.amortized == t.step + t.refit / t.refit_interval


@pytest.mark.parametrize("argv", [["run", "--arms", "fcu400,nope"], ["run", "--arms", ""],
                                  ["report", "--problems", "svc_cancer"],
                                  ["report", "--checkpoints", "0,400"], ["run", "--seeds", "0"]])
def test_bad_arguments_are_usage_errors(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        large_n.main(argv)
    assert exit_info.value.code == 2
    assert "usage" in capsys.readouterr().err

"""A run that trains on past the step at which `Optimizer.report` said stop is complete.

    stop(run)   the step of the report that first returned True
    last(run)   the run's last reported step
    tell(p, v)                  last > stop: "ok", step None (the tell carries "complete")
    tell(p, v)                  last = stop: "pruned" at stop (the loop broke there)
    tell(p, v, pruned=True)     "pruned" at last (another rule stopped it)

As Optuna records COMPLETE a trial whose objective returns after `should_prune()` said
True. A tell of the first kind carries "complete" (since 0.10.0), so a 0.9.0 journal, whose
plain tells after a stop were folded "pruned" at the stop, folds as 0.9.0 folded it.
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest

from bayesopt import Fidelity, Optimizer, Real, SuccessiveHalving
from bayesopt.journal import JournalError
from lapack_rounding import assert_asks_one_of

DATA = pathlib.Path(__file__).parent / "data"


def _record(opt: Optimizer) -> list[tuple[Any, ...]]:
    return [(o.params["x"], o.status, o.step, o.value) for o in opt.history]


def _tells(path: pathlib.Path) -> list[dict[str, Any]]:
    events = [json.loads(line) for line in path.read_text().splitlines()[1:]]
    return [e for e in events if e["event"] == "tell"]


def test_the_issue_s_loop_records_complete_runs_and_resumes_alike(tmp_path: Any) -> None:
    """The issue's reproducer: every run reports steps 1..27 whatever `report` says and is
    told its value at step 27. Before, each run `report` stopped was recorded "pruned" at
    the stop's step (1, 3 or 9) with the value of step 27."""
    path = tmp_path / "run.jsonl"
    opt = Optimizer({"x": Real(0, 1)}, seed=0, journal=path)
    advised = []
    for _ in range(12):
        p = opt.ask()
        said = []
        for step in range(1, 28):
            v = (p["x"] - 0.3) ** 2 + 1 / step
            said.append(opt.report(p, step, v))
        opt.tell(p, v)
        advised.append(any(said))
    assert sum(advised) >= 4, advised  # the rule said stop to several runs
    last = opt.result().history[-1]
    assert (last.status, last.step, last.value) == ("ok", None, v)
    assert [(o.status, o.step) for o in opt.history] == [("ok", None)] * 12
    assert opt._state.y_ok.shape == (12,)  # every value is the GP's data
    assert [t.get("complete") for t in _tells(path)] == [[True] if a else None for a in advised]
    opt.close()
    resumed = Optimizer.resume(path, append=False)
    assert _record(resumed) == _record(opt)
    assert resumed.ask() == opt.ask()


def _late_bloomer(opt: Optimizer) -> None:
    """Three runs at budget 9 (the bracket that starts at 9, promoted to 27): 0.8's early
    values are the worst, so `report` stops it at step 1, but it trains on to its budget
    and ends best."""
    curves = {0.2: [0.5, 0.4, 0.35, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3],
              0.4: [0.6, 0.5, 0.45, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4],
              0.8: [2.0, 1.5, 1.0, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01]}
    for x, curve in curves.items():
        p = {"x": x, "epochs": 9}
        opt.add_pending(p)
        said = opt.report(p, list(range(1, 10)), curve)
        assert said == (x != 0.2)
        opt.tell(p, curve[-1])


def test_with_a_fidelity_a_run_trained_to_its_budget_past_its_stop_is_ranked_and_promoted(
        tmp_path: Any) -> None:
    """With a Fidelity the complete run is a result at its asked budget: modelled by the
    GP and ranked in its rung, where it is the best, so the schedule promotes it. Before,
    0.4 and 0.8 were "pruned" at step 1, left out of the GP and ranked last, and the
    promotion to 27 was of 0.2."""
    path = tmp_path / "run.jsonl"
    opt = Optimizer({"x": Real(0.0, 1.0), "epochs": Fidelity(1, 27)}, seed=0, journal=path)
    _late_bloomer(opt)
    assert _record(opt) == [(0.2, "ok", None, 0.3), (0.4, "ok", None, 0.4),
                            (0.8, "ok", None, 0.01)]
    assert opt._state.budgets_ok.tolist() == [9.0, 9.0, 9.0]
    assert opt._state.y_ok.tolist() == [0.3, 0.4, 0.01]
    assert opt._state.X_failed.shape[0] == 0
    opt.close()
    resumed = Optimizer.resume(path, append=False)
    assert _record(resumed) == _record(opt)
    for folded in (opt, resumed):
        p = folded.ask()
        assert p == {"x": 0.8, "epochs": 27} and folded.continues(p) == 2


def test_a_run_stopped_at_its_stop_or_told_pruned_stays_pruned(tmp_path: Any) -> None:
    """0.6 breaks at the stop: "pruned" at step 1; 0.7 reports on to step 3 and is told
    pruned=True: "pruned" at 3; 0.8 reports on to step 3, told plainly: "ok". One tell of
    two points (0.8 and 0.5) carries complete [true, false]; the other tells no field, as
    0.9.0 wrote them. A journal folds them alike, with a Fidelity too."""
    for space in ({"x": Real(0.0, 1.0)}, {"x": Real(0.0, 1.0), "epochs": Fidelity(1, 9)}):
        path = tmp_path / f"run{len(space)}.jsonl"
        opt = Optimizer(space, seed=0, pruner=SuccessiveHalving(min_resource=1), journal=path)
        budget = {"epochs": 9} if len(space) == 2 else {}
        points = [{"x": x, **budget} for x in (0.5, 0.6, 0.7, 0.8)]
        opt.add_pending(points)
        assert not opt.report(points[0], 1, 0.2)
        assert opt.report(points[1], 1, 0.9)
        opt.tell(points[1], 0.9)
        for p in points[2:]:
            assert opt.report(p, [1, 2, 3], [0.9, 0.8, 0.7])
        opt.tell(points[2], 0.7, pruned=True)
        opt.report(points[0], [2, 3], [0.15, 0.1])
        opt.tell([points[3], points[0]], [0.7, 0.1])
        expected = [(0.6, "pruned", 1.0, 0.9), (0.7, "pruned", 3.0, 0.7),
                    (0.8, "ok", None, 0.7), (0.5, "ok", None, 0.1)]
        assert _record(opt) == expected
        assert [(t.get("pruned"), t.get("complete")) for t in _tells(path)] == [
            (None, None), ([3.0], None), (None, [True, False])]
        modelled = [0.9, 0.7, 0.7, 0.1] if len(space) == 1 else [0.7, 0.1]
        assert opt._state.y_ok.tolist() == modelled
        opt.close()
        resumed = Optimizer.resume(path, append=False)
        assert _record(resumed) == expected
        assert resumed._state.y_ok.tolist() == modelled


# what 0.9.0 asks next, per rounding (tests/lapack_rounding.py): recorded when the journal was
# written, and by 0.9.0's own code (a3e962ac) resuming it on an AMD EPYC with AVX-512 (scipy
# 1.17.1), where the fourth ask differs in its last digits, and on an AMD EPYC Zen 5 (family
# 26; OpenBLAS's Haswell kernels; the same under scipy 1.17.1 and 1.18.1), where it differs too
ASKED_BY_0_9_0_WHERE_WRITTEN = [
    {"x": 0.31, "epochs": 27}, {"x": 0.3235637489706278, "epochs": 3},
    {"x": 0.7151854652911425, "epochs": 1}, {"x": 0.4195862050810615, "epochs": 1}]
ASKED_BY_0_9_0 = {
    "where it was written": ASKED_BY_0_9_0_WHERE_WRITTEN,
    "scipy 1.17.1, AMD EPYC (AVX-512)": ASKED_BY_0_9_0_WHERE_WRITTEN[:3] + [
        {"x": 0.41958620503869176, "epochs": 1}],
    "scipy 1.17.1 or 1.18.1, AMD EPYC Zen 5": ASKED_BY_0_9_0_WHERE_WRITTEN[:3] + [
        {"x": 0.41958620504881383, "epochs": 1}],
}


def test_a_journal_of_0_9_0_folds_as_0_9_0_did_and_asks_what_it_asked(tmp_path: Any) -> None:
    """tests/data/journal-0.9.0-past-stop.jsonl, written by bayesopt 0.9.0 (main a3e962ac):
    `Fidelity(1, 27)`, seed 3; three asked runs at budget 1, then nine runs added at budget
    9, each reporting 4·(x − 0.3)² + 1/step every step, which in turn trained on whatever
    `report` said (0.31, 0.8, 0.95), broke at its stop (0.9, 0.28, 0.1) or was told
    pruned=True two steps past it (0.05, 0.6, 0.7). 0.9.0 folded 0.8 and 0.95 "pruned" at
    their stop; so does this version, and it asks the four points 0.9.0 asks next.
    Continued, a run trained past its stop is complete."""
    path = tmp_path / "journal.jsonl"
    path.write_bytes((DATA / "journal-0.9.0-past-stop.jsonl").read_bytes())
    with pytest.warns(UserWarning, match="resumed journal"):
        opt = Optimizer.resume(path)
    assert [(o.params["x"], o.params["epochs"], o.value, o.status, o.step)
            for o in opt.history] == [
        (0.9349544448778033, 1, 2.612669, "ok", None),
        (0.04141779523342848, 1, 1.267459, "ok", None),
        (0.3235637489706278, 1, 1.002221, "ok", None), (0.31, 9, 0.111511, "ok", None),
        (0.9, 9, 2.44, "pruned", 1.0), (0.05, 9, 0.583333, "pruned", 3.0),
        (0.8, 9, 1.111111, "pruned", 1.0), (0.28, 9, 0.334933, "pruned", 3.0),
        (0.6, 9, 0.693333, "pruned", 3.0), (0.95, 9, 1.801111, "pruned", 1.0),
        (0.1, 9, 1.16, "pruned", 1.0), (0.7, 9, 0.973333, "pruned", 3.0)]
    assert_asks_one_of([opt.ask() for _ in range(4)], ASKED_BY_0_9_0)
    p = {"x": 0.85, "epochs": 9}
    opt.add_pending(p)
    assert opt.report(p, list(range(1, 10)), [4 * 0.55 ** 2 + 1 / s for s in range(1, 10)])
    opt.tell(p, 4 * 0.55 ** 2 + 1 / 9)
    assert (opt.history[-1].status, opt.history[-1].step) == ("ok", None)
    assert _tells(path)[-1]["complete"] == [True]
    opt.close()
    again = Optimizer.resume(path, append=False)
    assert _record(again) == _record(opt)


@pytest.mark.parametrize("complete, match", [
    ([1], r"complete \[1\]: expected true or false per point"),
    ([True, False], r"1 point\(s\) but complete \[True, False\]"),
    (True, r"complete True: expected true or false per point"),
    ("both", r"point 0 is both pruned \(at step 2.0\) and complete"),
])
def test_a_malformed_complete_field_is_refused(tmp_path: Any, complete: Any, match: str) -> None:
    path = tmp_path / "run.jsonl"
    opt = Optimizer({"x": Real(0.0, 1.0)}, seed=0, journal=path)
    opt.add_pending({"x": 0.5})
    opt.report({"x": 0.5}, [1, 2], [0.5, 0.4])
    opt.tell({"x": 0.5}, 0.4, pruned=True)
    opt.close()
    lines = path.read_text().splitlines()
    tell = json.loads(lines[-1])
    assert tell["event"] == "tell" and tell["pruned"] == [2.0]
    tell["complete"] = [True] if complete == "both" else complete
    if complete != "both":
        del tell["pruned"]
    path.write_text("\n".join([*lines[:-1], json.dumps(tell)]) + "\n")
    with pytest.raises(JournalError, match=match):
        Optimizer.resume(path, append=False)


def test_an_optuna_trial_that_trained_past_its_prune_advice_is_brought_in_complete(
        optuna_sqlite: Any) -> None:
    """README, Bringing a history in: an objective asks `should_prune()` at every step; odd
    trials obey (PRUNED), even ones train on and return (COMPLETE). Brought in with their
    curves under the rule of Optuna's pruner, a COMPLETE trial the rule stops before its last
    step is "ok" with its final value; a PRUNED one "pruned" at its last step. (Optuna's
    pruner keeps recording the values of advised trials at later rungs, this rule does not,
    so the steps it stops at may differ: the README says so.)"""
    import optuna
    from optuna.trial import TrialState

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    fields = {"min_resource": 1, "reduction_factor": 3, "min_early_stopping_rate": 0,
              "bootstrap_count": 0}

    def objective(trial: optuna.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        for step in range(1, 10):
            trial.report((x - 0.3) ** 2 + 1 / step, step)
            if trial.should_prune():
                trial.set_user_attr("advised", trial.user_attrs.get("advised", step))
                if trial.number % 2:
                    raise optuna.TrialPruned()
        return (x - 0.3) ** 2 + 1 / 9

    study = optuna.create_study(storage=optuna_sqlite(),
                                sampler=optuna.samplers.RandomSampler(seed=0),
                                pruner=optuna.pruners.SuccessiveHalvingPruner(**fields))
    study.optimize(objective, n_trials=16)
    opt = Optimizer({"x": Real(0.0, 1.0)}, seed=0, pruner=SuccessiveHalving(**fields))
    expected, past_stop = [], 0
    for t in study.trials:
        opt.add_pending(t.params)
        steps, values = zip(*sorted(t.intermediate_values.items()))
        said = [opt.report(t.params, s, v) for s, v in zip(steps, values)]
        if t.state == TrialState.COMPLETE:
            past_stop += True in said[:-1]
            opt.tell(t.params, t.value)
            expected.append(("ok", None, t.value))
        else:
            opt.tell(t.params, values[-1], pruned=True)
            expected.append(("pruned", float(t.last_step), values[-1]))
    advised = [t for t in study.trials
               if t.state == TrialState.COMPLETE and "advised" in t.user_attrs]
    assert len(advised) >= 2 and past_stop >= 2
    assert [(o.status, o.step, o.value) for o in opt.history] == expected


def test_a_resumed_run_says_what_its_interrupted_attempt_reported(tmp_path: Any) -> None:
    """A run a resumed journal keeps pending (its process killed mid-training) keeps the
    reports its attempt recorded, and `report` refuses those steps again; a Python loop
    evaluating it again had no way to read which steps they were (the refusal's message
    only). `report_status` gives the last recorded step and the step the rule said stop
    at, as `bayesopt run` reads them; live and resumed alike."""
    from bayesopt import ResumeWarning
    from bayesopt.state import ReportStatus

    journal = tmp_path / "run.jsonl"
    opt = Optimizer({"x": Real(0, 1)}, seed=0, journal=journal)
    for _ in range(4):  # complete curves at every rung, so that a bad run is stopped
        p = opt.ask()
        for step in range(1, 10):
            opt.report(p, step, (p["x"] - 0.3) ** 2 + 1 / step)
        opt.tell(p, (p["x"] - 0.3) ** 2 + 1 / 9)
    p = opt.ask()
    assert opt.report_status(p) == ReportStatus(None, None)
    stops = [opt.report(p, step, 10.0 + 1 / step) for step in range(1, 6)]  # trains on
    first_stop = float(stops.index(True) + 1)
    status = opt.report_status(p)
    assert status == ReportStatus(5.0, first_stop) and first_stop < 5.0
    opt.close()  # the process is killed here: p's run is pending in the journal

    with pytest.warns(ResumeWarning, match="4 evaluations and 1 pending points are kept"):
        resumed = Optimizer.resume(journal, append=True)
    pending = resumed.pending[0]
    assert resumed.report_status(pending) == status
    run, _ = resumed.run_ids(pending)
    assert resumed.report_status(pending, run=run) == status
    with pytest.raises(ValueError, match=r"step=3 must be after the last reported step 5\.0"):
        resumed.report(pending, 3, 10.3)
    resumed.report(pending, 6, 10.2)
    assert resumed.report_status(pending) == ReportStatus(6.0, first_stop)
    resumed.tell(pending, 10.2)
    with pytest.raises(ValueError, match=r"report_status: .* is not pending"):
        resumed.report_status(pending)
    with pytest.raises(TypeError, match=r"run"):
        resumed.report_status(resumed.ask(), run="0")

"""Input constraints across resume and attach: a study records them, and a resumed or
attached optimizer must be given matching ones (issue 16; nothing a user passed is
silently dropped)."""

from __future__ import annotations

import json
import warnings

import pytest

from bayesopt import LinearConstraint, Optimizer, Real, minimize
from bayesopt.cli import read_record
from bayesopt.feasibility import recorded_constraints
from bayesopt.journal import JournalError

UNIT2 = {"x": Real(0, 1), "y": Real(0, 1)}
DIAGONAL = LinearConstraint({"x": 1, "y": 1}, "<=", 1)


def below_the_diagonal(params):
    return params["x"] < params["y"]


def _run(path, feasible, n=7):
    opt = Optimizer(UNIT2, seed=3, n_initial=4, journal=path, feasible=feasible)
    for _ in range(n):
        params = opt.ask()
        opt.tell(params, (params["x"] - 0.3) ** 2 + (params["y"] - 0.4) ** 2)
    return opt


def _resume(path, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ResumeWarning: the run holds evaluations
        return Optimizer.resume(path, **kwargs)


def test_the_journal_header_records_the_input_constraints(tmp_path):
    path = tmp_path / "run.jsonl"
    _run(path, [below_the_diagonal, DIAGONAL], n=1).close()
    header = json.loads(path.read_text().splitlines()[0])
    assert header["config"]["feasible"] == {
        "callables": [f"{__name__}.below_the_diagonal"],
        "linear": [{"coefficients": {"x": 1.0, "y": 1.0}, "sense": "<=", "bound": 1.0}]}


def test_resume_without_the_feasible_callable_raises(tmp_path):
    path = tmp_path / "run.jsonl"
    _run(path, below_the_diagonal).close()
    with pytest.raises(ValueError, match=r"input constraints \(1 callable.*below_the_diagonal"
                                         r".*pass feasible= .*to Optimizer.resume"):
        _resume(path)


def test_resume_with_the_feasible_callable_asks_what_the_original_would(tmp_path):
    path = tmp_path / "run.jsonl"
    opt = _run(path, below_the_diagonal)
    twin = _resume(path, append=False, feasible=below_the_diagonal)
    assert twin.history == opt.history
    asked = twin.ask(3)
    assert asked == opt.ask(3)
    assert all(below_the_diagonal(p) for p in asked)


def test_resume_restores_linear_constraints_from_the_journal(tmp_path):
    path = tmp_path / "run.jsonl"
    opt = _run(path, DIAGONAL)
    twin = _resume(path, append=False)
    assert twin.feasible is not None and twin.feasible.linear == (DIAGONAL,)
    assert twin.ask() == opt.ask()
    assert _resume(path, append=False, feasible=DIAGONAL).ask() == opt.ask()


@pytest.mark.parametrize("given, match", [
    (LinearConstraint({"x": 1, "y": 1}, "<=", 0.9), "differs from the input constraints"),
    ([below_the_diagonal, DIAGONAL], "differs from the input constraints"),
    ([below_the_diagonal, below_the_diagonal], "differs from the input constraints"),
])
def test_resume_with_other_input_constraints_raises(tmp_path, given, match):
    path = tmp_path / "run.jsonl"
    _run(path, [below_the_diagonal], n=1).close()
    with pytest.raises(ValueError, match=match):
        _resume(path, feasible=given)


def test_resume_with_feasible_for_a_run_without_input_constraints_raises(tmp_path):
    path = tmp_path / "run.jsonl"
    _run(path, None, n=1).close()
    with pytest.raises(ValueError, match="has no input constraints; feasible= would change"):
        _resume(path, feasible=below_the_diagonal)


def test_resume_of_a_malformed_record_is_a_journal_error(tmp_path):
    path = tmp_path / "run.jsonl"
    _run(path, DIAGONAL, n=1).close()
    lines = path.read_text().splitlines()
    header = json.loads(lines[0])
    header["config"]["feasible"] = {"callables": [], "linear": [{"sense": "<="}]}
    path.write_text("\n".join([json.dumps(header), *lines[1:]]) + "\n")
    with pytest.raises(JournalError, match="corrupt.*linear constraint"):
        _resume(path)


def test_a_header_without_the_record_takes_feasible_as_given(tmp_path):
    """Journals written before input constraints were recorded cannot tell: resuming one
    takes feasible= as given (and none without it)."""
    path = tmp_path / "run.jsonl"
    opt = _run(path, below_the_diagonal)
    assert opt.config["feasible"] is not None and _run(tmp_path / "b.jsonl", None, n=0).config[
        "feasible"] is None
    lines = path.read_text().splitlines()
    header = json.loads(lines[0])
    del header["config"]["feasible"]
    old = tmp_path / "old.jsonl"  # the same run as an older version wrote it (not opt's file)
    old.write_text("\n".join([json.dumps(header), *lines[1:]]) + "\n")
    assert _resume(old, append=False, feasible=below_the_diagonal).ask() == opt.ask()
    assert _resume(old, append=False).feasible is None


def test_minimize_resuming_a_journal_needs_its_feasible_callable(tmp_path):
    path = tmp_path / "run.jsonl"

    def objective(params):
        return (params["x"] - 0.3) ** 2 + params["y"]

    kwargs = {"seed": 0, "n_initial": 4, "progress": False, "journal": path}
    minimize(objective, UNIT2, n_calls=6, feasible=below_the_diagonal, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match="pass feasible= with the same constraints"):
            minimize(objective, UNIT2, n_calls=9, **kwargs)
        result = minimize(objective, UNIT2, n_calls=9, feasible=below_the_diagonal, **kwargs)
    assert len(result.history) == 9
    assert all(below_the_diagonal(o.params) for o in result.history)


def test_a_reader_replays_a_run_with_a_callable_but_cannot_ask(tmp_path):
    path = tmp_path / "run.jsonl"
    opt = _run(path, [below_the_diagonal, DIAGONAL])
    record = read_record(path)  # `bayesopt show`: the callable stood in for
    assert list(record.history) == opt.history
    assert record.config["feasible"] == opt.config["feasible"]
    stand_ins = recorded_constraints(record.config["feasible"])
    reader = _resume(path, append=False, feasible=stand_ins)
    with pytest.raises(ValueError, match="callable '.*below_the_diagonal' was not given"):
        reader.ask()


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'study.db'}"


def test_attaching_to_a_study_checks_its_input_constraints(sqlite_url):
    first = Optimizer(UNIT2, seed=0, storage=sqlite_url, study="s",
                      feasible=[below_the_diagonal, DIAGONAL])
    first.tell(first.ask(), 1.0)
    with pytest.raises(ValueError, match="has input constraints.*when attaching"):
        Optimizer(UNIT2, seed=1, storage=sqlite_url, study="s")
    with pytest.raises(ValueError, match="differs from the input constraints"):
        Optimizer(UNIT2, seed=1, storage=sqlite_url, study="s", feasible=below_the_diagonal)
    second = Optimizer(UNIT2, seed=1, storage=sqlite_url, study="s",
                       feasible=[below_the_diagonal, DIAGONAL])
    assert len(second.history) == 1 and below_the_diagonal(second.ask())
    for opt in (first, second):
        opt.close()


def test_attaching_without_the_linear_constraints_of_a_study_says_what_to_pass(sqlite_url):
    """The error names the study's linear constraint and blames no callable it does not have."""
    Optimizer(UNIT2, seed=0, storage=sqlite_url, study="s", feasible=DIAGONAL).close()
    with pytest.raises(ValueError, match="has input constraints") as error:
        Optimizer(UNIT2, seed=1, storage=sqlite_url, study="s")
    assert "callable" not in str(error.value) and "feasible=" in str(error.value)


def test_attaching_with_input_constraints_to_a_study_without_raises(sqlite_url):
    Optimizer(UNIT2, seed=0, storage=sqlite_url, study="s").close()
    with pytest.raises(ValueError, match="has no input constraints"):
        Optimizer(UNIT2, seed=1, storage=sqlite_url, study="s", feasible=DIAGONAL)


# ------------------------------------------------------- outcome constraints on resume
def _constrained(params):
    return params["x"], [params["y"] - 0.5]


def _two_constraints(params):
    calls.append(params)
    return params["x"], [params["y"] - 0.5, params["x"] - 0.5]


def _counted(params):
    calls.append(params)
    return _constrained(params)


calls: list[dict] = []


@pytest.mark.parametrize(("recorded", "given"), [(1, 2), (None, 1), (1, None)])
def test_minimize_resuming_with_another_n_constraints_raises_before_evaluating(
        tmp_path, recorded, given):
    """The number of outcome constraints is fixed by the journal: another one would fail at
    the first tell, after an evaluation, leaving its point pending in the journal."""
    path = tmp_path / "run.jsonl"
    first = _constrained if recorded else (lambda p: p["x"])
    minimize(first, UNIT2, n_calls=4, seed=0, progress=False, journal=path,
             n_constraints=recorded)
    size = path.stat().st_size
    calls.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ResumeWarning: the run holds evaluations
        with pytest.raises(ValueError, match=rf"n_constraints={given}, but journal .* was "
                                             rf"recorded with n_constraints={recorded}"):
            minimize(_two_constraints, UNIT2, n_calls=8, seed=0, progress=False,
                     journal=path, n_constraints=given)
    assert calls == [] and path.stat().st_size == size


def test_minimize_resuming_with_the_same_n_constraints_runs_on(tmp_path):
    path = tmp_path / "run.jsonl"
    minimize(_constrained, UNIT2, n_calls=4, seed=0, progress=False, journal=path,
             n_constraints=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = minimize(_constrained, UNIT2, n_calls=6, seed=0, progress=False,
                          journal=path, n_constraints=1)
    assert len(result) == 6 and all(o.constraints is not None for o in result.history)


def test_minimize_resuming_a_run_without_constraints_rejects_returned_constraints_clearly(
        tmp_path):
    """Resuming a journal recorded without outcome constraints, without n_constraints=, with
    an objective that returns (value, constraints): the first such return raises a ValueError
    naming the journal, its successes and n_constraints, before its tell is recorded; the
    point stays pending, so a corrected resume evaluates it and asks what one run would."""
    path, straight = tmp_path / "run.jsonl", tmp_path / "straight.jsonl"
    plain = lambda p: p["x"]
    minimize(plain, UNIT2, n_calls=4, seed=0, progress=False, journal=path)
    calls.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ResumeWarning: the run holds evaluations
        with pytest.raises(ValueError, match=rf"1 constraint value\(s\) told to journal "
                                             rf"'{path}', which holds 4 successful .* "
                                             r"\(n_constraints=None\).* new journal or study "
                                             r"with n_constraints=1"):
            minimize(_counted, UNIT2, n_calls=8, seed=0, progress=False, journal=path)
        assert len(calls) == 1
        resumed = _resume(path)
        assert len(resumed.history) == 4 and resumed.pending == calls
        resumed.close()
        result = minimize(plain, UNIT2, n_calls=8, seed=0, progress=False, journal=path)
    reference = minimize(plain, UNIT2, n_calls=8, seed=0, progress=False, journal=straight)
    assert [(o.params, o.value) for o in result.history] == [
        (o.params, o.value) for o in reference.history]  # cost: the measured seconds

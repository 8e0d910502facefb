"""`bayesopt run`'s run identity placeholders, {bayesopt.run} and {bayesopt.continues}:
real subprocesses of a tiny training script that logs the arguments it was given."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from bayesopt.command import CommandError, CommandTemplate
from bayesopt.space import Fidelity, Real, Space
from test_cli import bayesopt

TRAIN = textwrap.dedent('''
    import json, sys
    args = dict(a.split("=", 1) for a in sys.argv[1:])
    with open("calls.log", "a") as log:
        log.write(json.dumps(args) + "\\n")
    x, epochs = float(args["--x"]), int(args["--epochs"])
    print(f"objective: {(x - 0.3) ** 2 + 1.0 / epochs}")
''')
FIDELITY_SPACE = {"x": {"type": "real", "low": 0.0, "high": 1.0},
                  "epochs": {"type": "fidelity", "low": 1, "high": 9, "eta": 3}}
KERAS_LIKE = ["--", sys.executable, "train.py", "--x={x}", "--epochs={epochs}",
              "--resume-from={bayesopt.continues}", "--save={bayesopt.run}"]


def _directory(path: Path, space: dict) -> Path:
    path.mkdir(exist_ok=True)
    (path / "train.py").write_text(TRAIN)
    (path / "space.json").write_text(json.dumps(space))
    return path


def _run(directory: Path, n_calls: int, *extra: str) -> list[dict[str, str]]:
    done = bayesopt("run", "--space", "space.json", "--n-calls", str(n_calls), "--seed", "1",
                    "--no-progress", "--journal", "tune.jsonl", *extra, *KERAS_LIKE,
                    cwd=directory)
    space = json.loads((directory / "space.json").read_text())
    warned = "{bayesopt.continues} names the run a Hyperband promotion continues, and the space "
    assert (warned in done.stderr) == all(d["type"] != "fidelity" for d in space.values())
    log = directory / "calls.log"
    return [json.loads(line) for line in log.read_text().splitlines()]


def test_a_promotion_continues_the_run_that_saved_its_configuration(tmp_path: Path) -> None:
    calls = _run(_directory(tmp_path, FIDELITY_SPACE), 14)
    assert [c["--save"] for c in calls] == [str(i) for i in range(14)]  # one run at a time
    promotions = [c for c in calls if "--resume-from" in c]
    assert promotions, "Hyperband promoted no run in 14 (raise n_calls)"
    for call in calls:
        if "--resume-from" not in call:  # a new configuration: the argument is left out
            assert call["--epochs"] == "1" or not any(
                c["--x"] == call["--x"] and int(c["--save"]) < int(call["--save"])
                for c in calls)
            continue
        source = calls[int(call["--resume-from"])]  # the run that saved that checkpoint
        assert source["--save"] == call["--resume-from"]
        assert source["--x"] == call["--x"]
        assert int(source["--epochs"]) < int(call["--epochs"])
        assert int(source["--save"]) < int(call["--save"])


def test_the_ids_are_the_same_after_a_resume(tmp_path: Path) -> None:
    whole = _run(_directory(tmp_path / "whole", FIDELITY_SPACE), 14)
    split = _directory(tmp_path / "split", FIDELITY_SPACE)
    _run(split, 7)
    resumed = _run(split, 14)
    assert resumed == whole


def test_without_a_fidelity_runs_are_numbered_and_continue_none(tmp_path: Path) -> None:
    space = {"x": {"type": "real", "low": 0.0, "high": 1.0},
             "epochs": {"type": "integer", "low": 1, "high": 3}}
    calls = _run(_directory(tmp_path, space), 4)
    assert [c["--save"] for c in calls] == ["0", "1", "2", "3"]
    assert not any("--resume-from" in c for c in calls)


def test_parallel_workers_give_each_run_its_own_id(tmp_path: Path) -> None:
    calls = _run(_directory(tmp_path, FIDELITY_SPACE), 8, "--workers", "2")
    assert sorted(int(c["--save"]) for c in calls) == list(range(8))
    by_id = {c["--save"]: c for c in calls}
    for call in calls:
        if "--resume-from" in call:
            assert by_id[call["--resume-from"]]["--x"] == call["--x"]


SPACE = Space({"x": Real(0.0, 1.0), "epochs": Fidelity(1, 9)})


@pytest.mark.parametrize(("argv", "message"), [
    (["python", "t.py", "--resume-from", "{bayesopt.continues}"],
     "'--resume-from' would be left dangling.*'--resume-from=\\{bayesopt.continues\\}'"),
    (["python", "t.py", "--ckpt={bayesopt.continues}-{x}"],
     "names \\{bayesopt.continues\\} \\(only a Hyperband promotion continues a run\\) and 'x'"),
    (["python", "t.py", "--save={bayesopt.rnu}"],
     "unknown placeholder.*\\{bayesopt.rnu\\}: did you mean \\{bayesopt.run\\}"),
    (["python", "t.py", "--save={bayesopt.run:q}"], "cannot format bayesopt.run=0"),
])
def test_bad_uses_of_the_identity_placeholders_are_refused(argv: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        CommandTemplate.parse(argv, SPACE)


@pytest.mark.parametrize("name", ["bayesopt.run", "bayesopt.continues", "bayesopt.other"])
def test_a_dimension_named_like_a_reserved_placeholder_is_refused(name: str) -> None:
    with pytest.raises(CommandError, match=f"dimension '{name}': names beginning 'bayesopt.' "
                                           "are reserved"):
        CommandTemplate.parse(["python", "t.py", "{x}"],
                              Space({"x": Real(0.0, 1.0), name: Real(0.0, 1.0)}))


def test_the_command_line_refuses_a_reserved_dimension_name(tmp_path: Path) -> None:
    space = {"x": {"type": "real", "low": 0.0, "high": 1.0},
             "bayesopt.run": {"type": "integer", "low": 1, "high": 3}}
    done = bayesopt("run", "--space", "space.json", "--no-progress", *KERAS_LIKE[:4],
                    cwd=_directory(tmp_path, space), check=False)
    assert done.returncode == 2, done.stderr
    assert "dimension 'bayesopt.run': names beginning 'bayesopt.' are reserved" in done.stderr
    assert not (tmp_path / "calls.log").exists()


def test_render_without_an_id_is_refused() -> None:
    template = CommandTemplate.parse(["python", "t.py", "--save={bayesopt.run}"], SPACE)
    assert template.render({"x": 0.5, "epochs": 1}, 4) == ["python", "t.py", "--save=4"]
    with pytest.raises(CommandError, match="has no id"):
        template.render({"x": 0.5, "epochs": 1})


REPORTING = textwrap.dedent('''
    import json, sys, time
    args = dict(a.split("=", 1) for a in sys.argv[1:])
    run, lines = int(args["--run"]), json.load(open("lines.json"))
    for epoch in (1, 2, 3):
        line = lines[min(run, len(lines) - 1)].format(epoch=epoch, value=1.0 + run)
        print(line, flush=True)
        if run > 0:  # a run the rule stops is killed here, before it writes the marker
            time.sleep(3)
            open(f"late-{run}-{epoch}", "w").close()
    print(f"objective: {1.0 + run}")
''')


def _reporting(directory: Path, n_calls: int, lines: list[str],
               *extra: str) -> list[dict]:
    """Run REPORTING: run k prints lines[k] (the last for later runs) at each epoch,
    with the value 1 + k; the history of its journal."""
    from bayesopt.cli import read_record

    directory.mkdir(exist_ok=True)
    (directory / "train.py").write_text(REPORTING)
    (directory / "lines.json").write_text(json.dumps(lines))
    (directory / "space.json").write_text(json.dumps({"x": {"type": "real", "low": 0.0,
                                                            "high": 1.0}}))
    bayesopt("run", "--space", "space.json", "--n-calls", str(n_calls), "--seed", "0",
             "--no-progress", "--journal", "tune.jsonl", *extra, "--", sys.executable,
             "train.py", "--x={x}", "--run={bayesopt.run}", cwd=directory)
    return [{"status": o.status, "value": o.value, "step": o.step, "error": o.error}
            for o in read_record(directory / "tune.jsonl").history]


def test_a_run_the_rule_stops_is_killed_and_recorded_pruned(tmp_path: Path) -> None:
    # run 0 sets the bar at step 1 (value 1.0); runs 1 and 2 report worse values there,
    # which successive halving (min_resource 1, eta 3) stops at once
    history = _reporting(tmp_path, 3, ["report: {epoch} {value}",
                                       "\x1b[32mREPORT :  {epoch}   {value}\x1b[0m"])
    assert [o["status"] for o in history] == ["ok", "pruned", "pruned"]
    assert [o["value"] for o in history] == [1.0, 2.0, 3.0]
    assert [o["step"] for o in history] == [None, 1.0, 1.0]
    assert not list(tmp_path.glob("late-*")), "a stopped command ran on"


@pytest.mark.parametrize(("line", "reason"), [
    ("report: {epoch}", "report line 'report: 1' is not 'report: <step> <value>'"),
    ("report: epoch {epoch} {value}", "is not 'report: <step> <value>' (two numbers:"),
    ("report: 1 0.1", ("report line 'report: 1 0.1': report: step=1.0 must be after the "
                       "last reported step 1.0")),
    ("report: {epoch} nan", ("report line 'report: 1 nan': report: value=nan at step=1.0 is "
                             "not finite")),
])
def test_an_invalid_report_line_fails_the_run_naming_the_line(tmp_path: Path, line: str,
                                                             reason: str) -> None:
    history = _reporting(tmp_path, 2, ["report: {epoch} 0.5", line],
                         "--max-consecutive-failures", "0")
    assert history[0]["status"] == "ok"
    assert history[1]["status"] == "failed"
    assert reason in history[1]["error"], history[1]["error"]
    assert not list(tmp_path.glob("late-1-2")), "a command with a bad report line ran on"


RESTARTED = textwrap.dedent('''
    import sys
    for epoch in (1, 2, 3):  # from the start, as a command without a checkpoint of its own
        print(f"report: {epoch} {1.0 / epoch}", flush=True)
    print("objective: 0.25")
''')


def test_a_resumed_run_that_starts_over_reports_only_the_steps_after_its_recorded_ones(
        tmp_path: Path) -> None:
    """A run whose process was killed after it reported steps 1 and 2 stays pending in the
    journal with those reports; resumed, its command starts over and prints steps 1, 2
    and 3. Steps 1 and 2 are the interrupted attempt's, already recorded: only step 3 is
    reported. (It failed before: "report line 'report: 1 1.0': report: step=1.0 must be
    after the last reported step 2.0 of this point", every such run of a kill -9.)"""
    from bayesopt import Optimizer
    from bayesopt.cli import read_record

    (tmp_path / "train.py").write_text(RESTARTED)
    (tmp_path / "space.json").write_text(json.dumps({"x": {"type": "real", "low": 0.0,
                                                           "high": 1.0}}))
    opt = Optimizer(Space.from_dict({"x": {"type": "real", "low": 0.0, "high": 1.0}}),
                    seed=0, journal=tmp_path / "tune.jsonl")
    params = opt.ask()
    assert opt.report(params, [1, 2], [1.0, 0.5]) is False
    opt.close()  # the process is gone: the point stays pending with its two reports
    bayesopt("run", "--space", "space.json", "--n-calls", "1", "--no-progress", "--journal",
             "tune.jsonl", "--", sys.executable, "train.py", "--x={x}", cwd=tmp_path)
    [told] = read_record(tmp_path / "tune.jsonl").history
    assert (told.status, told.value, told.error, told.params) == ("ok", 0.25, None, params)
    events = [json.loads(line) for line in (tmp_path / "tune.jsonl").read_text().splitlines()]
    reported = [(step, value) for e in events if e.get("event") == "report"
                for step, value in zip(e["steps"], e["values"])]
    assert reported == [(1.0, 1.0), (2.0, 0.5), (3.0, 1.0 / 3)]


def test_a_resumed_run_the_rule_had_stopped_is_stopped_again_at_that_step(
        tmp_path: Path) -> None:
    """The killed attempt's report at step 1 was told to stop (worse than the rung's other
    run), and the process died before the tell: resumed, the command is stopped at its line
    of step 1 and the run recorded "pruned" there with that line's value (not trained on to
    step 2 and told that step's value)."""
    from bayesopt import Optimizer
    from bayesopt.cli import read_record

    (tmp_path / "train.py").write_text(RESTARTED)
    (tmp_path / "space.json").write_text(json.dumps({"x": {"type": "real", "low": 0.0,
                                                           "high": 1.0}}))
    opt = Optimizer(Space.from_dict({"x": {"type": "real", "low": 0.0, "high": 1.0}}),
                    seed=0, journal=tmp_path / "tune.jsonl")
    first, second = opt.ask(2)
    opt.report(first, 1, 0.1)
    opt.tell(first, 0.1)
    assert opt.report(second, 1, 2.0) is True
    opt.close()  # killed before the tell: `second` stays pending, stopped at step 1
    bayesopt("run", "--space", "space.json", "--n-calls", "2", "--no-progress", "--journal",
             "tune.jsonl", "--", sys.executable, "train.py", "--x={x}", cwd=tmp_path)
    told = read_record(tmp_path / "tune.jsonl").history[1]
    assert (told.status, told.step, told.value, told.params) == ("pruned", 1.0, 1.0, second)


def test_run_help_shows_the_identity_placeholders_and_report_lines(tmp_path: Path) -> None:
    text = " ".join(bayesopt("run", "--help", cwd=tmp_path).stdout.split())
    assert "--resume-from=ckpt/{bayesopt.continues} --save=ckpt/{bayesopt.run}" in text
    assert "Early stopping: a line 'report: <step> <value>' on standard output" in text


def testrun_ids_follow_the_asks_and_survive_a_cancel_and_a_resume(tmp_path: Path) -> None:
    """The ids `bayesopt run` fills in, from the optimizer: a run's is its place among the
    points asked; a promotion's source is the run whose params and smaller budget it
    continues; a cancelled promotion asked again is a new run continuing the same one;
    a journal resumed gives its pending point the same ids."""
    from bayesopt import Optimizer

    journal = tmp_path / "run.jsonl"
    opt = Optimizer(SPACE, seed=0, journal=journal)
    asked: list[dict] = []
    while True:
        params = opt.ask()
        run, continues = opt.run_ids(params)
        assert run == len(asked)
        asked.append(params)
        if continues is not None:
            break
        opt.tell(params, (params["x"] - 0.3) ** 2 + 1.0 / params["epochs"])
    source = asked[continues]
    assert source["x"] == params["x"] and source["epochs"] < params["epochs"]
    assert opt.history[opt.continues(params)].params == source
    opt.cancel(params)
    again = opt.ask()
    assert again == params and opt.run_ids(again) == (run + 1, continues)
    opt.close()
    resumed = Optimizer.resume(journal, append=False)
    assert resumed.run_ids(again) == (run + 1, continues)
    assert resumed.run_ids({"x": 0.123, "epochs": 1}) == (None, None)  # not pending


# ----------------------------------------------------- a shared study, a killed run
BLOCKING = textwrap.dedent('''
    import json, os, sys, time
    args = dict(a.split("=", 1) for a in sys.argv[1:])
    with open("calls.log", "a") as log:  # one short line per call, appended (O_APPEND)
        log.write(json.dumps({**args, "pid": os.getpid()}) + "\\n")
    if os.path.exists("block") and args["--save"] == "2":
        with open("blocked.pid", "w") as pid:
            pid.write(str(os.getpid()))
        time.sleep(600)  # killed with the run
    x, epochs = float(args["--x"]), int(args["--epochs"])
    print(f"objective: {(x - 0.3) ** 2 + 1.0 / epochs}")
''')


def _shown_rows(stdout: str) -> list[dict[str, str]]:
    """`bayesopt show`'s table as dicts by column name."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split()[:2] == ["rank", "value"])
    header = lines[start].split()
    rows = []
    for line in lines[start + 1:]:
        if not line.strip() or not line.split()[0].isdigit():
            break
        rows.append(dict(zip(header, line.split())))
    return rows


def test_two_runs_on_one_sqlite_study_give_every_run_its_own_id(tmp_path: Path) -> None:
    """Two `bayesopt run --storage sqlite:/// --study s` processes at once: {bayesopt.run}
    numbers every point the study asked, both workers' together (no id twice, none
    skipped); a promotion's {bayesopt.continues} names a run of either worker that saved
    the same configuration at a smaller budget; `bayesopt show` gives each row the id
    its command was given."""
    directory = _directory(tmp_path, FIDELITY_SPACE)
    (directory / "train.py").write_text(BLOCKING)  # "block" absent: never blocks
    url = f"sqlite:///{directory / 'tune.db'}"
    args = [sys.executable, "-m", "bayesopt", "run", "--space", "space.json", "--n-calls", "12",
            "--storage", url, "--study", "s", "--no-progress"]
    runs = [subprocess.Popen([*args, "--seed", str(seed), *KERAS_LIKE], cwd=directory,
                             text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for seed in (0, 1)]
    outputs = [run.communicate(timeout=600) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    calls = [json.loads(line) for line in (directory / "calls.log").read_text().splitlines()]
    assert sorted(int(c["--save"]) for c in calls) == list(range(12))
    by_id = {c["--save"]: c for c in calls}
    promotions = [c for c in calls if "--resume-from" in c]
    assert promotions, "Hyperband promoted no run in 12 (raise --n-calls)"
    for call in promotions:
        source = by_id[call["--resume-from"]]
        assert source["--x"] == call["--x"] and int(source["--epochs"]) < int(call["--epochs"])
    shown = bayesopt("show", "--storage", url, "--study", "s", "--top", "12", cwd=directory)
    rows = _shown_rows(shown.stdout)
    assert len(rows) == 12
    for row in rows:
        call = by_id[row["run"]]
        assert float(row["x"]) == pytest.approx(float(call["--x"]), rel=1e-5)
        assert row["epochs"] == call["--epochs"]


@pytest.mark.skipif(not sys.platform.startswith("linux"),
                    reason="the command dies with a killed run by prctl(PR_SET_PDEATHSIG)")
def test_a_killed_runs_interrupted_point_keeps_its_run_id_on_resume(tmp_path: Path) -> None:
    """`kill -9` of `bayesopt run --journal` while run 2 is evaluated: the same command
    line evaluates that point first, under the id its checkpoints were named by, and
    numbers the later runs on from there."""
    directory = _directory(tmp_path, FIDELITY_SPACE)
    (directory / "train.py").write_text(BLOCKING)
    (directory / "block").touch()
    args = [sys.executable, "-m", "bayesopt", "run", "--space", "space.json", "--n-calls", "6",
            "--seed", "1", "--no-progress", "--journal", "tune.jsonl", *KERAS_LIKE]
    process = subprocess.Popen(args, cwd=directory, text=True, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    blocked = directory / "blocked.pid"
    try:
        deadline = time.monotonic() + 120
        while not blocked.exists() or not blocked.read_text():
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "run 2 never started"
            time.sleep(0.05)
        process.kill()  # SIGKILL: no handler runs, nothing is cancelled
        process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    pid = int(blocked.read_text())
    deadline = time.monotonic() + 30
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not Path(f"/proc/{pid}").exists(), "the killed run's command lived on"
    (directory / "block").unlink()
    before = [json.loads(line) for line in (directory / "calls.log").read_text().splitlines()]
    assert [c["--save"] for c in before] == ["0", "1", "2"]
    bayesopt(*args[3:], cwd=directory)
    calls = [json.loads(line) for line in (directory / "calls.log").read_text().splitlines()]
    interrupted, resumed = before[2], calls[3]
    assert {k: v for k, v in resumed.items() if k != "pid"} == {
        k: v for k, v in interrupted.items() if k != "pid"}  # same point, same ids
    assert [c["--save"] for c in calls[3:]] == ["2", "3", "4", "5"]
    rows = _shown_rows(bayesopt("show", "tune.jsonl", "--top", "6", cwd=directory).stdout)
    assert sorted(row["run"] for row in rows) == ["0", "1", "2", "3", "4", "5"]


def test_show_says_which_run_a_promotion_continues(tmp_path: Path) -> None:
    """With a Fidelity, `bayesopt show` has a "continues" column: the run id each promotion
    was given as {bayesopt.continues}, i.e. the checkpoint it started from ("-": none)."""
    directory = _directory(tmp_path, FIDELITY_SPACE)
    calls = {c["--save"]: c for c in _run(directory, 14)}
    shown = bayesopt("show", "tune.jsonl", "--top", "14", cwd=directory).stdout
    rows = _shown_rows(shown)
    assert len(rows) == 14
    assert any(row["continues"] != "-" for row in rows)
    for row in rows:
        assert row["continues"] == calls[row["run"]].get("--resume-from", "-")
    plain = _directory(tmp_path / "plain", {"x": {"type": "real", "low": 0.0, "high": 1.0},
                                            "epochs": {"type": "integer", "low": 1, "high": 3}})
    _run(plain, 2)
    assert "continues" not in _shown_rows(bayesopt("show", "tune.jsonl", cwd=plain).stdout)[0]

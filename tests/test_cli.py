"""The `bayesopt` command line, driven as a user drives it: the installed console
script (and `python -m bayesopt`) tuning a small Python script written to tmp_path.

The objective script logs every invocation (pid, mode, arguments) to calls.log
beside it, so the tests can count what ran; the journal is read back with
`bayesopt.journal.read_journal`, independently of the command line's reader.
"""

from __future__ import annotations

import json
import math
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import warnings
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from bayesopt import cli
from bayesopt.command import CommandTemplate, parse_objective
from bayesopt.journal import read_journal

POSIX_ONLY = pytest.mark.skipif(sys.platform == "win32",
                                reason="needs POSIX signals and process groups")

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CONSOLE_SCRIPT = shutil.which("bayesopt", path=os.path.dirname(sys.executable))
MODULE = [sys.executable, "-m", "bayesopt"]
DEADLINE = 120.0  # seconds a test waits for something that should happen at once

OBJECTIVE = textwrap.dedent('''
    """Test objective: python objective.py MODE name=value ..."""
    import json, os, subprocess, sys, time
    from pathlib import Path

    here = Path(__file__).parent
    mode, params = sys.argv[1], dict(arg.split("=", 1) for arg in sys.argv[2:])
    with open(here / "calls.log", "a") as log:
        log.write(json.dumps({"pid": os.getpid(), "mode": mode, "params": params}) + "\\n")
    x, n = float(params.get("x", 0.5)), int(params.get("n", 1))
    value = (x - 0.3) ** 2 + 0.1 * n + (0.0 if params.get("act", "relu") == "relu" else 0.5)

    if mode == "objective-line":
        print("epoch 1 loss 3.25")
        print("17")
        print(f"objective: {value!r}")
        print("done")
    elif mode == "last-number":
        print("training")
        print("12.5")
        print(repr(value))
        print("finished")
    elif mode == "behaviours":
        k = int(params["k"])
        if k == 1:
            sys.stderr.write("".join(f"stderr line {i}\\n" for i in range(30)))
            sys.exit(3)
        if k == 2:
            print("the loss went to the moon")
            sys.exit(0)
        if k == 3:
            child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
            (here / "sleepers.txt").write_text(f"{os.getpid()} {child.pid}")
            time.sleep(120)
        print(f"objective: {k}")
    elif mode == "family":  # starts a child of its own, then runs until killed
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
        (here / "family.tmp").write_text(f"{os.getpid()} {child.pid}")
        os.replace(here / "family.tmp", here / "family.txt")
        time.sleep(120)
    elif mode == "sleepy":  # long enough for two runs sharing a study to overlap
        time.sleep(0.5)
        print(f"objective: {value!r}")
    elif mode == "slow":  # longer than the --pending-timeout of the heartbeat test
        time.sleep(2.0)
        print(f"objective: {value!r}")
    elif mode == "block":
        calls = len((here / "calls.log").read_text().splitlines())
        if calls == 3 and (here / "block").exists():
            (here / "blocked.pid").write_text(str(os.getpid()))
            time.sleep(120)
        print(f"objective: {value!r}")
''')

SPACE_TOML = textwrap.dedent("""
    # a real, an integer and a categorical dimension
    [x]
    type = "real"
    low = 0.0
    high = 1.0

    [n]
    type = "integer"
    low = 1
    high = 4

    [act]
    type = "categorical"
    choices = ["relu", "tanh"]
""")
SPACE_JSON = {"x": {"type": "real", "low": 1e-3, "high": 1.0, "log": True},
              "n": {"type": "integer", "low": 1, "high": 4}}
K_SPACE_JSON = {"k": {"type": "integer", "low": 0, "high": 3}}


# --------------------------------------------------------------------- helpers
def bayesopt(*args: str, via: str = "script", cwd: Path, check: bool = True,
             timeout: float = DEADLINE) -> subprocess.CompletedProcess[str]:
    """Run the real command line and return its completed process."""
    prefix = [CONSOLE_SCRIPT] if via == "script" else MODULE
    done = subprocess.run([*prefix, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, check=False)
    if check:
        assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


def setup_dir(tmp_path: Path, space: str | dict, name: str = "space.toml") -> Path:
    (tmp_path / "objective.py").write_text(OBJECTIVE)
    text = json.dumps(space) if isinstance(space, dict) else space
    (tmp_path / name).write_text(text)
    return tmp_path


def command(mode: str, *names: str) -> list[str]:
    return ["--", sys.executable, "objective.py", mode, *(f"{n}={{{n}}}" for n in names)]


def calls(directory: Path) -> list[dict]:
    path = directory / "calls.log"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def journal_events(path: Path) -> list[dict]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a torn line would warn: the journal must be clean
        _, events = read_journal(path)
    return events


def told(path: Path) -> list[tuple[str, list, object]]:
    """(kind, point row, value or error) for every tell and failure, in order."""
    out = []
    for event in journal_events(path):
        if event["event"] == "tell":
            out += [("ok", row, v) for row, v in zip(event["points"], event["values"])]
        elif event["event"] == "failure":
            out += [("failed", row, e) for row, e in zip(event["points"], event["errors"])]
    return out


def formula(x: float, n: int, act: str = "relu") -> float:
    return (x - 0.3) ** 2 + 0.1 * n + (0.0 if act == "relu" else 0.5)


def is_running(pid: int) -> bool:
    """True for a live process; a zombie (killed, not yet reaped) counts as gone."""
    stat = Path(f"/proc/{pid}/stat")
    if stat.parent.parent.exists():
        try:
            return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except (FileNotFoundError, ProcessLookupError):
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_for(condition, what: str, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if process is not None and process.poll() is not None:
            _, err = process.communicate()
            pytest.fail(f"the command line exited ({process.returncode}) before {what}:\n{err}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def with_default_signals(argv: list[str]) -> list[str]:
    """argv exec'ed with SIGINT and SIGHUP at their defaults: a shell without job control
    ignores SIGINT, and a runner started under nohup (as a CI job may be) ignores SIGHUP,
    which `bayesopt run` then keeps ignoring (test_under_nohup_sighup_is_still_ignored)."""
    restore = ("import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
               "signal.signal(signal.SIGHUP, signal.SIG_DFL); "
               "os.execv(sys.argv[1], sys.argv[1:])")
    return [sys.executable, "-c", restore, *argv]


def table_rows(stdout: str) -> list[list[str]]:
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split()[:2] == ["rank", "value"])
    rows = []
    for line in lines[start + 1:]:
        if not line.strip() or not line.split()[0].isdigit():
            break
        rows.append(line.split())
    return [lines[start].split(), *rows]


# ------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """A finished 8-evaluation run of the console script with a TOML space."""
    directory = setup_dir(tmp_path_factory.mktemp("run"), SPACE_TOML)
    done = bayesopt("run", "--space", "space.toml", "--n-calls", "8", "--journal", "tune.jsonl",
                    "--seed", "0", *command("objective-line", "x", "n", "act"), cwd=directory)
    return directory, done


# ------------------------------------------------------------------ normal runs
def test_console_script_is_installed() -> None:
    assert CONSOLE_SCRIPT is not None, "the bayesopt console script is not installed"


def test_run_toml_objective_line(finished_run) -> None:
    directory, done = finished_run
    history = told(directory / "tune.jsonl")
    log = calls(directory)
    assert len(history) == 8 and len(log) == 8
    assert all(kind == "ok" for kind, _, _ in history)
    for (_, row, value), call in zip(history, log):
        x, n, act_index = row
        act = ["relu", "tanh"][act_index]
        # placeholders carry repr-exact floats, so the script computed on the very same x
        assert call["params"] == {"x": repr(x), "n": str(n), "act": act}
        assert value == formula(x, n, act)  # the 'objective:' line, not the decoy '17'
    best = min(value for _, _, value in history)
    assert "8 evaluations (8 ok, 0 failed)" in done.stdout
    assert table_rows(done.stdout)[1][1] == f"{best:.6g}"
    assert "epoch 1 loss" not in done.stdout + done.stderr  # the command's output: captured


def test_run_json_last_number_via_python_m(tmp_path: Path) -> None:
    directory = setup_dir(tmp_path, SPACE_JSON, "space.json")
    bayesopt("run", "--space", "space.json", "--n-calls", "6", "--journal", "tune.jsonl",
             "--no-progress", *command("last-number", "x", "n"), via="module", cwd=directory)
    history = told(directory / "tune.jsonl")
    assert len(history) == 6
    for kind, (x, n), value in history:
        assert kind == "ok" and 1e-3 <= x <= 1.0
        assert value == formula(x, n)  # the last numeric line, not '12.5' nor 'finished'


@POSIX_ONLY  # the timed-out command's process group is killed (os.killpg)
def test_failed_unparsable_and_timed_out_evaluations(tmp_path: Path) -> None:
    """k = 0 ok; 1 exits 3 with 30 stderr lines; 2 prints no number; 3 sleeps past --timeout."""
    directory = setup_dir(tmp_path, K_SPACE_JSON, "k.json")
    done = bayesopt("run", "--space", "k.json", "--n-calls", "4", "--journal", "tune.jsonl",
                    "--timeout", "1", "--seed", "1", *command("behaviours", "k"), cwd=directory)
    by_k = {row[0]: (kind, payload) for kind, row, payload in told(directory / "tune.jsonl")}
    assert sorted(by_k) == [0, 1, 2, 3]  # a finite space of 4 points: each evaluated once
    assert by_k[0] == ("ok", 0.0)
    kind, error = by_k[1]
    assert kind == "failed" and "exited with status 3" in error
    assert "stderr line 29" in error and "stderr line 10" in error  # the last 20 lines
    assert "stderr line 9\n" not in error
    kind, error = by_k[2]
    assert kind == "failed" and "no objective in the output" in error
    assert "the loss went to the moon" in error  # the end of stdout, to see what was printed
    kind, error = by_k[3]
    assert kind == "failed" and "timed out after 1 s" in error
    leader, grandchild = map(int, (directory / "sleepers.txt").read_text().split())
    wait_for(lambda: not is_running(leader) and not is_running(grandchild),
             "the timed-out process group to die")
    assert "4 evaluations (1 ok, 3 failed)" in done.stdout

    shown = bayesopt("show", "tune.jsonl", "--failed", cwd=directory).stdout
    assert "the command exited with status 3" in shown
    assert "no objective in the output" in shown and "timed out after 1 s" in shown


def test_every_evaluation_failing_exits_1(tmp_path: Path) -> None:
    directory = setup_dir(tmp_path, {"k": {"type": "integer", "low": 1, "high": 2}}, "k.json")
    done = bayesopt("run", "--space", "k.json", "--n-calls", "2", "--no-progress",
                    *command("behaviours", "k"), cwd=directory, check=False)
    assert done.returncode == 1, done.stderr
    assert "0 ok, 2 failed" in done.stdout and "every evaluation failed" in done.stdout


def test_two_workers(tmp_path: Path) -> None:
    directory = setup_dir(tmp_path, SPACE_TOML)
    bayesopt("run", "--space", "space.toml", "--n-calls", "6", "--journal", "tune.jsonl",
             "--workers", "2", "--no-progress", *command("objective-line", "x", "n", "act"),
             cwd=directory)
    events = journal_events(directory / "tune.jsonl")
    assert [e["event"] for e in events[:2]] == ["ask", "ask"]  # two in flight before any tell
    history = told(directory / "tune.jsonl")
    assert len(history) == 6 and len(calls(directory)) == 6
    rows = [tuple(row) for _, row, _ in history]
    assert len(set(rows)) == 6


def test_resume_runs_only_the_remaining_evaluations(tmp_path: Path) -> None:
    directory = setup_dir(tmp_path, SPACE_TOML)
    args = ["run", "--space", "space.toml", "--journal", "tune.jsonl", "--no-progress"]
    bayesopt(*args, "--n-calls", "6", *command("objective-line", "x", "n", "act"), cwd=directory)
    first = calls(directory)
    done = bayesopt(*args, "--n-calls", "10", *command("objective-line", "x", "n", "act"),
                    via="module", cwd=directory)
    assert "resuming tune.jsonl: 6 evaluations" in done.stderr
    log = calls(directory)
    assert len(first) == 6 and len(log) == 10 and log[:6] == first
    later = [call["params"] for call in log[6:]]
    assert not any(params in [call["params"] for call in first] for params in later)
    assert len(told(directory / "tune.jsonl")) == 10


def interrupted_run(tmp_path: Path, signum: int) -> tuple[Path, list[str], int, str]:
    """`bayesopt run` whose third evaluation blocks, sent `signum` while it runs:
    (directory, the run's arguments, exit status, stderr), once that evaluation has died."""
    directory = setup_dir(tmp_path, SPACE_TOML)
    (directory / "block").touch()  # the third evaluation sleeps until it is killed
    args = ["run", "--space", "space.toml", "--n-calls", "5", "--journal", "tune.jsonl",
            "--no-progress", *command("block", "x", "n", "act")]
    process = subprocess.Popen(with_default_signals([CONSOLE_SCRIPT, *args]), cwd=directory,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for((directory / "blocked.pid").exists, "the third evaluation", process)
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=DEADLINE)
    finally:
        if process.poll() is None:
            process.kill()
    blocked = int((directory / "blocked.pid").read_text())
    wait_for(lambda: not is_running(blocked), "the interrupted evaluation to die")
    return directory, args, process.returncode, stderr


@POSIX_ONLY  # SIGINT sent to a process, SIGHUP reset
def test_ctrl_c_kills_the_evaluation_and_the_journal_resumes(tmp_path: Path) -> None:
    directory, args, status, stderr = interrupted_run(tmp_path, signal.SIGINT)
    assert status == 130, stderr
    assert "interrupted" in stderr and "Run the same command again to resume" in stderr
    events = journal_events(directory / "tune.jsonl")  # no torn line
    assert [e["event"] for e in events].count("ask") == 3
    assert len(told(directory / "tune.jsonl")) == 2
    assert "2 ok, 0 failed, 1 pending" in bayesopt("show", "tune.jsonl", cwd=directory).stdout

    (directory / "block").unlink()
    bayesopt(*args, cwd=directory)
    log = calls(directory)
    assert len(log) == 6  # 2 + the interrupted one + 3 more
    assert log[3]["params"] == log[2]["params"]  # the interrupted point is evaluated first
    assert len(told(directory / "tune.jsonl")) == 5


@POSIX_ONLY  # SIGTERM handled, SIGHUP reset
def test_sigterm_stops_like_ctrl_c_and_kills_the_evaluation(tmp_path: Path) -> None:
    """`kill`, `docker stop`, a scheduler's stop: SIGTERM ends `bayesopt run` as Ctrl-C
    does — its command's process group killed (it ran on, orphaned), the journal
    resumable — with status 143 (128 + SIGTERM)."""
    directory, _, status, stderr = interrupted_run(tmp_path, signal.SIGTERM)
    assert status == 143, stderr
    assert "Run the same command again to resume" in stderr
    assert "2 ok, 0 failed, 1 pending" in bayesopt("show", "tune.jsonl", cwd=directory).stdout



@POSIX_ONLY  # SIGHUP
def test_sighup_stops_like_sigterm_and_kills_the_evaluation(tmp_path: Path) -> None:
    """The terminal or ssh session closes: SIGHUP reaches `bayesopt run` but not its command
    (in a session of its own), which used to run on, orphaned, after Python's default
    SIGHUP ended the run. It stops as SIGTERM does, with status 129 (128 + SIGHUP)."""
    directory, args, status, stderr = interrupted_run(tmp_path, signal.SIGHUP)
    assert status == 129, stderr
    assert "Run the same command again to resume" in stderr
    assert "2 ok, 0 failed, 1 pending" in bayesopt("show", "tune.jsonl", cwd=directory).stdout
    (directory / "block").unlink()
    bayesopt(*args, cwd=directory)
    log = calls(directory)
    assert len(log) == 6 and log[3]["params"] == log[2]["params"]  # resumed, running point first
    assert len(told(directory / "tune.jsonl")) == 5


@pytest.mark.skipif(not sys.platform.startswith("linux"),
                    reason="prctl(PR_SET_PDEATHSIG) is Linux's; README: a command outlives "
                           "a killed run elsewhere")
def test_a_command_and_its_children_die_with_a_run_killed_outright(tmp_path: Path) -> None:
    """`kill -9` of `bayesopt run` runs no handler: its command (and the child the command
    started, in its process group) used to run on, orphaned. They die within seconds."""
    directory = setup_dir(tmp_path, SPACE_TOML)
    args = ["run", "--space", "space.toml", "--n-calls", "3", "--no-progress",
            *command("family", "x", "n", "act")]
    process = subprocess.Popen([CONSOLE_SCRIPT, *args], cwd=directory,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    pids: list[int] = []
    try:
        wait_for((directory / "family.txt").exists, "the command to start", process)
        pids = [int(pid) for pid in (directory / "family.txt").read_text().split()]
        assert all(is_running(pid) for pid in pids)
        process.kill()
        process.communicate(timeout=DEADLINE)
        deadline = time.monotonic() + 10.0
        while any(is_running(pid) for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [pid for pid in pids if is_running(pid)] == []
    finally:
        if process.poll() is None:
            process.kill()
        for pid in pids:  # before the fix: the orphans this test started
            if is_running(pid):
                os.kill(pid, signal.SIGKILL)


@POSIX_ONLY  # SIGHUP, SIGKILL
def test_under_nohup_sighup_is_still_ignored(tmp_path: Path) -> None:
    """`nohup bayesopt run ...` (SIGHUP ignored when the run starts): a SIGHUP changes nothing,
    and the run finishes every evaluation (the blocked one killed here, so a failed one)."""
    directory = setup_dir(tmp_path, SPACE_TOML)
    (directory / "block").touch()
    args = ["run", "--space", "space.toml", "--n-calls", "5", "--journal", "tune.jsonl",
            "--no-progress", *command("block", "x", "n", "act")]
    nohup = [sys.executable, "-c", ("import os, signal, sys; signal.signal(signal.SIGHUP, "
                                    "signal.SIG_IGN); os.execv(sys.argv[1], sys.argv[1:])")]
    process = subprocess.Popen([*nohup, CONSOLE_SCRIPT, *args], cwd=directory,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for((directory / "blocked.pid").exists, "the third evaluation", process)
        process.send_signal(signal.SIGHUP)  # a handler would stop the run: status 129
        os.kill(int((directory / "blocked.pid").read_text()), signal.SIGKILL)
        _, stderr = process.communicate(timeout=DEADLINE)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, stderr
    assert [kind for kind, _, _ in told(directory / "tune.jsonl")] == ["ok"] * 2 + ["failed"] + [
        "ok"] * 2

# ------------------------------------------------------------------- show, plot
def test_show_prints_the_best_configurations(finished_run) -> None:
    directory, _ = finished_run
    done = bayesopt("show", "tune.jsonl", "--top", "3", via="module", cwd=directory)
    history = told(directory / "tune.jsonl")
    assert done.stdout.splitlines()[0] == "tune.jsonl: 8 evaluations (8 ok, 0 failed), minimizing"
    header, *rows = table_rows(done.stdout)
    assert header == ["rank", "value", "x", "n", "act", "index", "run"]
    order = sorted(range(len(history)), key=lambda i: history[i][2])[:3]
    assert [row[0] for row in rows] == ["1", "2", "3"]
    assert [int(row[-2]) for row in rows] == order
    assert [row[-1] for row in rows] == [str(i) for i in order]  # one at a time: run = index
    assert [row[1] for row in rows] == [f"{history[i][2]:.6g}" for i in order]
    best_x = history[order[0]][1][0]
    assert f"x={best_x!r}" in done.stdout  # the exact best values, as given to the command
    widths = {len(line) for line in done.stdout.splitlines()[1:5]}
    assert len(widths) == 1 or max(widths) - min(widths) <= 4  # aligned columns


def test_show_gives_each_row_the_run_id_its_checkpoints_were_named_by(tmp_path: Path) -> None:
    """A batch told out of order: history indexes and run ids ({bayesopt.run},
    Optimizer.run_ids) differ, and `show` lists both, so a row's checkpoint is found."""
    from bayesopt import Optimizer, Real

    opt = Optimizer({"x": Real(0, 1)}, seed=0, journal=tmp_path / "b.jsonl")
    first, batch = opt.ask(), opt.ask(3)
    ids = {p["x"]: opt.run_ids(p)[0] for p in [first, *batch]}
    assert sorted(ids.values()) == [0, 1, 2, 3]
    for p in [batch[2], first, batch[0], batch[1]]:  # runs 3, 0, 1, 2
        opt.tell(p, p["x"])
    opt.tell({"x": 0.999}, 0.999)  # never asked
    opt.close()
    done = bayesopt("show", "b.jsonl", cwd=tmp_path)
    header, *rows = table_rows(done.stdout)
    assert header == ["rank", "value", "x", "index", "run"]
    history = Optimizer.resume(tmp_path / "b.jsonl", append=False).history
    expected = {o.index: "-" if o.params["x"] == 0.999 else str(ids[o.params["x"]])
                for o in history}
    assert [o.run for o in history] == [3, 0, 1, 2, None]
    assert {int(row[-2]): row[-1] for row in rows} == expected


def count_parses(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The line numbers of every journal line parsed from now on, in order."""
    from bayesopt.storage.jsonl import JSONLStorage

    parsed: list[int] = []
    parse = JSONLStorage._parse

    def counted(self: JSONLStorage, line: bytes, number: int) -> dict[str, Any]:
        parsed.append(number)
        return parse(self, line, number)

    monkeypatch.setattr(JSONLStorage, "_parse", counted)
    return parsed


def test_show_parses_each_event_of_the_journal_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """`show` checks the journal's header, then replays its events: each line is parsed
    once, and the last one again to find the writer whose checkpoints the replay adopts
    (it read every event to take the header, then again to find the writer and replay)."""
    from bayesopt import Optimizer, Real

    opt = Optimizer({"x": Real(0, 1)}, seed=0, journal=tmp_path / "j.jsonl", n_initial=3)
    for _ in range(4):
        point = opt.ask()
        opt.tell(point, point["x"])
    opt.close()
    parsed = count_parses(monkeypatch)
    assert cli.main(["show", str(tmp_path / "j.jsonl")]) == 0
    assert "4 evaluations" in capsys.readouterr().out
    events = [n for n in parsed if n > 0]  # line 0: a header, parsed by each storage object
    assert sorted(events) == [*range(1, 9), 8]


def test_run_continuing_a_journal_parses_each_event_of_it_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """``bayesopt run --journal`` on a journal holding a run reads it once: the replay that
    checks it and says what it resumes is the one the run continues (it was read for the
    announcement, then again by the run). Each event line is parsed once, and the last
    one again to find its writer, as by `show`; the run then goes on as a resume does."""
    directory = setup_dir(tmp_path, SPACE_TOML)
    monkeypatch.chdir(directory)
    argv = ["run", "--space", "space.toml", "--journal", "tune.jsonl", "--seed", "0",
            "--no-progress", *command("objective-line", "x", "n", "act")]
    assert cli.main([*argv[:1], "--n-calls", "3", *argv[1:]]) == 0
    lines = (directory / "tune.jsonl").read_text().count("\n")
    parsed = count_parses(monkeypatch)
    capsys.readouterr()
    assert cli.main([*argv[:1], "--n-calls", "5", *argv[1:]]) == 0
    assert "resuming tune.jsonl: 3 evaluations" in capsys.readouterr().err
    old = [n for n in parsed if 0 < n < lines]  # line 0: a header, parsed by each storage
    assert sorted(old) == [*range(1, lines), lines - 1]
    assert len(told(directory / "tune.jsonl")) == 5 and len(calls(directory)) == 5


def test_show_into_a_pipe_whose_reader_has_gone_exits_quietly(finished_run) -> None:
    """`bayesopt show tune.jsonl | head -1`: the reader closes the pipe early; the command
    stops with the status of a program killed by SIGPIPE (141), no traceback."""
    directory, _ = finished_run
    read, write = os.pipe()
    os.close(read)  # the reader is gone before anything is written: every write fails
    try:
        done = subprocess.run([*MODULE, "show", "tune.jsonl"], cwd=directory, stdout=write,
                              stderr=subprocess.PIPE, text=True, timeout=DEADLINE, check=False)
    finally:
        os.close(write)
    assert done.stderr == "" and done.returncode == 141


def test_show_ranks_the_feasible_evaluations_first_and_marks_them(tmp_path: Path) -> None:
    """With outcome constraints, rank 1 is `best` (the best feasible evaluation), never an
    infeasible one with a lower value; a column says which evaluations are feasible."""
    from bayesopt import Optimizer, Real

    opt = Optimizer({"x": Real(0, 1)}, n_constraints=1, seed=0, journal=tmp_path / "c.jsonl")
    for x in (0.1, 0.6, 0.2, 0.8):
        opt.tell({"x": x}, x, constraints=[0.5 - x])  # x < 0.5 is infeasible
    opt.close()
    done = bayesopt("show", "c.jsonl", cwd=tmp_path)
    header, *rows = table_rows(done.stdout)
    assert header == ["rank", "value", "x", "feasible", "index", "run"]
    assert [(row[1], row[3]) for row in rows] == [("0.6", "yes"), ("0.8", "yes"),
                                                  ("0.1", "no"), ("0.2", "no")]
    assert {row[-1] for row in rows} == {"-"}  # told without being asked: no run id
    # written from Python: no command was given the values (it said "as given to the
    # command" of a study that never ran one)
    assert "best (exact values): x=0.6" in done.stdout
    assert "command" not in done.stdout
    # the infeasible ones counted, as the notebook's summary counts them (it said "4 ok")
    assert "4 evaluations (4 ok, 0 failed, 2 infeasible), minimizing" in done.stdout


def test_run_refuses_a_journal_with_outcome_constraints_before_evaluating(tmp_path: Path) -> None:
    """The command line reads one number per evaluation: resuming a journal whose tells
    carry constraint values stops with exit 2 before any command runs (it ran one, then
    failed telling its value without constraints)."""
    from bayesopt import Optimizer, Real

    directory = setup_dir(tmp_path, K_SPACE_JSON | {"x": {"type": "real", "low": 0, "high": 1}},
                          name="space.json")
    space = {"k": cli.load_space(directory / "space.json").dimensions[0], "x": Real(0, 1)}
    opt = Optimizer(space, seed=0, n_constraints=1, journal=directory / "tune.jsonl")
    opt.tell({"k": 1, "x": 0.5}, 1.0, constraints=[-1.0])
    opt.close()
    done = bayesopt("run", "--space", "space.json", "--n-calls", "3", "--journal", "tune.jsonl",
                    *command("objective-line", "k", "x"), cwd=directory, check=False)
    assert done.returncode == 2, done.stderr
    assert "has 1 outcome constraint(s)" in done.stderr and "Optimizer.resume" in done.stderr
    assert calls(directory) == []


def test_run_refuses_a_shared_study_with_outcome_constraints_naming_no_missing_flag(
        tmp_path: Path) -> None:
    """Attaching `bayesopt run --storage` to a constrained study stops with exit 2 before any
    command runs, and says what works (Python with n_constraints=1, or a new study) — not
    "attach with n_constraints=1", an option the command line does not have."""
    from bayesopt import Optimizer, Real

    directory = setup_dir(tmp_path, K_SPACE_JSON | {"x": {"type": "real", "low": 0, "high": 1}},
                          name="space.json")
    space = {"k": cli.load_space(directory / "space.json").dimensions[0], "x": Real(0, 1)}
    url = f"sqlite:///{directory / 'tune.db'}"
    opt = Optimizer(space, seed=0, n_constraints=1, storage=url, study="s")
    opt.tell({"k": 1, "x": 0.5}, 1.0, constraints=[-1.0])
    opt.close()
    done = bayesopt("run", "--space", "space.json", "--n-calls", "3", "--storage", url,
                    "--study", "s", *command("objective-line", "k", "x"), cwd=directory,
                    check=False)
    assert done.returncode == 2, done.stderr
    assert "has 1 outcome constraint(s)" in done.stderr, done.stderr
    assert "from Python" in done.stderr and "n_constraints=1" in done.stderr
    assert "attach with" not in done.stderr
    assert calls(directory) == []


def test_show_never_writes_to_the_journal(finished_run, tmp_path: Path) -> None:
    """A run may still be appending: `show` reads a torn last line without truncating it."""
    directory, _ = finished_run
    journal = tmp_path / "live.jsonl"
    journal.write_bytes((directory / "tune.jsonl").read_bytes() + b'{"event": "tell", "poi')
    before = journal.read_bytes()
    done = bayesopt("show", "live.jsonl", cwd=tmp_path)
    assert "8 evaluations (8 ok, 0 failed)" in done.stdout
    assert "last line is incomplete" in done.stderr
    assert journal.read_bytes() == before


@pytest.mark.parametrize("where", ["sqlite", "journal"])
def test_show_lists_points_whose_claim_expired_apart_from_the_pending_ones(
        tmp_path: Path, where: str, capsys: pytest.CaptureFixture[str]) -> None:
    """pending_timeout=2: a and b are asked; 2.1 s later c's ask is an event after the
    timeout, which releases a and b (an ask no longer counts them), and b is told late
    (recorded). At the clock c is still pending (the tell and `show` take far less than
    the 2 s left, even on a busy machine) and a expired: `show` counts them apart and
    lists a with its worker and last sign of life. Judged 3 s later (`now`, no
    sleeping) c has expired too; with the study's --pending-timeout 100, nothing has."""
    from bayesopt import Optimizer, Real

    space = {"x": Real(0.0, 1.0), "y": Real(0.0, 1.0)}
    url = f"sqlite:///{tmp_path / 'tune.db'}"
    place = {"storage": url, "study": "s"} if where == "sqlite" else {
        "journal": tmp_path / "tune.jsonl"}
    with Optimizer(space, seed=0, pending_timeout=2.0, **place) as opt:
        a, b = opt.ask(2)
        time.sleep(2.1)
        c = opt.ask()
        opt.tell(b, 1.0)
        assert opt.pending == [c]
        (claimed,) = opt.pending_status().timed_out
        assert claimed.params == a and claimed.worker is not None
    source = ["--storage", url, "--study", "s"] if where == "sqlite" else [str(place["journal"])]
    assert cli.main(["show", *source]) == 0
    shown = capsys.readouterr().out.splitlines()
    assert "1 evaluation (1 ok, 0 failed, 1 pending, 1 expired), minimizing" in shown[0]
    assert shown[1].startswith("expired (claimed, no sign of life for more than "
                               "pending_timeout=2 s")
    since = datetime.fromtimestamp(claimed.last_seen, timezone.utc)
    assert shown[2] == (f"  x={a['x']:.6g} y={a['y']:.6g}: claimed by worker {claimed.worker} "
                        "(its own pending_timeout=2 s), "  # recorded in its asks (tidy16)
                        f"no sign of life since {since:%Y-%m-%d %H:%M:%S} UTC")
    assert shown[3].split()[:2] == ["rank", "value"]

    read = (cli.read_study_record(url, "s", now=time.time() + 3.0) if where == "sqlite"
            else cli.read_record(place["journal"], now=time.time() + 3.0))
    assert (read.n_pending, [p.params for p in read.timed_out]) == (0, [a, c])
    if where == "sqlite":
        assert cli.main(["show", *source, "--pending-timeout", "100"]) == 0
        assert "(1 ok, 0 failed, 2 pending), minimizing" in capsys.readouterr().out
    else:
        assert cli.main(["show", *source, "--pending-timeout", "100"]) == 2
        assert "--pending-timeout needs --storage" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["show", "plot"])
def test_show_and_plot_of_a_missing_journal_say_it_does_not_exist(tmp_path: Path, command) -> None:
    done = bayesopt(command, "nothere.jsonl", cwd=tmp_path, check=False)
    assert done.returncode != 0 and "'nothere.jsonl' does not exist" in done.stderr


def test_plot_writes_a_png(finished_run) -> None:
    directory, _ = finished_run
    done = bayesopt("plot", "tune.jsonl", "-o", "convergence.png", cwd=directory)
    assert "wrote convergence.png" in done.stdout
    assert (directory / "convergence.png").read_bytes()[:8] == PNG_SIGNATURE
    assert os.path.getsize(directory / "convergence.png") > 5000


# ------------------------------------------------------------- errors, no run
BAD_SPACES = [
    ("broken.toml", "[x\ntype = 'real'", "is not valid TOML"),
    ("broken.json", '{"x": {"type": "real",', "is not valid JSON"),
    ("order.toml", "[lr]\ntype = 'real'\nlow = 1.0\nhigh = 0.1", "dimension 'lr': low=1.0 must be < high=0.1"),
    ("type.toml", "[lr]\ntype = 'float'\nlow = 0\nhigh = 1", "dimension 'lr': type='float' must be one of"),
    ("missing.toml", "[n]\ntype = 'integer'\nlow = 1", "dimension 'n' of type 'integer': missing key(s) ['high']"),
    ("extra.json", json.dumps({"n": {"type": "integer", "low": 1, "high": 3, "steps": 2}}),
     "unknown key(s) ['steps']"),
    ("log.toml", "[lr]\ntype = 'real'\nlow = 0.0\nhigh = 1.0\nlog = true", "dimension 'lr': log=True needs low > 0"),
    ("empty.toml", "[act]\ntype = 'categorical'\nchoices = []", "dimension 'act': choices must not be empty"),
    ("nothing.toml", "# no dimensions\n", "space is empty"),
    ("flat.toml", "lr = 0.1", "dimension 'lr': definition must be a table"),
    # Talos' params saved as JSON: was no hint of the table to write
    ("talos.json", json.dumps({"lr": [0.1, 0.01]}),
     ("dimension 'lr': definition must be a table/dict, got [0.1, 0.01] (a list of values to "
      'choose from is {"type": "categorical", "choices": [0.1, 0.01]}, the same keys in TOML; '
      'for the range they span, in order, {"type": "real", "low": 0.01, "high": 0.1, '
      '"log": true})')),
    # JSON keeps the last of two equal keys without a word (TOML refuses them itself)
    ("twice.json", ('{"x": {"type": "real", "low": 0, "high": 1}, '
                    '"x": {"type": "real", "low": 5, "high": 6}}'), "the key 'x' appears twice"),
    ("key-twice.json", '{"x": {"type": "real", "low": 0, "high": 1, "low": 0.5}}',
     "the key 'low' appears twice"),
    # nested deeper than the decoders recurse: was a RecursionError traceback
    ("deep.json", '{"x": ' + "[" * 100_000 + "]" * 100_000 + "}",
     "is not valid JSON: arrays or objects nested too deeply"),
    ("deep.toml", "x = " + "[" * 100_000 + "]" * 100_000,
     "is not valid TOML: arrays or tables nested too deeply"),
    ("digits.json", '{"x": {"type": "real", "low": 0, "high": 1' + "0" * 5000 + "}}",
     "is not valid JSON: Exceeds the limit"),
]


@pytest.mark.parametrize(("name", "text", "message"), BAD_SPACES, ids=[b[0] for b in BAD_SPACES])
def test_bad_space_file_is_a_clear_error(tmp_path: Path, name: str, text: str, message: str) -> None:
    (tmp_path / name).write_text(text)
    (tmp_path / "objective.py").write_text(OBJECTIVE)
    done = bayesopt("run", "--space", name, "--journal", "tune.jsonl",
                    *command("objective-line", "lr"), cwd=tmp_path, check=False)
    assert done.returncode == 2
    assert done.stderr.startswith("bayesopt: error: ") and repr(name) in done.stderr
    assert message in done.stderr
    assert not (tmp_path / "tune.jsonl").exists() and not calls(tmp_path)


@pytest.mark.parametrize(("argv", "message"), [
    (["--", sys.executable, "objective.py", "x={x}", "lr={lr}"], "unknown placeholder(s) {lr}"),
    (["--", sys.executable, "objective.py", "{}"], "unknown placeholder(s) {}"),
    (["--", sys.executable, "objective.py", "{acts}", "{X}"],
     ("unknown placeholder(s) {X}, {acts} in the command ({X}: did you mean {x}? {acts}: did "
     "you mean {act}?)")),
    (["--", sys.executable, "objective.py", "x={x"], "expected '}' before end of string"),
    (["--", sys.executable, "objective.py", "{act:.3f}"], "cannot format act='relu'"),
    (["--", "no-such-program-bayesopt", "{x}"], "command not found: 'no-such-program-bayesopt'"),
    (["--", "./missing/run.sh", "{x}"], "'./missing/run.sh' is not an executable file"),
    (["--", "objective.py", "{x}"], ("'objective.py' is a file in the working directory, not a "
                                    "program on PATH: name its interpreter first")),
    (["--", "./objective.py", "{x}"], "'./objective.py' is not executable: chmod +x it"),
    (["--", f"{sys.executable} objective.py x={{x}}"], "as separate words after --"),
    (["--", f"{sys.executable} objective.py", "x={x}"], "as separate words after --"),
], ids=["unknown", "positional", "misspelt", "unbalanced", "bad-spec", "not-on-path", "no-file",
        "a-file-here", "not-executable", "one-string", "program-and-argument-in-one"])
def test_bad_command_is_a_clear_error(tmp_path: Path, argv: list[str], message: str) -> None:
    directory = setup_dir(tmp_path, SPACE_TOML)
    done = bayesopt("run", "--space", "space.toml", "--journal", "tune.jsonl", *argv,
                    cwd=directory, check=False)
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert not (directory / "tune.jsonl").exists() and not calls(directory)


def test_options_the_optimizer_refuses_are_usage_errors(tmp_path: Path) -> None:
    directory = setup_dir(tmp_path, SPACE_TOML)
    done = bayesopt("run", "--space", "space.toml", "--journal", "tune.jsonl", "--ucb-beta", "2",
                    "--", sys.executable, "objective.py", "x={x}", cwd=directory, check=False)
    assert done.returncode == 2, done.stderr
    assert "bayesopt: error: ucb_beta=2.0: not used with acquisition='logei'" in done.stderr
    assert not (directory / "tune.jsonl").exists() and not calls(directory)


def test_threads_reach_the_optimizer(tmp_path: Path) -> None:
    """``--threads N`` is the optimizer's ``threads=``: a count the process cannot have is the
    optimizer's own refusal, a usage error before any evaluation, and one it can runs."""
    directory = setup_dir(tmp_path, SPACE_TOML)
    done = bayesopt("run", "--space", "space.toml", "--journal", "tune.jsonl", "--threads",
                    "100000", "--", sys.executable, "objective.py", "x={x}", cwd=directory,
                    check=False)
    assert done.returncode == 2, done.stderr
    assert "bayesopt: error: threads=100000 must be from 1 to" in done.stderr, done.stderr
    assert not (directory / "tune.jsonl").exists() and not calls(directory)
    done = bayesopt("run", "--space", "space.toml", "--journal", "tune.jsonl", "--threads", "1",
                    "--n-calls", "3", *command("objective-line", "x", "n", "act"),
                    cwd=directory)
    assert len(calls(directory)) == 3, done.stderr


def test_missing_command_and_bad_options_are_usage_errors(tmp_path: Path) -> None:
    setup_dir(tmp_path, SPACE_TOML)
    for args, message in [
        (["run", "--space", "space.toml"], "the following arguments are required: COMMAND"),
        (["run", "--space", "space.toml", "--workers", "0", "--", "true"], "must be an integer ≥ 1"),
        (["run", "--space", "space.toml", "--threads", "0", "--", "true"], "must be an integer ≥ 1"),
        (["run", "--space", "space.toml", "--timeout", "-1", "--", "true"], "must be a finite number > 0"),
        (["run", "--space", "nope.toml", "--", "true"], "cannot read the space file 'nope.toml'"),
        (["show", "nope.jsonl"], "cannot read the journal 'nope.jsonl'"),
        (["show", "space.toml"], "cannot read the journal 'space.toml'"),
        (["plot", "nope.jsonl", "--optimum", "nan"], "--optimum: must be a finite number, got 'nan'"),
        (["demo", "--seed", "-1"], "--seed: must be an integer ≥ 0, got '-1'"),
    ]:
        done = bayesopt(*args, cwd=tmp_path, check=False)
        assert done.returncode == 2 and message in done.stderr, (args, done.stderr)


def test_resuming_with_another_space_is_refused(finished_run, tmp_path: Path) -> None:
    directory, _ = finished_run
    shutil.copy(directory / "tune.jsonl", tmp_path / "tune.jsonl")
    setup_dir(tmp_path, SPACE_JSON, "space.json")
    before = (tmp_path / "tune.jsonl").read_bytes()
    done = bayesopt("run", "--space", "space.json", "--journal", "tune.jsonl", "--n-calls", "9",
                    *command("last-number", "x", "n"), cwd=tmp_path, check=False)
    assert done.returncode == 2 and "was written for another space" in done.stderr, done.stderr
    assert done.stderr.startswith("bayesopt: error: "), done.stderr  # no 'resuming' before it
    assert (tmp_path / "tune.jsonl").read_bytes() == before and not calls(tmp_path)


def test_help_does_not_import_numba() -> None:
    code = textwrap.dedent("""
        import sys
        from bayesopt.cli import main
        for argv in (["--help"], ["run", "--help"], ["show", "--help"]):
            try:
                main(argv)
            except SystemExit as exit:
                assert exit.code == 0
        heavy = {"numba", "scipy", "bayesopt.optimizer", "bayesopt.loop"}
        print(sorted(m for m in sys.modules if m in heavy or m.split(".")[0] in heavy))
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=DEADLINE, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[]"
    assert "objective convention" in done.stdout and "'objective: <number>'" in done.stdout
    assert bayesopt("--help", cwd=Path.cwd()).stdout.startswith("usage: bayesopt")


# -------------------------------------------------------------- in-process units
@pytest.mark.parametrize(("stdout", "expected"), [
    ("objective: 0.25\n", 0.25),
    ("Objective : -1e-3\nlater output\n", -1e-3),
    ("objective: 1\nobjective: 2\n3\n", 2.0),  # the last objective line wins, over numbers
    ("loss 3\n12.5\n0.125\nfinished\n", 0.125),  # else the last line that is a number
    ("  7  \n\n", 7.0),
    ("objective: nan\n", math.nan),  # parsed; minimize records a non-finite value as failed
    # coloured output (rich, colorama): ANSI CSI sequences are stripped before matching
    ("\x1b[32mobjective: 0.5\x1b[0m\n", 0.5),
    ("\x1b[1;32mobjective:\x1b[0m \x1b[33m-2.5\x1b[0m\nnext\n", -2.5),
    ("\x1b[2K\x1b[36m0.75\x1b[0m\n", 0.75),
])
def test_parse_objective(stdout: str, expected: float) -> None:
    value = parse_objective(stdout)
    assert value == expected or (math.isnan(expected) and math.isnan(value))


@pytest.mark.parametrize(("stdout", "message"), [
    ("", "no objective in the output"),
    ("loss: 0.3\nepoch 3\n", "no objective in the output"),
    ("objective: 0.3\nobjective: high\n0.2\n", "the last 'objective:' line holds 'high'"),
    # stripping the escape sequences leaves garbage around the number: still refused
    ("\x1b[32mobjective: 0.5 ok\x1b[0m\n", "the last 'objective:' line holds '0.5 ok'"),
    ("\x1b[32mobjective: \x1b]0;title\x070.5\x1b[0m\n", "the last 'objective:' line holds"),
])
def test_parse_objective_errors(stdout: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_objective(stdout)


def test_template_renders_exact_values() -> None:
    from bayesopt.space import Categorical, Integer, Real, Space

    space = Space({"lr": Real(1e-5, 1.0, log=True), "n": Integer(1, 8),
                   "act": Categorical(["relu", "tanh"])})
    template = CommandTemplate.parse(["train", "--lr={lr}", "{n}", "{act}", "{lr:.2e}", "{{x}}"],
                                     space)
    lr = 0.1 + 0.2  # 0.30000000000000004
    assert template.render({"lr": lr, "n": 3, "act": "tanh"}) == [
        "train", "--lr=0.30000000000000004", "3", "tanh", "3.00e-01", "{x}"]


def test_demo_subcommand(monkeypatch: pytest.MonkeyPatch) -> None:
    import bayesopt.demo

    seeds = []
    monkeypatch.setattr(bayesopt.demo, "main", lambda seed: seeds.append(seed))
    assert cli.main(["demo", "--seed", "3"]) == 0
    assert seeds == [3]


def test_choices_match_the_library() -> None:
    from bayesopt.optimizer import ACQUISITIONS
    from kernels import KERNEL_KINDS

    assert cli.ACQUISITIONS == ACQUISITIONS
    assert {KERNEL_KINDS[name] for name in cli.KERNELS} == set(KERNEL_KINDS.values())  # aliases aside


def test_two_runs_share_one_study_and_stop_at_its_total(tmp_path: Path) -> None:
    """The same `bayesopt run --storage --study` started twice: together they evaluate
    exactly --n-calls points, none twice; show and plot read the study."""
    directory = setup_dir(tmp_path, SPACE_TOML)
    url = f"sqlite:///{directory / 'tune.db'}"
    args = [CONSOLE_SCRIPT, "run", "--space", "space.toml", "--n-calls", "8", "--storage", url,
            "--study", "s", "--no-progress", "--n-initial", "8"]  # Sobol points: no GP fit
    sleepy = command("sleepy", "x", "n", "act")
    runs = [subprocess.Popen([*args, "--seed", str(seed), *sleepy], cwd=directory, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE) for seed in (0, 1)]
    outputs = [run.communicate(timeout=600) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    log = calls(directory)
    assert len(log) == 8  # the study's total: no copy started an evaluation too many
    assert len({json.dumps(c["params"], sort_keys=True) for c in log}) == 8
    shown = bayesopt("show", "--storage", url, "--study", "s", cwd=directory).stdout
    assert f"the study 's' in {url}: 8 evaluations" in shown
    bayesopt("plot", "--storage", url, "--study", "s", "-o", "c.png", cwd=directory)
    assert (directory / "c.png").stat().st_size > 0


def test_pending_timeout_lets_run_replace_a_killed_workers_point(tmp_path: Path) -> None:
    """A worker killed (SIGKILL: no cleanup) leaves its point pending; with
    --pending-timeout the copies still running stop counting it, so the study reaches
    --n-calls told evaluations instead of stopping one short."""
    from bayesopt import Optimizer

    directory = setup_dir(tmp_path, SPACE_TOML)
    url = f"sqlite:///{directory / 'tune.db'}"
    dead = Optimizer(cli.load_space(directory / "space.toml"), seed=9, storage=url, study="s")
    dead.ask()  # and never tells
    dead.close()
    time.sleep(0.3)
    bayesopt("run", "--space", "space.toml", "--n-calls", "3", "--storage", url, "--study", "s",
             "--no-progress", "--pending-timeout", "0.2", *command("objective-line", "x", "n"),
             cwd=directory)
    assert len(calls(directory)) == 3
    shown = bayesopt("show", "--storage", url, "--study", "s", cwd=directory).stdout
    assert "3 evaluations (3 ok, 0 failed, 1 pending)" in shown  # no timeout in the header
    shown = bayesopt("show", "--storage", url, "--study", "s", "--pending-timeout", "0.2",
                     cwd=directory).stdout
    assert "3 evaluations (3 ok, 0 failed, 1 expired)" in shown


def test_run_sends_heartbeats_so_slow_commands_never_expire(tmp_path: Path) -> None:
    """--workers 2 --pending-timeout 1 with commands of 2 s: each running command's point
    gets heartbeats (every third of the timeout), so none expires — checked by folding
    the study's events with the timeout — and exactly --n-calls commands run."""
    from bayesopt import Optimizer
    from bayesopt.storage import open_storage
    from bayesopt.study import apply_record

    directory = setup_dir(tmp_path, SPACE_TOML)
    url = f"sqlite:///{directory / 'tune.db'}"
    bayesopt("run", "--space", "space.toml", "--n-calls", "4", "--workers", "2", "--storage",
             url, "--study", "s", "--no-progress", "--pending-timeout", "1",
             *command("slow", "x", "n", "act"), cwd=directory)
    assert len(calls(directory)) == 4
    storage = open_storage(url)
    records = storage.read("s")
    storage.close()
    state = Optimizer(cli.load_space(directory / "space.toml"), pending_timeout=1.0)._state
    for number, record in enumerate(records):
        apply_record(state, record, "study", number)
        assert state.expired == [], f"a running point timed out at event {number}"
    kinds = [r["event"] for r in records]
    assert kinds.count("tell") == 4 and kinds.count("heartbeat") > 0 and state.pending == []


@pytest.mark.parametrize(("args", "message"), [
    (["run", "--space", "space.toml", "--journal", "t.jsonl", "--pending-timeout", "5", "--",
      "true"], "--pending-timeout needs --storage"),
    (["show", "--storage", "sqlite:///x.db"], "--storage needs --study"),
    (["show", "--study", "s"], "--study needs --storage"),
    (["show", "tune.jsonl", "--storage", "sqlite:///x.db", "--study", "s"], "not both"),
    (["show"], "give a JOURNAL file, or --storage URL --study NAME"),
    (["plot", "--storage", "sqlite:///x.db", "--study", "nope"], "no such file 'x.db'"),
    (["run", "--space", "space.toml", "--journal", "t.jsonl", "--storage", "sqlite:///x.db",
      "--study", "s", "--", "true"], "give --journal or --storage/--study, not both"),
])
def test_study_arguments_are_checked(tmp_path: Path, args: list[str], message: str) -> None:
    directory = setup_dir(tmp_path, SPACE_TOML)
    done = bayesopt(*args, cwd=directory, check=False)
    assert done.returncode == 2 and message in done.stderr, done.stderr


@pytest.mark.parametrize("verb", ["show", "plot"])
def test_reading_a_misspelt_sqlite_study_creates_no_database(tmp_path: Path, verb: str) -> None:
    """`bayesopt show --storage sqlite:///tnue.db`: the reader says the file does not exist;
    it used to create an empty database of that name (and say it held no study)."""
    directory = setup_dir(tmp_path, SPACE_TOML)
    done = bayesopt(verb, "--storage", "sqlite:///tnue.db", "--study", "s", cwd=directory,
                    check=False)
    assert done.returncode == 2, done.stderr
    assert "no such file 'tnue.db'" in done.stderr
    assert not (directory / "tnue.db").exists()
    bayesopt("run", "--space", "space.toml", "--n-calls", "1", "--storage", "sqlite:///tune.db",
             "--study", "s", "--no-progress", *command("objective-line", "x", "n"), cwd=directory)
    done = bayesopt(verb, "--storage", "sqlite:///tune.db", "--study", "nope", cwd=directory,
                    check=False)
    assert done.returncode == 2 and "holds no study 'nope' (its studies: ['s'])" in done.stderr


def test_a_record_result_carries_the_headers_seed_and_fingerprint(tmp_path: Path) -> None:
    """`JournalRecord.result()` is what `Optimizer.result` gives: with the fingerprint of
    the settings that chose the points (it carried the seed only)."""
    from bayesopt import Optimizer, Real

    space = {"x": Real(0, 1)}
    url = f"sqlite:///{tmp_path / 'tune.db'}"
    writers = (Optimizer(space, seed=3, acquisition="ucb", journal=tmp_path / "run.jsonl"),
               Optimizer(space, seed=4, acquisition="ei", storage=url, study="s"))
    for opt in writers:
        opt.tell(opt.ask(), 0.5)
        opt.close()
    journal = cli.read_record(tmp_path / "run.jsonl").result()
    assert (journal.seed, journal.fingerprint) == (3, writers[0].fingerprint)
    assert cli.read_study_record(url, "s").result().fingerprint == writers[1].fingerprint
    assert writers[0].fingerprint != writers[1].fingerprint


@pytest.mark.parametrize("kind", ["sqlite", "jsonl"])
def test_a_study_records_seed_is_the_creators(tmp_path: Path, kind: str) -> None:
    """`read_study_record(...).result().seed` (what `bayesopt show --storage` reads) is the
    seed in the study's header, the creator's, with its settings; it was the seed the
    reading Optimizer drew for itself (seed 4 showed a random 9179410…)."""
    from bayesopt import Optimizer, Real

    url = f"sqlite:///{tmp_path / 'tune.db'}" if kind == "sqlite" else str(tmp_path / "s.jsonl")
    creator = Optimizer({"x": Real(0, 1)}, seed=4, acquisition="ei", storage=url, study="s")
    creator.tell(creator.ask(), 0.5)
    creator.close()
    record = cli.read_study_record(url, "s")
    assert record.result().seed == 4
    assert record.config["seed"] == 4 and record.config["acquisition"] == "ei"


def test_reading_a_record_fits_no_surrogate(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """`bayesopt show`, `plot` and `run` (joining a study) read a journal or study with
    `read_record`/`read_study_record`, which need the history only: they fit no surrogate.
    They fitted one, with a snapshot of the acquisition (`Optimizer.result`): on a
    4,000-evaluation SQLite study `bayesopt show` took 22 s and 1.4 GB, not 1.7 s and
    0.2 GB (audit 18)."""
    from bayesopt import Optimizer, Real
    from bayesopt.model import SurrogateModel

    space = {"x": Real(0, 1), "y": Real(0, 1)}
    url = f"sqlite:///{tmp_path / 'tune.db'}"
    points = [{"x": i / 17, "y": (7 * i % 17) / 17} for i in range(12)]
    values = [p["x"] + p["y"] for p in points]
    for opt in (Optimizer(space, seed=1, journal=tmp_path / "run.jsonl"),
                Optimizer(space, seed=1, storage=url, study="s")):
        opt.tell(points, values)
        assert opt.result().model is not None  # enough evaluations for a surrogate
        opt.close()

    def no_fit(self: SurrogateModel, *args: object, **kwargs: object) -> None:
        raise AssertionError("a surrogate was fitted to read a record")

    monkeypatch.setattr(SurrogateModel, "update", no_fit)
    monkeypatch.setattr(SurrogateModel, "restore", no_fit)
    for record in (cli.read_record(tmp_path / "run.jsonl"), cli.read_study_record(url, "s")):
        assert [o.params for o in record.history] == points
        assert record.model is None and record.n_pending == 0
        assert record.result().best_value == min(values)


def test_the_summary_after_a_run_fits_no_surrogate(monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """`bayesopt run`'s closing summary (counts, top five, best line) reads the history
    only: the deferred surrogate of `Optimizer.result` stays unfitted (it was fitted, for
    nothing, by reading result.model; review 16). The same result then fits it on demand."""
    import argparse

    from bayesopt import Optimizer, Real

    space = {"x": Real(0, 1), "y": Real(0, 1)}
    points = [{"x": i / 17, "y": (7 * i % 17) / 17} for i in range(12)]
    opt = Optimizer(space, seed=1)
    opt.tell(points, [p["x"] + p["y"] for p in points])
    result = opt.result()
    fits: list[float] = []
    fit_snapshot = Optimizer._fit_snapshot  # what the deferred surrogate runs

    def counted(self: Optimizer, now: float) -> object:
        fits.append(now)
        return fit_snapshot(self, now)

    monkeypatch.setattr(Optimizer, "_fit_snapshot", counted)
    cli._report_result(argparse.Namespace(journal=None, storage=None), result)
    out = capsys.readouterr().out
    assert "best" in out and "12" in out.splitlines()[0]
    assert fits == []
    assert result.model is not None  # the check above could fail: reading fits it here
    assert fits


def test_run_with_a_directory_as_journal_is_a_usage_error_before_any_evaluation(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--journal naming a directory (a first-day slip: --journal runs/) exited 1 with an
    IsADirectoryError traceback; it is now the optimizer's own message, exit status 2."""
    directory = setup_dir(tmp_path, SPACE_TOML)
    (directory / "runs").mkdir()
    status = cli.main(["run", "--space", str(directory / "space.toml"), "--n-calls", "2",
                       "--journal", str(directory / "runs"), "--no-progress",
                       *command("objective-line", "x", "n", "act")])
    err = capsys.readouterr().err
    assert status == 2, err
    assert "is a directory: name a file in it, e.g. " in err and "Traceback" not in err
    assert calls(directory) == []


# ------------------------------------------------ the command after --, or last
def test_options_after_a_command_given_without_double_dash_are_refused(tmp_path: Path) -> None:
    """Without ``--``, argparse takes an option written after the command's words for
    ``bayesopt run``'s own (``--timeout 5`` meant for the program became the run's
    timeout, unnoticed), and an option only the program knows was an "unrecognized
    arguments" error with no hint: both are usage errors saying to put the command
    after ``--``, before anything runs; a command with no option after it still runs."""
    directory = setup_dir(tmp_path, SPACE_TOML)
    base = ["run", "--space", "space.toml", "--journal", "tune.jsonl", "--no-progress"]
    program = [sys.executable, "objective.py", "objective-line", "x={x}"]
    for after in (["--seed", "3"], ["--lr", "0.1"]):
        done = bayesopt(*base, *program, *after, cwd=directory, check=False)
        assert done.returncode == 2, done.stderr
        assert done.stderr.startswith("bayesopt: error: ") and after[0] in done.stderr
        assert "after --" in done.stderr and "Traceback" not in done.stderr, done.stderr
        assert not (directory / "tune.jsonl").exists() and not calls(directory)
    bayesopt(*base, "--n-calls", "2", *program, cwd=directory)
    assert len(calls(directory)) == 2


@pytest.mark.parametrize("args", [["show", "tune.jsonl"], ["studies", "--storage", "tune.jsonl"]])
def test_a_warning_is_one_line_of_the_command_line_not_a_python_source_line(
        finished_run, tmp_path: Path, args: list[str]) -> None:
    """A journal with a torn last line (a run killed while writing) is read with a warning:
    printed as Python prints warnings it named a file of this package, its line number and
    that line of source, and ``studies`` printed it twice; it is now one line
    ``bayesopt: warning: <message>``."""
    directory, _ = finished_run
    text = (directory / "tune.jsonl").read_text()
    (tmp_path / "tune.jsonl").write_text(text[:-20])  # the last event torn
    done = bayesopt(*args, cwd=tmp_path)
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("bayesopt: warning: journal 'tune.jsonl': the last line is "
                               "incomplete"), done.stderr
    assert ".py:" not in done.stderr and "Warning:" not in done.stderr


@pytest.mark.parametrize("verb", ["show", "plot"])
def test_a_journal_listed_by_studies_is_read_by_show_and_plot_with_storage(
        finished_run, verb: str) -> None:
    """``bayesopt studies --storage tune.jsonl`` lists a journal as the study 'journal', yet
    ``show``/``plot --storage tune.jsonl --study journal`` refused it with a Python remedy
    (Optimizer.resume); they now read it as ``bayesopt show tune.jsonl`` does."""
    directory, _ = finished_run
    listed = bayesopt("studies", "--storage", "tune.jsonl", cwd=directory).stdout
    name = listed.splitlines()[1].split()[0]
    extra = ["-o", "via-storage.png"] if verb == "plot" else []
    done = bayesopt(verb, "--storage", "tune.jsonl", "--study", name, *extra, cwd=directory)
    if verb == "show":
        plain = bayesopt("show", "tune.jsonl", cwd=directory).stdout
        assert done.stdout.splitlines()[1:] == plain.splitlines()[1:], done.stdout
    else:
        assert (directory / "via-storage.png").read_bytes()[:8] == PNG_SIGNATURE


@pytest.mark.parametrize("prefix", ["file://", "file://localhost", "FILE://LocalHost"])
def test_a_journal_named_by_a_file_url_is_listed_and_shown(finished_run, prefix: str) -> None:
    """RFC 8089's spellings of a local file: the command line stripped "file://" alone
    and looked for the journal 'localhost/...' (or 'FILE:///...')."""
    directory, _ = finished_run
    url = f"{prefix}{directory / 'tune.jsonl'}"
    listed = bayesopt("studies", "--storage", url, cwd=directory).stdout
    assert listed.splitlines()[1].split()[:2] == ["journal", "8"], listed
    done = bayesopt("show", "--storage", url, "--study", "journal", cwd=directory)
    plain = bayesopt("show", "tune.jsonl", cwd=directory).stdout
    assert done.stdout.splitlines()[1:] == plain.splitlines()[1:], done.stdout


def test_an_argument_mixing_a_conditional_placeholder_with_another_is_refused(
        tmp_path: Path) -> None:
    """An argument naming an inactive dimension is left out of the command, so in
    ``{act}-{x}`` with x active only for relu, every tanh run lost its act value without a
    word (the program was called with no argument at all); such an argument is now a
    usage error before anything runs, and two placeholders with one condition still share one."""
    space = {"act": {"type": "categorical", "choices": ["relu", "tanh"]},
             "x": {"type": "real", "low": 0.0, "high": 1.0, "when": {"act": "relu"}},
             "n": {"type": "integer", "low": 1, "high": 4, "when": {"act": "relu"}}}
    directory = setup_dir(tmp_path, space, "space.json")
    base = ["run", "--space", "space.json", "--journal", "tune.jsonl", "--no-progress"]
    done = bayesopt(*base, "--", sys.executable, "objective.py", "objective-line", "{act}-{x}",
                    cwd=directory, check=False)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("bayesopt: error: command argument '{act}-{x}'"), done.stderr
    assert "'act'" in done.stderr and "'x'" in done.stderr
    assert not (directory / "tune.jsonl").exists() and not calls(directory)
    bayesopt(*base, "--n-calls", "6", "--seed", "0", "--", sys.executable, "objective.py",
             "objective-line", "act={act}", "x={x}", "n={n}", "both={x},{n}", cwd=directory)
    assert len(calls(directory)) == 6


def _one_told_study(url: str, maximize: bool = False) -> None:
    from bayesopt import Optimizer
    from bayesopt.space import Space

    with Optimizer(Space.from_dict(json.loads(json.dumps(SPACE_JSON))), storage=url,
                   study="resnet", seed=0, maximize=maximize) as opt:
        params = opt.ask()
        opt.tell(params, 1.0)


@pytest.mark.parametrize("case", ["run-journal-sqlite", "show-sqlite", "run-journal-shared",
                                  "run-storage-journal"])
def test_a_journal_and_a_study_mistaken_for_each_other_get_the_option_to_write(
        finished_run, tmp_path: Path, case: str) -> None:
    """An SQLite file given as a journal was read as a torn JSON-lines file (a warning about
    an incomplete last line, then 'not valid JSON ... utf-8 codec'); a shared study's file
    given as --journal, or a journal as --storage, was refused with a Python remedy
    (Optimizer(storage=...), Optimizer.resume) after 'resuming ...'. Each now names the
    option to write instead, before anything runs."""
    directory, _ = finished_run
    setup_dir(tmp_path, SPACE_JSON, "space.json")
    shutil.copy(directory / "tune.jsonl", tmp_path / "tune.jsonl")
    run = ["run", "--space", "space.json", "--n-calls", "3", "--no-progress"]
    if case in ("run-journal-sqlite", "show-sqlite"):
        _one_told_study(f"sqlite:///{tmp_path / 'study.db'}")
        args = ([*run, "--journal", "study.db"] if case == "run-journal-sqlite"
                else ["show", "study.db"])
        expected = "--storage sqlite:///study.db --study NAME"
    elif case == "run-journal-shared":
        _one_told_study(str(tmp_path / "shared.jsonl"))
        args, expected = [*run, "--journal", "shared.jsonl"], "--storage shared.jsonl --study resnet"
    else:
        args, expected = [*run, "--storage", "tune.jsonl", "--study", "resnet"], "--journal tune.jsonl"
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    argv = [*args, *command("objective-line", "x", "n")] if args[0] == "run" else args
    done = bayesopt(*argv, cwd=tmp_path, check=False)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("bayesopt: error: ") and len(done.stderr.splitlines()) == 1
    assert expected in done.stderr, done.stderr
    assert "Optimizer" not in done.stderr and "JSON" not in done.stderr
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == before
    assert not calls(tmp_path)


@pytest.mark.parametrize("maximize", [True, False])
def test_joining_a_study_of_the_other_direction_names_the_flag(tmp_path: Path,
                                                               maximize: bool) -> None:
    """A run joining a study that maximizes, without --maximize (or one that minimizes,
    with it), was refused in Python's terms ('attach with maximize=True, not False'); the
    refusal now says to add or drop --maximize, before anything runs."""
    setup_dir(tmp_path, SPACE_JSON, "space.json")
    _one_told_study(f"sqlite:///{tmp_path / 'study.db'}", maximize=maximize)
    flag = [] if maximize else ["--maximize"]
    done = bayesopt("run", "--space", "space.json", "--n-calls", "3", "--no-progress", *flag,
                    "--storage", "sqlite:///study.db", "--study", "resnet",
                    *command("objective-line", "x", "n"), cwd=tmp_path, check=False)
    assert done.returncode == 2, done.stderr
    remedy = "add --maximize" if maximize else "drop --maximize"
    assert done.stderr.startswith("bayesopt: error: ") and remedy in done.stderr, done.stderr
    assert "maximize=" not in done.stderr and not calls(tmp_path)


def test_a_run_with_nothing_left_to_evaluate_says_so(finished_run, tmp_path: Path) -> None:
    """Resuming an 8-evaluation journal with --n-calls 5 evaluates nothing, and printed only
    the journal's summary, as if this run had produced it; it now says that nothing was run
    and how to continue (a larger --n-calls)."""
    directory, _ = finished_run
    setup_dir(tmp_path, SPACE_TOML)
    shutil.copy(directory / "tune.jsonl", tmp_path / "tune.jsonl")
    # a copy in another directory: objective.py there is another file (since 0.7.0 refused
    # without --allow-other-command, tests/test_cli_command.py)
    done = bayesopt("run", "--space", "space.toml", "--journal", "tune.jsonl", "--n-calls", "5",
                    "--no-progress", "--allow-other-command",
                    *command("objective-line", "x", "n", "act"), cwd=tmp_path)
    assert not calls(tmp_path)
    assert ("bayesopt: note: tune.jsonl already has 8 evaluations, --n-calls 5: none is run "
            "(a larger --n-calls continues it)") in done.stderr, done.stderr


def test_plot_optimum_of_a_run_with_a_fidelity_is_refused(tmp_path: Path) -> None:
    """A run with a Fidelity is drawn by budget (`bayesopt.plots.budgets`), which has no
    regret: ``plot --optimum`` was silently ignored there; it is now a usage error naming the
    option, and nothing is written."""
    from bayesopt import Optimizer
    from bayesopt.space import Space

    space = Space.from_dict({"x": {"type": "real", "low": 0.0, "high": 1.0},
                             "epochs": {"type": "fidelity", "low": 1, "high": 9, "eta": 3}})
    with Optimizer(space, journal=tmp_path / "fid.jsonl", seed=0) as opt:
        for _ in range(3):
            params = opt.ask()
            opt.tell(params, params["x"])
    done = bayesopt("plot", "fid.jsonl", "-o", "fid.png", "--optimum", "0.0", cwd=tmp_path,
                    check=False)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("bayesopt: error: ") and "--optimum" in done.stderr
    assert not (tmp_path / "fid.png").exists()
    bayesopt("plot", "fid.jsonl", "-o", "fid.png", cwd=tmp_path)
    assert (tmp_path / "fid.png").read_bytes()[:8] == PNG_SIGNATURE


def test_categorical_choices_the_command_cannot_tell_apart_are_refused(tmp_path: Path) -> None:
    """Choices 1 and "1" (or 0.11 and 0.12 under {c:.1f}) are two points to the optimizer
    and one command to the program, which was run twice with the same arguments and the
    GP told two different points; such a command is now a usage error naming the choices."""
    space = {"c": {"type": "categorical", "choices": [1, "1", 2]}}
    directory = setup_dir(tmp_path, space, "space.json")
    base = ["run", "--space", "space.json", "--journal", "tune.jsonl", "--no-progress"]
    done = bayesopt(*base, "--", sys.executable, "objective.py", "objective-line", "c={c}",
                    cwd=directory, check=False)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("bayesopt: error: ") and "1 and '1'" in done.stderr, done.stderr
    assert "'c=1'" in done.stderr
    assert not (directory / "tune.jsonl").exists() and not calls(directory)
    bayesopt(*base, "--n-calls", "3", "--", sys.executable, "objective.py", "objective-line",
             "c={c!r}", cwd=directory)  # repr tells them apart
    assert sorted(call["params"]["c"] for call in calls(directory)) == ["'1'", "1", "2"]


@pytest.mark.parametrize("name", ["space.toml", "space.json"])
def test_a_space_file_saved_with_a_byte_order_mark_is_read(tmp_path: Path, name: str) -> None:
    """Editors on Windows (Notepad) save UTF-8 with a byte order mark; such a space file was
    'not valid TOML: Invalid statement (at line 1, column 1)' (or JSON: 'Unexpected UTF-8
    BOM'), and is now read as the same file without it."""
    text = (SPACE_TOML if name.endswith(".toml")
            else json.dumps({"x": {"type": "real", "low": 0.0, "high": 1.0}}))
    (tmp_path / "plain").write_text(text, encoding="utf-8")
    (tmp_path / name).write_text(text, encoding="utf-8-sig")
    assert (tmp_path / name).read_bytes().startswith(b"\xef\xbb\xbf")
    plain = cli.load_space(shutil.copy(tmp_path / "plain", tmp_path / f"plain-{name}"))
    assert cli.load_space(tmp_path / name).to_dict() == plain.to_dict()


def test_a_second_run_on_a_journal_being_written_names_the_options_to_share(
        tmp_path: Path) -> None:
    """The same ``bayesopt run --journal`` started twice: the second is refused (a journal
    has one writer) before it evaluates anything, and the refusal now says how to do it from
    the shell (``bayesopt show``, ``--storage``/``--study``), where it named Python's
    Optimizer.resume(path, append=False) and storage= and study=."""
    directory = setup_dir(tmp_path, SPACE_TOML)
    (directory / "block").touch()
    args = ["run", "--space", "space.toml", "--journal", "tune.jsonl", "--n-calls", "5",
            "--no-progress", *command("block", "x", "n", "act")]
    first = subprocess.Popen([CONSOLE_SCRIPT, *args], cwd=directory, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: (directory / "blocked.pid").exists(), "the third evaluation", first)
        n_calls = len(calls(directory))
        done = bayesopt(*args, cwd=directory, check=False)
        assert done.returncode == 2, done.stderr
        assert done.stderr.startswith("bayesopt: error: journal 'tune.jsonl' is being written "
                                      "by another process"), done.stderr
        assert "bayesopt show tune.jsonl" in done.stderr and "--storage" in done.stderr
        assert "Optimizer" not in done.stderr and "storage=" not in done.stderr
        assert len(calls(directory)) == n_calls
    finally:
        first.kill()
        first.communicate()
        os.kill(int((directory / "blocked.pid").read_text()), signal.SIGKILL)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_output_that_cannot_be_written_is_a_one_line_error(finished_run) -> None:
    """``bayesopt show tune.jsonl > out.txt`` on a full disk (here /dev/full) ended in a
    Python traceback (OSError: No space left on device), and with standard output closed
    (``>&-``) in one from sys.stdout being None; the first is now one line and exit status
    1, the second exits quietly (there is nowhere to write)."""
    directory, _ = finished_run
    with open("/dev/full", "w") as full:
        done = subprocess.run([CONSOLE_SCRIPT, "show", "tune.jsonl"], cwd=directory,
                              stdout=full, stderr=subprocess.PIPE, text=True,
                              timeout=DEADLINE, check=False)
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("bayesopt: error: cannot write the output: ")
    assert "No space left on device" in done.stderr and "Traceback" not in done.stderr
    closed = subprocess.run(f"exec {CONSOLE_SCRIPT} show tune.jsonl >&-", shell=True,
                            cwd=directory, stderr=subprocess.PIPE, text=True,
                            timeout=DEADLINE, check=False)
    assert closed.returncode == 0 and "Traceback" not in closed.stderr, closed.stderr


def test_a_run_started_with_standard_error_closed_runs(tmp_path: Path) -> None:
    """``bayesopt run ... 2>&-`` (standard error closed) died at once, before any evaluation,
    in the progress bar's write to sys.stderr, which Python sets to None (exit 1, and its
    traceback had nowhere to go); it now runs, writing its messages nowhere."""
    directory = setup_dir(tmp_path, SPACE_TOML)
    argv = [CONSOLE_SCRIPT, "run", "--space", "space.toml", "--journal", "tune.jsonl",
            "--n-calls", "3", *command("objective-line", "x", "n", "act")]
    done = subprocess.run(" ".join(map(shlex.quote, argv)) + " 2>&-", shell=True,
                          cwd=directory, stdout=subprocess.PIPE, text=True, timeout=DEADLINE,
                          check=False)
    assert done.returncode == 0, done.stdout
    assert len(calls(directory)) == 3 and len(told(directory / "tune.jsonl")) == 3


def test_plot_names_the_file_it_writes(finished_run, tmp_path: Path) -> None:
    """``plot -o conv`` (no extension) wrote conv.png and said 'wrote conv'; ``plot -o DIR``
    wrote DIR.png beside the directory and said 'wrote DIR'. A name without extension now
    gets .png and is reported as written; a directory is a usage error naming a file in it."""
    directory, _ = finished_run
    shutil.copy(directory / "tune.jsonl", tmp_path / "tune.jsonl")
    done = bayesopt("plot", "tune.jsonl", "-o", "conv", cwd=tmp_path)
    assert done.stdout == "wrote conv.png\n", done.stdout
    assert (tmp_path / "conv.png").read_bytes()[:8] == PNG_SIGNATURE
    (tmp_path / "figures").mkdir()
    done = bayesopt("plot", "tune.jsonl", "-o", "figures", cwd=tmp_path, check=False)
    assert done.returncode == 2, done.stdout
    assert done.stderr.startswith("bayesopt: error: -o 'figures' is a directory"), done.stderr
    assert os.path.join("figures", "convergence.png") in done.stderr
    assert not (tmp_path / "figures.png").exists() and not any((tmp_path / "figures").iterdir())


def test_plot_dpi_beyond_any_print_resolution_is_a_usage_error(finished_run,
                                                               tmp_path: Path) -> None:
    """``plot --dpi 100000`` asked matplotlib for a canvas of tens of gigabytes and ended in
    a MemoryError traceback (or the kernel's OOM killer); a --dpi above 2400 is now a usage
    error naming it, before anything is read."""
    directory, _ = finished_run
    shutil.copy(directory / "tune.jsonl", tmp_path / "tune.jsonl")
    done = bayesopt("plot", "tune.jsonl", "-o", "big.png", "--dpi", "100000", cwd=tmp_path,
                    check=False)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("bayesopt: error: --dpi 100000") and "2400" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "big.png").exists()


def test_an_unreachable_postgresql_server_is_a_one_line_error(capsys) -> None:
    """psycopg's connection message holds a newline ('... Connection refused\\n\\tIs the
    server running ...'), which split ``bayesopt: error:`` over two lines; its lines are
    now joined into one."""
    status = cli.main(["studies", "--storage", "postgresql://nobody@127.0.0.1:1/db"])
    error = capsys.readouterr().err
    assert status == 2
    assert error.startswith("bayesopt: error: cannot open the storage postgresql://"), error
    assert error.count("\n") == 1 and error.endswith("\n"), repr(error)
    assert "Connection refused" in error and "Is the server running" in error


@POSIX_ONLY
def test_a_study_deleted_under_a_running_run_ends_it_in_the_command_lines_words(
        tmp_path: Path) -> None:
    """``bayesopt delete-study`` while ``bayesopt run --storage sqlite:///…`` uses the
    study: the run ends with exit 2 saying the study was deleted and to start a new run; it
    ended with the Python remedy 'attach again (a new Optimizer)'."""
    directory = setup_dir(tmp_path, SPACE_TOML)
    url = f"sqlite:///{directory / 'tune.db'}"
    (directory / "block").touch()  # the third evaluation blocks until killed
    run = subprocess.Popen(
        [CONSOLE_SCRIPT, "run", "--space", "space.toml", "--n-calls", "6", "--seed", "0",
         "--storage", url, "--study", "s", "--no-progress", *command("block", "x", "n", "act")],
        cwd=directory, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: (directory / "blocked.pid").exists(), "the third evaluation", run)
        bayesopt("delete-study", "--storage", url, "--study", "s", cwd=directory)
        os.kill(int((directory / "blocked.pid").read_text()), signal.SIGKILL)
        _, err = run.communicate(timeout=DEADLINE)
    finally:
        if run.poll() is None:
            run.kill()
            run.communicate()
    assert run.returncode == 2, err
    lines = err.splitlines()
    assert lines[-1].startswith("bayesopt: error: the study 's' was deleted from "), err
    assert "start a new run" in lines[-1], err
    assert "Optimizer" not in err and "attach again" not in err, err


def test_an_objective_logged_with_pythons_logging_is_pointed_out(tmp_path: Path) -> None:
    """A script that logs its objective with Python's `logging` writes it to standard error
    behind logging's default prefix ("INFO:root:"): the failure says where the objective
    is and what to print instead, not only to print a line the script printed."""
    (tmp_path / "space.json").write_text(json.dumps(K_SPACE_JSON))
    (tmp_path / "logs.py").write_text(textwrap.dedent('''
        import logging, sys
        logging.basicConfig(level=logging.INFO)
        logging.info("training")
        logging.info(f"objective: {int(sys.argv[1]) + 0.5}")
    '''))
    done = bayesopt("run", "--space", "space.json", "--n-calls", "1", "--no-progress",
                    "--", sys.executable, "logs.py", "{k}", cwd=tmp_path, check=False)
    assert done.returncode == 1
    assert "standard error has one inside a longer line ('INFO:root:objective: " in done.stdout
    assert re.search(r"print 'objective: [0-9.]+' as a line of its own to standard output",
                     done.stdout)


def test_run_help_says_which_cost_logei_per_cost_uses(tmp_path: Path) -> None:
    """A command line user choosing --acquisition logei_per_cost learns that the cost is
    the command's wall time (what `minimize` tells), not a number the command prints."""
    done = bayesopt("run", "--help", cwd=tmp_path)
    text = " ".join(done.stdout.split())
    assert "logei_per_cost divides by a cost model fitted to each command's wall time" in text
    assert "a cost the command prints is not read" in text


def test_show_failed_gives_each_failure_its_run_id(tmp_path: Path) -> None:
    """Failures told out of order: `show --failed` names each by its history index and
    its run id ({bayesopt.run}), so the failed run's checkpoint or log is found."""
    from bayesopt import Optimizer, Real

    opt = Optimizer({"x": Real(0, 1)}, seed=0, journal=tmp_path / "b.jsonl")
    first, batch = opt.ask(), opt.ask(2)
    opt.tell(first, 0.5)
    opt.tell_failure([batch[1], batch[0]], "out of memory")  # runs 2, 1 at indexes 1, 2
    opt.tell_failure({"x": 0.999}, "told, never asked")
    opt.close()
    shown = bayesopt("show", "b.jsonl", "--failed", cwd=tmp_path).stdout
    assert re.search(r"^  \[1\] run 2 x=\S+: out of memory$", shown, re.MULTILINE), shown
    assert re.search(r"^  \[2\] run 1 x=\S+: out of memory$", shown, re.MULTILINE), shown
    assert re.search(r"^  \[3\] x=0\.999: told, never asked$", shown, re.MULTILINE), shown

"""What a `bayesopt run` records of its command (the header's "command", since 0.6.0),
what `bayesopt show` prints of it, and the refusal to continue a journal or join a
study with another command: real subprocesses of the command line."""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bayesopt import Optimizer, Real
from bayesopt.command import same_command, shell_join
from bayesopt.journal import JournalError, read_journal
from bayesopt.study import recording_command
from test_cli import K_SPACE_JSON, bayesopt, command, setup_dir


def _run(directory: Path, n_calls: int, argv: list[str], *extra: str,
         check: bool = True) -> subprocess.CompletedProcess[str]:
    return bayesopt("run", "--space", "space.json", "--n-calls", str(n_calls), "--seed", "0",
                    "--no-progress", *extra, *argv, cwd=directory, check=check)


def test_a_journal_records_the_command_and_its_space_file_and_show_prints_them(
        tmp_path: Path) -> None:
    directory = setup_dir(tmp_path, K_SPACE_JSON, "space.json")
    argv = command("objective-line", "k")
    _run(directory, 2, argv, "--journal", "tune.jsonl")
    header, _ = read_journal(directory / "tune.jsonl")
    space_file = directory / "space.json"
    assert header["command"] == {
        "argv": argv[1:], "space_file": str(space_file.resolve()),
        "space_sha256": hashlib.sha256(space_file.read_bytes()).hexdigest(),
        "cwd": os.path.realpath(directory)}
    shown = bayesopt("show", "tune.jsonl", cwd=directory).stdout
    assert f"command: {shell_join(argv[1:])}" in shown
    assert f"working directory: {os.path.realpath(directory)}" in shown
    assert f"space file: {space_file.resolve()}" in shown
    assert "also told by" not in shown
    assert not any("command" in e for e in read_journal(directory / "tune.jsonl")[1])


def test_resuming_a_journal_with_another_command_is_refused_naming_both(tmp_path: Path) -> None:
    directory = setup_dir(tmp_path, K_SPACE_JSON, "space.json")
    first = command("objective-line", "k")
    _run(directory, 2, first, "--journal", "tune.jsonl")
    before = (directory / "tune.jsonl").read_bytes()
    other = [*first, "--epochs=10"]
    done = _run(directory, 4, other, "--journal", "tune.jsonl", check=False)
    assert done.returncode == 2, done.stderr
    error = done.stderr
    assert shell_join(first[1:]) in error and shell_join(other[1:]) in error
    assert "--allow-other-command" in error
    assert (directory / "tune.jsonl").read_bytes() == before  # nothing ran, nothing written
    _run(directory, 2, first, "--journal", "tune.jsonl")  # the same command: fine (a no-op)
    forced = _run(directory, 3, other, "--journal", "tune.jsonl", "--allow-other-command")
    assert "continues with another command" in forced.stderr
    header, events = read_journal(directory / "tune.jsonl")
    assert header["command"]["argv"] == first[1:]  # the header keeps the creator's
    tells = [e for e in events if e["event"] == "tell"]
    assert len(tells) == 3
    # the later command is recorded with each evaluation it told (since 0.7.0)
    assert [t.get("command") for t in tells] == [
        None, None, {"argv": other[1:], "cwd": os.path.realpath(directory)}]
    shown = bayesopt("show", "tune.jsonl", cwd=directory).stdout
    assert f"also told by `{shell_join(other[1:])}` in {os.path.realpath(directory)}: " \
        "1 evaluation\n" in shown


def test_a_journal_without_a_command_still_continues_with_a_note(tmp_path: Path) -> None:
    directory = setup_dir(tmp_path, K_SPACE_JSON, "space.json")
    from bayesopt.cli import load_space

    opt = Optimizer(load_space(directory / "space.json"), seed=0,
                    journal=directory / "tune.jsonl")  # from Python: no command
    opt.tell(opt.ask(), 1.0)
    opt.close()
    header, _ = read_journal(directory / "tune.jsonl")
    assert "command" not in header
    done = _run(directory, 2, command("objective-line", "k"), "--journal", "tune.jsonl")
    assert "records no command" in done.stderr
    shown = bayesopt("show", "tune.jsonl", cwd=directory).stdout
    assert "command:" not in shown
    assert "2 evaluations" in shown


def test_a_worker_with_another_command_is_refused_by_a_shared_study(tmp_path: Path) -> None:
    directory = setup_dir(tmp_path, K_SPACE_JSON, "space.json")
    study = ["--storage", "sqlite:///tune.db", "--study", "s"]
    first = command("objective-line", "k")
    _run(directory, 2, first, *study)
    _run(directory, 3, first, *study)  # a second worker with the same command joins
    other = [first[0], sys.executable, "-u", *first[2:]]
    done = _run(directory, 4, other, *study, check=False)
    assert done.returncode == 2, done.stderr
    error = done.stderr
    assert shell_join(first[1:]) in error and shell_join(other[1:]) in error
    shown = bayesopt("show", *study, cwd=directory).stdout
    assert f"command: {shell_join(first[1:])}" in shown
    assert "3 evaluations" in shown
    _run(directory, 4, other, *study, "--allow-other-command")
    shown = bayesopt("show", *study, cwd=directory).stdout
    assert f"also told by `{shell_join(other[1:])}` in {os.path.realpath(directory)}: " \
        "1 evaluation\n" in shown


def test_attaching_to_a_study_created_by_another_command_is_refused(tmp_path: Path) -> None:
    """The check at attach time, which a worker racing the study's creator meets."""
    url = f"sqlite:///{tmp_path / 'tune.db'}"
    space = {"x": Real(0.0, 1.0)}
    record = {"argv": ["python", "a.py"], "space_file": "/s.toml", "space_sha256": "0" * 64}
    with recording_command(record, enforce=True):
        Optimizer(space, storage=url, study="s").close()
    other = {**record, "argv": ["python", "b.py"]}
    with recording_command(other, enforce=True), pytest.raises(JournalError) as refused:
        Optimizer(space, storage=url, study="s")
    message = str(refused.value)
    assert "`python a.py`" in message and "`python b.py`" in message
    assert "--allow-other-command" in message  # the remedy, also when a race meets it here
    with recording_command(other, enforce=False):
        Optimizer(space, storage=url, study="s").close()
    Optimizer(space, storage=url, study="s").close()  # from Python: no command to compare


def test_show_prints_the_command_as_written_placeholders_unquoted(tmp_path: Path) -> None:
    """`show` prints ``k={k}`` as the user typed it, not shlex.join's ``'k={k}'``: a word
    is quoted only where a POSIX shell would change it, so the line pastes back."""
    directory = setup_dir(tmp_path, K_SPACE_JSON, "space.json")
    argv = [*command("objective-line", "k"), "tag=a b", "j={k:d}"]
    _run(directory, 1, argv, "--journal", "tune.jsonl")
    shown = bayesopt("show", "tune.jsonl", cwd=directory).stdout
    line = next(line for line in shown.splitlines() if line.startswith("command: "))
    assert line == f"command: {sys.executable} objective.py objective-line k={{k}} 'tag=a b' j={{k:d}}"
    assert shlex.split(line.removeprefix("command: ")) == argv[1:]


@pytest.mark.parametrize("argv, written", [
    (["python", "t.py", "--lr", "{lr}"], "python t.py --lr {lr}"),
    (["python", "t.py", "--lr={lr:.3g}"], "python t.py --lr={lr:.3g}"),
    (["echo", "{a,b}"], "echo '{a,b}'"),  # a shell would expand it to two words
    (["echo", "{1..3}"], "echo '{1..3}'"),
    (["echo", "{{literal}}", ""], "echo {{literal}} ''"),
    (["sh", "-c", "echo $HOME; ls"], "sh -c 'echo $HOME; ls'"),
    (["echo", "~/x", "it's"], "echo '~/x' 'it'\"'\"'s'"),
])
def test_shell_join_quotes_only_what_a_shell_would_change(argv: list[str], written: str) -> None:
    assert shell_join(argv) == written
    assert shlex.split(written) == argv


def _two_directories(tmp_path: Path) -> tuple[Path, Path]:
    first, second = tmp_path / "a", tmp_path / "b"
    for directory in (first, second):
        directory.mkdir()
        setup_dir(directory, K_SPACE_JSON, "space.json")
    return first, second


def test_continuing_from_another_directory_with_a_relative_path_is_refused(
        tmp_path: Path) -> None:
    """``python objective.py`` in another directory runs another file: the same words, and
    before 0.7.0 the same command. Refused before anything runs, naming both directories
    and the relative word; --allow-other-command continues, and each evaluation it tells
    records its command and directory, which `show` lists."""
    first, second = _two_directories(tmp_path)
    argv = command("objective-line", "k")
    _run(first, 2, argv, "--journal", "tune.jsonl")
    journal = str(first / "tune.jsonl")
    before = (first / "tune.jsonl").read_bytes()
    done = _run(second, 4, argv, "--journal", journal, check=False)
    assert done.returncode == 2, done.stderr
    assert os.path.realpath(first) in done.stderr and os.path.realpath(second) in done.stderr
    assert "'objective.py'" in done.stderr and "--allow-other-command" in done.stderr
    assert (first / "tune.jsonl").read_bytes() == before and not (second / "calls.log").exists()
    forced = _run(second, 4, argv, "--journal", journal, "--allow-other-command")
    assert "continues with another command or directory" in forced.stderr
    tells = [e for e in read_journal(journal)[1] if e["event"] == "tell"]
    assert [t.get("command") for t in tells] == [None, None, *[
        {"argv": argv[1:], "cwd": os.path.realpath(second)}] * 2]
    shown = bayesopt("show", journal, cwd=first).stdout
    assert f"working directory: {os.path.realpath(first)}" in shown
    assert f"also told by the same command in {os.path.realpath(second)}: " \
        "2 evaluations\n" in shown
    assert "also told by `" not in shown  # the same words: not listed as another command


def test_another_directory_with_absolute_paths_only_continues_with_a_note(
        tmp_path: Path) -> None:
    first, second = _two_directories(tmp_path)
    argv = ["--", sys.executable, str(first / "objective.py"), "objective-line", "k={k}"]
    study = ["--storage", f"sqlite:///{first / 'tune.db'}", "--study", "s"]
    _run(first, 2, argv, *study)
    joined = _run(second, 3, argv, *study)
    assert "continues in another directory" in joined.stderr
    assert "names no relative path" in joined.stderr
    shown = bayesopt("show", *study, cwd=second).stdout
    assert f"working directory: {os.path.realpath(first)}" in shown
    assert f"in {os.path.realpath(second)}: 1 evaluation\n" in shown


def test_a_060_journal_with_a_command_continues_and_records_where(tmp_path: Path) -> None:
    """tests/data/journal-0.6.0-command.jsonl: three evaluations by `bayesopt run` of
    bayesopt 0.6.0 (main at 581d2718), whose header's command has no "cwd"."""
    shutil.copy(Path(__file__).parent / "data" / "journal-0.6.0-command.jsonl",
                tmp_path / "tune.jsonl")
    (tmp_path / "space.json").write_text(json.dumps(K_SPACE_JSON))
    argv = ["--", "sh", "-c", 'echo "objective: $0"', "{k}"]
    shown = bayesopt("show", "tune.jsonl", cwd=tmp_path).stdout
    assert "command: sh -c 'echo \"objective: $0\"' {k}" in shown
    assert "working directory" not in shown
    done = _run(tmp_path, 4, argv, "--journal", "tune.jsonl")
    assert "records no working directory (written by bayesopt 0.6.0)" in done.stderr
    header, events = read_journal(tmp_path / "tune.jsonl")
    assert "cwd" not in header["command"]  # the header is never rewritten
    tells = [e for e in events if e["event"] == "tell"]
    assert [t.get("command") for t in tells] == [None] * 3 + [
        {"argv": argv[1:], "cwd": os.path.realpath(tmp_path)}]
    assert sum(len(t["values"]) for t in tells) == 4
    shown = bayesopt("show", "tune.jsonl", cwd=tmp_path).stdout
    assert f"also told by the same command in {os.path.realpath(tmp_path)}: 1 evaluation\n" \
        in shown
    assert "also told by `" not in shown


def test_a_060_journal_of_a_plain_boolean_placeholder_continues_with_its_str_form(
        tmp_path: Path) -> None:
    """tests/data/journal-0.6.0-boolean-command.jsonl: three evaluations by `bayesopt run`
    of bayesopt 0.6.0 (main at 581d2718) whose command passed the boolean `flag` as a plain
    {flag}, which 0.6.0 filled in with Python's str. The refusal of {flag} says {flag!s}
    passes what 0.6.0 passed, and so that command continues the journal as the same one:
    no --allow-other-command (before, it was refused as another command)."""
    shutil.copy(Path(__file__).parent / "data" / "journal-0.6.0-boolean-command.jsonl",
                tmp_path / "tune.jsonl")
    (tmp_path / "space.json").write_text(json.dumps(
        {"k": {"type": "integer", "low": 0, "high": 3},
         "flag": {"type": "categorical", "choices": [True, False]}}))
    plain = ["--", "sh", "-c", 'echo "objective: $0"', "{k}", "{flag}"]
    refused = _run(tmp_path, 4, plain, "--journal", "tune.jsonl", check=False)
    assert refused.returncode == 2
    assert "{flag!s} for Python's True or False (what bayesopt 0.6.0 passed)" in refused.stderr
    same = [*plain[:-1], "{flag!s}"]
    done = _run(tmp_path, 4, same, "--journal", "tune.jsonl", check=False)
    assert done.returncode == 0, done.stderr
    assert "another command" not in done.stderr
    assert "records no working directory (written by bayesopt 0.6.0)" in done.stderr
    assert sum(len(e["values"]) for e in read_journal(tmp_path / "tune.jsonl")[1]
               if e["event"] == "tell") == 4
    # recorded for its directory (the 0.6.0 header has none), not as another command
    shown = bayesopt("show", "tune.jsonl", cwd=tmp_path).stdout
    assert (f"also told by the same command, written `{shell_join(same[1:])}`, in "
            f"{os.path.realpath(tmp_path)}: 1 evaluation\n") in shown
    assert "also told by `" not in shown
    other = _run(tmp_path, 5, [*plain[:-1], "{flag:d}"], "--journal", "tune.jsonl",
                 check=False)
    assert other.returncode == 2 and "another command" in other.stderr  # 1/0, not True/False


@pytest.mark.parametrize("stored, given, same", [
    (["p", "--bn={bn}"], ["p", "--bn={bn!s}"], True),
    (["p", "{bn}", "{{x}}"], ["p", "{bn!s}", "{{x}}"], True),
    (["p", "{{bn}}"], ["p", "{bn!s}"], False),  # a literal {bn}, not a placeholder
    (["p", "{bn}"], ["p", "{bn!r}"], False),
    (["p", "{bn}"], ["p", "{bn:d}"], False),
    (["p", "{bn}"], ["p", "{bn?--bn}"], False),
    (["p", "{bn}"], ["p", "{bn!s}", "-v"], False),
])
def test_same_command_equates_a_plain_placeholder_with_its_str_form(
        stored: list[str], given: list[str], same: bool) -> None:
    assert same_command(stored, given) is same


@pytest.mark.parametrize("field, message", [
    ({"argv": ["p"]}, "expected"),
    ({"argv": [], "cwd": "/"}, "expected"),
    ({"argv": ["p", 1], "cwd": "/"}, "expected"),
    ({"argv": ["p"], "cwd": "/", "shell": "bash"}, "expected"),
])
def test_a_malformed_command_field_is_refused(field: dict, message: str) -> None:
    from bayesopt.events import from_record
    from bayesopt.space import Space

    record = {"event": "tell", "points": [[0.5]], "values": [1.0], "time": None,
              "worker": None, "state": None, "command": field}
    with pytest.raises(JournalError, match=message):
        from_record(record, Space({"x": Real(0.0, 1.0)}))


def test_a_tell_and_failure_command_round_trip_and_play_no_part_in_the_fold() -> None:
    from bayesopt.events import Failure, RunCommand, Tell, from_record, to_record
    from bayesopt.space import Space

    space = Space({"x": Real(0.0, 1.0)})
    run = RunCommand(("python", "t.py", "{x}"), "/data")
    for event in (Tell(points=({"x": 0.5},), values=(1.0,), durations=(None,), command=run),
                  Failure(points=({"x": 0.5},), errors=("boom",), durations=(None,),
                          command=run)):
        record = to_record(event, space, with_state=False)
        assert record["command"] == {"argv": ["python", "t.py", "{x}"], "cwd": "/data"}
        assert from_record(record, space) == event
    url_a = [Optimizer(space, seed=0), Optimizer(space, seed=0)]
    first = [opt.ask() for opt in url_a]
    url_a[0]._state.apply(Tell(points=(first[0],), values=(1.0,), claims=(0,), command=run))
    url_a[1]._state.apply(Tell(points=(first[1],), values=(1.0,), claims=(0,)))
    assert url_a[0].ask() == url_a[1].ask()


def test_a_header_command_key_this_library_does_not_know_is_refused() -> None:
    from bayesopt.journal import check_header

    header = {"journal": "bayesopt", "version": 2, "library": "0.9.0", "space": {},
              "config": {"acquisition": "logei", "n_initial": 5, "seed": 0, "maximize": False,
                         "ucb_beta": None, "options": {}},
              "command": {"argv": ["p"], "cwd": "/", "env": {"A": "1"}}}
    with pytest.raises(JournalError, match=r"command\.env.*bayesopt 0\.9\.0"):
        check_header(header, "s")

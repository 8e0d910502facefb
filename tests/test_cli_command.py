"""What a `bayesopt run` records of its command (the header's "command", since 0.6.0),
what `bayesopt show` prints of it, and the refusal to continue a journal or join a
study with another command: real subprocesses of the command line."""

from __future__ import annotations

import hashlib
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from bayesopt import Optimizer, Real
from bayesopt.command import shell_join
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
        "space_sha256": hashlib.sha256(space_file.read_bytes()).hexdigest()}
    shown = bayesopt("show", "tune.jsonl", cwd=directory).stdout
    assert f"command: {shell_join(argv[1:])}" in shown
    assert f"space file: {space_file.resolve()}" in shown


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
    assert sum(e["event"] == "tell" for e in events) == 3


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

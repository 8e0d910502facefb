"""What `bayesopt run` passes to the command it runs, looked at as an attacker would.

    values  : categorical choices with spaces, quotes, ``;``, ``$(...)``, backquotes, a
              newline, a leading ``-``, NUL; placeholders reaching for attributes, items
              or positional arguments (``{c.__class__}``, ``{c[0]}``, ``{0}``)
    program : a real Python subprocess that writes the argv it was given to a file

Checked: the command runs without a shell, each value arriving as exactly one argument,
unchanged, and nothing a shell would run is run; a value with a NUL (which no argument
can hold) and a placeholder other than a dimension's name are refused before anything
runs, naming them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from bayesopt.command import CommandError, CommandObjective, CommandTemplate
from bayesopt.space import Space
from test_cli import bayesopt

HOSTILE = ["a b", "it's \"quoted\"", "x; touch pwned-semicolon", "$(touch pwned-subshell)",
           "`touch pwned-backquote`", "line\nobjective: -1e300", "-rf", "--output=/etc/passwd",
           "*", "~", "a|touch pwned-pipe", "> redirected"]
ECHO_ARGV = ("import json, sys; from pathlib import Path; "
             "Path('argv.json').write_text(json.dumps(sys.argv[1:])); print('objective: 1')")


def test_each_hostile_choice_arrives_as_one_argument_and_no_shell_runs(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    space = Space.from_dict({"c": {"type": "categorical", "choices": HOSTILE}})
    template = CommandTemplate.parse([sys.executable, "-c", ECHO_ARGV, "--c", "{c}",
                                      "--tag={c}"], space)
    objective = CommandObjective(template)
    for choice in HOSTILE:
        assert objective({"c": choice}) == 1.0
        argv = json.loads((tmp_path / "argv.json").read_text())
        assert argv == ["--c", choice, f"--tag={choice}"], (choice, argv)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["argv.json"]  # nothing touched


@pytest.mark.parametrize("placeholder", ["{c.__class__}", "{c[0]}", "{0}", "{}",
                                         "{c.__init__.__globals__}", "{c!r:{c}}"])
def test_a_placeholder_reaching_past_a_dimension_is_refused(placeholder: str) -> None:
    space = Space.from_dict({"c": {"type": "categorical", "choices": ["a", "b"]}})
    with pytest.raises(CommandError, match="unknown placeholder|cannot format"):
        CommandTemplate.parse(["p", placeholder], space)


def test_a_choice_with_a_nul_is_refused_before_anything_runs(tmp_path: Path) -> None:
    """A NUL cannot be in an argument (execve(2) takes C strings): such a choice failed
    every run of it with Popen's "embedded null byte", each recorded as a failed
    evaluation. It is refused by `bayesopt run` (exit 2), naming it, and nothing runs."""
    (tmp_path / "space.json").write_text(
        json.dumps({"c": {"type": "categorical", "choices": ["a\x00b", "c"]}}))
    done = bayesopt("run", "--space", "space.json", "--n-calls", "3", "--journal", "r.jsonl",
                    "--", sys.executable, "-c", ECHO_ARGV, "{c}", cwd=tmp_path, check=False)
    assert done.returncode == 2, done.stderr
    assert "choice 'a\\x00b' of 'c'" in done.stderr and "NUL" in done.stderr, done.stderr
    assert not (tmp_path / "argv.json").exists() and not (tmp_path / "r.jsonl").exists()


def test_a_command_argument_with_a_nul_is_refused() -> None:
    space = Space.from_dict({"x": {"type": "real", "low": 0, "high": 1}})
    with pytest.raises(CommandError, match=r"'--x=\{x\}\\x00' holds a NUL"):
        CommandTemplate.parse(["p", "--x={x}\x00"], space)


def test_show_writes_a_journals_control_characters_escaped(tmp_path: Path) -> None:
    """`bayesopt show --failed` wrote a journal's text to the terminal as it was stored: a
    choice, a failure's reason or a recorded standard error holding escape sequences (from
    a journal copied from elsewhere) cleared the screen, set the window title or the
    clipboard (OSC 52). Stored text is written as `bayesopt.cli._shown` writes it: every
    control character written as Python escapes it (a failure's newlines and tabs kept,
    its CSI colour codes removed), the rest of the text unchanged."""
    from bayesopt import Categorical, Optimizer

    clear, title, clipboard = "\x1b[2J\x1b[H", "\x1b]0;pwned\x07", "\x1b]52;c;cm0gLXJmIH4=\x07"
    path = tmp_path / "run.jsonl"
    space = {"c": Categorical([f"a{clear}", "b\r"])}
    with Optimizer(space, seed=0, journal=path) as opt:
        opt.tell({"c": f"a{clear}"}, 1.0)
        opt.tell_failure({"c": "b\r"}, error=f"EvaluationError: died{title}\nlast line{clipboard}\x9b1A")
    done = bayesopt("show", "--failed", str(path), cwd=tmp_path)
    assert not any(ch in done.stdout for ch in "\x1b\x07\r\x9b"), repr(done.stdout)
    assert "a\\x1b[2J\\x1b[H" in done.stdout and "c=b\\r" in done.stdout, done.stdout
    assert "died\\x1b]0;pwned\\x07" in done.stdout and "\\x9b1A" in done.stdout, done.stdout


def test_run_writes_a_resumed_journals_control_characters_escaped(tmp_path: Path) -> None:
    """`bayesopt run` continuing a journal from elsewhere wrote its stored text to the
    terminal as it was: the summary's table (a choice), the first failure's reason, and
    the refusal naming the header's command. Each is written as `_shown` writes it now."""
    from bayesopt import Categorical, Optimizer

    clear, title = "\x1b[2J\x1b[H", "\x1b]0;pwned\x07"
    (tmp_path / "space.json").write_text(json.dumps(
        {"c": {"type": "categorical", "choices": [f"a{clear}", "b"]}}))
    path = tmp_path / "run.jsonl"
    with Optimizer({"c": Categorical([f"a{clear}", "b"])}, seed=0, journal=path) as opt:
        opt.tell({"c": f"a{clear}"}, 1.0)
        opt.tell_failure({"c": "b"}, error=f"EvaluationError: died{title}")
    argv = ["run", "--space", "space.json", "--n-calls", "2", "--journal", "run.jsonl", "--",
            sys.executable, "-c", ECHO_ARGV, "{c}"]
    done = bayesopt(*argv, cwd=tmp_path)
    assert "\x1b" not in done.stdout + done.stderr, repr(done.stdout + done.stderr)
    assert "a\\x1b[2J\\x1b[H" in done.stdout, done.stdout
    header, *events = path.read_text(encoding="utf-8").splitlines()
    stored = {**json.loads(header), "command": {"argv": ["python", f"x{title}"], "cwd": "/",
                                                "space_file": "s", "space_sha256": "0"}}
    path.write_text("\n".join([json.dumps(stored), *events]) + "\n", encoding="utf-8")
    refused = bayesopt(*argv, cwd=tmp_path, check=False)
    assert refused.returncode == 2 and "x\\x1b]0;pwned\\x07" in refused.stderr, refused.stderr
    assert "\x1b" not in refused.stderr, repr(refused.stderr)

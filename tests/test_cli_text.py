"""What the command line prints of stored text (a failure's output, a choice, a recorded
command), driven through the real console script (helpers from test_cli)."""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import sys
import textwrap
from pathlib import Path

import pytest

from bayesopt import EvaluationFailedWarning, Real, cli, minimize
from bayesopt.command import CommandObjective, CommandTemplate, compile_metric, parse_objective
from bayesopt.space import Space
from test_cli import bayesopt

# a crashed script's stderr: a terminal title (OSC ... BEL), colours (CSI), backspaces, a
# carriage return that would overwrite the line, a right-to-left override
HOSTILE = "\x1b]0;pwned\x07\x1b[31mred\x1b[0m back\x08\x08 over\rwritten \u202egnp.exe"
SCRIPT = textwrap.dedent(f'''
    import sys
    if sys.argv[1] == "bad":
        sys.stderr.write({HOSTILE!r} + "\\n")
        sys.exit(1)
    print("objective: 1")
''')


def unprintable(text: str) -> list[str]:
    """The characters of `text` that could drive a terminal (a newline is a line's end)."""
    return sorted({char for char in text if not char.isprintable() and char != "\n"})


def test_stored_text_is_printed_escaped_by_run_and_show(tmp_path: Path) -> None:
    """Every printing path of stored text: run's first-failure warning and summary table,
    show's table, best line, recorded command and --failed lines, in a pipe as on a tty."""
    space = {"c": {"type": "categorical", "choices": ["ok\x1b[2J\x1b]2;x\x07", "bad"]}}
    (tmp_path / "space.json").write_text(json.dumps(space))
    (tmp_path / "train.py").write_text(SCRIPT)
    done = bayesopt("run", "--space", "space.json", "--n-calls", "2", "--journal", "t.jsonl",
                    "--seed", "0", "--no-progress", "--", sys.executable, "train.py", "{c}",
                    "--title=\x1b]0;cmd\x07", cwd=tmp_path)
    shown = bayesopt("show", "t.jsonl", "--failed", cwd=tmp_path)
    for output in (done.stdout, done.stderr, shown.stdout, shown.stderr):
        assert unprintable(output) == [], output
    escaped = "\\x1b]0;pwned\\x07red back\\x08\\x08 over"  # its \r: a line break when stored
    assert escaped + "\nwritten \\u202egnp.exe" in done.stderr
    assert escaped + "\n" in shown.stdout and "written \\u202egnp.exe" in shown.stdout
    # a choice and an argument are values, written whole (CSI escaped, not removed)
    assert "c=ok\\x1b[2J\\x1b]2;x\\x07" in shown.stdout
    assert "--title=\\x1b]0;cmd\\x07" in shown.stdout


# ------------------------------------------------------------------ what a number is
@pytest.mark.parametrize("text", [
    "1_000\n",                      # float() reads 1000: a count or an id, not a loss
    "objective: 1_000\n",
    "\u0661\u0662\u0663\n",         # Arabic-Indic digits, float() reads 123
    "objective: \u0661.\u0665\n",
    "objective: \uff11\uff12\n",    # full-width digits
    "objective: 0x10\n",
    "objective: 1e\n",
])
def test_only_an_ascii_number_is_an_objective(text: str) -> None:
    with pytest.raises(ValueError, match="no objective|not a number"):
        parse_objective(text)


@pytest.mark.parametrize("text, expected", [
    ("objective: -1e-3\n", -1e-3), ("2E+05\n", 2e5), ("objective: 1.\n", 1.0),
    ("  .5  \n", 0.5), ("objective: +3\n", 3.0),
    ("objective: -Infinity\n", -math.inf), ("inf\n", math.inf), ("-nan\n", math.nan),
    ("objective: NaN\n", math.nan),
])
def test_a_printed_number_or_non_finite_value_is_read(text: str, expected: float) -> None:
    value = parse_objective(text)
    assert value == expected or (math.isnan(expected) and math.isnan(value))


def test_metric_reads_the_same_numbers() -> None:
    metric = compile_metric(r"loss=(\S+)")
    assert parse_objective("loss=0.25\n", metric) == 0.25
    with pytest.raises(ValueError, match="captured '1_000'"):
        parse_objective("loss=1_000\n", metric)


@pytest.mark.parametrize("printed, told, error", [
    # minimize's rule for a non-finite value: failed (part of the problem), not a value
    ("objective: inf", "objective returned inf", False),
    # float() read step 10 here; an error, which the first-failure warning shows
    ("report: 1_0 0.5\nobjective: 1", "report line 'report: 1_0 0.5' is not", True),
])
def test_non_finite_and_underscored_output_fails_the_evaluation(printed: str, told: str,
                                                                error: bool) -> None:
    space = Space({"x": Real(0.0, 1.0)})
    script = f"print({printed!r})"
    template = CommandTemplate.parse([sys.executable, "-c", script, "{x}"], space)
    with pytest.warns(EvaluationFailedWarning) if error else contextlib.nullcontext():
        result = minimize(CommandObjective(template), space, n_calls=1, seed=0, progress=False)
    assert result.history[0].failed and told in result.history[0].error


def test_run_on_an_exhausted_space_stops_and_says_so(tmp_path: Path) -> None:
    """minimize stops on an exhausted finite space; the command line says it in its terms."""
    (tmp_path / "space.json").write_text(json.dumps(
        {"c": {"type": "categorical", "choices": ["a", "b", "c"]}}))
    done = bayesopt("run", "--space", "space.json", "--n-calls", "10", "--journal", "t.jsonl",
                    "--seed", "0", "--no-progress", "--", sys.executable, "-c",
                    "import sys; print('objective:', len(sys.argv[1]))", "{c}", cwd=tmp_path)
    assert "3 evaluations (3 ok, 0 failed)" in done.stdout
    assert "the run stopped before --n-calls 10" in done.stdout
    assert "warning" not in done.stderr, done.stderr


# ------------------------------------------------------------------------ --help
SUBCOMMANDS = ["run", "show", "plot", "studies", "delete-study", "demo"]


@pytest.mark.parametrize("words", [[], *([name] for name in SUBCOMMANDS)])
def test_every_help_is_printable_and_gives_the_exit_statuses(words: list[str],
                                                             tmp_path: Path) -> None:
    """run --help printed the carriage returns and escapes of a docstring's examples, and
    internal names (`_Reports`, `SUGGESTED_METRIC`); only run's said its exit statuses."""
    text = bayesopt(*words, "--help", cwd=tmp_path).stdout
    assert unprintable(text) == []
    assert "Exit status: 0" in text
    assert "_Reports" not in text and "SUGGESTED_METRIC" not in text


def test_every_option_has_help_and_a_metavar_of_its_kind() -> None:
    """--n-calls N_CALLS, --top TOP, --optimum OPTIMUM: argparse's default metavars said
    nothing; each option's value is now named by its kind (N, FILE, SECONDS, VALUE, ...)."""
    parser = cli.build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert sorted(commands.choices) == sorted(SUBCOMMANDS)
    for name, sub in commands.choices.items():
        for action in sub._actions:
            assert action.help, f"{name} {action.option_strings}: no help"
            if action.option_strings and action.nargs != 0 and action.choices is None:
                metavar = action.metavar or action.dest.upper()
                assert metavar in {"N", "FILE", "SECONDS", "URL", "NAME", "REGEX", "VALUE",
                                   "BETA", "DPI"}, f"{name} {action.option_strings}: {metavar}"


def test_demo_without_scikit_learn_is_an_input_error(monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """It raised SystemExit from the library (status 1, no 'bayesopt: error:')."""
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)  # import raises ImportError
    assert cli.main(["demo"]) == 2
    assert "bayesopt: error: the demo needs scikit-learn" in capsys.readouterr().err


def test_a_zero_pending_timeout_is_refused_by_its_option_name(tmp_path: Path) -> None:
    """--pending-timeout 0 was refused later, by minimize's name (pending_timeout=0), after
    the storage file had been created."""
    (tmp_path / "space.json").write_text(json.dumps({"x": {"type": "real", "low": 0, "high": 1}}))
    done = bayesopt("run", "--space", "space.json", "--storage", "sqlite:///s.db", "--study",
                    "a", "--pending-timeout", "0", "--no-progress", "--", sys.executable, "-c",
                    "print(1)", "{x}", cwd=tmp_path, check=False)
    assert done.returncode == 2
    assert "argument --pending-timeout: must be a finite number > 0, got '0'" in done.stderr
    assert not (tmp_path / "s.db").exists()

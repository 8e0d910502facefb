"""How a boolean or None choice reaches a command (`bayesopt.command`): never as Python's
``True``/``False``/``None`` unasked. A plain ``{flag}`` of such a dimension is refused
before anything runs, naming it and the value; ``{flag?TEXT}`` passes TEXT only where the
flag is true, ``{flag?TEXT:ELSE}`` ELSE where it is false, and ``{flag!s}``/``{flag:d}``
ask for Python's spelling or 1/0 explicitly. Real subprocesses of the command line, and
the template rules on their own."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest

from bayesopt.command import CommandError, CommandTemplate
from bayesopt.space import Space
from test_cli import bayesopt, calls, setup_dir, told

SPACE_TOML = textwrap.dedent("""
    [x]
    type = "real"
    low = 0.0
    high = 1.0

    [use_bn]
    type = "categorical"
    choices = [true, false]
""")
FLAGS = textwrap.dedent('''
    import json, sys
    from pathlib import Path
    argv = sys.argv[1:]
    with open(Path(__file__).parent / "calls.log", "a") as log:
        log.write(json.dumps({"pid": 0, "mode": "flags", "params": {}, "argv": argv}) + "\\n")
    x = float(argv[0])
    value = x + 0.5 * ("--bn" in argv) + 0.25 * ("--v=true" in argv) + 0.125 * ("--v=false" in argv)
    print(f"objective: {value!r}")
''')
SPACE = Space.from_dict({"x": {"type": "real", "low": 0.0, "high": 1.0},
                         "use_bn": {"type": "categorical", "choices": [True, False]},
                         "penalty": {"type": "categorical", "choices": [None, "l2"]}})


def test_a_toml_boolean_in_a_plain_placeholder_is_refused_naming_it(tmp_path: Path) -> None:
    directory = setup_dir(tmp_path, SPACE_TOML)
    (directory / "flags.py").write_text(FLAGS)
    done = bayesopt("run", "--space", "space.toml", "--n-calls", "3", "--no-progress", "--",
                    sys.executable, "flags.py", "{x}", "--use-bn={use_bn}", cwd=directory,
                    check=False)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "'use_bn'" in done.stderr and "True" in done.stderr
    for form in ("{use_bn?--use-bn}", "{use_bn?true:false}", "{use_bn!s}", "{use_bn:d}"):
        assert form in done.stderr, done.stderr
    assert calls(directory) == []  # refused before anything ran


def test_a_flag_passed_only_where_true_and_a_spelled_out_boolean(tmp_path: Path) -> None:
    directory = setup_dir(tmp_path, SPACE_TOML)
    (directory / "flags.py").write_text(FLAGS)
    bayesopt("run", "--space", "space.toml", "--n-calls", "8", "--seed", "0", "--no-progress",
             "--journal", "tune.jsonl", "--", sys.executable, "flags.py", "{x}",
             "{use_bn?--bn}", "--v={use_bn?true:false}", cwd=directory)
    rows = told(directory / "tune.jsonl")
    assert len(rows) == 8 and {row[1] for _, row, _ in rows} == {0, 1}  # both choices ran
    for kind, (x, choice), value in rows:  # choice 0 is true, 1 false
        assert kind == "ok" and value == x + (0.75 if choice == 0 else 0.125)
    words = {word for call in calls(directory) for word in call["argv"][1:]}
    assert words == {"--bn", "--v=true", "--v=false"}
    shown = bayesopt("show", "tune.jsonl", cwd=directory).stdout
    # "?" is quoted: zsh refuses an unquoted word with a "?" that matches no file
    assert "command: " + sys.executable + " flags.py {x} '{use_bn?--bn}' " \
        "'--v={use_bn?true:false}'" in shown


@pytest.mark.parametrize("argv, message", [
    (["p", "{use_bn}"], "'use_bn' takes the value True"),
    (["p", "--bn={use_bn}"], "'use_bn' takes the value True"),
    (["p", "{penalty}"], "'penalty' takes the value None"),
    (["p", "--penalty={penalty}"], "'penalty' takes the value None"),
    (["p", "{x?--x}"], "'x' is not a boolean dimension"),
    (["p", "{penalty?a:b}"], "'penalty' is not a boolean dimension"),
    (["p", "{bayesopt.run?a}"], "not a boolean dimension"),
    (["p", "{use_bn?a!r}"], "a switch takes no conversion"),
    (["p", "{use_bn?on:on}"], "give the same command argument"),
    (["p", "--bn", "{use_bn?on}"], "'--bn' would be left dangling"),
    (["p", "{use_bn?--bn=}{x}"], "left out of the command, 'x'"),
])
def test_template_refusals(argv: list[str], message: str) -> None:
    with pytest.raises(CommandError) as refused:
        CommandTemplate.parse(argv, SPACE)
    assert message in str(refused.value), str(refused.value)


@pytest.mark.parametrize("arg, true, false", [
    ("{use_bn?--use-bn}", ["--use-bn"], []),
    ("{use_bn?--use-bn:}", ["--use-bn"], []),
    ("--use-bn={use_bn?true:false}", ["--use-bn=true"], ["--use-bn=false"]),
    ("{use_bn?--bn:--no-bn}", ["--bn"], ["--no-bn"]),
    ("--bn={use_bn?1:0}", ["--bn=1"], ["--bn=0"]),
    ("{use_bn!s}", ["True"], ["False"]),
    ("{use_bn:d}", ["1"], ["0"]),
])
def test_boolean_forms(arg: str, true: list[str], false: list[str]) -> None:
    template = CommandTemplate.parse(["p", arg, "{x}"], SPACE)
    for value, expected in ((True, true), (False, false)):
        point = {"x": 0.5, "use_bn": value, "penalty": "l2"}
        assert template.render(point) == ["p", *expected, "0.5"]


def test_none_is_passed_only_when_asked_for_as_python_writes_it() -> None:
    template = CommandTemplate.parse(["p", "--penalty={penalty!s}"], SPACE)
    assert template.render({"x": 0.5, "use_bn": True, "penalty": None}) == ["p", "--penalty=None"]
    assert template.render({"x": 0.5, "use_bn": True, "penalty": "l2"}) == ["p", "--penalty=l2"]


def test_a_json_null_choice_in_a_plain_placeholder_is_refused(tmp_path: Path) -> None:
    space = {"penalty": {"type": "categorical", "choices": [None, "l2"]}}
    directory = setup_dir(tmp_path, space, "space.json")
    done = bayesopt("run", "--space", "space.json", "--n-calls", "2", "--no-progress", "--",
                    sys.executable, "objective.py", "objective-line", "p={penalty}",
                    cwd=directory, check=False)
    assert done.returncode == 2 and "'penalty' takes the value None" in done.stderr
    assert "{penalty!s}" in done.stderr and calls(directory) == []
    assert json.loads((directory / "space.json").read_text()) == space

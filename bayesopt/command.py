"""Run a command as an objective: fill in a point, read the value it prints.

Command template (`CommandTemplate`): an argv list in which every ``{name}``
placeholder is replaced by the value of that dimension (``str.format`` rules:
``{lr:.3g}`` formats, ``{{`` is a literal brace; without a format spec a float
is written exactly, as its ``repr``). In a conditional space an argument that
names a dimension inactive at the point is left out of the command, so write
such an option as one argument: ``--gamma={gamma}``; an argument that mixes such a
placeholder with one active where it is not (``{kernel}-{gamma}``) is refused, as
the other value would be left out with it.

Booleans and None (`_check_spellings`): a choice True, False or None has no one
spelling programs agree on (Python writes ``True``, TOML and JSON ``true``, and
argparse's ``type=bool`` reads ``"False"`` as true), so a plain ``{flag}`` of a
dimension with such a choice is refused before anything runs, naming it and the
value. A switch names the words instead: ``{flag?TEXT}`` is TEXT where flag is
true and leaves the whole argument out where it is false (a flag passed only when
true: ``{use_bn?--use-bn}``, argparse's ``store_true``), ``{flag?TEXT:ELSE}`` is
ELSE where it is false (``--use-bn={use_bn?true:false}``,
``{use_bn?--bn:--no-bn}``); a switch is for a dimension whose every choice is a
boolean. Python's own spelling is there when asked for: ``{flag!s}`` (``True``,
``None``: what bayesopt 0.6.0 passed for ``{flag}``), and ``{flag:d}`` gives 1 or 0.

Run identity (`RUN_FIELD`, `CONTINUES_FIELD`): ``{bayesopt.run}`` is the run's id,
its place among every point asked in the run (0-based, every worker's asks of a
shared study counted), known when it starts; ``{bayesopt.continues}`` is, for a
Hyperband promotion (a space with a Fidelity), the id of the run it continues, and
where there is none (a new configuration, or no Fidelity) its argument is left out,
as an inactive dimension's is. Both are functions of the recorded asks, so a
resumed journal or study gives every run the id it had, and a point that was running
when the run stopped is run again with its own id: name checkpoints by them, e.g.
``--resume-from=ckpt/{bayesopt.continues} --save=ckpt/{bayesopt.run}``. Names
beginning ``bayesopt.`` are reserved: a dimension may not have one. The command is run
directly (an argv list, no shell), in its own process group, with standard
input closed; its output is read until it and every process of its group have
exited (`_collect`: a background process that left the group, such as a server
in a session of its own, may hold the pipes open for ever and is not waited for).
On Linux that group dies with the process that started it, even one killed by
SIGKILL (`bayesopt.tether`); elsewhere it outlives such a kill.

What reaches the program (docs/security.md): each placeholder fills in part of one
argument, so a value is never split or read by a shell, whatever it holds (spaces,
quotes, ``;``, ``$(...)``, a newline); a placeholder names a dimension (or the run), never
an attribute, an item or a position (``{lr.__class__}``, ``{lr[0]}``, ``{0}`` are
refused); a value with a NUL, which no argument can hold, is refused before anything
runs. A choice beginning with ``-`` given as an argument of its own (``--opt {opt}``)
may be read by the program as an option: write ``--opt={opt}``. The program is found
on PATH as a shell finds it (``execvp``), and runs with this process's environment,
unchanged. Everything the command prints is trusted: a line it prints (its own, or
text it echoes) that has the form of an objective or a report line is read as one.

Objective convention (`parse_objective`): the value is read from the
command's standard output, in this order:

1. the last line of the form ``objective: <number>`` (case-insensitive,
   spaces allowed around the colon);
2. otherwise, the last line that is a number and nothing else;

both after ANSI CSI escape sequences (ECMA-48 §5.4: ``ESC [`` … final byte,
the colours of rich or colorama loggers) are removed; anything else left
around the number is not a number. A number (also in ``report:`` lines and for
``--metric``) is written in ASCII as a program's print, repr or printf writes
it: an optional sign, digits with an optional point, an optional exponent
(``0.25``, ``-1e-3``, ``1.``, ``.5``, ``2E+05``), or ``nan``, ``inf``, ``infinity``
in any case (``-nan``, C's ``-inf``, JavaScript's ``Infinity``). Python's `float`
reads more, which is not taken for a number: ``1_000`` (a count, an id, a step
written for people, not a loss) and digits of other scripts (``١٢٣``, full-width
``１２``). A printed nan or ±inf is read, and `minimize` records
it as a failed evaluation (its rule for a NaN or ±inf objective: the diverged
configuration is part of the problem, so it does not count toward the stop rule),
never as a value. A line that names the objective behind a
prefix (``INFO:root:objective: 0.25``, a logging format) is not read, as the
prefix could hold another number; when no objective is found, the message
shows the last three such lines and, if it reads the last of them, the
``--metric`` of `SUGGESTED_METRIC`.

With ``--metric REGEX`` instead (on the output with the same sequences
removed): the last line in which the regular
expression matches (``re.search``, so it may match anywhere in the line)
gives the number, from the named group if the expression has one (it may
have only one), else from its first group; e.g.
``--metric "val_loss: ([0-9.eE+-]+)"`` reads ``val_loss: 0.65``.

Early stopping: a line ``report: <step> <value>`` on standard output
(case-insensitive, spaces allowed around the colon and between the two numbers, ANSI
CSI sequences removed as above) is passed to ``Optimizer.report(params, step, value,
run=run)`` as soon as it is printed, of the run `minimize` dispatched (its id, as
``{bayesopt.run}`` names it: another run of the same params in flight is not this
one's): step counts the units completed (an epoch loop from 0 prints
``epoch + 1``), value is the intermediate objective. When the pruning rule says stop
(successive halving at the Fidelity's rungs, or at steps 1, 3, 9, ... without a Fidelity:
``bayesopt.fidelity.SuccessiveHalving``), the command's process group is killed, as a
timeout kills it, and the evaluation is its last reported value, recorded "pruned".
A report line that is not two numbers, or that ``Optimizer.report`` refuses (a step
not after the last one, beyond the budget the point was asked with, a value not
finite), kills the command too and fails the evaluation with the line in its reason.
A command that prints no report line runs to its end (`_Reports` reads them). A run
evaluated again after its process was killed (pending in a resumed journal or study)
keeps the reports that attempt recorded; the command, started over, prints those steps
again, and only the lines after the last of them are reported (a run the rule had
stopped is stopped again at the line of that step).

A non-zero exit status, a run longer than the timeout (its whole process
group is killed) or an output with no objective raises `EvaluationError`,
whose message is the reason and the last lines the command wrote to standard
error; `minimize` records it as a failed evaluation. A timeout is a failure
that is part of the problem (`EvaluationTimeout` is a
`bayesopt.EvaluationFailed`) and does not count toward the stop rule for a
broken objective; the other failures do.

The output is read in bounded memory, however much a command writes
(`_StreamReader`): each line is scanned for the objective as it arrives, and
only the last `OUTPUT_TAIL_BYTES` bytes of each stream are kept, for the error
message, which says how much it shows of how much was written. A line longer
than `LINE_BYTES` bytes (an endless one without a newline included) is kept by
its last `LINE_BYTES` bytes: it is never an ``objective:`` or number line (its
start is gone), and ``--metric`` searches what is kept of it.

Only the standard library is imported at module level (numpy only when a
template is checked against a space), so the command line can load this
module without numba.
"""

from __future__ import annotations

import difflib
import os
import re
import selectors
import shlex
import shutil
import signal
import string
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from bayesopt.failures import EvaluationFailed
from bayesopt.parallel import AttachedObjective
from bayesopt.runs import RunReports

if TYPE_CHECKING:
    from bayesopt.optimizer import Optimizer
    from bayesopt.space import Space

__all__ = [
    "CONTINUES_FIELD",
    "NUMBER",
    "RUN_FIELD",
    "SUGGESTED_METRIC",
    "CommandError",
    "CommandObjective",
    "CommandTemplate",
    "EvaluationError",
    "EvaluationTimeout",
    "check_program",
    "compile_metric",
    "parse_objective",
    "same_command",
    "shell_join",
    "without_csi",
]

STDERR_TAIL_LINES = 20
_STDOUT_TAIL_LINES = 5
_TAIL_CHARS = 4000  # a tail of very long lines is cut to its last characters
_DRAIN_SECONDS = 1.0  # reading what a command wrote once its processes have exited
_POLL_SECONDS = 0.1  # how often a running command is checked for its exit while it is silent
_READ_BYTES = 1 << 16
OUTPUT_TAIL_BYTES = 1 << 16  # the last bytes of each stream kept for an error message
LINE_BYTES = 1 << 20  # a longer line is kept by its last LINE_BYTES bytes only
_STDERR_HINT_LINES = 100  # the last lines of stderr searched for a misdirected objective
_NEAR_LINES = 3  # lines naming the objective that a "no objective" message shows
_NEAR_CHARS = 200  # each by its last characters at most
# a --metric that reads an objective behind a prefix (``INFO:root:objective: 0.25``,
# ``objective=1e-3``): suggested in the message, never applied without being given
SUGGESTED_METRIC = r"objective\s*[:=]\s*([0-9.eE+-]+)"

_NUMBER_FORM = "ASCII digits as print writes them, e.g. 0.25, -1e-3, nan, inf; not 1_000"
_TETHER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tether.py")
_OBJECTIVE_LINE = re.compile(r"^\s*objective\s*:(.*)$", re.IGNORECASE)
_TAG_WORD = re.compile("objective", re.IGNORECASE)  # in every line _OBJECTIVE_LINE matches
# an objective at the end of a longer line (a logging prefix): only for the stderr hint
_OBJECTIVE_INSIDE = re.compile(r"objective\s*:\s*(\S+)\s*$", re.IGNORECASE)
_REPORT_LINE = re.compile(r"^\s*report\s*:(.*)$", re.IGNORECASE)
_REPORT_WORD = re.compile("report", re.IGNORECASE)  # in every line _REPORT_LINE matches
# a number as the objective convention reads it (module docstring): ASCII only
NUMBER = re.compile(r"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|nan|inf(?:inity)?)",
                    re.IGNORECASE)
_NUMBER_SIGN = re.compile(r"[0-9]|inf|nan", re.IGNORECASE)  # in every text NUMBER matches
# an ANSI/ECMA-48 CSI sequence: ESC [, parameter bytes 0x30-0x3F, intermediate bytes
# 0x20-0x2F, one final byte 0x40-0x7E (colours, cursor moves of rich or colorama loggers)
_CSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")
_FORMATTER = string.Formatter()
# a word a POSIX shell passes on unchanged: shlex.quote's safe characters and braces,
# which bash and zsh expand only around a comma or ".." (brace expansion)
_PLAIN_WORD = re.compile(r"[\w@%+=:,./{}-]+", re.ASCII)
_BRACE_EXPANSION = re.compile(r"\{[^{}]*(?:,|\.\.)[^{}]*\}")
RESERVED_PREFIX = "bayesopt."  # placeholders of the run's identity; no dimension's name
RUN_FIELD = RESERVED_PREFIX + "run"  # the run's id: its place among the points asked
CONTINUES_FIELD = RESERVED_PREFIX + "continues"  # a promotion's source run's id
_IDENTITY_FIELDS = (RUN_FIELD, CONTINUES_FIELD)


def without_csi(text: str) -> str:
    """`text` without its ANSI CSI escape sequences (ECMA-48 §5.4: colours, cursor moves)."""
    return _CSI.sub("", text)


class CommandError(ValueError):
    """The command cannot be run as given: a bad template, or no such program."""


class EvaluationError(RuntimeError):
    """One run of the command failed.

    The message is the reason on its first line, then the last lines of the
    command's standard error (and, when no objective was found, of its
    standard output), so the history shows what went wrong.

    Parameters
    ----------
    reason : str
        What failed, e.g. ``"exited with status 1"``.
    stderr : str
        Everything the command wrote to standard error.
    stdout : str, optional
        Its standard output, when that is where the problem is.
    stderr_bytes, stdout_bytes : int, optional
        How many bytes the command wrote to each stream; beyond
        `OUTPUT_TAIL_BYTES`, `stderr` and `stdout` are the last
        `OUTPUT_TAIL_BYTES` of them, and the message says so.
    """

    def __init__(self, reason: str, stderr: str, stdout: str | None = None, *,
                 stderr_bytes: int | None = None, stdout_bytes: int | None = None) -> None:
        parts = [reason, _tail_block("stderr", stderr, STDERR_TAIL_LINES, stderr_bytes)]
        if stdout is not None:
            parts.append(_tail_block("stdout", stdout, _STDOUT_TAIL_LINES, stdout_bytes))
        super().__init__("\n".join(parts))
        self.reason = reason


class EvaluationTimeout(EvaluationError, EvaluationFailed):
    """The command ran longer than its timeout: a failed evaluation that is part of the problem."""


def _tail_block(stream: str, text: str, n_lines: int, written: int | None = None) -> str:
    """The last `n_lines` lines of `text` (at most `_TAIL_CHARS` characters), under a
    header that says how much of the stream they are: `text` is the last
    `OUTPUT_TAIL_BYTES` of `written` bytes when there were more (`_StreamReader.text`)."""
    lines = text.rstrip().splitlines()[-n_lines:]
    of = (f" (of its last {OUTPUT_TAIL_BYTES} bytes of {written} written)"
          if written is not None and written > OUTPUT_TAIL_BYTES else "")
    if not lines:
        return f"--- {stream} was empty ---" if not of else f"--- {stream} was blank{of} ---"
    joined = "\n".join(lines)
    tail = joined[-_TAIL_CHARS:]
    cut = f", their last {_TAIL_CHARS} characters" if len(joined) > _TAIL_CHARS else ""
    return f"--- last {len(lines)} line(s) of {stream}{cut}{of} ---\n{tail}"


def shell_join(argv: Sequence[str]) -> str:
    """The command as its user typed it after ``--``: each word bare where a POSIX shell
    would pass it on unchanged, placeholders' braces included (``--lr {lr}``), else quoted
    by `shlex.quote` (``'--tag=a b'``, ``'{a,b}'``, which a shell would expand), so that
    ``shlex.split(shell_join(argv)) == argv`` and the line can be pasted into a shell.
    `shlex.join` quotes every brace (``--lr '{lr}'``), which no user writes."""
    return " ".join(word if _PLAIN_WORD.fullmatch(word) and not _BRACE_EXPANSION.search(word)
                    else shlex.quote(word) for word in argv)


def same_command(stored: Sequence[str], given: Sequence[str]) -> bool:
    """Whether two command templates are the same words once each plain placeholder
    ``{name}`` (no switch, conversion or format spec) is written ``{name!s}``: without a
    spec, ``format(x, "")`` is ``str(x)`` for every value (Python's data model,
    ``object.__format__``), so the two render every point alike. This is how a command of
    bayesopt 0.6.0 whose ``{flag}`` of a boolean (now refused, `_check_spellings`) passed
    ``True``/``False`` is the same command as ``{flag!s}``, the form the refusal names."""
    return len(stored) == len(given) and all(
        _str_form(a) == _str_form(b) for a, b in zip(stored, given))


def _str_form(word: str) -> str:
    """`word` with each plain placeholder given the ``!s`` conversion (`same_command`); a
    word that is no template (unbalanced braces) is compared as it is."""
    try:
        parsed = list(_FORMATTER.parse(word))
    except ValueError:
        return word
    parts = []
    for literal, field, spec, conversion in parsed:
        parts.append(literal.replace("{", "{{").replace("}", "}}"))
        if field is None:
            continue
        if "?" not in field and not spec and conversion is None:
            conversion = "s"
        parts.append("{" + field + (f"!{conversion}" if conversion else "")
                     + (f":{spec}" if spec else "") + "}")
    return "".join(parts)


# ------------------------------------------------------------- command template
@dataclass(frozen=True)
class CommandTemplate:
    """An argv list whose ``{name}`` placeholders are filled in from a point.

    Attributes
    ----------
    argv : tuple of str
        The command as given, placeholders included.
    """

    argv: tuple[str, ...]

    @classmethod
    def parse(cls, argv: Sequence[str], space: Space) -> CommandTemplate:
        """Check a command template against a space before anything runs.

        Parameters
        ----------
        argv : sequence of str
            Program and arguments, e.g. ``["python", "train.py", "--lr", "{lr}"]``.
        space : Space
            The dimensions the placeholders may name.

        Returns
        -------
        CommandTemplate

        Raises
        ------
        CommandError
            Empty command, malformed braces, a placeholder that names no
            dimension, a format spec that does not fit its dimension, or an
            option split from the placeholder of a conditional dimension
            (``--k {k}``; write ``--k={k}``).
        """
        if not argv:
            raise CommandError("no command to run: give it after --, e.g. "
                               "bayesopt run --space space.toml -- python train.py --lr {lr}")
        nul = next((arg for arg in argv if "\x00" in arg), None)
        if nul is not None:
            raise CommandError(f"command argument {nul!r} holds a NUL character, which no "
                               "program can be given (an argument ends at its first NUL)")
        reserved = [name for name in space.names if name.startswith(RESERVED_PREFIX)]
        if reserved:
            raise CommandError(
                f"dimension {reserved[0]!r}: names beginning {RESERVED_PREFIX!r} are reserved "
                f"for the placeholders of the run's identity ({{{RUN_FIELD}}}, "
                f"{{{CONTINUES_FIELD}}}); rename it in the space file")
        template = cls(tuple(argv))
        known = [*space.names, *_IDENTITY_FIELDS]
        unknown = sorted(template.placeholders - set(known))
        if unknown:
            shown = ", ".join("{" + name + "}" for name in unknown)
            hints = " ".join(filter(None, (_did_you_mean(name, known) for name in unknown)))
            raise CommandError(
                f"unknown placeholder(s) {shown} in the command{f' ({hints})' if hints else ''}; "
                f"the space has {list(space.names)}, and {{{RUN_FIELD}}} and "
                f"{{{CONTINUES_FIELD}}} name the run (write {{{{ and }}}} for literal braces)"
            )
        template._check_spellings(space)
        sample = _sample_point(space)
        template.render(sample, 0, 0)  # a format spec that cannot apply fails here
        template._check_conditional_options(space)
        template._check_distinct_choices(space, sample)
        return template

    def _check_spellings(self, space: Space) -> None:
        """Refuse a plain placeholder (no switch, conversion or format spec) of a dimension
        with a True, False or None choice, and a switch (``{name?TEXT:ELSE}``) of anything
        but a boolean dimension (module docstring)."""
        for arg in self.argv:
            for field in _placeholders(arg):
                dimension = space[field.name] if field.name in space.names else None
                choices = list(getattr(dimension, "choices", None) or [])
                if field.switch is not None:
                    _check_switch(arg, field, choices)
                elif not field.spec and field.conversion is None:
                    spelled = next((c for c in choices if c is None or _is_bool(c)), _NONE)
                    if spelled is not _NONE:
                        raise CommandError(_no_spelling(arg, field.name, spelled))

    def _check_distinct_choices(self, space: Space, sample: Mapping[str, Any]) -> None:
        """Refuse a command in which two choices of a categorical give the same arguments
        (1 and "1" both write ``1``): two points to the optimizer, one run to the program;
        and one in which a choice gives an argument with a NUL, which execve(2) cannot
        pass (it failed each run of that choice with Popen's "embedded null byte")."""
        from bayesopt.space import Categorical

        for name, dimension in zip(space.names, space.dimensions):
            args = [arg for arg in self.argv if name in _fields(arg)]
            if not args or not isinstance(dimension, Categorical):
                continue
            seen: dict[tuple[str | None, ...], Any] = {}
            for choice in dimension.choices:
                rendered = tuple(_render(arg, {**sample, name: choice}) for arg in args)
                if any("\x00" in arg for arg in rendered if arg is not None):
                    raise CommandError(
                        f"choice {choice!r} of {name!r} gives the command argument(s) "
                        f"{list(rendered)}, with a NUL character, which no program can be "
                        "given (an argument ends at its first NUL): remove it from the space "
                        "file")
                if rendered in seen:
                    raise CommandError(
                        f"choices {seen[rendered]!r} and {choice!r} of {name!r} give the same "
                        f"command argument(s) {list(rendered)}, so the program could not tell "
                        f"them apart: make them distinct in the space file, or format them "
                        f"apart (e.g. {{{name}!r}})")
                seen[rendered] = choice

    def _check_conditional_options(self, space: Space) -> None:
        """Refuse an option split from the placeholder of a conditional dimension
        (``--k {k}``): where the dimension is inactive its placeholder's argument is
        left out, and the option before it would be left dangling (``--k --lr 0.1``)."""
        conditional = {name for name, d in zip(space.names, space.dimensions)
                       if d.when is not None} | {CONTINUES_FIELD}
        for arg in self.argv:
            _check_one_condition(arg, conditional, space)
            _check_one_switch(arg)
        for before, arg in zip(self.argv, self.argv[1:]):
            names = sorted((set(_fields(arg)) & conditional) | set(_leaving_out(arg)))
            if names and before.startswith("-") and not _fields(before):
                joined = f"{before}={arg}" if before.startswith("--") else f"{before}{arg}"
                what = (f"a switch of {names[0]!r} without an ELSE" if names[0] in
                        _leaving_out(arg) else _conditional(names[0], space))
                raise CommandError(
                    f"command arguments {before!r} {arg!r}: {arg!r} names {what}; where it "
                    f"is inactive (or false) {arg!r} is left out and {before!r} would be left "
                    f"dangling; write the option and its value as one argument, {joined!r}")

    @property
    def placeholders(self) -> set[str]:
        """The dimension names (and `RUN_FIELD`, `CONTINUES_FIELD`) the command refers to."""
        return {name for arg in self.argv for name in _fields(arg)}

    @property
    def names_runs(self) -> bool:
        """Whether the command has a placeholder of the run's identity."""
        return bool(self.placeholders & set(_IDENTITY_FIELDS))

    def render(self, params: Mapping[str, Any], run: int | None = None,
               continues: int | None = None) -> list[str]:
        """The argv list for one point.

        Parameters
        ----------
        params : dict
            A point of the space, in user units.
        run : int, optional
            The run's id, for ``{bayesopt.run}`` (required if the command has it).
        continues : int, optional
            The id of the run a promotion continues, for ``{bayesopt.continues}``;
            None leaves its argument out (module docstring).

        Returns
        -------
        list of str

        Raises
        ------
        CommandError
            A format spec that does not fit the value; ``{bayesopt.run}`` without `run`.
        """
        if run is None and RUN_FIELD in self.placeholders:
            raise CommandError(f"the command names {{{RUN_FIELD}}}, and this point has no id "
                               "(neither asked nor added by add_pending since 0.8.0)")
        values = {**params, **({} if run is None else {RUN_FIELD: run}),
                  **({} if continues is None else {CONTINUES_FIELD: continues})}
        rendered = (_render(arg, values) for arg in self.argv
                    if all(name in values for name in _fields(arg)))  # inactive: left out
        return [arg for arg in rendered if arg is not None]  # None: a switch left it out


def _conditional(name: str, space: Space) -> str:
    """How an error names the conditional placeholder `name`."""
    if name == CONTINUES_FIELD:
        return f"{{{CONTINUES_FIELD}}} (only a Hyperband promotion continues a run)"
    return f"the conditional dimension {name!r} (when={space[name].when!r})"


def _when(name: str, space: Space) -> Any:
    """The condition under which the placeholder `name` has a value (None: always)."""
    if name == CONTINUES_FIELD:
        return CONTINUES_FIELD
    return None if name == RUN_FIELD else space[name].when


def _check_one_condition(arg: str, conditional: set[str], space: Space) -> None:
    """Refuse an argument whose placeholders are not active together (``{act}-{x}`` with x
    active for one act only): where one of them is inactive the whole argument is left
    out, and the others' values with it."""
    names = sorted(set(_fields(arg)))
    for name in sorted(set(names) & conditional):
        other = next((o for o in names if _when(o, space) != _when(name, space)), None)
        if other is not None:
            raise CommandError(
                f"command argument {arg!r} names {_conditional(name, space)} and "
                f"{other!r}, which is active where {name!r} is not; there the whole argument "
                f"is left out of the command, {other!r}'s value with it: give each in an "
                "argument of its own")


def _did_you_mean(name: str, names: Sequence[str]) -> str:
    """``{X}: did you mean {x}?`` for the dimension nearest a placeholder that names none
    (the same name in another case first, else `difflib`'s closest), or ""."""
    folded = {n.casefold(): n for n in reversed(names)}
    close = difflib.get_close_matches(name.casefold(), list(folded), n=1)
    return f"{{{name}}}: did you mean {{{folded[close[0]]}}}?" if close else ""


class _Field(NamedTuple):
    """One placeholder of an argument: ``{name?switch:spec!conversion}`` (`str.format`'s
    parts, the field split at its first ``?``: a switch's ELSE is its spec)."""

    name: str
    switch: str | None  # TEXT of ``{name?TEXT:ELSE}``; None for a plain placeholder
    spec: str
    conversion: str | None


_NONE = object()  # no choice of a dimension needs a spelling (`_check_spellings`)


def _placeholders(arg: str) -> list[_Field]:
    try:
        parsed = list(_FORMATTER.parse(arg))
    except ValueError as error:
        raise CommandError(
            f"command argument {arg!r}: {error} (write {{{{ and }}}} for literal braces)"
        ) from None
    return [_field(field, spec, conversion) for _, field, spec, conversion in parsed
            if field is not None]


def _field(field: str, spec: str | None, conversion: str | None) -> _Field:
    name, question, switch = field.partition("?")
    return _Field(name, switch if question else None, spec or "", conversion)


def _fields(arg: str) -> list[str]:
    return [field.name for field in _placeholders(arg)]


def _leaving_out(arg: str) -> list[str]:
    """The names of `arg`'s switches without an ELSE: where false, `arg` is left out."""
    return [field.name for field in _placeholders(arg)
            if field.switch is not None and not field.spec]


def _is_bool(value: Any) -> bool:
    """A Python or numpy boolean."""
    return isinstance(value, bool) or getattr(getattr(value, "dtype", None), "kind", "") == "b"


def _no_spelling(arg: str, name: str, value: Any) -> str:
    """The refusal of a plain placeholder whose dimension has the choice `value` (a boolean
    or None), with the forms that say how to write it."""
    if value is None:
        return (f"command argument {arg!r}: {name!r} takes the value None, which has no "
                "command-line spelling (Python's 'None' is a word the program cannot tell "
                "from the string 'None'): make the choice a string the program reads (e.g. "
                f"\"none\") in the space file, or write {{{name}!s}} to pass Python's None")
    flag = "--" + name.replace("_", "-")
    return (f"command argument {arg!r}: {name!r} takes the value {value!r}, which programs "
            "spell differently (Python True, TOML and JSON true; argparse's type=bool reads "
            f"'False' as true): write {{{name}?{flag}}} to pass {flag} only where it is true, "
            f"{{{name}?true:false}} for true or false, {{{name}!s}} for Python's True or False "
            f"(what bayesopt 0.6.0 passed), or {{{name}:d}} for 1 or 0")


def _check_switch(arg: str, field: _Field, choices: list[Any]) -> None:
    """A switch ``{name?TEXT:ELSE}`` names a dimension whose every choice is a boolean,
    with no conversion and no braces in its texts."""
    if not choices or not all(_is_bool(c) for c in choices):
        kind = f"choices {choices!r}" if choices else "no choices"
        raise CommandError(f"command argument {arg!r}: {{{field.name}?...}} switches on a "
                           f"boolean, and {field.name!r} is not a boolean dimension ({kind}); "
                           f"write {{{field.name}}}")
    if field.conversion is not None:
        raise CommandError(f"command argument {arg!r}: a switch takes no conversion "
                           f"(!{field.conversion}): {{{field.name}?TEXT:ELSE}}")
    if "{" in field.spec or "}" in field.spec:
        raise CommandError(f"command argument {arg!r}: a switch's texts hold no placeholder")


def _check_one_switch(arg: str) -> None:
    """Refuse an argument that holds a switch without an ELSE and another placeholder: where
    the switch is false the whole argument is left out, the other value with it."""
    leaving = _leaving_out(arg)
    others = [name for name in _fields(arg) if name not in leaving]
    if leaving and (others or len(_placeholders(arg)) > 1):
        other = others[0] if others else leaving[-1]
        raise CommandError(
            f"command argument {arg!r} holds a switch of {leaving[0]!r} without an ELSE and "
            f"{other!r}: where {leaving[0]!r} is false the whole argument is left out of the "
            f"command, {other!r}'s value with it: give each in an argument of its own")


def _render(arg: str, params: Mapping[str, Any]) -> str | None:
    """Fill one argument; None where a switch without an ELSE leaves it out. Without a
    format spec, format(x, "") is str(x): repr-exact for floats."""
    parts: list[str] = []
    for literal, text, spec, conversion in _FORMATTER.parse(arg):
        parts.append(literal)
        if text is None:
            continue
        field = _field(text, spec, conversion)
        value = params[field.name]
        if field.switch is not None:
            if not _is_bool(value):
                raise CommandError(f"command argument {arg!r}: {field.name}={value!r} is not "
                                   "a boolean, which a switch needs")
            chosen = field.switch if value else field.spec
            if not chosen:
                return None
            parts.append(chosen)
            continue
        try:
            parts.append(format(_FORMATTER.convert_field(value, field.conversion), field.spec))
        except (TypeError, ValueError) as error:
            raise CommandError(
                f"command argument {arg!r}: cannot format {field.name}={value!r} ({error})"
            ) from None
    return "".join(parts)


def _sample_point(space: Space) -> dict[str, Any]:
    """The lowest value of every dimension (first choice of a categorical), each one
    present even where a conditional space would leave it inactive."""
    import numpy as np

    return {**{name: d.decode(np.zeros((1, d.n_columns)))[0]
               for name, d in zip(space.names, space.dimensions)},
            RUN_FIELD: 0, CONTINUES_FIELD: 0}


def check_program(program: str) -> None:
    """Raise `CommandError` unless `program` is an executable file or a command on PATH.

    A program with spaces that names no file is a whole command line given as one
    argument (``-- "python train.py --lr {lr}"``), which no shell splits here: the
    error says to give its words separately.
    """
    if len(program.split()) > 1 and not os.path.exists(program) and not shutil.which(program):
        raise CommandError(
            f"no program is called {program!r}: the command is run without a shell, so give "
            "the program and its arguments as separate words after -- (-- python train.py "
            "--lr {lr}, not -- \"python train.py --lr {lr}\"), or run a shell yourself "
            "(-- sh -c '...')")
    interpreter = (f"name its interpreter first (-- python {program} ..., -- bash {program} "
                   "...)")
    if os.sep in program or (os.altsep is not None and os.altsep in program):
        if os.path.isfile(program) and not os.access(program, os.X_OK):
            raise CommandError(f"{program!r} is not executable: chmod +x it, or {interpreter}")
        if not (os.path.isfile(program) and os.access(program, os.X_OK)):
            raise CommandError(f"{program!r} is not an executable file")
    elif shutil.which(program) is None:
        if os.path.isfile(program):  # a script beside the space file, named without ./
            raise CommandError(f"{program!r} is a file in the working directory, not a program "
                               f"on PATH: {interpreter}, or run it as ./{program} (executable)")
        raise CommandError(f"command not found: {program!r} (not on PATH)")


# -------------------------------------------------------------------- objective
def compile_metric(pattern: str) -> re.Pattern[str]:
    """Compile a ``--metric`` regular expression and check that it has a group for the number.

    Parameters
    ----------
    pattern : str
        A regular expression with one named group, or at least one group.

    Returns
    -------
    re.Pattern

    Raises
    ------
    CommandError
        Not a valid expression, no group, or several named groups.
    """
    try:
        compiled = re.compile(pattern)
    except re.error as error:
        raise CommandError(f"--metric {pattern!r} is not a regular expression: {error}") from None
    if compiled.groups == 0:
        raise CommandError(f"--metric {pattern!r} has no group: put the number in parentheses, "
                           "e.g. 'val_loss: ([0-9.eE+-]+)'")
    if len(compiled.groupindex) > 1:
        raise CommandError(f"--metric {pattern!r} has several named groups "
                           f"{sorted(compiled.groupindex)}; name only the number's")
    return compiled


def parse_objective(stdout: str, metric: re.Pattern[str] | None = None) -> float:
    """The objective value a command printed (see the module docstring).

    Parameters
    ----------
    stdout : str
        The command's standard output.
    metric : re.Pattern, optional
        From `compile_metric`: read the number with it instead of the
        default convention.

    Returns
    -------
    float
        The number of the last ``objective: <number>`` line if there is one,
        else the last line that is a number by itself (with `metric`: its
        group in the last line it matches). It may be nan or inf, which
        `minimize` records as a failed evaluation.

    Raises
    ------
    ValueError
        No objective in the output, or the text found is not a number.
    """
    scanner = _ObjectiveScanner(metric)
    scanner.scan(without_csi(stdout))
    return scanner.value()


class _ObjectiveScanner:
    """The objective of an output read line by line, keeping only the lines that decide it
    (the module docstring's convention): the last ``objective:`` line, the last number
    line, or with a metric the last line it matches."""

    def __init__(self, metric: re.Pattern[str] | None) -> None:
        self.metric = metric
        self._tagged: str | None = None  # what follows the colon of the last objective: line
        self._number: float | None = None  # the last line that is a number
        self._matched: tuple[str, re.Match[str]] | None = None  # the metric's last line
        # the last lines that name the objective without being 'objective: <number>' lines
        # (each clipped, and whether `SUGGESTED_METRIC` reads a number in it)
        self._near: deque[tuple[str, bool]] = deque(maxlen=_NEAR_LINES)

    def scan(self, text: str, cut_first: bool = False) -> None:
        """Take the next whole lines of the output (CSI sequences removed); with `cut_first`,
        the first of them lost its start (`LINE_BYTES`), so only a metric may match it."""
        lines = text.splitlines()
        if self.metric is not None:
            for index in range(len(lines) - 1, -1, -1):
                match = self.metric.search(lines[index])
                if match is not None:
                    self._matched = lines[index], match
                    return
            return
        # a line holds neither unless the text does somewhere (skips pages of progress logs)
        may_tag = _TAG_WORD.search(text) is not None
        number_found = self._tagged is not None or _NUMBER_SIGN.search(text) is None
        if not (may_tag or not number_found):
            return
        if may_tag and self._tagged is None:
            self._near.extend((_clip(line.strip()), _suggestable(line))
                              for index, line in enumerate(lines)
                              if (index or not cut_first) and _TAG_WORD.search(line)
                              and _OBJECTIVE_LINE.match(line) is None)
        for index in range(len(lines) - 1, 0 if cut_first else -1, -1):
            tagged = _OBJECTIVE_LINE.match(lines[index])
            if tagged is not None:
                self._tagged = tagged.group(1).strip()
                return
            if not number_found:
                number = _as_float(lines[index].strip())
                if number is not None:
                    self._number, number_found = number, True

    def value(self) -> float:
        """The objective of the lines scanned; ValueError as `parse_objective` says."""
        if self.metric is not None:
            return self._metric_value(self.metric)
        if self._tagged is not None:
            number = _as_float(self._tagged)
            if number is None:
                raise ValueError(f"the last 'objective:' line holds {self._tagged!r}, "
                                 f"not a number ({_NUMBER_FORM})")
            return number
        if self._number is not None:
            return self._number
        raise ValueError("no objective in the output: print a line 'objective: <number>' "
                         "(or the number alone on a line, last)" + self._near_hint())

    def _near_hint(self) -> str:
        """The lines that name the objective without being read (a prefix, ``=``), and a
        ``--metric`` that reads the last of them, if one does; "" when there are none."""
        if not self._near:
            return ""
        shown = ", ".join(repr(line) for line, _ in self._near)
        hint = (f"; the output names the objective in {shown}, not read: only a line that "
                "is 'objective: <number>' and nothing else is, as text before it may hold "
                "another number")
        if self._near[-1][1]:
            hint += f" (print it alone on its line, or read it with --metric '{SUGGESTED_METRIC}')"
        return hint

    def _metric_value(self, metric: re.Pattern[str]) -> float:
        """The number `metric` captures in the last line it matches."""
        if self._matched is None:
            raise ValueError("no objective in the output: no line matches "
                             f"--metric {metric.pattern!r}")
        line, match = self._matched
        group = next(iter(metric.groupindex), 1)
        text = (match.group(group) or "").strip()
        number = _as_float(text)
        if number is None:
            raise ValueError(f"--metric {metric.pattern!r} captured {text!r} in {line!r}, "
                             f"not a number ({_NUMBER_FORM})")
        return number


class _StreamReader:
    """One output stream of a command, read as it arrives in bounded memory.

    Keeps the last `OUTPUT_TAIL_BYTES` bytes (`text`) and, for standard output, hands
    each complete line to an `_ObjectiveScanner`. Lines end at ``\\n``; a line still
    open beyond `LINE_BYTES` bytes is first split after its last ``\\r`` (a progress
    bar redrawing itself), then cut to its last `LINE_BYTES` bytes. Between reads at most
    ``2 * OUTPUT_TAIL_BYTES + LINE_BYTES`` bytes are held (`retained`).
    Bytes are decoded as UTF-8 (bad ones replaced) a line at a time, which equals
    decoding the whole output: no multi-byte sequence holds a newline byte.
    """

    def __init__(self, scanner: _ObjectiveScanner | None = None,
                 reports: _Reports | None = None) -> None:
        self.scanner = scanner
        self.reports = reports  # report lines, passed on in order (standard output only)
        self.written = 0  # bytes the command wrote to the stream
        self._tail = bytearray()
        self._open = bytearray()  # the current line, not ended yet
        self._open_cut = False  # whether it lost its start

    @property
    def retained(self) -> int:
        """Bytes held now: the tail kept for messages and the line still open."""
        return len(self._tail) + len(self._open)

    @property
    def text(self) -> str:
        """The last `OUTPUT_TAIL_BYTES` bytes written, decoded."""
        return bytes(self._tail[-OUTPUT_TAIL_BYTES:]).decode("utf-8", "replace")

    def feed(self, data: bytes) -> None:
        """Take the next bytes the command wrote."""
        self.written += len(data)
        self._tail += data
        if len(self._tail) > 2 * OUTPUT_TAIL_BYTES:
            del self._tail[:-OUTPUT_TAIL_BYTES]
        if self.scanner is None:
            return
        end = data.rfind(b"\n")
        if end < 0:
            self._open += data
            self._bound_open_line()
            return
        self._scan(bytes(self._open) + data[:end + 1])
        self._open = bytearray(data[end + 1:])
        self._open_cut = False
        self._bound_open_line()

    def close(self) -> None:
        """The stream ended: scan its last line, if it had no newline."""
        if self.scanner is not None and self._open:
            self._scan(bytes(self._open))
            self._open = bytearray()

    def _bound_open_line(self) -> None:
        if len(self._open) <= LINE_BYTES:
            return
        redraw = self._open.rfind(b"\r", 0, len(self._open) - 1)  # never a \r of a \r\n
        if redraw >= 0:
            self._scan(bytes(self._open[:redraw + 1]))
            del self._open[:redraw + 1]
            self._open_cut = False
        if len(self._open) > LINE_BYTES:
            del self._open[:-LINE_BYTES]
            self._open_cut = True

    def _scan(self, data: bytes) -> None:
        assert self.scanner is not None, "only a stream with a scanner keeps lines"
        text = without_csi(data.decode("utf-8", "replace"))
        if self.reports is not None:
            self.reports.scan(text, self._open_cut)
        self.scanner.scan(text, self._open_cut)
        self._open_cut = False


class _Reports:
    """The ``report: <step> <value>`` lines of one run, each passed to `Optimizer.report`
    as it arrives (module docstring); `kill` stops the command's process group when the
    rule says stop (`stopped`: the step and value it stopped at) or when a line cannot be
    reported (`error`: why, naming the line). Lines after either are not read."""

    def __init__(self, opt: Optimizer | None, params: Mapping[str, Any], run: int | None,
                 kill: Callable[[], None]) -> None:
        self.kill = kill
        self.stopped: tuple[float, float] | None = None
        self.error: str | None = None
        # a run evaluated again after its process was killed (a resumed journal or study)
        # keeps the reports that attempt recorded: the command, started over, prints
        # those steps again, and only the steps after them are reported; one the rule
        # had stopped is stopped again at that step (`bayesopt.runs.RunReports`)
        self.reports = None if opt is None else RunReports(opt, dict(params), run)

    def scan(self, text: str, cut_first: bool = False) -> None:
        """Take the next whole lines of the output (CSI sequences removed)."""
        if _REPORT_WORD.search(text) is None:  # skips pages of progress logs
            return
        for index, line in enumerate(text.splitlines()):
            if self.stopped is not None or self.error is not None:
                return
            match = _REPORT_LINE.match(line)
            if match is not None and not (cut_first and index == 0):
                self._report(line.strip(), match.group(1).split())

    def _report(self, line: str, words: list[str]) -> None:
        numbers = [_as_float(word) for word in words]
        if len(numbers) != 2 or None in numbers:
            self._fail(f"report line {line!r} is not 'report: <step> <value>' (two numbers: "
                       f"{_NUMBER_FORM})")
            return
        if self.reports is None:
            self._fail(f"report line {line!r}: no run is attached to report to")
            return
        step, value = numbers
        assert step is not None and value is not None
        try:
            stop = self.reports.report(step, value)
        except (TypeError, ValueError) as error:
            self._fail(f"report line {line!r}: {error}")
            return
        if stop:  # told at this step: "pruned" there (at a killed attempt's step, again)
            self.stopped = (step, value)
            self.kill()

    def _fail(self, reason: str) -> None:
        self.error = reason
        self.kill()


def _objective_on_stderr(reason: str, stderr: str, metric: re.Pattern[str] | None) -> str:
    """When standard output has no objective and standard error has (a script that logs it:
    Python's `logging` writes to standard error) in its last lines, the hint saying so;
    else "". Without a metric, an ``objective: <number>`` at the end of a longer line
    (behind a logging format's prefix, ``INFO:root:``) counts too."""
    if not reason.startswith("no objective"):
        return ""
    for line in reversed(stderr.splitlines()[-_STDERR_HINT_LINES:]):
        try:
            parse_objective(line, metric)
        except ValueError:
            inside = None if metric is not None else _OBJECTIVE_INSIDE.search(line)
            if inside is None or _as_float(inside.group(1)) is None:
                continue
            return (f"; standard error has one inside a longer line ({line.strip()!r}): print "
                    f"'objective: {inside.group(1)}' as a line of its own to standard output")
        return f"; standard error has one ({line.strip()!r}): print it to standard output"
    return ""


def _suggestable(line: str) -> bool:
    """Whether `SUGGESTED_METRIC` reads a number in `line`, as ``--metric`` would."""
    match = re.search(SUGGESTED_METRIC, line)
    return match is not None and _as_float(match.group(1).strip()) is not None


def _clip(line: str) -> str:
    """A line shown in a message: its last `_NEAR_CHARS` characters (where a number is)."""
    return line if len(line) <= _NEAR_CHARS else "…" + line[-(_NEAR_CHARS - 1):]


def _as_float(text: str) -> float | None:
    """The number `text` is, by `NUMBER` (not `float`'s wider rule); None if it is none."""
    return float(text) if NUMBER.fullmatch(text) else None


class CommandObjective(AttachedObjective):
    """Runs the command for one point and returns the objective it printed.

    Holds a lock and the running processes, so it is meant for the calling
    thread or a `ThreadPoolExecutor` (each thread waits on one subprocess),
    never for a process pool. `minimize` attaches the optimizer of its run
    (`attach`), which names each run for ``{bayesopt.run}`` and
    ``{bayesopt.continues}``.

    Parameters
    ----------
    template : CommandTemplate
        The command, with placeholders.
    timeout : float, optional
        Seconds an evaluation may run; then its process group is killed and
        the evaluation is failed.
    metric : re.Pattern, optional
        Read the objective with this expression (`compile_metric`).
    """

    def __init__(self, template: CommandTemplate, timeout: float | None = None,
                 metric: re.Pattern[str] | None = None) -> None:
        self.template = template
        self.timeout = timeout
        self.metric = metric
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen[bytes]] = set()
        self._stopped = False
        self._optimizer: Optimizer | None = None

    def attach(self, opt: Optimizer | None) -> None:
        """Name runs with `opt`'s ids from now on (None: no optimizer)."""
        self._optimizer = opt

    def _argv(self, params: dict[str, Any], run: int | None) -> list[str]:
        """The command for `params`, with the ids of the run `run` (of its params' pending
        run for None: `evaluate`) if it names them."""
        if not self.template.names_runs:
            return self.template.render(params)
        if self._optimizer is None:
            raise CommandError(f"the command names the run ({{{RUN_FIELD}}} or "
                               f"{{{CONTINUES_FIELD}}}) and no run is attached: call it "
                               "through minimize")
        run, continues = self._optimizer.run_ids(params, run=run)
        return self.template.render(params, run, continues)

    def __call__(self, params: dict[str, Any]) -> float:
        """Run the command for `params`, as its pending run (`evaluate` with run None)."""
        return self.evaluate(params, None)

    def evaluate(self, params: dict[str, Any], run: int | None) -> float:
        """Run the command for `params` as the run `run`: its ids name that run, and its
        report lines report on it (`Optimizer.report`'s ``run=``), so that with two runs
        of the same params in flight (one timed out and asked again, or two workers) each
        command's names and reports are its own run's. `minimize` passes the run it
        dispatched; None names the pending run of `params` (`Optimizer.run_ids`).

        Parameters
        ----------
        params : dict
            A point of the space.
        run : int or None
            The run's id (`Optimizer.run_ids`), or None.

        Returns
        -------
        float
            The objective printed by the command.

        Raises
        ------
        EvaluationError
            Non-zero exit status, timeout, or no objective in the output.
        """
        returncode, stdout, stderr, reports = self._execute(params, run)
        if reports.error is not None:
            raise EvaluationError(reports.error, stderr.text, stderr_bytes=stderr.written)
        if reports.stopped is not None:  # told at its last report: recorded "pruned"
            return reports.stopped[1]
        if returncode != 0:
            raise EvaluationError(f"the command {_exit_reason(returncode)}", stderr.text,
                                  stderr_bytes=stderr.written)
        assert stdout.scanner is not None, "standard output is scanned (_execute)"
        try:
            return stdout.scanner.value()
        except ValueError as error:
            hint = _objective_on_stderr(str(error), stderr.text, self.metric)
            raise EvaluationError(str(error) + hint, stderr.text, stdout.text,
                                  stderr_bytes=stderr.written,
                                  stdout_bytes=stdout.written) from None

    def stop(self) -> None:
        """Kill the process group of every running command and start no new one."""
        with self._lock:
            self._stopped = True
            running = list(self._running)
        for process in running:
            _kill_if_running(process)

    def _start(self, argv: list[str]) -> subprocess.Popen[bytes]:
        with self._lock:  # held across Popen, so `stop` cannot miss a process being started
            if self._stopped:
                raise EvaluationError("not started: the run is stopping", "")
            process = subprocess.Popen(
                _tethered(argv), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, start_new_session=True,
            )
            self._running.add(process)
        return process

    def _execute(self, params: dict[str, Any], run: int | None
                 ) -> tuple[int, _StreamReader, _StreamReader, _Reports]:
        """(exit status, stdout, stderr, its reports) of one run; the process group dies
        with a timeout, or when a report stops it."""
        process = self._start(self._argv(params, run))
        reports = _Reports(self._optimizer, params, run, lambda: _kill_if_running(process))
        stdout = _StreamReader(_ObjectiveScanner(self.metric), reports)
        stderr = _StreamReader()
        try:
            timed_out = _collect(process, self.timeout, stdout, stderr)
        except BaseException:  # interrupted while waiting (KeyboardInterrupt)
            _kill_if_running(process)
            process.wait()
            raise
        finally:
            for stream in (process.stdout, process.stderr):
                if stream is not None:
                    stream.close()
            with self._lock:
                self._running.discard(process)
        if timed_out and reports.stopped is None and reports.error is None:
            raise EvaluationTimeout(
                f"timed out after {self.timeout:g} s (its process group was killed)",
                stderr.text, stderr_bytes=stderr.written)
        return process.returncode, stdout, stderr, reports


def _tethered(argv: list[str]) -> list[str]:
    """argv run so that its process group dies with this process, `kill -9` included
    (`bayesopt.tether`, Linux); elsewhere argv itself (README, Command line)."""
    if not sys.platform.startswith("linux"):
        return argv
    return [sys.executable, "-I", "-S", _TETHER, str(os.getpid()), *argv]


def _collect(process: subprocess.Popen[bytes], timeout: float | None,
             stdout: _StreamReader, stderr: _StreamReader) -> bool:
    """Read a started command's output into `stdout` and `stderr`; whether it timed out.

    Its output is read until both pipes have ended, but for at most `_DRAIN_SECONDS` once
    the command and every process of its group have exited: a background process started
    in a session of its own (a server, a logger) inherits the pipes and may hold them open
    for ever, and whatever the command's processes wrote is in the pipes when they have all
    exited. After `timeout` seconds the command's process group is killed and what it wrote
    is drained the same way.
    """
    readers: dict[int, _StreamReader] = {}
    deadline = None if timeout is None else time.monotonic() + timeout
    drain_until: float | None = None  # set once the command has exited or been killed
    timed_out = False
    with selectors.DefaultSelector() as selector:
        for stream, reader in ((process.stdout, stdout), (process.stderr, stderr)):
            assert stream is not None, "started with stdout=PIPE, stderr=PIPE"
            selector.register(stream, selectors.EVENT_READ)
            readers[stream.fileno()] = reader
        while selector.get_map():
            now = time.monotonic()
            if drain_until is None and process.poll() is not None and not _group_alive(process):
                drain_until = now + _DRAIN_SECONDS
            elif drain_until is None and deadline is not None and now >= deadline:
                _kill_group(process)  # running, or its group is: the group id is still taken
                timed_out, drain_until = True, now + _DRAIN_SECONDS
            if drain_until is not None and now >= drain_until:
                break  # the pipes are held by a process that left the command's group
            wait = _POLL_SECONDS if drain_until is None else drain_until - now
            if drain_until is None and deadline is not None:
                wait = min(wait, deadline - now)
            for key, _ in selector.select(max(wait, 0.0)):
                data = os.read(key.fd, _READ_BYTES)
                if data:
                    readers[key.fd].feed(data)
                else:  # end of file
                    selector.unregister(key.fileobj)
    if drain_until is None:  # both pipes ended while the command runs on
        try:
            process.wait(None if deadline is None else max(deadline - time.monotonic(), 0.0))
        except subprocess.TimeoutExpired:
            _kill_group(process)
            timed_out = True
    process.wait()
    stdout.close()
    stderr.close()
    return timed_out


def _group_alive(process: subprocess.Popen[bytes]) -> bool:
    """Whether a process of the command's group (its id is the command's pid) still runs."""
    if not hasattr(os, "killpg"):  # pragma: no cover - Windows: no process groups of this kind
        return False
    try:
        os.killpg(process.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # a member that changed its user: alive
        pass
    return True


def _kill_if_running(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the process group of a command that runs, or that has exited and left a
    process in its group (whose output `_collect` still reads)."""
    if process.returncode is None or _group_alive(process):
        _kill_group(process)


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the process group of a command that has not been reaped, or whose group still
    has a member (either way the group id is still the command's)."""
    try:
        if hasattr(os, "killpg"):
            os.killpg(process.pid, signal.SIGKILL)  # start_new_session: pgid == pid
        else:  # pragma: no cover - Windows has no process groups of this kind
            process.kill()
    except ProcessLookupError:
        pass


def _exit_reason(returncode: int) -> str:
    if returncode >= 0:
        return f"exited with status {returncode}"
    try:
        return f"was killed by signal {signal.Signals(-returncode).name}"
    except ValueError:
        return f"was killed by signal {-returncode}"

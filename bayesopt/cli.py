"""The ``bayesopt`` command line: tune any program, then inspect its journal.

    bayesopt run --space space.toml --n-calls 50 --journal tune.jsonl -- python train.py --lr {lr}
    bayesopt show tune.jsonl
    bayesopt plot tune.jsonl -o convergence.png
    bayesopt run --space space.toml --n-calls 200 --storage sqlite:///tune.db --study s -- ...
    bayesopt show --storage sqlite:///tune.db --study s
    bayesopt studies --storage sqlite:///tune.db
    bayesopt delete-study --storage sqlite:///tune.db --study s

A shared study (``--storage URL --study NAME``, `bayesopt.storage`) lets the
same ``bayesopt run`` command started on several machines cooperate: each
copy asks under the study's lock with the others' points pending, and
``--n-calls`` is the study's total, so the copies together start exactly that
many evaluations and each stops when none is left to start.
    bayesopt demo

``run`` evaluates the command once per point, with every ``{name}``
placeholder replaced by the value of that dimension, and reads the objective
from what the command prints: `bayesopt.command` states the template rules
and the objective convention (both are shown by ``bayesopt run --help``).

A non-zero exit status, a run longer than ``--timeout`` seconds (its whole
process group is killed) or an output with no objective is a *failed
evaluation*: it is kept in the history and the journal with the reason and
the last 20 lines of the command's standard error (``bayesopt show --failed``
prints them), and the run goes on. A command that keeps failing is broken:
after ``--max-consecutive-failures`` failures in a row (5; 0 never stops),
timeouts and a printed ``nan`` or ``inf`` excepted, the run stops and prints the first
failure's reason and standard error.

Exit status: 0 when the run finished (1 if every evaluation failed or the
run stopped for failures), 2 for a usage or input error (nothing was run),
130 after Ctrl-C (running commands are killed, the journal stays valid, and
the same command line resumes it); SIGTERM and SIGHUP (the terminal or ssh
session closed) stop it the same way, with 143 and 129.

Only the standard library is imported until a subcommand needs more, so
``bayesopt --help`` answers without loading numba.

Printed text: what a command wrote, a categorical choice or a recorded command is
stored text, and it never drives the terminal that ``show``, ``run`` or ``studies``
print to (a crashed script's colour codes, ``\\r`` redraws, backspaces, a terminal
title's ``ESC ]`` sequence). Every line passes `_shown`: every character that is not
printable is written as its Python escape (``\\r``, ``\\x08``, ``\\x1b``,
``\\u202e``); a program's output (a failure's reason) has its ANSI CSI sequences
(colours, cursor moves) removed first, as the objective reader removes them, and keeps
its newlines and tabs, while one field of a line (a table's cell, a choice, a recorded
command) is a value, escaped whole. The rule is the same into a pipe or a file, which
a terminal shows later (``less -R``, ``cat``), so the output does not depend on where
it goes. The escapes are for reading, not reversible (a backslash is not doubled).
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import hashlib
import json
import math
import os
import re
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bayesopt import command
from bayesopt.argtypes import (
    finite_float,
    nonnegative_float,
    nonnegative_int,
    positive_float,
    positive_int,
)
from bayesopt.command import (
    CommandError,
    CommandObjective,
    CommandTemplate,
    EvaluationError,
    check_program,
    compile_metric,
    same_command,
    shell_join,
    without_csi,
)
from bayesopt.failures import (
    DEFAULT_MAX_CONSECUTIVE_FAILURES,
    EvaluationFailedWarning,
    TooManyFailuresError,
)
from bayesopt.storage import codec

if TYPE_CHECKING:
    from bayesopt.events import RunCommand
    from bayesopt.model import SurrogateModel
    from bayesopt.optimizer import Optimizer
    from bayesopt.result import Observation, OptimizeResult
    from bayesopt.space import Space
    from bayesopt.state import TimedOut
    from bayesopt.study import StudyDeletedError

__all__ = [
    "CommandLineError",
    "JournalRecord",
    "format_table",
    "load_space",
    "main",
    "read_record",
]

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143  # 128 + SIGTERM
EXIT_HANGUP = 129  # 128 + SIGHUP
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: what a reader closing the pipe does to a C tool
EXIT_STATUS_HELP = ("Exit status: 0 done; 2 a usage or input error, printed as 'bayesopt: "
                    "error: ...' (nothing was run or changed); 1 the output could not be "
                    "written (a full disk); 141 its reader closed the pipe (| head).")
MAX_DPI = 2400  # plot --dpi: a 6.4 x 4 inch figure is then 15360 x 9600 pixels, 590 MB
_OUTPUT_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO})  # writing stdout
# Spelled out, not imported: importing bayesopt.optimizer or kernels loads numba,
# which `bayesopt --help` must not pay for (tests/test_cli.py checks they agree).
ACQUISITIONS = ("logei", "ei", "pi", "ucb", "logei_per_cost", "hedge", "mace", "lognei",
                "logaei")
KERNELS = ("matern52", "matern32", "matern12", "rbf")


class CommandLineError(Exception):
    """Bad input to the command line; printed as ``bayesopt: error: ...`` with exit status 2."""


# ------------------------------------------------------------------ space file
def load_space(path: str | os.PathLike[str]) -> Space:
    """Read and validate a space file: TOML, or JSON when the name ends in ``.json``.

    One table per dimension, with the keys of `bayesopt.space.dimension_from_dict`::

        [lr]
        type = "real"          # real | integer | categorical | fidelity
        low = 1e-4
        high = 1e-1
        log = true

        [units]
        type = "integer"
        low = 32
        high = 512
        step = 32              # only 32, 64, ..., 512 (a real takes a step too)

        [gamma]                # a conditional dimension: active only when kernel is "rbf"
        type = "real"
        low = 1e-4
        high = 1.0
        when = { kernel = "rbf" }

    Parameters
    ----------
    path : str or path
        The space file.

    Returns
    -------
    Space

    Raises
    ------
    CommandLineError
        The file cannot be read or parsed, or a dimension is invalid; the
        message names the file and the dimension.
    """
    from bayesopt.space import Space

    definition = _read_space_file(Path(path))
    try:
        return Space.from_dict(definition)
    except (TypeError, ValueError) as error:
        raise CommandLineError(f"space file {str(path)!r}: {error}") from None


def _read_space_file(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8-sig")  # a byte order mark (Notepad's) is dropped
    except (OSError, UnicodeDecodeError) as error:
        raise CommandLineError(f"cannot read the space file {str(path)!r}: {error}") from None
    is_json = path.suffix.lower() == ".json"
    try:
        if is_json:
            return codec.loads(text, object_pairs_hook=lambda pairs: _unique_keys(path, pairs))
        return _toml_module().loads(text)  # TOML refuses a key defined twice itself
    except RecursionError:  # tomllib recurses into nested arrays and inline tables
        raise CommandLineError(f"space file {str(path)!r} is not valid TOML: arrays or "
                               "tables nested too deeply to be read") from None
    except ValueError as error:  # JSONDecodeError and TOMLDecodeError are ValueErrors
        kind = "JSON" if is_json else "TOML"
        raise CommandLineError(f"space file {str(path)!r} is not valid {kind}: {error}") from None


def _unique_keys(path: Path, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object of the space file as a dict, refusing a key given twice (`json.loads`
    would keep the last without a word: a dimension defined twice, or a bound)."""
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise CommandLineError(f"space file {str(path)!r}: the key {key!r} appears twice in "
                                   "one object; give each dimension, and each of its keys, once")
        seen[key] = value
    return seen


def _toml_module() -> Any:
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib
    else:  # an else branch, so that mypy skips it on 3.11+
        try:
            import tomli
        except ImportError:
            raise CommandLineError(
                "reading a TOML space file on Python 3.10 needs tomli (pip install tomli); "
                "or write the space as JSON (a file ending in .json)"
            ) from None
        return tomli


# ---------------------------------------------------------------- journal, read-only
@dataclass(frozen=True)
class JournalRecord:
    """What a journal holds, read without writing to it.

    Attributes
    ----------
    space : Space
    maximize : bool
    config : dict
        The optimizer settings of the journal's (or study's) header: the creator's,
        its seed (None in a header without one) among them.
    history : tuple of Observation
        Every evaluation, in order.
    n_pending : int
        Points asked and never told that are still running: a point that has timed out
        (``pending_timeout``) is in `timed_out` instead.
    model : SurrogateModel or None
        The surrogate as it was after the last evaluation, where the caller has it (a
        run's own result); None before the first fit, and from `read_record` and
        `read_study_record`, which read the history without fitting a surrogate (a fit
        takes time cubic and memory quadratic in the number of evaluations, and
        ``show``, ``plot`` and ``run`` need the history only).
    fingerprint : str or None
        The header's `Optimizer.fingerprint` of the settings that chose the
        points (None in a header without one: written before 0.2.0, or no header).
    timed_out : tuple of TimedOut
        Points asked and never told whose worker has been silent for more than
        `pending_timeout` seconds when the record was read: an ask then no longer
        counts them (`Optimizer.pending_status`), and `show` lists them as expired.
    pending_timeout : float or None
        The timeout that judged them (None: nothing times out).
    command : dict or None
        The header's record of the ``bayesopt run`` that created the journal or study:
        "argv" (the command after ``--``), "space_file" and "space_sha256"
        (`bayesopt.study.recording_command`), and since 0.7.0 "cwd", its working
        directory; None in a header without one (written before 0.6.0, or from Python).
    other_commands : tuple of (RunCommand, int)
        Each other command (or directory) that told evaluations, as the tells and failures
        it stored record it (`bayesopt.events.RunCommand`; ``--allow-other-command``, a run
        in another directory, a run continuing a header without a command), with how many
        evaluations it told, in order of first appearance.
    """

    space: Space
    maximize: bool
    config: dict[str, Any]
    history: tuple[Observation, ...]
    n_pending: int
    model: SurrogateModel | None = field(default=None, repr=False, compare=False)
    fingerprint: str | None = None
    timed_out: tuple[TimedOut, ...] = ()
    pending_timeout: float | None = None
    command: Mapping[str, Any] | None = None
    other_commands: tuple[tuple[RunCommand, int], ...] = ()

    @property
    def n_failed(self) -> int:
        """Number of failed evaluations (pruned runs are not failures)."""
        return sum(o.failed for o in self.history)

    def result(self) -> OptimizeResult:
        """The record as an `OptimizeResult` (what `Optimizer.result` gives), e.g. for plots."""
        from bayesopt.result import OptimizeResult

        return OptimizeResult.from_history(self.history, self.space, self.maximize, self.model,
                                           seed=self.config.get("seed"),
                                           fingerprint=self.fingerprint)


def read_record(path: str | os.PathLike[str], now: float | None = None) -> JournalRecord:
    """Read a journal without appending to it or truncating it.

    The journal may belong to a run still in progress, so it is only read
    (``Optimizer.resume(path, append=False)``); a torn last line is skipped
    with the journal's `TruncatedJournalWarning` and left in the file.

    Parameters
    ----------
    path : str or path
        A journal written by ``bayesopt run`` or ``Optimizer(journal=...)``.
    now : float, optional
        The time (seconds since the epoch) at which pending points are judged under
        the journal's ``pending_timeout`` (`JournalRecord.timed_out`); default the clock.

    Returns
    -------
    JournalRecord

    Raises
    ------
    CommandLineError
        The file cannot be read or is not a valid journal.
    """
    return _read_record(path, now)[0]


def _read_record(path: str | os.PathLike[str], now: float | None = None,
                 space: Space | None = None) -> tuple[JournalRecord, Optimizer]:
    """`read_record`, with the replay it was read from: of the journal's space (choices JSON
    cannot carry, such as classes, shown by their stored repr), or of `space` if given, and
    with the input constraints the journal records."""
    from bayesopt.feasibility import recorded_constraints
    from bayesopt.journal import TruncatedJournalWarning, read_header, space_from_json
    from bayesopt.optimizer import Optimizer

    _refuse_sqlite(path)
    try:
        header = read_header(path)  # the events are parsed once, by the replay
        if space is None:
            space = space_from_json(header["space"], lossy=True, version=header["version"])
        with warnings.catch_warnings():  # read_header already warned about a torn line
            warnings.simplefilter("ignore", TruncatedJournalWarning)
            opt = Optimizer.resume(path, space=space, append=False,
                                   feasible=recorded_constraints(header["config"].get("feasible")))
    except (OSError, ValueError) as error:  # JournalError, or a malformed record
        raise CommandLineError(f"cannot read the journal {str(path)!r}: {error}") from None
    return _record(opt, opt.config, header, now, _other_commands(_command_records(path))), opt


def _command_records(path: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """The journal's event records that may name a command: only lines holding the word
    "command" are parsed (the replay parsed every line already, and refused a malformed
    one; a torn last line, which it warned about, is skipped here)."""
    with open(path, "rb") as file:
        next(file, None)  # the header
        for line in file:
            if b'"command"' in line:
                try:
                    yield json.loads(line)
                except ValueError:
                    continue


def _other_commands(records: Iterable[Mapping[str, Any]]) -> tuple[tuple[RunCommand, int], ...]:
    """Each command a tell or failure record names (`bayesopt.events.RunCommand`: not the
    header's), with the number of points it told, in order of first appearance."""
    from bayesopt.events import RunCommand

    counts: dict[RunCommand, int] = {}
    for record in records:
        if record.get("event") in ("tell", "failure") and record.get("command") is not None:
            command = RunCommand.from_dict(record["command"], record["event"])
            counts[command] = counts.get(command, 0) + len(record["points"])
    return tuple(counts.items())


def _refuse_sqlite(path: str | os.PathLike[str]) -> None:
    """An SQLite database named where a journal is expected (``show FILE``, ``run --journal
    FILE``) is refused with the options that read it, before it is read as JSON lines."""
    from bayesopt.storage import is_sqlite_file

    if is_sqlite_file(path):
        url = f"sqlite:///{os.fspath(path)}"
        raise CommandLineError(f"{os.fspath(path)!r} is an SQLite database, not a journal: give "
                               f"--storage {url} --study NAME (`bayesopt studies --storage "
                               f"{url}` lists its studies)")


def _record(opt: Optimizer, config: dict[str, Any], header: Mapping[str, Any],
            now: float | None, other_commands: tuple[tuple[RunCommand, int], ...] = ()
            ) -> JournalRecord:
    """The record of an optimizer's history and pending points, read without fitting its
    surrogate (`JournalRecord.model` is None); pending points judged at `now`."""
    status = opt.pending_status(now)
    return JournalRecord(opt.space, opt.maximize, config, tuple(opt.history),
                         len(status.running), None, header.get("fingerprint"),
                         status.timed_out, opt.pending_timeout, header.get("command"),
                         other_commands)


def read_study_record(url: str, study: str, pending_timeout: float | None = None,
                      now: float | None = None) -> JournalRecord:
    """Read a shared study (``--storage URL --study NAME``) without writing to it.

    The record's settings (`JournalRecord.config`, its seed among them) are those of the
    study's header, the creator's: the optimizer attached here only to read the events
    has settings (and a drawn seed) of its own, which chose none of the points.

    Pending points are judged at `now` (default the clock) under `pending_timeout`, as an
    ask of a worker with that timeout would judge them (`JournalRecord.timed_out`); by
    default the header's, the creator's (each worker has its own: ``bayesopt run
    --pending-timeout``, which each ask of that worker records, and `TimedOut.worker_timeout`
    gives for each expired point of that worker).

    Raises
    ------
    CommandLineError
        The storage cannot be opened, or holds no study of that name.
    """
    from bayesopt.feasibility import recorded_constraints
    from bayesopt.journal import space_from_json
    from bayesopt.optimizer import Optimizer
    from bayesopt.storage import open_storage
    from bayesopt.study import read_pages

    try:
        storage = open_storage(url, create=False)  # a misspelt database is not created
        try:
            if study not in storage.studies():
                raise CommandLineError(f"{url} holds no study {study!r} "
                                       f"(its studies: {sorted(storage.studies())})")
            header = storage.create_or_attach(study, {})  # exists: the stored header
            others = _other_commands(record for page in read_pages(storage, study, url)
                                     for record in page)
        finally:
            storage.close()
        space = space_from_json(header["space"], lossy=True)
        timeout = (header["config"].get("pending_timeout") if pending_timeout is None
                   else pending_timeout)
        opt = Optimizer(space, storage=url, study=study, maximize=header["config"]["maximize"],
                        n_constraints=header["config"].get("n_constraints"),
                        feasible=recorded_constraints(header["config"].get("feasible")),
                        pending_timeout=timeout)
    except (OSError, ValueError) as error:  # JournalError, or a malformed record
        raise CommandLineError(f"cannot read the study {study!r} in {url}: {error}") from None
    try:
        return _record(opt, dict(header["config"]), header, now, others)
    finally:
        opt.close()


def _read(args: argparse.Namespace) -> tuple[str, JournalRecord]:
    """(name, record) of what ``show``/``plot`` look at: a journal, or a shared study."""
    source = _source(args, "JOURNAL")
    timeout = getattr(args, "pending_timeout", None)  # show's option
    journal = source if args.storage is None else _journal_path(args.storage, args.study)
    if journal is not None:  # `studies` lists a journal of --storage as one study
        if timeout is not None:
            needs = "--storage" if args.storage is None else "a shared study, not a journal"
            raise CommandLineError(f"--pending-timeout needs {needs} (a journal's own "
                                   "pending_timeout, recorded in it, judges its points)")
        return source, read_record(journal)
    return source, read_study_record(args.storage, args.study, timeout)


def _source(args: argparse.Namespace, journal_flag: str) -> str:
    """Check that exactly one of a journal and --storage/--study is given; name it."""
    if (args.storage is None) != (args.study is None):
        given, missing = ("--storage", "--study") if args.study is None else ("--study",
                                                                               "--storage")
        raise CommandLineError(f"{given} needs {missing}")
    if args.storage is not None and args.journal is not None:
        raise CommandLineError(f"give {journal_flag} or --storage/--study, not both")
    if args.storage is None and args.journal is None and journal_flag == "JOURNAL":
        raise CommandLineError("give a JOURNAL file, or --storage URL --study NAME")
    if args.storage is not None:
        return f"the study {args.study!r} in {args.storage}"
    return str(args.journal)


def _show_hint(args: argparse.Namespace) -> str:
    if args.storage is not None:
        return f"bayesopt show --storage {args.storage} --study {args.study}"
    return f"bayesopt show {args.journal}"


# ------------------------------------------------------------------------- table
SHOW_COLUMNS = ("rank", "value", "feasible", "index", "run", "continues")  # `format_table`'s


def format_table(record: JournalRecord, top: int = 10) -> str:
    """The best successful evaluations as an aligned text table: the runs that compete
    for the best first (`bayesopt.result.judged`: with a Fidelity those at its highest
    budget, under outcome constraints the feasible ones), then the others, by value.

    Parameters
    ----------
    record : JournalRecord
        The evaluations.
    top : int
        Rows to show at most.

    Returns
    -------
    str
        One header line and up to `top` rows: rank, value, one column per
        dimension (named as it, or every one prefixed "params_" when one is named like
        a column of `SHOW_COLUMNS`: `bayesopt.export.parameter_columns`), "feasible"
        (with outcome constraints: yes when every c ≤ 0),
        the evaluation's index in the history (0-based) and its run id
        (`Observation.run`, what ``{bayesopt.run}`` named its checkpoints by;
        "-" for a point told without being asked), and, with a Fidelity, "continues":
        the run id of the run a promotion continues (`Observation.continues`' run, what
        ``{bayesopt.continues}`` gave it; "-" for a run that continues none).
    """
    from bayesopt.export import parameter_columns
    from bayesopt.result import judged
    from bayesopt.space import Categorical

    ok = [o for o in record.history if o.ok]
    sign = -1.0 if record.maximize else 1.0
    ok.sort(key=lambda o: (not judged(o, record.space), sign * o.value, o.index))  # type: ignore[operator]
    constrained = any(o.constraints is not None for o in ok)
    fidelity = record.space.fidelity is not None
    names = parameter_columns(record.space.names, SHOW_COLUMNS.__contains__)
    rows = [["rank", "value", *names, *(["feasible"] if constrained else []),
             "index", "run", *(["continues"] if fidelity else [])]]
    for rank, obs in enumerate(ok[:top], 1):
        cells = [_cell(obs.params[name]) if name in obs.params else "-"  # "-": inactive
                 for name in record.space.names]
        feasible = [("yes" if obs.feasible else "no")] if constrained else []
        continues = [_continued_run(record, obs)] if fidelity else []
        rows.append([str(rank), f"{obs.value:.6g}", *cells, *feasible, str(obs.index),
                     _run_id(obs), *continues])
    left = [False, False, *(isinstance(d, Categorical) for d in record.space.dimensions),
            *([True] if constrained else []), False, False, *([False] if fidelity else [])]
    return _aligned(rows, left)


def _run_id(obs: Observation) -> str:
    return "-" if obs.run is None else str(obs.run)


def _continued_run(record: JournalRecord, obs: Observation) -> str:
    """The run id of the run `obs` continues ("-": none), as ``{bayesopt.continues}`` gave
    it: `Observation.continues` is that run's index in the history."""
    return "-" if obs.continues is None else _run_id(record.history[obs.continues])


def _aligned(rows: list[list[str]], left: Sequence[bool]) -> str:
    """`rows` as lines of columns two spaces apart, each as wide as its widest cell;
    the columns where `left` is True flush left, the others flush right."""
    widths = [max(len(row[c]) for row in rows) for c in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(w) if is_left else cell.rjust(w)
                  for cell, w, is_left in zip(row, widths, left)).rstrip()
        for row in rows
    )


def _cell(value: Any) -> str:
    return f"{value:.6g}" if isinstance(value, float) else _shown(str(value), one_line=True)


def _counts(record: JournalRecord) -> str:
    n = len(record.history)
    ok = sum(o.ok for o in record.history)
    pruned = n - ok - record.n_failed
    text = f"{n} evaluation{'s' if n != 1 else ''} ({ok} ok, "
    text += f"{pruned} pruned, " if pruned else ""
    text += f"{record.n_failed} failed"
    if any(o.constraints is not None for o in record.history):  # as the notebook's summary
        text += f", {sum(o.ok and not o.feasible for o in record.history)} infeasible"
    text += f", {record.n_pending} pending" if record.n_pending else ""
    text += f", {len(record.timed_out)} expired" if record.timed_out else ""
    return text + ")" + (", maximizing" if record.maximize else ", minimizing")


def _expired_lines(record: JournalRecord) -> list[str]:
    """Each expired point: claimed and silent for more than the timeout (`TimedOut`)."""
    if not record.timed_out:
        return []
    head = (f"expired (claimed, no sign of life for more than pending_timeout="
            f"{record.pending_timeout:g} s; an ask no longer counts them, a late tell is "
            "still recorded):")
    lines = [head]
    for point in record.timed_out:
        params = " ".join(f"{name}={_cell(value)}" for name, value in point.params.items())
        since = datetime.fromtimestamp(point.last_seen, timezone.utc)
        worker = "" if point.worker is None else f" by worker {point.worker}"
        if point.worker_timeout is not None:
            worker += f" (its own pending_timeout={point.worker_timeout:g} s)"
        lines.append(f"  {params}: claimed{worker}, no sign of life since "
                     f"{since:%Y-%m-%d %H:%M:%S} UTC")
    return lines


def _best_line(record: JournalRecord) -> str:
    result = record.result()
    best = result.best
    if best is None:
        return _no_best(result)
    exact = " ".join(f"{name}={_shown(format(value, ''), one_line=True)}"
                     for name, value in best.params.items())
    if record.command is None and not record.other_commands:  # written from Python
        return f"best (exact values): {exact}"
    return f"best (exact values, as given to the command): {exact}"


def _no_best(result: OptimizeResult) -> str:
    """Why a result with successful evaluations has no best (`bayesopt.result.judged`)."""
    fidelity = result.space.fidelity
    if fidelity is not None and not any(
            o.ok and o.params[fidelity.name] == fidelity.high for o in result.history):  # type: ignore[index]
        return f"no run at the highest budget {fidelity.name}={fidelity.high} yet: none is the best"
    return "no evaluation satisfies the outcome constraints yet: none is the best"


def _succeeded(result: OptimizeResult) -> bool:
    return any(o.ok for o in result.history)


def _failure_lines(record: JournalRecord) -> list[str]:
    """Each failed evaluation: its history index, run id (``{bayesopt.run}``; left out for
    a point told without being asked), point and reason, then the stored output tail,
    indented."""
    lines = []
    for obs in record.history:
        if obs.failed:
            params = " ".join(f"{name}={_cell(value)}" for name, value in obs.params.items())
            reason, *tail = _message(obs.error).splitlines()
            run = "" if obs.run is None else f" run {obs.run}"
            lines.append(f"  [{obs.index}]{run} {params}: {reason}")
            lines.extend(f"      {line}" for line in tail)
    return lines


def _message(error: str | None) -> str:
    """A failed evaluation's error without the traceback `minimize` records before it."""
    if not error or not error.strip():
        return "(no reason recorded)"
    marker = f"{EvaluationError.__name__}: "
    if marker in error:
        return error.split(marker, 1)[1].strip()
    if not error.startswith("Traceback"):  # a message recorded as is (EvaluationFailed)
        return error.strip()
    return [line for line in error.splitlines() if line.strip()][-1].strip()


# ----------------------------------------------------------------- subcommands
def _run(args: argparse.Namespace) -> int:
    """``bayesopt run``: optimize the objective the command prints; returns the exit status."""
    from bayesopt.loop import replayed_journal
    from bayesopt.study import recording_command

    _source(args, "--journal")
    space = load_space(args.space)
    template = _template(args.command, space)
    _warn_unused(space, template)
    if args.pending_timeout is not None and args.storage is None:
        raise CommandLineError("--pending-timeout needs --storage (a resumed journal "
                               "evaluates its pending points again)")
    if args.allow_other_command and args.journal is None and args.storage is None:
        raise CommandLineError("--allow-other-command needs --journal or --storage (it "
                               "continues a journal or joins a study made by another command)")
    record = _command_record(args)
    replay = None
    if args.journal is not None:
        replay = _announce_resume(args, space, record)
    elif args.storage is not None:
        _check_study(args, record)
    objective = CommandObjective(template, args.timeout, _metric(args.metric))
    try:
        with _signals_as_interrupt(), recording_command(
                record, enforce=not args.allow_other_command), (
                contextlib.nullcontext() if replay is None
                else replayed_journal(args.journal, replay)):
            result = _minimize(objective, space, args)
    except KeyboardInterrupt as stop:
        try:
            _report_interrupt(args)
        except OSError:  # after SIGHUP the terminal is gone; the run has stopped cleanly
            pass
        return stop.status if isinstance(stop, _Terminated) else EXIT_INTERRUPTED
    except TooManyFailuresError as error:
        _report_stop(args, error)
        return EXIT_FAILED
    _report_result(args, result)
    return 0 if _succeeded(result) else EXIT_FAILED


def _command_record(args: argparse.Namespace) -> dict[str, Any]:
    """What a journal's or study's header records of the run that creates it: the command
    after ``--``, the space file's absolute path and the SHA-256 of its contents (the space
    itself is in the header, and compared on every resume), and the working directory, in
    which the command's relative paths (``python train.py``) are found."""
    path = Path(args.space).resolve()
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as error:  # load_space read it a moment ago: removed since
        raise CommandLineError(f"cannot read the space file {args.space!r}: "
                               f"{error.strerror}") from None
    return {"argv": list(args.command), "space_file": str(path), "space_sha256": digest,
            "cwd": os.getcwd()}


def _check_command(name: str, stored: Mapping[str, Any] | None, record: Mapping[str, Any],
                   args: argparse.Namespace) -> None:
    """Refuse to continue the journal or join the study `name` whose header records
    another command than `record` (unless ``--allow-other-command``); say when it records
    none, or when another command continues it."""
    from bayesopt.study import COMMAND_REMEDY, command_difference

    recorded = ("; each evaluation this run tells records its command and directory "
                "(`bayesopt show` lists them)")
    if stored is None:
        _print(f"bayesopt: note: {name} records no command (written before 0.6.0, or from "
              "Python): check that this command computes the same objective" + recorded,
              file=sys.stderr)
        return
    difference = command_difference(stored, record, name)
    if difference is not None and not args.allow_other_command:
        raise CommandLineError(difference + COMMAND_REMEDY)
    kept = f"its header keeps `{shell_join(stored['argv'])}`"
    if stored.get("cwd") is not None:
        kept += f" in {stored['cwd']}"
    if difference is not None:
        _print(f"bayesopt: note: --allow-other-command: {name} continues with another command "
              f"or directory ({kept}){recorded}", file=sys.stderr)
    elif stored.get("cwd") is None:
        _print(f"bayesopt: note: {name} records no working directory (written by bayesopt "
              f"0.6.0): check that this is the directory it ran in{recorded}", file=sys.stderr)
    elif stored["cwd"] != record["cwd"]:
        _print(f"bayesopt: note: {name} continues in another directory ({kept}; the command "
              f"names no relative path){recorded}", file=sys.stderr)


class _Terminated(KeyboardInterrupt):
    """SIGTERM (kill, docker stop, a scheduler's stop) or SIGHUP (the terminal or the ssh
    session closed), which stops `bayesopt run` as Ctrl-C does: the running commands'
    process groups are killed, the journal or study keeps every evaluation told, and a
    shared study's running points are cancelled. `status` is the exit status, 128 + the
    signal's number, as a shell reports a process the signal ended."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.status = EXIT_TERMINATED if signum == signal.SIGTERM else EXIT_HANGUP


@contextmanager
def _signals_as_interrupt() -> Iterator[None]:
    """Raise `_Terminated` in the main thread on SIGTERM and SIGHUP (Python's default is to
    die at once; the commands run in sessions of their own, so they would run on,
    orphaned); elsewhere (a thread) change nothing. A signal ignored when the run starts
    (``nohup bayesopt run ...`` ignores SIGHUP) stays ignored."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: object) -> None:
        raise _Terminated(signum)

    names = [name for name in ("SIGTERM", "SIGHUP")  # no SIGHUP on Windows
             if hasattr(signal, name) and signal.getsignal(getattr(signal, name)) != signal.SIG_IGN]
    previous = {name: signal.signal(getattr(signal, name), stop) for name in names}
    try:
        yield
    finally:
        for name, handler in previous.items():
            signal.signal(getattr(signal, name), handler)


def _metric(pattern: str | None) -> re.Pattern[str] | None:
    if pattern is None:
        return None
    try:
        return compile_metric(pattern)
    except CommandError as error:
        raise CommandLineError(str(error)) from None


def _template(argv: Sequence[str], space: Space) -> CommandTemplate:
    """The command, checked against the space and (unless a placeholder names it) its program."""
    try:
        template = CommandTemplate.parse(argv, space)
        if "{" not in argv[0] or len(argv[0].split()) > 1:  # a placeholder: known at run time
            check_program(argv[0])
    except CommandError as error:
        raise CommandLineError(str(error)) from None
    return template


def _minimize(objective: CommandObjective, space: Space,
              args: argparse.Namespace) -> OptimizeResult:
    from bayesopt.journal import JournalError
    from bayesopt.loop import ResumeSettingsWarning, TopBudgetWarning, minimize
    from bayesopt.optimizer import ResumeWarning, SpaceExhaustedWarning
    from bayesopt.study import StudyDeletedError

    executor = (ThreadPoolExecutor(args.workers, thread_name_prefix="bayesopt-run")
                if args.workers > 1 else None)
    try:
        with warnings.catch_warnings():  # _announce_resume already said it resumes, and
            warnings.simplefilter("ignore", ResumeSettingsWarning)  # which settings it ignores
            warnings.simplefilter("ignore", ResumeWarning)
            warnings.simplefilter("ignore", TopBudgetWarning)  # the summary says it, CLI's terms
            warnings.filterwarnings(  # minimize's stop (an ask's repeat still warns): so does it
                "ignore", "search space exhausted: every one", SpaceExhaustedWarning)
            warnings.showwarning = _warning_printer(warnings.showwarning)
            return minimize(
                objective, space, args.n_calls, seed=args.seed, progress=not args.no_progress,
                journal=args.journal, storage=args.storage, study=args.study,
                n_workers=args.workers, executor=executor,
                max_consecutive_failures=args.max_consecutive_failures or None,
                **_optimizer_options(args),
            )
    except StudyDeletedError as error:
        raise CommandLineError(_study_deleted(args, error)) from None
    except (JournalError, OSError) as error:
        raise CommandLineError(str(error)) from None
    except ValueError as error:  # settings the optimizer refuses, e.g. --ucb-beta without ucb
        raise CommandLineError(str(error)) from None
    finally:
        objective.stop()  # after Ctrl-C: kill what still runs, so the threads can finish
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)


def _study_deleted(args: argparse.Namespace, error: StudyDeletedError) -> str:
    """The command line's words for a study deleted under a running ``bayesopt run`` (the
    Python message says to attach a new Optimizer)."""
    again = (" (a study of that name was created again: another one)"
             if error.recreated else "")
    return (f"the study {args.study!r} was deleted from {args.storage} while this run used "
            f"it{again}; the run stopped, nothing more was recorded: start a new run "
            f"(bayesopt run --storage {args.storage} --study NAME)")


def _warning_printer(default: Callable[..., None]) -> Callable[..., None]:
    """A `warnings.showwarning` that shows the first failed evaluation as the command line's
    own warning (its reason and stderr, without the Python traceback through this
    package) and passes other warnings to `default`."""

    def show(message: Warning | str, category: type[Warning], filename: str, lineno: int,
             file: Any = None, line: str | None = None) -> None:
        if not issubclass(category, EvaluationFailedWarning):
            default(message, category, filename, lineno, file, line)
            return
        head, _, error = str(message).partition("\n")
        _print(f"bayesopt: warning: {head}\n{_message(error)}", file=sys.stderr)

    return show


def _command_line_warning() -> Callable[..., None]:
    """A `warnings.showwarning` for the command line: each warning once, as one
    ``bayesopt: warning: <message>`` on standard error, without the file, line and source
    line of this package that Python's format shows (the same message warned from two
    places, such as a torn journal line read twice, is printed once)."""
    shown: set[str] = set()

    def show(message: Warning | str, category: type[Warning], filename: str, lineno: int,
             file: Any = None, line: str | None = None) -> None:
        text = str(message)
        if text not in shown:
            shown.add(text)
            _print(f"bayesopt: warning: {text}", file=sys.stderr if file is None else file)

    return show


def _optimizer_options(args: argparse.Namespace) -> dict[str, Any]:
    options = {"maximize": bool(args.maximize), "acquisition": args.acquisition,
               "kernel": args.kernel, "n_initial": args.n_initial, "ucb_beta": args.ucb_beta,
               "pending_timeout": args.pending_timeout, "threads": args.threads}
    return {key: value for key, value in options.items() if value is not None}


def _warn_unused(space: Space, template: CommandTemplate) -> None:
    unused = [name for name in space.names if name not in template.placeholders]
    if unused:
        _print(f"bayesopt: warning: dimension(s) {unused} appear in no placeholder of the "
              "command, so the program never sees them", file=sys.stderr)
    if space.fidelity is None and command.CONTINUES_FIELD in template.placeholders:
        _print(f"bayesopt: warning: {{{command.CONTINUES_FIELD}}} names the run a Hyperband "
              "promotion continues, and the space has no fidelity dimension: no run "
              "continues another, so its argument is always left out", file=sys.stderr)


def _announce_resume(args: argparse.Namespace, space: Space,
                     command: Mapping[str, Any]) -> Optimizer | None:
    """Before any command runs, say that the journal is resumed, after checking that it
    can be: no SQLite database or shared study, the same space, no outcome constraints.
    Returns the journal's replay (`bayesopt.loop.replayed_journal` hands it to the run,
    which does not read the journal again), None for a new journal."""
    from bayesopt.journal import check_journal_path, first_difference, holds_a_run, read_header

    try:
        path = Path(check_journal_path(args.journal))
    except ValueError as error:  # a directory: the optimizer's own message, before any run
        raise CommandLineError(str(error)) from None
    _refuse_sqlite(path)  # before holds_a_run, which could take it for a new journal
    if not holds_a_run(path):  # absent, empty, or killed while writing its header: a new run
        return None
    held = _held_studies(str(path))
    if held and _journal_path(str(path), held[0]) is None:
        raise CommandLineError(f"{args.journal!r} holds the shared study {held[0]!r}, not a "
                               f"journal: join it with --storage {args.journal} --study {held[0]}")
    _refuse_another_writer(path, args.journal)
    header = read_header(path)
    difference = first_difference(header["space"], space, version=header["version"])
    if difference is not None:
        raise CommandLineError(f"journal {args.journal!r} was written for another space: "
                               f"{difference}")
    record, replay = _read_record(path, space=space)  # the run's space, as minimize's
    _refuse_constraints(args.journal, record, "continue it from Python with "
                        "Optimizer.resume, or start a new journal")
    _check_command(f"journal {args.journal!r}", record.command, command, args)
    _print(f"bayesopt: resuming {args.journal}: {_counts(record)}; its settings apply",
          file=sys.stderr)
    for note in _ignored_settings(args, record.config):
        _print(f"bayesopt: note: {note}", file=sys.stderr)
    _note_nothing_to_run(str(args.journal), record, args.n_calls, running=False)
    return replay


def _note_nothing_to_run(name: str, record: JournalRecord, n_calls: int, running: bool) -> None:
    """Say so when the journal or study `name` already has `n_calls` evaluations (told, and
    with `running`, a study's, running): the run then starts none, and its summary is of the
    evaluations already there. A journal's running points are evaluated again, so count
    only in a study."""
    started = len(record.history) + (record.n_pending if running else 0)
    if started >= n_calls:
        _print(f"bayesopt: note: {name} already has {started} evaluation{'s' * (started != 1)}, "
              f"--n-calls {n_calls}: none is run (a larger --n-calls continues it)",
              file=sys.stderr)


def _check_study(args: argparse.Namespace, command: Mapping[str, Any]) -> None:
    """Before any command runs, in the command line's terms: a journal is no shared study, an
    existing study is joined in its direction (``--maximize`` or not), and one with outcome
    constraints cannot be served from the command line (a new study is created by the run)."""
    held = _held_studies(args.storage)
    journal = _journal_path(args.storage, held[0]) if held else None
    if journal is not None:
        raise CommandLineError(f"{journal!r} is a journal (one run's file), not a shared study: "
                               f"continue it with --journal {journal}")
    if args.study not in held:
        return
    name = f"the study {args.study!r} in {args.storage}"
    record = read_study_record(args.storage, args.study)
    if record.maximize != bool(args.maximize):
        direction, remedy = (("maximizes", "add") if record.maximize else ("minimizes", "drop"))
        raise CommandLineError(f"{name} {direction} its objective: {remedy} --maximize to join it")
    _refuse_constraints(
        name, record,
        "add workers to it from Python (Optimizer or minimize with storage=, study= and "
        "n_constraints={n}), or run this command on a new study")
    _check_command(name, record.command, command, args)
    _note_nothing_to_run(name, record, args.n_calls, running=True)


def _refuse_another_writer(path: Path, journal: str) -> None:
    """Refuse, in the command line's terms, a journal another process is writing (a journal
    has one writer: `JSONLStorage.claim_writer`), before anything runs."""
    from bayesopt.storage import StorageError
    from bayesopt.storage.jsonl import JSONLStorage

    storage = JSONLStorage(path)
    try:
        storage.claim_writer()  # released by close(), for the run to claim it again
    except StorageError:
        raise CommandLineError(
            f"journal {journal!r} is being written by another process (a journal has one "
            f"writer): read it with `bayesopt show {journal}`, or let several processes share "
            "a study with --storage URL --study NAME") from None
    finally:
        storage.close()


def _held_studies(url: str) -> list[str]:
    """The studies of the storage `url` (created if absent, as a run creates it)."""
    from bayesopt.storage import open_storage

    try:
        storage = open_storage(url)
        try:
            return storage.studies()
        finally:
            storage.close()
    except (OSError, ValueError) as error:
        raise CommandLineError(f"cannot open the storage {url}: {error}") from None


def _refuse_constraints(name: str, record: JournalRecord, remedy: str) -> None:
    """Raise when the run `record` tells outcome constraints (declared in its settings, or
    carried by its tells): the command line reads one number per evaluation, and there
    is no option to read constraint values, so `remedy` (its ``{n}``: their number) says
    what to do instead."""
    from bayesopt.result import recorded_n_constraints

    constraints = recorded_n_constraints(record.config.get("n_constraints"), record.history)
    if constraints:
        raise CommandLineError(
            f"{name} has {constraints} outcome constraint(s), whose values the command "
            f"line cannot read from a command's output (it has no option for them); "
            + remedy.format(n=constraints))


def _ignored_settings(args: argparse.Namespace, config: Mapping[str, Any]) -> list[str]:
    """Options given on the command line that differ from those of the journal being resumed."""
    recorded = {**config, "kernel": config.get("options", {}).get("model", {}).get("kernel")}
    given = {"seed": args.seed, "maximize": args.maximize, "acquisition": args.acquisition,
             "kernel": args.kernel, "n_initial": args.n_initial, "ucb_beta": args.ucb_beta}
    return [
        f"ignoring --{key.replace('_', '-')}{'' if value is True else f' {value}'}: "
        f"the journal has {key}={recorded.get(key)!r}"
        for key, value in given.items() if value is not None and value != recorded.get(key)
    ]


def _report_result(args: argparse.Namespace, result: OptimizeResult) -> None:
    """The run's counts, top five and best line: the history only, so the result's
    deferred surrogate (`Optimizer.result`) is never fitted for it."""
    record = JournalRecord(result.space, result.maximize, {}, result.history, 0)
    _print(_counts(record))
    if not _succeeded(result):
        _print("every evaluation failed; the first one with:\n" + _message(result.history[0].error))
        return
    _print(format_table(record, top=5))
    _print(_best_line(record))
    if result.stop_reason == "space_exhausted":
        every = ("every point of the space has been evaluated" if result.space.fidelity is None
                 else "every configuration has been run at every budget a bracket starts at")
        _print(f"{every}: the run stopped before --n-calls {args.n_calls} (another "
               "evaluation would repeat a point)")
    if args.journal is not None or args.storage is not None:
        _print(f"{_source(args, '--journal')} (`{_show_hint(args)}` for more; run the same "
              "command with a larger --n-calls to continue)")


def _report_stop(args: argparse.Namespace, error: TooManyFailuresError) -> None:
    """The run stopped because the command kept failing: say why, with its standard error."""
    assert error.result is not None, "minimize attaches the result"
    result = error.result
    _print(_counts(JournalRecord(result.space, result.maximize, {}, result.history, 0)))
    _print(f"stopped after {error.n_failures} failed evaluations in a row (the command looks "
          "broken; --max-consecutive-failures 0 never stops); the first failed with:\n"
          + _message(error.first_error))
    if args.journal is not None or args.storage is not None:
        _print(f"{_source(args, '--journal')} (fix the command, then run the same command line "
              "to continue)")


def _report_interrupt(args: argparse.Namespace) -> None:
    _print(file=sys.stderr)
    journal = args.journal
    if args.storage is not None:
        _print(f"bayesopt: interrupted; {_source(args, '--journal')} keeps every evaluation "
              "told; the same command joins it again", file=sys.stderr)
        return
    if journal is None:
        _print("bayesopt: interrupted; without --journal this run cannot be resumed",
              file=sys.stderr)
        return
    try:
        record = read_record(journal)
    except CommandLineError:  # interrupted before the journal was started
        _print(f"bayesopt: interrupted before anything was written to {journal}", file=sys.stderr)
        return
    _print(f"bayesopt: interrupted; the journal {journal} is intact: {_counts(record)}.\n"
          "Run the same command again to resume (points that were running are evaluated first).",
          file=sys.stderr)


def _show(args: argparse.Namespace) -> int:
    """``bayesopt show``: the best configurations of a journal as a table, its stored text
    written as `_shown` writes it."""
    name, record = _read(args)
    _print(f"{name}: {_counts(record)}")
    for line in _expired_lines(record):
        _print(line)
    if any(o.ok for o in record.history):
        _print(format_table(record, top=args.top))
        _print(_best_line(record))
    else:
        _print("no successful evaluation yet")
    for line in _command_lines(record):
        _print(line)
    if args.failed and record.n_failed:
        _print("failed evaluations:")
        _print("\n".join(_failure_lines(record)))
    return 0


def _command_lines(record: JournalRecord) -> list[str]:
    """The command, working directory and space file a header records
    (`JournalRecord.command`), if any, then each command or directory not the header's
    that told evaluations (`JournalRecord.other_commands`, `_other_command_line`)."""
    command = record.command
    lines = []
    if command is not None:
        lines.append(f"command: {shell_join(command['argv'])}")
        if command.get("cwd") is not None:
            lines.append(f"working directory: {command['cwd']}")
    if command is not None and command.get("space_file") is not None:
        digest = command.get("space_sha256")
        lines.append(f"space file: {command['space_file']}"
                     + (f" (sha256 {str(digest)[:12]}…)" if digest else ""))
    lines += [_other_command_line(command, other, count)
              for other, count in record.other_commands]
    return [_shown(line, one_line=True) for line in lines]


def _other_command_line(stored: Mapping[str, Any] | None, other: RunCommand,
                        count: int) -> str:
    """The line of `show` for `count` evaluations told by `other`: "also told by" its words
    where it is another command than the header's, `stored`; where it is the same one
    (`bayesopt.command.same_command`: recorded for its directory, which differs or which a
    0.6.0 header lacks), "the same command", with its words if they are written otherwise
    (``{flag!s}`` for 0.6.0's plain ``{flag}``)."""
    told = f"in {other.cwd}: {count} evaluation{'s' * (count != 1)}"
    if stored is None or not same_command(stored["argv"], other.argv):
        return f"also told by `{shell_join(other.argv)}` {told}"
    if tuple(stored["argv"]) == other.argv:
        return f"also told by the same command {told}"
    return f"also told by the same command, written `{shell_join(other.argv)}`, {told}"


def _plot(args: argparse.Namespace) -> int:
    """``bayesopt plot``: save the convergence plot of a journal (by budget, with a Fidelity)."""
    output = _plot_output(args.output)
    if args.dpi > MAX_DPI:  # matplotlib would try to allocate the canvas, tens of GB
        raise CommandLineError(f"--dpi {args.dpi}: at most {MAX_DPI} (print resolutions are "
                               "300 to 1200)")
    name, record = _read(args)
    result = record.result()
    if not _succeeded(result):
        raise CommandLineError(f"{name} has no successful evaluation to plot")
    if result.best is None and result.space.fidelity is None:
        raise CommandLineError(f"{name}: {_no_best(result)}")
    if result.space.fidelity is not None and args.optimum is not None:
        raise CommandLineError(f"--optimum: {name} has a Fidelity and is drawn by budget, "
                               "with no regret; plot it without --optimum")
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only: never open a window
        from bayesopt.plots import budgets, convergence
    except ImportError as error:
        raise CommandLineError(f"{error} (pip install 'bayesopt[plot]')") from None
    if result.space.fidelity is not None:  # values by budget, the best at the highest one
        fig, _ = budgets(result)
    else:
        fig, _ = convergence(result, optimum=args.optimum)
    try:
        fig.savefig(output, dpi=args.dpi)
    except (OSError, ValueError) as error:
        raise CommandLineError(f"cannot write {output!r}: {error}") from None
    _print(f"wrote {output}")
    return 0


def _plot_output(output: str) -> str:
    """The file ``plot -o`` writes: a name without extension gets ``.png`` (as matplotlib
    would add, unsaid); a directory is refused (matplotlib would write DIR.png beside it)."""
    if os.path.isdir(output):
        raise CommandLineError(f"-o {output!r} is a directory: name a file in it, e.g. "
                               f"{os.path.join(output, 'convergence.png')!r}")
    return output if Path(output).suffix else output + ".png"


def _studies(args: argparse.Namespace) -> int:
    """``bayesopt studies``: one line per study of a storage, read without fitting a model."""
    storage = _open_existing(args.storage)
    try:
        names = storage.studies()
    except (OSError, ValueError) as error:
        raise CommandLineError(f"cannot list the studies of {args.storage}: {error}") from None
    finally:
        storage.close()
    if not names:
        _print(f"{args.storage} holds no study")
        return 0
    rows = [["study", "evaluations", "best", "direction", "last tell (UTC)"]]
    for name in names:
        record = _study_record(args.storage, name)
        best = record.result().best_value
        told = [o.timestamp for o in record.history if o.timestamp is not None]
        last = (f"{datetime.fromtimestamp(max(told), timezone.utc):%Y-%m-%d %H:%M:%S}"
                if told else "-")
        shown = name if name.isprintable() and name.strip() == name else repr(name)  # one row
        rows.append([shown, str(len(record.history)), "-" if math.isnan(best) else f"{best:.6g}",
                     "maximizing" if record.maximize else "minimizing", last])
    _print(_aligned(rows, [True] * len(rows[0])))
    return 0


def _study_record(url: str, study: str) -> JournalRecord:
    """The record of one study of `url`: a JSON-lines journal (one optimizer's file, whose
    study has the default name) is read as a journal, any other study as a shared one."""
    journal = _journal_path(url, study)
    return read_study_record(url, study) if journal is None else read_record(journal)


def _journal_path(url: str, study: str) -> str | None:
    """The path of the JSON-lines file `url` when `study` is the name its journal is listed
    under (one optimizer's file, not a shared study), else None."""
    from bayesopt.storage import STORAGES
    from bayesopt.storage.jsonl import is_journal

    scheme, sep, rest = url.partition("://")
    if is_journal(study) and (scheme.lower() == "file" or not sep):
        return STORAGES["file"].argument(url, rest) if sep else url  # file://localhost/...
    return None


def _delete_study(args: argparse.Namespace) -> int:
    """``bayesopt delete-study``: delete a study of a storage, asking nothing."""
    from bayesopt.storage import DeletableStorage

    storage = _open_existing(args.storage)
    try:
        if not isinstance(storage, DeletableStorage):
            raise CommandLineError(f"{storage!r} cannot delete a study (it has no delete_study)")
        storage.delete_study(args.study)
    except (OSError, ValueError) as error:
        raise CommandLineError(f"cannot delete the study {args.study!r}: {error}") from None
    finally:
        storage.close()
    _print(f"deleted the study {args.study!r} from {args.storage}")
    return 0


def _open_existing(url: str) -> Any:
    """The storage `url` names, which must exist (a misspelt file is not created)."""
    from bayesopt.storage import open_storage

    try:
        return open_storage(url, create=False)
    except (OSError, ValueError) as error:
        raise CommandLineError(f"cannot open the storage {url}: {error}") from None


def _demo(args: argparse.Namespace) -> int:
    """``bayesopt demo``: tune an MLPClassifier on scikit-learn's digits."""
    from bayesopt.demo import main as demo_main

    try:
        demo_main(seed=args.seed)
    except ImportError as error:  # scikit-learn missing: an input error, as plot's matplotlib
        raise CommandLineError(str(error)) from None
    return 0


# ----------------------------------------------------------------------- parser
def _objective_help() -> str:
    """The objective convention of `bayesopt.command`, then this module's failed
    evaluations and exit statuses, for ``run --help``."""
    convention = (command.__doc__ or "").split("(`parse_objective`):", 1)[1]
    convention = convention.split("A non-zero", 1)[0]
    outcomes = (__doc__ or "").split("A non-zero", 1)[1].split("Only the standard", 1)[0]
    outcomes = "A non-zero" + outcomes
    text = "objective convention:" + convention + outcomes
    text = text.replace("`SUGGESTED_METRIC`", repr(command.SUGGESTED_METRIC))
    text = re.sub(r" \(`_\w+`[^()]*\)", "", text)  # "(`_Reports` reads them)": the code's
    text = text.replace("``", "'").replace("*", "")
    return re.sub(r"`([^`]+)`", r"\1", text).rstrip()  # a name of the code, unquoted


def _add_run_parser(commands: Any) -> None:
    run = commands.add_parser(
        "run", help="tune a command's hyperparameters",
        usage="%(prog)s --space FILE [options] -- COMMAND [ARG ...]",
        description="Minimize (or --maximize) the objective a command prints, over the space "
                    "declared in a TOML or JSON file. {name} placeholders in the command are "
                    "replaced by each point's values; {bayesopt.run} by the run's id and "
                    "{bayesopt.continues} by the id of the run a Hyperband promotion "
                    "continues (left out for any other run), e.g.\n\n"
                    "  bayesopt run --space space.toml --journal tune.jsonl -- python "
                    "train.py --epochs={epochs} --resume-from=ckpt/{bayesopt.continues} "
                    "--save=ckpt/{bayesopt.run}\n\n"
                    "where train.py prints 'report: <epoch> <val_loss>' after each epoch "
                    "(early stopping, below) and 'objective: <val_loss>' last. A boolean "
                    "dimension is written {flag?TEXT} (TEXT where true, the argument left out "
                    "where false) or {flag?TEXT:ELSE}; a plain {flag} of a boolean or None "
                    "choice is refused, naming the forms.",
        epilog=_objective_help(), formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("--space", required=True, metavar="FILE",
                     help="space file: TOML, or JSON if it ends in .json")
    run.add_argument("--n-calls", type=positive_int, default=50, metavar="N",
                     help="total evaluations, failed ones and a resumed run's included (50)")
    run.add_argument("--journal", metavar="FILE",
                     help="append every evaluation here; if it exists, resume that run "
                          "(default: none, and the run cannot be resumed)")
    _add_study_arguments(run, "run on (or join) this shared study; --n-calls is its total")
    run.add_argument("--pending-timeout", type=positive_float, metavar="SECONDS",
                     help="with --storage: a point whose worker has sent no heartbeat for "
                          "this long (it was killed) stops counting as running (default: "
                          "never); a running command's point gets a heartbeat every third "
                          "of it, so commands may run longer")
    run.add_argument("--allow-other-command", action="store_true",
                     help="continue a journal, or join a study, whose header records another "
                          "command, or another directory where the command names a relative "
                          "path (default: refused, naming both; the header keeps the first "
                          "command, and each evaluation told records this one)")
    run.add_argument("--workers", type=positive_int, default=1, metavar="N",
                     help="commands run at once (1)")
    run.add_argument("--threads", type=positive_int, metavar="N",
                     help="threads the optimizer's own computing uses, 1 to NUMBA_NUM_THREADS "
                          "(Optimizer(threads=); default: the machine's, but one with "
                          "--storage or --workers above 1, whose cores others hold); not "
                          "recorded in the journal or study")
    run.add_argument("--timeout", type=positive_float, metavar="SECONDS",
                     help="kill an evaluation that runs longer (recorded as failed; "
                          "default: no limit)")
    run.add_argument("--metric", metavar="REGEX",
                     help="read the objective with this regular expression: its named group, "
                          "else its first group, in the last line it matches (default: the "
                          "objective convention below)")
    run.add_argument("--max-consecutive-failures", type=nonnegative_int, metavar="N",
                     default=DEFAULT_MAX_CONSECUTIVE_FAILURES,
                     help="stop after N failed evaluations in a row, timeouts and a printed nan "
                          "or inf excepted "
                          f"({DEFAULT_MAX_CONSECUTIVE_FAILURES}; 0: never stop)")
    run.add_argument("--maximize", action="store_true", default=None,
                     help="maximize the objective instead of minimizing it")
    run.add_argument("--seed", type=nonnegative_int, metavar="N",
                     help="seed for a reproducible run (default: one drawn at random, which a "
                          "journal records)")
    run.add_argument("--acquisition", choices=ACQUISITIONS,
                     help="acquisition function (logei); logei_per_cost divides by a cost "
                          "model fitted to each command's wall time, its recorded cost (a "
                          "cost the command prints is not read)")
    run.add_argument("--kernel", choices=KERNELS, help="GP covariance (matern52)")
    run.add_argument("--n-initial", type=positive_int, metavar="N",
                     help="initial Sobol points (number of dimensions + 1, within [5, 20])")
    run.add_argument("--ucb-beta", type=nonnegative_float, metavar="BETA",
                     help="fixed beta of UCB (default: the GP-UCB schedule)")
    run.add_argument("--no-progress", action="store_true", help="no progress bar")
    run.add_argument("command", nargs="+", metavar="COMMAND",
                     help="the program and its arguments, after --")
    run.set_defaults(handler=_run)


def _add_study_arguments(parser: argparse.ArgumentParser, purpose: str) -> None:
    parser.add_argument("--storage", metavar="URL",
                        help=f"{purpose}: sqlite:///file.db, postgresql://user@host/db or "
                             "a .jsonl file (with --study)")
    parser.add_argument("--study", metavar="NAME", help="the study's name in --storage")


def _add_journal_or_study_arguments(parser: argparse.ArgumentParser, verb: str) -> None:
    """What a reading command reads: a JOURNAL, or --storage and --study; `verb`: what
    it does with it ("show", "plot")."""
    parser.add_argument("journal", nargs="?", metavar="JOURNAL",
                        help="journal file written by `bayesopt run --journal`")
    _add_study_arguments(parser, f"{verb} this shared study instead of a journal")


def _add_show_parser(commands: Any) -> None:
    show = commands.add_parser("show", help="print the best configurations of a journal or "
                                            "study",
                               description="Print the best configurations of a journal (or a "
                                           "shared study) as a table, with counts of ok, "
                                           "failed, pending and expired points.",
                               epilog=EXIT_STATUS_HELP)
    _add_journal_or_study_arguments(show, "show")
    show.add_argument("--top", type=positive_int, default=10, metavar="N",
                      help="rows to show (10)")
    show.add_argument("--failed", action="store_true",
                      help="also list the failed evaluations and why they failed")
    show.add_argument("--pending-timeout", type=positive_float, metavar="SECONDS",
                      help="with --storage: count a pending point whose worker has been "
                           "silent this long as expired, as a worker run with this "
                           "--pending-timeout does (default: the study creator's)")
    show.set_defaults(handler=_show)


def _add_plot_parser(commands: Any) -> None:
    plot = commands.add_parser("plot", help="save the convergence plot of a journal or study",
                               description="Draw the best value so far against the number of "
                                           "evaluations of a journal (or a shared study), by "
                                           "budget with a Fidelity (needs matplotlib).",
                               epilog=EXIT_STATUS_HELP)
    _add_journal_or_study_arguments(plot, "plot")
    plot.add_argument("-o", "--output", default="convergence.png", metavar="FILE",
                      help="image file; the format follows its extension, .png if it has none "
                           "(convergence.png)")
    plot.add_argument("--optimum", type=finite_float, metavar="VALUE",
                      help="known optimal value: plot the regret (not for a run with a "
                           "Fidelity, drawn by budget)")
    plot.add_argument("--dpi", type=positive_int, default=120,
                      help=f"resolution, at most {MAX_DPI} (120)")
    plot.set_defaults(handler=_plot)


def _add_studies_parser(commands: Any) -> None:
    studies = commands.add_parser(
        "studies", help="list the studies of a storage",
        description="Print one line per study of a storage: its name, evaluations told, "
                    "best value, direction and the time of its last tell (UTC).",
        epilog=EXIT_STATUS_HELP)
    studies.add_argument("--storage", metavar="URL", required=True,
                         help="sqlite:///file.db, postgresql://user@host/db or a .jsonl file")
    studies.set_defaults(handler=_studies)


def _add_delete_study_parser(commands: Any) -> None:
    delete = commands.add_parser(
        "delete-study", help="delete a study of a storage",
        description="Delete a study, its header and its events, without asking (a JSON-lines "
                    "file, which holds one study, is removed). Processes still attached to "
                    "the study fail at their next read or write.",
        epilog=EXIT_STATUS_HELP)
    delete.add_argument("--storage", metavar="URL", required=True,
                        help="sqlite:///file.db, postgresql://user@host/db or a .jsonl file")
    delete.add_argument("--study", metavar="NAME", required=True, help="the study to delete")
    delete.set_defaults(handler=_delete_study)


def _add_demo_parser(commands: Any) -> None:
    demo = commands.add_parser("demo", help="tune an MLPClassifier on the digits data set",
                               description="Tune scikit-learn's MLPClassifier on the bundled "
                                           "digits data set (needs scikit-learn).",
                               epilog=EXIT_STATUS_HELP)
    demo.add_argument("--seed", type=nonnegative_int, default=0, metavar="N", help="seed (0)")
    demo.set_defaults(handler=_demo)


def build_parser() -> argparse.ArgumentParser:
    """The ``bayesopt`` argument parser with its subcommands.

    Returns
    -------
    argparse.ArgumentParser
    """
    from bayesopt import __version__

    parser = argparse.ArgumentParser(
        prog="bayesopt", description="Bayesian optimization from the command line.",
        epilog="`bayesopt COMMAND --help` describes each command. " + EXIT_STATUS_HELP
               + " run: also 1 when every evaluation failed or the run stopped for failures; "
                 "130 after Ctrl-C, 143 after SIGTERM, 129 after SIGHUP (the same command "
                 "line resumes the run).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="subcommand", required=True, metavar="COMMAND")
    for add in (_add_run_parser, _add_show_parser, _add_plot_parser, _add_studies_parser,
                _add_delete_study_parser, _add_demo_parser):
        add(commands)
    return parser


def _check_command_position(argv: list[str], args: argparse.Namespace, unknown: list[str],
                            parser: argparse.ArgumentParser) -> None:
    """Without ``--`` before it, ``run``'s command must be the last words of the line: argparse
    takes an option written after the command's first word for ``run``'s own (the program's
    ``--seed 3`` would become the run's seed) and refuses one only the program knows. Other
    subcommands refuse unknown arguments as `argparse.ArgumentParser.parse_args` does."""
    if args.subcommand != "run" or "--" in argv:
        if unknown:
            parser.error(f"unrecognized arguments: {' '.join(unknown)}")
        return
    stray = unknown or ([] if argv[len(argv) - len(args.command):] == args.command
                        else argv[argv.index(args.command[0]) + len(args.command):])
    if stray:
        raise CommandLineError(
            f"{' '.join(stray)!r}, after the command's first word {args.command[0]!r}, would be "
            "read as bayesopt run's own option(s), not the command's: give the command last, "
            "after --: bayesopt run --space FILE [options] -- COMMAND [ARG ...]")


def _discard_stdout() -> None:
    """Point standard output at /dev/null, so that the flush at exit cannot fail again."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _one_line(message: str) -> str:
    """`message` on one line: a driver's message may hold several (psycopg's "connection
    failed: ...\n\tIs the server running ..."), joined with a space."""
    return " ".join(line.strip() for line in message.splitlines() if line.strip())


def _shown(text: str, one_line: bool = False) -> str:
    """`text` as the command line prints it: stored text (a failure's output, a choice, a
    recorded command) never drives the terminal (module docstring, "Printed text"). Every
    character that is not printable (`str.isprintable`) is written as its Python escape,
    ``\\r``, ``\\x08``, ``\\x1b``, ``\\u202e``. Free text (a program's output: a
    failure's reason) has its CSI sequences (colours, cursor moves) removed first, a CRLF
    line end read as a newline, and keeps its newlines and tabs; a `one_line` field (a
    choice, a recorded argument) is a value, written whole: its CSI sequences escaped
    too, so that two choices differing only by one print differently."""
    if not one_line:
        text = without_csi(text).replace("\r\n", "\n")
    if text.isprintable():
        return text
    kept = "" if one_line else "\n\t"
    return "".join(char if char.isprintable() or char in kept
                   else char.encode("unicode_escape").decode("ascii") for char in text)


def _print(text: str = "", file: Any = None) -> None:
    """`print` of one text, `_shown` (every line the command line writes passes here)."""
    print(_shown(text), file=file)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``bayesopt`` console script and ``python -m bayesopt``.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit status.
    """
    for stream in ("stdout", "stderr"):
        if getattr(sys, stream) is None:  # started with it closed (>&-, 2>&-): write nowhere
            setattr(sys, stream, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args, unknown = parser.parse_known_args(argv)
    try:
        _check_command_position(argv, args, unknown, parser)
        with warnings.catch_warnings():
            warnings.showwarning = _command_line_warning()
            status = int(args.handler(args))
        sys.stdout.flush()  # here, so that a reader that has gone is seen below
        return status
    except BrokenPipeError:  # `bayesopt show ... | head`: the reader closed the pipe
        _discard_stdout()
        return EXIT_BROKEN_PIPE
    except OSError as error:
        if error.errno not in _OUTPUT_ERRNOS:
            raise
        _discard_stdout()  # a full disk under `> out.txt`: the handlers wrap their own files'
        _print(f"bayesopt: error: cannot write the output: {error.strerror}", file=sys.stderr)
        return EXIT_FAILED
    except CommandLineError as error:
        _print(f"bayesopt: error: {_one_line(str(error))}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:  # before or after the optimization loop: nothing to clean up
        _print("\nbayesopt: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED

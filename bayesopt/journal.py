"""The journal format: an optimization's study header and events as JSON.

Format (version 2; `bayesopt.events` gives the events' form):

    {"journal": "bayesopt", "version": 2, "library": "0.16.0", "study": "journal",
     "space": {...}, "config": {"acquisition": ..., "n_initial": ..., "seed": ...,
     "maximize": ..., "ucb_beta": ..., "pending_timeout": ..., "options": {...}},
     "fingerprint": "…16 hex…", "resolved_config": {...}}
    {"event": "ask", "points": [[...], ...], "time": ..., "worker": ..., "state": {...}}
    {"event": "tell", "points": [[...], ...], "values": [...], ...}

`fingerprint` and `resolved_config` (`Optimizer.fingerprint`; a header written
before they existed lacks them) identify the algorithm; they are for readers and
are not needed to resume. A header written by `bayesopt run` (since 0.6.0) also
holds "command": {"argv": [the command template after ``--``], "space_file": its
absolute path, "space_sha256": its contents' hash} (`bayesopt.study.recording_command`),
and since 0.7.0 "cwd", the working directory it ran in (`COMMAND_KEYS`);
a header written before, or from Python, has none, and is read and continued as before.
A header key, config key or option this library does not know is refused
when read (`check_header`), naming it and the library version that wrote it.
Version 1 (read, never written) lacks "study", "pending_timeout", and the
events' "time", "worker" and "durations"; its tuple choices were written as
lists, and are read back as tuples (a list is no choice: it is not hashable).

A point is a list with one entry per dimension, in the space's order: the
number itself for Real and Integer dimensions, the *index* of the choice for
Categorical ones, null for a dimension inactive at the point (conditional
spaces) — so any hashable choice round-trips exactly, and loading never
executes code (plain JSON, no pickle). The space's categorical choices, and the
parent values its conditions (``when=``) name, are stored losslessly where JSON
allows: strings, numbers, booleans and None as they are, a NaN or infinite float
(scikit-learn's ``missing_values=np.nan``) as ``{"float": "nan"}``, tuples as
``{"tuple": [...]}``; any other choice (a class, an enum member) only as
``{"repr": "..."}``, which cannot be turned back into the object, so resuming such
a journal needs ``space=``.

The file itself is a `bayesopt.storage.jsonl.JSONLStorage`: every line is
flushed and fsync'ed before the call that wrote it returns, and a truncated
last line is skipped with a warning when the journal is read.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from bayesopt.space import Categorical, Space, definition_keys
from bayesopt.storage import StorageError
from bayesopt.storage.jsonl import JSONLStorage, TruncatedJournalWarning

__all__ = [
    "ChoiceRepr",
    "JournalError",
    "TruncatedJournalWarning",
    "check_exists",
    "check_header",
    "check_journal_path",
    "comparable_space",
    "decode_point",
    "encode_point",
    "first_difference",
    "holds_a_run",
    "read_header",
    "read_journal",
    "space_from_json",
    "space_to_json",
]

T = TypeVar("T")

JOURNAL_FORMAT = "bayesopt"
JOURNAL_VERSION = 2
READABLE_VERSIONS = (1, 2)


class JournalError(StorageError):
    """The journal cannot be read or does not belong to this optimizer.

    Raised by `minimize` for a tell the journal or study refused to record, it also says
    what was not recorded, to tell by hand once the storage is fixed (None otherwise):
    `params` (the point), `run` (its run id, `Optimizer.run_ids`), `value` and
    `constraints` (a success's), `failure` (a failed evaluation's error text).
    `unknown`: the write may have been stored, and which is unknown until the study is
    read again (`bayesopt.storage.OutcomeUnknown`: a connection that dropped after the
    COMMIT was sent)."""

    unknown: bool = False
    params: dict[str, Any] | None = None
    run: int | None = None
    value: float | None = None
    constraints: list[float] | None = None
    failure: str | None = None


def encode_point(space: Space, params: Mapping[str, Any]) -> list[Any]:
    """A validated point as a JSON list: numbers as they are, categories by index,
    None for an inactive dimension."""
    row: list[Any] = []
    for dim in space.dimensions:
        if dim.name not in params:
            row.append(None)
            continue
        value = params[dim.name]  # type: ignore[index]
        row.append(dim.index_of(value) if isinstance(dim, Categorical) else value)
    return row


def decode_point(space: Space, row: Any) -> dict[str, Any]:
    """The inverse of `encode_point`, validated like a tell."""
    if not isinstance(row, list) or len(row) != space.n_dims:
        raise JournalError(f"journal point {row!r} does not have {space.n_dims} entries")
    params: dict[str, Any] = {}
    for dim, raw in zip(space.dimensions, row):
        if raw is None and dim.when is not None:
            continue  # inactive at this point; validate checks that it is
        if isinstance(dim, Categorical):
            if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw < len(dim.choices):
                raise JournalError(f"dimension {dim.name!r}: {raw!r} is not a category index")
            raw = dim.choices[raw]
        params[dim.name] = raw  # type: ignore[index]
    try:
        return space.validate(params)
    except (TypeError, ValueError) as error:
        raise JournalError(f"invalid point in journal: {error}") from None


def space_to_json(space: Space) -> dict[str, Any]:
    """The space's definition with its choices in lossless JSON form (module docstring)."""
    out = {}
    for name, spec in space.to_dict().items():
        if spec.get("type") == "categorical":
            spec = {**spec, "choices": [_choice_to_json(c) for c in spec["choices"]]}
        if "when" in spec:  # a condition's values are its parent's: stored as its choices are
            spec = {**spec, "when": {parent: [_choice_to_json(v) for v in values]
                                     for parent, values in spec["when"].items()}}
        out[name] = spec
    return out


class ChoiceRepr(str):
    """A categorical choice JSON could not carry, stood in for by its stored repr — only
    where asked for (`space_from_json(..., lossy=True)`, to display a journal)."""


def _choice_to_json(choice: Any) -> Any:
    if isinstance(choice, ChoiceRepr):
        return {"repr": str(choice)}
    if isinstance(choice, float) and not math.isfinite(choice):  # JSON has no NaN or inf
        return {"float": repr(float(choice))}  # 'nan', 'inf', '-inf'
    if choice is None or isinstance(choice, (str, bool, int, float)):
        return choice
    if isinstance(choice, tuple):
        return {"tuple": [_choice_to_json(c) for c in choice]}
    return {"repr": repr(choice)}


def space_from_json(spec: Any, *, lossy: bool = False, version: int = JOURNAL_VERSION) -> Space:
    """Inverse of `space_to_json`. A choice stored only by its repr raises JournalError
    naming its dimension, unless `lossy` (for display), where it becomes that text.
    `version` 1: a choice stored as a JSON list was a tuple (format 1 wrote tuples as
    lists, and a list is no choice: it is not hashable), and is read back as one."""
    if not isinstance(spec, Mapping):
        raise JournalError(f"the header's space {spec!r} is not a table")
    dims = {}
    for name, dim in spec.items():
        if isinstance(dim, Mapping) and dim.get("type") == "categorical" and isinstance(
                dim.get("choices"), list):
            choices = dim["choices"] if version != 1 else [_tuples(c) for c in dim["choices"]]
            dim = {**dim, "choices": [_choice_from_json(name, c, lossy) for c in choices]}
        if isinstance(dim, Mapping) and isinstance(dim.get("when"), Mapping) and version != 1:
            dim = {**dim, "when": {parent: _when_from_json(name, values, lossy)
                                   for parent, values in dim["when"].items()}}
        dims[name] = dim
    try:
        return Space.from_dict(dims)
    except (TypeError, ValueError) as error:
        raise JournalError(f"the space cannot be rebuilt from JSON ({error})") from None


def _when_from_json(name: str, values: Any, lossy: bool) -> Any:
    """A stored condition's list of parent values, each read back as a choice is."""
    if not isinstance(values, list):
        return values  # not written by space_to_json: Space.from_dict names what is wrong
    # a list is no value (not hashable): one is a tuple stored as a list before 0.5.0 did not
    return [_choice_from_json(name, _tuples(v), lossy) for v in values]


def _tuples(choice: Any) -> Any:
    """A format-1 choice with its lists (tuples when written) turned back into tuples."""
    return tuple(_tuples(c) for c in choice) if isinstance(choice, list) else choice


_NONFINITE = ("nan", "inf", "-inf")  # the non-finite float choices, as {"float": "nan"}


def _choice_from_json(name: str, choice: Any, lossy: bool) -> Any:
    if isinstance(choice, dict) and set(choice) == {"tuple"} and isinstance(choice["tuple"], list):
        return tuple(_choice_from_json(name, c, lossy) for c in choice["tuple"])
    if isinstance(choice, dict) and set(choice) == {"float"} and choice["float"] in _NONFINITE:
        return float(choice["float"])
    if isinstance(choice, dict) and set(choice) == {"repr"} and isinstance(choice["repr"], str):
        if lossy:
            return ChoiceRepr(choice["repr"])
        raise JournalError(
            f"dimension {name!r} has the choice {choice['repr']}, which JSON cannot carry "
            "(only its repr was stored)")  # the caller says how to pass the space
    return choice


def first_difference(stored: Mapping[str, Any], space: Space, version: int = JOURNAL_VERSION,
                     holder: str = "the study") -> str | None:
    """How `space` differs from a stored space definition, naming the first differing
    dimension (position, name, stored vs given spec) and `holder`, what stored it; None
    if they are equal. Format 1 stored choices as `json.dumps(..., default=repr)` did
    (tuples as lists)."""
    if version == 1:
        given = comparable_space(space.to_dict())
    else:
        given = list(space_to_json(space).items())
    old = list(stored.items())
    for position, (before, now) in enumerate(zip(old, given)):
        if before != now:
            return (f"dimension {position} is {before[0]!r}: {before[1]} in {holder}, "
                    f"not {now[0]!r}: {now[1]}")
    if len(old) != len(given):
        extra = old[len(given)] if len(old) > len(given) else given[len(old)]
        where = f"only in {holder}" if len(old) > len(given) else f"not in {holder}"
        return (f"{holder} has {len(old)} dimensions, not {len(given)}: dimension "
                f"{min(len(old), len(given))} {extra[0]!r}: {extra[1]} is {where}")
    return None


def comparable_space(spec: Mapping[str, Any]) -> list[Any]:
    """A space definition as format 1 wrote it and reads back from JSON (tuples become
    lists, other non-JSON choices their repr), as an ordered list: order matters,
    points are stored by position."""
    return list(json.loads(json.dumps(spec, default=repr)).items())


def holds_a_run(path: str | os.PathLike[str]) -> bool:
    """True if the file exists and has at least one complete line (a header): read from
    its start up to the first newline only, a block at a time."""
    path = Path(path)
    if not path.exists():
        return False
    with path.open("rb") as file:
        for block in iter(lambda: file.read(_HEADER_BLOCK), b""):
            if b"\n" in block:
                return True
    return False


_HEADER_BLOCK = 1 << 16  # bytes `holds_a_run` reads at a time (a header is a few kB)


def check_journal_path(journal: Any) -> str | os.PathLike[str]:
    """A journal is named by a file path (str or os.PathLike) that is not a directory:
    TypeError or ValueError naming ``journal=`` and the path."""
    if not isinstance(journal, (str, os.PathLike)):
        raise TypeError(f"journal={journal!r} must be a file path (str or os.PathLike)")
    if Path(journal).is_dir():
        raise ValueError(f"journal={os.fspath(journal)!r} is a directory: name a file in it, "
                         f"e.g. {os.path.join(journal, 'run.jsonl')!r}")
    return journal


def check_exists(path: str | os.PathLike[str], name: str) -> None:
    """JournalError unless `path` (a `check_journal_path`-checked path, `name` names it)
    exists: a missing journal is not an empty one."""
    if not Path(path).is_file():
        raise JournalError(f"{name} does not exist")


def read_journal(path: str | os.PathLike[str]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(header, events) of a journal file, read without writing to it; a torn last line
    is skipped with a `TruncatedJournalWarning`."""
    with _opened(path) as (storage, study, header):
        return header, _storage_call(lambda: storage.read(study))


def read_header(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The checked header of a journal file, as `read_journal` gives it, without parsing
    the events (what ``bayesopt show`` and ``run`` check before replaying them once)."""
    with _opened(path) as (_, _, header):
        return header


@contextmanager
def _opened(path: str | os.PathLike[str]) -> Iterator[tuple[JSONLStorage, str, dict[str, Any]]]:
    """The journal file's storage (closed on exit), its study and its checked header."""
    check_exists(check_journal_path(path), f"journal {str(path)!r}")
    storage = JSONLStorage(path)
    try:
        names = _storage_call(storage.studies)
        if not names:
            raise JournalError(f"journal {str(path)!r} is empty")
        header = _storage_call(lambda: storage.header(names[0]))
        check_header(header, f"journal {str(path)!r}")
        yield storage, names[0], header
    finally:
        storage.close()


def _storage_call(call: Callable[[], T]) -> T:
    """`call()`, its StorageError raised as a JournalError."""
    try:
        return call()
    except JournalError:
        raise
    except StorageError as error:
        raise JournalError(str(error)) from None


def check_header(header: Mapping[str, Any], name: str | os.PathLike[str]) -> None:
    """JournalError naming `name` (how messages name the journal or study, `describe`)
    unless `header` is one this library reads; a format newer than `JOURNAL_VERSION` is
    refused with the library version that wrote it and the remedy (upgrade bayesopt), and
    so is a key this library does not know, in the header, its config, or a settings table
    of the config (`HEADER_KEYS`, `CONFIG_KEYS`, `OPTIONAL_KEYS`, the fields of
    `OptimizerOptions` and `SuccessiveHalving`): the format version has stayed 2 while
    settings were added, and a reader that skipped one would run other settings than the
    study's writers (as `bayesopt.events` refuses an event's unknown field)."""
    where = os.fspath(name)
    if header.get("journal") != JOURNAL_FORMAT:
        raise JournalError(f"{where} is not a bayesopt journal (no header line)")
    version = header.get("version")
    if version not in READABLE_VERSIONS:
        raise JournalError(f"{where} has format version {version!r}; "
                           f"{_reader_and_remedy(header, version)}")
    for key in ("space", "config"):
        if not isinstance(header.get(key), dict):
            raise JournalError(f"{where}: header has no {key!r} table")
    missing = [key for key in CONFIG_KEYS if key not in header["config"]]
    if missing:
        raise JournalError(f"{where}: header config lacks {missing}")
    command = header.get("command")
    if command is not None and not (isinstance(command, dict) and isinstance(
            command.get("argv"), list) and all(isinstance(a, str) for a in command["argv"])):
        raise JournalError(f"{where}: header's 'command' {command!r} is not a table whose "
                           "'argv' is a list of strings")
    if command is not None and not isinstance(command.get("cwd", ""), str):
        raise JournalError(f"{where}: header's 'command' has cwd={command['cwd']!r}, not a "
                           "directory's path")
    unknown = _unknown_keys(header)
    if unknown:  # a newer writer's setting: running without it would run other settings
        raise JournalError(f"{where}: header has the key(s) {unknown}, which "
                           f"{newer_writer(header.get('library'))}")


def _unknown_keys(header: Mapping[str, Any]) -> list[str]:
    """The keys of a header (`check_header`-checked so far) that this library does not
    know, dotted ("config.options.model.warp"): the header's own, its config's, and
    those of the settings tables in its config (options, pruner)."""
    from bayesopt.fidelity import SuccessiveHalving
    from bayesopt.options import OptimizerOptions, unknown_settings

    config = header["config"]
    unknown = [key for key in header if key not in HEADER_KEYS]
    unknown += _unknown_dimension_keys(header["space"])
    unknown += [f"command.{key}" for key in header.get("command") or {}
                if key not in COMMAND_KEYS]
    unknown += [f"config.{key}" for key in config if key not in (*CONFIG_KEYS, *OPTIONAL_KEYS)]
    unknown += unknown_settings(config["options"], OptimizerOptions, "config.options")
    if "pruner" in config:
        unknown += unknown_settings(config["pruner"], SuccessiveHalving, "config.pruner")
    return unknown


def _unknown_dimension_keys(space: Mapping[str, Any]) -> list[str]:
    """The keys of the header's dimension definitions that this library does not know for
    their type ("space.units.step" to 0.8.0, before steps existed), dotted; a definition
    that is no table, or of an unknown type, is left to `space_from_json` to name."""
    unknown = []
    for name, spec in space.items():
        known = definition_keys(spec.get("type")) if isinstance(spec, Mapping) else None
        if known is not None:
            unknown += [f"space.{name}.{key}" for key in spec if key not in known]
    return unknown


def newer_writer(library: Any = None) -> str:
    """The end of a refusal of what this library does not know (a header's key, an event's
    field or kind): which bayesopt wrote it, if recorded (`library`), and the remedy."""
    from bayesopt import __version__

    if library == __version__:  # this version never writes what it does not know
        return (f"bayesopt {__version__} does not know, though this version wrote the study: "
                "it was edited by hand or is corrupt")
    wrote = (f"it was written by bayesopt {library}" if isinstance(library, str)
             else "if a newer bayesopt wrote it")
    return (f"bayesopt {__version__} does not know; {wrote}: upgrade bayesopt wherever "
            "the study is read")


def _reader_and_remedy(header: Mapping[str, Any], version: Any) -> str:
    """What reads which versions, and, for a version above them, who wrote it and what to do."""
    from bayesopt import __version__

    text = f"bayesopt {__version__} reads versions {list(READABLE_VERSIONS)}"
    if isinstance(version, int) and not isinstance(version, bool) and version > JOURNAL_VERSION:
        library = header.get("library", "version unknown")
        text += (f"; it was written by a newer bayesopt ({library})"
                 ": upgrade bayesopt here to read it")
    return text


CONFIG_KEYS = ("acquisition", "n_initial", "seed", "maximize", "ucb_beta", "options")
# config keys a header may leave out: written only when set, or before they existed
OPTIONAL_KEYS = ("pending_timeout", "n_constraints", "cost_budget", "pruner", "feasible")
# a header's own keys: "study" is the JSON-lines file's (`bayesopt.storage.jsonl`);
# "fingerprint", "resolved_config" and "command" (`bayesopt run`'s, since 0.6.0) are for
# readers (a header written before they existed lacks them)
HEADER_KEYS = ("journal", "version", "library", "study", "space", "config", "fingerprint",
               "resolved_config", "command")
# the keys of a header's "command" ("cwd" since 0.7.0; a command written before lacks it)
COMMAND_KEYS = ("argv", "space_file", "space_sha256", "cwd")

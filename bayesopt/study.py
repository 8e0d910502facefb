"""An optimizer's link to its study in a storage: create or attach, catch up, append.

    storage : a `bayesopt.storage.Storage` (a JSON-lines file, SQLite, PostgreSQL)
    study   : the study's name in it
    seen    : how many of the study's events this optimizer's state has applied

Catching up reads the events numbered `seen`, `seen + 1`, ... and applies
each through `OptimizerState.apply`; committing an event of one's own
appends it and applies it the same way (after any events another writer
appended first), so the state always equals the fold of the study's events
in storage order. A journal (``journal=path``) is a link with one writer,
which never reads back (the events are its own), and which also stores each
event's checkpoint, so that `Optimizer.resume` restores the generator and the
surrogate instead of recomputing them; a shared study stores facts only,
since every worker keeps its own generator and surrogate.

An event of one's own that raises when applied (a defect: the fold of the
events it was built from admits it) is removed again from a journal, whose
one writer appended it last (`JSONLStorage.retract`), so that a resume never
meets it; a shared study's stays stored. Either way `ApplyFailed` tells the
optimizer, which refuses every later change (`Optimizer._commit`).
"""

from __future__ import annotations

import inspect
import json
import logging
import os
import signal
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import replace
from functools import partial
from typing import Any

from bayesopt.events import Event, Failure, RunCommand, Tell, from_record, to_record
from bayesopt.failures import caller_level
from bayesopt.feasibility import check_recorded
from bayesopt.fidelity import SuccessiveHalving
from bayesopt.journal import (
    JOURNAL_FORMAT,
    JOURNAL_VERSION,
    JournalError,
    check_header,
    first_difference,
    space_to_json,
)
from bayesopt.space import Space
from bayesopt.state import OptimizerState
from bayesopt.storage import LockLost, OutcomeUnknown, Storage, StorageError, StudyDeleted
from bayesopt.storage.jsonl import JSONLStorage

logger = logging.getLogger(__name__)

__all__ = ["CLOCK_SKEW_WARNING", "PAGE", "ClockSkewWarning", "StudyLink", "apply_record",
           "command_difference", "held_interrupts", "journal_writer", "last_writer", "make_header",
           "read_pages", "recording_command", "relative_paths", "run_command"]

# (the "command" record a new header gets, whether attaching compares it): set by
# `recording_command`, i.e. by `bayesopt run`; Python callers have no command to record
_COMMAND: ContextVar[tuple[Mapping[str, Any], bool] | None] = ContextVar(
    "bayesopt_command", default=None)


@contextmanager
def recording_command(record: Mapping[str, Any], *, enforce: bool) -> Iterator[None]:
    """Within the block (this thread or task), a study or journal created here records
    `record` in its header as "command" (`bayesopt run`'s: "argv", the command template
    after ``--``; "space_file", the space file's absolute path; "space_sha256", its
    contents' hash; "cwd", the working directory, since 0.7.0), and, with `enforce`,
    attaching to a study whose header records another "argv", or another "cwd" where
    the command names a relative path, raises JournalError naming both
    (`command_difference`): two commands in one study are two objectives in one GP.
    A study or journal attached or resumed here whose header records another command or
    directory (or none) gets this one on each tell and failure it stores (`run_command`)."""
    token = _COMMAND.set((dict(record), enforce))
    try:
        yield
    finally:
        _COMMAND.reset(token)


CLOCK_SKEW_WARNING = 5.0  # seconds an event read may be stamped ahead of the reader's clock


class ClockSkewWarning(UserWarning):
    """An event of a shared study read here is stamped more than `CLOCK_SKEW_WARNING`
    seconds after this machine's clock says it is now: its worker's clock is ahead of
    this one's (or this one's behind). Or, the mirror image, an event stored after one of
    this worker's own is stamped more than that before it: its worker's clock is behind
    this one's (or this one's ahead; or that event waited as long between being made and
    being stored: a lock, the reconnections after a server restart). ``pending_timeout``
    compares the times the events carry, so a point is judged timed out (or alive) that
    much too early (or too late): a running point may be asked again. The message names
    the worker and the gap; each worker is warned about once."""


# what to do about a `command_difference` (only `bayesopt run` records commands)
COMMAND_REMEDY = ("; start a new journal or study, or add --allow-other-command if both "
                  "compute the same objective")


def command_difference(stored: Any, given: Mapping[str, Any], name: str) -> str | None:
    """How the command `given` differs from the "command" `stored` in the header of
    `name`, naming both command lines; None if their "argv" are equal and, where both
    record a working directory ("cwd") and they differ, the command names no relative path
    (`relative_paths`); None too if nothing is stored (a header written before 0.6.0, or
    by Python, records no command)."""
    from bayesopt.command import same_command, shell_join

    if not isinstance(stored, Mapping):
        return None
    if not same_command(stored["argv"], given["argv"]):
        return (f"{name} was made by the command `{shell_join(stored['argv'])}` (space file "
                f"{stored.get('space_file')}), not `{shell_join(given['argv'])}`: another "
                "command is another objective, which one GP cannot model with the first")
    before, here = stored.get("cwd"), given.get("cwd")
    if before is None or here is None or before == here:
        return None
    relative = relative_paths(given["argv"], (before, here))
    if not relative:
        return None
    return (f"{name} was made by `{shell_join(stored['argv'])}` in the directory {before}, "
            f"and this run is in {here}: its relative path(s) {relative} name other files "
            f"here, so the same words may be another objective; run it from {before}, or "
            "give absolute paths")


def relative_paths(argv: Sequence[str], directories: Sequence[str]) -> list[str]:
    """The words of a command that name a path relative to its working directory: each word
    (or an option's value after ``=``) that is not absolute, not a URL, and holds a ``/``
    or names a file or directory in one of `directories` (``train.py``,
    ``--save=ckpt/{bayesopt.run}``, ``--data .``)."""
    found = []
    for word in argv:
        path = word.split("=", 1)[1] if word.startswith("-") and "=" in word else word
        if not path or path.startswith("-") or os.path.isabs(path) or "://" in path:
            continue
        if "/" in path or any(os.path.lexists(os.path.join(d, path)) for d in directories):
            found.append(word)
    return found


def run_command(header: Mapping[str, Any]) -> RunCommand | None:
    """What each tell and failure stored here records of the command that evaluated it
    (`bayesopt.events.RunCommand`): the command being recorded (`recording_command`),
    where `header` records none, another "argv", or no or another "cwd"; else None (and
    None outside `recording_command`, from Python)."""
    from bayesopt.command import same_command

    recorded = _COMMAND.get()
    if recorded is None:
        return None
    given = recorded[0]
    stored = header.get("command")
    if (isinstance(stored, Mapping) and same_command(stored["argv"], given["argv"])
            and stored.get("cwd") == given.get("cwd")):
        return None
    return RunCommand(tuple(given["argv"]), str(given.get("cwd", os.getcwd())))


def make_header(space: Space, config: Mapping[str, Any],
                extras: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A new study's header: format, version, library version, space, creator's settings,
    `extras` for readers (the creator's fingerprint and resolved settings), and the
    command that runs it where one is recorded (`recording_command`)."""
    from bayesopt import __version__

    header = {"journal": JOURNAL_FORMAT, "version": JOURNAL_VERSION, "library": __version__,
              "space": space_to_json(space), "config": dict(config), **(extras or {})}
    recorded = _COMMAND.get()
    if recorded is not None:
        header["command"] = dict(recorded[0])
    return header


def _check_constraints(storage: Storage, study: str, header: Mapping[str, Any],
                       declared: int | None, name: str) -> None:
    """Raise unless ``n_constraints=declared`` is the study's: like the direction, declared
    in its header, or — a study created without it — the count its tells fixed (the first
    tell carrying constraint values fixes it, `bayesopt.outcomes`)."""
    recorded = header["config"].get("n_constraints")
    if recorded == declared:
        return
    if recorded is None and declared is not None:
        told = next((count for page in read_pages(storage, study, name)
                     if (count := _told_n_constraints(page)) is not None), None)
        if told == declared:
            return
        if told is not None:
            raise JournalError(f"{name} was created without n_constraints and its tells carry "
                               f"{told} constraint value(s); attach with n_constraints=None or "
                               f"{told}, not n_constraints={declared}")
    raise JournalError(f"{name} has n_constraints={recorded}; attach with "
                       f"n_constraints={recorded}, not n_constraints={declared}")


def _told_n_constraints(records: Sequence[Mapping[str, Any]]) -> int | None:
    """The number of constraint values per point of the first tell record carrying them;
    None if none does (a malformed record is left to `apply_record`, which names it)."""
    for record in records:
        rows = record.get("constraints")
        if record.get("event") == "tell" and isinstance(rows, list) and rows \
                and isinstance(rows[0], list):
            return len(rows[0])
    return None


@contextmanager
def held_interrupts() -> Iterator[None]:
    """Hold Ctrl-C (SIGINT) until the block ends, then deliver it to the handler that was
    in place: an event is applied to the optimizer's state whole, and one appended to a
    journal or study is applied too (a KeyboardInterrupt between the two left a journal
    that its own optimizer then refused as another writer's). Signals reach only the main
    thread, which alone may set their handlers; elsewhere, or under a handler not set
    from Python, nothing is held."""
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is None):
        yield
        return
    held: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: held.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if held:
            _deliver_held()


def _deliver_held() -> None:
    """Raise the held SIGINT (`signal.raise_signal` runs its handler before returning);
    a KeyboardInterrupt it raises says (Python 3.11+) that the call it stopped is done."""
    try:
        signal.raise_signal(signal.SIGINT)
    except KeyboardInterrupt as stop:
        if sys.version_info >= (3, 11):
            stop.add_note("bayesopt held this Ctrl-C until the optimizer had recorded the "
                          "ask or tell under way: that call is done (opt.history and "
                          "opt.pending show it), so do not repeat a tell")
        raise


class ApplyFailed(Exception):
    """Applying an event that this optimizer built and appended raised (a defect of
    bayesopt; the cause is chained): event `number`, and whether its append was undone
    (`retracted`: a journal's; a shared study's stays stored). Without a journal or study,
    number is None and nothing was stored."""

    def __init__(self, number: int | None, retracted: bool) -> None:
        super().__init__(number, retracted)
        self.number, self.retracted = number, retracted


class StudyLink:
    """See the module docstring."""

    def __init__(self, storage: Storage, study: str, name: str, *, with_state: bool,
                 command: RunCommand | None = None, owned: bool = True) -> None:
        self.storage, self.study, self.name = storage, study, name
        self.with_state = with_state
        self.owned = owned  # opened here from a path or URL: `close` closes it (else the caller's)
        self.command = command  # recorded on each tell and failure stored (`run_command`)
        self.seen = 0
        self.claimed = False  # a journal: its writer claim is held (`claim`)
        # the record of the last append whose outcome is unknown (`OutcomeUnknown`), as
        # `_same_fact` compares records, and whether a catch-up has read it since
        self.unsure: str | None = None
        self.unsure_stored = False
        self.skewed: set[str] = set()  # workers whose clock skew was warned about
        # (number, time) of the last event of this worker stored (`_check_clock`)
        self.own: tuple[int, float] | None = None
        # appends that stored, or may have stored, something: each `_append` called, less
        # those whose storage says their error appended nothing (`recording`)
        self.written = 0

    @classmethod
    def attach(cls, storage: Storage, study: str, space: Space, config: Mapping[str, Any],
               name: str, *, with_state: bool,
               extras: Mapping[str, Any] | None = None, owned: bool = True) -> StudyLink:
        """Create `study` with this space, or attach to it if its space is equal; `owned`:
        the storage was opened for this link (`close` closes it)."""
        header = wrap_errors(name, lambda: storage.create_or_attach(
            study, make_header(space, config, extras)))
        check_header(header, name)
        difference = first_difference(header["space"], space)
        if difference is not None:
            raise JournalError(f"{name} was written for another space: {difference}")
        stored = header["config"]["maximize"]
        if stored != config["maximize"]:  # the direction belongs to the study, like its space
            raise JournalError(f"{name} {'maximizes' if stored else 'minimizes'} its objective; "
                               f"attach with maximize={stored}, not {config['maximize']}")
        _check_constraints(storage, study, header, config.get("n_constraints"), name)
        check_recorded(header["config"], config.get("feasible"), name,
                       "when attaching (Optimizer(..., feasible=...))")
        _check_pruner(header["config"], config, space, name)
        recorded = _COMMAND.get()
        if recorded is not None and recorded[1]:
            difference = command_difference(header.get("command"), recorded[0], name)
            if difference is not None:
                raise JournalError(difference + COMMAND_REMEDY)
        return cls(storage, study, name, with_state=with_state, command=run_command(header),
                   owned=owned)

    @contextmanager
    def lock(self) -> Iterator[None]:
        with self.storage.lock(self.study):
            yield

    def catch_up(self, state: OptimizerState, until: int | None = None) -> int:
        """Apply the study's events from `seen` on (up to number `until`, excluded);
        the number applied. A journal has one writer, whose events are all applied
        already: it reads nothing."""
        if self.with_state:
            return 0
        start = self.seen
        for page in read_pages(self.storage, self.study, self.name, self.seen, until):
            now = time.time()  # after the page was read: no event of it is stamped later
            for record in page:
                self._check_clock(record, now, state.worker)
                apply_record(state, record, self.name, self.seen)
                self.seen += 1
                if self.unsure is not None and _same_fact(record) == self.unsure:
                    self.unsure_stored = True
        return self.seen - start

    def _check_clock(self, record: Mapping[str, Any], now: float, own: str | None) -> None:
        """`ClockSkewWarning`, once per worker, for an event of a worker other than `own`
        (this optimizer's) stamped ahead of `now` by more than `CLOCK_SKEW_WARNING` seconds
        (it was stamped before it was read, so only a clock ahead of this machine's can
        date it later), or stamped more than that before this worker's last event stored
        before it (`self.own`; so only a clock behind this machine's, or a wait that long
        between making and storing the event, can date it earlier): each side of a skew
        learns it from the other's events. An event of `own` is remembered instead."""
        stamped, worker = record.get("time"), str(record.get("worker"))
        if not isinstance(stamped, (int, float)) or isinstance(stamped, bool):
            return
        if own is not None and record.get("worker") == own:
            self.own = (self.seen, float(stamped))
            return
        if worker in self.skewed:
            return
        if stamped - now > CLOCK_SKEW_WARNING:
            gap = f"is stamped {stamped - now:.0f} s ahead of this machine's clock"
        elif self.own is not None and self.own[1] - stamped > CLOCK_SKEW_WARNING:
            gap = (f"is stamped {self.own[1] - stamped:.0f} s before event {self.own[0]}, "
                   "this worker's own, which was stored before it: that worker's clock is "
                   "behind this machine's (or this one's ahead), or its event waited as long "
                   "to be stored")
        else:
            return
        self.skewed.add(worker)
        warnings.warn(
            f"{self.name}: event {self.seen}, of worker {worker!r}, {gap}: the workers' "
            "clocks differ, and pending_timeout compares the times the events carry, so "
            "points are judged timed out (or alive) that much too early (or late), and a "
            "running point may be asked again; synchronize the machines' clocks (NTP)",
            ClockSkewWarning, stacklevel=caller_level())

    def commit(self, state: OptimizerState, event: Event) -> None:
        """Append `event` and apply it after any events appended before it."""
        if self.with_state and not self.claimed:
            self.claim()
        if self.command is not None and isinstance(event, (Tell, Failure)):
            event = replace(event, command=self.command)
        record = to_record(event, state.space, self.with_state)
        if self._stored_before(state, record):
            return
        with held_interrupts():  # appended, then applied: never the one without the other
            number = wrap_errors(self.name, lambda: self._append(record))
            try:
                self.catch_up(state, until=number)  # a shared study: what others appended first
            except JournalError as error:  # stored, not applied: applied when read back
                self.unsure, self.unsure_stored = _same_fact(record), False
                stored = JournalError(
                    f"{error}; the {record['event']} was stored first (event {number}), and "
                    "this optimizer applies it when it reads the study again: do not repeat "
                    "the call (repeated, it is recorded once)")
                stored.unknown = True
                raise stored from None
            try:
                state.apply(event)
            except Exception as error:  # a defect: an event built here must apply
                raise ApplyFailed(number, self._retract(number)) from error
            self._check_clock(record, time.time(), state.worker)  # its own: remembered
            self.seen = number + 1

    def _retract(self, number: int) -> bool:
        """After event `number` was appended and could not be applied: a journal's one
        writer removes it (`JSONLStorage.retract`), so that a resume does not meet it; True
        if removed. A shared study's event stays (other workers may have read it)."""
        if not self.with_state:
            return False
        storage = self.storage
        assert isinstance(storage, JSONLStorage), "a journal is a JSON-lines file"
        try:
            storage.retract(self.study, number)
        except (OSError, StorageError):
            return False
        self.written -= 1
        return True

    def _stored_before(self, state: OptimizerState, record: dict[str, Any]) -> bool:
        """After an append whose outcome was unknown (`OutcomeUnknown`), whether `record`
        is the same fact, which that append stored after all: the study, read to its end,
        holds it, and it is applied already. So telling again, as the error advises, records
        the tell once. Any other event, or none stored, clears the doubt."""
        if self.unsure is None:
            return False
        self.catch_up(state)  # raises, the doubt kept, while the study cannot be read
        stored = self._repeats(record)
        self.unsure, self.unsure_stored = None, False
        if stored:
            logger.info("%s: %s event found stored by the append whose outcome was unknown; "
                        "not appended again", self.name, record.get("event"))
        return stored

    def repeats(self, state: OptimizerState, event: Event) -> bool:
        """Whether committing `event` would append nothing (`_stored_before`): it is the
        same fact as an append whose outcome was unknown, found stored by a catch-up."""
        return self._repeats(to_record(event, state.space, self.with_state))

    def _repeats(self, record: dict[str, Any]) -> bool:
        return (self.unsure is not None and self.unsure_stored
                and _same_fact(record) == self.unsure)

    def _append(self, record: dict[str, Any]) -> int:
        """Append one record; a journal's only after every event this optimizer applied."""
        storage = self.storage
        try:
            if not self.with_state:
                number = storage.append(self.study, [record])
            else:
                assert isinstance(storage, JSONLStorage), "a journal is a JSON-lines file"
                number = storage.append(self.study, [record], expected=self.seen)
        except OutcomeUnknown:
            self.written += 1
            self.unsure, self.unsure_stored = _same_fact(record), False
            raise
        except BaseException as error:
            nothing = getattr(storage, "appended_nothing", None)
            if nothing is None or not nothing(error):
                self.written += 1
            raise
        self.written += 1
        return number

    @contextmanager
    def recording(self, what: str) -> Iterator[None]:
        """A JournalError raised in the block by a call that appended nothing — it failed
        before its append (a read, the lock), or its append failed and the storage says
        nothing was appended (``storage.appended_nothing(error)``: SQLite, PostgreSQL) —
        says so: "nothing was recorded; the `what` can be repeated". Not for a study
        deleted meanwhile (repeating cannot help), nor an outcome unknown."""
        written = self.written
        try:
            yield
        except JournalError as error:
            if self.written == written and not error.unknown \
                    and not isinstance(error, StudyDeletedError):
                error.args = (f"{error}; nothing was recorded; the {what} can be repeated",)
            raise

    def claim(self) -> None:
        """A journal has one writer process: before this optimizer's first append, hold
        the file's writer claim (`JSONLStorage.claim_writer`, refused while another
        process writes it); if the process takes it anew, check that the file holds no
        event this optimizer has not applied — written by another process since it was
        read — so that two processes' runs are never interleaved."""
        storage = self.storage
        assert isinstance(storage, JSONLStorage), "a journal is a JSON-lines file"
        if wrap_errors(self.name, storage.claim_writer):
            unread = wrap_errors(self.name, lambda: storage.count(self.study)) - self.seen
            if unread:
                raise JournalError(f"{self.name} holds {unread} event(s) this optimizer has "
                                   "not read, written since by another process: resume it "
                                   "again")
        self.claimed = True

    def close(self) -> None:
        """Close the storage if it was opened for this link; a `Storage` object the caller
        gave stays open (theirs to close, as `Optimizer._attach` leaves it on a raise)."""
        if self.owned:
            self.storage.close()


def _same_fact(record: Mapping[str, Any]) -> str:
    """A record as JSON without what a second attempt at the same fact changes: the time
    it was made, the pending runs it released ("claims": none once the first attempt's is
    applied) and a checkpoint."""
    kept = {key: value for key, value in record.items()
            if key not in ("time", "claims", "state")}
    return json.dumps(kept, sort_keys=True)


def apply_record(state: OptimizerState, record: Mapping[str, Any], name: str, number: int) -> None:
    """Parse one stored event and apply it; any defect raises JournalError naming the event."""
    try:
        state.apply(from_record(record, state.space))
    except JournalError as error:
        raise JournalError(f"{name}, event {number}: {error}") from None
    except (KeyError, TypeError, ValueError, OverflowError, IndexError) as error:
        raise JournalError(f"{name} is corrupt at event {number}: "
                           f"{type(error).__name__}: {error}") from None


def _check_pruner(stored: Mapping[str, Any], given: Mapping[str, Any], space: Space,
                  name: str) -> None:
    """The study's early-stopping rule, like its direction: each worker applies every
    report and tell by its own rule, so workers with two rules would record the same run
    as "ok" and as "pruned". Compared as the rules they stand for (None: the default)."""
    def rule(config: Mapping[str, Any]) -> SuccessiveHalving:
        pruner = config.get("pruner")
        return SuccessiveHalving.rule_of(
            None if pruner is None else SuccessiveHalving(**pruner), space.fidelity)

    try:
        study_rule = rule(stored)
    except (TypeError, ValueError) as error:  # a header edited by hand or corrupt
        raise JournalError(f"{name} is corrupt: its header's pruner "
                           f"{stored.get('pruner')!r} is not a rule: {error}") from None
    if study_rule != rule(given):
        raise JournalError(f"{name} stops runs early by pruner={study_rule!r}; attach with "
                           f"that pruner, not pruner={rule(given)!r}")


# Events read, parsed and applied at a time by a replay or a catch-up (`read_pages`): the
# parsed records of a whole study at once took about 20 times its file's size at the peak
# of a resume (bench/results/large_study.md)
PAGE = 1000


def read_pages(storage: Storage, study: str, name: str, offset: int = 0,
               until: int | None = None) -> Iterator[list[dict[str, Any]]]:
    """The events of `study` from number `offset` on (up to `until`, excluded; None: to the
    end), in pages of at most `PAGE` when the storage's `read` takes ``limit=`` (every
    built-in one does), else in one list. A StorageError is raised as `wrap_errors` does."""
    if "limit" not in inspect.signature(storage.read).parameters:
        records = wrap_errors(name, lambda: storage.read(study, offset))
        yield records if until is None else records[: max(0, until - offset)]
        return
    while until is None or offset < until:
        limit = PAGE if until is None else min(PAGE, until - offset)
        page = wrap_errors(name, partial(storage.read, study, offset,
                                         limit=limit))  # type: ignore[call-arg]
        if page:
            yield page
        if len(page) < limit:
            return
        offset += len(page)


def last_writer(records: Sequence[Mapping[str, Any]]) -> str | None:
    """The worker of the last event that stored a checkpoint (whose state a resume adopts)."""
    record = _last_checkpointed(records)
    worker = None if record is None else record.get("worker")
    return worker if isinstance(worker, str) else None


def journal_writer(storage: JSONLStorage, study: str, name: str, count: int) -> str | None:
    """`last_writer` of the journal's first `count` events, read from the end in pages of
    1, 2, 4, ... up to `PAGE` events (the last event usually holds a checkpoint)."""
    end, size = count, 1
    while end > 0:
        start = max(0, end - size)
        page = wrap_errors(name, partial(storage.read, study, start, limit=end - start))
        if _last_checkpointed(page) is not None:
            return last_writer(page)
        end, size = start, min(2 * size, PAGE)
    return None


def _last_checkpointed(records: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    return next((r for r in reversed(records) if r.get("state") is not None), None)


class StudyDeletedError(JournalError):
    """The shared study was deleted since this optimizer attached to it (`StudyDeleted`
    from the storage, named as `wrap_errors` names its errors); `recreated` as there."""

    def __init__(self, message: str, *, recreated: bool) -> None:
        super().__init__(message)
        self.recreated = recreated


def wrap_errors(name: str, call: Callable[[], Any]) -> Any:
    """Run a storage call; its StorageError (or OSError) becomes a JournalError naming `name`
    (a `StudyDeletedError` for a study deleted since it was attached)."""
    try:
        return call()
    except (JournalError, LockLost):
        raise
    except StudyDeleted as error:
        raise StudyDeletedError(_named(name, error), recreated=error.recreated) from None
    except OutcomeUnknown as error:
        unknown = JournalError(_named(name, error))
        unknown.unknown = True
        raise unknown from None
    except (StorageError, OSError) as error:
        raise JournalError(_named(name, error)) from None


def _named(name: str, error: BaseException) -> str:
    """`error`'s message prefixed by `name`, unless it names it first already (a JSON-lines
    storage's errors start "journal 'run.jsonl', line 3: ...")."""
    message = str(error)
    return message if message.startswith(name) else f"{name}: {message}"


def describe(path_or_url: str | os.PathLike[str], study: str | None = None) -> str:
    """How messages name a storage: "journal 'run.jsonl'" or "study 'a' in 'sqlite:///x'"."""
    where = repr(os.fspath(path_or_url))
    return f"journal {where}" if study is None else f"study {study!r} in {where}"

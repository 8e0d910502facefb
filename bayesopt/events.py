"""The events an optimizer's state is a fold over, and their JSON form.

    Event       : what happened — points (validated dicts in user units), the wall
                  time it happened (seconds since the epoch), the worker that made it
    Checkpoint  : the writer's computation state right after the event (random
                  generator, initial-design position, surrogate record); lets a
                  replay skip re-running asks and hyperparameter fits
    EVENTS      : registry {kind: event class}; a new kind (a report at a step, a
                  budget, a cost) is a new class here plus an applier registered in
                  `bayesopt.state` — never a new branch in existing code

JSON form of one event (journal format 2; format 1 lacks "time", "worker" and
"durations"):

    {"event": "tell", "points": [[...], ...], "values": [...], "durations": [...],
     "time": 1.7e9, "worker": "3f2a...",
     "state": {"rng": ..., "design_used": ..., "model": ...} | null}

"durations" (seconds per evaluation, of tells and failures) is left out when
none is known; "time" is also each observation's `timestamp`. A tell may also
carry "constraints" (one list of outcome-constraint values per point) and
"costs" (one cost or null per point), each left out when absent; a failure
may carry "costs" too (journals written before it have none). An ask of
acquisition="hedge" carries "hedge": {"gains": [...], "nominees": [[[...]]],
"chosen": [...]} (`bayesopt.hedge.HedgeRecord`; left out otherwise); an ask with
`OptimizerOptions.random_interleave` carries "interleaved": [indices of its points drawn
uniformly at random] when there are any; an ask of an optimizer with `pending_timeout`
carries "pending_timeout": its seconds (the asking worker's own, which judged the other
workers' pending points; left out without one; studies written before have none). A
report carries "claims": the claim of the run each of its points reports on (`Report`;
reports written before 0.6.0 have none); so do a tell, a failure and a heartbeat since 0.6.0,
and a cancel since 0.7.0 (the run each point is of; left out when none is known, and absent
from those written before, which are matched by their params). Since 0.7.0 a tell or
failure stored by a ``bayesopt run`` whose command or working directory is not the one its
study's header records carries "command": {"argv": [...], "cwd": "..."} (`RunCommand`), the
command that evaluated its points; it is for readers (`bayesopt show`) and plays no part in
the fold. Since 0.8.0 a tell may carry "pruned": [step or null per point], the step at
which each point's run was stopped by a rule not the optimizer's own (``tell(pruned=True)``;
left out when none was), and a pending event "numbered": true, its points taking run ids.
Since 0.10.0 a tell may carry "complete": [true or false per point], true where the point's
run reported past the step at which `report` said stop and was told without
``pruned=True`` (the advice ignored, the run trained on): the point is recorded "ok", a
complete run; a tell without the field, as every tell written before, records such a run
"pruned" at its stop (left out when no point is).

A field that no event of this library knows (`COMMON_KEYS` and each class's `keys`),
or an unknown kind, is refused when read, with the remedy (a newer bayesopt wrote it:
upgrade), never skipped: the header's format version has stayed 2 while fields were
added, so a reader that skipped a field would fold the study into another state than
its writers did.

A point is a list with one entry per dimension in the space's order: numbers
as they are, the *index* of the choice for categorical dimensions
(`bayesopt.journal.encode_point`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from bayesopt.hedge import HedgeRecord
from bayesopt.journal import JournalError, decode_point, encode_point
from bayesopt.space import Space
from bayesopt.validation import check_constraint_values, check_costs, check_real, check_value

__all__ = ["EVENTS", "Ask", "Cancel", "Checkpoint", "Event", "Failure", "Heartbeat", "Pending",
           "Report", "RunCommand", "Tell", "from_record", "to_record"]


@dataclass(frozen=True)
class Checkpoint:
    """The writer's random generator, design position and surrogate record after an event."""

    rng: dict[str, Any]
    design_used: int
    model: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"rng": self.rng, "design_used": self.design_used, "model": self.model}

    @classmethod
    def from_dict(cls, spec: Any) -> Checkpoint:
        if not isinstance(spec, Mapping) or not isinstance(spec.get("rng"), Mapping):
            raise JournalError(f"journal event has an invalid state {spec!r}")
        model = spec.get("model")
        if not isinstance(model, Mapping) or not {"n", "fit_n", "params"} <= set(model):
            raise JournalError(f"journal event has an invalid model state {model!r}")
        return cls(dict(spec["rng"]), int(spec["design_used"]), dict(model))


@dataclass(frozen=True)
class RunCommand:
    """The command that evaluated a tell's or failure's points, where it is not the one
    the study's header records (``bayesopt run --allow-other-command``, another working
    directory): its words after ``--`` and the directory it ran in."""

    argv: tuple[str, ...]
    cwd: str

    def to_dict(self) -> dict[str, Any]:
        return {"argv": list(self.argv), "cwd": self.cwd}

    @classmethod
    def from_dict(cls, spec: Any, kind: str) -> RunCommand:
        if (not isinstance(spec, Mapping) or set(spec) != {"argv", "cwd"}
                or not isinstance(spec["argv"], list) or not spec["argv"]
                or not all(isinstance(word, str) for word in spec["argv"])
                or not isinstance(spec["cwd"], str)):
            raise JournalError(f"{kind} event has command={spec!r}: expected "
                               '{"argv": [words], "cwd": "directory"}')
        return cls(tuple(spec["argv"]), spec["cwd"])


def _command_field(command: RunCommand | None) -> dict[str, Any]:
    return {} if command is None else {"command": command.to_dict()}


def _parse_command(record: Mapping[str, Any], kind: str) -> RunCommand | None:
    spec = record.get("command")
    return None if spec is None else RunCommand.from_dict(spec, kind)


EVENTS: dict[str, type[Event]] = {}
COMMON_KEYS = frozenset({"event", "points", "time", "worker", "state"})  # of every event


@dataclass(frozen=True, kw_only=True)
class Event:
    """Something that happened to a study; subclasses set `kind` and are registered."""

    kind: ClassVar[str]
    keys: ClassVar[frozenset[str]] = frozenset()  # its JSON fields beyond `COMMON_KEYS`
    points: tuple[dict[str, Any], ...]
    time: float | None = None
    worker: str | None = None
    checkpoint: Checkpoint | None = field(default=None, compare=False)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        assert cls.kind not in EVENTS, f"event kind {cls.kind!r} registered twice"
        EVENTS[cls.kind] = cls

    def fields(self) -> dict[str, Any]:
        """The JSON fields of this kind beyond points, time, worker and state."""
        return {}

    @classmethod
    def parse_fields(cls, record: Mapping[str, Any], n_points: int) -> dict[str, Any]:
        """The constructor arguments of this kind beyond the common ones, validated."""
        return {}


@dataclass(frozen=True, kw_only=True)
class Ask(Event):
    """Points handed out by `ask`: pending until told, failed or cancelled; with
    acquisition="hedge" also what the portfolio did (`bayesopt.hedge.HedgeRecord`); with
    `OptimizerOptions.random_interleave` the indices of the points drawn uniformly at
    random in place of the model's (`interleaved`)."""

    kind: ClassVar[str] = "ask"
    keys: ClassVar[frozenset[str]] = frozenset({"hedge", "interleaved", "pending_timeout"})
    hedge: HedgeRecord | None = None
    interleaved: tuple[int, ...] = ()
    pending_timeout: float | None = None  # the asking worker's own (recorded, never applied)

    def fields(self) -> dict[str, Any]:
        out: dict[str, Any] = {} if self.hedge is None else {"hedge": self.hedge.to_dict()}
        if self.interleaved:
            out["interleaved"] = list(self.interleaved)
        if self.pending_timeout is not None:
            out["pending_timeout"] = self.pending_timeout
        return out

    @classmethod
    def parse_fields(cls, record: Mapping[str, Any], n_points: int) -> dict[str, Any]:
        return {**_parse_hedge(record, n_points), **_parse_interleaved(record, n_points),
                **_parse_timeout(record)}


def _parse_timeout(record: Mapping[str, Any]) -> dict[str, Any]:
    """An ask's "pending_timeout": seconds (finite, ≥ 0), or absent."""
    spec = record.get("pending_timeout")
    if spec is None:
        return {}
    try:
        return {"pending_timeout": check_real("pending_timeout", spec, 0.0)}
    except (TypeError, ValueError) as error:
        raise JournalError(f"ask event: {error}") from None


def _parse_interleaved(record: Mapping[str, Any], n_points: int) -> dict[str, Any]:
    """An ask's "interleaved": distinct increasing indices of its points, or absent."""
    spec = record.get("interleaved")
    if spec is None:
        return {}
    if (not isinstance(spec, list) or not all(type(i) is int for i in spec)
            or any(not 0 <= i < n_points for i in spec) or spec != sorted(set(spec))):
        raise JournalError(f"ask event has interleaved={spec!r}: expected increasing "
                           f"indices of its {n_points} point(s)")
    return {"interleaved": tuple(spec)}


def _parse_hedge(record: Mapping[str, Any], n_points: int) -> dict[str, Any]:
    """An ask's "hedge" record (`bayesopt.hedge.HedgeRecord`), or absent."""
    spec = record.get("hedge")
    if spec is None:
        return {}
    try:
        hedge = HedgeRecord.from_dict(spec)
    except (TypeError, ValueError) as error:
        raise JournalError(f"ask event: {error}") from None
    if len(hedge.chosen) > n_points:
        raise JournalError(f"ask event has {n_points} points but {len(hedge.chosen)} "
                           "hedge choices")
    return {"hedge": hedge}


@dataclass(frozen=True, kw_only=True)
class Pending(Event):
    """Points being evaluated elsewhere (`add_pending`): pending like asked ones. Since
    0.8.0 the event carries "numbered": true, and its points take run ids as an ask's do
    (the next ones, in order; `bayesopt.state`); pending events written before have none,
    and their points no id, as then."""

    kind: ClassVar[str] = "pending"
    keys: ClassVar[frozenset[str]] = frozenset({"numbered", "scheduled"})
    numbered: bool = False
    # since 0.9.0, in a space with a Fidelity: its points start Hyperband trials
    # (`bayesopt.state`); a reader before 0.9.0 refuses the field, saying to upgrade,
    # instead of folding the points without trials
    scheduled: bool = False

    def fields(self) -> dict[str, Any]:
        return {**({"numbered": True} if self.numbered else {}),
                **({"scheduled": True} if self.scheduled else {})}

    @classmethod
    def parse_fields(cls, record: Mapping[str, Any], n_points: int) -> dict[str, Any]:
        flags = {}
        for key in ("numbered", "scheduled"):
            flag = record.get(key)
            if flag is not None and flag is not True:  # 1 == True, but no bayesopt writes 1
                raise JournalError(f"pending event has {key}={flag!r}: expected true or no "
                                   "such field")
            flags[key] = flag is True
        return flags


@dataclass(frozen=True, kw_only=True)
class Cancel(Event):
    """Pending points that will not be evaluated (`cancel`). Since 0.7.0 a cancel carries
    "claims", the claim of the run each point cancels (as a tell does): it drops that run,
    and nothing once that run is neither pending nor timed out; cancels written before
    have none and are matched by their params."""

    kind: ClassVar[str] = "cancel"
    keys: ClassVar[frozenset[str]] = frozenset({"claims"})
    claims: tuple[int | None, ...] = ()  # the cancelled runs' claims (as `Tell.claims`), if known

    def fields(self) -> dict[str, Any]:
        return _claims_field(self.claims)

    @classmethod
    def parse_fields(cls, record: Mapping[str, Any], n_points: int) -> dict[str, Any]:
        return {"claims": _parse_claims(record, n_points, cls.kind)}


@dataclass(frozen=True, kw_only=True)
class Heartbeat(Event):
    """Pending points still being evaluated (`Optimizer.heartbeat`): under `pending_timeout`
    each one's expiry counts from this event's time. A heartbeat is nothing but its time,
    so a stored one without a time is refused; it carries no checkpoint (it computes
    nothing). Since 0.6.0 it carries "claims", the claim of the run each point is of (as a
    report does): a sign of life of that run only, and of nothing once it is no longer
    pending; heartbeats written before have none and are matched by their params."""

    kind: ClassVar[str] = "heartbeat"
    keys: ClassVar[frozenset[str]] = frozenset({"claims"})
    claims: tuple[int | None, ...] = ()  # the runs' claims (as `Report.claims`); () when unknown

    def fields(self) -> dict[str, Any]:
        return _claims_field(self.claims)

    @classmethod
    def parse_fields(cls, record: Mapping[str, Any], n_points: int) -> dict[str, Any]:
        if record.get("time") is None:
            raise JournalError("heartbeat event has no time (a heartbeat is its time)")
        return {"claims": _parse_claims(record, n_points, cls.kind)}


@dataclass(frozen=True, kw_only=True)
class Tell(Event):
    """Evaluated points and their objective values (as told, maximization not applied).
    Since 0.6.0 a tell carries "claims", the claim of the run each point is of (as a report
    does): it releases that run, and nothing once that run is no longer pending (its value
    is still recorded); tells written before have none and are matched by their params.
    Since 0.8.0 a tell may carry "pruned": per point, the step at which the run was stopped
    by another rule than the optimizer's (``tell(pruned=True)``: Optuna's pruner, say; its
    last reported step), or null; the point is then recorded "pruned" at that step, as a
    run `report` stopped is. Left out when no point has one. Since 0.10.0 a tell may carry
    "complete": per point, true where its run reported past the step `report` stopped it
    at and the tell was not ``pruned=True``; the point is then recorded "ok" (a run told
    without the field is "pruned" at its stop, as 0.9.0 folded it). Left out when no
    point is; a point may not be both."""

    kind: ClassVar[str] = "tell"
    keys: ClassVar[frozenset[str]] = frozenset({"values", "durations", "constraints", "costs",
                                                "claims", "command", "pruned",
                                                "complete"})
    values: tuple[float, ...]
    durations: tuple[float | None, ...] = ()  # seconds each evaluation took, if known
    constraints: tuple[tuple[float, ...], ...] | None = None  # outcome constraints, per point
    costs: tuple[float | None, ...] = ()  # each evaluation's cost (> 0), if known
    claims: tuple[int | None, ...] = ()  # the told runs' claims (as `Report.claims`), if known
    command: RunCommand | None = None  # another command than the header's (since 0.7.0)
    # per point, the step it was told pruned at (``tell(pruned=True)``), or None (since 0.8.0)
    pruned: tuple[float | None, ...] = ()
    # per point, whether its run reported past its stop and was told plainly: recorded "ok"
    # (since 0.10.0; a reader before refuses the field, saying to upgrade, instead of
    # folding the point "pruned" at its stop)
    complete: tuple[bool, ...] = ()

    def fields(self) -> dict[str, Any]:
        fields = {"values": list(self.values), **_durations_field(self.durations)}
        if self.constraints is not None:
            fields["constraints"] = [list(row) for row in self.constraints]
        if any(c is not None for c in self.costs):
            fields["costs"] = list(self.costs)
        if any(s is not None for s in self.pruned):
            fields["pruned"] = list(self.pruned)
        if any(self.complete):
            fields["complete"] = list(self.complete)
        return {**fields, **_claims_field(self.claims), **_command_field(self.command)}

    @classmethod
    def parse_fields(cls, record: Mapping[str, Any], n_points: int) -> dict[str, Any]:
        values = record.get("values")
        if not isinstance(values, list) or len(values) != n_points:
            raise JournalError(f"tell event has {n_points} points but values {values!r}")
        try:
            values = tuple(check_value(v) for v in values)
        except (TypeError, ValueError) as error:
            raise JournalError(f"invalid value in journal: {error}") from None
        try:
            constraints = check_constraint_values(record.get("constraints"), n_points, None)
        except (TypeError, ValueError) as error:
            raise JournalError(f"invalid constraints in journal: {error}") from None
        return {"values": values, "durations": _parse_durations(record, n_points),
                "constraints": None if constraints is None else tuple(constraints),
                "costs": _parse_costs(record, n_points),
                "claims": _parse_claims(record, n_points, cls.kind),
                "command": _parse_command(record, cls.kind),
                **_parse_stops(record, n_points)}


def _parse_stops(record: Mapping[str, Any], n_points: int) -> dict[str, Any]:
    """A tell's "pruned" and "complete" fields; a point may not be both."""
    pruned, complete = _parse_pruned(record, n_points), _parse_complete(record, n_points)
    for i, (step, flag) in enumerate(zip(pruned, complete)):
        if flag and step is not None:
            raise JournalError(f"tell event: point {i} is both pruned (at step {step}) and "
                               "complete")
    return {"pruned": pruned, "complete": complete}


def _parse_complete(record: Mapping[str, Any], n_points: int) -> tuple[bool, ...]:
    """A tell's "complete": true or false per point; () when absent."""
    spec = record.get("complete")
    if spec is None:
        return ()
    # 1 == True, but no bayesopt writes 1
    if (not isinstance(spec, list) or len(spec) != n_points
            or not all(flag is True or flag is False for flag in spec)):
        raise JournalError(f"tell event has {n_points} point(s) but complete {spec!r}: "
                           "expected true or false per point")
    return tuple(spec)


def _parse_pruned(record: Mapping[str, Any], n_points: int) -> tuple[float | None, ...]:
    """A tell's "pruned": one step (a real number ≥ 0) or null per point; () when absent."""
    spec = record.get("pruned")
    if spec is None:
        return ()
    if not isinstance(spec, list) or len(spec) != n_points:
        raise JournalError(f"tell event has {n_points} point(s) but pruned {spec!r}: expected "
                           "one step (or null) per point")
    try:
        return tuple(None if s is None else check_real("pruned step", s, 0.0) for s in spec)
    except (TypeError, ValueError) as error:
        raise JournalError(f"tell event: {error}") from None


@dataclass(frozen=True, kw_only=True)
class Failure(Event):
    """Points whose evaluation failed, with one error text (or None) each."""

    kind: ClassVar[str] = "failure"
    keys: ClassVar[frozenset[str]] = frozenset({"errors", "durations", "costs", "claims",
                                                "command"})
    errors: tuple[str | None, ...]
    durations: tuple[float | None, ...] = ()  # seconds each evaluation took, if known
    costs: tuple[float | None, ...] = ()  # what each failed evaluation cost (> 0), if known
    claims: tuple[int | None, ...] = ()  # the failed runs' claims (as `Tell.claims`), if known
    command: RunCommand | None = None  # another command than the header's (as `Tell.command`)

    def fields(self) -> dict[str, Any]:
        fields = {"errors": list(self.errors), **_durations_field(self.durations)}
        if any(c is not None for c in self.costs):
            fields["costs"] = list(self.costs)
        return {**fields, **_claims_field(self.claims), **_command_field(self.command)}

    @classmethod
    def parse_fields(cls, record: Mapping[str, Any], n_points: int) -> dict[str, Any]:
        errors = record.get("errors", [None] * n_points)
        if not isinstance(errors, list) or len(errors) != n_points:
            raise JournalError(f"failure event has {n_points} points but errors {errors!r}")
        if not all(error is None or isinstance(error, str) for error in errors):
            raise JournalError(f"failure event has a non-text error in {errors!r}")
        return {"errors": tuple(errors), "durations": _parse_durations(record, n_points),
                "costs": _parse_costs(record, n_points),
                "claims": _parse_claims(record, n_points, cls.kind),
                "command": _parse_command(record, cls.kind)}


@dataclass(frozen=True, kw_only=True)
class Report(Event):
    """Intermediate values of pending points at a step (`Optimizer.report`, early stopping),
    and the claim each is of — the reported run's place among every point made pending
    (asked or `add_pending`, every worker's), 0-based (`bayesopt.state.PendingPoint.claim`):

        {"event": "report", "points": [[...]], "steps": [...], "values": [...],
         "claims": [...], ...}

    A report is applied to the run its claim names, and to nothing once that run is no
    longer pending (`bayesopt.state`). "claims" is left out when none is known: reports
    written before it (bayesopt 0.5.0 and earlier) are matched by their params, as then.
    """

    kind: ClassVar[str] = "report"
    keys: ClassVar[frozenset[str]] = frozenset({"steps", "values", "claims"})
    steps: tuple[float, ...]
    values: tuple[float, ...]
    claims: tuple[int | None, ...] = ()  # the reported runs' claims; () when unknown

    def fields(self) -> dict[str, Any]:
        return {"steps": list(self.steps), "values": list(self.values),
                **_claims_field(self.claims)}

    @classmethod
    def parse_fields(cls, record: Mapping[str, Any], n_points: int) -> dict[str, Any]:
        steps, values = record.get("steps"), record.get("values")
        for key, items in (("steps", steps), ("values", values)):
            if not isinstance(items, list) or len(items) != n_points:
                raise JournalError(f"report event has {n_points} points but {key} {items!r}")
        claims = _parse_claims(record, n_points, cls.kind)
        try:
            return {"steps": tuple(check_real("step", s, 0.0) for s in steps),  # type: ignore[union-attr]
                    "values": tuple(check_value(v) for v in values),  # type: ignore[union-attr]
                    "claims": claims}
        except (TypeError, ValueError) as error:
            raise JournalError(f"invalid report in journal: {error}") from None


def _claims_field(claims: tuple[int | None, ...]) -> dict[str, Any]:
    """The JSON "claims" field (a report's, tell's, failure's, heartbeat's, cancel's): left
    out when no claim is known."""
    return {"claims": list(claims)} if any(c is not None for c in claims) else {}


def _parse_claims(record: Mapping[str, Any], n_points: int,
                  kind: str) -> tuple[int | None, ...]:
    """An event's "claims": one integer ≥ 0 (or null) per point; () when absent."""
    claims = record.get("claims")
    if claims is None:
        return ()
    if (not isinstance(claims, list) or len(claims) != n_points
            or not all(c is None or (type(c) is int and c >= 0) for c in claims)):
        raise JournalError(f"{kind} event has {n_points} point(s) but claims {claims!r}: "
                           "expected one integer ≥ 0 (or null) per point")
    return tuple(claims)


def _durations_field(durations: tuple[float | None, ...]) -> dict[str, Any]:
    """The JSON "durations" field: left out when no duration is known."""
    return {"durations": list(durations)} if any(d is not None for d in durations) else {}


def _parse_durations(record: Mapping[str, Any], n_points: int) -> tuple[float | None, ...]:
    durations = record.get("durations", [None] * n_points)
    if not isinstance(durations, list) or len(durations) != n_points:
        raise JournalError(f"event has {n_points} points but durations {durations!r}")
    for d in durations:
        if d is not None and (isinstance(d, bool) or not isinstance(d, (int, float))
                              or not math.isfinite(d) or d < 0):
            raise JournalError(f"event has an invalid duration {d!r}")
    return tuple(None if d is None else float(d) for d in durations)


def _parse_costs(record: Mapping[str, Any], n_points: int) -> tuple[float | None, ...]:
    """The "costs" field of a tell or failure: () when absent (journals before it, or none
    known)."""
    try:
        costs = check_costs(record.get("costs"), n_points)
    except (TypeError, ValueError) as error:
        raise JournalError(f"invalid costs in journal: {error}") from None
    return tuple(costs) if any(c is not None for c in costs) else ()


def to_record(event: Event, space: Space, with_state: bool) -> dict[str, Any]:
    """The JSON object of an event; its checkpoint only if `with_state`."""
    record: dict[str, Any] = {
        "event": event.kind, "points": [encode_point(space, p) for p in event.points],
        **event.fields(), "time": event.time, "worker": event.worker,
    }
    has_state = with_state and event.checkpoint is not None
    record["state"] = event.checkpoint.to_dict() if has_state else None  # type: ignore[union-attr]
    return record


def from_record(record: Mapping[str, Any], space: Space) -> Event:
    """Parse and validate one JSON event (format 1 or 2); raises JournalError."""
    kind = record.get("event")
    cls = EVENTS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise JournalError(f"unknown journal event {kind!r}; {_newer_writer()}")
    unknown = sorted(set(record) - COMMON_KEYS - cls.keys)
    if unknown:  # a newer writer's fact: applying the event without it would misread it
        raise JournalError(f"{kind} event has the field(s) {unknown}, which this library "
                           f"does not know; {_newer_writer()}")
    if "state" not in record:
        raise JournalError(f"journal event {kind!r} has no state")
    points = record.get("points")
    if not isinstance(points, list):
        raise JournalError(f"journal event {dict(record)!r} has no list of points")
    decoded = tuple(decode_point(space, row) for row in points)
    state = record["state"]
    return cls(
        points=decoded, time=_time(record.get("time")), worker=_worker(record.get("worker")),
        checkpoint=None if state is None else Checkpoint.from_dict(state),
        **cls.parse_fields(record, len(decoded)),
    )


def _newer_writer() -> str:
    """The remedy for an event this library cannot read, which a newer one wrote."""
    from bayesopt import __version__

    return (f"if a newer bayesopt wrote it, upgrade bayesopt (this is {__version__}) "
            "wherever the study is read")


def _time(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise JournalError(f"journal event has an invalid time {value!r}")
    return float(value)


def _worker(value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        raise JournalError(f"journal event has an invalid worker {value!r}")
    return value

"""Rebuild an Optimizer from its journal (`Optimizer.resume`).

Replay, not re-run: the events are applied to a fresh optimizer built from
the header's configuration without asking the model anything — observations
and pending points are re-recorded, the random generator is set to the state
after the last event, and the surrogate is rebuilt exactly as it was: the GP
constructed at its last refit (with the journaled hyperparameters), then the
same block appends in the same chunks. The numerics depend only on the
sequence of operations (never on timing or call history), so the rebuilt
optimizer asks exactly what the interrupted one would have asked.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from bayesopt.journal import JournalError, JournalWriter, comparable_space, points_of, read_journal
from bayesopt.options import OptimizerOptions
from bayesopt.space import Dimension, Space
from bayesopt.validation import check_value

if TYPE_CHECKING:
    from bayesopt.model import SurrogateModel
    from bayesopt.optimizer import Optimizer


def rebuild(
    cls: type[Optimizer], path: str | os.PathLike[str],
    space: Mapping[str, Dimension] | Sequence[Dimension] | Space | None, append: bool,
) -> Optimizer:
    header, events, valid_bytes = read_journal(path)
    try:
        opt = _replay(cls, header, events, space, path)
    except JournalError:
        raise
    except (KeyError, TypeError, ValueError, OverflowError, IndexError, StopIteration) as error:
        raise JournalError(f"journal {str(path)!r} is corrupt: {type(error).__name__}: {error}") from None
    if append:
        opt._journal = JournalWriter.reopen(path, valid_bytes)
    return opt


def _replay(
    cls: type[Optimizer], header: Mapping[str, Any], events: list[dict[str, Any]],
    space: Mapping[str, Dimension] | Sequence[Dimension] | Space | None,
    path: str | os.PathLike[str],
) -> Optimizer:
    config = header["config"]
    opt = cls(
        _space(header, space, path), acquisition=config["acquisition"],
        n_initial=config["n_initial"], seed=config["seed"], maximize=config["maximize"],
        ucb_beta=config["ucb_beta"], options=OptimizerOptions.from_dict(config["options"]),
        n_constraints=config.get("n_constraints"), cost_budget=config.get("cost_budget"),
    )
    for event in events:
        _apply(opt, event)
    if events:
        _restore_state(opt, events)
    return opt


def _space(
    header: Mapping[str, Any], given: Mapping[str, Dimension] | Sequence[Dimension] | Space | None,
    path: str | os.PathLike[str],
) -> Space:
    if given is None:
        try:
            return Space.from_dict(header["space"])
        except (TypeError, ValueError) as error:
            raise JournalError(
                f"journal {str(path)!r}: the space cannot be rebuilt from JSON ({error}); "
                "pass space= to Optimizer.resume"
            ) from None
    space = given if isinstance(given, Space) else Space(given)
    if comparable_space(space.to_dict()) != list(header["space"].items()):
        raise JournalError(
            f"journal {str(path)!r} was written for the space {header['space']}, "
            f"not {comparable_space(space.to_dict())}"
        )
    return space


def _apply(opt: Optimizer, event: Mapping[str, Any]) -> None:
    kind = event.get("event")
    points = points_of(event, opt.space)
    if kind == "ask":
        for params in points:
            opt._pending.append((params, opt.space.encode([params])[0]))
    elif kind == "tell":
        values = [_value(v) for v in event.get("values", [])]
        if len(values) != len(points):
            raise JournalError(f"tell event has {len(points)} points but {len(values)} values")
        constraints, costs = event.get("constraints"), event.get("costs")
        opt._record(points, values, [None] * len(points),
                    outcomes=opt._check_outcomes(constraints, costs, len(points)))
    elif kind == "failure":
        errors = event.get("errors", [None] * len(points))
        if not isinstance(errors, list) or len(errors) != len(points):
            raise JournalError(f"failure event has {len(points)} points but errors {errors!r}")
        if not all(error is None or isinstance(error, str) for error in errors):
            raise JournalError(f"failure event has a non-text error in {errors!r}")
        opt._record(points, [None] * len(points), list(errors))
    else:
        raise JournalError(f"unknown journal event {kind!r}")
    if not isinstance(event.get("state"), dict):
        raise JournalError(f"journal event {kind!r} has no state")


def _value(value: Any) -> float:
    try:
        return check_value(value)
    except (TypeError, ValueError) as error:
        raise JournalError(f"invalid value in journal: {error}") from None


def _restore_state(opt: Optimizer, events: list[dict[str, Any]]) -> None:
    """Random generator, design position and surrogate as after the last event."""
    last = events[-1]["state"]
    opt.rng.bit_generator.state = last["rng"]
    opt._design_used = int(last["design_used"])
    rebuild_model(opt._model, opt._X_ok, opt._y_ok, [event["state"]["model"] for event in events])
    opt._outcomes.restore([event["state"].get("outcomes") for event in events], rebuild_model)


def rebuild_model(model: SurrogateModel, X: np.ndarray, y: np.ndarray,
                  states: list[dict[str, Any]]) -> None:
    """The GP a run had, from the model's states after each event: the one built at its
    last refit, then the same block appends (`SurrogateModel.restore`)."""
    final = states[-1]
    if final["params"] is None or final["n"] == 0:
        return
    fit_n = final["fit_n"]
    first = next(i for i, m in enumerate(states) if m["fit_n"] == fit_n)  # the last refit
    chunk_ends = sorted({m["n"] for m in states[first + 1 :] if m["n"] > fit_n})
    model.restore(X, y, states[first], chunk_ends)


"""Failed evaluations in `minimize`: which ones stop a run, and how they are reported.

A failed evaluation is one of three kinds (an `Outcome` status of the loop):

- ``"error"`` — the objective raised an exception (other than
  `EvaluationFailed`). This is
  what a broken objective does (a misspelt key, a missing file, a command
  that cannot start). The first one of a run is reported at once, with its
  traceback, as an `EvaluationFailedWarning` and a WARNING record on the
  ``bayesopt.failures`` logger. ``max_consecutive_failures`` errors in a row
  (from the start of the run or since the last successful evaluation) stop
  the run: nothing new is asked, evaluations in flight are finished and told,
  and `TooManyFailuresError` is raised with the first traceback of the streak.
- ``"lost"`` — the executor lost the evaluation: its Dask workers died
  (``KilledWorker``) or the cluster had none (``no-workers-timeout``;
  `bayesopt.dask_futures.lost_reason`). Counted as an error; a streak of
  lost evaluations only stops the run with a `TooManyFailuresError` that
  says the cluster lost them, not that the objective looks broken.
- ``"failed"`` — the objective raised `EvaluationFailed` or returned NaN or
  ±inf: a failure that is part of the problem (a diverging training run).
  It is recorded like any failure (status ``"failed"`` in the history, kept
  out of the GP) but neither counts toward the stop rule nor resets it, and
  it is logged at INFO level only.

A return that is neither (not a number, or constraint values of another shape
or count than the run's) is no evaluation at all: `minimize` raises at once
(`bayesopt.loop`), as it would spend the budget recording the same bug again.

Only the standard library is imported: worker processes import this module
(through `bayesopt.parallel`) to run the objective.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import warnings
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bayesopt.result import OptimizeResult

__all__ = [
    "DEFAULT_MAX_CONSECUTIVE_FAILURES",
    "EvaluationFailed",
    "EvaluationFailedWarning",
    "FailureGuard",
    "TooManyFailuresError",
]

logger = logging.getLogger(__name__)
# The warning already shows the failure; without logging configured, the record must not be
# printed a second time by logging's last-resort handler (the logging HOWTO's advice for libraries).
logger.addHandler(logging.NullHandler())

DEFAULT_MAX_CONSECUTIVE_FAILURES = 5


class EvaluationFailed(Exception):
    """Raise from an objective to record a failure that is part of the problem.

    The evaluation is recorded as failed with this message, and it does not
    count toward `minimize`'s ``max_consecutive_failures`` stop rule::

        def objective(params):
            loss = train(**params)
            if loss_diverged:
                raise bayesopt.EvaluationFailed("loss diverged at epoch 3")
            return loss
    """


class EvaluationFailedWarning(UserWarning):
    """An evaluation in `minimize` raised an error (issued once per run, with the traceback)."""


class TooManyFailuresError(RuntimeError):
    """`minimize` stopped because its objective failed too many times in a row.

    Attributes
    ----------
    first_error : str
        The traceback (or message) of the first failure of the streak.
    n_failures : int
        Length of the streak.
    result : OptimizeResult or None
        Everything evaluated until the run stopped (set by `minimize`).

    A subclass whose stop is not `minimize`'s (`bayesopt.sklearn`'s search)
    passes its own `message`.
    """

    def __init__(self, first_error: str, n_failures: int, message: str | None = None) -> None:
        super().__init__(message if message is not None else (
            f"stopped after {n_failures} failed evaluations in a row: the objective looks "
            "broken (raise bayesopt.EvaluationFailed or return nan for failures that are part "
            "of the problem; set max_consecutive_failures=None to never stop). The first of "
            f"them failed with:\n{first_error}"
        ))
        self.first_error = first_error
        self.n_failures = n_failures
        self.result: OptimizeResult | None = None


class FailureGuard:
    """Applies the stop rule to the outcomes of a run, in the order they are told.

    Parameters
    ----------
    limit : int or None
        Errors in a row that stop the run; None never stops.
    """

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.streak = 0
        self.first_error: str | None = None  # of the current streak
        self.all_lost = False  # every failure of the current streak was "lost"
        self.warned = False
        self.tripped = False

    def observe(self, status: str, params: dict[str, Any], error: str | None) -> bool:
        """Account for one outcome (status "ok", "failed", "error" or "lost"); True means
        stop."""
        if status == "ok":
            self.streak, self.first_error = 0, None
        elif status == "failed":
            logger.info("evaluation at %r failed (not counted toward the stop rule): %s",
                        params, error)
        else:
            self.all_lost = status == "lost" and (self.streak == 0 or self.all_lost)
            self._error(params, error or "(no error message)")
        return self.tripped

    def _error(self, params: dict[str, Any], error: str) -> None:
        self.streak += 1
        if self.first_error is None:
            self.first_error = error
        if not self.warned:
            self.warned = True
            message = f"evaluation at {params!r} failed:\n{error}"
            logger.warning(message)
            warnings.warn(message, EvaluationFailedWarning, stacklevel=caller_level())
        else:
            logger.info("evaluation at %r failed: %s", params, error)
        if self.limit is not None and self.streak >= self.limit:
            self.tripped = True

    def error(self) -> TooManyFailuresError:
        """The exception that stops a tripped run."""
        assert self.tripped and self.first_error is not None, "only a tripped guard has an error"
        if not self.all_lost:
            return TooManyFailuresError(self.first_error, self.streak)
        return TooManyFailuresError(self.first_error, self.streak, message=(
            f"stopped after {self.streak} evaluations in a row lost by the executor, not "
            "raised by the objective: their workers died or there was none (the cluster, "
            "not the objective: check its workers; set max_consecutive_failures=None to "
            f"never stop). The first of them:\n{self.first_error}"))


def raise_if_interrupted(error: BaseException) -> None:
    """Raise `KeyboardInterrupt` if `error` carries one (its `__cause__` or `__context__`,
    however deep): a Ctrl-C that lands inside compiled code, a Numba loop's, comes back as
    ``SystemError("... returned a result with an exception set")`` from the interrupt, and
    a handler that takes every `Exception` as a failure (a fit's, an objective's) would
    otherwise swallow the user's request to stop."""
    seen: set[int] = set()
    chained: BaseException | None = error
    while chained is not None and id(chained) not in seen:
        if isinstance(chained, KeyboardInterrupt):
            raise KeyboardInterrupt from error
        seen.add(id(chained))
        chained = chained.__cause__ or chained.__context__


def caller_level() -> int:
    """The `stacklevel` of the first frame outside this package (the user's call: `minimize`,
    `ask`), for a warning raised however deep inside it; `contextlib`'s frames (the package's
    context managers entered on the way) are passed over as the package's are."""
    package = os.path.dirname(os.path.abspath(__file__))
    frame, level = sys._getframe(1), 1  # level 1 is the function calling warnings.warn
    while frame.f_back is not None and (frame.f_code.co_filename.startswith(package)
                                        or frame.f_code.co_filename == contextlib.__file__):
        frame, level = frame.f_back, level + 1
    return level

"""`Run`: what ``minimize(func, space, pass_run=True)`` gives its objective beside the params.

One evaluation of params p is one run r of the optimizer (`Optimizer.run_ids`):

- ``run.id``: r's id, its place among every point asked (0-based, every worker of a study
  counted); a resumed journal or study gives the same id to the same run, so a checkpoint
  saved under it is found again;
- ``run.continues``: for a Hyperband promotion (a space with a `Fidelity`), the id of the run
  it continues — the checkpoint to train on from (Keras Tuner's ``tuner/trial_id`` of the
  source and ``tuner/initial_epoch``); None for a new configuration, always None without a
  Fidelity;
- ``run.budget``: p's `Fidelity` value (None without a Fidelity);
- ``run.report(step, value)``: `Optimizer.report` of r at `step` (or at a list of steps,
  a learning curve); True when r should stop now, by the optimizer's pruning rule
  (successive halving, `bayesopt.fidelity`), as Optuna's ``trial.report`` then
  ``trial.should_prune()``.

The value the objective returns is told as `Optimizer.tell` tells it: a run whose last
report is the one that said True (the loop broke there) is recorded "pruned" at that step;
one that reported past it (the advice ignored) is a complete run.

A run that a resumed journal or study keeps pending (its process was killed) keeps the
reports its interrupted attempt recorded (`Optimizer.report_status`). Evaluated again from
its start, its steps up to the last recorded one are that attempt's: they are not reported
again, and the one at which the rule had said stop says stop again (`RunReports`). This is
what ``bayesopt run`` does with a command's ``report:`` lines.

A `Run` reports to the optimizer of the process that runs `minimize`, so `minimize` hands
one only to an objective it calls in that process (the calling thread, or a
`ThreadPoolExecutor`'s); it refuses to be pickled, as a copy would report to nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, NoReturn, TypeAlias

import numpy as np

from acquisition.checks import is_real
from bayesopt.parallel import AttachedObjective
from bayesopt.validation import as_array, reported_curve, shown

if TYPE_CHECKING:
    from bayesopt.optimizer import Optimizer
    from bayesopt.validation import Number

# func(params, run) of minimize(..., pass_run=True): returns as an `Objective` does
RunObjectiveFunction: TypeAlias = (
    "Callable[[dict[str, Any], Run], Number | tuple[Number, Sequence[Number] | np.ndarray]]")


class RunReports:
    """The reports of one run in flight, made to its optimizer by `report`.

    A run a resumed journal or study keeps pending keeps the reports its interrupted
    attempt recorded (`Optimizer.report_status`, read at the first report): a step up to
    its last recorded one is that attempt's and is not reported again, and True is returned
    for it from the step at which the rule had said stop on (module docstring).
    """

    def __init__(self, opt: Optimizer, params: dict[str, Any], run: int | None) -> None:
        self.opt, self.params, self.run = opt, params, run
        self._recorded: tuple[float | None, float | None] | None = None  # (last, stopped)

    def report(self, step: float, value: float) -> bool:
        """`Optimizer.report` of this run at `step` (numbers), unless the interrupted
        attempt recorded that step; True: stop now."""
        return self.report_curve((step,), (value,))

    def report_curve(self, steps: Sequence[float], values: Sequence[float]) -> bool:
        """`Optimizer.report` of this run at increasing `steps` with their `values` (checked
        by `reported_curve`), leaving out the steps the interrupted attempt recorded; True:
        stop now. With every step the attempt's, True from the step at which the rule had
        said stop on."""
        last, stopped = self._status()
        fresh = [i for i, step in enumerate(steps) if last is None or step > last]
        if not fresh:  # the killed attempt's steps only
            return stopped is not None and steps[-1] >= stopped
        if len(steps) == 1:  # one number each: reported as one, as `Optimizer.report` takes it
            return self.opt.report(self.params, steps[0], values[0], run=self.run)
        return self.opt.report(self.params, list(steps[fresh[0]:]), list(values[fresh[0]:]),
                               run=self.run)

    def _status(self) -> tuple[float | None, float | None]:
        if self._recorded is None:
            try:
                status = self.opt.report_status(self.params, run=self.run)
            except ValueError:  # not in flight: `Optimizer.report` refuses it, naming why
                self._recorded = (None, None)
            else:
                self._recorded = (status.last_step, status.stopped_at)
        return self._recorded


class Run:
    """One run of the objective of ``minimize(..., pass_run=True)`` (module docstring).

    Attributes
    ----------
    id : int or None
        The run's id (`Optimizer.run_ids`); None only for a point a bayesopt before 0.8.0
        left pending in a journal.
    continues : int or None
        For a Hyperband promotion, the id of the run it continues; else None.
    budget : int, float or None
        The params' `Fidelity` value; None without a Fidelity.
    """

    __slots__ = ("_reports", "budget", "continues", "id")

    def __init__(self, reports: RunReports, run_id: int | None, continues: int | None,
                 budget: float | None) -> None:
        self._reports = reports
        self.id, self.continues, self.budget = run_id, continues, budget

    def __repr__(self) -> str:
        return f"Run(id={self.id!r}, continues={self.continues!r}, budget={self.budget!r})"

    def report(self, step: Number | Sequence[Number] | np.ndarray,
               value: Number | Sequence[Number] | np.ndarray) -> bool:
        """Report the run's intermediate `value` at `step` (the units completed, 1 after
        the first epoch); True when it should stop now. `step` and `value` may also be
        equal-length lists (arrays, Series) of increasing steps and their values — a
        learning curve evaluated at once, e.g. a Keras ``History``'s — recorded as that
        many reports in turn would be; True when the run should stop after the last. The
        rule and the errors are `Optimizer.report`'s (a step not after the last, one
        beyond the budget: ValueError; a step or value that is not a number, or lists of
        unequal lengths: TypeError or ValueError naming it); a step the interrupted attempt
        of a resumed run recorded is not reported again (module docstring)."""
        if not isinstance(as_array(step), (list, tuple, np.ndarray)):
            for key, number in (("step", step), ("value", value)):
                if not is_real(number):
                    raise TypeError(f"run.report: {key}={shown(number)} must be a number")
        steps, values, _ = reported_curve(step, value)
        return self._reports.report_curve(steps, values)

    def __reduce__(self) -> NoReturn:
        raise TypeError(
            f"{self!r} cannot be pickled: its report goes to the optimizer of the process "
            "running minimize, which a copy would not reach; send run.id, run.continues "
            "and run.budget (numbers) instead")


class RunObjective(AttachedObjective):
    """``func(params, run)`` as `minimize`'s objective (``pass_run=True``): each evaluation
    gets a `Run` of the run `minimize` dispatched, on the optimizer attached to it."""

    def __init__(self, func: RunObjectiveFunction) -> None:
        self.func = func
        self._optimizer: Optimizer | None = None

    def attach(self, opt: Optimizer | None) -> None:
        self._optimizer = opt

    def evaluate(self, params: dict[str, Any], run: int | None) -> Any:
        opt = self._optimizer
        assert opt is not None, "minimize attaches its optimizer before any evaluation"
        run_id, continues = opt.run_ids(params, run=run)
        fidelity = opt.space.fidelity
        budget = None if fidelity is None else params[str(fidelity.name)]
        # its own copy of the params: the objective may change the dict it is given
        handle = Run(RunReports(opt, dict(params), run_id), run_id, continues, budget)
        return self.func(params, handle)

    def __call__(self, params: dict[str, Any]) -> Any:
        """Evaluate `params` as its pending run (`evaluate` with run None)."""
        return self.evaluate(params, None)


def check_in_process(n_workers: int, executor: Any) -> None:
    """``pass_run=True`` needs the objective called in this process, where the optimizer
    its reports go to is: one at a time in the calling thread, or on a
    `ThreadPoolExecutor`; ValueError naming `pass_run` and what would run it elsewhere
    (the process pool of ``n_workers > 1``, a process pool, a Dask client, or an executor
    that may), before any evaluation."""
    if isinstance(executor, ThreadPoolExecutor) or (executor is None and n_workers == 1):
        return
    where = (f"n_workers={n_workers} and no executor (a process pool)" if executor is None
             else f"executor={executor!r}")
    raise ValueError(
        f"pass_run=True with {where}: func(params, run) would run (on an executor that is "
        "no ThreadPoolExecutor, may run) in another process, where run.report cannot reach "
        "this run's optimizer; pass "
        f"executor=concurrent.futures.ThreadPoolExecutor({max(n_workers, 2)}) with "
        "n_workers= to evaluate in threads of this process, or leave pass_run out and name "
        "checkpoints by the params")

"""The ask/tell optimizer.

    opt = Optimizer(space, seed=0)
    params = opt.ask()            # a dict in user units
    opt.tell(params, loss)        # minimizes by default
    opt.surrogate()               # the fitted GP in user terms (bayesopt.surrogate)
    opt.recommend()               # the observed point with the best posterior mean

State (`bayesopt.state.OptimizerState`): the told observations (`history`),
the points handed out and not yet told (`pending`), one random generator,
the initial-design position and the surrogate. It changes only by applying
an event (ask, tell, failure, cancel, pending; `bayesopt.events`): `ask`
computes its points (`bayesopt.propose`) on a copy of the generator, and
every method here builds its event and applies it through the one function
that a replay of a journal or a shared study also uses (docs/event-fold.md).
With `journal=`, every event is appended to a JSON-lines file, from which
`Optimizer.resume` rebuilds an optimizer that asks exactly what this one
would have; with `storage=` and `study=`, several optimizers in several
processes or machines share one study (`bayesopt.study`).
"""

from __future__ import annotations

import contextlib
import copy
import logging
import os
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, replace
from typing import TYPE_CHECKING, Any, NoReturn, TypeAlias, TypeVar, cast, overload

import numpy as np

from acquisition.optimizer import AcquisitionObjective
from bayesopt.choices import AcquisitionName, KernelName
from bayesopt.events import Ask, Cancel, Event, Failure, Heartbeat, Pending, Report, Tell
from bayesopt.failures import caller_level
from bayesopt.feasibility import (
    FeasibleArgument,
    InputConstraints,
    LinearConstraint,
    check_recorded,
    recorded_constraints,
)
from bayesopt.fidelity import SuccessiveHalving
from bayesopt.journal import (
    JournalError,
    check_exists,
    check_journal_path,
    first_difference,
    holds_a_run,
    space_from_json,
)
from bayesopt.model import ModelOptions, SurrogateModel
from bayesopt.options import OptimizerOptions
from bayesopt.propose import (
    AskSettings,
    Proposal,
    SpaceExhaustedWarning,
    admitted_points,
    exhausted,
    fitted_after_tell,
    has_unrun,
    load_kernels,
    update_after_tell,
)
from bayesopt.result import (
    Observation,
    OptimizeResult,
    best_observation,
    defer_surrogate,
    modelled,
)
from bayesopt.settings import (
    ACQUISITIONS,
    CONSTRAINED_ACQUISITIONS,
    check_cost_budget,
    check_cost_design,
    check_destination,
    check_fidelity_model,
    check_n_constraints,
    check_noisy,
    check_trust_region,
    resolve_options,
)
from bayesopt.space import Dimension, Space
from bayesopt.state import (
    MATCH_RTOL,
    OptimizerState,
    PendingPoint,
    PendingStatus,
    ReportStatus,
    nearest_match,
    run_key,
)
from bayesopt.storage import LockLost, Storage, open_storage
from bayesopt.storage.jsonl import DEFAULT_STUDY, JSONLStorage, is_journal
from bayesopt.study import (
    ApplyFailed,
    StudyLink,
    apply_record,
    describe,
    held_interrupts,
    journal_writer,
    read_pages,
    run_command,
    wrap_errors,
)
from bayesopt.tables import frame_points, is_frame
from bayesopt.validation import (
    Number,
    as_batch,
    check_bool,
    check_choice,
    check_constraint_values,
    check_costs,
    check_count,
    check_durations,
    check_flags,
    check_nonnegative,
    check_real,
    check_value,
    key_names,
    reported_curve,
    shown,
    unknown_keywords,
)
from kernels.threads import check_threads, numeric_threads, single_threaded, thread_count

if TYPE_CHECKING:  # imported where a snapshot is made: no ask or tell needs the module
    from bayesopt.surrogate import Recommendation, Surrogate

__all__ = ["ACQUISITIONS", "Optimizer", "ResumeWarning", "SpaceExhaustedWarning",
           "UnmatchedTellWarning", "ask_run", "claim_journal", "continue_journal",
           "default_n_initial", "optimizer_lock", "pending_runs"]

logger = logging.getLogger(__name__)

_LOCK_ATTEMPTS = 3  # builds of one event whose study lock may be lost (LockLost) before giving up
_IN_PARALLEL = ("ask(k) returns k distinct points to evaluate at once; submit them to your "
                "pool and tell each result as it lands (the next ask counts the others as "
                "pending)")
_MINIMIZE_ONLY = {  # minimize's keywords an Optimizer has no counterpart of, and what to write
    "executor": "executor= is minimize's (minimize(func, space, n_calls, n_workers=k, "
                "executor=pool) evaluates on the pool); an Optimizer evaluates nothing: "
                f"{_IN_PARALLEL}",
    "n_workers": "n_workers= is minimize's (minimize(func, space, n_calls, n_workers=k) keeps "
                 f"k evaluations in flight); an Optimizer evaluates nothing: {_IN_PARALLEL}",
    "n_jobs": "n_jobs= is minimize's n_workers= (minimize(func, space, n_calls, n_workers=k) "
              f"keeps k evaluations in flight); an Optimizer evaluates nothing: {_IN_PARALLEL}",
}


class ResumeWarning(UserWarning):
    """An optimizer continued a journal that already held evaluations."""


class UnmatchedTellWarning(UserWarning):
    """A told point matches no pending point while some points are pending."""


Error: TypeAlias = "str | BaseException | None"  # what a failed evaluation is told with
SpaceLike: TypeAlias = "Mapping[str, Dimension] | Sequence[Dimension] | Space"
# a tell's outcome-constraint values: one row [c1, ..., ck], or one row per point of a batch
Constraints: TypeAlias = "Sequence[Number] | Sequence[Sequence[Number] | np.ndarray] | np.ndarray"


class _Grid:
    """The admitted points of a finite space (`bayesopt.propose.admitted_points`), built at
    the first exhaustion check that needs them and kept while the space and the input
    constraints are the same objects: they depend on those alone, and building them
    decodes and checks up to 100,000 points (bench/results/exhaustion_check.md)."""

    def __init__(self) -> None:
        self.points: np.ndarray | None = None
        self.key: tuple[Space, InputConstraints | None] | None = None

    def of(self, space: Space, feasible: InputConstraints | None) -> np.ndarray | None:
        if self.key is None or self.key[0] is not space or self.key[1] is not feasible:
            self.points, self.key = admitted_points(space, feasible), (space, feasible)
        return self.points


# Attributes a pickled or deep-copied Optimizer does not carry over, each with the value
# the copy starts with: a lock of its own, no link to a journal or study (the copy
# is detached from the original's file), an empty cache. Every other attribute is copied.
_PROCESS_LOCAL: dict[str, Callable[[], Any]] = {
    "_lock": threading.RLock,
    "_link": lambda: None,
    "_grid": _Grid,  # a cache, rebuilt at its first use
}
# the key under which a pickle records the library version that wrote it (not an attribute)
_PICKLED_BY = "__bayesopt_version__"


def _pickle_remedy(what: str) -> str:
    """The refusal of a pickled Optimizer of another version (`Optimizer.__setstate__`)."""
    from bayesopt import __version__

    return (f"this Optimizer was {what}, and this is bayesopt {__version__}: a pickle holds "
            "the optimizer's internal state, which changes between versions; continue the "
            "run from its journal (Optimizer.resume(path)) or attach to its study, which "
            "this version reads, or unpickle it with the version that wrote it")


class _Snapshot:
    """An optimizer as `Optimizer.result` found it, copied as late as possible: just before
    the optimizer's state next changes (`OptimizerState.watch`) or at the first call of
    `optimizer()`, whichever comes first; never if neither comes (the result is dropped,
    or read for its history only). Until then it holds the optimizer's attributes as they
    were (a shallow copy: the state, unchanged since, and settings a user may reassign)
    and its generator's state (`Optimizer.rng` is the user's to draw from)."""

    def __init__(self, optimizer: Optimizer) -> None:
        self._kind = type(optimizer)
        self._attributes: dict[str, Any] | None = optimizer._portable_state()
        self._rng = optimizer._state.rng.bit_generator.state
        self._lock = optimizer._lock  # the copy waits for a change under way to end
        self._copy: Optimizer | None = None
        optimizer._state.watch(self)

    def freeze(self) -> None:
        """Copy the optimizer as it was (once)."""
        with self._lock:
            if self._attributes is None:
                return
            duplicate = self._kind._from_portable(copy.deepcopy(self._attributes))
            duplicate._state.rng.bit_generator.state = self._rng
            self._copy, self._attributes = duplicate, None

    def optimizer(self) -> Optimizer:
        """The copy (made now if the optimizer has not changed since)."""
        self.freeze()
        assert self._copy is not None, "frozen once"
        return self._copy


class _StudyFull(Exception):
    """Raised under the study's lock by `Optimizer.ask_within` when nothing more may start."""


def default_n_initial(space: Space) -> int:
    """d + 1 Sobol points, at least 5 and at most 20 (d: the dimensions besides a Fidelity)."""
    d = space.n_dims - (space.fidelity is not None)
    return int(min(max(5, d + 1), 20))


_Opt = TypeVar("_Opt", bound="Optimizer")  # `with Optimizer(...) as opt`: a subclass stays one
TellOrFailure = TypeVar("TellOrFailure", Tell, Failure)  # `Optimizer._unmatched_warned`


class Optimizer:
    """Bayesian optimization behind an ask/tell interface.

    Parameters
    ----------
    space : dict or list
        ``{name: Real | Integer | Categorical | Fidelity}``, or a list of
        dimensions each given ``name=``. A dimension with ``when={parent: value
        or [values]}`` exists only where its parents take those values (a
        conditional space, `bayesopt.conditions`): asks carry exactly the active
        keys, and tells must. With a `Fidelity` (a training budget)
        asks carry a budget: asynchronous Hyperband (`bayesopt.fidelity`)
        promotes a configuration to a larger budget (`continues(params)` names
        the run it continues) or starts a new one, proposed by LogEI at the
        highest budget of one GP on every run with the budget as an input
        (docs/multi-fidelity.md). `best` and `result()` judge the highest
        budget only.
    acquisition : {"logei", "ei", "pi", "ucb", "logei_per_cost", "hedge", "mace", "lognei", \
"logaei"}
        LogEI (Ament et al. 2023) by default. "logei_per_cost" is LogEI − α·log ĉ(x),
        ĉ a GP on the log of the costs told (`tell(..., cost=)`), α = 1 or cooled
        over `cost_budget` (`acquisition.constrained.cost_cooling`). "hedge" is GP-Hedge
        (Hoffman et al. 2011), a portfolio of ``options.hedge.members`` (`bayesopt.hedge`).
        "mace" is HEBO's ensemble (Cowen-Rivers et al. 2022): each point is drawn uniformly
        from the Pareto front of LogEI, log PI and UCB (`bayesopt.mace`); ``ucb_beta`` and
        ``options.model.incumbent`` are read by its members; no outcome constraints and no
        `cost_budget` (each raises ValueError).
        "lognei" is noisy EI (Letham et al. 2019) in log space, LogEI averaged over
        quasi-Monte-Carlo samples of the noise-free values at the observed points
        (`bayesopt.noisy`): for noisy objectives; no ``options.model.incumbent`` (each
        sample has its own; accepted with ``fantasy="penalize"``, whose local penalties
        read it), no outcome constraints, no ``hyperparameters="mcmc"`` or
        ``kernel_average``, no Fidelity, no `cost_budget` (each raises ValueError).
        "logaei" is augmented EI (Huang et al. 2006) in log space: LogEI plus
        log(1 − σ_n/√(σ² + σ_n²)), σ_n the fitted observation noise, which discounts
        points where another evaluation would mostly measure noise (for noisy
        objectives; its incumbent is ``options.model.incumbent``'s).
    kernel : {"matern52", "matern32", "matern12", "rbf"}, optional
        ARD covariance of the GP; default: ``options.model.kernel``, Matérn-5/2.
        Given with ``options`` whose ``model.kernel`` differs, it raises ValueError.
    n_initial : int, optional
        Size of the scrambled-Sobol initial design (default: d + 1, within [5, 20]).
    seed : int, optional
        Seed of the only random generator; same seed and same tells → same
        asks. Without one, a seed is drawn and kept in `seed` (and the journal).
    maximize : bool
        Maximize the objective instead of minimizing it.
    ucb_beta : float, optional
        Fixed β of UCB; None uses the GP-UCB schedule of Srinivas et al. (2010).
        With another acquisition it raises ValueError (it would be unused), as do
        non-default ``options.ucb_delta``/``ucb_beta_scale`` without the schedule.
    journal : str or path, optional
        Append every event to this JSON-lines file (fsync'ed); continue an
        interrupted run with `Optimizer.resume(journal)`. The single-file
        shorthand of a study that only this optimizer writes.
    options : OptimizerOptions, optional
        Model, hyperparameter-fit and acquisition-optimizer settings; with
        "logei_per_cost", ``cost_design=CostDesignOptions()`` makes the initial
        design cheap and space-filling (CArBO, Lee et al. 2020;
        `bayesopt.cost_design`).
    n_constraints : int, optional
        Number of outcome constraints every successful `tell` carries
        (``constraints=[c1, ..., ck]``, each satisfied when ≤ 0); otherwise fixed
        by the first tell that carries them. The acquisition becomes constrained
        LogEI, one GP per constraint; `best` is the best feasible observation.
        With a `Fidelity` the constraint GPs take the runs the objective's GP
        takes (every run, with its budget as an input; the modelled budget's
        runs with ``fidelity_model="bohb"``), feasibility is judged at the
        highest budget, and `best` is the best feasible run at the highest.
    feasible : callable, LinearConstraint or list of them, optional
        Input constraints every ask satisfies (`bayesopt.feasibility`):
        ``callable(params) -> bool``, or linear inequalities over Real and
        Integer dimensions that are not log-scaled. With a `Fidelity` they judge
        a configuration for every budget (the schedule sets the budgets): a
        callable is called with the Fidelity at its highest budget, and a
        LinearConstraint naming it raises ValueError.
        A journal or study records them in its header (linear ones exactly,
        callables by number and name); attaching to a study must give
        matching ones, as must `resume` (ValueError otherwise).
    cost_budget : float, optional
        With ``acquisition="logei_per_cost"``: the total cost of the run, over
        which α cools from 1 at the end of the initial design to 0 when it is
        spent (cost-cooling, Lee et al. 2020). Without it α = 1, EI per unit
        cost, which reached plain LogEI's result at less cost than the cooling
        on the cost bench (docs/choosing-defaults.md, "Cost").
    storage : str, path or Storage, optional
        A shared study's storage: a ``.jsonl`` path, ``sqlite:///study.db`` or
        ``postgresql://user@host/db`` (`bayesopt.storage.open_storage`). The
        study named `study` is created with this space, or attached to if it
        exists (its space must equal this one). Every ask and tell is stored;
        before each ask and whenever `history`, `pending`, `best` or `result()`
        is read, the events of the other optimizers attached to the study are
        applied: their asks become pending points, their tells observations.
        Asks are serialized under the storage's lock, so two workers never get
        the same point. In a shared study the surrogate is brought up to date
        at the next ask rather than at each tell. A journal (``journal=``) is
        no shared study: attaching to one raises `JournalError` (continue it
        with `Optimizer.resume`). A storage opened here from a path or URL is
        closed by `close`; a `Storage` object stays the caller's to close.
    study : str, optional
        The study's name in `storage` (required with it; in a ``.jsonl`` file
        not ``"journal"``, the name of a journal's study).
    pending_timeout : float, optional
        Seconds after which an asked point that was never told stops counting
        as pending (a worker that died), counted from its last sign of life: its
        ask, or its latest `heartbeat` or `report`. Measured between the times
        stored in the events — a point expires when an event more than this much
        later is applied — so every replay of a study agrees. None (default):
        never. A point still being evaluated stays pending as long as its worker
        sends heartbeats (`minimize` and ``bayesopt run`` do, every third of the
        timeout); one evaluated by hand needs `heartbeat` calls, or it expires
        this long after its ask (and a study run with `ask_within` may then start
        more evaluations than its total).
    pruner : SuccessiveHalving, optional
        The early-stopping rule of `report` (`bayesopt.fidelity`); default: the
        rungs of the space's `Fidelity` (min_resource = low, η = eta), or
        ``SuccessiveHalving()`` (min_resource 1, η 3) without one. A shared study's:
        attaching with another rule raises `JournalError`.
    threads : int, optional
        The threads its asks and tells compute on, from 1 to NUMBA_NUM_THREADS:
        BLAS is limited to that many (through threadpoolctl), and the policy of
        `kernels.threads` shares them with Numba (one thread below 500
        observations). None (default): that policy with the machine's threads,
        except in a shared study (``storage=``) and under ``minimize(n_workers>1)``,
        which compute on one thread because other processes hold the cores; give
        ``threads`` there for a worker alone on a machine. Not recorded in a
        journal or study (a property of the process, not of the run); a pickled copy
        keeps it, and an ask or tell in a process started with fewer Numba threads
        raises ValueError naming it.
    **unknown
        None is accepted: any other keyword raises TypeError naming it and, for
        a peer's name (scikit-optimize's ``n_initial_points``, ``random_state``,
        ``acq_func``, …: `bayesopt.validation.PEER_NAMES`), the name here, as
        `minimize` does; for ``executor``, ``n_workers`` and ``n_jobs``, that they
        are `minimize`'s and how to evaluate in parallel with `ask`. Typed
        ``NoReturn`` so that type checkers still flag it.

    Notes
    -----
    An optimizer is a context manager: ``with Optimizer(space, storage=URL,
    study=name) as opt:`` closes its storage or journal (`close`) when the block
    ends, however it ends; an exception raised inside still propagates.

    `fingerprint` and `resolved_config` identify the algorithm (every setting
    resolved to numbers, see `bayesopt.card`); the journal header holds both.

    An optimizer can be pickled (`pickle.dump` to a file and `pickle.load`
    later, or handed to another process) and copied with `copy.deepcopy`. The
    copy has the same history, pending points, random state and surrogate, so
    it asks exactly what the original would ask. It is *detached* from the
    journal or shared study: it writes to no file, while the original goes on
    with its own (two writers of one journal would interleave two runs). To
    continue a journaled run in another process, use `Optimizer.resume`; to
    join a shared study, attach with ``storage=`` and ``study=``.

    .. warning:: `pickle.load` runs whatever code the pickle names, so loading a
       pickle from someone else runs their code (as numpy's ``allow_pickle`` and
       scikit-learn's model persistence warn). Load a pickled optimizer only from a
       source you trust; hand a run to anyone else as its journal or study, which
       is JSON read without running anything (docs/security.md).
    """

    def __init__(
        self, space: SpaceLike, *,
        acquisition: AcquisitionName = "logei", kernel: KernelName | None = None,
        n_initial: int | None = None,
        seed: int | None = None, maximize: bool = False, ucb_beta: float | None = None,
        journal: str | os.PathLike[str] | None = None, options: OptimizerOptions | None = None,
        storage: str | os.PathLike[str] | Storage | None = None, study: str | None = None,
        pending_timeout: float | None = None, n_constraints: int | None = None,
        feasible: FeasibleArgument | None = None, cost_budget: float | None = None,
        pruner: SuccessiveHalving | None = None, threads: int | None = None,
        **unknown: NoReturn,
    ) -> None:
        if unknown:
            unknown_keywords(unknown, key_names(Optimizer), "Optimizer", _MINIMIZE_ONLY)
        self.space = space if isinstance(space, Space) else Space(space)
        self.acquisition = check_choice("acquisition", acquisition, ACQUISITIONS)
        self.n_initial = (default_n_initial(self.space) if n_initial is None
                          else check_count("n_initial", n_initial))
        self.maximize = check_bool("maximize", maximize)
        self.ucb_beta = None if ucb_beta is None else check_nonnegative("ucb_beta", ucb_beta)
        self.seed = (int(cast(int, np.random.SeedSequence().entropy)) if seed is None
                     else check_count("seed", seed))
        self.pending_timeout = (None if pending_timeout is None
                                else check_nonnegative("pending_timeout", pending_timeout))
        self.threads = None if threads is None else check_threads(threads)
        self.options = resolve_options(self.acquisition, kernel, self.ucb_beta, options)
        check_fidelity_model(self.space, self.options)
        check_trust_region(self.space, self.options)
        check_noisy(self.acquisition, self.space, self.options)
        self._n_constraints = check_n_constraints(self.acquisition, n_constraints)  # declared
        self.cost_budget = check_cost_budget(self.acquisition, cost_budget)
        check_cost_design(self.options, self.n_initial)
        self.feasible = _input_constraints(self.space, feasible)
        if pruner is not None and not isinstance(pruner, SuccessiveHalving):
            raise TypeError(f"pruner={pruner!r} must be a SuccessiveHalving")
        self.pruner = pruner
        self._lock = threading.RLock()
        self._spread_warned = False  # `_warn_spread_out` warns once per optimizer
        # why this optimizer refuses every change: applying one of its own events raised
        # (`_commit`; None while sound)
        self._unsound: str | None = None
        self._grid = _Grid()  # the admitted points of a finite space, once built
        self._state = self._new_state(uuid.uuid4().hex)
        self._link: StudyLink | None = None
        check_destination(journal, storage, study)
        if journal is not None:
            self._link = self._create_journal(journal)
        elif storage is not None:
            assert study is not None
            self._link = self._attach(storage, study)

    # ------------------------------------------- pickling and deep copies
    def __getstate__(self) -> dict[str, Any]:
        """The instance's state without its process-local resources, as one consistent
        snapshot, with the library version that wrote it (`_PICKLED_BY`)."""
        from bayesopt import __version__

        with self._lock:
            return {**copy.deepcopy(self._portable_state()), _PICKLED_BY: __version__}

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Restore a pickle of this library version. A pickle holds the optimizer's internal
        state, whose attributes change between versions, so a pickle of another version is
        refused, saying how to continue the run (its journal or study: `resume`); one
        written before pickles recorded their version (up to 0.7.0) is refused where its
        state lacks what this version's has (`_check_unversioned`)."""
        from bayesopt import __version__

        state = dict(state)
        version = state.pop(_PICKLED_BY, None)
        if version is not None and version != __version__:
            raise ValueError(_pickle_remedy(f"pickled by bayesopt {version!r}"))
        self._restore(state)
        if version is None:
            self._check_unversioned()

    def _restore(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        for name, fresh in _PROCESS_LOCAL.items():
            setattr(self, name, fresh())

    def _check_unversioned(self) -> None:
        """Refuse a pickle without a version whose state misses an attribute this version's
        optimizer state has (0.5.0's has no claims): it would fail at its first ask."""
        try:
            missing = sorted(set(vars(self._new_state(None))) - set(vars(self._state)))
        except AttributeError as error:  # an attribute _new_state reads is missing
            missing = [str(getattr(error, "name", None) or error)]
        if missing:
            raise ValueError(_pickle_remedy(
                f"pickled by an older bayesopt (its state has no {', '.join(missing)})"))

    def __deepcopy__(self, memo: dict[int, Any]) -> Optimizer:
        with self._lock:
            state = copy.deepcopy(self._portable_state(), memo)
        return type(self)._from_portable(state)

    @classmethod
    def _from_portable(cls, state: dict[str, Any]) -> Optimizer:
        """An optimizer of a deep copy of `_portable_state` (`__deepcopy__`, `_Snapshot`)."""
        duplicate = cls.__new__(cls)
        duplicate._restore(state)
        return duplicate

    def _portable_state(self) -> dict[str, Any]:
        return {name: value for name, value in self.__dict__.items() if name not in _PROCESS_LOCAL}

    def _new_state(self, worker: str | None) -> OptimizerState:
        return OptimizerState(
            self.space, seed=self.seed, n_initial=self.n_initial, maximize=self.maximize,
            model_options=self.options.model, worker=worker,  # type: ignore[arg-type]
            pending_timeout=self.pending_timeout, n_constraints=self._n_constraints,
            pruner=self.pruner,
        )

    def _create_journal(self, path: str | os.PathLike[str]) -> StudyLink:
        if holds_a_run(path):
            raise JournalError(
                f"journal {str(path)!r} already exists; continue it with "
                f"Optimizer.resume({str(path)!r}) or choose another file"
            )
        storage = wrap_errors(describe(path), lambda: JSONLStorage(path))
        with _closed_if_raising(storage):
            return StudyLink.attach(storage, DEFAULT_STUDY, self.space, self.config,
                                    describe(path), with_state=True,
                                    extras=self._header_extras())

    def _attach(self, url: str | os.PathLike[str] | Storage, study: str) -> StudyLink:
        name = describe(url if isinstance(url, (str, os.PathLike)) else type(url).__name__, study)
        storage = url if isinstance(url, Storage) else open_storage(url)
        # a storage the caller opened is theirs to close
        with _closed_if_raising(storage) if storage is not url else contextlib.nullcontext():
            if isinstance(storage, JSONLStorage):
                _refuse_journal(storage, study)
            link = StudyLink.attach(storage, study, self.space, self.config, name,
                                    with_state=False, extras=self._header_extras(),
                                    owned=storage is not url)
            link.catch_up(self._state)
        logger.info("attached to %s: %d evaluations, %d pending", name,
                    len(self._state.history), len(self._state.pending))
        return link

    def __repr__(self) -> str:
        """What a notebook shows for ``opt``: the space's names, the acquisition and seed,
        the counts of evaluations, failures and pending points, the best value (as `best`
        judges it), and the journal or study it writes to."""
        with self._lock:
            history, pending, best = self.history, self.pending, self.best
            where = "" if self._link is None else f"; {self._link.name}"
        n_failed = sum(o.failed for o in history)
        found = ("no best yet" if best is None
                 else f"best value {best.value:.6g} at index {best.index}")
        sense = ", maximizing" if self.maximize else ""
        evaluations = f"{len(history)} evaluation{'' if len(history) == 1 else 's'}"
        return (f"<Optimizer over {list(self.space.names)} ({self.acquisition}, "
                f"seed={self.seed}{sense}): {evaluations} ({n_failed} failed), "
                f"{len(pending)} pending, {found}{where}>")

    # ------------------------------------------------------------ queries
    def _refresh(self) -> None:
        """Apply the events other optimizers added to the shared study since the last look."""
        if self._link is not None:
            self._link.catch_up(self._state)

    @property
    def history(self) -> list[Observation]:
        """Every observation in the order it was told (a copy)."""
        with self._lock:
            self._refresh()
            return list(self._state.history)

    @property
    def pending(self) -> list[dict[str, Any]]:
        """Points in flight: handed out by `ask` (or marked by `add_pending`), not yet told
        or cancelled, and not timed out under ``pending_timeout`` by the clock now — the
        points the next ask counts and never proposes again (``pending_status().running``).
        A timed-out point leaves this list when its timeout passes, whether or not an event
        has been applied since; a late tell of it is still recorded."""
        with self._lock:
            self._refresh()
            return [dict(p.params) for p in self._state.active_pending(time.time())]

    def pending_status(self, now: float | None = None) -> PendingStatus:
        """The points handed out and not yet told or cancelled, as an ask at `now` counts
        them (`bayesopt.state.PendingStatus`): those still running, and those that timed
        out under ``pending_timeout`` — each with its worker and its last sign of life —
        which the ask does not count. `now`: seconds since the epoch (default: the clock,
        which an ask reads). Without ``pending_timeout`` nothing times out."""
        if now is not None:
            now = check_real("now", now)
        with self._lock:
            self._refresh()
            return self._state.pending_status(time.time() if now is None else now)

    def _ask_settings(self) -> AskSettings:
        return AskSettings(self.acquisition, self.n_initial, self.ucb_beta, self.options,
                           self.feasible, self.cost_budget, self._admitted_points)

    def _admitted_points(self) -> np.ndarray | None:
        """The admitted points of a finite space (`admitted_points`), built once (`_Grid`)."""
        return self._grid.of(self.space, self.feasible)

    @property
    def n_constraints(self) -> int | None:
        """The number of outcome constraints every successful tell carries: the declared
        ``n_constraints``, or else the count fixed by the first tell that carried them (on
        this run, a resumed one or a shared study's); None while neither is known, and for
        a run whose tells carry none. The journal header keeps what was declared."""
        with self._lock:
            self._refresh()
            return self._state.outcomes.n_constraints

    @property
    def total_cost(self) -> float:
        """The summed cost told so far (`tell(..., cost=)`; wall time under `minimize`)."""
        with self._lock:
            self._refresh()
            return self._state.outcomes.spent

    @property
    def best(self) -> Observation | None:
        """The best feasible successful observation so far, or None (noisy objectives:
        `recommend`); feasible means every outcome constraint told with it is ≤ 0."""
        with self._lock:
            self._refresh()
            return best_observation(self._state.history, self.maximize, self.space)

    def recommend(self) -> Recommendation:
        """The observed point with the best posterior mean (for noisy objectives).

        Unlike `best` (the best value as observed, which on a noisy objective
        is often the luckiest draw), this ranks the observed points by the
        surrogate's latent mean; see `bayesopt.surrogate.Surrogate.recommend`.
        Raises ValueError before the surrogate is fitted (n_initial successes).
        """
        return self.surrogate().recommend()

    def surrogate(self) -> Surrogate:
        """A snapshot of the fitted surrogate in user terms (`bayesopt.surrogate.Surrogate`):
        posterior predictions at params dicts, hyperparameters by dimension name, the
        acquisition this optimizer maximizes, the log marginal likelihood, `recommend`.

        Raises ValueError before the surrogate is fitted (n_initial successes). In a
        shared study the surrogate is as of this optimizer's last ask or tell.
        """
        with self._lock:
            self._refresh()
            with self._numeric_threads():
                return self._surrogate()

    def _surrogate(self, now: float | None = None, own: bool = False) -> Surrogate:
        """The snapshot `surrogate()` returns; pending points judged at `now` (the clock).

        Its model is the twin's on which the acquisition without pending points is built
        (`_snapshot_objective`): conditioned on every successful observation — in a shared
        study the others' tells since this optimizer's last ask added as its next ask
        would add them — and on no fantasy, so the two share it. The acquisition with the
        pending points is built on a second twin, or, when `own` (this optimizer is a copy
        made for the snapshot, read by nothing else: `Optimizer.result`), on this optimizer
        itself. So the snapshot holds two models, not three, and this optimizer is left
        unchanged unless `own`."""
        if not fitted_after_tell(self._model, self._state.model_data(), self.n_initial):
            raise ValueError(
                f"no surrogate yet: it is fitted once n_initial={self.n_initial} evaluations "
                f"have succeeded ({self._state.model_data().y.shape[0]} so far)")
        observed = self._modelled()
        twin = copy.deepcopy(self)
        without = twin._snapshot_objective(pending=False, now=now, copy_first=False)
        model = twin._state.model
        with_pending = (self if own else copy.deepcopy(self))._snapshot_objective(
            pending=True, now=now, copy_first=False)
        from bayesopt.surrogate import Surrogate

        return Surrogate(self.space, model, self.maximize, observed, (without, with_pending))

    def _modelled(self) -> list[Observation]:
        """The observations the surrogate is conditioned on (`OptimizerState.model_data`)."""
        budget, fidelity = self._state.model_data().budget, self.space.fidelity
        return [o for o in self._state.history if modelled(o, self.space) and (
            fidelity is None or budget is None  # every budget: the budget is an input
            or float(o.params[fidelity.name]) == budget)]  # type: ignore[index]

    def _snapshot_objective(self, pending: bool, now: float | None = None,
                            copy_first: bool = True) -> AcquisitionObjective:
        """The acquisition objective the next ask would maximize, computed on a deep copy
        (its own state, model and generator; no study), so nothing here changes; without
        `copy_first`, on this optimizer itself (a copy already), whose surrogate it
        conditions (`_surrogate`)."""
        twin = copy.deepcopy(self) if copy_first else self
        state = twin._state
        settings = self._ask_settings()
        proposal = Proposal(state, settings, state.fork_rng(),
                            time.time() if now is None else now, with_pending=pending)
        return proposal.acquisition_objective()

    def result(self) -> OptimizeResult:
        """The history, the best point and a snapshot of the surrogate (`surrogate()`).

        The surrogate is fitted when the result's `model` or `surrogate` is first read
        (or the result is pickled or copied), not here: the fit costs time cubic and
        memory quadratic in the number of observations, and `best`, `history` and
        `to_pandas()` do not read it. What is read is the surrogate as of this call,
        equal to the one fitted at once: later asks and tells do not change it. For that
        the optimizer (its state, its model as it stands, its generator as of this call)
        is copied just before it next changes, or at that first read if it comes sooner
        (`_Snapshot`); not at all if the result is dropped first or never read for its
        surrogate, so reading `best` or `history` copies no surrogate.
        """
        with self._lock:
            self._refresh()
            result = OptimizeResult.from_history(
                self._state.history, self.space, self.maximize, seed=self.seed,
                fingerprint=self.fingerprint)
            fitted = (self._state.model_fitted()
                      or self._state.model_data().y.shape[0] >= self.n_initial)
            if not fitted:
                return result
            snapshot, now = _Snapshot(self), time.time()
        return defer_surrogate(result, lambda: snapshot.optimizer()._fit_snapshot(now))

    def _fit_snapshot(self, now: float) -> Surrogate:
        """`surrogate()` of this copy made by `result`, pending points judged at `now`."""
        with self._lock, self._numeric_threads():
            return self._surrogate(now, own=True)

    @contextlib.contextmanager
    def _numeric_threads(self) -> Iterator[int]:
        """`kernels.threads.numeric_threads` for the history's size; in a shared study one
        BLAS and one Numba thread (`single_threaded`), as `minimize` runs beside its
        worker processes: the study's other processes hold the cores, and a BLAS pool as
        wide as the machine in each of them turns every refit's LAPACK calls into waits
        for descheduled threads (README, "Shared studies"; bench/results/shared_threads.md).
        ``threads=k`` (the user's choice) replaces both: `kernels.threads.thread_count`."""
        if self.threads is not None:  # checked again: a pickled copy may be in another process
            try:
                check_threads(self.threads)
            except ValueError as error:
                raise ValueError(f"{error}; this process cannot have the threads the optimizer "
                                 "was made with (a copy pickled in another process): set "
                                 "opt.threads = None, or a count from that range") from None
            chosen: contextlib.AbstractContextManager[None] = thread_count(self.threads)
        else:
            chosen = single_threaded() if self.shared else contextlib.nullcontext()
        with chosen, numeric_threads(len(self._state.history)) as threads:
            yield threads

    @property
    def shared(self) -> bool:
        """True when attached to a shared study (``storage=``), False otherwise."""
        return self._link is not None and not self._link.with_state

    @property
    def rng(self) -> np.random.Generator:
        """The optimizer's random generator (read it; drawing from it changes future asks)."""
        return self._state.rng

    @property
    def _model(self) -> SurrogateModel:
        return self._state.synced_model(self._state.rng)

    @property
    def _design_used(self) -> int:
        return self._state.design_used

    # ---------------------------------------------------------------- ask
    @overload
    def ask(self, n: None = None) -> dict[str, Any]: ...
    @overload
    def ask(self, n: int) -> list[dict[str, Any]]: ...
    @overload  # an n that may be None, as the signature allows: either
    def ask(self, n: int | None) -> dict[str, Any] | list[dict[str, Any]]: ...

    def ask(self, n: int | None = None) -> dict[str, Any] | list[dict[str, Any]]:
        """Propose one point (a dict), or a list of n points to evaluate in parallel.

        Every point is new: not observed, not pending, and distinct from the
        others of the batch (unless a finite space is exhausted, which warns).
        """
        count = 1 if n is None else check_count("n", n, minimum=1)
        asked = self._asked(count)
        assert asked is not None, "only an ask within a total finds the study full"
        points = [point for point, _ in asked]
        return points[0] if n is None else points

    def ask_within(self, total: int) -> dict[str, Any] | None:
        """Propose one point, or None if the history and the pending points already
        number `total` (expired pending points excepted).

        In a shared study the count and the ask happen under the study's lock,
        so workers that all ask this way never start more than `total`
        evaluations in all (``minimize(storage=...)`` and ``bayesopt run
        --storage`` stop so). A worker that dies leaves its point pending
        until ``pending_timeout`` expires it.
        """
        total = check_count("total", total, minimum=1)
        asked = self._asked(1, total)
        return None if asked is None else asked[0][0]

    def _asked(self, count: int, total: int | None = None, until_exhausted: bool = False,
               ) -> list[tuple[dict[str, Any], int]] | None:
        """`ask(count)` (or, with `total`, `ask_within(total)`): each point asked with its
        run id (`run_ids`); None when the study is full (`ask_within`), or, with
        `until_exhausted`, when a finite space is exhausted (`space_exhausted`: the ask
        would repeat a point) — in a shared study checked again under the study's lock,
        with the other workers' events read, so that another worker's ask of the last new
        point cannot land between the check and the ask."""
        # a continuum is never exhausted: nothing to read or check for it
        until_exhausted = until_exhausted and self.space.cardinality is not None
        with self._lock, self._numeric_threads():
            if total is not None or until_exhausted:
                self._refresh()
                now = time.time()
                if total is not None and self._is_full(total, now):  # no refit for nothing
                    return None
                if until_exhausted and self._exhausted(now):
                    return None
            rng = self._prefit() if self.shared else None
            checked = until_exhausted and self.shared
            build = ((lambda: self._ask_event(count, rng)) if total is None and not checked
                     else (lambda: self._ask_event_within(total, rng, checked)))
            try:
                event = self._commit(build, computes=True)
            except _StudyFull:
                return None
            # the ask was applied last (`_commit`), so its points are the last pending ones
            runs = self._state.pending[len(self._state.pending) - len(event.points):]
            assert all(r.run is not None for r in runs), "an ask's points are pending last"
            return [(dict(p), cast(int, r.run)) for p, r in zip(event.points, runs)]

    def _ask_event_within(self, total: int | None, rng: np.random.Generator | None,
                          until_exhausted: bool = False) -> Ask:
        now = time.time()
        if total is not None and self._is_full(total, now):
            raise _StudyFull
        if until_exhausted and self._exhausted(now):
            raise _StudyFull
        return self._ask_event(1, rng)

    def _exhausted(self, now: float) -> bool:
        """Whether the next ask at `now` would repeat a point of a finite space: every
        point the input constraints admit is observed or pending (`space_exhausted`);
        with a Fidelity, whose promotions repeat configurations by design, when the
        schedule's next job is a new configuration and every admitted configuration has
        a run (observed or pending) at its budget."""
        state, fidelity = self._state, self.space.fidelity
        if self.space.cardinality is None:
            return False
        constrained = self.feasible is not None
        if fidelity is not None:
            hyperband = state.hyperband_at(now, read_only=True)
            assert hyperband is not None

            def unrun(budget: float) -> bool:
                return has_unrun(state, self._admitted_points, constrained, budget, now)

            job = hyperband.next_job(unrun)
            return job.continues is None and not unrun(job.budget)
        pending = [p.params for p in state.active_pending(now)]
        seen = state.X_all
        if pending:
            seen = np.concatenate([seen, self.space.encode_valid(pending)])
        return exhausted(self.space, self._admitted_points, seen, constrained)

    def _is_full(self, total: int, now: float) -> bool:
        return len(self._state.history) + len(self._state.active_pending(now)) >= total

    def _prefit(self) -> np.random.Generator:
        """In a shared study, bring the surrogate up to date (the scheduled refit) before
        taking the study's lock, so that the lock is held only to add the observations
        told meanwhile and to propose; the generator it used goes on into the ask."""
        assert self._link is not None
        self._link.catch_up(self._state)
        rng = self._state.fork_rng()
        model = self._state.synced_model(rng)
        update_after_tell(model, self._state.model_data(), self.n_initial)
        if model.gp is None:  # the first fit may come under the lock: load its kernels now
            load_kernels(self._state)
        return rng

    def _ask_event(self, count: int, rng: np.random.Generator | None = None) -> Ask:
        now = time.time()
        rng = self._state.fork_rng() if rng is None else rng
        settings = self._ask_settings()
        proposal = Proposal(self._state, settings, rng, now, defer_refit=self.shared)
        points = proposal.points(count)
        self._warn_spread_out(proposal.spread_out)
        return Ask(points=tuple(points), time=now, worker=self._state.worker,
                   checkpoint=self._state.checkpoint(rng, proposal.design_used),
                   hedge=proposal.hedge_record(), interleaved=tuple(proposal.interleaved),
                   pending_timeout=self.pending_timeout)

    def _warn_spread_out(self, replaced: int) -> None:
        """Once per optimizer: `replaced` model points of an ask were uniformly random new
        points because no candidate of the acquisition optimizer was farther than its
        min_distance from every observed and pending point (the asked points stand)."""
        if not replaced or getattr(self, "_spread_warned", False):
            return
        self._spread_warned = True
        distance = self.options.acquisition_optimizer.min_distance
        warnings.warn(
            f"AcquisitionOptimizerOptions(min_distance={distance!r}): no candidate of the "
            "acquisition optimizer was farther than that from every observed or pending "
            f"point, so {replaced} model point(s) of this ask were replaced by uniformly "
            "random new points; later asks may be too, without another warning (a smaller "
            "min_distance keeps the model's choice)", SpaceExhaustedWarning,
            stacklevel=caller_level())

    def _commit(self, build: Callable[[], Event], *, computes: bool = False,
                checks_pending: bool = False) -> Event:
        """Build an event and apply it; in a study, after catching up, and appended to it
        before it is applied — under the study's lock if building it `computes` (an ask,
        or a tell that refits the surrogate of a journal), so that nothing is appended
        between the catch-up and the append. With a Fidelity every event takes the lock:
        a tell, failure or cancel moves the Hyperband schedule that an ask's budgets are
        checked against when applied, so none may land inside an ask's window. So does an
        event whose building `checks_pending` (`add_pending` without repeat): another
        worker's ask or add_pending of the same point must not land between the check that
        it is not pending and the append."""
        if self._unsound is not None:
            raise RuntimeError(self._unsound)
        try:
            return self._commit_built(build, computes or checks_pending)
        except ApplyFailed as failed:
            self._unsound = self._unsound_reason(failed)
            raise RuntimeError(self._unsound) from failed.__cause__
        except BaseException:
            if computes and not self.shared:
                # building moved the surrogate on (a tell's refit, an ask's appends) for an
                # event that was not applied (a full disk, Ctrl-C): rebuilt from the applied
                # events' record at its next use, as a resume rebuilds it, so that no later
                # event depends on one that was never recorded. A shared study's surrogate
                # is its worker's own, brought up to date at each ask (`_prefit`)
                self._state.model_stale = True
            raise

    def _unsound_reason(self, failed: ApplyFailed) -> str:
        """What `_commit` says, then and at every later change, after applying an event of
        this optimizer's own raised (`ApplyFailed`): a defect of bayesopt, which leaves the
        state perhaps half changed, so no further event is built on it."""
        cause = failed.__cause__
        said = (f"bayesopt could not apply an event it built ({type(cause).__name__}: "
                f"{cause}): a defect of bayesopt, please report it. This optimizer's state "
                "may be half changed, so it refuses every ask, tell and other change from "
                "now on (what it holds can still be read)")
        link = self._link
        if link is None:
            return said
        if failed.retracted:
            return (f"{said}. The event was removed from {link.name} again, which holds "
                    "every event before it: Optimizer.resume of the journal continues the run")
        if link.with_state:  # a journal whose last line could not be removed
            return (f"{said}. The event could not be removed from {link.name} again (event "
                    f"{failed.number}), so a resume of it stops there as corrupt")
        return (f"{said}. The event stays stored in {link.name} (event {failed.number}): "
                "the study's other workers apply it when they read it, and a fresh "
                "Optimizer attached to the study (a new process) replays it")

    def _commit_built(self, build: Callable[[], Event], computes: bool) -> Event:
        link = self._link
        if link is None:
            event = build()
            with held_interrupts():  # Ctrl-C in a notebook: the event applies whole
                try:
                    self._state.apply(event)
                except Exception as error:  # a defect: an event built here must apply
                    raise ApplyFailed(None, False) from error
            return event
        serialized = computes or self.space.fidelity is not None
        with link.lock() if serialized else contextlib.nullcontext():
            for attempt in range(_LOCK_ATTEMPTS):
                link.catch_up(self._state)
                event = build()
                try:
                    link.commit(self._state, event)
                    return event
                except LockLost as error:  # built on what may be stale: read, build again
                    lost = error
        raise JournalError(f"{link.name}: the study's lock was lost {_LOCK_ATTEMPTS} times "
                           f"in a row ({lost})")

    # --------------------------------------------------------------- tell
    def tell(self, params: Mapping[str, Any] | Sequence[Mapping[str, Any]],
             value: Number | Sequence[Number] | np.ndarray, *,
             duration: Number | Sequence[Number | None] | np.ndarray | None = None,
             constraints: Constraints | None = None,
             cost: Number | Sequence[Number | None] | np.ndarray | None = None,
             run: int | Sequence[int] | None = None,
             pruned: bool | Sequence[bool] | np.ndarray = False) -> None:
        """Record evaluated point(s): one dict and one number, or equal-length lists of each.

        The points of a list may be the rows of a pandas DataFrame, one column per
        dimension, an empty cell an absent key (a conditional dimension where it is
        inactive; `bayesopt.tables`); its values (and `duration`, `cost`, `constraints`)
        a numpy array or a pandas Series, read in order (`bayesopt.validation.as_array`).
        Everything is validated before anything is recorded. A non-finite
        value raises: report a failed evaluation with `tell_failure`. A told
        point releases the pending point it was asked as, matched within a
        tolerance that allows rounding to 3 significant digits
        (`bayesopt.state`); a point that matches none while others are pending
        warns with `UnmatchedTellWarning` (telling never-asked points is
        supported: do it while nothing is pending, or ignore the warning).
        In a shared study the tell is of this optimizer's own run of those params,
        if it has one (`bayesopt.state`): if another worker cancelled that run (and
        perhaps claimed its params again, a new run) before the tell was stored, the
        value is recorded as an observation of its params, releases nothing — the new
        run stays pending — and `UnmatchedTellWarning` says so.
        `duration` (seconds the evaluation took; one number, or one per point)
        is kept in `Observation.duration`, beside the tell's `timestamp`.
        `constraints`: the outcome constraints' values [c1, ..., ck] (one list
        per point for a batch), each satisfied when ≤ 0; required with every
        tell once the optimizer has constraints. `cost` (> 0; one number, which
        is then every point's, so a batch adds it to `total_cost` once per point,
        or one per point): what the evaluation cost, modelled by logei_per_cost.

        `run`: the run the tell is of, by the id `run_ids(params)` gave while it was
        pending (a list of ids, one per point, for a list of params) — for several runs of
        the same params, which the params alone cannot tell apart: a run that timed out
        or was cancelled and whose params were asked again, or replicates. Without it the
        tell is of the run its params name (`bayesopt.state`: this optimizer's own nearest
        pending run, the earliest of equally near ones, then timed-out ones). A run that
        is not in flight (never asked or added, told or cancelled; a point added by a
        bayesopt before 0.8.0 has no id), or a run of other params, raises ValueError
        naming it, and nothing is
        recorded. A run that timed out is told as a late tell of a timed-out point; this
        optimizer's own run that another worker cancelled as above.

        `pruned=True` (or one flag per point): the run was stopped early by another rule
        than this optimizer's (Optuna's pruner, a person), and `value` is its value there:
        it is recorded "pruned" at its last reported step, as a run `report` stopped is
        (the GP of a plain space models its value; with a Fidelity only its rung counts).
        The run must have reported (`add_pending`, then `report` each intermediate value,
        then this tell); a point whose run has no report raises ValueError naming it, and
        nothing is recorded. A run whose last report is the one at which `report` said stop
        (the loop broke there) is "pruned" at that step, with or without the flag. A run
        that reported past that step (its advice ignored) is, told ``pruned=True``, "pruned"
        at its last reported step (another rule stopped it later); told without it, a
        complete run: "ok" with no step (with a Fidelity, a result at its asked budget,
        ranked in its rung and modelled like any other), as Optuna records a trial whose
        objective returned after `should_prune()` said True COMPLETE. This
        optimizer's own run that another worker cancelled after its reports is recorded
        "pruned" at its last reported step too, outside any run, with `UnmatchedTellWarning`
        (as its tell without the flag is recorded, as an observation of its params). In a
        journal or study the step is stored with the tell (its "pruned" field, since 0.8.0;
        bayesopt 0.7.0 refuses such a study, saying to upgrade).
        """
        points, values = self._batch(params, value)
        runs = _check_runs(run, len(points), batch=not isinstance(params, Mapping))
        flags = tuple(check_flags("pruned", pruned, len(points)))
        with self._lock:
            canonical = self.space.validate_points(points)
            numbers = tuple(check_value(v, i if len(values) > 1 else None)
                            for i, v in enumerate(values))
            seconds = tuple(check_durations(duration, len(points)))
            with self._recording("tell"):
                self._refresh()
                outcomes = self._check_outcomes(constraints, cost, len(points))
                found = self._runs("tell", canonical, runs)  # refused before a refit is computed
                if any(flags):  # so is pruned=True of a run without a report
                    self._told_stops(canonical, flags, _claims_of(found))
                with self._numeric_threads():
                    event = self._commit(lambda: self._tell_event(canonical, numbers, seconds,
                                                                  outcomes, runs, flags),
                                         computes=not self.shared)
            self._warn_lost(event)

    def _check_outcomes(self, constraints: Any, cost: Any, n_points: int) -> Outcomes:
        """Validated constraint values (or None) and costs for a tell of n points."""
        outcomes = self._state.outcomes
        checked = check_constraint_values(constraints, n_points, outcomes.n_constraints)
        if checked is not None and not outcomes.constrained:
            if self.acquisition not in CONSTRAINED_ACQUISITIONS:
                raise ValueError(f"constraints need acquisition in {list(CONSTRAINED_ACQUISITIONS)}"
                                 f", not {self.acquisition!r}")
            if self._state.y_ok.shape[0]:
                raise ValueError(self._late_constraints(len(checked[0])))
        costs = tuple(check_costs(cost, n_points))
        return (None if checked is None else tuple(checked),
                costs if any(c is not None for c in costs) else ())

    def _late_constraints(self, k: int) -> str:
        """Why k constraint values cannot be told to a run whose successes carry none: the
        number of outcome constraints is fixed before the first success (n_constraints=None
        here), and a recorded run (journal, study) keeps it."""
        held = (f"{self._state.y_ok.shape[0]} successful observation(s) told without "
                "constraints (n_constraints=None)")
        if self._link is None:
            return (f"{k} constraint value(s) told after {held}: declare "
                    f"Optimizer(..., n_constraints={k}) and tell them with every value")
        return (f"{k} constraint value(s) told to {self._link.name}, which holds {held}: "
                "a recorded run cannot gain outcome constraints; tell (or have the objective "
                "return) the value alone to continue it, or start a new journal or study "
                f"with n_constraints={k}")

    def _tell_event(self, points: tuple[dict[str, Any], ...], values: tuple[float, ...],
                    durations: tuple[float | None, ...], outcomes: Outcomes = (None, ()),
                    runs: tuple[int, ...] | None = None, flags: tuple[bool, ...] = ()) -> Tell:
        claims = self._claims("tell", points, runs)
        pruned, complete = self._told_stops(points, flags, claims)
        rng = self._state.fork_rng()
        model = self._state.synced_model(rng)
        data = self._state.told_model_data(points, values, claims, pruned, complete)
        if data is not None and (self._link is None or self._link.with_state):
            update_after_tell(model, data, self.n_initial)  # a shared study fits at its next ask
        return self._unmatched_warned(Tell(
            points=points, values=values, durations=durations, constraints=outcomes[0],
            costs=outcomes[1], claims=claims, pruned=pruned, complete=complete, time=time.time(),
            worker=self._state.worker,
            checkpoint=self._state.checkpoint(rng, self._state.design_used)))

    def _told_stops(self, points: Sequence[Mapping[str, Any]], flags: tuple[bool, ...],
                    claims: tuple[int | None, ...],
                    ) -> tuple[tuple[float | None, ...], tuple[bool, ...]]:
        """`Tell.pruned` and `Tell.complete` of a tell of the valid `points` (`claims`: the
        runs it names) whose `flags` say which were told ``pruned=True``.

        pruned: each flagged one's last reported step, None where `report` stopped its run
        at that step already (recorded "pruned" at its stop without the field) or it was not
        flagged; () when none is. A run reported on past its stop is recorded at its last
        step (the field wins over an earlier stop, `bayesopt.state._told_runs`). ValueError
        naming a flagged point whose run has no report.
        complete: True for an unflagged point whose run reported past the step `report`
        stopped it at (its advice ignored, the run trained on: a complete run, recorded
        "ok"); () when none is. A run whose last report is its stop is "pruned" there."""
        if not any(flags) and not self._state.pruning.stopped:  # no run was stopped
            return (), ()
        steps = self._state.reported_steps(points, claims)
        complete = tuple(not flag and stopped is not None and last is not None and last > stopped
                         for flag, (stopped, last) in zip(flags or (False,) * len(points), steps))
        return self._pruned_steps(points, flags, steps), complete if any(complete) else ()

    @staticmethod
    def _pruned_steps(points: Sequence[Mapping[str, Any]], flags: tuple[bool, ...],
                      steps: Sequence[tuple[float | None, float | None]],
                      ) -> tuple[float | None, ...]:
        """`Tell.pruned` of `_told_stops`, `steps` each point's (stop, last reported step)."""
        if not any(flags):
            return ()
        pruned: list[float | None] = []
        for params, flag, (stopped, last) in zip(points, flags, steps):
            if flag and stopped is None and last is None:
                raise ValueError(
                    f"tell: pruned=True for {dict(params)!r}, whose run has no report (none "
                    "was made, or its run is no longer in flight): a run is recorded pruned at "
                    "its last reported step, so add_pending(params), report(params, steps, "
                    "values) its intermediate values, then tell it (or tell_failure it)")
            later = last is not None and (stopped is None or last > stopped)
            pruned.append(last if flag and later else None)
        return tuple(pruned) if any(s is not None for s in pruned) else ()

    def _unmatched_warned(self, event: TellOrFailure) -> TellOrFailure:
        """`event`, its points passed to `_warn_unmatched` unless it repeats a tell or
        failure stored by a call whose outcome was unknown (`StudyLink.repeats`), which
        records nothing: the stored one released the points it ran."""
        if self._link is None or not self._link.repeats(self._state, event):
            self._warn_unmatched(event.points)
        return event

    def _batch(self, params: Any, value: Any) -> tuple[list[Mapping[str, Any]], list[Any]]:
        """`as_batch` of the points of a tell, which may be a DataFrame's rows."""
        return as_batch(frame_points(self.space, params) if is_frame(params) else params, value)

    def tell_failure(self, params: Mapping[str, Any] | Sequence[Mapping[str, Any]],
                     error: Error | Sequence[Error] = None, *,
                     duration: Number | Sequence[Number | None] | np.ndarray | None = None,
                     cost: Number | Sequence[Number | None] | np.ndarray | None = None,
                     run: int | Sequence[int] | None = None) -> None:
        """Record that evaluating `params` failed (kept in the history, never re-proposed).

        `error` (text or an exception) applies to every point; for a list of
        params it may also be a list with one error per point. `duration` and
        `cost` (> 0) as for `tell`: a failure's cost counts in `total_cost` and in
        logei_per_cost's cooling over `cost_budget`, but not in the cost GP
        (`bayesopt.outcomes`: a crash's time is not what evaluating the point costs).
        `run`: the run it is of, by its id, as for `tell`. `params` may be a DataFrame's
        rows, as for `tell`.
        """
        points, _ = self._batch(params, None)
        runs = _check_runs(run, len(points), batch=not isinstance(params, Mapping))
        messages = tuple(_error_messages(error, len(points)))
        seconds = tuple(check_durations(duration, len(points)))
        checked = tuple(check_costs(cost, len(points)))
        costs = checked if any(c is not None for c in checked) else ()
        with self._lock:
            canonical = self.space.validate_points(points)

            def build() -> Failure:
                return self._unmatched_warned(Failure(
                    points=canonical, errors=messages, durations=seconds, costs=costs,
                    claims=self._claims("tell_failure", canonical, runs), **self._stamp()))

            with self._recording("tell_failure"):
                event = self._commit(build)
            self._warn_lost(event)

    def _recording(self, what: str) -> contextlib.AbstractContextManager[None]:
        """`StudyLink.recording` of this optimizer's study or journal (nothing without one)."""
        return contextlib.nullcontext() if self._link is None else self._link.recording(what)

    def _stamp(self) -> dict[str, Any]:
        """Time, worker and checkpoint of an event that computes nothing."""
        state = self._state
        return {"time": time.time(), "worker": state.worker,
                "checkpoint": state.checkpoint(state.rng, state.design_used)}

    def _claims(self, verb: str, points: Sequence[Mapping[str, Any]],
                runs: tuple[int, ...] | None = None) -> tuple[int | None, ...]:
        """The claims of the runs a tell of the valid `points` is of (`_runs`), () when it
        is of none."""
        return _claims_of(self._runs(verb, points, runs))

    def _runs(self, verb: str, points: Sequence[Mapping[str, Any]],
              runs: tuple[int, ...] | None) -> list[PendingPoint | None]:
        """The runs an event of the valid `points` is of: by their params
        (`OptimizerState.runs_of`: this worker's own first), or each named by its run id
        (`runs`, `_check_runs`) — a pending or timed-out run, or one of this worker's own
        that another worker cancelled (`OptimizerState.cancelled`); ValueError naming the
        id when it is none of them, or is the run of other params."""
        if runs is None:
            return self._state.runs_of(points)
        state = self._state
        found: list[PendingPoint | None] = []
        for params, run in zip(points, runs):
            point = next((p for group in (state.pending, state.expired, state.cancelled)
                          for p in group if p.run == run), None)
            if point is None:
                raise ValueError(f"{verb}: run={run!r} is not a run in flight (never asked, "
                                 "already told or cancelled); a run's id is run_ids(params)[0] "
                                 "while it is pending")
            if nearest_match(self.space, params, [point]) is None:
                raise ValueError(f"{verb}: run={run!r} is the run of {point.params!r}, not of "
                                 f"{dict(params)!r}")
            found.append(point)
        return found

    def _warn_lost(self, event: Event) -> None:
        """Warn (`UnmatchedTellWarning`) when the tell or failure `event`, just applied,
        named a run that had stopped being pending before it was stored: recorded, and
        nothing released (`bayesopt.state`)."""
        lost = self._state.lost_claims
        if not lost:
            return
        claims = list(event.claims)  # type: ignore[attr-defined]
        params = event.points[claims.index(lost[0])]
        warnings.warn(
            f"told point {params}: its run stopped being pending before this tell was stored "
            "(another worker cancelled it, or it timed out, and its params may be pending "
            "again as a new run); it is recorded as an observation of its params, "
            "and every pending point stays pending",
            UnmatchedTellWarning, stacklevel=caller_level(),
        )

    def _warn_unmatched(self, points: Sequence[Mapping[str, Any]]) -> None:
        if not self._state.pending:
            return
        unmatched = [p for p in points if not self._state.was_asked(p)]
        if unmatched:
            warnings.warn(
                f"told point {unmatched[0]} matches none of the {len(self._state.pending)} "
                "pending points (values may be rounded to 3 significant digits); the pending "
                "points stay pending — drop one with Optimizer.cancel(params)",
                UnmatchedTellWarning, stacklevel=caller_level(),
            )

    # ----------------------------------------------------- pending points
    def cancel(self, params: Mapping[str, Any] | Sequence[Mapping[str, Any]], *,
               run: int | Sequence[int] | None = None) -> None:
        """Drop pending point(s) that will not be evaluated (journaled).

        Each point must match a pending point (the rule of `tell`); otherwise
        ValueError, and nothing is dropped. The run a point cancels is chosen as a tell's
        (`bayesopt.state`): this optimizer's own run of those params if it has one, else
        the pending point they match — so any attached optimizer may cancel another
        worker's point (one whose worker died). Once this optimizer's own run of them
        timed out or another worker cancelled it, ValueError, and nothing is dropped, even
        if another run of the same params is pending (that run is its worker's; as for
        `heartbeat` and `report`). In a shared study another worker may tell or cancel
        the run, or cancel it and claim the same params again, while the cancel is
        stored: the cancel then drops nothing for that point (the new run stays pending)
        and this raises ValueError saying so, after the batch's other points were
        dropped. `run`: the run to cancel, by its id, as for `tell` (it must be pending).
        """
        points, _ = as_batch(params, None)
        ids = _check_runs(run, len(points), batch=not isinstance(params, Mapping))
        with self._lock:
            canonical = self.space.validate_points(points)

            def build() -> Cancel:
                self._check_pending("cancel", canonical)
                runs = self._own_runs("cancel", canonical, runs=ids)
                return Cancel(points=canonical, claims=tuple(run.claim for run in runs),
                              **self._stamp())

            event = self._commit(build)
            lost = self._state.lost_claims
            if lost:
                point = event.points[list(event.claims).index(lost[0])]  # type: ignore[attr-defined]
                others = len(points) - len(lost)
                raise ValueError(f"cancel: the run of {point!r} stopped being pending while "
                                 "this cancel was stored (another worker told or cancelled "
                                 "it, and may have claimed its params again), so the cancel "
                                 "dropped nothing for it" + (f"; the other {others} point(s) "
                                                             "were dropped" if others else ""))

    def heartbeat(self, params: Mapping[str, Any] | Sequence[Mapping[str, Any]], *,
                  run: int | Sequence[int] | None = None) -> None:
        """Record that pending point(s) are still being evaluated (journaled; in a shared
        study every worker reads it).

        With ``pending_timeout`` a pending point expires that many seconds after its
        last sign of life — its ask, its latest heartbeat or its latest `report` — by
        the times stored in the events, so a worker that sends heartbeats more often
        than the timeout keeps its point alive however long it runs, and a killed one's
        point expires about the timeout after its last heartbeat. `minimize` and
        ``bayesopt run`` send them by themselves. Each point must match a pending point
        that has not timed out (the rule of `tell`); otherwise ValueError naming it,
        and nothing is recorded. A heartbeat is recorded whatever this optimizer's own
        ``pending_timeout``: in a shared study the other workers' timeouts read it. It
        is of this optimizer's own run of those params, if it has one (`bayesopt.state`):
        once that run timed out or another worker cancelled it, ValueError, even if
        another run of the same params is pending (that run's worker keeps it alive).
        `run`: the run it is of, by its id, as for `tell` (it must be pending).
        """
        points, _ = as_batch(params, None)
        if not points:
            raise ValueError("heartbeat: params=[] names no pending point")
        ids = _check_runs(run, len(points), batch=not isinstance(params, Mapping))
        with self._lock:
            canonical = self.space.validate_points(points)

            def build() -> Heartbeat:
                now = time.time()
                self._check_pending("heartbeat", canonical, now)
                runs = self._own_runs("heartbeat", canonical, now, ids)
                return Heartbeat(points=canonical, time=now, worker=self._state.worker,
                                 claims=tuple(run.claim for run in runs))

            self._commit(build)

    def _own_runs(self, verb: str, points: Sequence[Mapping[str, Any]],
                  now: float | None = None, runs: tuple[int, ...] | None = None,
                  batch: bool = True) -> list[PendingPoint]:
        """The pending runs a heartbeat, cancel or report of the valid `points` is of
        (`_runs`: by params, this worker's own first, or by run id); ValueError naming the
        first point whose run is not pending: none, or this worker's own (or the one named)
        timed out (by `now`, with one) or was cancelled by another worker, even if another
        run of its params is pending. `batch`: the message of a method of one point
        (`report`)."""
        found = self._runs(verb, points, runs)
        state = self._state
        for point, run in zip(points, found):
            if (run is None or (now is not None and state.is_expired(run, now))
                    or (run.claim is not None and state.expired_point(run.claim) is run)
                    or any(run is p for p in state.cancelled)):
                if batch:
                    raise ValueError(f"{verb}: {point} is not a pending point"
                                     f"{self._why_not(point, now)}")
                raise ValueError(f"{verb}: {point!r} is not pending"
                                 f"{self._why_not(point, now, batch=False)}; {verb} only "
                                 "points asked and not yet told")
        return found  # type: ignore[return-value]

    def _check_pending(self, verb: str, points: Sequence[Mapping[str, Any]],
                       now: float | None = None) -> None:
        """Raise ValueError naming the first of the valid `points` that matches no pending
        point (the rule of `tell`; each pending point matched once); with `now`, a point
        timed out by then is not pending."""
        remaining = self._state.active_pending(now)
        for p in points:
            index = nearest_match(self.space, p, remaining)
            if index is None:
                raise ValueError(f"{verb}: {p} is not a pending point{self._why_not(p, now)}")
            del remaining[index]

    def _why_not(self, params: Mapping[str, Any], now: float | None, batch: bool = True) -> str:
        """Why `params`, matching no pending point at `now`, is not one: timed out, or
        never asked, already told or cancelled (or, in a `batch`, named twice)."""
        if nearest_match(self.space, params, self._state.timed_out(now)) is not None:
            return (f" (it timed out: pending_timeout={self.pending_timeout!r} seconds passed "
                    "without a sign of life; tell it when it finishes, and it is recorded)")
        return f" (never asked, already told or cancelled{', or named twice' if batch else ''})"

    @overload
    def add_pending(self, params: dict[str, Any], *, repeat: bool = False) -> int: ...
    @overload
    def add_pending(self, params: list[dict[str, Any]], *, repeat: bool = False) -> list[int]: ...

    def add_pending(self, params: dict[str, Any] | list[dict[str, Any]], *,
                    repeat: bool = False) -> int | list[int]:
        """Mark point(s) being evaluated elsewhere as pending (journaled): later asks
        account for them as for asked points, and a tell of them releases them.

        A point that is pending already (asked, or added before, and not timed out:
        matched by the rule of `tell`), or named twice in one call, raises ValueError
        naming it, and nothing is added: a tell releases one pending entry, so a second
        one would stay pending, a fantasy counted twice. ``repeat=True`` adds it again:
        a second evaluation of the same point (a replicate of a noisy objective), which
        its own tell releases. In a shared study the check and the append happen under
        the study's lock (not with ``repeat=True``), so that another worker's ask or
        add_pending of the same point cannot land between them. Input constraints
        (`feasible=`) govern what the optimizer asks, not what is evaluated elsewhere:
        a point they refuse is added (and told) like any other.

        Each added point is a new run: its `report` steps start over, whatever an
        earlier run of the same params (cancelled, timed out or told) reported; a
        replicate has its own reports too (`bayesopt.state`). Returns the new run's id
        (a list of ids for a list of params), as `run_ids` gives it: `tell`,
        `tell_failure`, `report`, `heartbeat` and `cancel` take it as ``run=`` to name
        this run among several of the same params — replicates evaluated at once, each
        reporting its own curve, or the one replicate to cancel. By params a report,
        tell or cancel is of this optimizer's earliest pending run of them (`report`).
        A point added by a bayesopt before 0.8.0 has no id, and is named by its params
        (its pending event does not carry "numbered": docs/event-fold.md).

        With a `Fidelity` a point is a configuration at a budget (its Fidelity's value), a
        run of the Hyperband schedule as an asked one is (`bayesopt.fidelity.Hyperband.add`):
        the promotion of that configuration's finished run when it is due for promotion
        to that budget (`continues` names the run), else a new configuration of the
        bracket that starts at that budget, ranked in that bracket's base rung and
        promoted from it as any other (taking no asked configuration's place in the
        Hyperband cycle); at a budget no bracket starts at, a run outside the schedule
        (its result is data for the model, ranked in no rung). Later asks fantasize a new
        configuration and never propose it again, as an asked one.
        """
        repeat = check_bool("repeat", repeat)
        return self._add_pending(params, repeat=repeat)

    def _add_pending(self, params: dict[str, Any] | list[dict[str, Any]], *, repeat: bool,
                     unseen: bool = False) -> int | list[int]:
        """`add_pending`; with `unseen` also ValueError for a point observed already (in a
        shared study checked under its lock, with the other workers' tells read)."""
        points, _ = as_batch(params, None)
        with self._lock:
            canonical = self.space.validate_points(points)

            def build() -> Pending:
                stamp = self._stamp()
                if not repeat:
                    self._check_not_pending(canonical, stamp["time"])
                if unseen:
                    observed = [o.params for o in self._state.history]
                    for p in canonical:
                        if p in observed:
                            raise ValueError(f"add_pending: {p} is observed already")
                return Pending(points=canonical, numbered=True,
                               scheduled=self.space.fidelity is not None, **stamp)

            event = self._commit(build, checks_pending=not repeat)
            # the event was applied last (`_commit`), so its points are the last pending ones
            runs = [cast(int, r.run) for r in
                    self._state.pending[len(self._state.pending) - len(event.points):]]
            assert None not in runs, "a numbered pending event's points have run ids"
        return runs[0] if isinstance(params, Mapping) else runs

    def _check_not_pending(self, points: Sequence[Mapping[str, Any]], now: float) -> None:
        """Raise ValueError naming the first of the valid `points` that matches a point
        pending at `now` or an earlier one of `points` (the rule of `tell`)."""
        pending, named = self._state.active_pending(now), list[PendingPoint]()
        for p, x in zip(points, self.space.encode_valid(points)):
            if nearest_match(self.space, p, pending, x) is not None:
                raise ValueError(f"add_pending: {p} is pending already (asked, or added "
                                 "before, and not yet told, cancelled or timed out)")
            if nearest_match(self.space, p, named, x) is not None:
                raise ValueError(f"add_pending: {p} is named twice")
            named.append(PendingPoint(dict(p), x, now, None))

    def report(self, params: Mapping[str, Any], step: Number | Sequence[Number] | np.ndarray,
               value: Number | Sequence[Number] | np.ndarray, *,
               run: int | None = None) -> bool:
        """Report an intermediate value of a pending point at `step` (an epoch, say);
        True when the run should stop now (successive halving, `bayesopt.fidelity`).

        `step` and `value` may also be equal-length lists (arrays, Series) of increasing
        steps and their values — a learning curve evaluated elsewhere, an Optuna trial's
        ``sorted(intermediate_values.items())`` — recorded as one event, exactly as that
        many reports in turn would be (including those after the one that said stop);
        True when the run should stop after the last. A bad entry raises naming its
        position, and nothing is recorded.

        Tell the point afterwards as usual: stopped at a True (no later report), it is
        recorded with status "pruned" at that step; trained on past it (later reports, the
        advice ignored) and told without ``pruned=True``, it is a complete run, "ok" (`tell`).
        Raises ValueError for a point that is not
        pending (never asked, already told, or timed out by ``pending_timeout``, as
        for `heartbeat`), for a step not after the last,
        and, with a `Fidelity`, for a step beyond the budget the point was asked
        with by more than 0.5 %, a tell's matching tolerance (steps count the
        budget's units, as the rungs do: a run trains to its budget, and its tell
        is recorded at that budget). Without a Fidelity
        any step is allowed, as in Optuna. With a Fidelity a report at the asked
        budget, or within 0.5 % below it, never returns True (the run has finished;
        the schedule ranks it), and a
        promotion is neither recorded nor judged again at the rungs its source passed,
        whether it trains on from the source's checkpoint or again from step 1
        (`bayesopt.fidelity.Pruning.report`).

        A report is also a sign of life of the point: with ``pending_timeout`` its
        expiry counts from the latest report, as from a `heartbeat`.

        A report belongs to the run it was made for: the one `run` names (its id,
        `run_ids(params)[0]`, as for `tell`), else this optimizer's own run of `params` if
        it has one — the nearest, the earliest of equally near ones — else the pending
        point `params` matches (the rule of a tell and a heartbeat; `bayesopt.state`). Each
        run has its own reports (steps, stop), replicates of one point too (several runs of
        it pending at once: `add_pending(repeat=True)`, or an exhausted space's repeated
        ask); by params every report goes to the earliest of them until it is told, so
        name each asked replicate's run to report on it. Once another worker cancelled the
        run, or it timed out, ValueError, even if another run of the same params is pending
        (that run's worker reports on it); so for a `run` that is not in flight or is of
        other params, and nothing is recorded. In a shared study another worker may tell,
        cancel or time out that run, or cancel it and claim the same params again, while
        the report is stored: the report is then recorded for no run, and this raises
        ValueError saying so (naming the run id, for an asked point) — the late worker's
        run is over, and the params' new run reports from its own first step.

        `step` counts the units completed (1 after the first epoch): a loop
        counting from 0, as Keras's ``on_epoch_end(epoch, ...)`` does, reports
        ``epoch + 1``; reporting ``epoch`` records at each rung the value after
        one unit more than the rung's step.

        Rungs: the pruner's, at steps min_resource·η^(min_early_stopping_rate + k)
        (Optuna's `SuccessiveHalvingPruner`); by default with a Fidelity low·eta^k,
        k = 0, 1, …, which are the Hyperband schedule's budgets high·eta^−s only
        when high/low is a power of eta. ``Fidelity(1, 100)`` (eta 3) asks runs at
        budgets 1, 4, 11, 33 and 100 (100/81, 100/27, … rounded), while reports
        meet rungs at steps 1, 3, 9, 27 and 81: a run asked at 11 records at 1, 3
        and 9 and may stop there, never at 11; a promotion from 33 to 100 records
        at 81 only (docs/multi-fidelity.md,
        section 2, has the rule and why the rungs stay where they are).

        After True, tell the point (its value at that step: recorded "pruned") or
        `cancel` it. Until then it stays pending — every ask fantasizes it and
        none proposes it again — and with ``pending_timeout`` it expires that long
        after this report, its last sign of life; a tell after that is still
        recorded, as "pruned" (unless its params were asked again meanwhile, as a
        timed-out promotion is, or added again with `add_pending`: the tell is then
        the new run's, whose reports started afresh). A cancel forgets the reports.
        The optimizer cannot tell a forgotten tell from a run still finishing
        (another thread of the same loop, or another worker of a study, may ask
        between the report and its tell), so it never warns.
        """
        runs = _check_runs(run, 1, batch=False)
        steps, losses, given = reported_curve(step, value)
        with self._lock:
            canonical = self.space.validate(params)

            reported: list[PendingPoint] = []  # the run reported on, as the event was built

            def build() -> Report:
                now = time.time()  # a point timed out by now is refused, as by heartbeat
                # the run named, or this worker's own run of the params first, as for a tell
                point = self._own_runs("report", [canonical], now, runs, batch=False)[0]
                last = self._state.pruning.last_step.get(run_key(self.space, point))
                if last is not None and steps[0] <= last:
                    raise ValueError(f"report: step={shown(given[0])} must be after the last "
                                     f"reported step {last!r} of this point (a run a "
                                     "resumed journal or study keeps pending keeps the "
                                     "reports its interrupted attempt recorded: report the "
                                     "steps after them: `report_status`)")
                _check_within_budget(self.space, point.params, given[-1])
                reported[:] = [point]
                return Report(points=(canonical,) * len(steps), steps=steps, values=losses,
                              claims=(point.claim,) * len(steps), **self._stamp())

            self._commit(build)
            point = reported[0]
            if point.claim is not None and not self._state.claimed(point.claim):
                named = "" if point.run is None else f" (run {point.run})"
                raise ValueError(f"report: the run of {canonical!r}{named} stopped being pending "
                                 "while this report was stored (another worker told or "
                                 "cancelled it, or it timed out), so the report is not "
                                 "recorded; stop this run")
            return run_key(self.space, point) in self._state.pruning.stopped

    def report_status(self, params: Mapping[str, Any], *,
                      run: int | None = None) -> ReportStatus:
        """What the run of `params` in flight has reported (`bayesopt.state.ReportStatus`):
        `last_step`, the last step `report` recorded (None before its first report), and
        `stopped_at`, the step at which the pruning rule said stop (None while it has not).
        A run a resumed journal or study keeps pending (its process was killed) keeps the
        reports its interrupted attempt recorded: evaluating it again, report only the
        steps after `last_step` (`report` refuses the others), and a run stopped at
        `stopped_at` is told with its value at that step (recorded "pruned" there), as
        ``bayesopt run`` does. `run` names the run as for `report`; ValueError naming a
        point that is not in flight, as `report` raises."""
        runs = _check_runs(run, 1, batch=False)
        with self._lock:
            canonical = self.space.validate(params)
            self._refresh()
            point = self._own_runs("report_status", [canonical], time.time(), runs,
                                   batch=False)[0]
            key = run_key(self.space, point)
            return ReportStatus(self._state.pruning.last_step.get(key),
                                self._state.pruning.stopped.get(key))

    def continues(self, params: Mapping[str, Any]) -> int | None:
        """For a pending promotion (a space with a `Fidelity`), the history index of the
        run it continues — restart from that run's checkpoint; None for a new
        configuration, and always None without a Fidelity. `params` matches its pending
        point by the rule of a tell (values rounded to 3 significant digits match)."""
        with self._lock:
            canonical = self.space.validate(params)
            self._refresh()
            return self._state.source(self._state.pending_point(canonical))

    def run_ids(self, params: Mapping[str, Any], *,
                run: int | None = None) -> tuple[int | None, int | None]:
        """(run, continues) of a pending point: ids to name checkpoints by, as ``bayesopt
        run``'s ``{bayesopt.run}`` and ``{bayesopt.continues}`` do (`OptimizerState.run_ids`).
        run is the point's place among every point asked in the run (0-based, every worker
        of a study counted); continues, for a Hyperband promotion (a space with a
        `Fidelity`), the id of the run it continues, else None; (None, None) for a point
        not pending. Replays of the journal or study give the same ids, so a resumed run
        finds the checkpoints it named. Unlike `continues`, which gives a history index
        once the earlier run is told, both are known when the point is asked. `tell`,
        `tell_failure`, `report`, `heartbeat` and `cancel` take run as ``run=``, to name
        this run when several runs of its params are in flight (here, of the pending runs
        `params` matches, the nearest, the earliest of equally near ones). With `run`
        (a run id), the ids of that run of `params` (its continues: `bayesopt run` names
        the run it dispatched); ValueError when it is not a run of `params` in flight,
        as for `tell`."""
        ids = _check_runs(run, 1, batch=False)
        with self._lock:
            canonical = self.space.validate(params)
            self._refresh()
            if ids is None:
                return self._state.run_ids(canonical)
            named = self._runs("run_ids", [canonical], ids)[0]
            assert named is not None, "a named run is found or refused (_runs)"
            return self._state.ids_of(named)

    # ------------------------------------------------------------ journal
    @property
    def config(self) -> dict[str, Any]:
        """The settings that, with the space, define this optimizer (as in the journal header)."""
        return {
            "acquisition": self.acquisition, "n_initial": self.n_initial, "seed": self.seed,
            "maximize": self.maximize, "ucb_beta": self.ucb_beta,
            "pending_timeout": self.pending_timeout, "options": self.options.to_dict(),
            **({} if self._n_constraints is None else {"n_constraints": self._n_constraints}),
            **({} if self.cost_budget is None else {"cost_budget": self.cost_budget}),
            **({} if self.pruner is None else {"pruner": asdict(self.pruner)}),
            "feasible": None if self.feasible is None else self.feasible.to_json(),
        }

    @property
    def resolved_config(self) -> dict[str, Any]:
        """Every setting that decides the asks, as numbers — the priors resolved for this
        space's encoded columns, the noise floor, restarts, candidate counts — but not the
        seed (`bayesopt.card.resolved_config`)."""
        from bayesopt.card import resolved_config

        return resolved_config(self.space, self.acquisition, self.n_initial, self.maximize,
                               self.ucb_beta, self.options, self.cost_budget)

    @property
    def fingerprint(self) -> str:
        """16 hex digits identifying `resolved_config` (sha256 of its canonical JSON)."""
        from bayesopt.card import fingerprint

        return fingerprint(self.resolved_config)

    def _header_extras(self) -> dict[str, Any]:
        """What a study's header holds for its readers beyond the space and config."""
        return {"fingerprint": self.fingerprint, "resolved_config": self.resolved_config}

    @classmethod
    def resume(cls, journal: str | os.PathLike[str], space: SpaceLike | None = None,
               *, append: bool = True, feasible: FeasibleArgument | None = None,
               threads: int | None = None, **unknown: NoReturn) -> Optimizer:
        """Rebuild an optimizer from its journal and keep journaling to it.

        The events are applied to a fresh optimizer built from the header's
        settings, as the original applied them, so the history, the pending
        points, the random generator and the surrogate are restored and the
        next `ask` equals what the interrupted optimizer would have asked.
        `space`, if given, must equal the journal's, dimension by dimension and
        in order (required when a categorical's choices do not survive JSON,
        e.g. classes). With ``append=False`` the file is only read: nothing is
        written to it and a torn last line is left alone (for looking at a run
        still going on). With ``append=True`` a journal that holds evaluations
        says so: a `ResumeWarning` and an INFO log record with the counts.

        `feasible`: the run's input constraints (`Optimizer`'s ``feasible=``),
        which must match those the journal records — as many callables (code is
        never journaled), the same linear constraints. Without it, a run whose
        input constraints are all `LinearConstraint`s gets them back from the
        journal; a run with a callable raises ValueError, as does feasible= for
        a run that had none.

        `threads`: as `Optimizer`'s (the process's, not recorded in the journal).

        Any other keyword raises TypeError naming it (and a peer's name for it,
        as `Optimizer` does); the run's settings come from the journal.
        """
        if unknown:
            unknown_keywords(unknown, key_names(Optimizer.resume), "Optimizer.resume")
        check_journal_path(journal)
        append = check_bool("append", append)
        threads = None if threads is None else check_threads(threads)
        name = describe(journal)
        check_exists(journal, name)
        storage = wrap_errors(name, lambda: JSONLStorage(journal))
        with _closed_if_raising(storage):
            opt = cls._replay_journal(storage, space, name, feasible)
            opt.threads = threads
        if append:
            opt._journal_to(storage, journal, name)
        else:
            storage.close()
        return opt

    def _journal_to(self, storage: JSONLStorage, journal: str | os.PathLike[str],
                    name: str) -> None:
        """Link to the journal `storage` (`name`) that this optimizer's state was replayed
        from, and say that it resumes (`ResumeWarning`)."""
        study = storage.studies()[0]
        if not is_journal(study):  # its workers' events would be neither read nor seen
            storage.close()
            raise JournalError(
                f"{name} holds the shared study {study!r}, not a journal: attach to it "
                f"with Optimizer(space, storage={str(journal)!r}, study={study!r}), or "
                "read it with Optimizer.resume(path, append=False)")
        self._link = StudyLink(storage, study, name, with_state=True,
                               command=run_command(storage.header(study)))
        self._link.seen = self._state.n_applied
        _announce_resume(name, self._state)

    @classmethod
    def _replay_journal(cls, storage: JSONLStorage, space: SpaceLike | None,
                        name: str, feasible: Any = None) -> Optimizer:
        from bayesopt.journal import check_header

        def read() -> tuple[str, dict[str, Any], int]:
            studies = storage.studies()
            if not studies:
                raise JournalError(f"{name} is empty")
            return studies[0], storage.header(studies[0]), storage.count(studies[0])

        study, header, count = wrap_errors(name, read)
        check_header(header, name)
        opt = cls._from_header(header, _journal_space(header, space, name), name, feasible)
        opt._state = opt._new_state(journal_writer(storage, study, name, count))
        number = 0  # the events counted, read in pages: a line appended since is not read
        for page in read_pages(storage, study, name, 0, count):
            for record in page:
                apply_record(opt._state, record, name, number)
                number += 1
        return opt

    @classmethod
    def _from_header(cls, header: Mapping[str, Any], space: Space, name: str,
                     feasible: Any = None) -> Optimizer:
        config = header["config"]
        recorded = config.get("feasible")
        try:
            restored = recorded_constraints(recorded)
        except (TypeError, ValueError) as error:
            raise JournalError(f"{name} is corrupt: {error}") from None
        if feasible is None and restored is not None and all(
                isinstance(c, LinearConstraint) for c in restored):
            feasible = restored  # data, journaled exactly
        opt = cls._construct(config, space, name)
        opt.feasible = _input_constraints(space, feasible)  # the user's argument: its own errors
        check_recorded(config, opt.config["feasible"], name, "to Optimizer.resume")
        return opt

    @classmethod
    def _construct(cls, config: Mapping[str, Any], space: Space, name: str) -> Optimizer:
        """The optimizer a study's header describes, with the header's options as recorded:
        a space without a Fidelity may record a fidelity_model (`check_fidelity_model`),
        inert there, which a new optimizer refuses and a resumed one keeps."""
        try:
            options = OptimizerOptions.from_dict(config["options"])
            opt = cls(
                space, acquisition=config["acquisition"], n_initial=config["n_initial"],
                seed=config["seed"], maximize=config["maximize"], ucb_beta=config["ucb_beta"],
                options=_accepted_on_resume(space, options),
                pending_timeout=config.get("pending_timeout"),
                n_constraints=config.get("n_constraints"), cost_budget=config.get("cost_budget"),
                pruner=None if "pruner" not in config else SuccessiveHalving(**config["pruner"]),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise JournalError(f"{name} is corrupt: {type(error).__name__}: {error}") from None
        opt.options = options  # before any state is built from them (`_replay_journal`)
        return opt

    def close(self) -> None:
        """Close the journal, or the storage opened from ``storage=`` given as a path or URL
        (the optimizer stays usable without it). A `Storage` object given as ``storage=`` is
        the caller's: it stays open, for the caller to close.

        ``with Optimizer(...) as opt:`` (or ``with Optimizer.resume(...) as opt:``)
        calls it on leaving the block, on an exception too, which it lets through.
        """
        with self._lock:
            if self._link is not None:
                self._link.close()
                self._link = None

    def __enter__(self: _Opt) -> _Opt:  # noqa: PYI019 - typing.Self needs Python 3.11
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Close the journal or storage; an exception raised in the block propagates."""
        self.close()


def continue_journal(opt: Optimizer, journal: str | os.PathLike[str]) -> None:
    """Journal to `journal` from now on, as `Optimizer.resume` does: `opt` is its replay
    read with ``append=False`` (so it is not read again); the events appended since are
    applied at the next catch-up of the link."""
    assert opt._link is None, "a read-only replay has no link"
    name = describe(journal)
    check_exists(journal, name)
    opt._journal_to(wrap_errors(name, lambda: JSONLStorage(journal)), journal, name)


def disconnect(opt: Optimizer) -> None:
    """Close the connections of the storage `opt` opened from a path or URL (SQLite,
    PostgreSQL) until its next read or write of the study opens them again: an optimizer
    kept for later use (`BayesSearchCV.optimizers_`) holds no connection meanwhile, so none
    is left to the garbage collector. A `Storage` object the caller gave is left as it is
    (`StudyLink.owned`); a JSON-lines file keeps its descriptors: the one it reads through
    also holds the file read so far (`JSONLStorage._scan`)."""
    with opt._lock:
        if opt._link is not None and opt._link.owned:
            release = getattr(opt._link.storage, "_disconnect", None)
            if release is not None:
                release()


def claim_journal(opt: Optimizer) -> None:
    """Take the journal's writer claim now rather than at the first write (`StudyLink`):
    for a caller that will write (`minimize`), so that a journal another process is
    writing raises `JournalError` before anything is evaluated."""
    with opt._lock:
        link = opt._link
        if link is not None and link.with_state and not link.claimed:
            link.claim()


def ask_run(opt: Optimizer, total: int | None = None, until_exhausted: bool = False,
            ) -> tuple[dict[str, Any], int] | None:
    """`opt.ask()` (or, with `total`, `opt.ask_within(total)`) and the asked point's run
    id, for a caller that tells by run (`minimize`'s loop: several runs of the same params
    may be in flight, `Optimizer.tell`'s ``run=``); None when the study is full, or, with
    `until_exhausted`, when the ask would repeat a point of an exhausted finite space
    (`space_exhausted`; in a shared study checked under the study's lock)."""
    asked = opt._asked(1, total, until_exhausted)
    return None if asked is None else asked[0]


def add_warm_pending(opt: Optimizer, params: dict[str, Any]) -> int | None:
    """A warm-start (x0) point made pending as its evaluation starts: its run id. In a
    shared study None when the study has the point pending or observed already (checked
    under the study's lock, after reading the other workers' events): another worker
    given the same x0 evaluates or evaluated it. Elsewhere it is added as a replicate: a
    point given twice in x0 is evaluated twice, as without workers."""
    if not opt.shared:
        return opt.add_pending(params, repeat=True)
    try:
        return cast(int, opt._add_pending(params, repeat=False, unseen=True))
    except ValueError:
        return None


def space_exhausted(opt: Optimizer) -> bool:
    """Whether every point of `opt`'s finite space that its input constraints admit is
    observed or pending, so that its next ask would repeat one with a
    `SpaceExhaustedWarning` (`bayesopt.propose.exhausted`); with a Fidelity, whether the
    schedule's next job is a new configuration and every admitted configuration has a run
    at its budget (`Optimizer._exhausted`). `minimize` stops asking then."""
    if opt.space.cardinality is None:  # no lock, no read
        return False
    with opt._lock:
        opt._refresh()
        return opt._exhausted(time.time())


def pending_runs(opt: Optimizer) -> list[tuple[dict[str, Any], int | None]]:
    """`opt.pending`, each point with its run id (None for a point added before 0.8.0):
    the points an interrupted run resumes by evaluating them first (`minimize`)."""
    with opt._lock:
        opt._refresh()
        return [(dict(p.params), p.run) for p in opt._state.active_pending(time.time())]


def optimizer_lock(opt: Optimizer) -> threading.RLock:
    """The lock under which `opt` asks, tells and records events: a helper of the package
    that must read its pending points and record an event as one step holds it
    (`bayesopt.heartbeats`)."""
    return opt._lock


def _claims_of(found: Sequence[PendingPoint | None]) -> tuple[int | None, ...]:
    """The claims of the runs `found` (`Optimizer._runs`), () when none has one."""
    claims = tuple(None if run is None else run.claim for run in found)
    return claims if any(c is not None for c in claims) else ()


def _check_runs(run: Any, n_points: int, *, batch: bool) -> tuple[int, ...] | None:
    """The run ids `run=` names (`Optimizer.tell`): None (the runs the params name), one id
    for one point given as a dict, or one per point for a list of params."""
    if run is None:
        return None
    if not batch:
        return (check_count("run", run),)
    if isinstance(run, (str, bytes, Mapping)) or not isinstance(run, (Sequence, np.ndarray)):
        raise TypeError(f"run={shown(run)}: a list of {n_points} params takes a list of "
                        f"{n_points} run ids")
    ids = tuple(check_count(f"run[{i}]", r) for i, r in enumerate(run))
    if len(ids) != n_points:
        raise ValueError(f"run={shown(run)}: {len(ids)} run id(s) for {n_points} params")
    if len(set(ids)) != len(ids):
        raise ValueError(f"run={shown(run)} names a run twice")
    return ids


def _check_within_budget(space: Space, asked: Mapping[str, Any], step: Number) -> None:
    """With a Fidelity, a report's step may not pass the budget the point was asked with
    by more than the tolerance a tell's values are matched with (`MATCH_RTOL`): a data
    fraction of 1/9 trained on round(N/9) samples reports a step a little above it."""
    fidelity = space.fidelity
    if fidelity is None:
        return
    budget = asked[fidelity.name]  # type: ignore[index]
    if step > budget + MATCH_RTOL * abs(budget):
        raise ValueError(
            f"report: step={shown(step)} is beyond the budget {fidelity.name}={budget!r} this "
            f"point was asked with (by more than {MATCH_RTOL:.1%}); train it for {budget!r} at "
            "most (steps count the budget's units) and tell its value there")


def _accepted_on_resume(space: Space, options: OptimizerOptions) -> OptimizerOptions:
    """`options` that pass `check_fidelity_model`: in a space without a Fidelity, a recorded
    fidelity_model set to the default (there neither models anything)."""
    if space.fidelity is not None:
        return options
    default = ModelOptions().fidelity_model
    return replace(options, model=replace(options.model, fidelity_model=default))


def _input_constraints(space: Space, feasible: Any) -> InputConstraints | None:
    """`feasible=` checked against the space and for an admitted point (None: none)."""
    if feasible is None:
        return None
    constraints = InputConstraints(space, feasible)
    constraints.check_not_empty()
    return constraints


def _journal_space(header: Mapping[str, Any], given: SpaceLike | None, name: str) -> Space:
    """The journal's space: rebuilt from its header, or `given` checked against it."""
    if given is None:
        try:
            return space_from_json(header["space"], version=header["version"])
        except JournalError as error:
            raise JournalError(f"{name}: {error}; pass space= with the original dimensions "
                               "and choices to Optimizer.resume") from None
    space = given if isinstance(given, Space) else Space(given)
    difference = first_difference(header["space"], space, version=header["version"])
    if difference is not None:
        raise JournalError(f"{name} was written for another space: {difference}")
    return space


@contextlib.contextmanager
def _closed_if_raising(storage: Storage) -> Iterator[None]:
    """Close `storage` if the block raises (an attach the study refuses, say) and let the
    error go on: otherwise the connection or descriptors the storage opened stay held by the
    error's frames and are left to the garbage collector (which from Python 3.13 warns of an
    unclosed SQLite connection)."""
    try:
        yield
    except BaseException:
        storage.close()
        raise


def _refuse_journal(storage: JSONLStorage, study: str) -> None:
    """A JSON-lines file is a journal or a shared study by its study's name (`is_journal`):
    a shared study refuses a journal, whose one writer's events it would interleave with
    its workers' (and which `Optimizer.resume` continues), and a new study named as one."""
    path = str(storage.path)
    held = storage.studies()
    if held and is_journal(held[0]):
        raise JournalError(f"{path!r} is a journal (Optimizer(space, journal=...)), not a "
                           f"shared study: continue it with Optimizer.resume({path!r})")
    if not held and is_journal(study):
        raise JournalError(f"study={study!r}: a JSON-lines file whose study is named "
                           f"{study!r} is a journal; give the shared study in {path!r} "
                           "another name, or write a journal with Optimizer(space, journal=...)")


def _announce_resume(name: str, state: OptimizerState) -> None:
    """Warn what a resume keeps: the evaluations and the points in flight (`Optimizer.pending`:
    a point timed out by the clock is counted apart, as an ask no longer counts it)."""
    now = time.time()
    n, n_pending = len(state.history), len(state.active_pending(now))
    n_timed_out = len(state.pending) - n_pending
    logger.info("resumed %s: %d evaluations, %d pending, %d timed out", name, n, n_pending,
                n_timed_out)
    if n or n_pending or n_timed_out:
        timed_out = f" ({n_timed_out} more timed out)" if n_timed_out else ""
        warnings.warn(f"resumed {name}: {n} evaluations and {n_pending} pending points"
                      f"{timed_out} are kept (a new run needs another file)", ResumeWarning,
                      stacklevel=caller_level())


Outcomes: TypeAlias = "tuple[tuple[tuple[float, ...], ...] | None, tuple[float | None, ...]]"


def _error_messages(error: Error | Sequence[Error], n_points: int) -> list[str | None]:
    """One message per failed point: the text of an error, or of each of a list of them."""
    errors = list(error) if isinstance(error, (list, tuple)) else [error] * n_points
    if len(errors) != n_points:
        raise ValueError(f"got {len(errors)} errors for {n_points} failed point(s)")
    for item in errors:
        if not (item is None or isinstance(item, (str, BaseException))):
            raise TypeError(f"error must be a string, an exception or None, got {shown(item)}")
    return [item if item is None or isinstance(item, str) else repr(item) for item in errors]

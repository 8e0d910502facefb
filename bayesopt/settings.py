"""The optimizer's settings, checked and resolved before anything is built.

    acquisition : a key of `bayesopt.propose.ACQUISITION_KINDS` (ACQUISITIONS)
    options     : `OptimizerOptions`, with `kernel=` applied; a setting that the
                  acquisition would leave unused is an error, not ignored
    destination : a journal, or a storage with a study name, or neither

Each check raises TypeError/ValueError naming the argument and its value.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bayesopt.choices import KernelName
from bayesopt.journal import check_journal_path
from bayesopt.model import ModelOptions
from bayesopt.options import OptimizerOptions
from bayesopt.propose import ACQUISITION_KINDS
from bayesopt.space import Space
from bayesopt.validation import check_choice, check_count, check_real, shown
from kernels import KERNEL_KINDS

__all__ = ["ACQUISITIONS", "CONSTRAINED_ACQUISITIONS", "check_cost_budget", "check_cost_design",
           "check_destination", "check_fidelity_model", "check_n_constraints", "check_noisy",
           "check_trust_region", "resolve_options"]

ACQUISITIONS = tuple(ACQUISITION_KINDS)
_DEFAULT_MODEL = ModelOptions()
CONSTRAINED_ACQUISITIONS = tuple(name for name, kind in ACQUISITION_KINDS.items()
                                 if kind.constrained)  # a log P(c ≤ 0) term fits


def resolve_options(
    acquisition: str, kernel: KernelName | None, ucb_beta: float | None,
    options: OptimizerOptions | None,
) -> OptimizerOptions:
    """The options with `kernel=` applied; a setting the other arguments would leave
    unused, or a kernel given twice and differently, raises naming both."""
    if options is not None and not isinstance(options, OptimizerOptions):
        raise TypeError(f"options={options!r} must be an OptimizerOptions")
    given = options is not None
    options = options or OptimizerOptions()
    if kernel is not None:
        check_choice("kernel", kernel, KERNEL_KINDS)
        if given and KERNEL_KINDS[kernel] != KERNEL_KINDS[options.model.kernel]:
            raise ValueError(f"kernel={kernel!r} conflicts with options.model.kernel="
                             f"{options.model.kernel!r}; give the kernel in one place")
        options = replace(options, model=replace(options.model, kernel=kernel))
    unused = unused_settings(acquisition, ucb_beta, options)
    if unused:
        settings = ", ".join(f"{key}={value!r}" for key, value in unused.items())
        raise ValueError(f"{settings}: not used with acquisition={acquisition!r}"
                         + ("" if ucb_beta is None or "ucb_beta" in unused
                            else f" and ucb_beta={ucb_beta!r}"))
    return options


def unused_settings(
    acquisition: str, ucb_beta: float | None, options: OptimizerOptions
) -> dict[str, Any]:
    """Settings that differ from their defaults but that nothing would read."""
    default, model = OptimizerOptions(), options.model
    hedge = ACQUISITION_KINDS[acquisition].portfolio
    # the acquisitions asked: the portfolio's members with acquisition="hedge", the
    # ensemble's with acquisition="mace"
    used = (set(options.hedge.members) if hedge
            else set(ACQUISITION_KINDS[acquisition].ensemble or (acquisition,)))
    schedule = "ucb" in used and ucb_beta is None  # the GP-UCB β schedule is used
    per_cost = any(ACQUISITION_KINDS[name].per_cost for name in used)
    rows = (  # key, value, default, unused
        ("ucb_beta", ucb_beta, None, "ucb" not in used),
        ("options.ucb_delta", options.ucb_delta, default.ucb_delta, not schedule),
        ("options.ucb_beta_scale", options.ucb_beta_scale, default.ucb_beta_scale, not schedule),
        # read by the acquisitions with an incumbent (`AcquisitionKind.incumbent`) and by
        # local penalization
        ("options.model.incumbent", model.incumbent, default.model.incumbent,
         not any(ACQUISITION_KINDS[name].incumbent for name in used)
         and model.fantasy != "penalize"),
        ("options.hedge", options.hedge, default.hedge, not hedge),
        # the cost-effective design ranks candidates by the cost GP of logei_per_cost
        ("options.cost_design", options.cost_design, None, not per_cost),
    )
    return {key: value for key, value, usual, idle in rows if idle and value != usual}


def check_noisy(acquisition: str, space: Space, options: OptimizerOptions) -> None:
    """acquisition="lognei" (`bayesopt.noisy`) samples f at the observed points of one GP: it
    refuses what would change that GP or its incumbents — hyperparameter samples or a kernel
    average (a mixture of GPs) and a Fidelity (observations at several budgets) — naming the
    combination. Outcome constraints are refused where they are told (not a constrained
    acquisition, `check_n_constraints`)."""
    if not ACQUISITION_KINDS[acquisition].noisy:
        return
    model, one_gp = options.model, "noisy EI samples f at the observed points of one GP"
    fidelity = "" if space.fidelity is None else space.fidelity.name
    refused = (  # the setting, whether it is given, why it is refused, what to use instead
        (f"options.model.hyperparameters={model.hyperparameters!r}",
         model.hyperparameters != _DEFAULT_MODEL.hyperparameters, one_gp,
         "hyperparameters='map' or "),
        ("options.model.kernel_average=True", model.kernel_average, one_gp,
         "kernel_average=False or "),
        (f"a Fidelity ({fidelity!r}) in the space", space.fidelity is not None,
         "its observations are at several budgets", ""),
    )
    for setting, given, why, instead in refused:
        if given:
            raise ValueError(f"acquisition={acquisition!r} with {setting} is not supported: "
                             f"{why}; use {instead}acquisition='logei'")


def check_fidelity_model(space: Space, options: OptimizerOptions) -> None:
    """``options.model.fidelity_model`` chooses how a Fidelity's budget is modelled: set to
    anything but its default in a space without one, it would be ignored, so it raises.
    (A journal of such a space may record it — every 0.2.0 journal reads as "bohb",
    `bayesopt.options.SETTINGS_BEFORE` — and resumes: `Optimizer.resume` skips this.)"""
    chosen = options.model.fidelity_model
    if space.fidelity is None and chosen != _DEFAULT_MODEL.fidelity_model:
        raise ValueError(f"options.model.fidelity_model={chosen!r} chooses how the GP models a "
                         "Fidelity's budget, and the space has no Fidelity: leave it out, or "
                         "add a Fidelity to the space")


def check_trust_region(space: Space, options: OptimizerOptions) -> None:
    """``options.trust_region`` (TuRBO-1, `bayesopt.trust_region`) replays its side length
    from the successive values of one objective and centres its box on one observed
    point of the GP's inputs: a Fidelity's runs are values at several budgets and carry a
    budget column, so the two are refused together, naming both."""
    if options.trust_region is not None and space.fidelity is not None:
        raise ValueError(f"options.trust_region={options.trust_region!r} with a Fidelity "
                         f"({space.fidelity.name!r}) in the space is not supported: the trust "
                         "region's successes compare values of one budget; leave trust_region "
                         "out (Hyperband's schedule already narrows the search to the best "
                         "configurations)")


def check_destination(journal: Any, storage: Any, study: Any) -> None:
    """One place to write to: a journal, or a storage with a study name, or neither."""
    if journal is not None:
        check_journal_path(journal)
    if journal is not None and storage is not None:
        raise ValueError("give journal= (one optimizer's file) or storage= with study= "
                         "(a shared study), not both")
    if study is not None and not isinstance(study, str):
        raise TypeError(f"study={study!r} must be a string (the study's name)")
    if storage is not None and not study:
        raise ValueError(f"storage={storage!r} needs study= (a non-empty name), got {study!r}")
    if storage is None and study is not None:
        raise ValueError(f"study={study!r} needs storage=")


def check_n_constraints(acquisition: str, n_constraints: Any) -> int | None:
    """`n_constraints=` (None: not declared), for an acquisition that outcome constraints fit."""
    if n_constraints is None:
        return None
    count = check_count("n_constraints", n_constraints, minimum=1)
    if acquisition not in CONSTRAINED_ACQUISITIONS:
        raise ValueError(f"n_constraints={count} needs acquisition in "
                         f"{list(CONSTRAINED_ACQUISITIONS)}, not {acquisition!r}")
    return count


def check_cost_budget(acquisition: str, cost_budget: Any) -> float | None:
    """`cost_budget=` (None: α = 1), for an acquisition that weighs by cost."""
    if cost_budget is None:
        return None
    if not ACQUISITION_KINDS[acquisition].per_cost:
        raise ValueError(f"cost_budget={shown(cost_budget)} sets the cost cooling of "
                         f"acquisition='logei_per_cost' and would be unused with {acquisition!r}"
                         " (minimize(..., max_cost=) stops any run at a total cost)")
    return check_real("cost_budget", cost_budget, low=0.0, low_open=True)


def check_cost_design(options: OptimizerOptions, n_initial: int) -> None:
    """The cost-effective design's Sobol points leave it at least one of its own."""
    design = options.cost_design
    if design is not None and design.n_space_filling >= n_initial:
        raise ValueError(
            f"options.cost_design.n_space_filling={design.n_space_filling} must be < "
            f"n_initial={n_initial}: the design would be all Sobol points")

"""Advanced optimizer settings, and their round trip through a journal header."""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from acquisition.checks import check_fields, instance, integer, optional, real, rule
from acquisition.optimizer import AcquisitionOptimizerOptions
from bayesopt.cost_design import CostDesignOptions
from bayesopt.fitting import FitOptions
from bayesopt.hedge import HedgeOptions
from bayesopt.model import ModelOptions
from bayesopt.trust_region import TrustRegionOptions


@dataclass(frozen=True)
class OptimizerOptions:
    """Model, hyperparameter-fit and acquisition-optimizer settings (defaults: see README);
    each field checked by `acquisition.checks`."""

    model: ModelOptions = field(default_factory=ModelOptions, metadata=rule(instance(ModelOptions)))
    acquisition_optimizer: AcquisitionOptimizerOptions = field(
        default_factory=AcquisitionOptimizerOptions,
        metadata=rule(instance(AcquisitionOptimizerOptions)))
    # δ of the GP-UCB β schedule (Srinivas et al. 2010)
    ucb_delta: float = field(default=0.1, metadata=rule(real(0.0, 1.0, low_open=True,
                                                              high_open=True)))
    # The theorem's β_t is conservative; Srinivas et al. scale it by 1/5 in their
    # experiments (Sec. 6)
    ucb_beta_scale: float = field(default=0.2, metadata=rule(real(0.0, low_open=True)))
    # None: the acquisition is searched over the whole box; TrustRegionOptions: inside a
    # TuRBO-1 trust region around the incumbent (bayesopt.trust_region; an option, not a default)
    trust_region: TrustRegionOptions | None = field(
        default=None, metadata=rule(optional(instance(TrustRegionOptions))))
    # acquisition="hedge": the portfolio's members and Hedge rate (bayesopt.hedge)
    hedge: HedgeOptions = field(default_factory=HedgeOptions, metadata=rule(instance(HedgeOptions)))
    # None: the initial design is scrambled Sobol; CostDesignOptions: CArBO's cost-effective
    # design (Lee et al. 2020; bayesopt.cost_design), with acquisition="logei_per_cost" only
    cost_design: CostDesignOptions | None = field(
        default=None, metadata=rule(optional(instance(CostDesignOptions))))

    # None: every point after the initial design maximizes the acquisition; k: every k-th
    # point asked (counted over the study's asks) that the model would propose is uniformly
    # random instead — SMAC's interleaving (Hutter, Hoos & Leyton-Brown 2011), which keeps the
    # search global; an option, not a default (bench/results/ablation.md, eighth round)
    random_interleave: int | None = field(default=None, metadata=rule(optional(integer(2))))

    def __post_init__(self) -> None:
        check_fields(self)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, spec: dict[str, Any]) -> OptimizerOptions:
        """Inverse of `to_dict` (JSON turns tuples into lists; they are turned back).

        A model, fit or search setting missing from `spec` was written before the setting
        existed: it takes the value the code that wrote it used (`SETTINGS_BEFORE`,
        `FIT_SETTINGS_BEFORE`, `SEARCH_SETTINGS_BEFORE`), so that a resumed journal asks
        what its writer would have.
        """
        model = {**SETTINGS_BEFORE, **spec["model"]}
        fit = FitOptions(**_tuples({**FIT_SETTINGS_BEFORE, **model.pop("fit")}))
        acq = AcquisitionOptimizerOptions(
            **_tuples({**SEARCH_SETTINGS_BEFORE, **spec["acquisition_optimizer"]}))
        region = spec.get("trust_region")  # absent from journals written before the option
        hedge = spec.get("hedge")  # likewise
        design = spec.get("cost_design")  # likewise
        return cls(
            model=ModelOptions(**_tuples(model), fit=fit), acquisition_optimizer=acq,
            ucb_delta=spec["ucb_delta"], ucb_beta_scale=spec["ucb_beta_scale"],
            trust_region=None if region is None else TrustRegionOptions(**region),
            hedge=HedgeOptions() if hedge is None else HedgeOptions(**_tuples(hedge)),
            cost_design=None if design is None else CostDesignOptions(**design),
            random_interleave=spec.get("random_interleave"),  # absent before the option
        )


# ModelOptions fields added after journals were first written, and the behaviour before
SETTINGS_BEFORE: dict[str, Any] = {
    "fidelity_model": "bohb",  # 0.2.0: BOHB's GP
    "restart_every": 1,  # before 0.3.0: the prior restarts at every refit
    "fit_start": "last",  # before 0.16.0: every refit warm-started from the last fit
}
# FitOptions fields likewise
FIT_SETTINGS_BEFORE: dict[str, Any] = {
    "precondition": False,  # before 0.14.0: the refit's L-BFGS-B on θ itself
}
# AcquisitionOptimizerOptions fields likewise
SEARCH_SETTINGS_BEFORE: dict[str, Any] = {
    "scale_by_lengthscales": False,  # before 0.14.0: the local search on x itself
    "candidate_group": 1,  # before 0.15.0: the shrunk candidate counts not rounded
}


def _tuples(spec: dict[str, Any]) -> dict[str, Any]:
    return {key: tuple(value) if isinstance(value, list) else value for key, value in spec.items()}


def unknown_settings(spec: Any, cls: type, prefix: str) -> list[str]:
    """The keys of `spec` (the stored `dataclasses.asdict` of a settings dataclass `cls`)
    that no field of `cls` has, dotted from `prefix` ("config.options.model.warp"), the
    nested settings dataclasses' (a field typed `X` or `X | None`) included. A stored
    setting this library does not know was written by a newer one; reading the rest
    alone would run other settings than its writer's (`bayesopt.journal.check_header`)."""
    if not isinstance(spec, Mapping):
        return []  # not a table: the constructor's error says so
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = [f"{prefix}.{key}" for key in spec if key not in fields]
    for name in fields.keys() & spec.keys():
        nested = [t for t in (hints[name], *typing.get_args(hints[name]))
                  if dataclasses.is_dataclass(t)]
        if nested:
            unknown += unknown_settings(spec[name], nested[0], f"{prefix}.{name}")  # type: ignore[arg-type]
    return unknown

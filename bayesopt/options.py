"""Advanced optimizer settings, and their round trip through a journal header."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from acquisition.optimizer import AcquisitionOptimizerOptions
from bayesopt.fitting import FitOptions
from bayesopt.model import ModelOptions


@dataclass(frozen=True)
class OptimizerOptions:
    """Model, hyperparameter-fit and acquisition-optimizer settings (defaults: see README)."""

    model: ModelOptions = field(default_factory=ModelOptions)
    acquisition_optimizer: AcquisitionOptimizerOptions = field(
        default_factory=AcquisitionOptimizerOptions
    )
    ucb_delta: float = 0.1  # δ of the GP-UCB β schedule (Srinivas et al. 2010)
    # The theorem's β_t is conservative; Srinivas et al. scale it by 1/5 in their experiments (Sec. 6)
    ucb_beta_scale: float = 0.2

    def __post_init__(self) -> None:
        if not 0 < self.ucb_delta < 1:
            raise ValueError(f"ucb_delta={self.ucb_delta} must be in (0, 1)")
        if not self.ucb_beta_scale > 0:
            raise ValueError(f"ucb_beta_scale={self.ucb_beta_scale} must be > 0")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, spec: dict[str, Any]) -> OptimizerOptions:
        """Inverse of `to_dict` (JSON turns tuples into lists; they are turned back)."""
        model = dict(spec["model"])
        fit = FitOptions(**_tuples(model.pop("fit")))
        acq = AcquisitionOptimizerOptions(**_tuples(spec["acquisition_optimizer"]))
        return cls(
            model=ModelOptions(**_tuples(model), fit=fit), acquisition_optimizer=acq,
            ucb_delta=spec["ucb_delta"], ucb_beta_scale=spec["ucb_beta_scale"],
        )


def _tuples(spec: dict[str, Any]) -> dict[str, Any]:
    return {key: tuple(value) if isinstance(value, list) else value for key, value in spec.items()}

"""bayesopt: Bayesian optimization on a Numba Gaussian process.

    from bayesopt import Optimizer, Real, Integer, Categorical, minimize

The public names are imported on first use (PEP 562), so a process that only
needs a small piece — a worker running an objective, the command line
printing its help — does not pay for importing numba and scipy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.16.0"  # the one source: pyproject.toml reads it (dynamic version)

_EXPORTS = {
    "Categorical": "bayesopt.space",
    "EvaluationFailed": "bayesopt.failures",
    "EvaluationFailedWarning": "bayesopt.failures",
    "DaskExecutorWarning": "bayesopt.dask_futures",
    "DaskNoWorkersWarning": "bayesopt.dask_futures",
    "TooManyFailuresError": "bayesopt.failures",
    "Integer": "bayesopt.space",
    "Real": "bayesopt.space",
    "Space": "bayesopt.space",
    "Fidelity": "bayesopt.space",
    "SuccessiveHalving": "bayesopt.fidelity",
    "Observation": "bayesopt.result",
    "OptimizeResult": "bayesopt.result",
    "Optimizer": "bayesopt.optimizer",
    "SpaceExhaustedWarning": "bayesopt.optimizer",
    "ResumeWarning": "bayesopt.optimizer",
    "UnmatchedTellWarning": "bayesopt.optimizer",
    "OptimizerOptions": "bayesopt.options",
    "ModelOptions": "bayesopt.model",
    "ModelFitWarning": "bayesopt.model",
    "FitOptions": "bayesopt.fitting",
    "TrustRegionOptions": "bayesopt.trust_region",
    "CostDesignOptions": "bayesopt.cost_design",
    "HedgeOptions": "bayesopt.hedge",
    "AcquisitionOptimizerOptions": "acquisition.optimizer",
    "CompileCacheWarning": "kernels.jit",
    "JournalError": "bayesopt.journal",
    "TruncatedJournalWarning": "bayesopt.journal",
    "ResumeSettingsWarning": "bayesopt.loop",
    "TopBudgetWarning": "bayesopt.loop",
    "minimize": "bayesopt.loop",
    "Run": "bayesopt.runs",
    "Prediction": "bayesopt.surrogate",
    "Recommendation": "bayesopt.surrogate",
    "Surrogate": "bayesopt.surrogate",
    "baseline_card": "bayesopt.card",
    "LinearConstraint": "bayesopt.feasibility",
    "InfeasibleSpaceError": "bayesopt.feasibility",
}

__all__ = [  # the names of _EXPORTS and __version__, sorted
    "AcquisitionOptimizerOptions",
    "Categorical",
    "CompileCacheWarning",
    "CostDesignOptions",
    "DaskExecutorWarning",
    "DaskNoWorkersWarning",
    "EvaluationFailed",
    "EvaluationFailedWarning",
    "Fidelity",
    "FitOptions",
    "HedgeOptions",
    "InfeasibleSpaceError",
    "Integer",
    "JournalError",
    "LinearConstraint",
    "ModelFitWarning",
    "ModelOptions",
    "Observation",
    "OptimizeResult",
    "Optimizer",
    "OptimizerOptions",
    "Prediction",
    "Real",
    "Recommendation",
    "ResumeSettingsWarning",
    "ResumeWarning",
    "Run",
    "Space",
    "SpaceExhaustedWarning",
    "SuccessiveHalving",
    "Surrogate",
    "TooManyFailuresError",
    "TopBudgetWarning",
    "TruncatedJournalWarning",
    "TrustRegionOptions",
    "UnmatchedTellWarning",
    "__version__",
    "baseline_card",
    "minimize",
]

if TYPE_CHECKING:
    from acquisition.optimizer import AcquisitionOptimizerOptions
    from bayesopt.card import baseline_card
    from bayesopt.cost_design import CostDesignOptions
    from bayesopt.dask_futures import DaskExecutorWarning, DaskNoWorkersWarning
    from bayesopt.failures import EvaluationFailed, EvaluationFailedWarning, TooManyFailuresError
    from bayesopt.feasibility import InfeasibleSpaceError, LinearConstraint
    from bayesopt.fidelity import SuccessiveHalving
    from bayesopt.fitting import FitOptions
    from bayesopt.hedge import HedgeOptions
    from bayesopt.journal import JournalError, TruncatedJournalWarning
    from bayesopt.loop import ResumeSettingsWarning, TopBudgetWarning, minimize
    from bayesopt.model import ModelFitWarning, ModelOptions
    from bayesopt.optimizer import (
        Optimizer,
        ResumeWarning,
        SpaceExhaustedWarning,
        UnmatchedTellWarning,
    )
    from bayesopt.options import OptimizerOptions
    from bayesopt.result import Observation, OptimizeResult
    from bayesopt.runs import Run
    from bayesopt.space import Categorical, Fidelity, Integer, Real, Space
    from bayesopt.surrogate import Prediction, Recommendation, Surrogate
    from bayesopt.trust_region import TrustRegionOptions
    from kernels.jit import CompileCacheWarning


if not TYPE_CHECKING:  # a checker would take every name, a misspelt one too, for Any
    def __getattr__(name: str) -> Any:
        if name in _EXPORTS:
            value = getattr(importlib.import_module(_EXPORTS[name]), name)
            globals()[name] = value
            return value
        raise AttributeError(f"module 'bayesopt' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__

"""bayesopt: Bayesian optimization on a Numba Gaussian process.

    from bayesopt import Optimizer, Real, Integer, Categorical, minimize

The public names are imported on first use (PEP 562), so a process that only
needs a small piece — a worker running an objective, the command line
printing its help — does not pay for importing numba and scipy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Categorical": "bayesopt.space",
    "Integer": "bayesopt.space",
    "Real": "bayesopt.space",
    "Space": "bayesopt.space",
    "Observation": "bayesopt.result",
    "OptimizeResult": "bayesopt.result",
    "Optimizer": "bayesopt.optimizer",
    "SpaceExhaustedWarning": "bayesopt.optimizer",
    "OptimizerOptions": "bayesopt.options",
    "ModelOptions": "bayesopt.model",
    "ModelFitWarning": "bayesopt.model",
    "FitOptions": "bayesopt.fitting",
    "AcquisitionOptimizerOptions": "acquisition.optimizer",
    "JournalError": "bayesopt.journal",
    "TruncatedJournalWarning": "bayesopt.journal",
    "ResumeSettingsWarning": "bayesopt.loop",
    "minimize": "bayesopt.loop",
}

__all__ = [  # the names of _EXPORTS and __version__, sorted
    "AcquisitionOptimizerOptions",
    "Categorical",
    "FitOptions",
    "Integer",
    "JournalError",
    "ModelFitWarning",
    "ModelOptions",
    "Observation",
    "OptimizeResult",
    "Optimizer",
    "OptimizerOptions",
    "Real",
    "ResumeSettingsWarning",
    "Space",
    "SpaceExhaustedWarning",
    "TruncatedJournalWarning",
    "__version__",
    "minimize",
]

if TYPE_CHECKING:
    from acquisition.optimizer import AcquisitionOptimizerOptions
    from bayesopt.fitting import FitOptions
    from bayesopt.journal import JournalError, TruncatedJournalWarning
    from bayesopt.loop import ResumeSettingsWarning, minimize
    from bayesopt.model import ModelFitWarning, ModelOptions
    from bayesopt.optimizer import Optimizer, SpaceExhaustedWarning
    from bayesopt.options import OptimizerOptions
    from bayesopt.result import Observation, OptimizeResult
    from bayesopt.space import Categorical, Integer, Real, Space


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'bayesopt' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__

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
    "EvaluationFailed": "bayesopt.failures",
    "EvaluationFailedWarning": "bayesopt.failures",
    "TooManyFailuresError": "bayesopt.failures",
    "Integer": "bayesopt.space",
    "Real": "bayesopt.space",
    "Space": "bayesopt.space",
    "Observation": "bayesopt.result",
    "OptimizeResult": "bayesopt.result",
    "Optimizer": "bayesopt.optimizer",
    "SpaceExhaustedWarning": "bayesopt.optimizer",
    "OptimizerOptions": "bayesopt.options",
    "minimize": "bayesopt.minimize",
}

__all__ = [  # the names of _EXPORTS and __version__, sorted
    "Categorical",
    "EvaluationFailed",
    "EvaluationFailedWarning",
    "Integer",
    "Observation",
    "OptimizeResult",
    "Optimizer",
    "OptimizerOptions",
    "Real",
    "Space",
    "SpaceExhaustedWarning",
    "TooManyFailuresError",
    "__version__",
    "minimize",
]

if TYPE_CHECKING:
    from bayesopt.failures import EvaluationFailed, EvaluationFailedWarning, TooManyFailuresError
    from bayesopt.minimize import minimize
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

"""bayesopt: Bayesian optimization on a Numba Gaussian process.

    from bayesopt import Optimizer, Real, Integer, Categorical, minimize
"""

from bayesopt.minimize import minimize
from bayesopt.optimizer import Optimizer, SpaceExhaustedWarning
from bayesopt.options import OptimizerOptions
from bayesopt.result import Observation, OptimizeResult
from bayesopt.space import Categorical, Integer, Real, Space

__version__ = "0.1.0"

__all__ = [
    "Categorical",
    "Integer",
    "Observation",
    "OptimizeResult",
    "Optimizer",
    "OptimizerOptions",
    "Real",
    "Space",
    "SpaceExhaustedWarning",
    "minimize",
    "__version__",
]

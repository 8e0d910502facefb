"""The string options with a fixed set of values, as types: a misspelt value is a type
error for a type checker (``Optimizer(space, acquisition="logie")``), caught before the run.

Each alias is a `typing.Literal` of exactly the values its run-time check accepts (tests/
test_typing.py compares them). The run-time checks stay: a value read from a config file
as a plain ``str`` is still accepted when it is one of them, and anything else raises a
ValueError naming the key and the value. To pass such a ``str`` under a type checker,
annotate or check it against the alias (``typing.cast(AcquisitionName, text)``, or
``text in typing.get_args(AcquisitionName)``).
"""

from __future__ import annotations

from typing import Literal

__all__ = ["AcquisitionName", "CategoricalKernelName", "FantasyName", "FidelityKernelName",
           "FidelityModelName", "HyperparameterFitName", "IncumbentName", "IntegerKernelName",
           "KernelName", "LengthscalePriorName", "NoisePriorName", "OutputTransformName",
           "VariancePriorName"]

# Optimizer(acquisition=...), minimize, BayesSearchCV, BayesoptSampler
AcquisitionName = Literal["logei", "ei", "pi", "ucb", "logei_per_cost", "hedge", "mace",
                          "lognei", "logaei"]
# Optimizer(kernel=...), ModelOptions.kernel and kernel_candidates
KernelName = Literal["matern52", "matern32", "matern12", "exponential", "rbf"]
# the other ModelOptions fields of this kind, each named after its field
FantasyName = Literal["liar", "believer", "penalize"]
OutputTransformName = Literal["yeo-johnson", "none"]
LengthscalePriorName = Literal["recentred", "hvarfner", "shifted", "optuna", "optuna-jacobian"]
NoisePriorName = Literal["low", "botorch", "optuna", "optuna-jacobian"]
VariancePriorName = Literal["default", "optuna", "optuna-jacobian"]
IncumbentName = Literal["posterior_mean", "observed"]
FitStartName = Literal["last", "mode"]
HyperparameterFitName = Literal["map", "mcmc"]
FidelityModelName = Literal["budget-input", "bohb"]
FidelityKernelName = Literal["stationary", "basis", "linear-basis", "stationary+basis",
                             "basis-small-bias"]
IntegerKernelName = Literal["relax", "round"]
CategoricalKernelName = Literal["onehot", "hamming"]

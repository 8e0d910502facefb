"""Every field of every options dataclass is checked at construction; conflicts raise.

The bad values are generated from each field's type annotation, not from its
check, so a new field without a check (or with a check that lets a wrong kind
of value through) fails here.
"""

from __future__ import annotations

import dataclasses
import importlib
import math
import pkgutil
import re
import types
import typing
from typing import Any

import numpy as np
import pytest

import acquisition
import bayesopt
import kernels
from acquisition.optimizer import AcquisitionOptimizerOptions
from bayesopt import Optimizer, OptimizerOptions, Real
from bayesopt.fitting import FitOptions
from bayesopt.model import ModelOptions

NAN, INF = math.nan, math.inf


def options_classes() -> list[type]:
    """Every dataclass named *Options in the three import packages."""
    found: dict[str, type] = {}
    for package in (bayesopt, acquisition, kernels):
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            for name, value in vars(importlib.import_module(module.name)).items():
                if name.endswith("Options") and dataclasses.is_dataclass(value):
                    found[f"{value.__module__}.{value.__qualname__}"] = value  # type: ignore[assignment]
    classes = [found[key] for key in sorted(found)]
    known = {OptimizerOptions, ModelOptions, FitOptions, AcquisitionOptimizerOptions}
    assert known <= set(classes), f"the walk missed {known - set(classes)}"
    return classes


def bad_values(annotation: Any) -> list[Any]:
    """Values of the wrong type, out of range or not finite for a field of this type."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):  # X | None: X's bad values (None is fine)
        (inner,) = [a for a in args if a is not type(None)]
        return [value for value in bad_values(inner) if value is not None]
    if annotation is bool:
        return [1, 0, "yes", None]
    if annotation is int:
        return [1.5, 2.0, True, -1, "3", None]
    if annotation is float:
        return [NAN, INF, -INF, -1.0, True, "0.1", None]
    if annotation is str or origin is typing.Literal:  # a Literal of names is a str at run time
        return ["no-such-value", 3, None]
    if origin is tuple and (args == (str, Ellipsis) or (  # names (may be empty: none)
            typing.get_origin(args[0]) is typing.Literal and args[1:] == (Ellipsis,))):
        return [("no-such-value",), (3,), "no-such-value", None, [None]]
    if origin is tuple and args[-1] is Ellipsis:
        return [(-1.0,), (NAN,), (INF,), (), [0.1], "0.1", (True,)]
    if origin is tuple:
        return [(1e-6, INF), (NAN, 1.0), (-1.0, 1.0), (0.0, 1.0), (2.0, 1.0), (1.0,),
                [1e-6, 1.0], (True, 1.0)]
    if dataclasses.is_dataclass(annotation):
        return ["x", None, {}]
    raise AssertionError(f"no bad values for a field of type {annotation!r}; add them here")


def field_cases() -> list[Any]:
    cases = []
    for cls in options_classes():
        hints = typing.get_type_hints(cls)
        for item in dataclasses.fields(cls):
            for value in bad_values(hints[item.name]):
                cases.append(pytest.param(cls, item.name, value,
                                          id=f"{cls.__name__}.{item.name}={value!r}"))
    return cases


@pytest.mark.parametrize(("cls", "name", "value"), field_cases())
def test_every_field_rejects_a_bad_value_naming_it(cls, name, value):
    with pytest.raises((TypeError, ValueError), match=re.escape(name)):
        cls(**{name: value})


@pytest.mark.parametrize(
    ("make", "message"),
    [  # the cases of issue 19, each of which used to be accepted
        (lambda: ModelOptions(n_restarts=1.5), r"n_restarts=1.5 must be an integer"),
        (lambda: ModelOptions(refit_growth=NAN), r"refit_growth=nan must be finite and > 0"),
        (lambda: AcquisitionOptimizerOptions(n_restarts=2.5), r"n_restarts=2.5"),
        (lambda: AcquisitionOptimizerOptions(maxiter=1.5), r"maxiter=1.5"),
        (lambda: AcquisitionOptimizerOptions(local_scales=(-1.0,)), r"local_scales\[0\]=-1.0"),
        (lambda: FitOptions(noise_bounds=(1e-6, INF)), r"noise_bounds\[1\]=inf"),
        (lambda: OptimizerOptions(model="x"), r"model='x' must be a ModelOptions"),
    ],
)
def test_the_reported_cases_raise(make, message):
    with pytest.raises((TypeError, ValueError), match=message):
        make()


def test_numpy_scalars_are_stored_as_python_numbers():
    options = AcquisitionOptimizerOptions(n_restarts=np.int64(4), ftol=np.float64(1e-8))
    assert type(options.n_restarts) is int and type(options.ftol) is float
    assert OptimizerOptions.from_dict(OptimizerOptions().to_dict()) == OptimizerOptions()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"output_transform": "yeo-johnson"}, r"noise_variance=0.1 .*output_transform='yeo-johnson'"),
        ({"output_transform": "none", "noise_prior": "botorch"},
         r"noise_variance=0.1 .*noise_prior='botorch'"),
        ({"output_transform": "none", "fit": FitOptions(noise_bounds=(1e-4, 1.0))},
         r"noise_variance=0.1 .*fit.noise_bounds=\(0.0001, 1.0\)"),
    ],
)
def test_a_fixed_noise_conflicts_with_the_settings_of_a_fitted_one(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ModelOptions(noise_variance=0.1, **kwargs)


SPACE = {"x": Real(0.0, 1.0)}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"ucb_beta": 2.0}, r"ucb_beta=2.0: not used with acquisition='logei'"),
        ({"acquisition": "ei", "ucb_beta": 2.0}, r"ucb_beta=2.0: not used with acquisition='ei'"),
        ({"options": OptimizerOptions(ucb_delta=0.05)},
         r"options.ucb_delta=0.05: not used with acquisition='logei'"),
        ({"acquisition": "ucb", "ucb_beta": 1.0, "options": OptimizerOptions(ucb_beta_scale=1.0)},
         r"options.ucb_beta_scale=1.0: not used with acquisition='ucb' and ucb_beta=1.0"),
        ({"acquisition": "ucb", "options": OptimizerOptions(model=ModelOptions(incumbent="observed"))},
         r"options.model.incumbent='observed': not used with acquisition='ucb'"),
        ({"kernel": "rbf", "options": OptimizerOptions()},
         r"kernel='rbf' conflicts with options.model.kernel='matern52'"),
        ({"kernel": "rbf", "options": OptimizerOptions(model=ModelOptions(kernel="matern32"))},
         r"kernel='rbf' conflicts with options.model.kernel='matern32'"),
        ({"options": {"model": {}}}, r"options=\{'model': \{\}\} must be an OptimizerOptions"),
        ({"kernel": 3}, r"kernel=3 must be a string"),
    ],
)
def test_conflicting_or_unused_arguments_raise_naming_both(kwargs, message):
    with pytest.raises((TypeError, ValueError), match=message):
        Optimizer(SPACE, seed=0, **kwargs)


def test_agreeing_or_used_arguments_are_accepted():
    assert Optimizer(SPACE, kernel="rbf").options.model.kernel == "rbf"
    same = OptimizerOptions(model=ModelOptions(kernel="matern12"))
    assert Optimizer(SPACE, kernel="exponential", options=same).options.model.kernel == "exponential"
    assert Optimizer(SPACE, acquisition="ucb", ucb_beta=2.0).ucb_beta == 2.0
    assert Optimizer(SPACE, acquisition="ucb", options=OptimizerOptions(ucb_delta=0.05))
    penalize = ModelOptions(incumbent="observed", fantasy="penalize")  # the penalty uses it
    assert Optimizer(SPACE, acquisition="ucb", options=OptimizerOptions(model=penalize))

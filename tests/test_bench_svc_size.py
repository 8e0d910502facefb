"""bench.svc_size: its variants change the setting they name and nothing else; its
arguments are checked; the grid reads the problem's discrete values."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `bench` is not installed: import it from the repository
    sys.path.insert(0, str(ROOT))

from bayesopt import ModelOptions, OptimizerOptions
from bench import svc_size


def changed(options: OptimizerOptions | None) -> dict[str, object]:
    """The model settings of `options` that differ from the defaults'."""
    if options is None:
        return {}
    assert dataclasses.replace(options, model=ModelOptions()) == OptimizerOptions()
    default = ModelOptions()
    return {f.name: getattr(options.model, f.name) for f in dataclasses.fields(ModelOptions)
            if getattr(options.model, f.name) != getattr(default, f.name)}


def test_each_variant_changes_only_the_settings_it_names() -> None:
    assert changed(svc_size.VARIANTS["default"]) == {}
    assert changed(svc_size.VARIANTS["observed"]) == {"incumbent": "observed"}
    assert changed(svc_size.VARIANTS["optuna-priors"]) == {
        "lengthscale_prior": "optuna", "noise_prior": "optuna", "variance_prior": "optuna"}
    assert changed(svc_size.VARIANTS["no-transform"]) == {"output_transform": "none"}


def test_unknown_variants_problems_and_boxes_are_named() -> None:
    with pytest.raises(ValueError, match="'nope'"):
        svc_size.variants(["nope"], [0], ["gardner"])
    with pytest.raises(ValueError, match="'nowhere'"):
        svc_size.variants(["default"], [0], ["nowhere"])
    with pytest.raises(ValueError, match="box='3,1,0,1'"):
        svc_size._box("3,1,0,1")
    with pytest.raises(ValueError, match="'tpe'"):
        svc_size.trace("tpe", [0])


def test_the_grid_reads_misclassified_samples_and_support_vectors() -> None:
    rows = svc_size.grid((2.25, 2.3, -3.25, -3.2), 0.05)
    assert [(round(c, 2), round(g, 2)) for c, g, _, _ in rows] == [
        (2.25, -3.25), (2.25, -3.2), (2.3, -3.25), (2.3, -3.2)]
    for _, _, value, constraint in rows:
        # y = mean over folds of 190, 190, 189 of the misclassified fraction; c in 1/120 steps
        assert min(abs(value - k / 569) for k in range(40)) < 2e-4
        assert abs(constraint * 120 - round(constraint * 120)) < 1e-9
    assert any(round(value * 569) == 12 and constraint <= 0 for _, _, value, constraint in rows)

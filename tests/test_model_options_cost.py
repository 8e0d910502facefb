"""bench.model_options_cost: the trust-region variant is timed with its trust region, the
roulette-starts variant with its acquisition optimizer options."""

from __future__ import annotations

import pytest

from bayesopt.trust_region import TrustRegionOptions
from bench import model_options_cost


def test_every_trust_region_variant_is_a_variant() -> None:
    assert set(model_options_cost.TRUST_REGIONS) <= set(model_options_cost.VARIANTS)
    assert model_options_cost.TRUST_REGIONS["trust region (turbo-1)"] == TrustRegionOptions()


def test_the_trust_region_variant_builds_its_optimizer_with_the_region(
        monkeypatch: pytest.MonkeyPatch) -> None:
    seen = []
    real = model_options_cost.Optimizer

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(kwargs["options"].trust_region)
        return real(*args, **kwargs)

    monkeypatch.setattr(model_options_cost, "Optimizer", spy)
    assert model_options_cost.main(
        ["--variants", "trust region (turbo-1)", "--sizes", "12", "--steps", "1"]) == 0
    assert seen == [None, TrustRegionOptions()]  # the default first, then the variant


def test_the_roulette_variant_builds_its_optimizer_with_its_search(
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert set(model_options_cost.SEARCHES) <= set(model_options_cost.VARIANTS)
    seen = []
    real = model_options_cost.Optimizer

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(kwargs["options"].acquisition_optimizer.start_selection)
        return real(*args, **kwargs)

    monkeypatch.setattr(model_options_cost, "Optimizer", spy)
    assert model_options_cost.main(
        ["--variants", "roulette starts", "--sizes", "12", "--steps", "1"]) == 0
    assert seen == ["best", "roulette"]  # the default first, then the variant


def test_an_unknown_variant_is_refused() -> None:
    with pytest.raises(SystemExit):
        model_options_cost.main(["--variants", "trust regions"])

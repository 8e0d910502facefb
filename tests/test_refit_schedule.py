"""The MAP refit schedule (`ModelOptions.refit_every_step_until`, `refit_every`, `refit_growth`).

    n       : the number of observations after a tell
    fit_n   : `SurrogateModel.n_at_last_fit`, the n of the last refit

While n <= refit_every_step_until a tell refits when n has crossed a multiple
of refit_every since fit_n; beyond, when n >= (1 + refit_growth) · fit_n. In
between, observations are block-appended to the factor.
"""

from __future__ import annotations

import numpy as np
import pytest

from bayesopt.model import ModelOptions, SurrogateModel

DIM = 3


def _data(n: int) -> tuple[np.ndarray, np.ndarray]:
    X = np.random.default_rng(0).random((n, DIM))
    return X, np.sin(5 * X).sum(axis=1)


def _refit_at(options: ModelOptions, sizes: range) -> list[int]:
    """The data sizes, one tell each, whose update refit the hyperparameters."""
    model = SurrogateModel(DIM, options, np.random.default_rng(1))
    refits = []
    for n in sizes:
        before = model.n_at_last_fit
        model.update(*_data(n))
        if model.n_at_last_fit != before:
            refits.append(n)
    return refits


def test_refit_every_k_refits_when_n_crosses_a_multiple_of_k() -> None:
    assert _refit_at(ModelOptions(refit_every=3), range(5, 14)) == [5, 6, 9, 12]


def test_refit_every_1_refits_after_every_tell() -> None:
    assert _refit_at(ModelOptions(refit_every=1), range(5, 10)) == [5, 6, 7, 8, 9]


def test_beyond_refit_every_step_until_the_growth_rule_applies() -> None:
    options = ModelOptions(refit_every=2, refit_every_step_until=10, refit_growth=0.25)
    # 6, 8, 10 on multiples of 2; then 10 · 1.25 = 12.5 → 13, 13 · 1.25 = 16.25 → 17
    assert _refit_at(options, range(5, 18)) == [5, 6, 8, 10, 13, 17]


def test_a_batch_that_jumps_over_a_multiple_still_refits() -> None:
    model = SurrogateModel(DIM, ModelOptions(refit_every=4), np.random.default_rng(1))
    model.update(*_data(5))
    model.update(*_data(7))  # 5 → 7: no multiple of 4 crossed, appended
    assert model.n_at_last_fit == 5
    model.update(*_data(9))  # 7 → 9 crosses 8
    assert model.n_at_last_fit == 9


def test_between_refits_the_hyperparameters_are_kept_and_the_data_appended() -> None:
    model = SurrogateModel(DIM, ModelOptions(refit_every=4), np.random.default_rng(1))
    model.update(*_data(8))
    params = model.params.copy()
    model.update(*_data(11))
    assert model.n_at_last_fit == 8 and np.array_equal(model.params, params)
    assert model.gp is not None and model.gp.n == 11


@pytest.mark.parametrize("value", [0, -2])
def test_refit_every_below_1_raises_naming_it(value: int) -> None:
    with pytest.raises(ValueError, match=f"refit_every={value} must be >= 1"):
        ModelOptions(refit_every=value)


def test_refit_every_must_be_an_integer() -> None:
    with pytest.raises(TypeError, match="refit_every=2.5 must be an integer"):
        ModelOptions(refit_every=2.5)  # type: ignore[arg-type]

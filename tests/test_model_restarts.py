"""ModelOptions.restart_every: the prior restarts of the MAP refit run once every k observations."""

from __future__ import annotations

import numpy as np

from bayesopt.model import ModelOptions, SurrogateModel
from bayesopt.options import OptimizerOptions

DIM = 3


def _data(n: int) -> tuple[np.ndarray, np.ndarray]:
    X = np.random.default_rng(0).random((n, DIM))
    return X, np.sin(5 * X).sum(axis=1)


def _restarted_at(options: ModelOptions, sizes: range) -> list[int]:
    """The data sizes whose refit drew restarts from the prior (the model's generator moved:
    below `max_fit_points` nothing else draws from it)."""
    model = SurrogateModel(DIM, options, np.random.default_rng(1))
    restarted = []
    for n in sizes:
        before = model.rng.bit_generator.state
        model.update(*_data(n))
        if model.rng.bit_generator.state != before:
            restarted.append(n)
    return restarted


def test_restarts_run_when_n_crosses_a_multiple_of_restart_every() -> None:
    options = ModelOptions(restart_every=4)
    assert _restarted_at(options, range(5, 14)) == [5, 8, 12]  # the first fit, then 8 and 12


def test_a_batch_that_jumps_over_a_multiple_still_restarts() -> None:
    model = SurrogateModel(DIM, ModelOptions(restart_every=4), np.random.default_rng(1))
    model.update(*_data(5))
    before = model.rng.bit_generator.state
    model.update(*_data(7))  # 5 → 7: no multiple of 4 crossed
    assert model.rng.bit_generator.state == before
    model.update(*_data(9))  # 7 → 9 crosses 8
    assert model.rng.bit_generator.state != before


def test_restart_every_1_restarts_at_every_refit() -> None:
    assert _restarted_at(ModelOptions(restart_every=1), range(5, 10)) == [5, 6, 7, 8, 9]


def test_a_journal_written_before_restart_every_resumes_with_restarts_at_every_refit() -> None:
    """Options read from a journal that has no restart_every (written before 0.3.0) take the
    behaviour of the code that wrote it, so the resumed run asks what its writer would have."""
    spec = OptimizerOptions().to_dict()
    del spec["model"]["restart_every"]
    assert OptimizerOptions.from_dict(spec).model.restart_every == 1
    assert OptimizerOptions.from_dict(OptimizerOptions().to_dict()).model.restart_every == 4


def _first_starts(options: ModelOptions, sizes: range) -> list[np.ndarray]:
    """The first start of each refit's L-BFGS-B runs, read through the model's own rule."""
    model = SurrogateModel(DIM, options, np.random.default_rng(1))
    firsts = []
    for n in sizes:
        firsts.append(model._starts(n)[0].copy())
        model.update(*_data(n))
    return firsts


def test_fit_start_last_warm_starts_each_refit_from_the_last_fit() -> None:
    """The default: the first fit starts at the prior's mode, every later one at the θ the
    previous fit found."""
    model = SurrogateModel(DIM, ModelOptions(), np.random.default_rng(1))
    mode = model._default_params()
    firsts = _first_starts(ModelOptions(), range(6, 9))
    np.testing.assert_array_equal(firsts[0], mode)
    assert not np.array_equal(firsts[1], mode) and not np.array_equal(firsts[2], firsts[1])


def test_fit_start_mode_starts_every_refit_at_the_priors_mode() -> None:
    """`fit_start="mode"`: each refit's first start is the prior's mode (clipped to the
    bounds), whatever the previous fit found; the prior restarts still come on top when due
    and the fit still moves away from the mode."""
    options = ModelOptions(fit_start="mode", restart_every=4)
    model = SurrogateModel(DIM, options, np.random.default_rng(1))
    mode = model._default_params()
    for n in range(5, 10):
        starts = model._starts(n)
        np.testing.assert_array_equal(starts[0], mode)
        assert len(starts) == (1 + options.n_restarts if model._restarts_due(n) else 1)
        model.update(*_data(n))
        assert model.params is not None and not np.array_equal(model.params, mode)
    assert _restarted_at(options, range(5, 14)) == [5, 8, 12]
    without = ModelOptions(fit_start="mode", n_restarts=0)
    assert all(len(SurrogateModel(DIM, without, np.random.default_rng(1))._starts(n)) == 1
               for n in range(5, 9))


def test_fit_start_is_checked_naming_the_key_and_value() -> None:
    import pytest

    with pytest.raises(ValueError, match=r"fit_start.*'warm'"):
        ModelOptions(fit_start="warm")  # type: ignore[arg-type]


def test_a_journal_written_before_fit_start_resumes_warm_started() -> None:
    """A header's options written before `fit_start` existed read as "last", the only
    behaviour there was."""
    spec = OptimizerOptions().to_dict()
    del spec["model"]["fit_start"]
    assert OptimizerOptions.from_dict(spec).model.fit_start == "last"

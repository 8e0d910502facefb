"""The choice of the acquisition search's L-BFGS-B starts (`AcquisitionOptimizerOptions.
start_selection`, `acquisition.optimizer.START_SELECTIONS`).

    a : (m,) the candidates' acquisition values, i* the best (distinct) candidate
    p_i ∝ exp(a_i − max a) for i ≠ i*, p_i* = 0  (Optuna GPSampler, `optimize_acqf_mixed`)

What is checked: `roulette_draw`'s first draw follows p and its ordered pairs follow
sequential sampling without replacement, P(i, j) = p_i·p_j / (1 − p_i) (chi-square on many
draws of a fixed score vector); the best, non-finite values and underflowed weights are never
drawn and fewer rows are drawn then, with nothing taken from the generator when none can be;
"roulette" starts with "best"'s first start, scores every candidate and is reproducible from
the seed; asks with "roulette" run end to end and differ from "best"'s; the field's
validation names the key and the value; an options header without the field reads as "best".
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from scipy.stats import chisquare

from acquisition.functions import LogExpectedImprovement
from acquisition.optimizer import (
    START_SELECTIONS,
    AcquisitionObjective,
    AcquisitionOptimizerOptions,
    _Scores,
    roulette_draw,
)
from bayesopt import Optimizer, OptimizerOptions, Real
from bayesopt.model import ModelOptions, SurrogateModel
from bayesopt.test_functions import Hartmann6

DIM = 6
DRAWS = 40_000
# a fixed score vector: row 0 is the best, row 5 underflows (exp(−800) = 0), row 6 is −inf
SCORES = np.array([0.0, np.log(0.5), np.log(0.3), np.log(0.15), np.log(0.05), -800.0, -np.inf])
WEIGHTS = {1: 0.5, 2: 0.3, 3: 0.15, 4: 0.05}  # exp(a_i − max a), the best's set to 0
TOTAL = sum(WEIGHTS.values())


def test_first_draw_follows_exp_of_the_value_less_the_maximum() -> None:
    rng = np.random.default_rng(0)
    counts = dict.fromkeys(WEIGHTS, 0)
    for _ in range(DRAWS):
        (row,) = roulette_draw(SCORES, 0, 1, rng)
        counts[row] += 1  # a KeyError if the best, an underflowed or a −inf row is drawn
    expected = [DRAWS * w / TOTAL for w in WEIGHTS.values()]
    assert chisquare(list(counts.values()), expected).pvalue > 1e-3


def test_ordered_pairs_follow_sampling_without_replacement() -> None:
    rng = np.random.default_rng(1)
    pairs = list(itertools.permutations(WEIGHTS, 2))
    counts = dict.fromkeys(pairs, 0)
    for _ in range(DRAWS):
        drawn = roulette_draw(SCORES, 0, 2, rng)
        counts[(drawn[0], drawn[1])] += 1
    p = {i: w / TOTAL for i, w in WEIGHTS.items()}
    expected = [DRAWS * p[i] * p[j] / (1.0 - p[i]) for i, j in pairs]
    assert chisquare([counts[pair] for pair in pairs], expected).pvalue > 1e-3


def test_only_rows_of_positive_weight_are_drawn_fewer_when_there_are_fewer() -> None:
    rng = np.random.default_rng(2)
    drawn = roulette_draw(SCORES, 0, 7, rng)
    assert sorted(drawn) == [1, 2, 3, 4]
    # the best is left out wherever it is, also when it is not the largest value
    assert 3 not in roulette_draw(SCORES, 3, 7, rng)
    assert 0 in roulette_draw(SCORES, 3, 7, rng)


@pytest.mark.parametrize("values", [np.array([0.0, -900.0, -np.inf]),
                                    np.array([np.nan, -np.inf]), np.array([1.0])])
def test_nothing_drawn_and_the_generator_untouched_when_no_row_can_be(values: np.ndarray) -> None:
    rng = np.random.default_rng(3)
    before = rng.bit_generator.state
    assert roulette_draw(values, 0, 5, rng) == []
    assert rng.bit_generator.state == before


def test_nan_values_are_never_drawn() -> None:
    rng = np.random.default_rng(4)
    values = np.array([0.0, np.nan, -1.0, np.nan])
    for _ in range(200):
        assert roulette_draw(values, 0, 3, rng) == [2]


def _objective(n: int = 40) -> tuple[AcquisitionObjective, np.ndarray]:
    """LogEI of a MAP-fitted GP on n random Hartmann-6 observations, and those inputs."""
    rng = np.random.default_rng(n)
    X = rng.random((n, DIM))
    model = SurrogateModel(DIM, ModelOptions(), np.random.default_rng(n))
    model.update(X, Hartmann6()(X))
    return AcquisitionObjective(LogExpectedImprovement(model.incumbent), model), X


def test_roulette_starts_with_the_best_and_scores_every_candidate() -> None:
    objective, observed = _objective()
    candidates = np.random.default_rng(5).random((2560, DIM))
    options = AcquisitionOptimizerOptions(start_selection="roulette")
    full = objective.values(candidates)

    def scores() -> _Scores:
        return _Scores(objective, candidates,
                       *objective.screened_values(candidates, options.n_restarts))

    best = START_SELECTIONS["best"](scores(), observed, options, np.random.default_rng(6))
    screened = scores()
    assert screened.floor > -np.inf  # screening left rows out: the roulette needs them
    starts = START_SELECTIONS["roulette"](screened, observed, options, np.random.default_rng(6))
    assert starts[0] == best[0]
    assert len(starts) == len(set(starts)) == options.n_restarts
    assert_array_equal(screened.values, full)
    again = START_SELECTIONS["roulette"](scores(), observed, options, np.random.default_rng(6))
    assert again == starts
    # the draw is not the ranking: starts below the eighth best value are taken
    assert np.min(full[starts]) < np.sort(full)[-options.n_restarts]


def _asks(selection: str, steps: int = 12) -> np.ndarray:
    space = {f"x{i}": Real(0.0, 1.0) for i in range(3)}
    options = OptimizerOptions(
        model=ModelOptions(n_restarts=0),
        acquisition_optimizer=AcquisitionOptimizerOptions(start_selection=selection))
    opt = Optimizer(space, seed=7, n_initial=5, options=options)
    f = Hartmann6()
    points = []
    for _ in range(steps):
        params = opt.ask()
        x = np.array([params[f"x{i}"] for i in range(3)])
        points.append(x)
        opt.tell(params, float(f(np.concatenate([x, np.full(3, 0.5)])[None])[0]))
    return np.array(points)


def test_roulette_asks_run_reproducibly_and_differ_from_best() -> None:
    roulette = _asks("roulette")
    assert np.all(np.isfinite(roulette))
    assert_array_equal(roulette, _asks("roulette"))
    best = _asks("best")
    assert_array_equal(roulette[:5], best[:5])  # the initial design draws no starts
    assert not np.array_equal(roulette[5:], best[5:])


@pytest.mark.parametrize("value, error, match", [
    ("topk", ValueError, r"start_selection='topk' must be one of \['best', 'roulette'\]"),
    ("", ValueError, r"start_selection='' must be one of"),
    (3, TypeError, r"start_selection=3 must be a string"),
    (None, TypeError, r"start_selection=None must be a string"),
])
def test_start_selection_is_validated(value: object, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        AcquisitionOptimizerOptions(start_selection=value)  # type: ignore[arg-type]


def test_options_header_round_trips_and_reads_as_best_without_the_field() -> None:
    options = OptimizerOptions(
        acquisition_optimizer=AcquisitionOptimizerOptions(start_selection="roulette"))
    spec = options.to_dict()
    assert OptimizerOptions.from_dict(spec) == options
    del spec["acquisition_optimizer"]["start_selection"]  # a header written before the field
    assert OptimizerOptions.from_dict(spec).acquisition_optimizer.start_selection == "best"


def test_the_fingerprint_names_roulette_starts_and_not_the_default():
    """`start_selection` enters the card's fingerprint only when set: "best" given
    explicitly is the defaults' fingerprint, "roulette" another (bayesopt.card)."""
    def fingerprint(selection: str | None) -> str:
        search = {} if selection is None else {"acquisition_optimizer":
                                               AcquisitionOptimizerOptions(start_selection=selection)}
        return Optimizer({"x": Real(0, 1)}, seed=0,
                         options=OptimizerOptions(**search)).fingerprint

    assert fingerprint("best") == fingerprint(None)
    assert fingerprint("roulette") != fingerprint(None)

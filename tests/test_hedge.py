"""GP-Hedge (`bayesopt.hedge`, acquisition="hedge"): gains, the choice, replay, validation.

What is checked: the softmax probabilities and the crediting of gains on
hand-worked numbers; the choice's distribution against the softmax by sampling,
of `choose` and of asks computed from one state with different generators;
in an Optimizer, each model-based ask records every member's nominee and the
member chosen, the point asked is the chosen nominee, and the next ask's gains
are the last ones minus the posterior mean at the nominees of the model that
ask uses; a resumed journal and a replay of a shared study reach the same gains
and ask the same; the options are validated naming the bad field and value, a
hedge setting other acquisitions would not read is refused, and a malformed
record in a journal is refused naming it.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from acquisition.optimizer import AcquisitionOptimizerOptions
from bayesopt import Optimizer, OptimizerOptions, Real
from bayesopt.events import Ask, from_record, to_record
from bayesopt.hedge import HedgeOptions, HedgeRecord, choose, credit, probabilities
from bayesopt.journal import JournalError
from bayesopt.optimizer import ResumeWarning
from bayesopt.propose import Proposal

SPACE = {"x": Real(0.0, 1.0), "y": Real(-1.0, 1.0)}


def _objective(params: dict[str, float]) -> float:
    return float(math.sin(6.0 * params["x"]) + (params["y"] - 0.3) ** 2)


def _run(opt: Optimizer, steps: int) -> None:
    for _ in range(steps):
        params = opt.ask()
        opt.tell(params, _objective(params))


# ------------------------------------------------------------ hand-worked numbers
def test_probabilities_are_the_softmax_of_eta_times_the_gains() -> None:
    # η g = (0, ln 2, 0): weights (1, 2, 1) / 4
    assert np.allclose(probabilities(np.array([0.0, math.log(2.0), 0.0]), 1.0), [0.25, 0.5, 0.25])
    # η = 2 doubles the gains: weights (1, 4) / 5
    assert np.allclose(probabilities(np.array([0.0, math.log(2.0)]), 2.0), [0.2, 0.8])
    # shifted by the maximum: gains of 1e4 do not overflow
    assert np.allclose(probabilities(np.array([1e4, 1e4 - math.log(3.0)]), 1.0), [0.75, 0.25])


def test_credit_subtracts_the_posterior_mean_at_each_nominee() -> None:
    """Gains (1, −2); two points, nominees in the rows; μ(x) = 10·x₀ + x₁, so
    g = (1 − (10·0.1 + 0.2) − (10·0.5 + 0.0), −2 − (10·0.3 + 0.4) − (10·0.0 + 1.0))
      = (1 − 1.2 − 5.0, −2 − 3.4 − 1.0) = (−5.2, −6.4)."""
    record = HedgeRecord((1.0, -2.0),
                         (np.array([[0.1, 0.2], [0.3, 0.4]]), np.array([[0.5, 0.0], [0.0, 1.0]])),
                         (0, 1))
    gains = credit(record, 2, lambda X: 10.0 * X[:, 0] + X[:, 1])
    assert np.allclose(gains, [-5.2, -6.4])
    assert np.array_equal(credit(None, 3, lambda X: X[:, 0]), np.zeros(3))


@pytest.mark.parametrize("gains, nominees, chosen", [
    ((0.0,), (), ()),  # one member
    ((0.0, math.nan), (), ()),
    ((0.0, 1.0), (np.zeros((2, 3)),), ()),  # a point without a choice
    ((0.0, 1.0), (np.zeros((3, 3)),), (0,)),  # three nominees, two members
    ((0.0, 1.0), (np.zeros((2, 3)), np.zeros((2, 4))), (0, 1)),  # columns differ
    ((0.0, 1.0), (np.zeros((2, 3)),), (2,)),
    ((0.0, 1.0), (np.zeros((2, 3)),), (True,)),
])
def test_the_record_checks_its_invariants_where_it_is_built(
        gains: tuple[float, ...], nominees: tuple[np.ndarray, ...], chosen: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="invalid hedge record"):
        HedgeRecord(gains, nominees, chosen)


def test_choices_follow_the_softmax() -> None:
    """20 000 draws against p = (0.1, 0.3, 0.6): each frequency within 4 standard errors,
    and Pearson's χ² (2 degrees of freedom) below its 0.999 quantile, 13.8."""
    p = np.array([0.1, 0.3, 0.6])
    gains = np.log(p)  # η = 1: softmax(log p) = p
    rng = np.random.default_rng(0)
    n = 20_000
    counts = np.bincount([choose(gains, 1.0, rng) for _ in range(n)], minlength=3)
    se = np.sqrt(p * (1 - p) / n)
    assert np.all(np.abs(counts / n - p) < 4 * se)
    assert float(np.sum((counts - n * p) ** 2 / (n * p))) < 13.8


# ------------------------------------------------------------ in an Optimizer
def test_each_ask_records_the_nominees_and_asks_the_chosen_one() -> None:
    opt = Optimizer(SPACE, seed=1, n_initial=4, acquisition="hedge")
    _run(opt, 4)
    assert opt._state.hedge is None  # the design makes no record
    params = opt.ask()
    record = opt._state.hedge
    assert record is not None and record.gains == (0.0, 0.0)  # nothing credited yet
    assert len(record.nominees) == 1 and record.nominees[0].shape == (2, 2)  # LogEI, UCB
    chosen = record.nominees[0][record.chosen[0]]
    assert np.allclose(opt.space.encode([params])[0], chosen)


def test_the_next_ask_credits_the_last_nominees_with_its_model() -> None:
    opt = Optimizer(SPACE, seed=2, n_initial=4, acquisition="hedge")
    _run(opt, 7)
    before = opt._state.hedge
    assert before is not None
    opt.ask()  # computed on the model with all 7 observations, refitted as scheduled
    after = opt._state.hedge
    assert after is not None
    mean = opt._state.model.predict(before.nominees[0])[0]  # no fantasy is left in the model
    assert np.allclose(after.gains, np.array(before.gains) - mean, rtol=0, atol=1e-12)
    assert any(g != 0.0 for g in after.gains)


def test_asks_choose_members_with_the_softmax_of_their_gains() -> None:
    """400 asks computed from one state with different generators (a cheap acquisition
    search): every one credits the same gains, and the share of asks that chose UCB is
    within 4 standard errors of its softmax probability."""
    cheap = AcquisitionOptimizerOptions(n_candidates=64, n_local_candidates=16, n_restarts=1,
                                        maxiter=20)
    opt = Optimizer({"x": Real(0.0, 1.0)}, seed=0, n_initial=4, acquisition="hedge",
                    options=OptimizerOptions(acquisition_optimizer=cheap,
                                             hedge=HedgeOptions(eta=0.3)))
    _run_1d(opt, 9)
    state, settings = opt._state, opt._ask_settings()
    chosen, gains = [], []
    for seed in range(400):
        proposal = Proposal(state, settings, np.random.default_rng(seed), None)
        proposal.points(1)
        chosen.append(proposal.hedge_chosen[0])
        gains.append(proposal.hedge_gains)
    assert all(np.array_equal(g, gains[0]) for g in gains)
    p_ucb = probabilities(gains[0], 0.3)[1]
    assert 0.1 < p_ucb < 0.9, "a test that can tell the softmax from a fixed choice"
    se = math.sqrt(p_ucb * (1 - p_ucb) / len(chosen))
    assert abs(np.mean(chosen) - p_ucb) < 4 * se


def _run_1d(opt: Optimizer, steps: int) -> None:
    for _ in range(steps):
        params = opt.ask()
        opt.tell(params, float(math.sin(12.0 * params["x"]) + params["x"]))


def test_a_batch_shares_its_gains_and_records_each_point() -> None:
    opt = Optimizer(SPACE, seed=3, n_initial=4, acquisition="hedge")
    _run(opt, 6)
    points = opt.ask(3)
    record = opt._state.hedge
    assert record is not None and len(record.nominees) == len(record.chosen) == 3
    for params, nominees, chosen in zip(points, record.nominees, record.chosen):
        assert np.allclose(opt.space.encode([params])[0], nominees[chosen])


def test_a_resumed_journal_asks_the_same(tmp_path: Path) -> None:
    journal = tmp_path / "run.jsonl"
    options = OptimizerOptions(hedge=HedgeOptions(eta=2.0))
    live = Optimizer(SPACE, seed=4, n_initial=4, acquisition="hedge", options=options,
                     journal=journal)
    _run(live, 10)
    copy = shutil.copy(journal, tmp_path / "copy.jsonl")  # one writer per journal: resume a copy
    with pytest.warns(ResumeWarning, match="10 evaluations"):
        resumed = Optimizer.resume(copy)
    assert live._state.hedge is not None and resumed._state.hedge == live._state.hedge
    for _ in range(3):
        a, b = live.ask(), resumed.ask()
        assert a == b
        live.tell(a, _objective(a))
        resumed.tell(b, _objective(b))
    assert resumed._state.hedge == live._state.hedge


def test_a_replay_of_a_shared_study_reaches_the_same_gains(tmp_path: Path) -> None:
    url = tmp_path / "study.jsonl"
    a = Optimizer(SPACE, storage=url, study="s", seed=5, n_initial=3, acquisition="hedge")
    b = Optimizer(SPACE, storage=url, study="s", seed=6, n_initial=3, acquisition="hedge")
    for _ in range(4):
        for opt in (a, b):
            params = opt.ask()
            opt.tell(params, _objective(params))
    replay = Optimizer(SPACE, storage=url, study="s", seed=7, acquisition="hedge")
    assert len(replay.history) == 8
    assert b._state.hedge is not None and replay._state.hedge == b._state.hedge
    for opt in (a, b, replay):
        opt.close()


def test_the_record_round_trips_through_the_journal_form() -> None:
    opt = Optimizer(SPACE, seed=8, n_initial=3, acquisition="hedge")
    _run(opt, 3)
    params = opt.ask()
    event = Ask(points=(params,), hedge=opt._state.hedge)
    record = json.loads(json.dumps(to_record(event, opt.space, with_state=False)))
    back = from_record(record, opt.space)
    assert isinstance(back, Ask) and event.hedge is not None and back.hedge == event.hedge


@pytest.mark.parametrize("hedge", [
    {"gains": [0.0], "nominees": [], "chosen": []},  # one member
    {"gains": [0.0, 1.0], "nominees": [[[0.1, 0.2]]], "chosen": [0]},  # one nominee, two members
    {"gains": [0.0, 1.0], "nominees": [[[0.1, 0.2], [0.3, 0.4]]], "chosen": [2]},  # bad index
    {"gains": [0.0, 1.0], "nominees": [[[0.1, 0.2], [0.3, 0.4]]], "chosen": [True]},
    {"gains": [0.0, float("nan")], "nominees": [], "chosen": []},
    {"gains": [0.0, 1.0], "nominees": [["a", "b"]], "chosen": [0]},
    {"gains": [0.0, 1.0], "chosen": []},  # no nominees
    [0.0, 1.0],
])
def test_a_malformed_record_in_a_journal_is_refused(hedge: object) -> None:
    record = {"event": "ask", "points": [[0.5, 0.0]], "hedge": hedge, "state": None}
    with pytest.raises(JournalError, match="hedge"):
        from_record(record, Optimizer(SPACE).space)


# ------------------------------------------------------------ validation
@pytest.mark.parametrize("kwargs, error, message", [
    ({"members": ("logei",)}, ValueError, r"members=\('logei',\)"),
    ({"members": ("logei", "logei")}, ValueError, "distinct"),
    ({"members": ("logei", "tpe")}, ValueError, "'tpe'"),
    ({"members": ("logei", "hedge")}, ValueError, "'hedge'"),
    ({"members": "logei"}, TypeError, "members='logei'"),
    ({"eta": 0.0}, ValueError, "eta=0.0"),
    ({"eta": -1.0}, ValueError, "eta=-1.0"),
    ({"eta": math.inf}, ValueError, "eta=inf"),
    ({"eta": True}, TypeError, "eta=True"),
])
def test_bad_options_raise_naming_them(kwargs: dict[str, object], error: type[Exception],
                                       message: str) -> None:
    with pytest.raises(error, match=message):
        HedgeOptions(**kwargs)  # type: ignore[arg-type]


def test_a_hedge_setting_other_acquisitions_would_not_read_is_refused() -> None:
    options = OptimizerOptions(hedge=HedgeOptions(eta=0.5))
    with pytest.raises(ValueError, match="options.hedge=.*acquisition='logei'"):
        Optimizer(SPACE, options=options)
    without_ucb = OptimizerOptions(hedge=HedgeOptions(members=("logei", "pi")))
    with pytest.raises(ValueError, match="ucb_beta=2.0"):
        Optimizer(SPACE, acquisition="hedge", ucb_beta=2.0, options=without_ucb)
    Optimizer(SPACE, acquisition="hedge", ucb_beta=2.0)  # UCB is a default member


def test_the_options_round_trip_and_change_the_fingerprint() -> None:
    options = OptimizerOptions(hedge=HedgeOptions(members=("ucb", "logei"), eta=0.5))
    assert OptimizerOptions.from_dict(json.loads(json.dumps(options.to_dict()))) == options
    assert (Optimizer(SPACE, acquisition="hedge", options=options).fingerprint
            != Optimizer(SPACE, acquisition="hedge").fingerprint)

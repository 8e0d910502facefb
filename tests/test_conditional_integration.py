"""Conditional spaces everywhere a space goes: BayesSearchCV, plots, export (issue 15)."""

from __future__ import annotations

from typing import Any

import matplotlib
import numpy as np
import pytest

from bayesopt import (
    Categorical,
    FitOptions,
    Integer,
    ModelOptions,
    Optimizer,
    OptimizerOptions,
    Real,
    ResumeWarning,
    minimize,
    plots,
)

matplotlib.use("Agg")


def _space() -> dict[str, Any]:
    return {"model": Categorical(["a", "b"]), "x": Real(0, 1, when={"model": "a"}),
            "y": Real(0, 1, when={"model": "b"}), "z": Real(0, 1)}


def _objective(p: dict[str, Any]) -> float:
    if p["model"] == "a":
        return float((p["x"] - 0.2) ** 2 + 0.1 * p["z"])
    return float(100.0 + (p["y"] - 0.7) ** 2 + 0.1 * p["z"])


@pytest.fixture(scope="module")
def result() -> Any:
    return minimize(_objective, _space(), n_calls=18, seed=0, progress=False)


def test_partial_dependence_of_a_conditional_dimension_stays_in_its_branch(result) -> None:
    """Branch b sits near 100; x exists only in branch a, whose values are below 1.5."""
    values, pd = plots.partial_dependence_1d(result, "x", n_points=5)
    assert values == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert np.all(pd < 10.0)
    _, pd_y = plots.partial_dependence_1d(result, "y", n_points=5)
    assert np.all(pd_y > 50.0)
    choices, pd_model = plots.partial_dependence_1d(result, "model")
    assert choices == ["a", "b"] and pd_model[0] < 10.0 and pd_model[1] > 50.0


def test_plots_of_a_conditional_result(result) -> None:
    _, axes = plots.objective(result)
    texts = [t.get_text() for ax in axes.flat for t in ax.texts]
    assert "never active\ntogether" in texts  # the (x, y) panel
    plots.evaluations(result)
    assert set(plots.relevance(result)) == {"model", "x", "y", "z"}
    _, ax = plots.importance(result)
    labels = [label.get_text() for label in ax.get_xticklabels()]
    assert labels == ["model", "x\nmodel=a", "y\nmodel=b", "z"]


def test_hyperparameters_name_each_conditional_dimensions_activity_lengthscale(result) -> None:
    hp = result.surrogate.hyperparameters()
    kernel = result.model.gp.kernel.lengthscales  # (7,): model=a, model=b, x, y, z | x?, y?
    assert hp.activity_lengthscales == {"x": kernel[5], "y": kernel[6]}
    pinned = minimize(_objective, _space(), n_calls=8, seed=0, progress=False,
                      options=OptimizerOptions(model=ModelOptions(
                          fit=FitOptions(activity_lengthscale=1e-3))))
    assert pinned.surrogate.hyperparameters().activity_lengthscales == \
        pytest.approx({"x": 1e-3, "y": 1e-3}, rel=1e-12)
    assert minimize(lambda p: p["z"], {"model": Categorical(["a", "b"]), "z": Real(0, 1)}, n_calls=6,
                    seed=0, progress=False).surrogate.hyperparameters().activity_lengthscales \
        is None


def test_to_pandas_leaves_inactive_parameters_empty(result) -> None:
    frame = result.to_pandas()
    branch_b = frame["model"] == "b"
    assert frame.loc[branch_b, "x"].isna().all() and frame.loc[~branch_b, "y"].isna().all()
    assert frame.loc[~branch_b, "x"].notna().all()


def test_to_pandas_keeps_an_inactive_integers_column_integer() -> None:
    space = {"model": Categorical(["knn", "svm"]), "k": Integer(1, 50, when={"model": "knn"})}
    opt = Optimizer(space, seed=0)
    for params in opt.ask(6):
        opt.tell(params, 1.0 if params["model"] == "svm" else abs(params["k"] - 7))
    frame = opt.result().to_pandas()
    assert str(frame["k"].dtype) == "Int64"  # was float64: k = 17 shown as 17.0
    knn = frame["model"] == "knn"
    assert list(frame.loc[knn, "k"]) == [o.params["k"] for o in opt.history if "k" in o.params]
    assert frame.loc[~knn, "k"].isna().all() and knn.any() and (~knn).any()


def test_to_pandas_keeps_a_conditional_categoricals_choices_and_tells_none_from_inactive() -> None:
    import pandas as pd

    space = {"model": Categorical(["tree", "linear"]),
             "depth": Categorical([None, 3, 10], when={"model": "tree"})}  # None: unlimited
    opt = Optimizer(space, seed=0)
    told = [{"model": "tree", "depth": None}, {"model": "tree", "depth": 3},
            {"model": "linear"}, {"model": "tree", "depth": 10}]
    for params in told:
        opt.tell(params, 1.0)
    depth = opt.result().to_pandas()["depth"]
    # was float64 [nan, 3.0, nan, 10.0]: the None choice looked inactive and 3 became 3.0
    assert depth.dtype == object
    assert [type(v) for v in depth] == [type(None), int, type(pd.NA), int]
    assert list(depth)[1:4:2] == [3, 10] and depth.isna().tolist() == [True, False, True, False]


def test_bayes_search_cv_chooses_among_pipeline_steps() -> None:
    from sklearn.datasets import load_iris
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    from bayesopt.sklearn import BayesSearchCV

    X, y = load_iris(return_X_y=True)
    svc, knn = SVC(), KNeighborsClassifier()
    pipe = Pipeline([("scale", StandardScaler()), ("clf", svc)])
    spaces = {"clf": Categorical({svc: {"clf__C": Real(1e-3, 1e3, log=True)},
                                  knn: {"clf__n_neighbors": Integer(1, 30)}})}
    search = BayesSearchCV(pipe, spaces, n_iter=8, cv=3, random_state=0).fit(X, y)
    for params in search.cv_results_["params"]:
        expected = {"clf", "clf__C"} if params["clf"] is svc else {"clf", "clf__n_neighbors"}
        assert set(params) == expected
    assert {type(p["clf"]) for p in search.cv_results_["params"]} == {SVC, KNeighborsClassifier}
    assert search.best_score_ > 0.9


CLI_SPACE = '''
[model]
type = "categorical"
choices = ["a", "b"]

[x]
type = "real"
low = 0.0
high = 1.0
when = { model = "a" }

[n]
type = "integer"
low = 1
high = 5
when = { model = ["b"] }
'''

CLI_OBJECTIVE = '''
import json, sys
args = dict(arg.split("=", 1) for arg in sys.argv[1:])
with open("calls.log", "a") as log:
    log.write(json.dumps(args) + "\\n")
value = (float(args["x"]) - 0.3) ** 2 if args["model"] == "a" else 1.0 + int(args["n"])
print(f"objective: {value}")
'''


def test_cli_space_file_with_when_runs_only_active_placeholders(tmp_path) -> None:
    import json
    import subprocess
    import sys

    (tmp_path / "space.toml").write_text(CLI_SPACE)
    (tmp_path / "objective.py").write_text(CLI_OBJECTIVE)
    done = subprocess.run(
        [sys.executable, "-m", "bayesopt", "run", "--space", "space.toml", "--n-calls", "8",
         "--seed", "0", "--journal", "run.jsonl", "--", sys.executable, "objective.py",
         "model={model}", "x={x}", "n={n}"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    shown = subprocess.run([sys.executable, "-m", "bayesopt", "show", "run.jsonl"], cwd=tmp_path,
                           capture_output=True, text=True, timeout=300, check=True).stdout
    rows = [cells for cells in map(str.split, shown.splitlines()) if cells and cells[0].isdigit()]
    assert rows and all(("-" in row) for row in rows)  # x or n is inactive in every row
    calls = [json.loads(line) for line in (tmp_path / "calls.log").read_text().splitlines()]
    assert len(calls) == 8
    for call in calls:
        assert set(call) == ({"model", "x"} if call["model"] == "a" else {"model", "n"})
    assert {call["model"] for call in calls} == {"a", "b"}


def test_resume_of_a_conditional_study_asks_the_same(tmp_path) -> None:
    import shutil

    from bayesopt import Optimizer

    path = tmp_path / "run.jsonl"
    live = Optimizer(_space(), seed=3, n_initial=5, journal=path)
    for _ in range(8):
        params = live.ask()
        live.tell(params, _objective(params))
    live.tell_failure(live.ask(), "crashed")
    live.ask(2)  # two pending points
    copy = tmp_path / "copy.jsonl"
    shutil.copy(path, copy)
    with pytest.warns(ResumeWarning, match="9 evaluations and 2 pending points"):
        resumed = Optimizer.resume(copy)
    assert [o.params for o in resumed.history] == [o.params for o in live.history]
    assert resumed.pending == live.pending
    assert any(set(o.params) == {"model", "y", "z"} for o in live.history)
    for _ in range(3):
        a, b = live.ask(), resumed.ask()
        assert a == b
        live.tell(a, _objective(a))
        resumed.tell(b, _objective(b))


def test_result_json_round_trip_of_a_conditional_run(result) -> None:
    from bayesopt import OptimizeResult

    again = OptimizeResult.from_json(result.to_json())
    assert [o.params for o in again.history] == [o.params for o in result.history]


def test_parallel_minimize_on_a_conditional_space() -> None:
    from bayesopt.space import Space
    from parallel_objectives import branches

    space = {"model": Categorical(["a", "b"]), "x": Real(0, 1, when={"model": "a"}),
             "y": Real(0, 1, when={"model": "b"})}
    result = minimize(branches, space, n_calls=12, seed=0, progress=False, n_workers=2)
    assert len(result.history) == 12 and all(o.ok for o in result.history)
    for o in result.history:
        assert Space(space).validate(o.params) == o.params


def test_shared_sqlite_study_on_a_conditional_space(tmp_path) -> None:
    from bayesopt import Optimizer

    url = f"sqlite:///{tmp_path / 'study.db'}"
    with Optimizer(_space(), seed=0, storage=url, study="s") as first, \
            Optimizer(_space(), seed=1, storage=url, study="s") as second:
        for _ in range(5):
            for opt in (first, second):
                params = opt.ask()
                opt.tell(params, _objective(params))
        assert len(first.history) == len(second.history) == 10
        assert [o.params for o in first.history] == [o.params for o in second.history]
        assert {o.params["model"] for o in first.history} == {"a", "b"}


@pytest.mark.parametrize(("argv", "joined"), [
    (["train", "--model", "{model}", "--x", "{x}"], "'--x={x}'"),
    (["train", "-n", "{n:d}"], "'-n{n:d}'"),
])
def test_cli_refuses_an_option_split_from_a_conditional_placeholder(argv, joined) -> None:
    from bayesopt.command import CommandError, CommandTemplate
    from bayesopt.space import Space

    space = Space({"model": Categorical(["a", "b"]), "x": Real(0, 1, when={"model": "a"}),
                   "n": Integer(1, 5, when={"model": "b"})})
    with pytest.raises(CommandError, match=f"conditional dimension .*{joined}"):
        CommandTemplate.parse(argv, space)
    # joined, or split from an unconditional dimension, the template is accepted
    template = CommandTemplate.parse(["train", "--model", "{model}", "--x={x}", "-n{n}"], space)
    assert template.render({"model": "b", "n": 3}) == ["train", "--model", "b", "-n3"]


@pytest.mark.parametrize(("parent", "value", "other"), [
    (Categorical([(1, 2), (3, 4)]), (1, 2), (3, 4)),                      # tuple choices
    (Categorical([float("nan"), "mean"]), float("nan"), "mean"),         # scikit-learn's nan
    (Integer(1, 3), np.int64(2), 1),                                     # a numpy integer
    (Categorical([True, False]), np.True_, False),                       # a numpy bool
], ids=["tuple", "nan", "numpy-int", "numpy-bool"])
def test_a_when_value_json_carries_survives_journal_study_and_result_json(
        tmp_path, parent, value, other) -> None:
    import shutil

    from bayesopt import OptimizeResult

    def space() -> dict[str, Any]:
        return {"p": parent, "x": Real(0, 1, when={"p": value}), "z": Real(0, 1)}

    path = tmp_path / "run.jsonl"
    live = Optimizer(space(), seed=0, n_initial=3, journal=path)
    for params in ({"p": value, "x": 0.2, "z": 0.5}, {"p": other, "z": 0.1}):
        live.tell(params, params["z"])
    shutil.copy(path, tmp_path / "copy.jsonl")
    with pytest.warns(ResumeWarning, match="2 evaluations and 0 pending points"):
        resumed = Optimizer.resume(tmp_path / "copy.jsonl")  # the space from the header alone
    assert repr(resumed.ask(2)) == repr(live.ask(2))  # repr: nan != nan
    assert repr([o.params for o in resumed.history]) == repr([o.params for o in live.history])
    again = OptimizeResult.from_json(live.result().to_json())
    assert [set(o.params) for o in again.history] == [{"p", "x", "z"}, {"p", "z"}]
    url = f"sqlite:///{tmp_path / 'study.db'}"
    with Optimizer(space(), seed=0, storage=url, study="s") as first:
        first.tell({"p": value, "x": 0.3, "z": 0.4}, 0.4)
    # attaches to the same space
    with Optimizer(space(), seed=1, storage=url, study="s") as second:
        assert [set(o.params) for o in second.history] == [{"p", "x", "z"}]


def test_a_nested_space_over_object_choices_journals_and_resumes_given_the_space(tmp_path) -> None:
    """Estimators as choices (BayesSearchCV's pipeline steps) with sub-spaces: the header's
    conditions stored them as themselves, and the journal refused to open with "Object of
    type ... is not JSON serializable"; they are stored by repr, as the choices are."""
    import shutil

    from bayesopt.journal import JournalError

    class Model:
        def __init__(self, kind: str) -> None:
            self.kind = kind

        def __repr__(self) -> str:
            return f"Model({self.kind!r})"

    svm, knn = Model("svm"), Model("knn")

    def space() -> dict[str, Any]:
        return {"clf": Categorical({svm: {"C": Real(1e-2, 1e2, log=True)},
                                    knn: {"k": Integer(1, 20)}})}

    path = tmp_path / "run.jsonl"
    live = Optimizer(space(), seed=0, n_initial=3, journal=path)
    live.tell([{"clf": svm, "C": 1.0}, {"clf": knn, "k": 5}], [0.3, 0.2])
    shutil.copy(path, tmp_path / "copy.jsonl")
    with pytest.raises(JournalError, match=r"choice Model\('svm'\).*pass space="):
        Optimizer.resume(tmp_path / "copy.jsonl")
    with pytest.warns(ResumeWarning, match="2 evaluations and 0 pending points"):
        resumed = Optimizer.resume(tmp_path / "copy.jsonl", space=space())
    assert resumed.ask(2) == live.ask(2)

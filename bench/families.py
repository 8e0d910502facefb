"""Six scikit-learn problems outside the quality suite, for issue 17's two ML families.

Each is a `bench.problems.MLProblem` (minimize 1 − 3-fold stratified cross-validated
accuracy, fixed folds and model seeds, so deterministic) on a data set the suite already
bundles (breast_cancer, digits600), and each differs from every suite problem in its model
or its data set and space. A problem is reached as a third-party problem factory
(`bench.protocol.ProblemFactory`), called as factory(seed): e.g. `bench.families:knn_cancer`
as a `bench.quality --problem` spec or a `bench.quality.run_one` problem spec.

- integer-heavy, piecewise-constant objectives (tree, boosting and neighbour sizes):
  `extra_trees_digits`, `hgb_leaves_digits`, `knn_cancer`;
- categorical choices beside continuous ones (a flat space: a choice that one model
  ignores is inert there, never conditional): `mlp_alpha_cancer`, `svc_kernel_digits`,
  `logreg_digits`.

Every space has d ≤ 6, so the protocol's budget is 50 evaluations (`bench.problems.budget_for`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bayesopt.space import Categorical, Dimension, Integer, Real
from bench.problems import MLProblem

INTEGER_HEAVY = ("extra_trees_digits", "hgb_leaves_digits", "knn_cancer")
MIXED = ("mlp_alpha_cancer", "svc_kernel_digits", "logreg_digits")
FAMILIES = {"integer": INTEGER_HEAVY, "mixed": MIXED}


def _extra_trees(params: Mapping[str, Any]) -> Any:
    from sklearn.ensemble import ExtraTreesClassifier

    return ExtraTreesClassifier(**params, random_state=0, n_jobs=1)  # the names are its own


def _hgb_leaves(params: Mapping[str, Any]) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(**params, early_stopping=False, random_state=0)


def _knn(params: Mapping[str, Any]) -> Any:
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), KNeighborsClassifier(
        n_neighbors=params["n_neighbors"], leaf_size=params["leaf_size"], p=params["p"],
    ))


def _mlp_alpha(params: Mapping[str, Any]) -> Any:
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), MLPClassifier(
        hidden_layer_sizes=(params["width"],), activation=params["activation"],
        solver=params["solver"], learning_rate=params["schedule"], alpha=params["alpha"],
        learning_rate_init=params["learning_rate_init"], batch_size=64, max_iter=15,
        random_state=0,
    ))


def _svc_kernel(params: Mapping[str, Any]) -> Any:
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    return make_pipeline(StandardScaler(), SVC(
        kernel=params["kernel"], C=params["C"], gamma=params["gamma"],
        degree=params["degree"], coef0=params["coef0"],
    ))


_SCALERS = ("standard", "minmax", "robust")


def _elastic_net() -> dict[str, str]:
    """LogisticRegression's arguments, beside l1_ratio, for an elastic net: scikit-learn 1.8
    chooses the penalty from l1_ratio and deprecates `penalty` (a FutureWarning when given);
    before 1.8 (the newest for Python 3.10 is 1.7) l1_ratio counts only with
    penalty="elasticnet", and is otherwise ignored with a UserWarning (an L2 fit)."""
    import sklearn

    major, minor = (int(part) for part in sklearn.__version__.split(".")[:2])
    return {} if (major, minor) >= (1, 8) else {"penalty": "elasticnet"}


def _logreg(params: Mapping[str, Any]) -> Any:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MinMaxScaler, RobustScaler, StandardScaler

    scalers: dict[str, Callable[[], Any]] = {
        "standard": StandardScaler, "minmax": MinMaxScaler, "robust": RobustScaler}
    return make_pipeline(scalers[params["scaler"]](), LogisticRegression(
        C=params["C"], l1_ratio=params["l1_ratio"], **_elastic_net(),
        class_weight=None if params["class_weight"] == "none" else "balanced",
        fit_intercept=params["intercept"] == "fit", solver="saga", max_iter=30, random_state=0,
    ))


def _problems() -> dict[str, MLProblem]:
    spaces: list[tuple[str, dict[str, Dimension], str, Callable[[Mapping[str, Any]], Any]]] = [
        # five integers of a small extremely-randomized forest on ten classes
        ("extra_trees_digits", {
            "n_estimators": Integer(3, 30),
            "max_depth": Integer(1, 20),
            "min_samples_leaf": Integer(1, 30),
            "min_samples_split": Integer(2, 40),
            "max_features": Integer(1, 64),
        }, "digits600", _extra_trees),
        # four integers of a boosted ensemble (tree shape and rounds) and one log-scaled real
        ("hgb_leaves_digits", {
            "max_leaf_nodes": Integer(2, 16, log=True),
            "max_depth": Integer(1, 8),
            "min_samples_leaf": Integer(1, 80),
            "max_iter": Integer(2, 10),
            "learning_rate": Real(1e-2, 1.0, log=True),
        }, "digits600", _hgb_leaves),
        # three integers of nearest neighbours; leaf_size changes only the search's speed
        ("knn_cancer", {
            "n_neighbors": Integer(1, 100),
            "leaf_size": Integer(1, 60),
            "p": Integer(1, 3),
        }, "breast_cancer", _knn),
        # three categoricals (activation, solver, schedule) beside width, alpha and step size
        ("mlp_alpha_cancer", {
            "width": Integer(2, 128, log=True),
            "activation": Categorical(["identity", "logistic", "tanh", "relu"]),
            "solver": Categorical(["adam", "sgd"]),
            "schedule": Categorical(["constant", "invscaling", "adaptive"]),
            "alpha": Real(1e-6, 1.0, log=True),
            "learning_rate_init": Real(1e-4, 1.0, log=True),
        }, "breast_cancer", _mlp_alpha),
        # the kernel's kind beside C and gamma; degree and coef0 are inert for some kernels
        ("svc_kernel_digits", {
            "kernel": Categorical(["rbf", "poly", "sigmoid"]),
            "C": Real(1e-3, 1e3, log=True),
            "gamma": Real(1e-5, 1e0, log=True),
            "degree": Integer(2, 5),
            "coef0": Real(0.0, 1.0),
        }, "digits600", _svc_kernel),
        # three categoricals (scaler, class weights, intercept) beside C and the L1 share
        ("logreg_digits", {
            "scaler": Categorical(list(_SCALERS)),
            "class_weight": Categorical(["none", "balanced"]),
            "intercept": Categorical(["fit", "none"]),
            "C": Real(1e-4, 1e2, log=True),
            "l1_ratio": Real(0.0, 1.0),
        }, "digits600", _logreg),
    ]
    return {name: MLProblem(name, space, data, model) for name, space, data, model in spaces}


def make(name: str) -> MLProblem:
    """The family problem `name` (one of INTEGER_HEAVY + MIXED); ValueError naming it if unknown."""
    problems = _problems()
    if name not in problems:
        raise ValueError(f"unknown family problem name={name!r}; known: {', '.join(problems)}")
    return problems[name]


@dataclass(frozen=True)
class Factory:
    """The factory of one family problem, called as factory(seed) (`bench.protocol.ProblemFactory`).

    The objectives are deterministic (fixed folds and model seeds): the seed selects nothing.
    """

    name: str

    def __call__(self, seed: int = 0) -> MLProblem:
        return make(self.name)


extra_trees_digits = Factory("extra_trees_digits")
hgb_leaves_digits = Factory("hgb_leaves_digits")
knn_cancer = Factory("knn_cancer")
mlp_alpha_cancer = Factory("mlp_alpha_cancer")
svc_kernel_digits = Factory("svc_kernel_digits")
logreg_digits = Factory("logreg_digits")

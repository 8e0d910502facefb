"""The problems of the quality suite: what an optimizer sees, and how its answer is judged.

Every problem is a minimization over a dict of bayesopt dimensions (the
protocol, documented in `bench.protocol.Problem`):

    evaluate(params) -> float     what the optimizer is told (noisy for the noisy variants)
    true_value(params) -> float   the noiseless value, used only for judging
    optimum                       f*, or None for the machine-learning problems
    budget                        50 evaluations for d <= 6, 100 for larger d

Three kinds:

- synthetic: thirteen functions of `bayesopt.test_functions.PROBLEMS`, noiseless;
- noisy: Branin, Hartmann-3 and Hartmann-6 with Gaussian noise. The noise is drawn from a
  generator seeded by (problem, seed), so a run is reproducible and every
  optimizer sees the same noise sequence for the same seed;
- ml: scikit-learn estimators on data sets bundled with scikit-learn (no
  download), scored by 3-fold stratified cross-validation with fixed splits
  and fixed model seeds. The objective is the cross-validated *error*,
  1 − mean accuracy, so it is deterministic and its own noiseless value;
  a fit that fails scores accuracy 0 on that fold (`error_score=0`).
"""

from __future__ import annotations

import functools
import warnings
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np

from bayesopt.space import Categorical, Dimension, Integer, Real
from bayesopt.test_functions import PROBLEMS as TEST_FUNCTIONS
from bayesopt.test_functions import TestFunction
from bench.protocol import Problem, check_problem, is_spec, load_problem

SMALL_DIM = 6  # problems with d <= SMALL_DIM get SMALL_BUDGET evaluations, larger ones LARGE_BUDGET
SMALL_BUDGET = 50
LARGE_BUDGET = 100

SYNTHETIC = (
    "branin", "six_hump_camel", "hartmann3", "hartmann6", "ackley5", "rosenbrock4",
    "michalewicz5", "styblinski_tang8", "levy10",
    # second round (issue 17): many local optima, and d = 10
    "rastrigin5", "schwefel5", "ackley10", "rosenbrock10",
)

# Noise levels of the noisy variants. Over a uniform sample of 2e5 points the
# best 5 % of the domain lies within f(q05) − f* of the optimum: 2.6 for
# Branin (f* = 0.398, q05 = 3.01) and 2.26 for Hartmann-6 (f* = −3.322,
# q05 = −1.066). A noise std of about 8 % of that range is large enough that
# the best *observed* value is often a lucky draw (an optimizer that trusts it
# reports a worse point than it found), and small enough that the basin of the
# optimum still stands out of the noise after a few evaluations. Hartmann-3
# (second round) by the same rule: f* = −3.863, q05 = −2.962, 8 % of 0.90 is 0.072.
NOISE_STD = {"branin": 0.2, "hartmann6": 0.15, "hartmann3": 0.07}


def budget_for(n_dims: int) -> int:
    """The protocol's budget: 50 evaluations for d <= 6, 100 for larger d."""
    return SMALL_BUDGET if n_dims <= SMALL_DIM else LARGE_BUDGET


def regret(problem: Problem, value: float) -> float:
    """Simple regret value − f* of a noiseless value; the value itself when f* is unknown."""
    return float(value) if problem.optimum is None else float(value) - problem.optimum


# ----------------------------------------------------------------- synthetic
@dataclass
class SyntheticProblem:
    """A `bayesopt.test_functions` function on its box, optionally with seeded Gaussian noise."""

    function: TestFunction
    noise_std: float = 0.0
    seed: int = 0
    kind: str = field(init=False)
    name: str = field(init=False)
    space: dict[str, Dimension] = field(init=False)
    budget: int = field(init=False)
    optimum: float = field(init=False)
    minimize: bool = field(default=True, init=False)

    def __post_init__(self) -> None:
        self.kind = "noisy" if self.noise_std > 0 else "synthetic"
        self.name = self.function.name + ("_noisy" if self.noise_std > 0 else "")
        self.space = cast(dict[str, Dimension], self.function.search_space())  # read only
        self.budget = budget_for(len(self.space))
        self.optimum = float(self.function.optimal_value)
        self._rng = np.random.default_rng(noise_seed(self.name, self.seed))

    def _x(self, params: Mapping[str, Any]) -> np.ndarray:
        return np.array([float(params[name]) for name in self.space])  # (d,)

    def evaluate(self, params: Mapping[str, Any]) -> float:
        value = float(self.function.evaluate_true(self._x(params)))
        if self.noise_std > 0:
            value += self.noise_std * float(self._rng.standard_normal())
        return value

    def true_value(self, params: Mapping[str, Any]) -> float:
        return float(self.function.evaluate_true(self._x(params)))

    def minimizers(self) -> list[dict[str, float]]:
        """The known global minimizers x*, as parameter dicts."""
        return [dict(zip(self.space, map(float, x))) for x in self.function.optimizers]


def noise_seed(name: str, seed: int) -> int:
    """A 64-bit seed for the noise of problem `name` in run `seed` (stable across processes)."""
    sequence = np.random.SeedSequence([zlib.crc32(name.encode()), int(seed)])
    return int(sequence.generate_state(1, dtype=np.uint64)[0])


# ------------------------------------------------------------------------ ml
@functools.cache
def _dataset(name: str) -> tuple[np.ndarray, np.ndarray]:
    """A data set bundled with scikit-learn: X: (n, p), y: (n,)."""
    from sklearn import datasets

    if name == "breast_cancer":
        X, y = datasets.load_breast_cancer(return_X_y=True)  # 569 × 30, 2 classes
        return X, y
    if name == "digits600":
        X, y = datasets.load_digits(return_X_y=True)  # 1797 × 64, 10 classes
        return X[:600], y[:600]  # the first 600 images: 57–63 per class, a third of the cost
    raise ValueError(f"unknown data set {name!r}")


@dataclass
class MLProblem:
    """Tune a scikit-learn estimator: minimize 1 − 3-fold cross-validated accuracy."""

    name: str
    space: dict[str, Dimension]
    dataset: str
    make_model: Callable[[Mapping[str, Any]], Any]
    kind: str = field(default="ml", init=False)
    budget: int = field(init=False)
    optimum: None = field(default=None, init=False)
    minimize: bool = field(default=True, init=False)

    def __post_init__(self) -> None:
        self.budget = budget_for(len(self.space))

    def evaluate(self, params: Mapping[str, Any]) -> float:
        from sklearn.exceptions import ConvergenceWarning, FitFailedWarning
        from sklearn.model_selection import StratifiedKFold, cross_val_score

        X, y = _dataset(self.dataset)
        folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
        with warnings.catch_warnings():
            # small iteration budgets are part of the problem; a diverged fit scores 0 (below)
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.simplefilter("ignore", FitFailedWarning)
            warnings.simplefilter("ignore", RuntimeWarning)  # overflow in a diverging fit
            scores = cross_val_score(self.make_model(params), X, y, cv=folds, error_score=0.0)
        return 1.0 - float(np.mean(scores))

    def true_value(self, params: Mapping[str, Any]) -> float:
        return self.evaluate(params)  # deterministic: fixed folds and model seeds


def _svc(params: Mapping[str, Any]) -> Any:
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    return make_pipeline(StandardScaler(), SVC(C=params["C"], gamma=params["gamma"]))


def _hist_gradient_boosting(params: Mapping[str, Any]) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(
        learning_rate=params["learning_rate"], max_iter=params["max_iter"],
        max_depth=params["max_depth"], min_samples_leaf=params["min_samples_leaf"],
        early_stopping=False, random_state=0,
    )


def _mlp(params: Mapping[str, Any]) -> Any:
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), MLPClassifier(
        hidden_layer_sizes=(params["hidden"],), activation=params["activation"],
        solver=params["solver"], alpha=params["alpha"],
        learning_rate_init=params["learning_rate_init"], max_iter=20, random_state=0,
    ))


def _sgd(params: Mapping[str, Any]) -> Any:
    from sklearn.linear_model import SGDClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), SGDClassifier(
        loss=params["loss"], penalty=params["penalty"], alpha=params["alpha"],
        l1_ratio=params["l1_ratio"], max_iter=50, random_state=0,
    ))


def _random_forest(params: Mapping[str, Any]) -> Any:
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(
        n_estimators=20, max_depth=params["max_depth"],
        min_samples_leaf=params["min_samples_leaf"],
        min_samples_split=params["min_samples_split"], max_features=params["max_features"],
        random_state=0, n_jobs=1,
    )


def _decision_tree(params: Mapping[str, Any]) -> Any:
    from sklearn.tree import DecisionTreeClassifier

    return DecisionTreeClassifier(
        max_depth=params["max_depth"], min_samples_split=params["min_samples_split"],
        min_samples_leaf=params["min_samples_leaf"], max_features=params["max_features"],
        max_leaf_nodes=params["max_leaf_nodes"], random_state=0,
    )


def _mlp_schedules(params: Mapping[str, Any]) -> Any:
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), MLPClassifier(
        hidden_layer_sizes=(params["hidden"],), activation=params["activation"],
        solver=params["solver"], learning_rate=params["schedule"],
        learning_rate_init=params["learning_rate_init"], max_iter=20, random_state=0,
    ))


def _sgd_schedules(params: Mapping[str, Any]) -> Any:
    from sklearn.linear_model import SGDClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), SGDClassifier(
        loss=params["loss"], penalty=params["penalty"], learning_rate=params["schedule"],
        alpha=params["alpha"], eta0=params["eta0"], max_iter=30, random_state=0,
    ))


def _ml_problems() -> dict[str, MLProblem]:
    return {p.name: p for p in [
        # log-scaled reals
        MLProblem("svc_cancer", {
            "C": Real(1e-3, 1e3, log=True),
            "gamma": Real(1e-5, 1e1, log=True),
        }, "breast_cancer", _svc),
        # integers (and one log-scaled real)
        MLProblem("hgb_cancer", {
            "learning_rate": Real(1e-3, 1.0, log=True),
            "max_iter": Integer(5, 50),
            "max_depth": Integer(1, 8),
            "min_samples_leaf": Integer(1, 60),
        }, "breast_cancer", _hist_gradient_boosting),
        # categoricals, a log-scaled integer and log-scaled reals
        MLProblem("mlp_digits", {
            "hidden": Integer(4, 64, log=True),
            "activation": Categorical(["relu", "tanh", "logistic"]),
            "solver": Categorical(["adam", "sgd", "lbfgs"]),
            "alpha": Real(1e-6, 1e-1, log=True),
            "learning_rate_init": Real(1e-4, 1e-1, log=True),
        }, "digits600", _mlp),
        # two categoricals that change the model (loss and penalty)
        MLProblem("sgd_cancer", {
            "loss": Categorical(["hinge", "log_loss", "modified_huber"]),
            "penalty": Categorical(["l2", "l1", "elasticnet"]),
            "alpha": Real(1e-6, 1.0, log=True),
            "l1_ratio": Real(0.0, 1.0),
        }, "breast_cancer", _sgd),
        # integers only: a piecewise-constant objective (tree sizes and split rules)
        MLProblem("forest_cancer", {
            "max_depth": Integer(1, 16),
            "min_samples_leaf": Integer(1, 30),
            "min_samples_split": Integer(2, 40),
            "max_features": Integer(1, 30),
        }, "breast_cancer", _random_forest),
        # three categoricals (activation, solver, step-size schedule) beside two numbers
        MLProblem("mlp_cancer", {
            "hidden": Integer(2, 64, log=True),
            "activation": Categorical(["identity", "logistic", "tanh", "relu"]),
            "solver": Categorical(["adam", "sgd", "lbfgs"]),
            "schedule": Categorical(["constant", "invscaling", "adaptive"]),
            "learning_rate_init": Real(1e-4, 1.0, log=True),
        }, "breast_cancer", _mlp_schedules),
        # five integers of one decision tree on ten classes: a piecewise-constant error with
        # plateaus wider than the forest's (issue 17's worst held-out family)
        MLProblem("tree_digits", {
            "max_depth": Integer(1, 20),
            "min_samples_split": Integer(2, 40),
            "min_samples_leaf": Integer(1, 30),
            "max_features": Integer(1, 64),
            "max_leaf_nodes": Integer(2, 200, log=True),
        }, "digits600", _decision_tree),
        # three categoricals of 5, 3 and 4 choices (loss, penalty, step-size schedule) beside
        # two log-scaled reals, ten classes (issue 17's categorical family)
        MLProblem("sgd_digits", {
            "loss": Categorical(["hinge", "log_loss", "modified_huber", "squared_hinge",
                                 "perceptron"]),
            "penalty": Categorical(["l2", "l1", "elasticnet"]),
            "schedule": Categorical(["optimal", "constant", "invscaling", "adaptive"]),
            "alpha": Real(1e-6, 1.0, log=True),
            "eta0": Real(1e-4, 1.0, log=True),
        }, "digits600", _sgd_schedules),
    ]}


ML = ("svc_cancer", "hgb_cancer", "mlp_digits", "sgd_cancer", "forest_cancer", "mlp_cancer",
      "tree_digits", "sgd_digits")
# the problems added by issue 17's second round (bench/README.md, "Second round"), sgd_digits
# the last, for the categorical family; every optimizer has all its runs on them
SECOND_ROUND = ("rastrigin5", "schwefel5", "ackley10", "rosenbrock10", "hartmann3_noisy",
                "forest_cancer", "mlp_cancer", "tree_digits", "sgd_digits")
NOISY = tuple(f"{name}_noisy" for name in NOISE_STD)
PROBLEM_NAMES = SYNTHETIC + NOISY + ML


def make_problem(name: str, seed: int = 0) -> Problem:
    """A fresh problem for one run; `seed` seeds the noise of the noisy variants.

    `name` is a built-in problem or a third-party `module:attribute` problem
    factory (`bench.protocol.ProblemFactory`), checked against the protocol.
    """
    if is_spec(name):
        return check_problem(load_problem(name)(seed), name)
    if name in SYNTHETIC:
        return SyntheticProblem(TEST_FUNCTIONS[name]())
    if name in NOISY:
        base = name.removesuffix("_noisy")
        return SyntheticProblem(TEST_FUNCTIONS[base](), noise_std=NOISE_STD[base], seed=seed)
    if name in ML:
        return _ml_problems()[name]
    raise ValueError(f"unknown problem {name!r}; known: {', '.join(PROBLEM_NAMES)}")


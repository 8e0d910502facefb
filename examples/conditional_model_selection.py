"""Choose a classifier and tune only its own hyperparameters: a conditional space.

    python examples/conditional_model_selection.py

`C` and `kernel` exist only for the SVM, `gamma` only for its RBF kernel,
`n_neighbors` only for k-nearest-neighbours: every ask carries exactly the
parameters of the model it chose (see README, "Conditional spaces").
"""

from __future__ import annotations

import warnings
from typing import Any

from sklearn.datasets import load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from bayesopt import Categorical, Integer, Real, minimize

SPACE = {
    "model": Categorical({
        "svm": {"C": Real(1e-2, 1e3, log=True),
                "kernel": Categorical({"rbf": {"gamma": Real(1e-4, 1.0, log=True)},
                                       "linear": None})},
        "knn": {"n_neighbors": Integer(1, 40)},
        "logistic": {"logistic_C": Real(1e-3, 1e2, log=True)},
    }),
}
X, y = load_wine(return_X_y=True)


def classifier(params: dict[str, Any]) -> Any:
    if params["model"] == "svm":
        gamma = params.get("gamma", "scale")  # absent under the linear kernel
        return SVC(C=params["C"], kernel=params["kernel"], gamma=gamma)
    if params["model"] == "knn":
        return KNeighborsClassifier(n_neighbors=params["n_neighbors"])
    return LogisticRegression(C=params["logistic_C"], max_iter=1000)


def error(params: dict[str, Any]) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        scores = cross_val_score(make_pipeline(StandardScaler(), classifier(params)), X, y, cv=3)
    return 1.0 - float(scores.mean())


def main() -> None:
    result = minimize(error, SPACE, n_calls=20, seed=0, progress=False)
    tried = sorted({o.params["model"] for o in result.history})
    print(f"20 evaluations over the models {tried}")
    best = result.best
    assert best is not None and best.value is not None, "every evaluation failed"
    print(f"best model: {best.params}")
    print(f"best cross-validated accuracy: {1.0 - best.value:.3f}")


if __name__ == "__main__":
    main()

"""Tune a scikit-learn model with `BayesSearchCV`, a drop-in for `RandomizedSearchCV`.

An RBF support-vector classifier on scikit-learn's bundled digits (1,797 8×8
images): the regularization C and the kernel width gamma span decades, so
both are searched on a log scale; 3-fold cross-validated accuracy picks the
candidates, and the refitted best model is scored on a held-out test set.

    python examples/sklearn_search.py      # needs scikit-learn
"""

from __future__ import annotations

import time

from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from bayesopt import Categorical, Real
from bayesopt.sklearn import BayesSearchCV

N_ITER = 20


def main() -> None:
    """Search, then report the cross-validated and held-out accuracy of the best model."""
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
    search = BayesSearchCV(
        make_pipeline(StandardScaler(), SVC()),
        {
            "svc__C": Real(1e-2, 1e3, log=True),
            "svc__gamma": Real(1e-5, 1e-1, log=True),
            "svc__class_weight": Categorical([None, "balanced"]),
        },
        n_iter=N_ITER, cv=3, random_state=0,
    )
    start = time.perf_counter()
    search.fit(X_train, y_train)
    elapsed = time.perf_counter() - start
    result = search.optimize_result_
    print(f"{N_ITER} candidates, 3-fold cross-validation each, in {elapsed:.0f} s")
    print(f"best cross-validated accuracy {search.best_score_:.4f} "
          f"(candidate {search.best_index_ + 1}; {result.n_failed} failed) with")
    for name, value in search.best_params_.items():
        print(f"  {name:18s} {value:.4g}" if isinstance(value, float) else f"  {name:18s} {value}")
    print(f"held-out test accuracy of the refitted model: {search.score(X_test, y_test):.4f}")


if __name__ == "__main__":
    main()

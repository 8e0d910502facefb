"""`python -m bayesopt demo`: tune a small neural network on scikit-learn's digits.

The model is scikit-learn's `MLPClassifier`, which learns its weights by
stochastic gradient descent; bayesopt tunes the knobs that are not learned
from data — learning rate and L2 penalty (log scales), batch size (integer),
the solver (categorical), and for solver="sgd" only, momentum and the
learning-rate schedule (categorical) — to maximize 3-fold cross-validated
accuracy on the bundled digits data set (1,797 8×8 images, no download).

The space is conditional (``when=``, `bayesopt.conditions`): scikit-learn
uses momentum and the schedule only with solver="sgd", so an adam
configuration neither carries them nor is told apart by them.
"""

from __future__ import annotations

import time
import warnings
from typing import Any

from bayesopt.loop import minimize
from bayesopt.result import OptimizeResult
from bayesopt.space import Categorical, Integer, Real

DEMO_SPACE = {
    "learning_rate_init": Real(1e-4, 1e-1, log=True),
    "alpha": Real(1e-6, 1e-1, log=True),
    "batch_size": Integer(32, 256, log=True),
    "solver": Categorical(["adam", "sgd"]),
    # MLPClassifier reads these two only when solver="sgd"
    "momentum": Real(0.5, 0.99, when={"solver": "sgd"}),
    "learning_rate": Categorical(["constant", "invscaling", "adaptive"],
                                 when={"solver": "sgd"}),
}
N_CALLS = 40
N_INITIAL = 8


def _load_data() -> Any:
    try:
        from sklearn.datasets import load_digits
    except ImportError as error:
        raise ImportError("the demo needs scikit-learn: pip install 'bayesopt[demo]'") from error
    return load_digits(return_X_y=True)


def cross_validated_accuracy(params: dict[str, Any], data: Any) -> float:
    """Mean 3-fold accuracy of a standardized-input MLP with these hyperparameters."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import cross_val_score
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = data
    model = make_pipeline(
        StandardScaler(),
        MLPClassifier(hidden_layer_sizes=(64,), max_iter=40, random_state=0, **params),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # 40 epochs is the budget, on purpose
        return float(cross_val_score(model, X, y, cv=3).mean())


def run_demo(n_calls: int = N_CALLS, seed: int = 0, progress: bool = True) -> OptimizeResult:
    data = _load_data()
    return minimize(
        lambda params: cross_validated_accuracy(params, data), DEMO_SPACE, n_calls,
        seed=seed, progress=progress, maximize=True, n_initial=N_INITIAL,
    )


def main(seed: int = 0) -> None:
    print(f"Tuning an MLPClassifier on scikit-learn's digits: {N_CALLS} evaluations, "
          f"the first {N_INITIAL} from a Sobol design, 3-fold cross-validated accuracy.")
    start = time.perf_counter()
    result = run_demo(seed=seed)
    elapsed = time.perf_counter() - start
    initial = [o.value for o in result.history[:N_INITIAL] if o.value is not None]
    best = result.best
    if best is None:
        print("every evaluation failed; see result.history")
        return
    assert best.value is not None, "the best observation is a successful one"
    print(f"\nbest accuracy {best.value:.4f} (evaluation {best.index + 1} of {len(result)}), "
          f"found in {elapsed:.0f} s with")
    for name, value in best.params.items():
        shown = f"{value:.4g}" if isinstance(value, float) else str(value)
        print(f"  {name:20s} {shown}")
    if initial:
        best_initial = max(initial)
        print(f"best of the {len(initial)} initial (Sobol) configurations: {best_initial:.4f}; "
              f"Bayesian optimization improved it by {100 * (best.value - best_initial):+.2f} "
              "accuracy points")
    if result.n_failed:
        print(f"{result.n_failed} evaluations failed; see result.history")

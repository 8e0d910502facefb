"""The README's code runs as written, section by section, in one namespace per chain.

    SECTIONS : README headings whose ```python blocks are run, in order
    train    : the objective the README leaves to the reader (`train(**params)`)
    SHORTER  : loop lengths cut to keep the test cheap (the only edits to the code)

A section that grows a block needing something undefined fails here first.
"""

from __future__ import annotations

import math
import re
from typing import Any

from bayesopt import Space
from tests.doc_blocks import README, python_blocks

SHORTER = {"range(50)": "range(8)", "n_calls=50": "n_calls=8"}


def blocks(section: str) -> list[str]:
    """The ```python blocks under the README heading `## section`, in order."""
    parts = re.split(r"^## ", README.read_text(encoding="utf-8"), flags=re.MULTILINE)
    (body,) = [part for part in parts if part.splitlines()[0].strip() == section]
    found = [code for _, code in python_blocks(body)]
    assert found, f"README section {section!r} has no python block"
    return found


def run(section: str, namespace: dict[str, Any]) -> dict[str, Any]:
    for code in blocks(section):
        for long, short in SHORTER.items():
            code = code.replace(long, short)
        exec(compile(code, f"README.md: {section}", "exec"), namespace)  # noqa: S102 - the README
    return namespace


def train(lr: float, layers: int, activation: str) -> float:
    return (math.log10(lr) + 3) ** 2 + 0.1 * (layers - 4) ** 2 + (activation == "tanh")


def test_ask_and_tell_then_the_surrogate_in_user_terms() -> None:
    namespace = run("Ask and tell", {"train": train})
    assert namespace["same"] == namespace["result"]
    assert list(namespace["table"].columns[:3]) == ["lr", "layers", "activation"]
    namespace = run("The surrogate, in user terms", namespace)
    p = namespace["p"]
    assert p.lower[0] < p.median[0] < p.upper[0] and p.level == 0.9


def test_the_baseline_sections_thompson_sampling_runs_on_the_ask_and_tell_study() -> None:
    import numpy as np

    namespace = run("Using it as a baseline", run("Ask and tell", {"train": train}))
    assert namespace["paths"].shape == (4, 256) and len(namespace["batch"]) == 4
    assert np.allclose(np.diag(namespace["corr"]), 1.0)


def test_conditional_spaces_nested_form_is_the_same_space() -> None:
    namespace = run("Conditional spaces", {})
    flat = namespace["opt"].space
    assert Space(namespace["space"]) == flat


def test_bringing_a_history_in_tells_a_table_and_an_optuna_studys_trials() -> None:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))

    def objective(trial: optuna.Trial) -> float:
        lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
        if trial.number == 3:
            raise RuntimeError("crashed before suggesting the rest")  # FAIL, params partial
        layers = trial.suggest_int("layers", 1, 8)
        trial.suggest_categorical("batch", [16, 32, 64])
        trial.report(lr, 0)
        if trial.number == 5:
            raise optuna.TrialPruned()
        if trial.number == 6:
            raise RuntimeError("diverged")  # FAIL, every param
        return (math.log10(lr) + 3) ** 2 + layers / 10

    study.optimize(objective, n_trials=10, catch=(RuntimeError,))
    study.ask().suggest_float("lr", 1e-5, 1e-1, log=True)  # RUNNING: not told
    namespace = run("Bringing a history in", {"study": study})
    statuses = [o.status for o in namespace["opt"].history]
    assert statuses == ["ok"] * 3 + ["failed"] + ["ok"] * 7 + ["failed"] * 2
    assert namespace["params"].keys() == namespace["space"].keys()
    curves = namespace["curves"]  # trial 3 left out; 5 pruned by Optuna at step 0; 6 failed
    assert [o.status for o in curves.history] == ["ok"] * 4 + ["pruned", "failed"] + ["ok"] * 3
    assert (curves.history[4].step, curves.history[5].error) == (0.0, "trial 6: FAIL")

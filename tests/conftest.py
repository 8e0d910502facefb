"""Shared pytest configuration.

Numba loops and LAPACK calls alternate in nearly every test; with both thread
pools as wide as the machine they fight for cores and tiny problems run ~100×
slower. Every test therefore runs inside `kernels.threads.numeric_threads(0)`
(single-threaded); tests of the parallel builds raise the thread count themselves.
"""

from __future__ import annotations

import importlib.util
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kernels.threads import numeric_threads
from postgres import PostgresServer, find_binaries, serving


@pytest.fixture(autouse=True)
def _numeric_threads() -> Iterator[None]:
    with numeric_threads(0):
        yield


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server of this test session (tests/postgres.py), stopped at its end.

    Skipped with the reason where the binaries are missing, except under CI=true
    (`.ci/run` sets it), where the PostgreSQL tests must run and a skip is a failure.
    """
    binaries, looked = find_binaries()
    reason = None if binaries else f"PostgreSQL binaries not found: {looked}"
    if importlib.util.find_spec("psycopg") is None:
        reason = "psycopg is not installed (pip install -e '.[test]')"
    if reason is not None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"{reason}; CI is set, so the PostgreSQL tests must not be skipped")
        pytest.skip(reason)
    assert binaries is not None
    with serving(binaries) as server:
        yield server


@pytest.fixture
def optuna_sqlite(tmp_path: Path) -> Iterator[Callable[[], Any]]:
    """``optuna_sqlite()``: a new Optuna `RDBStorage` on the SQLite file tmp_path/study.db,
    what ``optuna.create_study(storage=URL)`` makes of the URL (one per call, as one per
    process); each is disposed of when the test ends (its session removed, its engine's
    pooled connections closed). Made from the URL, they were left to the garbage collector,
    which closed them inside whatever test it ran in (from Python 3.13 sqlite3 warns:
    ResourceWarning, unclosed database)."""
    import optuna

    made: list[Any] = []

    def make() -> Any:
        made.append(optuna.storages.RDBStorage(f"sqlite:///{tmp_path / 'study.db'}"))
        return made[-1]

    yield make
    for storage in made:
        storage.remove_session()
        storage.engine.dispose()


@pytest.fixture(params=["jsonl", "sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new shared study's storage (tests/test_shared.py, tests/test_heartbeat.py): a
    JSON-lines file, an SQLite database, or a new database on the session's PostgreSQL
    server (tests/postgres.py)."""
    if request.param == "jsonl":
        return str(tmp_path / "study.jsonl")
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'study.db'}"
    server = request.getfixturevalue("postgres_server")
    return str(server.create_database(f"study_{uuid.uuid4().hex[:12]}"))


@pytest.fixture
def candidate_batches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of every batch of candidates BayesSearchCV hands to scikit-learn, in order."""
    from bayesopt.sklearn import BayesSearchCV

    batches: list[int] = []
    run_search = BayesSearchCV._run_search

    def spy(self: BayesSearchCV, evaluate_candidates: Callable[[list[Any]], Any]) -> None:
        def evaluate(candidates: list[Any]) -> Any:
            batches.append(len(candidates))
            return evaluate_candidates(candidates)
        run_search(self, evaluate)

    monkeypatch.setattr(BayesSearchCV, "_run_search", spy)
    return batches


@pytest.fixture
def outcome_fits(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of rows of every constraint or cost GP fitted (`OutcomeModels._fit`), in
    order (a test clears it to count from a point on)."""
    from bayesopt.outcomes import OutcomeModels

    fits: list[int] = []
    fit = OutcomeModels._fit

    def spy(self: OutcomeModels, X: Any, *args: Any, **kwargs: Any) -> Any:
        fits.append(X.shape[0])
        return fit(self, X, *args, **kwargs)

    monkeypatch.setattr(OutcomeModels, "_fit", spy)
    return fits

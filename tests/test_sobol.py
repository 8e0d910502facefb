"""`bayesopt.sobol.scrambled_sobol` returns scipy.stats.qmc.Sobol's scrambled points bit for
bit, from the table scipy ships or, where that file is missing, from scipy itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import qmc

from bayesopt import sobol
from bayesopt.sobol import MAXDIM, direction_numbers_file, scrambled_sobol

PACKAGES = str(Path(__file__).resolve().parents[1])
SEEDS = (0, 1, 7919, 2**62 + 5, 2**63 - 2)  # 2**63 - 2: the largest `sobol_seed` draws


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("dim", [1, 2, 6, 10, 40, 1111])
def test_the_points_are_scipys_bit_for_bit(dim: int, seed: int) -> None:
    for m in range(13):
        expected = qmc.Sobol(dim, scramble=True, seed=seed).random_base2(m)
        points = scrambled_sobol(dim, 2**m, seed)
        assert points.dtype == np.float64 and points.shape == (2**m, dim)
        assert np.array_equal(points, expected), (dim, seed, m)


def test_a_longer_draw_begins_with_a_shorter_one() -> None:
    longest = scrambled_sobol(5, 1000, 42)  # 1024 drawn, truncated
    assert longest.shape == (1000, 5)
    for n in (1, 2, 3, 5, 8, 100, 513):
        assert np.array_equal(scrambled_sobol(5, n, 42), longest[:n])
    assert np.array_equal(longest, qmc.Sobol(5, scramble=True, seed=42).random_base2(10)[:1000])
    assert scrambled_sobol(5, 0, 42).shape == (0, 5)
    assert not np.array_equal(scrambled_sobol(5, 8, 43), longest[:8])  # the seed matters


def test_the_table_has_maxdim_rows_and_beyond_them_is_an_error() -> None:
    assert MAXDIM == qmc.Sobol.MAXDIM
    last = scrambled_sobol(MAXDIM, 2, 3)
    assert np.array_equal(last, qmc.Sobol(MAXDIM, scramble=True, seed=3).random_base2(1))
    with pytest.raises(ValueError, match=rf"dim={MAXDIM + 1}.*{MAXDIM}"):
        scrambled_sobol(MAXDIM + 1, 4, 0)


def test_without_the_table_the_points_come_from_scipy(monkeypatch: pytest.MonkeyPatch) -> None:
    assert direction_numbers_file() is not None  # this install takes the table path
    table = [scrambled_sobol(d, 37, 11) for d in (1, 6)]
    made: list[int] = []

    class CountingSobol(qmc.Sobol):
        def __init__(self, d: int, **kwargs: object) -> None:
            made.append(d)
            super().__init__(d, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(sobol, "direction_numbers_file", lambda: None)
    monkeypatch.setattr(qmc, "Sobol", CountingSobol)
    fallback = [scrambled_sobol(d, 37, 11) for d in (1, 6)]
    assert made == [1, 6]
    assert all(np.array_equal(a, b) for a, b in zip(table, fallback, strict=True))


def test_finding_and_reading_the_table_does_not_import_scipy_stats() -> None:
    code = ("import json, sys\nfrom bayesopt.sobol import direction_numbers_file, "
            "scrambled_sobol\nassert direction_numbers_file() is not None\n"
            "scrambled_sobol(6, 64, 5)\nprint(json.dumps(sorted(sys.modules)))")
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_DISABLE_JIT"}
    env["PYTHONPATH"] = PACKAGES
    done = subprocess.run([sys.executable, "-c", code], cwd=PACKAGES, env=env,
                          capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    modules = json.loads(done.stdout.strip().splitlines()[-1])
    assert "bayesopt.sobol" in modules
    assert [m for m in modules if m == "scipy.stats" or m.startswith("scipy.stats.")] == []

"""bayesopt.sobol draws scipy's scrambled Sobol' points bit for bit, without scipy.stats."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from scipy.stats import qmc

from bayesopt.sobol import BITS, direction_numbers, sobol_points


@pytest.mark.parametrize("d", [1, 2, 6, 13, 40])
@pytest.mark.parametrize("m", [0, 1, 5, 11])
@pytest.mark.parametrize("seed", [0, 7, 2**63 - 2])
def test_points_equal_scipy_bit_for_bit(d: int, m: int, seed: int) -> None:
    expected = qmc.Sobol(d, scramble=True, seed=seed).random_base2(m)
    got = sobol_points(d, m, seed)
    assert got.dtype == np.float64 and got.shape == (2**m, d)
    assert np.array_equal(got, expected)


def test_unscrambled_direction_numbers_give_scipys_unscrambled_sequence() -> None:
    """Point i of the unscrambled sequence is ⨁ V[:, b] over the bits b of gray(i) / 2^B;
    in 2 dimensions it starts 0, ½, ¾/¼, ¼/¾ (Bratley & Fox 1988)."""
    d, m = 40, 8
    V = direction_numbers(d)
    assert V is not None and V.shape == (d, BITS)
    index = np.arange(2**m)
    gray = index ^ (index >> 1)
    q = np.zeros((2**m, d), dtype=np.int64)
    for b in range(m):
        q ^= np.where(((gray >> b) & 1)[:, None] == 1, V[:, b], 0)
    x = q / 2.0**BITS
    assert np.array_equal(x, qmc.Sobol(d, scramble=False).random_base2(m))
    assert np.array_equal(x[:4, :2], [[0.0, 0.0], [0.5, 0.5], [0.75, 0.25], [0.25, 0.75]])


def test_a_first_ask_does_not_import_scipy_stats() -> None:
    """scipy.stats costs ~0.3 s of CPU to import; the initial design does without it."""
    script = textwrap.dedent("""
        import sys
        from bayesopt import Optimizer, Real
        opt = Optimizer({"x": Real(0.0, 1.0), "y": Real(-1.0, 1.0)}, seed=0)
        opt.tell(opt.ask(), 1.0)
        opt.ask()
        print("scipy.stats" in sys.modules)
    """)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "False"

"""Which LAPACK rounding the tests run on, for the tests that pin asks bit for bit.

Asks are a function of the seed and the tells on one platform (DESIGN.md, "same seed and
same tells → same asks, on the same platform"). The LAPACK under `scipy.linalg` is part
of that platform: a scipy wheel bundles its own OpenBLAS, and the fit factors K + σ²I,
solves and inverts it with those routines. Two builds may round the last bits of a
factor differently; L-BFGS-B carries such a difference into other hyperparameters and
then into other asks. scipy 1.18.1's wheels (OpenBLAS 0.3.31.dev) round unlike 1.17.1's
(OpenBLAS 0.3.30) on the same CPU.

So a test that guards "this change did not alter the asks" compares the asks with the
ones recorded on the same rounding, named by a digest of one Cholesky factor that the two
builds round differently. A rounding with no recorded asks fails the test with its
digest, so that the asks are recorded for it (on code known to ask what main asked),
never compared with another rounding's.
"""

from __future__ import annotations

import hashlib
from typing import TypeVar

import numpy as np
import pytest
from scipy.linalg import lapack

T = TypeVar("T")

# digest → where it was seen (the CPU matters too: OpenBLAS picks kernels per CPU)
KNOWN_ROUNDINGS = {
    "139f4735e2b5": "scipy 1.17.1 wheel (OpenBLAS 0.3.30), SkylakeX",
    "e5e94fbf78c2": "scipy 1.18.1 wheel (OpenBLAS 0.3.31.dev), SkylakeX",
}


def lapack_rounding() -> str:
    """A digest of the lower Cholesky factor (dpotrf) of a 20×20 squared-exponential
    kernel matrix on a grid plus 1e-6·I: equal digests, equal rounding of that factor."""
    x = np.linspace(0.0, 1.0, 20)[:, None]  # (20, 1)
    K = np.exp(-0.5 * ((x - x.T) / 0.3) ** 2) + 1e-6 * np.eye(20)  # (20, 20)
    L, info = lapack.dpotrf(K, lower=1)
    assert info == 0, f"dpotrf failed on a positive-definite matrix (info={info})"
    return hashlib.sha256(np.ascontiguousarray(np.tril(L)).tobytes()).hexdigest()[:12]


def recorded_for_this_lapack(recorded: dict[str, T]) -> T:
    """The entry of `recorded` (digest → expected asks) for this LAPACK's rounding; a
    rounding without one fails the test, naming its digest."""
    key = lapack_rounding()
    if key not in recorded:
        pytest.fail(f"no asks are recorded for this LAPACK's rounding (digest {key}; known: "
                    f"{KNOWN_ROUNDINGS}): record them with code that asks what main asks")
    return recorded[key]

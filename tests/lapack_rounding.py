"""Which LAPACK rounding the tests run on, for the tests that pin asks bit for bit.

Asks are a function of the seed and the tells on one platform (DESIGN.md, "same seed and
same tells → same asks, on the same platform"). The LAPACK under `scipy.linalg` is part
of that platform: a scipy wheel bundles its own OpenBLAS, and the fit factors K + σ²I,
solves and inverts it with those routines. Two builds may round the last bits of a
factor differently; L-BFGS-B carries such a difference into other hyperparameters and
then into other asks. scipy 1.18.1's wheels (OpenBLAS 0.3.31.dev) round unlike 1.17.1's
(OpenBLAS 0.3.30) on the same CPU.

The library's own Numba loops are part of it too: Numba compiles them for the CPU it runs
on, and the triangular solves of kernels.cholesky are compiled with fastmath, so LLVM may
reorder the sums of their inner products, and how (vector width, interleave) is its
tuning for that CPU. An AMD EPYC with AVX-512 (Zen 4) gets OpenBLAS's SkylakeX kernels,
and the dpotrf digest of a SkylakeX, but Numba's code for it rounds L⁻¹b unlike the code
for a SkylakeX from the 17th row on: asks made with more than 16 observations differ.

So a test that guards "this change did not alter the asks" keeps the asks recorded on
each rounding seen and asks that a run equal one of them bit for bit. A run equal to none
fails with two digests of this platform's rounding, of one Cholesky factor that the two
scipy builds round differently (`lapack_rounding`) and of one solve by the Numba loop
(`loop_rounding`): either the change moved the asks, or this platform rounds unlike every
recorded one, and then its asks are recorded (with code that asks what main asks), never
compared loosely.

OpenBLAS's kernels can be chosen (OPENBLAS_CORETYPE=SkylakeX, Haswell, …) and Numba's target
CPU too (NUMBA_CPU_NAME=znver4, …), so one machine can stand for another whose CPU has the
instructions: on an AMD EPYC Zen 5, SkylakeX kernels and znver4 give a Zen 4's two digests
and, under scipy 1.17.1, every ask the Zen 4 recorded (bench/results/python_versions.md).
"""

from __future__ import annotations

import hashlib
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import TypeVar

import numpy as np
import pytest
from scipy.linalg import lapack

from bayesopt.options import OptimizerOptions
from kernels.cholesky import CholeskyFactor

T = TypeVar("T")


def as_pinned(options: OptimizerOptions | None = None) -> OptimizerOptions:
    """`options` (default: the defaults) with both L-BFGS-B runs of a step on the
    parameters themselves, as the pinned asks were recorded (`FitOptions.precondition`
    and `AcquisitionOptimizerOptions.scale_by_lengthscales` False, the behaviour until
    0.14.0). Such a test guards what a change of other code must not move; the two
    scaled runs have their own tests (tests/test_scaled_searches.py)."""
    options = options or OptimizerOptions()
    model = replace(options.model, fit=replace(options.model.fit, precondition=False))
    search = replace(options.acquisition_optimizer, scale_by_lengthscales=False)
    return replace(options, model=model, acquisition_optimizer=search)


# digest → where it was seen (the CPU matters too: OpenBLAS picks kernels per CPU)
KNOWN_ROUNDINGS = {
    "139f4735e2b5": "scipy 1.17.1 wheel (OpenBLAS 0.3.30), SkylakeX; also an AMD EPYC with "
                    "AVX-512 (Zen 4, OpenBLAS's SkylakeX kernels), whose asks differ: its Numba "
                    "loops round otherwise (KNOWN_LOOP_ROUNDINGS), and some asks with as few as "
                    "12 observations by a routine not found",
    "e5e94fbf78c2": "scipy 1.18.1 wheel (OpenBLAS 0.3.31.dev), SkylakeX; also an AMD EPYC with "
                    "AVX-512 (Zen 4, OpenBLAS's SkylakeX kernels), whose asks differ (its "
                    "Numba loops round otherwise)",
    "ae70241127e6": "scipy 1.17.1 wheel (OpenBLAS 0.3.30), AMD EPYC (Haswell kernels)",
    "dc2d7be8f1da": "scipy 1.17.1 (OpenBLAS 0.3.30) and 1.18.1 (OpenBLAS 0.3.31.dev) wheels, "
                    "AMD EPYC Zen 5 (family 26, OpenBLAS's Haswell kernels), whose asks are "
                    "the same under both",
}

# digest → the CPUs Numba compiled the loop for where it was seen: on the AMD EPYC with
# AVX-512 (znver4), and there with NUMBA_CPU_NAME set to each CPU named (which for
# skylake-avx512 asks what was recorded on a SkylakeX); on an AMD EPYC Zen 5 (znver5)
KNOWN_LOOP_ROUNDINGS = {
    "489b7cca0a1f": "Numba 0.68.1 for skylake-avx512, icelake-server, sapphirerapids",
    "cf297800cacb": "Numba 0.68.1 for znver4 (AMD EPYC with AVX-512), znver3, znver2, haswell; "
                    "znver5 (AMD EPYC Zen 5)",
}


def lapack_rounding() -> str:
    """A digest of the lower Cholesky factor (dpotrf) of a 20×20 squared-exponential
    kernel matrix on a grid plus 1e-6·I: equal digests, equal rounding of that factor."""
    x = np.linspace(0.0, 1.0, 20)[:, None]  # (20, 1)
    K = np.exp(-0.5 * ((x - x.T) / 0.3) ** 2) + 1e-6 * np.eye(20)  # (20, 20)
    L, info = lapack.dpotrf(K, lower=1)
    assert info == 0, f"dpotrf failed on a positive-definite matrix (info={info})"
    return hashlib.sha256(np.ascontiguousarray(np.tril(L)).tobytes()).hexdigest()[:12]


def loop_rounding() -> str:
    """A digest of L⁻¹1 solved by kernels.cholesky's Numba forward substitution (one
    right-hand side) for the 64×64 lower-triangular L with 2 on its diagonal and
    1/(1 + i + j) below it: its entries are correctly rounded quotients, the same on every
    platform, so equal digests, equal rounding of that loop's sums."""
    i = np.arange(64, dtype=np.float64)
    L = np.tril(1.0 / (1.0 + i[:, None] + i[None, :]), -1) + 2.0 * np.eye(64)  # (64, 64)
    z = CholeskyFactor(L, lower=True).solve_lower(np.ones(64))  # (64,)
    return hashlib.sha256(np.ascontiguousarray(z).tobytes()).hexdigest()[:12]


def assert_asks_one_of(asks: Sequence[T], recorded: Mapping[str, Sequence[T]],
                       equal: Callable[[T, T], bool] = operator.eq) -> None:
    """`asks` equal one of the `recorded` lists (where they were recorded → asks), ask by
    ask by `equal`; otherwise the test fails naming the first ask that differs from each
    record and this platform's two rounding digests."""
    first_difference = {}
    for where, want in recorded.items():
        pairs = list(zip(asks, want))
        if len(asks) == len(want) and all(equal(got, ask) for got, ask in pairs):
            return
        first_difference[where] = next(
            (i for i, (got, ask) in enumerate(pairs) if not equal(got, ask)), len(pairs))
    pytest.fail(f"the asks equal none of the recorded ones (first differing ask, by record: "
                f"{first_difference}); this LAPACK's rounding digest is {lapack_rounding()} "
                f"(known: {KNOWN_ROUNDINGS}), the Numba loop's {loop_rounding()} (known: "
                f"{KNOWN_LOOP_ROUNDINGS}): either the change moved the asks, or this "
                f"platform rounds unlike every recorded one and its asks are to be recorded")

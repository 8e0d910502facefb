"""Scrambled Sobol' points, the same as scipy.stats.qmc.Sobol's, without importing scipy.stats.

Notation (B = 30 bits, d dimensions, n = 2^m points):

    V     : (d, B) direction numbers, V[k, b] the B-bit integer of bit b of the
            index (Bratley & Fox 1988, Algorithm 659, Sec. 2, from the primitive
            polynomials and initial numbers of Joe & Kuo 2003/2008, search
            criterion D(6) — scipy's data file `_sobol_direction_numbers.npz`)
    T_k   : (B, B) random lower-triangular binary matrix with unit diagonal,
            shift : (d,) random B-bit integers
    V'    : linear matrix scrambling (Matoušek 1998): the bit vector of each
            V[k, b], most significant bit first, multiplied by T_k over GF(2)
    x_i   = (shift ⊕ ⨁_{b : bit b of g(i)} V'[:, b]) / 2^B,  g(i) = i ⊕ (i >> 1)
            (the Gray-code order of Antonov & Saleev 1979)

The random bits are drawn from `numpy.random.default_rng(seed)` in the order
scipy draws them (the shift's (d, B) bits, then the (d, B, B) matrices), so
`sobol_points(d, m, seed)` equals
`scipy.stats.qmc.Sobol(d, scramble=True, seed=seed).random_base2(m)` bit for
bit (tests/test_sobol.py checks it). The point of this module is the import:
scipy.stats takes ~0.3 s of CPU to import, a third of a new process's
first ask. Should scipy stop shipping the data file, scipy itself is used.
"""

from __future__ import annotations

import functools
import importlib.util
import os
from typing import cast

import numpy as np

BITS = 30  # scipy's default: 2^30 distinct points per dimension
_DATA_FILE = "_sobol_direction_numbers.npz"  # inside the scipy.stats package directory


@functools.lru_cache(maxsize=1)
def _joe_kuo() -> tuple[np.ndarray, np.ndarray] | None:
    """(poly, vinit) of scipy's direction-number file, or None where it cannot be found.

    `find_spec` locates the scipy.stats package without executing it.
    """
    spec = importlib.util.find_spec("scipy.stats")
    locations = None if spec is None else spec.submodule_search_locations
    if not locations:
        return None
    path = os.path.join(next(iter(locations)), _DATA_FILE)
    if not os.path.isfile(path):
        return None
    with np.load(path) as data:
        return np.asarray(data["poly"], dtype=np.int64), np.asarray(data["vinit"], dtype=np.int64)


@functools.lru_cache(maxsize=64)
def direction_numbers(d: int) -> np.ndarray | None:
    """V: (d, BITS) unscrambled direction numbers (module docstring), None without the data file."""
    table = _joe_kuo()
    if table is None or d > table[0].shape[0]:
        return None
    poly, vinit = table
    V = np.ones((d, BITS), dtype=np.int64)  # dimension 0: the van der Corput sequence
    for k in range(1, d):
        p = int(poly[k])
        degree = p.bit_length() - 1
        row = [int(v) for v in vinit[k, :degree]]
        for j in range(degree, BITS):  # Bratley & Fox (1988), recurrence of Sec. 2
            new = row[j - degree]
            for t in range(degree):
                if (p >> (degree - 1 - t)) & 1:
                    new ^= row[j - t - 1] << (t + 1)
            row.append(new)
        V[k] = row
    V <<= np.arange(BITS - 1, -1, -1, dtype=np.int64)  # V[:, b] · 2^(B − 1 − b)
    V.setflags(write=False)
    return V


def _scrambled(V: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(shift: (d,), V': (d, BITS)): the digital shift and the linear matrix scrambling."""
    d = V.shape[0]
    powers = np.left_shift(np.int64(1), np.arange(BITS, dtype=np.int64))  # 2^b
    shift = rng.integers(2, size=(d, BITS), dtype=np.uint32).astype(np.int64) @ powers
    T = np.tril(rng.integers(2, size=(d, BITS, BITS), dtype=np.uint32)).astype(np.int64)
    T[:, np.arange(BITS), np.arange(BITS)] = 1
    msb_first = np.arange(BITS - 1, -1, -1, dtype=np.int64)  # bit position of entry q
    bits = (V[:, :, None] >> msb_first) & 1  # (d, BITS, BITS): [k, b, q]
    scrambled = np.einsum("kpq,kbq->kbp", T, bits) & 1  # GF(2) product, MSB first
    return shift, scrambled @ (np.int64(1) << msb_first)


def sobol_points(d: int, m: int, seed: int) -> np.ndarray:
    """The first 2^m scrambled Sobol' points in [0, 1)^d: (2^m, d), scipy's for this seed."""
    assert d >= 1 and 0 <= m <= BITS, f"d={d} and m={m} must be positive and at most {BITS}"
    V = direction_numbers(d)
    if V is None:  # scipy's data file moved: draw with scipy itself
        from scipy.stats import qmc

        sampler = qmc.Sobol(d, scramble=True, seed=seed)
        return cast(np.ndarray, sampler.random_base2(m))
    shift, V_scrambled = _scrambled(V, np.random.default_rng(seed))
    index = np.arange(2**m, dtype=np.int64)
    gray = index ^ (index >> 1)
    q = np.broadcast_to(shift, (2**m, d)).copy()
    for b in range(m):
        q ^= np.where(((gray >> b) & 1)[:, None] == 1, V_scrambled[:, b], 0)
    return cast(np.ndarray, q.astype(np.float64) * 2.0**-BITS)

"""Scrambled Sobol points, bit for bit those of `scipy.stats.qmc.Sobol(d, scramble=True,
seed=s).random_base2(m)`, without importing scipy.stats (~0.3 s at a new process's first ask).

    d       : dimensions (≤ MAXDIM = 21201, the Joe–Kuo table's rows); B = 30 bits
    V       : (d, B)  direction numbers, column j holding m_j · 2^(B−1−j)
    m_j     : m_1..m_s from the table (row k: primitive polynomial x^s + a_1 x^(s−1) + … + 1,
              stored as `poly` = 2^s + 2·a + 1); then m_j = m_{j−s} ⊕ ⊕_{i=1..s} c_i 2^i m_{j−i}
              with c_i bit s−i of `poly` (Bratley & Fox 1988, Joe & Kuo 2008); row 0: m_j = 1
    L_k     : (B, B)  lower-triangular 0/1 matrix with unit diagonal, one per dimension
    V'_kj   : Σ_p parity(row p of L_k as a B-bit integer, column 0 the top bit, ∧ V_kj) · 2^(B−1−p)
              Owen's linear matrix scramble (Matoušek 1998; Owen 1998)
    e_k     : the digital shift, Σ_j b_kj 2^j with random bits b
    q_i     : point i as integers, q_0 = e, q_{i} = q_{i−1} ⊕ V'[:, c(i−1)], c(t) = the lowest
              zero bit of t (Antonov & Saleev 1979: Gray-code order); x_i = q_i · 2^−B

The randomness is scipy's: its generator for an integer seed s is `np.random.default_rng(s)`
(PCG64); it draws b with `integers(2, size=(d, B), dtype=uint32)`
and then L below the diagonal with `integers(2, size=(d, B, B), dtype=uint32)`. Drawing the
same calls in the same order from the same generator gives the same bits, hence the same
float64s. The table is the one scipy ships (`scipy/stats/_sobol_direction_numbers.npz`,
found through the scipy package's location, without importing it); where that file is
absent (another scipy layout) the points come from scipy's own `qmc.Sobol`: the same points
either way, only the import cost differs. The first n points are the first 2^⌈log2 n⌉
truncated, so a longer draw with the same seed begins with a shorter one.
"""

from __future__ import annotations

import functools
import importlib.util
import math
from pathlib import Path
from typing import cast

import numpy as np

__all__ = ["MAXDIM", "direction_numbers_file", "scrambled_sobol"]

MAXDIM = 21201  # rows of the Joe–Kuo table (scipy's `Sobol.MAXDIM`)
BITS = 30  # scipy's default `bits`
_SCRAMBLE_CHUNK = 512  # dimensions scrambled at once: bounds the (chunk, B, B) temporaries


def direction_numbers_file() -> Path | None:
    """The Joe–Kuo table scipy ships, or None where scipy keeps it elsewhere (or not at all)."""
    spec = importlib.util.find_spec("scipy")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        path = Path(location) / "stats" / "_sobol_direction_numbers.npz"
        if path.is_file():
            return path
    return None


@functools.cache
def _table(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(poly (MAXDIM,), vinit (MAXDIM, 18)) as int64, read once per process."""
    with np.load(path) as table:
        return table["poly"].astype(np.int64), table["vinit"].astype(np.int64)


@functools.lru_cache(maxsize=8)
def _direction_numbers(path: Path, dim: int) -> np.ndarray:
    """V (dim, B) uint32 of the module docstring, unscrambled; callers copy before writing."""
    poly, vinit = _table(path)
    poly, vinit = poly[:dim], vinit[:dim]
    degree = np.array([int(p).bit_length() - 1 for p in poly], dtype=np.int64)
    degree[0] = 0  # row 0 (poly 1) is all ones, not a recurrence
    max_degree = vinit.shape[1]
    m = np.zeros((dim, BITS), dtype=np.int64)
    m[:, :max_degree] = vinit[:, :max_degree]
    m[0] = 1
    rows = np.arange(dim)
    for j in range(1, BITS):
        recur = j >= degree  # rows whose m_j follows from earlier ones (the rest: the table's)
        recur[0] = False
        if not recur.any():
            continue
        r, s = rows[recur], degree[recur]
        value = m[r, j - s]
        for i in range(1, min(j, max_degree) + 1):
            use = (i <= s) & (((poly[r] >> np.maximum(s - i, 0)) & 1) == 1)
            value = value ^ np.where(use, m[r, j - i] << i, 0)
        m[r, j] = value
    return (m << (BITS - 1 - np.arange(BITS))).astype(np.uint32)


def _scrambled(path: Path, dim: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(V' (dim, B), e (dim,)) as uint32: scipy's draws, in scipy's order (module docstring)."""
    rng = np.random.default_rng(seed)
    shift_bits = rng.integers(2, size=(dim, BITS), dtype=np.uint32)
    shift = (shift_bits.astype(np.uint64) << np.arange(BITS, dtype=np.uint64)).sum(axis=1)
    lower = rng.integers(2, size=(dim, BITS, BITS), dtype=np.uint32)
    v = _direction_numbers(path, dim)
    top_first = np.uint64(1) << np.arange(BITS - 1, -1, -1, dtype=np.uint64)  # 2^(B−1−i)
    scrambled = np.empty((dim, BITS), dtype=np.uint64)
    for start in range(0, dim, _SCRAMBLE_CHUNK):
        stop = min(start + _SCRAMBLE_CHUNK, dim)
        matrix = np.tril(lower[start:stop]).astype(np.float64)
        matrix[:, np.arange(BITS), np.arange(BITS)] = 1.0
        # bit i (from the top) of V_kj; then row p of L_k · those bits, mod 2
        v_bits = ((v[start:stop, :, None].astype(np.uint64) & top_first) != 0).astype(np.float64)
        parity = (v_bits @ matrix.transpose(0, 2, 1)).astype(np.uint64) & np.uint64(1)
        scrambled[start:stop] = (parity * top_first).sum(axis=2)
    return scrambled.astype(np.uint32), shift.astype(np.uint32)


def scrambled_sobol(dim: int, n: int, seed: int) -> np.ndarray:
    """The first n points (n, dim) in [0, 1) of the scrambled Sobol sequence of `seed`:
    scipy.stats.qmc.Sobol's, drawn as the smallest power of two ≥ n and truncated (module
    docstring)."""
    if dim > MAXDIM:
        raise ValueError(f"scrambled_sobol: dim={dim} exceeds the Sobol tables' "
                         f"{MAXDIM} dimensions (Maximum supported dimensionality is {MAXDIM}.)")
    if n <= 0:
        return np.empty((0, dim))
    m = max(0, math.ceil(math.log2(n)))
    path = direction_numbers_file()
    if path is None:
        from scipy.stats import qmc  # the same points, at the import's cost

        sampler = qmc.Sobol(dim, scramble=True, seed=seed)
        return cast(np.ndarray, sampler.random_base2(m)[:n])
    v, shift = _scrambled(path, dim, seed)
    points = np.empty((1 << m, dim), dtype=np.uint32)
    points[0] = shift
    for k in range(m):  # Gray-code order: points 2^k..2^(k+1)−1 mirror 0..2^k−1, ⊕ column k
        points[1 << k: 2 << k] = points[(1 << k) - 1::-1] ^ v[:, k]
    return cast(np.ndarray, points[:n] * (1.0 / 2**BITS))

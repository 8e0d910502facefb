"""The walk for distinct points (`acquisition.optimizer.first_distinct`).

What is checked: the blocked walk returns the indices, in order, that checking each
index one at a time returns (`_one_by_one`, the plain reference below) — on random
points, on grid points whose distances tie the tolerance exactly, with repeated
indices, NaN rows, an empty `avoid`, orders with tied values, and every `limit`; and a
walk past m avoided points computes its distances to `avoid` in O(log m) array passes,
not one per point.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
import pytest

from acquisition.optimizer import _BLOCK_ENTRIES, _descending_walk, first_distinct


def _one_by_one(points: np.ndarray, order: Iterable[int], avoid: np.ndarray,
                min_distance: float, limit: int | None = None) -> list[int]:
    """The reference: each index of `order` checked alone against `avoid` and the chosen."""
    chosen: list[int] = []
    for index in order:
        x = points[index]
        if avoid.shape[0] and np.min(np.sum((avoid - x) ** 2, axis=1)) <= min_distance**2:
            continue
        if chosen and np.min(np.sum((points[chosen] - x) ** 2, axis=1)) <= min_distance**2:
            continue
        chosen.append(int(index))
        if len(chosen) == limit:
            break
    return chosen


def _cases() -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(points (m, d), avoid (p, d), values (m,)): grids of step 0.25 (squared distances
    are exact multiples of 0.0625, so 0.25 ties the tolerance), most rows avoided, tied
    values; random points; NaN rows; -0.0 in the points; an inf row in `avoid`;
    no avoid."""
    rng = np.random.default_rng(44)
    for m, p, d in [(1, 0, 1), (5, 3, 2), (64, 0, 4), (200, 150, 3), (700, 500, 3),
                    (300, 40, 12), (600, 590, 1)]:
        grid = rng.integers(0, 5, size=(m, d)) / 4.0
        avoid = np.concatenate([grid[rng.permutation(m)[:p]],
                                rng.integers(0, 5, size=(p // 3, d)) / 4.0])[:p]
        values = np.round(rng.standard_normal(m), 1)
        yield grid, avoid, values
        points = rng.random((m, d))
        yield points, points[rng.permutation(m)[:p]], rng.standard_normal(m)
        with_nan = grid.copy()
        with_nan[rng.random(m) < 0.1, 0] = np.nan
        avoid_nan = avoid.copy()
        if p:
            avoid_nan[0, -1] = np.nan
        yield with_nan, avoid_nan, np.round(rng.standard_normal(m), 1)
        signed = grid * rng.choice([1.0, -1.0], size=grid.shape)  # -0.0 equals 0.0, not bitwise
        yield signed, avoid, np.round(rng.standard_normal(m), 1)
        if p:
            yield grid, np.concatenate([avoid, np.full((1, d), np.inf)]), values


@pytest.mark.parametrize("limit", [None, 1, 3, 10])
@pytest.mark.parametrize("min_distance", [0.0, 1e-6, 0.25, 0.5])
def test_blocked_walk_chooses_the_indices_of_the_one_by_one_walk(
        limit: int | None, min_distance: float) -> None:
    rng = np.random.default_rng(7)
    for points, avoid, values in _cases():
        orders = [list(_descending_walk(values)), list(range(len(points))),
                  list(rng.integers(0, len(points), size=2 * len(points)))]  # repeats
        for order in orders:
            expected = _one_by_one(points, order, avoid, min_distance, limit)
            assert first_distinct(points, order, avoid, min_distance, limit) == expected
            assert first_distinct(points, iter(order), avoid, min_distance, limit) == expected
        assert (first_distinct(points, _descending_walk(values), avoid, min_distance, limit)
                == _one_by_one(points, _descending_walk(values), avoid, min_distance, limit))


class _CountedSubtractions(np.ndarray):
    """An array that counts the subtractions it takes part in (class-wide)."""

    count = 0

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: object,
                        **kwargs: object) -> object:
        if ufunc is np.subtract:
            type(self).count += 1
        plain = tuple(np.asarray(x) if isinstance(x, _CountedSubtractions) else x
                      for x in inputs)
        return getattr(ufunc, method)(*plain, **kwargs)


def test_a_walk_past_avoided_points_takes_few_array_passes() -> None:
    """2,048 grid points, all but the last index in `avoid`: a one-by-one walk subtracts
    each point from `avoid` (2,047 passes); blocks of 1, 2, 4, … up to `most` rows (a
    block's distances at most `_BLOCK_ENTRIES`) take about log2(most) + m / most."""
    m = 2048
    points = np.stack([np.arange(m) % 64, np.arange(m) // 64], axis=1) / 64.0
    avoid = points[:-1].copy().view(_CountedSubtractions)
    _CountedSubtractions.count = 0
    assert first_distinct(points, range(m), avoid, 1e-6, limit=1) == [m - 1]
    most = _BLOCK_ENTRIES // avoid.size
    assert 16 < most < m
    assert _CountedSubtractions.count <= np.ceil(np.log2(most)) + 1 + np.ceil(m / most)

"""CArBO's cost-effective initial design: cheap points that still fill the space.

    C     : (m, d) encoded candidates, admitted by the input constraints and new
    X     : (n, d) encoded points observed (failures included) or pending
    log_c : (m,)   predicted log cost of each candidate (the cost GP's mean)
    δ     : (m,)   distance of each candidate to its nearest row of X (unit cube;
                   its square is used, which ranks the candidates alike)

Lee, Perrone, Archambeau & Seeger (2020), "Cost-aware Bayesian Optimization",
arXiv:2003.10870, Eq. 1 and Algorithm 1 ("cost-effective initial design"):
the design should have a small fill distance sup_x min_j ‖x − x_j‖ under a
budget on its summed cost, which is NP-hard; greedily, each design point is the
survivor of an elimination over a discretization of the domain that removes,
in turn, the most expensive remaining candidate and the remaining candidate
nearest to the design so far, until one is left. The survivor is both cheap
and far from the design. With a constant cost the rule is the cost-blind greedy
maximin design (the survivor is the candidate farthest from the design).

Here (`OptimizerOptions(cost_design=CostDesignOptions())`, acquisition
"logei_per_cost" only) the design keeps its `n_initial` points: the first
`n_space_filling` are the scrambled-Sobol points of the ordinary design, so
that the GP on log cost (`bayesopt.outcomes`) has data; each further design
point is the survivor above among `n_candidates` scrambled-Sobol candidates of
the ask's generator, the cost predicted by that GP. While no cost has been
told (a first batch, or tells without `cost=`) the design stays Sobol. Lee et
al. spend a budget τ_init = τ/8 on the design instead of a number of points;
the number is kept here so that the model takes over when it does with the
Sobol design, with or without `cost_budget`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

import numpy as np

from acquisition.checks import check_fields, integer, rule


@dataclass(frozen=True)
class CostDesignOptions:
    """The cost-effective initial design (module docstring); each field checked."""

    # Sobol points before the cost-effective ones (the cost GP's first data)
    n_space_filling: int = field(default=2, metadata=rule(integer(minimum=1)))
    # candidates of each elimination (the discretization of the domain)
    n_candidates: int = field(default=1024, metadata=rule(integer(minimum=2)))

    def __post_init__(self) -> None:
        check_fields(self)


def survivor(log_cost: np.ndarray, distance: np.ndarray) -> int:
    """Index of the candidate left after removing, in turn, the most expensive and the
    nearest remaining one (Lee et al. 2020, Algorithm 1); log_cost, distance: (m,).
    Ties in cost go to the nearer candidate and ties in distance to the more expensive,
    so with a constant cost the survivor is the farthest candidate (greedy maximin)."""
    m = log_cost.shape[0]
    assert m >= 1 and distance.shape == (m,), f"{m} costs, distance {distance.shape}"
    orders = (np.lexsort((distance, -log_cost)),  # most expensive first, then nearest
              np.lexsort((-log_cost, distance)))  # nearest first, then most expensive
    removed = np.zeros(m, dtype=bool)
    cursors = [0, 0]
    for step in range(m - 1):
        order, turn = orders[step % 2], step % 2
        while removed[order[cursors[turn]]]:
            cursors[turn] += 1
        removed[order[cursors[turn]]] = True
    return int(np.flatnonzero(~removed)[0])


def nearest_squared_distance(candidates: np.ndarray, design: np.ndarray) -> np.ndarray:
    """δ²: (m,) squared Euclidean distance of each candidate (m, d) to its nearest design
    row (n, d); +inf for every candidate when the design is empty."""
    if design.shape[0] == 0:
        return np.full(candidates.shape[0], np.inf)
    squared: np.ndarray = np.sum((candidates[:, None, :] - design[None, :, :]) ** 2, axis=2)
    return cast(np.ndarray, np.min(squared, axis=1))

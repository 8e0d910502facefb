"""MACE: HEBO's multi-objective acquisition ensemble (``acquisition="mace"``).

    K      : the ensemble's members, `MACE_MEMBERS` — LogEI, log PI and UCB (−LCB)
    P      : (m, c) a pool of encoded candidate points, none near an observed or pending one
    A      : (m, K) the members' values on P (larger is better for every member)
    front  : the rows of P that no other row dominates in A (the Pareto front)

Cowen-Rivers, Lyu, Tutunov, Wang, Grosnit, Griffiths, Maraval, Jianye, Wang, Peters &
Bou-Ammar (2022), "HEBO: Pushing the limits of sample-efficient hyperparameter
optimisation", JAIR 74 (the acquisition of the NeurIPS 2020 black-box optimisation
challenge's winner). Instead of maximizing one acquisition, MACE treats EI, PI and UCB as
the objectives of one multi-objective problem, finds its Pareto front, and evaluates a
point drawn uniformly from the front. Row a dominates row b when a ≥ b in every member
and a > b in one; rows with equal scores do not dominate each other, so every copy of a
non-dominated score is on the front.

What is built here, and how it differs from HEBO:

- The members are in log space where the library has them so (LogEI, Ament et al. 2023;
  log PI, `acquisition.functions.ProbabilityOfImprovement`) and UCB with the library's β
  (the GP-UCB schedule or ``ucb_beta=``). A strictly increasing transform of a member
  leaves the dominance relation unchanged, so this is HEBO's front wherever EI and PI
  do not underflow; where they do, the logs still order the points instead of tying them
  at 0.
- HEBO searches the front with NSGA-II. Here it is the front of a finite pool: each
  member's polished maximizer (the library's acquisition optimizer,
  `acquisition.optimizer.optimize_acquisition`) and one more pool of the candidates that
  optimizer scores (scrambled-Sobol points of the domain and perturbations of the best
  observations, `acquisition.optimizer.candidate_pool`), so the front's extremes are
  converged optima and its interior is the candidates no other pooled point beats in all
  three. Why: it reuses the optimizer that handles integers, categoricals, conditional
  spaces and input constraints, and it costs three acquisition searches and one scoring
  pass, with no evolutionary loop to tune.
- A candidate within `min_distance` of an observed or pending point is left out of the
  pool, and a front point within it of an earlier front point is left out of the front, so
  the front holds distinct new points. Each member's maximizer stays in the pool whatever
  its distance: it is the point that member alone would ask (a random new point when its
  search finds none), so the front is never empty.
- Batches: the points of one ask are drawn from the same front without replacement. Only
  when the front has fewer new points than the batch needs is a new front built, on the GP
  with the batch's points so far as fantasies (kriging believer, as every other
  acquisition's batch).

Everything an ask decides is a function of the state (the told and pending points) and the
ask's generator: nothing is carried from one ask to the next, so a journal's replay or a
resumed optimizer asks the same points with no extra record in the ask event.
"""

from __future__ import annotations

import numpy as np

from acquisition.optimizer import first_distinct

__all__ = ["MACE_MEMBERS", "distinct_rows", "non_dominated"]

# acquisition kinds of the ensemble (bayesopt.propose.ACQUISITION_KINDS); "pi" is log PI
MACE_MEMBERS = ("logei", "pi", "ucb")


def non_dominated(scores: np.ndarray) -> np.ndarray:
    """Indices (ascending) of the rows of `scores` (m, K) that no other row dominates.

    Rows are visited in decreasing lexicographic order: a row that dominates another is
    lexicographically greater, so it is visited first, and a dominated row is dominated by
    a row already kept (dominance is transitive), so each row is compared with the front
    kept so far only — O(m·|front|·K) instead of the O(m²·K) of comparing every pair.
    """
    scores = np.asarray(scores, dtype=float)
    if scores.ndim != 2:
        raise ValueError(f"scores must be a 2-d array (points, members), got shape {scores.shape}")
    if np.isnan(scores).any():
        raise ValueError("scores must not hold NaN: a NaN score dominates nothing and is "
                         "dominated by nothing")
    m, k = scores.shape
    order = np.lexsort(scores.T[::-1])[::-1]  # column 0 the primary key, decreasing
    front = np.empty((m, k))
    kept: list[int] = []
    for index in order:
        row = scores[index]
        head = front[: len(kept)]
        if np.any(np.all(head >= row, axis=1) & np.any(head > row, axis=1)):
            continue
        front[len(kept)] = row
        kept.append(int(index))
    return np.sort(np.array(kept, dtype=np.int64))


def distinct_rows(X: np.ndarray, avoid: np.ndarray, min_distance: float) -> np.ndarray:
    """Indices (ascending) of the rows of X (m, c) farther than `min_distance` from every row
    of `avoid` (p, c) and from every earlier row kept (`acquisition.optimizer.first_distinct`
    in row order)."""
    return np.array(first_distinct(X, range(X.shape[0]), avoid, min_distance), dtype=np.int64)

"""GP-Hedge: a portfolio of acquisition functions chosen by the Hedge bandit rule.

    K        : the portfolio's members (acquisition kinds, `HedgeOptions.members`)
    g        : (K,) cumulative gains, one per member
    x_k^t    : (c,) member k's nominee at round t (the maximizer of its acquisition)
    μ_t(x)   : the GP posterior mean (standardized minimization targets) after the
               observations told up to the ask of round t + 1
    η        : the Hedge learning rate (`HedgeOptions.eta`)

Hoffman, Brochu & de Freitas (2011), "Portfolio Allocation for Bayesian
Optimization", Algorithm 2 (GP-Hedge), for minimization: at each round every
member nominates its maximizer x_k^t; one nominee is evaluated, member k with
probability

    p_k = exp(η g_k) / Σ_j exp(η g_j);

after the model is refitted to the new observation every member is credited

    g_k ← g_k − μ_t(x_k^t)

(the paper maximizes and adds μ_t; the posterior mean is negated here because
the targets are minimized). A round is credited at the next model-based ask, with
the model that ask uses (conditioned on every told observation, before any
pending point is fantasized); the points of one batch share the gains.

State as a fold over events: an ask carries a `HedgeRecord` — the gains its
choices used, every member's nominee of each model-based point and the member
chosen — and the state keeps the last one applied. The next ask credits that
record's nominees, so gains are a fold of the asks' records and a replay (a
journal, a shared study) asks what the original did.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from acquisition.checks import check_fields, real, rule

__all__ = ["HEDGE_MEMBERS", "HedgeOptions", "HedgeRecord", "choose", "credit", "probabilities"]

# acquisition kinds a portfolio may hold (each with an incumbent-free or incumbent build)
HEDGE_MEMBERS = ("logei", "ei", "pi", "ucb")


def _members(key: str, value: Any) -> tuple[str, ...]:
    """Two or more distinct names of `HEDGE_MEMBERS`, as a tuple."""
    if not isinstance(value, (tuple, list)) or isinstance(value, str):
        raise TypeError(f"{key}={value!r} must be a tuple of acquisition names")
    members = tuple(value)
    for name in members:
        if name not in HEDGE_MEMBERS:
            raise ValueError(f"{key}={value!r}: member {name!r} must be one of "
                             f"{list(HEDGE_MEMBERS)}")
    if len(set(members)) != len(members) or len(members) < 2:
        raise ValueError(f"{key}={value!r} must name at least two distinct acquisitions")
    return members


@dataclass(frozen=True)
class HedgeOptions:
    """The portfolio of `acquisition="hedge"`: its members and the Hedge rate η.

    The paper's portfolio is EI, PI and UCB; PI is left out of the default because
    the gain −μ(x_k) rewards the member whose nominee has the lowest posterior mean,
    and PI, the most exploitative, then takes over (`bench/results/ablation_hedge.md`).
    The paper leaves η free (its regret bound holds for any η > 0); η = 0.1 was
    chosen by measurement against 1 and 0.01 (the same file).
    """

    members: tuple[str, ...] = field(default=("logei", "ucb"), metadata=rule(_members))
    eta: float = field(default=0.1, metadata=rule(real(0.0, low_open=True)))

    def __post_init__(self) -> None:
        check_fields(self)


@dataclass(frozen=True, eq=False)
class HedgeRecord:
    """What one ask's portfolio did: the gains (K,) its choices used, and per model-based
    point every member's nominee (K, c) and the index of the member chosen."""

    gains: tuple[float, ...]
    nominees: tuple[np.ndarray, ...] = ()  # each (K, c), encoded
    chosen: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        """The record's invariants, whoever builds it (an ask or a journal's `from_dict`)."""
        k = len(self.gains)
        columns = {n.shape[-1] for n in self.nominees if n.ndim == 2}
        if (k < 2 or not all(math.isfinite(g) for g in self.gains)
                or len(self.nominees) != len(self.chosen) or len(columns) > 1
                or any(n.ndim != 2 or n.shape[0] != k for n in self.nominees)
                or any(isinstance(c, bool) or not isinstance(c, int) or not 0 <= c < k
                       for c in self.chosen)):
            raise ValueError(f"invalid hedge record: gains={self.gains!r}, nominee shapes="
                             f"{[n.shape for n in self.nominees]!r}, chosen={self.chosen!r}")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, HedgeRecord):
            return NotImplemented
        return (self.gains == other.gains and self.chosen == other.chosen
                and len(self.nominees) == len(other.nominees)
                and all(np.array_equal(a, b) for a, b in zip(self.nominees, other.nominees)))

    __hash__ = None  # type: ignore[assignment]  # holds arrays

    def to_dict(self) -> dict[str, Any]:
        return {"gains": list(self.gains), "nominees": [n.tolist() for n in self.nominees],
                "chosen": list(self.chosen)}

    @classmethod
    def from_dict(cls, spec: Any) -> HedgeRecord:
        """Parse a record of a journal; raises ValueError naming what is wrong."""
        if not isinstance(spec, Mapping) or not {"gains", "nominees", "chosen"} <= set(spec):
            raise ValueError(f"hedge record {spec!r} needs gains, nominees and chosen")
        try:
            gains = np.asarray(spec["gains"], dtype=float)
            nominees = [np.asarray(n, dtype=float) for n in spec["nominees"]]
        except (TypeError, ValueError):
            raise ValueError(f"hedge record {dict(spec)!r} has non-numeric gains or nominees"
                             ) from None
        chosen = spec["chosen"]
        if gains.ndim != 1 or not isinstance(chosen, list):
            raise ValueError(f"invalid hedge record {dict(spec)!r}")
        return cls(tuple(float(g) for g in gains), tuple(nominees), tuple(chosen))


def probabilities(gains: np.ndarray, eta: float) -> np.ndarray:
    """p (K,) = softmax(η g), shifted by max(η g) so that no exp overflows."""
    scaled = eta * np.asarray(gains, dtype=float)
    weights = np.exp(scaled - np.max(scaled))
    return weights / np.sum(weights)  # type: ignore[no-any-return]


def choose(gains: np.ndarray, eta: float, rng: np.random.Generator) -> int:
    """A member index drawn from `probabilities(gains, eta)` with one uniform of `rng`."""
    cumulative = np.cumsum(probabilities(gains, eta))
    index = int(np.searchsorted(cumulative, rng.random(), side="right"))
    return min(index, len(cumulative) - 1)  # a rounding shortfall of the last sum


def credit(record: HedgeRecord | None, n_members: int,
           mean: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """The gains (K,) after crediting `record`'s nominees: g_k − Σ_points μ(x_k) (zeros
    without a record). `mean` maps encoded points (m, c) to posterior means (m,)."""
    if record is None:
        return np.zeros(n_members)
    assert len(record.gains) == n_members, "the record of this portfolio"
    gains = np.array(record.gains, dtype=float)
    for nominees in record.nominees:
        gains -= mean(nominees)
    return gains

"""A third-party optimizer and problem for the quality suite, run without editing bench/.

    PYTHONPATH=. python -m bench.quality \
        --optimizer examples.bench_adapter:OnePlusOne --optimizers random \
        --problem examples.bench_adapter:NoisySphere --problems branin \
        --seeds 2 --budget 20 --out /tmp/my-bench

`OnePlusOne` follows `bench.protocol.OptimizerAdapter`: a (1+1) evolution
strategy with the one-fifth success rule (Rechenberg, 1973; Auger & Hansen,
"Tutorial on evolution strategies"), working in the unit cube of each
dimension's own scale (log dimensions in log space); categoricals mutate to
a random other choice with probability 1/d. `NoisySphere` follows
`bench.protocol.Problem`: f(x) = Σ (x_i − 1)² on [−5, 5]³ plus seeded
Gaussian noise of std 0.1; f* = 0 at x = (1, 1, 1).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from bayesopt.space import Categorical, Dimension, Real
from bench.adapters import Adapter

Params = dict[str, Any]


class OnePlusOne(Adapter):
    """(1+1)-ES: ask the incumbent plus Gaussian steps of size σ; σ adapts by the 1/5 rule."""

    name = "one-plus-one"  # the name in the report and the run cache (else the class name)

    def __init__(self, space: Mapping[str, Dimension], seed: int, n_initial: int) -> None:
        super().__init__(space, seed, n_initial)  # self.space, self.seed, self.n_initial
        self.rng = np.random.default_rng(seed)
        self.sigma = 0.2  # step size in the unit cube
        self.best: tuple[Params, float] | None = None
        self.told = 0
        self.improvements = 0  # after the initial design

    def ask(self) -> Params:
        if self.best is None or self.told < self.n_initial:  # the initial design: uniform
            u = self.rng.random((1, self.space.n_dims))  # (1, d)
            return self.space.decode(self.space.from_unit(u))[0]
        return self.canonical({name: self._mutate(dim, self.best[0][name])
                               for name, dim in zip(self.space.names, self.space.dimensions)})

    def _mutate(self, dim: Dimension, value: Any) -> Any:
        if isinstance(dim, Categorical):
            if self.rng.random() >= 1.0 / self.space.n_dims:
                return value
            return dim.choices[int(self.rng.integers(len(dim.choices)))]
        to_unit, from_unit = _unit_scale(dim)
        u = to_unit(value) + self.sigma * self.rng.standard_normal()
        return from_unit(min(max(u, 0.0), 1.0))

    def tell(self, params: Params, value: float) -> None:
        self.told += 1
        improved = self.best is None or value < self.best[1]
        if self.told > self.n_initial:  # 1/5 success rule: σ stays put at a 1/5 success rate
            self.sigma = min(max(self.sigma * math.exp(0.8 if improved else -0.2), 1e-6), 0.5)
            self.improvements += improved
        if improved:
            self.best = (dict(params), value)

    def stats(self) -> dict[str, Any]:
        """Counters, summed over the runs in the report's notes."""
        return {"improvements_after_the_design": self.improvements}


def _unit_scale(dim: Dimension) -> tuple[Any, Any]:
    """(value → [0, 1], [0, 1] → value) on the dimension's own scale."""
    log = bool(getattr(dim, "log", False))
    w = math.log if log else float
    low, high = w(dim.low), w(dim.high)  # type: ignore[attr-defined]

    def from_unit(u: float) -> float:
        x = low + u * (high - low)
        return math.exp(x) if log else x

    return (lambda v: (w(v) - low) / (high - low)), from_unit


class NoisySphere:
    """f(x) = Σ_{i=1}^{3} (x_i − 1)² on [−5, 5]³, observed with N(0, 0.1²) noise seeded per run."""

    name = "noisy_sphere"
    kind = "noisy"  # evaluate() is noisy; true_value() is not
    budget = 30
    optimum = 0.0  # at x = (1, 1, 1)
    minimize = True
    noise_std = 0.1

    def __init__(self, seed: int) -> None:
        self.space: dict[str, Dimension] = {f"x{i}": Real(-5.0, 5.0) for i in range(1, 4)}
        self.rng = np.random.default_rng([seed, 2024])  # the same noise for every optimizer

    def true_value(self, params: Mapping[str, Any]) -> float:
        return float(sum((float(params[name]) - 1.0) ** 2 for name in self.space))

    def evaluate(self, params: Mapping[str, Any]) -> float:
        return self.true_value(params) + self.noise_std * float(self.rng.standard_normal())

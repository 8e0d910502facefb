"""The relative search space of a define-by-run study: shared parameters and inferred conditions.

    trials   the study's COMPLETE trials (those Optuna's `IntersectionSearchSpace` reads)
    shared   the parameters every one of them has, each with one distribution
             (Optuna's intersection search space)
    p | c ∈ S  a parameter p that not every trial has is conditional on a categorical
             parent c of the space when, in every trial,
                 p is present  ⇔  c is present and c's value is in S
             S (the values of c seen with p) is then non-empty; p must have one
             distribution wherever it appears. Parents are tried shared ones first,
             then conditional ones found in the round before (nesting), each round in
             name order; the first that explains p is its parent.

Anything else — a parameter whose distribution changed between trials, or whose
presence no single categorical explains — stays outside the relative space, and
Optuna samples it independently. A distribution the optimizer cannot search
(`is_supported`: a single value, an unknown type) is never in the space and is never
a parent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from optuna.distributions import BaseDistribution, CategoricalDistribution
from optuna.trial import FrozenTrial, TrialState

from bayesopt.integrations._optuna_space import is_supported

__all__ = ["Condition", "Structure", "infer_structure"]


@dataclass(frozen=True)
class Condition:
    """A parameter is present iff `parent` is present with its choice index in `allowed`."""

    parent: str
    allowed: tuple[int, ...]  # indices into the parent's CategoricalDistribution.choices


@dataclass(frozen=True)
class Structure:
    """The modelled parameters (sorted by name) and the conditions of the conditional ones."""

    distributions: dict[str, BaseDistribution] = field(default_factory=dict)
    conditions: dict[str, Condition] = field(default_factory=dict)

    def restricted(self, search_space: Mapping[str, BaseDistribution]) -> Structure:
        """The structure of `search_space` (which a wrapper such as `PartialFixedSampler`
        may have cut): its parameters with the conditions inferred for them; one whose
        parent (or a parent's parent) is not in it is left out; one with no inferred
        condition is unconditional."""
        conditions = {name: c for name, c in self.conditions.items()
                      if search_space.get(name) == self.distributions.get(name)}
        dropped: set[str] = set()
        changed = True
        while changed:
            changed = False
            for name, condition in conditions.items():
                parent = condition.parent
                if name not in dropped and (parent in dropped or search_space.get(parent)
                                            != self.distributions.get(parent)):
                    dropped.add(name)
                    changed = True
        distributions = {name: dist for name, dist in sorted(search_space.items())
                         if name not in dropped}
        return Structure(distributions, {name: c for name, c in conditions.items()
                                         if name not in dropped})

    def covered_by(self, fixed: Mapping[str, Any]) -> bool:
        """Whether `fixed` values (an enqueued trial's) fix every parameter active under
        them, so there is nothing to ask; a child of an unfixed parent may be active."""
        def active(name: str) -> bool:
            condition = self.conditions.get(name)
            if condition is None:
                return True
            parent = condition.parent
            if not active(parent):
                return False
            if parent not in fixed:
                return True
            try:
                index = int(self.distributions[parent].to_internal_repr(fixed[parent]))
            except ValueError:  # not a choice: Optuna fails the trial when it is suggested
                return False
            return index in condition.allowed

        return all(name in fixed for name in self.distributions if active(name))

    def key(self) -> tuple[Any, ...]:
        """Hashable identity: the distributions and the conditions."""
        return (tuple(sorted(self.distributions.items(), key=lambda item: item[0])),
                tuple(sorted((name, c.parent, c.allowed) for name, c in self.conditions.items())))


def infer_structure(trials: Sequence[FrozenTrial]) -> Structure:
    """The shared parameters and the conditional ones of the study's COMPLETE trials."""
    completed = [t for t in trials if t.state == TrialState.COMPLETE]
    consistent = _consistent_distributions(completed)
    shared = {name: dist for name, dist in consistent.items()
              if all(name in t.distributions for t in completed)}
    space = {name: dist for name, dist in shared.items() if is_supported(dist)}
    remaining = sorted(name for name, dist in consistent.items()
                       if name not in shared and is_supported(dist))
    conditions: dict[str, Condition] = {}
    parents = _categoricals(space, sorted(space))
    while parents and remaining:
        found = []
        for name in remaining:
            for parent in parents:
                allowed = _explains(completed, name, parent, space[parent])
                if allowed is not None:
                    conditions[name] = Condition(parent, allowed)
                    space[name] = consistent[name]
                    found.append(name)
                    break
        remaining = [name for name in remaining if name not in conditions]
        parents = _categoricals(space, found)
    return Structure(dict(sorted(space.items())), conditions)


def _consistent_distributions(trials: Sequence[FrozenTrial]) -> dict[str, BaseDistribution]:
    """Each parameter that has one distribution in every trial where it appears."""
    seen: dict[str, BaseDistribution | None] = {}
    for trial in trials:
        for name, dist in trial.distributions.items():
            if name not in seen:
                seen[name] = dist
            elif seen[name] != dist:
                seen[name] = None
    return {name: dist for name, dist in seen.items() if dist is not None}


def _categoricals(space: Mapping[str, BaseDistribution], names: Sequence[str]) -> list[str]:
    return [name for name in names if isinstance(space[name], CategoricalDistribution)]


def _explains(trials: Sequence[FrozenTrial], name: str, parent: str,
              parent_dist: BaseDistribution) -> tuple[int, ...] | None:
    """The choice indices S of `parent` with `name` present ⇔ parent present and in S, or None."""
    allowed: set[int] = set()
    for trial in trials:
        if name in trial.params:
            if parent not in trial.params:
                return None
            allowed.add(int(parent_dist.to_internal_repr(trial.params[parent])))
    for trial in trials:
        if (name not in trial.params and parent in trial.params
                and int(parent_dist.to_internal_repr(trial.params[parent])) in allowed):
            return None
    return tuple(sorted(allowed))

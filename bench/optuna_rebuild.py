"""What a `BayesoptSampler` rebuilding its optimizer from a study spends, by call.

    python -m bench.optuna_rebuild [--trials 500] [--pruned 200] [--values 10] [--dims 4]

An in-memory Optuna study of `--trials` trials on `--dims` floats in [0, 1] (seeded
uniform params, value Σ(x - 0.3)²): `--pruned` of them (every 5th and 5th + 2 first,
then as needed) PRUNED with `--values` intermediate values each (value + 1/step at steps
1, 2, ...), the others COMPLETE. A new `BayesoptSampler(seed=0)` then samples one trial:
its optimizer is built from the study (`_Follower.sync`: per PRUNED trial an
`add_pending`, a `report` of its curve and a `tell(pruned=True)`; then one tell of the
COMPLETE trials) and asks. Reported: the CPU seconds of that first sample in all, and the
calls and CPU seconds of each `Optimizer` method the rebuild calls (wrapped here to count
them), and the trial's params (equal across versions when the asks are).
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
import warnings
from typing import Any


def main(argv: list[str] | None = None) -> int:
    import numpy as np
    import optuna
    from optuna.distributions import BaseDistribution, FloatDistribution
    from optuna.trial import TrialState, create_trial

    from bayesopt import Optimizer
    from bayesopt.integrations.optuna import BayesoptSampler

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=500)
    parser.add_argument("--pruned", type=int, default=200)
    parser.add_argument("--values", type=int, default=10)
    parser.add_argument("--dims", type=int, default=4)
    args = parser.parse_args(argv)
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.simplefilter("ignore")
    spent: dict[str, float] = collections.defaultdict(float)
    calls: collections.Counter[str] = collections.Counter()

    def counted(name: str) -> Any:
        original = getattr(Optimizer, name)

        def wrapped(self: Optimizer, *a: Any, **k: Any) -> Any:
            start = time.process_time()
            try:
                return original(self, *a, **k)
            finally:
                spent[name] += time.process_time() - start
                calls[name] += 1
        return wrapped

    for name in ("add_pending", "report", "tell", "tell_failure"):
        setattr(Optimizer, name, counted(name))
    rng = np.random.default_rng(0)
    dists: dict[str, BaseDistribution] = {
        f"x{i}": FloatDistribution(0.0, 1.0) for i in range(args.dims)}
    pruned = {n for n in range(args.trials) if n % 5 in (1, 3)}
    pruned = set(sorted(pruned)[:args.pruned]) | set(
        sorted(set(range(args.trials)) - pruned)[:max(0, args.pruned - len(pruned))])
    study = optuna.create_study()
    for number in range(args.trials):
        params = {k: float(rng.random()) for k in dists}
        value = float(sum((v - 0.3) ** 2 for v in params.values()))
        if number in pruned:
            curve = {s: value + 1.0 / s for s in range(1, args.values + 1)}
            study.add_trial(create_trial(params=params, distributions=dists,
                                         state=TrialState.PRUNED, intermediate_values=curve))
        else:
            study.add_trial(create_trial(params=params, distributions=dists, value=value))
    study.sampler = BayesoptSampler(seed=0)
    start = time.process_time()
    trial = study.ask()
    for name in dists:
        trial.suggest_float(name, 0.0, 1.0)
    total = time.process_time() - start
    print(f"{args.trials} trials, {len(pruned)} pruned with {args.values} values each: "
          f"first sample {total:.2f} s CPU")
    for name in calls:
        print(f"  {name}: {calls[name]} calls, {spent[name]:.2f} s")
    print(f"  params {trial.params}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""CPU cost of one ask with the model options of issue 17, against the MAP default.

    python -m bench.model_options_cost [--sizes 50,100] [--steps 3] [--out FILE]

For Hartmann-6 (d = 6) and each n: tell n random observations at once, then
time `--steps` consecutive ask+tell steps in CPU seconds (`time.process_time`,
one BLAS and one Numba thread). Below n = 200 the hyperparameters are refit
after every tell (`ModelOptions.refit_every_step_until`), so a step is one
refit (MAP fit, or a slice-sampling chain) plus one acquisition optimization.
Variants: the default (MAP), `hyperparameters="mcmc"` with its default chain
(20 burn-in sweeps, 10 samples one every 2 sweeps), `input_warping=True`, both,
`kernel_candidates=("matern32",)` (Matérn-5/2 and 3/2 fitted at each refit, the
higher log posterior used), and the same with `kernel_average=True` (the acquisition
averaged over both GPs); and two that change the acquisition instead, GP-Hedge over LogEI
and UCB (`acquisition="hedge"`, Hoffman et al. 2011) alone and with the kernel selection
(`ACQUISITIONS` names them); and one that narrows the acquisition search instead, the
TuRBO-1 trust region (`OptimizerOptions(trust_region=TrustRegionOptions())`, Eriksson et al.
2019; `TRUST_REGIONS` names it); and noisy EI (`acquisition="lognei"`, Letham et al. 2019)
and HEBO's MACE (`acquisition="mace"`, Cowen-Rivers et al. 2022); and Optuna GPSampler's
priors with its noise floor 1e-6 (`lengthscale_prior`, `variance_prior` and
`noise_prior="optuna"`, `bayesopt.priors`); and GPSampler's choice of the acquisition
search's starts (`AcquisitionOptimizerOptions(start_selection="roulette")`) and its warm
start, one more local search from the incumbent (`incumbent_start=True`; `SEARCHES` names
them); and augmented EI (`acquisition="logaei"`, Huang et al. 2006); and each refit started
at the prior's mode (`ModelOptions(fit_start="mode")`), with and without the prior
restarts (`n_restarts=0`). `--variants` picks
some of
them by name (the default is
always measured first: the ratios are to it). The table is printed and written to
`--out` (default: none).
"""

from __future__ import annotations

import argparse
import functools
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from acquisition.optimizer import AcquisitionOptimizerOptions
from bayesopt import Optimizer, OptimizerOptions
from bayesopt.argtypes import positive_int
from bayesopt.choices import AcquisitionName
from bayesopt.fitting import FitOptions
from bayesopt.model import ModelOptions
from bayesopt.test_functions import Hartmann6
from bayesopt.trust_region import TrustRegionOptions
from kernels.threads import numeric_threads

VARIANTS = {
    "map (default)": ModelOptions(),
    "mcmc": ModelOptions(hyperparameters="mcmc"),
    "input warping": ModelOptions(input_warping=True),
    "mcmc + warping": ModelOptions(hyperparameters="mcmc", input_warping=True),
    "kernel selection 5/2 or 3/2": ModelOptions(kernel_candidates=("matern32",)),
    "kernel average 5/2 and 3/2": ModelOptions(kernel_candidates=("matern32",),
                                               kernel_average=True),
    "hedge (logei + ucb)": ModelOptions(),
    "kernel selection + hedge": ModelOptions(kernel_candidates=("matern32",)),
    "trust region (turbo-1)": ModelOptions(),
    "noisy ei (lognei)": ModelOptions(),
    "mace (logei + pi + ucb front)": ModelOptions(),
    "optuna priors": ModelOptions(lengthscale_prior="optuna", variance_prior="optuna",
                                  noise_prior="optuna", fit=FitOptions(noise_bounds=(1e-6, 10.0))),
    "roulette starts": ModelOptions(),
    "incumbent start": ModelOptions(),
    "augmented ei (logaei)": ModelOptions(),
    "fit from the mode": ModelOptions(fit_start="mode"),
    "local map (mode; no restarts)": ModelOptions(fit_start="mode", n_restarts=0),
}
# variants that ask with another acquisition than the default's "logei"
ACQUISITIONS: dict[str, AcquisitionName] = {"hedge (logei + ucb)": "hedge", "kernel selection + hedge": "hedge",
                "noisy ei (lognei)": "lognei", "mace (logei + pi + ucb front)": "mace",
                "augmented ei (logaei)": "logaei"}
# variants that search the acquisition inside a trust region
TRUST_REGIONS = {"trust region (turbo-1)": TrustRegionOptions()}
# variants that change the acquisition optimizer's options
SEARCHES = {"roulette starts": AcquisitionOptimizerOptions(start_selection="roulette"),
            "incumbent start": AcquisitionOptimizerOptions(incumbent_start=True)}
BASE = "map (default)"


def step_seconds(model: ModelOptions, n: int, steps: int, seed: int = 0,
                 acquisition: AcquisitionName = "logei",
                 trust_region: TrustRegionOptions | None = None,
                 search: AcquisitionOptimizerOptions | None = None) -> float:
    """Mean CPU seconds of an ask+tell step after n random observations."""
    f = Hartmann6()
    options = OptimizerOptions(model=model, trust_region=trust_region,
                               acquisition_optimizer=search or AcquisitionOptimizerOptions())
    opt = Optimizer(f.space, seed=seed, acquisition=acquisition, options=options)
    X = np.random.default_rng(seed).random((n, 6))
    opt.tell([dict(zip(f.names, map(float, x))) for x in X], [float(v) for v in np.asarray(f(X))])
    start = time.process_time()
    for _ in range(steps):
        params = opt.ask()
        opt.tell(params, float(f(params)))
    return (time.process_time() - start) / steps


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="50,100", help="observations before timing")
    parser.add_argument("--steps", type=positive_int, default=3, help="timed steps per size")
    parser.add_argument("--out", type=Path, default=None, help="also write the table here")
    parser.add_argument("--variants", default=None, help=(
        f"comma-separated names of {list(VARIANTS)} (default: all); the default is always "
        "measured first"))
    args = parser.parse_args(argv)
    sizes = [positive_int(s) for s in args.sizes.split(",")]
    chosen = list(VARIANTS) if args.variants is None else [BASE] + [
        name for name in args.variants.split(",") if name != BASE]
    unknown = [name for name in chosen if name not in VARIANTS]
    if unknown:
        parser.error(f"--variants: {unknown} not among {list(VARIANTS)}")
    lines = ["| variant | " + " | ".join(f"n = {n}: s/step (× MAP)" for n in sizes) + " |",
             "|---|" + "---:|" * len(sizes)]
    base: dict[int, float] = {}
    with numeric_threads(0):  # single-threaded Numba and BLAS for small n
        for name in chosen:
            model = VARIANTS[name]
            acquisition = ACQUISITIONS.get(name, "logei")
            cells = ratio_cells(functools.partial(
                step_seconds, model, steps=args.steps, acquisition=acquisition,
                trust_region=TRUST_REGIONS.get(name), search=SEARCHES.get(name)), sizes, base)
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
            print(lines[-1], flush=True)
    emit(lines, args.out)
    return 0


def ratio_cells(seconds: Callable[[int], float], sizes: list[int], base: dict[int, float],
                digits: tuple[int, int] = (2, 1)) -> list[str]:
    """A cell "s (r×)" per n of `sizes`: `seconds(n)` and its ratio to `base[n]`, which the
    first variant measured sets; `digits` after the point of s and of r."""
    cells = []
    for n in sizes:
        value = seconds(n)
        base.setdefault(n, value)
        cells.append(f"{value:.{digits[0]}f} ({value / base[n]:.{digits[1]}f}×)")
    return cells


def emit(lines: list[str], out: Path | None) -> None:
    """Print the table and write it to `out` (None: print only)."""
    text = "\n".join(lines) + "\n"
    print(text)
    if out is not None:
        out.write_text(text)


if __name__ == "__main__":
    raise SystemExit(main())

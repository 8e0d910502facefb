"""Per-step cost of the optimizer as n grows, next to LAPACK and the peers, in one run.

    python -m bench.overhead [--sizes 100,250,500,1000,2000] [--steps 20]
                             [--peers optuna,botorch] [--threads 1,default]
                             [--clock cpu] [--options JSON] [--out bench/results/overhead.md]

For d = 6 (Hartmann-6) and each n: tell n random observations, then time
`--steps` consecutive ask+tell steps as a user sees them. Reported per n:

- ask+tell (amortized): the mean step without a hyperparameter refit, plus
  the cost of one (warm-started) refit divided by the number of tells
  between refits under the documented schedule — so refits are paid for
  even when none falls inside the timed window (the refit runs under the
  thread policy a tell runs under, `kernels.threads.numeric_threads`);
- tell (append): one `tell` on the block-append path (no refit);
- LAPACK Cholesky: one `scipy.linalg.cholesky` of an n×n kernel matrix,
  the floor any exact GP pays per refactorization;
- Optuna GPSampler and BoTorch (SingleTaskGP + LogEI + optimize_acqf), when
  installed (the `bench` extra): the mean of their own ask+tell steps after
  the same n observations, each one refitting from scratch as those
  libraries do. A peer whose steps would exceed `--peer-budget` seconds is
  timed on fewer steps (at least one), and the count is shown.

Everything runs with the same thread budget: one table per entry of
`--threads` (an integer: that many BLAS, Numba and torch threads, as the
peers are usually measured; `default`: whatever the libraries choose). Time
is the process's CPU time (`--clock cpu`, all threads counted: on a shared,
loaded machine wall time mostly measures the other processes) or wall time
(`--clock wall`). The tables are printed and written to `--out`.

`--options` times bayesopt with settings other than the defaults: a JSON object merged
into `OptimizerOptions().to_dict()` (nested objects into nested settings), e.g.
`'{"acquisition_optimizer": {"polish_rise_tol": 1e-3}, "model": {"fit": {"ftol": 1e-4}}}'`;
the peers are unchanged.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import platform
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import scipy.linalg

from bayesopt import Optimizer, OptimizerOptions
from bayesopt.argtypes import positive_float, positive_int
from bayesopt.test_functions import Hartmann6
from kernels import Kernel
from kernels.threads import numeric_threads

DIM = 6
CLOCKS: dict[str, Callable[[], float]] = {"cpu": time.process_time, "wall": time.perf_counter}
_clock = CLOCKS["cpu"]


@dataclass
class Row:
    n: int
    cholesky: float
    step: float
    refit: float
    refit_interval: int
    tell: float
    peers: dict[str, tuple[float, int] | str]

    @property
    def amortized(self) -> float:
        return self.step + self.refit / self.refit_interval


def _observations(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    X = np.random.default_rng(seed).random((n, DIM))
    return X, np.asarray(Hartmann6()(X))


def _params(x: np.ndarray) -> dict[str, float]:
    return {f"x{i}": float(v) for i, v in enumerate(x)}


def cholesky_seconds(n: int, repeats: int = 3) -> float:
    X, _ = _observations(n, 1)
    K = Kernel("matern52", DIM, np.zeros(DIM + 1)).matrix(X, 1e-4)
    return min(_timed(lambda: scipy.linalg.cholesky(K, lower=True, check_finite=False))
               for _ in range(repeats))


def _timed(call: Callable[[], object]) -> float:
    start = _clock()
    call()
    return _clock() - start


def bayesopt_row(n: int, steps: int, options: OptimizerOptions | None = None,
                 ) -> tuple[float, float, int, float]:
    """(mean step without refit, one warm refit, tells per refit, one append tell), with
    `options` (None: the defaults)."""
    f = Hartmann6()
    opt = Optimizer(f.search_space(), seed=0, options=options)
    X, y = _observations(n, 0)
    opt.tell([_params(x) for x in X], [float(v) for v in y])
    plain = []
    for _ in range(steps):
        fits_before = opt._model.n_at_last_fit
        start = _clock()
        params = opt.ask()
        opt.tell(params, float(f(np.array(list(params.values())))))
        elapsed = _clock() - start
        if opt._model.n_at_last_fit == fits_before:
            plain.append(elapsed)
    params = opt.ask()
    tell = _timed(lambda: opt.tell(params, float(f(np.array(list(params.values()))))))
    refit = _timed(forced_refit(opt))
    interval = refit_interval(opt, n)
    step = float(np.mean(plain)) if plain else math.nan
    if not plain:  # every step refit (small n): the steps already carry the refits
        step, refit, interval = _mean_step(opt, f, steps), 0.0, 1
    return step, refit, interval, tell


def _mean_step(opt: Optimizer, f: Hartmann6, steps: int) -> float:
    start = _clock()
    for _ in range(steps):
        params = opt.ask()
        opt.tell(params, float(f(np.array(list(params.values())))))
    return (_clock() - start) / steps


def forced_refit(opt: Optimizer) -> Callable[[], None]:
    """One MAP refit of `opt`'s model on its data, under the thread policy every tell
    runs with."""
    data = opt._state.model_data()  # the successful observations, as the model sees them

    def refit() -> None:
        with numeric_threads(data.y.shape[0]):
            opt._model.update(data.X, data.y, force_refit=True)
    return refit


def refit_interval(opt: Optimizer, n: int) -> int:
    """Tells per refit for the steps after n observations (the tell of step n + 1 on)."""
    model = opt.options.model
    if n + 1 <= model.refit_every_step_until:
        return 1
    return max(1, math.ceil(model.refit_growth * n))


# ------------------------------------------------------------------ peers
def optuna_seconds(n: int, steps: int, budget: float) -> tuple[float, int]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    distributions: dict[str, optuna.distributions.BaseDistribution] = {
        f"x{i}": optuna.distributions.FloatDistribution(0.0, 1.0) for i in range(DIM)}
    study = optuna.create_study(sampler=optuna.samplers.GPSampler(seed=0))
    X, y = _observations(n, 0)
    study.add_trials([
        optuna.trial.create_trial(params=_params(x), distributions=distributions, value=float(v))
        for x, v in zip(X, y)
    ])
    f = Hartmann6()

    def step() -> None:
        trial = study.ask(distributions)
        study.tell(trial, float(f(np.array([trial.params[f"x{i}"] for i in range(DIM)]))))

    return _peer_steps(step, steps, budget)


def botorch_seconds(n: int, steps: int, budget: float) -> tuple[float, int]:
    import torch
    from botorch.acquisition import LogExpectedImprovement
    from botorch.fit import fit_gpytorch_mll
    from botorch.models import SingleTaskGP
    from botorch.optim import optimize_acqf
    from gpytorch.mlls import ExactMarginalLogLikelihood

    X, y = _observations(n, 0)
    data = {"X": torch.tensor(X), "Y": torch.tensor(-y).unsqueeze(-1)}  # BoTorch maximizes
    bounds = torch.stack([torch.zeros(DIM), torch.ones(DIM)]).double()
    f = Hartmann6()

    def step() -> None:
        model = SingleTaskGP(data["X"], data["Y"])
        fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model))
        acqf = LogExpectedImprovement(model, best_f=data["Y"].max())
        candidate, _ = optimize_acqf(acqf, bounds=bounds, q=1, num_restarts=10, raw_samples=512)
        value = -float(f(candidate.detach().numpy()[0]))
        data["X"] = torch.cat([data["X"], candidate])
        data["Y"] = torch.cat([data["Y"], torch.tensor([[value]], dtype=torch.double)])

    return _peer_steps(step, steps, budget)


def _peer_steps(step: Callable[[], None], steps: int, budget: float) -> tuple[float, int]:
    times: list[float] = []
    while len(times) < steps and (not times or sum(times) + np.mean(times) <= budget):
        times.append(_timed(step))
    return float(np.mean(times)), len(times)


PEERS: dict[str, Callable[[int, int, float], tuple[float, int]]] = {
    "optuna": optuna_seconds,
    "botorch": botorch_seconds,
}


def peer_column(name: str, n: int, steps: int, budget: float) -> tuple[float, int] | str:
    try:
        return PEERS[name](n, steps, budget)
    except ImportError as error:
        return f"missing ({error.name})"


# ------------------------------------------------------------------ report
def table(rows: list[Row], peers: list[str]) -> str:
    head = ("| n | LAPACK Cholesky | bayesopt ask+tell (amortized) | ÷ Cholesky | refit (every) "
            "| tell (append) | Cholesky ÷ tell |")
    rule = "|---:|---:|---:|---:|---:|---:|---:|"
    for peer in peers:
        head += f" {peer} ask+tell | {peer} ÷ bayesopt |"
        rule += "---:|---:|"
    lines = [head, rule]
    for r in rows:
        line = (f"| {r.n} | {_ms(r.cholesky)} | {_ms(r.amortized)} | {r.amortized / r.cholesky:.1f}× "
                f"| {_refit_cell(r)} | {_tell_cells(r)} |")
        for peer in peers:
            value = r.peers[peer]
            if isinstance(value, str):
                line += f" {value} | – |"
            else:
                seconds, count = value
                line += f" {_ms(seconds)} ({count} steps) | {seconds / r.amortized:.1f}× |"
        lines.append(line)
    return "\n".join(lines)


def _refit_cell(r: Row) -> str:
    if r.refit_interval == 1:  # the timed steps already include their refits
        return "in every step"
    return f"{_ms(r.refit)} (1/{r.refit_interval})"


def _tell_cells(r: Row) -> str:
    if r.refit_interval == 1:  # every tell refits at this n: there is no append path to time
        return f"{_ms(r.tell)} (refits) | – "
    return f"{_ms(r.tell)} | {r.cholesky / r.tell:.1f}×"


def _ms(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{1e3 * seconds:.3f} ms"
    return f"{1e3 * seconds:.1f} ms" if seconds < 10 else f"{seconds:.1f} s"


@contextlib.contextmanager
def _limit_threads(threads: int | None) -> Iterator[None]:
    """That many BLAS, Numba and torch threads in the block; None: the libraries' defaults."""
    import numba
    from threadpoolctl import threadpool_limits

    previous = numba.get_num_threads()
    torch_previous = _torch_threads(None)
    most: int = numba.config.NUMBA_NUM_THREADS  # type: ignore[attr-defined]  # set at import
    numba.set_num_threads(most if threads is None else min(threads, most))
    try:
        if threads is None:
            yield
        else:
            _torch_threads(threads)
            with threadpool_limits(threads, user_api="blas"):
                yield
    finally:
        numba.set_num_threads(previous)
        if torch_previous is not None:
            _torch_threads(torch_previous)


def _torch_threads(threads: int | None) -> int | None:
    """Set torch's intra-op threads (None: leave them); the count before, None without torch."""
    try:
        import torch
    except ImportError:
        return None
    before = int(torch.get_num_threads())
    if threads is not None:
        torch.set_num_threads(threads)
    return before


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100,250,500,1000,2000")
    parser.add_argument("--steps", type=positive_int, default=20)
    parser.add_argument("--peers", default="optuna,botorch",
                        help=f"comma-separated, from: {', '.join(PEERS)} ('' for none)")
    parser.add_argument("--peer-budget", type=positive_float, default=120.0)
    parser.add_argument("--threads", default="1",
                        help="comma-separated thread settings, each an integer or 'default'")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="cpu")
    parser.add_argument("--options", default=None,
                        help="a JSON object of OptimizerOptions settings for bayesopt "
                             "(default: the defaults)")
    parser.add_argument("--out", default="bench/results/overhead.md")
    args = parser.parse_args(argv)
    try:
        sizes, peers, settings = _checked(args)
        options = None if args.options is None else options_from_json(args.options)
    except (ValueError, TypeError) as error:
        parser.error(str(error))
    global _clock
    _clock = CLOCKS[args.clock]
    reports = [_report(sizes, peers, threads, args, options) for threads in settings]
    with open(args.out, "w", encoding="utf-8") as handle:
        handle.write("\n".join(reports))


def options_from_json(text: str) -> OptimizerOptions:
    """`OptimizerOptions().to_dict()` with the JSON object `text` merged in (an object into
    a nested setting), read back by `OptimizerOptions.from_dict`: ValueError for text that
    is not JSON, TypeError for JSON that is no object, ValueError naming a setting that
    does not exist or a value the setting refuses."""
    try:
        spec = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"--options {text!r}: not JSON ({error})") from None
    if not isinstance(spec, dict):
        raise TypeError(f"--options {text!r}: expected a JSON object")
    return OptimizerOptions.from_dict(_merged(OptimizerOptions().to_dict(), spec, "--options"))


def _merged(base: dict[str, Any], spec: dict[str, Any], prefix: str) -> dict[str, Any]:
    merged = dict(base)
    for key, value in spec.items():
        if key not in base:
            raise ValueError(f"{prefix}.{key}: no such setting; known: {', '.join(base)}")
        if isinstance(base[key], dict) and isinstance(value, dict):
            value = _merged(base[key], value, f"{prefix}.{key}")
        merged[key] = value
    return merged


def _report(sizes: list[int], peers: list[str], threads: int | None,
            args: argparse.Namespace, options: OptimizerOptions | None = None) -> str:
    with _limit_threads(threads):
        rows = [_row(n, args.steps, peers, args.peer_budget, options) for n in sizes]
    extra = "" if args.options is None else f" --options '{args.options}'"
    budget = ("the libraries' default threads" if threads is None
              else f"{threads} thread(s) for BLAS, Numba and torch")
    report = (f"{table(rows, peers)}\n\nd = {DIM} (Hartmann-6), {args.steps} steps per n, "
              f"{budget}, {args.clock} time; {date.today()}, "
              f"{platform.processor() or platform.machine()}, `python -m bench.overhead "
              f"--sizes {args.sizes} --steps {args.steps} --peers {args.peers} "
              f"--threads {args.threads} --clock {args.clock}{extra}`\n")
    print(report, flush=True)
    return report


def _checked(args: argparse.Namespace) -> tuple[list[int], list[str], list[int | None]]:
    """The sizes, peers and thread settings (None: default); ValueError naming the first
    argument that makes no sense."""
    sizes = [part.strip() for part in args.sizes.split(",")]
    if not all(part.isdigit() and int(part) >= 1 for part in sizes):
        raise ValueError(f"--sizes {args.sizes!r}: expected comma-separated integers >= 1")
    peers = [p.strip() for p in args.peers.split(",") if p.strip()]
    unknown = [p for p in peers if p not in PEERS]
    if unknown:
        raise ValueError(f"--peers {args.peers!r}: unknown peer(s) {', '.join(unknown)}; known: "
                         f"{', '.join(PEERS)} (--peers '' for none)")
    settings = [part.strip() for part in args.threads.split(",")]
    if not all(part == "default" or (part.isdigit() and int(part) >= 1) for part in settings):
        raise ValueError(f"--threads {args.threads!r}: expected comma-separated integers >= 1 "
                         "or 'default'")
    threads = [None if part == "default" else int(part) for part in settings]
    return [int(part) for part in sizes], peers, threads


def _row(n: int, steps: int, peers: list[str], budget: float,
         options: OptimizerOptions | None = None) -> Row:
    step, refit, interval, tell = bayesopt_row(n, steps, options)
    row = Row(n, cholesky_seconds(n), step, refit, interval, tell,
              {p: peer_column(p, n, steps, budget) for p in peers})
    print(f"n={n}: done", flush=True)
    return row


if __name__ == "__main__":
    main()

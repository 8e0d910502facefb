"""A new member's first ask in a shared study, against a steady member's ask+tell.

    python -m bench.member_join [--sizes 200,1000,2000] [--steps 6] [--folder DIR]

For d = 6 (Hartmann-6) and each n, in an SQLite study of its own: a process ("steady")
attaches, tells n random observations in one tell (`bench.overhead`'s, seed 0), runs two
ask+tell steps to warm up, then times `--steps` ask+tell steps (the mean of the steps
whose tell did not refit the hyperparameters, `n_at_last_fit` unmoved, and of those that
did) and one warm-started refit (`bench.overhead.forced_refit`); "amortized" is the step
without a refit plus that refit over the tells between refits (`refit_interval`), as
`bench.overhead` reports it. Then a fresh process ("new
member"), after compiling the kernels on a small run of its own (so that the first ask's
figure is the model's, not Numba's), attaches to the study and times its attach (the
replay of every event), its first ask (whose surrogate is fitted there, from scratch),
that ask's tell, and one more ask+tell. CPU seconds of the measuring process
(`time.process_time`), one BLAS and Numba thread (OMP_NUM_THREADS=1 is set for the child
processes), printed as a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

_STEADY = r"""
import json, sys, time, warnings
import numpy as np
from bayesopt import Optimizer
from bayesopt.test_functions import Hartmann6
from bench.overhead import _observations, _params, forced_refit, refit_interval
warnings.simplefilter("ignore")
where, study, n, steps = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
f = Hartmann6()
opt = Optimizer(f.search_space(), storage=where, study=study, seed=0)
X, y = _observations(n, 0)
opt.tell([_params(x) for x in X], [float(v) for v in y])
rows = []
for step in range(2 + steps):
    fits = opt._model.n_at_last_fit
    start = time.process_time()
    params = opt.ask()
    opt.tell(params, float(f(np.array(list(params.values())))))
    if step >= 2:
        rows.append({"cpu": time.process_time() - start,
                     "refit": opt._model.n_at_last_fit != fits})
start = time.process_time()
forced_refit(opt)()  # one warm-started refit, as the schedule's next one
refit = time.process_time() - start
opt.close()
print(json.dumps({"steps": rows, "refit": refit, "interval": refit_interval(opt, n)}))
"""

_MEMBER = r"""
import json, sys, time, warnings
import numpy as np
from bayesopt import Optimizer
from bayesopt.test_functions import Hartmann6
warnings.simplefilter("ignore")
where, study = sys.argv[1], sys.argv[2]
f = Hartmann6()
warm = Optimizer(f.search_space(), seed=1)  # compiles the kernels an ask and a tell use
for _ in range(12):
    p = warm.ask()
    warm.tell(p, float(f(np.array(list(p.values())))))
out = {}

def timed(name, call):
    start = time.process_time()
    value = call()
    out[name] = time.process_time() - start
    return value

opt = timed("attach", lambda: Optimizer(f.search_space(), storage=where, study=study, seed=5))
params = timed("first ask", opt.ask)
timed("its tell", lambda: opt.tell(params, float(f(np.array(list(params.values()))))))

def step():
    p = opt.ask()
    opt.tell(p, float(f(np.array(list(p.values())))))

timed("next ask+tell", step)
opt.close()
print(json.dumps(out))
"""


def _run(code: str, *args: str) -> str:
    env = dict(os.environ, OMP_NUM_THREADS="1", NUMBA_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True,
                          text=True, check=True, env=env).stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="200,1000,2000")
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--folder", default=None, help="where the studies go (a temporary "
                                                       "folder if not given)")
    args = parser.parse_args(argv)
    print("| n | steady ask+tell, no refit (s) | steady, with refit (s) | refits | "
          "warm refit (s) | tells per refit | steady amortized (s) | "
          "new member: attach (s) | first ask (s) | its tell (s) | next ask+tell (s) | "
          "first ask / amortized step |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
          "---:|---:|---:|")
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(args.folder or scratch)
        for n in (int(text) for text in args.sizes.split(",")):
            where = f"sqlite:///{folder / f'join{n}.db'}"
            steady = json.loads(_run(_STEADY, where, f"join{n}", str(n), str(args.steps)))
            rows = steady["steps"]
            plain = [r["cpu"] for r in rows if not r["refit"]]
            refits = [r["cpu"] for r in rows if r["refit"]]
            member = json.loads(_run(_MEMBER, where, f"join{n}"))

            def mean(values: list[float]) -> str:
                return f"{sum(values) / len(values):.2f}" if values else "–"

            amortized = (sum(plain) / len(plain) if plain else 0.0) + (
                steady["refit"] / steady["interval"])
            print(f"| {n} | {mean(plain)} | {mean(refits)} | {len(refits)}/{len(rows)} | "
                  f"{steady['refit']:.2f} | {steady['interval']} | {amortized:.2f} | "
                  f"{member['attach']:.2f} | {member['first ask']:.2f} | "
                  f"{member['its tell']:.2f} | {member['next ask+tell']:.2f} | "
                  f"{member['first ask'] / amortized:.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""What a new process imports on its way to the first model-based ask (issue 18's cold start,
bench/results/cold_start.md): the import of the library loads no optional dependency
and no statistics module, and the first ask loads no module that only other
configurations use. Checked in a new process, through `sys.modules`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import kernels

PACKAGES = str(Path(kernels.__file__).resolve().parents[1])

FIRST_ASK = """
import json, sys
from bayesopt import Optimizer, Real
imported = sorted(sys.modules)
opt = Optimizer({f"x{i}": Real(0.0, 1.0) for i in range(6)}, seed=0, n_initial=8)
for _ in range(8):
    p = opt.ask()
    opt.tell(p, sum((v - 0.3) ** 2 for v in p.values()))
opt.ask()
print(json.dumps({"import": imported, "first_ask": sorted(sys.modules)}))
"""

# Never imported by `from bayesopt import Optimizer`: scipy.stats costs ~0.3 s; the others
# are optional extras.
NOT_AT_IMPORT = ("scipy.stats", "pandas", "matplotlib", "threadpoolctl", "sklearn", "tqdm",
                 "optuna", "dask", "psycopg", "sqlite3")
# Not imported by a plain LogEI ask-and-tell run in memory: the surrogate snapshot
# (`Optimizer.surrogate`), the penalties (pending points, failures), the averaged
# acquisitions (hyperparameters="mcmc", acquisition="lognei"), the storages beyond none,
# and scipy.stats: the Sobol design comes from `bayesopt.sobol`, which reads scipy's table.
NOT_AT_FIRST_ASK = ("scipy.stats", "bayesopt.surrogate", "bayesopt.joint", "kernels.mehler",
                    "acquisition.penalty", "acquisition.averaging", "bayesopt.noisy",
                    "bayesopt.storage.sqlite", "bayesopt.storage.postgres", "pandas",
                    "matplotlib")


def _modules() -> dict[str, list[str]]:
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_DISABLE_JIT"}
    env["PYTHONPATH"] = PACKAGES
    done = subprocess.run([sys.executable, "-c", FIRST_ASK], cwd=PACKAGES, env=env,
                          capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, list[str]] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _loaded(modules: list[str], names: tuple[str, ...]) -> list[str]:
    return [name for name in names
            if any(m == name or m.startswith(name + ".") for m in modules)]


def test_the_import_and_the_first_model_based_ask_load_only_what_they_use() -> None:
    modules = _modules()
    assert "bayesopt.optimizer" in modules["import"]
    assert _loaded(modules["import"], NOT_AT_IMPORT) == []
    assert "bayesopt.sobol" in modules["first_ask"]  # the Sobol design: the check is not vacuous
    assert _loaded(modules["first_ask"], NOT_AT_FIRST_ASK) == []

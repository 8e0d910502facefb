"""The package as installed from a wheel, not as checked out: what a user's machine does
differently from the source tree."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import numpy as np

import kernels

# The directory holding the imported packages: the checkout, or site-packages of a wheel.
PACKAGES = str(Path(kernels.__file__).resolve().parents[1])

# Numba checks that a cache directory is writable by creating a temporary file in it
# (numba/core/caching.py, _CacheLocator.ensure_cache_path). Refusing that file everywhere
# is what a read-only site-packages and an unwritable home do for a non-root user; the
# test suite may run as root, for whom chmod does not refuse anything.
NO_WRITABLE_CACHE = """
import tempfile
def refused(*args, **kwargs):
    raise PermissionError(13, "Permission denied")
tempfile.TemporaryFile = refused

import json, warnings
import numpy as np
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    from bayesopt import Optimizer
    import acquisition.logei_loops, acquisition.optimizer, bayesopt.gp
    import kernels.cholesky, kernels.lapack, kernels.stationary
from acquisition.functions import LogExpectedImprovement
acq = LogExpectedImprovement(0.0)
mean, std = np.array([1.5, -0.5, 3e4]), np.array([1.0, 0.3, 1.0])
print(json.dumps({
    "warnings": [f"{w.category.__name__}: {w.message}" for w in caught],
    "h": np.concatenate(acq.value_and_grad(mean, std)).tolist(),
    "expected": np.concatenate(acq.numpy_value_and_grad(mean, std)).tolist(),
    "optimizer": Optimizer.__name__,
}))
"""


def test_the_package_imports_and_runs_where_numba_has_no_writable_cache_directory(
        tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items()
           if k not in ("NUMBA_CACHE_DIR", "NUMBA_DISABLE_JIT")}
    env["PYTHONPATH"] = PACKAGES
    done = subprocess.run([sys.executable, "-c", NO_WRITABLE_CACHE], cwd=tmp_path, env=env,
                          capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout)
    np.testing.assert_allclose(out["h"], out["expected"], rtol=1e-15)
    assert len(out["warnings"]) == 1, out["warnings"]
    assert out["warnings"][0].startswith("CompileCacheWarning: Numba cannot cache"), out
    assert "NUMBA_CACHE_DIR" in out["warnings"][0]


def _library_files() -> list[Path]:
    return sorted(path for package in ("bayesopt", "kernels", "acquisition")
                  for path in (Path(PACKAGES) / package).rglob("*.py"))


def _third_party(names: list[str]) -> list[str]:
    own = {"bayesopt", "kernels", "acquisition", "__future__"}
    tops = (name.split(".")[0] for name in names)
    return [top for top in tops if top not in own and top not in sys.stdlib_module_names]


def _imported(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return _third_party([alias.name for alias in node.names])
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        return _third_party([node.module])
    return []


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    caught = handler.type
    names = caught.elts if isinstance(caught, ast.Tuple) else [caught]
    return any(isinstance(name, ast.Name) and name.id in ("ImportError", "ModuleNotFoundError")
               for name in names)


# Optional imports a handler may carry on without, each with what it does instead (a
# documented behaviour with a test of its own, not a silent one).
OPTIONAL = {
    # the thread policy leaves BLAS at its configured width and `threads=` is refused:
    # test_without_threadpoolctl_blas_is_left_alone_and_threads_is_refused
    ("kernels/threads.py", "threadpoolctl"),
}


def test_no_import_of_the_library_carries_on_silently_without_its_module() -> None:
    # `except ImportError` around a third-party import must raise (naming the extra to
    # install): a handler that carries on makes a plain install behave unlike the tested
    # one, unless it is one of OPTIONAL's documented behaviours.
    silent = []
    for path in _library_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Try):
                continue
            modules = [m for statement in node.body for m in _imported(statement)]
            for handler in filter(_catches_import_error, node.handlers):
                where = path.relative_to(PACKAGES).as_posix()
                if all((where, m) in OPTIONAL for m in modules):
                    continue
                if modules and not any(isinstance(n, ast.Raise) for n in ast.walk(handler)):
                    silent.append(f"{where}:{node.lineno} {modules}")
    assert silent == [], silent


def _core_requirements() -> list[str]:
    """The requirements of a plain `pip install bayesopt`: pyproject.toml's in a checkout,
    the installed metadata's otherwise."""
    pyproject = Path(PACKAGES) / "pyproject.toml"
    if not pyproject.exists():
        return [r for r in metadata.requires("bayesopt") or [] if "extra ==" not in r]
    text = pyproject.read_text(encoding="utf-8")
    if sys.version_info >= (3, 11):
        import tomllib
        return list(tomllib.loads(text)["project"]["dependencies"])
    import tomli
    return list(tomli.loads(text)["project"]["dependencies"])


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _requires(distribution: str) -> list[str]:
    """The requirements of an installed distribution; none where it is not installed (a
    requirement for other Pythons, such as tomli's)."""
    try:
        return metadata.requires(distribution) or []
    except metadata.PackageNotFoundError:
        return []


def test_every_module_the_numeric_core_imports_is_a_dependency_of_a_plain_install() -> None:
    # kernels/ and acquisition/ run in every ask: nothing they import may be optional,
    # except OPTIONAL's. A plain install is the [project] dependencies and theirs (numba
    # pins the llvmlite kernels/lapack.py imports).
    distributions = metadata.packages_distributions()
    core = {_name(r) for r in _core_requirements()}
    core |= {_name(r) for d in sorted(core) for r in _requires(d) if "extra ==" not in r}
    missing = []
    for path in _library_files():
        if path.relative_to(PACKAGES).parts[0] == "bayesopt":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            for module in _imported(node):
                if (path.relative_to(PACKAGES).as_posix(), module) in OPTIONAL:
                    continue
                names = {d.lower().replace("_", "-") for d in distributions.get(module, [module])}
                if not names & core:
                    missing.append(f"{path.relative_to(PACKAGES)}:{node.lineno} {module}")
    assert missing == [], f"{missing} are not in [project] dependencies {sorted(core)}"


def _floor(distribution: str) -> tuple[int, ...]:
    """The lowest version of `distribution` a plain install admits (its `>=` bound)."""
    for requirement in _core_requirements():
        found = re.search(r">=\s*([\d.]+)", requirement)
        if _name(requirement) == distribution and found:
            return tuple(int(part) for part in found.group(1).split("."))
    raise AssertionError(f"no {distribution}>= requirement in {_core_requirements()}")


def test_the_declared_numpy_floor_has_the_numpy_the_library_calls() -> None:
    # state.fork_rng reads BitGenerator.seed_seq, public from numpy 1.25 (its release
    # notes); with numpy 1.24, which numpy>=1.24 admitted, the first ask raised
    # AttributeError: 'numpy.random._pcg64.PCG64' object has no attribute 'seed_seq'.
    assert hasattr(np.random.PCG64(0), "seed_seq")
    assert _floor("numpy") >= (1, 25)


WITHOUT_THREADPOOLCTL = """
import sys, json
sys.modules["threadpoolctl"] = None  # not installed: its import raises ImportError
from bayesopt import Optimizer, Real
from kernels.threads import blas_threads, one_blas_thread
space = {"x": Real(-2.0, 2.0), "y": Real(-1.0, 3.0)}
opt = Optimizer(space, seed=0)
for _ in range(8):
    p = opt.ask()
    opt.tell(p, (1 - p["x"]) ** 2 + 100 * (p["y"] - p["x"] ** 2) ** 2)
with one_blas_thread():
    pass
try:
    Optimizer(space, seed=0, threads=1)
    refused = None
except ImportError as error:
    refused = [str(error), error.name]
print(json.dumps({"n": len(opt.history), "blas": blas_threads(), "refused": refused}))
"""


def test_without_threadpoolctl_blas_is_left_alone_and_threads_is_refused() -> None:
    # threadpoolctl is optional (the [threads] extra; scikit-learn brings it): without it
    # the policy runs with BLAS at its configured width, and a caller's threads=, which
    # could not be honoured, is an ImportError naming threads= and threadpoolctl.
    env = dict(os.environ, OPENBLAS_NUM_THREADS="3", PYTHONPATH=PACKAGES)
    out = subprocess.run([sys.executable, "-c", WITHOUT_THREADPOOLCTL], capture_output=True,
                         text=True, env=env, cwd=PACKAGES, timeout=300, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["n"] == 8
    assert result["blas"] == 3  # read from the environment: nothing limits it
    message, name = result["refused"]
    assert name == "threadpoolctl"
    assert "threads=1" in message and "bayesopt[threads]" in message, message

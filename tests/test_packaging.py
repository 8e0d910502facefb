"""The package as installed from a wheel, not as checked out: what a user's machine does
differently from the source tree."""

from __future__ import annotations

import json
import os
import subprocess
import sys
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
from acquisition.logei_loops import _h
z, pdf, cdf = np.array([-1.0, 0.5]), np.array([0.2, 0.3]), np.array([0.1, 0.7])
print(json.dumps({
    "warnings": [f"{w.category.__name__}: {w.message}" for w in caught],
    "h": _h(z, pdf, cdf).tolist(), "expected": (pdf + z * cdf).tolist(),
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

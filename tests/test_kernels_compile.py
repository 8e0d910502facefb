"""What a first model-based ask compiles: Numba loops without array expressions.

Numba compiles a slice assignment (`out[:d] = v`) or an operator on whole
arrays (`grad += row`, `grad * s2`) through its broadcasting machinery, and
one such line can cost more compilation than all the kernels' loops together
(bench/results/cold_start.md). The check reads the typed IR Numba keeps
for each loop it compiled (`type_annotation.calltypes`), which exists only
when Numba compiles — not with NUMBA_DISABLE_JIT=1, nor for a loop loaded
from the on-disk cache — so it runs in a new process with the JIT on and an
empty cache directory, whatever the suite runs with.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.scale import FIRST_ASK

ROOT = Path(__file__).resolve().parents[1]

# Run bench.scale's first model-based ask, then list every whole-array operation in the
# typed IR of each loop of kernels/, acquisition/ and bayesopt/ it compiled.
SCRIPT = FIRST_ASK + """
import gc, json
from numba.core import ir, types
from numba.core.dispatcher import Dispatcher

def whole_array(node, sig):
    if isinstance(node, (ir.SetItem, ir.StaticSetItem)):
        index, value = sig.args[1], sig.args[2]
        parts = index.types if isinstance(index, types.BaseTuple) else (index,)
        return isinstance(value, types.Array) or any(isinstance(t, types.SliceType) for t in parts)
    return (isinstance(node, ir.Expr) and node.op in ("binop", "inplace_binop", "unary", "arrayexpr")
            and isinstance(sig.return_type, types.Array))

found, compiled, wrapped = [], [], []
for d in gc.get_objects():
    if not isinstance(d, Dispatcher) or not d.py_func.__module__.startswith(
            ("kernels", "acquisition", "bayesopt")):
        continue
    if d.targetoptions.get("no_cfunc_wrapper") is not True:
        wrapped.append(f"{d.py_func.__module__}.{d.py_func.__qualname__}")
    for cres in d.overloads.values():
        name = f"{d.py_func.__module__}.{d.py_func.__qualname__}"
        compiled.append(name)
        assert cres.type_annotation is not None, f"{name} was loaded from a cache"
        found += [f"{name} line {node.loc.line}: {sig}"
                  for node, sig in cres.type_annotation.calltypes.items()
                  if sig is not None and whole_array(node, sig)]
print(json.dumps({"compiled": sorted(compiled), "found": found, "wrapped": wrapped}))
"""


@pytest.fixture(scope="module")
def first_ask_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """SCRIPT's report, from a new process with the JIT on and an empty cache directory."""
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_DISABLE_JIT"}
    env.update(NUMBA_CACHE_DIR=str(tmp_path_factory.mktemp("numba-cache")), PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    report: dict[str, list[str]] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def test_first_ask_compiles_no_array_expression(first_ask_report: dict[str, list[str]]) -> None:
    assert "kernels.stationary.lml_gradient_contraction_serial" in first_ask_report["compiled"]
    assert first_ask_report["found"] == []


def test_every_loop_is_compiled_without_a_cfunc_wrapper(
    first_ask_report: dict[str, list[str]]
) -> None:
    """`kernels.jit.cached_njit` leaves out Numba's C-callable wrapper of every loop (part of
    each loop's first compilation, used only for first-class function values)."""
    assert len(first_ask_report["compiled"]) >= 10, first_ask_report["compiled"]
    assert first_ask_report["wrapped"] == []

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

import gc
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.scale import FIRST_ASK
from kernels.jit import DEFERRED_THRESHOLD2, full_collections_deferred

ROOT = Path(__file__).resolve().parents[1]

# Run bench.scale's first model-based ask, then list every whole-array operation in the
# typed IR of each loop of kernels/, acquisition/ and bayesopt/ it compiled; and the
# collector's thresholds before, during each compiler pass (Numba's "numba:run_pass"
# event) and after.
SCRIPT = """
import gc
from numba.core import event
before, in_passes = gc.get_threshold(), set()
class Thresholds(event.Listener):
    def on_start(self, ev):
        in_passes.add(gc.get_threshold())
    def on_end(self, ev):
        pass
event.register("numba:run_pass", Thresholds())
""" + FIRST_ASK + """
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
print(json.dumps({"compiled": sorted(compiled), "found": found, "wrapped": wrapped,
                  "before": before, "in_passes": sorted(in_passes), "after": gc.get_threshold()}))
"""


@pytest.fixture(scope="module")
def first_ask_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """SCRIPT's report, from a new process with the JIT on and an empty cache directory."""
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_DISABLE_JIT"}
    env.update(NUMBA_CACHE_DIR=str(tmp_path_factory.mktemp("numba-cache")), PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def test_first_ask_compiles_no_array_expression(first_ask_report: dict[str, Any]) -> None:
    assert "kernels.stationary.lml_gradient_contraction_serial" in first_ask_report["compiled"]
    assert first_ask_report["found"] == []


def test_every_loop_is_compiled_without_a_cfunc_wrapper(
    first_ask_report: dict[str, Any]
) -> None:
    """`kernels.jit.cached_njit` leaves out Numba's C-callable wrapper of every loop (part of
    each loop's first compilation, used only for first-class function values)."""
    assert len(first_ask_report["compiled"]) >= 10, first_ask_report["compiled"]
    assert first_ask_report["wrapped"] == []


def test_loops_compile_with_full_collections_deferred(first_ask_report: dict[str, Any]) -> None:
    """Every compiler pass of the first ask's loops runs with threshold2 raised
    (`kernels.jit.full_collections_deferred`: each full collection walks the whole heap,
    bench/results/cold_start.md), thresholds 0 and 1 untouched; after, the thresholds the
    process had come back."""
    before = first_ask_report["before"]
    assert first_ask_report["in_passes"] == [[before[0], before[1], DEFERRED_THRESHOLD2]]
    assert first_ask_report["after"] == before


@pytest.fixture
def thresholds() -> Any:
    """The collector's thresholds, set to (700, 10, 10) for the test and put back after."""
    found = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield (700, 10, 10)
    gc.set_threshold(*found)


def test_deferral_nests_and_restores_after_an_error(thresholds: tuple[int, int, int]) -> None:
    deferred = (700, 10, DEFERRED_THRESHOLD2)
    with pytest.raises(ZeroDivisionError), full_collections_deferred():
        assert gc.get_threshold() == deferred
        with full_collections_deferred():
            assert gc.get_threshold() == deferred
        assert gc.get_threshold() == deferred  # the inner block restores nothing
        _ = 1 / 0
    assert gc.get_threshold() == thresholds


def test_deferral_keeps_thresholds_set_inside_it(thresholds: tuple[int, int, int]) -> None:
    with full_collections_deferred():
        gc.set_threshold(500, 5, 5)  # someone else's choice, made during a compilation
    assert gc.get_threshold() == (500, 5, 5)

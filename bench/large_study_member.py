"""A new member of a long shared study: what its `result()` costs (review39's member.py).

    python bench/large_study_member.py STUDY.jsonl N [--folder DIR]

STUDY.jsonl is a jsonl study written by ``bench/large_study.py`` (study "largeN"); it is
copied into DIR first, so the original stays as written. Run as a script (not ``-m``)
so that ``PYTHONPATH`` picks the library measured (and ``bench``). In one process: attach, one ask and
its tell, then `result()`, reading its best and history, one more ask and tell with the
result kept, and reading the result's surrogate. For each: CPU seconds and the increase
of the resident set's high-water mark over it (VmHWM, reset just before; Linux), as JSON
lines.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.large_study import _status, objective, space


def measured(name: str, call: Callable[[], Any]) -> Any:
    before = _status("VmRSS")
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")
    start = time.process_time()
    value = call()
    seconds = time.process_time() - start
    print(json.dumps({"op": name, "cpu_s": round(seconds, 2),
                      "peak+MB": round(_status("VmHWM") - before, 1)}), flush=True)
    return value


def main(argv: list[str] | None = None) -> None:
    from bayesopt import Optimizer

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("study")
    parser.add_argument("n", type=int)
    parser.add_argument("--folder", default="/tmp/large_study")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    Path(args.folder).mkdir(parents=True, exist_ok=True)
    path = Path(args.folder) / f"member{args.n}.jsonl"
    shutil.copy(args.study, path)
    member = measured("attach", lambda: Optimizer(space(), storage=path, study=f"large{args.n}",
                                                  pending_timeout=600, seed=5))
    point = measured("first ask", member.ask)
    member.tell(point, objective(point))
    result = measured("result()", member.result)
    measured("result().best, .history", lambda: (result.best, len(result.history)))
    measured("an ask and tell with the result kept",
             lambda: member.tell(point := member.ask(), objective(point)))
    measured("result.surrogate", lambda: result.surrogate)
    member.close()


if __name__ == "__main__":
    main()

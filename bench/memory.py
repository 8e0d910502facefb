"""Peak memory and time of a refit and of an ask at thousands of observations.

    python -m bench.memory [--sizes 1000,2000,5000] [--ops refit,ask] [--out FILE]

For d = 6 (Hartmann-6 random observations, as `bench.overhead` makes them) and
each n, a fresh process tells n observations, then measures one operation:

- refit: one MAP refit of the model on its data (`bench.overhead.forced_refit`,
  the thread policy of a tell), i.e. the fit on `max_fit_points` of them and the
  GP on all n;
- ask: one `ask()` after the tells (no refit falls inside it).

Peak: the process's resident-set high-water mark (VmHWM, Linux) during the
operation alone — reset just before it by writing 5 to /proc/self/clear_refs —
minus the resident set just before it, in MB; "n×n" is that increase in units of
one n×n float64 matrix (8·n² bytes). Also the resident set after the operation
and the wall time of the operation. Each (n, operation) runs in its own process
so one measurement's freed pages do not hide the next one's.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from typing import Any

MB = 1024.0 * 1024.0


def _status(key: str) -> float:
    """A /proc/self/status field in MB (VmRSS, VmHWM)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024 / MB
    raise RuntimeError(f"{key} not in /proc/self/status (Linux only)")


def _reset_peak() -> None:
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")  # resets VmHWM to the current VmRSS (proc(5), since Linux 4.0)


def measure(n: int, op: str) -> dict[str, Any]:
    """Tell n observations, then one `op` with its peak resident-set increase."""
    from bayesopt import Optimizer
    from bayesopt.test_functions import Hartmann6
    from bench.overhead import _observations, _params, forced_refit

    f = Hartmann6()
    opt = Optimizer(f.search_space(), seed=0)
    X, y = _observations(n, 0)
    opt.tell([_params(x) for x in X], [float(v) for v in y])
    action = forced_refit(opt) if op == "refit" else opt.ask
    before = _status("VmRSS")
    _reset_peak()
    start = time.perf_counter()
    action()
    seconds = time.perf_counter() - start
    peak = _status("VmHWM")
    return {"n": n, "op": op, "seconds": seconds, "rss_before_MB": before, "peak_MB": peak,
            "increase_MB": peak - before, "nxn": (peak - before) * MB / (8.0 * n * n),
            "rss_after_MB": _status("VmRSS")}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,2000,5000")
    parser.add_argument("--ops", default="refit,ask")
    parser.add_argument("--out", default=None, help="append the table to this file")
    parser.add_argument("--one", nargs=2, metavar=("N", "OP"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(measure(int(args.one[0]), args.one[1])))
        return
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        for op in args.ops.split(","):
            out = subprocess.run([sys.executable, "-m", "bench.memory", "--one", str(n), op],
                                 check=True, capture_output=True, text=True).stdout
            rows.append(json.loads(out.strip().splitlines()[-1]))
            print(_line(rows[-1]), flush=True)
    header = ("| n | operation | seconds | RSS before (MB) | peak increase (MB) | n×n matrices |"
              " RSS after (MB) |")
    table = [header, "|---:|---|---:|---:|---:|---:|---:|"]
    table += [_line(r) for r in rows]
    if args.out:
        with open(args.out, "a") as out_file:
            out_file.write("\n".join(table) + "\n")


def _line(r: dict[str, Any]) -> str:
    return (f"| {r['n']} | {r['op']} | {r['seconds']:.2f} | {r['rss_before_MB']:.0f} | "
            f"{r['increase_MB']:.0f} | {r['nxn']:.1f} | {r['rss_after_MB']:.0f} |")


if __name__ == "__main__":
    main()

"""The cores the thread policy counts inside a real control group with a CPU quota.

    sudo python -m bench.cgroup_cores [--quotas 0.5,1.5,2.0]

For each quota (CPUs per scheduling period): create a cgroup under the machine's
``cpu`` hierarchy (cgroup v1 ``cpu.cfs_quota_us`` / ``cpu.cfs_period_us``, or cgroup
v2 ``cpu.max``), with a child cgroup under it that sets no quota of its own, start a
Python process that moves itself into the child, and print what it sees:
`kernels.threads.cpu_quota`, its CPU affinity, `usable_cores`, and the Numba/BLAS
threads `numeric_threads` gives a problem of n = 1000. The cgroups are removed after.
Needs root and a writable cgroup mount (a container without them: it says so).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

PERIOD_US = 100_000

CHILD = """
import json, os, sys
open(sys.argv[1], "w").write(str(os.getpid()))
import numba
from kernels import threads
with threads.numeric_threads(1000) as budget:
    blas = threads.blas_threads()
print(json.dumps({"quota": threads.cpu_quota(), "affinity": len(os.sched_getaffinity(0)),
                  "usable_cores": threads.usable_cores(), "numba": budget, "blas": blas}))
"""


def _hierarchy() -> tuple[Path, str] | None:
    """The cpu controller's mount and its kind ("v1" or "v2"), or None."""
    root = Path("/sys/fs/cgroup")
    for mount in (root / "cpu", root / "cpu,cpuacct"):
        if (mount / "cpu.cfs_quota_us").exists():
            return mount, "v1"
    controllers = root / "cgroup.controllers"
    if controllers.exists() and "cpu" in controllers.read_text().split():
        return root, "v2"
    return None


def _set_quota(group: Path, kind: str, cpus: float) -> None:
    quota = round(cpus * PERIOD_US)
    if kind == "v1":
        (group / "cpu.cfs_period_us").write_text(str(PERIOD_US))
        (group / "cpu.cfs_quota_us").write_text(str(quota))
    else:
        (group / "cpu.max").write_text(f"{quota} {PERIOD_US}")


def measure(cpus: float) -> dict[str, object]:
    found = _hierarchy()
    if found is None:
        raise SystemExit("no writable cgroup cpu controller on this machine")
    mount, kind = found
    parent = mount / f"bayesopt-bench-{os.getpid()}"
    child = parent / "inner"
    child.mkdir(parents=True)
    try:
        _set_quota(parent, kind, cpus)
        procs = child / ("tasks" if kind == "v1" else "cgroup.procs")
        out = subprocess.run([sys.executable, "-c", CHILD, str(procs)], check=True,
                             capture_output=True, text=True,
                             env={**os.environ, "PYTHONPATH": str(Path.cwd())}).stdout
        return {"cgroup": kind, "set": cpus, **json.loads(out)}
    finally:
        child.rmdir()
        parent.rmdir()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quotas", default="0.5,1.5,2.0")
    args = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("creating a cgroup needs root")
    for cpus in (float(q) for q in args.quotas.split(",")):
        print(json.dumps(measure(cpus)))


if __name__ == "__main__":
    main()

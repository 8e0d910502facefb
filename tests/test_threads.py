"""The CPU quota of a process's control group, and the cores the thread policy counts.

`kernels.threads.cpu_quota` reads the files the Linux kernel writes (cgroup v2 ``cpu.max``,
cgroup v1 ``cpu.cfs_quota_us`` / ``cpu.cfs_period_us``, membership as in
``/proc/self/cgroup``), laid out here under a temporary directory exactly as mounted; a
real cgroup (root only) is checked by ``python -m bench.cgroup_cores``.
"""

from __future__ import annotations

from pathlib import Path

import numba
import pytest


def _cgroup_tree(root: Path, files: dict[str, str], membership: str) -> str:
    """A cgroup mount as the kernel lays it out under `root`: `files` (path → content) and
    a ``/proc/self/cgroup``-format membership file; returns the membership file's path."""
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    member = root / "proc-self-cgroup"
    member.write_text(membership)
    return str(member)


def test_a_cgroup_v2_cpu_quota_is_the_smallest_of_the_cgroup_and_its_ancestors(
    tmp_path: Path,
) -> None:
    """cgroup v2 (``0::/path``, ``cpu.max`` = ``"$MAX $PERIOD"``): a parent's 1.5-CPU limit
    binds a child without one; ``max`` is no limit; no file or a malformed one is none."""
    from kernels.threads import cpu_quota

    files = {"kubepods/cpu.max": "150000 100000\n", "kubepods/pod1/cpu.max": "max 100000\n"}
    member = _cgroup_tree(tmp_path, files, "0::/kubepods/pod1\n")
    assert cpu_quota(str(tmp_path), member) == 1.5
    files["kubepods/pod1/cpu.max"] = "400000 100000\n"
    files["kubepods/cpu.max"] = "max 100000\n"
    member = _cgroup_tree(tmp_path, files, "0::/kubepods/pod1\n")
    assert cpu_quota(str(tmp_path), member) == 4.0
    files["kubepods/pod1/cpu.max"] = "max 100000\n"
    member = _cgroup_tree(tmp_path, files, "0::/kubepods/pod1\n")
    assert cpu_quota(str(tmp_path), member) is None
    (tmp_path / "kubepods/pod1/cpu.max").write_text("garbage\n")
    assert cpu_quota(str(tmp_path), member) is None
    assert cpu_quota(str(tmp_path / "absent"), member) is None
    assert cpu_quota(str(tmp_path), str(tmp_path / "no-membership")) is None


def test_a_cgroup_v1_cfs_quota_counts_and_a_container_sees_its_root(tmp_path: Path) -> None:
    """cgroup v1 (the ``cpu`` controller's line, quota/period in µs, −1 for none). Inside a
    container with its own cgroup namespace the path is ``/``: the mount's root holds the
    quota; a host path not under the mount is read at the mount's root too."""
    from kernels.threads import cpu_quota

    files = {"cpu,cpuacct/cpu.cfs_quota_us": "200000\n", "cpu,cpuacct/cpu.cfs_period_us": "100000\n"}
    member = _cgroup_tree(tmp_path, files, "4:memory:/x\n2:cpu,cpuacct:/\n0::/\n")
    assert cpu_quota(str(tmp_path), member) == 2.0
    member = _cgroup_tree(tmp_path, files, "2:cpu,cpuacct:/docker/abc123\n")
    assert cpu_quota(str(tmp_path), member) == 2.0
    files.update({"cpu,cpuacct/cpu.cfs_quota_us": "-1\n", "cpu,cpuacct/job/cpu.cfs_quota_us":
                  "50000\n", "cpu,cpuacct/job/cpu.cfs_period_us": "100000\n"})
    member = _cgroup_tree(tmp_path, files, "2:cpu,cpuacct:/job\n")
    assert cpu_quota(str(tmp_path), member) == 0.5
    files["cpu,cpuacct/job/cpu.cfs_quota_us"] = "-1\n"
    member = _cgroup_tree(tmp_path, files, "2:cpu,cpuacct:/job\n")
    assert cpu_quota(str(tmp_path), member) is None


def test_usable_cores_is_the_affinity_capped_by_the_cgroup_quota(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A quota rounds down and never below one core; without a quota the affinity counts
    (as before); a quota above the affinity does not raise it."""
    import os

    from kernels import threads

    affinity = len(os.sched_getaffinity(0))
    for quota, cores in ((None, affinity), (0.5, 1), (1.5, 1), (affinity + 0.9, affinity),
                         (64.0, affinity)):
        monkeypatch.setattr(threads, "cpu_quota", lambda quota=quota: quota)
        assert threads.usable_cores() == cores, quota


def test_a_large_problem_uses_no_more_blas_and_numba_threads_than_usable_cores(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where BLAS is wider than the cores the process may use (a container's quota below
    the host's cores, which BLAS sized its pool by), a large problem's BLAS calls run on
    the usable cores and are restored after; a BLAS within them keeps its width; a
    caller's `thread_count` is obeyed whatever the cores."""
    from threadpoolctl import threadpool_limits

    from kernels import threads

    large = threads.PARALLEL_MIN_N
    monkeypatch.setattr(threads, "usable_cores", lambda: threads.PARALLEL_MIN_CORES)
    with threadpool_limits(limits=threads.PARALLEL_MIN_CORES + 1, user_api="blas"):
        with threads.numeric_threads(large) as budget:
            assert threads.blas_threads() == threads.PARALLEL_MIN_CORES
            assert budget == max(1, min(numba.get_num_threads(), threads.PARALLEL_MIN_CORES)
                                 - threads.PARALLEL_MIN_CORES + 1)
        assert threads.blas_threads() == threads.PARALLEL_MIN_CORES + 1
    with threadpool_limits(limits=2, user_api="blas"), threads.numeric_threads(large):
        assert threads.blas_threads() == 2
    with threadpool_limits(limits=threads.PARALLEL_MIN_CORES + 1, user_api="blas"), \
            threads.thread_count(2), threads.numeric_threads(large):
        assert threads.blas_threads() == 2

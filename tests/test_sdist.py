"""The source distribution and the wheel built from it, as ``python -m build`` makes them.

The sdist is what a researcher reruns from: the packages with tests/, bench/ (its scripts
and reports, not its cached runs), docs/ and examples/ (MANIFEST.in). The wheel is what a
user installs: the three packages alone. Built offline with the test extra's setuptools
and `build` (``--no-isolation``: no download of the build backend); the wheel is built from
the unpacked sdist, so a file the sdist misses breaks the wheel's build here too.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHIPPED_WITH_THE_SOURCE = ("bench", "docs", "examples", "tests")
PACKAGES = ("bayesopt", "kernels", "acquisition")
# MANIFEST.in's prunes: the benchmarks' cached runs and the examples' checkpoints
PRUNED = ("bench/results/runs/", "bench/results/fidelity/", "examples/command_line/ckpt/",
          "bench/results/feasibility_search_runs/", "bench/results/ucb_d10_family/",
          "bench/results/families/", "bench/results/d10_family_0.15.0/runs/",
          "bench/results/families_0.15.0/")
# ... and the run records kept beside a README that ships
RECORDS_PRUNED = ("bench/results/control_0.10.0/", "bench/results/control_0.11.0/",
                  "bench/results/quality_0.15.0/")


# Not sources: version control, virtual environments, build outputs and caches. An old
# *.egg-info/SOURCES.txt (left by an editable install) would be read back into the sdist's
# file list by setuptools, keeping files MANIFEST.in no longer names.
NOT_SOURCES = {".git", ".venv", "build", "dist", "__pycache__", ".mypy_cache", ".ruff_cache",
               ".pytest_cache", ".hypothesis", ".benchmarks"}


def _source_tree(destination: Path) -> None:
    """The checkout's files without NOT_SOURCES, hard-linked (copied across devices)."""
    for folder, dirs, files in os.walk(REPO):
        dirs[:] = [d for d in dirs if d not in NOT_SOURCES and not d.endswith(".egg-info")]
        target = destination / Path(folder).relative_to(REPO)
        target.mkdir(exist_ok=True)
        for name in files:
            try:
                os.link(Path(folder) / name, target / name)
            except OSError:
                shutil.copy2(Path(folder) / name, target / name)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], list[str]]:
    """The member names of the sdist (without its top directory) and of the wheel."""
    source, out = tmp_path_factory.mktemp("source"), tmp_path_factory.mktemp("dist")
    _source_tree(source)
    done = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir",
                           str(out), str(source)], capture_output=True, text=True,
                          check=False, timeout=600)
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    (sdist,), (wheel,) = sorted(out.glob("*.tar.gz")), sorted(out.glob("*.whl"))
    with tarfile.open(sdist) as archive:
        members = [name.split("/", 1)[1] for name in archive.getnames() if "/" in name]
    with zipfile.ZipFile(wheel) as archive:
        return members, archive.namelist()


def _checked_out(folder: str, pattern: str) -> list[str]:
    return sorted(path.relative_to(REPO).as_posix() for path in (REPO / folder).rglob(pattern)
                  if "__pycache__" not in path.parts)


def test_the_sdist_holds_the_tests_benchmarks_docs_and_examples(
        built: tuple[list[str], list[str]]) -> None:
    members, _ = built
    tops = {name.split("/", 1)[0] for name in members}
    assert set(SHIPPED_WITH_THE_SOURCE) | set(PACKAGES) <= tops, sorted(tops)
    names = set(members)
    for folder, pattern in [("tests", "test_*.py"), ("bench", "*.py"), ("docs", "*.md"),
                            ("examples", "*.py"), ("bench/results", "*.md")]:
        wanted = _checked_out(folder, pattern)
        assert wanted, f"no {pattern} under {folder}/ in the checkout"
        assert [name for name in wanted if name not in names] == [], folder
    assert "pyproject.toml" in names and "MANIFEST.in" in names and "CITATION.cff" in names
    assert not [name for name in members if name.startswith(PRUNED)]
    assert not [name for name in members
                if name.startswith(RECORDS_PRUNED) and name.endswith(".json")]
    assert not [name for name in members if "__pycache__" in name or name.endswith(".pyc")]


def test_the_wheel_ships_the_packages_alone(built: tuple[list[str], list[str]]) -> None:
    _, names = built
    tops = {name.split("/", 1)[0] for name in names}
    (info,) = [top for top in tops if top.endswith(".dist-info")]
    assert tops == {*PACKAGES, info}, sorted(tops)
    assert {f"{package}/py.typed" for package in PACKAGES} <= set(names)

"""Optuna's own sampler test suite, run with `BayesoptSampler` added to its sampler lists.

    python -m bench.optuna_suite                       # downloads optuna==5.0.0's sdist
    python -m bench.optuna_suite --sdist /tmp/optuna-5.0.0.tar.gz
    python -m bench.optuna_suite -- -x -k reproducible # extra arguments go to pytest

Takes `tests/samplers_tests/test_samplers.py` from Optuna's source
distribution (downloaded with `pip download`, never committed here), adds
BayesoptSampler to each parametrized list of samplers in it, runs pytest on
the patched copy in a temporary directory against the installed Optuna, and
prints the counts. BayesoptSampler joins:

    sampler_class_with_seed      (reproducibility, reseeding)
    test_sampler_reseed_rng      (it holds no LazyRandomState; it has a RandomSampler)
    TestBasicSampler, TestRelativeSampler
    TestSingleOnlySampler        (multi-objective studies must raise ValueError)
    TestMultiObjectiveSampler    (unsupported: these tests must fail with its ValueError)

A multi-objective test passes for the suite here only when it fails with
BayesoptSampler's "single-objective studies only" error; the script exits
non-zero if any other test fails.
"""

from __future__ import annotations

import argparse
import ast
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

OPTUNA_SDIST = "optuna==5.0.0"
TEST_FILE = "tests/samplers_tests/test_samplers.py"
UNSUPPORTED_ERROR = "supports single-objective studies only"
SAMPLER = "BayesoptSampler"
IMPORT = "from bayesopt.integrations.optuna import BayesoptSampler\n"

# (where, the source line the new entry goes before, the entry) — each anchor must be found once
_ADDITIONS = [
    ("sampler_class_with_seed", '    "GPSampler": lambda seed: get_gp_sampler(seed=seed, n_startup_trials=0),\n',
     '    "BayesoptSampler": lambda seed: BayesoptSampler(seed=seed),\n'),
    ("test_sampler_reseed_rng", "        (lambda: get_gp_sampler(n_startup_trials=0), True, True),\n",
     '        pytest.param(lambda: BayesoptSampler(), False, True, id="BayesoptSampler"),\n'),
]
# test classes whose `sampler` fixture gets BayesoptSampler as its last parameter
_FIXTURE_CLASSES = ["TestBasicSampler", "TestRelativeSampler", "TestMultiObjectiveSampler",
                    "TestSingleOnlySampler"]


def patch_source(source: str) -> str:
    """test_samplers.py with BayesoptSampler in every sampler list named above."""
    for where, anchor, entry in _ADDITIONS:
        if source.count(anchor) != 1:
            raise RuntimeError(f"{where}: expected one line {anchor.strip()!r} in {TEST_FILE}")
        source = source.replace(anchor, entry + anchor)
    lines = source.splitlines(keepends=True)
    for line_number in sorted(_fixture_list_ends(source), reverse=True):
        lines.insert(line_number - 1,
                     '            pytest.param(lambda: BayesoptSampler(), id="BayesoptSampler"),\n')
    future = "from __future__ import annotations\n"
    return "".join(lines).replace(future, future + IMPORT, 1)


def _fixture_list_ends(source: str) -> list[int]:
    """Line numbers of the `]` closing each named class's `@pytest.fixture(params=[...])`."""
    ends = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.ClassDef) and node.name in _FIXTURE_CLASSES:
            fixture = next(f for f in node.body if isinstance(f, ast.FunctionDef)
                           and f.name == "sampler")
            call = fixture.decorator_list[0]
            assert isinstance(call, ast.Call), f"{node.name}: unexpected fixture decorator"
            params = next(k.value for k in call.keywords if k.arg == "params")
            assert isinstance(params, ast.List) and params.end_lineno is not None
            ends.append(params.end_lineno)
    missing = set(_FIXTURE_CLASSES) - {n.name for n in ast.parse(source).body
                                        if isinstance(n, ast.ClassDef)}
    if missing:
        raise RuntimeError(f"classes {sorted(missing)} not found in {TEST_FILE}")
    return ends


def fetch_sdist(directory: Path) -> Path:
    """Download Optuna's source distribution with pip (no dependencies, no wheel)."""
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary",
                    ":all:", "--quiet", OPTUNA_SDIST, "-d", str(directory)], check=True)
    return next(directory.glob("optuna-*.tar.gz"))


def extract_test_file(sdist: Path, directory: Path) -> Path:
    with tarfile.open(sdist) as archive:
        member = next(m for m in archive.getmembers() if m.name.endswith(TEST_FILE))
        handle = archive.extractfile(member)
        assert handle is not None, f"{member.name} is not a file"
        source = handle.read().decode()
    target = directory / "test_samplers_bayesopt.py"
    target.write_text(patch_source(source))
    (directory / "conftest.py").write_text(
        'import pytest\n\npytest.register_assert_rewrite("optuna.testing.pytest_samplers")\n')
    return target


def run_pytest(test_file: Path, extra: list[str]) -> tuple[int, str]:
    """Run the patched file (only its BayesoptSampler cases unless -k is given)."""
    selection = [] if "-k" in extra else ["-k", SAMPLER]
    command = [sys.executable, "-m", "pytest", str(test_file), "-p", "no:cacheprovider",
               "-rA", "-q", "-W", "ignore::optuna.exceptions.ExperimentalWarning",
               "-o", "addopts=", *selection, *extra]
    done = subprocess.run(command, check=False, cwd=test_file.parent, capture_output=True,
                          text=True)
    return done.returncode, done.stdout + done.stderr


def classify(output: str) -> dict[str, list[str]]:
    """passed / unsupported (multi-objective, failing with its clear error) / failed / skipped."""
    result: dict[str, list[str]] = {"passed": [], "unsupported": [], "failed": [], "skipped": []}
    failures = _failure_sections(output)
    for status, test in re.findall(r"^(PASSED|FAILED|ERROR|SKIPPED)\S* (\S+)", output, re.MULTILINE):
        name = test.split("::", 1)[-1]
        if status == "PASSED":
            result["passed"].append(name)
        elif status == "SKIPPED":
            result["skipped"].append(name)
        elif "MultiObjective" in name and UNSUPPORTED_ERROR in failures.get(name, ""):
            result["unsupported"].append(name)
        else:
            result["failed"].append(name)
    return result


def _failure_sections(output: str) -> dict[str, str]:
    """The traceback text of each failed test, keyed like the summary lines."""
    sections = re.split(r"^_+ (\S+) _+$", output, flags=re.MULTILINE)
    found = {}
    for header, body in zip(sections[1::2], sections[2::2]):
        found[header.replace(".", "::", 1)] = body
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sdist", type=Path, help="Optuna's .tar.gz (default: pip download)")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="optuna-suite-") as tmp:
        directory = Path(tmp)
        sdist = args.sdist or fetch_sdist(directory)
        code, output = run_pytest(extract_test_file(sdist, directory), args.pytest_args)
    counts = classify(output)
    if code not in (0, 1) or not any(counts.values()):
        print(output)
        return code or 2
    for status, names in counts.items():
        print(f"{status}: {len(names)}")
        if status != "passed":
            for name in names:
                print(f"    {name}")
    if counts["failed"]:
        print(output[-20000:])
    return 1 if counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())

"""Listing and deleting the studies of a storage: `delete_study` on every backend (a real
SQLite file, the session's PostgreSQL server, a JSON-lines file), what a process still
attached to a deleted study sees, and ``bayesopt studies`` / ``bayesopt delete-study``."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bayesopt import Optimizer, Real, cli
from bayesopt.storage import DeletableStorage, StorageError, open_storage

SPACE = {"x": Real(0, 1)}


def fill(url: str, study: str, values: list[float], maximize: bool = False,
         seed: int = 0) -> None:
    with Optimizer(SPACE, storage=url, study=study, seed=seed, maximize=maximize) as opt:
        for value in values:
            opt.tell(opt.ask(), value)


def names_of(url: str) -> list[str]:
    storage = open_storage(url)
    try:
        return storage.studies()
    finally:
        storage.close()


def test_every_backend_deletes_a_study_with_its_events(url: str) -> None:
    fill(url, "a", [3.0, 1.0])
    many = not url.endswith(".jsonl")  # a JSON-lines file holds one study
    if many:
        fill(url, "b", [5.0])
    storage = open_storage(url)
    try:
        assert isinstance(storage, DeletableStorage)
        storage.delete_study("a")
        assert storage.studies() == (["b"] if many else [])
        if many:
            assert len(storage.read("b")) > 0  # the other study is untouched
        with pytest.raises(ValueError, match="'a'|holds no study"):
            storage.read("a")
    finally:
        storage.close()
    fill(url, "a", [7.0])  # the name is free again: a new study, without the old events
    with Optimizer(SPACE, storage=url, study="a") as opt:
        assert [o.value for o in opt.history] == [7.0]


def test_deleting_a_study_that_does_not_exist_names_it_and_the_existing_ones(url: str) -> None:
    fill(url, "kept", [1.0])
    storage = open_storage(url)
    try:
        with pytest.raises(StorageError, match=r"study='gone' does not exist .*'kept'"):
            storage.delete_study("gone")
        assert storage.studies() == ["kept"]
    finally:
        storage.close()


@pytest.mark.parametrize(("study", "error", "match"), [
    (3, TypeError, "study=3"), ("", ValueError, "study=''"), ("a\x00b", ValueError, "NUL"),
])
def test_bad_study_names_are_named(url: str, study: object, error: type, match: str) -> None:
    fill(url, "s", [1.0])
    storage = open_storage(url)
    try:
        with pytest.raises(error, match=match):
            storage.delete_study(study)  # type: ignore[arg-type]
        assert storage.studies() == ["s"]
    finally:
        storage.close()


ATTACHED = textwrap.dedent("""
    import sys
    from bayesopt import Optimizer, Real
    opt = Optimizer({"x": Real(0, 1)}, storage=sys.argv[1], study="s", seed=1)
    point = opt.ask()
    print("attached", flush=True)
    sys.stdin.readline()  # the test deletes the study (and may create it again) meanwhile
    try:
        opt.tell(point, 0.5)
    except ValueError as error:
        print("refused:", type(error).__name__, error, flush=True)
        sys.exit(0)
    print("told", flush=True)
    sys.exit(1)
""")


def test_a_process_attached_to_a_deleted_study_fails_at_its_next_write(url: str) -> None:
    """The deletion does not wait for attached processes; what they write next is refused
    (never appended to nothing, never resurrecting the study)."""
    fill(url, "s", [1.0, 2.0])
    worker = subprocess.Popen([sys.executable, "-c", ATTACHED, url], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert worker.stdout is not None and worker.stdin is not None
    assert worker.stdout.readline().strip() == "attached"
    storage = open_storage(url)
    try:
        storage.delete_study("s")
    finally:
        storage.close()
    out, _ = worker.communicate("go\n", timeout=120)
    assert worker.returncode == 0, out
    assert out.startswith("refused:")
    assert names_of(url) == [] if not url.endswith(".jsonl") else not Path(url).exists()


def test_a_jsonl_study_is_its_file_the_lock_files_stay(tmp_path: Path) -> None:
    path = tmp_path / "study.jsonl"
    fill(str(path), "s", [1.0])
    reader = open_storage(path)
    assert len(reader.read("s")) > 0
    storage = open_storage(path)
    storage.delete_study("s")
    storage.close()
    assert not path.exists() and (tmp_path / "study.jsonl.lock").exists()
    fill(str(path), "s", [2.0])  # a new study at the same path
    with pytest.raises(StorageError, match="deleted or replaced"):
        reader.read("s")  # its offsets are of the deleted file: it must not read on
    reader.close()


def test_a_journal_being_written_is_not_deleted(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    opt = Optimizer(SPACE, journal=path, seed=0)
    opt.tell(opt.ask(), 1.0)
    storage = open_storage(path)
    with pytest.raises(StorageError, match="being written"):
        storage.delete_study("journal")
    assert path.exists()
    opt.close()
    storage.delete_study("journal")
    storage.close()
    assert not path.exists()


# ------------------------------------------------------------------ command line
def test_studies_prints_one_line_per_study(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    fill(url, "low", [3.0, 0.25, 2.0])
    if not url.endswith(".jsonl"):
        fill(url, "high", [1.0, 4.5], maximize=True)
    assert cli.main(["studies", "--storage", url]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["study", "evaluations", "best", "direction", "last", "tell",
                                "(UTC)"]
    rows = {line.split()[0]: line.split()[1:] for line in lines[1:]}
    assert rows["low"][:3] == ["3", "0.25", "minimizing"]
    if not url.endswith(".jsonl"):
        assert list(rows) == ["high", "low"] and rows["high"][:3] == ["2", "4.5", "maximizing"]
    assert all(len(row) == 5 for row in rows.values())  # the date and time of the last tell


def test_studies_shows_a_name_that_is_not_one_printable_line_quoted(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A study named with a newline or a tab is one row, its name quoted as Python writes
    it: it was printed raw, as two rows ("a" and "b") naming no study that exists."""
    url = f"sqlite:///{tmp_path / 'names.db'}"
    fill(url, "a\nb", [1.0])
    fill(url, "tab\there", [2.0])
    assert cli.main(["studies", "--storage", url]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    assert [line.split()[0] for line in lines[1:]] == ["'a\\nb'", "'tab\\there'"]


def test_studies_of_an_empty_or_missing_storage(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    open_storage(url).close()
    assert cli.main(["studies", "--storage", url]) == 0
    assert capsys.readouterr().out.strip() == f"{url} holds no study"
    missing = f"sqlite:///{tmp_path / 'missing.db'}"
    assert cli.main(["studies", "--storage", missing]) == cli.EXIT_USAGE
    assert "no such file" in capsys.readouterr().err
    assert not (tmp_path / "missing.db").exists()


def test_delete_study_deletes_and_names_what_exists_otherwise(
        url: str, capsys: pytest.CaptureFixture[str]) -> None:
    fill(url, "s", [1.0])
    assert cli.main(["delete-study", "--storage", url, "--study", "t"]) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert "study='t' does not exist" in err and "'s'" in err
    assert cli.main(["delete-study", "--storage", url, "--study", "s"]) == 0
    assert capsys.readouterr().out.strip() == f"deleted the study 's' from {url}"
    if url.endswith(".jsonl"):
        assert not Path(url).exists()
    else:
        assert names_of(url) == []


@pytest.mark.parametrize("argv", [["delete-study", "--storage", "x.db"],
                                  ["delete-study", "--study", "s"], ["studies"]])
def test_the_commands_require_their_options(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(argv)
    assert exit_.value.code == cli.EXIT_USAGE

"""The hostile-journal fuzz (`bench/hostile_journal.py`): its rule, and one seed run clean.

    judge : one read of a mutated file, counted ok, refused (a ValueError or TypeError
            naming the file or study) or a fault (anything else, a refusal naming
            neither, a hang)
    main  : every family of one seed (no 70 MB line: that is seed 0's), every reader,
            the PostgreSQL rows on the session's server (tests/postgres.py)

Checked: a RecursionError, an unnamed refusal and a hang are faults and a named refusal
is not; seed 1 ends with no fault and refuses some reads of every family but ``claims``
(a tell naming a run that is not pending is an observation outside any run, by design).
"""

from __future__ import annotations

import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `bench` is not installed: import it from the repository
    sys.path.insert(0, str(ROOT))

from bench import hostile_journal


def _raise(error: BaseException) -> object:
    def reader(path: Path) -> None:
        raise error
    return reader


@pytest.mark.parametrize(("reader", "outcome"), [
    (_raise(RecursionError("deep")), "fault"),
    (_raise(ValueError("no file named")), "fault"),
    (_raise(ValueError("journal 'case.jsonl', line 3: bad")), "refused"),
    (lambda path: time.sleep(5), "fault"),
    (lambda path: None, "ok"),
])
def test_the_judge_counts_what_is_a_fault(tmp_path: Path, reader: object, outcome: str) -> None:
    path = tmp_path / "case.jsonl"
    path.write_text("{}\n")
    assert hostile_journal.judge(reader, path, timeout=1)[0] == outcome  # type: ignore[arg-type]


def test_one_seed_of_every_family_and_reader_has_no_fault(
        capsys: pytest.CaptureFixture[str], postgres_server: Any) -> None:
    """Seed 1 on every reader, the PostgreSQL rows on the session's server."""
    url = postgres_server.create_database(f"hostile_{uuid.uuid4().hex[:12]}")
    assert hostile_journal.main(["--seeds", "1", "--memory-gb", "0", "--timeout", "120",
                                 "--postgres", url]) == 0
    table = capsys.readouterr().out
    assert ", 0 faults," in table, table
    rows = [line.split("|")[1:-1] for line in table.splitlines() if line.startswith("| ")][1:]
    refused = {row[0].strip() for row in rows if int(row[3]) > 0}
    assert refused == {"value", "drop", "lines"}, table
    read_by = {(row[0].strip(), row[1].strip()) for row in rows if int(row[2]) + int(row[3]) > 0}
    assert {family for family, reader in read_by if reader == "postgresql"} == {
        "value", "drop", "lines", "claims"}, table

"""The storage protocol and its JSON-lines backend (`bayesopt.storage`).

    storage : `JSONLStorage(path)` — one study per file; `open_storage(url)` by URL
    writer  : a separate Python process appending to the same file (multiprocessing,
              spawn), or holding its lock when it is killed with SIGKILL

Checked: the protocol's contract (create or attach, gapless numbering, read from an
offset, unknown study, one study per file), the URL registry, concurrent appends from
several processes (every event once, numbered 0..n-1), the lock excluding other
processes and released by the kernel when its holder is killed, and a torn last line
skipped with a warning and truncated by the next writer.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import signal
import subprocess
import sys
import warnings
from contextlib import closing
from pathlib import Path

import pytest

from bayesopt import Optimizer, Real
from bayesopt.storage import STORAGES, Storage, open_storage
from bayesopt.storage.jsonl import JSONLStorage, TruncatedJournalWarning
from heap import peak_bytes
from processes import started

REPO = Path(__file__).resolve().parents[1]


def test_create_attach_append_read(tmp_path):
    storage = JSONLStorage(tmp_path / "s.jsonl")
    assert isinstance(storage, Storage) and storage.studies() == []
    header = storage.create_or_attach("tune", {"space": {"x": 1}})
    assert header == {"space": {"x": 1}, "study": "tune"}
    assert storage.create_or_attach("tune", {"space": {"x": 2}}) == header  # unchanged
    assert storage.append("tune", [{"a": 0}, {"a": 1}]) == 0
    assert storage.append("tune", [{"a": 2}]) == 2
    assert storage.read("tune") == [{"a": 0}, {"a": 1}, {"a": 2}]
    assert storage.read("tune", 2) == [{"a": 2}] and storage.read("tune", 5) == []
    assert storage.studies() == ["tune"]
    other = JSONLStorage(tmp_path / "s.jsonl")  # a second reader sees the same
    assert other.read("tune", 1) == [{"a": 1}, {"a": 2}]
    with pytest.raises(ValueError, match="holds the study 'tune', not 'other'"):
        storage.read("other")
    with pytest.raises(ValueError, match="holds the study 'tune', not 'other'"):
        storage.create_or_attach("other", {})
    with pytest.raises(ValueError, match="holds no study"):
        JSONLStorage(tmp_path / "missing.jsonl").read("tune")
    with pytest.raises(ValueError, match="offset"):
        storage.read("tune", -1)
    storage.close()
    other.close()


@pytest.mark.parametrize("url", ["file://otherhost/run.jsonl", "file://run.jsonl",
                                 "FILE://db.example.org/tmp/run.jsonl"])
def test_a_file_url_on_another_host_is_refused_not_read_as_a_relative_path(
        tmp_path, monkeypatch, url):
    """RFC 8089: the authority of a file URL is a host; only an empty one or localhost is
    this machine. file://otherhost/run.jsonl opened ./otherhost/run.jsonl."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "otherhost").mkdir()
    with pytest.raises(ValueError, match=re.escape(f"storage={url!r} names a file on the host")):
        open_storage(url)
    with pytest.raises(ValueError, match=re.escape(f"storage={url!r}")):
        Optimizer({"x": Real(0, 1)}, storage=url, study="s")
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["otherhost"]  # nothing created


@pytest.mark.parametrize("path", ["localhost/run.jsonl", "otherhost/run.jsonl", "run.jsonl"])
def test_a_plain_relative_path_is_kept_whole(tmp_path, monkeypatch, path):
    """Only a file:// URL has a host: the relative path localhost/run.jsonl opened
    /run.jsonl (its first directory read as the URL's localhost)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "localhost").mkdir()
    (tmp_path / "otherhost").mkdir()
    storage = open_storage(path)
    assert isinstance(storage, JSONLStorage) and storage.path == Path(path)
    storage.close()


def test_open_storage_by_url(tmp_path):
    path = tmp_path / "run.jsonl"
    for url in (str(path), path, f"file://{path}", f"file://localhost{path}",
                f"FILE://LocalHost{path}"):  # RFC 8089: localhost is this machine
        storage = open_storage(url)
        assert isinstance(storage, JSONLStorage) and storage.path == path
        storage.close()
    # what each backend's class is given (SQLAlchemy's and Optuna's sqlite convention)
    given = {url: STORAGES[url.split(":")[0]].argument(url, url.partition("://")[2])
             for url in ("sqlite:///study.db", "sqlite:////tmp/study.db",
                         "postgresql://me@db:5432/tune", "file:///tmp/run.jsonl")}
    assert given == {"sqlite:///study.db": "study.db", "sqlite:////tmp/study.db": "/tmp/study.db",
                     "postgresql://me@db:5432/tune": "postgresql://me@db:5432/tune",
                     "file:///tmp/run.jsonl": "/tmp/run.jsonl"}
    with pytest.raises(ValueError, match="unknown scheme 'mongodb'"):
        open_storage("mongodb://host/db")
    with pytest.raises(ValueError, match=r"unknown scheme 'postgresql\+psycopg2'; .*write "
                                         r"postgresql://\.\.\. \(the driver is chosen here"):
        open_storage("postgresql+psycopg2://me@db:5432/tune")  # an Optuna (SQLAlchemy) URL
    with pytest.raises(TypeError, match="storage="):
        open_storage(3)  # type: ignore[arg-type]



@pytest.mark.parametrize("suffix", ["?timeout=30", "?mode=ro&uri=true", "#main"])
@pytest.mark.parametrize("scheme", ["sqlite", "file"])
def test_a_file_url_with_a_query_or_fragment_is_refused(tmp_path, monkeypatch, scheme, suffix):
    """SQLAlchemy's (Optuna's) ``sqlite:///tune.db?timeout=30`` is refused naming the
    part this library does not read, and no file is made: it opened a database file
    named ``tune.db?timeout=30``, so the workers that wrote sqlite:///tune.db shared
    another study."""
    monkeypatch.chdir(tmp_path)
    name = "tune.db" if scheme == "sqlite" else "tune.jsonl"
    url = f"{scheme}:///{tmp_path / name}{suffix}"
    with pytest.raises(ValueError, match=re.escape(f"storage={url!r}: ") + ".*"
                       + re.escape(f"{suffix!r} is not read here (no driver options); write "
                                   f"{scheme}:///{tmp_path / name}") + "$"):
        open_storage(url)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("url", "hint"), [
    ("sqlite:study.db", "write sqlite:///study.db (relative"),
    ("sqlite:/abs/study.db", "write sqlite:////abs/study.db"),
    ("SQLite:study.db", "write sqlite:///study.db"),
    ("postgresql:/db.cluster/studies", "write postgresql://user@host:port/database"),
    ("file:run.jsonl", "write the path alone (run.jsonl)"),
])
def test_a_url_missing_its_slashes_is_refused_with_the_url_to_write(tmp_path, monkeypatch,
                                                                     url, hint):
    """`sqlite:study.db` has no `//`: it used to be taken as a file path, creating a JSON-lines
    file named `sqlite:study.db` (or failing with "No such file or directory" for
    `sqlite:/...`); now it is refused, naming the URL to write, and nothing is created."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match=re.escape(f"storage={url!r} is not a URL: ") + ".*"
                       + re.escape(hint)):
        open_storage(url)
    assert list(tmp_path.iterdir()) == []


def test_a_file_path_to_an_sqlite_database_names_its_sqlite_url(tmp_path, monkeypatch):
    """A path (`study.db`, or `file:///.../study.db`) names a JSON-lines file; given an SQLite
    database it used to fail with "line 1: not valid JSON" and a TruncatedJournalWarning.
    URL schemes are case-insensitive (RFC 3986), so `SQLITE:///` opens it."""
    monkeypatch.chdir(tmp_path)
    open_storage("sqlite:///study.db").close()  # the database file exists now
    before = (tmp_path / "study.db").read_bytes()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no TruncatedJournalWarning either
        with pytest.raises(ValueError, match=r"'study.db' is an SQLite database.*"
                                             r"write sqlite:///study.db \(relative"):
            open_storage("study.db")
        absolute = tmp_path / "study.db"
        with pytest.raises(ValueError, match=f"write sqlite:///{absolute}$"):
            open_storage(f"file://{absolute}")
    assert (tmp_path / "study.db").read_bytes() == before
    storage = open_storage("SQLITE:///study.db")
    assert type(storage).__name__ == "SQLiteStorage"
    storage.close()


def _append_many(path: str, worker: int, n: int) -> None:
    storage = JSONLStorage(path)
    storage.create_or_attach("s", {"v": 1})
    for i in range(n):
        storage.append("s", [{"worker": worker, "i": i, "pad": "x" * (i * 37 % 900)}])
    storage.close()


def test_several_processes_append_to_one_file(tmp_path):
    path = tmp_path / "shared.jsonl"
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_append_many, args=(str(path), w, 40)) for w in range(4)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(120)
        assert process.exitcode == 0
    events = JSONLStorage(path).read("s")
    assert len(events) == 160
    for w in range(4):
        assert [e["i"] for e in events if e["worker"] == w] == list(range(40))
    assert all(json.loads(line) for line in path.read_text().splitlines())


HOLD_LOCK = """
import sys, time
from bayesopt.storage.jsonl import JSONLStorage
storage = JSONLStorage(sys.argv[1])
with storage.lock("s"):
    print("locked", flush=True)
    time.sleep(600)
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL")
def test_the_lock_excludes_other_processes_and_dies_with_its_holder(tmp_path):
    import fcntl

    path = tmp_path / "s.jsonl"
    storage = JSONLStorage(path)
    storage.create_or_attach("s", {})
    with closing(storage), started([sys.executable, "-c", HOLD_LOCK, str(path)],
                                   stdout=subprocess.PIPE,
                                   env={**os.environ, "PYTHONPATH": str(REPO)},
                                   text=True) as holder:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        probe = os.open(path, os.O_RDONLY)
        with pytest.raises(BlockingIOError):
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
        holder.send_signal(signal.SIGKILL)
        holder.wait(30)
        fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)  # released by the kernel
        fcntl.flock(probe, fcntl.LOCK_UN)
        os.close(probe)
        with storage.lock("s"):
            assert storage.append("s", [{"after": "kill"}]) == 0


def test_a_torn_last_line_is_skipped_then_truncated_by_the_next_writer(tmp_path):
    path = tmp_path / "s.jsonl"
    storage = JSONLStorage(path)
    storage.create_or_attach("s", {})
    storage.append("s", [{"a": 0}, {"a": 1}])
    storage.close()
    with open(path, "ab") as handle:
        handle.write(b'{"a": 2, "tor')  # a writer killed in the middle of its write
    reader = JSONLStorage(path)
    with pytest.warns(TruncatedJournalWarning, match="last line is incomplete"):
        assert reader.read("s") == [{"a": 0}, {"a": 1}]
    assert reader.append("s", [{"a": 2}]) == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error", TruncatedJournalWarning)
        assert JSONLStorage(path).read("s") == [{"a": 0}, {"a": 1}, {"a": 2}]
    reader.close()


def test_a_scan_reads_the_file_it_checked_not_one_renamed_over_it_since(tmp_path, monkeypatch):
    """`_scan` checks that the held descriptor is still the file at the path, then reads:
    through that descriptor, so a file renamed over the path between the check and the
    read is not read as this study (it reopened the path and read the new file's lines
    as this study's events; tidy16). The next read refuses the replaced file."""
    path, other = tmp_path / "run.jsonl", tmp_path / "other.jsonl"
    for where, n in ((path, 2), (other, 5)):
        storage = JSONLStorage(where)
        storage.create_or_attach("s", {"journal": "bayesopt", "n": n})
        storage.append("s", [{"event": "tell", "i": i, "of": n} for i in range(n)])
        storage.close()
    real_stat, fired = Path.stat, []

    def stat_then_replace(self: Path, *args, **kwargs):
        status = real_stat(self, *args, **kwargs)
        if self == path and reader._fd is not None and not fired:  # between check and read
            fired.append(True)
            os.replace(other, path)
        return status

    reader = JSONLStorage(path)
    monkeypatch.setattr(Path, "stat", stat_then_replace)
    assert reader.read("s") == [{"event": "tell", "i": i, "of": 2} for i in range(2)]
    assert fired
    monkeypatch.undo()
    with pytest.raises(ValueError, match="was deleted or replaced"):
        reader.read("s")
    reader.close()


_OPTUNA_JOURNAL = (  # the first lines of an Optuna JournalStorage file (JournalFileBackend)
    '{"op_code":0,"worker_id":"w-1","study_name":"o","directions":[1]}\n'
    '{"op_code":4,"worker_id":"w-1","study_id":0,"datetime_start":"2026-12-05T05:45:07"}\n'
)


@pytest.mark.parametrize(("line", "match"), [
    (lambda: '{"n": ' + "[" * 100_000 + "]" * 100_000 + "}",
     ".* is not valid JSON .arrays or objects nested too deeply"),
    (lambda: '{"n": ' + "9" * 5000 + "}",  # Python 3.10: "Exceeds the limit (4300) for ..."
     r".* is not valid JSON .Exceeds the limit \(4300( digits)?\)"),
    (lambda: '{"n": [' + "0," * (64 << 19) + "0]}",  # 64 MiB + 9 bytes
     r"of 6710887\d bytes .* longer than the 67108864 bytes"),
], ids=["deep", "5000-digits", "64-MiB"])
def test_a_hostile_line_is_refused_naming_its_line(tmp_path, line, match):
    """A line nested deeper than json's decoder recurses raised RecursionError, and an
    integer of more digits than Python converts a ValueError naming no file or line (a
    journal copied from elsewhere, or damaged); both are now the StorageError of a line
    that is not valid JSON, naming the file and the line. A line of 100 MB of JSON took
    2.6 GB to decode (one of 1 GB would take some 26 GB): a line longer than
    `codec.MAX_TEXT_BYTES` (64 MiB) is refused, naming its size, without being decoded."""
    path = tmp_path / "study.jsonl"
    storage = JSONLStorage(path)
    storage.create_or_attach("s", {"v": 1})
    storage.append("s", [{"n": 0}])
    storage.close()
    with open(path, "a", encoding="utf-8") as file:
        file.write(line() + "\n")
    other = JSONLStorage(path)
    try:
        with pytest.raises(ValueError, match=f"study.jsonl', line 3: stored text {match}"):
            other.read("s")
    finally:
        other.close()


def test_a_line_990_deep_is_refused_below_python_3_12_and_read_as_written_from_it(tmp_path):
    """990 levels are within the recursion limit (1000), but not with the reader's frames
    below them: Python 3.10 and 3.11 count the decoder's recursion against that limit, and
    the line is refused naming it, as a deeper one is on every version. From 3.12 the
    decoder's C recursion has a limit of its own, whatever the frames below (1000 levels
    and more on 3.12, 5000 on 3.13): the line is JSON it reads, and it is read as written."""
    path = tmp_path / "study.jsonl"
    storage = JSONLStorage(path)
    storage.create_or_attach("s", {"v": 1})
    storage.append("s", [{"n": 0}])
    storage.close()
    line = '{"n": ' + "[" * 990 + "]" * 990 + "}"
    with open(path, "a", encoding="utf-8") as file:
        file.write(line + "\n")
    other = JSONLStorage(path)
    try:
        if sys.version_info < (3, 12):
            with pytest.raises(ValueError, match="study.jsonl', line 3: stored text .* is not "
                                                 "valid JSON .arrays or objects nested too deeply"):
                other.read("s")
        else:
            assert other.read("s")[1] == json.loads(line)
    finally:
        other.close()


def test_a_long_journal_is_scanned_and_read_in_bounded_memory(tmp_path):
    """A scan read every byte after the last one seen into memory at once, then split it
    into one bytes object per line: attaching to a journal of 24 MB took over 50 MB of
    Python heap (64.6 MB), its whole size and more, on every worker, at every attach or resume
    (jsonl2). It now holds one block (`jsonl.BLOCK`) of the file at a time, and the index
    of the lines' positions (8 bytes a line); a page of events read holds that page."""
    path = tmp_path / "long.jsonl"
    storage = JSONLStorage(path)
    storage.create_or_attach("s", {"v": 1})
    storage.close()
    pad = "x" * 100
    with open(path, "a", encoding="utf-8") as file:
        file.writelines(f'{{"i":{i},"pad":"{pad}"}}\n' for i in range(200_000))
    assert path.stat().st_size > 24e6
    reader = JSONLStorage(path)
    try:
        count, peak = peak_bytes(lambda: reader.count("s"))
        assert count == 200_000
        # the index (1.6 MB, and its copy while it grows) and a block's lines: 5.8 MB
        assert peak < 12e6, f"a scan of {path.stat().st_size} bytes took {peak} bytes"
        page, peak = peak_bytes(lambda: reader.read("s", 150_000, limit=1000))
        assert [event["i"] for event in page] == list(range(150_000, 151_000))
        assert peak < 6e6, f"a page of 1000 events took {peak} bytes"
        assert reader.read("s", 199_999) == [{"i": 199_999, "pad": pad}]
    finally:
        reader.close()


def test_a_line_over_the_limit_is_refused_without_being_held_whole(tmp_path):
    """A line longer than `codec.MAX_TEXT_BYTES` (64 MiB) was refused only once read
    whole, and the scan before held the whole file: 134 MB of Python heap for a line never
    decoded (jsonl2). It is now measured a block at a time and refused, naming its
    line and size, holding a few blocks at most; a line within the limit but longer
    than a block, the header's too, is read whole and decoded."""
    path = tmp_path / "study.jsonl"
    storage = JSONLStorage(path)
    storage.create_or_attach("s", {"v": 1, "choices": ["c" * 1000] * 3000})  # 3 MB
    storage.append("s", [{"n": 0}, {"text": "t" * (3 << 20)}])
    storage.close()
    with open(path, "a", encoding="utf-8") as file:
        file.write('{"n": "' + "9" * (64 << 20) + '"}\n')
    reader = JSONLStorage(path)
    try:
        assert reader.header("s")["choices"] == ["c" * 1000] * 3000
        assert reader.read("s", 0, limit=2) == [{"n": 0}, {"text": "t" * (3 << 20)}]
        refusal, peak = peak_bytes(lambda: pytest.raises(ValueError, reader.read, "s", 2))
        assert re.search(r"study.jsonl', line 4: stored text of 67108873 bytes \(beginning "
                         r"b'\{\"n\": \"999.* is longer than the 67108864 bytes",
                         str(refusal.value)), refusal.value
        assert peak < 6e6, f"refusing the line took {peak} bytes"
    finally:
        reader.close()


@pytest.mark.parametrize("block", [1, 2, 3, 7, 64])
def test_a_scan_in_blocks_indexes_the_lines_a_whole_read_finds(tmp_path, monkeypatch, block):
    """The scan and the read, a block at a time, find the lines that splitting the whole
    file finds, for blocks that cut lines anywhere: lines of whitespace only (spaces,
    tabs, CR) are no events, a line's own spaces are kept, and a torn tail is skipped
    with a warning only if it holds more than whitespace."""
    from bayesopt.storage import jsonl

    monkeypatch.setattr(jsonl, "BLOCK", block)
    path = tmp_path / "s.jsonl"
    events = [{"i": i, "pad": "p" * (i * 7 % 23)} for i in range(40)]
    lines = [json.dumps({"study": "s"})]
    for i, event in enumerate(events):
        lines.append((" " * (i % 3)) + json.dumps(event) + ("\t\r" if i % 4 == 0 else ""))
        lines.extend([" \t ", "", "\r"][: i % 4])
    text = "\n".join(lines) + "\n"
    path.write_text(text + "  \t")  # a tail of whitespace: no torn line
    reader = JSONLStorage(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error", TruncatedJournalWarning)
        assert reader.read("s") == events
        assert reader.read("s", 17, limit=5) == events[17:22]
    with open(path, "a", encoding="utf-8") as file:
        file.write(' {"i": 40} \n{"i": 4')  # one more line, then a torn one
    with pytest.warns(TruncatedJournalWarning, match="last line is incomplete"):
        assert reader.read("s", 38) == [*events[38:], {"i": 40}]
    assert reader.count("s") == 41
    reader.close()


def test_a_resumed_journals_bad_line_is_named_once(tmp_path):
    """The error of a bad line named the journal twice: "journal 'run.jsonl': journal
    'run.jsonl', line 3: ..." (the optimizer's name for the storage before the storage's
    own message, which names it already)."""
    from bayesopt import Optimizer, Real
    from bayesopt.journal import JournalError

    path = tmp_path / "run.jsonl"
    with Optimizer({"x": Real(0.0, 1.0)}, seed=0, journal=path) as opt:
        opt.tell({"x": 0.5}, 1.0)
    with open(path, "a", encoding="utf-8") as file:
        file.write('{"n": ' + "[" * 100_000 + "]" * 100_000 + "}\n")  # refused on every Python
    with pytest.raises(JournalError) as refused:
        Optimizer.resume(path)
    message = str(refused.value)
    assert message.startswith(f"journal {str(path)!r}, line 3: stored text "), message
    assert message.count("journal ") == 1, message


@pytest.mark.parametrize("name", ["\x00", "", 5, None, ["s"]])
def test_a_header_naming_no_valid_study_is_refused_naming_the_file(tmp_path, name):
    """A header whose "study" is no study name (a NUL, empty, not text: a damaged or
    hostile file) raised the argument check's ValueError, ``study='\\x00' must be ...``,
    which named neither the file nor the line, from `Optimizer.resume` and
    `bayesopt show`; now a StorageError naming both (found by bench.hostile_journal)."""
    path = tmp_path / "run.jsonl"
    with Optimizer({"x": Real(0, 1)}, seed=0, journal=path) as opt:
        opt.tell(opt.ask(), 1.0)
    header, *events = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([json.dumps({**json.loads(header), "study": name}), *events])
                    + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"run.jsonl', line 1: the header's study="):
        Optimizer.resume(path)
    with pytest.raises(ValueError, match=r"run.jsonl', line 1: the header's study="):
        JSONLStorage(path).studies()


def test_another_programs_json_lines_file_is_refused_and_never_deleted(tmp_path):
    """A JSON-lines file whose first line is no bayesopt header (neither "study" nor
    "journal": here Optuna's JournalStorage) is not a study: listing, attaching, reading
    and `bayesopt delete-study` raise a StorageError naming the file, which is left
    byte for byte as it was (delete-study --study journal removed it)."""
    path = tmp_path / "optuna_journal.log"
    path.write_text(_OPTUNA_JOURNAL)
    storage = JSONLStorage(path)
    for operation in (storage.studies, lambda: storage.delete_study("journal"),
                      lambda: storage.create_or_attach("journal", {"v": 1}),
                      lambda: storage.read("journal"), lambda: storage.header("o")):
        with pytest.raises(ValueError, match="optuna_journal.log.*no bayesopt header"):
            operation()
    done = subprocess.run([sys.executable, "-m", "bayesopt", "delete-study", "--storage",
                           str(path), "--study", "journal"], capture_output=True, text=True,
                          cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, check=False)
    assert done.returncode == 2 and "no bayesopt header" in done.stderr, done.stderr
    assert path.read_text() == _OPTUNA_JOURNAL


_WRITE_A_READ_ONLY_FILE = """
import sys
import warnings
from bayesopt import Optimizer, Real
from bayesopt.journal import JournalError

warnings.simplefilter("ignore")  # ResumeWarning
journal, study = sys.argv[1], sys.argv[2]
resumed = Optimizer.resume(journal)
print("resumed", len(resumed.history))
for what, write in (
        ("continue", lambda: resumed.tell(resumed.ask(), 1.0)),
        ("attach", lambda: Optimizer({"x": Real(0, 1)}, storage=study, study="s").ask())):
    try:
        write()
        print(what, "written")
    except JournalError as error:
        print(what, "refused:", error)
"""


def test_a_read_only_file_in_a_writable_directory_is_refused_saying_it_can_only_be_read(
        tmp_path):
    """A journal or study file this process cannot write, in a directory it can (another
    user's file, a chmod 444, a read-only bind mount: here the file alone is mounted
    read-only as root, whom permissions do not stop): resuming and attaching read it, and
    the first write is refused naming the file and the reason it cannot be written and that
    it can only be read. It failed with "[Errno 9] Bad file descriptor" (the descriptor
    opened read-only to read it, then written to; review33)."""
    from bayesopt import Optimizer, Real

    journal, study = tmp_path / "run.jsonl", tmp_path / "study.jsonl"
    with Optimizer({"x": Real(0, 1)}, seed=0, journal=journal) as opt:
        for _ in range(3):
            opt.tell(opt.ask(), 0.5)
    with Optimizer({"x": Real(0, 1)}, seed=0, storage=study, study="s") as opt:
        opt.tell(opt.ask(), 0.5)
    before = {path: path.read_bytes() for path in (journal, study)}
    command = [sys.executable, "-c", _WRITE_A_READ_ONLY_FILE, str(journal), str(study)]
    if os.geteuid() == 0:
        mount = ('for f in "$0" "$1"; do mount --bind "$f" "$f" && '
                 'mount -o remount,bind,ro "$f" || exit 9; done; shift; exec "$@"')
        command = ["unshare", "-m", "sh", "-c", mount, str(journal), str(study), *command]
    else:
        journal.chmod(0o444)
        study.chmod(0o444)
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, check=False)
    assert done.returncode == 0, done.stderr
    out = dict(line.split(" ", 1) for line in done.stdout.splitlines())
    assert out["resumed"] == "3"
    for what, path in (("continue", journal), ("attach", study)):
        assert out[what].startswith("refused: "), out[what]
        assert f"cannot write {str(path)!r}" in out[what] and "can only be read" in out[what], (
            out[what])
        assert "Bad file descriptor" not in out[what], out[what]
    assert {path: path.read_bytes() for path in (journal, study)} == before

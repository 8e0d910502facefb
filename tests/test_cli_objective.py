"""`bayesopt run --metric`, the stop rule for a broken command, `show --failed` and
space-file typos, driven through the real console script (helpers from test_cli)."""

from __future__ import annotations

import math
import os
import re
import signal
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bayesopt.command import CommandError, compile_metric, parse_objective
from test_cli import bayesopt, formula, setup_dir, told

METRIC_SCRIPT = textwrap.dedent('''
    import sys
    params = dict(arg.split("=", 1) for arg in sys.argv[1:])
    x, n = float(params["x"]), int(params["n"])
    value = (x - 0.3) ** 2 + 0.1 * n
    print("epoch 1 val_loss: 9.5 (not final)")
    print(f"epoch 2 val_loss: {value!r} acc: 0.5")
    print("objective: 123")        # ignored with --metric
    print("done")
''')
SPACE = {"x": {"type": "real", "low": 0.0, "high": 1.0}, "n": {"type": "integer", "low": 1,
                                                                "high": 4}}
FAIL_TO_START = ("import sys; sys.stderr.write('Traceback ...\\nModuleNotFoundError: torch\\n'); "
                 "sys.exit(1)")
BROKEN = ["--", sys.executable, "-c", FAIL_TO_START, "{x}"]


def test_metric_reads_the_last_matching_line(tmp_path: Path) -> None:
    directory = setup_dir(tmp_path, SPACE, "space.json")
    (directory / "train.py").write_text(METRIC_SCRIPT)
    bayesopt("run", "--space", "space.json", "--n-calls", "5", "--journal", "tune.jsonl",
             "--no-progress", "--metric", r"val_loss: ([0-9.eE+-]+)",
             "--", sys.executable, "train.py", "x={x}", "n={n}", cwd=directory)
    history = told(directory / "tune.jsonl")
    assert len(history) == 5
    for kind, (x, n), value in history:
        assert kind == "ok" and value == formula(x, n)


@pytest.mark.parametrize("pattern, text, expected", [
    (r"val_loss: ([0-9.eE+-]+)", "val_loss: 0.65\n", 0.65),
    (r"val_loss: ([0-9.eE+-]+)", "val_loss: 0.9\nval_loss: 1e-3\nsaved\n", 1e-3),
    (r"acc=(\S+) loss=(?P<loss>\S+)", "acc=0.9 loss=0.25\n", 0.25),
    (r"loss (\S+)", "step 3 loss nan\n", math.nan),
    # coloured output (rich, colorama): ANSI CSI sequences are stripped before matching
    (r"val_loss: ([0-9.eE+-]+)", "\x1b[1mval_loss:\x1b[0m \x1b[32m0.65\x1b[0m\n", 0.65),
    (r"loss=(\S+)", "\x1b[36mloss=0.125\x1b[0m\n", 0.125),
])
def test_parse_objective_with_a_metric(pattern: str, text: str, expected: float) -> None:
    value = parse_objective(text, compile_metric(pattern))
    assert value == expected or (math.isnan(expected) and math.isnan(value))


@pytest.mark.parametrize("text, message", [
    ("loss: 0.5\n", "no line matches"),
    ("val_loss: high\n", "captured 'high'"),
])
def test_metric_without_a_number_is_a_failed_evaluation(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_objective(text, compile_metric(r"val_loss: (\S+)"))


@pytest.mark.parametrize("pattern, message", [
    ("val_loss: [0-9.]+", "no group"),
    ("val_loss: ([0-9.]+", "not a regular expression"),
    ("(?P<a>\\S+) (?P<b>\\S+)", "several named groups"),
])
def test_bad_metric_is_refused(pattern: str, message: str, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match=re.escape(message)):
        compile_metric(pattern)
    directory = setup_dir(tmp_path, SPACE, "space.json")
    done = bayesopt("run", "--space", "space.json", "--metric", pattern, "--no-progress",
                    "--", sys.executable, "-c", "print(1)", "{x}", "{n}", cwd=directory,
                    check=False)
    assert done.returncode == 2 and message in done.stderr


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_command_that_always_fails_stops_with_its_stderr(tmp_path: Path, workers: str) -> None:
    directory = setup_dir(tmp_path, {"x": SPACE["x"]}, "space.json")
    done = bayesopt("run", "--space", "space.json", "--n-calls", "40", "--journal", "tune.jsonl",
                    "--workers", workers, "--no-progress", *BROKEN, cwd=directory, check=False)
    assert done.returncode == 1, done.stderr
    assert re.search("stopped after [56] failed evaluations in a row", done.stdout)
    assert "ModuleNotFoundError: torch" in done.stdout and "exited with status 1" in done.stdout
    # the first failure is shown at once, as the command line's warning, without a traceback
    assert "bayesopt: warning: evaluation at {'x':" in done.stderr
    assert "ModuleNotFoundError: torch" in done.stderr and "most recent call" not in done.stderr
    n_told = len(told(directory / "tune.jsonl"))
    assert 5 <= n_told <= 6  # the fifth failure stops it; one more may have been running


def test_max_consecutive_failures_zero_never_stops(tmp_path: Path) -> None:
    directory = setup_dir(tmp_path, {"x": SPACE["x"]}, "space.json")
    done = bayesopt("run", "--space", "space.json", "--n-calls", "7", "--journal", "tune.jsonl",
                    "--max-consecutive-failures", "0", "--no-progress", *BROKEN, cwd=directory,
                    check=False)
    assert done.returncode == 1 and "every evaluation failed" in done.stdout
    assert len(told(directory / "tune.jsonl")) == 7


def test_show_failed_prints_the_stored_stderr_tail(tmp_path: Path) -> None:
    """k = 1 exits 3 after 30 stderr lines (20 are kept); k = 2 prints no number."""
    directory = setup_dir(tmp_path, {"k": {"type": "integer", "low": 1, "high": 2}}, "k.json")
    bayesopt("run", "--space", "k.json", "--n-calls", "2", "--journal", "tune.jsonl",
             "--no-progress", "--", sys.executable, "objective.py", "behaviours", "k={k}",
             cwd=directory, check=False)
    shown = bayesopt("show", "tune.jsonl", "--failed", cwd=directory).stdout
    assert "exited with status 3" in shown
    assert "stderr line 29" in shown and "stderr line 10" in shown
    assert "stderr line 9\n" not in shown
    assert "the loss went to the moon" in shown  # the stdout tail of the unparsable run


@pytest.mark.parametrize("key, value, typo, suggestion", [
    ("log", "true", "lgo", "log"),
    ("type", '"real"', "tpye", "type"),
])
def test_space_file_typo_suggests_the_nearest_key(tmp_path: Path, key: str, value: str,
                                                  typo: str, suggestion: str) -> None:
    lines = {"type": '"real"', "low": "1e-4", "high": "0.1", "log": "true"}
    text = "[lr]\n" + "".join(f"{typo if k == key else k} = {v}\n" for k, v in lines.items())
    directory = setup_dir(tmp_path, text)
    done = bayesopt("run", "--space", "space.toml", "--no-progress",
                    "--", sys.executable, "-c", "print(1)", "{lr}", cwd=directory, check=False)
    assert done.returncode == 2
    assert f"did you mean {suggestion!r}" in done.stderr


def test_space_file_type_typo_suggests_the_nearest_type(tmp_path: Path) -> None:
    directory = setup_dir(tmp_path, '[n]\ntype = "interger"\nlow = 1\nhigh = 4\n')
    done = bayesopt("run", "--space", "space.toml", "--no-progress",
                    "--", sys.executable, "-c", "print(1)", "{n}", cwd=directory, check=False)
    assert done.returncode == 2 and "did you mean 'integer'" in done.stderr


def test_timeouts_are_failures_that_never_stop_the_run() -> None:
    """A command killed by its timeout is part of the problem (a slow configuration)."""
    from bayesopt import Real, minimize
    from bayesopt.command import CommandObjective, CommandTemplate
    from bayesopt.space import Space

    space = Space({"x": Real(0.0, 1.0)})
    sleeper = CommandTemplate.parse(
        [sys.executable, "-c", "import time; time.sleep(30)", "{x}"], space)
    result = minimize(CommandObjective(sleeper, timeout=0.3), space, n_calls=3, seed=0,
                      progress=False, max_consecutive_failures=1)
    assert len(result) == 3 and result.n_failed == 3
    assert all(o.error.startswith("timed out after 0.3 s") for o in result.history)


def test_an_objective_printed_to_stderr_only_is_pointed_out_in_the_failure() -> None:
    """A script that logs its objective (Python's logging writes to standard error) fails
    for want of an objective on standard output; the reason now says that standard error
    has one, instead of only asking to print a line that was printed."""
    from bayesopt.command import CommandObjective, CommandTemplate, EvaluationError
    from bayesopt.space import Space

    to_stderr = "import sys; print('val 3', file=sys.stderr); print('objective: 0.5', file=sys.stderr)"
    template = CommandTemplate.parse([sys.executable, "-c", to_stderr, "{x}"],
                                     Space.from_dict(SPACE))
    with pytest.raises(EvaluationError) as error:
        CommandObjective(template)({"x": 0.5, "n": 1})
    assert error.value.reason.startswith("no objective in the output")
    assert "standard error has one ('objective: 0.5')" in error.value.reason
    assert "print it to standard output" in error.value.reason


@pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX sessions")
@pytest.mark.parametrize("timeout", [None, 30.0])
def test_a_command_whose_background_process_keeps_its_output_open_is_not_waited_for(
        tmp_path: Path, timeout: float | None) -> None:
    """A command that starts a background process of its own session (a server, a logger)
    and exits: the background process inherits the output pipes, and the evaluation waited
    until it closed them, for ever without --timeout, and with one until it expired, when
    the evaluation that had succeeded was recorded as timed out. The command's exit now ends
    the evaluation once its output has been drained (a few seconds at most)."""
    from bayesopt.command import CommandObjective, CommandTemplate
    from bayesopt.space import Space

    pid_file = tmp_path / "daemon.pid"
    script = ("import subprocess, sys; "
              "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'], "
              "start_new_session=True); "
              f"open({str(pid_file)!r}, 'w').write(str(p.pid)); "
              "print('objective: 0.25')")
    template = CommandTemplate.parse([sys.executable, "-c", script, "{x}"],
                                     Space.from_dict(SPACE))
    objective = CommandObjective(template, timeout=timeout)
    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(objective, {"x": 0.5, "n": 1})
        try:
            assert future.result(timeout=20) == 0.25
        finally:
            os.kill(int(pid_file.read_text()), signal.SIGKILL)


@pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX process groups")
def test_a_process_of_the_commands_group_that_outlives_it_is_still_read() -> None:
    """The other side of the test above: a process left in the command's own group (a
    shell's background job) is part of the command, and what it prints after the command
    has exited is its output, read to the end."""
    from bayesopt.command import CommandObjective, CommandTemplate
    from bayesopt.space import Space

    template = CommandTemplate.parse(["sh", "-c", "(sleep 2; echo 'objective: 2.5') & echo {x}"],
                                     Space.from_dict(SPACE))
    assert CommandObjective(template)({"x": 0.5, "n": 1}) == 2.5


# A command that starts a background job in its own process group and exits: the job
# holds the output pipes, so the evaluation goes on reading until the job ends.
LINGERING = ["sh", "-c", "sleep 600 & echo $! > bg.pid; echo $$ > sh.pid; echo {x}"]


def _wait_until(condition, what: str, seconds: float = 30.0) -> None:
    import time

    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX process groups")
def test_stop_kills_a_group_whose_command_has_exited(tmp_path: Path) -> None:
    """`stop()` (Ctrl-C of `bayesopt run --workers 2`) killed only the groups of commands
    still running: a command that had exited, leaving a background job of its group that
    holds its output open, was left alone, so the worker thread went on waiting for that
    job (600 s here, for ever for a server) and the run did not stop. It is killed now."""
    from bayesopt.command import CommandObjective, CommandTemplate, EvaluationError
    from bayesopt.space import Space
    from test_cli import is_running

    template = CommandTemplate.parse(LINGERING, Space.from_dict(SPACE))
    objective = CommandObjective(template)
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        with ThreadPoolExecutor(1) as pool:
            future = pool.submit(objective, {"x": 0.5, "n": 1})
            _wait_until(lambda: (tmp_path / "sh.pid").exists() and objective._running
                        and all(p.returncode is not None for p in objective._running),
                        "the command to exit, its background job running")
            background = int((tmp_path / "bg.pid").read_text())
            try:
                assert is_running(background)
                objective.stop()
                _wait_until(future.done, "the evaluation to end after stop()")
                _wait_until(lambda: not is_running(background), "the background job to die")
            finally:
                if is_running(background):
                    os.kill(background, signal.SIGKILL)
            # the command itself had exited 0 with its objective: whichever way it is
            # recorded, nothing but an evaluation's own outcome comes out
            assert future.exception() is None or isinstance(future.exception(), EvaluationError)
    finally:
        os.chdir(cwd)


@pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX signals and process groups")
def test_ctrl_c_kills_a_group_whose_command_has_exited(tmp_path: Path) -> None:
    """Ctrl-C of `bayesopt run` while it reads the output of a command that has exited but
    left a background job in its group: the run stopped and the job ran on, orphaned (only
    a command still running had its group killed). The group is killed now."""
    import subprocess

    from test_cli import CONSOLE_SCRIPT, is_running, with_default_signals

    directory = setup_dir(tmp_path, SPACE, "space.json")
    process = subprocess.Popen(
        with_default_signals([CONSOLE_SCRIPT, "run", "--space", "space.json", "--n-calls", "2",
                              "--no-progress", "--", *LINGERING]),
        cwd=directory, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    background = None
    try:
        _wait_until(lambda: (directory / "bg.pid").exists() and (directory / "sh.pid").exists()
                    and (directory / "sh.pid").read_text().strip() != "", "the command to start")
        background = int((directory / "bg.pid").read_text())
        _wait_until(lambda: not is_running(int((directory / "sh.pid").read_text())),
                    "the command to exit")
        # the run's poll reaps the command's first process (zombie until then) at once
        _wait_until(lambda: not _children(process.pid), "the run to reap the command")
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
        assert process.returncode == 130, stderr
        _wait_until(lambda: not is_running(background), "the background job to die")
    finally:
        if process.poll() is None:
            process.kill()
        if background is not None and is_running(background):
            os.kill(background, signal.SIGKILL)


def _children(pid: int) -> list[str]:
    """The pids of `pid`'s children, started by any of its threads (Linux /proc; none
    elsewhere, where the test may pass without having sent its signal at the right time)."""
    children: list[str] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children += (task / "children").read_text().split()
        except OSError:
            pass
    return children


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="bayesopt.tether is Linux's")
def test_the_tether_dumps_no_core_of_its_own_for_a_command_that_crashed(tmp_path: Path) -> None:
    """A command killed by SIGSEGV (a crashing extension, CUDA): the tether ends by the same
    signal so that the run sees the command's own exit, and with core dumps enabled it
    wrote a core of its Python interpreter (megabytes, in the command's directory) — even
    for a command that dumps none itself. It still ends by the signal, and dumps nothing."""
    import bayesopt.command

    tether = bayesopt.command._TETHER
    crash = "ulimit -c 0; kill -SEGV $$"  # the command itself dumps no core
    script = (f'cd "$3" && ulimit -c unlimited 2>/dev/null || exit 3; '
              f'exec "$0" -I -S {tether} "$1" sh -c "$2"')
    pid = os.posix_spawn("/bin/sh", ["sh", "-c", script, sys.executable, str(os.getpid()), crash,
                                     str(tmp_path)], dict(os.environ), setsid=True)
    _, status = os.waitpid(pid, 0)
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 3:
        pytest.fail("could not raise RLIMIT_CORE for the test")
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGSEGV
    assert not os.WCOREDUMP(status)
    assert not list(tmp_path.glob("core*"))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="bayesopt.tether is Linux's")
def test_a_command_killed_by_sigkill_is_a_failure_saying_so(tmp_path: Path) -> None:
    """The out-of-memory killer's SIGKILL: the tether ends by SIGKILL too (whose action it
    cannot set), so the failure says the command was killed by SIGKILL. Before, setting
    SIGKILL's action raised OSError in the tether, which exited with status 1 and its own
    traceback as the command's stderr (robustness fuzz, "command line")."""
    directory = setup_dir(tmp_path, {"x": {"type": "real", "low": 0.0, "high": 1.0}},
                          "space.json")
    kill = ("import os, signal; print('objective: 0.5', flush=True); "
            "os.kill(os.getpid(), signal.SIGKILL)")
    done = bayesopt("run", "--space", "space.json", "--n-calls", "2", "--journal",
                    "tune.jsonl", "--", sys.executable, "-c", kill, "{x}", cwd=directory,
                    check=False)
    assert done.returncode == 1, done.stderr  # every evaluation failed
    failures = told(directory / "tune.jsonl")
    assert [kind for kind, _, _ in failures] == ["failed", "failed"]
    for _, _, error in failures:
        assert "killed by signal SIGKILL" in str(error), error
        assert "tether" not in str(error) and "OSError" not in str(error), error


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; the tether is Linux's")
def test_a_command_starts_with_sigpipe_and_sigxfsz_at_their_defaults() -> None:
    """Python ignores SIGPIPE and SIGXFSZ; the tether restores them in the command, as
    `subprocess.Popen(restore_signals=True)` does, so that `cmd | head` in a command's shell
    ends as in a terminal. The objective printed is the ignored mask of those two: 0."""
    from bayesopt.command import CommandObjective, CommandTemplate
    from bayesopt.space import Space

    mask = (1 << (signal.SIGPIPE - 1)) | (1 << (signal.SIGXFSZ - 1))
    probe = f'm=$(grep SigIgn /proc/self/status | cut -f2); echo $(( 0x$m & {mask} ))  # {{x}}'
    template = CommandTemplate.parse(["sh", "-c", probe], Space.from_dict(SPACE))
    assert CommandObjective(template)({"x": 0.5, "n": 1}) == 0.0


# ------------------------------------------------- output read in bounded memory
BOUND = 2 * 65536 + (1 << 20)  # _StreamReader: 2 * OUTPUT_TAIL_BYTES + LINE_BYTES

MEMORY_PROBE = textwrap.dedent('''
    import re, resource, sys
    from bayesopt.command import CommandObjective, CommandTemplate
    big = int(sys.argv[1])
    tagged = CommandTemplate(("sh", "-c", f"yes | head -c {big}; echo objective: 0.5"))
    endless = CommandTemplate(("sh", "-c", f"head -c {big} /dev/zero; echo ' loss: 0.25'"))
    values = [CommandObjective(tagged)({}),
              CommandObjective(endless, metric=re.compile(r"loss: (\\S+)"))({})]
    print(values, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
''')


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ru_maxrss is in KiB on Linux")
def test_a_command_writing_far_more_than_the_bound_is_read_in_bounded_memory() -> None:
    """64 MB of short lines, then 64 MB of one line without a newline: each objective is
    read, and the reading process peaks at a fraction of what the command wrote (read
    whole, the output was held several times over: 406 MB peak for 50 MB)."""
    import subprocess

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    runs = {}
    for size in (1000, 64_000_000):
        done = subprocess.run([sys.executable, "-c", MEMORY_PROBE, str(size)], env=env,
                              capture_output=True, text=True, check=True)
        values, peak_kib = done.stdout.rsplit(" ", 1)
        assert values == "[0.5, 0.25]", done.stdout
        runs[size] = int(peak_kib) * 1024
    assert runs[64_000_000] - runs[1000] < 16_000_000, runs


def _fed(chunks: list[bytes], metric: re.Pattern[str] | None = None) -> tuple[float, int]:
    """(objective, most bytes held between reads) of `chunks` fed to a stdout reader."""
    from bayesopt.command import _ObjectiveScanner, _StreamReader

    reader, held = _StreamReader(_ObjectiveScanner(metric)), 0
    for chunk in chunks:
        reader.feed(chunk)
        held = max(held, reader.retained)
    reader.close()
    assert reader.scanner is not None
    return reader.scanner.value(), held


def test_the_reader_holds_a_bounded_buffer_whatever_the_command_writes() -> None:
    lines = [b"step 1 loss 0.3\n" * 4096] * 256  # 16 MiB of lines
    assert _fed([*lines, b"objective: 0.5\n", b"done\n"])[0] == 0.5
    assert _fed([*lines, b"objective: 0.5\n"])[1] <= BOUND
    endless = [b"x" * 65536] * 256  # a 16 MiB line without a newline
    metric = compile_metric(r"loss: (\S+)")
    value, held = _fed([b"loss: 9\n", *endless, b" loss: 0.25"], metric)
    assert (value, held <= BOUND) == (0.25, True)
    bar = [b"\r 50%|#####     | 1/2" * 3000] * 200  # a progress bar redrawn, no newline
    value, held = _fed([*bar, b"\robjective: 0.75\n"])
    assert (value, held <= BOUND) == (0.75, True)
    # an endless line kept by its end is no objective line: its start is gone
    with pytest.raises(ValueError, match="no objective in the output"):
        _fed([b"objective: 1 ", *endless])


@pytest.mark.parametrize("stdout", [
    "objective: 0.25\n", "Objective : -1e-3\nlater output\n", "objective: 1\nobjective: 2\n3\n",
    "loss 3\n12.5\n0.125\nfinished\n", "  7  \n\n", "a\r\n4\r\nb\r\n", "5\r6\rx", "\u0663\n",
    "\x1b[1;32mobjective:\x1b[0m \x1b[33m-2.5\x1b[0m\nnext\n", "caf\u00e9 8\n\u00e9\n9", "",
    "objective: high\n0.2\n", "no number\n", "inf\n", "NaN\nobjective\n",
])
@pytest.mark.parametrize("size", [1, 2, 3, 7])
def test_the_reader_finds_what_parse_objective_finds_in_any_chunking(stdout: str,
                                                                      size: int) -> None:
    """Lines split across reads (multi-byte characters, CSI sequences, \\r\\n included)."""
    data = stdout.encode()
    chunks = [data[i:i + size] for i in range(0, len(data), size)]
    try:
        expected: float | str = parse_objective(stdout)
    except ValueError as error:
        expected = str(error)
    try:
        found: float | str = _fed(chunks)[0]
    except ValueError as error:
        found = str(error)
    assert repr(found) == repr(expected)  # nan == nan here


def test_a_failure_message_says_how_much_of_a_long_output_it_shows() -> None:
    from bayesopt.command import CommandObjective, CommandTemplate, EvaluationError

    noisy = CommandTemplate(("sh", "-c", "yes error | head -c 5000000 >&2; yes | head -c 300000"))
    with pytest.raises(EvaluationError) as failed:
        CommandObjective(noisy)({})
    message = str(failed.value)
    assert "--- last 20 line(s) of stderr (of its last 65536 bytes of 5000000 written) ---" \
        in message
    assert "--- last 5 line(s) of stdout (of its last 65536 bytes of 300000 written) ---" \
        in message
    assert len(message) < 1000


LOGGED_OBJECTIVE = textwrap.dedent('''
    import logging, sys
    logging.basicConfig(stream=sys.stdout, level=logging.INFO)
    logging.info("objective: %r", float(sys.argv[1]) / 4)
    for epoch in range(8):
        print(f"epoch {epoch} done")  # the logged line is no longer in the stdout tail
''')


def test_an_objective_behind_a_logging_prefix_is_shown_in_the_failure(tmp_path: Path) -> None:
    """``INFO:root:objective: 0.25`` is not read (the rule stays strict: a prefix could hold
    another number), but the failure shows the line it saw and a --metric that reads it,
    instead of only asking for a line 'objective: <number>'; the line had left the stdout
    tail the message shows."""
    directory = setup_dir(tmp_path, {"x": SPACE["x"]}, "space.json")
    (directory / "logged.py").write_text(LOGGED_OBJECTIVE)
    done = bayesopt("run", "--space", "space.json", "--n-calls", "2", "--journal", "tune.jsonl",
                    "--no-progress", "--", sys.executable, "logged.py", "{x}",
                    cwd=directory, check=False)
    assert done.returncode == 1, done.stderr
    shown = bayesopt("show", "tune.jsonl", "--failed", cwd=directory).stdout
    reason = next(line for line in shown.splitlines() if "no objective in the output" in line)
    seen = re.search(r"'INFO:root:objective: ([0-9.e-]+)'", reason)
    assert seen is not None, reason
    metric = re.search(r"--metric '([^']+)'", reason)
    assert metric is not None, reason
    logged = f"INFO:root:objective: {seen.group(1)}\nepoch 7 done\n"
    assert parse_objective(logged, compile_metric(metric.group(1))) == float(seen.group(1))
    assert "--- last 5 line(s) of stdout ---\n      epoch 3 done" in shown
    assert "      INFO:root" not in shown  # not in the tails: only the reason shows it


@pytest.mark.parametrize("stdout, shown, metric", [
    ("INFO:root:objective: 0.25\ndone\n", ["'INFO:root:objective: 0.25'"], True),
    ("[12:00] objective=1e-3\n", ["'[12:00] objective=1e-3'"], True),
    ("objective a\nobjective b\nobjective c\nobjective d\n",  # the last three only
     ["'objective b'", "'objective c'", "'objective d'"], False),
    ("x objective: " + "9" * 500 + "\n", ["'…" + "9" * 199 + "'"], True),
])
def test_lines_naming_the_objective_are_shown_when_none_is_read(stdout: str, shown: list[str],
                                                                 metric: bool) -> None:
    with pytest.raises(ValueError) as refused:
        parse_objective(stdout)
    message = str(refused.value)
    assert message.startswith("no objective in the output")
    assert all(line in message for line in shown), message
    assert "objective a" not in message
    assert ("--metric" in message) == metric


def test_a_line_naming_the_objective_before_a_read_one_changes_nothing() -> None:
    assert parse_objective("INFO:root:objective: 9\nobjective: 0.5\n") == 0.5
    assert parse_objective("INFO:root:objective: 9\n0.5\n") == 0.5  # the documented rule 2
    with pytest.raises(ValueError, match="^no objective in the output: print a line "
                                         r"'objective: <number>' \(or the number alone on a "
                                         r"line, last\)$"):
        parse_objective("no number\n")

"""What the command line prints of stored text (a failure's output, a choice, a recorded
command), driven through the real console script (helpers from test_cli)."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

from test_cli import bayesopt

# a crashed script's stderr: a terminal title (OSC ... BEL), colours (CSI), backspaces, a
# carriage return that would overwrite the line, a right-to-left override
HOSTILE = "\x1b]0;pwned\x07\x1b[31mred\x1b[0m back\x08\x08 over\rwritten \u202egnp.exe"
SCRIPT = textwrap.dedent(f'''
    import sys
    if sys.argv[1] == "bad":
        sys.stderr.write({HOSTILE!r} + "\\n")
        sys.exit(1)
    print("objective: 1")
''')


def unprintable(text: str) -> list[str]:
    """The characters of `text` that could drive a terminal (a newline is a line's end)."""
    return sorted({char for char in text if not char.isprintable() and char != "\n"})


def test_stored_text_is_printed_escaped_by_run_and_show(tmp_path: Path) -> None:
    """Every printing path of stored text: run's first-failure warning and summary table,
    show's table, best line, recorded command and --failed lines, in a pipe as on a tty."""
    space = {"c": {"type": "categorical", "choices": ["ok\x1b[2J\x1b]2;x\x07", "bad"]}}
    (tmp_path / "space.json").write_text(json.dumps(space))
    (tmp_path / "train.py").write_text(SCRIPT)
    done = bayesopt("run", "--space", "space.json", "--n-calls", "2", "--journal", "t.jsonl",
                    "--seed", "0", "--no-progress", "--", sys.executable, "train.py", "{c}",
                    "--title=\x1b]0;cmd\x07", cwd=tmp_path)
    shown = bayesopt("show", "t.jsonl", "--failed", cwd=tmp_path)
    for output in (done.stdout, done.stderr, shown.stdout, shown.stderr):
        assert unprintable(output) == [], output
    escaped = "\\x1b]0;pwned\\x07red back\\x08\\x08 over"  # its \r: a line break when stored
    assert escaped + "\nwritten \\u202egnp.exe" in done.stderr
    assert escaped + "\n" in shown.stdout and "written \\u202egnp.exe" in shown.stdout
    assert "c=ok\\x1b]2;x\\x07" in shown.stdout and "--title=\\x1b]0;cmd\\x07" in shown.stdout

"""Child processes of the multi-process tests, ended and closed when their block ends."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def started(args: list[str], **popen: Any) -> Iterator[subprocess.Popen[Any]]:
    """`subprocess.Popen(args, **popen)` for a `with` block. At its end a process still
    running is killed (one a failed test did not get to end: a worker, a lock holder
    sleeping or stopped), then Popen's own exit closes its pipes and waits for it. A test
    that let either to the garbage collector got a ResourceWarning, an error on CI's 3.13
    step; waiting without the kill hangs a failed test on such a process."""
    with subprocess.Popen(args, **popen) as process:
        try:
            yield process
        finally:
            process.kill()  # nothing once it has been waited for

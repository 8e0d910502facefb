"""Run a command whose process group dies with the process that started it (Linux).

`bayesopt.command` starts each command through this script, as

    python -I -S tether.py PARENT_PID PROGRAM [ARG ...]

in a session of its own, so the script's pid is the process group of the
command and of everything the command starts. The script asks the kernel to
send it SIGTERM when its parent dies (``prctl(PR_SET_PDEATHSIG)``, prctl(2)),
which arrives however the parent ends, ``kill -9`` included; its handler then
SIGKILLs the whole group, as a timeout or an interrupted run already does.
Without it the command of a killed `bayesopt run` ran on, orphaned, holding
its GPU. A parent that died before the request is caught by comparing
``getppid()`` with PARENT_PID afterwards (prctl(2): the signal is sent only on
a death after the call). Linux sends it when the *thread* that started the
script ends (prctl(2)); `CommandObjective` waits for the command in that very
thread, which therefore ends only after the command or with the process.

The script forks the command and waits for it, rather than exec'ing it:
the request does not survive an exec of a set-user-ID program, and a command
that itself exits would leave its own children out of the request. The script
then exits as the command did — its status, or the signal that killed it (SIGKILL,
the out-of-memory killer's, too), without a core dump of its own — so the caller sees
the command's own exit. Signals the
interpreter ignores at start-up (SIGPIPE, SIGXFSZ) are restored to their defaults
in the command, as `subprocess.Popen(restore_signals=True)` does.

Run with ``-I -S``: only the standard library, no site, no ``PYTHON*``
variables, so it starts in milliseconds and never imports the package.
Elsewhere than Linux (no prctl) commands are started directly: a command
outlives a `bayesopt run` killed with SIGKILL there (README, Command line).
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import sys
from types import FrameType

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
_RESTORED = ("SIGPIPE", "SIGXFSZ")


def _kill_group(signum: int = 0, frame: FrameType | None = None) -> None:
    """SIGKILL this process group: the command, what it started, and this script."""
    os.killpg(0, signal.SIGKILL)


def _tether(parent: int) -> None:
    """SIGTERM to this process when its parent dies; the group dies if it already has."""
    signal.signal(signal.SIGTERM, _kill_group)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"prctl(PR_SET_PDEATHSIG): {os.strerror(error)}")
    if os.getppid() != parent:  # the parent died before the request
        _kill_group()


def _exec(argv: list[str]) -> None:
    """In the forked child: the command, with the signals Python ignores restored."""
    try:
        for name in _RESTORED:
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.execvp(argv[0], argv)
    except OSError as error:
        os.write(2, f"cannot run {argv[0]!r}: {error}\n".encode())
    os._exit(127)


def main(args: list[str]) -> None:
    parent, argv = int(args[0]), args[1:]
    _tether(parent)
    pid = os.fork()
    if pid == 0:
        _exec(argv)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        signum = os.WTERMSIG(status)
        # a core the command dumped is its own: none of this interpreter beside it
        resource.setrlimit(resource.RLIMIT_CORE, (0, resource.getrlimit(resource.RLIMIT_CORE)[1]))
        if signum != signal.SIGKILL:  # whose action is always to end, and cannot be set
            signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
    os._exit(os.waitstatus_to_exitcode(status))


if __name__ == "__main__":
    main(sys.argv[1:])

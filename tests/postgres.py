"""A throwaway PostgreSQL server for the tests and the storage bench, and a TCP fault injector.

`PostgresServer.start()` runs Debian's (or PATH's) `initdb` into a temporary folder and
`pg_ctl start` on a free port of 127.0.0.1 (its Unix socket in that folder too), as
an unprivileged user when run as root (initdb refuses root). Nothing outside the
folder is touched; `stop()` removes it.

`DropAfterCommit` is a TCP proxy in front of the server that forwards everything, but
when armed, lets one COMMIT through, waits for the server's answer and then closes
the client's connection instead of delivering it: the commit happened, the client
cannot know.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import socketserver
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, final


def find_binaries() -> tuple[Path | None, str]:
    """The folder holding initdb and pg_ctl, or None and where it was looked for."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version, reverse=True)
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(str(Path(on_path).parent))
    for folder in candidates:
        if all((Path(folder) / tool).is_file() for tool in ("initdb", "pg_ctl")):
            return Path(folder), folder
    return None, "no initdb and pg_ctl in /usr/lib/postgresql/*/bin or on PATH"


def _version(folder: str) -> int:
    name = Path(folder).parent.name
    return int(name) if name.isdigit() else 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    """One PostgreSQL cluster in a temporary folder, on 127.0.0.1:`port`."""

    def __init__(self, binaries: Path, *, durable: bool = False) -> None:
        self.binaries = binaries
        self.durable = durable  # fsync on; off for tests, where only clean restarts happen
        self.root = Path(tempfile.mkdtemp(prefix="bayesopt-pg-"))
        self.port = _free_port()
        self._user = self._unprivileged_user()
        if self._user is not None:
            os.chown(self.root, pwd.getpwnam(self._user).pw_uid, -1)
        self._run(
            "initdb",
            "-D",
            str(self.root / "data"),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )

    @staticmethod
    def _unprivileged_user() -> str | None:
        if os.geteuid() != 0:
            return None
        for name in ("postgres", "nobody"):
            try:
                pwd.getpwnam(name)
                return name
            except KeyError:
                continue
        raise RuntimeError("running as root without a 'postgres' or 'nobody' user for initdb")

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.binaries / tool), *args]
        if self._user is not None:
            command = ["runuser", "-u", self._user, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            log = self.root / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}{tail}")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        if not self.durable:
            options += " -c fsync=off"
        self._run(
            "pg_ctl",
            "-D",
            str(self.root / "data"),
            "-l",
            str(self.root / "server.log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.root / "data"), "-m", "fast", "-w", "stop")

    def restart(self) -> None:
        """Stop (fast: every client session is ended) and start again on the same port."""
        self.stop()
        self.start()

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


@contextmanager
def serving(binaries: Path) -> Iterator[PostgresServer]:
    """A started `PostgresServer`, stopped and removed when the block ends."""
    server = PostgresServer(binaries)
    try:
        server.start()
        yield server
    finally:
        try:
            server.stop()
        finally:
            server.remove()


@final
class DropAfterCommit:
    """A TCP proxy to 127.0.0.1:`target`; `arm()` makes it swallow the next COMMIT's answer.

    A `with` block (or `close()`) ends it: the listening socket, every connection's two
    sockets (the client's and the server's) and every thread are closed and joined when it
    returns, a connection still open cut first (socketserver's threading server: a thread
    per connection, each joined at its `server_close`)."""

    def __init__(self, target: int) -> None:
        self.target = target
        self.armed = threading.Event()
        self.dropped = threading.Event()  # set once a commit's answer reached it, swallowed
        self._server = _ProxyServer(("127.0.0.1", 0), _Connection)
        self._server.proxy = self
        self.port = int(self._server.server_address[1])
        self._serving = threading.Thread(target=self._server.serve_forever,
                                         kwargs={"poll_interval": 0.05})
        self._serving.start()

    def __enter__(self) -> DropAfterCommit:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def arm(self) -> None:
        self.dropped.clear()
        self.armed.set()

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def close(self) -> None:
        self._server.shutdown()  # accepts no more; serve_forever returns
        self._serving.join()
        for sock in list(self._server.open):  # a client still connected: cut, so its
            _cut(sock)  # connection's thread ends
        self._server.server_close()  # the listening socket closed, every thread joined

    def _upstream(self, client: socket.socket, server: socket.socket,
                  cut: threading.Event) -> None:
        """Client to server; an armed COMMIT reaches the server, its answer never the client
        (`cut` is set before the COMMIT is sent: the answer could otherwise be piped to
        the client before it is cut off)."""
        while data := _receive(client):
            commit = self.armed.is_set() and b"COMMIT" in data
            if commit:
                cut.set()
            server.sendall(data)
            if commit:
                self.armed.clear()
                _cut(client)
                return
        _cut(server)

    def _pipe(self, source: socket.socket, sink: socket.socket, cut: threading.Event) -> None:
        """Server to client, until `cut`: what arrives after it is the armed COMMIT's answer
        (the client sends a statement only once the previous one is answered), so the
        server has finished the COMMIT when `dropped` is set — a test reading the study on
        another connection waits for it (the old session's COMMIT may otherwise still be
        in flight, and a read that takes no lock sees the study as it was)."""
        while data := _receive(source):
            if cut.is_set():
                self.dropped.set()
                break
            try:
                sink.sendall(data)
            except OSError:
                break
        _cut(sink)


class _ProxyServer(socketserver.ThreadingTCPServer):
    """`DropAfterCommit`'s listener: a non-daemon thread per connection, joined when it
    closes; `open` holds the sockets of the connections not ended yet (a client's from its
    acceptance on, so that one accepted just before `close` is cut too)."""

    proxy: DropAfterCommit

    def __init__(self, address: tuple[str, int],
                 handler: type[socketserver.BaseRequestHandler]) -> None:
        super().__init__(address, handler)
        self.open: set[socket.socket] = set()

    def process_request(self, request: Any, client_address: Any) -> None:
        self.open.add(request)
        super().process_request(request, client_address)


class _Connection(socketserver.BaseRequestHandler):
    """One client's connection: this thread pipes the client to the server, another the
    server to the client; the server's socket is closed here, the client's by socketserver
    once `handle` returns."""

    server: _ProxyServer
    request: socket.socket

    def handle(self) -> None:
        proxy, client, open_ = self.server.proxy, self.request, self.server.open
        try:
            upstream = socket.create_connection(("127.0.0.1", proxy.target))
        except OSError:  # the server is stopped: the client's connection ends, as refused
            open_.discard(client)
            return
        with upstream:
            open_.add(upstream)
            cut = threading.Event()  # set: nothing more reaches the client
            downstream = threading.Thread(target=proxy._pipe, args=(upstream, client, cut))
            downstream.start()
            try:
                proxy._upstream(client, upstream, cut)
            finally:
                downstream.join()
                open_.difference_update((client, upstream))


def _receive(sock: socket.socket) -> bytes:
    try:
        return sock.recv(65536)
    except OSError:
        return b""


def _cut(sock: socket.socket) -> None:
    """Both directions shut: the peer reads the end of the stream, a thread blocked reading
    `sock` returns (its closing is its owner's)."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass

"""Running the fake on loopback with uvicorn: in a thread, in the foreground, or in a subprocess.

uvicorn is imported only here, when a server is started (the ``server`` extra).
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from types import TracebackType
from typing import Any

import attrs

from ._asgi import FakeASGIApp, quiet_uvicorn_aborts
from ._service import FakeService

__all__ = ["LoopbackServer", "ServerProcess", "serve_forever", "serve_in_subprocess"]

_START_TIMEOUT = 10.0


def _uvicorn() -> Any:
    try:
        import uvicorn
    except ImportError:  # pragma: no cover - depends on the environment
        raise RuntimeError(
            "serving the fake over HTTP needs uvicorn: pip install 'velstack-async[server]'"
        ) from None
    return uvicorn


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio only sets TCP_NODELAY on accepted sockets whose proto says
    # TCP, and without it every response waits ~40 ms for a delayed ACK (Nagle).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        # Listen now: clients told the URL may connect before uvicorn takes over.
        sock.listen(2048)
    except BaseException:
        sock.close()
        raise
    return sock


def _base_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _server(app: FakeASGIApp, log_level: str, **config: Any) -> Any:
    uvicorn = _uvicorn()
    quiet_uvicorn_aborts()
    settings: dict[str, Any] = {
        "lifespan": "off",
        "log_level": log_level,
        "access_log": False,
        "timeout_graceful_shutdown": 2,
        **config,
    }
    return uvicorn.Server(uvicorn.Config(app, **settings))


class LoopbackServer:
    """A uvicorn server for a fake on a background thread.

    ``with LoopbackServer(fake) as server:`` starts it (``port=0`` picks a free
    port) and stops it on exit; ``server.base_url`` is where to send requests.
    """

    def __init__(
        self,
        fake: FakeService,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        log_level: str = "warning",
    ) -> None:
        self.fake = fake
        self.host = host
        self.port = port
        self.log_level = log_level
        self.app = FakeASGIApp(fake)
        self._socket: socket.socket | None = None
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._base_url: str | None = None

    @property
    def base_url(self) -> str:
        if self._base_url is None:
            raise RuntimeError("the server is not running")
        return self._base_url

    def start(self) -> str:
        """Start serving; returns the base URL once the server accepts connections."""
        if self._thread is not None:
            raise RuntimeError("the server is already running")
        # log_config=None: leave the host application's logging setup alone.
        self._server = _server(self.app, self.log_level, log_config=None)
        self._socket = _bind(self.host, self.port)
        self.app.closing = False
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._socket]},
            name=f"velstack-fake-{self._socket.getsockname()[1]}",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + _START_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the fake Velstack server did not start")
            time.sleep(0.001)
        self._base_url = _base_url(self._socket)
        return self._base_url

    def stop(self) -> None:
        """Stop serving and wait for the thread; held (dropped) requests are closed."""
        self.app.closing = True
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(_START_TIMEOUT)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = self._base_url = None

    def __enter__(self) -> LoopbackServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve_forever(fake: FakeService, *, host: str, port: int, log_level: str = "info") -> None:
    """Serve in the foreground until interrupted; first print where (for ``serve``)."""
    with _bind(host, port) as sock:
        server = _server(FakeASGIApp(fake), log_level)
        print(f"VELSTACK_API_KEY={fake.api_key}")
        print(f"VELSTACK_BASE_URL={_base_url(sock)}", flush=True)
        message = f"Fake Velstack on {_base_url(sock)} (seed {fake.seed}); Ctrl+C to stop."
        print(message, file=sys.stderr, flush=True)
        server.run(sockets=[sock])


@attrs.frozen
class ServerProcess:
    api_key: str
    base_url: str
    process: subprocess.Popen[str]


@contextlib.contextmanager
def serve_in_subprocess(
    args: Sequence[str] = (), *, host: str = "127.0.0.1", port: int = 0
) -> Iterator[ServerProcess]:
    """Run ``python -m velstack_async.testing serve`` in a child process (for benchmarks).

    ``args`` are extra ``serve`` options (``["--balance", "1e9", "--fail-rate", "0.1"]``).
    Yields the API key and base URL once it listens; stops it on exit.
    """
    command = [sys.executable, "-m", "velstack_async.testing", "serve"]
    command += ["--host", host, "--port", str(port), "--log-level", "warning", *args]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        found: dict[str, str] = {}
        while len(found) < 2:
            line = process.stdout.readline()
            if not line:
                raise RuntimeError(f"the fake server exited early (status {process.wait()})")
            name, sep, value = line.strip().partition("=")
            if sep and name in ("VELSTACK_API_KEY", "VELSTACK_BASE_URL"):
                found[name] = value
        yield ServerProcess(found["VELSTACK_API_KEY"], found["VELSTACK_BASE_URL"], process)
    finally:
        process.terminate()
        try:
            process.wait(_START_TIMEOUT)
        except subprocess.TimeoutExpired:  # pragma: no cover
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()

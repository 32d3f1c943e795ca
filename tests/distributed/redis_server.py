"""A real ``redis-server`` on a free loopback port, with AOF (``appendfsync always``) in a dir.

`RedisServer.kill` is ``kill -9``; `start` again on the same dir and port
replays the AOF, as a restarted production Redis would. `wipe` restarts it
without its data (a Redis that lost everything); `snapshot` then `restore` brings it
back with older data (a restore from an older RDB file, a promoted replica behind).
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    def __init__(self, directory: Path, port: int | None = None) -> None:
        self.dir = directory
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, *, appendonly: bool = True) -> RedisServer:
        command = [
            REDIS_SERVER,
            *("--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir)),
            *("--appendonly", "yes" if appendonly else "no", "--appendfsync", "always"),
            *("--save", ""),
            *("--maxmemory-policy", "noeviction", "--daemonize", "no", "--loglevel", "warning"),
        ]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(64).startswith(b"+PONG"):
                        return self
            except OSError:
                pass
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited ({self.process.returncode})")
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        """``kill -9``: what was acknowledged is in the AOF (appendfsync always)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def wipe(self) -> None:
        """Kill it and delete its data: the next `start` is an empty Redis."""
        self.kill()
        for path in self.dir.iterdir():
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()

    def command(self, *words: str) -> bytes:
        """One command over a plain socket (``SAVE``, ``CONFIG SET ...``); its raw reply."""
        request = f"*{len(words)}\r\n" + "".join(f"${len(w)}\r\n{w}\r\n" for w in words)
        with socket.create_connection(("127.0.0.1", self.port), timeout=30) as sock:
            sock.sendall(request.encode())
            return sock.recv(4096)

    def snapshot(self, path: Path) -> None:
        """Copy the whole dataset, as it is now, to the RDB file ``path``."""
        assert self.command("SAVE").startswith(b"+OK")
        shutil.copy(self.dir / "dump.rdb", path)

    def restore(self, path: Path) -> None:
        """Kill it and start it again from the snapshot ``path`` (then AOF on again)."""
        self.wipe()
        shutil.copy(path, self.dir / "dump.rdb")
        self.start(appendonly=False)  # Redis reads the RDB file only with the AOF off
        assert self.command("CONFIG", "SET", "appendonly", "yes").startswith(b"+OK")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

"""A command in a pseudo-terminal: what a person sees when running it in theirs."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import termios
import threading
import time
from collections.abc import Sequence
from types import TracebackType

#: CSI and OSC escape sequences (colours, cursor moves, erase line, show/hide cursor).
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07")
SHOW_CURSOR = "\x1b[?25h"
HIDE_CURSOR = "\x1b[?25l"


class Terminal:
    """Runs ``command`` with a pty as stdin, stdout and stderr (``rows`` x ``columns``).

    A thread reads everything the program writes; `raw` is it with its escape
    sequences, `text` without them.
    """

    def __init__(
        self, command: Sequence[str], env: dict[str, str], rows: int = 40, columns: int = 100
    ) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        env = {**env, "TERM": "xterm-256color", "COLUMNS": str(columns), "LINES": str(rows)}
        for name in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
            env.pop(name, None)
        self.process = subprocess.Popen(
            list(command), stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True
        )
        os.close(slave)
        self._master = master
        self._chunks: list[bytes] = []
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self._master, 65536)
            except OSError:  # EIO: every copy of the slave side is closed
                return
            if not data:
                return
            with self._lock:
                self._chunks.append(data)

    @property
    def raw(self) -> str:
        with self._lock:
            return b"".join(self._chunks).decode("utf-8", "replace")

    @property
    def text(self) -> str:
        return _ESCAPES.sub("", self.raw)

    def wait_for(self, needle: str, timeout: float) -> None:
        """Until ``needle`` is on the screen (a guard against a hang, not a measurement)."""
        deadline = time.monotonic() + timeout
        while needle not in self.text:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"{needle!r} never shown; the screen:\n{self.text}")
            time.sleep(0.05)

    def wait(self, timeout: float) -> int:
        """The exit status; then everything written has been read."""
        code = self.process.wait(timeout)
        self._reader.join(timeout)
        return code

    def __enter__(self) -> Terminal:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._reader.join(5)
        os.close(self._master)

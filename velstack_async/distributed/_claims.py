"""A worker machine's durable record of what it claimed, outside Redis (the claim log).

Before a worker sends a batch it has claimed, it appends the batch's recipients and
the campaign epoch (and Redis life, see `_lua_head`) of the claim to its own file in
the claims directory and ``fsync`` s it. The files survive the worker (and Redis):
after Redis rolled back, every worker that learns of it files every claim in the
directory's logs of that campaign with Redis (`_lua.RESTORE`: unknown, unless Redis has
a result) and renames the logs it filed to ``*.filed``; a worker starting on the same
machine begins at the highest epoch the logs hold, so it detects a rollback that
happened while no worker was alive.

One file per worker process and campaign (a campaign created again under the same id is
another one): ``<campaign>-<hash of id and fence>.<host>.<pid>.<random>.claims``,
lines ``<epoch> <life> <key> <chunk entry JSON>``. Delete a campaign's files once its report
is final.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

from .._files import private_directory, state_dir

__all__ = ["CLAIMS_DIR_ENV", "ClaimLog", "default_dir"]

#: The environment variable naming the claims directory (default: `default_dir`).
CLAIMS_DIR_ENV = "VELSTACK_CLAIMS_DIR"


def default_dir() -> Path:
    """``$VELSTACK_CLAIMS_DIR``, else ``$XDG_STATE_HOME/velstack/claims`` (~/.local/state)."""
    return state_dir(CLAIMS_DIR_ENV, "claims")


def _stem(campaign_id: str, fence: str) -> str:
    """A file-name-safe stem, unique to the campaign (its id and the fence it was created at)."""
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", campaign_id)[:40]
    return f"{safe}-{hashlib.sha256(f'{campaign_id} {fence}'.encode()).hexdigest()[:12]}"


class ClaimLog:
    """This process's claim log of one campaign, and the reader of every log of it here."""

    def __init__(self, directory: Path, campaign_id: str, fence: str) -> None:
        private_directory(directory)  # claims hold phone numbers: 0700 whatever the umask
        self.directory = directory
        self._stem = _stem(campaign_id, fence)
        name = f"{self._stem}.{socket.gethostname()}.{os.getpid()}.{secrets.token_hex(4)}.claims"
        self.path = directory / name
        self._fd: int | None = None
        self._lock = threading.Lock()  # appends run in worker threads

    def append(self, epoch: int, life: str, pairs: list[tuple[str, str]]) -> None:
        """Record ``(key, entry JSON)`` claims made at ``epoch`` in ``life``; durable when
        it returns."""
        if not pairs:
            return
        data = "".join(f"{epoch} {life} {key} {entry}\n" for key, entry in pairs).encode()
        with self._lock:
            if self._fd is None:
                self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            os.write(self._fd, data)
            os.fsync(self._fd)

    def close(self) -> None:
        with self._lock:
            fd, self._fd = self._fd, None
            if fd is not None:
                os.close(fd)

    def _paths(self) -> list[Path]:
        return sorted(self.directory.glob(f"{self._stem}.*.claims"))

    def _lines(self, paths: list[Path]) -> Iterator[tuple[int, str, str, str]]:
        for path in paths:
            with path.open(encoding="utf-8") as file:
                for line in file:
                    parts = line.rstrip("\n").split(" ", 3)
                    if len(parts) == 4 and parts[0].isdigit() and parts[3].endswith("]"):
                        # (a torn last line, never sent, is skipped)
                        yield int(parts[0]), parts[1], parts[2], parts[3]

    def highest(self) -> tuple[int, str]:
        """The highest epoch any log of this campaign on this machine recorded, and the
        Redis life it was seen in ((0, "-"): none)."""
        return max(((e, life) for e, life, _, _ in self._lines(self._paths())), default=(0, "-"))

    def claims(self) -> tuple[dict[str, str], list[Path]]:
        """Every recipient the logs of this campaign here claimed (key -> entry JSON),
        and the logs read."""
        paths = self._paths()
        return {key: entry for _, _, key, entry in self._lines(paths)}, paths

    def filed(self, paths: list[Path]) -> None:
        """The claims of ``paths`` are filed with Redis: set them aside (``*.filed``), so
        they no longer count; this process's next claim starts a new log."""
        with self._lock:
            fd, self._fd = self._fd, None
            if fd is not None:
                os.close(fd)
            name = self.path.name.rsplit(".", 2)[0]
            self.path = self.directory / f"{name}.{secrets.token_hex(4)}.claims"
        for path in paths:
            if path.exists():
                path.rename(path.with_suffix(".filed"))

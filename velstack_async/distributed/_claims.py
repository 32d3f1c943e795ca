"""A worker machine's durable record of what it claimed, outside Redis (the claim log).

Before a worker sends a batch it has claimed, it appends the batch's recipients and
the campaign epoch of the claim to its own file in the claims directory and
``fsync`` s it. The files survive the worker (and Redis): after Redis rolled back,
every worker that learns of it files every claim in the directory's logs of that
campaign with Redis (`_lua.RESTORE`: unknown, unless Redis has a result), and a
worker starting on the same machine begins at the highest epoch the logs hold, so it
detects a rollback that happened while no worker was alive.

One file per worker process and campaign (a campaign created again under the same id is
another one): ``<campaign>-<hash of id and fence>.<host>.<pid>.<random>.claims``,
lines ``<epoch> <key> <chunk entry JSON>``. Delete a campaign's files once its report
is final.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import socket
from collections.abc import Iterator
from pathlib import Path

__all__ = ["CLAIMS_DIR_ENV", "ClaimLog", "default_dir"]

#: The environment variable naming the claims directory (default: `default_dir`).
CLAIMS_DIR_ENV = "VELSTACK_CLAIMS_DIR"


def default_dir() -> Path:
    """``$VELSTACK_CLAIMS_DIR``, else ``$XDG_STATE_HOME/velstack/claims`` (~/.local/state)."""
    named = os.environ.get(CLAIMS_DIR_ENV)
    if named:
        return Path(named)
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "velstack" / "claims"


def _stem(campaign_id: str, fence: str) -> str:
    """A file-name-safe stem, unique to the campaign (its id and the fence it was created at)."""
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", campaign_id)[:40]
    return f"{safe}-{hashlib.sha256(f'{campaign_id} {fence}'.encode()).hexdigest()[:12]}"


class ClaimLog:
    """This process's claim log of one campaign, and the reader of every log of it here."""

    def __init__(self, directory: Path, campaign_id: str, fence: str) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self._stem = _stem(campaign_id, fence)
        name = f"{self._stem}.{socket.gethostname()}.{os.getpid()}.{secrets.token_hex(4)}.claims"
        self.path = directory / name
        self._fd: int | None = None

    def append(self, epoch: int, pairs: list[tuple[str, str]]) -> None:
        """Record ``(key, entry JSON)`` claims made at ``epoch``; durable when it returns."""
        if not pairs:
            return
        if self._fd is None:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        data = "".join(f"{epoch} {key} {entry}\n" for key, entry in pairs).encode()
        os.write(self._fd, data)
        os.fsync(self._fd)

    def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)

    def _lines(self) -> Iterator[tuple[int, str, str]]:
        for path in sorted(self.directory.glob(f"{self._stem}.*.claims")):
            with path.open(encoding="utf-8") as file:
                for line in file:
                    parts = line.rstrip("\n").split(" ", 2)
                    if len(parts) == 3 and parts[0].isdigit() and parts[2].endswith("]"):
                        # (a torn last line, never sent, is skipped)
                        yield int(parts[0]), parts[1], parts[2]

    def highest_epoch(self) -> int:
        """The highest epoch any log of this campaign on this machine recorded (0: none)."""
        return max((epoch for epoch, _, _ in self._lines()), default=0)

    def claims(self) -> dict[str, str]:
        """Every recipient any log of this campaign here claimed: key -> entry JSON."""
        return {key: entry for _, key, entry in self._lines()}

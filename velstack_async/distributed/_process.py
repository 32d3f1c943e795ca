"""What one worker process keeps of a campaign. `Local` (thread-safe): the highest epoch
and Redis life seen, the claim budget (at most ``concurrency x batch_size`` unresolved: what
a killed process can leave unknown), the chunk slots. `ClaimLog`: lines ``<epoch> <life>
<key> <chunk entry JSON>``, fsynced before the batch is sent.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import socket
import threading
from pathlib import Path

import anyio

from .._files import private_directory, state_dir

__all__ = ["CLAIMS_DIR_ENV", "MAX_CHUNKS", "ClaimLog", "Local", "local_state"]

CLAIMS_DIR_ENV = "VELSTACK_CLAIMS_DIR"
#: Chunks one process runs at once per campaign: its own and one taken over from a dead worker.
MAX_CHUNKS = 2
_POLL = 0.005
_LOCK = threading.Lock()
_STATES: dict[tuple[str, str], Local] = {}


class ClaimLog:
    """This process's claim log of one campaign, and the reader of every log of it here."""

    def __init__(self, directory: Path, campaign_id: str, fence: str) -> None:
        private_directory(directory)  # claims hold phone numbers: 0700 whatever the umask
        self.directory = directory
        digest = hashlib.sha256(f"{campaign_id} {fence}".encode()).hexdigest()[:12]
        self._stem = f"{re.sub(r'[^A-Za-z0-9_-]', '_', campaign_id)[:40]}-{digest}"
        self.path = self._new_path()
        self._fd: int | None = None
        self._lock = threading.Lock()  # appends run in worker threads

    def _new_path(self) -> Path:
        name = f"{self._stem}.{socket.gethostname()}.{os.getpid()}.{secrets.token_hex(4)}"
        return self.directory / f"{name}.claims"

    def append(self, epoch: int, life: str, pairs: list[tuple[str, str]]) -> None:
        """Record ``(key, entry JSON)`` claims made at ``epoch``; durable when it returns."""
        if not pairs:
            return
        data = "".join(f"{epoch} {life} {key} {entry}\n" for key, entry in pairs).encode()
        with self._lock:
            if self._fd is None:
                self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            os.write(self._fd, data)
            os.fsync(self._fd)

    def read(self) -> tuple[list[tuple[int, str, str, str]], list[Path]]:
        """Every claim (epoch, life, key, entry; not a torn line) in the logs here, and them."""
        paths, claims = sorted(self.directory.glob(f"{self._stem}.*.claims")), []
        for path in paths:
            with path.open(encoding="utf-8") as file:
                for line in file:
                    parts = line.rstrip("\n").split(" ", 3)
                    if len(parts) == 4 and parts[0].isdigit() and parts[3].endswith("]"):
                        claims.append((int(parts[0]), parts[1], parts[2], parts[3]))
        return claims, paths

    def close(self) -> None:
        with self._lock:
            fd, self._fd = self._fd, None
            if fd is not None:
                os.close(fd)

    def filed(self, paths: list[Path]) -> None:
        """Set filed logs aside (``*.filed``); this process's next claim starts a new log."""
        self.close()
        self.path = self._new_path()
        for path in paths:
            if path.exists():
                path.rename(path.with_suffix(".filed"))


def local_state(campaign_id: str, fence: str) -> Local:
    """This process's state of the campaign (created at ``fence``: a new one on a new fence)."""
    with _LOCK:
        return _STATES.setdefault((campaign_id, fence), Local(campaign_id, fence))


class Local:
    def __init__(self, campaign_id: str, fence: str) -> None:
        self.campaign_id, self.fence, self.seen, self.life = campaign_id, fence, 0, "-"
        self.claimed: dict[str, str] = {}  # unresolved claims: key -> claim token
        self.limit = 0  # most recipients in `claimed` (0: no limit)
        #: Chunks leased, and queue tasks running the campaign's loop (`campaign.run_chunk_task`).
        self.slots = {"chunks": threading.Semaphore(MAX_CHUNKS), "loops": threading.Semaphore(1)}
        self.log: ClaimLog | None = None
        self.filed: int | None = None  # the rolled-back epoch whose claims were filed here
        self._lock = threading.Lock()

    def see(self, epoch: int, life: str, *, adopt: bool = False) -> None:
        """A reply's epoch (``adopt``: after filing a rollback's claims, Redis's as it is)."""
        with self._lock:
            if adopt or epoch >= self.seen:
                self.seen, self.life = epoch, life

    def attach(self, directory: Path | None, limit: int) -> ClaimLog:
        """Open the claim log (once; its epochs raise `seen`) and raise the claim budget."""
        with self._lock:
            self.limit = max(self.limit, limit)
            if self.log is None:
                directory = directory or state_dir(CLAIMS_DIR_ENV, "claims")
                self.log = ClaimLog(directory, self.campaign_id, self.fence)
                claims = self.log.read()[0]
                epoch, life = max(((e, life) for e, life, *_ in claims), default=(0, "-"))
                if epoch > self.seen:
                    self.seen, self.life = epoch, life
            return self.log

    async def reserve(self, keys: list[str], token: str) -> list[str]:
        """Wait until ``keys`` fit in the budget; returns those newly reserved."""
        while True:
            with self._lock:
                new = [key for key in keys if key not in self.claimed]
                if not self.limit or not self.claimed or len(self.claimed) + len(new) <= self.limit:
                    self.claimed.update(dict.fromkeys(new, token))
                    return new
            await anyio.sleep(_POLL)

    def release(self, keys: list[str]) -> None:
        with self._lock:
            for key in keys:
                self.claimed.pop(key, None)

    def forget(self, token: str) -> None:
        """A chunk run ended: whatever its token still holds is no longer in flight here."""
        with self._lock:
            self.claimed = {key: held for key, held in self.claimed.items() if held != token}

    async def take(self, slot: str, *, wait: bool = True) -> bool:
        """A ``chunks`` or ``loops`` slot; False if none is free and not ``wait``."""
        while not self.slots[slot].acquire(blocking=False):
            if not wait:
                return False
            await anyio.sleep(_POLL * 10)
        return True

    def first_to_file(self, epoch: int) -> bool:
        """True once per rolled-back ``epoch``: this caller files the claim logs."""
        with self._lock:
            first, self.filed = self.filed != epoch, epoch
            return first

"""What every call of one campaign in this worker process shares (thread-safe).

* ``seen`` and ``life``: the highest campaign epoch this process saw and the Redis life
  it saw it in (sent with every script call: a Redis behind it rolled back, see
  `_lua_head`);
* the claim budget: recipients claimed and not yet resolved by this process, at most
  ``concurrency x batch_size`` across all its chunks and tasks (what one killed
  process can leave unknown);
* chunk slots: chunks this process holds a lease on at once, at most `MAX_CHUNKS`;
* the claim log (`_claims.ClaimLog`).

Celery's threads pool runs tasks on several event loops of one process, so these
wait by polling under a `threading.Lock` rather than with an event loop's primitives.
"""

from __future__ import annotations

import threading
from pathlib import Path

import anyio

from ._claims import ClaimLog, default_dir

__all__ = ["MAX_CHUNKS", "Local", "local_state"]

#: Chunks one process runs at once per campaign: its own and one taken over from a dead worker.
MAX_CHUNKS = 2
_POLL = 0.005
_LOCK = threading.Lock()
_STATES: dict[tuple[str, str], Local] = {}


def local_state(campaign_id: str, fence: str) -> Local:
    """This process's state of the campaign (created at ``fence``: a new one on a new fence)."""
    with _LOCK:
        state = _STATES.get((campaign_id, fence))
        if state is None:
            state = _STATES[(campaign_id, fence)] = Local(campaign_id, fence)
        return state


class Local:
    def __init__(self, campaign_id: str, fence: str) -> None:
        self.campaign_id = campaign_id
        self.fence = fence
        self.seen = 0
        self.life = "-"
        #: Recipients claimed (or being claimed) and unresolved: key -> claim token.
        self.claimed: dict[str, str] = {}
        #: Most recipients in `claimed` (0: not set, no limit).
        self.limit = 0
        self.chunks = 0
        #: Queue tasks running the campaign's loop in this process (see `_tasks`).
        self.loops = 0
        self.log: ClaimLog | None = None
        #: The rolled-back epoch whose claims this process already filed.
        self.filed: int | None = None
        self._lock = threading.Lock()

    def see(self, epoch: int, life: str) -> None:
        with self._lock:
            if epoch >= self.seen:
                self.seen, self.life = epoch, life

    def adopt(self, epoch: int, life: str) -> None:
        """After filing a rollback's claims: carry on from where Redis is now."""
        with self._lock:
            self.seen, self.life = epoch, life

    def attach(self, directory: Path | None, limit: int) -> ClaimLog:
        """Open the claim log (once; its epochs raise `seen`) and raise the claim budget."""
        with self._lock:
            self.limit = max(self.limit, limit)
            if self.log is None:
                self.log = ClaimLog(directory or default_dir(), self.campaign_id, self.fence)
                epoch, life = self.log.highest()
                if epoch > self.seen:
                    self.seen, self.life = epoch, life
            return self.log

    async def reserve(self, keys: list[str], token: str) -> list[str]:
        """Wait until ``keys`` fit in the budget; returns those newly reserved."""
        while True:
            with self._lock:
                new = [key for key in keys if key not in self.claimed]
                if not self.limit or not self.claimed or len(self.claimed) + len(new) <= self.limit:
                    for key in new:
                        self.claimed[key] = token
                    return new
            await anyio.sleep(_POLL)

    def release(self, keys: list[str]) -> None:
        with self._lock:
            for key in keys:
                self.claimed.pop(key, None)

    def forget(self, token: str) -> None:
        """A chunk run ended: whatever its token still holds is no longer in flight here."""
        with self._lock:
            for key in [key for key, held in self.claimed.items() if held == token]:
                del self.claimed[key]

    async def take_chunk(self, *, wait: bool) -> bool:
        """A chunk slot (False if none is free and ``wait`` is False)."""
        while True:
            with self._lock:
                if self.chunks < MAX_CHUNKS:
                    self.chunks += 1
                    return True
            if not wait:
                return False
            await anyio.sleep(_POLL * 10)

    def give_chunk(self) -> None:
        with self._lock:
            self.chunks -= 1

    def start_loop(self) -> bool:
        """True if no queue task of this process runs the campaign yet (now this one does)."""
        with self._lock:
            if self.loops:
                return False
            self.loops += 1
            return True

    def end_loop(self) -> None:
        with self._lock:
            self.loops -= 1

    def first_to_file(self, epoch: int) -> bool:
        """True once per rolled-back ``epoch``: this caller files the claim logs."""
        with self._lock:
            if self.filed == epoch:
                return False
            self.filed = epoch
            return True

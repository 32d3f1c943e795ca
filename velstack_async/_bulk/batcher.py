"""Grouping recipients of the same text and sender into batches of up to ``size``: the
campaign's one read-ahead buffer. A group leaves when full, when the buffer holds four
batches' worth (256 jobs at least; oldest group first), after `MAX_WAIT` s, at the input's end.
"""

from __future__ import annotations

from collections import deque

import anyio
from attrs import frozen

from .models import BulkResult
from .ports import Job, WorkSource

__all__ = ["MAX_WAIT", "Batch", "Batcher"]

#: Seconds a partial group may wait for more recipients of the same text.
MAX_WAIT = 0.05


@frozen
class Batch:
    """Recipients that get the same text from the same sender in one request."""

    jobs: list[Job]
    text: str
    sender: str

    def chunks(self, size: int) -> list[Batch]:
        """These recipients in batches of at most ``size``, in order."""
        jobs, text, sender = self.jobs, self.text, self.sender
        return [Batch(jobs[i : i + size], text, sender) for i in range(0, len(jobs), size)]


class Batcher:
    """Hands workers the next `Batch` or ready-made `BulkResult`; None at the end."""

    def __init__(self, source: WorkSource, size: int) -> None:
        self._source = source
        #: The most recipients in one batch (lowered when the server refuses a size).
        self.size = size
        #: Jobs waiting for company by (text, sender): (since, jobs), oldest first.
        self._groups: dict[tuple[str, str], tuple[float, list[Job]]] = {}
        self._buffered = 0
        self._ready: deque[Batch | BulkResult] = deque()
        self._reading = self._input_done = False
        self._waiters = 0
        self._changed: anyio.Event | None = None

    @property
    def unclaimed(self) -> bool:
        """Batches are ready but no worker is waiting here to take them."""
        return len(self._ready) > self._waiters

    async def next(self) -> Batch | BulkResult | None:
        """The next batch or result, in about input order; None when all is handed out."""
        while not self._ready:
            if self._input_done:
                if not self._groups:
                    return None
                self._flush(list(self._groups))
            elif self._reading:  # another worker reads the input: wait for what it finds
                self._waiters += 1
                changed = self._changed = self._changed or anyio.Event()
                try:
                    await changed.wait()
                finally:
                    self._waiters -= 1
            else:
                self._reading = True
                try:
                    items = await self._source.take()
                finally:
                    self._reading = False
                    self._notify()
                self._input_done = not items
                for item in items:
                    if isinstance(item, Job):
                        self._add(item)
                    else:
                        self._ready.append(item)
        return self._ready.popleft()

    def flush_stale(self) -> None:
        """Hand out the groups that have waited `MAX_WAIT` seconds (the engine calls it)."""
        if self._groups:
            deadline = anyio.current_time() - MAX_WAIT
            self._flush([key for key, (since, _) in self._groups.items() if since <= deadline])

    def _add(self, job: Job) -> None:
        if self.size == 1:
            self._ready.append(Batch([job], job.text, job.sender))
            return
        key = (job.text, job.sender)
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = (anyio.current_time(), [])
        group[1].append(job)
        self._buffered += 1
        if len(group[1]) >= self.size:
            self._flush([key])
        elif self._buffered > max(4 * self.size, 256):  # the buffer's limit
            self._flush([next(iter(self._groups))])

    def _flush(self, keys: list[tuple[str, str]]) -> None:
        for key in keys:
            jobs = self._groups.pop(key)[1]
            self._buffered -= len(jobs)
            self._ready.extend(Batch(jobs, *key).chunks(self.size))
        if keys:
            self._notify()

    def _notify(self) -> None:
        if self._changed is not None:
            self._changed.set()
            self._changed = None

"""Grouping recipients of the same text into batches: one request for up to ``batch_size``.

Jobs whose rendered text and sender are equal (the title is the campaign's)
go in one `Batch`. The buffer is bounded: a group leaves it when it is full,
when the buffer holds `buffer_limit` jobs (the oldest group leaves first),
when it has waited `MAX_WAIT` seconds, and when the input ends. So memory is
flat however long the input, and a recipient waits at most about `MAX_WAIT`
for company (or for the input to yield its next item).
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


class _Group:
    __slots__ = ("born", "jobs")

    def __init__(self, born: float) -> None:
        self.born = born
        self.jobs: list[Job] = []


class Batcher:
    """Hands workers the next `Batch` or ready-made `BulkResult`; None at the end."""

    def __init__(self, source: WorkSource, size: int) -> None:
        self._source = source
        self._size = size
        self._groups: dict[tuple[str, str], _Group] = {}
        self._buffered = 0
        self._ready: deque[Batch | BulkResult] = deque()
        self._reading = False
        self._input_done = False
        self._waiters = 0
        self._changed: anyio.Event | None = None

    @property
    def size(self) -> int:
        """The most recipients in one batch (lowered when the server refuses a size)."""
        return self._size

    def shrink(self, size: int) -> None:
        """Make batches of at most ``size`` from now on."""
        self._size = max(1, min(self._size, size))

    @property
    def buffer_limit(self) -> int:
        return max(4 * self._size, 256)

    @property
    def unclaimed(self) -> bool:
        """Batches are ready but no worker is waiting here to take them."""
        return len(self._ready) > self._waiters

    async def next(self) -> Batch | BulkResult | None:
        """The next batch or result, in about input order; None when everything is handed out."""
        while True:
            if self._ready:
                return self._ready.popleft()
            if self._input_done:
                if not self._groups:
                    return None
                self._flush_all()
                continue
            if self._reading:  # another worker is reading the input: wait for what it finds
                await self._wait()
                continue
            self._reading = True
            try:
                items = await self._source.take()
            finally:
                self._reading = False
                self._notify()
            if not items:
                self._input_done = True
            for item in items:
                if isinstance(item, Job):
                    self._add(item)
                else:
                    self._ready.append(item)

    def flush_stale(self) -> None:
        """Hand out the groups that have waited `MAX_WAIT` seconds (the engine calls it)."""
        if not self._groups:
            return
        deadline = anyio.current_time() - MAX_WAIT
        stale = [key for key, group in self._groups.items() if group.born <= deadline]
        for key in stale:
            self._flush(key)
        if stale:
            self._notify()

    def _add(self, job: Job) -> None:
        if self._size == 1:
            self._ready.append(Batch([job], job.text, job.sender))
            return
        key = (job.text, job.sender)
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = _Group(anyio.current_time())
        group.jobs.append(job)
        self._buffered += 1
        if len(group.jobs) >= self._size:
            self._flush(key)
        elif self._buffered > self.buffer_limit:
            self._flush(next(iter(self._groups)))

    def _flush(self, key: tuple[str, str]) -> None:
        group = self._groups.pop(key)
        self._buffered -= len(group.jobs)
        self._ready.extend(Batch(group.jobs, *key).chunks(self._size))

    def _flush_all(self) -> None:
        for key in list(self._groups):
            self._flush(key)
        self._notify()

    async def _wait(self) -> None:
        if self._changed is None:
            self._changed = anyio.Event()
        changed = self._changed
        self._waiters += 1
        try:
            await changed.wait()
        finally:
            self._waiters -= 1

    def _notify(self) -> None:
        if self._changed is not None:
            self._changed.set()
            self._changed = None

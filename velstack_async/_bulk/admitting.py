"""The sending policy's verdicts in a campaign: what each one makes of a job, in one place.

`Admitter` asks an `Admission` about each prepared job and turns its verdict into
what the engine runs: the job (send), a ``skipped`` result (suppressed, over the
frequency cap), a ``not_attempted`` one (outside the send window with
``wait_for_window=False``), or the job held until its window opens (`due` hands
it back, to be admitted again). The local `Source` and a distributed chunk both
use it.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence

import anyio

from .models import BulkResult, BulkStatus
from .outcome import not_attempted
from .ports import Admission, Admit, Job

__all__ = ["WINDOW_POLL", "Admitter"]

#: At most this many seconds between looks at the clock while waiting for a send window.
WINDOW_POLL = 1.0


class Admitter:
    """One campaign run's verdicts and the jobs it holds for their send window."""

    def __init__(self, admission: Admission, wait_for_window: bool) -> None:
        self.admission = admission
        self.wait_for_window = wait_for_window
        self._held: list[tuple[float, int, Job]] = []  # (window opens, index, job)

    @property
    def holding(self) -> bool:
        return bool(self._held)

    async def admit(
        self, ready: Sequence[Job | BulkResult]
    ) -> tuple[list[Job | BulkResult], list[tuple[Job, BulkResult]]]:
        """``ready`` with each job not admitted replaced by its result (held jobs left out),
        and those (job, result) pairs (to record before they are reported)."""
        jobs = [item for item in ready if type(item) is Job]
        verdicts = iter(await self.admission.admit(jobs) if jobs else ())
        admitted: list[Job | BulkResult] = []
        ended: list[tuple[Job, BulkResult]] = []
        for item in ready:
            verdict = next(verdicts) if type(item) is Job else None
            if verdict is None or verdict.verdict is Admit.SEND:
                admitted.append(item)
                continue
            assert isinstance(item, Job)
            if verdict.verdict is Admit.DEFER and verdict.until and self.wait_for_window:
                heapq.heappush(self._held, (verdict.until.timestamp(), item.index, item))
                continue
            skip = verdict.verdict is Admit.SKIP
            status = BulkStatus.SKIPPED if skip else BulkStatus.NOT_ATTEMPTED
            reason = verdict.reason or str(verdict.verdict.value)
            result = BulkResult(item.recipient, status, reason=reason, index=item.index)
            admitted.append(result)
            ended.append((item, result))
        return admitted, ended

    def due(self) -> list[Job]:
        """The held jobs whose window opened (admit them again)."""
        now = self.admission.now().timestamp()
        due: list[Job] = []
        while self._held and self._held[0][0] <= now:
            due.append(heapq.heappop(self._held)[2])
        return due

    async def wait(self) -> None:
        """Sleep until the next held job is due (at most `WINDOW_POLL`: a stop is seen)."""
        if self._held:
            now = self.admission.now().timestamp()
            await anyio.sleep(min(max(self._held[0][0] - now, 0.01), WINDOW_POLL))

    def drop(self, reason: str) -> list[BulkResult]:
        """The campaign stopped: every held job ends ``not_attempted`` with ``reason``."""
        ended = [not_attempted(job.recipient, job.index, reason) for *_, job in self._held]
        self._held.clear()
        return ended

"""The sending policy's verdicts in a campaign (`Admitter.take`, the `WorkSource.take` of both
sources): each job sent, ``skipped``, ``not_attempted`` or held until its send window opens.
"""

from __future__ import annotations

import heapq
from collections.abc import Awaitable, Callable

import anyio

from .models import BulkResult, BulkStatus
from .outcome import not_attempted
from .ports import Admission, Admit, Ended, Job, WorkSource

__all__ = ["WINDOW_POLL", "Admitter"]

#: At most this many seconds between looks at the clock while waiting for a send window.
WINDOW_POLL = 1.0


class Admitter:
    """One campaign run's verdicts and the jobs it holds for their send window."""

    def __init__(self, admission: Admission, wait_for_window: bool) -> None:
        self.admission = admission
        self.wait_for_window = wait_for_window
        self._held: list[tuple[float, int, Job]] = []  # (window opens, index, job)

    async def take(
        self,
        source: WorkSource,
        read: Callable[[], Awaitable[list[Job | BulkResult]]],
        file: Callable[[Ended], Awaitable[None]],
    ) -> list[Job | BulkResult]:
        """The held jobs whose window opened, else ``read()``'s next items, admitted (those not
        admitted go to ``file`` first); [] at the end. Held jobs end once ``source`` stops."""
        while True:
            if self._held and (reason := source.stop_reason) is not None:
                held, self._held = self._held, []
                return [not_attempted(job.recipient, job.index, reason) for *_, job in held]
            now = self.admission.now().timestamp()
            ready: list[Job | BulkResult] = []
            while self._held and self._held[0][0] <= now:  # an opt-out added meanwhile counts
                ready.append(heapq.heappop(self._held)[2])
            if not ready and not (ready := await read()):
                if not self._held:
                    return []
                # Until the next window opens; at most `WINDOW_POLL`, so a stop is seen.
                wait = self._held[0][0] - self.admission.now().timestamp()
                await anyio.sleep(min(max(wait, 0.01), WINDOW_POLL))
                continue
            jobs = [item for item in ready if type(item) is Job]
            verdicts = iter(await self.admission.admit(jobs) if jobs else ())
            admitted: list[Job | BulkResult] = []  # each job not admitted as its result
            ended: Ended = []
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
            if ended:
                await file(ended)
            if admitted:
                return admitted

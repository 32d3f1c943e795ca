"""The sending policy's verdicts in a campaign: what each one makes of a job, in one place.

`Admitter` asks an `Admission` about each prepared job (``_bulk.ports``) and turns
its verdict into what the engine runs: the job (send), a ``skipped`` result
(suppressed, over the frequency cap), a ``not_attempted`` result (outside the
send window, ``wait_for_window=False``), or the job held until its window opens
(``wait_for_window=True``; `due` hands it back, to be admitted again: an opt-out
added meanwhile counts). The local `Source` and a distributed chunk
(``distributed.chunk_source``) both run their jobs through it.
"""

from __future__ import annotations

import heapq

import anyio

from .models import BulkResult, BulkStatus
from .outcome import not_attempted
from .ports import Admission, AdmissionVerdict, Admit, Job

__all__ = ["WINDOW_POLL", "Admitter", "result_of"]

#: At most this many seconds between looks at the clock while waiting for a send window.
WINDOW_POLL = 1.0


class Admitter:
    """One campaign run's verdicts and the jobs it holds for their send window."""

    def __init__(self, admission: Admission, wait_for_window: bool) -> None:
        self.admission = admission
        self.wait_for_window = wait_for_window
        #: Jobs waiting for their send window: (opens at, index, job), soonest first.
        self._held: list[tuple[float, int, Job]] = []

    @property
    def holding(self) -> bool:
        """Some jobs wait for their send window."""
        return bool(self._held)

    async def admit(
        self, ready: list[Job | BulkResult]
    ) -> tuple[list[Job | BulkResult], list[tuple[Job, BulkResult]]]:
        """``ready`` with each job not admitted replaced by its verdict's result (held jobs
        left out), and those (job, result) pairs (to record before they are reported)."""
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
            if self._waits(verdict):
                assert verdict.until is not None
                heapq.heappush(self._held, (verdict.until.timestamp(), item.index, item))
                continue
            result = result_of(item, verdict)
            admitted.append(result)
            ended.append((item, result))
        return admitted, ended

    def _waits(self, verdict: AdmissionVerdict) -> bool:
        return verdict.verdict is Admit.DEFER and verdict.until is not None and self.wait_for_window

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


def result_of(job: Job, verdict: AdmissionVerdict) -> BulkResult:
    """A job the policy did not admit now: ``skipped``, or ``not_attempted`` (deferred)."""
    status = BulkStatus.SKIPPED if verdict.verdict is Admit.SKIP else BulkStatus.NOT_ATTEMPTED
    reason = verdict.reason or str(verdict.verdict.value)
    return BulkResult(job.recipient, status, reason=reason, index=job.index)

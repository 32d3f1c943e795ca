"""`SendingPolicy`: the rules every send of a client goes through, and their one verdict."""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from .._exceptions import (
    FrequencyCapError,
    InvalidInputError,
    OutsideSendWindowError,
    RecipientSuppressedError,
    SpendCapError,
)
from .._redact import mask_phone
from . import reasons
from .limits import (
    Category,
    Clock,
    FrequencyCap,
    checked_clock,
    credits_cap,
    positive_duration,
    read_clock,
)

if TYPE_CHECKING:  # imported when a policy is made: a client without one never loads them
    from .store import PolicyStore
    from .window import SendWindow

__all__ = ["Reservation", "SendingPolicy"]

_T = TypeVar("_T")


@attrs.frozen
class Reservation:
    """What `SendingPolicy.admit` reserved for one request (settle it with its outcome)."""

    token: str
    numbers: tuple[str, ...]


class SendingPolicy:
    """Send-once keys, the suppression list, send windows, spend and frequency caps.

    ``store`` is a SQLite file path (shared by the processes of one machine) or a
    ``redis://`` URL (shared by every machine using it). ``send_window`` and
    ``frequency_cap`` apply to marketing messages only; ``max_credits_per_day``
    caps the credits of everything sent through the store in the last 24 hours;
    send-once keys are remembered for ``idempotency_ttl``. ``clock`` (a
    zero-argument callable returning an aware datetime) decides every time
    question; the default is the system's UTC time.

    Pass it to a client: ``AsyncVelstack(policy=SendingPolicy("policy.db"))``.
    """

    def __init__(
        self,
        store: str | os.PathLike[str] | PolicyStore,
        *,
        send_window: SendWindow | None = None,
        max_credits_per_day: int | None = None,
        frequency_cap: FrequencyCap | None = None,
        idempotency_ttl: timedelta = timedelta(days=7),
        clock: Clock | None = None,
    ) -> None:
        from .opening import open_store
        from .window import SendWindow

        if send_window is not None and not isinstance(send_window, SendWindow):
            raise InvalidInputError("send_window must be a SendWindow or None")
        if frequency_cap is not None and not isinstance(frequency_cap, FrequencyCap):
            raise InvalidInputError("frequency_cap must be a FrequencyCap or None")
        self.send_window = send_window
        self.max_credits_per_day = credits_cap("max_credits_per_day", max_credits_per_day)
        self.frequency_cap = frequency_cap
        self.idempotency_ttl = positive_duration("idempotency_ttl", idempotency_ttl)
        self.clock = checked_clock(clock)
        self.store = open_store(store)
        #: The store as given (a path or URL), None for a store object: what a distributed
        #: campaign ships to its workers.
        self.spec = os.fspath(store) if isinstance(store, (str, os.PathLike)) else None

    def now(self) -> datetime:
        """The policy's clock, checked (an aware datetime)."""
        return read_clock(self.clock)

    async def run(self, step: Any, *args: Any) -> Any:
        """Run a blocking store step in a worker thread."""
        import anyio.to_thread

        return await anyio.to_thread.run_sync(step, *args)

    def window_opens_at(
        self, numbers: Sequence[str], region: str, now: datetime
    ) -> datetime | None:
        """None when every number (E.164) is inside the send window, else when it opens."""
        if self.send_window is None:
            return None
        from .window import zones_of

        zones = [zone for number in numbers for zone in zones_of(number, region)]
        if not numbers:  # a group send: its contacts' zones are unknown, use the region's
            zones = list(zones_of("", region))
        return self.send_window.opens_at(now, zones)

    async def admit(
        self, numbers: Sequence[str], credits: float, category: Category, region: str
    ) -> Reservation:
        """Check one request against every rule and reserve it, or raise why not.

        ``numbers``: its recipients in E.164 (empty for a group send), ``credits``
        its estimate. Raises `OutsideSendWindowError`, `RecipientSuppressedError`,
        `FrequencyCapError` or `SpendCapError`; makes no reservation then.
        """
        now = self.now()
        marketing = category == "marketing"
        if marketing and (opens := self.window_opens_at(numbers, region, now)) is not None:
            raise OutsideSendWindowError(
                f"outside the send window (marketing): it opens at {opens:%H:%M} "
                f"{opens.tzname()} (the error's opens_at)",
                opens_at=opens,
            )
        cap = self.frequency_cap if marketing else None
        from .records import Admission

        admission = Admission(
            token=uuid.uuid4().hex,
            numbers=tuple(numbers),
            credits=float(credits),
            now=now.timestamp(),
            spend_cap=None if self.max_credits_per_day is None else self.max_credits_per_day,
            frequency=None if cap is None else (cap.messages, cap.per.total_seconds()),
        )
        verdict = await self.run(self.store.admit, admission)
        if verdict.suppressed:
            masked = ", ".join(mask_phone(n) for n in verdict.suppressed)
            raise RecipientSuppressedError(f"{reasons.SUPPRESSED} ({masked})")
        if verdict.capped:
            assert cap is not None
            masked = ", ".join(mask_phone(n) for n in verdict.capped)
            raise FrequencyCapError(f"{reasons.frequency_capped(cap)} ({masked})")
        if not verdict.admitted:
            raise SpendCapError(
                f"{reasons.SPEND_CAP}: {credits:g} credit(s) would pass max_credits_per_day="
                f"{self.max_credits_per_day} ({verdict.spent:g} spent in the last 24 hours)"
            )
        return Reservation(admission.token, admission.numbers)

    async def settle(self, reservation: Reservation, credits: float | None) -> None:
        """The credits a reserved request used, or None when it was certainly not sent."""
        await self.run(self.store.settle, reservation.token, reservation.numbers, credits)

    def close(self) -> None:
        """Close the store's connections."""
        self.store.close()

    def __repr__(self) -> str:
        return f"<SendingPolicy store={self.store.location!r}>"

"""What a policy store does (`PolicyStore`).

A store's methods are blocking and thread-safe; the policy runs them in a worker
thread. Every method is one atomic step across the processes (SQLite) or machines
(Redis) sharing the store.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence

from .records import Admission, KeyRecord, KeyState, Suppression, Verdict

__all__ = ["PolicyStore"]


class PolicyStore(abc.ABC):
    """Suppressions, send-once keys, the spend ledger and frequency counts."""

    #: Where it is, for messages (a path, or a URL without password).
    location: str
    #: `screen` without a frequency cap is quick and never waits: callers may skip the
    #: worker thread (a local file; not a network store).
    local_reads = False

    @abc.abstractmethod
    def add_suppressions(self, entries: Sequence[Suppression]) -> int:
        """Add numbers not yet suppressed; the count added (existing entries are kept)."""

    @abc.abstractmethod
    def remove_suppressions(self, numbers: Sequence[str]) -> int:
        """Remove numbers; the count removed."""

    @abc.abstractmethod
    def suppressed(self, numbers: Sequence[str]) -> set[str]:
        """Those of ``numbers`` that are suppressed."""

    @abc.abstractmethod
    def suppressions(self) -> list[Suppression]:
        """Every suppression, by number."""

    @abc.abstractmethod
    def claim_key(
        self, key: str, fingerprint: str, token: str, now: float, expires: float
    ) -> KeyRecord | None:
        """Record ``key`` in flight under ``token`` and return None, unless a record
        that has not expired (and is not ``not_sent`` with this fingerprint) holds it:
        then return that record, unchanged."""

    @abc.abstractmethod
    def finish_key(self, key: str, token: str, state: KeyState, summary: str | None) -> None:
        """Record the outcome of ``token``'s send (no-op if another token holds the key)."""

    @abc.abstractmethod
    def admit(self, admission: Admission) -> Verdict:
        """Check suppressions, the frequency cap and the spend cap; when all pass, reserve
        the credits and one message per number under the admission's token."""

    @abc.abstractmethod
    def screen(
        self, numbers: Sequence[str], token: str, now: float, frequency: tuple[int, float] | None
    ) -> list[str | None]:
        """A campaign's per-recipient check, one verdict per number: ``"suppressed"``,
        ``"capped"`` (over ``frequency``: messages, window seconds), or None (admitted: one
        message counted under ``token`` when ``frequency`` is given)."""

    @abc.abstractmethod
    def release(self, token: str, numbers: Sequence[str]) -> None:
        """Uncount ``token``'s messages to ``numbers`` (they were certainly not sent)."""

    @abc.abstractmethod
    def settle(self, token: str, numbers: Sequence[str], credits: float | None) -> None:
        """Settle a reservation: the credits actually used, or None (certainly not sent:
        release the credits and the frequency counts)."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release connections (the data stays)."""

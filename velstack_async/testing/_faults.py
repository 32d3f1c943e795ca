"""Fault injection: the user-facing `Faults` settings and the seeded decision engine."""

from __future__ import annotations

import math
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Literal

import attrs

__all__ = ["FAULT_KINDS", "Decision", "DropMode", "FaultEngine", "FaultKind", "Faults"]

FaultKind = Literal["reset", "bad_gateway", "throttle", "unavailable", "drop"]
#: Every fault kind, in the order the fake checks them.
FAULT_KINDS: tuple[FaultKind, ...] = ("reset", "bad_gateway", "throttle", "unavailable", "drop")
DropMode = Literal["timeout", "disconnect"]


def _rate(_: Any, attribute: attrs.Attribute[float], value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{attribute.name} must be between 0 and 1, got {value!r}")


def _non_negative(_: Any, attribute: attrs.Attribute[float], value: float) -> None:
    if value < 0:
        raise ValueError(f"{attribute.name} must not be negative, got {value!r}")


def _boolean(_: Any, attribute: attrs.Attribute[bool], value: bool) -> None:
    if not isinstance(value, bool):
        raise ValueError(f"{attribute.name} must be true or false, got {value!r}")


def _positive_or_none(_: Any, attribute: attrs.Attribute[int | None], value: int | None) -> None:
    if value is not None and value < 1:
        raise ValueError(f"{attribute.name} must be at least 1 or None, got {value!r}")


@attrs.define
class Faults:
    """What goes wrong, and how often. Change any field while the fake runs.

    The random faults are exclusive: each request draws one number from the
    fake's seeded generator and lands in at most one of ``reset_rate``,
    ``html_502_rate``, ``fail_rate`` and ``drop_rate`` (checked in that order),
    so their sum should not exceed 1.

    - ``latency`` (seconds) plus a uniform random ``0..latency_jitter`` delays
      every response.
    - ``reset_rate``: the connection fails before the request is read; nothing
      is processed.
    - ``html_502_rate``: a proxy answers an HTML 502 page; nothing is processed.
    - ``fail_rate``: the documented 503 "Service unavailable"; nothing processed.
    - ``drop_rate``: the request **is processed** (a send is accepted and
      charged) and then the response is lost. ``drop_mode="timeout"`` makes the
      client time out; ``"disconnect"`` closes the connection. Over a socket a
      ``timeout`` drop holds the connection for up to ``drop_hang`` seconds.
    - ``rate_limit``: at most this many requests per ``rate_window`` seconds per
      API key, then 429 "Too Many Attempts." with ``Retry-After``.
    - ``retry_after_header=False`` leaves ``Retry-After`` out of every 429
      (``rate_limit`` and `throttle_next`), as nginx's ``limit_req`` and most API
      gateways answer; the ``X-RateLimit-*`` headers stay.

    `throttle_next` and `schedule` force faults onto the next requests, in
    order, before any random draw: the deterministic way to test one case.
    """

    latency: float = attrs.field(default=0.0, validator=_non_negative)
    latency_jitter: float = attrs.field(default=0.0, validator=_non_negative)
    reset_rate: float = attrs.field(default=0.0, validator=_rate)
    html_502_rate: float = attrs.field(default=0.0, validator=_rate)
    fail_rate: float = attrs.field(default=0.0, validator=_rate)
    drop_rate: float = attrs.field(default=0.0, validator=_rate)
    drop_mode: DropMode = attrs.field(
        default="timeout", validator=attrs.validators.in_(("timeout", "disconnect"))
    )
    drop_hang: float = attrs.field(default=10.0, validator=_non_negative)
    rate_limit: int | None = attrs.field(default=None, validator=_positive_or_none)
    rate_window: float = attrs.field(default=1.0, validator=_non_negative)
    retry_after_header: bool = attrs.field(default=True, validator=_boolean)
    _scheduled: deque[tuple[FaultKind, int | None]] = attrs.field(
        factory=deque, init=False, repr=False, eq=False
    )

    def throttle_next(self, n: int = 1, *, retry_after: int | None = 1) -> None:
        """Answer the next ``n`` requests with 429 and ``Retry-After: retry_after``.

        ``retry_after=None`` (or ``retry_after_header=False``) leaves the header out.
        """
        self._scheduled.extend([("throttle", retry_after)] * n)

    def schedule(self, kind: FaultKind, n: int = 1) -> None:
        """Inject ``kind`` into the next ``n`` requests (after earlier scheduled ones)."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {FAULT_KINDS}")
        if kind == "throttle":
            self.throttle_next(n)
        else:
            self._scheduled.extend([(kind, 0)] * n)

    def clear(self) -> None:
        """Switch every fault off and forget scheduled ones."""
        for field in attrs.fields(Faults):
            if field.init:
                setattr(self, field.name, field.default)
        self._scheduled.clear()

    def pending(self) -> int:
        """How many scheduled faults have not been used yet."""
        return len(self._scheduled)

    def _pop_scheduled(self) -> tuple[FaultKind, int | None] | None:
        try:
            return self._scheduled.popleft()
        except IndexError:
            return None

    def _roll(self, u: float) -> FaultKind | None:
        rates: tuple[tuple[FaultKind, float], ...] = (
            ("reset", self.reset_rate),
            ("bad_gateway", self.html_502_rate),
            ("unavailable", self.fail_rate),
            ("drop", self.drop_rate),
        )
        for kind, rate in rates:
            if u < rate:
                return kind
            u -= rate
        return None


@attrs.frozen
class Decision:
    """The fault engine's verdict on one request."""

    kind: FaultKind | None
    delay: float
    #: Rate-limit headers for the response (with ``retry-after`` on a 429).
    headers: tuple[tuple[str, str], ...] = ()


class FaultEngine:
    """Seeded randomness, rate-limit windows and fault counters of one fake."""

    def __init__(self, seed: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._rng = random.Random(seed)
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[float, int]] = {}
        self.counts: dict[FaultKind, int] = dict.fromkeys(FAULT_KINDS, 0)
        self.requests = 0

    def decide(self, faults: Faults, key: str) -> Decision:
        with self._lock:
            self.requests += 1
            # Always one draw (plus one for jitter when enabled), whatever the
            # outcome, so the same request sequence replays the same faults.
            kind = faults._roll(self._rng.random())
            delay = faults.latency
            if faults.latency_jitter:
                delay += self._rng.uniform(0.0, faults.latency_jitter)
            scheduled = faults._pop_scheduled()
            headers: tuple[tuple[str, str], ...] = ()
            if scheduled is not None:
                kind, retry_after = scheduled
                if kind == "throttle":
                    if not faults.retry_after_header:
                        retry_after = None
                    headers = _throttle_headers(retry_after, faults.rate_limit or 60)
            if kind in (None, "unavailable", "drop") and faults.rate_limit is not None:
                throttled, headers = self._hit(key, faults)
                if throttled:
                    kind = "throttle"
            if kind is not None:
                self.counts[kind] += 1
        return Decision(kind, delay, headers)

    def _hit(self, key: str, faults: Faults) -> tuple[bool, tuple[tuple[str, str], ...]]:
        """Count a request against ``key``'s fixed window; return (throttled, headers)."""
        limit, window = faults.rate_limit or 1, faults.rate_window
        now = self._clock()
        start, used = self._windows.get(key, (now, 0))
        if now - start >= window:
            start, used = now, 0
        if used >= limit:
            wait = max(1, math.ceil(start + window - now)) if faults.retry_after_header else None
            return True, _throttle_headers(wait, limit)
        self._windows[key] = (start, used + 1)
        remaining = str(limit - used - 1)
        return False, (("x-ratelimit-limit", str(limit)), ("x-ratelimit-remaining", remaining))

    def snapshot(self) -> dict[FaultKind, int]:
        with self._lock:
            return dict(self.counts)


def _throttle_headers(retry_after: int | None, limit: int) -> tuple[tuple[str, str], ...]:
    headers = (("x-ratelimit-limit", str(limit)), ("x-ratelimit-remaining", "0"))
    return headers if retry_after is None else (("retry-after", str(retry_after)), *headers)

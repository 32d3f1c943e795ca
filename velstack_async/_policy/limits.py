"""The policy's settings that are plain values: the clock, categories, caps and key rules."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

import attrs

from .._exceptions import InvalidInputError

__all__ = [
    "CATEGORIES",
    "MAX_KEY_LENGTH",
    "Category",
    "Clock",
    "FrequencyCap",
    "category",
    "checked_clock",
    "credits_cap",
    "idempotency_key",
    "positive_duration",
    "utc_now",
]

Category = Literal["transactional", "marketing"]
CATEGORIES: tuple[Category, ...] = ("transactional", "marketing")
#: A zero-argument callable returning an aware datetime.
Clock = Callable[[], datetime]
MAX_KEY_LENGTH = 255


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def checked_clock(clock: object) -> Clock:
    if clock is None:
        return utc_now
    if not callable(clock):
        raise InvalidInputError("clock must be a zero-argument callable returning a datetime")
    return clock


def read_clock(clock: Clock) -> datetime:
    """``clock()``, refused unless it is an aware datetime (every time decision reads it)."""
    now = clock()
    if not isinstance(now, datetime):
        raise InvalidInputError(f"clock() must return a datetime, not {type(now).__name__}")
    if now.tzinfo is None or now.utcoffset() is None:
        raise InvalidInputError(
            "clock() returned a naive datetime: return an aware one (datetime.now(timezone.utc))"
        )
    return now


def positive_duration(name: str, value: object) -> timedelta:
    if not isinstance(value, timedelta) or value <= timedelta(0):
        raise InvalidInputError(f"{name} must be a positive timedelta")
    return value


def credits_cap(name: str, value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInputError(f"{name} must be a non-negative int (credits) or None")
    return value


def category(value: object) -> Category:
    if value not in CATEGORIES:
        raise InvalidInputError("category must be 'transactional' or 'marketing'")
    return value


def idempotency_key(value: object) -> str:
    if not isinstance(value, str):
        raise InvalidInputError(f"idempotency_key must be a str, not {type(value).__name__}")
    if not value or not value.strip():
        raise InvalidInputError("idempotency_key must not be empty")
    if len(value) > MAX_KEY_LENGTH:
        raise InvalidInputError(
            f"idempotency_key must be at most {MAX_KEY_LENGTH} characters, got {len(value)}"
        )
    if not value.isprintable():
        raise InvalidInputError("idempotency_key must not contain control characters")
    return value


def _messages(_: Any, __: Any, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInputError("FrequencyCap messages must be a positive int")


def _per(_: Any, __: Any, value: Any) -> None:
    positive_duration("FrequencyCap per", value)


@attrs.frozen
class FrequencyCap:
    """At most ``messages`` marketing messages per recipient in any rolling ``per``.

    Counted across sends, campaigns and processes sharing the policy's store;
    transactional messages are neither counted nor capped.
    """

    messages: int = attrs.field(validator=_messages)
    per: timedelta = attrs.field(default=timedelta(days=1), validator=_per)

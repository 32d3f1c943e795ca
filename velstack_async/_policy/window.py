"""`SendWindow`: the hours a marketing message may reach a recipient, in their local time."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, time, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from .._exceptions import InvalidInputError

__all__ = ["SendWindow", "zones_of"]

_HHMM = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")
_UNKNOWN = "Etc/Unknown"


def _clock_time(name: str, value: object) -> time:
    if isinstance(value, time):
        return value.replace(tzinfo=None)
    if not isinstance(value, str) or not (match := _HHMM.fullmatch(value.strip())):
        raise InvalidInputError(f"SendWindow {name} must be 'HH:MM' (00:00 to 23:59)")
    return time(int(match.group(1)), int(match.group(2)))


def _zone(value: object) -> tzinfo | None:
    if value is None or isinstance(value, tzinfo):
        return value
    if not isinstance(value, str):
        raise InvalidInputError("SendWindow timezone must be an IANA name such as 'Africa/Accra'")
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInputError(f"SendWindow timezone: unknown time zone {value!r}") from None


@attrs.frozen(init=False)
class SendWindow:
    """Marketing messages go out between ``start`` and ``end`` in the recipient's local time.

    ``SendWindow("08:00", "20:00")``: the zone comes from each number
    (libphonenumber's time-zone data: Ghana is Africa/Accra, +81 numbers
    Asia/Tokyo; a number spanning several zones must be inside the window in
    all of them); ``timezone="Europe/London"`` forces one. ``start`` after
    ``end`` is an overnight window (``"20:00"`` to ``"02:00"``).
    """

    start: time
    end: time
    timezone: tzinfo | None

    def __init__(
        self, start: str | time, end: str | time, timezone: str | tzinfo | None = None
    ) -> None:
        begin, finish = _clock_time("start", start), _clock_time("end", end)
        if begin == finish:
            raise InvalidInputError("SendWindow start and end must differ")
        self.__attrs_init__(begin, finish, _zone(timezone))

    def opens_at(self, now: datetime, zones: Iterable[tzinfo]) -> datetime | None:
        """None if ``now`` is inside the window in every zone, else when it opens.

        Several zones: the latest of their openings (in that zone).
        """
        latest: datetime | None = None
        for zone in [self.timezone] if self.timezone is not None else zones:
            local = now.astimezone(zone)
            opens = self._next_opening(local)
            if opens is not None and (latest is None or opens > latest):
                latest = opens
        return latest

    def _inside(self, moment: time) -> bool:
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end  # overnight

    def _next_opening(self, local: datetime) -> datetime | None:
        if self._inside(local.time().replace(tzinfo=None)):
            return None
        zone = local.tzinfo
        day = local.date()
        opening = datetime.combine(day, self.start, tzinfo=zone)
        if opening <= local:
            opening = datetime.combine(day + timedelta(days=1), self.start, tzinfo=zone)
        return opening


def zones_of(e164: str, fallback_region: str) -> tuple[tzinfo, ...]:
    """The time zones of a number (E.164), from libphonenumber's data.

    A number without its own zone data takes its country's (the zones of the
    country's example fixed-line number), then ``fallback_region``'s, then UTC.
    """
    return _zones(e164, fallback_region)


@lru_cache(maxsize=8192)
def _zones(e164: str, fallback_region: str) -> tuple[tzinfo, ...]:
    import phonenumbers  # with its zone data, at the first window check (a light import)
    from phonenumbers import timezone as phone_zones

    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return _region_zones(fallback_region)
    names = [n for n in phone_zones.time_zones_for_number(number) if n != _UNKNOWN]
    if names:
        return tuple(ZoneInfo(name) for name in names)
    regions = phonenumbers.region_codes_for_country_code(number.country_code or 0)
    return _region_zones(regions[0] if regions else fallback_region)


@lru_cache(maxsize=512)
def _region_zones(region: str) -> tuple[tzinfo, ...]:
    import phonenumbers
    from phonenumbers import timezone as phone_zones

    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.FIXED_LINE)
    if example is not None:
        names = [n for n in phone_zones.time_zones_for_number(example) if n != _UNKNOWN]
        if names:
            return tuple(ZoneInfo(name) for name in names)
    return (ZoneInfo("UTC"),)

"""Send windows, spend caps, frequency caps and the clock (issue 25, items 3 to 5)."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from velstack_async import (
    FrequencyCap,
    FrequencyCapError,
    InvalidInputError,
    OutsideSendWindowError,
    SendingPolicy,
    SendWindow,
    ServiceUnavailableError,
    SpendCapError,
)
from velstack_async._policy.window import zones_of
from velstack_async.testing import FakeVelstack

from .conftest import Clock, MakeClient

pytestmark = pytest.mark.anyio
GHANA, TOKYO = "0205550368", "+81 90 1234 5678"


def test_the_zone_comes_from_the_number() -> None:
    assert zones_of("+233205550368", "GH") == (ZoneInfo("Africa/Accra"),)
    assert zones_of("+819012345678", "GH") == (ZoneInfo("Asia/Tokyo"),)
    assert ZoneInfo("Europe/London") in zones_of("+447700900123", "GH")  # country's zone


@pytest.mark.parametrize(
    ("start", "end"), [("25:00", "20:00"), ("08:00", "8pm"), ("08:60", "09:00"), ("9", "10:00"),
                       ("08:00", "08:00"), (8, "10:00")],
)  # fmt: skip
def test_bad_windows_are_refused(start: object, end: object) -> None:
    with pytest.raises(InvalidInputError, match="SendWindow"):
        SendWindow(start, end)  # type: ignore[arg-type]


def test_bad_settings_are_refused(tmp_path: object) -> None:
    with pytest.raises(InvalidInputError, match="timezone"):
        SendWindow("08:00", "20:00", timezone="Mars/Olympus")
    with pytest.raises(InvalidInputError, match="non-negative"):
        SendingPolicy(":memory:", max_credits_per_day=-1)
    with pytest.raises(InvalidInputError, match="messages"):
        FrequencyCap(messages=-1)
    with pytest.raises(InvalidInputError, match="per"):
        FrequencyCap(messages=2, per=timedelta(0))
    with pytest.raises(InvalidInputError, match="idempotency_ttl"):
        SendingPolicy(":memory:", idempotency_ttl=timedelta(seconds=-1))


def test_window_opening_times() -> None:
    window = SendWindow("08:00", "20:00")
    accra = (ZoneInfo("Africa/Accra"),)
    assert window.opens_at(datetime(2026, 3, 2, 12, tzinfo=timezone.utc), accra) is None
    opens = window.opens_at(datetime(2026, 3, 2, 21, tzinfo=timezone.utc), accra)
    assert opens == datetime(2026, 3, 3, 8, tzinfo=ZoneInfo("Africa/Accra"))
    early = window.opens_at(datetime(2026, 3, 2, 6, tzinfo=timezone.utc), accra)
    assert early == datetime(2026, 3, 2, 8, tzinfo=ZoneInfo("Africa/Accra"))
    night = SendWindow("20:00", time(2, 0))
    assert night.opens_at(datetime(2026, 3, 2, 23, tzinfo=timezone.utc), accra) is None
    assert night.opens_at(datetime(2026, 3, 2, 1, tzinfo=timezone.utc), accra) is None
    assert night.opens_at(datetime(2026, 3, 2, 3, tzinfo=timezone.utc), accra) == datetime(
        2026, 3, 2, 20, tzinfo=ZoneInfo("Africa/Accra")
    )


async def test_a_marketing_send_outside_the_recipients_window_is_refused(
    store: str, make_client: MakeClient, fake: FakeVelstack, clock: Clock
) -> None:
    policy = SendingPolicy(store, send_window=SendWindow("08:00", "20:00"), clock=clock)
    client = make_client(policy)
    # 12:00 UTC: noon in Accra, 21:00 in Tokyo (refused before the fake, which takes
    # Ghanaian numbers only).
    await client.sms.send(recipient=GHANA, message="Sale", sender="SHOP", category="marketing")
    with pytest.raises(OutsideSendWindowError, match="send window") as caught:
        await client.sms.send(recipient=TOKYO, message="Sale", sender="SHOP", category="marketing")
    assert caught.value.opens_at == datetime(2026, 3, 3, 8, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert caught.value.opens_at.utcoffset() == timedelta(hours=9)
    assert fake.message_count == 1
    clock.advance(hours=9)  # 21:00 in Accra
    with pytest.raises(OutsideSendWindowError) as late:
        await client.sms.send(recipient=GHANA, message="Sale", sender="SHOP", category="marketing")
    assert late.value.opens_at == datetime(2026, 3, 3, 8, tzinfo=ZoneInfo("Africa/Accra"))
    assert fake.message_count == 1
    # Transactional messages (the default) ignore windows.
    await client.sms.send(recipient=GHANA, message="Your code is 1234", sender="SHOP")
    assert fake.message_count == 2
    clock.now = late.value.opens_at
    await client.sms.send(recipient=GHANA, message="Sale", sender="SHOP", category="marketing")
    assert fake.message_count == 3


async def test_a_forced_zone_overrides_the_numbers(
    store: str, make_client: MakeClient, fake: FakeVelstack, clock: Clock
) -> None:
    window = SendWindow("08:00", "20:00", timezone="Asia/Tokyo")
    client = make_client(SendingPolicy(store, send_window=window, clock=clock))
    with pytest.raises(OutsideSendWindowError):
        await client.sms.send(recipient=GHANA, message="Sale", sender="SHOP", category="marketing")
    assert fake.message_count == 0


async def test_a_naive_clock_is_refused_before_any_request(
    store: str, make_client: MakeClient, fake: FakeVelstack
) -> None:
    client = make_client(SendingPolicy(store, clock=lambda: datetime(2026, 3, 2, 12)))
    with pytest.raises(InvalidInputError, match="naive"):
        await client.sms.send(recipient=GHANA, message="hi", sender="SHOP")
    assert fake.message_count == 0


async def test_the_daily_spend_cap_counts_the_last_24_hours_of_every_client(
    store: str, make_client: MakeClient, fake: FakeVelstack, clock: Clock
) -> None:
    one, two = (make_client(SendingPolicy(store, max_credits_per_day=5, clock=clock)) for _ in "12")
    long_text = "x" * 200  # two segments: 2 credits
    await one.sms.send(recipient=GHANA, message=long_text, sender="SHOP")
    await two.sms.send(recipient=GHANA, message=long_text, sender="SHOP")
    with pytest.raises(SpendCapError, match="max_credits_per_day=5"):
        await one.sms.send(recipient=GHANA, message=long_text, sender="SHOP")
    await one.sms.send(recipient=GHANA, message="short", sender="SHOP")  # 1 credit fits
    assert fake.message_count == 3
    with pytest.raises(SpendCapError):
        await two.sms.send(recipient=GHANA, message="short", sender="SHOP", category="marketing")
    clock.advance(hours=23, minutes=59)
    with pytest.raises(SpendCapError):
        await two.sms.send(recipient=GHANA, message="short", sender="SHOP")
    clock.advance(minutes=2)  # the first sends are now over 24 hours old
    await two.sms.send(recipient=GHANA, message=long_text, sender="SHOP")
    await two.sms.send(recipient=GHANA, message=long_text, sender="SHOP")
    assert fake.message_count == 5


async def test_a_send_that_was_not_processed_gives_its_credits_back(
    store: str, make_client: MakeClient, fake: FakeVelstack
) -> None:
    client = make_client(SendingPolicy(store, max_credits_per_day=1), max_retries=0)
    fake.faults.schedule("unavailable")
    with pytest.raises(ServiceUnavailableError):
        await client.sms.send(recipient=GHANA, message="hi", sender="SHOP")
    await client.sms.send(recipient=GHANA, message="hi", sender="SHOP")
    assert fake.message_count == 1


async def test_frequency_caps_count_marketing_messages_per_recipient(
    store: str, make_client: MakeClient, fake: FakeVelstack, clock: Clock
) -> None:
    cap = FrequencyCap(messages=2, per=timedelta(days=1))
    one, two = (make_client(SendingPolicy(store, frequency_cap=cap, clock=clock)) for _ in "12")
    await one.sms.send(recipient=GHANA, message="a", sender="SHOP", category="marketing")
    clock.advance(hours=1)
    await two.sms.send(recipient="+233205550368", message="b", sender="SHOP", category="marketing")
    with pytest.raises(FrequencyCapError, match="frequency cap"):
        await one.sms.send(recipient=GHANA, message="c", sender="SHOP", category="marketing")
    await one.sms.send(recipient="0205550369", message="c", sender="SHOP", category="marketing")
    for _ in range(3):  # transactional messages are neither capped nor counted
        await one.sms.send(recipient=GHANA, message="code", sender="SHOP")
    assert fake.message_count == 6
    clock.advance(hours=23, seconds=1)  # the first is out of the rolling day
    await two.sms.send(recipient=GHANA, message="d", sender="SHOP", category="marketing")
    with pytest.raises(FrequencyCapError):
        await two.sms.send(recipient=GHANA, message="e", sender="SHOP", category="marketing")
    assert fake.message_count == 7


async def test_category_is_checked(make_client: MakeClient, fake: FakeVelstack) -> None:
    client = make_client()
    with pytest.raises(InvalidInputError, match="category"):
        await client.sms.send(recipient=GHANA, message="hi", sender="SHOP", category="promo")  # type: ignore[arg-type]
    await client.sms.send(recipient=GHANA, message="hi", sender="SHOP", category="marketing")
    assert fake.message_count == 1  # no policy: no window, no cap

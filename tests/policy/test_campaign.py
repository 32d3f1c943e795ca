"""Campaigns under a sending policy (issue 25, items 2 to 5): skipped, deferred, capped."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import anyio
import pytest

from velstack_async import (
    BulkResult,
    BulkStatus,
    CampaignOptions,
    CampaignStop,
    FrequencyCap,
    SendingPolicy,
    SendWindow,
)
from velstack_async.testing import FakeVelstack

from .conftest import Clock, MakeClient

pytestmark = pytest.mark.anyio
NUMBERS = [f"020555{i:04d}" for i in range(10)]


async def test_suppressed_recipients_are_skipped_and_counted(
    store: str, make_client: MakeClient, fake: FakeVelstack
) -> None:
    client = make_client(SendingPolicy(store))
    await client.suppressions.add(["+233 20 555 0003", "0205550007"], reason="STOP")
    report = await client.sms.send_bulk(NUMBERS, message="Sale!", sender="SHOP")
    assert (report.sent, report.skipped, report.suppressed) == (8, 2, 2)
    skipped = {r.recipient: r.reason for r in report.unsent}
    assert set(skipped) == {"0205550003", "0205550007"}
    assert all("suppressed" in (reason or "") for reason in skipped.values())
    assert fake.message_count == 8


async def test_a_number_suppressed_while_the_campaign_runs_is_not_sent(
    store: str, make_client: MakeClient, fake: FakeVelstack
) -> None:
    numbers = [f"020556{i:04d}" for i in range(400)]
    client = make_client(SendingPolicy(store))
    admin = make_client(SendingPolicy(store))
    late = numbers[-1]

    async def on_result(result: BulkResult) -> None:
        if result.index == 5:  # early in the run: the last number is not read yet
            await admin.suppressions.add(late, reason="replied STOP")

    report = await client.sms.send_bulk(
        numbers, message="Sale!", sender="SHOP", concurrency=1, batch_size=1, on_result=on_result
    )
    assert report.suppressed == 1
    assert report.sent == len(numbers) - 1
    assert all(m.recipient != "+233" + late[1:] for m in fake.messages)


async def test_frequency_caps_skip_marketing_recipients_only(
    store: str, make_client: MakeClient, fake: FakeVelstack, clock: Clock
) -> None:
    cap = FrequencyCap(messages=1, per=timedelta(days=1))
    client = make_client(SendingPolicy(store, frequency_cap=cap, clock=clock))
    await client.sms.send(recipient=NUMBERS[0], message="a", sender="SHOP", category="marketing")
    report = await client.sms.send_bulk(NUMBERS[:3], message="b", sender="SHOP")
    assert (report.sent, report.skipped, report.capped) == (2, 1, 1)
    [capped] = report.unsent
    assert capped.recipient == NUMBERS[0]
    assert "frequency cap" in (capped.reason or "")
    # Counted across campaigns: a second marketing campaign reaches nobody...
    again = await client.sms.send_bulk(NUMBERS[:3], message="c", sender="SHOP")
    assert again.capped == 3
    # ...a transactional one everybody; a day later marketing goes out again.
    receipts = await client.sms.send_bulk(
        NUMBERS[:3], message="receipt", sender="SHOP", category="transactional"
    )
    assert receipts.sent == 3
    clock.advance(days=1, seconds=1)
    assert (await client.sms.send_bulk(NUMBERS[:3], message="d", sender="SHOP")).sent == 3
    assert fake.message_count == 1 + 2 + 3 + 3


async def test_outside_the_window_without_waiting_is_not_attempted_and_a_rerun_sends(
    store: str, make_client: MakeClient, fake: FakeVelstack, clock: Clock, tmp_path: Path
) -> None:
    clock.now = datetime(2026, 3, 2, 21, 0, tzinfo=timezone.utc)  # 21:00 in Accra
    policy = SendingPolicy(store, send_window=SendWindow("08:00", "20:00"), clock=clock)
    client = make_client(policy)
    journal = tmp_path / "campaign.journal"
    options: dict[str, Any] = {"message": "Sale!", "sender": "SHOP", "journal": journal}
    report = await client.sms.send_bulk(NUMBERS[:4], wait_for_window=False, **options)
    assert (report.sent, report.not_attempted, report.deferred) == (0, 4, 4)
    assert all("send window" in (r.reason or "") for r in report.unsent)
    assert all("2026-03-03T08:00:00+00:00" in (r.reason or "") for r in report.unsent)
    assert fake.message_count == 0
    clock.now = datetime(2026, 3, 3, 8, 0, tzinfo=timezone.utc)  # the window opens
    rerun = await client.sms.send_bulk(NUMBERS[:4], wait_for_window=False, **options)
    assert rerun.sent == 4
    assert fake.message_count == 4


async def test_waiting_for_the_window_sends_when_it_opens(
    store: str, make_client: MakeClient, fake: FakeVelstack
) -> None:
    import time

    start, began = datetime(2026, 3, 2, 7, 59, 59, tzinfo=timezone.utc), time.monotonic()

    def fast_clock() -> datetime:  # one real second is an hour
        return start + timedelta(hours=time.monotonic() - began)

    sent_at: list[datetime] = []
    policy = SendingPolicy(store, send_window=SendWindow("08:00", "20:00"), clock=fast_clock)
    client = make_client(policy)
    report = await client.sms.send_bulk(
        NUMBERS[:3],
        message="Good morning",
        sender="SHOP",
        on_result=lambda r: sent_at.append(fast_clock()),
    )
    assert report.sent == 3
    assert report.deferred == 0
    assert min(sent_at) >= datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)
    assert fake.message_count == 3


async def test_max_credits_fills_the_budget_then_stops(
    make_client: MakeClient, fake: FakeVelstack, instant_retries: None
) -> None:
    client = make_client()
    long_text = "x" * 200  # two segments: 2 credits a recipient
    report = await client.sms.send_bulk(
        NUMBERS, message=long_text, sender="SHOP", batch_size=4, concurrency=1, max_credits=13
    )
    # 4 recipients (8 credits), then a batch of 4 split to the 2 that fit (4 credits).
    assert report.sent == 6
    assert report.credit_used == 12
    assert report.not_attempted == 4
    assert "spend cap" in (report.stopped_reason or "")
    assert fake.message_count == 6


async def test_a_refused_request_gives_its_credits_back(
    make_client: MakeClient, fake: FakeVelstack, instant_retries: None
) -> None:
    client = make_client()
    fake.faults.schedule("unavailable")  # 503: not processed, sent again
    report = await client.sms.send_bulk(
        NUMBERS[:2], message="hi", sender="SHOP", batch_size=2, max_credits=2
    )
    assert report.sent == 2
    assert report.stopped_reason is None


async def test_the_daily_cap_counts_sends_and_campaigns(
    store: str, make_client: MakeClient, fake: FakeVelstack, instant_retries: None
) -> None:
    client = make_client(SendingPolicy(store, max_credits_per_day=5))
    await client.sms.send(recipient=NUMBERS[0], message="x" * 200, sender="SHOP")  # 2
    report = await client.sms.send_bulk(NUMBERS, message="hi", sender="SHOP", batch_size=2)
    assert report.sent == 3
    assert "spend cap" in (report.stopped_reason or "")
    other = make_client(SendingPolicy(store, max_credits_per_day=5))
    assert (await other.sms.send_bulk(NUMBERS[:1], message="hi", sender="SHOP")).sent == 0
    assert fake.message_count == 4


async def test_without_a_policy_nothing_changes(make_client: MakeClient) -> None:
    client = make_client()
    report = await client.sms.send_bulk(NUMBERS, message="hi", sender="SHOP")
    assert report.sent == len(NUMBERS)
    assert (report.suppressed, report.capped, report.deferred) == (0, 0, 0)
    assert report.count(BulkStatus.SENT) == len(NUMBERS)


async def test_a_resumed_campaign_keeps_the_verdicts_of_its_journal(
    store: str, make_client: MakeClient, fake: FakeVelstack, clock: Clock, tmp_path: Path
) -> None:
    cap = FrequencyCap(messages=1, per=timedelta(days=1))
    client = make_client(SendingPolicy(store, frequency_cap=cap, clock=clock))
    await client.sms.send(recipient=NUMBERS[0], message="a", sender="SHOP", category="marketing")
    await client.suppressions.add(NUMBERS[1], reason="STOP")
    options: dict[str, Any] = {"message": "Sale!", "sender": "SHOP"}
    journal = tmp_path / "sale.journal"
    first = await client.sms.send_bulk(NUMBERS[:4], journal=journal, **options)
    assert (first.sent, first.capped, first.suppressed) == (2, 1, 1)
    # Later the cap lapsed and the opt-out was withdrawn: a resumed run keeps the verdicts.
    clock.advance(days=2)
    await client.suppressions.remove(NUMBERS[1])
    resumed = await client.sms.send_bulk(NUMBERS[:4], journal=journal, **options)
    assert (resumed.sent, resumed.capped, resumed.suppressed) == (0, 1, 1)
    reasons = sorted(r.reason or "" for r in resumed.unsent if r.index in (0, 1))
    assert all("earlier run" in reason for reason in reasons)
    assert fake.message_count == 1 + 2
    # A new campaign (another journal) checks again.
    fresh = await client.sms.send_bulk(NUMBERS[:2], journal=tmp_path / "new.journal", **options)
    assert fresh.sent == 2


async def test_a_send_that_may_have_gone_out_keeps_its_credits(
    make_client: MakeClient, fake: FakeVelstack, instant_retries: None
) -> None:
    client = make_client()
    fake.faults.drop_mode = "disconnect"
    fake.faults.schedule("drop")  # the first request is processed, its answer lost
    report = await client.sms.send_bulk(
        NUMBERS[:3], message="hi", sender="SHOP", batch_size=1, concurrency=1, max_credits=2
    )
    assert (report.unknown, report.sent, report.not_attempted) == (1, 1, 1)
    assert fake.message_count == 2  # never past the cap, counting the one that may have gone


async def test_a_stop_ends_the_wait_for_a_window(
    store: str, make_client: MakeClient, fake: FakeVelstack, clock: Clock
) -> None:
    clock.now = datetime(2026, 3, 2, 21, 0, tzinfo=timezone.utc)  # the window opens in 11 h
    policy = SendingPolicy(store, send_window=SendWindow("08:00", "20:00"), clock=clock)
    client = make_client(policy)
    stop = CampaignStop()
    options = CampaignOptions(message="Sale!", sender="SHOP")
    report = None

    async def run() -> None:
        nonlocal report
        report = await client.sms.send_campaign(NUMBERS[:3], options, stop=stop)

    with anyio.fail_after(20):
        async with anyio.create_task_group() as tg:
            tg.start_soon(run)
            await anyio.sleep(0.3)
            stop.set("the shop closed")
    assert report is not None
    assert (report.sent, report.not_attempted) == (0, 3)
    assert report.stopped_reason == "the shop closed"
    assert fake.message_count == 0


async def test_recipients_a_stopped_campaign_did_not_send_keep_their_frequency_budget(
    store: str, make_client: MakeClient, fake: FakeVelstack, clock: Clock, instant_retries: None
) -> None:
    cap = FrequencyCap(messages=1, per=timedelta(days=1))
    client = make_client(SendingPolicy(store, frequency_cap=cap, clock=clock))
    fake.set_balance(2)  # two messages, then the campaign stops: insufficient balance
    first = await client.sms.send_bulk(
        NUMBERS, message="Sale!", sender="SHOP", batch_size=1, concurrency=1
    )
    assert first.sent == 2
    assert first.failed + first.not_attempted == len(NUMBERS) - 2  # the refused one: failed
    fake.set_balance(100)
    second = await client.sms.send_bulk(NUMBERS, message="Sale, again", sender="SHOP")
    assert (second.sent, second.capped) == (len(NUMBERS) - 2, 2)

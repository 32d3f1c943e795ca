"""What the fake charges agrees with the SDK's count, and smart encoding lowers the bill."""

# ruff: noqa: RUF001  (look-alike characters are what these tests are about)
from __future__ import annotations

from decimal import Decimal

import anyio
import pytest
from hypothesis import HealthCheck, given, settings

from velstack_async import AsyncVelstack, BulkMessage, BulkStatus
from velstack_async._encoding import smart_encode
from velstack_async.testing import FakeVelstack, LoopbackServer

from .strategies import any_text

NUMBER = "0205550368"


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=any_text.filter(str.strip))
def test_the_fake_charges_what_the_sdk_estimates(backend: str, text: str) -> None:
    fake = FakeVelstack(balance=1_000_000)

    async def main() -> None:
        async with AsyncVelstack(api_key=fake.api_key, transport=fake.async_transport()) as c:
            for smart in (False, True):
                estimate = c.sms.estimate(text, 2, smart_encoding=smart)
                balance = fake.balance()
                summary = await c.sms.send(
                    recipient=f"{NUMBER},0245550368",
                    message=text,
                    sender="SHOP",
                    smart_encoding=smart,
                )
                charged = balance - fake.balance()
                sent = fake.messages[-1]
                assert sent.text == (smart_encode(text) if smart else text)
                assert charged == summary.credit_used == Decimal(estimate.credits)
                assert sent.segments == estimate.segments
                assert estimate.credits <= estimate.before.credits

    anyio.run(main, backend=backend)


CAMPAIGN = "Hello {name}, your order is ready – pick it up at “Osu Mall” before 6 pm today…"


async def _campaign(base_url: str, api_key: str, smart_encoding: bool) -> Decimal:
    recipients = [
        BulkMessage(f"02055{i:05d}", fields={"name": name})
        for i, name in enumerate(["Ama", "Kofi", "Yaw", "Akosua", "Kwame"] * 40)
    ]
    async with AsyncVelstack(api_key=api_key, base_url=base_url) as client:
        report = await client.sms.send_bulk(
            recipients,
            message=CAMPAIGN,
            sender="SHOP",
            smart_encoding=smart_encoding,
            concurrency=8,
        )
    assert report.count(BulkStatus.SENT) == 200
    return report.credit_used


@pytest.mark.anyio
async def test_a_campaign_costs_less_with_smart_encoding() -> None:
    fake = FakeVelstack(balance=1_000_000)
    with LoopbackServer(fake) as server:
        start = fake.balance()
        plain = await _campaign(server.base_url, fake.api_key, smart_encoding=False)
        middle = fake.balance()
        smart = await _campaign(server.base_url, fake.api_key, smart_encoding=True)
        end = fake.balance()
    # 76 to 79 characters: two UCS-2 segments each as written, one GSM-7 segment smart-encoded.
    assert start - middle == plain == 400
    assert middle - end == smart == 200
    texts = {m.text for m in fake.messages}
    assert 'Hello Ama, your order is ready - pick it up at "Osu Mall" before 6 pm today...' in texts
    assert "Hello Ama, your order is ready – pick it up at “Osu Mall” before 6 pm today…" in texts

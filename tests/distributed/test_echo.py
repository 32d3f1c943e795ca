"""An answer may write a number outside Ghana as international digits (``234...``).

The Ghana-only fake would refuse such a number, so here a stand-in for Velstack
answers every quick SMS itself, over real HTTP on loopback, echoing Ghanaian
numbers in national format and the others as international digits without
``+``, in reverse order (so no shortcut for an answer that repeats the request).
Both the in-process engine (`send_bulk`) and a distributed chunk must count
every such number as sent.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from velstack_async import AsyncVelstack, BulkStatus
from velstack_async.distributed import RedisCampaign
from velstack_async.testing import FakeResponse, FakeVelstack

from .helpers import on_quick_sms
from .redis_server import RedisServer

pytestmark = pytest.mark.anyio

FOREIGN = ["+2348031234567", "+447911123456"]
GHANA = ["0205550368", "0241234567"]


def written_back(number: str) -> str:
    """How the stand-in writes a number it accepted: national for Ghana, else digits."""
    digits = number.lstrip("+")
    return "0" + digits[3:] if digits.startswith("233") and len(digits) == 12 else digits


class Echoing:
    """Accepts every quick SMS; remembers the numbers each request named."""

    def __init__(self, fake: FakeVelstack) -> None:
        self.requests: list[list[str]] = []
        on_quick_sms(fake, self._answer)

    def _answer(self, data: dict[str, Any], forward: Callable[[], FakeResponse]) -> FakeResponse:
        named = data["recipient"].split(",")
        self.requests.append(named)
        summary = {
            "message_id": str(uuid.uuid4()),
            "type": "Quick SMS",
            "message": "hi",
            "sender": "SHOP",
            "total_contacts": len(named),
            "recipients": [written_back(n) for n in reversed(named)],
            "credit_used": len(named),
            "credit_left": "100.00",
        }
        envelope = {"status": True, "code": 200, "message": "ok", "data": {"summary": summary}}
        return FakeResponse(
            200, (("content-type", "application/json"),), json.dumps(envelope).encode()
        )


@pytest.fixture
def echoing() -> Iterator[tuple[Echoing, str, str]]:
    fake = FakeVelstack(balance=1_000)
    stand_in = Echoing(fake)
    with fake.serve_in_thread() as base_url:
        yield stand_in, base_url, fake.api_key


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_send_bulk_counts_numbers_echoed_as_international_digits(
    anyio_backend: str, echoing: tuple[Echoing, str, str]
) -> None:
    stand_in, base_url, api_key = echoing
    async with AsyncVelstack(api_key=api_key, base_url=base_url) as client:
        report = await client.sms.send_bulk(
            [*GHANA, *FOREIGN], message="hi", sender="SHOP", batch_size=10
        )
    assert (report.sent, report.failed, report.requests) == (4, 0, 1)
    assert sorted(stand_in.requests[0]) == sorted(
        ["0205550368", "0241234567", *[f.lstrip("+") for f in FOREIGN]]
    )


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_a_distributed_chunk_counts_numbers_echoed_as_international_digits(
    anyio_backend: str, redis_server: RedisServer, echoing: tuple[Echoing, str, str]
) -> None:
    stand_in, base_url, api_key = echoing
    campaign = await RedisCampaign.create(
        redis_server.url, "echo", message="hi", sender="SHOP", batch_size=10, chunk_size=10
    )
    async with campaign:
        assert await campaign.load([*GHANA, *FOREIGN]) == 4
        async with AsyncVelstack(api_key=api_key, base_url=base_url) as client:
            await campaign.run_worker(client, concurrency=1)
        report = await campaign.report()
    assert (report.sent, report.failed) == (4, 0), [r.reason for r in report.unsent]
    assert all(r.status is not BulkStatus.FAILED for r in report.unsent)
    assert len(stand_in.requests) == 1

"""Metrics under ``velstack.``: messages, credits, durations, outcomes, pauses, in flight."""

from __future__ import annotations

import pytest

from velstack_async import InsufficientBalanceError
from velstack_async.testing import FakeVelstack

from .conftest import MakeClient, Otel

pytestmark = pytest.mark.anyio

DOCUMENTED = {
    "velstack.messages",
    "velstack.credits.used",
    "velstack.request.duration",
    "velstack.requests",
    "velstack.rate_limit.pauses",
    "velstack.requests.in_flight",
}


async def test_campaign_metrics(make_client: MakeClient, otel: Otel, fake: FakeVelstack) -> None:
    client = make_client()
    fake.faults.throttle_next(1, retry_after=1)
    recipients = [f"020{i:07d}" for i in range(30)] + ["0200000001", "12"]
    report = await client.sms.send_bulk(
        recipients, message="A" * 200, sender="SHOP", batch_size=10, concurrency=2
    )
    assert report.sent == 30
    assert set(otel.metrics()) == DOCUMENTED
    bulk = {"velstack.operation": "sms.send_bulk"}
    assert otel.total("velstack.messages", **bulk, velstack__message__status="sent") == 30
    assert otel.total("velstack.messages", **bulk, velstack__message__status="skipped") == 2
    # 200 GSM-7 characters are two segments: 60 credits, as Velstack reports.
    assert otel.total("velstack.credits.used") == 60 == report.credit_used
    # Three requests of 10 recipients, and the one answered 429 (the campaign sent it again).
    assert otel.total("velstack.requests", velstack__outcome="ok") == 3
    assert otel.total("velstack.requests", velstack__outcome="error", error__type="429") == 1
    assert otel.total("velstack.request.duration") == 4 == report.requests  # histogram count
    assert otel.total("velstack.rate_limit.pauses") == 1
    assert otel.total("velstack.requests.in_flight") == 0


async def test_single_send_metrics(make_client: MakeClient, otel: Otel, fake: FakeVelstack) -> None:
    client = make_client()
    await client.sms.send(recipient="0205550368,0245550368", message="Hi", sender="SHOP")
    fake.set_balance(0)
    with pytest.raises(InsufficientBalanceError):
        await client.sms.send(recipient="0205550368", message="Hi", sender="SHOP")
    send = {"velstack.operation": "sms.send"}
    assert otel.total("velstack.messages", **send, velstack__message__status="sent") == 2
    assert otel.total("velstack.messages", **send, velstack__message__status="failed") == 1
    assert otel.total("velstack.requests", velstack__outcome="ok") == 1
    errors = [a for a, _ in otel.metrics()["velstack.requests"] if a["velstack.outcome"] == "error"]
    assert [(a["error.type"], a["http.response.status_code"]) for a in errors] == [("403", 403)]
    assert otel.total("velstack.credits.used") == 2
    assert otel.total("velstack.requests.in_flight") == 0


async def test_metrics_without_tracing(make_client: MakeClient, otel: Otel) -> None:
    client = make_client(tracer_provider=None)
    await client.groups.list()
    assert otel.spans() == []
    assert otel.total("velstack.requests", velstack__operation="groups.list") == 1


async def test_tracing_without_metrics(make_client: MakeClient, otel: Otel) -> None:
    client = make_client(meter_provider=None)
    await client.groups.list()
    assert [s.name for s in otel.spans()] == ["GET /api/group"]
    assert otel.metrics() == {}

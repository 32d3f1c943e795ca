"""A span per campaign, request spans as its children, events for stops and 429 pauses."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator
from typing import Any, cast

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, StatusCode

from velstack_async import BulkMessage, BulkResult
from velstack_async.testing import FakeVelstack

from .conftest import MakeClient, Otel

pytestmark = pytest.mark.anyio


def numbers(count: int) -> list[str]:
    return [f"020{i:07d}" for i in range(count)]


def children_of(parent: ReadableSpan, spans: list[ReadableSpan]) -> list[ReadableSpan]:
    span_id = parent.get_span_context().span_id  # type: ignore[union-attr]
    return [s for s in spans if s.parent is not None and s.parent.span_id == span_id]


async def test_send_bulk_span_and_children(make_client: MakeClient, otel: Otel) -> None:
    client = make_client()
    recipients = [*numbers(25), "0200000003", "not a number"]  # a duplicate, an invalid one
    report = await client.sms.send_bulk(
        recipients, message="Sale today", sender="SHOP", batch_size=10, concurrency=4
    )
    assert report.sent == 25
    (campaign,) = otel.spans("send_bulk")
    requests = otel.spans("POST /api/quick/sms")
    assert campaign.kind is SpanKind.INTERNAL
    assert campaign.parent is None
    assert campaign.status.status_code is StatusCode.UNSET
    assert len(requests) == report.requests == 3
    assert children_of(campaign, otel.spans()) == requests
    counts: list[Any] = [dict(s.attributes or {})["velstack.recipients"] for s in requests]
    assert sum(counts) == 25
    trace_ids = {s.get_span_context().trace_id for s in otel.spans()}  # type: ignore[union-attr]
    assert len(trace_ids) == 1
    assert dict(campaign.attributes or {}) == {
        "velstack.operation": "sms.send_bulk",
        "velstack.campaign.concurrency": 4,
        "velstack.campaign.batch_size": 10,
        "velstack.campaign.smart_encoding": False,
        "velstack.campaign.journal": False,
        "velstack.campaign.sent": 25,
        "velstack.campaign.skipped": 2,
    }


async def test_stream_bulk_span_across_bursts(make_client: MakeClient, otel: Otel) -> None:
    client = make_client()
    seen = 0
    stream = cast(
        "AsyncGenerator[BulkResult, None]",
        client.sms.stream_bulk(
            numbers(40), message="Hi", sender="SHOP", batch_size=1, concurrency=2
        ),
    )
    async with contextlib.aclosing(stream):  # the campaign (and its span) ends on close
        async for _result in stream:
            seen += 1
            if seen == 7:
                break
    (campaign,) = otel.spans("stream_bulk")
    requests = otel.spans("POST /api/quick/sms")
    assert len(requests) >= 7
    assert children_of(campaign, otel.spans()) == requests
    attributes = dict(campaign.attributes or {})
    assert attributes["velstack.campaign.sent"] == len(requests)
    assert "error.type" not in attributes  # stopping early is not an error
    assert campaign.status.status_code is StatusCode.UNSET


async def test_a_stop_is_an_event(make_client: MakeClient, otel: Otel, fake: FakeVelstack) -> None:
    fake.set_balance(5)
    client = make_client()
    report = await client.sms.send_bulk(
        numbers(20), message="Hi", sender="SHOP", batch_size=1, concurrency=1
    )
    assert report.stopped_reason is not None
    (campaign,) = otel.spans("send_bulk")
    (event,) = [e for e in campaign.events if e.name == "velstack.campaign.stopped"]
    assert dict(event.attributes or {})["velstack.stop_reason"] == report.stopped_reason
    attributes = dict(campaign.attributes or {})
    assert attributes["velstack.stop_reason"] == report.stopped_reason
    assert attributes["velstack.campaign.sent"] == 5
    assert attributes["velstack.campaign.failed"] == 1
    assert attributes["velstack.campaign.not_attempted"] == 14
    failed = [
        s for s in otel.spans("POST /api/quick/sms") if s.status.status_code is StatusCode.ERROR
    ]
    assert [dict(s.attributes or {})["error.type"] for s in failed] == ["403"]


async def test_a_429_pause_is_an_event_on_the_campaign(
    make_client: MakeClient, otel: Otel, fake: FakeVelstack
) -> None:
    client = make_client()
    fake.faults.throttle_next(1, retry_after=1)
    report = await client.sms.send_bulk(
        [BulkMessage(n, fields={"n": i}) for i, n in enumerate(numbers(6))],
        message="Ticket {n}",
        sender="SHOP",
        concurrency=1,
    )
    assert report.sent == 6
    (campaign,) = otel.spans("send_bulk")
    events = [e for e in campaign.events if e.name == "velstack.rate_limited"]
    assert [dict(e.attributes or {})["velstack.pause_seconds"] for e in events] == [1.0]
    throttled = [
        s
        for s in otel.spans("POST /api/quick/sms")
        if any(e.name == "velstack.rate_limited" for e in s.events)
    ]
    assert len(throttled) == 1
    assert children_of(campaign, otel.spans()) == otel.spans("POST /api/quick/sms")

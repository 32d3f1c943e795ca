"""A span per chunk run of a distributed campaign, parenting its request spans (issue 15)."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from velstack_async import AsyncVelstack
from velstack_async.distributed import RedisCampaign

from ..reliability.server_process import FakeProcess, delivered
from .conftest import API_KEY
from .helpers import recipients
from .redis_server import RedisServer

pytestmark = pytest.mark.anyio


def children_of(parent: ReadableSpan, spans: list[ReadableSpan]) -> list[ReadableSpan]:
    span_id = parent.get_span_context().span_id  # type: ignore[union-attr]
    return [s for s in spans if s.parent is not None and s.parent.span_id == span_id]


async def test_each_chunk_run_has_a_span_parenting_its_requests(
    redis_server: RedisServer, fake: FakeProcess
) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    campaign = await RedisCampaign.create(
        redis_server.url, "traced", message="Hi", sender="SHOP", batch_size=10, chunk_size=50
    )
    async with campaign:
        assert await campaign.load(recipients(120, 0)) == 120
        chunks = await campaign.chunks()
        assert len(chunks) == 3
        async with AsyncVelstack(
            api_key=API_KEY, base_url=fake.base_url, tracer_provider=provider
        ) as client:
            assert await campaign.run_chunk(client, chunks[0]) is True
            first = list(exporter.get_finished_spans())
            await campaign.run_worker(client)
        report = await campaign.report()
    provider.shutdown()
    assert report.sent == 120
    assert len(delivered(fake.log)) == 120

    (chunk_span,) = [s for s in first if s.name == "campaign_chunk"]
    attributes = dict(chunk_span.attributes or {})
    assert attributes["velstack.campaign.name"] == "traced"
    assert attributes["velstack.campaign.chunk"] == chunks[0]
    assert attributes["velstack.campaign.batch_size"] == 10
    assert attributes["velstack.campaign.sent"] == 50
    requests = [s for s in first if s.name == "POST /api/quick/sms"]
    assert len(requests) == 5  # 50 recipients, 10 per request
    assert children_of(chunk_span, first) == requests

    spans = list(exporter.get_finished_spans())
    chunk_spans = [s for s in spans if s.name == "campaign_chunk"]
    indexes = [dict(s.attributes or {})["velstack.campaign.chunk"] for s in chunk_spans]
    assert sorted(chunks) == sorted(int(str(i)) for i in indexes)
    all_requests = [s for s in spans if s.name == "POST /api/quick/sms"]
    assert len(all_requests) == 12
    parents = {s.parent.span_id for s in all_requests if s.parent is not None}
    assert parents == {s.get_span_context().span_id for s in chunk_spans}  # type: ignore[union-attr]

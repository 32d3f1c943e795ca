"""The generated sync client takes the same providers and reports the same telemetry."""

from __future__ import annotations

from velstack_async import Velstack
from velstack_async.testing import FakeVelstack, LoopbackServer

from .conftest import Otel


def test_sync_client_spans_and_metrics(
    otel: Otel, fake: FakeVelstack, server: LoopbackServer
) -> None:
    with Velstack(
        api_key=fake.api_key,
        base_url=server.base_url,
        tracer_provider=otel.tracer_provider,
        meter_provider=otel.meter_provider,
    ) as client:
        client.sms.send(recipient="0205550368", message="Hi", sender="SHOP")
        report = client.sms.send_bulk(
            [f"020{i:07d}" for i in range(5)], message="Hi", sender="SHOP", batch_size=1
        )
    assert report.sent == 5
    (campaign,) = otel.spans("send_bulk")
    requests = otel.spans("POST /api/quick/sms")
    assert len(requests) == 6
    campaign_id = campaign.get_span_context().span_id  # type: ignore[union-attr]
    children = [s for s in requests if s.parent is not None and s.parent.span_id == campaign_id]
    assert len(children) == 5
    assert otel.total("velstack.messages", velstack__message__status="sent") == 6

"""A CLIENT span per API request, the same on both adapters, asyncio and trio."""

from __future__ import annotations

from typing import Any

import pytest
from opentelemetry.trace import SpanKind, StatusCode

from velstack_async import APIConnectionError, InsufficientBalanceError
from velstack_async.testing import FakeVelstack, LoopbackServer

from .conftest import MakeClient, Otel

pytestmark = pytest.mark.anyio

TEXT = "Your code is 482913. Do not share it."


async def test_send_span(make_client: MakeClient, otel: Otel, server: LoopbackServer) -> None:
    client = make_client()
    await client.sms.send(recipient="0205550368, 0245550368", message=TEXT, sender="SHOP")
    (span,) = otel.spans()
    assert span.name == "POST /api/quick/sms"
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    port = int(server.base_url.rsplit(":", 1)[1])
    assert dict(span.attributes or {}) == {
        "http.request.method": "POST",
        "url.template": "/api/quick/sms",
        "url.full": f"{server.base_url}/api/quick/sms",
        "server.address": "127.0.0.1",
        "server.port": port,
        "http.response.status_code": 200,
        "velstack.operation": "sms.send",
        "velstack.recipients": 2,
        "velstack.credits_used": 2.0,
    }


@pytest.mark.parametrize(
    ("call", "name", "operation"),
    [
        ("groups.list", "GET /api/group", "groups.list"),
        ("groups.get", "GET /api/group/{id}", "groups.get"),
        ("groups.update", "PUT /api/group/{id}", "groups.update"),
        ("contacts.list", "GET /api/contact/{id}", "contacts.list"),
        ("groups.delete", "DELETE /api/group/{id}", "groups.delete"),
    ],
)
async def test_url_templates_and_operations(
    make_client: MakeClient, otel: Otel, fake: FakeVelstack, call: str, name: str, operation: str
) -> None:
    group = fake.add_group("Customers")
    client = make_client()
    if call == "groups.list":
        await client.groups.list()
    elif call == "groups.get":
        await client.groups.get(group.id)
    elif call == "groups.update":
        await client.groups.update(group.id, name="Clients")
    elif call == "contacts.list":
        await client.contacts.list(group_id=group.id)
    else:
        await client.groups.delete(group.id)
    (span,) = otel.spans()
    assert span.name == name
    attributes = dict(span.attributes or {})
    assert attributes["url.template"] == name.split(" ")[1]
    assert attributes["velstack.operation"] == operation
    assert group.id not in span.name


async def test_group_send_counts_recipients_from_the_answer(
    make_client: MakeClient, otel: Otel, fake: FakeVelstack
) -> None:
    group = fake.add_group("Customers")
    for number in ("0205550368", "0245550368", "0275550368"):
        fake.add_contact(group.id, phone_number=number)
    client = make_client()
    await client.sms.send_group(group_id=group.id, message=TEXT, sender="SHOP")
    (span,) = otel.spans()
    attributes = dict(span.attributes or {})
    assert attributes["velstack.operation"] == "sms.send_group"
    assert attributes["velstack.recipients"] == 3
    assert attributes["velstack.credits_used"] == 3.0


async def test_retries_are_counted(make_client: MakeClient, otel: Otel, fake: FakeVelstack) -> None:
    fake.faults.schedule("unavailable", 2)
    client = make_client()
    await client.groups.list()
    (span,) = otel.spans()
    attributes = dict(span.attributes or {})
    assert attributes["http.request.resend_count"] == 2
    assert attributes["http.response.status_code"] == 200
    assert "error.type" not in attributes
    retries = [e for e in span.events if e.name == "velstack.retry"]
    assert [dict(e.attributes or {})["error.type"] for e in retries] == ["503", "503"]


async def test_an_error_span(make_client: MakeClient, otel: Otel, fake: FakeVelstack) -> None:
    fake.set_balance(0)
    client = make_client()
    with pytest.raises(InsufficientBalanceError):
        await client.sms.send(recipient="0205550368", message=TEXT, sender="SHOP")
    (span,) = otel.spans()
    assert span.status.status_code is StatusCode.ERROR
    attributes = dict(span.attributes or {})
    assert attributes["error.type"] == "403"
    assert attributes["http.response.status_code"] == 403
    assert attributes["velstack.may_have_been_sent"] is False
    assert "velstack.credits_used" not in attributes


async def test_a_lost_answer_may_have_been_sent(
    make_client: MakeClient, otel: Otel, fake: FakeVelstack
) -> None:
    fake.faults.drop_mode = "disconnect"
    fake.faults.schedule("drop")
    client = make_client()
    with pytest.raises(APIConnectionError) as caught:
        await client.sms.send(recipient="0205550368", message=TEXT, sender="SHOP")
    (span,) = otel.spans()
    attributes = dict(span.attributes or {})
    assert attributes["error.type"] == type(caught.value).__name__
    assert attributes["velstack.may_have_been_sent"] is True
    assert "http.response.status_code" not in attributes


async def test_a_429_pause_is_an_event(
    make_client: MakeClient, otel: Otel, fake: FakeVelstack
) -> None:
    fake.faults.throttle_next(1, retry_after=2)
    client = make_client()
    await client.sms.send(recipient="0205550368", message=TEXT, sender="SHOP")
    (span,) = otel.spans()
    (event,) = [e for e in span.events if e.name == "velstack.rate_limited"]
    assert dict(event.attributes or {})["velstack.pause_seconds"] == 2.0
    assert dict(span.attributes or {})["http.request.resend_count"] == 1
    assert otel.total("velstack.rate_limit.pauses") == 1


async def test_request_spans_nest_under_the_callers_span(
    make_client: MakeClient, otel: Otel
) -> None:
    client = make_client()
    tracer = otel.tracer_provider.get_tracer("app")
    with tracer.start_as_current_span("handle order") as parent:
        await client.groups.list()
    (child,) = otel.spans("GET /api/group")
    assert child.parent is not None
    assert child.parent.span_id == parent.get_span_context().span_id


@pytest.mark.parametrize("runtime", [("asyncio", "aiohttp")], indirect=True)
async def test_aiohttp_trace_configs_see_the_sdk_requests_under_the_sdk_span(
    make_client: MakeClient, otel: Otel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A `TraceConfig` added to every `ClientSession`, as OpenTelemetry's aiohttp
    instrumentation adds one, sees each request (the adapter runs
    `ClientSession.request`); a CLIENT span it starts there is a child of the SDK's
    own span, which is still exported."""
    import aiohttp

    tracer = otel.tracer_provider.get_tracer("aiohttp-instrumentation")
    seen: list[str] = []

    async def on_request_start(session: object, context: Any, params: Any) -> None:
        seen.append(f"{params.method} {params.url.path}")
        context.span = tracer.start_span(f"{params.method}", kind=SpanKind.CLIENT)

    async def on_request_end(session: object, context: Any, params: Any) -> None:
        context.span.end()

    original = aiohttp.ClientSession.__init__

    def instrumented(self: aiohttp.ClientSession, *args: Any, **kwargs: Any) -> None:
        config = aiohttp.TraceConfig()
        config.on_request_start.append(on_request_start)
        config.on_request_end.append(on_request_end)
        kwargs["trace_configs"] = [*(kwargs.get("trace_configs") or []), config]
        original(self, *args, **kwargs)

    monkeypatch.setattr(aiohttp.ClientSession, "__init__", instrumented)
    client = make_client()
    await client.sms.send(recipient="0205550368", message=TEXT, sender="SHOP")
    assert seen == ["POST /api/quick/sms"]
    (sdk,) = otel.spans("POST /api/quick/sms")
    (instrumented_span,) = otel.spans("POST")
    assert sdk.kind is instrumented_span.kind is SpanKind.CLIENT
    assert instrumented_span.parent is not None
    assert instrumented_span.parent.span_id == sdk.context.span_id

"""The sync client runs each call, and each iterator step, in a copy of the caller's context.

So a span the caller has open is the parent of the SDK's spans, and a context
variable the caller set is visible to callbacks the SDK calls in its loop thread.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextvars import ContextVar

import pytest
from opentelemetry.sdk.trace import ReadableSpan

from velstack_async import BulkResult, Velstack
from velstack_async.testing import FakeVelstack, LoopbackServer

from .conftest import Otel

REQUEST = "POST /api/quick/sms"
TENANT: ContextVar[str] = ContextVar("tenant", default="none")


@pytest.fixture
def client(otel: Otel, fake: FakeVelstack, instant_retries: None) -> Iterator[Velstack]:
    """A sync client on the in-process fake, reporting spans to ``otel``."""
    with Velstack(
        api_key=fake.api_key,
        transport=fake.async_transport(),
        tracer_provider=otel.tracer_provider,
    ) as c:
        yield c


def span_id(span: object) -> int:
    return span.get_span_context().span_id  # type: ignore[attr-defined,no-any-return]


def parent_id(span: ReadableSpan) -> int | None:
    return None if span.parent is None else span.parent.span_id


def test_the_callers_span_is_the_parent_of_the_request_span(otel: Otel, client: Velstack) -> None:
    tracer = otel.tracer_provider.get_tracer("checkout")
    with tracer.start_as_current_span("checkout") as checkout:
        client.sms.send(recipient="0205550368", message="Hi", sender="SHOP")
    with tracer.start_as_current_span("reminder") as reminder:
        client.sms.send(recipient="0205550369", message="Hi", sender="SHOP")
    client.sms.send(recipient="0205550370", message="Hi", sender="SHOP")  # no span open

    first, second, third = otel.spans(REQUEST)
    assert parent_id(first) == span_id(checkout)
    assert first.context is not None
    assert first.context.trace_id == checkout.get_span_context().trace_id
    assert parent_id(second) == span_id(reminder)
    assert third.parent is None


def test_each_threads_span_is_the_parent_of_its_own_calls(otel: Otel, client: Velstack) -> None:
    tracer = otel.tracer_provider.get_tracer("workers")
    parents: dict[str, int] = {}
    start = threading.Barrier(4)

    def work(name: str) -> None:
        with tracer.start_as_current_span(name) as span:
            parents[name] = span_id(span)
            start.wait()
            for _ in range(3):
                client.sms.send(recipient="0205550368", message="Hi", sender="SHOP")

    threads = [threading.Thread(target=work, args=(f"worker-{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    requests = otel.spans(REQUEST)
    assert len(requests) == 12
    by_parent: dict[int | None, int] = {}
    for span in requests:
        by_parent[parent_id(span)] = by_parent.get(parent_id(span), 0) + 1
    assert by_parent == {parents[f"worker-{i}"]: 3 for i in range(4)}


def test_send_bulk_spans_hang_under_the_callers_span(otel: Otel, client: Velstack) -> None:
    tracer = otel.tracer_provider.get_tracer("campaigns")
    with tracer.start_as_current_span("nightly") as nightly:
        client.sms.send_bulk(["0205550368", "0205550369"], message="Hi", sender="SHOP")
    (campaign,) = otel.spans("send_bulk")
    assert parent_id(campaign) == span_id(nightly)
    assert {parent_id(s) for s in otel.spans(REQUEST)} == {span_id(campaign)}


def test_a_callers_context_variable_is_seen_by_on_result(client: Velstack) -> None:
    seen: list[str] = []

    def on_result(result: BulkResult) -> None:
        seen.append(TENANT.get())

    def meddle(result: BulkResult) -> None:
        TENANT.set("changed by the callback")  # in the call's copy, not the caller's

    token = TENANT.set("acme")
    try:
        report = client.sms.send_bulk(
            [f"020555{i:04d}" for i in range(6)],
            message="Hi",
            sender="SHOP",
            batch_size=2,
            on_result=on_result,
        )
        client.sms.send_bulk(["0205550368"], message="Hi", sender="SHOP", on_result=meddle)
        assert TENANT.get() == "acme"
    finally:
        TENANT.reset(token)
    assert report.sent == 6
    assert seen == ["acme"] * 6
    # A later call sees the caller's value now, not the first call's.
    client.sms.send_bulk(["0205550368"], message="Hi", sender="SHOP", on_result=on_result)
    assert seen[-1] == "none"


def test_each_stream_bulk_step_runs_in_the_callers_context_of_that_step(
    otel: Otel, client: Velstack
) -> None:
    """Bursts of 1, 2, 4 results: the work of each step is done in the context of its ``next()``."""
    seen: list[tuple[int, str]] = []
    stream = client.sms.stream_bulk(
        [f"020555{i:04d}" for i in range(7)],
        message="Hi",
        sender="SHOP",
        concurrency=1,
        batch_size=1,
        on_result=lambda result: seen.append((result.index, TENANT.get())),
    )
    tracer = otel.tracer_provider.get_tracer("steps")
    with tracer.start_as_current_span("first step") as first:
        TENANT.set("step 1")
        assert next(stream).index == 0
    TENANT.set("step 2")
    assert next(stream).index == 1  # a burst of two: 1 and 2
    assert next(stream).index == 2  # already done: no work in this step
    TENANT.set("step 4")
    assert [r.index for r in stream] == [3, 4, 5, 6]

    assert seen == [(0, "step 1"), (1, "step 2"), (2, "step 2")] + [
        (i, "step 4") for i in range(3, 7)
    ]
    (campaign,) = otel.spans("stream_bulk")
    assert parent_id(campaign) == span_id(first)  # opened by the first step
    assert {parent_id(s) for s in otel.spans(REQUEST)} == {span_id(campaign)}


def test_on_a_loopback_server_too(otel: Otel, fake: FakeVelstack, server: LoopbackServer) -> None:
    with Velstack(
        api_key=fake.api_key, base_url=server.base_url, tracer_provider=otel.tracer_provider
    ) as client:
        tracer = otel.tracer_provider.get_tracer("loopback")
        with tracer.start_as_current_span("signup") as signup:
            client.sms.send(recipient="0205550368", message="Hi", sender="SHOP")
    (request,) = otel.spans(REQUEST)
    assert parent_id(request) == span_id(signup)

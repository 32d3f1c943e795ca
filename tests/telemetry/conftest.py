"""OpenTelemetry SDK providers with in-memory exporters, and clients on both adapters."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from velstack_async import AsyncVelstack
from velstack_async.testing import FakeVelstack, LoopbackServer


class Otel:
    """A tracer provider and a meter provider that keep everything in memory."""

    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.reader])

    def spans(self, name: str | None = None) -> list[ReadableSpan]:
        spans = list(self.exporter.get_finished_spans())
        return spans if name is None else [s for s in spans if s.name == name]

    def metrics(self) -> dict[str, list[tuple[dict[str, Any], Any]]]:
        """Each metric's points: (attributes, value), or (attributes, count) for histograms."""
        found: dict[str, list[tuple[dict[str, Any], Any]]] = {}
        data = self.reader.get_metrics_data()
        for resource in data.resource_metrics if data is not None else ():
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    points = found.setdefault(metric.name, [])
                    for point in metric.data.data_points:
                        value = getattr(point, "value", None)
                        if value is None:
                            value = point.count  # type: ignore[union-attr]
                        points.append((dict(point.attributes or {}), value))
        return found

    def total(self, name: str, **where: Any) -> Any:
        """The sum of a metric's points whose attributes include ``where``."""
        where = {k.replace("__", "."): v for k, v in where.items()}
        return sum(
            value
            for attributes, value in self.metrics().get(name, [])
            if all(attributes.get(k) == v for k, v in where.items())
        )

    def everything(self) -> str:
        """Every span and metric point, as exported (for looking for secrets)."""
        spans = [json.loads(s.to_json()) for s in self.spans()]
        data = self.reader.get_metrics_data()
        return json.dumps(spans) + (data.to_json() if data is not None else "")


@pytest.fixture
def otel() -> Iterator[Otel]:
    o = Otel()
    yield o
    o.tracer_provider.shutdown()
    o.meter_provider.shutdown()


@pytest.fixture
def fake() -> FakeVelstack:
    return FakeVelstack(seed=15, balance=100_000)


@pytest.fixture
def server(fake: FakeVelstack) -> Iterator[LoopbackServer]:
    with LoopbackServer(fake) as s:
        yield s


@pytest.fixture(
    params=[("asyncio", "aiohttp"), ("asyncio", "httpx"), ("trio", "httpx")],
    ids=["asyncio-aiohttp", "asyncio-httpx", "trio-httpx"],
)
def runtime(request: pytest.FixtureRequest) -> tuple[str, str]:
    """Event loop and adapter: both adapters on asyncio; trio has only httpx."""
    backend, adapter = request.param
    return str(backend), str(adapter)


@pytest.fixture
def anyio_backend(runtime: tuple[str, str]) -> str:
    return runtime[0]


@pytest.fixture
def adapter(runtime: tuple[str, str]) -> str:
    return runtime[1]


MakeClient = Callable[..., AsyncVelstack]


@pytest.fixture
async def make_client(
    adapter: str, server: LoopbackServer, fake: FakeVelstack, otel: Otel, instant_retries: None
) -> AsyncIterator[MakeClient]:
    """Clients of the loopback fake on ``adapter``, reporting to ``otel`` (unless told)."""
    clients: list[AsyncVelstack] = []

    def make(**kwargs: Any) -> AsyncVelstack:
        kwargs.setdefault("tracer_provider", otel.tracer_provider)
        kwargs.setdefault("meter_provider", otel.meter_provider)
        if adapter == "httpx":
            kwargs.setdefault("transport", httpx.AsyncHTTPTransport())
        client = AsyncVelstack(api_key=fake.api_key, base_url=server.base_url, **kwargs)
        assert client.http_adapter == adapter
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()

"""Without OpenTelemetry, or without a provider, the SDK works and records nothing."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from velstack_async import AsyncVelstack, InvalidInputError
from velstack_async._telemetry import PENDING
from velstack_async.testing import FakeVelstack

from .conftest import Otel


@pytest.mark.anyio
async def test_no_provider_means_no_telemetry(fake: FakeVelstack) -> None:
    async with AsyncVelstack(api_key=fake.api_key, transport=fake.async_transport()) as client:
        assert client._requester._telemetry is PENDING  # decided at the first request
        await client.groups.list()
        assert client._requester._telemetry is None
        await client.sms.send_bulk(["0205550368"], message="Hi", sender="SHOP")


def test_providers_are_checked(otel: Otel) -> None:
    with pytest.raises(InvalidInputError, match="tracer_provider"):
        AsyncVelstack(api_key="k", tracer_provider=otel.meter_provider)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="meter_provider"):
        AsyncVelstack(api_key="k", meter_provider=object())  # type: ignore[arg-type]


def _run(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_global_providers_are_used() -> None:
    out = _run(
        """
        import anyio
        from velstack_async import AsyncVelstack
        from velstack_async.testing import FakeVelstack

        fake = FakeVelstack()
        client = AsyncVelstack(api_key=fake.api_key, transport=fake.async_transport())

        # Set up after the client was made, before its first request.
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

        exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        trace.set_tracer_provider(provider)

        async def main():
            async with client:
                await client.groups.list()
        anyio.run(main)
        print([s.name for s in exporter.get_finished_spans()])
        """
    )
    assert out.strip() == "['GET /api/group']"


def test_works_without_opentelemetry_installed() -> None:
    fake = FakeVelstack()
    with fake.serve_in_thread() as base_url:
        out = _run(
            f"""
            import sys

            class NoOpenTelemetry:
                def find_spec(self, name, path=None, target=None):
                    if name == "opentelemetry" or name.startswith("opentelemetry."):
                        raise ModuleNotFoundError(f"No module named {{name!r}}")
                    return None

            sys.meta_path.insert(0, NoOpenTelemetry())
            import anyio
            from velstack_async import AsyncVelstack, InvalidInputError

            async def main():
                async with AsyncVelstack(api_key={fake.api_key!r}, base_url={base_url!r}) as c:
                    await c.groups.list()
                    report = await c.sms.send_bulk(["0205550368"], message="Hi", sender="SHOP")
                    assert report.sent == 1, report
            anyio.run(main)
            try:
                AsyncVelstack(api_key="k", tracer_provider=object())
            except InvalidInputError as exc:
                print("refused:", exc)
            print(sorted(m for m in sys.modules if m.startswith("opentelemetry")))
            """
        )
    assert out.splitlines()[-1] == "[]"
    assert "refused: tracer_provider must be an OpenTelemetry" in out

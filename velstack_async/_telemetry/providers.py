"""Which tracer and meter a client uses, decided once; OpenTelemetry imported only when used.

``opentelemetry-api`` is optional (the ``otel`` extra). A client given a
``tracer_provider`` or ``meter_provider`` uses it. Otherwise it looks at
OpenTelemetry's global providers at its first request: if the application
never imported OpenTelemetry, or set no provider (the API's proxy or no-op
providers), telemetry is off for that client and costs one attribute check
per request.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Protocol

from .._version import __version__

if TYPE_CHECKING:
    from opentelemetry.metrics import Meter
    from opentelemetry.trace import Tracer

__all__ = ["MeterProviderLike", "TracerProviderLike", "resolve"]

NAME = "velstack_async"


class TracerProviderLike(Protocol):
    """An OpenTelemetry `TracerProvider` (``opentelemetry.trace.TracerProvider``)."""

    def get_tracer(self, name: str, version: str | None = ..., /) -> Any: ...


class MeterProviderLike(Protocol):
    """An OpenTelemetry `MeterProvider` (``opentelemetry.metrics.MeterProvider``)."""

    def get_meter(self, name: str, version: str | None = ..., /) -> Any: ...


def installed() -> bool:
    """Whether ``opentelemetry-api`` can be imported (checked without importing it)."""
    import importlib.util

    try:
        return importlib.util.find_spec("opentelemetry.trace") is not None
    except (ImportError, ValueError):
        return False


def _global_tracer_provider() -> Any:
    if "opentelemetry.trace" not in sys.modules:
        return None  # nobody can have set a provider without importing the API
    from opentelemetry import trace

    provider = trace.get_tracer_provider()
    if isinstance(provider, (trace.ProxyTracerProvider, trace.NoOpTracerProvider)):
        return None
    return provider


def _global_meter_provider() -> Any:
    if "opentelemetry.metrics" not in sys.modules:
        return None
    from opentelemetry import metrics

    provider = metrics.get_meter_provider()
    if isinstance(provider, metrics.NoOpMeterProvider) or type(provider).__name__.startswith(
        "_Proxy"
    ):
        return None
    return provider


def resolve(
    tracer_provider: TracerProviderLike | None, meter_provider: MeterProviderLike | None
) -> tuple[Tracer | None, Meter | None]:
    """The tracer and meter to use: the given providers', else the global ones', else None."""
    tracer_source: Any = tracer_provider or _global_tracer_provider()
    meter_source: Any = meter_provider or _global_meter_provider()
    tracer = None if tracer_source is None else tracer_source.get_tracer(NAME, __version__)
    meter = None if meter_source is None else meter_source.get_meter(NAME, __version__)
    return tracer, meter

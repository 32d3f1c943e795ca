"""The SDK's own OpenTelemetry spans and metrics, the same on both HTTP adapters.

``opentelemetry-api`` (the ``otel`` extra) is imported only when a client
finds a provider to use (`providers`). `request.Telemetry` opens a span per
API request, `campaign.CampaignTrace` one per campaign; `names` holds the
metric and attribute names the docs (Observability) document.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .providers import MeterProviderLike, TracerProviderLike, installed, resolve

# Spans and metrics load when a client or campaign first needs them.
if TYPE_CHECKING:
    from .campaign import CampaignTrace, counting, finish, running, stopped
    from .request import PENDING, RequestTrace, Telemetry
else:
    from .._lazy import exports

    __getattr__, __dir__ = exports(
        __name__,
        {
            **dict.fromkeys(
                ["CampaignTrace", "counting", "finish", "running", "stopped"], ".campaign"
            ),
            **dict.fromkeys(["PENDING", "RequestTrace", "Telemetry"], ".request"),
        },
    )

__all__ = [
    "PENDING",
    "CampaignTrace",
    "MeterProviderLike",
    "RequestTrace",
    "Telemetry",
    "TracerProviderLike",
    "campaign_trace",
    "check_provider",
    "counting",
    "finish",
    "for_client",
    "running",
    "stopped",
]


def for_client(
    tracer_provider: TracerProviderLike | None,
    meter_provider: MeterProviderLike | None,
    base_url: str,
) -> Telemetry | None:
    """A client's telemetry, or None when it has no tracer and no meter to use."""
    tracer, meter = resolve(tracer_provider, meter_provider)
    if tracer is None and meter is None:
        return None
    from .request import Telemetry

    return Telemetry(tracer, meter, base_url)


def campaign_trace(telemetry: Telemetry | None, name: str, options: Any) -> CampaignTrace | None:
    """The trace of a campaign (``options``: its `CampaignOptions`); None without telemetry."""
    if telemetry is None:
        return None
    from .campaign import CampaignTrace, settings_of

    return CampaignTrace(telemetry.tracer, telemetry.metrics, name, settings_of(options))


def check_provider(name: str, value: object, method: str) -> None:
    """`InvalidInputError` unless ``value`` is None or has ``method`` (``get_tracer``...)."""
    from .._exceptions import InvalidInputError

    if value is None:
        return
    if not callable(getattr(value, method, None)):
        raise InvalidInputError(
            f"{name} must be an OpenTelemetry {name.title().replace('_', '')} "
            f"(with a {method}() method), not {type(value).__name__}"
        )
    if not installed():  # pragma: no cover - an OpenTelemetry provider implies the API
        raise InvalidInputError(
            f"{name} needs opentelemetry-api: pip install 'velstack-async[otel]'"
        )

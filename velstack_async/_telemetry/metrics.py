"""The SDK's metric instruments: one set per meter, shared by every client that uses it.

Only the request-duration histogram is recorded per request. The counters
(messages, credits, requests, 429 pauses) and the in-flight gauge are
*observable*: requests add to plain Python totals, and the meter reads them
when it collects (every export interval), so a message costs a dict update
instead of an SDK measurement each.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from . import names

if TYPE_CHECKING:
    from opentelemetry.metrics import CallbackOptions, Meter, Observation

__all__ = ["Instruments", "instruments_for"]

#: Attributes of a request's outcome, as a hashable key (see `Instruments.outcome`).
OutcomeKey = tuple[str, str, str, str, str | None, int | None, str, int | None]

_BY_METER: weakref.WeakKeyDictionary[Any, Instruments] = weakref.WeakKeyDictionary()


def instruments_for(meter: Meter) -> Instruments:
    """The instruments on ``meter``, made at its first use."""
    instruments = _BY_METER.get(meter)
    if instruments is None:
        instruments = _BY_METER[meter] = Instruments(meter)
    return instruments


class Instruments:
    """Totals behind the observable instruments, and the duration histogram."""

    def __init__(self, meter: Meter) -> None:
        from opentelemetry.metrics import Observation

        self._observation = Observation
        #: (operation, status) -> messages
        self.messages: dict[tuple[str, str], int] = {}
        #: operation -> credits
        self.credits: dict[str, float] = {}
        #: outcome key -> requests
        self.requests: dict[OutcomeKey, int] = {}
        #: operation -> 429 pauses
        self.pauses: dict[str, int] = {}
        #: operation -> requests in flight
        self.in_flight: dict[str, int] = {}
        self._outcomes: dict[OutcomeKey, Mapping[str, Any]] = {}
        meter.create_observable_counter(
            names.MESSAGES, [self._observe_messages], "{message}", "Messages by final status"
        )
        meter.create_observable_counter(
            names.CREDITS_USED,
            [self._observer(self.credits, names.OPERATION)],
            "{credit}",
            "Credits used by accepted sends",
        )
        meter.create_observable_counter(
            names.REQUESTS, [self._observe_requests], "{request}", "API requests by outcome"
        )
        meter.create_observable_counter(
            names.RATE_LIMIT_PAUSES,
            [self._observer(self.pauses, names.OPERATION)],
            "{pause}",
            "429 answers that paused every request of a client",
        )
        meter.create_observable_up_down_counter(
            names.IN_FLIGHT,
            [self._observer(self.in_flight, names.OPERATION)],
            "{request}",
            "API requests in flight",
        )
        description = "Duration of API requests, retries included"
        try:
            self.duration = meter.create_histogram(
                names.REQUEST_DURATION,
                "s",
                description,
                explicit_bucket_boundaries_advisory=names.DURATION_BUCKETS,
            )
        except TypeError:  # opentelemetry-api < 1.23 takes no bucket advice
            self.duration = meter.create_histogram(names.REQUEST_DURATION, "s", description)

    def outcome(self, key: OutcomeKey) -> Mapping[str, Any]:
        """The attributes of an outcome key (built once per distinct outcome)."""
        attributes = self._outcomes.get(key)
        if attributes is None:
            operation, method, template, outcome, kind, status, host, port = key
            built: dict[str, Any] = {
                names.OPERATION: operation,
                "http.request.method": method,
                "url.template": template,
                names.OUTCOME: outcome,
                "server.address": host,
            }
            if port is not None:
                built["server.port"] = port
            if kind is not None:
                built["error.type"] = kind
            if status is not None:
                built["http.response.status_code"] = status
            attributes = self._outcomes[key] = built
        return attributes

    def _observer(
        self, totals: dict[str, Any], attribute: str
    ) -> Callable[[CallbackOptions], Iterable[Observation]]:
        def observe(options: CallbackOptions) -> Iterable[Observation]:
            # A copy: the meter may collect on another thread while requests add.
            return [self._observation(v, {attribute: k}) for k, v in totals.copy().items()]

        return observe

    def _observe_messages(self, options: CallbackOptions) -> Iterable[Observation]:
        return [
            self._observation(count, {names.OPERATION: operation, names.STATUS: status})
            for (operation, status), count in self.messages.copy().items()
        ]

    def _observe_requests(self, options: CallbackOptions) -> Iterable[Observation]:
        return [
            self._observation(count, self.outcome(key))
            for key, count in self.requests.copy().items()
        ]

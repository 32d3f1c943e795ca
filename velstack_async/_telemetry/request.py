"""`Telemetry`: a client's tracer and instruments; `RequestTrace`: one API request's span.

A request span (kind CLIENT) covers one call of the request path, retries
included: HTTP semantic-convention attributes (``http.request.method``,
``url.template``, ``server.address``, ``http.response.status_code``,
``http.request.resend_count``, ``error.type``) and ``velstack.*`` ones
(operation, recipients, credits used, ``may_have_been_sent``). It records
neither the API key, nor the message text, nor a phone number: only how many
recipients a request names.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .._exceptions import APIStatusError, RateLimitError, VelstackError
from .._models import SmsSummary
from . import campaign as _campaign
from . import names
from .metrics import instruments_for

if TYPE_CHECKING:
    from opentelemetry.metrics import Meter
    from opentelemetry.trace import Span, Tracer

__all__ = ["PENDING", "RequestTrace", "Telemetry"]

_SEND_OPERATIONS = frozenset({"sms.send", "sms.send_group"})


def error_type(error: BaseException) -> str:
    """``error.type``: the status code of an HTTP error, else the exception's class name."""
    if isinstance(error, APIStatusError):
        return str(error.status_code)
    return type(error).__name__


class Telemetry:
    """A client's tracer (or None) and metric instruments (or None)."""

    def __init__(self, tracer: Tracer | None, meter: Meter | None, base_url: str) -> None:
        from opentelemetry import context, trace

        self.tracer = tracer
        self._attach = context.attach
        self._detach = context.detach
        self._in_context = trace.set_span_in_context
        self._client_kind = trace.SpanKind.CLIENT
        self._error_status = trace.Status(trace.StatusCode.ERROR)
        url = urlsplit(base_url)
        self._host, self._port = url.hostname or "", url.port
        self._server: dict[str, Any] = {"server.address": self._host}
        if self._port is not None:
            self._server["server.port"] = self._port
        self._base_url = base_url
        self.metrics = None if meter is None else instruments_for(meter)

    def start(self, method: str, path: str, body: Mapping[str, Any] | None) -> RequestTrace:
        """Open the span of one request (current until `RequestTrace.finish`)."""
        template = names.url_template(path)
        operation = names.operation_of(method, template)
        trace = RequestTrace(self, method, template, operation)
        recipients = _recipients(body) if operation == "sms.send" else None
        trace.recipients = recipients
        if self.tracer is not None:
            attributes: dict[str, Any] = {
                "http.request.method": method,
                "url.template": template,
                "url.full": self._base_url + path,
                names.OPERATION: operation,
                **self._server,
            }
            if recipients is not None:
                attributes[names.RECIPIENTS] = recipients
            span = self.tracer.start_span(
                f"{method} {template}", kind=self._client_kind, attributes=attributes
            )
            trace.span = span
            trace.token = self._attach(self._in_context(span))
        metrics = self.metrics
        if metrics is not None:
            metrics.in_flight[operation] = metrics.in_flight.get(operation, 0) + 1
        return trace


class RequestTrace:
    """What one request did, recorded on its span and metrics when it ends."""

    __slots__ = (
        "method",
        "operation",
        "recipients",
        "retries",
        "span",
        "started",
        "status_code",
        "telemetry",
        "template",
        "token",
    )

    def __init__(self, telemetry: Telemetry, method: str, template: str, operation: str) -> None:
        self.telemetry = telemetry
        self.method = method
        self.template = template
        self.operation = operation
        self.span: Span | None = None
        self.token: Any = None
        self.recipients: int | None = None
        self.status_code: int | None = None
        self.retries = 0
        self.started = time.perf_counter()

    def attempt_failed(self, error: VelstackError, delay: float | None) -> None:
        """An attempt ended in ``error``; ``delay`` is the wait before the next (None: final)."""
        pause = error.retry_after if isinstance(error, RateLimitError) else None
        if pause is not None:
            attributes: dict[str, Any] = {
                names.PAUSE_SECONDS: pause,
                names.OPERATION: self.operation,
            }
            if self.span is not None:
                self.span.add_event("velstack.rate_limited", attributes)
            _campaign.rate_limited(attributes)
            metrics = self.telemetry.metrics
            if metrics is not None:
                operation = self.operation
                metrics.pauses[operation] = metrics.pauses.get(operation, 0) + 1
        if delay is not None:
            self.retries += 1
            if self.span is not None:
                self.span.add_event(
                    "velstack.retry",
                    {"error.type": error_type(error), "velstack.retry_delay": delay},
                )

    def finish(self, result: object, error: BaseException | None) -> None:
        """End the span and record the metrics: ``result`` on success, else ``error``."""
        telemetry = self.telemetry
        attributes: dict[str, Any] = {}
        if self.status_code is not None:
            attributes["http.response.status_code"] = self.status_code
        if self.retries:
            attributes["http.request.resend_count"] = self.retries
        credits = recipients = None
        if isinstance(result, SmsSummary):
            credits = float(result.credit_used)
            recipients = result.total_contacts
            attributes[names.CREDITS] = credits
            if self.recipients is None:
                attributes[names.RECIPIENTS] = recipients
        kind = None if error is None else _error_kind(error)
        if kind is not None:
            attributes["error.type"] = kind
        if isinstance(error, VelstackError):
            attributes[names.MAY_HAVE_BEEN_SENT] = error.may_have_been_sent
        span = self.span
        if span is not None:
            span.set_attributes(attributes)
            if isinstance(error, Exception):
                span.set_status(telemetry._error_status)
            span.end()
            telemetry._detach(self.token)
        metrics = telemetry.metrics
        if metrics is None:
            return
        operation = self.operation
        metrics.in_flight[operation] -= 1
        key = (
            operation,
            self.method,
            self.template,
            "ok" if error is None else "error",
            kind,
            self.status_code,
            telemetry._host,
            telemetry._port,
        )
        metrics.requests[key] = metrics.requests.get(key, 0) + 1
        metrics.duration.record(time.perf_counter() - self.started, metrics.outcome(key))
        if credits is not None:
            metrics.credits[operation] = metrics.credits.get(operation, 0.0) + credits
        if operation in _SEND_OPERATIONS and kind != "cancelled" and not _campaign.active():
            # A campaign counts its own results, per recipient and with bulk statuses.
            count = recipients if recipients is not None else self.recipients
            if count:
                status = "sent" if error is None else _unsent_status(error)
                message_key = (operation, status)
                metrics.messages[message_key] = metrics.messages.get(message_key, 0) + count


def _error_kind(error: BaseException) -> str | None:
    if isinstance(error, Exception):
        return error_type(error)
    return "cancelled"  # cancellation (or exit): not a failure of the request


def _unsent_status(error: BaseException) -> str:
    return "unknown" if getattr(error, "may_have_been_sent", False) else "failed"


def _recipients(body: Mapping[str, Any] | None) -> int | None:
    """How many numbers a quick SMS names (never the numbers themselves)."""
    recipient = None if body is None else body.get("recipient")
    return recipient.count(",") + 1 if isinstance(recipient, str) else None


#: A client whose global providers are looked at on its first request.
PENDING: Telemetry = Telemetry.__new__(Telemetry)

"""A campaign's span (``send_bulk`` / ``stream_bulk``): the parent of its request spans.

While a campaign runs (a `send_bulk` pass, or each burst of a `stream_bulk`)
its span is the current span, so every request span the workers open is its
child, and it is the current campaign (a context variable) so a 429 pause or
a stop is recorded on it as an event. Results are counted here, one per
recipient, by final status (``velstack.messages``).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, TypeVar

from . import names

if TYPE_CHECKING:
    from opentelemetry.trace import Span, Tracer

    from .metrics import Instruments

__all__ = ["CampaignTrace", "active", "counting", "rate_limited", "running", "stopped"]

_T = TypeVar("_T")

_CURRENT: ContextVar[CampaignTrace | None] = ContextVar("velstack_campaign", default=None)


def active() -> bool:
    """Whether a traced campaign is running in this context."""
    return _CURRENT.get() is not None


def rate_limited(attributes: dict[str, Any]) -> None:
    """A 429 paused the client's requests: an event on the current campaign's span."""
    campaign = _CURRENT.get()
    if campaign is not None and campaign.span is not None:
        campaign.span.add_event("velstack.rate_limited", attributes)


def stopped(reason: str) -> None:
    """The current campaign stops early (insufficient balance, max_failures...)."""
    campaign = _CURRENT.get()
    if campaign is not None and campaign.span is not None:
        campaign.span.add_event("velstack.campaign.stopped", {"velstack.stop_reason": reason})


@contextlib.contextmanager
def running(
    trace: CampaignTrace | None, stop_reason: Callable[[], str | None] | None = None
) -> Iterator[None]:
    """Run a block as part of the campaign ``trace`` (nothing when None).

    With ``stop_reason`` the campaign ends with the block (its span ends,
    with the error that left the block, if any).
    """
    if trace is None:
        yield
        return
    with trace.current():
        try:
            yield
        except BaseException as exc:
            if stop_reason is not None:
                trace.finish(exc, stop_reason())
            raise
    if stop_reason is not None:
        trace.finish(None, stop_reason())


def finish(trace: CampaignTrace | None, stop_reason: str | None) -> None:
    """End the campaign ``trace`` from a ``finally`` block (with the error in flight, if any)."""
    if trace is not None:
        trace.finish(sys.exc_info()[1], stop_reason)


def counting(trace: CampaignTrace | None, emit: Callable[[Any], _T]) -> Callable[[Any], _T]:
    """``emit``, counting each result's status on ``trace`` first (``emit`` when None)."""
    if trace is None:
        return emit
    record = trace.record

    def counted(result: Any) -> _T:
        record(result.status.value)
        return emit(result)

    return counted


def settings_of(options: Any) -> dict[str, Any]:
    """A campaign's settings as span attributes (no message text, no journal path)."""
    attributes = {
        "velstack.campaign.concurrency": options.concurrency,
        "velstack.campaign.batch_size": getattr(options, "batch_size", 1),
        "velstack.campaign.smart_encoding": getattr(options, "smart_encoding", False),
        "velstack.campaign.journal": options.journal is not None,
    }
    if options.rate_limit is not None:
        attributes["velstack.campaign.rate_limit"] = options.rate_limit
    return attributes


class CampaignTrace:
    """The span and result counts of one campaign."""

    def __init__(
        self,
        tracer: Tracer | None,
        metrics: Instruments | None,
        name: str,
        settings: dict[str, Any],
    ) -> None:
        from opentelemetry import context, trace

        self._metrics = metrics
        self._context = context
        self._trace = trace
        self.counts: dict[str, int] = {}
        self.span: Span | None = None
        operation = self._operation = f"sms.{name}"
        if tracer is not None:
            attributes = {names.OPERATION: operation, **settings}
            self.span = tracer.start_span(name, attributes=attributes)

    @contextlib.contextmanager
    def current(self) -> Iterator[None]:
        """The campaign's span and counts current for the requests sent in this block."""
        token = _CURRENT.set(self)
        span_token = None
        if self.span is not None:
            span_token = self._context.attach(self._trace.set_span_in_context(self.span))
        try:
            yield
        finally:
            if span_token is not None:
                self._context.detach(span_token)
            _CURRENT.reset(token)

    def record(self, status: str) -> None:
        """One recipient's final status."""
        self.counts[status] = self.counts.get(status, 0) + 1
        metrics = self._metrics
        if metrics is not None:
            key = (self._operation, status)
            metrics.messages[key] = metrics.messages.get(key, 0) + 1

    def finish(self, error: BaseException | None, stop_reason: str | None) -> None:
        """End the span with the counts per status (and the error that ended it, if any)."""
        span = self.span
        if span is None:
            return
        attributes: dict[str, Any] = {
            f"velstack.campaign.{status}": count for status, count in self.counts.items()
        }
        if stop_reason is not None:
            attributes["velstack.stop_reason"] = stop_reason
        if error is not None and not isinstance(error, GeneratorExit):
            attributes["error.type"] = type(error).__name__
            if isinstance(error, Exception):
                span.set_status(self._trace.Status(self._trace.StatusCode.ERROR))
        span.set_attributes(attributes)
        span.end()

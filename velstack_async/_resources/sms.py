from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable
from typing import Any

from .. import _bulk, _parsing
from .. import _validation as check
from .._bulk import BulkMessage, BulkReport, BulkResult, Estimate
from .._models import SmsSummary
from .._transport import Transport
from ._base import Resource


class AsyncSms(Resource):
    """Quick SMS (to numbers) and group SMS (to a group's contacts)."""

    async def send(
        self, *, recipient: str, message: str, sender: str, title: str | None = None
    ) -> SmsSummary:
        """Send ``message`` to ``recipient`` (one number, or several separated by commas).

        Numbers are checked and normalised before the request (``+233205550368``
        and ``233 20 555 0368`` are sent as ``0205550368``). Never retried once
        Velstack may have accepted it: such an error has ``may_have_been_sent``.
        """
        sender = check.sender(sender)
        recipient = check.recipients(recipient, self._region)
        message = check.text("message", message)
        title = check.optional_text("title", title)
        return await _quick_sms(self._transport, recipient, message, sender, title)

    async def send_group(
        self, *, group_id: str, message: str, sender: str, title: str | None = None
    ) -> SmsSummary:
        """Send ``message`` to every contact of the group ``group_id``."""
        body: dict[str, Any] = {
            "sender": check.sender(sender),
            "group_id": check.resource_id("group_id", group_id),
            "message": check.text("message", message),
        }
        if check.optional_text("title", title) is not None:
            body["title"] = title
        return await self._transport.request(
            "POST", "/api/group/sms", body=body, parse=_parsing.sms_summary, once=True
        )

    async def send_bulk(
        self,
        recipients: Iterable[str | BulkMessage] | AsyncIterable[str | BulkMessage],
        *,
        message: str | None = None,
        sender: str,
        title: str | None = None,
        concurrency: int = 32,
        rate_limit: float | None = None,
        journal: str | os.PathLike[str] | None = None,
        on_result: Callable[[BulkResult], object] | None = None,
        resend_unknown: bool = False,
        max_failures: int | None = None,
        region: str | None = None,
        keep_unsent: int | None = _bulk.DEFAULT_KEEP_UNSENT,
    ) -> BulkReport:
        """Send a campaign: ``message`` to every recipient, each at most once; return the report.

        ``recipients`` is an iterable or async iterable of numbers (str) or
        `BulkMessage` items, read lazily (a generator of millions is fine).
        ``message`` is a ``str.format`` template filled from each
        `BulkMessage`'s ``fields`` (``"Hi {first_name}"``; ``{{`` for a literal
        brace); a missing field fails that recipient only. Numbers are
        normalised (``region``: the client's default region unless given);
        the same number in another format is sent once (the rest ``skipped``,
        reason ``"duplicate"``) and an invalid number is ``skipped``.

        At most ``concurrency`` requests are in flight, at most ``rate_limit``
        messages per second start (None: no limit); a 429 pauses every
        worker. Sends that certainly were not processed (503, 429, no
        connection) are retried with backoff; one that may have been
        processed is ``unknown`` and never repeated. Insufficient balance or
        a rejected API key stops the campaign (in-flight sends finish, the
        rest are ``not_attempted``, ``report.stopped_reason`` says why), as
        does reaching ``max_failures`` failed or unknown results.

        ``journal`` is a file path: each outcome is recorded durably before
        it is reported, and rerunning the same campaign (same message
        template and sender) with the same journal skips recipients already
        sent or unknown (``resend_unknown=True`` sends unknown ones again).
        ``on_result`` is called (or awaited) with each result as it finishes.
        The report keeps at most ``keep_unsent`` non-sent results (None: all).
        """
        campaign = _bulk.make_campaign(
            message=message,
            sender=sender,
            title=title,
            concurrency=concurrency,
            rate_limit=rate_limit,
            journal=journal,
            resend_unknown=resend_unknown,
            max_failures=max_failures,
            region=region or self._region,
            keep_unsent=keep_unsent,
        )
        return await _bulk.send_bulk(
            self._send_one(campaign.concurrency),
            self._transport.policy,
            campaign,
            recipients,
            on_result,
        )

    async def stream_bulk(
        self,
        recipients: Iterable[str | BulkMessage] | AsyncIterable[str | BulkMessage],
        *,
        message: str | None = None,
        sender: str,
        title: str | None = None,
        concurrency: int = 32,
        rate_limit: float | None = None,
        journal: str | os.PathLike[str] | None = None,
        on_result: Callable[[BulkResult], object] | None = None,
        resend_unknown: bool = False,
        max_failures: int | None = None,
        region: str | None = None,
    ) -> AsyncIterator[BulkResult]:
        """Send a campaign like `send_bulk`, yielding each `BulkResult` as it finishes.

        Results come in completion order (``result.index`` is the input
        position). Sending runs in bursts (``concurrency`` results at first,
        doubling up to 16 times that) yielded between bursts, when nothing is
        in flight, so you may stop iterating at any point (``break``): no
        further message is sent and the journal is consistent. Arguments are
        checked when iteration starts.
        """
        campaign = _bulk.make_campaign(
            message=message,
            sender=sender,
            title=title,
            concurrency=concurrency,
            rate_limit=rate_limit,
            journal=journal,
            resend_unknown=resend_unknown,
            max_failures=max_failures,
            region=region or self._region,
            keep_unsent=0,
        )
        stream = _bulk.stream_bulk(
            self._send_one(campaign.concurrency),
            self._transport.policy,
            campaign,
            recipients,
            on_result,
        )
        async with contextlib.aclosing(stream):  # closing this one closes it, and its journal
            async for result in stream:
                yield result

    def estimate(self, message: str, recipients: int = 1) -> Estimate:
        """Segments, encoding and credits of ``message`` for ``recipients`` numbers (no request).

        GSM-7 holds 160 characters in one segment (153 each when split),
        UCS-2 (any character outside GSM-7, such as most emoji) 70 (67);
        ``^{}[]~|€\\`` count twice. Estimate a filled-in message, not a template.
        """
        return _bulk.estimate(message, recipients)

    def _send_one(self, concurrency: int) -> _bulk.SendOne:
        """The engine's single send, on a pool sized for ``concurrency`` requests in flight."""
        self._transport.reserve_connections(concurrency)
        return functools.partial(_quick_sms, self._transport)


def _quick_sms(
    transport: Transport, recipient: str, message: str, sender: str, title: str | None
) -> Awaitable[SmsSummary]:
    """POST a quick SMS whose values are already checked (numbers in API format).

    Returns the request's coroutine (not a coroutine of its own): one frame
    less for every resumption of a bulk send.
    """
    body: dict[str, Any] = {"sender": sender, "recipient": recipient, "message": message}
    if title is not None:
        body["title"] = title
    return transport.request(
        "POST", "/api/quick/sms", body=body, parse=_parsing.sms_summary, once=True
    )

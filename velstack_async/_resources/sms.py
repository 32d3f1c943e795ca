from __future__ import annotations

import contextlib
import os
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
)
from typing import Any

import attrs

from .. import _bulk, _parsing
from .. import _validation as check
from .._bulk import (
    BulkMessage,
    BulkReport,
    BulkResult,
    CampaignStop,
    Estimate,
    JournalOpener,
)
from .._encoding import checked_flag, smart_encode
from .._exceptions import InvalidInputError
from .._models import SmsSummary
from .._policy.campaign import campaign_ports
from .._policy.limits import Category
from .._policy.sending import send_sms
from .._requester import Requester
from .._requester import quote as _quote
from ._base import Resource


class AsyncSms(Resource):
    """Quick SMS (to numbers) and group SMS (to a group's contacts)."""

    async def send(
        self,
        *,
        recipient: str | list[str] | tuple[str, ...],
        message: str,
        sender: str,
        title: str | None = None,
        smart_encoding: bool = False,
        idempotency_key: str | None = None,
        category: Category = "transactional",
    ) -> SmsSummary:
        """Send ``message`` to ``recipient``: one number, or several (separated by commas,
        or a list or tuple of numbers).

        Numbers are checked and normalised before the request (``+233205550368``
        and ``233 20 555 0368`` are sent as ``0205550368``); a bad one is named by
        its position (``recipient 3 of 5: ...``). Never retried once
        Velstack may have accepted it: such an error has ``may_have_been_sent``.
        ``smart_encoding=True`` replaces Unicode look-alikes (curly quotes,
        dashes, no-break spaces...) with GSM-7 characters when that makes the
        message GSM-7 (the docs, "Bulk campaigns", smart encoding); `estimate` shows what it saves.

        With the client's `SendingPolicy`: ``idempotency_key`` sends at most once
        per key (a repeat returns the first `SmsSummary`; see the docs, "Sending
        policy"); ``category="marketing"`` applies its send window and frequency
        cap (``"transactional"``, the default, is exempt from both); suppressed
        recipients and the daily spend cap are refused for every category.
        """
        sender = check.sender(sender)
        recipient = check.recipients(recipient, self._region)
        message = check.text("message", message)
        if checked_flag(smart_encoding):
            message = smart_encode(message)
        title = check.optional_text("title", title)
        quick = _QuickSms(self._requester)
        send = (recipient, None, message, sender, title)
        return await send_sms(
            self._requester.options, lambda: quick(recipient, message, sender, title),
            send, idempotency_key, category, self._region,
        )  # fmt: skip

    async def send_group(
        self,
        *,
        group_id: str,
        message: str,
        sender: str,
        title: str | None = None,
        idempotency_key: str | None = None,
        category: Category = "transactional",
    ) -> SmsSummary:
        """Send ``message`` to every contact of the group ``group_id``.

        ``idempotency_key`` and ``category`` as in `send` (the group's contacts are
        not known here: a marketing window uses the window's or the region's zone).
        """
        body: dict[str, Any] = {
            "sender": check.sender(sender),
            "group_id": check.resource_id("group_id", group_id),
            "message": check.text("message", message),
        }
        if check.optional_text("title", title) is not None:
            body["title"] = title
        request = self._requester.request
        parse = _parsing.sms_summary
        send = (None, body["group_id"], body["message"], body["sender"], title)
        return await send_sms(
            self._requester.options,
            lambda: request("POST", "/api/group/sms", body=body, parse=parse, once=True),
            send, idempotency_key, category, self._region,
        )  # fmt: skip

    async def send_bulk(
        self,
        recipients: Iterable[str | BulkMessage] | AsyncIterable[str | BulkMessage],
        *,
        message: str | None = None,
        sender: str,
        title: str | None = None,
        concurrency: int = 32,
        batch_size: int = _bulk.DEFAULT_BATCH_SIZE,
        rate_limit: float | None = None,
        request_rate_limit: float | None = None,
        journal: str | os.PathLike[str] | JournalOpener | None = None,
        on_result: Callable[[BulkResult], object] | None = None,
        resend_unknown: bool = False,
        max_failures: int | None = None,
        region: str | None = None,
        keep_unsent: int | None = _bulk.DEFAULT_KEEP_UNSENT,
        allow_blank_fields: bool = False,
        stall_timeout: float = _bulk.DEFAULT_STALL_TIMEOUT,
        smart_encoding: bool = False,
        category: Category = "marketing",
        max_credits: int | None = None,
        wait_for_window: bool = True,
    ) -> BulkReport:
        """Send a campaign: ``message`` to every recipient, each at most once; return the report.

        ``recipients`` is an iterable or async iterable of numbers (str) or
        `BulkMessage` items, read lazily (a generator of millions is fine).
        ``message`` is a ``str.format`` template filled from each
        `BulkMessage`'s ``fields`` (``"Hi {first_name}"``; ``{{`` for a literal
        brace); a missing, None or blank field fails that recipient only
        (``allow_blank_fields=True`` sends blanks as ``""``). Numbers are
        normalised (``region``: the client's default region unless given);
        the same number in another format is sent once (the rest ``skipped``,
        reason ``"duplicate"``) and an invalid number is ``skipped``.

        At most ``concurrency`` requests are in flight, at most ``rate_limit``
        messages and ``request_rate_limit`` requests per second start (None:
        no limit); a 429 pauses every worker, and 429s and runs of 503s
        slow the whole campaign to the rate Velstack sustains (never a
        failure). Requests that certainly were not processed (503, 429, no
        connection) are sent again; one that may have been processed makes
        its recipients ``unknown``, never repeated. Insufficient balance or a
        rejected API key stops the campaign (in-flight sends finish, the rest
        are ``not_attempted``, ``report.stopped_reason`` says why), as does
        reaching ``max_failures`` failed or unknown results, or
        ``stall_timeout`` seconds in which Velstack accepted nothing.

        Up to ``batch_size`` recipients whose text, sender and title are
        equal go in one request (1: one request per recipient); a number
        missing from the answer's ``recipients`` is ``failed``, never resent.
        The trade-off: a kill or a dropped connection leaves at most
        ``concurrency x batch_size`` recipients ``unknown`` (``concurrency``
        with ``batch_size=1``, the choice for very cautious senders).
        ``smart_encoding=True``
        replaces Unicode look-alikes (curly quotes, dashes, ellipses) in each
        rendered message with GSM-7 characters when that makes it GSM-7.

        ``journal`` is a file path (or a journal object such as
        ``velstack_async.distributed.RedisJournal``): each outcome is recorded durably before
        it is reported, and rerunning the same campaign (same message
        template and sender) with the same journal skips recipients already
        sent or unknown (``resend_unknown=True`` sends unknown ones again).
        ``on_result`` is called (or awaited) with each result as it finishes.
        The report keeps at most ``keep_unsent`` non-sent results (None: all).

        With the client's `SendingPolicy` (docs, "Sending policy"): suppressed
        recipients are ``skipped`` (``report.suppressed``), and for
        ``category="marketing"`` (the default) so are those over its frequency
        cap (``report.capped``); a recipient outside its send window waits for
        it (``wait_for_window=False``: ``not_attempted``, ``report.deferred``).
        ``max_credits`` caps this campaign's credits (and the policy's
        ``max_credits_per_day`` the last 24 hours'): each request's credits are
        reserved first; at the cap the campaign stops, the rest ``not_attempted``.
        The keywords are checked into a `CampaignOptions`: see `send_campaign`.
        """
        options = _bulk.CampaignOptions.from_keywords(locals())
        return await self.send_campaign(recipients, options, on_result=on_result)

    async def stream_bulk(
        self,
        recipients: Iterable[str | BulkMessage] | AsyncIterable[str | BulkMessage],
        *,
        message: str | None = None,
        sender: str,
        title: str | None = None,
        concurrency: int = 32,
        batch_size: int = _bulk.DEFAULT_BATCH_SIZE,
        rate_limit: float | None = None,
        request_rate_limit: float | None = None,
        journal: str | os.PathLike[str] | JournalOpener | None = None,
        on_result: Callable[[BulkResult], object] | None = None,
        resend_unknown: bool = False,
        max_failures: int | None = None,
        region: str | None = None,
        allow_blank_fields: bool = False,
        stall_timeout: float = _bulk.DEFAULT_STALL_TIMEOUT,
        smart_encoding: bool = False,
        category: Category = "marketing",
        max_credits: int | None = None,
        wait_for_window: bool = True,
    ) -> AsyncIterator[BulkResult]:
        """Send a campaign like `send_bulk`, yielding each `BulkResult` as it finishes.

        Results come in completion order (``result.index`` is the input
        position). Sending runs in bursts (``concurrency`` results at first,
        doubling up to 16 times that) yielded between bursts, when nothing is
        in flight, so you may stop iterating at any point (``break``): no
        further message is sent and the journal is consistent. Arguments are
        checked when iteration starts.
        """
        options = _bulk.CampaignOptions.from_keywords(locals())
        stream = self._stream(recipients, options, on_result)
        async with contextlib.aclosing(stream):  # closing this one closes it, and its journal
            async for result in stream:
                yield result

    async def send_campaign(
        self,
        recipients: Iterable[str | BulkMessage] | AsyncIterable[str | BulkMessage],
        options: _bulk.CampaignOptions,
        *,
        on_result: Callable[[BulkResult], object] | None = None,
        stop: CampaignStop | None = None,
    ) -> BulkReport:
        """`send_bulk` with its settings already checked into a `CampaignOptions`.

        ``CampaignOptions(message="Hi", sender="SHOP", batch_size=50)`` takes
        the keywords of `send_bulk` (but ``on_result``) and checks them once;
        build it where the settings come from (a CLI, a config file) and pass
        it here.

        ``stop``: a `CampaignStop`; ``stop.set()`` (from ``on_result``, a task,
        a signal handler, another thread) stops the campaign gracefully: the
        sends in flight finish and are reported, every later recipient is
        ``not_attempted``, and ``report.stopped_reason`` is the stop's reason
        (``"stopped by the caller"`` unless given).
        """
        options = self._resolve(options)
        return await _bulk.send_bulk(
            self._send_one(options.concurrency),
            self._requester.policy,
            options,
            recipients,
            on_result,
            telemetry=self._requester.telemetry,
            stop=stop,
            **campaign_ports(self._requester.options.policy, options),
        )

    async def stream_campaign(
        self,
        recipients: Iterable[str | BulkMessage] | AsyncIterable[str | BulkMessage],
        options: _bulk.CampaignOptions,
        *,
        on_result: Callable[[BulkResult], object] | None = None,
        stop: CampaignStop | None = None,
    ) -> AsyncIterator[BulkResult]:
        """`stream_bulk` with its settings in a `CampaignOptions` (``keep_unsent`` unused).

        ``stop`` as in `send_campaign` (breaking out of the loop stops too).
        """
        options = self._resolve(options)
        stream = _bulk.stream_bulk(
            self._send_one(options.concurrency),
            self._requester.policy,
            options,
            recipients,
            on_result,
            telemetry=self._requester.telemetry,
            stop=stop,
            **campaign_ports(self._requester.options.policy, options),
        )
        async with contextlib.aclosing(stream):  # closing this one closes it, and its journal
            async for result in stream:
                yield result

    def estimate(
        self, message: str, recipients: int = 1, *, smart_encoding: bool = False
    ) -> Estimate:
        """Segments, encoding and credits of ``message`` for ``recipients`` numbers (no request).

        GSM-7 holds 160 characters in one segment (153 each when split),
        UCS-2 (any character outside GSM-7, such as most emoji) 70 (67);
        ``^{}[]~|€\\`` count twice. Estimate a filled-in message, not a template.
        The result also gives the figures before and after smart encoding and
        the characters that force UCS-2, with their positions;
        ``smart_encoding=True`` makes the main figures those after it.
        """
        return _bulk.estimate(message, recipients, smart_encoding=smart_encoding)

    def _stream(
        self,
        recipients: Iterable[str | BulkMessage] | AsyncIterable[str | BulkMessage],
        options: _bulk.CampaignOptions,
        on_result: Callable[[BulkResult], object] | None,
    ) -> AsyncGenerator[BulkResult, None]:
        options = self._resolve(options)
        send = self._send_one(options.concurrency)
        return _bulk.stream_bulk(
            send,
            self._requester.policy,
            options,
            recipients,
            on_result,
            telemetry=self._requester.telemetry,
            **campaign_ports(self._requester.options.policy, options),
        )

    def _resolve(self, options: _bulk.CampaignOptions) -> _bulk.CampaignOptions:
        """``options`` with the client's default region filled in; checks its type."""
        if not isinstance(options, _bulk.CampaignOptions):
            raise InvalidInputError(
                f"options must be a CampaignOptions, not {type(options).__name__}"
            )
        return options if options.region else attrs.evolve(options, region=self._region)

    def _send_one(self, concurrency: int) -> _bulk.SendOne:
        """The engine's send, on a pool sized for ``concurrency`` requests in flight.

        Without the requester's own retries (same pool and pause gate): the
        engine retries what was not processed, counts every request and sees
        every 429 (it paces the campaign by them).
        """
        self._requester.reserve_connections(concurrency)
        requester = self._requester.derive(self._requester.options.evolve(max_retries=0))
        return _QuickSms(requester)


class _QuickSms:
    """The engine's send: POST a quick SMS whose values are already checked (numbers in
    API format). Returns the request's coroutine (not a coroutine of its own: one frame
    less for every resumption of a bulk send).

    A campaign's requests differ in their recipients alone, mostly: the JSON around
    them is encoded once per text, sender and title, as `_requester._encode_json`
    would (a test holds them equal).
    """

    __slots__ = ("_around", "_requester", "_text")

    def __init__(self, requester: Requester) -> None:
        self._requester = requester
        self._text: tuple[str, str, str | None] | None = None
        self._around = ("", "")

    def __call__(
        self, recipient: str, message: str, sender: str, title: str | None
    ) -> Awaitable[SmsSummary]:
        body: dict[str, Any] = {"sender": sender, "recipient": recipient, "message": message}
        if title is not None:
            body["title"] = title
        text = (message, sender, title)
        if text != self._text:
            self._text, self._around = text, _around_recipient(message, sender, title)
        before, after = self._around
        return self._requester.request(
            "POST",
            "/api/quick/sms",
            body=body,
            encoded=(before + _quote(recipient) + after).encode(),
            parse=_parsing.sms_summary,
            once=True,
        )


def _around_recipient(message: str, sender: str, title: str | None) -> tuple[str, str]:
    """The JSON of a quick SMS before and after its quoted ``recipient``."""
    after = ',"message":' + _quote(message)
    if title is not None:
        after += ',"title":' + _quote(title)
    return '{"sender":' + _quote(sender) + ',"recipient":', after + "}"

"""Hostile responses to every endpoint: only `VelstackError` subclasses ever escape.

Each example runs the whole request path (transport, envelope, error mapping,
retries, parsing, models) against an `httpx.MockTransport` answering with a
drawn status, headers and body: arbitrary JSON, an envelope around arbitrary
JSON, the documented body mutated, or arbitrary bytes.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import anyio
import attrs
import httpx
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from velstack_async import (
    APIStatusError,
    AsyncVelstack,
    BulkReport,
    BulkResult,
    BulkStatus,
    Contact,
    Group,
    SenderId,
    SmsSummary,
    VelstackError,
)

from ..core import payloads as p
from .conftest import FUZZ
from .endpoints import ENDPOINTS, Endpoint
from .strategies import bodies, headers, statuses

# Waits (backoff, a fuzzed Retry-After) take no time; retries still happen.
pytestmark = pytest.mark.usefixtures("instant_retries")

Answer = tuple[int, list[tuple[str, str]], bytes]
#: A campaign whose every answer is a 429 or a 503 stops after this long without an
#: accepted send. With instant retries the skipped waits count toward it, so this is a
#: few dozen instant retries (backoff is at most 8 s, a pacing slot at most 5 s).
STALL_TIMEOUT = 30.0


def _encode(body: Any) -> bytes:
    return json.dumps(body, allow_nan=True).encode()


def answers(endpoint: Endpoint) -> st.SearchStrategy[Answer]:
    json_body = bodies(endpoint.ok).map(_encode)
    raw = st.binary(max_size=200) | st.sampled_from(
        [b"", b"   ", b"<html>502</html>", b"\xef\xbb\xbf{}", b"\xff\xfe{\x00}\x00", b"[" * 5000]
    )
    return st.tuples(statuses, headers(), json_body | raw)


def _client(answer: Callable[[], Answer], paths: list[str]) -> AsyncVelstack:
    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.path)
        status, response_headers, content = answer()
        return httpx.Response(status, headers=response_headers, content=content)

    return AsyncVelstack(
        api_key="vs_fuzz_key", transport=httpx.MockTransport(handler), max_retries=1
    )


def check_result(result: object) -> None:
    """A successful call returns well-formed models whose reprs work."""
    items = result if isinstance(result, list) else [result]
    for item in items:
        assert item is None or isinstance(item, (SmsSummary, Group, Contact, SenderId))
        if isinstance(item, SmsSummary):
            assert item.credit_used.is_finite()
            assert item.credit_left.is_finite()
            assert all(isinstance(r, str) for r in item.recipients)
        if item is not None:
            repr(item)
            for field in attrs.fields(type(item)):
                value = getattr(item, field.name)
                assert not isinstance(value, Decimal) or value.is_finite()


def check_error(error: BaseException) -> None:
    """Only the SDK's own errors escape, and they describe themselves."""
    assert isinstance(error, VelstackError), f"{type(error).__name__} escaped: {error!r}"
    assert str(error)
    assert repr(error)
    assert len(str(error)) < 5000, "an error message must stay readable"
    if isinstance(error, APIStatusError):
        assert isinstance(error.status_code, int)


def _replay(drawn: list[Answer]) -> Callable[[], Answer]:
    """The drawn answers in order, then the last one again for any further request."""
    queue = iter(drawn)
    return lambda: next(queue, drawn[-1])


@pytest.mark.fuzz
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_any_response_gives_a_model_or_a_velstack_error(endpoint: Endpoint) -> None:
    @FUZZ
    @given(drawn=st.lists(answers(endpoint), min_size=1, max_size=2))
    def check(drawn: list[Answer]) -> None:
        paths: list[str] = []

        async def call() -> None:
            async with _client(_replay(drawn), paths) as client:
                try:
                    result = await endpoint.call(client, endpoint.args)
                except Exception as error:
                    check_error(error)
                else:
                    check_result(result)

        anyio.run(call)
        assert paths
        assert all(endpoint.path.fullmatch(path) for path in paths)

    check()


def _summary_with(**changes: Any) -> bytes:
    body = copy.deepcopy(p.QUICK_SMS)
    body["data"]["summary"].update(changes)
    return _encode(body)


@pytest.mark.fuzz
@FUZZ
@given(
    drawn=st.lists(answers(ENDPOINTS[0]), min_size=1, max_size=4),
    backend=st.sampled_from(["asyncio", "trio"]),
)
# Found by this test: summing this credit_used raised decimal.Overflow out of send_bulk.
@example([(200, [], _summary_with(credit_used="1e999999999"))], "asyncio")
# Every answer a throttle, without Retry-After: only the stall timeout ends the campaign.
@example([(429, [], b"")], "trio")
@example([(503, [], b"<html>503</html>")], "asyncio")
def test_a_campaign_turns_any_response_into_a_result(drawn: list[Answer], backend: str) -> None:
    """send_bulk never raises for a bad answer: every recipient gets a status.

    A campaign never gives up because it is throttled: when the last answer (replayed
    for every further request) is a 429 or a 503, only ``stall_timeout`` ends it.
    """
    numbers = ["0205550368", "0248297302", "0205550369"]
    paths: list[str] = []
    results: list[BulkResult] = []

    async def campaign() -> BulkReport:
        async with _client(_replay(drawn), paths) as client:
            return await client.sms.send_bulk(
                numbers,
                message="hello",
                sender="VELSTACK",
                concurrency=2,
                stall_timeout=STALL_TIMEOUT,
                on_result=results.append,
            )

    report = anyio.run(campaign, backend=backend)
    assert report.total == len(numbers)
    assert report.sent + report.failed + report.unknown + report.not_attempted == len(numbers)
    # Exactly one result for each recipient, whatever the answers were.
    assert sorted(r.recipient for r in results) == sorted(numbers)
    assert report.requests >= 1
    if report.stopped_reason is not None and "kept refusing" in report.stopped_reason:
        # Only answers that certainly processed nothing are retried until the stall.
        assert "RateLimitError" in report.stopped_reason or (
            "ServiceUnavailableError" in report.stopped_reason
        )
        assert report.requests > 1  # retried (30 s of skipped waits), not given up at once
    for result in report.unsent:
        assert result.status is not BulkStatus.SENT
        if result.error is not None:
            check_error(result.error)
    repr(report)

"""Hostile arguments: a well-formed request or `InvalidInputError`, never anything else.

Every argument of every call, and of the client and a campaign, is replaced
by arbitrary strings and values of other types. A call either refuses with
`InvalidInputError` before any request, or makes exactly the request its
endpoint allows: the URL path matches the endpoint's pattern (no path
injection through an id), numbers are sent as digits, the sender as an
alphanumeric sender ID.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import httpx
import phonenumbers
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from velstack_async import AsyncVelstack, BulkReport, InvalidInputError

from ..core import payloads as p
from .conftest import FUZZ
from .endpoints import ENDPOINTS, Endpoint
from .strategies import any_argument

pytestmark = pytest.mark.usefixtures("instant_retries")


def _recording_client(requests: list[httpx.Request], answer: Any, **options: Any) -> AsyncVelstack:
    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, json=answer)

    options.setdefault("api_key", "vs_fuzz_key")
    return AsyncVelstack(transport=httpx.MockTransport(handler), **options)


def check_request(endpoint: Endpoint, request: httpx.Request, args: dict[str, Any]) -> None:
    assert request.method == endpoint.method
    path = request.url.raw_path.decode("ascii")
    assert endpoint.path.fullmatch(path), f"{endpoint.name} requested {path!r}"
    assert request.url.host == "sms.velstack.com"
    if endpoint.id_arg is not None and args.get(endpoint.id_arg) is not None:
        assert path.endswith("/" + args[endpoint.id_arg])
    body = json.loads(request.content) if request.content else {}
    for field in ("recipient", "phone_number"):
        if field in body:
            assert body[field].replace(",", "").isdigit(), f"{field} sent as {body[field]!r}"
    for field in ("sender", "sender_id"):
        if field in body:
            sender = body[field]
            assert sender.isascii(), sender
            assert sender.isalnum(), sender
            assert len(sender) <= 11, sender


@pytest.mark.fuzz
@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e.args], ids=lambda e: e.name)
def test_any_argument_gives_a_request_or_invalid_input(endpoint: Endpoint) -> None:
    @FUZZ
    @given(
        changes=st.dictionaries(st.sampled_from(sorted(endpoint.args)), any_argument, min_size=1)
    )
    def check(changes: dict[str, Any]) -> None:
        args = {**endpoint.args, **changes}
        requests: list[httpx.Request] = []

        async def call() -> None:
            async with _recording_client(requests, endpoint.ok) as client:
                await endpoint.call(client, args)

        refused: InvalidInputError | None = None
        try:
            anyio.run(call)
        except InvalidInputError as error:
            refused = error
        if refused is None:
            [request] = requests
            check_request(endpoint, request, args)
        else:
            assert requests == [], "refused input must not cost a request"
            assert "0205550368" not in str(refused)

    check()


def _national_number(region: str) -> str:
    """A valid national number of ``region`` (the documented Ghanaian one for GH).

    A number is national to one region: 0205550368 is rightly refused with
    ``default_region="KW"``.
    """
    if region == "GH":
        return "0205550368"
    number = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    number = number or phonenumbers.example_number(region)
    assert number is not None, region
    return phonenumbers.national_significant_number(number)


@pytest.mark.fuzz
@FUZZ
@given(
    option=st.sampled_from(["api_key", "base_url", "timeout", "max_retries", "default_region"]),
    value=any_argument,
)
# Found by this test (each escaped before the fix):
@example("api_key", "vs_ключ")  # UnicodeEncodeError building the Authorization header
@example("default_region", ["GH"])  # TypeError: unhashable type: 'list'
@example("default_region", "gh")  # every number refused as "unknown country code"
@example("default_region", "KW")  # (a valid region: its own numbers are accepted)
@example("base_url", "https://sms.velstack.com/#")  # every request sent to "/"
@example("base_url", "https://sms.velstack.com?v=")
def test_any_client_option_gives_a_working_client_or_invalid_input(option: str, value: Any) -> None:
    requests: list[httpx.Request] = []
    try:
        client = _recording_client(requests, p.QUICK_SMS, **{option: value})
    except InvalidInputError:
        return

    recipient = _national_number(client.options.default_region)

    async def send() -> None:
        async with client:
            await client.sms.send(recipient=recipient, message="hello", sender="VELSTACK")

    anyio.run(send)
    [request] = requests
    url = request.url
    assert url.raw_path == b"/api/quick/sms"
    assert url.scheme == "https" or url.host in ("localhost", "127.0.0.1", "::1")
    assert (
        request.headers["Authorization"]
        == f"Bearer {client._requester._headers['Authorization'][7:]}"
    )


@pytest.mark.fuzz
@FUZZ
@given(
    recipients=st.lists(any_argument, max_size=6),
    changes=st.dictionaries(
        st.sampled_from(["message", "sender", "title", "concurrency", "rate_limit", "region"]),
        any_argument,
    ),
    backend=st.sampled_from(["asyncio", "trio"]),
)
# Found by this test: one worker task per unit of concurrency, whatever the number of
# recipients (200,000 took 18 s and 900 MiB for one recipient; 10**8 ran out of memory).
@example([], {"concurrency": 10**8}, "asyncio")
def test_any_campaign_argument_gives_a_report_or_invalid_input(
    recipients: list[Any], changes: dict[str, Any], backend: str
) -> None:
    requests: list[httpx.Request] = []
    args: dict[str, Any] = {"message": "Hi {name}", "sender": "VELSTACK", **changes}

    async def campaign() -> BulkReport:
        async with _recording_client(requests, p.QUICK_SMS) as client:
            return await client.sms.send_bulk(recipients, **args)

    try:
        report = anyio.run(campaign, backend=backend)
    except InvalidInputError:
        assert requests == []
        return
    assert report.total == len(recipients)
    assert report.sent == len(requests)
    for request in requests:
        check_request(ENDPOINTS[0], request, {})
    repr(report)


@pytest.mark.parametrize(
    "journal",
    [
        "",
        "a\0b",  # found here: a ValueError from sqlite3 escaped
        b"campaign.journal",
        123,
        ".",
        "no/such/directory/campaign.journal",
        "/proc/self/status",
    ],
)
def test_a_bad_journal_path_is_invalid_input(journal: Any, tmp_path: Path) -> None:
    if isinstance(journal, str) and journal not in ("", "a\0b") and not journal.startswith("/"):
        journal = str(tmp_path / journal)  # never create files outside tmp_path
    requests: list[httpx.Request] = []

    async def campaign() -> BulkReport:
        async with _recording_client(requests, p.QUICK_SMS) as client:
            return await client.sms.send_bulk(
                ["0205550368"], message="Hi", sender="VELSTACK", journal=journal
            )

    with pytest.raises(InvalidInputError, match="journal"):
        anyio.run(campaign)
    assert requests == []

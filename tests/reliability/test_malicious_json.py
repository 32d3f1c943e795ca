"""Deeply nested JSON, absurd numbers and NaN: refused with a clear error, in bounded memory."""

from __future__ import annotations

import copy
import json
import tracemalloc
from typing import Any

import anyio
import httpx
import pytest

from velstack_async import AsyncVelstack, ResponseParseError

from ..core import payloads as p

MIB = 1024 * 1024
DEPTH = 200_000


def _summary(**changes: Any) -> bytes:
    body = copy.deepcopy(p.QUICK_SMS)
    body["data"]["summary"].update(changes)
    return json.dumps(body).encode()


def _raw_summary(field: str, literal: str) -> bytes:
    """The documented send answer with ``field``'s value replaced by raw JSON text."""
    marker = "__literal__"
    return _summary(**{field: marker}).replace(f'"{marker}"'.encode(), literal.encode())


HOSTILE = {
    "nested-body": b"[" * DEPTH + b"]" * DEPTH,
    "nested-data": b'{"status":true,"data":' + b"[" * DEPTH + b"]" * DEPTH + b"}",
    "nested-summary": b'{"status":true,"data":{"summary":' + b"{" * 5000 + b"}" * 5000 + b"}}",
    "parseable-nesting": _raw_summary("recipients", "[" * 900 + "]" * 900),
    "credit-1e999": _raw_summary("credit_left", "1e999"),
    "credit-nan": _raw_summary("credit_left", "NaN"),
    "credit-infinity": _raw_summary("credit_used", "-Infinity"),
    "credit-100000-digits": _raw_summary("credit_left", "9" * 100_000),
    "credit-exponent": _summary(credit_used="1e999999999"),
    "credit-string-nan": _summary(credit_left="NaN"),
    "count-100000-digits": _raw_summary("total_contacts", "9" * 100_000),
}


@pytest.mark.parametrize("body", HOSTILE.values(), ids=HOSTILE.keys())
def test_malicious_json_is_refused_clearly_in_bounded_memory(body: bytes) -> None:
    async def send() -> None:
        transport = httpx.MockTransport(lambda _: httpx.Response(200, content=body))
        async with AsyncVelstack(api_key="vs_key", transport=transport) as client:
            await client.sms.send(recipient="0205550368", message="hello", sender="VELSTACK")

    tracemalloc.start()
    try:
        with pytest.raises(ResponseParseError) as caught:
            anyio.run(send)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    error = caught.value
    message = str(error)
    assert "not JSON" in message or "unexpected response from POST /api/quick/sms" in message
    assert len(message) < 500
    assert error.may_have_been_sent  # a send answered with garbage may have gone out
    assert peak < len(body) * 4 + 4 * MIB, peak
